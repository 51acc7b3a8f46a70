/**
 * The parts of a served model that are not a dense, grouped-query decoder: mixture-of-experts
 * MLPs, multi-head latent attention (DeepSeek V2/V3) and linear-attention / state-space mixers
 * (Mamba-2 in Granite 4.0 H, Gated DeltaNet in Qwen3-Next), read from config.json as vLLM's model
 * classes read them, and the parameter and state arithmetic that follows from them. A model
 * profile without any of them takes the dense arithmetic of model-profiles.ts unchanged.
 */

/**
 * A mixture-of-experts MLP (vllm/model_executor/layers/fused_moe): `experts` routed experts of
 * width `expertIntermediateSize`, `expertsPerToken` of them run per token, plus an always-run
 * shared expert of width `sharedIntermediateSize` (0: none) and a router (hidden × experts,
 * replicated on every tensor-parallel rank, kept in the model dtype).
 */
export interface MoeShape {
  /** Routed experts per MoE layer: `n_routed_experts`, `num_experts` or `num_local_experts`. */
  readonly experts: number;
  /** Experts each token runs: `num_experts_per_tok` (gpt-oss: `experts_per_token`). */
  readonly expertsPerToken: number;
  /** Width of one routed expert's gated MLP: `moe_intermediate_size`, else `intermediate_size`. */
  readonly expertIntermediateSize: number;
  /**
   * Width of the shared expert(s) together: DeepSeek/GLM `n_shared_experts` ×
   * `moe_intermediate_size`, Qwen `shared_expert_intermediate_size`, Granite
   * `shared_intermediate_size`; 0 without one.
   */
  readonly sharedIntermediateSize: number;
  /** Qwen's scalar gate on the shared expert (`shared_expert_gate`, hidden × 1). */
  readonly sharedExpertGate: boolean;
  /**
   * Layers with a dense MLP of `intermediate_size` instead (DeepSeek/GLM `first_k_dense_replace`,
   * Qwen `mlp_only_layers` and `decoder_sparse_step`); 0: every layer is MoE.
   */
  readonly denseLayers: number;
}

/**
 * Multi-head latent attention (vllm/model_executor/models/deepseek_v2.py): queries through a
 * low-rank `q_lora_rank` projection (absent: a full one), keys and values through a shared
 * latent of `kv_lora_rank` plus a `qk_rope_head_dim` rotary part. vLLM caches the latent and the
 * rotary key: `get_head_size` is kv_lora_rank + qk_rope_head_dim and `get_num_kv_heads` 1, the
 * same on every tensor-parallel rank.
 */
export interface MlaShape {
  /** `q_lora_rank`; absent: queries use a full hidden × heads·(nope+rope) projection. */
  readonly qLoraRank?: number;
  /** `kv_lora_rank`. */
  readonly kvLoraRank: number;
  /** `qk_nope_head_dim`. */
  readonly qkNopeHeadDim: number;
  /** `qk_rope_head_dim`. */
  readonly qkRopeHeadDim: number;
  /** `v_head_dim`. */
  readonly vHeadDim: number;
  /**
   * DeepSeek V3.2's lightning indexer (sparse attention), present when the config has
   * `index_topk` (vLLM's own test, vllm/model_executor/models/deepseek_v2.py `is_v32`); absent:
   * dense MLA.
   */
  readonly indexer?: SparseIndexerShape;
}

/**
 * The lightning indexer of a sparse-MLA model (DeepSeek V3.2): it caches one key of
 * `index_head_dim` per token per layer, beside the latent, and picks `index_topk` tokens to attend.
 */
export interface SparseIndexerShape {
  /** `index_head_dim` (DeepSeek V3.2: 128). */
  readonly headDim: number;
  /** `index_n_heads` (DeepSeek V3.2: 64); 0 when the config leaves it out. */
  readonly heads: number;
  /** `index_topk`: tokens each query attends (DeepSeek V3.2: 2048). */
  readonly topk: number;
}

/**
 * Mamba-2 mixer layers (Granite 4.0 H: `layer_types` "mamba"; vllm mamba_mixer2.py). Each keeps a
 * convolution state and an SSM state per sequence instead of KV per token.
 */
export interface Mamba2Shape {
  readonly kind: "mamba2";
  /** Layers with this mixer (the rest are attention layers). */
  readonly layers: number;
  /** `mamba_n_heads`. */
  readonly heads: number;
  /** `mamba_d_head`. */
  readonly headDim: number;
  /** `mamba_d_state`. */
  readonly stateSize: number;
  /** `mamba_n_groups`. */
  readonly groups: number;
  /** `mamba_d_conv`. */
  readonly convKernel: number;
  /** `mamba_expand` × hidden_size. */
  readonly innerSize: number;
  /** `mamba_conv_bias` (default true). */
  readonly convBias: boolean;
  /**
   * `mamba_chunk_size` (tokens), the chunk of the Mamba-2 scan kernels: vLLM's attention block
   * size in mamba_cache_mode "all" is a multiple of it (ModelConfig.get_mamba_chunk_size,
   * platforms/interface.py `_align_hybrid_block_size`); absent when the config has none.
   */
  readonly chunkSize?: number;
}

/**
 * Gated DeltaNet linear-attention layers (Qwen3-Next: every layer but each
 * `full_attention_interval`-th; vllm qwen3_next.py Qwen3NextGatedDeltaNet).
 */
export interface GatedDeltaNetShape {
  readonly kind: "gated-delta-net";
  /** Layers with this mixer. */
  readonly layers: number;
  /** `linear_num_key_heads`. */
  readonly keyHeads: number;
  /** `linear_num_value_heads`. */
  readonly valueHeads: number;
  /** `linear_key_head_dim`. */
  readonly keyHeadDim: number;
  /** `linear_value_head_dim`. */
  readonly valueHeadDim: number;
  /** `linear_conv_kernel_dim`. */
  readonly convKernel: number;
}

/** A linear-attention / state-space mixer with a fixed state per sequence. */
export type LinearAttentionShape = Mamba2Shape | GatedDeltaNetShape;

/** A positive integer field, or undefined when absent or null; a TypeError for anything else. */
function optionalInt(c: Readonly<Record<string, unknown>>, key: string): number | undefined {
  const value = c[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0)
    throw new TypeError(`config.json: "${key}" must be a non-negative integer`);
  return value;
}

/** A required positive integer field; a TypeError naming it otherwise. */
function requiredInt(c: Readonly<Record<string, unknown>>, key: string): number {
  const value = optionalInt(c, key);
  if (value === undefined || value === 0)
    throw new TypeError(`config.json: "${key}" must be a positive integer`);
  return value;
}

/**
 * The MoE shape a text config declares, or undefined for a dense MLP (no routed experts, or
 * fewer than two). `intermediateSize` is the config's `intermediate_size` (the dense layers'
 * width, and the expert width when no `moe_intermediate_size` is given: Mixtral, Granite).
 */
export function readMoe(
  c: Readonly<Record<string, unknown>>,
  layers: number,
  intermediateSize: number,
): MoeShape | undefined {
  const experts =
    optionalInt(c, "n_routed_experts") ??
    optionalInt(c, "num_experts") ??
    optionalInt(c, "num_local_experts");
  if (experts === undefined || experts < 2) return undefined;
  const expertsPerToken =
    optionalInt(c, "num_experts_per_tok") ?? optionalInt(c, "experts_per_token");
  if (expertsPerToken === undefined || expertsPerToken === 0 || expertsPerToken > experts)
    throw new TypeError(
      `config.json: "num_experts_per_tok" must be a positive integer up to the ${experts} experts`,
    );
  const expertIntermediateSize = optionalInt(c, "moe_intermediate_size") ?? intermediateSize;
  const shared =
    c.n_shared_experts !== undefined && c.n_shared_experts !== null
      ? requiredInt(c, "n_shared_experts") * expertIntermediateSize
      : (optionalInt(c, "shared_expert_intermediate_size") ??
        optionalInt(c, "shared_intermediate_size") ??
        0);
  // Qwen2-MoE / Qwen3-MoE / Qwen3-Next: layer i is sparse unless listed in mlp_only_layers, and
  // only when (i + 1) % decoder_sparse_step == 0; DeepSeek / GLM: the first k layers are dense.
  const mlpOnly = Array.isArray(c.mlp_only_layers) ? c.mlp_only_layers : [];
  const step = optionalInt(c, "decoder_sparse_step") ?? 1;
  const firstDense = optionalInt(c, "first_k_dense_replace") ?? 0;
  let denseLayers = 0;
  for (let i = 0; i < layers; i++) {
    if (i < firstDense || mlpOnly.includes(i) || (step > 0 && (i + 1) % step !== 0)) denseLayers++;
  }
  return {
    experts,
    expertsPerToken,
    expertIntermediateSize,
    sharedIntermediateSize: shared,
    sharedExpertGate: c.shared_expert_intermediate_size !== undefined,
    denseLayers,
  };
}

/** The MLA shape of a config with `kv_lora_rank` (DeepSeek V2/V3, Kimi K2), else undefined. */
export function readMla(c: Readonly<Record<string, unknown>>): MlaShape | undefined {
  if (c.kv_lora_rank === undefined || c.kv_lora_rank === null) return undefined;
  const qLoraRank = optionalInt(c, "q_lora_rank");
  const topk = optionalInt(c, "index_topk");
  const indexer: SparseIndexerShape | undefined =
    topk === undefined
      ? undefined
      : {
          headDim: requiredInt(c, "index_head_dim"),
          heads: optionalInt(c, "index_n_heads") ?? 0,
          topk: requiredInt(c, "index_topk"),
        };
  return {
    ...(qLoraRank === undefined ? {} : { qLoraRank }),
    kvLoraRank: requiredInt(c, "kv_lora_rank"),
    qkNopeHeadDim: requiredInt(c, "qk_nope_head_dim"),
    qkRopeHeadDim: requiredInt(c, "qk_rope_head_dim"),
    vHeadDim: requiredInt(c, "v_head_dim"),
    ...(indexer === undefined ? {} : { indexer }),
  };
}

/** `mamba_chunk_size` (else `chunk_size`, as ModelConfig.get_mamba_chunk_size reads it), if any. */
function mambaChunkSize(c: Readonly<Record<string, unknown>>): { chunkSize?: number } {
  const chunkSize = optionalInt(c, "mamba_chunk_size") ?? optionalInt(c, "chunk_size");
  return chunkSize === undefined ? {} : { chunkSize };
}

/**
 * The linear-attention layers of a hybrid config, or undefined for a model of attention layers
 * only: Granite 4.0 H (`model_type` granitemoehybrid, `layer_types` "mamba" / "attention",
 * transformers GraniteMoeHybridConfig) and Qwen3-Next (`model_type` qwen3_next: layer i is full
 * attention when (i + 1) % `full_attention_interval` == 0, else Gated DeltaNet; or its
 * `layer_types` "linear_attention" / "full_attention").
 */
export function readLinearAttention(
  c: Readonly<Record<string, unknown>>,
  layers: number,
  hiddenSize: number,
): LinearAttentionShape | undefined {
  const types = Array.isArray(c.layer_types) ? (c.layer_types as unknown[]) : undefined;
  if (c.model_type === "granitemoehybrid") {
    if (types === undefined || types.length !== layers)
      throw new TypeError(
        `config.json: "layer_types" must list one type for each of the ${layers} layers`,
      );
    const mamba = types.filter((type) => type === "mamba").length;
    if (mamba === 0) return undefined;
    return {
      kind: "mamba2",
      layers: mamba,
      heads: requiredInt(c, "mamba_n_heads"),
      headDim: requiredInt(c, "mamba_d_head"),
      stateSize: requiredInt(c, "mamba_d_state"),
      groups: optionalInt(c, "mamba_n_groups") ?? 1,
      convKernel: optionalInt(c, "mamba_d_conv") ?? 4,
      innerSize: (optionalInt(c, "mamba_expand") ?? 2) * hiddenSize,
      convBias: c.mamba_conv_bias !== false,
      ...mambaChunkSize(c),
    };
  }
  if (c.model_type === "qwen3_next") {
    let linear = 0;
    if (types !== undefined && types.length === layers) {
      linear = types.filter((type) => type === "linear_attention").length;
    } else {
      const interval = optionalInt(c, "full_attention_interval") ?? 4;
      for (let i = 0; i < layers; i++) if ((i + 1) % interval !== 0) linear++;
    }
    if (linear === 0) return undefined;
    return {
      kind: "gated-delta-net",
      layers: linear,
      keyHeads: requiredInt(c, "linear_num_key_heads"),
      valueHeads: requiredInt(c, "linear_num_value_heads"),
      keyHeadDim: requiredInt(c, "linear_key_head_dim"),
      valueHeadDim: requiredInt(c, "linear_value_head_dim"),
      convKernel: optionalInt(c, "linear_conv_kernel_dim") ?? 4,
    };
  }
  return undefined;
}

/** Parameters of one Mamba-2 or Gated DeltaNet mixer layer (vllm mamba_mixer2.py / qwen3_next.py). */
export function linearMixerParameters(shape: LinearAttentionShape, hiddenSize: number): number {
  const h = hiddenSize;
  if (shape.kind === "mamba2") {
    const conv = shape.innerSize + 2 * shape.groups * shape.stateSize;
    // in_proj: gate, x, B, C, dt; conv1d (+bias); dt_bias, A, D; gated RMSNorm; out_proj.
    const inProj = h * (shape.innerSize + conv + shape.heads);
    return (
      inProj +
      conv * shape.convKernel +
      (shape.convBias ? conv : 0) +
      3 * shape.heads +
      shape.innerSize +
      shape.innerSize * h
    );
  }
  const keyDim = shape.keyHeads * shape.keyHeadDim;
  const valueDim = shape.valueHeads * shape.valueHeadDim;
  const conv = 2 * keyDim + valueDim;
  // in_proj_qkvz, in_proj_ba, conv1d (no bias), dt_bias, A_log, gated RMSNorm over one head, out_proj.
  return (
    h * (2 * keyDim + 2 * valueDim) +
    h * 2 * shape.valueHeads +
    conv * shape.convKernel +
    2 * shape.valueHeads +
    shape.valueHeadDim +
    valueDim * h
  );
}

/**
 * Elements of one layer's state per sequence on each GPU, as vLLM's MambaStateShapeCalculator
 * (vllm/model_executor/layers/mamba/mamba_utils.py) shapes it:
 * - mamba2: conv (d_conv − 1) × (inner + 2 × groups′ × state) / tp and SSM (heads / tp) × head_dim
 *   × state, where groups′ adds tp − groups when tp does not divide the groups
 *   (`extra_groups_for_head_shards`);
 * - gated DeltaNet: conv (kernel − 1 + speculative tokens) × (2 × key_dim + value_dim) / tp and
 *   temporal (value_heads / tp) × key_head_dim × value_head_dim.
 */
export function linearStateElements(
  shape: LinearAttentionShape,
  tp: number,
  specTokens = 0,
): number {
  if (shape.kind === "mamba2") {
    const groups = shape.groups + (shape.groups % tp === 0 ? 0 : tp - shape.groups);
    const conv = (shape.convKernel - 1) * ((shape.innerSize + 2 * groups * shape.stateSize) / tp);
    return conv + (shape.heads / tp) * shape.headDim * shape.stateSize;
  }
  const convDim = 2 * shape.keyHeads * shape.keyHeadDim + shape.valueHeads * shape.valueHeadDim;
  const conv = (shape.convKernel - 1 + specTokens) * (convDim / tp);
  return conv + (shape.valueHeads / tp) * shape.keyHeadDim * shape.valueHeadDim;
}
