/**
 * A value that satisfies a JSON schema, for the mock's guided decoding: `response_format`
 * `json_object` / `json_schema`, `guided_json`, and tool-call arguments (vllm-openai.md §4.1;
 * issue 3: "output that validates against the schema"). vLLM constrains sampling to the schema;
 * the mock composes a conforming value and lets the engine emit it token by token. Supported:
 * `type` (one or a list), `enum`, `const`, `properties` / `required`, `items` / `prefixItems`,
 * `minItems`, `minLength` / `maxLength`, `minimum` / `maximum` / `exclusiveMinimum` /
 * `exclusiveMaximum` / `multipleOf`, string `format`s, `anyOf` / `oneOf` (the first),
 * `allOf` (merged), and local `$ref`s (`#/$defs/...`, `#/definitions/...`).
 */

import { pythonJsonLoads } from "./python-json.js";
import { StructuredOutputError } from "./structured-output-error.js";

type Schema = Readonly<Record<string, unknown>>;

const formats: Readonly<Record<string, string>> = {
  "date-time": "2026-01-01T00:00:00Z",
  date: "2026-01-01",
  time: "00:00:00Z",
  email: "user@example.com",
  uri: "https://example.com/",
  url: "https://example.com/",
  uuid: "00000000-0000-4000-8000-000000000000",
  ipv4: "192.0.2.1",
  ipv6: "2001:db8::1",
  hostname: "example.com",
};

const words = ["alpha", "river", "garden", "signal", "harbor", "meadow", "lantern", "summit"];

function resolve(schema: Schema, root: Schema): Schema {
  const ref = schema.$ref;
  if (typeof ref !== "string" || !ref.startsWith("#/")) return schema;
  let target: unknown = root;
  for (const part of ref.slice(2).split("/")) {
    target = (target as Record<string, unknown> | undefined)?.[
      part.replaceAll("~1", "/").replaceAll("~0", "~")
    ];
  }
  return typeof target === "object" && target !== null ? resolve(target as Schema, root) : {};
}

function merged(schema: Schema, root: Schema): Schema {
  const all = schema.allOf;
  if (!Array.isArray(all)) return schema;
  let out: Record<string, unknown> = { ...schema, allOf: undefined };
  for (const part of all) {
    const p = merged(resolve(part as Schema, root), root);
    out = {
      ...out,
      ...p,
      properties: { ...(out.properties as object), ...(p.properties as object) },
      required: [...((out.required as string[]) ?? []), ...((p.required as string[]) ?? [])],
    };
  }
  return out;
}

function typeOf(schema: Schema): string | undefined {
  const type = schema.type;
  if (typeof type === "string") return type;
  if (Array.isArray(type)) return (type.find((t) => t !== "null") ?? type[0]) as string | undefined;
  if (schema.properties !== undefined) return "object";
  if (schema.items !== undefined || schema.prefixItems !== undefined) return "array";
  return undefined;
}

function numberIn(schema: Schema, integer: boolean, seed: number): number {
  const num = (key: string) =>
    typeof schema[key] === "number" ? (schema[key] as number) : undefined;
  let low =
    num("minimum") ??
    (num("exclusiveMinimum") !== undefined
      ? (num("exclusiveMinimum") as number) + (integer ? 1 : 0.5)
      : undefined);
  const high =
    num("maximum") ??
    (num("exclusiveMaximum") !== undefined
      ? (num("exclusiveMaximum") as number) - (integer ? 1 : 0.5)
      : undefined);
  low ??= high !== undefined ? Math.min(0, high) : 0;
  let value = low + (seed % 10);
  if (high !== undefined && value > high) value = low;
  if (integer) value = Math.ceil(value);
  const step = num("multipleOf");
  if (step !== undefined && step > 0) value = Math.ceil(low / step) * step;
  return value;
}

function stringFor(schema: Schema, seed: number): string {
  const format = typeof schema.format === "string" ? formats[schema.format] : undefined;
  let text = format ?? (words[seed % words.length] as string);
  const min = typeof schema.minLength === "number" ? schema.minLength : 0;
  const max = typeof schema.maxLength === "number" ? schema.maxLength : undefined;
  while (text.length < min) text += ` ${words[(seed + text.length) % words.length]}`;
  if (max !== undefined && text.length > max) text = text.slice(0, max);
  return text;
}

function sample(schemaIn: Schema, root: Schema, seed: number, depth: number): unknown {
  const schema = merged(resolve(schemaIn, root), root);
  if ("const" in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0)
    return schema.enum[seed % schema.enum.length];
  const choice = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (Array.isArray(choice) && choice.length > 0)
    return sample(choice[0] as Schema, root, seed, depth);
  switch (typeOf(schema)) {
    case "object": {
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      const required = new Set((schema.required as string[] | undefined) ?? []);
      const out: Record<string, unknown> = {};
      let i = 0;
      for (const [key, property] of Object.entries(properties)) {
        // Optional properties are filled too, until deep nesting (recursive schemas) stops them.
        if (depth < 6 || required.has(key)) out[key] = sample(property, root, seed + i, depth + 1);
        i += 1;
      }
      return out;
    }
    case "array": {
      const prefix = (schema.prefixItems as Schema[] | undefined) ?? [];
      const min = typeof schema.minItems === "number" ? schema.minItems : depth < 6 ? 1 : 0;
      const max = typeof schema.maxItems === "number" ? schema.maxItems : Number.POSITIVE_INFINITY;
      const count = Math.min(Math.max(min, prefix.length), max);
      const items = (schema.items ?? {}) as Schema;
      return Array.from({ length: count }, (_, i) =>
        sample(prefix[i] ?? items, root, seed + i, depth + 1),
      );
    }
    case "string":
      return stringFor(schema, seed);
    case "integer":
      return numberIn(schema, true, seed);
    case "number":
      return numberIn(schema, false, seed);
    case "boolean":
      return seed % 2 === 0;
    case "null":
      return null;
    default:
      return {};
  }
}

/**
 * The schema a structured-output `json` stands for: an object as given, a string read as JSON
 * text. vLLM's default `auto` backend refuses text that does not parse with the JSONDecodeError
 * of its fallback's `json.loads` (sampling_params.py: xgrammar's "Invalid JSON grammar
 * specification." is caught, then the schema is loaded again to check guidance's support), so
 * that text is the {@link StructuredOutputError}. Anything that parses is accepted: `auto`
 * hands what xgrammar refuses (`multipleOf`, `uniqueItems`, unknown string formats ...) to
 * guidance, or to outlines for `patternProperties`.
 */
function schemaOf(schema: unknown): unknown {
  if (typeof schema !== "string") return schema;
  const loaded = pythonJsonLoads(schema);
  if ("error" in loaded) throw new StructuredOutputError(loaded.error);
  return loaded.value;
}

/**
 * A value conforming to `schema`; `seed` varies strings, numbers and enum picks. `schema` is an
 * object, or JSON text (`guided_json` / `structured_outputs.json` as a string): text that does
 * not parse throws a {@link StructuredOutputError} with Python's JSONDecodeError text, vLLM's
 * 400 under its default backend. A schema that is no object (a number, a list) samples `{}`.
 */
export function sampleJson(schema: unknown, seed = 0): unknown {
  const given = schemaOf(schema);
  const root = (typeof given === "object" && given !== null ? given : {}) as Schema;
  return sample(root, root, Math.abs(Math.trunc(seed)), 0);
}
