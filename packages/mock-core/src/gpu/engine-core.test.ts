import { describe, expect, it } from "vitest";
import { EngineCore } from "./engine-core.js";
import { linearStepTime } from "./test-step-time.js";

const config = {
  numBlocks: 100,
  maxNumSeqs: 8,
  maxNumBatchedTokens: 512,
  maxModelLen: 1024,
  stepTime: linearStepTime,
};

describe("EngineCore arrival times", () => {
  // A step vLLM's engine core began before a request reached it cannot hold that request: the
  // real-time driver (gpu-engine.ts) runs steps it owes after a lag at their past start times.
  it("admits a request only to a step that starts at or after its arrival", () => {
    const core = new EngineCore(config);
    core.add({ id: "early", prompt: 10, outputTokens: 5 }, 0);
    core.add({ id: "late", prompt: 10, outputTokens: 5 }, 0.05);
    const first = core.step(0);
    expect(first?.admitted.map((a) => a.requestId)).toEqual(["early"]);
    expect(core.waiting).toBe(1);
    expect(core.step(0.049)?.admitted).toEqual([]);
    expect(core.step(0.05)?.admitted.map((a) => a.requestId)).toEqual(["late"]);
  });

  it("lets requests that have arrived go past one that has not (it is not in the queue yet)", () => {
    const core = new EngineCore({ ...config, schedulingPolicy: "priority" });
    core.add({ id: "urgent-but-later", prompt: 10, outputTokens: 5, priority: -1 }, 1);
    core.add({ id: "here", prompt: 10, outputTokens: 5 }, 0.5);
    expect(core.step(0.5)?.admitted.map((a) => a.requestId)).toEqual(["here"]);
  });

  it("schedules nothing when no request has arrived by the step's start, and says when one does", () => {
    const core = new EngineCore(config);
    expect(core.earliestArrival()).toBe(Number.POSITIVE_INFINITY);
    core.add({ id: "b", prompt: 10, outputTokens: 5 }, 0.2);
    core.add({ id: "a", prompt: 10, outputTokens: 5 }, 0.1);
    expect(core.earliestArrival()).toBe(0.1);
    expect(core.step(0.05)).toBeUndefined();
    expect(core.step(0.1)?.stats.start).toBe(0.1);
    expect(core.earliestArrival()).toBe(0.2);
  });

  it("admits a request added without an arrival to any step (simulate()'s way)", () => {
    const core = new EngineCore(config);
    core.add({ id: "a", prompt: 10, outputTokens: 5 });
    expect(core.earliestArrival()).toBe(Number.NEGATIVE_INFINITY);
    expect(core.step(-1)?.admitted.map((a) => a.requestId)).toEqual(["a"]);
  });
});
