/**
 * The `grpc-message` field as gRPC servers put it on the wire. The gRPC HTTP/2 protocol
 * (grpc/grpc doc/PROTOCOL-HTTP2.md, "Status-Message") percent-encodes only bytes outside printable
 * ASCII, and `%` itself, of the message's UTF-8; grpc core (the C++ and Python servers of Triton,
 * Caikit, MLServer, OVMS and TGIS's router) sends exactly that. connect-node encodes more
 * (`encodeURIComponent`: also `=`, `/`, `:`, `;` ...), which clients that decode loosely (grpc-js
 * uses `decodeURI`) then show as `%3D`, `%2F`: the host rewrites the field to the real form.
 */

/** Encodes a status message as gRPC servers do: UTF-8, with bytes outside 0x20-0x7E and `%` as `%XX`. */
export function encodeGrpcMessage(message: string): string {
  let wire = "";
  for (const byte of new TextEncoder().encode(message)) {
    wire +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return wire;
}

/**
 * Rewrites a `grpc-message` value that another encoder produced (any valid percent-encoding) into
 * {@link encodeGrpcMessage}'s form; a value that does not decode is sent as it is.
 */
export function reencodeGrpcMessage(value: string): string {
  try {
    return encodeGrpcMessage(decodeURIComponent(value));
  } catch {
    return value;
  }
}
