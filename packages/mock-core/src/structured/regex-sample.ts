/**
 * Text that matches a `guided_regex` / `structured_outputs.regex` pattern (vllm-openai.md §4.1),
 * drawn by randexp from a seeded generator, so a seed gives the same text every call. vLLM
 * constrains the whole output to the pattern (a full match); so does the sample. The pattern is
 * first read as vLLM's default structured-output backend reads it ({@link translateRegex}:
 * xgrammar's JavaScript-like syntax, else guidance's Rust syntax, which takes Python's forms).
 */
import RandExpModule from "randexp";
import { seededRandom } from "../engine/random.js";
import { StructuredOutputError } from "./structured-output-error.js";

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

/**
 * The structured-output backend that takes a pattern under vLLM's default backend `auto`
 * (vllm/config/structured_outputs.py `backend = "auto"`; sampling_params.py / the V1 processor's
 * `_validate_structured_output`): xgrammar when `validate_xgrammar_grammar` accepts it, else
 * guidance (llguidance), whose `validate_guidance_grammar` has the last word.
 */
export type RegexBackend = "xgrammar" | "guidance";

/** A guided pattern as the mock samples it: the backend that takes it and the same language in JavaScript syntax. */
export interface TranslatedRegex {
  /** Which backend vLLM hands the pattern to. */
  readonly backend: RegexBackend;
  /** The pattern in JavaScript (`u` flag) syntax that randexp draws from: no names, no anchors. */
  readonly source: string;
}

/** A backend's refusal of a pattern; `mockLimit` marks what vLLM takes but the mock cannot draw. */
class RegexRefusal extends Error {
  readonly mockLimit: boolean;
  constructor(message: string, mockLimit = false) {
    super(message);
    this.mockLimit = mockLimit;
  }
}

// regex-syntax (the Rust crate llguidance parses regexes with) error texts.
const lookAroundText = "look-around, including look-ahead and look-behind, is not supported";
const backreferenceText = "backreferences are not supported";
const unknownEscapeText = "unrecognized escape sequence";

/** Characters a JavaScript `u` pattern escapes to mean themselves. */
const syntaxCharacters = new Set("^$\\.*+?()[]{}|/");

/**
 * One character as a literal outside a class: syntax characters escaped, everything else (control
 * characters too) as itself. No `\xHH` escapes: randexp's parser misreads one right after an
 * escaped backslash (the pattern `\\\x0A` draws the text `\x0A`).
 */
function literal(char: string): string {
  return syntaxCharacters.has(char) ? `\\${char}` : char;
}

/** One character as a literal inside a class. */
function classLiteral(char: string): string {
  return char === "-" ? "\\-" : literal(char);
}

/** A string as Rust's `{:?}` writes it (derivre quotes the pattern so in its errors). */
function rustDebug(text: string): string {
  const escaped = text
    .replaceAll("\\", "\\\\")
    .replaceAll('"', '\\"')
    .replaceAll("\n", "\\n")
    .replaceAll("\r", "\\r")
    .replaceAll("\t", "\\t");
  return `"${escaped}"`;
}

// xgrammar's \s (regex_converter.cc): form feed, newline, return, tab, vertical tab, space, NBSP
// (the characters themselves, for the reason given at `literal`).
const xgrammarSpace = "\f\n\r\t\v \u00a0";

interface Frame {
  readonly consumedAtOpen: boolean;
  readonly verbose: boolean;
  readonly multiLine: boolean;
}

/**
 * Reads `pattern` as one backend's dialect and writes the same language in JavaScript syntax, or
 * throws a {@link RegexRefusal} where that backend refuses it. xgrammar (cpp/regex_converter.cc)
 * reads JavaScript-like syntax: `(?:...)`, `(?<name>...)` with a letters-only name, `^`/`$`
 * ignored wherever they stand, an unknown escape such as `\A` or `\Z` matching its letter;
 * no `(?P<...>)`, inline flags, lookarounds, backreferences, `\b` or `\p`. guidance reads Rust
 * `regex` syntax (llguidance docs/syntax.md; derivre src/syntax.rs): `(?P<name>...)` and
 * `(?<name>...)`, inline flags `(?imsxU)` / `(?i:...)`, `\A` `\z` `^` `$` only where the match
 * starts or ends ("lookarounds not supported yet" elsewhere, and for `\b`); no `\Z`,
 * backreferences or lookarounds.
 */
function convert(pattern: string, backend: RegexBackend): string {
  const rust = backend === "guidance";
  const chars = Array.from(pattern);
  const frames: Frame[] = [];
  const names = new Set<string>();
  let out = "";
  let i = 0;
  let canRepeat = false;
  let consumed = false;
  let verbose = false;
  let multiLine = false;
  const fail = (xgrammarText: string, rustText: string): never => {
    throw new RegexRefusal(rust ? rustText : xgrammarText);
  };
  const atom = (text: string, length: number) => {
    out += text;
    i += length;
    canRepeat = true;
    consumed = true;
  };
  const lookaround = (look: string): never => {
    throw new RegexRefusal(`lookarounds not supported yet; ${look} in regex ${rustDebug(pattern)}`);
  };
  const anchor = (end: boolean, lineAware: boolean) => {
    if (lineAware && multiLine) lookaround(end ? "EndLF" : "StartLF");
    const rest = chars.slice(i).join("");
    if (end ? !/^\)*(?:\||$)/.test(rest) : consumed) lookaround(end ? "End" : "Start");
  };
  // regex-syntax parse_flags: one flag at a time; i, s, U, u and R only widen or re-rank the
  // matches, so a string of the plain pattern still matches and the mock keeps only x and m.
  const applyFlags = (flags: string) => {
    let on = true;
    const seen = new Set<string>();
    for (const flag of flags) {
      if (flag !== "-" && !"imsxuUR".includes(flag)) fail("", "unrecognized flag");
      if (seen.has(flag)) {
        fail("", flag === "-" ? "flag negation operator repeated" : "duplicate flag");
      }
      seen.add(flag);
      if (flag === "-") on = false;
      else if (flag === "x") verbose = on;
      else if (flag === "m") multiLine = on;
    }
    if (flags.endsWith("-")) fail("", "dangling flag negation operator");
  };
  while (i < chars.length) {
    const c = chars[i] as string;
    if (rust && verbose && /\s/.test(c)) {
      i += 1;
      continue;
    }
    if (rust && verbose && c === "#") {
      while (i < chars.length && chars[i] !== "\n") i += 1;
      continue;
    }
    if (c === "^" || c === "$") {
      i += 1;
      if (rust) anchor(c === "$", true);
      continue;
    }
    if (c === "(") {
      const next = chars[i + 1];
      const frame = { consumedAtOpen: consumed, verbose, multiLine };
      if (next !== "?") {
        frames.push(frame);
        out += "(";
        i += 1;
      } else {
        const kind = chars[i + 2];
        const third = chars[i + 3];
        if (kind === ":") {
          frames.push(frame);
          out += "(?:";
          i += 3;
        } else if (kind === "=" || kind === "!") {
          fail("Lookahead is not supported yet.", lookAroundText);
        } else if (kind === "<" && (third === "=" || third === "!")) {
          fail("Lookbehind is not supported yet.", lookAroundText);
        } else if (kind === "<" || (rust && kind === "P" && third === "<")) {
          const start = i + (kind === "<" ? 3 : 4);
          const close = chars.indexOf(">", start);
          const name = close < 0 ? "" : chars.slice(start, close).join("");
          if (!rust && (close < 0 || !/^[A-Za-z]*$/.test(name))) {
            fail("Invalid named capturing group.", "");
          }
          if (rust && close < 0) fail("", "unclosed capture group name");
          if (rust && name === "") fail("", "empty capture group name");
          if (rust && !/^[A-Za-z_][\w.[\]]*$/.test(name))
            fail("", "invalid capture group character");
          if (rust && names.has(name)) fail("", "duplicate capture group name");
          names.add(name);
          frames.push(frame);
          out += "(";
          i = close + 1;
        } else if (rust) {
          let end = i + 2;
          while (end < chars.length && /[A-Za-z-]/.test(chars[end] as string)) end += 1;
          const flags = chars.slice(i + 2, end).join("");
          const terminator = chars[end];
          if (terminator === undefined) {
            fail("", flags === "" ? "unclosed group" : "expected flag but got end of regex");
          }
          if (terminator !== ")" && terminator !== ":") applyFlags(`${flags}${terminator}`);
          // regex-syntax reads an empty `(?)` as a repetition operator without its operand.
          if (flags === "" && terminator === ")")
            fail("", "repetition operator missing expression");
          if (terminator === ":") {
            frames.push(frame);
            out += "(?:";
          }
          applyFlags(flags);
          i = end + 1;
        } else {
          fail("Group modifier flag is not supported yet.", "");
        }
      }
      canRepeat = false;
      continue;
    }
    if (c === ")") {
      const frame = frames.pop();
      if (frame === undefined) fail("Unmatched ')'", "unopened group");
      verbose = frame?.verbose ?? false;
      multiLine = frame?.multiLine ?? false;
      atom(")", 1);
      continue;
    }
    if (c === "|") {
      out += "|";
      i += 1;
      consumed = frames.at(-1)?.consumedAtOpen ?? false;
      canRepeat = false;
      continue;
    }
    if (c === "*" || c === "+" || c === "?" || c === "{") {
      if (!canRepeat) {
        fail(
          "Repetition modifier has no preceding expression.",
          "repetition operator missing expression",
        );
      }
      let text = c;
      if (c === "{") {
        const rest = chars.slice(i, i + 40).join("");
        const count = /^\{(\d+)(?:(,)(\d*))?\}/.exec(rest);
        if (count === null) {
          // regex-syntax: a count that does not start with digits, else one never closed.
          fail(
            "Invalid repetition count.",
            /^\{\d/.test(rest)
              ? "unclosed counted repetition"
              : "repetition quantifier expects a valid decimal",
          );
        }
        const [whole = "", low = "", comma, high] = count ?? [];
        if (Number(low) > 0xffffffff || Number(high) > 0xffffffff) {
          fail("Repetition count is too large.", "decimal literal invalid");
        }
        if (high !== undefined && high !== "" && Number(high) < Number(low)) {
          fail(
            "Invalid repetition count.",
            "invalid repetition count range, the start must be <= the end",
          );
        }
        text = comma === undefined ? `{${low}}` : `{${low},${high ?? ""}}`;
        i += Array.from(whole).length - 1;
      }
      out += text;
      i += 1;
      if (chars[i] === "?") i += 1; // lazy: the same language
      canRepeat = false;
      continue;
    }
    if (c === "[") {
      atom(...readClass(chars, i, rust));
      continue;
    }
    if (c === ".") {
      // xgrammar's dot is any code point, newline included; Rust's excludes \n (its s flag widens).
      atom(rust ? "." : "[\\s\\S]", 1);
      continue;
    }
    if (c === "\\") {
      const e = chars[i + 1];
      if (e === undefined) {
        fail(
          "Escape sequence is not finished.",
          "incomplete escape sequence, reached end of pattern prematurely",
        );
      } else if ("dDwW".includes(e)) {
        atom(`\\${e}`, 2);
      } else if (e === "s" || e === "S") {
        atom(rust ? `\\${e}` : `[${e === "S" ? "^" : ""}${xgrammarSpace}]`, 2);
      } else if (/[1-9]/.test(e) || (!rust && e === "k")) {
        fail("Backreference is not supported yet.", backreferenceText);
      } else if (e === "p" || e === "P") {
        if (!rust) fail("Unicode character class escape sequence is not supported yet.", "");
        throw new RegexRefusal(
          "servingkit mock: Unicode property classes (\\p, \\P) cannot be sampled",
          true,
        );
      } else if (e === "b" || e === "B") {
        if (!rust) fail("Word boundary is not supported yet.", "");
        lookaround(e === "b" ? "WordUnicode" : "WordUnicodeNegate");
      } else if (rust && (e === "<" || e === ">")) {
        lookaround(e === "<" ? "WordStartUnicode" : "WordEndUnicode");
      } else if (rust && (e === "A" || e === "z")) {
        i += 2;
        anchor(e === "z", false);
      } else {
        const [char, length] = readEscape(chars, i, rust);
        atom(literal(char), length);
      }
      continue;
    }
    atom(literal(c), 1);
  }
  if (frames.length > 0) fail("The parenthesis is not closed.", "unclosed group");
  return out;
}

/**
 * A character class at `chars[start]` (`[`) as `[text, length]`: members escaped for
 * JavaScript, `\s` per backend; a Rust class may begin with a literal `]`, xgrammar refuses it.
 */
function readClass(chars: readonly string[], start: number, rust: boolean): [string, number] {
  let i = start + 1;
  let body = "";
  if (chars[i] === "^") {
    body += "^";
    i += 1;
  }
  if (chars[i] === "]") {
    if (!rust) throw new RegexRefusal("Empty character class is not allowed in regex.");
    body += "\\]";
    i += 1;
  }
  while (i < chars.length && chars[i] !== "]") {
    const c = chars[i] as string;
    if (c !== "\\") {
      body += c === "-" ? "-" : c === "[" ? "\\[" : literal(c);
      i += 1;
      continue;
    }
    const e = chars[i + 1];
    if (e !== undefined && "dDwW".includes(e)) {
      body += `\\${e}`;
      i += 2;
    } else if (e === "s" || e === "S") {
      // xgrammar's \S in a class: everything but its spaces (the BMP part, enough to draw from).
      body += rust
        ? `\\${e}`
        : e === "s"
          ? xgrammarSpace
          : "\u0000-\u0008\u000e-\u001f!-\u009f\u00a1-\uffff";
      i += 2;
    } else if (rust && e !== undefined && "AzbB<>".includes(e)) {
      // regex-syntax: an assertion escape has no meaning inside a class.
      throw new RegexRefusal("invalid escape sequence found in character class");
    } else {
      const [char, length] = readEscape(chars, i, rust);
      body += classLiteral(char);
      i += length;
    }
  }
  if (i >= chars.length) {
    throw new RegexRefusal(rust ? "unclosed character class" : "Unclosed '['");
  }
  return [`[${body}]`, i + 1 - start];
}

const controlEscapes: Readonly<Record<string, string>> = {
  n: "\n",
  t: "\t",
  r: "\r",
  f: "\f",
  v: "\v",
  a: "\x07",
};

/**
 * The character an escape at `chars[start]` (`\`) stands for, as `[char, length]`: control
 * escapes, `\xHH`, `\uHHHH`, `\u{H...}` (and Rust's `\x{...}`, `\U...`), escaped
 * punctuation; any other letter is itself for xgrammar (it warns and matches the letter) and
 * "unrecognized escape sequence" for Rust.
 */
function readEscape(chars: readonly string[], start: number, rust: boolean): [string, number] {
  const e = chars[start + 1];
  if (e === undefined) {
    throw new RegexRefusal(
      rust
        ? "incomplete escape sequence, reached end of pattern prematurely"
        : "Escape sequence is not finished.",
    );
  }
  const control = controlEscapes[e];
  if (control !== undefined) return [control, 2];
  if (e === "0" && !rust) return ["\0", 2];
  const hex = (from: number, digits: number): [string, number] | undefined => {
    const text = chars.slice(from, from + digits).join("");
    const code = Number.parseInt(text, 16);
    return new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(text) && code <= 0x10ffff
      ? [String.fromCodePoint(code), from + digits - start]
      : undefined;
  };
  const braced = (from: number): [string, number] | undefined => {
    const close = chars.indexOf("}", from);
    const text = close < 0 ? "" : chars.slice(from + 1, close).join("");
    if (chars[from] !== "{" || !/^[0-9a-fA-F]{1,6}$/.test(text)) return undefined;
    const code = Number.parseInt(text, 16);
    return code > 0x10ffff ? undefined : [String.fromCodePoint(code), close + 1 - start];
  };
  if (e === "c" && !rust) {
    const letter = chars[start + 2] ?? "";
    if (!/^[A-Za-z]$/.test(letter)) {
      throw new RegexRefusal("Invalid control character escape sequence.");
    }
    return [String.fromCharCode(letter.charCodeAt(0) % 32), 3];
  }
  // Escaped punctuation is itself (Rust: ASCII only, regex-syntax is_escapeable_character), and a
  // Rust digit escape is a backreference (octal is off).
  if (
    !/[0-9A-Za-z]/.test(e) &&
    (!rust || /^[\x21-\x2f\x3a-\x3b=\x3f-\x40\x5b-\x60\x7b-\x7e ]$/.test(e))
  ) {
    return [e, 2];
  }
  if (rust && /[0-9]/.test(e)) throw new RegexRefusal(backreferenceText);
  const read =
    e === "x"
      ? ((rust ? braced(start + 2) : undefined) ?? hex(start + 2, 2))
      : e === "u"
        ? (braced(start + 2) ?? hex(start + 2, 4))
        : e === "U" && rust
          ? (braced(start + 2) ?? hex(start + 2, 8))
          : undefined;
  if (read !== undefined) return read;
  // xgrammar matches an escape it does not know (a `\x` or `\u` without digits too) as its
  // letter, with a warning; Rust refuses it.
  if (!rust) return [e, 2];
  if (e === "x" || e === "u" || e === "U") throw new RegexRefusal(hexRefusal(chars, start + 2, e));
  throw new RegexRefusal(unknownEscapeText);
}

/**
 * regex-syntax's reason for a hex escape it cannot read: `letter` (x, u or U) at `chars[from - 1]`,
 * its digits braced or 2, 4 or 8 long.
 */
function hexRefusal(chars: readonly string[], from: number, letter: string): string {
  let digits: string;
  if (chars[from] === "{") {
    const close = chars.indexOf("}", from);
    if (close === from + 1) return "hexadecimal literal empty";
    digits = close < 0 ? "" : chars.slice(from + 1, close).join("");
  } else {
    const length = letter === "x" ? 2 : letter === "u" ? 4 : 8;
    digits = chars.slice(from, from + length).join("");
    if (digits.length < length) digits = "";
  }
  // Hex digits that were not read as a character name a code point past U+10FFFF.
  return /^[0-9a-fA-F]+$/.test(digits)
    ? "hexadecimal literal is not a Unicode scalar value"
    : "invalid hexadecimal digit";
}

/** Translations already made: the same pattern is checked per request and drawn per choice. */
const translations = new Map<string, TranslatedRegex>();
const translationCacheSize = 256;

/**
 * Reads a `guided_regex` / `structured_outputs.regex` pattern as vLLM's default backend `auto`
 * does: xgrammar first, and where xgrammar refuses, guidance (llguidance, Rust `regex` syntax,
 * which takes Python's `(?P<name>...)`, `\A` and inline flags). Returns the backend and the
 * pattern in JavaScript syntax; throws a {@link StructuredOutputError} with the text vLLM answers
 * (its 400) when guidance refuses too:
 * "Grammar error: " and the refusal (vllm/v1/structured_output/backend_guidance.py
 * `validate_guidance_grammar`).
 */
export function translateRegex(pattern: string): TranslatedRegex {
  const known = translations.get(pattern);
  if (known !== undefined) return known;
  let translated: TranslatedRegex;
  try {
    translated = { backend: "xgrammar", source: compiles(convert(pattern, "xgrammar")) };
  } catch (error) {
    if (!(error instanceof RegexRefusal)) throw error;
    try {
      translated = { backend: "guidance", source: compiles(convert(pattern, "guidance")) };
    } catch (refusal) {
      if (!(refusal instanceof RegexRefusal)) throw refusal;
      throw new StructuredOutputError(
        refusal.mockLimit ? refusal.message : `Grammar error: ${refusal.message}`,
      );
    }
  }
  if (translations.size >= translationCacheSize) translations.clear();
  translations.set(pattern, translated);
  return translated;
}

/** The source if JavaScript compiles it (what the dialect pass let through but JS cannot read is a refusal). */
function compiles(source: string): string {
  try {
    new RegExp(source, "u");
  } catch (error) {
    throw new RegexRefusal((error as Error).message);
  }
  return source;
}

/**
 * Checks a pattern as vLLM does before generation ({@link translateRegex}), refusing with a
 * {@link StructuredOutputError} in the backend's words.
 */
export function checkRegex(pattern: string): void {
  translateRegex(pattern);
}

/**
 * A string the whole of which matches `pattern` (randexp draws from the pattern's own structure,
 * so anchors and every branch hold), the same for the same seed; past
 * {@link regexSampleBudget} characters it stops short.
 */
export function sampleRegex(pattern: string, seed: number): string {
  const { source } = translateRegex(pattern);
  const random = seededRandom(seed);
  const generator = new RandExp(source);
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
