import type { LoadDriver, Measurement } from "./measurement.js";
import type { ServerPlacement } from "./server-thread.js";
import type { MemorySample, RunningServer, ServerSpec } from "./servers.js";

/** How hard and how long to push. */
export interface LoadSettings {
  /** Measured seconds per server, split evenly over the rounds. Default 6. */
  readonly seconds: number;
  /**
   * Rounds: the servers take turns this many times, so a neighbour's burst of CPU use (other
   * work on a shared machine) spreads over all of them instead of hitting one. Default 3.
   */
  readonly rounds: number;
  /** Warm-up seconds per server before the first round (JIT, connection pools). Default 1. */
  readonly warmupSeconds: number;
  /** HTTP keep-alive connections (autocannon). Default 50, as toolchain.md's baselines. */
  readonly connections: number;
  /** gRPC calls in flight. Default 64, as toolchain.md's baselines. */
  readonly inFlight: number;
  /** Concurrent SSE streams of the streams scenario. Default 1,000 (issue 3). */
  readonly streams: number;
  /** Where the servers run. Default `thread`; a scenario may ask for `process` instead. */
  readonly placement: ServerPlacement;
}

/** One server of a scenario and the load put on it. */
export interface Contestant {
  /** The server, started apart (see {@link ServerPlacement}). */
  readonly server: ServerSpec;
  /** The row's label. */
  readonly label: string;
  /** Bare platform or servingkit code. */
  readonly role: Measurement["role"];
  /** The load on this server. */
  readonly driver: (server: RunningServer, settings: LoadSettings) => LoadDriver;
  /** For a mock: the labels of the baselines its ratios are taken against; default all. */
  readonly against?: readonly string[];
}

/** What a scenario measured beyond the table: the peak memory of each server under load. */
export interface ScenarioExtras {
  /** Peak memory per contestant label, when the scenario samples memory. */
  readonly memory: ReadonlyMap<string, MemorySample>;
}

/** A scenario: its servers (possibly built from a captured answer), their loads, its goals. */
export interface ScenarioSpec {
  /** One line saying what is compared. */
  readonly title: string;
  /** What one counted answer is: `req/s` (default), `tokens/s`, `events/s`. */
  readonly unit?: string;
  /** What the latency columns hold: `latency` (default) or `inter-token gap`. */
  readonly latency?: string;
  /** The load, in words. */
  readonly load: (settings: LoadSettings) => string;
  /** Forces a placement for real runs (`process` to measure a server's own RSS). */
  readonly placement?: ServerPlacement;
  /** Sample every server's memory in the middle of each round, keep the peak. */
  readonly sampleMemory?: boolean;
  /** The servers, once whatever they need was captured from the mock (see capture.ts). */
  readonly contestants: (settings: LoadSettings) => Promise<readonly Contestant[]>;
  /** Lines about the goals, computed from the measurements (met or not). */
  readonly notes?: (measurements: readonly Measurement[], extras: ScenarioExtras) => string[];
}
