/**
 * `GET /metrics`: vLLM's Prometheus metrics (vllm-openai.md §8) with their names, types,
 * `model_name` (and V1's `engine`) labels and bucket sets, rendered by `prom-client` in the
 * Prometheus text format (counters named `<name>_total` as prometheus_client exports them), then
 * rewritten as vLLM's Python prometheus_client writes it: labels sorted by name, every value and
 * `le` bound a Python float (`2.0`, `le="1.0"`, `1.7e+09`; see {@link asPrometheusClientText}).
 *
 * The values live in one mock-core `EngineMetrics` that the engine itself keeps, and prom-client
 * reads them at scrape time: one histogram implementation (mock-core's), an observation costs a
 * bucket search rather than a prom-client label lookup, and no wrapper sits between the engine
 * and the handlers. The simple engine meters each run (each choice is one engine request, as
 * vLLM V1 fans `n` out into child requests) on the host's clock; with `--gpu` the simulated
 * engine keeps the metrics, so every `vllm:` value (queue, batch, KV cache, prefix cache,
 * preemptions, the latency intervals of vllm-openai.md §8) is the simulation's, as the clients
 * saw it, and `vllm:cache_config_info` describes its cache.
 */
import {
  type EngineMetrics,
  type GpuEngineSettings,
  type KvCapacity,
  tokenCountBuckets,
  type Histogram as ValueHistogram,
} from "@servingkit/mock-core";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { LoraRegistry } from "./lora.js";
import type { MetricsEra } from "./profiles.js";

/** The 1-2-5 series up to `max` (vllm-openai.md §8: token-count histograms up to max_model_len). */
export function oneTwoFiveBuckets(max: number): number[] {
  return tokenCountBuckets(max);
}

/** Python's `repr(float)`: shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
function pythonFloatRepr(value: number): string {
  if (value === 0) return Object.is(value, -0) ? "-0.0" : "0.0";
  const sign = value < 0 ? "-" : "";
  // toExponential() without digits gives the shortest digits that round-trip, as repr does.
  const [mantissa = "", exponent = "0"] = Math.abs(value).toExponential().split("e");
  const digits = mantissa.replace(".", "");
  const e = Number(exponent);
  if (e < -4 || e >= 16) {
    const lead = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const size = Math.abs(e);
    return `${sign}${lead}e${e < 0 ? "-" : "+"}${size < 10 ? "0" : ""}${size}`;
  }
  if (e < 0) return `${sign}0.${"0".repeat(-e - 1)}${digits}`;
  if (digits.length <= e + 1) return `${sign}${digits.padEnd(e + 1, "0")}.0`;
  return `${sign}${digits.slice(0, e + 1)}.${digits.slice(e + 1)}`;
}

/**
 * A number as Python's prometheus_client writes a sample value or an `le` bound
 * (prometheus_client/utils.py `floatToGoString`): `+Inf`, `-Inf`, `NaN`; otherwise Python's
 * `repr(float(d))` (`2.0`, `0.005`, `1e-05`), except that a positive value with more than six
 * digits before the point switches to Go's exponent form with the digits' trailing zeros and
 * point stripped and `e+0` before the exponent (`1234567.0` → `1.234567e+06`, `1e14` →
 * `1e+014`).
 */
export function prometheusClientFloat(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  if (Number.isNaN(value)) return "NaN";
  const text = pythonFloatRepr(value);
  const dot = text.indexOf(".");
  if (value > 0 && dot > 6) {
    const mantissa = `${text[0]}.${text.slice(1, dot)}${text.slice(dot + 1)}`.replace(/[0.]+$/, "");
    return `${mantissa}e+0${dot - 1}`;
  }
  return text;
}

/** A sample value or bound as the text format writes it (`+Inf`, `-Inf`, `NaN` or a number). */
function parseSampleValue(text: string): number {
  if (text === "+Inf" || text === "Inf") return Number.POSITIVE_INFINITY;
  if (text === "-Inf") return Number.NEGATIVE_INFINITY;
  return Number(text);
}

/** One `name="value"` pair of a sample's label set (values may hold escaped quotes). */
const labelPair = /([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/**
 * A sample's name and labels as prometheus_client writes them (exposition.py `sample_line`):
 * labels sorted by name, and an `le` bound in its float format. `head` is prom-client's text
 * before the value (`name` or `name{...}`).
 */
function pythonSampleHead(head: string): string {
  const open = head.indexOf("{");
  if (open < 0) return head;
  const pairs = [...head.slice(open + 1, -1).matchAll(labelPair)].map(([, key, value]) => [
    key as string,
    key === "le" ? prometheusClientFloat(parseSampleValue(value as string)) : (value as string),
  ]);
  pairs.sort(([a], [b]) => ((a as string) < (b as string) ? -1 : 1));
  return `${head.slice(0, open)}{${pairs.map(([key, value]) => `${key}="${value}"`).join(",")}}`;
}

/**
 * Rewrites prom-client's Prometheus text exposition as vLLM's prometheus_client writes it
 * (exposition.py `generate_latest`): each sample's labels sorted by name, every sample value and
 * `le` bound in {@link prometheusClientFloat}'s format; comments and names stay as they are.
 * Expects prom-client's output: one sample per line, no timestamps, so the value is what follows
 * the line's last space.
 */
export function asPrometheusClientText(text: string): string {
  return text
    .split("\n")
    .map((line) => {
      if (line === "" || line.startsWith("#")) return line;
      const space = line.lastIndexOf(" ");
      if (space < 0) return line;
      const value = prometheusClientFloat(parseSampleValue(line.slice(space + 1)));
      return `${pythonSampleHead(line.slice(0, space))} ${value}`;
    })
    .join("\n");
}

/** The mock's metrics registry. */
export interface VllmMetrics {
  /** Prometheus text of every metric. */
  text(): Promise<string>;
  /** The exposition content type. */
  readonly contentType: string;
}

/** What {@link createVllmMetrics} needs. */
export interface VllmMetricsOptions {
  /** The served model name: the `model_name` label. */
  readonly modelName: string;
  /** Which names the version exports. */
  readonly era: MetricsEra;
  /** The values, kept by the engine (createTextEngine's `metrics`). */
  readonly state: EngineMetrics;
  /** The simulated GPU's settings and KV cache, when the mock runs with `--gpu`. */
  readonly gpu?: { readonly settings: GpuEngineSettings; readonly capacity: KvCapacity };
  /**
   * The LoRA adapters and `--max-loras`, when the mock runs with `--enable-lora`. `adapters`, when
   * given (with `--gpu`: the engine's `core.loraAdapters()`), says which adapters run and which
   * wait; without it the registry's in-flight adapters run and none waits.
   */
  readonly lora?: {
    readonly registry: LoraRegistry;
    readonly maxLoras: number;
    readonly adapters?: () => {
      readonly running: readonly string[];
      readonly waiting: readonly string[];
    };
  };
}

type Labels = Record<string, string>;

/** One engine's metrics and the labels of its series (`engine` is its data-parallel rank). */
interface EngineSeries {
  readonly state: EngineMetrics;
  readonly labels: Labels;
}

/**
 * A prom-client histogram whose samples are mock-core {@link ValueHistogram}s, one series per
 * engine, read when the registry renders (same sample shape as prom-client's own: `le` first,
 * then the metric's labels).
 */
class HistogramView extends Histogram<string> {
  readonly #name: string;
  readonly #help: string;
  readonly #series: () => readonly EngineSeries[];
  readonly #read: (state: EngineMetrics) => ValueHistogram;

  constructor(
    name: string,
    help: string,
    series: () => readonly EngineSeries[],
    read: (state: EngineMetrics) => ValueHistogram,
    labelNames: readonly string[],
  ) {
    const first = read((series()[0] as EngineSeries).state);
    super({
      name,
      help,
      labelNames: [...labelNames],
      buckets: [...first.bounds],
      registers: [],
    });
    this.#name = name;
    this.#help = help;
    this.#series = series;
    this.#read = read;
  }

  /** The samples; `splay` puts the metric's labels beside `le` (JSON) instead of after it (text). */
  #metric(splay: boolean): RenderedHistogram {
    const name = this.#name;
    const values: unknown[] = [];
    for (const { state, labels } of this.#series()) {
      const source = this.#read(state);
      const cumulative = source.cumulative();
      const sample = (suffix: string, value: number, le?: number | string) => {
        const own = le === undefined ? {} : { le };
        return splay
          ? { labels: { ...own, ...labels }, value, metricName: `${name}${suffix}` }
          : { labels: own, sharedLabels: labels, value, metricName: `${name}${suffix}` };
      };
      values.push(
        ...source.bounds.map((bound, i) => sample("_bucket", cumulative[i] as number, bound)),
        sample("_bucket", source.count, "+Inf"),
        sample("_sum", source.sum),
        sample("_count", source.count),
      );
    }
    return {
      name,
      help: this.#help,
      type: "histogram",
      values,
      aggregator: "sum",
    } as unknown as RenderedHistogram;
  }

  override async get(): Promise<RenderedHistogram> {
    return this.#metric(true);
  }

  /** What the registry renders the text from (prom-client calls it when present). */
  async getForPromString(): Promise<RenderedHistogram> {
    return this.#metric(false);
  }
}

type RenderedHistogram = Awaited<ReturnType<Histogram<string>["get"]>>;

/** Creates the metrics of one served model; see the module comment. */
export function createVllmMetrics(options: VllmMetricsOptions): VllmMetrics {
  const { era, gpu, state } = options;
  const registry = new Registry();
  const labels: Labels = era.engineLabel
    ? { model_name: options.modelName, engine: "0" }
    : { model_name: options.modelName };
  const labelNames = Object.keys(labels);
  const registers = [registry];
  // --data-parallel-size: one series per engine core, `engine` its rank, each from that engine's
  // own metrics (vllm/v1/metrics/loggers.py PrometheusStatLogger labels every per-engine metric
  // with engine_idx). Read at the first scrape: the engine lists its ranks once it is built.
  let engines: readonly EngineSeries[] | undefined;
  const series = (): readonly EngineSeries[] => {
    engines ??=
      era.engineLabel && state.dataParallelEngines !== undefined
        ? state.dataParallelEngines.map((rank, index) => ({
            state: rank,
            labels: { model_name: options.modelName, engine: String(index) },
          }))
        : [{ state, labels }];
    return engines;
  };
  const gauge = (name: string, help: string, read: (state: EngineMetrics) => number) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers,
      collect() {
        for (const engine of series()) this.set(engine.labels, read(engine.state));
      },
    });
  const counter = (name: string, help: string, read: (state: EngineMetrics) => number) =>
    new Counter({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        for (const engine of series()) this.inc(engine.labels, read(engine.state));
      },
    });
  const histogram = (name: string, help: string, read: (state: EngineMetrics) => ValueHistogram) =>
    registry.registerMetric(new HistogramView(name, help, series, read, labelNames));

  gauge(
    "vllm:num_requests_running",
    "Number of requests in model execution batches.",
    (s) => s.running,
  );
  gauge(
    "vllm:num_requests_waiting",
    "Number of requests waiting to be processed.",
    (s) => s.waiting,
  );
  if (era.waitingByReason) {
    // Every waiting request counts as `capacity`: the mock holds none back for a LoRA budget or
    // a KV transfer, so `deferred` stays 0 and the two still sum to vllm:num_requests_waiting
    // (vllm PR #38435, from 0.20.0). The HELP text is ours: vLLM's is not pinned.
    new Gauge({
      name: "vllm:num_requests_waiting_by_reason",
      help: "Number of requests waiting to be processed, by reason.",
      labelNames: [...labelNames, "reason"],
      registers,
      collect() {
        for (const engine of series()) {
          this.set({ ...engine.labels, reason: "capacity" }, engine.state.waiting);
          this.set({ ...engine.labels, reason: "deferred" }, 0);
        }
      },
    });
  }
  gauge(era.cacheUsageName, "KV-cache usage. 1 means 100 percent usage.", (s) => s.kvCacheUsage);
  counter(
    "vllm:num_preemptions_total",
    "Cumulative number of preemption from the engine.",
    (s) => s.preemptions,
  );
  counter("vllm:prompt_tokens_total", "Number of prefill tokens processed.", (s) => s.promptTokens);
  counter(
    "vllm:generation_tokens_total",
    "Number of generation tokens processed.",
    (s) => s.generationTokens,
  );
  new Counter({
    name: "vllm:request_success_total",
    help: "Count of successfully processed requests.",
    labelNames: [...labelNames, "finished_reason"],
    registers,
    collect() {
      this.reset();
      // V1 pre-creates every finished_reason (vllm-openai.md §8).
      for (const engine of series())
        for (const reason of ["stop", "length", "abort"] as const)
          this.inc(
            { ...engine.labels, finished_reason: reason },
            engine.state.requestSuccess[reason],
          );
    },
  });
  histogram(
    "vllm:request_prompt_tokens",
    "Number of prefill tokens processed.",
    (s) => s.requestPromptTokens,
  );
  histogram(
    "vllm:request_generation_tokens",
    "Number of generation tokens processed.",
    (s) => s.requestGenerationTokens,
  );
  // vllm/v1/metrics/loggers.py (V0's vllm/engine/metrics.py alike): one observation per
  // request, or per parent once its last parallel-sampling child finishes.
  histogram(
    "vllm:request_max_num_generation_tokens",
    "Histogram of maximum number of requested generation tokens.",
    (s) => s.requestMaxNumGenerationTokens,
  );
  histogram(
    "vllm:request_params_n",
    "Histogram of the n request parameter.",
    (s) => s.requestParamsN,
  );
  histogram(
    "vllm:request_params_max_tokens",
    "Histogram of the max_tokens request parameter.",
    (s) => s.requestParamsMaxTokens,
  );
  histogram(
    "vllm:time_to_first_token_seconds",
    "Histogram of time to first token in seconds.",
    (s) => s.timeToFirstToken,
  );
  // vllm-openai.md §8: inter_token_latency replaced time_per_output_token with the same observations.
  if (era.timePerOutputToken)
    histogram(
      "vllm:time_per_output_token_seconds",
      "Histogram of time per output token in seconds.",
      (s) => s.interTokenLatency,
    );
  if (era.interTokenLatency) {
    histogram(
      "vllm:inter_token_latency_seconds",
      "Histogram of inter-token latency in seconds.",
      (s) => s.interTokenLatency,
    );
    histogram(
      "vllm:request_time_per_output_token_seconds",
      "Histogram of time_per_output_token_seconds per request.",
      (s) => s.requestTimePerOutputToken,
    );
  }
  histogram(
    "vllm:e2e_request_latency_seconds",
    "Histogram of e2e request latency in seconds.",
    (s) => s.e2eRequestLatency,
  );
  if (gpu) gpuFamilies(gpu.settings, gpu.capacity);
  if (options.lora) {
    const { registry, adapters } = options.lora;
    loraInfo(
      adapters ?? (() => ({ running: registry.running(), waiting: [] })),
      options.lora.maxLoras,
    );
  }

  /**
   * vllm-openai.md §8 (vllm/v1/metrics/loggers.py): with LoRA enabled, `vllm:lora_requests_info`
   * is set to the wall-clock time (seconds) under labels `max_lora`, `waiting_lora_adapters` and
   * `running_lora_adapters` (comma-joined names); prometheus_client keeps every label set it has
   * seen with its last time. Here the current set is taken at each scrape.
   */
  function loraInfo(
    adapters: () => { readonly running: readonly string[]; readonly waiting: readonly string[] },
    maxLoras: number,
  ) {
    const seen = new Map<string, { labels: Labels; time: number }>();
    new Gauge({
      name: "vllm:lora_requests_info",
      help: "Running stats on lora requests.",
      labelNames: ["max_lora", "waiting_lora_adapters", "running_lora_adapters"],
      registers,
      collect() {
        const { running, waiting } = adapters();
        const labels: Labels = {
          max_lora: String(maxLoras),
          waiting_lora_adapters: waiting.join(","),
          running_lora_adapters: running.join(","),
        };
        seen.set(JSON.stringify(labels), { labels, time: Date.now() / 1000 });
        for (const { labels: set, time } of seen.values()) this.set(set, time);
      },
    });
  }

  /** What only the simulation knows: queue and phase intervals, step sizes, prefix cache, cache config. */
  function gpuFamilies(settings: GpuEngineSettings, capacity: KvCapacity) {
    histogram(
      "vllm:request_queue_time_seconds",
      "Histogram of time spent in WAITING phase for request.",
      (s) => s.requestQueueTime,
    );
    histogram(
      "vllm:request_inference_time_seconds",
      "Histogram of time spent in RUNNING phase for request.",
      (s) => s.requestInferenceTime,
    );
    histogram(
      "vllm:request_prefill_time_seconds",
      "Histogram of time spent in PREFILL phase for request.",
      (s) => s.requestPrefillTime,
    );
    histogram(
      "vllm:request_decode_time_seconds",
      "Histogram of time spent in DECODE phase for request.",
      (s) => s.requestDecodeTime,
    );
    histogram(
      "vllm:iteration_tokens_total",
      "Histogram of number of tokens per engine_step.",
      (s) => s.iterationTokens,
    );
    // vllm-openai.md §8: V1 counts prefix-cache queries and hits in tokens.
    if (era.engineLabel) {
      counter(
        "vllm:prefix_cache_queries_total",
        "Prefix cache queries, in terms of number of queried tokens.",
        (s) => s.prefixCacheQueries,
      );
      counter(
        "vllm:prefix_cache_hits_total",
        "Prefix cache hits, in terms of number of cached tokens.",
        (s) => s.prefixCacheHits,
      );
    }
    if (settings.speculative !== undefined && era.engineLabel)
      specDecodeFamilies(settings.speculative.numSpeculativeTokens);
    // vllm/v1/metrics/loggers.py log_metrics_info: an info gauge set to 1, the CacheConfig's
    // fields as labels (Python's str() of each value) plus `engine`; no model_name.
    const info: Labels = {
      block_size: String(capacity.blockSize),
      cache_dtype: "auto",
      calculate_kv_scales: "False",
      cpu_offload_gb: "0",
      enable_prefix_caching: settings.enablePrefixCaching ? "True" : "False",
      gpu_memory_utilization: String(settings.gpuMemoryUtilization),
      is_attention_free: "False",
      num_cpu_blocks: "None",
      num_gpu_blocks: String(capacity.numBlocks),
      num_gpu_blocks_override: "None",
      sliding_window: "None",
      swap_space_bytes: String(4 * 1024 ** 3),
      ...(era.engineLabel ? { engine: "0" } : {}),
    };
    const cacheInfo = new Gauge({
      name: "vllm:cache_config_info",
      help: "Information of the LLMEngine CacheConfig",
      labelNames: Object.keys(info),
      registers,
    });
    // One per engine core with --data-parallel-size (each rank has the same cache).
    const ranks = era.engineLabel ? (settings.dataParallelSize ?? 1) : 1;
    for (let rank = 0; rank < ranks; rank++)
      cacheInfo.set(era.engineLabel ? { ...info, engine: String(rank) } : info, 1);
  }

  /**
   * vllm/v1/spec_decode/metrics.py SpecDecodingProm: registered only with a speculative config;
   * counters of drafts, draft tokens and accepted tokens, and accepted tokens per draft position
   * under a `position` label ("0" … k-1, each created at start).
   */
  function specDecodeFamilies(k: number) {
    counter(
      "vllm:spec_decode_num_drafts_total",
      "Number of spec decoding drafts.",
      (s) => s.specDecodeDrafts,
    );
    counter(
      "vllm:spec_decode_num_draft_tokens_total",
      "Number of draft tokens.",
      (s) => s.specDecodeDraftTokens,
    );
    counter(
      "vllm:spec_decode_num_accepted_tokens_total",
      "Number of accepted tokens.",
      (s) => s.specDecodeAcceptedTokens,
    );
    new Counter({
      name: "vllm:spec_decode_num_accepted_tokens_per_pos_total",
      help: "Accepted tokens per draft position.",
      labelNames: [...labelNames, "position"],
      registers,
      collect() {
        this.reset();
        for (const engine of series())
          for (let position = 0; position < k; position++) {
            this.inc(
              { ...engine.labels, position: String(position) },
              engine.state.specDecodeAcceptedPerPosition[position] ?? 0,
            );
          }
      },
    });
  }

  return {
    text: async () => asPrometheusClientText(await registry.metrics()),
    contentType: registry.contentType,
  };
}

/**
 * Counts one pooled input (`/pooling`, `/classify`, each `/v1/embeddings` input, each `/score`
 * or `/rerank` pair): vLLM's output processor computes its stats
 * for pooling outputs as for generated ones (v1/engine/output_processor.py: the stats step comes
 * before the `pooling_output is None` branch) and the scheduler finishes a pooled request as
 * stopped; so one `finished_reason="stop"` success, its prompt tokens in
 * `vllm:prompt_tokens_total` and the prompt-token histogram, no generation tokens, and time to
 * first token and end-to-end latency of 0 s (the mock pools at once, in seconds).
 */
export function countPooled(state: EngineMetrics, promptTokens: number): void {
  state.promptTokens += promptTokens;
  state.requestSuccess.stop += 1;
  state.requestPromptTokens.observe(promptTokens);
  state.requestGenerationTokens.observe(0);
  state.timeToFirstToken.observe(0);
  state.e2eRequestLatency.observe(0);
}
