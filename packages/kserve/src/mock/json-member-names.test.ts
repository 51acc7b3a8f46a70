import { describe, expect, it } from "vitest";
import {
  firstMemberWins,
  hasRepeatedMember,
  memberNames,
  noRepeatedMember,
} from "./json-member-names.js";

describe("memberNames", () => {
  it("keeps document order and every repeat (what JSON.parse collapses)", () => {
    // generate_endpoint_test.py test_duplicate_inputs sends such bodies as raw JSON text.
    const text = '{"PROMPT": "hello", "STREAM": false, "PROMPT": "duplicate", "STREAM": true}';
    expect(Object.keys(JSON.parse(text))).toEqual(["PROMPT", "STREAM"]);
    expect(memberNames(text, "parameters")).toEqual({
      names: ["PROMPT", "STREAM", "PROMPT", "STREAM"],
      nested: undefined,
      // triton_json.h Find / MemberAs*: `object[name]` finds the first member of a name.
      firstWins: { PROMPT: "hello", STREAM: false },
    });
    // No repeat: no second reading.
    expect(memberNames('{"a":1,"parameters":{"b":2}}', "parameters")).toEqual({
      names: ["a", "parameters"],
      nested: ["b"],
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

  it("reads the names of the nested object member, the first one when it repeats (rapidjson's lookup by name)", () => {
    const one = '{"x":1,"parameters":{"max_tokens":1,"x":2,"max_tokens":3},"y":[]}';
    expect(memberNames(one, "parameters")).toEqual({
      names: ["x", "parameters", "y"],
      nested: ["max_tokens", "x", "max_tokens"],
      firstWins: { x: 1, parameters: { max_tokens: 1, x: 2 }, y: [] },
    });
    const twice = '{"parameters":{"a":1},"parameters":{"b":2,"b":3}}';
    expect(memberNames(twice, "parameters").nested).toEqual(["a"]);
    expect(memberNames('{"parameters":5,"parameters":{"a":1}}', "parameters").nested).toBe(
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

describe("hasRepeatedMember", () => {
  it("finds a repeat in any one object, at any depth, not across objects", () => {
    expect(hasRepeatedMember('{"id":"a","inputs":[],"id":"b"}')).toBe(true);
    expect(hasRepeatedMember('{"inputs":[{"name":"x","data":[1],"data":[2]}]}')).toBe(true);
    expect(hasRepeatedMember('{"inputs":[{"name":"x"},{"name":"y"}],"name":"z"}')).toBe(false);
    expect(hasRepeatedMember('{"a":{"b":1},"c":{"b":2}}')).toBe(false);
    expect(hasRepeatedMember('{"data":[1,2,3,4],"s":"\\"a\\":1,\\"a\\":2"}')).toBe(false);
    expect(hasRepeatedMember("[1,2]")).toBe(false);
    expect(() => hasRepeatedMember('{"a":"x')).not.toThrow();
  });
});

describe("firstMemberWins", () => {
  // common include/triton/common/triton_json.h: Find / MemberAsString / MemberAsArray /
  // MemberAsObject read `object[name]`, rapidjson's FindMember: the FIRST member of that name
  // (rapidjson's Parse keeps every member, repeats included).
  it("keeps the first value of a repeated name at every depth, where JSON.parse keeps the last", () => {
    const text =
      '{"id":"first","inputs":[{"name":"INPUT0","shape":[1],"datatype":"INT32","data":[1],"data":[2],"shape":[2]}],"id":"last","parameters":{"a":1},"parameters":{"b":2}}';
    expect(JSON.parse(text)).toMatchObject({ id: "last", parameters: { b: 2 } });
    expect(firstMemberWins(text, JSON.parse(text))).toEqual({
      id: "first",
      inputs: [{ name: "INPUT0", shape: [1], datatype: "INT32", data: [1] }],
      parameters: { a: 1 },
    });
  });

  it("returns the parsed value itself when no name repeats", () => {
    const text = '{"id":"x","inputs":[{"name":"a","data":[[1,2],[3,4]]}]}';
    const parsed = JSON.parse(text);
    expect(firstMemberWins(text, parsed)).toBe(parsed);
  });

  it("keeps values JSON.parse gives (numbers, null, nested arrays) and __proto__ as an own member", () => {
    const text = '{"__proto__":{"x":1},"v":[1.5,-2e3,null,true,"s"],"__proto__":2}';
    const value = firstMemberWins(text, JSON.parse(text)) as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.hasOwn(value, "__proto__")).toBe(true);
    expect(Object.keys(value)).toEqual(["__proto__", "v"]);
    expect(value.v).toEqual([1.5, -2e3, null, true, "s"]);
  });
});

describe("noRepeatedMember", () => {
  const sure = (text: string) => noRepeatedMember(text, JSON.parse(text));
  it("is sure only when every ':' of the text is one key of the parsed value", () => {
    expect(sure('{"id":"a","inputs":[{"name":"x","data":[1,2]}]}')).toBe(true);
    expect(sure('{"a":{"b":1},"c":[{"b":2},[{"d":null}]]}')).toBe(true);
    expect(sure("[1,2]")).toBe(true);
    expect(sure("7")).toBe(true);
    // A repeat: one key fewer than members.
    expect(sure('{"id":"a","inputs":[],"id":"b"}')).toBe(false);
    expect(sure('{"inputs":[{"name":"x","data":[1],"data":[2]}]}')).toBe(false);
    // A ':' inside a string: unknown (false), and hasRepeatedMember decides.
    const colonInString = '{"id":"a:b","inputs":[]}';
    expect(sure(colonInString)).toBe(false);
    expect(firstMemberWins(colonInString, JSON.parse(colonInString))).toEqual({
      id: "a:b",
      inputs: [],
    });
  });

  it("walks deep nesting without recursion", () => {
    const deep = `${"[".repeat(20_000)}{"a":1}${"]".repeat(20_000)}`;
    expect(noRepeatedMember(deep, JSON.parse(deep))).toBe(true);
  });
});
