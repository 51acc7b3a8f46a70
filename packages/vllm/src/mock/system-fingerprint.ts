/**
 * vLLM 0.21.0's `system_fingerprint` (vllm PR #40537, vllm/entrypoints/openai/fingerprint.py):
 * a string naming the server's release, its non-trivial parallelism and a config hash, computed
 * once at start-up and stamped on every answer. Pure: the plugin builds it once from the settings.
 */
import { createHash } from "node:crypto";

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
 * The fingerprint in fingerprint.py's default `full` mode: `vllm-<version>`, then `tp<n>` when
 * the tensor-parallel size is above 1 and `ep` with expert parallelism (the mock has one pipeline
 * stage and one data-parallel rank, so `pp`/`dp` never show), then the first 8 hex digits of a
 * config hash, all joined by `-` (e.g. `vllm-0.21.0-tp2-3f9a01c2`). vLLM hashes its whole
 * `VllmConfig` (`compute_hash`, a SHA-256 over config factors); the mock hashes, with SHA-256,
 * the factors it knows (model, max model length, device, dtype, parallelism), so the hash is
 * stable for one configuration and differs between configurations, but is not vLLM's value.
 * The GPU name and dtype go into the hash only: the merged fingerprint.py prints neither (the
 * PR's first description did, `vllm-0.11.0-H100-tp8-bf16-a3b21f94`; the merged code dropped them).
 */
export function systemFingerprint(config: FingerprintConfig): string {
  const factors = JSON.stringify([
    config.model,
    config.maxModelLen,
    config.device ?? null,
    config.dtype ?? null,
    config.tensorParallelSize,
    config.expertParallel,
  ]);
  const hash8 = createHash("sha256").update(factors).digest("hex").slice(0, 8);
  const parts = [`vllm-${config.version}`];
  if (config.tensorParallelSize > 1) parts.push(`tp${config.tensorParallelSize}`);
  if (config.expertParallel) parts.push("ep");
  parts.push(hash8);
  return parts.join("-");
}
