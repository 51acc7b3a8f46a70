/**
 * `response_format` read as vLLM's pydantic models read it (vllm/entrypoints/openai/protocol.py):
 * `ResponseFormat` (`type` one of `text` / `json_object` / `json_schema`, `json_schema` a
 * `JsonSchemaResponseFormat` with `name: str` required, `schema: dict | None`, `description`,
 * `strict`) and, by release, the structural tag models beside it in a union. A body that fits none
 * is the 400 of vLLM's validation handler: pydantic's error list, one entry per failing member,
 * each located under the member's class name as pydantic's smart union writes it.
 */

import type { StructuralTagShapes } from "./profiles.js";
import {
  literalIssue,
  type PydanticCtx,
  type PydanticIssue,
  pydanticError,
} from "./pydantic-errors.js";
import type { Guided } from "./requests.js";

/** pydantic's issues and their 400, re-exported from pydantic-errors.ts where they live. */
export {
  literalIssue,
  type PydanticIssue,
  pydanticError,
  valueErrorIssue,
} from "./pydantic-errors.js";

type Issue = PydanticIssue;

const issuesError = pydanticError;

type Dict = Record<string, unknown>;

function isDict(value: unknown): value is Dict {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Reads one pydantic model's fields, collecting issues under `at`. */
class ModelCheck {
  readonly issues: Issue[] = [];
  constructor(
    readonly at: readonly (string | number)[],
    readonly value: Dict,
  ) {}

  #add(field: string | number, type: string, msg: string, input: unknown, ctx?: PydanticCtx) {
    const issue = { type, loc: [...this.at, field], msg, input };
    this.issues.push(ctx === undefined ? issue : { ...issue, ctx });
  }

  /** A required field: `Field required` when absent (null is a value, and fails its type). */
  required(field: string): boolean {
    if (field in this.value) return true;
    this.#add(field, "missing", "Field required", this.value);
    return false;
  }

  literal(field: string, options: readonly string[]): void {
    if (!this.required(field)) return;
    const value = this.value[field];
    if (typeof value === "string" && options.includes(value)) return;
    this.issues.push(literalIssue([...this.at, field], options, value));
  }

  /** `Literal[...] | None = None`: absent or null passes. */
  optionalLiteral(field: string, options: readonly string[]): void {
    if (this.value[field] != null) this.literal(field, options);
  }

  /** `Dict[str, object]` (required): null is a value and fails. */
  requiredDict(field: string): void {
    if (!this.required(field)) return;
    const value = this.value[field];
    if (!isDict(value)) {
      this.#add(field, "dict_type", "Input should be a valid dictionary", value);
    }
  }

  /** `str` (required) or `str | None = None`. */
  string(field: string, required: boolean): void {
    if (required ? !this.required(field) : this.value[field] == null) return;
    const value = this.value[field];
    if (typeof value !== "string") {
      this.#add(field, "string_type", "Input should be a valid string", value);
    }
  }

  /** `dict[str, Any] | None = None`. */
  dict(field: string): void {
    const value = this.value[field];
    if (value != null && !isDict(value)) {
      this.#add(field, "dict_type", "Input should be a valid dictionary", value);
    }
  }

  /** `bool | None = None` in lax mode: true/false, 0/1, and Python's words for them. */
  bool(field: string): void {
    const value = this.value[field];
    if (value == null || typeof value === "boolean" || value === 0 || value === 1) return;
    const words = ["0", "off", "f", "false", "n", "no", "1", "on", "t", "true", "y", "yes"];
    if (typeof value === "string" && words.includes(value.toLowerCase())) return;
    if (typeof value === "string" || typeof value === "number") {
      this.#add(
        field,
        "bool_parsing",
        "Input should be a valid boolean, unable to interpret input",
        value,
      );
    } else {
      this.#add(field, "bool_type", "Input should be a valid boolean", value);
    }
  }

  /** A nested model field (`cls` names it), checked by `check` when it is a dict. */
  model(field: string, cls: string, required: boolean, check: (inner: ModelCheck) => void): void {
    if (required ? !this.required(field) : this.value[field] == null) return;
    this.#nested(field, this.value[field], cls, check);
  }

  /** `list[...]` (required); `item` checks each entry at its index. */
  list(field: string, item: (entry: unknown, at: ModelCheck, index: number) => void): void {
    if (!this.required(field)) return;
    const value = this.value[field];
    if (!Array.isArray(value)) {
      this.#add(field, "list_type", "Input should be a valid list", value);
      return;
    }
    const at = new ModelCheck([...this.at, field], {});
    for (const [i, entry] of value.entries()) item(entry, at, i);
    this.issues.push(...at.issues);
  }

  /** A list entry that must be a `str`. */
  stringAt(index: number, entry: unknown): void {
    if (typeof entry !== "string") {
      this.#add(index, "string_type", "Input should be a valid string", entry);
    }
  }

  /** A list entry that must be the model `cls`. */
  modelAt(index: number, entry: unknown, cls: string, check: (inner: ModelCheck) => void): void {
    this.#nested(index, entry, cls, check);
  }

  /** `value` at `key` as the model `cls`: pydantic's model_type when no dict, else `check`ed. */
  #nested(
    key: string | number,
    value: unknown,
    cls: string,
    check: (inner: ModelCheck) => void,
  ): void {
    if (!isDict(value)) {
      this.#add(key, "model_type", modelTypeMessage(cls), value, { class_name: cls });
      return;
    }
    const inner = new ModelCheck([...this.at, key], value);
    check(inner);
    this.issues.push(...inner.issues);
  }
}

function modelTypeMessage(cls: string): string {
  return `Input should be a valid dictionary or instance of ${cls}`;
}

/** A union member: its class name and the check of its fields. */
interface Member {
  readonly cls: string;
  readonly check: (model: ModelCheck) => void;
}

const responseFormat: Member = {
  cls: "ResponseFormat",
  check(model) {
    model.literal("type", ["text", "json_object", "json_schema"]);
    model.model("json_schema", "JsonSchemaResponseFormat", false, (spec) => {
      spec.string("name", true);
      spec.string("description", false);
      spec.dict("schema");
      spec.bool("strict");
    });
  },
};

/** The first structural tag shape; `cls`/`item` are its class names in the release. */
function structuresMember(cls: string, item: string): Member {
  return {
    cls,
    check(model) {
      model.literal("type", ["structural_tag"]);
      model.list("structures", (entry, at, i) =>
        at.modelAt(i, entry, item, (tag) => {
          tag.string("begin", true);
          tag.dict("schema");
          tag.string("end", true);
        }),
      );
      model.list("triggers", (entry, at, i) => at.stringAt(i, entry));
    },
  };
}

const formatMember: Member = {
  cls: "StructuralTagResponseFormat",
  check(model) {
    model.literal("type", ["structural_tag"]);
    model.required("format");
  },
};

/**
 * The union `response_format` is by release ({@link StructuralTagShapes}): `ResponseFormat`
 * alone; with the first structural tag model (vllm PR #17085: `StructuralTagResponseFormat`
 * holding `StructuralTag`s); or `ResponseFormat | StructuralTagResponseFormat (format: Any) |
 * LegacyStructuralTagResponseFormat` (holding `LegacyStructuralTag`s), protocol.py's
 * `AnyResponseFormat` once xgrammar's new format came.
 */
function membersOf(shapes: StructuralTagShapes): readonly Member[] {
  if (shapes === "none") return [responseFormat];
  if (shapes === "structures") {
    return [responseFormat, structuresMember("StructuralTagResponseFormat", "StructuralTag")];
  }
  return [
    responseFormat,
    formatMember,
    structuresMember("LegacyStructuralTagResponseFormat", "LegacyStructuralTag"),
  ];
}

/** The issues of one member against `value`, located under `at`. */
function memberIssues(member: Member, at: readonly (string | number)[], value: unknown): Issue[] {
  if (!isDict(value)) {
    return [
      {
        type: "model_type",
        loc: at,
        msg: modelTypeMessage(member.cls),
        input: value,
        ctx: { class_name: member.cls },
      },
    ];
  }
  const model = new ModelCheck(at, value);
  member.check(model);
  return model.issues;
}

/**
 * The guided decoding a `response_format` asks for, or undefined (`text`, or absent / null).
 * Throws the 400 with pydantic's list when it fits no model of the release's union (a schema
 * given as a string: `dict_type` at `json_schema.schema`; a wrong `type`: every member's
 * complaint). `json_object` is any object, `json_schema` its schema (`{type: object}` when it has
 * none), a structural tag the whole object (vLLM dumps it by alias for the backend).
 */
export function readResponseFormat(
  value: unknown,
  shapes: StructuralTagShapes,
): Guided | undefined {
  if (value === undefined || value === null) return undefined;
  const members = membersOf(shapes);
  const issues: Issue[] = [];
  for (const member of members) {
    const at = members.length === 1 ? ["response_format"] : ["response_format", member.cls];
    const found = memberIssues(member, at, value);
    if (found.length === 0) return guidedOf(value as Dict);
    issues.push(...found);
  }
  throw issuesError(issues);
}

function guidedOf(format: Dict): Guided | undefined {
  if (format.type === "json_object") return { json: { type: "object" } };
  if (format.type === "json_schema") {
    const spec = format.json_schema as { schema?: unknown } | null | undefined;
    return { json: spec?.schema ?? { type: "object" } };
  }
  if (format.type === "structural_tag") return { structuralTag: format };
  return undefined;
}

/**
 * Checks a JSON schema field typed `str | dict | BaseModel` (`guided_json`, protocol.py) or
 * `str | dict` (`structured_outputs.json`, StructuredOutputsParams): a number, list or boolean
 * fits no member, so pydantic lists each member's complaint under its union tag (`str`,
 * `dict[any,any]`, `is-instance[BaseModel]`), vLLM's 400 in every release that has the field.
 */
export function checkSchemaField(value: unknown, at: readonly string[], baseModel: boolean): void {
  if (typeof value === "string" || isDict(value)) return;
  const issues: Issue[] = [
    {
      type: "string_type",
      loc: [...at, "str"],
      msg: "Input should be a valid string",
      input: value,
    },
    {
      type: "dict_type",
      loc: [...at, "dict[any,any]"],
      msg: "Input should be a valid dictionary",
      input: value,
    },
  ];
  if (baseModel) {
    issues.push({
      type: "is_instance_of",
      loc: [...at, "is-instance[BaseModel]"],
      msg: "Input should be an instance of BaseModel",
      input: value,
      ctx: { class: "BaseModel" },
    });
  }
  throw issuesError(issues);
}

/**
 * `text.format` of `POST /v1/responses`: openai's `ResponseFormatTextConfig`, a union of
 * `ResponseFormatText`, `ResponseFormatTextJSONSchemaConfig` and `ResponseFormatJSONObject` in
 * that order (openai-python types/responses/response_format_text_config.py; its
 * `PropertyInfo(discriminator="type")` is openai's own metadata, so pydantic validates it as a
 * smart union and lists every member's complaint under the member's class name). The JSON schema
 * member: `schema` (alias of `schema_`, `Dict[str, object]`, required), `type`, `description`,
 * `name` (optional in the stored openai types), `strict`, in field order.
 */
const textFormatMembers: readonly Member[] = [
  { cls: "ResponseFormatText", check: (model) => model.literal("type", ["text"]) },
  {
    cls: "ResponseFormatTextJSONSchemaConfig",
    check(model) {
      model.requiredDict("schema");
      model.literal("type", ["json_schema"]);
      model.string("description", false);
      model.string("name", false);
      model.bool("strict");
    },
  },
  { cls: "ResponseFormatJSONObject", check: (model) => model.literal("type", ["json_object"]) },
];

/**
 * Reads `text` of `POST /v1/responses` (ResponsesRequest `text: ResponseTextConfig | None`:
 * `format` the union above, `verbosity: Literal["low", "medium", "high"] | None`,
 * openai-python response_text_config.py) and throws pydantic's list as vLLM's 400 when it fits
 * none. What guides the output (protocol.py `to_sampling_params`): a `json_schema` format, by its
 * schema; `json_object` and `text` guide nothing in the releases the mock models (the JSON object
 * branch came in a later `extract_structured_outputs`).
 */
export function readResponsesText(value: unknown): Guided | undefined {
  if (value === undefined || value === null) return undefined;
  const issues: Issue[] = [];
  if (!isDict(value)) {
    issues.push({
      type: "model_type",
      loc: ["text"],
      msg: modelTypeMessage("ResponseTextConfig"),
      input: value,
      ctx: { class_name: "ResponseTextConfig" },
    });
    throw issuesError(issues);
  }
  const format = value.format;
  if (format !== undefined && format !== null) {
    for (const member of textFormatMembers) {
      const found = memberIssues(member, ["text", "format", member.cls], format);
      if (found.length === 0) {
        issues.length = 0;
        break;
      }
      issues.push(...found);
    }
  }
  const text = new ModelCheck(["text"], value);
  text.optionalLiteral("verbosity", ["low", "medium", "high"]);
  issues.push(...text.issues);
  if (issues.length > 0) throw issuesError(issues);
  if (isDict(format) && format.type === "json_schema") return { json: format.schema };
  return undefined;
}

/**
 * The `text` a response echoes for a request's `text` (already read by {@link readResponsesText}):
 * `ResponsesResponse.from_request` copies the request's openai `ResponseTextConfig` and vLLM writes
 * the response with pydantic's `model_dump()` / `model_dump_json()`, no `by_alias` (api_router.py
 * `JSONResponse(content=generator.model_dump())`, `_convert_stream_to_sse_events`
 * `event.model_dump_json(indent=None)`): every declared field in field order, nulls included, the
 * JSON schema under its Python name `schema_`, then any extra key the openai model keeps
 * (`extra="allow"`). `format` and `verbosity` (response_text_config.py); the JSON schema member's
 * `schema_`, `type`, `description`, `name`, `strict` (response_format_text_json_schema_config.py,
 * the stored version). Null when the request had none. Once per response object, off the token
 * path.
 */
export function textEcho(value: unknown): Dict | null {
  if (!isDict(value)) return null;
  const { format, verbosity, ...extra } = value;
  return Object.assign({ format: formatEcho(format), verbosity: verbosity ?? null }, extra);
}

/**
 * A {@link textEcho} as `model_dump(by_alias=True)` writes it (profiles.ts
 * `ResponsesEra.textByAlias`, vllm PR #38519): the JSON schema under its alias `schema`, in
 * `schema_`'s place; everything else as it was. Once per response object, off the token path.
 */
export function textByAlias(echo: Dict | null): Dict | null {
  const format = echo?.format;
  if (echo === null || !isDict(format) || !("schema_" in format)) return echo;
  const { schema_, ...rest } = format;
  return Object.assign({}, echo, { format: Object.assign({ schema: schema_ }, rest) });
}

/** One `text.format` as pydantic dumps the union member it validated as (see {@link textEcho}). */
function formatEcho(format: unknown): Dict | null {
  if (!isDict(format)) return null;
  if (format.type !== "json_schema") {
    const { type, ...extra } = format;
    return Object.assign({ type }, extra);
  }
  const { schema, type, description, name, strict, ...extra } = format;
  return Object.assign(
    {
      schema_: schema,
      type,
      description: description ?? null,
      name: name ?? null,
      strict: strict ?? null,
    },
    extra,
  );
}

/** `reasoning.effort` (openai-python types/shared/reasoning_effort.py, the stored version). */
const reasoningEfforts = ["none", "minimal", "low", "medium", "high"] as const;
const summaries = ["auto", "concise", "detailed"] as const;

/**
 * Reads `reasoning` of `POST /v1/responses` (ResponsesRequest `reasoning: Reasoning | None`,
 * openai-python types/shared/reasoning.py: `effort`, `generate_summary`, `summary`, each optional)
 * and answers it as the response echoes it (`ResponsesResponse.from_request` copies the model;
 * `model_dump` writes its three fields, nulls included, then any extra key the openai model keeps).
 * Null when absent; throws pydantic's list as vLLM's 400 when a value is outside its Literal.
 * The non-harmony path does nothing else with it in the releases the mock models.
 */
export function readReasoning(value: unknown): Dict | null {
  if (value === undefined || value === null) return null;
  if (!isDict(value)) {
    throw issuesError([
      {
        type: "model_type",
        loc: ["reasoning"],
        msg: modelTypeMessage("Reasoning"),
        input: value,
        ctx: { class_name: "Reasoning" },
      },
    ]);
  }
  const model = new ModelCheck(["reasoning"], value);
  model.optionalLiteral("effort", reasoningEfforts);
  model.optionalLiteral("generate_summary", summaries);
  model.optionalLiteral("summary", summaries);
  if (model.issues.length > 0) throw issuesError(model.issues);
  const { effort, generate_summary, summary, ...extra } = value;
  return Object.assign(
    {
      effort: effort ?? null,
      generate_summary: generate_summary ?? null,
      summary: summary ?? null,
    },
    extra,
  );
}
