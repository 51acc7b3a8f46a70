/**
 * The gRPC host: one set of connect routes served two ways, on a `node:http2` port through
 * `connectNodeAdapter` (gRPC protocol only, as the runtimes' servers speak it) and in memory
 * through `createRouterTransport`. The platform's behaviours wrap the routes: token
 * authorization (answered as the mode's proxy answers it), fault injection, UNIMPLEMENTED for
 * unknown methods, and one log line per call.
 */
import { type Http2ServerRequest, type Http2ServerResponse, constants as h2 } from "node:http2";
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
import { encodeGrpcMessage, reencodeGrpcMessage } from "./grpc-message.js";
import { authorize, grpcDenial, type PlatformAuth, restDenial } from "./platform-auth.js";
import type { MockPlugin, PluginContext } from "./plugin.js";

/** The fault chosen for a call, kept in the call's context values. */
export const faultKey = createContextKey<FaultSpec | undefined>(undefined, {
  description: "servingkit fault",
});

/** The raw HTTP/2 request of a call on the real port (undefined in memory). */
const rawRequestKey = createContextKey<Http2ServerRequest | undefined>(undefined, {
  description: "servingkit raw request",
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
 * The interceptor that applies faults to every call: chooses one (metadata `x-servingkit-fault`,
 * else a configured rate), waits `delay-ms`, fails with the code, or cuts the response messages
 * after `cut-after` (a stream reset, or the `grpc` code when one is given).
 */
function faultInterceptor(options: GrpcHostOptions): Interceptor {
  const cut = (fault: FaultSpec, raw: Http2ServerRequest | undefined): never => {
    const code = fault.grpcCode;
    if (code !== undefined) throw new ConnectError(faultMessage(fault), code);
    // A cut connection: reset the HTTP/2 stream (grpc-js reports "Received RST_STREAM with code
    // 2", INTERNAL). In memory there is no stream to reset; the call fails with INTERNAL.
    if (raw && !raw.stream.destroyed) raw.stream.close(h2.NGHTTP2_INTERNAL_ERROR);
    throw new ConnectError(new StreamCutError(fault).message, Code.Internal);
  };
  return (next) => async (req) => {
    let fault: FaultSpec | undefined;
    try {
      fault = chooseFault(req.header.get(faultHeader) ?? undefined, options.faultConfig);
    } catch (error) {
      if (!(error instanceof FaultSyntaxError)) throw error;
      throw new ConnectError(
        `invalid ${faultHeader} metadata: ${error.message}`,
        Code.InvalidArgument,
      );
    }
    if (!fault) return next(req);
    req.contextValues.set(faultKey, fault);
    if (fault.delayMs) {
      try {
        await options.clock.sleep(fault.delayMs, req.signal);
      } catch {
        throw new ConnectError("call ended during injected delay", Code.Canceled);
      }
    }
    const code = grpcFailureCode(fault);
    if (fault.cutAfter === undefined) {
      if (code !== undefined) throw new ConnectError(faultMessage(fault), code);
      return next(req);
    }
    const raw = req.contextValues.get(rawRequestKey);
    const limit = fault.cutAfter;
    const active = fault;
    const res = await next(req);
    if (!res.stream) {
      if (limit === 0) cut(active, raw);
      return res;
    }
    const source = res.message;
    async function* cutMessages() {
      try {
        yield* cutStream(active, source);
      } catch (error) {
        if (error instanceof StreamCutError) cut(active, raw);
        throw error;
      }
    }
    return { ...res, message: cutMessages() } as typeof res;
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

/** A `node:http2` request handler (compatibility API) for the gRPC port. */
export type GrpcNodeHandler = (req: Http2ServerRequest, res: Http2ServerResponse) => void;

/**
 * The handler of the gRPC port: authorization in front (trailers-only UNAUTHENTICATED from envoy
 * in serverless mode, a plain 401 from kube-rbac-proxy in raw mode), then the connect routes
 * (gRPC protocol only), UNIMPLEMENTED for unknown methods, and a log line per call.
 */
export function createGrpcNodeHandler(options: GrpcHostOptions): GrpcNodeHandler {
  const { logger, clock } = options;
  const unimplemented = (req: Http2ServerRequest, _res: Http2ServerResponse) => {
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
    routes: routesOf(options),
    ...routerOptions(options),
    grpc: true,
    grpcWeb: false,
    connect: false,
    contextValues: (req) => createContextValues().set(rawRequestKey, req as Http2ServerRequest),
    fallback: (req, res) => unimplemented(req as Http2ServerRequest, res as Http2ServerResponse),
  });

  return (req, res) => {
    const start = clock.now();
    let outcome: string | undefined;
    const stream = req.stream;
    // Record the status the call ends with, wherever it is written: the headers of a
    // trailers-only answer, the trailers of a normal one, or a plain HTTP status.
    const respond = stream.respond.bind(stream);
    stream.respond = (headers, opts) => {
      const fields = (headers ?? {}) as Record<string, unknown>;
      wireGrpcMessage(fields);
      const httpStatus = Number(fields[h2.HTTP2_HEADER_STATUS] ?? 200);
      const grpcStatus = fields["grpc-status"];
      if (grpcStatus !== undefined) outcome = codeLabel(String(grpcStatus));
      else if (httpStatus !== 200) outcome = `HTTP ${httpStatus}`;
      respond(headers, opts);
    };
    const addTrailers = res.addTrailers.bind(res);
    res.addTrailers = (trailers) => {
      wireGrpcMessage(trailers as Record<string, unknown>);
      const grpcStatus = (trailers as Record<string, unknown>)["grpc-status"];
      if (grpcStatus !== undefined) outcome = codeLabel(String(grpcStatus));
      addTrailers(trailers);
    };
    stream.once("close", () => {
      const ms = Math.round((clock.now() - start) * 10) / 10;
      logger.info({ rpc: req.url, code: outcome ?? "RESET", ms }, "call");
    });

    const failure = authorize(req.headers.authorization, options.auth);
    if (failure) {
      const denial = grpcDenial(options.auth.mode, failure);
      req.resume();
      // The client may already have reset the stream; there is then nobody to answer.
      if (stream.destroyed || stream.closed) return;
      if (denial.kind === "trailers-only") {
        stream.respond({ [h2.HTTP2_HEADER_STATUS]: 200, ...denial.headers }, { endStream: true });
      } else {
        res.writeHead(denial.reply.status, denial.reply.headers);
        res.end(denial.reply.body);
      }
      return;
    }
    adapter(req, res);
  };
}
