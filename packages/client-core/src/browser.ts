/**
 * `@servingkit/client-core` for browsers and edge runtimes (export conditions `browser`,
 * `worker`, `workerd`, `edge-light`): the REST client, errors, retries and SSE decoding, with
 * nothing that needs Node.js (no `node:*`, undici or connect-node). TLS options throw here, and
 * the gRPC transport is absent: gRPC over HTTP/2 trailers needs Node.js.
 *
 * @packageDocumentation
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
export { createHttpClient } from "./web-http-client.js";
