/**
 * `grpc.health.v1.Health` answered from the shared readiness state, for the runtimes that
 * register it (Triton, Caikit; not TGIS: caikit-tgis.md §3). The server knows one service, the
 * empty name for the server as a whole, as gRPC's stock health servicers do at start
 * (grpc/grpc src/python/grpcio_health_checking/grpc_health/v1/health.py: `{"": SERVING}`).
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import {
  type Health,
  type HealthCheckResponse,
  HealthCheckResponseSchema,
  HealthListResponseSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "@servingkit/proto/health";
import type { Readiness } from "./readiness.js";

/** The service names the health service knows: only the whole server (`""`). */
const knownServices: readonly string[] = [""];

function statusOf(readiness: Readiness): ServingStatus {
  return readiness.ready ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
}

function response(status: ServingStatus): HealthCheckResponse {
  return create(HealthCheckResponseSchema, { status });
}

/**
 * The Health implementation.
 *
 * - Check: SERVING / NOT_SERVING from readiness; an unknown service name is NOT_FOUND (the
 *   protocol's rule, gRPC doc/health-checking.md).
 * - List: every known service and its status.
 * - Watch: the current status at once, then each change; SERVICE_UNKNOWN for an unknown name
 *   (and the stream stays open). On shutdown the stream sends NOT_SERVING and ends cleanly.
 */
export function healthService(
  readiness: Readiness,
  shutdownSignal: AbortSignal,
): Partial<ServiceImpl<typeof Health>> {
  return {
    check(request) {
      if (!knownServices.includes(request.service)) {
        throw new ConnectError("unknown service", Code.NotFound);
      }
      return response(statusOf(readiness));
    },
    list() {
      const statuses = Object.fromEntries(
        knownServices.map((name) => [name, response(statusOf(readiness))]),
      );
      return create(HealthListResponseSchema, { statuses });
    },
    async *watch(request, context) {
      const known = knownServices.includes(request.service);
      const queue: ServingStatus[] = [known ? statusOf(readiness) : ServingStatus.SERVICE_UNKNOWN];
      let wake: (() => void) | undefined;
      const unsubscribe = readiness.subscribe((ready) => {
        if (!known) return;
        queue.push(ready ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
        wake?.();
      });
      const onAbort = () => wake?.();
      context.signal.addEventListener("abort", onAbort);
      shutdownSignal.addEventListener("abort", onAbort);
      try {
        for (;;) {
          while (queue.length > 0) yield response(queue.shift() as ServingStatus);
          if (shutdownSignal.aborted) {
            if (known && readiness.ready) yield response(ServingStatus.NOT_SERVING);
            return;
          }
          if (context.signal.aborted) return;
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = undefined;
        }
      } finally {
        unsubscribe();
        context.signal.removeEventListener("abort", onAbort);
        shutdownSignal.removeEventListener("abort", onAbort);
      }
    },
  };
}
