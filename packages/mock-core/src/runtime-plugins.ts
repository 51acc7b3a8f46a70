/**
 * Each runtime's base plugin: the health/readiness routes the real runtime answers, its own
 * 404/405 answers, and its error envelope for errors the host raises on its behalf. Protocol
 * plugins (later issues) install after it and add the protocol routes.
 */
import { randomBytes } from "node:crypto";
import type { MockPlugin } from "./plugin.js";
import { healthRouteTable, registerRestRouteTable } from "./rest-route-table.js";
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
      // The same table msw serves (rest-route-table.ts), so the answers exist once.
      registerRestRouteTable(app, ctx, healthRouteTable(info, ctx.readiness));
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
