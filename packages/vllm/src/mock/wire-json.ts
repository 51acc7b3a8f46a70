/**
 * vLLM's JSON as Python writes it: a dict's keys go out in insertion order. A JS object puts
 * integer-like keys first in numeric order, so a map keyed by token id (`prompt_logprobs`) or by
 * token text (`"2"` in completions `top_logprobs`) would come out reordered. Such maps are built
 * as `Map`s; an answer holding one is marked with {@link withKeyOrder}, and {@link wireJson}
 * writes it with every `Map` as an object in insertion order. Unmarked answers (the usual case)
 * go straight to `JSON.stringify`, so the common path pays nothing.
 */
import { randomUUID } from "node:crypto";

const keyOrder = Symbol("servingkit.vllm.keyOrder");

/** A per-process tag in the placeholders, so no text a client sent can pass for one. */
const tag = randomUUID();
const placeholder = new RegExp(`"${tag}:(\\d+)"`, "g");

/** A JSON dict whose keys keep their insertion order on the wire (see {@link withKeyOrder}). */
export type PyDict<V> = Map<string, V>;

/**
 * Marks `value` as holding {@link PyDict}s, so {@link wireJson} writes them in order. Returns
 * `value`. The mark is a symbol key: `JSON.stringify` never writes it.
 */
export function withKeyOrder<T extends object>(value: T): T {
  (value as { [keyOrder]?: true })[keyOrder] = true;
  return value;
}

/**
 * An answer already written as JSON text, which {@link wireJson} returns unchanged. A hot path
 * whose answer has a fixed shape (a non-streaming completion without logprobs) writes it from a
 * template, with no object built and walked per request.
 */
export class WireText {
  /** @param text the compact JSON, exactly as it goes on the wire. */
  constructor(readonly text: string) {}
}

/**
 * A character `JSON.stringify` writes other than as itself (ECMA-262 QuoteJSONString): a quote,
 * a backslash, a control below U+0020, or a surrogate code unit (a lone one is escaped; a pair is
 * sent to `JSON.stringify` too, which writes it unchanged). Without the `u` flag the class matches
 * UTF-16 code units; it is written as what may go unescaped (U+0020-U+D7FF and U+E000-U+FFFF
 * but the quote U+0022 and backslash U+005C) and negated. One regular-expression scan is about half the time of a `charCodeAt` loop
 * over the same text (this runs per request on the whole completion text).
 */
const needsEscape = /[^ !#-[\]-\ud7ff\ue000-\uffff]/;

/** Whether `JSON.stringify` writes `value` as it is between its quotes (see {@link needsEscape}). */
function needsNoEscape(value: string): boolean {
  return !needsEscape.test(value);
}

/**
 * `JSON.stringify(value)` for a string, the same text: a string with nothing to escape is only
 * wrapped in quotes; any other goes to `JSON.stringify`. For answers written from templates, per
 * request: `JSON.stringify` has a fixed cost of a few hundred nanoseconds a call, several times
 * the scan of a short string.
 */
export function jsonString(value: string): string {
  return needsNoEscape(value) ? `"${value}"` : JSON.stringify(value);
}

/**
 * What `JSON.stringify(value)` writes between its quotes: `value` itself when nothing needs
 * escaping (no string made), else the escaped text. For answers joined from pieces that hold the
 * quotes themselves (completions.ts), so no quoted copy is made per string.
 */
export function jsonEscaped(value: string): string {
  return needsNoEscape(value) ? value : JSON.stringify(value).slice(1, -1);
}

/**
 * `JSON.stringify(value)` for a string, number or null, the same text: a finite number as
 * `String` writes it (what JSON.stringify writes), any other number as `null`, a string as
 * {@link jsonString} writes it.
 */
export function jsonScalar(value: string | number | null): string {
  if (value === null) return "null";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "null";
  return jsonString(value);
}

/**
 * `value` as compact JSON, as vLLM's pydantic writes it: like `JSON.stringify`, and for a value
 * marked by {@link withKeyOrder}, every `Map` written as an object with its keys in insertion
 * order. An unmarked `Map` would come out as `{}`, as with `JSON.stringify`.
 */
export function wireJson(value: unknown): string {
  if (value instanceof WireText) return value.text;
  const marked =
    typeof value === "object" && value !== null && (value as { [keyOrder]?: true })[keyOrder];
  return marked ? orderedJson(value) : JSON.stringify(value);
}

function orderedJson(value: unknown): string {
  const maps: Map<string, unknown>[] = [];
  // Each Map becomes a placeholder string (the process's tag and the map's number), then the
  // placeholders are replaced by the maps' own text.
  const text = JSON.stringify(value, (_key, item: unknown) => {
    if (!(item instanceof Map)) return item;
    maps.push(item);
    return `${tag}:${maps.length - 1}`;
  });
  if (maps.length === 0) return text;
  return text.replace(placeholder, (match, index: string) => {
    const map = maps[Number(index)];
    if (map === undefined) return match;
    const parts: string[] = [];
    for (const [key, item] of map) parts.push(`${JSON.stringify(key)}:${orderedJson(item)}`);
    return `{${parts.join(",")}}`;
  });
}
