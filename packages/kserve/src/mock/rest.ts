/**
 * The REST routes of the KServe v2 mock (kserve-v2.md §1.1): server metadata, model metadata and
 * readiness per version, and inference. A host-neutral route table over the pure handlers (the
 * fastify plugin and `@servingkit/msw` both serve it); health routes are the host's base plugin.
 */

import { deflateSync, gunzipSync, gzipSync, inflateSync } from "node:zlib";
import {
  type PluginContext,
  type RestRoute,
  type RestRouteReply,
  type RestRouteRequest,
  type RestRouteTable,
  type RuntimeInfo,
  registerRestRouteTable,
} from "@servingkit/mock-core";
import type { FastifyInstance } from "fastify";
import { inferenceHeaderLength } from "../binary-body.js";
import { InferFault } from "./fault.js";
import { asFault, findModel, recordedInfer } from "./infer.js";
import { modelMetadata, serverMetadata } from "./metadata.js";
import type { MockModel } from "./models.js";
import type { KserveProfile } from "./profiles.js";
import { decodeRestRequest, type RestReply, renderRestResult } from "./rest-codec.js";
import {
  modelConfigJson,
  modelControlRefusal,
  repositoryIndex,
  type StatsStore,
  statsJson,
} from "./triton-extensions.js";

/** The runtime's REST rendering of a refusal. */
export function faultReply(profile: KserveProfile, fault: InferFault): RestReply {
  const status = profile.restStatus[fault.kind];
  if (fault.kind === "unprocessable") {
    return {
      status,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ detail: fault.detail }),
    };
  }
  if (fault.kind === "internal" && profile.plainTextInternal) {
    return {
      status,
      headers: { "content-type": "text/plain; charset=utf-8" },
      body: "Internal Server Error",
    };
  }
  return {
    status,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ error: fault.message }),
  };
}

interface ModelParams {
  name: string;
  version?: string;
}

const base = "/v2/models/:name";
const versioned = "/v2/models/:name/versions/:version";

/** What the KServe v2 route table serves. */
export interface KserveRestTableOptions {
  /** The runtime's profile. */
  readonly profile: KserveProfile;
  /** The models served. */
  readonly models: readonly MockModel[];
  /** Inference statistics (shared with the gRPC service where there is one). */
  readonly stats: StatsStore;
  /** The runtime's catalog entry: its 404 answers the versions it does not route. */
  readonly runtime: RuntimeInfo;
}

type Handler = (request: RestRouteRequest) => RestRouteReply;

/**
 * The KServe v2 REST surface as a host-neutral route table. Every body reaches the routes as
 * bytes: Triton and OVMS read any content type, the binary extension is JSON plus raw bytes, and
 * MLServer's JSON-only rule is the route's to apply.
 */
export function kserveRestTable(options: KserveRestTableOptions): RestRouteTable {
  const { profile, models, stats, runtime } = options;
  const routes: RestRoute[] = [];
  const get = (path: string, handle: Handler) => routes.push({ method: "GET", path, handle });
  const post = (path: string, handle: Handler) => routes.push({ method: "POST", path, handle });

  /** Triton and OVMS route only numeric versions; anything else is an unknown path. */
  const routable = (version: string | undefined) =>
    version === undefined || !profile.numericVersions || /^[0-9]+$/.test(version);

  /** The model a request names, or the reply refusing it. */
  const resolve = (
    request: RestRouteRequest,
  ): { model: MockModel; version: string | undefined; params: ModelParams } | RestRouteReply => {
    const params = request.params as unknown as ModelParams;
    if (!routable(params.version)) return runtime.notFound;
    try {
      const found = findModel(profile, models, params.name, params.version);
      return { model: found.model, version: found.version, params };
    } catch (error) {
      return faultReply(profile, asFault(profile, error));
    }
  };

  get("/v2", () => json(serverMetadata(profile)));

  const metadata: Handler = (request) => {
    const found = resolve(request);
    if (!("model" in found)) return found;
    return json(modelMetadata(profile, found.model, found.params.version));
  };
  get(base, metadata);
  get(versioned, metadata);

  const ready: Handler = (request) => {
    const found = resolve(request);
    if (!("model" in found)) return found;
    return { status: 200, headers: profile.modelReadyHeaders, body: "" };
  };
  get(`${base}/ready`, ready);
  get(`${versioned}/ready`, ready);

  const inferRoute = (request: RestRouteRequest, stream: boolean): RestRouteReply => {
    const found = resolve(request);
    if (!("model" in found)) return found;
    try {
      const body = decodeBody(profile, request);
      const contentType = request.headers["content-type"];
      if (
        profile.jsonContentTypeOnly &&
        contentType !== undefined &&
        !/^application\/(.+\+)?json\b/i.test(contentType)
      ) {
        // FastAPI validates the undecoded body text against the request model (seeds/README.md).
        throw profile.messages.notAnObject(body.toString("utf8"));
      }
      const decoded = decodeRestRequest(
        profile,
        found.model.name,
        body,
        request.headers[inferenceHeaderLength],
        found.model,
      );
      const result = recordedInfer(profile, found.model, found.version, decoded, stats);
      const rendered = renderRestResult(profile, decoded, result);
      if (stream && typeof rendered.body === "string") {
        // MLServer's SSE framing: `data: <json>\n\n` per response (kserve-v2.md §3.2).
        return {
          status: 200,
          headers: { "content-type": "text/event-stream; charset=utf-8" },
          body: `data: ${rendered.body}\n\n`,
        };
      }
      return compress(profile, request, rendered);
    } catch (error) {
      return faultReply(profile, asFault(profile, error));
    }
  };
  for (const route of ["infer", ...profile.inferAliases]) {
    post(`${base}/${route}`, (request) => inferRoute(request, false));
    post(`${versioned}/${route}`, (request) => inferRoute(request, false));
  }
  for (const route of profile.streamRoutes) {
    post(`${base}/${route}`, (request) => inferRoute(request, true));
    post(`${versioned}/${route}`, (request) => inferRoute(request, true));
  }

  if (profile.tritonExtensions) tritonExtensionRoutes(options, get, post, resolve);
  return { routes, rawBodies: true };
}

/** Registers the routes on an encapsulated fastify instance. */
export function registerRestRoutes(
  app: FastifyInstance,
  ctx: PluginContext,
  profile: KserveProfile,
  models: readonly MockModel[],
  stats: StatsStore,
): void {
  registerRestRouteTable(
    app,
    ctx,
    kserveRestTable({ profile, models, stats, runtime: ctx.runtime }),
  );
}

/**
 * Triton's REST twins of its extension RPCs (kserve-v2.md §3.1): `POST /v2/repository/index`,
 * `GET /v2/models[/{m}[/versions/{v}]]/stats`, `GET /v2/models/{m}[/versions/{v}]/config`.
 */
function tritonExtensionRoutes(
  options: KserveRestTableOptions,
  get: (path: string, handle: Handler) => void,
  post: (path: string, handle: Handler) => void,
  resolve: (
    request: RestRouteRequest,
  ) => { model: MockModel; params: ModelParams } | RestRouteReply,
): void {
  const { profile, models, stats } = options;
  post("/v2/repository/index", (request) => {
    // Body `{"ready": bool}` is optional; every model of the mock is ready either way.
    const body = Buffer.isBuffer(request.body) ? request.body.toString("utf8").trim() : "";
    if (body !== "") {
      try {
        JSON.parse(body);
      } catch (error) {
        return faultReply(profile, profile.messages.malformedJson((error as Error).message, body));
      }
    }
    return json(repositoryIndex(models));
  });
  for (const action of ["load", "unload"]) {
    const refuse: Handler = () =>
      faultReply(profile, new InferFault("unavailable", modelControlRefusal));
    post(`/v2/repository/models/:name/${action}`, refuse);
    post(`/v2/repository/:repository/models/:name/${action}`, refuse);
  }
  get("/v2/models/stats", () => json(statsJson(stats.select(models))));
  const modelStats: Handler = (request) => {
    const found = resolve(request);
    if (!("model" in found)) return found;
    return json(statsJson(stats.select([found.model], found.params.version)));
  };
  get(`${base}/stats`, modelStats);
  get(`${versioned}/stats`, modelStats);
  const config: Handler = (request) => {
    const found = resolve(request);
    if (!("model" in found)) return found;
    return json(modelConfigJson(found.model));
  };
  get(`${base}/config`, config);
  get(`${versioned}/config`, config);
}

/**
 * The request body, decompressed when its `Content-Encoding` is one the runtime decodes; a body
 * that does not inflate is left as sent, so it fails as the unparseable body it is.
 */
function decodeBody(profile: KserveProfile, request: RestRouteRequest): Buffer {
  const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  const encoding = (request.headers["content-encoding"] ?? "").trim().toLowerCase();
  if (!(profile.compression.request as readonly string[]).includes(encoding)) return body;
  try {
    return encoding === "gzip" ? gunzipSync(body) : inflateSync(body);
  } catch {
    return body;
  }
}

/** Compresses a reply when the client accepts an encoding the runtime offers. */
function compress(profile: KserveProfile, request: RestRouteRequest, answer: RestReply): RestReply {
  const accepted = (request.headers["accept-encoding"] ?? "").toLowerCase();
  const encoding = profile.compression.response.find((e) =>
    new RegExp(`\\b${e}\\b`).test(accepted),
  );
  const size =
    typeof answer.body === "string" ? Buffer.byteLength(answer.body) : answer.body.byteLength;
  if (!encoding || size < profile.compression.minBytes) return answer;
  const raw = typeof answer.body === "string" ? Buffer.from(answer.body) : answer.body;
  const body = encoding === "gzip" ? gzipSync(raw) : deflateSync(raw);
  return { ...answer, headers: { ...answer.headers, "content-encoding": encoding }, body };
}

function json(body: unknown): RestReply {
  return {
    status: 200,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  };
}
