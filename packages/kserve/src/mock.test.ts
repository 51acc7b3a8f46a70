import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { isRuntimeName, type RuntimeOptionValues } from "@servingkit/mock-core";
import { afterEach, describe, expect, it } from "vitest";
import type { KserveRuntime } from "./mock/profiles.js";
import { closeAll, startKserve } from "./mock/test-mocks.js";
import { kserveMockModule, profiles, selectModels } from "./mock.js";

const testdata = (name: string) =>
  fileURLToPath(new URL(`./mock/testdata/${name}`, import.meta.url));

afterEach(closeAll);

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

describe("defaultModels: the names the CLI's ready line shows", () => {
  const names = (runtime: KserveRuntime, values: RuntimeOptionValues = {}, models: string[] = []) =>
    kserveMockModule.defaultModels?.({ runtime, models, values });

  it("the built-ins in the profile's order; --model names as given", () => {
    // Every KServe v2 URL names a model (kserve-v2.md §1: /v2/models/${MODEL_NAME}/infer).
    expect(names("triton")?.slice(0, 3)).toEqual(["simple", "simple_string", "identity_bool"]);
    // The vLLM backend's sample model comes last (vllm_backend samples/model_repository).
    expect(names("triton")).toHaveLength(17);
    expect(names("triton")?.at(-1)).toBe("vllm_model");
    expect(names("mlserver")?.[0]).toBe("iris");
    expect(names("ovms")?.[0]).toBe("resnet");
    expect(names("triton", {}, ["simple", "my-model"])).toEqual(["simple", "my-model"]);
  });

  it("a repository's models; explicit model control lists every one (a load request names them)", () => {
    // testdata/triton-repo holds one model folder; a Triton folder with no version folder would
    // stop the start (model_lifecycle.cc AsyncLoad: "at least one version must be available under
    // the version policy of model '<m>'"; version-policy.test.ts pins it).
    expect(names("triton", { "model-repository": testdata("triton-repo") })).toEqual([
      "densenet_onnx",
    ]);
    expect(names("mlserver", { "model-repository": testdata("mlserver-repo") })).toEqual([
      "mnist-svm",
    ]);
    expect(names("ovms", { "model-repository": testdata("ovms-repo") })).toEqual([
      "face-detection",
      "age-gender",
    ]);
    expect(names("triton", { "model-control-mode": "explicit" })).toEqual(names("triton"));
    expect(() => names("triton", { "model-repository": "/nonexistent" })).toThrow(/ENOENT/);
  });

  it("behind ModelMesh: the names clients send, not the runtime's internal ids", () => {
    // kserve-v2.md §3.4: clients name the InferenceService; `<name>__ksp-<hex>` stays inside.
    expect(names("ovms", { modelmesh: true })?.[0]).toBe("resnet");
  });

  for (const runtime of ["triton", "mlserver", "ovms"] as const) {
    it(`${runtime}: every name shown is served (model ready 200 over fetch)`, async () => {
      const mock = await startKserve(runtime);
      const shown = names(runtime) ?? [];
      const statuses = await Promise.all(
        shown.map(async (m) => (await fetch(`${mock.endpoints.http}/v2/models/${m}/ready`)).status),
      );
      expect(statuses).toEqual(shown.map(() => 200));
    });
  }

  it("--modelmesh: every name shown answers model metadata through the REST proxy", async () => {
    const mock = await startKserve("triton", { modelmesh: true });
    const shown = names("triton", { modelmesh: true }) ?? [];
    const statuses = await Promise.all(
      shown.map(async (m) => (await fetch(`${mock.endpoints.http}/v2/models/${m}`)).status),
    );
    expect(statuses).toEqual(shown.map(() => 200));
  });
});
