/**
 * Grammar-guided output: xgrammar's EBNF (GBNF style, `root ::= ...`), vLLM's default backend
 * (backend_xgrammar.py validate_xgrammar_grammar: an unreadable grammar is 400 "Invalid grammar
 * specification.").
 */
import { describe, expect, it } from "vitest";
import { grammarSampleCap, parseGrammar, sampleGrammar } from "./grammar-sample.js";
import { isLikelyLark, larkToEbnf } from "./lark-grammar.js";

/** Grammars with a regular language, and the JS regex of that language. */
const regular: [string, RegExp][] = [
  ['root ::= "yes" | "no"', /^(yes|no)$/],
  ['root ::= [a-z]+ "-" [0-9]{2,3}', /^[a-z]+-[0-9]{2,3}$/],
  [
    `# a greeting
root ::= greeting " " name
greeting ::= "hello" | "hi"
name ::= [A-Z] [a-z]*`,
    /^(hello|hi) [A-Z][a-z]*$/,
  ],
  ['root ::= "\\"" [^"\\n]{1,5} "\\""', /^"[^"\n]{1,5}"$/],
  ['root ::= ("ab" | "c")? "!"', /^(ab|c)?!$/],
];

/** A recursive grammar: arithmetic with balanced parentheses. */
const arithmetic = `root ::= expr
expr ::= term (("+" | "-") term)*
term ::= factor ("*" factor)*
factor ::= [0-9]+ | "(" expr ")"`;

function balanced(text: string): boolean {
  let open = 0;
  for (const c of text) {
    if (c === "(") open += 1;
    if (c === ")") open -= 1;
    if (open < 0) return false;
  }
  return open === 0;
}

describe("sampleGrammar", () => {
  it("draws sentences of regular grammars, repeatably for a seed", () => {
    for (const [grammar, language] of regular) {
      for (let seed = 0; seed < 30; seed += 1) {
        const text = sampleGrammar(grammar, seed);
        expect(text, grammar).toMatch(language);
        expect(sampleGrammar(grammar, seed)).toBe(text);
      }
    }
  });

  // utils.py convert_lark_to_ebnf: Lark rules, `|` lines, single quotes, `start` as root.
  it("rewrites Lark grammars into EBNF as vLLM does", () => {
    expect(larkToEbnf("rule: 'hello'")).toBe('root ::= rule\nrule ::= "hello"');
    const lark = `// a greeting
?start: greeting " " name
greeting: 'hello'
    | 'hi'   # either
name: 'Ann' | 'Bob'`;
    expect(isLikelyLark(lark)).toBe(true);
    expect(larkToEbnf(lark).split("\n")[0]).toBe("root ::= start");
    for (let seed = 0; seed < 20; seed += 1) {
      expect(sampleGrammar(lark, seed)).toMatch(/^(hello|hi) (Ann|Bob)$/);
    }
  });

  it("ends on recursive grammars with well-formed output", () => {
    for (let seed = 0; seed < 50; seed += 1) {
      const text = sampleGrammar(arithmetic, seed);
      expect(text).toMatch(/^[0-9+\-*()]+$/);
      expect(balanced(text)).toBe(true);
      expect(text).not.toMatch(/[+\-*]{2}|\(\)|^[+\-*]|[+\-*]$/);
    }
  });

  // Bad input never hangs the server: a huge count stops at the cap.
  it("stops huge repetition counts at the cap", () => {
    const started = performance.now();
    expect(sampleGrammar("root ::= [0-9]{1000000000}", 1).length).toBe(grammarSampleCap);
    expect(sampleGrammar('root ::= ("ab"{100000}){100000}', 1).length).toBeLessThanOrEqual(
      grammarSampleCap + 2,
    );
    expect(performance.now() - started).toBeLessThan(10_000); // generous sanity bound
  });

  // backend_xgrammar.py: a grammar xgrammar cannot parse is "Invalid grammar specification.".
  it("refuses what xgrammar could not read", () => {
    for (const bad of [
      'start ::= "x"',
      "root ::= missing",
      'root ::= "unclosed',
      "root ::= [z-a]",
      'root ::= ("a"',
      'root ::= "a" root',
    ]) {
      expect(() => sampleGrammar(bad, 1), bad).toThrow("Invalid grammar specification.");
    }
    // utils.py convert_lark_to_ebnf: a Lark grammar it cannot rewrite.
    // Its reference check reads the letters of a [class] as rule names, so classes fail too.
    for (const bad of ["start: 'unclosed", "| 'a'", "start: other", "start: [a-z]+"]) {
      expect(() => parseGrammar(bad), bad).toThrow(
        "Failed to convert the grammar from Lark to EBNF. ",
      );
    }
  });
});
