import { describe, expect, test } from "vitest";
import { defaultModelSpec } from "./model-spec.js";
import { sentences } from "./sentences.js";
import { textSource } from "./token-source.js";

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
