import { describe, expect, it } from "vitest";
import { constrainedText } from "./constrained-text.js";
import { StructuredOutputError } from "./structured-output-error.js";

// vllm/sampling_params.py StructuredOutputsParams: exactly one of json, choice, regex, grammar.
describe("constrainedText", () => {
  it("gives text of each kind, the same for the same seed", () => {
    const json = constrainedText(
      { json: { type: "object", required: ["a"], properties: { a: { type: "integer" } } } },
      4,
    );
    expect(Number.isInteger((JSON.parse(json) as { a: unknown }).a)).toBe(true);
    expect(constrainedText({ json: '{"type": "boolean"}' }, 1)).toMatch(/^(true|false)$/);
    expect(constrainedText({ choice: ["yes", "no", "maybe"] }, 4)).toBe("no");
    expect(constrainedText({ choice: [] }, 4)).toBe("");
    expect(constrainedText({ regex: "[a-c]{3}" }, 2)).toMatch(/^[a-c]{3}$/);
    expect(constrainedText({ grammar: 'root ::= "hi" | "ho"' }, 2)).toMatch(/^h[io]$/);
    expect(constrainedText({ regex: "[a-z]{8}" }, 9)).toBe(
      constrainedText({ regex: "[a-z]{8}" }, 9),
    );
  });

  it("throws the backend's refusal as StructuredOutputError", () => {
    expect(() => constrainedText({ regex: "(a)\\1" }, 0)).toThrow(StructuredOutputError);
    expect(() => constrainedText({ json: "{not json" }, 0)).toThrow(StructuredOutputError);
  });
});
