import { describe, expect, test } from "vitest";
import { defaultModelSpec } from "./model-spec.js";
import { seededRandom } from "./random.js";
import { sentences } from "./sentences.js";
import { type TokenSource, textSource, withoutBadWords } from "./token-source.js";

const model = await defaultModelSpec();

/** A `random` that answers the given draws in order, then 0. */
function draws(...values: number[]): () => number {
  let i = 0;
  return () => values[i++] ?? 0;
}

/** Every id of a source up to its natural end. */
function drain(source: { next(mayEnd: boolean): number | undefined }): number[] {
  const ids: number[] = [];
  for (let id = source.next(true); id !== undefined; id = source.next(true)) ids.push(id);
  return ids;
}

describe("textSource", () => {
  const encode = (text: string) => model.tokenizer.encode(text, { addSpecialTokens: false });
  const draw = (index: number) => (index + 0.5) / sentences.length;

  test("the first sentence as it is, later ones after a space, each encoded by the tokenizer", () => {
    // First draw: 3 sentences (1 + floor(0.5 * 4)); then sentences 5, 2 and 5 again.
    const ids = drain(textSource(model, draws(0.5, draw(5), draw(2), draw(5))));
    const [a = "", b = "", c = ""] = [sentences[5], sentences[2], sentences[5]];
    expect(ids).toEqual([...encode(a), ...encode(` ${b}`), ...encode(` ${c}`)]);
  });

  test("the same sentence at the start and later keeps both encodings apart", () => {
    // Sentence 7 begins one text and follows another: the ids kept per index must not mix.
    const first = drain(textSource(model, draws(0, draw(7))));
    const later = drain(textSource(model, draws(0.25, draw(3), draw(7))));
    const seven = sentences[7] ?? "";
    expect(first).toEqual(encode(seven));
    expect(later).toEqual([...encode(sentences[3] ?? ""), ...encode(` ${seven}`)]);
  });

  test("past the natural end, more sentences after a space", () => {
    const source = textSource(model, draws(0, draw(1), draw(4)));
    const first = drain(source);
    expect(first).toEqual(encode(sentences[1] ?? ""));
    const more: number[] = [];
    const expected = encode(` ${sentences[4] ?? ""}`);
    for (let i = 0; i < expected.length; i++) more.push(source.next(false) as number);
    expect(more).toEqual(expected);
  });
});

describe("withoutBadWords", () => {
  const encode = (text: string) => model.tokenizer.encode(text, { addSpecialTokens: false });
  /** vLLM sampling_params.py update_from_tokenizer: each word bare and after a space. */
  const sequences = (words: readonly string[]) =>
    words.flatMap((word) => [encode(word), encode(` ${word}`)]);
  const words = ["the", "request", "queue until", "Good tests"];
  const banned = words.map((word) => new RegExp(`(^|[^A-Za-z])${word}(?![A-Za-z])`));
  /** `count` ids of a source that may not end (EOS suppressed, as under min_tokens). */
  const take = (source: TokenSource, count: number) =>
    Array.from({ length: count }, () => source.next(false) ?? -1);

  test("over many seeds the text never holds a bad word, which it does unfiltered", () => {
    // vllm/v1/sample/ops/bad_words.py: the last token of a bad word is refused after its prefix.
    let unfilteredHits = 0;
    for (let seed = 1; seed <= 150; seed++) {
      const plain = model.tokenizer.decode(take(textSource(model, seededRandom(seed)), 60));
      if (banned.some((word) => word.test(plain))) unfilteredHits++;
      const source = withoutBadWords(
        model,
        textSource(model, seededRandom(seed)),
        sequences(words),
      );
      const text = model.tokenizer.decode(take(source, 60));
      for (const word of banned) expect(text, `seed ${seed}`).not.toMatch(word);
    }
    expect(unfilteredHits).toBeGreaterThan(100);
  });

  test("only the completing token is refused: a prefix alone passes", () => {
    // "queue until" is refused only when "until" follows "queue"; "queue" stays.
    const seq = encode(" queue until");
    const prefix = seq.slice(0, -1);
    let i = 0;
    const fixed: TokenSource = { next: () => [...seq, ...encode(" ok")][i++] };
    const ids = drain(withoutBadWords(model, fixed, [seq]));
    expect(ids.slice(0, prefix.length)).toEqual(prefix);
    expect(model.tokenizer.decode(ids)).not.toContain("queue until");
  });

  test("a source offering only refused tokens still yields another token", () => {
    const [only = 0] = encode(" the");
    const stuck: TokenSource = { next: () => only };
    const ids = take(withoutBadWords(model, stuck, [[only]]), 3);
    for (const id of ids) {
      expect(id).not.toBe(only);
      expect(model.tokenizer.isSpecial(id)).toBe(false);
    }
  });

  test("no bad words: the source itself", () => {
    const source = textSource(model, seededRandom(3));
    expect(withoutBadWords(model, source, [])).toBe(source);
  });
});
