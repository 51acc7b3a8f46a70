/**
 * A mock runtime: the REST host and the gRPC host of one runtime, built from its plugins, with
 * the platform's behaviours (token authorization, TLS, faults, readiness, logs, graceful
 * shutdown). `buildMock` builds without listening (tests inject and use the in-memory transport);
 * `startMock` listens.
 */
import { createSecureServer, createServer, type Http2Server, type Http2Session } from "node:http2";
import type { AddressInfo } from "node:net";
import type { Transport } from "@connectrpc/connect";
import { Health } from "@servingkit/proto/health";
import { v1, v1alpha } from "@servingkit/proto/reflection";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { type Clock, realClock } from "./clock.js";
import { type FaultConfig, type FaultSpec, validateFaultConfig } from "./fault.js";
import { healthService } from "./grpc-health.js";
import {
  createGrpcTransport,
  type GrpcHostOptions,
  grpcFaultOf,
  registeredServices,
  serveGrpc,
} from "./grpc-host.js";
import {
  lazyDescriptorIndex,
  reflectionServiceV1,
  reflectionServiceV1alpha,
} from "./grpc-reflection.js";
import type { AuthMode, PlatformAuth } from "./platform-auth.js";
import { type MockPlugin, type PluginContext, resolveHooks } from "./plugin.js";
import { Readiness } from "./readiness.js";
import { createLogger, type LoggerOption } from "./request-log.js";
import { buildRestHost } from "./rest-host.js";
import { type RuntimeInfo, type RuntimeName, runtimeCatalog } from "./runtime-catalog.js";
import { runtimeBasePlugin } from "./runtime-plugins.js";
import { resolveTls } from "./tls.js";

/** How to build a mock runtime. */
export interface MockOptions {
  /** Which runtime to mock. */
  runtime: RuntimeName;
  /** Interface to listen on. Default `0.0.0.0`; tests pass `127.0.0.1`. */
  host?: string;
  /** REST port; `0` = ephemeral; undefined = the runtime's platform port (catalog). */
  httpPort?: number;
  /** gRPC port; `0` = ephemeral; undefined = the catalog's. Ignored for runtimes without gRPC. */
  grpcPort?: number;
  /** Accepted bearer tokens; empty or undefined = no authorization (the platform's default). */
  tokens?: readonly string[];
  /**
   * Tokens that authenticate but are not authorized to call the InferenceService: refused with
   * 403 as the mode's proxy refuses them (gRPC: PERMISSION_DENIED). Default none.
   */
  forbiddenTokens?: readonly string[];
  /** Which proxy answers refused requests: Authorino/envoy or kube-rbac-proxy. Default `serverless`. */
  authMode?: AuthMode;
  /**
   * TLS on both ports: `true` = a self-signed certificate made at start (exposed as
   * `certificatePem`); `{ cert, key }` = PEM texts or paths to PEM files. Default off.
   */
  tls?: boolean | { cert: string; key: string };
  /** Model names to serve; plugins decide the default when empty. */
  models?: readonly string[];
  /** Rate-based faults and slow start. Header faults need no configuration. */
  faults?: FaultConfig;
  /** The request log: false (default, silent), true (info to stdout), pino options or a Logger. */
  logger?: LoggerOption;
  /** Protocol plugins, installed after the runtime's base plugin (health routes, 404/405). */
  plugins?: readonly MockPlugin[];
  /** The clock for slow start and delays. Default the real clock. */
  clock?: Clock;
  /** Largest accepted REST body in bytes. Default 64 MiB. */
  bodyLimit?: number;
  /**
   * How long `close()` lets open requests and streams finish before cutting them, in
   * milliseconds. Default 5000.
   */
  shutdownGraceMs?: number;
}

/** Where a running mock listens. */
export interface MockEndpoints {
  /** REST base URL, e.g. `http://127.0.0.1:8080` (`https://` with TLS). */
  http?: string;
  /** gRPC address `host:port`, e.g. `127.0.0.1:9000`; undefined for runtimes without gRPC. */
  grpc?: string;
}

/** A mock that is listening. */
export interface RunningMock {
  /** The runtime's name. */
  readonly runtime: RuntimeName;
  /** Where it listens. */
  readonly endpoints: MockEndpoints;
  /** The certificate clients should trust (PEM) when TLS is on. */
  readonly certificatePem?: string;
  /** The shared readiness state. */
  readonly readiness: Readiness;
  /**
   * Shuts down gracefully: readiness goes false, streams are told (shutdown signal) and get up
   * to `shutdownGraceMs` to finish, then both servers close. Safe to call twice.
   */
  close(): Promise<void>;
}

/** A mock built but not listening. */
export interface BuiltMock {
  /** The runtime's catalog entry. */
  readonly runtime: RuntimeInfo;
  /** The fastify app (REST); use `http.inject()` in tests. */
  readonly http: FastifyInstance;
  /**
   * An in-memory connect Transport over the gRPC routes (same services, faults and token check),
   * for `createClient(Service, transport)`. Undefined behaviour for runtimes without gRPC: the
   * transport has only the host's services.
   */
  grpcTransport(): Transport;
  /** The shared readiness state (slow start and shutdown write it). */
  readonly readiness: Readiness;
  /** The certificate (PEM) when TLS is on. */
  readonly certificatePem?: string;
  /** The logger the hosts write to. */
  readonly logger: Logger;
  /** Starts listening on the configured ports; resolves once both accept connections. */
  listen(): Promise<RunningMock>;
  /** Shuts down: the same graceful close as `RunningMock.close()`, listening or not. */
  close(): Promise<void>;
}

/** Default REST body limit: 64 MiB (tensors travel as JSON). */
export const defaultBodyLimit = 64 * 1024 * 1024;

/** Default grace for open requests and streams on shutdown, in milliseconds. */
export const defaultShutdownGraceMs = 5000;

function urlHost(host: string): string {
  if (host === "0.0.0.0" || host === "::" || host === "") return "127.0.0.1";
  return host.includes(":") ? `[${host}]` : host;
}

/** Builds a mock runtime without listening. */
export async function buildMock(options: MockOptions): Promise<BuiltMock> {
  const info = runtimeCatalog[options.runtime];
  if (!info) throw new Error(`unknown runtime '${String(options.runtime)}'`);
  if (options.faults) validateFaultConfig(options.faults);
  const clock = options.clock ?? realClock;
  const logger = createLogger(options.logger, { runtime: info.name });
  const tls = await resolveTls(options.tls);
  const auth: PlatformAuth = {
    tokens: options.tokens ?? [],
    forbiddenTokens: options.forbiddenTokens ?? [],
    mode: options.authMode ?? "serverless",
  };
  const plugins = [runtimeBasePlugin(info), ...(options.plugins ?? [])];
  const shutdown = new AbortController();

  const slowStartMs = options.faults?.slowStartMs ?? 0;
  const readiness = new Readiness(slowStartMs <= 0);
  if (slowStartMs > 0) {
    // Ready once the delay has passed, unless shutdown came first (the sleep then rejects).
    clock.sleep(slowStartMs, shutdown.signal).then(
      () => readiness.set(true),
      () => {},
    );
  }

  const restFaults = new WeakMap<object, FaultSpec>();
  const ctx: PluginContext = {
    runtime: info,
    models: options.models ?? [],
    readiness,
    clock,
    logger,
    shutdownSignal: shutdown.signal,
    restFault: (request) => restFaults.get(request.raw),
    grpcFault: grpcFaultOf,
  };

  const http = await buildRestHost({
    plugins,
    hooks: resolveHooks(plugins),
    ctx,
    faults: restFaults,
    faultConfig: options.faults,
    auth,
    tls,
    bodyLimit: options.bodyLimit ?? defaultBodyLimit,
    logger,
    clock,
  });

  const descriptors = lazyDescriptorIndex(() => registeredServices(grpcOptions));
  const grpcOptions: GrpcHostOptions = {
    plugins,
    ctx,
    hostRoutes: (router) => {
      if (info.grpcHealth) router.service(Health, healthService(readiness, shutdown.signal));
      if (info.grpcReflection) {
        router.service(v1.ServerReflection, reflectionServiceV1(descriptors));
        router.service(v1alpha.ServerReflection, reflectionServiceV1alpha(descriptors));
      }
    },
    faultConfig: options.faults,
    auth,
    unimplementedMessage: info.grpcUnimplementedMessage,
    logger,
    clock,
    shutdownSignal: shutdown.signal,
  };

  const graceMs = options.shutdownGraceMs ?? defaultShutdownGraceMs;
  let closing: Promise<void> | undefined;
  /** Closes the gRPC server once `listen()` has started one. */
  let closeGrpc = async (): Promise<void> => {};
  const close = () => {
    closing ??= shutdownAll();
    return closing;
  };

  const built: BuiltMock = {
    runtime: info,
    http,
    grpcTransport: () => createGrpcTransport(grpcOptions),
    readiness,
    ...(tls ? { certificatePem: tls.cert } : {}),
    logger,
    async listen() {
      const host = options.host ?? "0.0.0.0";
      const scheme = tls ? "https" : "http";
      await http.listen({ host, port: options.httpPort ?? info.httpPort });
      const httpPort = (http.server.address() as AddressInfo).port;

      let grpcServer: Http2Server | undefined;
      const sessions = new Set<Http2Session>();
      if (info.grpcPort !== undefined) {
        grpcServer = tls ? createSecureServer({ cert: tls.cert, key: tls.key }) : createServer();
        serveGrpc(grpcServer, grpcOptions);
        grpcServer.on("session", (session) => {
          sessions.add(session);
          session.once("close", () => sessions.delete(session));
          // A client that breaks the protocol loses its own session, never the server.
          session.on("error", (error) => {
            logger.debug({ err: error }, "gRPC session error");
            session.destroy();
          });
        });
        const server = grpcServer;
        try {
          await new Promise<void>((resolve, reject) => {
            server.once("error", reject);
            server.listen(options.grpcPort ?? info.grpcPort, host, () => {
              server.off("error", reject);
              resolve();
            });
          });
        } catch (error) {
          await http.close();
          throw error;
        }
      }
      const grpcPort = grpcServer ? (grpcServer.address() as AddressInfo).port : undefined;
      const endpoints: MockEndpoints = {
        http: `${scheme}://${urlHost(host)}:${httpPort}`,
        ...(grpcPort !== undefined ? { grpc: `${urlHost(host)}:${grpcPort}` } : {}),
      };
      logger.debug({ endpoints }, "listening");

      closeGrpc = async () => {
        const server = grpcServer;
        if (!server) return;
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        // GOAWAY: sessions finish their open streams, then end.
        for (const session of sessions) session.close();
        const timer = setTimeout(() => {
          for (const session of sessions) session.destroy();
        }, graceMs);
        try {
          await closed;
        } finally {
          clearTimeout(timer);
        }
      };

      return {
        runtime: info.name,
        endpoints,
        ...(tls ? { certificatePem: tls.cert } : {}),
        readiness,
        close,
      };
    },
    close,
  };

  async function shutdownAll(): Promise<void> {
    readiness.set(false);
    shutdown.abort();
    const timer = setTimeout(() => http.server.closeAllConnections?.(), graceMs);
    try {
      await Promise.all([http.close(), closeGrpc()]);
    } finally {
      clearTimeout(timer);
    }
    logger.debug("closed");
  }

  return built;
}

/** Builds a mock runtime and starts listening. */
export async function startMock(options: MockOptions): Promise<RunningMock> {
  const built = await buildMock(options);
  try {
    return await built.listen();
  } catch (error) {
    await built.close();
    throw error;
  }
}
