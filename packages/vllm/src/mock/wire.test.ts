/**
 * Exact bytes on the wire: SSE framing, chunk keys, error bodies per era, tokenize agreement,
 * and the seed document's curl command (vllm-openai.md §3, §5-§7; seeds/000_b0c66ebd806574ec.txt).
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startVllm, type TestServer } from "./test-server.js";

const run = promisify(execFile);

function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

function events(text: string): string[] {
  expect(text.endsWith("\n\n")).toBe(true);
  return text
    .slice(0, -2)
    .split("\n\n")
    .map((event) => {
      expect(event.startsWith("data: ")).toBe(true);
      return event.slice("data: ".length);
    });
}

describe("vLLM wire format", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({ "served-model-name": "granite", "max-model-len": "64" });
  });
  afterAll(() => server.close());

  // vllm-openai.md §6: data: lines only, role chunk, deltas without stop_reason, final chunk
  // with finish_reason and stop_reason, usage chunk with choices [], then [DONE].
  it("frames a chat stream exactly", async () => {
    const response = await post(`${server.url}/v1/chat/completions`, {
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 3,
      ignore_eos: true,
      stream: true,
      stream_options: {},
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const data = events(await response.text());
    expect(data.at(-1)).toBe("[DONE]");
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
    for (const chunk of chunks) {
      expect(Object.keys(chunk).slice(0, 5)).toEqual([
        "id",
        "object",
        "created",
        "model",
        "choices",
      ]);
      expect(chunk.object).toBe("chat.completion.chunk");
    }
    // The default 0.12 writes both reasoning fields (vLLM PR #27752): the deprecated
    // reasoning_content is set on every delta, null here (chat-completions.ts wireDelta).
    expect(chunks[0].choices).toEqual([
      {
        index: 0,
        delta: { role: "assistant", content: "", reasoning_content: null },
        logprobs: null,
        finish_reason: null,
      },
    ]);
    const middle = chunks.slice(1, -2);
    for (const chunk of middle) {
      expect(Object.keys(chunk.choices[0])).toEqual([
        "index",
        "delta",
        "logprobs",
        "finish_reason",
      ]);
    }
    const final = chunks.at(-2);
    expect(final.choices[0]).toMatchObject({
      index: 0,
      finish_reason: "length",
      stop_reason: null,
    });
    // stream_options without include_usage counts as include_usage: true (vllm-openai.md §6).
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: { completion_tokens: 3 },
    });
  });

  // vllm-openai.md §6: continuous_usage_stats adds cumulative usage to every chunk (the role
  // chunk has completion_tokens 0).
  it("adds cumulative usage under continuous_usage_stats", async () => {
    const response = await post(`${server.url}/v1/chat/completions`, {
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 3,
      ignore_eos: true,
      stream: true,
      stream_options: { include_usage: true, continuous_usage_stats: true },
    });
    const chunks = events(await response.text())
      .slice(0, -1)
      .map((d) => JSON.parse(d));
    expect(chunks[0].usage.completion_tokens).toBe(0);
    const counts = chunks.map((c) => c.usage.completion_tokens as number);
    expect([...counts].sort((a, b) => a - b)).toEqual(counts);
    expect(counts.at(-1)).toBe(3);
    for (const chunk of chunks) {
      expect(chunk.usage.total_tokens).toBe(
        chunk.usage.prompt_tokens + chunk.usage.completion_tokens,
      );
    }
  });

  // vllm-openai.md §6: completions chunks carry every key, "usage": null included.
  it("frames a completions stream with every key", async () => {
    const response = await post(`${server.url}/v1/completions`, {
      prompt: "hello",
      max_tokens: 3,
      ignore_eos: true,
      stream: true,
    });
    const data = events(await response.text());
    expect(data.at(-1)).toBe("[DONE]");
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
    for (const chunk of chunks) {
      expect(Object.keys(chunk)).toEqual(["id", "object", "created", "model", "choices", "usage"]);
      expect(chunk.usage).toBeNull();
      expect(Object.keys(chunk.choices[0])).toEqual([
        "index",
        "text",
        "logprobs",
        "finish_reason",
        "stop_reason",
      ]);
    }
    expect(chunks.at(-1).choices[0].finish_reason).toBe("length");
  });

  // vLLM's UsageInfo (vllm/entrypoints/openai/protocol.py) declares prompt_tokens, total_tokens,
  // completion_tokens, and pydantic writes fields in that order: in answers (with
  // prompt_tokens_details: null, §5) and in stream usage chunks (nulls dropped, §6) alike.
  it("writes usage keys in UsageInfo's order, streamed and whole", async () => {
    const order = ["prompt_tokens", "total_tokens", "completion_tokens"];
    const chat = { messages: [{ role: "user", content: "hi" }], max_tokens: 2 };
    const completion = { prompt: "hello", max_tokens: 2 };
    for (const [path, body] of [
      ["/v1/chat/completions", chat],
      ["/v1/completions", completion],
    ] as const) {
      const whole = await (await post(`${server.url}${path}`, body)).json();
      expect(Object.keys(whole.usage), path).toEqual([...order, "prompt_tokens_details"]);
      const streamed = events(
        await (
          await post(`${server.url}${path}`, {
            ...body,
            stream: true,
            stream_options: { include_usage: true, continuous_usage_stats: true },
          })
        ).text(),
      );
      for (const data of streamed.slice(0, -1)) {
        const usage = JSON.parse(data).usage;
        expect(Object.keys(usage), `${path} stream`).toEqual(order);
      }
    }
  });

  // vllm-openai.md §5: non-streaming bodies carry the null fields.
  it("answers chat with every field", async () => {
    const response = await post(`${server.url}/v1/chat/completions`, {
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 2,
    });
    const body = await response.json();
    expect(Object.keys(body)).toEqual([
      "id",
      "object",
      "created",
      "model",
      "choices",
      "service_tier",
      "system_fingerprint",
      "usage",
      "prompt_logprobs",
      // vLLM PR #22587 (0.10.2; the default is 0.12.0): null without return_token_ids.
      "prompt_token_ids",
      "kv_transfer_params",
    ]);
    // vllm-openai.md §5: chatcmpl-<32-hex uuid>.
    expect(body.id).toMatch(/^chatcmpl-[0-9a-f]{32}$/);
    expect(body.choices[0].message).toMatchObject({
      role: "assistant",
      refusal: null,
      annotations: null,
      audio: null,
      function_call: null,
      tool_calls: [],
      reasoning_content: null,
    });
    expect(body.usage.prompt_tokens_details).toBeNull();
  });

  // vllm-openai.md §7: /tokenize ids are the ids generation counts as the prompt.
  it("tokenizes as generation counts, and detokenizes back", async () => {
    const prompt = "The quick brown fox";
    const tokens = await (await post(`${server.url}/tokenize`, { prompt })).json();
    expect(tokens).toMatchObject({ max_model_len: 64, token_strs: null });
    expect(tokens.count).toBe(tokens.tokens.length);
    const answer = await (
      await post(`${server.url}/v1/completions`, { prompt, max_tokens: 1 })
    ).json();
    expect(answer.usage.prompt_tokens).toBe(tokens.count);
    const back = await (await post(`${server.url}/detokenize`, { tokens: tokens.tokens })).json();
    expect(back.prompt).toContain(prompt);

    const messages = [{ role: "user", content: prompt }];
    const chatTokens = await (await post(`${server.url}/tokenize`, { messages })).json();
    const chat = await (
      await post(`${server.url}/v1/chat/completions`, { messages, max_tokens: 1 })
    ).json();
    expect(chat.usage.prompt_tokens).toBe(chatTokens.count);
  });

  // vllm-openai.md §1: /detokenize with overflowing ids → 400.
  it("refuses ids outside the vocabulary", async () => {
    const response = await post(`${server.url}/detokenize`, { tokens: [1e9] });
    expect(response.status).toBe(400);
    expect((await response.json()).error.type).toBe("BadRequestError");
  });

  // vllm-openai.md §3.1 era C (the default 0.12): param input_tokens; rules N+M ≤ L.
  it("refuses a prompt over max_model_len with the era's text", async () => {
    const response = await post(`${server.url}/v1/completions`, {
      prompt: "word ".repeat(80),
      max_tokens: 4,
    });
    expect(response.status).toBe(400);
    const body = await response.json();
    expect(body.error.param).toBe("input_tokens");
    expect(body.error.message).toMatch(
      /^This model's maximum context length is 64 tokens\. However, you requested 4 output tokens/,
    );
  });

  // vllm-openai.md §3: malformed JSON and wrong types are 400 in the envelope, never 422.
  it("answers bad bodies with 400 BadRequestError", async () => {
    const malformed = await post(`${server.url}/v1/completions`, "{not json");
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).error).toMatchObject({ type: "BadRequestError", code: 400 });
    // fastapi/routing.py: json_invalid at ("body", e.pos) with ctx {"error": e.msg}, printed as
    // Python prints the list (a msg holding ' is repr'd in double quotes).
    const delimiter = await post(`${server.url}/v1/completions`, '{"model": "m" "prompt": "x"}');
    expect((await delimiter.json()).error.message).toBe(
      `[{'type': 'json_invalid', 'loc': ('body', 14), 'msg': 'JSON decode error', 'input': {}, 'ctx': {'error': "Expecting ',' delimiter"}}]`,
    );
    const wrongType = await post(`${server.url}/v1/chat/completions`, { messages: "hi" });
    expect(wrongType.status).toBe(400);
    expect((await wrongType.json()).error.message).toContain("'loc': ('body', 'messages')");
    const missing = await post(`${server.url}/v1/completions`, { max_tokens: 1 });
    expect((await missing.json()).error.message).toContain("Field required");
    const notObject = await post(`${server.url}/v1/completions`, [1, 2]);
    expect(notObject.status).toBe(400);
  });

  // vllm-openai.md §1: a non-JSON content type on a JSON route is a validation error (400 in
  // the envelope, newer versions); an empty JSON body too.
  it("refuses non-JSON and empty bodies with 400", async () => {
    const form = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: '{"messages":[]}',
    });
    expect(form.status).toBe(400);
    expect((await form.json()).error.type).toBe("BadRequestError");
    const empty = await fetch(`${server.url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
    });
    expect(empty.status).toBe(400);
  });

  // vllm-openai.md §3.2: stream_options only with stream=true.
  it("refuses stream_options without stream", async () => {
    const response = await post(`${server.url}/v1/completions`, {
      prompt: "x",
      stream_options: { include_usage: true },
    });
    expect(response.status).toBe(400);
    expect((await response.json()).error.message).toContain(
      "Stream options can only be defined when `stream=True`.",
    );
  });

  // seeds/000_b0c66ebd806574ec.txt (vLLM example, quoting closed as seeds/README.md says): no
  // model in the body, which vLLM accepts (the served model answers).
  it("answers the seed document's curl command", async () => {
    const { stdout } = await run("curl", [
      "-s",
      `${server.url}/v1/chat/completions`,
      "-H",
      "Content-Type: application/json",
      "-d",
      '{ "messages": [{ "role": "user", "content": "Hello" }]}',
      "-H",
      "Authorization: Bearer token",
    ]);
    const body = JSON.parse(stdout);
    expect(body.object).toBe("chat.completion");
    expect(body.model).toBe("granite");
  });
});

describe("the seed's curl behind the platform's TLS and token", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({}, [], { tls: true, tokens: ["secret"] });
  });
  afterAll(() => server.close());

  // seeds/000_b0c66ebd806574ec.txt with --tls and --token (seeds/README.md: works with the URL,
  // model and token filled in); -k as the docs' other examples use it for cluster certificates.
  it("answers with the right token and refuses without one", async () => {
    const args = (token: string) => [
      "-sk",
      "-o",
      "-",
      "-w",
      "\n%{http_code}",
      `${server.url}/v1/chat/completions`,
      "-H",
      "Content-Type: application/json",
      "-d",
      '{ "messages": [{ "role": "user", "content": "Hello" }]}',
      "-H",
      `Authorization: Bearer ${token}`,
    ];
    const ok = (await run("curl", args("secret"))).stdout;
    expect(ok.endsWith("\n200")).toBe(true);
    expect(JSON.parse(ok.slice(0, ok.lastIndexOf("\n"))).object).toBe("chat.completion");
    const denied = (await run("curl", args("wrong"))).stdout;
    expect(denied.endsWith("\n401")).toBe(true);
  });
});

describe("older vLLM eras", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({ "vllm-version": "0.9.2", "max-model-len": "32" });
  });
  afterAll(() => server.close());

  // vllm-openai.md §3: ≤ 0.10.0 answers the flat envelope.
  it("answers the flat envelope", async () => {
    const response = await post(`${server.url}/v1/completions`, { model: "x", prompt: "hi" });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      object: "error",
      message: "The model `x` does not exist.",
      type: "NotFoundError",
      param: null,
      code: 404,
    });
  });

  // vllm-openai.md §3.1 era A: chat appends " None".
  it("words the chat context-length error of era A", async () => {
    const response = await post(`${server.url}/v1/chat/completions`, {
      messages: [{ role: "user", content: "word ".repeat(60) }],
    });
    const body = await response.json();
    expect(body.message).toMatch(
      /However, you requested \d+ tokens in the messages, Please reduce the length of the messages\. None$/,
    );
  });
});
