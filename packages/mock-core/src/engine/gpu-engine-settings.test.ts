import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { hybridKvCacheDisabledWarning } from "../gpu/kv-capacity.js";
import { kvBytesPerToken, modelProfiles } from "../gpu/model-profiles.js";
import {
  deepseekV3Config,
  deepseekV32Config,
  granite4HSmallConfig,
  qwen3Next80bA3bConfig,
} from "../gpu/moe-hybrid-configs.js";
import { simulate } from "../gpu/simulate.js";
import { gemma3_1bConfig, mistral7bV01Config } from "../gpu/sliding-window-configs.js";
import { randomDataset } from "../gpu/workloads.js";
import {
  alignsMambaWithSpeculative,
  asyncSpeculativeRefusal,
  drafterNotCountedNote,
  draftModelNotSupportedMessage,
  EngineConfigError,
  gpuEngineOptions,
  invalidModelMessage,
  isHubRepoId,
  modelsDraftModel,
  modelsMambaCacheMode,
  mtpLayerReuseWarning,
  mtpTokensError,
  poolingSchedulesSynchronously,
  readGpuEngineSettings,
  readSpeculativeConfig,
  refusesAsyncDraftModel,
  refusesAsyncNgram,
  refusesDraftModel,
  speculativeTensorParallelMessage,
  tgisGpuEngineOptions,
  usesMamba2PrefixCaching,
} from "./gpu-engine-settings.js";
import { engineStartup } from "./text-engine-factory.js";

const context = { maxModelLen: 4096 };

describe("the GPU engine options", () => {
  test("are vLLM's flag names where vLLM has the flag", () => {
    // vllm-openai.md §9 and vLLM's EngineArgs: --tensor-parallel-size, --gpu-memory-utilization,
    // --max-num-seqs, --max-num-batched-tokens, --scheduling-policy, --[no-]enable-prefix-caching,
    // --long-prefill-token-threshold.
    expect(Object.keys(gpuEngineOptions)).toEqual(
      expect.arrayContaining([
        "gpu",
        "model-config",
        "tensor-parallel-size",
        "gpu-memory-utilization",
        "max-num-seqs",
        "max-num-batched-tokens",
        "scheduling-policy",
        "enable-prefix-caching",
        "no-enable-prefix-caching",
        "long-prefill-token-threshold",
        "time-scale",
      ]),
    );
    for (const option of Object.values(gpuEngineOptions)) expect(option.help).not.toBe("");
  });

  test("without --gpu the runtime keeps the simple engine", () => {
    expect(readGpuEngineSettings({}, context)).toBeUndefined();
  });

  test("a GPU option without --gpu is an error naming both", () => {
    expect(() => readGpuEngineSettings({ "max-num-seqs": "8" }, context)).toThrow(
      "--max-num-seqs needs --gpu DEVICE",
    );
  });
});

describe("defaults", () => {
  test("a large GPU gets vLLM serve's 1024 sequences and 8192 tokens, prefix caching on, FCFS", () => {
    // vllm-openai.md §9: GPUs >= 70 GiB and not A100 → max_num_seqs 1024, max_num_batched_tokens 8192;
    // gpu_memory_utilization 0.9; prefix caching on by default in V1; --scheduling-policy fcfs.
    const settings = readGpuEngineSettings({ gpu: "h100-80gb" }, context);
    expect(settings).toMatchObject({
      tensorParallelSize: 1,
      gpuMemoryUtilization: 0.9,
      maxModelLen: 4096,
      maxNumSeqs: 1024,
      maxNumBatchedTokens: 8192,
      schedulingPolicy: "fcfs",
      enablePrefixCaching: true,
      longPrefillTokenThreshold: 0,
      timeScale: 1,
      maxLoras: 1,
      asyncScheduling: false,
    });
    expect(settings?.device.id).toBe("h100-80gb");
    // vllm PR #19970: --async-scheduling turns the scheduler one step ahead of the GPU.
    expect(
      readGpuEngineSettings({ gpu: "h100-80gb", "async-scheduling": true }, context)
        ?.asyncScheduling,
    ).toBe(true);
    // vLLM v0.14.0 release notes: "Async scheduling is now enabled by default - Users who
    // experience issues can disable with --no-async-scheduling" (PR #27614): the runtime's
    // default applies when no flag says, and either flag overrides it.
    const asyncByDefault = { ...context, asyncScheduling: true };
    const async = (
      values: Record<string, string | boolean>,
      ctx: Parameters<typeof readGpuEngineSettings>[1] = asyncByDefault,
    ) => readGpuEngineSettings({ gpu: "h100-80gb", ...values }, ctx)?.asyncScheduling;
    expect(async({})).toBe(true);
    expect(async({ "no-async-scheduling": true })).toBe(false);
    expect(async({ "async-scheduling": true }, context)).toBe(true);
    expect(() => async({ "async-scheduling": true, "no-async-scheduling": true })).toThrow(
      "--async-scheduling and --no-async-scheduling contradict each other",
    );
    // The runtime's --max-loras reaches the scheduler (vLLM's default 1).
    expect(readGpuEngineSettings({ gpu: "h100-80gb" }, { ...context, maxLoras: 4 })?.maxLoras).toBe(
      4,
    );
    expect(settings?.model).toBe(modelProfiles["llama-3.1-8b"]);
  });

  test("A100 and smaller GPUs get 256 sequences and 2048 tokens", () => {
    // vllm-openai.md §9: other GPUs → 256 / 2048 for `vllm serve`.
    for (const gpu of ["a100-80gb", "l4"]) {
      expect(readGpuEngineSettings({ gpu }, context)).toMatchObject({
        maxNumSeqs: 256,
        maxNumBatchedTokens: 2048,
      });
    }
  });

  test("the served model's own config.json is the model's shape when it has the fields", () => {
    const config = {
      hidden_size: 2048,
      num_attention_heads: 16,
      num_key_value_heads: 4,
      num_hidden_layers: 12,
      intermediate_size: 8192,
      vocab_size: 32000,
      max_position_embeddings: 4096,
    };
    const settings = readGpuEngineSettings({ gpu: "l4" }, { ...context, modelConfig: config });
    expect(settings?.model).toMatchObject({ layers: 12, kvHeads: 4, hiddenSize: 2048 });
    // A config without them, or the built-in mock model's (no real model): the default profile.
    const fallback = readGpuEngineSettings({ gpu: "l4" }, { ...context, modelConfig: {} });
    expect(fallback?.model).toBe(modelProfiles["llama-3.1-8b"]);
    const builtIn = readGpuEngineSettings(
      { gpu: "l4" },
      { ...context, modelConfig: { ...config, model_type: "servingkit-mock" } },
    );
    expect(builtIn?.model).toBe(modelProfiles["llama-3.1-8b"]);
  });
});

describe("explicit values", () => {
  test("are read, and --no-enable-prefix-caching turns caching off", () => {
    const settings = readGpuEngineSettings(
      {
        gpu: "h200",
        "model-config": "llama-3.1-70b",
        "tensor-parallel-size": "4",
        "gpu-memory-utilization": "0.85",
        "max-num-seqs": "64",
        "max-num-batched-tokens": "4096",
        "scheduling-policy": "priority",
        "no-enable-prefix-caching": true,
        "long-prefill-token-threshold": "512",
        "time-scale": "10",
      },
      context,
    );
    expect(settings).toMatchObject({
      tensorParallelSize: 4,
      gpuMemoryUtilization: 0.85,
      maxNumSeqs: 64,
      maxNumBatchedTokens: 4096,
      schedulingPolicy: "priority",
      enablePrefixCaching: false,
      longPrefillTokenThreshold: 512,
      timeScale: 10,
    });
    expect(settings?.model).toBe(modelProfiles["llama-3.1-70b"]);
  });

  test("--model-config reads a config.json path", () => {
    const dir = mkdtempSync(join(tmpdir(), "gpu-settings-"));
    const file = join(dir, "config.json");
    writeFileSync(
      file,
      JSON.stringify({
        hidden_size: 4096,
        num_attention_heads: 32,
        num_key_value_heads: 8,
        num_hidden_layers: 32,
        intermediate_size: 14336,
        vocab_size: 128256,
        max_position_embeddings: 8192,
        torch_dtype: "bfloat16",
      }),
    );
    const settings = readGpuEngineSettings({ gpu: "h100-80gb", "model-config": file }, context);
    expect(settings?.model).toMatchObject({ layers: 32, maxPositionEmbeddings: 8192 });
  });
});

describe("validation messages", () => {
  const cases: [Record<string, string | boolean>, string][] = [
    [{ gpu: "tpu-v5" }, "--gpu: 'tpu-v5' is not a known device (h100-80gb, h200"],
    [{ gpu: "h100-80gb", "max-num-seqs": "0" }, "--max-num-seqs: '0' is not a whole number >= 1"],
    [
      { gpu: "h100-80gb", "max-num-seqs": "2.5" },
      "--max-num-seqs: '2.5' is not a whole number >= 1",
    ],
    [{ gpu: "h100-80gb", "tensor-parallel-size": "x" }, "--tensor-parallel-size: 'x' is not"],
    [
      { gpu: "h100-80gb", "gpu-memory-utilization": "1.5" },
      "--gpu-memory-utilization: '1.5' is not a number in (0, 1]",
    ],
    [{ gpu: "h100-80gb", "time-scale": "0" }, "--time-scale: '0' is not a number > 0"],
    [
      { gpu: "h100-80gb", "scheduling-policy": "lifo" },
      "--scheduling-policy: 'lifo' is not fcfs or priority",
    ],
    [
      { gpu: "h100-80gb", "enable-prefix-caching": true, "no-enable-prefix-caching": true },
      "contradict",
    ],
    [
      { gpu: "h100-80gb", "model-config": "/nonexistent/config.json" },
      "--model-config: '/nonexistent/config.json' is neither a built-in model",
    ],
    [{ gpu: true }, "--gpu needs a value"],
  ];
  test.each(cases)("%o → %s", (values, message) => {
    expect(() => readGpuEngineSettings(values, context)).toThrow(message);
  });

  test("a tensor-parallel size that does not divide the heads is refused with vLLM's text", () => {
    // vllm/config ModelConfig.verify_with_parallel_config (model-profiles.ts tensorParallelError).
    expect(() =>
      readGpuEngineSettings({ gpu: "h100-80gb", "tensor-parallel-size": "3" }, context),
    ).toThrow(
      "Total number of attention heads (32) must be divisible by tensor parallel size (3).",
    );
  });

  test("a token budget below the sequence cap is refused with vLLM's text", () => {
    // vllm/config/scheduler.py SchedulerConfig._verify_args: max_num_batched_tokens >= max_num_seqs.
    expect(() =>
      readGpuEngineSettings({ gpu: "h100-80gb", "max-num-batched-tokens": "512" }, context),
    ).toThrow("max_num_batched_tokens (512) must be greater than or equal to max_num_seqs (1024).");
  });
});

const read = (values: Record<string, string | boolean>) =>
  readGpuEngineSettings({ gpu: "h100-80gb", ...values }, context);

describe("--speculative-config", () => {
  test("is off by default", () => {
    expect(read({})?.speculative).toBeUndefined();
    expect(engineStartup(read({}) as never).core.speculative).toBeUndefined();
  });

  test("reads an n-gram config with vLLM's lookup defaults and the default acceptance", () => {
    // vllm/config/speculative.py: ngram with neither lookup bound gets 5 and 5; one bound sets
    // the other.
    expect(
      read({ "speculative-config": '{"method":"ngram","num_speculative_tokens":3}' })?.speculative,
    ).toEqual({
      method: "ngram",
      numSpeculativeTokens: 3,
      model: "ngram",
      promptLookupMin: 5,
      promptLookupMax: 5,
      acceptanceRates: [0.7, 0.7 ** 2, 0.7 ** 3],
      // No --speculative-acceptance-rate: drafts come from the content (speculative.ts proposeNgram).
      draftFromContent: true,
    });
    expect(
      readSpeculativeConfig(
        '{"method":"[ngram]","num_speculative_tokens":2,"prompt_lookup_max":4}',
        "0.9,0.5",
      ),
    ).toMatchObject({
      method: "ngram",
      promptLookupMin: 4,
      promptLookupMax: 4,
      acceptanceRates: [0.9, 0.5],
    });
  });

  test("finds EAGLE methods from the draft model's name and folds MTP aliases into mtp", () => {
    // vllm/config/speculative.py: "eagle-" in the model name → eagle, "eagle3" → eagle3;
    // MTP model types are deprecated method names replaced by "mtp".
    expect(
      readSpeculativeConfig(
        '{"model":"yuhuili/EAGLE-LLaMA3-Instruct-8B","num_speculative_tokens":2}',
        undefined,
      ).method,
    ).toBe("eagle");
    expect(
      readSpeculativeConfig(
        '{"model":"yuhuili/EAGLE3-LLaMA3.1-Instruct-8B","num_speculative_tokens":2}',
        undefined,
      ).method,
    ).toBe("eagle3");
    expect(
      readSpeculativeConfig('{"method":"deepseek_mtp","num_speculative_tokens":1}', undefined),
    ).toMatchObject({
      method: "mtp",
    });
  });

  test("refuses what vLLM refuses, with its texts", () => {
    // vllm/config/speculative.py __post_init__ and _verify_args.
    const cases: [string, string][] = [
      [
        '{"method":"eagle","num_speculative_tokens":3}',
        "num_speculative_tokens was provided but without speculative model.",
      ],
      [
        '{"method":"ngram","num_speculative_tokens":3,"prompt_lookup_min":5,"prompt_lookup_max":2}',
        "prompt_lookup_min=5 must be <= prompt_lookup_max=2",
      ],
      [
        '{"method":"ngram"}',
        "num_speculative_tokens must be provided with speculative model unless the draft model config contains an n_predict parameter.",
      ],
      [
        '{"method":"ngram","num_speculative_tokens":0}',
        "Expected num_speculative_tokens to be greater than zero (0).",
      ],
      [
        '{"method":"medusa","model":"x/medusa","num_speculative_tokens":2}',
        "Unsupported speculative method: 'medusa'",
      ],
    ];
    for (const [json, message] of cases) {
      let thrown: unknown;
      try {
        read({ "speculative-config": json });
      } catch (error) {
        thrown = error;
      }
      expect(thrown, json).toBeInstanceOf(EngineConfigError);
      expect((thrown as Error).message).toBe(message);
    }
  });

  test("refuses what the mock does not model or cannot parse, naming the flag", () => {
    expect(() => read({ "speculative-config": "{nope" })).toThrow(
      "--speculative-config: not valid JSON",
    );
    expect(() => read({ "speculative-config": "[1]" })).toThrow(
      "--speculative-config: expected a JSON object",
    );
    expect(() =>
      read({
        "speculative-config":
          '{"method":"draft_model","model":"meta-llama/Llama-3.2-1B","num_speculative_tokens":3}',
        "vllm-version": "0.10.2",
      }),
    ).toThrow("is not modelled by the mock");
    expect(() =>
      read({ "speculative-config": '{"method":"ngram","num_speculative_tokens":2.5}' }),
    ).toThrow("num_speculative_tokens must be an integer");
    expect(() =>
      read({
        "speculative-config": '{"method":"ngram","num_speculative_tokens":2}',
        "speculative-acceptance-rate": "0.5,0.9",
      }),
    ).toThrow(
      "--speculative-acceptance-rate: acceptance rates must be in [0, 1] and non-increasing",
    );
    expect(() => read({ "speculative-acceptance-rate": "0.5" })).toThrow(
      "--speculative-acceptance-rate needs --speculative-config",
    );
    expect(() =>
      readGpuEngineSettings(
        { "speculative-config": '{"method":"ngram","num_speculative_tokens":2}' },
        context,
      ),
    ).toThrow("--speculative-config needs --gpu DEVICE");
  });

  test("turns async scheduling off for n-gram with vLLM's warning, keeps it for EAGLE", () => {
    // vllm/config/vllm.py (PR #31998): async scheduling on by default with EAGLE/MTP drafting,
    // "Async scheduling not supported with %s-based speculative decoding and will be disabled."
    const asyncContext = { maxModelLen: 4096, asyncScheduling: true };
    const ngram = readGpuEngineSettings(
      { gpu: "h100-80gb", "speculative-config": '{"method":"ngram","num_speculative_tokens":2}' },
      asyncContext,
    );
    expect(ngram?.asyncScheduling).toBe(false);
    expect(ngram?.startupWarnings).toEqual([
      "Async scheduling not supported with ngram-based speculative decoding and will be disabled.",
    ]);
    const eagle = readGpuEngineSettings(
      {
        gpu: "h100-80gb",
        "speculative-config":
          '{"method":"eagle3","model":"yuhuili/EAGLE3-LLaMA3.1-Instruct-8B","num_speculative_tokens":2}',
      },
      asyncContext,
    );
    expect(eagle?.asyncScheduling).toBe(true);
    // No async-scheduling warning; the one line is the mock's note that a hub head is not read.
    expect(eagle?.startupWarnings).toEqual([
      drafterNotCountedNote("yuhuili/EAGLE3-LLaMA3.1-Instruct-8B"),
    ]);
  });

  test("gives the engine core k drafts, the acceptance and the EAGLE head's cost", () => {
    const eagle = engineStartup(
      read({
        "speculative-config":
          '{"method":"eagle","model":"yuhuili/EAGLE-LLaMA3-Instruct-8B","num_speculative_tokens":3}',
        "speculative-acceptance-rate": "0.8",
      }) as never,
    ).core.speculative;
    expect(eagle?.numSpeculativeTokens).toBe(3);
    expect(eagle?.acceptanceRates[0]).toBeCloseTo(0.8, 12);
    // Three chained passes of ≈0.56 ms (speculative.ts draftPassTime) on an H100 for Llama 3.1 8B.
    expect(eagle?.draftTime).toBeGreaterThan(0.0015);
    expect(eagle?.draftTime).toBeLessThan(0.0018);
    const ngram = engineStartup(
      read({ "speculative-config": '{"method":"ngram","num_speculative_tokens":3}' }) as never,
    ).core.speculative;
    expect(ngram?.draftTime).toBe(0);
  });
});

// vllm/config/scheduler.py stream_interval is vLLM's own flag (from 0.12.0, vLLM PR #27869): the
// vLLM mock reads it per release and hands the number to createTextEngine; the GPU settings
// neither read nor carry it, so TGIS and Caikit TGIS (which do not declare it) never see it.
describe("--stream-interval", () => {
  test("is not read here, with or without --gpu", () => {
    const context = { maxModelLen: 8192 };
    const settings = readGpuEngineSettings({ gpu: "h100-80gb", "stream-interval": "4" }, context);
    expect(settings !== undefined && "streamInterval" in settings).toBe(false);
    expect(readGpuEngineSettings({ "stream-interval": "4" }, context)).toBeUndefined();
  });
});

describe("tgisGpuEngineOptions", () => {
  // IBM TGIS: SPECULATOR_NAME (server/text_generation_server/models/paged_causal_lm.py), not
  // vLLM's --speculative-config. --disable-hybrid-kv-cache-manager switches off vLLM's hybrid KV
  // cache allocator (vllm/v1/core/kv_cache_utils.py), which TGIS does not have.
  test("are the GPU engine options less vLLM's precision, speculative decoding, hybrid KV cache and expert-parallel flags", () => {
    // TGIS names its own quantization flag (--quantize) and has no --kv-cache-dtype; its
    // launcher shards by tensor parallelism only (--num-shard), no expert parallelism.
    const vllmOnly = [
      "quantization",
      "kv-cache-dtype",
      "speculative-config",
      "speculative-acceptance-rate",
      "disable-hybrid-kv-cache-manager",
      "enable-expert-parallel",
      // TGIS serves one model replica per server: no --data-parallel-size.
      "data-parallel-size",
      // text_generation_server/models/__init__.py get_model: no Mamba model class, no
      // --mamba-cache-mode (vllm/config/cache.py MambaCacheMode is vLLM's).
      "mamba-cache-mode",
    ];
    const names = Object.keys(gpuEngineOptions).filter((name) => !vllmOnly.includes(name));
    expect(Object.keys(tgisGpuEngineOptions)).toEqual(names);
    expect(names.length).toBe(Object.keys(gpuEngineOptions).length - 8);
  });
});

describe("--quantization and --kv-cache-dtype", () => {
  const awq = fileURLToPath(
    new URL("../gpu/testdata/llama-3.1-8b-instruct-awq-int4/config.json", import.meta.url),
  );
  const context = { maxModelLen: 4096 };

  test("an AWQ checkpoint is served quantized, and --kv-cache-dtype fp8 halves its KV elements", () => {
    const settings = given(
      readGpuEngineSettings(
        { gpu: "h100-80gb", "model-config": awq, "kv-cache-dtype": "fp8" },
        context,
      ),
    );
    expect(settings.model.quantization).toBe("awq");
    expect(settings.model.kvCacheBytes).toBe(1);
    // auto: the model dtype, nothing carried.
    const auto = given(
      readGpuEngineSettings(
        { gpu: "h100-80gb", "model-config": awq, "kv-cache-dtype": "auto" },
        context,
      ),
    );
    expect(auto.model.kvCacheBytes).toBeUndefined();
  });

  test("a contradicting --quantization stops start-up with vLLM's text (a config error)", () => {
    let thrown: unknown;
    try {
      readGpuEngineSettings(
        { gpu: "h100-80gb", "model-config": awq, quantization: "gptq" },
        context,
      );
    } catch (error) {
      thrown = error;
    }
    // vllm/config/model.py _verify_quantization.
    expect(thrown).toBeInstanceOf(EngineConfigError);
    expect((thrown as Error).message).toBe(
      "Quantization method specified in the model config (awq) does not match the quantization method specified in the `quantization` argument (gptq).",
    );
    const marlin = readGpuEngineSettings(
      { gpu: "h100-80gb", "model-config": awq, quantization: "awq_marlin" },
      context,
    );
    expect(marlin?.model.quantization).toBe("awq");
  });

  test("--quantization fp8 on the built-in Llama 3.1 8B loads one-byte layer weights", () => {
    const settings = given(
      readGpuEngineSettings({ gpu: "h100-80gb", quantization: "fp8" }, context),
    );
    expect(settings.model.quantizedWeightBytes).toBe(1);
    expect(() => readGpuEngineSettings({ gpu: "h100-80gb", quantization: "awq" }, context)).toThrow(
      "--quantization awq: an unquantized checkpoint is sized only for fp8",
    );
    expect(() =>
      readGpuEngineSettings({ gpu: "h100-80gb", "kv-cache-dtype": "int4" }, context),
    ).toThrow("--kv-cache-dtype 'int4' is not one of");
    expect(() => readGpuEngineSettings({ "kv-cache-dtype": "fp8" }, context)).toThrow(
      "--kv-cache-dtype needs --gpu DEVICE",
    );
  });

  test("fp8_ds_mla sizes DeepSeek V3.2 and is refused for a model without sparse MLA", () => {
    const dir = mkdtempSync(join(tmpdir(), "servingkit-v32-"));
    const path = join(dir, "config.json");
    writeFileSync(path, JSON.stringify(deepseekV32Config));
    // flashmla_sparse.py: fp8_ds_mla (and fp8, its alias there) is FlashMLA Sparse's cache dtype.
    const settings = given(
      readGpuEngineSettings(
        {
          gpu: "h200",
          "model-config": path,
          "kv-cache-dtype": "fp8_ds_mla",
          "tensor-parallel-size": "8",
        },
        context,
      ),
    );
    expect(kvBytesPerToken(settings.model, 8)).toBe(61 * (656 + 132));
    let thrown: unknown;
    try {
      readGpuEngineSettings({ gpu: "h100-80gb", "kv-cache-dtype": "fp8_ds_mla" }, context);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(EngineConfigError);
    expect((thrown as Error).message).toContain("--kv-cache-dtype fp8_ds_mla");
  });
});

/** The settings a `--gpu` option set always yields (readGpuEngineSettings is undefined only without `gpu`). */
function given<T>(value: T | undefined): T {
  if (value === undefined) throw new Error("expected GPU engine settings");
  return value;
}

describe("--disable-hybrid-kv-cache-manager", () => {
  // vllm/v1/core/kv_cache_utils.py unify_hybrid_kv_cache_specs: with the flag, a model with
  // sliding and full layers (Gemma 3 1B) gets one full-attention KV cache group.
  const served = { maxModelLen: 32_768, modelConfig: gemma3_1bConfig };

  test("reaches the capacity and the scheduler: one group, fewer tokens, vLLM's warning", () => {
    const hybrid = engineStartup(given(readGpuEngineSettings({ gpu: "h100-80gb" }, served)));
    const settings = given(
      readGpuEngineSettings({ gpu: "h100-80gb", "disable-hybrid-kv-cache-manager": true }, served),
    );
    expect(settings.disableHybridKvCacheManager).toBe(true);
    const unified = engineStartup(settings);
    expect(unified.capacity.layout).toEqual({ fullGroups: 1, slidingGroups: 0, groupSize: 26 });
    expect(unified.core.kvLayout).toEqual(unified.capacity.layout);
    expect(hybrid.core.kvLayout).toBeUndefined();
    expect(unified.capacity.maxConcurrency).toBeLessThan(hybrid.capacity.maxConcurrency);
    expect(unified.capacity.logLines).toContain(hybridKvCacheDisabledWarning);
    expect(unified.capacity.maxModelLen).toBe(32_768);
  });
});

describe("sliding-window models and --disable-sliding-window", () => {
  // The served model is Mistral-7B-v0.1 (its config.json: sliding_window 4096 on every layer).
  const served = { maxModelLen: 32_768, modelConfig: mistral7bV01Config };

  test("a served sliding-window model runs with its window: capacity and scheduler slide", () => {
    const settings = readGpuEngineSettings({ gpu: "h100-80gb" }, served);
    expect(settings?.model.slidingWindow).toBe(4096);
    expect(settings?.maxModelLen).toBe(32_768);
    const startup = engineStartup(settings as NonNullable<typeof settings>);
    expect(startup.capacity.layout.window).toBe(4096);
    // SlidingWindowSpec: ceil(min(4095 + 8192, 32768) / 16) + 1 = 769 blocks per request.
    expect(startup.capacity.maxConcurrency).toBe(startup.capacity.numBlocks / 769);
    expect(startup.core.stepTime.kvLayout?.window).toBe(4096);
  });

  test("--disable-sliding-window serves full attention, max_model_len capped at the window", () => {
    // vllm/config/model.py _get_and_verify_max_len: with disable_sliding_window the derived
    // max_model_len is min(max_position_embeddings, sliding_window); the config's sliding_window
    // is then set to None.
    const settings = readGpuEngineSettings(
      { gpu: "h100-80gb", "disable-sliding-window": true },
      served,
    );
    expect(settings?.model.slidingWindow).toBeUndefined();
    expect(settings?.maxModelLen).toBe(4096);
    const startup = engineStartup(settings as NonNullable<typeof settings>);
    expect(startup.capacity.layout).toEqual({ fullGroups: 1, slidingGroups: 0, groupSize: 32 });
    expect(startup.capacity.logLines[2]).toMatch(
      /^Maximum concurrency for 4,096 tokens per request/,
    );
    expect(startup.capacity.maxConcurrency).toBe(startup.capacity.numBlocks / 256);
    // A model without a window is unchanged by the flag; the flag needs --gpu like the others.
    const llama = readGpuEngineSettings(
      { gpu: "h100-80gb", "disable-sliding-window": true },
      context,
    );
    expect(llama?.model).toBe(modelProfiles["llama-3.1-8b"]);
    expect(llama?.maxModelLen).toBe(4096);
    expect(() => readGpuEngineSettings({ "disable-sliding-window": true }, context)).toThrow(
      "--disable-sliding-window needs --gpu DEVICE",
    );
    expect(Object.keys(tgisGpuEngineOptions)).toContain("disable-sliding-window");
  });
});

describe("the speculative model's config.json", () => {
  const fixture = fileURLToPath(new URL("../gpu/testdata/eagle3-llama3.1-8b", import.meta.url));
  const eagle3 = (model: string) =>
    `{"method":"eagle3","model":${JSON.stringify(model)},"num_speculative_tokens":3}`;

  test("is read from a local directory into draftConfig, with no note", () => {
    // vllm/config/speculative.py builds the draft's ModelConfig from `model`;
    // vllm/transformers_utils/config.py get_config reads <dir>/config.json.
    const settings = read({ "speculative-config": eagle3(fixture) });
    expect(settings?.speculative?.draftConfig).toMatchObject({
      architectures: ["LlamaForCausalLMEagle3"],
      num_hidden_layers: 1,
      draft_vocab_size: 32_000,
    });
    expect(settings?.startupWarnings).toEqual([]);
  });

  test("a hub id is not read: no draftConfig, and the start-up note", () => {
    const settings = read({ "speculative-config": eagle3("yuhuili/EAGLE3-LLaMA3.1-Instruct-8B") });
    expect(settings?.speculative?.draftConfig).toBeUndefined();
    expect(settings?.startupWarnings).toEqual([
      drafterNotCountedNote("yuhuili/EAGLE3-LLaMA3.1-Instruct-8B"),
    ]);
    // n-gram has no model to read.
    expect(
      read({ "speculative-config": '{"method":"ngram","num_speculative_tokens":2}' })
        ?.startupWarnings,
    ).toEqual([]);
  });

  test("a path with no config.json, or neither a path nor a repository id, is vLLM's refusal", () => {
    // vllm/transformers_utils/config.py get_config: file_or_path_exists looks for
    // <path>/config.json when the path exists, else asks the hub, which refuses an id that fails
    // huggingface_hub's validate_repo_id; both raise "Invalid repository ID or local directory".
    const empty = mkdtempSync(join(tmpdir(), "servingkit-draft-"));
    const file = join(empty, "weights.bin");
    writeFileSync(file, "");
    for (const model of [empty, file, join(empty, "missing"), "./nowhere/draft"]) {
      let thrown: unknown;
      try {
        read({ "speculative-config": eagle3(model) });
      } catch (error) {
        thrown = error;
      }
      expect(thrown, model).toBeInstanceOf(EngineConfigError);
      expect((thrown as Error).message).toBe(invalidModelMessage(model));
      expect((thrown as Error).message).toMatch(
        /^Invalid repository ID or local directory specified: '.*'\.\nPlease verify the following requirements:\n1\. Provide a valid Hugging Face repository ID\.\n/,
      );
    }
  });

  test("a config.json the mock cannot use stops start-up naming the flag", () => {
    const dir = mkdtempSync(join(tmpdir(), "servingkit-draft-"));
    writeFileSync(join(dir, "config.json"), "{not json");
    expect(() => read({ "speculative-config": eagle3(dir) })).toThrow(
      /^--speculative-config: .*config\.json: not valid JSON/,
    );
    writeFileSync(join(dir, "config.json"), "[]");
    expect(() => read({ "speculative-config": eagle3(dir) })).toThrow("expected a JSON object");
    // A head of another KV shape needs KV cache groups of other page sizes (not modelled).
    writeFileSync(
      join(dir, "config.json"),
      JSON.stringify({ hidden_size: 4096, num_attention_heads: 32, num_key_value_heads: 4 }),
    );
    expect(() => read({ "speculative-config": eagle3(dir) })).toThrow(
      /^--speculative-config: draft model: 4 KV heads × head_dim 128 differ/,
    );
    writeFileSync(join(dir, "config.json"), JSON.stringify({ num_hidden_layers: 0 }));
    expect(() => read({ "speculative-config": eagle3(dir) })).toThrow(
      '--speculative-config: draft config.json: "num_hidden_layers" must be a positive integer',
    );
  });

  test("repository ids as huggingface_hub's validate_repo_id reads them", () => {
    // huggingface_hub/utils/_validators.py REPO_ID_REGEX and its "--", ".." and ".git" checks.
    for (const id of ["yuhuili/EAGLE3-LLaMA3.1-Instruct-8B", "gpt2", "a_b/c.d-e"])
      expect(isHubRepoId(id), id).toBe(true);
    for (const id of [
      "/abs/dir",
      "./rel",
      "a/b/c",
      "a--b/c",
      "a/b..c",
      "org/repo.git",
      "x".repeat(97),
    ])
      expect(isHubRepoId(id), id).toBe(false);
  });
});

describe("a separate draft model by vLLM release", () => {
  const draft = '{"method":"draft_model","model":"Qwen/Qwen3-0.6B","num_speculative_tokens":5}';
  const thrownBy = (run: () => unknown): unknown => {
    try {
      run();
    } catch (error) {
      return error;
    }
    return undefined;
  };

  test("0.11.0 to 0.14.x refuse it at start-up with vLLM's NotImplementedError text", () => {
    // vllm issue #26547 (0.11.0) and #31883 (0.13.0, vllm/config/speculative.py line 380 in
    // __post_init__): "Speculative decoding with draft model is not supported yet. ...".
    for (const version of ["0.11.0", "0.11.2", "v0.13.0", "0.14.1"]) {
      const thrown = thrownBy(() => read({ "speculative-config": draft, "vllm-version": version }));
      expect(thrown, version).toBeInstanceOf(EngineConfigError);
      expect((thrown as Error).message).toBe(draftModelNotSupportedMessage);
    }
    // Without a method, a model that is no EAGLE head, MTP or n-gram is a draft model too
    // (vllm issue #31883 gave no method).
    const noMethod = thrownBy(() =>
      readSpeculativeConfig(
        '{"model":"/Qwen/Qwen3-0___6B","num_speculative_tokens":5}',
        undefined,
        "0.13.0",
      ),
    );
    // The draft's ModelConfig comes first: a path that does not exist is get_config's refusal.
    expect((noMethod as Error).message).toBe(invalidModelMessage("/Qwen/Qwen3-0___6B"));
    expect(
      (
        thrownBy(() =>
          readSpeculativeConfig(
            '{"model":"Qwen/Qwen3-0.6B","num_speculative_tokens":5}',
            undefined,
            "0.13.0",
          ),
        ) as Error
      ).message,
    ).toBe(draftModelNotSupportedMessage);
  });

  test("from 0.15.0 (vllm PR #24322) and without a release: served from a local directory; before 0.11.0: not modelled", () => {
    // PR #24322 merged 2026-01-19, after the v0.14.0 branch (v0.14.0rc0 by 2026-01-11).
    const releases: Record<string, string>[] = [
      { "vllm-version": "0.15.0" },
      { "vllm-version": "0.18.0" },
      {},
    ];
    const local = JSON.stringify({
      method: "draft_model",
      model: fileURLToPath(new URL("../gpu/testdata/llama-3.2-1b-instruct", import.meta.url)),
      num_speculative_tokens: 5,
    });
    for (const values of releases) {
      expect(read({ "speculative-config": local, ...values })?.speculative?.method).toBe(
        "draft_model",
      );
      // A hub id is not read, and without its config.json the draft is not modelled.
      const hub = thrownBy(() => read({ "speculative-config": draft, ...values }));
      expect(hub).not.toBeInstanceOf(EngineConfigError);
      expect((hub as Error).message).toContain("is not modelled by the mock");
    }
    expect(modelsDraftModel("0.15.0")).toBe(true);
    expect(modelsDraftModel("0.14.1")).toBe(false);
    expect(modelsDraftModel(undefined)).toBe(true);
    const thrown = thrownBy(() => read({ "speculative-config": draft, "vllm-version": "0.10.2" }));
    expect(thrown).not.toBeInstanceOf(EngineConfigError);
    expect((thrown as Error).message).toContain("is not modelled by the mock");
    // The context's release wins over the option value.
    expect(
      thrownBy(() =>
        readGpuEngineSettings(
          { gpu: "h100-80gb", "speculative-config": draft, "vllm-version": "0.18.0" },
          { maxModelLen: 4096, vllmVersion: "0.12.0" },
        ),
      ),
    ).toBeInstanceOf(EngineConfigError);
  });

  test("refusesDraftModel reads vLLM's version forms", () => {
    expect(refusesDraftModel("0.11.0")).toBe(true);
    expect(refusesDraftModel("0.14.0rc1")).toBe(true);
    expect(refusesDraftModel("0.10.1.1")).toBe(false);
    expect(refusesDraftModel("0.15.0")).toBe(false);
    expect(refusesDraftModel("nightly")).toBe(false);
  });

  test("EAGLE, MTP and n-gram are still served in a release that refuses draft models", () => {
    expect(
      read({
        "speculative-config": '{"method":"ngram","num_speculative_tokens":2}',
        "vllm-version": "0.12.0",
      })?.speculative?.method,
    ).toBe("ngram");
    expect(
      read({
        "speculative-config":
          '{"model":"yuhuili/EAGLE3-LLaMA3.1-Instruct-8B","num_speculative_tokens":2}',
        "vllm-version": "0.12.0",
      })?.speculative?.method,
    ).toBe("eagle3");
  });
});

describe("MTP num_speculative_tokens against the MTP layers", () => {
  // vllm/config/speculative.py __post_init__: n_predict (hf_config_override: the target's
  // num_nextn_predict_layers); more tokens than layers must divide evenly ("Ensure divisibility
  // for MTP module reuse"), and more than one token logs that the MTP layer runs again.
  const dir = mkdtempSync(join(tmpdir(), "servingkit-mtp-layers-"));
  const configOf = (layers: number) => {
    const path = join(dir, `mimo-${layers}.json`);
    writeFileSync(
      path,
      JSON.stringify({
        architectures: ["MiMoForCausalLM"],
        model_type: "mimo",
        hidden_size: 4096,
        intermediate_size: 11_008,
        num_hidden_layers: 36,
        num_attention_heads: 32,
        num_key_value_heads: 8,
        vocab_size: 151_680,
        max_position_embeddings: 32_768,
        num_nextn_predict_layers: layers,
        torch_dtype: "bfloat16",
      }),
    );
    return path;
  };
  const mtp = (k: number) => `{"method":"mtp","num_speculative_tokens":${k}}`;

  test("more tokens than layers and no multiple: vLLM's ValueError", () => {
    let thrown: unknown;
    try {
      read({ "model-config": configOf(2), "speculative-config": mtp(3) });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(EngineConfigError);
    expect((thrown as Error).message).toBe(
      "num_speculative_tokens:3 must be divisible by n_predict=2",
    );
  });

  test("fewer tokens, as many, or a multiple: accepted, the layer reused with vLLM's warning", () => {
    // MiMo-7B has one MTP layer: k = 3 runs it three times.
    expect(
      read({ "model-config": configOf(1), "speculative-config": mtp(3) })?.startupWarnings,
    ).toEqual([mtpLayerReuseWarning]);
    expect(
      read({ "model-config": configOf(2), "speculative-config": mtp(4) })?.startupWarnings,
    ).toEqual([mtpLayerReuseWarning]);
    expect(
      read({ "model-config": configOf(2), "speculative-config": mtp(1) })?.startupWarnings,
    ).toEqual([]);
  });

  test("without the target's layer count: no check, the warning still logged", () => {
    // The built-in profile has no config.json: the mock's not-counted note, then vLLM's warning.
    const warnings = read({ "speculative-config": mtp(2) })?.startupWarnings ?? [];
    expect(warnings).toContain(mtpLayerReuseWarning);
    expect(mtpTokensError(3, undefined)).toBeUndefined();
    expect(mtpTokensError(3, 0)).toBeUndefined();
    expect(mtpTokensError(6, 3)).toBeUndefined();
    expect(mtpTokensError(2, 3)).toBeUndefined();
  });
});

describe("MoE, MLA and hybrid targets read from config.json", () => {
  const dir = mkdtempSync(join(tmpdir(), "servingkit-moe-hybrid-"));
  const pathOf = (name: string, config: object) => {
    const path = join(dir, `${name}.json`);
    writeFileSync(path, JSON.stringify(config));
    return path;
  };

  test("DeepSeek-V3 with --speculative-config mtp: its MTP layer counted, no not-counted note", () => {
    const settings = read({
      "model-config": pathOf("deepseek-v3", deepseekV3Config),
      "speculative-config": '{"method":"mtp","num_speculative_tokens":1}',
      "tensor-parallel-size": "8",
      gpu: "h200",
    });
    expect(settings?.model.mla?.kvLoraRank).toBe(512);
    expect(settings?.model.moe?.experts).toBe(256);
    expect(settings?.startupWarnings).toEqual([]);
  });

  test("hybrid Mamba models run without prefix caching unless asked", () => {
    // vllm/engine/arg_utils.py: default_prefix_caching = ... and not model_config.is_hybrid
    // (opt-in); before 0.15.0 models/config.py MambaModelConfig turned it off even when asked.
    for (const [name, config] of [
      ["granite-4.0-h-small", granite4HSmallConfig],
      ["qwen3-next", qwen3Next80bA3bConfig],
    ] as const) {
      const settings = read({ "model-config": pathOf(name, config) });
      expect(settings?.enablePrefixCaching, name).toBe(false);
      expect(settings?.mambaCacheMode, name).toBeUndefined();
      expect(settings?.startupWarnings, name).toEqual([]);
    }
    expect(read({})?.enablePrefixCaching).toBe(true);
  });

  test("a runtime without hybrid prefix caching (TGIS) never caches a hybrid's prefixes", () => {
    // IBM TGIS text_generation_server/models/__init__.py get_model: flash and paged classes for
    // Llama-family, Falcon, GPT-NeoX and SantaCoder only; a Mamba hybrid goes through Hugging Face
    // AutoModelForCausalLM with per-batch caches, nothing shared between requests.
    const tgis = { ...context, hybridPrefixCaching: false };
    for (const [name, config] of [
      ["granite-4.0-h-small", granite4HSmallConfig],
      ["qwen3-next", qwen3Next80bA3bConfig],
    ] as const) {
      const settings = readGpuEngineSettings(
        { gpu: "h100-80gb", "model-config": pathOf(name, config), "enable-prefix-caching": true },
        tgis,
      );
      expect(settings?.enablePrefixCaching, name).toBe(false);
      expect(settings?.mambaCacheMode, name).toBeUndefined();
      // No vLLM line about Mamba cache modes.
      expect(settings?.startupWarnings, name).toEqual([]);
    }
    // A plain transformer keeps its prefix caching there.
    expect(readGpuEngineSettings({ gpu: "h100-80gb" }, tgis)?.enablePrefixCaching).toBe(true);
  });

  describe("--enable-prefix-caching and --mamba-cache-mode on a hybrid (vLLM 0.15.0 on)", () => {
    const graniteValues = { "model-config": pathOf("granite", granite4HSmallConfig) };
    const qwenValues = { "model-config": pathOf("qwen3-next", qwen3Next80bA3bConfig) };
    const on = { "enable-prefix-caching": true } as const;

    test("vLLM's default mode: all for Granite 4.0 H, align for Qwen3-Next, with its warning", () => {
      // models/config.py MambaModelConfig.verify_and_update_config: "all" if the model class
      // declares SupportsMambaPrefixCaching (granitemoehybrid.py GraniteMoeHybridForCausalLM
      // does; qwen3_next.py Qwen3NextForCausalLM does not) else "align", logged with
      // "Mamba cache mode is set to '%s' for %s by default when prefix caching is enabled".
      const granite = read({ ...graniteValues, ...on });
      expect(granite?.enablePrefixCaching).toBe(true);
      expect(granite?.mambaCacheMode).toBe("all");
      expect(granite?.startupWarnings).toEqual([
        "Mamba cache mode is set to 'all' for GraniteMoeHybridForCausalLM by default when prefix caching is enabled",
      ]);
      const qwen = read({ ...qwenValues, ...on });
      expect(qwen?.mambaCacheMode).toBe("align");
      expect(qwen?.startupWarnings).toEqual([
        "Mamba cache mode is set to 'align' for Qwen3NextForCausalLM by default when prefix caching is enabled",
      ]);
      // A real vLLM log shows the same line for a GDN hybrid (Qwen3_5MoeForConditionalGeneration).
    });

    test("speculative decoding makes a SupportsMambaPrefixCaching model align", () => {
      // MambaModelConfig: supports_mamba_prefix_caching and speculative_config → "align", "Mamba
      // cache mode is set to 'align' for %s by default when prefix caching and speculative
      // decoding are enabled" (the newest source read; the release that added it is not pinned).
      const granite = read({
        ...graniteValues,
        ...on,
        "speculative-config": '{"method":"ngram","num_speculative_tokens":2}',
      });
      expect(granite?.mambaCacheMode).toBe("align");
      expect(granite?.startupWarnings).toContain(
        "Mamba cache mode is set to 'align' for GraniteMoeHybridForCausalLM by default when prefix caching and speculative decoding are enabled",
      );
    });

    test("the flag's mode is kept, 'all' falls back to align without support, and needs caching", () => {
      expect(read({ ...graniteValues, ...on, "mamba-cache-mode": "align" })?.mambaCacheMode).toBe(
        "align",
      );
      expect(
        read({ ...graniteValues, ...on, "mamba-cache-mode": "align" })?.startupWarnings,
      ).toEqual([]);
      // "none" with caching on is vLLM's "left at none": its default choice.
      expect(read({ ...qwenValues, ...on, "mamba-cache-mode": "none" })?.mambaCacheMode).toBe(
        "align",
      );
      const qwenAll = read({ ...qwenValues, ...on, "mamba-cache-mode": "all" });
      expect(qwenAll?.mambaCacheMode).toBe("align");
      expect(qwenAll?.startupWarnings).toEqual([
        "Hybrid or mamba-based model detected without support for prefix caching with Mamba cache 'all' mode: falling back to 'align' mode.",
      ]);
      // Without --enable-prefix-caching a mode becomes none, with vLLM's warning.
      const uncached = read({ ...graniteValues, "mamba-cache-mode": "align" });
      expect(uncached?.enablePrefixCaching).toBe(false);
      expect(uncached?.mambaCacheMode).toBeUndefined();
      expect(uncached?.startupWarnings).toEqual([
        "Mamba cache mode is set to 'none' when prefix caching is disabled",
      ]);
    });

    test("0.11.1 to 0.14.x: Mamba2 hybrids cache in one mode when asked (PR #25752)", () => {
      // models/config.py MambaModelConfig after PR #25752 ("Mamba2 Automatic Prefix Caching",
      // merged after v0.11.0, whose MambaModelConfig still turns caching off for every hybrid):
      // with enable_prefix_caching a model that supports Mamba prefix caching keeps it (info
      // line "Warning: Prefix caching is currently enabled. Its support for Mamba layers is
      // experimental. ...", no mode), another turns it off with "Hybrid or mamba-based model
      // detected without support for prefix caching: disabling."; HybridAttentionMambaModelConfig
      // sizes the block as a multiple of lcm(mamba_chunk_size, 16), our mode "all".
      for (const release of ["0.11.1", "0.12.0", "0.14.1"]) {
        const granite = read({ ...graniteValues, ...on, "vllm-version": release });
        expect(granite?.enablePrefixCaching, release).toBe(true);
        expect(granite?.mambaCacheMode, release).toBe("all");
        expect(granite?.startupWarnings, release).toEqual([]);
        const qwen = read({ ...qwenValues, ...on, "vllm-version": release });
        expect(qwen?.enablePrefixCaching, release).toBe(false);
        expect(qwen?.startupWarnings, release).toEqual([
          "Hybrid or mamba-based model detected without support for prefix caching: disabling.",
        ]);
        // Without the flag: uncached and nothing logged about it.
        const plain = read({ ...graniteValues, "vllm-version": release });
        expect(plain?.enablePrefixCaching, release).toBe(false);
        expect(plain?.startupWarnings, release).toEqual([]);
      }
      // 0.11.0 (its config.py turns caching off for every hybrid) stays uncached.
      expect(read({ ...graniteValues, ...on, "vllm-version": "0.11.0" })?.enablePrefixCaching).toBe(
        false,
      );
      expect(usesMamba2PrefixCaching("0.11.0")).toBe(false);
      expect(usesMamba2PrefixCaching("0.15.0")).toBe(false);
      expect(usesMamba2PrefixCaching(undefined)).toBe(false);
    });

    test("0.11.1 to 0.14.x start-up lines: the experimental line without a mode, the 768 block", () => {
      // The same config lines in order: experimental line, then "Setting attention block size
      // to %d tokens" (granite-4.0-h-small: lcm(256, 16) multiple = 768, as mode "all" later);
      // uncached, no "disabling prefix caching since it is not yet supported" line (that was the
      // text before PR #25752).
      const cached = engineStartup(
        given(read({ ...graniteValues, ...on, gpu: "h100-80gb", "vllm-version": "0.14.1" })),
      );
      expect(cached.capacity.logLines[0]).toBe(
        "Warning: Prefix caching is currently enabled. Its support for Mamba layers is experimental. Please report any issues you may observe.",
      );
      expect(cached.capacity.blockSize).toBe(768);
      const plain = engineStartup(
        given(read({ ...graniteValues, gpu: "h100-80gb", "vllm-version": "0.14.1" })),
      );
      expect(plain.capacity.logLines.some((l) => l.startsWith("Hybrid or mamba-based"))).toBe(
        false,
      );
      const old = engineStartup(
        given(read({ ...graniteValues, gpu: "h100-80gb", "vllm-version": "0.11.0" })),
      );
      expect(old.capacity.logLines[0]).toBe(
        "Hybrid or mamba-based model detected: disabling prefix caching since it is not yet supported.",
      );
    });

    test("speculative decoding keeps mode all before 0.21.0 (PR #40454)", () => {
      // PR #40454 ("Default to 'align' mamba cache mode ... when speculative decoding is
      // enabled") merged 2026-04-21, the week PR #40465 moved the CUDA graph profiling line to
      // "since v0.21.0": after the v0.20.0 cut. Before it the default choice ignores drafting.
      const spec = { "speculative-config": '{"method":"ngram","num_speculative_tokens":2}' };
      const at = (release: string) =>
        read({ ...graniteValues, ...on, ...spec, "vllm-version": release });
      expect(at("0.20.0")?.mambaCacheMode).toBe("all");
      expect(at("0.20.0")?.startupWarnings).toContain(
        "Mamba cache mode is set to 'all' for GraniteMoeHybridForCausalLM by default when prefix caching is enabled",
      );
      expect(at("0.21.0")?.mambaCacheMode).toBe("align");
      expect(alignsMambaWithSpeculative(undefined)).toBe(true);
    });

    test("argparse: an unknown mode, and the flag before 0.15.0", () => {
      // vllm/config/cache.py MambaCacheMode = Literal["all", "align", "none"] (argparse choices).
      expect(() => read({ ...graniteValues, ...on, "mamba-cache-mode": "some" })).toThrow(
        "argument --mamba-cache-mode: invalid choice: 'some' (choose from 'all', 'align', 'none')",
      );
      // PR #30877 (merged 2026-01-23, after the v0.14.0 branch cut) added the flag.
      expect(() =>
        read({ ...graniteValues, "mamba-cache-mode": "align", "vllm-version": "0.14.1" }),
      ).toThrow("unrecognized arguments: --mamba-cache-mode");
      // And before it --enable-prefix-caching leaves a hybrid without Mamba2 prefix caching
      // uncached (PR #25752's rules, below).
      const old = read({ ...qwenValues, ...on, "vllm-version": "0.14.1" });
      expect(old?.enablePrefixCaching).toBe(false);
      expect(old?.mambaCacheMode).toBeUndefined();
      expect(read({ ...graniteValues, ...on, "vllm-version": "0.15.0" })?.mambaCacheMode).toBe(
        "all",
      );
      // Dense models: the flag is accepted and changes nothing.
      expect(read({ "mamba-cache-mode": "align" })?.mambaCacheMode).toBeUndefined();
      expect(modelsMambaCacheMode(undefined)).toBe(true);
    });
  });
});

describe("async scheduling by release", () => {
  test("0.20.0 on: a pooling model's default is synchronous; the flag still turns it on", () => {
    // vllm/config/vllm.py (PR #39592, v0.20.0 release notes): with async_scheduling None and
    // model_config.runner_type == "pooling", async_scheduling = False (a debug line only);
    // an explicit --async-scheduling takes the other branch and stays on.
    const pooling = (release: string, values = {}) =>
      readGpuEngineSettings(
        { gpu: "h100-80gb", ...values },
        { maxModelLen: 4096, asyncScheduling: true, pooling: true, vllmVersion: release },
      );
    expect(pooling("0.20.0")?.asyncScheduling).toBe(false);
    expect(pooling("0.20.0")?.startupWarnings).toEqual([]);
    expect(pooling("0.21.0")?.asyncScheduling).toBe(false);
    expect(pooling("0.19.1")?.asyncScheduling).toBe(true);
    expect(pooling("0.20.0", { "async-scheduling": true })?.asyncScheduling).toBe(true);
    expect(poolingSchedulesSynchronously("0.19.0")).toBe(false);
    // Generative models keep the default.
    const generate = readGpuEngineSettings(
      { gpu: "h100-80gb" },
      { maxModelLen: 4096, asyncScheduling: true, vllmVersion: "0.20.0" },
    );
    expect(generate?.asyncScheduling).toBe(true);
  });

  test("ngram turns async scheduling off in every release (PR #29184 kept it for ngram_gpu only)", () => {
    // vllm/config/vllm.py: the default stays on only for EagleModelTypes and NgramGPUTypes
    // ("ngram_gpu", the GPU proposer PR #29184 added); "ngram" still logs the warning.
    for (const release of ["0.14.0", "0.18.0", "0.20.0", "0.21.0"]) {
      const settings = readGpuEngineSettings(
        { gpu: "h100-80gb", "speculative-config": '{"method":"ngram","num_speculative_tokens":2}' },
        { maxModelLen: 4096, asyncScheduling: true, vllmVersion: release },
      );
      expect(settings?.asyncScheduling, release).toBe(false);
      expect(settings?.startupWarnings, release).toContain(
        "Async scheduling not supported with ngram-based speculative decoding and will be disabled.",
      );
    }
  });

  test("an explicit --async-scheduling with ngram stops start-up with vLLM's ValueError by release", () => {
    // vllm/config/vllm.py (PR #24799, 2025-10): with async scheduling asked for, a method outside
    // the allowed list raises "Currently, async scheduling is only supported with ... kind of
    // speculative decoding"; the list as worded by release: EAGLE/MTP (0.15.0 still warns for
    // draft_model), + Draft Model (a vLLM 0.17.1 start-up), + NGram GPU (a vLLM 0.22.0 start-up).
    const start = (release: string | undefined) => () =>
      readGpuEngineSettings(
        {
          gpu: "h100-80gb",
          "async-scheduling": true,
          "speculative-config": '{"method":"ngram","num_speculative_tokens":2}',
        },
        { maxModelLen: 4096, asyncScheduling: true, ...(release ? { vllmVersion: release } : {}) },
      );
    const lead = "Currently, async scheduling is only supported with ";
    expect(start("0.12.0")).toThrow(
      new EngineConfigError(`${lead}EAGLE/MTP kind of speculative decoding.`),
    );
    expect(start("0.15.0")).toThrow(`${lead}EAGLE/MTP kind of speculative decoding.`);
    expect(start("0.17.1")).toThrow(`${lead}EAGLE/MTP/Draft Model kind of speculative decoding.`);
    for (const release of ["0.19.1", "0.21.0", undefined]) {
      expect(start(release), release).toThrow(
        `${lead}EAGLE/MTP/Draft Model/NGram GPU kind of speculative decoding`,
      );
    }
    expect(() => start("0.17.1")()).toThrow(EngineConfigError);
    // Before PR #24799 the mock keeps the warning and turns async scheduling off (not modelled).
    expect(start("0.11.0")()?.asyncScheduling).toBe(false);
    expect(refusesAsyncNgram("0.11.0")).toBe(false);
    expect(refusesAsyncNgram("0.11.1")).toBe(true);
    expect(asyncSpeculativeRefusal(undefined)).toContain("NGram GPU");
    // EAGLE keeps the explicit flag.
    const eagle = readGpuEngineSettings(
      {
        gpu: "h100-80gb",
        "async-scheduling": true,
        "speculative-config":
          '{"method":"eagle3","model":"yuhuili/EAGLE3-LLaMA3.1-Instruct-8B","num_speculative_tokens":2}',
      },
      { maxModelLen: 4096, vllmVersion: "0.21.0" },
    );
    expect(eagle?.asyncScheduling).toBe(true);
  });
});

describe("a separate draft model from vLLM 0.15.0 (method draft_model)", () => {
  const testdata = (name: string) =>
    fileURLToPath(new URL(`../gpu/testdata/${name}`, import.meta.url));
  const llama1b = testdata("llama-3.2-1b-instruct");
  const qwen05b = testdata("qwen2.5-0.5b-instruct");
  const spec = (fields: Record<string, unknown>) =>
    JSON.stringify({ method: "draft_model", num_speculative_tokens: 3, ...fields });
  const at = (values: Record<string, string>, maxModelLen = 8192, release = "0.15.0") =>
    readGpuEngineSettings(
      { gpu: "h100-80gb", ...values },
      { maxModelLen, vllmVersion: release, asyncScheduling: true },
    );
  const thrownBy = (run: () => unknown): Error | undefined => {
    try {
      run();
    } catch (error) {
      return error as Error;
    }
    return undefined;
  };

  test("Llama 3.2 1B drafting for Llama 3.1 8B on one H100: its weights and KV in the start-up lines", () => {
    // Published config.json of meta-llama/Llama-3.2-1B-Instruct (testdata): 16 layers, 8 KV heads
    // of 64, vocabulary 128,256 like Llama 3.1 8B, tied embeddings: 1,235,814,400 parameters.
    const settings = at({ "speculative-config": spec({ model: llama1b }) });
    expect(settings?.speculative).toMatchObject({ method: "draft_model", model: llama1b });
    const startup = engineStartup(settings as never);
    // draft_model.py: the draft shares neither embeddings nor LM head: all 2,471,628,800 B load
    // beside the target (gpu_model_runner load_model measures both before sizing the cache).
    expect(startup.drafter).toEqual({
      weightBytes: 2_471_628_800,
      kvLayers: 16,
      sharesEmbeddings: false,
      sharesLmHead: false,
      passWeightBytes: 2_471_628_800,
      kvBytesPerToken: 32_768,
    });
    // One KV cache group for both models (vllm PR #25101, UniformTypeKVCacheSpecs): 128 KiB of the
    // target plus 32 KiB of the draft per token. Formula outputs (no published vLLM log found):
    // 446,848 tokens and 54.55x without the draft.
    expect(startup.capacity.kvBytesPerToken).toBe(163_840);
    expect(startup.capacity.logLines.slice(0, 3)).toEqual([
      "Available KV cache memory: 52.25 GiB",
      "GPU KV cache size: 342,400 tokens",
      "Maximum concurrency for 8,192 tokens per request: 41.80x",
    ]);
    // vllm/config/vllm.py of 0.15.0: draft_model is not an EAGLE-type method, so the default
    // async scheduling is turned off with vLLM's warning.
    expect(settings?.asyncScheduling).toBe(false);
    expect(settings?.startupWarnings).toEqual([
      "Async scheduling not supported with draft_model-based speculative decoding and will be disabled.",
    ]);
    // k = 3 passes of the whole draft per step at the step model's bandwidth: 3 x 0.90 ms.
    expect(startup.core.speculative?.draftTime).toBeCloseTo(0.0027, 4);
  });

  test("simulated decode with the draft: faster than none, slower than free n-gram drafts", () => {
    // One request at a time (vllm bench serve --max-concurrency 1), 512 in, 256 out, the same
    // acceptance (0.7 per token) for both methods: the draft's k = 3 passes (0.90 ms each) are
    // what separates them, priced from each step's load (speculative.ts proposeTime: the first
    // pass over the step's tokens, then k - 1 one-token passes, as vllm eagle.py propose, which
    // draft_model.py inherits). Formula outputs: TPOT 6.51 ms off, 3.67 draft model, 2.59 n-gram.
    const tpot = (speculativeConfig?: string) => {
      const values: Record<string, string> = { "speculative-acceptance-rate": "0.7" };
      if (speculativeConfig !== undefined) values["speculative-config"] = speculativeConfig;
      else delete values["speculative-acceptance-rate"];
      const { core } = engineStartup(at(values) as never);
      const run = simulate(randomDataset({ count: 16, inputLen: 512, outputLen: 256, seed: 3 }), {
        ...core,
        maxConcurrency: 1,
        recordSteps: false,
      });
      const r = run.requests;
      return (
        r.reduce((sum, x) => sum + ((x.e2e ?? 0) - (x.ttft ?? 0)) / (x.outputTokens - 1), 0) /
        r.length
      );
    };
    const off = tpot();
    const draft = tpot(spec({ model: llama1b }));
    const startup = engineStartup(at({ "speculative-config": spec({ model: llama1b }) }) as never);
    expect(startup.core.speculative?.drafterStepTime).toBeDefined();
    const ngram = tpot('{"method":"ngram","num_speculative_tokens":3}');
    expect(off * 1000).toBeCloseTo(6.51, 1);
    expect(draft * 1000).toBeCloseTo(3.67, 2);
    expect(ngram).toBeLessThan(draft);
  });

  test("0.15.x refuses an explicit --async-scheduling with a draft model (EAGLE/MTP only)", () => {
    // vllm/config/vllm.py of 0.15.0: the explicit flag with a method outside EagleModelTypes is
    // the ValueError "Currently, async scheduling is only supported with EAGLE/MTP kind of
    // speculative decoding." (PR #24799's list; "Draft Model" joined it later, quoted from 0.17.1).
    const withFlag = (release: string) => () =>
      readGpuEngineSettings(
        {
          gpu: "h100-80gb",
          "speculative-config": spec({ model: llama1b }),
          "async-scheduling": true,
        },
        { maxModelLen: 8192, vllmVersion: release, asyncScheduling: true },
      );
    expect(withFlag("0.15.0")).toThrow(
      new EngineConfigError(
        "Currently, async scheduling is only supported with EAGLE/MTP kind of speculative decoding.",
      ),
    );
    expect(withFlag("0.15.1")).toThrow(EngineConfigError);
    // 0.16.0 on (the cut is not pinned closer than the 0.17.1 wording): accepted as before.
    expect(withFlag("0.17.1")).not.toThrow();
    expect(refusesAsyncDraftModel(undefined)).toBe(false);
  });

  test("a model with no method is a draft model too; vLLM's releases decide", () => {
    // vllm/config/speculative.py __post_init__: no method and a model that is no n-gram, EAGLE
    // or MTP name -> "draft_model" (0.11.0-0.14.x then refuse it, draftModelNotSupportedMessage).
    const noMethod = JSON.stringify({ model: llama1b, num_speculative_tokens: 3 });
    expect(at({ "speculative-config": noMethod })?.speculative?.method).toBe("draft_model");
    expect(thrownBy(() => at({ "speculative-config": noMethod }, 8192, "0.14.1"))?.message).toBe(
      draftModelNotSupportedMessage,
    );
    expect(at({ "speculative-config": noMethod }, 8192, "0.18.0")?.speculative?.method).toBe(
      "draft_model",
    );
  });

  test("Qwen2.5-0.5B cannot draft for Qwen2.5-7B: vLLM's vocabulary check", () => {
    // verify_equal_vocab_size_if_draft_model (vllm/config/speculative.py, PR #24322): Qwen2.5-7B
    // pads its vocabulary to 152,064; the 0.5B model has 151,936 (published config.json files).
    const thrown = thrownBy(() =>
      at(
        {
          "model-config": join(testdata("qwen2.5-7b-instruct"), "config.json"),
          "speculative-config": spec({ model: qwen05b }),
        },
        32_768,
      ),
    );
    expect(thrown).toBeInstanceOf(EngineConfigError);
    expect(thrown?.message).toBe(
      "Target and draft model should have the same vocabulary size. Target model vocab_size=152064. Draft model vocab_size=151936. Using models with different tokenizers can cause out-of-bounds errors during speculative decoding.",
    );
  });

  test("Qwen2.5-0.5B drafting for itself-sized vocabularies is served (Qwen2.5-0.5B twice)", () => {
    const settings = at(
      {
        "model-config": join(qwen05b, "config.json"),
        "speculative-config": spec({ model: qwen05b }),
      },
      32_768,
    );
    const startup = engineStartup(settings as never);
    // 24 layers x 2 KV heads x 64 x 2 (K, V) x 2 B = 12,288 B per token for each model.
    expect(startup.drafter?.kvBytesPerToken).toBe(12_288);
    expect(startup.capacity.kvBytesPerToken).toBe(24_576);
  });

  test("draft_tensor_parallel_size, tensor_parallel_size and max_model_len as vLLM 0.15.0 checks them", () => {
    const seventy = { "model-config": "llama-3.1-70b", "tensor-parallel-size": "2" };
    // _verify_and_get_draft_tp: 1 or the target's.
    expect(
      thrownBy(() =>
        at({
          ...seventy,
          "speculative-config": spec({ model: llama1b, draft_tensor_parallel_size: 4 }),
        }),
      )?.message,
    ).toBe(
      "speculative_draft_tensor_parallel_size=4 cannot be other value than 1 or target model tensor_parallel_size",
    );
    // DraftModelProposer._raise_if_draft_tp_mismatch (vllm/v1/spec_decode/draft_model.py).
    expect(
      thrownBy(() =>
        at({
          ...seventy,
          "speculative-config": spec({ model: llama1b, draft_tensor_parallel_size: 1 }),
        }),
      )?.message,
    ).toBe(
      "Currently, 'draft_tensor_parallel_size' and 'tensor_parallel_size' must be the same. Got 1 and 2. Please pass 'draft_tensor_parallel_size' in the speculative_config.",
    );
    // The draft's TP defaults to the target's: the 70B on two H100s with the 1B split in two.
    const served = at({ ...seventy, "speculative-config": spec({ model: llama1b }) });
    expect(engineStartup(served as never).drafter?.weightBytes).toBe(1_235_814_400);
    // _verify_args: the target's flag name inside the speculative config.
    const withTp = spec({ model: llama1b, tensor_parallel_size: 2 });
    expect(thrownBy(() => at({ ...seventy, "speculative-config": withTp }))?.message).toBe(
      speculativeTensorParallelMessage,
    );
    // _maybe_override_draft_max_model_len: not above the draft's own nor the target's.
    expect(
      thrownBy(() => at({ "speculative-config": spec({ model: llama1b, max_model_len: 16_384 }) }))
        ?.message,
    ).toBe("speculative_max_model_len=16384 cannot be larger than target_max_model_len=8192");
    expect(
      thrownBy(() =>
        at(
          {
            "model-config": join(qwen05b, "config.json"),
            "speculative-config": spec({ model: qwen05b, max_model_len: 40_000 }),
          },
          32_768,
        ),
      )?.message,
    ).toBe("speculative_max_model_len=40000 cannot be larger than draft_max_model_len=32768");
    expect(
      at({ "speculative-config": spec({ model: llama1b, max_model_len: 4096 }) })?.speculative
        ?.draftMaxModelLen,
    ).toBe(4096);
  });

  test("a draft path without config.json is get_config's refusal; a hub id is not modelled", () => {
    expect(
      thrownBy(() => at({ "speculative-config": spec({ model: "/no/such/dir" }) }))?.message,
    ).toBe(invalidModelMessage("/no/such/dir"));
    const hub = thrownBy(() =>
      at({ "speculative-config": spec({ model: "meta-llama/Llama-3.2-1B-Instruct" }) }),
    );
    expect(hub).not.toBeInstanceOf(EngineConfigError);
    expect(hub?.message).toBe(
      "--speculative-config: a draft model on the hub ('meta-llama/Llama-3.2-1B-Instruct') is not modelled by the mock: its config.json cannot be read offline (give a local directory holding it)",
    );
  });
});
