import { describe, expect, it } from "vitest";
import {
  sentenceSpans,
  textClassification,
  tokenClassification,
  tokenClassificationStream,
} from "./classification-tasks.js";

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function* chunks(...texts: string[]): AsyncGenerator<string> {
  yield* texts;
}

describe("classification tasks (pure)", () => {
  it("gives the same scores for the same text, summing to 1 (softmax)", () => {
    // sequence_classification.py: softmax over the model's labels, one result per label.
    const a = textClassification("an ordinary sentence");
    expect(textClassification("an ordinary sentence")).toEqual(a);
    const [negative, positive] = a.results;
    expect((negative?.score.value ?? 0) + (positive?.score.value ?? 0)).toBeCloseTo(1, 6);
  });

  it("flips a negated sentiment word", () => {
    const good = textClassification("good").results[1]?.score.value ?? 0;
    const notGood = textClassification("not good").results[1]?.score.value ?? 1;
    expect(good).toBeGreaterThan(0.5);
    expect(notGood).toBeLessThan(0.5);
  });

  it("splits sentences with Python (code point) offsets", () => {
    // Python str indexes count code points: "😀" is one, not two UTF-16 units.
    const spans = sentenceSpans("😀 Hi there!  Bye?\nok");
    expect(spans).toEqual([
      { start: 0, end: 11, text: "😀 Hi there!" },
      { start: 13, end: 17, text: "Bye?" },
      { start: 18, end: 20, text: "ok" },
    ]);
  });

  it("keeps only scores at or above the threshold", () => {
    // filtered_span_classification.py: `classification.score >= threshold`.
    expect(tokenClassification("Great.", 1.01).results).toEqual([]);
    expect(tokenClassification("Great.", 0).results).toHaveLength(2);
    expect(tokenClassification("Great.").results.map((r) => r.entity)).toEqual(["POSITIVE"]);
  });
});

describe("tokenClassificationStream (bidi)", () => {
  it("gives a span out once the next starts, the rest at the end, processed_index = span end", async () => {
    // filtered_span_classification.py run_bidi_stream / _stream_span_output.
    const out = await collect(tokenClassificationStream(chunks("Great day", ". Awful", " night.")));
    expect(out.map((r) => [r.processed_index, r.results.map((t) => [t.word, t.entity])])).toEqual([
      [10, [["Great day.", "POSITIVE"]]],
      [23, [["Awful night.", "NEGATIVE"]]],
    ]);
    // The second span is placed at the offset after the first (end + 1), keeping its length.
    expect(out[1]?.results[0]?.start).toBe(11);
  });

  it("answers an empty message at 0 for an empty stream, and at the span end below threshold", async () => {
    expect(await collect(tokenClassificationStream(chunks()))).toEqual([
      { results: [], processed_index: 0 },
    ]);
    expect(await collect(tokenClassificationStream(chunks("Fine."), 1.5))).toEqual([
      { results: [], processed_index: 5 },
    ]);
  });
});
