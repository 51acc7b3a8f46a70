/**
 * The gRPC side of the KServe v2 mock: `inference.GRPCInferenceService`'s six core RPCs
 * (kserve-v2.md §4.1) over the same pure handlers as REST. Requests may carry typed `contents`
 * or `raw_input_contents`; responses use `raw_output_contents` where the runtime does (§4.3).
 */

import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, type ServiceImpl } from "@connectrpc/connect";
import type { PluginContext } from "@servingkit/mock-core/host";
import {
  DataType,
  GRPCInferenceService,
  type InferParameter,
  InferParameterSchema,
  InferTensorContentsSchema,
  type ModelInferRequest,
  type ModelInferResponse,
  type ModelInferResponse_InferOutputTensor,
  ModelInferResponseSchema,
  type ModelStreamInferResponse,
  type RepositoryModelLoadRequest,
  type RepositoryModelUnloadRequest,
} from "@servingkit/proto/inference";
import {
  allocate,
  type Datatype,
  decodeRaw,
  elementCount,
  elementSize,
  encodeRaw,
  isDatatype,
} from "../datatypes.js";
import {
  contentsLength,
  fromContents,
  fromInferParameter,
  toContents,
  toInferParameter,
} from "../grpc-tensors.js";
import { runConcurrently, type StreamAnswer } from "./concurrent-stream.js";
import { grpcDecoupledRefusal, type ModelCallback, recordedRun } from "./decoupled.js";
import { InferFault } from "./fault.js";
import {
  asFault,
  type DecodedRequest,
  type InferResult,
  type ParameterValue,
  recordedInfer,
} from "./infer.js";
import { modelMetadata, serverMetadata } from "./metadata.js";
import type { KserveMockState } from "./mock-state.js";
import { type ModelRepository, repositoryNameRefusal } from "./model-control.js";
import type { MockModel, Tensor } from "./models.js";
import type { KserveProfile } from "./profiles.js";
import { explicitContentsFault } from "./triton-explicit-contents.js";
import {
  configDataType,
  type Duration,
  type ResponseStats,
  responseStatsKeys,
  type StatsStore,
} from "./triton-extensions.js";
import {
  grpcSlice,
  isShared,
  type RegionSlice,
  type SharedMemoryRegistry,
  type SharedOutput,
  sharedOutputs,
  writeSharedOutputs,
} from "./triton-shared-memory.js";

/** The runtime's gRPC status for a refusal. */
export function faultError(profile: KserveProfile, fault: InferFault): ConnectError {
  return new ConnectError(fault.message, profile.grpcCode[fault.kind] ?? Code.Unknown);
}

function parametersOf(
  map: Record<string, Parameters<typeof fromInferParameter>[0]>,
): Record<string, ParameterValue> {
  const out: Record<string, ParameterValue> = {};
  for (const [key, parameter] of Object.entries(map)) {
    const value = fromInferParameter(parameter);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** Each parameter's protobuf case, for the shared-memory parameters' type checks. */
function parameterKinds(
  map: Record<string, Parameters<typeof fromInferParameter>[0]>,
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [key, parameter] of Object.entries(map)) out[key] = parameter.parameterChoice.case;
  return out;
}

/** The shared-memory slice a gRPC tensor names ({@link grpcSlice}); undefined without one. */
function grpcTensorSlice(tensor: {
  name: string;
  parameters: Record<string, Parameters<typeof fromInferParameter>[0]>;
}): RegionSlice | undefined {
  const p = tensor.parameters;
  // Most tensors carry none of the three: no maps built for them.
  if (
    p.shared_memory_region === undefined &&
    p.shared_memory_offset === undefined &&
    p.shared_memory_byte_size === undefined
  ) {
    return undefined;
  }
  return grpcSlice(tensor.name, parametersOf(p), parameterKinds(p));
}

/**
 * Decodes a `ModelInferRequest` into tensors, refusing as the runtime does. With a
 * shared-memory registry (Triton), inputs naming a region read their bytes from it
 * (infer_handler.cc `InferGRPCToInput`); `raw_input_contents` then pair with the other inputs in
 * order.
 */
export function decodeGrpcRequest(
  profile: KserveProfile,
  request: ModelInferRequest,
  sharedMemory?: SharedMemoryRegistry,
): DecodedRequest {
  const m = profile.messages;
  const model = request.modelName;
  const raw = request.rawInputContents;
  let rawIndex = 0;
  const inputs: Tensor[] = request.inputs.map((input, index) => {
    const datatype = input.datatype;
    if (!isDatatype(datatype) || !profile.datatypes.includes(datatype)) {
      throw m.invalidDatatype(input.name, datatype, index);
    }
    const shape = input.shape.map((d) => Number(d));
    const count = elementCount(shape);
    const slice = sharedMemory === undefined ? undefined : grpcTensorSlice(input);
    /** The input from its bytes (raw or shared memory), checked against its shape. */
    const fromBytes = (bytes: Uint8Array): Tensor => {
      if (datatype !== "BYTES" && bytes.byteLength !== count * elementSize(datatype)) {
        throw m.byteSizeMismatch(
          model,
          input.name,
          count * elementSize(datatype),
          bytes.byteLength,
          request.id || undefined,
        );
      }
      const values = decodeRaw(datatype, bytes);
      if (typeof values === "string") throw m.shortBinary(model, input.name, 4);
      return { name: input.name, datatype, shape, values };
    };
    if (slice !== undefined && sharedMemory !== undefined) {
      if (input.contents !== undefined) {
        throw new InferFault(
          "invalid",
          `unexpected 'content' provided when using shared memory for input tensor '${input.name}' for model '${model}'`,
        );
      }
      return fromBytes(sharedMemory.read(slice));
    }
    if (raw.length > 0) {
      if (contentsLength(datatype, input.contents) > 0) throw m.contentsWithRaw(model, input.name);
      const bytes = raw[rawIndex++];
      if (bytes === undefined) throw m.noData(model, input.name);
      return fromBytes(bytes);
    }
    if (input.contents !== undefined && profile.explicitContentsChecked) {
      const fault = explicitContentsFault(datatype, input.contents, input.name, model);
      if (fault !== undefined) throw fault;
    }
    const values = input.contents ? fromContents(datatype, input.contents, allocate) : undefined;
    if (values === undefined || (values.length === 0 && count !== 0))
      throw m.noData(model, input.name);
    if (values.length !== count) {
      throw m.byteSizeMismatch(
        model,
        input.name,
        count * elementSize(datatype),
        values.length * elementSize(datatype),
        request.id || undefined,
      );
    }
    return { name: input.name, datatype, shape, values };
  });
  if (raw.length > rawIndex) throw m.extraBinary(model);
  return {
    id: request.id === "" ? undefined : request.id,
    parameters: parametersOf(request.parameters),
    inputs,
    outputs:
      request.outputs.length > 0
        ? request.outputs.map((o) => ({ name: o.name, parameters: parametersOf(o.parameters) }))
        : undefined,
  };
}

/** An output's `parameters` map (Triton's none: a fresh empty map, as `create` gives). */
function outputParameters(
  profile: KserveProfile,
  datatype: Datatype,
): ModelInferResponse_InferOutputTensor["parameters"] {
  const map: ModelInferResponse_InferOutputTensor["parameters"] = {};
  const values = profile.outputParameters?.(datatype);
  if (values === undefined) return map;
  for (const key of Object.keys(values)) {
    map[key] = create(InferParameterSchema, toInferParameter(values[key] as ParameterValue));
  }
  return map;
}

/**
 * Encodes a result: raw outputs when the profile says so for this request, else typed contents.
 * Returns a finished message (every field set), so the hosts' `create` takes it as it is instead
 * of copying an init shape field by field.
 */
export function encodeGrpcResult(
  profile: KserveProfile,
  result: InferResult,
  rawIn: boolean,
  shared?: readonly SharedOutput[],
): ModelInferResponse {
  const raw = profile.rawOutput === "always" || rawIn;
  const outputs: ModelInferResponse_InferOutputTensor[] = [];
  const rawOutputContents: Uint8Array[] = [];
  for (const t of result.outputs) {
    if (shared !== undefined && isShared(shared, t.name)) {
      // infer_handler.cc ResponseAllocatorHelper: an output in shared memory keeps its place in
      // raw_output_contents, empty.
      outputs.push(sharedOutputTensor(profile, t));
      if (raw) rawOutputContents.push(new Uint8Array(0));
      continue;
    }
    const shape: bigint[] = [];
    for (const d of t.shape) shape.push(BigInt(d));
    const tensor: ModelInferResponse_InferOutputTensor = {
      $typeName: "inference.ModelInferResponse.InferOutputTensor",
      name: t.name,
      datatype: t.datatype,
      shape,
      parameters: outputParameters(profile, t.datatype),
    };
    if (raw) rawOutputContents.push(encodeRaw(t.datatype, t.values));
    else tensor.contents = create(InferTensorContentsSchema, toContents(t.datatype, t.values));
    outputs.push(tensor);
  }
  return {
    $typeName: "inference.ModelInferResponse",
    modelName: result.modelName,
    modelVersion: result.modelVersion ?? "",
    id: result.id ?? "",
    parameters: {},
    outputs,
    rawOutputContents,
  };
}

/** An output written to shared memory: its name, datatype and shape, no contents. */
function sharedOutputTensor(
  profile: KserveProfile,
  t: Tensor,
): ModelInferResponse_InferOutputTensor {
  const shape: bigint[] = [];
  for (const d of t.shape) shape.push(BigInt(d));
  return {
    $typeName: "inference.ModelInferResponse.InferOutputTensor",
    name: t.name,
    datatype: t.datatype,
    shape,
    parameters: outputParameters(profile, t.datatype),
  };
}

/**
 * ModelInfer over the mock's state: decode (reading shared-memory inputs), check the outputs
 * bound for shared memory before inference, infer, write them, encode.
 */
function inferOnce(state: KserveMockState, request: ModelInferRequest): ModelInferResponse {
  const { profile, repository, stats, sharedMemory } = state;
  const { model, version } = repository.find(request.modelName, request.modelVersion);
  // ModelInfer checks the transaction policy once it knows the model (grpc infer_handler.cc).
  if (model.decoupled === true) throw grpcDecoupledRefusal();
  const decoded = decodeGrpcRequest(profile, request, sharedMemory);
  const shared =
    sharedMemory === undefined
      ? undefined
      : sharedOutputs(sharedMemory, decoded.outputs, grpcOutputSlice(request), "grpc");
  const result = recordedInfer(profile, model, version, decoded, stats);
  if (shared !== undefined && sharedMemory !== undefined) {
    writeSharedOutputs(sharedMemory, shared, result.outputs);
  }
  return encodeGrpcResult(profile, result, request.rawInputContents.length > 0, shared);
}

/** The slice of a requested output, read from the request's own tensor (its parameter cases). */
const grpcOutputSlice =
  (request: ModelInferRequest) =>
  (output: { name: string }): RegionSlice | undefined => {
    const tensor = request.outputs.find((o) => o.name === output.name);
    return tensor === undefined ? undefined : grpcTensorSlice(tensor);
  };

/** The service's handlers, as `router.service` takes them (ModelMesh mode wraps them). */
export type InferenceHandlers = Partial<ServiceImpl<typeof GRPCInferenceService>>;

/**
 * The handlers of `inference.GRPCInferenceService` for one runtime: the six core RPCs, plus
 * Triton's extension RPCs where the profile has them. `ready` reads the server's readiness.
 */
export function grpcInferenceHandlers(
  state: KserveMockState,
  ready: () => boolean,
): InferenceHandlers {
  const { profile, repository } = state;
  const { waitForLoadedMs } = profile;
  const guard = <T>(work: () => T): T => {
    try {
      return work();
    } catch (error) {
      throw faultError(profile, asFault(profile, error));
    }
  };
  return {
    serverLive: () => ({ live: true }),
    serverReady: () => ({ ready: ready() }),
    modelReady: (request) =>
      guard(() => {
        if (profile.readyIsBoolean)
          return { ready: repository.isReady(request.name, request.version) };
        return { ready: repository.modelReady(request.name, request.version) };
      }),
    serverMetadata: () => {
      const meta = serverMetadata(profile);
      return {
        name: String(meta.name),
        version: String(meta.version),
        extensions: [...(profile.extensions ?? [])],
      };
    },
    modelMetadata: (request) =>
      guard(() => {
        const { model } = repository.find(request.name, request.version, "metadata");
        const meta = modelMetadata(
          profile,
          model,
          request.version === "" ? undefined : request.version,
        );
        const tensor = (t: (typeof meta.inputs)[number]) => ({
          name: t.name,
          datatype: t.datatype,
          shape: t.shape.map((d) => BigInt(d)),
        });
        return {
          name: meta.name,
          versions: [...(meta.versions ?? [])],
          platform: meta.platform,
          inputs: meta.inputs.map(tensor),
          outputs: meta.outputs.map(tensor),
        };
      }),
    modelInfer: (request) => {
      // OVMS waits for a version still loading before it infers or refuses (waitForLoaded).
      const wait =
        waitForLoadedMs === undefined
          ? undefined
          : repository.loadWait(request.modelName, request.modelVersion, waitForLoadedMs);
      if (wait !== undefined) return wait.then(() => guard(() => inferOnce(state, request)));
      return guard(() => inferOnce(state, request));
    },
    ...(profile.tritonExtensions ? tritonRpcs(state, guard) : {}),
    ...(profile.mediapipeStreams ? mediapipeStreamRpc() : {}),
    ...(profile.modelControl ? repositoryRpcs(profile, repository, guard) : {}),
  };
}

/**
 * OVMS's ModelStreamInfer (model_server `src/kfs_frontend/kfs_grpc_inference_service.cpp`
 * `ModelStreamInferImpl`), which serves MediaPipe graphs only: the first request's `model_name`
 * picks the graph (`MediapipeFactory::create`), and any other name, a plain model's included, is
 * MEDIAPIPE_DEFINITION_NAME_MISSING: the call ends NOT_FOUND `Model with requested name is not
 * found` (`src/status.cpp`, `src/grpc_utils.cpp`) with no response. The mock serves no graph, so
 * every stream ends so after its first request. A stream closed before any request is
 * MEDIAPIPE_UNINITIALIZED_STREAM_CLOSURE, which `grpc_utils.cpp` does not map: its default,
 * UNKNOWN `Unknown error`.
 */
function mediapipeStreamRpc() {
  return {
    // biome-ignore lint/correctness/useYield: OVMS refuses a stream for a name that is no MediaPipe graph before any response, and the mock has no graphs
    async *modelStreamInfer(requests: AsyncIterable<ModelInferRequest>) {
      for await (const _first of requests) {
        throw new ConnectError("Model with requested name is not found", Code.NotFound);
      }
      throw new ConnectError("Unknown error", Code.Unknown);
    },
  };
}

/**
 * `inference.GRPCInferenceService` as MLServer declares it (its dataplane.proto): the same
 * service and methods, but ModelStreamInfer streams ModelInferResponse messages, not Triton's
 * ModelStreamInferResponse. Derived from the generated descriptor, so no second .proto is needed.
 */
const mlserverInferenceService = (() => {
  const stream = {
    ...GRPCInferenceService.method.modelStreamInfer,
    output: ModelInferResponseSchema,
  };
  return {
    ...GRPCInferenceService,
    methods: GRPCInferenceService.methods.map((m) =>
      m.localName === "modelStreamInfer" ? stream : m,
    ),
    method: { ...GRPCInferenceService.method, modelStreamInfer: stream },
  } as unknown as typeof GRPCInferenceService;
})();

/**
 * MLServer's ModelStreamInfer (mlserver/grpc/servicers.py): the first request names the model
 * and whether outputs are raw; each request gets one ModelInferResponse. The handler has no
 * MLServer error decorator, so a refusal ends the stream as grpc aio's UNKNOWN
 * `Unexpected <class '...'>: <message>` (grpc `_cython/_cygrpc/aio/server.pyx.pxi`).
 */
function mlserverStream(profile: KserveProfile, repository: ModelRepository, stats: StatsStore) {
  const pythonClass = (fault: InferFault) =>
    fault.kind === "not-found" ? "mlserver.errors.ModelNotFound" : "mlserver.errors.MLServerError";
  return {
    async *modelStreamInfer(requests: AsyncIterable<ModelInferRequest>) {
      let first: ModelInferRequest | undefined;
      for await (const request of requests) {
        first ??= request;
        try {
          const { model, version } = repository.find(first.modelName, first.modelVersion);
          const decoded = decodeGrpcRequest(profile, request);
          const result = recordedInfer(profile, model, version, decoded, stats);
          yield encodeGrpcResult(profile, result, first.rawInputContents.length > 0);
        } catch (error) {
          const fault = asFault(profile, error);
          throw new ConnectError(
            `Unexpected <class '${pythonClass(fault)}'>: ${fault.message}`,
            Code.Unknown,
          );
        }
      }
    },
  };
}

/**
 * Registers the service on a connect router; `wrap` (ModelMesh mode) puts ModelMesh's model id
 * routing in front of the runtime's handlers.
 */
export function registerGrpcService(
  router: ConnectRouter,
  ctx: PluginContext,
  state: KserveMockState,
  wrap: (handlers: InferenceHandlers) => InferenceHandlers = (handlers) => handlers,
): void {
  const { profile, repository, stats } = state;
  const handlers = grpcInferenceHandlers(state, () => ctx.readiness.ready);
  if (profile.streamsInferResponses) {
    // MLServer's descriptor differs only in ModelStreamInfer's output; its handler yields
    // ModelInferResponse messages, which the generated (Triton-shaped) types cannot express.
    const stream = mlserverStream(profile, repository, stats) as unknown as InferenceHandlers;
    router.service(mlserverInferenceService, wrap({ ...handlers, ...stream }));
    return;
  }
  router.service(GRPCInferenceService, wrap(handlers));
}

/**
 * One ModelStreamInferResponse, finished (`$typeName` set): connect's server passes each yielded
 * message through `create`, which takes a finished message as it is instead of building a copy
 * field by field (one per stream message).
 */
type StreamMessage = ModelStreamInferResponse;

/** A stream message: `inferResponse`, with `errorMessage` ("" when the response succeeded). */
function streamMessage(inferResponse: ModelInferResponse, errorMessage = ""): StreamMessage {
  return { $typeName: "inference.ModelStreamInferResponse", errorMessage, inferResponse };
}

/** Whether a stream request names a decoupled model (an unknown one is refused by the usual path). */
function isDecoupled(repository: ModelRepository, request: ModelInferRequest): boolean {
  try {
    return repository.find(request.modelName, request.modelVersion).model.decoupled === true;
  } catch {
    return false;
  }
}

/**
 * A stream request Triton could not start (stream_infer_handler.cc `Process`: an unknown model,
 * a refused request): `error_message`, and an infer_response holding only the request's `id` "so
 * that client knows which request failed"; no `triton_final_response`.
 */
function failedRequest(
  profile: KserveProfile,
  request: ModelInferRequest,
  error: unknown,
): StreamMessage {
  return streamMessage(bareResponse(request.id, "", "", {}), asFault(profile, error).message);
}

/** An infer_response without outputs: only these fields set (Triton's empty and failed responses). */
function bareResponse(
  id: string,
  modelName: string,
  modelVersion: string,
  parameters: ModelInferResponse["parameters"],
): ModelInferResponse {
  return {
    $typeName: "inference.ModelInferResponse",
    modelName,
    modelVersion,
    id,
    parameters,
    outputs: [],
    rawOutputContents: [],
  };
}

/** The request parameter that asks for the flag-only final response (grpc_utils.h TRITON_RESERVED_REQUEST_PARAMS). */
const emptyFinalKey = "triton_enable_empty_final_response";

/**
 * The stream's `triton_enable_empty_final_response` (default false; stream_infer_handler.cc
 * `SetStateParameterFromTritonParameter`), refusing any kind but `bool_param`.
 */
function emptyFinalFlag(request: ModelInferRequest): boolean {
  const flag = request.parameters[emptyFinalKey];
  if (flag === undefined) return false;
  if (flag.parameterChoice.case !== "boolParam") {
    throw new InferFault(
      "invalid",
      `invalid value type for '${emptyFinalKey}' parameter, expected bool_param.`,
    );
  }
  return flag.parameterChoice.value;
}

/**
 * The request without `triton_enable_empty_final_response`, which the stream handler reads and
 * the request never carries (TRITON_RESERVED_REQUEST_PARAMS are skipped, not refused as other
 * `triton_` keys are); the request itself when it has none.
 */
function withoutEmptyFinal(request: ModelInferRequest): ModelInferRequest {
  if (request.parameters[emptyFinalKey] === undefined) return request;
  const parameters: ModelInferRequest["parameters"] = {};
  for (const key of Object.keys(request.parameters)) {
    if (key !== emptyFinalKey) parameters[key] = request.parameters[key] as InferParameter;
  }
  return { ...request, parameters };
}

/** The `triton_final_response` map with `value`; never mutated, so shared by every response. */
function finalParameterMap(value: boolean): ModelInferResponse["parameters"] {
  const flag = create(InferParameterSchema, { parameterChoice: { case: "boolParam", value } });
  return Object.freeze({ triton_final_response: Object.freeze(flag) });
}

const finalTrue = finalParameterMap(true);
const finalFalse = finalParameterMap(false);

/**
 * The `triton_final_response` response parameter: whether this is the request's last response.
 * One of two frozen maps (one per value), not a map per response: the parameters of an answer
 * are only encoded, never changed.
 */
function finalParameter(final: boolean): ModelInferResponse["parameters"] {
  return final ? finalTrue : finalFalse;
}

/**
 * ModelStreamInfer on a decoupled model (server src/grpc/stream_infer_handler.cc
 * `StreamInferResponseComplete`): one ModelStreamInferResponse per response the model sends,
 * each with the response parameter `triton_final_response` (true on the last). A response
 * carrying an error is `error_message` with an infer_response holding only the request's `id`,
 * `model_name`, `model_version` and that parameter. A final flag sent without a response becomes
 * such an empty response only when the request set `triton_enable_empty_final_response` (a
 * bool_param; any other kind is refused), which is a reserved parameter the model never sees.
 */
async function* decoupledStreamResponses(
  state: KserveMockState,
  request: ModelInferRequest,
  signal: AbortSignal,
): AsyncGenerator<StreamMessage> {
  const { profile, repository, sharedMemory } = state;
  const empty = (final: boolean) =>
    bareResponse(request.id, request.modelName, request.modelVersion, finalParameter(final));
  let callbacks: AsyncGenerator<ModelCallback>;
  let enableEmptyFinal = false;
  try {
    enableEmptyFinal = emptyFinalFlag(request);
    const { model, version } = repository.find(request.modelName, request.modelVersion);
    const decoded = decodeGrpcRequest(profile, request, sharedMemory);
    const parameters: Record<string, ParameterValue> = {};
    for (const key of Object.keys(decoded.parameters)) {
      if (key !== emptyFinalKey) parameters[key] = decoded.parameters[key] as ParameterValue;
    }
    const plain = { id: decoded.id, parameters, inputs: decoded.inputs, outputs: decoded.outputs };
    callbacks = recordedRun(state.stats, profile, model, version, plain, signal);
  } catch (error) {
    yield failedRequest(profile, request, error);
    return;
  }
  const rawIn = request.rawInputContents.length > 0;
  for await (const { response, final } of callbacks) {
    if (response === undefined) {
      if (enableEmptyFinal) yield streamMessage(empty(true));
    } else if (response instanceof InferFault) {
      yield streamMessage(empty(final), response.message);
    } else {
      const encoded = encodeGrpcResult(profile, response, rawIn);
      encoded.parameters = finalParameter(final);
      yield streamMessage(encoded);
    }
  }
}

/**
 * Triton's extension RPCs (kserve-v2.md §4.1, §4.2): ModelStreamInfer (the requests of one
 * stream run concurrently, as {@link runConcurrently} says; one ModelStreamInferResponse per
 * request with `triton_final_response` true, failures as `error_message` with the request's `id`
 * without ending the stream; decoupled models as {@link decoupledStreamResponses} says),
 * ModelConfig and ModelStatistics (server grpc_server.cc); the repository RPCs are
 * {@link repositoryRpcs}. The others stay UNIMPLEMENTED, as on a server without them.
 */
function tritonRpcs(state: KserveMockState, guard: <T>(work: () => T) => T) {
  const { profile, repository, stats, logging, trace } = state;
  const infer = (request: ModelInferRequest) => inferOnce(state, request);
  const select = (name: string, version: string) => {
    if (name === "") return stats.select(repository.served());
    const { model } = repository.find(name, version);
    return stats.select([model], version === "" ? undefined : version);
  };
  return {
    modelStreamInfer: (
      requests: AsyncIterable<ModelInferRequest>,
      context: { signal: AbortSignal },
    ) =>
      runConcurrently(
        requests,
        (request, signal): StreamAnswer<StreamMessage> => {
          if (isDecoupled(repository, request)) {
            return decoupledStreamResponses(state, request, signal);
          }
          try {
            emptyFinalFlag(request);
            const response = infer(withoutEmptyFinal(request));
            // One response, complete: StreamInferResponseComplete flags every response it writes.
            response.parameters = finalParameter(true);
            return [streamMessage(response)];
          } catch (error) {
            return [failedRequest(profile, request, error)];
          }
        },
        context.signal,
      ),
    // The trace extension's gRPC twin (extension_trace.md): the settings of /v2[/models/{m}]/trace/setting,
    // each value a list of strings (the level a list, the others one string).
    traceSetting: (request: { settings: Record<string, { value: string[] }>; modelName: string }) =>
      guard(() => {
        const model = request.modelName === "" ? undefined : request.modelName;
        if (model !== undefined && !repository.isReady(model, undefined)) {
          throw new InferFault("invalid", `Request for unknown model : ${model}`);
        }
        const changes = Object.fromEntries(
          Object.entries(request.settings).map(([k, v]) => [
            k,
            k === "trace_level" ? v.value : (v.value[0] ?? null),
          ]),
        );
        const settings =
          Object.keys(changes).length > 0 ? trace.update(changes, model) : trace.get(model);
        return {
          settings: Object.fromEntries(
            Object.entries(settings).map(([k, v]) => [
              k,
              { value: Array.isArray(v) ? [...v] : [v] },
            ]),
          ),
        };
      }),
    // The logging extension's gRPC twin (extension_logging.md): the same settings as /v2/logging.
    logSettings: (request: {
      settings: Record<string, { parameterChoice: { value?: unknown } }>;
    }) =>
      guard(() => {
        const changes = Object.fromEntries(
          Object.entries(request.settings).map(([k, v]) => [k, v.parameterChoice.value ?? null]),
        );
        const settings = logging.update(changes);
        const value = (v: string | number | boolean) =>
          typeof v === "boolean"
            ? { parameterChoice: { case: "boolParam" as const, value: v } }
            : typeof v === "number"
              ? { parameterChoice: { case: "uint32Param" as const, value: v } }
              : { parameterChoice: { case: "stringParam" as const, value: v } };
        return {
          settings: Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, value(v)])),
        };
      }),
    ...(state.sharedMemory ? sharedMemoryRpcs(state.sharedMemory, guard) : {}),
    modelConfig: (request: { name: string; version: string }) =>
      guard(() => {
        const { model } = repository.find(request.name, request.version);
        const tensor = (spec: MockModel["inputs"][number]) => ({
          name: spec.name,
          dataType: DataType[configDataType(spec.datatype) as keyof typeof DataType],
          dims: spec.dims.map((d) => BigInt(d)),
        });
        return {
          config: {
            name: model.name,
            platform: model.platform,
            maxBatchSize: model.maxBatchSize,
            input: model.inputs.map((spec) => ({
              ...tensor(spec),
              optional: spec.optional === true,
            })),
            output: model.outputs.map(tensor),
            modelTransactionPolicy: { decoupled: model.decoupled === true },
          },
        };
      }),
    modelStatistics: (request: { name: string; version: string }) =>
      guard(() => ({
        modelStats: select(request.name, request.version).map((s) => ({
          name: s.name,
          version: s.version,
          lastInference: BigInt(s.lastInference),
          inferenceCount: BigInt(s.inferenceCount),
          executionCount: BigInt(s.executionCount),
          inferenceStats: {
            success: { count: BigInt(s.success.count), ns: BigInt(s.success.ns) },
            fail: { count: BigInt(s.fail.count), ns: BigInt(s.fail.ns) },
            computeInfer: { count: BigInt(s.computeInfer.count), ns: BigInt(s.computeInfer.ns) },
          },
          responseStats: grpcResponseStats(s.responseStats),
        })),
      })),
  };
}

/** A duration as the proto's StatisticDuration (uint64 fields). */
const grpcDuration = (d: Duration) => ({ count: BigInt(d.count), ns: BigInt(d.ns) });

/**
 * ModelStatistics' `response_stats` map: InferResponseStatistics carries the same six durations
 * as REST, `cancel` included (triton-inference-server/common PR #113, "Add cancellation into
 * response statistics"; its field number is in proto/UPSTREAM.md).
 */
function grpcResponseStats(stats: ReadonlyMap<string, ResponseStats>) {
  const out: Record<string, ReturnType<typeof grpcResponseEntry>> = {};
  for (const key of responseStatsKeys(stats))
    out[key] = grpcResponseEntry(stats.get(key) as ResponseStats);
  return out;
}

function grpcResponseEntry(r: ResponseStats) {
  return {
    computeInfer: grpcDuration(r.computeInfer),
    computeOutput: grpcDuration(r.computeOutput),
    success: grpcDuration(r.success),
    fail: grpcDuration(r.fail),
    emptyResponse: grpcDuration(r.emptyResponse),
    cancel: grpcDuration(r.cancel),
  };
}

/**
 * Triton's shared-memory RPCs (extension_shared_memory.md GRPC; grpc_server.cc): the system
 * ones over the same registry as REST; CudaSharedMemoryRegister refuses as a Triton without GPU
 * support does, CUDA status lists none and CUDA unregister succeeds.
 */
function sharedMemoryRpcs(registry: SharedMemoryRegistry, guard: <T>(work: () => T) => T) {
  return {
    systemSharedMemoryStatus: (request: { name: string }) =>
      guard(() => ({
        regions: Object.fromEntries(
          registry.status("system", request.name).map((r) => [
            r.name,
            {
              name: r.name,
              key: r.key,
              offset: BigInt(r.offset),
              byteSize: BigInt(r.byte_size),
            },
          ]),
        ),
      })),
    systemSharedMemoryRegister: (request: {
      name: string;
      key: string;
      offset: bigint;
      byteSize: bigint;
    }) =>
      guard(() => {
        registry.registerSystem(
          request.name,
          request.key,
          Number(request.offset),
          Number(request.byteSize),
        );
        return {};
      }),
    systemSharedMemoryUnregister: (request: { name: string }) =>
      guard(() => {
        registry.unregister("system", request.name);
        return {};
      }),
    cudaSharedMemoryStatus: (request: { name: string }) =>
      guard(() => {
        registry.status("cuda", request.name);
        return { regions: {} };
      }),
    cudaSharedMemoryRegister: (request: { name: string }) =>
      guard(() => registry.registerCuda(request.name)),
    cudaSharedMemoryUnregister: () => ({}),
  };
}

/**
 * The gRPC twins of the model repository API: RepositoryIndex, RepositoryModelLoad and
 * RepositoryModelUnload. Triton (server grpc_server.cc) refuses a `repository_name` as
 * UNSUPPORTED and reads the `config` load parameter; MLServer (mlserver/grpc/servicers.py) takes
 * the model name alone.
 */
function repositoryRpcs(
  profile: KserveProfile,
  repository: ModelRepository,
  guard: <T>(work: () => T) => T,
) {
  const triton = profile.modelControl === "triton";
  const checkName = (repositoryName: string) => {
    if (triton && repositoryName !== "") {
      throw new InferFault("unsupported", repositoryNameRefusal);
    }
  };
  return {
    repositoryIndex: (request: { repositoryName: string; ready: boolean }) =>
      guard(() => {
        checkName(request.repositoryName);
        return { models: repository.index(request.ready) };
      }),
    // The answer comes once the model has loaded (core LoadUnloadModel waits for the load).
    repositoryModelLoad: async (request: RepositoryModelLoadRequest) => {
      guard(() => {
        checkName(request.repositoryName);
        const parameters: Record<string, string | Uint8Array> = {};
        for (const [key, { parameterChoice: choice }] of Object.entries(request.parameters)) {
          if (key === "config" && choice.case !== "stringParam") {
            throw new InferFault(
              "invalid",
              "invalid value type for load parameter 'config', expected string_param.",
            );
          }
          if (choice.case === "stringParam" || choice.case === "bytesParam") {
            parameters[key] = choice.value;
          } else {
            parameters[key] = String(choice.value);
          }
        }
        repository.load(request.modelName, triton ? parameters : {});
      });
      await repository.settled(request.modelName);
      return {};
    },
    repositoryModelUnload: (request: RepositoryModelUnloadRequest) =>
      guard(() => {
        checkName(request.repositoryName);
        repository.unload(request.modelName);
        return {};
      }),
  };
}
