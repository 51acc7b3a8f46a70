/**
 * The member names of a JSON object as its text spells them: in document order, a repeated name
 * kept each time. `JSON.parse` keeps only the last value of a repeated name (and the first
 * position), while a server that walks the members of its parsed document (rapidjson, as
 * Triton's TritonJson does) sees every one; this recovers what such a server sees, for the
 * routes where a repeat changes the answer (Triton's generate: a repeated input is refused).
 *
 * Pure and tolerant: it expects text that `JSON.parse` already accepted and never throws on
 * other text (it returns what it read so far). The text is walked by jsonc-parser's `visit` (a
 * scanner that reports every member, repeats included), not by a parser of our own.
 */
import jsonc from "jsonc-parser";

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

/**
 * Reads the member names of the JSON object `text` holds (leading whitespace allowed), and of
 * the object value of its member `nested`. A text that is not an object gives no names.
 */
export function memberNames(text: string, nested: string): MemberNames {
  const names: string[] = [];
  let inner: string[] | undefined;
  let depth = 0; // objects and arrays open around the current token
  let nestedNext = false; // the last top-level member was `nested` and its value has not begun
  let innerDepth = -1; // the depth inside the `nested` object while reading it
  jsonc.visit(text, {
    onObjectBegin() {
      depth += 1;
      if (nestedNext && depth === 2) {
        inner = [];
        innerDepth = 2;
      }
      nestedNext = false;
    },
    onObjectEnd() {
      if (depth === innerDepth) innerDepth = -1;
      depth -= 1;
    },
    onArrayBegin() {
      depth += 1;
      nestedNext = false;
    },
    onArrayEnd() {
      depth -= 1;
    },
    onLiteralValue() {
      nestedNext = false;
    },
    onObjectProperty(name) {
      if (depth === 1) {
        names.push(name);
        if (name === nested) {
          inner = undefined;
          nestedNext = true;
        }
      } else if (depth === innerDepth) {
        inner?.push(name);
      }
    },
  });
  return { names, nested: inner };
}
