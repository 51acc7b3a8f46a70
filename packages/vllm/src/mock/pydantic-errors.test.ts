/**
 * pydantic's error list as vLLM's 400 prints it (vllm-openai.md §3: the stringified pydantic
 * error list): Python reprs, and `ctx` exactly where pydantic-core's error type has one
 * (pydantic-core src/errors/types.rs: LessThanEqual {le}, GreaterThanEqual {ge}, LiteralError
 * {expected}, ValueError {error}; Missing, StringType, IntType, IntFromFloat, ... none).
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorReply } from "./errors.js";
import { profileFor } from "./profiles.js";
import {
  fieldIssue,
  issuesText,
  literalIssue,
  type PydanticValidationError,
  pydanticError,
  pyFloat,
  pyRepr,
  valueErrorIssue,
} from "./pydantic-errors.js";
import { openaiClient, startVllm, type TestServer } from "./test-server.js";
import { FieldReader, modelValueError } from "./validation.js";

describe("pyRepr", () => {
  it.each([
    // CPython str repr: single quotes, double when the text holds ' and no ".
    ["abc", "'abc'"],
    ["it's", `"it's"`],
    [`a"b'c`, `'a"b\\'c'`],
    // Escapes of what str.isprintable refuses; printable non-ASCII stays as is.
    ["a\tb\r\n\\", "'a\\tb\\r\\n\\\\'"],
    ["\u0001\u007f\u0085\u00a0", "'\\x01\\x7f\\x85\\xa0'"],
    ["\u200b\u2028é", "'\\u200b\\u2028é'"],
    // Python's float repr: an exponent below 1e-4, two digits at least.
    [0.5, "0.5"],
    [0.0001, "0.0001"],
    [0.00001, "1e-05"],
    [1.25e-7, "1.25e-07"],
    [1e30, "1e+30"],
    [-3, "-3"],
    [9223372036854775807n, "9223372036854775807"],
    [null, "None"],
    [true, "True"],
    [{ a: [1, false], "b'": null }, `{'a': [1, False], "b'": None}`],
  ])("writes %s as Python does", (value, text) => {
    expect(pyRepr(value)).toBe(text);
  });
});

describe("issuesText", () => {
  it("writes a model's own loc as a one-item tuple and ctx after input", () => {
    // pydantic-core ValueError {error}: the exception object, printed as its repr.
    expect(issuesText([valueErrorIssue([], "bad", { a: 1 })])).toBe(
      "[{'type': 'value_error', 'loc': ('body',), 'msg': 'Value error, bad', 'input': {'a': 1}, 'ctx': {'error': ValueError('bad')}}]",
    );
  });

  it("puts loc under the request part it is told", () => {
    expect(issuesText([fieldIssue("missing", ["after"], {})], "query")).toBe(
      "[{'type': 'missing', 'loc': ('query', 'after'), 'msg': 'Field required', 'input': {}}]",
    );
  });

  it("writes a Literal's expected values as pydantic joins them", () => {
    // pydantic-core LiteralError {expected}: 'a', 'b' or 'c'.
    expect(issuesText([literalIssue(["role"], ["user", "assistant", "system"], "bot")])).toBe(
      "[{'type': 'literal_error', 'loc': ('body', 'role'), 'msg': \"Input should be 'user', 'assistant' or 'system'\", 'input': 'bot', 'ctx': {'expected': \"'user', 'assistant' or 'system'\"}}]",
    );
  });

  it("gives the int64 bounds their ctx and the type errors none", () => {
    // pydantic-core LessThanEqual {le} / GreaterThanEqual {ge}; IntFromFloat, StringType: no ctx.
    expect(issuesText([fieldIssue("less_than_equal", ["seed"], 1e30)])).toBe(
      "[{'type': 'less_than_equal', 'loc': ('body', 'seed'), 'msg': 'Input should be less than or equal to 9223372036854775807', 'input': 1e+30, 'ctx': {'le': 9223372036854775807}}]",
    );
    expect(issuesText([fieldIssue("greater_than_equal", ["seed"], -1e30)])).toBe(
      "[{'type': 'greater_than_equal', 'loc': ('body', 'seed'), 'msg': 'Input should be greater than or equal to -9223372036854775808', 'input': -1e+30, 'ctx': {'ge': -9223372036854775808}}]",
    );
    const fields = new FieldReader({ n: 1.5, model: 3 });
    fields.int("n");
    fields.string("model");
    expect(fields.error()?.message).toBe(
      "[{'type': 'int_from_float', 'loc': ('body', 'n'), 'msg': 'Input should be a valid integer, got a number with a fractional part', 'input': 1.5}, {'type': 'string_type', 'loc': ('body', 'model'), 'msg': 'Input should be a valid string', 'input': 3}]",
    );
  });

  it("answers 400 BadRequestError, a model validator's error alike", () => {
    const error = pydanticError([fieldIssue("missing", ["messages"], {})]);
    expect([error.status, error.type]).toEqual([400, "BadRequestError"]);
    expect(modelValueError("bad", {}).message).toBe(
      "[{'type': 'value_error', 'loc': ('body',), 'msg': 'Value error, bad', 'input': {}, 'ctx': {'error': ValueError('bad')}}]",
    );
  });
});

describe("the vLLM mock's validation 400s", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({ "served-model-name": "m" });
  });
  afterAll(() => server.close());

  async function refusal(path: string, body: unknown): Promise<[number, string]> {
    const response = await fetch(`${server.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const answer = (await response.json()) as { error: { message: string } };
    return [response.status, answer.error.message];
  }

  it("prints a model validator's ValueError with its ctx", async () => {
    // vllm-openai.md §3.2 (protocol.py validate_stream_options, a model_validator(mode="before")):
    // pydantic-core ValueError {error} keeps the raised exception in ctx. vLLM PR #31870 quotes
    // this entry from a later release, where the exception is a VLLMValidationError: "{'type':
    // 'value_error', 'loc': ('body',), 'msg': 'Value error, Stream options ... (parameter=
    // stream_options)', 'input': {...}, 'ctx': {'error': VLLMValidationError('Stream options
    // ...')}}". The mock writes the plain ValueError of the releases before it (PR #30134). An
    // empty stream_options is falsy in that validator, so a non-empty one is sent.
    const message = "Stream options can only be defined when `stream=True`.";
    expect(
      await refusal("/v1/completions", { prompt: "x", stream_options: { include_usage: true } }),
    ).toEqual([
      400,
      `[{'type': 'value_error', 'loc': ('body',), 'msg': 'Value error, ${message}', 'input': {'prompt': 'x', 'stream_options': {'include_usage': True}}, 'ctx': {'error': ValueError('${message}')}}]`,
    ]);
  });

  it.each([
    ["/v1/completions", { prompt: "x" }],
    ["/v1/chat/completions", { messages: [{ role: "user", content: "x" }] }],
  ])("accepts an empty stream_options without stream on %s", async (path, body) => {
    // protocol.py validate_stream_options: `if data.get("stream_options") and not
    // data.get("stream")`: an empty dict is falsy, so the request passes and is answered whole.
    for (const stream of [undefined, false]) {
      const response = await fetch(`${server.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ...body, stream, stream_options: {}, max_tokens: 2 }),
      });
      expect(response.status).toBe(200);
      const answer = (await response.json()) as { object: string; usage: unknown };
      expect(answer.object).toMatch(/^(text_completion|chat\.completion)$/);
      expect(answer.usage).toBeDefined();
    }
  });

  it("refuses any truthy stream_options without stream, before the field's type", async () => {
    // validate_stream_options is a model_validator(mode="before") on the raw body: a truthy
    // non-dict (a non-empty list) is refused by it, not by the StreamOptions type check.
    const [status, message] = await refusal("/v1/completions", {
      prompt: "x",
      stream_options: [1],
    });
    expect(status).toBe(400);
    expect(message).toContain("Value error, Stream options can only be defined when");
  });

  it("prints seed's int64 bound with its ctx", async () => {
    // vllm-openai.md §4.1: seed is Field(ge=int64 min, le=int64 max); pydantic-core
    // LessThanEqual {le}. 1e30 is a JSON float, so its input prints as Python's 1e+30.
    expect(await refusal("/v1/completions", { prompt: "x", seed: 1e30 })).toEqual([
      400,
      "[{'type': 'less_than_equal', 'loc': ('body', 'seed'), 'msg': 'Input should be less than or equal to 9223372036854775807', 'input': 1e+30, 'ctx': {'le': 9223372036854775807}}]",
    ]);
  });
});

describe("the VLLMValidationError era (from 0.13.0)", () => {
  // vLLM PR #30134 (merged 2025-12-05; v0.12.0 was out by 2025-12-04, v0.13.0 followed on
  // 2025-12-19): validate_stream_options raises VLLMValidationError(..., parameter=
  // "stream_options"); vllm/exceptions.py __str__ appends " (parameter=stream_options)"; vLLM PR
  // #31870 quotes the entry: "'msg': 'Value error, Stream options can only be defined when
  // `stream=True`. (parameter=stream_options)', ..., 'ctx': {'error': VLLMValidationError(
  // 'Stream options can only be defined when `stream=True`.')}"; api_server.py
  // validation_exception_handler puts the first such error's parameter into `param`.
  const text = "Stream options can only be defined when `stream=True`.";
  const body = { prompt: "x", stream_options: { include_usage: true } };
  const input = "{'prompt': 'x', 'stream_options': {'include_usage': True}}";
  let servers: Record<"0.12.0" | "0.13.0" | "0.18.0", TestServer>;
  beforeAll(async () => {
    const [old, first, late] = await Promise.all(
      ["0.12.0", "0.13.0", "0.18.0"].map((version) => startVllm({ "vllm-version": version })),
    );
    servers = {
      "0.12.0": old as TestServer,
      "0.13.0": first as TestServer,
      "0.18.0": late as TestServer,
    };
  });
  afterAll(async () => {
    await Promise.all(Object.values(servers).map((server) => server.close()));
  });

  async function post(server: TestServer, path: string, payload: unknown) {
    const response = await fetch(`${server.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(payload),
    });
    return [response.status, await response.json()] as const;
  }

  it("0.12.0 raises a plain ValueError, param null", async () => {
    expect(await post(servers["0.12.0"], "/v1/completions", body)).toEqual([
      400,
      {
        error: {
          message: `[{'type': 'value_error', 'loc': ('body',), 'msg': 'Value error, ${text}', 'input': ${input}, 'ctx': {'error': ValueError('${text}')}}]`,
          type: "BadRequestError",
          param: null,
          code: 400,
        },
      },
    ]);
  });

  it.each(["0.13.0", "0.18.0"] as const)(
    "%s names the parameter in msg, ctx and param",
    async (version) => {
      expect(await post(servers[version], "/v1/completions", body)).toEqual([
        400,
        {
          error: {
            message: `[{'type': 'value_error', 'loc': ('body',), 'msg': 'Value error, ${text} (parameter=stream_options)', 'input': ${input}, 'ctx': {'error': VLLMValidationError('${text}')}}]`,
            type: "BadRequestError",
            param: "stream_options",
            code: 400,
          },
        },
      ]);
    },
  );

  it("names prompt_logprobs with stream on chat and completions", async () => {
    // protocol.py check_logprobs: VLLMValidationError("`prompt_logprobs` are not available
    // when `stream=True`.", parameter="prompt_logprobs"), no value.
    const [status, answer] = await post(servers["0.13.0"], "/v1/completions", {
      prompt: "x",
      stream: true,
      prompt_logprobs: 1,
    });
    expect(status).toBe(400);
    expect(answer.error.param).toBe("prompt_logprobs");
    expect(answer.error.message).toContain(
      "'msg': 'Value error, `prompt_logprobs` are not available when `stream=True`. (parameter=prompt_logprobs)'",
    );
    expect(answer.error.message).toContain(
      "'ctx': {'error': VLLMValidationError('`prompt_logprobs` are not available when `stream=True`.')}",
    );
  });

  it("leaves a validator that still raises ValueError as it was", async () => {
    // check_tool_usage raised plain ValueError until vLLM PR #36254 (March 2026); the mock
    // passes no parameter for it, so even 0.18.0 prints ValueError with param null.
    const [status, answer] = await post(servers["0.18.0"], "/v1/chat/completions", {
      messages: [{ role: "user", content: "x" }],
      tool_choice: "auto",
    });
    expect(status).toBe(400);
    expect(answer.error.param).toBeNull();
    expect(answer.error.message).toContain(
      "ValueError('When using `tool_choice`, `tools` must be set.')",
    );
  });

  it("reaches the openai SDK as a BadRequestError with param per era", async () => {
    const seen: Record<string, unknown> = {};
    for (const version of ["0.12.0", "0.13.0"] as const) {
      const error = await openaiClient(servers[version])
        .completions.create({ model: "m", prompt: "x", stream_options: { include_usage: true } })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      const bad = error as InstanceType<typeof OpenAI.BadRequestError>;
      expect(bad.status).toBe(400);
      seen[version] = bad.param;
      expect(bad.message).toContain(version === "0.12.0" ? "ValueError(" : "VLLMValidationError(");
    }
    expect(seen).toEqual({ "0.12.0": null, "0.13.0": "stream_options" });
  });

  it("renders in errorReply, the one place a profile meets an error", () => {
    const error = modelValueError("bad", {}, { parameter: "n", value: 3 });
    const reply = errorReply(profileFor("0.13.0"), error);
    expect(JSON.parse(reply.body as string)).toEqual({
      error: {
        message:
          "[{'type': 'value_error', 'loc': ('body',), 'msg': 'Value error, bad (parameter=n, value=3)', 'input': {}, 'ctx': {'error': VLLMValidationError('bad')}}]",
        type: "BadRequestError",
        param: "n",
        code: 400,
      },
    });
    // Before 0.13.0 the same error answers as the plain ValueError it is built as.
    expect(
      JSON.parse(errorReply(profileFor("0.12.0"), error).body as string).error.param,
    ).toBeNull();
  });
});

describe("pyFloat", () => {
  it.each([
    // Python str(float): a float field read from a JSON int keeps `.0`; exponent from 1e16.
    [-1, "-1.0"],
    [0, "0.0"],
    [-0, "-0.0"],
    [1.5, "1.5"],
    [1e16, "1e+16"],
    [1e-5, "1e-05"],
    [Number.POSITIVE_INFINITY, "inf"],
  ])("%s prints as %s", (value, text) => {
    expect(pyFloat(value)).toBe(text);
  });
});

describe("one text per refusal", () => {
  it("writes the error list once, when read, in either era", () => {
    // The 0.13 era answers inEra's text: the value-error text is never written for it.
    const error = modelValueError("bad", {}, { parameter: "n" }) as PydanticValidationError;
    const shown = error.inEra("vllm-validation-error");
    expect(shown.message).toContain("(parameter=n)");
    expect(Object.getOwnPropertyDescriptor(error, "message")?.get).toBeTypeOf("function");
    // Read, it is the value-error text, the same object on every read.
    expect(error.message).toBe(
      "[{'type': 'value_error', 'loc': ('body',), 'msg': 'Value error, bad', 'input': {}, 'ctx': {'error': ValueError('bad')}}]",
    );
    expect(error.message).toBe(error.message);
    expect(String(error.stack)).toContain("bad");
  });
});

describe("the sampling checks of vLLM PR #31870 (from 0.14.0)", () => {
  // vLLM PR #31870 (opened 2026-01-07, merged in the 0.14 cycle; the release is inferred from
  // dates): SamplingParams._verify_args raises VLLMValidationError(f"temperature must be
  // non-negative, got {t}.", parameter="temperature", value=t), the same for top_p, and the
  // input processor's logprobs bounds name logprobs / prompt_logprobs with the count. They are
  // raised outside pydantic: serving_engine.py create_error_response answers str(e) (vllm/
  // exceptions.py __str__ appends " (parameter=p, value=v)") with param = e.parameter. Before,
  // the same text alone, param null. temperature is a float field: Python prints -1 as -1.0.
  let servers: Record<"0.13.0" | "0.14.0", TestServer>;
  beforeAll(async () => {
    const [before, after] = await Promise.all(
      ["0.13.0", "0.14.0"].map((version) => startVllm({ "vllm-version": version })),
    );
    servers = { "0.13.0": before as TestServer, "0.14.0": after as TestServer };
  });
  afterAll(async () => {
    await Promise.all(Object.values(servers).map((server) => server.close()));
  });

  async function post(server: TestServer, path: string, payload: unknown) {
    const response = await fetch(`${server.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(payload),
    });
    return [response.status, await response.json()] as const;
  }

  const chat = { messages: [{ role: "user", content: "x" }] };
  it.each([
    [
      "/v1/completions",
      { prompt: "x", temperature: -1 },
      "temperature must be non-negative, got -1.0.",
      "temperature",
      "-1.0",
    ],
    [
      "/v1/chat/completions",
      { ...chat, top_p: 1.5 },
      "top_p must be in (0, 1], got 1.5.",
      "top_p",
      "1.5",
    ],
    [
      "/v1/completions",
      { prompt: "x", logprobs: 21 },
      "Requested sample logprobs of 21, which is greater than max allowed: 20",
      "logprobs",
      "21",
    ],
    [
      // Chat's top_logprobs is SamplingParams.logprobs: the processor names `logprobs`.
      "/v1/chat/completions",
      { ...chat, logprobs: true, top_logprobs: 25 },
      "Requested sample logprobs of 25, which is greater than max allowed: 20",
      "logprobs",
      "25",
    ],
    [
      "/v1/completions",
      { prompt: "x", prompt_logprobs: 21 },
      "Requested prompt logprobs of 21, which is greater than max allowed: 20",
      "prompt_logprobs",
      "21",
    ],
  ])("%s %j: plain before, named from 0.14.0", async (path, body, text, param, value) => {
    expect(await post(servers["0.13.0"], path, body)).toEqual([
      400,
      { error: { message: text, type: "BadRequestError", param: null, code: 400 } },
    ]);
    expect(await post(servers["0.14.0"], path, body)).toEqual([
      400,
      {
        error: {
          message: `${text} (parameter=${param}, value=${value})`,
          type: "BadRequestError",
          param,
          code: 400,
        },
      },
    ]);
  });

  it("leaves the checks PR #31870 did not name as they were", async () => {
    // top_k, min_tokens, n: SamplingParams raises them without parameter (PR #35664, which
    // would have named them, was closed unmerged): str(e) is the text alone, param null.
    const [status, answer] = await post(servers["0.14.0"], "/v1/completions", {
      prompt: "x",
      top_k: -5,
    });
    expect(status).toBe(400);
    expect(answer.error).toEqual({
      message: "top_k must be 0 (disable), or at least 1, got -5.",
      type: "BadRequestError",
      param: null,
      code: 400,
    });
  });

  it("reaches the openai SDK as a BadRequestError with param per release", async () => {
    const seen: Record<string, unknown> = {};
    for (const version of ["0.13.0", "0.14.0"] as const) {
      const error = await openaiClient(servers[version])
        .chat.completions.create({ model: "m", ...chat, temperature: -0.5 } as never)
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      const bad = error as InstanceType<typeof OpenAI.BadRequestError>;
      expect(bad.message).toContain("temperature must be non-negative, got -0.5.");
      seen[version] = bad.param;
    }
    expect(seen).toEqual({ "0.13.0": null, "0.14.0": "temperature" });
  });
});

describe("which fault answers when a body has several", () => {
  // protocol.py: validate_stream_options, check_logprobs and check_tool_usage are
  // model_validator(mode="before"): they run on the raw body before the fields are validated, and
  // pydantic stops at the first that raises, so its one value_error entry is the whole list even
  // when a field is wrong too. Field errors alone are collected together (one entry each).
  let servers: Record<"0.12.0" | "0.13.0", TestServer>;
  beforeAll(async () => {
    const [old, first] = await Promise.all(
      ["0.12.0", "0.13.0"].map((version) => startVllm({ "vllm-version": version })),
    );
    servers = { "0.12.0": old as TestServer, "0.13.0": first as TestServer };
  });
  afterAll(async () => {
    await Promise.all(Object.values(servers).map((server) => server.close()));
  });

  async function message(server: TestServer, path: string, payload: unknown) {
    const response = await fetch(`${server.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(payload),
    });
    expect(response.status).toBe(400);
    return ((await response.json()) as { error: { message: string; param: unknown } }).error;
  }

  const user = [{ role: "user", content: "x" }];
  it.each([
    [
      "/v1/completions",
      { prompt: "x", max_tokens: "many", logprobs: -1 },
      "`logprobs` must be a positive value.",
    ],
    [
      "/v1/chat/completions",
      { messages: user, n: "two", tool_choice: "auto" },
      "When using `tool_choice`, `tools` must be set.",
    ],
    [
      "/v1/chat/completions",
      { messages: user, seed: "s", top_logprobs: -2 },
      "`top_logprobs` must be a positive value.",
    ],
    [
      "/v1/completions",
      { prompt: "x", echo: "maybe", stream_options: { include_usage: true } },
      "Stream options can only be defined when `stream=True`.",
    ],
  ])("%s %j: the before-validator's entry alone", async (path, body, text) => {
    const { message: list } = await message(servers["0.12.0"], path, body);
    expect(list).toBe(
      `[{'type': 'value_error', 'loc': ('body',), 'msg': 'Value error, ${text}', 'input': ${pyRepr(body)}, 'ctx': {'error': ValueError('${text}')}}]`,
    );
  });

  it("collects the field errors when no before-validator refuses", async () => {
    const { message: list } = await message(servers["0.12.0"], "/v1/completions", {
      prompt: "x",
      max_tokens: "many",
      echo: "maybe",
    });
    expect(list.match(/'type': /g)).toHaveLength(2);
    expect(list).toContain("'loc': ('body', 'max_tokens')");
    expect(list).toContain("'loc': ('body', 'echo')");
  });

  it("lets an empty tools list pass check_tool_usage", async () => {
    // `"tools" not in data or data["tools"] is None`: [] is present, so the validator does not
    // refuse it (the serving layer's "auto" check answers instead, after validation).
    const { message: text } = await message(servers["0.12.0"], "/v1/chat/completions", {
      messages: user,
      tools: [],
      tool_choice: "auto",
    });
    expect(text).not.toContain("`tools` must be set");
    expect(text).toContain('"auto" tool choice requires --enable-auto-tool-choice');
  });

  it("names top_logprobs without logprobs from 0.13.0", async () => {
    // check_logprobs (the same before-validator as prompt_logprobs-with-stream) raises
    // VLLMValidationError("when using `top_logprobs`, `logprobs` must be set to true.",
    // parameter="top_logprobs") in the VLLMValidationError era; a falsy logprobs (0) counts.
    const body = { messages: user, logprobs: 0, top_logprobs: 2 };
    const text = "when using `top_logprobs`, `logprobs` must be set to true.";
    expect((await message(servers["0.12.0"], "/v1/chat/completions", body)).param).toBeNull();
    const named = await message(servers["0.13.0"], "/v1/chat/completions", body);
    expect(named.param).toBe("top_logprobs");
    expect(named.message).toContain(`'msg': 'Value error, ${text} (parameter=top_logprobs)'`);
  });
});
