/**
 * The current unix second for OpenAI `created` fields, read from the wall clock at most once per
 * second (a per-request `Date.now()` showed up in the completions route's profile).
 */
/** What {@link CachedSeconds} reads the wall clock and sets its refresh timer with. */
export interface SecondTimers {
  /** Milliseconds since the unix epoch, as `Date.now()`. */
  wallMs(): number;
  /** Calls `callback` after about `ms` milliseconds, as an unref'd `setTimeout`. */
  set(callback: () => void, ms: number): unknown;
  /** Cancels what {@link SecondTimers.set} returned, as `clearTimeout`. */
  clear(handle: unknown): void;
}

/** The wall clock and Node's timers, unref'd so a cached second never keeps a process up. */
export const nodeSecondTimers: SecondTimers = {
  wallMs: () => Date.now(),
  set: (callback, ms) => setTimeout(callback, ms).unref(),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * The current unix second for `created` fields, read from the wall clock at most once per
 * second, as Node caches its `Date` header (`utcDate` in Node's http internals): the first read
 * after a refresh keeps the second and sets one timer for the wall clock's next second boundary,
 * which drops it; the next read then reads the wall clock again (a timer that fires early, by the
 * event loop's cached time, only reads the same second again and waits out the rest). So a value
 * is never older than its second (plus however late the event loop runs the timer), every
 * request in between costs a field read instead of a `Date.now()`, and an idle model holds no
 * timer. Timers default to Node's, unref'd.
 */
export class CachedSeconds {
  readonly #timers: SecondTimers;
  /** The cached second, or -1 when the next read must read the wall clock. */
  #seconds = -1;
  #timer: unknown;
  #closed = false;
  readonly #drop = () => {
    this.#seconds = -1;
    this.#timer = undefined;
  };

  /** Reads the wall clock through `timers` (Node's by default). */
  constructor(timers: SecondTimers = nodeSecondTimers) {
    this.#timers = timers;
  }

  /** The current unix time in whole seconds (floored). */
  now(): number {
    if (this.#seconds >= 0) return this.#seconds;
    const ms = this.#timers.wallMs();
    const seconds = Math.floor(ms / 1000);
    // After close every read reads the wall clock: no timer outlives the model.
    if (this.#closed) return seconds;
    this.#seconds = seconds;
    this.#timer = this.#timers.set(this.#drop, 1000 - (ms - seconds * 1000));
    return seconds;
  }

  /** Cancels the pending refresh; later reads read the wall clock each time. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) this.#timers.clear(this.#timer);
    this.#drop();
  }
}
