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
 * Token ids of each built-in sentence per tokenizer, encoded once: the sentences are a fixed set,
 * and encoding them again for every request was a fifth of the engine's time. Encoding is a pure
 * function of the text, so the ids are the same. Kept by the sentence's index, for the sentence
 * as the text begins with it (`first`) and with its leading space (`later`): a look-up is an
 * array read, with no spaced string made and hashed per sentence (about 1.3 µs of a loaded
 * 16-token completion's profile went to that map look-up).
 */
interface SentenceIds {
  readonly first: (readonly number[] | undefined)[];
  readonly later: (readonly number[] | undefined)[];
}

const sentenceCache = new WeakMap<object, SentenceIds>();

/** The encoded sentences of `model`'s tokenizer, filled as sentences are first used. */
function sentenceIdsOf(model: ModelSpec): SentenceIds {
  let known = sentenceCache.get(model.tokenizer);
  if (known === undefined) {
    known = { first: [], later: [] };
    sentenceCache.set(model.tokenizer, known);
  }
  return known;
}

/**
 * Plausible text: 1 to 4 sentences (chosen by `random`), then the natural end; past it, more
 * sentences.
 */
export function textSource(model: ModelSpec, random: () => number): TokenSource {
  return new TextSource(model, random);
}

/** {@link textSource}'s producer: one object per run, no closures made per request. */
class TextSource implements TokenSource {
  readonly #model: ModelSpec;
  readonly #random: () => number;
  readonly #known: SentenceIds;
  #current: readonly number[] = [];
  #at = 0;
  #sentencesLeft: number;
  #first = true;

  constructor(model: ModelSpec, random: () => number) {
    this.#model = model;
    this.#random = random;
    this.#known = sentenceIdsOf(model);
    this.#sentencesLeft = 1 + Math.floor(random() * 4);
  }

  next(mayEnd: boolean): number | undefined {
    while (this.#at >= this.#current.length) {
      if (this.#sentencesLeft <= 0) {
        if (mayEnd) return undefined;
        this.#sentencesLeft = 1;
      }
      this.#sentencesLeft--;
      this.#current = this.#idsOf(Math.floor(this.#random() * sentences.length), this.#first);
      this.#at = 0;
      this.#first = false;
    }
    return this.#current[this.#at++];
  }

  /** Sentence `index`'s ids (with its leading space unless it begins the text), encoded once. */
  #idsOf(index: number, first: boolean): readonly number[] {
    const known = first ? this.#known.first : this.#known.later;
    let ids = known[index];
    if (ids === undefined) {
      const sentence = sentences[index] ?? "";
      ids = this.#model.tokenizer.encode(first ? sentence : ` ${sentence}`, {
        addSpecialTokens: false,
      });
      known[index] = ids;
    }
    return ids;
  }
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

/**
 * `source` without vLLM's bad words (SamplingParams `bad_words`, vllm/v1/sample/ops/bad_words.py):
 * a token is refused when it is the last of a sequence in `badWords` whose other tokens are the
 * last ones produced (output only, never the prompt), and the source is asked again, as vLLM
 * samples another token once that one's logit is minus infinity. `badWords` are token id
 * sequences (each non-empty); the caller tokenizes the words as its family does. A source that
 * keeps offering refused tokens (an echo of a banned prompt) is answered, after 64 tries, by the
 * lowest non-special id that is not refused, so a run always ends. The natural end passes through.
 */
export function withoutBadWords(
  model: ModelSpec,
  source: TokenSource,
  badWords: readonly (readonly number[])[],
): TokenSource {
  return badWords.length === 0 ? source : new BadWordsFilter(model, source, badWords);
}

/** Tries before {@link withoutBadWords} stops asking its source and picks a token itself. */
const badWordTries = 64;

/** {@link withoutBadWords}' filter: the ids produced so far and the sequences to refuse. */
class BadWordsFilter implements TokenSource {
  readonly #model: ModelSpec;
  readonly #source: TokenSource;
  readonly #badWords: readonly (readonly number[])[];
  /** The ids produced, oldest first (only the last longest-word − 1 are ever compared). */
  readonly #produced: number[] = [];

  constructor(model: ModelSpec, source: TokenSource, badWords: readonly (readonly number[])[]) {
    this.#model = model;
    this.#source = source;
    this.#badWords = badWords;
  }

  next(mayEnd: boolean): number | undefined {
    for (let tries = 0; tries < badWordTries; tries++) {
      const id = this.#source.next(mayEnd);
      if (id === undefined) return undefined;
      if (!this.#refuses(id)) return this.#keep(id);
    }
    const { tokenizer } = this.#model;
    for (let id = 0; id < tokenizer.vocabSize; id++) {
      if (!tokenizer.isSpecial(id) && !this.#refuses(id)) return this.#keep(id);
    }
    return undefined;
  }

  #keep(id: number): number {
    this.#produced.push(id);
    return id;
  }

  /** Whether `id` would complete a bad word after the ids produced so far. */
  #refuses(id: number): boolean {
    const produced = this.#produced;
    for (const word of this.#badWords) {
      const last = word.length - 1;
      if (word[last] !== id || last > produced.length) continue;
      let matches = true;
      for (let k = 0; k < last && matches; k++) {
        matches = produced[produced.length - last + k] === word[k];
      }
      if (matches) return true;
    }
    return false;
  }
}
