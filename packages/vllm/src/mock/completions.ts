/**
 * `POST /v1/completions` (vllm-openai.md §4.2, §5, §6; serving_completion.py): one choice per
 * prompt and `n`, indexed prompt·n + i; non-streaming bodies carry every field (nulls included);
 * stream chunks carry every key (`"usage": null` too) with no role chunk, the last token chunk
 * carries `finish_reason`, an optional usage chunk has `choices: []`.
 */
import { randomUUID } from "node:crypto";
import type { TokenEvent } from "@servingkit/mock-core";
import {
  type ChoicePlan,
  effectiveMaxTokens,
  finishOf,
  guidedText,
  mergeChoices,
  planChoices,
  runChoice,
  stopSuffix,
  streamPieces,
  usageOf,
} from "./choices.js";
import { completionPromptIds } from "./prompts.js";
import type { CompletionRequest } from "./requests.js";
import { checkModelName, type VllmModel } from "./served-model.js";

/** Completions `logprobs` (OpenAI legacy shape, vllm-openai.md §5). */
export interface CompletionLogprobs {
  text_offset: number[];
  token_logprobs: (number | null)[];
  tokens: string[];
  top_logprobs: (Record<string, number> | null)[];
}

/** Token counts as vLLM reports them. */
export interface Usage {
  prompt_tokens: number;
  total_tokens: number;
  completion_tokens: number;
  prompt_tokens_details?: null;
}

/** A generated piece of text with its logprobs, for the logprobs builders. */
function completionLogprobs(
  model: VllmModel,
  tokens: readonly TokenEvent[],
  startOffset: number,
): CompletionLogprobs {
  const out: CompletionLogprobs = {
    text_offset: [],
    token_logprobs: [],
    tokens: [],
    top_logprobs: [],
  };
  let offset = startOffset;
  for (const token of tokens) {
    const text = model.spec.tokenizer.tokenText(token.id);
    out.text_offset.push(offset);
    out.tokens.push(text);
    out.token_logprobs.push(clampLogprob(token.logprob));
    const top: Record<string, number> = { [text]: clampLogprob(token.logprob) ?? 0 };
    for (const alt of token.top ?? []) top[alt.text] ??= clampLogprob(alt.logprob) ?? 0;
    out.top_logprobs.push(top);
    offset += token.text.length;
  }
  return out;
}

/** vLLM clamps −inf to −9999.0 (vllm-openai.md §5). */
export function clampLogprob(logprob: number | undefined): number | null {
  if (logprob === undefined) return null;
  return Number.isFinite(logprob) ? logprob : -9999;
}

function completionId(): string {
  return `cmpl-${randomUUID().replaceAll("-", "")}`;
}

interface Prepared {
  readonly plans: ChoicePlan[];
  readonly promptTexts: string[];
  readonly promptTokens: number;
}

function prepare(model: VllmModel, request: CompletionRequest): Prepared {
  checkModelName(model, request.model);
  const plans: ChoicePlan[] = [];
  const promptTexts: string[] = [];
  let promptTokens = 0;
  request.prompts.forEach((prompt, p) => {
    const ids = completionPromptIds(model, prompt, request.addSpecialTokens);
    const maxTokens = effectiveMaxTokens(model, ids.length, request.maxTokens, "completions");
    promptTokens += ids.length;
    promptTexts.push("text" in prompt ? prompt.text : model.spec.tokenizer.decode(ids));
    plans.push(
      ...planChoices(model, ids, request, maxTokens, {
        firstIndex: p * request.n,
        logprobs: request.logprobs,
        forcedText: guidedText(request.guided, request.seed),
      }),
    );
  });
  return { plans, promptTexts, promptTokens };
}

/** The non-streaming answer. */
export async function completion(
  model: VllmModel,
  request: CompletionRequest,
  signal: AbortSignal,
): Promise<object> {
  const { plans, promptTexts, promptTokens } = prepare(model, request);
  const results = await Promise.all(plans.map((plan) => runChoice(model, plan, signal)));
  let completionTokens = 0;
  const choices = results.map((result) => {
    completionTokens += result.finish.completionTokens;
    const echo = request.echo ? (promptTexts[Math.floor(result.index / request.n)] ?? "") : "";
    return {
      index: result.index,
      text: echo + result.text + stopSuffix(result.finish, request.includeStopStrInOutput),
      logprobs:
        request.logprobs === undefined
          ? null
          : completionLogprobs(model, result.tokens, echo.length),
      ...finishOf(result.finish),
      prompt_logprobs: null,
    };
  });
  return {
    id: completionId(),
    object: "text_completion",
    created: model.nowSeconds(),
    model: model.served.id,
    choices,
    usage: usageOf(promptTokens, completionTokens, "answer"),
    kv_transfer_params: null,
  };
}

/**
 * The streamed answer as chunk objects (the adapter frames them as SSE and adds `[DONE]`).
 * Validation happens before the first chunk, so errors still get a proper status.
 */
export function completionStream(
  model: VllmModel,
  request: CompletionRequest,
  signal: AbortSignal,
): AsyncIterable<object> {
  const prepared = prepare(model, request);
  return streamChunks(model, request, prepared, signal);
}

async function* streamChunks(
  model: VllmModel,
  request: CompletionRequest,
  { plans, promptTexts, promptTokens }: Prepared,
  signal: AbortSignal,
): AsyncGenerator<object> {
  const head = {
    id: completionId(),
    object: "text_completion",
    created: model.nowSeconds(),
    model: model.served.id,
  };
  const continuous = request.streamOptions?.continuousUsageStats === true;
  const generated = new Map<number, number>();
  const promptOf = (index: number) => promptTexts[Math.floor(index / request.n)] ?? "";
  const promptIdsOf = (index: number) =>
    plans.find((plan) => plan.index === index)?.request.promptIds.length ?? 0;
  const chunk = (
    index: number,
    text: string,
    rest: object,
    logprobs: CompletionLogprobs | null,
  ) => ({
    ...head,
    choices: [{ index, text, logprobs, finish_reason: null, stop_reason: null, ...rest }],
    usage: continuous ? usageOf(promptIdsOf(index), generated.get(index) ?? 0, "stream") : null,
  });
  const logprobsOf = (tokens: readonly TokenEvent[]) =>
    request.logprobs === undefined ? null : completionLogprobs(model, tokens, 0);
  let completionTokens = 0;
  const pieceOf = streamPieces({
    includeStopStr: request.includeStopStrInOutput,
    generated,
    ...(request.echo && { initialText: promptOf }),
  });
  for await (const event of mergeChoices(model, plans, signal)) {
    const piece = pieceOf(event);
    if (piece === undefined) continue;
    if (piece.kind === "text") {
      yield chunk(piece.index, piece.text, {}, logprobsOf(piece.tokens));
      continue;
    }
    completionTokens += piece.finish.completionTokens;
    yield chunk(piece.index, piece.text, finishOf(piece.finish), logprobsOf(piece.tokens));
  }
  if (request.streamOptions?.includeUsage) {
    yield { ...head, choices: [], usage: usageOf(promptTokens, completionTokens, "stream") };
  }
}
