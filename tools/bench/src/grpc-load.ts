import { fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import {
  type HealthCheckRequest,
  HealthCheckRequestSchema,
  type HealthCheckResponse,
  HealthCheckResponseSchema,
} from "@servingkit/proto/health";
import type { LatencyRecorder, LoadCounters, LoadDriver } from "./measurement.js";

/** The method path of `grpc.health.v1.Health/Check`. */
export const healthCheckPath = "/grpc.health.v1.Health/Check";

/** Options of {@link createGrpcHealthDriver}. */
export interface GrpcLoadOptions {
  /** `host:port` of a plaintext HTTP/2 gRPC server (loopback only). */
  readonly address: string;
  /** Calls kept in flight at once. */
  readonly inFlight: number;
  /** Metadata sent with every call (e.g. `authorization`). */
  readonly metadata?: Readonly<Record<string, string>>;
}

const serializeRequest = (request: HealthCheckRequest) =>
  Buffer.from(toBinary(HealthCheckRequestSchema, request));
const deserializeResponse = (bytes: Buffer): HealthCheckResponse =>
  fromBinary(HealthCheckResponseSchema, bytes);

/**
 * A load driver calling `grpc.health.v1.Health/Check` with a `@grpc/grpc-js` client (the
 * fastest Node client, toolchain.md) on one channel, keeping `inFlight` calls outstanding until
 * the time is up. Messages are encoded with the project's protobuf-es types, so no .proto file
 * is loaded at run time.
 */
export function createGrpcHealthDriver(options: GrpcLoadOptions): LoadDriver {
  const client = new grpc.Client(options.address, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(options.metadata ?? {})) metadata.set(key, value);
  return {
    run: (seconds, recorder) => callLoop(client, metadata, options.inFlight, seconds, recorder),
    close: async () => client.close(),
  };
}

async function callLoop(
  client: grpc.Client,
  metadata: grpc.Metadata,
  inFlight: number,
  seconds: number,
  recorder: LatencyRecorder | undefined,
): Promise<LoadCounters> {
  const request = { $typeName: "grpc.health.v1.HealthCheckRequest", service: "" } as const;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let ok = 0;
  let errors = 0;
  const call = () =>
    new Promise<void>((resolve) => {
      const begin = performance.now();
      client.makeUnaryRequest(
        healthCheckPath,
        serializeRequest,
        deserializeResponse,
        request,
        metadata,
        (error) => {
          if (error) errors += 1;
          else {
            ok += 1;
            recorder?.record(performance.now() - begin);
          }
          resolve();
        },
      );
    });
  const loop = async () => {
    while (performance.now() < deadline) await call();
  };
  await Promise.all(Array.from({ length: inFlight }, loop));
  return { ok, errors, seconds: (performance.now() - started) / 1000 };
}
