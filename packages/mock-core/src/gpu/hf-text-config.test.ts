import { describe, expect, it } from "vitest";
import {
  hfTextConfig,
  transformersTextConfigDefaults,
  withTransformersDefaults,
} from "./hf-text-config.js";
import {
  gemma3_1bConfig,
  gemma3_4bItConfig,
  gemma3_27bItConfig,
} from "./sliding-window-configs.js";

describe("transformers' class defaults by model_type", () => {
  it("fills what google/gemma-3-4b-it's text_config leaves to Gemma3TextConfig", () => {
    // transformers configuration_gemma3.py Gemma3TextConfig.__init__: num_attention_heads=8,
    // num_key_value_heads=4, head_dim=256, vocab_size=262_208, max_position_embeddings=131_072,
    // tie_word_embeddings=True, sliding_window_pattern=6.
    const { text, nested } = hfTextConfig(gemma3_4bItConfig);
    expect(nested).toBe(true);
    expect(text).toMatchObject({
      hidden_size: 2560,
      num_hidden_layers: 34,
      num_attention_heads: 8,
      num_key_value_heads: 4,
      head_dim: 256,
      vocab_size: 262_208,
      max_position_embeddings: 131_072,
      tie_word_embeddings: true,
      sliding_window: 1024,
      sliding_window_pattern: 6,
    });
  });

  it("keeps every field the config gives (gemma-3-27b-it's heads and head_dim)", () => {
    const { text } = hfTextConfig(gemma3_27bItConfig);
    expect(text).toMatchObject({
      num_attention_heads: 32,
      num_key_value_heads: 16,
      head_dim: 128,
      num_hidden_layers: 62,
      vocab_size: 262_208,
      max_position_embeddings: 131_072,
    });
  });

  it("applies to a text-only config by its own model_type (gemma-3-1b-it: tied embeddings)", () => {
    // gemma-3-1b-it's config.json has no tie_word_embeddings: the class default (True) holds, and
    // vLLM's Gemma models tie the LM head to the embeddings.
    const { text, nested } = hfTextConfig(gemma3_1bConfig);
    expect(nested).toBe(false);
    expect(text.tie_word_embeddings).toBe(true);
    expect(text.vocab_size).toBe(262_144);
  });

  it("fills Gemma 2 and Gemma from their own classes", () => {
    // configuration_gemma2.py Gemma2Config: max_position_embeddings 8192, sliding_window 4096,
    // layer_types alternating from a sliding first layer; configuration_gemma.py GemmaConfig:
    // 16 heads, 16 KV heads, head_dim 256.
    expect(withTransformersDefaults({ model_type: "gemma2" })).toMatchObject({
      max_position_embeddings: 8192,
      sliding_window: 4096,
      sliding_window_pattern: 2,
      tie_word_embeddings: true,
    });
    expect(withTransformersDefaults({ model_type: "gemma" })).toMatchObject({
      num_attention_heads: 16,
      num_key_value_heads: 16,
      head_dim: 256,
    });
  });

  it("leaves a field given as null, and configs of other model types, as they are", () => {
    // A Python None passed to the constructor stays None; only absent keys take the default.
    expect(
      withTransformersDefaults({ model_type: "gemma2", sliding_window: null }).sliding_window,
    ).toBeNull();
    const llama = { model_type: "llama", hidden_size: 4096 };
    expect(withTransformersDefaults(llama)).toBe(llama);
    expect(withTransformersDefaults({ hidden_size: 1 })).toEqual({ hidden_size: 1 });
    expect(Object.keys(transformersTextConfigDefaults).sort()).toEqual([
      "gemma",
      "gemma2",
      "gemma3_text",
    ]);
  });

  it("types a Gemma 3 text_config that names no model_type by its parent (Gemma3Config sub_configs)", () => {
    const { model_type: _, ...untyped } = gemma3_4bItConfig.text_config;
    expect(
      hfTextConfig({ ...gemma3_4bItConfig, text_config: untyped }).text.num_attention_heads,
    ).toBe(8);
    expect(
      hfTextConfig({ model_type: "llava", text_config: untyped }).text.num_attention_heads,
    ).toBeUndefined();
  });

  it("takes an omni model's thinker_config (or its text_config) as vLLM does", () => {
    const inner = { model_type: "gemma3_text", num_hidden_layers: 4 };
    expect(hfTextConfig({ thinker_config: { text_config: inner } }).text.num_attention_heads).toBe(
      8,
    );
    expect(hfTextConfig({ thinker_config: inner }).nested).toBe(true);
    expect(hfTextConfig({ text_config: [1] }).nested).toBe(false);
  });
});
