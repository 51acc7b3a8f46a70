/**
 * `GET /metrics`: vLLM's Prometheus metrics (vllm-openai.md §8) with their names, types,
 * `model_name` (and V1's `engine`) labels and bucket sets, exported through `prom-client` in
 * the Prometheus text format (counters named `<name>_total` as prometheus_client exports them;
 * sample values print as `2`, not Python's `2.0`, and `le` leads the labels: equal to a parser).
 * Values come from the engine runs the mock serves, so counters
 * agree with the requests answered: each choice is one engine request (vLLM V1 fans `n` out
 * into child requests the same way).
 */
import type { Clock, GenerationEvent, GenerationRequest, TextEngine } from "@servingkit/mock-core";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { MetricsEra } from "./profiles.js";

/** V1 TTFT buckets in seconds (vllm-openai.md §8). */
const ttftBuckets = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80,
  160, 640, 2560,
];
/** V1 per-output-token buckets in seconds (TPOT, ITL). */
const tokenBuckets = [
  0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80,
];
/** V1 request latency buckets in seconds (e2e, queue, inference, prefill, decode). */
const latencyBuckets = [
  0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960, 1920, 7680,
];

/** The 1-2-5 series up to `max` (vllm-openai.md §8: token-count histograms up to max_model_len). */
export function oneTwoFiveBuckets(max: number): number[] {
  const buckets: number[] = [];
  for (let exponent = 1; ; exponent *= 10) {
    for (const mantissa of [1, 2, 5]) {
      const value = mantissa * exponent;
      if (value > max) return buckets;
      buckets.push(value);
    }
  }
}

/** The mock's metrics registry and the engine decorator that feeds it. */
export interface VllmMetrics {
  /** Prometheus text of every metric. */
  text(): Promise<string>;
  /** The exposition content type. */
  readonly contentType: string;
  /** Wraps an engine so every run is counted. */
  meter(engine: TextEngine): TextEngine;
}

/** Creates the metrics of one served model. */
export function createVllmMetrics(options: {
  readonly modelName: string;
  readonly maxModelLen: number;
  readonly era: MetricsEra;
  readonly clock: Clock;
}): VllmMetrics {
  const { era, clock } = options;
  const registry = new Registry();
  const labels = era.engineLabel
    ? { model_name: options.modelName, engine: "0" }
    : { model_name: options.modelName };
  const labelNames = Object.keys(labels);
  const registers = [registry];
  const gauge = (name: string, help: string) => {
    const g = new Gauge({ name, help, labelNames, registers });
    g.set(labels, 0);
    return g;
  };
  const counter = (name: string, help: string, extra: string[] = []) =>
    new Counter({ name, help, labelNames: [...labelNames, ...extra], registers });
  const histogram = (name: string, help: string, buckets: number[]) => {
    const h = new Histogram({ name, help, labelNames, buckets, registers });
    h.zero(labels);
    return h;
  };
  const running = gauge(
    "vllm:num_requests_running",
    "Number of requests in model execution batches.",
  );
  gauge("vllm:num_requests_waiting", "Number of requests waiting to be processed.");
  gauge(era.cacheUsageName, "KV-cache usage. 1 means 100 percent usage.");
  const preemptions = counter(
    "vllm:num_preemptions_total",
    "Cumulative number of preemption from the engine.",
  );
  preemptions.inc(labels, 0);
  const promptTokens = counter("vllm:prompt_tokens_total", "Number of prefill tokens processed.");
  promptTokens.inc(labels, 0);
  const generationTokens = counter(
    "vllm:generation_tokens_total",
    "Number of generation tokens processed.",
  );
  generationTokens.inc(labels, 0);
  const success = counter(
    "vllm:request_success_total",
    "Count of successfully processed requests.",
    ["finished_reason"],
  );
  // V1 pre-creates every finished_reason (vllm-openai.md §8).
  for (const reason of ["stop", "length", "abort"])
    success.inc({ ...labels, finished_reason: reason }, 0);
  const tokenCountBuckets = oneTwoFiveBuckets(options.maxModelLen);
  const requestPrompt = histogram(
    "vllm:request_prompt_tokens",
    "Number of prefill tokens processed.",
    tokenCountBuckets,
  );
  const requestGeneration = histogram(
    "vllm:request_generation_tokens",
    "Number of generation tokens processed.",
    tokenCountBuckets,
  );
  const maxTokensParam = histogram(
    "vllm:request_params_max_tokens",
    "Histogram of the max_tokens request parameter.",
    tokenCountBuckets,
  );
  const ttft = histogram(
    "vllm:time_to_first_token_seconds",
    "Histogram of time to first token in seconds.",
    ttftBuckets,
  );
  const tpot = era.timePerOutputToken
    ? histogram(
        "vllm:time_per_output_token_seconds",
        "Histogram of time per output token in seconds.",
        tokenBuckets,
      )
    : undefined;
  const itl = era.interTokenLatency
    ? histogram(
        "vllm:inter_token_latency_seconds",
        "Histogram of inter-token latency in seconds.",
        tokenBuckets,
      )
    : undefined;
  const requestTpot = era.interTokenLatency
    ? histogram(
        "vllm:request_time_per_output_token_seconds",
        "Histogram of time_per_output_token_seconds per request.",
        tokenBuckets,
      )
    : undefined;
  const e2e = histogram(
    "vllm:e2e_request_latency_seconds",
    "Histogram of e2e request latency in seconds.",
    latencyBuckets,
  );

  async function* metered(
    events: AsyncIterable<GenerationEvent>,
    request: GenerationRequest,
  ): AsyncGenerator<GenerationEvent> {
    const start = clock.now();
    let first: number | undefined;
    let last = start;
    let finished = false;
    running.inc(labels);
    maxTokensParam.observe(labels, request.maxTokens);
    try {
      for await (const event of events) {
        const now = clock.now();
        if (event.type === "token") {
          if (first === undefined) {
            first = now;
            ttft.observe(labels, (now - start) / 1000);
          } else {
            const gap = (now - last) / 1000;
            tpot?.observe(labels, gap);
            itl?.observe(labels, gap);
          }
          last = now;
        } else {
          finished = true;
          const reason = event.reason === "eos" ? "stop" : event.reason;
          success.inc({ ...labels, finished_reason: reason });
          promptTokens.inc(labels, event.promptTokens);
          generationTokens.inc(labels, event.completionTokens);
          requestPrompt.observe(labels, event.promptTokens);
          requestGeneration.observe(labels, event.completionTokens);
          e2e.observe(labels, (now - start) / 1000);
          if (first !== undefined && event.completionTokens > 1) {
            requestTpot?.observe(labels, (last - first) / 1000 / (event.completionTokens - 1));
          }
        }
        yield event;
      }
    } finally {
      running.dec(labels);
      // A run left before its finish (the client went away) counts as aborted.
      if (!finished) success.inc({ ...labels, finished_reason: "abort" });
    }
  }

  return {
    text: () => registry.metrics(),
    contentType: registry.contentType,
    meter: (engine) => ({
      // The engine validates at once (it throws before any event), so it is called eagerly.
      generate: (request, generateOptions) =>
        metered(engine.generate(request, generateOptions), request),
    }),
  };
}
