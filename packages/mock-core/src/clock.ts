/**
 * Time as an object, so timing-dependent behaviour (slow start, injected delays) runs on real time
 * in a running mock and on virtual time in tests (ARCHITECTURE.md "Layers": time comes from a
 * clock object).
 */
// Imported rather than read from the global: the global `performance` is a lazy getter, and a
// read through it cost 150-300 ns against 120-175 ns per `now()` (measured, Node 24).
import { performance } from "node:perf_hooks";

/** A source of time. All durations are milliseconds. */
export interface Clock {
  /** Milliseconds since an arbitrary origin; only differences are meaningful. */
  now(): number;
  /**
   * Resolves after `ms` milliseconds; rejects with the signal's reason (an AbortError
   * DOMException by default) when `signal` aborts first or already has.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * {@link Clock.sleep} as callbacks, for hot paths that wait once per token: no promise, and
   * `onWake` runs in the wake-up itself rather than a microtask later. After `ms` milliseconds
   * `onWake()` is called; when `signal` aborts first (or already has) `onAbort(signal.reason)` is
   * called instead, a microtask after the abort (as the promise form's rejection reaches its
   * handler). Never calls back before `after` returns; exactly one callback, or none once
   * cancelled. Optional: a clock without it is waited on through `sleep`.
   */
  after?(
    ms: number,
    onWake: () => void,
    onAbort: (reason: unknown) => void,
    signal?: AbortSignal,
  ): ClockTimer;
}

/** A pending {@link Clock.after}: `cancel()` drops it, so neither callback is made. */
export interface ClockTimer {
  /** Drops the wait if it is still pending (no callback follows); a no-op after it settled. */
  cancel(): void;
}

/** What `after` returns when its signal had already aborted: there is nothing to cancel. */
const settledTimer: ClockTimer = Object.freeze({ cancel: () => {} });

/**
 * `Clock.after` on a signal that has already aborted: `onAbort(reason)` a microtask later (when a
 * rejected sleep would reach its handler) and a handle with nothing to cancel.
 */
function abortedTimer(signal: AbortSignal, onAbort: (reason: unknown) => void): ClockTimer {
  const reason: unknown = signal.reason;
  queueMicrotask(() => onAbort(reason));
  return settledTimer;
}

/**
 * The pending sleeps on one signal, for its one abort listener. A paced stream has one at a time,
 * so that one is a field and only a second concurrent sleep makes a set: adding to and deleting
 * from a one-entry `Set` on every step reallocated its table every few steps (measured: about 120
 * bytes of a paced wake's 330 with the callback form).
 */
class SignalSleepers {
  one: Sleeper | undefined = undefined;
  more: Set<Sleeper> | undefined = undefined;

  add(sleeper: Sleeper): void {
    if (this.one === undefined) this.one = sleeper;
    else {
      this.more ??= new Set();
      this.more.add(sleeper);
    }
  }

  delete(sleeper: Sleeper): void {
    if (this.one === sleeper) this.one = undefined;
    else this.more?.delete(sleeper);
  }

  /** Every sleeper, emptying the record. */
  take(): Sleeper[] {
    const all = this.more === undefined ? [] : [...this.more];
    if (this.one !== undefined) all.unshift(this.one);
    this.one = undefined;
    this.more = undefined;
    return all;
  }
}

/**
 * A pending sleep on a {@link PacingWheel}: the promise form's resolve and reject, or the callback
 * form's callbacks (then `deferAbort`: its abort is called a microtask later, as a rejection would
 * be). It is the callback form's {@link ClockTimer} too, so a paced wait allocates nothing else.
 */
class Sleeper implements ClockTimer {
  readonly wake: () => void;
  readonly fail: (reason: unknown) => void;
  /** The sleepers of the signal it sleeps on, if any (dropped from it on waking). */
  readonly peers: SignalSleepers | undefined;
  readonly deferAbort: boolean;
  /** The wheel's one cancel handler (not a closure per sleep). */
  readonly #dropped: (sleeper: Sleeper) => void;
  /** Woken, aborted or cancelled: a bucket skips it. */
  settled = false;

  constructor(
    wake: () => void,
    fail: (reason: unknown) => void,
    peers: SignalSleepers | undefined,
    deferAbort: boolean,
    dropped: (sleeper: Sleeper) => void,
  ) {
    this.wake = wake;
    this.fail = fail;
    this.peers = peers;
    this.deferAbort = deferAbort;
    this.#dropped = dropped;
  }

  cancel(): void {
    if (this.settled) return;
    this.settled = true;
    this.peers?.delete(this);
    this.#dropped(this);
  }
}

/** What a {@link PacingWheel} runs on: a millisecond time source and one-shot timers. */
export interface WheelTimers {
  /** Milliseconds, as `performance.now()`. */
  now(): number;
  /** Calls `callback` after about `ms` milliseconds, as `setTimeout`. */
  set(callback: () => void, ms: number): unknown;
  /** Cancels what {@link WheelTimers.set} returned, as `clearTimeout`. */
  clear(handle: unknown): void;
}

/**
 * A bucket is released from this many milliseconds before its millisecond: its sleeps (due
 * somewhere in the millisecond before it) then end up to a millisecond early or a little late, as
 * Node's own timers do against `performance.now()` (measured: the median error 0.5-0.8 ms with
 * 1,000 paced streams, 0.4-0.5 ms with a `setTimeout` per sleep; half a millisecond of slack made
 * it 0.85-0.9 ms, all of it late).
 */
const releaseSlackMs = 1;

const nodeTimers: WheelTimers = {
  now: () => performance.now(),
  set: (callback, ms) => setTimeout(callback, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Sleeps on a shared millisecond wheel: every sleep goes into the bucket of the whole millisecond
 * it is due by (its due time rounded up), and ONE timer, set for the earliest bucket, releases
 * every bucket due within a millisecond of `now()` when it fires. So a sleep ends up to a
 * millisecond early or a little late (plus whatever delays the event loop), as Node's own timers
 * do (timed from the loop's cached millisecond); buckets are checked against `now()`, not against
 * the timer, so an early timer releases nothing and is set again. 1,000 streams paced 20 ms apart are 50,000 sleeps a second: one
 * `setTimeout` each (a Node Timeout object, and a timer list of its own for each distinct
 * fractional delay), and a wheel wakes at most once per millisecond however many sleeps are
 * due. A signal gets one abort listener for as long as it lives, however many times something
 * sleeps on it; an aborted sleep rejects at once with the signal's reason and leaves its bucket
 * entry to be skipped. The timer runs only while a sleep is pending, so an idle wheel holds no
 * timer (nothing keeps a process up).
 */
export class PacingWheel {
  readonly #timers: WheelTimers;
  /** Sleepers by the millisecond they are due by. */
  readonly #buckets = new Map<number, Sleeper[]>();
  /** The buckets' milliseconds, a binary min-heap. */
  readonly #ticks: number[] = [];
  /** Sleeps neither woken nor aborted. */
  #pending = 0;
  #timer: unknown;
  /** A release is calling its sleepers back. */
  #releasing = false;
  /** The millisecond the timer is set for (Infinity: none set). */
  #armedFor = Number.POSITIVE_INFINITY;
  /** Sleepers per signal, for that signal's one abort listener. */
  readonly #bySignal = new WeakMap<AbortSignal, SignalSleepers>();

  /** @param timers time and timers to run on (default `performance.now` and `setTimeout`). */
  constructor(timers: WheelTimers = nodeTimers) {
    this.#timers = timers;
  }

  /** Sleeps currently pending (for tests and diagnostics). */
  get pending(): number {
    return this.#pending;
  }

  /**
   * Resolves once `ms` milliseconds have passed (0, less or NaN: at the next release, at least
   * one timer turn away); rejects with the signal's reason when `signal` aborts first or already has.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      this.#enter(ms, resolve, reject, false, signal);
    });
  }

  /**
   * {@link Clock.after} on this wheel: `onWake` is called in the release that wakes it (in due
   * order with the other sleeps of that release, before any promise sleep's continuation runs),
   * `onAbort(reason)` a microtask after `signal` aborts (or after this call, if it already had).
   * A throwing callback does not stop the release: its error is rethrown from a microtask.
   */
  after(
    ms: number,
    onWake: () => void,
    onAbort: (reason: unknown) => void,
    signal?: AbortSignal,
  ): ClockTimer {
    if (signal?.aborted) return abortedTimer(signal, onAbort);
    return this.#enter(ms, onWake, onAbort, true, signal);
  }

  #enter(
    ms: number,
    wake: () => void,
    fail: (reason: unknown) => void,
    deferAbort: boolean,
    signal: AbortSignal | undefined,
  ): Sleeper {
    const peers = signal === undefined ? undefined : this.#sleepersOf(signal);
    const sleeper = new Sleeper(wake, fail, peers, deferAbort, this.#dropped);
    peers?.add(sleeper);
    // NaN (bad input) sleeps as 0 would, as setTimeout treats it.
    this.#add(sleeper, Math.ceil(this.#timers.now() + Math.max(ms || 0, 0)));
    return sleeper;
  }

  /** A sleeper was cancelled (already marked settled and out of its peers). */
  readonly #dropped = (_sleeper: Sleeper): void => {
    this.#pending -= 1;
    if (this.#pending === 0 && !this.#releasing) this.#empty();
  };

  #add(sleeper: Sleeper, tick: number): void {
    let bucket = this.#buckets.get(tick);
    if (bucket === undefined) {
      bucket = [];
      this.#buckets.set(tick, bucket);
      heapPush(this.#ticks, tick);
    }
    bucket.push(sleeper);
    this.#pending += 1;
    // While a release runs, it sets the timer once its callbacks are done.
    if (tick < this.#armedFor && !this.#releasing) this.#arm(tick);
  }

  #arm(tick: number): void {
    if (this.#armedFor !== Number.POSITIVE_INFINITY) this.#timers.clear(this.#timer);
    this.#armedFor = tick;
    this.#timer = this.#timers.set(
      this.#release,
      Math.max(0, tick - releaseSlackMs - this.#timers.now()),
    );
  }

  /** The timer fired: wake every bucket due within the slack, then set the timer for the next. */
  readonly #release = (): void => {
    this.#armedFor = Number.POSITIVE_INFINITY;
    const horizon = this.#timers.now() + releaseSlackMs;
    const ticks = this.#ticks;
    // The due buckets are taken out first: a callback that sleeps again (even for less than the
    // slack) lands in a new bucket for the next release, never in this one.
    const due: Sleeper[][] = [];
    while (ticks.length > 0 && (ticks[0] as number) <= horizon) {
      const tick = heapPop(ticks);
      const bucket = this.#buckets.get(tick);
      this.#buckets.delete(tick);
      if (bucket !== undefined) due.push(bucket);
    }
    this.#releasing = true;
    for (const bucket of due) {
      for (const sleeper of bucket) {
        if (sleeper.settled) continue;
        sleeper.settled = true;
        this.#pending -= 1;
        sleeper.peers?.delete(sleeper);
        if (!sleeper.deferAbort) sleeper.wake();
        else {
          // A callback runs here, inside the loop: one that throws must not strand the rest.
          try {
            sleeper.wake();
          } catch (error) {
            queueMicrotask(() => {
              throw error;
            });
          }
        }
      }
    }
    this.#releasing = false;
    if (this.#pending === 0) this.#empty();
    else if (ticks.length > 0) this.#arm(ticks[0] as number);
  };

  /** Nothing pending: drop the skipped entries and the timer. */
  #empty(): void {
    if (this.#armedFor !== Number.POSITIVE_INFINITY) this.#timers.clear(this.#timer);
    this.#armedFor = Number.POSITIVE_INFINITY;
    this.#buckets.clear();
    this.#ticks.length = 0;
  }

  #sleepersOf(signal: AbortSignal): SignalSleepers {
    let sleepers = this.#bySignal.get(signal);
    if (sleepers === undefined) {
      const record = new SignalSleepers();
      sleepers = record;
      this.#bySignal.set(signal, record);
      signal.addEventListener(
        "abort",
        () => {
          const reason: unknown = signal.reason;
          for (const sleeper of record.take()) {
            sleeper.settled = true;
            this.#pending -= 1;
            if (sleeper.deferAbort) queueMicrotask(() => sleeper.fail(reason));
            else sleeper.fail(reason);
          }
          if (this.#pending === 0 && !this.#releasing) this.#empty();
        },
        { once: true },
      );
    }
    return sleepers;
  }
}

function heapPush(heap: number[], value: number): void {
  let at = heap.push(value) - 1;
  while (at > 0) {
    const parent = (at - 1) >> 1;
    if ((heap[parent] as number) <= value) break;
    heap[at] = heap[parent] as number;
    at = parent;
  }
  heap[at] = value;
}

function heapPop(heap: number[]): number {
  const top = heap[0] as number;
  const last = heap.pop() as number;
  const size = heap.length;
  if (size === 0) return top;
  let at = 0;
  for (;;) {
    const left = 2 * at + 1;
    if (left >= size) break;
    const right = left + 1;
    const child = right < size && (heap[right] as number) < (heap[left] as number) ? right : left;
    if ((heap[child] as number) >= last) break;
    heap[at] = heap[child] as number;
    at = child;
  }
  heap[at] = last;
  return top;
}

const wheel = new PacingWheel();

/**
 * The real clock: `performance.now()`, and sleeps on one shared {@link PacingWheel} (one timer
 * for all pending sleeps, released by the millisecond; a sleep on an aborted signal rejects at
 * once with its reason).
 */
export const realClock: Clock = {
  now: () => performance.now(),
  sleep: (ms, signal) => wheel.sleep(ms, signal),
  after: (ms, onWake, onAbort, signal) => wheel.after(ms, onWake, onAbort, signal),
};

/**
 * A clock that only moves when told to, for deterministic tests: `advance(ms)` resolves every
 * sleep that has come due, in due order.
 */
export class ManualClock implements Clock {
  #now = 0;
  #sleepers: { at: number; wake: () => void }[] = [];

  /** The virtual time, starting at 0. */
  now(): number {
    return this.#now;
  }

  /** Resolves once {@link advance} has moved the clock `ms` past now. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const sleeper = { at: this.#now + Math.max(0, ms), wake: resolve };
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

  /**
   * {@link Clock.after} on virtual time: `onWake` is called by {@link advance} in due order, as a
   * sleep is resolved (and the woken code gets the same turn to run before the next is due);
   * `onAbort(reason)` a microtask after `signal` aborts, or after this call if it already had.
   */
  after(
    ms: number,
    onWake: () => void,
    onAbort: (reason: unknown) => void,
    signal?: AbortSignal,
  ): ClockTimer {
    if (signal?.aborted) return abortedTimer(signal, onAbort);
    let settled = false;
    const sleeper = {
      at: this.#now + Math.max(0, ms),
      wake: () => {
        settled = true;
        signal?.removeEventListener("abort", aborted);
        onWake();
      },
    };
    const drop = (): void => {
      settled = true;
      this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
      signal?.removeEventListener("abort", aborted);
    };
    const aborted = (): void => {
      if (settled) return;
      drop();
      const reason: unknown = signal?.reason;
      queueMicrotask(() => onAbort(reason));
    };
    this.#sleepers.push(sleeper);
    signal?.addEventListener("abort", aborted, { once: true });
    return { cancel: () => (settled ? undefined : drop()) };
  }

  /** Moves the clock forward and wakes the sleepers that are due, letting each settle. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      const due = this.#sleepers.filter((s) => s.at <= target).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.#sleepers = this.#sleepers.filter((s) => s !== due);
      this.#now = due.at;
      due.wake();
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
