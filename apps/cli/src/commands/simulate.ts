/**
 * `servingkit simulate`: runs a workload through the modelled GPU and vLLM V1 scheduler of
 * `@servingkit/mock-core` in virtual time and reports it as `vllm bench serve` reports a real run
 * (or a load sweep as a table and a chart, SVG or PNG). No clock, no GPU, no server: an hour of traffic
 * takes seconds. This file resolves the command line into an engine and a workload and prints;
 * the simulation, the report and the chart are mock-core's.
 */
import { readFile, writeFile } from "node:fs/promises";
import {
  type ArrivalOptions,
  assignLoras,
  EngineConfigError,
  type EngineStartup,
  engineStartup,
  formatBenchSummary,
  formatSpecDecodeLogLine,
  formatSweepTable,
  formatTrafficHeader,
  type GpuEngineSettings,
  KvCacheStartupError,
  modelProfiles,
  randomDataset,
  readGpuEngineSettings,
  requestArrivals,
  runSweep,
  type SimulatedRequest,
  type SimulationConfig,
  shareGptLike,
  simulate,
  summarizeRun,
  sweepChartSvg,
} from "@servingkit/mock-core";
import { type CliIo, exitCodes, UsageError } from "../cli-io.js";
import type { Command } from "../command.js";
import { parseSimulateArgs, type SimulateArgs } from "./simulate-args.js";
import { chartFile } from "./simulate-chart.js";
import { parseRequestsJsonl, RequestsFileError } from "./simulate-requests.js";

const help = `Usage: servingkit simulate [options]

Runs a workload through a modelled GPU running vLLM's V1 scheduler (token budget, chunked
prefill, 16-token KV blocks, prefix caching, preemption) in virtual time, and prints what
'vllm bench serve' prints for a real run: throughput, and mean / median / P99 of TTFT, TPOT
and ITL (end-to-end latency on request) in milliseconds. Deterministic: the same flags give the
same report.

Engine (vllm serve's flags):
  --gpu ID                     h100-80gb (default), h200, a100-80gb, a100-40gb, l40s, l4, mi300x
  --model-config M             a built-in model (default llama-3.1-8b; also
                               ${Object.keys(modelProfiles)
                                 .filter((id) => id !== "llama-3.1-8b")
                                 .join(", ")})
                               or the path of a Hugging Face config.json
  --tensor-parallel-size N     GPUs one replica is split over (default 1)
  --data-parallel-size N       replicas (vLLM -dp), each on its own --tensor-parallel-size
                               GPUs with its own scheduler and KV cache; each request goes to
                               the replica with the lowest waiting x 4 + running, as vLLM's
                               API server routes it (default 1); with
                               --enable-expert-parallel the experts spread over TP x DP GPUs
                               and every MoE layer adds an all-to-all (an estimate)
  --gpu-memory-utilization F   fraction of GPU memory vLLM may use, in (0, 1] (default 0.9)
  --max-num-seqs N             most requests running at once (default: vLLM's for the GPU,
                               1024 on H100/H200/MI300X, 256 on others)
  --max-num-batched-tokens N   token budget of one step (default: 8192 on H100/H200/MI300X,
                               2048 on others)
  --max-model-len N            longest prompt + output in tokens (default: the model's
                               max_position_embeddings)
  --scheduling-policy P        fcfs (default) or priority
  --no-enable-prefix-caching   turn prefix caching off (on by default, as in vLLM V1)
  --enable-prefix-caching      a hybrid (Mamba) model caches prefixes too: off by default
                               for hybrids (vLLM 0.15.0 on: opt-in; before 0.15.0 vLLM turns
                               it off with its disabling line)
  --mamba-cache-mode M         with --enable-prefix-caching on a hybrid: none, align or all
                               (vLLM's flag from 0.15.0): which Mamba states are kept for
                               hits (default vLLM's choice by model: all for Granite 4.0 H,
                               whose blocks grow to a multiple of its chunk size; align for
                               Qwen3-Next or with --speculative-config)
  --long-prefill-token-threshold N
                               most prefill tokens one request gets per step (default 0: no
                               limit)
  --max-loras N                most distinct LoRA adapters in one step (default 1); requests
                               of other adapters wait, the others go past them
  --async-scheduling           schedule each step while the one before it runs (vLLM
                               --async-scheduling): a request arriving mid-step waits one
                               step more (default off); with an ngram --speculative-config
                               vLLM refuses to start (from 0.11.1; exit 1)
  --speculative-config JSON    speculative decoding as vLLM's flag, e.g.
                               '{"method":"ngram","num_speculative_tokens":3}' (ngram,
                               eagle, eagle3 with "model", mtp, draft_model from 0.15.0);
                               default off; an EAGLE or draft "model" that is a local
                               directory: its config.json sizes the drafter's weights and KV
                               (an EAGLE hub id is not read; a draft model must be local)
  --speculative-acceptance-rate R|R1,R2,...
                               draft acceptance: one per-token rate (position i accepted with
                               R^(i+1)) or one non-increasing rate per position (default 0.7)
  --disable-sliding-window     a sliding-window model (its config.json's sliding_window) with
                               full attention on every layer, max model length capped to the
                               window (vLLM --disable-sliding-window; default off)
  --disable-hybrid-kv-cache-manager
                               a model with sliding and full layers (Gemma 2/3) keeps full
                               KV on every layer in one group: fewer tokens fit, the sliding
                               layers still attend over their window (vLLM's flag; default off)
  --enable-expert-parallel     a MoE model's routed experts placed whole over the
                               TP x DP GPUs (vLLM's flag, EP size = TP x DP): weight memory,
                               KV capacity and the experts each GPU reads per step follow;
                               with one data-parallel rank communication stays tensor
                               parallelism's all-reduce, with more every MoE layer adds
                               vLLM's default allgather_reducescatter all-to-all; default off
  --quantization M             the checkpoint's weight quantization (its config.json's
                               quantization_config: fp8, awq, gptq, compressed-tensors,
                               bitsandbytes, mxfp4 are sized) or a kernel variant of it
                               (awq_marlin, gptq_marlin, marlin); another method stops
                               start-up with vLLM's mismatch text (exit 1); on an unquantized
                               model fp8 loads one-byte layer weights (default: the
                               checkpoint's)
  --kv-cache-dtype D           auto (default: the model dtype), bfloat16, fp8, fp8_e4m3,
                               fp8_e5m2 or fp8_ds_mla: the fp8 kinds take one byte per KV
                               element, about twice the tokens of a 16-bit cache; on DeepSeek
                               V3.2 (sparse MLA) any fp8 kind is FlashMLA Sparse's 656-byte
                               record plus the indexer's 132-byte key per token per layer
  --vllm-version X             the vLLM release whose start-up refusals apply: a separate
                               draft model (method draft_model) stops 0.11.0 to 0.14.x with
                               vLLM's NotImplementedError text; from 0.21.0 the CUDA graph
                               memory estimated from the capture list (vLLM's sizes for
                               --max-num-seqs, about 118 KiB per graph per layer) comes off
                               the KV cache, with vLLM's lines about it (default: none, no release
                               rule; other release defaults, e.g. async scheduling, do not
                               follow it)

Workload (vllm bench serve's flags):
  --dataset-name D             random (default): lengths uniform around --random-input-len /
                               --random-output-len; sharegpt: a synthetic ShareGPT-like mix
                               (heavy-tailed lengths, prompts ≤ 1024, prompt + output ≤ 2048)
  --num-prompts N              requests to send (default 1000; in a sweep, per level:
                               default 20 × the level, at least 100)
  --random-input-len N         prompt tokens (default 1024)
  --random-output-len N        output tokens, as with --ignore-eos (default 128)
  --random-range-ratio R       lengths drawn from [len × (1 − R), len × (1 + R)], R in [0, 1)
                               (default 0)
  --random-prefix-len N        tokens of a prefix shared by every prompt (default 0)
  --requests FILE              requests from a JSONL file instead, one per line:
                               {"prompt_tokens": 512, "output_tokens": 128, "arrival": 0.25}
                               (arrival in seconds, optional; also "priority", "id", "n" and
                               "lora")
  --n N                        parallel sampling: N completions per request, run as vLLM runs
                               them (N child requests sharing the prompt's cached blocks; one
                               client slot until the last is done); reported per child
                               (default 1; a file's "n" wins)
  --lora-modules LIST          LoRA adapter names, comma-separated or repeated: each request
                               gets one (a file's "lora" wins); adapters never share cached
                               blocks (default: the base model)
  --lora-assignment A          random (default) or round-robin choice of --lora-modules

Load:
  --request-rate R             requests per second, gaps drawn as --burstiness says, or inf
                               (default: inf, all at once; with --requests, the file's arrivals)
  --burstiness B               gamma shape of the gaps between requests: 1 (default) is a Poisson
                               process, below 1 burstier, above 1 evener, inf equal gaps
  --ramp-up-strategy S         linear or exponential: the rate grows from --ramp-up-start-rps
  --ramp-up-start-rps N        to --ramp-up-end-rps (whole requests per second) over the run,
  --ramp-up-end-rps N          instead of a fixed --request-rate
  --max-concurrency N          most requests in flight; the next is sent when one finishes
  --sweep-concurrency LIST     run at each concurrency, e.g. 1,2,4,8,16,32,64
  --sweep-rate LIST            run at each request rate, e.g. 1,2,4,8,16
  --chart FILE                 with a sweep: write a chart of median/P99 TTFT and median ITL (ms)
                               against the load; SVG, or PNG when FILE ends in .png

Output:
  --percentile-metrics LIST    latency blocks to print: ttft, tpot, itl, e2el (default
                               ttft,tpot,itl, as vllm bench serve)
  --metric-percentiles LIST    percentiles besides the median, e.g. 50,90,99 (default 99)
  --goodput KEY:MS             a service-level objective (ttft, tpot or e2el, in milliseconds;
                               repeatable): adds "Request goodput (req/s)", requests meeting all
  --json                       machine-readable JSON instead of text
  --seed N                     seed of the dataset and the arrivals (default 0)
  --frontend-latency MS        client-side time each way, HTTP and (de)tokenisation, in
                               milliseconds (default 3)
  -h, --help                   show this help

Exit status: 0 done, 1 the engine cannot start (vLLM's start-up error is printed), 2 bad flags.

Examples:
  servingkit simulate --num-prompts 200 --random-input-len 512 --random-output-len 256
  servingkit simulate --gpu a100-40gb --max-concurrency 8 --request-rate 4
  servingkit simulate --dataset-name sharegpt --sweep-concurrency 1,4,16,64,256 --chart load.svg
  servingkit simulate --model-config ./config.json --tensor-parallel-size 2 --requests trace.jsonl
  servingkit simulate --n 4 --lora-modules sql,chat,code --max-loras 2 --num-prompts 200
`;

/** The engine the flags describe, with vLLM's start-up log lines about it. */
interface ResolvedEngine {
  readonly settings: GpuEngineSettings;
  readonly config: SimulationConfig;
  readonly logLines: readonly string[];
  readonly numBlocks: number;
  readonly kvCacheTokens: number;
  /** The weights on each GPU, bytes (vLLM's "Model loading took X GiB"). */
  readonly weightBytes: number;
  /** The speculative drafter's memory when counted (an EAGLE head or a draft model read from a local directory). */
  readonly drafter?: EngineStartup["drafter"];
}

/**
 * Builds the engine as `vllm serve` would start it, reading the engine flags as
 * `servingkit mock vllm --gpu` reads them (mock-core `readGpuEngineSettings`). A bad flag is a
 * {@link UsageError}; a start-up failure (no room for one max_model_len request, heads not
 * divisible by the TP size) is a KvCacheStartupError or EngineConfigError with vLLM's text.
 */
function resolveEngine(args: SimulateArgs): ResolvedEngine {
  let settings: GpuEngineSettings;
  try {
    // The served max_model_len is ours to decide below, from the model read here; an unbounded
    // one comes back capped only where the flags cap it (--disable-sliding-window: the window).
    settings = readGpuEngineSettings(args.engine, {
      maxModelLen: Number.POSITIVE_INFINITY,
      ...(args.maxLoras === undefined ? {} : { maxLoras: args.maxLoras }),
    }) as GpuEngineSettings;
  } catch (error) {
    if (error instanceof EngineConfigError) throw error;
    throw new UsageError((error as Error).message);
  }
  const maxModelLen =
    args.maxModelLen ?? Math.min(settings.maxModelLen, settings.model.maxPositionEmbeddings);
  const { capacity, core, drafter } = engineStartup({ ...settings, maxModelLen });
  return {
    ...(drafter === undefined ? {} : { drafter }),
    settings: { ...settings, maxModelLen: capacity.maxModelLen },
    logLines: [...capacity.logLines, ...(settings.startupWarnings ?? [])],
    numBlocks: capacity.numBlocks,
    kvCacheTokens: capacity.tokens,
    weightBytes: capacity.weightBytes,
    config: {
      ...core,
      frontendLatency: args.frontendLatency,
      recordSteps: false,
      // --data-parallel-size: replicas of this engine; a MoE model's publish their counts to the
      // router (mock-core gpu/data-parallel.ts).
      ...((settings.dataParallelSize ?? 1) > 1
        ? {
            dataParallelSize: settings.dataParallelSize,
            publishesCounts: settings.model.moe !== undefined,
            // A MoE model's ranks step in lock step (gpu/data-parallel.ts stepsInLockStep).
            lockStep: settings.model.moe !== undefined,
          }
        : {}),
    },
  };
}

/**
 * `--n` and `--lora-modules` applied to requests that set neither themselves: each gets `n`
 * (when above 1) and an adapter chosen as `vllm bench serve --lora-modules` chooses it.
 */
function withSamplingAndLoras(
  requests: readonly SimulatedRequest[],
  args: SimulateArgs,
): SimulatedRequest[] {
  let out =
    args.n === 1
      ? [...requests]
      : requests.map((r) => (r.n === undefined ? { ...r, n: args.n } : r));
  if (args.loraModules !== undefined) {
    out = assignLoras(out, {
      modules: args.loraModules,
      assignment: args.loraAssignment,
      seed: args.seed,
    });
  }
  return out;
}

/** The workload: `count` requests of the asked dataset, or the file's requests, with `--n` and `--lora-modules`. */
async function workloadOf(args: SimulateArgs): Promise<(count: number) => SimulatedRequest[]> {
  const dataset = await datasetOf(args);
  return (count) => withSamplingAndLoras(dataset(count), args);
}

/** `count` requests of the asked dataset, or the file's requests. */
async function datasetOf(args: SimulateArgs): Promise<(count: number) => SimulatedRequest[]> {
  if (args.requestsFile !== undefined) {
    let text: string;
    try {
      text = await readFile(args.requestsFile, "utf8");
    } catch (error) {
      throw new UsageError(
        `--requests '${args.requestsFile}' cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      );
    }
    let requests: SimulatedRequest[];
    try {
      requests = parseRequestsJsonl(text, args.requestsFile);
    } catch (error) {
      if (error instanceof RequestsFileError) throw new UsageError(error.message);
      throw error;
    }
    return () => requests;
  }
  if (args.dataset === "sharegpt") {
    return (count) => shareGptLike({ count, seed: args.seed });
  }
  // Checked here too: the shortest prompt may be empty only by a combination of flags.
  return (count) => {
    try {
      return randomDataset({
        count,
        inputLen: args.randomInputLen,
        outputLen: args.randomOutputLen,
        rangeRatio: args.randomRangeRatio,
        prefixLen: args.randomPrefixLen,
        seed: args.seed,
      });
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  };
}

/** How the command line spreads requests in time: `--request-rate` or a ramp-up, `--burstiness`, `--seed`. */
function arrivalOptions(args: SimulateArgs): ArrivalOptions {
  return {
    rate: args.requestRate,
    burstiness: args.burstiness,
    seed: args.seed,
    ...(args.rampUp === undefined ? {} : { rampUp: args.rampUp }),
  };
}

/**
 * `--speculative-config` as read, for the JSON output: the draft's config.json is left out (its
 * path is `model`), and the drafter's counted memory is given when the mock read it (bytes of
 * weights on each GPU, layers of KV, and for a draft model the bytes of its KV per token, since
 * its layers are its own size).
 */
function speculativeFacts(engine: ResolvedEngine) {
  const { draftConfig: _, ...speculative } = engine.settings.speculative ?? {};
  const { drafter } = engine;
  return drafter === undefined
    ? speculative
    : {
        ...speculative,
        drafter: {
          weightBytes: drafter.weightBytes,
          kvLayers: drafter.kvLayers,
          ...(drafter.kvBytesPerToken === undefined
            ? {}
            : { kvBytesPerToken: drafter.kvBytesPerToken }),
        },
      };
}

/** The engine in words and numbers, for the text and the JSON output. */
function engineFacts(engine: ResolvedEngine) {
  const { settings } = engine;
  return {
    gpu: settings.device.name,
    model: settings.model.name,
    tensorParallelSize: settings.tensorParallelSize,
    ...(settings.dataParallelSize === undefined
      ? {}
      : { dataParallelSize: settings.dataParallelSize }),
    gpuMemoryUtilization: settings.gpuMemoryUtilization,
    maxNumSeqs: settings.maxNumSeqs,
    maxNumBatchedTokens: settings.maxNumBatchedTokens,
    maxModelLen: settings.maxModelLen,
    schedulingPolicy: settings.schedulingPolicy,
    enablePrefixCaching: settings.enablePrefixCaching,
    longPrefillTokenThreshold: settings.longPrefillTokenThreshold,
    maxLoras: settings.maxLoras,
    asyncScheduling: settings.asyncScheduling,
    ...(settings.speculative === undefined ? {} : { speculative: speculativeFacts(engine) }),
    ...precisionFacts(engine),
    numBlocks: engine.numBlocks,
    kvCacheTokens: engine.kvCacheTokens,
    logLines: engine.logLines,
  };
}

/**
 * The weight quantization and KV cache dtype of the run, only where they differ from the
 * model's plain dtype (so the facts of an unquantized run stay as they were): the method with
 * the weights' GiB per GPU (vLLM's "Model loading took X GiB"), and `--kv-cache-dtype`.
 */
function precisionFacts(engine: ResolvedEngine) {
  const model = engine.settings.model;
  const kvBytes = model.kvCacheBytes;
  return {
    ...(model.quantization === undefined
      ? {}
      : {
          quantization: model.quantization,
          weightGiB: Math.round((engine.weightBytes / 1024 ** 3) * 1e4) / 1e4,
        }),
    ...(kvBytes === undefined ? {} : { kvCacheBytesPerElement: kvBytes }),
  };
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseSimulateArgs(argv);
  if (args.help) {
    io.stdout.write(help);
    return exitCodes.ok;
  }
  const workload = await workloadOf(args);
  let engine: ResolvedEngine;
  try {
    engine = resolveEngine(args);
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(error.message);
    if (!(error instanceof KvCacheStartupError || error instanceof EngineConfigError)) throw error;
    // vLLM stops at start-up with this text; so do we, with exit status 1.
    io.stderr.write(`servingkit simulate: engine start-up failed: ${error.message}\n`);
    return exitCodes.failure;
  }
  const facts = engineFacts(engine);
  const banner = [
    `Simulated in virtual time: ${facts.model} on ${facts.dataParallelSize === undefined ? "" : `${facts.dataParallelSize} replicas of `}${facts.tensorParallelSize} × ${facts.gpu}`,
    `(max_num_seqs=${facts.maxNumSeqs}, max_num_batched_tokens=${facts.maxNumBatchedTokens}, max_model_len=${facts.maxModelLen}, gpu_memory_utilization=${facts.gpuMemoryUtilization})`,
    ...engine.logLines,
  ].join("\n");

  if (args.sweep !== undefined) {
    const { mode, loads } = args.sweep;
    // A concurrency sweep at a finite --request-rate spaces each level's requests as vLLM would.
    const timed =
      mode === "concurrency" && (Number.isFinite(args.requestRate) || args.rampUp !== undefined)
        ? (count: number) => requestArrivals(workload(count), arrivalOptions(args))
        : workload;
    const levels = runSweep({
      config: {
        ...engine.config,
        ...(args.maxConcurrency === undefined ? {} : { maxConcurrency: args.maxConcurrency }),
      },
      workload: timed,
      mode,
      loads,
      ...(args.numPrompts === undefined ? {} : { promptsPerLoad: () => args.numPrompts as number }),
      seed: args.seed,
      burstiness: args.burstiness,
      percentiles: args.metricPercentiles,
    });
    if (args.chart !== undefined) {
      const title = `${facts.model} on ${facts.tensorParallelSize} × ${facts.gpu} (simulated)`;
      await writeFile(args.chart, await chartFile(args.chart, sweepChartSvg(levels, mode, title)));
    }
    if (args.json) {
      io.stdout.write(`${JSON.stringify({ engine: facts, sweep: { mode, levels } }, null, 2)}\n`);
    } else {
      io.stdout.write(`${banner}\n\n${formatSweepTable(levels, mode)}\n`);
      if (args.chart !== undefined) io.stdout.write(`Chart written to ${args.chart}\n`);
    }
    return exitCodes.ok;
  }

  let requests = workload(args.numPrompts ?? 1000);
  if (Number.isFinite(args.requestRate) || args.rampUp !== undefined) {
    requests = requestArrivals(requests, arrivalOptions(args));
  }
  const result = simulate(requests, {
    ...engine.config,
    ...(args.maxConcurrency === undefined ? {} : { maxConcurrency: args.maxConcurrency }),
  });
  const summary = summarizeRun(result, {
    requestRate: args.requestRate,
    percentiles: args.metricPercentiles,
    ...(args.goodput === undefined ? {} : { goodput: args.goodput }),
    ...(args.maxConcurrency === undefined ? {} : { maxConcurrency: args.maxConcurrency }),
  });
  const traffic = {
    requestRate: args.requestRate,
    burstiness: args.burstiness,
    ...(args.rampUp === undefined ? {} : { rampUp: args.rampUp }),
    ...(args.maxConcurrency === undefined ? {} : { maxConcurrency: args.maxConcurrency }),
  };
  if (args.json) {
    const json = {
      engine: facts,
      traffic: {
        ...traffic,
        requestRate: Number.isFinite(args.requestRate) ? args.requestRate : "inf",
      },
      summary,
      preemptions: result.preemptions,
      prefixCache: { queries: result.prefixQueries, hits: result.prefixHits },
      ...(result.specDecode === undefined ? {} : { specDecode: result.specDecode }),
    };
    io.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    return exitCodes.ok;
  }
  const failed = result.requests.filter((r) => r.status !== "finished");
  const failures =
    failed.length === 0
      ? []
      : [
          // vllm bench serve lists up to ten failures before its result block.
          "Failed requests during benchmark run detected (capping to 10):",
          ...failed.slice(0, 10).map((r, i) => `Error ${i}: ${r.error ?? r.status}`),
        ];
  io.stdout.write(
    [
      banner,
      "",
      formatTrafficHeader(traffic),
      ...failures,
      formatBenchSummary(summary, args.percentileMetrics),
      `Preemptions: ${result.preemptions}; prefix cache hits: ${result.prefixHits} of ${result.prefixQueries} queried tokens`,
      ...(result.specDecode === undefined
        ? []
        : [formatSpecDecodeLogLine(result.specDecode, result.duration)]),
      "",
    ].join("\n"),
  );
  return exitCodes.ok;
}

/** `servingkit simulate`: a serving benchmark of a modelled GPU, in virtual time. */
export const simulateCommand: Command = {
  name: "simulate",
  summary: "benchmark a modelled GPU running vLLM, in virtual time (no GPU needed)",
  help,
  run,
};
