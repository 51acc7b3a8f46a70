/**
 * vLLM's V1 engine metrics computed from the simulation (vllm-openai.md §8): the gauges, counters
 * and histograms a `/metrics` endpoint exposes, fed by the same events the clients see, so
 * dashboards and the streams agree. Pure bookkeeping in seconds and tokens; rendering the
 * Prometheus text is the runtime family's job.
 */
import type { FinishedRequest, StepResult } from "./engine-core.js";
import { grownColumn, noSlot, RequestSlots } from "./request-slots.js";

/** V1 bucket bounds of `vllm:time_to_first_token_seconds` (vllm-openai.md §8). */
export const ttftBuckets = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80,
  160, 640, 2560,
] as const;
/** V1 bucket bounds of `vllm:inter_token_latency_seconds` and `vllm:request_time_per_output_token_seconds`. */
export const interTokenBuckets = [
  0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80,
] as const;
/** V1 bucket bounds of the request-interval histograms (e2e, queue, inference, prefill, decode). */
export const requestLatencyBuckets = [
  0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960, 1920, 7680,
] as const;
/** V1 bucket bounds of `vllm:iteration_tokens_total`. */
export const iterationTokenBuckets = [
  1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384,
] as const;

/** Bucket bounds of `vllm:request_params_n` (vllm/v1/metrics/loggers.py; V0's metrics.py alike). */
export const requestParamsNBuckets = [1, 2, 5, 10, 20] as const;

/** The 1-2-5 series up to `maxModelLen`: buckets of the request token-count histograms (vllm-openai.md §8). */
export function tokenCountBuckets(maxModelLen: number): number[] {
  const buckets: number[] = [];
  for (let scale = 1; ; scale *= 10) {
    for (const step of [1, 2, 5]) {
      if (step * scale > maxModelLen) return buckets;
      buckets.push(step * scale);
    }
  }
}

/**
 * What the metrics need of a histogram: one observation at a time, and optionally the same
 * observation several times in one call (a step's inter-token gaps are mostly one value).
 */
export interface HistogramSink {
  /** Records one observation (seconds or tokens, as the histogram's name says). */
  observe(value: number): void;
  /**
   * Records `value` `count` times (count ≥ 1), exactly as `count` calls of `observe` would, sum
   * included to the last bit. Optional: without it {@link EngineMetrics} calls `observe` `count`
   * times.
   */
  observeRepeated?(value: number, count: number): void;
}

/**
 * Records `value` `count` times in `sink`: one call when the sink has `observeRepeated`, else
 * `count` calls of `observe`. One call per run of equal values instead of one per token: a
 * number passed to a call that is not inlined is boxed, one 16-byte heap number per call
 * (measured: 16 KB per step with 1,000 running, the whole of EngineMetrics.step's allocation).
 */
function observeTimes(sink: HistogramSink, value: number, count: number): void {
  if (sink.observeRepeated !== undefined) sink.observeRepeated(value, count);
  else for (let k = 0; k < count; k++) sink.observe(value);
}

/**
 * A Prometheus-style histogram: per-bucket counts (not cumulative), sum and count. The default
 * sink of {@link EngineMetrics}, for simulations and tests; a server exposing `/metrics` passes
 * its exporter's histograms instead (one histogram implementation per exposition).
 */
export class Histogram implements HistogramSink {
  readonly bounds: readonly number[];
  /** counts[i] = observations ≤ bounds[i] and > bounds[i-1]; the last entry is the +Inf overflow. */
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  /** Records one observation. */
  observe(value: number): void {
    let i = 0;
    while (i < this.bounds.length && value > (this.bounds[i] as number)) i++;
    (this.counts[i] as number)++;
    this.sum += value;
    this.count++;
  }

  /**
   * Records `value` `count` times: the bucket found once, the sum still added one observation at
   * a time (`count × value` added once can differ in the last bits, and the `_sum` a dashboard
   * reads stays what one-by-one observing gives).
   */
  observeRepeated(value: number, count: number): void {
    let i = 0;
    while (i < this.bounds.length && value > (this.bounds[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + count;
    let sum = this.sum;
    for (let k = 0; k < count; k++) sum += value;
    this.sum = sum;
    this.count += count;
  }

  /** Cumulative counts per bound, then +Inf: the `_bucket{le=...}` values. */
  cumulative(): number[] {
    let running = 0;
    return this.counts.map((c) => (running += c));
  }
}

/** Why a request ended: `vllm:request_success_total{finished_reason}` (V1 pre-creates all three). */
export type FinishedReason = "stop" | "length" | "abort";

/** The histograms of {@link EngineMetrics}, by field name. */
export type EngineHistogramName =
  | "timeToFirstToken"
  | "interTokenLatency"
  | "requestTimePerOutputToken"
  | "e2eRequestLatency"
  | "requestQueueTime"
  | "requestInferenceTime"
  | "requestPrefillTime"
  | "requestDecodeTime"
  | "iterationTokens"
  | "requestPromptTokens"
  | "requestGenerationTokens"
  | "requestParamsMaxTokens"
  | "requestParamsN"
  | "requestMaxNumGenerationTokens";

/** Makes the sink of one histogram from its name and V1 bucket bounds. */
export type HistogramFactory<H extends HistogramSink> = (
  name: EngineHistogramName,
  buckets: readonly number[],
) => H;

/**
 * The request a parallel-sampling child belongs to: vLLM V1 fans a request with `n` > 1 out into
 * `n` child requests, and records `vllm:request_params_n` and `vllm:request_max_num_generation_tokens`
 * once for the parent, when its last child finishes (vllm/v1/engine/parallel_sampling.py
 * `observe_finished_request`).
 */
export interface ParentRequest {
  /** The parent's id, the same for all its children. */
  readonly id: string;
  /** The `n` request parameter: how many children the parent has. */
  readonly n: number;
}

/** What the frontend knows about a request when it reaches the engine. */
export interface ArrivalDetails {
  /** The parent when this request is one of `n` > 1 parallel samples; absent for `n` = 1. */
  readonly parent?: ParentRequest;
  /**
   * Why the request will end when it produces all its tokens: "stop" when its content ends at
   * EOS or a stop sequence, "length" (default) when it runs into max_tokens. The engine itself
   * only counts tokens, so the frontend that produced the content says which.
   */
  readonly finishedReason?: "stop" | "length";
  /** The request's max_tokens parameter (`vllm:request_params_max_tokens`), when it has one. */
  readonly maxTokens?: number;
}

/**
 * What the metrics keep of a request from its arrival, read once per request (first token,
 * finish). What every token reads and writes (first, latest token, tokens so far) lives in the
 * columns of {@link EngineMetrics} by the request's slot (./request-slots.ts).
 */
interface Timeline {
  readonly arrival: number;
  readonly promptTokens: number;
  readonly finishedReason: "stop" | "length";
  readonly parent: ParentRequest | undefined;
  readonly maxTokens: number | undefined;
  /** When it was first scheduled (seconds); NaN until then. */
  scheduled: number;
}

/**
 * The engine's metrics; feed it arrivals, steps and aborts. Times in simulated seconds. Histograms
 * are {@link Histogram}s unless a factory makes them (e.g. prom-client histograms bound to a
 * model's labels). Per token it does two counter additions and one inter-token observation,
 * observed per run of equal gaps ({@link HistogramSink.observeRepeated}); everything else is
 * observed once per request or per step.
 */
export class EngineMetrics<H extends HistogramSink = Histogram> {
  /** `vllm:num_requests_running`, `vllm:num_requests_waiting`, `vllm:kv_cache_usage_perc` after the last step. */
  running = 0;
  waiting = 0;
  kvCacheUsage = 0;
  /** Counters (`_total`). */
  promptTokens = 0;
  generationTokens = 0;
  preemptions = 0;
  prefixCacheQueries = 0;
  prefixCacheHits = 0;
  readonly requestSuccess: Record<FinishedReason, number> = { stop: 0, length: 0, abort: 0 };
  /**
   * Speculative decoding (vllm/v1/spec_decode/metrics.py): `vllm:spec_decode_num_drafts`,
   * `_num_draft_tokens`, `_num_accepted_tokens` and `_num_accepted_tokens_per_pos{position}`
   * (index = position). They stay 0 (and the list empty) without speculative decoding.
   */
  specDecodeDrafts = 0;
  specDecodeDraftTokens = 0;
  specDecodeAcceptedTokens = 0;
  readonly specDecodeAcceptedPerPosition: number[] = [];
  /**
   * With `--data-parallel-size` > 1, on rank 0's metrics: every rank's metrics in rank order (this
   * one first), each kept by its own engine core, for /metrics (one series per `engine` label) and
   * the stats lines; set by the text engine factory. Absent: this engine alone.
   */
  dataParallelEngines: readonly EngineMetrics<H>[] | undefined = undefined;
  /** Histograms. */
  readonly timeToFirstToken: H;
  readonly interTokenLatency: H;
  readonly requestTimePerOutputToken: H;
  readonly e2eRequestLatency: H;
  readonly requestQueueTime: H;
  readonly requestInferenceTime: H;
  readonly requestPrefillTime: H;
  readonly requestDecodeTime: H;
  readonly iterationTokens: H;
  readonly requestPromptTokens: H;
  readonly requestGenerationTokens: H;
  readonly requestParamsMaxTokens: H;
  /** `vllm:request_params_n`: one observation per parent request (or request with `n` = 1). */
  readonly requestParamsN: H;
  /** `vllm:request_max_num_generation_tokens`: the most tokens any child of a parent generated. */
  readonly requestMaxNumGenerationTokens: H;
  /** Requests between arrival and finish or abort, by slot. */
  readonly #requests = new RequestSlots();
  readonly #timelines: (Timeline | undefined)[] = [];
  /**
   * Per slot: when the first and the latest token came out (seconds; NaN until then) and tokens
   * so far. Typed columns: a step reads and writes them for every token without reaching one
   * object per request (see ./request-slots.ts).
   */
  #first = new Float64Array(16);
  #last = new Float64Array(16);
  #generated = new Float64Array(16);
  /** Parents with children still running: children left and the most tokens one generated. */
  readonly #parents = new Map<string, { left: number; most: number }>();

  /**
   * `maxModelLen` sets the token-count histogram buckets; `histogram` makes each histogram's sink
   * (default: a {@link Histogram}).
   */
  constructor(maxModelLen: number, histogram?: HistogramFactory<H>) {
    const make: HistogramFactory<H> =
      histogram ?? ((_name, buckets) => new Histogram(buckets) as HistogramSink as H);
    const tokenCounts = tokenCountBuckets(maxModelLen);
    this.timeToFirstToken = make("timeToFirstToken", ttftBuckets);
    this.interTokenLatency = make("interTokenLatency", interTokenBuckets);
    this.requestTimePerOutputToken = make("requestTimePerOutputToken", interTokenBuckets);
    this.e2eRequestLatency = make("e2eRequestLatency", requestLatencyBuckets);
    this.requestQueueTime = make("requestQueueTime", requestLatencyBuckets);
    this.requestInferenceTime = make("requestInferenceTime", requestLatencyBuckets);
    this.requestPrefillTime = make("requestPrefillTime", requestLatencyBuckets);
    this.requestDecodeTime = make("requestDecodeTime", requestLatencyBuckets);
    this.iterationTokens = make("iterationTokens", iterationTokenBuckets);
    this.requestPromptTokens = make("requestPromptTokens", tokenCounts);
    this.requestGenerationTokens = make("requestGenerationTokens", tokenCounts);
    this.requestParamsMaxTokens = make("requestParamsMaxTokens", tokenCounts);
    this.requestParamsN = make("requestParamsN", requestParamsNBuckets);
    this.requestMaxNumGenerationTokens = make("requestMaxNumGenerationTokens", tokenCounts);
  }

  /** A request reached the engine at `now` with `promptTokens` prompt tokens. */
  arrived(id: string, now: number, promptTokens: number, details: ArrivalDetails = {}): void {
    const slot = this.#requests.add(id);
    this.#timelines[slot] = {
      arrival: now,
      promptTokens,
      finishedReason: details.finishedReason ?? "length",
      parent: details.parent,
      maxTokens: details.maxTokens,
      scheduled: Number.NaN,
    };
    this.#first = grownColumn(this.#first, slot);
    this.#last = grownColumn(this.#last, slot);
    this.#generated = grownColumn(this.#generated, slot);
    this.#first[slot] = Number.NaN;
    this.#last[slot] = Number.NaN;
    this.#generated[slot] = 0;
  }

  /**
   * One engine step happened (the result of EngineCore.step). `after` gives the gauges once the
   * step's finished requests have left (as vLLM reports them after updating from the step's
   * output); without it they come from the step's own stats.
   */
  step(result: StepResult, after?: { running: number; waiting: number; kvUsage: number }): void {
    const { stats } = result;
    this.running = after?.running ?? stats.running - result.finished.length;
    this.waiting = after?.waiting ?? stats.waiting;
    this.kvCacheUsage = after?.kvUsage ?? stats.kvUsage;
    this.preemptions += stats.preemptions;
    this.prefixCacheQueries += stats.prefixQueries;
    this.prefixCacheHits += stats.prefixHits;
    this.iterationTokens.observe(stats.scheduledTokens);
    const spec = stats.specDecode;
    if (spec !== undefined) {
      this.specDecodeDrafts += spec.drafts;
      this.specDecodeDraftTokens += spec.draftTokens;
      this.specDecodeAcceptedTokens += spec.acceptedTokens;
      const perPosition = this.specDecodeAcceptedPerPosition;
      for (let i = 0; i < spec.acceptedPerPosition.length; i++)
        perPosition[i] = (perPosition[i] ?? 0) + (spec.acceptedPerPosition[i] as number);
    }
    // Indexed loops: the for-of loops here allocated an iterator result per token (measured with
    // the sampling heap profiler: about 25 bytes per token; 1,000 tokens a step with 1,000 running).
    const { admitted, sampled, finished } = result;
    const requests = this.#requests;
    const timelines = this.#timelines;
    for (let i = 0; i < admitted.length; i++) {
      const a = admitted[i] as StepResult["admitted"][number];
      const t = timelines[requests.get(a.requestId)];
      if (t && Number.isNaN(t.scheduled)) t.scheduled = stats.start;
    }
    const first = this.#first;
    const last = this.#last;
    const generated = this.#generated;
    // The step's tokens as one batch (StepTokens): all sampled at the step's end. The inter-token
    // gaps are observed per run of equal gaps (most requests' latest token came out at the step
    // before), in the order one-by-one observing would make them.
    const time = sampled.time;
    const interToken = this.interTokenLatency;
    let gap = 0;
    let gaps = 0;
    for (let i = 0; i < sampled.length; i++) {
      const slot = requests.at(i, sampled.requestId(i));
      if (slot === noSlot) continue;
      if (Number.isNaN(first[slot] as number)) {
        const t = timelines[slot] as Timeline;
        first[slot] = time;
        this.timeToFirstToken.observe(time - t.arrival);
        this.promptTokens += t.promptTokens; // V1 counts a prompt when its first token is out
      } else if (time !== last[slot]) {
        // One observation per request per engine output (vllm/v1/metrics/stats.py
        // IterationStats): the extra tokens a speculative step emits add none.
        const value = time - (last[slot] as number);
        if (gaps > 0 && value !== gap) {
          observeTimes(interToken, gap, gaps);
          gaps = 0;
        }
        gap = value;
        gaps++;
      }
      last[slot] = time;
      (generated[slot] as number)++;
      this.generationTokens++;
    }
    if (gaps > 0) observeTimes(interToken, gap, gaps);
    for (let i = 0; i < finished.length; i++) {
      const f = finished[i] as FinishedRequest;
      const reason =
        f.reason === "length" ? timelines[requests.get(f.requestId)]?.finishedReason : "abort";
      this.#finish(f.requestId, reason ?? f.reason, f.time);
    }
  }

  /**
   * A request (or one parallel-sampling child) finished having generated `generated` tokens:
   * `vllm:request_params_n` and `vllm:request_max_num_generation_tokens` are observed at once for a
   * request without a parent, and for a parent when the last of its `n` children finishes, with
   * the most tokens any child generated (vllm/v1/engine/parallel_sampling.py).
   */
  finishedGeneration(generated: number, parent?: ParentRequest): void {
    if (parent === undefined || parent.n <= 1) {
      this.requestParamsN.observe(parent?.n ?? 1);
      this.requestMaxNumGenerationTokens.observe(generated);
      return;
    }
    let state = this.#parents.get(parent.id);
    if (state === undefined) {
      state = { left: parent.n, most: 0 };
      this.#parents.set(parent.id, state);
    }
    state.left -= 1;
    if (generated > state.most) state.most = generated;
    if (state.left > 0) return;
    this.#parents.delete(parent.id);
    this.requestParamsN.observe(parent.n);
    this.requestMaxNumGenerationTokens.observe(state.most);
  }

  /**
   * A request its client left (disconnect): it leaves without a trace in the per-request metrics,
   * as in vLLM, whose frontend drops an aborted request's state before any finished-request
   * statistics (v1/engine/output_processor.py abort_requests; measured on 0.10.1.1 in
   * vllm-project/vllm#55634, 0.13.0 in #31503: `request_success_total` and every per-request
   * histogram unchanged). The tokens it produced stay in the token counters.
   */
  aborted(id: string): void {
    const slot = this.#requests.delete(id);
    if (slot === noSlot) return;
    const t = this.#timelines[slot] as Timeline;
    this.#timelines[slot] = undefined;
    this.abandoned(t.parent);
  }

  /**
   * A parallel-sampling child was left by its client: its parent's `n` and max-generation
   * observations will never come (the other children leave too), so its pending state goes.
   */
  abandoned(parent: ParentRequest | undefined): void {
    if (parent !== undefined) this.#parents.delete(parent.id);
  }

  #finish(id: string, reason: FinishedReason, now: number): void {
    const slot = this.#requests.delete(id);
    if (slot === noSlot) return;
    const t = this.#timelines[slot] as Timeline;
    this.#timelines[slot] = undefined;
    const first = this.#first[slot] as number;
    const generated = this.#generated[slot] as number;
    this.requestSuccess[reason]++;
    // V1 observes max_tokens from the finished request (v1/metrics/loggers.py record).
    if (t.maxTokens) this.requestParamsMaxTokens.observe(t.maxTokens);
    this.requestPromptTokens.observe(t.promptTokens);
    this.requestGenerationTokens.observe(generated);
    this.finishedGeneration(generated, t.parent);
    this.e2eRequestLatency.observe(now - t.arrival);
    if (!Number.isNaN(t.scheduled)) {
      // Queue, inference, prefill and decode times come from the finished request's timestamps.
      this.requestQueueTime.observe(t.scheduled - t.arrival);
      const latest = this.#last[slot] as number;
      const last = Number.isNaN(latest) ? now : latest;
      this.requestInferenceTime.observe(last - t.scheduled);
      if (!Number.isNaN(first)) {
        this.requestPrefillTime.observe(first - t.scheduled);
        this.requestDecodeTime.observe(last - first);
        if (generated > 1) this.requestTimePerOutputToken.observe((last - first) / (generated - 1));
      }
    }
  }
}

/** What a {@link MeteredRun} knows of its request when it starts. */
export interface MeteredRequest {
  /** The request's max_tokens parameter (`vllm:request_params_max_tokens`, observed at finish). */
  readonly maxTokens: number;
  /** Prompt tokens, counted in `vllm:prompt_tokens_total` when the first token is out. */
  readonly promptTokens: number;
  /** The request this run is one of `n` > 1 parallel samples of (absent for `n` = 1). */
  readonly parent?: ParentRequest | undefined;
}

/**
 * One request whose frontend times it on its own clock (the simple engine, where no engine steps
 * exist), as vLLM V1 records it (vllm-openai.md §8): running from creation to
 * {@link MeteredRun.close}; the prompt counted when the first token is out and every token as it
 * leaves; TTFT from creation and one inter-token observation per token; at the finish the finish
 * reason (EOS as "stop") and the per-request histograms. A run closed before its finish was left
 * by its consumer: like vLLM's client aborts it adds nothing but the tokens it produced
 * ({@link EngineMetrics.aborted}). Times in seconds.
 */
export class MeteredRun {
  readonly #metrics: EngineMetrics<HistogramSink>;
  readonly #start: number;
  readonly #request: MeteredRequest;
  #first: number | undefined;
  #last: number;
  #finished = false;

  constructor(metrics: EngineMetrics<HistogramSink>, now: number, request: MeteredRequest) {
    this.#metrics = metrics;
    this.#start = now;
    this.#last = now;
    this.#request = request;
    metrics.running += 1;
  }

  /** A token leaves at `now`. */
  token(now: number): void {
    const m = this.#metrics;
    if (this.#first === undefined) {
      this.#first = now;
      m.timeToFirstToken.observe(now - this.#start);
      m.promptTokens += this.#request.promptTokens;
    } else m.interTokenLatency.observe(now - this.#last);
    m.generationTokens += 1;
    this.#last = now;
  }

  /** The run finished at `now` with this reason, having generated `completionTokens` tokens. */
  finish(reason: "length" | "stop" | "eos" | "abort", completionTokens: number, now: number): void {
    const m = this.#metrics;
    const { maxTokens, promptTokens, parent } = this.#request;
    this.#finished = true;
    m.requestSuccess[reason === "eos" ? "stop" : reason] += 1;
    if (maxTokens) m.requestParamsMaxTokens.observe(maxTokens);
    m.requestPromptTokens.observe(promptTokens);
    m.requestGenerationTokens.observe(completionTokens);
    m.finishedGeneration(completionTokens, parent);
    m.e2eRequestLatency.observe(now - this.#start);
    if (this.#first !== undefined && completionTokens > 1)
      m.requestTimePerOutputToken.observe((this.#last - this.#first) / (completionTokens - 1));
  }

  /** The run is over (finished or not): it leaves the running count. */
  close(): void {
    this.#metrics.running -= 1;
    if (!this.#finished) this.#metrics.abandoned(this.#request.parent);
  }
}
