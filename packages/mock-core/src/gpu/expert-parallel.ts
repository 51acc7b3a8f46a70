/**
 * Expert parallelism (`--enable-expert-parallel`) as vLLM places a MoE model's routed experts:
 * the expert-parallel group is every GPU of the deployment, EP size = TP size × DP size (vLLM docs
 * "Expert Parallel Deployment", from 0.10.1; vllm/distributed/parallel_state.py builds the EP
 * group over DP × TP ranks), and each rank holds whole experts (the MoE layer's own tensor
 * parallelism becomes 1) instead of a 1/TP slice of every expert. Attention, embeddings, the
 * router and shared experts stay as tensor parallelism places them, one copy per data-parallel
 * replica. Pure arithmetic.
 *
 * With one data-parallel rank vLLM runs no all-to-all: `FusedMoEParallelConfig
 * .use_all2all_kernels` is `dp_size > 1 and use_ep` (vllm/model_executor/layers/fused_moe/
 * config.py, 0.9 to 0.21), so the tokens stay replicated over the TP ranks and the experts'
 * outputs are summed by the same all-reduce as tensor parallelism; what changes in a step is
 * which expert weights each GPU reads ({@link expertParallelStepSplit}). With more than one
 * data-parallel rank every MoE layer dispatches the ranks' tokens to the experts and combines
 * the results ({@link allToAllSeconds}), and every rank reads its local experts for the tokens of
 * all ranks.
 */
import { rankLogPrefix } from "./data-parallel.js";
import type { DeviceProfile } from "./device-profiles.js";
import {
  bytesPerElement,
  type ModelProfile,
  moeWeightSplit,
  weightBytesPerGpu,
} from "./model-profiles.js";

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
 * The weights the fullest GPU (rank 0) reads in a step with expert parallelism over `tp` × `dp`
 * GPUs: the non-expert `fixedBytes` as tensor parallelism splits them, and `localExperts` whole
 * routed experts of `expertBytes` each ({@link localExpertCount} of E over `tp` × `dp`), of which
 * a step reads the ones its tokens (all data-parallel ranks' tokens, once dispatched) pick. With E
 * divisible by `tp` and `dp` 1 it reads what tensor parallelism reads (E experts of 1/tp each);
 * with a remainder rank 0 holds one more expert and sets the step's pace. Undefined for a dense
 * model; a RangeError for a `dp` that is not a positive integer.
 */
export function expertParallelStepSplit(
  model: ModelProfile,
  tp = 1,
  dp = 1,
):
  | { readonly fixedBytes: number; readonly expertBytes: number; readonly localExperts: number }
  | undefined {
  if (!Number.isInteger(dp) || dp < 1) throw new RangeError("dp must be a positive integer");
  const sharded = moeWeightSplit(model, tp);
  const whole = moeWeightSplit(model, 1);
  const moe = model.moe;
  if (sharded === undefined || whole === undefined || moe === undefined) return undefined;
  return {
    fixedBytes: sharded.fixedBytes,
    expertBytes: whole.expertBytes,
    localExperts: localExpertCount(moe.experts, tp * dp),
  };
}

/**
 * The all-to-all backend vLLM uses for expert parallelism across data-parallel ranks unless told
 * otherwise: `allgather_reducescatter` (vllm/envs.py `VLLM_ALL2ALL_BACKEND` default, later
 * `ParallelConfig.all2all_backend` / `--all2all-backend`; the other choices, naive, pplx,
 * deepep_high_throughput, deepep_low_latency, flashinfer_all2allv, are not modelled). Dispatch
 * all-gathers every data-parallel rank's hidden states over the DP group and each rank runs its
 * local experts on all of them; combine reduce-scatters the outputs back, so the volume does not
 * depend on top-k (pplx / DeepEP send each token to the ranks of its k experts instead).
 */
export const defaultAllToAllBackend = "allgather_reducescatter";

/**
 * GPU-to-GPU bandwidth one way per GPU (bytes per second) by device id, from the vendors'
 * datasheets: NVLink 4 900 GB/s both ways (H100 SXM, H200), NVLink 3 600 GB/s (A100 SXM),
 * Infinity Fabric 7 × 128 GB/s (MI300X), PCIe 4.0 x16 64 GB/s (L40S, L4: no NVLink). Half of each
 * figure, since a collective sends and receives at once. An unknown device: PCIe 4.0 x16.
 */
export const interconnectBandwidth: Readonly<Record<string, number>> = {
  "h100-80gb": 450e9,
  h200: 450e9,
  "a100-80gb": 300e9,
  "a100-40gb": 300e9,
  l40s: 32e9,
  l4: 32e9,
  mi300x: 448e9,
};

/** PCIe 4.0 x16 one way (bytes per second): {@link interconnectBandwidth} of an unknown device. */
export const pcieBandwidth = 32e9;

/**
 * Bytes one GPU receives in one MoE layer's all-to-all with {@link defaultAllToAllBackend} when
 * each of `dp` data-parallel ranks steps `tokensPerRank` tokens: the all-gather brings the other
 * `dp` − 1 ranks' hidden states (hidden size × the model's activation bytes each), and the
 * reduce-scatter moves the same volume back. 0 with one rank (vLLM runs no all-to-all).
 */
export function allToAllBytesPerLayer(
  model: ModelProfile,
  tokensPerRank: number,
  dp: number,
): number {
  if (dp <= 1) return 0;
  return 2 * (dp - 1) * tokensPerRank * model.hiddenSize * bytesPerElement(model);
}

/**
 * Seconds one step spends in the all-to-all of every MoE layer (a labelled estimate, not a
 * measurement): per layer {@link allToAllBytesPerLayer} over the device's
 * {@link interconnectBandwidth}, plus `latency` seconds for each of its two collectives
 * (all-gather, reduce-scatter). `tokensPerRank` assumes the ranks step alike (the router keeps
 * them close). 0 for a dense model or one data-parallel rank.
 */
export function allToAllSeconds(
  model: ModelProfile,
  device: DeviceProfile,
  tokensPerRank: number,
  dp: number,
  latency: number,
): number {
  const moe = model.moe;
  if (moe === undefined || dp <= 1) return 0;
  const bandwidth = interconnectBandwidth[device.id] ?? pcieBandwidth;
  const perLayer = allToAllBytesPerLayer(model, tokensPerRank, dp) / bandwidth + 2 * latency;
  return (model.layers - moe.denseLayers) * perLayer;
}

/**
 * The line each expert-parallel rank logs once its MoE layers know their experts (vLLM
 * fused_moe/layer.py, later expert_map_manager.py, `info_once` per rank, in the form with the
 * placement strategy): `[EP Rank r/N] Expert parallelism is enabled. Expert placement strategy:
 * linear. Local/global number of experts: L/G. Experts local to global index map: 0->g0, 1->g1,
 * ….` under the linear placement of {@link localExpertCount} (rank r's experts follow the
 * earlier ranks' in order). A RangeError as {@link localExpertCount} throws.
 */
export function expertParallelLine(experts: number, epSize: number, rank: number): string {
  const local = localExpertCount(experts, epSize, rank);
  const base = Math.floor(experts / epSize);
  const first = rank * base + Math.min(rank, experts % epSize);
  const map: string[] = [];
  for (let i = 0; i < local; i++) map.push(`${i}->${first + i}`);
  return `[EP Rank ${rank}/${epSize}] Expert parallelism is enabled. Expert placement strategy: linear. Local/global number of experts: ${local}/${experts}. Experts local to global index map: ${map.join(", ")}.`;
}

/**
 * The start-up lines of {@link expertParallelLine} for a deployment of `dp` data-parallel ranks of
 * `tp` GPUs each with `--enable-expert-parallel`, in rank order. vLLM logs the line once per
 * worker process whose MoE layers use expert parallelism (EP size TP × DP > 1). With TP 1 the
 * worker runs inside its rank's engine core process (one GPU, no worker processes), so rank r's
 * line carries that process's prefix {@link rankLogPrefix} `(EngineCore_DP<r> pid=…)`; `pid`
 * defaults to the mock's own. Empty with one data-parallel rank, and with TP > 1 (the lines come
 * from separate worker processes whose log prefix the mock does not model yet).
 */
export function expertParallelStartupLines(
  experts: number,
  tp: number,
  dp: number,
  pid: number = process.pid,
): string[] {
  if (dp <= 1 || tp !== 1) return [];
  const lines: string[] = [];
  for (let rank = 0; rank < dp; rank++)
    lines.push(`${rankLogPrefix(rank, pid)} ${expertParallelLine(experts, dp, rank)}`);
  return lines;
}
