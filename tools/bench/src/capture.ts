/**
 * Captures a runtime mock's answer once, before a run, so the bare baselines can answer the very
 * same bytes. The mock is started on the caller's event loop, called once, and closed.
 */
import { grpcMetadata, openGrpcClient } from "./grpc-load.js";
import { type HttpAnswer, type HttpCall, httpCall } from "./http-call.js";
import { type RuntimeMockSpec, startRuntimeServer } from "./runtime-servers.js";

/** A bench that would compare against an error answer is wrong: this says which call failed. */
export class CaptureError extends Error {
  override readonly name = "CaptureError";
}

/** The mock's answer to one HTTP call (`call.url` is the path; the mock's address goes first). */
export async function captureHttp(
  mock: RuntimeMockSpec,
  call: Omit<HttpCall, "url"> & { readonly path: string },
): Promise<HttpAnswer> {
  const server = await startRuntimeServer({ ...mock, protocol: "http" });
  try {
    const answer = await httpCall({ ...call, url: `${server.address}${call.path}` });
    if (answer.status < 200 || answer.status >= 300) {
      throw new CaptureError(
        `${mock.runtime} ${call.path} answered ${answer.status}: ${answer.body.toString("utf8", 0, 300)}`,
      );
    }
    return answer;
  } finally {
    await server.close();
  }
}

/** What {@link captureGrpc} sends. */
export interface GrpcCapture {
  readonly path: string;
  readonly request: Uint8Array;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly streaming: boolean;
}

/** The mock's answer message(s) to one gRPC call, as bytes. */
export async function captureGrpc(mock: RuntimeMockSpec, call: GrpcCapture): Promise<Uint8Array[]> {
  const server = await startRuntimeServer({ ...mock, protocol: "grpc" });
  const client = openGrpcClient(server.address);
  const pass = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const keep = (bytes: Buffer) => bytes;
  const metadata = grpcMetadata(call.metadata);
  try {
    return await new Promise<Uint8Array[]>((resolve, reject) => {
      const fail = (error: Error) =>
        reject(new CaptureError(`${mock.runtime} ${call.path} failed: ${error.message}`));
      if (call.streaming) {
        const messages: Uint8Array[] = [];
        const stream = client.makeServerStreamRequest(
          call.path,
          pass,
          keep,
          call.request,
          metadata,
        );
        stream.on("data", (message: Buffer) => messages.push(message));
        stream.on("error", fail);
        stream.on("end", () => resolve(messages));
      } else {
        client.makeUnaryRequest(call.path, pass, keep, call.request, metadata, (error, answer) =>
          error || answer === undefined ? fail(error ?? new Error("no answer")) : resolve([answer]),
        );
      }
    });
  } finally {
    client.close();
    await server.close();
  }
}
