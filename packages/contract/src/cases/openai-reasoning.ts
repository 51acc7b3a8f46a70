/**
 * Reasoning outputs of vLLM's chat and Responses APIs (`vllm serve … --reasoning-parser NAME`; vLLM docs
 * features/reasoning_outputs.md): the parser takes the model's thinking out of `content` into a
 * reasoning field, in the whole answer and delta by delta, and its markers (`<think>`,
 * `</think>`) never reach the client. The case needs a target served with a parser and a model
 * that thinks: it asks once, and where the answer carries no reasoning it skips, saying so (no
 * target option names the parser, so the answer is the test). Which field carries the reasoning
 * is the release's (vLLM PR #27752 added `reasoning` in Nov 2025, copying it into
 * `reasoning_content`; PR #33402 removed `reasoning_content` in Jan 2026); the releases around
 * each change whose first release is not pinned (0.11.x; 0.15-0.17) accept either form.
 */
import assert from "node:assert/strict";
import type { CaseContext, ContractCase } from "../contract-case.js";
import { defineCase } from "../contract-case.js";
import { atLeast, json, type Release, servedModel, targetRelease } from "./vllm.js";

/** Which reasoning fields a release's chat answers carry. */
type Fields = "reasoning_content" | "both" | "reasoning";

/**
 * The forms a release may answer: `reasoning_content` before 0.11 (PR #12473's name); both
 * fields from 0.12.0 to 0.14.x (PR #27752, merged 2025-11-08, in 0.11.1 or 0.11.2); `reasoning`
 * alone from 0.18.0 (PR #33402, merged Jan 2026: in 0.15, 0.16 or 0.17, not pinned); either form
 * in the releases around each change.
 */
export function reasoningFieldsOf(release: Release): readonly Fields[] {
  if (!atLeast(release, [0, 11, 0])) return ["reasoning_content"];
  if (!atLeast(release, [0, 12, 0])) return ["reasoning_content", "both"];
  if (!atLeast(release, [0, 15, 0])) return ["both"];
  if (!atLeast(release, [0, 18, 0])) return ["both", "reasoning"];
  return ["reasoning"];
}

/** The fields a message or delta carries, as one of {@link Fields}; undefined for neither. */
function fieldsIn(object: Record<string, unknown>): Fields | undefined {
  const plain = "reasoning" in object;
  const old = "reasoning_content" in object;
  if (plain && old) return "both";
  if (plain) return "reasoning";
  return old ? "reasoning_content" : undefined;
}

/** The reasoning text of a message or delta, from whichever field the release uses. */
function reasoningIn(object: Record<string, unknown>): unknown {
  return typeof object.reasoning === "string" ? object.reasoning : object.reasoning_content;
}

/** DeepSeek-R1 / Qwen3 tags and Granite's phrases (granite_reasoning_parser.py). */
const markers = /<\/?think>|Here(?: is|'s) my (?:thought process|response):/;

/**
 * One chat request; the question asks for thinking, the limit leaves room for the answer.
 * `thinking: true` is Granite's template switch (granite_reasoning_parser.py; Granite thinks only
 * when asked); DeepSeek-R1 and Qwen3 templates ignore the key.
 */
async function ask(context: CaseContext, model: string, stream: boolean) {
  return context.rest("/v1/chat/completions", {
    json: {
      model,
      messages: [{ role: "user", content: "What is 2 + 2? Answer in one short sentence." }],
      max_tokens: 512,
      temperature: 0,
      chat_template_kwargs: { thinking: true },
      ...(stream && { stream: true }),
    },
  });
}

const chatReasoning = defineCase({
  runtimes: ["vllm"],
  transport: "rest",
  id: "openai/chat-reasoning",
  title:
    "with --reasoning-parser the thinking comes in the release's reasoning field, whole and streamed, before the answer and without its markers",
  source:
    "vLLM docs features/reasoning_outputs.md; vllm/reasoning/basic_parsers.py; vLLM PRs #27752, #33402",
  async run(context) {
    const release = await targetRelease(context);
    const model = await servedModel(context);
    const whole = await ask(context, model, false);
    assert.equal(whole.status, 200, "chat status");
    const choices = json(whole, "chat").choices as { message: Record<string, unknown> }[];
    const message = choices[0]?.message ?? {};
    const reasoning = reasoningIn(message);
    if (typeof reasoning !== "string" || reasoning === "") {
      return context.skip("the target answered no reasoning: served without --reasoning-parser");
    }
    const allowed = reasoningFieldsOf(release);
    const fields = fieldsIn(message);
    assert.ok(
      fields !== undefined && allowed.includes(fields),
      `vLLM ${release.join(".")} message fields: ${fields ?? "none"}, expected ${allowed.join(" or ")}`,
    );
    if (fields === "both") assert.equal(message.reasoning_content, message.reasoning, "copy");
    const content = message.content;
    assert.ok(content === null || typeof content === "string", "content string or null");
    assert.doesNotMatch(reasoning, markers, "no marker in the reasoning");
    if (typeof content === "string") assert.doesNotMatch(content, markers, "no marker in content");

    const streamed = await ask(context, model, true);
    assert.equal(streamed.status, 200, "stream status");
    let thinking = "";
    let answered = false;
    for (const frame of streamed.body.split("\n\n")) {
      if (!frame.startsWith("data: {")) continue;
      const chunk = JSON.parse(frame.slice(6)) as {
        choices: { delta?: Record<string, unknown> }[];
      };
      const delta = chunk.choices[0]?.delta;
      if (delta === undefined) continue;
      const piece = reasoningIn(delta);
      if (typeof piece === "string" && piece !== "") {
        assert.ok(!answered, "no reasoning delta after the answer began");
        assert.doesNotMatch(piece, markers, "no marker in a reasoning delta");
        const deltaFields = fieldsIn(delta);
        assert.ok(
          deltaFields !== undefined && allowed.includes(deltaFields),
          `delta fields ${deltaFields ?? "none"}, expected ${allowed.join(" or ")}`,
        );
        thinking += piece;
      }
      if (typeof delta.content === "string" && delta.content !== "") {
        assert.doesNotMatch(delta.content, markers, "no marker in a content delta");
        answered = true;
      }
    }
    assert.ok(thinking.length > 0, "the stream carries reasoning deltas");
  },
});

/** One Responses request, the chat case's question. */
async function askResponses(context: CaseContext, model: string, stream: boolean) {
  return context.rest("/v1/responses", {
    json: {
      model,
      input: "What is 2 + 2? Answer in one short sentence.",
      max_output_tokens: 512,
      temperature: 0,
      ...(stream && { stream: true }),
    },
  });
}

/** The `data:` objects of a Responses SSE body (`event: <type>\ndata: <json>` frames). */
function responseEvents(body: string): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [];
  for (const frame of body.split("\n\n")) {
    const at = frame.indexOf("data: ");
    if (at >= 0) events.push(JSON.parse(frame.slice(at + 6)) as Record<string, unknown>);
  }
  return events;
}

/**
 * The Responses API's reasoning (serving_responses.py `_make_response_output_items`; the stream
 * in `_process_simple_streaming_events`, later responses/simple_streaming_events.py): a
 * `reasoning` item with the thinking as `reasoning_text` content comes before the message, and
 * streamed, `response.reasoning_text.delta` events come before the first text delta and join to
 * `response.reasoning_text.done`'s text. No marker anywhere. Skips before vLLM 0.10 (no route)
 * and where no reasoning item comes (no parser); checks the stream from 0.10.2 (vLLM PR #23741).
 */
const responsesReasoning = defineCase({
  runtimes: ["vllm"],
  transport: "rest",
  id: "openai/responses-reasoning",
  title:
    "with --reasoning-parser /v1/responses answers a reasoning item before the message, and streams reasoning_text events before the text, without markers",
  source:
    "vllm/entrypoints/openai/serving_responses.py _make_response_output_items and _process_simple_streaming_events; responses/simple_streaming_events.py",
  async run(context) {
    const release = await targetRelease(context);
    if (!atLeast(release, [0, 10, 0])) return context.skip("no Responses API before vLLM 0.10");
    const model = await servedModel(context);
    const whole = await askResponses(context, model, false);
    assert.equal(whole.status, 200, "responses status");
    const output = json(whole, "responses").output as Record<string, unknown>[];
    const first = output[0];
    if (first?.type !== "reasoning") {
      return context.skip(
        "the target answered no reasoning item: served without --reasoning-parser",
      );
    }
    const parts = first.content as { type: string; text: string }[] | null;
    assert.equal(parts?.[0]?.type, "reasoning_text", "the reasoning item's content part");
    assert.ok((parts?.[0]?.text ?? "") !== "", "the reasoning item has text");
    assert.deepEqual(first.summary, [], "summary stays empty");
    for (const item of output.slice(1)) {
      assert.equal(item.type, "message", "only the message follows the reasoning item");
    }
    assert.doesNotMatch(JSON.stringify(output), markers, "no marker in the output items");
    if (!atLeast(release, [0, 10, 2])) return;

    const streamed = await askResponses(context, model, true);
    assert.equal(streamed.status, 200, "stream status");
    const events = responseEvents(streamed.body);
    assert.equal(
      events.at(-1)?.type,
      "response.completed",
      "the stream ends in response.completed",
    );
    let thinking = "";
    let answered = false;
    let done: unknown;
    for (const event of events) {
      if (event.type === "response.reasoning_text.delta") {
        assert.ok(!answered, "no reasoning delta after the text began");
        thinking += String(event.delta);
      }
      if (event.type === "response.reasoning_text.done") done = event.text;
      if (event.type === "response.output_text.delta") answered = true;
      if (String(event.type).endsWith(".delta")) {
        assert.doesNotMatch(String(event.delta), markers, "no marker in a delta");
      }
    }
    assert.ok(thinking.length > 0, "the stream carries reasoning_text deltas");
    assert.equal(done, thinking, "reasoning_text.done holds the deltas");
  },
});

/** The reasoning-output cases. */
export const openaiReasoningCases: readonly ContractCase[] = [chatReasoning, responsesReasoning];
