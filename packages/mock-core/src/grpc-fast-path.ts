/**
 * The fast path of the gRPC port: a unary or server-streaming call (one request message) whose
 * request is plain gRPC (POST, `application/grpc` or `+proto`, no message compression, a valid
 * `grpc-timeout`) is served on the `node:http2` core stream API with hand-written framing, in
 * front of connect-node, which keeps every other call (client and bidi streams, gRPC-JSON,
 * compressed messages, bad deadlines, unknown methods).
 *
 * connect-node's per-call machinery (universal request and response objects, async iterable
 * pipelines, the compatibility API) cost half the throughput of a plain `@grpc/grpc-js` server
 * (reference toolchain.md); hand-written framing on bare `node:http2` made 1.1-1.3x of it. The
 * implementation called is the one the plugin registered through `router.service(...)`, with a
 * context that is connect's `HandlerContext` (built lazily: what an implementation does not read
 * costs nothing) and the host's faults applied as its connect interceptor applies them, so
 * plugins cannot tell the two paths apart.
 */
import { constants as h2, type IncomingHttpHeaders, type ServerHttp2Stream } from "node:http2";
import { create, fromBinary, type MessageInitShape } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ConnectRouter,
  type ContextValues,
  createContextValues,
  createMethodImplSpec,
  createServiceImplSpec,
  type HandlerContext,
  type MethodImplSpec,
} from "@connectrpc/connect";
import {
  parseContentType,
  parseTimeout,
  setTrailerStatus,
} from "@connectrpc/connect/protocol-grpc";
import { messageChunks, readUnaryMessage } from "./grpc-frame.js";
import { encodeGrpcMessage } from "./grpc-message.js";

/**
 * A method implementation the fast path calls, as connect holds it: unary (one answer) or server
 * streaming (an async iterable of answers).
 */
export type UnarySpec = Extract<MethodImplSpec, { kind: "unary" | "server_streaming" }>;

/**
 * The implementations the fast path may call (unary and server streaming: one request message
 * each), by request path (`/package.Service/Method`).
 */
export type UnaryMethods = ReadonlyMap<string, UnarySpec>;

/** Routes run once: their unary implementations, and a replay of every registration. */
export interface CapturedRoutes {
  /** The unary and server-streaming implementations the fast path may call. */
  readonly unary: UnaryMethods;
  /** Registers the same implementation objects, in the same order, on another router (connect's). */
  readonly routes: (router: ConnectRouter) => void;
}

/**
 * Runs the routes (the plugins' `grpc` hooks) once against a router that records every
 * registration, so that the fast path and connect call the very same implementation objects (a
 * hook that builds state builds it once). A later registration of the same path wins, as in
 * connect-node's path table. Registrations that pass per-service handler options (limits,
 * interceptors, compression) stay with connect alone: the fast path would not honour them.
 */
export function captureRoutes(routes: (router: ConnectRouter) => void): CapturedRoutes {
  const unary = new Map<string, UnarySpec>();
  const replays: ((router: ConnectRouter) => void)[] = [];
  const record = (spec: MethodImplSpec, withOptions: boolean) => {
    const path = `/${spec.method.parent.typeName}/${spec.method.name}`;
    if ((spec.kind === "unary" || spec.kind === "server_streaming") && !withOptions) {
      unary.set(path, spec);
    } else unary.delete(path);
  };
  const capturing: ConnectRouter = {
    handlers: [],
    service(service, implementation, options) {
      replays.push((router) => router.service(service, implementation, options));
      const spec = createServiceImplSpec(service, implementation);
      for (const method of Object.values(spec.methods)) record(method, options !== undefined);
      return this;
    },
    rpc(method, implementation, options) {
      replays.push((router) => router.rpc(method, implementation, options));
      record(createMethodImplSpec(method, implementation), options !== undefined);
      return this;
    },
  };
  routes(capturing);
  return {
    unary,
    routes: (router) => {
      for (const replay of replays) replay(router);
    },
  };
}

/** A call the fast path takes: its method and deadline, read from the request headers. */
export interface UnaryCall {
  /** The implementation to call. */
  readonly spec: UnarySpec;
  /** The `grpc-timeout`, in milliseconds; undefined when the client set no deadline. */
  readonly timeoutMs: number | undefined;
}

/**
 * Whether the fast path serves a call, decided from its headers alone (before any body byte is
 * read, so connect can still take every other call whole): a POST to a unary or server-streaming
 * method with a binary gRPC content type, no `grpc-encoding` other than `identity`, and no malformed
 * `grpc-timeout` (connect answers those as today).
 */
export function unaryCallOf(
  headers: IncomingHttpHeaders,
  methods: UnaryMethods,
): UnaryCall | undefined {
  const path = headers[":path"];
  const spec = path === undefined ? undefined : methods.get(path);
  if (spec === undefined || headers[":method"] !== "POST") return undefined;
  if (parseContentType(headers["content-type"] ?? null)?.binary !== true) return undefined;
  const encoding = headers["grpc-encoding"];
  if (encoding !== undefined && encoding !== "identity") return undefined;
  const timeout = parseTimeout(single(headers["grpc-timeout"]) ?? null, Number.MAX_SAFE_INTEGER);
  if (timeout.error) return undefined;
  return { spec, timeoutMs: timeout.timeoutMs };
}

/**
 * Runs around one call's implementation (the host's faults): undefined when the call runs as it is
 * (the usual case, which then costs nothing), else a function that runs `invoke` its own way
 * (waits, fails, or cuts after the answer). Called once the request message is decoded; may throw
 * a `ConnectError` to refuse the call.
 */
export type CallAround = (
  headers: IncomingHttpHeaders,
  context: HandlerContext,
  stream: ServerHttp2Stream,
) => ((invoke: () => unknown) => Promise<unknown>) | undefined;

/** What every fast-path call shares with the connect routes. */
export interface UnaryHostOptions {
  /** The host's behaviour around every call (faults, as connect's interceptor applies them). */
  readonly around: CallAround;
  /** Aborts every running call's signal when the host shuts down. */
  readonly shutdownSignal: AbortSignal;
}

/** Told the `grpc-status` a call ends with, as it is written. */
export type StatusRecorder = (code: Code | 0) => void;

/** The status message a gRPC server sends when a call's deadline passes (grpc core's wording). */
export const deadlineExceededMessage = "Deadline Exceeded";

/**
 * Serves one unary or server-streaming call on an HTTP/2 stream: reads the length-prefixed
 * request, decodes it with the method's input schema, calls the implementation (through the
 * host's `around`), and answers as gRPC servers do: HEADERS, the framed message (a stream's
 * messages as they are yielded), TRAILERS with `grpc-status: 0`; an error as a
 * trailers-only response (grpc-go internal/transport/http2_server.go `WriteStatus`: HEADERS with
 * `:status 200`, `content-type`, `grpc-status`, `grpc-message` and END_STREAM), or after separate
 * HEADERS when the implementation set response headers. When the deadline passes first the call
 * ends with DEADLINE_EXCEEDED (grpc/grpc doc/statuscodes.md); when the client resets the stream,
 * the implementation's signal aborts and nothing is written.
 */
export function serveUnaryCall(
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  call: UnaryCall,
  options: UnaryHostOptions,
  onStatus: StatusRecorder,
): void {
  const context = new UnaryCallContext(stream, headers, call, options, onStatus);
  (stream as CallStream)[callKey] = context;
  stream.on("error", ignoreStreamError);
  stream.on("data", onData);
  stream.on("end", onEnd);
  if (call.timeoutMs !== undefined) context.startDeadline(call.timeoutMs);
}

/** Where a stream keeps its call, so that one set of module-level listeners serves every call. */
const callKey = Symbol("servingkit unary call");
type CallStream = ServerHttp2Stream & { [callKey]?: UnaryCallContext };

function onData(this: CallStream, chunk: Buffer): void {
  this[callKey]?.receive(chunk);
}
function onEnd(this: CallStream): void {
  this[callKey]?.run();
}
function onClose(this: CallStream): void {
  this[callKey]?.closed();
}
function onWantTrailers(this: CallStream): void {
  this[callKey]?.sendTrailers();
}

/**
 * One fast-path call: connect's `HandlerContext` for the implementation (same `method`, `service`,
 * `url`, `requestHeader`, `responseHeader`/`responseTrailer`, `signal`, `values`, `timeoutMs`) and
 * the call's state. What an implementation does not read is never built: the `Headers` objects
 * when it reads `requestHeader` or sets response metadata, the `AbortController` (linked to
 * shutdown and to a client reset) when it reads `signal`, the context values when something uses
 * them. A deadline is a timer of its own, so it is answered whether or not `signal` is read.
 */
class UnaryCallContext implements HandlerContext {
  readonly method: UnarySpec["method"];
  readonly service: UnarySpec["method"]["parent"];
  readonly requestMethod = "POST";
  readonly protocolName = "grpc";
  private readonly stream: ServerHttp2Stream;
  private readonly headers: IncomingHttpHeaders;
  private readonly spec: UnarySpec;
  private readonly options: UnaryHostOptions;
  private readonly onStatus: StatusRecorder;
  private body: Buffer | Buffer[] | undefined = undefined;
  private size = 0;
  private done = false;
  /** Why the call ended before its answer (deadline, reset, error); undefined for an answer. */
  private endReason: unknown = undefined;
  private deadlineAt: number | undefined = undefined;
  private timer: ReturnType<typeof setTimeout> | undefined = undefined;
  private controller: AbortController | undefined = undefined;
  private requestHeaders: Headers | undefined = undefined;
  private responseHeaders: Headers | undefined = undefined;
  private responseTrailers: Headers | undefined = undefined;
  private trailerFields: Record<string, string> | undefined = undefined;
  private headersSent = false;
  private contextValues: ContextValues | undefined = undefined;

  constructor(
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    call: UnaryCall,
    options: UnaryHostOptions,
    onStatus: StatusRecorder,
  ) {
    this.stream = stream;
    this.headers = headers;
    this.spec = call.spec;
    this.method = call.spec.method;
    this.service = call.spec.method.parent;
    this.options = options;
    this.onStatus = onStatus;
  }

  /** The URL received, as connect builds it (scheme, authority, path). */
  get url(): string {
    const headers = this.headers;
    return `${headers[":scheme"] ?? "http"}://${headers[":authority"] ?? ""}${headers[":path"]}`;
  }

  /** The time left before the deadline, in milliseconds; undefined without one (as connect's). */
  timeoutMs(): number | undefined {
    return this.deadlineAt === undefined ? undefined : this.deadlineAt - Date.now();
  }

  /** The request metadata as connect gives it: every header but the pseudo-headers. */
  get requestHeader(): Headers {
    this.requestHeaders ??= requestHeaderOf(this.headers);
    return this.requestHeaders;
  }

  /** Response headers, starting as connect's (`content-type`). */
  get responseHeader(): Headers {
    this.responseHeaders ??= new Headers({ "content-type": grpcContentType });
    return this.responseHeaders;
  }

  /** Response trailers, starting as connect's (`grpc-status: 0`). */
  get responseTrailer(): Headers {
    this.responseTrailers ??= new Headers({ "grpc-status": "0" });
    return this.responseTrailers;
  }

  /** Per-call context values (the host's fault). */
  get values(): ContextValues {
    this.contextValues ??= createContextValues();
    return this.contextValues;
  }

  /**
   * Aborts when the call ends: answered (an AbortError, as connect's), failed (the error), its
   * deadline passed (DEADLINE_EXCEEDED), the client reset the stream (CANCELED), or the host
   * shuts down (the shutdown's reason; the call may still answer).
   */
  get signal(): AbortSignal {
    if (this.controller !== undefined) return this.controller.signal;
    const controller = new AbortController();
    this.controller = controller;
    const shutdown = this.options.shutdownSignal;
    if (this.done) controller.abort(this.endReason ?? callEnded);
    else if (shutdown.aborted) controller.abort(shutdown.reason);
    else if (this.stream.destroyed)
      this.closed(); // reset before anything listened
    else {
      shutdown.addEventListener("abort", this);
      if (this.timer === undefined) this.stream.on("close", onClose);
    }
    return controller.signal;
  }

  /** The shutdown signal's listener (an EventListener object: no closure per call). */
  handleEvent(): void {
    this.controller?.abort(this.options.shutdownSignal.reason);
  }

  /** Starts the deadline timer (`grpc-timeout`, milliseconds). */
  startDeadline(timeoutMs: number): void {
    this.deadlineAt = Date.now() + timeoutMs;
    if (timeoutMs <= 0) {
      this.expire();
      return;
    }
    this.timer = setTimeout(() => this.expire(), timeoutMs);
    if (this.controller === undefined) this.stream.on("close", onClose);
  }

  private expire(): void {
    this.fail(new ConnectError(deadlineExceededMessage, Code.DeadlineExceeded));
  }

  /** A DATA chunk of the request body. */
  receive(chunk: Buffer): void {
    const body = this.body;
    if (body === undefined) this.body = chunk;
    else if (Array.isArray(body)) body.push(chunk);
    else this.body = [body, chunk];
    this.size += chunk.byteLength;
  }

  /** The request body is complete: decode, run the implementation, answer. */
  run(): void {
    if (this.done) return;
    const body = this.body;
    const bytes =
      body === undefined ? emptyBody : Array.isArray(body) ? Buffer.concat(body, this.size) : body;
    this.body = undefined;
    const read = readUnaryMessage(bytes);
    if (read.kind === "error") {
      this.fail(new ConnectError(read.message, read.code));
      return;
    }
    if (read.compressed) {
      // PROTOCOL-HTTP2.md: Compressed-Flag 1 means compressed with the call's grpc-encoding;
      // this call declared none (statuscodes.md: a message that cannot be decompressed is INTERNAL).
      this.fail(new ConnectError("compressed message without grpc-encoding", Code.Internal));
      return;
    }
    const spec = this.spec;
    let input: ReturnType<typeof fromBinary>;
    try {
      input = fromBinary(spec.method.input, read.bytes);
    } catch (error) {
      // statuscodes.md: "Error parsing request proto: INTERNAL" (generated at the server).
      this.fail(new ConnectError(`parse binary: ${messageOf(error)}`, Code.Internal));
      return;
    }
    let output: unknown;
    try {
      const around = this.options.around(this.headers, this, this.stream);
      output =
        around === undefined
          ? spec.impl(input as never, this)
          : around(() => spec.impl(input as never, this));
    } catch (error) {
      this.fail(error);
      return;
    }
    if (spec.kind === "server_streaming") {
      this.stream.on("close", onClose); // stops the messages when the client goes away
      this.pump(output).catch((error: unknown) => this.fail(error));
    } else if (isThenable(output)) {
      output.then(
        (message) => this.answer(message),
        (error: unknown) => this.fail(error),
      );
    } else this.answer(output);
  }

  /**
   * A server-streaming answer: each message framed and written as the implementation yields it
   * (HEADERS before the first), waiting for `drain` when HTTP/2 flow control holds the stream
   * back, then TRAILERS. When the call ends first (client reset, deadline, shutdown of the
   * stream) the implementation's iterator is closed (`return()`), so its `finally` runs.
   */
  private async pump(output: unknown): Promise<void> {
    const source = (await output) as AsyncIterable<unknown>;
    const iterator = source[Symbol.asyncIterator]();
    const schema = this.spec.method.output;
    const stream = this.stream;
    let complete = false;
    try {
      for (;;) {
        if (this.done) return;
        const result = await iterator.next();
        if (this.done) return;
        if (result.done === true) {
          complete = true;
          break;
        }
        let chunks: Uint8Array[];
        try {
          const message = create(schema, result.value as MessageInitShape<typeof schema>);
          chunks = messageChunks(schema, message);
        } catch (error) {
          throw new ConnectError(`serialize binary: ${messageOf(error)}`, Code.Internal);
        }
        if (!this.headersSent) this.sendHeaders();
        if (!writeChunks(stream, chunks)) await drained(stream);
      }
    } finally {
      // Ended early (client gone, deadline, a message that does not serialize): close the source.
      if (!complete) await closeQuietly(iterator);
    }
    this.end(undefined);
    if (stream.destroyed || stream.closed) return;
    if (this.headersSent) stream.end();
    // No message at all: grpc-go WriteStatus answers trailers-only when no headers were sent.
    else writeOrReset(stream, () => this.writeStatus(undefined));
  }

  /** The response HEADERS of an answer that has messages (trailers follow on `wantTrailers`). */
  private sendHeaders(): void {
    const responseHeaders = this.responseHeaders;
    this.headersSent = true;
    this.stream.respond(
      responseHeaders === undefined
        ? { ":status": "200", "content-type": grpcContentType }
        : fieldsOf(responseHeaders, { ":status": "200" }),
      answerOptions,
    );
    this.stream.on("wantTrailers", onWantTrailers);
  }

  private answer(output: unknown): void {
    if (this.done) return;
    const schema = this.spec.method.output;
    let chunks: Uint8Array[];
    try {
      chunks = messageChunks(schema, create(schema, output as MessageInitShape<typeof schema>));
    } catch (error) {
      this.fail(new ConnectError(`serialize binary: ${messageOf(error)}`, Code.Internal));
      return;
    }
    this.end(undefined);
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return;
    writeOrReset(stream, () => {
      this.sendHeaders();
      writeChunks(stream, chunks);
      stream.end();
    });
  }

  /** Writes the trailers of an answer (or of an error sent after its own HEADERS). */
  sendTrailers(): void {
    const stream = this.stream;
    writeOrReset(stream, () => {
      let trailers = this.trailerFields;
      if (trailers === undefined) {
        const set = this.responseTrailers;
        trailers = set === undefined ? { "grpc-status": "0" } : fieldsOf(set);
        this.onStatus(statusOf(trailers));
      }
      stream.sendTrailers(trailers);
    });
  }

  /** Ends the call with an error status (a non-ConnectError as INTERNAL, as connect answers it). */
  private fail(error: unknown): void {
    if (this.done) return;
    const status =
      error instanceof ConnectError
        ? error
        : new ConnectError("internal error", Code.Internal, undefined, undefined, error);
    this.end(status);
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return;
    writeOrReset(stream, () => this.writeStatus(status));
  }

  /**
   * The status of a call without (more) messages, as grpc-go's `WriteStatus` writes it:
   * trailers-only unless HEADERS went out already (a stream's messages) or the implementation
   * set response headers, which then go first in their own HEADERS frame. `grpc-message` is
   * encoded as gRPC servers encode it (grpc-message.ts) and left out when empty. `undefined` is OK.
   */
  private writeStatus(error: ConnectError | undefined): void {
    const trailer =
      error === undefined ? this.responseTrailer : setTrailerStatus(this.responseTrailer, error);
    if (error !== undefined) {
      if (error.rawMessage === "") trailer.delete("grpc-message");
      else trailer.set("grpc-message", encodeGrpcMessage(error.rawMessage));
    }
    const trailers = fieldsOf(trailer);
    this.onStatus(statusOf(trailers));
    this.trailerFields = trailers;
    const stream = this.stream;
    if (!this.headersSent) {
      const header = fieldsOf(this.responseHeader, { ":status": "200" });
      if (Object.keys(header).length <= 2) {
        stream.respond({ ...header, ...trailers }, trailersOnlyOptions);
        return;
      }
      this.sendHeaders();
    }
    stream.end();
  }

  /** The client reset the stream (or it closed) before the call ended. */
  closed(): void {
    if (this.done) return;
    this.end(
      new ConnectError(
        `http/2 stream closed with error code ${this.stream.rstCode}`,
        Code.Canceled,
      ),
    );
  }

  /** Marks the call ended: stops the deadline, aborts the signal if one was made. */
  private end(reason: unknown): void {
    this.done = true;
    this.endReason = reason;
    if (this.timer !== undefined) clearTimeout(this.timer);
    const controller = this.controller;
    if (controller !== undefined) {
      this.options.shutdownSignal.removeEventListener("abort", this);
      controller.abort(reason ?? callEnded);
    }
  }
}

const emptyBody = Buffer.alloc(0);

/** Writes one framed message's chunks; false when the stream asks to wait for `drain`. */
function writeChunks(stream: ServerHttp2Stream, chunks: readonly Uint8Array[]): boolean {
  let more = true;
  for (const chunk of chunks) more = stream.write(chunk);
  return more;
}

/** Closes an iterator the answer stopped reading; an error from its `return()` changes nothing. */
async function closeQuietly(iterator: AsyncIterator<unknown>): Promise<void> {
  try {
    await iterator.return?.();
  } catch {
    // The call already ended; there is nobody to tell.
  }
}

/** Resolves when a stream held back by flow control can take more, or has closed. */
function drained(stream: ServerHttp2Stream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

/**
 * The reason a finished call's signal aborts with. Connect aborts it with no reason, which makes a
 * fresh AbortError DOMException per call (a stack capture: 4% of a call's CPU); this is the same
 * kind of reason, made once.
 */
const callEnded = new DOMException("This operation was aborted", "AbortError");

/**
 * Response HEADERS options. gRPC servers send no `date` header (grpc-go `WriteHeader`, grpc
 * core), so `node:http2`'s default one is left out.
 */
const answerOptions = { waitForTrailers: true, sendDate: false } as const;
const trailersOnlyOptions = { endStream: true, sendDate: false } as const;

/** The content type gRPC servers answer with (grpc-go `contentType("")`, grpc core). */
const grpcContentType = "application/grpc";

/**
 * Writes an answer; when `node:http2` refuses it (a header or trailer an implementation set that
 * HTTP/2 forbids, such as `connection`), resets the stream with INTERNAL_ERROR instead of
 * throwing out of a promise callback or an event listener (which would end the process).
 */
function writeOrReset(stream: ServerHttp2Stream, write: () => void): void {
  try {
    write();
  } catch {
    if (!stream.destroyed) stream.close(h2.NGHTTP2_INTERNAL_ERROR);
  }
}

function ignoreStreamError(): void {
  // A reset or broken stream ends the call through "close"; the error itself needs no answer.
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(", ") : value;
}

/** The request metadata as connect hands it to implementations: every header but the pseudo-headers. */
function requestHeaderOf(headers: IncomingHttpHeaders): Headers {
  // One append per field: half the cost of handing Headers an array of entries (webidl checks).
  const out = new Headers();
  for (const name in headers) {
    if (name.charCodeAt(0) === 0x3a) continue; // ":" pseudo-header
    const value = headers[name];
    if (typeof value === "string") out.append(name, value);
    else if (Array.isArray(value)) for (const item of value) out.append(name, item);
  }
  return out;
}

/** Headers as `node:http2` header fields. */
function fieldsOf(headers: Headers, into: Record<string, string> = {}): Record<string, string> {
  for (const [name, value] of headers) into[name] = value;
  return into;
}

function statusOf(fields: Record<string, string>): Code | 0 {
  return Number(fields["grpc-status"] ?? 0) as Code | 0;
}
