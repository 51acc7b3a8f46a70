/**
 * `POST /v1/completions` (vllm-openai.md §4.2, §5, §6; serving_completion.py): one choice per
 * prompt and `n`, indexed prompt·n + i; non-streaming bodies carry every field (nulls included);
 * stream chunks carry every key (`"usage": null` too) with no role chunk, the last token chunk
 * carries `finish_reason`, an optional usage chunk has `choices: []`. From 0.10.1 (the profile's
 * `completionServiceTier`) the answer carries `service_tier` and `system_fingerprint` (null), from
 * 0.10.2 its choices `token_ids` and `prompt_token_ids` (vLLM PR #22587, `return_token_ids`, the
 * profile's `returnTokenIds`). From vLLM PR #40537 (0.21.0, the profile's `systemFingerprint`)
 * the fingerprint is a string, stream chunks are dumped with exclude_unset (no `"usage": null`),
 * and the fingerprint rides on the final message only (see {@link completionStream}).
 */
import type { FinishEvent, GenerationEvent, TokenEvent } from "@servingkit/mock-core";
import {
  bestCandidates,
  type ChoicePlan,
  type ChoiceResult,
  candidateCount,
  choiceFrames,
  drainChoices,
  effectiveMaxTokens,
  finishOf,
  guidedText,
  planChoices,
  type RunSignal,
  runChoices,
  type StreamPiece,
  stopSuffix,
  streamPieces,
  usageOf,
} from "./choices.js";
import { type PromptLogprobsEntry, promptLogprobsList } from "./prompt-logprobs.js";
import { completionPromptIds, truncatePrompt, truncationSize } from "./prompts.js";
import { type CompletionRequest, inputProcessorRefusal } from "./requests.js";
import { checkModelName, processorModel, type VllmModel } from "./served-model.js";
import { type EmitFrame, sseEvent, sseFrames, sseUsageEvent, textFrames, textHole } from "./sse.js";
import { jsonEscaped, jsonScalar, type PyDict, WireText, withKeyOrder } from "./wire-json.js";

/** Completions `logprobs` (OpenAI legacy shape, vllm-openai.md §5). */
export interface CompletionLogprobs {
  text_offset: number[];
  token_logprobs: (number | null)[];
  tokens: string[];
  /** Token text → logprob per position, the sampled token first (Python dict order). */
  top_logprobs: (PyDict<number> | null)[];
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
    const top: PyDict<number> = new Map([[text, clampLogprob(token.logprob) ?? 0]]);
    for (const alt of token.top ?? []) {
      if (!top.has(alt.text)) top.set(alt.text, clampLogprob(alt.logprob) ?? 0);
    }
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

/** A completion id's prefix (vllm-openai.md §1). */
const completionIdPrefix = "cmpl-";

/** `cmpl-` and the request id's base (vllm-openai.md §1), else a random uuid hex. */
function completionId(request: CompletionRequest): string {
  return `${completionIdPrefix}${request.requestId}`;
}

interface Prepared {
  readonly plans: ChoicePlan[];
  readonly promptTexts: string[];
  readonly promptIds: (readonly number[])[];
  readonly promptTokens: number;
  /** The response's `model`: the served name or the LoRA adapter the request named. */
  readonly modelName: string;
  /** Engine runs per prompt: `n`, or more for the V0 engine's `best_of`. */
  readonly candidates: number;
}

function prepare(model: VllmModel, request: CompletionRequest): Prepared {
  const modelName = checkModelName(model, request.model);
  const candidates = candidateCount(model, request);
  const count = request.prompts.length;
  // Sized to the prompts (an empty array grows to 17 slots at its first push); one prompt's
  // plans are the plans.
  let plans: ChoicePlan[] | undefined;
  const promptTexts = new Array<string>(count);
  const promptIds = new Array<readonly number[]>(count);
  let promptTokens = 0;
  const lora = model.loras.has(modelName) ? modelName : undefined;
  // truncate_prompt_tokens keeps each prompt's last tokens before its length check
  // (serving_engine.py: a text prompt is tokenized with truncation and echoes its text as sent; a
  // token prompt keeps its last ids and echoes their decoded text).
  const truncation = truncationSize(request.truncatePromptTokens, model.served.maxModelLen);
  // Indexed loops, no closure or spread of the plans: this runs per request.
  for (let p = 0; p < count; p++) {
    const prompt = request.prompts[p] as CompletionRequest["prompts"][number];
    const ids = truncatePrompt(
      completionPromptIds(model, prompt, request.addSpecialTokens),
      truncation,
    );
    const maxTokens = effectiveMaxTokens(model, ids.length, request.maxTokens, "completions");
    promptTokens += ids.length;
    promptIds[p] = ids;
    promptTexts[p] = "text" in prompt ? prompt.text : model.spec.tokenizer.decode(ids);
    const promptPlans = planChoices(model, ids, request, maxTokens, {
      firstIndex: p * candidates,
      logprobs: request.logprobs,
      candidates,
      forcedText: guidedText(request.guided, request.seed),
      // vLLM makes one engine request per prompt: `<id>-<p>` (serving_completion.py); read only
      // when the prompt fans out to more than one run, so not made per request otherwise.
      parentId: candidates > 1 ? `${completionId(request)}-${p}` : "",
      // Undefined when the request names none (planChoices reads it so): no spread per request.
      lora,
    });
    if (plans === undefined) plans = promptPlans;
    else for (const plan of promptPlans) plans.push(plan);
  }
  // The input processor's vocabulary checks, after every prompt's length check (requests.ts).
  const refused = inputProcessorRefusal(processorModel(model), request);
  if (refused) throw refused;
  return { plans: plans ?? [], promptTexts, promptIds, promptTokens, modelName, candidates };
}

/** Each prompt's `n` choices: all runs, or the V0 engine's best of its `best_of` candidates. */
function pickChoices(results: ChoiceResult[], n: number, candidates: number): ChoiceResult[] {
  if (candidates === n) return results;
  const picked: ChoiceResult[] = [];
  for (let first = 0; first < results.length; first += candidates) {
    const group = results.filter((r) => r.index >= first && r.index < first + candidates);
    picked.push(...bestCandidates(group, n, (first / candidates) * n));
  }
  return picked;
}

/**
 * The prompt logprobs a completions choice carries: `prompt_logprobs` when asked, else with
 * `echo` and `logprobs` the `logprobs` count (protocol.py to_sampling_params: an echoed prompt
 * gets prompt logprobs), else none.
 */
function promptLogprobsCount(request: CompletionRequest): number | undefined {
  return request.promptLogprobs ?? (request.echo ? request.logprobs : undefined);
}

/**
 * The echoed prompt's part of completions `logprobs` (serving_completion.py: prompt tokens and
 * their logprobs go before the generated ones): each prompt token's text and offset, the first
 * token's logprob and top map null.
 */
function echoedLogprobs(
  model: VllmModel,
  entries: readonly PromptLogprobsEntry[],
  ids: readonly number[],
  count: number,
): CompletionLogprobs {
  const out: CompletionLogprobs = {
    text_offset: [],
    token_logprobs: [],
    tokens: [],
    top_logprobs: [],
  };
  let offset = 0;
  ids.forEach((id, i) => {
    const text = model.spec.tokenizer.tokenText(id);
    const entry = entries[i] ?? null;
    out.text_offset.push(offset);
    out.tokens.push(text);
    const own = entry?.get(String(id));
    out.token_logprobs.push(own ? own.logprob : null);
    if (entry === null) out.top_logprobs.push(null);
    else {
      const top: PyDict<number> = new Map();
      for (const value of entry.values()) {
        if ((value.rank <= count || value === own) && !top.has(value.decoded_token)) {
          top.set(value.decoded_token, value.logprob);
        }
      }
      out.top_logprobs.push(top);
    }
    offset += model.spec.tokenizer.decode([id]).length;
  });
  return out;
}

function joinLogprobs(a: CompletionLogprobs, b: CompletionLogprobs): CompletionLogprobs {
  return {
    text_offset: [...a.text_offset, ...b.text_offset],
    token_logprobs: [...a.token_logprobs, ...b.token_logprobs],
    tokens: [...a.tokens, ...b.tokens],
    top_logprobs: [...a.top_logprobs, ...b.top_logprobs],
  };
}

/**
 * The non-streaming answer: the answer itself when the engine had every step ready (the unpaced
 * simple engine: no promise between the request and its answer), else a promise of it. `signal`
 * is read only if a run must wait (see drainChoices).
 */
export function completion(
  model: VllmModel,
  request: CompletionRequest,
  signal: RunSignal,
  fingerprint: string | null = null,
): object | Promise<object> {
  const prepared = prepare(model, request);
  // Token events are read only for logprobs, return_token_ids and to rank best_of candidates.
  const keepTokens =
    request.logprobs !== undefined ||
    request.returnTokenIds === true ||
    prepared.candidates !== request.n;
  const results = drainChoices(model, prepared.plans, signal, keepTokens);
  return results instanceof Promise
    ? results.then((settled) => answerOf(model, request, prepared, settled, fingerprint))
    : answerOf(model, request, prepared, results, fingerprint);
}

async function answer(
  model: VllmModel,
  request: CompletionRequest,
  prepared: Prepared,
  signal: AbortSignal,
  fingerprint: string | null,
): Promise<object> {
  const runs = await runChoices(model, prepared.plans, signal);
  return answerOf(model, request, prepared, runs, fingerprint);
}

/**
 * The answer from every engine run's result (candidates included), in plan order. `fingerprint`:
 * the server's `system_fingerprint`, written (with `service_tier: null` before it, as
 * protocol.py CompletionResponse orders them) from 0.10.1 (profiles.ts `completionServiceTier`;
 * null before vLLM PR #40537). From 0.10.2 each choice has `token_ids` and `prompt_token_ids`
 * (profiles.ts `returnTokenIds`), the ids only with `return_token_ids`.
 */
function answerOf(
  model: VllmModel,
  request: CompletionRequest,
  { promptTexts, promptIds, promptTokens, modelName, candidates }: Prepared,
  runs: ChoiceResult[],
  fingerprint: string | null,
): object {
  const results = pickChoices(runs, request.n, candidates);
  const promptCount = promptLogprobsCount(request);
  const { completionServiceTier, systemFingerprint, returnTokenIds } = model.profile;
  const stamped = completionServiceTier === true || systemFingerprint === true;
  const tokenKeys = returnTokenIds === true;
  if (request.logprobs === undefined && promptCount === undefined) {
    return plainAnswer(
      model,
      request,
      results,
      { promptTexts, promptIds, promptTokens, modelName },
      {
        stamped,
        fingerprint,
        tokenKeys,
      },
    );
  }
  const promptEntries = promptIds.map((ids) =>
    promptCount === undefined ? null : promptLogprobsList(model, ids, promptCount),
  );
  let completionTokens = 0;
  const choices = results.map((result) => {
    completionTokens += result.finish.completionTokens;
    const p = Math.floor(result.index / request.n);
    const echo = request.echo ? (promptTexts[p] ?? "") : "";
    const entries = promptEntries[p] ?? null;
    const generated =
      request.logprobs === undefined ? null : completionLogprobs(model, result.tokens, echo.length);
    const { finish_reason, stop_reason } = finishOf(result.finish);
    const text = echo + result.text + stopSuffix(result.finish, request.includeStopStrInOutput);
    const logprobs =
      generated && request.echo && entries
        ? joinLogprobs(
            echoedLogprobs(model, entries, promptIds[p] ?? [], request.logprobs ?? 0),
            generated,
          )
        : generated;
    const index = result.index;
    // protocol.py CompletionResponseChoice from vLLM PR #22587: token_ids after stop_reason,
    // prompt_token_ids after prompt_logprobs.
    return tokenKeys
      ? {
          index,
          text,
          logprobs,
          finish_reason,
          stop_reason,
          token_ids: request.returnTokenIds ? tokenIdsOf(result) : null,
          prompt_logprobs: entries,
          prompt_token_ids: request.returnTokenIds ? (promptIds[p] ?? []) : null,
        }
      : { index, text, logprobs, finish_reason, stop_reason, prompt_logprobs: entries };
  });
  const usage = usageOf(promptTokens, completionTokens, "answer");
  const id = completionId(request);
  const created = model.nowSeconds();
  const object = "text_completion";
  const whole = stamped
    ? {
        id,
        object,
        created,
        model: modelName,
        choices,
        service_tier: null,
        system_fingerprint: fingerprint,
        usage,
        kv_transfer_params: null,
      }
    : { id, object, created, model: modelName, choices, usage, kv_transfer_params: null };
  // Logprob maps keep their key order on the wire (wire-json.ts).
  return request.logprobs !== undefined || promptCount !== undefined ? withKeyOrder(whole) : whole;
}

/** A choice's generated token ids, in order (`return_token_ids`, vLLM PR #22587). */
function tokenIdsOf(result: ChoiceResult): number[] {
  const ids = new Array<number>(result.tokens.length);
  for (let i = 0; i < ids.length; i++) ids[i] = (result.tokens[i] as TokenEvent).id;
  return ids;
}

/** What {@link plainAnswer} writes of the prepared request besides the choices. */
type PlainPrompts = Pick<Prepared, "promptTexts" | "promptIds" | "promptTokens" | "modelName">;

/** What the release puts in a plain answer (profiles.ts), with the server's fingerprint. */
interface PlainKeys {
  /** `service_tier` and `system_fingerprint` written (before `usage`). */
  readonly stamped: boolean;
  readonly fingerprint: string | null;
  /** The choices' `token_ids` and `prompt_token_ids` written (vLLM PR #22587). */
  readonly tokenKeys: boolean;
}

/**
 * The usual answer, no logprobs of either kind asked: the same bytes as the object
 * {@link answer} builds (every key, nulls included, in its order), written from its pieces with
 * only the strings escaped (wire-json.ts `jsonEscaped`, `JSON.stringify`'s text for a string), not
 * an object stringified whole. The pieces are joined once into one flat string: a template would
 * make a tree of some thirty concatenations, which the host flattens again to count its bytes
 * (`Buffer.byteLength`) before writing it, about 1.4 KB per request where one join makes about
 * 0.6 KB (a loaded server's allocation profile).
 */
function plainAnswer(
  model: VllmModel,
  request: CompletionRequest,
  results: readonly ChoiceResult[],
  { promptTexts, promptIds, promptTokens, modelName }: PlainPrompts,
  { stamped, fingerprint, tokenKeys }: PlainKeys,
): WireText {
  let completionTokens = 0;
  // Sized once (7 pieces before the choices, 9 per choice, 7 after), filled in order.
  const parts = new Array<string | number>(14 + 9 * results.length);
  let at = 0;
  // The pieces hold the quotes; strings go in escaped (jsonEscaped), the id as completionId.
  parts[at++] = `{"id":"${completionIdPrefix}`;
  parts[at++] = jsonEscaped(request.requestId);
  parts[at++] = '","object":"text_completion","created":';
  parts[at++] = jsonScalar(model.nowSeconds());
  parts[at++] = ',"model":"';
  parts[at++] = jsonEscaped(modelName);
  parts[at++] = '","choices":[';
  for (let i = 0; i < results.length; i++) {
    const result = results[i] as ChoiceResult;
    completionTokens += result.finish.completionTokens;
    const echo = request.echo ? (promptTexts[Math.floor(result.index / request.n)] ?? "") : "";
    const text = echo + result.text + stopSuffix(result.finish, request.includeStopStrInOutput);
    // finish_reason is one of three plain words: nothing to escape.
    const { finish_reason, stop_reason } = finishOf(result.finish);
    parts[at++] = i === 0 ? '{"index":' : ',{"index":';
    parts[at++] = result.index;
    parts[at++] = ',"text":"';
    parts[at++] = jsonEscaped(text);
    parts[at++] = '","logprobs":null,"finish_reason":"';
    parts[at++] = finish_reason;
    parts[at++] = '","stop_reason":';
    parts[at++] = jsonScalar(stop_reason);
    parts[at++] = tokenKeys
      ? tokenIdKeys(request.returnTokenIds === true, result, promptIds, request.n)
      : ',"prompt_logprobs":null}';
  }
  parts[at++] = stamped
    ? `],"service_tier":null,"system_fingerprint":${fingerprint === null ? "null" : `"${jsonEscaped(fingerprint)}"`},"usage":{"prompt_tokens":`
    : '],"usage":{"prompt_tokens":';
  parts[at++] = promptTokens;
  parts[at++] = ',"total_tokens":';
  parts[at++] = promptTokens + completionTokens;
  parts[at++] = ',"completion_tokens":';
  parts[at++] = completionTokens;
  parts[at] = ',"prompt_tokens_details":null},"kv_transfer_params":null}';
  return new WireText(parts.join(""));
}

/**
 * A plain choice's tail from vLLM PR #22587: `token_ids`, `prompt_logprobs` (null here) and
 * `prompt_token_ids`, the ids written only when the request set `return_token_ids`.
 */
function tokenIdKeys(
  asked: boolean,
  result: ChoiceResult,
  promptIds: readonly (readonly number[])[],
  n: number,
): string {
  if (!asked) return ',"token_ids":null,"prompt_logprobs":null,"prompt_token_ids":null}';
  const prompt = promptIds[Math.floor(result.index / n)] ?? [];
  return `,"token_ids":[${tokenIdsOf(result).join(",")}],"prompt_logprobs":null,"prompt_token_ids":[${prompt.join(",")}]}`;
}

/**
 * The streamed answer as vLLM's SSE frames (sse.ts), `[DONE]` included. Validation happens
 * before the first frame, so errors still get a proper status. `fingerprint` is the server's
 * `system_fingerprint` (system-fingerprint.ts; `null`, the default, before 0.21.0 and in mode
 * `none`). From vLLM PR #40537 (completion/serving.py completion_stream_generator) token chunks
 * are dumped with exclude_unset, so `usage` shows only with continuous usage stats, and the
 * fingerprint rides on the final message only: the usage chunk when `include_usage` asks for
 * one (dumped with exclude_none: no key without a fingerprint), else each choice's chunk with
 * its `finish_reason`.
 */
export function completionStream(
  model: VllmModel,
  request: CompletionRequest,
  signal: AbortSignal,
  fingerprint: string | null = null,
): AsyncIterable<string> {
  const prepared = prepare(model, request);
  // vllm-openai.md §4.2: with best_of ≠ n the whole answer goes out as one event.
  if (prepared.candidates !== request.n) {
    return sseFrames(
      model.profile,
      oneEvent(answer(model, request, prepared, signal, fingerprint)),
    );
  }
  return streamFrames(model, request, prepared, signal, fingerprint);
}

async function* oneEvent(whole: Promise<object>): AsyncGenerator<object> {
  yield await whole;
}

function streamFrames(
  model: VllmModel,
  request: CompletionRequest,
  prepared: Prepared,
  signal: AbortSignal,
  fingerprint: string | null,
): AsyncIterable<string> {
  const frames = new CompletionFrames(model, request, prepared, fingerprint);
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
 * One completions stream's state and framing, as one object: its fields and methods in place of
 * a closure per helper over a shared context (about 30 bytes a closure, for as long as the stream
 * is open).
 */
class CompletionFrames {
  readonly #model: VllmModel;
  readonly #request: CompletionRequest;
  readonly #plans: readonly ChoicePlan[];
  readonly #promptTokens: number;
  readonly #modelName: string;
  readonly #fingerprint: string | null;
  readonly #id: string;
  readonly #created: number;
  readonly #continuous: boolean;
  readonly #includeUsage: boolean;
  /** vLLM PR #40537: chunks dumped with exclude_unset (no "usage": null). */
  readonly #unsetDropped: boolean;
  /** vLLM PR #40537: finish chunks stamped when no usage chunk follows them. */
  readonly #finishStamp: string | null;
  /** The usual text chunk: no logprobs, no running usage. */
  readonly #plain: boolean;
  /**
   * The usual text chunk differs per choice only in its text: written from a template per choice
   * index, no chunk object or JSON walk per event. One slot per choice from the start: a first
   * write to index 0 of `[]` reserves 17 (152 bytes).
   */
  readonly #templates: (((text: string) => string) | undefined)[];
  /**
   * serving_completion.py: a chunk's text_offset starts at the choice's output text so far
   * (previous_text_lens, the echoed prompt not counted).
   */
  readonly #textOffsets: number[] = [];
  readonly #pieces: ReturnType<typeof streamPieces>;
  #completionTokens = 0;

  constructor(
    model: VllmModel,
    request: CompletionRequest,
    { plans, promptTexts, promptTokens, modelName }: Prepared,
    fingerprint: string | null,
  ) {
    this.#model = model;
    this.#request = request;
    this.#plans = plans;
    this.#promptTokens = promptTokens;
    this.#modelName = modelName;
    this.#fingerprint = fingerprint;
    this.#id = completionId(request);
    this.#created = model.nowSeconds();
    this.#continuous = request.streamOptions?.continuousUsageStats === true;
    this.#includeUsage = request.streamOptions?.includeUsage === true;
    this.#unsetDropped = model.profile.systemFingerprint === true;
    this.#finishStamp = this.#includeUsage ? null : fingerprint;
    this.#plain = request.logprobs === undefined && !this.#continuous;
    this.#templates = new Array<((text: string) => string) | undefined>(plans.length);
    this.#pieces = streamPieces({
      includeStopStr: request.includeStopStrInOutput,
      keepTokens: request.logprobs !== undefined,
      outputs: model.engine.outputs,
      ...(request.echo && {
        initialText: (index: number) => promptTexts[Math.floor(index / request.n)] ?? "",
      }),
    });
  }

  /** A choice's engine event: framed once it completes a piece. */
  step(index: number, event: GenerationEvent, emit: EmitFrame): void {
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
        "text_completion",
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
    if (piece.kind === "text") {
      emit(
        this.#plain
          ? this.#textFrame(piece.index, piece.text)
          : sseEvent(
              this.#chunk(
                piece.index,
                piece.text,
                undefined,
                this.#logprobsOf(piece.index, piece.tokens),
                piece.generated,
              ),
            ),
      );
      return;
    }
    this.#completionTokens += piece.finish.completionTokens;
    emit(
      sseEvent(
        this.#chunk(
          piece.index,
          piece.text,
          piece.finish,
          this.#logprobsOf(piece.index, piece.tokens),
          piece.generated,
        ),
      ),
    );
  }

  #textFrame(index: number, text: string): string {
    let template = this.#templates[index];
    if (template === undefined) {
      template = textFrames(this.#chunk(index, textHole, undefined, null));
      this.#templates[index] = template;
    }
    return template(text);
  }

  #logprobsOf(index: number, tokens: readonly TokenEvent[]): CompletionLogprobs | null {
    if (this.#request.logprobs === undefined) return null;
    const start = this.#textOffsets[index] ?? 0;
    let end = start;
    for (const token of tokens) end += token.text.length;
    this.#textOffsets[index] = end;
    return completionLogprobs(this.#model, tokens, start);
  }

  /**
   * One chunk as an object. Literals written out, not spread from a shared head: V8 builds a
   * fresh map for every spread that gains keys (about 2 µs a key).
   */
  #chunk(
    index: number,
    text: string,
    finish: FinishEvent | undefined,
    logprobs: CompletionLogprobs | null,
    /** The choice's tokens through this chunk (continuous_usage_stats). */
    count = 0,
  ): object {
    const reasons = finish && finishOf(finish);
    const choices = [
      {
        index,
        text,
        logprobs,
        finish_reason: reasons ? reasons.finish_reason : null,
        stop_reason: reasons ? reasons.stop_reason : null,
      },
    ];
    const id = this.#id;
    const object = "text_completion";
    const created = this.#created;
    const model = this.#modelName;
    const usage = this.#continuous
      ? usageOf(
          this.#plans.find((plan) => plan.index === index)?.request.promptIds.length ?? 0,
          count,
          "stream",
        )
      : null;
    const finishStamp = this.#finishStamp;
    // protocol.py CompletionStreamResponse: usage, then system_fingerprint.
    const event = !this.#unsetDropped
      ? { id, object, created, model, choices, usage }
      : reasons && finishStamp !== null
        ? usage === null
          ? { id, object, created, model, choices, system_fingerprint: finishStamp }
          : { id, object, created, model, choices, usage, system_fingerprint: finishStamp }
        : usage === null
          ? { id, object, created, model, choices }
          : { id, object, created, model, choices, usage };
    // Logprob maps keep their key order on the wire (wire-json.ts).
    return logprobs === null ? event : withKeyOrder(event);
  }
}
