/**
 * gRPC's length-prefixed message framing (grpc/grpc doc/PROTOCOL-HTTP2.md, "Length-Prefixed-Message"):
 * one byte Compressed-Flag (0 or 1), a four-byte big-endian Message-Length, then the message.
 * Pure: the unary fast path reads a request body with {@link readUnaryMessage} and frames its
 * answer with {@link frameMessage}.
 */
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
