/**
 * The shape of a served model as the simulator needs it: what a Hugging Face `config.json` says
 * about layers, widths, heads and dtype. Parameter count, weight bytes and KV bytes per token
 * follow from these numbers, so a model is data and the arithmetic lives here once.
 */
import {
  hfTextConfig,
  ropeScaledLength,
  transformersVisionConfigDefaults,
} from "./hf-text-config.js";
import {
  type LinearAttentionShape,
  linearMixerParameters,
  type MlaShape,
  type MoeShape,
  readLinearAttention,
  readMla,
  readMoe,
  type SparseIndexerShape,
} from "./model-shapes.js";
import { readWeightQuantization, type WeightQuantization } from "./quantization.js";

/** Bytes per element of the dtypes a `config.json` names. */
const dtypeBytes: Record<string, number> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  float8: 1,
  fp8: 1,
};

/** A decoder-only transformer (Llama-style: gated MLP, grouped-query attention). */
export interface ModelProfile {
  /** Model name (the Hugging Face repository id for built-ins). */
  readonly name: string;
  /** `num_hidden_layers`. */
  readonly layers: number;
  /** `hidden_size`. */
  readonly hiddenSize: number;
  /** `num_attention_heads`. */
  readonly heads: number;
  /** `num_key_value_heads` (equals `heads` without grouped-query attention). */
  readonly kvHeads: number;
  /** `head_dim`, or `hidden_size / num_attention_heads` when the config leaves it out. */
  readonly headDim: number;
  /** `intermediate_size` of the gated MLP. */
  readonly intermediateSize: number;
  /** `vocab_size`. */
  readonly vocabSize: number;
  /** `torch_dtype` (e.g. "bfloat16"). */
  readonly dtype: string;
  /** `tie_word_embeddings`: the LM head shares the embedding matrix. */
  readonly tieWordEmbeddings: boolean;
  /**
   * vLLM's default `max_model_len`: `max_position_embeddings`, scaled for RoPE scaling as vLLM
   * does (hf-text-config.ts ropeScaledLength).
   */
  readonly maxPositionEmbeddings: number;
  /**
   * Sliding-window attention: the window in tokens (`sliding_window`), absent for a model whose
   * every layer attends to the whole sequence. A sliding layer keeps only the last W tokens' KV.
   */
  readonly slidingWindow?: number;
  /**
   * How many of the `layers` slide when {@link slidingWindow} is set (the rest attend to the whole
   * sequence); absent = all of them (Mistral-7B-v0.1). Gemma 3: 5 of every 6.
   */
  readonly slidingLayers?: number;
  /**
   * Parameters of a multimodal model's vision encoder and projector, which vLLM loads beside the
   * language model (their weights take memory before the KV cache is sized; they do no work per
   * generated token). Absent for a text-only model or an encoder we do not count.
   */
  readonly encoderParameters?: number;
  /** A mixture-of-experts MLP (model-shapes.ts); absent: a dense gated MLP on every layer. */
  readonly moe?: MoeShape;
  /** Multi-head latent attention (DeepSeek V2/V3); absent: grouped-query attention. */
  readonly mla?: MlaShape;
  /**
   * Linear-attention / Mamba layers of a hybrid model (they are part of `layers`; the rest are
   * attention layers); absent: every layer attends.
   */
  readonly linearAttention?: LinearAttentionShape;
  /**
   * Qwen3-Next's gated attention: q_proj also yields an output gate (vllm qwen3_next.py
   * `attn_output_gate`, default true), doubling its width.
   */
  readonly attentionOutputGate?: boolean;
  /**
   * Bytes per element of the decoder layers' matrices when the weights are quantized
   * (quantization.ts: fp8 1, AWQ/GPTQ int4 group 128 0.51953, compressed-tensors w4a16
   * 0.515625), scales and zero points included; absent: the model dtype's.
   */
  readonly quantizedWeightBytes?: number;
  /**
   * Bytes per element of the routed MoE experts when they are quantized apart from the rest
   * (gpt-oss MXFP4: 0.53125); absent: as {@link quantizedWeightBytes}.
   */
  readonly quantizedExpertBytes?: number;
  /** vLLM's name of the weight quantization (`quant_method` or `--quantization`); absent: none. */
  readonly quantization?: string;
  /**
   * Bytes per cached K or V element (`--kv-cache-dtype` fp8: 1); absent: the model dtype's
   * ("auto").
   */
  readonly kvCacheBytes?: number;
}

/**
 * Whether `model` needs the arithmetic of model-shapes.ts (MoE, MLA, linear attention, gated
 * attention or quantized weights); a dense model keeps the original formulas, unchanged.
 */
export function hasExtendedShape(model: ModelProfile): boolean {
  return (
    model.moe !== undefined ||
    model.mla !== undefined ||
    model.linearAttention !== undefined ||
    model.attentionOutputGate === true ||
    model.quantizedWeightBytes !== undefined ||
    model.quantizedExpertBytes !== undefined
  );
}

/** Layers that attend (and hold KV per token): all but a hybrid model's linear-attention layers. */
export function attentionLayerCount(model: ModelProfile): number {
  return model.layers - (model.linearAttention?.layers ?? 0);
}

/**
 * Parameters of one decoder layer of `model`, split by where they live: `sharded` matrices (split
 * over tensor parallelism, in the layer weight dtype), `replicated` matrices (MLA's low-rank
 * down-projections, ReplicatedLinear in vllm deepseek_v2.py), and `plain` (norms, MoE routers:
 * replicated, model dtype). `attention` picks an attention layer or a linear-attention one,
 * `moeLayer` a MoE MLP or a dense one; `active` counts only the experts one token runs.
 */
export function decoderLayerParameters(
  model: ModelProfile,
  attention: boolean,
  moeLayer: boolean,
  active = false,
): { sharded: number; replicated: number; plain: number } {
  const h = model.hiddenSize;
  let sharded = 0;
  let replicated = 0;
  let plain = 2 * h;
  const mla = model.mla;
  if (!attention && model.linearAttention !== undefined) {
    sharded += linearMixerParameters(model.linearAttention, h);
  } else if (mla !== undefined) {
    const qHead = mla.qkNopeHeadDim + mla.qkRopeHeadDim;
    const q = mla.qLoraRank;
    replicated += h * (q ?? 0) + h * (mla.kvLoraRank + mla.qkRopeHeadDim);
    plain += (q ?? 0) + mla.kvLoraRank;
    sharded +=
      (q ?? h) * model.heads * qHead +
      mla.kvLoraRank * model.heads * (mla.qkNopeHeadDim + mla.vHeadDim) +
      model.heads * mla.vHeadDim * h;
  } else {
    const qWidth = model.heads * model.headDim;
    sharded +=
      h * qWidth * (model.attentionOutputGate === true ? 2 : 1) +
      2 * h * model.kvHeads * model.headDim +
      qWidth * h;
  }
  const moe = model.moe;
  if (moe !== undefined && moeLayer) {
    const experts = active ? moe.expertsPerToken : moe.experts;
    sharded += 3 * h * (experts * moe.expertIntermediateSize + moe.sharedIntermediateSize);
    plain += h * moe.experts + (moe.sharedExpertGate ? h : 0);
  } else {
    sharded += 3 * h * model.intermediateSize;
  }
  return { sharded, replicated, plain };
}

/** Sums {@link decoderLayerParameters} over the layers: attention or not, MoE or not. */
function layerTotals(model: ModelProfile, active: boolean) {
  const attentionLayers = attentionLayerCount(model);
  const denseLayers = model.moe?.denseLayers ?? model.layers;
  const totals = { sharded: 0, replicated: 0, plain: 0 };
  // Which layers are dense does not change the sum: count dense MLPs on the first layers.
  for (let i = 0; i < model.layers; i++) {
    const part = decoderLayerParameters(model, i < attentionLayers, i >= denseLayers, active);
    totals.sharded += part.sharded;
    totals.replicated += part.replicated;
    totals.plain += part.plain;
  }
  return totals;
}

/**
 * The MLP width one token's activations take in the profiling run: the dense MLP's
 * `intermediate_size`, or for MoE layers the experts a token runs plus the shared expert,
 * whichever is wider.
 */
export function activeMlpWidth(model: ModelProfile): number {
  const moe = model.moe;
  if (moe === undefined) return model.intermediateSize;
  const sparse = moe.expertsPerToken * moe.expertIntermediateSize + moe.sharedIntermediateSize;
  return moe.denseLayers > 0 ? Math.max(model.intermediateSize, sparse) : sparse;
}

/** Layers of `model` that use the sliding window: 0 without one. */
export function slidingLayerCount(model: ModelProfile): number {
  if (model.slidingWindow === undefined) return 0;
  return model.slidingLayers ?? model.layers;
}

/**
 * The model as vLLM serves it with `--disable-sliding-window`: every layer attends to the whole
 * sequence (vLLM sets the config's `sliding_window` to None). Off the hot path; a spread is fine.
 */
export function withoutSlidingWindow(model: ModelProfile): ModelProfile {
  const { slidingWindow: _window, slidingLayers: _layers, ...rest } = model;
  return rest;
}

/**
 * The sliding window and the number of sliding layers a config.json declares, as vLLM reads it:
 * `use_sliding_window: false` (Qwen2) turns the window off (vllm tests/test_config.py
 * test_get_sliding_window); `layer_types` ("sliding_attention" / "full_attention") says layer by
 * layer; else `sliding_window_pattern` N makes layer i slide unless (i + 1) is a multiple of N
 * (Gemma 3, and Gemma 2's default of 2, both filled in by hf-text-config.ts); else Qwen2's `max_window_layers` M makes layers i ≥ M
 * slide; else every layer slides (Mistral-7B-v0.1). `interleaved_sliding_window` (older configs
 * vLLM rewrote) stands for `sliding_window` when that is absent.
 */
function readSlidingWindow(
  c: Record<string, unknown>,
  layers: number,
): { slidingWindow: number; slidingLayers: number } | undefined {
  const raw = c.sliding_window ?? c.interleaved_sliding_window;
  if (raw === undefined || raw === null || c.use_sliding_window === false) return undefined;
  if (typeof raw !== "number" || !Number.isInteger(raw) || raw <= 0)
    throw new TypeError('config.json: "sliding_window" must be a positive integer or null');
  let sliding = layers;
  const types = c.layer_types;
  const pattern = c.sliding_window_pattern;
  if (types !== undefined && types !== null) {
    if (!Array.isArray(types) || types.length !== layers)
      throw new TypeError(
        `config.json: "layer_types" must list one type for each of the ${layers} layers`,
      );
    sliding = types.filter((type) => type === "sliding_attention").length;
  } else if (pattern !== undefined && pattern !== null) {
    if (typeof pattern !== "number" || !Number.isInteger(pattern) || pattern <= 0)
      throw new TypeError('config.json: "sliding_window_pattern" must be a positive integer');
    sliding = layers - Math.floor(layers / pattern);
  } else if (c.use_sliding_window === true && typeof c.max_window_layers === "number") {
    sliding = Math.max(0, layers - c.max_window_layers);
  }
  if (sliding === 0) return undefined;
  return { slidingWindow: raw, slidingLayers: sliding };
}

/** Bytes per element of the model's dtype; throws a RangeError for a dtype we do not know. */
export function bytesPerElement(model: ModelProfile): number {
  const bytes = dtypeBytes[model.dtype];
  if (bytes === undefined) throw new RangeError(`unknown dtype "${model.dtype}"`);
  return bytes;
}

/**
 * Parameters of the model: embeddings, per layer the q/k/v/o projections, the gated MLP
 * (gate, up, down) and two RMSNorms, the final norm, and the LM head unless tied.
 */
export function parameterCount(model: ModelProfile): number {
  if (hasExtendedShape(model)) return extendedParameterCount(model, false);
  const h = model.hiddenSize;
  const kvWidth = model.kvHeads * model.headDim;
  const qWidth = model.heads * model.headDim;
  const attention = h * qWidth + 2 * h * kvWidth + qWidth * h;
  const mlp = 3 * h * model.intermediateSize;
  const perLayer = attention + mlp + 2 * h;
  const embedding = model.vocabSize * h;
  const lmHead = model.tieWordEmbeddings ? 0 : model.vocabSize * h;
  return embedding + model.layers * perLayer + h + lmHead;
}

/** Embeddings, decoder layers ({@link decoderLayerParameters}), final norm and untied LM head. */
function extendedParameterCount(model: ModelProfile, active: boolean): number {
  const t = layerTotals(model, active);
  const head = model.tieWordEmbeddings ? 0 : model.vocabSize * model.hiddenSize;
  return (
    model.vocabSize * model.hiddenSize +
    t.sharded +
    t.replicated +
    t.plain +
    model.hiddenSize +
    head
  );
}

/**
 * Parameters one token runs through: {@link parameterCount} with only `expertsPerToken` routed
 * experts per MoE layer (Mixtral 8x7B: 12.9B of 46.7B); the same as parameterCount for a dense
 * model.
 */
export function activeParameterCount(model: ModelProfile): number {
  return model.moe === undefined ? parameterCount(model) : extendedParameterCount(model, true);
}

/**
 * Parameters that do matrix work per token (everything but the embedding lookup and the LM head);
 * for a MoE model only the experts a token runs ({@link activeParameterCount}).
 */
export function layerParameterCount(model: ModelProfile): number {
  if (hasExtendedShape(model)) {
    const head = model.tieWordEmbeddings ? 0 : model.vocabSize * model.hiddenSize;
    return activeParameterCount(model) - model.vocabSize * model.hiddenSize - head;
  }
  const lmHead = model.tieWordEmbeddings ? 0 : model.vocabSize * model.hiddenSize;
  return parameterCount(model) - model.vocabSize * model.hiddenSize - lmHead;
}

/**
 * Bytes of a multimodal model's vision encoder and projector on each GPU (0 for a text-only
 * model), split over `tp` as vLLM shards the encoder's linear layers by default.
 */
export function encoderWeightBytesPerGpu(model: ModelProfile, tp = 1): number {
  return ((model.encoderParameters ?? 0) * bytesPerElement(model)) / tp;
}

/**
 * Parameters of Gemma 3's vision side (top-level `model_type` "gemma3"): the SigLIP encoder of
 * `vision_config` without its pooling head (`vision_use_head` false), as transformers and vLLM
 * build it (modeling_siglip.py / vllm siglip.py: patch convolution with bias, one position
 * embedding per patch, per layer q/k/v/out projections and a two-matrix MLP with biases and two
 * LayerNorms, a final LayerNorm), plus Gemma3MultiModalProjector's input projection (vision width
 * × text width) and its RMSNorm. Fields left out take SiglipVisionConfig's defaults. Undefined for
 * other models: their encoders are not counted.
 */
function gemma3EncoderParameters(
  top: Record<string, unknown>,
  textHidden: number,
): number | undefined {
  const raw = top.vision_config;
  if (top.model_type !== "gemma3" || typeof raw !== "object" || raw === null) return undefined;
  const vision = raw as Record<string, unknown>;
  if ((vision.model_type ?? "siglip_vision_model") !== "siglip_vision_model") return undefined;
  if (vision.vision_use_head === true) return undefined;
  const v = { ...transformersVisionConfigDefaults.siglip_vision_model, ...vision };
  const h = requireNumber(v, "hidden_size");
  const i = requireNumber(v, "intermediate_size");
  const patch = requireNumber(v, "patch_size");
  const patches = (requireNumber(v, "image_size") / patch) ** 2;
  const perLayer = 4 * (h * h + h) + (h * i + i) + (i * h + h) + 2 * 2 * h;
  const embeddings = requireNumber(v, "num_channels") * patch * patch * h + h + patches * h;
  const encoder = embeddings + requireNumber(v, "num_hidden_layers") * perLayer + 2 * h;
  return encoder + h * textHidden + h;
}

/**
 * Bytes of the language model's weights on each GPU with tensor parallelism `tp` (sharded
 * evenly); the vision side is {@link encoderWeightBytesPerGpu}.
 */
export function weightBytesPerGpu(model: ModelProfile, tp = 1): number {
  if (hasExtendedShape(model)) return extendedWeightBytes(model, tp, false);
  return (parameterCount(model) * bytesPerElement(model)) / tp;
}

/**
 * Weight bytes on each GPU of a model with an extended shape: layer matrices in the quantized
 * width (or the dtype's), split over `tp` except MLA's replicated down-projections; embeddings
 * and LM head in the model dtype, split; norms and routers in the model dtype, replicated.
 * `active` counts only the routed experts one token runs.
 */
function extendedWeightBytes(model: ModelProfile, tp: number, active: boolean): number {
  const dtype = bytesPerElement(model);
  const matrix = model.quantizedWeightBytes ?? dtype;
  const t = layerTotals(model, active);
  const vocab = model.vocabSize * model.hiddenSize * (model.tieWordEmbeddings ? 1 : 2);
  const base =
    (t.sharded / tp + t.replicated) * matrix +
    (vocab / tp) * dtype +
    (t.plain + model.hiddenSize) * dtype;
  const moe = model.moe;
  if (model.quantizedExpertBytes === undefined || moe === undefined) return base;
  // Routed experts quantized apart from the rest (gpt-oss MXFP4): re-price their share.
  const routed =
    (model.layers - moe.denseLayers) *
    3 *
    model.hiddenSize *
    (active ? moe.expertsPerToken : moe.experts) *
    moe.expertIntermediateSize;
  return base + (routed / tp) * (model.quantizedExpertBytes - matrix);
}

/**
 * A MoE model's weights on each GPU split for the step-time model: `fixedBytes` every step reads
 * (all but the routed experts) and `expertBytes`, one routed expert's bytes summed over the MoE
 * layers (each expert a step's tokens route to is read once). Undefined for a dense model.
 */
export function moeWeightSplit(
  model: ModelProfile,
  tp = 1,
): { fixedBytes: number; expertBytes: number } | undefined {
  const moe = model.moe;
  if (moe === undefined) return undefined;
  const matrix = model.quantizedExpertBytes ?? model.quantizedWeightBytes ?? bytesPerElement(model);
  const moeLayers = model.layers - moe.denseLayers;
  const expertBytes = (moeLayers * 3 * model.hiddenSize * moe.expertIntermediateSize * matrix) / tp;
  return {
    fixedBytes: extendedWeightBytes(model, tp, false) - moe.experts * expertBytes,
    expertBytes,
  };
}

/**
 * KV heads on each GPU: vLLM's `get_num_kv_heads` (vllm/config/model.py) divides them over
 * tensor parallelism but keeps at least one (replicating a head when tp exceeds them); an MLA
 * model caches one latent "head" on every rank.
 */
export function kvHeadsPerGpu(model: ModelProfile, tp = 1): number {
  if (model.mla !== undefined) return 1;
  return Math.max(1, model.kvHeads / tp);
}

/**
 * Elements one attention layer caches per token on each GPU: K and V of {@link kvHeadsPerGpu}
 * heads of head_dim, or for MLA the latent plus the rotary key (kv_lora_rank + qk_rope_head_dim,
 * vLLM's `get_head_size` for MLA, no V).
 */
export function kvElementsPerTokenPerLayer(model: ModelProfile, tp = 1): number {
  const mla = model.mla;
  if (mla !== undefined) return mla.kvLoraRank + mla.qkRopeHeadDim;
  return 2 * kvHeadsPerGpu(model, tp) * model.headDim;
}

/**
 * KV-cache bytes one token occupies on each GPU: 2 (K and V) × layers × KV heads × head dim ×
 * dtype bytes, divided by the tensor-parallel size (vllm-openai.md §9: Llama-3-8B BF16 → 128 KiB).
 * A model with an extended shape counts its attention layers only, at
 * {@link kvElementsPerTokenPerLayer} each (DeepSeek V3: 61 × 576 × 2 = 70,272 B on every GPU).
 */
export function kvBytesPerToken(model: ModelProfile, tp = 1): number {
  if (hasExtendedShape(model))
    return attentionLayerCount(model) * kvBytesPerTokenPerLayer(model, tp);
  const bytes = kvCacheElementBytesOf(model);
  return (2 * model.layers * model.kvHeads * model.headDim * bytes) / tp;
}

/**
 * KV-cache bytes one attention layer holds per token on each GPU: {@link
 * kvElementsPerTokenPerLayer} × the cache dtype's bytes, except for sparse MLA (DeepSeek V3.2,
 * {@link MlaShape.indexer}): an fp8 cache there is FlashMLA Sparse's `fp8_ds_mla` record
 * ({@link dsMlaFp8TokenBytes}, 656 B), and every layer also caches the indexer's key
 * ({@link indexerKeyTokenBytes}, 132 B) whatever `--kv-cache-dtype` says. Both sit in one KV
 * cache group, so a token's page bytes are their sum (DeepSeek V3.2 fp8: 788 B, bf16: 1,284 B).
 */
export function kvBytesPerTokenPerLayer(model: ModelProfile, tp = 1): number {
  const bytes = kvCacheElementBytesOf(model);
  const mla = model.mla;
  if (mla?.indexer === undefined) return kvElementsPerTokenPerLayer(model, tp) * bytes;
  const latent =
    bytes === 1 ? dsMlaFp8TokenBytes(mla) : kvElementsPerTokenPerLayer(model, tp) * bytes;
  return latent + indexerKeyTokenBytes(mla.indexer);
}

/**
 * Bytes of one token's `fp8_ds_mla` record (vllm/v1/attention/backends/mla/flashmla_sparse.py,
 * the FP8-with-scale format of DeepSeek V3.2): the `kv_lora_rank` latent values as float8_e4m3,
 * one float32 scale per 128 of them, then the `qk_rope_head_dim` rotary key unquantized in
 * bfloat16. DeepSeek V3.2: 512 + 16 + 128 = 656 B. vLLM turns any fp8 `--kv-cache-dtype` of a
 * V3.2 model into this format (vllm/model_executor/models/config.py DeepseekV32ForCausalLM).
 */
export function dsMlaFp8TokenBytes(mla: MlaShape): number {
  return mla.kvLoraRank + Math.ceil(mla.kvLoraRank / 128) * 4 + mla.qkRopeHeadDim * 2;
}

/**
 * Bytes of the lightning indexer's cached key per token per layer (vllm deepseek_v2.py
 * `Indexer`: `head_dim + head_dim // quant_block_size * 4` bytes of uint8, fp8 values with one
 * float32 scale per 128-value block). DeepSeek V3.2 (index_head_dim 128): 132 B.
 */
export function indexerKeyTokenBytes(indexer: SparseIndexerShape): number {
  return indexer.headDim + Math.floor(indexer.headDim / 128) * 4;
}

/**
 * Bytes of one cached K or V element: the `--kv-cache-dtype` the profile carries
 * ({@link ModelProfile.kvCacheBytes}), else the model dtype's (vLLM's "auto").
 */
export function kvCacheElementBytesOf(model: ModelProfile): number {
  return model.kvCacheBytes ?? bytesPerElement(model);
}

/** Reads a number field of a config object; throws a TypeError naming the field otherwise. */
function requireNumber(config: Record<string, unknown>, key: string): number {
  const value = config[key];
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`config.json: "${key}" must be a positive number`);
  }
  return value;
}

/**
 * The language model's part of a config with transformers' class defaults filled in
 * ({@link hfTextConfig}). Like vLLM, a nested text config that still has no
 * `num_attention_heads` (its model type has no default for it) is refused (a TypeError here,
 * vLLM's ValueError at start-up), since everything the engine sizes comes from it.
 */
function textConfigOf(config: Record<string, unknown>): Record<string, unknown> {
  const { text, nested } = hfTextConfig(config);
  if (nested && text.num_attention_heads === undefined)
    throw new TypeError(
      "config.json: the text_config extracted from the model config has no num_attention_heads (vLLM refuses it too)",
    );
  return text as Record<string, unknown>;
}

/**
 * A model profile from a parsed Hugging Face `config.json`; for a multimodal config, of its
 * language model (`text_config`, see {@link textConfigOf}); fields the config leaves out take
 * their transformers class default by `model_type` (hf-text-config.ts), with `dtype`, `_name_or_path` and
 * `tie_word_embeddings` taken from the top when the text config leaves them out. Missing `num_key_value_heads` means
 * no grouped-query attention; missing `head_dim` means hidden_size / heads; missing `dtype` (or
 * the older `torch_dtype`) means bfloat16. A sliding window is read as vLLM reads it
 * ({@link readSlidingWindow}). Throws a TypeError naming the first bad field.
 */
export function modelProfileFromConfig(config: unknown, name = "model"): ModelProfile {
  if (typeof config !== "object" || config === null)
    throw new TypeError("config.json: expected an object");
  const top = config as Record<string, unknown>;
  const c = textConfigOf(top);
  const hiddenSize = requireNumber(c, "hidden_size");
  const heads = requireNumber(c, "num_attention_heads");
  // transformers ≥4.56 writes `dtype`; older configs `torch_dtype`. A multimodal config usually
  // declares it once, at the top, for all its parts.
  const declared =
    typeof c.dtype === "string"
      ? c.dtype
      : typeof c.torch_dtype === "string"
        ? c.torch_dtype
        : typeof top.dtype === "string"
          ? top.dtype
          : top.torch_dtype;
  const dtype = typeof declared === "string" ? declared : "bfloat16";
  if (dtypeBytes[dtype] === undefined)
    throw new TypeError(`config.json: unsupported torch_dtype "${dtype}"`);
  const layers = requireNumber(c, "num_hidden_layers");
  const sliding = readSlidingWindow(c, layers);
  const encoder = gemma3EncoderParameters(top, hiddenSize);
  const intermediateSize = requireNumber(c, "intermediate_size");
  const moe = readMoe(c, layers, intermediateSize);
  const mla = readMla(c);
  const linearAttention = readLinearAttention(c, layers, hiddenSize);
  const quantization = readWeightQuantization(top);
  // Off the hot path (once per start-up): a spread is fine.
  const shapes = {
    ...(moe === undefined ? {} : { moe }),
    ...(mla === undefined ? {} : { mla }),
    ...(linearAttention === undefined ? {} : { linearAttention }),
    ...(c.model_type === "qwen3_next" && c.attn_output_gate !== false
      ? { attentionOutputGate: true }
      : {}),
  };
  return {
    name:
      typeof top._name_or_path === "string" && top._name_or_path !== "" ? top._name_or_path : name,
    layers,
    hiddenSize,
    heads,
    kvHeads: c.num_key_value_heads === undefined ? heads : requireNumber(c, "num_key_value_heads"),
    headDim:
      c.head_dim === undefined || c.head_dim === null
        ? hiddenSize / heads
        : requireNumber(c, "head_dim"),
    intermediateSize,
    vocabSize: requireNumber(c, "vocab_size"),
    dtype,
    tieWordEmbeddings: (c.tie_word_embeddings ?? top.tie_word_embeddings) === true,
    maxPositionEmbeddings: ropeScaledLength(
      c,
      [top.model_type, c.model_type],
      requireNumber(c, "max_position_embeddings"),
    ),
    ...sliding,
    ...(encoder === undefined ? {} : { encoderParameters: encoder }),
    ...shapes,
    ...quantizationFields(quantization),
  };
}

/** The profile fields of a weight quantization (none for undefined). */
function quantizationFields(q: WeightQuantization | undefined): Partial<ModelProfile> {
  if (q === undefined) return {};
  return {
    quantization: q.method,
    ...(q.layerBytes === undefined ? {} : { quantizedWeightBytes: q.layerBytes }),
    ...(q.expertBytes === undefined ? {} : { quantizedExpertBytes: q.expertBytes }),
  };
}

/**
 * The model as vLLM serves it with weight quantization `q` (from quantization.ts
 * `servedQuantization`: the checkpoint's, or `--quantization fp8` on an unquantized one) and
 * KV elements of `kvCacheBytes` bytes (`--kv-cache-dtype`; undefined: the model dtype's). Off the
 * hot path (once per start-up); a spread is fine.
 */
export function withServingPrecision(
  model: ModelProfile,
  q: WeightQuantization | undefined,
  kvCacheBytes?: number,
): ModelProfile {
  const {
    quantization: _method,
    quantizedWeightBytes: _layer,
    quantizedExpertBytes: _expert,
    kvCacheBytes: _kv,
    ...rest
  } = model;
  const kv =
    kvCacheBytes === undefined || kvCacheBytes === bytesPerElement(model) ? {} : { kvCacheBytes };
  return { ...rest, ...quantizationFields(q), ...kv };
}

/**
 * Built-in models, written from the published `config.json` of each repository (architecture
 * numbers only).
 */
export const modelProfiles = {
  /** meta-llama/Llama-3.1-8B-Instruct config.json. */
  "llama-3.1-8b": {
    name: "meta-llama/Llama-3.1-8B-Instruct",
    layers: 32,
    hiddenSize: 4096,
    heads: 32,
    kvHeads: 8,
    headDim: 128,
    intermediateSize: 14_336,
    vocabSize: 128_256,
    dtype: "bfloat16",
    tieWordEmbeddings: false,
    maxPositionEmbeddings: 131_072,
  },
  /** meta-llama/Llama-3.1-70B-Instruct config.json. */
  "llama-3.1-70b": {
    name: "meta-llama/Llama-3.1-70B-Instruct",
    layers: 80,
    hiddenSize: 8192,
    heads: 64,
    kvHeads: 8,
    headDim: 128,
    intermediateSize: 28_672,
    vocabSize: 128_256,
    dtype: "bfloat16",
    tieWordEmbeddings: false,
    maxPositionEmbeddings: 131_072,
  },
  /** ibm-granite/granite-3.1-8b-instruct config.json. */
  "granite-3.1-8b": {
    name: "ibm-granite/granite-3.1-8b-instruct",
    layers: 40,
    hiddenSize: 4096,
    heads: 32,
    kvHeads: 8,
    headDim: 128,
    intermediateSize: 12_800,
    vocabSize: 49_155,
    dtype: "bfloat16",
    tieWordEmbeddings: true,
    maxPositionEmbeddings: 131_072,
  },
  /** mistralai/Mistral-7B-Instruct-v0.3 config.json. */
  "mistral-7b": {
    name: "mistralai/Mistral-7B-Instruct-v0.3",
    layers: 32,
    hiddenSize: 4096,
    heads: 32,
    kvHeads: 8,
    headDim: 128,
    intermediateSize: 14_336,
    vocabSize: 32_768,
    dtype: "bfloat16",
    tieWordEmbeddings: false,
    maxPositionEmbeddings: 32_768,
  },
} as const satisfies Record<string, ModelProfile>;

/** Id of a built-in model. */
export type ModelId = keyof typeof modelProfiles;

/** The built-in model with this id; throws a RangeError naming the known ids otherwise. */
export function modelProfile(id: string): ModelProfile {
  const found = (modelProfiles as Record<string, ModelProfile>)[id];
  if (!found)
    throw new RangeError(`unknown model "${id}"; known: ${Object.keys(modelProfiles).join(", ")}`);
  return found;
}

/**
 * vLLM's start-up refusal when `--tensor-parallel-size` does not divide the model's attention
 * heads (vllm/config ModelConfig.verify_with_parallel_config: "Total number of attention heads
 * (32) must be divisible by tensor parallel size (3)."), or undefined when it does.
 */
export function tensorParallelError(model: ModelProfile, tp: number): string | undefined {
  if (model.heads % tp === 0) return undefined;
  return `Total number of attention heads (${model.heads}) must be divisible by tensor parallel size (${tp}).`;
}
