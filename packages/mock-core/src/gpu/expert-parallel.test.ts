import { describe, expect, test } from "vitest";
import { deviceProfile } from "./device-profiles.js";
import {
  allToAllBytesPerLayer,
  allToAllSeconds,
  defaultAllToAllBackend,
  expertParallelLine,
  expertParallelStartupLines,
  expertParallelStepSplit,
  expertParallelWeightBytesPerGpu,
  interconnectBandwidth,
  localExpertCount,
  pcieBandwidth,
} from "./expert-parallel.js";
import { kvCapacity } from "./kv-capacity.js";
import {
  kvBytesPerToken,
  modelProfileFromConfig,
  modelProfiles,
  moeWeightSplit,
  weightBytesPerGpu,
} from "./model-profiles.js";
import { deepseekV3Config, mixtral8x7bConfig } from "./moe-hybrid-configs.js";
import { addToLoad, createStepTimeModel, emptyLoad } from "./step-time.js";

const GiB = 1024 ** 3;
const deepseek = modelProfileFromConfig(deepseekV3Config);
const mixtral = modelProfileFromConfig(mixtral8x7bConfig);

describe("localExpertCount", () => {
  test("whole experts per rank, the remainder on the first ranks", () => {
    // vllm fused_moe/layer.py determine_expert_map (linear): base = E // ep_size, one more on
    // ranks below E % ep_size. DeepSeek-V3's 256 routed experts over EP 8: 32 each.
    expect(localExpertCount(256, 8)).toBe(32);
    expect([0, 1, 2, 3].map((rank) => localExpertCount(10, 4, rank))).toEqual([3, 3, 2, 2]);
    expect(localExpertCount(8, 1)).toBe(8);
  });

  test("bad sizes and ranks are refused", () => {
    expect(() => localExpertCount(0, 2)).toThrow(RangeError);
    expect(() => localExpertCount(8, 0)).toThrow(RangeError);
    expect(() => localExpertCount(8, 2, 2)).toThrow(RangeError);
    expect(() => localExpertCount(8, 2.5)).toThrow(RangeError);
  });
});

describe("expertParallelWeightBytesPerGpu", () => {
  test("EP = TP with an even split holds the same bytes as TP: experts split, not sharded", () => {
    // vLLM docs "Expert Parallel Deployment": EP_SIZE = TP_SIZE × DP_SIZE; with DP 1 every GPU
    // holds E / TP whole experts instead of 1/TP of each.
    expect(expertParallelWeightBytesPerGpu(deepseek, 8)).toBeCloseTo(
      weightBytesPerGpu(deepseek, 8),
      0,
    );
    expect(expertParallelWeightBytesPerGpu(mixtral, 2)).toBeCloseTo(
      weightBytesPerGpu(mixtral, 2),
      0,
    );
  });

  test("with DP the experts spread over TP × DP GPUs while attention stays at TP", () => {
    // DeepSeek-V3 with -dp 8 --enable-expert-parallel (TP 1), the deployment vLLM's EP guide
    // shows: each GPU keeps a whole copy of attention, embeddings and the shared expert and 32
    // of the 256 routed experts.
    const split = moeWeightSplit(deepseek, 1);
    const ep = expertParallelWeightBytesPerGpu(deepseek, 1, 8);
    expect(ep).toBeCloseTo((split?.fixedBytes ?? 0) + 32 * (split?.expertBytes ?? 0), 0);
    // 7/8 of the routed experts leave each GPU: 1 × TP8's bytes < DP8 EP8 < TP1's bytes.
    expect(ep).toBeGreaterThan(weightBytesPerGpu(deepseek, 8));
    expect(ep).toBeLessThan(weightBytesPerGpu(deepseek, 1) / 4);
    expect(ep / GiB).toBeGreaterThan(80);
  });

  test("a dense model has no experts to place; bad dp is refused", () => {
    const dense = { ...mixtral, moe: undefined };
    expect(expertParallelWeightBytesPerGpu(dense, 2)).toBe(weightBytesPerGpu(dense, 2));
    expect(() => expertParallelWeightBytesPerGpu(mixtral, 2, 0)).toThrow(RangeError);
  });
});

describe("kvCapacity with expertParallel", () => {
  test("an uneven split: the GPU with the most experts sizes the cache", () => {
    // determine_expert_map: 6 experts over EP 4 put 2 on rank 0 (TP would hold 6/4 of one each);
    // vLLM sizes every rank's cache by the least memory left (the fullest GPU).
    const six = modelProfileFromConfig({ ...mixtral8x7bConfig, num_local_experts: 6 });
    const device = deviceProfile("h100-80gb");
    const options = { device, model: six, tensorParallelSize: 4, maxModelLen: 8192 };
    const tp = kvCapacity(options);
    const ep = kvCapacity({ ...options, expertParallel: true });
    const expert = moeWeightSplit(six, 1)?.expertBytes ?? 0;
    expect(ep.weightBytes - tp.weightBytes).toBeCloseTo((2 - 6 / 4) * expert, 0);
    expect(ep.tokens).toBeLessThan(tp.tokens);
    // An even split (8 experts over 4): the same cache as tensor parallelism.
    const even = { device, model: mixtral, tensorParallelSize: 4, maxModelLen: 8192 };
    expect(kvCapacity({ ...even, expertParallel: true }).tokens).toBe(kvCapacity(even).tokens);
  });
});

describe("step time with expertParallel", () => {
  // vllm/model_executor/layers/fused_moe/config.py FusedMoEParallelConfig.use_all2all_kernels:
  // `dp_size > 1 and use_ep` (0.9.x to 0.21): with one data-parallel rank no all-to-all runs,
  // the experts' partial outputs are summed by the tensor-parallel all-reduce.
  const device = deviceProfile("h100-80gb");
  const decode = (tokens: number) => {
    const load = emptyLoad();
    for (let i = 0; i < tokens; i += 1) addToLoad(load, 1, 1000);
    return load;
  };

  test("an even split costs what tensor parallelism costs: same bytes, same all-reduces", () => {
    const options = { device, model: mixtral, tensorParallelSize: 4 };
    const tp = createStepTimeModel(options);
    const ep = createStepTimeModel({ ...options, expertParallel: true });
    for (const tokens of [1, 8, 256]) {
      expect(ep.time(decode(tokens))).toBeCloseTo(tp.time(decode(tokens)), 12);
    }
    expect(expertParallelStepSplit(mixtral, 4)?.localExperts).toBe(2);
  });

  test("an uneven split: rank 0's extra whole expert paces a weight-bound step", () => {
    // determine_expert_map: 6 experts over EP 4 put 2 on rank 0; under TP each GPU reads 6/4.
    const six = modelProfileFromConfig({ ...mixtral8x7bConfig, num_local_experts: 6 });
    const options = { device, model: six, tensorParallelSize: 4 };
    const tp = createStepTimeModel(options);
    const ep = createStepTimeModel({ ...options, expertParallel: true });
    const expert = moeWeightSplit(six, 1)?.expertBytes ?? 0;
    const bandwidth = device.memoryBandwidth * ep.parameters.bandwidthEfficiency;
    // Many tokens activate every expert: rank 0 reads (2 − 6/4) experts more than a TP rank.
    const many = decode(256);
    expect(ep.memoryTime(many) - tp.memoryTime(many)).toBeCloseTo(
      ((2 - 6 / 4) * expert) / bandwidth,
      9,
    );
    expect(ep.time(many)).toBeGreaterThan(tp.time(many));
    // A dense model ignores the flag.
    const dense = { device, model: modelProfiles["llama-3.1-70b"], tensorParallelSize: 4 };
    expect(createStepTimeModel({ ...dense, expertParallel: true }).time(decode(4))).toBe(
      createStepTimeModel(dense).time(decode(4)),
    );
  });
});

describe("expert parallelism across data-parallel ranks", () => {
  // vLLM docs "Expert Parallel Deployment" (0.10.1 on): EP size = TP × DP; parallel_state.py
  // builds the EP group over the DP × TP ranks; determine_expert_map places experts linearly.
  const device = deviceProfile("h100-80gb");
  const decode = (tokens: number) => {
    const load = emptyLoad();
    for (let i = 0; i < tokens; i += 1) addToLoad(load, 1, 1000);
    return load;
  };

  test("the routed experts spread over TP × DP GPUs: DeepSeek V3 at TP 1 × DP 8 holds 32 each", () => {
    const whole = moeWeightSplit(deepseek, 1);
    const fixed = moeWeightSplit(deepseek, 1)?.fixedBytes ?? 0;
    expect(expertParallelStepSplit(deepseek, 1, 8)?.localExperts).toBe(32);
    expect(expertParallelWeightBytesPerGpu(deepseek, 1, 8)).toBe(
      fixed + 32 * (whole?.expertBytes ?? 0),
    );
    // TP 2 × DP 4 places the same 32 experts a GPU; the fixed weights are halved by TP.
    expect(expertParallelStepSplit(deepseek, 2, 4)?.localExperts).toBe(32);
    expect(() => expertParallelStepSplit(deepseek, 1, 0)).toThrow(RangeError);
  });

  test("allgather_reducescatter moves (dp − 1) × tokens × hidden × 2 bytes each way per MoE layer", () => {
    // envs.py VLLM_ALL2ALL_BACKEND default "allgather_reducescatter": dispatch all-gathers the
    // hidden states over the DP group, combine reduce-scatters them back; top-k does not enter.
    expect(defaultAllToAllBackend).toBe("allgather_reducescatter");
    expect(allToAllBytesPerLayer(deepseek, 1, 1)).toBe(0);
    // DeepSeek V3: hidden 7168, BF16 activations.
    expect(allToAllBytesPerLayer(deepseek, 10, 4)).toBe(2 * 3 * 10 * 7168 * 2);
    // 58 MoE layers (61 − 3 dense), 450 GB/s NVLink 4 one way, 2 collectives × latency each.
    const seconds = allToAllSeconds(deepseek, device, 10, 4, 15e-6);
    expect(seconds).toBeCloseTo(58 * ((2 * 3 * 10 * 7168 * 2) / 450e9 + 30e-6), 12);
    // PCIe-only L40S: slower wires, longer all-to-all; unknown ids fall back to PCIe.
    expect(interconnectBandwidth.l40s).toBe(pcieBandwidth);
    expect(allToAllSeconds(deepseek, deviceProfile("l40s"), 10, 4, 15e-6)).toBeGreaterThan(seconds);
    // A dense model has no MoE layers: nothing to dispatch.
    expect(allToAllSeconds(modelProfiles["llama-3.1-70b"], device, 10, 4, 15e-6)).toBe(0);
  });

  test("the step time grows with the all-to-all, more with more tokens (an estimate)", () => {
    const one = createStepTimeModel({ device, model: mixtral, expertParallel: true });
    const four = createStepTimeModel({
      device,
      model: mixtral,
      expertParallel: true,
      dataParallelSize: 4,
    });
    const small = decode(1);
    const big = decode(64);
    const a2a = (tokens: number) =>
      allToAllSeconds(mixtral, device, tokens, 4, four.parameters.allReduceLatency);
    expect(four.time(big)).toBeGreaterThan(four.time(small));
    expect(a2a(64)).toBeGreaterThan(a2a(1));
    // DP 4: a quarter of the experts each, the all-to-all on top: the gap between one and 64
    // tokens holds the all-to-all's growth.
    expect(four.time(big) - four.time(small)).toBeGreaterThanOrEqual(a2a(64) - a2a(1) - 1e-12);
    // dataParallelSize without expertParallel changes nothing (no all-to-all kernels).
    const plain = createStepTimeModel({ device, model: mixtral, dataParallelSize: 4 });
    expect(plain.time(big)).toBe(createStepTimeModel({ device, model: mixtral }).time(big));
    // DP 1 is EP over TP alone: the same step as before.
    const dp1 = createStepTimeModel({
      device,
      model: mixtral,
      expertParallel: true,
      dataParallelSize: 1,
    });
    expect(dp1.time(big)).toBe(one.time(big));
  });

  test("every rank reads its local experts for all ranks' tokens", () => {
    // One token a rank, DP 8 over DeepSeek V3's 256 experts (top 8): 32 local experts see 8
    // tokens, not 1, so a larger share of them is read than one token alone would pick.
    const dp8 = createStepTimeModel({
      device,
      model: deepseek,
      expertParallel: true,
      dataParallelSize: 8,
    });
    const split = expertParallelStepSplit(deepseek, 1, 8);
    const bandwidth = device.memoryBandwidth * dp8.parameters.bandwidthEfficiency;
    const share = 1 - (1 - 8 / 256) ** 8;
    const kv = (1001 * kvBytesPerToken(deepseek, 1)) / bandwidth;
    expect(dp8.memoryTime(decode(1))).toBeCloseTo(
      ((split?.fixedBytes ?? 0) + (split?.expertBytes ?? 0) * 32 * share) / bandwidth + kv,
      9,
    );
  });
});

describe("expertParallelLine", () => {
  test("names the rank, the placement and the local-to-global map as vLLM logs it", () => {
    // A published vLLM start-up log (DeepSeek V3, EP 16, TP 16 x DP 1, rank 2):
    // "[EP Rank 2/16] Expert parallelism is enabled. Expert placement strategy: linear.
    // Local/global number of experts: 8/128. Experts local to global index map: 0->16, ..., 7->23."
    expect(expertParallelLine(128, 16, 2)).toBe(
      "[EP Rank 2/16] Expert parallelism is enabled. Expert placement strategy: linear. Local/global number of experts: 8/128. Experts local to global index map: 0->16, 1->17, 2->18, 3->19, 4->20, 5->21, 6->22, 7->23.",
    );
    // 256 experts over EP 3 (another published log): 86 on rank 0, 85 on ranks 1 and 2.
    expect(expertParallelLine(256, 3, 1)).toContain("Local/global number of experts: 85/256.");
    expect(expertParallelLine(256, 3, 1)).toContain("index map: 0->86, 1->87,");
    expect(expertParallelLine(256, 3, 2)).toMatch(/84->255\.$/);
    expect(() => expertParallelLine(8, 2, 2)).toThrow(RangeError);
  });
});

describe("expertParallelStartupLines", () => {
  test("one line per data-parallel rank with TP 1, prefixed by its engine core process", () => {
    // vllm/v1/engine/utils.py CoreEngineProcManager names rank r's process EngineCore_DP<r>, and
    // with TP 1 its worker runs inside it (worker processes only for TP/PP > 1); the line is
    // logged once per worker (info_once) with EP size TP x DP.
    expect(expertParallelStartupLines(8, 1, 2, 42)).toEqual([
      "(EngineCore_DP0 pid=42) [EP Rank 0/2] Expert parallelism is enabled. Expert placement strategy: linear. Local/global number of experts: 4/8. Experts local to global index map: 0->0, 1->1, 2->2, 3->3.",
      "(EngineCore_DP1 pid=42) [EP Rank 1/2] Expert parallelism is enabled. Expert placement strategy: linear. Local/global number of experts: 4/8. Experts local to global index map: 0->4, 1->5, 2->6, 3->7.",
    ]);
    // One rank, or TP > 1 (worker processes, not modelled): none.
    expect(expertParallelStartupLines(8, 1, 1)).toEqual([]);
    expect(expertParallelStartupLines(8, 2, 2)).toEqual([]);
  });
});
