/**
 * A runtime's REST surface as a host-neutral route table: method + path pattern + a handler from
 * a plain request (method, path, params, headers, body, signal) to a plain reply (status, headers,
 * text, bytes or a stream). The fastify host registers a table with {@link registerRestRouteTable};
 * other hosts (msw in `@servingkit/msw`) match requests with {@link matchRestRoute} and call the
 * same handlers, so one behaviour lives in one place whichever host serves it.
 */
import type { ServerResponse } from "node:http";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { FaultSpec } from "./fault.js";
import { parseJsonBody } from "./json-body.js";
import type { BodyError, PluginContext } from "./plugin.js";
import type { Readiness } from "./readiness.js";
import { type BodyPadding, BodyPool, requestBodyParser } from "./request-body.js";
import { requestHeaders, sendCanned } from "./rest-host.js";
import type { RuntimeInfo } from "./runtime-catalog.js";

export { type ResolvedHooks, resolveHooks } from "./plugin.js";

/** The methods a route table routes (GET routes also answer HEAD, as fastify and FastAPI do). */
export type RestMethod = "GET" | "POST" | "PUT" | "DELETE" | "PATCH" | "OPTIONS";

/** Methods probed to tell a wrong method (405) from an unknown path (404), as the fastify host does. */
export const restProbeMethods = [
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "DELETE",
  "PATCH",
  "OPTIONS",
] as const;

/** What a host knows about a request before reading its body (for {@link RestRouteTable.onRequest}). */
export interface RestRequestHead {
  /** Upper-case HTTP method. */
  readonly method: string;
  /** The URL path without the query, as sent (not decoded). */
  readonly path: string;
  /** Request headers, lower-case names; repeated headers joined with `, `. */
  readonly headers: Readonly<Record<string, string | undefined>>;
}

/** A request as a route handler reads it. */
export interface RestRouteRequest extends RestRequestHead {
  /** Values of the pattern's `:name` segments, URL-decoded. */
  readonly params: Readonly<Record<string, string>>;
  /** Query parameters; a repeated key gives an array. */
  readonly query: Readonly<Record<string, string | readonly string[] | undefined>>;
  /**
   * The body as the host's parser left it: for a route of a table with
   * {@link RestRouteTable.rawBodies}, always the bytes (empty when none); otherwise the parsed
   * JSON value for an `application/json` body (undefined when empty) and the bytes for any other
   * content type. Malformed JSON never reaches a handler: the host answers it (`bodyError` hook).
   */
  readonly body: unknown;
  /**
   * Aborts when the client leaves before the answer is complete. Host shutdown is the plugin
   * context's `shutdownSignal`, which routes combine with this one where they must stop, unless
   * {@link RestRouteRequest.signalCoversShutdown} says this signal already aborts on it.
   */
  readonly signal: AbortSignal;
  /**
   * true when {@link RestRouteRequest.signal} also aborts when the host shuts down (a table with
   * {@link RestRouteTable.abortOnShutdown} on a host that has a shutdown signal): a route needs no
   * signal of its own to stop on shutdown. Absent or false: it aborts only when the client leaves.
   */
  readonly signalCoversShutdown?: boolean;
  /**
   * Whether {@link RestRouteRequest.signal} would be aborted if read now, found without making
   * it (the fastify host makes its signal on first read): a route whose work may end before the
   * event loop turns asks this instead, and makes the signal only when it must wait. Absent:
   * read `signal.aborted`.
   */
  readonly signalAborted?: boolean;
}

/**
 * A body: text (UTF-8), bytes, or a stream of chunks sent as they come. `""` is no body. A stream
 * may also offer the push form ({@link PushStreamBody}), which the fastify host uses when present
 * (no promise per chunk); hosts that read streams as async iterables (msw) need not know of it.
 */
export type RestBody = string | Uint8Array | AsyncIterable<Uint8Array | string>;

/**
 * Where a push-form stream body ({@link PushStreamBody}) hands its chunks: the host's response.
 * After `end` or `fail` the body calls nothing more.
 */
export interface StreamSink {
  /**
   * Writes one chunk. false: the response's buffer is full; the body writes no more chunks (of
   * later events) until {@link StreamPush.resume}, as an async iterable is not asked for more.
   * Chunks made in the same turn as the false may still be written.
   */
  write(chunk: Uint8Array | string): boolean;
  /** The body is complete: the response ends. */
  end(): void;
  /** The body failed after the headers: the host drops the connection, as for a failing stream. */
  fail(error: unknown): void;
}

/** A push started by {@link PushStreamBody.pushTo}: what the host tells the body. */
export interface StreamPush {
  /** The sink takes chunks again, after a `write` answered false. */
  resume(): void;
  /**
   * The response is gone (the client left, or a `cut-after` fault cut it): the body stops, calls
   * the sink no more, and frees its source (an engine run is closed).
   */
  close(): void;
}

/**
 * The push form of a stream body: the body writes each chunk into the host's sink as its source
 * makes it, so a chunk costs no promise and no microtask (an async iterable's `next` costs one
 * each). Offered beside `[Symbol.asyncIterator]` by bodies on hot streaming paths (the vLLM SSE
 * stream); the fastify host prefers it ({@link writeStreamBody}).
 */
export interface PushStreamBody {
  /** Starts the body into `sink`; the sink may be called before `pushTo` returns. Call once. */
  pushTo(sink: StreamSink): StreamPush;
}

/**
 * `body` with `release` called once when its answer is over: the stream ended or failed, or its
 * reader left (an iterator's `return`, a push's `close`), for counts of answers in flight (vLLM's
 * `/load` counts a stream until it ends). The push form is kept when `body` offers it, so a host
 * still pipes it; the iterator form costs one `then` per chunk, the push form one call.
 */
export function untilStreamEnd<T extends Uint8Array | string>(
  body: AsyncIterable<T>,
  release: () => void,
): AsyncIterable<T> {
  let released = false;
  const once = (): void => {
    if (!released) {
      released = true;
      release();
    }
  };
  // Made once per body, not per chunk.
  const passResult = (result: IteratorResult<T>): IteratorResult<T> => {
    if (result.done) once();
    return result;
  };
  const passError = (error: unknown): never => {
    once();
    throw error;
  };
  const iterate = (): AsyncIterator<T> => {
    const source = body[Symbol.asyncIterator]();
    return {
      next: () => source.next().then(passResult, passError),
      return: async (value?: unknown) => {
        once();
        return (await source.return?.(value)) ?? { done: true, value: undefined };
      },
    };
  };
  if (!isPushStreamBody(body)) return { [Symbol.asyncIterator]: iterate };
  const pushable: AsyncIterable<T> & PushStreamBody = {
    [Symbol.asyncIterator]: iterate,
    pushTo: (sink) => new ReleasingPush(sink, once).start(body),
  };
  return pushable;
}

/** {@link untilStreamEnd}'s push form: the host's sink and the body's push, `release` between. */
class ReleasingPush implements StreamSink, StreamPush {
  readonly #sink: StreamSink;
  readonly #release: () => void;
  #push: StreamPush | undefined;

  constructor(sink: StreamSink, release: () => void) {
    this.#sink = sink;
    this.#release = release;
  }

  start(body: PushStreamBody): StreamPush {
    this.#push = body.pushTo(this);
    return this;
  }

  write(chunk: Uint8Array | string): boolean {
    return this.#sink.write(chunk);
  }

  end(): void {
    this.#release();
    this.#sink.end();
  }

  fail(error: unknown): void {
    this.#release();
    this.#sink.fail(error);
  }

  resume(): void {
    this.#push?.resume();
  }

  close(): void {
    this.#release();
    this.#push?.close();
  }
}

/** Whether a stream body offers the push form ({@link PushStreamBody}). */
export function isPushStreamBody(body: object): body is PushStreamBody {
  return typeof (body as Partial<PushStreamBody>).pushTo === "function";
}

/** A handler's answer. */
export interface RestRouteReply {
  /** HTTP status code. */
  readonly status: number;
  /** Response headers, lower-case names, sent exactly as given. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The body; a stream is cut by the host's `cut-after` fault. */
  readonly body: RestBody;
}

/** One route. */
export interface RestRoute {
  /** The method it answers. */
  readonly method: RestMethod;
  /** The path pattern: literal segments and `:name` parameters (one segment each), fastify style. */
  readonly path: string;
  /**
   * The route keeps no reference to its request body (nor views of it) once its answer has been
   * written, so the fastify host may reuse a large body's memory for a later request (default
   * false). The answer itself may be views of the body (an identity model's tensor): the memory
   * goes back only when the response has finished, never when the client leaves first.
   */
  readonly pooledBody?: boolean;
  /** Answers a request; a thrown error is the host's 500 in the runtime's envelope. */
  handle(request: RestRouteRequest): RestRouteReply | Promise<RestRouteReply>;
}

/** A runtime's REST surface. */
export interface RestRouteTable {
  /** The routes, in registration order. */
  readonly routes: readonly RestRoute[];
  /**
   * Every body reaches the handlers as bytes, whatever its content type (default false: JSON
   * bodies are parsed by the host, see {@link RestRouteRequest.body}).
   */
  readonly rawBodies?: boolean;
  /**
   * With {@link RestRouteTable.rawBodies}: bytes (0-7) the fastify host leaves before each body, from
   * the request's headers, so that a part of the body the runtime views as typed arrays starts on
   * an 8-byte boundary (KServe's binary tensors after their JSON header). Default: none. Hosts
   * that do not place bodies themselves (msw) ignore it: the bytes are the same either way.
   */
  readonly bodyPadding?: BodyPadding;
  /**
   * Runs for every request to one of the table's routes before its body is read (a runtime's own
   * middleware, e.g. vLLM's `--api-key`); a reply answers the request instead of the route.
   */
  onRequest?(head: RestRequestHead): RestRouteReply | undefined;
  /**
   * The routes' request signal also aborts, with the shutdown's reason, when the host shuts down
   * (default false: only when the client leaves). One signal per request then serves both, where
   * a route would otherwise make a second one to combine them (about 1-2 µs a request); a host
   * that honours it says so in {@link RestRouteRequest.signalCoversShutdown}.
   */
  readonly abortOnShutdown?: boolean;
}

/** What a route table needs from its host. */
export type RestRouteHost = Pick<PluginContext, "clock" | "runtime" | "shutdownSignal">;

/** The outcome of matching a request against a table. */
export type RestRouteMatch =
  | { readonly kind: "route"; readonly route: RestRoute; readonly params: Record<string, string> }
  | { readonly kind: "method-not-allowed"; readonly allowed: readonly string[] }
  | { readonly kind: "not-found" };

type Segments = readonly string[];

function segmentsOf(path: string): Segments {
  return path.split("/");
}

/** The params of `path` under `pattern`, or undefined when it does not match. */
function matchPattern(pattern: Segments, path: Segments): Record<string, string> | undefined {
  if (pattern.length !== path.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of pattern.entries()) {
    const actual = path[i] ?? "";
    if (part.startsWith(":")) {
      if (actual === "") return undefined;
      try {
        params[part.slice(1)] = decodeURIComponent(actual);
      } catch {
        return undefined;
      }
    } else if (part !== actual) return undefined;
  }
  return params;
}

/** Literal segments rank before parameters, segment by segment (fastify's router order). */
function moreSpecific(a: Segments, b: Segments): number {
  for (const [i, part] of a.entries()) {
    const aParam = part.startsWith(":");
    const bParam = (b[i] ?? "").startsWith(":");
    if (aParam !== bParam) return aParam ? 1 : -1;
  }
  return 0;
}

function routesFor(
  routes: readonly RestRoute[],
  method: string,
  path: Segments,
): { route: RestRoute; params: Record<string, string> } | undefined {
  const wanted = method === "HEAD" ? "GET" : method;
  let best: { route: RestRoute; params: Record<string, string>; pattern: Segments } | undefined;
  for (const route of routes) {
    if (route.method !== wanted) continue;
    const pattern = segmentsOf(route.path);
    const params = matchPattern(pattern, path);
    if (!params) continue;
    if (!best || moreSpecific(pattern, best.pattern) < 0) best = { route, params, pattern };
  }
  return best;
}

/**
 * Matches a request against routes: the most specific route of that method (HEAD finds GET
 * routes), else the methods the path has (a 405), else not found. `path` excludes the query.
 */
export function matchRestRoute(
  routes: readonly RestRoute[],
  method: string,
  path: string,
): RestRouteMatch {
  const segments = segmentsOf(path);
  const found = routesFor(routes, method, segments);
  if (found) return { kind: "route", ...found };
  const allowed = restProbeMethods.filter(
    (probe) => probe !== method && routesFor(routes, probe, segments) !== undefined,
  );
  return allowed.length > 0 ? { kind: "method-not-allowed", allowed } : { kind: "not-found" };
}

/**
 * A runtime's health routes from its catalog entry as a route table: liveness answers while the
 * process is up, readiness follows `readiness` (always ready when none is given).
 */
export function healthRouteTable(info: RuntimeInfo, readiness?: Readiness): RestRouteTable {
  return {
    routes: info.healthRoutes.flatMap((route) =>
      route.methods.map(
        (method): RestRoute => ({
          method,
          path: route.path,
          handle: () =>
            route.kind === "live" || (readiness?.ready ?? true) ? route.ready : route.notReady,
        }),
      ),
    ),
  };
}

/** Query parameters as fastify's default parser gives them (repeated keys as arrays). */
export function queryRecord(
  search: URLSearchParams,
): Record<string, string | readonly string[] | undefined> {
  const query: Record<string, string | string[]> = {};
  for (const key of new Set(search.keys())) {
    const values = search.getAll(key);
    query[key] = values.length === 1 ? (values[0] ?? "") : values;
  }
  return query;
}

/** What {@link hostBody} reads. */
export interface HostBodyInput {
  /** Upper-case HTTP method. */
  readonly method: string;
  /** The `Content-Type` header, if any. */
  readonly contentType: string | undefined;
  /** The body bytes as received (empty when none). */
  readonly bytes: Buffer;
  /** The route's table takes raw bodies ({@link RestRouteTable.rawBodies}). */
  readonly raw: boolean;
}

/**
 * The body a route gets, by the fastify host's rules, for hosts that read bytes themselves (msw):
 * GET and HEAD bodies are never read, nor a body without content type and length; a raw table
 * gets the bytes; an `application/json` body is parsed (empty: undefined), and malformed JSON is
 * a {@link BodyError} for the runtime's `bodyError` hook; any other content type gives the bytes,
 * even when empty.
 */
export function hostBody(
  input: HostBodyInput,
): { readonly body: unknown } | { readonly error: BodyError } {
  const { bytes } = input;
  const unread =
    input.method === "GET" ||
    input.method === "HEAD" ||
    (input.contentType === undefined && bytes.length === 0);
  if (input.raw) return { body: unread ? Buffer.alloc(0) : bytes };
  if (unread) return { body: undefined };
  if (input.contentType?.split(";")[0]?.trim().toLowerCase() !== "application/json") {
    return { body: bytes };
  }
  return parseJsonBody(bytes);
}

function pathOf(url: string): string {
  const q = url.indexOf("?");
  return q < 0 ? url : url.slice(0, q);
}

/**
 * Sends a route's reply on fastify; a stream goes out as it comes ({@link writeStreamBody}), cut
 * by the chosen fault.
 */
export function sendRestReply(
  reply: FastifyReply,
  answer: RestRouteReply,
  fault: FaultSpec | undefined,
): FastifyReply {
  const { body } = answer;
  if (typeof body === "string") {
    return sendCanned(reply, { status: answer.status, headers: answer.headers ?? {}, body });
  }
  if (body instanceof Uint8Array) {
    reply.code(answer.status);
    if (answer.headers) reply.headers(answer.headers);
    return reply.send(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  }
  // The stream is written straight to the socket: fastify lets go of the reply (its onResponse
  // hooks still run when the response finishes) and no Readable sits between source and socket.
  reply.hijack();
  reply.raw.writeHead(answer.status, answer.headers);
  void writeStreamBody(reply.raw, body, fault?.cutAfter);
  return reply;
}

/** Resolves once `res` can take more bytes again, or has closed. */
function writable(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

/**
 * Writes a streamed body to a response whose headers are set, one `write` per chunk as the source
 * yields it, waiting for `drain` when the socket's buffer is full (back-pressure reaches the
 * source, which is not asked for more meanwhile). It ends the response when the source ends. With
 * `cutAfter` (the `cut-after` fault) the connection is dropped after that many chunks (fault.ts
 * grammar: "REST connections are dropped mid-body"), headers sent; a source that fails drops it
 * too, as fastify does for a failing stream once headers are out. When the client leaves, the
 * source is closed (`return()`), so generators run their cleanup and engines free their work; the
 * route's signal has already told them. A body that offers the push form ({@link PushStreamBody})
 * is piped instead, under the same rules, with no promise per chunk. Never rejects.
 */
export async function writeStreamBody(
  res: ServerResponse,
  body: AsyncIterable<Uint8Array | string>,
  cutAfter?: number,
): Promise<void> {
  if (isPushStreamBody(body)) {
    new PushedBody(res, cutAfter).start(body);
    return;
  }
  const iterator = body[Symbol.asyncIterator]();
  let finished = false;
  let written = 0;
  try {
    if (cutAfter === 0) {
      res.flushHeaders();
      throw new Error("cut");
    }
    while (!res.destroyed) {
      const next = await iterator.next();
      if (next.done) {
        finished = true;
        res.end();
        break;
      }
      if (res.destroyed) break;
      const fits = res.write(next.value);
      written += 1;
      if (written === cutAfter) throw new Error("cut");
      if (!fits) await writable(res);
    }
  } catch {
    // A cut, or a source that failed after the headers: the client sees the connection drop,
    // after what was written (node sends a response's writes of one tick together, on the next).
    await new Promise((resolve) => setImmediate(resolve));
    res.destroy();
  } finally {
    if (!finished) await closeQuietly(iterator);
  }
}

/**
 * {@link writeStreamBody} for a push-form body: the sink the body writes into. The same rules as
 * the iterator loop: one `write` per chunk, `drain` awaited when a write answers false (the body
 * holds back through `resume`), the `cut-after` count, a failure dropping the connection after what
 * was written, and the body closed when the response goes before the body ends. Callbacks are
 * made once per stream, none per chunk.
 */
class PushedBody implements StreamSink {
  readonly #res: ServerResponse;
  readonly #cutAfter: number | undefined;
  #written = 0;
  /** The body ended, failed or was cut, or the response closed: nothing more is written. */
  #over = false;
  #push: StreamPush | undefined;
  /** The response went while `pushTo` was still running: close the push once it is known. */
  #closeWanted = false;
  readonly #onDrain = (): void => {
    if (!this.#over) this.#push?.resume();
  };
  readonly #onClose = (): void => {
    this.#res.off("drain", this.#onDrain);
    if (this.#over) return;
    this.#over = true;
    this.#close();
  };

  constructor(res: ServerResponse, cutAfter: number | undefined) {
    this.#res = res;
    this.#cutAfter = cutAfter;
  }

  start(body: PushStreamBody): void {
    const res = this.#res;
    if (res.destroyed) return;
    if (this.#cutAfter === 0) {
      res.flushHeaders();
      this.#drop();
      return;
    }
    res.once("close", this.#onClose);
    try {
      this.#push = body.pushTo(this);
    } catch {
      // A body that throws from pushTo itself fails as a failing source does.
      this.#over = true;
      this.#drop();
      return;
    }
    if (this.#closeWanted) this.#push.close();
  }

  write(chunk: Uint8Array | string): boolean {
    if (this.#over) return false;
    const res = this.#res;
    const fits = res.write(chunk);
    this.#written += 1;
    if (this.#written === this.#cutAfter) {
      this.#over = true;
      this.#close();
      this.#drop();
      return false;
    }
    if (!fits) res.once("drain", this.#onDrain);
    return fits;
  }

  end(): void {
    if (this.#over) return;
    this.#over = true;
    this.#res.end();
  }

  fail(): void {
    if (this.#over) return;
    this.#over = true;
    this.#drop();
  }

  /** Closes the push, or asks for it when `pushTo` has not returned it yet. */
  #close(): void {
    if (this.#push === undefined) this.#closeWanted = true;
    else this.#push.close();
  }

  /** Drops the connection after what was written (sent together on the next tick, as above). */
  #drop(): void {
    const res = this.#res;
    setImmediate(() => res.destroy());
  }
}

async function closeQuietly(iterator: AsyncIterator<unknown>): Promise<void> {
  try {
    await iterator.return?.();
  } catch {
    // The source failed while closing; the response is already gone.
  }
}

/**
 * The requests of one route table whose signal also aborts on the host's shutdown (the table's
 * {@link RestRouteTable.abortOnShutdown}): the controllers of answers still open, aborted from one
 * shutdown listener for the whole table rather than one listener per request.
 */
class ShutdownWatch {
  readonly signal: AbortSignal;
  readonly #open = new Set<AbortController>();

  constructor(signal: AbortSignal) {
    this.signal = signal;
    signal.addEventListener(
      "abort",
      () => {
        for (const gone of this.#open) gone.abort(signal.reason);
        this.#open.clear();
      },
      { once: true },
    );
  }

  /** Watches `gone` until {@link ShutdownWatch.release}; aborts it now if shutdown has begun. */
  watch(gone: AbortController): void {
    if (this.signal.aborted) gone.abort(this.signal.reason);
    else this.#open.add(gone);
  }

  /** The answer is over: shutdown no longer reaches it. */
  release(gone: AbortController): void {
    this.#open.delete(gone);
  }
}

/** Whether the request's connection is already closed (the response or its socket destroyed). */
function connectionClosed(request: FastifyRequest, reply: FastifyReply): boolean {
  return reply.raw.destroyed || request.raw.socket?.destroyed === true;
}

/**
 * A signal that fires when the client leaves before the reply is complete (and, with `shutdown`,
 * when the host shuts down first). Made when a route first reads it (most unary routes never do),
 * so it also fires at once if the client has already left. The body is read by then, so the
 * response's `close` before its end covers a client that leaves (Node closes the response when
 * the socket closes): no listener on the request's deprecated `aborted`.
 */
function clientGone(
  request: FastifyRequest,
  reply: FastifyReply,
  shutdown: ShutdownWatch | undefined,
): AbortSignal {
  const gone = new AbortController();
  const res = reply.raw;
  if (connectionClosed(request, reply)) {
    if (!res.writableFinished) gone.abort(new Error("client disconnected"));
    return gone.signal;
  }
  shutdown?.watch(gone);
  res.once("close", () => {
    shutdown?.release(gone);
    if (!res.writableFinished) gone.abort(new Error("client disconnected"));
  });
  return gone.signal;
}

/**
 * Whether a fastify match has an empty path parameter (`/v2/models/` against
 * `/v2/models/:name`), which the mocks' routers never match: see {@link registerRestRouteTable}.
 */
export function hasEmptyParam(params: unknown): boolean {
  const record = params as Record<string, string>;
  for (const key in record) if (record[key] === "") return true;
  return false;
}

/** A fastify request as a route reads it; the client-gone signal is made on first read. */
class FastifyRouteRequest implements RestRouteRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly body: unknown;
  readonly signalCoversShutdown: boolean;
  readonly #request: FastifyRequest;
  readonly #reply: FastifyReply;
  readonly #shutdown: ShutdownWatch | undefined;
  #signal: AbortSignal | undefined;

  constructor(
    request: FastifyRequest,
    reply: FastifyReply,
    rawBodies: boolean | undefined,
    shutdown: ShutdownWatch | undefined,
  ) {
    this.method = request.method;
    this.path = pathOf(request.url);
    this.headers = requestHeaders(request);
    this.params = (request.params ?? {}) as Record<string, string>;
    this.query = (request.query ?? {}) as Record<string, string | string[] | undefined>;
    this.body = rawBodies ? (request.body ?? Buffer.alloc(0)) : request.body;
    this.signalCoversShutdown = shutdown !== undefined;
    this.#request = request;
    this.#reply = reply;
    this.#shutdown = shutdown;
  }

  get signal(): AbortSignal {
    this.#signal ??= clientGone(this.#request, this.#reply, this.#shutdown);
    return this.#signal;
  }

  get signalAborted(): boolean {
    if (this.#signal !== undefined) return this.#signal.aborted;
    // As clientGone would find it: the client already gone, or the host already shutting down.
    return (
      (connectionClosed(this.#request, this.#reply) && !this.#reply.raw.writableFinished) ||
      this.#shutdown?.signal.aborted === true
    );
  }
}

/**
 * Gives a pooled body back once its answer has finished (every byte handed to the kernel, so no
 * write still reads views of it); a response that never finishes (the client left) keeps it.
 * Bodies the pool did not lend (small ones) cost one size check.
 */
function giveBackWhenAnswered(pool: BodyPool, body: unknown, reply: FastifyReply): void {
  if (!(body instanceof Uint8Array) || body.byteLength < pool.minBytes) return;
  reply.raw.once("finish", () => pool.give(body));
}

/** Fastify's default body limit (1 MiB), should the host leave it unset. */
const defaultBodyLimit = 1024 * 1024;

/**
 * Registers a route table on the runtime's (encapsulated) fastify context: the table's body rule,
 * its `onRequest` middleware, and each route answering through {@link sendRestReply}. With the
 * table's {@link RestRouteTable.abortOnShutdown} and a `shutdownSignal` in `ctx`, the routes'
 * request signal aborts on shutdown too.
 */
export function registerRestRouteTable(
  app: FastifyInstance,
  ctx: Pick<PluginContext, "restFault"> & { readonly shutdownSignal?: AbortSignal },
  table: RestRouteTable,
): void {
  const shutdown =
    table.abortOnShutdown && ctx.shutdownSignal ? new ShutdownWatch(ctx.shutdownSignal) : undefined;
  // Large bodies of routes that ask for it reuse memory (raw-body tables only).
  const pool =
    table.rawBodies && table.routes.some((route) => route.pooledBody) ? new BodyPool() : undefined;
  if (table.rawBodies) {
    // Every body as bytes, read by request-body.ts with the host's limit (fastify keeps the root's
    // options on every child context), placed as the table asks.
    const bytes = requestBodyParser({
      limit: app.initialConfig.bodyLimit ?? defaultBodyLimit,
      padding: table.bodyPadding,
      pool,
    });
    app.removeAllContentTypeParsers();
    // JSON is named too, though the catch-all would take it: fastify caches the parser it finds
    // for a named type, while every request of the catch-all parses its content type again.
    app.addContentTypeParser("application/json", bytes);
    app.addContentTypeParser("*", bytes);
  }
  const onRequest = table.onRequest;
  if (onRequest) {
    app.addHook("onRequest", (request, reply, done) => {
      const refused = onRequest({
        method: request.method,
        path: pathOf(request.url),
        headers: requestHeaders(request),
      });
      if (refused) sendRestReply(reply, refused, undefined);
      else done();
    });
  }
  for (const route of table.routes) {
    const parameterised = route.path.includes(":");
    const pooled = pool !== undefined && route.pooledBody === true ? pool : undefined;
    app.route({
      method: route.method,
      url: route.path,
      ...(pooled ? { config: { pooledBody: true } } : {}),
      handler(request, reply) {
        // fastify matches `/v2/models/` to `/v2/models/:name` with an empty name; a table's
        // parameter takes at least one character (as matchRestRoute reads it, and the runtimes'
        // own routers: Starlette's `{param}` and Triton's `([^/]+)`), so that is an unknown path.
        if (parameterised && hasEmptyParam(request.params)) {
          reply.callNotFound();
          return undefined;
        }
        if (pooled) giveBackWhenAnswered(pooled, request.body, reply);
        const answer = route.handle(
          new FastifyRouteRequest(request, reply, table.rawBodies, shutdown),
        );
        // A synchronous handler's answer goes out at once, without a promise or a closure in
        // between; a rejection or throw reaches the host's error handler either way (fastify
        // catches both).
        if (answer instanceof Promise) {
          return answer.then((settled) => {
            sendRestReply(reply, settled, ctx.restFault(request));
          });
        }
        sendRestReply(reply, answer, ctx.restFault(request));
        return undefined;
      },
    });
  }
}
