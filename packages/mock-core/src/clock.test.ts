import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { ManualClock, PacingWheel, realClock, type WheelTimers } from "./clock.js";

describe("realClock.sleep", () => {
  it("resolves after the time has passed, with or without a signal", async () => {
    const start = realClock.now();
    await realClock.sleep(5);
    await realClock.sleep(5, new AbortController().signal);
    // A sleep ends at most a millisecond early (the pacing wheel's slack, as Node's timers).
    expect(realClock.now() - start).toBeGreaterThanOrEqual(8);
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

/** Timers on a hand-moved time: `fire()` runs the set timer as if it came due, early or not. */
class FakeTimers implements WheelTimers {
  time = 0;
  sets = 0;
  pending: { callback: () => void; at: number } | undefined;
  now(): number {
    return this.time;
  }
  set(callback: () => void, ms: number): unknown {
    this.sets += 1;
    const timer = { callback, at: this.time + ms };
    this.pending = timer;
    return timer;
  }
  clear(handle: unknown): void {
    if (this.pending === handle) this.pending = undefined;
  }
  /** Moves time to `at` and runs the set timer (there is at most one), then lets promises settle. */
  async fire(at: number): Promise<void> {
    this.time = at;
    const timer = this.pending;
    this.pending = undefined;
    timer?.callback();
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

describe("PacingWheel", () => {
  it("wakes each sleep within a millisecond of its due time, in due order", async () => {
    const timers = new FakeTimers();
    const wheel = new PacingWheel(timers);
    const woke: string[] = [];
    timers.time = 0.4;
    void wheel.sleep(20).then(() => woke.push(`a@${timers.time}`)); // due 20.4: bucket 21
    void wheel.sleep(19.6).then(() => woke.push(`b@${timers.time}`)); // due 20.0: bucket 20
    void wheel.sleep(45).then(() => woke.push(`c@${timers.time}`)); // bucket 46
    // A bucket's release is due a millisecond before it.
    expect(timers.pending?.at).toBe(19);
    // A timer may fire early (Node times it from its loop's cached time): nothing is released
    // before the slack, and the timer is set again.
    await timers.fire(18.9);
    expect(woke).toEqual([]);
    expect(timers.pending?.at).toBe(19);
    await timers.fire(19.1);
    expect(woke).toEqual(["b@19.1"]);
    expect(timers.pending?.at).toBe(20);
    await timers.fire(20.6);
    expect(woke).toEqual(["b@19.1", "a@20.6"]);
    // A late timer releases every bucket that has come due, in due order.
    await timers.fire(50);
    expect(woke).toEqual(["b@19.1", "a@20.6", "c@50"]);
    expect(wheel.pending).toBe(0);
    expect(timers.pending).toBeUndefined();
  });

  it("sleeps 0, a negative or NaN time until the next release", async () => {
    const timers = new FakeTimers();
    const wheel = new PacingWheel(timers);
    timers.time = 3.7;
    const sleeps = [wheel.sleep(0), wheel.sleep(-5), wheel.sleep(Number.NaN)];
    expect(timers.pending?.at).toBe(3.7);
    await timers.fire(3.8);
    await Promise.all(sleeps);
    expect(wheel.pending).toBe(0);
  });

  it("forgets a woken sleep, so a later abort of its signal touches nothing", async () => {
    const timers = new FakeTimers();
    const wheel = new PacingWheel(timers);
    const controller = new AbortController();
    for (let i = 1; i <= 3; i++) {
      const sleeping = wheel.sleep(10, controller.signal);
      await timers.fire(i * 10 + 1);
      await sleeping;
    }
    controller.abort();
    expect(wheel.pending).toBe(0);
    const later = wheel.sleep(10);
    expect(wheel.pending).toBe(1);
    await timers.fire(100);
    await later;
    expect(wheel.pending).toBe(0);
  });

  it("sets one timer for many sleeps due in the same millisecond", async () => {
    const timers = new FakeTimers();
    const wheel = new PacingWheel(timers);
    const sleeps = Array.from({ length: 1000 }, (_, i) => wheel.sleep(20 + (i % 10) / 10));
    expect(timers.sets).toBe(1);
    expect(wheel.pending).toBe(1000);
    await timers.fire(21);
    await Promise.all(sleeps);
    expect(timers.sets).toBe(1);
    expect(wheel.pending).toBe(0);
  });

  it("moves its timer earlier for an earlier sleep, and rejects an aborted one at once", async () => {
    const timers = new FakeTimers();
    const wheel = new PacingWheel(timers);
    const controller = new AbortController();
    const late = wheel.sleep(100, controller.signal);
    expect(timers.pending?.at).toBe(99);
    const early = wheel.sleep(10);
    expect(timers.pending?.at).toBe(9);
    const reason = new Error("client left");
    controller.abort(reason);
    await expect(late).rejects.toBe(reason);
    expect(wheel.pending).toBe(1);
    await timers.fire(10);
    await early;
    // The aborted sleep's entry is skipped; with nothing pending no timer is left.
    expect(wheel.pending).toBe(0);
    expect(timers.pending).toBeUndefined();
  });

  it("keeps a 20 ms schedule for 1,000 paced streams with one release per millisecond", async () => {
    const timers = new FakeTimers();
    const wheel = new PacingWheel(timers);
    const gaps: number[] = [];
    const stream = async (start: number) => {
      let last = start;
      for (let k = 1; k <= 5; k++) {
        // The simple engine's fixed schedule: token k due at start + k * 20, slept from now.
        await wheel.sleep(start + k * 20 - timers.time);
        gaps.push(timers.time - last);
        last = timers.time;
      }
    };
    const streams: Promise<void>[] = [];
    for (let i = 0; i < 1000; i++) {
      timers.time = i / 50; // arrivals spread over 20 ms
      streams.push(stream(timers.time));
    }
    let releases = 0;
    while (timers.pending !== undefined) {
      releases += 1;
      await timers.fire(timers.pending.at);
    }
    await Promise.all(streams);
    expect(gaps).toHaveLength(5000);
    // Each gap is 20 ms give or take the millisecond a release may come early.
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(19);
    expect(Math.max(...gaps)).toBeLessThan(21);
    expect(releases).toBeLessThanOrEqual(5 * 20 + 2);
  });
});

// The callback form (Clock.after) is the promise form's rules without the promise: the same
// buckets and order, a wake-up called in the release itself, an abort a microtask after it.
describe("PacingWheel.after", () => {
  it("calls back in due order with the promise sleeps of the same release, before their continuations", async () => {
    const timers = new FakeTimers();
    const wheel = new PacingWheel(timers);
    const woke: string[] = [];
    const fail = () => woke.push("aborted");
    wheel.after(20, () => woke.push(`a@${timers.time}`), fail); // bucket 20
    void wheel.sleep(20).then(() => woke.push(`p@${timers.time}`)); // bucket 20, after a
    wheel.after(19.5, () => woke.push(`b@${timers.time}`), fail); // bucket 20, after p
    wheel.after(30, () => woke.push(`c@${timers.time}`), fail); // bucket 30
    expect(timers.pending?.at).toBe(19);
    // Called in the release itself (no microtask): before the promise sleep's continuation.
    timers.time = 19.2;
    const timer = timers.pending;
    timers.pending = undefined;
    timer?.callback();
    expect(woke).toEqual(["a@19.2", "b@19.2"]);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(woke).toEqual(["a@19.2", "b@19.2", "p@19.2"]);
    await timers.fire(29.5);
    expect(woke).toEqual(["a@19.2", "b@19.2", "p@19.2", "c@29.5"]);
    expect(wheel.pending).toBe(0);
    expect(timers.pending).toBeUndefined();
  });

  it("puts a callback that waits again, even under the slack, into the next release", async () => {
    const timers = new FakeTimers();
    const wheel = new PacingWheel(timers);
    let wakes = 0;
    const again = (): void => {
      wakes += 1;
      if (wakes < 3) wheel.after(0.3, again, () => {});
    };
    wheel.after(0.3, again, () => {});
    await timers.fire(0.5);
    // One wake per release: the wait made in the callback is not released by the same loop.
    expect(wakes).toBe(1);
    expect(wheel.pending).toBe(1);
    await timers.fire(1.5);
    expect(wakes).toBe(2);
    await timers.fire(2.5);
    expect(wakes).toBe(3);
    expect(wheel.pending).toBe(0);
    expect(timers.pending).toBeUndefined();
  });

  it("calls onAbort with the signal's reason a microtask after the abort, and never onWake", async () => {
    const timers = new FakeTimers();
    const wheel = new PacingWheel(timers);
    const controller = new AbortController();
    const heard: unknown[] = [];
    wheel.after(
      10,
      () => heard.push("woke"),
      (reason) => heard.push(reason),
      controller.signal,
    );
    const reason = new Error("client left");
    controller.abort(reason);
    // As a rejected sleep reaches its handler: not inside the abort dispatch itself.
    expect(heard).toEqual([]);
    await Promise.resolve();
    expect(heard).toEqual([reason]);
    expect(wheel.pending).toBe(0);
    // The aborted wait holds no timer, and its bucket wakes nothing.
    expect(timers.pending).toBeUndefined();
    await timers.fire(20);
    expect(heard).toEqual([reason]);
  });

  it("on a signal already aborted calls onAbort after returning (the default reason: an AbortError)", async () => {
    const wheel = new PacingWheel(new FakeTimers());
    const controller = new AbortController();
    controller.abort();
    const heard: unknown[] = [];
    wheel.after(
      10,
      () => heard.push("woke"),
      (reason) => heard.push(reason),
      controller.signal,
    );
    expect(heard).toEqual([]);
    await Promise.resolve();
    expect(heard).toHaveLength(1);
    expect(heard[0]).toMatchObject({ name: "AbortError" });
    expect(wheel.pending).toBe(0);
  });

  it("cancel drops the wait: no callback, no timer, and a later abort touches nothing", async () => {
    const timers = new FakeTimers();
    const wheel = new PacingWheel(timers);
    const controller = new AbortController();
    const heard: string[] = [];
    const timer = wheel.after(
      10,
      () => heard.push("woke"),
      () => heard.push("aborted"),
      controller.signal,
    );
    expect(wheel.pending).toBe(1);
    timer.cancel();
    timer.cancel();
    expect(wheel.pending).toBe(0);
    expect(timers.pending).toBeUndefined();
    controller.abort();
    await timers.fire(20);
    expect(heard).toEqual([]);
  });

  it("tracks several waits on one signal: a woken and a cancelled one are out of its abort", async () => {
    const timers = new FakeTimers();
    const wheel = new PacingWheel(timers);
    const controller = new AbortController();
    const heard: unknown[] = [];
    wheel.after(
      10,
      () => heard.push("first woke"),
      () => heard.push("first aborted"),
      controller.signal,
    );
    const second = wheel.sleep(20, controller.signal).then(
      () => heard.push("second woke"),
      () => heard.push("second aborted"),
    );
    const third = wheel.after(
      30,
      () => heard.push("third woke"),
      () => heard.push("third aborted"),
      controller.signal,
    );
    await timers.fire(10);
    expect(heard).toEqual(["first woke"]);
    third.cancel();
    controller.abort();
    await second;
    expect(heard).toEqual(["first woke", "second aborted"]);
    expect(wheel.pending).toBe(0);
    expect(timers.pending).toBeUndefined();
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it("keeps releasing when a callback throws, and rethrows its error from a microtask", async () => {
    const timers = new FakeTimers();
    const wheel = new PacingWheel(timers);
    const woke: string[] = [];
    const thrown: unknown[] = [];
    const listener = (error: unknown) => thrown.push(error);
    process.prependListener("uncaughtException", listener);
    try {
      const boom = new Error("callback failed");
      wheel.after(
        5,
        () => {
          throw boom;
        },
        () => {},
      );
      wheel.after(
        5,
        () => woke.push("second"),
        () => {},
      );
      await timers.fire(5);
      expect(woke).toEqual(["second"]);
      expect(wheel.pending).toBe(0);
      await new Promise<void>((resolve) => setImmediate(resolve));
      expect(thrown).toEqual([boom]);
    } finally {
      process.removeListener("uncaughtException", listener);
    }
  });

  it("realClock.after wakes after the time has passed and frees its timer on abort", async () => {
    const start = realClock.now();
    const after = realClock.after;
    if (after === undefined) throw new Error("realClock has no callback form");
    await new Promise<void>((resolve, reject) => after(5, resolve, reject));
    expect(realClock.now() - start).toBeGreaterThanOrEqual(4);
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const before = timers();
    const controller = new AbortController();
    const aborted = new Promise<unknown>((resolve) =>
      after(60_000, () => {}, resolve, controller.signal),
    );
    expect(timers()).toBe(before + 1);
    controller.abort();
    expect(await aborted).toMatchObject({ name: "AbortError" });
    expect(timers()).toBe(before);
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

  it("calls after's onWake in due order with its sleeps, letting each run before the next", async () => {
    const clock = new ManualClock();
    const woke: string[] = [];
    const fail = () => woke.push("aborted");
    void clock.sleep(20).then(() => woke.push(`s@${clock.now()}`));
    clock.after(
      10,
      () => {
        woke.push(`a@${clock.now()}`);
        // Waits again from its own wake-up, as a paced run does.
        clock.after(5, () => woke.push(`a2@${clock.now()}`), fail);
      },
      fail,
    );
    expect(clock.pendingSleeps).toBe(2);
    await clock.advance(30);
    expect(woke).toEqual(["a@10", "a2@15", "s@20"]);
    expect(clock.pendingSleeps).toBe(0);
  });

  it("calls after's onAbort a microtask after the abort, and cancel drops a wait", async () => {
    const clock = new ManualClock();
    const heard: unknown[] = [];
    const controller = new AbortController();
    clock.after(
      10,
      () => heard.push("woke"),
      (reason) => heard.push(reason),
      controller.signal,
    );
    const cancelled = clock.after(
      10,
      () => heard.push("cancelled woke"),
      () => heard.push("x"),
    );
    cancelled.cancel();
    const reason = new Error("client left");
    controller.abort(reason);
    expect(heard).toEqual([]);
    await Promise.resolve();
    expect(heard).toEqual([reason]);
    expect(clock.pendingSleeps).toBe(0);
    await clock.advance(20);
    expect(heard).toEqual([reason]);
    // Already aborted: after returns first, then onAbort.
    clock.after(
      1,
      () => heard.push("woke"),
      (r) => heard.push(r),
      controller.signal,
    );
    expect(heard).toEqual([reason]);
    await Promise.resolve();
    expect(heard).toEqual([reason, reason]);
  });
});
