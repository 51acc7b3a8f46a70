/**
 * TGIS's Prometheus metrics (HTTP `/metrics` on port 3000), with TGIS's names and labels, in a
 * registry of their own per mock (prom-client). Names and labels: caikit-tgis.md §3.7 and
 * IBM/text-generation-inference `router/src/grpc_server.rs` (`tgi_request_count{kind}`,
 * `tgi_request_success{stop_reason,kind}`, `tgi_request_failure{err}`, ...). Histogram buckets
 * are prom-client's defaults (TGIS's exporter buckets are not part of the reference). With the
 * simulated GPU (`--gpu`), `tgi_queue_size` and `tgi_batch_current_size` are the engine's waiting
 * and running requests ({@link TgisMetrics.followEngine}).
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";

/** The engine's queue and batch, as the simulated GPU reports them after each step. */
export interface EngineQueue {
  /** Requests in the running batch. */
  readonly running: number;
  /** Requests waiting for a slot. */
  readonly waiting: number;
}

/** Request kinds as TGIS labels them. */
export type RequestKind = "single" | "batch" | "stream";

/** Failure labels as TGIS counts them. */
export type FailureKind = "conc_limit" | "validation" | "generate";

/** What the generation service reports; every method is cheap and synchronous. */
export interface GenerationObserver {
  /** A Generate (single/batch) or GenerateStream call arrived. */
  request(kind: RequestKind, inputs: number): void;
  /** A call failed before or during generation. */
  failure(err: FailureKind): void;
  /** One generation finished with a stop reason. */
  success(
    kind: RequestKind,
    stopReason: string,
    inputTokens: number,
    generatedTokens: number,
    seconds: number,
  ): void;
  /** A Tokenize call counted `tokens` tokens in all. */
  tokenize(tokens: number): void;
  /** Requests in flight changed. */
  inFlight(count: number): void;
}

/** TGIS's metrics in their own registry. */
export class TgisMetrics implements GenerationObserver {
  /** The registry `/metrics` renders. */
  readonly registry = new Registry();
  readonly #requests = new Counter({
    name: "tgi_request_count",
    help: "Generation requests by kind",
    labelNames: ["kind"],
    registers: [this.registry],
  });
  readonly #inputs = new Counter({
    name: "tgi_request_input_count",
    help: "Generation inputs received",
    registers: [this.registry],
  });
  readonly #successes = new Counter({
    name: "tgi_request_success",
    help: "Successful generations by stop reason and kind",
    labelNames: ["stop_reason", "kind"],
    registers: [this.registry],
  });
  readonly #failures = new Counter({
    name: "tgi_request_failure",
    help: "Failed requests by error kind",
    labelNames: ["err"],
    registers: [this.registry],
  });
  readonly #duration = new Histogram({
    name: "tgi_request_duration",
    help: "Request duration in seconds",
    registers: [this.registry],
  });
  readonly #generated = new Histogram({
    name: "tgi_request_generated_tokens",
    help: "Generated tokens per request",
    buckets: [1, 5, 10, 20, 50, 100, 200, 500, 1000],
    registers: [this.registry],
  });
  readonly #inputLength = new Histogram({
    name: "tgi_request_input_length",
    help: "Input tokens per request",
    buckets: [1, 5, 10, 20, 50, 100, 200, 500, 1000, 2000],
    registers: [this.registry],
  });
  readonly #tokenize = new Counter({
    name: "tgi_tokenize_request_count",
    help: "Tokenize requests",
    registers: [this.registry],
  });
  readonly #tokenizeTokens = new Histogram({
    name: "tgi_tokenize_request_tokens",
    help: "Tokens per Tokenize request",
    buckets: [1, 10, 100, 1000, 10000],
    registers: [this.registry],
  });
  #engine: EngineQueue | undefined;
  readonly #batch: Gauge;
  readonly #queue: Gauge;

  constructor() {
    // Read at scrape time: the engine's numbers when following one, else what was set.
    const engineOf = () => this.#engine;
    this.#batch = new Gauge({
      name: "tgi_batch_current_size",
      help: "Requests being generated now",
      registers: [this.registry],
      collect() {
        const engine = engineOf();
        if (engine) this.set(engine.running);
      },
    });
    this.#queue = new Gauge({
      name: "tgi_queue_size",
      help: "Requests waiting for a batch slot (the simple engine never queues)",
      registers: [this.registry],
      collect() {
        const engine = engineOf();
        if (engine) this.set(engine.waiting);
      },
    });
    this.#queue.set(0);
    this.#batch.set(0);
  }

  /**
   * Takes the queue and batch gauges from the simulated GPU from now on (its scheduler decides
   * who waits); the generation service's in-flight count no longer sets the batch size.
   */
  followEngine(engine: EngineQueue): void {
    this.#engine = engine;
  }

  request(kind: RequestKind, inputs: number): void {
    this.#requests.inc({ kind });
    this.#inputs.inc(inputs);
  }

  failure(err: FailureKind): void {
    this.#failures.inc({ err });
  }

  success(
    kind: RequestKind,
    stopReason: string,
    inputTokens: number,
    generatedTokens: number,
    seconds: number,
  ): void {
    this.#successes.inc({ stop_reason: stopReason, kind });
    this.#duration.observe(seconds);
    this.#generated.observe(generatedTokens);
    this.#inputLength.observe(inputTokens);
  }

  tokenize(tokens: number): void {
    this.#tokenize.inc();
    this.#tokenizeTokens.observe(tokens);
  }

  inFlight(count: number): void {
    if (!this.#engine) this.#batch.set(count);
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
