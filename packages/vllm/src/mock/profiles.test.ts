import { describe, expect, it } from "vitest";
import { defaultVllmVersion, parseVersion, profileFor } from "./profiles.js";

describe("profileFor", () => {
  // vllm-openai.md §3: flat envelope up to 0.10.0, nested from 0.10.1 (vLLM PR #22099).
  it("switches the envelope at 0.10.1", () => {
    expect(profileFor("0.10.0").envelope).toBe("flat");
    expect(profileFor("0.6.3").envelope).toBe("flat");
    expect(profileFor("0.10.1").envelope).toBe("nested");
    expect(profileFor("0.10.1.1").envelope).toBe("nested");
  });

  // vllm-openai.md §3.1: era A ≤ ≈0.10.1, era B ≈0.10.2-0.11, era C ≈0.12+.
  it("picks the context-length era", () => {
    expect(profileFor("0.10.1").contextLength).toBe("a");
    expect(profileFor("v0.10.2").contextLength).toBe("b");
    expect(profileFor("0.11.0rc1").contextLength).toBe("b");
    expect(profileFor("0.12.0").contextLength).toBe("c");
    expect(profileFor("1.0").contextLength).toBe("c");
  });

  it("defaults to a version it can read", () => {
    expect(parseVersion(defaultVllmVersion)).toBeDefined();
  });

  it("rejects what is not a version, naming the option", () => {
    expect(() => profileFor("latest")).toThrow(/--vllm-version: 'latest'/);
  });
});
