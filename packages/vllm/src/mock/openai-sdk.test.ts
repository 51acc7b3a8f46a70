/**
 * The mock driven by the official `openai` npm SDK, as users of vLLM's OpenAI-compatible server
 * drive it (vllm-openai.md §4-§6).
 */
import OpenAI, { type APIError } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openaiClient, startVllm, type TestServer } from "./test-server.js";

describe("openai SDK against the vLLM mock", () => {
  let server: TestServer;
  let client: OpenAI;
  beforeAll(async () => {
    server = await startVllm({ "served-model-name": "granite" });
    client = openaiClient(server);
  });
  afterAll(() => server.close());

  it("lists the served model", async () => {
    const page = await client.models.list();
    expect(page.data.map((m) => m.id)).toEqual(["granite"]);
  });

  // vllm-openai.md §5: chat.completion with usage and finish_reason.
  it("answers a chat completion", async () => {
    const answer = await client.chat.completions.create({
      model: "granite",
      messages: [{ role: "user", content: "Say hello" }],
      max_tokens: 8,
      seed: 7,
    });
    expect(answer.object).toBe("chat.completion");
    expect(answer.id).toMatch(/^chatcmpl-/);
    expect(answer.model).toBe("granite");
    const choice = answer.choices[0];
    expect(choice?.message.role).toBe("assistant");
    expect(typeof choice?.message.content).toBe("string");
    expect(["stop", "length"]).toContain(choice?.finish_reason);
    expect(answer.usage?.completion_tokens).toBeGreaterThan(0);
    expect(answer.usage?.completion_tokens).toBeLessThanOrEqual(8);
    expect(answer.usage?.total_tokens).toBe(
      (answer.usage?.prompt_tokens ?? 0) + (answer.usage?.completion_tokens ?? 0),
    );
  });

  it("answers a completion with the default of 16 tokens", async () => {
    // vllm-openai.md §4.2: completions max_tokens defaults to 16.
    const answer = await client.completions.create({
      model: "granite",
      prompt: "Once upon a time",
      seed: 1,
      // openai-node sends unknown params as given (it has no extra_body): vLLM reads them.
      ignore_eos: true,
    } as OpenAI.CompletionCreateParamsNonStreaming);
    expect(answer.object).toBe("text_completion");
    expect(answer.usage?.completion_tokens).toBe(16);
    expect(answer.choices[0]?.finish_reason).toBe("length");
  });

  // vllm-openai.md §4.1: vLLM's extra sampling params (ignore_eos here) travel in the params
  // object; without it the same seed ends at EOS well before max_tokens.
  it("applies vLLM's extra params sent through the SDK", async () => {
    const base = { model: "granite", prompt: "x", max_tokens: 100, seed: 1 };
    const natural = await client.completions.create(base);
    expect(natural.choices[0]?.finish_reason).toBe("stop");
    expect(natural.usage?.completion_tokens).toBeLessThan(100);
    const forced = await client.completions.create({
      ...base,
      ignore_eos: true,
    } as OpenAI.CompletionCreateParamsNonStreaming);
    expect(forced.usage?.completion_tokens).toBe(100);
    expect(forced.choices[0]?.finish_reason).toBe("length");
  });

  it("is deterministic for a seed", async () => {
    const ask = () =>
      client.completions.create({ model: "granite", prompt: "The sky", max_tokens: 12, seed: 42 });
    const [a, b] = await Promise.all([ask(), ask()]);
    expect(a.choices[0]?.text).toBe(b.choices[0]?.text);
  });

  // vllm-openai.md §6: role chunk first, deltas, finish chunk, usage chunk with choices: [].
  it("streams a chat completion with usage", async () => {
    const stream = await client.chat.completions.create({
      model: "granite",
      messages: [{ role: "user", content: "Tell me a story" }],
      max_tokens: 6,
      stream: true,
      stream_options: { include_usage: true },
      // openai-node sends unknown params as given (it has no extra_body): vLLM reads them.
      ignore_eos: true,
    } as OpenAI.ChatCompletionCreateParamsStreaming);
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    // 0.12 (the default) sets the deprecated reasoning_content on every delta (vLLM PR #27752).
    expect(chunks[0]?.choices[0]?.delta).toEqual({
      role: "assistant",
      content: "",
      reasoning_content: null,
    });
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage?.completion_tokens).toBe(6);
    const finish = chunks.at(-2)?.choices[0];
    expect(finish?.finish_reason).toBe("length");
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
  });

  it("streams a completion without usage", async () => {
    const stream = await client.completions.create({
      model: "granite",
      prompt: "Hello",
      max_tokens: 5,
      stream: true,
      // openai-node sends unknown params as given (it has no extra_body): vLLM reads them.
      ignore_eos: true,
    } as OpenAI.CompletionCreateParamsStreaming);
    let text = "";
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.text ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      expect(chunk.usage ?? null).toBeNull();
    }
    expect(text.length).toBeGreaterThan(0);
    expect(finish).toBe("length");
  });

  // vllm-openai.md §3: unknown model 404 NotFoundError with the backtick text.
  it("surfaces an unknown model as NotFoundError", async () => {
    const error = await client.chat.completions
      .create({ model: "nope", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as APIError).status).toBe(404);
    expect((error as APIError).message).toContain("The model `nope` does not exist.");
  });

  // vllm-openai.md §3: validation is 400 BadRequestError, not 422.
  it("surfaces validation errors as BadRequestError", async () => {
    const error = await client.completions
      .create({ model: "granite", prompt: "x", temperature: -1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as APIError).message).toContain("temperature must be non-negative, got -1.");
  });

  // vllm-openai.md §3.1: prompt over max_model_len is a 400.
  it("refuses a request over the context length", async () => {
    const error = await client.completions
      .create({ model: "granite", prompt: "word ".repeat(5000), max_tokens: 10 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as APIError).message).toContain("maximum context length");
  });
});
