/**
 * MLServer's `GET /openapi.json`: FastAPI serves its generated OpenAPI document at `openapi_url`,
 * default `/openapi.json` (FastAPI class reference), and `mlserver/rest/app.py` keeps that default:
 * it sets only `docs_url` and `redoc_url` to None, so `/docs` and `/redoc` are FastAPI's 404.
 *
 * The document follows FastAPI's generation (`fastapi/openapi/utils.py`): `info` is FastAPI's
 * default (title `FastAPI`, version `0.1.0`, OpenAPI 3.1.0); the paths are the app's routes in
 * `create_app`'s order, each with the summary and operation id FastAPI derives from the endpoint's
 * name, path parameters, `model_version` as an optional query parameter where the path has none
 * (the endpoints take `model_version: Optional[str] = None`), the request body, and the 422 FastAPI
 * adds where a route has parameters or a body. The component schemas are our own (the dataplane
 * ones of `mlserver-docs.ts` and FastAPI's validation error shape), not pydantic's generated ones;
 * an endpoint that returns a plain dict or a Response has an empty response schema.
 */
import { fastapiOperationId, fastapiTitle } from "@servingkit/mock-core/host";
import { dataplaneDocument } from "./mlserver-docs.js";

/** One route of MLServer's app (mlserver/rest/app.py `create_app`). */
interface AppRoute {
  readonly method: "get" | "post";
  /** The path, FastAPI style (`{model_name}`). */
  readonly path: string;
  /** The endpoint method's name (rest/endpoints.py): FastAPI's summary and operation id. */
  readonly endpoint: string;
  /** The request body's schema (the endpoint's pydantic payload), if any. */
  readonly body?: string;
  /** The response model (the endpoint's pydantic return type), if any. */
  readonly returns?: string;
  /** Whether the endpoint takes `model_version` (as a query parameter where the path has none). */
  readonly version?: boolean;
}

const m = "/v2/models/{model_name}";
const v = "/v2/models/{model_name}/versions/{model_version}";

/** Both spellings of a model route: unversioned, then versioned (app.py registers them so). */
function modelRoutes(suffix: string, route: Omit<AppRoute, "path" | "version">): AppRoute[] {
  return [
    { ...route, path: `${m}${suffix}`, version: true },
    { ...route, path: `${v}${suffix}`, version: true },
  ];
}

const inference = { method: "post", body: "InferenceRequest" } as const;

/** MLServer's routes, in `create_app`'s order. */
const appRoutes: readonly AppRoute[] = [
  ...modelRoutes("/ready", { method: "get", endpoint: "model_ready" }),
  ...modelRoutes("/infer", { ...inference, endpoint: "infer", returns: "InferenceResponse" }),
  ...modelRoutes("/generate", { ...inference, endpoint: "infer", returns: "InferenceResponse" }),
  ...modelRoutes("/infer_stream", { ...inference, endpoint: "infer_stream" }),
  ...modelRoutes("/generate_stream", { ...inference, endpoint: "infer_stream" }),
  ...modelRoutes("", {
    method: "get",
    endpoint: "model_metadata",
    returns: "MetadataModelResponse",
  }),
  ...modelRoutes("/docs/dataplane.json", { method: "get", endpoint: "model_openapi" }),
  ...modelRoutes("/docs", { method: "get", endpoint: "model_docs" }),
  { method: "get", path: "/v2/health/live", endpoint: "live" },
  { method: "get", path: "/v2/health/ready", endpoint: "ready" },
  { method: "get", path: "/v2/docs/dataplane.json", endpoint: "openapi" },
  { method: "get", path: "/v2/docs", endpoint: "docs" },
  { method: "get", path: "/v2", endpoint: "metadata", returns: "MetadataServerResponse" },
  {
    method: "post",
    path: "/v2/repository/index",
    endpoint: "index",
    body: "RepositoryIndexRequest",
    returns: "RepositoryIndexResponse",
  },
  { method: "post", path: "/v2/repository/models/{model_name}/load", endpoint: "load" },
  { method: "post", path: "/v2/repository/models/{model_name}/unload", endpoint: "unload" },
];

const ref = (schema: string) => ({ $ref: `#/components/schemas/${schema}` });
const jsonSchema = (schema: object) => ({ "application/json": { schema } });
const optionalString = { anyOf: [{ type: "string" }, { type: "null" }] };

function parameters(route: AppRoute): object[] {
  const list: object[] = [];
  if (route.path.includes("{model_name}")) {
    list.push({
      name: "model_name",
      in: "path",
      required: true,
      schema: { type: "string", title: "Model Name" },
    });
  }
  if (route.version) {
    const inPath = route.path.includes("{model_version}");
    list.push({
      name: "model_version",
      in: inPath ? "path" : "query",
      required: inPath,
      schema: { ...optionalString, title: "Model Version" },
    });
  }
  return list;
}

function operation(route: AppRoute): object {
  const params = parameters(route);
  const ok = {
    description: "Successful Response",
    content: jsonSchema(route.returns === undefined ? {} : ref(route.returns)),
  };
  const validated = params.length > 0 || route.body !== undefined;
  return {
    summary: fastapiTitle(route.endpoint),
    operationId: fastapiOperationId(route.endpoint, route.path, route.method),
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(route.body === undefined
      ? {}
      : { requestBody: { content: jsonSchema(ref(route.body)), required: true } }),
    responses: validated
      ? {
          "200": ok,
          "422": {
            description: "Validation Error",
            content: jsonSchema(ref("HTTPValidationError")),
          },
        }
      : { "200": ok },
  };
}

/** FastAPI's validation error schemas (its 422 answers' shape). */
const validationSchemas = {
  HTTPValidationError: {
    properties: { detail: { items: ref("ValidationError"), type: "array", title: "Detail" } },
    type: "object",
    title: "HTTPValidationError",
  },
  ValidationError: {
    properties: {
      loc: {
        items: { anyOf: [{ type: "string" }, { type: "integer" }] },
        type: "array",
        title: "Location",
      },
      msg: { type: "string", title: "Message" },
      type: { type: "string", title: "Error Type" },
    },
    type: "object",
    required: ["loc", "msg", "type"],
    title: "ValidationError",
  },
};

/** The repository API's bodies (mlserver/types/model_repository.py). */
const repositorySchemas = {
  RepositoryIndexRequest: {
    type: "object",
    properties: { ready: { anyOf: [{ type: "boolean" }, { type: "null" }] } },
  },
  RepositoryIndexResponse: {
    type: "array",
    items: {
      type: "object",
      required: ["name", "state", "reason"],
      properties: {
        name: { type: "string" },
        version: { type: "string" },
        state: {
          type: "string",
          enum: ["UNKNOWN", "READY", "UNAVAILABLE", "LOADING", "UNLOADING"],
        },
        reason: { type: "string" },
      },
    },
  },
};

let document: object | undefined;

/** The document `GET /openapi.json` answers (built once; it does not depend on the models). */
export function fastapiOpenApiDocument(): object {
  if (document !== undefined) return document;
  const paths: Record<string, Record<string, object>> = {};
  for (const route of appRoutes) {
    paths[route.path] = { ...paths[route.path], [route.method]: operation(route) };
  }
  document = {
    openapi: "3.1.0",
    info: { title: "FastAPI", version: "0.1.0" },
    paths,
    components: {
      schemas: {
        ...dataplaneDocument().components.schemas,
        ...repositorySchemas,
        ...validationSchemas,
      },
    },
  };
  return document;
}

/** The routes the document lists (method, FastAPI path), for the test that keeps it in step with the mock. */
export const documentedRoutes: readonly { readonly method: string; readonly path: string }[] =
  appRoutes.map(({ method, path }) => ({ method: method.toUpperCase(), path }));
