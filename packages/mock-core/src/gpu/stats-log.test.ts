import { describe, expect, it } from "vitest";
import { EngineCore } from "./engine-core.js";
import { EngineMetrics } from "./engine-metrics.js";
import { StatsLogLine } from "./stats-log.js";
import { linearStepTime } from "./test-step-time.js";

describe("the periodic engine log line", () => {
  it("reports throughput, queue, KV usage and prefix hit rate over the interval in vLLM's format", () => {
    // vllm-openai.md §8: "Engine 000: Avg prompt throughput: X tokens/s, Avg generation throughput: Y tokens/s,
    // Running: R reqs, Waiting: W reqs, GPU KV cache usage: U%, Prefix cache hit rate: H%".
    const core = new EngineCore({
      numBlocks: 100,
      maxNumSeqs: 1,
      maxNumBatchedTokens: 512,
      maxModelLen: 1024,
      stepTime: linearStepTime,
    });
    const metrics = new EngineMetrics(1024);
    const log = new StatsLogLine(metrics, 0);
    const prompt = Array.from({ length: 64 }, (_, i) => i);
    for (const id of ["a", "b"]) {
      core.add({ id, prompt, outputTokens: 10 });
      metrics.arrived(id, 0, 64);
    }
    let now = 0;
    for (let i = 0; i < 5; i++) {
      const result = core.step(now);
      if (!result) break;
      metrics.step(result, core);
      now = result.end;
    }
    expect(log.next(1)).toBe(
      `Engine 000: Avg prompt throughput: 64.0 tokens/s, Avg generation throughput: 5.0 tokens/s, Running: 1 reqs, Waiting: 1 reqs, GPU KV cache usage: ${(core.kvUsage * 100).toFixed(1)}%, Prefix cache hit rate: 0.0%`,
    );
    while (core.hasWork()) {
      const result = core.step(now);
      if (!result) break;
      metrics.step(result, core);
      now = result.end;
    }
    // b reused a's first three full blocks (48 of its 64 prompt tokens)
    expect(log.next(2)).toMatch(
      /^Engine 000: Avg prompt throughput: 64\.0 tokens\/s, Avg generation throughput: 15\.0 tokens\/s, Running: 0 reqs, Waiting: 0 reqs, GPU KV cache usage: 0\.0%, Prefix cache hit rate: 75\.0%$/,
    );
    // Idle intervals are quiet only once the interval before them was idle too, so the line
    // right after traffic stops still shows (vLLM's LoggingStatLogger logs idle lines at debug).
    expect(log.quiet).toBe(false);
    log.next(3);
    expect(log.quiet).toBe(false);
    log.next(4);
    expect(log.quiet).toBe(true);
  });
});

describe("the periodic spec-decode log line", () => {
  it("follows the engine line with vLLM's SpecDecoding metrics for the interval, only when drafting", () => {
    // vllm/v1/spec_decode/metrics.py SpecDecodingLogging.log: logged after the engine line,
    // nothing when no draft was observed in the interval.
    const config = {
      numBlocks: 100,
      maxNumSeqs: 4,
      maxNumBatchedTokens: 512,
      maxModelLen: 1024,
      stepTime: linearStepTime,
    };
    const plain = new EngineMetrics(1024);
    const plainLog = new StatsLogLine(plain, 0);
    plainLog.next(1);
    expect(plainLog.specDecodeLine).toBeUndefined();

    const core = new EngineCore({
      ...config,
      speculative: { method: "ngram", numSpeculativeTokens: 2, acceptanceRates: [1, 1] },
    });
    const metrics = new EngineMetrics(1024);
    const log = new StatsLogLine(metrics, 0);
    core.add({ id: "a", prompt: 16, outputTokens: 7 });
    metrics.arrived("a", 0, 16);
    let now = 0;
    for (let result = core.step(now); result; result = core.step(now)) {
      metrics.step(result, core);
      now = result.end;
    }
    log.next(2);
    expect(log.specDecodeLine).toBe(
      "SpecDecoding metrics: Mean acceptance length: 3.00, Accepted throughput: 2.00 tokens/s, " +
        "Drafted throughput: 2.00 tokens/s, Accepted: 4 tokens, Drafted: 4 tokens, " +
        "Per-position acceptance rate: 1.000, 1.000, Avg Draft acceptance rate: 100.0%",
    );
    log.next(4);
    expect(log.specDecodeLine).toBeUndefined();
  });
});
