/**
 * TGIS's request parameters: the conversion of the proto `Parameters` into the router's flat
 * parameters (defaults of zero values) and the validation in TGIS's order with its texts.
 * Pure; shared by the TGIS mock and Caikit TGIS (which builds the same `Parameters` message).
 *
 * Sources: IBM/text-generation-inference `router/src/grpc_server.rs` (`convert_params`,
 * `default_parameters`), `router/src/validation.rs` (`Validation::validate`, `ValidationError`);
 * caikit-tgis.md §3.3-3.4.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { DecodingMethod, type Parameters } from "@servingkit/proto/fmaas";

/** The server's limits, as TGIS's launcher flags set them. */
export interface TgisLimits {
  /** `--max-sequence-length`: input plus output tokens; default the model's own, else 2048. */
  readonly maxSequenceLength: number;
  /** `--max-new-tokens`: the largest `max_new_tokens` accepted; default 1024 (capped at max_sequence_length − 1). */
  readonly maxNewTokens: number;
  /** `--default-include-stop-seqs`: `include_stop_sequence` when the request leaves it unset; default true. */
  readonly defaultIncludeStopSequences: boolean;
  /** `--max-concurrent-requests`: requests in flight before RESOURCE_EXHAUSTED; default 512. */
  readonly maxConcurrentRequests: number;
}

/** The launcher's defaults (caikit-tgis.md §3.3, launcher/src/main.rs). */
export const defaultTgisLimits: TgisLimits = {
  maxSequenceLength: 2048,
  maxNewTokens: 1024,
  defaultIncludeStopSequences: true,
  maxConcurrentRequests: 512,
};

/** TGIS's flat generation parameters after `convert_params` (zero values replaced by defaults). */
export interface GenerateParameters {
  /** 0 = greedy; under SAMPLE a 0 becomes 1.0. */
  readonly temperature: number;
  /** 0 = off; a uint32 above 2^31 reads negative, as TGIS's `as i32` does. */
  readonly topK: number;
  /** 1.0 = off. */
  readonly topP: number;
  /** 1.0 = off (TGIS's default), 0 in the request means unset. */
  readonly typicalP: number;
  /** 1.0 = none. */
  readonly repetitionPenalty: number;
  /** `[start_index, decay_factor]`, only read when repetition_penalty was set (TGIS quirk). */
  readonly lengthPenalty?: readonly [number, number];
  /** Default 20 (a 0 in the request means unset). */
  readonly maxNewTokens: number;
  /** Default 0. */
  readonly minNewTokens: number;
  /** Stop strings as given. */
  readonly stopSequences: readonly string[];
  /** Whether the matched stop sequence stays in the text. */
  readonly includeStopSequence: boolean;
  /** Milliseconds; 0 = none. */
  readonly timeLimitMs: number;
  /** 0 = none; else keep the last N input tokens. */
  readonly truncateInputTokens: number;
  /** The request's sampling seed (read only under SAMPLE). */
  readonly seed?: bigint;
  /** Response options. */
  readonly includeInputText: boolean;
  /** Response options: input token details. */
  readonly includeInputTokens: boolean;
  /** Response options: generated token details. */
  readonly includeGeneratedTokens: boolean;
  /** Response options: logprob in token details. */
  readonly includeLogprobs: boolean;
  /** Response options: rank in token details. */
  readonly includeRanks: boolean;
  /** Response options: top-n candidates per token. */
  readonly topNTokens: number;
}

const defaultParameters: GenerateParameters = {
  temperature: 0,
  topK: 0,
  topP: 1,
  typicalP: 1,
  repetitionPenalty: 1,
  maxNewTokens: 20,
  minNewTokens: 0,
  stopSequences: [],
  includeStopSequence: true,
  timeLimitMs: 0,
  truncateInputTokens: 0,
  includeInputText: false,
  includeInputTokens: false,
  includeGeneratedTokens: false,
  includeLogprobs: false,
  includeRanks: false,
  topNTokens: 0,
};

/** An INVALID_ARGUMENT with TGIS's text, as `GenerationServicer::validate` returns it. */
export function invalidArgument(message: string): ConnectError {
  return new ConnectError(message, Code.InvalidArgument);
}

/**
 * `convert_params`: the proto `Parameters` (or none) to flat parameters. Sampling fields are read
 * only under SAMPLE (STRICT_PARAMETER_VALIDATION is compiled off, so greedy ignores them).
 */
export function convertParameters(
  params: Parameters | undefined,
  defaultIncludeStopSequences: boolean,
): GenerateParameters {
  // A plain clone then a store: a spread followed by more keys costs V8 a fresh map per call
  // (docs/architecture.md, the hot-path rule).
  const out: { -readonly [K in keyof GenerateParameters]: GenerateParameters[K] } = {
    ...defaultParameters,
  };
  out.includeStopSequence = defaultIncludeStopSequences;
  if (params === undefined) return out;
  out.truncateInputTokens = params.truncateInputTokens;
  const r = params.response;
  if (r) {
    out.includeInputText = r.inputText;
    out.includeInputTokens = r.inputTokens;
    out.includeGeneratedTokens = r.generatedTokens;
    out.includeLogprobs = r.tokenLogprobs;
    out.includeRanks = r.tokenRanks;
    out.topNTokens = r.topNTokens;
  }
  const d = params.decoding;
  if (d && d.repetitionPenalty !== 0) {
    out.repetitionPenalty = d.repetitionPenalty;
    if (d.lengthPenalty) {
      out.lengthPenalty = [d.lengthPenalty.startIndex, d.lengthPenalty.decayFactor];
    }
  }
  const s = params.stopping;
  if (s) {
    if (s.maxNewTokens !== 0) out.maxNewTokens = s.maxNewTokens;
    out.minNewTokens = s.minNewTokens;
    out.stopSequences = s.stopSequences;
    out.includeStopSequence = s.includeStopSequence ?? defaultIncludeStopSequences;
    out.timeLimitMs = s.timeLimitMillis;
  }
  if (params.method === DecodingMethod.SAMPLE) {
    const sampling = params.sampling;
    if (sampling) {
      out.temperature = sampling.temperature;
      out.topK = sampling.topK | 0;
      if (sampling.topP !== 0) out.topP = sampling.topP;
      if (sampling.typicalP !== 0) out.typicalP = sampling.typicalP;
      if (sampling.seed !== undefined) out.seed = sampling.seed;
    }
    if (out.temperature === 0) out.temperature = 1;
  }
  return out;
}

/** TGIS's stop-sequence limits (validation.rs MAX_STOP_SEQS, MAX_STOP_SEQ_LENGTH). */
export const maxStopSequences = 6;
/** Longest stop sequence, UTF-8 bytes. */
export const maxStopSequenceBytes = 240;

/**
 * The request-independent checks of `Validation::validate`, in its order; throws the first
 * failure as INVALID_ARGUMENT.
 */
export function validateParameters(gp: GenerateParameters, limits: TgisLimits): void {
  if (gp.temperature !== 0 && gp.temperature < 0.05) {
    throw invalidArgument("temperature must be >= 0.05");
  }
  if (gp.topP <= 0 || gp.topP > 1) throw invalidArgument("top_p must be > 0.0 and <= 1.0");
  if (gp.typicalP > 1) throw invalidArgument("typical_p must be <= 1.0");
  if (gp.topK < 0) throw invalidArgument("top_k must be strictly positive");
  if (gp.maxNewTokens > limits.maxNewTokens) {
    throw invalidArgument(`max_new_tokens must be <= ${limits.maxNewTokens}`);
  }
  if (gp.minNewTokens > gp.maxNewTokens) {
    throw invalidArgument("min_new_tokens must be <= max_new_tokens");
  }
  if (gp.repetitionPenalty <= 0) throw invalidArgument("repetition_penalty must be > 0.0");
  if (gp.lengthPenalty && (gp.lengthPenalty[1] < 1 || gp.lengthPenalty[1] > 10)) {
    throw invalidArgument("length_penalty must be >= 1.0 and <= 10.0");
  }
  const stopError = `can specify at most ${maxStopSequences} non-empty stop sequences, each not more than ${maxStopSequenceBytes} UTF8 bytes`;
  if (gp.stopSequences.length > maxStopSequences) throw invalidArgument(stopError);
  if (
    (gp.includeLogprobs || gp.includeRanks || gp.topNTokens !== 0) &&
    !(gp.includeInputTokens || gp.includeGeneratedTokens)
  ) {
    throw invalidArgument(
      "must request input and/or generated tokens to request extra token detail",
    );
  }
  if (
    gp.stopSequences.some((s) => s === "" || Buffer.byteLength(s, "utf8") > maxStopSequenceBytes)
  ) {
    throw invalidArgument(stopError);
  }
}

/** One input's size after validation. */
export interface ValidatedInput {
  /** Input tokens after truncation (TGIS's `input_token_count`). */
  readonly inputLength: number;
  /** Whether the input was truncated (its first tokens dropped). */
  readonly truncated: boolean;
  /** max_new_tokens after lowering it to fit max_sequence_length. */
  readonly maxNewTokens: number;
  /** Whether it was lowered: reaching it ends with TOKEN_LIMIT instead of MAX_TOKENS. */
  readonly tokenLimited: boolean;
}

/**
 * The per-input checks of `Validation::validate`: truncation (kept only when it shortens), the
 * two input-length errors, and lowering max_new_tokens to the sequence length, each counting
 * the prompt prefix's virtual tokens beside the input's (`input_token_count` stays the input's).
 *
 * @param prefixLength virtual tokens of the request's `prefix_id`; default 0 (none)
 */
export function validateInputLength(
  gp: GenerateParameters,
  rawLength: number,
  limits: TgisLimits,
  prefixLength = 0,
): ValidatedInput {
  const truncated = gp.truncateInputTokens > 0 && gp.truncateInputTokens < rawLength;
  const inputLength = truncated ? gp.truncateInputTokens : rawLength;
  const effective = inputLength + prefixLength;
  const max = limits.maxSequenceLength;
  if (effective >= max) {
    throw invalidArgument(
      `input tokens (${inputLength}) plus prefix length (${prefixLength}) must be < ${max}`,
    );
  }
  if (effective + gp.minNewTokens > max) {
    throw invalidArgument(
      `input tokens (${inputLength}) plus prefix length (${prefixLength}) plus min_new_tokens (${gp.minNewTokens}) must be <= ${max}`,
    );
  }
  const tokenLimited = effective + gp.maxNewTokens > max;
  return {
    inputLength,
    truncated,
    maxNewTokens: tokenLimited ? max - effective : gp.maxNewTokens,
    tokenLimited,
  };
}

/**
 * The prompt prefix's length for `Validation::validate`, or its failure as INVALID_ARGUMENT
 * "can't retrieve prompt prefix with id '<id>': <shard error>" (validation.rs PromptPrefix).
 */
export function prefixLengthOf(
  prefixId: string | undefined,
  lookup: (prefixId: string) => number,
): number {
  if (prefixId === undefined) return 0;
  try {
    return lookup(prefixId);
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    throw invalidArgument(`can't retrieve prompt prefix with id '${prefixId}': ${text}`);
  }
}
