import { describe, expect, it } from "vitest";
import { pythonJsonDecodeError, pythonJsonLoads } from "./python-json.js";

// Every expected text below is str(json.JSONDecodeError) from CPython's json.loads (C scanner;
// 3.11 and 3.12 word these alike; 3.13 adds "Illegal trailing comma ..."), run on the same input.
describe("pythonJsonLoads: CPython's json.loads", () => {
  it("answers Python's JSONDecodeError text and offset", () => {
    const cases: readonly (readonly [string, string])[] = [
      ["", "Expecting value: line 1 column 1 (char 0)"],
      ["  hello", "Expecting value: line 1 column 3 (char 2)"],
      ["{} x", "Extra data: line 1 column 4 (char 3)"],
      ["{'a': 1}", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"],
      ['{"a" 1}', "Expecting ':' delimiter: line 1 column 6 (char 5)"],
      ['{"a": 1 "b": 2}', "Expecting ',' delimiter: line 1 column 9 (char 8)"],
      ["[1 2]", "Expecting ',' delimiter: line 1 column 4 (char 3)"],
      ["[1,]", "Expecting value: line 1 column 4 (char 3)"],
      ['{"a":1,}', "Expecting property name enclosed in double quotes: line 1 column 8 (char 7)"],
      ['"abc', "Unterminated string starting at: line 1 column 1 (char 0)"],
      ['"a\tb"', "Invalid control character at: line 1 column 3 (char 2)"],
      ['"\\q"', "Invalid \\escape: line 1 column 2 (char 1)"],
      ['"\\u12x4"', "Invalid \\uXXXX escape: line 1 column 3 (char 2)"],
      ['"\\ud83d', "Invalid \\uXXXX escape: line 1 column 3 (char 2)"],
      ["1.", "Extra data: line 1 column 2 (char 1)"],
      ["-", "Expecting value: line 1 column 1 (char 0)"],
      ['{\n  "type": "object"\n  "x": 1}', "Expecting ',' delimiter: line 3 column 3 (char 23)"],
      ["\ufeff{}", "Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)"],
    ];
    for (const [text, error] of cases)
      expect([text, pythonJsonLoads(text)]).toEqual([text, { error }]);
  });

  it("counts offsets in code points, as Python's str does", () => {
    // json.loads('{"😀": 1 x}'): the emoji is one character in Python, two UTF-16 units in JS.
    expect(pythonJsonLoads('{"😀": 1 x}')).toEqual({
      error: "Expecting ',' delimiter: line 1 column 9 (char 8)",
    });
  });

  it("reads what Python reads, NaN and Infinity included", () => {
    expect(pythonJsonLoads('{"type": "object", "required": ["a"]}')).toEqual({
      value: { type: "object", required: ["a"] },
    });
    expect(pythonJsonLoads("[NaN, Infinity, -Infinity]")).toEqual({
      value: [Number.NaN, Infinity, -Infinity],
    });
    const proto = pythonJsonLoads('{"__proto__": 1, "a": NaN}');
    expect("value" in proto && Object.keys(proto.value as object)).toEqual(["__proto__", "a"]);
  });
});

// JSONDecodeError's `msg` and `pos` attributes, which FastAPI quotes in its json_invalid entry
// (fastapi/routing.py: loc ("body", e.pos), ctx {"error": e.msg}).
describe("pythonJsonDecodeError: the exception's msg and pos", () => {
  it("gives the words alone and the offset in code points", () => {
    expect(pythonJsonDecodeError('{"a": 1 "b": 2}')).toEqual({
      msg: "Expecting ',' delimiter",
      pos: 8,
    });
    expect(pythonJsonDecodeError("{not json")).toEqual({
      msg: "Expecting property name enclosed in double quotes",
      pos: 1,
    });
    expect(pythonJsonDecodeError('{"😀": 1 x}')).toEqual({
      msg: "Expecting ',' delimiter",
      pos: 8,
    });
  });

  it("is undefined for text Python reads, NaN included", () => {
    expect(pythonJsonDecodeError('{"a": [1, 2]}')).toBeUndefined();
    expect(pythonJsonDecodeError('{"a": NaN}')).toBeUndefined();
  });
});
