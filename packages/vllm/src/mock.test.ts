import { readFileSync } from "node:fs";
import { isRuntimeName } from "@servingkit/mock-core";
import { describe, expect, it } from "vitest";
import { vllmMockModule } from "./mock.js";

describe("vllmMockModule", () => {
  it("serves exactly its runtimes", () => {
    expect([...vllmMockModule.runtimes].sort()).toEqual(["vllm"].sort());
    for (const runtime of vllmMockModule.runtimes) expect(isRuntimeName(runtime)).toBe(true);
  });

  it("names the model id clients send, for the CLI's ready line (vllm-openai.md §0)", () => {
    // vLLM serves --served-model-name, else its --model value; with neither, our built-in model.
    const names = (models: string[], values: Record<string, string> = {}) =>
      vllmMockModule.defaultModels?.({ runtime: "vllm", models, values });
    expect(names([])).toEqual(["servingkit-mock"]);
    expect(names(["/mnt/models"])).toEqual(["/mnt/models"]);
    expect(names(["/mnt/models"], { "served-model-name": "granite" })).toEqual(["granite"]);
  });

  it("keeps the client entry free of mock code (docs/decisions/0002)", () => {
    const entry = readFileSync(new URL("./index.ts", import.meta.url), "utf8");
    expect(entry).not.toMatch(/from\s+["']\.\/mock/);
    expect(entry).not.toMatch(/@servingkit\/mock-core/);
  });
});
