/**
 * The command line of `servingkit mock`, read into a plan. Pure: no files, no sockets; the
 * command runs the plan.
 */
import { parseArgs } from "node:util";
import type { RuntimeMockModule, RuntimeOptionValues } from "@servingkit/mock-core/host";
import {
  type AuthMode,
  authModes,
  type FaultRule,
  FaultSyntaxError,
  isRuntimeName,
  parseFaultRule,
  type RuntimeName,
  runtimeCatalog,
  runtimeNames,
} from "@servingkit/mock-core/host";
import { UsageError } from "../cli-io.js";

/** pino's levels, plus `silent`. */
export const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** A log level name. */
export type LogLevel = (typeof logLevels)[number];

/** The base port of `mock all` when none is given. */
export const defaultBasePort = 8080;

/** Ports each runtime gets in `mock all`: a block of 10 per runtime from the base. */
export const portStride = 10;

/** One mock to start. */
export interface MockTarget {
  readonly runtime: RuntimeName;
  /** REST port (0 = ephemeral). */
  readonly httpPort: number;
  /** gRPC port (0 = ephemeral); undefined for runtimes without gRPC. */
  readonly grpcPort?: number;
}

/** What `servingkit mock` was asked to do. */
export interface MockPlan {
  /** `--help` was given: print help, start nothing. */
  readonly help: boolean;
  /** The mocks to start, in order. */
  readonly targets: readonly MockTarget[];
  /** Interface to listen on. */
  readonly host: string;
  readonly tokens: readonly string[];
  /** Tokens that authenticate but are refused with 403. */
  readonly forbiddenTokens: readonly string[];
  readonly authMode: AuthMode;
  /** TLS: off, a self-signed certificate, or the user's files. */
  readonly tls: false | true | { readonly cert: string; readonly key: string };
  readonly models: readonly string[];
  readonly faults: readonly FaultRule[];
  /** Slow start in milliseconds (0 = ready at once). */
  readonly slowStartMs: number;
  readonly logLevel: LogLevel;
  /** Where to write the TLS certificate (PEM) for clients to trust; undefined = nowhere. */
  readonly certOut?: string;
  /** Values of the runtime modules' own options (`--served-model-name`, ...), by option name. */
  readonly runtimeValues: RuntimeOptionValues;
}

const options = {
  "http-port": { type: "string" },
  "grpc-port": { type: "string" },
  "base-port": { type: "string" },
  host: { type: "string" },
  token: { type: "string", multiple: true },
  "forbidden-token": { type: "string", multiple: true },
  "auth-mode": { type: "string" },
  tls: { type: "boolean" },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  "cert-out": { type: "string" },
  model: { type: "string", multiple: true },
  fault: { type: "string", multiple: true },
  "slow-start": { type: "string" },
  "log-level": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

function port(flag: string, text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 65535) {
    throw new UsageError(
      `--${flag} must be a port number 0-65535 (0 = any free port), got '${text}'`,
    );
  }
  return Number(text);
}

/** Each module option's name, with the modules that declare it (one, or several sharing it). */
function optionModules(modules: readonly RuntimeMockModule[]): Map<string, RuntimeMockModule[]> {
  const declaring = new Map<string, RuntimeMockModule[]>();
  for (const module of modules) {
    for (const name of Object.keys(module.options ?? {})) {
      declaring.set(name, [...(declaring.get(name) ?? []), module]);
    }
  }
  return declaring;
}

/** The options the modules add (modules sharing a name share its definition: a test pins it). */
function moduleOptions(modules: readonly RuntimeMockModule[]) {
  return Object.fromEntries(
    modules.flatMap((module) =>
      Object.entries(module.options ?? {}).map(([name, option]) => [
        name,
        { type: option.type, multiple: option.multiple ?? false },
      ]),
    ),
  );
}

function readArgs(args: readonly string[], modules: readonly RuntimeMockModule[]) {
  try {
    // Module options are parsed beside the host's; `runtimeValues` picks them out by name.
    const all = { ...moduleOptions(modules), ...options } as typeof options;
    return parseArgs({ args: [...args], options: all, allowPositionals: true, strict: true });
  } catch (error) {
    // node:util parseArgs: ERR_PARSE_ARGS_UNKNOWN_OPTION, ..._INVALID_OPTION_VALUE, ...
    throw new UsageError((error as Error).message);
  }
}

/**
 * The runtimes an argument list names (its words that are a runtime name, `all` for every one),
 * read before the modules are loaded so the command loads only their families. A guess, not a
 * parse: {@link parseMockArgs} decides, and the command falls back to every module when the
 * guess leaves it a flag short.
 */
export function namedRuntimes(args: readonly string[]): RuntimeName[] {
  const named = new Set<RuntimeName>();
  for (const word of args) {
    if (word === "all") for (const runtime of runtimeNames) named.add(runtime);
    else if (isRuntimeName(word)) named.add(word);
  }
  return [...named];
}

/**
 * Reads `servingkit mock` arguments against the runtime modules `modules` (their options are
 * flags here; an option of a module not given is an unknown flag). Throws {@link UsageError} for
 * anything wrong: an unknown flag or runtime, a bad port, a fault that does not parse,
 * `--tls-cert` without `--tls-key`, a module option of a runtime not started.
 */
export function parseMockArgs(
  args: readonly string[],
  modules: readonly RuntimeMockModule[],
): MockPlan {
  const { values, positionals } = readArgs(args, modules);
  const help = values.help === true;
  const empty: MockPlan = {
    help,
    targets: [],
    host: "0.0.0.0",
    tokens: [],
    forbiddenTokens: [],
    authMode: "serverless",
    tls: false,
    models: [],
    faults: [],
    slowStartMs: 0,
    logLevel: "info",
    runtimeValues: {},
  };
  if (help) return empty;

  if (positionals.length === 0) {
    throw new UsageError(`name a runtime (${runtimeNames.join(", ")}) or 'all'`);
  }
  if (positionals.length > 1) {
    throw new UsageError(`one runtime at a time, or 'all' (got ${positionals.join(", ")})`);
  }
  const name = positionals[0] as string;
  if (name !== "all" && !isRuntimeName(name)) {
    throw new UsageError(`unknown runtime '${name}' (expected ${runtimeNames.join(", ")} or all)`);
  }

  let targets: MockTarget[];
  if (name === "all") {
    if (values["http-port"] !== undefined || values["grpc-port"] !== undefined) {
      throw new UsageError(
        "'mock all' assigns ports from --base-port; --http-port/--grpc-port name one runtime's",
      );
    }
    const base =
      values["base-port"] === undefined ? defaultBasePort : port("base-port", values["base-port"]);
    if (base + portStride * runtimeNames.length > 65536) {
      throw new UsageError(
        `--base-port ${base} leaves no room for ${runtimeNames.length} runtimes`,
      );
    }
    targets = allTargets(base);
  } else {
    if (values["base-port"] !== undefined) throw new UsageError("--base-port is for 'mock all'");
    // Behind ModelMesh (kserve-v2.md §3.4) the runtime answers on ModelMesh's ports, 8008/8033.
    const info =
      (values as RuntimeOptionValues).modelmesh === true
        ? { ...runtimeCatalog[name], ...runtimeCatalog[name].modelmesh }
        : runtimeCatalog[name];
    const httpPort =
      values["http-port"] === undefined ? info.httpPort : port("http-port", values["http-port"]);
    if (values["grpc-port"] !== undefined && info.grpcPort === undefined) {
      throw new UsageError(`${name} has no gRPC port`);
    }
    const grpcPort =
      values["grpc-port"] === undefined ? info.grpcPort : port("grpc-port", values["grpc-port"]);
    targets = [{ runtime: name, httpPort, ...(grpcPort !== undefined ? { grpcPort } : {}) }];
  }

  const authMode = values["auth-mode"] ?? "serverless";
  if (!(authModes as readonly string[]).includes(authMode)) {
    throw new UsageError(`--auth-mode must be ${authModes.join(" or ")}, got '${authMode}'`);
  }
  const cert = values["tls-cert"];
  const key = values["tls-key"];
  if ((cert === undefined) !== (key === undefined)) {
    throw new UsageError("--tls-cert and --tls-key go together");
  }
  const tls = cert !== undefined && key !== undefined ? { cert, key } : values.tls === true;

  const faults = (values.fault ?? []).map((text) => {
    try {
      return parseFaultRule(text);
    } catch (error) {
      if (error instanceof FaultSyntaxError)
        throw new UsageError(`--fault '${text}': ${error.message}`);
      throw error;
    }
  });
  const total = faults.reduce((sum, rule) => sum + rule.rate, 0);
  if (total > 1 + 1e-9) throw new UsageError(`--fault rates add up to ${total}, more than 1`);

  const slowText = values["slow-start"];
  if (slowText !== undefined && !/^\d+$/.test(slowText)) {
    throw new UsageError(`--slow-start must be milliseconds (an integer), got '${slowText}'`);
  }
  const logLevel = values["log-level"] ?? "info";
  if (!(logLevels as readonly string[]).includes(logLevel)) {
    throw new UsageError(`--log-level must be one of ${logLevels.join(", ")}, got '${logLevel}'`);
  }
  const certOut = values["cert-out"];
  if (certOut !== undefined && tls === false) throw new UsageError("--cert-out needs --tls");

  return {
    help,
    targets,
    runtimeValues: runtimeValues(values as RuntimeOptionValues, targets, modules),
    host: values.host ?? "0.0.0.0",
    tokens: values.token ?? [],
    forbiddenTokens: values["forbidden-token"] ?? [],
    authMode: authMode as AuthMode,
    tls,
    models: values.model ?? [],
    faults,
    slowStartMs: slowText === undefined ? 0 : Number(slowText),
    logLevel: logLevel as LogLevel,
    ...(certOut !== undefined ? { certOut } : {}),
  };
}

/**
 * The module options given on the command line, each checked against the runtimes being started:
 * an option that no started runtime's module declares is a usage error naming the runtimes that
 * take it. Modules may share an option (the simulated GPU's flags serve vLLM, TGIS and Caikit
 * TGIS alike); it is then valid when any of them starts.
 */
function runtimeValues(
  values: RuntimeOptionValues,
  targets: readonly MockTarget[],
  modules: readonly RuntimeMockModule[],
) {
  const picked: Record<string, RuntimeOptionValues[string]> = {};
  const started = new Set(
    modules.filter((module) => targets.some((target) => module.runtimes.includes(target.runtime))),
  );
  for (const [name, declaring] of optionModules(modules)) {
    if (values[name] === undefined) continue;
    if (!declaring.some((module) => started.has(module))) {
      const runtimes = declaring.flatMap((module) => module.runtimes);
      throw new UsageError(`--${name} is an option of ${runtimes.join(", ")}`);
    }
    picked[name] = values[name];
  }
  return picked;
}

/**
 * The targets of `mock all`: runtime i (in {@link runtimeNames} order) gets REST on
 * `base + 10*i` and gRPC on `base + 10*i + 1`; base 0 = every port ephemeral.
 */
export function allTargets(base: number): MockTarget[] {
  return runtimeNames.map((runtime, i) => {
    const httpPort = base === 0 ? 0 : base + portStride * i;
    const hasGrpc = runtimeCatalog[runtime].grpcPort !== undefined;
    return {
      runtime,
      httpPort,
      ...(hasGrpc ? { grpcPort: base === 0 ? 0 : httpPort + 1 } : {}),
    };
  });
}
