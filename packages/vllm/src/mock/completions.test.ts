/**
 * The non-streaming completion written from its template (completions.ts `plainAnswer`): the
 * bytes the object path wrote, for every shape the template covers (vllm-openai.md §5: a full
 * model_dump, nulls present, keys in the pydantic model's order).
 */
import { ManualClock } from "@servingkit/mock-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { completionStream } from "./completions.js";
import { parseCompletionRequest } from "./requests.js";
import { loadServedModel, startModel } from "./served-model.js";
import { readVllmSettings } from "./settings.js";
import { openaiClient, startVllm, type TestServer } from "./test-server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startVllm();
});
afterAll(() => server.close());

async function completion(body: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${server.url}/v1/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "servingkit-mock", max_tokens: 12, temperature: 0, ...body }),
  });
  if (res.status !== 200)
    throw new Error(`${res.status} ${await res.text()} for ${JSON.stringify(body)}`);
  return res.text();
}

/** The answer as the object path built it: every key in vLLM's order, then JSON.stringify. */
function rebuilt(text: string): string {
  const a = JSON.parse(text);
  return JSON.stringify({
    id: a.id,
    object: a.object,
    created: a.created,
    model: a.model,
    choices: a.choices.map((c: Record<string, unknown>) => ({
      index: c.index,
      text: c.text,
      logprobs: c.logprobs,
      finish_reason: c.finish_reason,
      stop_reason: c.stop_reason,
      token_ids: c.token_ids,
      prompt_logprobs: c.prompt_logprobs,
      prompt_token_ids: c.prompt_token_ids,
    })),
    service_tier: a.service_tier,
    system_fingerprint: a.system_fingerprint,
    usage: {
      prompt_tokens: a.usage.prompt_tokens,
      total_tokens: a.usage.total_tokens,
      completion_tokens: a.usage.completion_tokens,
      prompt_tokens_details: a.usage.prompt_tokens_details,
    },
    kv_transfer_params: a.kv_transfer_params,
  });
}

// vllm-openai.md §5: the completion's keys, its choices' and usage's (nulls present); on the
// default 0.12.0, protocol.py CompletionResponse's service_tier and system_fingerprint (in a
// 0.10.1-era tree) and CompletionResponseChoice's token_ids / prompt_token_ids (vLLM PR #22587).
const answerKeys = [
  "id",
  "object",
  "created",
  "model",
  "choices",
  "service_tier",
  "system_fingerprint",
  "usage",
  "kv_transfer_params",
];
const choiceKeys = [
  "index",
  "text",
  "logprobs",
  "finish_reason",
  "stop_reason",
  "token_ids",
  "prompt_logprobs",
  "prompt_token_ids",
];
const usageKeys = ["prompt_tokens", "total_tokens", "completion_tokens", "prompt_tokens_details"];

describe("non-streaming completions without logprobs", () => {
  it("are the object path's bytes: escapes, echo, n, several prompts, stop strings and ids", async () => {
    const cases: Record<string, unknown>[] = [
      { prompt: "Say something about the weather" },
      // Echo puts the prompt's own characters in the text: quotes, backslashes, control
      // characters, lone surrogates' neighbours and astral characters are JSON.stringify's.
      { prompt: 'A "quoted" \\ back\tslash\nline \u2028 é 😀 \u0001', echo: true, max_tokens: 3 },
      { prompt: ["first prompt", "second prompt"], n: 2, temperature: 1, seed: 7 },
      { prompt: "Tell me", stop: ["the", "a"], include_stop_str_in_output: true, max_tokens: 40 },
      { prompt: "Tell me", stop: ["e"], max_tokens: 40 },
      { prompt: "Tell me", stop_token_ids: [13], max_tokens: 40, request_id: 'abc"d' },
      { prompt: [[1, 2, 3]], max_tokens: 1 },
    ];
    for (const body of cases) {
      const text = await completion(body);
      expect(text).toBe(rebuilt(text));
      const parsed = JSON.parse(text);
      expect(Object.keys(parsed)).toEqual(answerKeys);
      for (const choice of parsed.choices) expect(Object.keys(choice)).toEqual(choiceKeys);
      expect(Object.keys(parsed.usage)).toEqual(usageKeys);
      expect(parsed.choices[0].logprobs).toBeNull();
      expect(parsed.usage.total_tokens).toBe(
        parsed.usage.prompt_tokens + parsed.usage.completion_tokens,
      );
    }
  });

  it("take the numbered stop reason of a stop token id as a number", async () => {
    // vllm-openai.md §5: stop_reason is the matched stop string or token id, else null.
    const first = JSON.parse(await completion({ prompt: "Tell me", max_tokens: 2 }));
    const ids = await fetch(`${server.url}/tokenize`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "servingkit-mock",
        prompt: first.choices[0].text,
        add_special_tokens: false,
      }),
    }).then((r) => r.json() as Promise<{ tokens: number[] }>);
    const stopId = ids.tokens[1] ?? ids.tokens[0];
    const text = await completion({ prompt: "Tell me", stop_token_ids: [stopId], max_tokens: 2 });
    expect(text).toContain(`"finish_reason":"stop","stop_reason":${stopId},"token_ids":null,`);
    expect(text).toBe(rebuilt(text));
  });
});

/**
 * `bad_words` through the HTTP mock (vllm/sampling_params.py update_from_tokenizer, the bad words
 * logits processor of vllm/v1/sample): over many seeds no sampled completion or chat answer holds
 * a forbidden word, where the same seeds without bad_words do. The words are ones the built-in
 * tokenizer encodes to as many tokens bare as after a space, so vLLM refuses both forms.
 */
describe("bad_words in generated text", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({ "served-model-name": "m" });
  });
  afterAll(() => server.close());
  const words = ["model", "Good tests", "a"];
  const patterns = words.map((word) => new RegExp(`(^|[^A-Za-z])${word}(?![A-Za-z])`));
  const text = async (path: string, body: object): Promise<string> => {
    const response = await fetch(`${server.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", max_tokens: 60, min_tokens: 60, ...body }),
    });
    const json = (await response.json()) as {
      choices: { text?: string; message?: { content: string } }[];
    };
    return json.choices.map((c) => c.text ?? c.message?.content ?? "").join("\n");
  };

  it("never produces a forbidden word over 40 seeds, which the same seeds do unfiltered", async () => {
    let unfiltered = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const completion = { prompt: `Say something ${seed}`, seed, n: 2 };
      const chat = { messages: [{ role: "user", content: `Tell me ${seed}` }], seed };
      const plain = await text("/v1/completions", completion);
      if (patterns.some((word) => word.test(plain))) unfiltered++;
      const outputs = [
        await text("/v1/completions", { ...completion, bad_words: words }),
        await text("/v1/chat/completions", { ...chat, bad_words: words }),
      ];
      for (const output of outputs) {
        for (const word of patterns) expect(output, `seed ${seed}`).not.toMatch(word);
      }
    }
    expect(unfiltered).toBeGreaterThan(20);
  });
});

describe("stop strings in streams", () => {
  /** The streamed choice 0: its deltas joined, finish and stop reasons. */
  async function streamed(body: Record<string, unknown>) {
    const res = await fetch(`${server.url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "servingkit-mock", temperature: 0, stream: true, ...body }),
    });
    const events = (await res.text())
      .split("\n\n")
      .filter((e) => e.startsWith("data: {"))
      .map((e) => JSON.parse(e.slice("data: ".length)));
    const choices = events.flatMap((e) => e.choices ?? []);
    const last = choices.filter((c) => c.finish_reason !== null).at(-1);
    return {
      text: choices.map((c) => c.text).join(""),
      finish: last?.finish_reason,
      stop: last?.stop_reason,
    };
  }

  // vllm/v1/engine/detokenizer.py: the stop string ends the text (kept with
  // include_stop_str_in_output), and a stream never releases part of it (output_text_buffer_length,
  // sampling_params.py: the longest stop - 1 characters held back): the deltas join into the
  // non-streamed text, stop_reason the matched string.
  it.each([false, true])(
    "join into the answer's text (include_stop_str_in_output %s)",
    async (include) => {
      for (const stop of [["the"], [" a", "ea"], ["e"]]) {
        const body = {
          prompt: "Tell me",
          stop,
          include_stop_str_in_output: include,
          max_tokens: 40,
        };
        const whole = JSON.parse(await completion(body)).choices[0];
        const got = await streamed(body);
        expect(got).toEqual({ text: whole.text, finish: "stop", stop: whole.stop_reason });
        expect(stop).toContain(whole.stop_reason);
        const matched = String(whole.stop_reason);
        if (include) expect(whole.text.endsWith(matched)).toBe(true);
        else expect(whole.text.includes(matched)).toBe(false);
      }
    },
  );
});

/**
 * The answer's keys by release, through the openai SDK and raw fetch. protocol.py
 * CompletionResponse declares `service_tier` and `system_fingerprint` (Optional, None) in a
 * 0.10.1-era tree (nested error envelope; before vLLM PRs #22587 and #22761), dumped whole: null
 * keys from 0.10.1 (older releases unpinned, left without). vLLM PR #22587 ("Add return_token_ids
 * parameter to OpenAI API endpoints", first in 0.10.2 as NVIDIA-NeMo Gym issue #1108 names it)
 * adds CompletionResponseChoice `token_ids` after `stop_reason` and `prompt_token_ids` after
 * `prompt_logprobs`, and ChatCompletionResponseChoice `token_ids` after `stop_reason`: null keys
 * unless the request sets `return_token_ids` (vLLM issue #28246 shows `"token_ids":null`).
 */
describe("completion answer keys by release", () => {
  const servers = new Map<string, TestServer>();
  beforeAll(async () => {
    for (const version of ["0.10.0", "0.10.1", "0.10.2"]) {
      servers.set(version, await startVllm({ "vllm-version": version, "served-model-name": "m" }));
    }
  });
  afterAll(async () => {
    for (const server of servers.values()) await server.close();
  });
  const post = async (version: string, path: string, body: object) => {
    const server = servers.get(version) as TestServer;
    const response = await fetch(`${server.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", max_tokens: 3, temperature: 0, ...body }),
    });
    expect(response.status, await response.clone().text()).toBe(200);
    return (await response.json()) as {
      choices: Record<string, unknown>[];
      [key: string]: unknown;
    };
  };
  const tokenize = async (version: string, prompt: string) => {
    const server = servers.get(version) as TestServer;
    const response = await fetch(`${server.url}/tokenize`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      // add_special_tokens as completions read it (default true: the BOS the engine sees).
      body: JSON.stringify({ model: "m", prompt }),
    });
    return ((await response.json()) as { tokens: number[] }).tokens;
  };

  it("has no service_tier, system_fingerprint nor token-id keys on 0.10.0", async () => {
    const whole = await post("0.10.0", "/v1/completions", {
      prompt: "Tell me",
      return_token_ids: true,
    });
    expect(Object.keys(whole)).toEqual([
      "id",
      "object",
      "created",
      "model",
      "choices",
      "usage",
      "kv_transfer_params",
    ]);
    expect(Object.keys(whole.choices[0] ?? {})).toEqual([
      "index",
      "text",
      "logprobs",
      "finish_reason",
      "stop_reason",
      "prompt_logprobs",
    ]);
  });

  it("writes service_tier and system_fingerprint null from 0.10.1, token ids not yet", async () => {
    // return_token_ids is an unknown field on 0.10.1 (ignored, the answer as without it).
    for (const body of [{}, { logprobs: 1 }, { return_token_ids: true }]) {
      const whole = await post("0.10.1", "/v1/completions", { prompt: "Tell me", ...body });
      expect(Object.keys(whole)).toEqual([
        "id",
        "object",
        "created",
        "model",
        "choices",
        "service_tier",
        "system_fingerprint",
        "usage",
        "kv_transfer_params",
      ]);
      expect(whole.service_tier).toBeNull();
      expect(whole.system_fingerprint).toBeNull();
      expect(whole.choices[0]).not.toHaveProperty("token_ids");
    }
    const chat = await post("0.10.1", "/v1/chat/completions", {
      messages: [{ role: "user", content: "hi" }],
      return_token_ids: true,
    });
    expect(Object.keys(chat.choices[0] ?? {})).toEqual([
      "index",
      "message",
      "logprobs",
      "finish_reason",
      "stop_reason",
    ]);
  });

  it("writes null token-id keys from 0.10.2 in both answer paths, the ids when asked", async () => {
    const keys = [
      "index",
      "text",
      "logprobs",
      "finish_reason",
      "stop_reason",
      "token_ids",
      "prompt_logprobs",
      "prompt_token_ids",
    ];
    // The plain template and the object path (logprobs asked) write the same keys.
    for (const body of [{}, { logprobs: 2 }, { prompt_logprobs: 1 }]) {
      const whole = await post("0.10.2", "/v1/completions", { prompt: "Tell me", ...body });
      expect(Object.keys(whole.choices[0] ?? {})).toEqual(keys);
      expect(whole.choices[0]?.token_ids).toBeNull();
      expect(whole.choices[0]?.prompt_token_ids).toBeNull();
    }
    const prompt = "Tell me about the weather";
    const promptIds = await tokenize("0.10.2", prompt);
    for (const body of [{}, { logprobs: 2 }]) {
      const whole = await post("0.10.2", "/v1/completions", {
        prompt,
        return_token_ids: true,
        max_tokens: 5,
        ...body,
      });
      const choice = whole.choices[0] ?? {};
      expect(Object.keys(choice)).toEqual(keys);
      // The generated ids detokenize to the choice's text; the prompt's are /tokenize's.
      const ids = choice.token_ids as number[];
      expect(ids).toHaveLength((whole.usage as { completion_tokens: number }).completion_tokens);
      const server = servers.get("0.10.2") as TestServer;
      const back = await fetch(`${server.url}/detokenize`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "m", tokens: ids }),
      }).then((r) => r.json() as Promise<{ prompt: string }>);
      expect(back.prompt).toBe(choice.text);
      expect(choice.prompt_token_ids).toEqual(promptIds);
    }
  });

  it("gives each prompt's ids to its choices (several prompts, n 2)", async () => {
    const prompts = ["first prompt", "a second, longer prompt"];
    const whole = await post("0.10.2", "/v1/completions", {
      prompt: prompts,
      n: 2,
      temperature: 1,
      seed: 3,
      return_token_ids: true,
    });
    expect(whole.choices).toHaveLength(4);
    for (const choice of whole.choices) {
      const p = Math.floor((choice.index as number) / 2);
      expect(choice.prompt_token_ids).toEqual(await tokenize("0.10.2", prompts[p] ?? ""));
      expect((choice.token_ids as number[]).length).toBeGreaterThan(0);
    }
  });

  it("reads return_token_ids as a bool from 0.10.2 (pydantic bool_parsing)", async () => {
    const server = servers.get("0.10.2") as TestServer;
    const response = await fetch(`${server.url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", prompt: "x", return_token_ids: "maybe" }),
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("return_token_ids");
  });

  it("gives chat choices token_ids from 0.10.2, through the openai SDK", async () => {
    const client = openaiClient(servers.get("0.10.2") as TestServer);
    const plain = await client.chat.completions.create({
      model: "m",
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 3,
    });
    expect(plain.choices[0]).toHaveProperty("token_ids", null);
    const asked = await client.chat.completions.create({
      model: "m",
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 3,
      // @ts-expect-error vLLM's extra field, not in the SDK's types
      return_token_ids: true,
    });
    const ids = (asked.choices[0] as unknown as { token_ids: number[] }).token_ids;
    expect(ids).toHaveLength(asked.usage?.completion_tokens ?? -1);
    expect(Object.keys(asked.choices[0] ?? {})).toEqual([
      "index",
      "message",
      "logprobs",
      "finish_reason",
      "stop_reason",
      "token_ids",
    ]);
    // ChatCompletionResponse's prompt_token_ids (after prompt_logprobs): the engine prompt's ids.
    expect(plain).toHaveProperty("prompt_token_ids", null);
    const chatPrompt = (asked as unknown as { prompt_token_ids: number[] }).prompt_token_ids;
    expect(chatPrompt).toHaveLength(asked.usage?.prompt_tokens ?? -1);
    expect(Object.keys(asked).slice(-3)).toEqual([
      "prompt_logprobs",
      "prompt_token_ids",
      "kv_transfer_params",
    ]);
    const completion = await client.completions.create({
      model: "m",
      prompt: "Tell me",
      max_tokens: 2,
    });
    expect(completion).toHaveProperty("service_tier", null);
    expect(completion.choices[0]).toHaveProperty("token_ids", null);
  });
});

// output_processor.py RequestOutputCollector.put: DELTA outputs the API server has not taken are
// merged (text concatenated); the stream_interval gate (vllm PR #27869) decides which outputs
// exist. So with --stream-interval 2 a reader that comes back late gets the interval outputs
// made meanwhile as ONE SSE frame, and an on-time reader gets them one frame each.
describe("--stream-interval 2: a late reader's frame (raw SSE)", () => {
  const frameTexts = async (late: boolean): Promise<string[]> => {
    const clock = new ManualClock();
    const settings = readVllmSettings(
      {
        models: [],
        values: {
          "served-model-name": "m",
          "stream-interval": "2",
          "time-to-first-token": "10",
          "inter-token-latency": "10",
        },
      },
      {},
    );
    const started = startModel(await loadServedModel(settings), settings, clock);
    const request = parseCompletionRequest({
      model: "m",
      prompt: "Tell me about rivers",
      max_tokens: 9,
      ignore_eos: true,
      temperature: 0,
      stream: true,
    });
    const frames = completionStream(started.model, request, new AbortController().signal)[
      Symbol.asyncIterator
    ]();
    // Reads one frame, moving the clock a millisecond at a time until it comes.
    const read = async () => {
      let settled = false;
      const next = frames.next().finally(() => {
        settled = true;
      });
      while (!settled) {
        await clock.advance(1);
        await new Promise((resolve) => setImmediate(resolve));
      }
      return next;
    };
    const texts: string[] = [];
    const take = async () => {
      const frame = await read();
      if (frame.done) return false;
      expect(frame.value).toMatch(/^data: .*\n\n$/s);
      if (frame.value === "data: [DONE]\n\n") return false;
      const chunk = JSON.parse(frame.value.slice(6)) as { choices: { text: string }[] };
      texts.push(chunk.choices[0]?.text ?? "");
      return true;
    };
    await take();
    // Away 45 ms: tokens 2-5 come due (outputs [2-3] and [4-5]), token 6 waits for token 7.
    if (late) await clock.advance(45);
    while (await take()) {}
    started.close();
    return texts;
  };

  it("is the on-time frames 2 and 3 as one, the same text in all", async () => {
    const onTime = await frameTexts(false);
    const late = await frameTexts(true);
    // 9 tokens: [1] [2-3] [4-5] [6-7] [8-9 + finish].
    expect(onTime).toHaveLength(5);
    expect(late).toHaveLength(4);
    expect(late[0]).toBe(onTime[0]);
    expect(late[1]).toBe(`${onTime[1]}${onTime[2]}`);
    expect(late.slice(2)).toEqual(onTime.slice(3));
    expect(late.join("")).toBe(onTime.join(""));
  });
});
