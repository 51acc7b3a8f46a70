/**
 * ModelMesh's REST proxy (kserve-v2.md §3.4; kserve/rest-proxy, a grpc-gateway in front of
 * ModelMesh's gRPC port): JSON in, a gRPC call of the runtime behind ModelMesh, the proxy's JSON
 * out; gRPC statuses as `{code, message}` with grpc-gateway's HTTP status. Sources: kserve/rest-proxy
 * `proxy/main.go`, `proxy/request.go`, `proxy/marshaler.go`; grpc-ecosystem/grpc-gateway v2
 * `runtime/errors.go` (routing errors, gRPC → HTTP status); Go's `encoding/json` for the texts of
 * bodies it cannot decode.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { create, toJsonString } from "@bufbuild/protobuf";
import { Code, ConnectError, createHandlerContext, type HandlerContext } from "@connectrpc/connect";
import type {
  CannedReply,
  RestRoute,
  RestRouteReply,
  RestRouteRequest,
  RestRouteTable,
} from "@servingkit/mock-core/host";
import {
  GRPCInferenceService,
  InferParameterSchema,
  InferTensorContentsSchema,
  type ModelInferRequest,
  ModelInferRequestSchema,
  type ModelInferResponseSchema,
  ModelMetadataRequestSchema,
  ModelMetadataResponseSchema,
} from "@servingkit/proto/inference";
import {
  allocate,
  type Datatype,
  decodeRaw,
  flattenData,
  fromJsonElements,
  isDatatype,
  type TensorValues,
  toJsonElements,
} from "../datatypes.js";
import { fromContents, fromInferParameter, toContents, toInferParameter } from "../grpc-tensors.js";
import type { InferenceHandlers } from "./grpc.js";

/** grpc-gateway v2 `HTTPStatusFromCode`. */
const httpStatusOf: Readonly<Record<number, number>> = {
  [Code.Canceled]: 499,
  [Code.Unknown]: 500,
  [Code.InvalidArgument]: 400,
  [Code.DeadlineExceeded]: 504,
  [Code.NotFound]: 404,
  [Code.AlreadyExists]: 409,
  [Code.PermissionDenied]: 403,
  [Code.Unauthenticated]: 401,
  [Code.ResourceExhausted]: 429,
  [Code.FailedPrecondition]: 400,
  [Code.Aborted]: 409,
  [Code.OutOfRange]: 400,
  [Code.Unimplemented]: 501,
  [Code.Internal]: 500,
  [Code.Unavailable]: 503,
  [Code.DataLoss]: 500,
};

/**
 * The REST proxy's error answer: the gRPC status as JSON (`{"code":5,"message":"Not Found"}`,
 * empty `details` left out as the proxy's marshaler does) with grpc-gateway's HTTP status.
 */
export function proxyError(code: Code, message: string): CannedReply {
  return {
    status: httpStatusOf[code] ?? 500,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ code, message }),
  };
}

/** grpc-gateway's routing answers (runtime/errors.go `DefaultRoutingErrorHandler`). */
export const proxyNotFound = proxyError(Code.NotFound, "Not Found");
/** A known path with another method: UNIMPLEMENTED, so HTTP 501. */
export const proxyMethodNotAllowed = proxyError(Code.Unimplemented, "Method Not Allowed");

/** The gRPC code an HTTP status the host answers on the proxy's behalf stands for. */
export function codeOfHttpStatus(status: number): Code {
  const found = Object.entries(httpStatusOf).find(([, http]) => http === status);
  return found ? (Number(found[0]) as Code) : Code.Unknown;
}

/** Go's type names for the slices rest-proxy decodes `data` into (`request.go` `targetArray`). */
const goTypes: Partial<Record<Datatype, string>> = {
  BOOL: "bool",
  UINT8: "uint32",
  UINT16: "uint32",
  UINT32: "uint32",
  UINT64: "uint64",
  INT8: "int32",
  INT16: "int32",
  INT32: "int32",
  INT64: "int64",
  FP32: "float32",
  FP64: "float64",
  BYTES: "string",
};

const invalid = (message: string) => new ConnectError(message, Code.InvalidArgument);

function jsonKind(value: unknown): string {
  if (Array.isArray(value)) return "array";
  if (value === null) return "null";
  return typeof value === "object" ? "object" : typeof value;
}

/** Arrays in a nested `data` value, the outer one included (what rest-proxy counts as `[`). */
function arrayCount(value: unknown): number {
  return Array.isArray(value) ? 1 + value.reduce((n: number, v) => n + arrayCount(v), 0) : 0;
}

/** rest-proxy `expectedBracketCount`: the `[` a nested array of `shape` has. */
function expectedArrays(shape: readonly number[]): number {
  let product = 1;
  let sum = 1;
  for (const dim of shape.slice(0, -1)) {
    product *= dim;
    sum += product;
  }
  return sum;
}

const integerRanges: Partial<Record<string, [number, number]>> = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint64: [0, Number.MAX_SAFE_INTEGER],
};

/** One input's `data` as rest-proxy decodes it with Go's `encoding/json`, or its error text. */
function proxyValues(
  datatype: Datatype,
  name: string,
  data: unknown,
  shape: number[],
  b64: boolean,
) {
  const goType = goTypes[datatype];
  if (datatype === "FP16") {
    // request.go targetArray: the request side names it a response tensor (upstream's wording).
    throw invalid(`FP16 tensors not supported (response tensor ${name})`);
  }
  if (!goType) throw invalid(`unsupported datatype: ${datatype}`);
  if (data === undefined || data === null) return allocate(datatype, 0);
  if (shape.length > 1 && Array.isArray(data) && data.some(Array.isArray)) {
    if (arrayCount(data) !== expectedArrays(shape)) {
      throw invalid("invalid tensor data: invalid nested json arrays");
    }
  } else if (shape.length > 1 && !Array.isArray(data)) {
    throw invalid("invalid tensor data: not a json array");
  } else if (!Array.isArray(data)) {
    throw invalid(`json: cannot unmarshal ${jsonKind(data)} into Go value of type []${goType}`);
  }
  const elements = flattenData(data);
  for (const element of elements) {
    const kind = jsonKind(element);
    const wanted = datatype === "BOOL" ? "boolean" : datatype === "BYTES" ? "string" : "number";
    if (element === null) continue;
    if (kind !== wanted) {
      throw invalid(`json: cannot unmarshal ${kind} into Go value of type ${goType}`);
    }
    const range = integerRanges[goType];
    if (
      range &&
      typeof element === "number" &&
      (!Number.isInteger(element) || element < range[0] || element > range[1])
    ) {
      throw invalid(`json: cannot unmarshal number ${element} into Go value of type ${goType}`);
    }
  }
  const zeroed = elements.map((e) => (e === null ? (datatype === "BOOL" ? false : 0) : e));
  if (datatype === "BYTES") {
    return zeroed.map((e) =>
      b64 ? new Uint8Array(Buffer.from(String(e), "base64")) : new TextEncoder().encode(String(e)),
    );
  }
  return fromJsonElements(datatype, zeroed) as TensorValues;
}

/**
 * Go's `encoding/json` syntax error for a body that is not JSON, near enough: `unexpected EOF`
 * when it ends early, else `invalid character 'x' looking for beginning of value`.
 */
function goSyntaxError(text: string, error: Error): ConnectError {
  const at = /position (\d+)/.exec(error.message);
  const index = at ? Number(at[1]) : text.length;
  const char = text[index];
  if (char === undefined || /Unexpected end/i.test(error.message)) return invalid("unexpected EOF");
  return invalid(`invalid character '${char}' looking for beginning of value`);
}

/**
 * A REST infer body as rest-proxy turns it into a `ModelInferRequest` (request.go): typed
 * `contents` per input, request `id`, `parameters` and requested `outputs`; an empty body is an
 * empty request (grpc-gateway ignores io.EOF).
 */
export function proxyInferRequest(
  body: Buffer,
  modelName: string,
  modelVersion: string,
): ModelInferRequest {
  const text = body.toString("utf8");
  const request = create(ModelInferRequestSchema, { modelName, modelVersion });
  if (text.trim() === "") return request;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw goSyntaxError(text, error as Error);
  }
  // Go decodes a JSON null into a struct as nothing at all.
  if (parsed === null) return request;
  if (typeof parsed !== "object" || Array.isArray(parsed)) {
    throw invalid(
      `json: cannot unmarshal ${jsonKind(parsed)} into Go value of type main.RESTRequest`,
    );
  }
  const rest = parsed as Record<string, unknown>;
  request.id = goField(rest.id, "RESTRequest.id", "string", "") as string;
  request.parameters = proxyParameters(rest.parameters);
  const inputs = goArray(rest.inputs, "RESTRequest.inputs", "[]main.InputTensor");
  request.inputs = inputs.map((raw) => {
    if (raw !== null && (typeof raw !== "object" || Array.isArray(raw))) {
      throw invalid(
        `json: cannot unmarshal ${jsonKind(raw)} into Go value of type main.InputTensor`,
      );
    }
    const input = (raw ?? {}) as Record<string, unknown>;
    const name = goField(input.name, "InputTensorMeta.name", "string", "") as string;
    const datatype = goField(input.datatype, "InputTensorMeta.datatype", "string", "") as string;
    const shape = goArray(input.shape, "InputTensorMeta.shape", "[]int64").map((d) => {
      if (typeof d !== "number" || !Number.isSafeInteger(d)) {
        throw invalid(
          typeof d === "number"
            ? `json: cannot unmarshal number ${d} into Go struct field InputTensorMeta.shape of type int64`
            : `json: cannot unmarshal ${jsonKind(d)} into Go struct field InputTensorMeta.shape of type int64`,
        );
      }
      return d;
    });
    const parameters = proxyParameters(input?.parameters);
    if (!isDatatype(datatype)) {
      throw invalid(
        datatype === "FP16"
          ? `FP16 tensors not supported (response tensor ${name})`
          : `unsupported datatype: ${datatype}`,
      );
    }
    const contentType = parameters.content_type;
    const b64 = contentType !== undefined && fromInferParameter(contentType) === "base64";
    const values = proxyValues(datatype, name, input?.data, shape, b64);
    const tensor = {
      name,
      datatype,
      shape: shape.map((d) => BigInt(d)),
      parameters,
      contents: toContents(datatype, values),
    };
    return create(ModelInferRequestSchema, { inputs: [tensor] })
      .inputs[0] as ModelInferRequest["inputs"][number];
  });
  const outputs = goArray(
    rest.outputs,
    "RESTRequest.outputs",
    "[]*gen.ModelInferRequest_InferRequestedOutputTensor",
  ) as Record<string, unknown>[];
  request.outputs = create(ModelInferRequestSchema, {
    outputs: outputs.map((o) => ({ name: typeof o?.name === "string" ? o.name : "" })),
  }).outputs;
  return request;
}

/**
 * A JSON member Go's `encoding/json` decodes into a field of type `goType`: null or absent keeps
 * `empty`; another JSON kind is its `cannot unmarshal ... into Go struct field` error.
 */
function goField(value: unknown, field: string, goType: string, empty: unknown): unknown {
  if (value === undefined || value === null) return empty;
  const kind = jsonKind(value);
  const wanted = goType === "string" ? "string" : goType === "bool" ? "boolean" : "number";
  if (kind !== wanted) {
    throw invalid(`json: cannot unmarshal ${kind} into Go struct field ${field} of type ${goType}`);
  }
  return value;
}

/** A JSON member decoded into a Go slice: null or absent is empty; another kind is Go's error. */
function goArray(value: unknown, field: string, goType: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    throw invalid(
      `json: cannot unmarshal ${jsonKind(value)} into Go struct field ${field} of type ${goType}`,
    );
  }
  return value;
}

/** rest-proxy `parameterMap.UnmarshalJSON`: strings, numbers (as int64), booleans; others dropped. */
function proxyParameters(value: unknown): ModelInferRequest["parameters"] {
  const params: Record<string, ReturnType<typeof toInferParameter>> = {};
  if (
    value !== undefined &&
    value !== null &&
    (typeof value !== "object" || Array.isArray(value))
  ) {
    throw invalid(
      `json: cannot unmarshal ${jsonKind(value)} into Go value of type map[string]interface {}`,
    );
  }
  if (value !== undefined && value !== null) {
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if (typeof v === "string" || typeof v === "boolean") params[key] = toInferParameter(v);
      else if (typeof v === "number") params[key] = toInferParameter(BigInt(Math.trunc(v)));
    }
  }
  return create(ModelInferRequestSchema, { parameters: params }).parameters;
}

/**
 * A ModelInfer answer as rest-proxy writes it (marshaler.go `transformResponse`): keys
 * `model_name`, `model_version`, `id`, `parameters`, `outputs` left out when empty; each output
 * `name`, `datatype`, `shape`, `parameters`, `data` from the raw or typed contents; BYTES as base64
 * strings with `content_type: base64`; an FP16 output cannot be written (UNKNOWN, HTTP 500).
 */
export function proxyInferResponse(
  response: MessageInitShape<typeof ModelInferResponseSchema>,
): string {
  const raw = response.rawOutputContents ?? [];
  const outputs = (response.outputs ?? []).map((output, index) => {
    const datatype = output.datatype ?? "";
    const name = output.name ?? "";
    if (datatype === "FP16") {
      throw new ConnectError(`FP16 tensors not supported (request tensor ${name})`, Code.Unknown);
    }
    if (!isDatatype(datatype) || goTypes[datatype] === undefined) {
      throw new ConnectError(
        `unsupported datatype in inference response outputs: ${datatype}`,
        Code.Unknown,
      );
    }
    const parameters: Record<string, unknown> = {};
    for (const [key, parameter] of Object.entries(output.parameters ?? {})) {
      parameters[key] = jsonParameter(parameter);
    }
    if (datatype === "BYTES") parameters.content_type = "base64";
    const bytes = raw[index];
    const values =
      raw.length > 0 && bytes !== undefined
        ? decodeRaw(datatype, bytes)
        : fromContents(
            datatype,
            create(InferTensorContentsSchema, output.contents ?? {}),
            allocate,
          );
    const data =
      values === undefined || typeof values === "string"
        ? []
        : Array.isArray(values)
          ? values.map((e) => Buffer.from(e).toString("base64"))
          : toJsonElements(datatype, values);
    const shape = (output.shape ?? []).map((d) => Number(d));
    return {
      name: name || undefined,
      datatype: datatype || undefined,
      shape: shape.length > 0 ? shape : undefined,
      parameters: Object.keys(parameters).length > 0 ? parameters : undefined,
      data,
    };
  });
  const responseParameters: Record<string, unknown> = {};
  for (const [key, parameter] of Object.entries(response.parameters ?? {})) {
    responseParameters[key] = jsonParameter(parameter);
  }
  return JSON.stringify({
    model_name: response.modelName || undefined,
    model_version: response.modelVersion || undefined,
    id: response.id || undefined,
    parameters: Object.keys(responseParameters).length > 0 ? responseParameters : undefined,
    outputs: outputs.length > 0 ? outputs : undefined,
  });
}

/** rest-proxy `parameterMapToJson`: bool, string and int64 values; any other kind is null. */
function jsonParameter(parameter: MessageInitShape<typeof InferParameterSchema>): unknown {
  const choice = create(InferParameterSchema, parameter).parameterChoice;
  if (choice.case === "boolParam" || choice.case === "stringParam") return choice.value;
  if (choice.case === "int64Param") return Number(choice.value);
  return null;
}

/** What the REST proxy's route table calls: the runtime's handlers behind ModelMesh. */
export interface ModelMeshRestOptions {
  /** The handlers as ModelMesh serves them ({@link modelmeshHandlers}). */
  readonly handlers: InferenceHandlers;
}

/** gRPC metadata grpc-gateway forwards from HTTP headers: `Grpc-Metadata-<key>` (runtime `DefaultHeaderMatcher`). */
function forwardedMetadata(request: RestRouteRequest): Headers {
  const headers = new Headers();
  for (const [key, value] of Object.entries(request.headers)) {
    if (value !== undefined && key.startsWith("grpc-metadata-")) {
      headers.set(key.slice("grpc-metadata-".length), value);
    }
  }
  return headers;
}

function contextFor(
  method: "modelInfer" | "modelMetadata",
  request: RestRouteRequest,
): HandlerContext {
  return createHandlerContext({
    service: GRPCInferenceService,
    method: GRPCInferenceService.method[method],
    protocolName: "grpc",
    requestMethod: "POST",
    url: `/inference.GRPCInferenceService/${method === "modelInfer" ? "ModelInfer" : "ModelMetadata"}`,
    requestHeader: forwardedMetadata(request),
    requestSignal: request.signal,
  });
}

async function answered(work: () => Promise<string>): Promise<RestRouteReply> {
  try {
    return { status: 200, headers: { "content-type": "application/json" }, body: await work() };
  } catch (error) {
    const e = ConnectError.from(error);
    return proxyError(e.code, e.rawMessage);
  }
}

/**
 * The REST proxy's surface (kserve-v2.md §3.4): only `GET /v2/models/{m}[/versions/{v}]` (model
 * metadata as protojson: int64 shapes as strings, empty fields left out) and
 * `POST /v2/models/{m}[/versions/{v}]/infer`, each a call of the gRPC handler behind ModelMesh.
 */
export function modelmeshRestTable(options: ModelMeshRestOptions): RestRouteTable {
  const { handlers } = options;
  const params = (request: RestRouteRequest) =>
    request.params as { name: string; version?: string };
  const metadata = (request: RestRouteRequest) =>
    answered(async () => {
      const { name, version } = params(request);
      const handle = handlers.modelMetadata;
      if (!handle) throw new ConnectError("", Code.Unimplemented);
      const answer = await handle(
        create(ModelMetadataRequestSchema, { name, version: version ?? "" }),
        contextFor("modelMetadata", request),
      );
      return toJsonString(ModelMetadataResponseSchema, create(ModelMetadataResponseSchema, answer));
    });
  const infer = (request: RestRouteRequest) =>
    answered(async () => {
      const { name, version } = params(request);
      const handle = handlers.modelInfer;
      if (!handle) throw new ConnectError("", Code.Unimplemented);
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const answer = await handle(
        proxyInferRequest(body, name, version ?? ""),
        contextFor("modelInfer", request),
      );
      return proxyInferResponse(answer);
    });
  const routes: RestRoute[] = [
    { method: "GET", path: "/v2/models/:name", handle: metadata },
    { method: "GET", path: "/v2/models/:name/versions/:version", handle: metadata },
    { method: "POST", path: "/v2/models/:name/infer", handle: infer },
    { method: "POST", path: "/v2/models/:name/versions/:version/infer", handle: infer },
  ];
  return { routes, rawBodies: true };
}
