/**
 * vLLM 0.21.0's `system_fingerprint` (vllm PR #40537, vllm/entrypoints/openai/fingerprint.py):
 * a string naming the server's release, its non-trivial parallelism and a config hash, computed
 * once at start-up and stamped on every answer, in one of four `--fingerprint-mode`s
 * (cli_args.py `BaseFrontendArgs.fingerprint_mode`, `--fingerprint-value` for `custom`). Pure:
 * the plugin builds it once from the settings.
 */
import { createHash } from "node:crypto";
import type { RuntimeModuleSettings } from "@servingkit/mock-core";

/**
 * `--fingerprint-mode` (cli_args.py, a `Literal` argparse lists as choices): `full` (the
 * default) prints the release, non-trivial parallelism and the hash; `hash` the release and the
 * hash; `custom` the `--fingerprint-value` text as given; `none` no fingerprint (`null`).
 */
export type FingerprintMode = "full" | "hash" | "custom" | "none";

/** The modes in cli_args.py's order (argparse's "choose from" list). */
export const fingerprintModes: readonly FingerprintMode[] = ["full", "hash", "custom", "none"];

/** The two fingerprint flags as read ({@link readFingerprintOptions}). */
export interface FingerprintOptions {
  /** `--fingerprint-mode`; default `full`. */
  readonly mode: FingerprintMode;
  /** `--fingerprint-value`, used by `custom` only; undefined when not given. */
  readonly value: string | undefined;
}

/** The options of a server started without either flag. */
export const defaultFingerprintOptions: FingerprintOptions = { mode: "full", value: undefined };

/**
 * Reads `--fingerprint-mode` and `--fingerprint-value` (option names without dashes in
 * `values`). `supported`: whether the release has them (the profile's `systemFingerprint`,
 * 0.21.0 on); before, argparse refuses either as "unrecognized arguments: --<flag> <value>". A
 * mode outside {@link fingerprintModes} gets argparse's invalid-choice text. A value without
 * `custom` is accepted and unused, and `custom` without a value gives `null`
 * (fingerprint.py `build_system_fingerprint` returns the unset value), as vLLM does.
 */
export function readFingerprintOptions(
  values: RuntimeModuleSettings["values"],
  supported: boolean,
): FingerprintOptions {
  const mode = textOf(values["fingerprint-mode"]);
  const value = textOf(values["fingerprint-value"]);
  if (!supported) {
    const unknown = [
      ...(mode === undefined ? [] : [`--fingerprint-mode ${mode}`]),
      ...(value === undefined ? [] : [`--fingerprint-value ${value}`]),
    ];
    if (unknown.length > 0) throw new Error(`unrecognized arguments: ${unknown.join(" ")}`);
    return defaultFingerprintOptions;
  }
  if (mode !== undefined && !(fingerprintModes as readonly string[]).includes(mode)) {
    const choices = fingerprintModes.map((choice) => `'${choice}'`).join(", ");
    throw new Error(
      `argument --fingerprint-mode: invalid choice: '${mode}' (choose from ${choices})`,
    );
  }
  return { mode: (mode as FingerprintMode | undefined) ?? "full", value };
}

/** An option's text: the last one given when repeated (argparse keeps the last). */
function textOf(given: RuntimeModuleSettings["values"][string]): string | undefined {
  if (Array.isArray(given)) return given.length === 0 ? undefined : String(given.at(-1));
  return given === undefined ? undefined : String(given);
}

/** What the fingerprint is built from: what the mock knows of the served configuration. */
export interface FingerprintConfig {
  /** The release `/version` reports (the string's `vllm-<version>` head). */
  readonly version: string;
  /** The served model's id (hashed). */
  readonly model: string;
  /** The context length in tokens (hashed). */
  readonly maxModelLen: number;
  /** `--tensor-parallel-size` under `--gpu`; 1 without (printed only when above 1). */
  readonly tensorParallelSize: number;
  /** `--enable-expert-parallel` (printed as `ep`). */
  readonly expertParallel: boolean;
  /** The `--gpu` device's name, or undefined without `--gpu` (hashed). */
  readonly device: string | undefined;
  /** The model's `torch_dtype` under `--gpu`, or undefined without (hashed). */
  readonly dtype: string | undefined;
}

/**
 * The fingerprint for `options` (default: mode `full`), or `null` in mode `none` and in mode
 * `custom` without a value (fingerprint.py `build_system_fingerprint`). Mode `custom` gives the
 * value as written; mode `hash` gives `vllm-<version>-<hash8>`, parallelism stripped.
 *
 * Mode `full`: `vllm-<version>`, then `tp<n>` when
 * the tensor-parallel size is above 1 and `ep` with expert parallelism (the mock has one pipeline
 * stage and one data-parallel rank, so `pp`/`dp` never show), then the first 8 hex digits of a
 * config hash, all joined by `-` (e.g. `vllm-0.21.0-tp2-3f9a01c2`). vLLM hashes its whole
 * `VllmConfig` (`compute_hash`, a SHA-256 over config factors); the mock hashes, with SHA-256,
 * the factors it knows (model, max model length, device, dtype, parallelism), so the hash is
 * stable for one configuration and differs between configurations, but is not vLLM's value.
 * The GPU name and dtype go into the hash only: the merged fingerprint.py prints neither (the
 * PR's first description did, `vllm-0.11.0-H100-tp8-bf16-a3b21f94`; the merged code dropped them).
 */
export function systemFingerprint(
  config: FingerprintConfig,
  options: FingerprintOptions = defaultFingerprintOptions,
): string | null {
  if (options.mode === "none") return null;
  if (options.mode === "custom") return options.value ?? null;
  const factors = JSON.stringify([
    config.model,
    config.maxModelLen,
    config.device ?? null,
    config.dtype ?? null,
    config.tensorParallelSize,
    config.expertParallel,
  ]);
  const hash8 = createHash("sha256").update(factors).digest("hex").slice(0, 8);
  if (options.mode === "hash") return `vllm-${config.version}-${hash8}`;
  const parts = [`vllm-${config.version}`];
  if (config.tensorParallelSize > 1) parts.push(`tp${config.tensorParallelSize}`);
  if (config.expertParallel) parts.push("ep");
  parts.push(hash8);
  return parts.join("-");
}
