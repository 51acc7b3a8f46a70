/**
 * Regex-guided output (vllm-openai.md §4.1: `guided_regex`, newer `structured_outputs.regex`):
 * the whole output matches the pattern, the same for the same seed.
 */
import { describe, expect, it } from "vitest";
import { checkRegex, regexSampleBudget, sampleRegex, translateRegex } from "./regex-sample.js";
import { StructuredOutputError } from "./structured-output-error.js";

describe("sampleRegex", () => {
  const patterns = [
    "[a-z]{3}-\\d{2,4}",
    "(yes|no|maybe)",
    "\\d{3}-\\d{3}-\\d{4}",
    "[A-Z][a-z]+( [A-Z][a-z]+)*",
    '\\{"id": [0-9]+\\}',
  ];
  it("draws text that fully matches, repeatably for a seed", () => {
    for (const pattern of patterns) {
      const whole = new RegExp(`^(?:${pattern})$`);
      for (let seed = 0; seed < 25; seed += 1) {
        const text = sampleRegex(pattern, seed);
        expect(text, pattern).toMatch(whole);
        expect(sampleRegex(pattern, seed)).toBe(text);
      }
    }
  });

  // A pattern neither backend reads is vLLM's 400: under the default backend "auto" xgrammar
  // refuses first, then guidance's validate_guidance_grammar raises "Grammar error: {err}"
  // (vllm/v1/structured_output/backend_guidance.py), err from regex-syntax (Rust) here.
  it("refuses a pattern neither backend reads with guidance's 400", () => {
    expect(() => checkRegex("(unclosed")).toThrow(/^Grammar error: unclosed group$/);
    expect(() => checkRegex("([")).toThrow(/^Grammar error: unclosed character class$/);
    try {
      checkRegex("(a)\\1");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(StructuredOutputError);
      expect((error as Error).message).toBe("Grammar error: backreferences are not supported");
    }
  });

  // xgrammar (cpp/regex_converter.cc) refuses lookarounds ("Lookahead is not supported yet.") and
  // backreferences; guidance then refuses them too, in regex-syntax's words.
  it("refuses lookarounds and backreferences", () => {
    for (const pattern of ["a(?=b)", "(?<!x)y", "[(?=]x(?=y)"]) {
      expect(() => checkRegex(pattern), pattern).toThrow(
        "Grammar error: look-around, including look-ahead and look-behind, is not supported",
      );
    }
    expect(() => checkRegex("(a)\\1")).toThrow("Grammar error: backreferences are not supported");
    // Inside a class, or escaped, the same characters are plain.
    expect(() => checkRegex("[(?=]a\\(?=")).not.toThrow();
  });
  // Bad input never hangs the server: huge or nested counts stop at the sample budget.
  it("stops huge repetition counts at the budget", () => {
    const started = performance.now();
    expect(sampleRegex("\\d{1000000000}", 1).length).toBeLessThanOrEqual(regexSampleBudget);
    expect(sampleRegex("((\\d{100000}){100000}){100000}", 1).length).toBeLessThanOrEqual(
      regexSampleBudget,
    );
    expect(performance.now() - started).toBeLessThan(10_000); // generous sanity bound
  });
});

/** Whether `text` as a whole matches `pattern` (JavaScript syntax). */
function fullMatch(pattern: string, text: string, flags = "u"): boolean {
  return new RegExp(`^(?:${pattern})$`, flags).test(text);
}

// Python `re` syntax that vLLM users send, read as vLLM's default backend "auto" reads it
// (vllm/config/structured_outputs.py `backend = "auto"`; sampling_params.py: xgrammar's
// validate_xgrammar_grammar first, on ValueError guidance's validate_guidance_grammar).
describe("translateRegex: Python syntax through xgrammar, then guidance", () => {
  // xgrammar takes `(?:...)` and `(?<name>...)` with a letters-only name, and ignores `^`/`$`
  // (regex_converter.cc HandleGroupModifier, Convert).
  it("keeps what xgrammar reads with xgrammar", () => {
    expect(translateRegex("(?<year>\\d{4})-(?:\\d{2})")).toEqual({
      backend: "xgrammar",
      source: "(\\d{4})-(?:\\d{2})",
    });
    expect(translateRegex("^[a-z]+$").source).toBe("[a-z]+");
  });

  // xgrammar answers `(?P` with "Group modifier flag is not supported yet.", so "auto" falls back
  // to guidance, whose regexes are Rust `regex` syntax (llguidance docs/syntax.md): named groups
  // `(?P<name>...)` and `(?<name1>...)` (digits allowed), the name ignored (derivre syntax.rs).
  it("hands Python's named groups to guidance", () => {
    const date = "(?P<year>\\d{4})-(?P<month>0[1-9]|1[0-2])";
    expect(translateRegex(date)).toEqual({
      backend: "guidance",
      source: "(\\d{4})-(0[1-9]|1[0-2])",
    });
    for (let seed = 0; seed < 20; seed += 1) {
      expect(sampleRegex(date, seed)).toMatch(/^\d{4}-(0[1-9]|1[0-2])$/);
    }
    expect(translateRegex("(?<n1>[a-z]+)").backend).toBe("guidance");
    expect(() => checkRegex("(?P<x>a)(?P<x>b)")).toThrow(
      "Grammar error: duplicate capture group name",
    );
  });

  // A named backreference: xgrammar refuses the `(?P`, regex-syntax has no `(?P=` (P is no flag).
  it("refuses Python's named backreference as guidance does", () => {
    expect(() => checkRegex("(?P<q>['\"])\\w+(?P=q)")).toThrow("Grammar error: unrecognized flag");
  });

  // xgrammar matches an escape it does not know as its letter (regex_converter.cc: "Escape
  // sequence '\\A' is not recognized. The character itself will be matched"), so under "auto"
  // a pattern it otherwise reads takes `\A` and `\Z` as the letters A and Z. Once guidance reads
  // the pattern, `\A` and `\z` are anchors where the match begins or ends, and `\Z` (Python's
  // end) is not Rust syntax.
  it("reads \\A and \\Z as xgrammar and guidance do", () => {
    expect(translateRegex("\\A\\d+\\Z")).toEqual({ backend: "xgrammar", source: "A\\d+Z" });
    expect(sampleRegex("\\A\\d+\\Z", 4)).toMatch(/^A\d+Z$/);
    expect(translateRegex("\\A(?P<n>\\d+)\\z")).toEqual({ backend: "guidance", source: "(\\d+)" });
    expect(() => checkRegex("\\A(?P<n>\\d+)\\Z")).toThrow(
      "Grammar error: unrecognized escape sequence",
    );
  });

  // derivre (src/syntax.rs) allows `^`/`\A` only where the match starts and `$`/`\z` where it
  // ends; any other look (word boundaries, multi-line anchors) is "lookarounds not supported yet;
  // {look:?} in regex {pattern:?}".
  it("refuses anchors inside the pattern and word boundaries as derivre does", () => {
    expect(() => checkRegex("(?P<a>x)^y")).toThrow(
      'Grammar error: lookarounds not supported yet; Start in regex "(?P<a>x)^y"',
    );
    expect(() => checkRegex("\\bword\\b")).toThrow(
      'Grammar error: lookarounds not supported yet; WordUnicode in regex "\\\\bword\\\\b"',
    );
    expect(() => checkRegex("(?m)^a$")).toThrow("lookarounds not supported yet; StartLF");
    expect(translateRegex("(?P<a>^x|^y)$").source).toBe("(x|y)");
  });

  // Rust's inline flags (regex docs: i, m, s, U, u, R, x; scoped `(?flags:...)`); xgrammar has
  // none ("Group modifier flag is not supported yet."). Case-insensitive, dot-all and lazy only
  // widen or re-rank the language, so a string of the plain pattern matches: the mock drops them.
  // Verbose mode (x) drops whitespace and `#` comments from the pattern.
  it("takes inline flags as guidance does", () => {
    expect(translateRegex("(?i)yes|no")).toEqual({ backend: "guidance", source: "yes|no" });
    expect(translateRegex("(?i:ab)c").source).toBe("(?:ab)c");
    expect(translateRegex("(?x) \\d{3} - \\d{4}  # phone").source).toBe("\\d{3}-\\d{4}");
    expect(translateRegex("(?x: a b )c d").source).toBe("(?:ab)c d");
    expect(() => checkRegex("(?#note)a")).toThrow("Grammar error: unrecognized flag");
    // A code point past U+10FFFF is a 400, never a crash.
    expect(() => checkRegex("(?i)\\UFFFFFFFF")).toThrow(
      "Grammar error: hexadecimal literal is not a Unicode scalar value",
    );
    for (let seed = 0; seed < 10; seed += 1) {
      expect(fullMatch("yes|no", sampleRegex("(?i)yes|no", seed), "iu")).toBe(true);
    }
  });

  // xgrammar's `\s` is [\f\n\r\t\v space NBSP] and its `.` any code point, newline included
  // (regex_converter.cc); drawn text stays inside both.
  it("draws xgrammar's classes", () => {
    expect(translateRegex("\\s.").source).toBe("[\f\n\r\t\v \u00a0][\\s\\S]");
    for (let seed = 0; seed < 20; seed += 1) {
      expect(sampleRegex("x\\s+y", seed)).toMatch(/^x[\f\n\r\t\v \u00a0]+y$/);
    }
  });

  // regex-syntax's own words (regex-syntax/src/ast/mod.rs ErrorKind Display; ast/parse.rs:
  // flags one at a time, `(?)` as a repetition without operand, octal off so `\0` is a
  // backreference, assertions invalid inside a class, escapes of ASCII punctuation only).
  it("refuses in regex-syntax's words once guidance reads the pattern", () => {
    const refusals: Record<string, string> = {
      "(?P<x>a)(?)": "repetition operator missing expression",
      "(?P<x>a)(?i": "expected flag but got end of regex",
      "(?P<x>a)(?ii)": "duplicate flag",
      "(?P<x>a)(?i-s-m)": "flag negation operator repeated",
      "(?P<x>a)(?i-)": "dangling flag negation operator",
      "(?P<x>a)\\0": "backreferences are not supported",
      "(?P<x>a){x}": "repetition quantifier expects a valid decimal",
      "(?P<x>a){2": "unclosed counted repetition",
      "(?P<x>a){3,2}": "invalid repetition count range, the start must be <= the end",
      "(?P<x>*)": "repetition operator missing expression",
      "(?P<x>[\\b])": "invalid escape sequence found in character class",
      "(?P<x>a)\\é": "unrecognized escape sequence",
      "(?P<x>a)\\x{}": "hexadecimal literal empty",
      "(?P<x>a)\\x{110000}": "hexadecimal literal is not a Unicode scalar value",
      "(?P<x>a)\\xZZ": "invalid hexadecimal digit",
      "(?P<1x>a)": "invalid capture group character",
      "(?P<>a)": "empty capture group name",
      "(?P<x": "unclosed capture group name",
      "(?P<x>a": "unclosed group",
      "(?P<x>a))": "unopened group",
      "(?P<x>[a": "unclosed character class",
    };
    for (const [pattern, reason] of Object.entries(refusals)) {
      expect(() => checkRegex(pattern), pattern).toThrow(`Grammar error: ${reason}`);
    }
    // Escaped ASCII punctuation (a space too) is the character itself.
    expect(translateRegex("(?P<x>a)\\ \\#").source).toBe("(a) #");
  });

  // Whatever a backend takes, the drawn text fully matches the translation (randexp and the
  // translation agree): random patterns from Python and JavaScript pieces, a fixed seed.
  it("draws text its own translation matches, for random patterns", () => {
    const pieces = ["a", "[", "]", "(", ")", "{2}", "{1,3}", "*", "+", "?", "|", "\\", "^", "$"];
    const more = [".", "-", "\\d", "\\s", "\\w", "(?P<n>", "(?i)", "(?:", "[^", "\\A", "\\z"];
    const escapes = ["\\Z", "\\n", "\\t", "\\-", "\\.", "\\\\", "\\x41", "\\u00e9", "/", " ", "é"];
    const alphabet = [...pieces, ...more, ...escapes];
    let state = 7;
    const random = () => {
      state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
      return state / 2_147_483_648;
    };
    let drawn = 0;
    for (let i = 0; i < 3000; i += 1) {
      let pattern = "";
      for (let k = 1 + Math.floor(random() * 8); k > 0; k -= 1) {
        pattern += alphabet[Math.floor(random() * alphabet.length)];
      }
      let source: string;
      try {
        source = translateRegex(pattern).source;
      } catch (error) {
        expect(error, pattern).toBeInstanceOf(StructuredOutputError);
        continue;
      }
      const text = sampleRegex(pattern, i);
      expect(fullMatch(source, text), `${pattern} -> ${source}: ${JSON.stringify(text)}`).toBe(
        true,
      );
      drawn += 1;
    }
    expect(drawn).toBeGreaterThan(300);
  });

  // What vLLM takes but the mock cannot draw is refused in the mock's own words, not vLLM's.
  it("says so where the mock cannot sample what vLLM takes", () => {
    expect(() => checkRegex("(?P<w>\\p{L}+)")).toThrow(/^servingkit mock: /);
  });
});
