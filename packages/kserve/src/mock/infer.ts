/**
 * The protocol-neutral inference handler: a decoded request (REST JSON, binary extension or gRPC
 * already turned into tensors), a model and a profile in; the outputs, or the runtime's refusal
 * (an {@link InferFault}) out. Validation follows Triton's core order (kserve-v2.md §3.1): input
 * count, unknown inputs, datatype, shape and batch size, requested outputs.
 */
import { randomUUID } from "node:crypto";
import { elementCount } from "../datatypes.js";
import { classify } from "./classification.js";
import { InferFault } from "./fault.js";
import { type MockModel, metadataShape, type Tensor, type TensorSpec } from "./models.js";
import type { KserveProfile } from "./profiles.js";
import type { StatsStore } from "./triton-extensions.js";

/** A parameter value as the protocol allows (kserve-v2.md §1.6). */
export type ParameterValue = string | number | boolean | bigint;

/** A requested output (`outputs[]` of the request). */
export interface RequestedOutput {
  /** Output name. */
  readonly name: string;
  /** Its parameters (`binary_data`, `classification`, ...). */
  readonly parameters: Readonly<Record<string, ParameterValue>>;
}

/** A request with every input decoded to values. */
export interface DecodedRequest {
  /** The request `id`, if sent. */
  readonly id: string | undefined;
  /** Request-level parameters. */
  readonly parameters: Readonly<Record<string, ParameterValue>>;
  /** Inputs with values. */
  readonly inputs: readonly Tensor[];
  /** Requested outputs; undefined = all. */
  readonly outputs: readonly RequestedOutput[] | undefined;
}

/** What inference produced. */
export interface InferResult {
  /** `model_name`. */
  readonly modelName: string;
  /** `model_version`; undefined for unversioned models. */
  readonly modelVersion: string | undefined;
  /** `id`: echoed, generated (MLServer), or absent. */
  readonly id: string | undefined;
  /** The outputs, in the model's order (or the requested order). */
  readonly outputs: readonly Tensor[];
}

/**
 * Finds a model and version, or throws the runtime's not-found refusal. An empty `version`
 * means "the server's choice": the newest.
 */
export function findModel(
  profile: KserveProfile,
  models: readonly MockModel[],
  name: string,
  version: string | undefined,
): { model: MockModel; version: string | undefined } {
  const model = models.find((m) => m.name === name);
  if (!model) throw profile.messages.unknownModel(name);
  if (version === undefined || version === "") {
    return { model, version: model.versions[model.versions.length - 1] };
  }
  if (!model.versions.includes(version)) throw profile.messages.unknownVersion(name, version);
  return { model, version };
}

/**
 * True when `got` fits the shape metadata shows for `spec` ({@link metadataShape}: `-1` matches
 * any size), checked in place so the accepted path builds no arrays.
 */
function shapeFits(model: MockModel, spec: TensorSpec, got: readonly number[]): boolean {
  const lead = model.maxBatchSize > 0 ? 1 : 0;
  const dims = spec.dims;
  if (got.length !== dims.length + lead) return false;
  for (let i = 0; i < dims.length; i++) {
    const d = dims[i];
    if (d !== -1 && d !== got[i + lead]) return false;
  }
  return true;
}

/**
 * Validates a request against its model (Triton core's order: reserved parameters, input count,
 * unknown inputs, datatype, shape and batch size, requested outputs) and returns its inputs by
 * name. `checkReserved` false skips the reserved-prefix check (Triton's generate route has none:
 * only the infer route's ParseJsonTritonParams and gRPC refuse `triton_` keys). Inputs the model
 * marks `optional` may be left out; a model with optional inputs words a
 * wrong count as a range (core infer_request.cc: `expected number of inputs between R and T`).
 * Throws {@link InferFault}.
 */
export function checkRequest(
  profile: KserveProfile,
  model: MockModel,
  request: DecodedRequest,
  checkReserved = true,
): Map<string, Tensor> {
  const m = profile.messages;
  const prefix = checkReserved ? profile.reservedParameterPrefix : undefined;
  if (prefix) {
    const reserved = Object.keys(request.parameters).find((k) => k.startsWith(prefix));
    if (reserved !== undefined) throw m.reservedParameter(reserved);
  }
  if (request.inputs.length !== model.inputs.length) {
    const got = request.inputs.map((t) => t.name);
    const expected = model.inputs.map((s) => s.name);
    const missing = model.inputs
      .filter((s) => s.optional !== true && !got.includes(s.name))
      .map((s) => s.name);
    if (missing.length > 0) {
      const required = model.inputs.length - model.inputs.filter((s) => s.optional).length;
      throw m.missingInputs(model.name, expected.length, got, missing, request.id, required);
    }
  }
  const byName = new Map<string, Tensor>();
  for (const tensor of request.inputs) {
    const spec = model.inputs.find((s) => s.name === tensor.name);
    if (!spec) {
      // The first model input the request lacks: what a server that looks the model's inputs up
      // in the request (OVMS) names instead of the stranger.
      const absent = model.inputs.find((s) => !request.inputs.some((t) => t.name === s.name));
      throw m.unexpectedInput(
        model.name,
        tensor.name,
        model.inputs.length,
        request.inputs.length,
        absent?.name,
      );
    }
    if (profile.checksDatatypes && tensor.datatype !== spec.datatype) {
      throw m.wrongDatatype(model.name, tensor.name, spec.datatype, tensor.datatype, request.id);
    }
    if (!shapeFits(model, spec, tensor.shape)) {
      throw m.wrongShape(model, tensor.name, metadataShape(model, spec), tensor.shape, request.id);
    }
    const batch = tensor.shape[0] ?? 0;
    if (model.maxBatchSize > 0 && batch > model.maxBatchSize) {
      throw m.batchTooLarge(model.name, model.maxBatchSize, batch, tensor.name);
    }
    if (elementCount(tensor.shape) !== tensor.values.length) {
      throw m.elementCount(tensor.name, elementCount(tensor.shape), tensor.values.length);
    }
    byName.set(tensor.name, tensor);
  }
  for (const requested of request.outputs ?? []) {
    if (!model.outputs.some((o) => o.name === requested.name)) {
      throw m.unknownOutput(model.name, requested.name);
    }
  }
  return byName;
}

/** Validates a request against its model and computes the outputs. Throws {@link InferFault}. */
export function infer(
  profile: KserveProfile,
  model: MockModel,
  version: string | undefined,
  request: DecodedRequest,
): InferResult {
  const m = profile.messages;
  const byName = checkRequest(profile, model, request);
  let outputs: readonly Tensor[];
  try {
    outputs = model.compute(byName);
  } catch (error) {
    throw m.computeFailed(model.name, (error as Error).message);
  }
  if (request.outputs !== undefined && request.outputs.length > 0) {
    const requested = request.outputs;
    outputs = outputs.flatMap((o) => {
      const wanted = requested.find((r) => r.name === o.name);
      if (!wanted) return [];
      const classes = wanted.parameters.classification;
      if (!profile.classification || classes === undefined) return [o];
      return [classify(o, Number(classes), model.maxBatchSize > 0)];
    });
  }
  const id = request.id ?? (profile.alwaysId ? randomUUID() : undefined);
  return { modelName: model.name, modelVersion: version, id, outputs };
}

/**
 * {@link infer}, recorded in the statistics store: success or failure, batch size (the first
 * dimension when the model batches) and the time it took.
 */
export function recordedInfer(
  profile: KserveProfile,
  model: MockModel,
  version: string | undefined,
  request: DecodedRequest,
  stats: StatsStore,
): InferResult {
  const clock = stats.clock;
  const started = clock.now();
  const batch = model.maxBatchSize > 0 ? (request.inputs[0]?.shape[0] ?? 1) : 1;
  try {
    const result = infer(profile, model, version, request);
    const ended = clock.now();
    stats.record(model.name, version ?? "", batch, true, ended - started);
    return result;
  } catch (error) {
    const ended = clock.now();
    stats.record(model.name, version ?? "", batch, false, ended - started);
    throw error;
  }
}

/** Reads a refusal out of anything a handler threw; other errors become the runtime's internal one. */
export function asFault(profile: KserveProfile, error: unknown): InferFault {
  if (error instanceof InferFault) return error;
  return profile.messages.computeFailed("", (error as Error)?.message ?? String(error));
}
