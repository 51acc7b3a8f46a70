/**
 * The served model as the TGIS code sees it: mock-core's model spec (tokenizer, context length,
 * config) and a text engine generating from it. The default is mock-core's built-in model on
 * its simple engine, paced by the host's clock.
 */
import {
  type Clock,
  createSimpleEngine,
  defaultModelSpec,
  type ModelSpec,
  type TextEngine,
} from "@servingkit/mock-core";

/** A served model: its spec and the engine that generates from it. */
export interface TextModel {
  /** Tokenizer, context length (`maxModelLen`) and raw config. */
  readonly spec: ModelSpec;
  /** The engine. */
  readonly engine: TextEngine;
}

/** Pacing of the simple engine, milliseconds. */
export interface TextModelPacing {
  /** Delay before the first token; default 0. */
  readonly timeToFirstTokenMs?: number;
  /** Delay between tokens; default 0. */
  readonly interTokenMs?: number;
}

/** A model spec on mock-core's simple engine. */
export function simpleTextModel(
  spec: ModelSpec,
  clock: Clock,
  pacing: TextModelPacing = {},
): TextModel {
  return { spec, engine: createSimpleEngine({ clock, model: spec, ...pacing }) };
}

/** mock-core's built-in model (`servingkit-mock`) on the simple engine. */
export async function defaultTextModel(
  clock: Clock,
  pacing: TextModelPacing = {},
): Promise<TextModel> {
  return simpleTextModel(await defaultModelSpec(), clock, pacing);
}

/** Whether the model is encoder-decoder (config `is_encoder_decoder`): ModelInfo's `model_kind`. */
export function isEncoderDecoder(spec: ModelSpec): boolean {
  return spec.config.is_encoder_decoder === true;
}

/** The config keys TGIS's launcher reads for max_sequence_length, in its order (caikit-tgis.md §3.3). */
export const sequenceLengthKeys = [
  "max_position_embeddings",
  "n_positions",
  "max_seq_len",
  "seq_length",
  "max_sequence_length",
  "max_seq_length",
  "seq_len",
] as const;

/**
 * TGIS's default `max_sequence_length` for a model: the first of {@link sequenceLengthKeys} its
 * config sets, else 2048 (launcher, caikit-tgis.md §3.3).
 */
export function tgisMaxSequenceLength(spec: ModelSpec): number {
  for (const key of sequenceLengthKeys) {
    const value = spec.config[key];
    if (typeof value === "number" && Number.isInteger(value) && value > 0) return value;
  }
  return 2048;
}
