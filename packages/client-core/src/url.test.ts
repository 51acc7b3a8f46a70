import { describe, expect, it } from "vitest";
import { joinUrl } from "./url.js";

describe("joinUrl", () => {
  it("appends the path to the base, keeping a prefix, with one slash", () => {
    expect(joinUrl("http://h:8080", "/v1/models")).toBe("http://h:8080/v1/models");
    expect(joinUrl("http://h:8080/", "v1/models")).toBe("http://h:8080/v1/models");
    expect(joinUrl("https://h/prefix/", "/v2/health/ready")).toBe(
      "https://h/prefix/v2/health/ready",
    );
  });

  it("uses an absolute URL path as it is", () => {
    expect(joinUrl("http://h", "https://other/x")).toBe("https://other/x");
  });

  it("appends query parameters, repeating arrays and skipping nulls", () => {
    // caikit-tgis.md §1.6: GET /info/models?model_ids=a&model_ids=b
    expect(joinUrl("http://h", "/info/models", { model_ids: ["a", "b"], skip: null })).toBe(
      "http://h/info/models?model_ids=a&model_ids=b",
    );
    expect(joinUrl("http://h", "/x?a=1", { b: 2, c: true })).toBe("http://h/x?a=1&b=2&c=true");
    expect(joinUrl("http://h", "/x", {})).toBe("http://h/x");
  });
});
