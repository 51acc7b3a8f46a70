import { Code, ServingkitError } from "@servingkit/client-core";
import { type RunningMock, startMock } from "@servingkit/mock-core/host";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CaikitClient, createCaikitClient } from "./index.js";
import { caikitMockModule } from "./mock.js";

type Runtime = "caikit-tgis" | "caikit-standalone";

async function start(runtime: Runtime, models: string[]) {
  const values = {
    "text-classification-model": ["sentiment"],
    "token-classification-model": ["spans"],
  };
  return startMock({
    runtime,
    host: "127.0.0.1",
    httpPort: 0,
    grpcPort: 0,
    tls: true,
    tokens: ["s3cret"],
    models,
    plugins: await caikitMockModule.plugins({ runtime, models, values }),
  });
}

function clientOf(mock: RunningMock, transport: "rest" | "grpc"): CaikitClient {
  const tls = { ca: mock.certificatePem ?? "" };
  return transport === "grpc"
    ? createCaikitClient({
        transport: "grpc",
        address: `https://${mock.endpoints.grpc}`,
        tls,
        token: "s3cret",
        maxRetries: 0,
      })
    : createCaikitClient({
        baseUrl: mock.endpoints.http ?? "",
        tls,
        token: "s3cret",
        maxRetries: 0,
      });
}

describe.each(["rest", "grpc"] as const)("caikit client over %s (TLS, token)", (transport) => {
  let tgis: RunningMock;
  let standalone: RunningMock;
  let generation: CaikitClient;
  let embeddings: CaikitClient;
  beforeAll(async () => {
    tgis = await start("caikit-tgis", ["flan"]);
    standalone = await start("caikit-standalone", ["minilm"]);
    generation = clientOf(tgis, transport);
    embeddings = clientOf(standalone, transport);
  });
  afterAll(async () => {
    await generation.close();
    await embeddings.close();
    await tgis.close();
    await standalone.close();
  });

  it("classifies text and tokens with the same results on either transport", async () => {
    // caikit-nlp sequence_classification.py / filtered_span_classification.py; caikit-tgis.md §2.4.
    const labels = await embeddings.classifyText("sentiment", "What a lovely day");
    expect(labels.map((l) => l.label)).toEqual(["NEGATIVE", "POSITIVE"]);
    expect(labels[1]?.score).toBeGreaterThan(0.5);
    const spans = await embeddings.classifyTokens("spans", "Great. Awful.", { threshold: 0.5 });
    expect(spans.map((t) => [t.start, t.end, t.word, t.entity])).toEqual([
      [0, 6, "Great.", "POSITIVE"],
      [7, 13, "Awful.", "NEGATIVE"],
    ]);
    expect(spans[0]).not.toHaveProperty("entityGroup");
    expect(await embeddings.classifyTokens("spans", "Great.", { threshold: 1.5 })).toEqual([]);
  });

  it("reads the first input token's NaN logprob, unary and streamed", async () => {
    // TGIS utils/tokens.py get_input_tokens_info: NaN for the first prompt token; caikit writes
    // it as a bare NaN over REST (Python json.dumps), a double NaN over gRPC.
    const params = { maxNewTokens: 2, inputTokens: true, tokenLogprobs: true };
    const r = await generation.generateText("flan", "Hello there", params);
    expect(Number.isNaN(r.inputTokens[0]?.logprob)).toBe(true);
    expect(r.inputTokens.slice(1).every((t) => t.logprob < 0)).toBe(true);
    const streamed = [];
    for await (const chunk of generation.generateTextStream("flan", "Hello there", params)) {
      streamed.push(...chunk.inputTokens);
    }
    expect(Number.isNaN(streamed[0]?.logprob)).toBe(true);
  });

  it("generates text, unary and streamed, with the same text", async () => {
    const params = { maxNewTokens: 4, minNewTokens: 4, generatedTokens: true };
    const r = await generation.generateText("flan", "Hello", params);
    expect(r).toMatchObject({ generatedTokens: 4, finishReason: "MAX_TOKENS" });
    expect(r.producerId).toEqual({ name: "Text Generation", version: "0.1.0" });
    expect(r.tokens).toHaveLength(4);
    const chunks = [];
    for await (const chunk of generation.generateTextStream("flan", "Hello", params))
      chunks.push(chunk);
    expect(chunks[0]?.details?.finishReason).toBe("NOT_FINISHED");
    expect(chunks.at(-1)?.details?.finishReason).toBe("MAX_TOKENS");
    expect(chunks.map((c) => c.generatedText).join("")).toBe(r.generatedText);
  });

  it("maps parameters by name (seed echoed, sampling)", async () => {
    const r = await generation.generateText("flan", "Hi", {
      decodingMethod: "SAMPLING",
      seed: 5,
      maxNewTokens: 2,
      exponentialDecayLengthPenalty: { startIndex: 1, decayFactor: 1.5 },
    });
    expect(r.seed).toBe(5n);
  });

  it("surfaces caikit's validation errors as ServingkitError", async () => {
    const error = await generation
      .generateText("flan", "x", { temperature: 0.01, decodingMethod: "SAMPLING" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServingkitError);
    expect((error as ServingkitError).code).toBe(Code.InvalidArgument);
    expect((error as ServingkitError).rawMessage).toContain("temperature must be >= 0.05");
  });

  it("throws a stream's error", async () => {
    const drain = async () => {
      for await (const _ of generation.generateTextStream("flan", "x", { maxNewTokens: 5000 })) {
        // an error arrives instead of results
      }
    };
    const error = await drain().catch((e: unknown) => e);
    expect((error as ServingkitError).rawMessage).toContain("max_new_tokens must be <= 1024");
  });

  it("tokenizes through TGIS", async () => {
    expect((await generation.tokenize("flan", "a b c")).tokenCount).toBeGreaterThan(0);
  });

  it("embeds, compares and reranks", async () => {
    const one = await embeddings.embedding("minilm", "hello world");
    expect(one.vector).toHaveLength(384);
    expect(one.producerId).toEqual({ name: "EmbeddingModule", version: "0.0.1" });
    const many = await embeddings.embeddings("minilm", ["a", "b"]);
    expect(many.vectors).toHaveLength(2);
    const similarity = await embeddings.sentenceSimilarity("minilm", "a cat", ["a cat", "stocks"]);
    expect(similarity.scores[0]).toBeGreaterThan(similarity.scores[1] ?? 1);
    const similarities = await embeddings.sentenceSimilarities("minilm", ["x", "y"], ["x"]);
    expect(similarities.results).toHaveLength(2);
    const ranked = await embeddings.rerank(
      "minilm",
      "cat mat",
      [{ text: "stocks" }, { text: "a cat on a mat" }],
      { topN: 1 },
    );
    expect(ranked.result.scores.map((s) => s.index)).toEqual([1]);
    expect(ranked.result.scores[0]?.document).toEqual({ text: "a cat on a mat" });
    const rankedMany = await embeddings.rerankMany("minilm", ["a", "b"], [{ text: "a" }]);
    expect(rankedMany.results).toHaveLength(2);
  });

  it("refuses an unknown model with NOT_FOUND", async () => {
    const error = await embeddings.embedding("nope", "x").catch((e: unknown) => e);
    expect((error as ServingkitError).code).toBe(Code.NotFound);
  });

  it("reads models and runtime info", async () => {
    const models = await embeddings.modelsInfo();
    expect(models.map((m) => m.name)).toEqual(["minilm", "sentiment", "spans"]);
    expect(models[0]?.moduleId).toBe("eeb12558-b4fa-4f34-a9fd-3f5890e9cd3f");
    expect((await generation.runtimeInfo()).pythonPackages.caikit).toBe("0.27.7");
  });
});
