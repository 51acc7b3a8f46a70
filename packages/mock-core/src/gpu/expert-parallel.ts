/**
 * Expert parallelism (`--enable-expert-parallel`) as vLLM places a MoE model's routed experts:
 * the expert-parallel group is every GPU of the deployment, EP size = TP size × DP size (vLLM docs
 * "Expert Parallel Deployment", from 0.10.1), and each rank holds whole experts (the MoE layer's
 * own tensor parallelism becomes 1) instead of a 1/TP slice of every expert. Attention,
 * embeddings, the router and shared experts stay as tensor parallelism places them, one copy per
 * data-parallel replica. Pure arithmetic. With one data-parallel rank (the only case the mock
 * serves) vLLM runs no all-to-all: `FusedMoEParallelConfig.use_all2all_kernels` is `dp_size > 1
 * and use_ep` (vllm/model_executor/layers/fused_moe/config.py, 0.9 to 0.21), so the tokens stay
 * replicated over the TP ranks and the experts' outputs are summed by the same all-reduce as
 * tensor parallelism; what changes in a step is which expert weights each GPU reads
 * ({@link expertParallelStepSplit}).
 */
import { type ModelProfile, moeWeightSplit, weightBytesPerGpu } from "./model-profiles.js";

/**
 * Routed experts rank `rank` of an expert-parallel group of `epSize` holds: vLLM's linear
 * placement (vllm/model_executor/layers/fused_moe/layer.py `determine_expert_map`): `experts //
 * epSize` each, the remainder one more on each of the first ranks. A RangeError for sizes that
 * are not positive integers or a rank outside the group.
 */
export function localExpertCount(experts: number, epSize: number, rank = 0): number {
  if (!Number.isInteger(experts) || experts < 1)
    throw new RangeError("experts must be a positive integer");
  if (!Number.isInteger(epSize) || epSize < 1)
    throw new RangeError("epSize must be a positive integer");
  if (!Number.isInteger(rank) || rank < 0 || rank >= epSize)
    throw new RangeError("rank must be in [0, epSize)");
  const base = Math.floor(experts / epSize);
  return rank < experts % epSize ? base + 1 : base;
}

/**
 * Bytes of the language model's weights on the fullest GPU (rank 0, which vLLM's placement gives
 * the most experts; the KV cache is sized by the GPU with the least room) with expert parallelism
 * over `tp` × `dp` GPUs: the non-expert weights as {@link weightBytesPerGpu} places them at `tp`,
 * plus {@link localExpertCount} whole routed experts. A dense model: {@link weightBytesPerGpu}
 * (vLLM has no expert layers to place). With an even split and `dp` 1 this equals tensor
 * parallelism's bytes: the same experts split another way.
 */
export function expertParallelWeightBytesPerGpu(model: ModelProfile, tp = 1, dp = 1): number {
  if (!Number.isInteger(dp) || dp < 1) throw new RangeError("dp must be a positive integer");
  const sharded = moeWeightSplit(model, tp);
  const whole = moeWeightSplit(model, 1);
  const moe = model.moe;
  if (sharded === undefined || whole === undefined || moe === undefined)
    return weightBytesPerGpu(model, tp);
  return sharded.fixedBytes + localExpertCount(moe.experts, tp * dp) * whole.expertBytes;
}

/**
 * The weights the fullest GPU (rank 0) reads in a step with expert parallelism over `tp` GPUs
 * and one data-parallel rank: the non-expert `fixedBytes` as tensor parallelism splits them,
 * and `localExperts` whole routed experts of `expertBytes` each, of which a step reads the ones
 * its tokens pick. With E divisible by `tp` it reads what tensor parallelism reads (E experts of
 * 1/tp each); with a remainder rank 0 holds one more expert and sets the step's pace. Undefined
 * for a dense model.
 */
export function expertParallelStepSplit(
  model: ModelProfile,
  tp = 1,
):
  | { readonly fixedBytes: number; readonly expertBytes: number; readonly localExperts: number }
  | undefined {
  const sharded = moeWeightSplit(model, tp);
  const whole = moeWeightSplit(model, 1);
  const moe = model.moe;
  if (sharded === undefined || whole === undefined || moe === undefined) return undefined;
  return {
    fixedBytes: sharded.fixedBytes,
    expertBytes: whole.expertBytes,
    localExperts: localExpertCount(moe.experts, tp),
  };
}
