/**
 * Text that matches a `guided_regex` / `structured_outputs.regex` pattern (vllm-openai.md §4.1),
 * drawn by randexp from a seeded generator, so a seed gives the same text every call. vLLM
 * constrains the whole output to the pattern (a full match); so does the sample.
 */
import { seededRandom } from "@servingkit/mock-core";
import RandExpModule from "randexp";
import { badRequest } from "./errors.js";

// randexp is CommonJS (`module.exports = RandExp`) typed as an ES default export: Node gives the
// class itself as the default import, the types say it sits under `.default`.
type RandExpClass = typeof RandExpModule.default;
const RandExp: RandExpClass =
  (RandExpModule as unknown as { default?: RandExpClass }).default ??
  (RandExpModule as unknown as RandExpClass);

/** Longest run a `*` or `+` repeats to (randexp's default is 100; short keeps outputs small). */
export const regexRepeatMax = 8;

/**
 * Characters a sample may reach before every further choice takes its least (repetitions stop):
 * a pattern like `\d{1000000000}` or nested counts must not hang the server. Past it the text no
 * longer matches; no model context (and so no output) is that long anyway.
 */
export const regexSampleBudget = 65_536;

/** The first construct outside a basic regular language: a lookaround or a backreference. */
function unsupportedConstruct(pattern: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < pattern.length; i += 1) {
    const c = pattern[i];
    if (c === "\\") {
      if (!inClass && /[1-9k]/.test(pattern[i + 1] ?? "")) return "backreferences";
      i += 1;
    } else if (inClass) {
      if (c === "]") inClass = false;
    } else if (c === "[") {
      inClass = true;
    } else if (c === "(" && /^\?(?:=|!|<=|<!)/.test(pattern.slice(i + 1))) {
      return "lookaround assertions";
    }
  }
  return undefined;
}

/**
 * Checks a pattern as the structured-output backend does before generation, refusing with a 400
 * in xgrammar's "Failed to transform regex into a grammar" wording: one JavaScript's RegExp
 * cannot read (Python-only syntax such as `(?P<name>...)` too), and lookarounds or
 * backreferences, which a grammar-based backend cannot express.
 */
export function checkRegex(pattern: string): void {
  try {
    new RegExp(pattern, "u");
  } catch (error) {
    throw badRequest(`Failed to transform regex into a grammar: ${(error as Error).message}`);
  }
  const unsupported = unsupportedConstruct(pattern);
  if (unsupported !== undefined) {
    throw badRequest(`Failed to transform regex into a grammar: ${unsupported} are not supported`);
  }
}

/**
 * A string the whole of which matches `pattern` (randexp draws from the pattern's own structure,
 * so anchors and every branch hold), the same for the same seed; past
 * {@link regexSampleBudget} characters it stops short.
 */
export function sampleRegex(pattern: string, seed: number): string {
  checkRegex(pattern);
  const random = seededRandom(seed);
  const generator = new RandExp(pattern);
  generator.max = regexRepeatMax;
  // randexp draws every choice (repetition counts, characters, branches) through randInt and
  // builds the text through _gen: count what _gen returns (an upper bound: nested calls count
  // again) and stop repeating once over the budget.
  let produced = 0;
  const inner = generator as unknown as { _gen: (...args: unknown[]) => string };
  const gen = inner._gen.bind(generator);
  inner._gen = (...args: unknown[]) => {
    if (produced >= regexSampleBudget) return "";
    const text = gen(...args);
    produced += text.length;
    return text;
  };
  generator.randInt = (low: number, high: number) => {
    if (produced >= regexSampleBudget) return 0;
    return Math.min(low + Math.floor(random() * (high - low + 1)), regexSampleBudget);
  };
  return generator.gen();
}
