/**
 * FieldReader: pydantic's reading of a request body (vllm-openai.md §3.2: `Optional[...] = None`
 * fields read absent or null as None; a wrong type is a validation error naming the field). A
 * body with few keys is read by scanning its own keys, one with many by property look-up: both
 * must read alike.
 */
import { describe, expect, it } from "vitest";
import { FieldReader, pyTruthy } from "./validation.js";

/** `body` with `extra` more unread keys, enough to pass the few-keys scan. */
function widened(body: Record<string, unknown>, extra: number): Record<string, unknown> {
  const wide: Record<string, unknown> = { ...body };
  for (let i = 0; i < extra; i++) wide[`unread_${i}`] = i;
  return wide;
}

describe("FieldReader", () => {
  const body = { model: "m", max_tokens: 16, temperature: 0, echo: null, stop: "x", n: 1.5 };

  it.each([
    ["a few keys", body],
    ["many keys", widened(body, 20)],
  ])("reads fields of a body with %s alike: values, absent and null as undefined", (_, input) => {
    const fields = new FieldReader(input);
    expect(fields.string("model")).toBe("m");
    expect(fields.int("max_tokens")).toBe(16);
    expect(fields.number("temperature")).toBe(0);
    // Absent and null read as None (pydantic Optional fields).
    expect(fields.bool("echo")).toBeUndefined();
    expect(fields.raw("top_p")).toBeUndefined();
    expect(fields.stringOrStrings("stop")).toEqual(["x"]);
    expect(fields.error()).toBeUndefined();
    // pydantic int_from_float: 1.5 is no integer; the 400 names the field.
    expect(fields.int("n")).toBeUndefined();
    expect(fields.error()?.message).toContain("'loc': ('body', 'n')");
  });

  it("reads no field of a body that is not an object, and says so", () => {
    const fields = new FieldReader(["model"]);
    expect(fields.raw("model")).toBeUndefined();
    expect(fields.error()?.message).toContain("'type': 'model_attributes_type'");
  });
});

describe("pyTruthy", () => {
  // Python's truth testing (docs.python.org, "Truth Value Testing"): None, False, zero and empty
  // sequences and mappings are false; vLLM's before-validators test the raw body so.
  it.each([
    [undefined, false],
    [null, false],
    [false, false],
    [0, false],
    ["", false],
    [[], false],
    [{}, false],
    [true, true],
    [1, true],
    [-0.5, true],
    ["x", true],
    [[0], true],
    [{ include_usage: false }, true],
  ])("reads %j as %s", (value, truth) => {
    expect(pyTruthy(value)).toBe(truth);
  });
});

describe("FieldReader.bool", () => {
  // pydantic-core str_as_bool / int_as_bool (lax mode, as vLLM's request models read JSON): 0/1
  // and the words 0/1/f/t/n/y/no/yes/off/on/false/true in any case; other numbers and strings
  // are bool_parsing, other types bool_type.
  it.each([
    [0, false],
    [1, true],
    ["Yes", true],
    ["OFF", false],
    ["t", true],
    ["0", false],
  ])("reads %j as %s", (input, truth) => {
    const fields = new FieldReader({ stream: input });
    expect(fields.bool("stream")).toBe(truth);
    expect(fields.error()).toBeUndefined();
  });

  it.each([
    [2, "bool_parsing", "Input should be a valid boolean, unable to interpret input"],
    ["maybe", "bool_parsing", "Input should be a valid boolean, unable to interpret input"],
    [[true], "bool_type", "Input should be a valid boolean"],
  ])("refuses %j as %s", (input, type, msg) => {
    const fields = new FieldReader({ stream: input });
    expect(fields.bool("stream")).toBeUndefined();
    expect(fields.error()?.message).toContain(
      `'type': '${type}', 'loc': ('body', 'stream'), 'msg': '${msg}'`,
    );
  });
});
