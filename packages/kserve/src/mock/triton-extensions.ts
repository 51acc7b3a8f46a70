/**
 * Triton's extension APIs that clients call beside inference (kserve-v2.md §3.1 "Triton
 * extensions", §4.2 "Triton extras"): per-model statistics and the model configuration (the
 * repository index and load/unload are `model-control.ts`). Pure data builders plus the statistics store; the REST and gRPC adapters
 * render them.
 */
import type { Clock } from "@servingkit/mock-core/host";
import type { Datatype } from "../datatypes.js";
import type { MockModel, TensorSpec } from "./models.js";

/** Count and cumulative nanoseconds, as Triton's `StatisticDuration`. */
export interface Duration {
  /** Number of events. */
  count: number;
  /** Total time in nanoseconds. */
  ns: number;
}

/** One model version's statistics. */
export interface VersionStats {
  /** Model name. */
  readonly name: string;
  /** Version. */
  readonly version: string;
  /** Milliseconds since the epoch of the last inference, 0 if none. */
  lastInference: number;
  /** Inferences performed (batch elements; a batch of 4 counts 4). */
  inferenceCount: number;
  /** Model executions (one per request here: the mock does not batch dynamically). */
  executionCount: number;
  /** Successful and failed requests. */
  readonly success: Duration;
  /** Failed requests. */
  readonly fail: Duration;
  /** Compute time of successful requests (the mock has no separate queue or I/O phases). */
  readonly computeInfer: Duration;
  /**
   * Per response index of a decoupled model's requests ("0" for every request's first response,
   * "1" for the second, ...): Triton's `response_stats` (extension_statistics.md; core
   * infer_stats.cc `UpdateResponse*`). Empty for models that are not decoupled.
   */
  readonly responseStats: Map<string, ResponseStats>;
}

/** How one response of a decoupled model ended, as core's `UpdateResponse*` records it. */
export type ResponseOutcome = "success" | "fail" | "empty" | "cancel";

/** The statistics of the responses at one index (Triton's `InferResponseStatistics`). */
export interface ResponseStats {
  /** Time to compute the response (since the previous one, or the request's start). */
  readonly computeInfer: Duration;
  /** Time to extract its outputs (counted per successful response; the mock takes none: 0 ns). */
  readonly computeOutput: Duration;
  /** Responses sent with outputs: compute plus output time. */
  readonly success: Duration;
  /** Responses sent with an error. */
  readonly fail: Duration;
  /** The final flag sent without a response (`TRITONSERVER_RESPONSE_COMPLETE_FINAL` alone). */
  readonly emptyResponse: Duration;
  /** Requests cancelled before this response (the client went away). */
  readonly cancel: Duration;
}

/** Statistics of every model version, kept per mock instance. */
export class StatsStore {
  /** Per model name, per version: two lookups of the strings the models hold, no key built per call. */
  readonly #byModel = new Map<string, Map<string, VersionStats>>();
  readonly #clock: Clock;
  readonly #wallClock: () => number;

  /**
   * `clock` times the requests; `wallClock` (default `Date.now`) gives `last_inference`, which
   * Triton reports as milliseconds since the epoch (extension_statistics.md).
   */
  constructor(clock: Clock, wallClock: () => number = Date.now) {
    this.#clock = clock;
    this.#wallClock = wallClock;
  }

  /** The store's clock (adapters time requests with it). */
  get clock(): Clock {
    return this.#clock;
  }

  #entry(name: string, version: string): VersionStats {
    let versions = this.#byModel.get(name);
    if (!versions) {
      versions = new Map();
      this.#byModel.set(name, versions);
    }
    let stats = versions.get(version);
    if (!stats) {
      stats = {
        name,
        version,
        lastInference: 0,
        inferenceCount: 0,
        executionCount: 0,
        success: { count: 0, ns: 0 },
        fail: { count: 0, ns: 0 },
        computeInfer: { count: 0, ns: 0 },
        responseStats: new Map(),
      };
      versions.set(version, stats);
    }
    return stats;
  }

  /** Records one request: `batch` elements, whether it succeeded, how long it took (ms). */
  record(name: string, version: string, batch: number, ok: boolean, elapsedMs: number): void {
    const stats = this.#entry(name, version);
    const ns = Math.round(elapsedMs * 1e6);
    if (ok) {
      stats.success.count += 1;
      stats.success.ns += ns;
      stats.computeInfer.count += 1;
      stats.computeInfer.ns += ns;
      stats.inferenceCount += Math.max(batch, 1);
      stats.executionCount += 1;
      stats.lastInference = Math.round(this.#wallClock());
    } else {
      stats.fail.count += 1;
      stats.fail.ns += ns;
    }
  }

  /**
   * Records one response of a decoupled model's request: its index within the request (0 for
   * the first), how it ended, and the milliseconds since the previous response (or the request's
   * start). As core's infer_stats.cc: a success counts compute_infer, compute_output and success;
   * a failure compute_infer and fail (no outputs were extracted); an empty response
   * compute_infer and empty_response; a cancellation only cancel.
   */
  recordResponse(
    name: string,
    version: string,
    index: number,
    outcome: ResponseOutcome,
    elapsedMs: number,
  ): void {
    const all = this.#entry(name, version).responseStats;
    const key = String(index);
    let stats = all.get(key);
    if (!stats) {
      stats = {
        computeInfer: { count: 0, ns: 0 },
        computeOutput: { count: 0, ns: 0 },
        success: { count: 0, ns: 0 },
        fail: { count: 0, ns: 0 },
        emptyResponse: { count: 0, ns: 0 },
        cancel: { count: 0, ns: 0 },
      };
      all.set(key, stats);
    }
    const ns = Math.round(elapsedMs * 1e6);
    const add = (d: Duration, by: number) => {
      d.count += 1;
      d.ns += by;
    };
    if (outcome === "cancel") {
      add(stats.cancel, ns);
      return;
    }
    add(stats.computeInfer, ns);
    if (outcome === "success") {
      add(stats.computeOutput, 0);
      add(stats.success, ns);
    } else if (outcome === "fail") {
      add(stats.fail, ns);
    } else {
      add(stats.emptyResponse, ns);
    }
  }

  /** The statistics of the given model versions, zeros where nothing ran yet. */
  select(models: readonly MockModel[], version?: string): VersionStats[] {
    return models.flatMap((m) =>
      (version !== undefined ? [version] : m.versions).map((v) => this.#entry(m.name, v)),
    );
  }
}

const zero = { count: 0, ns: 0 };

/** Triton's REST statistics body for the given entries (`{"model_stats": [...]}`). */
export function statsJson(entries: readonly VersionStats[]): Record<string, unknown> {
  return {
    model_stats: entries.map((s) => ({
      name: s.name,
      version: s.version,
      last_inference: s.lastInference,
      inference_count: s.inferenceCount,
      execution_count: s.executionCount,
      inference_stats: {
        success: s.success,
        fail: s.fail,
        queue: zero,
        compute_input: zero,
        compute_infer: s.computeInfer,
        compute_output: zero,
        cache_hit: zero,
        cache_miss: zero,
      },
      response_stats: responseStatsJson(s.responseStats),
      batch_stats: [],
      memory_usage: [],
    })),
  };
}

/**
 * The keys of `response_stats` in the order Triton writes them: its aggregator keeps them in a
 * `std::map<std::string, ...>` (core infer_stats.h), so "10" comes before "2".
 */
export function responseStatsKeys(stats: ReadonlyMap<string, ResponseStats>): string[] {
  return [...stats.keys()].sort();
}

/** `response_stats` as REST shows it: per key, the six durations in extension_statistics.md's order. */
function responseStatsJson(stats: ReadonlyMap<string, ResponseStats>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of responseStatsKeys(stats)) {
    const r = stats.get(key) as ResponseStats;
    out[key] = {
      compute_infer: r.computeInfer,
      compute_output: r.computeOutput,
      success: r.success,
      fail: r.fail,
      empty_response: r.emptyResponse,
      cancel: r.cancel,
    };
  }
  return out;
}

/** Config `data_type` names: `TYPE_` + datatype, BYTES as `TYPE_STRING` (model_config.proto). */
export function configDataType(datatype: Datatype): string {
  return datatype === "BYTES" ? "TYPE_STRING" : `TYPE_${datatype}`;
}

/** Backends of the platform names the built-in models use (Triton maps a platform to its backend). */
const platformBackends: Readonly<Record<string, string>> = {
  tensorflow_graphdef: "tensorflow",
  tensorflow_savedmodel: "tensorflow",
  onnxruntime_onnx: "onnxruntime",
  pytorch_libtorch: "pytorch",
  tensorrt_plan: "tensorrt",
};

/** The model configuration as Triton's `GET .../config` shows it (the fields the mock knows). */
export function modelConfigJson(model: MockModel): Record<string, unknown> {
  const backend = platformBackends[model.platform];
  const tensor = (spec: TensorSpec, io: "input" | "output") => ({
    name: spec.name,
    data_type: configDataType(spec.datatype),
    ...(io === "input" ? { format: "FORMAT_NONE" } : {}),
    dims: spec.dims,
    ...(io === "output" ? { label_filename: "" } : {}),
    is_shape_tensor: false,
    // model_config.proto ModelInput.optional (printed with every input, false by default).
    ...(io === "input" ? { optional: spec.optional === true } : {}),
  });
  return {
    name: model.name,
    platform: backend ? model.platform : "",
    backend: backend ?? model.platform,
    version_policy: { latest: { num_versions: 1 } },
    max_batch_size: model.maxBatchSize,
    input: model.inputs.map((s) => tensor(s, "input")),
    output: model.outputs.map((s) => tensor(s, "output")),
    // model_config.proto ModelTransactionPolicy: `decoupled` for every model (false by default).
    model_transaction_policy: { decoupled: model.decoupled === true },
  };
}
