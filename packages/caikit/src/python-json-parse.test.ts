import { describe, expect, it } from "vitest";
import { parsePythonJson } from "./python-json-parse.js";

describe("parsePythonJson", () => {
  it("reads Python's bare NaN and infinities, leaving strings alone", () => {
    // caikit-tgis.md §1.4: json.dumps writes NaN/Infinity bare.
    const value = parsePythonJson(
      '{"a": NaN, "b": [Infinity, -Infinity], "c": "NaN \\" Infinity", "d": 1.5}',
    ) as Record<string, unknown>;
    expect(Number.isNaN(value.a)).toBe(true);
    expect(value.b).toEqual([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
    expect(value.c).toBe('NaN " Infinity');
    expect(value.d).toBe(1.5);
  });

  it("still refuses what is not JSON", () => {
    expect(() => parsePythonJson("{nope}")).toThrow();
    expect(() => parsePythonJson("{NaN}")).toThrow();
  });
});
