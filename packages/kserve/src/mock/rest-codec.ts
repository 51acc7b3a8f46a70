/**
 * The REST side of inference, pure: a request body (JSON, or JSON plus binary tensors) to a
 * {@link DecodedRequest}, and an {@link InferResult} to the response body and headers, each in
 * the runtime's own way (kserve-v2.md §1.4-§1.7, §2, §3).
 */
import {
  binaryBodyParts,
  inferenceHeaderLength,
  joinPieces,
  splitBinaryBody,
} from "../binary-body.js";
import {
  type Datatype,
  decodeRaw,
  elementCount,
  elementSize,
  encodeRaw,
  flattenData,
  fromJsonElements,
  isDatatype,
  toJsonElements,
} from "../datatypes.js";
import type { DecodedRequest, InferResult, ParameterValue, RequestedOutput } from "./infer.js";
import { firstMemberWins } from "./json-member-names.js";
import type { MockModel, Tensor } from "./models.js";
import type { KserveProfile } from "./profiles.js";
import {
  inputContentConflict,
  isShared,
  restSlice,
  type SharedMemoryRegistry,
  type SharedOutput,
} from "./triton-shared-memory.js";

type Json = Record<string, unknown>;

const utf8 = new TextDecoder();

const isObject = (v: unknown): v is Json =>
  v !== null && typeof v === "object" && !Array.isArray(v);

/** A JSON `shape`: an array of non-negative safe integers. */
function isShape(value: unknown): value is number[] {
  if (!Array.isArray(value)) return false;
  for (let i = 0; i < value.length; i++) {
    const d = value[i];
    if (!Number.isSafeInteger(d) || d < 0) return false;
  }
  return true;
}

function parameters(value: unknown): Record<string, ParameterValue> {
  if (!isObject(value)) return {};
  const out: Record<string, ParameterValue> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") out[k] = v;
  }
  return out;
}

/**
 * Decodes an infer request body. `body` is the raw bytes; `headerLength` the
 * `Inference-Header-Content-Length` value (undefined when absent); `sharedMemory` the registry
 * inputs with `shared_memory_region` read from (Triton; undefined where the runtime has no such
 * extension). Throws the profile's refusals.
 */
export function decodeRestRequest(
  profile: KserveProfile,
  modelName: string,
  body: Uint8Array,
  headerLength: string | undefined,
  model?: MockModel,
  sharedMemory?: SharedMemoryRegistry,
): DecodedRequest {
  const m = profile.messages;
  if (profile.binary.rawRequest && model && headerLength?.trim() === "0") {
    return decodeRawRequest(profile, model, body);
  }
  const useBinary = profile.binary.supported && headerLength !== undefined;
  // Plain JSON (the common case) needs no split: the whole body is the JSON text.
  const split = useBinary ? splitBinaryBody(body, headerLength) : undefined;
  if (useBinary && !split) throw m.headerTooLong(Number(headerLength), body.byteLength);
  const text = split ? split.json : utf8.decode(body);
  const parsed = parseRestJson(profile, text);
  return decodeRestJson(
    profile,
    modelName,
    // Triton and OVMS read a repeated member name's first value (rapidjson), MLServer its last.
    profile.repeatedMemberFirst ? firstMemberWins(text, parsed) : parsed,
    split?.binary,
    sharedMemory,
  );
}

/** Parses a request's JSON text; unparseable text (empty too) is the runtime's malformed-JSON fault. */
export function parseRestJson(profile: KserveProfile, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw profile.messages.malformedJson(jsonErrorDetail(error as Error, text), text);
  }
}

/**
 * Triton's raw binary request (`Inference-Header-Content-Length: 0`, kserve-v2.md §2): the whole
 * body is the model's only input, batch 1, its shape deduced from the byte count (at most one
 * variable dimension; BYTES only for shape `[1]`); every output comes back binary.
 */
function decodeRawRequest(
  profile: KserveProfile,
  model: MockModel,
  body: Uint8Array,
): DecodedRequest {
  const m = profile.messages;
  const spec = model.inputs[0];
  if (model.inputs.length !== 1 || !spec) throw m.rawInputCount(model.name, model.inputs.length);
  const variable = spec.dims.filter((d) => d < 0).length;
  let dims: number[];
  if (spec.datatype === "BYTES") {
    if (spec.dims.length !== 1 || (spec.dims[0] !== 1 && spec.dims[0] !== -1))
      throw m.rawShape(spec.name, true);
    dims = [1];
  } else {
    if (variable > 1) throw m.rawShape(spec.name, false);
    const known = spec.dims.reduce((n, d) => (d < 0 ? n : n * d), 1) * elementSize(spec.datatype);
    const fill = known > 0 ? body.byteLength / known : 0;
    dims = spec.dims.map((d) => (d < 0 ? fill : d));
    const expected = elementCount(dims) * elementSize(spec.datatype);
    if (!Number.isInteger(fill) || expected !== body.byteLength) {
      throw m.byteSizeMismatch(model.name, spec.name, expected, body.byteLength, undefined);
    }
  }
  const values = decodeRaw(
    spec.datatype,
    spec.datatype === "BYTES" ? withLengthPrefix(body) : body,
  );
  if (typeof values === "string") throw m.shortBinary(model.name, spec.name, 4);
  const shape = model.maxBatchSize > 0 ? [1, ...dims] : dims;
  return {
    id: undefined,
    parameters: { binary_data_output: true },
    inputs: [{ name: spec.name, datatype: spec.datatype, shape, values }],
    outputs: undefined,
  };
}

/** A raw BYTES body is one element without its length prefix; add the prefix. */
function withLengthPrefix(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.byteLength + 4);
  new DataView(out.buffer).setUint32(0, body.byteLength, true);
  out.set(body, 4);
  return out;
}

/**
 * RapidJSON-style words for a parse failure (Triton prints `Invalid value. at <offset>`); the
 * offset is V8's position where it says one.
 */
function jsonErrorDetail(error: Error, text: string): string {
  if (text.trim() === "") return "The document is empty. at 0";
  const position = /position (\d+)/.exec(error.message)?.[1] ?? "0";
  return `Invalid value. at ${position}`;
}

/**
 * Decodes a parsed JSON request (with the binary tail when the extension is in use, and the
 * shared-memory registry where the runtime has one).
 */
export function decodeRestJson(
  profile: KserveProfile,
  modelName: string,
  body: unknown,
  binary: Uint8Array | undefined,
  sharedMemory?: SharedMemoryRegistry,
): DecodedRequest {
  const m = profile.messages;
  if (!isObject(body)) throw m.notAnObject(body);
  if (!Array.isArray(body.inputs)) throw m.badMember(["inputs"], body);
  if (body.id !== undefined && typeof body.id !== "string") throw m.badMember(["id"], body);
  let offset = 0;
  const inputs: Tensor[] = [];
  const rawInputs: unknown[] = body.inputs;
  for (let index = 0; index < rawInputs.length; index++) {
    const raw = rawInputs[index];
    // The member paths of refusals are built only when one is thrown.
    if (!isObject(raw)) throw m.badMember(["inputs", index], body);
    if (typeof raw.name !== "string") throw m.badMember(["inputs", index, "name"], body);
    if (!isShape(raw.shape)) throw m.badMember(["inputs", index, "shape"], body);
    if (typeof raw.datatype !== "string") throw m.badMember(["inputs", index, "datatype"], body);
    const name = raw.name;
    const datatype = raw.datatype;
    if (!isDatatype(datatype) || !profile.datatypes.includes(datatype)) {
      throw m.invalidDatatype(name, datatype, index);
    }
    const shape = raw.shape as number[];
    const count = elementCount(shape);
    const params = parameters(raw.parameters);
    const hasData = raw.data !== undefined;
    const sizeParam = params.binary_data_size;
    if (sharedMemory !== undefined && params.shared_memory_region !== undefined) {
      // extension_shared_memory.md: the input's bytes are a registered region's, read now.
      if (hasData || sizeParam !== undefined) {
        throw inputContentConflict(hasData, sizeParam !== undefined, true);
      }
      const slice = restSlice(params);
      const chunk = slice ? sharedMemory.read(slice) : new Uint8Array(0);
      const id = body.id as string | undefined;
      inputs.push(tensorOfBytes(profile, modelName, name, datatype, shape, chunk, id));
      continue;
    }
    const wantsBinary =
      profile.binary.supported &&
      (sizeParam !== undefined ||
        (!hasData && binary !== undefined && profile.binary.sizeFromShape && datatype !== "BYTES"));
    if (hasData && sizeParam !== undefined && profile.binary.supported)
      throw m.dataConflict(name, true);
    if (!hasData && !wantsBinary) {
      if (!profile.binary.supported) throw m.badMember(["inputs", index, "data"], body);
      throw m.dataConflict(name, false);
    }
    if (wantsBinary) {
      if (binary === undefined) throw m.binaryWithoutHeader();
      const size = sizeParam !== undefined ? Number(sizeParam) : count * elementSize(datatype);
      if (!Number.isSafeInteger(size) || size < 0) throw m.binaryWithoutHeader();
      if (offset + size > binary.byteLength) {
        throw m.shortBinary(modelName, name, offset + size - binary.byteLength);
      }
      const chunk = binary.subarray(offset, offset + size);
      offset += size;
      const id = body.id as string | undefined;
      inputs.push(tensorOfBytes(profile, modelName, name, datatype, shape, chunk, id));
      continue;
    }
    if ((datatype === "FP16" || datatype === "BF16") && !profile.halfInJson) {
      throw m.halfInJson(name, datatype);
    }
    const flat = flattenData(raw.data);
    if (flat.length !== count) throw m.elementCount(name, count, flat.length);
    const values = fromJsonElements(datatype, flat, profile.lenientJson);
    if (typeof values === "string") throw m.badElement(name, datatype);
    inputs.push({ name, datatype, shape, values });
  }
  if (binary !== undefined && offset < binary.byteLength) throw m.extraBinary(modelName);
  let outputs: RequestedOutput[] | undefined;
  if (body.outputs !== undefined) {
    if (!Array.isArray(body.outputs)) throw m.badMember(["outputs"], body);
    outputs = body.outputs.map((raw: unknown, index: number) => {
      if (!isObject(raw) || typeof raw.name !== "string") {
        throw m.badMember(["outputs", index, "name"], body);
      }
      return { name: raw.name, parameters: parameters(raw.parameters) };
    });
  }
  return {
    id: body.id as string | undefined,
    parameters: parameters(body.parameters),
    inputs,
    outputs,
  };
}

/**
 * An input tensor from its raw bytes (the binary extension's tail or a shared-memory region):
 * the byte count must match the shape (BYTES excepted), and the bytes must decode.
 */
function tensorOfBytes(
  profile: KserveProfile,
  modelName: string,
  name: string,
  datatype: Datatype,
  shape: number[],
  chunk: Uint8Array,
  id: string | undefined,
): Tensor {
  const m = profile.messages;
  const count = elementCount(shape);
  const expectedBytes = count * elementSize(datatype);
  if (datatype !== "BYTES" && chunk.byteLength !== expectedBytes) {
    throw m.byteSizeMismatch(modelName, name, expectedBytes, chunk.byteLength, id);
  }
  const values = decodeRaw(datatype, chunk);
  if (typeof values === "string") throw m.shortBinary(modelName, name, 4);
  if (values.length !== count) throw m.elementCount(name, count, values.length);
  return { name, datatype, shape, values };
}

/** A REST answer: status, headers and body bytes (or text). */
export interface RestReply {
  /** HTTP status. */
  readonly status: number;
  /** Headers as the runtime spells them. */
  readonly headers: Readonly<Record<string, string>>;
  /** Body. */
  readonly body: string | Uint8Array;
}

/**
 * A binary-extension answer whose body is pieces sent back to back: the JSON header, then the
 * output tensors' own bytes (no copy of a large tensor into one body).
 */
export interface PiecewiseRestReply {
  /** HTTP status. */
  readonly status: number;
  /** Headers as the runtime spells them (the host adds `content-length`). */
  readonly headers: Readonly<Record<string, string>>;
  /** The body's pieces, in order. */
  readonly pieces: readonly Uint8Array[];
  /** Bytes of all pieces together. */
  readonly byteLength: number;
}

/**
 * Binary outputs of at least this many bytes in all (64 KiB, as the gRPC fast path's separate
 * tensors) are answered as pieces; smaller ones are joined into one body (one write is cheaper).
 */
export const piecewiseTensorBytes = 64 * 1024;

function wantsBinaryOutput(profile: KserveProfile, request: DecodedRequest, name: string): boolean {
  if (!profile.binary.supported) return false;
  const requested = request.outputs?.find((o) => o.name === name);
  if (profile.binary.onlyListedOutputs && !requested) return false;
  const own = requested?.parameters.binary_data;
  if (typeof own === "boolean") return own;
  return request.parameters.binary_data_output === true;
}

/**
 * Renders an inference result; throws the profile's refusal for FP16/BF16 outputs in JSON. Binary
 * outputs of {@link piecewiseTensorBytes} or more come back as a {@link PiecewiseRestReply}.
 * Outputs in `shared` were written to shared memory: they carry name, datatype and shape only
 * (http_server.cc answers no `data` and no `binary_data_size` for them).
 */
export function renderRestResult(
  profile: KserveProfile,
  request: DecodedRequest,
  result: InferResult,
  shared?: readonly SharedOutput[],
): RestReply | PiecewiseRestReply {
  const parts: Uint8Array[] = [];
  const outputs = result.outputs.map((tensor) => {
    if (shared !== undefined && isShared(shared, tensor.name)) {
      return ordered(profile.outputKeys, {
        name: tensor.name,
        datatype: tensor.datatype,
        shape: tensor.shape,
      });
    }
    const binary = wantsBinaryOutput(profile, request, tensor.name);
    const fields: Json = {
      name: tensor.name,
      datatype: tensor.datatype,
      shape: tensor.shape,
    };
    let params: Json | undefined = profile.outputParameters?.(tensor.datatype);
    if (binary) {
      const raw = encodeRaw(tensor.datatype, tensor.values);
      parts.push(raw);
      // Object.assign, not a spread followed by a key (a fresh map each time, r7-rules.md).
      params = Object.assign({}, params, { binary_data_size: raw.byteLength });
    } else {
      if (isHalf(tensor.datatype) && !profile.halfInJson) {
        throw profile.messages.halfOutJson(tensor.name, tensor.datatype);
      }
      fields.data = jsonData(tensor);
    }
    if (params) fields.parameters = params;
    return ordered(profile.outputKeys, fields);
  });
  const header = ordered(profile.responseKeys, {
    id: result.id,
    model_name: result.modelName,
    model_version: result.modelVersion,
    outputs,
  });
  if (parts.length === 0) {
    return {
      status: 200,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(header),
    };
  }
  const { pieces, jsonLength, byteLength } = binaryBodyParts(header, parts);
  const headers = {
    "content-type": profile.binary.responseContentType,
    [profile.binary.headerName]: String(jsonLength),
  };
  if (byteLength - jsonLength >= piecewiseTensorBytes) {
    return { status: 200, headers, pieces, byteLength };
  }
  return { status: 200, headers, body: joinPieces(pieces, byteLength) };
}

const isHalf = (datatype: Datatype) => datatype === "FP16" || datatype === "BF16";

function jsonData(tensor: Tensor): unknown[] {
  const data = toJsonElements(tensor.datatype, tensor.values);
  // JSON has no NaN: MLServer prints null (kserve-v2.md §3.2); the others never produce it here.
  // Only float values can be non-finite; `data` is fresh, so fix it in place.
  if (tensor.values instanceof Float32Array || tensor.values instanceof Float64Array) {
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i] as number)) data[i] = null;
    }
  }
  return data;
}

function ordered(keys: readonly string[], fields: Json): Json {
  const out: Json = {};
  for (const key of keys) if (fields[key] !== undefined) out[key] = fields[key];
  return out;
}

/** The length header of a request, whichever way it is spelled. */
export const requestHeaderLength = inferenceHeaderLength;
