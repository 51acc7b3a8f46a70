/**
 * The simple text engine: one request at a time per `generate` call, no batching, tokens paced by
 * a clock (time to first token, then a fixed inter-token gap, optionally on a fixed schedule). Output is deterministic from the
 * prompt (greedy) or from seed + prompt + parameters (sampling). Stop handling follows vLLM's
 * detokenizer and stop checker (vllm/v1/engine/detokenizer.py, vllm/v1/engine/output_processor).
 */
import type { Clock } from "../clock.js";
import { type EngineMetrics, type HistogramSink, MeteredRun } from "../gpu/engine-metrics.js";
import {
  type DrainedRun,
  type FinishEvent,
  type FinishReason,
  type GenerationEvent,
  type GenerationRequest,
  GenerationRequestError,
  type ReadySteps,
  type TextEngine,
  type TokenEvent,
} from "./generation.js";
import { tokenLogprobs } from "./logprobs.js";
import type { ModelSpec } from "./model-spec.js";
import { hashNumbers, hashString, seededRandom } from "./random.js";
import {
  echoSource,
  forcedSource,
  type TokenSource,
  textSource,
  withoutBadWords,
} from "./token-source.js";
import { IncrementalDecoder } from "./tokenizer.js";

/** Options of {@link createSimpleEngine}. Durations in milliseconds. */
export interface SimpleEngineOptions {
  /** Time source for pacing: `realClock` in a running mock, `ManualClock` in tests. */
  readonly clock: Clock;
  /** The served model (tokenizer, context length). */
  readonly model: ModelSpec;
  /** Delay before the first token (default 0: no wait). */
  readonly timeToFirstTokenMs?: number;
  /** Delay between tokens (default 0: no wait); see {@link SimpleEngineOptions.fixedSchedule}. */
  readonly interTokenMs?: number;
  /**
   * false (default): each token waits `interTokenMs` from when the consumer asked for it, so the
   * consumer's own time with a token adds to the gap. true: tokens keep a fixed schedule, token k
   * due `timeToFirstTokenMs + k * interTokenMs` after generation starts, and time the consumer
   * spends on one token shortens the wait for the next, as in vLLM, whose engine core steps on
   * its own and queues outputs. Under load (1,000 paced streams) true keeps the delivered gaps at
   * the configured value (docs/benchmarks.md, vllm-streams).
   */
  readonly fixedSchedule?: boolean;
  /**
   * false (default): every token event is an output of its own, so tokens a late consumer finds
   * overdue go out as separate SSE events. true, with `fixedSchedule` and `interTokenMs` > 0: the
   * engine's `outputs` are "steps" (see {@link TextEngine.outputs}): the tokens that came due
   * while the consumer was away are one output, as vLLM V1's RequestOutputCollector merges the
   * deltas a slow consumer has not taken into one RequestOutput, text concatenated, token ids and
   * logprobs appended (vllm/v1/engine/output_processor.py, PR #12298; V1 is the default engine
   * from 0.8.0). A consumer on time still gets one token per output. Not with
   * `withStreamInterval` (it wants one output per token).
   */
  readonly mergeOverdue?: boolean;
  /** Source of random seeds for sampling requests without one (default `Math.random`). */
  readonly random?: () => number;
  /**
   * vLLM's metrics, kept from each run on the clock (a {@link MeteredRun} per run: running
   * requests, TTFT, inter-token gaps, counters, finish reasons, e2e). Default: none.
   */
  readonly metrics?: EngineMetrics<HistogramSink>;
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new GenerationRequestError(message);
}

/** Checks an optional integer setting; a function of its own, not a closure per request. */
function optionalInt(value: number | undefined, min: number, name: string): void {
  if (value !== undefined && !(Number.isInteger(value) && value >= min)) {
    throw new GenerationRequestError(`${name} must be an integer >= ${min}`);
  }
}

function validate(request: GenerationRequest, model: ModelSpec): void {
  const { vocabSize } = model.tokenizer;
  // The message is written only for a request that fails (this runs per request), and the checks
  // are plain loops: no closure per request, no empty list for an absent `stop`.
  const { promptIds, stop } = request;
  for (let i = 0; i < promptIds.length; i++) {
    const id = promptIds[i] as number;
    if (!(Number.isInteger(id) && id >= 0 && id < vocabSize)) {
      throw new GenerationRequestError(`prompt token ids must be integers in [0, ${vocabSize})`);
    }
  }
  check(
    Number.isInteger(request.maxTokens) && request.maxTokens >= 0,
    "maxTokens must be a non-negative integer",
  );
  optionalInt(request.minTokens, 0, "minTokens");
  optionalInt(request.topK, -1, "topK");
  optionalInt(request.logprobs, 0, "logprobs");
  optionalInt(request.seed, Number.MIN_SAFE_INTEGER, "seed");
  check(
    request.temperature === undefined ||
      (Number.isFinite(request.temperature) && request.temperature >= 0),
    "temperature must be a finite number >= 0",
  );
  check(
    request.topP === undefined || (request.topP > 0 && request.topP <= 1),
    "topP must be in (0, 1]",
  );
  if (stop !== undefined) {
    for (let i = 0; i < stop.length; i++) {
      check((stop[i] as string).length > 0, "stop sequences must not be empty");
    }
  }
}

/**
 * Earliest match of any stop string that ends after `before` (the text length before the newest
 * token), as vLLM's check_stop_strings searches: [index, stop] or undefined.
 */
function findStop(
  text: string,
  stops: readonly string[],
  before: number,
): [number, string] | undefined {
  let best: [number, string] | undefined;
  for (const stop of stops) {
    const at = text.indexOf(stop, Math.max(0, before - stop.length + 1));
    if (at >= 0 && (best === undefined || at < best[0])) best = [at, stop];
  }
  return best;
}

/**
 * Creates the simple engine for `model`. See {@link TextEngine} for the event contract. Details:
 * - the token budget is min(maxTokens, maxModelLen − prompt length); reaching it ends with "length";
 * - EOS (when the tokenizer has one, unless `ignoreEos`) comes at the text's natural end, never
 *   before `minTokens` tokens; stop token ids likewise only count from `minTokens` on;
 * - stop strings are matched in the generated text (across token boundaries) once more than
 *   `minTokens` tokens exist, and only where they end in text after the first `minTokens` tokens
 *   (vLLM's detokenizer); unless `includeStopInOutput`, the last (longest stop − 1) characters are
 *   held back meanwhile so no part of a stop string is ever released (vLLM's stop_buffer_length);
 * - EOS and stop tokens have empty text unless `includeStopInOutput` (vLLM skips a
 *   stop-terminating token's text); EOS and stop ids win over "length" on the last token, as in
 *   vLLM's check_stop (vllm/v1/core/sched/utils.py).
 */
export function createSimpleEngine(options: SimpleEngineOptions): TextEngine {
  const { clock, model } = options;
  const ttft = options.timeToFirstTokenMs ?? 0;
  const itl = options.interTokenMs ?? 0;
  const fixedSchedule = options.fixedSchedule ?? false;
  const randomSeed = options.random ?? Math.random;
  const settings: RunSettings = {
    clock,
    model,
    ttft,
    itl,
    fixedSchedule,
    metrics: options.metrics,
  };
  const engine: TextEngine = {
    generate(request, generateOptions = {}) {
      validate(request, model);
      const greedy = request.temperature === 0;
      const seed = greedy ? 0 : (request.seed ?? Math.floor(randomSeed() * 2 ** 32));
      return new SimpleRun(settings, request, seed, greedy, generateOptions.signal);
    },
    lateSignal: true,
  };
  return mergesOverdue(options) ? { ...engine, outputs: "steps" } : engine;
}

/**
 * Whether runs with these options merge overdue tokens ({@link SimpleEngineOptions.mergeOverdue}):
 * asked for, on a fixed schedule and paced. Only a fixed schedule has overdue tokens (otherwise
 * each wait starts when the consumer asks), and with no inter-token gap every token would be
 * "ready at once", one output per run. withStreamInterval's late merging follows the same rule.
 */
export function mergesOverdue(
  options: Pick<SimpleEngineOptions, "mergeOverdue" | "fixedSchedule" | "interTokenMs">,
): boolean {
  return (
    options.mergeOverdue === true &&
    options.fixedSchedule === true &&
    (options.interTokenMs ?? 0) > 0
  );
}

/** What every run of one engine shares. Durations in milliseconds. */
interface RunSettings {
  readonly clock: Clock;
  readonly model: ModelSpec;
  readonly ttft: number;
  readonly itl: number;
  readonly fixedSchedule: boolean;
  readonly metrics: EngineMetrics<HistogramSink> | undefined;
}

/** The state a run sets up at its first step (a generator's body, too, starts at its first `next`). */
interface RunState {
  readonly source: TokenSource;
  readonly logprobRandom: () => number;
  readonly budget: number;
  readonly minTokens: number;
  readonly stops: readonly string[];
  readonly includeStop: boolean;
  /** Characters held back while stop strings may still match (vLLM's stop_buffer_length). */
  readonly holdBack: number;
  readonly stopIds: ReadonlySet<number>;
  readonly eos: number | undefined;
  readonly decoder: IncrementalDecoder;
  readonly started: number;
  readonly meter: MeteredRun | undefined;
  /** All generated text so far (stop-token / EOS text excluded); kept only with stop strings. */
  text: string;
  /** Characters of `text` already handed out in token events. */
  released: number;
  count: number;
  /** The id of the newest token (its event's `id`). */
  lastId: number;
  /**
   * Set by the step that ends the run: the finish event comes on the next `next`. The reason and
   * stop as two fields, not an object per run.
   */
  ending: FinishReason | undefined;
  /** The stop string or token id that ended the run (with `ending` "stop"). */
  endingStop: string | number | undefined;
}

const doneResult: IteratorResult<GenerationEvent> = Object.freeze({ done: true, value: undefined });

/** The stop token ids of a run given none: one shared empty set, not one per run. */
const noStopIds: ReadonlySet<number> = new Set();

/** The stop strings of a run given none: one shared empty list, not one per run. */
const noStops: readonly string[] = Object.freeze([]);

/** The bad words of a request that names none: one shared empty list. */
const noBadWords: readonly (readonly number[])[] = [];

/** The logprob draws of a run that asks for no logprobs: never called. */
function noLogprobRandom(): number {
  throw new Error("logprobs were not asked for");
}

/** A `next` or `return` that came while a paced step was still waiting on the clock. */
interface Queued {
  readonly call: "next" | "return";
  readonly resolve: (result: Promise<IteratorResult<GenerationEvent>>) => void;
}

/**
 * One request's events as an async iterator that computes each step synchronously: a step with
 * no wait (no pacing) is one resolved promise, not an async-generator resume, a yield and an
 * await per token; a paced step waits on the clock first. It behaves as the async generator it
 * replaces: set-up at the first `next`, an abort seen between tokens and at every wait, the run
 * metered until the consumer takes the finish event and asks again or leaves (`return`), a
 * failing step rejecting its `next` and ending the run, and calls made while a step waits served
 * in order after it.
 */
class SimpleRun implements AsyncIterableIterator<GenerationEvent>, ReadySteps {
  readonly #settings: RunSettings;
  readonly #request: GenerationRequest;
  readonly #seed: number;
  readonly #greedy: boolean;
  #signal: AbortSignal | undefined;
  #state: RunState | undefined;
  /** "finished": the finish event went out; "closed": nothing more (return, error or after finish). */
  #phase: "running" | "finished" | "closed" = "running";
  /** A paced step is waiting on the clock; later calls queue behind it. */
  #waiting = false;
  /** Made by the first call that queues (a paced run's): an unpaced run never needs one. */
  #queue: Queued[] | undefined;
  /**
   * While {@link SimpleRun.drainNow} runs: when its tokens leave, in seconds on the clock. They
   * go out together (one answer, no turn of the event loop between them), so they are metered at
   * one time, read once, not once per token. Undefined otherwise: each token reads the clock.
   */
  #leaving: number | undefined;
  /** What a `wait` took, for the `nextReady()` its callback makes. */
  #kept: IteratorResult<GenerationEvent> | undefined;
  /** The pending `wait`'s number; leaving moves it on, so a dropped wait calls nothing back. */
  #waits = 0;

  constructor(
    settings: RunSettings,
    request: GenerationRequest,
    seed: number,
    greedy: boolean,
    signal: AbortSignal | undefined,
  ) {
    this.#settings = settings;
    this.#request = request;
    this.#seed = seed;
    this.#greedy = greedy;
    this.#signal = signal;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<GenerationEvent>> {
    return this.#waiting ? this.#enqueue("next") : this.#next();
  }

  return(): Promise<IteratorResult<GenerationEvent>> {
    this.#drop();
    return this.#waiting ? this.#enqueue("return") : this.#return();
  }

  /**
   * `next()` behind callbacks (ReadySteps.wait): a step that needs no wait is taken at once and
   * called back before `wait` returns; a paced one sleeps on the clock and is taken in the
   * clock's callback (`Clock.after`: no promise at all; `sleep` where a clock lacks it), as
   * `next()` takes it. Calls queued
   * meanwhile (a `return()`) are served after it; a consumer that left is not called back.
   */
  wait(onReady: () => void, onError: (reason: unknown) => void): void {
    this.#waits += 1;
    const waiter = this.#waits;
    if (this.#waiting) {
      // Behind a paced `next()`: after it, in order.
      this.next().then(
        (result) => {
          if (this.#waits !== waiter) return;
          this.#kept = result;
          onReady();
        },
        (error: unknown) => {
          if (this.#waits === waiter) onError(error);
        },
      );
      return;
    }
    let step: IteratorResult<GenerationEvent> | number;
    try {
      step = this.#step();
    } catch (error) {
      this.#close();
      onError(error);
      return;
    }
    if (typeof step !== "number") {
      this.#kept = step;
      onReady();
      return;
    }
    const state = this.#state as RunState;
    const signal = this.#signal;
    if (signal?.aborted) {
      this.#kept = this.#finishResult(state, "abort");
      onReady();
      return;
    }
    this.#waiting = true;
    this.#waitedAs = waiter;
    this.#onReady = onReady;
    this.#onWaitError = onError;
    // The sleep's callbacks, made by the run's first paced wait (an unpaced run makes none).
    this.#onSlept ??= () => this.#woken(true, undefined);
    this.#onSleepFailed ??= (failure: unknown) => this.#woken(false, failure);
    // The callback form where the clock has one: no promise per paced token.
    const clock = this.#settings.clock;
    if (clock.after !== undefined) clock.after(step, this.#onSlept, this.#onSleepFailed, signal);
    else clock.sleep(step, signal).then(this.#onSlept, this.#onSleepFailed);
  }

  /** A pending wait's callbacks, while its paced step sleeps. */
  #onReady: (() => void) | undefined;
  #onWaitError: ((reason: unknown) => void) | undefined;
  /** The sleeping wait's number (`#waits` when it began): moved on by leaving, it calls nothing. */
  #waitedAs = 0;
  #onSlept: (() => void) | undefined;
  #onSleepFailed: ((error: unknown) => void) | undefined;

  /** A waited paced step's sleep ended: take the step (or the abort finish), as #paced does. */
  #woken(slept: boolean, error: unknown): void {
    const waiter = this.#waitedAs;
    const onReady = this.#onReady as () => void;
    const onError = this.#onWaitError as (reason: unknown) => void;
    this.#onReady = undefined;
    this.#onWaitError = undefined;
    this.#waiting = false;
    const state = this.#state as RunState;
    let result: IteratorResult<GenerationEvent> | undefined;
    let failure: { readonly error: unknown } | undefined;
    try {
      if (slept) result = { done: false, value: this.#token(state) };
      else if (this.#signal?.aborted) result = this.#finishResult(state, "abort");
      else {
        this.#close();
        failure = { error };
      }
    } catch (thrown) {
      this.#close();
      failure = { error: thrown };
    }
    // Calls queued meanwhile (a return) first; a consumer that left hears nothing.
    this.#dequeue();
    if (this.#waits !== waiter) return;
    if (failure !== undefined) onError(failure.error);
    else {
      this.#kept = result;
      onReady();
    }
  }

  /** The consumer leaves: a pending wait calls nothing back. */
  #drop(): void {
    this.#waits += 1;
    this.#kept = undefined;
  }

  #enqueue(call: Queued["call"]): Promise<IteratorResult<GenerationEvent>> {
    this.#queue ??= [];
    const queue = this.#queue;
    return new Promise((resolve) => queue.push({ call, resolve }));
  }

  /** After a paced step settles: serve the calls that came meanwhile, until one waits again. */
  #dequeue(): void {
    while (!this.#waiting) {
      const queued = this.#queue?.shift();
      if (queued === undefined) return;
      queued.resolve(queued.call === "next" ? this.#next() : this.#return());
    }
  }

  #return(): Promise<IteratorResult<GenerationEvent>> {
    this.#close();
    return Promise.resolve(doneResult);
  }

  #close(): void {
    if (this.#phase === "closed") return;
    this.#phase = "closed";
    this.#state?.meter?.close();
  }

  /** Closes the run now, as `return()` does when no step waits (see ReadySteps). */
  /** The run's abort signal from now on (TextEngine.lateSignal, ReadySteps.watch). */
  watch(signal: AbortSignal): void {
    this.#signal = signal;
  }

  closeNow(): void {
    if (this.#waiting) throw new Error("closeNow while a paced step waits: call return()");
    this.#drop();
    this.#close();
  }

  /** The next step when it needs no wait (see ReadySteps), else undefined: call `next()`. */
  nextReady(): IteratorResult<GenerationEvent> | undefined {
    const kept = this.#kept;
    if (kept !== undefined) {
      this.#kept = undefined;
      return kept;
    }
    if (this.#waiting) return undefined;
    try {
      const step = this.#step();
      return typeof step === "number" ? undefined : step;
    } catch (error) {
      this.#close();
      throw error;
    }
  }

  #next(): Promise<IteratorResult<GenerationEvent>> {
    let step: IteratorResult<GenerationEvent> | number;
    try {
      step = this.#step();
    } catch (error) {
      this.#close();
      return Promise.reject(error);
    }
    return typeof step === "number"
      ? this.#paced(this.#state as RunState, step)
      : Promise.resolve(step);
  }

  /**
   * Takes the next step if it needs no wait and returns its result; else returns the wait in
   * milliseconds (> 0), having changed nothing but the run's set-up, and the step is paced.
   */
  #step(): IteratorResult<GenerationEvent> | number {
    if (this.#phase !== "running") {
      this.#close();
      return doneResult;
    }
    this.#state ??= this.#begin();
    const state = this.#state;
    const signal = this.#signal;
    const due = this.#due(state, signal);
    if (due !== undefined) return { done: false, value: due };
    const { clock, ttft, itl, fixedSchedule } = this.#settings;
    // Unpaced (both 0), no step ever waits: the fixed schedule's clock read is skipped.
    const wait =
      ttft <= 0 && itl <= 0
        ? 0
        : fixedSchedule
          ? ttft + state.count * itl - (clock.now() - state.started)
          : state.count === 0
            ? ttft
            : itl;
    if (wait > 0) return wait;
    // With no wait there is nothing to await: only an abort can stop the next token.
    if (signal?.aborted) return this.#finishResult(state, "abort");
    return { done: false, value: this.#token(state) };
  }

  /**
   * The finish event the run owes before any further token, taken (metered) if there is one: a
   * token that ended the run, an abort between tokens, the token budget spent. Else undefined.
   */
  #due(state: RunState, signal: AbortSignal | undefined): FinishEvent | undefined {
    if (state.ending) return this.#finishEvent(state, state.ending, state.endingStop);
    // An abort between tokens ends the run before the next one.
    if (state.count > 0 && signal?.aborted) return this.#finishEvent(state, "abort");
    if (state.count >= state.budget) return this.#finishEvent(state, "length");
    return undefined;
  }

  /**
   * Every remaining step at once, when no step can wait (see ReadySteps.drainNow): the checks of
   * {@link SimpleRun.#step} with no wait, each token's text appended, no event made per token.
   */
  drainNow(): DrainedRun | undefined {
    const { ttft, itl } = this.#settings;
    if (this.#waiting || this.#phase !== "running" || ttft > 0 || itl > 0) return undefined;
    try {
      const begun = this.#state;
      const state = begun ?? this.#begin();
      this.#state = state;
      const signal = this.#signal;
      // A run begun here leaves when it began: the clock read once for both.
      if (state.meter !== undefined) {
        this.#leaving = (begun === undefined ? state.started : this.#settings.clock.now()) / 1000;
      }
      // The pieces joined once at the end: one flat string, where `text +=` per token made a
      // rope node per token (and a flat copy while short) for the answer's writer to flatten.
      const pieces: string[] = [];
      for (;;) {
        const finish =
          this.#due(state, signal) ??
          (signal?.aborted ? this.#finishEvent(state, "abort") : undefined);
        if (finish !== undefined) {
          this.#close();
          return { text: pieces.join(""), finish };
        }
        pieces.push(this.#advance(state));
      }
    } catch (error) {
      this.#close();
      throw error;
    } finally {
      this.#leaving = undefined;
    }
  }

  /** Waits `ms` on the clock, then takes the step (or finishes with "abort" if the signal fired). */
  #paced(state: RunState, ms: number): Promise<IteratorResult<GenerationEvent>> {
    const signal = this.#signal;
    if (signal?.aborted) return this.#finish(state, "abort");
    this.#waiting = true;
    // The step's result itself, not a promise of it: a promise returned from a `then` callback
    // costs two more microtasks and allocations per paced token.
    const step = (slept: boolean): IteratorResult<GenerationEvent> => {
      this.#waiting = false;
      try {
        return slept
          ? { done: false, value: this.#token(state) }
          : this.#finishResult(state, "abort");
      } catch (error) {
        this.#close();
        throw error;
      } finally {
        this.#dequeue();
      }
    };
    return this.#settings.clock.sleep(ms, signal).then(
      () => step(true),
      (error: unknown) => {
        if (signal?.aborted) return step(false);
        this.#waiting = false;
        this.#close();
        this.#dequeue();
        throw error;
      },
    );
  }

  #finish(
    state: RunState,
    reason: FinishReason,
    stop?: string | number,
  ): Promise<IteratorResult<GenerationEvent>> {
    return Promise.resolve(this.#finishResult(state, reason, stop));
  }

  #finishResult(
    state: RunState,
    reason: FinishReason,
    stop?: string | number,
  ): IteratorResult<GenerationEvent> {
    return { done: false, value: this.#finishEvent(state, reason, stop) };
  }

  /** The run's finish event, metered; the run is "finished" from now on. */
  #finishEvent(state: RunState, reason: FinishReason, stop?: string | number): FinishEvent {
    const { promptIds } = this.#request;
    // A drained run's finish leaves with its tokens, at the time they were metered.
    state.meter?.finish(reason, state.count, this.#leaving ?? this.#settings.clock.now() / 1000);
    this.#phase = "finished";
    const promptTokens = promptIds.length;
    const completionTokens = state.count;
    const seed = this.#seed;
    return stop === undefined
      ? { type: "finish", reason, seed, promptTokens, completionTokens }
      : { type: "finish", reason, stop, seed, promptTokens, completionTokens };
  }

  #begin(): RunState {
    const { clock, model, metrics } = this.#settings;
    const request = this.#request;
    const { tokenizer } = model;
    const promptTokens = request.promptIds.length;
    const promptMix = hashNumbers(request.promptIds);
    const base = this.#greedy
      ? promptMix
      : hashNumbers([
          this.#seed,
          request.temperature ?? 1,
          request.topP ?? 1,
          request.topK ?? 0,
          promptMix,
        ]);
    // A LoRA adapter's weights change the text: its name joins the mix (none: as before).
    const mix = request.lora === undefined ? base : hashNumbers([base, hashString(request.lora)]);
    const textRandom = seededRandom(mix);
    const echo =
      request.mode === "echo" && request.promptIds.some((id) => !tokenizer.isSpecial(id));
    // vLLM bad_words (token-source.ts withoutBadWords) filter the sampled text, not a forced one.
    const source: TokenSource =
      request.forcedText !== undefined
        ? forcedSource(model, request.forcedText, textSource(model, textRandom))
        : withoutBadWords(
            model,
            echo ? echoSource(model, request.promptIds) : textSource(model, textRandom),
            request.badWords ?? noBadWords,
          );
    const stops = request.stop ?? noStops;
    const includeStop = request.includeStopInOutput ?? false;
    const started = clock.now();
    return {
      source,
      // Drawn from only when logprobs are asked: the usual run makes neither generator nor set.
      logprobRandom:
        request.logprobs === undefined ? noLogprobRandom : seededRandom(mix ^ 0x5bd1e995),
      budget: Math.max(0, Math.min(request.maxTokens, model.maxModelLen - promptTokens)),
      minTokens: request.minTokens ?? 0,
      stops,
      includeStop,
      holdBack:
        stops.length > 0 && !includeStop ? stops.reduce((n, s) => Math.max(n, s.length), 0) - 1 : 0,
      stopIds:
        request.stopTokenIds !== undefined && request.stopTokenIds.length > 0
          ? new Set(request.stopTokenIds)
          : noStopIds,
      eos: request.ignoreEos ? undefined : tokenizer.eosTokenId,
      decoder: new IncrementalDecoder(tokenizer, { context: request.promptIds }),
      started,
      // Measured in the run itself (no wrapper per request).
      meter: metrics
        ? new MeteredRun(metrics, started / 1000, {
            maxTokens: request.maxTokens,
            promptTokens: request.promptIds.length,
            parent: request.parent,
          })
        : undefined,
      text: "",
      released: 0,
      count: 0,
      lastId: 0,
      ending: undefined,
      endingStop: undefined,
    };
  }

  /** Produces the next token event (see {@link SimpleRun.#advance}), with logprobs when asked. */
  #token(state: RunState): TokenEvent {
    const text = this.#advance(state);
    const id = state.lastId;
    const { logprobs } = this.#request;
    return logprobs === undefined
      ? { type: "token", id, text }
      : {
          type: "token",
          id,
          text,
          ...tokenLogprobs(this.#settings.model, id, logprobs, this.#greedy, state.logprobRandom),
        };
  }

  /**
   * Takes the next token: returns the text it releases, leaves its id in `lastId` and, when it
   * ends the run, its reason in `ending`; the token is metered.
   */
  #advance(state: RunState): string {
    const { decoder, minTokens, budget, includeStop } = state;
    const mayEnd = state.eos !== undefined && state.count >= minTokens;
    const next = state.source.next(mayEnd);
    const id = next ?? state.eos ?? 0; // next is undefined only when mayEnd, so eos is set
    const stopToken = next !== undefined && state.count >= minTokens && state.stopIds.has(next);
    const count = ++state.count;
    // No stop strings (the usual request): nothing is matched, held back or cut, so the piece is
    // just the token's decoded text, with no generated text kept and sliced per token.
    if (state.stops.length === 0) return this.#plainPiece(state, next, id, stopToken, count);
    let text = state.text;
    let reason: FinishReason | undefined;
    let stopValue: string | number | undefined;
    if (next === undefined) reason = "eos";
    else if (stopToken) {
      reason = "stop";
      stopValue = next;
      if (includeStop) text += decoder.push(next);
    } else {
      const before = text.length;
      text += decoder.push(next);
      if (count >= budget) text += decoder.flush();
      // vLLM checks stop strings only once more than min_tokens tokens exist.
      const match =
        count > minTokens && state.stops.length > 0
          ? findStop(text, state.stops, before)
          : undefined;
      if (match) {
        reason = "stop";
        stopValue = match[1];
        text = text.slice(0, match[0] + (includeStop ? match[1].length : 0));
      } else if (count >= budget) reason = "length";
    }
    // At the end everything held back is released, except text cut at a stop string.
    if (reason && typeof stopValue !== "string") text += decoder.flush();
    const until = reason ? text.length : Math.max(state.released, text.length - state.holdBack);
    const piece = text.slice(state.released, until);
    state.text = text;
    state.released = until;
    return this.#release(state, id, piece, reason, stopValue);
  }

  /**
   * {@link SimpleRun.#advance} for a run with no stop strings: the same pieces, each the text
   * its token completes (all of it released, as `holdBack` is 0 and nothing is cut).
   */
  #plainPiece(
    state: RunState,
    next: number | undefined,
    id: number,
    stopToken: boolean,
    count: number,
  ): string {
    const { decoder } = state;
    let piece = "";
    let reason: FinishReason | undefined;
    let stopValue: number | undefined;
    if (next === undefined) reason = "eos";
    else if (stopToken) {
      reason = "stop";
      stopValue = next;
      if (state.includeStop) piece = decoder.push(next);
    } else {
      piece = decoder.push(next);
      if (count >= state.budget) reason = "length";
    }
    // At the end everything held back is released.
    if (reason) piece += decoder.flush();
    return this.#release(state, id, piece, reason, stopValue);
  }

  /** A step's end: its id kept, its ending left when it ends the run, the token metered. */
  #release(
    state: RunState,
    id: number,
    piece: string,
    reason: FinishReason | undefined,
    stopValue: string | number | undefined,
  ): string {
    state.lastId = id;
    if (reason) {
      state.ending = reason;
      state.endingStop = stopValue;
    }
    state.meter?.token(this.#leaving ?? this.#settings.clock.now() / 1000);
    return piece;
  }
}
