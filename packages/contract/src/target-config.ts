import { isAbsolute, resolve } from "node:path";
import { isRuntimeName, type RuntimeName, runtimeNames } from "@servingkit/mock-core";
import { parseKnownFailing } from "./known-failing.js";
import { type AuthMode, deployments, type Target } from "./target.js";

/** A target description that cannot be used: names the variable or file field at fault. */
export class TargetConfigError extends Error {
  override readonly name = "TargetConfigError";
}

/**
 * One target as written by a person, in a targets file or spread over environment variables;
 * {@link resolveTargetConfig} checks it and turns it into a {@link Target}.
 */
export interface TargetConfig {
  /** Which runtime serves there; one of `runtimeNames`. Required. */
  readonly runtime: string;
  /** Default `<group>:<runtime>`. */
  readonly name?: string;
  /** Default `live`. */
  readonly group?: string;
  /** REST base URL (http or https). */
  readonly rest?: string;
  /** gRPC address: `https://host:443` for TLS, `host:port` or `http://host:port` for h2c. */
  readonly grpc?: string;
  /** The bearer token; prefer `tokenEnv` in files so secrets stay out of them. */
  readonly token?: string;
  /** Name of an environment variable holding the token. */
  readonly tokenEnv?: string;
  /** `serverless`, `raw`, or `none`; default `serverless` when a token is given, else `none`. */
  readonly authMode?: string;
  /** A served model id. */
  readonly model?: string;
  /** `single-model` (default) or `modelmesh`: how the platform serves the model. */
  readonly deployment?: string;
  /** PEM file of the CA to trust; relative paths are resolved against `baseDir`. */
  readonly caFile?: string;
  /** Skip TLS verification. */
  readonly insecure?: boolean;
  /** A known-failing file path (relative to `baseDir`), or inline `glob # reason` lines. */
  readonly knownFailing?: string | readonly string[];
}

/** Where a {@link TargetConfig} came from, for messages and for resolving relative paths. */
export interface TargetConfigContext {
  /** Prefix for error messages, e.g. `targets.yaml: targets[2]` or `SERVINGKIT_TRITON_*`. */
  readonly where: string;
  /** Directory relative paths are resolved against. */
  readonly baseDir: string;
  /** Environment for `tokenEnv`. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

const authModes = ["serverless", "raw", "none"] as const;

/** Checks a {@link TargetConfig} and turns it into a {@link Target}. */
export function resolveTargetConfig(config: TargetConfig, context: TargetConfigContext): Target {
  const fail = (message: string): never => {
    throw new TargetConfigError(`${context.where}: ${message}`);
  };
  if (typeof config.runtime !== "string" || !isRuntimeName(config.runtime)) {
    fail(`runtime "${String(config.runtime)}" is not one of ${runtimeNames.join(", ")}`);
  }
  const runtime = config.runtime as RuntimeName;
  if (!config.rest && !config.grpc) fail("needs a REST URL or a gRPC address (or both)");
  if (config.rest) checkUrl(config.rest, ["http:", "https:"], "REST URL", fail);
  if (config.grpc && /^[a-z][a-z0-9+.-]*:\/\//i.test(config.grpc)) {
    checkUrl(config.grpc, ["http:", "https:"], "gRPC address", fail);
  } else if (config.grpc && !/^[^\s/:]+:\d+$|^\[[0-9a-f:]+\]:\d+$/i.test(config.grpc)) {
    fail(`gRPC address "${config.grpc}" is not host:port or a URL`);
  }
  let token = config.token;
  if (config.tokenEnv !== undefined) {
    token = context.env[config.tokenEnv];
    if (token === undefined || token === "") fail(`tokenEnv ${config.tokenEnv} is not set`);
  }
  const mode = config.authMode ?? (token ? "serverless" : "none");
  if (!(authModes as readonly string[]).includes(mode)) {
    fail(`authMode "${mode}" is not one of ${authModes.join(", ")}`);
  }
  const authMode = mode === "none" ? undefined : (mode as AuthMode);
  if (authMode !== undefined && !token) {
    fail(`authMode "${authMode}" needs the token the endpoint accepts (token or tokenEnv)`);
  }
  const deployment = config.deployment ?? "single-model";
  if (!(deployments as readonly string[]).includes(deployment)) {
    fail(`deployment "${deployment}" is not one of ${deployments.join(", ")}`);
  }
  const group = config.group ?? "live";
  const tls =
    config.caFile !== undefined || config.insecure !== undefined
      ? {
          ...(config.caFile !== undefined && { caFile: resolve(context.baseDir, config.caFile) }),
          ...(config.insecure !== undefined && { insecure: config.insecure }),
        }
      : undefined;
  let knownFailing: Target["knownFailing"];
  if (typeof config.knownFailing === "string") {
    knownFailing = isAbsolute(config.knownFailing)
      ? config.knownFailing
      : resolve(context.baseDir, config.knownFailing);
  } else if (config.knownFailing !== undefined) {
    knownFailing = parseKnownFailing(
      config.knownFailing.join("\n"),
      `${context.where}.knownFailing`,
    );
  }
  return {
    name: config.name ?? `${group}:${runtime}`,
    group,
    runtime,
    ...(config.rest && { rest: config.rest.replace(/\/+$/, "") }),
    ...(config.grpc && { grpc: config.grpc }),
    ...(token && { token }),
    ...(authMode && { authMode }),
    ...(config.model && { model: config.model }),
    ...(deployment === "modelmesh" && { deployment: "modelmesh" as const }),
    ...(tls && { tls }),
    ...(knownFailing && { knownFailing }),
  };
}

function checkUrl(
  value: string,
  protocols: readonly string[],
  what: string,
  fail: (message: string) => never,
): void {
  const url = URL.parse(value);
  if (url === null) fail(`${what} "${value}" is not a URL`);
  else if (!protocols.includes(url.protocol)) {
    fail(`${what} "${value}" must use ${protocols.map((p) => p.replace(":", "")).join(" or ")}`);
  }
}
