import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { parse } from "yaml";
import type { Target } from "./target.js";
import { resolveTargetConfig, type TargetConfig, TargetConfigError } from "./target-config.js";

const stringFields = [
  "runtime",
  "name",
  "group",
  "rest",
  "grpc",
  "token",
  "tokenEnv",
  "authMode",
  "model",
  "deployment",
  "caFile",
] as const;
const knownFields = new Set<string>([...stringFields, "insecure", "knownFailing"]);

/**
 * Parses a targets file. YAML and JSON are both accepted (JSON is YAML), shaped as
 *
 * ```yaml
 * targets:
 *   - runtime: triton                      # required
 *     rest: https://triton-ns.apps.example.com
 *     grpc: https://triton-grpc-ns.apps.example.com:443
 *     tokenEnv: TRITON_TOKEN               # or token: ...
 *     authMode: serverless                 # serverless | raw | none
 *     model: triton
 *     deployment: single-model             # single-model (default) | modelmesh
 *     caFile: ./cluster-ca.crt             # relative to the file
 *     knownFailing: ./known-failing-triton.txt
 * ```
 *
 * Unknown fields are errors (a misspelt `authmode` must not silently mean "open").
 *
 * @param path used in messages and as the base of relative paths
 * @param env where `tokenEnv` names are looked up
 */
export function parseTargetsFile(
  text: string,
  path: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Target[] {
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new TargetConfigError(`${path}: not valid YAML or JSON: ${(error as Error).message}`);
  }
  const list =
    typeof document === "object" && document !== null && !Array.isArray(document)
      ? (document as Record<string, unknown>).targets
      : undefined;
  if (!Array.isArray(list)) {
    throw new TargetConfigError(`${path}: expected a top-level "targets:" list`);
  }
  const baseDir = dirname(resolve(path));
  const targets = list.map((entry, index) =>
    resolveTargetConfig(readEntry(entry, `${path}: targets[${index}]`), {
      where: `${path}: targets[${index}]`,
      baseDir,
      env,
    }),
  );
  const seen = new Set<string>();
  for (const target of targets) {
    if (seen.has(target.name)) {
      throw new TargetConfigError(`${path}: two targets are named "${target.name}"`);
    }
    seen.add(target.name);
  }
  return targets;
}

/** Reads and parses a targets file; see {@link parseTargetsFile}. */
export async function readTargetsFile(
  path: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<Target[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new TargetConfigError(`cannot read targets file ${path}: ${(error as Error).message}`);
  }
  return parseTargetsFile(text, path, env);
}

function readEntry(entry: unknown, where: string): TargetConfig {
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
    throw new TargetConfigError(`${where}: expected a mapping`);
  }
  const record = entry as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!knownFields.has(key)) {
      throw new TargetConfigError(`${where}: unknown field "${key}"`);
    }
  }
  const config: Record<string, unknown> = {};
  for (const field of stringFields) {
    const value = record[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== "string") {
      throw new TargetConfigError(`${where}.${field}: expected a string`);
    }
    config[field] = value;
  }
  if (record.insecure !== undefined) {
    if (typeof record.insecure !== "boolean") {
      throw new TargetConfigError(`${where}.insecure: expected true or false`);
    }
    config.insecure = record.insecure;
  }
  const knownFailing = record.knownFailing;
  if (knownFailing !== undefined) {
    const ok =
      typeof knownFailing === "string" ||
      (Array.isArray(knownFailing) && knownFailing.every((line) => typeof line === "string"));
    if (!ok) {
      throw new TargetConfigError(
        `${where}.knownFailing: expected a file path or a list of "glob # reason" lines`,
      );
    }
    config.knownFailing = knownFailing;
  }
  if (config.runtime === undefined) throw new TargetConfigError(`${where}: runtime is required`);
  return config as unknown as TargetConfig;
}
