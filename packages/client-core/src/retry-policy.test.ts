import { describe, expect, it } from "vitest";
import { Code } from "./code.js";
import {
  backoffMs,
  isRetryableHttpStatus,
  retryDelayMs,
  serverRetryAfterMs,
  shouldRetry,
} from "./retry-policy.js";
import { codeFromHttpStatus } from "./status-mapping.js";

const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);

describe("shouldRetry", () => {
  // openai-node src/client.ts shouldRetry: 408, 409, 429 and >= 500 are retried.
  it.each([408, 409, 429, 500, 501, 502, 503, 504, 599])("retries HTTP %i", (status) => {
    expect(isRetryableHttpStatus(status)).toBe(true);
    expect(shouldRetry({ code: codeFromHttpStatus(status), httpStatus: status })).toBe(true);
  });

  it.each([400, 401, 403, 404, 405, 413, 422, 499])("does not retry HTTP %i", (status) => {
    expect(isRetryableHttpStatus(status)).toBe(false);
    expect(shouldRetry({ code: codeFromHttpStatus(status), httpStatus: status })).toBe(false);
  });

  it("lets x-should-retry decide both ways (openai-node)", () => {
    const yes = new Headers({ "x-should-retry": "true" });
    const no = new Headers({ "x-should-retry": "false" });
    expect(shouldRetry({ code: Code.InvalidArgument, httpStatus: 400, headers: yes })).toBe(true);
    expect(shouldRetry({ code: Code.Unavailable, httpStatus: 503, headers: no })).toBe(false);
    expect(shouldRetry({ code: Code.Unavailable, headers: no })).toBe(false);
    const other = new Headers({ "x-should-retry": "maybe" });
    expect(shouldRetry({ code: Code.InvalidArgument, httpStatus: 400, headers: other })).toBe(
      false,
    );
  });

  it("retries gRPC UNAVAILABLE, RESOURCE_EXHAUSTED and timeouts, nothing else", () => {
    const retried = [Code.Unavailable, Code.ResourceExhausted, Code.DeadlineExceeded];
    for (let code = Code.Canceled; code <= Code.Unauthenticated; code++) {
      expect(shouldRetry({ code })).toBe(retried.includes(code));
    }
  });
});

describe("serverRetryAfterMs", () => {
  const headers = (init: Record<string, string>) => new Headers(init);

  it("reads retry-after-ms first, as a decimal", () => {
    expect(
      serverRetryAfterMs(headers({ "retry-after-ms": "1500.5", "retry-after": "9" }), NOW),
    ).toBe(1500.5);
  });

  it("reads retry-after seconds", () => {
    expect(serverRetryAfterMs(headers({ "retry-after": "3" }), NOW)).toBe(3000);
    expect(serverRetryAfterMs(headers({ "retry-after": "0.25" }), NOW)).toBe(250);
  });

  it("reads retry-after as an HTTP date against the clock", () => {
    const date = new Date(NOW + 7000).toUTCString();
    expect(serverRetryAfterMs(headers({ "retry-after": date }), NOW)).toBe(7000);
  });

  it("falls back to retry-after when retry-after-ms is garbage", () => {
    expect(serverRetryAfterMs(headers({ "retry-after-ms": "soon", "retry-after": "2" }), NOW)).toBe(
      2000,
    );
  });

  it("ignores values outside (0, 60 s]: zero, negative, past dates, too long, garbage", () => {
    const cases: Record<string, string>[] = [
      { "retry-after-ms": "0" },
      { "retry-after-ms": "-5" },
      { "retry-after-ms": "60001" },
      { "retry-after": "61" },
      { "retry-after": "0" },
      { "retry-after": new Date(NOW - 1000).toUTCString() },
      { "retry-after": new Date(NOW + 120_000).toUTCString() },
      { "retry-after": "whenever" },
      { "retry-after-ms": "Infinity" },
    ];
    for (const init of cases) {
      expect(serverRetryAfterMs(headers(init), NOW), JSON.stringify(init)).toBeUndefined();
    }
    expect(serverRetryAfterMs(headers({ "retry-after": "60" }), NOW)).toBe(60_000);
    expect(serverRetryAfterMs(undefined, NOW)).toBeUndefined();
  });
});

describe("backoffMs", () => {
  it("doubles from 0.5 s and caps at 8 s without jitter", () => {
    const none = () => 0;
    expect([0, 1, 2, 3, 4, 5, 10].map((index) => backoffMs(index, none))).toEqual([
      500, 1000, 2000, 4000, 8000, 8000, 8000,
    ]);
  });

  it("takes away at most 25% as jitter, never adds", () => {
    const almostOne = () => 0.999_999;
    expect(backoffMs(0, almostOne)).toBeGreaterThan(375);
    expect(backoffMs(0, almostOne)).toBeLessThanOrEqual(500);
    expect(backoffMs(4, () => 0.5)).toBe(7000);
    for (let index = 0; index < 1000; index++) {
      const delay = backoffMs(3, Math.random);
      expect(delay).toBeGreaterThan(3000);
      expect(delay).toBeLessThanOrEqual(4000);
    }
  });

  it("uses the server's wait when reasonable, else the backoff", () => {
    const random = () => 0;
    const ask = new Headers({ "retry-after": "2" });
    expect(retryDelayMs({ headers: ask, retryIndex: 3, nowMs: NOW, random })).toBe(2000);
    const tooLong = new Headers({ "retry-after": "600" });
    expect(retryDelayMs({ headers: tooLong, retryIndex: 3, nowMs: NOW, random })).toBe(4000);
  });
});
