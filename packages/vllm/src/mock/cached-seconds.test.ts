import { ManualClock } from "@servingkit/mock-core";
import { describe, expect, it } from "vitest";
import { CachedSeconds, type SecondTimers } from "./cached-seconds.js";

describe("CachedSeconds", () => {
  // The wall clock as a ManualClock plus an epoch, and the refresh timer as a sleep on it; counts
  // wall-clock reads.
  const onClock = (clock: ManualClock, epochMs: number) => {
    const reads = { count: 0 };
    const timers: SecondTimers = {
      wallMs: () => {
        reads.count++;
        return epochMs + clock.now();
      },
      set: (callback, ms) => {
        const stop = new AbortController();
        clock.sleep(ms, stop.signal).then(callback, () => {});
        return stop;
      },
      clear: (handle) => (handle as AbortController).abort(),
    };
    return { timers, reads };
  };

  // The `created` second (vllm-openai.md §5: "created":<unix s>) stays right across a
  // second boundary while the wall clock is read once per second, as Node caches its Date header.
  it("answers the current second, reading the wall clock once per second", async () => {
    const clock = new ManualClock();
    const { timers, reads } = onClock(clock, 1_700_000_000_750);
    const seconds = new CachedSeconds(timers);
    expect(seconds.now()).toBe(1_700_000_000);
    expect(seconds.now()).toBe(1_700_000_000);
    await clock.advance(249);
    expect(seconds.now()).toBe(1_700_000_000);
    expect(reads.count).toBe(1);
    await clock.advance(1); // 1_700_000_001_000: the boundary
    expect(seconds.now()).toBe(1_700_000_001);
    await clock.advance(999);
    expect(seconds.now()).toBe(1_700_000_001);
    await clock.advance(1);
    expect(seconds.now()).toBe(1_700_000_002);
    expect(reads.count).toBe(3);
    // Idle across several seconds: no timer pending, the next read is the wall clock's.
    await clock.advance(5_500);
    expect(clock.pendingSleeps).toBe(0);
    expect(seconds.now()).toBe(1_700_000_007);
  });

  it("holds no timer after close and still answers the current second", async () => {
    const clock = new ManualClock();
    const { timers, reads } = onClock(clock, 2_000);
    const seconds = new CachedSeconds(timers);
    expect(seconds.now()).toBe(2);
    expect(clock.pendingSleeps).toBe(1);
    seconds.close();
    expect(clock.pendingSleeps).toBe(0);
    await clock.advance(1_000);
    expect(seconds.now()).toBe(3);
    expect(seconds.now()).toBe(3);
    expect(reads.count).toBe(3);
    expect(clock.pendingSleeps).toBe(0);
  });

  it("reads Node's wall clock by default", () => {
    const seconds = new CachedSeconds();
    const before = Math.floor(Date.now() / 1000);
    const now = seconds.now();
    seconds.close();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
  });
});
