/**
 * Time as an object, so timing-dependent behaviour (slow start, injected delays) runs on real time
 * in a running mock and on virtual time in tests (ARCHITECTURE.md "Layers": time comes from a
 * clock object).
 */
/** A source of time. All durations are milliseconds. */
export interface Clock {
  /** Milliseconds since an arbitrary origin; only differences are meaningful. */
  now(): number;
  /**
   * Resolves after `ms` milliseconds; rejects with the signal's reason (an AbortError
   * DOMException by default) when `signal` aborts first or already has.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** A pending {@link realClock} sleep that a signal may end early. */
interface Sleeper {
  readonly timer: NodeJS.Timeout;
  readonly reject: (reason: unknown) => void;
}

/**
 * The sleepers waiting on each signal. A signal gets one abort listener, the first time something
 * sleeps on it, for as long as it lives: a stream that sleeps once per token on its request's
 * signal then costs a Set insert and delete per token instead of adding and removing an
 * AbortSignal listener (EventTarget bookkeeping) each time.
 */
const sleepersBySignal = new WeakMap<AbortSignal, Set<Sleeper>>();

function sleepersOf(signal: AbortSignal): Set<Sleeper> {
  let sleepers = sleepersBySignal.get(signal);
  if (sleepers === undefined) {
    const set = new Set<Sleeper>();
    sleepers = set;
    sleepersBySignal.set(signal, set);
    signal.addEventListener(
      "abort",
      () => {
        for (const sleeper of set) {
          clearTimeout(sleeper.timer);
          sleeper.reject(signal.reason);
        }
        set.clear();
      },
      { once: true },
    );
  }
  return sleepers;
}

/**
 * The real clock: `performance.now()` and Node's timers (one `setTimeout` per sleep; a sleep on
 * an aborted signal rejects at once with its reason).
 */
export const realClock: Clock = {
  now: () => performance.now(),
  sleep: (ms, signal) => {
    if (signal === undefined) return new Promise((resolve) => setTimeout(resolve, ms));
    if (signal.aborted) return Promise.reject(signal.reason);
    const sleepers = sleepersOf(signal);
    return new Promise((resolve, reject) => {
      const sleeper: Sleeper = {
        timer: setTimeout(() => {
          sleepers.delete(sleeper);
          resolve();
        }, ms),
        reject,
      };
      sleepers.add(sleeper);
    });
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
