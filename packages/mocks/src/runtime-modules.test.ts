import { runtimeCatalog, runtimeNames } from "@servingkit/mock-core";
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

  it("declare options that do not shadow each other across modules", () => {
    const seen = new Map<string, string>();
    for (const module of runtimeModules) {
      for (const name of Object.keys(module.options ?? {})) {
        expect(seen.get(name), `--${name} of ${module.name}`).toBeUndefined();
        seen.set(name, module.name);
      }
    }
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
