/**
 * Python dict order on the wire (wire-json.ts): vLLM's pydantic answers keep insertion order;
 * JavaScript objects would move integer-like keys first.
 */
import { describe, expect, it } from "vitest";
import {
  jsonEscaped,
  jsonScalar,
  jsonString,
  WireText,
  wireJson,
  withKeyOrder,
} from "./wire-json.js";

describe("wireJson", () => {
  it("writes a marked answer's Maps as objects in insertion order, nested too", () => {
    const inner = new Map<string, unknown>([
      ["9", 1],
      [
        "b",
        new Map([
          ["20", "x"],
          ["3", "y"],
        ]),
      ],
    ]);
    const answer = withKeyOrder({ a: [null, inner], text: "q" });
    expect(wireJson(answer)).toBe('{"a":[null,{"9":1,"b":{"20":"x","3":"y"}}],"text":"q"}');
    // The same keys as a plain object come out in numeric order: what the Maps are for.
    expect(JSON.stringify({ "9": 1, "2": 2 })).toBe('{"2":2,"9":1}');
  });

  it("writes an answer already written as text unchanged", () => {
    const text = '{"a":1,"b":"x"}';
    expect(wireJson(new WireText(text))).toBe(text);
  });

  it("leaves unmarked values to JSON.stringify and never writes the mark", () => {
    const plain = { a: 1, b: [true, null] };
    expect(wireJson(plain)).toBe(JSON.stringify(plain));
    expect(wireJson(withKeyOrder({ a: 1 }))).toBe('{"a":1}');
    expect(wireJson("text")).toBe('"text"');
  });

  it("keeps text that looks like a placeholder as it was sent", () => {
    const answer = withKeyOrder({ echo: ":0", m: new Map([["1", 2]]) });
    expect(wireJson(answer)).toBe('{"echo":":0","m":{"1":2}}');
  });
});

describe("jsonString and jsonScalar", () => {
  // The answer templates write strings and scalars with these: the text must be JSON.stringify's
  // exactly (ECMA-262 JSON.stringify QuoteJSONString: quote, backslash, controls, lone surrogates).
  const strings = [
    "",
    "cmpl-8a0f7a8c2c4e4e6f9d1e2b3c4d5e6f70",
    " The quick brown fox.",
    'say "hi"',
    "back\\slash",
    "line\nbreak\ttab\r\b\f",
    "\u0000\u001f\u007f",
    "émoji 😀 ok",
    "lone \ud83d high",
    "lone \ude00 low",
    "\u2028\u2029",
    "</script>",
  ];
  it.each(strings)("jsonString(%j) is JSON.stringify's text", (value) => {
    expect(jsonString(value)).toBe(JSON.stringify(value));
  });

  it.each(strings)("jsonEscaped(%j) is JSON.stringify's text between its quotes", (value) => {
    expect(`"${jsonEscaped(value)}"`).toBe(JSON.stringify(value));
  });

  it("writes every UTF-16 code unit as JSON.stringify does, alone and inside text", () => {
    // ECMA-262 QuoteJSONString: the escape check must agree with JSON.stringify on each of the
    // 65,536 code units (controls, quote, backslash and surrogates escaped; the rest as is).
    const differ: number[] = [];
    for (let code = 0; code <= 0xffff; code++) {
      const unit = String.fromCharCode(code);
      const inside = `a ${unit} b`;
      if (`"${jsonEscaped(unit)}"` !== JSON.stringify(unit)) differ.push(code);
      else if (jsonString(inside) !== JSON.stringify(inside)) differ.push(code);
    }
    expect(differ).toEqual([]);
  });

  it.each([
    null,
    0,
    -0,
    17,
    1763760000,
    -3,
    0.5,
    1e21,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    "stop",
    'a"b',
  ])("jsonScalar(%j) is JSON.stringify's text", (value) => {
    expect(jsonScalar(value)).toBe(JSON.stringify(value));
  });
});
