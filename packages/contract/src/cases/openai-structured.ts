/**
 * Structured output and request validation of vLLM's OpenAI-compatible server that round 14 of
 * the mock follows (issue 3), as cases a real server of each release passes: a schema given as a
 * string, a JSON schema that is no object, `json_object` on `/v1/completions`, and the Responses
 * API's `text.format` and `reasoning.effort` read as openai's own types. Each reads the target's
 * release from `/version` where the answer depends on it. Refusals are answered before any
 * generation (pydantic validation of the body); the one generating case asks for a few tokens.
 *
 * vLLM answers a body that fails validation with 400 BadRequestError whose message is pydantic's
 * error list as Python prints it (vllm-openai.md §3: "stringified pydantic error list"), so the
 * cases look for the error's `type` and `loc` as they appear in that text.
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
function assertRefused(answer: RestAnswer, parts: readonly (string | RegExp)[], what: string) {
  assert.equal(answer.status, 400, `${what}: status, body ${answer.body.slice(0, 300)}`);
  const body = json(answer, what);
  const error = (body.error ?? body) as Record<string, unknown>;
  assert.equal(error.type, "BadRequestError", `${what}: type`);
  assert.equal(error.code, 400, `${what}: code`);
  const message = String(error.message);
  for (const part of parts) {
    if (typeof part === "string") {
      assert.ok(message.includes(part), `${what}: message names ${part}: ${message.slice(0, 300)}`);
    } else {
      assert.match(message, part, `${what}: message`);
    }
  }
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

/** Every structured-output and validation case of this file. */
export const openaiStructuredCases: readonly ContractCase[] = [
  schemaString,
  schemaNotObject,
  completionsJsonObject,
  completionsJsonSchema,
  missingJsonSchema,
  responsesTextFormat,
  responsesEffort,
];
