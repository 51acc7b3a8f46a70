/**
 * Bad input never crashes the mock (issue 3 "Proof"): a few hundred random bodies, each answered
 * with a status below 500, and the server still serves afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VllmError } from "./errors.js";
import { constrainedText } from "./guided-samplers.js";
import { startVllm, type TestServer } from "./test-server.js";

/** A small deterministic PRNG (mulberry32), so a failing body can be replayed. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const keys = [
  "model",
  "prompt",
  "messages",
  "max_tokens",
  "max_completion_tokens",
  "n",
  "temperature",
  "top_p",
  "top_k",
  "seed",
  "stop",
  "stop_token_ids",
  "min_tokens",
  "ignore_eos",
  "echo",
  "logprobs",
  "top_logprobs",
  "stream",
  "stream_options",
  "tokens",
  "include_stop_str_in_output",
  "best_of",
  "prompt_logprobs",
  "request_id",
  "guided_regex",
  "guided_grammar",
  "logit_bias",
  "bad_words",
  "min_p",
  "presence_penalty",
  "frequency_penalty",
  "repetition_penalty",
  "continue_final_message",
  "add_generation_prompt",
];

function value(random: () => number, depth = 0): unknown {
  const pick = Math.floor(random() * (depth > 1 ? 6 : 9));
  switch (pick) {
    case 0:
      return null;
    case 1:
      return random() < 0.5;
    case 2:
      return Math.floor(random() * 200) - 50;
    case 3:
      return random() * 4 - 2;
    case 4:
      return "word ".repeat(Math.floor(random() * 5));
    case 5:
      return 1e12;
    case 6:
      return [value(random, depth + 1), value(random, depth + 1)];
    case 7:
      return [{ role: "user", content: value(random, depth + 1) }];
    default:
      return { include_usage: value(random, depth + 1) };
  }
}

describe("fuzz", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({ "max-model-len": "128" });
  });
  afterAll(() => server.close());

  it("answers 300 random bodies below 500 and keeps serving", async () => {
    const random = prng(20261121);
    const paths = ["/v1/completions", "/v1/chat/completions", "/tokenize", "/detokenize"];
    for (let i = 0; i < 300; i += 1) {
      const body: Record<string, unknown> = {};
      for (const key of keys) if (random() < 0.3) body[key] = value(random);
      if (random() < 0.5) body.max_tokens = Math.floor(random() * 8) + 1;
      const path = paths[i % paths.length] as string;
      const response = await fetch(`${server.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      expect(response.status, `${path} ${JSON.stringify(body)} -> ${text}`).toBeLessThan(500);
    }
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });
});

describe("fuzz of guided-decoding patterns", () => {
  /** A random string of `alphabet`'s pieces. */
  function randomText(random: () => number, alphabet: readonly string[], length: number): string {
    let text = "";
    for (let i = 0; i < length; i += 1) {
      text += alphabet[Math.floor(random() * alphabet.length)] ?? "";
    }
    return text;
  }

  // Every random pattern is either sampled or refused with vLLM's 400, never a crash or a hang.
  it("samples or refuses 500 random regexes and grammars", () => {
    const random = prng(3);
    const regexParts = ["a", "b", "[", "]", "(", ")", "{", "}", "*", "+", "?", "|", "\\", "^"];
    const regexMore = ["$", ".", "-", ",", "9", "99999", "\\d", "(?=", "[^", "z-a", "{2,1}"];
    const grammarParts = ["root", " ::= ", "x", ' "a" ', "[a-z]", "(", ")", "|", "*", "{3}", "\n"];
    const outcomes = { sampled: 0, refused: 0 };
    for (let i = 0; i < 500; i += 1) {
      const regex = randomText(
        random,
        [...regexParts, ...regexMore],
        1 + Math.floor(random() * 12),
      );
      const grammar = randomText(random, grammarParts, 1 + Math.floor(random() * 12));
      for (const run of [
        () => constrainedText({ regex }, i),
        () => constrainedText({ grammar }, i),
      ]) {
        try {
          expect(typeof run()).toBe("string");
          outcomes.sampled += 1;
        } catch (error) {
          expect(error, `${regex} / ${grammar}`).toBeInstanceOf(VllmError);
          expect((error as VllmError).status).toBe(400);
          outcomes.refused += 1;
        }
      }
    }
    expect(outcomes.sampled).toBeGreaterThan(20);
    expect(outcomes.refused).toBeGreaterThan(20);
  });
});

describe("fuzz of /v1/responses", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({ "max-model-len": "128" });
  });
  afterAll(() => server.close());

  /** protocol.py ResponsesRequest fields, and shapes of its item and tool lists. */
  const responseKeys = [
    "model",
    "input",
    "instructions",
    "max_output_tokens",
    "temperature",
    "top_p",
    "stream",
    "store",
    "background",
    "previous_response_id",
    "text",
    "tools",
    "tool_choice",
    "include",
    "top_logprobs",
    "metadata",
    "user",
    "request_id",
    "priority",
    "seed",
  ];
  const shapes = (random: () => number): unknown[] => [
    [{ type: "function_call", call_id: "c", name: "f", arguments: value(random, 2) }],
    [{ type: "function_call_output", call_id: value(random, 2), output: "x" }],
    [{ type: "function", name: value(random, 2), parameters: { type: "object" } }],
    { format: { type: "json_schema", name: "s", schema: value(random, 2) } },
    { type: "function", name: value(random, 2) },
    ["message.output_text.logprobs"],
  ];

  // Every body is answered below 500 (a 200 stream included), never a crash or a hang.
  it("answers 200 random bodies below 500 and keeps serving", async () => {
    const random = prng(20261122);
    for (let i = 0; i < 200; i += 1) {
      const body: Record<string, unknown> = {};
      for (const key of responseKeys) {
        if (random() >= 0.3) continue;
        const options = shapes(random);
        body[key] = random() < 0.3 ? options[Math.floor(random() * options.length)] : value(random);
      }
      if (random() < 0.6) body.input = "word ".repeat(Math.floor(random() * 4) + 1);
      if (random() < 0.5) body.max_output_tokens = Math.floor(random() * 8) + 1;
      const response = await fetch(`${server.url}/v1/responses`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      expect(response.status, `${JSON.stringify(body)} -> ${text}`).toBeLessThan(500);
    }
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });
});

describe("fuzz of /v1/messages", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({
      "served-model-name": "served-model",
      "max-model-len": "256",
      "enable-auto-tool-choice": true,
      "tool-call-parser": "hermes",
    });
  });
  afterAll(() => server.close());

  /** protocol.py AnthropicMessagesRequest fields, and shapes of its blocks and tools. */
  const messageKeys = [
    "model",
    "messages",
    "max_tokens",
    "system",
    "stop_sequences",
    "stream",
    "temperature",
    "top_p",
    "top_k",
    "metadata",
    "tools",
    "tool_choice",
  ];
  const shapes = (random: () => number): unknown[] => [
    [{ role: "user", content: [{ type: "text", text: value(random, 2) }] }],
    [{ role: value(random, 2), content: "hi" }],
    [{ role: "user", content: [{ type: "tool_result", id: "t", content: value(random, 2) }] }],
    [
      {
        role: "assistant",
        content: [{ type: "tool_use", id: "t", name: "f", input: value(random, 2) }],
      },
    ],
    [{ type: "text", text: value(random, 2) }],
    [{ name: value(random, 2), input_schema: { type: "object" } }],
    [{ name: "f", input_schema: value(random, 2) }],
    { type: ["auto", "any", "tool", "none"][Math.floor(random() * 4)], name: value(random, 2) },
    ["\n", value(random, 2)],
  ];

  // Every body is answered below 500 (a 200 stream included), or with the 500 vLLM's handler
  // itself answers in Anthropic's envelope (a nameless tool choice, arguments cut short);
  // never the host's crash or a hang.
  it("answers 200 random bodies as vLLM does and keeps serving", async () => {
    const random = prng(20261123);
    const statuses = new Map<number, number>();
    for (let i = 0; i < 200; i += 1) {
      const body: Record<string, unknown> = {};
      for (const key of messageKeys) {
        if (random() >= 0.15) continue;
        const options = shapes(random);
        body[key] = random() < 0.5 ? options[Math.floor(random() * options.length)] : value(random);
      }
      if (random() < 0.8) body.model = "served-model";
      if (random() < 0.7) body.messages = [{ role: "user", content: "word ".repeat(3) }];
      if (random() < 0.8) body.max_tokens = Math.floor(random() * 8) + 1;
      const response = await fetch(`${server.url}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      const context = `${JSON.stringify(body)} -> ${text}`;
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      if (response.status >= 500) {
        expect(response.status, context).toBe(500);
        expect(JSON.parse(text).error.type, context).toBe("internal_error");
      }
    }
    expect(statuses.get(200)).toBeGreaterThan(10);
    expect(statuses.get(400)).toBeGreaterThan(10);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });
});

describe("fuzz of /v1/messages/count_tokens", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({
      "served-model-name": "served-model",
      "vllm-version": "0.17.0",
      "enable-auto-tool-choice": true,
      "tool-call-parser": "hermes",
    });
  });
  afterAll(() => server.close());

  /** protocol.py AnthropicCountTokensRequest fields (vllm PR #35588), and a stray max_tokens. */
  const countKeys = ["model", "messages", "system", "tools", "tool_choice", "max_tokens"];
  const shapes = (random: () => number): unknown[] => [
    [{ role: "user", content: [{ type: "text", text: value(random, 2) }] }],
    [{ role: "user", content: [{ type: "image", source: value(random, 2) }] }],
    [{ role: "user", content: [{ type: "image", source: { type: "url", url: "x" } }] }],
    [{ role: value(random, 2), content: "hi" }],
    [{ type: "text", text: value(random, 2) }],
    [{ name: value(random, 2), input_schema: { type: "object" } }],
    { type: ["auto", "any", "tool", "none"][Math.floor(random() * 4)], name: value(random, 2) },
  ];

  // Every body is answered 200 (a count), 4xx, or the 500 vLLM's handler answers in Anthropic's
  // envelope (a nameless tool choice); never the host's crash or a hang.
  it("answers 200 random bodies as vLLM does and keeps serving", async () => {
    const random = prng(20261121);
    const statuses = new Map<number, number>();
    for (let i = 0; i < 200; i += 1) {
      const body: Record<string, unknown> = {};
      for (const key of countKeys) {
        if (random() >= 0.2) continue;
        const options = shapes(random);
        body[key] = random() < 0.5 ? options[Math.floor(random() * options.length)] : value(random);
      }
      if (random() < 0.8) body.model = "served-model";
      if (random() < 0.7) body.messages = [{ role: "user", content: "word ".repeat(3) }];
      const response = await fetch(`${server.url}/v1/messages/count_tokens`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      const context = `${JSON.stringify(body)} -> ${text}`;
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      if (response.status === 200) {
        const count = JSON.parse(text) as { input_tokens: number };
        expect(count.input_tokens, context).toBeGreaterThan(0);
      }
      if (response.status >= 500) {
        expect(response.status, context).toBe(500);
        expect(JSON.parse(text).error.type, context).toBe("internal_error");
      }
    }
    expect(statuses.get(200)).toBeGreaterThan(10);
    expect(statuses.get(400)).toBeGreaterThan(10);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });
});

describe("fuzz of chat with a reasoning parser", () => {
  const servers: TestServer[] = [];
  afterAll(() => Promise.all(servers.map((server) => server.close())));

  // Reasoning bodies (reasoning-parser.ts): random fields around valid messages, streamed or not,
  // against deepseek_r1 and qwen3; every answer below 500, whole answers with string-or-null
  // parts, streams ending in [DONE] with no piece of a marker in any delta.
  it("answers 200 random reasoning bodies below 500 and keeps serving", async () => {
    for (const [parser, version] of [
      ["deepseek_r1", "0.10.2"],
      ["qwen3", "0.12.0"],
    ] as const) {
      servers.push(
        await startVllm({
          "max-model-len": "128",
          "reasoning-parser": parser,
          "vllm-version": version,
        }),
      );
    }
    const random = prng(3_000_017);
    const extra = [
      "include_reasoning",
      "chat_template_kwargs",
      "response_format",
      "stop",
      "n",
      "seed",
      "max_tokens",
      "stream",
      "logprobs",
      "top_logprobs",
      "tool_choice",
    ];
    for (let i = 0; i < 200; i += 1) {
      const server = servers[i % servers.length] as TestServer;
      const body: Record<string, unknown> = {
        messages: [{ role: "user", content: "word ".repeat(1 + Math.floor(random() * 4)) }],
      };
      for (const key of extra) if (random() < 0.3) body[key] = value(random);
      if (random() < 0.6) body.max_tokens = Math.floor(random() * 40) + 1;
      if (random() < 0.4) body.stream = true;
      if (random() < 0.2) body.chat_template_kwargs = { enable_thinking: random() < 0.5 };
      const response = await fetch(`${server.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      const what = `${JSON.stringify(body)} -> ${text}`;
      expect(response.status, what).toBeLessThan(500);
      if (response.status !== 200) continue;
      if (body.stream === true) {
        expect(text.endsWith("data: [DONE]\n\n"), what).toBe(true);
        for (const frame of text.split("\n\n").filter((f) => f.startsWith("data: {"))) {
          const chunk = JSON.parse(frame.slice(6)) as { choices: { delta: object }[] };
          for (const choice of chunk.choices) {
            expect(JSON.stringify(choice.delta), what).not.toContain("think>");
          }
        }
      } else {
        for (const choice of JSON.parse(text).choices) {
          const { content } = choice.message;
          const reasoning = choice.message.reasoning ?? choice.message.reasoning_content;
          expect(content === null || typeof content === "string", what).toBe(true);
          expect(reasoning === null || typeof reasoning === "string", what).toBe(true);
        }
      }
    }
    for (const server of servers) expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });
});

describe("fuzz of image parts in chat and Messages bodies", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({ "served-model-name": "served-model", "vllm-version": "0.17.0" });
  });
  afterAll(() => server.close());

  /** Content parts and blocks around images: well formed, malformed, and random. */
  const chatParts = (random: () => number): unknown[] => [
    { type: "text", text: value(random, 2) },
    { type: "image_url", image_url: { url: value(random, 2) } },
    { type: "image_url", image_url: value(random, 2) },
    { type: "image_url" },
    value(random, 2),
  ];
  const blocks = (random: () => number): unknown[] => [
    { type: "text", text: value(random, 2) },
    { type: "image", source: { type: "base64", media_type: "image/png", data: "AA==" } },
    { type: "image", source: value(random, 2) },
    { type: "image" },
    value(random, 2),
  ];
  const pick = (random: () => number, list: unknown[]) => list[Math.floor(random() * list.length)];

  // An image on the text-only model is vLLM's 400 "... is not a multimodal model"; other bodies
  // answer 200 or a 4xx; never a 5xx or a hang (vllm/multimodal/registry.py create_processor).
  it("answers 150 random bodies per route below 500 and keeps serving", async () => {
    const random = prng(20261124);
    const statuses = new Map<number, number>();
    for (let i = 0; i < 150; i += 1) {
      const n = 1 + Math.floor(random() * 3);
      const chat = {
        model: "served-model",
        max_tokens: 2,
        messages: [
          {
            role: "user",
            content: Array.from({ length: n }, () => pick(random, chatParts(random))),
          },
        ],
      };
      const messages = {
        model: "served-model",
        max_tokens: 2,
        messages: [
          { role: "user", content: Array.from({ length: n }, () => pick(random, blocks(random))) },
        ],
      };
      for (const [path, body] of [
        ["/v1/chat/completions", chat],
        ["/v1/messages", messages],
        ["/v1/messages/count_tokens", messages],
      ] as const) {
        const response = await fetch(`${server.url}${path}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
        const text = await response.text();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        expect(response.status, `${path} ${JSON.stringify(body)} -> ${text}`).toBeLessThan(500);
        if (text.includes("is not a multimodal model")) expect(response.status).toBe(400);
      }
    }
    expect(statuses.get(200)).toBeGreaterThan(10);
    expect(statuses.get(400)).toBeGreaterThan(10);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });
});

describe("fuzz of /v1/responses with a reasoning parser", () => {
  const servers: TestServer[] = [];
  afterAll(() => Promise.all(servers.map((server) => server.close())));

  // Responses reasoning (responses.ts, responses-stream.ts) in both stream eras: every answer
  // below 500; whole answers with the reasoning item before the message (no marker from
  // deepseek_r1); streams that end in
  // response.completed with consecutive sequence numbers, no piece of a marker in any delta, and
  // each reasoning_text.done holding the deltas before it.
  it("answers 150 random bodies below 500 with well-formed reasoning", async () => {
    for (const [parser, version] of [
      ["deepseek_r1", "0.14.0"],
      ["qwen3", "0.18.0"],
    ] as const) {
      servers.push(
        await startVllm({
          "max-model-len": "128",
          "reasoning-parser": parser,
          "vllm-version": version,
        }),
      );
    }
    const random = prng(4_000_037);
    const extra = ["max_output_tokens", "temperature", "seed", "text", "include", "top_logprobs"];
    for (let i = 0; i < 150; i += 1) {
      const server = servers[i % servers.length] as TestServer;
      const body: Record<string, unknown> = { input: "word ".repeat(1 + Math.floor(random() * 4)) };
      for (const key of extra) if (random() < 0.25) body[key] = value(random);
      if (random() < 0.6) body.max_output_tokens = Math.floor(random() * 40) + 1;
      if (random() < 0.5) body.stream = true;
      const response = await fetch(`${server.url}/v1/responses`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      const what = `${JSON.stringify(body)} -> ${text}`;
      expect(response.status, what).toBeLessThan(500);
      if (response.status !== 200) continue;
      if (body.stream !== true) {
        const types = (JSON.parse(text).output as { type: string }[]).map((item) => item.type);
        expect(["", "reasoning", "message", "reasoning,message"], what).toContain(types.join());
        // qwen3's parser (≈0.9-0.16 rule, reasoning-parser.ts) keeps a cut thinking as content,
        // <think> and all; deepseek_r1's never shows a marker.
        if (i % servers.length === 0) expect(text, what).not.toContain("think>");
        continue;
      }
      const events = text
        .slice(0, -2)
        .split("\n\n")
        .map((frame) => JSON.parse(frame.slice(frame.indexOf("\ndata: ") + 7)));
      expect(events.at(-1)?.type, what).toBe("response.completed");
      expect(
        events.map((event) => event.sequence_number),
        what,
      ).toEqual(events.map((_, n) => n));
      let thinking = "";
      for (const event of events) {
        if (event.type === "response.reasoning_text.delta") thinking += event.delta;
        if (event.type === "response.reasoning_text.done") expect(event.text, what).toBe(thinking);
        if (event.type.endsWith(".delta")) expect(event.delta, what).not.toContain("think>");
      }
    }
    for (const server of servers) expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });
});

describe("fuzz of the granite reasoning parser", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({
      "max-model-len": "160",
      "reasoning-parser": "granite",
      "vllm-version": "0.12.0",
    });
  });
  afterAll(() => server.close());

  // granite_reasoning_parser.py: random chat, Responses and Messages bodies, thinking switched by
  // chat_template_kwargs.thinking (any JSON value); every answer below 500, and no stream delta
  // ever carries a whole marker (the streaming parser holds them back and drops them).
  it("answers 150 random bodies below 500 with no marker in a stream", async () => {
    const random = prng(5_000_011);
    const extra = ["chat_template_kwargs", "response_format", "stop", "n", "seed", "logprobs"];
    const routes = ["/v1/chat/completions", "/v1/responses", "/v1/messages"] as const;
    for (let i = 0; i < 150; i += 1) {
      const route = routes[i % routes.length] as (typeof routes)[number];
      const words = "word ".repeat(1 + Math.floor(random() * 4));
      const body: Record<string, unknown> =
        route === "/v1/responses"
          ? { input: words }
          : { messages: [{ role: "user", content: words }], max_tokens: 30 };
      if (route === "/v1/chat/completions") {
        for (const key of extra) if (random() < 0.25) body[key] = value(random);
        if (random() < 0.6) body.chat_template_kwargs = { thinking: value(random) };
      }
      if (random() < 0.6) {
        body[route === "/v1/responses" ? "max_output_tokens" : "max_tokens"] =
          Math.floor(random() * 40) + 1;
      }
      if (random() < 0.5) body.stream = true;
      const response = await fetch(`${server.url}${route}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      const what = `${route} ${JSON.stringify(body)} -> ${text}`;
      expect(response.status, what).toBeLessThan(500);
      if (response.status === 200 && body.stream === true) {
        expect(text, what).not.toMatch(/my thought process:|my response:/);
      }
    }
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });
});

// Structured-output refusals (structured.test.ts pins each text): response_format that fits no model of
// the union (protocol.py), structural tags neither backend builds (backend_xgrammar.py,
// backend_guidance.py), non-object JSON schemas; plus random structural tag shapes. Each is a
// 400 and the server keeps serving.
describe("fuzz corpus of structured-output refusals", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({ "max-model-len": "256" });
  });
  afterAll(() => server.close());

  const corpus: readonly Record<string, unknown>[] = [
    { response_format: { type: "json_schema", json_schema: { name: "s", schema: "{}" } } },
    { response_format: { type: "json_schema", json_schema: { schema: {} } } },
    { response_format: { type: "json_schema", json_schema: "s" } },
    { response_format: { type: "json_schema", json_schema: { name: 5, strict: "x" } } },
    { response_format: { type: "xml" } },
    { response_format: "json_object" },
    { response_format: [] },
    { response_format: { type: "structural_tag" } },
    { response_format: { type: "structural_tag", structures: 1, triggers: [1] } },
    { response_format: { type: "structural_tag", structures: [{ begin: 1 }], triggers: [] } },
    {
      response_format: {
        type: "structural_tag",
        structures: [{ begin: "<a>", end: "" }],
        triggers: ["<b"],
      },
    },
    { response_format: { type: "structural_tag", format: null } },
    { response_format: { type: "structural_tag", format: { type: "sequence", elements: [] } } },
    { response_format: { type: "structural_tag", format: { type: "regex", pattern: "(" } } },
    { structured_outputs: { structural_tag: "{" } },
    { structured_outputs: { structural_tag: 5 } },
    { structured_outputs: { structural_tag: "[]" } },
    { structured_outputs: { json: 5 } },
    { structured_outputs: { json: [] } },
    { structured_outputs: { json: true } },
  ];

  it("answers every corpus body 400 on both endpoints and keeps serving", async () => {
    for (const extra of corpus) {
      for (const [path, base] of [
        ["/v1/chat/completions", { messages: [{ role: "user", content: "hi" }] }],
        ["/v1/completions", { prompt: "hi" }],
      ] as const) {
        const body = { ...base, max_tokens: 8, ...extra };
        const response = await fetch(`${server.url}${path}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
        expect(response.status, `${path} ${JSON.stringify(body)} -> ${await response.text()}`).toBe(
          400,
        );
      }
    }
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it("answers 150 random structural tags below 500", async () => {
    const random = prng(14_000_004);
    const kinds = ["const_string", "json_schema", "regex", "grammar", "any_text", "sequence", "or"];
    const node = (depth: number): unknown => {
      const type = kinds[Math.floor(random() * kinds.length)];
      if (random() < 0.15) return value(random, depth);
      const children = depth > 2 ? [] : [node(depth + 1), node(depth + 1)];
      return {
        type,
        value: random() < 0.8 ? "v" : value(random, 2),
        json_schema: random() < 0.8 ? { type: "object" } : value(random, 2),
        pattern: random() < 0.8 ? "[ab]{2}" : value(random, 2),
        grammar: random() < 0.8 ? 'root ::= "g"' : value(random, 2),
        elements: random() < 0.8 ? children : value(random, 2),
      };
    };
    for (let i = 0; i < 150; i += 1) {
      const tag =
        random() < 0.5
          ? { type: "structural_tag", format: node(0) }
          : {
              type: "structural_tag",
              structures: [{ begin: random() < 0.7 ? "<a>" : value(random, 2), end: "</a>" }],
              triggers: random() < 0.7 ? ["<a"] : value(random, 2),
            };
      const response = await fetch(`${server.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          messages: [{ role: "user", content: "hi" }],
          max_tokens: 20,
          response_format: tag,
        }),
      });
      const text = await response.text();
      expect(response.status, `${JSON.stringify(tag)} -> ${text}`).toBeLessThan(500);
    }
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });
});

// Refusals of /v1/responses (responses.test.ts pins each text): `text` that fits
// no model of openai's ResponseTextConfig / ResponseFormatTextConfig union, `reasoning` outside
// openai's Reasoning Literals. Each is a 400 and the server keeps serving.
describe("fuzz corpus of Responses text and reasoning refusals", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({ "max-model-len": "256" });
  });
  afterAll(() => server.close());

  const corpus: readonly Record<string, unknown>[] = [
    { text: "json" },
    { text: [] },
    { text: { format: "json_object" } },
    { text: { format: { type: "json" } } },
    { text: { format: { type: "json_schema" } } },
    { text: { format: { type: "json_schema", schema: "{}" } } },
    { text: { format: { type: "json_schema", schema: null, name: "s" } } },
    { text: { format: { type: "json_schema", schema: {}, name: 5, strict: "maybe" } } },
    { text: { format: {} } },
    { text: { verbosity: "loud" } },
    { reasoning: "high" },
    { reasoning: { effort: "max" } },
    { reasoning: { effort: 3 } },
    { reasoning: { summary: "long", generate_summary: [] } },
  ];

  it("answers every corpus body 400 and keeps serving", async () => {
    for (const extra of corpus) {
      const body = { input: "hi", max_output_tokens: 4, ...extra };
      const response = await fetch(`${server.url}/v1/responses`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      expect(response.status, `${JSON.stringify(body)} -> ${await response.text()}`).toBe(400);
    }
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });
});

// The top-level `structural_tag` of a chat request in the releases that read it
// (structured.test.ts pins it): a non-string, or a text neither backend builds, is a 400.
describe("fuzz corpus of top-level structural_tag refusals (0.11.0 chat)", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({ "max-model-len": "256", "vllm-version": "0.11.0" });
  });
  afterAll(() => server.close());

  const corpus: readonly unknown[] = [
    5,
    { type: "structural_tag" },
    ["<a>"],
    "{",
    "[]",
    JSON.stringify({ type: "structural_tag", structures: 1, triggers: [] }),
    JSON.stringify({
      type: "structural_tag",
      structures: [{ begin: "<a>", end: "" }],
      triggers: ["<b"],
    }),
  ];

  it("answers every corpus value 400 and keeps serving", async () => {
    for (const tag of corpus) {
      const body = {
        messages: [{ role: "user", content: "hi" }],
        max_tokens: 8,
        structural_tag: tag,
      };
      const response = await fetch(`${server.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      expect(response.status, `${JSON.stringify(body)} -> ${await response.text()}`).toBe(400);
    }
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });
});

// A json_schema response_format without its schema object (structured.test.ts
// pins each answer): validate_response_format's 400 from 0.17.0 (vllm PRs #35456, #35510), the
// assertion's 500 with an empty message before (vllm issue #35438). Either way it keeps serving.
describe("fuzz corpus of json_schema formats without a schema, by release", () => {
  const corpus: readonly Record<string, unknown>[] = [
    { type: "json_schema" },
    { type: "json_schema", json_schema: null },
    { type: "json_schema", json_schema: null, schema: { type: "object" } },
    { type: "json_schema", strict: true },
  ];
  const bodies = [
    ["/v1/chat/completions", { messages: [{ role: "user", content: "hi" }], max_tokens: 4 }],
    ["/v1/completions", { prompt: "hi", max_tokens: 4 }],
  ] as const;

  it("answers every corpus format 400 from 0.17.0, 500 on 0.16.0, and keeps serving", async () => {
    for (const [version, status] of [
      ["0.17.0", 400],
      ["0.16.0", 500],
    ] as const) {
      const server = await startVllm({ "max-model-len": "256", "vllm-version": version });
      try {
        for (const response_format of corpus) {
          for (const [path, base] of bodies) {
            const response = await fetch(`${server.url}${path}`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ ...base, response_format }),
            });
            const text = await response.text();
            expect(
              response.status,
              `${version} ${path} ${JSON.stringify(response_format)} -> ${text}`,
            ).toBe(status);
          }
        }
        expect((await fetch(`${server.url}/health`)).status).toBe(200);
      } finally {
        await server.close();
      }
    }
  });
});

// Responses structured_outputs beside a text.format (responses.test.ts pins the
// text): the 400 of to_sampling_params from 0.17.0, and a structured_outputs that is not an
// object (pydantic's dict_type). Each is a 400 and the server keeps serving.
describe("fuzz corpus of Responses structured_outputs refusals (0.17.0)", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({ "max-model-len": "256", "vllm-version": "0.17.0" });
  });
  afterAll(() => server.close());

  const corpus: readonly Record<string, unknown>[] = [
    { structured_outputs: { choice: ["a", "b"] }, text: { format: { type: "text" } } },
    { structured_outputs: {}, text: { format: { type: "json_object" } } },
    {
      structured_outputs: { regex: "[0-9]+" },
      text: { format: { type: "json_schema", name: "s", schema: {} } },
    },
    { structured_outputs: "json" },
    { structured_outputs: [] },
    { structured_outputs: { structural_tag: 5 } },
  ];

  it("answers every corpus body 400 and keeps serving", async () => {
    for (const extra of corpus) {
      const body = { input: "hi", max_output_tokens: 4, ...extra };
      const response = await fetch(`${server.url}/v1/responses`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      expect(response.status, `${JSON.stringify(body)} -> ${await response.text()}`).toBe(400);
    }
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });
});

describe("fuzz: stream_options against vLLM's truth test", () => {
  // protocol.py validate_stream_options (vLLM PR #30134 era, 0.13.0+): `if
  // data.get("stream_options") and not data.get("stream")` raises VLLMValidationError(...,
  // parameter="stream_options"). Python truth values, written out here (None, False, 0, "", [],
  // {} false), each value paired with the truth Python gives it.
  const values: readonly [unknown, boolean][] = [
    [null, false],
    [false, false],
    [0, false],
    ["", false],
    [[], false],
    [{}, false],
    [true, true],
    [2, true],
    ["x", true],
    [[1], true],
    [{ include_usage: true }, true],
    [{ include_usage: false }, true],
  ];
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({ "vllm-version": "0.13.0" });
  });
  afterAll(() => server.close());

  it("refuses exactly the truthy stream_options with a falsy stream, naming the parameter", async () => {
    const random = prng(1403);
    for (let i = 0; i < 120; i++) {
      const [stream, streamTrue] = values[Math.floor(random() * values.length)] as [
        unknown,
        boolean,
      ];
      const [options, optionsTrue] = values[Math.floor(random() * values.length)] as [
        unknown,
        boolean,
      ];
      const response = await fetch(`${server.url}/v1/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ prompt: "x", max_tokens: 1, stream, stream_options: options }),
      });
      const text = await response.text();
      const replay = JSON.stringify({ stream, options });
      expect(response.status, replay).toBeLessThan(500);
      const refusedByValidator = text.includes("Stream options can only be defined");
      expect(refusedByValidator, replay).toBe(optionsTrue && !streamTrue);
      if (refusedByValidator) {
        expect(response.status, replay).toBe(400);
        expect(JSON.parse(text).error.param, replay).toBe("stream_options");
      }
    }
  });
});
