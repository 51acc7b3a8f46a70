/**
 * A flat, friendly parameter object for TGIS generation and its mapping onto the nested proto
 * `fmaas.Parameters` (method, sampling, stopping, response, decoding, truncation). Pure; Caikit
 * TGIS maps its REST and gRPC parameters through it too, as caikit-nlp does onto TGIS.
 */
import { create } from "@bufbuild/protobuf";
import { DecodingMethod, type Parameters, ParametersSchema } from "@servingkit/proto/fmaas";

/**
 * TGIS generation parameters. Every field is optional; unset fields are not sent, and the server
 * applies its defaults (caikit-tgis.md §3.3): greedy, 20 new tokens, include the stop sequence.
 */
export interface TgisParameters {
  /** `greedy` (default) or `sample`; the sampling fields below are ignored under greedy. */
  readonly method?: "greedy" | "sample";
  /** Sampling temperature (≥ 0.05; 0 = 1.0 under sample). */
  readonly temperature?: number;
  /** Top-k sampling; 0 = off. */
  readonly topK?: number;
  /** Nucleus sampling, in (0, 1]. */
  readonly topP?: number;
  /** Typical sampling, ≤ 1; 0 = off. */
  readonly typicalP?: number;
  /** Sampling seed (u64); unset under sample, the server picks one and returns it. */
  readonly seed?: bigint | number;
  /** Most new tokens; default 20, at most the server's max_new_tokens. */
  readonly maxNewTokens?: number;
  /** Fewest new tokens before EOS or a stop sequence may end the text. */
  readonly minNewTokens?: number;
  /** Time limit of the generation in milliseconds; 0 = none. */
  readonly timeLimitMs?: number;
  /** At most 6, each 1 to 240 UTF-8 bytes. */
  readonly stopSequences?: readonly string[];
  /** Keep the matched stop sequence in the text; default the server's flag (true). */
  readonly includeStopSequence?: boolean;
  /** Return the prompt before the generated text. */
  readonly inputText?: boolean;
  /** Return details of each generated token. */
  readonly generatedTokens?: boolean;
  /** Return details of each input token. */
  readonly inputTokens?: boolean;
  /** Add log-probabilities to token details. */
  readonly tokenLogprobs?: boolean;
  /** Add ranks (1-based) to token details. */
  readonly tokenRanks?: boolean;
  /** Add the top N candidates (≤ 5) to token details. */
  readonly topNTokens?: number;
  /** Repetition penalty, > 0; 1 = none. */
  readonly repetitionPenalty?: number;
  /**
   * Exponential length penalty; TGIS reads it only together with `repetitionPenalty`
   * (grpc_server.rs `convert_params`).
   */
  readonly lengthPenalty?: { readonly startIndex: number; readonly decayFactor: number };
  /** Keep only the last N input tokens; 0 = all. */
  readonly truncateInputTokens?: number;
}

/** Maps {@link TgisParameters} onto the proto `fmaas.Parameters` TGIS reads. */
export function toProtoParameters(p: TgisParameters = {}): Parameters {
  return create(ParametersSchema, {
    method: p.method === "sample" ? DecodingMethod.SAMPLE : DecodingMethod.GREEDY,
    sampling: {
      temperature: p.temperature ?? 0,
      topK: p.topK ?? 0,
      topP: p.topP ?? 0,
      typicalP: p.typicalP ?? 0,
      ...(p.seed === undefined ? {} : { seed: BigInt(p.seed) }),
    },
    stopping: {
      maxNewTokens: p.maxNewTokens ?? 0,
      minNewTokens: p.minNewTokens ?? 0,
      timeLimitMillis: p.timeLimitMs ?? 0,
      stopSequences: [...(p.stopSequences ?? [])],
      ...(p.includeStopSequence === undefined
        ? {}
        : { includeStopSequence: p.includeStopSequence }),
    },
    response: {
      inputText: p.inputText ?? false,
      generatedTokens: p.generatedTokens ?? false,
      inputTokens: p.inputTokens ?? false,
      tokenLogprobs: p.tokenLogprobs ?? false,
      tokenRanks: p.tokenRanks ?? false,
      topNTokens: p.topNTokens ?? 0,
    },
    decoding: {
      repetitionPenalty: p.repetitionPenalty ?? 0,
      ...(p.lengthPenalty === undefined ? {} : { lengthPenalty: { ...p.lengthPenalty } }),
    },
    truncateInputTokens: p.truncateInputTokens ?? 0,
  });
}
