import { describe, expect, it } from "vitest";
import { defaultLoadSettings, runScenario, scenarioNames } from "./scenarios.js";

// A smoke test, not a benchmark: it proves the harness measures something, never how fast.
describe("runScenario (smoke)", () => {
  const settings = {
    ...defaultLoadSettings,
    seconds: 0.15,
    rounds: 1,
    warmupSeconds: 0,
    connections: 4,
    inFlight: 4,
    // Test files run from TypeScript sources, which a worker thread cannot load.
    placement: "inline" as const,
  };

  // Left out here: vllm-streams (a stream lasts a second by design; sse-load.test.ts covers its
  // driver and baseline) and kserve-infer-16mib (building and capturing a 16 MiB JSON tensor
  // takes seconds).
  const quick = scenarioNames.filter((n) => n !== "vllm-streams" && n !== "kserve-infer-16mib");

  // Most scenarios take about a second here. The GPU ones run whole units of work past the
  // 0.15 s slice (gpu-realtime-fidelity: four HTTP runs of 500 streams of 50 tokens on the
  // simulated step clock, about 16 s on a busy 2-core machine; gpu-step-overhead: 1,000 streams
  // until each read 4 tokens), so they get a generous timeout rather than a smaller load: CI runs
  // the packages' tests side by side on 2 cores.
  const gpu = quick.filter((n) => n.startsWith("gpu-"));
  const rest = quick.filter((n) => !n.startsWith("gpu-"));

  const reportsNumbers = async (name: (typeof quick)[number]) => {
    const result = await runScenario(name, settings);
    expect(result.measurements.map((m) => m.role)).toContain("baseline");
    expect(result.measurements.map((m) => m.role)).toContain("mock");
    for (const measurement of result.measurements) {
      expect(measurement.errors, measurement.label).toBe(0);
      expect(measurement.ok, measurement.label).toBeGreaterThan(0);
      expect(measurement.rps, measurement.label).toBeGreaterThan(0);
      expect(measurement.p50).toBeGreaterThan(0);
      expect(measurement.p50).toBeLessThanOrEqual(measurement.p90);
      expect(measurement.p90).toBeLessThanOrEqual(measurement.p99);
    }
  };

  it.each(rest)("%s reports numbers for every server", reportsNumbers);
  it.each(gpu)("%s reports numbers for every server", { timeout: 120_000 }, reportsNumbers);
});
