import { describe, expect, it } from "vitest";
import { EngineCore, type EngineCoreConfig, type StepResult } from "./engine-core.js";
import {
  acceptanceRates,
  acceptedDrafts,
  proposeNgram,
  SpecDecodeCounts,
  type SpeculativeDecoding,
} from "./speculative.js";
import { linearStepTime } from "./test-step-time.js";

/** A context over one id list (all of it prompt). */
/** proposeNgram over the whole of `ids`. */
const propose = (ids: number[], minN: number, maxN: number, k: number) =>
  proposeNgram(ids, ids.length, minN, maxN, k);

describe("proposeNgram (vllm/v1/spec_decode/ngram_proposer.py)", () => {
  it("proposes the k tokens after the earlier occurrence of the context's last n tokens", () => {
    // ngram_proposer.py: "finds matches of the last n tokens in the previous context, and returns
    // k tokens that followed that match".
    expect(propose([1, 2, 3, 4, 5, 9, 1, 2, 3], 2, 4, 2)).toEqual({ start: 3, count: 2 }); // drafts 4, 5
  });

  it("prefers the longest n-gram up to max, at its earliest occurrence", () => {
    // _find_longest_matched_ngram_and_propose_tokens: the longest matched n-gram (capped at
    // prompt_lookup_max); among equal lengths "the target n-gram of the earliest position".
    // [7, 8] occurs at 0 and at 4; [6, 7, 8] only at 3: the longer one wins.
    expect(propose([7, 8, 1, 6, 7, 8, 2, 6, 7, 8], 2, 3, 1)).toEqual({
      start: 6,
      count: 1,
    });
    // Two occurrences of [7, 8] and no longer match: the earliest (followed by 1).
    expect(propose([7, 8, 1, 5, 7, 8, 2, 3, 7, 8], 2, 4, 1)).toEqual({
      start: 2,
      count: 1,
    });
  });

  it("proposes nothing without a match of at least min tokens, or in a context shorter than min", () => {
    // ngram_proposer.py: no valid n-gram → an empty proposal (no drafts for the sequence).
    expect(propose([1, 2, 3, 4, 5, 6], 2, 4, 3).count).toBe(0);
    expect(propose([1, 2, 9, 2], 2, 4, 3).count).toBe(0); // only a 1-gram repeats
    expect(propose([1], 2, 4, 3).count).toBe(0);
  });

  it("proposes fewer than k when the context ends first", () => {
    // ngram_proposer.py: "If there are less than k tokens follow the match, we will return the
    // maximum amount of tokens until the end."
    expect(propose([1, 2, 3, 1, 2], 2, 4, 5)).toEqual({ start: 2, count: 3 });
    // An occurrence may overlap the suffix: [5, 5, 5] matches [5, 5] ending at index 1.
    expect(propose([5, 5, 5], 2, 2, 3)).toEqual({ start: 2, count: 1 });
  });

  it("reads prompt and output as one sequence", () => {
    // Prompt 1, 2, 3; output so far 4, 1, 2 (context length 6); the target produces 99 next.
    const ids = [1, 2, 3, 4, 1, 2, 99];
    expect(proposeNgram(ids, 6, 2, 2, 3)).toEqual({ start: 2, count: 3 }); // drafts 3, 4, 1
    expect(acceptedDrafts(ids, 2, 3, 6)).toBe(0); // 99 ≠ 3: nothing accepted
  });

  it("accepts the longest prefix of the drafts equal to the tokens the target produces", () => {
    // Greedy verification keeps the drafts up to the first that differs from the target's token.
    const ids = [1, 2, 3, 4, 1, 2, 3, 7, 9]; // context of 6, then the target's 3, 7, 9
    expect(acceptedDrafts(ids, 2, 2, 6)).toBe(1); // drafts 3, 4 against 3, 7
    expect(acceptedDrafts(ids, 0, 3, 4)).toBe(3); // drafts 1, 2, 3 against 1, 2, 3
    // Drafts 5, 5, 5 against 5, 5, then past the array's end: unknown, rejected.
    expect(acceptedDrafts([5, 5, 5, 5], 1, 3, 2)).toBe(2);
  });
});

/** The settings of {@link ngramEngine}. */
function ngramConfig(k: number): EngineCoreConfig {
  return {
    numBlocks: 1000,
    maxNumSeqs: 16,
    maxNumBatchedTokens: 8192,
    maxModelLen: 8192,
    stepTime: linearStepTime,
    speculative: {
      method: "ngram",
      numSpeculativeTokens: k,
      // Rate 0: any accepted draft below comes from the content, never from the seeded draw.
      acceptanceRates: acceptanceRates(0, k),
      promptLookupMin: 2,
      promptLookupMax: 4,
      draftFromContent: true,
    },
  };
}

/** An engine with n-gram drafting (k drafts, lookup 2..4) on the linear test clock. */
function ngramEngine(k: number): EngineCore {
  return new EngineCore(ngramConfig(k));
}

/** Steps the engine to the end; returns each step's result. */
function run(core: EngineCore): StepResult[] {
  const steps: StepResult[] = [];
  let now = 0;
  for (let guard = 0; core.hasWork() && guard < 1000; guard++) {
    const step = core.step(now);
    if (step === undefined) break;
    steps.push(step);
    now = step.end;
  }
  return steps;
}

/** The run's spec-decode totals. */
function totals(steps: readonly StepResult[], k: number): SpecDecodeCounts {
  const sum = new SpecDecodeCounts(k);
  for (const step of steps) if (step.stats.specDecode) sum.add(step.stats.specDecode);
  return sum;
}

describe("n-gram drafting from the request's token ids", () => {
  const prompt = [11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22];

  it("says when it reads outputIds: n-gram drafting from content only", () => {
    // The GPU text engine copies a request's content ids only when the engine drafts from them.
    expect(ngramEngine(3).draftsFromContent).toBe(true);
    const { speculative: _, ...plain } = ngramConfig(3);
    expect(new EngineCore(plain).draftsFromContent).toBe(false);
    const rateDrawn = ngramConfig(3);
    const speculative = rateDrawn.speculative as SpeculativeDecoding;
    const drawn = { ...speculative, draftFromContent: false };
    expect(new EngineCore({ ...rateDrawn, speculative: drawn }).draftsFromContent).toBe(false);
  });

  it("an output that repeats the prompt (echo) accepts long drafts", () => {
    const core = ngramEngine(3);
    core.add({ id: "echo", prompt, outputTokens: prompt.length, outputIds: prompt });
    const steps = run(core);
    // Prefill samples 11, step 1 samples 12 ([22, 11] never occurred before: no proposal). Then
    // the suffix [11, 12] matches the prompt's start (ngram_proposer.py), the drafts 13, 14, 15
    // are what the target produces: all accepted, plus the bonus token.
    expect(steps.map((s) => s.tokens.length)).toEqual([1, 1, 4, 4, 2]);
    expect(steps[2]?.tokens.map((t) => t.index)).toEqual([2, 3, 4, 5]);
    expect(steps[1]?.stats.scheduledTokens).toBe(1);
    expect(steps[2]?.stats.scheduledTokens).toBe(4); // the last token plus 3 drafts
    expect(totals(steps, 3)).toMatchObject({
      drafts: 3,
      draftTokens: 9,
      // The last step drafts 21, 22, 11 with two tokens left: 21 and 22 are accepted; the mock's
      // content has no token after its last, so the third counts as rejected.
      acceptedTokens: 8,
      acceptedPerPosition: [3, 3, 2],
    });
    // Every step but the last (cut at max_tokens) emits 1 + its accepted drafts.
    for (const step of steps.slice(0, -1))
      expect(step.tokens.length).toBe(1 + (step.stats.specDecode?.acceptedTokens ?? 0));
  });

  it("text without repeats proposes nothing: no drafts counted, one token per step", () => {
    // ngram_proposer.py: no match → no proposal; the scheduler schedules no spec tokens and
    // SpecDecodingStats sees no draft for the request.
    const core = ngramEngine(3);
    const output = [31, 32, 33, 34, 35, 36];
    core.add({ id: "plain", prompt, outputTokens: output.length, outputIds: output });
    const steps = run(core);
    expect(steps.map((s) => s.tokens.length)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(steps.map((s) => s.stats.scheduledTokens)).toEqual([12, 1, 1, 1, 1, 1]);
    expect(totals(steps, 3)).toMatchObject({ drafts: 0, draftTokens: 0, acceptedTokens: 0 });
  });

  it("a match near the end of the context proposes fewer than k", () => {
    // Prompt 1, 2, 5, 6 then output 5, 6, 5, 8.
    const core = ngramEngine(3);
    core.add({ id: "near", prompt: [1, 2, 5, 6], outputTokens: 4, outputIds: [5, 6, 5, 8] });
    const steps = run(core);
    // Step 1 (context 1, 2, 5, 6, 5): [6, 5] never occurred before, nothing proposed. Step 2
    // (context 1, 2, 5, 6, 5, 6): [5, 6] matches at 2 and is followed by only 2 tokens (5, 6),
    // under k = 3. The target produces 5 then 8: the first draft is accepted, the second not.
    expect(steps[1]?.stats.specDecode?.drafts).toBe(0);
    expect(steps[2]?.stats.specDecode).toMatchObject({
      drafts: 1,
      draftTokens: 2,
      acceptedTokens: 1,
      acceptedPerPosition: [1, 0, 0],
    });
    expect(steps[2]?.tokens.map((t) => t.index)).toEqual([2, 3]);
  });

  it("requests without ids keep the seeded acceptance-rate model", () => {
    const core = ngramEngine(3);
    core.add({ id: "len", prompt: 12, outputTokens: 5 });
    const steps = run(core);
    // Rate 0: every decode step drafts 3 and accepts none.
    expect(totals(steps, 3)).toMatchObject({ drafts: 4, draftTokens: 12, acceptedTokens: 0 });
  });

  it("without draftFromContent, requests with ids keep the rate model too", () => {
    const core = new EngineCore({
      numBlocks: 1000,
      maxNumSeqs: 16,
      maxNumBatchedTokens: 8192,
      maxModelLen: 8192,
      stepTime: linearStepTime,
      speculative: { method: "ngram", numSpeculativeTokens: 2, acceptanceRates: [1, 1] },
    });
    core.add({ id: "ids", prompt, outputTokens: 7, outputIds: [31, 32, 33, 34, 35, 36, 37] });
    const steps = run(core);
    // No repeats in the content, yet rate 1 accepts every draft: 1, then 3 + 3.
    expect(steps.map((s) => s.tokens.length)).toEqual([1, 3, 3]);
  });

  it("refuses fewer output ids than output tokens", () => {
    const core = ngramEngine(3);
    expect(() => core.add({ id: "x", prompt, outputTokens: 3, outputIds: [1] })).toThrow(
      /outputIds holds 1 ids for 3 output tokens/,
    );
  });
});
