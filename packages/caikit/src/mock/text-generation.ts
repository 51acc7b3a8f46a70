/**
 * Caikit TGIS's text generation and tokenization tasks over TGIS's generation service (the
 * same code the TGIS Standalone mock serves): arguments in, caikit data objects out, as plain
 * values in caikit's key order (REST writes them with `pythonJson`, gRPC copies them into the
 * proto messages). Transport-free.
 *
 * Sources: caikit-tgis.md §1.3-1.5; caikit-nlp `tgis_utils.py` (`unary_generate`,
 * `stream_generate`, `unary_tokenize`).
 */
import { create } from "@bufbuild/protobuf";
import {
  BatchedGenerationRequestSchema,
  BatchedTokenizeRequestSchema,
  type GenerationResponse,
  SingleGenerationRequestSchema,
  StopReason,
  type TokenInfo,
} from "@servingkit/proto/fmaas";
import { toProtoParameters } from "@servingkit/tgis";
import type { GenerationService } from "@servingkit/tgis/mock";
import { asCaikitError } from "./caikit-error.js";
import { PyFloat } from "./python-json.js";
import {
  type TextGenerationArgs,
  toTgisParameters,
  validateTextGeneration,
} from "./text-generation-args.js";

/** caikit-nlp's text-generation producer (caikit-tgis.md §1.4). */
export const textGenerationProducer = { name: "Text Generation", version: "0.1.0" } as const;

/** A GeneratedToken: `{text, logprob, rank}`. */
export interface GeneratedToken {
  readonly text: string;
  readonly logprob: PyFloat;
  readonly rank: number;
}

/** GeneratedTextResult, keys in caikit's order. */
export interface GeneratedTextResult {
  readonly generated_text: string;
  readonly generated_tokens: number;
  readonly finish_reason: string;
  readonly producer_id: { readonly name: string; readonly version: string };
  readonly input_token_count: number;
  readonly seed: bigint | null;
  readonly tokens: readonly GeneratedToken[];
  readonly input_tokens: readonly GeneratedToken[];
}

/** GeneratedTextStreamResult, keys in caikit's order; `producer_id` is null for the TGIS module. */
export interface GeneratedTextStreamResult {
  readonly generated_text: string;
  readonly tokens: readonly GeneratedToken[];
  readonly details: {
    readonly finish_reason: string;
    readonly generated_tokens: number;
    readonly seed: bigint;
    readonly input_token_count: number;
  };
  readonly producer_id: null;
  readonly input_tokens: readonly GeneratedToken[];
}

/** TokenizationResults through the TGIS module: only the count (caikit-tgis.md §1.4, derived). */
export interface TokenizationResult {
  readonly results: null;
  readonly token_count: number;
}

const tokens = (list: readonly TokenInfo[]): GeneratedToken[] =>
  list.map((t) => ({ text: t.text, logprob: new PyFloat(t.logprob), rank: t.rank }));

/** The caikit task functions over a TGIS generation service. Errors are CaikitErrors. */
export interface CaikitTextGeneration {
  /** `TextGenerationTaskPredict` / `POST /api/v1/task/text-generation`. */
  generate(args: TextGenerationArgs, signal?: AbortSignal): Promise<GeneratedTextResult>;
  /**
   * `ServerStreamingTextGenerationTaskPredict` / `.../server-streaming-text-generation`: one
   * result per TGIS stream message. Validation runs when iteration starts (caikit-nlp validates
   * inside the generator), so errors surface from the iterator.
   */
  generateStream(
    args: TextGenerationArgs,
    signal?: AbortSignal,
  ): AsyncIterable<GeneratedTextStreamResult>;
  /** `TokenizationTaskPredict` / `POST /api/v1/task/tokenization`. */
  tokenize(text: string): TokenizationResult;
}

/** Builds the caikit task functions over TGIS's service. */
export function createCaikitTextGeneration(tgis: GenerationService): CaikitTextGeneration {
  return {
    async generate(args, signal) {
      try {
        validateTextGeneration(args);
        const reply = await tgis.generate(
          create(BatchedGenerationRequestSchema, {
            requests: [{ text: args.text }],
            params: toProtoParameters(toTgisParameters(args)),
          }),
          signal,
        );
        const [r] = reply.responses;
        if (r === undefined) throw new Error("Got 0 responses for a single request");
        return {
          generated_text: r.text,
          generated_tokens: r.generatedTokenCount,
          finish_reason: StopReason[r.stopReason],
          producer_id: { ...textGenerationProducer },
          input_token_count: r.inputTokenCount,
          // unary_generate echoes the request seed, not TGIS's.
          seed: args.seed,
          tokens: tokens(r.tokens),
          input_tokens: tokens(r.inputTokens),
        };
      } catch (error) {
        throw asCaikitError(error);
      }
    },
    async *generateStream(args, signal) {
      let stream: AsyncIterable<GenerationResponse>;
      try {
        validateTextGeneration(args);
        stream = await tgis.generateStream(
          create(SingleGenerationRequestSchema, {
            request: { text: args.text },
            params: toProtoParameters(toTgisParameters(args)),
          }),
          signal,
        );
      } catch (error) {
        throw asCaikitError(error);
      }
      try {
        for await (const part of stream) {
          yield {
            generated_text: part.text,
            tokens: tokens(part.tokens),
            details: {
              finish_reason: StopReason[part.stopReason],
              generated_tokens: part.generatedTokenCount,
              seed: part.seed,
              input_token_count: part.inputTokenCount,
            },
            producer_id: null,
            input_tokens: tokens(part.inputTokens),
          };
        }
      } catch (error) {
        throw asCaikitError(error);
      }
    },
    tokenize(text) {
      const [r] = tgis.tokenize(
        create(BatchedTokenizeRequestSchema, { requests: [{ text }] }),
      ).responses;
      return { results: null, token_count: r?.tokenCount ?? 0 };
    },
  };
}
