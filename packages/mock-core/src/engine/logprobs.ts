/**
 * Made-up but well-formed log-probabilities for generated and prompt tokens: deterministic,
 * falling with rank, summing below 1, with alternative tokens drawn from the model's vocabulary.
 */
import type { TokenAlternative } from "./generation.js";
import type { ModelSpec } from "./model-spec.js";
import { hashNumbers, seededRandom } from "./random.js";

/** A token's logprob details: its own logprob and rank, and the most likely tokens at its step. */
export interface TokenLogprobs {
  readonly logprob: number;
  /** 1-based rank of the token among its step's candidates. */
  readonly rank: number;
  /** The most likely tokens at the step, most likely first (the token at `rank − 1` if listed). */
  readonly top: readonly TokenAlternative[];
}

/**
 * The sampled token's logprob and rank, and the `count` most likely tokens at this step. Greedy
 * tokens are always rank 1; sampled ones are rank 1 about 80% of the time, else 2 or 3 (a
 * sampled token need not be the most likely). Probabilities fall with rank and sum below 1.
 * Deterministic for a given `random` sequence.
 */
export function tokenLogprobs(
  model: ModelSpec,
  id: number,
  count: number,
  greedy: boolean,
  random: () => number,
): TokenLogprobs {
  const { tokenizer } = model;
  const draw = random();
  const rank = greedy || draw < 0.8 ? 1 : draw < 0.93 ? 2 : 3;
  const wanted = Math.min(Math.max(count, rank), tokenizer.vocabSize);
  const ids: number[] = [];
  const used = new Set([id]);
  for (let attempts = 0; ids.length < wanted - 1 && attempts < wanted * 20; attempts++) {
    const alt = Math.floor(random() * tokenizer.vocabSize);
    if (used.has(alt) || tokenizer.isSpecial(alt)) continue;
    used.add(alt);
    ids.push(alt);
  }
  ids.splice(Math.min(rank - 1, ids.length), 0, id);
  let probability = 0.35 + 0.6 * random();
  let mass = 1 - probability;
  const ranked: TokenAlternative[] = [];
  for (const [i, alt] of ids.entries()) {
    if (i > 0) {
      // Each next token takes a share of what is left, never more than the one before it.
      probability = Math.min(probability * 0.95, mass * (0.3 + 0.4 * random()));
      mass -= probability;
    }
    ranked.push({ id: alt, text: tokenizer.tokenText(alt), logprob: Math.log(probability) });
  }
  const position = ids.indexOf(id);
  return {
    logprob: ranked[position]?.logprob ?? 0,
    rank: position + 1,
    top: ranked.slice(0, count),
  };
}

/** One prompt token's logprob entry (see {@link promptLogprobs}). */
export interface PromptTokenLogprobs extends TokenLogprobs {
  readonly id: number;
  /** The token's text (`tokenizer.tokenText(id)`). */
  readonly text: string;
}

/**
 * Logprobs of the prompt's tokens, for vLLM's `prompt_logprobs` / completions `echo` with
 * `logprobs` and TGIS's input token details: the first entry is null (nothing precedes the first
 * token: vllm-openai.md §5 "echoed prompt's first token has null"), each other token has its
 * logprob, rank and the `count` most likely alternatives. Deterministic from the prompt alone.
 */
export function promptLogprobs(
  model: ModelSpec,
  promptIds: readonly number[],
  count = 0,
): (PromptTokenLogprobs | null)[] {
  const random = seededRandom(hashNumbers(promptIds) ^ 0x27d4eb2d);
  return promptIds.map((id, i) =>
    i === 0
      ? null
      : {
          id,
          text: model.tokenizer.tokenText(id),
          ...tokenLogprobs(model, id, count, false, random),
        },
  );
}
