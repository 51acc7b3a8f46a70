/**
 * The two APIs vLLM's OpenAI-compatible server answers beside completions and chat (issue 3):
 * OpenAI's Responses API (`/v1/responses`, from ≈0.10, vLLM PR #20504) and Anthropic's Messages
 * API (`/v1/messages`, from 0.11.1). Each case reads the target's release from `/version` and
 * checks what holds across the releases it names: the route is FastAPI's 404 before its release,
 * and where a detail changed inside an era the mock only approximates (marked ≈), the case
 * accepts every form that era has and says so. Requests stay cheap: a few output tokens, nothing
 * stored.
 */
import assert from "node:assert/strict";
import { restDenial } from "@servingkit/mock-core";
import type { ContractCase, RestAnswer } from "../contract-case.js";
import { defineCase } from "../contract-case.js";
import { assertReply } from "./expect-reply.js";
import { probeRoute } from "./probe-route.js";
import { atLeast, json, type Release, requireRelease, servedModel, targetRelease } from "./vllm.js";

/** The first release with `/v1/messages` (v0.11.1 release notes; vLLM PR #27882). */
const messagesSince: Release = [0, 11, 1];

/**
 * The first release with `/v1/messages/count_tokens`: vLLM PR #35588 was merged on 2026-02-28,
 * after v0.16.0 was out (ai-dynamo/dynamo PR #6652 bumped to it on 2026-02-26).
 */
const countTokensSince: Release = [0, 17, 0];

/**
 * The first release with `/v1/responses` the cases rely on: v0.10.0 (July 2025) carries
 * serving_responses.py of vLLM PR #20504. 0.9.2 came out while that PR was open, so the cases
 * check the 404 only below it.
 */
export const responsesSince: Release = [0, 10, 0];
const responsesAbsentBelow: Release = [0, 9, 2];

/**
 * Streaming a non-harmony model's response: vLLM PR #23741 (opened 2025-08-27) added it; 0.10.0
 * raised NotImplementedError("Streaming responses are not supported"). Which 0.10.x first had it
 * is not pinned, so the stream case runs from 0.11.0.
 */
const responsesStreamSince: Release = [0, 11, 0];

/**
 * The first release with vLLM PR #29947's stream (merged 2026-03-12, after 0.17.0; taken as
 * 0.18.0): `content_index` stays 0. Before it, `_process_simple_streaming_events` counts it up by
 * one per event from the content part (0) through the deltas and the done events.
 */
const responsesParsedStreamSince: Release = [0, 18, 0];

/** The error object of a vLLM error body, nested (≥ 0.10.1) or flat (≤ 0.10.0). */
function errorOf(answer: RestAnswer, what: string): Record<string, unknown> {
  const body = json(answer, what);
  return (body.error ?? body) as Record<string, unknown>;
}

/** FastAPI's answer for a path no route serves. */
function assertNotServed(answer: RestAnswer, what: string): void {
  assert.equal(answer.status, 404, `${what}: status`);
  assert.deepEqual(json(answer, what), { detail: "Not Found" }, `${what}: FastAPI's 404 body`);
}

/** One `event:`/`data:` frame of a named-event SSE stream. */
interface NamedEvent {
  readonly type: string;
  readonly data: Record<string, unknown>;
}

/**
 * The frames of an SSE body whose events are named: each `event: <type>\ndata: <json>\n\n`
 * with the JSON's own `type` equal to the name. A final `data: [DONE]` is taken off and reported.
 */
function namedEvents(answer: RestAnswer, what: string): { events: NamedEvent[]; done: boolean } {
  assert.equal(answer.status, 200, `${what}: status, body ${answer.body.slice(0, 300)}`);
  assert.match(answer.headers.get("content-type") ?? "", /^text\/event-stream/, `${what} type`);
  assert.ok(answer.body.endsWith("\n\n"), `${what}: every frame ends with a blank line`);
  const frames = answer.body.slice(0, -2).split("\n\n");
  const done = frames.at(-1) === "data: [DONE]";
  if (done) frames.pop();
  const events = frames.map((frame) => {
    const match = /^event: ([^\n]+)\ndata: ([^\n]+)$/.exec(frame);
    assert.ok(
      match,
      `${what}: a frame is "event: <type>" then "data: <json>": ${frame.slice(0, 80)}`,
    );
    const type = match[1] as string;
    const data = JSON.parse(match[2] as string) as Record<string, unknown>;
    assert.equal(data.type, type, `${what}: the data's type names its event`);
    return { type, data };
  });
  return { events, done };
}

/** Checks a stream's event names, joined by spaces, against a pattern; fails showing them. */
function assertOrder(types: readonly string[], pattern: RegExp, what: string): void {
  assert.match(types.join(" "), pattern, `${what}: event order`);
}

// ---------------------------------------------------------------------------------------------
// Responses API

const base = { runtimes: ["vllm"], transport: "rest" } as const;

const responsesRoute = defineCase({
  ...base,
  id: "openai/responses-route",
  title:
    "POST /v1/responses is served from 0.10 (a body without input is 400 BadRequestError), FastAPI's 404 before 0.9.2",
  source:
    "vllm-openai.md §1 (/v1/responses ≈v0.10+); vLLM PR #20504 (serving_responses.py; ResponsesRequest.input is required); vllm-openai.md §3 (validation 400)",
  async run(context) {
    const have = await targetRelease(context);
    const answer = await context.rest("/v1/responses", { json: {} });
    if (!atLeast(have, responsesAbsentBelow)) {
      assertNotServed(answer, "POST /v1/responses before the Responses API");
      return;
    }
    if (!atLeast(have, responsesSince)) {
      context.skip(`vLLM ${have.join(".")} came out while PR #20504 was open: not pinned`);
    }
    assert.equal(answer.status, 400, `POST /v1/responses {}: ${answer.body.slice(0, 200)}`);
    const error = errorOf(answer, "POST /v1/responses {}");
    assert.equal(error.type, "BadRequestError");
    assert.match(String(error.message), /\binput\b/, "the message names the missing input");
  },
});

/** The usage of a response: ResponseUsage from ≈0.10.1; 0.10.0 may send chat's UsageInfo. */
function assertResponseUsage(usage: unknown, have: Release, maxOutput: number): number {
  const u = usage as Record<string, unknown> | null;
  assert.ok(u !== null && typeof u === "object", "usage is an object");
  if (!atLeast(have, [0, 10, 1]) && "prompt_tokens" in u) {
    // 0.10.0's serving_responses.py built chat's UsageInfo (prompt/completion tokens); the
    // gpt-oss work of August 2025 (≈0.10.1) brought ResponseUsage. Both are taken there.
    const prompt = u.prompt_tokens as number;
    const completion = u.completion_tokens as number;
    assert.ok(prompt > 0, "usage.prompt_tokens");
    assert.equal(u.total_tokens, prompt + completion, "usage.total_tokens");
    return completion;
  }
  const input = u.input_tokens as number;
  const output = u.output_tokens as number;
  assert.ok(input > 0, `usage.input_tokens: ${String(input)}`);
  assert.ok(output >= 0 && output <= maxOutput, `usage.output_tokens ≤ ${maxOutput}: ${output}`);
  assert.equal(u.total_tokens, input + output, "usage.total_tokens");
  const cached = (u.input_tokens_details as { cached_tokens?: unknown } | undefined)?.cached_tokens;
  assert.equal(typeof cached, "number", "usage.input_tokens_details.cached_tokens");
  const reasoning = (u.output_tokens_details as { reasoning_tokens?: unknown } | undefined)
    ?.reasoning_tokens;
  assert.equal(typeof reasoning, "number", "usage.output_tokens_details.reasoning_tokens");
  return output;
}

/** An output message item: `msg_` id, the assistant's, completed, `output_text` parts. */
function assertOutputMessage(item: Record<string, unknown>, what: string): string {
  assert.match(String(item.id), /^msg_/, `${what}: id`);
  assert.equal(item.role, "assistant", `${what}: role`);
  assert.equal(item.status, "completed", `${what}: status`);
  const parts = item.content as Record<string, unknown>[];
  assert.ok(Array.isArray(parts) && parts.length > 0, `${what}: content parts`);
  let text = "";
  for (const part of parts) {
    assert.equal(part.type, "output_text", `${what}: part type`);
    assert.equal(typeof part.text, "string", `${what}: part text`);
    assert.deepEqual(part.annotations, [], `${what}: annotations []`);
    text += part.text as string;
  }
  return text;
}

/**
 * The status of a finished response: `completed`, or from ≈0.14 (vLLM PR #31836) `incomplete`
 * with reason `max_output_tokens` when the cut came from the limit (before, SimpleContext said
 * `completed` either way: vLLM issue #24184). Both are taken on every release.
 */
function assertFinished(response: Record<string, unknown>, what: string): void {
  const status = response.status;
  if (status === "incomplete") {
    assert.deepEqual(
      response.incomplete_details,
      { reason: "max_output_tokens" },
      `${what}: incomplete_details`,
    );
  } else {
    assert.equal(status, "completed", `${what}: status`);
    assert.equal(response.incomplete_details, null, `${what}: incomplete_details`);
  }
}

const responsesShape = defineCase({
  ...base,
  id: "openai/responses-shape",
  title:
    "POST /v1/responses answers a response object: resp_ id, finished status, msg_ output message of output_text parts, usage",
  source:
    "vLLM PR #20504 and serving_responses.py responses_full_generator (ResponsesResponse.from_request, ResponseOutputMessage msg_, ResponseUsage); vLLM PR #31836 (incomplete on max_output_tokens)",
  async run(context) {
    const have = await requireRelease(
      context,
      responsesSince,
      "predates the Responses API (vLLM PR #20504)",
    );
    const model = await servedModel(context);
    const maxOutput = 8;
    const answer = await context.rest("/v1/responses", {
      json: { model, input: "Say hello.", max_output_tokens: maxOutput, temperature: 0 },
    });
    assert.equal(answer.status, 200, `status, body ${answer.body.slice(0, 300)}`);
    const body = json(answer, "POST /v1/responses");
    assert.equal(body.object, "response");
    assert.match(String(body.id), /^resp_/, "id");
    assert.equal(body.model, model);
    assert.equal(typeof body.created_at, "number", "created_at");
    assert.equal(body.max_output_tokens, maxOutput, "max_output_tokens echoed");
    assertFinished(body, "response");
    const output = body.output as Record<string, unknown>[];
    assert.ok(Array.isArray(output), "output is a list");
    // A server started with a reasoning parser adds `reasoning` items; without tools nothing else.
    for (const [i, item] of output.entries()) {
      assert.ok(["message", "reasoning"].includes(String(item.type)), `output[${i}].type`);
      if (item.type === "message") assertOutputMessage(item, `output[${i}]`);
    }
    const generated = assertResponseUsage(body.usage, have, maxOutput);
    if (body.status === "incomplete") assert.equal(generated, maxOutput, "cut at the limit");
  },
});

/** The Responses stream's events, in order: the message block is absent when no text came. */
const responsesStreamPattern = new RegExp(
  "^response\\.created response\\.in_progress" +
    "(?: response\\.output_item\\.added response\\.content_part\\.added" +
    "(?: response\\.output_text\\.delta)+ response\\.output_text\\.done" +
    " response\\.content_part\\.done response\\.output_item\\.done)?" +
    " response\\.completed$",
);

const responsesStreamOrder = defineCase({
  ...base,
  id: "openai/responses-stream-order",
  title:
    "a Responses stream is named events with sequence numbers from 0: created, in_progress, the message's added/delta/done events, completed; no [DONE]",
  source:
    "vLLM PR #23741 (non-harmony streaming); serving_responses.py responses_stream_generator (sequence_number from 0, one per event), _process_simple_streaming_events (content_index counting up per event until vLLM PR #29947) and api_server.py _convert_stream_to_sse_events (event: <type>, data: <json>)",
  async run(context) {
    const have = await requireRelease(
      context,
      responsesStreamSince,
      "may predate non-harmony Responses streaming (vLLM PR #23741; 0.10.0 raised NotImplementedError)",
    );
    const model = await servedModel(context);
    const answer = await context.rest("/v1/responses", {
      json: { model, input: "Say hello.", max_output_tokens: 4, temperature: 0, stream: true },
    });
    const { events, done } = namedEvents(answer, "Responses stream");
    assert.equal(done, false, "no data: [DONE] after the events");
    events.forEach((event, i) => {
      assert.equal(event.data.sequence_number, i, `event ${i} (${event.type}) sequence_number`);
    });
    // content_index: 0, 1, 2, ... over the message's events before vLLM PR #29947; 0 after it.
    const counting = !atLeast(have, responsesParsedStreamSince);
    events
      .filter((event) => "content_index" in event.data)
      .forEach((event, i) => {
        assert.equal(event.data.content_index, counting ? i : 0, `${event.type} content_index`);
      });
    // The streamed item's bare uuid id (vllm README) is not asserted.
    assertOrder(
      events.map((event) => event.type),
      responsesStreamPattern,
      "Responses stream",
    );
    const created = events[0]?.data.response as Record<string, unknown>;
    const completed = events.at(-1)?.data.response as Record<string, unknown>;
    assert.equal(created.status, "in_progress", "response.created status");
    assert.match(String(created.id), /^resp_/, "response id");
    assert.equal(completed.id, created.id, "one response id from created to completed");
    assertFinished(completed, "response.completed");
  },
});

const responsesUnknownId = defineCase({
  ...base,
  id: "openai/responses-unknown-id",
  title:
    "GET /v1/responses/<an id never issued> and POST its /cancel are 404 invalid_request_error \"Response with id '<id>' not found.\" (store on or off)",
  source:
    "serving_responses.py retrieve_responses, cancel_responses and _make_not_found_error (the store is empty unless VLLM_ENABLE_RESPONSES_API_STORE, and holds no such id either way)",
  async run(context) {
    await requireRelease(context, responsesSince, "predates the Responses API (vLLM PR #20504)");
    // 0.10.0 refused ids not starting with "resp_" as 400 first: this one does.
    const id = `resp_servingkitcontract${Date.now().toString(16)}`;
    for (const [what, answer] of [
      ["GET /v1/responses/<id>", await context.rest(`/v1/responses/${id}`)],
      [
        "POST /v1/responses/<id>/cancel",
        await context.rest(`/v1/responses/${id}/cancel`, { method: "POST" }),
      ],
    ] as const) {
      assert.equal(answer.status, 404, `${what}: status, body ${answer.body.slice(0, 200)}`);
      const error = errorOf(answer, what);
      assert.equal(error.type, "invalid_request_error", `${what}: type`);
      assert.equal(error.message, `Response with id '${id}' not found.`, `${what}: message`);
      assert.equal(error.code, 404, `${what}: code`);
    }
  },
});

/** A 400 whose pydantic text holds `expected`, in either envelope. */
function assertRefused(answer: RestAnswer, expected: string, what: string): void {
  assert.equal(answer.status, 400, `${what}: status, body ${answer.body.slice(0, 200)}`);
  const error = errorOf(answer, what);
  assert.equal(error.type, "BadRequestError", `${what}: type`);
  assert.ok(
    String(error.message).includes(expected),
    `${what}: the message holds ${expected}: ${String(error.message).slice(0, 200)}`,
  );
}

const responsesRefusals = defineCase({
  ...base,
  id: "openai/responses-refusals",
  title:
    'POST /v1/responses refuses a prompt template ("prompt template is not supported") and an include value outside vLLM\'s six (literal_error at include[i]) with a 400, before any generation',
  source:
    'vLLM protocol.py ResponsesRequest (vLLM PR #20504; responses/protocol.py of 2026): validate_prompt (mode="before") and include: list[Literal[six values]]; vllm-openai.md §3 (validation 400)',
  async run(context) {
    await requireRelease(context, responsesSince, "predates the Responses API (vLLM PR #20504)");
    const model = await servedModel(context);
    const prompt = await context.rest("/v1/responses", {
      json: { model, input: "Hi", max_output_tokens: 1, prompt: { id: "pmpt_servingkit" } },
    });
    assertRefused(prompt, "prompt template is not supported", "prompt");
    const include = await context.rest("/v1/responses", {
      json: { model, input: "Hi", max_output_tokens: 1, include: ["servingkit.unknown"] },
    });
    assertRefused(include, "'loc': ('body', 'include', 0)", "include");
    assertRefused(include, "literal_error", "include");
  },
});

/**
 * The first release that prints the response's JSON schema under its alias `schema`: vLLM PR
 * #38519 (responses/api_router.py dumps with `by_alias=True`), opened on 2026-03-30, is listed in
 * the v0.20.0 release notes (its author's first contribution), so 0.19.x still prints `schema_`.
 */
const schemaAliasFrom: Release = [0, 20, 0];

const responsesTextEcho = defineCase({
  ...base,
  id: "openai/responses-text-echo",
  title:
    "a Responses text.format json_schema is echoed as pydantic dumps it: the schema under schema_ (not schema) through 0.19.x, under schema (not schema_) from 0.20.0; type, name and strict as sent",
  source:
    "protocol.py ResponsesResponse.from_request (text=request.text) and api_router.py JSONResponse(content=model_dump()) without by_alias (vLLM issue #26288 on 0.10.2); vLLM PR #38519 (by_alias=True; the v0.20.0 release notes list it)",
  async run(context) {
    const have = await requireRelease(
      context,
      responsesSince,
      "predates the Responses API (vLLM PR #20504)",
    );
    const model = await servedModel(context);
    const schema = { type: "object", properties: { a: { type: "integer" } }, required: ["a"] };
    const answer = await context.rest("/v1/responses", {
      json: {
        model,
        input: "Give a.",
        max_output_tokens: 2,
        text: { format: { type: "json_schema", name: "servingkit", schema, strict: true } },
      },
    });
    assert.equal(answer.status, 200, `status, body ${answer.body.slice(0, 300)}`);
    const text = json(answer, "POST /v1/responses").text as { format?: Record<string, unknown> };
    const format = text?.format;
    assert.ok(format && typeof format === "object", "text.format echoed");
    assert.equal(format.type, "json_schema", "text.format.type");
    assert.equal(format.name, "servingkit", "text.format.name");
    assert.equal(format.strict, true, "text.format.strict");
    const [key, other] = atLeast(have, schemaAliasFrom)
      ? ["schema", "schema_"]
      : ["schema_", "schema"];
    assert.ok(!(other in format), `text.format prints ${key}, not ${other}`);
    assert.deepEqual(format[key], schema, `text.format.${key}: the schema as sent`);
  },
});

// ---------------------------------------------------------------------------------------------
// Anthropic Messages API

const messagesRoute = defineCase({
  ...base,
  id: "openai/messages-route",
  title:
    "POST /v1/messages is served from 0.11.1 (an empty body is 400 BadRequestError), FastAPI's 404 before",
  source:
    "vLLM v0.11.1 release notes (Anthropic API Support: /v1/messages) and PR #27882; vllm-openai.md §3 (validation 400)",
  async run(context) {
    const have = await targetRelease(context);
    const answer = await context.rest("/v1/messages", { json: {} });
    if (!atLeast(have, messagesSince)) {
      assertNotServed(answer, "POST /v1/messages before 0.11.1");
      return;
    }
    assert.equal(answer.status, 400, `POST /v1/messages {}: ${answer.body.slice(0, 200)}`);
    const error = errorOf(answer, "POST /v1/messages {}");
    assert.equal(error.type, "BadRequestError");
    assert.match(String(error.message), /\bmax_tokens\b/, "the message names a missing field");
  },
});

const messagesShape = defineCase({
  ...base,
  id: "openai/messages-shape",
  title:
    "POST /v1/messages answers a message: type message, role assistant, text blocks, end_turn or max_tokens, input/output tokens",
  source:
    "vllm/entrypoints/anthropic/serving_messages.py messages_full_converter (stop_reason_map stop→end_turn, length→max_tokens; AnthropicUsage from the chat usage) and protocol.py AnthropicMessagesResponse",
  async run(context) {
    await requireRelease(context, messagesSince, "predates /v1/messages (0.11.1)");
    const model = await servedModel(context);
    const maxTokens = 8;
    const answer = await context.rest("/v1/messages", {
      json: {
        model,
        max_tokens: maxTokens,
        temperature: 0,
        messages: [{ role: "user", content: "Say hello." }],
      },
    });
    assert.equal(answer.status, 200, `status, body ${answer.body.slice(0, 300)}`);
    const body = json(answer, "POST /v1/messages");
    assert.equal(body.type, "message");
    assert.equal(body.role, "assistant");
    assert.equal(body.model, model);
    // The id is the chat completion's (chatcmpl-...) in the converter's era, not Anthropic's
    // msg_: only its presence is asserted.
    assert.ok(typeof body.id === "string" && body.id.length > 0, "id");
    const content = body.content as Record<string, unknown>[];
    assert.ok(Array.isArray(content), "content is a list");
    for (const [i, block] of content.entries()) {
      assert.equal(block.type, "text", `content[${i}].type (no tools offered)`);
      assert.equal(typeof block.text, "string", `content[${i}].text`);
    }
    // vLLM never says stop_sequence (the map has no entry for it).
    assert.ok(["end_turn", "max_tokens"].includes(String(body.stop_reason)), "stop_reason");
    const usage = body.usage as { input_tokens: number; output_tokens: number };
    assert.ok(usage.input_tokens > 0, "usage.input_tokens");
    assert.ok(usage.output_tokens > 0 && usage.output_tokens <= maxTokens, "usage.output_tokens");
    if (body.stop_reason === "max_tokens") assert.equal(usage.output_tokens, maxTokens);
  },
});

/**
 * The Messages stream's events, in order: text blocks (none when the converter saw no text),
 * then message_delta and message_stop.
 */
const messagesStreamPattern =
  /^message_start(?: content_block_start(?: content_block_delta)* content_block_stop)* message_delta message_stop$/;

const messagesStreamOrder = defineCase({
  ...base,
  id: "openai/messages-stream-order",
  title:
    "a Messages stream is named events: message_start, text blocks (start, text_delta..., stop) by index, message_delta with the stop reason, message_stop",
  source:
    "vllm/entrypoints/anthropic/serving_messages.py message_stream_converter (wrap_data_with_event; a final data: [DONE] in the ≈0.11.1-0.14 era) and stop_reason_map",
  async run(context) {
    await requireRelease(context, messagesSince, "predates /v1/messages (0.11.1)");
    const model = await servedModel(context);
    const maxTokens = 4;
    const answer = await context.rest("/v1/messages", {
      json: {
        model,
        max_tokens: maxTokens,
        temperature: 0,
        stream: true,
        messages: [{ role: "user", content: "Say hello." }],
      },
    });
    // The era's converter ends with vLLM's data: [DONE], which Anthropic's API does not send:
    // taken either way.
    const { events } = namedEvents(answer, "Messages stream");
    assertOrder(
      events.map((event) => event.type),
      messagesStreamPattern,
      "Messages stream",
    );
    const start = events[0]?.data.message as Record<string, unknown>;
    assert.ok(typeof start.id === "string" && start.id.length > 0, "message_start message.id");
    assert.equal(start.model, model, "message_start message.model");
    let index = -1;
    for (const { type, data } of events) {
      if (type === "content_block_start") {
        index += 1;
        assert.equal(data.index, index, "blocks are numbered from 0");
        assert.deepEqual(data.content_block, { type: "text", text: "" }, "a text block opens");
      } else if (type === "content_block_delta") {
        assert.equal(data.index, index, "a delta belongs to the open block");
        const delta = data.delta as Record<string, unknown>;
        assert.equal(delta.type, "text_delta");
        assert.equal(typeof delta.text, "string");
      } else if (type === "content_block_stop") {
        assert.equal(data.index, index, "the open block closes");
      }
    }
    const last = events.at(-2)?.data as { delta: { stop_reason?: unknown }; usage: unknown };
    assert.ok(
      ["end_turn", "max_tokens"].includes(String(last.delta.stop_reason)),
      "message_delta stop_reason",
    );
    const usage = last.usage as { output_tokens: number };
    assert.ok(
      usage.output_tokens > 0 && usage.output_tokens <= maxTokens,
      `message_delta usage.output_tokens: ${usage.output_tokens}`,
    );
  },
});

const messagesCountTokens = defineCase({
  ...base,
  id: "openai/messages-count-tokens",
  title:
    "POST /v1/messages/count_tokens counts what /v1/messages reports as usage.input_tokens (from 0.17.0; FastAPI's 404 before)",
  source:
    "vLLM PR #35588 (count_tokens: the Messages conversion rendered and counted; its answer input_tokens and context_management.original_input_tokens)",
  async run(context) {
    const have = await requireRelease(context, messagesSince, "predates /v1/messages (0.11.1)");
    const model = await servedModel(context);
    const messages = [{ role: "user", content: "Say hello." }];
    const counted = await context.rest("/v1/messages/count_tokens", { json: { model, messages } });
    if (!atLeast(have, countTokensSince)) {
      assertNotServed(counted, "POST /v1/messages/count_tokens before 0.17.0");
      return;
    }
    assert.equal(counted.status, 200, `count_tokens: status, body ${counted.body.slice(0, 300)}`);
    const count = json(counted, "POST /v1/messages/count_tokens") as {
      input_tokens?: unknown;
      context_management?: { original_input_tokens?: unknown };
    };
    assert.ok(
      Number.isInteger(count.input_tokens) && (count.input_tokens as number) > 0,
      "input_tokens",
    );
    assert.equal(
      count.context_management?.original_input_tokens,
      count.input_tokens,
      "context_management.original_input_tokens",
    );
    const answer = await context.rest("/v1/messages", {
      json: { model, max_tokens: 1, temperature: 0, messages },
    });
    assert.equal(
      answer.status,
      200,
      `POST /v1/messages: status, body ${answer.body.slice(0, 300)}`,
    );
    const usage = json(answer, "POST /v1/messages").usage as { input_tokens: number };
    assert.equal(count.input_tokens, usage.input_tokens, "the count is the message's input tokens");
  },
});

const messagesXApiKey = defineCase({
  ...base,
  id: "openai/messages-x-api-key",
  title:
    "the token in x-api-key (as Anthropic clients send it) without a bearer is refused with the mode's 401",
  source:
    "kserve-v2.md §5 (the proxy reads only Authorization: Bearer); vLLM issue #51572 (vLLM's own --api-key reads only the bearer too)",
  needs: ["auth"],
  async run(context) {
    const route = probeRoute(context);
    const token = context.target.token ?? "";
    const answer = await context.rest("/v1/messages", {
      token: "none",
      headers: { "x-api-key": token, "anthropic-version": "2023-06-01" },
      json: { model: "x", max_tokens: 1, messages: [{ role: "user", content: "Hi" }] },
    });
    const mode = context.target.authMode ?? "serverless";
    assertReply(
      answer,
      restDenial(mode, "credential-not-found"),
      `POST /v1/messages with x-api-key (${mode})`,
    );
    // The same token as a bearer passes the proxy (the refusal was the header, not the token).
    const probe = await context.rest(route.path);
    assertReply(probe, route.ready, `GET ${route.path} with the bearer`);
  },
});

/** Every case of the Responses and Messages APIs. */
/** The first release that stamps `system_fingerprint` by default (vLLM PR #40537). */
const fingerprintFrom: Release = [0, 21, 0];

const chatFingerprint = defineCase({
  ...base,
  id: "openai/chat-system-fingerprint",
  title:
    "a non-streaming chat answer's system_fingerprint is null before 0.21.0 and vllm-<the /version release>-...-<8 hex digits> from 0.21.0",
  source:
    "vLLM PR #40537 (vllm/entrypoints/openai/fingerprint.py, default mode full: vllm-<version>[-tp<n>][-pp<n>][-dp<n>][-ep]-<hash8>; chat_completion_full_generator stamps it); before, ChatCompletionResponse.system_fingerprint defaults to None",
  async run(context) {
    const have = await targetRelease(context);
    const model = await servedModel(context);
    const answer = await context.rest("/v1/chat/completions", {
      json: { model, messages: [{ role: "user", content: "Hi" }], max_tokens: 1 },
    });
    assert.equal(answer.status, 200, `status, body ${answer.body.slice(0, 300)}`);
    const body = json(answer, "POST /v1/chat/completions");
    assert.ok("system_fingerprint" in body, "system_fingerprint is in the answer");
    const fingerprint = body.system_fingerprint;
    if (!atLeast(have, fingerprintFrom)) {
      assert.equal(fingerprint, null, "system_fingerprint before 0.21.0");
      return;
    }
    assert.equal(typeof fingerprint, "string", "system_fingerprint from 0.21.0");
    const head = `vllm-${have.join(".")}`;
    assert.ok(
      String(fingerprint).startsWith(head),
      `system_fingerprint ${String(fingerprint)} starts with ${head}`,
    );
    assert.match(String(fingerprint), /-[0-9a-f]{8}$/, "system_fingerprint ends with 8 hex digits");
  },
});

export const openaiApiCases: readonly ContractCase[] = [
  responsesRoute,
  responsesShape,
  responsesStreamOrder,
  responsesUnknownId,
  responsesRefusals,
  responsesTextEcho,
  messagesRoute,
  messagesShape,
  messagesStreamOrder,
  messagesCountTokens,
  messagesXApiKey,
  chatFingerprint,
];
