import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openaiClient, startVllm, type TestServer, thinkingSwitchModelDir } from "./test-server.js";

/** The data of each SSE event, `[DONE]` left out. */
function chunksOf(body: string): Record<string, unknown>[] {
  return body
    .split("\n\n")
    .filter((frame) => frame.startsWith("data: ") && frame !== "data: [DONE]")
    .map((frame) => JSON.parse(frame.slice(6)) as Record<string, unknown>);
}

type Delta = Record<string, unknown>;

function deltasOf(chunks: readonly Record<string, unknown>[]): Delta[] {
  return chunks
    .map((chunk) => (chunk.choices as { delta: Delta }[])[0]?.delta)
    .filter((delta): delta is Delta => delta !== undefined);
}

async function chat(server: TestServer, body: object): Promise<Response> {
  return fetch(`${server.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      messages: [{ role: "user", content: "Is 9.11 bigger than 9.8?" }],
      ...body,
    }),
  });
}

describe("chat completions with --reasoning-parser deepseek_r1", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({
      "reasoning-parser": "deepseek_r1",
      "vllm-version": "0.10.2",
      "generation-mode": "echo",
    });
  });
  afterAll(() => server.close());

  // docs reasoning_outputs.md (v0.10): message.reasoning_content holds the thinking, content the
  // answer after </think>; basic_parsers.py extract_reasoning.
  it("answers the thinking in reasoning_content and the answer in content", async () => {
    const body = await (await chat(server, { temperature: 0 })).json();
    const message = body.choices[0].message;
    expect(Object.keys(message)).toEqual([
      "role",
      "content",
      "refusal",
      "annotations",
      "audio",
      "function_call",
      "tool_calls",
      "reasoning_content",
    ]);
    expect(message.reasoning_content.length).toBeGreaterThan(10);
    expect(message.reasoning_content).not.toContain("think>");
    expect(message.content).toBe("\n\nIs 9.11 bigger than 9.8?");
  });

  it("streams reasoning deltas, then content deltas", async () => {
    const chunks = chunksOf(await (await chat(server, { temperature: 0, stream: true })).text());
    const deltas = deltasOf(chunks);
    expect(deltas[0]).toEqual({ role: "assistant", content: "" });
    const reasoning = deltas.map((d) => d.reasoning_content ?? "").join("");
    const content = deltas.map((d) => d.content ?? "").join("");
    const whole = (await (await chat(server, { temperature: 0 })).json()).choices[0].message;
    expect(reasoning).toBe(whole.reasoning_content);
    expect(content).toBe(whole.content);
    const first = deltas.findIndex((d) => typeof d.content === "string" && d.content !== "");
    const last = deltas.findLastIndex((d) => d.reasoning_content !== undefined);
    expect(last).toBeLessThan(first);
  });
});

describe("chat completions with --reasoning-parser deepseek_r1 (0.10.2, text mode)", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({ "reasoning-parser": "deepseek_r1", "vllm-version": "0.10.2" });
  });
  afterAll(() => server.close());

  // The thinking counts against max_tokens (the engine generates it), so a small limit ends
  // inside it: basic_parsers.py extract_reasoning returns (output, None) without </think>.
  it("answers content null when max_tokens ends inside the thinking", async () => {
    const body = await (await chat(server, { max_tokens: 3, seed: 1 })).json();
    expect(body.choices[0].finish_reason).toBe("length");
    expect(body.choices[0].message.content).toBeNull();
    expect(body.choices[0].message.reasoning_content.length).toBeGreaterThan(0);
    const chunks = chunksOf(
      await (await chat(server, { max_tokens: 3, seed: 1, stream: true })).text(),
    );
    const deltas = deltasOf(chunks).slice(1);
    expect(deltas.every((d) => d.content === undefined)).toBe(true);
    expect(deltas.map((d) => d.reasoning_content ?? "").join("")).toBe(
      body.choices[0].message.reasoning_content,
    );
  });

  // The built-in tokenizer writes </think> as five tokens ("<" "/" "th" "ink" ">"): the stream
  // holds them back, so no delta shows a piece of the marker (a real model's single marker token
  // is skipped: basic_parsers.py "Skip single special tokens").
  it("never streams a piece of the end marker", async () => {
    const deltas = deltasOf(
      chunksOf(await (await chat(server, { seed: 3, stream: true })).text()),
    ).slice(1);
    const texts = deltas.flatMap((d) => [d.content, d.reasoning_content]).filter(Boolean);
    for (const text of texts) expect(text).not.toMatch(/<|\/th|ink>|^>/);
    const whole = (await (await chat(server, { seed: 3 })).json()).choices[0].message;
    expect(deltas.map((d) => d.reasoning_content ?? "").join("")).toBe(whole.reasoning_content);
    expect(deltas.map((d) => d.content ?? "").join("")).toBe(whole.content);
    expect(whole.content.startsWith("\n\n")).toBe(true);
  });

  // The same seed thinks and answers the same; the usage counts the thinking (vLLM's UsageInfo
  // has no completion_tokens_details before ≈2026: vllm PR #44398 "Chat Completions never reports
  // reasoning tokens").
  it("repeats for a seed and counts the thinking in completion_tokens", async () => {
    const a = await (await chat(server, { seed: 9 })).json();
    const b = await (await chat(server, { seed: 9 })).json();
    expect(a.choices[0].message).toEqual(b.choices[0].message);
    expect(Object.keys(a.usage)).toEqual([
      "prompt_tokens",
      "total_tokens",
      "completion_tokens",
      "prompt_tokens_details",
    ]);
    const tokenize = await fetch(`${server.url}/tokenize`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ prompt: a.choices[0].message.content, add_special_tokens: false }),
    });
    expect(a.usage.completion_tokens).toBeGreaterThan((await tokenize.json()).count);
  });

  // Structured output applies once the reasoning has ended (v1 structured_output: the grammar
  // waits for the parser's is_reasoning_end; docs: deepseek_r1 supports json and regex).
  it("puts the guided answer after the thinking", async () => {
    const body = await (
      await chat(server, { seed: 2, response_format: { type: "json_object" } })
    ).json();
    const message = body.choices[0].message;
    expect(message.reasoning_content.length).toBeGreaterThan(0);
    expect(typeof JSON.parse(message.content)).toBe("object");
  });

  // serving_chat.py: the parser splits first; a named tool_choice takes the content after the
  // thinking as the call's arguments (the grammar applies once the reasoning has ended).
  it("calls a named tool after the thinking, whole and streamed", async () => {
    const tool = {
      type: "function",
      function: {
        name: "lookup",
        parameters: { type: "object", properties: { q: { type: "string" } }, required: ["q"] },
      },
    };
    const request = {
      seed: 6,
      tools: [tool],
      tool_choice: { type: "function", function: { name: "lookup" } },
    };
    const message = (await (await chat(server, request)).json()).choices[0].message;
    expect(message.reasoning_content.length).toBeGreaterThan(0);
    expect(message.content).toBe("");
    const args = JSON.parse(message.tool_calls[0].function.arguments);
    expect(typeof args.q).toBe("string");
    const deltas = deltasOf(
      chunksOf(await (await chat(server, { ...request, stream: true })).text()),
    );
    const firstCall = deltas.findIndex((d) => d.tool_calls !== undefined);
    expect(deltas.slice(1, firstCall).every((d) => typeof d.reasoning_content === "string")).toBe(
      true,
    );
    const streamed = deltas
      .flatMap((d) => (d.tool_calls as { function: { arguments: string } }[] | undefined) ?? [])
      .map((call) => call.function.arguments)
      .join("");
    expect(streamed).toBe(message.tool_calls[0].function.arguments);
    expect(deltas.map((d) => d.reasoning_content ?? "").join("")).toBe(message.reasoning_content);
  });

  // include_reasoning (request field, default true) is honoured only on the harmony path
  // (gpt-oss) in these releases: vllm issue #33915 (Feb 2026) asks for non-harmony models, vllm
  // PR #44301 (Jun 2026) adds it.
  it("still answers the reasoning with include_reasoning false", async () => {
    const body = await (await chat(server, { seed: 4, include_reasoning: false })).json();
    expect(body.choices[0].message.reasoning_content.length).toBeGreaterThan(0);
  });

  it("splits every choice on its own", async () => {
    const chunks = chunksOf(await (await chat(server, { seed: 5, n: 2, stream: true })).text());
    for (const index of [0, 1]) {
      const deltas = chunks
        .map((c) => (c.choices as { index: number; delta: Delta }[])[0])
        .filter((choice) => choice?.index === index)
        .map((choice) => choice?.delta as Delta);
      expect(deltas.map((d) => d.reasoning_content ?? "").join("").length).toBeGreaterThan(0);
      expect(deltas.map((d) => d.content ?? "").join("")).toMatch(/^\n\n\S/);
    }
  });
});

describe("reasoning fields by release", () => {
  const servers: TestServer[] = [];
  afterAll(() => Promise.all(servers.map((s) => s.close())));
  const start = async (version: string, parser = true) => {
    const server = await startVllm({
      "vllm-version": version,
      "generation-mode": "echo",
      ...(parser && { "reasoning-parser": "deepseek_r1" }),
    });
    servers.push(server);
    return server;
  };

  // vLLM PR #27752 (≈0.11.1): `reasoning` added, a validator copies it into the deprecated
  // `reasoning_content`; the copy counts as set, so every delta carries it (a GLM-4.7 stream from
  // vLLM in Dec 2025: `{"role":"assistant","content":"","reasoning_content":null}`).
  it("writes both fields from 0.11.1, the old one on every delta", async () => {
    const server = await start("0.12.0");
    const message = (await (await chat(server, { seed: 1 })).json()).choices[0].message;
    expect(Object.keys(message).slice(-2)).toEqual(["reasoning", "reasoning_content"]);
    expect(message.reasoning_content).toBe(message.reasoning);
    const deltas = deltasOf(chunksOf(await (await chat(server, { seed: 1, stream: true })).text()));
    expect(deltas[0]).toEqual({ role: "assistant", content: "", reasoning_content: null });
    const thinking = deltas.filter((d) => d.reasoning !== undefined);
    expect(thinking.length).toBeGreaterThan(0);
    for (const d of thinking) {
      expect(Object.keys(d)).toEqual(["reasoning", "reasoning_content"]);
      expect(d.reasoning_content).toBe(d.reasoning);
    }
    const answer = deltas.filter((d) => typeof d.content === "string" && d.content !== "");
    for (const d of answer) expect(Object.keys(d)).toEqual(["content", "reasoning_content"]);
    expect(deltas.at(-1)).toEqual({ reasoning_content: null });
  });

  // Without a parser the fields are there and null (vllm-openai.md §5; PR #27752 both).
  it("answers null reasoning without a parser", async () => {
    const server = await start("0.12.0", false);
    const message = (await (await chat(server, {})).json()).choices[0].message;
    expect(message).toMatchObject({ reasoning: null, reasoning_content: null });
    expect(typeof message.content).toBe("string");
  });

  // The validator's copy is on every DeltaMessage, tool-call deltas too (PR #27752's
  // DeltaMessage: role, content, reasoning, reasoning_content, tool_calls).
  it("sets reasoning_content on tool-call deltas from 0.11.1", async () => {
    const server = await start("0.11.1", false);
    const tool = { type: "function", function: { name: "f", parameters: { type: "object" } } };
    const request = { tools: [tool], tool_choice: "required", stream: true, seed: 1 };
    const deltas = deltasOf(chunksOf(await (await chat(server, request)).text()));
    const calls = deltas.filter((d) => d.tool_calls !== undefined);
    expect(calls.length).toBeGreaterThan(0);
    for (const d of calls) expect(Object.keys(d)).toEqual(["reasoning_content", "tool_calls"]);
  });

  // vLLM PR #33402 (Jan 2026) removed reasoning_content: `reasoning` alone from ≈0.16.
  it("writes reasoning alone from 0.16", async () => {
    const server = await start("0.16.0");
    const message = (await (await chat(server, { seed: 1 })).json()).choices[0].message;
    expect(Object.keys(message).at(-1)).toBe("reasoning");
    expect(message).not.toHaveProperty("reasoning_content");
    const deltas = deltasOf(chunksOf(await (await chat(server, { seed: 1, stream: true })).text()));
    expect(deltas[0]).toEqual({ role: "assistant", content: "" });
    for (const d of deltas) expect(d).not.toHaveProperty("reasoning_content");
    expect(deltas.some((d) => typeof d.reasoning === "string")).toBe(true);
    expect(deltas.at(-1)).toEqual({});
  });

  // Before 0.9 the parser runs only with --enable-reasoning (serving_chat.py enable_reasoning);
  // the mock's model thinks only while a parser runs, so the answer is the plain one.
  it("runs no parser without --enable-reasoning before 0.9", async () => {
    const server = await startVllm({
      "vllm-version": "0.8.5",
      "reasoning-parser": "deepseek_r1",
      "generation-mode": "echo",
    });
    servers.push(server);
    const message = (await (await chat(server, { seed: 1 })).json()).choices[0].message;
    expect(message.reasoning_content).toBeNull();
    expect(message.content).toBe("Is 9.11 bigger than 9.8?");
  });

  // vllm api_server.py: an unknown parser stops the server at start-up.
  it("refuses an unknown parser at start-up", async () => {
    await expect(startVllm({ "reasoning-parser": "deepseek" })).rejects.toThrow(
      "invalid reasoning parser: deepseek (chose from { deepseek_r1,granite,qwen3 })",
    );
  });
});

describe("reasoning streams of several tokens a chunk (--gpu, speculative decoding)", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({
      "reasoning-parser": "deepseek_r1",
      gpu: "h100-80gb",
      "time-scale": "1000",
      "speculative-config": '{"method":"ngram","num_speculative_tokens":4,"prompt_lookup_max":4}',
      "speculative-acceptance-rate": "0.9",
    });
  });
  afterAll(() => server.close());

  // One chunk per engine step carries 1 + accepted tokens (serving_chat.py sends each engine
  // output); the parser splits a delta that holds the end marker (basic_parsers.py), so the
  // joined deltas are the whole answer's parts and no marker goes out.
  it("splits multi-token deltas as the whole answer", async () => {
    const body = { seed: 3, max_tokens: 80 };
    const deltas = deltasOf(
      chunksOf(await (await chat(server, { ...body, stream: true })).text()),
    ).slice(1);
    const whole = (await (await chat(server, body)).json()).choices[0].message;
    expect(deltas.map((d) => d.reasoning ?? "").join("")).toBe(whole.reasoning);
    expect(deltas.map((d) => d.content ?? "").join("")).toBe(whole.content ?? "");
    for (const d of deltas) expect(JSON.stringify(d)).not.toMatch(/think>/);
  });
});

describe("chat completions with --reasoning-parser qwen3", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({ "reasoning-parser": "qwen3", "generation-mode": "echo" });
  });
  afterAll(() => server.close());

  // Qwen3's template lets the model write "<think>\n"; the parser takes what lies between the
  // markers (qwen3_reasoning_parser.py), so both parts keep the model's newlines.
  it("splits the model's own <think> block", async () => {
    const message = (await (await chat(server, { seed: 1 })).json()).choices[0].message;
    expect(message.reasoning).toMatch(/^\n\S[\s\S]*\n$/);
    expect(message.content).toBe("\n\nIs 9.11 bigger than 9.8?");
  });

  // qwen3_reasoning_parser.py (≈0.9-0.16): without both markers the whole output is content, so a
  // cut-off answer keeps "<think>" in content, while the stream already sent reasoning deltas.
  it("answers a cut-off thinking as content, streams it as reasoning", async () => {
    const message = (await (await chat(server, { seed: 1, max_tokens: 8 })).json()).choices[0]
      .message;
    expect(message.reasoning).toBeNull();
    expect(message.content.startsWith("<think>\n")).toBe(true);
    const deltas = deltasOf(
      chunksOf(await (await chat(server, { seed: 1, max_tokens: 8, stream: true })).text()),
    ).slice(1);
    const reasoning = deltas.map((d) => d.reasoning ?? "").join("");
    expect(`<think>${reasoning}`).toBe(message.content);
    expect(deltas.every((d) => d.content === undefined || d.content === null)).toBe(true);
  });
});

describe("chat completions with --reasoning-parser granite", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({ "reasoning-parser": "granite", "generation-mode": "echo" });
  });
  afterAll(() => server.close());
  const thinking = { chat_template_kwargs: { thinking: true } };

  // granite_reasoning_parser.py extract_reasoning_content: the text between "Here is my thought
  // process:" and "Here is my response:" is reasoning, the rest content, whitespace kept.
  it("splits the thinking Granite writes with thinking on", async () => {
    const message = (await (await chat(server, { seed: 1, ...thinking })).json()).choices[0]
      .message;
    expect(message.reasoning).toMatch(/^\n\S[\s\S]*\n$/);
    expect(message.reasoning).not.toMatch(/my thought process|my response/);
    expect(message.content).toBe("\n\nIs 9.11 bigger than 9.8?");
  });

  // extract_reasoning_content_streaming: reasoning deltas, then content; no marker goes out.
  it("streams the same split, markers held back", async () => {
    const body = { seed: 1, ...thinking };
    const whole = (await (await chat(server, body)).json()).choices[0].message;
    const deltas = deltasOf(chunksOf(await (await chat(server, { ...body, stream: true })).text()));
    expect(deltas.map((d) => d.reasoning ?? "").join("")).toBe(whole.reasoning);
    expect(deltas.map((d) => d.content ?? "").join("")).toBe(whole.content);
    expect(JSON.stringify(deltas)).not.toMatch(/my thought process|my response/);
  });

  // reasoning_outputs.md: "IBM Granite 3.2 reasoning is disabled by default"; without thinking
  // the model answers directly and the regex finds no match: (None, model_output).
  it("answers without thinking unless chat_template_kwargs asks for it", async () => {
    for (const extra of [{}, { chat_template_kwargs: { thinking: false } }]) {
      const message = (await (await chat(server, { seed: 1, ...extra })).json()).choices[0].message;
      expect(message.reasoning).toBeNull();
      expect(message.content).toBe("Is 9.11 bigger than 9.8?");
      const deltas = deltasOf(
        chunksOf(await (await chat(server, { seed: 1, ...extra, stream: true })).text()),
      );
      expect(deltas.every((d) => d.reasoning === undefined || d.reasoning === null)).toBe(true);
      expect(deltas.map((d) => d.content ?? "").join("")).toBe(message.content);
    }
  });

  // Granite 3.2's chat template adds the thinking instruction to its default system prompt only
  // (`elif thinking` after the branch for a request's own system message): no thinking then.
  it("answers directly with thinking on and a system message of the request's own", async () => {
    const messages = [
      { role: "system", content: "Be brief." },
      { role: "user", content: "Is 9.11 bigger than 9.8?" },
    ];
    const message = (await (await chat(server, { seed: 1, messages, ...thinking })).json())
      .choices[0].message;
    expect(message.reasoning).toBeNull();
    expect(message.content).toBe("Is 9.11 bigger than 9.8?");
  });

  // The regex needs both markers: a thinking cut off by max_tokens is all content, markers and
  // all, while the stream already sent it as reasoning (the start marker held back).
  it("answers a cut-off thinking as content, streams it as reasoning", async () => {
    const body = { seed: 1, max_tokens: 12, ...thinking };
    const message = (await (await chat(server, body)).json()).choices[0].message;
    expect(message.reasoning).toBeNull();
    expect(message.content.startsWith("Here is my thought process:\n")).toBe(true);
    const deltas = deltasOf(
      chunksOf(await (await chat(server, { ...body, stream: true })).text()),
    ).slice(1);
    const reasoning = deltas.map((d) => d.reasoning ?? "").join("");
    expect(message.content.startsWith(`Here is my thought process:${reasoning}`)).toBe(true);
    expect(deltas.every((d) => d.content === undefined || d.content === null)).toBe(true);
  });

  // docs reasoning_outputs.md v0.8.3 lists granite; before 0.9 the parser runs only with
  // --enable-reasoning (profiles.ts enableReasoningFlag) and answers in reasoning_content.
  it("answers in reasoning_content at 0.8.3, refused at start-up before", async () => {
    const old = await startVllm({
      "reasoning-parser": "granite",
      "enable-reasoning": true,
      "vllm-version": "0.8.3",
      "generation-mode": "echo",
    });
    try {
      const message = (await (await chat(old, { seed: 1, ...thinking })).json()).choices[0].message;
      expect(message.reasoning_content).toMatch(/^\n\S/);
      expect(message.content).toBe("\n\nIs 9.11 bigger than 9.8?");
    } finally {
      await old.close();
    }
    await expect(
      startVllm({
        "reasoning-parser": "granite",
        "enable-reasoning": true,
        "vllm-version": "0.8.2",
      }),
    ).rejects.toThrow("invalid reasoning parser: granite (chose from { deepseek_r1 })");
  });
});

describe("granite with a template that switches on thinking (--model DIR)", () => {
  let dir: string;
  let server: TestServer;
  beforeAll(async () => {
    // Granite 3.2's chat template asks for the two sections in its system prompt only under
    // `{%- if thinking %}` (vLLM docs reasoning_outputs.md: pass thinking=True in
    // chat_template_kwargs); this small template of our own has the same switch.
    dir = await thinkingSwitchModelDir();
    const path = join(dir, "tokenizer_config.json");
    const config = JSON.parse(await readFile(path, "utf8"));
    config.chat_template =
      "<|system|>You are a helpful assistant." +
      "{% if thinking %} Write your thoughts after 'Here is my thought process:' and your" +
      " answer after 'Here is my response:'.{% endif %}\n" +
      "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}\n{% endfor %}" +
      "{% if add_generation_prompt %}<|assistant|>{% endif %}";
    await writeFile(path, JSON.stringify(config));
    server = await startVllm(
      { "reasoning-parser": "granite", "generation-mode": "echo", "served-model-name": "granite" },
      [dir],
    );
  });
  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  // serving_engine.py _preprocess_chat hands chat_template_kwargs to the template, so the prompt
  // count follows the switch, and the model thinks exactly when the template asked it to.
  it("counts the longer prompt and splits the thinking only with thinking on", async () => {
    const answer = async (kwargs?: object) => {
      const body = await (
        await chat(server, { model: "granite", seed: 1, chat_template_kwargs: kwargs })
      ).json();
      return { prompt: body.usage.prompt_tokens as number, message: body.choices[0].message };
    };
    const plain = await answer();
    const off = await answer({ thinking: false });
    const on = await answer({ thinking: true });
    expect(off.prompt).toBe(plain.prompt);
    expect(on.prompt).toBeGreaterThan(plain.prompt);
    expect(plain.message.reasoning).toBeNull();
    expect(off.message.reasoning).toBeNull();
    expect(on.message.reasoning).toMatch(/^\n\S/);
    expect(on.message.content).toBe("\n\nIs 9.11 bigger than 9.8?");
  });
});

describe("chat_template_kwargs", () => {
  let dir: string;
  let server: TestServer;
  beforeAll(async () => {
    // A model whose template reads enable_thinking as Qwen3's does (test-server.ts).
    dir = await thinkingSwitchModelDir();
    server = await startVllm(
      { "reasoning-parser": "qwen3", "generation-mode": "echo", "served-model-name": "qwen" },
      [dir],
    );
  });
  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  // vLLM serving_engine.py _preprocess_chat: the request's chat_template_kwargs are handed to the
  // template renderer with the other template variables, so the prompt (and its count) follows.
  it("reaches the chat template", async () => {
    const usage = async (kwargs?: object) =>
      (await (await chat(server, { model: "qwen", chat_template_kwargs: kwargs })).json()).usage
        .prompt_tokens as number;
    const thinking = await usage();
    expect(await usage({ enable_thinking: true })).toBe(thinking);
    expect(await usage({ enable_thinking: false })).toBeGreaterThan(thinking);
  });

  // Qwen3 with enable_thinking false writes no think block, and the qwen3 parser (both markers
  // required, qwen3_reasoning_parser.py) leaves the whole answer in content, streamed the same.
  it("turns Qwen3's thinking off with enable_thinking false", async () => {
    const body = { model: "qwen", seed: 1, chat_template_kwargs: { enable_thinking: false } };
    const message = (await (await chat(server, body)).json()).choices[0].message;
    expect(message.reasoning).toBeNull();
    expect(message.content).not.toMatch(/think>/);
    const deltas = deltasOf(chunksOf(await (await chat(server, { ...body, stream: true })).text()));
    expect(deltas.every((d) => d.reasoning === undefined || d.reasoning === null)).toBe(true);
    expect(deltas.map((d) => d.content ?? "").join("")).toBe(message.content);
  });

  // ChatCompletionRequest.chat_template_kwargs is `dict[str, Any] | None`: pydantic's dict_type.
  it("refuses a chat_template_kwargs that is not an object", async () => {
    const answer = await chat(server, { model: "qwen", chat_template_kwargs: "enable_thinking" });
    expect(answer.status).toBe(400);
    expect(JSON.stringify(await answer.json())).toMatch(/dict_type/);
  });
});

describe("reasoning with the openai SDK", () => {
  let server: TestServer;
  let client: OpenAI;
  beforeAll(async () => {
    server = await startVllm({
      "reasoning-parser": "deepseek_r1",
      "generation-mode": "echo",
      "served-model-name": "r1",
    });
    client = openaiClient(server);
  });
  afterAll(() => server.close());

  /** vLLM's extra message fields, which the SDK passes through untyped. */
  type Reasoned = { reasoning?: string | null; reasoning_content?: string | null };

  // docs reasoning_outputs.md (v0.11.2): `response.choices[0].message.reasoning`, content after.
  it("reads message.reasoning and content", async () => {
    const answer = await client.chat.completions.create({
      model: "r1",
      messages: [{ role: "user", content: "Say hi" }],
      seed: 1,
    });
    const message = answer.choices[0]?.message as OpenAI.ChatCompletionMessage & Reasoned;
    expect(message.reasoning?.length).toBeGreaterThan(0);
    expect(message.reasoning_content).toBe(message.reasoning);
    expect(message.content).toBe("\n\nSay hi");
  });

  // docs reasoning_outputs.md "Streaming chat completions": delta.reasoning while thinking.
  it("streams delta.reasoning, then delta.content", async () => {
    const stream = await client.chat.completions.create({
      model: "r1",
      messages: [{ role: "user", content: "Say hi" }],
      seed: 1,
      stream: true,
    });
    let reasoning = "";
    let content = "";
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as
        | (OpenAI.ChatCompletionChunk.Choice.Delta & Reasoned)
        | undefined;
      if (delta?.reasoning) {
        expect(content).toBe("");
        reasoning += delta.reasoning;
      }
      content += delta?.content ?? "";
    }
    expect(reasoning.length).toBeGreaterThan(0);
    expect(content).toBe("\n\nSay hi");
  });
});
