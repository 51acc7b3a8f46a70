import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  calibrationBlock,
  calibrationGoal,
  calibrationTable,
  deviation,
  runCalibration,
} from "./calibration.js";
import { deviceProfiles } from "./device-profiles.js";
import { modelProfiles } from "./model-profiles.js";
import {
  addToLoad,
  createStepTimeModel,
  defaultStepTimeParameters,
  emptyLoad,
} from "./step-time.js";

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

  it("pins the scenarios: published figures, their kind and their source pages", () => {
    const pinned = rows.map((r) => [r.scenario, r.metric, r.kind, r.published, r.url]);
    expect(pinned).toEqual([
      // vllm-openai.md §9.1: llm-d-inference-sim's latency profiles are estimates, not a measurement.
      ...[
        ["H100, Llama 3.1 8B, batch 1, 256-token prompt", "TTFT", { low: 60, high: 120 }],
        ["H100, Llama 3.1 8B, batch 1", "inter-token latency", { low: 10, high: 15 }],
      ].map(([s, m, p]) => [
        s,
        m,
        "estimate",
        p,
        "https://github.com/llm-d/llm-d-inference-sim/blob/main/docs/latency-profiles.md",
      ]),
      // yobitelcomm.github.io concurrency-sweep recipe: H100-80GB-HBM3, vLLM 0.21.0, chatbot-short.
      ...[
        [1, "median TTFT", 13.98],
        [4, "median TTFT", 22.75],
        [1, "median TPOT", 6.48],
        [4, "median TPOT", 6.59],
        [16, "median TPOT", 10.94],
        [64, "median TPOT", 46.91],
      ].map(([c, m, v]) => [
        `H100, Llama 3.1 8B, vLLM 0.21, chatbot-short, concurrency ${c}`,
        m,
        "measured",
        { value: v },
        "https://yobitelcomm.github.io/bench/recipes/concurrency-sweep/",
      ]),
      [
        "H100, Llama 3.1 8B, offline batch, 1,000 ShareGPT prompts, util 0.8",
        "output throughput",
        "measured",
        { value: 12_553 },
        "https://research.aimultiple.com/inference-engines/",
      ],
      // runinfra.ai: "5,333 tok/s on one H100"; "vLLM 514 ms" TTFT at c32.
      ...[
        ["online concurrency sweep", "saturation output throughput", 5333],
        ["online, concurrency 32", "median TTFT", 514],
      ].map(([s, m, v]) => [
        `H100, Llama 3.1 8B, vLLM 0.23, ${s}`,
        m,
        "measured",
        { value: v },
        "https://runinfra.ai/news/vllm-vs-sglang-vs-tensorrt-llm-benchmark",
      ]),
      // johnmusgrave.com: A100 40GB, "about 75 tokens/sec" at C=1, "a 6.6x gain" at C=8.
      ...[
        ["concurrency 1", "decode speed", 75],
        ["concurrency 8 vs 1", "throughput gain", 6.6],
      ].map(([s, m, v]) => [
        `A100 40GB, Llama 3.1 8B, vLLM 0.23, ${s}`,
        m,
        "measured",
        { value: v },
        "https://johnmusgrave.com/p/vllm-throughput-latency-sweep-on",
      ]),
    ]);
  });

  it("derives the bandwidth efficiency and step overhead from two GPUs' batch-1 decode", () => {
    // A step's bytes take 1 / bandwidth, its fixed cost does not: two GPUs separate the two.
    // yobitelcomm: H100 tpot_p50 6.48 ms (≈45-token prompts, 128 out); johnmusgrave: A100 40GB
    // ≈75 tok/s (1024 in, 128 out). Solve t = bytes / (e × peak) + overhead for e and overhead.
    const bare = { bandwidthEfficiency: 1, stepOverhead: 0, perSequenceOverhead: 0 };
    const rawStep = (device: keyof typeof deviceProfiles, context: number) =>
      createStepTimeModel({
        device: deviceProfiles[device],
        model: modelProfiles["llama-3.1-8b"],
        parameters: bare,
      }).time(addToLoad(emptyLoad(), 1, context));
    const h100 = rawStep("h100-80gb", 45 + 64);
    const a100 = rawStep("a100-40gb", 1024 + 64);
    const efficiency = (a100 - h100) / (1 / 75 - 0.00648);
    const overhead = 0.00648 - h100 / efficiency - defaultStepTimeParameters.perSequenceOverhead;
    expect(defaultStepTimeParameters.bandwidthEfficiency).toBeCloseTo(efficiency, 2);
    expect(defaultStepTimeParameters.stepOverhead).toBeCloseTo(overhead, 4);
  });

  it("meets the goal on the fitted batch-1 decode rows and on the rows the fit did not use", () => {
    for (const [metric, scenario] of [
      // the two fitted points
      ["median TPOT", "H100, Llama 3.1 8B, vLLM 0.21, chatbot-short, concurrency 1"],
      ["decode speed", "A100 40GB"],
      // out of sample: a batch of 4 on the H100, a batch of 8 on the A100, TTFT at concurrency 1
      ["median TPOT", "H100, Llama 3.1 8B, vLLM 0.21, chatbot-short, concurrency 4"],
      ["throughput gain", "A100 40GB"],
      ["median TTFT", "H100, Llama 3.1 8B, vLLM 0.21, chatbot-short, concurrency 1"],
    ] as const) {
      expect(row(metric, scenario).deviation, `${scenario} ${metric}`).toBeLessThanOrEqual(
        calibrationGoal,
      );
    }
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
      /^\| Scenario +\| Metric +\| Kind +\| Published +\| Simulated +\| Deviation +\| Within 25% \|$/,
    );
    expect(new Set(table.map((line) => line.length)).size).toBe(1);
  });

  it("finds in docs/calibration.md exactly the block the script writes (re-run it when this fails)", () => {
    // `node scripts/calibrate.ts --write` regenerates the block between the markers.
    const doc = readFileSync(
      join(import.meta.dirname, "..", "..", "..", "..", "docs", "calibration.md"),
      "utf8",
    );
    const begin = "<!-- calibration-table:begin -->\n";
    const end = "\n<!-- calibration-table:end -->";
    const block = doc.slice(doc.indexOf(begin) + begin.length, doc.indexOf(end));
    expect(block).toBe(calibrationBlock(rows));
  });
});
