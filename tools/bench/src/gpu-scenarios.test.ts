import { type GpuEngine, realClock } from "@servingkit/mock-core";
import { describe, expect, it } from "vitest";
import { textEngineStreams } from "./gpu-scenarios.js";

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
