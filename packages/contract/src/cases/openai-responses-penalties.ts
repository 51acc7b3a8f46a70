/**
 * The Responses API's sampling penalties by release (issue 3): vLLM PR #38613, listed
 * in the v0.20.0 release notes, added `presence_penalty` and `frequency_penalty` to
 * ResponsesRequest as `float | None = Field(ge=-2.0, le=2.0)`, so from 0.20.0 a value outside
 * [-2, 2] is pydantic's 400 naming the field; before, both are unknown fields, which vLLM's
 * request models keep and ignore (200). The case holds on a real vLLM: one request with
 * `max_output_tokens: 1` per check.
 */
import assert from "node:assert/strict";
import type { CaseContext, ContractCase, RestAnswer } from "../contract-case.js";
import { defineCase } from "../contract-case.js";
import { responsesSince } from "./openai-apis.js";
import { atLeast, json, type Release, requireRelease, servedModel } from "./vllm.js";

const base = { runtimes: ["vllm"], transport: "rest" } as const;

/** The first release whose ResponsesRequest reads the two penalties (vLLM PR #38613). */
export const responsesPenaltiesFrom: Release = [0, 20, 0];

/** Posts a one-token response with `penalties` added. */
async function respond(context: CaseContext, penalties: object): Promise<RestAnswer> {
  const model = await servedModel(context);
  return context.rest("/v1/responses", {
    json: { model, input: "Hi", max_output_tokens: 1, ...penalties },
  });
}

const responsesPenalties = defineCase({
  ...base,
  id: "openai/responses-penalties",
  title:
    "POST /v1/responses refuses presence_penalty 3 and frequency_penalty -3 with pydantic's less_than_equal / greater_than_equal 400 (bounds 2.0, -2.0) from 0.20.0 and ignores them (200) before; 2 and -2 are served in every release",
  source:
    "vLLM PR #38613 (responses/protocol.py presence_penalty, frequency_penalty: Field(ge=-2.0, le=2.0)), in the v0.20.0 release notes; vllm-openai.md §3 (validation 400)",
  async run(context) {
    const have = await requireRelease(
      context,
      responsesSince,
      "predates the Responses API (vLLM PR #20504)",
    );
    const bounds = await respond(context, { presence_penalty: 2, frequency_penalty: -2 });
    assert.equal(bounds.status, 200, `bounds: status, body ${bounds.body.slice(0, 300)}`);
    const outside = await respond(context, { presence_penalty: 3, frequency_penalty: -3 });
    if (!atLeast(have, responsesPenaltiesFrom)) {
      assert.equal(
        outside.status,
        200,
        `before 0.20.0 the penalties are unknown fields, ignored: body ${outside.body.slice(0, 300)}`,
      );
      return;
    }
    assert.equal(outside.status, 400, `status, body ${outside.body.slice(0, 300)}`);
    const body = json(outside, "POST /v1/responses");
    const error = body.error as { message?: unknown } | undefined;
    const message = String(error?.message);
    for (const text of [
      "'loc': ('body', 'presence_penalty')",
      "Input should be less than or equal to 2.0",
      "'loc': ('body', 'frequency_penalty')",
      "Input should be greater than or equal to -2.0",
    ]) {
      assert.ok(message.includes(text), `the message holds ${text}: ${message.slice(0, 400)}`);
    }
  },
});

/** The Responses penalty cases. */
export const openaiResponsesPenaltiesCases: readonly ContractCase[] = [responsesPenalties];
