import { describe, expect, it } from "vitest";
import { deviceProfiles } from "./device-profiles.js";
import { modelProfiles } from "./model-profiles.js";
import { createStepTimeModel } from "./step-time.js";
import { formatSweepTable, runSweep, type SweepLevel, sweepChartSvg } from "./sweep.js";
import { fixedLength, shareGptLike } from "./workloads.js";

const device = deviceProfiles["h100-80gb"];
const model = modelProfiles["llama-3.1-8b"];
const config = {
  numBlocks: 27_000,
  maxNumSeqs: 1024,
  maxNumBatchedTokens: 8192,
  maxModelLen: 8192,
  stepTime: createStepTimeModel({ device, model }),
};

describe("load sweeps", () => {
  it("raises throughput and latency with concurrency, as a real serving benchmark sweep does", () => {
    const levels = runSweep({
      config,
      mode: "concurrency",
      loads: [1, 8, 64],
      workload: (count) => shareGptLike({ count, seed: 4 }),
      promptsPerLoad: (load) => 10 * load,
    });
    const out = levels.map((l) => l.summary.outputThroughput);
    const itl = levels.map((l) => l.summary.itl.median);
    expect(out[1]).toBeGreaterThan(4 * (out[0] as number));
    expect(out[2]).toBeGreaterThan(out[1] as number);
    expect(itl[2]).toBeGreaterThan(itl[0] as number);
    expect(levels.every((l) => l.summary.failedRequests === 0)).toBe(true);
    const svg = sweepChartSvg(levels, "concurrency", "Llama 3.1 8B on H100");
    expect(svg.match(/<polyline/g)).toHaveLength(3);
    const table = formatSweepTable(levels, "concurrency").split("\n");
    expect(table[0]).toMatch(/^Concurrency\s+Req\/s\s+Output tok\/s\s+Median TTFT/);
    expect(table.slice(2, 5).map((row) => Number(row.trim().split(/\s+/)[0]))).toEqual([1, 8, 64]);
    expect(table.at(-1)).toBe("(latencies in ms)");
  });

  it("queues requests once the rate passes what the GPU serves", () => {
    const levels = runSweep({
      config,
      mode: "rate",
      loads: [1, 200],
      workload: (count) => fixedLength(count, 1000, 200),
      promptsPerLoad: () => 200,
    });
    expect(levels[1]?.summary.requestRate).toBe(200);
    // An infinite rate (all at once) is a row of the table but no point on the chart's axis.
    const withInf = [
      ...levels,
      { load: Number.POSITIVE_INFINITY, summary: levels[1]?.summary as SweepLevel["summary"] },
    ];
    expect(formatSweepTable(withInf, "rate").split("\n")[4]?.trim().startsWith("inf")).toBe(true);
    const svg = sweepChartSvg(withInf, "rate", "rates");
    expect(svg).not.toContain("NaN");
    expect(svg).not.toContain("Infinity");
    expect(levels[1]?.summary.ttft.p99).toBeGreaterThan(
      10 * (levels[0]?.summary.ttft.p99 as number),
    );
  });
});
