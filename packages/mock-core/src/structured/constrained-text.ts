/**
 * The text a structured-output constraint forces, as both runtimes that take vLLM's structured
 * outputs use it (the vLLM server's guided decoding, Triton's vLLM backend): one of vLLM's
 * `StructuredOutputsParams` kinds, sampled with a seed so a request repeats its output (each
 * runtime passes seed + child index).
 */
import { sampleGrammar } from "./grammar-sample.js";
import { sampleJson } from "./json-sample.js";
import { sampleRegex } from "./regex-sample.js";
import { sampleStructuralTag } from "./structural-tag.js";

/**
 * One constraint: a JSON schema (an object, or its JSON text), a list of choices, a regular
 * expression, an EBNF / Lark grammar or a structural tag (the object or its JSON text).
 */
export type StructuredConstraint =
  | { readonly json: unknown }
  | { readonly choice: readonly string[] }
  | { readonly regex: string }
  | { readonly grammar: string }
  | { readonly structuralTag: unknown };

/**
 * Text that satisfies `constraint`, the same for the same `seed`: a JSON value of the schema
 * (`JSON.stringify`), the choice at `seed` modulo their count (`""` for no choices), a full match
 * of the regex, a sentence of the grammar's `root`, a structural tag's tagged sections. Throws `StructuredOutputError` with the
 * structured-output backend's text for a constraint it refuses.
 */
export function constrainedText(constraint: StructuredConstraint, seed: number): string {
  if ("choice" in constraint) return constraint.choice[seed % constraint.choice.length] ?? "";
  if ("regex" in constraint) return sampleRegex(constraint.regex, seed);
  if ("grammar" in constraint) return sampleGrammar(constraint.grammar, seed);
  if ("structuralTag" in constraint) return sampleStructuralTag(constraint.structuralTag, seed);
  return JSON.stringify(sampleJson(constraint.json, seed));
}
