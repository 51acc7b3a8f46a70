/**
 * The KServe v2 / Open Inference Protocol client: one API over REST (JSON or the binary tensor
 * extension) and gRPC (`raw_input_contents` or typed `contents`), on `@servingkit/client-core`'s
 * retries, auth, TLS and errors. Tensors go in and come out as typed arrays (kserve-v2.md §1, §2,
 * §4).
 */
import {
  type ClientOptions,
  Code,
  createGrpcClient,
  createGrpcTransport,
  createHttpClient,
  type GrpcClientOptions,
  type HttpClient,
  ServingkitError,
} from "@servingkit/client-core";
import { GRPCInferenceService, type ModelInferResponse } from "@servingkit/proto/inference";
import {
  binaryBodyParts,
  binaryTailPadding,
  inferenceHeaderLength,
  joinPieces,
  splitBinaryBody,
} from "./binary-body.js";
import {
  allocate,
  type Datatype,
  decodeRaw,
  encodeRaw,
  flattenData,
  fromJsonElements,
  isDatatype,
  type TensorValues,
  toJsonElements,
} from "./datatypes.js";
import {
  type GenerateBody,
  type GenerateResponse,
  generateOverGrpc,
  postGenerate,
  postGenerateStream,
} from "./generate-client.js";
import { encodeGrpcInferRequest } from "./grpc-infer-request.js";
import { fromContents, fromInferParameter } from "./grpc-tensors.js";
import {
  runStreamInfer,
  type StreamInferOptions,
  type StreamInferResult,
  streamInferOverRest,
} from "./stream-infer-client.js";

/** A parameter value (kserve-v2.md §1.6). */
export type Parameter = string | number | boolean;

/** One input tensor. */
export interface InferInput {
  /** Input name, as the model metadata lists it. */
  readonly name: string;
  /** Protocol datatype (`FP32`, `INT64`, `BYTES`, ...). */
  readonly datatype: Datatype;
  /** Full shape, batch dimension included. */
  readonly shape: readonly number[];
  /**
   * Values, flat row-major: a typed array of the datatype (BigInt64Array for INT64, Float32Array
   * for FP16/BF16, Uint8Array 0/1 for BOOL, Uint8Array[] for BYTES) or plain values (numbers,
   * bigints, booleans, strings) that are converted.
   */
  readonly data: TensorValues | readonly (number | bigint | boolean | string | Uint8Array)[];
  /**
   * REST: send this input as binary (the extension; Triton and OVMS only). Default: binary for
   * FP16/BF16 (Triton refuses them in JSON), else the client's `binaryData`.
   */
  readonly binary?: boolean;
  /** Extra input parameters. */
  readonly parameters?: Readonly<Record<string, Parameter>>;
}

/** A requested output. */
export interface RequestedOutput {
  /** Output name. */
  readonly name: string;
  /** REST: ask for this output in binary (`binary_data`). */
  readonly binary?: boolean;
  /** Extra output parameters (e.g. Triton's `classification`). */
  readonly parameters?: Readonly<Record<string, Parameter>>;
}

/** An inference request. */
export interface InferRequest {
  /** Inputs. */
  readonly inputs: readonly InferInput[];
  /** Outputs to return; default all. */
  readonly outputs?: readonly RequestedOutput[];
  /** Request id, echoed by the server. */
  readonly id?: string;
  /** Request parameters. */
  readonly parameters?: Readonly<Record<string, Parameter>>;
  /** REST: every output in binary unless an output says otherwise (`binary_data_output`). */
  readonly binaryOutputs?: boolean;
}

/** One output tensor, values decoded to a typed array. */
export interface InferOutput {
  /** Output name. */
  readonly name: string;
  /** Protocol datatype. */
  readonly datatype: Datatype;
  /** Shape. */
  readonly shape: readonly number[];
  /** Values, typed as for {@link InferInput.data}. */
  readonly data: TensorValues;
  /** Output parameters the server sent (without `binary_data_size`). */
  readonly parameters: Readonly<Record<string, Parameter | bigint>>;
}

/** An inference response. */
export interface InferResponse {
  /** `model_name`. */
  readonly modelName: string;
  /** `model_version`, when the server sent one. */
  readonly modelVersion: string | undefined;
  /** `id`, when the server sent one (MLServer always does). */
  readonly id: string | undefined;
  /** Outputs. */
  readonly outputs: readonly InferOutput[];
}

/** One tensor in model metadata. */
export interface TensorMetadata {
  /** Name. */
  readonly name: string;
  /** Datatype. */
  readonly datatype: string;
  /** Shape, `-1` for variable dimensions. */
  readonly shape: readonly number[];
}

/** `GET /v2` / `ServerMetadata`. */
export interface ServerMetadata {
  /** Server name (`triton`, `mlserver`, `OpenVINO Model Server`). */
  readonly name: string;
  /** Server version. */
  readonly version: string;
  /** Extensions (empty when the server sends none, as OVMS). */
  readonly extensions: readonly string[];
}

/** Model metadata. */
export interface ModelMetadata {
  /** Name. */
  readonly name: string;
  /** Versions (empty when the server sends none). */
  readonly versions: readonly string[];
  /** Platform or backend name. */
  readonly platform: string;
  /** Inputs. */
  readonly inputs: readonly TensorMetadata[];
  /** Outputs. */
  readonly outputs: readonly TensorMetadata[];
}

/** Per-call options. */
export interface KserveCallOptions {
  /** Model version; default the server's choice. */
  readonly version?: string;
  /** Aborts the call. */
  readonly signal?: AbortSignal;
}

/** REST options: client-core's `ClientOptions` plus the binary default. */
export interface KserveRestOptions extends ClientOptions {
  /** The transport. */
  readonly transport?: "rest";
  /**
   * Send inputs with the binary tensor extension by default (tritonclient's default; Triton and
   * OVMS only, MLServer refuses it). Default false: JSON, which every server reads.
   */
  readonly binaryData?: boolean;
}

/** gRPC options: client-core's `GrpcClientOptions` plus the input encoding. */
export interface KserveGrpcOptions extends GrpcClientOptions {
  /** The transport. */
  readonly transport: "grpc";
  /**
   * Send inputs as `raw_input_contents` (default, as tritonclient does) or as typed `contents`
   * (FP16/BF16 always go raw: they have no typed field).
   */
  readonly inputEncoding?: "raw" | "contents";
}

/** Options of {@link createKserveClient}: REST by default, gRPC with `transport: "grpc"`. */
export type KserveClientOptions = KserveRestOptions | KserveGrpcOptions;

/** The client: the same calls over either transport. */
export interface KserveClient {
  /** Which transport it speaks. */
  readonly transport: "rest" | "grpc";
  /** Server liveness: REST 200 (empty body) = true, any other status false; gRPC `live`. */
  serverLive(options?: KserveCallOptions): Promise<boolean>;
  /** Server readiness, likewise. */
  serverReady(options?: KserveCallOptions): Promise<boolean>;
  /** Model readiness: REST 200 = true; a 4xx (unknown model included) is false. gRPC: `ready`; NOT_FOUND (MLServer, OVMS) = false. */
  modelReady(model: string, options?: KserveCallOptions): Promise<boolean>;
  /** Server metadata. */
  serverMetadata(options?: KserveCallOptions): Promise<ServerMetadata>;
  /** Model metadata (per version with `version`). */
  modelMetadata(model: string, options?: KserveCallOptions): Promise<ModelMetadata>;
  /** Inference; throws `ServingkitError` with the server's message on refusal. */
  infer(model: string, request: InferRequest, options?: KserveCallOptions): Promise<InferResponse>;
  /**
   * Triton's generate extension, `POST /v2/models/{m}[/versions/{v}]/generate`: a flat JSON body
   * in (inputs and parameters by name), the flat answer out (`text_output` for the vLLM
   * backend). Triton's `{"error": ...}` throws `ServingkitError` with its message. REST only: a
   * gRPC client rejects with `Code.Unimplemented`.
   */
  generate(
    model: string,
    body: GenerateBody,
    options?: KserveCallOptions,
  ): Promise<GenerateResponse>;
  /**
   * `generate_stream`: one answer object per model response, as Server-Sent Events arrive; an
   * error event throws `ServingkitError`; `break` or `signal` cancels the request. Single use.
   * REST only: a gRPC client throws `Code.Unimplemented` at once.
   */
  generateStream(
    model: string,
    body: GenerateBody,
    options?: KserveCallOptions,
  ): AsyncIterable<GenerateResponse>;
  /**
   * Triton's gRPC ModelStreamInfer: `requests` (encoded as `infer` encodes them) go out as they
   * are read, responses come back as they arrive, each with its request's `id`, an `error` or
   * the decoded `response`, and `final` (`triton_final_response`). `break` or `signal` cancels
   * the call. gRPC only: a REST client throws `Code.Unimplemented` at once.
   */
  streamInfer(
    model: string,
    requests: AsyncIterable<InferRequest> | Iterable<InferRequest>,
    options?: StreamInferOptions,
  ): AsyncIterable<StreamInferResult>;
  /** Releases connections. */
  close(): Promise<void>;
}

/** Creates a client for one endpoint. */
export function createKserveClient(options: KserveClientOptions): KserveClient {
  return options.transport === "grpc" ? grpcClient(options) : restClient(options);
}

const modelPath = (model: string, version: string | undefined) =>
  `/v2/models/${encodeURIComponent(model)}${version ? `/versions/${encodeURIComponent(version)}` : ""}`;

/** Plain or typed input data to the typed values of its datatype. */
export function toTensorValues(datatype: Datatype, data: InferInput["data"]): TensorValues {
  if (!Array.isArray(data)) return data as TensorValues;
  if (datatype === "BYTES") {
    return (data as readonly unknown[]).map((v) =>
      v instanceof Uint8Array ? v : new TextEncoder().encode(String(v)),
    );
  }
  const plain = (data as readonly unknown[]).map((v) => (typeof v === "bigint" ? Number(v) : v));
  if (datatype === "INT64" || datatype === "UINT64") {
    const out = allocate(datatype, data.length) as BigInt64Array | BigUint64Array;
    (data as readonly unknown[]).forEach((v, i) => {
      out[i] = BigInt(v as number | bigint);
    });
    return out;
  }
  const values = fromJsonElements(datatype, plain, true);
  if (typeof values === "string") {
    throw new ServingkitError(
      `input data does not fit ${datatype} (${values})`,
      Code.InvalidArgument,
    );
  }
  return values;
}

function plainParameters(
  p: Readonly<Record<string, Parameter>> | undefined,
): Record<string, Parameter> {
  return { ...(p ?? {}) };
}

function restClient(options: KserveRestOptions): KserveClient {
  const http: HttpClient = createHttpClient(options);
  const status = async (path: string, call?: KserveCallOptions) => {
    const response = await http.fetch(path, { signal: call?.signal });
    await response.arrayBuffer();
    return response.status === 200;
  };
  return {
    transport: "rest",
    serverLive: (call) => status("/v2/health/live", call),
    serverReady: (call) => status("/v2/health/ready", call),
    modelReady: (model, call) => status(`${modelPath(model, call?.version)}/ready`, call),
    async serverMetadata(call) {
      const body = await http.json<Record<string, unknown>>("/v2", { signal: call?.signal });
      return {
        name: String(body.name ?? ""),
        version: String(body.version ?? ""),
        extensions: Array.isArray(body.extensions) ? (body.extensions as string[]) : [],
      };
    },
    async modelMetadata(model, call) {
      const body = await http.json<Record<string, unknown>>(modelPath(model, call?.version), {
        signal: call?.signal,
      });
      return {
        name: String(body.name ?? ""),
        versions: Array.isArray(body.versions) ? (body.versions as string[]) : [],
        platform: String(body.platform ?? ""),
        inputs: (body.inputs as TensorMetadata[] | undefined) ?? [],
        outputs: (body.outputs as TensorMetadata[] | undefined) ?? [],
      };
    },
    async infer(model, request, call) {
      const parts: Uint8Array[] = [];
      const inputs = request.inputs.map((input) => {
        const values = toTensorValues(input.datatype, input.data);
        const half = input.datatype === "FP16" || input.datatype === "BF16";
        const binary = input.binary ?? (half || options.binaryData === true);
        const json: Record<string, unknown> = {
          name: input.name,
          shape: input.shape,
          datatype: input.datatype,
        };
        const parameters: Record<string, Parameter> = plainParameters(input.parameters);
        if (binary) {
          const raw = encodeRaw(input.datatype, values);
          parts.push(raw);
          parameters.binary_data_size = raw.byteLength;
        } else {
          json.data = toJsonElements(input.datatype, values);
        }
        if (Object.keys(parameters).length > 0) json.parameters = parameters;
        return json;
      });
      const header: Record<string, unknown> = { inputs };
      if (request.id !== undefined) header.id = request.id;
      const parameters = plainParameters(request.parameters);
      if (request.binaryOutputs !== undefined)
        parameters.binary_data_output = request.binaryOutputs;
      if (Object.keys(parameters).length > 0) header.parameters = parameters;
      if (request.outputs) {
        header.outputs = request.outputs.map((o) => {
          const p = plainParameters(o.parameters);
          if (o.binary !== undefined) p.binary_data = o.binary;
          return Object.keys(p).length > 0 ? { name: o.name, parameters: p } : { name: o.name };
        });
      }
      const path = `${modelPath(model, call?.version)}/infer`;
      let response: Response;
      if (parts.length === 0) {
        response = await http.request(path, {
          json: header,
          headers: uncompressedAnswer,
          signal: call?.signal,
        });
      } else {
        // One body: the JSON header and the tensors joined (one copy, replayable for retries).
        // A Blob of the parts cost far more: undici copies it in, then reads it out through a web
        // stream that copies each chunk again (about 160 ms of CPU per 16 MiB call, profiled).
        const { pieces, jsonLength, byteLength } = binaryBodyParts(header, parts);
        response = await http.request(path, {
          method: "POST",
          body: joinPieces(pieces, byteLength) as Uint8Array<ArrayBuffer>,
          headers: {
            "content-type": "application/octet-stream",
            [inferenceHeaderLength]: String(jsonLength),
            ...uncompressedAnswer,
          },
          signal: call?.signal,
        });
      }
      const bytes = await answerBytes(response);
      return decodeRestResponse(bytes, response.headers.get(inferenceHeaderLength));
    },
    generate: (model, body, call) =>
      postGenerate(http, `${modelPath(model, call?.version)}/generate`, body, call),
    generateStream: (model, body, call) =>
      postGenerateStream(http, `${modelPath(model, call?.version)}/generate_stream`, body, call),
    streamInfer: () => {
      throw streamInferOverRest();
    },
    close: () => http.close(),
  };
}

/**
 * The infer requests' `Accept-Encoding`: identity, as tritonclient sends by default (no
 * `response_compression_algorithm`). Triton compresses an answer when the request accepts gzip or
 * deflate (kserve-v2.md §2 "Compression"), and `fetch` accepts both unless told otherwise: a
 * 16 MiB binary answer was then gzipped by the server and inflated by the client on every call.
 */
const uncompressedAnswer = { "accept-encoding": "identity" } as const;

/**
 * An infer answer's bytes, read into one buffer of its `Content-Length` placed so that the binary
 * outputs after its JSON header start 8-byte aligned: `decodeRaw` then views every fixed-size
 * output in place, where `arrayBuffer()` left three header lengths in four to be copied again (a
 * 16 MiB FP32 output: about 19 ms of CPU a call, profiled), and the chunks are copied once, as
 * `arrayBuffer()` does. An answer with no length, or one the runtime compressed (fetch inflates
 * it, so the length is not the body's), is read by `arrayBuffer()`.
 */
async function answerBytes(response: Response): Promise<Uint8Array> {
  const length = Number(response.headers.get("content-length") ?? Number.NaN);
  if (
    !Number.isSafeInteger(length) ||
    length <= 0 ||
    response.body === null ||
    response.headers.has("content-encoding")
  ) {
    return new Uint8Array(await response.arrayBuffer());
  }
  const pad = binaryTailPadding({
    [inferenceHeaderLength]: response.headers.get(inferenceHeaderLength) ?? undefined,
  });
  const bytes = new Uint8Array(pad + length).subarray(pad);
  let received = 0;
  // A reader, not `for await`: older browsers' streams are not async-iterable.
  const reader = response.body.getReader();
  for (let next = await reader.read(); !next.done; next = await reader.read()) {
    const chunk = next.value;
    if (received + chunk.byteLength > length) {
      await reader.cancel();
      throw new ServingkitError("response body is longer than its Content-Length", Code.Internal);
    }
    bytes.set(chunk, received);
    received += chunk.byteLength;
  }
  if (received !== length) {
    throw new ServingkitError("response body is shorter than its Content-Length", Code.Internal);
  }
  return bytes;
}

/** Decodes a REST inference response body (JSON, or JSON plus binary outputs). */
export function decodeRestResponse(body: Uint8Array, headerLength: string | null): InferResponse {
  const split = splitBinaryBody(body, headerLength);
  if (!split) {
    throw new ServingkitError(
      `${inferenceHeaderLength} ${headerLength} exceeds the body`,
      Code.Internal,
    );
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(split.json) as Record<string, unknown>;
  } catch (error) {
    throw new ServingkitError(`response is not JSON: ${(error as Error).message}`, Code.Internal);
  }
  let offset = 0;
  const outputs = ((json.outputs as Record<string, unknown>[] | undefined) ?? []).map((o) => {
    const datatype = o.datatype;
    if (!isDatatype(datatype)) {
      throw new ServingkitError(
        `output ${String(o.name)} has datatype ${String(datatype)}`,
        Code.Internal,
      );
    }
    const { binary_data_size: size, ...parameters } =
      (o.parameters as Record<string, Parameter> | undefined) ?? {};
    let data: TensorValues | string;
    if (typeof size === "number") {
      data = decodeRaw(datatype, split.binary.subarray(offset, offset + size));
      offset += size;
    } else {
      const flat = flattenData(o.data ?? []).map((v) => (v === null ? Number.NaN : v));
      data = fromJsonElements(datatype, flat, true) as TensorValues | string;
    }
    if (typeof data === "string") {
      throw new ServingkitError(`output ${String(o.name)}: ${data}`, Code.Internal);
    }
    return {
      name: String(o.name),
      datatype,
      shape: (o.shape as number[] | undefined) ?? [],
      data,
      parameters,
    };
  });
  return {
    modelName: String(json.model_name ?? ""),
    modelVersion: typeof json.model_version === "string" ? json.model_version : undefined,
    id: typeof json.id === "string" ? json.id : undefined,
    outputs,
  };
}

function grpcClient(options: KserveGrpcOptions): KserveClient {
  const transport = createGrpcTransport(options);
  const client = createGrpcClient(GRPCInferenceService, transport);
  const raw = options.inputEncoding !== "contents";
  return {
    transport: "grpc",
    serverLive: async (call) => (await client.serverLive({}, { signal: call?.signal })).live,
    serverReady: async (call) => (await client.serverReady({}, { signal: call?.signal })).ready,
    async modelReady(model, call) {
      try {
        const answer = await client.modelReady(
          { name: model, version: call?.version ?? "" },
          { signal: call?.signal },
        );
        return answer.ready;
      } catch (error) {
        // MLServer and OVMS answer an unknown model with NOT_FOUND (Triton with ready=false; kserve-v2.md §4.4).
        if (ServingkitError.from(error).code === Code.NotFound) return false;
        throw error;
      }
    },
    async serverMetadata(call) {
      const answer = await client.serverMetadata({}, { signal: call?.signal });
      return { name: answer.name, version: answer.version, extensions: answer.extensions };
    },
    async modelMetadata(model, call) {
      const answer = await client.modelMetadata(
        { name: model, version: call?.version ?? "" },
        { signal: call?.signal },
      );
      const tensor = (t: { name: string; datatype: string; shape: bigint[] }) => ({
        name: t.name,
        datatype: t.datatype,
        shape: t.shape.map(Number),
      });
      return {
        name: answer.name,
        versions: answer.versions,
        platform: answer.platform,
        inputs: answer.inputs.map(tensor),
        outputs: answer.outputs.map(tensor),
      };
    },
    async infer(model, request, call) {
      const answer = await client.modelInfer(
        encodeGrpcInferRequest(model, call?.version, request, raw),
        { signal: call?.signal },
      );
      return decodeGrpcResponse(answer);
    },
    generate: () => Promise.reject(generateOverGrpc()),
    generateStream: () => {
      throw generateOverGrpc();
    },
    streamInfer: (model, requests, call) => runStreamInfer(client, raw, model, requests, call),
    close: async () => {},
  };
}

/** Decodes a `ModelInferResponse`: `raw_output_contents` where present, else typed `contents`. */
export function decodeGrpcResponse(answer: ModelInferResponse): InferResponse {
  const outputs = answer.outputs.map((o, index) => {
    const datatype = o.datatype;
    if (!isDatatype(datatype)) {
      throw new ServingkitError(`output ${o.name} has datatype ${datatype}`, Code.Internal);
    }
    const rawBytes = answer.rawOutputContents[index];
    const data =
      rawBytes !== undefined
        ? decodeRaw(datatype, rawBytes)
        : o.contents
          ? fromContents(datatype, o.contents, allocate)
          : allocate(datatype, 0);
    if (data === undefined || typeof data === "string") {
      throw new ServingkitError(`output ${o.name}: no usable data`, Code.Internal);
    }
    const parameters: Record<string, Parameter | bigint> = {};
    for (const [k, v] of Object.entries(o.parameters)) {
      const value = fromInferParameter(v);
      if (value !== undefined) parameters[k] = value;
    }
    return { name: o.name, datatype, shape: o.shape.map(Number), data, parameters };
  });
  return {
    modelName: answer.modelName,
    modelVersion: answer.modelVersion === "" ? undefined : answer.modelVersion,
    id: answer.id === "" ? undefined : answer.id,
    outputs,
  };
}
