/**
 * The language model's config as vLLM sees it. vLLM never reads config.json's raw text: it reads
 * the transformers config object built from it, whose class constructor fills every field the
 * file leaves out. transformers writes a config.json as the difference from those defaults
 * (`to_diff_dict`: a nested sub-config against its own class's defaults), so public files omit
 * exactly the fields whose value is the default: google/gemma-3-4b-it's `text_config` names no
 * heads, KV heads, head_dim, vocabulary or context length, and gemma-3-1b-it no
 * `tie_word_embeddings`. Here those defaults are data, keyed by `model_type`, and
 * {@link hfTextConfig} applies them the way vLLM's `get_hf_text_config` sees the result.
 */

/** A parsed config.json object (or one of its sub-configs). */
export type ConfigObject = Readonly<Record<string, unknown>>;

/**
 * Class defaults of the fields a model profile reads (layers, widths, heads, vocabulary, context
 * length, tied embeddings, sliding window), by the text config's own `model_type`, from each
 * class in huggingface/transformers `src/transformers/models/<model>/configuration_<model>.py`.
 * Only model types whose public configs omit such fields are listed: the Llama 3.x, Mistral,
 * Qwen2/2.5/3, Granite 3.x and Phi-3 configs we checked name every field a profile needs (a
 * missing `head_dim` is hidden_size / heads there, which is also our fallback), so their classes'
 * defaults never apply.
 */
export const transformersTextConfigDefaults: Readonly<Record<string, ConfigObject>> = {
  // configuration_gemma.py GemmaConfig.
  gemma: {
    vocab_size: 256_000,
    hidden_size: 3072,
    intermediate_size: 24_576,
    num_hidden_layers: 28,
    num_attention_heads: 16,
    num_key_value_heads: 16,
    head_dim: 256,
    max_position_embeddings: 8192,
    tie_word_embeddings: true,
  },
  // configuration_gemma2.py Gemma2Config; its default `layer_types` slides at every layer i with
  // (i + 1) % 2 != 0, which `sliding_window_pattern` 2 says in our reader's terms.
  gemma2: {
    vocab_size: 256_000,
    hidden_size: 2304,
    intermediate_size: 9216,
    num_hidden_layers: 26,
    num_attention_heads: 8,
    num_key_value_heads: 4,
    head_dim: 256,
    max_position_embeddings: 8192,
    tie_word_embeddings: true,
    sliding_window: 4096,
    sliding_window_pattern: 2,
  },
  // configuration_gemma3.py Gemma3TextConfig (the text_config of Gemma3Config, and the whole
  // config of the text-only gemma-3-1b).
  gemma3_text: {
    vocab_size: 262_208,
    hidden_size: 2304,
    intermediate_size: 9216,
    num_hidden_layers: 26,
    num_attention_heads: 8,
    num_key_value_heads: 4,
    head_dim: 256,
    max_position_embeddings: 131_072,
    tie_word_embeddings: true,
    sliding_window: 4096,
    sliding_window_pattern: 6,
  },
};

/**
 * Class defaults of the vision-encoder fields a weight count reads, by `model_type`:
 * transformers configuration_siglip.py SiglipVisionConfig (Gemma 3's `vision_config`, which
 * leaves `num_channels` to it).
 */
export const transformersVisionConfigDefaults: Readonly<Record<string, ConfigObject>> = {
  siglip_vision_model: {
    hidden_size: 768,
    intermediate_size: 3072,
    num_hidden_layers: 12,
    num_channels: 3,
    image_size: 224,
    patch_size: 16,
  },
};

/**
 * The text sub-config class of a multimodal config, by the top-level `model_type`, for a
 * `text_config` that names no `model_type` of its own: configuration_gemma3.py Gemma3Config
 * `sub_configs` builds its `text_config` as a Gemma3TextConfig whatever the dict says.
 */
const textSubConfigTypes: Readonly<Record<string, string>> = { gemma3: "gemma3_text" };

/** `value` when it is a JSON object (not an array or null), else undefined. */
function objectOf(value: unknown): ConfigObject | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as ConfigObject)
    : undefined;
}

/**
 * `config` with its class's defaults ({@link transformersTextConfigDefaults}, by its own
 * `model_type`, or for a nested text config without one the sub-config class of its parent's
 * `parentType`) under the fields it leaves out. A field present with `null` stays null, as a
 * Python `None` passed to the constructor does. Returns `config` itself for a model type with no
 * defaults listed.
 */
export function withTransformersDefaults(config: ConfigObject, parentType?: unknown): ConfigObject {
  const type =
    config.model_type ??
    (typeof parentType === "string" ? textSubConfigTypes[parentType] : undefined);
  const defaults = typeof type === "string" ? transformersTextConfigDefaults[type] : undefined;
  // Off the hot path (once per start-up): a spread is fine.
  return defaults === undefined ? config : { ...defaults, ...config };
}

/**
 * The language model's part of a config as vLLM's `get_hf_text_config`
 * (vllm/transformers_utils/config.py) takes it, with transformers' defaults filled in
 * ({@link withTransformersDefaults}): a multimodal config (Gemma 3 4B and up, Llama 4, Mistral 3,
 * LLaVA-style) nests it under `text_config`, an omni model under `thinker_config` (its
 * `text_config` when it has one); a text-only config is its own. `nested` says which it was (vLLM
 * checks a nested one for `num_attention_heads`).
 */
export function hfTextConfig(config: ConfigObject): { text: ConfigObject; nested: boolean } {
  const thinker = objectOf(config.thinker_config);
  const inner = thinker ? (objectOf(thinker.text_config) ?? thinker) : objectOf(config.text_config);
  if (inner === undefined) return { text: withTransformersDefaults(config), nested: false };
  return { text: withTransformersDefaults(inner, config.model_type), nested: true };
}

/** RoPE types whose `max_position_embeddings` vLLM takes as already scaled (no factor applied). */
const prescaledRopeTypes: ReadonlySet<string> = new Set(["su", "longrope", "llama3"]);

/**
 * A context length `length` (tokens) as vLLM scales it for RoPE scaling (vllm/config `_get_and_verify_max_len`): with
 * `rope_scaling` (or transformers v5's `rope_parameters`, possibly one entry per layer type) of a
 * type other than su / longrope / llama3, the length is multiplied by its `factor` (none: 1;
 * "mrope" counts as "default", which has none), starting from `original_max_position_embeddings`
 * for "yarn"; Gemma 3 (a model type containing "gemma3") is left alone, its length being scaled
 * already.
 */
export function ropeScaledLength(
  text: Readonly<Record<string, unknown>>,
  modelTypes: readonly unknown[],
  length: number,
): number {
  const raw = text.rope_scaling ?? text.rope_parameters;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return length;
  if (modelTypes.some((type) => typeof type === "string" && type.includes("gemma3"))) return length;
  const flat = raw as Record<string, unknown>;
  const entries = (
    "rope_type" in flat || "type" in flat || "factor" in flat ? [flat] : Object.values(flat)
  ).filter(
    (entry): entry is Record<string, unknown> => typeof entry === "object" && entry !== null,
  );
  let factor = 1;
  let base = length;
  for (const entry of entries) {
    const type = entry.rope_type ?? entry.type ?? "default";
    if (typeof type !== "string" || prescaledRopeTypes.has(type) || type === "mrope") continue;
    if (typeof entry.factor === "number" && entry.factor > 0) factor = entry.factor;
    const original = entry.original_max_position_embeddings;
    if (type === "yarn" && typeof original === "number" && original > 0) base = original;
  }
  return Math.trunc(base * factor);
}
