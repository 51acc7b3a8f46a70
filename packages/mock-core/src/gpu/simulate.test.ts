import { describe, expect, it } from "vitest";
import { deviceProfiles } from "./device-profiles.js";
import { EngineCore, EngineRequestError } from "./engine-core.js";
import { modelProfiles } from "./model-profiles.js";
import { type SimulatedRequest, type SimulationConfig, simulate } from "./simulate.js";
import { createStepTimeModel } from "./step-time.js";
import { linearStepTime } from "./test-step-time.js";

const h100 = createStepTimeModel({
  device: deviceProfiles["h100-80gb"],
  model: modelProfiles["llama-3.1-8b"],
});

const base: SimulationConfig = {
  numBlocks: 1000,
  maxNumSeqs: 256,
  maxNumBatchedTokens: 8192,
  maxModelLen: 8192,
  stepTime: linearStepTime,
};
const tokens = (n: number, offset = 0) => Array.from({ length: n }, (_, i) => offset + i);
const byId = (result: ReturnType<typeof simulate>, id: string) => {
  const found = result.requests.find((r) => r.id === id);
  if (!found) throw new Error(`no ${id}`);
  return found;
};

describe("simulate: the V1 scheduling rules on a virtual clock", () => {
  it("fills each step up to the token budget and no further", () => {
    // vllm-openai.md §9: each step builds one batch under max_num_batched_tokens.
    const requests = ["a", "b", "c"].map((id) => ({ id, prompt: 40, outputTokens: 2 }));
    const result = simulate(requests, { ...base, maxNumBatchedTokens: 64 });
    expect(result.steps[0]).toMatchObject({ scheduledTokens: 64, running: 2, waiting: 1 });
    for (const step of result.steps) expect(step.scheduledTokens).toBeLessThanOrEqual(64);
    expect(result.requests.every((r) => r.status === "finished" && r.outputTokens === 2)).toBe(
      true,
    );
  });

  it("splits a long prompt over several steps (chunked prefill) before the first token", () => {
    // vllm-openai.md §9: chunked prefill always on in V1; a prompt longer than the budget is split across steps.
    const result = simulate([{ id: "long", prompt: 1000, outputTokens: 3 }], {
      ...base,
      maxNumBatchedTokens: 256,
    });
    expect(result.steps.slice(0, 4).map((s) => s.prefillTokens)).toEqual([256, 256, 256, 232]);
    // four prefill steps: 4 × 10 ms + 1000 × 1 ms
    expect(byId(result, "long").ttft).toBeCloseTo(0.04 + 1.0, 9);
    expect(byId(result, "long").itls).toEqual([0.011, 0.011].map((x) => expect.closeTo(x, 9)));
  });

  it("caps one request's prefill per step with long_prefill_token_threshold", () => {
    const result = simulate(
      [
        { id: "long", prompt: 300, outputTokens: 1 },
        { id: "short", prompt: 20, outputTokens: 1 },
      ],
      { ...base, maxNumBatchedTokens: 256, longPrefillTokenThreshold: 100 },
    );
    expect(result.steps[0]).toMatchObject({ scheduledTokens: 120, running: 2 });
  });

  it("preempts the newest running request when blocks run out, recomputes it, and counts it", () => {
    // vllm-openai.md §9: FCFS preempts the most recently admitted; recompute mode; vllm:num_preemptions_total.
    const requests = [
      { id: "old", prompt: 48, outputTokens: 60 },
      { id: "new", prompt: 48, outputTokens: 60 },
    ];
    const result = simulate(requests, { ...base, numBlocks: 10 });
    expect(result.preemptions).toBeGreaterThan(0);
    const stepWithPreemption = result.steps.findIndex((s) => s.preemptions > 0);
    expect(result.steps[stepWithPreemption]?.running).toBe(1);
    const old = byId(result, "old");
    const newer = byId(result, "new");
    expect(old.status).toBe("finished");
    expect(newer.status).toBe("finished");
    expect(old.outputTokens).toBe(60);
    expect(newer.outputTokens).toBe(60);
    // the preempted one stalls while the older one runs on
    expect(Math.max(...newer.itls)).toBeGreaterThan(Math.max(...old.itls) * 3);
    for (const step of result.steps) expect(step.kvUsage).toBeLessThanOrEqual(1);
  });

  it("lets a preempted request find its own still-cached blocks when it is recomputed", () => {
    // vllm-openai.md §9: preemption frees blocks (recompute); freed full blocks stay cached until evicted.
    const requests = [
      { id: "old", prompt: 48, outputTokens: 60 },
      { id: "new", prompt: 48, outputTokens: 60 },
    ];
    const result = simulate(requests, { ...base, numBlocks: 10 });
    expect(result.preemptions).toBeGreaterThan(0);
    expect(result.prefixHits).toBeGreaterThan(0);
    const off = simulate(requests, { ...base, numBlocks: 10, enablePrefixCaching: false });
    expect(off.prefixHits).toBe(0);
    expect(off.duration).toBeGreaterThan(result.duration);
  });

  it("serves a repeated prefix from the cache: hits skip prefill and shorten time to first token", () => {
    // vllm-openai.md §9: prefix caching on full 16-token blocks; hits skip prefill; counted in tokens.
    const shared = tokens(512);
    const requests: SimulatedRequest[] = [
      { id: "first", prompt: [...shared, ...tokens(20, 10_000)], outputTokens: 4, arrival: 0 },
      { id: "second", prompt: [...shared, ...tokens(20, 20_000)], outputTokens: 4, arrival: 5 },
    ];
    const result = simulate(requests, { ...base, stepTime: h100 });
    const first = byId(result, "first");
    const second = byId(result, "second");
    expect(first.cachedTokens).toBe(0);
    expect(second.cachedTokens).toBe(512);
    expect(second.ttft as number).toBeLessThan(first.ttft as number);
    expect(result.prefixQueries).toBe(532 + 532);
    expect(result.prefixHits).toBe(512);
    const off = simulate(requests, { ...base, stepTime: h100, enablePrefixCaching: false });
    expect(byId(off, "second").cachedTokens).toBe(0);
  });

  it("never counts the last prompt token as a hit: a fully cached prompt still computes one token", () => {
    const prompt = tokens(64);
    const result = simulate(
      [
        { id: "a", prompt, outputTokens: 1, arrival: 0 },
        { id: "b", prompt, outputTokens: 1, arrival: 1 },
      ],
      base,
    );
    expect(byId(result, "b").cachedTokens).toBe(48);
  });

  it("lets the head of the FCFS queue block smaller requests behind it", () => {
    // vllm-openai.md §9: "in FCFS the head of the waiting queue blocks others if it cannot be allocated".
    const requests: SimulatedRequest[] = [
      { id: "running", prompt: 80, outputTokens: 20, arrival: 0 },
      { id: "big", prompt: 90, outputTokens: 1, arrival: 0.001 },
      { id: "small", prompt: 10, outputTokens: 1, arrival: 0.002 },
    ];
    const result = simulate(requests, { ...base, numBlocks: 10 });
    const running = byId(result, "running");
    const small = byId(result, "small");
    expect(small.scheduled as number).toBeGreaterThanOrEqual(
      running.sent + (running.e2e as number) - 1e-9,
    );
    expect(small.scheduled).toBe(byId(result, "big").scheduled);
  });

  it("serves lower priority values first under the priority policy, arrival breaking ties", () => {
    // vllm-openai.md §9: --scheduling-policy priority: lower `priority` value first, then arrival.
    const requests: SimulatedRequest[] = [
      { id: "busy", prompt: 10, outputTokens: 5, arrival: 0 },
      { id: "low", prompt: 10, outputTokens: 1, arrival: 0.001, priority: 5 },
      { id: "high", prompt: 10, outputTokens: 1, arrival: 0.002, priority: 1 },
      { id: "high-later", prompt: 10, outputTokens: 1, arrival: 0.003, priority: 1 },
    ];
    const result = simulate(requests, { ...base, maxNumSeqs: 1, schedulingPolicy: "priority" });
    const order = ["high", "high-later", "low"].map((id) => byId(result, id).scheduled as number);
    expect(order[0]).toBeLessThan(order[1] as number);
    expect(order[1]).toBeLessThan(order[2] as number);
    // FCFS refuses a non-zero priority (vLLM answers 400).
    const fcfs = simulate(requests, { ...base, maxNumSeqs: 1 });
    expect(byId(fcfs, "low")).toMatchObject({
      status: "rejected",
      error: "priority needs the priority scheduling policy",
    });
  });

  it("aborts a request on client disconnect and gives its blocks back", () => {
    // vllm-openai.md §9: client disconnect aborts the request (finish reason abort).
    const engine = new EngineCore(base);
    engine.add({ id: "x", prompt: 100, outputTokens: 50 });
    engine.step(0);
    expect(engine.kvUsage).toBeCloseTo(7 / 1000, 9);
    expect(engine.abort("x")).toBe(true);
    expect(engine.kvUsage).toBe(0);
    expect(engine.hasWork()).toBe(false);
    expect(engine.abort("x")).toBe(false);

    const result = simulate([{ id: "gone", prompt: 100, outputTokens: 1000, abortAt: 0.5 }], base);
    expect(byId(result, "gone")).toMatchObject({ status: "aborted", e2e: 0.5 });
    expect(byId(result, "gone").outputTokens).toBeGreaterThan(0);
  });

  it("refuses prompt + output over max_model_len and duplicate ids", () => {
    // vllm-openai.md §13: N + M ≤ max_model_len.
    const result = simulate([{ id: "too-long", prompt: 8000, outputTokens: 500 }], base);
    expect(byId(result, "too-long")).toMatchObject({
      status: "rejected",
      error: "prompt (8000) + output (500) tokens exceed max_model_len 8192",
    });
    const engine = new EngineCore(base);
    engine.add({ id: "a", prompt: 1, outputTokens: 1 });
    expect(() => engine.add({ id: "a", prompt: 1, outputTokens: 1 })).toThrow(EngineRequestError);
    expect(() => new EngineCore({ ...base, maxNumSeqs: 0 })).toThrow(RangeError);
  });

  it("caps the running batch at max_num_seqs", () => {
    const requests = Array.from({ length: 10 }, (_, i) => ({
      id: `r${i}`,
      prompt: 10,
      outputTokens: 5,
    }));
    const result = simulate(requests, { ...base, maxNumSeqs: 4 });
    expect(Math.max(...result.steps.map((s) => s.running))).toBe(4);
    expect(result.steps[0]?.waiting).toBe(6);
  });
});

describe("simulate: latency behaves as on the GPU", () => {
  const config = { ...base, numBlocks: 28_000, maxNumSeqs: 1024, stepTime: h100 };

  it("grows time to first token with queueing in a burst and with prompt length", () => {
    const burst = Array.from({ length: 64 }, (_, i) => ({
      id: `b${i}`,
      prompt: 2000,
      outputTokens: 8,
    }));
    const result = simulate(burst, config);
    expect(byId(result, "b63").ttft as number).toBeGreaterThan(
      5 * (byId(result, "b0").ttft as number),
    );
    const short = simulate([{ id: "s", prompt: 100, outputTokens: 2 }], config);
    const long = simulate([{ id: "l", prompt: 4000, outputTokens: 2 }], config);
    expect(byId(long, "l").ttft as number).toBeGreaterThan(byId(short, "s").ttft as number);
  });

  it("grows inter-token latency with the batch size", () => {
    const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const one = simulate([{ id: "x", prompt: 500, outputTokens: 100 }], config);
    const many = simulate(
      Array.from({ length: 256 }, (_, i) => ({ id: `m${i}`, prompt: 500, outputTokens: 100 })),
      config,
    );
    expect(mean(byId(many, "m0").itls)).toBeGreaterThan(1.5 * mean(byId(one, "x").itls));
  });

  it("holds a closed-loop client to its concurrency and is deterministic", () => {
    const requests = Array.from({ length: 40 }, (_, i) => ({
      id: `c${i}`,
      prompt: 200 + i,
      outputTokens: 30,
    }));
    const a = simulate(requests, { ...config, maxConcurrency: 8 });
    const b = simulate(requests, { ...config, maxConcurrency: 8 });
    expect(a).toEqual(b);
    expect(Math.max(...a.steps.map((s) => s.running + s.waiting))).toBeLessThanOrEqual(8);
    expect(a.totalOutputTokens).toBe(40 * 30);
  });

  it("shares a prompt between requests scheduled in the same step (blocks cached when allocated)", () => {
    // vllm/v1/core/kv_cache_manager.py allocate_slots caches full blocks before the step runs,
    // so n parallel-sampling children queued together prefill the shared prompt once.
    const prompt = tokens(256);
    const children = [0, 1, 2, 3].map((i) => ({ id: `${i}_p`, prompt, outputTokens: 2 }));
    const shared = simulate(children, base);
    // 15 full blocks (240 tokens) of each sibling hit; the last block holds the one token that
    // must be computed.
    expect(shared.prefixHits).toBe(3 * 240);
    expect(shared.steps[0]?.prefillTokens).toBe(256 + 3 * 16);
    const apart = simulate(children, { ...base, enablePrefixCaching: false });
    expect(apart.steps[0]?.prefillTokens).toBe(4 * 256);
  });

  it("runs at most max_loras adapters per step, skipping (not blocking on) the others", () => {
    // vllm/v1/core/sched/scheduler.py: a waiting request whose adapter would exceed max_loras is
    // skipped and keeps its place; requests behind it (base model or a scheduled adapter) go.
    const requests: SimulatedRequest[] = [
      { id: "x1", prompt: 32, outputTokens: 4, lora: "x" },
      { id: "y1", prompt: 32, outputTokens: 4, lora: "y" },
      { id: "x2", prompt: 32, outputTokens: 4, lora: "x" },
      { id: "base", prompt: 32, outputTokens: 4 },
    ];
    const result = simulate(requests, { ...base, maxLoras: 1 });
    expect(result.steps[0]).toMatchObject({ running: 3, waiting: 1 });
    const firstToken = (id: string) => byId(result, id).ttft as number;
    expect(firstToken("x2")).toBe(firstToken("x1"));
    expect(firstToken("base")).toBe(firstToken("x1"));
    // y1 starts once no x request is in the batch.
    expect(firstToken("y1")).toBeGreaterThan(byId(result, "x1").e2e as number);
    const two = simulate(requests, { ...base, maxLoras: 2 });
    expect(two.steps[0]).toMatchObject({ running: 4, waiting: 0 });
    expect(() => new EngineCore({ ...base, maxLoras: 0 })).toThrow(RangeError);
  });

  it("never shares cached blocks between different adapters", () => {
    // vllm-openai.md §9: block hashes are salted by the LoRA adapter.
    const prompt = tokens(64);
    const later = (id: string, lora?: string): SimulatedRequest => ({
      id,
      prompt,
      outputTokens: 2,
      arrival: 1,
      ...(lora === undefined ? {} : { lora }),
    });
    const first: SimulatedRequest = { id: "a", prompt, outputTokens: 2, lora: "x" };
    const config = { ...base, maxLoras: 2 };
    expect(simulate([first, later("b", "x")], config).prefixHits).toBe(48);
    expect(simulate([first, later("b", "y")], config).prefixHits).toBe(0);
    expect(simulate([first, later("b")], config).prefixHits).toBe(0);
  });

  it("lists the adapters running and waiting", () => {
    const engine = new EngineCore({ ...base, maxLoras: 1 });
    engine.add({ id: "a", prompt: 8, outputTokens: 2, lora: "x" });
    engine.add({ id: "b", prompt: 8, outputTokens: 2, lora: "y" });
    engine.add({ id: "c", prompt: 8, outputTokens: 2 });
    engine.step(0);
    expect(engine.loraAdapters()).toEqual({ running: ["x"], waiting: ["y"] });
  });
  it("runs n > 1 as n children that share the prompt's blocks, one client slot per parent", () => {
    // vllm/v1/engine/parallel_sampling.py: children 0_<id> … n-1_<id>, each its own request;
    // vllm/v1/core/kv_cache_manager.py caches a block when it is allocated, so siblings queued
    // together prefill the shared prompt once (a prompt given as a length too).
    const parent: SimulatedRequest = { id: "p", prompt: 256, outputTokens: 3, n: 4 };
    const result = simulate([parent, { id: "q", prompt: 32, outputTokens: 2 }], base);
    expect(result.requests.map((r) => r.id)).toEqual(["0_p", "1_p", "2_p", "3_p", "q"]);
    expect(result.requests.every((r) => r.status === "finished")).toBe(true);
    expect(result.prefixHits).toBe(3 * 240);
    expect(result.steps[0]?.prefillTokens).toBe(256 + 3 * 16 + 32);
    expect(result.totalOutputTokens).toBe(4 * 3 + 2);
    // Two parents given as lengths never share blocks with each other.
    const two = simulate([parent, { ...parent, id: "r" }], base);
    expect(two.prefixHits).toBe(2 * 3 * 240);
    // Under a concurrency limit of 1 the next parent waits for the last child of the first.
    const closed = simulate([parent, { id: "q", prompt: 32, outputTokens: 2 }], {
      ...base,
      maxConcurrency: 1,
    });
    const lastChild = Math.max(...closed.requests.slice(0, 4).map((r) => r.sent + (r.e2e ?? 0)));
    expect(byId(closed, "q").sent).toBe(lastChild);
    expect(closed.requests.slice(0, 4).every((r) => r.sent === 0)).toBe(true);
  });

  it("refuses an n that is not a whole number of at least 1", () => {
    for (const n of [0, 1.5, -2, Number.NaN]) {
      expect(() => simulate([{ id: "x", prompt: 8, outputTokens: 1, n }], base), `${n}`).toThrow(
        RangeError,
      );
    }
  });
});

describe("simulate: async scheduling (--async-scheduling)", () => {
  // vllm PR #19970: the async scheduler "operate[s] one step ahead of the current execution", so
  // step k+1's batch is fixed when step k starts.
  const busy: SimulatedRequest[] = [
    { id: "long", prompt: 10, outputTokens: 20 },
    // Arrives 5 ms into step 2 (step 1: 10 + 10 ms; step 2: 11 ms, from 20 to 31 ms).
    { id: "late", prompt: 10, outputTokens: 2, arrival: 0.025 },
  ];

  it("schedules a request that arrives during step k at step k+2, one step later than without", () => {
    const sync = simulate(busy, base);
    const async = simulate(busy, { ...base, asyncScheduling: true });
    // Without: "late" joins step 3 (starts at 31 ms); with: step 4 (step 3 alone lasts 11 ms).
    expect(byId(sync, "late").scheduled).toBeCloseTo(0.031, 9);
    expect(byId(async, "late").scheduled).toBeCloseTo(0.042, 9);
    expect(byId(async, "late").ttft).toBeCloseTo((byId(sync, "late").ttft as number) + 0.011, 9);
    // Step 3 runs "long" alone under async scheduling: a decode step, 10 + 1 ms.
    expect(byId(sync, "long").itls[1]).toBeCloseTo(0.021, 9);
    expect(byId(async, "long").itls[1]).toBeCloseTo(0.011, 9);
  });

  it("schedules at once on an idle engine (nothing running)", () => {
    const idle: SimulatedRequest[] = [
      { id: "first", prompt: 10, outputTokens: 1 },
      { id: "second", prompt: 10, outputTokens: 1, arrival: 0.05 },
    ];
    const sync = simulate(idle, base);
    const async = simulate(idle, { ...base, asyncScheduling: true });
    expect(byId(async, "first").scheduled).toBe(0);
    expect(byId(async, "second").scheduled).toBeCloseTo(0.05, 9);
    expect(async.requests).toEqual(sync.requests);
  });

  it("adds no wait to a closed loop of one (C=1): each request is sent when the last one ends", () => {
    const loop = Array.from({ length: 4 }, (_, i) => ({
      id: `r${i}`,
      prompt: 30,
      outputTokens: 5,
    }));
    const config = { ...base, maxConcurrency: 1, frontendLatency: 0.002 };
    expect(simulate(loop, { ...config, asyncScheduling: true })).toEqual(simulate(loop, config));
  });

  it("is off by default: the same results as asyncScheduling false", () => {
    const work = Array.from({ length: 12 }, (_, i) => ({
      id: `q${i}`,
      prompt: tokens(40 + i),
      outputTokens: 6,
      arrival: i * 0.007,
    }));
    expect(simulate(work, base)).toEqual(simulate(work, { ...base, asyncScheduling: false }));
    expect(simulate(work, { ...base, asyncScheduling: true })).not.toEqual(simulate(work, base));
  });
});

describe("simulate with data parallelism (vLLM --data-parallel-size)", () => {
  // Distinct prompts of mixed lengths arriving all at once: the engines saturate.
  const workload = (count: number): SimulatedRequest[] =>
    Array.from({ length: count }, (_, i) => ({
      id: `r${i}`,
      prompt: tokens(200 + ((i * 37) % 300), i * 1000),
      outputTokens: 64 + ((i * 13) % 64),
    }));
  const h100Config: SimulationConfig = { ...base, stepTime: h100, recordSteps: false };

  it("scales throughput about N-fold at saturation, each rank its own batch", () => {
    const requests = workload(400);
    const one = simulate(requests, h100Config);
    const two = simulate(requests, { ...h100Config, dataParallelSize: 2 });
    const four = simulate(requests, { ...h100Config, dataParallelSize: 4 });
    const throughput = (r: ReturnType<typeof simulate>) => r.totalOutputTokens / r.duration;
    expect(two.totalOutputTokens).toBe(one.totalOutputTokens);
    expect(throughput(two) / throughput(one)).toBeGreaterThan(1.7);
    expect(throughput(two) / throughput(one)).toBeLessThan(2.3);
    expect(throughput(four) / throughput(one)).toBeGreaterThan(3.2);
    expect(four.requests.every((r) => r.status === "finished")).toBe(true);
  });

  it("routes a dense model's requests round robin: equal halves on two ranks", () => {
    // core_client.py: no published counts for a dense model; the local +1 alternates the ranks.
    // Two identical requests sent together run in parallel: same TTFT as one alone.
    const pair: SimulatedRequest[] = [
      { id: "a", prompt: tokens(300), outputTokens: 10 },
      { id: "b", prompt: tokens(300, 5000), outputTokens: 10 },
    ];
    const alone = simulate([pair[0] as SimulatedRequest], { ...base, stepTime: linearStepTime });
    const two = simulate(pair, { ...base, stepTime: linearStepTime, dataParallelSize: 2 });
    expect(byId(two, "a").ttft).toBeCloseTo(byId(alone, "a").ttft as number, 9);
    expect(byId(two, "b").ttft).toBeCloseTo(byId(alone, "a").ttft as number, 9);
    expect(two.stepCount).toBe(2 * alone.stepCount);
  });

  it("steps a MoE model's ranks in lock step: an idle rank paces with the busy one", () => {
    // vllm/v1/engine/core.py DPEngineCoreProc.run_busy_loop: every rank steps while any has work,
    // an idle one running execute_dummy_batch (one token); a step ends with the slowest rank's.
    const pair: SimulatedRequest[] = [
      { id: "a", prompt: 100, outputTokens: 3 },
      { id: "b", prompt: 50, outputTokens: 2 },
    ];
    const config = { ...base, stepTime: linearStepTime, dataParallelSize: 2 };
    const apart = simulate(pair, config);
    const locked = simulate(pair, { ...config, lockStep: true });
    // On its own rank b prefills 50 tokens in 60 ms; in lock step it waits for a's 110 ms prefill.
    expect(byId(apart, "b").ttft).toBeCloseTo(0.06, 9);
    expect(byId(locked, "b").ttft).toBeCloseTo(0.11, 9);
    expect(byId(locked, "b").e2e).toBeCloseTo(0.121, 9);
    // a's last decode runs beside rank 1's dummy pass (11 ms, as long as the decode): a unchanged.
    expect(byId(locked, "a").e2e).toBeCloseTo(byId(apart, "a").e2e as number, 9);
    // The dummy pass is no engine step: the same steps, and none once both ranks are idle.
    expect(locked.stepCount).toBe(apart.stepCount);
    expect(locked.duration).toBeCloseTo(0.132, 9);
  });

  it("with one rank is the engine as before, and refuses a size that is not a whole number", () => {
    const requests = workload(50);
    expect(simulate(requests, { ...h100Config, dataParallelSize: 1 })).toEqual(
      simulate(requests, h100Config),
    );
    expect(() => simulate(requests, { ...h100Config, dataParallelSize: 0 })).toThrow(RangeError);
  });
});
