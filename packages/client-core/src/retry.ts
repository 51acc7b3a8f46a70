import { canceledError } from "./attempt-signal.js";
import { retryDelayMs } from "./retry-policy.js";
import { ServingkitError } from "./servingkit-error.js";

/**
 * Waits `ms` milliseconds, or rejects as soon as `signal` aborts. Clients take one so that tests
 * can replace the real wait (and record the delays) instead of sleeping for seconds.
 */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** The real {@link Sleep}: a `setTimeout` that an abort cuts short. */
export const sleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });

/** Hooks that make retries deterministic in tests; every client option bag accepts them. */
export interface RetryHooks {
  /** Replaces the wait between attempts; default: a real, abortable `setTimeout`. */
  readonly sleep?: Sleep | undefined;
  /** Source of numbers in [0, 1) for backoff jitter; default `Math.random`. */
  readonly random?: (() => number) | undefined;
  /** The clock for HTTP-date `retry-after` values, in ms since the epoch; default `Date.now`. */
  readonly now?: (() => number) | undefined;
}

/** How {@link withRetries} runs. */
export interface RetryLoopOptions extends RetryHooks {
  /** Retries after the first attempt; 0 for none. */
  readonly maxRetries: number;
  /** The caller's signal: once aborted, no further attempt starts and the wait ends. */
  readonly signal?: AbortSignal | undefined;
}

/** What an attempt is told about itself. */
export interface AttemptInfo {
  /** 0 for the first attempt, 1 for the first retry, ... */
  readonly attempt: number;
  /**
   * Retries left after this attempt. An HTTP attempt reads an error body only when this is 0
   * or the status is not retryable; otherwise it cancels the body unread before the retry.
   */
  readonly retriesLeft: number;
}

/**
 * Runs `attempt` until it succeeds, its error is not `retryable`, the caller aborts, or the
 * retries are spent; waits between attempts as `retryDelayMs` says (the server's `retry-after`
 * when reasonable, else 0.5 s * 2^n up to 8 s with jitter). Whatever it throws is a
 * `ServingkitError`. The one retry loop of both the HTTP client and the gRPC transport.
 */
export async function withRetries<T>(
  options: RetryLoopOptions,
  attempt: (info: AttemptInfo) => Promise<T>,
): Promise<T> {
  const wait = options.sleep ?? sleep;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  for (let index = 0; ; index++) {
    const retriesLeft = options.maxRetries - index;
    try {
      return await attempt({ attempt: index, retriesLeft });
    } catch (thrown) {
      const error = ServingkitError.from(thrown);
      if (retriesLeft <= 0 || !error.retryable || options.signal?.aborted) {
        throw error;
      }
      const delay = retryDelayMs({
        headers: error.metadata,
        retryIndex: index,
        nowMs: now(),
        random,
      });
      try {
        await wait(delay, options.signal);
      } catch (reason) {
        throw options.signal?.aborted
          ? canceledError(options.signal)
          : ServingkitError.from(reason);
      }
    }
  }
}
