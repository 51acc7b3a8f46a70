/**
 * `grpc.health.v1.Health` as Triton serves it, where it differs from mock-core's host service:
 *
 * - Triton's own `health.proto` (common `protobuf/health.proto`) declares Check and Watch, no
 *   List. A method the server does not know is answered by gRPC C++ with UNIMPLEMENTED and an
 *   empty message (the runtime catalog's `grpcUnimplementedMessage` for Triton).
 * - Watch is declared, so the server registers it with the rest of the async service
 *   (`grpc_server.cc`: `builder_.RegisterService(&health_service_)`), but Triton only ever asks
 *   for Check calls (`RegisterHealthCheck`). gRPC core keeps a call to a registered method that
 *   the application never requests in its pending queue (src/core/server/server.cc
 *   `RealRequestMatcher`: the queue is only pruned when a request for that method arrives), so a
 *   Watch gets no message and no status: it ends when the client cancels it or its deadline
 *   passes.
 *
 * Check stays the host's (or triton-restricted.ts's, under a `health` restriction).
 */
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { Health, type HealthCheckResponse } from "@servingkit/proto/health";

/**
 * Registers Triton's List and Watch over the host's (a later registration of a path wins): List
 * UNIMPLEMENTED with an empty message, Watch held open without an answer until the call ends
 * (client cancel, deadline) or the host shuts down.
 */
export function registerTritonHealth(router: ConnectRouter, shutdownSignal: AbortSignal): void {
  router.rpc(Health.method.list, () => {
    throw new ConnectError("", Code.Unimplemented);
  });
  router.rpc(Health.method.watch, async function* (_request, context) {
    await untilAborted(context.signal, shutdownSignal);
    // Never reached with a message: the call ended (or the host is closing it).
    yield* [] as HealthCheckResponse[];
  });
}

/** Resolves once either signal aborts. */
function untilAborted(a: AbortSignal, b: AbortSignal): Promise<void> {
  if (a.aborted || b.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      a.removeEventListener("abort", done);
      b.removeEventListener("abort", done);
      resolve();
    };
    a.addEventListener("abort", done, { once: true });
    b.addEventListener("abort", done, { once: true });
  });
}
