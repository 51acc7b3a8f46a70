import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { defaultModelSpec } from "@servingkit/mock-core/engine";
import { type RunningMock, startMock } from "@servingkit/mock-core/host";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { caikitMockModule } from "../mock.js";

// An independent client: grpc-js with proto-loader reading our caikit .proto files.
const protoRoot = fileURLToPath(new URL("../../../../proto", import.meta.url));
const definition = protoLoader.loadSync(
  ["caikit/runtime/Nlp/nlp_service.proto", "caikit/runtime/info/info_service.proto"],
  { includeDirs: [protoRoot], keepCase: true, longs: String, enums: String, defaults: true },
);
const loaded = grpc.loadPackageDefinition(definition) as unknown as {
  caikit: {
    runtime: {
      Nlp: { NlpService: grpc.ServiceClientConstructor };
      info: { InfoService: grpc.ServiceClientConstructor };
    };
  };
};

type Json = Record<string, unknown>;
type Client = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

function unary(client: Client, method: string, request: Json, metadata: grpc.Metadata) {
  return new Promise<Json>((resolve, reject) => {
    client[method]?.(request, metadata, (error: grpc.ServiceError | null, reply: Json) =>
      error ? reject(error) : resolve(reply),
    );
  });
}

function modelMetadata(id?: string): grpc.Metadata {
  const metadata = new grpc.Metadata();
  if (id !== undefined) metadata.set("mm-model-id", id);
  return metadata;
}

async function rejection(promise: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await promise;
  } catch (error) {
    return error as grpc.ServiceError;
  }
  throw new Error("expected an error");
}

describe("Caikit TGIS gRPC (grpc-js + proto-loader)", () => {
  let mock: RunningMock;
  let nlp: Client;
  let info: Client;
  beforeAll(async () => {
    mock = await startMock({
      runtime: "caikit-tgis",
      host: "127.0.0.1",
      httpPort: 0,
      grpcPort: 0,
      plugins: await caikitMockModule.plugins({ runtime: "caikit-tgis", models: [], values: {} }),
    });
    const address = mock.endpoints.grpc ?? "";
    const insecure = grpc.credentials.createInsecure();
    nlp = new loaded.caikit.runtime.Nlp.NlpService(address, insecure) as unknown as Client;
    info = new loaded.caikit.runtime.info.InfoService(address, insecure) as unknown as Client;
  });
  afterAll(async () => {
    nlp.close();
    info.close();
    await mock.close();
  });

  it("requires mm-model-id: INVALID_ARGUMENT 'Missing required model ID'", async () => {
    // caikit-tgis.md §2.6.
    const error = await rejection(
      unary(nlp, "TextGenerationTaskPredict", { text: "hi" }, modelMetadata()),
    );
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error.details).toBe("Missing required model ID");
  });

  it("generates text with the model from mm-model-id", async () => {
    const reply = await unary(
      nlp,
      "TextGenerationTaskPredict",
      { text: "Hello there", max_new_tokens: 4, min_new_tokens: 4 },
      modelMetadata("flan-t5-small-caikit"),
    );
    expect(reply).toMatchObject({
      generated_tokens: "4",
      finish_reason: "MAX_TOKENS",
      input_token_count: String((await defaultModelSpec()).tokenizer.encode("Hello there").length),
      producer_id: { name: "Text Generation", version: "0.1.0" },
    });
  });

  it("streams results whose first carries the input count", async () => {
    const call = nlp.ServerStreamingTextGenerationTaskPredict?.(
      { text: "Hello", max_new_tokens: 3, min_new_tokens: 3 },
      modelMetadata("m"),
    ) as grpc.ClientReadableStream<Json>;
    const results: Json[] = [];
    await new Promise<void>((resolve, reject) => {
      call.on("data", (m: Json) => results.push(m));
      call.on("error", reject);
      call.on("end", resolve);
    });
    expect(results).toHaveLength(4);
    expect(results[0]?.details).toMatchObject({ finish_reason: "NOT_FINISHED" });
    expect(Number((results[0]?.details as Json | undefined)?.input_token_count)).toBeGreaterThan(0);
    expect(results.at(-1)?.details).toMatchObject({
      finish_reason: "MAX_TOKENS",
      generated_tokens: 3,
    });
  });

  it("answers a caikit validation error as INVALID_ARGUMENT with str(e)", async () => {
    // caikit-tgis.md §2.6: ValueError in the module → INVALID_ARGUMENT, message str(e).
    const error = await rejection(
      unary(nlp, "TextGenerationTaskPredict", { text: "x", temperature: 0.5 }, modelMetadata("m")),
    );
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(decodeURIComponent(error.details)).toBe(
      "sampling parameters (temperature/top_k/top_p/typical_p/seed) aren't applicable in greedy decoding mode",
    );
  });

  it("tokenizes through TGIS", async () => {
    const reply = await unary(
      nlp,
      "TokenizationTaskPredict",
      { text: "a b c" },
      modelMetadata("m"),
    );
    const spec = await defaultModelSpec();
    expect(reply.token_count).toBe(String(spec.tokenizer.encode("a b c").length));
  });

  it("lists models and runtime info on InfoService", async () => {
    const models = await unary(info, "GetModelsInfo", {}, new grpc.Metadata());
    expect((models.models as Json[]).map((m) => m.name)).toContain("flan-t5-small-caikit");
    const missing = await rejection(
      unary(info, "GetModelsInfo", { model_ids: ["nope"] }, new grpc.Metadata()),
    );
    // caikit-tgis.md §2.5: NOT_FOUND "Model <id> is not loaded".
    expect(missing.code).toBe(grpc.status.NOT_FOUND);
    expect(missing.details).toBe("Model nope is not loaded");
    const runtime = await unary(info, "GetRuntimeInfo", {}, new grpc.Metadata());
    expect(runtime.python_packages).toMatchObject({ caikit: "0.27.7" });
  });
});
