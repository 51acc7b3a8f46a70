/**
 * Where the simple engine's tokens come from: pure, seeded producers of token ids, one per mode.
 * "text" strings together the built-in sentences (src/engine/sentences.ts) encoded by the served
 * model's tokenizer, so ids are real ids of that model; "echo" repeats the prompt.
 */
import type { ModelSpec } from "./model-spec.js";
import { sentences } from "./sentences.js";

/** A stream of token ids with a natural end (where a model would emit EOS). */
export interface TokenSource {
  /**
   * The next id, or undefined at the natural end when `mayEnd` is true. When `mayEnd` is false
   * (EOS suppressed by min tokens or ignore_eos) the source goes on past its end.
   */
  next(mayEnd: boolean): number | undefined;
}

/**
 * Token ids of each built-in sentence (with or without its leading space) per tokenizer, encoded
 * once: the sentences are a fixed set, and encoding them again for every request was a fifth of
 * the engine's time. Encoding is a pure function of the text, so the ids are the same.
 */
const sentenceCache = new WeakMap<object, Map<string, readonly number[]>>();

/** The encoded sentences of `model`'s tokenizer, filled as sentences are first used. */
function sentenceIdsOf(model: ModelSpec): (text: string) => readonly number[] {
  let known = sentenceCache.get(model.tokenizer);
  if (known === undefined) {
    known = new Map();
    sentenceCache.set(model.tokenizer, known);
  }
  const cache = known;
  return (text) => {
    let ids = cache.get(text);
    if (ids === undefined) {
      ids = model.tokenizer.encode(text, { addSpecialTokens: false });
      cache.set(text, ids);
    }
    return ids;
  };
}

/**
 * Plausible text: 1 to 4 sentences (chosen by `random`), then the natural end; past it, more
 * sentences.
 */
export function textSource(model: ModelSpec, random: () => number): TokenSource {
  const sentenceIds = sentenceIdsOf(model);
  let current: readonly number[] = [];
  let at = 0;
  let sentencesLeft = 1 + Math.floor(random() * 4);
  let first = true;
  const pick = () => sentences[Math.floor(random() * sentences.length)] ?? "";
  return {
    next(mayEnd) {
      while (at >= current.length) {
        if (sentencesLeft <= 0) {
          if (mayEnd) return undefined;
          sentencesLeft = 1;
        }
        sentencesLeft--;
        current = sentenceIds(first ? pick() : ` ${pick()}`);
        at = 0;
        first = false;
      }
      return current[at++];
    },
  };
}

/** The prompt's non-special tokens in order; past the end it starts over. */
export function echoSource(model: ModelSpec, promptIds: readonly number[]): TokenSource {
  const ids = promptIds.filter((id) => !model.tokenizer.isSpecial(id));
  let index = 0;
  return {
    next(mayEnd) {
      if (index >= ids.length) {
        if (mayEnd || ids.length === 0) return undefined;
        index = 0;
      }
      return ids[index++];
    },
  };
}

/**
 * Exactly `text` (encoded without special tokens), then the natural end; past it, `after` (for
 * ignore_eos / min_tokens). For output a family composes itself: JSON that validates against a
 * schema, tool calls.
 */
export function forcedSource(model: ModelSpec, text: string, after: TokenSource): TokenSource {
  const ids = model.tokenizer.encode(text, { addSpecialTokens: false });
  let index = 0;
  return {
    next(mayEnd) {
      if (index < ids.length) return ids[index++];
      return mayEnd ? undefined : after.next(false);
    },
  };
}
