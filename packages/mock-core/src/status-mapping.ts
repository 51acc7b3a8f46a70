/**
 * The two status tables every proxy and client in front of a runtime applies, so a fault or an
 * auth denial given in one protocol's terms reads right in the other's.
 *
 * Source: envoyproxy/envoy source/common/grpc/status.cc `Utility::httpToGrpcStatus` (from gRPC's
 * doc/http-grpc-status-mapping.md) and `Utility::grpcToHttpStatus` (Google API design guide).
 */
import { Code } from "@connectrpc/connect";

/**
 * The gRPC code a gRPC-aware intermediary (envoy) or client (grpc-js, connect) reports for an HTTP
 * status answered to a gRPC request: 400→INTERNAL, 401→UNAUTHENTICATED, 403→PERMISSION_DENIED,
 * 404→UNIMPLEMENTED, 429/502/503/504→UNAVAILABLE, anything else→UNKNOWN.
 */
export function grpcCodeForHttpStatus(status: number): Code {
  switch (status) {
    case 400:
      return Code.Internal;
    case 401:
      return Code.Unauthenticated;
    case 403:
      return Code.PermissionDenied;
    case 404:
      return Code.Unimplemented;
    case 429:
    case 502:
    case 503:
    case 504:
      return Code.Unavailable;
    default:
      return Code.Unknown;
  }
}

const httpStatusByCode: Readonly<Record<Code, number>> = {
  [Code.Canceled]: 499,
  [Code.Unknown]: 500,
  [Code.InvalidArgument]: 400,
  [Code.DeadlineExceeded]: 504,
  [Code.NotFound]: 404,
  [Code.AlreadyExists]: 409,
  [Code.PermissionDenied]: 403,
  [Code.ResourceExhausted]: 429,
  [Code.FailedPrecondition]: 400,
  [Code.Aborted]: 409,
  [Code.OutOfRange]: 400,
  [Code.Unimplemented]: 501,
  [Code.Internal]: 500,
  [Code.Unavailable]: 503,
  [Code.DataLoss]: 500,
  [Code.Unauthenticated]: 401,
};

/** The canonical HTTP status for a gRPC code (UNAVAILABLE→503, NOT_FOUND→404, ...). */
export function httpStatusForGrpcCode(code: Code): number {
  return httpStatusByCode[code] ?? 500;
}

const codeNames: readonly string[] = [
  "OK",
  "CANCELLED",
  "UNKNOWN",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "ABORTED",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "UNAUTHENTICATED",
];

/** The canonical upper-snake name of a gRPC code as the gRPC docs spell it (`UNAVAILABLE`). */
export function grpcCodeName(code: Code): string {
  return codeNames[code] ?? String(code);
}

/**
 * Reads a gRPC code given by name (`UNAVAILABLE`, `unavailable`, `Unavailable`, `CANCELED` too) or
 * by number (`14`). Returns undefined for OK (0), which is not an error, and for anything unknown.
 */
export function parseGrpcCode(text: string): Code | undefined {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) {
    const n = Number(trimmed);
    return n >= 1 && n <= 16 ? (n as Code) : undefined;
  }
  const name = trimmed
    .replace(/([a-z])([A-Z])/g, "$1_$2")
    .replace(/-/g, "_")
    .toUpperCase();
  const index = codeNames.indexOf(name === "CANCELED" ? "CANCELLED" : name);
  return index >= 1 ? (index as Code) : undefined;
}
