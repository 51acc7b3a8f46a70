import { describe, expect, it } from "vitest";
import { deviceProfiles } from "./device-profiles.js";
import { EngineCore, type StepResult, type StepTokens, stretchStep } from "./engine-core.js";
import { kvCapacity } from "./kv-capacity.js";
import { modelProfileFromConfig } from "./model-profiles.js";
import { granite4HSmallConfig } from "./moe-hybrid-configs.js";
import { linearStepTime } from "./test-step-time.js";

const config = {
  numBlocks: 100,
  maxNumSeqs: 8,
  maxNumBatchedTokens: 512,
  maxModelLen: 1024,
  stepTime: linearStepTime,
};

describe("EngineCore arrival times", () => {
  // A step vLLM's engine core began before a request reached it cannot hold that request: the
  // real-time driver (gpu-engine.ts) runs steps it owes after a lag at their past start times.
  it("admits a request only to a step that starts at or after its arrival", () => {
    const core = new EngineCore(config);
    core.add({ id: "early", prompt: 10, outputTokens: 5 }, 0);
    core.add({ id: "late", prompt: 10, outputTokens: 5 }, 0.05);
    const first = core.step(0);
    expect(first?.admitted.map((a) => a.requestId)).toEqual(["early"]);
    expect(core.waiting).toBe(1);
    expect(core.step(0.049)?.admitted).toEqual([]);
    expect(core.step(0.05)?.admitted.map((a) => a.requestId)).toEqual(["late"]);
  });

  it("lets requests that have arrived go past one that has not (it is not in the queue yet)", () => {
    const core = new EngineCore({ ...config, schedulingPolicy: "priority" });
    core.add({ id: "urgent-but-later", prompt: 10, outputTokens: 5, priority: -1 }, 1);
    core.add({ id: "here", prompt: 10, outputTokens: 5 }, 0.5);
    expect(core.step(0.5)?.admitted.map((a) => a.requestId)).toEqual(["here"]);
  });

  it("schedules nothing when no request has arrived by the step's start, and says when one does", () => {
    const core = new EngineCore(config);
    expect(core.earliestArrival()).toBe(Number.POSITIVE_INFINITY);
    core.add({ id: "b", prompt: 10, outputTokens: 5 }, 0.2);
    core.add({ id: "a", prompt: 10, outputTokens: 5 }, 0.1);
    expect(core.earliestArrival()).toBe(0.1);
    expect(core.step(0.05)).toBeUndefined();
    expect(core.step(0.1)?.stats.start).toBe(0.1);
    expect(core.earliestArrival()).toBe(0.2);
  });

  it("admits a request added without an arrival to any step (simulate()'s way)", () => {
    const core = new EngineCore(config);
    core.add({ id: "a", prompt: 10, outputTokens: 5 });
    expect(core.earliestArrival()).toBe(Number.NEGATIVE_INFINITY);
    expect(core.step(-1)?.admitted.map((a) => a.requestId)).toEqual(["a"]);
  });
});

describe("EngineCore step results over scratch arrays", () => {
  // The batch and the tokens are built in arrays the engine keeps between steps (no allocation per
  // step); what a step returns must still be its own: a later step, a preemption or a finish must
  // not change the tokens a caller holds (simulate() and the metrics read them after more steps).
  it("returns each step's tokens in an array of its own that later steps leave alone", () => {
    const core = new EngineCore(config);
    for (const id of ["a", "b", "c"]) core.add({ id, prompt: 10, outputTokens: 3 });
    const first = core.step(0);
    const snapshot = first?.tokens.map((t) => ({ ...t }));
    const second = core.step(first?.end ?? 0);
    expect(second?.tokens).not.toBe(first?.tokens);
    core.add({ id: "d", prompt: 10, outputTokens: 2 });
    core.step(second?.end ?? 0);
    expect(first?.tokens.map((t) => ({ ...t }))).toEqual(snapshot);
    expect(first?.tokens.map((t) => t.requestId)).toEqual(["a", "b", "c"]);
    expect(first?.tokens).toHaveLength(3);
  });

  it("hands each step's tokens out as one batch of its own (StepTokens) that later steps leave alone", () => {
    // Issue 7 lever (1): one batch per step, not one event object per token; `tokens` is the same
    // batch as objects, made on first read.
    const core = new EngineCore(config);
    for (const id of ["a", "b", "c"])
      core.add({ id, prompt: 10, outputTokens: id === "b" ? 1 : 3 });
    const first = core.step(0) as StepResult;
    const second = core.step(first.end) as StepResult;
    core.add({ id: "d", prompt: 10, outputTokens: 2 });
    core.step(second.end);
    const read = (tokens: StepTokens) =>
      Array.from({ length: tokens.length }, (_, i) => [
        tokens.requestId(i),
        tokens.index(i),
        tokens.last(i),
      ]);
    // b had one output token: its first is its last, and it is not in the second step.
    expect(read(first.sampled)).toEqual([
      ["a", 0, false],
      ["b", 0, true],
      ["c", 0, false],
    ]);
    expect(read(second.sampled)).toEqual([
      ["a", 1, false],
      ["c", 1, false],
    ]);
    expect(first.sampled.time).toBe(first.end);
    expect([first.sampled.step, second.sampled.step]).toEqual([1, 2]);
    expect(first.tokens).toEqual(
      read(first.sampled).map(([requestId, index, last]) => ({
        requestId,
        index,
        time: first.end,
        last,
        step: 1,
      })),
    );
    expect(first.tokens).toBe(first.tokens); // made once
  });

  it("carries the host slot each request was added with on each of its tokens", () => {
    // Issue 7: GpuEngine's dispatch reads its stream's slot from the batch
    // (StepTokens.hostSlot) instead of looking each token's request up by id.
    const core = new EngineCore(config);
    core.add({ id: "a", prompt: 10, outputTokens: 2 }, Number.NEGATIVE_INFINITY, 5);
    core.add({ id: "b", prompt: 10, outputTokens: 1 }, Number.NEGATIVE_INFINITY, 0);
    core.add({ id: "c", prompt: 10, outputTokens: 2 }); // none given
    const first = core.step(0) as StepResult;
    const slots = (tokens: StepTokens) =>
      Array.from({ length: tokens.length }, (_, i) => [tokens.requestId(i), tokens.hostSlot(i)]);
    expect(slots(first.sampled)).toEqual([
      ["a", 5],
      ["b", 0],
      ["c", -1],
    ]);
    // b finished; d takes its engine slot and brings a host slot of its own.
    core.add({ id: "d", prompt: 10, outputTokens: 1 }, Number.NEGATIVE_INFINITY, 9);
    expect(slots((core.step(first.end) as StepResult).sampled)).toEqual([
      ["a", 5],
      ["c", -1],
      ["d", 9],
    ]);
    expect(slots(first.sampled)[1]).toEqual(["b", 0]); // the first batch kept its own
  });

  it("refuses a host slot that is not an integer from -1 up (a RangeError, nothing queued)", () => {
    const core = new EngineCore(config);
    for (const hostSlot of [-2, 1.5, Number.NaN, 2 ** 31])
      expect(() => core.add({ id: "a", prompt: 10, outputTokens: 1 }, 0, hostSlot)).toThrow(
        RangeError,
      );
    expect(core.hasWork()).toBe(false);
  });

  it("keeps the batch order when a preemption takes a member out of the middle of a step", () => {
    // 4 blocks of 16 tokens: a and b (16-token prompts) fill two blocks each once they grow; the
    // newest running request (b) is preempted (FCFS) and a keeps running alone, in order.
    const core = new EngineCore({ ...config, numBlocks: 4 });
    core.add({ id: "a", prompt: 16, outputTokens: 20 });
    core.add({ id: "b", prompt: 16, outputTokens: 20 });
    let now = 0;
    const seen: string[][] = [];
    let preempted = 0;
    for (let k = 0; k < 40 && core.hasWork(); k++) {
      const result = core.step(now);
      if (!result) break;
      now = result.end;
      preempted += result.stats.preemptions;
      seen.push(result.tokens.map((t) => t.requestId));
      // No request appears twice in one step.
      for (const ids of seen) expect(new Set(ids).size).toBe(ids.length);
    }
    expect(preempted).toBeGreaterThan(0);
    expect(seen.flat().filter((id) => id === "a")).toHaveLength(20);
    expect(seen.flat().filter((id) => id === "b")).toHaveLength(20);
  });
});

describe("EngineCore hybrid attention + Mamba block accounting", () => {
  // vllm/v1/core/single_type_kv_cache_manager.py MambaManager: a request holds one block per
  // Mamba group (its MambaSpec block is max_model_len tokens), besides its attention blocks, all
  // from the one pool (kv_cache_coordinator.py HybridKVCacheCoordinator sums the groups' needs).
  const hybrid = { fullGroups: 1, slidingGroups: 0, groupSize: 4, mambaGroups: 9 };

  it("admits a request only when its attention blocks and one block per Mamba group fit", () => {
    const core = new EngineCore({ ...config, numBlocks: 30, blockSize: 16, kvLayout: hybrid });
    for (const id of ["a", "b", "c", "d"]) core.add({ id, prompt: 10, outputTokens: 3 });
    const first = core.step(0);
    // 1 attention block + 9 state blocks each: three requests fill the 30 blocks.
    expect(first?.admitted.map((a) => a.requestId)).toEqual(["a", "b", "c"]);
    expect(core.kvUsage).toBe(1);
    expect(core.waiting).toBe(1);
  });

  it("gives the state blocks back when a request finishes, and the next one is admitted", () => {
    const core = new EngineCore({ ...config, numBlocks: 20, blockSize: 16, kvLayout: hybrid });
    core.add({ id: "a", prompt: 10, outputTokens: 1 });
    core.add({ id: "b", prompt: 10, outputTokens: 5 });
    core.add({ id: "c", prompt: 10, outputTokens: 5 });
    const first = core.step(0);
    expect(first?.admitted.map((a) => a.requestId)).toEqual(["a", "b"]);
    expect(first?.finished.map((f) => f.requestId)).toEqual(["a"]);
    expect(core.kvUsage).toBeCloseTo(10 / 20, 12);
    const second = core.step(first?.end ?? 0);
    expect(second?.admitted.map((a) => a.requestId)).toEqual(["c"]);
    expect(core.kvUsage).toBe(1);
  });

  it("frees them on abort", () => {
    const core = new EngineCore({ ...config, numBlocks: 20, blockSize: 16, kvLayout: hybrid });
    core.add({ id: "a", prompt: 10, outputTokens: 50 });
    core.add({ id: "b", prompt: 10, outputTokens: 50 });
    core.step(0);
    expect(core.kvUsage).toBe(1);
    expect(core.abort("a")).toBe(true);
    expect(core.kvUsage).toBeCloseTo(10 / 20, 12);
  });

  it("frees them on preemption and takes them again when re-admitted", () => {
    // 21 blocks: a and b hold 10 each; at 17 tokens both need a second attention block, a takes
    // the free one and b (the newest, fcfs) is preempted, its 1 + 9 blocks back in the pool.
    const core = new EngineCore({ ...config, numBlocks: 21, blockSize: 16, kvLayout: hybrid });
    core.add({ id: "a", prompt: 10, outputTokens: 12 });
    core.add({ id: "b", prompt: 10, outputTokens: 12 });
    let step = core.step(0);
    let preempted = false;
    while (step && !preempted) {
      step = core.step(step.end);
      preempted = (step?.stats.preemptions ?? 0) > 0;
    }
    expect(preempted).toBe(true);
    // a: 2 attention + 9 state blocks; b waits (its 17 tokens need 2 + 9 = 11 of the 10 free).
    expect(core.kvUsage).toBeCloseTo(11 / 21, 12);
    expect(core.waiting).toBe(1);
    const finishedIds: string[] = [];
    while (step) {
      finishedIds.push(...step.finished.map((f) => f.requestId));
      step = core.step(step.end);
    }
    expect(finishedIds).toEqual(["a", "b"]);
    expect(core.kvUsage).toBe(0);
  });

  it("admits at once what the start-up's maximum concurrency line counts (granite-4.0-h-small, H100)", () => {
    const granite = modelProfileFromConfig(granite4HSmallConfig);
    const k = kvCapacity({ device: deviceProfiles["h100-80gb"], model: granite });
    expect(k.layout).toMatchObject({ fullGroups: 1, mambaGroups: 9 });
    const core = new EngineCore({
      ...config,
      numBlocks: k.numBlocks,
      blockSize: k.blockSize,
      maxModelLen: k.maxModelLen,
      maxNumSeqs: 1024,
      maxNumBatchedTokens: 8192,
      kvLayout: k.layout,
    });
    for (let i = 0; i < 400; i++) core.add({ id: `r${i}`, prompt: 10, outputTokens: 3 });
    // Short prompts take 1 attention block of 528 tokens + 9 state blocks each: the pool holds
    // numBlocks / 10 of them (blocks of one attention page each), not numBlocks.
    const admitted = core.step(0)?.admitted.length;
    expect(admitted).toBe(Math.floor(k.numBlocks / 10));
    // Full-length requests: numBlocks / (ceil(max_model_len / block) + 9), the 4.70x line.
    expect(k.maxConcurrency).toBeCloseTo(
      k.numBlocks / (Math.ceil(k.maxModelLen / k.blockSize) + 9),
      9,
    );
  });

  describe("with speculative decoding", () => {
    // vllm/model_executor/layers/mamba/abstract.py get_kv_cache_spec: MambaSpec
    // num_speculative_blocks = speculative_config.num_speculative_tokens for any method (n-gram
    // included); MambaManager (mamba_cache_mode "none") and gpu_model_runner size each request's
    // Mamba block table 1 + num_speculative_blocks, so k = 3 holds 9 x 4 state blocks.
    const ngram = (k: number) => ({
      method: "ngram" as const,
      numSpeculativeTokens: k,
      acceptanceRates: Array.from({ length: k }, () => 0.5),
    });
    const eagle = {
      method: "eagle3" as const,
      numSpeculativeTokens: 3,
      acceptanceRates: [0.7, 0.5, 0.3],
    };

    it("holds 9 x (1 + 3) state blocks per request at k = 3 (granite-4.0-h-small layout), any method", () => {
      for (const speculative of [ngram(3), eagle]) {
        const core = new EngineCore({
          ...config,
          numBlocks: 100,
          blockSize: 16,
          kvLayout: hybrid,
          speculative,
        });
        core.add({ id: "a", prompt: 10, outputTokens: 50 });
        core.step(0);
        // 1 attention block (+ EAGLE's 3 lookahead slots still within it) + 36 state blocks.
        expect(core.kvUsage).toBeCloseTo(37 / 100, 12);
      }
    });

    it("refuses a request whose 1 + 36 blocks do not fit, and admits it when they do", () => {
      const core = new EngineCore({
        ...config,
        numBlocks: 80,
        blockSize: 16,
        kvLayout: hybrid,
        speculative: ngram(3),
      });
      for (const id of ["a", "b", "c"]) core.add({ id, prompt: 10, outputTokens: 2 });
      const first = core.step(0);
      // Two requests take 74 of 80 blocks; the third needs 37 (without speculation three would fit in 30).
      expect(first?.admitted.map((a) => a.requestId)).toEqual(["a", "b"]);
      expect(core.waiting).toBe(1);
      expect(core.kvUsage).toBeCloseTo(74 / 80, 12);
      let step = first;
      const admitted: string[] = [];
      while (step && admitted.length === 0) {
        step = core.step(step.end);
        admitted.push(...(step?.admitted.map((a) => a.requestId) ?? []));
      }
      expect(admitted).toEqual(["c"]);
    });

    it("hands out exactly the tokens a step emitted, fewer than its batch plus drafts", () => {
      // vllm/v1/core/sched/scheduler.py update_from_output: a decoding request emits its sampled
      // token plus the accepted drafts; the step's batch (StepTokens) holds those and no more,
      // each with its request, though the step had room for every draft.
      const core = new EngineCore({ ...config, speculative: eagle });
      for (const id of ["a", "b", "c"]) core.add({ id, prompt: 10, outputTokens: 40 });
      let step = core.step(0);
      let sawFewer = false;
      while (step) {
        const { sampled } = step;
        const emitted = new Map<string, number>();
        for (let i = 0; i < sampled.length; i++) {
          const id = sampled.requestId(i);
          expect(["a", "b", "c"]).toContain(id);
          emitted.set(id, (emitted.get(id) ?? 0) + 1);
        }
        expect(sampled.events()).toHaveLength(sampled.length);
        for (const count of emitted.values()) expect(count).toBeLessThanOrEqual(4);
        if (sampled.length < emitted.size * 4 && sampled.length > emitted.size) sawFewer = true;
        step = core.step(step.end);
      }
      expect(sawFewer).toBe(true);
    });

    it("frees all 36 state blocks on abort", () => {
      const core = new EngineCore({
        ...config,
        numBlocks: 80,
        blockSize: 16,
        kvLayout: hybrid,
        speculative: ngram(3),
      });
      core.add({ id: "a", prompt: 10, outputTokens: 50 });
      core.add({ id: "b", prompt: 10, outputTokens: 50 });
      core.step(0);
      expect(core.kvUsage).toBeCloseTo(74 / 80, 12);
      expect(core.abort("a")).toBe(true);
      expect(core.kvUsage).toBeCloseTo(37 / 80, 12);
      expect(core.abort("b")).toBe(true);
      expect(core.kvUsage).toBe(0);
    });

    it("keeps one state block per Mamba group without speculation", () => {
      const core = new EngineCore({ ...config, numBlocks: 100, blockSize: 16, kvLayout: hybrid });
      core.add({ id: "a", prompt: 10, outputTokens: 50 });
      core.step(0);
      expect(core.kvUsage).toBeCloseTo(10 / 100, 12);
    });
  });
});

describe("EngineCore prefix caching of hybrid attention + Mamba models", () => {
  // vllm/config/cache.py MambaCacheMode: "none" is set when prefix caching is disabled; "align"
  // caches the Mamba state of a step's last token only at positions i × block_size (the default
  // with prefix caching); "all" at every i × block_size. kv_cache_coordinator.py
  // HybridKVCacheCoordinator: a hit is the longest prefix every group has cached, so the
  // attention blocks AND a cached Mamba state at the same position
  // (single_type_kv_cache_manager.py MambaManager.find_longest_cache_hit).
  const hybrid = { fullGroups: 1, slidingGroups: 0, groupSize: 4, mambaGroups: 9 };
  const ids = (from: number, length: number) => Array.from({ length }, (_, i) => from + i);
  const small = { ...config, numBlocks: 100, blockSize: 16, kvLayout: hybrid };

  /** Runs the core until it has nothing to do; the admitted requests' cached tokens by id. */
  function drain(core: EngineCore, from = 0): Map<string, number> {
    const cached = new Map<string, number>();
    let step = core.step(from);
    while (step) {
      for (const a of step.admitted) cached.set(a.requestId, a.cachedTokens);
      step = core.step(step.end);
    }
    return cached;
  }

  it("hits a repeated prompt in align mode up to its last block-aligned kept state", () => {
    const core = new EngineCore({ ...small, mambaCacheMode: "align" });
    core.add({ id: "a", prompt: ids(1, 40), outputTokens: 2 });
    expect(drain(core).get("a")).toBe(0);
    core.add({ id: "b", prompt: ids(1, 40), outputTokens: 2 });
    // The state at 32 was kept (a's first chunk ended there); 2 attention blocks cached too.
    expect(drain(core).get("b")).toBe(32);
    expect(core.counters).toMatchObject({ prefixQueries: 80, prefixHits: 32 });
  });

  it("does no prefix caching on a hybrid in mode none (the default), prefix caching on or not", () => {
    for (const mambaCacheMode of ["none", undefined] as const) {
      const core = new EngineCore({
        ...small,
        ...(mambaCacheMode === undefined ? {} : { mambaCacheMode }),
      });
      core.add({ id: "a", prompt: ids(1, 40), outputTokens: 2 });
      drain(core);
      core.add({ id: "b", prompt: ids(1, 40), outputTokens: 2 });
      expect(drain(core).get("b")).toBe(0);
      expect(core.counters).toMatchObject({ prefixQueries: 0, prefixHits: 0 });
    }
  });

  it("splits a prompt's prefill so its first chunk ends on the last block boundary", () => {
    const core = new EngineCore({ ...small, mambaCacheMode: "align" });
    core.add({ id: "a", prompt: ids(1, 40), outputTokens: 2 });
    expect(core.step(0)?.stats.scheduledTokens).toBe(32);
    expect(core.step(1)?.stats.scheduledTokens).toBe(8);
  });

  it("does not hit where attention blocks are cached but no Mamba state was kept", () => {
    // a kept its state at 96 only; b shares a's first 50 tokens: the attention blocks at 16 and
    // 32 and 48 are cached, the states there are not, so no hit in align mode.
    const align = new EngineCore({ ...small, mambaCacheMode: "align" });
    align.add({ id: "a", prompt: ids(1, 100), outputTokens: 2 });
    drain(align);
    align.add({ id: "b", prompt: [...ids(1, 50), ...ids(1000, 30)], outputTokens: 2 });
    expect(drain(align).get("b")).toBe(0);
    // "all" keeps a state at every block boundary: b hits its 3 whole shared blocks.
    const all = new EngineCore({ ...small, mambaCacheMode: "all" });
    all.add({ id: "a", prompt: ids(1, 100), outputTokens: 2 });
    drain(all);
    all.add({ id: "b", prompt: [...ids(1, 50), ...ids(1000, 30)], outputTokens: 2 });
    expect(drain(all).get("b")).toBe(48);
  });

  it("holds 2 + k state pages per Mamba group in align mode", () => {
    const core = new EngineCore({ ...small, mambaCacheMode: "align" });
    core.add({ id: "a", prompt: ids(1, 10), outputTokens: 50 });
    core.step(0);
    // 1 attention block + 9 x 2 state pages.
    expect(core.kvUsage).toBeCloseTo(19 / 100, 12);
    const spec = new EngineCore({
      ...small,
      mambaCacheMode: "align",
      speculative: { method: "ngram", numSpeculativeTokens: 3, acceptanceRates: [0.5, 0.5, 0.5] },
    });
    spec.add({ id: "a", prompt: ids(1, 10), outputTokens: 50 });
    spec.step(0);
    // 1 + 9 x (2 + 3).
    expect(spec.kvUsage).toBeCloseTo(46 / 100, 12);
  });

  it("holds a page per block position per Mamba group in all mode, plus k", () => {
    const core = new EngineCore({ ...small, numBlocks: 200, mambaCacheMode: "all" });
    core.add({ id: "a", prompt: ids(1, 40), outputTokens: 50 });
    core.step(0);
    // ceil(40 / 16) = 3 positions x (1 attention + 9 Mamba groups).
    expect(core.kvUsage).toBeCloseTo(30 / 200, 12);
    const spec = new EngineCore({
      ...small,
      numBlocks: 200,
      mambaCacheMode: "all",
      speculative: { method: "ngram", numSpeculativeTokens: 2, acceptanceRates: [0.5, 0.5] },
    });
    spec.add({ id: "a", prompt: ids(1, 40), outputTokens: 50 });
    spec.step(0);
    expect(spec.kvUsage).toBeCloseTo((30 + 18) / 200, 12);
  });

  it("frees the state pages on abort, the kept state staying cached for a later hit", () => {
    const core = new EngineCore({ ...small, mambaCacheMode: "align" });
    core.add({ id: "a", prompt: ids(1, 40), outputTokens: 50 });
    core.step(0);
    core.step(1);
    expect(core.kvUsage).toBeCloseTo((3 + 18) / 100, 12);
    expect(core.abort("a")).toBe(true);
    expect(core.kvUsage).toBe(0);
    core.add({ id: "b", prompt: ids(1, 40), outputTokens: 2 });
    expect(drain(core, 2).get("b")).toBe(32);
  });

  it("loses the hit once other requests evict the kept state", () => {
    // 30 blocks: after a, requests of unrelated prompts take every free block, so a's cached
    // attention blocks and kept states are evicted (vLLM's LRU free queue) and b misses.
    const core = new EngineCore({ ...small, numBlocks: 30, mambaCacheMode: "align" });
    core.add({ id: "a", prompt: ids(1, 40), outputTokens: 2 });
    drain(core);
    core.add({ id: "x", prompt: ids(5000, 150), outputTokens: 2 });
    drain(core, 10);
    core.add({ id: "b", prompt: ids(1, 40), outputTokens: 2 });
    expect(drain(core, 20).get("b")).toBe(0);
  });

  it("hits a repeated long prompt on granite-4.0-h-small (H100, unified block size) in align mode", () => {
    const granite = modelProfileFromConfig(granite4HSmallConfig);
    const k = kvCapacity({ device: deviceProfiles["h100-80gb"], model: granite });
    const run = (mambaCacheMode: "align" | "none") => {
      const core = new EngineCore({
        ...config,
        numBlocks: k.numBlocks,
        blockSize: k.blockSize,
        maxModelLen: k.maxModelLen,
        maxNumSeqs: 256,
        maxNumBatchedTokens: 8192,
        kvLayout: k.layout,
        mambaCacheMode,
      });
      core.add({ id: "a", prompt: ids(1, 3000), outputTokens: 4 });
      drain(core);
      core.add({ id: "b", prompt: ids(1, 3000), outputTokens: 4 });
      return drain(core, 100).get("b");
    };
    // The attention groups' block is the unified page's (kv-capacity.ts mambaPageSizes).
    expect(run("align")).toBe(Math.floor(3000 / k.blockSize) * k.blockSize);
    expect(run("none")).toBe(0);
  });
});

describe("stretchStep and the dummy pass (data-parallel lock step)", () => {
  // vllm/v1/engine/core.py DPEngineCoreProc: a MoE model's ranks step together, so a rank's step
  // ends when the slowest rank's does; an idle rank runs gpu_worker.py execute_dummy_batch
  // (_dummy_run(1): one token).
  it("moves a step's end, its tokens' time and its finished requests to the later end", () => {
    const core = new EngineCore(config);
    core.add({ id: "a", prompt: 10, outputTokens: 1 }, 0, 7);
    const result = core.step(0) as StepResult;
    expect(result.end).toBeCloseTo(0.02, 9); // 10 ms + 10 tokens
    const stretched = stretchStep(result, 0.05);
    expect(stretched.end).toBe(0.05);
    expect(stretched.stats.duration).toBeCloseTo(0.05, 9);
    expect(stretched.stats.scheduledTokens).toBe(10);
    expect(stretched.sampled.time).toBe(0.05);
    expect(stretched.sampled.hostSlot(0)).toBe(7);
    expect(stretched.tokens).toEqual([
      { requestId: "a", index: 0, time: 0.05, last: true, step: 1 },
    ]);
    expect(stretched.finished).toEqual([{ requestId: "a", reason: "length", time: 0.05 }]);
    // The original is untouched, and a step cannot be pulled earlier.
    expect(result.sampled.time).toBeCloseTo(0.02, 9);
    expect(() => stretchStep(result, 0.01)).toThrow(RangeError);
  });

  it("times the dummy pass as one token on an empty cache", () => {
    // linearStepTime: 10 ms + 1 ms per token.
    expect(new EngineCore(config).dummyStepSeconds()).toBeCloseTo(0.011, 9);
  });
});
