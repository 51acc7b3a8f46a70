import { type GpuEngine, realClock } from "@servingkit/mock-core";
import { describe, expect, it } from "vitest";
import { gpuScenarios, runQueueWait, textEngineStreams } from "./gpu-scenarios.js";
import { LatencyRecorder } from "./measurement.js";

/** A row of gpu-step-overhead (any contestant). */
type StepRow = ReturnType<(typeof gpuScenarios)["gpu-step-overhead"]["contestants"]>[number];

/**
 * Runs `row` for 0.15 s and checks it recorded one value per counted step (all 1,000 running):
 * no errors, more than a microsecond each (a step hands out 1,000 tokens), and (a generous sanity
 * bound for a busy 2-core machine) under a second.
 */
async function expectOneValuePerStep(row: StepRow | undefined): Promise<void> {
  expect(row).toBeDefined();
  const recorder = new LatencyRecorder();
  try {
    const counters = await (row as StepRow).run(0.15, recorder);
    expect(counters.ok).toBeGreaterThan(0);
    expect(counters.errors).toBe(0);
    expect(recorder.count).toBe(counters.ok);
    expect(recorder.percentile(50)).toBeGreaterThan(0.001);
    expect(recorder.percentile(100)).toBeLessThan(1000);
  } finally {
    recorder.destroy();
  }
}

describe("gpu-step-overhead's product consumers (textEngineStreams)", () => {
  it("read every token the engine produces and end when their requests are aborted", async () => {
    let engine: GpuEngine | undefined;
    let steps = 0;
    let fullSteps = 0;
    const tokens = await textEngineStreams({
      count: 20,
      prompt: 2,
      outputTokens: 1000,
      seconds: 0.3,
      clock: realClock,
      onEngine: (built) => {
        engine = built;
      },
      onStep: () => {
        steps++;
        if (engine?.core.running === 20) fullSteps++;
      },
    });
    // Llama 3.1 8B on an H100: a step of 20 decodes is a few ms, so 0.3 s holds dozens of steps;
    // every stream reads one token per step (nextReady takes what is ready in the same turn).
    expect(fullSteps).toBeGreaterThan(5);
    expect(tokens).toBeGreaterThanOrEqual(20 * (fullSteps - 1));
    // The abort (each request's own signal) took every request out: no reader hangs, no work left.
    expect(tokens).toBeLessThan(20 * 1000);
    expect(engine?.core.hasWork()).toBe(false);
    expect(steps).toBeGreaterThanOrEqual(fullSteps);
  });
});

// Not a benchmark: it proves the rows measure something, never how fast.
describe("gpu-step-overhead's engine + consumers rows", () => {
  const turnRows = gpuScenarios["gpu-step-overhead"]
    .contestants()
    .filter((row) => row.label.endsWith("from the wake to the loop going idle"));

  it("are one for the product's consumers and one for the for-await consumers", () => {
    expect(turnRows.map((row) => row.label)).toEqual([
      expect.stringContaining("GpuTextEngine runs as the vLLM mock does"),
      expect.stringContaining("for-await consumers"),
    ]);
  });

  it.each(turnRows.map((row) => [row.label, row] as const))(
    "%s records one turn per step with all 1,000 running",
    { timeout: 120_000 },
    // Every step with 1,000 running records its share of a turn: as many values as steps.
    async (_, row) => expectOneValuePerStep(row),
  );
});

// Not a benchmark: it proves the run-queue wait is read and the row records every counted step.
describe("gpu-step-overhead's busy time less the run-queue wait", () => {
  // The kernel's per-thread schedstat exists on Linux only; elsewhere the row is left out.
  const linux = process.platform === "linux";

  it.runIf(linux)("reads the main thread's run-queue wait, which never goes back", () => {
    const queue = runQueueWait();
    expect(queue).toBeDefined();
    try {
      const first = queue?.read() as number;
      // Busy work on this thread cannot lower the total wait (nanoseconds since the thread began).
      let x = 0;
      for (let i = 0; i < 1e6; i++) x += i;
      expect(x).toBeGreaterThan(0);
      const second = queue?.read() as number;
      expect(first).toBeGreaterThanOrEqual(0);
      expect(second).toBeGreaterThanOrEqual(first);
    } finally {
      queue?.close();
    }
  });

  it.runIf(linux)(
    "is a row on Linux that records one value per step with all 1,000 running",
    { timeout: 120_000 },
    () =>
      expectOneValuePerStep(
        gpuScenarios["gpu-step-overhead"]
          .contestants()
          .find((r) => r.label.endsWith("less the main thread's run-queue wait (Linux schedstat)")),
      ),
  );
});

// Not a benchmark: it proves the scheduling row times EngineCore.step of every counted step.
describe("gpu-step-overhead's scheduling row", () => {
  const scheduling = gpuScenarios["gpu-step-overhead"]
    .contestants()
    .find((r) => r.label.includes("scheduling alone (EngineCore.step"));

  it("records one value per step with all 1,000 running", { timeout: 120_000 }, () =>
    expectOneValuePerStep(scheduling),
  );
});
