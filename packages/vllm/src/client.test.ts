import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultModelDir } from "@servingkit/mock-core";
import { APIError } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createVllmClient, type VllmClient } from "./client.js";
import { ServingkitError } from "./index.js";
import { metricValue } from "./metrics-text.js";
import { openaiClient, startVllm, type TestServer } from "./mock/test-server.js";
import type { VllmChatExtras } from "./types.js";

describe("createVllmClient against the mock (behind a platform token)", () => {
  let server: TestServer;
  let client: VllmClient;
  beforeAll(async () => {
    server = await startVllm({ "served-model-name": "granite", "vllm-version": "0.11.0" }, [], {
      tokens: ["platform-token"],
    });
    client = createVllmClient({ baseUrl: server.url, token: "platform-token", maxRetries: 0 });
  });
  afterAll(async () => {
    await client.close();
    await server.close();
  });

  it("reads models, version and health", async () => {
    expect((await client.models()).map((m) => m.id)).toEqual(["granite"]);
    expect(await client.version()).toBe("0.11.0");
    expect(await client.health()).toBe(true);
  });

  // kserve-v2.md: the platform answers 401 before vLLM sees the request; health() reads any
  // answer but 200 as not healthy rather than throwing.
  it("reads health as false when the platform refuses the token", async () => {
    const stranger = createVllmClient({ baseUrl: server.url, token: "wrong", maxRetries: 0 });
    try {
      expect(await stranger.health()).toBe(false);
    } finally {
      await stranger.close();
    }
  });

  it("completes with vLLM's extra parameters", async () => {
    const answer = await client.completions({ prompt: "Hi", max_tokens: 5, ignore_eos: true });
    expect(answer.usage.completion_tokens).toBe(5);
    expect(answer.choices[0]?.finish_reason).toBe("length");
    expect(answer.choices[0]?.stop_reason).toBeNull();
  });

  it("streams chat chunks and stops early on break", async () => {
    const chunks = [];
    for await (const chunk of client.streamChatCompletions({
      messages: [{ role: "user", content: "Hi" }],
      max_tokens: 50,
      ignore_eos: true,
      stream_options: { include_usage: true },
    })) {
      chunks.push(chunk);
      if (chunks.length === 3) break;
    }
    expect(chunks[0]?.choices[0]?.delta.role).toBe("assistant");
    expect(chunks).toHaveLength(3);
  });

  it("streams completions to the usage chunk", async () => {
    const chunks = [];
    for await (const chunk of client.streamCompletions({
      prompt: "Hi",
      max_tokens: 3,
      ignore_eos: true,
      stream_options: { include_usage: true },
    })) {
      chunks.push(chunk);
    }
    expect(chunks.at(-1)?.choices).toEqual([]);
    expect(chunks.at(-1)?.usage?.completion_tokens).toBe(3);
  });

  // vllm-openai.md §8: counters agree with the requests served.
  it("reads /metrics parsed", async () => {
    const before = metricValue(await client.metrics(), "vllm:generation_tokens_total", {
      model_name: "granite",
    });
    await client.completions({ prompt: "Hi", max_tokens: 4, ignore_eos: true });
    const families = await client.metrics();
    const after = metricValue(families, "vllm:generation_tokens_total", { model_name: "granite" });
    expect((after ?? 0) - (before ?? 0)).toBe(4);
    expect(families.find((f) => f.family === "vllm:time_to_first_token_seconds")?.type).toBe(
      "histogram",
    );
    expect(metricValue(families, "vllm:e2e_request_latency_seconds_count")).toBeGreaterThan(0);
  });

  // The README's client example: the openai SDK for chat with vLLM's extras spread in (no cast),
  // the platform token as its API key (kserve-v2.md: Authorino answers 401 to a token it cannot
  // authenticate).
  it("composes with the openai SDK behind the token, as the README shows", async () => {
    const openai = openaiClient(server, "platform-token");
    const extra: VllmChatExtras = { top_k: 20, ignore_eos: true };
    const answer = await openai.chat.completions.create({
      model: "granite",
      messages: [{ role: "user", content: "Hello" }],
      max_tokens: 8,
      ...extra,
    });
    expect(answer.usage?.completion_tokens).toBe(8);
    const refused = await openaiClient(server, "wrong")
      .models.list()
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(APIError);
    expect((refused as APIError).status).toBe(401);
  });

  // vllm-openai.md §7: /tokenize takes the chat form too; the generation prompt adds tokens.
  it("tokenizes chat messages", async () => {
    const messages = [{ role: "user", content: "hello there" }];
    const bare = await client.tokenize({ messages, add_generation_prompt: false });
    const prompted = await client.tokenize({ messages });
    expect(prompted.count).toBeGreaterThan(bare.count);
    expect(prompted.tokens).toHaveLength(prompted.count);
  });

  it("tokenizes and detokenizes", async () => {
    const tokens = await client.tokenize({ prompt: "hello there", return_token_strs: true });
    expect(tokens.token_strs).toHaveLength(tokens.count);
    const back = await client.detokenize({ tokens: tokens.tokens });
    expect(back.prompt).toContain("hello there");
  });

  // vllm-openai.md §3: the unknown model 404 arrives as a ServingkitError with the text.
  it("throws ServingkitError with the status and vLLM's message", async () => {
    const error = await client
      .chatCompletions({ model: "nope", messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServingkitError);
    expect((error as ServingkitError).httpStatus).toBe(404);
    expect((error as ServingkitError).rawMessage).toContain("The model `nope` does not exist.");
  });
});

describe("createVllmClient streams left early", () => {
  let server: TestServer;
  let client: VllmClient;
  beforeAll(async () => {
    server = await startVllm({ "served-model-name": "granite", "inter-token-latency": "20" });
    client = createVllmClient({ baseUrl: server.url, maxRetries: 0 });
  });
  afterAll(async () => {
    await client.close();
    await server.close();
  });

  // vllm-openai.md §9: a client disconnect aborts the request; §8: it counts under
  // vllm:request_success_total{finished_reason="abort"}. `break` out of the loop closes the HTTP stream.
  it("aborts the request on break", async () => {
    const aborted = async () =>
      metricValue(await client.metrics(), "vllm:request_success_total", {
        finished_reason: "abort",
      }) ?? 0;
    const before = await aborted();
    let seen = 0;
    for await (const _chunk of client.streamChatCompletions({
      messages: [{ role: "user", content: "Hi" }],
      max_tokens: 1000,
      ignore_eos: true,
    })) {
      seen += 1;
      if (seen === 3) break;
    }
    // Generous bound: 1000 tokens at 20 ms would take 20 s; the abort lands in well under 5 s.
    for (let i = 0; i < 50 && (await aborted()) === before; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await aborted()).toBe(before + 1);
    const running = metricValue(await client.metrics(), "vllm:num_requests_running");
    expect(running).toBe(0);
  });
});

/** A ServingkitError's status and vLLM's message, for a call expected to fail. */
async function failure(call: Promise<unknown>): Promise<{ status: number; message: string }> {
  const error = await call.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ServingkitError);
  const typed = error as ServingkitError;
  return { status: typed.httpStatus ?? 0, message: typed.rawMessage ?? "" };
}

describe("createVllmClient's pooled routes behind a platform token", () => {
  const servers: TestServer[] = [];
  const clients: VllmClient[] = [];
  /** Starts a mock behind the token and a client holding it. */
  async function serve(values: Record<string, string>): Promise<VllmClient> {
    const server = await startVllm(values, [], { tokens: ["platform-token"] });
    servers.push(server);
    const client = createVllmClient({
      baseUrl: server.url,
      token: "platform-token",
      maxRetries: 0,
    });
    clients.push(client);
    return client;
  }
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(servers.map((s) => s.close()));
  });

  // vllm-openai.md §1, §5 (mock scoring.ts): text_2 scored against one text_1, higher for shared
  // words; rerank sorts the documents by the same score, top_n cuts. On the default 0.12.0
  // `--task score` serves the checkpoint as an embedder (vllm/config/model.py _task_to_convert),
  // so the score is the embeddings' cosine.
  it("scores and reranks on a scoring model", async () => {
    const client = await serve({ "served-model-name": "ranker", task: "score" });
    const scored = await client.score({
      model: "ranker",
      text_1: "the cat sat on the mat",
      text_2: ["the cat sat", "stock prices fell sharply"],
    });
    expect(scored.id).toMatch(/^score-/);
    expect(scored.model).toBe("ranker");
    expect(scored.data.map((d) => [d.index, d.object])).toEqual([
      [0, "score"],
      [1, "score"],
    ]);
    const [cat, stocks] = scored.data.map((d) => d.score);
    expect(cat).toBeGreaterThan(stocks ?? 1);
    for (const d of scored.data) expect(d.score).toBeGreaterThanOrEqual(0);
    expect(scored.usage.prompt_tokens).toBeGreaterThan(0);
    expect(scored.usage.completion_tokens).toBe(0);

    const ranked = await client.rerank({
      query: "the cat sat on the mat",
      documents: ["stock prices fell sharply", "the cat sat"],
      top_n: 1,
    });
    expect(ranked.id).toMatch(/^rerank-/);
    expect(ranked.results).toHaveLength(1);
    expect(ranked.results[0]?.index).toBe(1);
    expect(ranked.results[0]?.document.text).toBe("the cat sat");
    expect(ranked.results[0]?.relevance_score).toBeCloseTo(cat ?? 0, 10);

    // mock scoring.ts score: pairwise lists of different lengths are vLLM's 400.
    const uneven = await failure(client.score({ text_1: ["a", "b"], text_2: ["a", "b", "c"] }));
    expect(uneven.status).toBe(400);
    expect(uneven.message).toContain("text_1 and text_2 must be lists of the same length");
  });

  // vllm-openai.md §1 (mock scoring.ts supportsScore): from 0.8.0 an embedding model scores as a
  // bi-encoder (serving_score.py _embedding_score: the cosine of the two embeddings, so a text
  // against itself is 1); its /pooling answers the embedding vectors, float or base64.
  it("scores and pools on an embedding model", async () => {
    const client = await serve({ "served-model-name": "embedder", task: "embed" });
    const same = await client.score({ text_1: "hello there", text_2: "hello there" });
    expect(same.data[0]?.score).toBeCloseTo(1, 6);

    const pooled = await client.pooling({ input: ["the cat sat", "stock prices fell"] });
    expect(pooled.id).toMatch(/^pool-/);
    expect(pooled.data.map((d) => d.object)).toEqual(["pooling", "pooling"]);
    const vector = pooled.data[0]?.data as number[];
    // The embed pooler normalizes by default: unit length.
    expect(Math.hypot(...vector)).toBeCloseTo(1, 6);
    const encoded = await client.pooling({ input: "the cat sat", encoding_format: "base64" });
    const bytes = Buffer.from(encoded.data[0]?.data as string, "base64");
    const floats = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    expect(floats).toHaveLength(vector.length);
    expect(floats[0]).toBeCloseTo(vector[0] ?? 0, 6);
  });

  // vLLM's cross-encoder (mock scoring.ts): a one-label classifier's score is its pair logit
  // through the sigmoid; ScoreRequest / RerankRequest use_activation false (protocol.py
  // score-extra-params, rerank-extra-params) answers the raw logit, which the sigmoid maps back.
  it("scores a one-label cross-encoder with and without its activation", async () => {
    const dir = await mkdtemp(join(tmpdir(), "vllm-cross-encoder-"));
    try {
      await cp(defaultModelDir, dir, { recursive: true });
      const config = JSON.parse(await readFile(join(dir, "config.json"), "utf8"));
      const head = { architectures: ["BertForSequenceClassification"], num_labels: 1 };
      await writeFile(join(dir, "config.json"), JSON.stringify(Object.assign(config, head)));
      const server = await startVllm({ model: dir, "vllm-version": "0.17.0" }, [dir], {
        tokens: ["platform-token"],
      });
      servers.push(server);
      const client = createVllmClient({ baseUrl: server.url, token: "platform-token" });
      clients.push(client);
      const request = { text_1: "garden tomatoes", text_2: ["tomatoes in the garden", "trains"] };
      const scored = await client.score(request);
      const raw = await client.score({ ...request, use_activation: false });
      const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
      for (const [i, d] of scored.data.entries()) {
        expect(d.score).toBeCloseTo(sigmoid(raw.data[i]?.score ?? 0), 12);
      }
      expect(raw.data[1]?.score).toBeLessThan(0);
      const ranked = await client.rerank({
        query: "garden tomatoes",
        documents: ["trains", "tomatoes in the garden"],
        activation: false,
      });
      expect(ranked.results[0]?.document.text).toBe("tomatoes in the garden");
      expect(ranked.results[0]?.relevance_score).toBeCloseTo(raw.data[0]?.score ?? 0, 12);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  // protocol.py ClassificationResponse (mock classification.ts): per input a label, the class
  // probabilities summing to 1 and num_classes; use_activation false (0.11.1+, vLLM PR #25524)
  // answers the raw logits; /pooling of a classifier answers the same probabilities.
  it("classifies and pools on a classifier (0.11.1)", async () => {
    const client = await serve({ task: "classify", "vllm-version": "0.11.1" });
    const answer = await client.classify({ input: ["hello there", "goodbye"] });
    expect(answer.id).toMatch(/^classify-/);
    expect(answer.data).toHaveLength(2);
    const first = answer.data[0];
    expect(first?.num_classes).toBe(2);
    expect(["LABEL_0", "LABEL_1"]).toContain(first?.label);
    expect((first?.probs ?? []).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    const raw = await client.classify({ input: "hello there", use_activation: false });
    expect(raw.data[0]?.probs.reduce((a, b) => a + b, 0)).not.toBeCloseTo(1, 3);
    const pooled = await client.pooling({ input: "hello there" });
    expect(pooled.data[0]?.data).toEqual(first?.probs);
    // serving_classification.py _preprocess: an empty string input is a 400.
    const empty = await failure(client.classify({ input: "" }));
    expect(empty).toEqual({ status: 400, message: "Input cannot be empty for classification" });
  });

  // mock chat-batch.ts (vLLM PR #38011, v0.19.0): one chat.completion, choice i answering
  // conversation i, usage summed; check_batch_mode refuses n > 1 with a 400.
  it("answers a chat batch (0.19.0)", async () => {
    const client = await serve({ "served-model-name": "granite", "vllm-version": "0.19.0" });
    const answer = await client.chatBatch({
      messages: [[{ role: "user", content: "one" }], [{ role: "user", content: "two three" }]],
      max_tokens: 3,
      ignore_eos: true,
    });
    expect(answer.object).toBe("chat.completion");
    expect(answer.choices.map((c) => c.index)).toEqual([0, 1]);
    expect(answer.choices.every((c) => c.finish_reason === "length")).toBe(true);
    expect(answer.usage.completion_tokens).toBe(6);
    const refused = await failure(
      client.chatBatch({
        messages: [[{ role: "user", content: "one" }]],
        // The type allows only 1; a caller casting past it gets the server's refusal.
        n: 2 as 1,
      }),
    );
    expect(refused.status).toBe(400);
    expect(refused.message).toContain("Batch chat completions do not support `n > 1`");
  });

  // vllm-openai.md §1: a release before a route has no such route (FastAPI's 404): /pooling
  // before 0.6.6 (PR #11457), /classify before 0.9.0 (PR #17032), the chat batch before 0.19.0.
  it("surfaces a release before the route as a 404 ServingkitError", async () => {
    const classifyOld = await serve({ "vllm-version": "0.8.5" });
    expect((await failure(classifyOld.classify({ input: "x" }))).status).toBe(404);
    const poolingOld = await serve({ "vllm-version": "0.6.5" });
    expect((await failure(poolingOld.pooling({ input: "x" }))).status).toBe(404);
    const batchOld = await serve({ "vllm-version": "0.18.1" });
    const batch = { messages: [[{ role: "user", content: "x" }]] };
    expect((await failure(batchOld.chatBatch(batch))).status).toBe(404);
  });

  // mock vllm-plugin.ts: up to 0.15.x every model has the pooled routes and a generative model's
  // handler answers the does-not-support 400 (api_server.py create_score / create_pooling).
  it("surfaces a model without the task as vLLM's 400 (404 from 0.16.0)", async () => {
    const client = await serve({ "served-model-name": "granite", "vllm-version": "0.11.0" });
    const score = await failure(client.score({ text_1: "a", text_2: "b" }));
    expect(score).toEqual({ status: 400, message: "The model does not support Score API" });
    const pooled = await failure(client.pooling({ input: "a" }));
    expect(pooled).toEqual({ status: 400, message: "The model does not support Pooling API" });
    // mock pooling.ts routesByTaskSince: from 0.16.0 build_app registers a pooling route only for
    // a model serving its task, so a generative model's call is FastAPI's 404.
    const newer = await serve({ "served-model-name": "granite", "vllm-version": "0.16.0" });
    expect((await failure(newer.score({ text_1: "a", text_2: "b" }))).status).toBe(404);
    expect((await failure(newer.pooling({ input: "a" }))).status).toBe(404);
  });

  // kserve-v2.md: the platform answers 401 to a token it cannot authenticate, before vLLM.
  it("surfaces the platform's 401 on a wrong token", async () => {
    const server = servers[0];
    if (server === undefined) throw new Error("no server started");
    const stranger = createVllmClient({ baseUrl: server.url, token: "wrong", maxRetries: 0 });
    clients.push(stranger);
    expect((await failure(stranger.rerank({ query: "q", documents: ["d"] }))).status).toBe(401);
  });
});
