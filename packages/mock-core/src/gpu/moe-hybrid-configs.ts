/**
 * Test fixtures: the published `config.json` of MoE, MLA and hybrid (linear-attention) models,
 * architecture fields as the Hugging Face repositories publish them (facts, copied as data), for
 * the model-shape, KV-capacity and MTP tests. Fields no profile reads (token ids, init ranges,
 * router loss coefficients) are left out.
 */

/** deepseek-ai/DeepSeek-V3 config.json (DeepSeek-R1's is the same architecture). */
export const deepseekV3Config = {
  architectures: ["DeepseekV3ForCausalLM"],
  first_k_dense_replace: 3,
  hidden_act: "silu",
  hidden_size: 7168,
  intermediate_size: 18_432,
  kv_lora_rank: 512,
  max_position_embeddings: 163_840,
  model_type: "deepseek_v3",
  moe_intermediate_size: 2048,
  moe_layer_freq: 1,
  n_group: 8,
  n_routed_experts: 256,
  n_shared_experts: 1,
  norm_topk_prob: true,
  num_attention_heads: 128,
  num_experts_per_tok: 8,
  num_hidden_layers: 61,
  num_key_value_heads: 128,
  num_nextn_predict_layers: 1,
  q_lora_rank: 1536,
  qk_nope_head_dim: 128,
  qk_rope_head_dim: 64,
  quantization_config: {
    activation_scheme: "dynamic",
    fmt: "e4m3",
    quant_method: "fp8",
    weight_block_size: [128, 128],
  },
  rope_scaling: {
    beta_fast: 32,
    beta_slow: 1,
    factor: 40,
    mscale: 1.0,
    mscale_all_dim: 1.0,
    original_max_position_embeddings: 4096,
    type: "yarn",
  },
  rope_theta: 10_000,
  tie_word_embeddings: false,
  topk_group: 4,
  topk_method: "noaux_tc",
  torch_dtype: "bfloat16",
  v_head_dim: 128,
  vocab_size: 129_280,
} as const;

/**
 * deepseek-ai/DeepSeek-V3.2-Exp config.json: DeepSeek-V3's architecture plus the lightning
 * indexer of its sparse attention (`index_head_dim`, `index_n_heads`, `index_topk`).
 */
export const deepseekV32Config = {
  ...deepseekV3Config,
  architectures: ["DeepseekV32ForCausalLM"],
  index_head_dim: 128,
  index_n_heads: 64,
  index_topk: 2048,
  model_type: "deepseek_v32",
} as const;

/** mistralai/Mixtral-8x7B-Instruct-v0.1 config.json: 8 experts, 2 per token. */
export const mixtral8x7bConfig = {
  architectures: ["MixtralForCausalLM"],
  hidden_act: "silu",
  hidden_size: 4096,
  intermediate_size: 14_336,
  max_position_embeddings: 32_768,
  model_type: "mixtral",
  num_attention_heads: 32,
  num_experts_per_tok: 2,
  num_hidden_layers: 32,
  num_key_value_heads: 8,
  num_local_experts: 8,
  rms_norm_eps: 1e-5,
  rope_theta: 1e6,
  sliding_window: null,
  tie_word_embeddings: false,
  torch_dtype: "bfloat16",
  vocab_size: 32_000,
} as const;

/**
 * Qwen/Qwen3-Next-80B-A3B-Instruct config.json: 48 layers, every fourth full (gated) attention,
 * the rest Gated DeltaNet; 512 experts, 10 per token, one shared expert.
 */
export const qwen3Next80bA3bConfig = {
  architectures: ["Qwen3NextForCausalLM"],
  decoder_sparse_step: 1,
  full_attention_interval: 4,
  head_dim: 256,
  hidden_act: "silu",
  hidden_size: 2048,
  intermediate_size: 5120,
  linear_conv_kernel_dim: 4,
  linear_key_head_dim: 128,
  linear_num_key_heads: 16,
  linear_num_value_heads: 32,
  linear_value_head_dim: 128,
  max_position_embeddings: 262_144,
  mlp_only_layers: [],
  model_type: "qwen3_next",
  moe_intermediate_size: 512,
  norm_topk_prob: true,
  num_attention_heads: 16,
  num_experts: 512,
  num_experts_per_tok: 10,
  num_hidden_layers: 48,
  num_key_value_heads: 2,
  partial_rotary_factor: 0.25,
  rope_scaling: null,
  rope_theta: 10_000_000,
  shared_expert_intermediate_size: 512,
  tie_word_embeddings: false,
  torch_dtype: "bfloat16",
  use_sliding_window: false,
  vocab_size: 151_936,
} as const;

/**
 * ibm-granite/granite-4.0-h-small config.json: 40 layers, 36 Mamba-2 and 4 attention (NoPE),
 * every layer a MoE of 72 experts (10 per token) with a shared expert. The attention layers'
 * positions (the sums depend only on the counts) are written here at 5, 15, 25 and 35.
 */
export const granite4HSmallConfig = {
  architectures: ["GraniteMoeHybridForCausalLM"],
  attention_bias: false,
  hidden_act: "silu",
  hidden_size: 4096,
  intermediate_size: 768,
  layer_types: Array.from({ length: 40 }, (_, i) => (i % 10 === 5 ? "attention" : "mamba")),
  mamba_chunk_size: 256,
  mamba_conv_bias: true,
  mamba_d_conv: 4,
  mamba_d_head: 64,
  mamba_d_state: 128,
  mamba_expand: 2,
  mamba_n_groups: 1,
  mamba_n_heads: 128,
  mamba_proj_bias: false,
  max_position_embeddings: 131_072,
  model_type: "granitemoehybrid",
  num_attention_heads: 32,
  num_experts_per_tok: 10,
  num_hidden_layers: 40,
  num_key_value_heads: 8,
  num_local_experts: 72,
  position_embedding_type: "nope",
  rope_scaling: null,
  shared_intermediate_size: 1536,
  tie_word_embeddings: true,
  torch_dtype: "bfloat16",
  vocab_size: 100_352,
} as const;

/** zai-org/GLM-4.5 config.json: 92 layers (3 dense), 160 experts, 8 per token, one MTP layer. */
export const glm45Config = {
  architectures: ["Glm4MoeForCausalLM"],
  attention_bias: true,
  first_k_dense_replace: 3,
  head_dim: 128,
  hidden_act: "silu",
  hidden_size: 5120,
  intermediate_size: 12_288,
  max_position_embeddings: 131_072,
  model_type: "glm4_moe",
  moe_intermediate_size: 1536,
  n_group: 1,
  n_routed_experts: 160,
  n_shared_experts: 1,
  norm_topk_prob: true,
  num_attention_heads: 96,
  num_experts_per_tok: 8,
  num_hidden_layers: 92,
  num_key_value_heads: 8,
  num_nextn_predict_layers: 1,
  partial_rotary_factor: 0.5,
  rope_theta: 1_000_000,
  tie_word_embeddings: false,
  torch_dtype: "bfloat16",
  use_qk_norm: true,
  vocab_size: 151_552,
} as const;
