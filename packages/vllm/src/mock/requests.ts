/**
 * vLLM's request models for `/v1/completions` and `/v1/chat/completions`: fields, defaults and
 * checks (vllm-openai.md §4, §3.2), read into typed requests. Checks raise vLLM's texts.
 */
import { ByRelease, badRequest, ParameterError, VllmError } from "./errors.js";
import { checkJson, checkRegex, checkStructuralTag, parseGrammar } from "./guided-samplers.js";
import type { GuidedFields, StructuredOutputsEra, VllmProfile } from "./profiles.js";
import { pyFloat } from "./pydantic-errors.js";
import { baseRequestId } from "./request-id.js";
import { checkSchemaField, readResponseFormat } from "./structured.js";
import { FieldReader, modelValueError, pyRepr, pyTruthy } from "./validation.js";

/** `stream_options` (vllm-openai.md §6: an object without the key counts as `include_usage: true`). */
export interface StreamOptions {
  readonly includeUsage: boolean;
  readonly continuousUsageStats: boolean;
}

/**
 * Guided decoding (vllm-openai.md §4.1): output forced to a JSON schema (`response_format`
 * `json_object` / `json_schema`, `guided_json`, `structured_outputs.json`), to one of a list
 * of strings (`guided_choice`, `structured_outputs.choice`), to a regular expression
 * (`guided_regex`, `structured_outputs.regex`) or to an EBNF grammar (`guided_grammar`,
 * `structured_outputs.grammar`) or to a structural tag's tagged sections (`response_format`
 * `structural_tag`, `structured_outputs.structural_tag`: the object or its JSON text).
 */
export type Guided =
  | { readonly json: unknown }
  | { readonly choice: readonly string[] }
  | { readonly regex: string }
  | { readonly grammar: string }
  | { readonly structuralTag: unknown };

/**
 * What a caller says guides decoding: a release's {@link StructuredOutputsEra}, or only its
 * fields (the structural tag shapes are then the newest, `format`).
 */
export type GuidedEra = GuidedFields | StructuredOutputsEra;

/** The era of a caller that names only the fields: made once per value, not per request. */
function fieldsOnlyEra(fields: GuidedFields): StructuredOutputsEra {
  return {
    fields,
    structuralTag: "format",
    completionsFormats: "all",
    missingJsonSchema: "assert",
  };
}

const fieldsOnlyEras: Readonly<Record<GuidedFields, StructuredOutputsEra>> = {
  guided: fieldsOnlyEra("guided"),
  both: fieldsOnlyEra("both"),
  "structured-outputs": fieldsOnlyEra("structured-outputs"),
};

function eraOf(era: GuidedEra): StructuredOutputsEra {
  return typeof era === "string" ? fieldsOnlyEras[era] : era;
}

/** Which endpoint a body is read for: they follow `response_format` differently by release. */
type Endpoint = "chat" | "completions";

/** The sampling parameters both endpoints share (SamplingParams). */
export interface Sampling {
  /** Requested output cap; undefined = the endpoint's default. */
  readonly maxTokens: number | undefined;
  readonly n: number;
  readonly temperature: number | undefined;
  readonly topP: number | undefined;
  readonly topK: number | undefined;
  readonly seed: number | undefined;
  readonly stop: readonly string[];
  readonly stopTokenIds: readonly number[];
  readonly includeStopStrInOutput: boolean;
  readonly minTokens: number;
  readonly ignoreEos: boolean;
  readonly stream: boolean;
  readonly streamOptions: StreamOptions | undefined;
  readonly guided: Guided | undefined;
  /**
   * The error `to_sampling_params` raises for this body, after the model check and before
   * generation (the route answers it there): the 500 with an empty message of a `json_schema`
   * format without its schema object in the releases that assert it ({@link jsonSchemaFailure}),
   * else the 400 of a `logit_bias` key that is not an integer ({@link logitBiasFailure}).
   */
  readonly guidedFailure: VllmError | undefined;
  /** vLLM's request `priority` (default 0; lower is served first under the priority policy). */
  readonly priority: number;
  /**
   * The base of the response id: the `X-Request-Id` header when sent, else the body's
   * `request_id`, else a random uuid hex (vllm-openai.md §1, request-id.ts).
   */
  readonly requestId: string;
  /**
   * `prompt_logprobs`: top logprobs per prompt token, or undefined for none; -1 ("the whole
   * vocabulary") only without `stream`, where {@link inputProcessorRefusal} answers it.
   */
  readonly promptLogprobs: number | undefined;
  /**
   * The refusal of `prompt_logprobs: -1` (chat, no `stream`) in the releases whose request model
   * reads no -1 (profiles.ts `promptLogprobsAll` false): the validator's text with the body as its
   * input. Undefined unless the body asks -1 there.
   */
  readonly allPromptLogprobsRefusal: VllmError | undefined;
  /**
   * The `logit_bias` keys as the Python ints `SamplingParams.from_optional` makes of them, in the
   * body's order (each key passed {@link logitBiasFailure}), for the input processor's vocabulary
   * check; empty when none was sent.
   */
  readonly logitBiasIds: readonly bigint[];
  /** `allowed_token_ids` as sent (a pydantic `list[int]`), or undefined for none. */
  readonly allowedTokenIds: readonly number[] | undefined;
  /** `best_of` as sent (what it does depends on the release: profiles.ts `bestOf`). */
  readonly bestOf: number | undefined;
  /**
   * `truncate_prompt_tokens` as sent: keep the last N prompt tokens, -1 for `max_model_len`
   * (profiles.ts `truncateToModelLength`; prompts.ts `truncationSize`); undefined for none.
   * Optional for request kinds that do not read it (the Responses API).
   */
  readonly truncatePromptTokens?: number | undefined;
  /**
   * `bad_words` (SamplingParams, default none): words the output must never contain, as sent,
   * repeats dropped (`dict.fromkeys`); choices.ts `badWordIds` tokenizes them for the engine.
   * Optional for request kinds that do not read it (the Responses API).
   */
  readonly badWords?: readonly string[] | undefined;
  /** `min_p` (default 0.0); checked in [0, 1], otherwise read and not modelled. */
  readonly minP?: number | undefined;
  /** `presence_penalty` (default 0.0); checked in [-2, 2], otherwise not modelled. */
  readonly presencePenalty?: number | undefined;
  /** `frequency_penalty` (default 0.0); checked in [-2, 2], otherwise not modelled. */
  readonly frequencyPenalty?: number | undefined;
  /** `repetition_penalty` (default 1.0); checked above zero, otherwise not modelled. */
  readonly repetitionPenalty?: number | undefined;
  /**
   * `return_token_ids` (default false): the answer carries the choice's generated token ids and
   * the prompt's (vLLM PR #22587, profiles.ts `returnTokenIds`, from 0.10.2); false in the
   * releases without the field (an unknown field there, ignored). Optional for request kinds that
   * do not read it (the Responses API).
   */
  readonly returnTokenIds?: boolean;
}

/** A completions prompt in the engine's terms: text or token ids. */
export type PromptInput = { readonly text: string } | { readonly ids: readonly number[] };

/** `POST /v1/completions`. */
export interface CompletionRequest extends Sampling {
  readonly model: string | undefined;
  readonly prompts: readonly PromptInput[];
  readonly echo: boolean;
  /** Number of top logprobs per token, or undefined for none. */
  readonly logprobs: number | undefined;
  readonly addSpecialTokens: boolean;
}

/**
 * One chat message as the chat template sees it: content parts joined into text, other keys
 * (name, tool_calls, ...) passed through.
 */
export interface ChatMessage {
  readonly role: string;
  readonly content: string;
  readonly [key: string]: unknown;
}

/** A function tool the model may call. */
export interface ToolSpec {
  readonly name: string;
  readonly parameters: unknown;
  /** The tool as sent, for the chat template's `tools`. */
  readonly raw: unknown;
}

/** `tool_choice`: a mode, or one named function. */
export type ToolChoice = "none" | "auto" | "required" | { readonly name: string };

/** `POST /v1/chat/completions`. */
export interface ChatRequest extends Sampling {
  readonly tools: readonly ToolSpec[];
  /** Defaults as vLLM: "auto" when tools are given, else "none". */
  readonly toolChoice: ToolChoice;
  readonly model: string | undefined;
  readonly messages: readonly ChatMessage[];
  readonly echo: boolean;
  readonly logprobs: boolean;
  readonly topLogprobs: number;
  readonly addGenerationPrompt: boolean;
  readonly addSpecialTokens: boolean;
  /**
   * `chat_template_kwargs`: more variables for the chat template (vLLM's ChatCompletionRequest,
   * `dict[str, Any] | None`), such as Qwen3's `enable_thinking`; undefined when absent or null.
   */
  readonly chatTemplateKwargs: Readonly<Record<string, unknown>> | undefined;
  /** How many `image_url` content parts the messages held ({@link ChatMessages}). */
  readonly imageParts: number;
}

function readStreamOptions(fields: FieldReader, body: unknown) {
  // protocol.py validate_stream_options (mode="before", on the raw body): refused only when
  // `data.get("stream_options") and not data.get("stream")`, Python truth values, so an empty
  // stream_options with stream off passes (and is then read as the defaults, unused).
  const raw = fields.raw("stream_options");
  if (pyTruthy(raw) && !pyTruthy(fields.raw("stream")))
    throw modelValueError("Stream options can only be defined when `stream=True`.", body, {
      parameter: "stream_options",
    });
  if (raw === undefined) return undefined;
  const options = fields.object("stream_options");
  if (options === undefined) return undefined;
  const inner = new FieldReader(options);
  const includeUsage = inner.bool("include_usage") ?? true;
  const continuousUsageStats = inner.bool("continuous_usage_stats") ?? false;
  inner.finish();
  return { includeUsage, continuousUsageStats };
}

/**
 * The guided decoding a body asks for, reading the fields the release reads ({@link GuidedFields}):
 * a release ignores the other kind as an unknown field.
 */
function readGuided(
  fields: FieldReader,
  body: unknown,
  era: GuidedEra,
  endpoint: Endpoint,
): Guided | undefined {
  // The usual request sets none of the fields read here: it makes no list, closure or era.
  const rawFormat = fields.raw("response_format");
  if (
    rawFormat === undefined &&
    fields.raw("structured_outputs") === undefined &&
    fields.raw("guided_json") === undefined &&
    fields.raw("guided_choice") === undefined &&
    fields.raw("guided_regex") === undefined &&
    fields.raw("guided_grammar") === undefined
  ) {
    return undefined;
  }
  const { fields: guidedFields, structuralTag, completionsFormats } = eraOf(era);
  const found: Guided[] = [];
  const format = readResponseFormat(rawFormat, structuralTag);
  // protocol.py up to 0.10.1: CompletionRequest follows only `json_object` (profiles.ts).
  if (
    format !== undefined &&
    (endpoint === "chat" ||
      completionsFormats === "all" ||
      (rawFormat as { type?: unknown }).type === "json_object")
  ) {
    found.push(format);
  }
  const guidedKinds = guidedFields !== "structured-outputs";
  const guidedJson = guidedKinds ? fields.raw("guided_json") : undefined;
  if (guidedJson !== undefined) {
    // protocol.py: `guided_json: str | dict | BaseModel | None`.
    checkSchemaField(guidedJson, ["guided_json"], true);
    found.push({ json: guidedJson });
  }
  const guidedChoice = guidedKinds ? fields.raw("guided_choice") : undefined;
  if (Array.isArray(guidedChoice) && guidedChoice.length > 0) {
    found.push({ choice: guidedChoice.map(String) });
  }
  // vLLM checks `if regex:` / `if grammar:`, so an empty pattern or grammar guides nothing.
  const guidedRegex = guidedKinds ? fields.string("guided_regex") : undefined;
  if (guidedRegex) found.push({ regex: guidedRegex });
  const structured = guidedFields === "guided" ? undefined : fields.object("structured_outputs");
  if (structured?.json !== undefined && structured.json !== null) {
    // StructuredOutputsParams (sampling_params.py): `json: str | dict | None`.
    checkSchemaField(structured.json, ["structured_outputs", "json"], false);
    found.push({ json: structured.json });
  }
  if (Array.isArray(structured?.choice)) found.push({ choice: structured.choice.map(String) });
  if (typeof structured?.regex === "string" && structured.regex) {
    found.push({ regex: structured.regex });
  }
  const guidedGrammar = guidedKinds ? fields.string("guided_grammar") : undefined;
  if (guidedGrammar) found.push({ grammar: guidedGrammar });
  if (typeof structured?.grammar === "string" && structured.grammar) {
    found.push({ grammar: structured.grammar });
  }
  // StructuredOutputsParams: `structural_tag: str | None`, the tag's JSON text.
  const tagText = structured?.structural_tag;
  if (typeof tagText === "string" && tagText) found.push({ structuralTag: tagText });
  else if (tagText !== undefined && tagText !== null && typeof tagText !== "string") {
    fields.nested("string_type", ["structured_outputs", "structural_tag"], tagText);
  }
  const kinds = guidedKinds
    ? ["guided_json", "guided_regex", "guided_choice"].filter(
        (key) => fields.raw(key) !== undefined,
      )
    : [];
  if (kinds.length > 1) {
    throw modelValueError(
      "You can only use one kind of guided decoding ('guided_json', 'guided_regex' or 'guided_choice').",
      body,
    );
  }
  return checkGuided(found[0]);
}

/** The structured-output backend refuses a pattern it cannot compile, before generation. */
function checkGuided(guided: Guided | undefined): Guided | undefined {
  if (guided === undefined) return undefined;
  if ("json" in guided) checkJson(guided.json);
  if ("regex" in guided) checkRegex(guided.regex);
  if ("grammar" in guided) parseGrammar(guided.grammar);
  if ("structuralTag" in guided) checkStructuralTag(guided.structuralTag);
  return guided;
}

/**
 * `structured_outputs` of a request that reads it alone (StructuredOutputsParams,
 * sampling_params.py: `json: str | dict`, `choice`, `regex`, `grammar`, `structural_tag: str`;
 * an empty pattern guides nothing), as the Responses API reads it: the guide it asks for, the
 * first kind in that order, checked as the backend checks it.
 */
export function readStructuredOutputs(fields: FieldReader): Guided | undefined {
  const structured = fields.object("structured_outputs");
  // FieldReader.object hands null through: `structured_outputs: null` is the default, no guide.
  if (structured === undefined || structured === null) return undefined;
  const { json, choice, regex, grammar, structural_tag: tag } = structured;
  if (json !== undefined && json !== null) {
    checkSchemaField(json, ["structured_outputs", "json"], false);
    return checkGuided({ json });
  }
  if (Array.isArray(choice)) return checkGuided({ choice: choice.map(String) });
  if (typeof regex === "string" && regex) return checkGuided({ regex });
  if (typeof grammar === "string" && grammar) return checkGuided({ grammar });
  if (typeof tag === "string" && tag) return checkGuided({ structuralTag: tag });
  if (tag !== undefined && tag !== null) {
    fields.nested("string_type", ["structured_outputs", "structural_tag"], tag);
  }
  return undefined;
}

/** vLLM's default `--max-logprobs` (ModelConfig.max_logprobs). */
export const maxLogprobs = 20;

/**
 * The mock's cap on `n`: vLLM queues any `n`, but a mock that fans out a million engine runs
 * hangs; 1024 is V1's default `max_num_seqs` on large GPUs (vllm-openai.md §9), so a larger `n`
 * could never run in one batch anyway. The text is the mock's own.
 */
export const maxChoices = 1024;

/**
 * vLLM's processor text for too many logprobs (vllm/v1/engine/processor.py), naming `logprobs`
 * and the count from vLLM PR #31870 ({@link ParameterError}); chat's `top_logprobs` is the
 * SamplingParams `logprobs` there, so it is named `logprobs` too.
 */
export function checkLogprobs(count: number | undefined): VllmError | undefined {
  if (count === undefined || count <= maxLogprobs) return undefined;
  return new ParameterError(
    `Requested sample logprobs of ${count}, which is greater than max allowed: ${maxLogprobs}`,
    "logprobs",
    String(count),
  );
}

/** What the input processor knows of the served model. */
export interface ProcessorModel {
  /** The release's details (`promptLogprobsAll`, `tokenIdsInVocab`). */
  readonly profile: Pick<VllmProfile, "promptLogprobsAll" | "tokenIdsInVocab">;
  /** `ModelConfig.get_vocab_size()` (served-model.ts `vocabularySize`). */
  readonly vocabSize: number;
  /** `len(tokenizer)`: the tokenizer's ids, added tokens included. */
  readonly tokenizerSize: number;
}

/**
 * The checks of vLLM's input processor that need the served model's vocabulary
 * (vllm/v1/engine/processor.py `_validate_logprobs` then `_validate_logit_bias`; input_processor.py
 * from 0.13.0), run where the engine request is built, after the model check and the prompt's
 * length check. `prompt_logprobs: -1` counts as the vocabulary size, above `--max-logprobs` (20)
 * for any real model: "Requested prompt logprobs of <vocab>, which is greater than max allowed:
 * 20", with `parameter=prompt_logprobs, value=<vocab>` in the releases of vLLM PR #31870
 * (profiles.ts `sampling-validation-error`, {@link ParameterError}); the releases
 * before -1 (promptLogprobsAll false) answer the validator's refusal the parser kept. Then the
 * `logit_bias` keys outside `[0, vocab)`, all of them in the body's order: "token_id(s) [<ids>] in
 * logit_bias contain out-of-vocab token ids. Vocabulary size: <vocab>", `parameter=logit_bias,
 * value=[<ids>]` in PR #31870's releases, from 0.9.0 (profiles.ts `tokenIdsInVocab`). Undefined
 * when all pass. Both are plain ValueErrors before, answered as `str(e)` with `param` null. Last
 * `allowed_token_ids`: empty, or any id outside `[0, len(tokenizer))`, in the same releases.
 */
export function inputProcessorRefusal(
  model: ProcessorModel,
  sampling: Pick<
    Sampling,
    "promptLogprobs" | "allPromptLogprobsRefusal" | "logitBiasIds" | "allowedTokenIds"
  >,
): VllmError | undefined {
  const { profile, vocabSize } = model;
  if (sampling.promptLogprobs === -1) {
    if (!profile.promptLogprobsAll && sampling.allPromptLogprobsRefusal !== undefined) {
      return sampling.allPromptLogprobsRefusal;
    }
    if (vocabSize > maxLogprobs) {
      return new ParameterError(
        `Requested prompt logprobs of ${vocabSize}, which is greater than max allowed: ${maxLogprobs}`,
        "prompt_logprobs",
        String(vocabSize),
      );
    }
  }
  if (!profile.tokenIdsInVocab) return undefined;
  // Per request on completions: no list or BigInt made when the body sent no logit_bias.
  const biasIds = sampling.logitBiasIds;
  const size = biasIds.length === 0 ? 0n : BigInt(vocabSize);
  const outside = biasIds.length === 0 ? biasIds : biasIds.filter((id) => id < 0n || id >= size);
  if (outside.length > 0) {
    // Python's str of a list of ints: `[100000, -1]`.
    const ids = `[${outside.join(", ")}]`;
    return new ParameterError(
      `token_id(s) ${ids} in logit_bias contain out-of-vocab token ids. Vocabulary size: ${vocabSize}`,
      "logit_bias",
      ids,
    );
  }
  const allowed = sampling.allowedTokenIds;
  if (allowed === undefined) return undefined;
  // Plain ValueErrors in every profiled release (the 0.14+ input processor keeps them so).
  if (allowed.length === 0) return badRequest("allowed_token_ids is not None and empty!");
  const tokens = model.tokenizerSize;
  if (allowed.some((id) => id < 0 || id >= tokens)) {
    return badRequest("allowed_token_ids contains out-of-vocab token id!");
  }
  return undefined;
}

/** SamplingParams._verify_args texts (vllm-openai.md §3.2). */
export function verifySampling(s: Sampling): VllmError | undefined {
  if (s.n < 1) return badRequest(`n must be at least 1, got ${s.n}.`);
  if (s.n > maxChoices) {
    return badRequest(`n must be at most ${maxChoices} (the mock's max_num_seqs), got ${s.n}.`);
  }
  // No parameter named in any release: these VLLMValidationErrors pass none (PR #31870).
  const penalty = penaltyRefusal(s);
  if (penalty) return penalty;
  // temperature and top_p are float fields: Python prints a JSON -1 as -1.0 (pyFloat).
  if (s.temperature !== undefined && s.temperature < 0) {
    const value = pyFloat(s.temperature);
    return new ParameterError(
      `temperature must be non-negative, got ${value}.`,
      "temperature",
      value,
    );
  }
  if (s.topP !== undefined && (s.topP <= 0 || s.topP > 1)) {
    const value = pyFloat(s.topP);
    return new ParameterError(`top_p must be in (0, 1], got ${value}.`, "top_p", value);
  }
  if (s.topK !== undefined && s.topK < -1) {
    return badRequest(`top_k must be 0 (disable), or at least 1, got ${s.topK}.`);
  }
  if (s.minP !== undefined && (s.minP < 0 || s.minP > 1)) {
    return badRequest(`min_p must be in [0, 1], got ${pyFloat(s.minP)}.`);
  }
  if (s.maxTokens !== undefined && s.maxTokens < 1) {
    return badRequest(`max_tokens must be at least 1, got ${s.maxTokens}.`);
  }
  if (s.minTokens < 0) {
    return badRequest(`min_tokens must be greater than or equal to 0, got ${s.minTokens}.`);
  }
  if (s.maxTokens !== undefined && s.minTokens > s.maxTokens) {
    return badRequest(
      `min_tokens must be less than or equal to max_tokens=${s.maxTokens}, got ${s.minTokens}.`,
    );
  }
  if (s.stop.includes("")) return badRequest("stop cannot contain an empty string.");
  if (s.badWords?.includes("")) {
    return badRequest(
      `bad_words cannot contain an empty string. Got bad_words=${pyRepr(s.badWords)}`,
    );
  }
  if (isGreedy(s) && s.n > 1) {
    return badRequest(`n must be 1 when using greedy sampling, got ${s.n}.`);
  }
  return undefined;
}

/**
 * The penalties `_verify_args` checks right after `n` (sampling_params.py): presence and
 * frequency in [-2, 2], repetition above zero; floats, so Python prints a JSON 3 as `3.0`.
 */
function penaltyRefusal(s: Sampling): VllmError | undefined {
  const { presencePenalty: presence, frequencyPenalty: frequency } = s;
  if (presence !== undefined && (presence < -2 || presence > 2)) {
    return badRequest(`presence_penalty must be in [-2, 2], got ${pyFloat(presence)}.`);
  }
  if (frequency !== undefined && (frequency < -2 || frequency > 2)) {
    return badRequest(`frequency_penalty must be in [-2, 2], got ${pyFloat(frequency)}.`);
  }
  const repetition = s.repetitionPenalty;
  if (repetition !== undefined && repetition <= 0) {
    return badRequest(`repetition_penalty must be greater than zero, got ${pyFloat(repetition)}.`);
  }
  return undefined;
}

/** vLLM samples greedily below `_SAMPLING_EPS` (1e-5); an absent temperature is 1.0. */
export function isGreedy(sampling: Pick<Sampling, "temperature">): boolean {
  return sampling.temperature !== undefined && sampling.temperature < 1e-5;
}

/** The text of vLLM's `validate_response_format` for a `json_schema` format without its schema. */
export const missingJsonSchemaText =
  "When response_format type is 'json_schema', the 'json_schema' field must be provided.";

/**
 * What a `json_schema` format without its `json_schema` object (absent or null) meets in a release
 * (profiles.ts `MissingJsonSchema`): from 0.17.0 the model validator's 400, thrown here (it
 * runs before the fields are read); before, where the endpoint follows `json_schema`, the
 * assertion in `to_sampling_params`, answered 500 with `str(AssertionError())`, the empty message
 * (vllm issue #35438: `{"error":{"message":"","type":"InternalServerError","param":null,"code":500}}`),
 * returned for the route to answer after the model check. Undefined for any other body.
 */
function jsonSchemaFailure(
  format: unknown,
  era: GuidedEra,
  endpoint: Endpoint,
  body: unknown,
): VllmError | undefined {
  if (format === null || typeof format !== "object") return undefined;
  const { type, json_schema: schema } = format as { type?: unknown; json_schema?: unknown };
  if (type !== "json_schema" || (schema !== undefined && schema !== null)) return undefined;
  const { missingJsonSchema, completionsFormats } = eraOf(era);
  if (missingJsonSchema === "validator") throw modelValueError(missingJsonSchemaText, body);
  if (endpoint === "completions" && completionsFormats === "json-object") return undefined;
  return new VllmError(500, "");
}

/** A `logit_bias` key Python's `int()` reads: blanks around an optionally signed digit run. */
const pythonIntKey = /^\s*[+-]?\d+(?:_\d+)*\s*$/;

/**
 * What `SamplingParams.from_optional` raises for a `logit_bias` (pydantic `dict[str, float]`)
 * whose key is not an integer: it converts each key with a bare `int(token)`, so the first key
 * that fails answers Python's own text, `invalid literal for int() with base 10: '<key>'`, as a
 * plain 400 (`to_sampling_params` runs in the serving's try, `create_error_response(str(e))`,
 * `param` null, after the model check and the structured-output assertion before it). vLLM PR
 * #46612 (merged 2026-06, after 0.18) quotes that answer as its "Before" and names `logit_bias`
 * from then; the comprehension is the same in every release the profiles describe. Undefined when
 * every key converts. Keys out of the vocabulary are the input processor's, checked once the
 * model is known ({@link inputProcessorRefusal}).
 */
function logitBiasFailure(bias: Record<string, unknown> | undefined): VllmError | undefined {
  if (bias === undefined) return undefined;
  for (const key in bias) {
    if (!pythonIntKey.test(key)) {
      return badRequest(`invalid literal for int() with base 10: ${pyRepr(key)}`);
    }
  }
  return undefined;
}

/**
 * The `logit_bias` keys as Python's `int()` reads them (blanks, a sign and digit-group
 * underscores allowed), as exact integers; keys `int()` refuses are {@link logitBiasFailure}'s and
 * left out here.
 */
function logitBiasIds(bias: Record<string, unknown> | undefined): bigint[] {
  const ids: bigint[] = [];
  if (bias === undefined) return ids;
  for (const key in bias) {
    if (pythonIntKey.test(key)) ids.push(BigInt(key.trim().replace(/_/g, "")));
  }
  return ids;
}

function readSampling(
  fields: FieldReader,
  body: unknown,
  maxTokens: number | undefined,
  requestIdHeader: string | undefined,
  guidedFields: GuidedEra,
  endpoint: Endpoint,
  release: PromptLogprobsRelease | undefined,
): Sampling {
  const bias = fields.object("logit_bias");
  const guidedFailure =
    jsonSchemaFailure(fields.raw("response_format"), guidedFields, endpoint, body) ??
    logitBiasFailure(bias);
  const stream = fields.bool("stream") ?? false;
  const promptLogprobs = readPromptLogprobs(fields, stream, body, release);
  const seed = fields.int("seed");
  // vllm-openai.md §4.1: seed is an int64 (pydantic ge/le bounds).
  if (seed !== undefined && !Number.isSafeInteger(seed)) {
    fields.nested(seed > 0 ? "less_than_equal" : "greater_than_equal", ["seed"], seed);
  }
  return {
    maxTokens,
    n: fields.int("n") ?? 1,
    temperature: fields.number("temperature"),
    topP: fields.number("top_p"),
    topK: fields.int("top_k"),
    // vllm-openai.md §4.1: seed −1 means none.
    seed: seed === -1 ? undefined : seed,
    stop: fields.stringOrStrings("stop") ?? [],
    stopTokenIds: fields.ints("stop_token_ids") ?? [],
    includeStopStrInOutput: fields.bool("include_stop_str_in_output") ?? false,
    minTokens: fields.int("min_tokens") ?? 0,
    ignoreEos: fields.bool("ignore_eos") ?? false,
    stream,
    streamOptions: readStreamOptions(fields, body),
    guided: readGuided(fields, body, guidedFields, endpoint),
    guidedFailure,
    priority: fields.int("priority") ?? 0,
    requestId: baseRequestId(requestIdHeader, fields.string("request_id")),
    bestOf: fields.int("best_of"),
    promptLogprobs,
    allPromptLogprobsRefusal:
      promptLogprobs === -1 ? modelValueError(positivePromptLogprobs, body) : undefined,
    logitBiasIds: logitBiasIds(bias),
    allowedTokenIds: fields.ints("allowed_token_ids"),
    // protocol.py: `Field(ge=1)` before vLLM PR #22761, `Field(ge=-1)` after.
    truncatePromptTokens: fields.intAtLeast(
      "truncate_prompt_tokens",
      release === undefined || release.truncateToModelLength ? -1 : 1,
    ),
    badWords: uniqueStrings(fields.strings("bad_words")),
    minP: fields.number("min_p"),
    presencePenalty: fields.number("presence_penalty"),
    frequencyPenalty: fields.number("frequency_penalty"),
    repetitionPenalty: fields.number("repetition_penalty"),
    // vLLM PR #22587 (0.10.2): a bool field; before, an unknown key the request model ignores.
    returnTokenIds:
      release === undefined || release.returnTokenIds === true
        ? (fields.bool("return_token_ids") ?? false)
        : false,
  };
}

/** A list without its repeats, first occurrences kept (Python's `list(dict.fromkeys(xs))`). */
function uniqueStrings(list: readonly string[] | undefined): readonly string[] | undefined {
  if (list === undefined || list.length < 2) return list;
  return [...new Set(list)];
}

/**
 * What the request parsers need of the release: whether `prompt_logprobs: -1` passes the
 * request model (profiles.ts `promptLogprobsAll`) and `truncate_prompt_tokens`' lower bound
 * (`truncateToModelLength`: ge -1, else ge 1). Without one (a parser called alone) -1 without
 * `stream` is kept for the input processor ({@link inputProcessorRefusal}), as from 0.11.0,
 * `truncate_prompt_tokens` takes -1 and `return_token_ids` is read (`returnTokenIds`, from 0.10.2).
 */
export type PromptLogprobsRelease = Pick<
  VllmProfile,
  "promptLogprobsAll" | "truncateToModelLength" | "returnTokenIds"
>;

const streamedPromptLogprobs = "`prompt_logprobs` are not available when `stream=True`.";
const positivePromptLogprobs = "`prompt_logprobs` must be a positive value.";

/**
 * `prompt_logprobs` as check_logprobs (protocol.py, a before-validator) and the input processor
 * read it (vllm-openai.md §3.2). Streaming refuses a positive count (`prompt_logprobs > 0`: 0
 * streams, with no prompt logprobs to send); a negative one is refused with the text of its
 * release (profiles.ts `promptLogprobsAll`, vLLM PR #24956: from 0.11.0 -1 streams into the stream
 * refusal and only a value below -1 reads "... or -1"). Both name `prompt_logprobs` from 0.13.0.
 */
function readPromptLogprobs(
  fields: FieldReader,
  stream: boolean,
  body: unknown,
  release: PromptLogprobsRelease | undefined,
): number | undefined {
  const count = fields.int("prompt_logprobs");
  if (count === undefined) return undefined;
  const parameter = { parameter: "prompt_logprobs" };
  if (stream && count > 0) throw modelValueError(streamedPromptLogprobs, body, parameter);
  // Up to 0.10.2 check_logprobs (a before-validator) refuses -1 like any negative count, so the
  // answer comes before the model check (vLLM issue #24948 quotes it on 0.10.2).
  if (count === -1 && release !== undefined && !release.promptLogprobsAll) {
    throw modelValueError(positivePromptLogprobs, body);
  }
  // -1 without stream waits for the model (inputProcessorRefusal, which both handlers ask).
  if (count === -1 && !stream) return count;
  if (count < 0) throw negativePromptLogprobs(count, body);
  // vllm/v1/engine/processor.py: the same --max-logprobs bound as sample logprobs.
  if (count > maxLogprobs) {
    throw new ParameterError(
      `Requested prompt logprobs of ${count}, which is greater than max allowed: ${maxLogprobs}`,
      "prompt_logprobs",
      String(count),
    );
  }
  // Streamed, a count of 0 asks for nothing the stream carries (its chunks have no such key).
  return stream ? undefined : count;
}

/**
 * The refusal of a negative `prompt_logprobs` by release. Up to 0.10.2 "must be a positive
 * value." (vLLM issue #24948 quotes it for -1 on 0.10.2); from 0.11.0 -1 with `stream` meets
 * the stream refusal and a value below -1 reads "must be a positive value or -1.", raised from
 * 0.13.0 with `parameter=prompt_logprobs, value=<count>` (protocol.py check_logprobs of the
 * VLLMValidationError releases). -1 without `stream` passes that check from 0.11.0 and meets the
 * input processor's bound as the vocabulary size ({@link inputProcessorRefusal}); up to 0.10.2
 * it is refused as the body is read ({@link PromptLogprobsRelease}).
 */
function negativePromptLogprobs(count: number, body: unknown): VllmError {
  const before = modelValueError(positivePromptLogprobs, body);
  const after =
    count === -1
      ? modelValueError(streamedPromptLogprobs, body, { parameter: "prompt_logprobs" })
      : modelValueError("`prompt_logprobs` must be a positive value or -1.", body, {
          parameter: "prompt_logprobs",
          value: count,
        });
  return new ByRelease(before, (profile) => (profile.promptLogprobsAll ? after : before));
}

function readPrompts(fields: FieldReader): PromptInput[] {
  const prompt = fields.raw("prompt");
  if (prompt === undefined) {
    fields.missing("prompt");
    return [];
  }
  const isIds = (v: unknown): v is number[] =>
    Array.isArray(v) &&
    v.length > 0 &&
    v.every((x) => typeof x === "number" && Number.isInteger(x));
  if (typeof prompt === "string") return [{ text: prompt }];
  if (isIds(prompt)) return [{ ids: prompt }];
  if (Array.isArray(prompt) && prompt.length > 0) {
    if (prompt.every((p) => typeof p === "string")) return prompt.map((text) => ({ text }));
    if (prompt.every(isIds)) return prompt.map((ids) => ({ ids }));
  }
  fields.nested("string_type", ["prompt"], prompt);
  return [];
}

/**
 * Reads and checks a `/v1/completions` body; throws a 400 {@link VllmError}. `requestIdHeader`
 * is the request's `X-Request-Id` header, which names the response over the body's `request_id`.
 * `guidedFields` are the release's (its profile's); the default "both" reads every kind, for
 * callers without a release. `release` decides where `prompt_logprobs: -1` is refused
 * ({@link PromptLogprobsRelease}); left out, it waits for the input processor.
 */
export function parseCompletionRequest(
  body: unknown,
  requestIdHeader?: string,
  guidedFields: GuidedEra = "both",
  release?: PromptLogprobsRelease,
): CompletionRequest {
  const fields = new FieldReader(body);
  fields.finish();
  const prompts = readPrompts(fields);
  const model = fields.string("model");
  const echo = fields.bool("echo") ?? false;
  const logprobs = fields.int("logprobs");
  const addSpecialTokens = fields.bool("add_special_tokens") ?? true;
  const suffix = fields.string("suffix");
  // vllm-openai.md §4.2: completions default max_tokens is 16.
  const maxTokens = fields.int("max_tokens") ?? 16;
  const sampling = readSampling(
    fields,
    body,
    maxTokens,
    requestIdHeader,
    guidedFields,
    "completions",
    release,
  );
  // protocol.py check_logprobs is a model_validator(mode="before"): it runs on the raw body
  // before any field is validated, so its ValueError is the whole answer even beside field errors.
  const rawLogprobs = fields.raw("logprobs");
  if (typeof rawLogprobs === "number" && rawLogprobs < 0) {
    // Named from 0.13.0 (protocol.py check_logprobs of the VLLMValidationError releases);
    // -1 too: the completions check has no -1 exception before vLLM PR #46175 (2026-06).
    throw modelValueError("`logprobs` must be a positive value.", body, {
      parameter: "logprobs",
      value: rawLogprobs,
    });
  }
  fields.finish();
  if (suffix !== undefined) throw badRequest("suffix is not currently supported");
  const tooMany = checkLogprobs(logprobs);
  if (tooMany) throw tooMany;
  const invalid = verifySampling(sampling);
  if (invalid) throw invalid;
  // Object.assign, not `{ ...sampling, model, ... }`: V8 builds a fresh map for every spread
  // that gains keys (about 2 µs a key), and this runs per request.
  return Object.assign(sampling, { model, prompts, echo, logprobs, addSpecialTokens });
}

/** A chat body's messages as read. */
export interface ChatMessages {
  readonly messages: ChatMessage[];
  /**
   * How many `image_url` content parts they held (left out of the text): vLLM's renderer refuses
   * them on a text-only model (prompts.ts), after validation and the model check.
   */
  readonly imageParts: number;
}

/** Reads `messages` (required) from a body's fields, recording issues on the reader. */
export function parseChatMessages(fields: FieldReader): ChatMessages {
  const list = fields.list("messages");
  if (list === undefined) {
    if (fields.raw("messages") === undefined) fields.missing("messages");
    return { messages: [], imageParts: 0 };
  }
  const messages: ChatMessage[] = [];
  const seen = { images: 0 };
  list.forEach((item, i) => {
    if (item === null || typeof item !== "object" || Array.isArray(item)) {
      fields.nested("dict_type", ["messages", i], item);
      return;
    }
    const { role, content } = item as { role?: unknown; content?: unknown };
    if (typeof role !== "string") {
      fields.nested(role === undefined ? "missing" : "string_type", ["messages", i, "role"], item);
      return;
    }
    messages.push({ ...(item as object), role, content: contentText(content, fields, i, seen) });
  });
  return { messages, imageParts: seen.images };
}

/**
 * Message content: a string, null, or a list of `{type: "text", text}` parts joined with
 * newlines; `{type: "image_url"}` parts are counted in `seen`, not read.
 */
function contentText(
  content: unknown,
  fields: FieldReader,
  index: number,
  seen: { images: number },
): string {
  if (content === undefined || content === null) return "";
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    const texts: string[] = [];
    for (const part of content) {
      const text = (part as { text?: unknown } | null)?.text;
      if (typeof text === "string") texts.push(text);
      else if ((part as { type?: unknown } | null)?.type === "image_url") seen.images += 1;
      else fields.nested("string_type", ["messages", index, "content"], part);
    }
    return texts.join("\n");
  }
  fields.nested("string_type", ["messages", index, "content"], content);
  return "";
}

/**
 * Reads and checks a `/v1/chat/completions` body; throws a 400 {@link VllmError}.
 * `requestIdHeader`, `guidedFields` and `release` as for {@link parseCompletionRequest}.
 */
export function parseChatRequest(
  body: unknown,
  requestIdHeader?: string,
  guidedFields: GuidedEra = "both",
  release?: PromptLogprobsRelease,
): ChatRequest {
  const fields = new FieldReader(body);
  fields.finish();
  const { messages, imageParts } = parseChatMessages(fields);
  const model = fields.string("model");
  const echo = fields.bool("echo") ?? false;
  const logprobs = fields.bool("logprobs") ?? false;
  const topLogprobs = fields.int("top_logprobs") ?? 0;
  const addGenerationPrompt = fields.bool("add_generation_prompt") ?? true;
  const addSpecialTokens = fields.bool("add_special_tokens") ?? false;
  const chatTemplateKwargs = fields.object("chat_template_kwargs");
  // vllm-openai.md §4.1: max_completion_tokens wins over the deprecated max_tokens; both null by default.
  const maxCompletion = fields.int("max_completion_tokens");
  const maxTokens = fields.int("max_tokens");
  const sampling = readSampling(
    fields,
    body,
    maxCompletion ?? maxTokens,
    requestIdHeader,
    guidedFields,
    "chat",
    release,
  );
  const tagText = readTopStructuralTag(fields, guidedFields);
  const tools = readTools(fields);
  const rawChoice = fields.raw("tool_choice");
  checkChatValidators(fields, body, rawChoice);
  fields.finish();
  const guided = sampling.guided ?? (tagText ? { structuralTag: tagText } : undefined);
  if (sampling.guided === undefined && tagText) checkStructuralTag(tagText);
  const toolChoice = readToolChoice(rawChoice, tools.length > 0);
  const tooMany = checkLogprobs(topLogprobs);
  if (tooMany) throw tooMany;
  const invalid = verifySampling(sampling);
  if (invalid) throw invalid;
  return Object.assign(sampling, {
    guided,
    tools,
    toolChoice,
    model,
    messages,
    echo,
    logprobs,
    topLogprobs,
    addGenerationPrompt,
    addSpecialTokens,
    chatTemplateKwargs,
    imageParts,
  });
}

/**
 * ChatCompletionRequest's `check_tool_usage` and `check_logprobs`, both
 * `model_validator(mode="before")` (protocol.py): they read the raw body before any field is
 * validated, so their ValueError is the whole 400 even when fields are wrong too (pydantic
 * stops at a failing before-validator). `tool_choice` other than "none" needs `tools` present
 * (`"tools" not in data or data["tools"] is None`; an empty list passes); `top_logprobs` must not
 * be negative, and a positive one needs a truthy `logprobs` (`not data.get("logprobs")`). The
 * last names `top_logprobs` from 0.13.0 (VLLMValidationError beside `prompt_logprobs`-with-stream
 * in the same validator).
 */
function checkChatValidators(fields: FieldReader, body: unknown, rawChoice: unknown): void {
  // check_generation_prompt reads the raw body (`data.get`): an absent add_generation_prompt is
  // None there, so continue_final_message alone passes though the field defaults to true.
  if (
    pyTruthy(fields.raw("continue_final_message")) &&
    pyTruthy(fields.raw("add_generation_prompt"))
  ) {
    throw modelValueError(
      "Cannot set both `continue_final_message` and `add_generation_prompt` to True.",
      body,
    );
  }
  if (rawChoice !== undefined && rawChoice !== "none" && fields.raw("tools") === undefined) {
    throw modelValueError("When using `tool_choice`, `tools` must be set.", body);
  }
  const top = fields.raw("top_logprobs");
  if (typeof top !== "number") return;
  if (top < 0) throw modelValueError("`top_logprobs` must be a positive value.", body);
  if (top > 0 && !pyTruthy(fields.raw("logprobs"))) {
    throw modelValueError("when using `top_logprobs`, `logprobs` must be set to true.", body, {
      parameter: "top_logprobs",
    });
  }
}

/**
 * The top-level `structural_tag` of a chat request (protocol.py ChatCompletionRequest:
 * `structural_tag: Optional[str]`, the tag's JSON text, handed to GuidedDecodingParams beside the
 * `guided_*` fields; CompletionRequest has no such field). Read in the releases with the
 * `guided_*` fields and a structural tag model (from 0.9.0 to 0.11: vllm PR #29326 removed it with
 * them in 0.12.0, after which it is an unknown field, ignored). Guides only when no other field
 * does (the mock takes the first kind found).
 */
function readTopStructuralTag(fields: FieldReader, era: GuidedEra): string | undefined {
  const { fields: guidedFields, structuralTag } = eraOf(era);
  if (guidedFields === "structured-outputs" || structuralTag === "none") return undefined;
  return fields.string("structural_tag");
}

function readTools(fields: FieldReader): ToolSpec[] {
  const list = fields.list("tools") ?? [];
  const tools: ToolSpec[] = [];
  list.forEach((item, i) => {
    const fn = (item as { function?: { name?: unknown; parameters?: unknown } } | null)?.function;
    if (typeof fn?.name !== "string") {
      fields.nested("missing", ["tools", i, "function", "name"], item);
      return;
    }
    tools.push({ name: fn.name, parameters: fn.parameters ?? { type: "object" }, raw: item });
  });
  return tools;
}

/** vllm-openai.md §4.1: tool_choice "none" by default, "auto" when tools are given without one. */
function readToolChoice(raw: unknown, hasTools: boolean): ToolChoice {
  if (raw === undefined) return hasTools ? "auto" : "none";
  if (raw === "none" || raw === "auto" || raw === "required") return raw;
  const name = (raw as { function?: { name?: unknown } } | null)?.function?.name;
  if (typeof name === "string") return { name };
  throw badRequest(`Invalid tool_choice: ${JSON.stringify(raw)}`);
}
