/**
 * The command line of `servingkit simulate`, read into plain settings: vLLM's engine flags
 * (`vllm serve`), `vllm bench serve`'s workload and load flags, and the sweep flags of our own.
 * Pure: no files read, no defaults that depend on the GPU (those are resolved later).
 */
import { parseArgs } from "node:util";
import type {
  BenchMetric,
  GoodputMetric,
  LoraAssignment,
  RampUp,
  RuntimeOptionValues,
} from "@servingkit/mock-core";
import { UsageError } from "../cli-io.js";

/** A load sweep: the same workload at each load level. */
export interface SweepArgs {
  /** "concurrency": levels are `--max-concurrency` values; "rate": `--request-rate` values. */
  readonly mode: "concurrency" | "rate";
  /** The levels, in the order given. */
  readonly loads: readonly number[];
}

/** What the command line asks for. Units: tokens, seconds, requests per second. */
export interface SimulateArgs {
  readonly help: boolean;
  /**
   * vLLM's engine flags by name (`gpu`, default h100-80gb; `model-config`, `tensor-parallel-size`,
   * `data-parallel-size` (engine replicas, each on tensor-parallel-size GPUs),
   * `gpu-memory-utilization`, `max-num-seqs`, `max-num-batched-tokens`, `scheduling-policy`,
   * `enable-prefix-caching`, `no-enable-prefix-caching`, `mamba-cache-mode` (a hybrid model's
   * prefix caching, opt-in from vLLM 0.15.0), `long-prefill-token-threshold`, `async-scheduling`, `speculative-config`,
   * `speculative-acceptance-rate`, `disable-sliding-window`, `disable-hybrid-kv-cache-manager`,
   * `enable-expert-parallel`,
   * `quantization`, `kv-cache-dtype`, `vllm-version`: the release whose start-up refusals apply, e.g. a separate draft model before
   * 0.15.0),
   * unread: mock-core's `readGpuEngineSettings` reads them, as it does for `servingkit mock vllm --gpu`.
   */
  readonly engine: RuntimeOptionValues;
  /** `--max-model-len`; default the model's `max_position_embeddings`. */
  readonly maxModelLen?: number;
  /** `--dataset-name`: random (default) or sharegpt (a synthetic ShareGPT-like length mix). */
  readonly dataset: "random" | "sharegpt";
  /** `--num-prompts`; undefined: 1000 for one run, the sweep's own count per level. */
  readonly numPrompts?: number;
  readonly randomInputLen: number;
  readonly randomOutputLen: number;
  readonly randomRangeRatio: number;
  readonly randomPrefixLen: number;
  /** `--requests`: a JSONL file of requests instead of a dataset. */
  readonly requestsFile?: string;
  /** `--request-rate` in requests per second; Infinity (the default) sends all at once. */
  readonly requestRate: number;
  /** `--ramp-up-strategy` with its start and end rates, instead of a fixed `--request-rate`. */
  readonly rampUp?: RampUp;
  /** `--burstiness`: gamma shape of the arrival gaps, > 0 or Infinity; default 1 (Poisson). */
  readonly burstiness: number;
  /** `--max-concurrency`: most requests in flight; default unlimited. */
  readonly maxConcurrency?: number;
  /** `--percentile-metrics`: which latency blocks to print; default ttft, tpot, itl. */
  readonly percentileMetrics?: readonly BenchMetric[];
  /** `--metric-percentiles`: percentiles in (0, 100) besides the median; default [99]. */
  readonly metricPercentiles: readonly number[];
  /** `--goodput`: service-level objectives in milliseconds, by metric. */
  readonly goodput?: Readonly<Partial<Record<GoodputMetric, number>>>;
  /** `--sweep-concurrency` or `--sweep-rate`. */
  readonly sweep?: SweepArgs;
  /** `--chart`: where to write the SVG of a sweep. */
  readonly chart?: string;
  /** `--json`: machine output instead of text. */
  readonly json: boolean;
  /** `--seed`; default 0. */
  readonly seed: number;
  /** `--frontend-latency` in seconds (given in ms); default 3 ms. */
  readonly frontendLatency: number;
  /**
   * `--n`: parallel sampling, completions per request (the OpenAI API's `n`), for requests that do
   * not set their own; default 1.
   */
  readonly n: number;
  /**
   * `--lora-modules`: LoRA adapter names, one given to each request that names none (vllm bench
   * serve's flag; comma-separated or repeated); default none (the base model).
   */
  readonly loraModules?: readonly string[];
  /** `--lora-assignment`: random (default, vLLM's) or round-robin. */
  readonly loraAssignment: LoraAssignment;
  /** `--max-loras` (vllm serve's): most distinct adapters in one step; default 1. */
  readonly maxLoras?: number;
}

const options = {
  gpu: { type: "string" },
  "model-config": { type: "string" },
  "tensor-parallel-size": { type: "string" },
  "data-parallel-size": { type: "string" },
  "gpu-memory-utilization": { type: "string" },
  "max-num-seqs": { type: "string" },
  "max-num-batched-tokens": { type: "string" },
  "max-model-len": { type: "string" },
  "scheduling-policy": { type: "string" },
  "enable-prefix-caching": { type: "boolean" },
  "no-enable-prefix-caching": { type: "boolean" },
  "mamba-cache-mode": { type: "string" },
  "long-prefill-token-threshold": { type: "string" },
  "async-scheduling": { type: "boolean" },
  "speculative-config": { type: "string" },
  "speculative-acceptance-rate": { type: "string" },
  "disable-sliding-window": { type: "boolean" },
  "disable-hybrid-kv-cache-manager": { type: "boolean" },
  "enable-expert-parallel": { type: "boolean" },
  quantization: { type: "string" },
  "kv-cache-dtype": { type: "string" },
  "vllm-version": { type: "string" },
  "dataset-name": { type: "string" },
  "num-prompts": { type: "string" },
  "random-input-len": { type: "string" },
  "random-output-len": { type: "string" },
  "random-range-ratio": { type: "string" },
  "random-prefix-len": { type: "string" },
  requests: { type: "string" },
  "request-rate": { type: "string" },
  burstiness: { type: "string" },
  "ramp-up-strategy": { type: "string" },
  "ramp-up-start-rps": { type: "string" },
  "ramp-up-end-rps": { type: "string" },
  "max-concurrency": { type: "string" },
  "percentile-metrics": { type: "string" },
  "metric-percentiles": { type: "string" },
  goodput: { type: "string", multiple: true },
  "sweep-concurrency": { type: "string" },
  "sweep-rate": { type: "string" },
  chart: { type: "string" },
  json: { type: "boolean" },
  seed: { type: "string" },
  "frontend-latency": { type: "string" },
  n: { type: "string" },
  "lora-modules": { type: "string", multiple: true },
  "lora-assignment": { type: "string" },
  "max-loras": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** A whole number ≥ `min` from flag text. */
function wholeNumber(flag: string, text: string | undefined, min = 1): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < min || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`--${flag} '${text}' is not a whole number of at least ${min}`);
  }
  return Number(text);
}

/** A finite decimal number in [min, max] (min excluded when `openMin`). */
function decimal(
  flag: string,
  text: string | undefined,
  range: { min: number; max: number; openMin?: boolean; openMax?: boolean },
): number | undefined {
  if (text === undefined) return undefined;
  const n = /^\d+(\.\d+)?$|^\.\d+$/.test(text) ? Number(text) : Number.NaN;
  const low = range.openMin ? n > range.min : n >= range.min;
  const high = range.openMax ? n < range.max : n <= range.max;
  if (!(low && high)) {
    const left = range.openMin ? "(" : "[";
    const right = range.openMax ? ")" : "]";
    const max = range.max === Number.POSITIVE_INFINITY ? "∞" : range.max;
    throw new UsageError(
      `--${flag} '${text}' is not a number in ${left}${range.min}, ${max}${right}`,
    );
  }
  return n;
}

/** A request rate: a positive number or `inf` (vLLM's spelling of "all at once"). */
function rate(flag: string, text: string): number {
  if (text === "inf") return Number.POSITIVE_INFINITY;
  return decimal(flag, text, { min: 0, max: Number.POSITIVE_INFINITY, openMin: true }) as number;
}

/**
 * The ramp-up flags, checked as `vllm bench serve` checks them: a strategy of linear or
 * exponential, no `--request-rate` beside it, both rates given as whole numbers ≥ 0, the start
 * not above the end, and no exponential ramp from 0.
 */
function rampUpOf(values: {
  "ramp-up-strategy"?: string | undefined;
  "ramp-up-start-rps"?: string | undefined;
  "ramp-up-end-rps"?: string | undefined;
  "request-rate"?: string | undefined;
}): RampUp | undefined {
  const strategy = values["ramp-up-strategy"];
  if (strategy === undefined) {
    if (values["ramp-up-start-rps"] !== undefined || values["ramp-up-end-rps"] !== undefined) {
      throw new UsageError("--ramp-up-start-rps and --ramp-up-end-rps need --ramp-up-strategy");
    }
    return undefined;
  }
  if (strategy !== "linear" && strategy !== "exponential") {
    throw new UsageError(`--ramp-up-strategy '${strategy}' is not linear or exponential`);
  }
  if (values["request-rate"] !== undefined) {
    throw new UsageError("--ramp-up-strategy sets the request rate; leave out --request-rate");
  }
  const startRps = wholeNumber("ramp-up-start-rps", values["ramp-up-start-rps"], 0);
  const endRps = wholeNumber("ramp-up-end-rps", values["ramp-up-end-rps"], 0);
  if (startRps === undefined || endRps === undefined) {
    throw new UsageError("--ramp-up-strategy needs both --ramp-up-start-rps and --ramp-up-end-rps");
  }
  if (startRps > endRps) {
    throw new UsageError("--ramp-up-start-rps must not be above --ramp-up-end-rps");
  }
  // vLLM refuses an exponential ramp from 0 up front; a linear one fails on its first request
  // (rate 0 is not positive), so both are refused here.
  if (startRps === 0) {
    throw new UsageError(`a ${strategy} ramp-up cannot start at 0 requests per second`);
  }
  return { strategy, startRps, endRps };
}

/** The metrics `--goodput` may set objectives for (vLLM's VALID_NAMES). */
const goodputMetrics: readonly GoodputMetric[] = ["ttft", "tpot", "e2el"];

/**
 * `--goodput KEY:VALUE` objectives (repeatable; one value may hold several, comma-separated):
 * a metric of {@link goodputMetrics} and a number of milliseconds ≥ 0, as vLLM checks them.
 */
function goodputObjectives(texts: readonly string[]): Partial<Record<GoodputMetric, number>> {
  const objectives: Partial<Record<GoodputMetric, number>> = {};
  for (const pair of texts.flatMap((text) => text.split(","))) {
    const [name, value, ...rest] = pair.trim().split(":");
    if (name === undefined || value === undefined || rest.length > 0) {
      throw new UsageError(
        `--goodput '${pair}' is not KEY:VALUE (e.g. ttft:500, a metric and milliseconds)`,
      );
    }
    if (!goodputMetrics.includes(name as GoodputMetric)) {
      throw new UsageError(`--goodput: '${name}' is not one of ${goodputMetrics.join(", ")}`);
    }
    objectives[name as GoodputMetric] = decimal("goodput", value, {
      min: 0,
      max: Number.POSITIVE_INFINITY,
    }) as number;
  }
  return objectives;
}

/** The latency metrics `--percentile-metrics` may name (vLLM's names for a generation run). */
const benchMetrics: readonly BenchMetric[] = ["ttft", "tpot", "itl", "e2el"];

/** A comma-separated list, each item read by `parse`. */
function loadList<T>(flag: string, text: string, parse: (item: string) => T): T[] {
  const items = text.split(",").map((item) => item.trim());
  if (items.some((item) => item === "")) {
    throw new UsageError(`--${flag} '${text}' is not a comma-separated list, e.g. 1,2,4,8`);
  }
  return items.map(parse);
}

/** The engine flags `readGpuEngineSettings` reads, given on the command line. */
const engineFlags = [
  "gpu",
  "model-config",
  "tensor-parallel-size",
  "data-parallel-size",
  "gpu-memory-utilization",
  "max-num-seqs",
  "max-num-batched-tokens",
  "scheduling-policy",
  "enable-prefix-caching",
  "no-enable-prefix-caching",
  "mamba-cache-mode",
  "long-prefill-token-threshold",
  "async-scheduling",
  "speculative-config",
  "speculative-acceptance-rate",
  "disable-sliding-window",
  "disable-hybrid-kv-cache-manager",
  "enable-expert-parallel",
  "quantization",
  "kv-cache-dtype",
  "vllm-version",
] as const;

/** The engine flags as option values by name, with `gpu` defaulting to h100-80gb. */
function engineValues(
  values: Partial<Record<(typeof engineFlags)[number], string | boolean | undefined>>,
): RuntimeOptionValues {
  const picked: Record<string, string | boolean> = { gpu: "h100-80gb" };
  for (const flag of engineFlags) {
    const value = values[flag];
    if (value !== undefined) picked[flag] = value;
  }
  return picked;
}

/**
 * Reads the arguments after `simulate`. Throws {@link UsageError} (exit 2) for an unknown flag, a
 * bad value or flags that contradict each other, naming the flag.
 */
export function parseSimulateArgs(args: readonly string[]): SimulateArgs {
  let values: ReturnType<typeof parseArgs<{ options: typeof options; strict: true }>>["values"];
  try {
    ({ values } = parseArgs({ args: [...args], options, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const dataset = values["dataset-name"] ?? "random";
  if (dataset !== "random" && dataset !== "sharegpt") {
    throw new UsageError(`--dataset-name '${dataset}' is not random or sharegpt`);
  }
  if (values.requests !== undefined) {
    const datasetFlags = ["dataset-name", "random-input-len", "random-output-len"] as const;
    const clash = [...datasetFlags, "random-range-ratio", "random-prefix-len", "num-prompts"].find(
      (flag) => values[flag as keyof typeof values] !== undefined,
    );
    if (clash) throw new UsageError(`--requests gives the requests; leave out --${clash}`);
  }
  let sweep: SweepArgs | undefined;
  if (values["sweep-concurrency"] !== undefined && values["sweep-rate"] !== undefined) {
    throw new UsageError("give --sweep-concurrency or --sweep-rate, not both");
  }
  if (values["sweep-concurrency"] !== undefined) {
    if (values["max-concurrency"] !== undefined) {
      throw new UsageError("--sweep-concurrency sets the concurrency; leave out --max-concurrency");
    }
    const flag = "sweep-concurrency";
    sweep = {
      mode: "concurrency",
      loads: loadList(flag, values[flag] as string, (item) => wholeNumber(flag, item) as number),
    };
  } else if (values["sweep-rate"] !== undefined) {
    if (values["request-rate"] !== undefined) {
      throw new UsageError("--sweep-rate sets the request rate; leave out --request-rate");
    }
    const flag = "sweep-rate";
    sweep = {
      mode: "rate",
      loads: loadList(flag, values[flag] as string, (item) => rate(flag, item)),
    };
  }
  const rampUp = rampUpOf(values);
  if (rampUp !== undefined && sweep?.mode === "rate") {
    throw new UsageError("--sweep-rate sets the request rate; leave out --ramp-up-strategy");
  }
  if (values.chart !== undefined && sweep === undefined) {
    throw new UsageError(
      "--chart draws latency against load: give --sweep-concurrency or --sweep-rate",
    );
  }
  const assignment = values["lora-assignment"] ?? "random";
  if (assignment !== "random" && assignment !== "round-robin") {
    throw new UsageError(`--lora-assignment '${assignment}' is not random or round-robin`);
  }
  const loraModules = values["lora-modules"]?.flatMap((text) =>
    loadList("lora-modules", text, (item) => item),
  );
  if (values["lora-assignment"] !== undefined && loraModules === undefined) {
    throw new UsageError("--lora-assignment picks among --lora-modules: give them too");
  }
  const optional = <K extends string, V>(key: K, value: V | undefined) =>
    (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;
  return {
    help: values.help ?? false,
    engine: engineValues(values),
    ...optional("maxModelLen", wholeNumber("max-model-len", values["max-model-len"])),
    dataset,
    ...optional("numPrompts", wholeNumber("num-prompts", values["num-prompts"])),
    randomInputLen: wholeNumber("random-input-len", values["random-input-len"]) ?? 1024,
    randomOutputLen: wholeNumber("random-output-len", values["random-output-len"]) ?? 128,
    randomRangeRatio:
      decimal("random-range-ratio", values["random-range-ratio"], {
        min: 0,
        max: 1,
        openMax: true,
      }) ?? 0,
    randomPrefixLen: wholeNumber("random-prefix-len", values["random-prefix-len"], 0) ?? 0,
    ...optional("requestsFile", values.requests),
    requestRate:
      values["request-rate"] === undefined
        ? Number.POSITIVE_INFINITY
        : rate("request-rate", values["request-rate"]),
    ...optional("rampUp", rampUp),
    burstiness: values.burstiness === undefined ? 1 : rate("burstiness", values.burstiness),
    ...optional("maxConcurrency", wholeNumber("max-concurrency", values["max-concurrency"])),
    ...optional(
      "percentileMetrics",
      values["percentile-metrics"] === undefined
        ? undefined
        : loadList("percentile-metrics", values["percentile-metrics"], (item) => {
            if (!benchMetrics.includes(item as BenchMetric)) {
              throw new UsageError(
                `--percentile-metrics: '${item}' is not one of ${benchMetrics.join(", ")}`,
              );
            }
            return item as BenchMetric;
          }),
    ),
    ...optional(
      "goodput",
      values.goodput === undefined ? undefined : goodputObjectives(values.goodput),
    ),
    metricPercentiles:
      values["metric-percentiles"] === undefined
        ? [99]
        : loadList(
            "metric-percentiles",
            values["metric-percentiles"],
            (item) =>
              decimal("metric-percentiles", item, {
                min: 0,
                max: 100,
                openMin: true,
                openMax: true,
              }) as number,
          ),
    ...optional("sweep", sweep),
    ...optional("chart", values.chart),
    json: values.json ?? false,
    seed: wholeNumber("seed", values.seed, 0) ?? 0,
    frontendLatency:
      (decimal("frontend-latency", values["frontend-latency"], {
        min: 0,
        max: Number.POSITIVE_INFINITY,
      }) ?? 3) / 1000,
    n: wholeNumber("n", values.n) ?? 1,
    ...optional("loraModules", loraModules),
    loraAssignment: assignment,
    ...optional("maxLoras", wholeNumber("max-loras", values["max-loras"])),
  };
}
