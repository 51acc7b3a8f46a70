/**
 * The tensor datatypes of the KServe v2 protocol and their byte layouts (kserve-v2.md §1.7, §2):
 * one table used by the client and the mock alike, so a tensor encodes the same way on both
 * sides. Values live in typed arrays: 64-bit integers in BigInt64Array/BigUint64Array, FP16 and
 * BF16 widened to Float32Array, BOOL as 0/1 bytes, BYTES as an array of Uint8Array elements.
 */

/** Every datatype name of the protocol, in the order of required_api.md (BF16 last, as added). */
export const datatypes = [
  "BOOL",
  "UINT8",
  "UINT16",
  "UINT32",
  "UINT64",
  "INT8",
  "INT16",
  "INT32",
  "INT64",
  "FP16",
  "FP32",
  "FP64",
  "BYTES",
  "BF16",
] as const;

/** A protocol datatype name (case-sensitive, as on the wire). */
export type Datatype = (typeof datatypes)[number];

/** The JavaScript values of one tensor, flat and row-major, by datatype. */
export type TensorValues =
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Float32Array
  | Float64Array
  | Uint8Array[];

/** True when `name` is one of {@link datatypes}. */
export function isDatatype(name: unknown): name is Datatype {
  return typeof name === "string" && (datatypes as readonly string[]).includes(name);
}

/** Bytes per element on the wire; 0 for BYTES (variable, 4-byte length prefix per element). */
export function elementSize(datatype: Datatype): number {
  switch (datatype) {
    case "BOOL":
    case "UINT8":
    case "INT8":
      return 1;
    case "UINT16":
    case "INT16":
    case "FP16":
    case "BF16":
      return 2;
    case "UINT32":
    case "INT32":
    case "FP32":
      return 4;
    case "UINT64":
    case "INT64":
    case "FP64":
      return 8;
    case "BYTES":
      return 0;
  }
}

/** True for the datatypes whose values are bigints (INT64, UINT64). */
export function isBigIntType(datatype: Datatype): boolean {
  return datatype === "INT64" || datatype === "UINT64";
}

/** Number of elements a shape holds (1 for `[]`); NaN when a dimension is negative. */
export function elementCount(shape: readonly number[]): number {
  let count = 1;
  for (const dim of shape) {
    if (!(dim >= 0)) return Number.NaN;
    count *= dim;
  }
  return count;
}

/** The number of values in a tensor's value container. */
export function valueCount(values: TensorValues): number {
  return values.length;
}

/** Bytes of the shared blocks small tensors are carved from (see {@link allocate}). */
const blockBytes = 8192;
/** Tensors up to this many bytes are carved from a shared block; larger ones get their own memory. */
const carvedBytes = 4096;
let block = new ArrayBuffer(blockBytes);
let blockUsed = 0;

type NumberArrayCtor<T> = new (buffer: ArrayBuffer, byteOffset: number, length: number) => T;

/**
 * A zeroed typed array of `length` elements of `size` bytes. Small ones are carved from a shared
 * 8 KiB block at 8-byte offsets, as Node's Buffer pool does: V8 keeps a typed array of 64 bytes or
 * fewer on its heap, and the first read of its `.buffer` (raw tensor bytes, protobuf `bytes`)
 * moves it off the heap, about 0.5 µs each. A block is fresh (zeroed) memory and no part of it is
 * handed out twice; a small tensor keeps its block alive, as a pooled Buffer does.
 */
function zeroed<T>(Ctor: NumberArrayCtor<T>, length: number, size: number): T {
  const bytes = length * size;
  if (bytes > carvedBytes) return new Ctor(new ArrayBuffer(bytes), 0, length);
  if (blockUsed + bytes > blockBytes) {
    block = new ArrayBuffer(blockBytes);
    blockUsed = 0;
  }
  const array = new Ctor(block, blockUsed, length);
  blockUsed += (bytes + 7) & ~7;
  return array;
}

/** An empty (zeroed) container of `length` elements for a datatype (BYTES: empty elements). */
export function allocate(datatype: Datatype, length: number): TensorValues {
  switch (datatype) {
    case "BOOL":
    case "UINT8":
      return zeroed(Uint8Array, length, 1);
    case "UINT16":
      return zeroed(Uint16Array, length, 2);
    case "UINT32":
      return zeroed(Uint32Array, length, 4);
    case "UINT64":
      return zeroed(BigUint64Array, length, 8);
    case "INT8":
      return zeroed(Int8Array, length, 1);
    case "INT16":
      return zeroed(Int16Array, length, 2);
    case "INT32":
      return zeroed(Int32Array, length, 4);
    case "INT64":
      return zeroed(BigInt64Array, length, 8);
    case "FP16":
    case "BF16":
    case "FP32":
      return zeroed(Float32Array, length, 4);
    case "FP64":
      return zeroed(Float64Array, length, 8);
    case "BYTES":
      return Array.from({ length }, () => new Uint8Array(0));
  }
}

const scratch = new DataView(new ArrayBuffer(4));

/** IEEE 754 binary16 bits to a number (exact). */
export function fromFloat16Bits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** A number to IEEE 754 binary16 bits, rounding to nearest even (overflow → infinity). */
export function toFloat16Bits(value: number): number {
  if (Number.isNaN(value)) return 0x7e00;
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const abs = Math.abs(value);
  if (abs >= 65520) return sign | 0x7c00;
  if (abs < 2 ** -24 / 2) return sign;
  if (abs < 2 ** -14) return sign | Math.round(abs / 2 ** -24);
  let exponent = Math.floor(Math.log2(abs));
  let mantissa = abs / 2 ** exponent;
  if (mantissa >= 2) {
    mantissa /= 2;
    exponent += 1;
  }
  let fraction = Math.round((mantissa - 1) * 1024);
  if (fraction === 1024) {
    fraction = 0;
    exponent += 1;
  }
  if (exponent > 15) return sign | 0x7c00;
  return sign | ((exponent + 15) << 10) | fraction;
}

/** bfloat16 bits to a number (the upper half of a float32). */
export function fromBfloat16Bits(bits: number): number {
  scratch.setUint32(0, bits << 16, true);
  return scratch.getFloat32(0, true);
}

/** A number to bfloat16 bits, rounding the float32 to nearest even. */
export function toBfloat16Bits(value: number): number {
  scratch.setFloat32(0, value, true);
  const bits = scratch.getUint32(0, true);
  if (Number.isNaN(value)) return 0x7fc0;
  return ((bits + 0x7fff + ((bits >> 16) & 1)) >>> 16) & 0xffff;
}

/**
 * Raw little-endian bytes (binary extension, gRPC raw contents) to values. Returns a string
 * describing the problem when the bytes do not fit: a size that is not a multiple of the element
 * size, or a BYTES element whose length prefix runs past the end. The values share memory with
 * `bytes` where they can (BYTES elements; integer and FP32/FP64 types at an aligned offset), so
 * writing to one shows in the other; BOOL, FP16, BF16 and unaligned bytes are copied.
 */
export function decodeRaw(datatype: Datatype, bytes: Uint8Array): TensorValues | string {
  if (datatype === "BYTES") return decodeBytesElements(bytes);
  const size = elementSize(datatype);
  if (bytes.byteLength % size !== 0) {
    return `${bytes.byteLength} bytes is not a whole number of ${datatype} elements`;
  }
  const length = bytes.byteLength / size;
  if (datatype !== "FP16" && datatype !== "BF16" && datatype !== "BOOL") {
    const Ctor = (allocate(datatype, 0) as Exclude<TensorValues, Uint8Array[]>).constructor as new (
      buffer: ArrayBufferLike,
      byteOffset?: number,
      length?: number,
    ) => Exclude<TensorValues, Uint8Array[]>;
    // A view over the caller's bytes when they sit at an offset the element size divides (no
    // copy: 16 MiB in, no 16 MiB copy); typed array views need such offsets, so copy otherwise.
    if (bytes.byteOffset % size === 0) return new Ctor(bytes.buffer, bytes.byteOffset, length);
    return new Ctor(new Uint8Array(bytes).buffer);
  }
  // Widened or normalised values need memory of their own: copy into an aligned buffer.
  const aligned = new Uint8Array(bytes).buffer;
  switch (datatype) {
    case "FP16": {
      const bits = new Uint16Array(aligned);
      const out = new Float32Array(length);
      for (let i = 0; i < length; i++) out[i] = fromFloat16Bits(bits[i] ?? 0);
      return out;
    }
    case "BF16": {
      const bits = new Uint16Array(aligned);
      const out = new Float32Array(length);
      for (let i = 0; i < length; i++) out[i] = fromBfloat16Bits(bits[i] ?? 0);
      return out;
    }
    default: {
      const out = new Uint8Array(aligned);
      for (let i = 0; i < length; i++) out[i] = out[i] ? 1 : 0;
      return out;
    }
  }
}

/** Splits BYTES raw content (4-byte LE length + bytes per element); a string on a bad prefix. */
export function decodeBytesElements(bytes: Uint8Array): Uint8Array[] | string {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Uint8Array[] = [];
  let offset = 0;
  while (offset < bytes.byteLength) {
    if (offset + 4 > bytes.byteLength) {
      return `BYTES element ${out.length} has a truncated 4-byte length prefix`;
    }
    const length = view.getUint32(offset, true);
    offset += 4;
    if (offset + length > bytes.byteLength) {
      return `BYTES element ${out.length} claims ${length} bytes but only ${bytes.byteLength - offset} remain`;
    }
    out.push(bytes.subarray(offset, offset + length));
    offset += length;
  }
  return out;
}

/** Values to raw little-endian bytes (BYTES length-prefixed; FP16/BF16 narrowed from numbers). */
export function encodeRaw(datatype: Datatype, values: TensorValues): Uint8Array {
  if (Array.isArray(values)) {
    let total = 0;
    for (const element of values) total += 4 + element.byteLength;
    const out = new Uint8Array(total);
    const view = new DataView(out.buffer);
    let offset = 0;
    for (const element of values) {
      view.setUint32(offset, element.byteLength, true);
      out.set(element, offset + 4);
      offset += 4 + element.byteLength;
    }
    return out;
  }
  if (datatype === "FP16" || datatype === "BF16") {
    const toBits = datatype === "FP16" ? toFloat16Bits : toBfloat16Bits;
    const bits = new Uint16Array(values.length);
    for (let i = 0; i < values.length; i++) bits[i] = toBits(Number(values[i]));
    return new Uint8Array(bits.buffer);
  }
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** A JSON element for a BYTES tensor: the UTF-8 text (as servers print BYTES in JSON). */
export function bytesToText(element: Uint8Array): string {
  return utf8Decoder.decode(element);
}

/** A string to a BYTES element (UTF-8). */
export function textToBytes(text: string): Uint8Array {
  return utf8.encode(text);
}

/** Values as plain JSON elements (flat): numbers, booleans, strings (BYTES), bigints as numbers. */
export function toJsonElements(datatype: Datatype, values: TensorValues): unknown[] {
  if (Array.isArray(values)) return values.map(bytesToText);
  // Plain indexed loops into a preallocated array: Array.from goes through the iterator protocol.
  const length = values.length;
  const out: unknown[] = new Array(length);
  if (datatype === "BOOL") {
    const bools = values as Uint8Array;
    for (let i = 0; i < length; i++) out[i] = bools[i] !== 0;
  } else if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
    for (let i = 0; i < length; i++) out[i] = Number(values[i]);
  } else {
    for (let i = 0; i < length; i++) out[i] = values[i];
  }
  return out;
}

/** Why a JSON element cannot become a value of a datatype. */
export type JsonElementProblem = "not-number" | "not-integer" | "not-boolean" | "not-string";

/**
 * Flat JSON elements to values, strictly: numeric types take numbers (integers for integer
 * types; booleans are refused), BOOL takes booleans, BYTES takes strings. Returns the first
 * problem instead when an element does not fit. `lenient` (MLServer's numpy coercion) also takes
 * booleans and numeric strings for numbers and numbers for BOOL.
 */
export function fromJsonElements(
  datatype: Datatype,
  elements: readonly unknown[],
  lenient = false,
): TensorValues | JsonElementProblem {
  const length = elements.length;
  if (datatype === "BYTES") {
    const out: Uint8Array[] = [];
    for (const element of elements) {
      if (typeof element === "string") out.push(textToBytes(element));
      else if (lenient && (typeof element === "number" || typeof element === "boolean"))
        out.push(textToBytes(String(element)));
      else return "not-string";
    }
    return out;
  }
  const out = allocate(datatype, length) as Exclude<TensorValues, Uint8Array[]>;
  const integer =
    datatype !== "FP16" && datatype !== "BF16" && datatype !== "FP32" && datatype !== "FP64";
  if (!lenient && datatype !== "BOOL" && !isBigIntType(datatype)) {
    // The common case (strict numbers into a number array) in a tight loop of its own.
    const numbers = out as Exclude<TensorValues, Uint8Array[] | BigInt64Array | BigUint64Array>;
    for (let i = 0; i < length; i++) {
      const element = elements[i];
      if (typeof element !== "number") return "not-number";
      if (integer && !Number.isInteger(element)) return "not-integer";
      numbers[i] = element;
    }
    return out;
  }
  for (let i = 0; i < length; i++) {
    let element = elements[i];
    if (datatype === "BOOL") {
      if (typeof element === "boolean") out[i] = element ? 1 : 0;
      else if (lenient && typeof element === "number") out[i] = element ? 1 : 0;
      else return "not-boolean";
      continue;
    }
    if (lenient && typeof element === "boolean") element = element ? 1 : 0;
    if (
      lenient &&
      typeof element === "string" &&
      element.trim() !== "" &&
      Number.isFinite(Number(element))
    )
      element = Number(element);
    if (typeof element !== "number") return "not-number";
    if (integer && !Number.isInteger(element)) {
      if (!lenient) return "not-integer";
      element = Math.trunc(element);
    }
    if (out instanceof BigInt64Array || out instanceof BigUint64Array)
      out[i] = BigInt(element as number);
    else out[i] = element as number;
  }
  return out;
}

/**
 * Flattens nested JSON `data` (`[[1,2],[3,4]]` ≡ `[1,2,3,4]`, kserve-v2.md §1.7). Non-array `data`
 * (a scalar) becomes one element.
 */
export function flattenData(data: unknown): unknown[] {
  if (!Array.isArray(data)) return [data];
  if (!data.some(Array.isArray)) return data;
  return (data as unknown[]).flat(Number.POSITIVE_INFINITY);
}
