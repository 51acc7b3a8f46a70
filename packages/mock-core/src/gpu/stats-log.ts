/**
 * vLLM's periodic engine log line (vllm-openai.md §8, vllm/v1/metrics/loggers.py
 * LoggingStatLogger): every interval (≈5 s) "Engine 000: Avg prompt throughput: X tokens/s, Avg
 * generation throughput: Y tokens/s, Running: R reqs, Waiting: W reqs, GPU KV cache usage: U%,
 * Prefix cache hit rate: H%", computed from {@link EngineMetrics} between two calls.
 */
import type { EngineMetrics, HistogramSink } from "./engine-metrics.js";
import { formatSpecDecodeLogLine, SpecDecodeCounts } from "./speculative.js";

/** Produces one log line per call from the metrics' change since the previous call. */
export class StatsLogLine {
  readonly #metrics: EngineMetrics<HistogramSink>;
  readonly #engineIndex: number;
  #at: number;
  #prompt: number;
  #generation: number;
  #queries: number;
  #hits: number;
  #busy = false;
  #quiet = true;
  /** Spec-decode counters at the interval's start (the metrics' totals then). */
  readonly #spec: SpecDecodeCounts;
  #specLine: string | undefined;

  /** Starts the first interval at `now` (simulated seconds). `engineIndex` is the DP rank (0). */
  constructor(metrics: EngineMetrics<HistogramSink>, now: number, engineIndex = 0) {
    this.#metrics = metrics;
    this.#engineIndex = engineIndex;
    this.#at = now;
    this.#prompt = metrics.promptTokens;
    this.#generation = metrics.generationTokens;
    this.#queries = metrics.prefixCacheQueries;
    this.#hits = metrics.prefixCacheHits;
    this.#spec = new SpecDecodeCounts(0);
    this.#snapshotSpec();
  }

  /**
   * The line for the interval ending at `now`, and a new interval starts. The prefix-cache hit
   * rate is hits / queries (tokens) over the interval (vLLM keeps a window of recent requests;
   * 0 when nothing was queried).
   */
  next(now: number): string {
    const m = this.#metrics;
    const elapsed = now - this.#at;
    const rate = (delta: number) => (elapsed > 0 ? delta / elapsed : 0);
    const queries = m.prefixCacheQueries - this.#queries;
    const hits = m.prefixCacheHits - this.#hits;
    const line =
      `Engine ${String(this.#engineIndex).padStart(3, "0")}: ` +
      `Avg prompt throughput: ${rate(m.promptTokens - this.#prompt).toFixed(1)} tokens/s, ` +
      `Avg generation throughput: ${rate(m.generationTokens - this.#generation).toFixed(1)} tokens/s, ` +
      `Running: ${m.running} reqs, Waiting: ${m.waiting} reqs, ` +
      `GPU KV cache usage: ${(m.kvCacheUsage * 100).toFixed(1)}%, ` +
      `Prefix cache hit rate: ${(queries > 0 ? (hits / queries) * 100 : 0).toFixed(1)}%`;
    const busy = m.promptTokens > this.#prompt || m.generationTokens > this.#generation;
    this.#quiet = !busy && !this.#busy;
    this.#busy = busy;
    this.#at = now;
    this.#prompt = m.promptTokens;
    this.#generation = m.generationTokens;
    this.#queries = m.prefixCacheQueries;
    this.#hits = m.prefixCacheHits;
    this.#specLine = undefined;
    if (m.specDecodeDrafts > this.#spec.drafts) {
      const interval = new SpecDecodeCounts(m.specDecodeAcceptedPerPosition.length);
      interval.drafts = m.specDecodeDrafts - this.#spec.drafts;
      interval.draftTokens = m.specDecodeDraftTokens - this.#spec.draftTokens;
      interval.acceptedTokens = m.specDecodeAcceptedTokens - this.#spec.acceptedTokens;
      m.specDecodeAcceptedPerPosition.forEach((n, i) => {
        interval.acceptedPerPosition[i] = n - (this.#spec.acceptedPerPosition[i] ?? 0);
      });
      this.#specLine = formatSpecDecodeLogLine(interval, elapsed);
    }
    this.#snapshotSpec();
    return line;
  }

  /**
   * vLLM's "SpecDecoding metrics: …" line for the interval {@link next} just closed, which vLLM's
   * LoggingStatLogger logs right after the engine line at the same level
   * (vllm/v1/spec_decode/metrics.py SpecDecodingLogging); undefined when nothing was drafted in
   * the interval (always, without speculative decoding).
   */
  get specDecodeLine(): string | undefined {
    return this.#specLine;
  }

  #snapshotSpec(): void {
    const m = this.#metrics;
    this.#spec.drafts = m.specDecodeDrafts;
    this.#spec.draftTokens = m.specDecodeDraftTokens;
    this.#spec.acceptedTokens = m.specDecodeAcceptedTokens;
    this.#spec.acceptedPerPosition.length = 0;
    this.#spec.acceptedPerPosition.push(...m.specDecodeAcceptedPerPosition);
  }

  /**
   * Whether the interval {@link next} just closed, and the one before it, processed no prompt
   * and no generation tokens: vLLM's LoggingStatLogger logs such a line at debug level only, to
   * keep an idle server's log quiet (so the line after traffic stops still shows at info).
   */
  get quiet(): boolean {
    return this.#quiet;
  }
}
