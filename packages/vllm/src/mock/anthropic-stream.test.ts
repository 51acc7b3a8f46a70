/**
 * The Anthropic stream of vLLM's Messages API (serving_messages.py `message_stream_converter`,
 * v0.11.1 to ≈0.14): the converter on hand-made chat frames, raw framing over fetch, and the
 * `@anthropic-ai/sdk` stream helper against the mock.
 */
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AnthropicStreamConverter } from "./anthropic-stream.js";
import { startVllm, type TestServer } from "./test-server.js";

const frame = (chunk: object) => `data: ${JSON.stringify(chunk)}\n\n`;
const head = { id: "chatcmpl-1", object: "chat.completion.chunk", created: 1, model: "m" };
const usage = (completion: number) => ({
  prompt_tokens: 7,
  total_tokens: 7 + completion,
  completion_tokens: completion,
});
const chunk = (delta: object, finish: string | null, completion: number) =>
  frame({
    ...head,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    usage: usage(completion),
  });

/** The events' (type, data) pairs of Anthropic frames. */
function events(frames: readonly string[]): { event: string | undefined; data: unknown }[] {
  return frames.map((f) => {
    const event = /^event: (.*)$/m.exec(f)?.[1];
    const data = /^data: (.*)$/m.exec(f)?.[1] ?? "";
    return { event, data: data === "[DONE]" ? data : JSON.parse(data) };
  });
}

describe("AnthropicStreamConverter", () => {
  // The era's order: message_start at the role chunk; a text block opened by the first
  // content; the finish chunk skipped whole (its text too); the usage chunk closes the block
  // and sends message_delta; [DONE] -> message_stop and [DONE].
  it("converts a text stream as vLLM's converter does", () => {
    const converter = new AnthropicStreamConverter();
    const out = [
      chunk({ role: "assistant", content: "" }, null, 0),
      chunk({ content: "Hel" }, null, 1),
      chunk({ content: "lo" }, null, 2),
      chunk({ content: "!" }, "stop", 3),
      frame({ ...head, choices: [], usage: usage(3) }),
      "data: [DONE]\n\n",
    ].flatMap((f) => converter.frame(f));
    expect(out[0]).toBe(
      'event: message_start\ndata: {"type":"message_start","message":{"id":"chatcmpl-1","content":[],"model":"m","usage":{"input_tokens":7,"output_tokens":0}}}\n\n',
    );
    expect(events(out)).toEqual([
      { event: "message_start", data: expect.objectContaining({ type: "message_start" }) },
      {
        event: "content_block_start",
        data: { type: "content_block_start", content_block: { type: "text", text: "" }, index: 0 },
      },
      {
        event: "content_block_delta",
        data: { type: "content_block_delta", delta: { type: "text_delta", text: "Hel" }, index: 0 },
      },
      {
        event: "content_block_delta",
        data: { type: "content_block_delta", delta: { type: "text_delta", text: "lo" }, index: 0 },
      },
      { event: "content_block_stop", data: { type: "content_block_stop", index: 0 } },
      {
        event: "message_delta",
        data: {
          type: "message_delta",
          delta: { stop_reason: "end_turn" },
          usage: { input_tokens: 7, output_tokens: 3 },
        },
      },
      { event: "message_stop", data: { type: "message_stop" } },
      { event: undefined, data: "[DONE]" },
    ]);
  });

  // A tool call's first chunk (with an id) opens a tool_use block, its argument text dropped
  // (vllm PR #34053, Feb 2026: "the arguments are ... silently dropped"); later argument chunks
  // are input_json_delta; an open text block is closed first.
  it("converts tool calls", () => {
    const converter = new AnthropicStreamConverter();
    const call = { id: "call_1", type: "function", index: 0 };
    const out = [
      chunk({ role: "assistant", content: "" }, null, 0),
      chunk({ content: "Let me see." }, null, 1),
      chunk({ tool_calls: [{ ...call, function: { name: "f", arguments: '{"' } }] }, null, 2),
      chunk({ tool_calls: [{ index: 0, function: { arguments: 'x": 1' } }] }, null, 3),
      chunk({ tool_calls: [{ index: 0, function: { arguments: "}" } }] }, "tool_calls", 4),
      frame({ ...head, choices: [], usage: usage(4) }),
    ].flatMap((f) => converter.frame(f));
    expect(events(out).map((e) => e.data)).toEqual([
      expect.objectContaining({ type: "message_start" }),
      expect.objectContaining({ type: "content_block_start", index: 0 }),
      expect.objectContaining({ type: "content_block_delta", index: 0 }),
      { type: "content_block_stop", index: 0 },
      {
        type: "content_block_start",
        content_block: { type: "tool_use", id: "call_1", name: "f", input: {} },
        index: 1,
      },
      {
        type: "content_block_delta",
        delta: { type: "input_json_delta", partial_json: 'x": 1' },
        index: 1,
      },
      { type: "content_block_stop", index: 1 },
      {
        type: "message_delta",
        delta: { stop_reason: "tool_use" },
        usage: { input_tokens: 7, output_tokens: 4 },
      },
    ]);
  });

  // stop_reason_map.get("abort") is None: message_delta says stop_reason null.
  it("maps an unknown finish reason to a null stop_reason", () => {
    const converter = new AnthropicStreamConverter();
    const out = [
      chunk({ role: "assistant", content: "" }, null, 0),
      chunk({}, "abort", 0),
      frame({ ...head, choices: [], usage: usage(0) }),
    ].flatMap((f) => converter.frame(f));
    expect(events(out).map((e) => e.data)).toEqual([
      expect.objectContaining({ type: "message_start" }),
      {
        type: "message_delta",
        delta: { stop_reason: null },
        usage: { input_tokens: 7, output_tokens: 0 },
      },
    ]);
  });

  // A chat error event does not validate as a chunk: the converter's except sends an error
  // event (internal_error) and [DONE], and the stream ends.
  it("ends with an error event on a chat error", () => {
    const converter = new AnthropicStreamConverter();
    converter.frame(chunk({ role: "assistant", content: "" }, null, 0));
    const error = { error: { message: "boom", type: "BadRequestError", param: null, code: 400 } };
    const out = converter.frame(frame(error));
    expect(converter.ended).toBe(true);
    const [first, last] = events(out);
    expect(first?.event).toBe("error");
    expect(first?.data).toMatchObject({
      type: "error",
      error: { type: "internal_error", message: expect.stringContaining("2 validation errors") },
    });
    expect(last?.data).toBe("[DONE]");
    expect(converter.frame("data: [DONE]\n\n")).toEqual([]);
  });
});

describe("the stream against the mock", () => {
  let server: TestServer;
  let client: Anthropic;
  beforeAll(async () => {
    server = await startVllm({ "served-model-name": "granite" });
    client = new Anthropic({ baseURL: server.url, apiKey: "unused", maxRetries: 0 });
  });
  afterAll(() => server.close());

  const body = {
    model: "granite",
    max_tokens: 6,
    messages: [{ role: "user" as const, content: "Tell me something" }],
  };

  it("frames events as vLLM does", async () => {
    const response = await fetch(`${server.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...body, stream: true }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const text = await response.text();
    const frames = text.split(/(?<=\n\n)/);
    const types = events(frames).map((e) => e.event);
    // No ping; one text block; [DONE] still sent after message_stop.
    expect(types[0]).toBe("message_start");
    expect(types[1]).toBe("content_block_start");
    expect(types.slice(-5)).toEqual([
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
      undefined,
    ]);
    expect(
      text.endsWith('event: message_stop\ndata: {"type":"message_stop"}\n\ndata: [DONE]\n\n'),
    ).toBe(true);
  });

  // The era's converter skips the chunk that carries finish_reason, and vLLM's chat stream puts
  // the last token's text on that chunk (vllm issue #35705): the stream's text is the whole
  // answer without its last token, while output_tokens counts it.
  it("loses the last token's text, as the era's converter does", async () => {
    // Greedy, so both runs draw the same tokens (the SDK's types no longer list temperature;
    // it goes out as given and vLLM reads it).
    const greedy = { ...body, temperature: 0 } as Anthropic.MessageCreateParamsNonStreaming;
    const whole = await client.messages.create(greedy);
    const streamed = client.messages.stream(greedy);
    const seen: string[] = [];
    streamed.on("streamEvent", (event) => seen.push(event.type));
    const final = await streamed.finalMessage();
    const wholeText = (whole.content[0] as Anthropic.TextBlock).text;
    const streamedText = (final.content[0] as Anthropic.TextBlock).text;
    expect(wholeText.startsWith(streamedText)).toBe(true);
    expect(streamedText.length).toBeLessThan(wholeText.length);
    expect(final.usage).toEqual(whole.usage);
    expect(final.stop_reason).toBe(whole.stop_reason);
    expect(final.id).toMatch(/^chatcmpl-/);
    expect(seen[0]).toBe("message_start");
    expect(seen.at(-1)).toBe("message_stop");
    expect(seen.at(-2)).toBe("message_delta");
  });

  // One token: the role chunk, then the finish chunk carrying the only text, which the era's
  // converter skips: no content block at all, output_tokens 1.
  it("sends no content block for a one-token answer", async () => {
    const response = await fetch(`${server.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...body, max_tokens: 1, stream: true }),
    });
    const parsed = events((await response.text()).split(/(?<=\n\n)/));
    expect(parsed.map((e) => e.event)).toEqual([
      "message_start",
      "message_delta",
      "message_stop",
      undefined,
    ]);
    expect(parsed[1]?.data).toMatchObject({
      delta: { stop_reason: "max_tokens" },
      usage: { output_tokens: 1 },
    });
  });

  // Errors before the stream starts answer as the handler's do (Anthropic's envelope).
  it("answers errors before the first event with a status", async () => {
    const failing = client.messages.stream({ ...body, model: "nope" });
    await expect(failing.finalMessage()).rejects.toBeInstanceOf(Anthropic.NotFoundError);
  });

  it("streams a named tool call as tool_use with input_json_delta", async () => {
    const response = await fetch(`${server.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        ...body,
        max_tokens: 200,
        stream: true,
        tools: [{ name: "f", input_schema: { properties: { city: { type: "string" } } } }],
        tool_choice: { type: "tool", name: "f" },
      }),
    });
    const parsed = events((await response.text()).split(/(?<=\n\n)/));
    const start = parsed.find((e) => e.event === "content_block_start")?.data;
    expect(start).toMatchObject({
      content_block: { type: "tool_use", name: "f", input: {} },
      index: 0,
    });
    expect(
      parsed.some(
        (e) => (e.data as { delta?: { type?: string } }).delta?.type === "input_json_delta",
      ),
    ).toBe(true);
    // A named choice finishes as "stop" in vLLM's chat: end_turn.
    const delta = parsed.find((e) => e.event === "message_delta")?.data;
    expect(delta).toMatchObject({ delta: { stop_reason: "end_turn" } });
  });
});
