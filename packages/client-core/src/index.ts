/**
 * `@servingkit/client-core`: the one client core every servingkit client stands on. Errors,
 * retries, timeouts, abort, bearer-token auth, TLS, SSE decoding (REST) and gRPC transports.
 * This is the Node.js entry point; browsers and edge runtimes resolve `./browser.js` instead
 * (the same API without TLS options and gRPC).
 *
 * @packageDocumentation
 */

export type { TokenSource } from "./auth.js";
// For end users.
export { Code, codeFromName, codeName, grpcStatusName, parseCode } from "./code.js";
export { describeErrorBody, type ErrorBodyFacts } from "./error-envelope.js";
// For other servingkit packages (mock hosts, contract suite, protocol clients).
export { abortOnExit, createGrpcClient } from "./grpc-client.js";
export {
  createGrpcTransport,
  type GrpcClientOptions,
  type GrpcTarget,
  grpcTarget,
} from "./grpc-transport.js";
export type { HeadersLike } from "./headers.js";
export { mergeHeaders } from "./headers.js";
export type {
  CallOptions,
  ClientOptions,
  FetchInit,
  HttpClient,
  RequestOptions,
} from "./http-client.js";
export { createHttpClient } from "./node-http-client.js";
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
export { loadTlsMaterial, type TlsMaterial } from "./tls-material.js";
export type { TlsOptions } from "./tls-options.js";
export type { QueryParams, QueryValue } from "./url.js";
export { joinUrl } from "./url.js";
