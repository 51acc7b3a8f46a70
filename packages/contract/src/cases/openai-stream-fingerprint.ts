/**
 * `system_fingerprint` on a streamed chat answer (vLLM PR #40537, 0.21.0): only the stream's
 * final message carries it, the chunk with `finish_reason` when no usage chunk follows, else the
 * usage chunk; no other chunk has the key.
 */
import assert from "node:assert/strict";
import type { CaseContext, ContractCase } from "../contract-case.js";
import { defineCase } from "../contract-case.js";
import { atLeast, json, type Release, servedModel, targetRelease } from "./vllm.js";

/** The first release that stamps `system_fingerprint` (vLLM PR #40537). */
const fingerprintFrom: Release = [0, 21, 0];

/** The JSON chunks of a chat stream, its closing `data: [DONE]` checked and left out. */
async function chatChunks(
  context: CaseContext,
  model: string,
  extra: Record<string, unknown>,
  what: string,
): Promise<Record<string, unknown>[]> {
  const answer = await context.rest("/v1/chat/completions", {
    json: {
      model,
      messages: [{ role: "user", content: "Hi" }],
      max_tokens: 3,
      stream: true,
      ...extra,
    },
  });
  assert.equal(answer.status, 200, `${what}: status, body ${answer.body.slice(0, 300)}`);
  const frames = answer.body.split("\n\n").filter((frame) => frame !== "");
  assert.equal(frames.pop(), "data: [DONE]", `${what}: the stream ends with [DONE]`);
  return frames.map((frame) => {
    assert.ok(frame.startsWith("data: "), `${what}: a frame is "data: <json>": ${frame}`);
    return json({ ...answer, body: frame.slice(6) }, what);
  });
}

/** Whether a chunk closes a choice (`finish_reason` set). */
function finishes(chunk: Record<string, unknown>): boolean {
  const choices = chunk.choices as { finish_reason?: unknown }[] | undefined;
  return (choices ?? []).some((choice) => choice.finish_reason != null);
}

const chatStreamFingerprint = defineCase({
  runtimes: ["vllm"],
  transport: "rest",
  id: "openai/chat-stream-fingerprint",
  title:
    "a streamed chat answer carries system_fingerprint on its final message only from 0.21.0 (the finish chunk, or the usage chunk with include_usage), the non-streaming answer's value; no chunk has the key before",
  source:
    "vLLM PR #40537 (chat_completion/serving.py chat_completion_stream_generator: the finish chunk is stamped when include_usage is off, the usage chunk otherwise; chunks dumped with exclude_unset, the usage chunk with exclude_none; fingerprint.py default mode full)",
  async run(context) {
    const have = await targetRelease(context);
    const model = await servedModel(context);
    const stamped = atLeast(have, fingerprintFrom);
    const whole = await context.rest("/v1/chat/completions", {
      json: { model, messages: [{ role: "user", content: "Hi" }], max_tokens: 1 },
    });
    assert.equal(whole.status, 200, `status, body ${whole.body.slice(0, 300)}`);
    const expected = json(whole, "POST /v1/chat/completions").system_fingerprint;
    for (const [extra, label] of [
      [{}, "stream"],
      [{ stream_options: { include_usage: true } }, "stream with include_usage"],
    ] as const) {
      const chunks = await chatChunks(context, model, extra, label);
      const last = chunks.at(-1) ?? {};
      const final = label === "stream" ? finishes(last) : Array.isArray(last.choices);
      assert.ok(final, `${label}: the last chunk is the final message`);
      for (const chunk of chunks.slice(0, -1)) {
        assert.ok(
          !("system_fingerprint" in chunk),
          `${label}: a chunk before the final message has no system_fingerprint`,
        );
      }
      if (!stamped) {
        assert.ok(!("system_fingerprint" in last), `${label}: no system_fingerprint before 0.21.0`);
        continue;
      }
      assert.equal(
        typeof last.system_fingerprint,
        "string",
        `${label}: system_fingerprint from 0.21.0`,
      );
      assert.equal(
        last.system_fingerprint,
        expected,
        `${label}: the final message's system_fingerprint is the answer's`,
      );
    }
  },
});

/** The case of system_fingerprint on chat streams. */
export const openaiStreamFingerprintCases: readonly ContractCase[] = [chatStreamFingerprint];
