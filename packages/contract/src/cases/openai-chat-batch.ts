/**
 * vLLM's batch chat route, `POST /v1/chat/completions/batch` (issue 3): vLLM PR #38011, listed
 * in the v0.19.0 release notes. `messages` is a list of conversations and the answer is one
 * chat.completion whose choice `i` answers conversation `i` (chat_completion/batch_serving.py);
 * the batch model's before-validator refuses `n` other than 1 (chat_completion/protocol.py
 * BatchChatCompletionRequest `check_batch_mode`) and `messages` needs at least one conversation.
 * Older releases skip the case, naming the release. Requests stay cheap: one output token each.
 */
import assert from "node:assert/strict";
import type { ContractCase } from "../contract-case.js";
import { defineCase } from "../contract-case.js";
import { json, type Release, requireRelease, servedModel } from "./vllm.js";

/** The first release serving the route (vLLM PR #38011, v0.19.0 release notes). */
const chatBatchSince: Release = [0, 19, 0];

const path = "/v1/chat/completions/batch";

/** The error message of a vLLM 400 (the nested envelope every 0.19+ release writes). */
function errorMessage(body: Record<string, unknown>): string {
  const error = body.error as Record<string, unknown> | undefined;
  return String(error?.message ?? "");
}

const chatBatch = defineCase({
  runtimes: ["vllm"],
  transport: "rest",
  id: "openai/chat-batch",
  title:
    "POST /v1/chat/completions/batch answers N conversations as one chat.completion with choices indexed 0..N-1 and usage summed; n: 2 and an empty batch are 400 (from 0.19.0)",
  source:
    "vLLM PR #38011 (v0.19.0 release notes): chat_completion/batch_serving.py chat_completion_full_generator_batch (choice index = conversation index, usage summed); protocol.py BatchChatCompletionRequest (messages: list of conversations, min_length 1; check_batch_mode: 'Batch chat completions do not support `n > 1`')",
  async run(context) {
    await requireRelease(context, chatBatchSince, "predates /v1/chat/completions/batch (0.19.0)");
    const model = await servedModel(context);
    const conversations = [
      [{ role: "user", content: "Hi" }],
      [{ role: "user", content: "Name a colour." }],
    ];
    const answer = await context.rest(path, {
      json: { model, messages: conversations, max_tokens: 1 },
    });
    assert.equal(answer.status, 200, `status, body ${answer.body.slice(0, 300)}`);
    const body = json(answer, `POST ${path}`);
    assert.equal(body.object, "chat.completion", "object");
    assert.match(String(body.id), /^chatcmpl-/, "id");
    const choices = body.choices as Record<string, unknown>[];
    assert.ok(Array.isArray(choices), "choices is a list");
    assert.deepEqual(
      choices.map((choice) => choice.index),
      [0, 1],
      "one choice per conversation, indexed in order",
    );
    for (const choice of choices) {
      const message = choice.message as Record<string, unknown>;
      assert.equal(message.role, "assistant", "message role");
      assert.equal(typeof message.content, "string", "message content");
    }
    const usage = body.usage as Record<string, number>;
    assert.ok(
      (usage.completion_tokens ?? 0) >= 1 && (usage.completion_tokens ?? 0) <= 2,
      `completion_tokens ${usage.completion_tokens}: one token at most per conversation`,
    );
    assert.equal(
      usage.total_tokens,
      (usage.prompt_tokens ?? 0) + (usage.completion_tokens ?? 0),
      "total_tokens = prompt + completion",
    );

    const many = await context.rest(path, {
      json: { model, messages: conversations, max_tokens: 1, n: 2 },
    });
    assert.equal(many.status, 400, `n: 2 status, body ${many.body.slice(0, 300)}`);
    assert.ok(
      errorMessage(json(many, "n: 2")).includes("do not support `n > 1`"),
      `n: 2 message: ${many.body.slice(0, 300)}`,
    );

    const empty = await context.rest(path, { json: { model, messages: [], max_tokens: 1 } });
    assert.equal(empty.status, 400, `empty batch status, body ${empty.body.slice(0, 300)}`);
    assert.ok(
      errorMessage(json(empty, "empty batch")).includes("too_short"),
      `empty batch message names pydantic's too_short: ${empty.body.slice(0, 300)}`,
    );
  },
});

/** The batch chat cases. */
export const openaiChatBatchCases: readonly ContractCase[] = [chatBatch];
