/**
 * Structured output and request validation of vLLM's OpenAI-compatible server that the mock
 * follows (issue 3), as cases a real server of each release passes: a schema given as a
 * string, a JSON schema that is no object, `json_object` on `/v1/completions`, and the Responses
 * API's `text.format` and `reasoning.effort` read as openai's own types. Each reads the target's
 * release from `/version` where the answer depends on it. Refusals are answered before any
 * generation (pydantic validation of the body); the one generating case asks for a few tokens.
 *
 * vLLM answers a body that fails validation with 400 BadRequestError whose message is pydantic's
 * error list as Python prints it (vllm-openai.md §3: "stringified pydantic error list"), so the
 * cases look for the error's `type` and `loc` as they appear in that text.
 *
 * Also the order and naming of vLLM's checks: a failing before-validator is the whole
 * answer even beside wrong fields (`check_tool_usage`), `check_logprobs` reads the raw body's
 * truth value and names `top_logprobs` from 0.13.0, and the SamplingParams checks (temperature,
 * top_p; answered with `str(e)`, not the pydantic list) name their parameter from 0.14.0.
 */
import assert from "node:assert/strict";
import type { CaseContext, ContractCase, RestAnswer } from "../contract-case.js";
import { defineCase } from "../contract-case.js";
import { responsesSince } from "./openai-apis.js";
import { atLeast, json, type Release, requireRelease, servedModel, targetRelease } from "./vllm.js";

/**
 * The first choice of a guided `/v1/completions` answer whose output must be a JSON object: its
 * text (trimmed: the grammar may allow whitespace around the object) and value; undefined when
 * `max_tokens` cut it, after checking that what came starts the object.
 */
function completedObject(answer: RestAnswer): { text: string; parsed: unknown } | undefined {
  assert.equal(answer.status, 200, `status, body ${answer.body.slice(0, 300)}`);
  const choice = (json(answer, "completion").choices as Record<string, unknown>[])[0];
  assert.ok(choice, "one choice");
  const text = String(choice.text).trim();
  if (choice.finish_reason === "length") {
    assert.ok(text.startsWith("{"), `a cut output starts an object: ${text.slice(0, 80)}`);
    return undefined;
  }
  assert.equal(choice.finish_reason, "stop", "finish_reason");
  try {
    return { text, parsed: JSON.parse(text) };
  } catch {
    assert.fail(`the output is not JSON: ${text.slice(0, 200)}`);
  }
}

/**
 * The first release whose V1 engine picks the structured-output backend `auto` (xgrammar, else
 * guidance): vLLM PR #15724, merged 2025-03-28, taken as 0.8.3 (as `openai/guided-regex-python-syntax`).
 */
const autoBackendSince: Release = [0, 8, 3];

/** `structured_outputs` beside the `guided_*` fields: vLLM PR #22772, first in 0.10.2. */
const structuredOutputsSince: Release = [0, 10, 2];

/**
 * Checks a validation refusal: 400, BadRequestError (nested from 0.10.1, flat before: both are
 * taken), and a message holding each of `parts` (pydantic's error types and locations).
 */
function assertRefused(
  answer: RestAnswer,
  parts: readonly (string | RegExp)[],
  what: string,
): Record<string, unknown> {
  const error = refusal(answer, what);
  const message = String(error.message);
  for (const part of parts) {
    if (typeof part === "string") {
      assert.ok(message.includes(part), `${what}: message names ${part}: ${message.slice(0, 300)}`);
    } else {
      assert.match(message, part, `${what}: message`);
    }
  }
  return error;
}

/**
 * The error object of a 400 BadRequestError answer (nested from 0.10.1, flat before: both are
 * taken), after checking status, type and code.
 */
function refusal(answer: RestAnswer, what: string): Record<string, unknown> {
  assert.equal(answer.status, 400, `${what}: status, body ${answer.body.slice(0, 300)}`);
  const body = json(answer, what);
  const error = (body.error ?? body) as Record<string, unknown>;
  assert.equal(error.type, "BadRequestError", `${what}: type`);
  assert.equal(error.code, 400, `${what}: code`);
  return error;
}

const base = { runtimes: ["vllm"], transport: "rest" } as const;

const schemaString = defineCase({
  ...base,
  id: "openai/response-format-schema-string",
  title:
    "a response_format json_schema whose schema is a string (JSON text) is 400: pydantic's dict_type at json_schema.schema",
  source:
    "vllm entrypoints/openai/protocol.py JsonSchemaResponseFormat (json_schema: Optional[dict[str, Any]], aliased schema); vllm-openai.md §3 (validation 400, the stringified pydantic list)",
  async run(context) {
    const model = await servedModel(context);
    const answer = await context.rest("/v1/chat/completions", {
      json: {
        model,
        messages: [{ role: "user", content: "Hi" }],
        max_tokens: 1,
        response_format: {
          type: "json_schema",
          json_schema: { name: "answer", schema: '{"type": "object"}' },
        },
      },
    });
    // From 0.9.0 response_format is a union (ResponseFormat | StructuralTagResponseFormat ...)
    // and pydantic names the member in the location; before it the location has no class name.
    assertRefused(
      answer,
      [
        "'dict_type'",
        /\('body', 'response_format', (?:'ResponseFormat', )?'json_schema', 'schema'\)/,
      ],
      "schema as a string",
    );
  },
});

const schemaNotObject = defineCase({
  ...base,
  id: "openai/json-schema-not-object",
  title:
    "a JSON schema that is a number (guided_json: 5 before 0.10.2, structured_outputs.json: 5 from it) is 400: neither str nor dict",
  source:
    "vllm protocol.py (guided_json: Optional[Union[str, dict, BaseModel]]; removed in 0.12.0 by PR #29326) and sampling_params.py StructuredOutputsParams (json: Optional[Union[str, dict]]; vLLM PR #22772, 0.10.2)",
  async run(context) {
    const have = await targetRelease(context);
    const model = await servedModel(context);
    // 0.12.0 dropped guided_json (an unknown field, ignored): from 0.10.2 the case sends
    // structured_outputs.json, which every release since reads.
    const modern = atLeast(have, structuredOutputsSince);
    const field = modern ? { structured_outputs: { json: 5 } } : { guided_json: 5 };
    const loc = modern ? "('body', 'structured_outputs', 'json', " : "('body', 'guided_json', ";
    const answer = await context.rest("/v1/completions", {
      json: { model, prompt: "Hi", max_tokens: 1, ...field },
    });
    assertRefused(
      answer,
      ["'string_type'", "'dict_type'", `${loc}'str')`, `${loc}'dict[any,any]')`],
      modern ? "structured_outputs.json: 5" : "guided_json: 5",
    );
  },
});

const completionsJsonObject = defineCase({
  ...base,
  id: "openai/completions-json-object",
  title:
    'response_format {"type": "json_object"} guides /v1/completions into a JSON object (a prefix of one when cut at max_tokens)',
  source:
    'vllm protocol.py CompletionRequest.to_sampling_params (json_object from response_format); vllm/v1/structured_output/backend_xgrammar.py (JSON_OBJECT compiles the schema {"type": "object"})',
  async run(context) {
    await requireRelease(context, autoBackendSince, "predates the auto structured-output backend");
    const model = await servedModel(context);
    const answer = await context.rest("/v1/completions", {
      json: {
        model,
        prompt: "Describe a cat as JSON:",
        max_tokens: 32,
        temperature: 0,
        response_format: { type: "json_object" },
      },
    });
    const output = completedObject(answer);
    if (output === undefined) return;
    assert.ok(
      output.parsed !== null && typeof output.parsed === "object" && !Array.isArray(output.parsed),
      `the output is a JSON object: ${output.text.slice(0, 200)}`,
    );
  },
});

/**
 * `/v1/completions` follows a `json_schema` (and `structural_tag`) `response_format`: vLLM PR
 * #23212, opened the day after v0.10.1, so taken as 0.10.2; before it only `json_object` guided
 * completions and a schema was validated, then not followed.
 */
const completionsSchemaSince: Release = [0, 10, 2];

const completionsJsonSchema = defineCase({
  ...base,
  id: "openai/completions-json-schema",
  title:
    "response_format json_schema guides /v1/completions from 0.10.2: the output validates against the schema (a prefix of it when cut)",
  source:
    "vLLM PR #23212 (fix: response_format for completion; CompletionRequest.to_sampling_params follows json_schema as chat does)",
  async run(context) {
    await requireRelease(
      context,
      completionsSchemaSince,
      "predates json_schema on /v1/completions (vLLM PR #23212)",
    );
    const model = await servedModel(context);
    const answer = await context.rest("/v1/completions", {
      json: {
        model,
        prompt: "Is water wet? Answer as JSON:",
        max_tokens: 24,
        temperature: 0,
        response_format: {
          type: "json_schema",
          json_schema: {
            name: "answer",
            schema: {
              type: "object",
              properties: { wet: { type: "boolean" } },
              required: ["wet"],
              additionalProperties: false,
            },
          },
        },
      },
    });
    const output = completedObject(answer);
    if (output === undefined) return;
    const { text } = output;
    const object = output.parsed as Record<string, unknown>;
    assert.deepEqual(Object.keys(object ?? {}), ["wet"], `only the required key: ${text}`);
    assert.equal(typeof object.wet, "boolean", `wet is a boolean: ${text}`);
  },
});

/**
 * `validate_response_format` refuses a `json_schema` format without its `json_schema` object:
 * vLLM PRs #35456 (completions, merged 2026-02-27) and #35510 (chat), both after v0.16.0.
 */
const missingSchemaValidatorSince: Release = [0, 17, 0];

const missingJsonSchema = defineCase({
  ...base,
  id: "openai/response-format-missing-json-schema",
  title:
    "a response_format of type json_schema without its json_schema object is 400 from 0.17.0 (validate_response_format)",
  source:
    "vLLM PRs #35456 and #35510 (validate_response_format: \"When response_format type is 'json_schema', the 'json_schema' field must be provided.\"); vLLM issue #35438 (before them an assertion answered 500)",
  async run(context) {
    // Before the validator the request trips an assertion (500 and a traceback in the
    // server's log): not something to ask of a live server.
    await requireRelease(
      context,
      missingSchemaValidatorSince,
      "predates validate_response_format (vLLM PR #35510): an assertion answers 500 (vLLM issue #35438)",
    );
    const model = await servedModel(context);
    const answer = await context.rest("/v1/chat/completions", {
      json: {
        model,
        messages: [{ role: "user", content: "Hi" }],
        max_tokens: 1,
        response_format: { type: "json_schema" },
      },
    });
    assertRefused(
      answer,
      ["When response_format type is 'json_schema', the 'json_schema' field must be provided."],
      "json_schema without its object",
    );
  },
});

/** Skips a Responses case before the release that has the API. */
async function requireResponses(context: CaseContext): Promise<void> {
  await requireRelease(context, responsesSince, "predates the Responses API (vLLM PR #20504)");
}

const responsesTextFormat = defineCase({
  ...base,
  id: "openai/responses-text-format-refused",
  title:
    "Responses text.format of type json_schema without its schema is 400: missing at ResponseFormatTextJSONSchemaConfig.schema",
  source:
    "vllm responses protocol (ResponsesRequest.text: openai ResponseTextConfig); openai types/responses ResponseFormatTextConfig (a union of ResponseFormatText, ResponseFormatTextJSONSchemaConfig with a required schema, ResponseFormatJSONObject)",
  async run(context) {
    await requireResponses(context);
    const model = await servedModel(context);
    const answer = await context.rest("/v1/responses", {
      json: {
        model,
        input: "Hi",
        max_output_tokens: 1,
        text: { format: { type: "json_schema", name: "answer" } },
      },
    });
    assertRefused(
      answer,
      ["'missing'", "('body', 'text', 'format', 'ResponseFormatTextJSONSchemaConfig', 'schema')"],
      "text.format without schema",
    );
  },
});

const responsesEffort = defineCase({
  ...base,
  id: "openai/responses-reasoning-effort-refused",
  title: "Responses reasoning.effort with a value no openai release has is 400: literal_error",
  source:
    "vllm responses protocol (ResponsesRequest.reasoning: openai Reasoning); openai types/shared reasoning.py (effort: a ReasoningEffort Literal, its members by openai release)",
  async run(context) {
    await requireResponses(context);
    const model = await servedModel(context);
    const answer = await context.rest("/v1/responses", {
      json: {
        model,
        input: "Hi",
        max_output_tokens: 1,
        reasoning: { effort: "servingkit-contract-extreme" },
      },
    });
    // The values allowed follow the openai package of the image: the case names none of them.
    assertRefused(
      answer,
      ["'literal_error'", "('body', 'reasoning', 'effort')", "servingkit-contract-extreme"],
      "reasoning.effort unknown",
    );
  },
});

const toolChoiceText = "When using `tool_choice`, `tools` must be set.";

const beforeValidatorWins = defineCase({
  ...base,
  id: "openai/before-validator-wins",
  title:
    'tool_choice without tools beside a wrong field (n: "two") is 400 with check_tool_usage\'s entry alone: pydantic stops at a failing before-validator',
  source:
    'vllm protocol.py ChatCompletionRequest.check_tool_usage (model_validator(mode="before"): "When using `tool_choice`, `tools` must be set."); pydantic v2 runs before-validators on the raw body ahead of field validation and stops at the first that raises',
  async run(context) {
    const model = await servedModel(context);
    const answer = await context.rest("/v1/chat/completions", {
      json: {
        model,
        messages: [{ role: "user", content: "Hi" }],
        max_tokens: 1,
        n: "two",
        tool_choice: "auto",
      },
    });
    const error = assertRefused(
      answer,
      ["'value_error'", "'loc': ('body',)", toolChoiceText],
      "tool_choice without tools",
    );
    // n: "two" is int_parsing at ('body', 'n') once fields are validated: never reached. (The
    // body is echoed as the entry's input, so the value itself may appear; its location not.)
    const message = String(error.message);
    assert.ok(!message.includes("('body', 'n')"), `no field error for n: ${message.slice(0, 300)}`);
    assert.ok(!message.includes("int_parsing"), `no int_parsing entry: ${message.slice(0, 300)}`);
  },
});

/**
 * The sampling checks that name their parameter (envelope `param`) from vLLM PR #31870: opened
 * 2026-01-07 after v0.13.0 (2025-12-19) and taken as 0.14.0; the release is inferred from dates,
 * not pinned (as the mock's `sampling-validation-error` era).
 */
const samplingParameterSince: Release = [0, 14, 0];

/**
 * Sends a body that one SamplingParams check refuses (raised outside pydantic, answered with
 * `str(e)` by `create_error_response`) and checks the text and, by release, the parameter: from
 * {@link samplingParameterSince} `param` is the parameter and the text may carry more after it;
 * before, the text alone and `param` null.
 */
async function assertSamplingRefusal(
  context: CaseContext,
  body: Record<string, unknown>,
  text: string,
  parameter: string,
): Promise<void> {
  const have = await targetRelease(context);
  const model = await servedModel(context);
  const answer = await context.rest("/v1/completions", {
    json: { model, prompt: "Hi", max_tokens: 1, ...body },
  });
  const error = refusal(answer, parameter);
  const message = String(error.message);
  if (atLeast(have, samplingParameterSince)) {
    assert.ok(message.startsWith(text), `${parameter}: message starts ${text}: ${message}`);
    assert.equal(error.param, parameter, `${parameter}: param from 0.14.0 (vLLM PR #31870)`);
  } else {
    assert.equal(message, text, `${parameter}: message`);
    assert.equal(error.param ?? null, null, `${parameter}: param before 0.14.0`);
  }
}

const temperatureNegative = defineCase({
  ...base,
  id: "openai/temperature-negative",
  title:
    'temperature -1 on /v1/completions is 400 "temperature must be non-negative, got -1.0." (a float field, printed as Python does); param "temperature" from 0.14.0 (inferred)',
  source:
    "vllm sampling_params.py SamplingParams._verify_args; serving_completion.py (ValueError answered by create_error_response(str(e))); vLLM PR #31870 (VLLMValidationError with parameter=temperature; release 0.14.0 inferred from dates)",
  async run(context) {
    await assertSamplingRefusal(
      context,
      { temperature: -1 },
      "temperature must be non-negative, got -1.0.",
      "temperature",
    );
  },
});

const topPZero = defineCase({
  ...base,
  id: "openai/top-p-zero",
  title:
    'top_p 0 on /v1/completions is 400 "top_p must be in (0, 1], got 0.0."; param "top_p" from 0.14.0 (inferred)',
  source:
    "vllm sampling_params.py SamplingParams._verify_args (top_p in (0, 1]); vLLM PR #31870 (VLLMValidationError with parameter=top_p; release 0.14.0 inferred from dates)",
  async run(context) {
    await assertSamplingRefusal(
      context,
      { top_p: 0 },
      "top_p must be in (0, 1], got 0.0.",
      "top_p",
    );
  },
});

/** `check_logprobs` raises VLLMValidationError naming `top_logprobs`: vLLM PR #30134, 0.13.0. */
const validatorParameterSince: Release = [0, 13, 0];

const topLogprobsFalsyLogprobs = defineCase({
  ...base,
  id: "openai/top-logprobs-needs-logprobs",
  title:
    'chat top_logprobs 2 with logprobs 0 (falsy in Python) is 400 "when using `top_logprobs`, `logprobs` must be set to true."; param top_logprobs from 0.13.0',
  source:
    'vllm protocol.py ChatCompletionRequest.check_logprobs (model_validator(mode="before") on the raw body: top_logprobs > 0 and not data.get("logprobs")); vLLM PR #30134 (VLLMValidationError parameter=top_logprobs, 0.13.0; api_server.py validation_exception_handler puts it in param)',
  async run(context) {
    const have = await targetRelease(context);
    const model = await servedModel(context);
    const answer = await context.rest("/v1/chat/completions", {
      json: {
        model,
        messages: [{ role: "user", content: "Hi" }],
        max_tokens: 1,
        logprobs: 0,
        top_logprobs: 2,
      },
    });
    const text = "when using `top_logprobs`, `logprobs` must be set to true.";
    if (atLeast(have, validatorParameterSince)) {
      const error = assertRefused(
        answer,
        [text, `${text} (parameter=top_logprobs)`],
        "top_logprobs",
      );
      assert.equal(error.param, "top_logprobs", "param from 0.13.0 (vLLM PR #30134)");
    } else {
      const error = assertRefused(answer, [text], "top_logprobs");
      assert.equal(error.param ?? null, null, "param before 0.13.0");
    }
  },
});

/** Every structured-output and validation case of this file. */
export const openaiStructuredCases: readonly ContractCase[] = [
  schemaString,
  schemaNotObject,
  completionsJsonObject,
  completionsJsonSchema,
  missingJsonSchema,
  responsesTextFormat,
  responsesEffort,
  beforeValidatorWins,
  temperatureNegative,
  topPZero,
  topLogprobsFalsyLogprobs,
];
