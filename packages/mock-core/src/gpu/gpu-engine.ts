/**
 * The simulated GPU engine on a clock: what a running mock uses. Requests go in with
 * {@link GpuEngine.generate} and their tokens come out as an async iterable, each when the engine
 * step that produced it ends on the clock (the real clock in a running mock, a ManualClock in
 * tests). `timeScale` runs the modelled GPU faster (> 1) or slower (< 1) than real time. Aborting
 * the signal, or breaking out of the iteration, aborts the request and frees its KV blocks, as a
 * client disconnect does in vLLM (vllm-openai.md §9).
 */
import type { Clock } from "../clock.js";
import { DataParallelRouter, lockStepSeconds } from "./data-parallel.js";
import {
  EngineCore,
  type EngineCoreConfig,
  type EngineRequest,
  type EngineTokenEvent,
  type StepResult,
  type StepTokens,
  stretchStep,
} from "./engine-core.js";
import type { ArrivalDetails, EngineMetrics, HistogramSink } from "./engine-metrics.js";
import { noSlot, RequestSlots } from "./request-slots.js";

/**
 * How far (real milliseconds) the engine's own clock may fall behind the real clock before the
 * engine gives up the steps it owes and re-anchors its clock at the present. Within it, a lag of
 * the event loop (15-18 ms p99 measured with 500 streams over HTTP on a busy 2-core machine,
 * README "## Speed") is made up: the owed steps run back to back at their modelled times and
 * their tokens come out together, as vLLM's engine core, in its own process, keeps stepping while
 * its API server lags. Beyond it the process was not running at all for a while (a GC pause, a
 * starved CPU, a suspended laptop): making that up would stall the event loop for one burst of
 * stale steps, so the schedule shifts instead, as it would if vLLM's own engine process had been
 * stopped. 100 ms: several times the measured p99 lag, a few decode steps of a loaded H100.
 */
export const catchUpLimitMs = 100;

/**
 * The longest (real milliseconds) the engine runs owed steps back to back before it lets the
 * event loop turn once (a zero sleep), and goes on catching up after it. On a machine too slow
 * for the model (a step's CPU longer than its modelled time, as with a high `timeScale`) the
 * engine never catches up, and without this it would hold the event loop until it fell
 * {@link catchUpLimitMs} behind, every time; 10 ms is about a lagged timer's worth.
 */
export const catchUpBurstMs = 10;

/** Settings of a {@link GpuEngine}. */
export interface GpuEngineOptions extends EngineCoreConfig {
  /** Where time comes from (milliseconds). */
  readonly clock: Clock;
  /** Simulated seconds per real second: 1 = real time (default), 10 = ten times faster. */
  readonly timeScale?: number;
  /** Called after every step (for logs). */
  readonly onStep?: (result: StepResult) => void;
  /** vLLM's metrics, kept from arrivals, steps and aborts (simulated seconds). */
  readonly metrics?: EngineMetrics<HistogramSink>;
  /**
   * vLLM `--data-parallel-size`: engine cores, each a full replica with its own scheduler, KV
   * cache and metrics, on the same clock; requests are routed as vLLM's API server routes them
   * (data-parallel.ts). Default 1 (this engine alone; nothing is routed).
   */
  readonly dataParallelSize?: number;
  /**
   * With `dataParallelSize` > 1: the metrics of ranks 1 … N-1, in rank order (rank 0 keeps
   * `metrics`); absent: those ranks keep none.
   */
  readonly rankMetrics?: readonly EngineMetrics<HistogramSink>[];
  /**
   * With `dataParallelSize` > 1: whether the ranks publish their request counts to the router
   * (vLLM: a MoE model's `DPEngineCoreProc`) or the router balances on its own counts (a dense
   * model). Default false.
   */
  readonly publishesCounts?: boolean;
  /**
   * With `dataParallelSize` > 1: whether the ranks step in lock step (vLLM's `DPEngineCoreProc`
   * for a MoE model, data-parallel.ts stepsInLockStep): while any rank has work every rank steps,
   * an idle one running a one-token dummy pass, and each step ends when the slowest rank's does.
   * Default false: each rank steps on its own (a dense model).
   */
  readonly lockStep?: boolean;
}

/** A request with what the frontend knows about it for the metrics (see {@link ArrivalDetails}). */
export interface GpuRequest extends EngineRequest, ArrivalDetails {}

/** A token as the engine hands it to a request's consumer (`last` marks the final one). */
export type GpuToken = EngineTokenEvent;

/**
 * A waiting consumer's token callback ({@link GpuTokenStream.wait}): token `i` of its step's batch
 * (read `tokens.time`, `tokens.index(i)`, `tokens.last(i)`). A batch and a position rather than
 * the numbers themselves: a time passed as a number to a call that is not inlined is boxed, one
 * heap number per token (measured: ~12 KB per step with 1,000 running).
 */
export type GpuTokenCallback = (tokens: StepTokens, i: number) => void;

/**
 * A waiting consumer as one object ({@link GpuTokenStream.listen}): the step calls its methods
 * directly, where {@link GpuTokenStream.wait}'s callbacks are three closures reached through their
 * context (two more heap objects read per token, spread over the heap with 1,000 running).
 */
export interface GpuTokenListener {
  /** Token `i` of its step's batch (see {@link GpuTokenCallback}). */
  gpuToken(tokens: StepTokens, i: number): void;
  /** The stream ended without another token (it was left, or its last token was taken). */
  gpuEnd(): void;
  /** The engine's refusal or the signal's reason. */
  gpuError(reason: unknown): void;
}

/** What a {@link TokenStream} needs of its engine. */
interface StreamHost {
  /**
   * The waiting listener of each open stream, by its request's slot (undefined: none waits): a
   * step hands a token to it without reading the stream (one object fewer per token).
   */
  readonly listeners: (GpuTokenListener | undefined)[];
  /** Queues the stream's request (throws what EngineCore.add throws); answers its slot. */
  open(stream: TokenStream): number;
  /** The stream is over: it leaves the engine, its request aborted unless it had its last token. */
  close(stream: TokenStream, finished: boolean): void;
}

const doneResult: IteratorReturnResult<undefined> = Object.freeze({
  done: true,
  value: undefined,
});

/**
 * A request's tokens as {@link GpuEngine.generate} hands them out: an async iterator, plus two ways
 * for a consumer that keeps its own promise (the text engine's paced run) to read without one per
 * token.
 */
export interface GpuTokenStream extends AsyncIterableIterator<GpuToken> {
  /**
   * The next token when one is already produced and waiting (or the end, once the last token was
   * taken or the stream was left), without a promise; undefined: none yet (call `next` or `wait`).
   * Enters the request into the engine as the first `next` does, and throws what it would reject
   * with (the engine's refusal, the signal's reason).
   */
  nextReady(): IteratorResult<GpuToken> | undefined;
  /**
   * `next` with callbacks instead of a promise: `onToken` gets the next token as its step's batch
   * and its position there (no object and no result per token: the engine's step hands its
   * tokens out as one batch, issue 7), `onEnd` the end, and `onError`
   * the refusal or the signal's reason; called from the engine's step that produces the token
   * (or from `wait` itself when one is ready). One wait or `next` at a time. The three callbacks
   * as one {@link listen} listener (one object per wait; the mocks' text engine listens itself).
   */
  wait(onToken: GpuTokenCallback, onEnd: () => void, onError: (reason: unknown) => void): void;
  /** `wait` with one listener object instead of three callbacks (the same rules). */
  listen(listener: GpuTokenListener): void;
}

/**
 * One request's tokens, written by hand rather than as an async generator: per token it costs one
 * promise and one result object through `next` (a generator adds its own promise, an awaited
 * promise and a closure per token), none through `wait`, and a token the consumer already waits
 * for is handed over directly, without a buffer. The request enters the engine at the first read
 * (which fails with the engine's refusal or the signal's reason); an abort fails the waiting read
 * and takes the request out of the engine at once; `return()` (leaving a `for await`) takes it
 * out too.
 */
class TokenStream implements GpuTokenStream {
  readonly request: GpuRequest;
  readonly #host: StreamHost;
  readonly #signal: AbortSignal | undefined;
  /** Tokens produced before the consumer asked for them: each one's step batch and position. */
  readonly #buffer: StepTokens[] = [];
  readonly #bufferAt: number[] = [];
  /** The waiting `next` promise's resolvers, while one waits. */
  #resolve: ((result: IteratorResult<GpuToken>) => void) | undefined;
  #reject: ((reason: unknown) => void) | undefined;
  /** The request's slot while the stream is open (where its waiting listener is kept). */
  #slot = noSlot;
  /** The promise of the `next()` that waits, while one does (undefined while a listener waits). */
  #pending: Promise<IteratorResult<GpuToken>> | undefined;
  #phase: "new" | "open" | "closed" = "new";

  /** The waiting `listen`'s listener, kept by the engine under the slot (see StreamHost). */
  get #listener(): GpuTokenListener | undefined {
    return this.#phase === "open" ? this.#host.listeners[this.#slot] : undefined;
  }

  set #listener(listener: GpuTokenListener | undefined) {
    if (this.#phase === "open") this.#host.listeners[this.#slot] = listener;
  }
  /** The last token has been produced (the request left the engine on its own). */
  #finished = false;
  #failure: Error | undefined;
  /** The signal aborted the request. */
  #aborted = false;
  readonly #onAbort = () => this.#abort();

  constructor(host: StreamHost, request: GpuRequest, signal: AbortSignal | undefined) {
    this.#host = host;
    this.request = request;
    this.#signal = signal;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<GpuToken>> {
    // A call made while another waits is served after it, in order (as an async generator queues).
    if (this.#reject !== undefined || this.#listener !== undefined) {
      const pending = this.#pending;
      if (pending === undefined) return Promise.reject(new Error("a wait is in progress"));
      const after = () => this.next();
      return pending.then(after, after);
    }
    let ready: IteratorResult<GpuToken> | undefined;
    try {
      ready = this.nextReady();
    } catch (error) {
      return Promise.reject(error);
    }
    if (ready !== undefined) return Promise.resolve(ready);
    const pending = new Promise<IteratorResult<GpuToken>>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#pending = pending;
    return pending;
  }

  nextReady(): IteratorResult<GpuToken> | undefined {
    if (this.#reject !== undefined || this.#listener !== undefined) return undefined;
    if (this.#phase === "new") {
      try {
        this.#signal?.throwIfAborted();
        this.#slot = this.#host.open(this);
      } catch (error) {
        this.#phase = "closed";
        throw error;
      }
      this.#phase = "open";
      this.#signal?.addEventListener("abort", this.#onAbort, { once: true });
    }
    // The common answer of a consumer that reads in the push form (a wait, then this in the same
    // turn): nothing buffered on an open stream, told without calling into the array builtins.
    const buffered = this.#buffer.length;
    if (buffered === 0 && this.#phase === "open" && this.#failure === undefined) return undefined;
    if (buffered > 0) {
      const tokens = this.#buffer.shift() as StepTokens;
      const at = this.#bufferAt.shift() as number;
      if (tokens.last(at)) this.#close();
      return { done: false, value: tokens.event(at) };
    }
    if (this.#phase === "closed") {
      // After an abort every call fails with its reason, as the signal says.
      if (this.#aborted) throw this.#signal?.reason;
      return doneResult;
    }
    if (this.#failure !== undefined) {
      this.#close();
      throw this.#failure;
    }
    return undefined;
  }

  wait(onToken: GpuTokenCallback, onEnd: () => void, onError: (reason: unknown) => void): void {
    this.listen({ gpuToken: onToken, gpuEnd: onEnd, gpuError: onError });
  }

  listen(listener: GpuTokenListener): void {
    if (this.#reject !== undefined || this.#listener !== undefined) {
      throw new Error("a read is already waiting");
    }
    if (this.#buffer.length > 0) {
      // A token already produced: handed over from the buffer as it was delivered.
      const tokens = this.#buffer.shift() as StepTokens;
      const at = this.#bufferAt.shift() as number;
      if (tokens.last(at)) this.#close();
      listener.gpuToken(tokens, at);
      return;
    }
    let ready: IteratorResult<GpuToken> | undefined;
    try {
      ready = this.nextReady();
    } catch (error) {
      listener.gpuError(error);
      return;
    }
    if (ready !== undefined) {
      // Nothing buffered: the end (or a failure, thrown above).
      listener.gpuEnd();
      return;
    }
    this.#pending = undefined;
    this.#listener = listener;
  }

  return(): Promise<IteratorResult<GpuToken>> {
    // A read still waiting ends too (done), so nothing hangs on a stream that was left.
    const resolve = this.#resolve;
    const listener = this.#listener;
    this.#buffer.length = 0;
    this.#bufferAt.length = 0;
    this.#aborted = false;
    this.#close();
    resolve?.(doneResult);
    listener?.gpuEnd();
    return Promise.resolve(doneResult);
  }

  /**
   * The engine produced this request's next token, token `i` of its step's batch (a step's hot
   * path: once per token). A waiting listener gets the batch and position; a token object is made
   * only for a `next` (or a later `nextReady`).
   */
  deliver(tokens: StepTokens, i: number): void {
    const last = tokens.last(i);
    if (last) this.#finished = true;
    const listener = this.#listener;
    if (listener !== undefined) {
      // The usual consumer (the text engine): one field cleared, its method called directly.
      this.#listener = undefined;
      if (last) this.#close();
      listener.gpuToken(tokens, i);
      return;
    }
    const resolve = this.#resolve;
    if (resolve === undefined) {
      this.#buffer.push(tokens);
      this.#bufferAt.push(i);
      return;
    }
    this.#resolve = undefined;
    this.#reject = undefined;
    if (last) this.#close();
    resolve({ done: false, value: tokens.event(i) });
  }

  /** The engine cannot serve the request. */
  fail(error: Error): void {
    const listener = this.#listener;
    if (listener !== undefined) {
      this.#close();
      listener.gpuError(error);
      return;
    }
    const reject = this.#reject;
    if (reject === undefined) {
      this.#failure = error;
      return;
    }
    this.#close();
    reject(error);
  }

  #abort(): void {
    const reject = this.#reject;
    const listener = this.#listener;
    this.#aborted = true;
    this.#buffer.length = 0;
    this.#bufferAt.length = 0;
    this.#close();
    reject?.((this.#signal as AbortSignal).reason);
    listener?.gpuError((this.#signal as AbortSignal).reason);
  }

  #close(): void {
    if (this.#phase !== "open") {
      this.#phase = "closed";
      return;
    }
    this.#listener = undefined;
    this.#phase = "closed";
    this.#resolve = undefined;
    this.#reject = undefined;
    this.#signal?.removeEventListener("abort", this.#onAbort);
    this.#host.close(this, this.#finished);
  }
}

/**
 * Runs {@link EngineCore} steps back to back on a clock while there is work; see the module
 * comment. The engine keeps its own time: a step starts when the one before it ended in the model,
 * not when the timer that waited for that end fired, so a late timer does not push the rest of
 * the schedule back. Steps whose end has already passed run at once, one after the other, and
 * their tokens are ready together (a consumer reading then sees them at once and the vLLM mock
 * sends them as one chunk); {@link catchUpLimitMs} and {@link catchUpBurstMs} bound the catching up.
 */
export class GpuEngine {
  /** The scheduler, for gauges (running, waiting, KV usage) and counters. */
  readonly core: EngineCore;
  readonly #clock: Clock;
  readonly #scale: number;
  readonly #origin: number;
  readonly #onStep: ((result: StepResult) => void) | undefined;
  readonly #metrics: EngineMetrics<HistogramSink> | undefined;
  /** The open streams by their request's slot (a step finds each token's from its position). */
  readonly #slots = new RequestSlots();
  readonly #streams: (TokenStream | undefined)[] = [];
  /** The open streams' waiting listeners by slot (StreamHost.listeners). */
  readonly #listeners: (GpuTokenListener | undefined)[] = [];
  readonly #host: StreamHost;
  #loop: Promise<void> | undefined;
  /**
   * The data-parallel engine cores, this one (rank 0) first; one entry without data parallelism.
   * Each steps on its own, on the same clock.
   */
  readonly ranks: readonly GpuEngine[];
  /** The API server's choice among {@link ranks}; undefined with one rank (nothing routed). */
  readonly #router: DataParallelRouter | undefined;
  /** In lock step: rank 0, whose one loop steps every rank (a rank's own loop never runs). */
  #leader: GpuEngine | undefined;

  constructor(options: GpuEngineOptions) {
    const scale = options.timeScale ?? 1;
    if (!(scale > 0) || !Number.isFinite(scale))
      throw new RangeError("timeScale must be a positive number");
    const dp = options.dataParallelSize ?? 1;
    if (!Number.isInteger(dp) || dp < 1)
      throw new RangeError("dataParallelSize must be a positive integer");
    this.core = new EngineCore(options);
    this.#clock = options.clock;
    this.#scale = scale;
    this.#origin = options.clock.now();
    this.#onStep = options.onStep;
    this.#metrics = options.metrics;
    this.#host = {
      listeners: this.#listeners,
      open: (stream) => {
        const { request } = stream;
        const now = this.now();
        // The stream's slot goes into the engine with the request: its tokens carry it
        // (StepTokens.hostSlot), so a step's dispatch indexes the columns below by it.
        const known = this.#slots.get(request.id) !== noSlot;
        const slot = this.#slots.add(request.id);
        try {
          this.core.add(request, now, slot);
        } catch (error) {
          if (!known) this.#slots.delete(request.id);
          throw error;
        }
        const promptTokens =
          typeof request.prompt === "number" ? request.prompt : request.prompt.length;
        this.#metrics?.arrived(request.id, now, promptTokens, request);
        this.#streams[slot] = stream;
        this.#listeners[slot] = undefined;
        this.#start();
        return slot;
      },
      close: (stream, finished) => {
        const { id } = stream.request;
        const slot = this.#slots.delete(id);
        if (slot !== noSlot) {
          this.#streams[slot] = undefined;
          this.#listeners[slot] = undefined;
        }
        if (!finished && this.core.abort(id)) this.#metrics?.aborted(id);
      },
    };
    if (dp === 1) {
      this.ranks = [this];
      this.#router = undefined;
      return;
    }
    const ranks: GpuEngine[] = [this];
    for (let rank = 1; rank < dp; rank++) {
      const metrics = options.rankMetrics?.[rank - 1];
      ranks.push(
        new GpuEngine({
          ...options,
          dataParallelSize: 1,
          metrics,
          onStep: options.onStep,
        }),
      );
    }
    this.ranks = ranks;
    if (options.lockStep === true) for (const rank of ranks) rank.#leader = this;
    this.#router = new DataParallelRouter(
      ranks.map((engine) => engine.core),
      options.publishesCounts === true,
    );
  }

  /** Simulated seconds since the engine was created. */
  now(): number {
    return ((this.#clock.now() - this.#origin) / 1000) * this.#scale;
  }

  /**
   * Queues `request` (at the first `next()`) and yields its tokens as the engine produces them.
   * The first `next()` rejects with an EngineRequestError when the engine refuses the request; a
   * pending `next()` rejects with the signal's reason when `signal` aborts. Either way, and when
   * the consumer leaves early, the request leaves the engine and frees its KV blocks.
   */
  generate(request: GpuRequest, signal?: AbortSignal): GpuTokenStream {
    const router = this.#router;
    if (router !== undefined) {
      // vLLM's engine client picks the rank when the request is added (data-parallel.ts).
      const rank = this.ranks[router.choose(this.now())] as GpuEngine;
      if (rank !== this) return rank.generate(request, signal);
    }
    return new TokenStream(this.#host, request, signal);
  }

  /**
   * Parallel sampling (`n` > 1) as vLLM V1 runs it (vllm/v1/engine/parallel_sampling.py): `n`
   * child requests `0_<id>` … `<n-1>_<id>` with the request's prompt and settings, each its own
   * request in the scheduler, sharing the prompt's KV blocks through the prefix cache (vLLM caches
   * a block when it is allocated, so a child scheduled after its sibling in the same step hits it)
   * and counted once as a parent in `vllm:request_params_n`. One token stream per child, in index
   * order; start them together (a child enters the engine at its first `next()`).
   */
  generateChildren(request: GpuRequest, n: number, signal?: AbortSignal): GpuTokenStream[] {
    if (!Number.isInteger(n) || n < 1) throw new RangeError("n must be a positive integer");
    if (n === 1) return [this.generate(request, signal)];
    const parent = { id: request.id, n };
    return Array.from({ length: n }, (_, index) =>
      this.generate({ ...request, id: `${index}_${request.id}`, parent }, signal),
    );
  }

  /** Resolves when the engine has no work left (for tests and shutdown). */
  async idle(): Promise<void> {
    for (;;) {
      const busy = this.ranks.find((rank) => rank.#loop !== undefined);
      if (busy === undefined) return;
      await busy.#loop;
    }
  }

  /** Whether any rank has requests waiting or running. */
  hasWork(): boolean {
    return this.ranks.some((rank) => rank.core.hasWork());
  }

  #start(): void {
    const leader = this.#leader;
    if (leader !== undefined) {
      leader.#loop ??= leader.#runLockStep().finally(() => {
        leader.#loop = undefined;
      });
      return;
    }
    this.#loop ??= this.#run().finally(() => {
      this.#loop = undefined;
    });
  }

  async #run(): Promise<void> {
    // Let the caller finish queueing what arrives together before the first step.
    await Promise.resolve();
    const core = this.core;
    const clock = this.#clock;
    const limit = (catchUpLimitMs / 1000) * this.#scale;
    // The engine's clock (simulated seconds): when the next step starts, the last one's end.
    let next = this.now();
    // When the event loop last had a turn (real ms): a catch-up burst is timed from it.
    let turned = clock.now();
    while (core.hasWork()) {
      const now = this.now();
      if (now - next > limit) next = now; // too far behind: give up what is owed (catchUpLimitMs)
      // An engine with nothing running waits for its next request: no step before it arrived.
      const start = core.running === 0 ? Math.max(next, core.earliestArrival()) : next;
      const result = core.step(start);
      if (!result) {
        this.#failAll();
        break;
      }
      next = result.end;
      const wait = this.#origin + (result.end / this.#scale) * 1000 - clock.now();
      if (wait > 0) {
        await clock.sleep(wait);
        turned = clock.now();
      }
      this.#dispatch(result);
      if (wait <= 0 && clock.now() - turned > catchUpBurstMs) {
        // Catching up for a while already: let the event loop turn once (catchUpBurstMs).
        await clock.sleep(0);
        turned = clock.now();
      }
    }
  }

  /** Fails every request of this engine: nothing fits even on an idle engine (a KV cache smaller than one request). */
  #failAll(): void {
    for (const id of [...this.#slots.ids()]) {
      this.core.abort(id);
      const stream = this.#streams[this.#slots.get(id)] as TokenStream;
      stream.fail(new Error(`request ${id} does not fit in the KV cache`));
    }
  }

  /** Hands a step's outcome out once its end has come: metrics, each token to its stream, onStep. */
  #dispatch(result: StepResult): void {
    // Gauges and histograms first: a consumer woken below sees this step in the metrics.
    this.#metrics?.step(result, this.core);
    const streams = this.#streams;
    const listeners = this.#listeners;
    const slots = this.#slots;
    // The step's tokens as one batch (StepTokens: no event object per token), by index: a
    // for-of allocated an iterator result per token.
    const sampled = result.sampled;
    for (let i = 0; i < sampled.length; i++) {
      // The slot came with the token; a stream closed since the step ran may have given it up.
      const slot = sampled.hostSlot(i);
      if (!slots.holds(slot, sampled.requestId(i))) continue;
      const listener = listeners[slot];
      if (listener !== undefined && !sampled.last(i)) {
        // A waiting listener (the text engine's run) and not the last token: handed over from
        // the slot's column without reading the stream (TokenStream.deliver's listener case).
        listeners[slot] = undefined;
        listener.gpuToken(sampled, i);
      } else (streams[slot] as TokenStream).deliver(sampled, i);
    }
    this.#onStep?.(result);
  }

  /**
   * The ranks in lock step (vllm/v1/engine/core.py `DPEngineCoreProc.run_busy_loop`): while any
   * rank has work, every rank steps from the same start; a rank with nothing to schedule runs the
   * dummy pass; the step ends at the slowest rank's end (data-parallel.ts lockStepSeconds) and
   * every rank's tokens come out then. No work on any rank: the wave ends and nothing steps.
   */
  async #runLockStep(): Promise<void> {
    await Promise.resolve();
    const ranks = this.ranks;
    const clock = this.#clock;
    const limit = (catchUpLimitMs / 1000) * this.#scale;
    const dummy = this.core.dummyStepSeconds();
    const results: (StepResult | undefined)[] = new Array(ranks.length);
    const seconds: number[] = new Array(ranks.length).fill(0);
    let next = this.now();
    let turned = clock.now();
    while (this.hasWork()) {
      const now = this.now();
      if (now - next > limit) next = now; // too far behind: give up what is owed (catchUpLimitMs)
      // No rank running anything: the wave starts with its first request's arrival.
      let running = false;
      let arrival = Number.POSITIVE_INFINITY;
      for (const rank of ranks) {
        if (rank.core.running > 0) running = true;
        const earliest = rank.core.earliestArrival();
        if (earliest < arrival) arrival = earliest;
      }
      const start = running ? next : Math.max(next, arrival);
      for (let i = 0; i < ranks.length; i++) {
        const rank = ranks[i] as GpuEngine;
        const core = rank.core;
        const result = core.hasWork() ? core.step(start) : undefined;
        results[i] = result;
        seconds[i] = result === undefined ? 0 : result.end - start;
        // Work that has arrived but does not fit even on an idle rank: fail it (as #run does).
        if (result === undefined && core.running === 0 && core.earliestArrival() <= start)
          rank.#failAll();
      }
      const end = start + lockStepSeconds(seconds, dummy);
      next = end;
      const wait = this.#origin + (end / this.#scale) * 1000 - clock.now();
      if (wait > 0) {
        await clock.sleep(wait);
        turned = clock.now();
      }
      for (let i = 0; i < ranks.length; i++) {
        const result = results[i];
        if (result === undefined) continue;
        results[i] = undefined;
        (ranks[i] as GpuEngine).#dispatch(result.end < end ? stretchStep(result, end) : result);
      }
      if (wait <= 0 && clock.now() - turned > catchUpBurstMs) {
        await clock.sleep(0);
        turned = clock.now();
      }
    }
  }
}
