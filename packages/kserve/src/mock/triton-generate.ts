/**
 * Triton's generate extension (server docs/protocol/extension_generate.md; src/http_server.cc
 * `HandleGenerate`, `GenerateRequestClass`; qa/L0_http/generate_endpoint_test.py), pure: a
 * generate body becomes the same {@link DecodedRequest} the v2 infer route builds, so one
 * inference path (infer.ts) validates it and runs the model; the result comes back as generate's
 * flat JSON object, once (`/generate`) or as one Server-Sent Event (`/generate_stream`).
 *
 * Request: every top-level key is a model input when the model has an input of that name (its
 * datatype and shape taken from the model metadata), otherwise a request parameter; the reserved
 * key `parameters` is an object whose keys map the same way. Response: `id` (when the request had
 * one), `model_name`, `model_version` and one key per output, in `std::map` (byte) order; an
 * output of one element is written as that element, any other as a flat array.
 */
import type { RestRouteReply } from "@servingkit/mock-core/host";
import {
  type Datatype,
  elementCount,
  flattenData,
  fromJsonElements,
  textToBytes,
  toJsonElements,
} from "../datatypes.js";
import type { ModelCallback } from "./decoupled.js";
import { InferFault } from "./fault.js";
import { asFault, type DecodedRequest, type InferResult, type ParameterValue } from "./infer.js";
import type { MemberNames } from "./json-member-names.js";
import { type MockModel, metadataShape, type Tensor, type TensorSpec } from "./models.js";
import { type KserveProfile, tritonRequestPrefix } from "./profiles.js";

/** The reserved nested key of a generate request (http_server.h `ConfigureGenerateMappingSchema`). */
const parametersKey = "parameters";

/** ReadDataFromJson's refusal when the JSON holds more or fewer elements than the shape it chose. */
const shapeMismatch = "Unable to parse 'data': Shape does not match true shape of 'data' field";

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * Refuses a request body Triton would not read: generate decompresses nothing, so any
 * `Content-Encoding` but `identity` is a 400 (`HandleGenerate`, before the body is parsed).
 * `header` is the request's `content-encoding` value, undefined when absent.
 */
export function checkGenerateEncoding(header: string | undefined): void {
  if (header === undefined || header.trim().toLowerCase() === "identity") return;
  throw new InferFault("invalid", "Unsupported content-encoding, only 'identity' is supported.");
}

/**
 * Turns a parsed generate body into a decoded inference request for `model` (the one the URL
 * names), or throws Triton's refusal. `id` must be a string (`ParseJsonTritonRequestID`, read by
 * generate since server PR #7392, mid-2024; the profile's 2.54.0 has it); keys
 * that are not inputs are parameters whose values must be strings, numbers or booleans
 * (`SetTritonParameterFromJsonParameter`), kept in `parameters` of the result (a later key of
 * one name wins) for the models that read them (`vllm_model`).
 *
 * `names` are the member names of the body's text ({@link memberNames} with `parameters`): given,
 * the members are mapped in document order with every repeat, as Triton walks its parsed
 * document, so a repeated input is refused where its second occurrence stands
 * (generate_endpoint_test.py `test_duplicate_inputs`); without it, in `Object.keys` order, and a
 * repeat is invisible (JSON.parse kept the last value). Every value is read as Triton's lookup
 * by name finds it, from the FIRST member of its name (`names.firstWins`): `ConvertGenerateRequest`
 * walks `Members()` (every occurrence) and reads each by name (`MemberAsObject`, `Find`,
 * `SetTritonParameterFromJsonParameter`), so each occurrence maps the first value again: a
 * repeated parameter keeps its first value, a repeated `parameters` object converts the first
 * object once per occurrence (an input inside it is then refused as already given, a second
 * object is never read, even one that is not an object).
 */
export function decodeGenerateRequest(
  profile: KserveProfile,
  model: MockModel,
  body: unknown,
  names?: MemberNames,
): DecodedRequest {
  let id: string | undefined;
  // A repeated `id` is read from its first member (ParseJsonTritonRequestID's Find: rapidjson
  // finds the first member of a name), not the last JSON.parse kept.
  const read = names?.firstWins ?? body;
  const given = isObject(read) ? read.id : undefined;
  if (given !== undefined) {
    if (typeof given !== "string") {
      throw new InferFault(
        "internal",
        "Unable to parse 'id': attempt to access JSON non-string as string",
      );
    }
    // Triton answers no `id` for an empty one (`FinalizeResponse` skips "").
    if (given !== "") id = given;
  }
  if (!isObject(body)) {
    // TritonJson `Members` of a non-object (an array, a string, a number, null).
    throw new InferFault("internal", "attempt to get members for non-object");
  }
  const inputs: Tensor[] = [];
  // No prototype: a parameter named `__proto__` is a key like any other.
  const parameters = Object.create(null) as Record<string, ParameterValue>;
  mapMembers(profile, model, isObject(read) ? read : body, names, inputs, parameters, id, true);
  return { id, parameters, inputs, outputs: undefined };
}

/**
 * `ConvertGenerateRequest`: each member in order, `parameters` (top level only) as a nested
 * object. `names` gives the order and the repeats ({@link decodeGenerateRequest}); `members`
 * holds the first value of each name, and every occurrence maps it again: a repeated input is
 * refused by core's AddInput, a repeated parameter is set again to the same value.
 */
function mapMembers(
  profile: KserveProfile,
  model: MockModel,
  members: Record<string, unknown>,
  names: MemberNames | undefined,
  inputs: Tensor[],
  parameters: Record<string, ParameterValue>,
  id: string | undefined,
  top: boolean,
): void {
  const order = (top ? names?.names : names?.nested) ?? Object.keys(members);
  for (const key of order) {
    if (!Object.hasOwn(members, key)) continue;
    const value = members[key];
    if (!top || key !== parametersKey) {
      mapMember(profile, model, key, value, inputs, parameters, id);
      continue;
    }
    if (model.inputs.some((spec) => spec.name === parametersKey)) {
      throw new InferFault(
        "invalid",
        "Keyword 'parameters' for nested schema also given as input tensor name",
      );
    }
    if (!isObject(value)) {
      throw new InferFault(
        "internal",
        "Expected JSON object for keyword: 'parameters': attempt to access JSON non-object as object",
      );
    }
    try {
      mapMembers(profile, model, value, names, inputs, parameters, id, false);
    } catch (error) {
      if (!(error instanceof InferFault)) throw error;
      throw new InferFault(error.kind, `Converting keyword: 'parameters': ${error.message}`);
    }
  }
}

/** `ExactMappingInput`: an input tensor when the model has one of that name, else a parameter. */
function mapMember(
  profile: KserveProfile,
  model: MockModel,
  name: string,
  value: unknown,
  inputs: Tensor[],
  parameters: Record<string, ParameterValue>,
  id: string | undefined,
): void {
  const spec = model.inputs.find((s) => s.name === name);
  if (spec === undefined) {
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
      parameters[name] = value;
      return;
    }
    throw new InferFault(
      "invalid",
      `parameter '${name}' has invalid type. It should be either 'int', 'bool', or 'string'.`,
    );
  }
  const tensor = inputTensor(profile, model, spec, value, id);
  // Core's AddInput refuses a second input of one name (an input also given in `parameters`).
  if (inputs.some((t) => t.name === name)) {
    throw new InferFault("invalid", `input '${name}' already exists in request`);
  }
  inputs.push(tensor);
}

/**
 * One input from its JSON value: a scalar is one element, an array holds as many as its length
 * (nested arrays are flattened, but only the outer length sizes the shape); the shape is the
 * model's metadata shape with the elements distributed over it ({@link generateShape}).
 */
function inputTensor(
  profile: KserveProfile,
  model: MockModel,
  spec: TensorSpec,
  value: unknown,
  id: string | undefined,
): Tensor {
  const { name, datatype } = spec;
  const count = Array.isArray(value) ? value.length : 1;
  const leaves = flattenData(value);
  if (datatype === "BYTES" && leaves.some((leaf) => typeof leaf !== "string")) {
    // JsonBytesArrayByteSize runs before the shape is chosen.
    throw new InferFault(
      "internal",
      "Unable to parse JSON bytes array: attempt to access JSON non-string as string",
    );
  }
  const shape = generateShape(metadataShape(model, spec), count);
  if (shape === undefined) {
    throw new InferFault(
      "invalid",
      `The schema can not convert input '${name}' to tensor with proper shape`,
    );
  }
  if (isHalf(datatype)) throw profile.messages.halfInJson(name, datatype);
  if (datatype === "BYTES") {
    // Every string is read; core checks their number against the shape (infer_request.cc).
    const expected = elementCount(shape);
    if (leaves.length !== expected) {
      throw new InferFault(
        "invalid",
        `${tritonRequestPrefix(id)}expected ${expected} string elements for inference input '${name}' for model '${model.name}', got ${leaves.length}`,
      );
    }
    return { name, datatype, shape, values: (leaves as string[]).map(textToBytes) };
  }
  // ReadDataFromJsonHelper reads elements in order up to the outer count, then checks the total.
  const values = fromJsonElements(
    datatype,
    leaves.length > count ? leaves.slice(0, count) : leaves,
  );
  if (typeof values === "string") throw profile.messages.badElement(name, datatype);
  if (leaves.length !== count) throw new InferFault("internal", shapeMismatch);
  return { name, datatype, shape, values };
}

const isHalf = (datatype: Datatype) => datatype === "FP16" || datatype === "BF16";

/**
 * The shape `count` elements take in a metadata shape (`HandleGenerate`'s two passes): the fixed
 * dimensions, innermost first, must divide the count; what remains goes to the innermost variable
 * dimension and every other variable dimension is 1. Undefined when the count does not fit.
 */
export function generateShape(dims: readonly number[], count: number): number[] | undefined {
  const shape = dims.slice();
  let left = count;
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i] as number;
    if (d === -1) continue;
    // A zero dimension divides nothing (Triton's modulo by zero is undefined): it cannot fit.
    if (d <= 0 || left % d !== 0) return undefined;
    left /= d;
  }
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] === -1) {
      shape[i] = left;
      left = 1;
    }
  }
  return left === 1 ? shape : undefined;
}

/** Code units from U+D800 up: where UTF-16 order and UTF-8 byte order can part. */
const highUnits = /[\uD800-\uFFFF]/;

/**
 * UTF-8 byte order of two keys, as `std::map<std::string>` sorts them. Below U+D800 the order of
 * UTF-16 code units is the same, so only keys with higher units are encoded to compare.
 */
function byteOrder(a: string, b: string): number {
  if (highUnits.test(a) || highUnits.test(b)) return Buffer.compare(Buffer.from(a), Buffer.from(b));
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A non-finite number as Triton's JSON writer puts it (rapidjson's kWriteNanAndInfFlag). */
function nonFinite(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  return value > 0 ? "Infinity" : "-Infinity";
}

/**
 * Float elements (bare when one) as Triton writes them: `TritonJson::Write` sets rapidjson's
 * kWriteNanAndInfFlag, so NaN and the infinities go out as the bare words `NaN`, `Infinity`,
 * `-Infinity` (not JSON; vllm_model's `cumulative_logprob` is NaN unless logprobs were asked).
 */
function floatsJson(data: readonly unknown[]): string {
  if (data.every((v) => Number.isFinite(v))) {
    return JSON.stringify(data.length === 1 ? data[0] : data);
  }
  const items = data.map((v) => (Number.isFinite(v) ? JSON.stringify(v) : nonFinite(v as number)));
  return data.length === 1 ? (items[0] as string) : `[${items.join(",")}]`;
}

/**
 * Generate's JSON for an inference result (`GenerateRequestClass::FinalizeResponse`): `id` (when
 * set), `model_name`, `model_version` (a string) and each output by name, all sorted by key bytes
 * (`OUTPUT0` before `model_name`); a name taken already keeps its first value (`emplace`). One
 * element is written bare, any other count as a flat array. Throws Triton's refusal for an
 * FP16/BF16 output (JSON cannot carry them).
 */
export function renderGenerateResponse(result: InferResult): string {
  const fields = new Map<string, string>();
  if (result.id !== undefined) fields.set("id", JSON.stringify(result.id));
  fields.set("model_name", JSON.stringify(result.modelName));
  fields.set("model_version", JSON.stringify(result.modelVersion ?? ""));
  for (const tensor of result.outputs) {
    if (fields.has(tensor.name)) continue;
    if (isHalf(tensor.datatype)) {
      // WriteDataToJson's words, which name no output (the infer route's check names it).
      throw new InferFault(
        "invalid",
        `sending ${tensor.datatype} data via JSON is not supported. Please use the binary data format for output`,
      );
    }
    const data = toJsonElements(tensor.datatype, tensor.values);
    const floats = tensor.datatype === "FP32" || tensor.datatype === "FP64";
    fields.set(
      tensor.name,
      floats ? floatsJson(data) : JSON.stringify(data.length === 1 ? data[0] : data),
    );
  }
  // Written out by hand: a JS object would move integer-like keys ("0") to the front.
  let json = "{";
  for (const key of [...fields.keys()].sort(byteOrder)) {
    if (json.length > 1) json += ",";
    json += `${JSON.stringify(key)}:${fields.get(key)}`;
  }
  return `${json}}`;
}

/** One Server-Sent Event as generate_stream frames each response: `data: <json>\n\n`. */
export function sseEvent(json: string): string {
  return `data: ${json}\n\n`;
}

/**
 * The reply to an accepted generate request: Triton starts a chunked response with the first
 * (here the only) model response, its status that response's (200, or the error's status) and
 * content type `application/json` or, for the stream, `text/event-stream; charset=utf-8`; an error
 * in the response is `{"error": ...}`, framed as an event on the stream. The body is a stream of
 * one chunk, so the host sends it chunked with no `content-length`, as evhtp does.
 */
export function generateReply(
  profile: KserveProfile,
  result: InferResult,
  stream: boolean,
): RestRouteReply {
  let status = 200;
  let json: string;
  try {
    json = renderGenerateResponse(result);
  } catch (error) {
    const fault = asFault(profile, error);
    status = profile.restStatus[fault.kind];
    json = JSON.stringify({ error: fault.message });
  }
  return {
    status,
    headers: { "content-type": stream ? "text/event-stream; charset=utf-8" : "application/json" },
    body: once(stream ? sseEvent(json) : json),
  };
}

async function* once(chunk: string): AsyncGenerator<string> {
  yield chunk;
}

/** `SendChunkResponse`'s refusal when a non-streaming generate got more or fewer than one response. */
export const notOneResponse =
  "generate expects model to produce exactly 1 response, use generate stream for model that generates various number of responses";

/**
 * One callback's chunk as generate writes it (`FinalizeResponse` or `AddErrorJson`): the
 * response's JSON or `{"error": ...}`, framed as an event on the stream; undefined for a
 * flag-only callback, which writes nothing. `fault` tells whether it was an error.
 */
function callbackChunk(
  profile: KserveProfile,
  callback: ModelCallback,
  stream: boolean,
): { chunk: string; fault: InferFault | undefined } | undefined {
  const response = callback.response;
  if (response === undefined) return undefined;
  let json: string;
  let fault: InferFault | undefined;
  if (response instanceof InferFault) fault = response;
  else {
    try {
      json = renderGenerateResponse(response);
      return { chunk: stream ? sseEvent(json) : json, fault: undefined };
    } catch (error) {
      fault = asFault(profile, error);
    }
  }
  json = JSON.stringify({ error: fault.message });
  return { chunk: stream ? sseEvent(json) : json, fault };
}

/**
 * The reply to a generate request on a model run through {@link runModel} (any model with
 * responses of its own: a decoupled one), as `GenerateRequestClass` answers
 * (http_server.cc): the first callback starts the chunked reply, its status 200, or the error's
 * when that first response is an error, whatever comes later. `/generate_stream` writes one
 * event per response and nothing for a flag-only final callback. `/generate` waits for the final
 * flag: exactly one response is written as usual; any other count writes only
 * `{"error": "generate expects model to produce exactly 1 response, ..."}`, under the status
 * the first callback set (200 when it had no error).
 */
export async function generateCallbacksReply(
  profile: KserveProfile,
  callbacks: AsyncIterator<ModelCallback>,
  stream: boolean,
): Promise<RestRouteReply> {
  const first = await callbacks.next();
  const start = first.done ? undefined : callbackChunk(profile, first.value, stream);
  const status = start?.fault !== undefined ? profile.restStatus[start.fault.kind] : 200;
  const headers = {
    "content-type": stream ? "text/event-stream; charset=utf-8" : "application/json",
  };
  if (stream) {
    const rest = async function* (): AsyncGenerator<string> {
      if (start !== undefined) yield start.chunk;
      if (first.done || first.value.final) return;
      for (let next = await callbacks.next(); !next.done; next = await callbacks.next()) {
        const chunk = callbackChunk(profile, next.value, true);
        if (chunk !== undefined) yield chunk.chunk;
        if (next.value.final) return;
      }
    };
    return { status, headers, body: rest() };
  }
  const chunks: string[] = start === undefined ? [] : [start.chunk];
  if (!first.done && !first.value.final) {
    for (let next = await callbacks.next(); !next.done; next = await callbacks.next()) {
      const chunk = callbackChunk(profile, next.value, false);
      if (chunk !== undefined) chunks.push(chunk.chunk);
      if (next.value.final) break;
    }
  }
  const body =
    chunks.length === 1 ? (chunks[0] as string) : JSON.stringify({ error: notOneResponse });
  return { status, headers, body: once(body) };
}
