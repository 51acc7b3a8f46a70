import { Code } from "./code.js";

/**
 * Which way one row of {@link STATUS_TABLE} is read.
 * - `"both"`: the code's canonical HTTP status, and the status's canonical code.
 * - `"to-http"`: only code -> status (several codes share the status; the status reads back as a
 *   different code).
 * - `"to-code"`: only status -> code (an extra status that proxies and REST servers send for the
 *   code; the code's own canonical status is another row).
 */
export type StatusDirection = "both" | "to-http" | "to-code";

/** One row of the HTTP status <-> gRPC code table. */
export interface StatusRow {
  /** The gRPC code. */
  readonly code: Code;
  /** The HTTP status code. */
  readonly httpStatus: number;
  /** Which way the row is read. */
  readonly direction: StatusDirection;
}

/**
 * The one table that maps HTTP statuses and gRPC codes both ways.
 *
 * Code -> HTTP status: the canonical mapping of `google/rpc/code.proto`, which grpc-gateway
 * (`runtime/errors.go` `HTTPStatusFromCode`), Envoy (`Grpc::Utility::grpcToHttpStatus`) and the
 * Connect protocol all use unchanged; caikit's REST gateway differs only for UNAVAILABLE (501 there,
 * caikit-tgis.md §1.7), which is the server's business, not the client's.
 *
 * HTTP status -> code: the inverse of that mapping (a REST server's 400 means "invalid argument",
 * its 404 "not found"), choosing INVALID_ARGUMENT for 400, ABORTED for 409 (a conflict worth
 * retrying, as openai-node treats it) and INTERNAL for 500. Three extra statuses come from
 * intermediaries: 502 -> UNAVAILABLE as in the gRPC doc `http-grpc-status-mapping.md` and Envoy's
 * `httpToGrpcStatus`; 408 (request timeout) -> DEADLINE_EXCEEDED; 422 (FastAPI/pydantic validation,
 * caikit-tgis.md §1.7) -> INVALID_ARGUMENT. Anything else reads as UNKNOWN, as the gRPC doc says.
 *
 * The gRPC doc's own table (400 -> INTERNAL, 404 -> UNIMPLEMENTED) is meant for a gRPC call that
 * got an HTTP error from a proxy without `grpc-status`; connect-node applies it itself on gRPC
 * calls, so this table serves REST responses.
 */
export const STATUS_TABLE: readonly StatusRow[] = [
  { code: Code.Canceled, httpStatus: 499, direction: "both" },
  { code: Code.Unknown, httpStatus: 500, direction: "to-http" },
  { code: Code.InvalidArgument, httpStatus: 400, direction: "both" },
  { code: Code.DeadlineExceeded, httpStatus: 504, direction: "both" },
  { code: Code.NotFound, httpStatus: 404, direction: "both" },
  { code: Code.AlreadyExists, httpStatus: 409, direction: "to-http" },
  { code: Code.PermissionDenied, httpStatus: 403, direction: "both" },
  { code: Code.ResourceExhausted, httpStatus: 429, direction: "both" },
  { code: Code.FailedPrecondition, httpStatus: 400, direction: "to-http" },
  { code: Code.Aborted, httpStatus: 409, direction: "both" },
  { code: Code.OutOfRange, httpStatus: 400, direction: "to-http" },
  { code: Code.Unimplemented, httpStatus: 501, direction: "both" },
  { code: Code.Internal, httpStatus: 500, direction: "both" },
  { code: Code.Unavailable, httpStatus: 503, direction: "both" },
  { code: Code.DataLoss, httpStatus: 500, direction: "to-http" },
  { code: Code.Unauthenticated, httpStatus: 401, direction: "both" },
  { code: Code.Unavailable, httpStatus: 502, direction: "to-code" },
  { code: Code.DeadlineExceeded, httpStatus: 408, direction: "to-code" },
  { code: Code.InvalidArgument, httpStatus: 422, direction: "to-code" },
];

const httpStatusByCode = new Map<Code, number>(
  STATUS_TABLE.filter((row) => row.direction !== "to-code").map((row) => [
    row.code,
    row.httpStatus,
  ]),
);

const codeByHttpStatus = new Map<number, Code>(
  STATUS_TABLE.filter((row) => row.direction !== "to-http").map((row) => [
    row.httpStatus,
    row.code,
  ]),
);

/**
 * The HTTP status a gRPC code stands for (`Code.NotFound` -> 404), from {@link STATUS_TABLE}.
 * Mock hosts use it to answer a REST request with the status matching an error's code.
 */
export function httpStatusFromCode(code: Code): number {
  return httpStatusByCode.get(code) ?? 500;
}

/**
 * The gRPC code an HTTP status stands for (404 -> `Code.NotFound`), from {@link STATUS_TABLE};
 * statuses the table does not list read as `Code.Unknown`.
 */
export function codeFromHttpStatus(status: number): Code {
  return codeByHttpStatus.get(status) ?? Code.Unknown;
}

/**
 * The code a gRPC client reports when a gRPC call is answered with an HTTP error status and no
 * `grpc-status` (an intermediary such as a proxy answered, not the server): 400 -> INTERNAL,
 * 401 -> UNAUTHENTICATED, 403 -> PERMISSION_DENIED, 404 -> UNIMPLEMENTED, 429/502/503/504 ->
 * UNAVAILABLE, anything else -> UNKNOWN. This is not the inverse of {@link httpStatusFromCode}; it
 * is the table of gRPC's `doc/http-grpc-status-mapping.md`, which grpc-js, connect and Envoy
 * (`Grpc::Utility::httpToGrpcStatus`, for its local replies to gRPC requests) all apply.
 */
export function codeFromGrpcHttpStatus(status: number): Code {
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
