/**
 * Sliding-window attention in the scheduler and the step time, on the virtual clock: what vLLM
 * V1's SlidingWindowManager (vllm/v1/core/single_type_kv_cache_manager.py) does with the KV
 * blocks of a model whose layers slide, and what attention over a window costs.
 */
import { describe, expect, it } from "vitest";
import { deviceProfiles } from "./device-profiles.js";
import { EngineCore, type EngineCoreConfig, type StepResult } from "./engine-core.js";
import { type KvCacheLayout, kvCacheLayout } from "./kv-capacity.js";
import { modelProfileFromConfig, withoutSlidingWindow } from "./model-profiles.js";
import { gemma3_1bConfig, mistral7bV01Config } from "./sliding-window-configs.js";
import { addToLoad, createStepTimeModel, emptyLoad } from "./step-time.js";
import { linearStepTime } from "./test-step-time.js";

/** Every layer slides over 64 tokens: blocks of 16, so ceil(64 / 16) + 1 = 5 blocks at most. */
const sliding64: KvCacheLayout = { window: 64, fullGroups: 0, slidingGroups: 1, groupSize: 1 };
const full: KvCacheLayout = { fullGroups: 1, slidingGroups: 0, groupSize: 1 };

const config = (kvLayout: KvCacheLayout, numBlocks = 100): EngineCoreConfig => ({
  numBlocks,
  maxNumSeqs: 8,
  maxNumBatchedTokens: 512,
  maxModelLen: 4096,
  stepTime: linearStepTime,
  kvLayout,
});

/** Runs the engine until it is idle; returns every step. */
function drain(core: EngineCore): StepResult[] {
  const steps: StepResult[] = [];
  let now = 0;
  for (let i = 0; i < 100_000 && core.hasWork(); i++) {
    const step = core.step(now);
    if (step === undefined) break;
    steps.push(step);
    now = step.end;
  }
  return steps;
}

const usedBlocks = (step: StepResult, numBlocks: number) =>
  Math.round(step.stats.kvUsage * numBlocks);
const tokens = (n: number, offset = 0) => Array.from({ length: n }, (_, i) => offset + i);

describe("sliding window in the scheduler (every layer slides)", () => {
  it("frees blocks wholly out of the window: a long sequence holds at most ceil(W/16) + 1 blocks", () => {
    // SlidingWindowManager.remove_skipped_blocks: before each step, the blocks whose tokens all
    // lie before the last W − 1 computed tokens go back to the pool; the admission bound
    // (SlidingWindowSpec) is cdiv(W − 1 + new tokens, block) + 1 = 5 blocks for one decode token.
    const core = new EngineCore(config(sliding64));
    core.add({ id: "long", prompt: 10, outputTokens: 1000 });
    const steps = drain(core);
    const held = steps.map((step) => usedBlocks(step, 100));
    expect(Math.max(...held)).toBe(5);
    expect(held.at(-1)).toBeLessThanOrEqual(5);
    expect(steps.at(-1)?.finished[0]?.reason).toBe("length");
    // Full attention keeps every block: ceil(1010 / 16) = 64 at the end.
    const fullCore = new EngineCore(config(full));
    fullCore.add({ id: "long", prompt: 10, outputTokens: 1000 });
    expect(Math.max(...drain(fullCore).map((step) => usedBlocks(step, 100)))).toBe(64);
  });

  it("holds the window plus one step's chunk while a long prompt prefills", () => {
    // A 2,000-token prompt in 512-token chunks: at most cdiv(63 + 512, 16) + 1 = 37 blocks.
    const core = new EngineCore(config(sliding64));
    core.add({ id: "p", prompt: 2000, outputTokens: 4 });
    const held = drain(core).map((step) => usedBlocks(step, 100));
    expect(Math.max(...held)).toBeLessThanOrEqual(37);
    expect(Math.max(...held)).toBeGreaterThan(5);
  });

  it("hits the prefix cache with the window's blocks only, the positions before it null", () => {
    // SlidingWindowManager.find_longest_cache_hit: scanning from the right, cdiv(W − 1, 16) = 4
    // contiguous cached blocks make a hit; the earlier positions are null blocks, not held.
    const core = new EngineCore(config(sliding64));
    const prompt = tokens(200);
    core.add({ id: "a", prompt, outputTokens: 4 });
    drain(core);
    core.add({ id: "b", prompt: [...prompt, ...tokens(50, 10_000)], outputTokens: 1 });
    const first = core.step(0);
    // A's 12 full prompt blocks (192 tokens) are a hit, as with full attention ...
    expect(first?.admitted).toEqual([{ requestId: "b", cachedTokens: 192 }]);
    expect(first?.stats.prefixHits).toBe(192);
    // ... but B holds only the last 4 of them plus ceil(250 / 16) − 12 = 4 new blocks.
    expect(usedBlocks(first as StepResult, 100)).toBe(8);
    const fullCore = new EngineCore(config(full));
    fullCore.add({ id: "a", prompt, outputTokens: 4 });
    drain(fullCore);
    fullCore.add({ id: "b", prompt: [...prompt, ...tokens(50, 10_000)], outputTokens: 1 });
    const fullFirst = fullCore.step(0) as StepResult;
    expect(fullFirst.admitted).toEqual([{ requestId: "b", cachedTokens: 192 }]);
    expect(usedBlocks(fullFirst, 100)).toBe(16);
  });

  it("needs no preemption where full attention must preempt, and preempts under real pressure", () => {
    // 12 blocks: two 600-token sequences need 2 × 38 with full attention, 2 × 5 with the window.
    const run = (layout: KvCacheLayout, count: number) => {
      const core = new EngineCore(config(layout, 12));
      for (let i = 0; i < count; i++) core.add({ id: `r${i}`, prompt: 10, outputTokens: 590 });
      const steps = drain(core);
      return {
        finished: steps.flatMap((s) => s.finished).length,
        preemptions: core.counters.preemptions,
      };
    };
    expect(run(sliding64, 2)).toEqual({ finished: 2, preemptions: 0 });
    expect(run(full, 2).preemptions).toBeGreaterThan(0);
    // Three sequences of up to 5 blocks each do not fit in 12: recompute preemption, all finish.
    const pressed = run(sliding64, 3);
    expect(pressed.finished).toBe(3);
    expect(pressed.preemptions).toBeGreaterThan(0);
  });

  it("sizes a hybrid model's blocks per group: every group per position, sliding ones freed", () => {
    // Gemma 3 1B: 7 KV cache groups (1 full, 6 sliding) share the pool; a position takes a block
    // in each (kv_cache_coordinator.py HybridKVCacheCoordinator).
    const layout = kvCacheLayout(modelProfileFromConfig(gemma3_1bConfig));
    const gemma = new EngineCore(config(layout, 700));
    gemma.add({ id: "g", prompt: 90, outputTokens: 1 });
    // ceil(91 / 16) = 6 positions × 7 groups = 42 blocks.
    expect(usedBlocks(gemma.step(0) as StepResult, 700)).toBe(42);
    // One full and two sliding groups, W = 64: a 1,010-token sequence ends holding its 64 full
    // blocks and at most 2 × 5 sliding ones (all three groups would hold 192 without the window).
    const hybrid: KvCacheLayout = { window: 64, fullGroups: 1, slidingGroups: 2, groupSize: 1 };
    const core = new EngineCore(config(hybrid, 300));
    core.add({ id: "long", prompt: 10, outputTokens: 1000 });
    const held = drain(core).map((step) => usedBlocks(step, 300));
    expect(Math.max(...held)).toBeLessThanOrEqual(64 + 10);
    expect(Math.max(...held)).toBeGreaterThanOrEqual(63 + 2 * 4);
  });

  it("hits a hybrid model's prefix cache with the full groups' prefix and the window's sliding blocks", () => {
    const hybrid: KvCacheLayout = { window: 64, fullGroups: 1, slidingGroups: 2, groupSize: 1 };
    const core = new EngineCore(config(hybrid, 300));
    const prompt = tokens(200);
    core.add({ id: "a", prompt, outputTokens: 4 });
    drain(core);
    core.add({ id: "b", prompt: [...prompt, ...tokens(50, 10_000)], outputTokens: 1 });
    const first = core.step(0) as StepResult;
    expect(first.admitted).toEqual([{ requestId: "b", cachedTokens: 192 }]);
    // 12 full-group hits + 2 × 4 sliding hits, and ceil(250 / 16) − 12 = 4 new positions × 3.
    expect(usedBlocks(first, 300)).toBe(12 + 8 + 12);
  });
});

describe("sliding-window block accounting under load", () => {
  /** A small seeded generator (mulberry32), so the workload is the same on every run. */
  const random = (seed: number) => () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  // Pools small enough to preempt, large enough for one 512-token prefill chunk plus its window.
  const hybrid: KvCacheLayout = { window: 64, fullGroups: 1, slidingGroups: 2, groupSize: 1 };
  // Speculative decoding (n-gram, k = 3) allocates KV for the drafts too.
  const drafting = {
    method: "ngram",
    numSpeculativeTokens: 3,
    acceptanceRates: [0.7, 0.49, 0.343],
  } as const;
  const layouts: [string, KvCacheLayout, number, boolean][] = [
    ["sliding", sliding64, 60, false],
    ["hybrid", hybrid, 200, false],
    ["full", full, 100, false],
    ["sliding with speculative decoding", sliding64, 60, true],
    ["hybrid with speculative decoding", hybrid, 200, true],
  ];

  for (const [name, layout, numBlocks, speculative] of layouts) {
    it(`${name}: shared prefixes, preemption and aborts leave every block free at the end`, () => {
      const next = random(7);
      const core = new EngineCore({
        ...config(layout, numBlocks),
        ...(speculative ? { speculative: drafting } : {}),
      });
      const shared = tokens(300);
      let now = 0;
      let added = 0;
      const ids: string[] = [];
      for (let round = 0; round < 400 && (added < 60 || core.hasWork()); round++) {
        if (added < 60 && next() < 0.5) {
          const id = `r${added++}`;
          const own = Math.floor(next() * 200) + 1;
          core.add({
            id,
            prompt: [...shared.slice(0, Math.floor(next() * 300)), ...tokens(own, added * 1000)],
            outputTokens: Math.floor(next() * 300) + 1,
          });
          ids.push(id);
        }
        if (next() < 0.05 && ids.length > 0)
          core.abort(ids[Math.floor(next() * ids.length)] as string);
        const step = core.step(now);
        if (step) now = step.end;
      }
      drain(core);
      expect(core.hasWork()).toBe(false);
      expect(core.kvUsage).toBe(0);
      if (layout !== full) expect(core.counters.prefixHits).toBeGreaterThan(0);
      expect(core.counters.preemptions).toBeGreaterThan(0);
    });
  }
});

describe("sliding window in the step time", () => {
  const device = deviceProfiles["h100-80gb"];
  const mistralV01 = modelProfileFromConfig(mistral7bV01Config);

  it("counts at most W keys per token and W tokens of KV read on a sliding layer", () => {
    // Decode at 10,000 cached tokens with W = 4096 reads 4,095 cached + 1 new token's KV.
    const decode = addToLoad(emptyLoad(), 1, 10_000, 4096);
    expect(decode.windowKvTokensRead).toBe(4096);
    expect(decode.windowAttentionPairs).toBe(4096);
    expect(decode.kvTokensRead).toBe(10_001);
    // A prefill chunk crossing the window: keys min(p + 1, W) for p = 4000 … 4199.
    const chunk = addToLoad(emptyLoad(), 200, 4000, 4096);
    let pairs = 0;
    for (let p = 4000; p < 4200; p++) pairs += Math.min(p + 1, 4096);
    expect(chunk.windowAttentionPairs).toBe(pairs);
    // Without a window the sums stay 0 (built-in models, existing calibration unchanged).
    expect(addToLoad(emptyLoad(), 1, 10_000).windowKvTokensRead).toBe(0);
  });

  it("keeps a fully sliding model's decode step flat past W", () => {
    const model = createStepTimeModel({ device, model: mistralV01 });
    const at = (context: number) => model.time(addToLoad(emptyLoad(), 1, context, 4096));
    expect(at(5000)).toBe(at(20_000));
    expect(at(2000)).toBeLessThan(at(5000));
    const fullModel = createStepTimeModel({ device, model: withoutSlidingWindow(mistralV01) });
    const fullAt = (context: number) => fullModel.time(addToLoad(emptyLoad(), 1, context));
    expect(fullAt(20_000)).toBeGreaterThan(fullAt(5000));
    expect(at(2000)).toBeCloseTo(fullAt(2000), 12);
  });

  it("runs the engine's decode steps at a flat time past W (Mistral-7B-v0.1 on an H100)", () => {
    const stepTime = createStepTimeModel({ device, model: mistralV01 });
    const core = new EngineCore({
      numBlocks: 10_000,
      maxNumSeqs: 8,
      maxNumBatchedTokens: 8192,
      maxModelLen: 32_768,
      stepTime,
    });
    core.add({ id: "r", prompt: 4000, outputTokens: 600 });
    const steps = drain(core);
    // Step 0 prefills 4,000 tokens; decode step k has 4,000 + k − 1 cached tokens.
    const decode = steps.slice(1).map((s) => s.stats.duration);
    const pastWindow = decode.slice(200);
    expect(Math.max(...pastWindow)).toBe(Math.min(...pastWindow));
    expect(decode[0]).toBeLessThan(pastWindow[0] as number);
    // And never more than ceil(4096 / 16) + 1 = 257 blocks held (the kvLayout came from stepTime).
    expect(Math.max(...steps.map((s) => usedBlocks(s, 10_000)))).toBeLessThanOrEqual(257);
  });
});

describe("--disable-hybrid-kv-cache-manager in the scheduler (Gemma 3 1B on an H100)", () => {
  // vllm/v1/core/kv_cache_utils.py unify_hybrid_kv_cache_specs: the sliding layers' specs become
  // full-attention ones, so nothing is dropped out of the window ("we do not enable any
  // optimizations for saving KV cache memory"), while "the compute of layers like sliding window
  // is still saved": same step times, more blocks held.
  const gemma3 = modelProfileFromConfig(gemma3_1bConfig);
  const device = deviceProfiles["h100-80gb"];
  const stepTime = createStepTimeModel({ device, model: gemma3 });
  const run = (kvLayout: KvCacheLayout | undefined) => {
    const core = new EngineCore({
      numBlocks: 4000,
      maxNumSeqs: 8,
      maxNumBatchedTokens: 2048,
      maxModelLen: 8192,
      stepTime,
      ...(kvLayout === undefined ? {} : { kvLayout }),
    });
    core.add({ id: "long", prompt: 1500, outputTokens: 600 });
    return drain(core);
  };

  it("keeps every block of every position in one group, stepping at the hybrid engine's times", () => {
    const hybrid = run(undefined);
    const unified = run(kvCacheLayout(gemma3, false));
    expect(unified.map((s) => s.end)).toEqual(hybrid.map((s) => s.end));
    // One block per 16-token position: ceil(2100 / 16) = 132 at most, never released early;
    // the hybrid engine holds 7 blocks per position (one per group) but drops the sliding
    // groups' blocks once they leave the 512-token window.
    const unifiedHeld = unified.map((s) => usedBlocks(s, 4000));
    expect(Math.max(...unifiedHeld)).toBe(Math.ceil(2099 / 16));
    for (let i = 1; i < unifiedHeld.length - 1; i++)
      expect(unifiedHeld[i]).toBeGreaterThanOrEqual(unifiedHeld[i - 1] as number);
    // Hybrid: seven groups hold the prompt's 94 positions after prefill (7 × 94 = 658), then the
    // six sliding groups keep at most ceil(511 / 16) + 1 = 33 blocks each.
    const hybridHeld = hybrid.map((s) => usedBlocks(s, 4000));
    expect(Math.max(...hybridHeld)).toBe(7 * Math.ceil(1500 / 16));
    expect(hybridHeld.at(-2)).toBeLessThanOrEqual(132 + 6 * 33);
    expect(unifiedHeld.at(-2)).toBe(Math.ceil(2099 / 16));
  });
});
