import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultModelDir } from "@servingkit/mock-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadServedModel, platformModelRoot } from "./served-model.js";
import { readVllmSettings } from "./settings.js";
import { openaiClient, startVllm } from "./test-server.js";

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
    expect(loaded.served).toEqual({
      id: "granite",
      names: ["granite"],
      root: dir,
      maxModelLen: 321,
    });
    expect(loaded.spec.tokenizer.encode("hello").length).toBeGreaterThan(0);
  });

  it("serves a non-directory --model as a name with the built-in model", async () => {
    const loaded = await load(["granite-3b"]);
    expect(loaded.served.id).toBe("granite-3b");
    expect(loaded.served.root).toBe("granite-3b");
  });

  // vLLM v0.14.0 release notes: "Async scheduling is now enabled by default" (PR #27614), so
  // --gpu follows --vllm-version unless --[no-]async-scheduling says otherwise.
  it("schedules asynchronously under --gpu as the chosen release does", async () => {
    const gpu = async (values: Record<string, string | boolean>) =>
      (
        await loadServedModel(readVllmSettings({ models: [], values }, {}), {
          gpu: "h100-80gb",
          ...values,
        })
      ).gpu?.asyncScheduling;
    expect(await gpu({})).toBe(false);
    expect(await gpu({ "vllm-version": "0.13.0" })).toBe(false);
    expect(await gpu({ "vllm-version": "0.14.0" })).toBe(true);
    expect(await gpu({ "vllm-version": "0.14.0", "no-async-scheduling": true })).toBe(false);
    expect(await gpu({ "vllm-version": "0.12.0", "async-scheduling": true })).toBe(true);
  });

  it("defaults to the built-in model under the platform's root", async () => {
    const loaded = await load([], { "max-model-len": "77" });
    expect(loaded.served.root).toBe(platformModelRoot);
    expect(loaded.served.id).toBe(loaded.spec.id);
    expect(loaded.served.maxModelLen).toBe(77);
  });
});

// vLLM's --served-model-name takes several names (EngineArgs.served_model_name, "If multiple names
// are provided, the server will respond to any of the provided names. The model name in the model
// field of a response will be the first name in this list."; serving_models.py lists a card per
// name in base_model_paths, each with its own ModelPermission).
describe("several served names", () => {
  it("answers to every name with the first, and lists a card for each", async () => {
    const server = await startVllm({ "served-model-name": ["granite", "granite-alias"] });
    try {
      const client = openaiClient(server);
      const cards = (await client.models.list()).data as unknown as {
        id: string;
        root: string;
        permission: { id: string }[];
      }[];
      expect(cards.map((c) => c.id)).toEqual(["granite", "granite-alias"]);
      expect(cards[0]?.root).toBe(cards[1]?.root);
      expect(cards[0]?.permission[0]?.id).not.toBe(cards[1]?.permission[0]?.id);
      const answer = await client.completions.create({
        model: "granite-alias",
        prompt: "Hello",
        max_tokens: 2,
      });
      expect(answer.model).toBe("granite");
      await expect(
        client.completions.create({ model: "other", prompt: "Hello", max_tokens: 2 }),
      ).rejects.toMatchObject({ status: 404 });
    } finally {
      await server.close();
    }
  });
});
