/**
 * vLLM's Responses API, non-harmony path (vllm/entrypoints/openai/serving_responses.py ≈v0.11-0.12,
 * its SimpleContext; newer releases split it into responses/serving.py): `POST /v1/responses`
 * renders `instructions`, the stored history of `previous_response_id` and `input` through the
 * chat template, runs the engine once and answers a `response` object; `GET
 * /v1/responses/{id}` and `POST /v1/responses/{id}/cancel` read the in-memory store, which is off
 * unless `VLLM_ENABLE_RESPONSES_API_STORE=1` (then `store` and `background` work). With
 * `--reasoning-parser` the model thinks first and the answer holds a `reasoning` item before the
 * message (`_make_response_output_items`). gpt-oss (harmony) and built-in tools (web search, code
 * interpreter, MCP) are out of scope: their tools are rendered into the template and never called.
 */
import { type FinishEvent, sampleJson, type TokenEvent } from "@servingkit/mock-core";
import { type ChoicePlan, guidedText, planChoices, runChoice, stopSuffix } from "./choices.js";
import { clampLogprob } from "./completions.js";
import { badRequest, checkContextLength, VllmError } from "./errors.js";
import type { ResponsesEra } from "./profiles.js";
import { chatPromptIds } from "./prompts.js";
import {
  answerText,
  type ReasoningParserSpec,
  splitReasoning,
  thinkingAnswer,
  thinksFor,
} from "./reasoning-parser.js";
import { uuidHex } from "./request-id.js";
import type { ChatMessage } from "./requests.js";
import { checkLogprobs, isGreedy, verifySampling } from "./requests.js";
import type { ResponsesFunctionTool, ResponsesRequest } from "./responses-request.js";
import { checkModelName, type VllmModel } from "./served-model.js";
import { textByAlias } from "./structured.js";

/** An error the Responses API raises with `err_type="invalid_request_error"`. */
function invalidRequest(status: number, message: string): VllmError {
  return new VllmError(status, message, { type: "invalid_request_error" });
}

/** serving_responses.py `_make_not_found_error`: 404 for an id the store does not hold. */
export function responseNotFound(id: string): VllmError {
  return invalidRequest(404, `Response with id '${id}' not found.`);
}

/**
 * The id check of the releases whose profile says `idPrefixChecked` (serving_responses.py
 * `_make_invalid_id_error` of v0.10.0 and ≈0.10.1): an id not starting `resp_` is 400
 * invalid_request_error before any lookup, for `previous_response_id`, retrieve and cancel.
 */
export function checkResponseId(era: ResponsesEra, id: string): void {
  if (era.idPrefixChecked && !id.startsWith("resp_")) {
    throw invalidRequest(
      400,
      `Invalid 'response_id': '${id}'. Expected an ID that begins with 'resp'.`,
    );
  }
}

/** The 400 for `background` when the store is off (serving_responses.py `create_responses`). */
export const backgroundNeedsStore =
  "This vLLM engine does not support `store=True` and therefore does not support the background mode. To enable these features, set the environment variable `VLLM_ENABLE_RESPONSES_API_STORE=1` when launching the vLLM server.";

/** A response object as the store holds it (its `status` changes in place, as vLLM's does). */
export type ResponseObject = Record<string, unknown> & { status: string };

interface Stored {
  readonly response: ResponseObject;
  /** The conversation that led to it (for `previous_response_id`). */
  readonly messages: readonly ChatMessage[];
}

/**
 * The SSE frames of a background stream as they are made (serving_responses.py `event_store`: a
 * deque and an event), so a client can follow them from any point; the run appends, readers
 * wait for more. Ends at `response.completed`, or when the run ends without it (cancelled).
 */
export class EventLog {
  readonly #frames: string[] = [];
  /** The index of `response.completed`, once it is in. */
  #completedAt = -1;
  #ended = false;
  #waiters: (() => void)[] = [];

  /** Appends one frame (`completed`: it is `response.completed`) and wakes the readers. */
  push(frame: string, completed: boolean): void {
    if (completed) this.#completedAt = this.#frames.length;
    this.#frames.push(frame);
    this.#wake();
  }

  /** The run ended: readers stop after the frames there are. */
  end(): void {
    this.#ended = true;
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /**
   * The frames from index `from` (`starting_after` + 1), then each new one as it comes, until
   * `response.completed` or the run's end (responses_background_stream_generator).
   */
  async *follow(from: number): AsyncGenerator<string> {
    let next = Math.max(0, from);
    for (;;) {
      while (next < this.#frames.length) {
        yield this.#frames[next] as string;
        if (next === this.#completedAt) return;
        next += 1;
      }
      if (this.#ended) return;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }
}

/**
 * vLLM's in-memory response store (serving_responses.py `response_store`, `msg_store`,
 * `background_tasks`): never evicted, as vLLM warns. Off (`enabled` false), nothing is stored
 * and every id is unknown.
 */
export class ResponseStore {
  /** `VLLM_ENABLE_RESPONSES_API_STORE` is on. */
  readonly enabled: boolean;
  readonly #stored = new Map<string, Stored>();
  readonly #runs = new Map<string, AbortController>();
  readonly #logs = new Map<string, EventLog>();

  constructor(enabled: boolean) {
    this.enabled = enabled;
  }

  /** The stored response with `id`, or undefined. */
  get(id: string): ResponseObject | undefined {
    return this.#stored.get(id)?.response;
  }

  /** The conversation behind a stored response. */
  messages(id: string): readonly ChatMessage[] {
    return this.#stored.get(id)?.messages ?? [];
  }

  /** Stores (or replaces) a response, unless a cancelled one is already there. */
  put(response: ResponseObject, messages: readonly ChatMessage[]): void {
    const id = String(response.id);
    if (this.#stored.get(id)?.response.status === "cancelled") return;
    this.#stored.set(id, { response, messages });
  }

  /** A new event log for a background stream's frames. */
  openLog(id: string): EventLog {
    const log = new EventLog();
    this.#logs.set(id, log);
    return log;
  }

  /** The event log of a background stream, if `id` was one. */
  log(id: string): EventLog | undefined {
    return this.#logs.get(id);
  }

  /** Registers a background run's abort, dropped when the run ends. */
  track(id: string, run: AbortController): () => void {
    this.#runs.set(id, run);
    return () => this.#runs.delete(id);
  }

  /**
   * `POST /v1/responses/{id}/cancel`: a queued or running background response turns
   * `cancelled` and its run is aborted; any other is 400 "Cannot cancel a synchronous response.".
   */
  cancel(id: string): ResponseObject {
    const response = this.get(id);
    if (response === undefined) throw responseNotFound(id);
    if (response.status !== "queued" && response.status !== "in_progress") {
      throw invalidRequest(400, "Cannot cancel a synchronous response.");
    }
    response.status = "cancelled";
    this.#runs.get(id)?.abort();
    return response;
  }

  /** Aborts every background run (the server shuts down). */
  close(): void {
    for (const run of this.#runs.values()) run.abort();
  }
}

/** The function the answer calls (its arguments are guided by its parameters). */
interface ToolPlan {
  readonly tool: ResponsesFunctionTool;
}

/**
 * The tool the answer calls (serving_engine.py `_parse_tool_calls_from_content`): a named
 * `tool_choice`, `required` (the first function), or `auto` with `--enable-auto-tool-choice`;
 * `auto` without it (the default) and `none` answer text.
 */
function planTool(model: VllmModel, request: ResponsesRequest): ToolPlan | undefined {
  const choice = request.toolChoice;
  const first = request.tools[0];
  if (typeof choice === "object") {
    const tool = request.tools.find((t) => t.name === choice.name);
    return { tool: tool ?? { name: choice.name, parameters: { type: "object" } } };
  }
  if (first === undefined || choice === "none") return undefined;
  if (choice === "required" || model.autoToolChoice) return { tool: first };
  return undefined;
}

/** A request checked and planned: everything the answer needs before the engine runs. */
export interface PreparedResponse {
  readonly request: ResponsesRequest;
  /** The response's `model`. */
  readonly modelName: string;
  /** The one engine run. */
  readonly plan: ChoicePlan;
  readonly promptTokens: number;
  /** The conversation, for the store. */
  readonly messages: readonly ChatMessage[];
  readonly tool: ToolPlan | undefined;
  /**
   * The server's `--reasoning-parser` where the model thinks first (its output then holds its
   * thinking, the end marker and the answer, or the planned call's arguments); undefined without
   * one.
   */
  readonly parser: ReasoningParserSpec | undefined;
  /** Effective `store` (false when the server's store is off). */
  readonly store: boolean;
  readonly era: ResponsesEra;
  /** The unix second the response was created. */
  readonly createdAt: number;
}

/**
 * Checks and plans a request in vLLM's order (serving_responses.py `create_responses`): model,
 * store and background, `previous_response_id`, tools, prompt (chat template and context
 * length), sampling. Throws the VllmError vLLM answers.
 */
export function prepareResponse(
  model: VllmModel,
  store: ResponseStore,
  request: ResponsesRequest,
): PreparedResponse {
  // Only routed where the profile serves the Responses API (vllm-plugin.ts).
  const era = model.profile.responses as ResponsesEra;
  const penalties = request.penalties;
  const modelName = checkModelName(model, request.model);
  // serving_responses.py: store=True is silently dropped when the store is off, background refused.
  if (request.store && !store.enabled && request.background) {
    throw invalidRequest(400, backgroundNeedsStore);
  }
  const keep = request.store && store.enabled;
  let history: readonly ChatMessage[] = [];
  if (request.previousResponseId !== undefined) {
    checkResponseId(era, request.previousResponseId);
    const previous = store.get(request.previousResponseId);
    if (previous === undefined) throw responseNotFound(request.previousResponseId);
    history = historyOf(store, previous);
  }
  if (era.toolsRefused && request.toolsEcho.length > 0) {
    // NotImplementedError caught as f"{e} {e.__cause__}": the cause is None.
    throw badRequest("Tool use is not supported in Responses API without Harmony None");
  }
  const messages: ChatMessage[] = [];
  if (request.instructions) messages.push({ role: "system", content: request.instructions });
  messages.push(...history, ...request.messages);
  const ids = chatPromptIds(model, messages, {
    addGenerationPrompt: true,
    addSpecialTokens: false,
    tools: era.toolsIgnored || request.toolChoice === "none" ? [] : request.templateTools,
  });
  const maxModelLen = model.served.maxModelLen;
  // Preprocessing's context check (ResponsesRequest has no max_tokens), caught as
  // f"{e} {e.__cause__}" (serving_responses.py), so the message ends in " None".
  const overflow = checkContextLength(model.profile, {
    maxModelLen,
    promptTokens: ids.length,
    maxTokens: undefined,
    endpoint: "completions",
  });
  if (overflow) throw badRequest(`${overflow.message} None`);
  // protocol.py to_sampling_params: min(max_output_tokens, max_model_len - prompt).
  const maxTokens = Math.min(
    request.maxOutputTokens ?? Number.POSITIVE_INFINITY,
    maxModelLen - ids.length,
  );
  // SamplingParams checks the penalties first (repetition_penalty above zero); sent rarely, so
  // the spread is off the usual path.
  const invalid =
    verifySampling(penalties === undefined ? request : { ...request, ...penalties }) ??
    (request.includeLogprobs ? checkLogprobs(request.topLogprobs) : undefined);
  if (invalid) throw invalid;
  const tool = era.toolsIgnored ? undefined : planTool(model, request);
  const seed = request.seed ?? 0;
  const forcedText = tool
    ? () => JSON.stringify(sampleJson(tool.tool.parameters, seed))
    : guidedText(request.guided, request.seed);
  // With --reasoning-parser the model thinks first, then answers (the guided text, the last
  // message in echo mode, or sentences); the engine counts the thinking in max_output_tokens.
  // The request has no chat_template_kwargs of its own (vLLM ResponsesRequest: an internal field
  // set from `reasoning`, never `thinking`), so a model whose template thinks only when asked
  // (granite) answers at once, and the parser finds no markers.
  // serving_responses.py `_make_response_output_items`: the reasoning parser splits the text
  // first and the tool call is parsed from the content after it, so a call follows the thinking.
  const parser = model.reasoningParser;
  const lastInput = request.messages.at(-1)?.content ?? "";
  const modelText =
    parser === undefined || !thinksFor(parser, undefined)
      ? forcedText
      : () =>
          thinkingAnswer(
            parser,
            ids,
            { greedy: isGreedy(request), seed: request.seed, index: 0 },
            (random) =>
              forcedText?.(0) ?? (model.generationMode === "echo" ? lastInput : answerText(random)),
          );
  const [plan] = planChoices(model, ids, request, maxTokens, {
    firstIndex: 0,
    parentId: request.requestId,
    logprobs: request.includeLogprobs ? request.topLogprobs : undefined,
    ...(model.loras.has(modelName) && { lora: modelName }),
    ...(modelText !== undefined && { forcedText: modelText }),
  });
  if (plan === undefined) throw new Error("a response plans one engine run");
  return {
    request,
    modelName,
    plan,
    promptTokens: ids.length,
    messages,
    tool,
    parser,
    store: keep,
    era,
    createdAt: model.nowSeconds(),
  };
}

/**
 * The history a `previous_response_id` brings: its conversation, then its output messages' text
 * as assistant messages (reasoning items skipped; serving_responses.py `_construct_input_messages`).
 */
function historyOf(store: ResponseStore, previous: ResponseObject): ChatMessage[] {
  const history = [...store.messages(String(previous.id))];
  for (const item of (previous.output as readonly Record<string, unknown>[] | undefined) ?? []) {
    if (item.type !== "message") continue;
    for (const part of item.content as readonly { text: string }[]) {
      history.push({ role: "assistant", content: part.text });
    }
  }
  return history;
}

/** The run's outcome the response reports. */
export interface ResponseOutcome {
  readonly status: string;
  readonly output: readonly object[];
  readonly usage: object | null;
}

/**
 * The response object (protocol.py `ResponsesResponse.from_request`), every key in pydantic's
 * order, as `model_dump()` writes it (nulls included).
 */
export function responseObject(
  prepared: PreparedResponse,
  outcome: ResponseOutcome,
): ResponseObject {
  const { request, plan } = prepared;
  const incomplete = outcome.status === "incomplete";
  return {
    id: request.requestId,
    created_at: prepared.createdAt,
    incomplete_details: incomplete ? { reason: "max_output_tokens" } : null,
    instructions: request.instructions ?? null,
    metadata: request.metadata,
    model: prepared.modelName,
    object: "response",
    output: outcome.output,
    parallel_tool_calls: request.parallelToolCalls,
    // SamplingParams' values: the request's, else vLLM's defaults (1.0).
    temperature: request.temperature ?? 1,
    tool_choice: request.toolChoiceEcho,
    tools: request.toolsEcho,
    top_p: request.topP ?? 1,
    background: request.background,
    max_output_tokens: plan.request.maxTokens,
    max_tool_calls: request.maxToolCalls ?? null,
    previous_response_id: request.previousResponseId ?? null,
    prompt: null,
    reasoning: request.reasoning,
    service_tier: request.serviceTier,
    status: outcome.status,
    text: prepared.era.textByAlias ? textByAlias(request.text) : request.text,
    top_logprobs: request.includeLogprobs ? request.topLogprobs : null,
    truncation: request.truncation,
    usage: outcome.usage,
    user: request.user ?? null,
    input_messages: null,
    output_messages: null,
  };
}

/**
 * `usage` in the era's shape ({@link ResponsesEra.usage}): the chat `UsageInfo` in v0.10.0
 * (`prompt_tokens_details` null: no `--enable-prompt-tokens-details`), else protocol.py
 * `ResponseUsage`: SimpleContext counts prompt and output tokens; cached, reasoning and
 * tool-output tokens are 0 and the per-turn lists empty (it keeps no turn metrics).
 */
export function responseUsage(
  era: ResponsesEra,
  inputTokens: number,
  outputTokens: number,
): object {
  if (era.usage === "chat") {
    return {
      prompt_tokens: inputTokens,
      total_tokens: inputTokens + outputTokens,
      completion_tokens: outputTokens,
      prompt_tokens_details: null,
    };
  }
  if (era.usage === "basic") {
    return {
      input_tokens: inputTokens,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: inputTokens + outputTokens,
    };
  }
  return {
    input_tokens: inputTokens,
    input_tokens_details: {
      cached_tokens: 0,
      input_tokens_per_turn: [],
      cached_tokens_per_turn: [],
    },
    output_tokens: outputTokens,
    output_tokens_details: {
      reasoning_tokens: 0,
      tool_output_tokens: 0,
      output_tokens_per_turn: [],
      tool_output_tokens_per_turn: [],
    },
    total_tokens: inputTokens + outputTokens,
  };
}

/** The status a finished run reports (see {@link ResponsesEra.incompleteOnLength}). */
export function finishStatus(prepared: PreparedResponse, finish: FinishEvent): string {
  return prepared.era.incompleteOnLength && finish.reason === "length" ? "incomplete" : "completed";
}

/** Output logprobs (serving_responses.py `_create_response_logprobs`), clamped at -9999. */
export function outputLogprobs(
  model: VllmModel,
  tokens: readonly TokenEvent[],
  topCount: number,
): object[] {
  return tokens.map((token) => {
    const text = model.spec.tokenizer.tokenText(token.id);
    return {
      token: text,
      bytes: [...Buffer.from(text, "utf8")],
      logprob: clampLogprob(token.logprob) ?? 0,
      top_logprobs:
        topCount > 0
          ? (token.top ?? []).slice(0, topCount).map((alt) => ({
              token: alt.text,
              bytes: [...Buffer.from(alt.text, "utf8")],
              logprob: clampLogprob(alt.logprob) ?? 0,
            }))
          : [],
    };
  });
}

/** A `msg_`/`fc_`/`call_` id: the prefix and a uuid4 hex (vllm.utils random_uuid). */
export function itemId(prefix: "msg" | "fc" | "call"): string {
  return `${prefix}_${uuidHex()}`;
}

/**
 * A function_call item as vLLM builds it (serving_responses.py: `ResponseFunctionToolCall` with
 * `fc_`/`call_` ids, `status: "completed"`), keys in openai's model order.
 */
export function functionCallItem(
  name: string,
  args: string,
  id: string,
  callId: string,
  status = "completed",
) {
  return { arguments: args, call_id: callId, name, type: "function_call", id, status };
}

/**
 * A reasoning item as openai's `ResponseReasoningItem` dumps it (every field, nulls included):
 * `summary: []`, its text as one `reasoning_text` content part (null while a stream opens it).
 */
export function reasoningItem(id: string, text: string | undefined, status: string | null) {
  return {
    id,
    summary: [],
    type: "reasoning",
    content: text === undefined ? null : [{ text, type: "reasoning_text" }],
    encrypted_content: null,
    status,
  };
}

/**
 * The output items of a finished run (serving_responses.py `_make_response_output_items`): with
 * a reasoning parser, the parser's split of the text (`extract_reasoning_content`) and, when it
 * found reasoning, a `rs_<hex>` reasoning item first (`status` None: "Only the last output item
 * has status"); then, from the content after the split (`if content:`), the function call a tool
 * plan makes (its arguments that content), else a message with one `output_text`. A run cut
 * while thinking has no content, so no call.
 */
export function outputItems(
  model: VllmModel,
  prepared: PreparedResponse,
  text: string,
  tokens: readonly TokenEvent[],
): object[] {
  const split = prepared.parser === undefined ? undefined : splitReasoning(prepared.parser, text);
  const items: object[] = [];
  if (split?.reasoning) items.push(reasoningItem(`rs_${uuidHex()}`, split.reasoning, null));
  const content = split === undefined ? text : (split.content ?? "");
  if (prepared.tool) {
    if (split !== undefined && content === "") return items;
    items.push(functionCallItem(prepared.tool.tool.name, content, itemId("fc"), itemId("call")));
    return items;
  }
  if (content === "") return items;
  const { request } = prepared;
  items.push({
    id: itemId("msg"),
    content: [
      {
        annotations: [],
        text: content,
        type: "output_text",
        logprobs: request.includeLogprobs
          ? outputLogprobs(model, tokens, request.topLogprobs)
          : null,
      },
    ],
    role: "assistant",
    status: "completed",
    type: "message",
  });
  return items;
}

/** Runs the engine to the end and builds the finished response. */
async function finishedResponse(
  model: VllmModel,
  prepared: PreparedResponse,
  signal: AbortSignal,
): Promise<ResponseObject> {
  const result = await runChoice(model, prepared.plan, signal);
  const text = result.text + stopSuffix(result.finish, prepared.request.includeStopStrInOutput);
  return responseObject(prepared, {
    status: finishStatus(prepared, result.finish),
    output: outputItems(model, prepared, text, result.tokens),
    usage: responseUsage(prepared.era, prepared.promptTokens, result.finish.completionTokens),
  });
}

/**
 * `POST /v1/responses` without `stream`: the finished response, stored when the store is on and
 * `store` is true. With `background` (store on) the answer is the `queued` response at once; the
 * run goes on under its own signal and replaces it when done (unless cancelled), or marks it
 * `failed`.
 */
export async function createResponse(
  model: VllmModel,
  store: ResponseStore,
  prepared: PreparedResponse,
  signal: AbortSignal,
): Promise<ResponseObject> {
  if (prepared.request.background) {
    const queued = responseObject(prepared, { status: "queued", output: [], usage: null });
    store.put(queued, prepared.messages);
    const run = new AbortController();
    const untrack = store.track(String(queued.id), run);
    finishedResponse(model, prepared, run.signal)
      .then(
        (response) => store.put(response, prepared.messages),
        () => {
          if (queued.status !== "completed" && queued.status !== "cancelled") {
            queued.status = "failed";
          }
        },
      )
      .finally(untrack);
    return queued;
  }
  const response = await finishedResponse(model, prepared, signal);
  if (prepared.store) store.put(response, prepared.messages);
  return response;
}

/** `GET /v1/responses/{id}`: the stored response, else 404. */
export function retrieveResponse(store: ResponseStore, id: string): ResponseObject {
  const response = store.get(id);
  if (response === undefined) throw responseNotFound(id);
  return response;
}
