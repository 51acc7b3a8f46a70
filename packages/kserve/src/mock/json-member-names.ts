/**
 * The member names of a JSON object as its text spells them: in document order, a repeated name
 * kept each time. `JSON.parse` keeps only the last value of a repeated name (and the first
 * position), while a server that walks the members of its parsed document (rapidjson, as
 * Triton's TritonJson does) sees every one; this recovers what such a server sees, for the
 * routes where a repeat changes the answer (Triton's generate: a repeated input is refused).
 *
 * Pure and tolerant: it expects text that `JSON.parse` already accepted and never throws on
 * other text (it returns what it read so far).
 */

/** The names one JSON object text holds at its top level, and those of one nested object member. */
export interface MemberNames {
  /** Top-level member names, in document order, repeats kept. */
  readonly names: readonly string[];
  /**
   * The names of the object value of the member named `nested` (the last such member when the
   * name repeats, as `JSON.parse` keeps it); undefined when there is none or its value is not
   * an object.
   */
  readonly nested: readonly string[] | undefined;
}

/** Bytes that open or close a nested value or a string (the only ones that matter when skipping). */
const structural = /[[\]{}"]/g;

/**
 * Reads the member names of the JSON object `text` holds (leading whitespace allowed), and of
 * the object value of its member `nested`. A text that is not an object gives no names.
 */
export function memberNames(text: string, nested: string): MemberNames {
  const names: string[] = [];
  const start = skipSpace(text, 0);
  if (text.charCodeAt(start) !== 0x7b) return { names, nested: undefined };
  let inner: string[] | undefined;
  readObject(text, start, names, (name, at) => {
    if (name !== nested) return;
    inner = undefined;
    if (text.charCodeAt(at) !== 0x7b) return;
    inner = [];
    readObject(text, at, inner, undefined);
  });
  return { names, nested: inner };
}

/**
 * Pushes the member names of the object whose `{` is at `start` onto `names`, calling `onValue`
 * with each name and the index its value starts at; returns the index after the object.
 */
function readObject(
  text: string,
  start: number,
  names: string[],
  onValue: ((name: string, at: number) => void) | undefined,
): number {
  let i = start + 1;
  while (i < text.length) {
    i = skipSpace(text, i);
    const c = text.charCodeAt(i);
    if (c === 0x2c) {
      i += 1;
      continue;
    }
    if (c !== 0x22) return i + 1; // `}` (or text JSON.parse would have refused)
    const end = stringEnd(text, i);
    const name = stringValue(text, i, end);
    names.push(name);
    i = skipSpace(text, skipSpace(text, end) + 1); // past the `:`
    onValue?.(name, i);
    i = skipValue(text, i);
  }
  return i;
}

/** The index after JSON whitespace (space, tab, line feed, carriage return) from `i`. */
function skipSpace(text: string, i: number): number {
  let j = i;
  for (;;) {
    const c = text.charCodeAt(j);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return j;
    j += 1;
  }
}

/** The index after the closing quote of the string whose opening quote is at `start`. */
function stringEnd(text: string, start: number): number {
  let from = start + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote < 0) return text.length;
    let slashes = 0;
    while (text.charCodeAt(quote - 1 - slashes) === 0x5c) slashes += 1;
    if (slashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

/** The decoded string between `start` (its opening quote) and `end` (after its closing quote). */
function stringValue(text: string, start: number, end: number): string {
  const raw = text.slice(start + 1, end - 1);
  if (!raw.includes("\\")) return raw;
  try {
    return JSON.parse(text.slice(start, end)) as string;
  } catch {
    return raw;
  }
}

/** The index after the JSON value starting at `start` (a string, object, array or scalar). */
function skipValue(text: string, start: number): number {
  const c = text.charCodeAt(start);
  if (c === 0x22) return stringEnd(text, start);
  if (c !== 0x7b && c !== 0x5b) {
    // A number, true, false or null: up to the next delimiter.
    let j = start;
    for (;;) {
      const d = text.charCodeAt(j);
      if (Number.isNaN(d) || d === 0x2c || d === 0x7d || d === 0x5d || d <= 0x20) return j;
      j += 1;
    }
  }
  let depth = 0;
  structural.lastIndex = start;
  for (;;) {
    const found = structural.exec(text);
    if (found === null) return text.length;
    const at = found.index;
    const d = text.charCodeAt(at);
    if (d === 0x22) {
      structural.lastIndex = stringEnd(text, at);
      continue;
    }
    depth += d === 0x7b || d === 0x5b ? 1 : -1;
    if (depth === 0) return at + 1;
  }
}
