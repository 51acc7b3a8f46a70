/**
 * Triton's JSON writer (common triton_json.h sets rapidjson's kWriteNanAndInfFlag) writes
 * non-finite floats bare; the mock's generate answers show it (triton-vllm-model.test.ts
 * "cumulative_logprob without logprobs").
 */
import { describe, expect, it } from "vitest";
import { parseTritonJson } from "./triton-json.js";

describe("parseTritonJson", () => {
  it("reads plain JSON as JSON.parse does", () => {
    expect(parseTritonJson('{"model_name":"m","text_output":"NaN is a word"}')).toEqual({
      model_name: "m",
      text_output: "NaN is a word",
    });
  });

  it("reads bare NaN, Infinity and -Infinity as numbers, words in strings untouched", () => {
    const value = parseTritonJson(
      '{"cumulative_logprob":NaN,"x":[Infinity,-Infinity,1.5],"text_output":"Infinity"}',
    ) as { cumulative_logprob: number; x: number[]; text_output: string };
    expect(value.cumulative_logprob).toBeNaN();
    expect(value.x).toEqual([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1.5]);
    expect(value.text_output).toBe("Infinity");
  });

  it("throws JSON.parse's error for text that is not JSON, with or without the words", () => {
    expect(() => parseTritonJson("{oops")).toThrow(SyntaxError);
    expect(() => parseTritonJson("{NaN oops")).toThrow(SyntaxError);
  });
});
