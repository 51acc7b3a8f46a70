import { describe, expect, it } from "vitest";
import { deviceProfile } from "./device-profiles.js";
import { kvCapacity, mambaPageSizes } from "./kv-capacity.js";
import {
  activeParameterCount,
  attentionLayerCount,
  dsMlaFp8TokenBytes,
  indexerKeyTokenBytes,
  kvBytesPerToken,
  kvBytesPerTokenPerLayer,
  modelProfileFromConfig,
  modelProfiles,
  parameterCount,
  weightBytesPerGpu,
} from "./model-profiles.js";
import { linearStateElements, type Mamba2Shape } from "./model-shapes.js";
import {
  deepseekV3Config,
  deepseekV32Config,
  glm45Config,
  granite4HSmallConfig,
  mixtral8x7bConfig,
  qwen3Next80bA3bConfig,
} from "./moe-hybrid-configs.js";
import { kvCacheElementBytes } from "./quantization.js";
import { addToLoad, attentionFlopsPerPair, createStepTimeModel, emptyLoad } from "./step-time.js";

const deepseek = modelProfileFromConfig(deepseekV3Config);
const mixtral = modelProfileFromConfig(mixtral8x7bConfig);
const qwen3Next = modelProfileFromConfig(qwen3Next80bA3bConfig);
const granite = modelProfileFromConfig(granite4HSmallConfig);
const glm = modelProfileFromConfig(glm45Config);

describe("MoE parameters: all experts for memory, the routed ones for work", () => {
  it("counts Mixtral 8x7B's published 46,702,792,704 parameters, 12.9B active", () => {
    // Hugging Face model card of mistralai/Mixtral-8x7B-v0.1: safetensors 46.7B params
    // (46,702,792,704); Mistral's announcement: 12.9B active per token (2 of 8 experts).
    expect(parameterCount(mixtral)).toBe(46_702_792_704);
    expect(activeParameterCount(mixtral) / 1e9).toBeCloseTo(12.9, 1);
    // All 8 experts are loaded: BF16 weights split over 2 GPUs (norms and routers replicated:
    // 1.3 MB more on each).
    expect(weightBytesPerGpu(mixtral, 2) - 46_702_792_704).toBe(1_314_816);
  });

  it("counts DeepSeek-V3's 671B parameters (37B active) and keeps its FP8 layers at one byte", () => {
    // DeepSeek-V3 model card: 671B total, 37B activated per token (685B on the hub counts the
    // 14B MTP module too). config.json: first_k_dense_replace 3, 256 routed + 1 shared expert.
    expect(parameterCount(deepseek) / 1e9).toBeCloseTo(671, 0);
    expect(activeParameterCount(deepseek) / 1e9).toBeCloseTo(37.6, 1);
    expect(deepseek.moe).toMatchObject({ experts: 256, expertsPerToken: 8, denseLayers: 3 });
    // quantization_config quant_method fp8: layer matrices 1 byte; embeddings and head in BF16.
    expect(deepseek.quantizedWeightBytes).toBe(1);
    expect(weightBytesPerGpu(deepseek) / 1e9).toBeCloseTo(673.0, 0);
  });

  it("counts GLM-4.5 at 353B (355B with its MTP layer) and Qwen3-Next at 80B, 3B active", () => {
    // zai-org/GLM-4.5 model card: 355B total, 32B active; Qwen3-Next-80B-A3B: 80B total, 3B
    // activated (without embeddings and head: 3.25B here).
    expect(parameterCount(glm) / 1e9).toBeCloseTo(352.8, 1);
    expect(activeParameterCount(glm) / 1e9).toBeCloseTo(33.6, 1);
    expect(parameterCount(qwen3Next) / 1e9).toBeCloseTo(79.7, 1);
    const embeddings = 2 * 151_936 * 2048;
    expect((activeParameterCount(qwen3Next) - embeddings) / 1e9).toBeCloseTo(3.26, 1);
  });

  it("counts granite-4.0-h-small at 32.2B total, 8.8B active", () => {
    // ibm-granite/granite-4.0-h-small model card: 32B total, 9B active (safetensors 32.2B).
    expect(parameterCount(granite) / 1e9).toBeCloseTo(32.2, 1);
    expect(activeParameterCount(granite) / 1e9).toBeCloseTo(8.8, 1);
  });

  it("leaves dense models' numbers exactly as before", () => {
    const llama = modelProfiles["llama-3.1-8b"];
    expect(parameterCount(llama)).toBe(8_030_261_248);
    expect(activeParameterCount(llama)).toBe(8_030_261_248);
    expect(kvBytesPerToken(llama)).toBe(131_072);
  });
});

describe("KV per token: MLA latent, attention layers only in hybrids", () => {
  it("gives DeepSeek-V3 576 elements per layer, the same on every tensor-parallel rank", () => {
    // vllm/config/model.py get_head_size for MLA: kv_lora_rank + qk_rope_head_dim (512 + 64);
    // get_num_kv_heads: 1 for MLA. 61 layers × 576 × 2 bytes.
    expect(kvBytesPerToken(deepseek, 1)).toBe(61 * 576 * 2);
    expect(kvBytesPerToken(deepseek, 8)).toBe(70_272);
  });

  it("sizes DeepSeek V3.2's fp8_ds_mla record at 656 B and its indexer key at 132 B per layer", () => {
    const v32 = modelProfileFromConfig(deepseekV32Config);
    // deepseek_v2.py is_v32 = hasattr(config, "index_topk"): the indexer is read from the config.
    expect(v32.mla?.indexer).toEqual({ headDim: 128, heads: 64, topk: 2048 });
    expect(deepseek.mla?.indexer).toBeUndefined();
    if (v32.mla?.indexer === undefined) return;
    // vllm/v1/attention/backends/mla/flashmla_sparse.py (the note on FlashMLA Sparse's fp8
    // cache, vLLM 0.11.0 on): 512 float8_e4m3 + 4 float32 scales + 64 bfloat16 = 656 bytes.
    expect(dsMlaFp8TokenBytes(v32.mla)).toBe(656);
    // deepseek_v2.py Indexer: head_dim + head_dim // quant_block_size * 4 (uint8) = 128 + 4.
    expect(indexerKeyTokenBytes(v32.mla.indexer)).toBe(132);
    // config.py DeepseekV32ForCausalLM: any fp8 --kv-cache-dtype becomes fp8_ds_mla.
    for (const dtype of ["fp8", "fp8_e4m3", "fp8_ds_mla"]) {
      const fp8 = { ...v32, kvCacheBytes: kvCacheElementBytes(dtype, 2) };
      expect(kvBytesPerTokenPerLayer(fp8, 8)).toBe(656 + 132);
      expect(kvBytesPerToken(fp8, 8)).toBe(61 * (656 + 132));
    }
    // bf16 (auto) keeps the 576-element latent in 2 bytes, the indexer key stays fp8.
    expect(kvBytesPerToken(v32, 8)).toBe(61 * (576 * 2 + 132));
    // A dense MLA model's fp8 cache is the plain 576 bytes (no record, no indexer).
    expect(kvBytesPerToken({ ...deepseek, kvCacheBytes: 1 }, 8)).toBe(61 * 576);
  });

  it("keeps at least one KV head per GPU (Qwen3-Next's 2 KV heads over 4 GPUs)", () => {
    // vllm/config/model.py get_num_kv_heads: max(1, total_num_kv_heads // tp).
    expect(attentionLayerCount(qwen3Next)).toBe(12);
    expect(kvBytesPerToken(qwen3Next, 4)).toBe(12 * 2 * 1 * 256 * 2);
    expect(kvBytesPerToken(qwen3Next, 1)).toBe(12 * 2 * 2 * 256 * 2);
  });

  it("sizes Mamba-2 and Gated DeltaNet states per sequence as vLLM's shape calculator", () => {
    // mamba_utils.py mamba2_state_shape: conv (4 − 1) × (8192 + 2 × 1 × 128), SSM 128 × 64 × 128.
    const mamba = granite.linearAttention;
    expect(mamba?.kind).toBe("mamba2");
    if (mamba === undefined) return;
    expect(mamba.layers).toBe(36);
    expect(linearStateElements(mamba, 1)).toBe(3 * 8448 + 128 * 64 * 128);
    // n_groups 1 over tp 2: groups padded to 2 (extra_groups_for_head_shards).
    expect(linearStateElements(mamba, 2)).toBe(3 * ((8192 + 2 * 2 * 128) / 2) + 64 * 64 * 128);
    // gated_delta_net_state_shape: conv (4 − 1) × (128 × 16 × 2 + 128 × 32) / tp, temporal
    // (32 / tp) × 128 × 128.
    const gdn = qwen3Next.linearAttention;
    if (gdn === undefined) throw new Error("no linear attention");
    expect(gdn.layers).toBe(36);
    expect(linearStateElements(gdn, 4)).toBe(3 * 2048 + 8 * 128 * 128);
  });
});

describe("start-up log lines as vLLM computes them (formula outputs: no published log to match)", () => {
  it("DeepSeek-V3 on 8 × H200, tp 8", () => {
    const k = kvCapacity({
      device: deviceProfile("h200"),
      model: deepseek,
      tensorParallelSize: 8,
    });
    expect(k.kvBytesPerToken).toBe(70_272);
    // vllm/platforms/cuda.py: MLA on Hopper runs FlashMLA with 64-token blocks (the line as in
    // published vLLM 0.8.3 (DeepSeek-V2-Lite) and 0.10.1 (a DeepSeek checkpoint) start-up logs).
    expect(k.blockSize).toBe(64);
    expect(k.logLines).toEqual([
      "Forcing kv cache block size to 64 for FlashMLA backend.",
      "Available KV cache memory: 45.52 GiB",
      "GPU KV cache size: 695,488 tokens",
      "Maximum concurrency for 163,840 tokens per request: 4.24x",
      "Chunked prefill is enabled with max_num_batched_tokens=8192.",
    ]);
  });

  it("MLA keeps 16-token blocks off Hopper and a user block size that is a multiple of 64", () => {
    const a100 = kvCapacity({
      device: deviceProfile("a100-80gb"),
      model: modelProfileFromConfig({ ...deepseekV3Config, num_hidden_layers: 4 }),
      maxModelLen: 4096,
    });
    expect(a100.blockSize).toBe(16);
    const h100 = kvCapacity({
      device: deviceProfile("h100-80gb"),
      model: modelProfileFromConfig({ ...deepseekV3Config, num_hidden_layers: 4 }),
      maxModelLen: 4096,
      blockSize: 128,
    });
    expect(h100.blockSize).toBe(128);
    expect(h100.logLines[0]).toMatch(/^Available KV cache memory/);
  });

  it("Mixtral 8x7B on 2 × H100, tp 2: all experts loaded, KV like a dense 32-layer GQA model", () => {
    const k = kvCapacity({
      device: deviceProfile("h100-80gb"),
      model: mixtral,
      tensorParallelSize: 2,
    });
    expect(k.logLines).toEqual([
      "Available KV cache memory: 26.44 GiB",
      "GPU KV cache size: 433,152 tokens",
      "Maximum concurrency for 32,768 tokens per request: 13.22x",
      "Chunked prefill is enabled with max_num_batched_tokens=8192.",
    ]);
  });

  it("Qwen3-Next-80B-A3B on 4 × H100, tp 4: block 272, 1 attention + 3 Mamba groups", () => {
    // models/config.py HybridAttentionMambaModelConfig: block = 16 × ceil(274,432 / (16 ×
    // 1,024)) = 272; the state page padded to 278,528 B (1.49%). The log texts: vLLM PR #55096's
    // start-up log ("Setting attention block size to 544 tokens ...", "Padding mamba page size
    // by 2.64% ..."). Token count: num_blocks // 4 groups × 272, vLLM 0.19's formula (issue
    // #40691: for hybrids it is not max concurrency × max_model_len).
    expect(mambaPageSizes(qwen3Next, 4)).toEqual({
      stateBytes: 274_432,
      attentionTokenBytes: 1024,
      blockSize: 272,
      pageBytes: 278_528,
      raised: true,
    });
    const k = kvCapacity({
      device: deviceProfile("h100-80gb"),
      model: qwen3Next,
      tensorParallelSize: 4,
    });
    expect(k.layout).toMatchObject({ fullGroups: 1, groupSize: 12, mambaGroups: 3 });
    expect(k.blockSize).toBe(272);
    expect(k.logLines).toEqual([
      "Hybrid or mamba-based model detected: disabling prefix caching since it is not yet supported.",
      "Setting attention block size to 272 tokens to ensure that attention page size is >= mamba page size.",
      "Padding mamba page size by 1.49% to ensure that mamba page size and attention page size are exactly equal.",
      "Available KV cache memory: 33.20 GiB",
      "GPU KV cache size: 725,152 tokens",
      "Maximum concurrency for 262,144 tokens per request: 11.03x",
      "Chunked prefill is enabled with max_num_batched_tokens=8192.",
    ]);
    // Each request: ceil(262,144 / 272) attention blocks + one block in each of 3 Mamba groups.
    expect(k.maxConcurrency).toBeCloseTo(k.numBlocks / (964 + 3), 10);
  });

  it("granite-4.0-h-small on one H100: block 528, 1 attention + 9 Mamba groups", () => {
    const k = kvCapacity({ device: deviceProfile("h100-80gb"), model: granite });
    expect(k.layout).toMatchObject({ fullGroups: 1, groupSize: 4, mambaGroups: 9 });
    expect(k.logLines).toEqual([
      "Hybrid or mamba-based model detected: disabling prefix caching since it is not yet supported.",
      "Setting attention block size to 528 tokens to ensure that attention page size is >= mamba page size.",
      "Padding mamba page size by 0.69% to ensure that mamba page size and attention page size are exactly equal.",
      "Available KV cache memory: 9.78 GiB",
      "GPU KV cache size: 63,888 tokens",
      "Maximum concurrency for 131,072 tokens per request: 4.70x",
      "Chunked prefill is enabled with max_num_batched_tokens=8192.",
    ]);
  });

  it("with k speculative tokens each Mamba layer holds 1 + k state pages a request", () => {
    // mamba/abstract.py get_kv_cache_spec: num_speculative_blocks = num_speculative_tokens;
    // kv_cache_interface.py MambaSpec.max_memory_usage_bytes ("none"): page × (1 + that).
    const plain = kvCapacity({ device: deviceProfile("h100-80gb"), model: granite });
    const spec = kvCapacity({
      device: deviceProfile("h100-80gb"),
      model: granite,
      numSpeculativeBlocks: 3,
    });
    // The pool is the same; a request takes ceil(131,072 / 528) = 249 attention blocks and
    // 4 in each of the 9 Mamba groups instead of 1.
    expect(spec.numBlocks).toBe(plain.numBlocks);
    expect(spec.maxConcurrency).toBeCloseTo(spec.numBlocks / (249 + 9 * 4), 10);
    expect(plain.maxConcurrency).toBeCloseTo(plain.numBlocks / (249 + 9), 10);
    expect(spec.logLines).toContain(
      `Maximum concurrency for 131,072 tokens per request: ${spec.maxConcurrency.toFixed(2)}x`,
    );
    expect(spec.maxConcurrency).toBeLessThan(plain.maxConcurrency);
    // Dense models are unaffected; a fractional count is refused.
    const llama = kvCapacity({
      device: deviceProfile("h100-80gb"),
      model: modelProfiles["llama-3.1-8b"],
    });
    expect(
      kvCapacity({
        device: deviceProfile("h100-80gb"),
        model: modelProfiles["llama-3.1-8b"],
        numSpeculativeBlocks: 3,
      }),
    ).toEqual(llama);
    expect(() =>
      kvCapacity({ device: deviceProfile("h100-80gb"), model: granite, numSpeculativeBlocks: 1.5 }),
    ).toThrow(RangeError);
  });

  it("mamba_cache_mode align: 2 state pages a Mamba group, the same block, the experimental line", () => {
    // vllm/model_executor/models/config.py MambaModelConfig.verify_and_update_config: with
    // prefix caching on it logs "Warning: Prefix caching in Mamba cache '%s' mode is currently
    // enabled. ..." instead of turning caching off; platforms/interface.py
    // _align_hybrid_block_size: only "all" aligns the attention block to mamba_chunk_size, so
    // align keeps 16 × cdiv(state page, 16 × token page) = 528; kv_cache_interface.py
    // MambaSpec.max_memory_usage_bytes in align: 2 + k pages.
    const none = kvCapacity({ device: deviceProfile("h100-80gb"), model: granite });
    const align = kvCapacity({
      device: deviceProfile("h100-80gb"),
      model: granite,
      mambaCacheMode: "align",
    });
    expect(
      kvCapacity({ device: deviceProfile("h100-80gb"), model: granite, mambaCacheMode: "none" }),
    ).toEqual(none);
    expect(align.blockSize).toBe(528);
    expect(align.numBlocks).toBe(none.numBlocks);
    // ceil(131,072 / 528) = 249 attention blocks + 2 in each of the 9 Mamba groups.
    expect(align.maxConcurrency).toBeCloseTo(align.numBlocks / (249 + 9 * 2), 10);
    expect(align.logLines).toEqual([
      "Warning: Prefix caching in Mamba cache 'align' mode is currently enabled. Its support for Mamba layers is experimental. Please report any issues you may observe.",
      "Setting attention block size to 528 tokens to ensure that attention page size is >= mamba page size.",
      "Padding mamba page size by 0.69% to ensure that mamba page size and attention page size are exactly equal.",
      "Available KV cache memory: 9.78 GiB",
      "GPU KV cache size: 63,888 tokens",
      `Maximum concurrency for 131,072 tokens per request: ${align.maxConcurrency.toFixed(2)}x`,
      "Chunked prefill is enabled with max_num_batched_tokens=8192.",
    ]);
    expect(align.maxConcurrency).toBeLessThan(none.maxConcurrency);
    // With k = 3 speculative tokens: 2 + 3 pages a group.
    const spec = kvCapacity({
      device: deviceProfile("h100-80gb"),
      model: granite,
      mambaCacheMode: "align",
      numSpeculativeBlocks: 3,
    });
    expect(spec.maxConcurrency).toBeCloseTo(spec.numBlocks / (249 + 9 * 5), 10);
    // "all" at 131,072 tokens: a state page at each of ceil(131,072 / 768) block positions in
    // every Mamba layer does not fit (kv_cache_interface.py MambaSpec.max_memory_usage_bytes).
    expect(() =>
      kvCapacity({ device: deviceProfile("h100-80gb"), model: granite, mambaCacheMode: "all" }),
    ).toThrow(/^To serve at least one request with the models's max seq len \(131072\)/);
    // Dense models ignore the mode.
    const llama = { device: deviceProfile("h100-80gb"), model: modelProfiles["llama-3.1-8b"] };
    expect(kvCapacity({ ...llama, mambaCacheMode: "align" })).toEqual(kvCapacity(llama));
  });

  it("mamba_cache_mode all: the block a multiple of mamba_chunk_size, a state page per block position", () => {
    // platforms/interface.py _align_hybrid_block_size, mode "all": chunk = lcm(mamba_chunk_size
    // 256, max(16, block_size 16)) = 256; the state needs ceil(state / token page) = 525 tokens
    // of attention page, so the block is 256 × ceil(525 / 256) = 768 (not 528 as in none/align).
    expect(granite.linearAttention).toMatchObject({ kind: "mamba2", chunkSize: 256 });
    const all = kvCapacity({
      device: deviceProfile("h100-80gb"),
      model: granite,
      maxModelLen: 8192,
      mambaCacheMode: "all",
    });
    expect(all.blockSize).toBe(768);
    const pages = mambaPageSizes(granite, 1, undefined, "all");
    expect(Math.ceil(pages.stateBytes / pages.attentionTokenBytes)).toBe(525);
    // MambaSpec.max_memory_usage_bytes in "all": ceil(8,192 / 768) = 11 pages a Mamba group, as
    // many as the attention group's blocks.
    expect(all.maxConcurrency).toBeCloseTo(all.numBlocks / (11 + 9 * 11), 10);
    const padPct = ((pages.pageBytes - pages.stateBytes) / pages.stateBytes) * 100;
    expect(all.logLines.slice(0, 3)).toEqual([
      "Warning: Prefix caching in Mamba cache 'all' mode is currently enabled. Its support for Mamba layers is experimental. Please report any issues you may observe.",
      "Setting attention block size to 768 tokens to ensure that attention page size is >= mamba page size.",
      `Padding mamba page size by ${padPct.toFixed(2)}% to ensure that mamba page size and attention page size are exactly equal.`,
    ]);
    // A user block size enters the lcm: 512 → chunk lcm(256, 512) = 512, block 512 × 2.
    expect(mambaPageSizes(granite, 1, 512, "all").blockSize).toBe(1024);
    // None and align keep the 16-token rule.
    expect(mambaPageSizes(granite, 1, undefined, "align").blockSize).toBe(528);
    // No mamba_chunk_size: vLLM asserts; the mock names the missing field.
    const shape = granite.linearAttention as Mamba2Shape;
    const { chunkSize: _dropped, ...withoutChunk } = shape;
    expect(() =>
      mambaPageSizes({ ...granite, linearAttention: withoutChunk }, 1, undefined, "all"),
    ).toThrow(/mamba_chunk_size/);
    // Before vLLM 0.15.0 "none" logs the disabling line; from then on it need not.
    const quiet = kvCapacity({
      device: deviceProfile("h100-80gb"),
      model: granite,
      mambaDisablingLine: false,
    });
    expect(quiet.logLines.some((line) => line.startsWith("Hybrid or mamba-based"))).toBe(false);
  });

  it("keeps a user block size at least vLLM's, and refuses a max_model_len that cannot fit", () => {
    const k = kvCapacity({ device: deviceProfile("h100-80gb"), model: granite, blockSize: 1056 });
    expect(k.blockSize).toBe(1056);
    expect(k.logLines.some((line) => line.startsWith("Setting attention block size"))).toBe(false);
    expect(() =>
      kvCapacity({
        device: deviceProfile("h100-80gb"),
        model: granite,
        gpuMemoryUtilization: 0.8,
        maxModelLen: 131_072,
      }),
    ).toThrow(/estimated maximum model length is \d+/);
  });
});

describe("step time: active experts and latent attention", () => {
  it("reads k experts for one decode token and nearly all of them for a large batch", () => {
    const step = createStepTimeModel({
      device: deviceProfile("h100-80gb"),
      model: mixtral,
      tensorParallelSize: 2,
    });
    const one = step.memoryTime(addToLoad(emptyLoad(), 1, 100));
    const many = emptyLoad();
    for (let i = 0; i < 64; i++) addToLoad(many, 1, 100);
    // One token: 2 of 8 experts (about 13B of 46.7B parameters); 64 tokens touch all 8.
    expect(one).toBeLessThan(step.memoryTime(many) * 0.4);
    const bandwidth =
      deviceProfile("h100-80gb").memoryBandwidth * step.parameters.bandwidthEfficiency;
    expect(
      step.memoryTime(many) - (64 * 101 * kvBytesPerToken(mixtral, 2)) / bandwidth,
    ).toBeCloseTo(weightBytesPerGpu(mixtral, 2) / bandwidth, 4);
  });

  it("prices MLA decode attention over the latent, and no pairs on linear-attention layers", () => {
    // 2 × heads × (2 × 512 + 64) per layer: scores over kv_lora_rank + rope, values over the latent.
    expect(attentionFlopsPerPair(deepseek)).toBe(61 * 2 * 128 * (2 * 512 + 64));
    expect(attentionFlopsPerPair(qwen3Next)).toBe(12 * 4 * 16 * 256);
  });
});
