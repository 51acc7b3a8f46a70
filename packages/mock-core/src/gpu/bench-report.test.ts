import { describe, expect, it } from "vitest";
import {
  formatBenchSummary,
  formatTrafficHeader,
  latencyChartSvg,
  percentile,
  summarizeRun,
} from "./bench-report.js";
import { simulate } from "./simulate.js";
import { linearStepTime } from "./test-step-time.js";

const config = {
  numBlocks: 1000,
  maxNumSeqs: 64,
  maxNumBatchedTokens: 2048,
  maxModelLen: 4096,
  stepTime: linearStepTime,
};

describe("bench report", () => {
  it("interpolates percentiles linearly, as numpy does", () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([0, 10], 99)).toBeCloseTo(9.9, 12);
    expect(percentile([], 50)).toBeNaN();
  });

  it("summarises a run with vLLM's serving-benchmark figures", () => {
    const result = simulate([{ id: "a", prompt: 90, outputTokens: 3 }], config);
    const summary = summarizeRun(result);
    // one request: TTFT = 10 + 90 ms; two decode steps of 11 ms; E2EL 122 ms; TPOT = (122 − 100) / 2
    expect(summary.ttft.mean).toBeCloseTo(100, 9);
    expect(summary.itl.median).toBeCloseTo(11, 9);
    expect(summary.tpot.mean).toBeCloseTo(11, 9);
    expect(summary.e2el.p99).toBeCloseTo(122, 9);
    expect(summary.outputThroughput).toBeCloseTo(3 / 0.122, 9);
    expect(summary.totalInputTokens).toBe(90);
    const text = formatBenchSummary(summary);
    expect(text.split("\n")[0]).toBe("============ Serving Benchmark Result ============");
    expect(text).toContain(`${"Successful requests:".padEnd(40)} 1`);
    expect(text).toContain(`${"Mean TTFT (ms):".padEnd(40)} 100.00`);
    expect(text).toContain("---------------Time to First Token----------------");
    expect(text).toContain("-----Time per Output Token (excl. 1st token)------");
  });

  it("reports vLLM's peak figures and the configured rate", () => {
    // vllm/benchmarks/serve.py calculate_metrics: tokens in whole-second buckets from the first
    // send; peak concurrency over [send, last token) intervals.
    const result = simulate(
      [
        { id: "a", prompt: 90, outputTokens: 3 },
        { id: "b", prompt: 90, outputTokens: 3, arrival: 5 },
      ],
      config,
    );
    const summary = summarizeRun(result, { requestRate: 0.5 });
    expect(summary.peakOutputThroughput).toBe(3);
    expect(summary.peakConcurrentRequests).toBe(1);
    expect(summary.requestRate).toBe(0.5);
    const text = formatBenchSummary(summary);
    expect(text).toContain(`${"Request rate configured (RPS):".padEnd(40)} 0.50`);
    expect(text).toContain(`${"Peak output token throughput (tok/s):".padEnd(40)} 3.00`);
    expect(text).toContain(`${"Peak concurrent requests:".padEnd(40)} 1.00`);
    expect(text).toContain("Total token throughput (tok/s):");
    const together = summarizeRun(
      simulate(
        [
          { id: "a", prompt: 90, outputTokens: 3 },
          { id: "b", prompt: 90, outputTokens: 3 },
        ],
        config,
      ),
      { requestRate: Number.POSITIVE_INFINITY },
    );
    expect(together.peakConcurrentRequests).toBe(2);
    expect(together.requestRate).toBeUndefined();
    expect(formatBenchSummary(together)).not.toContain("Request rate configured");
  });

  it("prints the metrics and percentiles asked for, in serve.py's order", () => {
    // vllm/benchmarks/serve.py: --percentile-metrics defaults to ttft,tpot,itl for generative
    // models, --metric-percentiles to 99; labels are P{int} or P{float}.
    const result = simulate([{ id: "a", prompt: 90, outputTokens: 3 }], config);
    const plain = formatBenchSummary(summarizeRun(result));
    expect(plain).toContain("P99 TTFT (ms):");
    expect(plain).not.toContain("End-to-end Latency");
    const asked = formatBenchSummary(summarizeRun(result, { percentiles: [50, 99.9] }), [
      "e2el",
      "ttft",
    ]);
    const lines = asked.split("\n");
    const ttftAt = lines.indexOf("---------------Time to First Token----------------");
    const e2elAt = lines.indexOf("----------------End-to-end Latency----------------");
    expect(ttftAt).toBeGreaterThan(0);
    expect(e2elAt).toBeGreaterThan(ttftAt);
    expect(asked).toContain(`${"P50 TTFT (ms):".padEnd(40)} 100.00`);
    expect(asked).toContain(`${"P99.9 E2EL (ms):".padEnd(40)} 122.00`);
    expect(asked).not.toContain("P99 TTFT");
    expect(asked).not.toContain("Inter-token Latency");
    expect(() => summarizeRun(result, { percentiles: [100] })).toThrow(RangeError);
  });

  it("counts goodput as vLLM does: requests meeting every objective, per second", () => {
    // vllm/benchmarks/serve.py calculate_metrics: good when each SLO (ms) ≥ the request's value.
    const result = simulate(
      [
        { id: "a", prompt: 90, outputTokens: 3 },
        { id: "b", prompt: 900, outputTokens: 3, arrival: 1 },
      ],
      config,
    );
    // a: TTFT 100 ms, TPOT 11 ms; b: TTFT 910 ms, TPOT 11 ms; the run lasts 1.932 s.
    const summary = summarizeRun(result, { goodput: { ttft: 500, tpot: 20 } });
    expect(summary.requestGoodput).toBeCloseTo(1 / summary.duration, 9);
    expect(summarizeRun(result, { goodput: { tpot: 20 } }).requestGoodput).toBeCloseTo(
      2 / summary.duration,
      9,
    );
    expect(summarizeRun(result).requestGoodput).toBeUndefined();
    expect(formatBenchSummary(summary)).toContain(
      `${"Request throughput (req/s):".padEnd(40)} 1.04\n${"Request goodput (req/s):".padEnd(40)} 0.52`,
    );
  });

  it("prints the traffic lines vllm bench serve prints before a run", () => {
    expect(formatTrafficHeader({ requestRate: Number.POSITIVE_INFINITY })).toBe(
      "Traffic request rate: inf\nBurstiness factor: 1.0 (Poisson process)\nMaximum request concurrency: None",
    );
    expect(
      formatTrafficHeader({
        requestRate: Number.POSITIVE_INFINITY,
        rampUp: { strategy: "linear", startRps: 1, endRps: 20 },
      }).split("\n"),
    ).toEqual([
      "Traffic ramp-up strategy: linear.",
      "Will increase RPS from 1 to 20 RPS over the duration of the benchmark.",
      "Burstiness factor: 1.0 (Poisson process)",
      "Maximum request concurrency: None",
    ]);
    expect(formatTrafficHeader({ requestRate: 4, maxConcurrency: 8 })).toContain(
      "Traffic request rate: 4.0\nBurstiness factor: 1.0 (Poisson process)\nMaximum request concurrency: 8",
    );
  });

  it("counts refused requests as failed", () => {
    const result = simulate([{ id: "big", prompt: 4000, outputTokens: 200 }], config);
    expect(summarizeRun(result)).toMatchObject({ successfulRequests: 0, failedRequests: 1 });
  });

  it("draws latency against load as an SVG with one line per series", () => {
    const svg = latencyChartSvg(
      [
        {
          name: "p99 TTFT",
          points: [
            { load: 1, value: 20 },
            { load: 8, value: 45 },
          ],
        },
        {
          name: "median ITL <ms>",
          points: [
            { load: 1, value: 7 },
            { load: 8, value: 9 },
          ],
        },
      ],
      { x: "concurrency", y: "ms", title: "Latency vs load" },
    );
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).toContain("median ITL &lt;ms&gt;");
  });
});
