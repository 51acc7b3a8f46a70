/**
 * vLLM's sampling parameters through the HTTP mock (vllm-openai.md §4-§5): n and choice indexes,
 * stop strings and ids with stop_reason, include_stop_str_in_output, min_tokens, ignore_eos, echo,
 * prompt arrays and token-id prompts, and the two logprobs shapes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postJson, startVllm, type TestServer } from "./test-server.js";

describe("sampling parameters", () => {
  let server: TestServer;
  let completions: string;
  let chat: string;
  beforeAll(async () => {
    server = await startVllm({ "served-model-name": "m" });
    completions = `${server.url}/v1/completions`;
    chat = `${server.url}/v1/chat/completions`;
  });
  afterAll(() => server.close());

  // vllm-openai.md §4.2: choice index = output.index + prompt_idx·n.
  it("indexes n choices over prompt arrays", async () => {
    const { body } = await postJson(completions, {
      prompt: ["a b", "c d"],
      n: 2,
      max_tokens: 3,
      seed: 5,
      temperature: 1,
    });
    expect(body.choices.map((c: { index: number }) => c.index)).toEqual([0, 1, 2, 3]);
    const promptTokens = (await postJson(`${server.url}/tokenize`, { prompt: "a b" })).body.count;
    const promptTokens2 = (await postJson(`${server.url}/tokenize`, { prompt: "c d" })).body.count;
    expect(body.usage.prompt_tokens).toBe(promptTokens + promptTokens2);
  });

  // vllm-openai.md §4.2: prompt may be a list of token ids.
  it("accepts token-id prompts", async () => {
    const ids = (await postJson(`${server.url}/tokenize`, { prompt: "hello world" })).body.tokens;
    const { status, body } = await postJson(completions, { prompt: ids, max_tokens: 2 });
    expect(status).toBe(200);
    expect(body.usage.prompt_tokens).toBe(ids.length);
    const batch = await postJson(completions, { prompt: [ids, ids], max_tokens: 2 });
    expect(batch.body.choices).toHaveLength(2);
  });

  // vllm-openai.md §5: stop_reason is the matched stop string; the string is cut unless
  // include_stop_str_in_output.
  it("stops at a stop string and reports it", async () => {
    const base = { prompt: "x", max_tokens: 60, seed: 3, ignore_eos: true };
    const free = (await postJson(completions, base)).body.choices[0].text as string;
    const word = free.trim().split(/\s+/)[2] as string;
    const cut = (await postJson(completions, { ...base, stop: [word] })).body.choices[0];
    expect(cut.finish_reason).toBe("stop");
    expect(cut.stop_reason).toBe(word);
    expect(cut.text).not.toContain(word);
    const kept = (
      await postJson(completions, { ...base, stop: word, include_stop_str_in_output: true })
    ).body.choices[0];
    expect(kept.text.endsWith(word)).toBe(true);
  });

  // vllm-openai.md §5: a stop token id ends with finish_reason stop and the integer stop_reason.
  it("stops at a stop token id", async () => {
    const base = { prompt: "x", max_tokens: 20, seed: 3, ignore_eos: true };
    const ids = (
      await postJson(`${server.url}/tokenize`, {
        prompt: (await postJson(completions, base)).body.choices[0].text,
        add_special_tokens: false,
      })
    ).body.tokens as number[];
    const stopId = ids[3] as number;
    const { body } = await postJson(completions, { ...base, stop_token_ids: [stopId] });
    expect(body.choices[0]).toMatchObject({ finish_reason: "stop", stop_reason: stopId });
  });

  // vllm-openai.md §4.2: min_tokens and ignore_eos keep generation going.
  it("honours min_tokens and ignore_eos", async () => {
    const base = { prompt: "x", max_tokens: 60, seed: 1 };
    const natural = await postJson(completions, base);
    expect(natural.body.choices[0].finish_reason).toBe("stop");
    expect(natural.body.usage.completion_tokens).toBeLessThan(30);
    const long = await postJson(completions, { ...base, ignore_eos: true });
    expect(long.body.usage.completion_tokens).toBe(60);
    const min = await postJson(completions, { ...base, min_tokens: 30 });
    expect(min.body.usage.completion_tokens).toBeGreaterThanOrEqual(30);
  });

  // vllm-openai.md §4.2: echo prepends the prompt.
  it("echoes the prompt", async () => {
    const { body } = await postJson(completions, { prompt: "Echo me", max_tokens: 2, echo: true });
    expect(body.choices[0].text.startsWith("Echo me")).toBe(true);
  });

  // vllm-openai.md §5: completions logprobs {text_offset, token_logprobs, tokens, top_logprobs}.
  it("returns completions logprobs in the legacy shape", async () => {
    const { body } = await postJson(completions, { prompt: "x", max_tokens: 3, logprobs: 2 });
    const lp = body.choices[0].logprobs;
    expect(Object.keys(lp)).toEqual(["text_offset", "token_logprobs", "tokens", "top_logprobs"]);
    expect(lp.tokens).toHaveLength(body.usage.completion_tokens);
    for (const top of lp.top_logprobs) expect(Object.keys(top).length).toBeLessThanOrEqual(3);
    for (const value of lp.token_logprobs) expect(value).toBeLessThanOrEqual(0);
  });

  // vllm-openai.md §5: chat logprobs {content: [{token, logprob, bytes, top_logprobs}]}.
  it("returns chat logprobs in the chat shape", async () => {
    const { body } = await postJson(chat, {
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 3,
      logprobs: true,
      top_logprobs: 2,
    });
    const content = body.choices[0].logprobs.content;
    expect(content.length).toBeGreaterThan(0);
    for (const entry of content) {
      expect(Object.keys(entry)).toEqual(["token", "logprob", "bytes", "top_logprobs"]);
      expect(entry.bytes).toEqual([...Buffer.from(entry.token, "utf8")]);
      expect(entry.top_logprobs).toHaveLength(2);
    }
  });

  // vllm-openai.md §3.2 texts.
  it("refuses out-of-range parameters with vLLM's texts", async () => {
    const cases: [object, string][] = [
      [{ n: 0 }, "n must be at least 1, got 0."],
      [{ top_p: 0 }, "top_p must be in (0, 1], got 0."],
      [{ top_k: -2 }, "top_k must be 0 (disable), or at least 1, got -2."],
      [{ max_tokens: 0 }, "max_tokens must be at least 1, got 0."],
      [
        { min_tokens: 5, max_tokens: 2 },
        "min_tokens must be less than or equal to max_tokens=2, got 5.",
      ],
      [{ stop: [""] }, "stop cannot contain an empty string."],
      [{ suffix: "s" }, "suffix is not currently supported"],
      // vllm/v1/engine/processor.py: logprobs above --max-logprobs (20).
      [{ logprobs: 21 }, "Requested sample logprobs of 21, which is greater than max allowed: 20"],
      // vllm-openai.md §4.1: seed is an int64.
      [{ seed: 1e30 }, "Input should be less than or equal to 9223372036854775807"],
      // The mock's own cap (README): a huge n is refused instead of hanging the mock.
      [{ n: 1e12, temperature: 1 }, "n must be at most 1024"],
      // vllm-openai.md §3.2 (sampling_params.py _verify_greedy_sampling): temperature 0 is greedy.
      [{ n: 2, temperature: 0 }, "n must be 1 when using greedy sampling, got 2."],
    ];
    for (const [extra, message] of cases) {
      const { status, body } = await postJson(completions, { prompt: "x", ...extra });
      expect(status).toBe(400);
      expect(body.error.message).toContain(message);
    }
    const chatCase = await postJson(chat, {
      messages: [{ role: "user", content: "hi" }],
      top_logprobs: 2,
    });
    expect(chatCase.body.error.message).toContain(
      "when using `top_logprobs`, `logprobs` must be set to true.",
    );
  });
});
