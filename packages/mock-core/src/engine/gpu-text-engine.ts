/**
 * A {@link TextEngine} whose content comes from one engine and whose timing comes from the
 * simulated GPU (issue 7). The content engine (the simple engine, unpaced) decides the tokens,
 * stops, EOS and logprobs, deterministically as always; the request then goes to the
 * {@link GpuEngine} with the prompt's token ids (so prefix caching sees real shared prefixes) and
 * as many output tokens as the content has, and each token event is released when the GPU engine
 * produces that request's next token. So queueing, batching, chunked prefill, KV pressure and
 * preemption shape when tokens arrive, never what they are. Aborting the signal (a client
 * disconnect) or leaving the loop aborts the request in the GPU engine, which frees its KV blocks.
 *
 * The engine's `outputs` are "steps" (generation.ts): a step's tokens are delivered together, so
 * everything a run has ready at once is one vLLM output. `streamInterval` (vLLM's
 * `--stream-interval`, vllm/v1/engine/output_processor.py `make_request_output`) holds tokens back
 * as vLLM's output processor does: a request's tokens go out with its first output, then only once
 * `streamInterval` tokens have gathered since the last output went out, and with the last token.
 */
import { EngineRequestError, type StepTokens } from "../gpu/engine-core.js";
import type {
  GpuEngine,
  GpuRequest,
  GpuToken,
  GpuTokenListener,
  GpuTokenStream,
} from "../gpu/gpu-engine.js";
import {
  type FinishEvent,
  type GenerationEvent,
  type GenerationRequest,
  GenerationRequestError,
  type ReadySteps,
  readySteps,
  streamIntervalSends,
  type TextEngine,
  type TokenEvent,
} from "./generation.js";

/** What {@link createGpuTextEngine} combines. */
export interface GpuTextEngineOptions {
  /** Produces the content; called without a signal and drained at once, so it must not pace. */
  readonly content: TextEngine;
  /** Produces the timing. */
  readonly gpu: GpuEngine;
  /**
   * vLLM's `--stream-interval`, in tokens: after a request's first output, its tokens are held
   * until this many have gathered since the last output (the last token always goes out). Default
   * 1: every step's tokens go out when the step ends.
   */
  readonly streamInterval?: number;
}

/**
 * A plain token event's own keys, in the order the simple engine writes them: an event with
 * exactly these (no logprobs) is kept as its id and text alone and made again when handed out.
 */
const plainKeys = ["type", "id", "text"] as const;

/** Whether `event` is a plain object with exactly {@link plainKeys}, in that order. */
function isPlain(event: TokenEvent): boolean {
  if (Object.getPrototypeOf(event) !== Object.prototype) return false;
  let i = 0;
  for (const key in event) {
    if (key !== plainKeys[i]) return false;
    i += 1;
  }
  return i === plainKeys.length;
}

/**
 * A drained content run's token events in a compact form (issue 7): when every event is plain
 * (type, id, text; the usual request, no logprobs) and every id a 32-bit integer, the run keeps
 * its texts as one string and, in one Int32Array, each token's id beside where its text ends
 * (`[id0, end0, id1, end1, ...]`), and makes each event again, equal key for key, when it is
 * handed out. The typed array lies outside the JS heap and the string holds no references, so a
 * major collection marks two objects a request where it marked a thousand events (a thousand
 * running requests of a thousand tokens: heap after a collection 84 -> about 30 MB); a token's id
 * and both ends of its text lie side by side, so handing it out reads one stretch of memory
 * besides the text (two typed arrays cost a cache miss more per token with 1,000
 * requests' arrays spread over memory). Otherwise the run keeps its events as given.
 */
class ContentTokens {
  /** Every event as given, when one was not plain; undefined in the compact form. */
  readonly #events: readonly TokenEvent[] | undefined;
  /**
   * Compact form: token `i`'s id at `2i` and where its text ends in {@link ContentTokens.#text}
   * (UTF-16 units) at `2i + 1`.
   */
  readonly #marks: Int32Array;
  /** Compact form: the texts one after another. */
  readonly #text: string;
  /** How many token events the run has. */
  readonly length: number;

  constructor(events: readonly TokenEvent[]) {
    this.length = events.length;
    const compact = events.every(
      (event) => isPlain(event) && (event.id | 0) === event.id && !Object.is(event.id, -0),
    );
    if (!compact) {
      this.#events = events;
      this.#marks = noMarks;
      this.#text = "";
      return;
    }
    this.#events = undefined;
    const marks = new Int32Array(events.length * 2);
    let end = 0;
    for (let i = 0; i < events.length; i += 1) {
      const event = events[i] as TokenEvent;
      end += event.text.length;
      marks[2 * i] = event.id;
      marks[2 * i + 1] = end;
    }
    this.#marks = marks;
    this.#text = events.map(tokenText).join("");
  }

  /** The token event at `index` (below {@link ContentTokens.length}). */
  event(index: number): TokenEvent {
    if (this.#events !== undefined) return this.#events[index] as TokenEvent;
    const marks = this.#marks;
    const at = 2 * index;
    return {
      type: "token",
      id: marks[at] as number,
      text: this.#text.slice(index === 0 ? 0 : marks[at - 1], marks[at + 1]),
    };
  }

  /** Every token's id, in order (a new array). */
  ids(): number[] {
    if (this.#events !== undefined) return this.#events.map(tokenId);
    const ids = new Array<number>(this.length);
    for (let i = 0; i < ids.length; i += 1) ids[i] = this.#marks[2 * i] as number;
    return ids;
  }
}

const noMarks = new Int32Array(0);

/** A content token's text. */
const tokenText = (token: TokenEvent): string => token.text;

/** A content run drained: its token events and its finish event. */
interface Drained {
  readonly tokens: ContentTokens;
  readonly finish: FinishEvent;
}

/**
 * Drains a content run: synchronously while it has steps ready (mock-core `readySteps`: the
 * unpaced simple engine, no promise per token), awaiting the others. Returns the drained run, or a
 * promise of it when a step had to be awaited. The run is closed after its finish event, as a
 * for-await loop leaving at it would.
 */
function drain(run: AsyncIterator<GenerationEvent>): Drained | Promise<Drained> {
  const ready = readySteps(run);
  const tokens: TokenEvent[] = [];
  const take = (result: IteratorResult<GenerationEvent>): Drained | undefined => {
    if (result.done) throw new Error("the content engine ended without a finish event");
    const event = result.value;
    if (event.type === "token") {
      tokens.push(event);
      return undefined;
    }
    run.return?.().catch(() => {});
    return { tokens: new ContentTokens(tokens), finish: event };
  };
  const loop = (): Drained | Promise<Drained> => {
    for (;;) {
      const result = ready?.nextReady();
      if (result === undefined) return run.next().then((next) => take(next) ?? loop());
      const drained = take(result);
      if (drained !== undefined) return drained;
    }
  };
  return loop();
}

/** A content token's id. */
const tokenId = (token: TokenEvent): number => token.id;

/** What a run holds before its content is drained: no tokens. */
const noTokens = new ContentTokens([]);

/** The finish event of a request aborted after `released` tokens. */
function aborted(finish: FinishEvent, released: number): FinishEvent {
  return {
    type: "finish",
    reason: "abort",
    seed: finish.seed,
    promptTokens: finish.promptTokens,
    completionTokens: released,
  };
}

const doneResult: IteratorReturnResult<undefined> = Object.freeze({
  done: true,
  value: undefined,
});

/**
 * What a run's counting answers for "the next content token is let out" (the token just released,
 * at `#released - 1`): the event itself is made only where it is handed out (`PacedRun.#out`).
 * The engine's step calls a waiting run back once per token and the consumer reads the token after
 * the step (WaitTurns), so the step itself only counts; reading the content (the text, a token's
 * id and its text's ends: memory of 1,000 requests the step has not touched, about a cache miss
 * each) is the consumer's read, after the engine has scheduled its next step and gone to sleep.
 */
const releasedToken: IteratorResult<GenerationEvent> = Object.freeze({
  done: false,
  value: Object.freeze({ type: "token", id: 0, text: "" }),
});

/**
 * The runs whose pending `wait` got its GPU token (or failed) during the current engine step,
 * called back together in one microtask once the step's synchronous work is over: a consumer
 * called back from inside the step would find the step's other tokens (speculative decoding's
 * k + 1, a stream interval's group) not yet delivered and frame them apart, where vLLM sends one
 * output per step (output_processor.py). One microtask per step for every run, instead of a
 * promise and its reaction per token; the same order as promises settled by the step would give.
 */
class WaitTurns {
  /**
   * The runs due, and a spare list: the two swap at each flush and keep their capacity (a new
   * list per flush grew its backing store from empty, ~13 KB of copies with 1,000 runs a step).
   */
  #due: (PacedRun | undefined)[] = [];
  #spare: (PacedRun | undefined)[] = [];
  #count = 0;
  readonly #flush = (): void => {
    const due = this.#due;
    const count = this.#count;
    // Runs added by the callbacks below wait for the next flush, in the other list.
    this.#due = this.#spare;
    this.#spare = due;
    this.#count = 0;
    for (let i = 0; i < count; i++) {
      try {
        (due[i] as PacedRun).callBack();
      } catch (error) {
        // A consumer's callback that throws fails as a throwing promise reaction would, without
        // costing the other runs their turn.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
    // Emptied in place: `length = 0` would give the backing store back.
    due.fill(undefined, 0, count);
  };

  add(run: PacedRun): void {
    this.#due[this.#count++] = run;
    if (this.#count === 1) queueMicrotask(this.#flush);
  }
}

const waitTurns = new WaitTurns();

/**
 * One request's events, paced by the GPU engine: a hand-written async iterator rather than an
 * async generator around a `for await`. At the first `next()` the content is drained (with no
 * promise per token when the content engine has its steps ready); then each event waits for the
 * request's next GPU token and releases the next content token; after the last one comes the
 * finish event. The GPU token is awaited as the stream's listener (`GpuTokenStream.listen`),
 * so a released token costs this run's own promise and no other. `nextReady()` (ReadySteps) takes
 * an event that needs no wait: the finish after the last token, a token the engine has already
 * produced. An abort (the signal) ends with an "abort" finish counting the tokens released;
 * `return()` (the consumer leaving) aborts the GPU request. Calls made while one waits are served
 * after it, in order.
 */
class PacedRun implements AsyncIterableIterator<GenerationEvent>, ReadySteps, GpuTokenListener {
  readonly #events: AsyncIterable<GenerationEvent>;
  readonly #gpu: GpuEngine;
  readonly #request: GenerationRequest;
  readonly #id: string;
  readonly #signal: AbortSignal | undefined;
  /** `--stream-interval` (tokens). */
  readonly #interval: number;
  #tokens: ContentTokens = noTokens;
  /** How many content tokens there are (the content's length, kept here: read once per token). */
  #tokenCount = 0;
  #finish: FinishEvent | undefined;
  #timing: GpuTokenStream | undefined;
  /** Content tokens handed out. */
  #released = 0;
  /** GPU tokens produced for the request. */
  #produced = 0;
  /** Tokens the output processor has let out (≥ #released): with interval 1, every produced one. */
  #sent = 0;
  /**
   * The number of the engine step whose tokens went out last (GpuToken `step`, a small integer:
   * passed on the hot path without boxing a float, as a step's end time would be).
   */
  #sentStep = -1;
  #closed = false;
  /** The call in flight, while one waits (later calls chain on it). */
  #waiting: Promise<IteratorResult<GenerationEvent>> | undefined;
  /** The resolvers of `#waiting` while it waits for a GPU token. */
  #resolve: ((result: IteratorResult<GenerationEvent>) => void) | undefined;
  #reject: ((reason: unknown) => void) | undefined;
  /**
   * Whose GPU token the stream's listener (this run) waits for: a `wait`'s (true) or a `next()`'s
   * (false). One listener object rather than a closure per kind of read: the step calls this run
   * directly, without reading a closure and its context per token.
   */
  #listensForWait = false;

  /** The GPU stream's next token (GpuTokenListener): called from the engine's step, once per token. */
  gpuToken(tokens: StepTokens): void {
    if (this.#listensForWait) this.#keep(tokens.step);
    else this.#resolveWith(this.#onToken(tokens.step));
  }

  /** The GPU stream ended (GpuTokenListener). */
  gpuEnd(): void {
    if (this.#listensForWait) this.#keep(undefined);
    else this.#resolveWith(this.#onToken(undefined));
  }

  /** The GPU request failed (GpuTokenListener). */
  gpuError(reason: unknown): void {
    if (this.#listensForWait) this.#onWaitFailed(reason);
    else this.#onFailure(reason);
  }

  /** Waits for the request's next GPU token: for a `wait` (true) or a `next()` (false). */
  #listen(forWait: boolean): void {
    this.#listensForWait = forWait;
    (this.#timing as GpuTokenStream).listen(this);
  }
  /** The waiting call's event (#onToken does not throw: it only counts and reads the content). */
  #resolveWith(event: IteratorResult<GenerationEvent> | undefined): void {
    if (event === undefined) {
      // Held back by the stream interval: wait for the request's next token.
      this.#listen(false);
      return;
    }
    const resolve = this.#resolve as (result: IteratorResult<GenerationEvent>) => void;
    this.#waiting = undefined;
    this.#resolve = undefined;
    this.#reject = undefined;
    resolve(this.#out(event));
  }
  #onFailure(error: unknown): void {
    const resolve = this.#resolve as (result: IteratorResult<GenerationEvent>) => void;
    const reject = this.#reject as (reason: unknown) => void;
    this.#settle();
    let event: IteratorResult<GenerationEvent>;
    try {
      event = this.#onError(error);
    } catch (failure) {
      reject(failure);
      return;
    }
    resolve(event);
  }
  /** A pending `wait`'s callbacks, while it waits for a GPU token (ReadySteps.wait). */
  #onReady: (() => void) | undefined;
  #onWaitError: ((reason: unknown) => void) | undefined;
  /** What a `wait` took, for the `nextReady()` its `onReady` makes. */
  #kept: IteratorResult<GenerationEvent> | undefined;
  /** The failure a pending wait reports when its turn comes (see {@link WaitTurns}). */
  #waitFailure: { readonly error: unknown } | undefined;
  /** The pending wait's GPU token (its step's number) or the end (undefined). */
  #keep(step: number | undefined): void {
    // Dropped: the consumer left (return), which ended the GPU stream.
    if (this.#onReady === undefined) return;
    const event = this.#onToken(step);
    if (event === undefined) {
      this.#listen(true);
      return;
    }
    this.#kept = event;
    waitTurns.add(this);
  }
  #onWaitFailed(error: unknown): void {
    if (this.#onReady === undefined) return;
    try {
      this.#kept = this.#onError(error);
    } catch (failure) {
      this.#waitFailure = { error: failure };
    }
    waitTurns.add(this);
  }
  readonly #executor = (
    resolve: (result: IteratorResult<GenerationEvent>) => void,
    reject: (reason: unknown) => void,
  ): void => {
    this.#resolve = resolve;
    this.#reject = reject;
  };

  constructor(
    events: AsyncIterable<GenerationEvent>,
    gpu: GpuEngine,
    request: GenerationRequest,
    id: string,
    signal: AbortSignal | undefined,
    interval: number,
  ) {
    this.#events = events;
    this.#gpu = gpu;
    this.#request = request;
    this.#id = id;
    this.#signal = signal;
    this.#interval = interval;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<GenerationEvent>> {
    const waiting = this.#waiting;
    if (waiting !== undefined) {
      const after = () => this.next();
      return waiting.then(after, after);
    }
    if (this.#onReady !== undefined) return Promise.reject(new Error("a wait is in progress"));
    if (this.#closed) return Promise.resolve(doneResult);
    if (this.#finish === undefined) {
      let begun: Promise<void> | undefined;
      try {
        begun = this.#begin();
      } catch (error) {
        return Promise.reject(error);
      }
      if (begun !== undefined) {
        const first = begun.then(
          () => {
            this.#waiting = undefined;
            return this.next();
          },
          (error: unknown) => {
            this.#waiting = undefined;
            throw error;
          },
        );
        this.#waiting = first;
        return first;
      }
    }
    let ready: IteratorResult<GenerationEvent> | undefined;
    try {
      ready = this.#ready();
    } catch (error) {
      return Promise.reject(error);
    }
    if (ready !== undefined) return Promise.resolve(this.#out(ready));
    const next = new Promise(this.#executor);
    this.#waiting = next;
    this.#listen(false);
    return next;
  }

  nextReady(): IteratorResult<GenerationEvent> | undefined {
    // A wait's result is handed out once its turn has come (its callback is under way).
    if (this.#waiting !== undefined || this.#onReady !== undefined) return undefined;
    const kept = this.#kept;
    if (kept !== undefined) {
      this.#kept = undefined;
      return this.#out(kept);
    }
    if (this.#closed) return doneResult;
    // Before the content is drained the first `next()` does it.
    if (this.#finish === undefined) return undefined;
    const ready = this.#ready();
    return ready === undefined ? undefined : this.#out(ready);
  }

  /** The pending wait's turn (WaitTurns): its callback, unless the consumer left meanwhile. */
  callBack(): void {
    const onReady = this.#onReady;
    const onError = this.#onWaitError;
    this.#onReady = undefined;
    this.#onWaitError = undefined;
    const failure = this.#waitFailure;
    this.#waitFailure = undefined;
    if (onReady === undefined || onError === undefined) return;
    if (failure !== undefined) onError(failure.error);
    else onReady();
  }

  /**
   * `next()` with callbacks (ReadySteps.wait): the GPU token is awaited through the stream's own
   * listener (`GpuTokenStream.listen`), so a released token costs no promise at all, and the event
   * is kept for the `nextReady()` that `onReady` makes. The content is drained at the first call,
   * as at the first `next()`.
   */
  wait(onReady: () => void, onError: (reason: unknown) => void): void {
    if (this.#waiting !== undefined || this.#onReady !== undefined) {
      onError(new Error("a read is already waiting"));
      return;
    }
    if (this.#finish === undefined && !this.#closed) {
      let begun: Promise<void> | undefined;
      try {
        begun = this.#begin();
      } catch (error) {
        onError(error);
        return;
      }
      if (begun !== undefined) {
        begun.then(() => {
          if (!this.#closed) this.wait(onReady, onError);
        }, onError);
        return;
      }
    }
    let ready: IteratorResult<GenerationEvent> | undefined;
    try {
      ready = this.#closed ? doneResult : this.#ready();
    } catch (error) {
      onError(error);
      return;
    }
    if (ready !== undefined) {
      this.#kept = ready;
      onReady();
      return;
    }
    this.#onReady = onReady;
    this.#onWaitError = onError;
    this.#listen(true);
  }

  return(): Promise<IteratorResult<GenerationEvent>> {
    // A pending wait is dropped: the stream's end that `return()` below calls back is ignored.
    this.#onReady = undefined;
    this.#onWaitError = undefined;
    this.#kept = undefined;
    this.#waitFailure = undefined;
    if (this.#closed) return Promise.resolve(doneResult);
    this.#closed = true;
    const timing = this.#timing;
    // Leaving before the last token aborts the GPU request (its blocks go back to the pool).
    return timing?.return ? timing.return().then(() => doneResult) : Promise.resolve(doneResult);
  }

  /**
   * Drains the content at the first read: undefined once it is known, else a promise of it (a
   * content engine that paces). Throws (and closes the run) for a content run that fails at once.
   */
  #begin(): Promise<void> | undefined {
    let drained: Drained | Promise<Drained>;
    try {
      drained = drain(this.#events[Symbol.asyncIterator]());
    } catch (error) {
      this.#closed = true;
      throw error;
    }
    if (drained instanceof Promise) {
      return drained.then(
        (content) => {
          this.#tokens = content.tokens;
          this.#tokenCount = content.tokens.length;
          this.#finish = content.finish;
        },
        (error: unknown) => {
          this.#closed = true;
          throw error;
        },
      );
    }
    this.#tokens = drained.tokens;
    this.#tokenCount = drained.tokens.length;
    this.#finish = drained.finish;
    return undefined;
  }

  #settle(): void {
    this.#waiting = undefined;
    this.#resolve = undefined;
    this.#reject = undefined;
  }

  /** The next event once the content is known, when it needs no wait; else undefined. */
  #ready(): IteratorResult<GenerationEvent> | undefined {
    const finish = this.#finish as FinishEvent;
    if (this.#closed) return doneResult;
    if (this.#released === this.#tokenCount) {
      // Every token is out (or there were none, max_tokens 0: the engine is not involved).
      return this.#end({ done: false, value: finish });
    }
    // Tokens already let out together (a stream interval's batch) need no wait.
    if (this.#released < this.#sent) return this.#release();
    if (this.#timing === undefined) {
      if (this.#signal?.aborted) return this.#end({ done: false, value: aborted(finish, 0) });
      this.#timing = this.#gpu.generate(this.#gpuRequest(), this.#signal);
    }
    for (;;) {
      let result: IteratorResult<GpuToken> | undefined;
      try {
        result = this.#timing.nextReady();
      } catch (error) {
        return this.#onError(error);
      }
      if (result === undefined) return undefined;
      const event = this.#onToken(result.done ? undefined : result.value.step);
      if (event !== undefined) return event;
    }
  }

  /** The request as the GPU engine takes it: optional keys added one by one (a per-request path). */
  #gpuRequest(): GpuRequest {
    const request = this.#request;
    const finish = this.#finish as FinishEvent;
    const gpuRequest: { -readonly [K in keyof GpuRequest]: GpuRequest[K] } = {
      id: this.#id,
      // An empty prompt still takes one position in the engine.
      prompt: request.promptIds.length > 0 ? request.promptIds : 1,
      outputTokens: this.#tokenCount,
      finishedReason: finish.reason === "length" ? "length" : "stop",
      maxTokens: request.maxTokens,
    };
    // The content's ids, when n-gram speculative decoding drafts from them and accepts what
    // matches; otherwise unread, so not copied (a 1,000-token answer's ids are 8 KB per request).
    if (this.#gpu.core.draftsFromContent) gpuRequest.outputIds = this.#tokens.ids();
    if (request.priority !== undefined) gpuRequest.priority = request.priority;
    if (request.lora !== undefined) gpuRequest.lora = request.lora;
    if (request.parent !== undefined) gpuRequest.parent = request.parent;
    return gpuRequest;
  }

  /**
   * The GPU produced the request's next token (the number of the step that sampled it;
   * undefined: the stream ended): the next content token, or undefined while the stream interval
   * holds it. vLLM's rule (output_processor.py): an output goes out with the request's first
   * tokens, with its last, and once `interval` tokens gathered since the last one went out; with
   * interval 1 every token goes out as it is produced.
   */
  #onToken(step: number | undefined): IteratorResult<GenerationEvent> | undefined {
    if (step === undefined || this.#closed) return this.#end(doneResult);
    const produced = this.#produced + 1;
    this.#produced = produced;
    const sent = this.#sent;
    if (
      streamIntervalSends(produced, sent, this.#interval) ||
      produced === this.#tokenCount ||
      // vLLM decides once per step: the rest of a step that went out goes out with it.
      step === this.#sentStep
    ) {
      this.#sent = produced;
      this.#sentStep = step;
    }
    return this.#release();
  }

  /**
   * The next content token let out and not yet handed out, if any: counted as released and
   * answered as {@link releasedToken} (its event is made by {@link PacedRun.#out}).
   */
  #release(): IteratorResult<GenerationEvent> | undefined {
    const released = this.#released;
    if (released === this.#sent) return undefined;
    this.#released = released + 1;
    return releasedToken;
  }

  /** `result` as handed out: {@link releasedToken} becomes the released token's event. */
  #out(result: IteratorResult<GenerationEvent>): IteratorResult<GenerationEvent> {
    if (result !== releasedToken) return result;
    return { done: false, value: this.#tokens.event(this.#released - 1) };
  }

  /** The GPU request failed: an abort finishes with "abort", a refusal is the request's error. */
  #onError(error: unknown): IteratorResult<GenerationEvent> {
    this.#closed = true;
    if (this.#signal?.aborted) {
      return { done: false, value: aborted(this.#finish as FinishEvent, this.#released) };
    }
    if (error instanceof EngineRequestError) throw new GenerationRequestError(error.message);
    throw error;
  }

  #end(result: IteratorResult<GenerationEvent>): IteratorResult<GenerationEvent> {
    this.#closed = true;
    return result;
  }
}

/**
 * Combines a content engine and a GPU engine; see the module comment. Throws a RangeError for a
 * `streamInterval` that is not a whole number ≥ 1.
 */
export function createGpuTextEngine(options: GpuTextEngineOptions): TextEngine {
  const { content, gpu } = options;
  const interval = options.streamInterval ?? 1;
  if (!Number.isInteger(interval) || interval < 1) {
    throw new RangeError("streamInterval must be a whole number >= 1");
  }
  let serial = 0;
  return {
    outputs: "steps",
    generate(request, generateOptions = {}) {
      // The content engine validates at once (throws GenerationRequestError), as the contract says.
      const events = content.generate(request);
      serial += 1;
      return new PacedRun(events, gpu, request, `text-${serial}`, generateOptions.signal, interval);
    },
  };
}
