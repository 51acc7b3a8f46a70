/**
 * Python's json.dumps (caikit-tgis.md §1.4) and Triton's JSON writer (common triton_json.h sets
 * rapidjson's kWriteNanAndInfFlag) write non-finite floats bare; the Caikit TGIS and Triton mocks'
 * answers show it (their clients' tests read them).
 */
import { describe, expect, it } from "vitest";
import { parseJsonWithNonFinite } from "./non-finite-json.js";

describe("parseJsonWithNonFinite", () => {
  it("reads plain JSON as JSON.parse does", () => {
    expect(parseJsonWithNonFinite('{"model_name":"m","text_output":"NaN is a word"}')).toEqual({
      model_name: "m",
      text_output: "NaN is a word",
    });
  });

  it("reads bare NaN, Infinity and -Infinity as numbers, words in strings untouched", () => {
    const value = parseJsonWithNonFinite(
      '{"a": NaN, "b": [Infinity, -Infinity, 1.5], "c": "NaN \\" Infinity"}',
    ) as { a: number; b: number[]; c: string };
    expect(value.a).toBeNaN();
    expect(value.b).toEqual([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1.5]);
    expect(value.c).toBe('NaN " Infinity');
  });

  it("throws JSON.parse's error for text that is not JSON, with or without the words", () => {
    expect(() => parseJsonWithNonFinite("{oops")).toThrow(SyntaxError);
    expect(() => parseJsonWithNonFinite("{NaN oops")).toThrow(SyntaxError);
    expect(() => parseJsonWithNonFinite("{NaN}")).toThrow(SyntaxError);
  });
});
