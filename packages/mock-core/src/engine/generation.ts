/**
 * The request/event interface between protocol handlers and a text engine. Handlers translate a
 * protocol's request into a {@link GenerationRequest}, read {@link GenerationEvent}s and map them
 * back (finish reasons, stop reasons, logprob shapes) per protocol. The simple engine implements
 * it now; a GPU-modelling scheduler implements the same interface later.
 */

import type { ParentRequest } from "../gpu/engine-metrics.js";

/**
 * Why generation ended. Families map it per protocol: vLLM answers "stop" for "eos" and stop
 * matches, "length" for "length"; TGIS has EOS_TOKEN, STOP_SEQUENCE, MAX_TOKENS, CANCELLED.
 */
export type FinishReason = "length" | "stop" | "eos" | "abort";

/** What to generate, in tokens. Parameters follow vLLM's SamplingParams (vllm-openai.md §4). */
export interface GenerationRequest {
  /** The prompt's token ids (already templated, truncated and validated by the caller). */
  readonly promptIds: readonly number[];
  /** At most this many new tokens (also capped by the model's context length); 0 produces none. */
  readonly maxTokens: number;
  /** EOS and stop sequences are not honoured before this many tokens (vLLM `min_tokens`); default 0. */
  readonly minTokens?: number;
  /** 0 = greedy: the output depends on the prompt alone and `seed` is ignored. Default 1. */
  readonly temperature?: number;
  /** Nucleus sampling mass in (0, 1]; default 1. Changes the sampled text, as any parameter does. */
  readonly topP?: number;
  /** Top-k cut-off; 0 or -1 = off (default). */
  readonly topK?: number;
  /** Makes sampling repeatable: same seed, prompt and parameters → same tokens. Default: random. */
  readonly seed?: number;
  /** Text stop sequences; the earliest match ends generation with reason "stop". */
  readonly stop?: readonly string[];
  /**
   * Put the matched stop string (or the stop token's text) in the output, as vLLM's
   * `include_stop_str_in_output` and TGIS's `include_stop_sequence` do. Default false: output
   * ends before the match, and while stop strings are set the last (longest stop − 1)
   * characters are held back so no part of a stop string is ever released.
   */
  readonly includeStopInOutput?: boolean;
  /**
   * Token id sequences the output never contains (vLLM `bad_words`, tokenized by the family):
   * the last token of each is refused where the tokens before it were just produced
   * (token-source.ts `withoutBadWords`). Default none. Not applied to `forcedText`.
   */
  readonly badWords?: readonly (readonly number[])[];
  /** Token ids that end generation with reason "stop" (vLLM `stop_token_ids`). */
  readonly stopTokenIds?: readonly number[];
  /** Keep generating past EOS until `maxTokens` (vLLM `ignore_eos`). Default false. */
  readonly ignoreEos?: boolean;
  /** When set: every token carries its logprob and the `logprobs` most likely alternatives. */
  readonly logprobs?: number;
  /** "text" (default): plausible English; "echo": repeat the prompt's (non-special) tokens. */
  readonly mode?: "echo" | "text";
  /**
   * Produce exactly this text (its tokens under the model's tokenizer), then EOS; overrides
   * `mode`. For output the family composes: JSON for `response_format` / guided decoding, tool
   * calls. Limits, stops, logprobs and pacing apply as to any output. Past its end (EOS
   * suppressed by `ignoreEos` or `minTokens`) generation goes on with "text" mode.
   */
  readonly forcedText?: string;
  /**
   * vLLM's request `priority`: under the simulated GPU's `priority` scheduling policy, lower
   * values are served first (vllm-openai.md §9); non-zero under `fcfs` is refused. Default 0;
   * the simple engine ignores it.
   */
  readonly priority?: number;
  /**
   * The LoRA adapter that generates, by name; absent for the base model. Other weights give other
   * text for the same prompt: the simple engine mixes the name into its seed (greedy requests
   * too). The simulated GPU keeps adapters' KV blocks apart and runs at most `--max-loras`
   * adapters in one step (vllm-openai.md §7; vllm/v1/core/sched/scheduler.py).
   */
  readonly lora?: string;
  /**
   * The request this one is a parallel sample of (`n` > 1: vLLM V1 fans a request out into `n`
   * children): its metrics (`vllm:request_params_n`, `vllm:request_max_num_generation_tokens`)
   * count once for the parent, when its last child finishes. Absent for `n` = 1.
   */
  readonly parent?: ParentRequest;
}

/** One alternative token with its log-probability (natural log). */
export interface TokenAlternative {
  readonly id: number;
  readonly text: string;
  readonly logprob: number;
}

/**
 * A generated token. `text` is the output text this token RELEASES, so concatenating every token
 * event's text gives exactly the output text: it can be "" (an incomplete UTF-8 character, text
 * held back because it might begin a stop sequence, or an EOS / stop token, whose text is never
 * output) and can hold text of earlier tokens when it is released later.
 */
export interface TokenEvent {
  readonly type: "token";
  readonly id: number;
  readonly text: string;
  /** The token's logprob, when the request asked for logprobs. */
  readonly logprob?: number;
  /**
   * The 1-based rank of this token among the step's candidates, when logprobs were asked for
   * (TGIS `token_ranks`, vLLM's logprob `rank`): always 1 for greedy, sometimes 2 or 3 when sampling.
   */
  readonly rank?: number;
  /**
   * The `logprobs` most likely tokens at this step, most likely first. The sampled token is among
   * them at index `rank − 1` when `rank` ≤ `logprobs` (families that list it regardless, like
   * vLLM's completions `top_logprobs`, add it from `id`, `text`, `logprob`).
   */
  readonly top?: readonly TokenAlternative[];
}

/** The last event of every generation. */
export interface FinishEvent {
  readonly type: "finish";
  readonly reason: FinishReason;
  /**
   * For reason "stop": the matched stop string, or the stop token id. Unless the request set
   * `includeStopInOutput`, the matched string (or stop token text) is NOT part of any token
   * event's text, nor is anything after it.
   */
  readonly stop?: string | number;
  /** The sampling seed used: the request's, a random one when none was given, 0 for greedy (TGIS reports 0 for greedy). */
  readonly seed: number;
  /** Prompt length in tokens. */
  readonly promptTokens: number;
  /** Tokens generated, the EOS or stop token included (it is counted as vLLM counts it). */
  readonly completionTokens: number;
}

/** What a {@link TextEngine} streams: tokens, then exactly one finish event. */
export type GenerationEvent = TokenEvent | FinishEvent;

/** Raised by {@link TextEngine.generate} for a request that cannot be run (bad ids, negative counts ...). */
export class GenerationRequestError extends RangeError {
  override readonly name = "GenerationRequestError";
}

/** Produces tokens for requests. */
export interface TextEngine {
  /**
   * Submits a request (validated at once: throws {@link GenerationRequestError}); events arrive
   * as tokens are produced, and the stream always ends with one finish event. Aborting `signal`
   * ends the stream promptly with reason "abort" and frees the request's resources; breaking out
   * of the loop does too.
   */
  generate(
    request: GenerationRequest,
    options?: { signal?: AbortSignal },
  ): AsyncIterable<GenerationEvent>;
  /**
   * How the token events group into the outputs a server sends one message for (vLLM's API server
   * makes one SSE chunk of each RequestOutput). "steps": the events come in engine steps, and every
   * event a run has ready at once (mock-core `readySteps`: taken until `nextReady()` answers
   * undefined) belongs to one output: the tokens of the step that just ended (several under
   * speculative decoding), or, when the consumer read late, of every step that ended meanwhile,
   * merged as vLLM's RequestOutputCollector merges outputs the consumer has not taken
   * (vllm/v1/engine/output_processor.py). Absent (the simple engine): each token event is an
   * output of its own.
   */
  readonly outputs?: "steps";
  /**
   * true (the simple engine): a run may be started with no `signal` and given one later with
   * {@link ReadySteps.watch}, before its first step that waits. A consumer that drains a run
   * synchronously (a non-streaming answer on the unpaced engine) then makes no signal at all; no
   * abort can come between steps that never yield. Absent: pass the signal to `generate`.
   */
  readonly lateSignal?: true;
}

/**
 * A run whose next step may be ready at once (the unpaced simple engine; the GPU engine's finish
 * after the last token): `nextReady()` takes it synchronously and returns its result, or returns
 * undefined when the step must wait (pacing, a token not yet produced, a call still waiting), and
 * the caller awaits `next()` as usual. For a consumer that drains a run (a non-streaming answer):
 * no promise and microtask per token; for a stream: it knows whether more comes at once. Same
 * events, order and metering as `next()`; a failing step throws. `E`: the events (default
 * {@link GenerationEvent}).
 */
export interface ReadySteps<E = GenerationEvent> {
  nextReady(): IteratorResult<E> | undefined;
  /**
   * Closes the run at once, as `return()` would, for a consumer that took the finish event from
   * `nextReady()` and has nothing to wait for (no promise). Absent: await `return()` as usual.
   */
  closeNow?(): void;
  /**
   * Gives a run started with no signal (an engine with {@link TextEngine.lateSignal}) its abort
   * signal from now on; call it before `next()` when `nextReady()` answered undefined. Absent:
   * the engine takes its signal in `generate` only.
   */
  watch?(signal: AbortSignal): void;
  /**
   * Takes every remaining step at once and closes the run, as taking them with `nextReady()` up
   * to the finish event and then `closeNow()` would (the same checks, text, finish and metering,
   * except that the tokens, going out together, are metered as leaving at one time, the clock read
   * once rather than per token), but makes no event objects: the answer is the token events' texts concatenated and the finish
   * event. For a consumer that reads no token event itself (a non-streaming answer without
   * logprobs). Undefined when some step could wait (a paced run) or the run has ended: nothing
   * was taken, go on with `nextReady()`. Absent: take the steps one by one.
   */
  drainNow?(): DrainedRun | undefined;
  /**
   * `next()` with callbacks and no promise: calls `onReady` once, when `nextReady()` answers a
   * result (the next event, or the end) rather than undefined, or `onError` with what `next()`
   * would reject with (a failing step). For a stream whose run waits on the engine's next step:
   * no promise, `then` and result object per token between engine and consumer (the GPU text
   * engine calls back from the engine's step). Call it when `nextReady()` answered undefined; one
   * `wait` or `next()` at a time. The callbacks may run before `wait` returns (a step ready at
   * once). Leaving (`return()`, `closeNow()`) drops a pending wait: neither callback is called. An
   * abort of the run's signal ends the run as `next()` does (an "abort" finish: `onReady`).
   * Absent: await `next()`.
   */
  wait?(onReady: () => void, onError: (reason: unknown) => void): void;
}

/** What {@link ReadySteps.drainNow} answers: a whole run's output text and its finish event. */
export interface DrainedRun {
  /** Every token event's text, concatenated: the run's output text. */
  readonly text: string;
  /** The run's finish event, as `nextReady()` would have given it. */
  readonly finish: FinishEvent;
}

/** `run` as {@link ReadySteps} when it offers them (engines may not), else undefined. */
export function readySteps<E = GenerationEvent>(run: AsyncIterator<E>): ReadySteps<E> | undefined {
  return typeof (run as Partial<ReadySteps<E>>).nextReady === "function"
    ? (run as AsyncIterator<E> & ReadySteps<E>)
    : undefined;
}

/**
 * vLLM's `--stream-interval` rule (vllm/v1/engine/output_processor.py `make_request_output`,
 * vllm PR #27869, from 0.12.0): whether the output processor sends an output once a request has
 * `produced` tokens, `sent` of them in outputs already: the first output at once (`sent` 0), then
 * only once `interval` tokens have gathered since the last one. A finished request's output always
 * goes out (the caller's finish event). With `interval` 1 every token is sent as it comes.
 */
export function streamIntervalSends(produced: number, sent: number, interval: number): boolean {
  return sent === 0 || produced - sent >= interval;
}

/**
 * `engine`, a per-token engine (no {@link TextEngine.outputs}: the simple engine), with vLLM's
 * `--stream-interval` applied to its runs: the returned engine's `outputs` are "steps" and each
 * run hands out its token events in the outputs vLLM's output processor sends
 * ({@link streamIntervalSends}): the first token alone, then groups of `interval` tokens, the last
 * group with the finish event. A group's events are ready at once (`nextReady`), and between two
 * groups `nextReady` answers undefined until `next()` is called, so a stream frames one chunk per
 * group. Tokens are still taken from the engine as it produces them (pacing and metrics unchanged);
 * they are only held back. `interval` 1 returns `engine` itself. Throws a RangeError for an
 * `interval` that is not a whole number ≥ 1, and for an engine that groups its outputs itself
 * (the GPU text engine takes its own `streamInterval`).
 *
 * `mergeLate` (default false): a consumer that comes late gets every output sent meanwhile as one
 * (its events ready at once, no boundary between them), as vLLM V1's RequestOutputCollector
 * merges the DELTA outputs the producer put while the consumer had not taken the last one
 * (vllm/v1/engine/output_processor.py, from 0.8.0); tokens past the last sent output stay held.
 * A consumer on time still gets one output per group.
 */
export function withStreamInterval(
  engine: TextEngine,
  interval: number,
  mergeLate = false,
): TextEngine {
  if (!Number.isInteger(interval) || interval < 1) {
    throw new RangeError("streamInterval must be a whole number >= 1");
  }
  if (engine.outputs !== undefined) {
    throw new RangeError("withStreamInterval needs an engine with one output per token");
  }
  if (interval === 1) return engine;
  return {
    outputs: "steps",
    ...(engine.lateSignal === true ? { lateSignal: true as const } : {}),
    generate(request, options) {
      const run = engine.generate(request, options)[Symbol.asyncIterator]();
      return new IntervalRun(run, interval, mergeLate);
    },
  };
}

const intervalDone: IteratorReturnResult<undefined> = Object.freeze({
  done: true,
  value: undefined,
});

/**
 * One run of {@link withStreamInterval}: the inner run's events, held back into outputs. Events
 * taken from the inner run wait in `#gathered` until their output is sent, then move to `#out`,
 * from which they are handed out; `#boundary` marks the end of a sent output, which `nextReady`
 * does not cross (only `next()` does). A group that cannot be completed at once (a paced engine)
 * is awaited token by token in `#gather`; calls made meanwhile wait their turn.
 */
class IntervalRun implements AsyncIterableIterator<GenerationEvent>, ReadySteps {
  readonly #run: AsyncIterator<GenerationEvent>;
  readonly #ready: ReadySteps | undefined;
  readonly #interval: number;
  /** Outputs that came due while the consumer was away go out as one (see withStreamInterval). */
  readonly #mergeLate: boolean;
  /** Tokens taken from the inner run. */
  #produced = 0;
  /** Tokens in sent outputs (vLLM's `sent_tokens_offset`). */
  #sent = 0;
  /** Taken and held (the inner run's results, reused): their output is not sent yet. */
  #gathered: IteratorYieldResult<GenerationEvent>[] = [];
  /** Sent and not yet handed out, from `#outAt`. */
  #out: IteratorYieldResult<GenerationEvent>[] = [];
  #outAt = 0;
  /** The last sent output is handed out and `next()` has not been called since. */
  #boundary = false;
  /** The inner run has ended (or the consumer left). */
  #ended = false;
  /** A `next()` waiting on the inner run. */
  #pending: Promise<IteratorResult<GenerationEvent>> | undefined;
  /** What a `wait` took, for the `nextReady()` its callback makes. */
  #kept: IteratorResult<GenerationEvent> | undefined;
  /** The pending `wait`'s number; leaving moves it on, so a dropped wait calls nothing back. */
  #waits = 0;

  constructor(run: AsyncIterator<GenerationEvent>, interval: number, mergeLate: boolean) {
    this.#run = run;
    this.#ready = readySteps(run);
    this.#interval = interval;
    this.#mergeLate = mergeLate;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  nextReady(): IteratorResult<GenerationEvent> | undefined {
    const kept = this.#kept;
    if (kept !== undefined) {
      this.#kept = undefined;
      return kept;
    }
    if (this.#pending !== undefined) return undefined;
    const out = this.#shift();
    if (out !== undefined) return out;
    // Merging, a boundary holds only while the inner run has nothing ready: an output already due
    // (the consumer came late) joins the one just handed out.
    if (this.#boundary && !this.#mergeLate) return undefined;
    return this.#pull();
  }

  next(): Promise<IteratorResult<GenerationEvent>> {
    if (this.#pending !== undefined) return this.#pending.then(() => this.next());
    this.#boundary = false;
    let ready: IteratorResult<GenerationEvent> | undefined;
    try {
      ready = this.nextReady();
    } catch (error) {
      return Promise.reject(error);
    }
    if (ready !== undefined) return Promise.resolve(ready);
    const pending = this.#gather();
    this.#pending = pending;
    const clear = (): void => {
      if (this.#pending === pending) this.#pending = undefined;
    };
    pending.then(clear, clear);
    return pending;
  }

  /**
   * `next()` behind callbacks (ReadySteps.wait): this run's waits are paced engine steps, which
   * wait on a promise of the clock anyway, so the result is taken with `next()` and kept.
   */
  wait(onReady: () => void, onError: (reason: unknown) => void): void {
    this.#waits += 1;
    const waiter = this.#waits;
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
  }

  return(): Promise<IteratorResult<GenerationEvent>> {
    this.#leave();
    const ending = this.#run.return?.();
    return ending === undefined ? Promise.resolve(intervalDone) : ending.then(() => intervalDone);
  }

  closeNow(): void {
    this.#leave();
    if (this.#ready?.closeNow !== undefined) this.#ready.closeNow();
    else this.#run.return?.().catch(() => {});
  }

  watch(signal: AbortSignal): void {
    this.#ready?.watch?.(signal);
  }

  drainNow(): DrainedRun | undefined {
    // Nothing taken yet: the inner run's whole answer (held-back outputs change no text).
    if (this.#produced > 0 || this.#ended || this.#pending !== undefined) return undefined;
    return this.#ready?.drainNow?.();
  }

  #leave(): void {
    this.#ended = true;
    this.#waits += 1;
    this.#kept = undefined;
    this.#gathered = [];
    this.#out = [];
    this.#outAt = 0;
  }

  /** The next sent event not yet handed out, if any. */
  #shift(): IteratorResult<GenerationEvent> | undefined {
    const result = this.#out[this.#outAt];
    if (result === undefined) return undefined;
    this.#outAt += 1;
    if (this.#outAt === this.#out.length) {
      this.#out = [];
      this.#outAt = 0;
    }
    return result;
  }

  /** Takes the inner run's ready events until an output is sent: its first event, else undefined. */
  #pull(): IteratorResult<GenerationEvent> | undefined {
    for (;;) {
      if (this.#ended) return intervalDone;
      const result = this.#ready?.nextReady();
      if (result === undefined) return undefined;
      if (this.#take(result)) return this.#shift() ?? intervalDone;
    }
  }

  /** Awaits the inner run until an output is sent (a paced engine): its first event. */
  async #gather(): Promise<IteratorResult<GenerationEvent>> {
    for (;;) {
      if (this.#take(await this.#run.next())) return this.#shift() ?? intervalDone;
      const out = this.#pull();
      if (out !== undefined) return out;
    }
  }

  /** One inner result, held or sent with its output; true when an output was sent (or the end). */
  #take(result: IteratorResult<GenerationEvent>): boolean {
    if (result.done) {
      this.#ended = true;
      return true;
    }
    this.#gathered.push(result);
    if (result.value.type === "finish") {
      // A finished request's output always goes out, with whatever was held.
      this.#send();
      this.#boundary = false;
      return true;
    }
    const produced = this.#produced + 1;
    this.#produced = produced;
    if (!streamIntervalSends(produced, this.#sent, this.#interval)) return false;
    this.#sent = produced;
    // The finish that follows the output's last token at once rides with it, as in vLLM, where a
    // request's last token and its finish are one output.
    const next = this.#ready?.nextReady();
    if (next !== undefined && !next.done && next.value.type === "finish") {
      this.#gathered.push(next);
      this.#send();
      this.#boundary = false;
      return true;
    }
    this.#send();
    this.#boundary = true;
    if (next?.done === true) this.#ended = true;
    else if (next !== undefined) {
      // A token taken to look for the finish starts the next output (interval ≥ 2: never sent alone).
      this.#gathered.push(next);
      this.#produced += 1;
    }
    return true;
  }

  /** Moves the held events to the sent ones. */
  #send(): void {
    if (this.#out.length === 0) this.#out = this.#gathered;
    else for (const result of this.#gathered) this.#out.push(result);
    this.#gathered = [];
  }
}
