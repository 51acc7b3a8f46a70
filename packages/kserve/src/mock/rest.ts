/**
 * The REST routes of the KServe v2 mock (kserve-v2.md §1.1): server metadata, model metadata and
 * readiness per version, and inference. A thin fastify adapter over the pure handlers; health
 * routes are the host's base plugin.
 */

import { deflateSync, gunzipSync, gzipSync, inflateSync } from "node:zlib";
import { type PluginContext, sendCanned } from "@servingkit/mock-core";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
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

function send(reply: FastifyReply, answer: RestReply): FastifyReply {
  reply.code(answer.status).headers(answer.headers);
  return reply.send(
    typeof answer.body === "string"
      ? Buffer.from(answer.body)
      : Buffer.from(answer.body.buffer, answer.body.byteOffset, answer.body.byteLength),
  );
}

interface ModelParams {
  name: string;
  version?: string;
}

const base = "/v2/models/:name";
const versioned = "/v2/models/:name/versions/:version";

/** Registers the routes on an encapsulated fastify instance. */
export function registerRestRoutes(
  app: FastifyInstance,
  ctx: PluginContext,
  profile: KserveProfile,
  models: readonly MockModel[],
  stats: StatsStore,
): void {
  // Every body reaches the routes as bytes: Triton and OVMS read any content type, the binary
  // extension is JSON plus raw bytes, and MLServer's JSON-only rule is the route's to apply.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));

  /** Triton and OVMS route only numeric versions; anything else is an unknown path. */
  const routable = (version: string | undefined) =>
    version === undefined || !profile.numericVersions || /^[0-9]+$/.test(version);

  const resolve = (reply: FastifyReply, params: ModelParams) => {
    try {
      return findModel(profile, models, params.name, params.version);
    } catch (error) {
      send(reply, faultReply(profile, asFault(profile, error)));
      return undefined;
    }
  };

  app.get("/v2", (_request, reply) => send(reply, json(serverMetadata(profile))));

  const metadata = (request: FastifyRequest, reply: FastifyReply) => {
    const params = request.params as ModelParams;
    if (!routable(params.version)) return sendCanned(reply, ctx.runtime.notFound);
    const found = resolve(reply, params);
    if (!found) return reply;
    return send(reply, json(modelMetadata(profile, found.model, params.version)));
  };
  app.get(base, metadata);
  app.get(versioned, metadata);

  const ready = (request: FastifyRequest, reply: FastifyReply) => {
    const params = request.params as ModelParams;
    if (!routable(params.version)) return sendCanned(reply, ctx.runtime.notFound);
    if (!resolve(reply, params)) return reply;
    return sendCanned(reply, { status: 200, headers: profile.modelReadyHeaders, body: "" });
  };
  app.get(`${base}/ready`, ready);
  app.get(`${versioned}/ready`, ready);

  const inferRoute = (request: FastifyRequest, reply: FastifyReply, stream = false) => {
    const params = request.params as ModelParams;
    if (!routable(params.version)) return sendCanned(reply, ctx.runtime.notFound);
    const found = resolve(reply, params);
    if (!found) return reply;
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
      const header = request.headers[inferenceHeaderLength];
      const decoded = decodeRestRequest(
        profile,
        found.model.name,
        body,
        Array.isArray(header) ? header[0] : header,
        found.model,
      );
      const result = recordedInfer(profile, found.model, found.version, decoded, stats);
      const rendered = renderRestResult(profile, decoded, result);
      if (stream && typeof rendered.body === "string") {
        // MLServer's SSE framing: `data: <json>\n\n` per response (kserve-v2.md §3.2).
        return send(reply, {
          status: 200,
          headers: { "content-type": "text/event-stream; charset=utf-8" },
          body: `data: ${rendered.body}\n\n`,
        });
      }
      return send(reply, compress(profile, request, rendered));
    } catch (error) {
      return send(reply, faultReply(profile, asFault(profile, error)));
    }
  };
  for (const route of ["infer", ...profile.inferAliases]) {
    app.post(`${base}/${route}`, (request, reply) => inferRoute(request, reply));
    app.post(`${versioned}/${route}`, (request, reply) => inferRoute(request, reply));
  }
  for (const route of profile.streamRoutes) {
    app.post(`${base}/${route}`, (request, reply) => inferRoute(request, reply, true));
    app.post(`${versioned}/${route}`, (request, reply) => inferRoute(request, reply, true));
  }

  if (profile.tritonExtensions)
    registerTritonExtensions(app, ctx, profile, models, stats, resolve, routable);
}

/**
 * Triton's REST twins of its extension RPCs (kserve-v2.md §3.1): `POST /v2/repository/index`,
 * `GET /v2/models[/{m}[/versions/{v}]]/stats`, `GET /v2/models/{m}[/versions/{v}]/config`.
 */
function registerTritonExtensions(
  app: FastifyInstance,
  ctx: PluginContext,
  profile: KserveProfile,
  models: readonly MockModel[],
  stats: StatsStore,
  resolve: (reply: FastifyReply, params: ModelParams) => { model: MockModel } | undefined,
  routable: (version: string | undefined) => boolean,
): void {
  app.post("/v2/repository/index", (request, reply) => {
    // Body `{"ready": bool}` is optional; every model of the mock is ready either way.
    const body = Buffer.isBuffer(request.body) ? request.body.toString("utf8").trim() : "";
    if (body !== "") {
      try {
        JSON.parse(body);
      } catch (error) {
        return send(
          reply,
          faultReply(profile, profile.messages.malformedJson((error as Error).message, body)),
        );
      }
    }
    return send(reply, json(repositoryIndex(models)));
  });
  for (const action of ["load", "unload"]) {
    const refuse = (_request: FastifyRequest, reply: FastifyReply) =>
      send(reply, faultReply(profile, new InferFault("unavailable", modelControlRefusal)));
    app.post(`/v2/repository/models/:name/${action}`, refuse);
    app.post(`/v2/repository/:repository/models/:name/${action}`, refuse);
  }
  app.get("/v2/models/stats", (_request, reply) =>
    send(reply, json(statsJson(stats.select(models)))),
  );
  const modelStats = (request: FastifyRequest, reply: FastifyReply) => {
    const params = request.params as ModelParams;
    if (!routable(params.version)) return sendCanned(reply, ctx.runtime.notFound);
    const found = resolve(reply, params);
    if (!found) return reply;
    return send(reply, json(statsJson(stats.select([found.model], params.version))));
  };
  app.get(`${base}/stats`, modelStats);
  app.get(`${versioned}/stats`, modelStats);
  const config = (request: FastifyRequest, reply: FastifyReply) => {
    const params = request.params as ModelParams;
    if (!routable(params.version)) return sendCanned(reply, ctx.runtime.notFound);
    const found = resolve(reply, params);
    if (!found) return reply;
    return send(reply, json(modelConfigJson(found.model)));
  };
  app.get(`${base}/config`, config);
  app.get(`${versioned}/config`, config);
}

/**
 * The request body, decompressed when its `Content-Encoding` is one the runtime decodes; a body
 * that does not inflate is left as sent, so it fails as the unparseable body it is.
 */
function decodeBody(profile: KserveProfile, request: FastifyRequest): Buffer {
  const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  const encoding = String(request.headers["content-encoding"] ?? "")
    .trim()
    .toLowerCase();
  if (!(profile.compression.request as readonly string[]).includes(encoding)) return body;
  try {
    return encoding === "gzip" ? gunzipSync(body) : inflateSync(body);
  } catch {
    return body;
  }
}

/** Compresses a reply when the client accepts an encoding the runtime offers. */
function compress(profile: KserveProfile, request: FastifyRequest, answer: RestReply): RestReply {
  const accepted = String(request.headers["accept-encoding"] ?? "").toLowerCase();
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
