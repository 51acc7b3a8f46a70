import { describe, expect, it } from "vitest";
import { ManualClock } from "../clock.js";
import {
  EngineMetrics,
  Histogram,
  MeteredRun,
  requestParamsNBuckets,
  tokenCountBuckets,
} from "./engine-metrics.js";
import { GpuEngine } from "./gpu-engine.js";
import { StepTokens } from "./step-tokens.js";
import { linearStepTime } from "./test-step-time.js";

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

const engineConfig = {
  numBlocks: 100,
  maxNumSeqs: 8,
  maxNumBatchedTokens: 512,
  maxModelLen: 1024,
  stepTime: linearStepTime,
};

describe("histogram and buckets", () => {
  it("uses the 1-2-5 series up to max_model_len for token counts", () => {
    // vllm-openai.md §8: request token histograms use buckets 1,2,5,10,20,50,... up to max_model_len.
    expect(tokenCountBuckets(8192)).toEqual([1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000]);
  });

  it("counts an observation in the first bucket whose bound it does not exceed", () => {
    const h = new Histogram([1, 2]);
    for (const v of [0.5, 1, 1.5, 3]) h.observe(v);
    expect(h.cumulative()).toEqual([2, 3, 4]);
    expect(h.sum).toBe(6);
    expect(h.count).toBe(4);
  });

  it("observes a value several times at once exactly as one observation at a time", () => {
    // Prometheus histograms (vllm-openai.md §8) expose per-bucket counts, _sum and _count: a bulk
    // observation must leave all three as repeated single ones do, the float _sum to the last bit
    // (1,000 × 0.1 added one by one is not 100, nor 1,000 * 0.1).
    const one = new Histogram([0.05, 0.2]);
    const bulk = new Histogram([0.05, 0.2]);
    const runs: [number, number][] = [
      [0.1, 1000],
      [0.3, 7],
      [0.01, 1],
      [0.1, 3],
    ];
    for (const [value, count] of runs) {
      for (let k = 0; k < count; k++) one.observe(value);
      bulk.observeRepeated(value, count);
    }
    expect(bulk.counts).toEqual(one.counts);
    expect(bulk.count).toBe(one.count);
    expect(Object.is(bulk.sum, one.sum)).toBe(true);
    expect(one.sum).not.toBe(0.1 * 1003 + 0.3 * 7 + 0.01);
  });
});

describe("engine metrics agree with what clients observed", () => {
  it("matches TTFT, inter-token gaps, token counters and finish reasons, and counts preemptions", async () => {
    const clock = new ManualClock();
    const metrics = new EngineMetrics(1024);
    // 10 blocks of 16 tokens for three requests that grow to 96 tokens each: preemption must happen.
    const engine = new GpuEngine({
      numBlocks: 10,
      maxNumSeqs: 8,
      maxNumBatchedTokens: 512,
      maxModelLen: 1024,
      stepTime: linearStepTime,
      clock,
      metrics,
    });
    const observed: { ttft: number; gaps: number[]; tokens: number }[] = [];
    const consume = async (id: string, prompt: number, output: number, stopAfter?: number) => {
      const record = { ttft: 0, gaps: [] as number[], tokens: 0 };
      observed.push(record);
      let last = 0;
      for await (const token of engine.generate({ id, prompt, outputTokens: output })) {
        const now = clock.now() / 1000;
        if (record.tokens === 0) record.ttft = now;
        else record.gaps.push(now - last);
        last = now;
        record.tokens++;
        if (record.tokens === stopAfter) break;
        void token;
      }
    };
    const runs = Promise.all([consume("a", 48, 48), consume("b", 48, 48), consume("c", 30, 40, 5)]);
    let done = false;
    void runs.then(() => {
      done = true;
    });
    await settle();
    for (let i = 0; i < 400 && !done; i++) await clock.advance(50);
    await runs;

    // vllm-openai.md §8: TTFT from arrival; one inter-token observation per streamed output.
    expect(metrics.timeToFirstToken.count).toBe(3);
    expect(metrics.timeToFirstToken.sum).toBeCloseTo(
      observed.reduce((s, o) => s + o.ttft, 0),
      6,
    );
    const gaps = observed.flatMap((o) => o.gaps);
    expect(metrics.interTokenLatency.count).toBe(gaps.length);
    expect(metrics.interTokenLatency.sum).toBeCloseTo(
      gaps.reduce((s, g) => s + g, 0),
      6,
    );
    expect(metrics.generationTokens).toBe(observed.reduce((s, o) => s + o.tokens, 0));
    expect(metrics.promptTokens).toBe(48 + 48 + 30);
    // A client that leaves ("c") adds its tokens to the counters above and nothing per request:
    // vLLM drops an aborted request before its finished-request statistics
    // (v1/engine/output_processor.py abort_requests; vllm-project/vllm#55634 measured on
    // 0.10.1.1: prompt_tokens_total grew, request_success_total and the per-request histograms
    // did not; #31503 on 0.13.0: the abort count stays 0).
    expect(metrics.requestSuccess).toEqual({ stop: 0, length: 2, abort: 0 });
    expect(metrics.requestPromptTokens.count).toBe(2);
    expect(metrics.requestGenerationTokens.sum).toBe(96);
    expect(metrics.requestParamsMaxTokens.count).toBe(0);
    // vllm-openai.md §9: preemptions are counted in vllm:num_preemptions_total.
    expect(metrics.preemptions).toBeGreaterThan(0);
    expect(metrics.preemptions).toBe(engine.core.counters.preemptions);
    expect(metrics.e2eRequestLatency.count).toBe(2);
    // V1 observes queue time from the finished request's timestamps (v1/metrics/stats.py).
    expect(metrics.requestQueueTime.count).toBe(2);
    expect(metrics.iterationTokens.count).toBeGreaterThan(0);
    // gauges once the work is done
    expect(metrics.running).toBe(0);
    expect(metrics.waiting).toBe(0);
    expect(metrics.kvCacheUsage).toBe(0);
  });
});

describe("histogram sinks", () => {
  it("makes every histogram through the factory, with vLLM's V1 buckets", () => {
    const made: { name: string; buckets: readonly number[]; values: number[] }[] = [];
    const metrics = new EngineMetrics(1024, (name, buckets) => {
      const sink = {
        name,
        buckets,
        values: [] as number[],
        observe: (v: number) => sink.values.push(v),
      };
      made.push(sink);
      return sink;
    });
    expect(made.map((m) => m.name)).toContain("timeToFirstToken");
    // vllm-openai.md §8: TTFT buckets start at 1 ms; token-count histograms use the 1-2-5 series.
    expect(made.find((m) => m.name === "timeToFirstToken")?.buckets[0]).toBe(0.001);
    expect(made.find((m) => m.name === "requestParamsMaxTokens")?.buckets).toEqual(
      tokenCountBuckets(1024),
    );
    // V1 observes max_tokens when the request finishes (v1/metrics/loggers.py record, from
    // finished_request.max_tokens_param), so an arrival alone, or a client that leaves, adds none.
    metrics.arrived("r", 0, 10, { maxTokens: 64 });
    expect(metrics.requestParamsMaxTokens.values).toEqual([]);
    metrics.aborted("r");
    expect(metrics.requestParamsMaxTokens.values).toEqual([]);
    const run = new MeteredRun(metrics, 0, { maxTokens: 64, promptTokens: 10 });
    run.token(0.5);
    expect(metrics.requestParamsMaxTokens.values).toEqual([]);
    run.finish("length", 64, 1);
    run.close();
    expect(metrics.requestParamsMaxTokens.values).toEqual([64]);
  });
});

describe("parallel sampling metrics", () => {
  it("observes n and the most generated tokens once per parent, when its last child finishes", async () => {
    // vllm-openai.md §8 and vllm/v1/metrics/loggers.py: vllm:request_params_n (buckets 1,2,5,10,20)
    // and vllm:request_max_num_generation_tokens (1-2-5 up to max_model_len), recorded by
    // parallel_sampling.py observe_finished_request when the parent's last child is done.
    const clock = new ManualClock();
    const metrics = new EngineMetrics(1024);
    expect(metrics.requestParamsN.bounds).toEqual(requestParamsNBuckets);
    expect(metrics.requestMaxNumGenerationTokens.bounds).toEqual(tokenCountBuckets(1024));
    const engine = new GpuEngine({ ...engineConfig, clock, metrics });
    const parent = { id: "p", n: 3 };
    const drain = async (id: string, outputTokens: number, withParent: boolean) => {
      const request = { id, prompt: 20, outputTokens, ...(withParent ? { parent } : {}) };
      for await (const token of engine.generate(request)) {
        // Before the parent's last child has its last token, only the single request counts.
        if (id === "p-1" && !token.last && metrics.requestParamsN.count > 1)
          throw new Error("observed early");
      }
    };
    const all = Promise.all([
      drain("p-0", 3, true),
      drain("p-1", 7, true),
      drain("p-2", 5, true),
      drain("single", 4, false),
    ]);
    await settle();
    await clock.advance(10_000);
    await all;
    // One observation for the single request (n = 1, its own count), one for the parent.
    expect(metrics.requestParamsN.count).toBe(2);
    expect(metrics.requestParamsN.sum).toBe(1 + 3);
    expect(metrics.requestMaxNumGenerationTokens.count).toBe(2);
    expect(metrics.requestMaxNumGenerationTokens.sum).toBe(4 + 7);
    // The per-request histograms still count every child.
    expect(metrics.requestGenerationTokens.count).toBe(4);
  });

  it("meters a simple-engine run the same way", () => {
    const metrics = new EngineMetrics(1024);
    const parent = { id: "q", n: 2 };
    const first = new MeteredRun(metrics, 0, { maxTokens: 16, promptTokens: 5, parent });
    first.finish("length", 16, 1);
    first.close();
    expect(metrics.requestParamsN.count).toBe(0);
    const second = new MeteredRun(metrics, 0, { maxTokens: 16, promptTokens: 5, parent });
    second.finish("eos", 9, 1);
    second.close();
    const single = new MeteredRun(metrics, 0, { maxTokens: 16, promptTokens: 5 });
    single.finish("eos", 3, 1);
    single.close();
    expect(metrics.requestParamsN.cumulative()).toEqual([1, 2, 2, 2, 2, 2]);
    expect(metrics.requestMaxNumGenerationTokens.sum).toBe(16 + 3);
  });

  it("follows each request by id when the batch changes order and an id comes back", () => {
    // Per-request state is found by position in the step's token list (request-slots.ts): a
    // reordered batch, a request that left and a new request reusing its id must read as by id.
    const metrics = new EngineMetrics(1024);
    const step = (start: number, end: number, ids: string[], finished: string[] = []) => {
      const stats = {
        start,
        duration: end - start,
        running: ids.length,
        waiting: 0,
        kvUsage: 0,
        scheduledTokens: ids.length,
        prefillTokens: 0,
        preemptions: 0,
        prefixQueries: 0,
        prefixHits: 0,
      };
      const sampled = new StepTokens(
        1,
        end,
        ids,
        ids.map((id) => (finished.includes(id) ? 1 : 0)),
      );
      metrics.step({
        stats,
        end,
        sampled,
        tokens: sampled.events(),
        finished: finished.map((requestId) => ({ requestId, reason: "length", time: end })),
        admitted: [],
      });
    };
    metrics.arrived("a", 0, 3);
    metrics.arrived("b", 0, 5);
    step(0, 1, ["a", "b"]);
    step(1, 2, ["b", "a"]);
    step(2, 3, ["a", "b"], ["a"]);
    metrics.arrived("a", 3, 7);
    step(3, 4, ["a", "b"]);
    step(4, 6, ["b"]);
    // TTFT: a 1 s, b 1 s, the second a 1 s (from its own arrival at 3).
    expect(metrics.timeToFirstToken.count).toBe(3);
    expect(metrics.timeToFirstToken.sum).toBe(3);
    // ITL: b 1, 1, 1, 2; the first a 1, 1; the second a none yet.
    expect(metrics.interTokenLatency.count).toBe(6);
    expect(metrics.interTokenLatency.sum).toBe(7);
    expect(metrics.promptTokens).toBe(3 + 5 + 7);
    expect(metrics.generationTokens).toBe(9);
    expect(metrics.requestGenerationTokens.sum).toBe(3);
    expect(metrics.requestSuccess.length).toBe(1);
  });

  it("observes a step's inter-token gaps in token order, per run of equal gaps", () => {
    // One inter-token observation per request per engine output (vllm/v1/metrics/stats.py
    // IterationStats); runs of equal gaps go to a sink as one observeRepeated call when it has
    // one, else as single observations: either way the same values in the same order.
    const plain: number[] = [];
    const repeated: [number, number][] = [];
    const withBulk = new EngineMetrics(1024);
    const singles = new EngineMetrics(1024, (name) => ({
      observe: (v: number) => {
        if (name === "interTokenLatency") plain.push(v);
      },
    }));
    const bulkSink = new EngineMetrics(1024, (name) => ({
      observe: () => {
        if (name === "interTokenLatency") throw new Error("observe, not observeRepeated");
      },
      observeRepeated: (v: number, count: number) => {
        if (name === "interTokenLatency") repeated.push([v, count]);
      },
    }));
    const ids = ["a", "b", "c", "d", "e"];
    const step = (end: number, tokens: string[]) => {
      const sampled = new StepTokens(
        1,
        end,
        tokens,
        tokens.map(() => 0),
      );
      const stats = {
        start: end - 0.1,
        duration: 0.1,
        running: tokens.length,
        waiting: 0,
        kvUsage: 0,
        scheduledTokens: tokens.length,
        prefillTokens: 0,
        preemptions: 0,
        prefixQueries: 0,
        prefixHits: 0,
      };
      const result = { stats, end, sampled, tokens: [], finished: [], admitted: [] };
      for (const m of [withBulk, singles, bulkSink]) m.step(result);
    };
    for (const m of [withBulk, singles]) for (const id of ids) m.arrived(id, 0, 4);
    step(0.1, ["a", "b"]);
    step(0.2, ["c"]);
    step(0.3, ["a", "b", "d"]);
    step(0.5, ["a", "c", "b", "d", "e"]);
    // Gaps at 0.3: a, b 0.2 (one run); at 0.5: a 0.2, c 0.3, b 0.2, d 0.2 (three runs).
    const gap = (t: number, before: number) => t - before;
    expect(plain).toEqual([
      gap(0.3, 0.1),
      gap(0.3, 0.1),
      gap(0.5, 0.3),
      gap(0.5, 0.2),
      gap(0.5, 0.3),
      gap(0.5, 0.3),
    ]);
    expect(repeated).toEqual([]);
    let sum = 0;
    for (const v of plain) sum += v;
    expect(Object.is(withBulk.interTokenLatency.sum, sum)).toBe(true);
    expect(withBulk.interTokenLatency.count).toBe(6);
    // The bulk sink saw no arrivals, so it observes nothing per token; fed the same arrivals it
    // gets the runs.
    for (const id of ids) bulkSink.arrived(id, 0.5, 4);
    step(0.7, ["a", "b", "c"]);
    step(0.8, ["a", "b", "c", "d"]);
    expect(repeated).toEqual([[gap(0.8, 0.7), 3]]);
  });
});
