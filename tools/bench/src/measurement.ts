import { readFileSync } from "node:fs";
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
  /**
   * Of user + system, the main thread's (the event loop's), µs; the rest is V8's helper threads
   * (concurrent GC, compilers) and libuv's pool. Linux only (`/proc`, 10 ms ticks), else absent.
   */
  readonly mainThreadUs?: number;
  /** read-type system calls so far (`/proc/<pid>/io` syscr); Linux only. */
  readonly readCalls?: number;
  /** write-type system calls so far (`/proc/<pid>/io` syscw: write, writev, sendmsg); Linux only. */
  readonly writeCalls?: number;
}

/** Microseconds per clock tick of `/proc/<pid>/stat` (USER_HZ, 100 on Linux). */
const tickUs = 10_000;

/** utime + stime of a `/proc/.../stat` line, in µs (fields 14 and 15; the name may hold spaces). */
function statCpuUs(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * tickUs;
}

/**
 * This process's CPU time so far: `process.cpuUsage()`, plus on Linux the main thread's share and
 * the system calls that read and write (what a socket write or read per event costs shows there).
 */
export function processCpu(): CpuSample {
  const { user, system } = process.cpuUsage();
  try {
    const io = readFileSync("/proc/self/io", "latin1");
    const count = (name: string) => Number(new RegExp(`^${name}: (\\d+)`, "m").exec(io)?.[1]);
    const main = statCpuUs(readFileSync(`/proc/self/task/${process.pid}/stat`, "latin1"));
    return {
      userUs: user,
      systemUs: system,
      mainThreadUs: main,
      readCalls: count("syscr"),
      writeCalls: count("syscw"),
    };
  } catch {
    return { userUs: user, systemUs: system };
  }
}

/** What `end` adds to `start`, field by field (a field either lacks stays absent). */
export function cpuSince(start: CpuSample, end: CpuSample): CpuSample {
  const minus = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? undefined : b - a;
  const main = minus(start.mainThreadUs, end.mainThreadUs);
  const reads = minus(start.readCalls, end.readCalls);
  const writes = minus(start.writeCalls, end.writeCalls);
  return {
    userUs: end.userUs - start.userUs,
    systemUs: end.systemUs - start.systemUs,
    ...(main !== undefined && { mainThreadUs: main }),
    ...(reads !== undefined && { readCalls: reads }),
    ...(writes !== undefined && { writeCalls: writes }),
  };
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
  const sum = (x: number | undefined, y: number | undefined) =>
    x === undefined || y === undefined ? undefined : x + y;
  const add = (x: CpuSample, y: CpuSample): CpuSample => {
    const main = sum(x.mainThreadUs, y.mainThreadUs);
    const reads = sum(x.readCalls, y.readCalls);
    const writes = sum(x.writeCalls, y.writeCalls);
    return {
      userUs: x.userUs + y.userUs,
      systemUs: x.systemUs + y.systemUs,
      ...(main !== undefined && { mainThreadUs: main }),
      ...(reads !== undefined && { readCalls: reads }),
      ...(writes !== undefined && { writeCalls: writes }),
    };
  };
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
 * per event; where known, the main thread's share and the write (server) or read (client) system
 * calls per event; the cores each kept busy; and, from the two together, how many events per
 * second the machine's `cores` could carry at most if they did nothing else (an upper bound: it
 * leaves out scheduling and the headroom a latency goal needs). Empty when no event was counted.
 */
export function cpuNote(label: string, account: CpuAccount, cores: number): string {
  if (account.events <= 0 || account.seconds <= 0) return "";
  const per = (us: number) => us / account.events;
  const { server, client } = account;
  const serverUs = per(server.userUs + server.systemUs);
  const clientUs = per(client.userUs + client.systemUs);
  const side = (sample: CpuSample, calls: number | undefined, kind: string) => {
    const total = sample.userUs + sample.systemUs;
    const main =
      sample.mainThreadUs === undefined || total <= 0
        ? ""
        : `; main thread ${Math.round((100 * Math.min(sample.mainThreadUs, total)) / total)}%`;
    const syscalls = calls === undefined ? "" : `; ${(calls / account.events).toFixed(2)} ${kind}`;
    const busy = (total / 1e6 / account.seconds).toFixed(2);
    return (
      `${fixed(per(total))} µs (user ${fixed(per(sample.userUs))}, sys ${fixed(per(sample.systemUs))}` +
      `${main}${syscalls}; ${busy} cores busy)`
    );
  };
  const ceiling = Math.round((cores * 1e6) / (serverUs + clientUs));
  return (
    `${label}: CPU per delivered event: server ${side(server, server.writeCalls, "write calls")}, ` +
    `load client ${side(client, client.readCalls, "read calls")}; together ` +
    `${fixed(serverUs + clientUs)} µs, so ${cores} cores carry at most ` +
    `${ceiling.toLocaleString("en-US")} events/s.`
  );
}
