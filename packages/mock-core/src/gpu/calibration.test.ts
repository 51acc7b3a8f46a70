import { describe, expect, it } from "vitest";
import { calibrationGoal, calibrationTable, deviation, runCalibration } from "./calibration.js";

describe("calibration against published H100 and A100 figures", () => {
  const rows = runCalibration();
  const row = (metric: string, scenario: string) => {
    const found = rows.find((r) => r.metric === metric && r.scenario.startsWith(scenario));
    if (!found) throw new Error(`no row ${metric} / ${scenario}`);
    return found;
  };

  it("measures deviation from a value or from the nearer end of a range", () => {
    expect(deviation({ value: 100 }, 80)).toBeCloseTo(0.2, 12);
    expect(deviation({ low: 10, high: 15 }, 12)).toBe(0);
    expect(deviation({ low: 10, high: 15 }, 7.5)).toBeCloseTo(0.25, 12);
    expect(deviation({ low: 10, high: 15 }, 18)).toBeCloseTo(0.2, 12);
  });

  it("keeps the decode-speed figures within the 25% goal", () => {
    // vllm-openai.md §9.1: batch-1 ITL 10–15 ms (llm-d ranges); A100-40GB ≈75 tok/s single stream and ≈6.6× at C=8.
    expect(row("inter-token latency", "H100, Llama 3.1 8B, batch 1").deviation).toBeLessThanOrEqual(
      calibrationGoal,
    );
    expect(row("median TPOT", "H100").deviation).toBeLessThanOrEqual(calibrationGoal);
    expect(row("decode speed", "A100 40GB").deviation).toBeLessThanOrEqual(calibrationGoal);
    expect(row("throughput gain", "A100 40GB").deviation).toBeLessThanOrEqual(calibrationGoal);
  });

  it("orders the throughput figures as the GPU does: offline batch above online saturation above one stream", () => {
    const offline = row("output throughput", "H100, Llama 3.1 8B, offline").simulated;
    const online = row("saturation output throughput", "H100").simulated;
    const single = 1000 / row("inter-token latency", "H100, Llama 3.1 8B, batch 1").simulated;
    expect(offline).toBeGreaterThan(online);
    expect(online).toBeGreaterThan(20 * single);
  });

  it("is deterministic and renders one table line per scenario", () => {
    expect(runCalibration()).toEqual(rows);
    const table = calibrationTable(rows).split("\n");
    expect(table).toHaveLength(rows.length + 2);
    expect(table[0]).toMatch(
      /^\| Scenario +\| Metric +\| Published +\| Simulated +\| Deviation +\| Within 25% \|$/,
    );
    expect(new Set(table.map((line) => line.length)).size).toBe(1);
  });
});
