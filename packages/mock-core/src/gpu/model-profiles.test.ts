import { describe, expect, it } from "vitest";
import {
  kvBytesPerToken,
  modelProfile,
  modelProfileFromConfig,
  modelProfiles,
  parameterCount,
  tensorParallelError,
  weightBytesPerGpu,
} from "./model-profiles.js";

describe("model profiles", () => {
  it("counts Llama 3.1 8B's published 8,030,261,248 parameters from its architecture", () => {
    // Hugging Face model card of meta-llama/Llama-3.1-8B: safetensors 8.03B params (8,030,261,248).
    expect(parameterCount(modelProfiles["llama-3.1-8b"])).toBe(8_030_261_248);
    expect(weightBytesPerGpu(modelProfiles["llama-3.1-8b"])).toBe(16_060_522_496);
  });

  it("counts Llama 3.1 70B's 70,553,706,496 parameters", () => {
    // Hugging Face model card of meta-llama/Llama-3.1-70B: 70.6B params (70,553,706,496).
    expect(parameterCount(modelProfiles["llama-3.1-70b"])).toBe(70_553_706_496);
  });

  it("counts Granite 3.1 8B's 8.17B parameters (tied embeddings)", () => {
    // Hugging Face model card of ibm-granite/granite-3.1-8b-instruct: 8.17B params.
    expect(parameterCount(modelProfiles["granite-3.1-8b"]) / 1e9).toBeCloseTo(8.17, 2);
    expect(parameterCount(modelProfiles["mistral-7b"]) / 1e9).toBeCloseTo(7.25, 2);
  });

  it("gives 128 KiB of KV per token for Llama 3 8B in BF16, split by tensor parallelism", () => {
    // vllm-openai.md §9: kv_bytes_per_token = 2 × 32 × 8 × 128 × 2 = 128 KiB.
    expect(kvBytesPerToken(modelProfiles["llama-3.1-8b"])).toBe(131_072);
    expect(kvBytesPerToken(modelProfiles["llama-3.1-70b"], 4)).toBe((2 * 80 * 8 * 128 * 2) / 4);
  });

  it("reads a config.json object, defaulting head_dim, KV heads and dtype as transformers does", () => {
    const model = modelProfileFromConfig({
      hidden_size: 4096,
      num_attention_heads: 32,
      num_hidden_layers: 32,
      intermediate_size: 11008,
      vocab_size: 32000,
      max_position_embeddings: 4096,
    });
    expect(model).toMatchObject({
      headDim: 128,
      kvHeads: 32,
      dtype: "bfloat16",
      tieWordEmbeddings: false,
    });
    // Llama 2 7B: 6,738,415,616 parameters (its model card: 6.74B).
    expect(parameterCount(model)).toBe(6_738_415_616);
  });

  it("reads the dtype from `dtype` (newer transformers) before `torch_dtype`", () => {
    const config = {
      hidden_size: 64,
      num_attention_heads: 4,
      num_hidden_layers: 2,
      intermediate_size: 128,
      vocab_size: 100,
      max_position_embeddings: 512,
    };
    expect(
      modelProfileFromConfig({ ...config, dtype: "float16", torch_dtype: "float32" }).dtype,
    ).toBe("float16");
    expect(modelProfileFromConfig({ ...config, torch_dtype: "float32" }).dtype).toBe("float32");
    expect(() => modelProfileFromConfig({ ...config, dtype: "int3" })).toThrow(/unsupported/);
  });

  it("rejects a config.json missing a field with a TypeError naming it", () => {
    expect(() => modelProfileFromConfig({ hidden_size: 4096 })).toThrow(/num_attention_heads/);
    expect(() => modelProfileFromConfig(null)).toThrow(TypeError);
    expect(() => modelProfile("gpt-5")).toThrow(/known: llama-3.1-8b/);
  });

  it("refuses a tensor-parallel size that does not divide the heads, with vLLM's text", () => {
    // vllm config verify_with_parallel_config: heads must divide evenly over the TP GPUs.
    const model = modelProfiles["llama-3.1-8b"];
    expect(tensorParallelError(model, 4)).toBeUndefined();
    expect(tensorParallelError(model, 3)).toBe(
      "Total number of attention heads (32) must be divisible by tensor parallel size (3).",
    );
  });
});
