import { ServingkitError } from "@servingkit/client-core";
import { APIError } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createVllmClient, type VllmClient } from "./client.js";
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
