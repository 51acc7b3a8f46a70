import { describe, expect, test } from "vitest";
import { promptLogprobs, tokenLogprobs } from "./logprobs.js";
import { defaultModelSpec } from "./model-spec.js";
import { seededRandom } from "./random.js";

const model = await defaultModelSpec();

describe("promptLogprobs", () => {
  test("first token null, the others with logprob, rank and `count` alternatives", () => {
    // vllm-openai.md §5: the echoed prompt's first token has null logprobs
    const ids = model.tokenizer.encode("The cat slept in a patch of sunlight.");
    const entries = promptLogprobs(model, ids, 2);
    expect(entries).toHaveLength(ids.length);
    expect(entries[0]).toBeNull();
    for (const [i, entry] of entries.slice(1).entries()) {
      expect(entry).toMatchObject({
        id: ids[i + 1],
        text: model.tokenizer.tokenText(ids[i + 1] ?? 0),
      });
      expect(entry?.logprob).toBeLessThan(0);
      expect(entry?.top).toHaveLength(2);
      if ((entry?.rank ?? 0) <= 2) expect(entry?.top[(entry?.rank ?? 1) - 1]?.id).toBe(entry?.id);
    }
  });

  test("is deterministic from the prompt and differs between prompts", () => {
    const a = model.tokenizer.encode("one prompt here");
    const b = model.tokenizer.encode("another prompt there");
    expect(promptLogprobs(model, a, 3)).toEqual(promptLogprobs(model, a, 3));
    expect(promptLogprobs(model, a, 0)[1]?.logprob).not.toBe(
      promptLogprobs(model, b, 0)[1]?.logprob,
    );
    expect(promptLogprobs(model, [], 1)).toEqual([]);
  });
});

describe("tokenLogprobs", () => {
  test("probabilities of the listed tokens fall and sum below 1; ids are distinct and not special", () => {
    const random = seededRandom(9);
    for (let step = 0; step < 50; step++) {
      const { top, rank, logprob } = tokenLogprobs(model, 500, 8, false, random);
      expect(top).toHaveLength(8);
      expect(rank).toBeGreaterThanOrEqual(1);
      const lps = top.map((t) => t.logprob);
      expect([...lps].sort((x, y) => y - x)).toEqual(lps);
      expect(lps.reduce((sum, lp) => sum + Math.exp(lp), 0)).toBeLessThan(1);
      expect(new Set(top.map((t) => t.id)).size).toBe(8);
      expect(top.some((t) => model.tokenizer.isSpecial(t.id) && t.id !== 500)).toBe(false);
      expect(top[rank - 1]?.logprob).toBe(logprob);
    }
  });
});
