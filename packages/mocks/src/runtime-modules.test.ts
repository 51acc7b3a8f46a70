import {
  gpuEngineOptions,
  type RuntimeOption,
  runtimeCatalog,
  runtimeNames,
  tgisGpuEngineOptions,
} from "@servingkit/mock-core";
import { describe, expect, it } from "vitest";
import { runtimeModule, runtimeModules } from "./runtime-modules.js";
import { buildRuntimeMock } from "./start-runtime-mock.js";

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
        expect(answer.statusCode, `${runtimeModule(runtime).name}: ${route.path}`).toBe(
          route.ready.status,
        );
      } finally {
        await mock.close();
      }
    }
  });
});
