import { describe, expect, it } from "vitest";
import { StepTokens } from "./step-tokens.js";

describe("StepTokens", () => {
  // Issue 7 lever (1): a step's tokens as one batch; each token's index and last flag packed in
  // one small integer (index * 2 + last).
  const tokens = new StepTokens(4, 1.5, ["a", "b", "a"], [0, 7 * 2 + 1, 1 * 2]);

  it("reads each token's request, index and last flag from its position", () => {
    expect(tokens.length).toBe(3);
    expect(tokens.time).toBe(1.5);
    expect(tokens.step).toBe(4);
    expect([0, 1, 2].map((i) => [tokens.requestId(i), tokens.index(i), tokens.last(i)])).toEqual([
      ["a", 0, false],
      ["b", 7, true],
      ["a", 1, false],
    ]);
  });

  it("makes a new event object per event() call, and the events() list once", () => {
    expect(tokens.event(1)).toEqual({
      requestId: "b",
      index: 7,
      time: 1.5,
      last: true,
      step: 4,
    });
    expect(tokens.event(1)).not.toBe(tokens.event(1));
    const events = tokens.events();
    expect(events.map((e) => e.index)).toEqual([0, 7, 1]);
    expect(tokens.events()).toBe(events);
  });

  it("carries each token's host slot when given, else -1", () => {
    // Issue 7: the caller's slot per token, so its dispatch indexes instead of looking up.
    expect([0, 1, 2].map((i) => tokens.hostSlot(i))).toEqual([-1, -1, -1]);
    const slotted = new StepTokens(4, 1.5, ["a", "b", "a"], [0, 15, 2], [7, 3, 7]);
    expect([0, 1, 2].map((i) => slotted.hostSlot(i))).toEqual([7, 3, 7]);
  });

  it("holds an empty step", () => {
    const empty = new StepTokens(1, 0, [], []);
    expect(empty.length).toBe(0);
    expect(empty.events()).toEqual([]);
  });
});
