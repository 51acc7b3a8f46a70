/**
 * The datatype table and byte layouts (kserve-v2.md §1.7 sizes; §2 little-endian raw layout,
 * BOOL one byte, BYTES with 4-byte LE length prefixes).
 */
import { describe, expect, it } from "vitest";
import { joinBinaryBody, splitBinaryBody } from "./binary-body.js";
import {
  allocate,
  datatypes,
  decodeRaw,
  elementSize,
  encodeRaw,
  flattenData,
  fromBfloat16Bits,
  fromFloat16Bits,
  fromJsonElements,
  type TensorValues,
  textToBytes,
  toBfloat16Bits,
  toFloat16Bits,
} from "./datatypes.js";

describe("datatypes", () => {
  it("has the 14 protocol names with their element sizes (kserve-v2.md §1.7)", () => {
    expect(datatypes).toHaveLength(14);
    const sizes = Object.fromEntries(datatypes.map((d) => [d, elementSize(d)]));
    expect(sizes).toEqual({
      BOOL: 1,
      UINT8: 1,
      UINT16: 2,
      UINT32: 4,
      UINT64: 8,
      INT8: 1,
      INT16: 2,
      INT32: 4,
      INT64: 8,
      FP16: 2,
      FP32: 4,
      FP64: 8,
      BYTES: 0,
      BF16: 2,
    });
  });

  it("writes little-endian raw bytes (kserve-v2.md §2)", () => {
    expect(Array.from(encodeRaw("INT32", Int32Array.from([1, -2])))).toEqual([
      1, 0, 0, 0, 254, 255, 255, 255,
    ]);
    expect(Array.from(encodeRaw("FP16", Float32Array.from([1])))).toEqual([0x00, 0x3c]);
    expect(Array.from(encodeRaw("BF16", Float32Array.from([1])))).toEqual([0x80, 0x3f]);
  });

  it("FP16 and BF16 conversions round-trip representable values and round to nearest even", () => {
    for (const v of [0, -0, 1, -1.5, 65504, 2 ** -24, 0.333251953125]) {
      expect(fromFloat16Bits(toFloat16Bits(v))).toBe(v);
    }
    expect(fromFloat16Bits(toFloat16Bits(70000))).toBe(Number.POSITIVE_INFINITY);
    expect(Number.isNaN(fromFloat16Bits(toFloat16Bits(Number.NaN)))).toBe(true);
    expect(fromBfloat16Bits(toBfloat16Bits(3.140625))).toBe(3.140625);
    expect(fromBfloat16Bits(toBfloat16Bits(1 + 2 ** -9))).toBe(1);
  });

  it("decodes every fixed-size datatype from unaligned bytes", () => {
    const body = new Uint8Array(1 + 16);
    body.set(encodeRaw("FP64", Float64Array.from([1.25, -3])), 1);
    expect(decodeRaw("FP64", body.subarray(1))).toEqual(Float64Array.from([1.25, -3]));
    expect(decodeRaw("INT64", encodeRaw("INT64", BigInt64Array.from([-5n])))).toEqual(
      BigInt64Array.from([-5n]),
    );
    expect(decodeRaw("BOOL", Uint8Array.from([0, 7]))).toEqual(Uint8Array.from([0, 1]));
    expect(decodeRaw("INT32", new Uint8Array(3))).toMatch(/not a whole number/);
  });

  it("aligned fixed-size bytes decode to a view (no copy); unaligned, BOOL and halves copy", () => {
    // kserve-v2.md §2: raw tensors are little-endian element bytes back to back, so an aligned
    // chunk already is the typed array's memory (the 16 MiB binary scenario skips one copy).
    const body = new Uint8Array(4 + 8);
    body.set(encodeRaw("INT32", Int32Array.from([7, -2])), 4);
    const view = decodeRaw("INT32", body.subarray(4)) as Int32Array;
    expect(view).toEqual(Int32Array.from([7, -2]));
    expect(view.buffer).toBe(body.buffer);
    expect(view.byteOffset).toBe(4);
    const odd = new Uint8Array(1 + 4);
    odd.set(encodeRaw("FP32", Float32Array.from([1.5])), 1);
    const copied = decodeRaw("FP32", odd.subarray(1)) as Float32Array;
    expect(copied).toEqual(Float32Array.from([1.5]));
    expect(copied.buffer).not.toBe(odd.buffer);
    const bools = Uint8Array.from([0, 7]);
    expect((decodeRaw("BOOL", bools) as Uint8Array).buffer).not.toBe(bools.buffer);
    expect(bools).toEqual(Uint8Array.from([0, 7]));
  });

  it("allocate: zeroed, never overlapping, 8-byte aligned; small tensors share a block, large ones own their memory", () => {
    const small = [
      allocate("INT32", 16),
      allocate("INT64", 3),
      allocate("UINT8", 5),
      allocate("FP64", 2),
    ] as Exclude<TensorValues, Uint8Array[]>[];
    for (const values of small) {
      expect(Array.from(values as ArrayLike<number | bigint>).every((v) => Number(v) === 0)).toBe(
        true,
      );
      expect(values.byteOffset % 8).toBe(0);
      // Writing every byte of one never shows in another.
      new Uint8Array(values.buffer, values.byteOffset, values.byteLength).fill(0xff);
    }
    for (const values of small) {
      const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
      expect(bytes.every((b) => b === 0xff)).toBe(true);
    }
    const fresh = allocate("INT32", 16) as Int32Array;
    expect(Array.from(fresh)).toEqual(new Array(16).fill(0));
    const large = allocate("FP32", 2048) as Float32Array;
    expect(large.byteOffset).toBe(0);
    expect(large.buffer.byteLength).toBe(large.byteLength);
  });

  it("BYTES: 4-byte LE length prefixes, and a clear problem for truncated prefixes or lying lengths", () => {
    const raw = encodeRaw("BYTES", [textToBytes("ab"), textToBytes("")]);
    expect(Array.from(raw)).toEqual([2, 0, 0, 0, 97, 98, 0, 0, 0, 0]);
    expect(decodeRaw("BYTES", raw)).toEqual([textToBytes("ab"), new Uint8Array()]);
    expect(decodeRaw("BYTES", raw.subarray(0, 2))).toMatch(/truncated/);
    expect(decodeRaw("BYTES", Uint8Array.from([9, 0, 0, 0, 1]))).toMatch(/claims 9 bytes/);
  });

  it("JSON elements: strict by default, numpy-like when lenient; nested data flattens (kserve-v2.md §1.7)", () => {
    expect(fromJsonElements("INT32", [1.5])).toBe("not-integer");
    expect(fromJsonElements("FP32", [true])).toBe("not-number");
    expect(fromJsonElements("FP32", [true, "2"], true)).toEqual(Float32Array.from([1, 2]));
    expect(fromJsonElements("BOOL", [1])).toBe("not-boolean");
    expect(
      flattenData([
        [1, 2],
        [3, [4]],
      ]),
    ).toEqual([1, 2, 3, 4]);
    expect(flattenData(5)).toEqual([5]);
  });

  it("binary bodies split at the header length; a lying length is refused", () => {
    const { body, jsonLength } = joinBinaryBody({ a: 1 }, [Uint8Array.from([1, 2])]);
    expect(splitBinaryBody(body, String(jsonLength))).toEqual({
      json: '{"a":1}',
      binary: Uint8Array.from([1, 2]),
    });
    expect(splitBinaryBody(body, String(body.byteLength + 1))).toBeUndefined();
    expect(splitBinaryBody(body, "-1")).toBeUndefined();
    expect(splitBinaryBody(body, undefined)?.binary.byteLength).toBe(0);
  });
});
