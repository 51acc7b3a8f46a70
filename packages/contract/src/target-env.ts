import { resolve } from "node:path";
import { type RuntimeName, runtimeNames } from "@servingkit/mock-core";
import { compileCaseGlobs } from "./case-glob.js";
import type { Target } from "./target.js";
import { resolveTargetConfig, TargetConfigError } from "./target-config.js";
import { readTargetsFile } from "./target-file.js";

/** The environment variable naming a targets file (YAML or JSON). */
export const targetsFileVariable = "SERVINGKIT_TARGETS_FILE";
/** The environment variable selecting targets by name: comma-separated globs. */
export const targetSelectVariable = "SERVINGKIT_TARGET";

/**
 * The prefix of a runtime's variables: `SERVINGKIT_` + the runtime name upper-cased with `-` as
 * `_` (`caikit-tgis` -> `SERVINGKIT_CAIKIT_TGIS`).
 */
export function runtimeVariablePrefix(runtime: RuntimeName): string {
  return `SERVINGKIT_${runtime.toUpperCase().replaceAll("-", "_")}`;
}

/** Options of {@link loadTargets}. */
export interface LoadTargetsOptions {
  /** Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Directory relative paths in variables are resolved against. Default `process.cwd()`. */
  readonly cwd?: string;
  /**
   * When no live target is configured at all, return one placeholder per runtime whose cases are
   * all reported as skipped, naming the variables to set. Default true; false returns `[]`.
   */
  readonly placeholders?: boolean;
}

/**
 * Reads the live targets from the environment:
 *
 * | variable | meaning |
 * |---|---|
 * | `SERVINGKIT_TARGETS_FILE` | a targets file (see {@link parseTargetsFile}) |
 * | `SERVINGKIT_<RUNTIME>_URL` | REST base URL of a live `<runtime>` endpoint |
 * | `SERVINGKIT_<RUNTIME>_GRPC` | its gRPC address (`https://host:443` for TLS, `host:port` for h2c) |
 * | `SERVINGKIT_<RUNTIME>_TOKEN` | the bearer token it accepts |
 * | `SERVINGKIT_<RUNTIME>_AUTH_MODE` | `serverless`, `raw` or `none` (default `serverless` with a token, else `none`) |
 * | `SERVINGKIT_<RUNTIME>_MODEL` | a served model id |
 * | `SERVINGKIT_<RUNTIME>_DEPLOYMENT` | `single-model` (default) or `modelmesh` (served behind ModelMesh) |
 * | `SERVINGKIT_<RUNTIME>_CA_FILE` | PEM file of the CA to trust |
 * | `SERVINGKIT_<RUNTIME>_INSECURE` | `1`/`true`: skip TLS verification |
 * | `SERVINGKIT_<RUNTIME>_KNOWN_FAILING` | known-failing file for this target |
 * | `SERVINGKIT_TARGET` | comma-separated globs: run only targets whose name matches |
 *
 * `<RUNTIME>` is the runtime name upper-cased with `_` for `-` (`CAIKIT_TGIS`). A runtime whose
 * `_URL` and `_GRPC` are both unset has no live target; its target is named `live:<runtime>`.
 */
export async function loadTargets(options: LoadTargetsOptions = {}): Promise<Target[]> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const targets: Target[] = [];
  const file = env[targetsFileVariable];
  if (file) {
    targets.push(...(await readTargetsFile(resolve(cwd, file), env)));
  }
  for (const runtime of runtimeNames) {
    const prefix = runtimeVariablePrefix(runtime);
    const rest = env[`${prefix}_URL`];
    const grpc = env[`${prefix}_GRPC`];
    if (!rest && !grpc) continue;
    const insecure = env[`${prefix}_INSECURE`];
    const target = resolveTargetConfig(
      {
        runtime,
        ...(rest && { rest }),
        ...(grpc && { grpc }),
        ...optional("token", env[`${prefix}_TOKEN`]),
        ...optional("authMode", env[`${prefix}_AUTH_MODE`]),
        ...optional("model", env[`${prefix}_MODEL`]),
        ...optional("deployment", env[`${prefix}_DEPLOYMENT`]),
        ...optional("caFile", env[`${prefix}_CA_FILE`]),
        ...optional("knownFailing", env[`${prefix}_KNOWN_FAILING`]),
        ...(insecure && { insecure: parseFlag(insecure, `${prefix}_INSECURE`) }),
      },
      { where: `${prefix}_*`, baseDir: cwd, env },
    );
    if (targets.some((other) => other.name === target.name)) {
      throw new TargetConfigError(
        `${prefix}_*: target "${target.name}" is also defined in ${targetsFileVariable}`,
      );
    }
    targets.push(target);
  }
  const select = env[targetSelectVariable];
  if (select) {
    const matches = compileCaseGlobs(select.split(",").filter((glob) => glob.trim() !== ""));
    const selected = targets.filter((target) => matches(target.name));
    if (selected.length === 0) {
      throw new TargetConfigError(
        `${targetSelectVariable}=${select} matches no configured target (configured: ${targets.map((t) => t.name).join(", ") || "none"})`,
      );
    }
    return selected;
  }
  if (targets.length === 0 && (options.placeholders ?? true)) {
    return runtimeNames.map((runtime) => unconfiguredTarget(runtime));
  }
  return targets;
}

/** The placeholder for a runtime without a live target: every case skips, saying what to set. */
export function unconfiguredTarget(runtime: RuntimeName): Target {
  const prefix = runtimeVariablePrefix(runtime);
  return {
    name: `live:${runtime}`,
    group: "live",
    runtime,
    skipReason: `no live ${runtime} endpoint configured (set ${prefix}_URL and/or ${prefix}_GRPC, or ${targetsFileVariable})`,
  };
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value ? { [key]: value } : {}) as { [P in K]?: string };
}

function parseFlag(value: string, variable: string): boolean {
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new TargetConfigError(`${variable}=${value}: expected true or false`);
}
