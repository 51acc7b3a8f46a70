/**
 * KV-cache capacity as vLLM sizes it at start-up: the memory it may use is total × the
 * `gpu_memory_utilization` fraction; weights, the activation peak of a profiling run and a fixed
 * overhead (CUDA context, CUDA graphs) come off; what is left becomes 16-token blocks. Also the
 * start-up log lines vLLM prints about it and the ValueError it stops with when one
 * `max_model_len` request cannot fit. Pure arithmetic: no clock, no I/O.
 */
import type { DeviceProfile } from "./device-profiles.js";
import { expertParallelWeightBytesPerGpu } from "./expert-parallel.js";
import { type MambaCacheMode, mamba2PrefixCachingLine, statePagesPerGroup } from "./mamba-align.js";
import {
  type CudaGraphCapture,
  cudaGraphCaptureLines,
  cudaGraphMemoryLines,
  cudaGraphProfilingLine,
  formatGib,
} from "./model-loading.js";
import {
  activeMlpWidth,
  attentionLayerCount,
  bytesPerElement,
  encoderWeightBytesPerGpu,
  kvBytesPerToken,
  kvCacheElementBytesOf,
  kvElementsPerTokenPerLayer,
  type ModelProfile,
  slidingLayerCount,
  weightBytesPerGpu,
} from "./model-profiles.js";
import { linearStateElements } from "./model-shapes.js";
import type { DrafterMemory } from "./speculative.js";

const GiB = 1024 ** 3;

/** Tokens per KV block: vllm-openai.md §9, `block_size` 16 on CUDA. */
export const defaultBlockSize = 16;

/** vLLM's info line when an MLA model on Hopper gets FlashMLA's 64-token blocks (platforms/cuda.py). */
export const flashMlaBlockSizeLine = "Forcing kv cache block size to 64 for FlashMLA backend.";

/** vLLM's `--gpu-memory-utilization` default (vllm-openai.md §9). */
export const defaultGpuMemoryUtilization = 0.9;

/**
 * The non-torch and CUDA-graph memory we assume vLLM keeps outside the KV cache (1 GiB): an
 * estimate; vLLM measures it on the real GPU at start-up.
 */
export const defaultOverheadBytes = 1 * GiB;

/** Scheduler limits vLLM picks when the user does not: `max_num_seqs` and `max_num_batched_tokens`. */
export interface BatchDefaults {
  /** Most sequences in one step. */
  readonly maxNumSeqs: number;
  /** Token budget of one step. */
  readonly maxNumBatchedTokens: number;
}

/**
 * vLLM's defaults for the device: vllm-openai.md §9 (`arg_utils.py get_batch_defaults`): large
 * GPUs (≥70 GiB, not A100) get 1024 seqs / 8192 tokens for `vllm serve` and 1024 / 16384 for the
 * offline `LLM` class; other GPUs 256 / 2048 (serve) and 256 / 8192 (offline).
 */
export function batchDefaults(
  device: DeviceProfile,
  usage: "serve" | "offline" = "serve",
): BatchDefaults {
  if (device.largeForBatchDefaults) {
    return { maxNumSeqs: 1024, maxNumBatchedTokens: usage === "serve" ? 8192 : 16_384 };
  }
  return { maxNumSeqs: 256, maxNumBatchedTokens: usage === "serve" ? 2048 : 8192 };
}

/**
 * How vLLM V1 lays a model's KV cache out in groups (vllm/v1/core/kv_cache_utils.py): layers of
 * one attention type share a block table; with both types (Gemma 2/3) the layers are cut into
 * groups of `groupSize` layers (the smaller type's layer count, or the larger one's when it is
 * under 1.5 × the smaller), and one page of the shared pool holds one block of one layer of
 * every group slot, so a pool block costs `groupSize` layers of KV and each request takes blocks
 * in every group. A model without sliding layers is one full-attention group; one whose layers
 * all slide (Mistral-7B-v0.1) one sliding group.
 */
export interface KvCacheLayout {
  /** The sliding window in tokens; absent: no sliding layers. */
  readonly window?: number;
  /** Groups of full-attention layers. */
  readonly fullGroups: number;
  /** Groups of sliding-window layers. */
  readonly slidingGroups: number;
  /** Layers per group: the layers one pool block holds KV for. */
  readonly groupSize: number;
  /**
   * Placeholder layers vLLM adds to fill the last group of each type, with that type's layer
   * count, sliding first (vLLM's warning "Add N padding layers, may waste at most P% KV cache
   * memory"); absent when none.
   */
  readonly padding?: readonly { readonly layers: number; readonly of: number }[];
  /**
   * Groups of a hybrid model's linear-attention / Mamba layers (model-shapes.ts): each request
   * holds one block in each (its fixed state; no prefix caching), whatever its length. Absent
   * for a model of attention layers only.
   */
  readonly mambaGroups?: number;
}

/**
 * The warning vLLM logs when `--disable-hybrid-kv-cache-manager` meets a model with both sliding
 * and full-attention layers (vllm/v1/core/kv_cache_utils.py `unify_hybrid_kv_cache_specs`).
 */
export const hybridKvCacheDisabledWarning =
  "Hybrid KV cache manager is disabled for this hybrid model, This means we do not enable any optimizations for saving KV cache memory (e.g., dropping the KV cache outside the sliding window). The compute of layers like sliding window is still saved.";

/**
 * The KV cache groups vLLM forms for `model`; see {@link KvCacheLayout}. With `hybrid` false
 * (`--disable-hybrid-kv-cache-manager`), a model with both sliding and full-attention layers is
 * made uniform as vLLM's `unify_hybrid_kv_cache_specs` does: every sliding layer's spec becomes a
 * full-attention one, so all layers form one full-attention group (KV kept for the whole sequence
 * on every layer; the sliding layers still attend over their window only, which the step-time
 * model keeps). A model whose layers all slide is uniform already and keeps its sliding group.
 */
export function kvCacheLayout(model: ModelProfile, hybrid = true): KvCacheLayout {
  if (model.linearAttention !== undefined) return mambaHybridLayout(model);
  const sliding = slidingLayerCount(model);
  const full = model.layers - sliding;
  if (sliding === 0 || (!hybrid && full > 0))
    return { fullGroups: 1, slidingGroups: 0, groupSize: model.layers };
  const window = model.slidingWindow as number;
  if (full === 0) return { window, fullGroups: 0, slidingGroups: 1, groupSize: model.layers };
  const { groupSize, padding } = uniformPageGroups(sliding, full);
  return {
    window,
    fullGroups: Math.ceil(full / groupSize),
    slidingGroups: Math.ceil(sliding / groupSize),
    groupSize,
    ...(padding.length === 0 ? {} : { padding }),
  };
}

/**
 * How vLLM cuts two kinds of layers of one page size into groups
 * (`_get_kv_cache_groups_uniform_page_size`): a group holds as many layers as the smaller kind
 * has, or as the larger kind when it has under 1.5 × the smaller; a kind whose count is no
 * multiple of the group size is padded with `layers` empty layers (listed in the order given).
 */
function uniformPageGroups(
  first: number,
  second: number,
): { groupSize: number; padding: { layers: number; of: number }[] } {
  const fewest = Math.min(first, second);
  const most = Math.max(first, second);
  const groupSize = most < fewest * 1.5 ? most : fewest;
  const padding: { layers: number; of: number }[] = [];
  for (const count of [first, second]) {
    const layers = groupSize - (count % groupSize);
    if (layers !== groupSize) padding.push({ layers, of: count });
  }
  return { groupSize, padding };
}

/**
 * The groups of a hybrid model of attention and linear-attention layers: one page size for both
 * (see {@link mambaPageSizes}), so the layers are cut into groups as for sliding and full layers
 * (`_get_kv_cache_groups_uniform_page_size`: the smaller type's count, or the larger's when
 * under 1.5 × the smaller), attention groups first in our numbering.
 */
function mambaHybridLayout(model: ModelProfile): KvCacheLayout {
  const linear = model.linearAttention?.layers ?? 0;
  const attention = attentionLayerCount(model);
  const { groupSize, padding } = uniformPageGroups(linear, attention);
  return {
    fullGroups: Math.ceil(attention / groupSize),
    slidingGroups: 0,
    groupSize,
    mambaGroups: Math.ceil(linear / groupSize),
    ...(padding.length === 0 ? {} : { padding }),
  };
}

/** A hybrid model's page sizes per GPU, as vLLM unifies them at start-up. */
export interface MambaPageSizes {
  /** One linear-attention layer's state of one sequence, bytes (MambaSpec page before padding). */
  readonly stateBytes: number;
  /** One attention layer's KV of one token, bytes. */
  readonly attentionTokenBytes: number;
  /** The attention block size vLLM picks (tokens), or the user's when at least that. */
  readonly blockSize: number;
  /** The unified page: blockSize × attentionTokenBytes, ≥ stateBytes (the state padded to it). */
  readonly pageBytes: number;
  /** Whether vLLM raised the block size (and logs so). */
  readonly raised: boolean;
}

/** Least common multiple of two positive integers. */
function lcm(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) [x, y] = [y, x % y];
  return (a / x) * b;
}

/**
 * vLLM's page-size unification for hybrid attention + Mamba models
 * (vllm/model_executor/models/config.py HybridAttentionMambaModelConfig.verify_and_update_config,
 * later platforms/interface.py `_align_hybrid_block_size`): the attention block size becomes
 * 16 × ceil(state page / (16 × one token's attention page)), unless the user set a block size at
 * least that large, and the state page is padded up to the attention page. In mamba_cache_mode
 * "all" (`mode`) the block is instead a multiple of lcm(`mamba_chunk_size`, kernel alignment)
 * holding at least one state page, the alignment being max(16, the user's block size or 16);
 * a model without a chunk size cannot run "all" (vLLM asserts). States in the model dtype
 * (`mamba_cache_dtype` auto), KV in the cache dtype (`--kv-cache-dtype`, model-profiles.ts
 * kvCacheElementBytesOf).
 */
export function mambaPageSizes(
  model: ModelProfile,
  tp = 1,
  userBlockSize?: number,
  mode: MambaCacheMode = "none",
): MambaPageSizes {
  const shape = model.linearAttention;
  if (shape === undefined) throw new RangeError("mambaPageSizes: the model has no Mamba layers");
  const stateBytes = linearStateElements(shape, tp) * bytesPerElement(model);
  const attentionTokenBytes = kvElementsPerTokenPerLayer(model, tp) * kvCacheElementBytesOf(model);
  let needed = 16 * Math.ceil(stateBytes / (16 * attentionTokenBytes));
  if (mode === "all") {
    const chunkSize = shape.kind === "mamba2" ? shape.chunkSize : undefined;
    if (chunkSize === undefined)
      throw new RangeError(
        "mamba_cache_mode 'all' needs the model's mamba_chunk_size (config.json has none)",
      );
    const chunk = lcm(chunkSize, Math.max(16, userBlockSize ?? 16));
    needed = chunk * Math.ceil(Math.ceil(stateBytes / attentionTokenBytes) / chunk);
  }
  const raised = userBlockSize === undefined || userBlockSize < needed;
  const blockSize = raised ? needed : userBlockSize;
  return {
    stateBytes,
    attentionTokenBytes,
    blockSize,
    pageBytes: blockSize * attentionTokenBytes,
    raised,
  };
}

/**
 * Blocks one request may hold in a sliding group: SlidingWindowSpec's admission bound
 * (vllm/v1/kv_cache_interface.py): the last W − 1 computed tokens plus one step's new tokens, at
 * most `maxModelLen`, plus one block because the window need not start on a block boundary.
 */
export function slidingWindowBlocks(
  window: number,
  maxNumBatchedTokens: number,
  maxModelLen: number,
  blockSize: number,
): number {
  return Math.ceil(Math.min(window - 1 + maxNumBatchedTokens, maxModelLen) / blockSize) + 1;
}

/** What to size the KV cache for. */
export interface KvCapacityOptions {
  readonly device: DeviceProfile;
  readonly model: ModelProfile;
  /** `--tensor-parallel-size`; default 1. */
  readonly tensorParallelSize?: number;
  /** `--gpu-memory-utilization`, in (0, 1]; default 0.9. */
  readonly gpuMemoryUtilization?: number;
  /** `--max-model-len`; default the model's `max_position_embeddings`. */
  readonly maxModelLen?: number;
  /** Token budget of the profiling run; default from {@link batchDefaults}. */
  readonly maxNumBatchedTokens?: number;
  /** Sequences of the sampler's profiling run; default from {@link batchDefaults}. */
  readonly maxNumSeqs?: number;
  /** Tokens per block; default 16. */
  readonly blockSize?: number;
  /** Bytes outside torch's allocations and CUDA graphs; default {@link defaultOverheadBytes}. */
  readonly overheadBytes?: number;
  /**
   * `--disable-hybrid-kv-cache-manager`: a model with sliding and full layers keeps full KV on
   * every layer (one group; see {@link kvCacheLayout}) and vLLM logs
   * {@link hybridKvCacheDisabledWarning}. Default false.
   */
  readonly disableHybridKvCacheManager?: boolean;
  /**
   * The speculative drafter (`--speculative-config` with an EAGLE head, MTP layers or a draft
   * model; speculative.ts drafterMemory): its weights count with the target's before the cache
   * is sized, and its attention layers join the full-attention KV layers (a draft model's at
   * their own size, `kvBytesPerToken`, in the same group). Default: none.
   */
  readonly drafter?: DrafterMemory;
  /**
   * Mamba / linear-attention hybrids with speculative decoding: the state blocks each request
   * holds beyond its one running state in every Mamba group, vLLM's
   * `MambaSpec.num_speculative_blocks` (mamba/abstract.py `get_kv_cache_spec`: the
   * `num_speculative_tokens` of any `--speculative-config`, else 0). Each Mamba layer then
   * needs (1 + this) pages per request (kv_cache_interface.py `MambaSpec.max_memory_usage_bytes`,
   * `mamba_cache_mode` "none"), which the start-up memory check and the maximum concurrency
   * count. Ignored for other models. Default 0.
   */
  readonly numSpeculativeBlocks?: number;
  /**
   * Hybrid attention + Mamba models: vLLM's `mamba_cache_mode` (vllm/config/cache.py), which sets
   * the state pages a request holds in every Mamba group (mamba-align.ts statePagesPerGroup:
   * "none" 1 + k, "align" 2 + k, "all" ceil(max_model_len / block) + k) for the start-up memory
   * check and the maximum concurrency, the attention block size ("all" aligns it to
   * mamba_chunk_size, {@link mambaPageSizes}) and the config-time lines: "align" and "all" log
   * vLLM's experimental-support line (model_executor/models/config.py MambaModelConfig), "none"
   * the disabling line when {@link KvCapacityOptions.mambaDisablingLine} says so. Ignored for
   * other models. Default "none".
   */
  readonly mambaCacheMode?: MambaCacheMode;
  /**
   * Hybrids in mamba_cache_mode "none": whether vLLM logs "Hybrid or mamba-based model detected:
   * disabling prefix caching since it is not yet supported." (MambaModelConfig before
   * mamba_cache_mode, vLLM PR #30877: releases before 0.15.0; from then on a hybrid without
   * prefix caching logs nothing about it). Default true.
   */
  readonly mambaDisablingLine?: boolean;
  /**
   * Hybrids under vLLM 0.11.1 to 0.14.x's Mamba2 prefix caching (PR #25752, mamba-align.ts
   * mamba2PrefixCaching): a cached model logs mamba-align.ts mamba2PrefixCachingLine (no mode in
   * it) and an uncached one logs no disabling line. Default false.
   */
  readonly mamba2PrefixCachingLines?: boolean;
  /**
   * `--enable-expert-parallel` with one data-parallel rank: a MoE model's routed experts placed
   * whole over the `tensorParallelSize` GPUs (expert-parallel.ts
   * expertParallelWeightBytesPerGpu: the fullest GPU's weights size the cache). Default false.
   */
  readonly expertParallel?: boolean;
  /**
   * `--data-parallel-size` with `expertParallel`: the routed experts spread over
   * `tensorParallelSize` × this many GPUs (vLLM EP size = TP × DP), so each GPU holds fewer and
   * its cache has more room; every rank sizes the same cache. Ignored without `expertParallel`.
   * Default 1.
   */
  readonly dataParallelSize?: number;
  /**
   * CUDA graph memory vLLM estimates and takes off the cache before sizing it (vLLM 0.21.0 on,
   * model-loading.ts profilesCudaGraphMemory; `cudaGraphCapture` sizes it from the capture list), bytes; the capacity
   * then logs vLLM's estimate and profiling lines and the available memory as `format_gib`
   * prints it. Default 0: none (releases before 0.21 capture graphs after the cache is sized).
   */
  readonly cudaGraphMemoryBytes?: number;
  /**
   * The CUDA graphs vLLM 0.21+ captures (model-loading.ts cudaGraphCapture): its memory comes
   * off the cache as {@link cudaGraphMemoryBytes} does (which wins when both are given), and the
   * log gains vLLM's "Profiling CUDA graph memory" line before the estimate and the "Graph
   * capturing finished" and "CUDA graph pool memory" lines after the cache size. Default none.
   */
  readonly cudaGraphCapture?: CudaGraphCapture;
}

/**
 * The model whose layers hold KV: the target plus `extra` full-attention layers of the same shape
 * (a drafter's). Off the hot path (once per start-up): a spread is fine.
 */
function withDraftLayers(model: ModelProfile, extra: number): ModelProfile {
  if (extra === 0) return model;
  return {
    ...model,
    layers: model.layers + extra,
    // The target's sliding layers stay the only sliding ones.
    ...(model.slidingWindow === undefined ? {} : { slidingLayers: slidingLayerCount(model) }),
  };
}

/** The KV cache vLLM would allocate, with the numbers that led to it (bytes per GPU). */
export interface KvCapacity {
  /** total memory × utilization, rounded up as vLLM does. */
  readonly requestedBytes: number;
  /**
   * Weights on each GPU: the target's language model, its vision encoder when it has one, and the
   * drafter's when there is one.
   */
  readonly weightBytes: number;
  /** Estimated activation peak of the profiling forward pass and sampler run. */
  readonly activationPeakBytes: number;
  /** Non-torch memory and CUDA graphs. */
  readonly overheadBytes: number;
  /** What is left for the KV cache. */
  readonly availableKvBytes: number;
  /** KV bytes of one token on each GPU. */
  readonly kvBytesPerToken: number;
  /** Tokens per block. */
  readonly blockSize: number;
  /** Blocks allocated (`num_gpu_blocks`): the shared pool every KV cache group takes from. */
  readonly numBlocks: number;
  /**
   * The "GPU KV cache size" of the log: numBlocks × blockSize, or with several KV cache groups
   * (numBlocks ÷ groups, rounded down) × blockSize (kv_cache_utils.py `_report_kv_cache_config`).
   */
  readonly tokens: number;
  /** max_model_len in effect. */
  readonly maxModelLen: number;
  /**
   * How many max_model_len requests fit at once: numBlocks / the blocks one request may take in
   * all groups (ceil(maxModelLen / blockSize) per full group, {@link slidingWindowBlocks} per
   * sliding group; kv_cache_utils.py `get_max_concurrency_for_kv_cache_config`).
   */
  readonly maxConcurrency: number;
  /** The KV cache groups (one full-attention group for a model without sliding layers). */
  readonly layout: KvCacheLayout;
  /** The start-up log lines vLLM prints about the cache, in order. */
  readonly logLines: readonly string[];
}

/** vLLM's start-up failure when the cache cannot hold what it must; `message` is vLLM's text. */
export class KvCacheStartupError extends Error {
  override readonly name = "KvCacheStartupError";
}

/** Integer with thousands separators, as Python's `f"{n:,}"`. */
function withCommas(n: number): string {
  return Math.trunc(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/**
 * Estimated activation peak of vLLM's profiling run: the widest intermediate tensors of one
 * layer for `maxNumBatchedTokens` tokens (gate+up projections and a few hidden-size buffers), plus
 * float32 logits of the sampler's dummy run over `maxNumSeqs` sequences. An estimate: vLLM
 * measures the real peak.
 */
export function activationPeakEstimate(
  model: ModelProfile,
  maxNumBatchedTokens: number,
  maxNumSeqs: number,
  tp = 1,
): number {
  const perToken =
    ((2 * activeMlpWidth(model)) / tp + 4 * model.hiddenSize) * bytesPerElement(model);
  const logits = (maxNumSeqs * model.vocabSize * 4) / tp;
  return maxNumBatchedTokens * perToken + logits;
}

/**
 * Sizes the KV cache as vLLM does and returns it with its log lines. Throws a RangeError for bad
 * options, and a {@link KvCacheStartupError} with vLLM's text when no memory is left for the cache
 * (`No available memory for the cache blocks...`) or one max_model_len request cannot fit
 * (`To serve at least one request with the models's max seq len ...`; vllm/v1/core/kv_cache_utils.py
 * `check_enough_kv_cache_memory`).
 */
export function kvCapacity(options: KvCapacityOptions): KvCapacity {
  const { device, drafter } = options;
  // The layers that hold KV: the target's and the drafter's (weights and activations stay the
  // target's own below).
  const target = options.model;
  // A drafter of another shape (a separate draft model) adds its own bytes per token instead.
  const draftKvBytes = drafter?.kvBytesPerToken;
  const model = withDraftLayers(target, draftKvBytes === undefined ? (drafter?.kvLayers ?? 0) : 0);
  const tp = options.tensorParallelSize ?? 1;
  const utilization = options.gpuMemoryUtilization ?? defaultGpuMemoryUtilization;
  const requestedBlockSize = options.blockSize ?? defaultBlockSize;
  // vllm/platforms/cuda.py check_and_update_config: an MLA model on Hopper runs FlashMLA, whose
  // pages are 64 tokens ("Forcing kv cache block size to 64 for FlashMLA backend.").
  const flashMla =
    target.mla !== undefined &&
    device.cudaCapability?.startsWith("9.") === true &&
    requestedBlockSize % 64 !== 0;
  const blockSize = flashMla ? 64 : requestedBlockSize;
  const maxModelLen = options.maxModelLen ?? model.maxPositionEmbeddings;
  const defaults = batchDefaults(device);
  const maxNumBatchedTokens = options.maxNumBatchedTokens ?? defaults.maxNumBatchedTokens;
  const maxNumSeqs = options.maxNumSeqs ?? defaults.maxNumSeqs;
  if (!Number.isInteger(tp) || tp < 1)
    throw new RangeError("tensorParallelSize must be a positive integer");
  if (!(utilization > 0 && utilization <= 1))
    throw new RangeError("gpuMemoryUtilization must be in (0, 1]");
  if (!Number.isInteger(requestedBlockSize) || requestedBlockSize < 1)
    throw new RangeError("blockSize must be a positive integer");
  if (!Number.isInteger(maxModelLen) || maxModelLen < 1)
    throw new RangeError("maxModelLen must be a positive integer");

  const requestedBytes = Math.ceil(device.memoryBytes * utilization);
  const weightBytes =
    (options.expertParallel === true
      ? expertParallelWeightBytesPerGpu(target, tp, options.dataParallelSize ?? 1)
      : weightBytesPerGpu(target, tp)) +
    encoderWeightBytesPerGpu(target, tp) +
    (drafter?.weightBytes ?? 0);
  const activationPeakBytes = activationPeakEstimate(target, maxNumBatchedTokens, maxNumSeqs, tp);
  const overheadBytes = options.overheadBytes ?? defaultOverheadBytes;
  const capture = options.cudaGraphCapture;
  const cudaGraphBytes = options.cudaGraphMemoryBytes ?? capture?.memoryBytes ?? 0;
  if (!(cudaGraphBytes >= 0)) throw new RangeError("cudaGraphMemoryBytes must be non-negative");
  const availableKvBytes =
    requestedBytes - weightBytes - activationPeakBytes - overheadBytes - cudaGraphBytes;
  // gpu_worker.py determine_available_memory (0.21+): the estimate is logged before, the
  // profiling line after "Available KV cache memory" (format_gib there).
  const graphLines =
    cudaGraphBytes > 0
      ? cudaGraphMemoryLines(cudaGraphBytes, device.memoryBytes, utilization)
      : undefined;
  const availableLines =
    graphLines === undefined
      ? [`Available KV cache memory: ${(availableKvBytes / GiB).toFixed(2)} GiB`]
      : [
          ...(capture === undefined ? [] : [cudaGraphProfilingLine(capture.sizes)]),
          graphLines.estimate,
          `Available KV cache memory: ${formatGib(availableKvBytes)} GiB`,
          graphLines.profiling,
        ];
  // After the cache is allocated vLLM captures the graphs and compares the pool with the estimate.
  const captureLines =
    graphLines === undefined || capture === undefined ? [] : cudaGraphCaptureLines(capture);
  if (availableKvBytes <= 0) {
    throw new KvCacheStartupError(
      "No available memory for the cache blocks. Try increasing `gpu_memory_utilization` when initializing the engine.",
    );
  }
  if (model.linearAttention !== undefined) {
    return mambaHybridCapacity(model, options, {
      tp,
      requestedBytes,
      weightBytes,
      activationPeakBytes,
      overheadBytes,
      availableKvBytes,
      availableLines,
      captureLines,
      maxModelLen,
      maxNumBatchedTokens,
    });
  }
  // The draft model's layers sit in the same full-attention group (vllm PR #25101, 2025-09,
  // UniformTypeKVCacheSpecs: one block table, a page holding a block of every layer), so a
  // token costs both models' KV.
  const perToken =
    draftKvBytes === undefined
      ? kvBytesPerToken(model, tp)
      : kvBytesPerToken(model, tp) + draftKvBytes;
  const layout = kvCacheLayout(model, options.disableHybridKvCacheManager !== true);
  const unified =
    layout.window === undefined && slidingLayerCount(model) > 0 && layout.fullGroups > 0;
  // One layer's block (a page): K and V of blockSize tokens.
  const pageBytes = (perToken / model.layers) * blockSize;
  // Sliding layers whose KV the cache manager keeps to the window (none once unified).
  const slidingLayers = layout.window === undefined ? 0 : slidingLayerCount(model);
  // Blocks per layer one request may need (SlidingWindowSpec / FullAttentionSpec
  // max_memory_usage_bytes), summed over the layers for check_enough_kv_cache_memory.
  const layerBlocksFor = (len: number) =>
    (model.layers - slidingLayers) * Math.ceil(len / blockSize) +
    (layout.window === undefined
      ? 0
      : slidingLayers * slidingWindowBlocks(layout.window, maxNumBatchedTokens, len, blockSize));
  // Without sliding layers, the arithmetic as before (whole-token bytes, no per-layer rounding).
  const bytesFor = (len: number) =>
    layout.window === undefined
      ? Math.ceil(len / blockSize) * perToken * blockSize
      : layerBlocksFor(len) * pageBytes;
  const neededBytes = bytesFor(maxModelLen);
  if (neededBytes > availableKvBytes) {
    // estimate_max_model_len: the longest max_model_len whose KV fits (a binary search in vLLM).
    let low = 0;
    let high = maxModelLen;
    while (low < high) {
      const mid = Math.ceil((low + high) / 2);
      if (bytesFor(mid) <= availableKvBytes) low = mid;
      else high = mid - 1;
    }
    const estimatedMaxLen =
      layout.window === undefined
        ? Math.floor(availableKvBytes / (perToken * blockSize)) * blockSize
        : low;
    throw new KvCacheStartupError(
      `To serve at least one request with the models's max seq len (${maxModelLen}), ` +
        `(${(neededBytes / GiB).toFixed(2)} GiB KV cache is needed, which is larger than the available KV cache ` +
        `memory (${(availableKvBytes / GiB).toFixed(2)} GiB). Based on the available memory, the estimated ` +
        `maximum model length is ${estimatedMaxLen}. Try increasing \`gpu_memory_utilization\` or decreasing ` +
        "`max_model_len` when initializing the engine.",
    );
  }
  // get_num_blocks: available // page_size // layers per group.
  const poolBlockBytes =
    layout.groupSize === model.layers ? perToken * blockSize : pageBytes * layout.groupSize;
  const numBlocks = Math.floor(availableKvBytes / poolBlockBytes);
  const groups = layout.fullGroups + layout.slidingGroups;
  const tokens = Math.floor(numBlocks / groups) * blockSize;
  const blocksPerRequest =
    layout.fullGroups * Math.ceil(maxModelLen / blockSize) +
    (layout.window === undefined
      ? 0
      : layout.slidingGroups *
        slidingWindowBlocks(layout.window, maxNumBatchedTokens, maxModelLen, blockSize));
  const maxConcurrency = numBlocks / blocksPerRequest;
  return {
    requestedBytes,
    weightBytes,
    activationPeakBytes,
    overheadBytes,
    availableKvBytes,
    kvBytesPerToken: perToken,
    blockSize,
    numBlocks,
    tokens,
    maxModelLen,
    maxConcurrency,
    layout,
    logLines: [
      ...(flashMla ? [flashMlaBlockSizeLine] : []),
      ...availableLines,
      // kv_cache_utils.py warns while it groups the layers, before the size lines.
      ...(unified ? [hybridKvCacheDisabledWarning] : []),
      ...(layout.padding ?? []).map(
        (pad) =>
          `Add ${pad.layers} padding layers, may waste at most ${((pad.layers / pad.of) * 100).toFixed(2)}% KV cache memory`,
      ),
      `GPU KV cache size: ${withCommas(tokens)} tokens`,
      `Maximum concurrency for ${withCommas(maxModelLen)} tokens per request: ${maxConcurrency.toFixed(2)}x`,
      ...captureLines,
      `Chunked prefill is enabled with max_num_batched_tokens=${maxNumBatchedTokens}.`,
    ],
  };
}

/**
 * {@link kvCapacity} for a hybrid attention + Mamba model (Granite 4.0 H, Qwen3-Next), once the
 * memory left for the cache is known: pages unified ({@link mambaPageSizes}), layers grouped
 * ({@link kvCacheLayout}), `num_blocks` = available // (page × group size); each request holds
 * ceil(max_model_len / block) blocks in each attention group and one in each Mamba group
 * (MambaSpec.max_memory_usage_bytes is one page without prefix caching, two in
 * {@link KvCapacityOptions.mambaCacheMode} "align"), plus k with k speculative tokens
 * ({@link KvCapacityOptions.numSpeculativeBlocks}). The "GPU KV cache size"
 * is vLLM 0.10–0.13's `_report_kv_cache_config`: num_blocks // all groups × the smallest block
 * size (the attention one; a MambaSpec's block is max_model_len), which counts the Mamba groups
 * as if they held tokens (later vLLM reports max_concurrency × max_model_len instead).
 */
function mambaHybridCapacity(
  model: ModelProfile,
  options: KvCapacityOptions,
  memory: {
    readonly tp: number;
    readonly requestedBytes: number;
    readonly weightBytes: number;
    readonly activationPeakBytes: number;
    readonly overheadBytes: number;
    readonly availableKvBytes: number;
    /** The "Available KV cache memory" line, with the CUDA graph lines around it when set. */
    readonly availableLines: readonly string[];
    /** vLLM's lines after the CUDA graph capture (empty without one). */
    readonly captureLines: readonly string[];
    readonly maxModelLen: number;
    readonly maxNumBatchedTokens: number;
  },
): KvCapacity {
  const { tp, availableKvBytes, maxModelLen } = memory;
  const mode = options.mambaCacheMode ?? "none";
  const pages = mambaPageSizes(model, tp, options.blockSize, mode);
  const { blockSize, pageBytes } = pages;
  const layout = kvCacheLayout(model);
  // A Mamba layer's pages per request: its running state plus one per speculative token.
  const speculativeBlocks = options.numSpeculativeBlocks ?? 0;
  if (!(Number.isInteger(speculativeBlocks) && speculativeBlocks >= 0))
    throw new RangeError("numSpeculativeBlocks must be a non-negative integer");
  const statePages = statePagesPerGroup(mode, speculativeBlocks, maxModelLen, blockSize);
  const linear = (model.linearAttention?.layers ?? 0) * statePages;
  const attention = attentionLayerCount(model);
  // check_enough_kv_cache_memory: every layer's max_memory_usage_bytes.
  const bytesFor = (len: number) => (attention * Math.ceil(len / blockSize) + linear) * pageBytes;
  const neededBytes = bytesFor(maxModelLen);
  if (neededBytes > availableKvBytes) {
    const perBlock = attention * pageBytes;
    const estimatedMaxLen = Math.max(
      0,
      Math.floor((availableKvBytes - linear * pageBytes) / perBlock) * blockSize,
    );
    throw new KvCacheStartupError(
      `To serve at least one request with the models's max seq len (${maxModelLen}), ` +
        `(${(neededBytes / GiB).toFixed(2)} GiB KV cache is needed, which is larger than the available KV cache ` +
        `memory (${(availableKvBytes / GiB).toFixed(2)} GiB). Based on the available memory, the estimated ` +
        `maximum model length is ${estimatedMaxLen}. Try increasing \`gpu_memory_utilization\` or decreasing ` +
        "`max_model_len` when initializing the engine.",
    );
  }
  const numBlocks = Math.floor(availableKvBytes / (pageBytes * layout.groupSize));
  const mambaGroups = layout.mambaGroups ?? 0;
  const groups = layout.fullGroups + mambaGroups;
  const tokens = Math.floor(numBlocks / groups) * blockSize;
  const maxConcurrency =
    numBlocks / (layout.fullGroups * Math.ceil(maxModelLen / blockSize) + mambaGroups * statePages);
  const padPct = ((pageBytes - pages.stateBytes) / pages.stateBytes) * 100;
  return {
    requestedBytes: memory.requestedBytes,
    weightBytes: memory.weightBytes,
    activationPeakBytes: memory.activationPeakBytes,
    overheadBytes: memory.overheadBytes,
    availableKvBytes,
    kvBytesPerToken: kvBytesPerToken(model, tp),
    blockSize,
    numBlocks,
    tokens,
    maxModelLen,
    maxConcurrency,
    layout,
    logLines: [
      // MambaModelConfig / HybridAttentionMambaModelConfig at config time, then the cache lines.
      ...(mode !== "none"
        ? [
            options.mamba2PrefixCachingLines === true
              ? mamba2PrefixCachingLine
              : `Warning: Prefix caching in Mamba cache '${mode}' mode is currently enabled. Its support for Mamba layers is experimental. Please report any issues you may observe.`,
          ]
        : options.mambaDisablingLine !== false && options.mamba2PrefixCachingLines !== true
          ? [
              "Hybrid or mamba-based model detected: disabling prefix caching since it is not yet supported.",
            ]
          : []),
      ...(pages.raised
        ? [
            `Setting attention block size to ${blockSize} tokens to ensure that attention page size is >= mamba page size.`,
          ]
        : []),
      ...(pageBytes > pages.stateBytes
        ? [
            `Padding mamba page size by ${padPct.toFixed(2)}% to ensure that mamba page size and attention page size are exactly equal.`,
          ]
        : []),
      ...memory.availableLines,
      ...(layout.padding ?? []).map(
        (pad) =>
          `Add ${pad.layers} padding layers, may waste at most ${((pad.layers / pad.of) * 100).toFixed(2)}% KV cache memory`,
      ),
      `GPU KV cache size: ${withCommas(tokens)} tokens`,
      `Maximum concurrency for ${withCommas(maxModelLen)} tokens per request: ${maxConcurrency.toFixed(2)}x`,
      ...memory.captureLines,
      `Chunked prefill is enabled with max_num_batched_tokens=${memory.maxNumBatchedTokens}.`,
    ],
  };
}
