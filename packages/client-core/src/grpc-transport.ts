/**
 * The gRPC half of the client core (Node.js only): connect-node's gRPC transport with the same
 * bearer-token auth, TLS options, per-attempt timeouts and retry rules as the REST client, plus
 * default and per-call metadata (caikit's `mm-model-id`, caikit-tgis.md §1.8).
 */
import type {
  DescMessage,
  DescMethodStreaming,
  DescMethodUnary,
  MessageInitShape,
} from "@bufbuild/protobuf";
import type {
  ContextValues,
  Interceptor,
  StreamResponse,
  Transport,
  UnaryResponse,
} from "@connectrpc/connect";
import { createGrpcTransport as createConnectGrpcTransport } from "@connectrpc/connect-node";
import { type AttemptSignal, startAttempt } from "./attempt-signal.js";
import { authorizationFor, type TokenSource } from "./auth.js";
import { grpcCallError } from "./connection-error.js";
import { mergeHeaders } from "./headers.js";
import { checkMaxRetries, checkTimeoutMs, invalidOption as invalid } from "./option-checks.js";
import { type RetryHooks, withRetries } from "./retry.js";
import { DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT_MS } from "./retry-policy.js";
import { loadTlsMaterial } from "./tls-material.js";
import type { TlsOptions } from "./tls-options.js";

/** How a gRPC client reaches its server. Every servingkit gRPC client takes these options. */
export interface GrpcClientOptions extends RetryHooks {
  /**
   * `host:port` (e.g. `127.0.0.1:8033`, `[::1]:8085`), plaintext h2c unless `tls` is set; or a
   * URL, `http://host:port` (plaintext) or `https://host:port` (TLS; system CAs unless `tls`
   * says otherwise). The platform's external routes are `https://...:443` (kserve-v2.md §5).
   */
  address: string;
  /** Bearer token, or a function returning one before each attempt; sent as `authorization`. */
  token?: TokenSource;
  /** `true` for TLS with the system's CAs, or TLS options (CA, client certificate, insecure). */
  tls?: TlsOptions | boolean;
  /** Metadata sent with every call; a call's own headers override it key by key. */
  metadata?: Record<string, string>;
  /**
   * Time limit of each attempt in milliseconds; default 600 000 (10 minutes). A unary call's
   * attempt is limited as a whole (and the server learns it as `grpc-timeout`); a streaming
   * call's attempt until its first message, after which the stream may run as long as it
   * lasts. A call's own `timeoutMs` replaces it. Worst case: (maxRetries + 1) * timeoutMs plus
   * the waits between attempts.
   */
  timeoutMs?: number;
  /**
   * Retries after the first attempt; default 2. Retried: UNAVAILABLE (including connection
   * failures), RESOURCE_EXHAUSTED and timed-out attempts; a stream only before its first
   * message; client- and bidi-streaming calls never (their input cannot be replayed).
   */
  maxRetries?: number;
  /** connect interceptors, run inside every attempt. */
  interceptors?: Interceptor[];
}

/** Where {@link grpcTarget} says a gRPC client connects, and whether over TLS. */
export interface GrpcTarget {
  /** The base URL for connect-node, `http://host:port` or `https://host:port`. */
  readonly baseUrl: string;
  /** Whether the connection uses TLS. */
  readonly secure: boolean;
}

/** `host:port`, the host a name, an IPv4 address or a bracketed IPv6 address. */
const HOST_PORT = /^(\[[\da-f:.]+\]|[\w.-]+):(\d{1,5})$/i;

/**
 * Reads `address` and `tls` into a connect-node base URL: `host:port` takes its scheme from
 * `tls`; a URL's scheme decides on its own, and contradicting it (`http://` with TLS options,
 * `https://` with `tls: false`) is an error, as is anything but `host:port` or an http(s) URL.
 */
export function grpcTarget(address: string, tls: TlsOptions | boolean | undefined): GrpcTarget {
  if (/^[a-z][a-z\d+\-.]*:\/\//i.test(address)) {
    let url: URL;
    try {
      url = new URL(address);
    } catch {
      throw invalid(`address is not a valid URL: "${address}"`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw invalid(`address must be host:port or an http(s) URL, got "${address}"`);
    }
    const secure = url.protocol === "https:";
    if (secure && tls === false) {
      throw invalid(`address "${address}" is https but tls is false`);
    }
    if (!secure && tls !== undefined && tls !== false) {
      throw invalid(`address "${address}" is plaintext http but TLS options are given`);
    }
    return { baseUrl: `${url.protocol}//${url.host}`, secure };
  }
  const match = HOST_PORT.exec(address);
  const port = Number(match?.[2]);
  if (match === null || port < 1 || port > 65_535) {
    throw invalid(`address must be host:port or an http(s) URL, got "${address}"`);
  }
  const secure = tls !== undefined && tls !== false;
  return { baseUrl: `${secure ? "https" : "http"}://${address}`, secure };
}

async function* single<T>(items: readonly T[]): AsyncGenerator<T> {
  yield* items;
}

async function collect<T>(input: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of input) {
    items.push(item);
  }
  return items;
}

/**
 * A stream's messages after the retry window: errors become `ServingkitError`s, the attempt's
 * time limit ends with the first message, and leaving early (or finishing) aborts the attempt,
 * which cancels the HTTP/2 stream. `first` is the message already read inside the retry window.
 */
async function* continueStream<T>(
  iterator: AsyncIterator<T>,
  first: IteratorResult<T> | undefined,
  attempt: AttemptSignal,
): AsyncGenerator<T> {
  const read = async (): Promise<IteratorResult<T>> => {
    try {
      const result = await iterator.next();
      attempt.clearTimeout();
      return result;
    } catch (thrown) {
      throw attempt.errorFor(thrown, grpcCallError);
    }
  };
  try {
    let next = first ?? (await read());
    while (next.done !== true) {
      yield next.value;
      next = await read();
    }
  } finally {
    attempt.abort();
    await iterator.return?.()?.catch(() => undefined);
  }
}

/**
 * Creates a connect `Transport` for gRPC over HTTP/2 (connect-node): plaintext h2c unless
 * `tls` is set (or the address is `https://`), bearer-token `authorization` and default
 * `metadata` on every call, per-attempt timeouts, and retries with the REST client's rules.
 * Use it with `createGrpcClient` (or connect's `createClient`). Everything it throws is a
 * `ServingkitError`; bad options throw `Code.InvalidArgument` at once.
 *
 * @example
 * const transport = createGrpcTransport({ address: "127.0.0.1:8085", metadata: { "mm-model-id": "flan-t5" } });
 * const client = createGrpcClient(NlpService, transport);
 */
export function createGrpcTransport(options: GrpcClientOptions): Transport {
  const target = grpcTarget(options.address, options.tls);
  const defaultTimeoutMs = checkTimeoutMs(options.timeoutMs, DEFAULT_TIMEOUT_MS);
  const maxRetries = checkMaxRetries(options.maxRetries, DEFAULT_MAX_RETRIES);
  const tlsOptions = typeof options.tls === "object" ? options.tls : {};
  const inner = createConnectGrpcTransport({
    baseUrl: target.baseUrl,
    ...(target.secure && { nodeOptions: loadTlsMaterial(tlsOptions) }),
    ...(options.interceptors !== undefined && { interceptors: options.interceptors }),
  });
  const hooks: RetryHooks = { sleep: options.sleep, random: options.random, now: options.now };

  async function headersFor(header: HeadersInit | undefined): Promise<Headers> {
    const authorization = await authorizationFor(options.token);
    return mergeHeaders({ authorization }, options.metadata, header);
  }

  return {
    async unary<I extends DescMessage, O extends DescMessage>(
      method: DescMethodUnary<I, O>,
      signal: AbortSignal | undefined,
      timeoutMs: number | undefined,
      header: HeadersInit | undefined,
      input: MessageInitShape<I>,
      contextValues?: ContextValues,
    ): Promise<UnaryResponse<I, O>> {
      const attemptTimeoutMs = checkTimeoutMs(timeoutMs, defaultTimeoutMs);
      return await withRetries({ ...hooks, maxRetries, signal }, async () => {
        const attempt = startAttempt(signal, attemptTimeoutMs);
        try {
          const headers = await headersFor(header);
          return await inner.unary(
            method,
            attempt.signal,
            attemptTimeoutMs,
            headers,
            input,
            contextValues,
          );
        } catch (thrown) {
          throw attempt.errorFor(thrown, grpcCallError);
        } finally {
          attempt.clearTimeout();
        }
      });
    },

    async stream<I extends DescMessage, O extends DescMessage>(
      method: DescMethodStreaming<I, O>,
      signal: AbortSignal | undefined,
      timeoutMs: number | undefined,
      header: HeadersInit | undefined,
      input: AsyncIterable<MessageInitShape<I>>,
      contextValues?: ContextValues,
    ): Promise<StreamResponse<I, O>> {
      const attemptTimeoutMs = checkTimeoutMs(timeoutMs, defaultTimeoutMs);
      const open = async (
        requests: AsyncIterable<MessageInitShape<I>>,
        attempt: AttemptSignal,
      ): Promise<StreamResponse<I, O>> =>
        await inner.stream(
          method,
          attempt.signal,
          undefined,
          await headersFor(header),
          requests,
          contextValues,
        );
      if (method.methodKind !== "server_streaming") {
        // Client and bidi streams: the input cannot be replayed, so one attempt, and the first
        // message is not awaited here (the server may wait for more input before answering).
        const attempt = startAttempt(signal, attemptTimeoutMs);
        try {
          const response = await open(input, attempt);
          const iterator = response.message[Symbol.asyncIterator]();
          return { ...response, message: continueStream(iterator, undefined, attempt) };
        } catch (thrown) {
          attempt.abort();
          throw attempt.errorFor(thrown, grpcCallError);
        }
      }
      const requests = await collect(input);
      return await withRetries({ ...hooks, maxRetries, signal }, async () => {
        const attempt = startAttempt(signal, attemptTimeoutMs);
        try {
          const response = await open(single(requests), attempt);
          const iterator = response.message[Symbol.asyncIterator]();
          const first = await iterator.next();
          attempt.clearTimeout();
          return { ...response, message: continueStream(iterator, first, attempt) };
        } catch (thrown) {
          attempt.abort();
          throw attempt.errorFor(thrown, grpcCallError);
        }
      });
    },
  };
}
