/**
 * vLLM's `prompt_logprobs` (vllm-openai.md §3.2, §5; protocol.py): one entry per prompt token,
 * the first null (nothing precedes it), each other a map from token id to
 * `{logprob, rank, decoded_token}` holding the prompt's own token and the `count` most likely
 * ones at that position; −inf clamped to −9999.0. Values come from mock-core's deterministic
 * `promptLogprobs`, so the same prompt always gets the same numbers.
 */
import { promptLogprobs } from "@servingkit/mock-core";
import type { VllmModel } from "./served-model.js";
import type { PyDict } from "./wire-json.js";

/** One token's entry in a prompt-logprobs map. */
export interface PromptLogprob {
  readonly logprob: number;
  readonly rank: number;
  readonly decoded_token: string;
}

/**
 * One prompt position: token id (as a JSON key) → its logprob, the prompt's own token first as
 * Python's dict keeps it (wire-json.ts), or null for the first token.
 */
export type PromptLogprobsEntry = PyDict<PromptLogprob> | null;

function clamp(logprob: number): number {
  return Number.isFinite(logprob) ? logprob : -9999;
}

/**
 * The `prompt_logprobs` list of a prompt's token ids with `count` alternatives per position: the
 * prompt's token first, then the alternatives by rank (an answer carrying it needs
 * `withKeyOrder`, wire-json.ts).
 */
export function promptLogprobsList(
  model: VllmModel,
  promptIds: readonly number[],
  count: number,
): PromptLogprobsEntry[] {
  return promptLogprobs(model.spec, promptIds, count).map((entry) => {
    if (entry === null) return null;
    const map: PyDict<PromptLogprob> = new Map([
      [
        String(entry.id),
        { logprob: clamp(entry.logprob), rank: entry.rank, decoded_token: entry.text },
      ],
    ]);
    entry.top.slice(0, count).forEach((alt, i) => {
      const key = String(alt.id);
      if (!map.has(key)) {
        map.set(key, { logprob: clamp(alt.logprob), rank: i + 1, decoded_token: alt.text });
      }
    });
    return map;
  });
}
