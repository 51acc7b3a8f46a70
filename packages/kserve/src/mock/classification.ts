/**
 * Triton's classification extension (kserve-v2.md §3.1): a requested output with parameter
 * `classification: N` comes back as BYTES, shape `[batch?, min(N, classes)]`, each element
 * `"<value>:<index>"` with the value printed as C++ `std::to_string` prints it (six decimals for
 * floating point, e.g. `"3.300000:1"`), highest values first.
 */
import { type TensorValues, textToBytes } from "../datatypes.js";
import type { Tensor } from "./models.js";

/** C++ `std::to_string`: integers as they are, floating point with six decimals. */
function cppToString(value: number | bigint, floating: boolean): string {
  return floating ? Number(value).toFixed(6) : String(value);
}

/**
 * The top `count` classes of a tensor: per batch row when `batched` (the first dimension is the
 * batch), else over the whole tensor. Ties keep the lower index first.
 */
export function classify(tensor: Tensor, count: number, batched: boolean): Tensor {
  const values = tensor.values;
  if (Array.isArray(values)) throw new Error("classification needs a numeric output");
  const numeric = values as Exclude<TensorValues, Uint8Array[]>;
  const rows = batched ? (tensor.shape[0] ?? 1) : 1;
  const perRow = rows > 0 ? numeric.length / rows : 0;
  const k = Math.max(0, Math.min(count, perRow));
  const floating = tensor.datatype.startsWith("FP") || tensor.datatype === "BF16";
  const out: Uint8Array[] = [];
  for (let r = 0; r < rows; r++) {
    const indices = Array.from({ length: perRow }, (_, i) => i);
    const at = (i: number) => Number(numeric[r * perRow + i] ?? 0);
    indices.sort((a, b) => at(b) - at(a) || a - b);
    for (const i of indices.slice(0, k)) {
      out.push(textToBytes(`${cppToString(numeric[r * perRow + i] ?? 0, floating)}:${i}`));
    }
  }
  return {
    name: tensor.name,
    datatype: "BYTES",
    shape: batched ? [rows, k] : [k],
    values: out,
  };
}
