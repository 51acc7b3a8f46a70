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

describe("EngineCore step results over scratch arrays", () => {
  // The batch and the tokens are built in arrays the engine keeps between steps (no allocation per
  // step); what a step returns must still be its own: a later step, a preemption or a finish must
  // not change the tokens a caller holds (simulate() and the metrics read them after more steps).
  it("returns each step's tokens in an array of its own that later steps leave alone", () => {
    const core = new EngineCore(config);
    for (const id of ["a", "b", "c"]) core.add({ id, prompt: 10, outputTokens: 3 });
    const first = core.step(0);
    const snapshot = first?.tokens.map((t) => ({ ...t }));
    const second = core.step(first?.end ?? 0);
    expect(second?.tokens).not.toBe(first?.tokens);
    core.add({ id: "d", prompt: 10, outputTokens: 2 });
    core.step(second?.end ?? 0);
    expect(first?.tokens.map((t) => ({ ...t }))).toEqual(snapshot);
    expect(first?.tokens.map((t) => t.requestId)).toEqual(["a", "b", "c"]);
    expect(first?.tokens).toHaveLength(3);
  });

  it("keeps the batch order when a preemption takes a member out of the middle of a step", () => {
    // 4 blocks of 16 tokens: a and b (16-token prompts) fill two blocks each once they grow; the
    // newest running request (b) is preempted (FCFS) and a keeps running alone, in order.
    const core = new EngineCore({ ...config, numBlocks: 4 });
    core.add({ id: "a", prompt: 16, outputTokens: 20 });
    core.add({ id: "b", prompt: 16, outputTokens: 20 });
    let now = 0;
    const seen: string[][] = [];
    let preempted = 0;
    for (let k = 0; k < 40 && core.hasWork(); k++) {
      const result = core.step(now);
      if (!result) break;
      now = result.end;
      preempted += result.stats.preemptions;
      seen.push(result.tokens.map((t) => t.requestId));
      // No request appears twice in one step.
      for (const ids of seen) expect(new Set(ids).size).toBe(ids.length);
    }
    expect(preempted).toBeGreaterThan(0);
    expect(seen.flat().filter((id) => id === "a")).toHaveLength(20);
    expect(seen.flat().filter((id) => id === "b")).toHaveLength(20);
  });
});
