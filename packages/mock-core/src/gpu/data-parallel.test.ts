import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ManualClock } from "../clock.js";
import type { GenerationEvent, GenerationRequest } from "../engine/generation.js";
import { readGpuEngineSettings } from "../engine/gpu-engine-settings.js";
import { defaultModelSpec } from "../engine/model-spec.js";
import {
  createTextEngine,
  engineStartup,
  startupCacheLines,
  statsLogIntervalMs,
} from "../engine/text-engine-factory.js";
import {
  DataParallelRouter,
  lockStepSeconds,
  type RankCounts,
  rankLogPrefix,
  stepsInLockStep,
} from "./data-parallel.js";
import { deviceProfile } from "./device-profiles.js";
import { allToAllSeconds, expertParallelLine } from "./expert-parallel.js";
import { modelProfileFromConfig, moeWeightSplit } from "./model-profiles.js";
import { deepseekV3Config, mixtral8x7bConfig } from "./moe-hybrid-configs.js";
import { addToLoad, createStepTimeModel, emptyLoad } from "./step-time.js";

describe("DataParallelRouter", () => {
  it("spreads a dense model's requests round robin from rank 0 on its own counts", () => {
    // vllm/v1/engine/core_client.py get_core_engine_for_request: score waiting * 4 + running,
    // strict < keeps the first rank on a tie, the chosen rank's local waiting count goes up by
    // client_count (1); a dense model's ranks publish no counts (run_engine_core builds
    // DPEngineCoreProc only for MoE), so nothing replaces the local counts.
    const busy: RankCounts = { waiting: 9, running: 9 };
    const router = new DataParallelRouter([busy, busy, busy], false);
    expect(Array.from({ length: 7 }, (_, i) => router.choose(i))).toEqual([0, 1, 2, 0, 1, 2, 0]);
  });

  it("with published counts takes the lowest waiting * 4 + running, refreshed every 100 ms", () => {
    // coordinator.py stats_update_interval_ms 100: the engines' own counts replace the local ones.
    const ranks = [
      { waiting: 0, running: 5 },
      { waiting: 1, running: 0 },
    ];
    const router = new DataParallelRouter(ranks, true);
    expect(router.choose(0)).toBe(1); // 5 against 4
    expect(router.choose(0.05)).toBe(0); // 5 against 2 * 4 (local +1 on rank 1)
    expect(router.choose(0.06)).toBe(1); // 9 against 8
    ranks[1] = { waiting: 0, running: 6 };
    expect(router.choose(0.09)).toBe(0); // no snapshot yet: 9 against 12
    expect(router.choose(0.1)).toBe(0); // snapshot: 5 against 6
    expect(router.choose(0.15)).toBe(1); // 9 against 6
  });

  it("keeps the first rank on a tie of scores", () => {
    const router = new DataParallelRouter(
      [
        { waiting: 1, running: 0 },
        { waiting: 0, running: 4 },
      ],
      true,
    );
    expect(router.choose(0)).toBe(0);
    expect(router.size).toBe(2);
  });

  it("refuses an empty rank list", () => {
    expect(() => new DataParallelRouter([], false)).toThrow(RangeError);
  });
});

describe("rankLogPrefix", () => {
  it("names the rank's engine core process as vLLM's decorate_logs does", () => {
    // vllm/v1/engine/utils.py CoreEngineProcManager: process name EngineCore_DP<rank>.
    expect(rankLogPrefix(1, 4242)).toBe("(EngineCore_DP1 pid=4242)");
    expect(rankLogPrefix(0)).toBe(`(EngineCore_DP0 pid=${process.pid})`);
  });
});

const model = await defaultModelSpec();
const prompt = model.tokenizer.encode("Tell me something about the weather in the mountains.");

function settings(values: Record<string, string | boolean>) {
  return readGpuEngineSettings({ gpu: "h100-80gb", ...values }, { maxModelLen: model.maxModelLen });
}

async function drain(events: AsyncIterable<GenerationEvent>): Promise<number> {
  let tokens = 0;
  for await (const event of events) if (event.type === "token") tokens++;
  return tokens;
}

describe("--data-parallel-size through the text engine", () => {
  it("reads the flag, refuses bad values, and takes expert parallelism with it", () => {
    expect(settings({ "data-parallel-size": "4" })?.dataParallelSize).toBe(4);
    expect(settings({})?.dataParallelSize).toBeUndefined();
    expect(() => settings({ "data-parallel-size": "0" })).toThrow(
      "--data-parallel-size: '0' is not a whole number >= 1",
    );
    // vLLM docs "Expert Parallel Deployment": wide EP is EP with DP > 1 (EP size = TP × DP).
    const wide = settings({ "data-parallel-size": "2", "enable-expert-parallel": true });
    expect(wide?.dataParallelSize).toBe(2);
    expect(wide?.enableExpertParallel).toBe(true);
    expect(() =>
      readGpuEngineSettings({ "data-parallel-size": "2" }, { maxModelLen: model.maxModelLen }),
    ).toThrow("--data-parallel-size needs --gpu DEVICE");
  });

  it("logs each rank's cache lines and stats line, and serves on every rank", async () => {
    const gpu = settings({ "data-parallel-size": "2", "time-scale": "100" });
    if (gpu === undefined) throw new Error("unreachable");
    const clock = new ManualClock();
    const lines: string[] = [];
    const created = createTextEngine({
      clock,
      model,
      gpu,
      logger: { info: (line) => lines.push(line) },
    });
    // Every rank's engine core sizes and logs its own KV cache (one replica per rank).
    const cache = startupCacheLines(engineStartup(gpu).capacity, gpu.release);
    expect(lines.slice(0, 2 * cache.length)).toEqual([
      ...cache.map((line) => `${rankLogPrefix(0)} ${line}`),
      ...cache.map((line) => `${rankLogPrefix(1)} ${line}`),
    ]);
    const startup = lines.length;
    const request: GenerationRequest = { promptIds: prompt, maxTokens: 8, ignoreEos: true };
    const runs = [
      drain(created.engine.generate(request)),
      drain(created.engine.generate({ ...request, seed: 2 })),
    ];
    const ranks = created.gpu?.engine.ranks ?? [];
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(ranks.map((rank) => rank.core.waiting + rank.core.running)).toEqual([1, 1]);
    for (let t = 0; t < 1000; t++) await clock.advance(1);
    expect(await Promise.all(runs)).toEqual([8, 8]);
    await clock.advance(statsLogIntervalMs);
    // vllm/v1/metrics/loggers.py LoggingStatLogger: one "Engine %03d:" line per engine index.
    const stats = lines.slice(startup);
    expect(stats.map((line) => line.slice(0, 11))).toEqual(["Engine 000:", "Engine 001:"]);
    const metrics = created.gpu?.metrics;
    expect(metrics?.dataParallelEngines?.map((rank) => rank.generationTokens)).toEqual([8, 8]);
    created.close();
  });
});

describe("lock-step of a MoE model's data-parallel ranks", () => {
  // vllm/v1/engine/core.py DPEngineCoreProc.run_busy_loop: a rank that executed nothing while the
  // engines are running calls execute_dummy_batch (gpu_worker.py _dummy_run(1)); the MoE
  // all-to-all waits for every rank, so a step lasts as long as the slowest rank's.
  const device = deviceProfile("h100-80gb");
  const deepseek = modelProfileFromConfig(deepseekV3Config);
  const stepTime = createStepTimeModel({
    device,
    model: deepseek,
    expertParallel: true,
    dataParallelSize: 2,
  });
  const dummy = stepTime.time(addToLoad(emptyLoad(), 1, 0));

  it("an idle rank runs the one-token dummy batch, and the step waits for the slowest rank", () => {
    const busy = stepTime.time(addToLoad(emptyLoad(), 512, 0));
    expect(dummy).toBeGreaterThan(0);
    expect(busy).toBeGreaterThan(dummy);
    // Rank 1 has nothing scheduled: it still steps (its dummy), and both wait for rank 0.
    expect(lockStepSeconds([busy, 0], dummy)).toBe(busy);
    // Two light ranks: the dummy (a full weight read) paces a step lighter than itself.
    expect(lockStepSeconds([dummy / 2, 0], dummy)).toBe(dummy);
    // Every rank idle: the wave is over, nothing steps.
    expect(lockStepSeconds([0, 0], dummy)).toBe(0);
    expect(lockStepSeconds([], dummy)).toBe(0);
  });

  it("steps in lock step only for a MoE model with more than one rank", () => {
    // core.py run_engine_core: DPEngineCoreProc for a MoE model with DP > 1; dense ranks run alone.
    expect(stepsInLockStep(true, 2)).toBe(true);
    expect(stepsInLockStep(true, 1)).toBe(false);
    expect(stepsInLockStep(false, 4)).toBe(false);
  });
});

describe("expert parallelism with --data-parallel-size through engine start-up", () => {
  it("spreads the experts over TP × DP GPUs and adds the all-to-all to the step", () => {
    // vLLM docs "Expert Parallel Deployment": EP size = TP × DP; fused_moe/config.py
    // use_all2all_kernels = dp_size > 1 and use_ep: the all-to-all runs only across DP ranks.
    const dir = mkdtempSync(join(tmpdir(), "ep-dp-"));
    const config = join(dir, "config.json");
    writeFileSync(config, JSON.stringify(mixtral8x7bConfig));
    const values = {
      "model-config": config,
      "enable-expert-parallel": true,
      "tensor-parallel-size": "2",
    };
    const startup = (extra: Record<string, string>) => {
      const gpu = settings({ ...values, ...extra });
      if (gpu === undefined) throw new Error("no GPU settings");
      return engineStartup(gpu);
    };
    const one = startup({});
    const two = startup({ "data-parallel-size": "2" });
    // 8 experts: 4 on each GPU of TP 2 × DP 1, 2 on each of TP 2 × DP 2: two experts' bytes
    // fewer a GPU (expertParallelWeightBytesPerGpu), so a larger cache on every rank.
    const expert = moeWeightSplit(modelProfileFromConfig(mixtral8x7bConfig), 1)?.expertBytes ?? 0;
    expect(one.capacity.weightBytes - two.capacity.weightBytes).toBe(2 * expert);
    expect(two.capacity.tokens).toBeGreaterThan(one.capacity.tokens);
    // 64 decoding sequences: a weight-bound step that picks every expert.
    const step = emptyLoad();
    for (let i = 0; i < 64; i++) addToLoad(step, 1, 1000);
    const a2a = allToAllSeconds(
      modelProfileFromConfig(mixtral8x7bConfig),
      deviceProfile("h100-80gb"),
      64,
      2,
      two.core.stepTime.parameters.allReduceLatency,
    );
    expect(a2a).toBeGreaterThan(0);
    // DP 2 reads 2 experts fewer a GPU (64 tokens pick all of them) and pays the all-to-all.
    const twoExperts =
      (2 * (moeWeightSplit(modelProfileFromConfig(mixtral8x7bConfig), 1)?.expertBytes ?? 0)) /
      (deviceProfile("h100-80gb").memoryBandwidth *
        two.core.stepTime.parameters.bandwidthEfficiency);
    expect(two.core.stepTime.time(step)).toBeLessThan(one.core.stepTime.time(step));
    expect(two.core.stepTime.time(step) - (one.core.stepTime.time(step) - twoExperts)).toBeCloseTo(
      a2a,
      3,
    );
  });
});

describe("start-up lines and lock step of a MoE model over data-parallel ranks", () => {
  it("logs each rank's [EP Rank r/N] line before the cache lines, and steps the ranks together", async () => {
    // vllm/v1/engine/utils.py: rank r runs as EngineCore_DP<r>; with TP 1 the model (and its
    // expert-parallel line, fused_moe info_once) loads in that process, before the KV cache is
    // sized. core.py run_engine_core: a MoE model with DP > 1 runs DPEngineCoreProc (lock step).
    const dir = mkdtempSync(join(tmpdir(), "ep-lines-"));
    const config = join(dir, "config.json");
    writeFileSync(config, JSON.stringify(mixtral8x7bConfig));
    const gpu = settings({
      "model-config": config,
      "enable-expert-parallel": true,
      "data-parallel-size": "2",
      "time-scale": "100",
    });
    if (gpu === undefined) throw new Error("no GPU settings");
    const clock = new ManualClock();
    const lines: string[] = [];
    const created = createTextEngine({
      clock,
      model,
      gpu,
      logger: { info: (line) => lines.push(line) },
    });
    expect(lines.slice(0, 2)).toEqual([
      `${rankLogPrefix(0)} ${expertParallelLine(8, 2, 0)}`,
      `${rankLogPrefix(1)} ${expertParallelLine(8, 2, 1)}`,
    ]);
    expect(lines[2]?.startsWith(rankLogPrefix(0))).toBe(true);
    expect(lines.filter((line) => line.includes("[EP Rank"))).toHaveLength(2);
    // Two requests of different lengths, one on each rank, served to the end in lock step (its
    // timing: gpu-engine.test.ts), and no work left once both finished.
    const ranks = created.gpu?.engine.ranks ?? [];
    const request: GenerationRequest = { promptIds: prompt, maxTokens: 8, ignoreEos: true };
    const runs = [
      drain(created.engine.generate(request)),
      drain(
        created.engine.generate({ ...request, promptIds: [...prompt, ...prompt], maxTokens: 4 }),
      ),
    ];
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(ranks.map((rank) => rank.core.waiting + rank.core.running)).toEqual([1, 1]);
    for (let t = 0; t < 1000; t++) await clock.advance(1);
    expect(await Promise.all(runs)).toEqual([8, 4]);
    await created.gpu?.engine.idle();
    expect(created.gpu?.engine.hasWork()).toBe(false);
    created.close();
  });
});
