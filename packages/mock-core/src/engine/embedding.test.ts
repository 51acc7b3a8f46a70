import { describe, expect, test } from "vitest";
import { cosineSimilarity, embedText } from "./embedding.js";

describe("embedText", () => {
  test("has the requested length and unit L2 norm", () => {
    for (const dim of [1, 8, 384, 4096]) {
      const v = embedText("The cat slept in the sun.", dim);
      expect(v).toHaveLength(dim);
      expect(Math.hypot(...v)).toBeCloseTo(1, 12);
    }
  });

  test("is deterministic and case-insensitive over words", () => {
    expect(embedText("Hello, world!", 64)).toEqual(embedText("Hello, world!", 64));
    expect(embedText("Hello, world!", 64)).toEqual(embedText("hello world", 64));
  });

  test("texts sharing words are closer than unrelated texts", () => {
    // issue 3 "Embeddings" / issue 5: texts sharing words score a higher cosine
    const a = embedText("the weather is cold and rainy today", 384);
    const b = embedText("today the weather is rainy", 384);
    const c = embedText("kubernetes schedules pods onto nodes", 384);
    expect(cosineSimilarity(a, b)).toBeGreaterThan(0.5);
    expect(cosineSimilarity(a, b)).toBeGreaterThan(cosineSimilarity(a, c) + 0.3);
  });

  test("word order matters a little (bigrams)", () => {
    const a = embedText("dog bites man", 384);
    const b = embedText("man bites dog", 384);
    expect(cosineSimilarity(a, b)).toBeLessThan(0.99);
    expect(cosineSimilarity(a, b)).toBeGreaterThan(0.3);
  });

  test("empty text still gives a unit vector", () => {
    expect(Math.hypot(...embedText("", 16))).toBeCloseTo(1, 12);
    expect(embedText("", 16)).toEqual(embedText("  ...  ", 16));
  });

  test("refuses a dimension that is not a positive integer", () => {
    expect(() => embedText("x", 0)).toThrow(RangeError);
    expect(() => embedText("x", 2.5)).toThrow(/positive integer/);
  });
});

describe("cosineSimilarity", () => {
  test("is 1 for the same direction, 0 with a zero vector, and refuses mismatched lengths", () => {
    expect(cosineSimilarity([1, 2], [2, 4])).toBeCloseTo(1, 12);
    expect(cosineSimilarity([0, 0], [1, 0])).toBe(0);
    expect(() => cosineSimilarity([1], [1, 2])).toThrow(RangeError);
  });
});
