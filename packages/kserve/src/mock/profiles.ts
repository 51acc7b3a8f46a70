/**
 * The three runtime profiles of the one KServe v2 implementation: everything in which Triton,
 * MLServer and OVMS differ, as data (server metadata, error texts and status mapping, binary
 * extension support, response key order, raw-output rule, validation strictness). Handlers read
 * a profile; they never branch on the runtime's name. Facts: kserve-v2.md §3 and §4.
 */

import { Code } from "@connectrpc/connect";
import { fastApiJsonInvalid } from "@servingkit/mock-core/host";
import { type Datatype, datatypes } from "../datatypes.js";
import { type FaultKind, InferFault } from "./fault.js";
import {
  identityModels,
  type MockModel,
  mlserverIris,
  ovmsResnet,
  tritonSimple,
  tritonSimpleString,
} from "./models.js";
import { readMlserverRepository, readOvmsRepository, readTritonRepository } from "./repository.js";
import { inputContentConflict } from "./triton-shared-memory.js";
import { createVllmModel } from "./triton-vllm-model.js";

/** The runtimes of this family. */
export type KserveRuntime = "triton" | "mlserver" | "ovms";

/** Texts a runtime uses, each returning the refusal it throws. */
export interface ProfileMessages {
  /** The model name matches no model. */
  unknownModel(model: string): InferFault;
  /** The model exists but not in that version. */
  unknownVersion(model: string, version: string): InferFault;
  /**
   * The model is known but not ready (still loading, or unloaded on Triton); `version` is the
   * request's, undefined when it names none.
   */
  notLoaded(model: string, version: string | undefined): InferFault;
  /** The body is not JSON (`detail` = the parser's words). */
  malformedJson(detail: string, body: string): InferFault;
  /** The body is JSON but not an object. */
  notAnObject(body: unknown): InferFault;
  /** A required member is missing or has the wrong JSON type (`path` from the body root). */
  badMember(path: readonly (string | number)[], body: unknown): InferFault;
  /** A datatype string outside the protocol's list (or this runtime's). */
  invalidDatatype(input: string, datatype: string, index: number): InferFault;
  /** JSON `data` holds a different number of elements than the shape says. */
  elementCount(input: string, expected: number, got: number): InferFault;
  /** A JSON element of the wrong type. */
  badElement(input: string, datatype: Datatype): InferFault;
  /** FP16/BF16 sent as JSON where the runtime wants binary. */
  halfInJson(input: string, datatype: Datatype): InferFault;
  /** FP16/BF16 output requested as JSON. */
  halfOutJson(output: string, datatype: Datatype): InferFault;
  /**
   * Inputs missing. `expected` counts every input of the model, `required` those it does not
   * mark optional (equal when it has none).
   */
  missingInputs(
    model: string,
    expected: number,
    got: readonly string[],
    missing: readonly string[],
    id: string | undefined,
    required: number,
  ): InferFault;
  /**
   * An input the model does not have; `absent` is the first model input the request lacks
   * (undefined when none is: a repeated name).
   */
  unexpectedInput(
    model: string,
    input: string,
    expected: number,
    got: number,
    absent?: string,
  ): InferFault;
  /** Datatype differs from the model's. */
  wrongDatatype(
    model: string,
    input: string,
    expected: Datatype,
    got: string,
    id: string | undefined,
  ): InferFault;
  /** Shape differs from the model's. */
  wrongShape(
    model: MockModel,
    input: string,
    expected: readonly number[],
    got: readonly number[],
    id: string | undefined,
  ): InferFault;
  /** Batch larger than `max_batch_size`. */
  batchTooLarge(model: string, max: number, got: number, input: string): InferFault;
  /** A requested output the model does not have. */
  unknownOutput(model: string, output: string): InferFault;
  /** Binary data sent without `Inference-Header-Content-Length`/`binary_data_size`. */
  binaryWithoutHeader(): InferFault;
  /** The header length is past the end of the body. */
  headerTooLong(length: number, bodyLength: number): InferFault;
  /** An input's binary size does not fit its shape and datatype. */
  byteSizeMismatch(
    model: string,
    input: string,
    expected: number,
    got: number,
    id: string | undefined,
  ): InferFault;
  /** The body ends before an input's `binary_data_size` bytes. */
  shortBinary(model: string, input: string, missing: number): InferFault;
  /** Bytes left over after the last binary input. */
  extraBinary(model: string): InferFault;
  /** An input with both or neither of `data` and `binary_data_size`. */
  dataConflict(input: string, both: boolean): InferFault;
  /** Raw binary request (header length 0) to a model without exactly one input. */
  rawInputCount(model: string, inputs: number): InferFault;
  /** Raw binary request whose input shape cannot be deduced (more than one variable dimension, or BYTES not `[1]`). */
  rawShape(input: string, bytes: boolean): InferFault;
  /** A request parameter the runtime reserves. */
  reservedParameter(key: string): InferFault;
  /** gRPC: `contents` together with `raw_input_contents`. */
  contentsWithRaw(model: string, input: string): InferFault;
  /** gRPC: no data for an input. */
  noData(model: string, input: string): InferFault;
  /** The model's computation failed on what it was given (MLServer: numpy/sklearn raising). */
  computeFailed(model: string, reason: string): InferFault;
}

/** How a runtime treats the binary tensor data extension (kserve-v2.md §2, §3.3). */
export interface BinaryRules {
  /** Whether binary request bodies are understood at all (MLServer: no, its JSON parser refuses them). */
  readonly supported: boolean;
  /** The response header carrying the JSON length, spelled as the runtime spells it. */
  readonly headerName: string;
  /** Content-Type of a response with binary outputs. */
  readonly responseContentType: string;
  /** OVMS: `binary_data`/`binary_data_output` only affect outputs listed in `outputs`. */
  readonly onlyListedOutputs: boolean;
  /** Triton: `Inference-Header-Content-Length: 0` makes the whole body the model's one input (kserve-v2.md §2). */
  readonly rawRequest: boolean;
  /** OVMS: `binary_data_size` may be left out; the size follows from shape and datatype. */
  readonly sizeFromShape: boolean;
}

/** A runtime profile. */
export interface KserveProfile {
  /** Which runtime. */
  readonly runtime: KserveRuntime;
  /** `GET /v2` name. */
  readonly serverName: string;
  /** `GET /v2` version. */
  readonly serverVersion: string;
  /** `GET /v2` extensions; `undefined` = the key is absent (OVMS). */
  readonly extensions: readonly string[] | undefined;
  /** Datatypes the runtime knows. */
  readonly datatypes: readonly Datatype[];
  /** The built-in models. */
  readonly models: readonly MockModel[];
  /** HTTP status per refusal kind (Triton since 24.01). */
  readonly restStatus: Readonly<Record<FaultKind, number>>;
  /** gRPC code per refusal kind. */
  readonly grpcCode: Readonly<Record<FaultKind, Code>>;
  /** The runtime's texts. */
  readonly messages: ProfileMessages;
  /** Binary extension rules. */
  readonly binary: BinaryRules;
  /** Versions in URLs must be digits (Triton and OVMS route regexes); else any string (MLServer). */
  readonly numericVersions: boolean;
  /** MLServer generates a UUID `id` when the request has none. */
  readonly alwaysId: boolean;
  /** Whether input datatypes are checked against the model's (MLServer leaves them to numpy). */
  readonly checksDatatypes: boolean;
  /** Parameters MLServer's codecs put on each output (`content_type`), by datatype; none elsewhere. */
  readonly outputParameters: ((datatype: Datatype) => Record<string, string>) | undefined;
  /** FP16/BF16 in JSON: accepted (MLServer via numpy) or refused (Triton, OVMS). */
  readonly halfInJson: boolean;
  /** MLServer: numpy coerces JSON elements (booleans, numeric strings) instead of refusing them. */
  readonly lenientJson: boolean;
  /** MLServer decodes only JSON content types (seeds/README.md exception); others decode anything. */
  readonly jsonContentTypeOnly: boolean;
  /** gRPC responses: `raw_output_contents` always (Triton, OVMS) or only for raw requests (MLServer). */
  readonly rawOutput: "always" | "if-raw-in";
  /** Key order of the infer response (with `id?`/`model_version?`/`parameters?` where they appear). */
  readonly responseKeys: readonly (
    | "id"
    | "model_name"
    | "model_version"
    | "parameters"
    | "outputs"
  )[];
  /** Key order of each response output. */
  readonly outputKeys: readonly ("name" | "datatype" | "shape" | "parameters" | "data")[];
  /**
   * Triton: model readiness is a boolean, never a not-found: an unknown or unloaded model answers
   * REST 400 `{"error":"Model version not ready"}` and gRPC `ready: false` (core server.cc
   * `ModelIsReady`, server http_server.cc `HandleModelReady`). MLServer and OVMS refuse with their
   * not-found texts.
   */
  readonly readyIsBoolean: boolean;
  /**
   * REST model ready on a model that is still loading, where readiness is not Triton's boolean:
   * MLServer answers its readiness, false as this status with an empty body (rest/endpoints.py
   * `model_ready`: `Response(status_code=to_status_code(is_ready))`, 400); undefined: the
   * runtime's not-loaded refusal (OVMS http_rest_api_handler.cpp `processModelReadyKFSRequest`).
   */
  readonly loadingReadyStatus: number | undefined;
  /**
   * How long inference waits for a version that is still loading before it is refused, in
   * milliseconds of the mock's clock: OVMS 10,000 (modelmanager.hpp
   * `DEFAULT_WAIT_FOR_MODEL_LOADED_TIMEOUT_MS`, read by `ModelInstance::waitForLoaded`);
   * undefined: refused at once (Triton, MLServer).
   */
  readonly waitForLoadedMs: number | undefined;
  /**
   * Whose reading of a repeated member name in a JSON infer body: true, the FIRST value (Triton's
   * TritonJson over rapidjson, common triton_json.h `Find`/`MemberAs*`; OVMS rest_parser.cpp
   * `KFSRestParser::parse` `FindMember`); false, the last (MLServer, Python `json.loads`, as
   * `JSON.parse`). See json-member-names.ts `firstMemberWins`.
   */
  readonly repeatedMemberFirst: boolean;
  /** Headers of a 200 model-ready answer (its body is empty). */
  readonly modelReadyHeaders: Readonly<Record<string, string>>;
  /** An `internal` refusal is FastAPI's plain-text 500 `Internal Server Error` (MLServer), not `{"error"}`. */
  readonly plainTextInternal: boolean;
  /**
   * Triton's extension APIs (repository index, statistics, model configuration, ModelStreamInfer
   * with ModelStreamInferResponse); the others do not serve them (kserve-v2.md §4.1).
   */
  readonly tritonExtensions: boolean;
  /**
   * Whose model repository API the runtime serves (`/v2/repository/index`, `.../load`,
   * `.../unload` and the gRPC twins): Triton's (model control modes, kserve-v2.md §3.1) or
   * MLServer's (always on, §3.2); OVMS serves none.
   */
  readonly modelControl: "triton" | "mlserver" | undefined;
  /**
   * MLServer's API docs: `/v2/docs[/dataplane.json]` and `/v2/models/{m}[/versions/{v}]/docs[/dataplane.json]`
   * (mlserver/rest/app.py); Triton and OVMS serve no docs, their unknown-path 404s answer there.
   */
  readonly apiDocs: boolean;
  /**
   * FastAPI's own routes and Starlette's router, where the REST server is a FastAPI app
   * (MLServer, mlserver/rest/app.py): `GET /openapi.json` (FastAPI's `openapi_url` default, which
   * MLServer keeps; it sets `docs_url` and `redoc_url` to None, so `/docs` and `/redoc` are 404)
   * and `redirect_slashes` (a path that matches only with its trailing slash stripped or added
   * is a 307 to that spelling; `slash-redirect.ts`). Triton and OVMS route with their own regexes.
   */
  readonly fastapi: boolean;
  /**
   * Model metadata also answers with one trailing slash (`/v2/models/m/`,
   * `/v2/models/m/versions/1/`): OVMS's metadata regex ends in `(?:/)?`
   * (model_server `src/http_rest_api_handler.cpp` `kfs_modelmetadataRegexExp`); Triton's
   * `model_regex_` does not, and MLServer redirects instead.
   */
  readonly metadataTrailingSlash: boolean;
  /**
   * MLServer's ModelStreamInfer (dataplane.proto): a stream of ModelInferResponse messages, one
   * per request, all for the first request's model (mlserver/grpc/servicers.py). Triton's form,
   * with ModelStreamInferResponse, is part of {@link tritonExtensions}.
   */
  readonly streamsInferResponses: boolean;
  /**
   * OVMS's ModelStreamInfer, which serves MediaPipe graphs only (model_server
   * `src/kfs_frontend/kfs_grpc_inference_service.cpp` `ModelStreamInferImpl`); the mock has no
   * graphs, so every stream is refused (grpc.ts `mediapipeStreamRpc`).
   */
  readonly mediapipeStreams: boolean;
  /** Extra POST routes that answer as `infer` does (MLServer's `generate`, kserve-v2.md §3.2). */
  readonly inferAliases: readonly string[];
  /** POST routes that answer the inference response as one Server-Sent Event (MLServer's `infer_stream`, `generate_stream`). */
  readonly streamRoutes: readonly string[];
  /**
   * Triton's generate extension: `POST /v2/models/{m}[/versions/{v}]/generate` and
   * `.../generate_stream` with flat JSON bodies (triton-generate.ts). MLServer's `generate` is an
   * infer alias ({@link inferAliases}); OVMS serves neither (its LLM API is `/v3`).
   */
  readonly generateExtension: boolean;
  /**
   * Compression: request `Content-Encoding`s decoded, response encodings offered when the client's
   * `Accept-Encoding` lists them, and the smallest body worth compressing (kserve-v2.md §2
   * "Compression", §3.2 GZipMiddleware).
   */
  readonly compression: {
    readonly request: readonly ("gzip" | "deflate")[];
    readonly response: readonly ("gzip" | "deflate")[];
    readonly minBytes: number;
  };
  /** Metadata `versions`: the served/requested ones (Triton, OVMS) or the configured list (MLServer). */
  readonly versionsInMetadata: "served" | "listed";
  /** Reads the runtime's model repository format (`--model-repository DIR`), synchronously (start-up only). */
  readonly readRepository: (dir: string) => MockModel[];
  /** Triton's classification extension: output parameter `classification: N` (kserve-v2.md §3.1). */
  readonly classification: boolean;
  /**
   * gRPC typed `contents` checked field by field as Triton does (triton-explicit-contents.ts):
   * a field of another type, or a second non-empty field, is refused. Elsewhere only the
   * datatype's own field is read.
   */
  readonly explicitContentsChecked: boolean;
  /** Request parameters whose keys start with this are refused (Triton's `triton_`). */
  readonly reservedParameterPrefix: string | undefined;
}

const tritonStatus: Record<FaultKind, number> = {
  invalid: 400,
  "not-found": 404,
  internal: 500,
  unavailable: 503,
  unsupported: 501,
  // http_server.cc HttpCodeFromError: ALREADY_EXISTS has no HTTP twin, so 400.
  "already-exists": 400,
  unprocessable: 400,
  precondition: 400,
};

const tritonCodes: Record<FaultKind, Code> = {
  invalid: Code.InvalidArgument,
  "not-found": Code.NotFound,
  internal: Code.Internal,
  unavailable: Code.Unavailable,
  unsupported: Code.Unimplemented,
  "already-exists": Code.AlreadyExists,
  unprocessable: Code.InvalidArgument,
  precondition: Code.InvalidArgument,
};

/** The `[request id: <id>] ` prefix Triton's core puts on request errors (`<id_unknown>` without an id). */
export const tritonRequestPrefix = (id: string | undefined) =>
  `[request id: ${id ?? "<id_unknown>"}] `;
const dims = (shape: readonly number[]) => `[${shape.join(",")}]`;
const f = (kind: FaultKind, message: string) => new InferFault(kind, message);

/**
 * Why TritonJson could not read the member at `path` of `body` (common triton_json.h): absent →
 * `attempt to access non-existing object member '<m>'`; a `shape` that is no array → `attempt to
 * access JSON non-array as array` (MemberAsArray); a shape element that is no unsigned integer (a
 * negative dimension) → `attempt to access JSON non-unsigned-integer as unsigned-integer`
 * (IndexAsUInt; http_server.cc parses each dimension so, qa L0_http http_test.py
 * test_negative_dimension pins the text with 500).
 */
function tritonJsonReadError(path: readonly (string | number)[], body: unknown): string {
  const member = String(path[path.length - 1]);
  let value: unknown = body;
  for (const key of path) {
    value =
      value !== null && typeof value === "object"
        ? (value as Record<string | number, unknown>)[key]
        : undefined;
  }
  if (value === undefined) return `attempt to access non-existing object member '${member}'`;
  if (member !== "shape") return `attempt to access non-existing object member '${member}'`;
  if (!Array.isArray(value)) return "attempt to access JSON non-array as array";
  return "attempt to access JSON non-unsigned-integer as unsigned-integer";
}

/** Triton's texts (kserve-v2.md §3.1, §4.4; core src/model.cc for unknown outputs). */
const tritonMessages: ProfileMessages = {
  unknownModel: (m) => f("not-found", `Request for unknown model: '${m}' is not found`),
  unknownVersion: (m, v) =>
    f("not-found", `Request for unknown model: '${m}' version ${v} is not found`),
  // core model_lifecycle.cc GetModel: no READY version (loading or unloaded) is a NOT_FOUND;
  // a named version that is not READY is UNAVAILABLE (kserve-v2.md §3.1).
  notLoaded: (m, v) =>
    v === undefined
      ? f("not-found", `Request for unknown model: '${m}' has no available versions`)
      : f("unavailable", `Request for unknown model: '${m}' version ${v} is not at ready state`),
  malformedJson: (detail) => f("internal", `failed to parse the request JSON buffer: ${detail}`),
  notAnObject: () =>
    f(
      "internal",
      "Unable to parse 'inputs': attempt to access non-existing object member 'inputs'",
    ),
  badMember: (path, body) => {
    const member = String(path[path.length - 1]);
    return f("internal", `Unable to parse '${member}': ${tritonJsonReadError(path, body)}`);
  },
  invalidDatatype: (input) => f("invalid", `invalid datatype for input ${input}`),
  elementCount: (_input, expected, got) =>
    got < expected
      ? f("internal", "Failed to parse 'data' field: shape does not match true shape")
      : f("internal", "Unable to parse 'data': Shape does not match true shape of 'data' field"),
  badElement: (_input, datatype) =>
    f(
      "internal",
      datatype === "BOOL"
        ? "Unable to parse 'data': attempt to access JSON non-boolean as boolean"
        : datatype === "BYTES"
          ? "Unable to parse 'data': attempt to access JSON non-string as string"
          : datatype.startsWith("FP")
            ? "Unable to parse 'data': attempt to access JSON non-number as double"
            : datatype.startsWith("UINT")
              ? "Unable to parse 'data': attempt to access JSON non-unsigned-integer as unsigned-integer"
              : "Unable to parse 'data': attempt to access JSON non-signed-integer as signed-integer",
    ),
  halfInJson: (input, datatype) =>
    f(
      "invalid",
      `receiving ${datatype} data via JSON is not supported. Please use the binary data format for input ${input}`,
    ),
  halfOutJson: (output, datatype) =>
    f(
      "invalid",
      `sending ${datatype} data via JSON is not supported. Please use the binary data format for output ${output}`,
    ),
  // With optional inputs core words the count as a range (qa L0_input_validation
  // test_input_validation_optional_empty: "expected number of inputs between 3 and 4 but got 0 inputs ...").
  missingInputs: (m, expected, got, missing, id, required) =>
    f(
      "invalid",
      `${tritonRequestPrefix(id)}expected ${required === expected ? `${expected} inputs` : `number of inputs between ${required} and ${expected}`} but got ${got.length} inputs for model '${m}'. Got input(s) [${got.map((g) => `'${g}'`).join(", ")}], but missing required input(s) [${missing.map((g) => `'${g}'`).join(", ")}]. Please provide all required input(s).`,
    ),
  unexpectedInput: (m, input) =>
    f("invalid", `unexpected inference input '${input}' for model '${m}'`),
  wrongDatatype: (m, input, expected, got, id) =>
    f(
      "invalid",
      `${tritonRequestPrefix(id)}inference input '${input}' data-type is '${got}', but model '${m}' expects '${expected}'`,
    ),
  wrongShape: (model, input, expected, got, id) =>
    f(
      "invalid",
      `${tritonRequestPrefix(id)}unexpected shape for input '${input}' for model '${model.name}'. Expected ${dims(expected)}, got ${dims(got)}.${
        model.maxBatchSize > 0
          ? " NOTE: Setting a non-zero max_batch_size in the model config requires a batch dimension to be prepended to each input shape. If you want to specify the full shape including the batch dim in your input dims config, try setting max_batch_size to zero. See the model configuration docs for more info on max_batch_size."
          : ""
      }`,
    ),
  batchTooLarge: (m, max) =>
    f("invalid", `inference request batch-size must be <= ${max} for '${m}'`),
  unknownOutput: (m, output) =>
    f("invalid", `unexpected inference output '${output}' for model '${m}'`),
  binaryWithoutHeader: () =>
    f(
      "invalid",
      "must specify valid 'Infer-Header-Content-Length' in request header and 'binary_data_size' when passing inputs in binary data format",
    ),
  headerTooLong: () =>
    f(
      "invalid",
      "must specify valid 'Infer-Header-Content-Length' in request header and 'binary_data_size' when passing inputs in binary data format",
    ),
  byteSizeMismatch: (m, input, expected, got, id) =>
    f(
      "invalid",
      `${tritonRequestPrefix(id)}input byte size mismatch for input '${input}' for model '${m}'. Expected ${expected}, got ${got}`,
    ),
  shortBinary: (m, input, missing) =>
    f(
      "invalid",
      `unexpected size for input '${input}', expecting ${missing} additional bytes for model '${m}'`,
    ),
  extraBinary: (m) => f("invalid", `unexpected additional input data for model '${m}'`),
  dataConflict: (_input, both) => inputContentConflict(both, both, false),
  reservedParameter: () =>
    f(
      "invalid",
      "parameter keys starting with 'triton_' are reserved for Triton usage and should not be specified.",
    ),
  // core src/infer_request.cc Normalize(); qa L0_http http_test.py test_multi_inputs.
  rawInputCount: (m, inputs) =>
    f(
      "invalid",
      `${tritonRequestPrefix(undefined)}Raw request must only have 1 input (found 1) to be deduced but got ${inputs} inputs in '${m}' model configuration`,
    ),
  rawShape: (input, bytes) =>
    f(
      "invalid",
      bytes
        ? `For BYTE datatype raw input '${input}', the model must have input shape [1]`
        : `The shape of the raw input '${input}' can not be deduced because there are more than one variable-sized dimension`,
    ),
  contentsWithRaw: (m, input) =>
    f(
      "invalid",
      `contents field must not be specified when using raw_input_contents for '${input}' for model '${m}'`,
    ),
  noData: (m, input) =>
    f("invalid", `unable to find data for input tensor '${input}' for model '${m}' in request.`),
  computeFailed: (_m, reason) => f("internal", reason),
};

const mlserverDatatypes = datatypes.filter((d) => d !== "BF16");

/** pydantic v2's enum message over MLServer's Datatype enum (no BF16, kserve-v2.md §3.2). */
const mlserverEnumExpected = `${mlserverDatatypes
  .slice(0, -1)
  .map((d) => `'${d}'`)
  .join(", ")} or '${mlserverDatatypes[mlserverDatatypes.length - 1]}'`;

const unprocessable = (detail: ConstructorParameters<typeof InferFault>[2]) =>
  new InferFault("unprocessable", "Unprocessable Entity", detail);

/** Where in a JSON body a path leads (undefined when it does not). */
function at(body: unknown, path: readonly (string | number)[]): unknown {
  let node = body;
  for (const key of path.slice(0, -1)) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}

/**
 * MLServer's texts (kserve-v2.md §3.2): MLServerError `{"error"}` texts, FastAPI 422 details for
 * schema errors, and numpy/model failures as FastAPI's plain 500.
 */
const mlserverMessages: ProfileMessages = {
  unknownModel: (m) => f("not-found", `Model ${m} not found`),
  unknownVersion: (m, v) => f("not-found", `Model ${m} with version ${v} not found`),
  // mlserver/errors.py ModelNotReady (400), raised by handlers/dataplane.py when `model.ready` is false.
  notLoaded: (m, v) =>
    f(
      "invalid",
      v === undefined
        ? `Model ${m} is not ready yet.`
        : `Model ${m} with version ${v} is not ready yet.`,
    ),
  // FastAPI's json_invalid entry, Python's offset and words (fastapi/routing.py).
  malformedJson: (detail, body) => unprocessable([fastApiJsonInvalid(detail, body)]),
  notAnObject: (body) =>
    unprocessable([
      {
        type: "model_attributes_type",
        loc: ["body"],
        msg: "Input should be a valid dictionary or object to extract fields from",
        input: body,
      },
    ]),
  badMember: (path, body) =>
    unprocessable([
      {
        type: "missing",
        loc: ["body", ...path],
        msg: "Field required",
        input: at(body, path) ?? null,
      },
    ]),
  invalidDatatype: (_input, datatype, index) =>
    unprocessable([
      {
        type: "enum",
        loc: ["body", "inputs", index, "datatype"],
        msg: `Input should be ${mlserverEnumExpected}`,
        input: datatype,
        ctx: { expected: mlserverEnumExpected },
      },
    ]),
  // numpy's reshape and dtype conversion raise; FastAPI answers an uncaught error with a plain 500.
  elementCount: () => f("internal", "Internal Server Error"),
  badElement: () => f("internal", "Internal Server Error"),
  halfInJson: () => f("internal", "Internal Server Error"),
  halfOutJson: () => f("internal", "Internal Server Error"),
  missingInputs: () => f("internal", "Internal Server Error"),
  unexpectedInput: () => f("internal", "Internal Server Error"),
  wrongDatatype: () => f("internal", "Internal Server Error"),
  wrongShape: () => f("internal", "Internal Server Error"),
  batchTooLarge: () => f("internal", "Internal Server Error"),
  unknownOutput: () => f("internal", "Internal Server Error"),
  binaryWithoutHeader: () => f("internal", "Internal Server Error"),
  headerTooLong: () => f("internal", "Internal Server Error"),
  byteSizeMismatch: () => f("internal", "Internal Server Error"),
  shortBinary: () => f("internal", "Internal Server Error"),
  extraBinary: () => f("internal", "Internal Server Error"),
  dataConflict: () => f("internal", "Internal Server Error"),
  reservedParameter: () => f("internal", "Internal Server Error"),
  rawInputCount: () => f("internal", "Internal Server Error"),
  rawShape: () => f("internal", "Internal Server Error"),
  contentsWithRaw: () => f("internal", "Internal Server Error"),
  noData: () => f("internal", "Internal Server Error"),
  computeFailed: () => f("internal", "Internal Server Error"),
};

const ovmsShape = (shape: readonly number[]) => `(${shape.join(",")})`;

/** OVMS's `"<base> - <details>"` texts (kserve-v2.md §3.3, src/status.cpp). */
const ovmsMessages: ProfileMessages = {
  unknownModel: () => f("not-found", "Model with requested name is not found"),
  unknownVersion: () => f("not-found", "Model with requested version is not found"),
  // status.cpp MODEL_VERSION_NOT_LOADED_YET: REST 503 (SERVICE_UNAV), gRPC UNAVAILABLE (grpc_utils.cpp).
  notLoaded: () => f("unavailable", "Model with requested version is not loaded yet"),
  malformedJson: (detail) => f("precondition", `The file is not valid json - ${detail}`),
  notAnObject: () => f("invalid", "Request body should be JSON object"),
  // rest_parser.cpp KFSRestParser::parse: a missing `inputs` is REST_NO_INPUTS_FOUND; a
  // malformed `id`, input or `inputs` REST_COULD_NOT_PARSE_INPUT; a malformed output
  // REST_COULD_NOT_PARSE_OUTPUT (texts: status.cpp).
  badMember: (path, body) =>
    path.length === 1 &&
    path[0] === "inputs" &&
    (body as Record<string, unknown> | null)?.inputs === undefined
      ? f("invalid", "Invalid JSON structure, missing inputs")
      : path[0] === "outputs"
        ? f("invalid", "Could not parse output content.")
        : f("invalid", "Could not parse input content. Not valid ndarray detected"),
  invalidDatatype: () =>
    f("invalid", "Could not parse input content. Unsupported data precision detected"),
  elementCount: (input, expected, got) =>
    f(
      "invalid",
      `Invalid number of values in tensor proto container - Expected: ${expected} values; Actual: ${got} values; input name: ${input}`,
    ),
  badElement: () => f("invalid", "Could not parse input content. Not valid ndarray detected"),
  halfInJson: () => f("invalid", "Could not parse input content. Not valid ndarray detected"),
  halfOutJson: () => f("invalid", "Could not parse input content. Not valid ndarray detected"),
  missingInputs: (_m, expected, got, missing) =>
    got.length !== expected
      ? f("invalid", `Invalid number of inputs - Expected: ${expected}; Actual: ${got.length}`)
      : f("invalid", `Missing input with specific name - Required input: ${missing[0] ?? ""}`),
  // model_server src/kfs_frontend getRequestInput: each MODEL input is looked up in the
  // request, so the text names the model's input the request lacks, not the unknown one.
  unexpectedInput: (_m, input, expected, got, absent) =>
    got !== expected
      ? f("invalid", `Invalid number of inputs - Expected: ${expected}; Actual: ${got}`)
      : f("invalid", `Missing input with specific name - Required input: ${absent ?? input}`),
  wrongDatatype: (_m, input, expected, got) =>
    f(
      "invalid",
      `Invalid input precision - Expected: ${expected}; Actual: ${got}; input name: ${input}`,
    ),
  wrongShape: (_model, input, expected, got) =>
    expected.length !== got.length
      ? f(
          "invalid",
          `Invalid number of shape dimensions - Expected: ${ovmsShape(expected)}; Actual: ${ovmsShape(got)}; input name: ${input}`,
        )
      : f(
          "invalid",
          `Invalid input shape - Expected: ${ovmsShape(expected)}; Actual: ${ovmsShape(got)}; input name: ${input}`,
        ),
  // status.cpp INVALID_BATCH_SIZE; predict_request_validation_utils.cpp checkBatchSizeMismatch.
  batchTooLarge: (_m, max, got, input) =>
    f(
      "invalid",
      `Invalid input batch size - Expected: ${max}; Actual: ${got}; input name: ${input}`,
    ),
  // status.cpp INVALID_MISSING_OUTPUT; predict_request_validation_utils.cpp ("Optional output: ").
  unknownOutput: (_m, output) =>
    f("invalid", `Missing output with specific name - Optional output: ${output}`),
  binaryWithoutHeader: () =>
    f("invalid", "Inference-Header-Content-Length header exceeds actual payload length"),
  headerTooLong: () =>
    f("invalid", "Inference-Header-Content-Length header exceeds actual payload length"),
  byteSizeMismatch: (_m, input, expected, got) =>
    f(
      "invalid",
      `Invalid content size of tensor proto - Expected: ${expected} bytes; Actual: ${got} bytes; input name: ${input}`,
    ),
  shortBinary: () =>
    f("invalid", "Received buffer size is smaller than binary_data_size parameter indicates"),
  extraBinary: () =>
    f("invalid", "Received buffer size is smaller than binary_data_size parameter indicates"),
  dataConflict: (_input, both) =>
    both
      ? f("invalid", "Request contains values both in binary data and in content value")
      : f("invalid", "Could not parse input content. Not valid ndarray detected"),
  reservedParameter: () => f("invalid", "Invalid parameter"),
  rawInputCount: () => f("invalid", "Invalid number of inputs"),
  rawShape: () => f("invalid", "Invalid input shape"),
  contentsWithRaw: () =>
    f("invalid", "Request contains values both in binary data and in content value"),
  noData: (_m, input) =>
    f(
      "invalid",
      `Invalid number of values in tensor proto container - Expected: 1 values; Actual: 0 values; input name: ${input}`,
    ),
  computeFailed: (_m, reason) => f("internal", `Internal server error - ${reason}`),
};

const triton: KserveProfile = {
  runtime: "triton",
  serverName: "triton",
  // Triton 25.01 (NGC) reports server version 2.54.0; any 2.x.y is faithful to the shape.
  serverVersion: "2.54.0",
  // kserve-v2.md §3.1: the 13-item list in Triton's order (NGC builds have the last three).
  extensions: [
    "classification",
    "sequence",
    "model_repository",
    "model_repository(unload_dependents)",
    "schedule_policy",
    "model_configuration",
    "system_shared_memory",
    "cuda_shared_memory",
    "binary_tensor_data",
    "parameters",
    "statistics",
    "trace",
    "logging",
  ],
  datatypes,
  // The vLLM backend's sample model last (triton-vllm-model.ts): Triton's LLM users' model.
  models: [
    tritonSimple,
    tritonSimpleString,
    ...identityModels(datatypes, "identity", "1"),
    createVllmModel(),
  ],
  restStatus: tritonStatus,
  grpcCode: tritonCodes,
  messages: tritonMessages,
  binary: {
    supported: true,
    headerName: "Inference-Header-Content-Length",
    responseContentType: "application/octet-stream",
    onlyListedOutputs: false,
    rawRequest: true,
    sizeFromShape: false,
  },
  numericVersions: true,
  alwaysId: false,
  checksDatatypes: true,
  outputParameters: undefined,
  halfInJson: false,
  lenientJson: false,
  jsonContentTypeOnly: false,
  rawOutput: "always",
  responseKeys: ["id", "model_name", "model_version", "parameters", "outputs"],
  outputKeys: ["name", "datatype", "shape", "parameters", "data"],
  modelReadyHeaders: { "content-type": "text/plain" },
  readyIsBoolean: true,
  loadingReadyStatus: undefined,
  waitForLoadedMs: undefined,
  repeatedMemberFirst: true,
  reservedParameterPrefix: "triton_",
  explicitContentsChecked: true,
  tritonExtensions: true,
  modelControl: "triton",
  apiDocs: false,
  fastapi: false,
  metadataTrailingSlash: false,
  streamsInferResponses: false,
  mediapipeStreams: false,
  classification: true,
  readRepository: readTritonRepository,
  versionsInMetadata: "served",
  compression: { request: ["gzip", "deflate"], response: ["gzip", "deflate"], minBytes: 0 },
  inferAliases: [],
  streamRoutes: [],
  generateExtension: true,
  plainTextInternal: false,
};

const mlserver: KserveProfile = {
  runtime: "mlserver",
  serverName: "mlserver",
  serverVersion: "1.7.1",
  extensions: [],
  datatypes: mlserverDatatypes,
  models: [mlserverIris, ...identityModels(mlserverDatatypes, "", "1")],
  restStatus: {
    invalid: 400,
    "not-found": 404,
    internal: 500,
    unavailable: 400,
    unsupported: 400,
    // Never thrown: only Triton's shared-memory registry refuses a duplicate.
    "already-exists": 400,
    unprocessable: 422,
    precondition: 400,
  },
  // mlserver/grpc/utils.py: 400→INVALID_ARGUMENT, 404→NOT_FOUND, 422→FAILED_PRECONDITION, 500→INTERNAL.
  grpcCode: {
    invalid: Code.InvalidArgument,
    "not-found": Code.NotFound,
    internal: Code.Internal,
    unavailable: Code.InvalidArgument,
    unsupported: Code.InvalidArgument,
    "already-exists": Code.AlreadyExists,
    unprocessable: Code.FailedPrecondition,
    precondition: Code.InvalidArgument,
  },
  messages: mlserverMessages,
  binary: {
    supported: false,
    headerName: "inference-header-content-length",
    responseContentType: "application/json",
    onlyListedOutputs: false,
    rawRequest: false,
    sizeFromShape: false,
  },
  numericVersions: false,
  alwaysId: true,
  checksDatatypes: false,
  // MLServer's NumpyCodec/StringCodec mark the outputs they encode (codecs/numpy.py, string.py).
  outputParameters: (datatype) => ({ content_type: datatype === "BYTES" ? "str" : "np" }),
  halfInJson: true,
  lenientJson: true,
  jsonContentTypeOnly: true,
  rawOutput: "if-raw-in",
  // MLServer's InferenceResponse / ResponseOutput field order (types/dataplane.py).
  responseKeys: ["model_name", "model_version", "id", "parameters", "outputs"],
  outputKeys: ["name", "shape", "datatype", "parameters", "data"],
  modelReadyHeaders: {},
  readyIsBoolean: false,
  loadingReadyStatus: 400,
  waitForLoadedMs: undefined,
  repeatedMemberFirst: false,
  reservedParameterPrefix: undefined,
  explicitContentsChecked: false,
  tritonExtensions: false,
  modelControl: "mlserver",
  apiDocs: true,
  fastapi: true,
  metadataTrailingSlash: false,
  streamsInferResponses: true,
  mediapipeStreams: false,
  classification: false,
  // cli/serve.py load_settings reads the start-up models through repository.py `list`, which
  // logs an unreadable model-settings.json and skips it, as every later re-read does.
  readRepository: (dir) => readMlserverRepository(dir, true),
  versionsInMetadata: "listed",
  // Starlette GZipMiddleware: gzip only, bodies of at least 500 bytes (its minimum_size default).
  compression: { request: ["gzip"], response: ["gzip"], minBytes: 500 },
  inferAliases: ["generate"],
  streamRoutes: ["infer_stream", "generate_stream"],
  generateExtension: false,
  plainTextInternal: true,
};

const ovmsDatatypes = datatypes.filter((d) => d !== "BF16");

const ovms: KserveProfile = {
  runtime: "ovms",
  serverName: "OpenVINO Model Server",
  serverVersion: "2025.2.0.c0bc3b94",
  extensions: undefined,
  datatypes: ovmsDatatypes,
  models: [ovmsResnet, ...identityModels(ovmsDatatypes, "OpenVINO", "1")],
  restStatus: {
    invalid: 400,
    "not-found": 404,
    internal: 500,
    unavailable: 503,
    unsupported: 501,
    // Never thrown: only Triton's shared-memory registry refuses a duplicate.
    "already-exists": 400,
    unprocessable: 400,
    precondition: 412,
  },
  // kserve-v2.md §4.4 (src/grpc_utils.cpp).
  grpcCode: {
    invalid: Code.InvalidArgument,
    "not-found": Code.NotFound,
    internal: Code.Internal,
    unavailable: Code.Unavailable,
    unsupported: Code.Unimplemented,
    "already-exists": Code.AlreadyExists,
    unprocessable: Code.InvalidArgument,
    precondition: Code.FailedPrecondition,
  },
  messages: ovmsMessages,
  binary: {
    supported: true,
    headerName: "inference-header-content-length",
    responseContentType: "application/json",
    onlyListedOutputs: true,
    rawRequest: false,
    sizeFromShape: true,
  },
  numericVersions: true,
  alwaysId: false,
  checksDatatypes: true,
  outputParameters: undefined,
  halfInJson: false,
  lenientJson: false,
  jsonContentTypeOnly: false,
  rawOutput: "always",
  responseKeys: ["model_name", "id", "model_version", "parameters", "outputs"],
  outputKeys: ["name", "shape", "datatype", "parameters", "data"],
  modelReadyHeaders: { "content-type": "application/json" },
  readyIsBoolean: false,
  loadingReadyStatus: undefined,
  waitForLoadedMs: 10_000,
  repeatedMemberFirst: true,
  reservedParameterPrefix: undefined,
  explicitContentsChecked: false,
  tritonExtensions: false,
  modelControl: undefined,
  apiDocs: false,
  fastapi: false,
  metadataTrailingSlash: true,
  streamsInferResponses: false,
  mediapipeStreams: true,
  classification: false,
  readRepository: readOvmsRepository,
  versionsInMetadata: "served",
  // kserve-v2.md §3.3 names no compression for OVMS.
  compression: { request: [], response: [], minBytes: 0 },
  inferAliases: [],
  streamRoutes: [],
  generateExtension: false,
  plainTextInternal: false,
};

/** The profiles by runtime. */
export const profiles: Readonly<Record<KserveRuntime, KserveProfile>> = { triton, mlserver, ovms };

/** Triton before 24.01 (server PR #6713): every error is a 400 (kserve-v2.md §3.1). */
export function withLegacyStatus(profile: KserveProfile): KserveProfile {
  const all400 = Object.fromEntries(Object.keys(profile.restStatus).map((k) => [k, 400])) as Record<
    FaultKind,
    number
  >;
  return { ...profile, restStatus: all400 };
}
