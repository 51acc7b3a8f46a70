/**
 * The text engine the TGIS generation code drives: the shape of mock-core's engine API
 * (`packages/mock-core/src/engine/`, being written beside this package), restated structurally so
 * this package builds before it lands, plus an interim word-level engine used until then.
 *
 * When mock-core exports `createSimpleEngine` and `defaultModelSpec`, the module default switches
 * to them and {@link interimTextModel} goes away; the handlers only see {@link TextModel}.
 */
import type { Clock } from "@servingkit/mock-core";

/** What the TGIS code needs of a tokenizer (a subset of mock-core's `Tokenizer`). */
export interface TextTokenizer {
  /** Token ids of `text`, without special tokens unless asked. */
  encode(text: string, options?: { addSpecialTokens?: boolean }): number[];
  /** The text of a list of ids. */
  decode(ids: readonly number[], options?: { skipSpecialTokens?: boolean }): string;
  /** The surface text of one token (what TGIS returns in `tokens`). */
  tokenText(id: number): string;
  /** `[start, end)` character offsets of each token of `text`. */
  offsets(text: string): [number, number][];
}

/** One generation as the engine takes it (mock-core's `GenerationRequest`, the fields used here). */
export interface EngineRequest {
  /** The prompt, already truncated. */
  readonly promptIds: readonly number[];
  /** Most new tokens. */
  readonly maxTokens: number;
  /** No EOS before this many tokens. */
  readonly minTokens?: number;
  /** 0 or undefined: greedy. */
  readonly temperature?: number;
  /** Nucleus sampling mass. */
  readonly topP?: number;
  /** Top-k sampling; 0 off. */
  readonly topK?: number;
  /** The sampling seed. */
  readonly seed?: number;
  /** Log-probabilities wanted (top-n candidates when > 0). */
  readonly logprobs?: number;
}

/** One event of a generation (mock-core's `GenerationEvent`). */
export type EngineEvent =
  | {
      readonly type: "token";
      readonly id: number;
      readonly text: string;
      readonly logprob?: number;
      readonly top?: readonly {
        readonly id: number;
        readonly text: string;
        readonly logprob: number;
      }[];
    }
  | {
      readonly type: "finish";
      readonly reason: "length" | "stop" | "eos" | "abort";
      readonly stop?: string;
      readonly seed: number;
      readonly promptTokens: number;
      readonly completionTokens: number;
    };

/** A text engine (mock-core's `TextEngine`). */
export interface TextEngineLike {
  /** Streams the tokens of one generation; ends with a `finish` event. */
  generate(request: EngineRequest, options?: { signal?: AbortSignal }): AsyncIterable<EngineEvent>;
}

/** A served model as the TGIS code sees it. */
export interface TextModel {
  /** Its tokenizer. */
  readonly tokenizer: TextTokenizer;
  /** Its engine. */
  readonly engine: TextEngineLike;
  /** The model's own context length (config `max_position_embeddings` ...), tokens. */
  readonly maxModelLen: number;
  /** Whether it is an encoder-decoder (seq2seq) model: ModelInfo's `model_kind`. */
  readonly encoderDecoder: boolean;
}

const wordPattern = /\s*\S+|\s+$/gu;

/** 32-bit FNV-1a: a stable number for a string. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** mulberry32: a tiny seeded PRNG, so a seed always gives the same sampled text. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const fillerWords = [" the", " model", " answers", " with", " a", " short", " text", "."];

/**
 * The interim model: a word tokenizer (a token is a run of non-space characters with the spaces
 * before it) whose vocabulary grows as texts arrive, and an engine that continues the prompt
 * deterministically: greedy repeats a fixed sentence, sampling draws words with a seeded PRNG.
 * It never emits EOS, so `max_new_tokens` decides the length unless a stop sequence or time
 * limit ends it first.
 */
export function interimTextModel(
  clock: Clock,
  options: { maxModelLen?: number; interTokenMs?: number } = {},
): TextModel {
  const vocabulary = new Map<string, number>();
  const texts: string[] = [];
  const idOf = (piece: string): number => {
    let id = vocabulary.get(piece);
    if (id === undefined) {
      id = texts.length;
      vocabulary.set(piece, id);
      texts.push(piece);
    }
    return id;
  };
  const tokenizer: TextTokenizer = {
    encode: (text) => (text.match(wordPattern) ?? []).map(idOf),
    decode: (ids) => ids.map((id) => texts[id] ?? "").join(""),
    tokenText: (id) => texts[id] ?? "",
    offsets: (text) => [...text.matchAll(wordPattern)].map((m) => [m.index, m.index + m[0].length]),
  };
  const interTokenMs = options.interTokenMs ?? 0;
  const engine: TextEngineLike = {
    async *generate(request, { signal } = {}) {
      const sampling = (request.temperature ?? 0) > 0;
      const seed = sampling ? (request.seed ?? 0) : 0;
      const random = seededRandom(seed);
      let produced = 0;
      while (produced < request.maxTokens) {
        if (signal?.aborted) {
          yield finish("abort");
          return;
        }
        if (interTokenMs > 0) await clock.sleep(interTokenMs, signal).catch(() => undefined);
        const index = sampling
          ? Math.floor(random() * fillerWords.length)
          : produced % fillerWords.length;
        const text = fillerWords[index] ?? ".";
        const id = idOf(text);
        const logprob = -((fnv1a(`${text}:${produced}`) % 1000) / 1000) - (sampling ? 0.5 : 0);
        const top = fillerWords
          .slice(0, Math.max(1, request.logprobs ?? 0))
          .map((word, rank) => ({ id: idOf(word), text: word, logprob: logprob - rank * 0.25 }));
        produced += 1;
        yield { type: "token", id, text, logprob, top };
      }
      yield finish("length");
      function finish(reason: "length" | "abort"): EngineEvent {
        return {
          type: "finish",
          reason,
          seed,
          promptTokens: request.promptIds.length,
          completionTokens: produced,
        };
      }
    },
  };
  return {
    tokenizer,
    engine,
    maxModelLen: options.maxModelLen ?? 2048,
    encoderDecoder: false,
  };
}
