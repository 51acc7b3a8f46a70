import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { deviceProfile } from "./device-profiles.js";
import { kvCapacity } from "./kv-capacity.js";
import {
  activeParameterCount,
  kvBytesPerToken,
  modelProfile,
  modelProfileFromConfig,
  parameterCount,
  weightBytesPerGpu,
  withServingPrecision,
} from "./model-profiles.js";
import {
  groupQuantizedBytes,
  kvCacheElementBytes,
  quantizationMismatch,
  readWeightQuantization,
  servedQuantization,
} from "./quantization.js";
import { createStepTimeModel } from "./step-time.js";

const GiB = 1024 ** 3;

/** A testdata config.json, parsed. */
function config(name: string): Record<string, unknown> {
  return JSON.parse(
    readFileSync(new URL(`./testdata/${name}/config.json`, import.meta.url), "utf8"),
  ) as Record<string, unknown>;
}

describe("weight quantization from config.json", () => {
  it("sizes AWQ int4 group 128 with zero points as 0.5 byte plus the group's fp16 scale and 4-bit zero", () => {
    // hugging-quants/Meta-Llama-3.1-8B-Instruct-AWQ-INT4 config.json: bits 4, group_size 128,
    // zero_point true; AutoAWQ stores qweight (int4 packed), qzeros (int4 packed) and fp16 scales.
    const model = modelProfileFromConfig(config("llama-3.1-8b-instruct-awq-int4"));
    expect(model.quantization).toBe("awq");
    expect(model.quantizedWeightBytes).toBe(0.5 + 2.5 / 128);
    expect(parameterCount(model)).toBe(8_030_261_248);
    // vLLM 0.5.4 log (kaitchup/Meta-Llama-3.1-8B-Instruct-autoround-gptq-4bit-asym, the same
    // 4-bit group-128 layout with zero points): "Loading model weights took 5.3767 GB" (GiB).
    // Ours 5.334: embeddings and LM head in fp16 (2.10e9 B) + 6.98e9 layer weights × 0.5195.
    const gib = weightBytesPerGpu(model) / GiB;
    expect(gib).toBeCloseTo(5.3345, 3);
    expect(Math.abs(gib / 5.3767 - 1)).toBeLessThan(0.01);
  });

  it("sizes GPTQ like AWQ (GPTQ always stores qzeros) and group_size -1 as the weights alone", () => {
    const gptq = { quantization_config: { quant_method: "gptq", bits: 4, group_size: 128 } };
    expect(readWeightQuantization(gptq)?.layerBytes).toBe(0.5 + 2.5 / 128);
    const perRow = { quantization_config: { quant_method: "gptq", bits: 8, group_size: -1 } };
    expect(readWeightQuantization(perRow)?.layerBytes).toBe(1);
    // AutoAWQ zero_point false: scales only.
    expect(groupQuantizedBytes(4, 128, false)).toBe(0.5 + 2 / 128);
  });

  it("sizes compressed-tensors w4a16 (symmetric, no zero point) and per-channel FP8 / int8", () => {
    // RedHatAI/Meta-Llama-3.1-8B-Instruct-quantized.w4a16: num_bits 4, strategy group,
    // group_size 128, symmetric true, ignore lm_head.
    const model = modelProfileFromConfig(config("llama-3.1-8b-instruct-w4a16"));
    expect(model.quantization).toBe("compressed-tensors");
    expect(model.quantizedWeightBytes).toBe(0.515625);
    expect(weightBytesPerGpu(model) / GiB).toBeCloseTo(5.309, 3);
    // RedHatAI *-FP8-dynamic / *-quantized.w8a8: 8 bits per channel, scales not counted.
    const fp8 = {
      quantization_config: {
        quant_method: "compressed-tensors",
        config_groups: {
          group_0: { weights: { num_bits: 8, type: "float", strategy: "channel" } },
        },
      },
    };
    expect(readWeightQuantization(fp8)?.layerBytes).toBe(1);
  });

  it("sizes bitsandbytes 4-bit with its block-64 absmax, double-quantized or not", () => {
    const nf4 = { quantization_config: { quant_method: "bitsandbytes", load_in_4bit: true } };
    expect(readWeightQuantization(nf4)?.layerBytes).toBe(0.5625);
    const double = {
      quantization_config: {
        quant_method: "bitsandbytes",
        load_in_4bit: true,
        bnb_4bit_use_double_quant: true,
      },
    };
    expect(readWeightQuantization(double)?.layerBytes).toBeCloseTo(0.5159, 4);
    const int8 = { quantization_config: { quant_method: "bitsandbytes", load_in_8bit: true } };
    expect(readWeightQuantization(int8)?.layerBytes).toBe(1);
  });

  it("sizes gpt-oss-20b: MXFP4 experts, bf16 attention, embeddings and LM head", () => {
    // openai/gpt-oss-20b config.json: quant_method mxfp4, modules_to_not_convert self_attn,
    // router, embed_tokens, lm_head. The model card: 20.91B parameters, 3.61B active (without
    // the embedding).
    const model = modelProfileFromConfig(config("gpt-oss-20b"));
    expect(model.quantizedWeightBytes).toBeUndefined();
    expect(model.quantizedExpertBytes).toBe(0.53125);
    expect(parameterCount(model) / 1e9).toBeCloseTo(20.91, 2);
    const embedding = model.vocabSize * model.hiddenSize;
    expect((activeParameterCount(model) - embedding) / 1e9).toBeCloseTo(3.61, 2);
    // Derived: 19.11e9 expert weights × 0.53125 + 1.80e9 others × 2 = 13.75e9 B (12.80 GiB),
    // the size of the checkpoint's safetensors (~13.8 GB).
    expect(weightBytesPerGpu(model) / GiB).toBeCloseTo(12.8, 1);
  });

  it("leaves an unknown method and an unquantized config alone", () => {
    expect(readWeightQuantization({})).toBeUndefined();
    expect(readWeightQuantization({ quantization_config: { quant_method: "gguf" } })).toBe(
      undefined,
    );
    expect(() =>
      readWeightQuantization({ quantization_config: { quant_method: "awq", bits: "4" } }),
    ).toThrow('"bits" must be a positive integer');
  });
});

describe("--quantization", () => {
  const awq = config("llama-3.1-8b-instruct-awq-int4");

  it("refuses a method that contradicts the checkpoint with vLLM's text", () => {
    // vllm/config/model.py _verify_quantization.
    expect(quantizationMismatch(awq, "gptq")).toBe(
      "Quantization method specified in the model config (awq) does not match the quantization method specified in the `quantization` argument (gptq).",
    );
    expect(quantizationMismatch(awq, "awq")).toBeUndefined();
    // AWQMarlinConfig.override_quantization_method accepts awq_marlin for an AWQ checkpoint.
    expect(quantizationMismatch(awq, "awq_marlin")).toBeUndefined();
    expect(servedQuantization(awq, "awq_marlin")?.layerBytes).toBe(0.5 + 2.5 / 128);
  });

  it("quantizes an unquantized checkpoint to FP8 as it loads (vLLM online dynamic FP8)", () => {
    const llama = modelProfile("llama-3.1-8b");
    const fp8 = withServingPrecision(llama, servedQuantization(undefined, "fp8"));
    // vLLM docs (FP8, AutoFP8 Meta-Llama-3-8B-Instruct-FP8, the same shape as 3.1 8B):
    // "Loading model weights took 8.4596 GB"; ours 8.4575 (embeddings and LM head in bf16).
    expect(weightBytesPerGpu(fp8) / GiB).toBeCloseTo(8.4575, 3);
    expect(Math.abs(weightBytesPerGpu(fp8) / GiB / 8.4596 - 1)).toBeLessThan(0.001);
    expect(() => servedQuantization(undefined, "awq")).toThrow("sized only for fp8");
  });
});

describe("--kv-cache-dtype", () => {
  it("stores one byte per element for the fp8 kinds (vllm STR_DTYPE_TO_TORCH_DTYPE: uint8)", () => {
    expect(kvCacheElementBytes("auto", 2)).toBe(2);
    expect(kvCacheElementBytes("fp8", 2)).toBe(1);
    expect(kvCacheElementBytes("fp8_e4m3", 2)).toBe(1);
    expect(kvCacheElementBytes("fp8_e5m2", 2)).toBe(1);
    expect(kvCacheElementBytes("bfloat16", 4)).toBe(2);
    expect(() => kvCacheElementBytes("int8", 2)).toThrow("is not one of auto, bfloat16, fp8");
  });

  it("halves KV bytes per token and roughly doubles the tokens an H100 holds for Llama 3.1 8B", () => {
    const llama = modelProfile("llama-3.1-8b");
    const fp8Kv = withServingPrecision(llama, undefined, 1);
    // vllm-openai.md §9: Llama-3-8B BF16 → 128 KiB per token; fp8 half of it.
    expect(kvBytesPerToken(fp8Kv)).toBe(64 * 1024);
    expect(weightBytesPerGpu(fp8Kv)).toBe(weightBytesPerGpu(llama));
    const h100 = deviceProfile("h100-80gb");
    const bf16 = kvCapacity({ device: h100, model: llama });
    const fp8 = kvCapacity({ device: h100, model: fp8Kv });
    expect(fp8.availableKvBytes).toBe(bf16.availableKvBytes);
    expect(fp8.tokens / bf16.tokens).toBeCloseTo(2, 2);
    // "auto" or the model's own dtype changes nothing: the same profile object shape.
    expect(withServingPrecision(llama, undefined, 2)).toEqual(llama);
  });

  it("makes a decode step read fewer bytes: FP8 KV and int4 weights shorten memory time", () => {
    const h100 = deviceProfile("h100-80gb");
    const llama = modelProfile("llama-3.1-8b");
    const load = {
      tokens: 64,
      sequences: 64,
      attentionPairs: 64 * 2048,
      windowAttentionPairs: 64 * 2048,
      kvTokensRead: 64 * 2048,
      windowKvTokensRead: 64 * 2048,
    };
    const base = createStepTimeModel({ device: h100, model: llama }).memoryTime(load);
    const fp8Kv = createStepTimeModel({
      device: h100,
      model: withServingPrecision(llama, undefined, 1),
    }).memoryTime(load);
    const awq = createStepTimeModel({
      device: h100,
      model: modelProfileFromConfig(config("llama-3.1-8b-instruct-awq-int4")),
    }).memoryTime(load);
    // Weights 16.06e9 B; KV 64 × 2048 × 128 KiB = 17.18e9 B: FP8 halves the second part.
    const weights = weightBytesPerGpu(llama);
    const kv = 64 * 2048 * kvBytesPerToken(llama);
    expect(fp8Kv / base).toBeCloseTo((weights + kv / 2) / (weights + kv), 6);
    expect(awq).toBeLessThan(base);
  });
});
