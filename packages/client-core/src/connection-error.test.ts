import { ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { Code } from "./code.js";
import { connectionError, grpcCallError, isTlsFailure } from "./connection-error.js";
import { ServingkitError } from "./servingkit-error.js";

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe("connectionError", () => {
  it("is UNAVAILABLE, retryable, and names the cause (undici's fetch failed)", () => {
    const thrown = new TypeError("fetch failed", {
      cause: withCode("connect ECONNREFUSED 127.0.0.1:9", "ECONNREFUSED"),
    });
    const error = connectionError(thrown);
    expect(error.code).toBe(Code.Unavailable);
    expect(error.retryable).toBe(true);
    expect(error.rawMessage).toBe(
      "connection error: fetch failed: connect ECONNREFUSED 127.0.0.1:9",
    );
    expect(error.cause).toBe(thrown);
    const own = new ServingkitError("x", Code.Internal);
    expect(connectionError(own)).toBe(own);
    expect(connectionError("odd").rawMessage).toBe("connection error: odd");
  });
});

describe("isTlsFailure", () => {
  it.each([
    "DEPTH_ZERO_SELF_SIGNED_CERT",
    "SELF_SIGNED_CERT_IN_CHAIN",
    "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    "CERT_HAS_EXPIRED",
    "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
    "INVALID_CA",
    "HOSTNAME_MISMATCH",
    "ERR_TLS_CERT_ALTNAME_INVALID",
    "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED",
  ])("recognises %s, also deep in the cause chain", (code) => {
    expect(isTlsFailure(withCode("x", code))).toBe(true);
    expect(
      isTlsFailure(new Error("outer", { cause: new Error("mid", { cause: withCode("x", code) }) })),
    ).toBe(true);
  });

  it("does not take other failures for TLS ones", () => {
    for (const code of ["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "ERR_HTTP2_STREAM_ERROR"]) {
      expect(isTlsFailure(withCode("x", code)), code).toBe(false);
    }
    expect(isTlsFailure(undefined)).toBe(false);
    expect(isTlsFailure("text")).toBe(false);
  });
});

describe("grpcCallError", () => {
  it("turns connect-node's local INTERNAL for a failed handshake into UNAVAILABLE", () => {
    const cause = withCode("self-signed certificate", "DEPTH_ZERO_SELF_SIGNED_CERT");
    const thrown = new ConnectError(
      "self-signed certificate",
      Code.Internal,
      undefined,
      undefined,
      cause,
    );
    const error = grpcCallError(thrown);
    expect(error.code).toBe(Code.Unavailable);
    expect(error.rawMessage).toBe("connection error: self-signed certificate");
  });

  it("keeps a server's INTERNAL, and every other code", () => {
    const wire = new ConnectError(
      "boom",
      Code.Internal,
      undefined,
      undefined,
      withCode("x", "CERT_X"),
    );
    wire.isWireError = true;
    expect(grpcCallError(wire).code).toBe(Code.Internal);
    expect(grpcCallError(new ConnectError("plain", Code.Internal)).code).toBe(Code.Internal);
    expect(grpcCallError(new ConnectError("nope", Code.NotFound)).code).toBe(Code.NotFound);
  });
});
