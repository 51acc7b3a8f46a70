/**
 * vLLM's Anthropic Messages API (`POST /v1/messages`, v0.11.1+) driven by the official
 * `@anthropic-ai/sdk` and by fetch, and its conversions as pure functions. Sources: vllm
 * PR #27882 (the route in `vllm serve`, v0.11.1), vllm/entrypoints/anthropic/protocol.py and
 * serving_messages.py of that era (request model, conversion, `messages_full_converter`), the
 * `create_messages` route of vllm/entrypoints/openai/api_server.py (error envelopes).
 */
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  anthropicChatBody,
  anthropicChatMessages,
  anthropicMessage,
  parseAnthropicRequest,
  pyJsonDumps,
} from "./anthropic-messages.js";
import { VllmError } from "./errors.js";
import { parseChatRequest } from "./requests.js";
import { openaiClient, startVllm, type TestServer } from "./test-server.js";

const user = (content: unknown) => ({ role: "user", content });

/** The VllmError a parse throws (fails the test when none is thrown). */
function parseError(body: object): VllmError {
  try {
    parseAnthropicRequest(body);
  } catch (error) {
    if (error instanceof VllmError) return error;
    throw error;
  }
  throw new Error("no error");
}

describe("parseAnthropicRequest (protocol.py AnthropicMessagesRequest)", () => {
  const base = { model: "m", max_tokens: 8, messages: [user("hi")] };

  it("reads the fields and ignores unknown ones", () => {
    const read = parseAnthropicRequest({
      ...base,
      system: "be brief",
      stop_sequences: ["\n"],
      temperature: 0.5,
      top_p: 0.9,
      top_k: 4,
      metadata: { user_id: "u" },
      thinking: { type: "enabled", budget_tokens: 1024 },
    });
    expect(read).toMatchObject({
      model: "m",
      maxTokens: 8,
      system: "be brief",
      stopSequences: ["\n"],
      temperature: 0.5,
      topP: 0.9,
      topK: 4,
      stream: false,
    });
  });

  // protocol.py: model, messages and max_tokens are required (max_tokens has no default).
  it("answers pydantic's missing-field list", () => {
    const error = parseError({ model: "m", messages: [] });
    expect(error.status).toBe(400);
    expect(error.message).toBe(
      "[{'type': 'missing', 'loc': ('body', 'max_tokens'), 'msg': 'Field required', 'input': {'model': 'm', 'messages': []}}]",
    );
    expect(parseError({ max_tokens: 1, messages: [] }).message).toContain("('body', 'model')");
  });

  // protocol.py field validators: "Model is required", "max_tokens must be positive"; pydantic
  // keeps the ValueError in the entry's ctx (its errors() documentation: 'ctx': {'error':
  // ValueError('...')}), rendered as structured.ts renders every entry.
  it("runs the field validators", () => {
    expect(parseError({ ...base, model: "" }).message).toBe(
      "[{'type': 'value_error', 'loc': ('body', 'model'), 'msg': 'Value error, Model is required', 'input': '', 'ctx': {'error': ValueError('Model is required')}}]",
    );
    expect(parseError({ ...base, max_tokens: 0 }).message).toContain(
      "'msg': 'Value error, max_tokens must be positive', 'input': 0",
    );
  });

  // protocol.py (v0.11.1 era): role Literal["user", "assistant"]; block type Literal of four.
  it("refuses roles and block types the era's literals lack", () => {
    expect(parseError({ ...base, messages: [{ role: "system", content: "x" }] }).message).toBe(
      "[{'type': 'literal_error', 'loc': ('body', 'messages', 0, 'role'), 'msg': \"Input should be 'user' or 'assistant'\", 'input': 'system', 'ctx': {'expected': \"'user' or 'assistant'\"}}]",
    );
    const thinking = { type: "thinking", thinking: "hmm", signature: "s" };
    expect(
      parseError({ ...base, messages: [{ role: "assistant", content: [thinking] }] }).message,
    ).toContain(
      "'msg': \"Input should be 'text', 'image', 'tool_use' or 'tool_result'\", 'input': 'thinking'",
    );
    expect(parseError({ ...base, tool_choice: { type: "none" } }).message).toContain(
      "Input should be 'auto', 'any' or 'tool'",
    );
  });

  it("refuses wrong types", () => {
    expect(parseError({ ...base, max_tokens: "many" }).message).toContain("int_type");
    expect(parseError({ ...base, stop_sequences: "\n" }).message).toContain("list_type");
    expect(parseError({ ...base, tools: [{ name: "f" }] }).message).toContain(
      "('body', 'tools', 0, 'input_schema')",
    );
    expect(parseError([1, 2]).status).toBe(400);
  });
});

describe("the chat request vLLM builds (_convert_anthropic_to_openai_request)", () => {
  const request = (extra: object) =>
    parseAnthropicRequest({ model: "m", max_tokens: 8, messages: [user("hi")], ...extra });

  it("maps the sampling fields and the stream options", () => {
    const body = anthropicChatBody(
      request({ stop_sequences: ["END"], temperature: 0, top_k: 3, stream: true }),
    );
    expect(body).toEqual({
      model: "m",
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 8,
      max_completion_tokens: 8,
      stop: ["END"],
      temperature: 0,
      top_k: 3,
      stream: true,
      stream_options: { include_usage: true, continuous_usage_stats: true },
    });
  });

  it("puts the system prompt first, its blocks' texts joined with nothing", () => {
    const system = [
      { type: "text", text: "You are " },
      { type: "text", text: "terse." },
    ];
    expect(anthropicChatMessages(request({ system }))[0]).toEqual({
      role: "system",
      content: "You are terse.",
    });
    expect(anthropicChatMessages(request({ system: "" }))).toHaveLength(1);
  });

  // serving_messages.py: tool_use -> tool_calls (json.dumps arguments); a user tool_result ->
  // a tool message with tool_call_id from the block's `id` (protocol.py has no tool_use_id, so
  // pydantic drops it: vllm PR #34745, Feb 2026, fixed the empty id), before its own message,
  // which is dropped when nothing else is left in it; a list result is str()'d, a Python repr
  // (vllm PR #34053 lists both as open in Feb 2026).
  it("converts a tool round", () => {
    const messages = anthropicChatMessages(
      request({
        messages: [
          user("Weather in Paris?"),
          {
            role: "assistant",
            content: [
              { type: "text", text: "Let me look." },
              { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris" } },
            ],
          },
          user([{ type: "tool_result", tool_use_id: "toolu_1", content: "18°C" }]),
          user([
            { type: "tool_result", id: "toolu_2", content: [{ type: "text", text: "ok" }] },
            { type: "text", text: "thanks" },
          ]),
        ],
      }),
    );
    expect(messages).toEqual([
      { role: "user", content: "Weather in Paris?" },
      {
        role: "assistant",
        tool_calls: [
          {
            id: "toolu_1",
            type: "function",
            function: { name: "get_weather", arguments: '{"city": "Paris"}' },
          },
        ],
        content: "Let me look.",
      },
      { role: "tool", tool_call_id: "", content: "18°C" },
      { role: "tool", tool_call_id: "toolu_2", content: "[{'type': 'text', 'text': 'ok'}]" },
      { role: "user", content: "thanks" },
    ]);
  });

  it("writes an assistant tool_result as text and an image's data as its URL", () => {
    const messages = anthropicChatMessages(
      request({
        messages: [
          {
            role: "assistant",
            content: [{ type: "tool_result", content: "42" }],
          },
          user([
            { type: "text", text: "what is this?" },
            { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBO" } },
          ]),
        ],
      }),
    );
    expect(messages).toEqual([
      { role: "assistant", content: "Tool result: 42" },
      {
        role: "user",
        content: [
          { type: "text", text: "what is this?" },
          { type: "image_url", image_url: { url: "iVBO" } },
        ],
      },
    ]);
  });

  // serving_messages.py: auto -> "auto", any -> "required", tool -> a named function; tools
  // without a choice -> "auto"; input_schema gains type "object" (protocol.py validator).
  it("maps tools and tool_choice", () => {
    const tools = [{ name: "f", input_schema: { properties: {} } }];
    const body = anthropicChatBody(request({ tools }));
    expect(body.tools).toEqual([
      {
        type: "function",
        function: {
          name: "f",
          description: null,
          parameters: { properties: {}, type: "object" },
        },
      },
    ]);
    expect(body.tool_choice).toBe("auto");
    expect(anthropicChatBody(request({ tools, tool_choice: { type: "any" } })).tool_choice).toBe(
      "required",
    );
    expect(
      anthropicChatBody(request({ tools, tool_choice: { type: "tool", name: "f" } })).tool_choice,
    ).toEqual({ type: "function", function: { name: "f" } });
    expect(anthropicChatBody(request({ tool_choice: { type: "any" } })).tool_choice).toBe(
      undefined,
    );
  });

  // ChatCompletionNamedToolChoiceParam fails on a missing name inside create_messages: 500.
  it("fails a tool choice without a name as vLLM's handler does", () => {
    const tools = [{ name: "f", input_schema: {} }];
    expect(() => anthropicChatBody(request({ tools, tool_choice: { type: "tool" } }))).toThrow(
      expect.objectContaining({ status: 500, type: "internal_error" }),
    );
  });

  it("writes arguments as Python's json.dumps does", () => {
    expect(pyJsonDumps({ a: [1, true, null], b: "é\n\u007f", c: { d: "x" } })).toBe(
      '{"a": [1, true, null], "b": "\\u00e9\\n\\u007f", "c": {"d": "x"}}',
    );
  });
});

describe("messages_full_converter", () => {
  const chat = (message: object, finish: string) => ({
    id: "chatcmpl-1",
    model: "m",
    choices: [{ message, finish_reason: finish }],
    usage: { prompt_tokens: 3, completion_tokens: 2 },
  });

  // vllm PR #34053 (Feb 2026) lists the chatcmpl- id and the empty text block beside tool_use
  // as the converter's behaviour then.
  it("maps finish reasons, with an empty text block before tool calls", () => {
    expect(anthropicMessage(chat({ content: "hi", tool_calls: [] }, "stop"))).toEqual({
      id: "chatcmpl-1",
      type: "message",
      role: "assistant",
      content: [{ type: "text", text: "hi" }],
      model: "m",
      stop_reason: "end_turn",
      usage: { input_tokens: 3, output_tokens: 2 },
    });
    const call = { id: "c1", function: { name: "f", arguments: '{"x": 1}' } };
    const tool = anthropicMessage(chat({ content: null, tool_calls: [call] }, "tool_calls"));
    expect(tool).toMatchObject({
      content: [
        { type: "text", text: "" },
        { type: "tool_use", id: "c1", name: "f", input: { x: 1 } },
      ],
      stop_reason: "tool_use",
    });
    expect(anthropicMessage(chat({ content: "", tool_calls: [] }, "length"))).toMatchObject({
      stop_reason: "max_tokens",
    });
    // exclude_none: an abort has no stop_reason key.
    expect(anthropicMessage(chat({ content: "", tool_calls: [] }, "abort"))).not.toHaveProperty(
      "stop_reason",
    );
  });
});

describe("the Anthropic SDK against the vLLM mock", () => {
  let server: TestServer;
  let client: Anthropic;
  beforeAll(async () => {
    server = await startVllm({
      "served-model-name": "granite",
      "enable-auto-tool-choice": true,
      "tool-call-parser": "hermes",
    });
    client = new Anthropic({ baseURL: server.url, apiKey: "unused", maxRetries: 0 });
  });
  afterAll(() => server.close());

  it("answers messages.create", async () => {
    const message = await client.messages.create({
      model: "granite",
      max_tokens: 6,
      system: "Answer briefly.",
      messages: [{ role: "user", content: "Say hello" }],
    });
    // messages_full_converter: the chat id and model, a text block, usage from the chat's.
    expect(message.id).toMatch(/^chatcmpl-/);
    expect(message.type).toBe("message");
    expect(message.role).toBe("assistant");
    expect(message.model).toBe("granite");
    expect(message.content[0]?.type).toBe("text");
    expect(["end_turn", "max_tokens"]).toContain(message.stop_reason);
    expect(message.usage.output_tokens).toBeGreaterThan(0);
    expect(message.usage.output_tokens).toBeLessThanOrEqual(6);
    expect(message.usage.input_tokens).toBeGreaterThan(0);
  });

  it("counts the same prompt tokens as the chat endpoint", async () => {
    const messages = [{ role: "user" as const, content: "Count me" }];
    const message = await client.messages.create({ model: "granite", max_tokens: 1, messages });
    const chat = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "granite", max_tokens: 1, messages }),
    });
    const body = (await chat.json()) as { usage: { prompt_tokens: number } };
    expect(message.usage.input_tokens).toBe(body.usage.prompt_tokens);
  });

  // stop_reason_map has no stop_sequence: a stop string ends as end_turn, with no
  // stop_sequence key (exclude_none); the text is cut before the string, as chat cuts it.
  it("stops at a stop sequence and reports end_turn", async () => {
    const echo = await startVllm({ "served-model-name": "echo", "generation-mode": "echo" });
    try {
      const echoClient = new Anthropic({ baseURL: echo.url, apiKey: "unused", maxRetries: 0 });
      const message = await echoClient.messages.create({
        model: "echo",
        max_tokens: 50,
        stop_sequences: ["gamma"],
        messages: [{ role: "user", content: "alpha beta gamma delta" }],
      });
      expect(message.content).toEqual([{ type: "text", text: "alpha beta " }]);
      expect(message.stop_reason).toBe("end_turn");
      expect(message).not.toHaveProperty("stop_sequence");
    } finally {
      await echo.close();
    }
  });

  // A tool round: the named choice is guided by input_schema (finish "stop" -> end_turn);
  // "any" (chat "required") finishes as tool_calls -> tool_use; the result goes back in.
  it("calls a tool and takes its result", async () => {
    const tools: Anthropic.Tool[] = [
      {
        name: "get_weather",
        description: "The weather in a city",
        input_schema: {
          type: "object",
          properties: { city: { type: "string" } },
          required: ["city"],
        },
      },
    ];
    const named = await client.messages.create({
      model: "granite",
      max_tokens: 200,
      tools,
      tool_choice: { type: "tool", name: "get_weather" },
      messages: [{ role: "user", content: "Weather in Paris?" }],
    });
    expect(named.stop_reason).toBe("end_turn");
    expect(named.content[0]).toEqual({ type: "text", text: "" });
    const call = named.content[1] as Anthropic.ToolUseBlock;
    expect(call.type).toBe("tool_use");
    expect(call.name).toBe("get_weather");
    expect(call.id).toMatch(/^chatcmpl-tool-/);
    expect(typeof (call.input as { city?: unknown }).city).toBe("string");

    const any = await client.messages.create({
      model: "granite",
      max_tokens: 200,
      tools,
      tool_choice: { type: "any" },
      messages: [{ role: "user", content: "Weather in Paris?" }],
    });
    expect(any.stop_reason).toBe("tool_use");

    const followUp = await client.messages.create({
      model: "granite",
      max_tokens: 200,
      tools,
      tool_choice: { type: "auto" },
      messages: [
        { role: "user", content: "Weather in Paris?" },
        { role: "assistant", content: named.content },
        {
          role: "user",
          content: [{ type: "tool_result", tool_use_id: call.id, content: "18°C, sunny" }],
        },
      ],
    });
    expect(followUp.usage.input_tokens).toBeGreaterThan(named.usage.input_tokens);
  });

  // api_server.py create_messages: the handler's errors in Anthropic's envelope, with vLLM's
  // type and status; the SDK raises its error class for the status.
  it("answers the handler's errors in Anthropic's envelope", async () => {
    const missing = client.messages.create({
      model: "nope",
      max_tokens: 4,
      messages: [{ role: "user", content: "x" }],
    });
    await expect(missing).rejects.toBeInstanceOf(Anthropic.NotFoundError);
    await expect(missing).rejects.toMatchObject({
      status: 404,
      error: {
        type: "error",
        error: { type: "NotFoundError", message: "The model `nope` does not exist." },
      },
    });
    // The SDK refuses a large max_tokens without a stream unless a timeout is given.
    const tooLong = client.messages.create(
      { model: "granite", max_tokens: 1_000_000, messages: [{ role: "user", content: "x" }] },
      { timeout: 10_000 },
    );
    await expect(tooLong).rejects.toBeInstanceOf(Anthropic.BadRequestError);
    await expect(tooLong).rejects.toMatchObject({
      error: { type: "error", error: { type: "BadRequestError" } },
    });
    // messages_full_converter json.loads the arguments: cut by max_tokens, they fail (500).
    const cut = client.messages.create({
      model: "granite",
      max_tokens: 3,
      tools: [
        { name: "f", input_schema: { type: "object", properties: { city: { type: "string" } } } },
      ],
      tool_choice: { type: "any" },
      messages: [{ role: "user", content: "x" }],
    });
    await expect(cut).rejects.toBeInstanceOf(Anthropic.InternalServerError);
    await expect(cut).rejects.toMatchObject({
      status: 500,
      error: { type: "error", error: { type: "internal_error" } },
    });
  });

  // vLLM's RequestValidationError handler answers before the route: OpenAI envelope, 400.
  it("answers validation errors in the OpenAI envelope", async () => {
    const bad = client.messages.create({
      model: "granite",
      max_tokens: 0,
      messages: [{ role: "user", content: "x" }],
    });
    await expect(bad).rejects.toBeInstanceOf(Anthropic.BadRequestError);
    await expect(bad).rejects.toMatchObject({
      error: {
        error: {
          message:
            "[{'type': 'value_error', 'loc': ('body', 'max_tokens'), 'msg': 'Value error, max_tokens must be positive', 'input': 0, 'ctx': {'error': ValueError('max_tokens must be positive')}}]",
          type: "BadRequestError",
          param: null,
          code: 400,
        },
      },
    });
  });

  // The chat machinery's check: auto tool choice needs --enable-auto-tool-choice (vLLM's
  // serving_chat.py), and tools without a choice are auto in the conversion.
  it("refuses tools without --enable-auto-tool-choice", async () => {
    const plain = await startVllm({ "served-model-name": "plain" });
    try {
      const response = await fetch(`${plain.url}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          model: "plain",
          max_tokens: 4,
          messages: [user("x")],
          tools: [{ name: "f", input_schema: {} }],
        }),
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        type: "error",
        error: {
          type: "BadRequestError",
          message:
            '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set',
        },
      });
    } finally {
      await plain.close();
    }
  });
});

describe("Messages API by release and key", () => {
  // v0.11.1 release notes / vllm PR #27882: before, no route (FastAPI's 404).
  it("is served from v0.11.1", async () => {
    const old = await startVllm({ "served-model-name": "m", "vllm-version": "0.11.0" });
    const fresh = await startVllm({ "served-model-name": "m", "vllm-version": "0.11.1" });
    try {
      const body = JSON.stringify({ model: "m", max_tokens: 2, messages: [user("x")] });
      const init = { method: "POST", headers: { "content-type": "application/json" }, body };
      const before = await fetch(`${old.url}/v1/messages`, init);
      expect(before.status).toBe(404);
      expect(await before.json()).toEqual({ detail: "Not Found" });
      expect((await fetch(`${fresh.url}/v1/messages`, init)).status).toBe(200);
    } finally {
      await Promise.all([old.close(), fresh.close()]);
    }
  });

  // vllm PR #27882: create_messages in the OpenAI server from v0.11.1, in its /openapi.json.
  it("is listed in /openapi.json where the release serves it", async () => {
    const old = await startVllm({ "vllm-version": "0.11.0" });
    const fresh = await startVllm({ "vllm-version": "0.11.1" });
    try {
      const doc = await (await fetch(`${fresh.url}/openapi.json`)).json();
      expect(doc.paths["/v1/messages"].post.operationId).toBe("create_messages_v1_messages_post");
      expect(doc.components.schemas.AnthropicMessagesRequest.required).toEqual([
        "model",
        "messages",
        "max_tokens",
      ]);
      const oldDoc = await (await fetch(`${old.url}/openapi.json`)).json();
      expect(oldDoc.paths["/v1/messages"]).toBeUndefined();
    } finally {
      await Promise.all([old.close(), fresh.close()]);
    }
  });

  // vllm-openai.md §2: the key middleware reads only `Authorization: Bearer`; vllm issue
  // #51572 (open on v0.26.0): `x-api-key`, as Anthropic's docs and clients send the key, is
  // refused with 401 {"error":"Unauthorized"}. @anthropic-ai/sdk 1.12 sends its apiKey as a
  // bearer token, so the SDK gets through.
  it("takes the key as a bearer token, not as x-api-key", async () => {
    const keyed = await startVllm({ "served-model-name": "m", "api-key": "sekret" });
    try {
      const params = {
        model: "m",
        max_tokens: 2,
        messages: [{ role: "user" as const, content: "x" }],
      };
      const byHeader = new Anthropic({
        baseURL: keyed.url,
        apiKey: null,
        defaultHeaders: { "x-api-key": "sekret" },
        maxRetries: 0,
      });
      const refused = byHeader.messages.create(params);
      await expect(refused).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
      await expect(refused).rejects.toMatchObject({
        status: 401,
        error: { error: "Unauthorized" },
      });
      const raw = await fetch(`${keyed.url}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": "sekret" },
        body: JSON.stringify(params),
      });
      expect(raw.status).toBe(401);
      expect(await raw.text()).toBe('{"error": "Unauthorized"}');
      for (const auth of [{ apiKey: "sekret" }, { apiKey: null, authToken: "sekret" }]) {
        const client = new Anthropic({ baseURL: keyed.url, maxRetries: 0, ...auth });
        expect((await client.messages.create(params)).type).toBe("message");
      }
    } finally {
      await keyed.close();
    }
  });

  // api_server.py: a model without the generate task has no Messages handler: 400 in
  // Anthropic's envelope, "The model does not support Messages API".
  it("refuses a pooling model", async () => {
    const embed = await startVllm({ "served-model-name": "e", task: "embed" });
    try {
      const response = await fetch(`${embed.url}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "e", max_tokens: 2, messages: [user("x")] }),
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        type: "error",
        error: { type: "BadRequestError", message: "The model does not support Messages API" },
      });
    } finally {
      await embed.close();
    }
  });
});

describe("count_tokens (vllm PR #35588, v0.17.0+)", () => {
  let server: TestServer;
  let client: Anthropic;
  const post = (path: string, body: unknown, url = server.url) =>
    fetch(`${url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  beforeAll(async () => {
    server = await startVllm({
      "served-model-name": "granite",
      "vllm-version": "0.17.0",
      "enable-auto-tool-choice": true,
      "tool-call-parser": "hermes",
    });
    client = new Anthropic({ baseURL: server.url, apiKey: "unused", maxRetries: 0 });
  });
  afterAll(() => server.close());

  // serving.py count_tokens: the request converted as /v1/messages converts it and rendered
  // as the chat path renders it, so the count is the usage.input_tokens of the same call.
  it("counts what messages.create reports as input tokens", async () => {
    const tools: Anthropic.Tool[] = [
      {
        name: "get_weather",
        input_schema: { type: "object", properties: { city: { type: "string" } } },
      },
    ];
    const cases: Anthropic.MessageCountTokensParams[] = [
      { model: "granite", messages: [{ role: "user", content: "Count me" }] },
      {
        model: "granite",
        system: [{ type: "text", text: "Be brief." }],
        messages: [
          { role: "user", content: "Weather in Paris?" },
          {
            role: "assistant",
            content: [{ type: "tool_use", id: "toolu_1", name: "get_weather", input: {} }],
          },
          {
            role: "user",
            content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "sunny" }],
          },
        ],
        tools,
      },
    ];
    for (const params of cases) {
      const counted = await client.messages.countTokens(params);
      // Enough tokens for a whole tool call (a cut one is the converter's 500).
      const message = await client.messages.create({ ...params, max_tokens: 300 });
      expect(counted.input_tokens).toBe(message.usage.input_tokens);
      expect(counted.input_tokens).toBeGreaterThan(0);
    }
    // Tools are rendered into the prompt (the chat template's tools), so they count.
    const bare = await client.messages.countTokens(cases[0] as Anthropic.MessageCountTokensParams);
    const withTools = await client.messages.countTokens({ ...cases[0], tools } as never);
    expect(withTools.input_tokens).toBeGreaterThan(bare.input_tokens);
  });

  // vllm PR #35588's test result: {"input_tokens":11,"context_management":{"original_input_tokens":11}};
  // AnthropicCountTokensRequest has no max_tokens (ignored like any unknown key).
  it("answers input_tokens and context_management, as JSON", async () => {
    const response = await post("/v1/messages/count_tokens", {
      model: "granite",
      max_tokens: 0,
      messages: [user("string")],
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    const body = (await response.json()) as { input_tokens: number };
    expect(Object.keys(body)).toEqual(["input_tokens", "context_management"]);
    expect(body).toEqual({
      input_tokens: body.input_tokens,
      context_management: { original_input_tokens: body.input_tokens },
    });
    // The same count as /tokenize of the converted chat messages.
    const tokenized = await post("/tokenize", { model: "granite", messages: [user("string")] });
    expect(((await tokenized.json()) as { count: number }).count).toBe(body.input_tokens);
  });

  // protocol.py: model and messages required, "Model is required" (validation handler: OpenAI
  // envelope); the route's errors (an unknown model's 404) in Anthropic's envelope.
  it("refuses bad bodies and unknown models as /v1/messages does", async () => {
    const missing = await post("/v1/messages/count_tokens", { model: "granite" });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({
      error: {
        message:
          "[{'type': 'missing', 'loc': ('body', 'messages'), 'msg': 'Field required', 'input': {'model': 'granite'}}]",
        type: "BadRequestError",
        param: null,
        code: 400,
      },
    });
    const empty = await post("/v1/messages/count_tokens", { model: "", messages: [user("x")] });
    expect(((await empty.json()) as { error: { message: string } }).error.message).toContain(
      "Value error, Model is required",
    );
    const unknown = client.messages.countTokens({ model: "nope", messages: [user("x")] } as never);
    await expect(unknown).rejects.toBeInstanceOf(Anthropic.NotFoundError);
    await expect(unknown).rejects.toMatchObject({
      status: 404,
      error: {
        type: "error",
        error: { type: "NotFoundError", message: "The model `nope` does not exist." },
      },
    });
  });

  // vllm PR #35588's test plan calls `/v1/messages/count_tokens?beta=true`, as Claude Code and
  // the SDK's beta client do: the query is not read.
  it("answers the beta client's ?beta=true call", async () => {
    const params = { model: "granite", messages: [user("Count me")] } as never;
    const beta = await client.beta.messages.countTokens(params);
    expect(beta).toEqual(await client.messages.countTokens(params));
  });

  // Not in 0.16.0 (released before the PR was merged on 2026-02-28): FastAPI's 404 there.
  it("is served from v0.17.0", async () => {
    const old = await startVllm({ "served-model-name": "m", "vllm-version": "0.16.0" });
    try {
      const before = await post(
        "/v1/messages/count_tokens",
        { model: "m", messages: [user("x")] },
        old.url,
      );
      expect(before.status).toBe(404);
      expect(await before.json()).toEqual({ detail: "Not Found" });
      const doc = await (await fetch(`${old.url}/openapi.json`)).json();
      expect(doc.paths["/v1/messages/count_tokens"]).toBeUndefined();
    } finally {
      await old.close();
    }
    const doc = await (await fetch(`${server.url}/openapi.json`)).json();
    expect(doc.paths["/v1/messages/count_tokens"].post.operationId).toBe(
      "count_tokens_v1_messages_count_tokens_post",
    );
    expect(doc.components.schemas.AnthropicCountTokensRequest.required).toEqual([
      "model",
      "messages",
    ]);
  });

  // vllm-openai.md §2: the --api-key middleware guards every /v1 path, this one too (bearer only).
  it("is guarded by --api-key", async () => {
    const keyed = await startVllm({
      "served-model-name": "m",
      "api-key": "k",
      "vllm-version": "0.17.0",
    });
    try {
      const body = { model: "m", messages: [user("x")] };
      const refused = await post("/v1/messages/count_tokens", body, keyed.url);
      expect(refused.status).toBe(401);
      expect(await refused.text()).toBe('{"error": "Unauthorized"}');
      const sdk = new Anthropic({ baseURL: keyed.url, apiKey: "k", maxRetries: 0 });
      expect((await sdk.messages.countTokens(body as never)).input_tokens).toBeGreaterThan(0);
    } finally {
      await keyed.close();
    }
  });

  // api_router.py count_tokens: no Messages handler on a pooling model, as create_messages.
  it("refuses a pooling model", async () => {
    const embed = await startVllm({
      "served-model-name": "e",
      runner: "pooling",
      "vllm-version": "0.17.0",
    });
    try {
      const response = await post(
        "/v1/messages/count_tokens",
        { model: "e", messages: [user("x")] },
        embed.url,
      );
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        type: "error",
        error: { type: "BadRequestError", message: "The model does not support Messages API" },
      });
    } finally {
      await embed.close();
    }
  });
});

describe("images on the mock's text-only models", () => {
  const png = { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" };
  const imageMessage = {
    role: "user",
    content: [
      { type: "image", source: png },
      { type: "text", text: "What is this?" },
    ],
  };
  const post = (url: string, path: string, body: unknown) =>
    fetch(`${url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  /** The `--model` path the server reports as its card's root. */
  const rootOf = async (url: string) =>
    ((await (await fetch(`${url}/v1/models`)).json()) as { data: { root: string }[] }).data[0]
      ?.root;

  it("counts image_url parts and leaves them out of the message text", () => {
    const parsed = parseChatRequest({
      model: "m",
      messages: [
        { role: "system", content: "s" },
        {
          role: "user",
          content: [
            { type: "image_url", image_url: { url: "data:image/png;base64,AA==" } },
            { type: "text", text: "hi" },
          ],
        },
      ],
    });
    expect(parsed.imageParts).toBe(1);
    expect(parsed.messages.map((m) => m.content)).toEqual(["s", "hi"]);
    const plain = parseChatRequest({ model: "m", messages: [{ role: "user", content: "hi" }] });
    expect(plain.imageParts).toBe(0);
  });

  // vllm/multimodal/registry.py create_processor: `{model_config.model} is not a multimodal
  // model`, raised by the chat renderer before the image is fetched; the Messages route
  // answers it in Anthropic's envelope (translate_error_response), 400 BadRequestError.
  it("answers a Messages image block with vLLM's 400 for a model without vision", async () => {
    const server = await startVllm({ "served-model-name": "granite" });
    try {
      const root = await rootOf(server.url);
      const response = await post(server.url, "/v1/messages", {
        model: "granite",
        max_tokens: 4,
        messages: [imageMessage],
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        type: "error",
        error: { type: "BadRequestError", message: `${root} is not a multimodal model` },
      });
      // The model check comes first: an unknown model is the 404.
      const unknown = await post(server.url, "/v1/messages", {
        model: "nope",
        max_tokens: 4,
        messages: [imageMessage],
      });
      expect(unknown.status).toBe(404);
      // A URL source fails the same way (no fetch happens first).
      const byUrl = new Anthropic({ baseURL: server.url, apiKey: "unused", maxRetries: 0 });
      const refused = byUrl.messages.create({
        model: "granite",
        max_tokens: 4,
        messages: [
          {
            role: "user",
            content: [{ type: "image", source: { type: "url", url: "https://example.com/a.png" } }],
          },
        ],
      });
      await expect(refused).rejects.toBeInstanceOf(Anthropic.BadRequestError);
    } finally {
      await server.close();
    }
  });

  // /tokenize renders chat messages through the same renderer (serving_tokenization.py), so an
  // image on a text-only model is the same 400 there.
  it("refuses an image part in /tokenize messages", async () => {
    const server = await startVllm({ "served-model-name": "opt" });
    try {
      const answer = await post(server.url, "/tokenize", {
        model: "opt",
        messages: [
          { role: "user", content: [{ type: "image_url", image_url: { url: "data:," } }] },
        ],
      });
      expect(answer.status).toBe(400);
      expect((await answer.json()).error.message).toBe(
        `${await rootOf(server.url)} is not a multimodal model`,
      );
    } finally {
      await server.close();
    }
  });

  // serving_chat.py of the cause-suffix releases adds " " + str(e.__cause__): "facebook/opt-125m
  // is not a multimodal model None" in the flat envelope (studio-dots-ai/dots.ocr issue #61).
  it("answers a chat image_url part the same way, with the era's suffix and envelope", async () => {
    const flat = await startVllm({ "served-model-name": "opt", "vllm-version": "0.10.0" });
    const nested = await startVllm({ "served-model-name": "opt" });
    const body = {
      model: "opt",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Analyze the image" },
            { type: "image_url", image_url: { url: "data:image/jpeg;base64,AA==" } },
          ],
        },
      ],
    };
    try {
      const old = await post(flat.url, "/v1/chat/completions", body);
      expect(old.status).toBe(400);
      expect(await old.json()).toEqual({
        object: "error",
        message: `${await rootOf(flat.url)} is not a multimodal model None`,
        type: "BadRequestError",
        param: null,
        code: 400,
      });
      const sdk = openaiClient(nested);
      const refused = sdk.chat.completions.create(body as never);
      await expect(refused).rejects.toBeInstanceOf(OpenAI.BadRequestError);
      await expect(refused).rejects.toMatchObject({
        status: 400,
        error: { message: `${await rootOf(nested.url)} is not a multimodal model` },
      });
      // Messages in v0.11.1 (a cause-suffix release) carry the suffix too.
      const era = await startVllm({ "served-model-name": "opt", "vllm-version": "0.11.1" });
      try {
        const response = await post(era.url, "/v1/messages", {
          model: "opt",
          max_tokens: 4,
          messages: [imageMessage],
        });
        expect(((await response.json()) as { error: { message: string } }).error.message).toBe(
          `${await rootOf(era.url)} is not a multimodal model None`,
        );
      } finally {
        await era.close();
      }
    } finally {
      await Promise.all([flat.close(), nested.close()]);
    }
  });

  // serving.py count_tokens renders the chat request as /v1/messages does: the same refusal.
  it("refuses an image in count_tokens", async () => {
    const server = await startVllm({ "served-model-name": "granite", "vllm-version": "0.17.0" });
    try {
      const response = await post(server.url, "/v1/messages/count_tokens", {
        model: "granite",
        messages: [imageMessage],
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        type: "error",
        error: {
          type: "BadRequestError",
          message: `${await rootOf(server.url)} is not a multimodal model`,
        },
      });
    } finally {
      await server.close();
    }
  });
});

// serving_messages.py (vllm 0561ec4, the file up to the count_tokens era, 0.17 here):
// messages_full_converter builds the one text block from `message.content` alone and the stream
// converter reads `delta.content` alone, so with --reasoning-parser the thinking is dropped: no
// thinking block, no marker. (vLLM's later anthropic/serving.py adds `thinking` blocks with a
// uuid4-hex `signature` and `thinking_delta`/`signature_delta` events; their first release is
// not dated, so the mock does not serve them.)
describe("Messages API with --reasoning-parser (the thinking dropped)", () => {
  let server: TestServer;
  let client: Anthropic;
  beforeAll(async () => {
    server = await startVllm({
      "served-model-name": "r1",
      "reasoning-parser": "deepseek_r1",
      "generation-mode": "echo",
      "vllm-version": "0.17.0",
    });
    client = new Anthropic({ baseURL: server.url, apiKey: "unused", maxRetries: 0 });
  });
  afterAll(() => server.close());

  it("answers one text block holding the content after the thinking", async () => {
    const message = await client.messages.create({
      model: "r1",
      max_tokens: 200,
      messages: [{ role: "user", content: "Echo me" }],
    });
    expect(message.content).toEqual([{ type: "text", text: "\n\nEcho me" }]);
  });

  it("streams text deltas of the content alone", async () => {
    const stream = client.messages.stream({
      model: "r1",
      max_tokens: 200,
      messages: [{ role: "user", content: "Echo me" }],
    });
    const types = new Set<string>();
    for await (const event of stream) {
      if (event.type === "content_block_start") types.add(event.content_block.type);
      if (event.type === "content_block_delta") types.add(event.delta.type);
    }
    const final = await stream.finalMessage();
    expect([...types].sort()).toEqual(["text", "text_delta"]);
    expect(final.content).toMatchObject([{ type: "text", text: "\n\nEcho me" }]);
  });
});

// granite thinks only with chat_template_kwargs.thinking (vLLM docs reasoning_outputs.md), which
// the mock's Messages route never passes to the chat request it builds: the model answers at once,
// granite_reasoning_parser.py finds no marker, and the one text block is the whole answer.
describe("Messages API with --reasoning-parser granite", () => {
  let server: TestServer;
  let client: Anthropic;
  beforeAll(async () => {
    server = await startVllm({
      "served-model-name": "granite",
      "reasoning-parser": "granite",
      "generation-mode": "echo",
      "vllm-version": "0.17.0",
    });
    client = new Anthropic({ baseURL: server.url, apiKey: "unused", maxRetries: 0 });
  });
  afterAll(() => server.close());

  it("answers the echo as one text block, whole and streamed", async () => {
    const params = {
      model: "granite",
      max_tokens: 200,
      messages: [{ role: "user" as const, content: "Here is my question" }],
    };
    const message = await client.messages.create(params);
    expect(message.content).toEqual([{ type: "text", text: "Here is my question" }]);
    const final = await client.messages.stream(params).finalMessage();
    expect(final.content).toMatchObject([{ type: "text", text: "Here is my question" }]);
  });
});
