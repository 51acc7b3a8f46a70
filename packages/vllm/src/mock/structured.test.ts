/**
 * Structured output and tool calls through the official openai SDK (issue 3: output validates
 * against the schema; tool-call arguments validate against the function's parameters), with
 * vLLM's rules for tool_choice (vllm-openai.md §3.2, §4.1, §6; vLLM docs features/tool_calling.md:
 * named function calling by default, "auto" only with --enable-auto-tool-choice and a parser).
 */
import { Ajv } from "ajv";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openaiClient, startVllm, type TestServer } from "./test-server.js";

const ajv = new Ajv({ strict: false });

const weather = {
  type: "object",
  properties: {
    location: { type: "string", minLength: 2 },
    unit: { type: "string", enum: ["celsius", "fahrenheit"] },
    days: { type: "integer", minimum: 1, maximum: 7 },
  },
  required: ["location", "unit"],
} as const;

const tools: OpenAI.ChatCompletionTool[] = [
  {
    type: "function",
    function: { name: "get_weather", description: "Weather for a place", parameters: weather },
  },
];

const messages: OpenAI.ChatCompletionMessageParam[] = [
  { role: "user", content: "What is the weather in Paris?" },
];

describe("structured output and tools", () => {
  let server: TestServer;
  let client: OpenAI;
  let auto: TestServer;
  let autoClient: OpenAI;
  beforeAll(async () => {
    server = await startVllm({ "served-model-name": "m" });
    client = openaiClient(server, "x");
    auto = await startVllm({
      "served-model-name": "m",
      "enable-auto-tool-choice": true,
      "tool-call-parser": "hermes",
    });
    autoClient = new OpenAI({ baseURL: `${auto.url}/v1`, apiKey: "x", maxRetries: 0 });
  });
  afterAll(async () => {
    await server.close();
    await auto.close();
  });

  it("answers json_schema with content that validates", async () => {
    const answer = await client.chat.completions.create({
      model: "m",
      messages,
      max_tokens: 200,
      response_format: { type: "json_schema", json_schema: { name: "weather", schema: weather } },
    });
    const content = answer.choices[0]?.message.content ?? "";
    expect(ajv.validate(weather, JSON.parse(content))).toBe(true);
    expect(answer.choices[0]?.finish_reason).toBe("stop");
  });

  it("answers json_object with a JSON object", async () => {
    const answer = await client.chat.completions.create({
      model: "m",
      messages,
      max_tokens: 50,
      response_format: { type: "json_object" },
    });
    const parsed = JSON.parse(answer.choices[0]?.message.content ?? "");
    expect(typeof parsed).toBe("object");
  });

  it("answers structured_outputs.choice on completions with one of the choices", async () => {
    const answer = await client.completions.create({
      model: "m",
      prompt: "Yes or no?",
      max_tokens: 5,
      structured_outputs: { choice: ["yes", "no"] },
    } as OpenAI.CompletionCreateParamsNonStreaming);
    expect(["yes", "no"]).toContain(answer.choices[0]?.text);
  });

  it("calls a named function with arguments that validate", async () => {
    const answer = await client.chat.completions.create({
      model: "m",
      messages,
      tools,
      tool_choice: { type: "function", function: { name: "get_weather" } },
      max_tokens: 200,
    });
    const call = answer.choices[0]?.message.tool_calls?.[0];
    expect(call?.id).toMatch(/^chatcmpl-tool-[0-9a-f]{32}$/);
    expect(call?.type).toBe("function");
    const fn = (call as OpenAI.ChatCompletionMessageFunctionToolCall).function;
    expect(fn.name).toBe("get_weather");
    expect(ajv.validate(weather, JSON.parse(fn.arguments))).toBe(true);
  });

  it("calls a tool under tool_choice required with finish_reason tool_calls", async () => {
    const answer = await client.chat.completions.create({
      model: "m",
      messages,
      tools,
      tool_choice: "required",
      max_tokens: 200,
    });
    expect(answer.choices[0]?.finish_reason).toBe("tool_calls");
    expect(answer.choices[0]?.message.tool_calls).toHaveLength(1);
  });

  it('refuses tool_choice "auto" without --enable-auto-tool-choice', async () => {
    const error = await client.chat.completions
      .create({ model: "m", messages, tools })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(String((error as Error).message)).toContain(
      '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set',
    );
  });

  it("calls tools on its own with --enable-auto-tool-choice", async () => {
    const answer = await autoClient.chat.completions.create({
      model: "m",
      messages,
      tools,
      max_tokens: 200,
    });
    expect(answer.choices[0]?.finish_reason).toBe("tool_calls");
    const call = answer.choices[0]?.message.tool_calls?.[0] as
      | OpenAI.ChatCompletionMessageFunctionToolCall
      | undefined;
    const fn = call?.function ?? { name: "", arguments: "null" };
    expect(ajv.validate(weather, JSON.parse(fn.arguments))).toBe(true);
  });

  it("streams tool call deltas the SDK reassembles", async () => {
    const stream = await client.chat.completions.create({
      model: "m",
      messages,
      tools,
      tool_choice: { type: "function", function: { name: "get_weather" } },
      max_tokens: 200,
      stream: true,
    });
    let name = "";
    let args = "";
    let ids = 0;
    for await (const chunk of stream) {
      for (const call of chunk.choices[0]?.delta.tool_calls ?? []) {
        if (call.id) ids += 1;
        name += call.function?.name ?? "";
        args += call.function?.arguments ?? "";
      }
    }
    expect(ids).toBe(1);
    expect(name).toBe("get_weather");
    expect(ajv.validate(weather, JSON.parse(args))).toBe(true);
  });

  // vllm-openai.md §3.2.
  it("refuses tool_choice without tools", async () => {
    const error = await client.chat.completions
      .create({ model: "m", messages, tool_choice: "required" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(String((error as Error).message)).toContain(
      "When using `tool_choice`, `tools` must be set.",
    );
  });
});

// Which fields guide decoding, by release (profiles.ts guidedFields): vLLM PR #22772 (merged
// 2025-08-13, v0.10.2) added structured_outputs and deprecated guided_*; PR #29326 ("Scheduled
// removal of guided_* config fields", merged 2025-11-24 for v0.12.0) removed them, after which
// vLLM ignores them as unknown fields and answers 200 with unconstrained output (the fail-open
// checked live against 0.24.0 in noonghunna/club-3090 PR #551).
describe("guided decoding fields by release", () => {
  const choices = ["alpha-choice", "beta-choice"];
  const complete = async (version: string, extra: object) => {
    const server = await startVllm({ "served-model-name": "m", "vllm-version": version });
    try {
      const answer = await fetch(`${server.url}/v1/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "m", prompt: "Pick one", max_tokens: 8, seed: 3, ...extra }),
      });
      return { status: answer.status, body: await answer.json() };
    } finally {
      await server.close();
    }
  };

  it("reads guided_choice before 0.12.0 and ignores it from 0.12.0", async () => {
    for (const version of ["0.10.1", "0.11.0"]) {
      const { body } = await complete(version, { guided_choice: choices });
      expect(choices).toContain(body.choices[0].text);
    }
    const ignored = await complete("0.12.0", { guided_choice: choices });
    expect(ignored.status).toBe(200);
    expect(choices).not.toContain(ignored.body.choices[0].text);
  });

  it("refuses two guided kinds only while it reads them", async () => {
    const both = { guided_choice: choices, guided_regex: "a+" };
    expect((await complete("0.11.0", both)).status).toBe(400);
    expect((await complete("0.12.0", both)).status).toBe(200);
  });

  it("reads structured_outputs from 0.10.2", async () => {
    const structured = { structured_outputs: { choice: choices } };
    const before = await complete("0.10.1", structured);
    expect(before.status).toBe(200);
    expect(choices).not.toContain(before.body.choices[0].text);
    for (const version of ["0.10.2", "0.12.0"]) {
      const { body } = await complete(version, structured);
      expect(choices).toContain(body.choices[0].text);
    }
  });
});
