import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { invalidStructuralTag, sampleStructuralTag } from "./structural-tag.js";
import { StructuredOutputError } from "./structured-output-error.js";

const ajv = new Ajv({ strict: false });
const city = {
  type: "object",
  properties: { city: { type: "string", minLength: 1 } },
  required: ["city"],
};

/** The JSON between `begin` and `end` in each line of `text`. */
function sections(text: string, begin: string, end: string): unknown[] {
  return text.split("\n").map((line) => {
    expect(line.startsWith(begin) && line.endsWith(end), line).toBe(true);
    return JSON.parse(line.slice(begin.length, line.length - end.length));
  });
}

describe("sampleStructuralTag", () => {
  // vllm PR #17085: structures [{begin, schema, end}] and triggers; its example output is one
  // `<function=get_weather>{...}</function>` section per call.
  it("writes each structure of the first shape with JSON that validates", () => {
    const tag = {
      type: "structural_tag",
      structures: [{ begin: "<function=get_weather>", schema: city, end: "</function>" }],
      triggers: ["<function="],
    };
    const out = sampleStructuralTag(tag, 3);
    for (const value of sections(out, "<function=get_weather>", "</function>")) {
      expect(ajv.validate(city, value)).toBe(true);
    }
    expect(sampleStructuralTag(tag, 3)).toBe(out);
    expect(sampleStructuralTag(JSON.stringify(tag), 3)).toBe(out);
  });

  // backend_guidance.py serialize_guidance_grammar: a begin no trigger starts is its ValueError.
  it("refuses a begin that no trigger starts with guidance's text", () => {
    const tag = { structures: [{ begin: "<f>", schema: {}, end: "</f>" }], triggers: ["<g"] };
    expect(() => sampleStructuralTag(tag)).toThrow(
      new StructuredOutputError("Trigger <f> not found in triggers ['<g']"),
    );
  });

  // xgrammar tutorials/structural_tag.md: the format tree.
  it("samples a triggered_tags format whose contents follow their schemas", () => {
    const tag = {
      type: "structural_tag",
      format: {
        type: "triggered_tags",
        triggers: ["<tool_call>"],
        tags: [
          {
            begin: '<tool_call>{"name": "f", "arguments": ',
            content: { type: "json_schema", json_schema: city },
            end: "}</tool_call>",
          },
        ],
      },
    };
    const out = sampleStructuralTag(tag, 1);
    const [value] = sections(out, '<tool_call>{"name": "f", "arguments": ', "}</tool_call>");
    expect(ajv.validate(city, value)).toBe(true);
  });

  it("samples sequence, or, const_string, regex, grammar and any_text", () => {
    const tag = {
      format: {
        type: "sequence",
        elements: [
          { type: "const_string", value: "A:" },
          { type: "regex", pattern: "[0-9]{3}" },
          { type: "or", elements: [{ type: "const_string", value: "x" }] },
          { type: "grammar", grammar: 'root ::= "g"' },
          { type: "tag", begin: "<t>", content: { type: "any_text" }, end: "</t>" },
        ],
      },
    };
    expect(sampleStructuralTag(tag, 0)).toMatch(/^A:[0-9]{3}xg<t>[^<]+<\/t>$/);
  });

  it("joins tags_with_separator with its separator", () => {
    const tag = { type: "const_string", value: "v" };
    const format = {
      type: "tags_with_separator",
      separator: ",",
      tags: [
        { begin: "<a>", content: tag, end: "</a>" },
        { begin: "<b>", content: tag, end: "</b>" },
      ],
    };
    expect(sampleStructuralTag({ format })).toBe("<a>v</a>,<b>v</b>");
  });

  // backend_xgrammar.py validate_xgrammar_grammar: anything xgrammar cannot build.
  it("refuses shapes it cannot build with xgrammar's text", () => {
    for (const tag of [
      {},
      { format: { type: "nope" } },
      { format: { type: "tag", begin: 1, content: { type: "any_text" }, end: "" } },
      { format: { type: "sequence", elements: [] } },
      { format: { type: "triggered_tags", triggers: ["<x"], tags: [{ begin: "<y", end: "" }] } },
      5,
      "[]",
    ]) {
      expect(() => sampleStructuralTag(tag), JSON.stringify(tag)).toThrow(
        new StructuredOutputError(invalidStructuralTag),
      );
    }
  });

  // guidance's json.loads of text that does not parse (after xgrammar refused it).
  it("refuses JSON text that does not parse with Python's text", () => {
    expect(() => sampleStructuralTag("{")).toThrow(StructuredOutputError);
    expect(() => sampleStructuralTag("{")).toThrow(/Expecting property name enclosed/);
  });
});
