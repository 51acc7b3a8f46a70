import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { ManualClock } from "../clock.js";
import { deviceProfile } from "../gpu/device-profiles.js";
import { KvCacheStartupError } from "../gpu/kv-capacity.js";
import {
  cudaGraphCapture,
  cudaGraphCaptureLines,
  defaultWeightReadBytesPerSecond,
} from "../gpu/model-loading.js";
import { granite4HSmallConfig, mixtral8x7bConfig } from "../gpu/moe-hybrid-configs.js";
import { proposeTime } from "../gpu/speculative.js";
import { addToLoad, emptyLoad } from "../gpu/step-time.js";
import {
  type FinishEvent,
  type GenerationEvent,
  type GenerationRequest,
  GenerationRequestError,
  type ReadySteps,
  readySteps,
  type TextEngine,
  type TokenEvent,
} from "./generation.js";
import {
  drafterNotCountedNote,
  mtpNotCountedNote,
  readGpuEngineSettings,
} from "./gpu-engine-settings.js";
import { defaultModelSpec } from "./model-spec.js";
import { createSimpleEngine } from "./simple-engine.js";
import {
  createTextEngine,
  engineStartup,
  startupCacheLines,
  statsLogIntervalMs,
} from "./text-engine-factory.js";

const model = await defaultModelSpec();
const prompt = model.tokenizer.encode("Tell me something about the weather in the mountains.");
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** GPU settings as `--gpu DEVICE` plus `values` give them, for the built-in model's context. */
function gpu(values: Record<string, string | boolean> = {}, device = "h100-80gb") {
  const settings = readGpuEngineSettings(
    { gpu: device, ...values },
    { maxModelLen: model.maxModelLen },
  );
  if (!settings) throw new Error("unreachable");
  return settings;
}

interface Seen {
  readonly events: GenerationEvent[];
  /** Clock time (ms) of each token event. */
  readonly times: number[];
  readonly done: Promise<void>;
  finished: boolean;
}

function consume(
  events: AsyncIterable<GenerationEvent>,
  clock: ManualClock,
  stopAfter = Number.POSITIVE_INFINITY,
): Seen {
  const seen: Seen = { events: [], times: [], finished: false, done: Promise.resolve() };
  (seen as { done: Promise<void> }).done = (async () => {
    for await (const event of events) {
      seen.events.push(event);
      if (event.type === "token") {
        seen.times.push(clock.now());
        if (seen.times.length >= stopAfter) break;
      }
    }
    seen.finished = true;
  })();
  return seen;
}

/** Advances the clock 1 ms at a time until every consumer is done. */
async function runUntilDone(clock: ManualClock, all: readonly Seen[], limitMs = 60_000) {
  await settle();
  for (let t = 0; t < limitMs && !all.every((s) => s.finished); t++) await clock.advance(1);
  await Promise.all(all.map((s) => s.done));
}

const request = (extra: Partial<GenerationRequest> = {}): GenerationRequest => ({
  promptIds: prompt,
  maxTokens: 32,
  ignoreEos: true,
  seed: 1,
  ...extra,
});

describe("without --gpu: the simple engine on a fixed schedule", () => {
  test("token k is due at ttft + k × itl however long the consumer takes", async () => {
    // docs/benchmarks.md (vllm-streams): the fixed schedule keeps delivered gaps at the configured value.
    const clock = new ManualClock();
    const { engine, gpu: backend } = createTextEngine({
      clock,
      model,
      pacing: { timeToFirstTokenMs: 100, interTokenMs: 10 },
    });
    expect(backend).toBeUndefined();
    const seen = consume(engine.generate(request({ maxTokens: 4 })), clock);
    await runUntilDone(clock, [seen]);
    expect(seen.times).toEqual([100, 110, 120, 130]);
  });
});

describe("with --gpu: content from the simple engine, timing from the simulated GPU", () => {
  test("the tokens, stops and finish are exactly the simple engine's", async () => {
    const clock = new ManualClock();
    const { engine } = createTextEngine({ clock, model, gpu: gpu() });
    const plain = createSimpleEngine({ clock, model });
    for (const r of [
      request(),
      request({ ignoreEos: false, maxTokens: 400, temperature: 0 }),
      request({ stop: ["the"], maxTokens: 64, logprobs: 2 }),
    ]) {
      const expected: GenerationEvent[] = [];
      for await (const event of plain.generate(r)) expected.push(event);
      const seen = consume(engine.generate(r), clock);
      await runUntilDone(clock, [seen]);
      expect(seen.events).toEqual(expected);
    }
  });

  test("tokens arrive when the modelled GPU's steps end, not at once", async () => {
    const clock = new ManualClock();
    const { engine, gpu: backend } = createTextEngine({ clock, model, gpu: gpu() });
    const seen = consume(engine.generate(request({ maxTokens: 8 })), clock);
    await runUntilDone(clock, [seen]);
    expect(seen.times).toHaveLength(8);
    // Each token leaves at the end of a step; a step of an 8B model on an H100 takes milliseconds.
    expect(seen.times[0]).toBeGreaterThan(0);
    for (let i = 1; i < seen.times.length; i++)
      expect(seen.times[i]).toBeGreaterThan(seen.times[i - 1] as number);
    expect(backend?.metrics.timeToFirstToken.sum).toBeCloseTo((seen.times[0] as number) / 1000, 2);
  });

  test("a burst queues: the last request's first token comes after the first one's", async () => {
    // vllm-openai.md §9: TTFT includes queueing + (chunked) prefill; max_num_seqs caps the batch.
    const clock = new ManualClock();
    const { engine } = createTextEngine({
      clock,
      model,
      gpu: gpu({ "max-num-seqs": "2", "max-num-batched-tokens": "2048" }),
    });
    const all = Array.from({ length: 6 }, (_, i) =>
      consume(engine.generate(request({ seed: i, maxTokens: 16 })), clock),
    );
    await runUntilDone(clock, all);
    const firsts = all.map((s) => s.times[0] as number);
    expect(firsts.at(-1)).toBeGreaterThan(firsts[0] as number);
    // The third request waits for a slot: its first token comes after the first pair finished.
    expect(firsts[2]).toBeGreaterThanOrEqual(all[0]?.times.at(-1) as number);
  });

  test("inter-token latency grows with the batch size", async () => {
    // vllm-openai.md §9: ITL grows with batch size (decode reads every sequence's KV cache).
    const meanGap = async (batch: number) => {
      const clock = new ManualClock();
      const { engine } = createTextEngine({ clock, model, gpu: gpu({}, "l4") });
      const all = Array.from({ length: batch }, (_, i) =>
        consume(engine.generate(request({ seed: i, maxTokens: 24 })), clock),
      );
      await runUntilDone(clock, all);
      const times = all[0]?.times ?? [];
      return ((times.at(-1) as number) - (times[0] as number)) / (times.length - 1);
    };
    expect(await meanGap(64)).toBeGreaterThan(await meanGap(1));
  });

  test("a client disconnect aborts the request and frees its KV blocks", async () => {
    // vllm-openai.md §9: client disconnect aborts the request (finish reason abort, counted).
    const clock = new ManualClock();
    const { engine, gpu: backend } = createTextEngine({ clock, model, gpu: gpu() });
    const controller = new AbortController();
    const seen = consume(
      engine.generate(request({ maxTokens: 200 }), { signal: controller.signal }),
      clock,
    );
    await settle();
    for (let t = 0; t < 10_000 && seen.times.length < 3; t++) await clock.advance(1);
    expect(backend?.engine.core.kvUsage).toBeGreaterThan(0);
    controller.abort();
    await runUntilDone(clock, [seen]);
    const finish = seen.events.at(-1) as FinishEvent;
    expect(finish).toMatchObject({ type: "finish", reason: "abort", completionTokens: 3 });
    expect(backend?.engine.core.kvUsage).toBe(0);
    expect(backend?.engine.core.running).toBe(0);
    // vLLM counts no finish for a client abort (vllm-project/vllm#55634, #31503).
    expect(backend?.metrics.requestSuccess).toEqual({ stop: 0, length: 0, abort: 0 });
    expect(backend?.metrics.e2eRequestLatency.count).toBe(0);
  });

  test("leaving the loop early also frees the blocks", async () => {
    const clock = new ManualClock();
    const { engine, gpu: backend } = createTextEngine({ clock, model, gpu: gpu() });
    const seen = consume(engine.generate(request({ maxTokens: 200 })), clock, 2);
    await runUntilDone(clock, [seen]);
    expect(seen.times).toHaveLength(2);
    expect(backend?.engine.core.kvUsage).toBe(0);
  });

  test("the finish reason is counted as the content ended: EOS as stop, max_tokens as length", async () => {
    // vllm-openai.md §8: vllm:request_success_total{finished_reason} ∈ stop, length, abort.
    const clock = new ManualClock();
    const { engine, gpu: backend } = createTextEngine({ clock, model, gpu: gpu() });
    const eos = consume(
      engine.generate(request({ ignoreEos: false, maxTokens: 1000, temperature: 0 })),
      clock,
    );
    const length = consume(engine.generate(request({ maxTokens: 5 })), clock);
    await runUntilDone(clock, [eos, length]);
    expect((eos.events.at(-1) as FinishEvent).reason).toBe("eos");
    expect(backend?.metrics.requestSuccess).toEqual({ stop: 1, length: 1, abort: 0 });
    const tokens = [eos, length].flatMap((s) =>
      s.events.filter((e): e is TokenEvent => e.type === "token"),
    );
    expect(backend?.metrics.generationTokens).toBe(tokens.length);
    expect(backend?.metrics.promptTokens).toBe(2 * prompt.length);
    expect(backend?.metrics.requestParamsMaxTokens.count).toBe(2);
  });

  test("max_tokens 0 finishes at once without the engine", async () => {
    const clock = new ManualClock();
    const { engine, gpu: backend } = createTextEngine({ clock, model, gpu: gpu() });
    const seen = consume(engine.generate(request({ maxTokens: 0 })), clock);
    await runUntilDone(clock, [seen]);
    expect(seen.events).toEqual([expect.objectContaining({ type: "finish", reason: "length" })]);
    expect(backend?.metrics.requestSuccess.length).toBe(0);
  });

  test("under the priority policy a lower priority value is served first; fcfs refuses one", async () => {
    // vllm-openai.md §9: `priority` policy = lower value first, then arrival; non-zero priority
    // with fcfs → 400 (GenerationRequestError, which the handlers answer with 400).
    const clock = new ManualClock();
    const { engine } = createTextEngine({
      clock,
      model,
      gpu: gpu({
        "scheduling-policy": "priority",
        "max-num-seqs": "1",
        "max-num-batched-tokens": "2048",
      }),
    });
    const all = [5, 1, 3].map((priority) =>
      consume(engine.generate(request({ priority, maxTokens: 4 })), clock),
    );
    await runUntilDone(clock, all);
    const firsts = all.map((s) => s.times[0] as number);
    expect(firsts[1]).toBeLessThan(firsts[2] as number);
    expect(firsts[2]).toBeLessThan(firsts[0] as number);

    const fcfs = createTextEngine({ clock, model, gpu: gpu() });
    const refused = consume(fcfs.engine.generate(request({ priority: 2 })), clock);
    await expect(refused.done).rejects.toThrow(GenerationRequestError);
  });

  test("a shared prompt prefix hits the prefix cache", async () => {
    // vllm-openai.md §9: prefix caching on full 16-token blocks; queries and hits counted in tokens.
    const clock = new ManualClock();
    const { engine, gpu: backend } = createTextEngine({ clock, model, gpu: gpu() });
    const long = model.tokenizer.encode("The quick brown fox jumps over the lazy dog. ".repeat(8));
    const first = consume(engine.generate(request({ promptIds: long, maxTokens: 2 })), clock);
    await runUntilDone(clock, [first]);
    const second = consume(engine.generate(request({ promptIds: long, maxTokens: 2 })), clock);
    await runUntilDone(clock, [second]);
    expect(backend?.metrics.prefixCacheHits).toBeGreaterThanOrEqual(16);
    expect(backend?.metrics.prefixCacheQueries).toBe(2 * long.length);
  });
});

describe("start-up and logs", () => {
  test("the scheduler gets the runtime's --max-loras", () => {
    // vllm/v1/core/sched/scheduler.py: at most max_loras adapters per batch (vLLM default 1).
    expect(engineStartup(gpu()).core.maxLoras).toBe(1);
    const settings = readGpuEngineSettings(
      { gpu: "h100-80gb" },
      { maxModelLen: model.maxModelLen, maxLoras: 3 },
    );
    if (!settings) throw new Error("unreachable");
    expect(engineStartup(settings).core.maxLoras).toBe(3);
  });

  test("the scheduler gets --async-scheduling (off by default)", () => {
    // vllm PR #19970: --async-scheduling; the mock keeps it off unless asked.
    expect(engineStartup(gpu()).core.asyncScheduling).toBe(false);
    expect(engineStartup(gpu({ "async-scheduling": true })).core.asyncScheduling).toBe(true);
  });

  test("logs vLLM's KV-cache lines at start-up", () => {
    // vllm-openai.md §9: "GPU KV cache size: {N:,} tokens", "Maximum concurrency for {len:,} tokens per request: {x:.2f}x".
    const lines: string[] = [];
    const { gpu: backend } = createTextEngine({
      clock: new ManualClock(),
      model,
      gpu: gpu(),
      logger: { info: (line) => lines.push(line) },
    });
    expect(lines).toEqual(backend?.startupLines);
    expect(lines.some((l) => /^GPU KV cache size: [\d,]+ tokens$/.test(l))).toBe(true);
    const len = model.maxModelLen.toLocaleString("en-US");
    expect(
      lines.some((l) => l.startsWith(`Maximum concurrency for ${len} tokens per request: `)),
    ).toBe(true);
  });

  test("--enable-expert-parallel places a MoE config's experts whole; a dense model is unchanged", () => {
    // vLLM docs "Expert Parallel Deployment": EP size = TP × DP; fused_moe/layer.py
    // determine_expert_map: experts // EP each, the remainder on the first ranks.
    const dir = mkdtempSync(join(tmpdir(), "ep-"));
    const config = join(dir, "config.json");
    writeFileSync(config, JSON.stringify({ ...mixtral8x7bConfig, num_local_experts: 6 }));
    const values = { "model-config": config, "tensor-parallel-size": "4" };
    const tp = engineStartup(gpu(values)).capacity;
    const ep = engineStartup(gpu({ ...values, "enable-expert-parallel": true })).capacity;
    expect(gpu({ ...values, "enable-expert-parallel": true }).enableExpertParallel).toBe(true);
    expect(ep.weightBytes).toBeGreaterThan(tp.weightBytes);
    expect(ep.tokens).toBeLessThan(tp.tokens);
    const dense = engineStartup(gpu({ "enable-expert-parallel": true })).capacity;
    expect(dense.tokens).toBe(engineStartup(gpu()).capacity.tokens);
  });

  test("prints vLLM's 'Model loading took' line before the memory profile, worded per release", () => {
    // gpu_model_runner.py load_model, then gpu_worker.py determine_available_memory; wording:
    // issue #44494 (0.21.0, "GiB memory and"), PR #25340's log (2025-09, "%.4f GiB and").
    const lines: string[] = [];
    const { gpu: backend } = createTextEngine({
      clock: new ManualClock(),
      model,
      gpu: gpu(),
      logger: { info: (line) => lines.push(line) },
    });
    const at = lines.findIndex((l) => l.startsWith("Model loading took "));
    expect(lines[at + 1]).toMatch(/^Available KV cache memory: /);
    const weightGiB = (backend?.capacity.weightBytes ?? 0) / 1024 ** 3;
    expect(lines[at]).toMatch(
      /^Model loading took \d+\.\d{1,2} GiB memory and \d+\.\d{6} seconds$/,
    );
    expect(lines[at]).toContain(`${Math.round(weightGiB * 100) / 100} GiB memory`);
    // The capacity's own lines (what `servingkit simulate` prints) stay without it.
    expect(backend?.capacity.logLines.some((l) => l.startsWith("Model loading"))).toBe(false);
    const old = readGpuEngineSettings(
      { gpu: "h100-80gb", "vllm-version": "0.12.0" },
      { maxModelLen: model.maxModelLen },
    );
    expect(old?.release).toBe("0.12.0");
    const created = createTextEngine({
      clock: new ManualClock(),
      model,
      ...(old ? { gpu: old } : {}),
    });
    expect(created.gpu?.startupLines).toContain(
      `Model loading took ${weightGiB.toFixed(4)} GiB and ${(
        (backend?.capacity.weightBytes ?? 0) / defaultWeightReadBytesPerSecond
      ).toFixed(6)} seconds`,
    );
  });

  test("vLLM 0.21.0 on takes its CUDA graph memory estimate off the cache; earlier releases do not", () => {
    // gpu_worker.py determine_available_memory (PR #30515, on by default since v0.21.0); the
    // estimate follows the default capture list (vllm/config/vllm.py _set_cudagraph_sizes).
    const settings = gpu({ "vllm-version": "0.21.0" });
    const at = (release: string) => engineStartup(gpu({ "vllm-version": release })).capacity;
    const old = at("0.20.0");
    const current = at("0.21.0");
    const capture = cudaGraphCapture(settings.model.layers, {
      maxNumSeqs: settings.maxNumSeqs,
      maxNumBatchedTokens: settings.maxNumBatchedTokens,
    });
    expect(old.tokens).toBe(engineStartup(gpu()).capacity.tokens);
    expect(old.availableKvBytes - current.availableKvBytes).toBe(capture.memoryBytes);
    expect(current.tokens).toBeLessThan(old.tokens);
    expect(old.logLines.some((l) => l.startsWith("CUDA graph memory profiling"))).toBe(false);
    expect(old.logLines.some((l) => l.startsWith("Profiling CUDA graph memory"))).toBe(false);
    expect(current.logLines).toEqual(expect.arrayContaining([...cudaGraphCaptureLines(capture)]));
    const lines = startupCacheLines(current, "0.21.0");
    const loading = lines.findIndex((l) => l.startsWith("Model loading took "));
    expect(lines[loading + 1]).toMatch(
      /^Profiling CUDA graph memory: PIECEWISE=\d+ \(largest=\d+\)/,
    );
    expect(lines[loading + 2]).toMatch(/^Estimated CUDA graph memory: [\d.]+ GiB total$/);
  });

  test("speculative tokens widen the capture list the 0.21.0 estimate follows", () => {
    // vllm/config/vllm.py: max_cudagraph_capture_size = min(max_num_seqs * (1 + k) * 2, 512).
    const plain = engineStartup(gpu({ "vllm-version": "0.21.0", "max-num-seqs": "8" })).capacity;
    const mtp = engineStartup(
      gpu({
        "vllm-version": "0.21.0",
        "max-num-seqs": "8",
        "speculative-config": JSON.stringify({ method: "ngram", num_speculative_tokens: 3 }),
      }),
    ).capacity;
    expect(plain.logLines).toContain(
      "Profiling CUDA graph memory: PIECEWISE=5 (largest=16), FULL=4 (largest=8)",
    );
    expect(mtp.logLines).toContain(
      "Profiling CUDA graph memory: PIECEWISE=9 (largest=64), FULL=5 (largest=32)",
    );
  });

  test("with --speculative-config the SpecDecoding line follows the stats line", async () => {
    // vllm/v1/spec_decode/metrics.py: LoggingStatLogger logs SpecDecodingLogging's line after its
    // own; vllm/config/vllm.py (PR #31998): n-gram drafting turns async scheduling off, warning.
    const clock = new ManualClock();
    const lines: string[] = [];
    const settings = readGpuEngineSettings(
      {
        gpu: "h100-80gb",
        "speculative-config": '{"method":"ngram","num_speculative_tokens":2}',
        "speculative-acceptance-rate": "1",
      },
      { maxModelLen: model.maxModelLen, asyncScheduling: true },
    );
    const created = createTextEngine({
      clock,
      model,
      ...(settings ? { gpu: settings } : {}),
      logger: { info: (line) => lines.push(line) },
    });
    expect(lines.at(-1)).toBe(
      "Async scheduling not supported with ngram-based speculative decoding and will be disabled.",
    );
    expect(created.gpu?.startupLines).toEqual(lines);
    const startup = lines.length;
    const seen = consume(created.engine.generate(request({ maxTokens: 16 })), clock);
    await runUntilDone(clock, [seen]);
    expect(seen.times).toHaveLength(16);
    await clock.advance(statsLogIntervalMs);
    const logged = lines.slice(startup);
    expect(logged[0]).toMatch(/^Engine 000: Avg prompt throughput/);
    // 16 tokens: 1 from the prefill, then 5 drafts of 2 all accepted (3 tokens each).
    expect(logged[1]).toMatch(
      /^SpecDecoding metrics: Mean acceptance length: 3\.00, Accepted throughput: [\d.]+ tokens\/s, Drafted throughput: [\d.]+ tokens\/s, Accepted: 10 tokens, Drafted: 10 tokens, Per-position acceptance rate: 1\.000, 1\.000, Avg Draft acceptance rate: 100\.0%$/,
    );
    created.close();
  });

  test("a tiny --gpu-memory-utilization fails start-up with vLLM's text", () => {
    // vllm/v1/core/kv_cache_utils.py: no memory left for the cache → vLLM's ValueError text.
    const start = () =>
      createTextEngine({
        clock: new ManualClock(),
        model,
        gpu: gpu({ "gpu-memory-utilization": "0.1" }),
      });
    expect(start).toThrow(KvCacheStartupError);
    expect(start).toThrow(
      "No available memory for the cache blocks. Try increasing `gpu_memory_utilization` when initializing the engine.",
    );
  });

  test("a max_model_len the cache cannot hold fails with the estimated maximum length", () => {
    // vllm/v1/core/kv_cache_utils.py check_enough_kv_cache_memory.
    const settings = readGpuEngineSettings(
      { gpu: "l4", "gpu-memory-utilization": "0.8" },
      { maxModelLen: 131_072 },
    );
    expect(() =>
      createTextEngine({ clock: new ManualClock(), model, ...(settings ? { gpu: settings } : {}) }),
    ).toThrow(/^To serve at least one request with the models's max seq len \(131072\)/);
  });

  test("the stats line comes every 5 s while there is traffic, then stops; close() stops it", async () => {
    // vllm-openai.md §8: "Engine 000: Avg prompt throughput: ..." about every 5 s; idle intervals stay quiet.
    const clock = new ManualClock();
    const lines: string[] = [];
    const created = createTextEngine({
      clock,
      model,
      gpu: gpu(),
      logger: { info: (line) => lines.push(line) },
    });
    const startup = lines.length;
    const seen = consume(created.engine.generate(request({ maxTokens: 16 })), clock);
    await runUntilDone(clock, [seen]);
    await clock.advance(statsLogIntervalMs * 4);
    const stats = lines.slice(startup);
    // One line for the busy interval and one for the interval after it; then quiet.
    expect(stats).toHaveLength(2);
    expect(stats[0]).toMatch(
      /^Engine 000: Avg prompt throughput: [\d.]+ tokens\/s, Avg generation throughput: [\d.]+ tokens\/s, Running: 0 reqs, Waiting: 0 reqs, GPU KV cache usage: 0\.0%, Prefix cache hit rate: [\d.]+%$/,
    );
    expect(stats[1]).toContain(
      "Avg prompt throughput: 0.0 tokens/s, Avg generation throughput: 0.0 tokens/s",
    );
    created.close();
    const again = consume(created.engine.generate(request({ maxTokens: 4 })), clock);
    await runUntilDone(clock, [again]);
    await clock.advance(statsLogIntervalMs * 2);
    expect(lines.slice(startup)).toHaveLength(2);
    expect(clock.pendingSleeps).toBe(0);
  });
});

describe("an EAGLE-3 drafter read from a local directory", () => {
  // yuhuili/EAGLE3-LLaMA3.1-Instruct-8B's config.json (gpu/testdata): one Llama layer of the
  // target's shapes, draft_vocab_size 32,000; speculative.ts drafterMemory counts it as vLLM's
  // llama_eagle3.py builds it: 849,635,328 B.
  const dir = fileURLToPath(new URL("../gpu/testdata/eagle3-llama3.1-8b", import.meta.url));
  const flags = (model: string) => ({
    gpu: "h100-80gb",
    "speculative-config": `{"method":"eagle3","model":"${model}","num_speculative_tokens":3}`,
  });
  const settingsOf = (values: Record<string, string>) => {
    const settings = readGpuEngineSettings(values, { maxModelLen: 8192 });
    if (!settings) throw new Error("unreachable");
    return settings;
  };

  test("shrinks the KV cache by the head's weights and adds its layer, in vLLM's log lines", () => {
    // gpu_model_runner.py load_model: the drafter loads inside the weights measurement;
    // eagle.py registers its attention layer beside the target's 32 (kv_cache_utils.py: one
    // group of 33). The formula's H100 numbers at max_model_len 8,192 (speculative.test.ts):
    // 446,848 tokens without the drafter, 427,024 with it.
    const plain = engineStartup(settingsOf({ gpu: "h100-80gb" }));
    const spec = engineStartup(settingsOf(flags(dir)));
    expect(plain.capacity.tokens).toBe(446_848);
    expect(spec.capacity.tokens).toBe(427_024);
    expect(spec.drafter).toEqual({
      weightBytes: 849_635_328,
      kvLayers: 1,
      sharesEmbeddings: true,
      sharesLmHead: false,
    });
    expect(spec.capacity.weightBytes - plain.capacity.weightBytes).toBe(849_635_328);
    expect(spec.core.numBlocks).toBe(427_024 / 16);
    expect(spec.capacity.logLines).toContain("GPU KV cache size: 427,024 tokens");
    expect(spec.capacity.logLines).toContain(
      `Maximum concurrency for 8,192 tokens per request: ${(427_024 / 16 / 512).toFixed(2)}x`,
    );
    // The fixed price (read only without the head's size): three chained passes, each reading
    // the head's own weights (its own 32k LM head) at the step model's achieved bandwidth:
    // 0.85 GB a pass, not a target layer + LM head (1.55 GB).
    const h100 = deviceProfile("h100-80gb");
    const efficiency = spec.core.stepTime.parameters.bandwidthEfficiency;
    expect(spec.core.speculative?.draftTime).toBeCloseTo(
      (3 * 849_635_328) / (h100.memoryBandwidth * efficiency),
      12,
    );
    const unread = engineStartup(settingsOf(flags("yuhuili/EAGLE3-LLaMA3.1-Instruct-8B")));
    expect(spec.core.speculative?.draftTime).toBeLessThan(
      (unread.core.speculative?.draftTime as number) * 0.6,
    );
  });

  test("the head's passes are priced from each step's load; a hub id keeps the fixed price", () => {
    // vllm/v1/spec_decode/eagle.py propose: the head runs as a model of its own, first over the
    // step's tokens, then k - 1 passes of one token a request (speculative.ts headStepTime).
    const spec = engineStartup(settingsOf(flags(dir)));
    const head = spec.core.speculative?.drafterStepTime;
    if (head === undefined) throw new Error("no drafterStepTime");
    const bandwidth =
      deviceProfile("h100-80gb").memoryBandwidth *
      spec.core.stepTime.parameters.bandwidthEfficiency;
    const fixedPass = (spec.core.speculative?.draftTime as number) / 3;
    const decodeLoad = (contexts: number[]) => {
      const load = emptyLoad();
      for (const c of contexts) addToLoad(load, 1, c);
      return load;
    };
    // Batch 1: the fixed price plus the head layer's KV, the target's per-layer 4 KiB a token
    // (Llama 3.1 8B: 8 KV heads × 128 × K and V × 2 B) over 2,001 tokens.
    expect(head.time(decodeLoad([2000]))).toBeCloseTo(fixedPass + (4096 * 2001) / bandwidth, 9);
    // 256 requests of 2,000 tokens: each pass reads 256 × 2,001+ tokens of the head's KV, the
    // 0.7-0.8 ms a pass the fixed price missed (speculative.test.ts).
    const contexts = new Int32Array(256).fill(2000);
    const scratch = emptyLoad();
    const three = proposeTime(head, decodeLoad([...contexts]), 3, contexts, 256, scratch);
    expect(three - 3 * fixedPass).toBeGreaterThan(3 * 0.0007);
    expect(three - 3 * fixedPass).toBeLessThan(3 * 0.0008);
    // A hub id: the head's size is unknown, the fixed k × draftPassTime as before.
    const unread = engineStartup(settingsOf(flags("yuhuili/EAGLE3-LLaMA3.1-Instruct-8B")));
    expect(unread.core.speculative?.drafterStepTime).toBeUndefined();
    expect(unread.core.speculative?.draftTime).toBeGreaterThan(0);
  });

  test("the running engine logs the smaller cache on the virtual clock and drafts", async () => {
    const clock = new ManualClock();
    const lines: string[] = [];
    const created = createTextEngine({
      clock,
      model,
      gpu: settingsOf({ ...flags(dir), "speculative-acceptance-rate": "1" }),
      logger: { info: (line) => lines.push(line) },
    });
    expect(lines).toContain("GPU KV cache size: 427,024 tokens");
    expect(lines.some((l) => l.includes("not counted"))).toBe(false);
    expect(created.gpu?.capacity.tokens).toBe(427_024);
    const seen = consume(created.engine.generate(request({ maxTokens: 9 })), clock);
    await runUntilDone(clock, [seen]);
    // 9 tokens: 1 from the prefill, then 2 steps of 3 drafts all accepted (4 tokens each).
    expect(seen.times).toHaveLength(9);
    expect(new Set(seen.times.slice(1)).size).toBe(2);
    created.close();
  });

  test("a hub id is not read: the cache as before, and the start-up log says so", () => {
    const hub = "yuhuili/EAGLE3-LLaMA3.1-Instruct-8B";
    const lines: string[] = [];
    const created = createTextEngine({
      clock: new ManualClock(),
      model,
      gpu: settingsOf(flags(hub)),
      logger: { info: (line) => lines.push(line) },
    });
    expect(created.gpu?.capacity.tokens).toBe(446_848);
    expect(lines).toContain("GPU KV cache size: 446,848 tokens");
    expect(lines.at(-1)).toBe(drafterNotCountedNote(hub));
    expect(engineStartup(settingsOf(flags(hub))).drafter).toBeUndefined();
    created.close();
  });
});

describe("an MTP drafter: the target's own MTP layers", () => {
  // A MiMo-7B-shaped config.json (speculative.test.ts): one MTP layer of 421,580,800 B (vllm
  // mimo_mtp.py), its attention a Qwen2 layer of the target's KV shape.
  const dir = mkdtempSync(join(tmpdir(), "servingkit-mtp-"));
  const configPath = join(dir, "config.json");
  writeFileSync(
    configPath,
    JSON.stringify({
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
    }),
  );
  const mtp = '{"method":"mtp","num_speculative_tokens":1}';
  const settingsOf = (values: Record<string, string>) => {
    const settings = readGpuEngineSettings({ gpu: "h100-80gb", ...values }, { maxModelLen: 8192 });
    if (!settings) throw new Error("unreachable");
    return settings;
  };

  test("MiMo's MTP layer takes its weights off the cache and joins the KV layers", () => {
    // speculative.py hf_config_override: MiMoForCausalLM → MiMoMTPModel with the target's
    // config; gpu_model_runner.py load_model counts the drafter with the target; eagle.py
    // registers its attention beside the target's 36 (one group of 37).
    const plain = engineStartup(settingsOf({ "model-config": configPath }));
    const settings = settingsOf({ "model-config": configPath, "speculative-config": mtp });
    expect(settings.startupWarnings).toEqual([]);
    const spec = engineStartup(settings);
    expect(spec.drafter?.kvLayers).toBe(1);
    expect(spec.capacity.weightBytes - plain.capacity.weightBytes).toBe(421_580_800);
    expect(spec.capacity.kvBytesPerToken).toBe(37 * 4096);
    expect(spec.capacity.availableKvBytes).toBe(plain.capacity.availableKvBytes - 421_580_800);
    expect(spec.capacity.numBlocks).toBe(
      Math.floor(spec.capacity.availableKvBytes / (16 * 37 * 4096)),
    );
    expect(spec.capacity.tokens).toBeLessThan(plain.capacity.tokens);
    expect(spec.capacity.logLines).toContain(
      `GPU KV cache size: ${spec.capacity.tokens.toLocaleString("en-US")} tokens`,
    );
    // One pass (k = 1): the MTP layer plus the target's LM head (151,680 × 4096 × 2 B).
    const efficiency = spec.core.stepTime.parameters.bandwidthEfficiency;
    expect(spec.core.speculative?.draftTime).toBeCloseTo(
      (421_580_800 + 151_680 * 4096 * 2) /
        (deviceProfile("h100-80gb").memoryBandwidth * efficiency),
      12,
    );
  });

  test("the MTP layer's pass is priced from the step's load (eagle.py propose)", () => {
    // One pass (k = 1): the fixed price (layer + shared LM head) plus the layer's KV, a Qwen2
    // layer of the target's shape: 8 KV heads × 128 × K and V × 2 B = 4 KiB a token.
    const spec = engineStartup(
      settingsOf({ "model-config": configPath, "speculative-config": mtp }),
    );
    const head = spec.core.speculative?.drafterStepTime;
    if (head === undefined) throw new Error("no drafterStepTime");
    const bandwidth =
      deviceProfile("h100-80gb").memoryBandwidth *
      spec.core.stepTime.parameters.bandwidthEfficiency;
    const load = addToLoad(emptyLoad(), 1, 999);
    expect(head.time(load)).toBeCloseTo(
      (spec.core.speculative?.draftTime as number) + (4096 * 1000) / bandwidth,
      9,
    );
  });

  test("a target the mock cannot read MTP layers from: as before, with a start-up note", () => {
    // The built-in Llama profile has no config.json (and Llama no MTP layers).
    const settings = settingsOf({ "speculative-config": mtp });
    expect(settings.startupWarnings).toEqual([mtpNotCountedNote]);
    expect(engineStartup(settings).drafter).toBeUndefined();
    expect(engineStartup(settings).capacity.tokens).toBe(
      engineStartup(settingsOf({})).capacity.tokens,
    );
  });
});

/**
 * A run's outputs as a stream frames them (vLLM one chunk per output): an awaited event, then
 * every event ready at once; each output's token count. The clock runs 1 ms at a time meanwhile.
 */
async function outputSizes(engine: TextEngine, r: GenerationRequest, clock: ManualClock) {
  const run = engine.generate(r)[Symbol.asyncIterator]();
  const ready = readySteps(run) as ReadySteps;
  const sizes: number[] = [];
  let finished = false;
  const done = (async () => {
    for (;;) {
      const first = await run.next();
      if (first.done || first.value.type === "finish") break;
      let size = 1;
      for (let next = ready.nextReady(); next !== undefined; next = ready.nextReady()) {
        if (next.done || next.value.type === "finish") break;
        size += 1;
      }
      sizes.push(size);
    }
    finished = true;
  })();
  await settle();
  for (let t = 0; t < 60_000 && !finished; t++) await clock.advance(1);
  await done;
  return sizes;
}

// vllm/v1/engine/output_processor.py make_request_output (vllm PR #27869, from 0.12.0): with
// stream_interval N an output goes out with the first token, then once N tokens gathered since
// the last one, and with the last; the output processor does it for every engine core, so the
// factory applies it to both engines (one rule, generation.ts streamIntervalSends).
describe("--stream-interval: the output processor's grouping for either engine", () => {
  test("the simple engine's runs are grouped by the option", async () => {
    const clock = new ManualClock();
    const { engine } = createTextEngine({
      clock,
      model,
      pacing: { interTokenMs: 10 },
      streamInterval: 3,
    });
    expect(engine.outputs).toBe("steps");
    expect(await outputSizes(engine, request({ maxTokens: 8 }), clock)).toEqual([1, 3, 3, 1]);
  });

  test("the GPU engine's runs are grouped by the option, on the virtual clock", async () => {
    const clock = new ManualClock();
    const { engine } = createTextEngine({ clock, model, gpu: gpu(), streamInterval: 3 });
    expect(await outputSizes(engine, request({ maxTokens: 8 }), clock)).toEqual([1, 3, 3, 1]);
  });

  // vllm/v1/engine/output_processor.py RequestOutputCollector.put: DELTA outputs the consumer has
  // not taken are merged, stream_interval or not (the gate decides which outputs exist).
  test("mergeOverdue: a late reader gets the interval's outputs made meanwhile as one", async () => {
    const clock = new ManualClock();
    const { engine } = createTextEngine({
      clock,
      model,
      pacing: { interTokenMs: 10 },
      streamInterval: 2,
      mergeOverdue: true,
    });
    const run = engine.generate(request({ maxTokens: 9 }))[Symbol.asyncIterator]();
    const ready = readySteps(run) as ReadySteps;
    expect((await run.next()).value).toMatchObject({ type: "token" });
    // Tokens 2-6 come due by 55 ms: outputs 2-3 and 4-5 were sent, token 6 waits for token 7.
    await clock.advance(55);
    const late = await run.next();
    let size = late.done ? 0 : 1;
    while (ready.nextReady() !== undefined) size += 1;
    expect(size).toBe(4);
  });

  test("refuses an interval that is not a whole number >= 1, for either engine", () => {
    const clock = new ManualClock();
    expect(() => createTextEngine({ clock, model, streamInterval: 0 })).toThrow(RangeError);
    expect(() => createTextEngine({ clock, model, gpu: gpu(), streamInterval: 1.5 })).toThrow(
      RangeError,
    );
  });
});

describe("a Mamba hybrid with speculative decoding", () => {
  // vllm/model_executor/layers/mamba/abstract.py get_kv_cache_spec: num_speculative_blocks is
  // num_speculative_tokens of any --speculative-config; kv_cache_interface.py
  // MambaSpec.max_memory_usage_bytes (mamba_cache_mode "none"): 1 + k pages a request.
  const dir = mkdtempSync(join(tmpdir(), "servingkit-granite-"));
  const configPath = join(dir, "config.json");
  writeFileSync(configPath, JSON.stringify(granite4HSmallConfig));
  const settingsOf = (values: Record<string, string>) => {
    const settings = readGpuEngineSettings(
      { gpu: "h100-80gb", "model-config": configPath, ...values },
      { maxModelLen: 8192 },
    );
    if (!settings) throw new Error("unreachable");
    return settings;
  };

  test("each Mamba layer holds 1 + k state pages a request in the maximum concurrency", () => {
    // granite-4.0-h-small: 4 attention and 36 Mamba layers in groups of 4 (kv_cache_utils.py;
    // model-shapes.test.ts): one attention group of 528-token blocks (16 a request at 8,192
    // tokens) and 9 Mamba groups; n-gram k = 3: 9 × 4 pages a request instead of 9. The pool is
    // the same.
    const plain = engineStartup(settingsOf({}));
    const spec = engineStartup(
      settingsOf({ "speculative-config": '{"method":"ngram","num_speculative_tokens":3}' }),
    );
    expect(spec.capacity.blockSize).toBe(528);
    expect(spec.capacity.numBlocks).toBe(plain.capacity.numBlocks);
    const line = (perRequest: number) =>
      `Maximum concurrency for 8,192 tokens per request: ${(plain.capacity.numBlocks / perRequest).toFixed(2)}x`;
    expect(plain.capacity.logLines).toContain(line(16 + 9));
    expect(spec.capacity.logLines).toContain(line(16 + 9 * 4));
  });

  test("prefix caching on a hybrid: vLLM's mode chosen by model and release, the core told", () => {
    // vllm/engine/arg_utils.py: prefix caching is opt-in for hybrids (default_prefix_caching ...
    // and not is_hybrid). vllm/model_executor/models/config.py MambaModelConfig (from 0.15.0, PR
    // #30877): with --enable-prefix-caching a mode left at "none" becomes "all" for a model class
    // declaring SupportsMambaPrefixCaching (GraniteMoeHybridForCausalLM), "align" with
    // speculative decoding; kv_cache_interface.py MambaSpec.max_memory_usage_bytes: align 2 + k
    // pages, all ceil(max_model_len / block) + k.
    const off = engineStartup(settingsOf({}));
    expect(off.core.enablePrefixCaching).toBe(false);
    expect(off.core.mambaCacheMode).toBe("none");
    // From 0.11.1 (PR #25752) a hybrid without caching logs no disabling line; before,
    // MambaModelConfig did.
    expect(off.capacity.logLines.some((l) => l.startsWith("Hybrid or mamba-based"))).toBe(false);
    const old = engineStartup(settingsOf({ "vllm-version": "0.11.0" }));
    expect(old.capacity.logLines[0]).toBe(
      "Hybrid or mamba-based model detected: disabling prefix caching since it is not yet supported.",
    );
    const cached = (values: Record<string, string>) =>
      readGpuEngineSettings(
        { gpu: "h100-80gb", "model-config": configPath, "enable-prefix-caching": true, ...values },
        { maxModelLen: 8192 },
      ) as NonNullable<ReturnType<typeof readGpuEngineSettings>>;
    const all = engineStartup(cached({}));
    expect(all.core.enablePrefixCaching).toBe(true);
    expect(all.core.mambaCacheMode).toBe("all");
    expect(all.core.blockSize).toBe(768);
    expect(all.capacity.logLines).toContain(
      `Maximum concurrency for 8,192 tokens per request: ${(all.capacity.numBlocks / (11 + 9 * 11)).toFixed(2)}x`,
    );
    const align = engineStartup(cached({ "mamba-cache-mode": "align" }));
    expect(align.core.mambaCacheMode).toBe("align");
    expect(align.capacity.logLines[0]).toBe(
      "Warning: Prefix caching in Mamba cache 'align' mode is currently enabled. Its support for Mamba layers is experimental. Please report any issues you may observe.",
    );
    expect(align.capacity.logLines).toContain(
      `Maximum concurrency for 8,192 tokens per request: ${(align.capacity.numBlocks / (16 + 9 * 2)).toFixed(2)}x`,
    );
    // 0.11.1 to 0.14.x (PR #25752): a Mamba2 hybrid caches in the one mode, our "all".
    const before = engineStartup(cached({ "vllm-version": "0.14.0" }));
    expect(before.core.enablePrefixCaching).toBe(true);
    expect(before.core.mambaCacheMode).toBe("all");
    expect(before.capacity.logLines[0]).toBe(
      "Warning: Prefix caching is currently enabled. Its support for Mamba layers is experimental. Please report any issues you may observe.",
    );
    // Before PR #25752 --enable-prefix-caching leaves a hybrid uncached (the disabling line).
    const older = engineStartup(cached({ "vllm-version": "0.11.0" }));
    expect(older.core.enablePrefixCaching).toBe(false);
    expect(older.core.mambaCacheMode).toBe("none");
  });
});
