/**
 * Test helper: an independent gRPC client of caikit's `NlpService` (@grpc/grpc-js with
 * @grpc/proto-loader over our caikit protos, 64-bit integers as numbers), so tests call the mock
 * as caikit's own clients do, model chosen by `mm-model-id` metadata.
 */
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import type { RunningMock } from "@servingkit/mock-core/host";

const protoRoot = fileURLToPath(new URL("../../../../proto", import.meta.url));
const definition = protoLoader.loadSync(["caikit/runtime/Nlp/nlp_service.proto"], {
  includeDirs: [protoRoot],
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
});
const loaded = grpc.loadPackageDefinition(definition) as unknown as {
  caikit: { runtime: { Nlp: { NlpService: grpc.ServiceClientConstructor } } };
};

/** A message as proto-loader gives and takes it. */
export type Json = Record<string, unknown>;

/** A grpc-js NlpService client; methods by RPC name. */
export type NlpClient = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

/** Opens an insecure NlpService client on the mock's gRPC port (close it after the tests). */
export function nlpClient(mock: RunningMock): NlpClient {
  return new loaded.caikit.runtime.Nlp.NlpService(
    mock.endpoints.grpc ?? "",
    grpc.credentials.createInsecure(),
  ) as NlpClient;
}

/** Calls unary `method` for `model` (sent as `mm-model-id`). */
export function nlpUnary(client: NlpClient, method: string, request: Json, model: string) {
  const metadata = new grpc.Metadata();
  metadata.set("mm-model-id", model);
  return new Promise<Json>((resolve, reject) => {
    client[method]?.(request, metadata, (error: grpc.ServiceError | null, reply: Json) =>
      error ? reject(error) : resolve(reply),
    );
  });
}
