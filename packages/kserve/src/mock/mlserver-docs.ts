/**
 * MLServer's API docs (SeldonIO/MLServer `mlserver/rest/app.py`, `rest/endpoints.py`,
 * `rest/openapi/__init__.py`): `GET /v2/docs/dataplane.json` is the OpenAPI 3.0.3 document of
 * the v2 dataplane, `GET /v2/docs` the Swagger UI page for it, and
 * `GET /v2/models/{m}[/versions/{v}]/docs[/dataplane.json]` the same scoped to one model: only
 * the model routes, with the name (and version) filled in, their path parameters dropped and
 * the title `Data Plane for Model m (v)`. A model route checks the model exists first (through
 * model metadata), so an unknown one answers as metadata does. The document is our own, written
 * from the routes this mock serves; the texts of `info` are MLServer's.
 */

/** An OpenAPI path item: its operations and the path parameters they share. */
interface PathItem {
  readonly parameters?: readonly PathParameter[];
  readonly [method: string]: unknown;
}

interface PathParameter {
  readonly name: string;
  readonly in: "path";
  readonly required: true;
  readonly schema: { readonly type: "string" };
}

/** An OpenAPI 3 document, as much of it as the mock fills in. */
export interface OpenApiDocument {
  readonly openapi: string;
  readonly info: { readonly title: string; readonly description: string; readonly version: string };
  readonly paths: Readonly<Record<string, PathItem>>;
  readonly components: { readonly schemas: Readonly<Record<string, object>> };
}

const ref = (schema: string) => ({ $ref: `#/components/schemas/${schema}` });
const jsonContent = (schema: string) => ({ "application/json": { schema: ref(schema) } });
const param = (name: string): PathParameter => ({
  name,
  in: "path",
  required: true,
  schema: { type: "string" },
});

const modelParams = [param("model_name")];
const versionParams = [param("model_name"), param("model_version")];
const ok = { description: "OK" };

function health(operationId: string, summary: string, tags: readonly string[]) {
  return { get: { operationId, summary, tags, responses: { 200: ok } } };
}

function metadata(operationId: string) {
  return {
    get: {
      operationId,
      summary: "Model Metadata",
      tags: ["metadata", "model"],
      responses: {
        200: { description: "OK", content: jsonContent("MetadataModelResponse") },
        404: { description: "Not Found", content: jsonContent("ErrorResponse") },
      },
    },
  };
}

function infer(operationId: string) {
  const error = (description: string) => ({ description, content: jsonContent("ErrorResponse") });
  return {
    post: {
      operationId,
      summary: "Model Inference",
      tags: ["inference", "model"],
      requestBody: { required: true, content: jsonContent("InferenceRequest") },
      responses: {
        200: { description: "OK", content: jsonContent("InferenceResponse") },
        400: error("Bad Request"),
        404: error("Not Found"),
        422: error("Unprocessable Entity"),
        500: error("Internal Server Error"),
      },
    },
  };
}

const tensorShape = { type: "array", items: { type: "integer" } };
const parameters = ref("Parameters");
/** A tensor with its data: the dataplane's request inputs and response outputs have one shape. */
const dataTensor = {
  type: "object",
  required: ["name", "shape", "datatype", "data"],
  properties: {
    name: { type: "string" },
    shape: tensorShape,
    datatype: { type: "string" },
    parameters,
    data: {},
  },
};

/** The v2 dataplane as the MLServer mock serves it (the repository API is not in it, as upstream). */
const dataplane: OpenApiDocument = {
  openapi: "3.0.3",
  info: {
    title: "Data Plane",
    description: "REST protocol to interact with inference servers.",
    version: "2.0",
  },
  paths: {
    "/v2/health/live": health("server-live", "Server Live", ["health", "server"]),
    "/v2/health/ready": health("server-ready", "Server Ready", ["health", "server"]),
    "/v2/models/{model_name}/ready": {
      parameters: modelParams,
      ...health("model-ready", "Model Ready", ["health", "model"]),
    },
    "/v2/models/{model_name}/versions/{model_version}/ready": {
      parameters: versionParams,
      ...health("model-version-ready", "Model Ready", ["health", "model"]),
    },
    "/v2": {
      get: {
        operationId: "server-metadata",
        summary: "Server Metadata",
        tags: ["metadata", "server"],
        responses: { 200: { description: "OK", content: jsonContent("MetadataServerResponse") } },
      },
    },
    "/v2/models/{model_name}": { parameters: modelParams, ...metadata("model-metadata") },
    "/v2/models/{model_name}/versions/{model_version}": {
      parameters: versionParams,
      ...metadata("model-version-metadata"),
    },
    "/v2/models/{model_name}/infer": { parameters: modelParams, ...infer("model-inference") },
    "/v2/models/{model_name}/versions/{model_version}/infer": {
      parameters: versionParams,
      ...infer("model-version-inference"),
    },
  },
  components: {
    schemas: {
      Parameters: { type: "object", additionalProperties: true },
      MetadataServerResponse: {
        type: "object",
        required: ["name", "version", "extensions"],
        properties: {
          name: { type: "string" },
          version: { type: "string" },
          extensions: { type: "array", items: { type: "string" } },
        },
      },
      MetadataTensor: {
        type: "object",
        required: ["name", "datatype", "shape"],
        properties: {
          name: { type: "string" },
          datatype: { type: "string" },
          shape: tensorShape,
          parameters,
        },
      },
      MetadataModelResponse: {
        type: "object",
        required: ["name", "platform"],
        properties: {
          name: { type: "string" },
          versions: { type: "array", items: { type: "string" } },
          platform: { type: "string" },
          inputs: { type: "array", items: ref("MetadataTensor") },
          outputs: { type: "array", items: ref("MetadataTensor") },
          parameters,
        },
      },
      RequestInput: dataTensor,
      RequestOutput: {
        type: "object",
        required: ["name"],
        properties: { name: { type: "string" }, parameters },
      },
      InferenceRequest: {
        type: "object",
        required: ["inputs"],
        properties: {
          id: { type: "string" },
          parameters,
          inputs: { type: "array", items: ref("RequestInput") },
          outputs: { type: "array", items: ref("RequestOutput") },
        },
      },
      ResponseOutput: dataTensor,
      InferenceResponse: {
        type: "object",
        required: ["model_name", "outputs"],
        properties: {
          model_name: { type: "string" },
          model_version: { type: "string" },
          id: { type: "string" },
          parameters,
          outputs: { type: "array", items: ref("ResponseOutput") },
        },
      },
      ErrorResponse: {
        type: "object",
        properties: { error: { type: "string" } },
      },
    },
  },
};

/** The server's document, `GET /v2/docs/dataplane.json`. */
export function dataplaneDocument(): OpenApiDocument {
  return dataplane;
}

/**
 * A model's document (`get_model_schema`): the model routes only, `{model_name}` filled in and its
 * parameter dropped; with a version, only the versioned routes, `{model_version}` filled in too.
 * `info` keeps the version and names the model.
 */
export function modelDocument(model: string, version?: string): OpenApiDocument {
  const paths: Record<string, PathItem> = {};
  for (const [path, item] of Object.entries(dataplane.paths)) {
    if (!path.includes("{model_name}")) continue;
    if (version !== undefined && !path.includes("{model_version}")) continue;
    let filled = path.replace("{model_name}", model);
    if (version !== undefined) filled = filled.replace("{model_version}", version);
    const prefilled = version === undefined ? ["model_name"] : ["model_name", "model_version"];
    paths[filled] = {
      ...item,
      parameters: (item.parameters ?? []).filter((p) => !prefilled.includes(p.name)),
    };
  }
  const title = modelTitle(model, version);
  return {
    ...dataplane,
    info: {
      title: `Data Plane for ${title}`,
      description: `REST protocol to interact with ${title}`,
      version: dataplane.info.version,
    },
    paths,
  };
}

function modelTitle(model: string, version: string | undefined): string {
  return version === undefined ? `Model ${model}` : `Model ${model} (${version})`;
}

/** Where a model's Swagger page finds its document (`get_model_schema_uri`). */
export function modelDocumentUrl(model: string, version?: string): string {
  const base =
    version === undefined ? `/v2/models/${model}` : `/v2/models/${model}/versions/${version}`;
  return `${base}/docs/dataplane.json`;
}

/** The Swagger UI page title: `MLServer API Docs`, `MLServer API Docs - m` or `... - m (v)`. */
export function docsTitle(model?: string, version?: string): string {
  if (model === undefined) return "MLServer API Docs";
  return version === undefined
    ? `MLServer API Docs - ${model}`
    : `MLServer API Docs - ${model} (${version})`;
}
