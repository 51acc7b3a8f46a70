/**
 * caikit's REST request bodies as its pydantic models read them (`extra="forbid"` at every
 * level, pydantic v2 lax coercion): the envelope `{model_id, inputs, parameters}` and typed
 * fields. A failure is caikit's 422 with pydantic's first message in `details` and the error
 * list in `additional_info` (caikit-tgis.md §1.2, §1.7). `model_id` presence is the caller's
 * check (400), made after the body parses.
 */
import { Code } from "@connectrpc/connect";
import { CaikitError } from "./caikit-error.js";
import type { PyJson } from "./python-json.js";

/** One pydantic error entry. */
interface PydanticIssue {
  readonly type: string;
  readonly loc: readonly (string | number)[];
  readonly msg: string;
  readonly input: PyJson;
}

/** Thrown by the field readers; turned into one 422 by {@link readBody}. */
class Issue extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** A JSON value as parsed from the body. */
type Json = unknown;

function isObject(value: Json): value is Record<string, Json> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** pydantic `int` (lax): ints, integral floats, integer strings. */
export function readInt(value: Json): number {
  if (typeof value === "number") {
    if (Number.isInteger(value)) return value;
    throw new Issue(
      "int_from_float",
      "Input should be a valid integer, got a number with a fractional part",
    );
  }
  if (typeof value === "string") {
    if (/^\s*[-+]?\d+\s*$/.test(value)) return Number(value);
    throw new Issue(
      "int_parsing",
      "Input should be a valid integer, unable to parse string as an integer",
    );
  }
  if (typeof value === "boolean") return value ? 1 : 0;
  throw new Issue("int_type", "Input should be a valid integer");
}

/** pydantic `float` (lax): numbers and numeric strings. */
export function readFloat(value: Json): number {
  if (typeof value === "number") return value;
  if (typeof value === "string" && value.trim() !== "" && !Number.isNaN(Number(value))) {
    return Number(value);
  }
  if (typeof value === "string") {
    throw new Issue(
      "float_parsing",
      "Input should be a valid number, unable to parse string as a number",
    );
  }
  if (typeof value === "boolean") return value ? 1 : 0;
  throw new Issue("float_type", "Input should be a valid number");
}

const trueWords = new Set(["1", "on", "t", "true", "y", "yes"]);
const falseWords = new Set(["0", "off", "f", "false", "n", "no"]);

/** pydantic `bool` (lax): booleans, 0/1, and its yes/no words. */
export function readBool(value: Json): boolean {
  if (typeof value === "boolean") return value;
  if (value === 0 || value === 1) return value === 1;
  if (typeof value === "string") {
    const word = value.trim().toLowerCase();
    if (trueWords.has(word)) return true;
    if (falseWords.has(word)) return false;
    throw new Issue("bool_parsing", "Input should be a valid boolean, unable to interpret input");
  }
  throw new Issue("bool_type", "Input should be a valid boolean");
}

/** pydantic `str` (strict about type: numbers are not strings). */
export function readString(value: Json): string {
  if (typeof value === "string") return value;
  throw new Issue("string_type", "Input should be a valid string");
}

/** pydantic `List[str]`. */
export function readStringList(value: Json): string[] {
  if (!Array.isArray(value)) throw new Issue("list_type", "Input should be a valid list");
  return value.map((item) => readString(item));
}

/** A field schema: how to read a value. */
export type FieldReader<T> = (value: Json) => T;

/** A nested model with forbidden extras, e.g. `exponential_decay_length_penalty`. */
export function readModel<T extends Record<string, unknown>>(
  fields: { readonly [K in keyof T]: FieldReader<T[K]> },
): FieldReader<T> {
  return (value) => {
    if (!isObject(value)) {
      throw new Issue("model_type", "Input should be a valid dictionary or instance of a model");
    }
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const reader = (fields as Record<string, FieldReader<unknown>>)[key];
      if (!reader) throw new Issue("extra_forbidden", "Extra inputs are not permitted");
      out[key] = reader(item);
    }
    for (const key of Object.keys(fields)) {
      if (!(key in out)) throw new Issue("missing", "Field required");
    }
    return out as T;
  };
}

/** The parsed envelope: `model_id` (may be missing), `inputs`, `parameters` (nulls dropped). */
export interface Envelope<I, P> {
  readonly modelId: string | undefined;
  readonly inputs: I;
  readonly parameters: Partial<P>;
}

/**
 * Reads caikit's envelope: exactly `model_id`, `inputs`, `parameters`; `inputs` required;
 * parameters typed by `parameterReaders`, unknown ones forbidden, `null` values dropped.
 * Throws caikit's 422 CaikitError on the first failure (pydantic reports them all; the mock
 * reports the first, which is what `details` shows).
 */
export function readEnvelope<I, P extends Record<string, unknown>>(
  body: Json,
  readInputs: FieldReader<I>,
  parameterReaders: { readonly [K in keyof P]: FieldReader<P[K]> },
): Envelope<I, P> {
  const at = (loc: (string | number)[], run: () => unknown) => {
    try {
      return run();
    } catch (error) {
      if (!(error instanceof Issue)) throw error;
      const input = (loc.reduce<Json>(
        (node, key) => (isObject(node) ? node[String(key)] : undefined),
        body,
      ) ?? null) as PyJson;
      throw unprocessable({ type: error.type, loc: ["body", ...loc], msg: error.message, input });
    }
  };
  if (!isObject(body)) {
    throw unprocessable({
      type: "model_attributes_type",
      loc: ["body"],
      msg: "Input should be a valid dictionary or object to extract fields from",
      input: (body ?? null) as PyJson,
    });
  }
  for (const key of Object.keys(body)) {
    if (key !== "model_id" && key !== "inputs" && key !== "parameters") {
      at([key], () => {
        throw new Issue("extra_forbidden", "Extra inputs are not permitted");
      });
    }
  }
  const modelId =
    body.model_id === undefined || body.model_id === null
      ? undefined
      : (at(["model_id"], () => readString(body.model_id)) as string);
  if (!("inputs" in body)) {
    at(["inputs"], () => {
      throw new Issue("missing", "Field required");
    });
  }
  const inputs = at(["inputs"], () => readInputs(body.inputs)) as I;
  const parameters: Record<string, unknown> = {};
  const raw = body.parameters;
  if (raw !== undefined && raw !== null) {
    if (!isObject(raw)) {
      at(["parameters"], () => {
        throw new Issue("model_type", "Input should be a valid dictionary or instance of a model");
      });
    } else {
      for (const [key, value] of Object.entries(raw)) {
        const reader = (parameterReaders as Record<string, FieldReader<unknown>>)[key];
        if (!reader) {
          at(["parameters", key], () => {
            throw new Issue("extra_forbidden", "Extra inputs are not permitted");
          });
        } else if (value !== null) {
          parameters[key] = at(["parameters", key], () => reader(value));
        }
      }
    }
  }
  return { modelId, inputs, parameters: parameters as Partial<P> };
}

function unprocessable(issue: PydanticIssue): CaikitError {
  const info: PyJson = [
    { type: issue.type, loc: [...issue.loc], msg: issue.msg, input: issue.input },
  ];
  return new CaikitError(issue.msg, 422, Code.InvalidArgument, 422, issue.msg, info);
}

/** pydantic `List[T]`. */
export function readList<T>(item: FieldReader<T>): FieldReader<T[]> {
  return (value) => {
    if (!Array.isArray(value)) throw new Issue("list_type", "Input should be a valid list");
    return value.map((v) => item(v));
  };
}

/** pydantic `Dict[str, Any]`. */
export function readDict(value: Json): Record<string, unknown> {
  if (!isObject(value)) throw new Issue("dict_type", "Input should be a valid dictionary");
  return value;
}
