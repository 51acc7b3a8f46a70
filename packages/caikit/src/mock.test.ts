import { readFileSync } from "node:fs";
import { createRequestLogger, isRuntimeName, startMock } from "@servingkit/mock-core/host";
import { describe, expect, it } from "vitest";
import { caikitMockModule } from "./mock.js";

describe("caikitMockModule", () => {
  it("serves exactly its runtimes", () => {
    expect([...caikitMockModule.runtimes].sort()).toEqual(
      ["caikit-tgis", "caikit-standalone"].sort(),
    );
    for (const runtime of caikitMockModule.runtimes) expect(isRuntimeName(runtime)).toBe(true);
  });

  it("keeps the client entry free of mock code (docs/decisions/0002)", () => {
    const entry = readFileSync(new URL("./index.ts", import.meta.url), "utf8");
    expect(entry).not.toMatch(/from\s+["']\.\/mock/);
    expect(entry).not.toMatch(/@servingkit\/mock-core/);
  });
});

describe("caikitMockModule settings", () => {
  it("names the model ids clients must send (the ready line's)", () => {
    // Issue 5: the default id is printed in the ready line; --model ids replace it.
    expect(
      caikitMockModule.defaultModels?.({ runtime: "caikit-tgis", models: [], values: {} }),
    ).toEqual(["flan-t5-small-caikit"]);
    expect(
      caikitMockModule.defaultModels?.({
        runtime: "caikit-standalone",
        models: ["m"],
        values: { "text-classification-model": ["c"] },
      }),
    ).toEqual(["m", "c"]);
  });

  // Caikit TGIS's TGIS speculates with IBM's MLP speculator (SPECULATOR_NAME,
  // server/text_generation_server/models/paged_causal_lm.py), not vLLM's --speculative-config.
  it("offers the GPU engine options without vLLM's speculative decoding flags", () => {
    const options = caikitMockModule.options ?? {};
    expect(options.gpu).toBeDefined();
    expect(options["speculative-config"]).toBeUndefined();
    expect(options["speculative-acceptance-rate"]).toBeUndefined();
  });

  it("refuses --gpu for Caikit Standalone, whose models run in process without TGIS", async () => {
    // caikit-tgis.md: Standalone has no TGIS behind it, so there is no engine to simulate.
    await expect(
      caikitMockModule.plugins({ runtime: "caikit-standalone", models: [], values: { gpu: "l4" } }),
    ).rejects.toThrow("--gpu simulates the TGIS behind caikit-tgis");
  });

  it("runs Caikit TGIS's TGIS on the simulated GPU with --gpu h100-80gb", async () => {
    // Issue 7: the GPU-backed engine behind TGIS, and so behind Caikit TGIS.
    let log = "";
    const mock = await startMock({
      runtime: "caikit-tgis",
      host: "127.0.0.1",
      httpPort: 0,
      logger: createRequestLogger("info", { write: (text) => (log += text) }),
      plugins: await caikitMockModule.plugins({
        runtime: "caikit-tgis",
        models: [],
        values: { gpu: "h100-80gb" },
      }),
    });
    try {
      const response = await fetch(`${mock.endpoints.http}/api/v1/task/text-generation`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          model_id: "flan-t5-small-caikit",
          inputs: "Hello",
          parameters: { max_new_tokens: 3, min_new_tokens: 3 },
        }),
      });
      expect(response.status).toBe(200);
      const body = await response.json();
      expect(body.generated_tokens).toBe(3);
      expect(body.finish_reason).toBe("MAX_TOKENS");
      // The simulated GPU's start-up lines (vLLM's KV cache lines) went to the host's log.
      expect(log).toMatch(/KV cache/i);
    } finally {
      await mock.close();
    }
  });

  it("refuses a bad --gpu value with mock-core's message", async () => {
    await expect(
      caikitMockModule.plugins({ runtime: "caikit-tgis", models: [], values: { gpu: "nope" } }),
    ).rejects.toThrow(/gpu/);
  });
});
