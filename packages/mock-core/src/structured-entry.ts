/**
 * `@servingkit/mock-core/structured`: structured outputs — text that a JSON schema, regex, grammar
 * or structural tag accepts, and Python's `json.loads` as the runtimes parse constraint arguments.
 * Loads `randexp`, no engine. `@servingkit/mock-core` (".") still exports it.
 *
 * @packageDocumentation
 */

export { constrainedText, type StructuredConstraint } from "./structured/constrained-text.js";
export {
  type Grammar,
  grammarRepeatMax,
  grammarSampleCap,
  parseGrammar,
  sampleGrammar,
} from "./structured/grammar-sample.js";
export { sampleJson } from "./structured/json-sample.js";
export { isLikelyLark, larkToEbnf } from "./structured/lark-grammar.js";
export {
  type PythonJsonResult,
  pythonJsonDecodeError,
  pythonJsonLoads,
} from "./structured/python-json.js";
export {
  checkRegex,
  type RegexBackend,
  regexRepeatMax,
  regexSampleBudget,
  sampleRegex,
  type TranslatedRegex,
  translateRegex,
} from "./structured/regex-sample.js";
export { invalidStructuralTag, sampleStructuralTag } from "./structured/structural-tag.js";
export { StructuredOutputError } from "./structured/structured-output-error.js";
