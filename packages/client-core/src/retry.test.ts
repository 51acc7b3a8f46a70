import { describe, expect, it, vi } from "vitest";
import { Code } from "./code.js";
import { sleep, withRetries } from "./retry.js";
import { ServingkitError } from "./servingkit-error.js";

function recorder() {
  const delays: number[] = [];
  return { delays, sleep: async (ms: number) => void delays.push(ms) };
}

const unavailable = () => new ServingkitError("down", Code.Unavailable);

describe("withRetries", () => {
  it("makes maxRetries + 1 attempts for a retryable failure, with doubling waits", async () => {
    const { delays, sleep } = recorder();
    const attempts: number[] = [];
    const run = withRetries({ maxRetries: 4, sleep, random: () => 0 }, async ({ attempt }) => {
      attempts.push(attempt);
      throw unavailable();
    });
    await expect(run).rejects.toMatchObject({ code: Code.Unavailable });
    expect(attempts).toEqual([0, 1, 2, 3, 4]);
    expect(delays).toEqual([500, 1000, 2000, 4000]);
  });

  it("tells each attempt how many retries are left", async () => {
    const seen: number[] = [];
    await withRetries({ maxRetries: 2, sleep: recorder().sleep }, async ({ retriesLeft }) => {
      seen.push(retriesLeft);
      if (retriesLeft > 0) {
        throw unavailable();
      }
    });
    expect(seen).toEqual([2, 1, 0]);
  });

  it("returns the first success", async () => {
    let calls = 0;
    const value = await withRetries({ maxRetries: 2, sleep: recorder().sleep }, async () => {
      calls++;
      if (calls < 2) {
        throw unavailable();
      }
      return "ok";
    });
    expect(value).toBe("ok");
    expect(calls).toBe(2);
  });

  it("stops at once on a non-retryable error", async () => {
    const { delays, sleep } = recorder();
    let calls = 0;
    const run = withRetries({ maxRetries: 5, sleep }, async () => {
      calls++;
      throw new ServingkitError("bad", Code.InvalidArgument);
    });
    await expect(run).rejects.toMatchObject({ code: Code.InvalidArgument });
    expect(calls).toBe(1);
    expect(delays).toEqual([]);
  });

  it("normalises anything thrown into a ServingkitError", async () => {
    const run = withRetries({ maxRetries: 2, sleep: recorder().sleep }, async () => {
      throw new TypeError("oops");
    });
    const error = await run.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServingkitError);
    expect((error as ServingkitError).code).toBe(Code.Unknown);
  });

  it("honours the server's retry-after from the error's metadata", async () => {
    const { delays, sleep } = recorder();
    let calls = 0;
    await withRetries({ maxRetries: 1, sleep }, async () => {
      if (calls++ === 0) {
        throw new ServingkitError("busy", Code.ResourceExhausted, {
          httpStatus: 429,
          metadata: { "retry-after-ms": "1234" },
        });
      }
    });
    expect(delays).toEqual([1234]);
  });

  it("applies jitter from the injected random source", async () => {
    const { delays, sleep } = recorder();
    await withRetries({ maxRetries: 1, sleep, random: () => 0.5 }, async ({ attempt }) => {
      if (attempt === 0) {
        throw unavailable();
      }
    });
    expect(delays).toEqual([437.5]);
  });

  it("does not retry after the caller aborted, and reports CANCELED when the wait is cut", async () => {
    const controller = new AbortController();
    let calls = 0;
    const run = withRetries(
      { maxRetries: 3, signal: controller.signal, sleep, random: () => 0 },
      async () => {
        calls++;
        setTimeout(() => controller.abort(), 5);
        throw unavailable();
      },
    );
    await expect(run).rejects.toMatchObject({ code: Code.Canceled });
    expect(calls).toBe(1);
  });

  it("does not start another attempt once the signal is aborted", async () => {
    const controller = new AbortController();
    let calls = 0;
    const run = withRetries(
      { maxRetries: 3, signal: controller.signal, sleep: recorder().sleep },
      async () => {
        calls++;
        controller.abort();
        throw unavailable();
      },
    );
    await expect(run).rejects.toMatchObject({ code: Code.Unavailable });
    expect(calls).toBe(1);
  });
});

describe("sleep", () => {
  it("waits on a timer and can be cut short by an abort", async () => {
    vi.useFakeTimers();
    try {
      let done = false;
      const waiting = sleep(1000).then(() => {
        done = true;
      });
      await vi.advanceTimersByTimeAsync(999);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await waiting;
      expect(done).toBe(true);
      const controller = new AbortController();
      const cut = sleep(60_000, controller.signal);
      controller.abort(new Error("stop"));
      await expect(cut).rejects.toThrow("stop");
      const already = sleep(10, controller.signal);
      await expect(already).rejects.toThrow("stop");
    } finally {
      vi.useRealTimers();
    }
  });
});
