import { create, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { HealthCheckRequestSchema } from "@servingkit/proto/health";
import type { LatencyRecorder, LoadCounters, LoadDriver } from "./measurement.js";

/** The method path of `grpc.health.v1.Health/Check`. */
export const healthCheckPath = "/grpc.health.v1.Health/Check";

/** Options of {@link createGrpcHealthDriver}. */
export interface GrpcLoadOptions {
  /** `host:port` of a plaintext HTTP/2 gRPC server (loopback only). */
  readonly address: string;
  /** Calls kept in flight at once. */
  readonly inFlight: number;
  /** Metadata sent with every call (e.g. `authorization`, `mm-model-id`). */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** Options of {@link createGrpcUnaryDriver} and {@link createGrpcStreamDriver}. */
export interface GrpcCallLoadOptions extends GrpcLoadOptions {
  /** The method path, `/package.Service/Method`. */
  readonly path: string;
  /** The request message, already encoded: every call sends these bytes. */
  readonly request: Uint8Array;
}

/** Bytes pass through the grpc-js client as they are: encoding is done once, up front. */
const passBytes = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
const keepBytes = (bytes: Buffer) => bytes;

/**
 * Opens a grpc-js client channel with no message size limits (a 16 MiB tensor is bigger than
 * grpc-js's 4 MiB default).
 */
export function openGrpcClient(address: string): grpc.Client {
  return new grpc.Client(address, grpc.credentials.createInsecure(), {
    "grpc.max_receive_message_length": -1,
    "grpc.max_send_message_length": -1,
  });
}

/** grpc-js metadata from a plain record. */
export function grpcMetadata(record: Readonly<Record<string, string>> = {}): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(record)) metadata.set(key, value);
  return metadata;
}

/**
 * A load driver calling `grpc.health.v1.Health/Check` with a `@grpc/grpc-js` client (the
 * fastest Node client, toolchain.md) on one channel, keeping `inFlight` calls outstanding until
 * the time is up. Messages are encoded with the project's protobuf-es types, so no .proto file
 * is loaded at run time.
 */
export function createGrpcHealthDriver(options: GrpcLoadOptions): LoadDriver {
  return createGrpcUnaryDriver({
    ...options,
    path: healthCheckPath,
    request: toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema)),
  });
}

/**
 * A load driver for any unary method: a grpc-js client on one channel keeps `inFlight` calls of
 * the same encoded request outstanding until the time is up. Answers are not decoded (a real
 * client would; every server is measured with the same client, so ratios stand).
 */
export function createGrpcUnaryDriver(options: GrpcCallLoadOptions): LoadDriver {
  const client = openGrpcClient(options.address);
  const metadata = grpcMetadata(options.metadata);
  const call = (done: (error: grpc.ServiceError | null) => void) =>
    client.makeUnaryRequest(
      options.path,
      passBytes,
      keepBytes,
      options.request,
      metadata,
      (error) => done(error),
    );
  return {
    run: (seconds, recorder) =>
      callLoop(
        options.inFlight,
        seconds,
        recorder,
        (begin, count) =>
          new Promise((resolve) =>
            call((error) => {
              count(error ? 0 : 1, error ? 1 : 0, begin);
              resolve();
            }),
          ),
      ),
    close: async () => client.close(),
  };
}

/**
 * A load driver for a server-streaming method: `inFlight` streams open at a time, each read to
 * its end. Counts MESSAGES (generated tokens for GenerateStream) as the answers; the latency
 * recorded is each whole stream's, from the call's start to its end (messages of an unpaced
 * stream arrive in bursts, so a per-message gap would say little).
 */
export function createGrpcStreamDriver(options: GrpcCallLoadOptions): LoadDriver {
  const client = openGrpcClient(options.address);
  const metadata = grpcMetadata(options.metadata);
  return {
    run: (seconds, recorder) =>
      callLoop(options.inFlight, seconds, recorder, (begin, count) => {
        return new Promise((resolve) => {
          const stream = client.makeServerStreamRequest(
            options.path,
            passBytes,
            keepBytes,
            options.request,
            metadata,
          );
          let messages = 0;
          stream.on("data", () => {
            messages += 1;
          });
          stream.on("error", () => {
            count(0, 1, begin);
            resolve();
          });
          stream.on("end", () => {
            count(messages, 0, begin);
            resolve();
          });
        });
      }),
    close: async () => client.close(),
  };
}

type Count = (ok: number, errors: number, since: number) => void;

/** Keeps `inFlight` calls going until the deadline, adding up what each reports. */
async function callLoop(
  inFlight: number,
  seconds: number,
  recorder: LatencyRecorder | undefined,
  one: (begin: number, count: Count) => Promise<void>,
): Promise<LoadCounters> {
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let ok = 0;
  let errors = 0;
  // One latency per call (a unary answer, or a whole stream however many messages it had).
  const count: Count = (good, bad, since) => {
    ok += good;
    errors += bad;
    if (good > 0) recorder?.record(performance.now() - since);
  };
  const loop = async () => {
    while (performance.now() < deadline) await one(performance.now(), count);
  };
  await Promise.all(Array.from({ length: inFlight }, loop));
  return { ok, errors, seconds: (performance.now() - started) / 1000 };
}
