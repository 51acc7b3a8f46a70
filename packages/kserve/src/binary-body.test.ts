import { describe, expect, it } from "vitest";
import { binaryTailPadding } from "./binary-body.js";

describe("binaryTailPadding", () => {
  it("puts the bytes after the JSON header on an 8-byte boundary", () => {
    // kserve-v2.md §2: the tensors follow a JSON header of Inference-Header-Content-Length bytes.
    for (const length of [0, 1, 3, 7, 8, 176, 177, 203]) {
      const pad = binaryTailPadding({ "inference-header-content-length": String(length) });
      expect((pad + length) % 8).toBe(0);
      expect(pad).toBeLessThan(8);
    }
  });

  it("is 0 without the header or with a value the route refuses itself", () => {
    expect(binaryTailPadding({})).toBe(0);
    expect(binaryTailPadding({ "inference-header-content-length": "-3" })).toBe(0);
    expect(binaryTailPadding({ "inference-header-content-length": "x" })).toBe(0);
    expect(binaryTailPadding({ "inference-header-content-length": ["8", "3"] })).toBe(0);
  });
});
