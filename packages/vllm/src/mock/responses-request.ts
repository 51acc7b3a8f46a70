/**
 * vLLM's `ResponsesRequest` (vllm/entrypoints/openai/protocol.py, ≈v0.11-0.12; newer
 * releases moved it to responses/protocol.py): the fields of `POST /v1/responses`, their
 * defaults and checks, read into a typed request. `input` is a string or a list of items (messages,
 * `function_call` and `function_call_output` items); the non-harmony path turns it into chat
 * messages (serving_responses.py `_construct_input_messages`). Bad fields answer pydantic's
 * error list as a 400 (validation.ts).
 */

import { badRequest } from "./errors.js";
import type { ResponsesEra } from "./profiles.js";
import {
  fieldIssue,
  literalIssue,
  type PydanticIssue,
  PydanticValidationError,
  PyRaw,
  pydanticError,
} from "./pydantic-errors.js";
import { uuidHex } from "./request-id.js";
import { type ChatMessage, readStructuredOutputs, type Sampling } from "./requests.js";
import { readReasoning, readResponsesText, textEcho } from "./structured.js";
import { FieldReader, modelValueError, pyTruthy } from "./validation.js";

/** One function tool of `tools` (Responses' flat form: `{type, name, parameters, ...}`). */
export interface ResponsesFunctionTool {
  readonly name: string;
  /** The JSON schema of the arguments; `{type: "object"}` when the tool gives none. */
  readonly parameters: unknown;
}

/** `tool_choice`: a mode, or one named function (`{type: "function", name}`). */
export type ResponsesToolChoice = "none" | "auto" | "required" | { readonly name: string };

/** `POST /v1/responses`, read. The sampling fields are the engine's (requests.ts `Sampling`). */
export interface ResponsesRequest extends Sampling {
  readonly model: string | undefined;
  /** The input as chat messages, in order (instructions and history are added later). */
  readonly messages: readonly ChatMessage[];
  readonly instructions: string | undefined;
  /** `max_output_tokens` as sent; the response reports it clamped to what the context leaves. */
  readonly maxOutputTokens: number | undefined;
  /** `store` (default true; ignored unless the server's store is on). */
  readonly store: boolean;
  /** `background` (default false; needs the store). */
  readonly background: boolean;
  readonly previousResponseId: string | undefined;
  /** The function tools the model may call. */
  readonly tools: readonly ResponsesFunctionTool[];
  /** Every tool as the response echoes it. */
  readonly toolsEcho: readonly unknown[];
  /** Every tool as the chat template sees it (`{type: "function", function: {...}}`). */
  readonly templateTools: readonly unknown[];
  readonly toolChoice: ResponsesToolChoice;
  /** `tool_choice` as the response echoes it. */
  readonly toolChoiceEcho: unknown;
  /** `include` has `message.output_text.logprobs`. */
  readonly includeLogprobs: boolean;
  /** `top_logprobs` (default 0). */
  readonly topLogprobs: number;
  /** The response's `text`: structured.ts {@link textEcho} of the request's (null when absent). */
  readonly text: Record<string, unknown> | null;
  readonly metadata: unknown;
  readonly user: string | undefined;
  /** openai's `Reasoning` as the response echoes it (structured.ts `readReasoning`), or null. */
  readonly reasoning: unknown;
  readonly parallelToolCalls: boolean;
  readonly serviceTier: string;
  readonly truncation: string;
  readonly maxToolCalls: number | undefined;
  /**
   * The penalties the release reads ({@link readPenalties}), checked with the other fields;
   * undefined when the body sends none it reads (the usual request).
   */
  readonly penalties: Penalties | undefined;
}

/** `presence_penalty`, `frequency_penalty` and `repetition_penalty` as sent (null: absent). */
export interface RawPenalties {
  readonly presence: unknown;
  readonly frequency: unknown;
  readonly repetition: unknown;
}

/**
 * ResponsesRequest's fields in definition order (responses/protocol.py of 2026, with
 * `structured_outputs` and `repetition_penalty`): pydantic validates the fields in this order and
 * lists every field's issues together, so a 400 names them in this order whatever the body's
 * order. `presence_penalty` and `frequency_penalty` (vllm PR #38613) are placed beside
 * `repetition_penalty`, the sampling fields they joined (their exact place is inferred). A field
 * not listed sorts last.
 */
const fieldOrder: ReadonlyMap<string, number> = new Map(
  [
    "background",
    "include",
    "input",
    "instructions",
    "max_output_tokens",
    "max_tool_calls",
    "metadata",
    "model",
    "logit_bias",
    "parallel_tool_calls",
    "previous_response_id",
    "prompt",
    "reasoning",
    "service_tier",
    "store",
    "stream",
    "temperature",
    "text",
    "tool_choice",
    "tools",
    "top_logprobs",
    "top_p",
    "top_k",
    "truncation",
    "user",
    "skip_special_tokens",
    "include_stop_str_in_output",
    "prompt_cache_key",
    "request_id",
    "mm_processor_kwargs",
    "priority",
    "cache_salt",
    "enable_response_messages",
    "previous_input_messages",
    "structured_outputs",
    "presence_penalty",
    "frequency_penalty",
    "repetition_penalty",
    "seed",
    "stop",
    "ignore_eos",
    "vllm_xargs",
  ].map((name, i) => [name, i]),
);

/** Where an issue's field comes in {@link fieldOrder}; the model itself (loc `()`) first. */
function fieldRank(issue: PydanticIssue): number {
  const field = issue.loc[0];
  if (field === undefined) return -1;
  return fieldOrder.get(String(field)) ?? fieldOrder.size;
}

/**
 * Runs a reader that throws pydantic's list for its field (structured.ts `readReasoning`,
 * `readResponsesText`), keeping its issues in `issues` so they come out beside the other fields'
 * (pydantic checks every field before it answers); undefined when it threw. Any other error is
 * thrown on.
 */
function collectIssues<T>(issues: PydanticIssue[], read: () => T): T | undefined {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof PydanticValidationError)) throw error;
    issues.push(...error.issues);
    return undefined;
  }
}

/** The `include` value that asks for output logprobs (ResponsesRequest.is_include_output_logprobs). */
const logprobsInclude = "message.output_text.logprobs";

/**
 * What `include` may list: ResponsesRequest's own `Literal` (protocol.py, the same six values in
 * vLLM PR #20504's era and in responses/protocol.py of 2026), not openai's longer
 * `ResponseIncludable`; any other value is pydantic's `literal_error` at `("include", i)`.
 */
const includeValues = [
  "code_interpreter_call.outputs",
  "computer_call_output.output.image_url",
  "file_search_call.results",
  "message.input_image.image_url",
  logprobsInclude,
  "reasoning.encrypted_content",
] as const;

/** `service_tier: Literal[...] = "auto"` (not Optional: null is refused too). */
const serviceTiers = ["auto", "default", "flex", "scale", "priority"] as const;

/** `truncation: Literal["auto", "disabled"] | None = "disabled"`. */
const truncations = ["auto", "disabled"] as const;

/** What {@link parseResponsesRequest} reads of the release (profiles.ts ResponsesEra). */
export type ResponsesParseEra = Pick<
  ResponsesEra,
  "structuredOutputs" | "backgroundParam" | "toolChoiceChecked" | "penalties"
>;

/**
 * Reads and checks a `/v1/responses` body; throws a 400 VllmError (pydantic's list, or a model
 * validator's `Value error, ...`). Every field's issues come in one list, in ResponsesRequest's
 * field order (pydantic validates all fields before it answers), the penalties' too. `era`: the
 * release's Responses era (profiles.ts ResponsesEra: whether it reads `structured_outputs` and
 * which penalties, names `background` in its refusal, checks `tool_choice`); a boolean is
 * `structuredOutputs` alone, the other checks as before they came. Default false.
 */
export function parseResponsesRequest(
  body: unknown,
  era: ResponsesParseEra | boolean = false,
): ResponsesRequest {
  const release: ResponsesParseEra = typeof era === "boolean" ? { structuredOutputs: era } : era;
  const structuredOutputs = release.structuredOutputs;
  const fields = new FieldReader(body);
  fields.finish();
  const data = body as Record<string, unknown>;
  const noToolChoice = checkBeforeValidators(data, release);
  const messages = readInput(fields);
  const model = fields.string("model");
  const instructions = fields.string("instructions");
  const maxOutputTokens = fields.int("max_output_tokens");
  const store = fields.bool("store") ?? true;
  const background = fields.bool("background") ?? false;
  const previousResponseId = fields.string("previous_response_id");
  const stream = fields.bool("stream") ?? false;
  const seed = fields.int("seed");
  const include = fields.list("include") ?? [];
  const topLogprobs = fields.int("top_logprobs") ?? 0;
  const text = fields.raw("text");
  const { tools, toolsEcho, templateTools } = readTools(fields);
  const rawChoice = fields.raw("tool_choice");
  const metadata = fields.object("metadata");
  const user = fields.string("user");
  const rawReasoning = fields.raw("reasoning");
  const parallelToolCalls = fields.bool("parallel_tool_calls") ?? true;
  // Read as sent: null fails service_tier's Literal (the reader reads null as absent).
  const rawTier = data.service_tier;
  const rawTruncation = fields.raw("truncation");
  const maxToolCalls = fields.int("max_tool_calls");
  const requestId = fields.string("request_id");
  const rawPenalties = readRawPenalties(fields);
  const sampling: Sampling = {
    maxTokens: maxOutputTokens,
    n: 1,
    temperature: fields.number("temperature"),
    topP: fields.number("top_p"),
    topK: fields.int("top_k"),
    seed,
    stop: fields.stringOrStrings("stop") ?? [],
    stopTokenIds: [],
    includeStopStrInOutput: fields.bool("include_stop_str_in_output") ?? false,
    minTokens: 0,
    ignoreEos: fields.bool("ignore_eos") ?? false,
    stream,
    streamOptions: undefined,
    guided: undefined,
    guidedFailure: undefined,
    priority: fields.int("priority") ?? 0,
    // protocol.py: request_id defaults to `resp_<uuid hex>`, and is the response's id as sent.
    requestId: requestId ?? `resp_${uuidHex()}`,
    promptLogprobs: undefined,
    allPromptLogprobsRefusal: undefined,
    logitBiasIds: [],
    allowedTokenIds: undefined,
    bestOf: undefined,
  };
  const issues = literalIssues(include, rawTier, rawTruncation);
  const serviceTier = (rawTier as string | undefined) ?? "auto";
  const truncation = (rawTruncation as string | undefined) ?? "disabled";
  // Pydantic's issues for `reasoning` and `text` (structured.ts), kept beside the others'; the
  // usual body sends neither, and then nothing is read.
  const reasoning =
    rawReasoning === undefined
      ? null
      : (collectIssues(issues, () => readReasoning(rawReasoning)) ?? null);
  const textGuided =
    text === undefined ? undefined : collectIssues(issues, () => readResponsesText(text));
  const structured = structuredOutputs ? readStructuredOutputs(fields) : undefined;
  const penalties = readPenalties(release.penalties, rawPenalties, issues);
  throwFieldIssues(fields, issues);
  // to_sampling_params: a structured_outputs object beside any text.format is refused (a
  // VLLMValidationError with its parameter), after the model check (the route answers it).
  const format = (text as { format?: unknown } | null | undefined)?.format;
  const both =
    structuredOutputs &&
    fields.raw("structured_outputs") != null &&
    format !== undefined &&
    format !== null;
  const guidedFailure = both
    ? badRequest("Cannot specify both structured_outputs and text.format", "structured_outputs")
    : undefined;
  const guided = textGuided ?? structured;
  // check_tool_usage's data["tool_choice"] = "none" (no tools) is what the request holds after.
  const toolChoice = noToolChoice ? "none" : readToolChoice(rawChoice);
  return Object.assign(sampling, {
    guided,
    guidedFailure,
    model,
    messages,
    instructions,
    maxOutputTokens,
    store,
    background,
    previousResponseId,
    tools,
    toolsEcho,
    templateTools,
    toolChoice,
    // openai's ToolChoiceFunction dumps as {name, type}; modes as the string.
    toolChoiceEcho:
      typeof toolChoice === "object"
        ? { name: toolChoice.name, type: "function" }
        : noToolChoice
          ? "none"
          : (rawChoice ?? "auto"),
    includeLogprobs: include.includes(logprobsInclude),
    topLogprobs,
    text: textEcho(text),
    metadata: metadata ?? null,
    user,
    reasoning,
    parallelToolCalls,
    serviceTier,
    truncation,
    maxToolCalls,
    penalties,
  });
}

/**
 * Throws pydantic's 400 for the reader's issues and `issues` together, in ResponsesRequest's field
 * order (a stable sort: one field's issues keep their order); nothing when there are none.
 */
function throwFieldIssues(fields: FieldReader, issues: readonly PydanticIssue[]): void {
  const error = fields.error();
  const read = error instanceof PydanticValidationError ? error.issues : [];
  if (read.length === 0 && issues.length === 0) return;
  const all = [...read, ...issues].sort((a, b) => fieldRank(a) - fieldRank(b));
  throw pydanticError(all);
}

function readRawPenalties(fields: FieldReader): RawPenalties | undefined {
  const presence = fields.raw("presence_penalty");
  const frequency = fields.raw("frequency_penalty");
  const repetition = fields.raw("repetition_penalty");
  if (presence === undefined && frequency === undefined && repetition === undefined) {
    return undefined;
  }
  return { presence, frequency, repetition };
}

/** The penalties' values for the engine's sampling checks (requests.ts `verifySampling`). */
export type Penalties = Pick<
  Sampling,
  "presencePenalty" | "frequencyPenalty" | "repetitionPenalty"
>;

/**
 * The penalties a release's `ResponsesRequest` reads (profiles.ts `ResponsesEra.penalties`),
 * checked as pydantic checks those fields: a value that is not a number is `float_type`;
 * `presence_penalty` and `frequency_penalty` (`Field(ge=-2.0, le=2.0)`, vllm PR #38613) outside
 * [-2, 2] are `greater_than_equal` / `less_than_equal` with the float bound in the text and ctx
 * (pydantic prints `-2.0`, `2.0`); `repetition_penalty` has no bound here (SamplingParams refuses
 * it at or below zero, verifySampling). Issues go to `issues` in the model's field order, to be
 * answered with the other fields' (parseResponsesRequest). Fields the release does not read are
 * ignored, as vLLM ignores unknown fields. Undefined when nothing the release reads was sent (or
 * what was sent is wrong).
 */
export function readPenalties(
  read: ResponsesEra["penalties"],
  raw: RawPenalties | undefined,
  issues: PydanticIssue[],
): Penalties | undefined {
  if (read === undefined || raw === undefined) return undefined;
  const all = read === "all";
  const presence = all ? boundedPenalty("presence_penalty", raw.presence, issues) : undefined;
  const frequency = all ? boundedPenalty("frequency_penalty", raw.frequency, issues) : undefined;
  const repetition = floatField("repetition_penalty", raw.repetition, issues);
  if (presence === undefined && frequency === undefined && repetition === undefined) {
    return undefined;
  }
  return { presencePenalty: presence, frequencyPenalty: frequency, repetitionPenalty: repetition };
}

/** A `float | None` field: a number, absent, or a `float_type` issue. */
function floatField(name: string, value: unknown, issues: PydanticIssue[]): number | undefined {
  if (value === undefined || typeof value === "number") return value;
  issues.push(fieldIssue("float_type", [name], value));
  return undefined;
}

/** `Field(ge=-2.0, le=2.0)` on a `float | None` (vllm PR #38613). */
function boundedPenalty(name: string, value: unknown, issues: PydanticIssue[]) {
  const penalty = floatField(name, value, issues);
  if (penalty === undefined) return undefined;
  if (penalty < -2) {
    issues.push({
      type: "greater_than_equal",
      loc: [name],
      msg: "Input should be greater than or equal to -2.0",
      input: penalty,
      ctx: { ge: new PyRaw("-2.0") },
    });
    return undefined;
  }
  if (penalty > 2) {
    issues.push({
      type: "less_than_equal",
      loc: [name],
      msg: "Input should be less than or equal to 2.0",
      input: penalty,
      ctx: { le: new PyRaw("2.0") },
    });
    return undefined;
  }
  return penalty;
}

/**
 * ResponsesRequest's `mode="before"` model validators (protocol.py, from vLLM PR #20504): they
 * read the raw body before any field is checked, so their refusal comes alone, and pydantic runs
 * before-validators last-defined first: `check_tool_usage` where the release has it (defined last,
 * so first: {@link checkToolUsage}), `check_cache_salt_support` (defined after the two below, so
 * ahead of them: a `cache_salt` that is not null must be a non-empty string, "Parameter
 * 'cache_salt' must be a non-empty string if provided.", a plain ValueError naming no parameter;
 * in ResponsesRequest from the first Responses release, vllm PR #20504's protocol.py, whose V0
 * refusal the mock never answers: it serves the V1 engine), `validate_prompt` ("prompt template
 * is not supported" for any
 * non-null `prompt`: vLLM serves no prompt templates; it names `prompt` as the
 * VLLMValidationError of the 0.13.0+ era, as responses/protocol.py raises it), then
 * `validate_background` (a truthy `background` with a falsy `data.get("store", True)`: an
 * explicit `store: null` is refused too; naming `background` from vllm PR #35531,
 * ResponsesEra.backgroundParam). `body` is a dict here (the reader refused anything else).
 * Returns whether check_tool_usage set `tool_choice` to "none" (then the later validators' errors
 * print the body with it so, as they see the dict it changed).
 */
function checkBeforeValidators(body: Record<string, unknown>, era: ResponsesParseEra): boolean {
  const noToolChoice = era.toolChoiceChecked === true && checkToolUsage(body);
  const seen = noToolChoice ? { ...body, tool_choice: "none" } : body;
  const salt = body.cache_salt;
  if (salt !== undefined && salt !== null && (typeof salt !== "string" || salt === "")) {
    throw modelValueError("Parameter 'cache_salt' must be a non-empty string if provided.", seen);
  }
  const prompt = body.prompt;
  if (prompt !== undefined && prompt !== null) {
    throw modelValueError("prompt template is not supported", seen, { parameter: "prompt" });
  }
  if (pyTruthy(body.background) && !pyTruthy("store" in body ? body.store : true)) {
    throw modelValueError(
      "background can only be used when `store` is true",
      seen,
      era.backgroundParam === true ? { parameter: "background" } : undefined,
    );
  }
  return noToolChoice;
}

/**
 * `check_tool_usage` of ResponsesRequest (vllm PR #40399, from 0.20.0: ResponsesEra
 * .toolChoiceChecked), on the raw body: `tools` counts when present, not null and not empty;
 * `tool_choice` defaults to "auto". With no tools, "auto" and "none" become "none" (returns
 * true), "required" is refused, and so is a named function (`{type: "function", ...}`); with
 * tools, a named function must name one of them (`name` read from each dict tool). Both refusals
 * are VLLMValidationError naming `tool_choice`. Any other choice passes on to the field checks.
 */
function checkToolUsage(body: Record<string, unknown>): boolean {
  const tools = body.tools;
  const choice = "tool_choice" in body ? body.tool_choice : "auto";
  const named = isDict(choice) && choice.type === "function";
  if (!hasItems(tools)) {
    if (choice === "auto" || choice === "none") return true;
    if (choice === "required") {
      throw modelValueError(
        "Tool choice 'required' must be specified with 'tools' parameter.",
        body,
        {
          parameter: "tool_choice",
        },
      );
    }
    if (named) throw functionNotFound(body);
    return false;
  }
  if (named && Array.isArray(tools)) {
    const name = choice.name;
    const names = tools.map((tool) => (isDict(tool) ? tool.name : undefined));
    if (!pyTruthy(name) || !names.includes(name)) throw functionNotFound(body);
  }
  return false;
}

/** check_tool_usage's refusal of a named function no tool answers to. */
function functionNotFound(body: unknown) {
  return modelValueError("Tool choice 'function' not found in 'tools' parameter.", body, {
    parameter: "tool_choice",
  });
}

/** A JSON object (Python's dict). */
function isDict(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * `tools is not None and len(tools) > 0`: a list or string with items, a dict with keys; any other
 * value counts as present (Python's len would raise; the field check refuses it next).
 */
function hasItems(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (Array.isArray(value) || typeof value === "string") return value.length > 0;
  if (isDict(value)) return Object.keys(value).length > 0;
  return true;
}

/**
 * The `Literal` fields' issues in field order (`include` items, `service_tier`, `truncation`):
 * pydantic's `literal_error` for any value outside the list, whatever its type.
 */
function literalIssues(include: readonly unknown[], tier: unknown, truncation: unknown) {
  const issues: PydanticIssue[] = [];
  include.forEach((value, i) => {
    if (!includeValues.includes(value as (typeof includeValues)[number])) {
      issues.push(literalIssue(["include", i], includeValues, value));
    }
  });
  if (tier !== undefined && !serviceTiers.includes(tier as (typeof serviceTiers)[number])) {
    issues.push(literalIssue(["service_tier"], serviceTiers, tier));
  }
  if (truncation != null && !truncations.includes(truncation as (typeof truncations)[number])) {
    issues.push(literalIssue(["truncation"], truncations, truncation));
  }
  return issues;
}

/** `input` (required): a string is one user message; a list holds messages and tool items. */
function readInput(fields: FieldReader): ChatMessage[] {
  const input = fields.raw("input");
  if (input === undefined) {
    fields.missing("input");
    return [];
  }
  if (typeof input === "string") return [{ role: "user", content: input }];
  if (!Array.isArray(input)) {
    fields.nested("string_type", ["input"], input);
    return [];
  }
  const messages: ChatMessage[] = [];
  input.forEach((item, i) => {
    const message = inputMessage(item);
    if (message === undefined) fields.nested("dict_type", ["input", i], item);
    else if (message !== null) messages.push(message);
  });
  return messages;
}

/**
 * One input item as a chat message (utils.py `construct_input_messages`): a message (with or
 * without `type: "message"`), a `function_call` (an assistant tool call), a
 * `function_call_output` (a tool message); `reasoning` items are skipped (null). Undefined:
 * not an item.
 */
function inputMessage(item: unknown): ChatMessage | null | undefined {
  if (item === null || typeof item !== "object" || Array.isArray(item)) return undefined;
  const fields = item as Record<string, unknown>;
  if (fields.type === "reasoning") return null;
  if (fields.type === "function_call") {
    const { call_id, name, arguments: args } = fields;
    if (typeof call_id !== "string" || typeof name !== "string" || typeof args !== "string") {
      return undefined;
    }
    return {
      role: "assistant",
      content: "",
      tool_calls: [{ id: call_id, type: "function", function: { name, arguments: args } }],
    };
  }
  if (fields.type === "function_call_output") {
    const { call_id, output } = fields;
    if (typeof call_id !== "string" || typeof output !== "string") return undefined;
    return { role: "tool", content: output, tool_call_id: call_id };
  }
  if (typeof fields.role !== "string") return undefined;
  const content = contentText(fields.content);
  return content === undefined ? undefined : { role: fields.role, content };
}

/** Message content: a string, or parts with `text` (`input_text`, `output_text`) joined by newlines. */
function contentText(content: unknown): string | undefined {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return undefined;
  const texts: string[] = [];
  for (const part of content) {
    const text = (part as { text?: unknown } | null)?.text;
    if (typeof text !== "string") return undefined;
    texts.push(text);
  }
  return texts.join("\n");
}

/**
 * `tools`: function tools (`name` required) are callable; every tool reaches the chat template as
 * a chat-completions tool (utils.py `construct_tool_dicts`) and is echoed in the response with
 * FunctionTool's fields.
 */
function readTools(fields: FieldReader) {
  const list = fields.list("tools") ?? [];
  const tools: ResponsesFunctionTool[] = [];
  const toolsEcho: unknown[] = [];
  const templateTools: unknown[] = [];
  list.forEach((item, i) => {
    if (item === null || typeof item !== "object" || Array.isArray(item)) {
      fields.nested("dict_type", ["tools", i], item);
      return;
    }
    const tool = item as Record<string, unknown>;
    if (tool.type !== "function") {
      toolsEcho.push(tool);
      templateTools.push({ type: "function", function: tool });
      return;
    }
    if (typeof tool.name !== "string") {
      fields.nested("missing", ["tools", i, "function", "name"], item);
      return;
    }
    const parameters = tool.parameters ?? null;
    tools.push({ name: tool.name, parameters: parameters ?? { type: "object" } });
    // openai's FunctionTool, in its field order (pydantic's model_dump keeps it).
    toolsEcho.push({
      name: tool.name,
      parameters,
      strict: tool.strict ?? null,
      type: "function",
      description: tool.description ?? null,
    });
    const { type: _type, ...fn } = tool;
    templateTools.push({ type: "function", function: fn });
  });
  return { tools, toolsEcho, templateTools };
}

/** `tool_choice` (default "auto"): a mode, or `{type: "function", name}`. */
function readToolChoice(raw: unknown): ResponsesToolChoice {
  if (raw === undefined || raw === "auto") return "auto";
  if (raw === "none" || raw === "required") return raw;
  const named = raw as { type?: unknown; name?: unknown } | null;
  if (named?.type === "function" && typeof named.name === "string") return { name: named.name };
  return "auto";
}
