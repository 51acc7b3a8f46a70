/**
 * How Triton's vLLM backend reads a request's sampling parameters (triton-inference-server/
 * vllm_backend `src/model.py` `_verify_loras`, `src/utils/vllm_backend_utils.py`
 * `TritonSamplingParams.from_dict`) and how vLLM's `SamplingParams` checks them, pure. The JSON
 * text is the `sampling_parameters` input when the request has one, else the request's
 * parameters as JSON (`request.parameters()`).
 *
 * Python's semantics matter because they decide what the backend accepts: `from_dict` converts
 * each known key with the Python type its annotation names (`int("5")` is 5, `bool("false")` is
 * True, `float("abc")` fails), passes unknown keys to the constructor (a TypeError), and on any
 * exception logs it and returns None, which the caller then reads `.lora_name` from.
 */
import { pythonJsonLoads as loadsPython } from "@servingkit/mock-core/structured";

/** The sampling parameters the mock's engine honours, after vLLM's defaults. */
export interface VllmSampling {
  /** `n`: sequences per request, default 1. */
  readonly n: number;
  /** `max_tokens`: vLLM's default is 16. */
  readonly maxTokens: number;
  /** `min_tokens`, default 0. */
  readonly minTokens: number;
  /** `temperature`, default 1.0 (0 = greedy). */
  readonly temperature: number;
  /** `top_p`, default 1.0. */
  readonly topP: number;
  /** `top_k`; 0 or -1 = off (default). */
  readonly topK: number;
  /** `seed`; undefined = random. */
  readonly seed: number | undefined;
  /** `stop` strings (a string is one stop). */
  readonly stop: readonly string[];
  /** `stop_token_ids`. */
  readonly stopTokenIds: readonly number[];
  /** `ignore_eos`, default false. */
  readonly ignoreEos: boolean;
  /** `include_stop_str_in_output`, default false. */
  readonly includeStopStrInOutput: boolean;
  /** `logprobs`: alternatives per token; undefined = none asked. */
  readonly logprobs: number | undefined;
  /** `structured_outputs` (or `guided_decoding` mapped onto it); undefined = none. */
  readonly structured: StructuredOutputs | undefined;
}

/**
 * vLLM's `StructuredOutputsParams` as the backend builds it: exactly one constraint. The mock's
 * text follows choice, json, json_object, regex and grammar (triton-vllm-model.ts `forcedText`);
 * a structural tag leaves the text free, as it does outside its triggers.
 */
export type StructuredOutputs =
  | { readonly choice: readonly string[] }
  | { readonly json: Readonly<Record<string, unknown>> }
  | { readonly regex: string }
  | { readonly grammar: string }
  | { readonly jsonObject: unknown }
  | { readonly structuralTag: unknown };

/** `StructuredOutputsParams`' constructor fields (vllm/sampling_params.py); others are a TypeError. */
const structuredFields = new Set([
  "json",
  "regex",
  "choice",
  "grammar",
  "json_object",
  "disable_fallback",
  "disable_any_whitespace",
  "disable_additional_properties",
  "whitespace_pattern",
  "structural_tag",
]);

/** The constraint fields, of which exactly one must be given (not None). */
const constraintFields = ["json", "regex", "choice", "grammar", "json_object", "structural_tag"];

/** `guided_decoding.backend` values from_dict lets through (the rest raise ValueError). */
const guidedBackends = new Set(["xgrammar", "xgrammar:no-fallback", "auto", "xgrammar:_auto"]);

/**
 * `StructuredOutputsParams(**value)` and TritonSamplingParams' `_validate_guided_params`: the
 * constraint, or undefined where either raises (a value that is no object, an unknown field, no
 * constraint or more than one, a truthy `choice` that is no list of strings, a truthy `json`
 * that is no object, a truthy `regex`, `grammar` or `whitespace_pattern` that is no string).
 */
function structuredOutputs(value: unknown): StructuredOutputs | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const fieldsOf = value as Record<string, unknown>;
  if (Object.keys(fieldsOf).some((k) => !structuredFields.has(k))) return undefined;
  const given = constraintFields.filter((k) => fieldsOf[k] !== undefined && fieldsOf[k] !== null);
  if (given.length !== 1) return undefined;
  const truthy = (k: string) => pyBool(fieldsOf[k]);
  const { choice, json, regex, grammar } = fieldsOf;
  if (truthy("choice") && (!Array.isArray(choice) || choice.some((c) => typeof c !== "string"))) {
    return undefined;
  }
  if (truthy("json") && (typeof json !== "object" || Array.isArray(json))) return undefined;
  for (const k of ["regex", "grammar", "whitespace_pattern"]) {
    if (truthy(k) && typeof fieldsOf[k] !== "string") return undefined;
  }
  switch (given[0]) {
    case "choice":
      return { choice: choice as string[] };
    case "json":
      return { json: json as Record<string, unknown> };
    case "regex":
      return { regex: String(regex) };
    case "grammar":
      return { grammar: String(grammar) };
    case "json_object":
      return { jsonObject: fieldsOf.json_object };
    default:
      return { structuralTag: fieldsOf.structural_tag };
  }
}

/**
 * The constraint of a request's parameters as from_dict builds it: `structured_outputs` is a
 * JSON text (`json.loads(value)`); `guided_decoding` is that text or an object, its `backend`
 * removed (one of xgrammar's names, else a ValueError), and used unless `structured_outputs` is
 * given. Undefined for none; "invalid" where from_dict's try catches.
 */
function readStructured(
  values: Record<string, unknown>,
): StructuredOutputs | undefined | "invalid" {
  const structured = values.structured_outputs;
  const guided = values.guided_decoding;
  let fromStructured: StructuredOutputs | undefined;
  if (structured !== undefined) {
    if (typeof structured !== "string") return "invalid";
    const parsed = pythonJsonLoads(structured);
    if ("error" in parsed) return "invalid";
    fromStructured = structuredOutputs(parsed.value);
    if (fromStructured === undefined) return "invalid";
  }
  let fromGuided: StructuredOutputs | undefined;
  if (guided !== undefined) {
    let value: unknown = guided;
    if (typeof value === "string") {
      const parsed = pythonJsonLoads(value);
      if ("error" in parsed) return "invalid";
      value = parsed.value;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) return "invalid";
    const { backend, ...rest } = value as Record<string, unknown>;
    if ("backend" in (value as object) && !guidedBackends.has(backend as string)) return "invalid";
    if (structured === undefined) {
      fromGuided = structuredOutputs(rest);
      if (fromGuided === undefined) return "invalid";
    }
  }
  return fromStructured ?? fromGuided;
}

/** Python's annotation kinds of the SamplingParams fields `from_dict` converts (type_mapping). */
type FieldKind = "int" | "float" | "bool" | "optional-int" | "other";

/**
 * vLLM's `SamplingParams` fields (vllm/sampling_params.py) with the conversion `from_dict`
 * applies; `lora_name` is TritonSamplingParams' own field. Any other key is an unexpected
 * keyword argument.
 */
const fields: Readonly<Record<string, FieldKind>> = {
  n: "int",
  presence_penalty: "float",
  frequency_penalty: "float",
  repetition_penalty: "float",
  temperature: "float",
  top_p: "float",
  top_k: "int",
  min_p: "float",
  seed: "optional-int",
  stop: "other",
  stop_token_ids: "other",
  bad_words: "other",
  ignore_eos: "bool",
  max_tokens: "optional-int",
  min_tokens: "int",
  logprobs: "optional-int",
  prompt_logprobs: "optional-int",
  detokenize: "bool",
  skip_special_tokens: "bool",
  spaces_between_special_tokens: "bool",
  include_stop_str_in_output: "bool",
  truncate_prompt_tokens: "other",
  output_kind: "other",
  logit_bias: "other",
  allowed_token_ids: "other",
  extra_args: "other",
  structured_outputs: "other",
  // from_dict maps it onto structured_outputs and removes it (vllm_backend_utils.py).
  guided_decoding: "other",
  lora_name: "other",
};

/** The Python type name of a parsed JSON value, as exception texts name it. */
function pythonType(value: unknown): string {
  if (value === null) return "NoneType";
  if (Array.isArray(value)) return "list";
  if (typeof value === "string") return "str";
  if (typeof value === "boolean") return "bool";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "float";
  return "dict";
}

/**
 * `json.loads(text)` in Python: the value, or the exception text as the backend's error shows it
 * (`JSONDecodeError: <message>`); mock-core's `pythonJsonLoads` holds Python's rules and words.
 */
export function pythonJsonLoads(text: string): { value: unknown } | { error: string } {
  const loaded = loadsPython(text);
  return "error" in loaded ? { error: `JSONDecodeError: ${loaded.error}` } : loaded;
}

/**
 * `_verify_loras`: `json.loads(parameters).pop("lora_name", None)`, run in `execute` before the
 * request starts. Returns the LoRA name (undefined when none), or the Python exception text
 * (bad JSON; a JSON value without `pop`, or a list, whose `pop` takes one argument).
 */
export function verifyLoras(text: string): { lora: string | undefined } | { error: string } {
  const parsed = pythonJsonLoads(text);
  if ("error" in parsed) return parsed;
  const value = parsed.value;
  if (Array.isArray(value)) return { error: "TypeError: pop expected at most 1 argument, got 2" };
  if (value === null || typeof value !== "object") {
    return { error: `AttributeError: '${pythonType(value)}' object has no attribute 'pop'` };
  }
  const lora = (value as Record<string, unknown>).lora_name;
  // `pop(..., None)`: a JSON null is None, as absent; any other value is a LoRA request.
  return { lora: lora === null || lora === undefined ? undefined : String(lora) };
}

/** Python's `int(value)`, or undefined where it raises. */
function pyInt(value: unknown): number | undefined {
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "number") return Number.isFinite(value) ? Math.trunc(value) : undefined;
  if (typeof value === "string" && /^\s*[+-]?\d+(_\d+)*\s*$/.test(value)) {
    return Number.parseInt(value.replaceAll("_", ""), 10);
  }
  return undefined;
}

/** Python's `float(value)`, or undefined where it raises. */
function pyFloat(value: unknown): number | undefined {
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "number") return value;
  if (typeof value !== "string") return undefined;
  const text = value.trim().replaceAll("_", "");
  if (/^[+-]?(inf|infinity)$/i.test(text)) return text.startsWith("-") ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(text)) return Number.NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text)) return undefined;
  return Number(text);
}

/** Python's truthiness (`bool(value)`). */
function pyBool(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (value !== null && typeof value === "object") return Object.keys(value).length > 0;
  return Boolean(value);
}

/** The `stop` list SamplingParams builds: None → [], a string → [it], else `list(stop)`. */
function stopList(value: unknown): string[] | undefined {
  if (value === undefined) return [];
  if (typeof value === "string") return [value];
  if (!Array.isArray(value) || value.some((s) => typeof s !== "string")) return undefined;
  return value as string[];
}

/**
 * `TritonSamplingParams.from_dict(text)`: the parameters, or undefined where the backend's
 * `from_dict` catches an exception and returns None (bad JSON, a JSON value that is no object,
 * an unknown key, a failed conversion, or a value vLLM's `_verify_args` refuses: `n` < 1,
 * penalties outside [-2, 2], `repetition_penalty` <= 0, `temperature` < 0, `top_p` outside
 * (0, 1], `top_k` below -1, `min_p` outside [0, 1], `max_tokens` < 1, `min_tokens` < 0 or above
 * `max_tokens`, `logprobs` < 0, an empty or non-string stop, a structured-output constraint
 * `StructuredOutputsParams` or the backend's checks refuse). JSON nulls are dropped first, so
 * vLLM's defaults apply to them.
 */
export function readSamplingParameters(text: string): VllmSampling | undefined {
  const parsed = pythonJsonLoads(text);
  if ("error" in parsed) return undefined;
  const raw = parsed.value;
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return undefined;
  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (value === null) continue;
    // Own keys only: `constructor` or `__proto__` are unknown keyword arguments like any other.
    const kind = Object.hasOwn(fields, key) ? fields[key] : undefined;
    if (kind === undefined) return undefined; // TypeError: unexpected keyword argument
    let converted: unknown = value;
    if (kind === "int" || kind === "optional-int") converted = pyInt(value);
    else if (kind === "float") converted = pyFloat(value);
    else if (kind === "bool") converted = pyBool(value);
    if (converted === undefined) return undefined; // ValueError / TypeError of the conversion
    values[key] = converted;
  }
  const num = (key: string, fallback: number) => (values[key] as number | undefined) ?? fallback;
  const n = num("n", 1);
  const temperature = num("temperature", 1);
  const topP = num("top_p", 1);
  const topK = num("top_k", 0);
  const minP = num("min_p", 0);
  const maxTokens = num("max_tokens", 16);
  const minTokens = num("min_tokens", 0);
  const logprobs = values.logprobs as number | undefined;
  const penalties = [num("presence_penalty", 0), num("frequency_penalty", 0)];
  const stop = stopList(values.stop);
  const stopTokenIds = values.stop_token_ids ?? [];
  const structured = readStructured(values);
  if (
    structured === "invalid" ||
    n < 1 ||
    penalties.some((p) => !(p >= -2 && p <= 2)) ||
    !(num("repetition_penalty", 1) > 0) ||
    !(temperature >= 0) ||
    !(topP > 0 && topP <= 1) ||
    topK < -1 ||
    !(minP >= 0 && minP <= 1) ||
    maxTokens < 1 ||
    minTokens < 0 ||
    minTokens > maxTokens ||
    (logprobs !== undefined && logprobs < 0) ||
    stop === undefined ||
    stop.some((s) => s === "") ||
    !Array.isArray(stopTokenIds) ||
    stopTokenIds.some((id) => !Number.isInteger(id) || id < 0)
  ) {
    return undefined;
  }
  return {
    n,
    maxTokens,
    minTokens,
    temperature,
    topP,
    topK,
    seed: values.seed as number | undefined,
    stop,
    stopTokenIds: stopTokenIds as number[],
    ignoreEos: (values.ignore_eos as boolean | undefined) ?? false,
    includeStopStrInOutput: (values.include_stop_str_in_output as boolean | undefined) ?? false,
    logprobs,
    structured,
  };
}
