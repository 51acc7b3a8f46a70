import { ConnectError } from "@connectrpc/connect";
import { Code, codeName } from "./code.js";
import { describeErrorBody } from "./error-envelope.js";
import { shouldRetry } from "./retry-policy.js";
import { codeFromHttpStatus } from "./status-mapping.js";

/**
 * Marks servingkit errors across copies of this package: two bundles, or an app and a library
 * that each installed their own copy, share `Symbol.for` keys, so `instanceof` keeps working.
 */
const brand = Symbol.for("@servingkit/client-core/ServingkitError");

/** Everything about a {@link ServingkitError} beyond its message and code. */
export interface ServingkitErrorOptions {
  /** The HTTP status received (or stated by an in-band stream error). */
  readonly httpStatus?: number | undefined;
  /** The gRPC status the server sent, when the failure came from a gRPC call. */
  readonly grpcCode?: Code | undefined;
  /** Overrides the derived {@link ServingkitError.retryable}. */
  readonly retryable?: boolean | undefined;
  /** Response headers and trailers (HTTP headers, gRPC metadata). */
  readonly metadata?: HeadersInit | undefined;
  /** The parsed response body, when there was one. */
  readonly body?: unknown;
  /** The underlying error, for logging. */
  readonly cause?: unknown;
}

/** What {@link ServingkitError.fromHttpResponse} needs from an HTTP error response. */
export interface HttpErrorInput {
  /** The HTTP status, e.g. 404. */
  readonly status: number;
  /** The reason phrase, used in the message when the body has none. */
  readonly statusText?: string | undefined;
  /** The response headers. */
  readonly headers?: HeadersInit | undefined;
  /** The body, parsed as JSON when it was JSON, else its text, else `undefined`. */
  readonly body?: unknown;
  /** The underlying error, for logging. */
  readonly cause?: unknown;
}

interface ErrorLike {
  readonly name: string;
  readonly message: string;
}

function isErrorLike(value: unknown): value is ErrorLike {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { name?: unknown }).name === "string" &&
    typeof (value as { message?: unknown }).message === "string"
  );
}

/**
 * The one error type of every servingkit client, REST or gRPC. Callers branch on `code` (the
 * closed set of 16 gRPC codes), never on message text:
 * - `Code.Canceled`: the caller aborted (never retried);
 * - `Code.DeadlineExceeded`: an attempt ran past its timeout (retried);
 * - `Code.Unavailable` without `httpStatus`: the connection failed (retried);
 * - anything with `httpStatus`: the server answered with that status; `code` is mapped from it.
 *
 * The message starts with the code in brackets (`[unavailable] connect ECONNREFUSED ...`), so
 * devtools and logs show the code first; `rawMessage` is the text without it.
 */
export class ServingkitError extends Error {
  /** The error's code; for HTTP responses mapped from the status by `codeFromHttpStatus`. */
  readonly code: Code;
  /** The HTTP status received, or the one an in-band stream error states; `undefined` for gRPC. */
  readonly httpStatus: number | undefined;
  /** The gRPC status the server sent; `undefined` for REST and for local failures. */
  readonly grpcCode: Code | undefined;
  /** Whether another attempt may succeed (see `shouldRetry`); the retry loop obeys it. */
  readonly retryable: boolean;
  /** The message without the `[code]` prefix. */
  readonly rawMessage: string;
  /** Response headers and trailers (HTTP headers or gRPC metadata); empty when none arrived. */
  readonly metadata: Headers;
  /** The parsed response body (JSON value, or text), when the server sent one. */
  readonly body: unknown;
  /** The underlying error, kept for logging. */
  override readonly cause: unknown;
  override name = "ServingkitError";

  /**
   * @param message What went wrong, without the code (the prefix is added).
   * @param code The error's code; default `Code.Unknown`.
   * @param options Status, metadata, body, cause; `retryable` is derived unless given.
   */
  constructor(message: string, code: Code = Code.Unknown, options: ServingkitErrorOptions = {}) {
    super(message.length > 0 ? `[${codeName(code)}] ${message}` : `[${codeName(code)}]`);
    this.code = code;
    this.rawMessage = message;
    this.httpStatus = options.httpStatus;
    this.grpcCode = options.grpcCode;
    this.metadata = new Headers(options.metadata);
    this.body = options.body;
    this.cause = options.cause;
    this.retryable =
      options.retryable ??
      shouldRetry({ code, httpStatus: options.httpStatus, headers: this.metadata });
  }

  /**
   * Normalises anything thrown into a `ServingkitError`:
   * - a `ServingkitError` (from any copy of this package) is returned as it is;
   * - a `ConnectError` keeps its code and metadata (`grpcCode` is set when it came off the wire);
   * - an `AbortError` (an aborted signal, fetch) becomes `Code.Canceled`;
   * - a `TimeoutError` (`AbortSignal.timeout`) becomes `Code.DeadlineExceeded`;
   * - any other error or value becomes `code` (default `Code.Unknown`) with it as the cause.
   */
  static from(reason: unknown, code: Code = Code.Unknown): ServingkitError {
    if (reason instanceof ServingkitError) {
      return reason;
    }
    if (reason instanceof ConnectError) {
      return new ServingkitError(reason.rawMessage, reason.code, {
        grpcCode: reason.isWireError ? reason.code : undefined,
        metadata: reason.metadata,
        cause: reason,
      });
    }
    if (isErrorLike(reason)) {
      if (reason.name === "AbortError") {
        return new ServingkitError(reason.message || "the operation was aborted", Code.Canceled, {
          cause: reason,
        });
      }
      if (reason.name === "TimeoutError") {
        return new ServingkitError(
          reason.message || "the operation timed out",
          Code.DeadlineExceeded,
          { cause: reason },
        );
      }
      return new ServingkitError(reason.message, code, { cause: reason });
    }
    return new ServingkitError(String(reason), code, { cause: reason });
  }

  /**
   * The error for an HTTP response with a non-2xx status: `code` mapped from the status, the
   * message taken from the body's error envelope (vLLM, KServe v2, caikit, plain text), else
   * `HTTP <status> <reason>`; `retryable` follows the status and `x-should-retry`.
   */
  static fromHttpResponse(input: HttpErrorInput): ServingkitError {
    const statusLine = `HTTP ${input.status}${input.statusText ? ` ${input.statusText}` : ""}`;
    const message = describeErrorBody(input.body).message ?? statusLine;
    return new ServingkitError(message, codeFromHttpStatus(input.status), {
      httpStatus: input.status,
      metadata: input.headers,
      body: input.body,
      cause: input.cause,
    });
  }

  /**
   * `instanceof ServingkitError` is true for errors made by any copy of this package (they carry
   * the same `Symbol.for` brand); subclasses keep the ordinary prototype check.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class asked about; a subclass keeps the prototype check
    if (this !== ServingkitError) {
      // biome-ignore lint/complexity/noThisInStatic: as above
      return Function.prototype[Symbol.hasInstance].call(this, value);
    }
    return (
      typeof value === "object" &&
      value !== null &&
      (value as Record<symbol, unknown>)[brand] === true
    );
  }
}

Object.defineProperty(ServingkitError.prototype, brand, { value: true });
