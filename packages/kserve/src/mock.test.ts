import { readFileSync } from "node:fs";
import { isRuntimeName } from "@servingkit/mock-core";
import { describe, expect, it } from "vitest";
import { kserveMockModule, profiles, selectModels } from "./mock.js";

describe("kserveMockModule", () => {
  it("serves exactly its runtimes", () => {
    expect([...kserveMockModule.runtimes].sort()).toEqual(["ovms", "triton", "mlserver"].sort());
    for (const runtime of kserveMockModule.runtimes) expect(isRuntimeName(runtime)).toBe(true);
  });

  it("keeps the client entry free of mock code (docs/decisions/0002)", () => {
    const entry = readFileSync(new URL("./index.ts", import.meta.url), "utf8");
    expect(entry).not.toMatch(/from\s+["']\.\/mock/);
    expect(entry).not.toMatch(/@servingkit\/mock-core/);
  });

  it("--model: named built-ins, other names as FP32 identities, all built-ins by default", () => {
    expect(selectModels(profiles.triton, []).map((m) => m.name)).toContain("simple");
    const chosen = selectModels(profiles.triton, ["simple", "my-model"]);
    expect(chosen.map((m) => m.name)).toEqual(["simple", "my-model"]);
    expect(chosen[1]?.inputs).toEqual([{ name: "INPUT0", datatype: "FP32", dims: [-1, -1] }]);
  });
});
