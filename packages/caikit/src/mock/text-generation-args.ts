/**
 * Caikit TGIS's text-generation arguments (module `TextGenerationTGIS`): names, defaults,
 * caikit-nlp's `validate_inf_params` checks in order with their texts, and `get_params`, the
 * mapping onto TGIS's parameters. Pure; REST and gRPC both end here.
 *
 * Sources: caikit-tgis.md §1.3; caikit/caikit-nlp `caikit_nlp/toolkit/text_generation/tgis_utils.py`
 * (`validate_inf_params`, `get_params`).
 */
import type { TgisParameters } from "@servingkit/tgis";
import { valueCheck, valueError } from "./caikit-error.js";

/** caikit-nlp's VALID_DECODING_METHODS. */
export const validDecodingMethods = ["GREEDY", "SAMPLING"] as const;

/** The arguments of one text generation, after defaults; `null` = Python's None. */
export interface TextGenerationArgs {
  /** The prompt (`inputs` on REST, `text` on gRPC). */
  readonly text: string;
  /** Default 20. */
  readonly max_new_tokens: number;
  /** Default 0. */
  readonly min_new_tokens: number;
  /** Default 0 (none). */
  readonly truncate_input_tokens: number;
  /** `GREEDY` (default) or `SAMPLING`. */
  readonly decoding_method: string;
  /** Sampling top-k. */
  readonly top_k: number | null;
  /** Sampling top-p. */
  readonly top_p: number | null;
  /** Sampling typical-p. */
  readonly typical_p: number | null;
  /** Sampling temperature. */
  readonly temperature: number | null;
  /** Repetition penalty. */
  readonly repetition_penalty: number | null;
  /** Time limit in seconds. */
  readonly max_time: number | null;
  /** `{start_index, decay_factor}`. */
  readonly exponential_decay_length_penalty: {
    readonly start_index: number;
    readonly decay_factor: number;
  } | null;
  /** Stop strings. */
  readonly stop_sequences: readonly string[] | null;
  /** Sampling seed (u64). */
  readonly seed: bigint | null;
  /** Prefix the prompt to the output. Default false. */
  readonly preserve_input_text: boolean;
  /** Input token details. Default false. */
  readonly input_tokens: boolean;
  /** Generated token details. Default false. */
  readonly generated_tokens: boolean;
  /** Log-probabilities in details. Default false. */
  readonly token_logprobs: boolean;
  /** Ranks in details. Default false. */
  readonly token_ranks: boolean;
  /** Keep the matched stop sequence; null = TGIS's server default. */
  readonly include_stop_sequence: boolean | null;
}

/** The module's defaults (text_generation_tgis.py `run`). */
export const textGenerationDefaults: Omit<TextGenerationArgs, "text"> = {
  max_new_tokens: 20,
  min_new_tokens: 0,
  truncate_input_tokens: 0,
  decoding_method: "GREEDY",
  top_k: null,
  top_p: null,
  typical_p: null,
  temperature: null,
  repetition_penalty: null,
  max_time: null,
  exponential_decay_length_penalty: null,
  stop_sequences: null,
  seed: null,
  preserve_input_text: false,
  input_tokens: false,
  generated_tokens: false,
  token_logprobs: false,
  token_ranks: false,
  include_stop_sequence: null,
};

/** The parameter names (`parameters` keys on REST, request fields 2-20 on gRPC). */
export const textGenerationParameterNames = Object.keys(
  textGenerationDefaults,
) as readonly (keyof Omit<TextGenerationArgs, "text">)[];

const truthy = (value: number | bigint | null): boolean =>
  value !== null && value !== 0 && value !== 0n;

/**
 * `validate_inf_params`: the value checks in caikit-nlp's order; throws a CaikitError
 * (`value check failed: ...`, or the plain greedy ValueError).
 */
export function validateTextGeneration(args: TextGenerationArgs): void {
  if (!(args.max_new_tokens >= args.min_new_tokens)) {
    // The f-string continues over a line break, so 9 spaces stand before `[`.
    throw valueCheck(
      `Maximum new tokens [${args.max_new_tokens}] has to be greater than minimum new tokens         [${args.min_new_tokens}]`,
    );
  }
  if (!(validDecodingMethods as readonly string[]).includes(args.decoding_method)) {
    throw valueCheck(
      `Decoding method [${args.decoding_method}] not in valid decoding methods: [['GREEDY', 'SAMPLING']]`,
    );
  }
  const { temperature, top_p, top_k, typical_p, repetition_penalty } = args;
  if (truthy(temperature) && (temperature ?? 0) < 0.05) {
    throw valueCheck("temperature must be >= 0.05");
  }
  if (truthy(top_p) && !((top_p ?? 0) > 0 && (top_p ?? 0) <= 1)) {
    throw valueCheck("top_p must be > 0.0 and <= 1.0");
  }
  if (truthy(top_k) && (top_k ?? 0) < 0) throw valueCheck("top_k must be strictly positive");
  if (truthy(typical_p) && (typical_p ?? 0) > 1) throw valueCheck("typical_p must be <= 1.0");
  if (truthy(repetition_penalty) && (repetition_penalty ?? 0) <= 0) {
    throw valueCheck("repetition_penalty must be > 0.0");
  }
  const penalty = args.exponential_decay_length_penalty;
  if (penalty && !(penalty.decay_factor >= 1 && penalty.decay_factor <= 10)) {
    throw valueCheck("decay_factor in exponential_decay_length_penalty must be >= 1.0 and <= 10.0");
  }
  if (
    args.decoding_method === "GREEDY" &&
    ((temperature !== null && temperature !== 1) ||
      (top_k !== null && top_k !== 0) ||
      (top_p !== null && top_p !== 1) ||
      truthy(args.seed))
  ) {
    throw valueError(
      "sampling parameters (temperature/top_k/top_p/typical_p/seed) aren't applicable in greedy decoding mode",
    );
  }
}

/** `get_params`: the TGIS parameters caikit-nlp sends (None → unset → TGIS's default). */
export function toTgisParameters(args: TextGenerationArgs): TgisParameters {
  const optional = <K extends keyof TgisParameters>(key: K, value: TgisParameters[K] | null) =>
    value === null || value === undefined ? {} : { [key]: value };
  return {
    method: args.decoding_method === "SAMPLING" ? "sample" : "greedy",
    ...optional("temperature", args.temperature),
    ...optional("topK", args.top_k),
    ...optional("topP", args.top_p),
    ...optional("typicalP", args.typical_p),
    ...optional("seed", args.seed),
    maxNewTokens: args.max_new_tokens,
    minNewTokens: args.min_new_tokens,
    ...(args.max_time ? { timeLimitMs: Math.trunc(args.max_time * 1000) } : {}),
    ...optional("stopSequences", args.stop_sequences),
    ...optional("includeStopSequence", args.include_stop_sequence),
    inputText: args.preserve_input_text,
    generatedTokens: args.generated_tokens,
    inputTokens: args.input_tokens,
    tokenLogprobs: args.token_logprobs,
    tokenRanks: args.token_ranks,
    ...optional("repetitionPenalty", args.repetition_penalty),
    ...(args.exponential_decay_length_penalty
      ? {
          lengthPenalty: {
            startIndex: args.exponential_decay_length_penalty.start_index,
            decayFactor: args.exponential_decay_length_penalty.decay_factor,
          },
        }
      : {}),
    truncateInputTokens: args.truncate_input_tokens,
  };
}
