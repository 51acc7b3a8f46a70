import { describe, expect, it } from "vitest";
import { memberNames } from "./json-member-names.js";

describe("memberNames", () => {
  it("keeps document order and every repeat (what JSON.parse collapses)", () => {
    // generate_endpoint_test.py test_duplicate_inputs sends such bodies as raw JSON text.
    const text = '{"PROMPT": "hello", "STREAM": false, "PROMPT": "duplicate", "STREAM": true}';
    expect(Object.keys(JSON.parse(text))).toEqual(["PROMPT", "STREAM"]);
    expect(memberNames(text, "parameters")).toEqual({
      names: ["PROMPT", "STREAM", "PROMPT", "STREAM"],
      nested: undefined,
    });
  });

  it("skips nested values whatever they hold: strings with quotes and brackets, arrays, objects", () => {
    const text = ` \n{"a":"x\\"}]{[","b":[1,[2,{"c":"]"}],3],"d":{"e":{"f":null}},"g":-1.5e3,"h":true,"a":null}`;
    expect(JSON.parse(text)).toBeTruthy();
    expect(memberNames(text, "parameters").names).toEqual(["a", "b", "d", "g", "h", "a"]);
  });

  it("decodes escaped names", () => {
    const text = String.raw`{"\u0041":1,"q\"uote":2,"back\\":3,"A":4}`;
    expect(memberNames(text, "parameters").names).toEqual(["A", 'q"uote', "back\\", "A"]);
  });

  it("reads the names of the nested object member, the last one when it repeats", () => {
    const one = '{"x":1,"parameters":{"max_tokens":1,"x":2,"max_tokens":3},"y":[]}';
    expect(memberNames(one, "parameters")).toEqual({
      names: ["x", "parameters", "y"],
      nested: ["max_tokens", "x", "max_tokens"],
    });
    const twice = '{"parameters":{"a":1},"parameters":{"b":2,"b":3}}';
    expect(memberNames(twice, "parameters").nested).toEqual(["b", "b"]);
    expect(memberNames('{"parameters":{"a":1},"parameters":5}', "parameters").nested).toBe(
      undefined,
    );
    expect(memberNames('{"parameters":{}}', "parameters").nested).toEqual([]);
  });

  it("gives no names for text that is not an object, and never throws on broken text", () => {
    expect(memberNames("[1,2]", "parameters").names).toEqual([]);
    expect(memberNames('"s"', "parameters").names).toEqual([]);
    expect(memberNames("{}", "parameters").names).toEqual([]);
    expect(memberNames('{"a":', "parameters").names).toEqual(["a"]);
    expect(memberNames('{"a":[1,', "parameters").names).toEqual(["a"]);
    expect(() => memberNames('{"a', "parameters")).not.toThrow();
    expect(() => memberNames('{"a":"x', "parameters")).not.toThrow();
  });
});
