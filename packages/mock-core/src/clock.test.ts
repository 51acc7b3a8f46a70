import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { ManualClock, realClock } from "./clock.js";

describe("realClock.sleep", () => {
  it("resolves after the time has passed, with or without a signal", async () => {
    const start = realClock.now();
    await realClock.sleep(5);
    await realClock.sleep(5, new AbortController().signal);
    // Timers never fire early; the upper bound is only a sanity bound.
    expect(realClock.now() - start).toBeGreaterThanOrEqual(9);
  });

  it("rejects with the signal's reason when it aborts during the sleep, and frees its timer", async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const before = timers();
    const controller = new AbortController();
    const sleeping = realClock.sleep(60_000, controller.signal);
    expect(timers()).toBe(before + 1);
    const reason = new Error("client left");
    controller.abort(reason);
    await expect(sleeping).rejects.toBe(reason);
    // The aborted sleep holds no timer (it would keep a process up for a minute).
    expect(timers()).toBe(before);
  });

  it("rejects at once on a signal that has already aborted (the default reason: an AbortError)", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(realClock.sleep(60_000, controller.signal)).rejects.toMatchObject({
      name: "AbortError",
    });
  });

  it("adds one abort listener per signal however many times it sleeps on it", async () => {
    const controller = new AbortController();
    for (let i = 0; i < 5; i++) await realClock.sleep(1, controller.signal);
    const pending = [
      realClock.sleep(60_000, controller.signal),
      realClock.sleep(60_000, controller.signal),
    ];
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(1);
    controller.abort();
    const results = await Promise.allSettled(pending);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
  });
});

describe("ManualClock", () => {
  it("wakes sleepers in due order as it advances", async () => {
    const clock = new ManualClock();
    const woke: string[] = [];
    void clock.sleep(20).then(() => woke.push(`b@${clock.now()}`));
    void clock.sleep(10).then(() => woke.push(`a@${clock.now()}`));
    await clock.advance(15);
    expect(woke).toEqual(["a@10"]);
    await clock.advance(10);
    expect(woke).toEqual(["a@10", "b@20"]);
    expect(clock.now()).toBe(25);
  });
});
