/**
 * How long one engine step takes on the modelled GPU: a roofline. The step's matrix work
 * (2 FLOPs per weight per token, plus attention over the cached context) runs at a fraction of the
 * device's dense BF16 peak; its memory traffic (every weight once, plus the KV cache each sequence
 * reads) runs at a fraction of HBM bandwidth. The projection/MLP phase and the attention phase
 * each take the slower of their compute and memory time, and the phases add up. A fixed per-step cost
 * (scheduling, kernel launches, sampling) and a per-sequence cost are added on top. So prefill is
 * compute-bound, decode is bound by reading weights and KV, and a bigger batch makes each step
 * (the inter-token latency) longer, as vllm-openai.md §9 and §13 ask.
 */
import type { DeviceProfile } from "./device-profiles.js";
import { allToAllSeconds, expertParallelStepSplit } from "./expert-parallel.js";
import { type KvCacheLayout, kvCacheLayout } from "./kv-capacity.js";
import {
  attentionLayerCount,
  bytesPerElement,
  hasExtendedShape,
  kvBytesPerToken,
  layerParameterCount,
  type ModelProfile,
  moeWeightSplit,
  slidingLayerCount,
  weightBytesPerGpu,
} from "./model-profiles.js";
import { linearStateElements } from "./model-shapes.js";

/** The tunable constants of the step-time model. Times in seconds, efficiencies in (0, 1]. */
export interface StepTimeParameters {
  /** Fraction of dense BF16 peak the step's matrix work achieves; default 0.7. */
  readonly computeEfficiency: number;
  /**
   * Fraction of peak memory bandwidth the step's reads achieve; default 0.82 (with `stepOverhead`,
   * the two-GPU fit of measured batch-1 decode: see {@link defaultStepTimeParameters}).
   */
  readonly bandwidthEfficiency: number;
  /**
   * Fixed cost of every step the GPU waits on (scheduling, input preparation, graph launch,
   * sampling); default 0.625 ms. vLLM V1 keeps HTTP, tokenising and detokenising in another process
   * and replays CUDA graphs for decode, so little CPU time is left between GPU steps.
   */
  readonly stepOverhead: number;
  /** Extra cost per sequence in the step (its bookkeeping, sampling, detokenising); default 5 µs. */
  readonly perSequenceOverhead: number;
  /** Latency of one tensor-parallel all-reduce (two per layer when TP > 1); default 15 µs. */
  readonly allReduceLatency: number;
}

/**
 * The calibrated defaults (docs/calibration.md). `bandwidthEfficiency` and `stepOverhead` are the
 * one pair that explains two measured batch-1 decode speeds of Llama 3.1 8B on GPUs whose
 * bandwidth differs 2.15×: 6.48 ms per token on an H100 80GB (vLLM 0.21) and ≈13.3 ms (75 tok/s)
 * on an A100 40GB (vLLM 0.23). The bytes a step reads scale with 1 / bandwidth, the fixed cost
 * does not, so the two points separate them: 82% of peak HBM bandwidth, 0.625 ms per step. The
 * earlier 85% / 2 ms put every decode step 1 ms (H100) too slow.
 */
export const defaultStepTimeParameters: StepTimeParameters = {
  computeEfficiency: 0.7,
  bandwidthEfficiency: 0.82,
  stepOverhead: 0.000625,
  perSequenceOverhead: 5e-6,
  allReduceLatency: 15e-6,
};

/**
 * What a step does, summed over its sequences. For a sequence that computes `n` new tokens on
 * top of `c` already cached: tokens += n, sequences += 1, attentionPairs += n × (c + (n + 1) / 2)
 * (each new token attends to the cache and the new tokens before it), kvTokensRead += c + n.
 * The `window…` fields are the same on a sliding-window layer of window W, where a token attends
 * to at most the W tokens ending with it and the step reads at most the last W − 1 cached tokens.
 */
export interface StepLoad {
  /** New tokens computed this step (prefill chunks plus one per decoding sequence). */
  tokens: number;
  /** Sequences in the step. */
  sequences: number;
  /** Query-key pairs attention computes. */
  attentionPairs: number;
  /** Tokens of KV cache read. */
  kvTokensRead: number;
  /** Query-key pairs on a sliding-window layer (0 when the load was built without a window). */
  windowAttentionPairs: number;
  /** Tokens of KV read on a sliding-window layer (0 when the load was built without a window). */
  windowKvTokensRead: number;
}

/** An empty load, to fill with {@link addToLoad}. */
export function emptyLoad(): StepLoad {
  return {
    tokens: 0,
    sequences: 0,
    attentionPairs: 0,
    kvTokensRead: 0,
    windowAttentionPairs: 0,
    windowKvTokensRead: 0,
  };
}

/**
 * Adds one sequence computing `newTokens` on top of `cachedTokens` to `load` (mutates it). With a
 * sliding `window` (tokens; 0 = none, the default) it also sums what a sliding layer does: the
 * token at position p attends to min(p + 1, window) keys.
 */
export function addToLoad(
  load: StepLoad,
  newTokens: number,
  cachedTokens: number,
  window = 0,
): StepLoad {
  load.tokens += newTokens;
  load.sequences += 1;
  load.attentionPairs += newTokens * (cachedTokens + (newTokens + 1) / 2);
  load.kvTokensRead += cachedTokens + newTokens;
  if (window > 0) {
    // Keys per token run from cachedTokens + 1 up to cachedTokens + newTokens, capped at window.
    const first = cachedTokens + 1;
    const last = cachedTokens + newTokens;
    load.windowAttentionPairs +=
      last <= window
        ? ((first + last) * newTokens) / 2
        : first > window
          ? newTokens * window
          : ((first + window) * (window - first + 1)) / 2 + (last - window) * window;
    load.windowKvTokensRead += Math.min(cachedTokens, window - 1) + newTokens;
  }
  return load;
}

/** A step-time function bound to one device, model and tensor-parallel size. */
export interface StepTimeModel {
  /** Seconds one step with this load takes; 0 for an empty step. */
  time(load: StepLoad): number;
  /** The compute-bound part alone, in seconds (for reports). */
  computeTime(load: StepLoad): number;
  /** The memory-bound part alone, in seconds (for reports). */
  memoryTime(load: StepLoad): number;
  /** The parameters in effect. */
  readonly parameters: StepTimeParameters;
  /**
   * The bound model's KV cache groups (kv-capacity.ts), so an engine built on this model knows
   * its sliding window; absent (test models): full attention.
   */
  readonly kvLayout?: KvCacheLayout;
}

/**
 * FLOPs of one query-key pair summed over the attention layers on each GPU: 4 × heads × head_dim
 * (QKᵀ and PV) per layer for grouped-query attention; for MLA as vLLM runs decode (the latent
 * absorbed into the queries: scores over kv_lora_rank + qk_rope_head_dim, values over
 * kv_lora_rank), 2 × heads × (2 × kv_lora_rank + qk_rope_head_dim). Linear-attention layers
 * attend over no pairs (their per-token work is in their weights).
 */
export function attentionFlopsPerPair(model: ModelProfile, tp = 1): number {
  if (!hasExtendedShape(model)) return (4 * model.layers * model.heads * model.headDim) / tp;
  const mla = model.mla;
  const perLayer =
    mla === undefined
      ? 4 * model.heads * model.headDim
      : 2 * model.heads * (2 * mla.kvLoraRank + mla.qkRopeHeadDim);
  return (attentionLayerCount(model) * perLayer) / tp;
}

/**
 * Binds the roofline to a device, a model and `tensorParallelSize` GPUs (each holding 1/tp of the
 * weights and KV and doing 1/tp of the work). Throws a RangeError for efficiencies outside (0, 1].
 */
export function createStepTimeModel(options: {
  readonly device: DeviceProfile;
  readonly model: ModelProfile;
  readonly tensorParallelSize?: number;
  readonly parameters?: Partial<StepTimeParameters>;
  /**
   * `--enable-expert-parallel` (one data-parallel rank): the fullest GPU reads its whole local
   * experts instead of 1/tp of every expert (expert-parallel.ts expertParallelStepSplit); the
   * communication stays tensor parallelism's all-reduce (vLLM runs no all-to-all with one
   * data-parallel rank). Default false.
   */
  readonly expertParallel?: boolean;
  /**
   * `--data-parallel-size` with `expertParallel` (a MoE model): the routed experts spread over
   * tensorParallelSize × dataParallelSize GPUs, each rank reads its local experts for the tokens
   * of every rank (the ranks assumed to step alike), and every MoE layer adds the all-to-all
   * dispatch and combine of expert-parallel.ts allToAllSeconds (an estimate). Ignored without
   * `expertParallel`. Default 1.
   */
  readonly dataParallelSize?: number;
}): StepTimeModel {
  const { device, model } = options;
  const tp = options.tensorParallelSize ?? 1;
  const parameters = { ...defaultStepTimeParameters, ...options.parameters };
  for (const key of ["computeEfficiency", "bandwidthEfficiency"] as const) {
    if (!(parameters[key] > 0 && parameters[key] <= 1))
      throw new RangeError(`${key} must be in (0, 1]`);
  }
  const flops = device.bf16Flops * parameters.computeEfficiency;
  const bandwidth = device.memoryBandwidth * parameters.bandwidthEfficiency;
  const flopsPerToken = (2 * layerParameterCount(model)) / tp;
  const flopsPerLogits = (2 * model.hiddenSize * model.vocabSize) / tp;
  const flopsPerPair = attentionFlopsPerPair(model, tp);
  const weightBytes = weightBytesPerGpu(model, tp);
  const kvBytes = kvBytesPerToken(model, tp);
  const communication = tp > 1 ? 2 * model.layers * parameters.allReduceLatency : 0;
  // Sliding layers attend over the window only; a load built with the window carries their sums.
  const slidingShare = slidingLayerCount(model) / model.layers;
  const fullShare = 1 - slidingShare;

  const linearCompute = (load: StepLoad) =>
    (load.tokens * flopsPerToken + load.sequences * flopsPerLogits) / flops;
  const attentionCompute =
    slidingShare === 0
      ? (load: StepLoad) => (load.attentionPairs * flopsPerPair) / flops
      : (load: StepLoad) =>
          ((fullShare * load.attentionPairs + slidingShare * load.windowAttentionPairs) *
            flopsPerPair) /
          flops;
  const weightRead = weightBytes / bandwidth;
  const moe = model.moe;
  const split = moeWeightSplit(model, tp);
  // vLLM's all-to-all runs only for expert parallelism across data-parallel ranks.
  const dp = options.expertParallel === true ? (options.dataParallelSize ?? 1) : 1;
  const ep = options.expertParallel === true ? expertParallelStepSplit(model, tp, dp) : undefined;
  // Expert parallelism: rank 0's whole local experts; tensor parallelism: 1/tp of all E.
  const fixedBytes = ep === undefined ? split?.fixedBytes : ep.fixedBytes;
  const allExpertBytes =
    ep === undefined
      ? moe === undefined || split === undefined
        ? 0
        : split.expertBytes * moe.experts
      : ep.expertBytes * ep.localExperts;
  // A MoE step reads the fixed weights and each routed expert its tokens pick: with uniform
  // routing of k of E experts, a share 1 − (1 − k/E)^tokens of them (k of E for one token).
  // Across data-parallel ranks the local experts see every rank's tokens (dp × this rank's).
  const linearWeights =
    moe === undefined || fixedBytes === undefined
      ? (_load: StepLoad) => weightRead
      : (load: StepLoad) =>
          (fixedBytes +
            allExpertBytes * (1 - (1 - moe.expertsPerToken / moe.experts) ** (load.tokens * dp))) /
          bandwidth;
  // allToAllSeconds is linear in the tokens: its fixed latency and its cost per token, once.
  const allToAllFixed =
    dp > 1 && moe !== undefined
      ? allToAllSeconds(model, device, 0, dp, parameters.allReduceLatency)
      : 0;
  const allToAllPerToken =
    dp > 1 && moe !== undefined
      ? allToAllSeconds(model, device, 1, dp, parameters.allReduceLatency) - allToAllFixed
      : 0;
  const allToAll =
    dp > 1 && moe !== undefined
      ? (load: StepLoad) => allToAllFixed + allToAllPerToken * load.tokens
      : undefined;
  // Linear-attention layers read and write each sequence's fixed state once per step.
  const stateBytes =
    model.linearAttention === undefined
      ? 0
      : 2 *
        model.linearAttention.layers *
        linearStateElements(model.linearAttention, tp) *
        bytesPerElement(model);
  const kvRead =
    stateBytes > 0
      ? (load: StepLoad) => (load.kvTokensRead * kvBytes + load.sequences * stateBytes) / bandwidth
      : slidingShare === 0
        ? (load: StepLoad) => (load.kvTokensRead * kvBytes) / bandwidth
        : (load: StepLoad) =>
            ((fullShare * load.kvTokensRead + slidingShare * load.windowKvTokensRead) * kvBytes) /
            bandwidth;
  return {
    parameters,
    kvLayout: kvCacheLayout(model),
    computeTime: (load) => linearCompute(load) + attentionCompute(load),
    memoryTime: (load) => linearWeights(load) + kvRead(load),
    time(load) {
      if (load.sequences === 0) return 0;
      // The projections and MLP (bound by weights or FLOPs) and attention (bound by KV reads or
      // FLOPs) are separate kernels: each phase takes its own roofline, and the phases add up.
      return (
        Math.max(linearCompute(load), moe === undefined ? weightRead : linearWeights(load)) +
        Math.max(attentionCompute(load), kvRead(load)) +
        communication +
        (allToAll === undefined ? 0 : allToAll(load)) +
        parameters.stepOverhead +
        parameters.perSequenceOverhead * load.sequences
      );
    },
  };
}
