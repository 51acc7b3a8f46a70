/**
 * Text that a vLLM structural tag accepts (`response_format: {type: "structural_tag"}`,
 * `structured_outputs.structural_tag`), drawn from the other samplers: tagged sections whose
 * contents follow their JSON schemas, regexes or grammars. Two shapes exist (vLLM protocol.py):
 * the first (vllm PR #17085, xgrammar's `StructuralTagItem`s) is `{structures: [{begin, schema,
 * end}], triggers}`; xgrammar 0.1.25's (vllm PR #25467) is `{format: {...}}`, a tree of xgrammar
 * formats (`const_string`, `json_schema`, `regex`, `grammar`, `any_text`, `sequence`, `or`,
 * `tag`, `triggered_tags`, `tags_with_separator`; xgrammar docs tutorials/structural_tag.md).
 */
import { sampleGrammar } from "./grammar-sample.js";
import { sampleJson } from "./json-sample.js";
import { pythonJsonLoads } from "./python-json.js";
import { sampleRegex } from "./regex-sample.js";
import { StructuredOutputError } from "./structured-output-error.js";

/**
 * xgrammar's refusal of a tag it cannot build (vllm/v1/structured_output/backend_xgrammar.py
 * `validate_xgrammar_grammar`: any exception becomes ValueError with this text).
 */
export const invalidStructuralTag = "Invalid structural tag specification.";

/** Words `any_text` draws from: free text that holds no tag's begin or end. */
const freeWords = ["Sure.", "Here it is.", "Done.", "OK."] as const;

type Format = Record<string, unknown>;

function isObject(value: unknown): value is Format {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function refuse(): never {
  throw new StructuredOutputError(invalidStructuralTag);
}

/** Python's `repr` of a list of strings, as guidance's f-string prints `triggers`. */
function pyStrings(items: readonly string[]): string {
  return `[${items.map((s) => `'${s.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`).join(", ")}]`;
}

function list(value: unknown): unknown[] {
  if (!Array.isArray(value) || value.length === 0) refuse();
  return value;
}

function text(value: unknown): string {
  if (typeof value !== "string") refuse();
  return value;
}

/** One `tag` (`{begin, content, end}`) of a `format` tree. */
function sampleTag(tag: unknown, seed: number): string {
  if (!isObject(tag)) refuse();
  return `${text(tag.begin)}${sampleFormat(tag.content, seed)}${text(tag.end)}`;
}

/** A `format` node of xgrammar's structural tag, sampled. */
function sampleFormat(format: unknown, seed: number): string {
  if (!isObject(format)) refuse();
  switch (format.type) {
    case "const_string":
      return text(format.value);
    case "json_schema": {
      const schema = format.json_schema;
      if (typeof schema !== "boolean" && !isObject(schema)) refuse();
      return JSON.stringify(sampleJson(schema, seed));
    }
    case "regex":
      return sampleRegex(text(format.pattern), seed);
    case "grammar":
      return sampleGrammar(text(format.grammar), seed);
    case "any_text":
      return freeWords[seed % freeWords.length] as string;
    case "sequence":
      return list(format.elements)
        .map((element, i) => sampleFormat(element, seed + i))
        .join("");
    case "or": {
      const elements = list(format.elements);
      return sampleFormat(elements[seed % elements.length], seed);
    }
    case "tag":
      return sampleTag(format, seed);
    case "triggered_tags": {
      const tags = list(format.tags);
      const triggers = list(format.triggers).map(text);
      for (const tag of tags) {
        const begin = isObject(tag) ? text(tag.begin) : refuse();
        if (!triggers.some((t) => begin.startsWith(t))) refuse();
      }
      const chosen = format.stop_after_first === true ? [tags[seed % tags.length]] : tags;
      return chosen.map((tag, i) => sampleTag(tag, seed + i)).join("\n");
    }
    case "tags_with_separator": {
      const tags = list(format.tags);
      const separator = text(format.separator);
      const chosen = format.stop_after_first === true ? [tags[seed % tags.length]] : tags;
      return chosen.map((tag, i) => sampleTag(tag, seed + i)).join(separator);
    }
    default:
      return refuse();
  }
}

/**
 * The first shape: each structure once, in order, `begin` + a JSON value of its `schema` + `end`,
 * on lines of their own (vllm PR #17085's example output). A `begin` no trigger starts is refused
 * with guidance's text (backend_guidance.py `serialize_guidance_grammar`, where `auto` lands once
 * xgrammar has refused it): `Trigger <begin> not found in triggers ['<t>']`.
 */
function sampleStructures(structures: unknown, triggers: unknown, seed: number): string {
  const items = Array.isArray(structures) ? structures : refuse();
  const starts = (Array.isArray(triggers) ? triggers : refuse()).map(text);
  return items
    .map((item, i) => {
      if (!isObject(item)) refuse();
      const begin = text(item.begin);
      if (!starts.some((t) => begin.startsWith(t))) {
        throw new StructuredOutputError(
          `Trigger ${begin} not found in triggers ${pyStrings(starts)}`,
        );
      }
      const schema = item.schema ?? {};
      return `${begin}${JSON.stringify(sampleJson(schema, seed + i))}${text(item.end)}`;
    })
    .join("\n");
}

/**
 * Text that `tag` accepts, the same for the same `seed`. `tag` is the structural tag object or
 * its JSON text (`structured_outputs.structural_tag` is a string; text that does not parse is
 * refused with Python's JSONDecodeError text, as guidance's `json.loads` raises it once xgrammar
 * has refused). Throws a {@link StructuredOutputError}: {@link invalidStructuralTag} for a shape
 * neither backend builds, guidance's text for a `begin` that no trigger starts.
 */
export function sampleStructuralTag(tag: unknown, seed = 0): string {
  let value = tag;
  if (typeof tag === "string") {
    const loaded = pythonJsonLoads(tag);
    if ("error" in loaded) throw new StructuredOutputError(loaded.error);
    value = loaded.value;
  }
  if (!isObject(value)) refuse();
  const at = Math.abs(Math.trunc(seed));
  if ("structures" in value) return sampleStructures(value.structures, value.triggers, at);
  return sampleFormat(value.format, at);
}
