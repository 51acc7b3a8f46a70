import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import {
  grpcCodeForHttpStatus,
  grpcCodeName,
  httpStatusForGrpcCode,
  parseGrpcCode,
} from "./status-mapping.js";

describe("status mapping (envoy source/common/grpc/status.cc)", () => {
  it("HTTP → gRPC as gRPC's http-grpc-status-mapping.md says", () => {
    const table: [number, Code][] = [
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
    ];
    for (const [status, code] of table)
      expect(grpcCodeForHttpStatus(status), String(status)).toBe(code);
  });

  it("gRPC → HTTP as the Google API design guide says", () => {
    const table: [Code, number][] = [
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
    ];
    for (const [code, status] of table)
      expect(httpStatusForGrpcCode(code), grpcCodeName(code)).toBe(status);
  });

  it("names and parses codes", () => {
    expect(grpcCodeName(Code.Unavailable)).toBe("UNAVAILABLE");
    expect(grpcCodeName(Code.Canceled)).toBe("CANCELLED");
    expect(parseGrpcCode("16")).toBe(Code.Unauthenticated);
    expect(parseGrpcCode("DeadlineExceeded")).toBe(Code.DeadlineExceeded);
    expect(parseGrpcCode("0")).toBeUndefined();
    expect(parseGrpcCode("OK")).toBeUndefined();
    expect(parseGrpcCode("nope")).toBeUndefined();
  });
});
