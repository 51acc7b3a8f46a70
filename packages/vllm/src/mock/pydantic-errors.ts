/**
 * pydantic's validation error list as vLLM answers it: FastAPI hands vLLM's validation handler
 * `errors()` without `url` (type, loc, msg, input, and ctx where the error type has one), and the
 * 400 message is that list as Python prints it (vllm-openai.md §3: "stringified pydantic error
 * list"). The one rendering of those entries for every vLLM route: FieldReader's field errors,
 * model validators' ValueErrors, the structured-output and Responses unions, the Messages API.
 *
 * Which types carry a ctx, and its keys, are pydantic-core's (src/errors/types.rs): `missing`,
 * `*_type`, `int_from_float`, `bool_parsing` have none; `less_than_equal` {'le'},
 * `greater_than_equal` {'ge'}, `literal_error` {'expected'}, `value_error` {'error'} (the
 * exception object itself, printed as its repr), `model_type` {'class_name'}, `is_instance_of`
 * {'class'}.
 */
import { VllmError } from "./errors.js";
import type { ValidatorErrorEra } from "./profiles.js";

/**
 * A Python value written as its repr, not as a JSON value: the exception pydantic keeps in a
 * `value_error`'s ctx (`ValueError('...')`).
 */
export class PyRaw {
  /** @param repr the Python source text printed as is */
  constructor(readonly repr: string) {}
}

/** `ValueError('<message>')` as pydantic's `value_error` ctx prints the raised exception. */
export function pyValueError(message: string): PyRaw {
  return new PyRaw(`ValueError(${pyRepr(message)})`);
}

/** Python's short escapes in a str repr. */
const shortEscapes: Readonly<Record<string, string>> = {
  "\\": "\\\\",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  " ": " ",
};

/**
 * What CPython's str repr escapes: the backslash and every character `str.isprintable` refuses
 * (Unicode categories Cc, Cf, Cs, Co, Cn, Zl, Zp, and Zs but the space).
 */
const unprintable = /[\\\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/gu;

function escapeChar(char: string): string {
  const short = shortEscapes[char];
  if (short !== undefined) return short;
  const code = char.codePointAt(0) ?? 0;
  if (code < 0x100) return `\\x${code.toString(16).padStart(2, "0")}`;
  if (code < 0x10000) return `\\u${code.toString(16).padStart(4, "0")}`;
  return `\\U${code.toString(16).padStart(8, "0")}`;
}

/** A character other than printable ASCII or the backslash: only then is the text scanned. */
const notPlainAscii = /[^ -[\]-~]/;

function strRepr(value: string): string {
  // CPython: single quotes unless the text holds a ' and no ", then double quotes.
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  const escaped = notPlainAscii.test(value) ? value.replace(unprintable, escapeChar) : value;
  return `${quote}${quote === "'" ? escaped.replaceAll("'", "\\'") : escaped}${quote}`;
}

/**
 * Python's float repr of a number that is not integral: CPython writes an exponent (two digits at
 * least, signed) below 1e-4 and from 1e16, JavaScript only below 1e-6 and from 1e21.
 */
function floatRepr(value: number): string {
  const size = Math.abs(value);
  if (size >= 1e-4 && size < 1e16) return String(value);
  const [mantissa, exponent = "0"] = value.toExponential().split("e");
  const sign = exponent.startsWith("-") ? "-" : "+";
  return `${mantissa}e${sign}${exponent.replace(/^[+-]/, "").padStart(2, "0")}`;
}

/**
 * Python's `str` of a float, as an f-string prints a float field pydantic read from a JSON number
 * (`temperature: -1` prints `-1.0`): an integral value keeps `.0` below 1e16, exponent form from
 * there (as {@link pyRepr} writes other floats), `-0.0`, `inf`, `nan`.
 */
export function pyFloat(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
  if (Object.is(value, -0)) return "-0.0";
  if (Number.isInteger(value) && Math.abs(value) < 1e16) return `${value}.0`;
  return floatRepr(value);
}

/**
 * Python's `repr` of a JSON value, as pydantic's error list prints its `input` and ctx values:
 * None/True/False, str quoted as CPython quotes it, lists and dicts in insertion order, a bigint
 * as an int (bounds beyond 2^53 such as int64's), a {@link PyRaw} as its text. An integral number
 * prints as an int (JSON cannot tell `1.0` from `1` once parsed).
 */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "string") return strRepr(value);
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : floatRepr(value);
  if (typeof value === "bigint") return String(value);
  if (value instanceof PyRaw) return value.repr;
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(", ")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    return `{${entries.map(([k, v]) => `${strRepr(k)}: ${pyRepr(v)}`).join(", ")}}`;
  }
  return String(value);
}

/** pydantic's `ctx`: the error type's parameters by name, printed with {@link pyRepr}. */
export type PydanticCtx = Readonly<Record<string, string | number | bigint | PyRaw>>;

/**
 * One pydantic error entry as FastAPI hands it to vLLM's validation handler (errors() without
 * `url`). `loc` is below the request part (`body` unless {@link issuesText} is told otherwise);
 * `ctx` only where pydantic-core's error type has one.
 */
export interface PydanticIssue {
  readonly type: string;
  readonly loc: readonly (string | number)[];
  readonly msg: string;
  readonly input: unknown;
  readonly ctx?: PydanticCtx;
  /**
   * What a vLLM validator raised, when it names a parameter: from 0.13.0 a VLLMValidationError
   * with this `parameter` (and `value`, when it passes one) instead of the plain ValueError this
   * issue is written as ({@link PydanticValidationError.inEra}).
   */
  readonly raised?: RaisedValidation;
}

/** A validator's VLLMValidationError arguments: its text, `parameter=` and `value=`. */
export interface RaisedValidation {
  readonly message: string;
  readonly parameter: string;
  readonly value?: number | string;
}

function locText(part: string, loc: readonly (string | number)[]): string {
  // A Python tuple: one item needs its trailing comma, `('body',)`.
  if (loc.length === 0) return `(${strRepr(part)},)`;
  return `(${strRepr(part)}, ${loc.map(pyRepr).join(", ")})`;
}

function issueText(issue: PydanticIssue, part: string): string {
  const head = `{'type': ${strRepr(issue.type)}, 'loc': ${locText(part, issue.loc)}, 'msg': ${strRepr(issue.msg)}, 'input': ${pyRepr(issue.input)}`;
  return issue.ctx === undefined ? `${head}}` : `${head}, 'ctx': ${pyRepr(issue.ctx)}}`;
}

/**
 * The error list as Python prints it, each `loc` under `part` (`body` by default; `query` for a
 * query parameter).
 */
export function issuesText(issues: readonly PydanticIssue[], part = "body"): string {
  return `[${issues.map((issue) => issueText(issue, part)).join(", ")}]`;
}

/**
 * An issue as the VLLMValidationError era prints it: vllm/exceptions.py `__str__` appends
 * ` (parameter=<p>[, value=<v>])` to the text (so to pydantic's msg), the ctx holds the exception
 * whose repr shows the text alone.
 */
function vllmValidationIssue(issue: PydanticIssue, raised: RaisedValidation): PydanticIssue {
  const extras =
    raised.value === undefined
      ? `parameter=${raised.parameter}`
      : `parameter=${raised.parameter}, value=${raised.value}`;
  const error = new PyRaw(`VLLMValidationError(${pyRepr(raised.message)})`);
  return {
    type: issue.type,
    loc: issue.loc,
    msg: `Value error, ${raised.message} (${extras})`,
    input: issue.input,
    ctx: { error },
  };
}

/**
 * The 400 of vLLM's validation handler for a list of issues in the body, as releases before
 * 0.13.0 answer it; {@link PydanticValidationError.inEra} gives a later release's.
 */
export class PydanticValidationError extends VllmError {
  /** The issues, in pydantic's order. */
  readonly issues: readonly PydanticIssue[];
  constructor(issues: readonly PydanticIssue[]) {
    super(400, "");
    this.issues = issues;
    // The text is written when first read, not here: a release of the VLLMValidationError era
    // answers inEra's text instead, and a refusal wrote both (about 40 vs 27 us a refusal).
    let text: string | undefined;
    Object.defineProperty(this, "message", {
      configurable: true,
      enumerable: false,
      get: () => {
        text ??= issuesText(issues);
        return text;
      },
    });
  }

  /**
   * From 0.13.0 (`vllm-validation-error`): the issues a validator raised as VLLMValidationError
   * print its text with the parameter, and the envelope's `param` is the first one's parameter
   * (api_server.py validation_exception_handler: the first error whose ctx error is a
   * VLLMValidationError). Refusal path only.
   */
  override inEra(era: ValidatorErrorEra): VllmError {
    if (era === "value-error" || !this.issues.some((issue) => issue.raised !== undefined)) {
      return this;
    }
    const shown = this.issues.map((issue) =>
      issue.raised === undefined ? issue : vllmValidationIssue(issue, issue.raised),
    );
    const param = this.issues.find((issue) => issue.raised !== undefined)?.raised?.parameter;
    return new VllmError(400, issuesText(shown), param === undefined ? {} : { param });
  }
}

/** The 400 vLLM's validation handler answers for a list of issues in the body. */
export function pydanticError(issues: readonly PydanticIssue[]): VllmError {
  return new PydanticValidationError(issues);
}

/**
 * pydantic's issue for an int below a field's `Field(ge=<ge>)` bound: `greater_than_equal`,
 * "Input should be greater than or equal to <ge>", ctx `{'ge': <ge>}` (pydantic-core's text).
 */
export function greaterThanEqualIssue(
  loc: readonly (string | number)[],
  ge: number,
  input: unknown,
): PydanticIssue {
  return {
    type: "greater_than_equal",
    loc,
    msg: `Input should be greater than or equal to ${ge}`,
    input,
    ctx: { ge },
  };
}

/** pydantic's `Input should be 'a', 'b' or 'c'` and its ctx for a value outside a Literal. */
export function literalIssue(
  loc: readonly (string | number)[],
  options: readonly string[],
  input: unknown,
): PydanticIssue {
  const quoted = options.map(strRepr);
  const expected =
    quoted.length === 1
      ? (quoted[0] as string)
      : `${quoted.slice(0, -1).join(", ")} or ${quoted.at(-1)}`;
  return {
    type: "literal_error",
    loc,
    msg: `Input should be ${expected}`,
    input,
    ctx: { expected },
  };
}

/**
 * A validator's `ValueError(message)`: `Value error, <message>` with the exception in ctx. A
 * model validator's loc is the model itself (`[]`, so `('body',)`). `raised`: the parameter (and
 * value) the validator names from 0.13.0, when it raises VLLMValidationError there.
 */
export function valueErrorIssue(
  loc: readonly (string | number)[],
  message: string,
  input: unknown,
  raised?: Omit<RaisedValidation, "message">,
): PydanticIssue {
  const error = pyValueError(message);
  const msg = `Value error, ${message}`;
  if (raised === undefined) return { type: "value_error", loc, msg, input, ctx: { error } };
  const named: RaisedValidation =
    raised.value === undefined
      ? { message, parameter: raised.parameter }
      : { message, parameter: raised.parameter, value: raised.value };
  return { type: "value_error", loc, msg, input, ctx: { error }, raised: named };
}

/** The largest and smallest int64, vLLM's `seed` bounds (`Field(ge=..., le=...)` of torch.long). */
const int64 = { max: 9223372036854775807n, min: -9223372036854775808n } as const;

/** The message and ctx of an error type that takes no parameter from the caller. */
interface FixedType {
  readonly msg: string;
  readonly ctx?: PydanticCtx;
}

/**
 * The error types a plain field read raises, with pydantic-core's message and ctx. The range
 * types are the int64 bounds, the only range vLLM's request models put on an int they read so.
 */
const fixedTypes = {
  missing: { msg: "Field required" },
  string_type: { msg: "Input should be a valid string" },
  int_type: { msg: "Input should be a valid integer" },
  int_from_float: { msg: "Input should be a valid integer, got a number with a fractional part" },
  float_type: { msg: "Input should be a valid number" },
  bool_type: { msg: "Input should be a valid boolean" },
  bool_parsing: { msg: "Input should be a valid boolean, unable to interpret input" },
  list_type: { msg: "Input should be a valid list" },
  dict_type: { msg: "Input should be a valid dictionary" },
  model_attributes_type: {
    msg: "Input should be a valid dictionary or object to extract fields from",
  },
  less_than_equal: {
    msg: `Input should be less than or equal to ${int64.max}`,
    ctx: { le: int64.max },
  },
  greater_than_equal: {
    msg: `Input should be greater than or equal to ${int64.min}`,
    ctx: { ge: int64.min },
  },
} as const satisfies Readonly<Record<string, FixedType>>;

/** The error types {@link fieldIssue} knows. */
export type FieldIssueType = keyof typeof fixedTypes;

/**
 * A field read's issue of `type` at `loc`, with pydantic-core's message and ctx for the type.
 * Built only when a field is refused.
 */
export function fieldIssue(
  type: FieldIssueType,
  loc: readonly (string | number)[],
  input: unknown,
): PydanticIssue {
  const fixed: FixedType = fixedTypes[type];
  if (fixed.ctx === undefined) return { type, loc, msg: fixed.msg, input };
  return { type, loc, msg: fixed.msg, input, ctx: fixed.ctx };
}
