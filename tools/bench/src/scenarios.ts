import { createGrpcHealthDriver } from "./grpc-load.js";
import { createHttpDriver } from "./http-load.js";
import {
  addCounters,
  LatencyRecorder,
  type LoadCounters,
  type LoadDriver,
  type Measurement,
  summarize,
} from "./measurement.js";
import { type ServerPlacement, startServerIn } from "./server-thread.js";
import { healthPath, type RunningServer, type ServerKind } from "./servers.js";

/** The scenarios the harness knows, by `--scenario` name. */
export type ScenarioName = "rest-health" | "grpc-health";

/** Every scenario, in the order `--scenario all` runs them. */
export const scenarioNames: readonly ScenarioName[] = ["rest-health", "grpc-health"];

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
  /** Where the servers run. Default `thread`. */
  readonly placement: ServerPlacement;
}

/** The defaults `pnpm bench` uses. */
export const defaultLoadSettings: LoadSettings = {
  seconds: 6,
  rounds: 3,
  warmupSeconds: 1,
  connections: 50,
  inFlight: 64,
  placement: "thread",
};

/** What a scenario measured: every server under the same load, baselines first. */
export interface ScenarioResult {
  /** Which scenario ran. */
  readonly name: ScenarioName;
  /** One line saying what was compared. */
  readonly title: string;
  /** The load, in words (`autocannon, 50 connections, ...`). */
  readonly load: string;
  /** One measurement per server, baselines first. */
  readonly measurements: readonly Measurement[];
}

interface Contestant {
  readonly kind: ServerKind;
  readonly label: string;
  readonly role: Measurement["role"];
}

interface ScenarioSpec {
  readonly title: string;
  readonly contestants: readonly Contestant[];
  readonly driver: (server: RunningServer, settings: LoadSettings) => LoadDriver;
  readonly load: (settings: LoadSettings) => string;
}

const specs: Readonly<Record<ScenarioName, ScenarioSpec>> = {
  "rest-health": {
    title: `GET ${healthPath}: the mock host (with and without token auth) vs bare node:http and fastify`,
    contestants: [
      { kind: "bare-http", label: "bare node:http", role: "baseline" },
      { kind: "bare-fastify", label: "bare fastify route", role: "baseline" },
      { kind: "mock-rest-open", label: "mock host (triton, no auth)", role: "mock" },
      { kind: "mock-rest", label: "mock host (triton, token auth)", role: "mock" },
    ],
    driver: (server, settings) =>
      createHttpDriver({
        url: `${server.address}${healthPath}`,
        headers: server.headers,
        connections: settings.connections,
      }),
    load: (settings) => `autocannon, ${settings.connections} connections`,
  },
  "grpc-health": {
    title:
      "grpc.health.v1.Health/Check: the mock host vs a bare @grpc/grpc-js server and bare connect-node (the stack the host is built on)",
    contestants: [
      { kind: "bare-grpc", label: "bare @grpc/grpc-js server", role: "baseline" },
      { kind: "bare-connect", label: "bare connect-node on node:http2", role: "baseline" },
      { kind: "mock-grpc", label: "mock host (triton gRPC)", role: "mock" },
    ],
    driver: (server, settings) =>
      createGrpcHealthDriver({
        address: server.address,
        metadata: server.headers,
        inFlight: settings.inFlight,
      }),
    load: (settings) => `@grpc/grpc-js client, ${settings.inFlight} calls in flight`,
  },
};

/**
 * Runs one scenario: starts every server of it (127.0.0.1, ephemeral ports), warms each up,
 * then lets them take turns for `rounds` rounds under the same load, adding up counts and
 * latencies per server, and stops them all. Every loop ends by its deadline.
 */
export async function runScenario(
  name: ScenarioName,
  settings: LoadSettings = defaultLoadSettings,
): Promise<ScenarioResult> {
  const spec = specs[name];
  const servers: RunningServer[] = [];
  const drivers: LoadDriver[] = [];
  const recorders = spec.contestants.map(() => new LatencyRecorder());
  try {
    for (const contestant of spec.contestants) {
      const server = await startServerIn(contestant.kind, settings.placement);
      servers.push(server);
      drivers.push(spec.driver(server, settings));
    }
    if (settings.warmupSeconds > 0) {
      for (const driver of drivers) await driver.run(settings.warmupSeconds);
    }
    const totals: LoadCounters[] = drivers.map(() => ({ ok: 0, errors: 0, seconds: 0 }));
    const slice = settings.seconds / settings.rounds;
    for (let round = 0; round < settings.rounds; round += 1) {
      for (const [index, driver] of drivers.entries()) {
        const counters = await driver.run(slice, recorders[index]);
        totals[index] = addCounters(totals[index] ?? counters, counters);
      }
    }
    const measurements = spec.contestants.map((contestant, index) =>
      summarize(
        contestant.label,
        contestant.role,
        recorders[index] as LatencyRecorder,
        totals[index] as LoadCounters,
      ),
    );
    return {
      name,
      title: spec.title,
      load: `${spec.load(settings)}; ${settings.seconds} s per server in ${settings.rounds} interleaved rounds after ${settings.warmupSeconds} s warm-up`,
      measurements,
    };
  } finally {
    for (const recorder of recorders) recorder.destroy();
    await Promise.all(drivers.map((driver) => driver.close()));
    await Promise.all(servers.map((server) => server.close()));
  }
}
