/**
 * Python's `json.loads(text)` as the runtimes' Python servers run it (CPython 3.12's C scanner,
 * the Python of the vLLM images): the value, or the `json.JSONDecodeError` text it raises, word
 * for word (`Expecting value: line 1 column 1 (char 0)`). Mocks answer that text where the real
 * server lets the exception through (vLLM's `auto` structured-output fallback re-reads a
 * `json` schema string with `json.loads`, sampling_params.py). Differences from `JSON.parse`
 * that matter here: Python accepts `NaN`, `Infinity` and `-Infinity`, refuses a leading BOM,
 * and counts offsets in code points, not UTF-16 units.
 */

/** A Python `json.loads` outcome: the value, or the JSONDecodeError's `str()`. */
export type PythonJsonResult = { readonly value: unknown } | { readonly error: string };

/** Where Python's scanner stops, and its words. */
class DecodeError {
  readonly message: string;
  readonly offset: number;
  constructor(message: string, offset: number) {
    this.message = message;
    this.offset = offset;
  }
}

const ws = new Set([" ", "\t", "\n", "\r"]);
const escapes = new Set(['"', "\\", "/", "b", "f", "n", "r", "t", "u"]);
const numberAt = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/y;

function skip(s: string, i: number): number {
  let at = i;
  while (at < s.length && ws.has(s[at] as string)) at++;
  return at;
}

/** A string whose opening quote is at `begin`: [value, index after the closing quote]. */
function scanString(s: string, begin: number): [string, number] {
  let at = begin + 1;
  for (;;) {
    if (at >= s.length) throw new DecodeError("Unterminated string starting at", begin);
    const c = s[at] as string;
    if (c === '"') return [JSON.parse(s.slice(begin, at + 1)) as string, at + 1];
    if (c.charCodeAt(0) < 0x20) throw new DecodeError("Invalid control character at", at);
    if (c === "\\") {
      const e = s[at + 1];
      if (e === undefined) throw new DecodeError("Unterminated string starting at", begin);
      if (!escapes.has(e)) throw new DecodeError("Invalid \\escape", at);
      if (e === "u") {
        // Python wants the four digits and one more character (the string must go on).
        if (at + 6 >= s.length || !/^[0-9a-fA-F]{4}$/.test(s.slice(at + 2, at + 6))) {
          throw new DecodeError("Invalid \\uXXXX escape", at + 1);
        }
        at += 6;
      } else {
        at += 2;
      }
      continue;
    }
    at++;
  }
}

function scanValue(s: string, i: number): [unknown, number] {
  const c = s[i];
  if (c === '"') return scanString(s, i);
  if (c === "{") return scanObject(s, i + 1);
  if (c === "[") return scanArray(s, i + 1);
  for (const [word, value] of literals) {
    if (s.startsWith(word, i)) return [value, i + word.length];
  }
  numberAt.lastIndex = i;
  const number = numberAt.exec(s);
  if (number !== null) return [Number(number[0]), i + number[0].length];
  if (s.startsWith("-Infinity", i)) return [-Infinity, i + 9];
  throw new DecodeError("Expecting value", i);
}

const literals: readonly (readonly [string, unknown])[] = [
  ["null", null],
  ["true", true],
  ["false", false],
  ["NaN", Number.NaN],
  ["Infinity", Infinity],
];

function scanObject(s: string, start: number): [unknown, number] {
  const out: Record<string, unknown> = {};
  let at = skip(s, start);
  if (s[at] === "}") return [out, at + 1];
  for (;;) {
    if (s[at] !== '"') {
      throw new DecodeError("Expecting property name enclosed in double quotes", at);
    }
    const [key, afterKey] = scanString(s, at);
    at = skip(s, afterKey);
    if (s[at] !== ":") throw new DecodeError("Expecting ':' delimiter", at);
    const [value, afterValue] = scanValue(s, skip(s, at + 1));
    // An own property even for "__proto__", as Python's dict keeps it.
    Object.defineProperty(out, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
    at = skip(s, afterValue);
    if (s[at] === "}") return [out, at + 1];
    if (s[at] !== ",") throw new DecodeError("Expecting ',' delimiter", at);
    at = skip(s, at + 1);
  }
}

function scanArray(s: string, start: number): [unknown, number] {
  const out: unknown[] = [];
  let at = skip(s, start);
  if (s[at] === "]") return [out, at + 1];
  for (;;) {
    const [value, after] = scanValue(s, at);
    out.push(value);
    at = skip(s, after);
    if (s[at] === "]") return [out, at + 1];
    if (s[at] !== ",") throw new DecodeError("Expecting ',' delimiter", at);
    at = skip(s, at + 1);
  }
}

/** `msg: line L column C (char N)`, counted in code points as Python counts. */
function describe(s: string, error: DecodeError): string {
  const before = Array.from(s.slice(0, error.offset));
  const pos = before.length;
  const lastNewline = before.lastIndexOf("\n");
  const line = before.filter((c) => c === "\n").length + 1;
  const column = lastNewline === -1 ? pos + 1 : pos - lastNewline;
  return `${error.message}: line ${line} column ${column} (char ${pos})`;
}

/** Python's verdict on `text`: the value, or where its scanner stopped and why. */
function scan(text: string): { readonly value: unknown } | { readonly failure: DecodeError } {
  if (text.startsWith("\ufeff")) {
    return { failure: new DecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", 0) };
  }
  try {
    return { value: JSON.parse(text) };
  } catch {
    // Python's rules below: its words and offsets, and the NaN / Infinity it accepts.
  }
  try {
    const [value, end] = scanValue(text, skip(text, 0));
    const rest = skip(text, end);
    if (rest !== text.length) throw new DecodeError("Extra data", rest);
    return { value };
  } catch (error) {
    if (error instanceof DecodeError) return { failure: error };
    throw error;
  }
}

/**
 * `json.loads(text)`: `{ value }`, or `{ error }` with the JSONDecodeError's text (without the
 * exception's type name). `JSON.parse` answers valid text; Python's scanner rules only run on
 * text it refuses (to find Python's words and offset, or Python's NaN / Infinity).
 */
export function pythonJsonLoads(text: string): PythonJsonResult {
  const result = scan(text);
  return "failure" in result ? { error: describe(text, result.failure) } : result;
}

/**
 * The JSONDecodeError `json.loads(text)` raises, as its two attributes servers quote: `msg`
 * (the words alone, "Expecting ',' delimiter") and `pos` (the offset in code points; FastAPI puts
 * both in its `json_invalid` detail). Undefined when Python accepts the text.
 */
export function pythonJsonDecodeError(
  text: string,
): { readonly msg: string; readonly pos: number } | undefined {
  const result = scan(text);
  if (!("failure" in result)) return undefined;
  const { message, offset } = result.failure;
  return { msg: message, pos: Array.from(text.slice(0, offset)).length };
}
