import { describe, expect, it } from "vitest";
import {
  encoderWeightBytesPerGpu,
  kvBytesPerToken,
  modelProfile,
  modelProfileFromConfig,
  modelProfiles,
  parameterCount,
  slidingLayerCount,
  tensorParallelError,
  weightBytesPerGpu,
  withoutSlidingWindow,
} from "./model-profiles.js";
import {
  gemma3_1bConfig,
  gemma3_4bItConfig,
  gemma3_27bItConfig,
  mistral7bV01Config,
} from "./sliding-window-configs.js";

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

describe("sliding-window attention from config.json", () => {
  it("reads Mistral-7B-v0.1's window as every layer sliding", () => {
    // mistralai/Mistral-7B-v0.1 config.json: "sliding_window": 4096, no layer_types or pattern.
    const model = modelProfileFromConfig(mistral7bV01Config);
    expect(model.slidingWindow).toBe(4096);
    expect(slidingLayerCount(model)).toBe(32);
  });

  it("reads Gemma 3's sliding_window_pattern: five sliding layers, then one global", () => {
    // google/gemma-3-1b-it config.json: sliding_window 512, sliding_window_pattern 6, 26 layers
    // (transformers Gemma3: layer i slides unless (i + 1) % 6 == 0 → 4 global, 22 sliding).
    const model = modelProfileFromConfig(gemma3_1bConfig);
    expect(model.slidingWindow).toBe(512);
    expect(slidingLayerCount(model)).toBe(22);
    // A newer config lists layer_types instead; Gemma 2 defaults to alternating layers.
    const types = Array.from({ length: 26 }, (_, i) =>
      (i + 1) % 6 === 0 ? "full_attention" : "sliding_attention",
    );
    const { sliding_window_pattern: _p, ...rest } = gemma3_1bConfig;
    expect(slidingLayerCount(modelProfileFromConfig({ ...rest, layer_types: types }))).toBe(22);
    expect(slidingLayerCount(modelProfileFromConfig({ ...rest, model_type: "gemma2" }))).toBe(13);
  });

  it("leaves the built-in profiles and null or disabled windows without one", () => {
    // Mistral-7B-Instruct-v0.3 config.json: "sliding_window": null. Qwen2: use_sliding_window false
    // turns it off (vllm tests/test_config.py test_get_sliding_window).
    for (const model of Object.values(modelProfiles)) expect(slidingLayerCount(model)).toBe(0);
    expect(
      modelProfileFromConfig({ ...mistral7bV01Config, sliding_window: null }).slidingWindow,
    ).toBe(undefined);
    const qwen = { ...mistral7bV01Config, model_type: "qwen2", max_window_layers: 28 };
    expect(modelProfileFromConfig({ ...qwen, use_sliding_window: false }).slidingWindow).toBe(
      undefined,
    );
    // transformers Qwen2Config: layers i >= max_window_layers slide when use_sliding_window.
    expect(slidingLayerCount(modelProfileFromConfig({ ...qwen, use_sliding_window: true }))).toBe(
      4,
    );
    expect(withoutSlidingWindow(modelProfileFromConfig(mistral7bV01Config)).slidingWindow).toBe(
      undefined,
    );
  });

  it("rejects a bad window or layer_types with a TypeError naming the field", () => {
    expect(() => modelProfileFromConfig({ ...mistral7bV01Config, sliding_window: -1 })).toThrow(
      /sliding_window/,
    );
    expect(() =>
      modelProfileFromConfig({ ...mistral7bV01Config, layer_types: ["sliding_attention"] }),
    ).toThrow(/layer_types/);
  });
});

describe("modelProfileFromConfig with a multimodal config (text_config)", () => {
  // vllm/transformers_utils/config.py get_hf_text_config: the engine is sized from the language
  // model's sub-config, `text_config` (Gemma 3 4B+, Llama 4, Mistral 3 / Pixtral), or an omni
  // model's `thinker_config` (its `text_config` when it has one); a text-only config is its own.
  const text = {
    model_type: "gemma3_text",
    hidden_size: 2560,
    intermediate_size: 10_240,
    num_hidden_layers: 34,
    num_attention_heads: 8,
    num_key_value_heads: 4,
    head_dim: 256,
    vocab_size: 262_208,
    max_position_embeddings: 131_072,
    sliding_window: 1024,
  };
  const multimodal = {
    _name_or_path: "google/gemma-3-4b-it",
    architectures: ["Gemma3ForConditionalGeneration"],
    model_type: "gemma3",
    torch_dtype: "bfloat16",
    text_config: text,
    vision_config: { hidden_size: 1152, num_attention_heads: 16, num_hidden_layers: 27 },
  };

  it("reads the language model's fields from text_config, name and dtype from the top", () => {
    const { encoderParameters, ...profile } = modelProfileFromConfig(multimodal);
    expect(profile).toEqual({
      ...modelProfileFromConfig({ ...text, torch_dtype: "bfloat16" }, "google/gemma-3-4b-it"),
    });
    // The vision tower's parameters ride beside (SigLIP defaults fill what vision_config omits).
    expect(encoderParameters).toBeGreaterThan(0);
    expect(profile.name).toBe("google/gemma-3-4b-it");
    expect(profile.layers).toBe(34);
    expect(profile.hiddenSize).toBe(2560);
    expect(profile.dtype).toBe("bfloat16");
    // Gemma 3's pattern (five sliding layers, then one full) applies to the nested text model.
    expect(profile.slidingWindow).toBe(1024);
    expect(profile.slidingLayers).toBe(34 - Math.floor(34 / 6));
  });

  it("prefers the text config's own dtype and tie_word_embeddings over the top's", () => {
    const profile = modelProfileFromConfig({
      ...multimodal,
      torch_dtype: "float32",
      tie_word_embeddings: false,
      text_config: { ...text, torch_dtype: "float16", tie_word_embeddings: true },
    });
    expect(profile.dtype).toBe("float16");
    expect(profile.tieWordEmbeddings).toBe(true);
    expect(
      modelProfileFromConfig({ ...multimodal, tie_word_embeddings: true }).tieWordEmbeddings,
    ).toBe(true);
  });

  it("takes an omni model's thinker_config, or the text_config inside it", () => {
    expect(modelProfileFromConfig({ thinker_config: { text_config: text } }).layers).toBe(34);
    expect(
      modelProfileFromConfig({ thinker_config: { ...text, num_hidden_layers: 28 } }).layers,
    ).toBe(28);
  });

  it("refuses a text_config without num_attention_heads, as vLLM does at start-up", () => {
    // A model type whose class defaults we do not list: nothing fills the heads in. (A
    // gemma3_text one gets Gemma3TextConfig's 8, as vLLM's transformers object does.)
    const { num_attention_heads: _, ...headless } = text;
    expect(() =>
      modelProfileFromConfig({
        ...multimodal,
        text_config: { ...headless, model_type: "custom_text" },
      }),
    ).toThrow(/text_config .*no num_attention_heads/);
    expect(modelProfileFromConfig({ ...multimodal, text_config: headless }).heads).toBe(8);
  });

  it("leaves a text-only config as it was (a non-object text_config is not a sub-config)", () => {
    const flat = { ...text, torch_dtype: "bfloat16" };
    expect(modelProfileFromConfig({ ...flat, text_config: null })).toEqual(
      modelProfileFromConfig(flat),
    );
  });
});

describe("modelProfileFromConfig with transformers' class defaults", () => {
  it("reads google/gemma-3-4b-it, whose text_config leaves heads, head_dim and vocabulary out", () => {
    // configuration_gemma3.py Gemma3TextConfig defaults fill them, as in the object vLLM reads.
    const model = modelProfileFromConfig(gemma3_4bItConfig, "google/gemma-3-4b-it");
    expect(model).toEqual({
      name: "google/gemma-3-4b-it",
      layers: 34,
      hiddenSize: 2560,
      heads: 8,
      kvHeads: 4,
      headDim: 256,
      intermediateSize: 10_240,
      vocabSize: 262_208,
      dtype: "bfloat16",
      tieWordEmbeddings: true,
      maxPositionEmbeddings: 131_072,
      slidingWindow: 1024,
      slidingLayers: 29,
      encoderParameters: 419_816_304,
    });
    // The model card's 4.3B parameters: 3.88B of language model, 0.42B of SigLIP encoder (27
    // layers of width 1152, 4,096 patches of 14 × 14 at 896 px) and projector (1152 × 2560).
    expect(parameterCount(model) / 1e9).toBeCloseTo(3.88, 2);
    expect((parameterCount(model) + 419_816_304) / 1e9).toBeCloseTo(4.3, 2);
    expect(encoderWeightBytesPerGpu(model, 2)).toBe(419_816_304);
    expect(encoderWeightBytesPerGpu(modelProfiles["llama-3.1-8b"])).toBe(0);
    // KV per token: 2 × 34 layers × 4 KV heads × 256 × 2 B = 136 KiB (before the window).
    expect(kvBytesPerToken(model)).toBe(2 * 34 * 4 * 256 * 2);
  });

  it("reads google/gemma-3-27b-it: its own heads, the class's vocabulary and context length", () => {
    const model = modelProfileFromConfig(gemma3_27bItConfig);
    expect(model).toMatchObject({
      layers: 62,
      heads: 32,
      kvHeads: 16,
      headDim: 128,
      vocabSize: 262_208,
      maxPositionEmbeddings: 131_072,
      tieWordEmbeddings: true,
      slidingLayers: 62 - Math.floor(62 / 6),
    });
    // Model card: 27.4B with the vision tower and its wider projector (1152 × 5376).
    expect(parameterCount(model) / 1e9).toBeCloseTo(27.01, 2);
    expect(model.encoderParameters).toBe(419_816_304 - 1152 * 2560 + 1152 * 5376);
    expect((parameterCount(model) + (model.encoderParameters ?? 0)) / 1e9).toBeCloseTo(27.43, 2);
  });

  it("counts the vision side of Gemma 3 only (other encoders, or SigLIP with its head, are not)", () => {
    const vision = gemma3_4bItConfig.vision_config;
    const other = { ...gemma3_4bItConfig, vision_config: { ...vision, model_type: "clip" } };
    const headed = { ...gemma3_4bItConfig, vision_config: { ...vision, vision_use_head: true } };
    const llava = { ...gemma3_4bItConfig, model_type: "llava" };
    for (const config of [other, headed, llava])
      expect(modelProfileFromConfig(config).encoderParameters).toBeUndefined();
    // configuration_siglip.py SiglipVisionConfig: patch 16 at 224 px, 12 layers of 768 / 3072.
    const defaults = modelProfileFromConfig({ ...gemma3_4bItConfig, vision_config: {} });
    const h = 768;
    const layer = 4 * (h * h + h) + 2 * h * 3072 + 3072 + h + 4 * h;
    expect(defaults.encoderParameters).toBe(
      3 * 16 * 16 * h + h + 196 * h + 12 * layer + 2 * h + h * 2560 + h,
    );
  });

  it("takes vLLM's default max_model_len, RoPE scaling included (Qwen2.5 with yarn × 4)", () => {
    // vllm/config _get_and_verify_max_len: yarn scales original_max_position_embeddings by factor.
    const qwen = {
      model_type: "qwen2",
      hidden_size: 3584,
      intermediate_size: 18_944,
      num_attention_heads: 28,
      num_hidden_layers: 28,
      num_key_value_heads: 4,
      vocab_size: 152_064,
      max_position_embeddings: 32_768,
      rope_scaling: { type: "yarn", factor: 4, original_max_position_embeddings: 32_768 },
    };
    expect(modelProfileFromConfig(qwen).maxPositionEmbeddings).toBe(131_072);
    // Gemma 3's linear factor 8 is in its 131,072 already.
    expect(modelProfileFromConfig(gemma3_4bItConfig).maxPositionEmbeddings).toBe(131_072);
  });

  it("ties gemma-3-1b-it's embeddings (no tie_word_embeddings in its config: the class says true)", () => {
    // vllm gemma3.py: Gemma models tie the LM head to the embeddings.
    expect(modelProfileFromConfig(gemma3_1bConfig).tieWordEmbeddings).toBe(true);
    expect(modelProfileFromConfig(mistral7bV01Config).tieWordEmbeddings).toBe(false);
  });
});
