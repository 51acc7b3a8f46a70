/**
 * Grammar-guided output: xgrammar's EBNF (GBNF style, `root ::= ...`), vLLM's default backend
 * (backend_xgrammar.py validate_xgrammar_grammar: an unreadable grammar is 400 "Invalid grammar
 * specification.").
 */
import type OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grammarSampleCap, parseGrammar, sampleGrammar } from "./grammar-sample.js";
import { isLikelyLark, larkToEbnf } from "./lark-grammar.js";
import { openaiClient, startVllm, type TestServer } from "./test-server.js";

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

describe("guided_grammar over HTTP", () => {
  let server: TestServer;
  let client: OpenAI;
  beforeAll(async () => {
    // The last releases that read guided_* beside structured_outputs (profiles.ts guidedFields).
    server = await startVllm({ "served-model-name": "granite", "vllm-version": "0.11.0" });
    client = openaiClient(server, "x");
  });
  afterAll(() => server.close());

  // vllm-openai.md §4.1: guided_grammar (and structured_outputs.grammar) constrain the output.
  it("constrains output to the grammar on both endpoints", async () => {
    const completion = await client.completions.create({
      model: "granite",
      prompt: "Answer:",
      max_tokens: 64,
      n: 4,
      seed: 5,
      guided_grammar: regular[2]?.[0],
    } as OpenAI.CompletionCreateParamsNonStreaming);
    for (const choice of completion.choices)
      expect(choice.text).toMatch(/^(hello|hi) [A-Z][a-z]*$/);
    const chat = await client.chat.completions.create({
      model: "granite",
      messages: [{ role: "user", content: "Sum?" }],
      max_tokens: 200,
      structured_outputs: { grammar: arithmetic },
    } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    expect(balanced(chat.choices[0]?.message.content ?? "(")).toBe(true);
  });

  it("answers an unreadable grammar with vLLM's 400", async () => {
    const response = await fetch(`${server.url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ prompt: "x", guided_grammar: "root ::= (" }),
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("Invalid grammar specification.");
  });
});
