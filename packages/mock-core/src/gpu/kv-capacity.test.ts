import { describe, expect, it } from "vitest";
import { deviceProfiles } from "./device-profiles.js";
import {
  activationPeakEstimate,
  batchDefaults,
  hybridKvCacheDisabledWarning,
  KvCacheStartupError,
  kvCacheLayout,
  kvCapacity,
} from "./kv-capacity.js";
import {
  modelProfileFromConfig,
  modelProfiles,
  parameterCount,
  withoutSlidingWindow,
} from "./model-profiles.js";
import {
  gemma3_1bConfig,
  gemma3_4bItConfig,
  gemma3_27bItConfig,
  mistral7bV01Config,
} from "./sliding-window-configs.js";

const h100 = deviceProfiles["h100-80gb"];
const llama8b = modelProfiles["llama-3.1-8b"];
const GiB = 1024 ** 3;

describe("batch defaults", () => {
  it("follows vLLM's get_batch_defaults by device class", () => {
    // vllm-openai.md §9: ≥70 GiB and not A100 → 1024 / 8192 (serve), 1024 / 16384 (offline); else 256 / 2048, 256 / 8192.
    expect(batchDefaults(h100)).toEqual({ maxNumSeqs: 1024, maxNumBatchedTokens: 8192 });
    expect(batchDefaults(deviceProfiles.mi300x, "offline")).toEqual({
      maxNumSeqs: 1024,
      maxNumBatchedTokens: 16_384,
    });
    expect(batchDefaults(deviceProfiles["a100-80gb"])).toEqual({
      maxNumSeqs: 256,
      maxNumBatchedTokens: 2048,
    });
    expect(batchDefaults(deviceProfiles.l4, "offline")).toEqual({
      maxNumSeqs: 256,
      maxNumBatchedTokens: 8192,
    });
  });
});

describe("KV capacity on H100 80GB with Llama 3.1 8B", () => {
  const capacity = kvCapacity({ device: h100, model: llama8b, maxModelLen: 8192 });

  it("takes weights, activation peak and overhead off total × 0.9 and cuts the rest into 16-token blocks", () => {
    // vllm-openai.md §9: requested = total × gpu_memory_utilization; KV budget = requested − weights − activations − graphs.
    const requested = Math.ceil(81_559 * 1024 * 1024 * 0.9);
    expect(capacity.requestedBytes).toBe(requested);
    expect(capacity.weightBytes).toBe(8_030_261_248 * 2);
    // 8192 tokens × (2 × 14336 + 4 × 4096) × 2 bytes + 1024 seqs × 128256 vocab × 4 bytes (fp32 logits).
    expect(capacity.activationPeakBytes).toBe(
      8192 * (2 * 14_336 + 4 * 4096) * 2 + 1024 * 128_256 * 4,
    );
    const available = requested - capacity.weightBytes - capacity.activationPeakBytes - GiB;
    expect(capacity.availableKvBytes).toBe(available);
    expect(capacity.numBlocks).toBe(Math.floor(available / (16 * 131_072)));
    expect(capacity.tokens).toBe(capacity.numBlocks * 16);
  });

  it("lands where the reference's rough estimate does: 400k+ tokens, about 25k+ blocks", () => {
    // vllm-openai.md §9: "72 GB − ~16 GB weights − activations ≈ 50+ GB ≈ 400k+ tokens (≈25k blocks)".
    expect(capacity.tokens).toBeGreaterThan(400_000);
    expect(capacity.tokens).toBeLessThan(480_000);
    expect(capacity.numBlocks).toBeGreaterThan(25_000);
  });

  it("prints vLLM's start-up lines with thousands separators and two-decimal concurrency", () => {
    // kv_cache_utils.py: "GPU KV cache size: {N:,} tokens" / "Maximum concurrency for {L:,} tokens per request: {x:.2f}x".
    const concurrency = (capacity.numBlocks / (8192 / 16)).toFixed(2);
    expect(capacity.logLines).toContain(
      `GPU KV cache size: ${capacity.tokens.toLocaleString("en-US")} tokens`,
    );
    expect(capacity.logLines).toContain(
      `Maximum concurrency for 8,192 tokens per request: ${concurrency}x`,
    );
    expect(capacity.logLines).toContain(
      "Chunked prefill is enabled with max_num_batched_tokens=8192.",
    );
    expect(capacity.logLines[0]).toMatch(/^Available KV cache memory: \d+\.\d\d GiB$/);
  });

  it("splits weights and KV over tensor-parallel GPUs", () => {
    const tp2 = kvCapacity({
      device: h100,
      model: llama8b,
      maxModelLen: 8192,
      tensorParallelSize: 2,
    });
    expect(tp2.weightBytes).toBe(capacity.weightBytes / 2);
    expect(tp2.kvBytesPerToken).toBe(65_536);
    expect(tp2.tokens).toBeGreaterThan(2 * capacity.tokens);
  });
});

describe("KV capacity with tensor parallelism", () => {
  it("fits Llama 3.1 70B on four H100s at its full 131,072-token context", () => {
    // 70.55B params × 2 bytes / 4 GPUs ≈ 35.3 GB of weights per GPU; KV per token per GPU = 2 × 80 × 8 × 128 × 2 / 4.
    const capacity = kvCapacity({
      device: h100,
      model: modelProfiles["llama-3.1-70b"],
      tensorParallelSize: 4,
    });
    expect(capacity.weightBytes).toBe((70_553_706_496 * 2) / 4);
    expect(capacity.kvBytesPerToken).toBe(81_920);
    expect(capacity.logLines[2]).toMatch(
      /^Maximum concurrency for 131,072 tokens per request: \d+\.\d\dx$/,
    );
    expect(capacity.maxConcurrency).toBeGreaterThan(1);
  });
});

describe("start-up failure", () => {
  it("fails with vLLM's text when one max_model_len request cannot fit", () => {
    // kv_cache_utils.py check_enough_kv_cache_memory (vLLM ≥0.10 text, quoted in vllm#38516):
    // "To serve at least one request with the models's max seq len (40960), (5.62 GiB KV cache is needed, which is
    // larger than the available KV cache memory (4.89 GiB). Based on the available memory, the estimated maximum
    // model length is 35600. Try increasing `gpu_memory_utilization` or decreasing `max_model_len` ..."
    const run = () =>
      kvCapacity({ device: deviceProfiles.l4, model: llama8b, gpuMemoryUtilization: 0.95 });
    expect(run).toThrow(KvCacheStartupError);
    expect(run).toThrow(
      /^To serve at least one request with the models's max seq len \(131072\), \(16\.00 GiB KV cache is needed, which is larger than the available KV cache memory \(\d+\.\d\d GiB\)\. Based on the available memory, the estimated maximum model length is \d+\. Try increasing `gpu_memory_utilization` or decreasing `max_model_len` when initializing the engine\.$/,
    );
  });

  it("names an estimated max length that itself fits", () => {
    try {
      kvCapacity({ device: deviceProfiles.l4, model: llama8b, gpuMemoryUtilization: 0.95 });
      expect.unreachable();
    } catch (error) {
      const estimate = Number(
        /estimated maximum model length is (\d+)/.exec((error as Error).message)?.[1],
      );
      expect(estimate % 16).toBe(0);
      const ok = kvCapacity({
        device: deviceProfiles.l4,
        model: llama8b,
        gpuMemoryUtilization: 0.95,
        maxModelLen: estimate,
      });
      expect(ok.maxConcurrency).toBeCloseTo(1, 5);
    }
  });

  it("fails with vLLM's no-memory text when weights alone exceed the budget", () => {
    // kv_cache_utils.py: "No available memory for the cache blocks. Try increasing `gpu_memory_utilization` ..."
    expect(() => kvCapacity({ device: h100, model: modelProfiles["llama-3.1-70b"] })).toThrow(
      "No available memory for the cache blocks. Try increasing `gpu_memory_utilization` when initializing the engine.",
    );
  });

  it("rejects nonsense options with a RangeError", () => {
    expect(() => kvCapacity({ device: h100, model: llama8b, gpuMemoryUtilization: 1.5 })).toThrow(
      RangeError,
    );
    expect(() => kvCapacity({ device: h100, model: llama8b, tensorParallelSize: 0 })).toThrow(
      RangeError,
    );
    expect(activationPeakEstimate(llama8b, 0, 0)).toBe(0);
  });
});

describe("KV capacity with sliding-window attention", () => {
  const mistralV01 = modelProfileFromConfig(mistral7bV01Config);
  const gemma3 = modelProfileFromConfig(gemma3_1bConfig);

  it("Mistral-7B-v0.1 (every layer slides): one group, the same pool, concurrency from the window", () => {
    // kv_cache_utils.py: one KV cache type → one group, num_blocks = available // page // layers.
    const capacity = kvCapacity({ device: h100, model: mistralV01, maxModelLen: 32_768 });
    expect(capacity.layout).toEqual({
      window: 4096,
      fullGroups: 0,
      slidingGroups: 1,
      groupSize: 32,
    });
    expect(capacity.numBlocks).toBe(Math.floor(capacity.availableKvBytes / (16 * 131_072)));
    expect(capacity.tokens).toBe(capacity.numBlocks * 16);
    // kv_cache_interface.py SlidingWindowSpec.max_memory_usage_bytes: min(W − 1 + 8192, 32768)
    // = 12,287 tokens → ceil(12287 / 16) + 1 = 769 blocks per request, not 2,048.
    expect(capacity.maxConcurrency).toBe(capacity.numBlocks / 769);
    expect(capacity.logLines[2]).toBe(
      `Maximum concurrency for 32,768 tokens per request: ${(capacity.numBlocks / 769).toFixed(2)}x`,
    );
    // The same model with the window disabled fits 2,048 blocks per request.
    const full = kvCapacity({
      device: h100,
      model: withoutSlidingWindow(mistralV01),
      maxModelLen: 32_768,
    });
    expect(full.numBlocks).toBe(capacity.numBlocks);
    expect(full.maxConcurrency).toBe(capacity.numBlocks / 2048);
  });

  it("Gemma 3 (22 sliding, 4 full layers): seven groups of four layers share the pool", () => {
    // _get_kv_cache_groups_uniform_page_size: group size min(22, 4) = 4 → 1 full + ceil(22/4) = 6
    // sliding groups; get_num_blocks: available // (page × 4); page = 2 × 1 × 256 × 2 B × 16.
    const capacity = kvCapacity({ device: h100, model: gemma3, maxModelLen: 32_768 });
    expect(capacity.layout).toEqual({
      window: 512,
      fullGroups: 1,
      slidingGroups: 6,
      groupSize: 4,
      padding: [{ layers: 2, of: 22 }],
    });
    const page = 2 * 256 * 2 * 16;
    expect(capacity.numBlocks).toBe(Math.floor(capacity.availableKvBytes / (page * 4)));
    // _report_kv_cache_config: num_blocks // len(groups) × block_size.
    expect(capacity.tokens).toBe(Math.floor(capacity.numBlocks / 7) * 16);
    // The 22 sliding layers fill 6 groups of 4 with 2 placeholders: vLLM's warning comes first.
    expect(capacity.logLines[1]).toBe(
      "Add 2 padding layers, may waste at most 9.09% KV cache memory",
    );
    expect(capacity.logLines[2]).toBe(
      `GPU KV cache size: ${capacity.tokens.toLocaleString("en-US")} tokens`,
    );
    // get_max_concurrency_for_kv_cache_config: 4 layers × (2048 full + 6 × (ceil(8703/16) + 1))
    // pages ÷ (page × 4) = 2048 + 6 × 545 = 5,318 blocks per request.
    expect(capacity.maxConcurrency).toBe(capacity.numBlocks / 5318);
    expect(capacity.logLines[3]).toBe(
      `Maximum concurrency for 32,768 tokens per request: ${(capacity.numBlocks / 5318).toFixed(2)}x`,
    );
  });

  it("needs only the window's KV on sliding layers to fit one request (check_enough_kv_cache_memory)", () => {
    // L4 (24 GB) with a 2,000,000-token max_model_len: full attention cannot fit it, the window can.
    const l4 = deviceProfiles.l4;
    const long = { ...mistralV01, maxPositionEmbeddings: 2_000_000 };
    expect(() =>
      kvCapacity({ device: l4, model: withoutSlidingWindow(long), maxModelLen: 2_000_000 }),
    ).toThrow(KvCacheStartupError);
    expect(
      kvCapacity({ device: l4, model: long, maxModelLen: 2_000_000 }).maxConcurrency,
    ).toBeGreaterThan(1);
    // Gemma 3's global layers still need the whole length: the estimate is a binary search.
    const gemmaLong = { ...gemma3, maxPositionEmbeddings: 50_000_000 };
    expect(() => kvCapacity({ device: l4, model: gemmaLong, maxModelLen: 50_000_000 })).toThrow(
      /estimated maximum model length is \d+/,
    );
  });
});

describe("KV cache groups (kvCacheLayout)", () => {
  const base = modelProfileFromConfig(mistral7bV01Config);
  it("groups two types by the smaller layer count, or the larger when under 1.5 × the smaller", () => {
    // kv_cache_utils.py _get_kv_cache_groups_uniform_page_size: Gemma 2's 13 + 13 layers make two
    // groups of 13; 12 sliding + 13 full pad to (13, 13) (vLLM's gpt-oss + EAGLE example); 5:1
    // patterns take the smaller count.
    expect(kvCacheLayout({ ...base, layers: 26, slidingWindow: 4096, slidingLayers: 13 })).toEqual({
      window: 4096,
      fullGroups: 1,
      slidingGroups: 1,
      groupSize: 13,
    });
    expect(kvCacheLayout({ ...base, layers: 25, slidingWindow: 128, slidingLayers: 12 })).toEqual({
      window: 128,
      fullGroups: 1,
      slidingGroups: 1,
      groupSize: 13,
      padding: [{ layers: 1, of: 12 }],
    });
    expect(kvCacheLayout({ ...base, layers: 48, slidingWindow: 1024, slidingLayers: 40 })).toEqual({
      window: 1024,
      fullGroups: 1,
      slidingGroups: 5,
      groupSize: 8,
    });
  });
});

describe("KV capacity with --disable-hybrid-kv-cache-manager", () => {
  // vllm/v1/core/kv_cache_utils.py unify_hybrid_kv_cache_specs (run when the hybrid manager is
  // disabled): a model with more than one KV cache type has every SlidingWindowSpec turned into a
  // FullAttentionSpec, with a warning; a uniform model (all layers alike) is left as it is.
  const mistralV01 = modelProfileFromConfig(mistral7bV01Config);
  const gemma3 = modelProfileFromConfig(gemma3_1bConfig);

  it("Gemma 3: one full-attention group of all 26 layers, sized as full attention, with vLLM's warning", () => {
    const hybrid = kvCapacity({ device: h100, model: gemma3, maxModelLen: 32_768 });
    const unified = kvCapacity({
      device: h100,
      model: gemma3,
      maxModelLen: 32_768,
      disableHybridKvCacheManager: true,
    });
    expect(unified.layout).toEqual({ fullGroups: 1, slidingGroups: 0, groupSize: 26 });
    expect(kvCacheLayout(gemma3, false)).toEqual(unified.layout);
    // Every layer keeps the whole sequence: the pool and the concurrency are full attention's,
    // as with the window disabled (which, unlike this flag, also caps max_model_len at it).
    const full = kvCapacity({
      device: h100,
      model: withoutSlidingWindow(gemma3),
      maxModelLen: 32_768,
    });
    expect(unified.numBlocks).toBe(full.numBlocks);
    expect(unified.tokens).toBe(full.tokens);
    expect(unified.maxConcurrency).toBe(full.maxConcurrency);
    expect(unified.maxConcurrency).toBeLessThan(hybrid.maxConcurrency);
    expect(unified.maxModelLen).toBe(32_768);
    // The warning comes while the layers are grouped: after the memory line, before the sizes;
    // no padding layers (one group).
    expect(unified.logLines[1]).toBe(hybridKvCacheDisabledWarning);
    expect(unified.logLines[2]).toMatch(/^GPU KV cache size: /);
    expect(unified.logLines.some((line) => line.startsWith("Add "))).toBe(false);
    expect(hybrid.logLines).not.toContain(hybridKvCacheDisabledWarning);
  });

  it("leaves a uniform model alone: all-sliding Mistral-7B-v0.1 and full-attention Llama", () => {
    for (const model of [mistralV01, modelProfiles["llama-3.1-8b"]]) {
      const on = kvCapacity({ device: h100, model, maxModelLen: 8192 });
      const off = kvCapacity({
        device: h100,
        model,
        maxModelLen: 8192,
        disableHybridKvCacheManager: true,
      });
      expect(off).toEqual(on);
    }
  });
});

describe("KV capacity of Gemma 3 configs that leave fields to transformers' defaults", () => {
  // The real google/gemma-3-4b-it and -27b-it config.json files (sliding-window-configs.ts), read
  // with Gemma3TextConfig's defaults as vLLM reads them (hf-text-config.ts). We found no public
  // vLLM log for them on an H100, so these are the numbers our formula gives (weights of the
  // language model and of the SigLIP vision tower and projector vLLM loads with it; the profiling
  // run's image encoder activations are not modelled).

  it("gemma-3-4b-it on an H100: 29 sliding + 5 full layers in groups of 5, 131,072 tokens long", () => {
    const model = modelProfileFromConfig(gemma3_4bItConfig);
    const capacity = kvCapacity({ device: h100, model });
    // The vision side's 419,816,304 bf16 parameters count with the language model's weights.
    expect(capacity.weightBytes).toBe((parameterCount(model) + 419_816_304) * 2);
    // max_model_len: Gemma3TextConfig's max_position_embeddings (vLLM skips the rope factor for
    // gemma3, _get_and_verify_max_len).
    expect(capacity.maxModelLen).toBe(131_072);
    // _get_kv_cache_groups_uniform_page_size: 29 ≥ 1.5 × 5 → groups of 5 layers, ceil(29/5) = 6
    // sliding groups with 1 placeholder layer, and 1 full group.
    expect(capacity.layout).toEqual({
      window: 1024,
      fullGroups: 1,
      slidingGroups: 6,
      groupSize: 5,
      padding: [{ layers: 1, of: 29 }],
    });
    // One layer's page: 2 × 4 KV heads × 256 × 2 B × 16 tokens = 64 KiB; a pool block 5 pages.
    expect(capacity.numBlocks).toBe(Math.floor(capacity.availableKvBytes / (5 * 65_536)));
    expect(capacity.logLines).toEqual([
      "Available KV cache memory: 61.20 GiB",
      "Add 1 padding layers, may waste at most 3.45% KV cache memory",
      "GPU KV cache size: 458,400 tokens",
      "Maximum concurrency for 131,072 tokens per request: 17.21x",
      "Chunked prefill is enabled with max_num_batched_tokens=8192.",
    ]);
  });

  it("gemma-3-27b-it on an H100: 52 sliding + 10 full layers, still fits one 131,072-token request", () => {
    const capacity = kvCapacity({
      device: h100,
      model: modelProfileFromConfig(gemma3_27bItConfig),
    });
    expect(capacity.layout).toMatchObject({ groupSize: 10, fullGroups: 1, slidingGroups: 6 });
    expect(capacity.logLines).toEqual([
      "Available KV cache memory: 17.60 GiB",
      "Add 8 padding layers, may waste at most 15.38% KV cache memory",
      "GPU KV cache size: 32,944 tokens",
      "Maximum concurrency for 131,072 tokens per request: 1.24x",
      "Chunked prefill is enabled with max_num_batched_tokens=8192.",
    ]);
  });
});
