import { describe, expect, it } from "vitest";
import { defaultVllmVersion } from "./profiles.js";
import { readVllmSettings } from "./settings.js";

describe("readVllmSettings", () => {
  it("has defaults", () => {
    const s = readVllmSettings({ models: [], values: {} }, {});
    expect(s).toMatchObject({
      model: undefined,
      version: defaultVllmVersion,
      apiKey: undefined,
      generationMode: "text",
      timeToFirstTokenMs: 0,
      interTokenMs: 0,
    });
  });

  // vllm-openai.md §2: --api-key or env VLLM_API_KEY; CLI wins over env.
  it("reads the API key from the flag, else VLLM_API_KEY", () => {
    expect(readVllmSettings({ models: [], values: {} }, { VLLM_API_KEY: "env" }).apiKey).toBe(
      "env",
    );
    expect(
      readVllmSettings({ models: [], values: { "api-key": "cli" } }, { VLLM_API_KEY: "env" })
        .apiKey,
    ).toBe("cli");
  });

  it("takes the first --model as vLLM's --model", () => {
    expect(readVllmSettings({ models: ["/m", "/n"], values: {} }, {}).model).toBe("/m");
  });

  it("rejects unusable values with the option's name", () => {
    const read = (values: Record<string, string>) => () =>
      readVllmSettings({ models: [], values }, {});
    expect(read({ "generation-mode": "poetry" })).toThrow(/--generation-mode/);
    expect(read({ "max-model-len": "-3" })).toThrow(/--max-model-len/);
    expect(read({ "max-model-len": "1.5" })).toThrow(/--max-model-len/);
    expect(read({ "inter-token-latency": "soon" })).toThrow(/--inter-token-latency/);
    expect(read({ "vllm-version": "newest" })).toThrow(/--vllm-version/);
  });
});
