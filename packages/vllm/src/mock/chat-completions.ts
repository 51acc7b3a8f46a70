/**
 * `POST /v1/chat/completions` (vllm-openai.md §4.1, §5, §6; serving_chat.py): the messages
 * rendered through the model's chat template; non-streaming bodies carry every field (nulls
 * included); streams send one role chunk per choice at the first engine output, content deltas,
 * a final chunk with `finish_reason`/`stop_reason`, an optional usage chunk with `choices: []`.
 * Chunks omit unset keys (`exclude_unset`), so a content chunk has no `stop_reason`.
 * With `--reasoning-parser` the model thinks first (reasoning-parser.ts): the parser's split goes
 * into the release's reasoning field (profiles.ts `reasoningFields`), whole and delta by delta.
 */

import { sampleJson, type TokenEvent } from "@servingkit/mock-core";
import {
  bestCandidates,
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
  { tool, role, echoText, promptTokens, plans, modelName }: Prepared,
  signal: AbortSignal,
  fingerprint: string | null,
): AsyncIterable<string> {
  const fields = model.profile.reasoningFields;
  const parser = model.reasoningParser;
  // Tool calls stream as delta.tool_calls: the first fragment names the call, later ones carry
  // only index and argument text (vllm-openai.md §6).
  const named = new Set<number>();
  const toolCalls = (index: number, text: string, name: string): object[] => {
    if (named.has(index)) return [{ index: 0, function: { arguments: text } }];
    named.add(index);
    return [{ id: toolCallId(), type: "function", index: 0, function: { name, arguments: text } }];
  };
  const contentDelta =
    fields === "both"
      ? (text: string): object => ({ content: text, reasoning_content: null })
      : (text: string): object => ({ content: text });
  /** The delta of parser output `parts` (undefined: nothing goes out). */
  const partsDelta = (index: number, parts: ReasoningDelta): object | undefined => {
    if (!tool) return wireDelta(fields, parts);
    const { reasoning, content } = parts;
    const calls =
      typeof content === "string" && content !== ""
        ? toolCalls(index, content, tool.tool.name)
        : undefined;
    if (calls === undefined && reasoning === undefined) return undefined;
    return wireDelta(
      fields,
      calls === undefined
        ? { reasoning: reasoning ?? "" }
        : reasoning === undefined
          ? { toolCalls: calls }
          : { reasoning, toolCalls: calls },
    );
  };
  // With a parser, each choice's output goes through its own streaming split.
  const splits = new Map<number, ReasoningStream>();
  const splitOf = (index: number, reasoning: ReasoningParserSpec) => {
    let split = splits.get(index);
    if (split === undefined) {
      split = new ReasoningStream(reasoning);
      splits.set(index, split);
    }
    return split;
  };
  /** The delta of output text `text` (undefined: nothing goes out, as for a lone marker). */
  const delta = (index: number, text: string): object | undefined => {
    if (parser !== undefined) {
      const parts = splitOf(index, parser).push(text);
      return parts === undefined ? undefined : partsDelta(index, parts);
    }
    if (!tool) return contentDelta(text);
    return wireDelta(fields, { toolCalls: toolCalls(index, text, tool.tool.name) });
  };
  /** The last delta of a choice: its last text and, with a parser, what the split held back. */
  const lastDelta = (index: number, text: string): object => {
    if (parser === undefined)
      return text === "" ? wireDelta(fields, {}) : (delta(index, text) ?? {});
    const split = splitOf(index, parser);
    const parts = mergeDeltas(text === "" ? undefined : split.push(text), split.finish());
    splits.delete(index);
    return (parts === undefined ? undefined : partsDelta(index, parts)) ?? wireDelta(fields, {});
  };
  const id = chatId(request);
  const object = "chat.completion.chunk";
  const created = model.nowSeconds();
  const continuous = request.streamOptions?.continuousUsageStats === true;
  const includeUsage = request.streamOptions?.includeUsage === true;
  // serving.py: the finish chunks carry the fingerprint only when no usage chunk follows them.
  const finishStamp = includeUsage ? null : fingerprint;
  // Literals written out, not spread from a shared head: V8 builds a fresh map for every spread
  // that gains keys (about 2 µs a key).
  const chunk = (
    index: number,
    delta: object,
    logprobs: { content: ChatLogprob[] } | null,
    finish?: ReturnType<typeof finishOf>,
    /** The choice's tokens through this chunk (continuous_usage_stats; the role chunk's 0). */
    count = 0,
  ) => {
    const choice = finish
      ? {
          index,
          delta,
          logprobs,
          finish_reason: toolFinish(tool, finish.finish_reason),
          stop_reason: finish.stop_reason,
        }
      : { index, delta, logprobs, finish_reason: null };
    // protocol.py ChatCompletionStreamResponse: usage, then system_fingerprint.
    if (finish && finishStamp !== null) {
      return continuous
        ? {
            id,
            object,
            created,
            model: modelName,
            choices: [choice],
            usage: usageOf(promptTokens, count, "stream"),
            system_fingerprint: finishStamp,
          }
        : {
            id,
            object,
            created,
            model: modelName,
            choices: [choice],
            system_fingerprint: finishStamp,
          };
    }
    return continuous
      ? {
          id,
          object,
          created,
          model: modelName,
          choices: [choice],
          usage: usageOf(promptTokens, count, "stream"),
        }
      : { id, object, created, model: modelName, choices: [choice] };
  };
  const logprobsOf = (tokens: readonly TokenEvent[]) =>
    request.logprobs ? chatLogprobs(model, tokens, request.topLogprobs) : null;
  // The usual content chunk (no tool, no logprobs, no running usage) differs per choice only in
  // its text: written from a template per choice index, no chunk object or JSON walk per event.
  const plain = !tool && !request.logprobs && !continuous && parser === undefined;
  // One slot per choice from the start: a first write to index 0 of `[]` reserves 17 (152 bytes).
  const templates = new Array<((text: string) => string) | undefined>(plans.length);
  const contentFrame = (index: number, text: string): string => {
    let template = templates[index];
    if (template === undefined) {
      template = textFrames(chunk(index, contentDelta(textHole), null));
      templates[index] = template;
    }
    return template(text);
  };
  let completionTokens = 0;
  const pieces = streamPieces({
    includeStopStr: request.includeStopStrInOutput,
    keepTokens: request.logprobs === true,
    outputs: model.engine.outputs,
  });
  const framePiece = (piece: StreamPiece, emit: EmitFrame) => {
    const { text, tokens } = piece;
    if (piece.kind === "text") {
      if (plain) {
        emit(contentFrame(piece.index, text));
        return;
      }
      const content = delta(piece.index, text);
      // serving_chat.py: a delta the parser turns into nothing (a lone marker) is not sent.
      if (content === undefined) return;
      emit(sseEvent(chunk(piece.index, content, logprobsOf(tokens), undefined, piece.generated)));
      return;
    }
    completionTokens += piece.finish.completionTokens;
    emit(
      sseEvent(
        chunk(
          piece.index,
          lastDelta(piece.index, text),
          logprobsOf(tokens),
          finishOf(piece.finish),
          piece.generated,
        ),
      ),
    );
  };
  let started = false;
  return choiceFrames(
    model,
    plans,
    signal,
    (index, event, emit) => {
      if (!started) {
        // vllm-openai.md §6: the role chunks go out when the engine's first output arrives.
        started = true;
        const roleDelta = wireDelta(fields, { role, content: "" });
        for (const plan of plans) emit(sseEvent(chunk(plan.index, roleDelta, null)));
        if (echoText !== "") {
          const echoed = contentDelta(echoText);
          for (const plan of plans) emit(sseEvent(chunk(plan.index, echoed, null)));
        }
      }
      const piece = pieces.add(index, event);
      if (piece !== undefined) framePiece(piece, emit);
    },
    (emit) => {
      if (!includeUsage) return;
      const usage = usageOf(promptTokens, completionTokens, "stream");
      emit(sseUsageEvent(id, object, created, modelName, usage, fingerprint));
    },
    (emit) => pieces.flush((piece) => framePiece(piece, emit)),
  );
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
