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
   * The names of the object value of the member named `nested`, in document order, repeats
   * kept: the FIRST such member when the name repeats (the one rapidjson's lookup by name
   * finds, as Triton's `MemberAsObject` does); undefined when there is none or the first one's
   * value is not an object.
   */
  readonly nested: readonly string[] | undefined;
  /**
   * The whole text read as rapidjson reads it ({@link firstMemberWins}: a repeated name keeps its
   * first value), present only when a top-level or `nested` member name repeats; where a server
   * looks one member up by name (Triton's `id`), this is the value it finds.
   */
  readonly firstWins?: unknown;
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
  let nestedSeen = false; // a top-level `nested` member was met (only the first is read)
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
        if (name === nested && !nestedSeen) {
          nestedSeen = true;
          nestedNext = true;
        }
      } else if (depth === innerDepth) {
        inner?.push(name);
      }
    },
  });
  const repeats = (list: readonly string[] | undefined) =>
    list !== undefined && new Set(list).size !== list.length;
  if (!repeats(names) && !repeats(inner)) return { names, nested: inner };
  const tree = jsonc.parseTree(text);
  return { names, nested: inner, firstWins: tree === undefined ? undefined : fromNode(tree) };
}

/**
 * Whether the JSON text repeats a member name inside any one object, at any depth. Arrays of
 * plain values (a tensor's `data`) are skipped without a callback per element, so the cost is a
 * scan of the text plus one set lookup per member name. Like {@link memberNames}, for text that
 * `JSON.parse` already accepted; it never throws.
 */
export function hasRepeatedMember(text: string): boolean {
  const open: Set<string>[] = [];
  let repeated = false;
  jsonc.visit(text, {
    onObjectBegin() {
      if (repeated) return false;
      open.push(new Set());
    },
    onObjectEnd() {
      open.pop();
    },
    onObjectProperty(name) {
      const names = open[open.length - 1];
      if (names === undefined || repeated) return;
      if (names.has(name)) repeated = true;
      else names.add(name);
    },
  });
  return repeated;
}

/**
 * The JSON value of `text` read as rapidjson-based servers read it: a repeated member name
 * keeps its FIRST value (TritonJson's `Find` and `MemberAs*` index the parsed object by name,
 * which finds the first member of that name; OVMS's REST parser looks members up the same
 * way), where `JSON.parse` keeps the last (as Python's `json.loads` does, so MLServer needs
 * nothing of this). `parsed` is `JSON.parse(text)`, returned as it is when no name repeats
 * ({@link hasRepeatedMember}), so most bodies cost one scan. A member named `__proto__` stays an
 * own member, as `JSON.parse` makes it.
 */
export function firstMemberWins(text: string, parsed: unknown): unknown {
  if (noRepeatedMember(text, parsed) || !hasRepeatedMember(text)) return parsed;
  const tree = jsonc.parseTree(text);
  return tree === undefined ? parsed : fromNode(tree);
}

/**
 * A sure "no name repeats" read off `parsed` (`JSON.parse(text)`) without scanning the text for
 * names: every member of the text is followed by a `:`, so the text holds at least as many `:`
 * as members (more when strings hold some), and `JSON.parse` keeps one key per distinct name of
 * each object. When the count of `:` equals the count of keys, no name repeats; otherwise the
 * answer is unknown (false) and {@link hasRepeatedMember} decides. The values are walked with
 * an explicit stack (no recursion, so deep nesting cannot overflow the call stack).
 */
export function noRepeatedMember(text: string, parsed: unknown): boolean {
  let colons = 0;
  for (let at = text.indexOf(":"); at !== -1; at = text.indexOf(":", at + 1)) colons += 1;
  let keys = 0;
  const pending: unknown[] = [parsed];
  while (pending.length > 0) {
    const value = pending.pop();
    if (value === null || typeof value !== "object") continue;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (item !== null && typeof item === "object") pending.push(item);
      }
      continue;
    }
    for (const key in value) {
      keys += 1;
      const item = (value as Record<string, unknown>)[key];
      if (item !== null && typeof item === "object") pending.push(item);
    }
    if (keys > colons) return false;
  }
  return keys === colons;
}

/** A jsonc-parser node as a JSON value, the first member of each repeated name kept. */
function fromNode(node: jsonc.Node): unknown {
  if (node.type === "array") return (node.children ?? []).map(fromNode);
  if (node.type !== "object") return node.value;
  const out: Record<string, unknown> = {};
  for (const property of node.children ?? []) {
    const [key, value] = property.children ?? [];
    if (key === undefined || value === undefined) continue;
    const name = key.value as string;
    if (Object.hasOwn(out, name)) continue;
    Object.defineProperty(out, name, {
      value: fromNode(value),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}
