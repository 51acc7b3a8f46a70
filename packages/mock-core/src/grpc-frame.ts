/**
 * gRPC's length-prefixed message framing (grpc/grpc doc/PROTOCOL-HTTP2.md, "Length-Prefixed-Message"):
 * one byte Compressed-Flag (0 or 1), a four-byte big-endian Message-Length, then the message.
 * Pure: the fast path reads a request body with {@link readUnaryMessage} and frames its answers
 * with {@link messageChunks}.
 */
import { type DescField, type DescMessage, ScalarType, toBinary } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";

/** Bytes before every message: the Compressed-Flag and the 32-bit Message-Length. */
export const frameHeaderBytes = 5;

/** A unary request body that holds exactly one well-framed message. */
export interface UnaryMessage {
  readonly kind: "message";
  /** Compressed-Flag was 1: the bytes are encoded with the call's `grpc-encoding`. */
  readonly compressed: boolean;
  /** The message bytes, a view into the body (not a copy). */
  readonly bytes: Uint8Array;
}

/** A unary request body a gRPC server refuses, with the status it answers. */
export interface FramingError {
  readonly kind: "error";
  /** The gRPC status code (doc/statuscodes.md). */
  readonly code: Code;
  /** The status message. */
  readonly message: string;
}

/**
 * Reads the one message of a unary call's request body (all DATA frames, joined).
 *
 * - no message at all, or bytes after the first message: UNIMPLEMENTED (grpc/grpc
 *   doc/statuscodes.md: "Request cardinality violation ... UNIMPLEMENTED", generated at the server);
 * - a body that ends inside a frame (fewer than 5 header bytes, or fewer message bytes than the
 *   length promises), or a flag other than 0 and 1: INTERNAL (statuscodes.md: protocol violations
 *   are INTERNAL).
 */
export function readUnaryMessage(body: Uint8Array): UnaryMessage | FramingError {
  if (body.byteLength === 0) {
    return framingError(Code.Unimplemented, "missing request message for a unary method");
  }
  if (body.byteLength < frameHeaderBytes) {
    return framingError(
      Code.Internal,
      `incomplete message frame: ${body.byteLength} of ${frameHeaderBytes} header bytes`,
    );
  }
  const flag = body[0];
  if (flag !== 0 && flag !== 1) {
    return framingError(Code.Internal, `invalid compressed flag ${flag} in message frame`);
  }
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const length = view.getUint32(1);
  const end = frameHeaderBytes + length;
  if (end > body.byteLength) {
    return framingError(
      Code.Internal,
      `incomplete message: ${body.byteLength - frameHeaderBytes} of ${length} bytes`,
    );
  }
  if (end < body.byteLength) {
    return framingError(Code.Unimplemented, "more than one request message for a unary method");
  }
  return { kind: "message", compressed: flag === 1, bytes: body.subarray(frameHeaderBytes, end) };
}

function framingError(code: Code, message: string): FramingError {
  return { kind: "error", code, message };
}

/** Frames one uncompressed message: flag 0, its length, its bytes, in one buffer. */
export function frameMessage(bytes: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(frameHeaderBytes + bytes.byteLength);
  frame[0] = 0;
  frame.writeUInt32BE(bytes.byteLength, 1);
  frame.set(bytes, frameHeaderBytes);
  return frame;
}

/**
 * Messages at least this long (bytes) are written as their 5-byte prefix and then the message
 * itself, not copied into one frame buffer: for a 16 MiB tensor the copy costs more than the
 * extra write.
 */
export const separatePrefixBytes = 64 * 1024;

/** The 5-byte prefix of one uncompressed message of `length` bytes (flag 0, big-endian length). */
export function messagePrefix(length: number): Buffer {
  const prefix = Buffer.allocUnsafe(frameHeaderBytes);
  prefix[0] = 0;
  prefix.writeUInt32BE(length, 1);
  return prefix;
}

/** Repeated `bytes` fields of a message (such as `raw_output_contents`), per schema. */
const bytesListsOf = new WeakMap<DescMessage, readonly DescField[]>();

function bytesLists(schema: DescMessage): readonly DescField[] {
  let fields = bytesListsOf.get(schema);
  if (fields === undefined) {
    fields = schema.fields.filter(
      (field) =>
        field.fieldKind === "list" &&
        field.listKind === "scalar" &&
        field.scalar === ScalarType.BYTES,
    );
    bytesListsOf.set(schema, fields);
  }
  return fields;
}

/** A varint (protobuf base-128) into `out` at `at`; returns the next offset. */
function putVarint(out: Uint8Array, at: number, value: number): number {
  let rest = value;
  let next = at;
  while (rest >= 0x80) {
    out[next++] = (rest & 0x7f) | 0x80;
    rest = Math.floor(rest / 128);
  }
  out[next++] = rest;
  return next;
}

/**
 * One message, framed, as the chunks to write in order. Usually one chunk (the prefix and the
 * encoded message). When a repeated `bytes` field holds an element of at least
 * {@link separatePrefixBytes} (a raw tensor), the message is encoded without that field and the
 * field's elements follow as their tag and length and then the caller's own bytes, not copied:
 * protobuf parsers accept fields in any order and keep the order of a repeated field's elements
 * (protobuf encoding spec, "Field Order"), so the receiver reads the same message.
 */
export function messageChunks(schema: DescMessage, message: object): Uint8Array[] {
  let large: DescField[] | undefined;
  for (const field of bytesLists(schema)) {
    const elements = (message as Record<string, readonly Uint8Array[]>)[field.localName] ?? [];
    if (elements.some((element) => element.byteLength >= separatePrefixBytes)) {
      large ??= [];
      large.push(field);
    }
  }
  if (large === undefined) {
    return [frameMessage(toBinary(schema, message as Parameters<typeof toBinary>[1]))];
  }
  const rest: Record<string, unknown> = { ...message };
  for (const field of large) rest[field.localName] = [];
  const head = toBinary(schema, rest as Parameters<typeof toBinary>[1]);
  const chunks: Uint8Array[] = [head];
  let length = head.byteLength;
  for (const field of large) {
    for (const element of (message as Record<string, readonly Uint8Array[]>)[field.localName] ??
      []) {
      const key = new Uint8Array(15); // tag and length: at most 5 + 10 varint bytes
      const end = putVarint(key, putVarint(key, 0, field.number * 8 + 2), element.byteLength);
      chunks.push(key.subarray(0, end), element);
      length += end + element.byteLength;
    }
  }
  chunks.unshift(messagePrefix(length));
  return chunks;
}
