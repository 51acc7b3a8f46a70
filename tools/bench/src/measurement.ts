import * as hdr from "hdr-histogram-js";

/**
 * What one load run against one server measured. Latencies are in milliseconds, recorded with
 * microsecond resolution in an HDR histogram (hdr-histogram-js), so sub-millisecond loopback
 * answers still give meaningful percentiles.
 */
export interface Measurement {
  /** Which server answered, e.g. `bare node:http`, `mock (triton, token auth)`. */
  readonly label: string;
  /** Whether this is a bare-platform baseline or servingkit code. */
  readonly role: "baseline" | "mock";
  /** Answers counted as successful (2xx for HTTP, OK for gRPC). */
  readonly ok: number;
  /** Answers that were not successful, plus connection errors. */
  readonly errors: number;
  /** Measured time in seconds (after the warm-up). */
  readonly seconds: number;
  /** Successful answers per second. */
  readonly rps: number;
  /** Median latency in milliseconds. */
  readonly p50: number;
  /** 90th-percentile latency in milliseconds. */
  readonly p90: number;
  /** 99th-percentile latency in milliseconds. */
  readonly p99: number;
  /** For a mock: the labels of the baselines its ratios are taken against (default all). */
  readonly against?: readonly string[];
}

/** Records latencies into an HDR histogram: 1 µs to 60 s, 3 significant digits. */
export class LatencyRecorder {
  readonly #histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  });

  /** Adds one latency, in milliseconds (fractions kept to the microsecond). */
  record(ms: number): void {
    this.#histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  /** How many latencies were recorded. */
  get count(): number {
    return this.#histogram.totalCount;
  }

  /** The latency at a percentile (0-100), in milliseconds. */
  percentile(p: number): number {
    return this.#histogram.getValueAtPercentile(p) / 1000;
  }

  /** Frees the histogram. */
  destroy(): void {
    this.#histogram.destroy();
  }
}

/** What one stretch of load counted. */
export interface LoadCounters {
  /** Successful answers. */
  readonly ok: number;
  /** Failed answers and connection errors. */
  readonly errors: number;
  /** Wall time of the stretch in seconds. */
  readonly seconds: number;
}

/**
 * Puts load on one server for a while; a scenario calls it several times (warm-up, then
 * interleaved rounds) and adds the counters up.
 */
export interface LoadDriver {
  /** Loads the server for `seconds`, recording successful latencies when given a recorder. */
  run(seconds: number, recorder?: LatencyRecorder): Promise<LoadCounters>;
  /** Releases the client. */
  close(): Promise<void>;
}

/** Adds counters of several stretches. */
export function addCounters(a: LoadCounters, b: LoadCounters): LoadCounters {
  return { ok: a.ok + b.ok, errors: a.errors + b.errors, seconds: a.seconds + b.seconds };
}

/** Builds a {@link Measurement} from a recorder and counters. */
export function summarize(
  label: string,
  role: Measurement["role"],
  recorder: LatencyRecorder,
  counters: LoadCounters,
): Measurement {
  return {
    label,
    role,
    ok: counters.ok,
    errors: counters.errors,
    seconds: counters.seconds,
    rps: counters.seconds > 0 ? counters.ok / counters.seconds : 0,
    p50: recorder.percentile(50),
    p90: recorder.percentile(90),
    p99: recorder.percentile(99),
  };
}
