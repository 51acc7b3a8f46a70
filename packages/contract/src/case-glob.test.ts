import { describe, expect, it } from "vitest";
import { compileCaseGlobs, compileCaseSelection } from "./case-glob.js";

describe("compileCaseGlobs", () => {
  const names = [
    "triton/health/rest-live",
    "triton/health/rest-ready",
    "triton/auth/grpc-missing-token",
    "caikit-tgis/auth/grpc-missing-token",
    "caikit-tgis/health/rest-health",
  ];

  it("keeps * inside one segment and lets ** span segments", () => {
    expect(names.filter(compileCaseGlobs(["triton/*"]))).toEqual([]);
    expect(names.filter(compileCaseGlobs(["triton/**"]))).toEqual(names.slice(0, 3));
    expect(names.filter(compileCaseGlobs(["*/auth/*"]))).toEqual([
      "triton/auth/grpc-missing-token",
      "caikit-tgis/auth/grpc-missing-token",
    ]);
  });

  it("matches exact names, braces and any of several globs", () => {
    expect(names.filter(compileCaseGlobs(["triton/health/rest-live"]))).toEqual([
      "triton/health/rest-live",
    ]);
    expect(names.filter(compileCaseGlobs(["triton/health/rest-{live,ready}"]))).toHaveLength(2);
    expect(names.filter(compileCaseGlobs(["caikit-tgis/health/*", "triton/auth/*"]))).toEqual([
      "triton/auth/grpc-missing-token",
      "caikit-tgis/health/rest-health",
    ]);
  });

  it("matches nothing for an empty list and rejects a blank glob", () => {
    expect(names.filter(compileCaseGlobs([]))).toEqual([]);
    expect(() => compileCaseGlobs(["  "])).toThrow(/empty case glob/);
  });
});

describe("compileCaseSelection", () => {
  it("selects everything by default and applies exclude after include", () => {
    const all = compileCaseSelection();
    expect(all("vllm/health/rest-health")).toBe(true);
    const some = compileCaseSelection(["**/health/*"], ["vllm/**"]);
    expect(some("triton/health/rest-live")).toBe(true);
    expect(some("vllm/health/rest-health")).toBe(false);
    expect(some("triton/auth/rest-wrong-token")).toBe(false);
  });
});
