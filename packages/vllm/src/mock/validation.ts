/**
 * Reading a JSON request body as vLLM's pydantic models do, and failing as vLLM does: every
 * field error is collected, and the 400 message is the stringified pydantic error list
 * (vllm-openai.md §3: validation answers 400 `BadRequestError`, not FastAPI's 422). Unknown
 * fields are accepted and ignored (§4.1).
 */
import type { VllmError } from "./errors.js";
import {
  type FieldIssueType,
  fieldIssue,
  greaterThanEqualIssue,
  type PydanticIssue,
  pydanticError,
  type RaisedValidation,
  valueErrorIssue,
} from "./pydantic-errors.js";

/** Python's `repr` of a JSON value; see pydantic-errors.ts, where it lives. */
export { pyRepr } from "./pydantic-errors.js";

/**
 * Up to this many keys, a body's fields are found among its own keys (see FieldReader): a scan
 * of a few names costs less than the property look-ups of the absent fields a route reads (about
 * 40 for a completion, 25-55 ns each in a loop, more under load with V8's look-up caches shared).
 */
const fewKeys = 12;

/** The strings pydantic's lax mode reads as booleans (pydantic-core `str_as_bool`), lowercase. */
const laxBools: ReadonlyMap<string, boolean> = new Map([
  ["0", false],
  ["f", false],
  ["n", false],
  ["no", false],
  ["off", false],
  ["false", false],
  ["1", true],
  ["t", true],
  ["y", true],
  ["on", true],
  ["yes", true],
  ["true", true],
]);

/**
 * Reads typed fields from a body, collecting pydantic-style issues; {@link FieldReader.finish}
 * throws the 400 when any field was wrong. A field that is absent or `null` reads as undefined
 * (pydantic's `Optional[...] = None`).
 */
export class FieldReader {
  readonly #body: Record<string, unknown>;
  /**
   * The body's own keys when it has few ({@link fewKeys} at most, the usual request), else
   * undefined. A route reads dozens of optional fields and a body sets a handful: a name not
   * among these few is absent, found by comparing names, not by a property look-up for each.
   */
  readonly #keys: readonly string[] | undefined;
  readonly #issues: PydanticIssue[] = [];

  constructor(body: unknown) {
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      this.#body = {};
      this.#keys = undefined;
      this.#issue("model_attributes_type", [], body);
    } else {
      this.#body = body as Record<string, unknown>;
      const keys = Object.keys(body);
      this.#keys = keys.length <= fewKeys ? keys : undefined;
    }
  }

  #issue(type: FieldIssueType, loc: readonly (string | number)[], input: unknown): undefined {
    this.#issues.push(fieldIssue(type, loc, input));
    return undefined;
  }

  /** The raw value of a field (absent or null: undefined). */
  raw(name: string): unknown {
    if (this.#keys !== undefined && !this.#keys.includes(name)) return undefined;
    const value = this.#body[name];
    return value === null ? undefined : value;
  }

  /** Records a field as missing (a required field without a value). */
  missing(name: string): undefined {
    return this.#issue("missing", [name], this.#body);
  }

  /** A string field. */
  string(name: string): string | undefined {
    const value = this.raw(name);
    if (value === undefined || typeof value === "string") return value;
    return this.#issue("string_type", [name], value);
  }

  /** An integer field (pydantic accepts 3.0 as 3, rejects 3.5 and strings of letters). */
  int(name: string): number | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (typeof value === "number") {
      return Number.isInteger(value) ? value : this.#issue("int_from_float", [name], value);
    }
    return this.#issue("int_type", [name], value);
  }

  /**
   * An integer field with pydantic's `Field(ge=<ge>)` bound: below it, the `greater_than_equal`
   * issue with the bound in its text and ctx, and undefined.
   */
  intAtLeast(name: string, ge: number): number | undefined {
    const value = this.int(name);
    if (value === undefined || value >= ge) return value;
    this.#issues.push(greaterThanEqualIssue([name], ge, value));
    return undefined;
  }

  /** A number field. */
  number(name: string): number | undefined {
    const value = this.raw(name);
    if (value === undefined || typeof value === "number") return value;
    return this.#issue("float_type", [name], value);
  }

  /**
   * A boolean field, read as pydantic's lax mode reads JSON (pydantic-core `str_as_bool`,
   * `int_as_bool`): 0 and 1, and the strings 0/1/f/t/n/y/no/yes/off/on/false/true in any case,
   * are booleans; another number or string is `bool_parsing`, anything else `bool_type`.
   */
  bool(name: string): boolean | undefined {
    const value = this.raw(name);
    if (value === undefined || typeof value === "boolean") return value;
    if (typeof value === "number") {
      if (value === 0 || value === 1) return value === 1;
      return this.#issue("bool_parsing", [name], value);
    }
    if (typeof value === "string") {
      const word = laxBools.get(value.toLowerCase());
      return word ?? this.#issue("bool_parsing", [name], value);
    }
    return this.#issue("bool_type", [name], value);
  }

  /** An object field, returned as its own reader's input. */
  object(name: string): Record<string, unknown> | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
    return this.#issue("dict_type", [name], value);
  }

  /** A `str | list[str]` field such as `stop`, as a list. */
  stringOrStrings(name: string): string[] | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (typeof value === "string") return [value];
    if (Array.isArray(value) && value.every((item) => typeof item === "string")) return value;
    return this.#issue("string_type", [name], value);
  }

  /** A `list[str]` field such as `bad_words` (a lone string is not a list). */
  strings(name: string): string[] | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) return this.#issue("list_type", [name], value);
    const bad = value.findIndex((item) => typeof item !== "string");
    if (bad >= 0) return this.#issue("string_type", [name, bad], value[bad]);
    return value as string[];
  }

  /** A `list[int]` field such as `stop_token_ids`. */
  ints(name: string): number[] | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) return this.#issue("list_type", [name], value);
    const bad = value.findIndex((item) => typeof item !== "number" || !Number.isInteger(item));
    if (bad >= 0) return this.#issue("int_type", [name, bad], value[bad]);
    return value as number[];
  }

  /** A list field whose items the caller checks (e.g. `messages`). */
  list(name: string): unknown[] | undefined {
    const value = this.raw(name);
    if (value === undefined || Array.isArray(value)) return value;
    return this.#issue("list_type", [name], value);
  }

  /** Records an issue on a nested location (e.g. a message's role). */
  nested(type: FieldIssueType, loc: readonly (string | number)[], input: unknown) {
    this.#issue(type, loc, input);
  }

  /** Throws the 400 when any field was wrong. */
  finish(): void {
    const error = this.error();
    if (error) throw error;
  }

  /** The 400 for the collected issues, or undefined when there are none. */
  error(): VllmError | undefined {
    if (this.#issues.length === 0) return undefined;
    return pydanticError(this.#issues);
  }
}

/**
 * Python's truth value of a JSON value, as vLLM's `mode="before"` model validators test the raw
 * body (`data.get("stream_options") and not data.get("stream")`): None, False, 0, "", [] and {}
 * are false, everything else true. Absent reads as None.
 */
export function pyTruthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === "") {
    return false;
  }
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === "object") return Object.keys(value).length > 0;
  return true;
}

/**
 * A pydantic `model_validator` ValueError: it also surfaces as a validation error list, type
 * `value_error`, loc the model (`('body',)`), msg prefixed `Value error, `, and the exception in
 * ctx (pydantic-core ValueError {error}); vllm-openai.md §3.2 lists the texts. `raised`: the
 * parameter the validator names where it raises VLLMValidationError (from 0.13.0, profiles.ts
 * `validatorErrors`); undefined where it still raises a plain ValueError.
 */
export function modelValueError(
  message: string,
  body: unknown,
  raised?: Omit<RaisedValidation, "message">,
): VllmError {
  return pydanticError([valueErrorIssue([], message, body, raised)]);
}
