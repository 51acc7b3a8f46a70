/**
 * Text that matches a `guided_regex` / `structured_outputs.regex` pattern (vllm-openai.md §4.1),
 * drawn by randexp from a seeded generator, so a seed gives the same text every call. vLLM
 * constrains the whole output to the pattern (a full match); so does the sample.
 */
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

/** A small seeded generator (mulberry32), uniform in [0, 1). */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Checks a pattern as the structured-output backend does before generation: one JavaScript's
 * RegExp cannot read is refused with a 400 (xgrammar's "Failed to transform regex into a
 * grammar" text; Python-only syntax such as `(?P<name>...)` is refused here too).
 */
export function checkRegex(pattern: string): RegExp {
  try {
    return new RegExp(`^(?:${pattern})$`, "u");
  } catch (error) {
    throw badRequest(`Failed to transform regex into a grammar: ${(error as Error).message}`);
  }
}

/** A string the whole of which matches `pattern`, the same for the same seed. */
export function sampleRegex(pattern: string, seed: number): string {
  const whole = checkRegex(pattern);
  const random = seeded(seed);
  const generator = new RandExp(pattern);
  generator.max = regexRepeatMax;
  generator.randInt = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
  // randexp reads lookarounds and anchors loosely; keep the first draw that fully matches.
  let text = generator.gen();
  for (let attempt = 0; attempt < 20 && !whole.test(text); attempt += 1) text = generator.gen();
  return text;
}
