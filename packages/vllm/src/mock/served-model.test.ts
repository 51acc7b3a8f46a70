import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultModelDir } from "@servingkit/mock-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadServedModel, platformModelRoot } from "./served-model.js";
import { readVllmSettings } from "./settings.js";

describe("loadServedModel", () => {
  let dir: string;
  beforeAll(async () => {
    // A model directory as vLLM's --model takes it: tokenizer.json, tokenizer_config.json and
    // config.json (issue 3); its config sets the context length.
    dir = await mkdtemp(join(tmpdir(), "vllm-model-"));
    await cp(defaultModelDir, dir, { recursive: true });
    const config = JSON.parse(await readFile(join(dir, "config.json"), "utf8"));
    await writeFile(
      join(dir, "config.json"),
      JSON.stringify({ ...config, max_position_embeddings: 321 }),
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const load = (models: string[], values: Record<string, string> = {}) =>
    loadServedModel(readVllmSettings({ models, values }, {}));

  // vllm-openai.md §0, §7: root = --model path, id = --served-model-name, else the --model value.
  it("loads a model directory as vLLM's --model does", async () => {
    const loaded = await load([dir], { "served-model-name": "granite" });
    expect(loaded.served).toEqual({ id: "granite", root: dir, maxModelLen: 321 });
    expect(loaded.spec.tokenizer.encode("hello").length).toBeGreaterThan(0);
  });

  it("serves a non-directory --model as a name with the built-in model", async () => {
    const loaded = await load(["granite-3b"]);
    expect(loaded.served.id).toBe("granite-3b");
    expect(loaded.served.root).toBe("granite-3b");
  });

  it("defaults to the built-in model under the platform's root", async () => {
    const loaded = await load([], { "max-model-len": "77" });
    expect(loaded.served.root).toBe(platformModelRoot);
    expect(loaded.served.id).toBe(loaded.spec.id);
    expect(loaded.served.maxModelLen).toBe(77);
  });
});
