import { Code } from "./code.js";
import { ServingkitError } from "./servingkit-error.js";

/** The error for a bad client or call option: `Code.InvalidArgument`, never retried. */
export function invalidOption(message: string): ServingkitError {
  return new ServingkitError(message, Code.InvalidArgument, { retryable: false });
}

/**
 * Checks a time limit in milliseconds: a positive number (`Infinity` for none); `undefined`
 * yields `fallback`.
 */
export function checkTimeoutMs(value: number | undefined, fallback: number): number {
  if (value === undefined) {
    return fallback;
  }
  if (typeof value !== "number" || Number.isNaN(value) || value <= 0) {
    throw invalidOption(
      `timeoutMs must be a positive number of milliseconds, got ${String(value)}`,
    );
  }
  return value;
}

/** Checks a retry budget: a whole number, 0 or more; `undefined` yields `fallback`. */
export function checkMaxRetries(value: number | undefined, fallback: number): number {
  if (value === undefined) {
    return fallback;
  }
  if (!Number.isInteger(value) || value < 0) {
    throw invalidOption(`maxRetries must be a whole number >= 0, got ${String(value)}`);
  }
  return value;
}
