/**
 * The one place a generative runtime's engine is chosen by configuration: without GPU settings
 * the simple engine (fixed latencies on a fixed schedule, for tests and simple use); with them
 * (`--gpu`, see gpu-engine-settings.ts) the same content on the simulated GPU's timing: KV
 * capacity sized as vLLM sizes it (failing with vLLM's start-up error), vLLM's start-up lines,
 * the engine's metrics, and vLLM's periodic stats line every 5 s while there is traffic.
 */
import type { Clock } from "../clock.js";
import { rankLogPrefix, stepsInLockStep } from "../gpu/data-parallel.js";
import type { EngineCoreConfig } from "../gpu/engine-core.js";
import { EngineMetrics } from "../gpu/engine-metrics.js";
import { expertParallelStartupLines } from "../gpu/expert-parallel.js";
import { GpuEngine } from "../gpu/gpu-engine.js";
import { type KvCapacity, kvCapacity } from "../gpu/kv-capacity.js";
import {
  cudaGraphCapture,
  modelLoadingLine,
  modelLoadingSeconds,
  profilesCudaGraphMemory,
  withModelLoadingLine,
} from "../gpu/model-loading.js";
import {
  type DrafterMemory,
  drafterMemory,
  draftModelProfile,
  draftModelStepTime,
  draftPassTime,
  headStepTime,
} from "../gpu/speculative.js";
import { StatsLogLine } from "../gpu/stats-log.js";
import { createStepTimeModel } from "../gpu/step-time.js";
import { type TextEngine, withStreamInterval } from "./generation.js";
import {
  type GpuEngineSettings,
  modelsMambaCacheMode,
  usesMamba2PrefixCaching,
} from "./gpu-engine-settings.js";
import { createGpuTextEngine } from "./gpu-text-engine.js";
import type { ModelSpec } from "./model-spec.js";
import { createSimpleEngine, mergesOverdue } from "./simple-engine.js";

/** vLLM logs its engine stats line every 5 s (vllm-openai.md §8). */
export const statsLogIntervalMs = 5000;

/** Where start-up and stats lines go: the host's pino logger fits. */
export interface EngineLogger {
  /** Logs one line at info level. */
  info(message: string): void;
}

/** Options of {@link createTextEngine}. */
export interface TextEngineOptions {
  /** Time source: `realClock` in a running mock, `ManualClock` in tests. */
  readonly clock: Clock;
  /** The served model; its `maxModelLen` caps prompt + output. */
  readonly model: ModelSpec;
  /** The simple engine's latencies in milliseconds (default 0 each); unused with `gpu`. */
  readonly pacing?: { readonly timeToFirstTokenMs?: number; readonly interTokenMs?: number };
  /** Simulated GPU settings (from readGpuEngineSettings); absent = the simple engine. */
  readonly gpu?: GpuEngineSettings;
  /** Receives vLLM's start-up lines and stats lines (GPU only); default: none. */
  readonly logger?: EngineLogger;
  /**
   * Where vLLM's metrics go: the simple engine meters every run into it, the GPU engine keeps
   * its simulation there. Default: none for the simple engine, a new one for the GPU engine
   * (`gpu.metrics`).
   */
  readonly metrics?: EngineMetrics;
  /**
   * vLLM's `--stream-interval`, in tokens: how the output processor groups a request's streamed
   * tokens (vllm/v1/engine/output_processor.py `make_request_output`, vllm PR #27869, from
   * 0.12.0), which vLLM applies whatever engine core runs, so it is taken here for both engines
   * with one rule (generation.ts `streamIntervalSends`): the simple engine's runs through
   * `withStreamInterval`, the GPU engine's in the paced run (createGpuTextEngine), per step.
   * The runtime that owns the flag reads it (the vLLM mock, per release) and hands the number
   * here; the GPU settings do not carry it. Default 1 (every output as it comes). A RangeError
   * for one that is not a whole number ≥ 1.
   */
  readonly streamInterval?: number;
  /**
   * The simple engine's `mergeOverdue` (simple-engine.ts): tokens that came due while a stream's
   * consumer was away go out as one output, as vLLM V1's RequestOutputCollector merges them
   * (PR #12298; V1 is vLLM's default engine from 0.8.0, PR #13726). The runtime decides (the vLLM
   * mock: by release; TGIS has no such collector). With a `streamInterval` > 1 the outputs the
   * interval sends are merged instead (`withStreamInterval`'s `mergeLate`: the collector merges
   * whatever outputs exist). Default false. Unused with `gpu` (the GPU engine's steps merge
   * already).
   */
  readonly mergeOverdue?: boolean;
}

/** The simulated GPU behind a text engine, for metrics, logs and tests. */
export interface GpuBackend {
  /** The engine on the clock (its `core` has the scheduler's gauges). */
  readonly engine: GpuEngine;
  /** vLLM's metrics kept from the simulation (simulated seconds). */
  readonly metrics: EngineMetrics;
  /** The KV cache as sized at start-up. */
  readonly capacity: KvCapacity;
  /**
   * The start-up lines vLLM prints about the KV cache, then its warnings about the settings (e.g.
   * async scheduling turned off for n-gram drafting), already given to the logger.
   */
  readonly startupLines: readonly string[];
}

/** What {@link createTextEngine} returns. */
export interface CreatedTextEngine {
  /** The engine handlers generate with. */
  readonly engine: TextEngine;
  /** The simulated GPU, when `gpu` was given. */
  readonly gpu?: GpuBackend;
  /** Stops the stats-line timer (call on shutdown); requests in flight end by their own signals. */
  close(): void;
}

/** What vLLM's start-up decides from the engine settings. */
export interface EngineStartup {
  /** The KV cache as vLLM sizes it, with its start-up log lines. */
  readonly capacity: KvCapacity;
  /** The scheduler's configuration: limits, policy, KV blocks and the device's step time. */
  readonly core: EngineCoreConfig;
  /**
   * The speculative drafter's memory when the mock knows it (an EAGLE head read from a local
   * config.json): counted in `capacity` and in the drafting time. Absent otherwise.
   */
  readonly drafter?: DrafterMemory;
}

/**
 * The drafter's memory vLLM loads for the speculative settings, when the mock can know it: an
 * EAGLE / EAGLE-3 head whose config.json was read (gpu-engine-settings.ts readDraftConfig), or
 * the MTP layers of a MiMo target read from its config.json (speculative.ts drafterMemory).
 * Undefined without speculation, for n-gram, for a head on the hub and for MTP families not
 * modelled (counted as before: no drafter weights or KV).
 */
export function drafterOf(settings: GpuEngineSettings): DrafterMemory | undefined {
  const { speculative } = settings;
  if (speculative?.draftConfig === undefined) return undefined;
  return drafterMemory({
    method: speculative.method,
    target: settings.model,
    tensorParallelSize: settings.tensorParallelSize,
    draftConfig: speculative.draftConfig,
  });
}

/**
 * vLLM's start-up for these settings: the KV capacity (throws KvCacheStartupError with vLLM's text
 * when one `maxModelLen` request cannot fit) and the scheduler configuration it implies. One
 * reading for the running mocks and for `servingkit simulate`.
 */
export function engineStartup(settings: GpuEngineSettings): EngineStartup {
  const { device, model, tensorParallelSize, speculative } = settings;
  const stepTime = createStepTimeModel({
    device,
    model,
    tensorParallelSize,
    ...(settings.enableExpertParallel === true ? { expertParallel: true } : {}),
    // gpu/expert-parallel.ts: EP over TP × DP GPUs, the all-to-all between data-parallel ranks.
    ...(settings.dataParallelSize === undefined
      ? {}
      : { dataParallelSize: settings.dataParallelSize }),
  });
  const drafter = drafterOf(settings);
  // vllm/model_executor/models/config.py MambaModelConfig: a hybrid served with prefix caching
  // keeps Mamba states in the mode the settings chose ("align": 2 + k state pages a group,
  // block-aligned chunks; "all": a state at every block boundary); with caching off, "none".
  const mambaCacheMode = settings.mambaCacheMode ?? "none";
  const capacity = kvCapacity({
    device,
    model,
    tensorParallelSize,
    gpuMemoryUtilization: settings.gpuMemoryUtilization,
    maxModelLen: settings.maxModelLen,
    maxNumBatchedTokens: settings.maxNumBatchedTokens,
    maxNumSeqs: settings.maxNumSeqs,
    ...(settings.disableHybridKvCacheManager === true ? { disableHybridKvCacheManager: true } : {}),
    ...(settings.enableExpertParallel === true ? { expertParallel: true } : {}),
    // gpu/expert-parallel.ts: with EP the experts spread over TP × DP GPUs.
    ...(settings.dataParallelSize === undefined
      ? {}
      : { dataParallelSize: settings.dataParallelSize }),
    // gpu_worker.py (0.21.0 on): CUDA graph memory comes off the cache before it is sized, an
    // estimate that follows vLLM's default capture list and the model's layers.
    ...(profilesCudaGraphMemory(settings.release)
      ? {
          cudaGraphCapture: cudaGraphCapture(model.layers, {
            maxNumSeqs: settings.maxNumSeqs,
            maxNumBatchedTokens: settings.maxNumBatchedTokens,
            numSpeculativeTokens: speculative?.numSpeculativeTokens ?? 0,
          }),
        }
      : {}),
    ...(drafter === undefined ? {} : { drafter }),
    // mamba/abstract.py get_kv_cache_spec: every Mamba layer holds 1 + k state pages a request
    // with any --speculative-config (ignored by models without Mamba layers).
    numSpeculativeBlocks: speculative?.numSpeculativeTokens ?? 0,
    mambaCacheMode,
    // Before vLLM 0.15.0 MambaModelConfig logs that it turns prefix caching off for a hybrid.
    mambaDisablingLine: !modelsMambaCacheMode(settings.release),
    // 0.11.1 to 0.14.x (PR #25752): the experimental line without a mode, no disabling line.
    mamba2PrefixCachingLines: usesMamba2PrefixCaching(settings.release),
  });
  return {
    capacity,
    ...(drafter === undefined ? {} : { drafter }),
    core: {
      // The cache manager's groups: the model's own unless --disable-hybrid-kv-cache-manager
      // unified them (the step-time model keeps the sliding layers' window for compute).
      ...(settings.disableHybridKvCacheManager === true ? { kvLayout: capacity.layout } : {}),
      numBlocks: capacity.numBlocks,
      blockSize: capacity.blockSize,
      maxNumSeqs: settings.maxNumSeqs,
      maxNumBatchedTokens: settings.maxNumBatchedTokens,
      maxModelLen: capacity.maxModelLen,
      schedulingPolicy: settings.schedulingPolicy,
      enablePrefixCaching: settings.enablePrefixCaching,
      mambaCacheMode,
      longPrefillTokenThreshold: settings.longPrefillTokenThreshold,
      maxLoras: settings.maxLoras,
      asyncScheduling: settings.asyncScheduling,
      stepTime,
      ...(speculative === undefined
        ? {}
        : {
            speculative: {
              method: speculative.method,
              numSpeculativeTokens: speculative.numSpeculativeTokens,
              acceptanceRates: speculative.acceptanceRates,
              ...(speculative.promptLookupMin === undefined
                ? {}
                : {
                    promptLookupMin: speculative.promptLookupMin,
                    promptLookupMax: speculative.promptLookupMax ?? speculative.promptLookupMin,
                  }),
              ...(speculative.draftFromContent === true ? { draftFromContent: true } : {}),
              // EAGLE-family heads draft k tokens in a chain: k passes per step (read only when
              // the head's size is unknown: a hub id; drafterStepTime below otherwise).
              draftTime:
                speculative.numSpeculativeTokens *
                draftPassTime({
                  method: speculative.method,
                  device,
                  model,
                  tensorParallelSize,
                  bandwidthEfficiency: stepTime.parameters.bandwidthEfficiency,
                  ...(drafter === undefined ? {} : { drafter }),
                }),
              // A separate draft model (vllm draft_model.py, eagle.py propose): its passes priced
              // from the step's load by the step-time model on the draft's own shape.
              ...(speculative.method === "draft_model" && speculative.draftConfig !== undefined
                ? {
                    drafterStepTime: draftModelStepTime({
                      device,
                      draft: draftModelProfile(model, speculative.draftConfig),
                      tensorParallelSize: speculative.draftTensorParallelSize ?? tensorParallelSize,
                      parameters: stepTime.parameters,
                    }),
                  }
                : {}),
              // An EAGLE / EAGLE-3 / MTP head whose size is known (eagle.py propose): its passes
              // priced from the step's load on its own weights and KV layers.
              ...(drafter !== undefined &&
              (speculative.method === "eagle" ||
                speculative.method === "eagle3" ||
                speculative.method === "mtp")
                ? {
                    drafterStepTime: headStepTime({
                      device,
                      model,
                      drafter,
                      method: speculative.method,
                      ...(speculative.draftConfig === undefined
                        ? {}
                        : { draftConfig: speculative.draftConfig }),
                      tensorParallelSize,
                      parameters: stepTime.parameters,
                    }),
                  }
                : {}),
            },
          }),
    },
  };
}

/**
 * The start-up lines a running mock prints about the model and its cache: the KV capacity's lines
 * with vLLM's "Model loading took" line (model-loading.ts) where vLLM prints it, for the weights
 * on one GPU loaded at the assumed read rate, worded as `release` words it. (`servingkit
 * simulate` prints the capacity's lines alone.)
 */
export function startupCacheLines(capacity: KvCapacity, release?: string): string[] {
  const weightBytes = capacity.weightBytes;
  return withModelLoadingLine(
    capacity.logLines,
    modelLoadingLine(weightBytes, modelLoadingSeconds(weightBytes), release),
  );
}

/**
 * The start-up cache lines as a data-parallel deployment logs them: every rank's engine core logs
 * its own, prefixed as vLLM's `decorate_logs` prefixes a rank's lines (data-parallel.ts
 * rankLogPrefix), rank by rank. One rank: the lines as they are.
 */
export function dataParallelCacheLines(lines: readonly string[], ranks: number): string[] {
  if (ranks <= 1) return [...lines];
  const out: string[] = [];
  for (let rank = 0; rank < ranks; rank++)
    for (const line of lines) out.push(`${rankLogPrefix(rank)} ${line}`);
  return out;
}

/**
 * Creates the engine the settings ask for; see the module comment. Throws a KvCacheStartupError
 * with vLLM's text when one `maxModelLen` request cannot fit in the modelled GPU's KV cache.
 */
export function createTextEngine(options: TextEngineOptions): CreatedTextEngine {
  const { clock, model, gpu: settings, logger } = options;
  const streamInterval = options.streamInterval ?? 1;
  if (settings === undefined) {
    // Overdue tokens merge by one rule (simple-engine.ts mergesOverdue: asked for and paced): in
    // the simple engine itself with an interval of 1, else as withStreamInterval's late outputs.
    const merges = mergesOverdue({
      ...options.pacing,
      fixedSchedule: true,
      mergeOverdue: options.mergeOverdue === true,
    });
    const simple = createSimpleEngine({
      clock,
      model,
      ...options.pacing,
      fixedSchedule: true,
      mergeOverdue: merges && streamInterval === 1,
      ...(options.metrics ? { metrics: options.metrics } : {}),
    });
    // An interval of 1 sends every output as it comes: the engine as it is (merging or not).
    const engine =
      streamInterval === 1 ? simple : withStreamInterval(simple, streamInterval, merges);
    return { engine, close() {} };
  }
  const { capacity, core } = engineStartup(settings);
  const metrics = options.metrics ?? new EngineMetrics(settings.maxModelLen);
  // --data-parallel-size: ranks 1 … N-1 keep their own metrics (rank 0 keeps `metrics`), listed
  // on rank 0's for /metrics and the stats lines (engine-metrics.ts dataParallelEngines).
  const dataParallelSize = settings.dataParallelSize ?? 1;
  const rankMetrics = Array.from(
    { length: dataParallelSize - 1 },
    () => new EngineMetrics(settings.maxModelLen),
  );
  if (dataParallelSize > 1) metrics.dataParallelEngines = [metrics, ...rankMetrics];
  const engine = new GpuEngine({
    ...core,
    clock,
    timeScale: settings.timeScale,
    metrics,
    dataParallelSize,
    rankMetrics,
    // data-parallel.ts: a MoE model's ranks publish their counts to the router, a dense one's not.
    publishesCounts: settings.model.moe !== undefined,
    // data-parallel.ts stepsInLockStep: a MoE model's ranks step together (DPEngineCoreProc).
    lockStep: stepsInLockStep(settings.model.moe !== undefined, dataParallelSize),
  });
  const startupLines = [
    // gpu/expert-parallel.ts: each rank's "[EP Rank r/N]" line as its MoE layers load (TP 1).
    ...(settings.enableExpertParallel === true && settings.model.moe !== undefined
      ? expertParallelStartupLines(
          settings.model.moe.experts,
          settings.tensorParallelSize,
          dataParallelSize,
        )
      : []),
    ...dataParallelCacheLines(startupCacheLines(capacity, settings.release), dataParallelSize),
    ...(settings.startupWarnings ?? []),
  ];
  for (const line of startupLines) logger?.info(line);
  const stopped = new AbortController();
  let logging = false;
  /** vLLM's stats line every interval while there is traffic (StatsLogLine.quiet ends it). */
  const logStats = async (sink: EngineLogger) => {
    logging = true;
    // One line per data-parallel rank ("Engine 000: …", "Engine 001: …"), from its own metrics.
    const ranks = metrics.dataParallelEngines ?? [metrics];
    const stats = ranks.map((rank, index) => new StatsLogLine(rank, engine.now(), index));
    try {
      for (;;) {
        await clock.sleep(statsLogIntervalMs, stopped.signal);
        let quiet = true;
        for (const rank of stats) {
          const line = rank.next(engine.now());
          if (rank.quiet) continue;
          quiet = false;
          sink.info(line);
          const spec = rank.specDecodeLine;
          if (spec !== undefined) sink.info(spec);
        }
        if (quiet && !engine.hasWork()) return;
      }
    } catch {
      // stopped
    } finally {
      logging = false;
    }
  };
  const content = createSimpleEngine({ clock, model });
  const timed = createGpuTextEngine({
    content,
    gpu: engine,
    streamInterval,
  });
  return {
    engine: {
      outputs: timed.outputs,
      generate(request, generateOptions) {
        const events = timed.generate(request, generateOptions);
        if (logger && !logging && !stopped.signal.aborted) void logStats(logger);
        return events;
      },
    },
    gpu: { engine, metrics, capacity, startupLines },
    close: () => stopped.abort(),
  };
}
