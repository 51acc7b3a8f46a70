import { describe, expect, it } from "vitest";
import { Code, codeFromName, codeName, grpcStatusName, parseCode } from "./code.js";

describe("codeName", () => {
  // connect-es names codes in snake_case in its messages ("[deadline_exceeded] ..."); so do we.
  it.each([
    [Code.Canceled, "canceled"],
    [Code.Unknown, "unknown"],
    [Code.InvalidArgument, "invalid_argument"],
    [Code.DeadlineExceeded, "deadline_exceeded"],
    [Code.NotFound, "not_found"],
    [Code.AlreadyExists, "already_exists"],
    [Code.PermissionDenied, "permission_denied"],
    [Code.ResourceExhausted, "resource_exhausted"],
    [Code.FailedPrecondition, "failed_precondition"],
    [Code.Aborted, "aborted"],
    [Code.OutOfRange, "out_of_range"],
    [Code.Unimplemented, "unimplemented"],
    [Code.Internal, "internal"],
    [Code.Unavailable, "unavailable"],
    [Code.DataLoss, "data_loss"],
    [Code.Unauthenticated, "unauthenticated"],
  ])("names %i %s, and reads the name back", (code, name) => {
    expect(codeName(code)).toBe(name);
    expect(codeFromName(name)).toBe(code);
  });

  it("keeps the gRPC numbering (UNAVAILABLE is 14, UNAUTHENTICATED 16)", () => {
    expect(Code.Unavailable).toBe(14);
    expect(Code.Unauthenticated).toBe(16);
  });

  it("names a number outside the set without throwing, and rejects unknown names", () => {
    expect(codeName(99 as Code)).toBe("code_99");
    expect(codeFromName("ok")).toBeUndefined();
    expect(codeFromName("Unavailable")).toBeUndefined();
  });
});

describe("grpcStatusName and parseCode", () => {
  it("spells codes as the gRPC specification does", () => {
    expect(grpcStatusName(Code.Unavailable)).toBe("UNAVAILABLE");
    expect(grpcStatusName(Code.DeadlineExceeded)).toBe("DEADLINE_EXCEEDED");
    expect(grpcStatusName(Code.Canceled)).toBe("CANCELLED");
    expect(grpcStatusName(0)).toBe("OK");
  });

  it("reads any spelling a person types, and numbers", () => {
    for (const text of ["UNAVAILABLE", "unavailable", "Unavailable", " 14 "]) {
      expect(parseCode(text), text).toBe(Code.Unavailable);
    }
    expect(parseCode("DeadlineExceeded")).toBe(Code.DeadlineExceeded);
    expect(parseCode("deadline-exceeded")).toBe(Code.DeadlineExceeded);
    expect(parseCode("CANCELED")).toBe(Code.Canceled);
    expect(parseCode("CANCELLED")).toBe(Code.Canceled);
    expect(parseCode("16")).toBe(Code.Unauthenticated);
    for (let code = 1; code <= 16; code++) expect(parseCode(grpcStatusName(code))).toBe(code);
  });

  it("refuses OK and anything that is not a code", () => {
    for (const text of ["0", "OK", "17", "nope", ""]) expect(parseCode(text), text).toBeUndefined();
  });
});
