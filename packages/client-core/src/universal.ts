/**
 * The part of `@servingkit/client-core` that runs everywhere: errors, codes, the status table,
 * retries, SSE decoding and header/URL helpers. Both entry points re-export it and add their own
 * `createHttpClient` (`index.ts` for Node.js, `browser.ts` for browsers and edge runtimes), so the
 * public surface is listed once.
 */

export type { TokenSource } from "./auth.js";
// For end users.
export { Code, codeFromName, codeName, grpcStatusName, parseCode } from "./code.js";
// For other servingkit packages.
export { describeErrorBody, type ErrorBodyFacts } from "./error-envelope.js";
export type { HeadersLike } from "./headers.js";
export { mergeHeaders } from "./headers.js";
export type {
  CallOptions,
  ClientOptions,
  FetchInit,
  HttpClient,
  RequestOptions,
} from "./http-client.js";
export { parseJsonWithNonFinite } from "./non-finite-json.js";
export type { RetryHooks, Sleep } from "./retry.js";
export { type AttemptInfo, type RetryLoopOptions, sleep, withRetries } from "./retry.js";
export {
  backoffMs,
  DEFAULT_MAX_RETRIES,
  DEFAULT_TIMEOUT_MS,
  isRetryableHttpStatus,
  retryDelayMs,
  serverRetryAfterMs,
  shouldRetry,
} from "./retry-policy.js";
export {
  type HttpErrorInput,
  ServingkitError,
  type ServingkitErrorOptions,
} from "./servingkit-error.js";
export {
  DONE_DATA,
  decodeSse,
  readSseEvents,
  type SseReadOptions,
  sseEventError,
} from "./sse-decoder.js";
export { parseEventJson, type SseEvent, SseStream } from "./sse-stream.js";
export {
  codeFromGrpcHttpStatus,
  codeFromHttpStatus,
  httpStatusFromCode,
  STATUS_TABLE,
  type StatusRow,
} from "./status-mapping.js";
export type { TlsOptions } from "./tls-options.js";
export type { QueryParams, QueryValue } from "./url.js";
export { joinUrl } from "./url.js";
