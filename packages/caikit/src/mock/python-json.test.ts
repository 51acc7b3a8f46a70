import { describe, expect, it } from "vitest";
import { PyFloat, pythonJson, pythonRepr } from "./python-json.js";

describe("pythonJson (json.dumps defaults, caikit-tgis.md §1.4)", () => {
  it("uses Python's separators and keeps key order", () => {
    expect(pythonJson({ b: 1, a: [1, 2], c: { d: null } })).toBe(
      '{"b": 1, "a": [1, 2], "c": {"d": null}}',
    );
  });

  it("writes floats as Python does", () => {
    expect(pythonJson([new PyFloat(1), new PyFloat(-0.5), new PyFloat(1e-7), 2.5])).toBe(
      "[1.0, -0.5, 1e-07, 2.5]",
    );
    expect(pythonJson([new PyFloat(Number.NaN), new PyFloat(-Infinity)])).toBe("[NaN, -Infinity]");
  });

  it("escapes non-ASCII (ensure_ascii) and writes u64 bigints exactly", () => {
    expect(pythonJson({ t: "é☃" })).toBe('{"t": "\\u00e9\\u2603"}');
    expect(pythonJson(18446744073709551615n)).toBe("18446744073709551615");
  });
});

describe("pythonRepr", () => {
  it("quotes as Python's repr(str)", () => {
    expect(pythonRepr("abc")).toBe("'abc'");
    expect(pythonRepr("aren't")).toBe(`"aren't"`);
    expect(pythonRepr(`a'b"c`)).toBe(`'a\\'b"c'`);
    expect(pythonRepr("a\nb\\")).toBe("'a\\nb\\\\'");
  });
});
