/**
 * The options that put a generative runtime's mock on the simulated GPU (issue 7), with vLLM's
 * flag names and defaults wherever vLLM has the flag (vllm-openai.md §9; vLLM's EngineArgs), and
 * their reading into {@link GpuEngineSettings}. Every generative runtime module (vLLM, TGIS,
 * Caikit TGIS) spreads {@link gpuEngineOptions} into its own options, so `--gpu h100-80gb` means
 * the same everywhere. Without `--gpu` the runtime keeps the simple engine.
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { type DeviceProfile, deviceProfile, deviceProfiles } from "../gpu/device-profiles.js";
import { batchDefaults, defaultGpuMemoryUtilization } from "../gpu/kv-capacity.js";
import { type MambaCacheMode, mamba2PrefixCaching } from "../gpu/mamba-align.js";
import {
  bytesPerElement,
  type ModelProfile,
  modelProfile,
  modelProfileFromConfig,
  modelProfiles,
  tensorParallelError,
  withoutSlidingWindow,
  withServingPrecision,
} from "../gpu/model-profiles.js";
import {
  kvCacheDtypes,
  kvCacheElementBytes,
  quantizationMismatch,
  servedQuantization,
} from "../gpu/quantization.js";
import {
  acceptanceRates,
  defaultAcceptanceRate,
  drafterMemory,
  draftModelProfile,
  type SpeculativeMethod,
} from "../gpu/speculative.js";
import type { RuntimeOption, RuntimeOptionValues } from "../runtime-module.js";

/** `model_type` of the built-in mock model's config.json (assets/default-model). */
const builtInModelType = "servingkit-mock";

/** The built-in model profile used when neither `--model-config` nor the served model's config.json describes the model. */
export const defaultGpuModelProfile = "llama-3.1-8b";

/** Module options of the GPU engine, keyed by flag name without dashes; see the module comment. */
export const gpuEngineOptions: Readonly<Record<string, RuntimeOption>> = {
  gpu: {
    type: "string",
    valueName: "DEVICE",
    help: `serve with the simulated GPU engine on this device (${Object.keys(deviceProfiles).join(", ")}): queueing, batching, KV cache and latency as vLLM on that GPU; default: the simple engine (fixed latencies)`,
  },
  "model-config": {
    type: "string",
    valueName: "FILE|ID",
    help: `with --gpu: the model's shape, a config.json path or a built-in profile (${Object.keys(modelProfiles).join(", ")}); default: the served model's config.json when it has the fields, else ${defaultGpuModelProfile}`,
  },
  "tensor-parallel-size": {
    type: "string",
    valueName: "N",
    help: "with --gpu: GPUs the model is sharded over (vLLM --tensor-parallel-size); default 1",
  },
  "data-parallel-size": {
    type: "string",
    valueName: "N",
    help: "with --gpu: engine replicas, each a full copy of the model on its own --tensor-parallel-size GPUs with its own scheduler and KV cache; the API server routes each request to the replica with the lowest waiting × 4 + running, and /metrics and the stats line carry one series per replica (vLLM --data-parallel-size, -dp); default 1",
  },
  "gpu-memory-utilization": {
    type: "string",
    valueName: "FRACTION",
    help: `with --gpu: share of GPU memory vLLM may use, in (0, 1] (vLLM --gpu-memory-utilization); default ${defaultGpuMemoryUtilization}`,
  },
  "max-num-seqs": {
    type: "string",
    valueName: "N",
    help: "with --gpu: most requests in one batch (vLLM --max-num-seqs); default 1024 on GPUs of 70 GiB or more except A100, else 256",
  },
  "max-num-batched-tokens": {
    type: "string",
    valueName: "N",
    help: "with --gpu: token budget of one engine step (vLLM --max-num-batched-tokens); default 8192 on GPUs of 70 GiB or more except A100, else 2048",
  },
  "scheduling-policy": {
    type: "string",
    valueName: "fcfs|priority",
    help: "with --gpu: waiting-queue order (vLLM --scheduling-policy); default fcfs",
  },
  "enable-prefix-caching": {
    type: "boolean",
    help: "with --gpu: reuse the KV blocks of shared prompt prefixes (vLLM V1 default: on)",
  },
  "no-enable-prefix-caching": {
    type: "boolean",
    help: "with --gpu: turn prefix caching off (vLLM --no-enable-prefix-caching)",
  },
  "mamba-cache-mode": {
    type: "string",
    valueName: "none|align|all",
    help: "with --gpu and --enable-prefix-caching on a hybrid (Mamba) model: which Mamba states are kept for prefix hits (vLLM --mamba-cache-mode, from vLLM 0.15.0); default vLLM's choice by model: all for Granite 4.0 H (align with --speculative-config), align for Qwen3-Next",
  },
  "long-prefill-token-threshold": {
    type: "string",
    valueName: "N",
    help: "with --gpu: most prefill tokens one request gets per step, 0 = no limit (vLLM --long-prefill-token-threshold); default 0",
  },
  "async-scheduling": {
    type: "boolean",
    help: "with --gpu: decide each step's batch while the step before it runs, so a request arriving mid-step waits one step more (vLLM --async-scheduling); default the runtime's (vLLM 0.14.0 and later: on, else off)",
  },
  "no-async-scheduling": {
    type: "boolean",
    help: "with --gpu: turn async scheduling off (vLLM --no-async-scheduling)",
  },
  "speculative-config": {
    type: "string",
    valueName: "JSON",
    help: 'with --gpu: speculative decoding as vLLM\'s --speculative-config, e.g. \'{"method":"ngram","num_speculative_tokens":3,"prompt_lookup_max":4}\' (methods ngram, eagle, eagle3, mtp; eagle and eagle3 need "model": a local directory\'s config.json counts the head\'s weights and KV in the cache, a hub id is not read; mtp counts the MTP layers of a MiMo, DeepSeek V3/R1, GLM-4.5 or Qwen3-Next model read from its config.json and checks num_speculative_tokens against them; a separate draft model (method draft_model, or a model of no other method) stops vLLM 0.11.0 to 0.14.x with vLLM\'s own refusal, and from 0.15.0 is read from a local directory\'s config.json: its weights and KV counted, k passes of it per step, vLLM\'s vocabulary and draft_tensor_parallel_size checks; a hub id or a release before 0.11.0 is not modelled); default: off',
  },
  "speculative-acceptance-rate": {
    type: "string",
    valueName: "RATE|R1,R2,...",
    help: `with --speculative-config: the mock's draft acceptance, one per-token rate in [0, 1] (position i accepted with RATE^(i+1)) or one non-increasing rate per position (vLLM's "Per-position acceptance rate"); default ${defaultAcceptanceRate}; for ngram, without it the drafts come from the requests' own text as vLLM's proposer finds them, and giving it keeps the rate instead`,
  },
  "disable-sliding-window": {
    type: "boolean",
    help: "with --gpu: serve a sliding-window model with full attention on every layer, max_model_len capped to the window (vLLM --disable-sliding-window); default off",
  },
  quantization: {
    type: "string",
    valueName: "METHOD",
    help: "with --gpu: vLLM --quantization: the checkpoint's method (its config.json quantization_config: fp8, awq, gptq, compressed-tensors, bitsandbytes, mxfp4 are sized) or a kernel variant of it (awq_marlin, gptq_marlin, marlin); another method stops start-up with vLLM's mismatch text; on an unquantized model, fp8 quantizes the layers' weights to one byte as they load; default: the checkpoint's",
  },
  "kv-cache-dtype": {
    type: "string",
    valueName: kvCacheDtypes.join("|"),
    help: "with --gpu: element type of the KV cache (vLLM --kv-cache-dtype): fp8, fp8_e4m3 and fp8_e5m2 take one byte per element, twice the tokens of a 16-bit cache; default auto (the model dtype)",
  },
  "disable-hybrid-kv-cache-manager": {
    type: "boolean",
    help: "with --gpu: a model with sliding-window and full-attention layers (Gemma 2/3) keeps full KV on every layer, one KV cache group (vLLM --disable-hybrid-kv-cache-manager); default off",
  },
  "enable-expert-parallel": {
    type: "boolean",
    help: "with --gpu: a MoE model's routed experts placed whole over the GPUs of every data-parallel rank (vLLM --enable-expert-parallel, EP size = TP size x --data-parallel-size; experts // EP each, the remainder on the first GPUs): weight memory, KV capacity and the experts each GPU reads per step follow; with one data-parallel rank communication stays tensor parallelism's all-reduce, with more the step adds an estimate of the all-to-all between ranks (vLLM's default allgather_reducescatter backend); no effect on a dense model; default off",
  },
  "time-scale": {
    type: "string",
    valueName: "X",
    help: "with --gpu: simulated seconds per real second (10 = ten times faster than the modelled GPU); default 1",
  },
};

/**
 * vLLM's own flags among {@link gpuEngineOptions}: speculative decoding, the hybrid KV cache
 * manager switch (TGIS has no hybrid allocator to turn off) and expert parallelism (TGIS shards
 * by tensor parallelism only).
 */
const speculativeFlags: ReadonlySet<string> = new Set([
  "quantization",
  "kv-cache-dtype",
  "speculative-config",
  "speculative-acceptance-rate",
  "disable-hybrid-kv-cache-manager",
  "enable-expert-parallel",
  "data-parallel-size",
  // TGIS has no Mamba model class to keep states for (GpuEngineContext.hybridPrefixCaching).
  "mamba-cache-mode",
]);

/**
 * {@link gpuEngineOptions} without vLLM's own flags (speculative decoding, the hybrid KV cache
 * manager switch), for TGIS and Caikit TGIS.
 * IBM's TGIS does decode speculatively, but not as vLLM: it loads an MLP speculator named by the
 * `SPECULATOR_NAME` environment variable (server/text_generation_server/models/paged_causal_lm.py,
 * paged attention only), speculates only while a batch has at most `SPECULATOR_MAX_BATCH_SIZE`
 * (default 16) requests, takes no `--speculative-config` and exports none of vLLM's spec-decode
 * metrics. The mock does not model that speculator, so these runtimes do not offer the flags.
 */
export const tgisGpuEngineOptions: Readonly<Record<string, RuntimeOption>> = Object.fromEntries(
  Object.entries(gpuEngineOptions).filter(([name]) => !speculativeFlags.has(name)),
);

/** The GPU engine's settings after reading the options; every default resolved. */
export interface GpuEngineSettings {
  /** The modelled GPU. */
  readonly device: DeviceProfile;
  /** The modelled model's shape. */
  readonly model: ModelProfile;
  /** GPUs the model is sharded over. */
  readonly tensorParallelSize: number;
  /**
   * vLLM `--data-parallel-size`: engine replicas on tensorParallelSize GPUs each
   * (gpu/data-parallel.ts); absent: 1.
   */
  readonly dataParallelSize?: number;
  /** Share of GPU memory the engine may use, in (0, 1]. */
  readonly gpuMemoryUtilization: number;
  /** Context length in tokens: the served model's (vLLM `max_model_len`). */
  readonly maxModelLen: number;
  /** Most requests in one batch. */
  readonly maxNumSeqs: number;
  /** Token budget of one step. */
  readonly maxNumBatchedTokens: number;
  /** Waiting-queue order. */
  readonly schedulingPolicy: "fcfs" | "priority";
  /** Prefix caching on full 16-token blocks. */
  readonly enablePrefixCaching: boolean;
  /**
   * A hybrid (Mamba) model's `mamba_cache_mode` when it caches prefixes (mamba-align.ts): vLLM's
   * choice or `--mamba-cache-mode` ({@link hybridPrefixCaching}); absent: "none" (no prefix
   * caching of a hybrid, or no Mamba layers).
   */
  readonly mambaCacheMode?: MambaCacheMode;
  /** Most prefill tokens one request gets per step; 0 = no limit. */
  readonly longPrefillTokenThreshold: number;
  /** Simulated seconds per real second. */
  readonly timeScale: number;
  /**
   * vLLM's async scheduling (the scheduler one step ahead of the GPU): the flags, else the
   * runtime's default ({@link GpuEngineContext.asyncScheduling}), else false.
   */
  readonly asyncScheduling: boolean;
  /** Most distinct LoRA adapters in one step's batch (the runtime's `--max-loras`). */
  readonly maxLoras: number;
  /** `--speculative-config` read and checked; absent = no speculative decoding. */
  readonly speculative?: SpeculativeSettings;
  /**
   * Warnings vLLM logs at start-up for these settings (e.g. async scheduling turned off), and the
   * mock's own notes (an EAGLE drafter on the hub: {@link drafterNotCountedNote}).
   */
  readonly startupWarnings?: readonly string[];
  /**
   * `--disable-hybrid-kv-cache-manager` (vLLM): full KV on every layer of a model with sliding and
   * full layers (kv-capacity.ts kvCacheLayout); absent or false: the hybrid manager.
   */
  readonly disableHybridKvCacheManager?: boolean;
  /**
   * `--enable-expert-parallel` (vLLM): a MoE model's routed experts placed whole over the
   * tensor-parallel GPUs (expert-parallel.ts); absent or false: sharded by tensor parallelism.
   */
  readonly enableExpertParallel?: boolean;
  /**
   * The vLLM release the runtime answers as (`vllmVersion` of the context, else the
   * `--vllm-version` value), for release-worded start-up lines (model-loading.ts); absent: none
   * given, the current wording.
   */
  readonly release?: string;
}

/** `--speculative-config` after vLLM's checks, with the mock's acceptance. */
export interface SpeculativeSettings {
  /** vLLM's method after its aliases ("[ngram]" → ngram, "deepseek_mtp" … → mtp). */
  readonly method: SpeculativeMethod;
  /** `num_speculative_tokens`. */
  readonly numSpeculativeTokens: number;
  /** The draft model (EAGLE heads, a draft model), or the method's name for ngram; absent for mtp. */
  readonly model?: string;
  /**
   * draft_model: `draft_tensor_parallel_size` as given (vLLM: 1 or the target's; 0.15.0 requires
   * the target's); absent: the target's.
   */
  readonly draftTensorParallelSize?: number;
  /**
   * draft_model: the speculative `max_model_len` as given (vLLM caps the draft's context with it;
   * it may not exceed the draft's or the target's); absent: min(draft's, target's).
   */
  readonly draftMaxModelLen?: number;
  /**
   * EAGLE / EAGLE-3 / draft model: the draft's parsed config.json, when `model` is a local directory
   * holding one ({@link readDraftConfig}); absent for a hub id the mock cannot read offline (the
   * drafter's memory is then not counted, and the start-up log says so). MTP: the target's own
   * config.json (`--model-config` file or the served model's), set by readGpuEngineSettings.
   */
  readonly draftConfig?: Readonly<Record<string, unknown>>;
  /** ngram only: `prompt_lookup_min` / `prompt_lookup_max` (vLLM's default 5 each). */
  readonly promptLookupMin?: number;
  readonly promptLookupMax?: number;
  /** Per-position acceptance (`--speculative-acceptance-rate`). */
  readonly acceptanceRates: readonly number[];
  /**
   * ngram without `--speculative-acceptance-rate`: drafts come from the requests' content as
   * vLLM's proposer finds them (speculative.ts proposeNgram); a given rate keeps the rate model.
   */
  readonly draftFromContent?: boolean;
}

/** MTP model types vLLM folds into method "mtp" (vllm/config/speculative.py MTPModelTypes, a subset). */
const mtpAliases = new Set([
  "mtp",
  "deepseek_mtp",
  "mimo_mtp",
  "glm4_moe_mtp",
  "ernie_mtp",
  "qwen3_next_mtp",
  "longcat_flash_mtp",
]);

/**
 * vLLM's start-up refusal of a separate draft model (`method` "draft_model", or a `model` that is
 * no EAGLE head, MTP or n-gram), a NotImplementedError raised in vllm/config/speculative.py
 * `__post_init__` after the draft's ModelConfig is built. Quoted from vLLM 0.11.0 (vllm issue
 * #26547), 0.11.2 (the RHOAI vLLM 0.11.2+rhai5 image) and 0.13.0 (vllm issue #31883, raised at
 * speculative.py line 380).
 */
export const draftModelNotSupportedMessage =
  "Speculative decoding with draft model is not supported yet. Please consider using other speculative decoding methods such as ngram, medusa, eagle, or mtp.";

/**
 * The releases that answer a draft model with {@link draftModelNotSupportedMessage}: from 0.11.0
 * (the first release quoted with this text; before it vLLM's V1 oracle in arg_utils.py named
 * "deepseek_mtp" instead, and a release's fall-back to the V0 engine is not pinned) up to, not
 * including, 0.15.0. vLLM PR #24322 ("spec decode with draft models", DraftModelProposer) was
 * merged to main on 2026-01-19 (commit 4a5299c, listed in vLLM's weekly summary of 2026-01-23),
 * after the v0.14.0 release branch was cut (v0.14.0rc0 was tagged by 2026-01-11; downstream
 * projects moved to releases/v0.14.0 on 2026-01-16 to 19), so 0.14.x does not carry it and
 * 0.15.0 is the first release that does.
 */
export const draftModelRefusedReleases = { since: "0.11.0", until: "0.15.0" } as const;

/**
 * Whether the mock models a separate draft model for vLLM `release`: from
 * {@link draftModelRefusedReleases}.until (0.15.0, PR #24322) on, and with no release rule
 * (`release` absent or unreadable: the current behaviour). Before 0.11.0 (the V0 engine's draft
 * workers) it is not modelled.
 */
export function modelsDraftModel(release: string | undefined): boolean {
  const numbers = release === undefined ? undefined : releaseNumbers(release);
  if (numbers === undefined) return true;
  return compareReleases(numbers, releaseNumbers(draftModelRefusedReleases.until) as number[]) >= 0;
}

/**
 * vLLM's refusal of a `tensor_parallel_size` key in `--speculative-config` (vllm/config/
 * speculative.py `_verify_args`, added with the draft-model support of PR #24322, 0.15.0).
 */
export const speculativeTensorParallelMessage =
  "'tensor_parallel_size' is not a valid argument in the speculative_config. Please pass 'draft_tensor_parallel_size' instead.";

/**
 * vLLM 0.15.0's checks of a separate draft model against the target, in vLLM's order, with its
 * texts; undefined when the draft passes. `k`: the given `draft_tensor_parallel_size`;
 * `maxLen`: the given speculative `max_model_len`.
 * 1. `_verify_and_get_draft_tp` (vllm/config/speculative.py): a draft TP other than 1 or the
 *    target's.
 * 2. `_maybe_override_draft_max_model_len`: a speculative max_model_len above the draft's own
 *    (its config's, RoPE-scaled) or the target's served one.
 * 3. `verify_with_parallel_config` of the draft's ModelConfig: its heads must divide by its TP.
 * 4. `verify_equal_vocab_size_if_draft_model`: the same `vocab_size` (Qwen2.5-0.5B's 151,936
 *    against Qwen2.5-7B's 152,064 is refused).
 * 5. DraftModelProposer `_raise_if_draft_tp_mismatch` (vllm/v1/spec_decode/draft_model.py): in
 *    0.15.0 the draft's TP must equal the target's.
 */
export function draftModelError(options: {
  readonly target: ModelProfile;
  readonly draft: ModelProfile;
  readonly tensorParallelSize: number;
  readonly targetMaxModelLen: number;
  readonly draftTensorParallelSize?: number;
  readonly draftMaxModelLen?: number;
}): string | undefined {
  const { target, draft, tensorParallelSize: tp } = options;
  const draftTp = options.draftTensorParallelSize ?? tp;
  if (draftTp !== 1 && draftTp !== tp)
    return `speculative_draft_tensor_parallel_size=${draftTp} cannot be other value than 1 or target model tensor_parallel_size`;
  const maxLen = options.draftMaxModelLen;
  if (maxLen !== undefined && maxLen > draft.maxPositionEmbeddings)
    return `speculative_max_model_len=${maxLen} cannot be larger than draft_max_model_len=${draft.maxPositionEmbeddings}`;
  if (maxLen !== undefined && maxLen > options.targetMaxModelLen)
    return `speculative_max_model_len=${maxLen} cannot be larger than target_max_model_len=${options.targetMaxModelLen}`;
  const headsError = tensorParallelError(draft, draftTp);
  if (headsError !== undefined) return headsError;
  if (target.vocabSize !== draft.vocabSize)
    return `Target and draft model should have the same vocabulary size. Target model vocab_size=${target.vocabSize}. Draft model vocab_size=${draft.vocabSize}. Using models with different tokenizers can cause out-of-bounds errors during speculative decoding.`;
  if (draftTp !== tp)
    return `Currently, 'draft_tensor_parallel_size' and 'tensor_parallel_size' must be the same. Got ${draftTp} and ${tp}. Please pass 'draft_tensor_parallel_size' in the speculative_config.`;
  return undefined;
}

/** `major.minor.patch` of a vLLM version (`0.13.0`, `v0.14.1`, `0.15.0rc1`); undefined if unreadable. */
function releaseNumbers(version: string): [number, number, number] | undefined {
  const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(version.trim());
  if (match === null) return undefined;
  return [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
}

/**
 * The first vLLM release with `--mamba-cache-mode` (vllm/config/cache.py MambaCacheMode) and
 * prefix caching of every hybrid (Mamba) model in its modes: vLLM PR #30877, merged 2026-01-23,
 * after the v0.14.0 branch cut (as {@link draftModelRefusedReleases}.until). Earlier releases know
 * no such flag (argparse: "unrecognized arguments") and the mock keeps their hybrids uncached.
 */
export const mambaCacheModeSince = "0.15.0";

/**
 * Whether vLLM `release` has {@link mambaCacheModeSince}'s `--mamba-cache-mode`; absent or
 * unreadable: yes (the current behaviour).
 */
export function modelsMambaCacheMode(release: string | undefined): boolean {
  const numbers = release === undefined ? undefined : releaseNumbers(release);
  if (numbers === undefined) return true;
  return compareReleases(numbers, releaseNumbers(mambaCacheModeSince) as number[]) >= 0;
}

/**
 * The first vLLM release that caches the prefixes of a Mamba2 hybrid on `--enable-prefix-caching`
 * (vLLM PR #25752 "Mamba2 Automatic Prefix Caching": merged after the v0.11.0 cut, whose
 * MambaModelConfig still turns caching off for every hybrid), in its one mode (mamba-align.ts
 * mamba2PrefixCaching), until {@link mambaCacheModeSince} added the modes.
 */
export const mamba2PrefixCachingSince = "0.11.1";

/**
 * Whether vLLM `release` follows {@link mamba2PrefixCachingSince}'s rules: from it and before
 * {@link mambaCacheModeSince}. Absent or unreadable: no (the newest rules apply).
 */
export function usesMamba2PrefixCaching(release: string | undefined): boolean {
  const numbers = release === undefined ? undefined : releaseNumbers(release);
  if (numbers === undefined) return false;
  return (
    compareReleases(numbers, releaseNumbers(mamba2PrefixCachingSince) as number[]) >= 0 &&
    !modelsMambaCacheMode(release)
  );
}

/**
 * The first vLLM release whose default mamba_cache_mode for a model that supports mode "all" is
 * "align" when speculative decoding is on too (vLLM PR #40454, merged 2026-04-21, the week of PR
 * #40465 that moved the CUDA graph profiling line to "since v0.21.0", so after the v0.20.0 cut).
 * Before it such a model gets "all" with speculative decoding too.
 */
export const mambaAlignWithSpeculativeSince = "0.21.0";

/**
 * Whether vLLM `release` applies {@link mambaAlignWithSpeculativeSince}; absent or unreadable:
 * yes (the current behaviour).
 */
export function alignsMambaWithSpeculative(release: string | undefined): boolean {
  const numbers = release === undefined ? undefined : releaseNumbers(release);
  if (numbers === undefined) return true;
  return compareReleases(numbers, releaseNumbers(mambaAlignWithSpeculativeSince) as number[]) >= 0;
}

/**
 * The first vLLM release whose explicit `--async-scheduling` accepts a separate draft model
 * (`draft_model`): 0.16.0, where {@link asyncSpeculativeRefusal} first names "Draft Model" (that
 * wording quoted from a vLLM 0.17.1 start-up; the cut is not pinned closer). In 0.15.x, the first
 * release with draft models, the allowed list was EAGLE/MTP, so the flag is a ValueError there.
 */
export const asyncDraftModelSince = "0.16.0";

/** Whether vLLM `release` refuses `--async-scheduling` with `draft_model`; absent: no. */
export function refusesAsyncDraftModel(release: string | undefined): boolean {
  const numbers = release === undefined ? undefined : releaseNumbers(release);
  if (numbers === undefined) return false;
  return compareReleases(numbers, releaseNumbers(asyncDraftModelSince) as number[]) < 0;
}

/**
 * The first vLLM release whose async-scheduling default is off for a model on the pooling runner
 * (vllm/config/vllm.py, vLLM PR #39592 merged 2026-04-12, in the v0.20.0 release notes; vLLM
 * logs it at debug level only). An explicit `--async-scheduling` still turns it on.
 */
export const poolingSynchronousSince = "0.20.0";

/** Whether vLLM `release` applies {@link poolingSynchronousSince}; absent or unreadable: yes. */
export function poolingSchedulesSynchronously(release: string | undefined): boolean {
  const numbers = release === undefined ? undefined : releaseNumbers(release);
  if (numbers === undefined) return true;
  return compareReleases(numbers, releaseNumbers(poolingSynchronousSince) as number[]) >= 0;
}

/** vLLM's `--mamba-cache-mode` choices, in argparse's order (cache.py MambaCacheMode). */
const mambaCacheModes: readonly MambaCacheMode[] = ["all", "align", "none"];

/**
 * vLLM's choice of `mamba_cache_mode` for a hybrid model (vllm/model_executor/models/config.py
 * MambaModelConfig.verify_and_update_config, releases from {@link mambaCacheModeSince}) and the
 * warnings it logs. `cachingAsked`: `--enable-prefix-caching` given (vllm/engine/arg_utils.py:
 * prefix caching is opt-in for hybrids, `default_prefix_caching = ... and not is_hybrid`).
 * `supportsAll`: the model class declares SupportsMambaPrefixCaching (GraniteMoeHybridForCausalLM
 * does, Qwen3NextForCausalLM does not). With caching and no mode (or "none") vLLM picks "all" for
 * such a model ("align" when speculative decoding is on too) and "align" for the others; "all" on
 * a model without the support falls back to "align"; a mode without caching becomes "none".
 */
export function hybridPrefixCaching(
  cachingAsked: boolean,
  flag: MambaCacheMode | undefined,
  supportsAll: boolean,
  speculative: boolean,
  architecture: string,
): { readonly mode: MambaCacheMode; readonly warnings: readonly string[] } {
  if (!cachingAsked) {
    return flag === undefined || flag === "none"
      ? { mode: "none", warnings: [] }
      : {
          mode: "none",
          warnings: ["Mamba cache mode is set to 'none' when prefix caching is disabled"],
        };
  }
  const warnings: string[] = [];
  let mode: MambaCacheMode = flag ?? "none";
  if (mode === "none") {
    if (supportsAll && speculative) {
      mode = "align";
      warnings.push(
        `Mamba cache mode is set to 'align' for ${architecture} by default when prefix caching and speculative decoding are enabled`,
      );
    } else {
      mode = supportsAll ? "all" : "align";
      warnings.push(
        `Mamba cache mode is set to '${mode}' for ${architecture} by default when prefix caching is enabled`,
      );
    }
  }
  if (mode === "all" && !supportsAll) {
    mode = "align";
    warnings.push(
      "Hybrid or mamba-based model detected without support for prefix caching with Mamba cache 'all' mode: falling back to 'align' mode.",
    );
  }
  return { mode, warnings };
}

/**
 * The first vLLM release that checks an explicit `--async-scheduling` against the speculative
 * method (vllm/config/vllm.py, PR #24799 "Async Scheduling X Spec Decoding Compatibility", merged
 * 2025-10): from it a method outside the allowed list (n-gram on the CPU) is a ValueError at
 * start-up, where the default (no flag) only turns async scheduling off with a warning.
 */
export const asyncNgramRefusedSince = "0.11.1";

/**
 * Whether vLLM `release` refuses `--async-scheduling` with n-gram drafting (from
 * {@link asyncNgramRefusedSince}); absent or unreadable: yes (the current behaviour). Before it
 * the mock keeps the warning and turns async scheduling off (earlier releases not modelled).
 */
export function refusesAsyncNgram(release: string | undefined): boolean {
  const numbers = release === undefined ? undefined : releaseNumbers(release);
  if (numbers === undefined) return true;
  return compareReleases(numbers, releaseNumbers(asyncNgramRefusedSince) as number[]) >= 0;
}

/**
 * vLLM's ValueError for `--async-scheduling` with a speculative method it cannot overlap, worded
 * by release as the allowed list grew: "EAGLE/MTP" (PR #24799; the list vLLM 0.15.0 still had, as
 * its draft_model warning shows), "EAGLE/MTP/Draft Model" (quoted from a vLLM 0.17.1 start-up;
 * the first release of the wording, 0.16.0 here, is not pinned), "EAGLE/MTP/Draft Model/NGram
 * GPU" (PR #29184's ngram_gpu; quoted from vLLM 0.22.0, and ngram_gpu runs with async scheduling
 * on 0.19.1; 0.18.0 here is not pinned). Absent release: the newest wording the mock models.
 */
export function asyncSpeculativeRefusal(release: string | undefined): string {
  const numbers = release === undefined ? undefined : releaseNumbers(release);
  const before = (cut: string) =>
    numbers !== undefined && compareReleases(numbers, releaseNumbers(cut) as number[]) < 0;
  if (before("0.16.0"))
    return "Currently, async scheduling is only supported with EAGLE/MTP kind of speculative decoding.";
  if (before("0.18.0"))
    return "Currently, async scheduling is only supported with EAGLE/MTP/Draft Model kind of speculative decoding.";
  return "Currently, async scheduling is only supported with EAGLE/MTP/Draft Model/NGram GPU kind of speculative decoding";
}

/** a − b as release numbers: negative when a is the earlier release. */
function compareReleases(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < 3; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Whether vLLM `version` refuses a separate draft model at start-up
 * ({@link draftModelRefusedReleases}); false for an unreadable version.
 */
export function refusesDraftModel(version: string): boolean {
  const release = releaseNumbers(version);
  if (release === undefined) return false;
  const since = releaseNumbers(draftModelRefusedReleases.since) as number[];
  const until = releaseNumbers(draftModelRefusedReleases.until) as number[];
  return compareReleases(release, since) >= 0 && compareReleases(release, until) < 0;
}

/**
 * vLLM's warning for an MTP drafter asked for more than one token per step: every drafting pass
 * after the first runs the same MTP layer again (vllm/config/speculative.py `__post_init__`, a
 * `logger.warning` when the draft's model type is an MTP type and num_speculative_tokens > 1;
 * quoted from vLLM start-up logs of 2026, e.g. "WARNING … [speculative.py:602] Enabling …").
 * Older sources split the string so that "run" and "multiple" have no space between them; the
 * release that added it is not pinned, so the mock logs the later text.
 */
export const mtpLayerReuseWarning =
  "Enabling num_speculative_tokens > 1 will run multiple times of forward on same MTP layer,which may result in lower acceptance rate";

/**
 * vLLM's check of an MTP `num_speculative_tokens` against the model's MTP layers
 * (vllm/config/speculative.py `__post_init__`: `n_predict`, which `hf_config_override` sets from
 * the target's `num_nextn_predict_layers`; "Ensure divisibility for MTP module reuse"): more
 * tokens than layers must be a multiple of the layer count, else a ValueError with this text.
 * Fewer or equal tokens, or a multiple, are accepted (the layers are reused). Undefined when the
 * count passes or `nPredict` is unknown.
 */
export function mtpTokensError(k: number, nPredict: unknown): string | undefined {
  if (typeof nPredict !== "number" || !Number.isInteger(nPredict) || nPredict <= 0)
    return undefined;
  return k > nPredict && k % nPredict !== 0
    ? `num_speculative_tokens:${k} must be divisible by n_predict=${nPredict}`
    : undefined;
}

/**
 * Reads `--speculative-config` as vLLM's SpeculativeConfig does (vllm/config/speculative.py
 * `__post_init__` and `_verify_args`): the method from its aliases or the draft model's name, the
 * n-gram lookup defaults, and vLLM's refusals with its texts (as EngineConfigError). Methods vLLM
 * has but the mock does not model (draft_model, medusa, suffix, …) are a plain Error naming the
 * flag, except a draft model in a `release` that refuses it ({@link refusesDraftModel}): vLLM's
 * own start-up failure. `release`: the vLLM version the runtime answers as; absent, no release
 * rule applies. Keys the mock does not use are accepted and ignored.
 */
export function readSpeculativeConfig(
  raw: string,
  rate: string | undefined,
  release?: string,
): SpeculativeSettings {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new Error(`--speculative-config: not valid JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new Error("--speculative-config: expected a JSON object");
  const config = parsed as Record<string, unknown>;
  const field = (name: string, kind: "string" | "number"): unknown => {
    const value = config[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== kind || (kind === "number" && !Number.isInteger(value)))
      throw new Error(
        `--speculative-config: ${name} must be ${kind === "number" ? "an integer" : "a string"}`,
      );
    return value;
  };
  let method = field("method", "string") as string | undefined;
  let model = field("model", "string") as string | undefined;
  const k = field("num_speculative_tokens", "number") as number | undefined;
  let lookupMin = field("prompt_lookup_min", "number") as number | undefined;
  let lookupMax = field("prompt_lookup_max", "number") as number | undefined;
  const draftTp = field("draft_tensor_parallel_size", "number") as number | undefined;
  const draftMaxLen = field("max_model_len", "number") as number | undefined;
  if (method !== undefined && mtpAliases.has(method)) method = "mtp";
  if (model === undefined && k !== undefined) {
    if (method === "mtp") {
      // vLLM uses the target model's own MTP layers.
    } else if (method === "ngram" || method === "[ngram]") {
      model = "ngram";
    } else {
      throw new EngineConfigError(
        "num_speculative_tokens was provided but without speculative model.",
      );
    }
  }
  if (method === undefined && (model === "ngram" || model === "[ngram]")) method = "ngram";
  if (method === "[ngram]") method = "ngram";
  if (method === "ngram") {
    if (lookupMin === undefined && lookupMax === undefined) {
      lookupMin = 5;
      lookupMax = 5;
    } else if (lookupMin === undefined) lookupMin = lookupMax;
    else if (lookupMax === undefined) lookupMax = lookupMin;
    if ((lookupMin as number) > (lookupMax as number)) {
      throw new EngineConfigError(
        `prompt_lookup_min=${lookupMin} must be <= prompt_lookup_max=${lookupMax}`,
      );
    }
  } else if (method !== "mtp" && model !== undefined) {
    // vLLM detects the method from the draft model's name when none is given.
    const lower = model.toLowerCase();
    if (method === undefined && lower.includes("eagle-")) method = "eagle";
    else if (method === undefined && lower.includes("eagle3")) method = "eagle3";
    if (method !== "eagle" && method !== "eagle3") {
      if (method === undefined || method === "draft_model") {
        if (release !== undefined && refusesDraftModel(release)) {
          // vLLM builds the draft's ModelConfig (get_config) before it refuses the method, so a
          // path without a config.json fails on that first.
          readDraftConfig(model);
          throw new EngineConfigError(draftModelNotSupportedMessage);
        }
        if (!modelsDraftModel(release))
          throw new Error(
            "--speculative-config: a separate draft model (method draft_model) is not modelled by the mock before vLLM 0.11.0 (ngram, eagle, eagle3, mtp are; draft_model from 0.15.0)",
          );
        // vLLM 0.15.0: a model named with no other method is a draft model.
        method = "draft_model";
      } else throw new EngineConfigError(`Unsupported speculative method: '${method}'`);
    }
  } else if (method !== "mtp") {
    throw new Error(
      `--speculative-config: method ${method === undefined ? "(none)" : `'${method}'`} is not modelled by the mock (ngram, eagle, eagle3, mtp are)`,
    );
  }
  if (k === undefined) {
    throw new EngineConfigError(
      "num_speculative_tokens must be provided with speculative model unless the draft model config contains an n_predict parameter.",
    );
  }
  if (k <= 0)
    throw new EngineConfigError(`Expected num_speculative_tokens to be greater than zero (${k}).`);
  let rates: number[];
  try {
    rates = acceptanceRates(readRates(rate), k);
  } catch (error) {
    throw new Error(`--speculative-acceptance-rate: ${(error as Error).message}`);
  }
  const draftConfig =
    (method === "eagle" || method === "eagle3" || method === "draft_model") && model !== undefined
      ? readDraftConfig(model)
      : undefined;
  // A draft model is all the drafter there is: without its config.json the mock knows neither its
  // cost nor its memory (an EAGLE head defaults to one layer of the target's shape).
  if (method === "draft_model" && draftConfig === undefined)
    throw new Error(
      `--speculative-config: a draft model on the hub ('${model}') is not modelled by the mock: its config.json cannot be read offline (give a local directory holding it)`,
    );
  // _verify_args (vLLM 0.15.0 on, after the draft's config is read): the target's flag name is
  // refused inside the speculative config.
  if (
    config.tensor_parallel_size !== undefined &&
    config.tensor_parallel_size !== null &&
    modelsDraftModel(release)
  )
    throw new EngineConfigError(speculativeTensorParallelMessage);
  return {
    method: method as SpeculativeMethod,
    numSpeculativeTokens: k,
    ...(model === undefined ? {} : { model }),
    ...(draftConfig === undefined ? {} : { draftConfig }),
    ...(method === "draft_model" && draftTp !== undefined
      ? { draftTensorParallelSize: draftTp }
      : {}),
    ...(method === "draft_model" && draftMaxLen !== undefined
      ? { draftMaxModelLen: draftMaxLen }
      : {}),
    ...(method === "ngram" ? { promptLookupMin: lookupMin, promptLookupMax: lookupMax } : {}),
    acceptanceRates: rates,
    ...(method === "ngram" && rate === undefined ? { draftFromContent: true } : {}),
  };
}

/**
 * Whether huggingface_hub's `validate_repo_id` accepts `id` (huggingface_hub/utils/_validators.py:
 * REPO_ID_REGEX, an optional namespace and a name of at most 96 of `\w`, `-` and `.`, between word
 * boundaries; no "--" or ".."; no ".git" ending). A model name that is no local path and fails it
 * cannot be fetched either.
 */
export function isHubRepoId(id: string): boolean {
  return (
    /^(\b[\w\-.]+\b\/)?\b[\w\-.]{1,96}\b$/.test(id) &&
    !id.includes("--") &&
    !id.includes("..") &&
    !id.endsWith(".git")
  );
}

/**
 * vLLM's refusal of a model name that is neither a local directory with a config.json nor a
 * repository id (vllm/transformers_utils/config.py `get_config`: `file_or_path_exists` checks
 * `<path>/config.json` when the path exists, else asks the hub, whose id check fails).
 */
export function invalidModelMessage(model: string): string {
  return (
    `Invalid repository ID or local directory specified: '${model}'.\n` +
    "Please verify the following requirements:\n" +
    "1. Provide a valid Hugging Face repository ID.\n" +
    "2. Specify a local directory that contains a recognized configuration file.\n" +
    "   - For Hugging Face models: ensure the presence of a 'config.json'.\n" +
    "   - For Mistral models: ensure the presence of a 'params.json'.\n" +
    "3. For GGUF: pass the local path of the GGUF checkpoint.\n" +
    "   Loading GGUF from a remote repo directly is not yet supported.\n"
  );
}

/**
 * The draft model's config.json as vLLM finds it for the speculative `model` (its draft
 * ModelConfig → get_config): a path that exists must be a directory with a config.json, else
 * vLLM's {@link invalidModelMessage} (EngineConfigError); a name that is no path and no
 * repository id gets the same refusal; a repository id returns undefined (the mock reads
 * nothing from the hub). Read once at start-up; a config.json that is not a JSON object is a
 * plain Error naming the flag.
 */
export function readDraftConfig(model: string): Record<string, unknown> | undefined {
  const stat = statSync(model, { throwIfNoEntry: false });
  if (stat === undefined) {
    if (isHubRepoId(model)) return undefined;
    throw new EngineConfigError(invalidModelMessage(model));
  }
  const file = join(model, "config.json");
  if (!stat.isDirectory() || statSync(file, { throwIfNoEntry: false })?.isFile() !== true)
    throw new EngineConfigError(invalidModelMessage(model));
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`--speculative-config: ${file}: not valid JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new Error(`--speculative-config: ${file}: expected a JSON object`);
  return parsed as Record<string, unknown>;
}

/**
 * The mock's start-up note when an EAGLE drafter's config.json is on the hub, out of its reach:
 * the KV cache is sized without the drafter, and a pass costs one target layer plus its LM head.
 */
export function drafterNotCountedNote(model: string): string {
  return `Draft model '${model}' is not a local directory: the mock cannot read its config.json offline, so the drafter's memory is not counted in the KV cache size (give a local directory to count it)`;
}

/**
 * The mock's start-up note for an MTP drafter it does not count: the target was not read from a
 * config.json of a family whose MTP layers the mock builds (speculative.ts drafterMemory: MiMo,
 * DeepSeek V3 / R1 and GLM-4.5 with `num_nextn_predict_layers`, Qwen3-Next), so its MTP layers
 * are left out.
 */
export const mtpNotCountedNote =
  "MTP drafter: the mock models the MTP layers of MiMo, DeepSeek V3/R1, GLM-4.5 (num_nextn_predict_layers in their config.json) and Qwen3-Next only, read from the model's config.json, so the drafter's memory is not counted in the KV cache size";

/** "0.7" → 0.7; "0.9,0.6,0.3" → [0.9, 0.6, 0.3]; undefined → the default rate. */
function readRates(raw: string | undefined): number | number[] {
  if (raw === undefined) return defaultAcceptanceRate;
  const parts = raw.split(",").map((part) => {
    const value = Number(part);
    if (part.trim() === "" || !Number.isFinite(value))
      throw new RangeError(`'${raw}' is not a rate or a comma-separated list of rates`);
    return value;
  });
  return parts.length === 1 ? (parts[0] as number) : parts;
}

/** What the runtime knows about the served model when it reads the options. */
export interface GpuEngineContext {
  /** The served context length (`--max-model-len`, or the model's own). */
  readonly maxModelLen: number;
  /**
   * The served model's parsed `config.json`, the default model shape when it has every field a
   * {@link ModelProfile} needs (a real model directory); otherwise, and for the built-in mock
   * model, {@link defaultGpuModelProfile}.
   */
  readonly modelConfig?: Readonly<Record<string, unknown>>;
  /**
   * The runtime's `--max-loras` when it serves LoRA adapters: most distinct adapters in one
   * step's batch. Default 1, vLLM's default.
   */
  readonly maxLoras?: number;
  /**
   * Whether a hybrid (Mamba) model may cache prefixes, as vLLM's rules by release allow. False
   * for TGIS and Caikit TGIS: IBM's TGIS has no Mamba model class (text_generation_server
   * models/__init__.py get_model: flash and paged classes for Llama-family, Falcon, GPT-NeoX and
   * SantaCoder, anything else through Hugging Face AutoModelForCausalLM with per-batch caches),
   * no automatic prefix caching and no `--mamba-cache-mode`, so a hybrid there never hits a
   * cached prefix. Default true.
   */
  readonly hybridPrefixCaching?: boolean;
  /**
   * Whether the runtime schedules asynchronously when no flag says: vLLM from 0.14.0 on (its
   * release notes: "Async scheduling is now enabled by default", PR #27614). Default false.
   */
  readonly asyncScheduling?: boolean;
  /**
   * The vLLM release the runtime answers as, for release-keyed start-up rules (a separate draft
   * model refused before 0.15.0: {@link refusesDraftModel}). Default: the runtime's
   * `vllm-version` option value when it declares one (the vLLM mock's `--vllm-version`), else
   * none, and no release rule applies.
   */
  readonly vllmVersion?: string;
  /**
   * Whether the served model runs on vLLM's pooling runner (embed, classify, score): from
   * {@link poolingSynchronousSince} its async-scheduling default is off. Default false.
   */
  readonly pooling?: boolean;
}

const gpuOnly = Object.keys(gpuEngineOptions).filter((name) => name !== "gpu");

/**
 * The model class vLLM names in its Mamba cache mode lines: config.json's first `architectures`
 * entry, else the class of the hybrid family model-shapes.ts reads (`kind`).
 */
function architectureOf(
  config: Readonly<Record<string, unknown>> | undefined,
  kind: "mamba2" | "gated-delta-net",
): string {
  const listed = Array.isArray(config?.architectures) ? config.architectures[0] : undefined;
  if (typeof listed === "string") return listed;
  return kind === "mamba2" ? "GraniteMoeHybridForCausalLM" : "Qwen3NextForCausalLM";
}

function text(values: RuntimeOptionValues, name: string): string | undefined {
  const value = values[name];
  if (value === undefined || value === false) return undefined;
  if (value === true) throw new Error(`--${name} needs a value`);
  return typeof value === "string" ? value : value.at(-1);
}

function integer(values: RuntimeOptionValues, name: string, min: number): number | undefined {
  const raw = text(values, name);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < min) {
    throw new Error(`--${name}: '${raw}' is not a whole number >= ${min}`);
  }
  return Number(raw);
}

function fraction(
  values: RuntimeOptionValues,
  name: string,
  check: (value: number) => boolean,
  range: string,
): number | undefined {
  const raw = text(values, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value) || !check(value)) {
    throw new Error(`--${name}: '${raw}' is not a number ${range}`);
  }
  return value;
}

/**
 * A config.json path or a built-in id → a model profile; the served model's config, else the
 * default. With the parsed config.json the profile came from (none for a built-in profile), which
 * an MTP drafter is read from.
 */
function readModel(
  spec: string | undefined,
  served: Readonly<Record<string, unknown>> | undefined,
): { readonly profile: ModelProfile; readonly config?: Readonly<Record<string, unknown>> } {
  if (spec === undefined) {
    // The built-in mock model (assets/default-model) is no real model: its tiny shape would
    // simulate a GPU with nothing to do.
    if (served !== undefined && served.model_type !== builtInModelType) {
      try {
        return { profile: modelProfileFromConfig(served), config: served };
      } catch {
        // Not a real model's config (the built-in model has none of these fields).
      }
    }
    return { profile: modelProfile(defaultGpuModelProfile) };
  }
  if (Object.hasOwn(modelProfiles, spec)) return { profile: modelProfile(spec) };
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(spec, "utf8"));
  } catch (error) {
    throw new Error(
      `--model-config: '${spec}' is neither a built-in model (${Object.keys(modelProfiles).join(", ")}) nor a readable config.json (${(error as Error).message})`,
    );
  }
  try {
    return {
      profile: modelProfileFromConfig(parsed, spec),
      config: parsed as Record<string, unknown>,
    };
  } catch (error) {
    throw new Error(`--model-config: ${(error as Error).message}`);
  }
}

/**
 * The checkpoint's model as vLLM serves it with `--quantization` and `--kv-cache-dtype`
 * (gpu/quantization.ts): vLLM's mismatch refusal as an {@link EngineConfigError}, a value we do
 * not size as an Error naming the flag.
 */
function servingPrecision(
  model: ModelProfile,
  config: Readonly<Record<string, unknown>> | undefined,
  values: RuntimeOptionValues,
): ModelProfile {
  const flag = text(values, "quantization");
  const kvDtype = text(values, "kv-cache-dtype");
  if (flag === undefined && kvDtype === undefined) return model;
  if (flag !== undefined) {
    const mismatch = quantizationMismatch(config, flag);
    if (mismatch !== undefined) throw new EngineConfigError(mismatch);
  }
  // flashmla_sparse.py: only FlashMLA Sparse (DeepSeek V3.2's sparse MLA) lists fp8_ds_mla among
  // its cache dtypes, so vLLM finds no attention backend for it on another model (our words).
  if (kvDtype === "fp8_ds_mla" && model.mla?.indexer === undefined)
    throw new EngineConfigError(
      "--kv-cache-dtype fp8_ds_mla: only a sparse-MLA model (DeepSeek V3.2, config.json index_topk) uses this cache format",
    );
  try {
    const kvBytes =
      kvDtype === undefined ? undefined : kvCacheElementBytes(kvDtype, bytesPerElement(model));
    return withServingPrecision(model, servedQuantization(config, flag), kvBytes);
  } catch (error) {
    throw new Error((error as Error).message);
  }
}

/**
 * vLLM's own refusal of an engine configuration at start-up (its ValueError text: options that
 * parse but do not fit together, e.g. a tensor-parallel size that does not divide the heads), as
 * opposed to a flag value that does not parse (a plain Error). Both stop the mock; `servingkit
 * simulate` exits 1 for this one, as vLLM fails at start-up, and 2 for a bad flag.
 */
export class EngineConfigError extends Error {
  override readonly name = "EngineConfigError";
}

/**
 * Reads the GPU engine options. Returns undefined without `--gpu` (the runtime keeps its simple
 * engine); throws an Error with a message naming the flag for an unusable value, and for a GPU
 * option given without `--gpu`. Scheduler defaults are vLLM's for the device (kv-capacity.ts
 * batchDefaults). A `--model-config` path is read here, once, at start-up.
 */
export function readGpuEngineSettings(
  values: RuntimeOptionValues,
  context: GpuEngineContext,
): GpuEngineSettings | undefined {
  const id = text(values, "gpu");
  if (id === undefined) {
    const stray = gpuOnly.find((name) => values[name] !== undefined && values[name] !== false);
    if (stray !== undefined) throw new Error(`--${stray} needs --gpu DEVICE`);
    return undefined;
  }
  if (!Object.hasOwn(deviceProfiles, id)) {
    throw new Error(
      `--gpu: '${id}' is not a known device (${Object.keys(deviceProfiles).join(", ")})`,
    );
  }
  const device = deviceProfile(id);
  const defaults = batchDefaults(device);
  const policy = text(values, "scheduling-policy") ?? "fcfs";
  if (policy !== "fcfs" && policy !== "priority") {
    throw new Error(`--scheduling-policy: '${policy}' is not fcfs or priority`);
  }
  if (values["enable-prefix-caching"] === true && values["no-enable-prefix-caching"] === true) {
    throw new Error("--enable-prefix-caching and --no-enable-prefix-caching contradict each other");
  }
  if (values["async-scheduling"] === true && values["no-async-scheduling"] === true) {
    throw new Error("--async-scheduling and --no-async-scheduling contradict each other");
  }
  const maxNumSeqs = integer(values, "max-num-seqs", 1) ?? defaults.maxNumSeqs;
  const maxNumBatchedTokens =
    integer(values, "max-num-batched-tokens", 1) ?? defaults.maxNumBatchedTokens;
  // vllm/config/scheduler.py _verify_args: every running sequence needs one token of the budget.
  if (maxNumBatchedTokens < maxNumSeqs) {
    throw new EngineConfigError(
      `max_num_batched_tokens (${maxNumBatchedTokens}) must be greater than or equal to max_num_seqs (${maxNumSeqs}).`,
    );
  }
  const { profile: checkpointModel, config: modelConfig } = readModel(
    text(values, "model-config"),
    context.modelConfig,
  );
  const model = servingPrecision(checkpointModel, modelConfig, values);
  const tensorParallelSize = integer(values, "tensor-parallel-size", 1) ?? 1;
  // vLLM refuses a tensor-parallel size that does not divide the attention heads.
  const tpError = tensorParallelError(model, tensorParallelSize);
  if (tpError !== undefined) throw new EngineConfigError(tpError);
  const dataParallelSize = integer(values, "data-parallel-size", 1) ?? 1;
  const specRaw = text(values, "speculative-config");
  const rate = text(values, "speculative-acceptance-rate");
  if (specRaw === undefined && rate !== undefined)
    throw new Error("--speculative-acceptance-rate needs --speculative-config");
  const release = context.vllmVersion ?? text(values, "vllm-version");
  let speculative =
    specRaw === undefined ? undefined : readSpeculativeConfig(specRaw, rate, release);
  // MTP drafts with the target's own extra layers: its config.json describes them.
  if (speculative?.method === "mtp" && modelConfig !== undefined)
    speculative = { ...speculative, draftConfig: modelConfig };
  if (speculative?.method === "mtp") {
    const mtpError = mtpTokensError(
      speculative.numSpeculativeTokens,
      speculative.draftConfig?.num_nextn_predict_layers,
    );
    if (mtpError !== undefined) throw new EngineConfigError(mtpError);
  }
  if (speculative?.method === "draft_model" && speculative.draftConfig !== undefined) {
    let draft: ModelProfile;
    try {
      draft = draftModelProfile(model, speculative.draftConfig);
    } catch (error) {
      throw new Error(`--speculative-config: ${(error as Error).message}`);
    }
    const draftError = draftModelError({
      target: model,
      draft,
      tensorParallelSize,
      targetMaxModelLen: context.maxModelLen,
      ...(speculative.draftTensorParallelSize === undefined
        ? {}
        : { draftTensorParallelSize: speculative.draftTensorParallelSize }),
      ...(speculative.draftMaxModelLen === undefined
        ? {}
        : { draftMaxModelLen: speculative.draftMaxModelLen }),
    });
    if (draftError !== undefined) throw new EngineConfigError(draftError);
  }
  if (speculative?.draftConfig !== undefined) {
    // The draft's shape is checked here, so a field the mock cannot use stops start-up naming
    // the flag (engineStartup computes the same memory again).
    try {
      drafterMemory({
        method: speculative.method,
        target: model,
        tensorParallelSize,
        draftConfig: speculative.draftConfig,
      });
    } catch (error) {
      throw new Error(`--speculative-config: ${(error as Error).message}`);
    }
  }
  let asyncScheduling =
    values["async-scheduling"] === true ||
    (values["no-async-scheduling"] !== true &&
      context.asyncScheduling === true &&
      // vllm/config/vllm.py: with no flag a pooling model schedules synchronously from 0.20.0.
      !(context.pooling === true && poolingSchedulesSynchronously(release)));
  const startupWarnings: string[] = [];
  if (
    (speculative?.method === "eagle" || speculative?.method === "eagle3") &&
    speculative.draftConfig === undefined
  )
    startupWarnings.push(drafterNotCountedNote(speculative.model ?? ""));
  else if (
    speculative?.method === "mtp" &&
    drafterMemory({
      method: "mtp",
      target: model,
      tensorParallelSize,
      ...(speculative.draftConfig === undefined ? {} : { draftConfig: speculative.draftConfig }),
    }) === undefined
  )
    startupWarnings.push(mtpNotCountedNote);
  if (speculative?.method === "mtp" && speculative.numSpeculativeTokens > 1)
    startupWarnings.push(mtpLayerReuseWarning);
  if (
    speculative?.method === "ngram" &&
    values["async-scheduling"] === true &&
    refusesAsyncNgram(release)
  )
    throw new EngineConfigError(asyncSpeculativeRefusal(release));
  if (
    speculative?.method === "draft_model" &&
    values["async-scheduling"] === true &&
    refusesAsyncDraftModel(release)
  )
    throw new EngineConfigError(asyncSpeculativeRefusal(release));
  if (
    (speculative?.method === "ngram" || speculative?.method === "draft_model") &&
    asyncScheduling
  ) {
    // vllm/config/vllm.py (PR #31998): async scheduling stays on with EAGLE/MTP drafting and is
    // turned off, with this warning, for other methods (draft_model too in 0.15.0: a later
    // release added it to the methods that keep async scheduling; release not pinned). ngram
    // stays synchronous in every release: PR #29184 kept async scheduling for a new method,
    // ngram_gpu (NgramGPUTypes), which the mock does not model, not for ngram.
    startupWarnings.push(
      `Async scheduling not supported with ${speculative.method}-based speculative decoding and will be disabled.`,
    );
    asyncScheduling = false;
  }
  // vllm/config/model.py: --disable-sliding-window drops the config's sliding_window (every layer
  // attends fully) and _get_and_verify_max_len caps the derived max_model_len at the window.
  const disableWindow =
    values["disable-sliding-window"] === true && model.slidingWindow !== undefined;
  const servedModel = disableWindow ? withoutSlidingWindow(model) : model;
  const maxModelLen = disableWindow
    ? Math.min(context.maxModelLen, model.slidingWindow as number)
    : context.maxModelLen;
  const modeFlag = text(values, "mamba-cache-mode");
  if (modeFlag !== undefined) {
    if (!modelsMambaCacheMode(release))
      throw new Error("unrecognized arguments: --mamba-cache-mode");
    if (!(mambaCacheModes as readonly string[]).includes(modeFlag))
      throw new Error(
        `argument --mamba-cache-mode: invalid choice: '${modeFlag}' (choose from ${mambaCacheModes.map((m) => `'${m}'`).join(", ")})`,
      );
  }
  // Hybrids: before 0.15.0 vLLM's MambaModelConfig turns prefix caching off ("Hybrid or
  // mamba-based model detected: disabling prefix caching since it is not yet supported.",
  // kv-capacity.ts); from 0.15.0 it is opt-in, in hybridPrefixCaching's mode.
  const linear = context.hybridPrefixCaching === false ? undefined : model.linearAttention;
  const hybrid =
    linear !== undefined && modelsMambaCacheMode(release)
      ? hybridPrefixCaching(
          values["enable-prefix-caching"] === true,
          modeFlag as MambaCacheMode | undefined,
          linear.kind === "mamba2",
          speculative !== undefined && alignsMambaWithSpeculative(release),
          architectureOf(modelConfig, linear.kind),
        )
      : undefined;
  if (hybrid !== undefined) startupWarnings.push(...hybrid.warnings);
  // 0.11.1 to 0.14.x (PR #25752): Mamba2 hybrids cache prefixes when asked, in one mode.
  const mamba2 =
    linear !== undefined && usesMamba2PrefixCaching(release)
      ? mamba2PrefixCaching(values["enable-prefix-caching"] === true, linear.kind === "mamba2")
      : undefined;
  if (mamba2 !== undefined) startupWarnings.push(...mamba2.lines);
  return {
    device,
    model: servedModel,
    tensorParallelSize,
    gpuMemoryUtilization:
      fraction(values, "gpu-memory-utilization", (v) => v > 0 && v <= 1, "in (0, 1]") ??
      defaultGpuMemoryUtilization,
    ...(dataParallelSize > 1 ? { dataParallelSize } : {}),
    maxModelLen,
    maxNumSeqs,
    maxNumBatchedTokens,
    schedulingPolicy: policy,
    enablePrefixCaching:
      mamba2 !== undefined
        ? mamba2.mode !== "none"
        : hybrid === undefined
          ? values["no-enable-prefix-caching"] !== true && model.linearAttention === undefined
          : hybrid.mode !== "none",
    ...(hybrid === undefined || hybrid.mode === "none" ? {} : { mambaCacheMode: hybrid.mode }),
    ...(mamba2 === undefined || mamba2.mode === "none" ? {} : { mambaCacheMode: mamba2.mode }),
    longPrefillTokenThreshold: integer(values, "long-prefill-token-threshold", 0) ?? 0,
    timeScale: fraction(values, "time-scale", (v) => v > 0, "> 0") ?? 1,
    asyncScheduling,
    maxLoras: context.maxLoras ?? 1,
    ...(speculative === undefined ? {} : { speculative }),
    ...(values["disable-hybrid-kv-cache-manager"] === true
      ? { disableHybridKvCacheManager: true }
      : {}),
    ...(values["enable-expert-parallel"] === true ? { enableExpertParallel: true } : {}),
    ...(release === undefined ? {} : { release }),
    startupWarnings,
  };
}
