/**
 * The served model as the TGIS code sees it: mock-core's model spec (tokenizer, context length,
 * config) and a text engine generating from it, chosen by mock-core's createTextEngine: the
 * simple engine paced by the host's clock on a fixed schedule, or with `--gpu` the simulated GPU
 * (issue 7). The default is mock-core's built-in model on the simple engine.
 */
import { defaultModelSpec, type ModelSpec, type TextEngine } from "@servingkit/mock-core/engine";
import {
  createTextEngine,
  type EngineLogger,
  type GpuBackend,
  type GpuEngineSettings,
} from "@servingkit/mock-core/gpu";
import type { Clock } from "@servingkit/mock-core/host";

/** A served model: its spec and the engine that generates from it. */
export interface TextModel {
  /** Tokenizer, context length (`maxModelLen`) and raw config. */
  readonly spec: ModelSpec;
  /** The engine. */
  readonly engine: TextEngine;
  /** The simulated GPU behind the engine (`--gpu`): queue and batch gauges for `/metrics`. */
  readonly gpu?: GpuBackend;
  /** Stops the engine's timers (the GPU engine's stats line); absent or a no-op for the simple engine. */
  close?(): void;
}

/** Pacing of the simple engine, milliseconds. */
export interface TextModelPacing {
  /** Delay before the first token; default 0. */
  readonly timeToFirstTokenMs?: number;
  /** Delay between tokens; default 0. */
  readonly interTokenMs?: number;
}

/**
 * A model spec on mock-core's simple engine. Tokens keep a fixed schedule (token k due
 * ttft + k × itl after the start), so a slow consumer does not stretch the gaps (mock-core
 * fixedSchedule; docs/benchmarks.md).
 */
export function simpleTextModel(
  spec: ModelSpec,
  clock: Clock,
  pacing: TextModelPacing = {},
): TextModel {
  return textModel(spec, clock, { pacing });
}

/**
 * A model spec on the engine the options choose (mock-core createTextEngine): the simple engine
 * with `pacing`, or with `gpu` the simulated GPU, whose start-up and stats lines go to `logger`.
 * Generation is capped at `spec.maxModelLen` (pass the server's max_sequence_length there).
 * Throws KvCacheStartupError (vLLM's text) when the modelled GPU cannot hold one such request.
 */
export function textModel(
  spec: ModelSpec,
  clock: Clock,
  options: {
    readonly pacing?: TextModelPacing;
    readonly gpu?: GpuEngineSettings;
    readonly logger?: EngineLogger;
  } = {},
): TextModel {
  const created = createTextEngine({ clock, model: spec, ...options });
  return {
    spec,
    engine: created.engine,
    ...(created.gpu ? { gpu: created.gpu } : {}),
    close: created.close,
  };
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
