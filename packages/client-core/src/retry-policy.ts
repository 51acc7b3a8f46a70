/**
 * The retry rules, as pure functions: which failures are worth another attempt and how long to
 * wait first. They follow openai-node (`src/client.ts` `shouldRetry`, `retryRequest`,
 * `calculateDefaultRetryTimeoutMillis`) so that servingkit clients behave like the SDK most
 * users of an OpenAI-compatible endpoint already know. The loop that applies them is `retry.ts`.
 */
import { Code } from "./code.js";

/** Retries after the first attempt unless a client or call says otherwise (openai-node: 2). */
export const DEFAULT_MAX_RETRIES = 2;

/**
 * Time limit of one attempt in milliseconds unless a client or call says otherwise: 10 minutes,
 * as openai-node. With the default 2 retries a call can take 3 attempts of 10 minutes plus the
 * waits between them (at most 60 s each when the server asks with `retry-after`, else at most 8 s).
 */
export const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;

/** First backoff delay in milliseconds (openai-node: 0.5 s). */
export const INITIAL_RETRY_DELAY_MS = 500;

/** Longest backoff delay in milliseconds (openai-node: 8 s). */
export const MAX_RETRY_DELAY_MS = 8000;

/** Longest server-requested wait (`retry-after-ms`, `retry-after`) honoured, in milliseconds. */
export const MAX_RETRY_AFTER_MS = 60 * 1000;

/** Share of a backoff delay that jitter may take away (openai-node: up to 25% downward). */
export const MAX_JITTER = 0.25;

/** What {@link shouldRetry} looks at. */
export interface RetrySignal {
  /** The error's code. */
  readonly code: Code;
  /** The HTTP status received, when the failure was an HTTP response. */
  readonly httpStatus?: number | undefined;
  /** Response headers (or gRPC metadata), for `x-should-retry`. */
  readonly headers?: Headers | undefined;
}

/**
 * Whether an HTTP status is worth a retry: 408 (request timeout), 409 (conflict, e.g. a lock),
 * 429 (rate limited) and every 5xx, as openai-node.
 */
export function isRetryableHttpStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/**
 * Whether a failure is worth another attempt. A server's `x-should-retry: true|false` header
 * decides first (openai-node). An HTTP response is then judged by its status
 * ({@link isRetryableHttpStatus}); anything else by its code: UNAVAILABLE (gRPC's "retry me",
 * and connection errors), RESOURCE_EXHAUSTED (gRPC's 429) and DEADLINE_EXCEEDED (a timed-out
 * attempt, which openai-node retries). CANCELED, the caller's own abort, is never retried.
 */
export function shouldRetry(signal: RetrySignal): boolean {
  const hint = signal.headers?.get("x-should-retry");
  if (hint === "true") {
    return true;
  }
  if (hint === "false") {
    return false;
  }
  if (signal.httpStatus !== undefined) {
    return isRetryableHttpStatus(signal.httpStatus);
  }
  return (
    signal.code === Code.Unavailable ||
    signal.code === Code.ResourceExhausted ||
    signal.code === Code.DeadlineExceeded
  );
}

/**
 * The wait a server asked for, in milliseconds, or `undefined` when it asked for none or for
 * something unreasonable. `retry-after-ms` (milliseconds, a decimal) wins over `retry-after`
 * (seconds, a decimal, or an HTTP date, measured against `nowMs`). A value is honoured only when
 * it is finite and in (0, 60 s], as openai-node does; zero, negative, past dates, garbage and
 * longer waits fall back to the backoff.
 */
export function serverRetryAfterMs(
  headers: Headers | undefined,
  nowMs: number,
): number | undefined {
  if (headers === undefined) {
    return undefined;
  }
  let waitMs: number | undefined;
  const retryAfterMs = headers.get("retry-after-ms");
  if (retryAfterMs !== null) {
    const parsed = Number.parseFloat(retryAfterMs);
    if (!Number.isNaN(parsed)) {
      waitMs = parsed;
    }
  }
  const retryAfter = headers.get("retry-after");
  if (waitMs === undefined && retryAfter !== null) {
    const seconds = Number.parseFloat(retryAfter);
    waitMs = Number.isNaN(seconds) ? Date.parse(retryAfter) - nowMs : seconds * 1000;
  }
  if (waitMs === undefined || !Number.isFinite(waitMs) || waitMs <= 0) {
    return undefined;
  }
  return waitMs > MAX_RETRY_AFTER_MS ? undefined : waitMs;
}

/**
 * The backoff before retry number `retryIndex` (0 for the first retry), in milliseconds:
 * 0.5 s * 2^retryIndex capped at 8 s, less up to 25% jitter. `random` returns a number in
 * [0, 1), like `Math.random`.
 */
export function backoffMs(retryIndex: number, random: () => number): number {
  const base = Math.min(INITIAL_RETRY_DELAY_MS * 2 ** retryIndex, MAX_RETRY_DELAY_MS);
  return base * (1 - random() * MAX_JITTER);
}

/** What {@link retryDelayMs} needs to know. */
export interface RetryDelayInput {
  /** Headers of the failed attempt, for `retry-after-ms` and `retry-after`. */
  readonly headers?: Headers | undefined;
  /** 0 for the first retry, 1 for the second, ... */
  readonly retryIndex: number;
  /** The current time in milliseconds since the epoch, for HTTP-date `retry-after` values. */
  readonly nowMs: number;
  /** A source of numbers in [0, 1) for jitter. */
  readonly random: () => number;
}

/** The wait before a retry: what the server asked for if reasonable, else the backoff. */
export function retryDelayMs(input: RetryDelayInput): number {
  return (
    serverRetryAfterMs(input.headers, input.nowMs) ?? backoffMs(input.retryIndex, input.random)
  );
}
