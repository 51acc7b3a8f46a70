import { describe, expect, it } from "vitest";
import { ManualClock } from "./clock.js";
import { Readiness } from "./readiness.js";

describe("Readiness", () => {
  it("tells listeners of changes only", () => {
    const readiness = new Readiness(false);
    const seen: boolean[] = [];
    const off = readiness.subscribe((ready) => seen.push(ready));
    readiness.set(false);
    readiness.set(true);
    readiness.set(true);
    off();
    readiness.set(false);
    expect(seen).toEqual([true]);
    expect(readiness.ready).toBe(false);
  });
});

describe("ManualClock", () => {
  it("wakes sleepers in due order as it advances", async () => {
    const clock = new ManualClock();
    const woke: string[] = [];
    void clock.sleep(30).then(() => woke.push(`b@${clock.now()}`));
    void clock.sleep(10).then(() => woke.push(`a@${clock.now()}`));
    await clock.advance(20);
    expect(woke).toEqual(["a@10"]);
    await clock.advance(20);
    expect(woke).toEqual(["a@10", "b@30"]);
    expect(clock.now()).toBe(40);
  });

  it("rejects a sleep whose signal aborts", async () => {
    const clock = new ManualClock();
    const abort = new AbortController();
    const sleeping = clock.sleep(10, abort.signal);
    abort.abort(new Error("gone"));
    await expect(sleeping).rejects.toThrow("gone");
    expect(clock.pendingSleeps).toBe(0);
  });
});
