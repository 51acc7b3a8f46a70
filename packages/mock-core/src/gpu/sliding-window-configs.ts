/**
 * Test fixtures: the published `config.json` of sliding-window models (architecture fields as
 * the Hugging Face repositories publish them, omissions included), for the sliding-window and
 * transformers-defaults tests.
 */

/** mistralai/Mistral-7B-v0.1 config.json: every layer slides over 4,096 tokens. */
export const mistral7bV01Config = {
  architectures: ["MistralForCausalLM"],
  hidden_act: "silu",
  hidden_size: 4096,
  intermediate_size: 14_336,
  max_position_embeddings: 32_768,
  model_type: "mistral",
  num_attention_heads: 32,
  num_hidden_layers: 32,
  num_key_value_heads: 8,
  rms_norm_eps: 1e-5,
  rope_theta: 10_000,
  sliding_window: 4096,
  tie_word_embeddings: false,
  torch_dtype: "bfloat16",
  vocab_size: 32_000,
} as const;

/**
 * google/gemma-3-1b-it config.json: 26 layers, `sliding_window_pattern` 6 (layers 5, 11, 17, 23
 * attend globally, the other 22 slide over 512 tokens), one KV head of dimension 256.
 */
export const gemma3_1bConfig = {
  architectures: ["Gemma3ForCausalLM"],
  head_dim: 256,
  hidden_activation: "gelu_pytorch_tanh",
  hidden_size: 1152,
  intermediate_size: 6912,
  max_position_embeddings: 32_768,
  model_type: "gemma3_text",
  num_attention_heads: 4,
  num_hidden_layers: 26,
  num_key_value_heads: 1,
  query_pre_attn_scalar: 256,
  rms_norm_eps: 1e-6,
  rope_local_base_freq: 10_000,
  rope_theta: 1_000_000,
  sliding_window: 512,
  sliding_window_pattern: 6,
  torch_dtype: "bfloat16",
  vocab_size: 262_144,
} as const;

/**
 * google/gemma-3-4b-it config.json (its architecture fields, the SigLIP vision tower's included): the
 * `text_config` names only what differs from Gemma3TextConfig's defaults, so heads (8), KV heads
 * (4), head_dim (256), vocab_size (262,208), max_position_embeddings (131,072),
 * sliding_window_pattern (6) and tie_word_embeddings (true) come from the class.
 */
export const gemma3_4bItConfig = {
  architectures: ["Gemma3ForConditionalGeneration"],
  model_type: "gemma3",
  text_config: {
    hidden_size: 2560,
    intermediate_size: 10_240,
    model_type: "gemma3_text",
    num_hidden_layers: 34,
    rope_scaling: { factor: 8, rope_type: "linear" },
    sliding_window: 1024,
  },
  torch_dtype: "bfloat16",
  vision_config: {
    hidden_size: 1152,
    image_size: 896,
    intermediate_size: 4304,
    model_type: "siglip_vision_model",
    num_attention_heads: 16,
    num_hidden_layers: 27,
    patch_size: 14,
    vision_use_head: false,
  },
} as const;

/**
 * google/gemma-3-27b-it config.json (architecture fields, vision tower included): heads, KV
 * heads and head_dim given, vocab_size, max_position_embeddings, sliding_window_pattern and
 * tie_word_embeddings left to Gemma3TextConfig's defaults.
 */
export const gemma3_27bItConfig = {
  architectures: ["Gemma3ForConditionalGeneration"],
  model_type: "gemma3",
  text_config: {
    head_dim: 128,
    hidden_size: 5376,
    intermediate_size: 21_504,
    model_type: "gemma3_text",
    num_attention_heads: 32,
    num_hidden_layers: 62,
    num_key_value_heads: 16,
    query_pre_attn_scalar: 168,
    rope_scaling: { factor: 8, rope_type: "linear" },
    sliding_window: 1024,
  },
  torch_dtype: "bfloat16",
  vision_config: {
    hidden_size: 1152,
    image_size: 896,
    intermediate_size: 4304,
    model_type: "siglip_vision_model",
    num_attention_heads: 16,
    num_hidden_layers: 27,
    patch_size: 14,
    vision_use_head: false,
  },
} as const;
