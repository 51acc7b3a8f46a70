/**
 * Quantized weights and a quantized KV cache as vLLM serves them: the bytes one weight element
 * takes on the GPU for the quantization a checkpoint's `quantization_config` declares (or
 * `--quantization` asks for), and the bytes one cached K or V element takes for
 * `--kv-cache-dtype`. The arithmetic is per element, so a model profile (model-profiles.ts)
 * multiplies its parameter counts by these figures and everything downstream (weight memory,
 * KV capacity, the bytes a decode step reads) follows.
 */

/**
 * How a served model's weights are stored on the GPU. Figures are bytes per weight element,
 * scales and zero points included (a 4-bit group-quantized matrix is 0.5 byte plus its share of
 * the group's scale and zero point). Embeddings, the LM head, norms and MoE routers stay in the
 * model dtype: every checkpoint format here leaves them unquantized (AWQ/GPTQ quantize the
 * decoder's linear layers only, compressed-tensors lists `lm_head` in `ignore`, gpt-oss names
 * embeddings, attention, routers and the LM head in `modules_to_not_convert`).
 */
export interface WeightQuantization {
  /** vLLM's name for the method (`quant_method`, or the `--quantization` value). */
  readonly method: string;
  /**
   * Bytes per element of the decoder layers' matrices (attention, dense MLPs, shared experts);
   * undefined: they stay in the model dtype (gpt-oss MXFP4 quantizes its experts only).
   */
  readonly layerBytes?: number;
  /** Bytes per element of routed MoE experts; undefined: as {@link layerBytes}. */
  readonly expertBytes?: number;
}

/** A field of a JSON object, or undefined when the value is not an object. */
function field(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

/** A positive integer field, `fallback` when absent; a TypeError naming it otherwise. */
function intField(q: unknown, key: string, fallback: number): number {
  const value = field(q, key);
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0)
    throw new TypeError(`config.json: quantization_config "${key}" must be a positive integer`);
  return value;
}

/**
 * Bytes per element of a `bits`-bit matrix quantized in groups of `groupSize` input elements,
 * each group with a 16-bit scale and, with `zeroPoint`, a `bits`-bit zero point (AWQ `qzeros`,
 * GPTQ `qzeros`: packed like the weights). `groupSize` -1 (one group per output row, GPTQ's
 * "no grouping") counts the weights only: a scale per row is under 0.1% of them.
 */
export function groupQuantizedBytes(bits: number, groupSize: number, zeroPoint: boolean): number {
  const perGroup = groupSize > 0 ? (2 + (zeroPoint ? bits / 8 : 0)) / groupSize : 0;
  return bits / 8 + perGroup;
}

/**
 * MXFP4 (OCP microscaling): 4-bit elements in blocks of 32 sharing one 8-bit (E8M0) scale, as
 * gpt-oss stores its experts (`*_blocks` and `*_scales`): 0.5 + 1/32 byte.
 */
export const mxfp4Bytes = 0.5 + 1 / 32;

/**
 * The quantization of compressed-tensors' first config group (`config_groups.*.weights`):
 * `num_bits` of `type` int or float, `strategy` "group" with `group_size` (a bf16 scale per
 * group; symmetric: no zero point) or per channel / tensor (scales not counted, under 0.1%).
 * RedHatAI's `quantized.w4a16` is int 4-bit, group 128, symmetric: 0.515625 byte;
 * `FP8-dynamic` and `quantized.w8a8` 8-bit per channel: 1 byte.
 */
function compressedTensorsBytes(q: unknown): number {
  const groups = field(q, "config_groups");
  const first =
    typeof groups === "object" && groups !== null ? Object.values(groups)[0] : undefined;
  const weights = field(first, "weights");
  if (weights === undefined)
    throw new TypeError(
      'config.json: compressed-tensors "config_groups" must name a group with "weights"',
    );
  const bits = intField(weights, "num_bits", 8);
  const strategy = field(weights, "strategy");
  if (strategy !== "group" && strategy !== "tensor_group") return bits / 8;
  return groupQuantizedBytes(
    bits,
    intField(weights, "group_size", 128),
    field(weights, "symmetric") === false,
  );
}

/**
 * bitsandbytes as vLLM loads it (`load_in_4bit`: NF4/FP4 in blocks of 64 with a float32 absmax
 * each, or with `bnb_4bit_use_double_quant` an 8-bit absmax plus a float32 per 256 blocks;
 * `load_in_8bit`: int8 with a per-row scale, not counted).
 */
function bitsAndBytesBytes(q: unknown): number {
  if (field(q, "load_in_8bit") === true) return 1;
  return field(q, "bnb_4bit_use_double_quant") === true
    ? 0.5 + 1 / 64 + 4 / (64 * 256)
    : 0.5 + 4 / 64;
}

/**
 * The weight quantization `config.json`'s `quantization_config` declares, or undefined for an
 * unquantized checkpoint or a method we do not size (its weights then count in the model dtype):
 * - "fp8" (DeepSeek V3/R1, Qwen3 `-FP8`): 1 byte; the float32 block scales (one per 128 × 128
 *   block, 0.02%) are not counted;
 * - "awq" / "gptq" (AutoAWQ, AutoGPTQ, hugging-quants' `-AWQ-INT4` / `-GPTQ-INT4`): `bits`
 *   (default 4) with a 16-bit scale and a packed zero point per `group_size` (default 128)
 *   elements; AWQ's `zero_point` false drops the zero point (GPTQ stores `qzeros` either way);
 * - "compressed-tensors" (llm-compressor, RedHatAI): {@link compressedTensorsBytes};
 * - "bitsandbytes": {@link bitsAndBytesBytes};
 * - "mxfp4" (openai/gpt-oss): routed experts in {@link mxfp4Bytes}, the rest in the model dtype.
 */
export function readWeightQuantization(
  top: Readonly<Record<string, unknown>>,
): WeightQuantization | undefined {
  const q = top.quantization_config;
  const method = field(q, "quant_method");
  if (typeof method !== "string") return undefined;
  switch (method) {
    case "fp8":
      return { method, layerBytes: 1 };
    case "awq":
    case "gptq": {
      const bits = intField(q, "bits", 4);
      const group = field(q, "group_size") === -1 ? -1 : intField(q, "group_size", 128);
      const zeroPoint = method === "gptq" || field(q, "zero_point") !== false;
      return { method, layerBytes: groupQuantizedBytes(bits, group, zeroPoint) };
    }
    case "compressed-tensors":
      return { method, layerBytes: compressedTensorsBytes(q) };
    case "bitsandbytes":
      return { method, layerBytes: bitsAndBytesBytes(q) };
    case "mxfp4":
      return { method, expertBytes: mxfp4Bytes };
    default:
      return undefined;
  }
}

/**
 * `--quantization` values that load a checkpoint of another `quant_method` with faster kernels
 * of the same format (vLLM's `override_quantization_method`: awq_marlin for AWQ, gptq_marlin and
 * marlin for GPTQ); the weight bytes do not change.
 */
const kernelVariants: Readonly<Record<string, readonly string[]>> = {
  awq: ["awq_marlin"],
  gptq: ["gptq_marlin", "marlin"],
};

/**
 * vLLM's start-up refusal when `--quantization` (`flag`) contradicts the method the checkpoint's
 * config.json declares (vllm/config/model.py `_verify_quantization`: "Quantization method
 * specified in the model config (awq) does not match the quantization method specified in the
 * `quantization` argument (gptq)."), or undefined when they agree: the same method, or a kernel
 * variant of it ({@link kernelVariants}), or no method declared.
 */
export function quantizationMismatch(
  checkpoint: Readonly<Record<string, unknown>> | undefined,
  flag: string,
): string | undefined {
  const method = field(checkpoint?.quantization_config, "quant_method");
  if (typeof method !== "string" || flag === method) return undefined;
  if ((kernelVariants[method] ?? []).includes(flag)) return undefined;
  return `Quantization method specified in the model config (${method}) does not match the quantization method specified in the \`quantization\` argument (${flag}).`;
}

/**
 * The quantization vLLM serves with, from the checkpoint's config.json (undefined: a built-in
 * profile, unquantized) and `--quantization` (`flag`, undefined when not given), once
 * {@link quantizationMismatch} has passed: the checkpoint's when it declares one; for an
 * unquantized checkpoint, `--quantization fp8` quantizes the layers' matrices to FP8 as they load
 * (vLLM's online dynamic FP8, docs "FP8 W8A8": 1 byte each, embeddings and LM head kept). Throws
 * a RangeError naming the flag for another method on an unquantized checkpoint (not sized here).
 */
export function servedQuantization(
  checkpoint: Readonly<Record<string, unknown>> | undefined,
  flag: string | undefined,
): WeightQuantization | undefined {
  const declared = checkpoint === undefined ? undefined : readWeightQuantization(checkpoint);
  const method = field(checkpoint?.quantization_config, "quant_method");
  if (flag === undefined || typeof method === "string") return declared;
  if (flag === "fp8") return { method: "fp8", layerBytes: 1 };
  throw new RangeError(
    `--quantization ${flag}: an unquantized checkpoint is sized only for fp8 (online dynamic quantization); other methods need a checkpoint whose config.json declares them`,
  );
}

/** `--kv-cache-dtype` values vLLM accepts that we size (vllm/config/cache.py `CacheDType`). */
export const kvCacheDtypes = [
  "auto",
  "bfloat16",
  "fp8",
  "fp8_e4m3",
  "fp8_e5m2",
  "fp8_ds_mla",
] as const;

/** One of {@link kvCacheDtypes}. */
export type KvCacheDtype = (typeof kvCacheDtypes)[number];

/**
 * Bytes one cached K or V element takes for `--kv-cache-dtype` `dtype`: "auto" the model's own
 * (`modelBytes`), "bfloat16" 2, the fp8 kinds 1 (vllm `STR_DTYPE_TO_TORCH_DTYPE`: fp8, fp8_e4m3
 * and fp8_e5m2 are 8-bit tensors; "fp8_ds_mla" is a uint8 record whose size per token
 * model-profiles.ts dsMlaFp8TokenBytes gives). Throws a RangeError listing the choices for another value.
 */
export function kvCacheElementBytes(dtype: string, modelBytes: number): number {
  if (!(kvCacheDtypes as readonly string[]).includes(dtype))
    throw new RangeError(`--kv-cache-dtype '${dtype}' is not one of ${kvCacheDtypes.join(", ")}`);
  if (dtype === "auto") return modelBytes;
  return dtype === "bfloat16" ? 2 : 1;
}
