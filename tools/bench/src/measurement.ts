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
 * The edges of a driver's measured window, for whoever accounts CPU time to the answers counted
 * in it: a driver whose window is not the whole run (the streams driver leaves out its ramp and
 * tail) calls `open` when counting starts and `close` when it stops, on time (a timer each).
 */
export interface LoadWindow {
  /** Counting starts now. */
  open(): void;
  /** Counting stopped now. */
  close(): void;
}

/**
 * Puts load on one server for a while; a scenario calls it several times (warm-up, then
 * interleaved rounds) and adds the counters up.
 */
export interface LoadDriver {
  /**
   * Loads the server for `seconds`, recording successful latencies when given a recorder, and
   * telling `window` (where it supports one) when its counted stretch opens and closes.
   */
  run(seconds: number, recorder?: LatencyRecorder, window?: LoadWindow): Promise<LoadCounters>;
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

/** CPU time a process spent, in microseconds, as `process.cpuUsage()` counts it (all threads). */
export interface CpuSample {
  /** Time in user mode (JavaScript, V8, parsing, copying), µs. */
  readonly userUs: number;
  /** Time in the kernel (socket writes and reads, epoll, timers), µs. */
  readonly systemUs: number;
}

/**
 * The CPU that the events counted in measured windows cost, summed over rounds: the server's
 * process and the load client's, each split user / system, with the events and the seconds.
 */
export interface CpuAccount {
  /** The server's process over the windows. */
  readonly server: CpuSample;
  /** The load client's process over the same windows. */
  readonly client: CpuSample;
  /** Answers (events) counted in the windows. */
  readonly events: number;
  /** Wall seconds of the windows. */
  readonly seconds: number;
}

/** Adds two CPU accounts. */
export function addCpu(a: CpuAccount, b: CpuAccount): CpuAccount {
  const add = (x: CpuSample, y: CpuSample): CpuSample => ({
    userUs: x.userUs + y.userUs,
    systemUs: x.systemUs + y.systemUs,
  });
  return {
    server: add(a.server, b.server),
    client: add(a.client, b.client),
    events: a.events + b.events,
    seconds: a.seconds + b.seconds,
  };
}

const fixed = (value: number) => value.toFixed(1);

/**
 * One line on what each counted event cost in CPU: server and client, user and system, in µs
 * per event; the cores each kept busy; and, from the two together, how many events per second
 * the machine's `cores` could carry at most if they did nothing else (an upper bound: it leaves
 * out scheduling and the headroom a latency goal needs). Empty when no event was counted.
 */
export function cpuNote(label: string, account: CpuAccount, cores: number): string {
  if (account.events <= 0 || account.seconds <= 0) return "";
  const per = (us: number) => us / account.events;
  const { server, client } = account;
  const serverUs = per(server.userUs + server.systemUs);
  const clientUs = per(client.userUs + client.systemUs);
  const busy = (sample: CpuSample) =>
    ((sample.userUs + sample.systemUs) / 1e6 / account.seconds).toFixed(2);
  const ceiling = Math.round((cores * 1e6) / (serverUs + clientUs));
  return (
    `${label}: CPU per delivered event: server ${fixed(serverUs)} µs (user ${fixed(per(server.userUs))}, ` +
    `sys ${fixed(per(server.systemUs))}; ${busy(server)} cores busy), load client ${fixed(clientUs)} µs ` +
    `(user ${fixed(per(client.userUs))}, sys ${fixed(per(client.systemUs))}; ${busy(client)} cores busy); ` +
    `together ${fixed(serverUs + clientUs)} µs, so ${cores} cores carry at most ` +
    `${ceiling.toLocaleString("en-US")} events/s.`
  );
}
