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
 * Whether `JSON.stringify` writes `value` as it is between its quotes: no quote, backslash,
 * control character or surrogate (a lone one is escaped), found by one scan of its characters.
 */
function needsNoEscape(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    // 0x22 '"', 0x5c '\\', controls below 0x20, and surrogates.
    if (code < 0x20 || code === 0x22 || code === 0x5c || (code >= 0xd800 && code <= 0xdfff)) {
      return false;
    }
  }
  return true;
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
