import { describe, expect, it } from "vitest";
import { Code } from "./code.js";
import {
  codeFromGrpcHttpStatus,
  codeFromHttpStatus,
  httpStatusFromCode,
  STATUS_TABLE,
} from "./status-mapping.js";

describe("httpStatusFromCode", () => {
  // google/rpc/code.proto, grpc-gateway runtime/errors.go HTTPStatusFromCode, Envoy
  // Grpc::Utility::grpcToHttpStatus: the same 16 rows.
  it.each([
    [Code.Canceled, 499],
    [Code.Unknown, 500],
    [Code.InvalidArgument, 400],
    [Code.DeadlineExceeded, 504],
    [Code.NotFound, 404],
    [Code.AlreadyExists, 409],
    [Code.PermissionDenied, 403],
    [Code.ResourceExhausted, 429],
    [Code.FailedPrecondition, 400],
    [Code.Aborted, 409],
    [Code.OutOfRange, 400],
    [Code.Unimplemented, 501],
    [Code.Internal, 500],
    [Code.Unavailable, 503],
    [Code.DataLoss, 500],
    [Code.Unauthenticated, 401],
  ])("maps code %i to HTTP %i", (code, status) => {
    expect(httpStatusFromCode(code)).toBe(status);
  });

  it("covers every code exactly once in the code -> status direction", () => {
    const codes = STATUS_TABLE.filter((row) => row.direction !== "to-code").map((row) => row.code);
    expect(new Set(codes).size).toBe(16);
    expect(codes).toHaveLength(16);
  });
});

describe("codeFromHttpStatus", () => {
  it.each([
    [400, Code.InvalidArgument],
    [401, Code.Unauthenticated],
    [403, Code.PermissionDenied],
    [404, Code.NotFound],
    [409, Code.Aborted],
    [429, Code.ResourceExhausted],
    [499, Code.Canceled],
    [500, Code.Internal],
    [501, Code.Unimplemented],
    [503, Code.Unavailable],
    [504, Code.DeadlineExceeded],
    // gRPC doc http-grpc-status-mapping.md and Envoy httpToGrpcStatus: 502 -> UNAVAILABLE.
    [502, Code.Unavailable],
    [408, Code.DeadlineExceeded],
    // caikit-tgis.md §1.7: FastAPI/pydantic validation failures are 422.
    [422, Code.InvalidArgument],
  ])("maps HTTP %i to code %i", (status, code) => {
    expect(codeFromHttpStatus(status)).toBe(code);
  });

  it("reads statuses the table does not list as UNKNOWN, as the gRPC doc says", () => {
    for (const status of [200, 302, 405, 415, 418, 505, 599]) {
      expect(codeFromHttpStatus(status)).toBe(Code.Unknown);
    }
  });

  it("round-trips every row read both ways", () => {
    for (const row of STATUS_TABLE.filter((entry) => entry.direction === "both")) {
      expect(codeFromHttpStatus(httpStatusFromCode(row.code))).toBe(row.code);
      expect(httpStatusFromCode(codeFromHttpStatus(row.httpStatus))).toBe(row.httpStatus);
    }
  });

  it("has one code per status in the status -> code direction", () => {
    const statuses = STATUS_TABLE.filter((row) => row.direction !== "to-http").map(
      (row) => row.httpStatus,
    );
    expect(new Set(statuses).size).toBe(statuses.length);
  });
});

describe("codeFromGrpcHttpStatus", () => {
  // gRPC doc/http-grpc-status-mapping.md; Envoy source/common/grpc/status.cc httpToGrpcStatus.
  it.each([
    [400, Code.Internal],
    [401, Code.Unauthenticated],
    [403, Code.PermissionDenied],
    [404, Code.Unimplemented],
    [429, Code.Unavailable],
    [502, Code.Unavailable],
    [503, Code.Unavailable],
    [504, Code.Unavailable],
    [500, Code.Unknown],
    [418, Code.Unknown],
  ])("reads HTTP %i on a gRPC call as code %i", (status, code) => {
    expect(codeFromGrpcHttpStatus(status)).toBe(code);
  });
});
