/**
 * The plugin interface: how a runtime's protocols attach to the host. A plugin registers REST
 * routes on a fastify instance and gRPC services on a connect router, and may answer the errors
 * the host raises on the runtime's behalf (unknown routes, bad bodies, injected faults) in the
 * runtime's own words. Everything else (auth, TLS, faults, logs, readiness, shutdown) is the
 * host's.
 */
import type { ConnectRouter, HandlerContext } from "@connectrpc/connect";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Logger } from "pino";
import type { Clock } from "./clock.js";
import type { FaultSpec } from "./fault.js";
import type { Readiness } from "./readiness.js";
import type { RestRequestHead } from "./rest-route-table.js";
import type { CannedReply, RuntimeInfo } from "./runtime-catalog.js";
import { pythonJsonDecodeError } from "./structured/python-json.js";

/** A request body the host could not accept, handed to {@link MockPlugin.bodyError}. */
export interface BodyError {
  /** `malformed-json`: a JSON content type with a body that does not parse; `too-large`: over the body limit. */
  readonly kind: "malformed-json" | "too-large";
  /** What the parser said (for malformed JSON: the parser's message). */
  readonly detail: string;
  /** The raw body, when it was read (malformed JSON). */
  readonly body?: Buffer;
}

/** What the host gives every plugin. */
export interface PluginContext {
  /** The catalog entry of the runtime being mocked. */
  readonly runtime: RuntimeInfo;
  /** Model names the mock serves (`--model`); may be empty, where the plugin picks a default. */
  readonly models: readonly string[];
  /** Shared readiness: false during slow start and after shutdown begins. */
  readonly readiness: Readiness;
  /** The clock for every delay and timestamp. */
  readonly clock: Clock;
  /** The host's logger (pino); plugins log through children of it. */
  readonly logger: Logger;
  /**
   * Aborts when the host begins to shut down: open streams should finish (or end early) when it
   * fires, then the servers close.
   */
  readonly shutdownSignal: AbortSignal;
  /**
   * The fault chosen for a REST request (header or configured rate), for the plugin to honour the
   * parts only it can: wrap streamed bodies with `cutStream(ctx.restFault(request), chunks)`.
   */
  restFault(request: FastifyRequest): FaultSpec | undefined;
  /**
   * The fault chosen for a gRPC call. The host already applies it to every call (status, delay,
   * cut of the response messages); plugins rarely need it.
   */
  grpcFault(context: HandlerContext): FaultSpec | undefined;
}

/**
 * A runtime's share of a mock. Every member is optional; the host installs plugins in order, and
 * for each error hook the last plugin that has one answers (so a protocol plugin overrides the
 * runtime's base plugin).
 */
export interface MockPlugin {
  /** A name for logs and errors. */
  readonly name: string;
  /** Registers REST routes (in an encapsulated fastify context). */
  rest?(app: FastifyInstance, ctx: PluginContext): void | Promise<void>;
  /** Registers gRPC services on the router the gRPC port and the in-memory transport share. */
  grpc?(router: ConnectRouter, ctx: PluginContext): void;
  /**
   * The runtime's error envelope for an error the host answers on its behalf (injected faults,
   * internal errors): e.g. `{"error":"<message>"}` for Triton. Default: the message as text/plain.
   */
  errorBody?(status: number, message: string): CannedReply;
  /**
   * The runtime's answer to an unknown path. Default: FastAPI's `{"detail":"Not Found"}` 404.
   * `headers` (lower-case names, as {@link RestRequestHead.headers}) let a runtime's middleware
   * that runs before routing answer here too (vLLM's `--api-key`, its X-Request-Id echo).
   * `query` is the raw query string without its `?` ("" when none), for answers that carry it
   * (Starlette's trailing-slash redirect).
   */
  notFound?(
    method: string,
    path: string,
    headers: RestRequestHead["headers"],
    query: string,
  ): CannedReply;
  /**
   * The runtime's answer to a known path with a method it does not route (`allowed` lists the
   * methods that path has). Default: FastAPI's `{"detail":"Method Not Allowed"}` 405 with `allow`.
   * `headers` as for {@link MockPlugin.notFound}.
   */
  methodNotAllowed?(
    method: string,
    path: string,
    allowed: readonly string[],
    headers: RestRequestHead["headers"],
  ): CannedReply;
  /** The runtime's answer to a body the host could not accept. Default: see {@link defaultBodyError}. */
  bodyError?(error: BodyError): CannedReply;
}

/** The error hooks resolved over a list of plugins, with defaults filled in. */
export interface ResolvedHooks {
  /** See {@link MockPlugin.errorBody}. */
  errorBody(status: number, message: string): CannedReply;
  /** See {@link MockPlugin.notFound}; `headers` default to none, `query` to "". */
  notFound(
    method: string,
    path: string,
    headers?: RestRequestHead["headers"],
    query?: string,
  ): CannedReply;
  /** See {@link MockPlugin.methodNotAllowed}; `headers` default to none. */
  methodNotAllowed(
    method: string,
    path: string,
    allowed: readonly string[],
    headers?: RestRequestHead["headers"],
  ): CannedReply;
  /** See {@link MockPlugin.bodyError}. */
  bodyError(error: BodyError): CannedReply;
}

/** The host's error body where no plugin has an envelope: the message as plain text. */
export function defaultErrorBody(status: number, message: string): CannedReply {
  return { status, headers: { "content-type": "text/plain; charset=utf-8" }, body: message };
}

/**
 * FastAPI's (Starlette's) unknown route answer, which most runtimes here give (vllm-openai.md §1,
 * kserve-v2.md §3.2, caikit-tgis.md §1.7).
 */
export function defaultNotFound(): CannedReply {
  return {
    status: 404,
    headers: { "content-type": "application/json" },
    body: '{"detail":"Not Found"}',
  };
}

/** FastAPI's wrong-method answer; Starlette adds `allow` with the route's methods. */
export function defaultMethodNotAllowed(allowed: readonly string[]): CannedReply {
  return {
    status: 405,
    headers: { "content-type": "application/json", allow: allowed.join(", ") },
    body: '{"detail":"Method Not Allowed"}',
  };
}

/**
 * FastAPI's detail entry for a body that is not JSON (fastapi/routing.py catches the
 * `json.JSONDecodeError` of Starlette's `request.json()`): `loc` `["body", e.pos]` and
 * `ctx.error` `e.msg`, Python's own words and offset (mock-core `pythonJsonDecodeError`). A body
 * only JavaScript refuses (Python reads `NaN`), or one not at hand, keeps `detail` (the parser's
 * message) at offset 0. `text`: the body as read.
 */
export function fastApiJsonInvalid(
  detail: string,
  text: string | undefined,
): {
  readonly type: "json_invalid";
  readonly loc: readonly ["body", number];
  readonly msg: "JSON decode error";
  readonly input: Record<string, never>;
  readonly ctx: { readonly error: string };
} {
  const python = text === undefined ? undefined : pythonJsonDecodeError(text);
  return {
    type: "json_invalid",
    loc: ["body", python?.pos ?? 0],
    msg: "JSON decode error",
    input: {},
    ctx: { error: python?.msg ?? detail },
  };
}

/**
 * FastAPI's answers to bodies it cannot use: malformed JSON → 422 with a `json_invalid` detail
 * entry ({@link fastApiJsonInvalid}; pydantic v2 era, caikit-tgis.md §1.7 "Invalid JSON"); no
 * body limit exists in uvicorn, so an over-limit body is the host's own 413.
 */
export function defaultBodyError(error: BodyError): CannedReply {
  if (error.kind === "too-large") {
    return defaultErrorBody(413, "Request Entity Too Large");
  }
  const body = { detail: [fastApiJsonInvalid(error.detail, error.body?.toString("utf8"))] };
  return {
    status: 422,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  };
}

/** The headers of a request a caller of a resolved hook did not give. */
const noHeaders: RestRequestHead["headers"] = Object.freeze({});

/** Resolves the error hooks: the last plugin that defines one wins, else the default. */
export function resolveHooks(plugins: readonly MockPlugin[]): ResolvedHooks {
  const last = <K extends keyof MockPlugin>(key: K): MockPlugin | undefined =>
    [...plugins].reverse().find((p) => p[key] !== undefined);
  const errorBody = last("errorBody");
  const notFound = last("notFound");
  const methodNotAllowed = last("methodNotAllowed");
  const bodyError = last("bodyError");
  return {
    errorBody: (status, message) =>
      errorBody?.errorBody?.(status, message) ?? defaultErrorBody(status, message),
    notFound: (method, path, headers = noHeaders, query = "") =>
      notFound?.notFound?.(method, path, headers, query) ?? defaultNotFound(),
    methodNotAllowed: (method, path, allowed, headers = noHeaders) =>
      methodNotAllowed?.methodNotAllowed?.(method, path, allowed, headers) ??
      defaultMethodNotAllowed(allowed),
    bodyError: (error) => bodyError?.bodyError?.(error) ?? defaultBodyError(error),
  };
}
