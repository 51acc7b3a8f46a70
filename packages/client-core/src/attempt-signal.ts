import { Code } from "./code.js";
import { ServingkitError } from "./servingkit-error.js";

/**
 * Node's timers overflow above 2^31 - 1 ms (about 24.8 days) and would fire at once; longer
 * limits, and `Infinity`, mean "no timer".
 */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The error for a call the caller aborted through its own signal: always `Code.Canceled`
 * (never retried), whatever reason the caller gave; the reason is kept as the cause.
 */
export function canceledError(signal: AbortSignal): ServingkitError {
  const reason: unknown = signal.reason;
  const detail = reason instanceof Error && reason.message.length > 0 ? `: ${reason.message}` : "";
  return new ServingkitError(`the call was aborted by the caller${detail}`, Code.Canceled, {
    cause: reason,
  });
}

/**
 * One attempt's abort signal: aborted when the caller's signal aborts, when the attempt's time
 * limit passes, or when the attempt is given up (a `break` out of a stream). It remembers which,
 * so that what the attempt threw can be told apart: the caller's abort (`Code.Canceled`) from
 * a timeout (`Code.DeadlineExceeded`) from a failure of its own.
 */
export interface AttemptSignal {
  /** Pass this to fetch (or a connect call) instead of the caller's signal. */
  readonly signal: AbortSignal;
  /** Ends the time limit: the attempt's retryable window is over (headers, body, first event). */
  clearTimeout(): void;
  /** Aborts the attempt, e.g. when a consumer leaves a stream early; idempotent. */
  abort(): void;
  /**
   * Converts whatever the attempt threw into a `ServingkitError`: `Code.Canceled` when the caller
   * aborted, `Code.DeadlineExceeded` when the time limit passed, otherwise `convert(thrown)`
   * (default `ServingkitError.from`).
   */
  errorFor(thrown: unknown, convert?: (thrown: unknown) => ServingkitError): ServingkitError;
}

/**
 * Starts the signal of one attempt, linked to the caller's `signal` (if any) and limited to
 * `timeoutMs` milliseconds (`Infinity` for none). The timer is a plain `setTimeout`, so fake
 * timers can drive it in tests.
 */
export function startAttempt(signal: AbortSignal | undefined, timeoutMs: number): AttemptSignal {
  const controller = new AbortController();
  let timedOut = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  if (timeoutMs <= MAX_TIMER_MS) {
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort(
        new DOMException(`the attempt timed out after ${timeoutMs} ms`, "TimeoutError"),
      );
    }, timeoutMs);
  }
  const stopTimer = (): void => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
  };
  return {
    signal: signal === undefined ? controller.signal : AbortSignal.any([signal, controller.signal]),
    clearTimeout: stopTimer,
    abort() {
      stopTimer();
      controller.abort(new DOMException("the attempt was given up", "AbortError"));
    },
    errorFor(thrown, convert = (reason: unknown) => ServingkitError.from(reason)) {
      if (signal?.aborted) {
        return thrown instanceof ServingkitError && thrown.code === Code.Canceled
          ? thrown
          : canceledError(signal);
      }
      if (timedOut) {
        return new ServingkitError(
          `the attempt timed out after ${timeoutMs} ms`,
          Code.DeadlineExceeded,
          { cause: thrown },
        );
      }
      return thrown instanceof ServingkitError ? thrown : convert(thrown);
    },
  };
}
