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

describe("the releases after 0.18", () => {
  // vLLM v0.19.0 release notes (2026-04-03) and v0.18.1 (2026-03-31, a patch release: MLA backend,
  // FlashInfer headers, DeepGEMM accuracy): nothing on the API surface the profile models.
  it("answers 0.18.1 and 0.19.x as 0.18.0", () => {
    for (const version of ["0.18.1", "0.19.0", "v0.19.1", "0.19.1rc0"]) {
      expect(profileFor(version)).toBe(profileFor("0.18.0"));
    }
  });

  // vLLM v0.20.0 release notes: "@noobHappylife made their first contribution in
  // https://github.com/vllm-project/vllm/pull/38519" (Fix Responses JSON schema alias
  // serialization), so 0.20.0 is the first release printing `schema`; 0.19.x still `schema_`.
  it("prints the Responses schema under its alias from 0.20.0", () => {
    expect(profileFor("0.19.1").responses?.textByAlias).toBe(false);
    expect(profileFor("0.20.0").responses?.textByAlias).toBe(true);
    expect(profileFor("0.20.2").responses?.textByAlias).toBe(true);
    expect(profileFor("0.21.0").responses?.textByAlias).toBe(true);
  });

  // vLLM v0.20.0 release notes: "Labeled waiting-breakdown (capacity/deferred) metric (#38435)".
  it("exports the waiting breakdown from 0.20.0", () => {
    expect(profileFor("0.19.1").metrics.waitingByReason).toBe(false);
    expect(profileFor("0.20.0").metrics.waitingByReason).toBe(true);
    expect(profileFor("0.12.0").metrics.waitingByReason).toBe(false);
  });

  // Only textByAlias, the Responses penalties (vllm PR #38613), toolChoiceChecked (vllm PR
  // #40399) and waitingByReason differ
  // between 0.18.0 and 0.20.0 (v0_20 in profiles.ts): every other field, Responses and metrics
  // field is 0.18.0's.
  it("keeps every other 0.18.0 value in 0.20.0", () => {
    const before = profileFor("0.18.0");
    const after = profileFor("0.20.0");
    expect(after.since).toBe("0.20.0");
    expect({
      ...after,
      since: before.since,
      responses: before.responses,
      metrics: before.metrics,
    }).toEqual(before);
    expect({
      ...after.responses,
      textByAlias: false,
      penalties: "repetition",
      toolChoiceChecked: undefined,
    }).toEqual(before.responses);
    expect({ ...after.metrics, waitingByReason: false }).toEqual(before.metrics);
  });

  it("leaves the default release at 0.12.0", () => {
    expect(defaultVllmVersion).toBe("0.12.0");
  });
});
