/**
 * JSON as caikit writes it: Python's `json.dumps` with default options (caikit-tgis.md §1.4):
 * `", "` and `": "` separators, non-ASCII escaped as `\uXXXX` (ensure_ascii), floats in Python's
 * repr (`1.0`, not `1`), `NaN`/`Infinity` as bare words. Also Python's `repr` of a string, which
 * caikit puts in SSE error details (`ValueError('...')`).
 */

/** A number Python holds as a float: written `1.0`, not `1`. */
export class PyFloat {
  /** The value. */
  constructor(readonly value: number) {}
}

/** A value {@link pythonJson} can write. */
export type PyJson =
  | null
  | boolean
  | number
  | bigint
  | string
  | PyFloat
  | readonly PyJson[]
  | { readonly [key: string]: PyJson };

function floatText(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value > 0 ? "Infinity" : "-Infinity";
  if (Number.isInteger(value) && Math.abs(value) < 1e16) return `${value}.0`;
  // Python's repr: shortest round-trip digits, exponent as e-05 / e+16.
  return String(value).replace(/e([+-])(\d)$/, "e$10$2");
}

function stringText(value: string): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** Serializes like Python's `json.dumps(value)`. Object keys keep insertion order. */
export function pythonJson(value: PyJson): string {
  if (value === null) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : floatText(value);
  if (typeof value === "string") return stringText(value);
  if (value instanceof PyFloat) return floatText(value.value);
  if (Array.isArray(value)) return `[${value.map((v: PyJson) => pythonJson(v)).join(", ")}]`;
  const entries = Object.entries(value as Record<string, PyJson>);
  return `{${entries.map(([k, v]) => `${stringText(k)}: ${pythonJson(v)}`).join(", ")}}`;
}

/** Python's `repr(str)`: single quotes unless the text has a `'` and no `"`. */
export function pythonRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const body = text
    .replace(/\\/g, "\\\\")
    .replace(/\n/g, "\\n")
    .replace(/\r/g, "\\r")
    .replace(/\t/g, "\\t")
    .replaceAll(quote, `\\${quote}`);
  return `${quote}${body}${quote}`;
}
