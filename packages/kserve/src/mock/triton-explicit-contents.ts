/**
 * Triton's reading of a gRPC input's typed `contents` (server `src/grpc/infer_handler.cc`
 * `InferGRPCToInput` with `InferGRPCToInputHelper`): it walks the typed fields in the order bool,
 * int, int64, uint, uint64, fp32, fp64, bytes, and refuses the first non-empty field whose type is
 * not the input's datatype, or any non-empty field after one that already gave the input's data.
 * Pure logic; the gRPC decoder throws what it returns.
 */
import type { InferTensorContents } from "@servingkit/proto/inference";
import type { Datatype } from "../datatypes.js";
import { contentsField } from "../grpc-tensors.js";
import { InferFault } from "./fault.js";

/** The typed fields in Triton's order, each with the datatype its values carry for `datatype`. */
const fields: readonly {
  readonly key: keyof InferTensorContents & `${string}Contents`;
  readonly type: (datatype: Datatype) => Datatype;
}[] = [
  { key: "boolContents", type: () => "BOOL" },
  // int_contents carries INT8 and INT16 too (one element per int32).
  { key: "intContents", type: (d) => (d === "INT8" || d === "INT16" ? d : "INT32") },
  { key: "int64Contents", type: () => "INT64" },
  { key: "uintContents", type: (d) => (d === "UINT8" || d === "UINT16" ? d : "UINT32") },
  { key: "uint64Contents", type: () => "UINT64" },
  { key: "fp32Contents", type: () => "FP32" },
  { key: "fp64Contents", type: () => "FP64" },
  { key: "bytesContents", type: () => "BYTES" },
];

/**
 * Triton's refusal of an input's typed contents, or undefined when they are usable: a field of
 * another type is INVALID_ARG `unexpected explicit tensor data for input tensor '<x>' for model
 * '<m>' of type '<T>', expected datatype '<D>'`; a second non-empty field is INVALID_ARG
 * `... for model '<m>', binary data was already supplied.` (the first field set the data).
 */
export function explicitContentsFault(
  datatype: Datatype,
  contents: InferTensorContents,
  input: string,
  model: string,
): InferFault | undefined {
  // The usual request sets one field, its datatype's: counted with direct reads (about 10 ns),
  // the walk below only runs for requests it refuses.
  const set =
    +(contents.boolContents.length > 0) +
    +(contents.intContents.length > 0) +
    +(contents.int64Contents.length > 0) +
    +(contents.uintContents.length > 0) +
    +(contents.uint64Contents.length > 0) +
    +(contents.fp32Contents.length > 0) +
    +(contents.fp64Contents.length > 0) +
    +(contents.bytesContents.length > 0);
  const own = contentsField(datatype);
  if (set === 0 || (set === 1 && own !== undefined && contents[own].length > 0)) return undefined;
  let supplied = false;
  for (const field of fields) {
    if (contents[field.key].length === 0) continue;
    const prefix = `unexpected explicit tensor data for input tensor '${input}' for model '${model}'`;
    if (supplied) return new InferFault("invalid", `${prefix}, binary data was already supplied.`);
    const type = field.type(datatype);
    if (type !== datatype) {
      return new InferFault(
        "invalid",
        `${prefix} of type '${type}', expected datatype '${datatype}'`,
      );
    }
    supplied = true;
  }
  return undefined;
}
