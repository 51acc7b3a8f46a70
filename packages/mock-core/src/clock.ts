/**
 * Time as an object, so timing-dependent behaviour (slow start, injected delays) runs on real time
 * in a running mock and on virtual time in tests (ARCHITECTURE.md "Layers": time comes from a
 * clock object).
 */
import { setTimeout as sleepReal } from "node:timers/promises";

/** A source of time. All durations are milliseconds. */
export interface Clock {
  /** Milliseconds since an arbitrary origin; only differences are meaningful. */
  now(): number;
  /**
   * Resolves after `ms` milliseconds; rejects with the signal's reason (an AbortError by default)
   * when `signal` aborts first.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock: `performance.now()` and Node's timers. */
export const realClock: Clock = {
  now: () => performance.now(),
  sleep: async (ms, signal) => {
    await sleepReal(ms, undefined, signal ? { signal } : undefined);
  },
};

/**
 * A clock that only moves when told to, for deterministic tests: `advance(ms)` resolves every
 * sleep that has come due, in due order.
 */
export class ManualClock implements Clock {
  #now = 0;
  #sleepers: { at: number; resolve: () => void }[] = [];

  /** The virtual time, starting at 0. */
  now(): number {
    return this.#now;
  }

  /** Resolves once {@link advance} has moved the clock `ms` past now. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const sleeper = { at: this.#now + Math.max(0, ms), resolve };
      this.#sleepers.push(sleeper);
      signal?.addEventListener(
        "abort",
        () => {
          this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
          reject(signal.reason);
        },
        { once: true },
      );
    });
  }

  /** Moves the clock forward and wakes the sleepers that are due, letting each settle. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      const due = this.#sleepers.filter((s) => s.at <= target).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.#sleepers = this.#sleepers.filter((s) => s !== due);
      this.#now = due.at;
      due.resolve();
      // Let the woken code run (and perhaps sleep again) before the next sleeper is due.
      await new Promise<void>((r) => setImmediate(r));
    }
    this.#now = target;
  }

  /** How many sleeps are pending (for tests that wait for code to reach a sleep). */
  get pendingSleeps(): number {
    return this.#sleepers.length;
  }
}
