import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { sampleJson } from "./json-sample.js";

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
