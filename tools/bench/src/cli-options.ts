import { parseArgs } from "node:util";
import {
  defaultLoadSettings,
  type LoadSettings,
  type ScenarioName,
  scenarioNames,
} from "./scenarios.js";

/** What the command line asked for. */
export interface CliOptions {
  /** Scenarios to run, in order. */
  readonly scenarios: readonly ScenarioName[];
  /** Load and duration for every scenario. */
  readonly settings: LoadSettings;
  /** Path of the markdown file to update, when `--write` was given. */
  readonly write?: string;
  /** Print the results as JSON instead of markdown. */
  readonly json: boolean;
  /** Print the usage and exit. */
  readonly help: boolean;
}

/** The usage text `--help` prints. */
export const usage = `usage: pnpm --filter @servingkit/bench bench [-- options]

  --scenario NAME     a scenario, a group (the part before a dash: vllm, kserve-infer, tgis,
                      caikit-embedding) or all (default all); scenarios:
                      ${scenarioNames.join(", ")}
  --duration S        measured seconds per server (default ${defaultLoadSettings.seconds}, at most 60)
  --rounds N          interleaved rounds the duration is split over (default ${defaultLoadSettings.rounds})
  --warmup S          warm-up seconds per server (default ${defaultLoadSettings.warmupSeconds})
  --connections N     HTTP connections (default ${defaultLoadSettings.connections})
  --in-flight N       gRPC calls in flight (default ${defaultLoadSettings.inFlight})
  --streams N         concurrent SSE streams of vllm-streams (default ${defaultLoadSettings.streams})
  --write [FILE]      update the results block of docs/benchmarks.md (or FILE)
  --json              print JSON instead of markdown
`;

/** A command line that cannot be run; the message says which flag. */
export class CliError extends Error {
  override readonly name = "CliError";
}

/**
 * Parses the harness's flags.
 *
 * @param defaultWrite the file `--write` without a value updates
 */
export function parseCliOptions(args: readonly string[], defaultWrite: string): CliOptions {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length > 0) throw new CliError(`unexpected argument "${positionals[0]}"`);
  const scenario = values.scenario ?? "all";
  const scenarios =
    scenario === "all"
      ? scenarioNames
      : scenarioNames.filter((name) => name === scenario || name.startsWith(`${scenario}-`));
  if (scenarios.length === 0) {
    throw new CliError(`--scenario "${scenario}" is not one of ${scenarioNames.join(", ")}, all`);
  }
  const write =
    values.write === undefined ? undefined : values.write === "" ? defaultWrite : values.write;
  return {
    scenarios,
    settings: {
      ...defaultLoadSettings,
      seconds: number(values.duration, "--duration", defaultLoadSettings.seconds, 0.1, 60),
      rounds: integer(values.rounds, "--rounds", defaultLoadSettings.rounds, 20),
      warmupSeconds: number(values.warmup, "--warmup", defaultLoadSettings.warmupSeconds, 0, 30),
      connections: integer(
        values.connections,
        "--connections",
        defaultLoadSettings.connections,
        10_000,
      ),
      inFlight: integer(values["in-flight"], "--in-flight", defaultLoadSettings.inFlight, 10_000),
      streams: integer(values.streams, "--streams", defaultLoadSettings.streams, 10_000),
    },
    ...(write !== undefined && { write }),
    json: values.json ?? false,
    help: values.help ?? false,
  };
}

function parse(args: readonly string[]) {
  // `pnpm bench -- --flag` hands the `--` over; drop it. Node's parseArgs has no optional-value
  // flags, so a bare `--write` becomes `--write=`.
  const rest = args[0] === "--" ? args.slice(1) : args;
  const normalized = rest.map((arg, index) =>
    arg === "--write" && (rest[index + 1] === undefined || rest[index + 1]?.startsWith("--"))
      ? "--write="
      : arg,
  );
  return parseArgs({
    args: normalized,
    allowPositionals: true,
    options: {
      scenario: { type: "string" },
      duration: { type: "string" },
      rounds: { type: "string" },
      warmup: { type: "string" },
      connections: { type: "string" },
      "in-flight": { type: "string" },
      streams: { type: "string" },
      write: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}

function number(
  value: string | undefined,
  flag: string,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min || parsed > max) {
    throw new CliError(`${flag} ${value}: expected a number from ${min} to ${max}`);
  }
  return parsed;
}

function integer(value: string | undefined, flag: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > max) {
    throw new CliError(`${flag} ${value}: expected a whole number from 1 to ${max}`);
  }
  return parsed;
}
