/**
 * vLLM's wire behaviour changed between releases; the mock answers as one release does. Every
 * version-dependent choice is data in a {@link VllmProfile}, picked by `--vllm-version`, so the
 * handlers never branch on version numbers (vllm-openai.md §3, §3.1).
 */

/** The request fields that guide decoding (see {@link VllmProfile.guidedFields}). */
export type GuidedFields = "guided" | "both" | "structured-outputs";

/**
 * Which structural tag shapes `response_format` takes (structured.ts): `none` before vllm PR
 * #17085 (merged 2025-04-24; v0.8.5 followed four days later, so its first release is not pinned:
 * taken as 0.9.0), where `type: "structural_tag"` fails `ResponseFormat`'s Literal; `structures`
 * (that PR's `{type, structures: [{begin, schema, end}], triggers}`); `format` (xgrammar 0.1.25's
 * `{type, format}` beside the first shape, renamed `LegacyStructuralTagResponseFormat`: xgrammar
 * bumped by vllm PR #25467 on 2025-09-23, the protocol change's release not pinned: taken as
 * 0.12.0).
 */
export type StructuralTagShapes = "none" | "structures" | "format";

/**
 * Which `response_format` types guide `/v1/completions`: `json-object` while
 * `CompletionRequest.to_sampling_params` followed only `{"type": "json_object"}` (protocol.py up to
 * 0.10.1: a `json_schema` or `structural_tag` format is validated, then guides nothing), `all`
 * once vllm PR #23212 ("fix: response_format for completion", opened 2025-08-19, the day after
 * v0.10.1; its first release taken as 0.10.2) made it follow `json_schema` and `structural_tag`
 * as chat does.
 */
export type CompletionsFormats = "json-object" | "all";

/**
 * What a `json_schema` format without its `json_schema` object (absent or null) meets:
 * `assert` (`to_sampling_params` asserts it is there; the AssertionError escapes the handlers'
 * `except ValueError` and is answered 500 with an empty message, vllm issue #35438), or
 * `validator` (vllm PRs #35456 for completions, merged 2026-02-27, and #35510 for chat: a
 * `validate_response_format` model validator refuses it with a 400, "When response_format type
 * is 'json_schema', the 'json_schema' field must be provided."; both after v0.16.0, so from 0.17.0).
 */
export type MissingJsonSchema = "assert" | "validator";

/** What a release reads to guide decoding: the fields and the structural tag shapes. */
export interface StructuredOutputsEra {
  /** Which request fields guide decoding besides `response_format`. */
  readonly fields: GuidedFields;
  /** Which structural tag shapes `response_format` takes. */
  readonly structuralTag: StructuralTagShapes;
  /** Which `response_format` types guide `/v1/completions`. */
  readonly completionsFormats: CompletionsFormats;
  /** What a `json_schema` format without its schema object meets. */
  readonly missingJsonSchema: MissingJsonSchema;
}

/** How an error body is shaped (vllm-openai.md §3, vLLM PR #22099). */
export type ErrorEnvelopeStyle = "flat" | "nested";

/**
 * Which wording the context-length error has (vllm-openai.md §3.1): `a` up to ≈0.10.1, `b`
 * ≈0.10.2-0.11, `c` ≈0.12 and later (with `param: "input_tokens"`).
 */
export type ContextLengthEra = "a" | "b" | "c";

/**
 * Which metric names a release exports (vllm-openai.md §8): the V0 cache gauge
 * `vllm:gpu_cache_usage_perc` before V1's `vllm:kv_cache_usage_perc`, the `engine` label of V1
 * (≈0.10+), `vllm:time_per_output_token_seconds` (hidden from 0.12) and its replacement
 * `vllm:inter_token_latency_seconds` with `vllm:request_time_per_output_token_seconds` (≈0.11+).
 */
export interface MetricsEra {
  readonly cacheUsageName: "vllm:gpu_cache_usage_perc" | "vllm:kv_cache_usage_perc";
  readonly engineLabel: boolean;
  readonly timePerOutputToken: boolean;
  readonly interTokenLatency: boolean;
  /**
   * Whether the gauge `vllm:num_requests_waiting_by_reason` (label `reason`: `capacity`, queued
   * and not yet tried; `deferred`, tried and held back by LoRA budget or KV transfer) is
   * exported beside `vllm:num_requests_waiting`, the two reasons summing to it: vllm PR #38435,
   * listed in the v0.20.0 release notes, so from 0.20.0.
   */
  readonly waitingByReason: boolean;
}

const metricsV0: MetricsEra = {
  cacheUsageName: "vllm:gpu_cache_usage_perc",
  engineLabel: false,
  timePerOutputToken: true,
  interTokenLatency: false,
  waitingByReason: false,
};
const metricsV1: MetricsEra = {
  ...metricsV0,
  cacheUsageName: "vllm:kv_cache_usage_perc",
  engineLabel: true,
};
const metricsItl: MetricsEra = { ...metricsV1, interTokenLatency: true };
const metricsNoTpot: MetricsEra = { ...metricsItl, timePerOutputToken: false };
const metricsByReason: MetricsEra = { ...metricsNoTpot, waitingByReason: true };

/**
 * What a release does with `best_of` (vllm-openai.md §4.2): `v0` (the V0 engine, before 0.8)
 * generates `best_of` candidates and returns the `n` with the highest cumulative logprob (a
 * completions stream with `best_of` ≠ `n` goes out as one event); `refused` (the V1 engine,
 * default from 0.8: vllm/v1/engine/processor.py) answers 400 "vLLM V1 does not yet support
 * best_of." for `best_of` > 1; `ignored` (≈0.12, vLLM PR #29090 removed the field) treats it as
 * an unknown field.
 */
export type BestOfSupport = "v0" | "refused" | "ignored";

/** What a release's Responses API does (the non-harmony path, responses.ts). */
export interface ResponsesEra {
  /**
   * Function tools are refused: "Tool use is not supported in Responses API without Harmony"
   * (v0.11.0, vllm issue #28173); vllm PR #26874 (Oct 2025) calls them from ≈0.12.
   */
  readonly toolsRefused: boolean;
  /**
   * A generation cut by `max_output_tokens` reports `status: "incomplete"` with
   * `incomplete_details.reason: "max_output_tokens"` (vllm PR #31836, Jan 2026, ≈0.14); before,
   * SimpleContext always said `completed` (vllm issue #24184).
   */
  readonly incompleteOnLength: boolean;
  /**
   * What `stream: true` does: `uncaught` (v0.10.0, vllm PR #20504's serving_responses.py:
   * `create_responses` raises NotImplementedError("Streaming responses are not supported"), which
   * no handler catches: Starlette's plain 500); `after-headers` (≈0.10.1, the gpt-oss release: the
   * stream generator raises "Streaming is not supported for responses API without Harmony." at
   * its first step, after the 200 headers, so the connection drops); `served` (vllm PR #23741,
   * opened 2025-08-27; its first release is not pinned, taken as 0.10.2). Before `served`,
   * `background` wins over `stream` (its branch comes first) and `GET /v1/responses/{id}` takes
   * no query (`retrieve_responses(response_id)`).
   */
  readonly streaming: "uncaught" | "after-headers" | "served";
  /**
   * The `usage` object: `chat` (v0.10.0: the chat `UsageInfo`, `prompt_tokens`, `total_tokens`,
   * `completion_tokens`, `prompt_tokens_details`), `basic` (≈0.10.1: `ResponseUsage` with
   * `input_tokens_details.cached_tokens` and `output_tokens_details.reasoning_tokens` only,
   * protocol.py of the era), `per-turn` (the per-turn lists and `tool_output_tokens` added later;
   * the mock's earlier eras, their first release not pinned).
   */
  readonly usage: "chat" | "basic" | "per-turn";
  /**
   * Whether an id without the `resp_` prefix is 400 invalid_request_error "Invalid
   * 'response_id': '<id>'. Expected an ID that begins with 'resp'." for `previous_response_id`,
   * retrieve and cancel (serving_responses.py `_make_invalid_id_error` of v0.10.0 and ≈0.10.1);
   * later releases look the id up and answer 404 (when the check went is not pinned: from 0.10.2
   * here).
   */
  readonly idPrefixChecked: boolean;
  /**
   * Function tools neither rendered nor called (v0.10.0, vllm PR #20504's serving_responses.py
   * renders the messages without tools and has no tool path; the "Tool use is not supported"
   * refusal came with the gpt-oss release, ≈0.10.1).
   */
  readonly toolsIgnored: boolean;
  /**
   * How `stream: true` makes its events (responses-stream.ts). `text`: serving_responses.py
   * `_process_simple_streaming_events` as vllm PR #23741 wrote it (its "todo(kebe7jun) tool call
   * support" still there in vllm PR #36445's text of 2026-03-09): every engine output is one
   * `response.output_text.delta` (an empty one too: `DeltaMessage(content="")` is sent, and the
   * first output opens the message even when empty), `content_index` counts up by one per event
   * from the content part (0) through the deltas (1...n) to `output_text.done` (n + 1) and
   * `content_part.done` (n + 2), and a called function streams as that text inside a message
   * item (vllm issues #29725 and #36435) while `response.completed`, built by the full
   * generator, holds the parsed `function_call`. `parsed`: vllm PR #29947 (merged 2026-03-12,
   * after 0.17.0; taken as 0.18.0, the release not pinned) streams a call as a `function_call`
   * item with `response.function_call_arguments.delta`/`.done`, `content_index` 0 throughout
   * (responses/simple_streaming_events.py; empty outputs still go out as deltas).
   */
  readonly streamItems: "text" | "parsed";
  /**
   * What `response.completed` of a stream holds: `last-output` (SimpleContext keeps only the
   * newest engine output, a delta when streaming, so the full generator builds the output from
   * the last output's text alone: `[]` when that was an empty EOS step; vllm PR #30237, opened
   * 2025-12-08 against the code of 0.12, fixed it; its release is not pinned: from 0.14 here);
   * `whole` (the whole text, SimpleContext accumulating it).
   */
  readonly completedOutput: "last-output" | "whole";
  /**
   * Whether `structured_outputs` (StructuredOutputsParams) guides a Responses request, refused
   * beside a `text.format` with "Cannot specify both structured_outputs and text.format" (param
   * `structured_outputs`) by `to_sampling_params`: vllm PR #33709 ("Enable generic
   * structured_outputs for responses API", opened 2026-02-03, merged before vllm PR #35904 of
   * March 2026 called it merged; its release is not pinned: from 0.17.0 here). Before, the field
   * is unknown and ignored.
   */
  readonly structuredOutputs: boolean;
  /**
   * Whether the response's `text` prints the JSON schema under its alias `schema` (pydantic
   * `model_dump(by_alias=True)` / `model_dump_json(by_alias=True)` in responses/api_router.py)
   * instead of the field name `schema_`: vllm PR #38519 ("Fix Responses JSON schema alias
   * serialization", opened 2026-03-30, merged after 2026-04-02; vllm issue #26288 reported it on
   * 0.10.2): true from 0.20.0, whose release notes list the PR (as its author's first
   * contribution), false through 0.19.x (0.19.0 was published 2026-04-03).
   */
  readonly textByAlias: boolean;
  /**
   * Which sampling penalties `ResponsesRequest` reads (responses/protocol.py); absent: none, each
   * an unknown field, ignored. `repetition`: `repetition_penalty: float | None` (vllm PR #32609,
   * listed in vLLM's weekly summary of 2026-02-06 beside the v0.15.1 patch, so from 0.16.0),
   * unbounded in the model and refused at or below zero by SamplingParams ("repetition_penalty
   * must be greater than zero, got 0.0."). `all`: beside it `presence_penalty` and
   * `frequency_penalty` (vllm PR #38613, opened 2026-03-31; the v0.20.0 release notes list it:
   * from 0.20.0), each `float | None =
   * Field(ge=-2.0, le=2.0)`: out of range is pydantic's `greater_than_equal` / `less_than_equal`
   * 400; the response does not echo them (ResponsesResponse has no such field).
   */
  readonly penalties?: "repetition" | "all";
  /**
   * Whether a `parsed` stream ({@link ResponsesEra.streamItems}) sends a call its `tool_choice`
   * forces (`required`, or a named function) as function_call events: vllm PRs #40700
   * ("Responses API supports Tool/Function calling with streaming with required") and #41110
   * (the same "with named tool/function", committed 2026-04-29), both in the v0.21.0 release
   * notes, so from 0.21.0. Before (absent), only an `auto` call the tool parser finds streams as
   * a call (vllm PR #29947); a forced call's guided JSON has no call markup, so it streams as
   * `output_text` deltas in a message item, while `response.completed` (the full generator's
   * `_make_response_output_items`) holds the function_call.
   */
  readonly forcedCallEvents?: boolean;
  /**
   * Whether `validate_background` raises VLLMValidationError naming `background` (its 400's
   * `param`), not a plain ValueError: vllm PR #35531 ("Clean up ResponsesRequest model
   * validators", merged in the week of vLLM's weekly summary of 2026-03-06, beside vllm PR #35588
   * that {@link VllmProfile.anthropicCountTokens} dates to 0.17.0), so from 0.17.0. Absent: the
   * ValueError, `param` null.
   */
  readonly backgroundParam?: boolean;
  /**
   * Whether `ResponsesRequest` checks `tool_choice` against `tools` (`check_tool_usage`, a
   * `mode="before"` validator: vllm PR #40399, opened 2026-04-20, in vLLM's weekly summary of
   * 2026-04-24, the week's last merge #40746 and #40681 of 2026-04-23 both in the v0.20.0 notes
   * of 2026-04-27): from 0.20.0. With no tools (absent, null or `[]`), `auto` or `none` (or no choice) becomes
   * `none`, echoed so; `required` is refused with "Tool choice 'required' must be specified with
   * 'tools' parameter."; a named function without a tool of that name, with or without tools,
   * "Tool choice 'function' not found in 'tools' parameter.", both VLLMValidationError naming
   * `tool_choice`. Absent: no check, the choice echoed as sent.
   */
  readonly toolChoiceChecked?: boolean;
}

/**
 * Where a chat answer puts the reasoning a `--reasoning-parser` splits out (reasoning-parser.ts):
 * `reasoning_content` from v0.7.1 (vLLM PR #12473, DeepSeek's name); `both` from ≈0.11.1 (vLLM PR
 * #27752, merged 2025-11-08: `reasoning` added and a validator copies it into the deprecated
 * `reasoning_content`, so both go out, the old one also on every stream delta as pydantic counts
 * the validator's assignment as set); `reasoning` from ≈0.16.0 (vLLM PR #33402, Jan 2026, removed
 * `reasoning_content`).
 */
export type ReasoningFields = "reasoning_content" | "both" | "reasoning";

/**
 * What `--enable-reasoning` does: `required` (v0.7.1-0.8.x: the parser runs only with it, and it
 * needs `--reasoning-parser`), `deprecated` (0.9.x, vLLM PR #17452: the parser alone enables
 * reasoning, the flag is accepted), `removed` (0.10.0+: argparse's "unrecognized arguments").
 */
export type EnableReasoningFlag = "required" | "deprecated" | "removed";

/**
 * What a vLLM request validator raises, as its 400 prints it. `value-error`: a plain ValueError
 * (pydantic's `Value error, <text>`, ctx `{'error': ValueError('<text>')}`, envelope `param`
 * null). `vllm-validation-error`: vLLM PR #30134 (merged 2025-12-05, after v0.12.0 was out:
 * vllm-ascend PR #4691 pinned it on 2025-12-04; v0.13.0 followed on 2025-12-19, huggingface/trl
 * PR #6154, so from 0.13.0) made the validators raise
 * `VLLMValidationError(text, parameter=..., value=...)`, whose str appends
 * ` (parameter=<name>[, value=<value>])` to the msg, whose repr fills ctx, and whose `parameter`
 * the validation handler puts into the envelope's `param` (the first such error's).
 * `sampling-validation-error`: as `vllm-validation-error`, and the sampling checks vLLM PR
 * #31870 converted (opened 2026-01-07, merged into the 0.14 cycle: the release is inferred from
 * dates, not pinned) raise VLLMValidationError too: `temperature` and `top_p` out of range, too
 * many sample or prompt logprobs. They are raised outside pydantic (SamplingParams, the input
 * processor), so `create_error_response` answers `str(e)`, the text with
 * ` (parameter=<name>, value=<value>)` appended, and `param` the parameter (serving_engine.py).
 */
export type ValidatorErrorEra =
  | "value-error"
  | "vllm-validation-error"
  | "sampling-validation-error";

/** The version-dependent behaviour of one vLLM release range. */
export interface VllmProfile {
  /** The first release (inclusive) this profile describes, `major.minor.patch`. */
  readonly since: string;
  /**
   * `flat` (≤ 0.10.0): `{"object":"error","message","type","param","code"}`; `nested`
   * (≥ 0.10.1): `{"error":{"message","type","param","code"}}`.
   */
  readonly envelope: ErrorEnvelopeStyle;
  /** The context-length message era. */
  readonly contextLength: ContextLengthEra;
  /** What the request validators raise ({@link ValidatorErrorEra}). */
  readonly validatorErrors: ValidatorErrorEra;
  /**
   * Whether the chat endpoint appends `" " + str(e.__cause__)` (the literal ` None`) to a
   * context-length message: vllm-openai.md §3.1 (era A) and a v0.10.2+-era message observed in
   * the wild ending `(8000 > 4096 - 2778). None` (era B).
   */
  readonly chatCauseSuffix: boolean;
  /** The metric names `/metrics` exports. */
  readonly metrics: MetricsEra;
  /** What `best_of` does. */
  readonly bestOf: BestOfSupport;
  /**
   * Whether `--gpu` schedules asynchronously when no flag says: from 0.14.0 (its release notes:
   * "Async scheduling is now enabled by default", PR #27614; `--no-async-scheduling` turns it off).
   */
  readonly asyncScheduling: boolean;
  /**
   * The Responses API (`/v1/responses`, vllm-openai.md §1: ≈v0.10+) and how it behaves;
   * undefined: not served (FastAPI's 404).
   */
  readonly responses: ResponsesEra | undefined;
  /**
   * Whether `vllm serve` answers Anthropic's Messages API, `POST /v1/messages`
   * (anthropic-messages.ts): from v0.11.1 (its release notes: "Anthropic API Support: Added
   * support for the /v1/messages endpoint"; vllm PR #27882 put the route into the OpenAI server).
   * Before, FastAPI's 404.
   */
  readonly anthropicMessages: boolean;
  /**
   * Whether `POST /v1/messages/count_tokens` is served (anthropic-messages.ts): vllm PR #35588,
   * merged 2026-02-28, after v0.16.0 was out (ai-dynamo/dynamo PR #6652 bumped to it on
   * 2026-02-26), so from v0.17.0; its PR text answers `{"input_tokens":11,
   * "context_management":{"original_input_tokens":11}}`. Before, FastAPI's 404.
   */
  readonly anthropicCountTokens: boolean;
  /**
   * Whether `vllm serve` takes `--stream-interval N` (vllm/config/scheduler.py `stream_interval`,
   * default 1; vllm PR #27869, approved 2025-11-12, after the 0.11.1 branch: from 0.12.0): after a
   * request's first output its tokens go out once N have gathered (output_processor.py). Before,
   * argparse's "unrecognized arguments".
   */
  readonly streamInterval: boolean;
  /**
   * Whether a request's `chat_template_kwargs` holding `tokenize` or `chat_template` is refused:
   * chat_utils.py `resolve_chat_template_kwargs` raises ValueError "Found unexpected chat template
   * kwargs from request: {'tokenize'}" (vLLM PR #25794, security advisories GHSA-6fvq-23cw-5628
   * and GHSA-4hw3-g54f-xfrj; still under review on 2025-10-04, after v0.11.0 was out, so from
   * ≈0.11.1; the release is not pinned). Before, the keys reached the template's call.
   */
  readonly templateKwargsRefused: boolean;
  /**
   * Whether `prompt_logprobs: -1` (every token of the vocabulary) passes the request model's
   * `check_logprobs`: vLLM PR #24956 ("Support returning all prompt logprobs", fixing issue
   * #24948, which 0.10.2 answered "`prompt_logprobs` must be a positive value."), merged on
   * 2025-09-16, after v0.10.2 (2025-09-13) and before v0.11.0 (2025-10-02), so from 0.11.0
   * (inferred from dates). From then a value below -1 reads "`prompt_logprobs` must be a positive
   * value or -1." and -1 with `stream` meets the stream refusal (`> 0 or == -1`); in every release
   * `prompt_logprobs: 0` streams (the refusal needs `> 0`).
   */
  readonly promptLogprobsAll: boolean;
  /**
   * Whether the input processor refuses `logit_bias` keys outside the vocabulary with a 400
   * ("token_id(s) [...] in logit_bias contain out-of-vocab token ids. Vocabulary size: N",
   * vllm/v1/engine/processor.py `_validate_logit_bias`, vLLM PR #16529 of April 2025, which
   * fixed V1 engine crashes on such keys): from 0.9.0, the first profiled release after it. The
   * 0.8.x and older profiles leave such keys unchecked (V1's crash and V0's own text unmodelled).
   * The same releases check `allowed_token_ids` (the processor's `_validate_sampling_params`:
   * "allowed_token_ids is not None and empty!", "allowed_token_ids contains out-of-vocab token
   * id!" against the tokenizer's length), pinned from 0.9.0 with it (older V1 releases likely had
   * it too; not pinned).
   */
  readonly tokenIdsInVocab: boolean;
  /**
   * Whether the chat and completions request models take `truncate_prompt_tokens: -1` (the
   * prompt truncated to `max_model_len`): protocol.py `Field(ge=-1)` from vLLM PR #22761 ("Fix
   * wrong truncate_prompt_tokens type hint", opened 2025-08-12 for issue #22635, reviewed until
   * 2025-08-20; taken as first released in 0.10.2 of 2025-09-13, inferred from dates). Before,
   * `Field(ge=1)`: -1 and 0 answer pydantic's `greater_than_equal` with `ge` 1.
   */
  readonly truncateToModelLength: boolean;
  /** Which fields carry a chat answer's reasoning. */
  readonly reasoningFields: ReasoningFields;
  /** What `--enable-reasoning` does in this release. */
  readonly enableReasoningFlag: EnableReasoningFlag;
  /**
   * What guides decoding. `fields`: which request fields besides `response_format`: the `guided_*` fields alone
   * before 0.10.2; `structured_outputs` beside them from 0.10.2 (vLLM PR #22772, merged
   * 2025-08-13, which deprecated them); `structured_outputs` alone from 0.12.0 (PR #29326
   * "Scheduled removal of guided_* config fields", merged 2025-11-24 for v0.12.0), where a
   * `guided_*` field is an unknown field, ignored with a 200 and unconstrained output.
   * `structuralTag`: the structural tag shapes ({@link StructuralTagShapes}).
   */
  readonly guidedFields: StructuredOutputsEra;
  /**
   * Whether non-streaming chat answers carry a `system_fingerprint` string (system-fingerprint.ts)
   * instead of `null`: vllm PR #40537 (merged 2026-04, after v0.20.0; taken to be in 0.21.0),
   * fingerprint.py's default `full` mode; absent: `null` as before.
   */
  readonly systemFingerprint?: boolean;
  /**
   * Whether non-streaming completions answers carry `service_tier` and `system_fingerprint`
   * (both `null` unless {@link systemFingerprint}) between `choices` and `usage`, as chat answers
   * always did: protocol.py CompletionResponse declares both (Optional, default None) in a
   * 0.10.1-era tree (nested error envelope, before vLLM PRs #22587 and #22761), dumped whole.
   * Set from 0.10.1, the earliest release the source pins; older releases unpinned (absent).
   */
  readonly completionServiceTier?: boolean;
  /**
   * Whether the chat and completions request models read `return_token_ids` and the answers carry
   * the token-id keys (vLLM PR #22587, opened 2025-08-10; first in 0.10.2, the release NVIDIA-NeMo
   * Gym issue #1108 names for it): a completions choice has `token_ids` after `stop_reason` and
   * `prompt_token_ids` after `prompt_logprobs`; a chat choice `token_ids` after `stop_reason`.
   * Both are `null` unless the request sets `return_token_ids: true` (non-streaming answers are
   * dumped whole, nulls kept; vLLM issue #28246 shows `"token_ids":null` on a chat choice).
   * Before, `return_token_ids` is an unknown field, ignored.
   */
  readonly returnTokenIds?: boolean;
}

const responsesServed = {
  textByAlias: false,
  streaming: "served",
  usage: "per-turn",
  idPrefixChecked: false,
  toolsIgnored: false,
  streamItems: "text",
} as const;
const responses0100: ResponsesEra = {
  textByAlias: false,
  structuredOutputs: false,
  toolsRefused: false,
  incompleteOnLength: false,
  streaming: "uncaught",
  usage: "chat",
  idPrefixChecked: true,
  toolsIgnored: true,
  streamItems: "text",
  completedOutput: "last-output",
};
const responses0101: ResponsesEra = {
  textByAlias: false,
  structuredOutputs: false,
  toolsRefused: true,
  incompleteOnLength: false,
  streaming: "after-headers",
  usage: "basic",
  idPrefixChecked: true,
  toolsIgnored: false,
  streamItems: "text",
  completedOutput: "last-output",
};
const responsesToolsRefused: ResponsesEra = {
  structuredOutputs: false,
  toolsRefused: true,
  incompleteOnLength: false,
  completedOutput: "last-output",
  ...responsesServed,
};
const responsesWithTools: ResponsesEra = {
  structuredOutputs: false,
  toolsRefused: false,
  incompleteOnLength: false,
  completedOutput: "last-output",
  ...responsesServed,
};
const responsesIncomplete: ResponsesEra = {
  structuredOutputs: false,
  toolsRefused: false,
  incompleteOnLength: true,
  completedOutput: "whole",
  ...responsesServed,
};
/** 0.16.0: `repetition_penalty` read (vllm PR #32609, {@link ResponsesEra.penalties}). */
const responsesRepetition: ResponsesEra = { ...responsesIncomplete, penalties: "repetition" };
/** 0.17.0: `structured_outputs` read; validate_background names `background` (vllm PR #35531). */
const responsesStructured: ResponsesEra = {
  ...responsesRepetition,
  structuredOutputs: true,
  backgroundParam: true,
};
const responsesParsedStream: ResponsesEra = { ...responsesStructured, streamItems: "parsed" };

/**
 * v0.18.0 (2026-03-20): the newest release whose every field is pinned on its own; later
 * profiles spread it and name only what differs.
 */
const v0_18: VllmProfile = {
  since: "0.18.0",
  envelope: "nested",
  contextLength: "c",
  validatorErrors: "sampling-validation-error",
  chatCauseSuffix: false,
  metrics: metricsNoTpot,
  bestOf: "ignored",
  asyncScheduling: true,
  responses: responsesParsedStream,
  anthropicMessages: true,
  anthropicCountTokens: true,
  streamInterval: true,
  reasoningFields: "reasoning",
  templateKwargsRefused: true,
  enableReasoningFlag: "removed",
  promptLogprobsAll: true,
  tokenIdsInVocab: true,
  truncateToModelLength: true,
  completionServiceTier: true,
  returnTokenIds: true,
  guidedFields: {
    fields: "structured-outputs",
    structuralTag: "format",
    completionsFormats: "all",
    missingJsonSchema: "validator",
  },
};

/**
 * v0.20.0 (its release notes name vllm PR #38519 among the new contributors' first pull requests,
 * so the fix is not in 0.19.x): the Responses API prints the echoed JSON schema under its alias
 * `schema` ({@link ResponsesEra.textByAlias}) and reads `presence_penalty` / `frequency_penalty`
 * ({@link ResponsesEra.penalties}, vllm PR #38613), checks `tool_choice` against `tools`
 * ({@link ResponsesEra.toolChoiceChecked}, vllm PR #40399), and `/metrics` adds
 * `vllm:num_requests_waiting_by_reason` ({@link MetricsEra.waitingByReason}, vllm PR #38435).
 * Nothing else the profile models changed from 0.18: v0.19.0's notes add
 * `/v1/chat/completions/batch` (vllm PR #38011, chat-batch.ts) and no field here differs; v0.20.0's
 * metric removal (`vllm:prompt_tokens_recomputed`, vllm PR #38709) names a metric the mock never
 * exported.
 */
const responses0200: ResponsesEra = {
  ...responsesParsedStream,
  textByAlias: true,
  penalties: "all",
  toolChoiceChecked: true,
};
const v0_20: VllmProfile = {
  ...v0_18,
  since: "0.20.0",
  metrics: metricsByReason,
  responses: responses0200,
};

/**
 * v0.21.0: the OpenAI-compatible server stamps `system_fingerprint` by default (vllm PR #40537,
 * {@link VllmProfile.systemFingerprint}) and a Responses stream sends a forced call as
 * function_call events (vllm PRs #40700, #41110: {@link ResponsesEra.forcedCallEvents}); the rest
 * answers as 0.20.0.
 */
const v0_21: VllmProfile = {
  ...v0_20,
  since: "0.21.0",
  systemFingerprint: true,
  responses: { ...responses0200, forcedCallEvents: true },
};
/** The profiles, oldest first; a version uses the last one whose `since` it reaches. */
export const vllmProfiles: readonly VllmProfile[] = [
  {
    since: "0.0.0",
    envelope: "flat",
    contextLength: "a",
    validatorErrors: "value-error",
    chatCauseSuffix: true,
    metrics: metricsV0,
    bestOf: "v0",
    asyncScheduling: false,
    responses: undefined,
    anthropicMessages: false,
    anthropicCountTokens: false,
    streamInterval: false,
    reasoningFields: "reasoning_content",
    templateKwargsRefused: false,
    enableReasoningFlag: "required",
    promptLogprobsAll: false,
    tokenIdsInVocab: false,
    truncateToModelLength: false,
    guidedFields: {
      fields: "guided",
      structuralTag: "none",
      completionsFormats: "json-object",
      missingJsonSchema: "assert",
    },
  },
  {
    since: "0.8.0",
    envelope: "flat",
    contextLength: "a",
    validatorErrors: "value-error",
    chatCauseSuffix: true,
    metrics: metricsV0,
    bestOf: "refused",
    asyncScheduling: false,
    responses: undefined,
    anthropicMessages: false,
    anthropicCountTokens: false,
    streamInterval: false,
    reasoningFields: "reasoning_content",
    templateKwargsRefused: false,
    enableReasoningFlag: "required",
    promptLogprobsAll: false,
    tokenIdsInVocab: false,
    truncateToModelLength: false,
    guidedFields: {
      fields: "guided",
      structuralTag: "none",
      completionsFormats: "json-object",
      missingJsonSchema: "assert",
    },
  },
  {
    since: "0.9.0",
    envelope: "flat",
    contextLength: "a",
    validatorErrors: "value-error",
    chatCauseSuffix: true,
    metrics: metricsV0,
    bestOf: "refused",
    asyncScheduling: false,
    responses: undefined,
    anthropicMessages: false,
    anthropicCountTokens: false,
    streamInterval: false,
    reasoningFields: "reasoning_content",
    templateKwargsRefused: false,
    enableReasoningFlag: "deprecated",
    promptLogprobsAll: false,
    tokenIdsInVocab: true,
    truncateToModelLength: false,
    guidedFields: {
      fields: "guided",
      structuralTag: "structures",
      completionsFormats: "json-object",
      missingJsonSchema: "assert",
    },
  },
  {
    since: "0.10.0",
    envelope: "flat",
    contextLength: "a",
    validatorErrors: "value-error",
    chatCauseSuffix: true,
    metrics: metricsV1,
    bestOf: "refused",
    asyncScheduling: false,
    responses: responses0100,
    anthropicMessages: false,
    anthropicCountTokens: false,
    streamInterval: false,
    reasoningFields: "reasoning_content",
    templateKwargsRefused: false,
    enableReasoningFlag: "removed",
    promptLogprobsAll: false,
    tokenIdsInVocab: true,
    truncateToModelLength: false,
    guidedFields: {
      fields: "guided",
      structuralTag: "structures",
      completionsFormats: "json-object",
      missingJsonSchema: "assert",
    },
  },
  {
    since: "0.10.1",
    envelope: "nested",
    contextLength: "a",
    validatorErrors: "value-error",
    chatCauseSuffix: true,
    metrics: metricsV1,
    bestOf: "refused",
    asyncScheduling: false,
    responses: responses0101,
    anthropicMessages: false,
    anthropicCountTokens: false,
    streamInterval: false,
    reasoningFields: "reasoning_content",
    templateKwargsRefused: false,
    enableReasoningFlag: "removed",
    promptLogprobsAll: false,
    tokenIdsInVocab: true,
    truncateToModelLength: false,
    completionServiceTier: true,
    guidedFields: {
      fields: "guided",
      structuralTag: "structures",
      completionsFormats: "json-object",
      missingJsonSchema: "assert",
    },
  },
  {
    since: "0.10.2",
    envelope: "nested",
    contextLength: "b",
    validatorErrors: "value-error",
    chatCauseSuffix: true,
    metrics: metricsV1,
    bestOf: "refused",
    asyncScheduling: false,
    responses: responsesToolsRefused,
    anthropicMessages: false,
    anthropicCountTokens: false,
    streamInterval: false,
    reasoningFields: "reasoning_content",
    templateKwargsRefused: false,
    enableReasoningFlag: "removed",
    promptLogprobsAll: false,
    tokenIdsInVocab: true,
    truncateToModelLength: true,
    completionServiceTier: true,
    returnTokenIds: true,
    guidedFields: {
      fields: "both",
      structuralTag: "structures",
      completionsFormats: "all",
      missingJsonSchema: "assert",
    },
  },
  {
    since: "0.11.0",
    envelope: "nested",
    contextLength: "b",
    validatorErrors: "value-error",
    chatCauseSuffix: true,
    metrics: metricsItl,
    bestOf: "refused",
    asyncScheduling: false,
    responses: responsesToolsRefused,
    anthropicMessages: false,
    anthropicCountTokens: false,
    streamInterval: false,
    reasoningFields: "reasoning_content",
    templateKwargsRefused: false,
    enableReasoningFlag: "removed",
    promptLogprobsAll: true,
    tokenIdsInVocab: true,
    truncateToModelLength: true,
    completionServiceTier: true,
    returnTokenIds: true,
    guidedFields: {
      fields: "both",
      structuralTag: "structures",
      completionsFormats: "all",
      missingJsonSchema: "assert",
    },
  },
  {
    since: "0.11.1",
    envelope: "nested",
    contextLength: "b",
    validatorErrors: "value-error",
    chatCauseSuffix: true,
    metrics: metricsItl,
    bestOf: "refused",
    asyncScheduling: false,
    responses: responsesToolsRefused,
    anthropicMessages: true,
    anthropicCountTokens: false,
    streamInterval: false,
    reasoningFields: "both",
    templateKwargsRefused: true,
    enableReasoningFlag: "removed",
    promptLogprobsAll: true,
    tokenIdsInVocab: true,
    truncateToModelLength: true,
    completionServiceTier: true,
    returnTokenIds: true,
    guidedFields: {
      fields: "both",
      structuralTag: "structures",
      completionsFormats: "all",
      missingJsonSchema: "assert",
    },
  },
  {
    since: "0.12.0",
    envelope: "nested",
    contextLength: "c",
    validatorErrors: "value-error",
    chatCauseSuffix: false,
    metrics: metricsNoTpot,
    bestOf: "ignored",
    asyncScheduling: false,
    responses: responsesWithTools,
    anthropicMessages: true,
    anthropicCountTokens: false,
    streamInterval: true,
    reasoningFields: "both",
    templateKwargsRefused: true,
    enableReasoningFlag: "removed",
    promptLogprobsAll: true,
    tokenIdsInVocab: true,
    truncateToModelLength: true,
    completionServiceTier: true,
    returnTokenIds: true,
    guidedFields: {
      fields: "structured-outputs",
      structuralTag: "format",
      completionsFormats: "all",
      missingJsonSchema: "assert",
    },
  },
  {
    since: "0.13.0",
    envelope: "nested",
    contextLength: "c",
    validatorErrors: "vllm-validation-error",
    chatCauseSuffix: false,
    metrics: metricsNoTpot,
    bestOf: "ignored",
    asyncScheduling: false,
    responses: responsesWithTools,
    anthropicMessages: true,
    anthropicCountTokens: false,
    streamInterval: true,
    reasoningFields: "both",
    templateKwargsRefused: true,
    enableReasoningFlag: "removed",
    promptLogprobsAll: true,
    tokenIdsInVocab: true,
    truncateToModelLength: true,
    completionServiceTier: true,
    returnTokenIds: true,
    guidedFields: {
      fields: "structured-outputs",
      structuralTag: "format",
      completionsFormats: "all",
      missingJsonSchema: "assert",
    },
  },
  {
    since: "0.14.0",
    envelope: "nested",
    contextLength: "c",
    validatorErrors: "sampling-validation-error",
    chatCauseSuffix: false,
    metrics: metricsNoTpot,
    bestOf: "ignored",
    asyncScheduling: true,
    responses: responsesIncomplete,
    anthropicMessages: true,
    anthropicCountTokens: false,
    streamInterval: true,
    reasoningFields: "both",
    templateKwargsRefused: true,
    enableReasoningFlag: "removed",
    promptLogprobsAll: true,
    tokenIdsInVocab: true,
    truncateToModelLength: true,
    completionServiceTier: true,
    returnTokenIds: true,
    guidedFields: {
      fields: "structured-outputs",
      structuralTag: "format",
      completionsFormats: "all",
      missingJsonSchema: "assert",
    },
  },
  {
    since: "0.16.0",
    envelope: "nested",
    contextLength: "c",
    validatorErrors: "sampling-validation-error",
    chatCauseSuffix: false,
    metrics: metricsNoTpot,
    bestOf: "ignored",
    asyncScheduling: true,
    responses: responsesRepetition,
    anthropicMessages: true,
    anthropicCountTokens: false,
    streamInterval: true,
    reasoningFields: "reasoning",
    templateKwargsRefused: true,
    enableReasoningFlag: "removed",
    promptLogprobsAll: true,
    tokenIdsInVocab: true,
    truncateToModelLength: true,
    completionServiceTier: true,
    returnTokenIds: true,
    guidedFields: {
      fields: "structured-outputs",
      structuralTag: "format",
      completionsFormats: "all",
      missingJsonSchema: "assert",
    },
  },
  {
    since: "0.17.0",
    envelope: "nested",
    contextLength: "c",
    validatorErrors: "sampling-validation-error",
    chatCauseSuffix: false,
    metrics: metricsNoTpot,
    bestOf: "ignored",
    asyncScheduling: true,
    responses: responsesStructured,
    anthropicMessages: true,
    anthropicCountTokens: true,
    streamInterval: true,
    reasoningFields: "reasoning",
    templateKwargsRefused: true,
    enableReasoningFlag: "removed",
    promptLogprobsAll: true,
    tokenIdsInVocab: true,
    truncateToModelLength: true,
    completionServiceTier: true,
    returnTokenIds: true,
    guidedFields: {
      fields: "structured-outputs",
      structuralTag: "format",
      completionsFormats: "all",
      missingJsonSchema: "validator",
    },
  },
  v0_18,
  v0_20,
  v0_21,
];

/**
 * The version the mock reports (`GET /version`) and behaves as when `--vllm-version` is not
 * given: the newest era the reference describes.
 */
export const defaultVllmVersion = "0.12.0";

/**
 * Reads `major.minor.patch` from a version string as vLLM publishes them (`0.10.1`, `v0.9.2`,
 * `0.11.0rc1`, `0.10.1.1`, `0.8.5+cu124`). Returns undefined when there is no such prefix.
 */
export function parseVersion(version: string): readonly [number, number, number] | undefined {
  const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(version.trim());
  if (!match) return undefined;
  return [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < 3; i += 1) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Whether vLLM `version` is `since` or later (both `major.minor[.patch]`; an unreadable one
 * counts as 0.0.0): for release facts that are not a profile field, such as a parser's arrival.
 */
export function releasedBy(version: string, since: string): boolean {
  return compare(parseVersion(version) ?? [0, 0, 0], parseVersion(since) ?? [0, 0, 0]) >= 0;
}

/**
 * The profile of a vLLM version. Throws an Error naming the accepted form when the version
 * cannot be read (the CLI shows it).
 */
export function profileFor(version: string): VllmProfile {
  const parsed = parseVersion(version);
  if (!parsed) {
    throw new Error(`--vllm-version: '${version}' is not a vLLM version like 0.10.1`);
  }
  let chosen = vllmProfiles[0] as VllmProfile;
  for (const profile of vllmProfiles) {
    const since = parseVersion(profile.since) ?? [0, 0, 0];
    if (compare(parsed, since) >= 0) chosen = profile;
  }
  return chosen;
}
