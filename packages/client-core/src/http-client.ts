/**
 * The REST half of the client core: one `fetch`-based client with bearer-token auth, per-attempt
 * timeouts linked to the caller's signal, openai-node-style retries, error envelopes read into
 * `ServingkitError`s, and SSE streams. Universal: it imports nothing Node-only; the Node entry
 * point hands it a loader for TLS options (`node-http-client.ts`).
 */
import { type AttemptSignal, startAttempt } from "./attempt-signal.js";
import { authorizationFor, type TokenSource } from "./auth.js";
import { Code } from "./code.js";
import { connectionError, describeThrown } from "./connection-error.js";
import { type HeadersLike, mergeHeaders } from "./headers.js";
import { checkMaxRetries, checkTimeoutMs, invalidOption as invalid } from "./option-checks.js";
import { type RetryHooks, withRetries } from "./retry.js";
import { DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT_MS, shouldRetry } from "./retry-policy.js";
import { ServingkitError } from "./servingkit-error.js";
import { readSseEvents } from "./sse-decoder.js";
import { type SseEvent, SseStream } from "./sse-stream.js";
import { codeFromHttpStatus } from "./status-mapping.js";
import type { TlsFetch, TlsFetchLoader, TlsOptions } from "./tls-options.js";
import { joinUrl, type QueryParams } from "./url.js";

/** How a REST client reaches its server. Every servingkit REST client takes these options. */
export interface ClientOptions extends RetryHooks {
  /**
   * Where the runtime answers, e.g. `https://my-model-my-project.apps.example.com` or
   * `http://127.0.0.1:8080`; paths are appended to it, so a prefix is kept.
   */
  baseUrl: string;
  /** Bearer token, or a function returning one before each attempt; sent as `Authorization`. */
  token?: TokenSource;
  /**
   * The `fetch` to use, for browsers, edge runtimes, msw or tests; default: the global `fetch`,
   * looked up on each call. Cannot be combined with `tls` (configure TLS in the fetch instead).
   */
  fetch?: typeof globalThis.fetch;
  /** TLS settings (Node.js only): trusted CA, client certificate, `insecure`. */
  tls?: TlsOptions;
  /**
   * Time limit of each attempt in milliseconds; default 600 000 (10 minutes, as openai-node).
   * It covers what a retry can repeat: until the response headers (`fetch`, `request`), until
   * the body is parsed (`json`), until the first event (`stream`). Worst case for one call:
   * (maxRetries + 1) * timeoutMs plus the waits between attempts (each at most 60 s).
   */
  timeoutMs?: number;
  /** Retries after the first attempt; default 2 (openai-node). 0 disables retries. */
  maxRetries?: number;
  /** Headers sent with every request; `null` removes a built-in one (e.g. `accept`). */
  headers?: Record<string, string | null>;
}

/** Per-call options every method takes. */
export interface CallOptions {
  /** Query parameters appended to the URL; arrays repeat the key. */
  query?: QueryParams;
  /** Headers for this call; they override the client's, and `null` removes one. */
  headers?: HeadersLike;
  /** Aborts the call (every attempt and the wait between them) with `Code.Canceled`. */
  signal?: AbortSignal;
  /** Time limit of each attempt of this call in milliseconds; default the client's. */
  timeoutMs?: number;
}

/** Options of the retrying methods (`request`, `json`, `stream`). */
export interface RequestOptions extends CallOptions {
  /** HTTP method; default `POST` when a body is given, else `GET`. */
  method?: string;
  /** A JSON request body: serialised, sent with `content-type: application/json`. */
  json?: unknown;
  /** A raw request body. A `ReadableStream` (or async iterable) body is never retried. */
  body?: BodyInit | null;
  /** Retries for this call; default the client's. */
  maxRetries?: number;
}

/** Options of the raw {@link HttpClient.fetch}: `RequestInit` plus the per-call options. */
export type FetchInit = Omit<RequestInit, "headers" | "signal"> & CallOptions;

/** A REST client bound to one base URL; create it with `createHttpClient`. */
export interface HttpClient {
  /** The base URL every path is appended to. */
  readonly baseUrl: string;
  /** The full URL for a path and query, as the client would request it. */
  url(path: string, query?: QueryParams): string;
  /**
   * A raw call: base URL joined, auth header, TLS, per-attempt timeout and signal, but no
   * retries and no status check; resolves with any HTTP status. The contract suite uses it to
   * assert exact statuses, headers and bodies. Rejects only with connection errors
   * (`Code.Unavailable`), timeouts (`Code.DeadlineExceeded`) and aborts (`Code.Canceled`).
   */
  fetch(path: string, init?: FetchInit): Promise<Response>;
  /**
   * A retrying call that resolves with the 2xx `Response` (body unread) and throws a
   * `ServingkitError` for any other status, carrying the parsed error body.
   */
  request(path: string, options?: RequestOptions): Promise<Response>;
  /**
   * A retrying call that parses the 2xx body as JSON (an empty body yields `undefined`); a body
   * that is not JSON throws `Code.Internal`. The type parameter is not checked at run time.
   */
  json<T = unknown>(path: string, options?: RequestOptions): Promise<T>;
  /**
   * A server-sent-events call, sent when iteration starts (default `accept: text/event-stream`).
   * It is retried like `request` until the first event arrives, never after; `break` aborts the
   * request; `[DONE]` ends it; in-band error events are thrown. Single use.
   */
  stream(path: string, options?: RequestOptions): SseStream;
  /** Releases the client's own connection pool (created for TLS options); idempotent. */
  close(): Promise<void>;
}

function isStreamingBody(body: unknown): boolean {
  return (
    typeof body === "object" &&
    body !== null &&
    (typeof (body as ReadableStream).getReader === "function" ||
      Symbol.asyncIterator in (body as object))
  );
}

function parseBodyText(text: string): unknown {
  if (text.trim().length === 0) {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * The error for a non-2xx response. When the status is retryable and retries are left, the body
 * is cancelled unread (the connection is released before the wait), as openai-node does; the
 * last attempt reads the body so the error carries it.
 */
async function errorFromResponse(response: Response, mayRetry: boolean): Promise<ServingkitError> {
  const { status, statusText, headers } = response;
  if (mayRetry && shouldRetry({ code: codeFromHttpStatus(status), httpStatus: status, headers })) {
    await response.body?.cancel().catch(() => undefined);
    return ServingkitError.fromHttpResponse({ status, statusText, headers });
  }
  const body = parseBodyText(await response.text());
  return ServingkitError.fromHttpResponse({ status, statusText, headers, body });
}

async function readJson<T>(response: Response): Promise<T> {
  const text = await response.text();
  if (text.trim().length === 0) {
    return undefined as T;
  }
  try {
    return JSON.parse(text) as T;
  } catch (cause) {
    throw new ServingkitError(
      `the response body is not JSON: ${text.slice(0, 200)}`,
      Code.Internal,
      { metadata: response.headers, body: text, cause, retryable: false },
    );
  }
}

/**
 * Checks that a 2xx answer to a stream request is `text/event-stream` (a missing content type is
 * given the benefit of the doubt). A JSON answer, e.g. from a server that ignored `stream: true`
 * or from a proxy, would otherwise decode as zero events and look like an empty stream; it
 * throws `Code.Internal` with the body instead.
 */
async function expectEventStream(response: Response): Promise<void> {
  const type = response.headers.get("content-type");
  if (type === null || /^\s*text\/event-stream\s*(;|$)/i.test(type)) {
    return;
  }
  const body = parseBodyText(await response.text());
  throw new ServingkitError(`expected a text/event-stream response, got ${type}`, Code.Internal, {
    metadata: response.headers,
    body,
    retryable: false,
  });
}

interface EncodedBody {
  readonly body: BodyInit | null | undefined;
  readonly contentType: string | undefined;
}

function encodeBody(options: RequestOptions): EncodedBody {
  if (options.json !== undefined) {
    if (options.body !== undefined) {
      throw invalid("give a request body as json or as body, not both");
    }
    let text: string;
    try {
      text = JSON.stringify(options.json);
    } catch (cause) {
      throw new ServingkitError(
        `the json body cannot be serialised: ${describeThrown(cause)}`,
        Code.InvalidArgument,
        { cause, retryable: false },
      );
    }
    return { body: text, contentType: "application/json" };
  }
  return { body: options.body, contentType: undefined };
}

interface OpenedStream {
  readonly events: AsyncGenerator<SseEvent, void, undefined>;
  readonly first: IteratorResult<SseEvent, void>;
  readonly attempt: AttemptSignal;
}

/**
 * Builds an {@link HttpClient}; `loadTlsFetch` is how this entry point honours `tls` options
 * (the Node entry passes one, browsers none). Entry points wrap it as `createHttpClient`.
 */
export function createHttpClientWith(
  options: ClientOptions,
  loadTlsFetch: TlsFetchLoader | undefined,
): HttpClient {
  let parsed: URL;
  try {
    parsed = new URL(options.baseUrl);
  } catch {
    throw invalid(`baseUrl must be an absolute http(s) URL, got "${String(options.baseUrl)}"`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw invalid(`baseUrl must be an http(s) URL, got "${options.baseUrl}"`);
  }
  if (options.tls !== undefined && options.fetch !== undefined) {
    throw invalid(
      "tls options and an injected fetch cannot be combined; configure TLS in the fetch",
    );
  }
  if (options.tls !== undefined && loadTlsFetch === undefined) {
    throw invalid(
      "tls options need Node.js; browsers and edge runtimes use the platform's trust store",
    );
  }
  const baseUrl = options.baseUrl;
  const clientTimeoutMs = checkTimeoutMs(options.timeoutMs, DEFAULT_TIMEOUT_MS);
  const clientMaxRetries = checkMaxRetries(options.maxRetries, DEFAULT_MAX_RETRIES);
  const hooks: RetryHooks = { sleep: options.sleep, random: options.random, now: options.now };
  let tlsFetch: Promise<TlsFetch> | undefined;

  async function fetchFunction(): Promise<typeof globalThis.fetch> {
    if (options.fetch !== undefined) {
      return options.fetch;
    }
    if (options.tls !== undefined && loadTlsFetch !== undefined) {
      tlsFetch ??= loadTlsFetch(options.tls);
      return (await tlsFetch).fetch;
    }
    return globalThis.fetch;
  }

  async function headersFor(
    call: HeadersLike | undefined,
    builtIn: Record<string, string | undefined>,
  ): Promise<Headers> {
    const authorization = await authorizationFor(options.token);
    return mergeHeaders({ ...builtIn, authorization }, options.headers, call);
  }

  async function send(url: string, init: RequestInit, attempt: AttemptSignal): Promise<Response> {
    const fetchImpl = await fetchFunction();
    return await fetchImpl(url, { ...init, signal: attempt.signal });
  }

  /**
   * The retrying core of `request`, `json` and `stream`: one attempt sends, checks the status and
   * runs `read` within the attempt's time limit; failures become `ServingkitError`s that the
   * retry loop judges.
   */
  async function retrying<T>(
    path: string,
    options: RequestOptions,
    accept: string,
    read: (response: Response, attempt: AttemptSignal) => Promise<T>,
  ): Promise<T> {
    const url = joinUrl(baseUrl, path, options.query);
    const { body, contentType } = encodeBody(options);
    const streamingBody = isStreamingBody(body);
    const method = options.method ?? (body !== undefined && body !== null ? "POST" : "GET");
    const timeoutMs = checkTimeoutMs(options.timeoutMs, clientTimeoutMs);
    const maxRetries = streamingBody ? 0 : checkMaxRetries(options.maxRetries, clientMaxRetries);
    return await withRetries(
      { ...hooks, maxRetries, signal: options.signal },
      async ({ retriesLeft }) => {
        const attempt = startAttempt(options.signal, timeoutMs);
        try {
          const headers = await headersFor(options.headers, {
            accept,
            "content-type": contentType,
          });
          const response = await send(
            url,
            { method, headers, body, ...(streamingBody && { duplex: "half" }) },
            attempt,
          );
          if (!response.ok) {
            throw await errorFromResponse(response, retriesLeft > 0);
          }
          return await read(response, attempt);
        } catch (thrown) {
          attempt.abort();
          throw attempt.errorFor(thrown, connectionError);
        } finally {
          attempt.clearTimeout();
        }
      },
    );
  }

  async function* streamEvents(
    path: string,
    options: RequestOptions,
  ): AsyncGenerator<SseEvent, void, undefined> {
    const opened = await retrying<OpenedStream>(
      path,
      options,
      "text/event-stream",
      async (response, attempt) => {
        await expectEventStream(response);
        const events = readSseEvents(response.body, { headers: response.headers });
        const first = await events.next();
        return { events, first, attempt };
      },
    );
    const { events, attempt } = opened;
    try {
      let next = opened.first;
      while (next.done !== true) {
        yield next.value;
        try {
          next = await events.next();
        } catch (thrown) {
          throw attempt.errorFor(thrown, connectionError);
        }
      }
    } finally {
      attempt.abort();
      await events.return(undefined);
    }
  }

  return {
    baseUrl,
    url: (path, query) => joinUrl(baseUrl, path, query),
    async fetch(path, init = {}) {
      const { query, headers, signal, timeoutMs, ...rest } = init;
      const attempt = startAttempt(signal, checkTimeoutMs(timeoutMs, clientTimeoutMs));
      try {
        const merged = await headersFor(headers, {});
        return await send(joinUrl(baseUrl, path, query), { ...rest, headers: merged }, attempt);
      } catch (thrown) {
        throw attempt.errorFor(thrown, connectionError);
      } finally {
        attempt.clearTimeout();
      }
    },
    request: (path, options = {}) =>
      retrying(path, options, "application/json", async (response) => response),
    json: <T>(path: string, options: RequestOptions = {}) =>
      retrying(path, options, "application/json", (response) => readJson<T>(response)),
    stream: (path, options = {}) => new SseStream(() => streamEvents(path, options)),
    async close() {
      const pending = tlsFetch;
      tlsFetch = undefined;
      if (pending !== undefined) {
        await (await pending.catch(() => undefined))?.close();
      }
    },
  };
}
