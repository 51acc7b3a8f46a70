import { rm } from "node:fs/promises";
import type OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createVllmClient } from "./client.js";
import {
  openaiClient,
  startVllm,
  type TestServer,
  thinkingSwitchModelDir,
} from "./mock/test-server.js";
import { type ChatChunkLike, reasoningDeltas, reasoningOf } from "./reasoning.js";
import type { VllmChatExtras } from "./types.js";

async function* fromArray(chunks: readonly ChatChunkLike[]): AsyncGenerator<ChatChunkLike> {
  yield* chunks;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const question: OpenAI.ChatCompletionMessageParam[] = [
  { role: "user", content: "Is 9.11 bigger than 9.8?" },
];

describe("reasoningOf", () => {
  // vLLM docs reasoning_outputs.md (v0.10): message.reasoning_content; (v0.11.2): `reasoning`,
  // "reasoning used to be called reasoning_content"; vLLM PR #27752 copies one into the other,
  // PR #33402 removes reasoning_content.
  it("takes whichever field the release sent", () => {
    expect(reasoningOf({ content: "a", reasoning_content: "r" })).toBe("r");
    expect(reasoningOf({ content: "a", reasoning: "r", reasoning_content: "r" })).toBe("r");
    expect(reasoningOf({ content: "a", reasoning: "r" })).toBe("r");
  });

  it("answers null when no field holds text", () => {
    expect(reasoningOf({ role: "assistant", content: "", reasoning_content: null })).toBeNull();
    expect(reasoningOf({ reasoning: null, reasoning_content: null })).toBeNull();
    expect(reasoningOf({ content: "a" })).toBeNull();
    expect(reasoningOf(null)).toBeNull();
    expect(reasoningOf(undefined)).toBeNull();
    expect(reasoningOf({ reasoning: 3, reasoning_content: ["x"] })).toBeNull();
  });
});

describe("reasoningDeltas", () => {
  // The 0.12 stream shape (vLLM PR #27752: reasoning_content on every delta, null outside the
  // thinking); the delta holding </think> carries both texts; usage chunk has no choices.
  it("splits deltas, skips the ones without text and keeps choices apart", async () => {
    const deltas = await collect(
      reasoningDeltas(
        fromArray([
          {
            choices: [
              { index: 0, delta: { role: "assistant", content: "", reasoning_content: null } },
            ],
          },
          { choices: [{ index: 0, delta: { reasoning: "Hm", reasoning_content: "Hm" } }] },
          { choices: [{ index: 1, delta: { reasoning_content: "Ok" } }] },
          { choices: [{ index: 0, delta: { reasoning: ".", content: "\n\nYes" } }] },
          { choices: [{ index: 0, delta: { content: null, reasoning_content: null } }] },
          {
            choices: [
              { index: 0, delta: {} },
              { index: 1, delta: null },
            ],
          },
          { choices: [] },
        ]),
      ),
    );
    expect(deltas).toEqual([
      { index: 0, reasoning: "Hm", content: "" },
      { index: 1, reasoning: "Ok", content: "" },
      { index: 0, reasoning: ".", content: "\n\nYes" },
    ]);
  });
});

/** Joins each field of a choice's deltas. */
function joined(
  deltas: readonly { index: number; reasoning: string; content: string }[],
  index = 0,
) {
  const mine = deltas.filter((d) => d.index === index);
  return {
    reasoning: mine.map((d) => d.reasoning).join(""),
    content: mine.map((d) => d.content).join(""),
  };
}

// vLLM docs reasoning_outputs.md and examples openai_chat_completion_with_reasoning(_streaming).py:
// the thinking in the message's (delta's) reasoning field, the answer in content; the field's
// name by release as vLLM PR #27752 (both, ≈0.11.1) and PR #33402 (reasoning alone, ≈0.16) left it.
describe.each([
  ["0.10.2", ["reasoning_content"]],
  ["0.12.0", ["reasoning", "reasoning_content"]],
  ["0.16.0", ["reasoning"]],
])("reasoning with the openai SDK, --vllm-version %s", (version, fields) => {
  let server: TestServer;
  let client: OpenAI;
  beforeAll(async () => {
    server = await startVllm({
      "served-model-name": "r1",
      "reasoning-parser": "deepseek_r1",
      "vllm-version": version,
    });
    client = openaiClient(server);
  });
  afterAll(() => server.close());

  it("reads the reasoning of a whole answer", async () => {
    const answer = await client.chat.completions.create({
      model: "r1",
      messages: question,
      seed: 3,
    });
    const message = answer.choices[0]?.message;
    for (const field of fields) expect(message).toHaveProperty(field);
    const reasoning = reasoningOf(message);
    expect(reasoning?.length).toBeGreaterThan(10);
    expect(reasoning).not.toContain("think>");
    expect(message?.content?.length).toBeGreaterThan(0);
  });

  it("streams reasoning, then content, joining to the whole answer", async () => {
    const whole = (
      await client.chat.completions.create({ model: "r1", messages: question, seed: 4 })
    ).choices[0]?.message;
    const stream = await client.chat.completions.create({
      model: "r1",
      messages: question,
      seed: 4,
      stream: true,
    });
    const deltas = await collect(reasoningDeltas(stream));
    expect(joined(deltas)).toEqual({ reasoning: reasoningOf(whole), content: whole?.content });
    const firstContent = deltas.findIndex((d) => d.content !== "");
    expect(firstContent).toBeGreaterThan(0);
    expect(deltas.slice(firstContent + 1).every((d) => d.reasoning === "")).toBe(true);
  });

  // openai-node's ChatCompletionStream assigns delta keys it does not know onto the message
  // (lib/ChatCompletionStream.js: assignOwnProperties(choice.message, rest)): the last delta's
  // value wins, so finalChatCompletion() does not hold the streamed reasoning; the deltas do.
  it("gathers what the SDK's stream helper loses", async () => {
    const runner = client.chat.completions.stream({ model: "r1", messages: question, seed: 5 });
    const deltas = await collect(reasoningDeltas(runner));
    const final = await runner.finalChatCompletion();
    const streamed = joined(deltas);
    expect(final.choices[0]?.message.content).toBe(streamed.content);
    expect(streamed.reasoning.length).toBeGreaterThan(10);
    expect(reasoningOf(final.choices[0]?.message)).not.toBe(streamed.reasoning);
  });

  it("reads n = 2 streams choice by choice", async () => {
    const stream = await client.chat.completions.create({
      model: "r1",
      messages: question,
      seed: 6,
      n: 2,
      stream: true,
    });
    const deltas = await collect(reasoningDeltas(stream));
    const whole = await client.chat.completions.create({
      model: "r1",
      messages: question,
      seed: 6,
      n: 2,
    });
    for (const index of [0, 1]) {
      const message = whole.choices[index]?.message;
      expect(joined(deltas, index)).toEqual({
        reasoning: reasoningOf(message),
        content: message?.content,
      });
    }
  });

  it("works over this package's client stream too", async () => {
    const vllm = createVllmClient({ baseUrl: server.url, maxRetries: 0 });
    try {
      const request = { messages: [{ role: "user", content: "Hi" }], seed: 7 };
      const whole = (await vllm.chatCompletions(request)).choices[0]?.message;
      const deltas = await collect(reasoningDeltas(vllm.streamChatCompletions(request)));
      expect(joined(deltas)).toEqual({ reasoning: reasoningOf(whole), content: whole?.content });
    } finally {
      await vllm.close();
    }
  });
});

describe("VllmChatExtras with the openai SDK (Qwen3-style template, --reasoning-parser qwen3)", () => {
  let dir: string;
  let server: TestServer;
  let client: OpenAI;
  beforeAll(async () => {
    // A model whose template reads enable_thinking as Qwen3's does (test-server.ts).
    dir = await thinkingSwitchModelDir();
    server = await startVllm(
      { "reasoning-parser": "qwen3", "served-model-name": "qwen", "vllm-version": "0.12.0" },
      [dir],
    );
    client = openaiClient(server);
  });
  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  // vLLM docs reasoning_outputs.md: "The reasoning feature for the Qwen3 series is enabled by
  // default. To disable it, you must pass enable_thinking=False in your chat_template_kwargs."
  // The extras spread into the SDK's params with no cast: openai-node sends them as given.
  it("turns Qwen3's thinking off through chat_template_kwargs", async () => {
    const base = { model: "qwen", messages: question, seed: 1 };
    const thinking = await client.chat.completions.create(base);
    expect(reasoningOf(thinking.choices[0]?.message)?.length).toBeGreaterThan(0);
    const off: VllmChatExtras = { chat_template_kwargs: { enable_thinking: false }, top_k: 20 };
    const plain = await client.chat.completions.create({ ...base, ...off });
    expect(reasoningOf(plain.choices[0]?.message)).toBeNull();
    expect(plain.choices[0]?.message.content).not.toMatch(/think>/);
    expect(plain.usage?.prompt_tokens).toBeGreaterThan(thinking.usage?.prompt_tokens ?? 0);
  });

  // vllm-openai.md §4.1: vLLM's sampling extras ride in the same params (ignore_eos here).
  it("sends the sampling extras with them", async () => {
    const extras: VllmChatExtras = {
      ignore_eos: true,
      chat_template_kwargs: { enable_thinking: false },
    };
    const answer = await client.chat.completions.create({
      model: "qwen",
      messages: question,
      max_tokens: 40,
      ...extras,
    });
    expect(answer.usage?.completion_tokens).toBe(40);
    expect(answer.choices[0]?.finish_reason).toBe("length");
  });
});

// mock README "Chunks per engine step" (vllm output_processor.py, PR #27869): under --gpu with
// --stream-interval 4 a chunk carries up to 4 tokens, so one delta can hold the end of the
// thinking and the start of the answer (serving_chat.py passes the parser's split of it).
describe("reasoningDeltas over multi-token chunks (--gpu, --stream-interval 4)", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({
      "served-model-name": "r1",
      "reasoning-parser": "deepseek_r1",
      "vllm-version": "0.12.0",
      gpu: "h100-80gb",
      "time-scale": "1000",
      "max-model-len": "2000",
      "stream-interval": "4",
    });
  });
  afterAll(() => server.close());

  it("joins to the whole answer's fields", async () => {
    const client = openaiClient(server);
    for (const seed of [1, 2, 3]) {
      const base = { model: "r1", messages: question, seed };
      const answer = await client.chat.completions.create(base);
      const whole = answer.choices[0]?.message;
      const stream = await client.chat.completions.create({ ...base, stream: true });
      const deltas = await collect(reasoningDeltas(stream));
      expect(joined(deltas)).toEqual({ reasoning: reasoningOf(whole), content: whole?.content });
      // Several tokens per delta: fewer than half as many deltas as tokens.
      expect(deltas.length * 2).toBeLessThan(answer.usage?.completion_tokens ?? 0);
    }
  });
});
