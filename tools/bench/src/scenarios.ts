import { availableParallelism } from "node:os";
import { gpuScenarios, isGpuScenario, runGpuScenario } from "./gpu-scenarios.js";
import { createGrpcHealthDriver } from "./grpc-load.js";
import { createHttpDriver } from "./http-load.js";
import {
  addCounters,
  addCpu,
  type CpuAccount,
  type CpuSample,
  cpuNote,
  cpuSince,
  LatencyRecorder,
  type LoadCounters,
  type LoadDriver,
  type LoadWindow,
  type Measurement,
  processCpu,
  summarize,
} from "./measurement.js";
import { runtimeScenarios } from "./runtime-scenarios.js";
import type { LoadSettings, ScenarioSpec } from "./scenario-spec.js";
import { startServerIn } from "./server-thread.js";
import { healthPath, type MemorySample, type RunningServer } from "./servers.js";

export type { Contestant, LoadSettings, ScenarioSpec } from "./scenario-spec.js";

/** The scenarios the harness knows, by `--scenario` name. */
export type ScenarioName =
  | "rest-health"
  | "grpc-health"
  | keyof typeof runtimeScenarios
  | keyof typeof gpuScenarios;

/** The defaults `pnpm bench` uses. */
export const defaultLoadSettings: LoadSettings = {
  seconds: 6,
  rounds: 3,
  warmupSeconds: 1,
  connections: 50,
  inFlight: 64,
  streams: 1000,
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
  /** What the rate counts: `req/s`, `events/s`, `messages/s`. */
  readonly unit: string;
  /** What the latency columns hold: `latency` or `inter-token gap`. */
  readonly latency: string;
  /** One measurement per server, baselines first. */
  readonly measurements: readonly Measurement[];
  /** The goals checked against the measurements, and memory where sampled. */
  readonly notes: readonly string[];
}

const healthSpecs: Readonly<Record<"rest-health" | "grpc-health", ScenarioSpec>> = {
  "rest-health": {
    title: `GET ${healthPath}: the mock host (with and without token auth) vs bare node:http and fastify`,
    load: (settings) => `autocannon, ${settings.connections} connections`,
    contestants: async () => {
      const driver = (server: RunningServer, settings: LoadSettings) =>
        createHttpDriver({
          url: `${server.address}${healthPath}`,
          headers: server.headers,
          connections: settings.connections,
        });
      return [
        { server: "bare-http", label: "bare node:http", role: "baseline", driver },
        { server: "bare-fastify", label: "bare fastify route", role: "baseline", driver },
        { server: "mock-rest-open", label: "mock host (triton, no auth)", role: "mock", driver },
        { server: "mock-rest", label: "mock host (triton, token auth)", role: "mock", driver },
      ];
    },
  },
  "grpc-health": {
    title:
      "grpc.health.v1.Health/Check: the mock host vs a bare @grpc/grpc-js server and bare connect-node (the stack the host is built on)",
    load: (settings) => `@grpc/grpc-js client, ${settings.inFlight} calls in flight`,
    contestants: async () => {
      const driver = (server: RunningServer, settings: LoadSettings) =>
        createGrpcHealthDriver({
          address: server.address,
          metadata: server.headers,
          inFlight: settings.inFlight,
        });
      return [
        { server: "bare-grpc", label: "bare @grpc/grpc-js server", role: "baseline", driver },
        {
          server: "bare-connect",
          label: "bare connect-node on node:http2",
          role: "baseline",
          driver,
        },
        { server: "mock-grpc", label: "mock host (triton gRPC)", role: "mock", driver },
      ];
    },
  },
};

const specs: Readonly<Record<Exclude<ScenarioName, keyof typeof gpuScenarios>, ScenarioSpec>> = {
  ...healthSpecs,
  ...runtimeScenarios,
};

/** Every scenario, in the order `--scenario all` runs them (the GPU engine's last: gpu-scenarios.ts). */
export const scenarioNames = [
  ...Object.keys(specs),
  ...Object.keys(gpuScenarios),
] as readonly ScenarioName[];

/** A measured window that samples CPU at its edges: see {@link cpuWindow}. */
interface CpuWindow extends LoadWindow {
  /** The CPU the window cost, once the run is over; undefined if the driver never closed it. */
  spent(counters: LoadCounters): Promise<CpuAccount | undefined>;
}

/**
 * Samples the server's process (over IPC) and this process (the load client) when a driver's
 * window opens and closes. The server answers within a few ms of the edge, a small share of a
 * window of seconds; both sides then count the same stretch as the events do.
 */
function cpuWindow(serverCpu: () => Promise<CpuSample>): CpuWindow {
  let opened: { server: Promise<CpuSample>; client: CpuSample; at: number } | undefined;
  let closed: { server: Promise<CpuSample>; client: CpuSample; at: number } | undefined;
  return {
    open: () => {
      opened = { server: serverCpu(), client: processCpu(), at: performance.now() };
    },
    close: () => {
      if (opened === undefined) return;
      closed = { server: serverCpu(), client: processCpu(), at: performance.now() };
    },
    spent: async (counters) => {
      if (opened === undefined || closed === undefined) return undefined;
      const [start, end] = await Promise.all([opened.server, closed.server]);
      return {
        server: cpuSince(start, end),
        client: cpuSince(opened.client, closed.client),
        events: counters.ok,
        seconds: (closed.at - opened.at) / 1000,
      };
    },
  };
}

/** Keeps the larger of two samples, field by field. */
function peak(a: MemorySample | undefined, b: MemorySample): MemorySample {
  return a === undefined
    ? b
    : { rssMiB: Math.max(a.rssMiB, b.rssMiB), heapMiB: Math.max(a.heapMiB, b.heapMiB) };
}

/**
 * Runs one scenario: captures what its baselines answer (from the mock, once), starts every server
 * of it (127.0.0.1, ephemeral ports; apart from the load generator unless `inline`), warms each
 * up, then lets them take turns for `rounds` rounds under the same load, adding up counts and
 * latencies per server, and stops them all. Every loop ends by its deadline.
 */
export async function runScenario(
  name: ScenarioName,
  settings: LoadSettings = defaultLoadSettings,
): Promise<ScenarioResult> {
  // The GPU engine's scenarios have loops in this process instead of servers.
  if (isGpuScenario(name)) return { name, ...(await runGpuScenario(name, settings)) };
  const spec = specs[name];
  const contestants = await spec.contestants(settings);
  const placement =
    settings.placement === "inline" ? "inline" : (spec.placement ?? settings.placement);
  const servers: RunningServer[] = [];
  const drivers: LoadDriver[] = [];
  const recorders = contestants.map(() => new LatencyRecorder());
  const memory = new Map<string, MemorySample>();
  const cpu = new Map<string, CpuAccount>();
  try {
    for (const contestant of contestants) {
      const server = await startServerIn(contestant.server, placement);
      servers.push(server);
      drivers.push(contestant.driver(server, settings));
    }
    if (settings.warmupSeconds > 0) {
      for (const driver of drivers) await driver.run(settings.warmupSeconds);
    }
    const totals: LoadCounters[] = drivers.map(() => ({ ok: 0, errors: 0, seconds: 0 }));
    const slice = settings.seconds / settings.rounds;
    for (let round = 0; round < settings.rounds; round += 1) {
      for (const [index, driver] of drivers.entries()) {
        const contestant = contestants[index];
        const server = servers[index];
        const sampling =
          spec.sampleMemory && server?.memory && contestant
            ? new Promise<void>((resolve) =>
                setTimeout(
                  async () => {
                    const sample = await server.memory?.();
                    if (sample)
                      memory.set(contestant.label, peak(memory.get(contestant.label), sample));
                    resolve();
                  },
                  (slice * 1000) / 2,
                ),
              )
            : Promise.resolve();
        const window = server?.cpu === undefined ? undefined : cpuWindow(server.cpu);
        const counters = await driver.run(slice, recorders[index], window);
        await sampling;
        totals[index] = addCounters(totals[index] ?? counters, counters);
        const spent = await window?.spent(counters);
        if (spent !== undefined && contestant !== undefined) {
          const before = cpu.get(contestant.label);
          cpu.set(contestant.label, before === undefined ? spent : addCpu(before, spent));
        }
      }
    }
    const measurements = contestants.map((contestant, index) => ({
      ...summarize(
        contestant.label,
        contestant.role,
        recorders[index] as LatencyRecorder,
        totals[index] as LoadCounters,
      ),
      ...(contestant.against === undefined ? {} : { against: contestant.against }),
    }));
    return {
      name,
      title: spec.title,
      load: `${spec.load(settings)}; ${settings.seconds} s per server in ${settings.rounds} interleaved rounds after ${settings.warmupSeconds} s warm-up`,
      unit: spec.unit ?? "req/s",
      latency: spec.latency ?? "latency",
      measurements,
      notes: [
        ...(spec.notes?.(measurements, { memory }) ?? []),
        ...contestants.flatMap((contestant) => {
          const account = cpu.get(contestant.label);
          const line =
            account === undefined ? "" : cpuNote(contestant.label, account, availableParallelism());
          return line === "" ? [] : [line];
        }),
      ],
    };
  } finally {
    for (const recorder of recorders) recorder.destroy();
    await Promise.all(drivers.map((driver) => driver.close()));
    await Promise.all(servers.map((server) => server.close()));
  }
}
