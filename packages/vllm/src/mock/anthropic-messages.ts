/**
 * vLLM's Anthropic Messages API, `POST /v1/messages` (served by `vllm serve` from v0.11.1, vllm
 * PR #27882; vllm/entrypoints/anthropic/protocol.py and serving_messages.py of that era, up to
 * ≈0.14): the request is read as vLLM's pydantic `AnthropicMessagesRequest`, converted to a chat
 * completion request the way `_convert_anthropic_to_openai_request` does, answered by the chat
 * machinery, and the chat answer converted back (`messages_full_converter`). The stream's
 * conversion is anthropic-stream.ts. Pure functions: the route is in vllm-plugin.ts.
 *
 * Facts of the era the mock keeps, not Anthropic's API: the message id is the chat id
 * (`chatcmpl-…`); `stop_reason` is `end_turn`, `max_tokens` or `tool_use` only (never
 * `stop_sequence`, and no `stop_sequence` key); the content always starts with a text block
 * (empty beside a tool call); a `tool_result` names its call by the block's `id` (vLLM reads no
 * `tool_use_id`, so the chat `tool_call_id` is empty); request validation errors answer in the
 * OpenAI envelope (vLLM's RequestValidationError handler), the handler's errors in Anthropic's
 * `{"type":"error","error":{type,message}}` with vLLM's class-like `type` and its status.
 */
import type { CannedReply } from "@servingkit/mock-core";
import { VllmError } from "./errors.js";
import { chatPromptIds } from "./prompts.js";
import type { ChatRequest } from "./requests.js";
import { checkModelName, type VllmModel } from "./served-model.js";
import { literalIssue, pydanticError, valueErrorIssue } from "./structured.js";
import { FieldReader, pyRepr } from "./validation.js";

/** One content block as vLLM's `AnthropicContentBlock` reads it (unknown keys are dropped). */
export interface AnthropicBlock {
  readonly type: "text" | "image" | "tool_use" | "tool_result";
  readonly text?: string;
  readonly source?: Record<string, unknown>;
  readonly id?: string;
  readonly name?: string;
  readonly input?: Record<string, unknown>;
  readonly content?: string | readonly unknown[];
}

/** One message: `user` or `assistant`, text or blocks. */
export interface AnthropicMessage {
  readonly role: "user" | "assistant";
  readonly content: string | readonly AnthropicBlock[];
}

/** One tool (`input_schema` gains `"type": "object"` when it has no `type`, as vLLM's validator). */
export interface AnthropicTool {
  readonly name: string;
  readonly description: string | undefined;
  readonly inputSchema: Record<string, unknown>;
}

/** `tool_choice`: `auto`, `any` (chat `required`) or `tool` with the tool's name. */
export interface AnthropicToolChoice {
  readonly type: "auto" | "any" | "tool";
  readonly name: string | undefined;
}

/** `POST /v1/messages`, read (vLLM's `AnthropicMessagesRequest`; `metadata` is read and unused). */
export interface AnthropicMessagesRequest {
  readonly model: string;
  readonly messages: readonly AnthropicMessage[];
  /** Required, above 0. */
  readonly maxTokens: number;
  readonly system: string | readonly AnthropicBlock[] | undefined;
  readonly stopSequences: readonly string[] | undefined;
  readonly stream: boolean;
  readonly temperature: number | undefined;
  readonly topP: number | undefined;
  readonly topK: number | undefined;
  readonly tools: readonly AnthropicTool[] | undefined;
  readonly toolChoice: AnthropicToolChoice | undefined;
}

/**
 * `POST /v1/messages/count_tokens`, read (vLLM's `AnthropicCountTokensRequest`, v0.17.0+): the
 * prompt side of a Messages request, no `max_tokens` or sampling fields (unknown keys ignored).
 */
export type AnthropicCountTokensRequest = Pick<
  AnthropicMessagesRequest,
  "model" | "messages" | "system" | "tools" | "toolChoice"
>;

const blockTypes = ["text", "image", "tool_use", "tool_result"] as const;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Reads content blocks at `loc` (`messages.i.content` or `system`). */
function readBlocks(
  fields: FieldReader,
  list: readonly unknown[],
  loc: readonly (string | number)[],
): AnthropicBlock[] {
  const blocks: AnthropicBlock[] = [];
  list.forEach((item, j) => {
    const at = [...loc, j];
    if (!isObject(item)) {
      fields.nested("model_attributes_type", at, item);
      return;
    }
    const type = item.type;
    if (type === undefined) {
      fields.nested("missing", [...at, "type"], item);
      return;
    }
    if (!blockTypes.includes(type as AnthropicBlock["type"])) {
      throw pydanticError([literalIssue([...at, "type"], blockTypes, type)]);
    }
    const block: { -readonly [K in keyof AnthropicBlock]: AnthropicBlock[K] } = {
      type: type as AnthropicBlock["type"],
    };
    const str = (key: "text" | "id" | "name") => {
      const value = item[key];
      if (value === undefined || value === null) return;
      if (typeof value === "string") block[key] = value;
      else fields.nested("string_type", [...at, key], value);
    };
    str("text");
    str("id");
    str("name");
    for (const key of ["source", "input"] as const) {
      const value = item[key];
      if (value === undefined || value === null) continue;
      if (isObject(value)) block[key] = value;
      else fields.nested("dict_type", [...at, key], value);
    }
    const content = item.content;
    if (typeof content === "string" || Array.isArray(content)) block.content = content;
    else if (content !== undefined && content !== null) {
      fields.nested("string_type", [...at, "content"], content);
    }
    blocks.push(block);
  });
  return blocks;
}

function readMessages(fields: FieldReader): AnthropicMessage[] {
  const list = fields.list("messages");
  if (list === undefined) {
    if (fields.raw("messages") === undefined) fields.missing("messages");
    return [];
  }
  const messages: AnthropicMessage[] = [];
  list.forEach((item, i) => {
    if (!isObject(item)) {
      fields.nested("model_attributes_type", ["messages", i], item);
      return;
    }
    const { role, content } = item;
    if (role === undefined) fields.nested("missing", ["messages", i, "role"], item);
    else if (role !== "user" && role !== "assistant") {
      throw pydanticError([literalIssue(["messages", i, "role"], ["user", "assistant"], role)]);
    }
    let read: AnthropicMessage["content"] = "";
    if (content === undefined) fields.nested("missing", ["messages", i, "content"], item);
    else if (typeof content === "string") read = content;
    else if (Array.isArray(content)) read = readBlocks(fields, content, ["messages", i, "content"]);
    else fields.nested("string_type", ["messages", i, "content"], content);
    if (role === "user" || role === "assistant") messages.push({ role, content: read });
  });
  return messages;
}

function readTools(fields: FieldReader): AnthropicTool[] | undefined {
  const list = fields.list("tools");
  if (list === undefined) return undefined;
  const tools: AnthropicTool[] = [];
  list.forEach((item, i) => {
    if (!isObject(item)) {
      fields.nested("model_attributes_type", ["tools", i], item);
      return;
    }
    const { name, description, input_schema: schema } = item;
    if (typeof name !== "string") {
      fields.nested(name === undefined ? "missing" : "string_type", ["tools", i, "name"], item);
    }
    if (description !== undefined && description !== null && typeof description !== "string") {
      fields.nested("string_type", ["tools", i, "description"], description);
    }
    if (!isObject(schema)) {
      const kind = schema === undefined ? "missing" : "dict_type";
      fields.nested(kind, ["tools", i, "input_schema"], schema === undefined ? item : schema);
      return;
    }
    if (typeof name !== "string") return;
    // protocol.py validate_input_schema: a schema without "type" gets "object" (added last).
    const inputSchema = "type" in schema ? schema : Object.assign({}, schema, { type: "object" });
    tools.push({
      name,
      description: typeof description === "string" ? description : undefined,
      inputSchema,
    });
  });
  return tools;
}

function readToolChoice(fields: FieldReader): AnthropicToolChoice | undefined {
  const choice = fields.object("tool_choice");
  if (choice === undefined) return undefined;
  const { type, name } = choice;
  if (type === undefined) {
    fields.nested("missing", ["tool_choice", "type"], choice);
    return undefined;
  }
  const types = ["auto", "any", "tool"] as const;
  if (!types.includes(type as AnthropicToolChoice["type"])) {
    throw pydanticError([literalIssue(["tool_choice", "type"], types, type)]);
  }
  if (name !== undefined && name !== null && typeof name !== "string") {
    fields.nested("string_type", ["tool_choice", "name"], name);
  }
  return {
    type: type as AnthropicToolChoice["type"],
    name: typeof name === "string" ? name : undefined,
  };
}

/**
 * Reads and checks a `/v1/messages` body as vLLM's `AnthropicMessagesRequest` (protocol.py):
 * `model`, `messages` and `max_tokens` required, `model` not empty ("Model is required"),
 * `max_tokens` above 0 ("max_tokens must be positive"), message roles `user`/`assistant`, block
 * types `text`/`image`/`tool_use`/`tool_result`, unknown keys ignored. Throws the 400 of vLLM's
 * validation handler (pydantic's error list), which answers in the OpenAI envelope.
 */
export function parseAnthropicRequest(body: unknown): AnthropicMessagesRequest {
  const fields = new FieldReader(body);
  fields.finish();
  const model = fields.string("model");
  if (fields.raw("model") === undefined) fields.missing("model");
  const messages = readMessages(fields);
  const maxTokens = fields.int("max_tokens");
  if (fields.raw("max_tokens") === undefined) fields.missing("max_tokens");
  fields.object("metadata");
  const rawStops = fields.raw("stop_sequences");
  let stopSequences: string[] | undefined;
  if (Array.isArray(rawStops)) {
    const bad = rawStops.findIndex((s) => typeof s !== "string");
    if (bad >= 0) fields.nested("string_type", ["stop_sequences", bad], rawStops[bad]);
    else stopSequences = rawStops as string[];
  } else if (rawStops !== undefined) fields.nested("list_type", ["stop_sequences"], rawStops);
  const stream = fields.bool("stream") ?? false;
  const system = readSystem(fields);
  const temperature = fields.number("temperature");
  const topP = fields.number("top_p");
  const topK = fields.int("top_k");
  const tools = readTools(fields);
  const toolChoice = readToolChoice(fields);
  fields.finish();
  // The field validators run after the types check out (pydantic's order within a field).
  if (model === "") throw pydanticError([valueErrorIssue(["model"], "Model is required", "")]);
  if (maxTokens !== undefined && maxTokens <= 0) {
    throw pydanticError([
      valueErrorIssue(["max_tokens"], "max_tokens must be positive", maxTokens),
    ]);
  }
  return {
    model: model ?? "",
    messages,
    maxTokens: maxTokens ?? 0,
    system,
    stopSequences,
    stream,
    temperature,
    topP,
    topK,
    tools,
    toolChoice,
  };
}

/**
 * Reads and checks a `/v1/messages/count_tokens` body as vLLM's `AnthropicCountTokensRequest`
 * (protocol.py, vllm PR #35588): `model` and `messages` required, `model` not empty ("Model is
 * required"), `system`, `tools` and `tool_choice` read as `/v1/messages` reads them, anything else
 * (`max_tokens` included) ignored. Throws the 400 of vLLM's validation handler (OpenAI envelope).
 */
export function parseAnthropicCountTokens(body: unknown): AnthropicCountTokensRequest {
  const fields = new FieldReader(body);
  fields.finish();
  const model = fields.string("model");
  if (fields.raw("model") === undefined) fields.missing("model");
  const messages = readMessages(fields);
  const system = readSystem(fields);
  const tools = readTools(fields);
  const toolChoice = readToolChoice(fields);
  fields.finish();
  if (model === "") throw pydanticError([valueErrorIssue(["model"], "Model is required", "")]);
  return { model: model ?? "", messages, system, tools, toolChoice };
}

/** `system`: a string or text blocks. */
function readSystem(fields: FieldReader): AnthropicMessagesRequest["system"] {
  const raw = fields.raw("system");
  if (typeof raw === "string") return raw;
  if (Array.isArray(raw)) return readBlocks(fields, raw, ["system"]);
  if (raw !== undefined) fields.nested("string_type", ["system"], raw);
  return undefined;
}

/**
 * Python's `json.dumps` with its defaults (`", "` and `": "` separators, non-ASCII as `\uXXXX`),
 * as vLLM writes a `tool_use` block's `input` into the chat call's `arguments`.
 */
export function pyJsonDumps(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pyJsonDumps).join(", ")}]`;
  if (isObject(value)) {
    const entries = Object.entries(value).map(([k, v]) => `${pyJsonDumps(k)}: ${pyJsonDumps(v)}`);
    return `{${entries.join(", ")}}`;
  }
  if (typeof value === "string") {
    return JSON.stringify(value).replace(
      /[\u007f-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
  }
  return JSON.stringify(value ?? null);
}

/** Python's `str()` of a `tool_result` block's content: a string as is, a list as its repr. */
function pyStr(content: string | readonly unknown[]): string {
  return typeof content === "string" ? content : pyRepr(content);
}

/** `str(block.content) if block.content else ""`: an empty string or list is falsy. */
function toolResultText(content: AnthropicBlock["content"]): string {
  return content === undefined || content.length === 0 ? "" : pyStr(content);
}

/**
 * A chat message list from the system prompt and messages, as `_convert_anthropic_to_openai_request`
 * builds it: the system text first (blocks' texts joined with nothing); a user `tool_result` goes
 * out as a `tool` message before its own message; an assistant `tool_result` becomes the text
 * `Tool result: …`; `tool_use` blocks become `tool_calls` (arguments as `json.dumps` writes them);
 * one text part becomes a string; a message left with no part and no call is dropped.
 */
export function anthropicChatMessages(
  request: Pick<AnthropicMessagesRequest, "system" | "messages">,
): object[] {
  const out: object[] = [];
  const { system } = request;
  if (typeof system === "string" && system !== "") out.push({ role: "system", content: system });
  else if (Array.isArray(system) && system.length > 0) {
    const text = system
      .filter((b) => b.type === "text" && b.text)
      .map((b) => b.text)
      .join("");
    out.push({ role: "system", content: text });
  }
  for (const msg of request.messages) {
    if (typeof msg.content === "string") {
      out.push({ role: msg.role, content: msg.content });
      continue;
    }
    const parts: { type: string; text?: string; image_url?: { url: unknown } }[] = [];
    const calls: object[] = [];
    for (const block of msg.content) {
      if (block.type === "text" && block.text) parts.push({ type: "text", text: block.text });
      else if (block.type === "image" && block.source) {
        // serving_messages.py passes the source's base64 `data` as the URL itself.
        parts.push({ type: "image_url", image_url: { url: block.source.data ?? "" } });
      } else if (block.type === "tool_use") {
        calls.push({
          id: block.id || `call_${Math.floor(Date.now() / 1000)}`,
          type: "function",
          function: { name: block.name ?? "", arguments: pyJsonDumps(block.input ?? {}) },
        });
      } else if (block.type === "tool_result") {
        const text = toolResultText(block.content);
        if (msg.role === "user")
          out.push({ role: "tool", tool_call_id: block.id ?? "", content: text });
        else parts.push({ type: "text", text: `Tool result: ${text}` });
      }
    }
    if (parts.length === 0 && calls.length === 0) continue;
    const message: Record<string, unknown> = { role: msg.role };
    if (calls.length > 0) message.tool_calls = calls;
    if (parts.length > 0) {
      const only = parts.length === 1 ? parts[0] : undefined;
      message.content = only?.type === "text" ? only.text : parts;
    }
    out.push(message);
  }
  return out;
}

/**
 * The chat completion request body vLLM builds (`ChatCompletionRequest`): `max_tokens` as both
 * `max_tokens` and `max_completion_tokens`, `stop_sequences` as `stop`, a stream with
 * `stream_options` `{include_usage, continuous_usage_stats}` on, `tool_choice` `auto`/`required`/
 * a named function, tools as functions, and `auto` when tools come without a choice.
 * `tool_choice` without tools is left out (vLLM sets it after validation, so no chat check sees
 * it). Throws the 500 `internal_error` vLLM answers for a `tool` choice without a name (its
 * conversion fails validating the named choice).
 */
export function anthropicChatBody(request: AnthropicMessagesRequest): Record<string, unknown> {
  const body: Record<string, unknown> = {
    model: request.model,
    messages: anthropicChatMessages(request),
    max_tokens: request.maxTokens,
    max_completion_tokens: request.maxTokens,
  };
  if (request.stopSequences !== undefined) body.stop = request.stopSequences;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.topK !== undefined) body.top_k = request.topK;
  if (request.stream) {
    body.stream = true;
    body.stream_options = { include_usage: true, continuous_usage_stats: true };
  }
  return withTools(body, request);
}

/**
 * The count request's chat body (`_build_base_request` for a count: `model` and the messages,
 * nothing else), with the tools and choice mapped as for `/v1/messages`.
 */
export function anthropicCountBody(request: AnthropicCountTokensRequest): Record<string, unknown> {
  return withTools({ model: request.model, messages: anthropicChatMessages(request) }, request);
}

/**
 * Adds the tools and `tool_choice` (`_convert_tool_choice`, `_convert_tools`) to a chat body.
 * Throws the 500 `internal_error` of a `tool` choice without a name.
 */
function withTools(
  body: Record<string, unknown>,
  request: Pick<AnthropicMessagesRequest, "tools" | "toolChoice">,
): Record<string, unknown> {
  const choice = request.toolChoice;
  if (choice?.type === "tool" && choice.name === undefined) {
    throw new VllmError(
      500,
      "1 validation error for ChatCompletionNamedToolChoiceParam\nfunction.name\n  Input should be a valid string [type=string_type, input_value=None, input_type=NoneType]\n    For further information visit https://errors.pydantic.dev/2.12/v/string_type",
      { type: "internal_error" },
    );
  }
  const { tools } = request;
  if (tools === undefined) return body;
  body.tools = tools.map((tool) => ({
    type: "function",
    function: {
      name: tool.name,
      description: tool.description ?? null,
      parameters: tool.inputSchema,
    },
  }));
  if (choice === undefined || choice.type === "auto") body.tool_choice = "auto";
  else if (choice.type === "any") body.tool_choice = "required";
  else body.tool_choice = { type: "function", function: { name: choice.name } };
  return body;
}

/** serving_messages.py `stop_reason_map`: chat finish reasons Anthropic names (others: none). */
export function anthropicStopReason(finishReason: string | null | undefined): string | undefined {
  if (finishReason === "stop") return "end_turn";
  if (finishReason === "length") return "max_tokens";
  if (finishReason === "tool_calls") return "tool_use";
  return undefined;
}

/** The part of a chat completion answer (chat-completions.ts) the conversion reads. */
interface ChatAnswer {
  readonly id: string;
  readonly model: string;
  readonly choices: readonly {
    readonly message: {
      readonly content: string | null;
      readonly tool_calls: readonly {
        readonly id: string;
        readonly function: { readonly name: string; readonly arguments: string };
      }[];
    };
    readonly finish_reason: string | null;
  }[];
  readonly usage: { readonly prompt_tokens: number; readonly completion_tokens: number };
}

/**
 * A call's arguments as its `input`: vLLM's `json.loads`, whose failure (arguments cut by
 * `max_tokens`) the route answers 500 `internal_error` with the decoder's message (here
 * JavaScript's wording, not Python's).
 */
function toolInput(args: string): unknown {
  try {
    return JSON.parse(args) as unknown;
  } catch (error) {
    throw new VllmError(500, (error as Error).message, { type: "internal_error" });
  }
}

/**
 * The Messages answer from a chat completion answer (`messages_full_converter`, dumped with
 * `exclude_none`): `id` and `model` the chat's, a text block (the content, or empty) then one
 * `tool_use` block per call (`input` parsed from its arguments; unparsable arguments are a 500), `stop_reason` mapped (left out
 * for an abort), `usage` `input_tokens`/`output_tokens`.
 */
export function anthropicMessage(chat: object): object {
  const answer = chat as ChatAnswer;
  const choice = answer.choices[0];
  const content: object[] = [{ type: "text", text: choice?.message.content || "" }];
  for (const call of choice?.message.tool_calls ?? []) {
    content.push({
      type: "tool_use",
      id: call.id,
      name: call.function.name,
      input: toolInput(call.function.arguments),
    });
  }
  const stopReason = anthropicStopReason(choice?.finish_reason);
  const usage = {
    input_tokens: answer.usage.prompt_tokens,
    output_tokens: answer.usage.completion_tokens,
  };
  return stopReason === undefined
    ? { id: answer.id, type: "message", role: "assistant", content, model: answer.model, usage }
    : {
        id: answer.id,
        type: "message",
        role: "assistant",
        content,
        model: answer.model,
        stop_reason: stopReason,
        usage,
      };
}

/**
 * The `count_tokens` answer (serving.py `count_tokens`, v0.17.0+): the request converted as
 * `/v1/messages` converts it, the model checked (404 for an unknown name), the prompt rendered as
 * the chat path renders it (tools in the template unless the choice is `none`), and its token
 * count as `input_tokens`, equal to the `usage.input_tokens` of the same `/v1/messages` call.
 * `context_management.original_input_tokens` repeats it (vllm PR #35588's answer). No
 * context-length check (whether vLLM's rendering refuses a count over `max_model_len` is not
 * pinned).
 */
export function anthropicCountTokens(
  model: VllmModel,
  chat: ChatRequest,
): { input_tokens: number; context_management: { original_input_tokens: number } } {
  checkModelName(model, chat.model);
  const count = chatPromptIds(model, chat.messages, {
    addGenerationPrompt: chat.addGenerationPrompt,
    addSpecialTokens: chat.addSpecialTokens,
    tools: chat.toolChoice === "none" ? [] : chat.tools.map((t) => t.raw),
    imageParts: chat.imageParts,
  }).length;
  return { input_tokens: count, context_management: { original_input_tokens: count } };
}

/**
 * An error of the Messages handler in Anthropic's envelope (`translate_error_response`):
 * `{"type":"error","error":{"type","message"}}`, `type` vLLM's own (`BadRequestError`,
 * `NotFoundError`, `internal_error`), the status the error's code.
 */
export function anthropicErrorReply(error: VllmError): CannedReply {
  return {
    status: error.status,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ type: "error", error: { type: error.type, message: error.message } }),
  };
}
