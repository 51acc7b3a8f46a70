import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import {
  defaultModelDir,
  defaultModelSpec,
  fallbackMaxModelLen,
  loadModelDir,
  ModelLoadError,
  maxModelLenOf,
  modelSpecFor,
} from "./model-spec.js";

const tinyDir = fileURLToPath(new URL("testdata/tiny-wordpiece", import.meta.url));
const scratch = await mkdtemp(join(tmpdir(), "servingkit-model-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

describe("defaultModelSpec", () => {
  test("is the built-in model, offline, cached", async () => {
    const model = await defaultModelSpec();
    expect(model).toMatchObject({
      id: "servingkit-mock",
      root: "builtin:default",
      maxModelLen: 4096,
      embeddingDim: 384,
    });
    expect(model.config.num_hidden_layers).toBe(6);
    expect(model.config.vocab_size).toBe(model.tokenizer.vocabSize);
    expect(model.tokenizer.vocabSize).toBeGreaterThan(1000);
    expect(model.chatTemplate).toContain("<|turn|>");
    expect(await defaultModelSpec()).toBe(model);
  });

  test("loads through the same loadModelDir path as a user directory", async () => {
    const again = await loadModelDir(defaultModelDir);
    const model = await defaultModelSpec();
    expect(again.id).toBe(defaultModelDir);
    expect(again.tokenizer.encode("the same ids")).toEqual(model.tokenizer.encode("the same ids"));
  });
});

describe("loadModelDir", () => {
  test("reads the context length and width from config.json", async () => {
    const model = await loadModelDir(tinyDir, { id: "tiny" });
    expect(model).toMatchObject({ id: "tiny", root: tinyDir, maxModelLen: 256, embeddingDim: 8 });
  });

  test("takes the embedding width from a multimodal config's text_config", async () => {
    // vLLM's get_hidden_size reads hf_text_config: google/gemma-3-4b-it has no top-level
    // hidden_size; its text_config says 2560.
    const dir = await mkdtemp(join(scratch, "gemma-"));
    for (const name of ["tokenizer.json", "tokenizer_config.json"])
      await writeFile(join(dir, name), await readFile(join(tinyDir, name)));
    await writeFile(
      join(dir, "config.json"),
      JSON.stringify({
        model_type: "gemma3",
        text_config: { model_type: "gemma3_text", hidden_size: 2560, num_hidden_layers: 34 },
      }),
    );
    expect(await loadModelDir(dir)).toMatchObject({ embeddingDim: 2560, maxModelLen: 131_072 });
  });

  test("reads generation_config.json when present (vLLM's server-side sampling defaults)", async () => {
    const metaspace = fileURLToPath(new URL("testdata/tiny-metaspace", import.meta.url));
    const model = await loadModelDir(metaspace);
    expect(model.generationConfig).toEqual({
      bos_token_id: 1,
      eos_token_id: [2, 12],
      temperature: 0.6,
      top_p: 0.9,
    });
    expect((await loadModelDir(tinyDir)).generationConfig).toBeUndefined();
  });

  test("names a broken generation_config.json", async () => {
    const dir = join(scratch, "bad-generation");
    await import("node:fs/promises").then((fs) => fs.cp(tinyDir, dir, { recursive: true }));
    await writeFile(join(dir, "generation_config.json"), "{oops");
    await expect(loadModelDir(dir)).rejects.toThrow(/generation_config.json is not valid JSON/);
  });

  test("names every missing file", async () => {
    const dir = join(scratch, "partial");
    await rm(dir, { recursive: true, force: true });
    await import("node:fs/promises").then((fs) => fs.mkdir(dir));
    await writeFile(join(dir, "config.json"), "{}");
    const load = loadModelDir(dir);
    await expect(load).rejects.toThrow(ModelLoadError);
    await expect(loadModelDir(dir)).rejects.toThrow(
      `cannot load model from ${dir}: tokenizer.json is missing; tokenizer_config.json is missing`,
    );
  });

  test("names a file that is not JSON, and an unsupported tokenizer", async () => {
    const dir = join(scratch, "broken");
    await import("node:fs/promises").then((fs) => fs.mkdir(dir, { recursive: true }));
    await writeFile(join(dir, "config.json"), "{not json");
    await writeFile(join(dir, "tokenizer_config.json"), "[]");
    await writeFile(join(dir, "tokenizer.json"), "{}");
    await expect(loadModelDir(dir)).rejects.toThrow(
      /tokenizer_config.json is not a JSON object; config.json is not valid JSON/,
    );
    await writeFile(join(dir, "config.json"), "{}");
    await writeFile(join(dir, "tokenizer_config.json"), "{}");
    await expect(loadModelDir(dir)).rejects.toThrow(/tokenizer.json is not a supported tokenizer/);
  });

  test("a missing directory is reported, not a crash", async () => {
    await expect(loadModelDir(join(scratch, "nope"))).rejects.toThrow(/tokenizer.json is missing/);
  });
});

describe("modelSpecFor (a runtime's --model value)", () => {
  test("a directory loads its files, as vLLM's --model and TGIS's model path do", async () => {
    const spec = await modelSpecFor(tinyDir);
    expect(spec.root).toBe(tinyDir);
    expect(spec).not.toBe(await defaultModelSpec());
  });

  test("a name, a missing path or nothing is the built-in model", async () => {
    const builtin = await defaultModelSpec();
    for (const model of ["granite-3.1-8b", join(tmpdir(), "servingkit-no-such-dir"), undefined]) {
      expect(await modelSpecFor(model), String(model)).toBe(builtin);
    }
  });
});

describe("maxModelLenOf (vLLM _get_and_verify_max_len)", () => {
  test("takes the smallest known key, looks into text_config, falls back to 2048", () => {
    expect(maxModelLenOf({ max_position_embeddings: 8192 })).toBe(8192);
    expect(maxModelLenOf({ max_position_embeddings: 8192, seq_length: 4096 })).toBe(4096);
    expect(maxModelLenOf({ text_config: { max_position_embeddings: 32768 } })).toBe(32768);
    expect(maxModelLenOf({})).toBe(fallbackMaxModelLen);
    expect(fallbackMaxModelLen).toBe(2048);
  });

  test("reads the language model's config with transformers' class defaults", () => {
    // google/gemma-3-4b-it's text_config names no context length: Gemma3TextConfig's
    // max_position_embeddings (131,072) is what vLLM reads (configuration_gemma3.py).
    expect(
      maxModelLenOf({
        model_type: "gemma3",
        text_config: { model_type: "gemma3_text", hidden_size: 2560, num_hidden_layers: 34 },
      }),
    ).toBe(131_072);
    expect(
      maxModelLenOf({ thinker_config: { text_config: { max_position_embeddings: 4096 } } }),
    ).toBe(4096);
  });

  test("scales the length for RoPE scaling as vLLM does, except prescaled types and Gemma 3", () => {
    // vllm/config _get_and_verify_max_len: factor × length for types other than su / longrope /
    // llama3; yarn from original_max_position_embeddings; gemma3 skipped (already scaled).
    const qwenYarn = {
      max_position_embeddings: 32_768,
      rope_scaling: { type: "yarn", factor: 4, original_max_position_embeddings: 32_768 },
    };
    expect(maxModelLenOf(qwenYarn)).toBe(131_072);
    expect(
      maxModelLenOf({
        max_position_embeddings: 4096,
        rope_scaling: { rope_type: "linear", factor: 2 },
      }),
    ).toBe(8192);
    // Llama 3.1: rope_type llama3, factor 8 over 131,072 positions: not applied again.
    const llama31 = {
      max_position_embeddings: 131_072,
      rope_scaling: { rope_type: "llama3", factor: 8, original_max_position_embeddings: 8192 },
    };
    expect(maxModelLenOf(llama31)).toBe(131_072);
    // Phi-3 128k (longrope), Qwen2-VL (mrope → default, no factor), a null factor: unchanged.
    expect(
      maxModelLenOf({ max_position_embeddings: 131_072, rope_scaling: { type: "longrope" } }),
    ).toBe(131_072);
    expect(
      maxModelLenOf({ max_position_embeddings: 32_768, rope_scaling: { type: "mrope" } }),
    ).toBe(32_768);
    expect(
      maxModelLenOf({
        max_position_embeddings: 4096,
        rope_scaling: { type: "dynamic", factor: null },
      }),
    ).toBe(4096);
    // Gemma 3 4B's linear factor 8: its 131,072 is scaled already.
    expect(
      maxModelLenOf({
        model_type: "gemma3",
        text_config: {
          model_type: "gemma3_text",
          rope_scaling: { rope_type: "linear", factor: 8 },
        },
      }),
    ).toBe(131_072);
    // transformers v5 rope_parameters, one entry per layer type.
    expect(
      maxModelLenOf({
        max_position_embeddings: 8192,
        rope_parameters: {
          full_attention: { rope_type: "linear", factor: 2 },
          sliding_attention: { rope_type: "default" },
        },
      }),
    ).toBe(16_384);
  });
});
