import { describe, expect, it } from "vitest";
import { baseRequestId, uuidHex } from "./request-id.js";

describe("uuidHex", () => {
  it("is uuid.uuid4().hex: 32 lower-case hex digits, version 4, RFC variant", () => {
    // vllm-openai.md line 166: ids are `chatcmpl-<X-Request-Id or 32-hex uuid>`; serving_engine.py
    // random_uuid() is uuid.uuid4().hex (version nibble 4, variant bits 10: RFC 9562 §5.4).
    for (let i = 0; i < 600; i++) {
      expect(uuidHex()).toMatch(/^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
    }
  });

  it("never repeats, across refills of its random pool (256 ids each)", () => {
    const ids = new Set(Array.from({ length: 2000 }, () => uuidHex()));
    expect(ids.size).toBe(2000);
  });
});

describe("baseRequestId", () => {
  it("takes the header (even empty), else a non-empty body id, else a fresh uuid hex", () => {
    // serving_engine.py _base_request_id (vllm-openai.md §1).
    expect(baseRequestId("", "body")).toBe("");
    expect(baseRequestId(undefined, "body")).toBe("body");
    expect(baseRequestId(undefined, "")).toMatch(/^[0-9a-f]{32}$/);
    expect(baseRequestId(undefined, undefined)).toMatch(/^[0-9a-f]{32}$/);
  });
});
