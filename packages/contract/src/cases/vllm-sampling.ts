/**
 * vLLM's sampling checks the mock once read and ignored (issue 3): the penalty and
 * `min_p` ranges of `SamplingParams._verify_args` and the chat request's
 * `check_generation_prompt`. Their texts are the same in every release from 0.10 to 0.18 and name
 * no parameter, so the cases hold on any of them; the envelope may be flat (up to 0.10.0) or
 * nested.
 */
import assert from "node:assert/strict";
import type { CaseContext, ContractCase, RestAnswer } from "../contract-case.js";
import { defineCase } from "../contract-case.js";
import { json, servedModel } from "./vllm.js";

const base = { runtimes: ["vllm"], transport: "rest" } as const;

/** The `message` of a vLLM error body, in either envelope. */
function messageOf(answer: RestAnswer, what: string): string {
  const body = json(answer, what);
  const nested = body.error as { message?: unknown } | undefined;
  return String(typeof nested === "object" && nested !== null ? nested.message : body.message);
}

/** Posts a one-token completion with `extra` and expects a 400 whose message holds `text`. */
async function refused(context: CaseContext, extra: object, text: string): Promise<void> {
  const model = await servedModel(context);
  const answer = await context.rest("/v1/completions", {
    json: { model, prompt: "Hi", max_tokens: 1, ...extra },
  });
  const what = JSON.stringify(extra);
  assert.equal(answer.status, 400, `${what}: status, body: ${answer.body.slice(0, 200)}`);
  const message = messageOf(answer, what);
  assert.ok(message.includes(text), `${what}: text ${message.slice(0, 300)}`);
}

const penaltyRanges = defineCase({
  ...base,
  id: "vllm-sampling/penalty-ranges",
  title:
    "presence/frequency_penalty outside [-2, 2], repetition_penalty <= 0 and min_p outside [0, 1] are 400s with _verify_args' texts (floats printed as Python does)",
  source: "vllm/sampling_params.py SamplingParams._verify_args",
  async run(context) {
    await refused(
      context,
      { presence_penalty: 3 },
      "presence_penalty must be in [-2, 2], got 3.0.",
    );
    await refused(
      context,
      { frequency_penalty: -2.5 },
      "frequency_penalty must be in [-2, 2], got -2.5.",
    );
    await refused(
      context,
      { repetition_penalty: 0 },
      "repetition_penalty must be greater than zero, got 0.0.",
    );
    await refused(context, { min_p: 1.5 }, "min_p must be in [0, 1], got 1.5.");
    const model = await servedModel(context);
    const bounds = await context.rest("/v1/completions", {
      json: {
        model,
        prompt: "Hi",
        max_tokens: 1,
        presence_penalty: 2,
        frequency_penalty: -2,
        min_p: 1,
      },
    });
    assert.equal(bounds.status, 200, `closed bounds accepted, body: ${bounds.body.slice(0, 200)}`);
  },
});

const generationPromptConflict = defineCase({
  ...base,
  id: "vllm-sampling/generation-prompt-conflict",
  title:
    "chat continue_final_message with add_generation_prompt, both sent true, is a 400; continue_final_message alone is served",
  source: "vllm/entrypoints/openai/protocol.py ChatCompletionRequest.check_generation_prompt",
  async run(context) {
    const model = await servedModel(context);
    const messages = [
      { role: "user", content: "Hi" },
      { role: "assistant", content: "Hello" },
    ];
    const both = await context.rest("/v1/chat/completions", {
      json: {
        model,
        messages,
        max_tokens: 1,
        continue_final_message: true,
        add_generation_prompt: true,
      },
    });
    assert.equal(both.status, 400, `both: status, body: ${both.body.slice(0, 200)}`);
    assert.ok(
      messageOf(both, "both").includes(
        "Cannot set both `continue_final_message` and `add_generation_prompt` to True.",
      ),
      `text: ${both.body.slice(0, 300)}`,
    );
    // The validator reads the raw body: an absent add_generation_prompt is None there.
    const alone = await context.rest("/v1/chat/completions", {
      json: { model, messages, max_tokens: 1, continue_final_message: true },
    });
    assert.equal(alone.status, 200, `alone: status, body: ${alone.body.slice(0, 200)}`);
  },
});

/** The sampling cases, in table order. */
export const vllmSamplingCases: readonly ContractCase[] = [penaltyRanges, generationPromptConflict];
