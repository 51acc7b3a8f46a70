/**
 * `POST /v1/chat/completions` (vllm-openai.md §4.1, §5, §6; serving_chat.py): the messages
 * rendered through the model's chat template; non-streaming bodies carry every field (nulls
 * included); streams send one role chunk per choice at the first engine output, content deltas,
 * a final chunk with `finish_reason`/`stop_reason`, an optional usage chunk with `choices: []`.
 * Chunks omit unset keys (`exclude_unset`), so a content chunk has no `stop_reason`.
 * With `--reasoning-parser` the model thinks first (reasoning-parser.ts): the parser's split goes
 * into the release's reasoning field (profiles.ts `reasoningFields`), whole and delta by delta.
 */

import { type GenerationEvent, sampleJson, type TokenEvent } from "@servingkit/mock-core";
import {
  bestCandidates,
  type ChoicePlan,
  candidateCount,
  choiceFrames,
  effectiveMaxTokens,
  finishOf,
  guidedText,
  planChoices,
  runChoices,
  type StreamPiece,
  stopSuffix,
  streamPieces,
  usageOf,
} from "./choices.js";
import { clampLogprob } from "./completions.js";
import { badRequest } from "./errors.js";
import type { ReasoningFields } from "./profiles.js";
import { promptLogprobsList } from "./prompt-logprobs.js";
import { chatPromptIds, truncatePrompt, truncationSize } from "./prompts.js";
import {
  answerText,
  type ReasoningDelta,
  type ReasoningParserSpec,
  ReasoningStream,
  splitReasoning,
  thinkingAnswer,
  thinksFor,
} from "./reasoning-parser.js";
import { uuidHex } from "./request-id.js";
import { type ChatRequest, inputProcessorRefusal, isGreedy, type ToolSpec } from "./requests.js";
import { checkModelName, processorModel, type VllmModel } from "./served-model.js";
import { type EmitFrame, sseEvent, sseUsageEvent, textFrames, textHole } from "./sse.js";
import { withKeyOrder } from "./wire-json.js";

/** One token of chat `logprobs.content` (vllm-openai.md §5). */
export interface ChatLogprob {
  token: string;
  logprob: number;
  bytes: number[];
  top_logprobs: { token: string; logprob: number; bytes: number[] }[];
}

function bytesOf(text: string): number[] {
  return [...Buffer.from(text, "utf8")];
}

function chatLogprobs(
  model: VllmModel,
  tokens: readonly TokenEvent[],
  topCount: number,
): { content: ChatLogprob[] } {
  return {
    content: tokens.map((token) => {
      const text = model.spec.tokenizer.tokenText(token.id);
      return {
        token: text,
        logprob: clampLogprob(token.logprob) ?? 0,
        bytes: bytesOf(text),
        top_logprobs: (token.top ?? []).slice(0, topCount).map((alt) => ({
          token: alt.text,
          logprob: clampLogprob(alt.logprob) ?? 0,
          bytes: bytesOf(alt.text),
        })),
      };
    }),
  };
}

/**
 * The tool the answer calls: a named `tool_choice` (guided by the function's parameters, finish
 * reason as the engine's), `required`, or `auto` with `--enable-auto-tool-choice` (both answer
 * finish_reason `tool_calls`); vllm-openai.md §4.1, §6 and vLLM's tool_calling docs.
 */
interface ToolPlan {
  readonly tool: ToolSpec;
  readonly finishAsToolCalls: boolean;
}

function planTool(model: VllmModel, request: ChatRequest): ToolPlan | undefined {
  const choice = request.toolChoice;
  if (choice === "none") return undefined;
  if (choice === "auto" && !model.autoToolChoice) {
    throw badRequest(
      '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set',
    );
  }
  if (typeof choice === "object") {
    const tool = request.tools.find((t) => t.name === choice.name);
    if (!tool) throw badRequest(`Tool '${choice.name}' has not been passed in \`tools\`.`);
    return { tool, finishAsToolCalls: false };
  }
  const first = request.tools[0];
  return first === undefined ? undefined : { tool: first, finishAsToolCalls: true };
}

/** The finish reason a choice reports: `tool_calls` where the answer is a forced tool call. */
function toolFinish(
  tool: ToolPlan | undefined,
  reason: ReturnType<typeof finishOf>["finish_reason"],
): string {
  return tool?.finishAsToolCalls && reason === "stop" ? "tool_calls" : reason;
}

/** vLLM's tool call ids: `chatcmpl-tool-<32 hex>`. */
function toolCallId(): string {
  return `chatcmpl-tool-${uuidHex()}`;
}

/**
 * A whole answer's `message` (vLLM's ChatMessage, every field), its reasoning fields as the
 * release names them (profiles.ts `reasoningFields`) after the others: `reasoning_content`;
 * `reasoning` and the copy in `reasoning_content`; `reasoning`. Null without a parser. Literals
 * written out per release (no keys added to a built object: this runs per choice).
 */
function chatMessage(
  fields: ReasoningFields,
  role: string,
  content: string | null,
  toolCalls: readonly object[],
  reasoning: string | null,
): object {
  if (fields === "reasoning_content") {
    return {
      role,
      content,
      refusal: null,
      annotations: null,
      audio: null,
      function_call: null,
      tool_calls: toolCalls,
      reasoning_content: reasoning,
    };
  }
  if (fields === "both") {
    return {
      role,
      content,
      refusal: null,
      annotations: null,
      audio: null,
      function_call: null,
      tool_calls: toolCalls,
      reasoning,
      reasoning_content: reasoning,
    };
  }
  return {
    role,
    content,
    refusal: null,
    annotations: null,
    audio: null,
    function_call: null,
    tool_calls: toolCalls,
    reasoning,
  };
}

/** A stream delta's parts (vLLM's DeltaMessage): each key goes out only when set. */
interface DeltaParts {
  readonly role?: string;
  readonly content?: string | null;
  readonly reasoning?: string;
  readonly toolCalls?: readonly object[];
}

/**
 * A stream delta as the release writes DeltaMessage with `exclude_unset`, keys in its field
 * order (role, content, reasoning fields, tool_calls). Where both fields exist (≈0.11.1-0.15)
 * the validator's copy into `reasoning_content` counts as set, so every delta carries it, null
 * outside the thinking (a GLM-4.7 stream from vLLM, Dec 2025: role chunk
 * `{"role":"assistant","content":"","reasoning_content":null}`).
 */
export function wireDelta(fields: ReasoningFields, parts: DeltaParts): object {
  const delta: Record<string, unknown> = {};
  if (parts.role !== undefined) delta.role = parts.role;
  if (parts.content !== undefined) delta.content = parts.content;
  if (fields !== "reasoning_content" && parts.reasoning !== undefined) {
    delta.reasoning = parts.reasoning;
  }
  if (fields === "both") delta.reasoning_content = parts.reasoning ?? null;
  else if (fields === "reasoning_content" && parts.reasoning !== undefined) {
    delta.reasoning_content = parts.reasoning;
  }
  if (parts.toolCalls !== undefined) delta.tool_calls = parts.toolCalls;
  return delta;
}

interface Prepared {
  readonly tool: ToolPlan | undefined;
  readonly role: string;
  readonly echoText: string;
  readonly promptTokens: number;
  readonly plans: ReturnType<typeof planChoices>;
  /** The response's `model`: the served name or the LoRA adapter the request named. */
  readonly modelName: string;
  /** The rendered prompt's token ids. */
  readonly promptIds: readonly number[];
}

function prepare(model: VllmModel, request: ChatRequest): Prepared {
  const modelName = checkModelName(model, request.model);
  const tool = planTool(model, request);
  // vLLM renders the tools into the template unless tool_choice is "none".
  const rendered = chatPromptIds(model, request.messages, {
    addGenerationPrompt: request.addGenerationPrompt,
    addSpecialTokens: request.addSpecialTokens,
    tools: request.toolChoice === "none" ? [] : request.tools.map((t) => t.raw),
    templateKwargs: request.chatTemplateKwargs,
    imageParts: request.imageParts,
  });
  // truncate_prompt_tokens keeps the rendered prompt's last tokens; the length check follows.
  const maxModelLen = model.served.maxModelLen;
  const ids = truncatePrompt(rendered, truncationSize(request.truncatePromptTokens, maxModelLen));
  const maxTokens = effectiveMaxTokens(model, ids.length, request.maxTokens, "chat");
  // The input processor's vocabulary checks come after the prompt's length check (requests.ts).
  const refused = inputProcessorRefusal(processorModel(model), request);
  if (refused) throw refused;
  const last = request.messages.at(-1);
  // vllm-openai.md §5: role is --response-role (assistant) unless add_generation_prompt=false,
  // where the last message's role continues.
  const role = request.addGenerationPrompt ? "assistant" : (last?.role ?? "assistant");
  // vllm-openai.md §6: echo prepends the last message when its role is the response role.
  const echoText = request.echo && last?.role === role ? last.content : "";
  const echoIds =
    last === undefined
      ? undefined
      : model.spec.tokenizer.encode(last.content, { addSpecialTokens: false });
  const seed = request.seed ?? 0;
  const forced = tool
    ? (i: number) => JSON.stringify(sampleJson(tool.tool.parameters, seed + i))
    : guidedText(request.guided, request.seed);
  const parser = model.reasoningParser;
  // A model thinks unless its template's switch is off (Qwen3's enable_thinking: false; Granite's
  // thinking unset, or a system message or tools of the request's own). It
  // writes its thinking, the end marker, then the answer (reasoning-parser.ts `thinkingAnswer`):
  // the guided or tool text when the request forces one (vLLM applies the grammar once the
  // reasoning has ended: the structured-output backend skips the mask until the parser's
  // `is_reasoning_end`), the last message in echo mode, else a sentence or two. The engine counts
  // all of it against `max_tokens`, so a small limit ends inside the thinking.
  const forcedText =
    parser === undefined ||
    !thinksFor(parser, request.chatTemplateKwargs, {
      systemFirst: request.messages[0]?.role === "system",
      tools: request.tools.length > 0,
    })
      ? forced
      : thinkingChoices(model, parser, request, ids, forced);
  // The V0 engine's best_of ranks whole answers; a chat stream sends its n choices as they come.
  const candidates = candidateCount(model, request);
  const plans = planChoices(model, ids, request, maxTokens, {
    firstIndex: 0,
    parentId: chatId(request),
    ...(model.loras.has(modelName) && { lora: modelName }),
    candidates: request.stream ? request.n : candidates,
    logprobs: request.logprobs ? request.topLogprobs : undefined,
    ...(echoIds !== undefined && echoIds.length > 0 && { echoIds }),
    ...(forcedText !== undefined && { forcedText }),
  });
  return { tool, role, echoText, promptTokens: ids.length, plans, modelName, promptIds: ids };
}

/**
 * Choice `i`'s text from a thinking model: reasoning-parser.ts `thinkingAnswer`, seeded by the
 * prompt when greedy, by the prompt, `seed` and `i` with a seed, at random otherwise.
 */
function thinkingChoices(
  model: VllmModel,
  parser: ReasoningParserSpec,
  request: ChatRequest,
  ids: readonly number[],
  forced: ((i: number) => string | undefined) | undefined,
): (i: number) => string {
  const greedy = isGreedy(request);
  const seed = request.seed;
  const last = request.messages.at(-1)?.content ?? "";
  const echo = model.generationMode === "echo";
  return (i) =>
    thinkingAnswer(
      parser,
      ids,
      { greedy, seed, index: i },
      (random) => forced?.(i) ?? (echo ? last : answerText(random)),
    );
}

/** `chatcmpl-` and the request id's base (vllm-openai.md §1), else a random uuid hex. */
function chatId(request: ChatRequest): string {
  return `chatcmpl-${request.requestId}`;
}

/**
 * The non-streaming answer. `fingerprint` is the server's `system_fingerprint`
 * (system-fingerprint.ts, vLLM 0.21.0+), `null` (the default) on earlier releases.
 */
export async function chatCompletion(
  model: VllmModel,
  request: ChatRequest,
  signal: AbortSignal,
  fingerprint: string | null = null,
): Promise<object> {
  const { tool, role, echoText, promptTokens, plans, modelName, promptIds } = prepare(
    model,
    request,
  );
  const runs = await runChoices(model, plans, signal);
  const results = runs.length > request.n ? bestCandidates(runs, request.n, 0) : runs;
  let completionTokens = 0;
  const parser = model.reasoningParser;
  const fields = model.profile.reasoningFields;
  const tokenKeys = model.profile.returnTokenIds === true;
  const choices = results.map((result) => {
    completionTokens += result.finish.completionTokens;
    const output = result.text + stopSuffix(result.finish, request.includeStopStrInOutput);
    // serving_chat.py: the parser splits the output first; echo and tool calls use the content.
    const split = parser === undefined ? undefined : splitReasoning(parser, output);
    const answer = split === undefined ? output : split.content;
    const text = echoText === "" ? answer : echoText + (answer ?? "");
    const { finish_reason, stop_reason } = finishOf(result.finish);
    const message = chatMessage(
      fields,
      role,
      tool ? (tool.finishAsToolCalls ? null : "") : text,
      tool
        ? [
            {
              id: toolCallId(),
              type: "function",
              function: { name: tool.tool.name, arguments: text ?? "" },
            },
          ]
        : [],
      split?.reasoning ?? null,
    );
    const index = result.index;
    const logprobs = request.logprobs
      ? chatLogprobs(model, result.tokens, request.topLogprobs)
      : null;
    const finish = toolFinish(tool, finish_reason);
    // protocol.py ChatCompletionResponseChoice from vLLM PR #22587 (0.10.2): token_ids after
    // stop_reason, null unless return_token_ids (vLLM issue #28246 shows the null key).
    return tokenKeys
      ? {
          index,
          message,
          logprobs,
          finish_reason: finish,
          stop_reason,
          token_ids: request.returnTokenIds ? result.tokens.map((token) => token.id) : null,
        }
      : { index, message, logprobs, finish_reason: finish, stop_reason };
  });
  const id = chatId(request);
  const object = "chat.completion";
  const created = model.nowSeconds();
  const usage = usageOf(promptTokens, completionTokens, "answer");
  const promptLogprobs =
    request.promptLogprobs === undefined
      ? null
      : promptLogprobsList(model, promptIds, request.promptLogprobs);
  // protocol.py ChatCompletionResponse from vLLM PR #22587 (0.10.2): prompt_token_ids after
  // prompt_logprobs, null unless return_token_ids (vLLM issue #28246 shows the ids there).
  const whole = tokenKeys
    ? {
        id,
        object,
        created,
        model: modelName,
        choices,
        service_tier: null,
        system_fingerprint: fingerprint,
        usage,
        prompt_logprobs: promptLogprobs,
        prompt_token_ids: request.returnTokenIds ? promptIds : null,
        kv_transfer_params: null,
      }
    : {
        id,
        object,
        created,
        model: modelName,
        choices,
        service_tier: null,
        system_fingerprint: fingerprint,
        usage,
        prompt_logprobs: promptLogprobs,
        kv_transfer_params: null,
      };
  // Prompt-logprob maps keep their key order on the wire (wire-json.ts).
  return request.promptLogprobs === undefined ? whole : withKeyOrder(whole);
}

/**
 * The streamed answer as vLLM's SSE frames (sse.ts), `[DONE]` included. Validation happens
 * before the first frame, so errors still get a proper status. `fingerprint` is the server's
 * `system_fingerprint` (system-fingerprint.ts, vLLM 0.21.0+; `null`, the default, before and in
 * mode `none`): vLLM PR #40537 stamps it on the final message only, the usage chunk when
 * `include_usage` asks for one, else each choice's chunk with its `finish_reason`
 * (chat_completion/serving.py chat_completion_stream_generator; chunks dumped with exclude_unset,
 * so the other chunks have no key at all).
 */
export function chatCompletionStream(
  model: VllmModel,
  request: ChatRequest,
  signal: AbortSignal,
  fingerprint: string | null = null,
): AsyncIterable<string> {
  return streamFrames(model, request, prepare(model, request), signal, fingerprint);
}

function streamFrames(
  model: VllmModel,
  request: ChatRequest,
  prepared: Prepared,
  signal: AbortSignal,
  fingerprint: string | null,
): AsyncIterable<string> {
  const frames = new ChatFrames(model, request, prepared, fingerprint);
  return choiceFrames(
    model,
    prepared.plans,
    signal,
    (index, event, emit) => frames.step(index, event, emit),
    (emit) => frames.end(emit),
    (emit) => frames.idle(emit),
  );
}

/**
 * One chat stream's state and framing, as one object: its fields and methods in place of a
 * closure per helper over a shared context (about 30 bytes a closure, for as long as the stream
 * is open); the tool-call and reasoning-split records are made only by streams that use them.
 */
class ChatFrames {
  readonly #model: VllmModel;
  readonly #request: ChatRequest;
  readonly #tool: ToolPlan | undefined;
  readonly #role: string;
  readonly #echoText: string;
  readonly #promptTokens: number;
  readonly #plans: readonly ChoicePlan[];
  readonly #modelName: string;
  readonly #fingerprint: string | null;
  readonly #fields: ReasoningFields;
  readonly #parser: ReasoningParserSpec | undefined;
  readonly #id: string;
  readonly #created: number;
  readonly #continuous: boolean;
  readonly #includeUsage: boolean;
  /** serving.py: the finish chunks carry the fingerprint only when no usage chunk follows them. */
  readonly #finishStamp: string | null;
  /** The usual content chunk: no tool, no logprobs, no running usage, no parser. */
  readonly #plain: boolean;
  /**
   * The usual content chunk differs per choice only in its text: written from a template per
   * choice index, no chunk object or JSON walk per event. One slot per choice from the start: a
   * first write to index 0 of `[]` reserves 17 (152 bytes).
   */
  readonly #templates: (((text: string) => string) | undefined)[];
  readonly #pieces: ReturnType<typeof streamPieces>;
  /** The choices whose tool call has been named (made by the first tool-call fragment). */
  #named: Set<number> | undefined = undefined;
  /** With a parser, each choice's output goes through its own streaming split. */
  #splits: Map<number, ReasoningStream> | undefined = undefined;
  #completionTokens = 0;
  #started = false;

  constructor(
    model: VllmModel,
    request: ChatRequest,
    { tool, role, echoText, promptTokens, plans, modelName }: Prepared,
    fingerprint: string | null,
  ) {
    this.#model = model;
    this.#request = request;
    this.#tool = tool;
    this.#role = role;
    this.#echoText = echoText;
    this.#promptTokens = promptTokens;
    this.#plans = plans;
    this.#modelName = modelName;
    this.#fingerprint = fingerprint;
    this.#fields = model.profile.reasoningFields;
    this.#parser = model.reasoningParser;
    this.#id = chatId(request);
    this.#created = model.nowSeconds();
    this.#continuous = request.streamOptions?.continuousUsageStats === true;
    this.#includeUsage = request.streamOptions?.includeUsage === true;
    this.#finishStamp = this.#includeUsage ? null : fingerprint;
    this.#plain = !tool && !request.logprobs && !this.#continuous && this.#parser === undefined;
    this.#templates = new Array<((text: string) => string) | undefined>(plans.length);
    this.#pieces = streamPieces({
      includeStopStr: request.includeStopStrInOutput,
      keepTokens: request.logprobs === true,
      outputs: model.engine.outputs,
    });
  }

  /** A choice's engine event: the role (and echo) chunks first, then framed by pieces. */
  step(index: number, event: GenerationEvent, emit: EmitFrame): void {
    if (!this.#started) {
      // vllm-openai.md §6: the role chunks go out when the engine's first output arrives.
      this.#started = true;
      const roleDelta = wireDelta(this.#fields, { role: this.#role, content: "" });
      for (const plan of this.#plans) emit(sseEvent(this.#chunk(plan.index, roleDelta, null)));
      if (this.#echoText !== "") {
        const echoed = this.#contentDelta(this.#echoText);
        for (const plan of this.#plans) emit(sseEvent(this.#chunk(plan.index, echoed, null)));
      }
    }
    const piece = this.#pieces.add(index, event);
    if (piece !== undefined) this.#framePiece(piece, emit);
  }

  /** Every choice ended: the usage chunk, when `include_usage` asks for one. */
  end(emit: EmitFrame): void {
    if (!this.#includeUsage) return;
    const usage = usageOf(this.#promptTokens, this.#completionTokens, "stream");
    emit(
      sseUsageEvent(
        this.#id,
        "chat.completion.chunk",
        this.#created,
        this.#modelName,
        usage,
        this.#fingerprint,
      ),
    );
  }

  /** The engine has nothing more for now: the pieces held back go out. */
  idle(emit: EmitFrame): void {
    this.#pieces.flush((piece) => this.#framePiece(piece, emit));
  }

  #framePiece(piece: StreamPiece, emit: EmitFrame): void {
    const { text, tokens } = piece;
    if (piece.kind === "text") {
      if (this.#plain) {
        emit(this.#contentFrame(piece.index, text));
        return;
      }
      const content = this.#delta(piece.index, text);
      // serving_chat.py: a delta the parser turns into nothing (a lone marker) is not sent.
      if (content === undefined) return;
      emit(
        sseEvent(
          this.#chunk(piece.index, content, this.#logprobsOf(tokens), undefined, piece.generated),
        ),
      );
      return;
    }
    this.#completionTokens += piece.finish.completionTokens;
    emit(
      sseEvent(
        this.#chunk(
          piece.index,
          this.#lastDelta(piece.index, text),
          this.#logprobsOf(tokens),
          finishOf(piece.finish),
          piece.generated,
        ),
      ),
    );
  }

  #contentFrame(index: number, text: string): string {
    let template = this.#templates[index];
    if (template === undefined) {
      template = textFrames(this.#chunk(index, this.#contentDelta(textHole), null));
      this.#templates[index] = template;
    }
    return template(text);
  }

  #contentDelta(text: string): object {
    return this.#fields === "both" ? { content: text, reasoning_content: null } : { content: text };
  }

  /**
   * Tool calls stream as delta.tool_calls: the first fragment names the call, later ones carry
   * only index and argument text (vllm-openai.md §6).
   */
  #toolCalls(index: number, text: string, name: string): object[] {
    this.#named ??= new Set();
    if (this.#named.has(index)) return [{ index: 0, function: { arguments: text } }];
    this.#named.add(index);
    return [{ id: toolCallId(), type: "function", index: 0, function: { name, arguments: text } }];
  }

  /** The delta of parser output `parts` (undefined: nothing goes out). */
  #partsDelta(index: number, parts: ReasoningDelta): object | undefined {
    const tool = this.#tool;
    if (!tool) return wireDelta(this.#fields, parts);
    const { reasoning, content } = parts;
    const calls =
      typeof content === "string" && content !== ""
        ? this.#toolCalls(index, content, tool.tool.name)
        : undefined;
    if (calls === undefined && reasoning === undefined) return undefined;
    return wireDelta(
      this.#fields,
      calls === undefined
        ? { reasoning: reasoning ?? "" }
        : reasoning === undefined
          ? { toolCalls: calls }
          : { reasoning, toolCalls: calls },
    );
  }

  #splitOf(index: number, reasoning: ReasoningParserSpec): ReasoningStream {
    this.#splits ??= new Map();
    let split = this.#splits.get(index);
    if (split === undefined) {
      split = new ReasoningStream(reasoning);
      this.#splits.set(index, split);
    }
    return split;
  }

  /** The delta of output text `text` (undefined: nothing goes out, as for a lone marker). */
  #delta(index: number, text: string): object | undefined {
    const parser = this.#parser;
    if (parser !== undefined) {
      const parts = this.#splitOf(index, parser).push(text);
      return parts === undefined ? undefined : this.#partsDelta(index, parts);
    }
    const tool = this.#tool;
    if (!tool) return this.#contentDelta(text);
    return wireDelta(this.#fields, { toolCalls: this.#toolCalls(index, text, tool.tool.name) });
  }

  /** The last delta of a choice: its last text and, with a parser, what the split held back. */
  #lastDelta(index: number, text: string): object {
    const parser = this.#parser;
    if (parser === undefined)
      return text === "" ? wireDelta(this.#fields, {}) : (this.#delta(index, text) ?? {});
    const split = this.#splitOf(index, parser);
    const parts = mergeDeltas(text === "" ? undefined : split.push(text), split.finish());
    this.#splits?.delete(index);
    return (
      (parts === undefined ? undefined : this.#partsDelta(index, parts)) ??
      wireDelta(this.#fields, {})
    );
  }

  #logprobsOf(tokens: readonly TokenEvent[]): { content: ChatLogprob[] } | null {
    const request = this.#request;
    return request.logprobs ? chatLogprobs(this.#model, tokens, request.topLogprobs) : null;
  }

  /**
   * One chunk as an object. Literals written out, not spread from a shared head: V8 builds a
   * fresh map for every spread that gains keys (about 2 µs a key).
   */
  #chunk(
    index: number,
    delta: object,
    logprobs: { content: ChatLogprob[] } | null,
    finish?: ReturnType<typeof finishOf>,
    /** The choice's tokens through this chunk (continuous_usage_stats; the role chunk's 0). */
    count = 0,
  ): object {
    const choice = finish
      ? {
          index,
          delta,
          logprobs,
          finish_reason: toolFinish(this.#tool, finish.finish_reason),
          stop_reason: finish.stop_reason,
        }
      : { index, delta, logprobs, finish_reason: null };
    const id = this.#id;
    const object = "chat.completion.chunk";
    const created = this.#created;
    const model = this.#modelName;
    const finishStamp = this.#finishStamp;
    // protocol.py ChatCompletionStreamResponse: usage, then system_fingerprint.
    if (finish && finishStamp !== null) {
      return this.#continuous
        ? {
            id,
            object,
            created,
            model,
            choices: [choice],
            usage: usageOf(this.#promptTokens, count, "stream"),
            system_fingerprint: finishStamp,
          }
        : { id, object, created, model, choices: [choice], system_fingerprint: finishStamp };
    }
    return this.#continuous
      ? {
          id,
          object,
          created,
          model,
          choices: [choice],
          usage: usageOf(this.#promptTokens, count, "stream"),
        }
      : { id, object, created, model, choices: [choice] };
  }
}

/** Two parser deltas of one chunk as one: texts joined, `content: null` kept when no text. */
function mergeDeltas(
  first: ReasoningDelta | undefined,
  second: ReasoningDelta | undefined,
): ReasoningDelta | undefined {
  if (first === undefined) return second;
  if (second === undefined) return first;
  const reasoning =
    first.reasoning === undefined && second.reasoning === undefined
      ? undefined
      : (first.reasoning ?? "") + (second.reasoning ?? "");
  const content =
    typeof first.content === "string" || typeof second.content === "string"
      ? (first.content ?? "") + (second.content ?? "")
      : first.content === null || second.content === null
        ? null
        : undefined;
  if (reasoning === undefined) return content === undefined ? {} : { content };
  return content === undefined ? { reasoning } : { reasoning, content };
}
