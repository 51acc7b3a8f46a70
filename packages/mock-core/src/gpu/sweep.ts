/**
 * Load sweeps for `servingkit simulate`: the same workload run at several concurrencies (a
 * closed-loop client, as `vllm bench serve --max-concurrency`) or request rates (arrivals as
 * `vllm bench serve --request-rate` schedules them, arrivals.ts), each summarised as vLLM's
 * serving benchmark reports it. Deterministic for a given seed.
 */

import { requestArrivals } from "./arrivals.js";
import { type BenchSummary, latencyChartSvg, summarizeRun } from "./bench-report.js";
import { type SimulatedRequest, type SimulationConfig, simulate } from "./simulate.js";

/** What to sweep. */
export interface SweepOptions {
  /** The engine (and client latency) settings; `maxConcurrency` is set per load in concurrency mode. */
  readonly config: SimulationConfig;
  /** The requests of one load level (called once per level with the level's prompt count). */
  readonly workload: (count: number) => SimulatedRequest[];
  /** "concurrency": loads are client concurrencies; "rate": loads are requests per second. */
  readonly mode: "concurrency" | "rate";
  readonly loads: readonly number[];
  /** Prompts per level; default 20 × concurrency (at least 100) or 20 × rate (at least 100). */
  readonly promptsPerLoad?: (load: number) => number;
  /** Seed of the arrivals; default 0. */
  readonly seed?: number;
  /** `--burstiness` of the arrivals in rate mode; default 1 (Poisson). */
  readonly burstiness?: number;
  /** Percentiles to report besides the median; default [99]. */
  readonly percentiles?: readonly number[];
}

/** One level of a sweep. */
export interface SweepLevel {
  readonly load: number;
  readonly summary: BenchSummary;
}

/** Runs the sweep; levels come back in the order of `loads`. */
export function runSweep(options: SweepOptions): SweepLevel[] {
  const count = options.promptsPerLoad ?? ((load: number) => Math.max(100, Math.ceil(20 * load)));
  const percentiles = options.percentiles === undefined ? {} : { percentiles: options.percentiles };
  return options.loads.map((load) => {
    const requests = options.workload(count(load));
    if (options.mode === "concurrency") {
      const result = simulate(requests, {
        ...options.config,
        maxConcurrency: load,
        recordSteps: false,
      });
      return { load, summary: summarizeRun(result, { maxConcurrency: load, ...percentiles }) };
    }
    const timed = requestArrivals(requests, {
      rate: load,
      seed: options.seed ?? 0,
      ...(options.burstiness === undefined ? {} : { burstiness: options.burstiness }),
    });
    const result = simulate(timed, { ...options.config, recordSteps: false });
    const { maxConcurrency } = options.config;
    return {
      load,
      summary: summarizeRun(result, {
        requestRate: load,
        ...(maxConcurrency === undefined ? {} : { maxConcurrency }),
        ...percentiles,
      }),
    };
  });
}

/**
 * The sweep as an SVG: median and P99 TTFT and median ITL (ms) against the load. A level at an
 * infinite rate (everything at once) has no place on a linear axis and is left off the chart.
 */
export function sweepChartSvg(
  levels: readonly SweepLevel[],
  mode: SweepOptions["mode"],
  title: string,
): string {
  const plotted = levels.filter((l) => Number.isFinite(l.load));
  return latencyChartSvg(
    [
      {
        name: "median TTFT",
        points: plotted.map((l) => ({ load: l.load, value: l.summary.ttft.median })),
      },
      {
        name: "P99 TTFT",
        points: plotted.map((l) => ({ load: l.load, value: l.summary.ttft.p99 })),
      },
      {
        name: "median ITL",
        points: plotted.map((l) => ({ load: l.load, value: l.summary.itl.median })),
      },
    ],
    {
      x: mode === "concurrency" ? "concurrency" : "request rate (req/s)",
      y: "latency (ms)",
      title,
    },
  );
}

/**
 * The sweep as a plain-text table, one row per load: throughput (req/s, output tok/s) and the
 * latencies a sweep is read for (median and P99 TTFT, median TPOT, median and P99 ITL, median
 * E2EL), in milliseconds. Columns are right-aligned; NaN (nothing measured) prints as "n/a".
 */
export function formatSweepTable(
  levels: readonly SweepLevel[],
  mode: SweepOptions["mode"],
): string {
  const header = [
    mode === "concurrency" ? "Concurrency" : "Rate (req/s)",
    "Req/s",
    "Output tok/s",
    "Median TTFT",
    "P99 TTFT",
    "Median TPOT",
    "Median ITL",
    "P99 ITL",
    "Median E2EL",
  ];
  const fixed = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : "n/a");
  const rows = levels.map(({ load, summary: s }) => [
    Number.isFinite(load) ? String(load) : "inf",
    fixed(s.requestThroughput),
    fixed(s.outputThroughput),
    fixed(s.ttft.median),
    fixed(s.ttft.p99),
    fixed(s.tpot.median),
    fixed(s.itl.median),
    fixed(s.itl.p99),
    fixed(s.e2el.median),
  ]);
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => (r[i] as string).length)),
  );
  const render = (cells: readonly string[]) =>
    cells.map((c, i) => c.padStart(widths[i] as number)).join("  ");
  return [
    render(header),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...rows.map(render),
    "(latencies in ms)",
  ].join("\n");
}
