import { describe, expect, it } from "vitest";
import { encodeGrpcMessage, reencodeGrpcMessage } from "./grpc-message.js";

describe("grpc-message encoding (grpc/grpc doc/PROTOCOL-HTTP2.md, Status-Message)", () => {
  it("leaves printable ASCII but % as it is", () => {
    expect(encodeGrpcMessage("Request for unknown model: 'm' is not found")).toBe(
      "Request for unknown model: 'm' is not found",
    );
    expect(encodeGrpcMessage("a=b/c;d:e?f&g")).toBe("a=b/c;d:e?f&g");
  });

  it("percent-encodes %, control characters and UTF-8 bytes", () => {
    expect(encodeGrpcMessage("100%")).toBe("100%25");
    expect(encodeGrpcMessage("a\nb\tc")).toBe("a%0Ab%09c");
    expect(encodeGrpcMessage("é€")).toBe("%C3%A9%E2%82%AC");
  });

  it("rewrites connect's encodeURIComponent form, and keeps what does not decode", () => {
    expect(reencodeGrpcMessage(encodeURIComponent("x=1; y/2 é 5%"))).toBe("x=1; y/2 %C3%A9 5%25");
    expect(reencodeGrpcMessage("bad %E0%A4%A")).toBe("bad %E0%A4%A");
    // Idempotent: an already grpc-encoded value stays the same.
    const once = encodeGrpcMessage("a/b 100% é");
    expect(reencodeGrpcMessage(once)).toBe(once);
  });
});
