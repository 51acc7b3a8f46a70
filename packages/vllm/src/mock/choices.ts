/**
 * The part of generation both endpoints share: one engine run per choice (`n` per prompt), vLLM's
 * effective `max_tokens` and context-length check, finish and stop reasons as vLLM reports them,
 * and the choices' event streams merged for SSE in the order they are produced.
 */
import {
  type FinishEvent,
  type GenerationEvent,
  type GenerationRequest,
  type ModelSpec,
  type ReadySteps,
  readySteps,
  type TokenEvent,
} from "@servingkit/mock-core";
import { badRequest, checkContextLength, ParameterError } from "./errors.js";
import { constrainedText } from "./guided-samplers.js";
import { pyRepr } from "./pydantic-errors.js";
import { type Guided, isGreedy, type Sampling } from "./requests.js";
import type { VllmModel } from "./served-model.js";
import { type EmitFrame, sseStream } from "./sse.js";

/** One engine run to make: which choice index it fills and what to generate. */
export interface ChoicePlan {
  readonly index: number;
  readonly request: GenerationRequest;
}

/**
 * Checks the prompt against `max_model_len` and returns the effective `max_tokens`:
 * min(L − N, requested) (vllm-openai.md §4.1, entrypoints/utils.py get_max_tokens); chat
 * without a request value gets L − N.
 */
export function effectiveMaxTokens(
  model: VllmModel,
  promptTokens: number,
  requested: number | undefined,
  endpoint: "chat" | "completions",
): number {
  const maxModelLen = model.served.maxModelLen;
  const error = checkContextLength(model.profile, {
    maxModelLen,
    promptTokens,
    maxTokens: requested,
    endpoint,
  });
  if (error) throw error;
  return Math.min(maxModelLen - promptTokens, requested ?? Number.POSITIVE_INFINITY);
}

/**
 * How many engine runs make the `n` choices of one prompt under the release's `best_of` rule
 * (profiles.ts, `VllmProfile.bestOf`): `n`, or `best_of` candidates on the V0 engine.
 * Throws vLLM's 400: SamplingParams' `best_of must be greater than or equal to n, got n={n} and
 * best_of={b}.` (releases with the field), the V1 processor's `vLLM V1 does not yet support
 * best_of.` for `best_of` > 1.
 */
export function candidateCount(model: VllmModel, sampling: Sampling): number {
  const { bestOf, n } = sampling;
  if (bestOf === undefined || model.profile.bestOf === "ignored") return n;
  if (bestOf < n) {
    throw badRequest(
      `best_of must be greater than or equal to n, got n=${n} and best_of=${bestOf}.`,
    );
  }
  if (model.profile.bestOf === "refused") {
    if (bestOf > 1) throw badRequest("vLLM V1 does not yet support best_of.");
    return n;
  }
  // V0's SamplingParams runs best_of sequences (n = best_of) before its greedy check.
  if (isGreedy(sampling) && bestOf > 1) {
    throw badRequest(`n must be 1 when using greedy sampling, got ${bestOf}.`);
  }
  return bestOf;
}

/**
 * The V0 engine's `best_of` pick among one prompt's candidates: the `n` with the highest
 * cumulative logprob, best first, renumbered from `firstIndex` (serving_completion.py numbers
 * choices as it appends them).
 */
export function bestCandidates(
  candidates: readonly ChoiceResult[],
  n: number,
  firstIndex: number,
): ChoiceResult[] {
  const score = (result: ChoiceResult) =>
    result.tokens.reduce((sum, token) => sum + (token.logprob ?? 0), 0);
  return [...candidates]
    .sort((a, b) => score(b) - score(a))
    .slice(0, n)
    .map((result, i) => ({ ...result, index: firstIndex + i }));
}

/**
 * The engine requests for the choices of one prompt (`n`, or `candidates` when `best_of` asks for
 * more), starting at choice `firstIndex`. With a seed, choice i samples with seed + i, so choices
 * differ and repeat across calls. Candidates always carry logprobs, which rank them.
 */
export function planChoices(
  model: VllmModel,
  promptIds: readonly number[],
  sampling: Sampling,
  maxTokens: number,
  options: {
    firstIndex: number;
    logprobs: number | undefined;
    echoIds?: readonly number[];
    /** Guided output for choice i (the engine emits exactly it, then EOS). */
    forcedText?: (i: number) => string | undefined;
    /** Engine runs to make (default `n`); see {@link candidateCount}. */
    candidates?: number;
    /** The LoRA adapter the request names, when it names one (model.loras). */
    lora?: string;
    /**
     * The id of the engine request these choices fan out of (vLLM V1: one parent per prompt with
     * `n` > 1 children, vllm/v1/engine/parallel_sampling.py), for its metrics.
     */
    parentId: string;
  },
): ChoicePlan[] {
  const count = options.candidates ?? sampling.n;
  const logprobs = options.logprobs ?? (count > sampling.n ? 0 : undefined);
  // vllm/v1/engine/processor.py: a priority other than 0 needs --scheduling-policy priority.
  if (sampling.priority !== 0 && model.schedulingPolicy !== "priority") {
    throw badRequest(`Got priority ${sampling.priority} but Priority scheduling is not enabled.`);
  }
  const parent = count > 1 ? { id: options.parentId, n: count } : undefined;
  const words = sampling.badWords;
  const badWords =
    words === undefined || words.length === 0 ? undefined : badWordIds(model.spec, words);
  // Sized once: an empty list grows to 17 slots at its first push.
  const plans = new Array<ChoicePlan>(count);
  for (let i = 0; i < count; i++) {
    // One literal with every key, absent ones undefined (GenerationRequest's readers test
    // `!== undefined` or `??`, never `in`): this runs per request, and keys added one by one
    // after a smaller literal land in a property store allocated and grown for them.
    const request: GenerationRequest = {
      promptIds: model.generationMode === "echo" && options.echoIds ? options.echoIds : promptIds,
      maxTokens,
      minTokens: sampling.minTokens,
      ignoreEos: sampling.ignoreEos,
      stop: sampling.stop,
      stopTokenIds: sampling.stopTokenIds,
      badWords,
      mode: model.generationMode,
      forcedText: options.forcedText?.(i),
      temperature: sampling.temperature,
      topP: sampling.topP,
      topK: sampling.topK,
      seed: sampling.seed === undefined ? undefined : sampling.seed + i,
      logprobs,
      priority: sampling.priority !== 0 ? sampling.priority : undefined,
      lora: options.lora,
      parent,
    };
    plans[i] = { index: options.firstIndex + i, request };
  }
  return plans;
}

/**
 * `bad_words` as SamplingParams `update_from_tokenizer` makes token sequences of them (vLLM
 * sampling_params.py): each word without its leading blanks, encoded without special tokens, is
 * refused as it begins the text; with one space before it, also mid-text, when that encoding is
 * as long and begins with another token (a tokenizer with a space-word token). A word whose bare
 * form encodes to nothing (blanks only) is refused with the newest release's text (before it,
 * vLLM failed in an index error; the mock answers the newer text in every release).
 */
export function badWordIds(spec: ModelSpec, words: readonly string[]): number[][] {
  const ids: number[][] = [];
  const options = { addSpecialTokens: false };
  for (const word of words) {
    const bare = word.trimStart();
    const alone = spec.tokenizer.encode(bare, options);
    const first = alone[0];
    if (first === undefined) {
      throw new ParameterError(
        "bad_words entries must tokenize to at least one token.",
        "bad_words",
        pyRepr(words),
      );
    }
    ids.push(alone);
    const spaced = spec.tokenizer.encode(` ${bare}`, options);
    if (spaced.length === alone.length && spaced[0] !== first) ids.push(spaced);
  }
  return ids;
}

/**
 * The guided output of choice i (mock-core `constrainedText`: a JSON value conforming to the
 * schema, one of the choices, a string matching the regex, or a sentence of the grammar); with a
 * seed, choice i uses seed + i, so guided outputs repeat across calls.
 */
export function guidedText(guided: Guided | undefined, seed: number | undefined) {
  if (guided === undefined) return undefined;
  return (i: number): string => constrainedText(guided, (seed ?? 0) + i);
}

/** An answer's `finish_reason` and `stop_reason`, as {@link finishOf} gives them. */
export interface FinishReasons {
  readonly finish_reason: "stop" | "length" | "abort";
  readonly stop_reason: string | number | null;
}

/** The reasons of every "length" finish: one shared object, none made per choice. */
const lengthReasons: FinishReasons = Object.freeze({ finish_reason: "length", stop_reason: null });

/** The reasons of every "abort" finish: one shared object. */
const abortReasons: FinishReasons = Object.freeze({ finish_reason: "abort", stop_reason: null });

/**
 * vLLM's `finish_reason` and `stop_reason` for an engine finish (vllm-openai.md §5). Read-only:
 * "length" and "abort" share one frozen object each (a max_tokens answer, the usual, makes none).
 */
export function finishOf(finish: FinishEvent): FinishReasons {
  if (finish.reason === "length") return lengthReasons;
  if (finish.reason === "abort") return abortReasons;
  return {
    finish_reason: "stop",
    stop_reason: finish.reason === "stop" ? (finish.stop ?? null) : null,
  };
}

/** The text a finish adds: the matched stop string under `include_stop_str_in_output`. */
export function stopSuffix(finish: FinishEvent, includeStopStr: boolean): string {
  return includeStopStr && finish.reason === "stop" && typeof finish.stop === "string"
    ? finish.stop
    : "";
}

/** A finished choice. */
export interface ChoiceResult {
  readonly index: number;
  readonly tokens: readonly TokenEvent[];
  readonly text: string;
  readonly finish: FinishEvent;
}

/**
 * Runs one choice to the end. Steps the engine has ready (mock-core `readySteps`: the unpaced
 * simple engine) are taken without a promise per token; the others are awaited. As a for-await
 * loop would, the run is closed after its finish event.
 */
export async function runChoice(
  model: VllmModel,
  plan: ChoicePlan,
  signal: AbortSignal,
): Promise<ChoiceResult> {
  const run = model.engine.generate(plan.request, { signal })[Symbol.asyncIterator]();
  const ready = readySteps(run);
  const tokens: TokenEvent[] = [];
  let text = "";
  for (;;) {
    const result = ready?.nextReady() ?? (await run.next());
    if (result.done) throw new Error("engine ended without a finish event");
    const event = result.value;
    if (event.type === "finish") {
      await run.return?.();
      return { index: plan.index, tokens, text, finish: event };
    }
    tokens.push(event);
    text += event.text;
  }
}

/**
 * A run's abort signal as a route holds it: `signal` may be made when first read (the fastify
 * host's client-gone signal), and `aborted`, when present, says whether it would be aborted now
 * without making it. An AbortController fits (its `aborted` absent: read from its signal).
 */
export interface RunSignal {
  readonly signal: AbortSignal;
  readonly aborted?: boolean;
}

/** The token list of a result whose reader never looks at its tokens (see {@link drainChoices}). */
const unread: readonly TokenEvent[] = Object.freeze([]);

/**
 * Runs one choice to the end as {@link runChoice} does, but synchronously while the engine has
 * every step ready and closes at once (mock-core `ReadySteps.closeNow`: the unpaced simple
 * engine): the result itself, no promise. From the first step that must wait it goes on as
 * `runChoice`, and the answer is a promise. Without `keepTokens` the result's `tokens` is empty
 * (its text and finish are whole).
 */
function drainChoice(
  model: VllmModel,
  plan: ChoicePlan,
  source: RunSignal,
  keepTokens: boolean,
): ChoiceResult | Promise<ChoiceResult> {
  // An engine that takes its signal late (the simple engine) gets one only if a step must wait:
  // no abort can reach steps taken before the event loop turns, so an unpaced run makes none.
  const late = model.engine.lateSignal === true && !(source.aborted ?? source.signal.aborted);
  const run = model.engine
    .generate(plan.request, late ? undefined : { signal: source.signal })
    [Symbol.asyncIterator]();
  const ready = readySteps(run);
  // No token event read: the engine runs to the end in one call, making none (ReadySteps.drainNow).
  const drained = keepTokens ? undefined : ready?.drainNow?.();
  if (drained !== undefined) {
    return { index: plan.index, tokens: unread, text: drained.text, finish: drained.finish };
  }
  const tokens: TokenEvent[] | undefined = keepTokens ? [] : undefined;
  let text = "";
  if (ready?.closeNow !== undefined) {
    for (let result = ready.nextReady(); result !== undefined; result = ready.nextReady()) {
      if (result.done) throw new Error("engine ended without a finish event");
      const event = result.value;
      if (event.type === "finish") {
        ready.closeNow();
        return { index: plan.index, tokens: tokens ?? unread, text, finish: event };
      }
      tokens?.push(event);
      text += event.text;
    }
  }
  if (late) ready?.watch?.(source.signal);
  return finishChoice(run, ready, plan.index, tokens, text);
}

/** The rest of a choice {@link drainChoice} began: `runChoice`'s loop from where it stopped. */
async function finishChoice(
  run: AsyncIterator<GenerationEvent>,
  ready: ReadySteps | undefined,
  index: number,
  tokens: TokenEvent[] | undefined,
  text: string,
): Promise<ChoiceResult> {
  let sofar = text;
  for (;;) {
    const result = ready?.nextReady() ?? (await run.next());
    if (result.done) throw new Error("engine ended without a finish event");
    const event = result.value;
    if (event.type === "finish") {
      await run.return?.();
      return { index, tokens: tokens ?? unread, text: sofar, finish: event };
    }
    tokens?.push(event);
    sofar += event.text;
  }
}

/**
 * Runs every plan to the end, results in plan order, as {@link runChoices} does; the results
 * themselves when every run was ready to the end (the unpaced simple engine: no promise per run
 * or per request), else a promise of them. The runs start in plan order either way, each as far
 * as its steps are ready before the next starts, as `runChoices`' async calls do. The runs watch
 * `source`'s signal, made only when a run must wait on an engine that takes it late. `keepTokens`
 * false (an answer that reads no logprobs and ranks no candidates) keeps no token events: each
 * result's `tokens` is empty, saving a list per run (default true: every token kept).
 */
export function drainChoices(
  model: VllmModel,
  plans: readonly ChoicePlan[],
  source: RunSignal,
  keepTokens = true,
): ChoiceResult[] | Promise<ChoiceResult[]> {
  // Sized once to the plans (an empty list grows to 17 slots at its first push), filled in order.
  const results = new Array<ChoiceResult>(plans.length);
  for (let i = 0; i < plans.length; i++) {
    const result = drainChoice(model, plans[i] as ChoicePlan, source, keepTokens);
    if (result instanceof Promise) {
      const signal = source.signal;
      const rest = plans.slice(i + 1).map((plan) => runChoice(model, plan, signal));
      return Promise.all([...results.slice(0, i), result, ...rest]);
    }
    results[i] = result;
  }
  return results;
}

/**
 * Runs every plan to the end, results in plan order. One plan (the usual case) is one engine run
 * with no `Promise.all` around it.
 */
export function runChoices(
  model: VllmModel,
  plans: readonly ChoicePlan[],
  signal: AbortSignal,
): Promise<ChoiceResult[]> {
  const only = plans.length === 1 ? plans[0] : undefined;
  if (only !== undefined) return runChoice(model, only, signal).then((result) => [result]);
  return Promise.all(plans.map((plan) => runChoice(model, plan, signal)));
}

/** An engine event tagged with its choice index. */
export interface ChoiceEvent {
  readonly index: number;
  readonly event: GenerationEvent;
}

/**
 * A streamed answer's SSE frames (sse.ts): runs every plan at once and calls `step` with each
 * engine event and its choice index as they come (vLLM streams all choices of a request
 * interleaved, one engine step at a time), then `end`; `idle` when the engine has no event ready
 * at once (sseStream). Leaving early closes every run. One plan
 * (the usual case) needs no racing: its engine run feeds the frames directly, with no layer
 * between. Runs start at the first read, as the engine's checks do.
 */
export function choiceFrames(
  model: VllmModel,
  plans: readonly ChoicePlan[],
  signal: AbortSignal,
  step: (index: number, event: GenerationEvent, emit: EmitFrame) => void,
  end: (emit: EmitFrame) => void,
  idle?: (emit: EmitFrame) => void,
): AsyncIterable<string> {
  const only = plans.length === 1 ? plans[0] : undefined;
  if (only === undefined) {
    return sseStream(
      model.profile,
      new ChoiceRace(model, plans, signal),
      (choice: ChoiceEvent, emit) => step(choice.index, choice.event, emit),
      end,
      idle,
    );
  }
  const { index } = only;
  const run: AsyncIterable<GenerationEvent> = {
    [Symbol.asyncIterator]: () =>
      model.engine.generate(only.request, { signal })[Symbol.asyncIterator](),
  };
  return sseStream(model.profile, run, (event, emit) => step(index, event, emit), end, idle);
}

const raceDone: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/** One choice's run in a {@link ChoiceRace}. */
interface RaceSlot {
  readonly index: number;
  readonly run: AsyncIterator<GenerationEvent>;
  readonly ready: ReadySteps | undefined;
  /** A `next` of the run is in flight. */
  reading: boolean;
  /** The run has ended (its `next` answered done). */
  done: boolean;
}

/**
 * Several choices' runs as one stream of {@link ChoiceEvent}s, in the order the runs produce
 * them (vLLM streams all choices of a request interleaved, one engine step at a time). It offers
 * ready steps (mock-core `readySteps`): events already produced (a read that has settled, or a
 * step a run has ready at once, taken round-robin from the choice after the last one served) are
 * handed out synchronously, so the stream frames a whole engine step's outputs in one turn and
 * knows when the step is over; otherwise `next` reads every idle run and answers with the first
 * event. The runs start at the first read, together (a GPU request's `n` children enter the
 * engine in one step); a failing run, leaving (`return`) or the end closes every run.
 */
class ChoiceRace implements AsyncIterableIterator<ChoiceEvent>, ReadySteps<ChoiceEvent> {
  readonly #model: VllmModel;
  readonly #plans: readonly ChoicePlan[];
  readonly #signal: AbortSignal;
  readonly #local = new AbortController();
  #slots: RaceSlot[] | undefined;
  /** Events read and not yet handed out, in the order their reads settled. */
  readonly #settled: ChoiceEvent[] = [];
  /** Where the next round-robin poll starts. */
  #turn = 0;
  #failure: { readonly error: unknown } | undefined;
  #closed = false;
  /** The waiting `next`'s callback, while one waits. */
  #wake: (() => void) | undefined;

  constructor(model: VllmModel, plans: readonly ChoicePlan[], signal: AbortSignal) {
    this.#model = model;
    this.#plans = plans;
    this.#signal = signal;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  nextReady(): IteratorResult<ChoiceEvent> | undefined {
    if (this.#closed) return raceDone;
    const slots = this.#start();
    const failure = this.#failure;
    if (failure !== undefined) {
      this.#close();
      throw failure.error;
    }
    const settled = this.#settled.shift();
    if (settled !== undefined) return { done: false, value: settled };
    let open = 0;
    for (let i = 0; i < slots.length; i++) {
      const at = (this.#turn + i) % slots.length;
      const slot = slots[at] as RaceSlot;
      if (slot.done) continue;
      open += 1;
      if (slot.reading || slot.ready === undefined) continue;
      let result: IteratorResult<GenerationEvent> | undefined;
      try {
        result = slot.ready.nextReady();
      } catch (error) {
        this.#close();
        throw error;
      }
      if (result === undefined) continue;
      if (result.done) {
        slot.done = true;
        open -= 1;
        continue;
      }
      this.#turn = (at + 1) % slots.length;
      return { done: false, value: { index: slot.index, event: result.value } };
    }
    if (open > 0) return undefined;
    this.#close();
    return raceDone;
  }

  next(): Promise<IteratorResult<ChoiceEvent>> {
    let ready: IteratorResult<ChoiceEvent> | undefined;
    try {
      ready = this.nextReady();
    } catch (error) {
      return Promise.reject(error);
    }
    if (ready !== undefined) return Promise.resolve(ready);
    for (const slot of this.#slots as RaceSlot[]) {
      if (!slot.done && !slot.reading) this.#read(slot);
    }
    return new Promise((resolve, reject) => {
      this.#wake = () => {
        let result: IteratorResult<ChoiceEvent> | undefined;
        try {
          result = this.nextReady();
        } catch (error) {
          this.#wake = undefined;
          reject(error);
          return;
        }
        if (result === undefined) return;
        this.#wake = undefined;
        resolve(result);
      };
    });
  }

  return(): Promise<IteratorResult<ChoiceEvent>> {
    const closing = this.#close();
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
    return closing.then(() => raceDone);
  }

  /** The runs, made at the first read (the engine's checks throw there, as a generator's would). */
  #start(): RaceSlot[] {
    if (this.#slots !== undefined) return this.#slots;
    const both = AbortSignal.any([this.#signal, this.#local.signal]);
    const engine = this.#model.engine;
    this.#slots = this.#plans.map((plan) => {
      const run = engine.generate(plan.request, { signal: both })[Symbol.asyncIterator]();
      return { index: plan.index, run, ready: readySteps(run), reading: false, done: false };
    });
    return this.#slots;
  }

  #read(slot: RaceSlot): void {
    slot.reading = true;
    slot.run.next().then(
      (result) => {
        slot.reading = false;
        if (result.done) slot.done = true;
        else this.#settled.push({ index: slot.index, event: result.value });
        this.#wake?.();
      },
      (error: unknown) => {
        slot.reading = false;
        slot.done = true;
        this.#failure ??= { error };
        this.#wake?.();
      },
    );
  }

  /**
   * Ends the race: the runs' signal aborts and every run not ended is closed; resolves when they
   * are (a generator's cleanup has run), never rejects.
   */
  #close(): Promise<unknown> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    this.#local.abort();
    const closing: Promise<unknown>[] = [];
    for (const slot of this.#slots ?? []) {
      const ending = slot.done ? undefined : slot.run.return?.();
      if (ending !== undefined) closing.push(ending);
    }
    return Promise.allSettled(closing);
  }
}

/**
 * vLLM's `usage` object (`UsageInfo` in vllm/entrypoints/openai/protocol.py): keys in its field
 * order, prompt, total, completion, as pydantic writes them. Whole answers carry
 * `prompt_tokens_details: null`; stream chunks drop null fields (vllm-openai.md §5, §6).
 */
export function usageOf(
  promptTokens: number,
  completionTokens: number,
  form: "answer" | "stream",
): object {
  const total = promptTokens + completionTokens;
  return form === "answer"
    ? {
        prompt_tokens: promptTokens,
        total_tokens: total,
        completion_tokens: completionTokens,
        prompt_tokens_details: null,
      }
    : { prompt_tokens: promptTokens, total_tokens: total, completion_tokens: completionTokens };
}

/**
 * One piece of a streamed answer: `text` ready to go out for a choice, or a choice's `finish`
 * with its last text (the matched stop string appended under `include_stop_str_in_output`).
 */
export type StreamPiece =
  | {
      readonly kind: "text";
      readonly index: number;
      readonly text: string;
      readonly tokens: readonly TokenEvent[];
      /** The choice's tokens through this piece (its `continuous_usage_stats` count). */
      readonly generated: number;
    }
  | {
      readonly kind: "finish";
      readonly index: number;
      readonly text: string;
      readonly tokens: readonly TokenEvent[];
      readonly generated: number;
      readonly finish: FinishEvent;
    };

/** The tokens of every piece when {@link streamPieces} keeps none (never written to). */
const noTokens: TokenEvent[] = [];

/** What {@link streamPieces} returns: the pieces of a streamed answer, event by event. */
export interface StreamPieces {
  /** The piece `event` of choice `index` completes, if any. */
  add(index: number, event: GenerationEvent): StreamPiece | undefined;
  /**
   * The text each open choice holds, handed to `each` as a text piece now (none for a choice
   * holding no text): for when the engine has no next event ready, so the text the step produced
   * goes out when the step ends, as vLLM sends each engine output (vllm-openai.md §6).
   */
  flush(each: (piece: StreamPiece) => void): void;
}

/**
 * Frames the choices' engine events as vLLM streams them (vllm-openai.md §6), one event at a
 * time: each choice's newest text waits for the choice's next event or a `flush` (the stream
 * calls it when no event is ready at once, serving_completion.py sending every engine output as it
 * comes), so its last text rides on the chunk with `finish_reason` (the finish follows the last
 * token at once), and an empty text never goes out alone. Each piece carries its choice's token
 * count through its own tokens (a chunk's `continuous_usage_stats` count: serving_completion.py
 * counts an output's tokens before making its chunk); `initialText` is what a choice starts with
 * (the echoed prompt of completions). Plain functions of the events, so the endpoint's
 * stream loop calls them per event instead of stacking another async layer.
 *
 * `outputs` is the engine's (mock-core `TextEngine.outputs`). Absent, each token event is an
 * output: a new token sends the choice's held text. "steps": a choice's tokens gather until the
 * `flush` (the engine has nothing more ready: the step is over) or its finish, so one piece holds
 * every token of an engine step (several under speculative decoding) and, when the stream was
 * read late, every step that ended meanwhile: vLLM's API server makes one chunk per RequestOutput,
 * and its RequestOutputCollector merges the outputs a slow consumer has not taken
 * (vllm/v1/engine/output_processor.py), text concatenated, tokens and logprobs appended, the
 * finish from the newest.
 */
export function streamPieces(options: {
  readonly includeStopStr: boolean;
  readonly initialText?: (index: number) => string;
  /** Pieces carry their token events (for logprobs); default true. False: always empty. */
  readonly keepTokens?: boolean;
  /** The engine's `outputs`: "steps" gathers a step's tokens into one piece; see above. */
  readonly outputs?: "steps" | undefined;
}): StreamPieces {
  return new StreamPieceQueue(
    options.includeStopStr,
    options.initialText,
    options.keepTokens ?? true,
    options.outputs !== "steps",
  );
}

/** The open choices of a queue with none yet (never written to). */
const noChoices: OpenChoice[] = [];

/** One open choice of a {@link StreamPieceQueue}: its held text and tokens, updated in place. */
class OpenChoice {
  readonly index: number;
  /** Text not yet handed out. */
  text: string;
  /** Its token events (replaced when handed out; the shared empty list when none are kept). */
  tokens: TokenEvent[];
  /** The choice's token count so far. */
  generated = 0;

  constructor(index: number, text: string, tokens: TokenEvent[]) {
    this.index = index;
    this.text = text;
    this.tokens = tokens;
  }
}

/**
 * {@link streamPieces}' state: the open choices in the order of their first event (the order
 * `flush` hands them out), in one array searched by index. A stream lives as long as its client
 * reads, so this is what every open stream keeps: no Map (two of them were about 500 bytes a
 * stream with their tables) and no closures.
 */
class StreamPieceQueue implements StreamPieces {
  readonly #includeStopStr: boolean;
  readonly #initialText: ((index: number) => string) | undefined;
  readonly #keepTokens: boolean;
  readonly #perToken: boolean;
  /**
   * The open choices, in the order of their first event. The first is put in a new one-slot array
   * (a push onto an empty array makes room for 17: 152 bytes, kept for the stream's life).
   */
  #open: OpenChoice[] = noChoices;

  constructor(
    includeStopStr: boolean,
    initialText: ((index: number) => string) | undefined,
    keepTokens: boolean,
    perToken: boolean,
  ) {
    this.#includeStopStr = includeStopStr;
    this.#initialText = initialText;
    this.#keepTokens = keepTokens;
    this.#perToken = perToken;
  }

  add(index: number, event: GenerationEvent): StreamPiece | undefined {
    const open = this.#open;
    let at = 0;
    while (at < open.length && (open[at] as OpenChoice).index !== index) at += 1;
    let pending = open[at];
    if (pending === undefined) {
      pending = new OpenChoice(
        index,
        this.#initialText?.(index) ?? "",
        this.#keepTokens ? [] : noTokens,
      );
      if (open.length === 0) this.#open = [pending];
      else open.push(pending);
    }
    if (event.type === "token") {
      const before = pending.generated;
      pending.generated = before + 1;
      if (this.#perToken && pending.text !== "") {
        const piece: StreamPiece = {
          kind: "text",
          index,
          text: pending.text,
          tokens: pending.tokens,
          generated: before,
        };
        pending.text = event.text;
        if (this.#keepTokens) pending.tokens = [event];
        return piece;
      }
      pending.text += event.text;
      if (this.#keepTokens) pending.tokens.push(event);
      return undefined;
    }
    open.splice(at, 1);
    return {
      kind: "finish",
      index,
      text: pending.text + stopSuffix(event, this.#includeStopStr),
      tokens: pending.tokens,
      generated: event.completionTokens,
      finish: event,
    };
  }

  flush(each: (piece: StreamPiece) => void): void {
    const open = this.#open;
    for (let at = 0; at < open.length; at += 1) {
      const pending = open[at] as OpenChoice;
      if (pending.text === "") continue;
      const piece: StreamPiece = {
        kind: "text",
        index: pending.index,
        text: pending.text,
        tokens: pending.tokens,
        generated: pending.generated,
      };
      pending.text = "";
      if (this.#keepTokens) pending.tokens = [];
      each(piece);
    }
  }
}
