import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { sampleJson } from "./json-sample.js";
import { StructuredOutputError } from "./structured-output-error.js";

const ajv = new Ajv({ strict: false });

const schemas: Record<string, object> = {
  weather: {
    type: "object",
    properties: {
      location: { type: "string", minLength: 3 },
      unit: { type: "string", enum: ["celsius", "fahrenheit"] },
      days: { type: "integer", minimum: 1, maximum: 7 },
    },
    required: ["location", "unit"],
  },
  nested: {
    type: "object",
    $defs: {
      tag: {
        type: "object",
        properties: { name: { type: "string", maxLength: 4 } },
        required: ["name"],
      },
    },
    properties: {
      tags: { type: "array", items: { $ref: "#/$defs/tag" }, minItems: 2 },
      score: { type: "number", exclusiveMinimum: 0, exclusiveMaximum: 1 },
      when: { type: "string", format: "date-time" },
      maybe: { type: ["null", "boolean"] },
      pick: { anyOf: [{ type: "integer", multipleOf: 5, minimum: 3 }, { type: "string" }] },
      fixed: { const: "v1" },
    },
    required: ["tags", "score"],
  },
  allOf: {
    allOf: [
      { type: "object", properties: { a: { type: "string" } }, required: ["a"] },
      { properties: { b: { type: "integer" } }, required: ["b"] },
    ],
  },
};

describe("sampleJson", () => {
  for (const [name, schema] of Object.entries(schemas)) {
    it(`conforms to ${name} for several seeds`, () => {
      const validate = ajv.compile(schema);
      for (let seed = 0; seed < 12; seed += 1) {
        const value = sampleJson(schema, seed);
        expect(validate(value), JSON.stringify([value, validate.errors])).toBe(true);
      }
    });
  }
});

// vllm/sampling_params.py, the `auto` backend (the default): validate_xgrammar_grammar
// (backend_xgrammar.py) raises for a schema string json.loads refuses ("Invalid JSON grammar
// specification.") or for features xgrammar lacks; the fallback catches that, loads the string
// again with json.loads (whose JSONDecodeError escapes: the 400's text) and hands anything that
// parses to guidance (backend_guidance.py), or to outlines for patternProperties.
describe("sampleJson: schema text and the auto backend's refusals", () => {
  it("reads a schema given as JSON text", () => {
    const value = sampleJson(
      '{"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}',
      1,
    );
    expect(typeof (value as { n: unknown }).n).toBe("number");
  });

  it("refuses text that does not parse with Python's JSONDecodeError text", () => {
    const refused = (text: string) => {
      try {
        sampleJson(text, 0);
      } catch (error) {
        expect(error).toBeInstanceOf(StructuredOutputError);
        return (error as Error).message;
      }
      return expect.unreachable();
    };
    expect(refused("{not json")).toBe(
      "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
    );
    expect(refused("")).toBe("Expecting value: line 1 column 1 (char 0)");
    expect(refused('{"type": "object"} }')).toBe("Extra data: line 1 column 20 (char 19)");
  });

  it("accepts what xgrammar refuses: auto falls back to guidance or outlines", () => {
    // has_xgrammar_unsupported_json_features: multipleOf, uniqueItems, an unknown string format;
    // has_guidance_unsupported_json_features: patternProperties (outlines then takes it).
    expect(sampleJson({ type: "integer", multipleOf: 5, minimum: 1 }, 2)).toSatisfy(
      (n: unknown) => typeof n === "number" && n % 5 === 0,
    );
    expect(Array.isArray(sampleJson('{"type": "array", "uniqueItems": true}', 0))).toBe(true);
    expect(typeof sampleJson({ type: "string", format: "color" }, 0)).toBe("string");
    expect(sampleJson({ type: "object", patternProperties: { "^a": {} } }, 0)).toEqual({});
  });

  it("samples {} for a schema that is no object (guidance's refusal text is unconfirmed)", () => {
    expect(sampleJson("5", 0)).toEqual({});
    expect(sampleJson([1, 2], 0)).toEqual({});
  });
});
