/**
 * Tensors in gRPC messages (kserve-v2.md §4.2, §4.3): the typed `InferTensorContents` field each
 * datatype uses, and `InferParameter` oneofs to plain values. Shared by the client and the mock.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type {
  InferParameter,
  InferParameterSchema,
  InferTensorContents,
  InferTensorContentsSchema,
} from "@servingkit/proto/inference";
import { type Datatype, type TensorValues, textToBytes } from "./datatypes.js";

/** The `InferTensorContents` field of a datatype; undefined for FP16/BF16 (raw only). */
export type ContentsField =
  | "boolContents"
  | "intContents"
  | "int64Contents"
  | "uintContents"
  | "uint64Contents"
  | "fp32Contents"
  | "fp64Contents"
  | "bytesContents";

/** Which typed field carries a datatype (INT8/16/32 share `int_contents`, ...). */
export function contentsField(datatype: Datatype): ContentsField | undefined {
  switch (datatype) {
    case "BOOL":
      return "boolContents";
    case "INT8":
    case "INT16":
    case "INT32":
      return "intContents";
    case "INT64":
      return "int64Contents";
    case "UINT8":
    case "UINT16":
    case "UINT32":
      return "uintContents";
    case "UINT64":
      return "uint64Contents";
    case "FP32":
      return "fp32Contents";
    case "FP64":
      return "fp64Contents";
    case "BYTES":
      return "bytesContents";
    default:
      return undefined;
  }
}

/** Values to a partial `InferTensorContents` (the one field the datatype uses). */
export function toContents(
  datatype: Datatype,
  values: TensorValues,
): MessageInitShape<typeof InferTensorContentsSchema> {
  const field = contentsField(datatype);
  if (!field) return {};
  if (Array.isArray(values)) return { bytesContents: values };
  if (field === "boolContents")
    return { boolContents: Array.from(values as Uint8Array, (v) => v !== 0) };
  if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
    return { [field]: Array.from(values) };
  }
  return { [field]: Array.from(values as ArrayLike<number>) };
}

/** Reads the datatype's field of `contents` into typed values; undefined when it has no field. */
export function fromContents(
  datatype: Datatype,
  contents: InferTensorContents,
  allocate: (datatype: Datatype, length: number) => TensorValues,
): TensorValues | undefined {
  const field = contentsField(datatype);
  if (!field) return undefined;
  const source = contents[field] as readonly (number | bigint | boolean | Uint8Array)[];
  if (field === "bytesContents") return [...(source as Uint8Array[])];
  const out = allocate(datatype, source.length) as Exclude<TensorValues, Uint8Array[]>;
  if (out instanceof BigInt64Array || out instanceof BigUint64Array) {
    for (let i = 0; i < source.length; i++) out[i] = BigInt(source[i] as bigint);
  } else if (field === "boolContents") {
    for (let i = 0; i < source.length; i++) out[i] = source[i] ? 1 : 0;
  } else {
    // Numbers into a number array (the common case): one loop without per-element type checks.
    for (let i = 0; i < source.length; i++) out[i] = source[i] as number;
  }
  return out;
}

/** The number of values set in the datatype's field of `contents`. */
export function contentsLength(
  datatype: Datatype,
  contents: InferTensorContents | undefined,
): number {
  const field = contentsField(datatype);
  if (!contents) return 0;
  if (!field) {
    return Object.values(contents).reduce<number>(
      (n, v) => n + (Array.isArray(v) ? v.length : 0),
      0,
    );
  }
  return contents[field].length;
}

/** A plain parameter value to its `InferParameter` oneof (integers as int64, others as double). */
export function toInferParameter(
  value: string | number | boolean | bigint,
): MessageInitShape<typeof InferParameterSchema> {
  if (typeof value === "boolean") return { parameterChoice: { case: "boolParam", value } };
  if (typeof value === "string") return { parameterChoice: { case: "stringParam", value } };
  if (typeof value === "bigint") return { parameterChoice: { case: "int64Param", value } };
  if (Number.isInteger(value))
    return { parameterChoice: { case: "int64Param", value: BigInt(value) } };
  return { parameterChoice: { case: "doubleParam", value } };
}

/** An `InferParameter` to a plain value (64-bit integers as numbers when safe). */
export function fromInferParameter(
  parameter: InferParameter,
): string | number | boolean | bigint | undefined {
  const choice = parameter.parameterChoice;
  switch (choice.case) {
    case "boolParam":
    case "stringParam":
    case "doubleParam":
      return choice.value;
    case "int64Param":
    case "uint64Param":
      return choice.value >= BigInt(Number.MIN_SAFE_INTEGER) &&
        choice.value <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(choice.value)
        : choice.value;
    default:
      return undefined;
  }
}

/** Text to a BYTES element, for callers building `bytesContents`. */
export const bytesOf = textToBytes;
