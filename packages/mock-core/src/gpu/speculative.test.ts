import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { deviceProfiles } from "./device-profiles.js";
import { EngineCore } from "./engine-core.js";
import { EngineMetrics } from "./engine-metrics.js";
import { kvCapacity } from "./kv-capacity.js";
import { modelProfileFromConfig, modelProfiles } from "./model-profiles.js";
import { deepseekV3Config, glm45Config, qwen3Next80bA3bConfig } from "./moe-hybrid-configs.js";
import { type SimulationConfig, simulate } from "./simulate.js";
import {
  acceptanceRates,
  DraftAcceptance,
  drafterMemory,
  draftModelProfile,
  draftModelStepTime,
  draftPassTime,
  formatSpecDecodeLogLine,
  headStepTime,
  proposeTime,
  SpecDecodeCounts,
  type SpeculativeDecoding,
} from "./speculative.js";
import { addToLoad, createStepTimeModel, emptyLoad } from "./step-time.js";
import { linearStepTime } from "./test-step-time.js";

const device = deviceProfiles["h100-80gb"];
const model = modelProfiles["llama-3.1-8b"];
const h100 = createStepTimeModel({ device, model });
const base: SimulationConfig = {
  numBlocks: 1000,
  maxNumSeqs: 256,
  maxNumBatchedTokens: 8192,
  maxModelLen: 8192,
  stepTime: linearStepTime,
};
const ngram = (k: number, rate: number | number[], seed = 0): SpeculativeDecoding => ({
  method: "ngram",
  numSpeculativeTokens: k,
  acceptanceRates: acceptanceRates(rate, k),
  seed,
});

describe("speculative decoding in the engine core", () => {
  it("emits k + 1 tokens per decode step when every draft is accepted", () => {
    // vllm/v1/spec_decode: a step verifies the last token plus k drafts; the rejection sampler
    // keeps all accepted drafts plus one token of its own (the bonus token).
    const core = new EngineCore({ ...base, speculative: ngram(3, 1) });
    core.add({ id: "a", prompt: 32, outputTokens: 9 });
    const prefill = core.step(0);
    expect(prefill?.tokens).toHaveLength(1); // the prefill step samples one token
    const decode = core.step(1);
    expect(decode?.stats.scheduledTokens).toBe(4); // 1 + k tokens of the budget
    expect(decode?.tokens.map((t) => t.index)).toEqual([1, 2, 3, 4]);
    expect(decode?.stats.specDecode).toMatchObject({
      drafts: 1,
      draftTokens: 3,
      acceptedTokens: 3,
      acceptedPerPosition: [1, 1, 1],
    });
    const next = core.step(2);
    expect(next?.tokens.map((t) => t.index)).toEqual([5, 6, 7, 8]);
    expect(next?.tokens.at(-1)?.last).toBe(true);
    expect(core.hasWork()).toBe(false);
  });

  it("emits one token per step when no draft is accepted, still charging the drafts", () => {
    const core = new EngineCore({ ...base, speculative: ngram(2, 0) });
    core.add({ id: "a", prompt: 32, outputTokens: 3 });
    core.step(0);
    const decode = core.step(1);
    expect(decode?.tokens).toHaveLength(1);
    expect(decode?.stats.scheduledTokens).toBe(3);
    // linearStepTime: 10 ms + 1 ms per token computed, drafts included.
    expect(decode?.stats.duration).toBeCloseTo(0.013, 9);
    expect(decode?.stats.specDecode).toMatchObject({
      drafts: 1,
      draftTokens: 2,
      acceptedTokens: 0,
    });
  });

  it("simulate(): one ITL per step's chunk, and the run's spec-decode totals", () => {
    // vllm bench serve records one ITL per streamed chunk; a speculative step's tokens are one.
    const result = simulate([{ id: "a", prompt: 16, outputTokens: 9 }], {
      ...base,
      speculative: ngram(3, 1),
    });
    const outcome = result.requests[0];
    expect(outcome?.outputTokens).toBe(9);
    expect(outcome?.itls).toHaveLength(2); // prefill token, then two steps of 4
    expect(result.specDecode).toMatchObject({ drafts: 2, draftTokens: 6, acceptedTokens: 6 });
    expect(simulate([{ id: "a", prompt: 16, outputTokens: 9 }], base).specDecode).toBeUndefined();
  });

  it("drops tokens past max_tokens and finishes the request", () => {
    // vLLM's output processor stops a request at max_tokens even when the sampler accepted more.
    const result = simulate([{ id: "a", prompt: 16, outputTokens: 3 }], {
      ...base,
      speculative: ngram(4, 1),
    });
    expect(result.requests[0]).toMatchObject({ status: "finished", outputTokens: 3 });
  });

  it("counts draft tokens in the token budget and cuts drafts to fit it", () => {
    // vllm/v1/core/sched/scheduler.py: spec tokens are scheduled tokens; max_num_batched_tokens
    // bounds them, and drafts that do not fit are dropped for the step.
    const requests = ["a", "b", "c"].map((id) => ({ id, prompt: 8, outputTokens: 20 }));
    const result = simulate(requests, {
      ...base,
      maxNumBatchedTokens: 24,
      speculative: ngram(8, 1),
    });
    for (const step of result.steps) expect(step.scheduledTokens).toBeLessThanOrEqual(24);
    expect(result.requests.every((r) => r.status === "finished" && r.outputTokens === 20)).toBe(
      true,
    );
    const decodeSteps = result.steps.filter((s) => s.specDecode && s.specDecode.drafts > 0);
    expect(decodeSteps.some((s) => s.specDecode && s.specDecode.draftTokens < 3 * 8)).toBe(true);
  });

  it("keeps per-position counts consistent with the configured decay", () => {
    const core = new EngineCore({ ...base, speculative: ngram(3, [0.9, 0.6, 0.3]) });
    const total = new SpecDecodeCounts(3);
    for (let i = 0; i < 50; i++) core.add({ id: `r${i}`, prompt: 16, outputTokens: 200 });
    let now = 0;
    for (let s = 0; s < 40; s++) {
      const step = core.step(now);
      if (!step) break;
      if (step.stats.specDecode) total.add(step.stats.specDecode);
      now = step.end;
    }
    const [p0, p1, p2] = total.acceptedPerPosition.map((n) => n / total.drafts);
    expect(p0).toBeGreaterThan(0.85);
    expect(p0).toBeLessThan(0.95);
    expect(p1).toBeGreaterThan(0.55);
    expect(p1).toBeLessThan(0.65);
    expect(p2).toBeGreaterThan(0.25);
    expect(p2).toBeLessThan(0.35);
    // An accepted position implies every position before it was accepted.
    expect(total.acceptedPerPosition[0]).toBeGreaterThanOrEqual(total.acceptedPerPosition[1] ?? 0);
    expect(total.acceptedTokens).toBe(total.acceptedPerPosition.reduce((a, b) => a + b, 0));
  });

  it("is deterministic per seed", () => {
    const run = (seed: number) =>
      simulate(
        Array.from({ length: 8 }, (_, i) => ({ id: `r${i}`, prompt: 64, outputTokens: 50 })),
        { ...base, stepTime: h100, speculative: ngram(4, 0.7, seed) },
      ).requests.map((r) => r.e2e);
    expect(run(1)).toEqual(run(1));
    expect(run(1)).not.toEqual(run(2));
  });

  it("shortens the time per emitted token at batch 1 on the H100 roofline", () => {
    // Decode reads the weights once whatever the tokens verified (step-time.ts roofline), so
    // 1 + accepted tokens per step cost little more than one.
    const request = [{ id: "a", prompt: 512, outputTokens: 256 }];
    const plain = simulate(request, { ...base, stepTime: h100 }).requests[0];
    const eagle: SpeculativeDecoding = {
      method: "eagle",
      numSpeculativeTokens: 3,
      acceptanceRates: acceptanceRates(0.7, 3),
      draftTime: 3 * draftPassTime({ method: "eagle", device, model, bandwidthEfficiency: 0.82 }),
    };
    const spec = simulate(request, { ...base, stepTime: h100, speculative: eagle }).requests[0];
    const perToken = (r: typeof plain) => ((r?.e2e ?? 0) - (r?.ttft ?? 0)) / 255;
    expect(perToken(spec)).toBeLessThan(perToken(plain) * 0.75);
    expect(perToken(spec)).toBeGreaterThan(perToken(plain) * 0.3);
  });

  it("grows the KV cache by the accepted tokens only", () => {
    // 16-token blocks: 16 prompt tokens + 1 + 3 accepted = 20 computed after two steps; the
    // lookahead slots for the next step's drafts are allocated when it is scheduled.
    const core = new EngineCore({ ...base, numBlocks: 10, speculative: ngram(3, 1) });
    core.add({ id: "a", prompt: 15, outputTokens: 40 });
    core.step(0); // prefill 15 → 1 block
    expect(core.kvUsage).toBeCloseTo(1 / 10, 9);
    core.step(1); // verifies 4 tokens at positions 15..18 → 2 blocks
    expect(core.kvUsage).toBeCloseTo(2 / 10, 9);
  });

  it("reserves k lookahead slots per running request for EAGLE and draft models, none for n-gram", () => {
    // vllm/v1/core/sched/scheduler.py: num_lookahead_tokens = num_spec_tokens when use_eagle()
    // (eagle, eagle3, mtp) or uses_draft_model(), 0 otherwise; allocate_slots reserves
    // computed + new + lookahead slots, at most max_model_len; a fresh prefill reserves none.
    const eagle = (k: number, rate = 1): SpeculativeDecoding => ({
      method: "eagle",
      numSpeculativeTokens: k,
      acceptanceRates: acceptanceRates(rate, k),
    });
    const blocksAfterTwoSteps = (speculative: SpeculativeDecoding, maxModelLen = 8192) => {
      const core = new EngineCore({ ...base, numBlocks: 10, maxModelLen, speculative });
      core.add({ id: "a", prompt: 12, outputTokens: Math.min(40, maxModelLen - 12) });
      const first = core.step(0); // prefill 12 → 1 block, no lookahead
      const afterPrefill = Math.round(core.kvUsage * 10);
      core.step(first?.end ?? 0); // 1 + 3 tokens on top of 12: 16 slots, 19 with lookahead
      return [afterPrefill, Math.round(core.kvUsage * 10)];
    };
    expect(blocksAfterTwoSteps(eagle(3))).toEqual([1, 2]);
    expect(blocksAfterTwoSteps({ ...eagle(3), method: "draft_model" })).toEqual([1, 2]);
    expect(blocksAfterTwoSteps({ ...eagle(3), method: "mtp" })).toEqual([1, 2]);
    expect(blocksAfterTwoSteps(ngram(3, 1))).toEqual([1, 1]);
    // max_model_len 16 caps the slots (and the drafts: 16 − 1 − 12 − 1 = 2; none accepted, so
    // the request is still running after the step).
    expect(blocksAfterTwoSteps(eagle(3, 0), 16)).toEqual([1, 1]);
  });

  it("feeds vLLM's spec-decode counters and observes one ITL per step", () => {
    const metrics = new EngineMetrics(8192);
    const core = new EngineCore({ ...base, speculative: ngram(2, 1) });
    metrics.arrived("a", 0, 16);
    core.add({ id: "a", prompt: 16, outputTokens: 7 });
    let now = 0;
    let received = 0;
    for (let step = core.step(now); step; step = core.step(now)) {
      metrics.step(step);
      received += step.tokens.length;
      now = step.end;
    }
    expect(received).toBe(7);
    expect(metrics.generationTokens).toBe(7);
    // 1 token from prefill, then 3 per step: 2 drafts of 2 tokens, all accepted.
    expect(metrics.specDecodeDrafts).toBe(2);
    expect(metrics.specDecodeDraftTokens).toBe(4);
    expect(metrics.specDecodeAcceptedTokens).toBe(4);
    expect(metrics.specDecodeAcceptedPerPosition).toEqual([2, 2]);
    expect(received).toBe(1 + metrics.specDecodeDrafts + metrics.specDecodeAcceptedTokens);
    // vLLM records one inter-token latency per request per engine output (IterationStats).
    expect(metrics.interTokenLatency.count).toBe(2);
  });
});

describe("speculative helpers", () => {
  it("builds per-position rates from one rate and refuses bad lists", () => {
    expect(acceptanceRates(0.5, 3)).toEqual([0.5, 0.25, 0.125]);
    expect(() => acceptanceRates([0.5, 0.6], 2)).toThrow(/non-increasing/);
    expect(() => acceptanceRates([0.5], 2)).toThrow(/1 given for 2/);
    expect(() => acceptanceRates(1.5, 2)).toThrow(RangeError);
  });

  it("draws acceptance deterministically and within k", () => {
    const a = new DraftAcceptance([0.8, 0.5], 7);
    const b = new DraftAcceptance([0.8, 0.5], 7);
    const draws = Array.from({ length: 20 }, () => a.accepted(2));
    expect(Array.from({ length: 20 }, () => b.accepted(2))).toEqual(draws);
    expect(draws.every((n) => n >= 0 && n <= 2)).toBe(true);
  });

  it("prices an EAGLE pass by one layer plus the LM head, n-gram at 0", () => {
    const pass = draftPassTime({ method: "eagle3", device, model, bandwidthEfficiency: 0.82 });
    // Llama 3.1 8B on an H100 at 82% of 3.35 TB/s: (0.5 GB + 1.05 GB) / 2.75 TB/s ≈ 0.56 ms.
    expect(pass).toBeGreaterThan(0.0005);
    expect(pass).toBeLessThan(0.0006);
    expect(draftPassTime({ method: "ngram", device, model, bandwidthEfficiency: 0.82 })).toBe(0);
  });

  it("formats vLLM's SpecDecoding log line", () => {
    // vllm/v1/spec_decode/metrics.py SpecDecodingLogging.log: its labels, order and precisions.
    const counts = new SpecDecodeCounts(3);
    counts.observe(3, 3);
    counts.observe(3, 1);
    counts.observe(3, 0);
    counts.observe(3, 2);
    expect(formatSpecDecodeLogLine(counts, 2)).toBe(
      "SpecDecoding metrics: Mean acceptance length: 2.50, Accepted throughput: 3.00 tokens/s, " +
        "Drafted throughput: 6.00 tokens/s, Accepted: 6 tokens, Drafted: 12 tokens, " +
        "Per-position acceptance rate: 0.750, 0.500, 0.250, Avg Draft acceptance rate: 50.0%",
    );
  });
});

describe("the drafter's memory at start-up", () => {
  // yuhuili/EAGLE3-LLaMA3.1-Instruct-8B config.json (architecture fields): one layer of the
  // target's shapes, a 32,000-token draft vocabulary.
  const eagle3Config = {
    architectures: ["LlamaForCausalLMEagle3"],
    hidden_size: 4096,
    intermediate_size: 14_336,
    model_type: "llama",
    num_attention_heads: 32,
    num_hidden_layers: 1,
    num_key_value_heads: 8,
    torch_dtype: "float16",
    vocab_size: 128_256,
    draft_vocab_size: 32_000,
  };

  it("EAGLE-3 for Llama 3.1 8B: one layer reading 2 × hidden, fc, its own 32k LM head and d2t", () => {
    // vllm llama_eagle3.py: q/k/v of layer 0 read 2 × 4096 features; fc 3 × 4096 → 4096; lm_head
    // draft_vocab_size × 4096; d2t draft_vocab_size int64; embeddings shared (eagle.py).
    const layer = 8192 * 4096 + 2 * 8192 * 1024 + 4096 * 4096 + 3 * 4096 * 14_336 + 3 * 4096;
    const params = layer + 3 * 4096 * 4096 + 4096 + 32_000 * 4096;
    const memory = drafterMemory({ method: "eagle3", target: model, draftConfig: eagle3Config });
    expect(memory).toEqual({
      weightBytes: params * 2 + 32_000 * 8,
      kvLayers: 1,
      sharesEmbeddings: true,
      sharesLmHead: false,
    });
    // 849,635,328 B ≈ 810 MiB: about the size a public write-up gives this head (~811 MB).
    expect(memory?.weightBytes).toBe(849_635_328);
    // Without the draft config: a head of the target's shapes and vocabulary (vLLM's default
    // draft_vocab_size is vocab_size).
    expect(drafterMemory({ method: "eagle3", target: model })?.weightBytes).toBe(
      (layer + 3 * 4096 * 4096 + 4096 + 128_256 * 4096) * 2 + 128_256 * 8,
    );
  });

  it("EAGLE (1): decoder layers and fc only; embeddings and LM head are the target's", () => {
    // vllm llama_eagle.py: layer 0 has no input norm, fc 2 × hidden → hidden; no lm_head of its own.
    const memory = drafterMemory({ method: "eagle", target: model });
    const layer = 4096 * 4096 + 2 * 4096 * 1024 + 4096 * 4096 + 3 * 4096 * 14_336 + 4096;
    expect(memory).toEqual({
      weightBytes: (layer + 2 * 4096 * 4096) * 2,
      kvLayers: 1,
      sharesEmbeddings: true,
      sharesLmHead: true,
    });
  });

  it("splits layer weights over tensor parallelism; no model for n-gram, MTP not modelled", () => {
    const one = drafterMemory({ method: "eagle", target: model }) as { weightBytes: number };
    const two = drafterMemory({ method: "eagle", target: model, tensorParallelSize: 2 });
    const replicated = (4096 + 2 * 4096 * 4096) * 2;
    expect(two?.weightBytes).toBe((one.weightBytes - replicated) / 2 + replicated);
    expect(drafterMemory({ method: "ngram", target: model })).toBeUndefined();
    expect(drafterMemory({ method: "mtp", target: model })).toBeUndefined();
    // eagle_config.use_aux_hidden_state false: no fc (llama_eagle3.py).
    const noAux = drafterMemory({
      method: "eagle3",
      target: model,
      draftConfig: { ...eagle3Config, eagle_config: { use_aux_hidden_state: false } },
    });
    expect(noAux?.weightBytes).toBe(849_635_328 - 3 * 4096 * 4096 * 2);
  });

  it("refuses a draft whose KV shape differs from the target's, and bad fields", () => {
    expect(() =>
      drafterMemory({
        method: "eagle3",
        target: model,
        draftConfig: { ...eagle3Config, num_key_value_heads: 4 },
      }),
    ).toThrow(RangeError);
    expect(() =>
      drafterMemory({
        method: "eagle",
        target: model,
        draftConfig: { ...eagle3Config, num_hidden_layers: 0 },
      }),
    ).toThrow(/num_hidden_layers/);
  });

  it("shrinks the KV cache by the drafter's weights and gives its layer KV blocks", () => {
    // gpu_model_runner.py load_model: the drafter loads inside the weights measurement, so
    // the cache gets what is left; kv_cache_utils.py: the 33 layers (32 + the head's) share one
    // group, a block holds 16 tokens × 33 layers × 4 KiB.
    const drafter = drafterMemory({ method: "eagle3", target: model, draftConfig: eagle3Config });
    const plain = kvCapacity({ device, model, maxModelLen: 8192 });
    const spec = kvCapacity({ device, model, maxModelLen: 8192, ...(drafter ? { drafter } : {}) });
    expect(spec.weightBytes).toBe(plain.weightBytes + 849_635_328);
    expect(spec.availableKvBytes).toBe(plain.availableKvBytes - 849_635_328);
    expect(spec.kvBytesPerToken).toBe(33 * 4096);
    expect(spec.layout).toEqual({ fullGroups: 1, slidingGroups: 0, groupSize: 33 });
    expect(spec.numBlocks).toBe(Math.floor(spec.availableKvBytes / (16 * 33 * 4096)));
    expect(spec.logLines.slice(0, 3)).toEqual([
      `Available KV cache memory: ${(spec.availableKvBytes / 1024 ** 3).toFixed(2)} GiB`,
      `GPU KV cache size: ${(spec.numBlocks * 16).toLocaleString("en-US")} tokens`,
      `Maximum concurrency for 8,192 tokens per request: ${(spec.numBlocks / 512).toFixed(2)}x`,
    ]);
    // The formula's numbers on an H100 (no public log pins them): 446,848 tokens without the
    // drafter, fewer with it.
    expect(plain.tokens).toBe(446_848);
    expect(spec.tokens).toBe(427_024);
  });

  it("prices a drafting pass by the drafter's own weights when they are known", () => {
    const bandwidthEfficiency = 0.82;
    const rate = device.memoryBandwidth * bandwidthEfficiency;
    const eagle3 = drafterMemory({ method: "eagle3", target: model, draftConfig: eagle3Config });
    const eagle = drafterMemory({ method: "eagle", target: model });
    const base = { method: "eagle3" as const, device, model, bandwidthEfficiency };
    // EAGLE-3: its own weights, 32k LM head included.
    expect(draftPassTime({ ...base, ...(eagle3 ? { drafter: eagle3 } : {}) })).toBe(
      849_635_328 / rate,
    );
    // EAGLE: its layer and fc, plus the target's LM head it reads (128,256 × 4096 × 2 B).
    expect(draftPassTime({ ...base, method: "eagle", ...(eagle ? { drafter: eagle } : {}) })).toBe(
      ((eagle?.weightBytes ?? 0) + 128_256 * 4096 * 2) / rate,
    );
    expect(draftPassTime({ ...base, method: "ngram", ...(eagle ? { drafter: eagle } : {}) })).toBe(
      0,
    );
  });

  it("adds the head's layer to the full-attention layers of a hybrid (Gemma 3) target", () => {
    const gemma = modelProfileFromConfig({
      model_type: "gemma3_text",
      hidden_size: 2560,
      intermediate_size: 10_240,
      num_hidden_layers: 34,
      sliding_window: 1024,
    });
    const drafter = drafterMemory({ method: "eagle", target: gemma });
    const spec = kvCapacity({ device, model: gemma, ...(drafter ? { drafter } : {}) });
    // 29 sliding + 6 full layers: groups of 6 (29 ≥ 1.5 × 6), ceil(29 / 6) = 5 sliding groups.
    expect(spec.layout).toMatchObject({ fullGroups: 1, slidingGroups: 5, groupSize: 6 });
  });
});

describe("an MTP drafter (the target's own MTP layers)", () => {
  // A MiMo-7B-shaped config.json: MiMoForCausalLM, 36 layers and one MTP layer (the MiMo-7B-RL
  // checkpoint as inspected in public tooling), the Qwen2 shapes of MiMo's published configs
  // (hidden 4096, intermediate 11,008, 32 heads, 8 KV heads, vocabulary 151,680).
  const mimo = {
    architectures: ["MiMoForCausalLM"],
    model_type: "mimo",
    hidden_size: 4096,
    intermediate_size: 11_008,
    num_hidden_layers: 36,
    num_attention_heads: 32,
    num_key_value_heads: 8,
    vocab_size: 151_680,
    max_position_embeddings: 32_768,
    num_nextn_predict_layers: 1,
    tie_word_embeddings: false,
    torch_dtype: "bfloat16",
  };
  const target = modelProfileFromConfig(mimo);

  it("MiMo: one Qwen2 decoder layer, input_proj and three norms per MTP layer; embeddings and LM head shared", () => {
    // vllm mimo_mtp.py MiMoMultiTokenPredictorLayer: token_layernorm, hidden_layernorm,
    // input_proj (2 × 4096 → 4096, no bias), Qwen2DecoderLayer (q/k/v with bias), final_layernorm;
    // vllm/v1/spec_decode/eagle.py: "Detected MTP model. Sharing target model embedding weights"
    // and "... lm_head weights with the draft model."
    const sharded = 4096 * 4096 + 4096 + 2 * (4096 * 1024 + 1024) + 4096 * 4096 + 3 * 4096 * 11_008;
    const replicated = 2 * 4096 * 4096 + 5 * 4096;
    const memory = drafterMemory({ method: "mtp", target, draftConfig: mimo });
    expect(memory).toEqual({
      weightBytes: (sharded + replicated) * 2,
      kvLayers: 1,
      sharesEmbeddings: true,
      sharesLmHead: true,
      passWeightBytes: (sharded + replicated) * 2,
    });
    expect(memory?.weightBytes).toBe(421_580_800);
    // Two MTP layers: twice the weights and KV layers, one layer read per pass
    // (mtp_layers[start + spec_step_idx]).
    const two = drafterMemory({
      method: "mtp",
      target,
      draftConfig: { ...mimo, num_nextn_predict_layers: 2 },
      tensorParallelSize: 2,
    });
    expect(two?.kvLayers).toBe(2);
    expect(two?.passWeightBytes).toBe((sharded / 2 + replicated) * 2);
    expect(two?.weightBytes).toBe(2 * (two?.passWeightBytes ?? 0));
  });

  it("prices an MTP pass as one MTP layer plus the target's LM head", () => {
    const memory = drafterMemory({ method: "mtp", target, draftConfig: mimo });
    const bandwidthEfficiency = 0.82;
    expect(
      draftPassTime({
        method: "mtp",
        device,
        model: target,
        bandwidthEfficiency,
        ...(memory ? { drafter: memory } : {}),
      }),
    ).toBe((421_580_800 + 151_680 * 4096 * 2) / (device.memoryBandwidth * bandwidthEfficiency));
  });

  it("is not counted for MTP families the mock does not build, or without MTP layers", () => {
    for (const architecture of ["Ernie4_5_MoeForCausalLM", "LongcatFlashForCausalLM"])
      expect(
        drafterMemory({
          method: "mtp",
          target,
          draftConfig: { ...mimo, architectures: [architecture] },
        }),
        architecture,
      ).toBeUndefined();
    const { num_nextn_predict_layers: _, ...withoutMtp } = mimo;
    expect(drafterMemory({ method: "mtp", target, draftConfig: withoutMtp })).toBeUndefined();
    expect(() =>
      drafterMemory({
        method: "mtp",
        target,
        draftConfig: { ...mimo, num_nextn_predict_layers: 0 },
      }),
    ).toThrow(/num_nextn_predict_layers/);
  });
});

describe("MTP layers of MoE, MLA and hybrid targets", () => {
  const h200 = deviceProfiles.h200;
  const deepseek = modelProfileFromConfig(deepseekV3Config);

  it("DeepSeek-V3: one MLA + MoE layer (all 256 experts loaded, FP8) and eh_proj; one more MLA layer of KV", () => {
    // deepseek_mtp.py DeepSeekMultiTokenPredictorLayer (enorm, hnorm, eh_proj, shared_head norm,
    // a DeepseekV2DecoderLayer past first_k_dense_replace); embed_tokens and lm_head shared
    // (eagle.py). DeepSeek-V3 model card: the MTP module is 14B parameters with its own copies
    // of embeddings and head (2 × 0.93B): the layer is about 11.7 GB in FP8 here.
    const one = drafterMemory({ method: "mtp", target: deepseek, draftConfig: deepseekV3Config });
    expect(one).toMatchObject({ kvLayers: 1, sharesEmbeddings: true, sharesLmHead: true });
    expect((one?.weightBytes ?? 0) / 1e9).toBeCloseTo(11.71, 2);
    // A pass reads the layer with the 8 experts one token routes to.
    expect((one?.passWeightBytes ?? 0) / 1e9).toBeCloseTo(0.79, 2);
    const tp8 = drafterMemory({
      method: "mtp",
      target: deepseek,
      draftConfig: deepseekV3Config,
      tensorParallelSize: 8,
    });
    const plain = kvCapacity({ device: h200, model: deepseek, tensorParallelSize: 8 });
    const spec = kvCapacity({
      device: h200,
      model: deepseek,
      tensorParallelSize: 8,
      ...(tp8 === undefined ? {} : { drafter: tp8 }),
    });
    // The MTP layer's latent KV: 62 × 576 × 2 bytes per token (formula outputs, no published log).
    expect(spec.kvBytesPerToken).toBe(62 * 576 * 2);
    expect(plain.weightBytes + (tp8?.weightBytes ?? 0)).toBe(spec.weightBytes);
    expect(spec.logLines).toEqual([
      "Forcing kv cache block size to 64 for FlashMLA backend.",
      "Available KV cache memory: 43.97 GiB",
      "GPU KV cache size: 660,992 tokens",
      "Maximum concurrency for 163,840 tokens per request: 4.03x",
      "Chunked prefill is enabled with max_num_batched_tokens=8192.",
    ]);
  });

  it("GLM-4.5: one GQA + MoE layer, one more attention layer of KV", () => {
    const glm = modelProfileFromConfig(glm45Config);
    const memory = drafterMemory({
      method: "mtp",
      target: glm,
      draftConfig: glm45Config,
      tensorParallelSize: 8,
    });
    expect(memory?.kvLayers).toBe(1);
    const spec = kvCapacity({
      device: h200,
      model: glm,
      tensorParallelSize: 8,
      ...(memory === undefined ? {} : { drafter: memory }),
    });
    expect(spec.kvBytesPerToken).toBe(93 * 2 * 1 * 128 * 2);
    expect(spec.logLines).toContain("GPU KV cache size: 939,120 tokens");
  });

  it("Qwen3-Next: one full-attention MTP layer without num_nextn_predict_layers; 13 attention layers regroup", () => {
    // qwen3_next_mtp.py: num_mtp_layers = getattr(config, "num_nextn_predict_layers", 1).
    const qwen = modelProfileFromConfig(qwen3Next80bA3bConfig);
    const memory = drafterMemory({
      method: "mtp",
      target: qwen,
      draftConfig: qwen3Next80bA3bConfig,
      tensorParallelSize: 4,
    });
    expect(memory?.kvLayers).toBe(1);
    const spec = kvCapacity({
      device: deviceProfiles["h100-80gb"],
      model: qwen,
      tensorParallelSize: 4,
      ...(memory === undefined ? {} : { drafter: memory }),
    });
    // 13 attention + 36 linear layers: groups of 13, 3 Mamba groups padded by 3 layers
    // (kv_cache_utils.py "Add N padding layers").
    expect(spec.layout).toMatchObject({ fullGroups: 1, groupSize: 13, mambaGroups: 3 });
    expect(spec.logLines).toContain(
      "Add 3 padding layers, may waste at most 8.33% KV cache memory",
    );
    expect(spec.logLines).toContain("GPU KV cache size: 653,616 tokens");
  });
});

describe("a separate draft model (method draft_model, vLLM 0.15.0)", () => {
  const config = (name: string): Record<string, unknown> =>
    JSON.parse(
      readFileSync(new URL(`./testdata/${name}/config.json`, import.meta.url), "utf8"),
    ) as Record<string, unknown>;
  const llama8b = modelProfiles["llama-3.1-8b"];
  const h100 = deviceProfiles["h100-80gb"];

  it("is the whole draft model: its own embeddings, LM head and KV at its own size", () => {
    // draft_model.py: DraftModelProposer shares neither embeddings nor LM head with the target.
    const draft = drafterMemory({
      method: "draft_model",
      target: llama8b,
      draftConfig: config("llama-3.2-1b-instruct"),
    });
    // Llama 3.2 1B's published size, 1,235,814,400 parameters (tied embeddings), in bf16.
    expect(draft?.weightBytes).toBe(1_235_814_400 * 2);
    expect(draft?.sharesEmbeddings).toBe(false);
    expect(draft?.sharesLmHead).toBe(false);
    // 16 layers x 8 KV heads x head_dim 64 x K and V x 2 B.
    expect(draft?.kvLayers).toBe(16);
    expect(draft?.kvBytesPerToken).toBe(32_768);
    // With tensor parallelism (vLLM 0.15.0: the draft's TP is the target's) both halve.
    const tp2 = drafterMemory({
      method: "draft_model",
      target: modelProfiles["llama-3.1-70b"],
      draftConfig: config("llama-3.2-1b-instruct"),
      tensorParallelSize: 2,
    });
    expect(tp2?.weightBytes).toBe(1_235_814_400);
    expect(tp2?.kvBytesPerToken).toBe(16_384);
    // A hub id (no config read): nothing counted.
    expect(drafterMemory({ method: "draft_model", target: llama8b })).toBeUndefined();
  });

  it("takes the target's dtype and refuses shapes it does not model beside a draft", () => {
    // vllm/config/speculative.py builds the draft's ModelConfig with the target's dtype.
    const fp16Target = { ...llama8b, dtype: "float16" };
    expect(draftModelProfile(fp16Target, config("llama-3.2-1b-instruct")).dtype).toBe("float16");
    expect(() =>
      draftModelProfile({ ...llama8b, slidingWindow: 4096 }, config("llama-3.2-1b-instruct")),
    ).toThrow(RangeError);
    expect(() => draftModelProfile(llama8b, { hidden_size: 8 })).toThrow(
      /^draft config\.json: .*num_attention_heads/,
    );
  });

  it("a pass reads the draft's weights at the step model's bandwidth, k passes per step", () => {
    const drafter = drafterMemory({
      method: "draft_model",
      target: llama8b,
      draftConfig: config("llama-3.2-1b-instruct"),
    });
    const bandwidthEfficiency = createStepTimeModel({ device: h100, model: llama8b }).parameters
      .bandwidthEfficiency;
    const pass = draftPassTime({
      method: "draft_model",
      device: h100,
      model: llama8b,
      bandwidthEfficiency,
      ...(drafter === undefined ? {} : { drafter }),
    });
    // 2.47 GB / (3.35 TB/s x 0.82): about 0.90 ms, against the target's 6.5 ms decode step.
    expect(pass).toBeCloseTo(2_471_628_800 / (h100.memoryBandwidth * bandwidthEfficiency), 12);
    expect(pass * 1000).toBeCloseTo(0.9, 1);
    // An untied draft reads rows of its embedding table, not the table: Qwen2.5-7B as a
    // (same-vocabulary) draft of itself reads its weights but one vocab x hidden matrix.
    const qwen7 = config("qwen2.5-7b-instruct");
    const target = modelProfileFromConfig(qwen7);
    const untied = drafterMemory({ method: "draft_model", target, draftConfig: qwen7 });
    expect((untied?.weightBytes ?? 0) - (untied?.passWeightBytes ?? 0)).toBe(152_064 * 3584 * 2);
  });

  it("its KV shares the target's cache group: fewer tokens, the same blocks of 16", () => {
    const drafter = drafterMemory({
      method: "draft_model",
      target: llama8b,
      draftConfig: config("llama-3.2-1b-instruct"),
    });
    const without = kvCapacity({ device: h100, model: llama8b, maxModelLen: 8192 });
    const withDraft = kvCapacity({
      device: h100,
      model: llama8b,
      maxModelLen: 8192,
      ...(drafter === undefined ? {} : { drafter }),
    });
    expect(without.tokens).toBe(446_848);
    expect(withDraft.weightBytes - without.weightBytes).toBe(2_471_628_800);
    expect(withDraft.kvBytesPerToken).toBe(131_072 + 32_768);
    // One pool block holds 16 tokens of all 32 + 16 layers (UniformTypeKVCacheSpecs page).
    expect(withDraft.numBlocks).toBe(
      Math.floor(withDraft.availableKvBytes / (16 * (131_072 + 32_768))),
    );
    expect(withDraft.tokens).toBe(342_400);
    expect(withDraft.layout).toEqual(without.layout);
  });

  describe("the proposer's passes grow with the step (eagle.py propose, draft_model.py)", () => {
    const draft = () => draftModelProfile(llama8b, config("llama-3.2-1b-instruct"));
    const drafter = () => draftModelStepTime({ device: h100, draft: draft() });
    const decodeLoad = (contexts: number[]) => {
      const load = emptyLoad();
      for (const c of contexts) addToLoad(load, 1, c);
      return load;
    };

    it("at batch 1 decode: k passes of about one weight read each (0.90 ms)", () => {
      const model = drafter();
      // One request verifying 1 + 2 drafts on top of 511 cached tokens: 514 after the step.
      const step = emptyLoad();
      addToLoad(step, 3, 511);
      const time = proposeTime(model, step, 3, Int32Array.of(514), 1, emptyLoad());
      const pass = draftPassTime({
        method: "draft_model",
        device: h100,
        model: llama8b,
        bandwidthEfficiency: model.parameters.bandwidthEfficiency,
        drafter: drafterMemory({
          method: "draft_model",
          target: llama8b,
          draftConfig: config("llama-3.2-1b-instruct"),
        }) as NonNullable<ReturnType<typeof drafterMemory>>,
      });
      // The roofline reads all the weights (embedding rows aside, a tied table is the LM head)
      // plus the draft's KV (32 KiB per token), so a pass is within a few % of the fixed price.
      expect(time / (3 * pass)).toBeGreaterThan(0.98);
      expect(time / (3 * pass)).toBeLessThan(1.06);
      // No engine overheads: those are the target step's (stepOverhead 0.625 ms not repaid).
      expect(model.parameters.stepOverhead).toBe(0);
      expect(model.parameters.perSequenceOverhead).toBe(0);
    });

    it("the first pass covers every token the target computed, prefill chunks included", () => {
      const model = drafter();
      // eagle.py: `num_tokens = target_token_ids.shape[0]` (the whole step's tokens) in the
      // first forward; then `num_speculative_tokens - 1` passes of `batch_size` tokens.
      const step = emptyLoad();
      addToLoad(step, 2048, 0); // a prefill chunk
      addToLoad(step, 4, 700); // a decoding request verifying 3 drafts
      const contexts = Int32Array.of(2048, 704);
      const time = proposeTime(model, step, 3, contexts, 2, emptyLoad());
      const chained = model.time(decodeLoad([2048, 704])) + model.time(decodeLoad([2049, 705]));
      expect(time).toBeCloseTo(model.time(step) + chained, 12);
      // 2,052 tokens of a 1.24B model are compute-bound: the first pass costs more than two
      // weight reads (2 × 1.24e9 × 2052 FLOPs at 70% of 989 TFLOPS ≈ 7 ms).
      expect(model.time(step)).toBeGreaterThan(2 * model.time(decodeLoad([704])));
      // k = 1: the first pass only (eagle.py returns after it).
      expect(proposeTime(model, step, 1, contexts, 2, emptyLoad())).toBe(model.time(step));
    });

    it("the engine core charges it per drafting step instead of the fixed draftTime", () => {
      const model = drafter();
      const speculative: SpeculativeDecoding = {
        method: "draft_model",
        numSpeculativeTokens: 2,
        acceptanceRates: acceptanceRates(1, 2),
        draftTime: 1, // not read when the drafter's model is given
        drafterStepTime: model,
      };
      const target = createStepTimeModel({ device: h100, model: llama8b });
      const core = new EngineCore({ ...base, stepTime: target, speculative });
      core.add({ id: "a", prompt: 100, outputTokens: 20 });
      const prefill = core.step(0);
      // The prefill step drafts nothing here (its drafts are scheduled with the next step).
      const prefillLoad = addToLoad(emptyLoad(), 100, 0);
      expect(prefill?.stats.duration).toBeCloseTo(target.time(prefillLoad), 12);
      const decode = core.step(prefill?.end ?? 0);
      // 1 + 2 drafts on top of 100 computed tokens: 103 in the KV cache after the step.
      const load = addToLoad(emptyLoad(), 3, 100);
      const expected =
        target.time(load) + proposeTime(model, load, 2, Int32Array.of(103), 1, emptyLoad());
      expect(decode?.stats.duration).toBeCloseTo(expected, 12);
    });
  });
});

describe("EAGLE / EAGLE-3 / MTP heads priced from their own size (eagle.py propose)", () => {
  const eagle3Config = JSON.parse(
    readFileSync(new URL("./testdata/eagle3-llama3.1-8b/config.json", import.meta.url), "utf8"),
  ) as Record<string, unknown>;
  const eagle3 = drafterMemory({
    method: "eagle3",
    target: model,
    draftConfig: eagle3Config,
  }) as NonNullable<ReturnType<typeof drafterMemory>>;
  const head = headStepTime({
    device,
    model,
    drafter: eagle3,
    method: "eagle3",
    draftConfig: eagle3Config,
  });
  const decodeLoad = (contexts: number[]) => {
    const load = emptyLoad();
    for (const c of contexts) addToLoad(load, 1, c);
    return load;
  };

  it("computes an EAGLE-3 head's logits with its own 32,000-token LM head", () => {
    // llama_eagle3.py: lm_head over draft_vocab_size, part of the head's weights; one sequence's
    // logits are 2 × 32,000 × 4096 FLOPs, the layer's 2 per parameter per token (the int64 d2t
    // map's 256 KB counted as weights: 0.03%).
    const one = decodeLoad([0]);
    const rate = device.bf16Flops * 0.7;
    const layer = (849_635_328 - 32_000 * 4096 * 2) / 2;
    // Plus one query-key pair on the head's layer: 4 × 32 heads × 128 FLOPs.
    expect(head.computeTime(one)).toBeCloseTo(
      (2 * (layer + 32_000 * 4096) + 4 * 32 * 128) / rate,
      15,
    );
  });

  it("at batch 1 decode a pass costs the fixed price plus one layer's KV read", () => {
    const pass = draftPassTime({
      method: "eagle3",
      device,
      model,
      bandwidthEfficiency: 0.82,
      drafter: eagle3,
    });
    // 849,635,328 B at 82% of 3.35 TB/s: 0.31 ms; one head layer's KV is 2 × 8 × 128 × 2 B =
    // 4 KiB per cached token (the target's per-layer KV: eagle.py registers the head's layer).
    const rate = device.memoryBandwidth * 0.82;
    expect(head.time(decodeLoad([0]))).toBeCloseTo(pass + 4096 / rate, 15);
    expect(head.time(decodeLoad([1000]))).toBeCloseTo(pass + (1001 * 4096) / rate, 15);
    expect(pass * 1e3).toBeCloseTo(0.31, 2);
    // No engine overheads: those are the target step's.
    expect(head.parameters.stepOverhead).toBe(0);
    expect(head.parameters.perSequenceOverhead).toBe(0);
    expect(head.time(emptyLoad())).toBe(0);
  });

  it("a large batch reads the head layer's KV of every sequence, which a fixed time misses", () => {
    // 256 sequences of 2,000 cached tokens: 2.1 GB of the head layer's KV per pass.
    const load = decodeLoad(new Array<number>(256).fill(2000));
    const fixed = head.time(decodeLoad([0]));
    expect(head.time(load) - fixed).toBeGreaterThan(0.7e-3);
    expect(head.time(load) - fixed).toBeLessThan(0.8e-3);
  });

  it("the first pass over a prefill chunk is compute-bound on the head's layer", () => {
    // eagle.py: the first forward runs over every token the target computed (target_token_ids).
    const step = addToLoad(emptyLoad(), 8192, 0);
    // The layer (q/k/v reading 2 × hidden, fc 3h → h) is ~0.4B parameters: 2 × 0.4e9 × 8192
    // FLOPs at 70% of 989 TFLOPS ≈ 10 ms, far above one weight read (0.31 ms).
    expect(head.computeTime(step)).toBeGreaterThan(10 * head.memoryTime(decodeLoad([0])));
    expect(head.time(step)).toBeGreaterThanOrEqual(head.computeTime(step) - 1e-12);
    // With k = 3 the proposer adds two one-token passes per request (proposeTime).
    const contexts = Int32Array.of(8192);
    expect(proposeTime(head, step, 3, contexts, 1, emptyLoad())).toBeCloseTo(
      head.time(step) + head.time(decodeLoad([8192])) + head.time(decodeLoad([8193])),
      15,
    );
  });

  it("EAGLE shares the target's LM head: a pass reads it as draftPassTime does", () => {
    const eagle = drafterMemory({ method: "eagle", target: model }) as NonNullable<
      ReturnType<typeof drafterMemory>
    >;
    const eagleHead = headStepTime({ device, model, drafter: eagle });
    const pass = draftPassTime({
      method: "eagle",
      device,
      model,
      bandwidthEfficiency: 0.82,
      drafter: eagle,
    });
    expect(
      eagleHead.memoryTime(decodeLoad([0])) - 4096 / (device.memoryBandwidth * 0.82),
    ).toBeCloseTo(pass, 15);
  });

  it("TP splits the head; two all-reduces per head layer", () => {
    const tp2 = headStepTime({
      device,
      model,
      drafter: drafterMemory({
        method: "eagle3",
        target: model,
        draftConfig: eagle3Config,
        tensorParallelSize: 2,
      }) as NonNullable<ReturnType<typeof drafterMemory>>,
      method: "eagle3",
      draftConfig: eagle3Config,
      tensorParallelSize: 2,
    });
    const one = decodeLoad([0]);
    expect(tp2.time(one)).toBeLessThan(head.time(one));
    expect(tp2.time(one) - tp2.memoryTime(one)).toBeCloseTo(2 * 15e-6, 12);
  });

  it("concurrency 1: EAGLE-3 k = 3 at the default acceptance speeds decode up about 2.2x", () => {
    // Published: vLLM with EAGLE-3 "up to 2.5X" (Red Hat Developer, "Fly, Eagle(3), fly",
    // 2025-07-01, vLLM speculators, Llama 3.1 8B among the models); SGLang's docs give 2.36x for
    // EAGLE-3 on Llama 3.1 8B, 1x H100, MT-Bench (tree drafting). The model's figure: one target
    // step verifying 1 + 3 tokens plus the proposer's 3 passes, over 1 + 0.7 + 0.49 + 0.343
    // tokens per step, against a plain decode step, at 1,000 cached tokens.
    const verify = addToLoad(emptyLoad(), 4, 1000);
    const spec =
      h100.time(verify) + proposeTime(head, verify, 3, Int32Array.of(1004), 1, emptyLoad());
    const plain = h100.time(addToLoad(emptyLoad(), 1, 1000));
    const speedUp = (plain * (1 + 0.7 + 0.49 + 0.343)) / spec;
    expect(speedUp).toBeGreaterThan(2.36 * 0.75);
    expect(speedUp).toBeLessThan(2.5 * 1.25);
    expect(speedUp).toBeCloseTo(2.2, 1);
  });

  it("an MTP head of DeepSeek V3 reads one MTP layer's active experts and MLA's latent KV", () => {
    const dsv3 = modelProfileFromConfig(deepseekV3Config);
    const mtp = drafterMemory({
      method: "mtp",
      target: dsv3,
      draftConfig: deepseekV3Config,
      tensorParallelSize: 8,
    }) as NonNullable<ReturnType<typeof drafterMemory>>;
    const h200 = deviceProfiles.h200;
    const mtpHead = headStepTime({
      device: h200,
      model: dsv3,
      drafter: mtp,
      tensorParallelSize: 8,
    });
    const pass = draftPassTime({
      method: "mtp",
      device: h200,
      model: dsv3,
      tensorParallelSize: 8,
      bandwidthEfficiency: 0.82,
      drafter: mtp,
    });
    // One layer's MLA latent: 576 elements of 2 B per token, replicated over TP (one of 61 layers).
    const rate = h200.memoryBandwidth * 0.82;
    const one = decodeLoad([1000]);
    expect(mtpHead.memoryTime(one)).toBeCloseTo(pass + (1001 * 576 * 2) / rate, 12);
  });
});
