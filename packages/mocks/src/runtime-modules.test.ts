import { gpuEngineOptions, tgisGpuEngineOptions } from "@servingkit/mock-core/gpu";
import {
  type RuntimeName,
  type RuntimeOption,
  runtimeCatalog,
  runtimeNames,
} from "@servingkit/mock-core/host";
import { describe, expect, it } from "vitest";
import {
  familyRuntimes,
  loadRuntimeModule,
  loadRuntimeModules,
  loadRuntimeModulesFor,
} from "./runtime-modules.js";
import { buildRuntimeMock } from "./start-runtime-mock.js";

const runtimeModules = await loadRuntimeModules();

describe("runtime modules", () => {
  it("serve every runtime exactly once", () => {
    for (const runtime of runtimeNames) {
      const serving = runtimeModules.filter((m) => m.runtimes.includes(runtime));
      expect(
        serving.map((m) => m.name),
        runtime,
      ).toHaveLength(1);
    }
    const served = runtimeModules.flatMap((m) => m.runtimes).sort();
    expect(served).toEqual([...runtimeNames].sort());
  });

  it("list each family's runtimes as its loaded module declares them", async () => {
    expect(familyRuntimes).toEqual(runtimeModules.map((m) => m.runtimes));
    for (const runtime of runtimeNames) {
      const module = await loadRuntimeModule(runtime);
      expect(module.runtimes, runtime).toContain(runtime);
      // The same object as the full list holds: one module per family, loaded once.
      expect(runtimeModules, runtime).toContain(module);
    }
  });

  it("load each needed family once, in the catalogue's order", async () => {
    const loaded = await loadRuntimeModulesFor(["ovms", "triton", "vllm"]);
    expect(loaded.map((m) => m.name)).toEqual(
      runtimeModules
        .filter((m) => m.name === "vllm" || m.runtimes.includes("triton"))
        .map((m) => m.name),
    );
    expect(await loadRuntimeModulesFor([])).toEqual([]);
  });

  it("refuse an unknown runtime with its name", async () => {
    await expect(loadRuntimeModule("nope" as RuntimeName)).rejects.toThrow(
      /unknown runtime 'nope'/,
    );
  });

  it("share an option name only by sharing its definition (the simulated GPU's flags)", () => {
    const seen = new Map<string, RuntimeOption>();
    for (const module of runtimeModules) {
      for (const [name, option] of Object.entries(module.options ?? {})) {
        const earlier = seen.get(name);
        if (earlier !== undefined) expect(option, `--${name} of ${module.name}`).toBe(earlier);
        seen.set(name, option);
      }
    }
    // vLLM, TGIS and Caikit TGIS take the GPU engine's options (issue 7), but vLLM alone its
    // speculative-decoding flags: IBM TGIS drafts with its own speculator (SPECULATOR_NAME).
    for (const name of Object.keys(gpuEngineOptions)) {
      const declaring = runtimeModules.filter((m) => m.options?.[name] !== undefined);
      const expected = name in tgisGpuEngineOptions ? ["caikit", "tgis", "vllm"] : ["vllm"];
      expect(declaring.map((m) => m.name).sort(), name).toEqual(expected);
    }
    expect(Object.keys(gpuEngineOptions).length).toBeGreaterThan(
      Object.keys(tgisGpuEngineOptions).length,
    );
  });

  it("start each runtime with the host's health routes under its module's plugins", async () => {
    for (const runtime of runtimeNames) {
      const mock = await buildRuntimeMock({ runtime, logger: false });
      try {
        const route = runtimeCatalog[runtime].healthRoutes[0]!;
        const answer = await mock.http.inject({ method: "GET", url: route.path });
        expect(answer.statusCode, `${runtime}: ${route.path}`).toBe(route.ready.status);
      } finally {
        await mock.close();
      }
    }
  });
});
