/**
 * The binary tensor data extension's body layout (kserve-v2.md §2): a JSON header of
 * `Inference-Header-Content-Length` bytes, then the raw tensors back to back in the order the
 * JSON lists them. Shared by the client (requests out, responses in) and the mock.
 */

/** The header that carries the JSON length (HTTP header names are case-insensitive). */
export const inferenceHeaderLength = "inference-header-content-length";

const decoder = new TextDecoder();

/** The largest alignment a tensor element needs (INT64, UINT64, FP64: 8 bytes). */
const tensorAlignment = 8;

/**
 * Bytes (0-7) a server leaves before a request body so that its binary tail (after the JSON
 * header whose length `inference-header-content-length` gives) starts on an 8-byte boundary,
 * where every fixed-size datatype can be viewed in place (datatypes.ts `decodeRaw` copies a
 * tensor at an odd offset). 0 when the header is missing or not a plain non-negative integer (the
 * route refuses that itself). The mock's route table hands it to mock-core's body reader.
 */
export function binaryTailPadding(
  headers: Readonly<Record<string, string | readonly string[] | undefined>>,
): number {
  const value = headers[inferenceHeaderLength];
  if (typeof value !== "string") return 0;
  const length = Number(value);
  if (!Number.isSafeInteger(length) || length < 0) return 0;
  return (tensorAlignment - (length % tensorAlignment)) % tensorAlignment;
}

/** A body split into its JSON part and its binary tail. */
export interface SplitBody {
  /** The JSON header text. */
  readonly json: string;
  /** The bytes after it (empty when the body is all JSON). */
  readonly binary: Uint8Array;
}

/**
 * Splits a body by the header's value. Returns undefined when the value is not a non-negative
 * integer no larger than the body (a lying length); a missing header means "all JSON".
 */
export function splitBinaryBody(
  body: Uint8Array,
  headerValue: string | null | undefined,
): SplitBody | undefined {
  if (headerValue === null || headerValue === undefined) {
    return { json: decoder.decode(body), binary: new Uint8Array(0) };
  }
  if (!/^\s*\d+\s*$/.test(headerValue)) return undefined;
  const length = Number(headerValue);
  if (!Number.isSafeInteger(length) || length > body.byteLength) return undefined;
  return {
    json: decoder.decode(body.subarray(0, length)),
    binary: body.subarray(length),
  };
}

/** A binary-extension body as its pieces, in order: the JSON header's bytes, then each tensor's. */
export interface BinaryBodyParts {
  /** The JSON header (UTF-8), then the raw tensors as given (not copied). */
  readonly pieces: readonly Uint8Array[];
  /** Bytes of the JSON header: the `Inference-Header-Content-Length` value. */
  readonly jsonLength: number;
  /** Bytes of the whole body. */
  readonly byteLength: number;
}

/**
 * A JSON header and raw tensors as the pieces of one body, without copying the tensors: a server
 * writes them back to back (a 16 MiB tensor then costs no 16 MiB copy).
 */
export function binaryBodyParts(header: unknown, parts: readonly Uint8Array[]): BinaryBodyParts {
  const json = new TextEncoder().encode(JSON.stringify(header));
  let byteLength = json.byteLength;
  for (const part of parts) byteLength += part.byteLength;
  return { pieces: [json, ...parts], jsonLength: json.byteLength, byteLength };
}

/** The pieces as one body. */
export function joinPieces(pieces: readonly Uint8Array[], byteLength: number): Uint8Array {
  const body = new Uint8Array(byteLength);
  let offset = 0;
  for (const piece of pieces) {
    body.set(piece, offset);
    offset += piece.byteLength;
  }
  return body;
}

/** Joins a JSON header and raw tensors into one body; returns the body and the JSON length. */
export function joinBinaryBody(
  header: unknown,
  parts: readonly Uint8Array[],
): { body: Uint8Array; jsonLength: number } {
  const { pieces, jsonLength, byteLength } = binaryBodyParts(header, parts);
  return { body: joinPieces(pieces, byteLength), jsonLength };
}
