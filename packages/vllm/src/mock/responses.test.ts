/**
 * The Responses API (`POST /v1/responses`) driven by the official `openai` SDK, as vLLM users call
 * `client.responses.create(...)`, plus fetch for what the SDK hides. Sources: vllm-project/vllm
 * vllm/entrypoints/openai/serving_responses.py (≈v0.11-0.12), protocol.py (ResponsesRequest,
 * ResponsesResponse, ResponseUsage), responses/api_router.py; vllm-openai.md §1-§3.
 */
import { Ajv } from "ajv";
import OpenAI, { type APIError } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { releasedBy, vllmProfiles } from "./profiles.js";
import { responsesStoreEnabled } from "./settings.js";
import { openaiClient, startVllm, type TestServer } from "./test-server.js";

const weather = {
  type: "object",
  properties: { city: { type: "string" }, days: { type: "integer", minimum: 1, maximum: 7 } },
  required: ["city", "days"],
  additionalProperties: false,
} as const;

async function errorOf(promise: Promise<unknown>): Promise<APIError> {
  try {
    await promise;
  } catch (error) {
    return error as APIError;
  }
  throw new Error("expected the call to fail");
}

describe("Responses API with the openai SDK (store off, the default)", () => {
  let server: TestServer;
  let client: OpenAI;
  beforeAll(async () => {
    server = await startVllm({ "served-model-name": "granite" });
    client = openaiClient(server);
  });
  afterAll(() => server.close());

  // protocol.py ResponsesResponse; serving_responses.py _make_response_output_items.
  it("answers a response with one output_text message", async () => {
    const response = await client.responses.create({
      model: "granite",
      input: "Say hello",
      max_output_tokens: 8,
    });
    expect(response.object).toBe("response");
    // protocol.py: request_id defaults to resp_<random_uuid()> and is the response id.
    expect(response.id).toMatch(/^resp_[0-9a-f]{32}$/);
    expect(response.status).toBe("completed");
    expect(response.model).toBe("granite");
    const [message] = response.output;
    expect(message?.type).toBe("message");
    if (message?.type !== "message") throw new Error("no message");
    expect(message.id).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(message.role).toBe("assistant");
    expect(message.status).toBe("completed");
    expect(message.content[0]?.type).toBe("output_text");
    expect(response.output_text.length).toBeGreaterThan(0);
    // SimpleContext: cached and reasoning tokens are 0.
    expect(response.usage?.input_tokens_details.cached_tokens).toBe(0);
    expect(response.usage?.output_tokens_details.reasoning_tokens).toBe(0);
    expect(response.usage?.total_tokens).toBe(
      (response.usage?.input_tokens ?? 0) + (response.usage?.output_tokens ?? 0),
    );
    expect(response.max_output_tokens).toBe(8);
  });

  // serving_responses.py _construct_input_messages: instructions become the system message.
  it("renders instructions as a system message ahead of the input", async () => {
    const plain = await client.responses.create({
      model: "granite",
      input: "Hi",
      max_output_tokens: 1,
    });
    const withInstructions = await client.responses.create({
      model: "granite",
      input: "Hi",
      instructions: "You are terse.",
      max_output_tokens: 1,
    });
    expect(withInstructions.instructions).toBe("You are terse.");
    expect(withInstructions.usage?.input_tokens).toBeGreaterThan(plain.usage?.input_tokens ?? 0);
  });

  it("takes a message list with content parts", async () => {
    const response = await client.responses.create({
      model: "granite",
      input: [
        { role: "developer", content: "Be brief." },
        { role: "user", content: [{ type: "input_text", text: "Hello" }] },
      ],
      max_output_tokens: 2,
    });
    expect(response.status).toBe("completed");
  });

  // vllm issue #24184 (v0.10-0.13): SimpleContext reports "completed" even when cut by length.
  it("reports a length cut as completed before vLLM 0.14", async () => {
    const response = await client.responses.create({
      model: "granite",
      input: "Tell me a long story",
      max_output_tokens: 3,
      ignore_eos: true,
    } as OpenAI.Responses.ResponseCreateParamsNonStreaming);
    expect(response.status).toBe("completed");
    expect(response.incomplete_details).toBeNull();
    expect(response.usage?.output_tokens).toBe(3);
  });

  // protocol.py to_sampling_params: text.format json_schema guides the output.
  it("guides the output by text.format json_schema", async () => {
    const response = await client.responses.create({
      model: "granite",
      input: "Weather plan",
      text: { format: { type: "json_schema", name: "plan", schema: weather, strict: true } },
    });
    const validate = new Ajv({ strict: false }).compile(weather);
    expect(validate(JSON.parse(response.output_text))).toBe(true);
  });

  // protocol.py to_sampling_params guides only a json_schema format: json_object and text leave
  // the output free (the JSON object branch came later, in extract_structured_outputs).
  it("leaves the output free for text.format json_object and text", async () => {
    for (const format of [{ type: "json_object" }, { type: "text" }] as const) {
      const response = await client.responses.create({
        model: "granite",
        input: "Say hello",
        max_output_tokens: 6,
        text: { format },
      });
      expect(() => JSON.parse(response.output_text)).toThrow();
      // ResponseTextConfig dumped (api_router.py model_dump()): verbosity written as null.
      expect(response.text).toEqual({ format, verbosity: null });
    }
  });

  // protocol.py ResponsesResponse.from_request copies request.text (openai ResponseTextConfig);
  // responses/api_router.py answers JSONResponse(content=generator.model_dump()): no by_alias, so
  // the JSON schema prints under its Python name `schema_` (openai-python
  // response_format_text_json_schema_config.py: `schema_ = FieldInfo(alias="schema")`), every
  // field in field order with its null default, extra keys (extra="allow") after them.
  it("echoes text as pydantic dumps it: schema_ for schema, nulls written, extras kept", async () => {
    const raw = await fetch(`${server.url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "granite",
        input: "Weather plan",
        text: { format: { name: "plan", type: "json_schema", schema: weather, x_note: 1 } },
      }),
    });
    expect(raw.status).toBe(200);
    // JSON.parse keeps the keys in the order they were written.
    const { text } = (await raw.json()) as { text: { format: object } };
    expect(text).toEqual({
      format: {
        schema_: weather,
        type: "json_schema",
        description: null,
        name: "plan",
        strict: null,
        x_note: 1,
      },
      verbosity: null,
    });
    // Key order as pydantic writes it: declared fields first, extras last.
    expect(Object.keys(text.format)).toEqual([
      "schema_",
      "type",
      "description",
      "name",
      "strict",
      "x_note",
    ]);
    // ResponsesRequest text defaults to None: the response says null.
    const plain = await client.responses.create({
      model: "granite",
      input: "Hi",
      max_output_tokens: 2,
    });
    expect(plain.text).toBeNull();
    // The openai SDK keeps the key as sent: `schema_`, no `schema`.
    const sdk = await client.responses.create({
      model: "granite",
      input: "Weather plan",
      text: {
        format: { type: "json_schema", name: "plan", schema: weather, strict: true },
        verbosity: "low",
      },
    });
    expect(sdk.text).toEqual({
      format: {
        schema_: weather,
        type: "json_schema",
        description: null,
        name: "plan",
        strict: true,
      },
      verbosity: "low",
    });
  });

  // ResponsesRequest text: ResponseTextConfig; openai-python response_format_text_config.py:
  // Union[ResponseFormatText, ResponseFormatTextJSONSchemaConfig, ResponseFormatJSONObject]
  // as a smart union (PropertyInfo's discriminator is openai's own metadata), so pydantic lists
  // each member's complaint under its class name; schema_ (alias schema) is a required dict.
  it("refuses a text.format schema given as a string with each member's complaint", async () => {
    const error = await errorOf(
      client.responses.create({
        model: "granite",
        input: "Hi",
        text: { format: { type: "json_schema", name: "plan", schema: "{}" } },
      } as unknown as OpenAI.Responses.ResponseCreateParamsNonStreaming),
    );
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.message).toBe(
      "400 [{'type': 'literal_error', 'loc': ('body', 'text', 'format', 'ResponseFormatText', 'type'), 'msg': \"Input should be 'text'\", 'input': 'json_schema', 'ctx': {'expected': \"'text'\"}}, " +
        "{'type': 'dict_type', 'loc': ('body', 'text', 'format', 'ResponseFormatTextJSONSchemaConfig', 'schema'), 'msg': 'Input should be a valid dictionary', 'input': '{}'}, " +
        "{'type': 'literal_error', 'loc': ('body', 'text', 'format', 'ResponseFormatJSONObject', 'type'), 'msg': \"Input should be 'json_object'\", 'input': 'json_schema', 'ctx': {'expected': \"'json_object'\"}}]",
    );
  });

  it("refuses a json_schema format without a schema, a wrong type and a bad verbosity", async () => {
    const missing = await errorOf(
      client.responses.create({
        model: "granite",
        input: "Hi",
        text: { format: { type: "json_schema", name: "plan" } },
      } as unknown as OpenAI.Responses.ResponseCreateParamsNonStreaming),
    );
    expect(missing.message).toContain(
      "{'type': 'missing', 'loc': ('body', 'text', 'format', 'ResponseFormatTextJSONSchemaConfig', 'schema'), 'msg': 'Field required', 'input': {'type': 'json_schema', 'name': 'plan'}}",
    );
    const wrongType = await errorOf(
      client.responses.create({
        model: "granite",
        input: "Hi",
        text: { format: { type: "json" } },
      } as unknown as OpenAI.Responses.ResponseCreateParamsNonStreaming),
    );
    expect(wrongType.message).toContain(
      "'loc': ('body', 'text', 'format', 'ResponseFormatTextJSONSchemaConfig', 'schema'), 'msg': 'Field required'",
    );
    expect(wrongType.message).toContain("\"Input should be 'json_object'\"");
    // response_text_config.py: verbosity: Optional[Literal["low", "medium", "high"]].
    const verbosity = await errorOf(
      client.responses.create({
        model: "granite",
        input: "Hi",
        text: { verbosity: "loud" },
      } as unknown as OpenAI.Responses.ResponseCreateParamsNonStreaming),
    );
    expect(verbosity.message).toBe(
      "400 [{'type': 'literal_error', 'loc': ('body', 'text', 'verbosity'), 'msg': \"Input should be 'low', 'medium' or 'high'\", 'input': 'loud', 'ctx': {'expected': \"'low', 'medium' or 'high'\"}}]",
    );
    const notModel = await errorOf(
      client.responses.create({
        model: "granite",
        input: "Hi",
        text: "json",
      } as unknown as OpenAI.Responses.ResponseCreateParamsNonStreaming),
    );
    expect(notModel.message).toBe(
      "400 [{'type': 'model_type', 'loc': ('body', 'text'), 'msg': 'Input should be a valid dictionary or instance of ResponseTextConfig', 'input': 'json', 'ctx': {'class_name': 'ResponseTextConfig'}}]",
    );
  });

  // ResponsesRequest reasoning: Reasoning | None (openai-python types/shared/reasoning.py:
  // effort, generate_summary, summary, all optional); ResponsesResponse.from_request echoes the
  // model, model_dump writing its three fields with nulls.
  it("echoes reasoning as openai's Reasoning model dumps it", async () => {
    const response = await client.responses.create({
      model: "granite",
      input: "Hi",
      max_output_tokens: 2,
      reasoning: { effort: "low" },
    });
    expect(response.reasoning).toEqual({ effort: "low", generate_summary: null, summary: null });
    const plain = await client.responses.create({
      model: "granite",
      input: "Hi",
      max_output_tokens: 1,
    });
    expect(plain.reasoning).toBeNull();
  });

  // reasoning_effort.py: Literal["none", "minimal", "low", "medium", "high"] (the stored openai
  // types; the set follows the openai package of the image); summary: "auto", "concise", "detailed".
  it("refuses a reasoning effort or summary outside openai's Literal", async () => {
    const error = await errorOf(
      client.responses.create({
        model: "granite",
        input: "Hi",
        reasoning: { effort: "max", summary: "long" },
      } as unknown as OpenAI.Responses.ResponseCreateParamsNonStreaming),
    );
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.message).toBe(
      "400 [{'type': 'literal_error', 'loc': ('body', 'reasoning', 'effort'), 'msg': \"Input should be 'none', 'minimal', 'low', 'medium' or 'high'\", 'input': 'max', 'ctx': {'expected': \"'none', 'minimal', 'low', 'medium' or 'high'\"}}, " +
        "{'type': 'literal_error', 'loc': ('body', 'reasoning', 'summary'), 'msg': \"Input should be 'auto', 'concise' or 'detailed'\", 'input': 'long', 'ctx': {'expected': \"'auto', 'concise' or 'detailed'\"}}]",
    );
    const notModel = await errorOf(
      client.responses.create({
        model: "granite",
        input: "Hi",
        reasoning: "high",
      } as unknown as OpenAI.Responses.ResponseCreateParamsNonStreaming),
    );
    expect(notModel.message).toContain(
      "'msg': 'Input should be a valid dictionary or instance of Reasoning', 'input': 'high', 'ctx': {'class_name': 'Reasoning'}",
    );
  });

  // serving_engine.py _parse_tool_calls_from_content: a named tool_choice is a forced call.
  it("answers a named function tool choice with a function_call item", async () => {
    const response = await client.responses.create({
      model: "granite",
      input: "Weather in Paris?",
      tools: [{ type: "function", name: "get_weather", parameters: weather, strict: true }],
      tool_choice: { type: "function", name: "get_weather" },
    });
    const [call] = response.output;
    expect(call?.type).toBe("function_call");
    if (call?.type !== "function_call") throw new Error("no call");
    expect(call.name).toBe("get_weather");
    expect(call.call_id).toMatch(/^call_[0-9a-f]{32}$/);
    expect(call.id).toMatch(/^fc_[0-9a-f]{32}$/);
    const validate = new Ajv({ strict: false }).compile(weather);
    expect(validate(JSON.parse(call.arguments))).toBe(true);
    // openai's FunctionTool and ToolChoiceFunction as pydantic dumps them, in field order.
    expect(Object.keys(response.tools[0] ?? {})).toEqual([
      "name",
      "parameters",
      "strict",
      "type",
      "description",
    ]);
    expect(response.tool_choice).toEqual({ name: "get_weather", type: "function" });
    expect(Object.keys(response.tool_choice)).toEqual(["name", "type"]);
  });

  // serving_engine.py _parse_tool_calls_from_content: "required" always calls a function.
  it("calls a function for tool_choice required", async () => {
    const response = await client.responses.create({
      model: "granite",
      input: "Weather?",
      tools: [{ type: "function", name: "get_weather", parameters: weather, strict: true }],
      tool_choice: "required",
    });
    expect(response.output[0]).toMatchObject({ type: "function_call", name: "get_weather" });
  });

  // utils.py construct_input_messages: a call and its output become assistant and tool messages.
  it("takes function_call and function_call_output items as history", async () => {
    const response = await client.responses.create({
      model: "granite",
      input: [
        { role: "user", content: "Weather in Paris?" },
        {
          type: "function_call",
          call_id: "call_1",
          name: "get_weather",
          arguments: '{"city":"Paris","days":1}',
        },
        { type: "function_call_output", call_id: "call_1", output: "sunny" },
      ],
      tools: [{ type: "function", name: "get_weather", parameters: weather, strict: true }],
      tool_choice: "none",
      max_output_tokens: 3,
    });
    expect(response.output[0]?.type).toBe("message");
  });

  it("answers text for tool_choice auto without --enable-auto-tool-choice", async () => {
    const response = await client.responses.create({
      model: "granite",
      input: "Weather in Paris?",
      tools: [{ type: "function", name: "get_weather", parameters: weather, strict: true }],
      max_output_tokens: 4,
    });
    expect(response.output[0]?.type).toBe("message");
    expect(response.tool_choice).toBe("auto");
  });

  // include message.output_text.logprobs (protocol.py is_include_output_logprobs).
  it("adds output logprobs when include asks for them", async () => {
    const response = await client.responses.create({
      model: "granite",
      input: "Hi",
      max_output_tokens: 3,
      include: ["message.output_text.logprobs"],
      top_logprobs: 2,
    });
    const message = response.output[0];
    if (message?.type !== "message") throw new Error("no message");
    const part = message.content[0];
    if (part?.type !== "output_text") throw new Error("no text");
    expect(part.logprobs?.length).toBe(response.usage?.output_tokens);
    expect(part.logprobs?.[0]?.top_logprobs.length).toBe(2);
    expect(response.top_logprobs).toBe(2);
  });

  // vllm-openai.md §3: unknown model is 404 NotFoundError with backticks.
  it("answers an unknown model with NotFoundError", async () => {
    const error = await errorOf(client.responses.create({ model: "nope", input: "Hi" }));
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect(error.message).toContain("The model `nope` does not exist.");
  });

  // vllm-openai.md §3: body validation is a 400 with pydantic's error list.
  it("answers a missing input with BadRequestError", async () => {
    const error = await errorOf(
      client.responses.create({
        model: "granite",
      } as OpenAI.Responses.ResponseCreateParamsNonStreaming),
    );
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.message).toContain("'type': 'missing', 'loc': ('body', 'input')");
  });

  it("answers a wrongly typed field with BadRequestError", async () => {
    const error = await errorOf(
      client.responses.create({
        model: "granite",
        input: "Hi",
        max_output_tokens: "many",
      } as unknown as OpenAI.Responses.ResponseCreateParamsNonStreaming),
    );
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.message).toContain("'loc': ('body', 'max_output_tokens')");
  });

  // serving_responses.py create_responses: background without the store is refused.
  it("refuses background while the store is off", async () => {
    const error = await errorOf(
      client.responses.create({ model: "granite", input: "Hi", background: true }),
    );
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.message).toContain(
      "This vLLM engine does not support `store=True` and therefore does not support the background mode.",
    );
    expect((error.error as { type?: string }).type).toBe("invalid_request_error");
  });

  // serving_responses.py _make_not_found_error: 404, invalid_request_error.
  it("answers an unknown previous_response_id with 404", async () => {
    const error = await errorOf(
      client.responses.create({ model: "granite", input: "Hi", previous_response_id: "resp_x" }),
    );
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect(error.message).toContain("Response with id 'resp_x' not found.");
  });

  it("stores nothing: GET and cancel of any id are 404", async () => {
    const response = await client.responses.create({
      model: "granite",
      input: "Hi",
      max_output_tokens: 1,
    });
    const got = await errorOf(client.responses.retrieve(response.id));
    expect(got).toBeInstanceOf(OpenAI.NotFoundError);
    expect(got.message).toContain(`Response with id '${response.id}' not found.`);
    const cancelled = await errorOf(client.responses.cancel(response.id));
    expect(cancelled).toBeInstanceOf(OpenAI.NotFoundError);
  });

  // serving_responses.py runs the same engine as chat: vLLM's engine metrics count the request.
  it("counts a response in the engine's metrics", async () => {
    const metric = async (name: string) => {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      const line = text.split("\n").find((l) => l.startsWith(name));
      return Number(line?.split(" ").at(-1) ?? 0);
    };
    const success =
      'vllm:request_success_total{engine="0",finished_reason="length",model_name="granite"}';
    const prompt = 'vllm:prompt_tokens_total{engine="0",model_name="granite"}';
    const [successBefore, promptBefore] = [await metric(success), await metric(prompt)];
    const response = await client.responses.create({
      model: "granite",
      input: "Count me",
      max_output_tokens: 2,
      ignore_eos: true,
    } as OpenAI.Responses.ResponseCreateParamsNonStreaming);
    expect(await metric(success)).toBe(successBefore + 1);
    expect(await metric(prompt)).toBe(promptBefore + (response.usage?.input_tokens ?? 0));
  });

  // protocol.py ResponsesResponse field order, as model_dump() writes it (JSONResponse).
  it("writes the response keys in vLLM's field order", async () => {
    const raw = await fetch(`${server.url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ input: "Hi", max_output_tokens: 1, request_id: "resp_fixed" }),
    });
    expect(raw.status).toBe(200);
    expect(raw.headers.get("content-type")).toBe("application/json");
    const body = (await raw.json()) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual([
      "id",
      "created_at",
      "incomplete_details",
      "instructions",
      "metadata",
      "model",
      "object",
      "output",
      "parallel_tool_calls",
      "temperature",
      "tool_choice",
      "tools",
      "top_p",
      "background",
      "max_output_tokens",
      "max_tool_calls",
      "previous_response_id",
      "prompt",
      "reasoning",
      "service_tier",
      "status",
      "text",
      "top_logprobs",
      "truncation",
      "usage",
      "user",
      "input_messages",
      "output_messages",
    ]);
    // The body's request_id is the response id as sent.
    expect(body.id).toBe("resp_fixed");
    expect(Object.keys(body.usage as object)).toEqual([
      "input_tokens",
      "input_tokens_details",
      "output_tokens",
      "output_tokens_details",
      "total_tokens",
    ]);
  });
});

describe("Responses API per release and option", () => {
  // vllm PR #31836 (≈0.14): a length cut reports incomplete with reason max_output_tokens.
  it("reports a length cut as incomplete from vLLM 0.14", async () => {
    const server = await startVllm({ "vllm-version": "0.14.0" });
    try {
      const response = await openaiClient(server).responses.create({
        model: "",
        input: "Tell me a long story",
        max_output_tokens: 3,
        ignore_eos: true,
      } as OpenAI.Responses.ResponseCreateParamsNonStreaming);
      expect(response.status).toBe("incomplete");
      expect(response.incomplete_details).toEqual({ reason: "max_output_tokens" });
    } finally {
      await server.close();
    }
  });

  // vllm issue #28173 (v0.11.0): tools are refused without harmony, the cause printed as None.
  it("refuses tools on vLLM 0.11", async () => {
    const server = await startVllm({ "vllm-version": "0.11.0" });
    try {
      const error = await errorOf(
        openaiClient(server).responses.create({
          model: "",
          input: "Hi",
          tools: [{ type: "function", name: "f", parameters: null, strict: null }],
        }),
      );
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect(error.message).toContain(
        "Tool use is not supported in Responses API without Harmony None",
      );
    } finally {
      await server.close();
    }
  });

  // vllm-openai.md §1: the route exists from ≈v0.10; older releases answer FastAPI's 404.
  it("has no route before vLLM 0.10", async () => {
    const server = await startVllm({ "vllm-version": "0.9.2" });
    try {
      const raw = await fetch(`${server.url}/v1/responses`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ input: "Hi" }),
      });
      expect(raw.status).toBe(404);
      expect(await raw.json()).toEqual({ detail: "Not Found" });
    } finally {
      await server.close();
    }
  });

  // vllm-openai.md §2: /v1 routes are guarded by --api-key.
  it("is guarded by --api-key", async () => {
    const server = await startVllm({ "api-key": "sekret" });
    try {
      const error = await errorOf(
        openaiClient(server, "wrong").responses.create({ model: "", input: "Hi" }),
      );
      expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
      const ok = await openaiClient(server, "sekret").responses.create({
        model: "",
        input: "Hi",
        max_output_tokens: 1,
      });
      expect(ok.status).toBe("completed");
    } finally {
      await server.close();
    }
  });

  // vllm-openai.md §3.1 texts through preprocessing, caught as f"{e} {e.__cause__}".
  it("answers a prompt over max_model_len with the context-length 400", async () => {
    const server = await startVllm({ "max-model-len": "32" });
    try {
      const error = await errorOf(
        openaiClient(server).responses.create({ model: "", input: "word ".repeat(64) }),
      );
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect(error.message).toContain("This model's maximum context length is 32 tokens.");
      expect(error.message).toMatch(/ None$/);
    } finally {
      await server.close();
    }
  });

  // serving_engine.py: --enable-auto-tool-choice lets "auto" call a tool.
  it("calls a tool for auto with --enable-auto-tool-choice", async () => {
    const server = await startVllm({
      "enable-auto-tool-choice": true,
      "tool-call-parser": "hermes",
    });
    try {
      const response = await openaiClient(server).responses.create({
        model: "",
        input: "Weather?",
        tools: [{ type: "function", name: "get_weather", parameters: weather, strict: true }],
      });
      expect(response.output[0]?.type).toBe("function_call");
    } finally {
      await server.close();
    }
  });
});

describe("Responses API with VLLM_ENABLE_RESPONSES_API_STORE=1", () => {
  let server: TestServer;
  let slow: TestServer;
  let client: OpenAI;
  beforeAll(async () => {
    // vllm/envs.py: bool(int(os.getenv("VLLM_ENABLE_RESPONSES_API_STORE", "0"))).
    process.env.VLLM_ENABLE_RESPONSES_API_STORE = "1";
    try {
      server = await startVllm({ "served-model-name": "granite" });
      slow = await startVllm({ "time-to-first-token": "5000" });
    } finally {
      delete process.env.VLLM_ENABLE_RESPONSES_API_STORE;
    }
    client = openaiClient(server);
  });
  afterAll(async () => {
    await server.close();
    await slow.close();
  });

  // serving_responses.py responses_full_generator / retrieve_responses.
  it("stores a response that GET returns", async () => {
    const response = await client.responses.create({
      model: "granite",
      input: "Hi",
      max_output_tokens: 2,
    });
    const stored = await client.responses.retrieve(response.id);
    expect(stored).toEqual(response);
  });

  it("stores nothing for store=false", async () => {
    const response = await client.responses.create({
      model: "granite",
      input: "Hi",
      max_output_tokens: 1,
      store: false,
    });
    expect(await errorOf(client.responses.retrieve(response.id))).toBeInstanceOf(
      OpenAI.NotFoundError,
    );
  });

  it("stores a streamed response when it completes", async () => {
    // The raw events: the SDK's stream helper cannot follow 0.12's counting content_index
    // (responses-stream.test.ts); the store keeps response.completed's response.
    const events = await client.responses.create({
      model: "granite",
      input: "Hi",
      max_output_tokens: 2,
      stream: true,
    });
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of events) {
      if (event.type === "response.completed") completed = event.response;
    }
    if (completed === undefined) throw new Error("no response.completed");
    const stored = await client.responses.retrieve(completed.id);
    expect(stored.output).toEqual(completed.output);
    expect(stored.status).toBe("completed");
  });

  // serving_responses.py _construct_input_messages: the stored conversation and its output.
  it("continues a conversation from previous_response_id", async () => {
    const first = await client.responses.create({
      model: "granite",
      input: "Hi",
      max_output_tokens: 4,
    });
    const second = await client.responses.create({
      model: "granite",
      input: "And then?",
      previous_response_id: first.id,
      max_output_tokens: 1,
    });
    expect(second.previous_response_id).toBe(first.id);
    expect(second.usage?.input_tokens).toBeGreaterThan(
      (first.usage?.input_tokens ?? 0) + (first.usage?.output_tokens ?? 0),
    );
  });

  // serving_responses.py cancel_responses: only queued or in_progress responses cancel.
  it("refuses to cancel a finished response", async () => {
    const response = await client.responses.create({
      model: "granite",
      input: "Hi",
      max_output_tokens: 1,
    });
    const error = await errorOf(client.responses.cancel(response.id));
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.message).toContain("Cannot cancel a synchronous response.");
  });

  it("runs a background response to completion", async () => {
    const queued = await client.responses.create({
      model: "granite",
      input: "Hi",
      max_output_tokens: 2,
      background: true,
    });
    expect(queued.status).toBe("queued");
    expect(queued.output).toEqual([]);
    expect(queued.background).toBe(true);
    let stored = await client.responses.retrieve(queued.id);
    for (let i = 0; i < 100 && stored.status === "queued"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      stored = await client.responses.retrieve(queued.id);
    }
    expect(stored.status).toBe("completed");
    expect(stored.usage?.output_tokens).toBe(2);
  });

  it("cancels a queued background response", async () => {
    const slowClient = openaiClient(slow);
    const queued = await slowClient.responses.create({ model: "", input: "Hi", background: true });
    const cancelled = await slowClient.responses.cancel(queued.id);
    expect(cancelled.status).toBe("cancelled");
    expect((await slowClient.responses.retrieve(queued.id)).status).toBe("cancelled");
  });
});

// vllm/envs.py: bool(int(os.getenv("VLLM_ENABLE_RESPONSES_API_STORE", "0"))); int() of a word fails.
describe("responsesStoreEnabled", () => {
  it("reads the variable as vLLM does", () => {
    expect(responsesStoreEnabled({})).toBe(false);
    expect(responsesStoreEnabled({ VLLM_ENABLE_RESPONSES_API_STORE: "0" })).toBe(false);
    expect(responsesStoreEnabled({ VLLM_ENABLE_RESPONSES_API_STORE: "1" })).toBe(true);
    expect(responsesStoreEnabled({ VLLM_ENABLE_RESPONSES_API_STORE: " 2 " })).toBe(true);
    expect(() => responsesStoreEnabled({ VLLM_ENABLE_RESPONSES_API_STORE: "true" })).toThrow(
      "VLLM_ENABLE_RESPONSES_API_STORE: 'true' is not an integer",
    );
  });
});

describe("Responses API in the 0.10.x releases", () => {
  const post = (url: string, body: unknown) =>
    fetch(`${url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const invalidId = (id: string) =>
    `Invalid 'response_id': '${id}'. Expected an ID that begins with 'resp'.`;

  // serving_responses.py of v0.10.0 (vllm PR #20504): the chat UsageInfo as usage;
  // `raise NotImplementedError("Streaming responses are not supported")` in create_responses,
  // caught by no handler: Starlette's plain 500; _make_invalid_id_error for ids without resp_.
  it("answers as v0.10.0: chat usage names, a plain 500 for a stream, the resp_ check", async () => {
    const server = await startVllm({ "served-model-name": "m", "vllm-version": "0.10.0" });
    try {
      const answer = await post(server.url, { input: "Hi", max_output_tokens: 2 });
      expect(answer.status).toBe(200);
      const usage = ((await answer.json()) as { usage: Record<string, unknown> }).usage;
      expect(Object.keys(usage)).toEqual([
        "prompt_tokens",
        "total_tokens",
        "completion_tokens",
        "prompt_tokens_details",
      ]);
      expect(usage.completion_tokens).toBe(2);
      expect(usage.total_tokens).toBe((usage.prompt_tokens as number) + 2);
      expect(usage.prompt_tokens_details).toBeNull();

      const streamed = await post(server.url, { input: "Hi", stream: true });
      expect(streamed.status).toBe(500);
      expect(streamed.headers.get("content-type")).toBe("text/plain; charset=utf-8");
      expect(await streamed.text()).toBe("Internal Server Error");

      // The flat envelope of the era, type invalid_request_error, before any lookup.
      const previous = await post(server.url, { input: "Hi", previous_response_id: "abc" });
      expect(previous.status).toBe(400);
      expect(await previous.json()).toEqual({
        object: "error",
        message: invalidId("abc"),
        type: "invalid_request_error",
        param: null,
        code: 400,
      });
      // retrieve_responses(response_id) takes no query: a bad starting_after is not read.
      const retrieved = await fetch(`${server.url}/v1/responses/abc?starting_after=x`);
      expect(retrieved.status).toBe(400);
      expect(((await retrieved.json()) as { message: string }).message).toBe(invalidId("abc"));
      const cancelled = await fetch(`${server.url}/v1/responses/abc/cancel`, { method: "POST" });
      expect(((await cancelled.json()) as { message: string }).message).toBe(invalidId("abc"));
      const unknown = await fetch(`${server.url}/v1/responses/resp_x`);
      expect(unknown.status).toBe(404);
    } finally {
      await server.close();
    }
  });

  // serving_responses.py of ≈0.10.1 (the gpt-oss release): ResponseUsage with the details'
  // cached_tokens and reasoning_tokens only (protocol.py of the era); the non-harmony stream
  // generator raises after the 200 headers, so the connection drops.
  it("answers as v0.10.1: basic ResponseUsage, a stream that drops", async () => {
    const server = await startVllm({ "served-model-name": "m", "vllm-version": "0.10.1" });
    try {
      const response = await openaiClient(server).responses.create({
        model: "m",
        input: "Hi",
        max_output_tokens: 2,
      });
      expect(response.usage).toEqual({
        input_tokens: response.usage?.input_tokens,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: 2,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: (response.usage?.input_tokens ?? 0) + 2,
      });
      // (The mock's host drops it before the headers go out; the client sees a failed request
      // either way, as the GET stream test above.)
      await expect(
        post(server.url, { input: "Hi", stream: true }).then((r) => r.text()),
      ).rejects.toThrow();
      const previous = await errorOf(
        openaiClient(server).responses.create({ input: "Hi", previous_response_id: "msg_1" }),
      );
      expect(previous).toBeInstanceOf(OpenAI.BadRequestError);
      expect(previous.message).toContain(invalidId("msg_1"));
      // The server keeps serving after the dropped stream.
      expect((await post(server.url, { input: "Hi", max_output_tokens: 1 })).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  // v0.10.0's serving_responses.py renders the input without tools and has no tool path: tools
  // are neither in the prompt nor called (the refusal came with ≈0.10.1).
  it("ignores tools in v0.10.0 and refuses them in v0.10.1", async () => {
    const old = await startVllm({ "served-model-name": "m", "vllm-version": "0.10.0" });
    const next = await startVllm({ "served-model-name": "m", "vllm-version": "0.10.1" });
    const tools = [{ type: "function", name: "f", parameters: weather }];
    try {
      const plain = (await (await post(old.url, { input: "Hi", max_output_tokens: 2 })).json()) as {
        usage: { prompt_tokens: number };
      };
      const withTools = (await (
        await post(old.url, { input: "Hi", max_output_tokens: 2, tools, tool_choice: "required" })
      ).json()) as { output: { type: string }[]; usage: { prompt_tokens: number } };
      expect(withTools.usage.prompt_tokens).toBe(plain.usage.prompt_tokens);
      expect(withTools.output.map((item) => item.type)).toEqual(["message"]);
      const refused = await post(next.url, { input: "Hi", tools });
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error: { message: string } }).error.message).toBe(
        "Tool use is not supported in Responses API without Harmony None",
      );
    } finally {
      await Promise.all([old.close(), next.close()]);
    }
  });

  // Before non-harmony streaming, create_responses returns the queued response for background
  // before it looks at stream.
  it("answers background with stream as the queued response before streaming was served", async () => {
    process.env.VLLM_ENABLE_RESPONSES_API_STORE = "1";
    let server: TestServer;
    try {
      server = await startVllm({ "served-model-name": "m", "vllm-version": "0.10.0" });
    } finally {
      delete process.env.VLLM_ENABLE_RESPONSES_API_STORE;
    }
    try {
      const answer = await post(server.url, { input: "Hi", stream: true, background: true });
      expect(answer.status).toBe(200);
      expect(answer.headers.get("content-type")).toMatch(/^application\/json/);
      expect(((await answer.json()) as { status: string }).status).toBe("queued");
    } finally {
      await server.close();
    }
  });

  // Later releases look the id up (no prefix check): an id of any form is the 404.
  it("looks any id up from the releases that serve streaming", async () => {
    const server = await startVllm({ "served-model-name": "m", "vllm-version": "0.11.0" });
    try {
      const retrieved = await fetch(`${server.url}/v1/responses/abc`);
      expect(retrieved.status).toBe(404);
      expect(((await retrieved.json()) as { error: { message: string } }).error.message).toBe(
        "Response with id 'abc' not found.",
      );
    } finally {
      await server.close();
    }
  });
});

// serving_responses.py `_make_response_output_items` (vllm 00b6063, ≈0.11; the same in
// responses/serving.py later): with a reasoning parser, `extract_reasoning_content` splits the
// text; reasoning goes first as ResponseReasoningItem(id=f"rs_{random_uuid()}", summary=[],
// content=[reasoning_text], status=None), the answer as the message; `_construct_input_messages`
// skips reasoning items in a previous response's output.
describe("Responses API with --reasoning-parser", () => {
  let server: TestServer;
  let client: OpenAI;
  beforeAll(async () => {
    server = await startVllm({ "served-model-name": "r1", "reasoning-parser": "deepseek_r1" });
    client = openaiClient(server);
  });
  afterAll(() => server.close());

  it("answers a reasoning item before the message, no marker in either", async () => {
    const response = await client.responses.create({
      model: "r1",
      input: "Why?",
      seed: 3,
    } as OpenAI.Responses.ResponseCreateParamsNonStreaming);
    expect(response.output.map((item) => item.type)).toEqual(["reasoning", "message"]);
    const [reasoning, message] = response.output;
    if (reasoning?.type !== "reasoning" || message?.type !== "message") throw new Error("items");
    expect(reasoning.id).toMatch(/^rs_[0-9a-f]{32}$/);
    expect(reasoning.summary).toEqual([]);
    expect(reasoning.content).toHaveLength(1);
    expect(reasoning.content?.[0]?.type).toBe("reasoning_text");
    const thinking = reasoning.content?.[0]?.text ?? "";
    expect(thinking.length).toBeGreaterThan(0);
    expect(message.id).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(response.output_text.length).toBeGreaterThan(0);
    for (const text of [thinking, response.output_text]) expect(text).not.toMatch(/<\/?think>/);
    // responses/context.py SimpleContext: "todo num_reasoning_tokens is not implemented yet".
    expect(response.usage?.output_tokens_details.reasoning_tokens).toBe(0);
  });

  it("writes the reasoning item's keys as the openai model dumps them", async () => {
    const raw = await fetch(`${server.url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "r1", input: "Why?", seed: 3 }),
    });
    const body = (await raw.json()) as { output: Record<string, unknown>[] };
    const item = body.output[0] ?? {};
    expect(Object.keys(item)).toEqual([
      "id",
      "summary",
      "type",
      "content",
      "encrypted_content",
      "status",
    ]);
    expect(item.status).toBeNull();
    expect(item.encrypted_content).toBeNull();
  });

  // The engine counts the thinking in max_output_tokens: a small limit ends inside it, so the
  // parser finds no end marker (all reasoning, content None) and no message is made.
  it("answers only the reasoning item when the limit ends the thinking", async () => {
    const response = await client.responses.create({
      model: "r1",
      input: "Why?",
      max_output_tokens: 3,
    });
    expect(response.output.map((item) => item.type)).toEqual(["reasoning"]);
    expect(response.output_text).toBe("");
    expect(response.usage?.output_tokens).toBe(3);
  });

  it("answers the guided text after the thinking", async () => {
    const response = await client.responses.create({
      model: "r1",
      input: "The weather?",
      text: { format: { type: "json_schema", name: "weather", schema: weather, strict: true } },
    });
    expect(response.output[0]?.type).toBe("reasoning");
    const validate = new Ajv().compile(weather);
    expect(validate(JSON.parse(response.output_text))).toBe(true);
  });
});

describe("Responses API with --reasoning-parser and the store", () => {
  let server: TestServer;
  let client: OpenAI;
  beforeAll(async () => {
    process.env.VLLM_ENABLE_RESPONSES_API_STORE = "1";
    try {
      server = await startVllm({
        "served-model-name": "q3",
        "reasoning-parser": "qwen3",
        "generation-mode": "echo",
      });
    } finally {
      delete process.env.VLLM_ENABLE_RESPONSES_API_STORE;
    }
    client = openaiClient(server);
  });
  afterAll(() => server.close());

  // qwen3: the model opens <think> itself; echo mode answers the last input after the thinking.
  // The parser keeps the model's "\n\n" after </think> in the content (extract_reasoning).
  it("echoes the input after the thinking and continues from previous_response_id", async () => {
    const first = await client.responses.create({ model: "q3", input: "Remember blue." });
    expect(first.output.map((item) => item.type)).toEqual(["reasoning", "message"]);
    expect(first.output_text).toBe("\n\nRemember blue.");
    const second = await client.responses.create({
      model: "q3",
      input: "And now?",
      previous_response_id: first.id,
    });
    expect(second.output_text).toBe("\n\nAnd now?");
    expect(second.previous_response_id).toBe(first.id);
  });
});

describe("Responses API with --reasoning-parser granite", () => {
  let server: TestServer;
  let client: OpenAI;
  beforeAll(async () => {
    server = await startVllm({ "served-model-name": "granite", "reasoning-parser": "granite" });
    client = openaiClient(server);
  });
  afterAll(() => server.close());

  // Granite thinks only with chat_template_kwargs.thinking (reasoning_outputs.md), which a
  // Responses request cannot pass (protocol.py ResponsesRequest: chat_template_kwargs is internal,
  // set from `reasoning`, never `thinking`); granite_reasoning_parser.py then finds no marker and
  // the whole output is the message, whole or streamed.
  it("answers the message alone, no reasoning item, whole and streamed", async () => {
    const params = { model: "granite", input: "Why?", seed: 3 };
    const response = await client.responses.create(
      params as OpenAI.Responses.ResponseCreateParamsNonStreaming,
    );
    expect(response.output.map((item) => item.type)).toEqual(["message"]);
    expect(response.output_text).not.toMatch(/my thought process|my response/);
    const events: string[] = [];
    let streamed = "";
    for await (const event of await client.responses.create({ ...params, stream: true })) {
      events.push(event.type);
      if (event.type === "response.output_text.delta") streamed += event.delta;
    }
    expect(events).not.toContain("response.reasoning_text.delta");
    expect(streamed).toBe(response.output_text);
  });
});

// serving_responses.py `_make_response_output_items`: the reasoning parser splits the text, then
// the tool call is parsed from the content (`if content:`), so a reasoning item comes first and
// the function_call after it; a run cut while thinking has no content, so no call (0.12+ calls
// functions: vllm PR #26874).
describe("Responses API tool calls after reasoning", () => {
  let server: TestServer;
  let client: OpenAI;
  const tool = {
    type: "function" as const,
    name: "get_weather",
    parameters: weather,
    strict: false,
  };
  beforeAll(async () => {
    server = await startVllm({ "served-model-name": "r1", "reasoning-parser": "deepseek_r1" });
    client = openaiClient(server);
  });
  afterAll(() => server.close());

  it("answers the reasoning item, then the call with arguments that validate", async () => {
    const response = await client.responses.create({
      model: "r1",
      input: "Weather in Paris?",
      tools: [tool],
      tool_choice: { type: "function", name: "get_weather" },
      seed: 5,
    } as OpenAI.Responses.ResponseCreateParamsNonStreaming);
    expect(response.output.map((item) => item.type)).toEqual(["reasoning", "function_call"]);
    const [reasoning, call] = response.output;
    if (reasoning?.type !== "reasoning" || call?.type !== "function_call") throw new Error("items");
    expect(reasoning.content?.[0]?.text.length).toBeGreaterThan(0);
    expect(call.name).toBe("get_weather");
    expect(call.id).toMatch(/^fc_[0-9a-f]{32}$/);
    expect(call.call_id).toMatch(/^call_[0-9a-f]{32}$/);
    expect(call.arguments).not.toMatch(/<\/?think>/);
    expect(new Ajv().compile(weather)(JSON.parse(call.arguments))).toBe(true);
  });

  it("answers the reasoning item alone when the limit ends the thinking", async () => {
    const response = await client.responses.create({
      model: "r1",
      input: "Weather in Paris?",
      tools: [tool],
      tool_choice: "required",
      max_output_tokens: 3,
    });
    expect(response.output.map((item) => item.type)).toEqual(["reasoning"]);
  });
});

// profiles.ts ResponsesEra.structuredOutputs: vllm PR #33709 (structured_outputs on
// ResponsesRequest, from 0.17.0 here); its to_sampling_params refuses it beside text.format.
describe("Responses structured_outputs by release", () => {
  let old: TestServer;
  let next: TestServer;
  beforeAll(async () => {
    old = await startVllm({ "served-model-name": "m", "vllm-version": "0.16.0" });
    next = await startVllm({ "served-model-name": "m", "vllm-version": "0.17.0" });
  });
  afterAll(async () => {
    await old.close();
    await next.close();
  });
  const colors = ["red-color", "green-color", "blue-color"];
  const create = (server: TestServer, extra: object, model = "m") =>
    openaiClient(server).responses.create({
      model,
      input: "Pick a color",
      max_output_tokens: 16,
      ...extra,
    } as OpenAI.Responses.ResponseCreateParamsNonStreaming);

  it("guides by structured_outputs.choice from 0.17.0 and ignores it before", async () => {
    const answer = await create(next, { structured_outputs: { choice: colors } });
    expect(colors).toContain(answer.output_text);
    const ignored = await create(old, { structured_outputs: { choice: colors } });
    expect(colors).not.toContain(ignored.output_text);
  });

  it("guides by structured_outputs.regex from 0.17.0", async () => {
    const answer = await create(next, { structured_outputs: { regex: "[0-9]{3}" } });
    expect(answer.output_text).toMatch(/^[0-9]{3}$/);
  });

  // responses/protocol.py to_sampling_params: VLLMValidationError("Cannot specify both
  // structured_outputs and text.format", parameter="structured_outputs"), any format type.
  it("refuses structured_outputs beside text.format with a 400 from 0.17.0", async () => {
    for (const format of [
      { type: "text" },
      { type: "json_object" },
      { type: "json_schema", name: "s", schema: { type: "object" } },
    ]) {
      const error = (await create(next, {
        structured_outputs: { choice: colors },
        text: { format },
      }).catch((e: unknown) => e)) as APIError;
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect(error.status).toBe(400);
      expect(error.message).toContain("Cannot specify both structured_outputs and text.format");
      expect((error.error as { param?: unknown }).param).toBe("structured_outputs");
    }
    // The model check comes first.
    const unknown = await create(
      next,
      { structured_outputs: { choice: colors }, text: { format: { type: "text" } } },
      "other",
    ).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
    // Before 0.17.0 the field is ignored: text.format alone decides.
    const served = await create(old, {
      structured_outputs: { choice: colors },
      text: { format: { type: "text" } },
    });
    expect(served.object).toBe("response");
    expect(served.output_text.length).toBeGreaterThan(0);
  });
});

describe("ResponsesRequest refusals (protocol.py)", () => {
  let server: TestServer;
  let client: OpenAI;
  beforeAll(async () => {
    server = await startVllm({ "served-model-name": "granite" });
    client = openaiClient(server);
  });
  afterAll(() => server.close());

  const post = (body: object) =>
    fetch(`${server.url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  // protocol.py ResponsesRequest.validate_prompt (mode="before", from vLLM PR #20504's v0.10.0):
  // any prompt template is refused; a ValueError before 0.13.0.
  it("refuses a prompt template with the validator's text", async () => {
    const error = await errorOf(
      client.responses.create({ model: "granite", input: "Hi", prompt: { id: "pmpt_abc" } }),
    );
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.message).toContain(
      "'type': 'value_error', 'loc': ('body',), 'msg': 'Value error, prompt template is not supported'",
    );
    expect((error.error as { param?: unknown }).param).toBeNull();
  });

  // A mode="before" validator runs on the raw body ahead of the fields: its refusal comes alone,
  // and before-validators run last-defined first (validate_prompt after validate_background).
  it("answers the prompt refusal alone, ahead of field errors and the background check", async () => {
    const answer = await post({
      model: "granite",
      input: 5,
      prompt: { id: "pmpt_abc" },
      background: true,
      store: false,
    });
    expect(answer.status).toBe(400);
    const { error } = (await answer.json()) as { error: { message: string } };
    expect(error.message).toContain("prompt template is not supported");
    expect(error.message).not.toContain("('body', 'input')");
    expect(error.message).not.toContain("can only be used");
  });

  // protocol.py validate_background: `not data.get("store", True)`, so an explicit null store is
  // falsy and refused like false; the refusal comes before a field's type error.
  it("refuses background with store null or false before reading the fields", async () => {
    for (const store of [null, false]) {
      const answer = await post({ model: "granite", input: 5, background: true, store });
      expect(answer.status).toBe(400);
      const { error } = (await answer.json()) as { error: { message: string } };
      expect(error.message).toContain(
        "'msg': 'Value error, background can only be used when `store` is true'",
      );
      expect(error.message).not.toContain("('body', 'input')");
    }
  });

  // protocol.py ResponsesRequest.include: vLLM's own Literal of six values, each item checked.
  it("refuses an include value outside vLLM's Literal, naming its index", async () => {
    const error = await errorOf(
      client.responses.create({
        model: "granite",
        input: "Hi",
        include: ["message.output_text.logprobs", "web_search_call.action.sources"],
      }),
    );
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.message).toContain(
      "{'type': 'literal_error', 'loc': ('body', 'include', 1), 'msg': \"Input should be 'code_interpreter_call.outputs', 'computer_call_output.output.image_url', 'file_search_call.results', 'message.input_image.image_url', 'message.output_text.logprobs' or 'reasoning.encrypted_content'\", 'input': 'web_search_call.action.sources'",
    );
  });

  // protocol.py: service_tier Literal[...] = "auto" (null refused), truncation
  // Literal["auto", "disabled"] | None (null passes); both echoed as sent.
  it("checks service_tier and truncation against their Literals", async () => {
    const bad = await post({ model: "granite", input: "Hi", service_tier: null, truncation: "x" });
    expect(bad.status).toBe(400);
    const { error } = (await bad.json()) as { error: { message: string } };
    expect(error.message).toContain(
      "'loc': ('body', 'service_tier'), 'msg': \"Input should be 'auto', 'default', 'flex', 'scale' or 'priority'\", 'input': None",
    );
    expect(error.message).toContain(
      "'loc': ('body', 'truncation'), 'msg': \"Input should be 'auto' or 'disabled'\", 'input': 'x'",
    );
    const response = await client.responses.create({
      model: "granite",
      input: "Hi",
      max_output_tokens: 1,
      service_tier: "flex",
      truncation: "auto",
    });
    expect(response.service_tier).toBe("flex");
    expect(response.truncation).toBe("auto");
  });
});

describe("ResponsesRequest refusals in the VLLMValidationError era (0.13.0+)", () => {
  // The stored responses/protocol.py raises VLLMValidationError("prompt template is not
  // supported", parameter="prompt"): the envelope names the parameter (vLLM PR #30134's era).
  it("names prompt as the refused parameter", async () => {
    const server = await startVllm({ "vllm-version": "0.13.0", "served-model-name": "granite" });
    try {
      const error = await errorOf(
        openaiClient(server).responses.create({
          model: "granite",
          input: "Hi",
          prompt: { id: "pmpt_abc" },
        }),
      );
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect(error.message).toContain(
        "'msg': 'Value error, prompt template is not supported (parameter=prompt)'",
      );
      expect((error.error as { param?: unknown }).param).toBe("prompt");
    } finally {
      await server.close();
    }
  });
});

describe("the text echo's schema key per release", () => {
  // vllm PR #38519 (by_alias=True in responses/api_router.py) was opened on 2026-03-30, after
  // v0.18.0 was published (2026-03-20, its release notes), and first released in v0.20.0 (its
  // release notes; profiles-wire.test.ts pins 0.20.0): every profiled release before it prints
  // `schema_` (vllm issue #26288 on 0.10.2).
  it("prints schema_ in every profiled release before 0.20.0", () => {
    for (const profile of vllmProfiles) {
      if (profile.responses && !releasedBy(profile.since, "0.20.0"))
        expect([profile.since, profile.responses.textByAlias]).toEqual([profile.since, false]);
    }
  });

  it("prints schema_ on 0.18.0, the newest profile", async () => {
    const server = await startVllm({ "vllm-version": "0.18.0", "served-model-name": "granite" });
    try {
      const answer = await fetch(`${server.url}/v1/responses`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          model: "granite",
          input: "Hi",
          max_output_tokens: 1,
          text: { format: { type: "json_schema", name: "w", schema: { type: "object" } } },
        }),
      });
      const body = (await answer.json()) as { text: { format: Record<string, unknown> } };
      expect(Object.keys(body.text.format)).toEqual([
        "schema_",
        "type",
        "description",
        "name",
        "strict",
      ]);
    } finally {
      await server.close();
    }
  });
});

describe("Responses sampling penalties by release", () => {
  const post = (server: TestServer, body: object) =>
    fetch(`${server.url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "granite", input: "Hi", max_output_tokens: 2, ...body }),
    });
  const messageOf = async (answer: Response) => {
    expect(answer.status).toBe(400);
    return ((await answer.json()) as { error: { message: string } }).error.message;
  };

  // vllm PR #38613 (opened 2026-03-31; responses/protocol.py as docs.vllm.ai served it on
  // 2026-05-07): presence_penalty and frequency_penalty are `float | None = Field(ge=-2.0,
  // le=2.0)`, so pydantic refuses out-of-range values with the float bound (`2.0`, as pydantic
  // prints a float constraint) before the handler runs; first released in 0.20.0.
  it("0.20.0 refuses presence and frequency penalties outside [-2, 2] with pydantic's issues", async () => {
    const server = await startVllm({ "vllm-version": "0.20.0", "served-model-name": "granite" });
    try {
      const message = await messageOf(
        await post(server, { presence_penalty: 3, frequency_penalty: -2.5 }),
      );
      expect(message).toBe(
        "[{'type': 'less_than_equal', 'loc': ('body', 'presence_penalty'), 'msg': 'Input should be less than or equal to 2.0', 'input': 3, 'ctx': {'le': 2.0}}, " +
          "{'type': 'greater_than_equal', 'loc': ('body', 'frequency_penalty'), 'msg': 'Input should be greater than or equal to -2.0', 'input': -2.5, 'ctx': {'ge': -2.0}}]",
      );
      // A float field: a string of letters is not a number.
      expect(await messageOf(await post(server, { presence_penalty: "high" }))).toContain(
        "'type': 'float_type', 'loc': ('body', 'presence_penalty')",
      );
      // The field check comes ahead of the model lookup (pydantic runs before the handler).
      const unknownModel = await post(server, { model: "nope", frequency_penalty: 9 });
      expect(unknownModel.status).toBe(400);
    } finally {
      await server.close();
    }
  });

  // to_sampling_params passes both on to SamplingParams; ResponsesResponse has no penalty field,
  // so the answer echoes neither. The openai SDK's ResponseCreateParams lacks them: vLLM users
  // send them in the body as here.
  it("0.20.0 takes penalties inside the range and does not echo them", async () => {
    const server = await startVllm({ "vllm-version": "0.20.0", "served-model-name": "granite" });
    try {
      const client = openaiClient(server);
      const response = await client.responses.create({
        model: "granite",
        input: "Hi",
        max_output_tokens: 2,
        // @ts-expect-error vLLM's extra fields, beside openai's
        presence_penalty: 2,
        frequency_penalty: -2,
        repetition_penalty: 1.1,
      });
      expect(response.status).toBe("incomplete");
      expect(Object.keys(response)).not.toContain("presence_penalty");
      expect(Object.keys(response)).not.toContain("frequency_penalty");
    } finally {
      await server.close();
    }
  });

  // Before vllm PR #38613 the two fields are unknown: OpenAIBaseModel allows extra fields and
  // vLLM ignores them, so 0.18.0 (the newest profile before 0.20.0) answers 200 for any value.
  it("0.18.0 ignores presence and frequency penalties", async () => {
    const server = await startVllm({ "vllm-version": "0.18.0", "served-model-name": "granite" });
    try {
      const answer = await post(server, { presence_penalty: 3, frequency_penalty: "x" });
      expect(answer.status).toBe(200);
    } finally {
      await server.close();
    }
  });

  // vllm PR #32609 (vLLM's weekly summary of 2026-02-06, beside the v0.15.1 patch: from 0.16.0)
  // added `repetition_penalty: float | None` with no bound; SamplingParams' _verify_args refuses
  // it at or below zero ("repetition_penalty must be greater than zero, got 0.0.", the float as
  // Python prints it). Before 0.16.0 it is an unknown field, ignored.
  it("refuses repetition_penalty 0 from 0.16.0 and ignores it on 0.14.0", async () => {
    for (const [version, status] of [
      ["0.14.0", 200],
      ["0.16.0", 400],
      ["0.18.0", 400],
      ["0.21.0", 400],
    ] as const) {
      const server = await startVllm({ "vllm-version": version, "served-model-name": "granite" });
      try {
        const answer = await post(server, { repetition_penalty: 0 });
        expect([version, answer.status]).toEqual([version, status]);
        if (status === 400) {
          const { error } = (await answer.json()) as { error: { message: string } };
          expect(error.message).toBe("repetition_penalty must be greater than zero, got 0.0.");
        }
      } finally {
        await server.close();
      }
    }
  });

  it("names the penalties each profile reads", () => {
    const reads = vllmProfiles
      .filter((profile) => profile.responses !== undefined)
      .map((profile) => [profile.since, profile.responses?.penalties ?? "none"]);
    expect(reads.filter(([since]) => !releasedBy(since as string, "0.16.0"))).toEqual(
      reads
        .filter(([since]) => !releasedBy(since as string, "0.16.0"))
        .map(([since]) => [since, "none"]),
    );
    expect(Object.fromEntries(reads)).toMatchObject({
      "0.16.0": "repetition",
      "0.17.0": "repetition",
      "0.18.0": "repetition",
      "0.20.0": "all",
      "0.21.0": "all",
    });
  });
});
