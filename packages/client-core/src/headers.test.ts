import { describe, expect, it } from "vitest";
import { Code } from "./code.js";
import { mergeHeaders } from "./headers.js";

describe("mergeHeaders", () => {
  it("lets later sets win, case-insensitively", () => {
    const merged = mergeHeaders({ Accept: "a" }, { accept: "b" }, new Headers({ ACCEPT: "c" }));
    expect(merged.get("accept")).toBe("c");
  });

  it("removes a header given as null or undefined", () => {
    const merged = mergeHeaders(
      { authorization: "Bearer t", accept: "x" },
      { authorization: null },
    );
    expect(merged.has("authorization")).toBe(false);
    expect(merged.get("accept")).toBe("x");
    expect(mergeHeaders({ a: "1" }, { a: undefined }).has("a")).toBe(false);
  });

  it("accepts tuples and keeps repeated names of one set", () => {
    const merged = mergeHeaders({ x: "0" }, [
      ["x", "1"],
      ["x", "2"],
    ]);
    expect(merged.get("x")).toBe("1, 2");
  });

  it("skips undefined sets", () => {
    expect([...mergeHeaders(undefined, { a: "1" }, undefined)]).toEqual([["a", "1"]]);
  });

  it("rejects invalid names and values with INVALID_ARGUMENT, without echoing the value", () => {
    for (const set of [{ authorization: "Bearer a\nb" }, { "bad name": "x" }]) {
      let error: unknown;
      try {
        mergeHeaders(set);
      } catch (thrown) {
        error = thrown;
      }
      expect(error).toMatchObject({ code: Code.InvalidArgument, retryable: false });
      expect(String(error)).not.toContain("Bearer a");
    }
  });
});
