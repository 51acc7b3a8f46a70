/**
 * The gRPC host: one set of connect routes served two ways, on a `node:http2` port through
 * `connectNodeAdapter` (gRPC protocol only, as the runtimes' servers speak it) and in memory
 * through `createRouterTransport`. The platform's behaviours wrap the routes: token
 * authorization (answered as the mode's proxy answers it), fault injection, UNIMPLEMENTED for
 * unknown methods, and one log line per call.
 */
import {
  type Http2SecureServer,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  constants as h2,
  type IncomingHttpHeaders,
  type ServerHttp2Stream,
} from "node:http2";
import type { DescService } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ConnectRouter,
  type ConnectRouterOptions,
  createConnectRouter,
  createContextKey,
  createContextValues,
  createRouterTransport,
  type HandlerContext,
  type Interceptor,
  type Transport,
} from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { codeFromGrpcHttpStatus, grpcStatusName } from "@servingkit/client-core";
import type { Logger } from "pino";
import type { Clock } from "./clock.js";
import {
  chooseFault,
  cutStream,
  type FaultConfig,
  type FaultSpec,
  FaultSyntaxError,
  faultHeader,
  faultMessage,
  grpcFailureCode,
  StreamCutError,
} from "./fault.js";
import {
  type CallAround,
  captureRoutes,
  type StatusRecorder,
  serveUnaryCall,
  type UnaryHostOptions,
  unaryCallOf,
} from "./grpc-fast-path.js";
import { encodeGrpcMessage, reencodeGrpcMessage } from "./grpc-message.js";
import { authorize, grpcDenial, type PlatformAuth, restDenial } from "./platform-auth.js";
import type { MockPlugin, PluginContext } from "./plugin.js";

/** The fault chosen for a call, kept in the call's context values. */
export const faultKey = createContextKey<FaultSpec | undefined>(undefined, {
  description: "servingkit fault",
});

/** The HTTP/2 stream of a call on the real port (undefined in memory). */
const rawStreamKey = createContextKey<ServerHttp2Stream | undefined>(undefined, {
  description: "servingkit raw stream",
});

/** Reads the fault chosen for a call (see {@link PluginContext.grpcFault}). */
export function grpcFaultOf(context: HandlerContext): FaultSpec | undefined {
  return context.values.get(faultKey);
}

/** Everything the gRPC host needs; {@link buildMock} assembles it. */
export interface GrpcHostOptions {
  /** The plugins whose `grpc` hooks register services, in order. */
  readonly plugins: readonly MockPlugin[];
  /** What every plugin gets. */
  readonly ctx: PluginContext;
  /** Registers the host's own services (health, reflection) before the plugins'. */
  readonly hostRoutes: (router: ConnectRouter) => void;
  /** Rate-based faults; metadata faults need none. */
  readonly faultConfig: FaultConfig | undefined;
  /** Tokens and the proxy that checks them. */
  readonly auth: PlatformAuth;
  /** `grpc-message` for an unknown method (the runtime's wording, `""` for none). */
  readonly unimplementedMessage: string;
  /** Where the call log goes. */
  readonly logger: Logger;
  /** Time for delays and call durations. */
  readonly clock: Clock;
  /** Aborts every call's signal when the host shuts down. */
  readonly shutdownSignal: AbortSignal;
}

/** The routes both servings share: host services first, then every plugin's. */
function routesOf(options: GrpcHostOptions): (router: ConnectRouter) => void {
  return (router) => {
    options.hostRoutes(router);
    for (const plugin of options.plugins) plugin.grpc?.(router, options.ctx);
  };
}

/**
 * The services the gRPC routes register (host services and every plugin's), for reflection's
 * `list_services` and descriptor index.
 */
export function registeredServices(options: GrpcHostOptions): DescService[] {
  const router = createConnectRouter();
  routesOf(options)(router);
  return [...new Map(router.handlers.map((h) => [h.service.typeName, h.service])).values()];
}

/**
 * Ends a call cut by a fault: with the fault's `grpc` code when it has one, else by resetting the
 * HTTP/2 stream (grpc-js reports "Received RST_STREAM with code 2", INTERNAL). In memory there is
 * no stream to reset; the call fails with INTERNAL.
 */
function cutCall(fault: FaultSpec, stream: ServerHttp2Stream | undefined): never {
  const code = fault.grpcCode;
  if (code !== undefined) throw new ConnectError(faultMessage(fault), code);
  if (stream && !stream.destroyed) stream.close(h2.NGHTTP2_INTERNAL_ERROR);
  throw new ConnectError(new StreamCutError(fault).message, Code.Internal);
}

/**
 * The fault of one call: its `x-servingkit-fault` metadata, else a configured rate; a malformed
 * value is INVALID_ARGUMENT naming the problem.
 */
function callFault(metadata: string | undefined, config: FaultConfig | undefined) {
  try {
    return chooseFault(metadata, config);
  } catch (error) {
    if (!(error instanceof FaultSyntaxError)) throw error;
    throw new ConnectError(
      `invalid ${faultHeader} metadata: ${error.message}`,
      Code.InvalidArgument,
    );
  }
}

/**
 * What a fault does before the call runs: waits `delay-ms` on the clock (CANCELED when the call
 * ends meanwhile), then fails with the fault's code unless it cuts a stream instead.
 */
async function faultBefore(fault: FaultSpec, signal: AbortSignal, clock: Clock): Promise<void> {
  if (fault.delayMs) {
    try {
      await clock.sleep(fault.delayMs, signal);
    } catch {
      throw new ConnectError("call ended during injected delay", Code.Canceled);
    }
  }
  const code = grpcFailureCode(fault);
  if (fault.cutAfter === undefined && code !== undefined) {
    throw new ConnectError(faultMessage(fault), code);
  }
}

/**
 * The interceptor that applies faults to every call connect serves: chooses one, waits
 * `delay-ms`, fails with the code, or cuts the response messages after `cut-after` (a stream
 * reset, or the `grpc` code when one is given).
 */
function faultInterceptor(options: GrpcHostOptions): Interceptor {
  return (next) => async (req) => {
    const fault = callFault(req.header.get(faultHeader) ?? undefined, options.faultConfig);
    if (!fault) return next(req);
    req.contextValues.set(faultKey, fault);
    await faultBefore(fault, req.signal, options.clock);
    const res = await next(req);
    if (fault.cutAfter === undefined) return res;
    const raw = req.contextValues.get(rawStreamKey);
    return { ...res, message: cutAnswer(fault, res.message, res.stream, raw) } as typeof res;
  };
}

/**
 * What a fault with `cut-after` does to an answer: a stream's messages are cut after that many
 * (cutCall), a unary answer is cut at `cut-after=0` (it is one message); otherwise it is kept.
 */
function cutAnswer(
  fault: FaultSpec,
  answer: unknown,
  streaming: boolean,
  stream: ServerHttp2Stream | undefined,
): unknown {
  if (fault.cutAfter === undefined) return answer;
  if (streaming) return cutMessages(fault, answer as AsyncIterable<unknown>, stream);
  if (fault.cutAfter === 0) cutCall(fault, stream);
  return answer;
}

/** A stream's messages, cut as the fault asks (cutCall: a reset, or the fault's code). */
async function* cutMessages<T>(
  fault: FaultSpec,
  source: AsyncIterable<T>,
  stream: ServerHttp2Stream | undefined,
): AsyncGenerator<T, void, undefined> {
  try {
    yield* cutStream(fault, source);
  } catch (error) {
    if (error instanceof StreamCutError) cutCall(fault, stream);
    throw error;
  }
}

/**
 * The same faults around a fast-path call (grpc-fast-path.ts: unary and server streaming), read from
 * the raw metadata: a call without a fault (the usual case) gets nothing to run around it.
 */
function unaryFaults(options: GrpcHostOptions): CallAround {
  return (headers, context, stream) => {
    const metadata = headers[faultHeader];
    const fault = callFault(
      Array.isArray(metadata) ? metadata.join(", ") : metadata,
      options.faultConfig,
    );
    if (!fault) return undefined;
    context.values.set(faultKey, fault);
    return async (invoke) => {
      await faultBefore(fault, context.signal, options.clock);
      const streaming = context.method.methodKind === "server_streaming";
      return cutAnswer(fault, await invoke(), streaming, stream);
    };
  };
}

/**
 * The request gate of the in-memory transport: the same token check as the real port, failing
 * with the code a gRPC client reports there (UNAUTHENTICATED) and the proxy's headers.
 */
function authGate(options: GrpcHostOptions): (context: HandlerContext) => void {
  return (context) => {
    const failure = authorize(
      context.requestHeader.get("authorization") ?? undefined,
      options.auth,
    );
    if (!failure) return;
    const reply = restDenial(options.auth.mode, failure);
    const metadata = new Headers(options.auth.mode === "serverless" ? reply.headers : undefined);
    throw new ConnectError("", codeFromGrpcHttpStatus(reply.status), metadata);
  };
}

function routerOptions(options: GrpcHostOptions): ConnectRouterOptions {
  return { interceptors: [faultInterceptor(options)], shutdownSignal: options.shutdownSignal };
}

/**
 * An in-memory connect Transport over the same routes, for tests and clients without sockets.
 * Tokens are checked as on the real port (pass `headers: { authorization: "Bearer T" }`).
 */
export function createGrpcTransport(options: GrpcHostOptions): Transport {
  return createRouterTransport(routesOf(options), {
    router: { ...routerOptions(options), requestGate: authGate(options) },
  });
}

/** Puts a status message in headers or trailers into the form gRPC servers send (grpc-message.ts). */
function wireGrpcMessage(fields: Record<string, unknown>): void {
  const message = fields["grpc-message"];
  if (typeof message === "string") fields["grpc-message"] = reencodeGrpcMessage(message);
}

function codeLabel(status: string): string {
  return /^\d+$/.test(status) ? grpcStatusName(Number(status) as Code | 0) : status;
}

/**
 * Records the status a call that connect answers ends with, wherever connect writes it (the
 * headers of a trailers-only answer, the trailers of a normal one, or a plain HTTP status), and
 * puts `grpc-message` into the form gRPC servers send. The compatibility API writes through the
 * stream's `respond` and `sendTrailers`, so wrapping those two on the stream sees everything.
 */
function observeConnectAnswer(stream: ServerHttp2Stream, record: (outcome: string) => void): void {
  const respond = stream.respond.bind(stream);
  stream.respond = (headers, opts) => {
    const fields = (headers ?? {}) as Record<string, unknown>;
    wireGrpcMessage(fields);
    const httpStatus = Number(fields[h2.HTTP2_HEADER_STATUS] ?? 200);
    const grpcStatus = fields["grpc-status"];
    if (grpcStatus !== undefined) record(codeLabel(String(grpcStatus)));
    else if (httpStatus !== 200) record(`HTTP ${httpStatus}`);
    respond(headers, opts);
  };
  const sendTrailers = stream.sendTrailers.bind(stream);
  stream.sendTrailers = (trailers) => {
    const fields = trailers as Record<string, unknown>;
    wireGrpcMessage(fields);
    const grpcStatus = fields["grpc-status"];
    if (grpcStatus !== undefined) record(codeLabel(String(grpcStatus)));
    sendTrailers(trailers);
  };
}

/** A `node:http2` server (plain or TLS) that the gRPC host serves on. */
export type GrpcServer = Http2Server | Http2SecureServer;

/**
 * Serves the gRPC port on a `node:http2` server created without a request listener.
 * Authorization comes first (trailers-only UNAUTHENTICATED from envoy in serverless mode, a plain
 * 401 from kube-rbac-proxy in raw mode); then plain unary calls take the fast path (grpc-fast-path.ts)
 * and every other call goes to the connect routes (gRPC protocol only); unknown methods get
 * UNIMPLEMENTED; every call gets a log line. The plugins' `grpc` hooks run once: both paths call
 * the same implementation objects.
 */
export function serveGrpc(server: GrpcServer, options: GrpcHostOptions): void {
  const { logger, clock } = options;
  if (server.listenerCount("request") > 0) {
    throw new Error("serveGrpc needs a node:http2 server created without a request listener");
  }
  const captured = captureRoutes(routesOf(options));
  const { interceptors, shutdownSignal } = routerOptions(options);

  const unimplemented = (req: Http2ServerRequest) => {
    // A gRPC server answers an unknown method with a trailers-only UNIMPLEMENTED response.
    const headers: Record<string, string> = {
      [h2.HTTP2_HEADER_STATUS]: "200",
      "content-type": "application/grpc",
      "grpc-status": String(Code.Unimplemented),
    };
    if (options.unimplementedMessage) {
      headers["grpc-message"] = encodeGrpcMessage(options.unimplementedMessage);
    }
    req.resume();
    if (!req.stream.destroyed && !req.stream.closed)
      req.stream.respond(headers, { endStream: true });
  };
  const adapter = connectNodeAdapter({
    routes: captured.routes,
    interceptors: [...(interceptors ?? [])],
    ...(shutdownSignal ? { shutdownSignal } : {}),
    grpc: true,
    grpcWeb: false,
    connect: false,
    contextValues: (req) =>
      createContextValues().set(rawStreamKey, (req as Http2ServerRequest).stream),
    fallback: (req) => unimplemented(req as Http2ServerRequest),
  });
  const unaryOptions: UnaryHostOptions = {
    around: unaryFaults(options),
    shutdownSignal: options.shutdownSignal,
  };

  // Node's compatibility API is itself a "stream" listener, installed when the first "request"
  // listener is added. Take it over, so that the fast path's streams never reach it.
  const before = new Set(server.listeners("stream"));
  server.on("request", (req: Http2ServerRequest, res: Http2ServerResponse) => adapter(req, res));
  const installed = server.listeners("stream").filter((listener) => !before.has(listener));
  const toCompat = installed[0] as StreamListener | undefined;
  if (installed.length !== 1 || toCompat === undefined) {
    throw new Error("node:http2 did not install its compatibility layer as one stream listener");
  }
  server.off("stream", toCompat);

  // Whether every call gets a log line: pino's level decides, once, when the host is built.
  const logCalls = logger.isLevelEnabled("info");
  server.on("stream", (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, ...rest) => {
    // The outcome recorders only when the call is logged: a silent host builds no closure, adds
    // no listener and names no status per call.
    let record = ignoreOutcome;
    let recordStatus = ignoreStatus;
    if (logCalls) {
      let outcome = "RESET";
      record = (label) => {
        outcome = label;
      };
      recordStatus = (code) => record(grpcStatusName(code));
      const start = clock.now();
      const rpc = headers[h2.HTTP2_HEADER_PATH];
      stream.once("close", () => {
        const ms = Math.round((clock.now() - start) * 10) / 10;
        logger.info({ rpc, code: outcome, ms }, "call");
      });
    }

    const failure = authorize(headers.authorization, options.auth);
    if (failure) {
      deny(stream, grpcDenial(options.auth.mode, failure), record);
      return;
    }
    const call = unaryCallOf(headers, captured.unary);
    if (call) {
      serveUnaryCall(stream, headers, call, unaryOptions, recordStatus);
      return;
    }
    observeConnectAnswer(stream, record);
    toCompat(stream, headers, ...rest);
  });
}

/** The outcome recorders of a call nobody logs. */
const ignoreOutcome = (_label: string): void => {};
const ignoreStatus: StatusRecorder = () => {};

type StreamListener = (
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  ...rest: unknown[]
) => void;

/** Writes the proxy's refusal: envoy's trailers-only answer, or kube-rbac-proxy's plain HTTP reply. */
function deny(
  stream: ServerHttp2Stream,
  denial: ReturnType<typeof grpcDenial>,
  record: (outcome: string) => void,
): void {
  stream.on("error", () => {});
  stream.resume();
  // The client may already have reset the stream; there is then nobody to answer.
  if (stream.destroyed || stream.closed) return;
  if (denial.kind === "trailers-only") {
    record(codeLabel(denial.headers["grpc-status"] ?? ""));
    stream.respond({ [h2.HTTP2_HEADER_STATUS]: 200, ...denial.headers }, { endStream: true });
    return;
  }
  record(`HTTP ${denial.reply.status}`);
  stream.respond(
    { [h2.HTTP2_HEADER_STATUS]: denial.reply.status, ...denial.reply.headers },
    { waitForTrailers: true },
  );
  stream.once("wantTrailers", () => stream.sendTrailers({}));
  stream.end(denial.reply.body);
}
