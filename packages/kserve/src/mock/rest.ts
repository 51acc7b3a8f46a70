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
  swaggerUiHtml,
} from "@servingkit/mock-core/host";
import type { FastifyInstance } from "fastify";
import { binaryTailPadding, inferenceHeaderLength, joinPieces } from "../binary-body.js";
import { httpDecoupledRefusal, recordedRun } from "./decoupled.js";
import { InferFault } from "./fault.js";
import type { RequestedOutput } from "./infer.js";
import { asFault, recordedInfer } from "./infer.js";
import { type MemberNames, memberNames } from "./json-member-names.js";
import { modelMetadata, serverMetadata } from "./metadata.js";
import { dataplaneDocument, docsTitle, modelDocument, modelDocumentUrl } from "./mlserver-docs.js";
import { fastapiOpenApiDocument } from "./mlserver-openapi.js";
import type { KserveMockState } from "./mock-state.js";
import { type LoadParameters, repositoryNameRefusal } from "./model-control.js";
import type { MockModel } from "./models.js";
import type { KserveProfile } from "./profiles.js";
import {
  decodeRestRequest,
  type PiecewiseRestReply,
  parseRestJson,
  type RestReply,
  renderRestResult,
} from "./rest-codec.js";
import { modelConfigJson, statsJson } from "./triton-extensions.js";
import {
  checkGenerateEncoding,
  decodeGenerateRequest,
  generateCallbacksReply,
  generateReply,
} from "./triton-generate.js";
import {
  registerBody,
  restSlice,
  type SharedMemoryRegistry,
  sharedOutputs,
  writeSharedOutputs,
} from "./triton-shared-memory.js";

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
/** The parameters of a request that passes none on (generate's, to models that read none). */
const noParameters: Readonly<Record<string, never>> = Object.freeze({});
const versioned = "/v2/models/:name/versions/:version";

/** What the KServe v2 route table serves: the mock's state (shared with its gRPC service) and the runtime's catalog entry. */
export interface KserveRestTableOptions extends KserveMockState {
  /** The runtime's catalog entry: its 404 answers the versions it does not route. */
  readonly runtime: RuntimeInfo;
}

type Handler = (request: RestRouteRequest) => RestRouteReply | Promise<RestRouteReply>;

/**
 * The KServe v2 REST surface as a host-neutral route table. Every body reaches the routes as
 * bytes: Triton and OVMS read any content type, the binary extension is JSON plus raw bytes, and
 * MLServer's JSON-only rule is the route's to apply.
 */
export function kserveRestTable(options: KserveRestTableOptions): RestRouteTable {
  const { profile, repository, stats, runtime, sharedMemory } = options;
  const routes: RestRoute[] = [];
  const get = (path: string, handle: Handler) => routes.push({ method: "GET", path, handle });
  const post = (path: string, handle: Handler) => routes.push({ method: "POST", path, handle });
  /** A route that keeps no view of its body past its answer: large bodies' memory is reused. */
  const postPooled = (path: string, handle: Handler) =>
    routes.push({ method: "POST", path, handle, pooledBody: true });

  /** Triton and OVMS route only numeric versions; anything else is an unknown path. */
  const routable = (version: string | undefined) =>
    version === undefined || !profile.numericVersions || /^[0-9]+$/.test(version);

  /**
   * The model a request names, or the reply refusing it. `purpose` `metadata`: MLServer answers
   * a loading model's metadata (model-control.ts `find`).
   */
  const resolve = (
    request: RestRouteRequest,
    purpose: "infer" | "metadata" = "infer",
  ): { model: MockModel; version: string | undefined; params: ModelParams } | RestRouteReply => {
    const params = request.params as unknown as ModelParams;
    if (!routable(params.version)) return runtime.notFound;
    try {
      const found = repository.find(params.name, params.version, purpose);
      return { model: found.model, version: found.version, params };
    } catch (error) {
      return faultReply(profile, asFault(profile, error));
    }
  };

  get("/v2", () => json(serverMetadata(profile)));

  const metadata: Handler = (request) => {
    const found = resolve(request, "metadata");
    if (!("model" in found)) return found;
    return json(modelMetadata(profile, found.model, found.params.version));
  };
  get(base, metadata);
  get(versioned, metadata);
  if (profile.metadataTrailingSlash) {
    get(`${base}/`, metadata);
    get(`${versioned}/`, metadata);
  }

  const ready: Handler = (request) => {
    if (profile.readyIsBoolean) {
      const params = request.params as unknown as ModelParams;
      if (!routable(params.version)) return runtime.notFound;
      return repository.isReady(params.name, params.version)
        ? { status: 200, headers: profile.modelReadyHeaders, body: "" }
        : faultReply(profile, new InferFault("invalid", "Model version not ready"));
    }
    if (profile.loadingReadyStatus !== undefined) {
      // MLServer: the model's readiness, false as an empty-bodied status; unknowns refused.
      const params = request.params as unknown as ModelParams;
      if (!routable(params.version)) return runtime.notFound;
      try {
        const status = repository.modelReady(params.name, params.version)
          ? 200
          : profile.loadingReadyStatus;
        return { status, headers: profile.modelReadyHeaders, body: "" };
      } catch (error) {
        return faultReply(profile, asFault(profile, error));
      }
    }
    const found = resolve(request);
    if (!("model" in found)) return found;
    return { status: 200, headers: profile.modelReadyHeaders, body: "" };
  };
  get(`${base}/ready`, ready);
  get(`${versioned}/ready`, ready);

  const inferRoute = (request: RestRouteRequest, stream: boolean): RestRouteReply => {
    const found = resolve(request);
    if (!("model" in found)) return found;
    // HandleInfer checks the transaction policy before it reads the body.
    if (found.model.decoupled === true) return faultReply(profile, httpDecoupledRefusal());
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
        sharedMemory,
      );
      const shared =
        sharedMemory === undefined
          ? undefined
          : sharedOutputs(sharedMemory, decoded.outputs, restOutputSlice, "rest");
      const result = recordedInfer(profile, found.model, found.version, decoded, stats);
      if (shared !== undefined && sharedMemory !== undefined) {
        writeSharedOutputs(sharedMemory, shared, result.outputs);
      }
      const rendered = renderRestResult(profile, decoded, result, shared);
      if (stream && "body" in rendered && typeof rendered.body === "string") {
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
  // Inference keeps no state past its answer (infer.ts): the body's memory may be reused once the
  // answer (whose binary outputs may be views of it) has been written.
  /**
   * Inference, after OVMS's wait for a version still loading (`waitForLoaded`, the profile's
   * `waitForLoadedMs`): answered once the load ends, refused when the wait runs out first.
   */
  const waitingInfer = (
    request: RestRouteRequest,
    stream: boolean,
  ): RestRouteReply | Promise<RestRouteReply> => {
    if (waitForLoadedMs !== undefined) {
      const params = request.params as unknown as ModelParams;
      const wait = repository.loadWait(params.name, params.version, waitForLoadedMs);
      if (wait !== undefined) return wait.then(() => inferRoute(request, stream));
    }
    return inferRoute(request, stream);
  };
  const waitForLoadedMs = profile.waitForLoadedMs;
  for (const route of ["infer", ...profile.inferAliases]) {
    postPooled(`${base}/${route}`, (request) => waitingInfer(request, false));
    postPooled(`${versioned}/${route}`, (request) => waitingInfer(request, false));
  }
  for (const route of profile.streamRoutes) {
    post(`${base}/${route}`, (request) => waitingInfer(request, true));
    post(`${versioned}/${route}`, (request) => waitingInfer(request, true));
  }

  if (profile.generateExtension) {
    // Triton's generate extension (triton-generate.ts): the model (and version) first, then the
    // encoding, the JSON body, the mapping onto inputs, and the same inference as `infer`.
    const generate = (
      request: RestRouteRequest,
      stream: boolean,
    ): RestRouteReply | Promise<RestRouteReply> => {
      const found = resolve(request);
      if (!("model" in found)) return found;
      try {
        checkGenerateEncoding(request.headers["content-encoding"]);
        const { body, names } = generateBody(profile, request);
        const decoded = decodeGenerateRequest(profile, found.model, body, names);
        if (found.model.decoupled === true) {
          // A decoupled model's responses, as many as it sends (decoupled.ts, triton-generate.ts).
          // HandleGenerate refuses no `triton_` parameter (the infer route's parser does).
          const callbacks = recordedRun(
            stats,
            profile,
            found.model,
            found.version,
            decoded,
            request.signal,
            false,
          );
          return generateCallbacksReply(profile, callbacks, stream);
        }
        // The mock's other models read no parameters: they are checked, not passed on.
        const plain = {
          id: decoded.id,
          parameters: noParameters,
          inputs: decoded.inputs,
          outputs: undefined,
        };
        const result = recordedInfer(profile, found.model, found.version, plain, stats);
        return generateReply(profile, result, stream);
      } catch (error) {
        return faultReply(profile, asFault(profile, error));
      }
    };
    for (const prefix of [base, versioned]) {
      post(`${prefix}/generate`, (request) => generate(request, false));
      post(`${prefix}/generate_stream`, (request) => generate(request, true));
    }
  }
  if (profile.modelControl) repositoryRoutes(options, post);
  if (profile.apiDocs) {
    // Starlette's GZipMiddleware wraps every route, the docs too (mlserver/rest/app.py).
    get("/v2/docs/dataplane.json", (request) =>
      compress(profile, request, json(dataplaneDocument())),
    );
    get("/v2/docs", (request) =>
      compress(
        profile,
        request,
        html(swaggerUiHtml({ openapiUrl: "/v2/docs/dataplane.json", title: docsTitle() })),
      ),
    );
    // A model's docs check it exists through its metadata first (mlserver/rest/endpoints.py).
    for (const prefix of [base, versioned]) {
      get(`${prefix}/docs/dataplane.json`, (request) => {
        const found = resolve(request, "metadata");
        if (!("model" in found)) return found;
        const { name, version } = found.params;
        return compress(profile, request, json(modelDocument(name, version)));
      });
      get(`${prefix}/docs`, (request) => {
        const found = resolve(request, "metadata");
        if (!("model" in found)) return found;
        const { name, version } = found.params;
        const page = swaggerUiHtml({
          openapiUrl: modelDocumentUrl(name, version),
          title: docsTitle(name, version),
        });
        return compress(profile, request, html(page));
      });
    }
  }
  if (profile.fastapi) {
    // FastAPI's `openapi_url` default, which MLServer's app keeps (mlserver-openapi.ts); gzipped
    // like every route behind Starlette's GZipMiddleware.
    get("/openapi.json", (request) => compress(profile, request, json(fastapiOpenApiDocument())));
  }
  if (profile.tritonExtensions) tritonExtensionRoutes(options, get, post, resolve);
  if (sharedMemory !== undefined) sharedMemoryRoutes(profile, sharedMemory, get, post);
  // Binary tensors after the JSON header land 8-byte aligned (mock-core's body reader), so every
  // fixed-size datatype is viewed in place.
  return { routes, rawBodies: true, bodyPadding: binaryTailPadding };
}

/** Registers the routes on an encapsulated fastify instance. */
export function registerRestRoutes(
  app: FastifyInstance,
  ctx: PluginContext,
  state: KserveMockState,
): void {
  const table = kserveRestTable({ ...state, runtime: ctx.runtime });
  registerRestRouteTable(app, ctx, table);
  // The registry holds open descriptors of its regions' shm files: close them with the server.
  const { sharedMemory } = state;
  if (sharedMemory !== undefined) app.addHook("onClose", async () => sharedMemory.close());
}

const restOutputSlice = (output: RequestedOutput) => restSlice(output.parameters);

/**
 * Triton's shared-memory REST routes (extension_shared_memory.md; http_server.cc
 * `HandleSystemSharedMemory`, `HandleCudaSharedMemory`, routed by
 * `/v2/(system|cuda)sharedmemory(/region/{r})?/(status|register|unregister)`): status is GET,
 * register and unregister POST; success is 200 with JSON content type and (register, unregister)
 * an empty body; every refusal is `{"error": ...}` with Triton's status for its kind.
 */
function sharedMemoryRoutes(
  profile: KserveProfile,
  registry: SharedMemoryRegistry,
  get: (path: string, handle: Handler) => void,
  post: (path: string, handle: Handler) => void,
): void {
  const answer =
    (work: (request: RestRouteRequest, region: string) => unknown): Handler =>
    (request) => {
      const region = (request.params as { region?: string }).region ?? "";
      try {
        const body = work(request, region);
        return body === undefined
          ? { status: 200, headers: { "content-type": "application/json" }, body: "" }
          : json(body);
      } catch (error) {
        return faultReply(profile, asFault(profile, error));
      }
    };
  for (const [word, kind] of [
    ["system", "system"],
    ["cuda", "cuda"],
  ] as const) {
    const root = `/v2/${word}sharedmemory`;
    const status = answer((_request, region) => registry.status(kind, region));
    get(`${root}/status`, status);
    get(`${root}/region/:region/status`, status);
    const unregister = answer((_request, region) => registry.unregister(kind, region));
    post(`${root}/unregister`, unregister);
    post(`${root}/region/:region/unregister`, unregister);
    const register = answer((request, region) => {
      if (region === "") {
        throw new InferFault(
          "invalid",
          `'region name' is necessary to register ${word} shared memory region`,
        );
      }
      if (kind === "cuda") registry.registerCuda(region);
      // EVBufferToJson parses the whole body: an empty one is RapidJSON's empty document.
      if (!Buffer.isBuffer(request.body) || request.body.toString("utf8").trim() === "") {
        throw profile.messages.malformedJson("The document is empty. at 0", "");
      }
      const { key, offset, byteSize } = registerBody(controlBody(profile, request));
      registry.registerSystem(region, key, offset, byteSize);
      return undefined;
    });
    // The register route without a region exists (the regex makes the region optional): it refuses.
    post(`${root}/register`, register);
    post(`${root}/region/:region/register`, register);
  }
}

/**
 * The model repository API (kserve-v2.md §3.1 Triton extensions, §3.2 MLServer): `POST
 * /v2/repository/index` (`{"ready": true}` keeps ready models), `.../models/{m}/load` and
 * `/unload`, answered 200 with an empty body. Triton (server http_server.cc
 * `HandleRepositoryControl`) reads load `parameters` and `unload_dependents`, answers JSON content
 * type and refuses a repository name with 501; MLServer (mlserver/rest/endpoints.py) takes no
 * body and sets no content type.
 */
function repositoryRoutes(
  options: KserveRestTableOptions,
  post: (path: string, handle: Handler) => void,
): void {
  const { profile, repository } = options;
  const triton = profile.modelControl === "triton";
  const answer =
    (work: (request: RestRouteRequest) => RestReply): Handler =>
    (request) => {
      try {
        return work(request);
      } catch (error) {
        return faultReply(profile, asFault(profile, error));
      }
    };
  const empty = (): RestReply => ({
    status: 200,
    headers: triton ? { "content-type": "application/json" } : {},
    body: "",
  });
  const name = (request: RestRouteRequest) => (request.params as unknown as ModelParams).name;
  post(
    "/v2/repository/index",
    answer((request) => json(repository.index(controlBody(profile, request).ready === true))),
  );
  // Both answer a load once it has ended (Triton http_server.cc HandleRepositoryControl blocks on
  // TRITONSERVER_ServerLoadModelWithParameters; MLServer endpoints.py awaits the registry's load),
  // as gRPC RepositoryModelLoad does.
  post("/v2/repository/models/:name/load", async (request) => {
    const model = name(request);
    try {
      repository.load(model, triton ? loadParameters(controlBody(profile, request)) : {});
    } catch (error) {
      return faultReply(profile, asFault(profile, error));
    }
    await repository.settled(model);
    return empty();
  });
  post(
    "/v2/repository/models/:name/unload",
    answer((request) => {
      if (triton) checkUnloadDependents(controlBody(profile, request));
      repository.unload(name(request));
      return empty();
    }),
  );
  if (!triton) return;
  const unsupported: Handler = () =>
    faultReply(profile, new InferFault("unsupported", repositoryNameRefusal));
  post("/v2/repository/:repository/index", unsupported);
  for (const action of ["load", "unload"]) {
    post(`/v2/repository/:repository/models/:name/${action}`, unsupported);
  }
}

/** Triton's `unload_dependents` must be a boolean; the mock's models have no dependents, so it changes nothing. */
function checkUnloadDependents(body: Record<string, unknown>): void {
  const dependents = (body.parameters as Record<string, unknown> | undefined)?.unload_dependents;
  if (dependents !== undefined && typeof dependents !== "boolean") {
    throw new InferFault(
      "internal",
      "Unable to parse 'unload_dependents': attempt to access JSON non-boolean as boolean",
    );
  }
}

/**
 * Triton's REST twins of its statistics, configuration and logging RPCs (kserve-v2.md §3.1):
 * `GET /v2/models[/{m}[/versions/{v}]]/stats`, `GET /v2/models/{m}[/versions/{v}]/config`,
 * `GET|POST /v2/logging` (server http_server.cc `HandleLogging`), `GET|POST
 * /v2[/models/{m}]/trace/setting` (`HandleTrace`).
 */
function tritonExtensionRoutes(
  options: KserveRestTableOptions,
  get: (path: string, handle: Handler) => void,
  post: (path: string, handle: Handler) => void,
  resolve: (
    request: RestRouteRequest,
  ) => { model: MockModel; params: ModelParams } | RestRouteReply,
): void {
  const { profile, repository, stats, logging, trace } = options;
  const settings =
    (work: (request: RestRouteRequest) => unknown): Handler =>
    (request) => {
      try {
        return json(work(request));
      } catch (error) {
        return faultReply(profile, asFault(profile, error));
      }
    };
  // HandleTrace: a named model must be ready, else INVALID_ARG "Request for unknown model : <m>".
  const tracedModel = (request: RestRouteRequest) => {
    const { name } = request.params as unknown as ModelParams;
    if (!repository.isReady(name, undefined)) {
      throw new InferFault("invalid", `Request for unknown model : ${name}`);
    }
    return name;
  };
  get(
    "/v2/trace/setting",
    settings(() => trace.get()),
  );
  post(
    "/v2/trace/setting",
    settings((request) => trace.update(controlBody(profile, request))),
  );
  get(
    `${base}/trace/setting`,
    settings((request) => trace.get(tracedModel(request))),
  );
  post(
    `${base}/trace/setting`,
    settings((request) => trace.update(controlBody(profile, request), tracedModel(request))),
  );
  get("/v2/logging", () => json(logging.get()));
  post("/v2/logging", (request) => {
    try {
      return json(logging.update(controlBody(profile, request)));
    } catch (error) {
      return faultReply(profile, asFault(profile, error));
    }
  });
  get("/v2/models/stats", () => json(statsJson(stats.select(repository.served()))));
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
 * A generate request's JSON body and its member names as the text spells them (repeats kept:
 * Triton walks every member, json-member-names.ts). Unparseable text (an empty body too) is
 * refused as the infer route refuses it (`parseRestJson`).
 */
function generateBody(
  profile: KserveProfile,
  request: RestRouteRequest,
): { body: unknown; names: MemberNames } {
  const text = Buffer.isBuffer(request.body) ? request.body.toString("utf8") : "";
  const body = parseRestJson(profile, text);
  return { body, names: memberNames(text, "parameters") };
}

/** A repository request's optional JSON body (`{}` when empty); malformed JSON is the runtime's parse error. */
function controlBody(profile: KserveProfile, request: RestRouteRequest): Record<string, unknown> {
  const text = Buffer.isBuffer(request.body) ? request.body.toString("utf8").trim() : "";
  if (text === "") return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw profile.messages.malformedJson((error as Error).message, text);
  }
  return body !== null && typeof body === "object" ? (body as Record<string, unknown>) : {};
}

/**
 * A REST load body's `parameters`: every value a string; `config` stays text, `file:<path>`
 * entries are base64 content (server http_server.cc `HandleRepositoryControl`); any other name
 * is refused there.
 */
function loadParameters(body: Record<string, unknown>): LoadParameters {
  const raw = body.parameters;
  if (raw === undefined || raw === null || typeof raw !== "object") return {};
  const out: Record<string, string | Uint8Array> = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof value !== "string") {
      throw new InferFault("internal", "attempt to access JSON non-string as string");
    }
    if (key === "config") out[key] = value;
    else if (key.startsWith("file:")) out[key] = Buffer.from(value, "base64");
    else throw new InferFault("internal", "unexpected error on creating Triton parameter");
  }
  return out;
}

/**
 * The request body, decompressed when its `Content-Encoding` is one the runtime decodes; a body
 * that does not inflate is left as sent, so it fails as the unparseable body it is.
 */
function decodeBody(profile: KserveProfile, request: RestRouteRequest): Buffer {
  const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  const header = request.headers["content-encoding"];
  // No Content-Encoding (the common case): the body as sent.
  if (header === undefined) return body;
  const encoding = header.trim().toLowerCase();
  if (!(profile.compression.request as readonly string[]).includes(encoding)) return body;
  try {
    return encoding === "gzip" ? gunzipSync(body) : inflateSync(body);
  } catch {
    return body;
  }
}

const wordPatterns = new Map<string, RegExp>();

/** `\bword\b` for an encoding name, compiled once per name (the names come from the profiles). */
function wordPattern(word: string): RegExp {
  let pattern = wordPatterns.get(word);
  if (pattern === undefined) {
    pattern = new RegExp(`\\b${word}\\b`);
    wordPatterns.set(word, pattern);
  }
  return pattern;
}

/**
 * Compresses a reply when the client accepts an encoding the runtime offers; otherwise answers it
 * as rendered ({@link sendable}).
 */
function compress(
  profile: KserveProfile,
  request: RestRouteRequest,
  answer: RestReply | PiecewiseRestReply,
): RestRouteReply {
  const accepted = request.headers["accept-encoding"]?.toLowerCase();
  // No Accept-Encoding (the common case): nothing to match, answer as is.
  if (!accepted) return sendable(answer);
  const encoding = profile.compression.response.find((e) => wordPattern(e).test(accepted));
  if (!encoding) return sendable(answer);
  const raw =
    "pieces" in answer
      ? joinPieces(answer.pieces, answer.byteLength)
      : typeof answer.body === "string"
        ? Buffer.from(answer.body)
        : answer.body;
  if (raw.byteLength < profile.compression.minBytes) return sendable(answer);
  const body = encoding === "gzip" ? gzipSync(raw) : deflateSync(raw);
  return {
    status: answer.status,
    headers: { ...answer.headers, "content-encoding": encoding },
    body,
  };
}

/**
 * A rendered answer as the host sends it: pieces go out one after another under the
 * `content-length` of them all (after the runtime's headers, where fastify puts it for a single
 * body), so the bytes on the wire are those of the joined body.
 */
function sendable(answer: RestReply | PiecewiseRestReply): RestRouteReply {
  if (!("pieces" in answer)) return answer;
  // Lower-case names, as the host's route replies take them (fastify lower-cases a single body's).
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(answer.headers)) headers[name.toLowerCase()] = value;
  headers["content-length"] = String(answer.byteLength);
  return { status: answer.status, headers, body: piecesOf(answer.pieces) };
}

async function* piecesOf(pieces: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* pieces;
}

/** An HTML page, as FastAPI's HTMLResponse sends it. */
function html(body: string): RestReply {
  return { status: 200, headers: { "content-type": "text/html; charset=utf-8" }, body };
}

function json(body: unknown): RestReply {
  return {
    status: 200,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  };
}
