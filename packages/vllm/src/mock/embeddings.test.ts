/**
 * `/v1/embeddings` (vllm-openai.md §1, §5; seeds: "a generative model cannot use the embeddings
 * endpoint"), driven by the official openai SDK.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openaiClient, startVllm, type TestServer } from "./test-server.js";

function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  for (let i = 0; i < a.length; i += 1) dot += (a[i] ?? 0) * (b[i] ?? 0);
  return dot / (Math.hypot(...a) * Math.hypot(...b));
}

describe("an embedding model", () => {
  let server: TestServer;
  let client: OpenAI;
  beforeAll(async () => {
    server = await startVllm({
      "served-model-name": "embedder",
      task: "embed",
      "max-model-len": "64",
    });
    client = openaiClient(server);
  });
  afterAll(() => server.close());

  it("embeds deterministically, sharing words scores higher", async () => {
    const answer = await client.embeddings.create({
      model: "embedder",
      input: ["the cat sat on the mat", "a cat sat on a mat", "stock prices fell sharply"],
      encoding_format: "float",
    });
    expect(answer.object).toBe("list");
    expect(answer.data.map((d) => d.index)).toEqual([0, 1, 2]);
    const [a, b, c] = answer.data.map((d) => d.embedding);
    expect(cosine(a ?? [], b ?? [])).toBeGreaterThan(cosine(a ?? [], c ?? []));
    const again = await client.embeddings.create({
      model: "embedder",
      input: "the cat sat on the mat",
      encoding_format: "float",
    });
    expect(again.data[0]?.embedding).toEqual(a);
    expect(answer.usage.prompt_tokens).toBeGreaterThan(0);
    expect(answer.usage.total_tokens).toBe(answer.usage.prompt_tokens);
  });

  // vllm-openai.md §5: encoding_format base64 = little-endian float32.
  it("encodes base64 as float32", async () => {
    const raw = await fetch(`${server.url}/v1/embeddings`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ input: "hello world", encoding_format: "base64" }),
    });
    const body = await raw.json();
    const floats = new Float32Array(
      new Uint8Array(Buffer.from(body.data[0].embedding, "base64")).buffer,
    );
    const plain = await client.embeddings.create({
      input: "hello world",
      model: "embedder",
      encoding_format: "float",
    });
    expect(floats.length).toBe(plain.data[0]?.embedding.length);
    expect(floats[0]).toBeCloseTo(plain.data[0]?.embedding[0] ?? 0, 6);
  });

  // vllm-openai.md §3.2: dimensions on a non-Matryoshka model.
  it("refuses dimensions on a non-Matryoshka model", async () => {
    const error = await client.embeddings
      .create({ model: "embedder", input: "x", dimensions: 8 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(String((error as Error).message)).toContain(
      'Model "embedder" does not support matryoshka representation',
    );
  });

  // vllm-openai.md §3: an embedding model does not serve chat.
  it("answers chat with does not support", async () => {
    const error = await client.chat.completions
      .create({ model: "embedder", messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(String((error as Error).message)).toContain(
      "The model does not support Chat Completions API",
    );
  });

  // vllm-openai.md §3.1: embedding inputs may fill max_model_len, not more.
  it("refuses input over max_model_len", async () => {
    const error = await client.embeddings
      .create({ model: "embedder", input: "word ".repeat(100) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
  });
});

describe("a generative model", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm();
  });
  afterAll(() => server.close());

  // vllm-openai.md §1: 400 "The model does not support Embeddings API".
  it("answers /v1/embeddings with does not support", async () => {
    const client = openaiClient(server);
    const error = await client.embeddings
      .create({ model: "x", input: "hi" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(String((error as Error).message)).toContain("The model does not support Embeddings API");
  });
});

/** `vllm:request_success_total{finished_reason="stop"}` and `vllm:prompt_tokens_total` now. */
async function pooledCounters(url: string): Promise<{ stop: number; prompt: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const stop = /^vllm:request_success_total\{[^}]*finished_reason="stop"[^}]*\} (\S+)$/m.exec(text);
  const prompt = /^vllm:prompt_tokens_total\{[^}]*\} (\S+)$/m.exec(text);
  return { stop: Number(stop?.[1]), prompt: Number(prompt?.[1]) };
}

describe("an embedding model's /metrics", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({ "served-model-name": "embedder", task: "embed" });
  });
  afterAll(() => server.close());

  // serving_engine.py sends each embedded input to the engine as its own request (`request_id-i`)
  // and v1/engine/output_processor.py computes stats for pooling outputs: one stop per input.
  it("counts each embedded input as one finished request, a refused body as none", async () => {
    const before = await pooledCounters(server.url);
    const response = await fetch(`${server.url}/v1/embeddings`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ input: ["one text", "two texts here", "three"] }),
    });
    const body = (await response.json()) as { usage: { prompt_tokens: number } };
    const refused = await fetch(`${server.url}/v1/embeddings`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ input: "x", encoding_format: "hex" }),
    });
    expect(refused.status).toBe(400);
    const after = await pooledCounters(server.url);
    expect(after.stop - before.stop).toBe(3);
    expect(after.prompt - before.prompt).toBe(body.usage.prompt_tokens);
  });
});

describe("--runner pooling on a generative checkpoint", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({
      "served-model-name": "converted",
      runner: "pooling",
      "vllm-version": "0.11.0",
    });
  });
  afterAll(() => server.close());

  // docs v0.11.2 models/pooling_models "Model Conversion": a pooling runner adapts a checkpoint
  // that is no pooling model (as_embedding_model); it serves embeddings, not completions.
  it("serves /v1/embeddings and refuses chat completions", async () => {
    const embedded = await fetch(`${server.url}/v1/embeddings`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ input: "a converted checkpoint" }),
    });
    expect(embedded.status).toBe(200);
    const body = (await embedded.json()) as { data: { object: string }[] };
    expect(body.data[0]?.object).toBe("embedding");
    const chat = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ role: "user", content: "hi" }] }),
    });
    expect(chat.status).toBe(400);
  });

  // vLLM PR #21470: --runner arrived in 0.10.1; 0.10.0's argparse refuses it at start-up.
  it("is refused at start-up before 0.10.1", async () => {
    await expect(startVllm({ runner: "pooling", "vllm-version": "0.10.0" })).rejects.toThrow(
      "unrecognized arguments: --runner",
    );
  });
});

describe("normalize and use_activation on /v1/embeddings, by release", () => {
  const servers: TestServer[] = [];
  afterAll(() => {
    for (const server of servers) server.close();
  });
  async function embedder(version: string): Promise<OpenAI> {
    // --task is argparse's unknown from 0.13.0: later releases convert with --runner pooling.
    const flags = version < "0.13.0" ? { task: "embed" } : { runner: "pooling" };
    const server = await startVllm({ ...flags, "vllm-version": version });
    servers.push(server);
    return openaiClient(server);
  }
  /** The embedding of "the cat sat" with the extra body fields vLLM reads. */
  async function embed(client: OpenAI, extra: Record<string, unknown> = {}): Promise<number[]> {
    const answer = await client.embeddings.create({
      input: "the cat sat",
      model: "",
      encoding_format: "float",
      ...extra,
    } as OpenAI.EmbeddingCreateParams);
    return answer.data[0]?.embedding ?? [];
  }
  const norm = (v: readonly number[]) => Math.hypot(...v);

  // vLLM PR #20538 (PoolingParams normalize for embed models; xorbitsai/inference PR #4000: new in
  // 0.10.1): normalize false answers the pooled hidden state, same direction, not unit length.
  it("answers the raw vector for normalize false from 0.10.1, unit vectors before", async () => {
    const client = await embedder("0.12.0");
    const unit = await embed(client);
    const raw = await embed(client, { normalize: false });
    expect(norm(unit)).toBeCloseTo(1, 5);
    expect(norm(raw)).toBeGreaterThan(2);
    expect(cosine(unit, raw)).toBeCloseTo(1, 5);
    expect(await embed(client, { normalize: true })).toEqual(unit);
    // 0.11.1-0.16.x: use_activation is a classify field; the embed request lets it pass unread.
    expect(await embed(client, { use_activation: false })).toEqual(unit);
    const older = await embedder("0.10.0");
    expect(norm(await embed(older, { normalize: false }))).toBeCloseTo(1, 5);
  });

  // vllm/config/pooler.py get_use_activation (normalize first, then use_activation; "`normalize`
  // is deprecated"); xorbitsai/inference issue #4721 / PR #4729: vLLM > 0.16 embeds with
  // use_activation.
  it("reads use_activation from 0.17.0, normalize first", async () => {
    const client = await embedder("0.17.0");
    const unit = await embed(client);
    expect(norm(await embed(client, { use_activation: false }))).toBeGreaterThan(2);
    expect(norm(await embed(client, { normalize: false }))).toBeGreaterThan(2);
    expect(await embed(client, { normalize: true, use_activation: false })).toEqual(unit);
  });

  // pydantic: normalize is `bool | None`; a string of letters is its bool_parsing issue.
  it("refuses a normalize that is no boolean", async () => {
    const client = await embedder("0.12.0");
    await expect(embed(client, { normalize: "maybe" })).rejects.toMatchObject({ status: 400 });
  });
});
