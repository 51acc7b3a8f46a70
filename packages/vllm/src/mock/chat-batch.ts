/**
 * `POST /v1/chat/completions/batch` (vLLM 0.19.0+, vllm PR #38011 in the v0.19.0 release notes;
 * BatchChatCompletionRequest in chat_completion/protocol.py, OpenAIServingChatBatch in
 * chat_completion/batch_serving.py): `messages` is a list of conversations, each answered as its
 * own chat request, and the reply is ONE chat.completion whose choice `i` answers conversation
 * `i`, usage summed over them. The batch model's before-validator refuses `n` other than 1 and
 * beam search; `tool_choice` may only be "none"; `stream` and `tools` are not fields of the batch
 * model, so (extra fields allowed) they pass into each conversation's request: tools are then
 * dropped (the batch server renders with no tools) and a stream turns the engine's output into
 * deltas of which only the last is kept, so every choice's content comes back empty with HTTP 200
 * (vLLM issue #50026, seen on 0.26.0; the fixes #50027/#50042 are open).
 */

import { chatCompletion } from "./chat-completions.js";
import { usageOf } from "./choices.js";
import {
  fieldIssue,
  literalIssue,
  type PydanticIssue,
  pydanticError,
  valueErrorIssue,
} from "./pydantic-errors.js";
import { type ChatRequest, parseChatRequest } from "./requests.js";
import { checkModelName, type VllmModel } from "./served-model.js";

/** The first release serving the route (vllm PR #38011, v0.19.0 release notes). */
export const chatBatchSince = "0.19.0";

/** A checked batch: one parsed chat request per conversation, in the body's order. */
export interface ChatBatch {
  /** Conversation `i`'s request: the batch's fields with `messages` set to conversation `i`. */
  readonly conversations: readonly ChatRequest[];
}

type Body = Record<string, unknown>;

function isBody(body: unknown): body is Body {
  return typeof body === "object" && body !== null && !Array.isArray(body);
}

/** pydantic's `too_short` for a list under `Field(min_length=1)` (pydantic-core's text). */
function tooShortIssue(loc: readonly (string | number)[], input: unknown): PydanticIssue {
  return {
    type: "too_short",
    loc,
    msg: "List should have at least 1 item after validation, not 0",
    input,
    ctx: { field_type: "List", min_length: 1, actual_length: 0 },
  };
}

/**
 * `check_batch_mode`, the batch model's `model_validator(mode="before")`: it reads the raw body
 * before any field, so its VLLMValidationError is the whole 400. Texts as protocol.py raises them.
 */
function checkBatchMode(body: Body): void {
  if (body.use_beam_search) {
    throw pydanticError([
      valueErrorIssue(
        [],
        "Batch chat completions do not support beam search. Please set `use_beam_search` to False.",
        body,
        { parameter: "use_beam_search" },
      ),
    ]);
  }
  const n = body.n;
  // Python's `n != 1`: True equals 1, null passes (`n is not None`).
  if (n !== undefined && n !== null && n !== 1 && n !== true) {
    const value = typeof n === "number" || typeof n === "string" ? n : undefined;
    throw pydanticError([
      valueErrorIssue(
        [],
        "Batch chat completions do not support `n > 1`. Please set `n` to 1.",
        body,
        value === undefined ? { parameter: "n" } : { parameter: "n", value },
      ),
    ]);
  }
}

/**
 * The batch model's own fields that differ from the chat request's: `messages` (a non-empty list
 * of non-empty lists), `model` (`str | None`) and `tool_choice` (`Literal["none"] | None`). Every
 * issue at once, as pydantic reports them.
 */
function batchFieldIssues(body: Body): PydanticIssue[] {
  const issues: PydanticIssue[] = [];
  const messages = body.messages;
  if (messages === undefined) issues.push(fieldIssue("missing", ["messages"], body));
  else if (!Array.isArray(messages)) issues.push(fieldIssue("list_type", ["messages"], messages));
  else if (messages.length === 0) issues.push(tooShortIssue(["messages"], messages));
  else {
    messages.forEach((conversation: unknown, i) => {
      if (!Array.isArray(conversation)) {
        issues.push(fieldIssue("list_type", ["messages", i], conversation));
      } else if (conversation.length === 0) {
        issues.push(tooShortIssue(["messages", i], conversation));
      }
    });
  }
  const model = body.model;
  if (model !== undefined && model !== null && typeof model !== "string") {
    issues.push(fieldIssue("string_type", ["model"], model));
  }
  const toolChoice = body.tool_choice;
  if (toolChoice !== undefined && toolChoice !== null && toolChoice !== "none") {
    issues.push(literalIssue(["tool_choice"], ["none"], toolChoice));
  }
  return issues;
}

/**
 * Reads and checks a batch body as vLLM does, in its order: the before-validator, the batch
 * model's fields, the model name (404 for an unknown one, `_check_model`), then each
 * conversation as a chat request (`to_chat_completion_request`: the batch's fields without
 * `None`s, its `tool_choice` "none" default included, and the conversation as `messages`), and
 * last the sampling parameters' failures (`to_sampling_params`, after every render). Throws the 400/404 {@link VllmError} of the first failing step. `requestIdHeader`,
 * `guidedFields` and `release` as for parseChatRequest.
 */
export function parseChatBatch(
  model: VllmModel,
  body: unknown,
  requestIdHeader: string | undefined,
  guidedFields: Parameters<typeof parseChatRequest>[2],
  release: Parameters<typeof parseChatRequest>[3],
): ChatBatch {
  // Not a JSON object: the chat parser's refusal is the model-level one both requests share.
  if (!isBody(body)) return { conversations: [parseChatRequest(body, requestIdHeader)] };
  checkBatchMode(body);
  const issues = batchFieldIssues(body);
  if (issues.length > 0) throw pydanticError(issues);
  checkModelName(model, typeof body.model === "string" ? body.model : undefined);
  const conversations = (body.messages as unknown[]).map((messages) => {
    const single: Body = {};
    for (const key in body) {
      const value = body[key];
      if (value !== null) single[key] = value;
    }
    single.messages = messages;
    single.tool_choice ??= "none";
    return parseChatRequest(single, requestIdHeader, guidedFields, release);
  });
  // requests.ts guidedFailure: to_sampling_params raises once every conversation is rendered.
  const failure = conversations.find((request) => request.guidedFailure !== undefined);
  if (failure?.guidedFailure !== undefined) throw failure.guidedFailure;
  return { conversations };
}

/** The parts of chatCompletion's answer the batch reads and rewrites. */
interface ChatAnswer {
  readonly id: string;
  readonly created: number;
  readonly model: string;
  readonly system_fingerprint: string | null;
  readonly choices: readonly {
    readonly message: { content: string | null };
    readonly logprobs: unknown;
    readonly finish_reason: string;
    readonly stop_reason: unknown;
    /** Present where the release has the key (profiles.ts returnTokenIds); a list when asked. */
    readonly token_ids?: readonly number[] | null;
  }[];
  readonly usage: { readonly prompt_tokens: number; readonly completion_tokens: number };
}

/**
 * The batch's answer (batch_serving.py `chat_completion_full_generator_batch`): every conversation
 * runs at once through the chat handler, each its own engine request (so /metrics counts N), and
 * choice `i` answers conversation `i`, with its `token_ids` when the request sets
 * `return_token_ids` (`as_list(output.token_ids) if request.return_token_ids else None`; the key
 * null otherwise, where the release has it). `prompt_logprobs` and `kv_transfer_params` are null
 * (the batch never sets them, whatever the request sends), the id is the first conversation's (the
 * shared request id). `fingerprint` as for chatCompletion.
 */
export async function chatBatchCompletion(
  model: VllmModel,
  batch: ChatBatch,
  signal: AbortSignal,
  fingerprint: string | null = null,
): Promise<object> {
  const answers = (await Promise.all(
    batch.conversations.map((request) => chatCompletion(model, request, signal, fingerprint)),
  )) as ChatAnswer[];
  let promptTokens = 0;
  let completionTokens = 0;
  const choices = answers.map((answer, i) => {
    // n is 1 in a batch (checkBatchMode), so each answer has exactly one choice.
    const choice = answer.choices[0] as ChatAnswer["choices"][number];
    const streamed = batch.conversations[i]?.stream === true;
    promptTokens += answer.usage.prompt_tokens;
    // Issue #50026: under `stream` only the last delta is kept, one token and no text.
    const used = answer.usage.completion_tokens;
    completionTokens += streamed ? Math.min(used, 1) : used;
    if (streamed) choice.message.content = "";
    const ids = choice.token_ids;
    if (ids === undefined) {
      return {
        index: i,
        message: choice.message,
        logprobs: choice.logprobs,
        finish_reason: choice.finish_reason,
        stop_reason: choice.stop_reason,
      };
    }
    return {
      index: i,
      message: choice.message,
      logprobs: choice.logprobs,
      finish_reason: choice.finish_reason,
      stop_reason: choice.stop_reason,
      // Under `stream` the kept output is the last delta: its one token.
      token_ids: streamed && ids !== null ? ids.slice(-1) : ids,
    };
  });
  const first = answers[0] as ChatAnswer;
  return {
    id: first.id,
    object: "chat.completion",
    created: first.created,
    model: first.model,
    choices,
    service_tier: null,
    system_fingerprint: first.system_fingerprint,
    usage: usageOf(promptTokens, completionTokens, "answer"),
    prompt_logprobs: null,
    kv_transfer_params: null,
  };
}
