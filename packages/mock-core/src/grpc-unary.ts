/**
 * The unary fast path of the gRPC port: a unary call whose request is plain gRPC (POST,
 * `application/grpc` or `+proto`, no message compression, a valid `grpc-timeout`) is served on the
 * `node:http2` core stream API with hand-written framing, in front of connect-node, which keeps
 * every other call (streams, gRPC-JSON, compressed messages, bad deadlines, unknown methods).
 *
 * connect-node's per-call machinery (universal request and response objects, async iterable
 * pipelines, the compatibility API) cost half the throughput of a plain `@grpc/grpc-js` server
 * (reference toolchain.md); hand-written framing on bare `node:http2` made 1.1-1.3x of it. The
 * implementation called is the one the plugin registered through `router.service(...)`, with the
 * same connect `HandlerContext` (`createHandlerContext`) and interceptors
 * (`invokeUnaryImplementation`), so plugins cannot tell the two paths apart.
 */
import { constants as h2, type IncomingHttpHeaders, type ServerHttp2Stream } from "node:http2";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ConnectRouter,
  type ContextValues,
  createHandlerContext,
  createMethodImplSpec,
  createServiceImplSpec,
  type HandlerContext,
  type Interceptor,
  type MethodImplSpec,
} from "@connectrpc/connect";
import { invokeUnaryImplementation } from "@connectrpc/connect/protocol";
import {
  parseContentType,
  parseTimeout,
  setTrailerStatus,
} from "@connectrpc/connect/protocol-grpc";
import { frameMessage, readUnaryMessage } from "./grpc-frame.js";
import { encodeGrpcMessage } from "./grpc-message.js";

/** A unary method's implementation as connect holds it. */
export type UnarySpec = Extract<MethodImplSpec, { kind: "unary" }>;

/** The unary implementations of a set of routes, by request path (`/package.Service/Method`). */
export type UnaryMethods = ReadonlyMap<string, UnarySpec>;

/** Routes run once: their unary implementations, and a replay of every registration. */
export interface CapturedRoutes {
  /** The unary implementations the fast path may call. */
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
    if (spec.kind === "unary" && !withOptions) unary.set(path, spec);
    else unary.delete(path);
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
 * read, so connect can still take every other call whole): a POST to a unary method with a
 * binary gRPC content type, no `grpc-encoding` other than `identity`, and no malformed
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

/** What every fast-path call shares with the connect routes. */
export interface UnaryHostOptions {
  /** The interceptors connect applies to every call (the host's fault interceptor). */
  readonly interceptors: readonly Interceptor[];
  /** Aborts every call's signal when the host shuts down. */
  readonly shutdownSignal: AbortSignal;
  /** The call's context values (the host keeps the raw stream there). */
  readonly contextValues: (stream: ServerHttp2Stream) => ContextValues;
}

/** Told the `grpc-status` a call ends with, as it is written. */
export type StatusRecorder = (code: Code | 0) => void;

/** The status message a gRPC server sends when a call's deadline passes (grpc core's wording). */
export const deadlineExceededMessage = "Deadline Exceeded";

/**
 * Serves one unary call on an HTTP/2 stream: reads the length-prefixed request, decodes it with
 * the method's input schema, calls the implementation through the interceptors, and answers as
 * gRPC servers do: HEADERS, one DATA frame, TRAILERS with `grpc-status: 0`; an error as a
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
  const { spec } = call;
  const context = createHandlerContext({
    service: spec.method.parent,
    method: spec.method,
    protocolName: "grpc",
    requestMethod: "POST",
    url: `${headers[":scheme"] ?? "http"}://${headers[":authority"] ?? ""}${headers[":path"]}`,
    ...(call.timeoutMs === undefined ? {} : { timeoutMs: call.timeoutMs }),
    shutdownSignal: options.shutdownSignal,
    requestHeader: requestHeaderOf(headers),
    responseHeader: { "content-type": grpcContentType },
    responseTrailer: { "grpc-status": "0" },
    contextValues: options.contextValues(stream),
  });
  let done = false;
  /** Ends the call once: writes (unless the client is gone) and aborts the context's signal. */
  const finish = (write: () => void, reason?: unknown) => {
    if (done) return;
    done = true;
    if (!stream.destroyed && !stream.closed) writeOrReset(stream, write);
    context.abort(reason ?? callEnded);
  };
  const fail = (error: ConnectError) =>
    finish(() => writeError(stream, context, error, onStatus), error);

  stream.on("error", ignoreStreamError);
  stream.once("close", () => {
    if (done) return;
    done = true;
    context.abort(
      new ConnectError(`http/2 stream closed with error code ${stream.rstCode}`, Code.Canceled),
    );
  });
  if (call.timeoutMs !== undefined) {
    const onAbort = () => {
      const reason: unknown = context.signal.reason;
      if (reason instanceof ConnectError && reason.code === Code.DeadlineExceeded) {
        fail(new ConnectError(deadlineExceededMessage, Code.DeadlineExceeded));
      }
    };
    if (context.signal.aborted) onAbort();
    else context.signal.addEventListener("abort", onAbort, { once: true });
  }

  const chunks: Buffer[] = [];
  let size = 0;
  stream.on("data", (chunk: Buffer) => {
    chunks.push(chunk);
    size += chunk.byteLength;
  });
  stream.once("end", () => {
    if (done) return;
    const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
    const read = readUnaryMessage(body);
    if (read.kind === "error") return fail(new ConnectError(read.message, read.code));
    if (read.compressed) {
      // PROTOCOL-HTTP2.md: Compressed-Flag 1 means compressed with the call's grpc-encoding;
      // this call declared none (statuscodes.md: a message that cannot be decompressed is INTERNAL).
      return fail(new ConnectError("compressed message without grpc-encoding", Code.Internal));
    }
    let input: ReturnType<typeof fromBinary>;
    try {
      input = fromBinary(spec.method.input, read.bytes);
    } catch (error) {
      // statuscodes.md: "Error parsing request proto: INTERNAL" (generated at the server).
      return fail(new ConnectError(`parse binary: ${messageOf(error)}`, Code.Internal));
    }
    invokeUnaryImplementation(spec, context, input, options.interceptors as Interceptor[]).then(
      (output) => {
        let bytes: Uint8Array;
        try {
          bytes = toBinary(spec.method.output, output);
        } catch (error) {
          return fail(new ConnectError(`serialize binary: ${messageOf(error)}`, Code.Internal));
        }
        finish(() => writeMessage(stream, context, bytes, onStatus));
      },
      (error: unknown) =>
        fail(
          error instanceof ConnectError
            ? error
            : // As connect's gRPC handler answers an implementation that throws a non-ConnectError.
              new ConnectError("internal error", Code.Internal, undefined, undefined, error),
        ),
    );
  });
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
function requestHeaderOf(headers: IncomingHttpHeaders): [string, string][] {
  const entries: [string, string][] = [];
  for (const name in headers) {
    if (name.charCodeAt(0) === 0x3a) continue; // ":" pseudo-header
    const value = headers[name];
    if (typeof value === "string") entries.push([name, value]);
    else if (Array.isArray(value)) for (const item of value) entries.push([name, item]);
  }
  return entries;
}

/** Headers as `node:http2` header fields. */
function fieldsOf(headers: Headers, into: Record<string, string> = {}): Record<string, string> {
  for (const [name, value] of headers) into[name] = value;
  return into;
}

function statusOf(fields: Record<string, string>): Code | 0 {
  return Number(fields["grpc-status"] ?? 0) as Code | 0;
}

/** HEADERS, one DATA frame with the framed message, TRAILERS. */
function writeMessage(
  stream: ServerHttp2Stream,
  context: HandlerContext,
  bytes: Uint8Array,
  onStatus: StatusRecorder,
): void {
  stream.respond(fieldsOf(context.responseHeader, { ":status": "200" }), answerOptions);
  stream.once("wantTrailers", () =>
    writeOrReset(stream, () => {
      const trailers = fieldsOf(context.responseTrailer);
      onStatus(statusOf(trailers));
      stream.sendTrailers(trailers);
    }),
  );
  stream.end(frameMessage(bytes));
}

/**
 * The error status, as grpc-go's `WriteStatus` writes it: trailers-only unless the implementation
 * set response headers, which then go first in their own HEADERS frame. `grpc-message` is encoded
 * as gRPC servers encode it (grpc-message.ts) and left out when empty.
 */
function writeError(
  stream: ServerHttp2Stream,
  context: HandlerContext,
  error: ConnectError,
  onStatus: StatusRecorder,
): void {
  const trailer = setTrailerStatus(context.responseTrailer, error);
  if (error.rawMessage === "") trailer.delete("grpc-message");
  else trailer.set("grpc-message", encodeGrpcMessage(error.rawMessage));
  const header = fieldsOf(context.responseHeader, { ":status": "200" });
  const trailers = fieldsOf(trailer);
  onStatus(error.code);
  if (Object.keys(header).length <= 2) {
    stream.respond({ ...header, ...trailers }, trailersOnlyOptions);
    return;
  }
  stream.respond(header, answerOptions);
  stream.once("wantTrailers", () => writeOrReset(stream, () => stream.sendTrailers(trailers)));
  stream.end();
}
