import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { startAttempt } from "./attempt-signal.js";
import { Code } from "./code.js";
import { ServingkitError } from "./servingkit-error.js";

describe("startAttempt", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("aborts when the time limit passes, and calls that DEADLINE_EXCEEDED", async () => {
    const attempt = startAttempt(undefined, 1000);
    await vi.advanceTimersByTimeAsync(999);
    expect(attempt.signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(attempt.signal.aborted).toBe(true);
    const error = attempt.errorFor(attempt.signal.reason);
    expect(error.code).toBe(Code.DeadlineExceeded);
    expect(error.retryable).toBe(true);
    expect(error.rawMessage).toBe("the attempt timed out after 1000 ms");
  });

  it("does not fire once the time limit is cleared", async () => {
    const attempt = startAttempt(undefined, 1000);
    attempt.clearTimeout();
    await vi.advanceTimersByTimeAsync(5000);
    expect(attempt.signal.aborted).toBe(false);
  });

  it("follows the caller's signal, and calls that CANCELED whatever the reason", () => {
    const controller = new AbortController();
    const attempt = startAttempt(controller.signal, 1000);
    controller.abort("user pressed stop");
    expect(attempt.signal.aborted).toBe(true);
    const error = attempt.errorFor(new TypeError("fetch failed"));
    expect(error.code).toBe(Code.Canceled);
    expect(error.retryable).toBe(false);
    expect(error.cause).toBe("user pressed stop");
  });

  it("is aborted at once when the caller's signal already was", () => {
    const attempt = startAttempt(AbortSignal.abort(), 1000);
    expect(attempt.signal.aborted).toBe(true);
    expect(attempt.errorFor(attempt.signal.reason).code).toBe(Code.Canceled);
  });

  it("aborting it leaves the caller's signal alone", () => {
    const controller = new AbortController();
    const attempt = startAttempt(controller.signal, 1000);
    attempt.abort();
    expect(attempt.signal.aborted).toBe(true);
    expect(controller.signal.aborted).toBe(false);
  });

  it("passes other failures to the converter, and ServingkitErrors through", () => {
    const attempt = startAttempt(undefined, 1000);
    const converted = attempt.errorFor(
      new TypeError("x"),
      () => new ServingkitError("conn", Code.Unavailable),
    );
    expect(converted.code).toBe(Code.Unavailable);
    const own = new ServingkitError("mine", Code.NotFound);
    expect(attempt.errorFor(own, () => new ServingkitError("no"))).toBe(own);
    expect(attempt.errorFor(new Error("plain")).code).toBe(Code.Unknown);
    attempt.clearTimeout();
  });

  it("sets no timer for Infinity or limits beyond what timers hold", async () => {
    const forever = startAttempt(undefined, Number.POSITIVE_INFINITY);
    const huge = startAttempt(undefined, 2 ** 40);
    await vi.advanceTimersByTimeAsync(2 ** 31);
    expect(forever.signal.aborted).toBe(false);
    expect(huge.signal.aborted).toBe(false);
  });
});
