/**
 * Triton's restricted APIs (`--http-restricted-api`, `--grpc-restricted-protocol`, each
 * `<api>[,<api>...]:<key>=<value>`): a request to a restricted category must carry the header
 * `<key>` (gRPC: `triton-grpc-protocol-<key>`, server `src/grpc/grpc_server.h`
 * kRestrictedProtocolHeaderTemplate) with exactly `<value>`, else REST answers 403 `This API is
 * restricted, expecting header '<key>'` (server `src/http_server.cc` `RespondIfRestricted`, checked
 * first in each handler) and gRPC UNAVAILABLE `This protocol is restricted, expecting header
 * '<header>'` (`src/grpc/grpc_handler.h` CommonCallData `Execute`). Categories: server
 * `src/restricted_features.h` `RESTRICTED_CATEGORY_NAMES`. Pure logic; mock.ts wires it.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import {
  Health,
  type HealthCheckResponse,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "@servingkit/proto/health";

/** Triton's restricted categories, as the flags name them. */
export const restrictedCategories = [
  "health",
  "metadata",
  "inference",
  "shared-memory",
  "model-config",
  "model-repository",
  "statistics",
  "trace",
  "logging",
] as const;

/** One category name. */
export type RestrictedCategory = (typeof restrictedCategories)[number];

/** The header (lower case) and value a restricted category requires. */
export interface Restriction {
  readonly header: string;
  readonly value: string;
}

/** The restrictions of one protocol, by category. */
export type Restrictions = ReadonlyMap<RestrictedCategory, Restriction>;

/** The gRPC header prefix Triton puts before each `<key>` (HTTP/2 headers are lower case). */
export const grpcRestrictedPrefix = "triton-grpc-protocol-";

/**
 * Parses the values of one flag (`<api>[,<api>...]:<key>=<value>`, repeatable) into restrictions;
 * `prefix` goes before each key (gRPC's {@link grpcRestrictedPrefix}, none for HTTP). Throws an
 * Error naming `flag` for a malformed value, an unknown category or a category given twice.
 */
export function parseRestrictions(
  values: readonly string[],
  prefix: string,
  flag: string,
): Restrictions {
  const restrictions = new Map<RestrictedCategory, Restriction>();
  for (const text of values) {
    const colon = text.indexOf(":");
    const equals = text.indexOf("=", colon + 1);
    const key = text.slice(colon + 1, equals);
    if (colon <= 0 || equals < 0 || key === "") {
      throw new Error(`--${flag} ${text}: expected <api>[,<api>...]:<key>=<value>`);
    }
    const restriction = { header: `${prefix}${key}`.toLowerCase(), value: text.slice(equals + 1) };
    for (const name of text.slice(0, colon).split(",")) {
      const category = restrictedCategories.find((c) => c === name);
      if (category === undefined) {
        throw new Error(
          `--${flag} ${text}: unknown api '${name}' (one of ${restrictedCategories.join(", ")})`,
        );
      }
      if (restrictions.has(category)) {
        throw new Error(`--${flag} ${text}: api '${name}' is restricted twice`);
      }
      restrictions.set(category, restriction);
    }
  }
  return restrictions;
}

const modelPath = /^\/v2\/models\/[^/]+(?:\/versions\/[0-9]+)?(?:\/(.*))?$/;
const modelKinds: Readonly<Record<string, RestrictedCategory>> = {
  ready: "health",
  infer: "inference",
  generate: "inference",
  generate_stream: "inference",
  config: "model-config",
  stats: "statistics",
  "trace/setting": "trace",
};

/**
 * The category of a REST path as Triton's `HTTPAPIServer::Handle` routes it (undefined: no
 * category, the path's own answer stands).
 */
export function restCategory(path: string): RestrictedCategory | undefined {
  if (path === "/v2") return "metadata";
  if (path === "/v2/health/live" || path === "/v2/health/ready") return "health";
  if (path === "/v2/models/stats") return "statistics";
  if (path === "/v2/logging") return "logging";
  if (path === "/v2/trace/setting") return "trace";
  if (/^\/v2\/(?:system|cuda)sharedmemory\//.test(path)) return "shared-memory";
  if (path.startsWith("/v2/repository/")) return "model-repository";
  const model = modelPath.exec(path);
  if (model === null) return undefined;
  const kind = model[1];
  return kind === undefined || kind === "" ? "metadata" : modelKinds[kind];
}

/** The category of each gRPC method of `inference.GRPCInferenceService`, by its local name. */
const grpcCategories: Readonly<Record<string, RestrictedCategory>> = {
  serverLive: "health",
  serverReady: "health",
  modelReady: "health",
  serverMetadata: "metadata",
  modelMetadata: "metadata",
  modelInfer: "inference",
  modelStreamInfer: "inference",
  modelConfig: "model-config",
  modelStatistics: "statistics",
  repositoryIndex: "model-repository",
  repositoryModelLoad: "model-repository",
  repositoryModelUnload: "model-repository",
  systemSharedMemoryStatus: "shared-memory",
  systemSharedMemoryRegister: "shared-memory",
  systemSharedMemoryUnregister: "shared-memory",
  cudaSharedMemoryStatus: "shared-memory",
  cudaSharedMemoryRegister: "shared-memory",
  cudaSharedMemoryUnregister: "shared-memory",
  traceSetting: "trace",
  logSettings: "logging",
};

/** The category of a gRPC method (its local name, `modelInfer`); undefined for others. */
export function grpcCategory(method: string): RestrictedCategory | undefined {
  return grpcCategories[method];
}

/** Whether `headers` carry what `restriction` asks (value compared exactly). */
function satisfied(restriction: Restriction, value: string | null | undefined): boolean {
  return value === restriction.value;
}

/**
 * The 403 body Triton answers for a REST request that lacks its category's header, or undefined
 * when the request may go on (`header` reads a request header by lower-case name).
 */
export function restRefusal(
  restrictions: Restrictions,
  path: string,
  header: (name: string) => string | undefined,
): string | undefined {
  const category = restCategory(path);
  const restriction = category === undefined ? undefined : restrictions.get(category);
  if (restriction === undefined || satisfied(restriction, header(restriction.header))) {
    return undefined;
  }
  return JSON.stringify({
    error: `This API is restricted, expecting header '${restriction.header}'`,
  });
}

/**
 * Throws Triton's UNAVAILABLE for a gRPC call to `method` that lacks its category's header
 * (`headers`: the call's request metadata).
 */
export function checkGrpcRestriction(
  restrictions: Restrictions,
  method: string,
  headers: Headers,
): void {
  const category = grpcCategory(method);
  const restriction = category === undefined ? undefined : restrictions.get(category);
  if (restriction === undefined || satisfied(restriction, headers.get(restriction.header))) return;
  throw new ConnectError(
    `This protocol is restricted, expecting header '${restriction.header}'`,
    Code.Unavailable,
  );
}

/** A handler as connect calls it: the request (or request stream) and the call's context. */
type Handler = (request: unknown, context: { readonly requestHeader: Headers }) => unknown;

/**
 * The service's handlers with each restricted method checking its header first (a streaming
 * method before it reads the first request, as Triton's stream handler refuses at its start).
 * `streaming` names the methods connect calls as async iterables.
 */
export function restrictedHandlers<H extends object>(
  handlers: H,
  restrictions: Restrictions,
  streaming: (method: string) => boolean,
): H {
  if (restrictions.size === 0) return handlers;
  const wrapped: Record<string, unknown> = {};
  for (const [method, handler] of Object.entries(handlers)) {
    const category = grpcCategory(method);
    if (typeof handler !== "function" || category === undefined || !restrictions.has(category)) {
      wrapped[method] = handler;
      continue;
    }
    const call = handler as Handler;
    wrapped[method] = streaming(method)
      ? async function* (request: unknown, context: { readonly requestHeader: Headers }) {
          checkGrpcRestriction(restrictions, method, context.requestHeader);
          yield* call(request, context) as AsyncIterable<unknown>;
        }
      : (request: unknown, context: { readonly requestHeader: Headers }) => {
          checkGrpcRestriction(restrictions, method, context.requestHeader);
          return call(request, context);
        };
  }
  return wrapped as H;
}

/**
 * Triton's `grpc.health.v1.Health/Check` under a `health` restriction: Triton registers Check in
 * its common handler with the HEALTH category's key (server `src/grpc/grpc_server.cc`
 * `RegisterHealthCheck`), so a call without `triton-grpc-protocol-<key>` is UNAVAILABLE like
 * ServerLive. With the header it answers as the host's Check (SERVING / NOT_SERVING from
 * `ready()`, NOT_FOUND for a service name other than the whole server's `""`). Registered after
 * the host's Health service, it replaces Check alone (a later registration of a path wins);
 * List and Watch stay the host's. Does nothing without a `health` restriction.
 */
export function restrictHealthCheck(
  router: ConnectRouter,
  restrictions: Restrictions,
  ready: () => boolean,
): void {
  const restriction = restrictions.get("health");
  if (restriction === undefined) return;
  router.rpc(Health.method.check, (request, context): HealthCheckResponse => {
    if (!satisfied(restriction, context.requestHeader.get(restriction.header))) {
      throw new ConnectError(
        `This protocol is restricted, expecting header '${restriction.header}'`,
        Code.Unavailable,
      );
    }
    if (request.service !== "") throw new ConnectError("unknown service", Code.NotFound);
    return create(HealthCheckResponseSchema, {
      status: ready() ? ServingStatus.SERVING : ServingStatus.NOT_SERVING,
    });
  });
}
