/**
 * Reports a simulated run the way vLLM's serving benchmark (`vllm bench serve`) reports a real
 * one: throughput, and mean / median / P99 of TTFT, TPOT (time per output token after the first),
 * ITL (every gap between tokens) and E2EL, in milliseconds; plus an SVG chart of latency against
 * load for a sweep. Pure functions over a {@link SimulationResult}.
 */
import type { RequestOutcome, SimulationResult } from "./simulate.js";

/** One percentile of a latency metric: `p` in (0, 100), `value` in milliseconds. */
export interface PercentileValue {
  readonly p: number;
  readonly value: number;
}

/**
 * Mean, median and P99 of one latency metric, plus the percentiles asked for (vLLM's
 * `--metric-percentiles`, default just 99), in milliseconds (NaN when nothing was measured).
 */
export interface LatencyStats {
  readonly mean: number;
  readonly median: number;
  readonly p99: number;
  readonly percentiles: readonly PercentileValue[];
}

/** The latency metrics of a generation benchmark (vLLM's `--percentile-metrics` names). */
export type BenchMetric = "ttft" | "tpot" | "itl" | "e2el";

/** What `vllm bench serve` reports percentiles for when not told: `ttft,tpot,itl` for generative models. */
export const defaultBenchMetrics: readonly BenchMetric[] = ["ttft", "tpot", "itl"];

/** What a run was asked to do, echoed in its report. */
export interface SummaryOptions {
  /** `--max-concurrency` of the run, if it had one. */
  readonly maxConcurrency?: number;
  /** `--request-rate` in requests per second; an infinite one is left out, as vLLM leaves it out. */
  readonly requestRate?: number;
  /** `--metric-percentiles`, each in (0, 100); default [99]. */
  readonly percentiles?: readonly number[];
  /**
   * `--goodput` service-level objectives in milliseconds: a request is good when it meets every
   * one given (TPOT counts as 0 for a request of one output token, as vLLM counts it).
   */
  readonly goodput?: Readonly<Partial<Record<GoodputMetric, number>>>;
}

/** The metrics `--goodput` may set objectives for (vLLM: ttft, tpot, e2el). */
export type GoodputMetric = "ttft" | "tpot" | "e2el";

/** The figures of vLLM's "Serving Benchmark Result" block. */
export interface BenchSummary {
  readonly successfulRequests: number;
  readonly failedRequests: number;
  /** Seconds from the start of the run (before the first send) to the last token. */
  readonly duration: number;
  readonly totalInputTokens: number;
  readonly totalGeneratedTokens: number;
  /** Requests per second. */
  readonly requestThroughput: number;
  /** Output tokens per second. */
  readonly outputThroughput: number;
  /** Input + output tokens per second. */
  readonly totalThroughput: number;
  readonly ttft: LatencyStats;
  readonly tpot: LatencyStats;
  readonly itl: LatencyStats;
  readonly e2el: LatencyStats;
  /**
   * Most output tokens in one whole second of the run (1-second buckets from the first send), as
   * vLLM's "Peak output token throughput (tok/s)".
   */
  readonly peakOutputThroughput: number;
  /** Most successful requests in flight at one instant (send to last token), as vLLM's "Peak concurrent requests". */
  readonly peakConcurrentRequests: number;
  /** `--max-concurrency` of the run, if it had one. */
  readonly maxConcurrency?: number;
  /** `--request-rate` of the run in requests per second, if finite. */
  readonly requestRate?: number;
  /** Good requests per second, when the run had `--goodput` objectives. */
  readonly requestGoodput?: number;
}

/** The p-th percentile (0..100) with linear interpolation between ranks (numpy's default). */
export function percentile(values: readonly number[], p: number): number {
  return percentileOfSorted(
    [...values].sort((a, b) => a - b),
    p,
  );
}

/** {@link percentile} of values already in ascending order. */
function percentileOfSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return (
    (sorted[low] as number) + ((sorted[high] as number) - (sorted[low] as number)) * (rank - low)
  );
}

function stats(secondsValues: readonly number[], percentiles: readonly number[]): LatencyStats {
  const ms = secondsValues.map((s) => s * 1000).sort((a, b) => a - b);
  const mean = ms.length === 0 ? Number.NaN : ms.reduce((a, b) => a + b, 0) / ms.length;
  return {
    mean,
    median: percentileOfSorted(ms, 50),
    p99: percentileOfSorted(ms, 99),
    percentiles: percentiles.map((p) => ({ p, value: percentileOfSorted(ms, p) })),
  };
}

/**
 * vLLM's peak figures (vllm/benchmarks/serve.py `calculate_metrics`): output tokens counted in
 * whole-second buckets from the first send, and the most requests open at one instant over
 * half-open [send, last token) intervals (an end before a start at the same instant).
 */
function peaks(ok: readonly RequestOutcome[]): { tokens: number; concurrent: number } {
  if (ok.length === 0) return { tokens: 0, concurrent: 0 };
  const start = ok.reduce((min, r) => Math.min(min, r.sent), Number.POSITIVE_INFINITY);
  const buckets = new Map<number, number>();
  const events: [number, number][] = [];
  for (const r of ok) {
    if (r.ttft !== undefined) {
      let at = r.sent + r.ttft;
      const count = (t: number) => {
        const bucket = Math.floor(t - start);
        buckets.set(bucket, (buckets.get(bucket) ?? 0) + 1);
      };
      count(at);
      for (const gap of r.itls) {
        at += gap;
        count(at);
      }
    }
    events.push([r.sent, 1], [r.sent + (r.e2e ?? 0), -1]);
  }
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let concurrent = 0;
  for (const [, delta] of events) {
    open += delta;
    concurrent = Math.max(concurrent, open);
  }
  let tokens = 0;
  for (const n of buckets.values()) tokens = Math.max(tokens, n);
  return { tokens, concurrent };
}

/**
 * Summarises a run as vLLM's serving benchmark does (only finished requests count as successful;
 * vllm/benchmarks/serve.py `calculate_metrics`), with the run's settings echoed as vLLM echoes
 * them. Throws a RangeError for a percentile outside (0, 100).
 */
export function summarizeRun(result: SimulationResult, options: SummaryOptions = {}): BenchSummary {
  const { maxConcurrency, requestRate } = options;
  const percentiles = options.percentiles ?? [99];
  for (const p of percentiles) {
    if (!(p > 0 && p < 100)) throw new RangeError(`percentile ${p} is not in (0, 100)`);
  }
  const ok = result.requests.filter((r) => r.status === "finished");
  const peak = peaks(ok);
  const input = ok.reduce((s, r) => s + r.promptTokens, 0);
  const output = ok.reduce((s, r) => s + r.outputTokens, 0);
  const duration = result.duration;
  const tpotOf = (r: RequestOutcome) =>
    r.outputTokens > 1 ? ((r.e2e ?? 0) - (r.ttft ?? 0)) / (r.outputTokens - 1) : 0;
  const slo = options.goodput;
  const good =
    slo === undefined
      ? undefined
      : ok.filter(
          (r) =>
            (slo.ttft === undefined || (r.ttft ?? 0) * 1000 <= slo.ttft) &&
            (slo.tpot === undefined || tpotOf(r) * 1000 <= slo.tpot) &&
            (slo.e2el === undefined || (r.e2e ?? 0) * 1000 <= slo.e2el),
        ).length;
  return {
    successfulRequests: ok.length,
    failedRequests: result.requests.length - ok.length,
    duration,
    totalInputTokens: input,
    totalGeneratedTokens: output,
    requestThroughput: ok.length / duration,
    outputThroughput: output / duration,
    totalThroughput: (input + output) / duration,
    ttft: stats(
      ok.map((r) => r.ttft ?? 0),
      percentiles,
    ),
    tpot: stats(ok.filter((r) => r.outputTokens > 1).map(tpotOf), percentiles),
    itl: stats(
      ok.flatMap((r) => r.itls),
      percentiles,
    ),
    e2el: stats(
      ok.map((r) => r.e2e ?? 0),
      percentiles,
    ),
    peakOutputThroughput: peak.tokens,
    peakConcurrentRequests: peak.concurrent,
    ...(maxConcurrency === undefined ? {} : { maxConcurrency }),
    ...(requestRate === undefined || !Number.isFinite(requestRate) ? {} : { requestRate }),
    ...(good === undefined ? {} : { requestGoodput: good / duration }),
  };
}

/** The traffic settings `vllm bench serve` prints before it starts sending. */
export interface TrafficSettings {
  /** Requests per second; Infinity sends everything at once. */
  readonly requestRate: number;
  /** Gamma shape of the gaps; 1 is a Poisson process. */
  readonly burstiness?: number;
  /** Client concurrency limit, if any. */
  readonly maxConcurrency?: number;
  /** A ramp-up instead of a fixed rate. */
  readonly rampUp?: {
    readonly strategy: "linear" | "exponential";
    readonly startRps: number;
    readonly endRps: number;
  };
}

/** Python's `str(float)` for the numbers vLLM echoes: `inf`, `4.0`, `0.5`. */
function pythonFloat(n: number): string {
  if (n === Number.POSITIVE_INFINITY) return "inf";
  return Number.isInteger(n) ? n.toFixed(1) : String(n);
}

/**
 * The lines `vllm bench serve` prints before the run (vllm/benchmarks/serve.py `benchmark`):
 * `Traffic request rate: inf` (or, with a ramp-up, `Traffic ramp-up strategy: linear.` and
 * `Will increase RPS from 1 to 20 RPS over the duration of the benchmark.`), `Burstiness factor:
 * 1.0 (Poisson process)`, `Maximum request concurrency: None`.
 */
export function formatTrafficHeader(traffic: TrafficSettings): string {
  const burstiness = traffic.burstiness ?? 1;
  const { rampUp } = traffic;
  return [
    ...(rampUp === undefined
      ? [`Traffic request rate: ${pythonFloat(traffic.requestRate)}`]
      : [
          `Traffic ramp-up strategy: ${rampUp.strategy}.`,
          `Will increase RPS from ${rampUp.startRps} to ${rampUp.endRps} RPS over the duration of the benchmark.`,
        ]),
    `Burstiness factor: ${pythonFloat(burstiness)} (${burstiness === 1 ? "Poisson process" : "Gamma distribution"})`,
    `Maximum request concurrency: ${traffic.maxConcurrency ?? "None"}`,
  ].join("\n");
}

/**
 * The summary as the text block `vllm bench serve` prints (labels padded to 40 columns; lines and
 * their order as vllm/benchmarks/serve.py prints them for a generation run): a block per metric of
 * `metrics` (vLLM's `--percentile-metrics`, default ttft, tpot, itl) with its mean, median and the
 * summary's percentiles (`P99`, `P99.9`: Python's spelling of the number).
 */
export function formatBenchSummary(
  summary: BenchSummary,
  metrics: readonly BenchMetric[] = defaultBenchMetrics,
): string {
  const line = (label: string, value: string | number) => `${label.padEnd(40)} ${value}`;
  const fixed = (n: number) => n.toFixed(2);
  // Python's f"{title:-^50}": the extra dash of an odd padding goes to the right.
  const section = (title: string) => {
    const left = Math.floor((50 - title.length) / 2);
    return `${"-".repeat(left)}${title}${"-".repeat(50 - title.length - left)}`;
  };
  const blocks: Record<BenchMetric, { name: string; title: string; stats: LatencyStats }> = {
    ttft: { name: "TTFT", title: "Time to First Token", stats: summary.ttft },
    tpot: { name: "TPOT", title: "Time per Output Token (excl. 1st token)", stats: summary.tpot },
    itl: { name: "ITL", title: "Inter-token Latency", stats: summary.itl },
    e2el: { name: "E2EL", title: "End-to-end Latency", stats: summary.e2el },
  };
  // serve.py prints the blocks in this order, whatever order they were asked in.
  const order: readonly BenchMetric[] = ["ttft", "tpot", "itl", "e2el"];
  const metricLines = order
    .filter((m) => metrics.includes(m))
    .flatMap((m) => {
      const { name, title, stats: s } = blocks[m];
      return [
        section(title),
        line(`Mean ${name} (ms):`, fixed(s.mean)),
        line(`Median ${name} (ms):`, fixed(s.median)),
        ...s.percentiles.map(({ p, value }) => line(`P${p} ${name} (ms):`, fixed(value))),
      ];
    });
  return [
    "============ Serving Benchmark Result ============",
    line("Successful requests:", summary.successfulRequests),
    line("Failed requests:", summary.failedRequests),
    ...(summary.maxConcurrency === undefined
      ? []
      : [line("Maximum request concurrency:", summary.maxConcurrency)]),
    ...(summary.requestRate === undefined
      ? []
      : [line("Request rate configured (RPS):", fixed(summary.requestRate))]),
    line("Benchmark duration (s):", fixed(summary.duration)),
    line("Total input tokens:", summary.totalInputTokens),
    line("Total generated tokens:", summary.totalGeneratedTokens),
    line("Request throughput (req/s):", fixed(summary.requestThroughput)),
    ...(summary.requestGoodput === undefined
      ? []
      : [line("Request goodput (req/s):", fixed(summary.requestGoodput))]),
    line("Output token throughput (tok/s):", fixed(summary.outputThroughput)),
    line("Peak output token throughput (tok/s):", fixed(summary.peakOutputThroughput)),
    line("Peak concurrent requests:", fixed(summary.peakConcurrentRequests)),
    line("Total token throughput (tok/s):", fixed(summary.totalThroughput)),
    ...metricLines,
    "=".repeat(50),
  ].join("\n");
}

/** One point of a load sweep: the load (concurrency or request rate) and the latency at it. */
export interface SweepPoint {
  readonly load: number;
  /** Milliseconds. */
  readonly value: number;
}

/** Escapes text for SVG. */
function escapeXml(text: string): string {
  return text.replace(
    /[<>&"]/g,
    (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c] as string,
  );
}

/**
 * A self-contained SVG line chart of latency series against load (for `servingkit simulate`):
 * one polyline per series, linear axes from zero, a legend. 640×400 pixels.
 */
export function latencyChartSvg(
  series: readonly { readonly name: string; readonly points: readonly SweepPoint[] }[],
  labels: { readonly x: string; readonly y: string; readonly title: string },
): string {
  const width = 640;
  const height = 400;
  const left = 70;
  const right = 20;
  const top = 40;
  const bottom = 50;
  const all = series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.value));
  const maxX = Math.max(1e-9, ...all.map((p) => p.load));
  const maxY = Math.max(1e-9, ...all.map((p) => p.value));
  const x = (v: number) => left + (v / maxX) * (width - left - right);
  const y = (v: number) => height - bottom - (v / maxY) * (height - top - bottom);
  const colours = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd"];
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(labels.title)}</text>`,
    `<line x1="${left}" y1="${height - bottom}" x2="${width - right}" y2="${height - bottom}" stroke="black"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${height - bottom}" stroke="black"/>`,
    ...ticks.map(
      (t) =>
        `<text x="${x(t * maxX).toFixed(1)}" y="${height - bottom + 16}" text-anchor="middle">${+(t * maxX).toPrecision(3)}</text>` +
        `<text x="${left - 6}" y="${(y(t * maxY) + 4).toFixed(1)}" text-anchor="end">${+(t * maxY).toPrecision(3)}</text>`,
    ),
    `<text x="${(left + width - right) / 2}" y="${height - 12}" text-anchor="middle">${escapeXml(labels.x)}</text>`,
    `<text x="16" y="${(top + height - bottom) / 2}" text-anchor="middle" transform="rotate(-90 16 ${(top + height - bottom) / 2})">${escapeXml(labels.y)}</text>`,
  ];
  series.forEach((s, i) => {
    const colour = colours[i % colours.length] as string;
    const points = s.points
      .filter((p) => Number.isFinite(p.value))
      .map((p) => `${x(p.load).toFixed(1)},${y(p.value).toFixed(1)}`)
      .join(" ");
    parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${points}"/>`);
    parts.push(
      `<text x="${left + 10}" y="${top + 14 * (i + 1)}" fill="${colour}">${escapeXml(s.name)}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("\n");
}
