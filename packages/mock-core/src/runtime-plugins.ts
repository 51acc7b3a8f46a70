/**
 * Each runtime's base plugin: the health/readiness routes the real runtime answers, its own
 * 404/405 answers, and its error envelope for errors the host raises on its behalf. Protocol
 * plugins (later issues) install after it and add the protocol routes.
 */
import { randomBytes } from "node:crypto";
import type { MockPlugin, PluginContext } from "./plugin.js";
import {
  healthRouteTable,
  type RestRequestHead,
  type RestRouteReply,
  registerRestRouteTable,
} from "./rest-route-table.js";
import type { CannedReply, RuntimeInfo, RuntimeName } from "./runtime-catalog.js";
import { runtimeCatalog } from "./runtime-catalog.js";

const jsonHeaders = { "content-type": "application/json" } as const;

/** `{"error":"<message>"}`: Triton, MLServer, OVMS (kserve-v2.md §3) and TGIS (server.rs ErrorResponse). */
function errorStringEnvelope(status: number, message: string): CannedReply {
  return { status, headers: jsonHeaders, body: JSON.stringify({ error: message }) };
}

/** Caikit: `{"details", "code", "id"}` with a 32-hex id (caikit-tgis.md §1.7). */
function caikitEnvelope(status: number, message: string): CannedReply {
  const body = { details: message, code: status, id: randomBytes(16).toString("hex") };
  return { status, headers: jsonHeaders, body: JSON.stringify(body) };
}

/** vLLM's OpenAI-like error `type` names per status (vllm-openai.md §3). */
function vllmErrorType(status: number): string {
  if (status === 404) return "NotFoundError";
  if (status >= 500) return "InternalServerError";
  return "BadRequestError";
}

/**
 * vLLM ≥ v0.10.1: `{"error":{"message","type","param":null,"code":<status>}}` (vllm-openai.md §3).
 * The vLLM protocol plugin may override it with an older era's flat envelope.
 */
function vllmEnvelope(status: number, message: string): CannedReply {
  const error = { message, type: vllmErrorType(status), param: null, code: status };
  return { status, headers: jsonHeaders, body: JSON.stringify({ error }) };
}

const envelopes: Readonly<Record<RuntimeName, (status: number, message: string) => CannedReply>> = {
  vllm: vllmEnvelope,
  "caikit-tgis": caikitEnvelope,
  "caikit-standalone": caikitEnvelope,
  tgis: errorStringEnvelope,
  ovms: errorStringEnvelope,
  triton: errorStringEnvelope,
  mlserver: errorStringEnvelope,
};

/**
 * Where a protocol plugin stores the answer that replaces the base health routes, on the host's
 * PluginContext (set only through {@link withholdBaseHealthRoutes}).
 */
const withheldHealthRoutes = Symbol("withheld health routes");

/**
 * Withholds the runtime's health routes for one mock: they answer `reply` (the protocol's
 * unknown-route answer) instead. For a runtime served behind something that routes no health
 * paths, e.g. ModelMesh's REST proxy (kserve-v2.md §3.4). Call it from the plugin's `rest`.
 */
export function withholdBaseHealthRoutes(ctx: PluginContext, reply: CannedReply): void {
  Reflect.set(ctx, withheldHealthRoutes, reply);
}

function withheldReply(ctx: PluginContext): CannedReply | undefined {
  return Reflect.get(ctx, withheldHealthRoutes) as CannedReply | undefined;
}

/**
 * A runtime middleware around the base health routes: takes the request's head and the answer
 * the route gives, returns the answer that goes out (see {@link wrapBaseHealthRoutes}).
 */
export type BaseHealthWrapper = (head: RestRequestHead, reply: RestRouteReply) => RestRouteReply;

/** Where {@link wrapBaseHealthRoutes} stores its wrapper on the host's PluginContext. */
const wrappedHealthRoutes = Symbol("wrapped health routes");

/**
 * Passes every answer of the runtime's base health routes (a withheld one too) through `wrap`,
 * for a runtime middleware that wraps every route of the real server, e.g. vLLM's X-Request-Id
 * (server_utils.py XRequestIdMiddleware). The answers the host gives before the runtime sees the
 * request (platform token 401/403, faults) do not pass through it: the platform's proxies give
 * those. Call it from the plugin's `rest`; a later call replaces the wrapper (default: none).
 */
export function wrapBaseHealthRoutes(ctx: PluginContext, wrap: BaseHealthWrapper): void {
  Reflect.set(ctx, wrappedHealthRoutes, wrap);
}

function healthWrapper(ctx: PluginContext): BaseHealthWrapper | undefined {
  return Reflect.get(ctx, wrappedHealthRoutes) as BaseHealthWrapper | undefined;
}

/**
 * The base plugin for a runtime, from its catalog entry: its health routes (liveness answers
 * while the process is up; readiness follows the shared readiness state), its unknown-route and
 * wrong-method answers, and its error envelope.
 */
export function runtimeBasePlugin(info: RuntimeInfo): MockPlugin {
  const withAllow = (reply: CannedReply, allowed: readonly string[]): CannedReply =>
    // Starlette's 405 lists the route's methods in `allow`; others send what the catalog says.
    reply.body.includes('"detail"')
      ? { ...reply, headers: { ...reply.headers, allow: allowed.join(", ") } }
      : reply;
  return {
    name: `${info.name}-base`,
    rest(app, ctx) {
      // The same table msw serves (rest-route-table.ts), so the answers exist once; a protocol
      // plugin may withhold it (withholdBaseHealthRoutes) or wrap it (wrapBaseHealthRoutes), both
      // read per request since it installs later.
      const table = healthRouteTable(info, ctx.readiness);
      registerRestRouteTable(app, ctx, {
        ...table,
        routes: table.routes.map((route) => ({
          ...route,
          handle: (request) => {
            const reply = withheldReply(ctx) ?? route.handle(request);
            const wrap = healthWrapper(ctx);
            if (wrap === undefined) return reply;
            return reply instanceof Promise
              ? reply.then((settled) => wrap(request, settled))
              : wrap(request, reply);
          },
        })),
      });
    },
    errorBody: envelopes[info.name],
    notFound: () => info.notFound,
    methodNotAllowed: (_method, _path, allowed) => withAllow(info.methodNotAllowed, allowed),
  };
}

/** The base plugin of a runtime by name. */
export function runtimePlugin(name: RuntimeName): MockPlugin {
  return runtimeBasePlugin(runtimeCatalog[name]);
}
