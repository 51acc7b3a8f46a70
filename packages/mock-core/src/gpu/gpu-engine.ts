/**
 * The simulated GPU engine on a clock: what a running mock uses. Requests go in with
 * {@link GpuEngine.generate} and their tokens come out as an async iterable, each when the engine
 * step that produced it ends on the clock (the real clock in a running mock, a ManualClock in
 * tests). `timeScale` runs the modelled GPU faster (> 1) or slower (< 1) than real time. Aborting
 * the signal, or breaking out of the iteration, aborts the request and frees its KV blocks, as a
 * client disconnect does in vLLM (vllm-openai.md §9).
 */
import type { Clock } from "../clock.js";
import {
  EngineCore,
  type EngineCoreConfig,
  type EngineRequest,
  type EngineTokenEvent,
  type StepResult,
} from "./engine-core.js";
import type { ArrivalDetails, EngineMetrics, HistogramSink } from "./engine-metrics.js";

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
}

/** A request with what the frontend knows about it for the metrics (see {@link ArrivalDetails}). */
export interface GpuRequest extends EngineRequest, ArrivalDetails {}

/** A token as the engine hands it to a request's consumer. */
export interface GpuToken extends EngineTokenEvent {
  /** Whether this is the request's last token. */
  readonly last: boolean;
}

interface Channel {
  readonly buffer: GpuToken[];
  wake?: (() => void) | undefined;
  done: boolean;
  failure?: Error;
}

/** Runs {@link EngineCore} steps back to back on a clock while there is work; see the module comment. */
export class GpuEngine {
  /** The scheduler, for gauges (running, waiting, KV usage) and counters. */
  readonly core: EngineCore;
  readonly #clock: Clock;
  readonly #scale: number;
  readonly #origin: number;
  readonly #onStep: ((result: StepResult) => void) | undefined;
  readonly #metrics: EngineMetrics<HistogramSink> | undefined;
  readonly #channels = new Map<string, Channel>();
  #loop: Promise<void> | undefined;

  constructor(options: GpuEngineOptions) {
    const scale = options.timeScale ?? 1;
    if (!(scale > 0) || !Number.isFinite(scale))
      throw new RangeError("timeScale must be a positive number");
    this.core = new EngineCore(options);
    this.#clock = options.clock;
    this.#scale = scale;
    this.#origin = options.clock.now();
    this.#onStep = options.onStep;
    this.#metrics = options.metrics;
  }

  /** Simulated seconds since the engine was created. */
  now(): number {
    return ((this.#clock.now() - this.#origin) / 1000) * this.#scale;
  }

  /**
   * Queues `request` and yields its tokens as the engine produces them. Throws an
   * EngineRequestError (from the first `next()`) when the engine refuses the request, and the
   * signal's reason when `signal` aborts; either way the request leaves the engine.
   */
  async *generate(
    request: GpuRequest,
    signal?: AbortSignal,
  ): AsyncGenerator<GpuToken, void, undefined> {
    signal?.throwIfAborted();
    this.core.add(request);
    const promptTokens =
      typeof request.prompt === "number" ? request.prompt : request.prompt.length;
    this.#metrics?.arrived(request.id, this.now(), promptTokens, request);
    const channel: Channel = { buffer: [], done: false };
    this.#channels.set(request.id, channel);
    const onAbort = () => channel.wake?.();
    signal?.addEventListener("abort", onAbort, { once: true });
    this.#start();
    try {
      for (;;) {
        const token = channel.buffer.shift();
        if (token) {
          yield token;
          if (token.last) return;
          continue;
        }
        signal?.throwIfAborted();
        if (channel.failure) throw channel.failure;
        await new Promise<void>((resolve) => {
          channel.wake = resolve;
        });
        channel.wake = undefined;
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
      this.#channels.delete(request.id);
      if (!channel.done && this.core.abort(request.id))
        this.#metrics?.aborted(request.id, this.now());
    }
  }

  /** Resolves when the engine has no work left (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.#loop) await this.#loop;
  }

  #start(): void {
    this.#loop ??= this.#run().finally(() => {
      this.#loop = undefined;
    });
  }

  async #run(): Promise<void> {
    // Let the caller finish queueing what arrives together before the first step.
    await Promise.resolve();
    while (this.core.hasWork()) {
      const start = this.now();
      const result = this.core.step(start);
      if (!result) {
        // Nothing fits even on an idle engine (a KV cache smaller than one request): fail the rest.
        for (const [id, channel] of this.#channels) {
          channel.failure = new Error(`request ${id} does not fit in the KV cache`);
          channel.wake?.();
          this.core.abort(id);
        }
        break;
      }
      const endMs = this.#origin + (result.end / this.#scale) * 1000;
      await this.#clock.sleep(Math.max(0, endMs - this.#clock.now()));
      const finished = new Set(result.finished.map((f) => f.requestId));
      for (const token of result.tokens) {
        const channel = this.#channels.get(token.requestId);
        if (!channel) continue;
        const last = finished.has(token.requestId);
        if (last) channel.done = true;
        channel.buffer.push({ ...token, last });
        channel.wake?.();
      }
      this.#metrics?.step(result, this.core);
      this.#onStep?.(result);
    }
  }
}
