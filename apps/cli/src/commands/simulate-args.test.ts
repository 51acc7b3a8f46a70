import { describe, expect, it } from "vitest";
import { UsageError } from "../cli-io.js";
import { parseSimulateArgs } from "./simulate-args.js";

describe("parseSimulateArgs", () => {
  it("gives vllm bench serve's defaults when nothing is asked", () => {
    // vllm/benchmarks/serve.py and datasets.py: random dataset 1024 in / 128 out, range ratio 0,
    // request rate inf, burstiness 1, metric percentiles 99, seed 0.
    expect(parseSimulateArgs([])).toEqual({
      help: false,
      engine: { gpu: "h100-80gb" },
      dataset: "random",
      randomInputLen: 1024,
      randomOutputLen: 128,
      randomRangeRatio: 0,
      randomPrefixLen: 0,
      requestRate: Number.POSITIVE_INFINITY,
      burstiness: 1,
      metricPercentiles: [99],
      json: false,
      seed: 0,
      frontendLatency: 0.003,
      n: 1,
      loraAssignment: "random",
    });
  });

  it("passes the engine flags on unread, for readGpuEngineSettings", () => {
    const args = parseSimulateArgs([
      ...["--gpu", "a100-40gb", "--model-config", "granite-3.1-8b", "--max-num-seqs", "64"],
      ...[
        "--scheduling-policy",
        "priority",
        "--no-enable-prefix-caching",
        "--max-model-len",
        "4096",
      ],
    ]);
    expect(args.engine).toEqual({
      gpu: "a100-40gb",
      "model-config": "granite-3.1-8b",
      "max-num-seqs": "64",
      "scheduling-policy": "priority",
      "no-enable-prefix-caching": true,
    });
    expect(args.maxModelLen).toBe(4096);
  });

  it("reads loads, rates, percentiles, objectives and a ramp-up", () => {
    const args = parseSimulateArgs([
      ...["--sweep-rate", "0.5, 2,inf", "--burstiness", "inf", "--metric-percentiles", "50,99.9"],
      ...["--goodput", "ttft:200,tpot:20", "--percentile-metrics", "itl,e2el", "--chart", "x.svg"],
    ]);
    expect(args.sweep).toEqual({ mode: "rate", loads: [0.5, 2, Number.POSITIVE_INFINITY] });
    expect(args.burstiness).toBe(Number.POSITIVE_INFINITY);
    expect(args.metricPercentiles).toEqual([50, 99.9]);
    expect(args.goodput).toEqual({ ttft: 200, tpot: 20 });
    expect(args.percentileMetrics).toEqual(["itl", "e2el"]);
    const ramp = parseSimulateArgs([
      "--ramp-up-strategy",
      "exponential",
      "--ramp-up-start-rps",
      "1",
      "--ramp-up-end-rps",
      "32",
    ]);
    expect(ramp.rampUp).toEqual({ strategy: "exponential", startRps: 1, endRps: 32 });
    expect(() => parseSimulateArgs(["--frontend-latency", "soon"])).toThrow(UsageError);
  });

  it("reads parallel sampling and the LoRA flags", () => {
    // vllm bench serve: --lora-modules (names, one per request) and --lora-assignment
    // random | round-robin; vllm serve: --max-loras.
    const args = parseSimulateArgs([
      ...["--n", "4", "--lora-modules", "a,b", "--lora-modules", "c"],
      ...["--lora-assignment", "round-robin", "--max-loras", "2"],
    ]);
    expect(args).toMatchObject({
      n: 4,
      loraModules: ["a", "b", "c"],
      loraAssignment: "round-robin",
      maxLoras: 2,
    });
    const bad: [string[], RegExp][] = [
      [["--n", "0"], /--n '0' is not a whole number of at least 1/],
      [["--n", "1.5"], /--n '1.5'/],
      [["--max-loras", "0"], /--max-loras '0'/],
      [["--lora-modules", "a,,b"], /--lora-modules 'a,,b' is not a comma-separated list/],
      [["--lora-modules", "a", "--lora-assignment", "cyclic"], /--lora-assignment 'cyclic'/],
      [["--lora-assignment", "random"], /give them too/],
    ];
    for (const [argv, message] of bad) {
      expect(() => parseSimulateArgs(argv), argv.join(" ")).toThrow(UsageError);
      expect(() => parseSimulateArgs(argv), argv.join(" ")).toThrow(message);
    }
  });
});
