import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ServingkitError } from "@servingkit/client-core";
import { defaultModelSpec } from "@servingkit/mock-core/engine";
import { type RunningMock, startMock } from "@servingkit/mock-core/host";
import { DecodingMethod } from "@servingkit/proto/fmaas";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTgisClient,
  ModelInfoResponse_ModelKind,
  StopReason,
  toProtoParameters,
} from "./index.js";
import { tgisMockModule } from "./mock.js";

describe("toProtoParameters", () => {
  it("leaves unset fields at the zero values TGIS reads as its defaults", () => {
    const p = toProtoParameters();
    expect(p.method).toBe(DecodingMethod.GREEDY);
    expect(p.stopping?.maxNewTokens).toBe(0);
    expect(p.stopping?.includeStopSequence).toBeUndefined();
    expect(p.sampling?.seed).toBeUndefined();
  });

  it("maps the flat object onto the nested messages", () => {
    const p = toProtoParameters({
      method: "sample",
      seed: 5,
      topK: 3,
      maxNewTokens: 7,
      stopSequences: ["."],
      includeStopSequence: false,
      generatedTokens: true,
      repetitionPenalty: 1.2,
      lengthPenalty: { startIndex: 2, decayFactor: 1.5 },
      truncateInputTokens: 9,
    });
    expect(p.method).toBe(DecodingMethod.SAMPLE);
    expect(p.sampling).toMatchObject({ seed: 5n, topK: 3 });
    expect(p.stopping).toMatchObject({
      maxNewTokens: 7,
      stopSequences: ["."],
      includeStopSequence: false,
    });
    expect(p.response?.generatedTokens).toBe(true);
    expect(p.decoding?.lengthPenalty).toMatchObject({ startIndex: 2, decayFactor: 1.5 });
    expect(p.truncateInputTokens).toBe(9);
  });
});

describe("createTgisClient against the TGIS mock (TLS and token)", () => {
  let mock: RunningMock;
  beforeAll(async () => {
    mock = await startMock({
      runtime: "tgis",
      host: "127.0.0.1",
      httpPort: 0,
      grpcPort: 0,
      tls: true,
      tokens: ["s3cret"],
      plugins: await tgisMockModule.plugins({ runtime: "tgis", models: [], values: {} }),
    });
  });
  afterAll(() => mock.close());

  const client = () =>
    createTgisClient({
      address: `https://${mock.endpoints.grpc}`,
      tls: { ca: mock.certificatePem ?? "" },
      token: "s3cret",
      maxRetries: 0,
    });

  it("generates, batched", async () => {
    const responses = await client().generate(["Hello world", "Hi"], {
      maxNewTokens: 5,
      minNewTokens: 5,
    });
    const spec = await defaultModelSpec();
    expect(responses.map((r) => r.inputTokenCount)).toEqual(
      ["Hello world", "Hi"].map((t) => spec.tokenizer.encode(t).length),
    );
    expect(responses.every((r) => r.generatedTokenCount === 5)).toBe(true);
    expect(responses[0]?.stopReason).toBe(StopReason.MAX_TOKENS);
  });

  it("streams as an AsyncIterable whose text adds up, and break cancels", async () => {
    const tgis = client();
    const messages = [];
    const params = { maxNewTokens: 3, minNewTokens: 3 };
    for await (const m of tgis.generateStream("Hello", params)) messages.push(m);
    expect(messages[0]?.inputTokenCount).toBeGreaterThan(0);
    expect(messages.at(-1)?.stopReason).toBe(StopReason.MAX_TOKENS);
    const [unary] = await tgis.generate("Hello", params);
    expect(messages.map((m) => m.text).join("")).toBe(unary?.text);
    for await (const _ of tgis.generateStream("Hello", { maxNewTokens: 100 })) break;
  });

  it("tokenizes and reads ModelInfo", async () => {
    const tgis = client();
    const [result] = await tgis.tokenize("a b", { returnTokens: true, truncateInputTokens: 2 });
    expect(result?.tokenCount).toBe(2);
    expect(result?.tokens).toHaveLength(2);
    const info = await tgis.modelInfo();
    expect(info.modelKind).toBe(ModelInfoResponse_ModelKind.DECODER_ONLY);
    // The built-in model's context length (config max_position_embeddings) is the default.
    expect(info.maxSequenceLength).toBe((await defaultModelSpec()).maxModelLen);
    expect(info.maxNewTokens).toBe(1024);
  });

  it("surfaces validation as ServingkitError INVALID_ARGUMENT with TGIS's text", async () => {
    const error = await client()
      .generate("x", { maxNewTokens: 5000 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServingkitError);
    expect((error as ServingkitError).code).toBe(Code.InvalidArgument);
    // caikit-tgis.md §3.4 with the launcher default of 1024.
    expect((error as ServingkitError).rawMessage).toBe("max_new_tokens must be <= 1024");
  });

  it("is refused without the token", async () => {
    const anonymous = createTgisClient({
      address: `https://${mock.endpoints.grpc}`,
      tls: { ca: mock.certificatePem ?? "" },
      maxRetries: 0,
    });
    const error = await anonymous.modelInfo().catch((e: unknown) => e);
    expect((error as ServingkitError).code).toBe(Code.Unauthenticated);
  });
});

describe("createTgisClient prefixId", () => {
  it("sends prefix_id: a known prefix generates, an unknown one fails with TGIS's text", async () => {
    // prompt_cache.py: prefixes live in $PREFIX_STORE_PATH/<id>/ (decoder.pt for a decoder-only
    // model); validation.rs PromptPrefix + server.py PrefixLookup for an unknown id.
    const store = mkdtempSync(join(tmpdir(), "tgis-client-prefix-"));
    mkdirSync(join(store, "tuned"));
    writeFileSync(join(store, "tuned", "decoder.pt"), "torch pickle");
    const previous = process.env.PREFIX_STORE_PATH;
    process.env.PREFIX_STORE_PATH = store;
    const mock = await startMock({
      runtime: "tgis",
      host: "127.0.0.1",
      httpPort: 0,
      grpcPort: 0,
      plugins: await tgisMockModule.plugins({ runtime: "tgis", models: [], values: {} }),
    });
    try {
      const tgis = createTgisClient({ address: mock.endpoints.grpc ?? "", maxRetries: 0 });
      const [answer] = await tgis.generate("Hi", { maxNewTokens: 2 }, { prefixId: "tuned" });
      expect(answer?.generatedTokenCount).toBeGreaterThan(0);
      const streamed = [];
      for await (const m of tgis.generateStream("Hi", { maxNewTokens: 2 }, { prefixId: "tuned" })) {
        streamed.push(m);
      }
      expect(streamed.at(-1)?.stopReason).not.toBe(StopReason.NOT_FINISHED);
      const error = await tgis.generate("Hi", {}, { prefixId: "nope" }).catch((e: unknown) => e);
      expect((error as ServingkitError).code).toBe(Code.InvalidArgument);
      expect((error as ServingkitError).rawMessage).toBe(
        `can't retrieve prompt prefix with id 'nope': prefix id "nope" not found`,
      );
    } finally {
      await mock.close();
      if (previous === undefined) delete process.env.PREFIX_STORE_PATH;
      else process.env.PREFIX_STORE_PATH = previous;
    }
  });
});
