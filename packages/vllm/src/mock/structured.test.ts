/**
 * Structured output and tool calls through the official openai SDK (issue 3: output validates
 * against the schema; tool-call arguments validate against the function's parameters), with
 * vLLM's rules for tool_choice (vllm-openai.md §3.2, §4.1, §6; vLLM docs features/tool_calling.md:
 * named function calling by default, "auto" only with --enable-auto-tool-choice and a parser).
 */
import { Ajv } from "ajv";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { textByAlias, textEcho } from "./structured.js";
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

// Item: response_format checked as vLLM's pydantic models check it (protocol.py ResponseFormat,
// JsonSchemaResponseFormat, the structural tag models; AnyResponseFormat a smart union whose
// errors are located under each member's class name), answered as the validation handler's 400.
describe("response_format validation and structural tags", () => {
  let server: TestServer;
  let client: OpenAI;
  beforeAll(async () => {
    server = await startVllm({ "served-model-name": "m" });
    client = openaiClient(server, "x");
  });
  afterAll(() => server.close());

  const refusal = async (response_format: unknown) => {
    const error = await client.chat.completions
      .create({
        model: "m",
        messages,
        max_tokens: 20,
        response_format: response_format as OpenAI.ResponseFormatJSONObject,
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    return (error as InstanceType<typeof OpenAI.BadRequestError>).message;
  };

  // protocol.py JsonSchemaResponseFormat: `json_schema: dict[str, Any] | None` (alias "schema").
  it("refuses a schema given as a string with pydantic's list for every union member", async () => {
    const text = JSON.stringify(weather);
    const message = await refusal({
      type: "json_schema",
      json_schema: { name: "w", schema: text },
    });
    expect(message).toContain(
      `{'type': 'dict_type', 'loc': ('body', 'response_format', 'ResponseFormat', 'json_schema', 'schema'), 'msg': 'Input should be a valid dictionary', 'input': '${text.replaceAll('"', '"')}'}`,
    );
    expect(message).toContain(
      `{'type': 'literal_error', 'loc': ('body', 'response_format', 'StructuralTagResponseFormat', 'type'), 'msg': "Input should be 'structural_tag'", 'input': 'json_schema', 'ctx': {'expected': "'structural_tag'"}}`,
    );
    expect(message).toContain(
      "{'type': 'missing', 'loc': ('body', 'response_format', 'LegacyStructuralTagResponseFormat', 'structures'), 'msg': 'Field required'",
    );
  });

  // JsonSchemaResponseFormat: `name: str` is required; `strict: bool | None` (lax bool).
  it("refuses a json_schema without a name, a wrong type and a strict that is no boolean", async () => {
    expect(await refusal({ type: "json_schema", json_schema: { schema: weather } })).toContain(
      "{'type': 'missing', 'loc': ('body', 'response_format', 'ResponseFormat', 'json_schema', 'name'), 'msg': 'Field required', 'input': {'schema':",
    );
    expect(await refusal({ type: "xml" })).toContain(
      `'loc': ('body', 'response_format', 'ResponseFormat', 'type'), 'msg': "Input should be 'text', 'json_object' or 'json_schema'", 'input': 'xml', 'ctx': {'expected': "'text', 'json_object' or 'json_schema'"}}`,
    );
    expect(
      await refusal({ type: "json_schema", json_schema: { name: "w", strict: "maybe" } }),
    ).toContain(
      "{'type': 'bool_parsing', 'loc': ('body', 'response_format', 'ResponseFormat', 'json_schema', 'strict'), 'msg': 'Input should be a valid boolean, unable to interpret input', 'input': 'maybe'}",
    );
    expect(await refusal("json")).toContain(
      "{'type': 'model_type', 'loc': ('body', 'response_format', 'ResponseFormat'), 'msg': 'Input should be a valid dictionary or instance of ResponseFormat', 'input': 'json', 'ctx': {'class_name': 'ResponseFormat'}}",
    );
  });

  it("answers text with unconstrained output and a strict json_schema as before", async () => {
    const answer = await client.chat.completions.create({
      model: "m",
      messages,
      max_tokens: 200,
      response_format: {
        type: "json_schema",
        json_schema: { name: "w", schema: weather, strict: true },
      },
    });
    expect(ajv.validate(weather, JSON.parse(answer.choices[0]?.message.content ?? ""))).toBe(true);
    const text = await client.chat.completions.create({
      model: "m",
      messages,
      max_tokens: 5,
      response_format: { type: "text" },
    });
    expect(text.choices[0]?.message.content).toBeTruthy();
  });

  const tagged = (content: string, begin: string, end: string) =>
    content.split("\n").map((line) => {
      expect(line.startsWith(begin) && line.endsWith(end), line).toBe(true);
      return JSON.parse(line.slice(begin.length, line.length - end.length));
    });

  // vllm PR #17085: the first shape; its example answer is `<function=get_weather>{...}</function>`.
  it("answers a structural tag of structures with sections whose JSON follows the schema", async () => {
    const answer = await client.chat.completions.create({
      model: "m",
      messages,
      max_tokens: 200,
      response_format: {
        type: "structural_tag",
        structures: [{ begin: "<function=get_weather>", schema: weather, end: "</function>" }],
        triggers: ["<function="],
      } as unknown as OpenAI.ResponseFormatJSONObject,
    });
    const content = answer.choices[0]?.message.content ?? "";
    for (const value of tagged(content, "<function=get_weather>", "</function>")) {
      expect(ajv.validate(weather, value)).toBe(true);
    }
  });

  // xgrammar 0.1.25's format (protocol.py StructuralTagResponseFormat `format: Any`).
  it("answers a structural tag format of triggered tags", async () => {
    const begin = '<tool_call>{"name": "get_weather", "arguments": ';
    const answer = await client.chat.completions.create({
      model: "m",
      messages,
      max_tokens: 200,
      response_format: {
        type: "structural_tag",
        format: {
          type: "triggered_tags",
          triggers: ["<tool_call>"],
          tags: [
            { begin, content: { type: "json_schema", json_schema: weather }, end: "}</tool_call>" },
          ],
        },
      } as unknown as OpenAI.ResponseFormatJSONObject,
    });
    const [value] = tagged(answer.choices[0]?.message.content ?? "", begin, "}</tool_call>");
    expect(ajv.validate(weather, value)).toBe(true);
  });

  // backend_xgrammar.py validate_xgrammar_grammar; backend_guidance.py serialize_guidance_grammar.
  it("refuses a tag neither backend builds with the backend's text", async () => {
    expect(await refusal({ type: "structural_tag", format: { type: "no_such_format" } })).toBe(
      "400 Invalid structural tag specification.",
    );
    expect(
      await refusal({
        type: "structural_tag",
        structures: [{ begin: "<f>", schema: {}, end: "</f>" }],
        triggers: ["<g"],
      }),
    ).toBe("400 Trigger <f> not found in triggers ['<g']");
  });

  // StructuredOutputsParams.structural_tag: the tag's JSON text.
  it("reads structured_outputs.structural_tag as JSON text", async () => {
    const tag = {
      type: "structural_tag",
      structures: [{ begin: "<w>", schema: weather, end: "</w>" }],
      triggers: ["<w>"],
    };
    const answer = await client.completions.create({
      model: "m",
      prompt: "Weather?",
      max_tokens: 200,
      // @ts-expect-error vLLM's extra field, not in the SDK's types
      structured_outputs: { structural_tag: JSON.stringify(tag) },
    });
    const [value] = tagged(answer.choices[0]?.text ?? "", "<w>", "</w>");
    expect(ajv.validate(weather, value)).toBe(true);
  });
});

describe("structural tag shapes by release", () => {
  const chat = async (version: string, response_format: unknown) => {
    const server = await startVllm({ "served-model-name": "m", "vllm-version": version });
    try {
      const answer = await fetch(`${server.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "m", messages, max_tokens: 100, response_format }),
      });
      const text = await answer.text();
      const body = JSON.parse(text);
      return { status: answer.status, text, message: String(body.message ?? body.error?.message) };
    } finally {
      await server.close();
    }
  };
  const structures = {
    type: "structural_tag",
    structures: [{ begin: "<a>", schema: { type: "object" }, end: "</a>" }],
    triggers: ["<a>"],
  };
  const format = { type: "structural_tag", format: { type: "const_string", value: "hi" } };

  // profiles.ts StructuralTagShapes: none before 0.9.0 (ResponseFormat alone, no union tag).
  it("refuses structural_tag as ResponseFormat's Literal before 0.9.0", async () => {
    const { status, message } = await chat("0.8.5", structures);
    expect(status).toBe(400);
    expect(message).toContain(
      `'loc': ('body', 'response_format', 'type'), 'msg': "Input should be 'text', 'json_object' or 'json_schema'", 'input': 'structural_tag'`,
    );
  });

  // protocol.py ChatCompletionRequest: `structural_tag: Optional[str]` (the tag's JSON text,
  // passed to GuidedDecodingParams.from_optional) beside the guided_* fields; removed with them in
  // 0.12.0 (vllm PR #29326), an unknown field from then on; CompletionRequest never had it.
  it("reads the top-level structural_tag text on chat from 0.9.0 to 0.11", async () => {
    const post = async (version: string, path: string, extra: Record<string, unknown>) => {
      const server = await startVllm({ "served-model-name": "m", "vllm-version": version });
      try {
        const base =
          path === "/v1/chat/completions" ? { messages } : { prompt: "Weather in Paris?" };
        const answer = await fetch(`${server.url}${path}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model: "m", max_tokens: 200, seed: 3, ...base, ...extra }),
        });
        return { status: answer.status, body: await answer.json() };
      } finally {
        await server.close();
      }
    };
    const tag = JSON.stringify({
      type: "structural_tag",
      structures: [{ begin: "<a>", schema: weather, end: "</a>" }],
      triggers: ["<a>"],
    });
    const guided = await post("0.11.0", "/v1/chat/completions", { structural_tag: tag });
    expect(guided.status).toBe(200);
    const content = String(guided.body.choices[0].message.content);
    const section = content.slice(content.indexOf("<a>") + 3, content.indexOf("</a>"));
    expect(content.startsWith("<a>")).toBe(true);
    expect(ajv.validate(weather, JSON.parse(section))).toBe(true);
    // A tag neither backend builds is the structured-output refusal (as structured_outputs').
    const bad = await post("0.11.0", "/v1/chat/completions", { structural_tag: "{" });
    expect(bad.status).toBe(400);
    // Optional[str]: a dict is pydantic's string_type.
    const typed = await post("0.10.1", "/v1/chat/completions", { structural_tag: { a: 1 } });
    expect(typed.status).toBe(400);
    expect(typed.body.error.message).toContain(
      "{'type': 'string_type', 'loc': ('body', 'structural_tag'), 'msg': 'Input should be a valid string', 'input': {'a': 1}}",
    );
    // Ignored: an unknown field from 0.12.0, never a completions field, no field before 0.9.0.
    for (const [version, path] of [
      ["0.12.0", "/v1/chat/completions"],
      ["0.11.0", "/v1/completions"],
      ["0.8.5", "/v1/chat/completions"],
    ] as const) {
      const free = await post(version, path, { structural_tag: "{" });
      expect(free.status, `${version} ${path}`).toBe(200);
    }
  });

  it("takes structures from 0.9.0 and the format shape from 0.12.0", async () => {
    expect((await chat("0.9.0", structures)).status).toBe(200);
    const older = await chat("0.11.0", format);
    expect(older.status).toBe(400);
    expect(older.message).toContain(
      "'loc': ('body', 'response_format', 'StructuralTagResponseFormat', 'structures'), 'msg': 'Field required'",
    );
    const newer = await chat("0.12.0", format);
    expect(newer.status).toBe(200);
    expect(JSON.parse(newer.text).choices[0].message.content).toBe("hi");
    expect((await chat("0.12.0", structures)).status).toBe(200);
  });
});

// protocol.py `guided_json: str | dict | BaseModel | None`; StructuredOutputsParams
// `json: str | dict | None`: a number, list or boolean fits no member.
describe("non-object JSON schemas", () => {
  const complete = async (version: string, extra: object) => {
    const server = await startVllm({ "served-model-name": "m", "vllm-version": version });
    try {
      const answer = await fetch(`${server.url}/v1/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "m", prompt: "x", max_tokens: 8, ...extra }),
      });
      return { status: answer.status, text: await answer.text() };
    } finally {
      await server.close();
    }
  };

  it("refuses guided_json 5, [] and true with the union's three complaints", async () => {
    for (const [value, repr] of [
      [5, "5"],
      [[], "[]"],
      [true, "True"],
    ] as const) {
      const { status, text } = await complete("0.11.0", { guided_json: value });
      expect(status).toBe(400);
      const message = JSON.parse(text).error.message as string;
      expect(message).toBe(
        `[{'type': 'string_type', 'loc': ('body', 'guided_json', 'str'), 'msg': 'Input should be a valid string', 'input': ${repr}}, {'type': 'dict_type', 'loc': ('body', 'guided_json', 'dict[any,any]'), 'msg': 'Input should be a valid dictionary', 'input': ${repr}}, {'type': 'is_instance_of', 'loc': ('body', 'guided_json', 'is-instance[BaseModel]'), 'msg': 'Input should be an instance of BaseModel', 'input': ${repr}, 'ctx': {'class': 'BaseModel'}}]`,
      );
    }
  });

  it("refuses structured_outputs.json 5 with the two complaints", async () => {
    const { status, text } = await complete("0.12.0", { structured_outputs: { json: 5 } });
    expect(status).toBe(400);
    expect(JSON.parse(text).error.message).toBe(
      "[{'type': 'string_type', 'loc': ('body', 'structured_outputs', 'json', 'str'), 'msg': 'Input should be a valid string', 'input': 5}, {'type': 'dict_type', 'loc': ('body', 'structured_outputs', 'json', 'dict[any,any]'), 'msg': 'Input should be a valid dictionary', 'input': 5}]",
    );
  });
});

// profiles.ts CompletionsFormats and MissingJsonSchema: which response_format types guide
// /v1/completions by release, and what a json_schema format without its schema object meets.
describe("response_format on completions and a missing json_schema, by release", () => {
  const versions = ["0.9.0", "0.10.1", "0.10.2", "0.16.0", "0.17.0"] as const;
  const servers = new Map<string, TestServer>();
  beforeAll(async () => {
    for (const version of versions) {
      servers.set(version, await startVllm({ "served-model-name": "m", "vllm-version": version }));
    }
  });
  afterAll(async () => {
    for (const server of servers.values()) await server.close();
  });
  const at = (version: string) => servers.get(version) as TestServer;
  const digits = { type: "object", properties: { n: { type: "integer" } }, required: ["n"] };
  const jsonSchema = { type: "json_schema", json_schema: { name: "n", schema: digits } };
  const complete = (version: string, response_format: unknown, model = "m") =>
    openaiClient(at(version)).completions.create({
      model,
      prompt: "Give a number",
      max_tokens: 40,
      seed: 1,
      response_format,
    } as OpenAI.CompletionCreateParamsNonStreaming);
  const post = async (version: string, path: string, body: object) => {
    const answer = await fetch(`${at(version).url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: answer.status, text: await answer.text() };
  };

  // vllm PR #23212 ("fix: response_format for completion", opened 2025-08-19): before it,
  // CompletionRequest.to_sampling_params set guided_json_object for json_object only.
  it("guides completions by json_schema from 0.10.2, not before", async () => {
    const before = await complete("0.10.1", jsonSchema);
    expect(() => JSON.parse(before.choices[0]?.text ?? "")).toThrow();
    for (const version of ["0.10.2", "0.17.0"]) {
      const answer = await complete(version, jsonSchema);
      expect(ajv.validate(digits, JSON.parse(answer.choices[0]?.text ?? ""))).toBe(true);
    }
  });

  it("guides completions by json_object in every release", async () => {
    for (const version of ["0.9.0", "0.10.1", "0.17.0"]) {
      const answer = await complete(version, { type: "json_object" });
      expect(typeof JSON.parse(answer.choices[0]?.text ?? "")).toBe("object");
    }
  });

  // The same PR added the structural_tag branch; before it the tag was validated, then unused.
  it("guides completions by a structural tag from 0.10.2, not before", async () => {
    const tag = {
      type: "structural_tag",
      structures: [{ begin: "<n>", schema: digits, end: "</n>" }],
      triggers: ["<n>"],
    };
    const before = await complete("0.10.1", tag);
    expect(before.choices[0]?.text).not.toContain("<n>");
    const after = await complete("0.10.2", tag);
    expect(after.choices[0]?.text).toContain("<n>");
  });

  // vllm issue #35438: `assert json_schema is not None` escapes `except ValueError`; the body
  // as reported: {"error":{"message":"","type":"InternalServerError","param":null,"code":500}}.
  it("answers chat's json_schema without its schema 500 with an empty message before 0.17.0", async () => {
    for (const response_format of [
      { type: "json_schema" },
      { type: "json_schema", json_schema: null },
    ]) {
      const { status, text } = await post("0.16.0", "/v1/chat/completions", {
        model: "m",
        messages,
        response_format,
      });
      expect(status).toBe(500);
      expect(JSON.parse(text)).toEqual({
        error: { message: "", type: "InternalServerError", param: null, code: 500 },
      });
    }
    // The flat envelope of its release (errors.ts), same status and message.
    const flat = await post("0.9.0", "/v1/chat/completions", {
      model: "m",
      messages,
      response_format: { type: "json_schema" },
    });
    expect(flat.status).toBe(500);
    expect(JSON.parse(flat.text)).toMatchObject({ object: "error", message: "", code: 500 });
  });

  it("answers it through the openai SDK as an InternalServerError, after the model check", async () => {
    const error = await complete("0.16.0", { type: "json_schema" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    const unknown = await complete("0.16.0", { type: "json_schema" }, "other").catch(
      (e: unknown) => e,
    );
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
  });

  // Before 0.10.2 completions never look at json_schema, so nothing asserts: 200.
  it("serves completions' json_schema without its schema before 0.10.2", async () => {
    const { status } = await post("0.10.1", "/v1/completions", {
      model: "m",
      prompt: "x",
      max_tokens: 4,
      response_format: { type: "json_schema", json_schema: null },
    });
    expect(status).toBe(200);
  });

  // vllm PRs #35456 (completions) and #35510 (chat): validate_response_format, a model
  // validator, refuses it with a 400 from 0.17.0.
  it("refuses it with validate_response_format's 400 from 0.17.0", async () => {
    const text =
      "When response_format type is 'json_schema', the 'json_schema' field must be provided.";
    for (const [path, body] of [
      ["/v1/chat/completions", { model: "m", messages }],
      ["/v1/completions", { model: "m", prompt: "x" }],
    ] as const) {
      const answer = await post("0.17.0", path, {
        ...body,
        response_format: { type: "json_schema" },
      });
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.text).error.message).toContain(text);
    }
  });

  it("keeps serving after each of them", async () => {
    for (const version of versions) {
      const answer = await complete(version, { type: "json_object" });
      expect(answer.choices).toHaveLength(1);
    }
  });
});

// vllm PR #38519 (after 0.18.0): responses/api_router.py dumps with by_alias=True, so the JSON
// schema prints as `schema` where `schema_` was, the other keys and extras unchanged.
describe("textByAlias", () => {
  it("renames schema_ to schema in place and leaves the rest", () => {
    const echo = textEcho({
      format: { type: "json_schema", name: "w", schema: { type: "object" }, extra: 1 },
      verbosity: "low",
    });
    const aliased = textByAlias(echo);
    expect(JSON.stringify(aliased)).toBe(
      '{"format":{"schema":{"type":"object"},"type":"json_schema","description":null,"name":"w","strict":null,"extra":1},"verbosity":"low"}',
    );
    expect(echo?.format).toHaveProperty("schema_");
  });

  it("returns formats without a schema, and no text, as they are", () => {
    const plain = textEcho({ format: { type: "text" } });
    expect(textByAlias(plain)).toBe(plain);
    expect(textByAlias(null)).toBeNull();
  });
});
