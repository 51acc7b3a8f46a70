import { defaultModelSpec, type ModelSpec } from "@servingkit/mock-core/engine";
import { beforeAll, describe, expect, it } from "vitest";
import { CaikitError } from "./caikit-error.js";
import {
  countTokens,
  documentText,
  type EmbeddingModel,
  embeddingTask,
  embeddingTasks,
  rerank,
  rerankTasks,
  sentenceSimilarity,
} from "./embedding-tasks.js";

let spec: ModelSpec;
let model: EmbeddingModel;
const small = () => ({ spec, maxSeqLength: 12 });
const tokens = (text: string) =>
  spec.tokenizer.encode(text, { addSpecialTokens: false }).length + 2;
const all = {
  top_n: null,
  truncate_input_tokens: 0,
  return_documents: true,
  return_query: true,
  return_text: true,
};

beforeAll(async () => {
  spec = await defaultModelSpec();
  model = { spec, maxSeqLength: spec.maxModelLen };
});

describe("embedding tasks (caikit-tgis.md §1.4)", () => {
  it("embeds deterministically with the model's width and EmbeddingModule's producer", () => {
    const a = embeddingTask(model, "hello world");
    expect(a.result.data.values).toHaveLength(spec.embeddingDim);
    expect(a.producer_id).toEqual({ name: "EmbeddingModule", version: "0.0.1" });
    expect(a.input_token_count).toBe(tokens("hello world"));
    expect(embeddingTask(model, "hello world")).toEqual(a);
  });

  it("sums token counts over every text, 2 start/end tokens each", () => {
    const r = embeddingTasks(model, ["one", "two three"]);
    expect(r.results.vectors).toHaveLength(2);
    expect(r.input_token_count).toBe(tokens("one") + tokens("two three"));
  });

  it("scores texts sharing words closer", () => {
    const r = sentenceSimilarity(model, "the cat sat on the mat", [
      "a cat sat on a mat",
      "stock prices fell sharply",
    ]);
    const [close, far] = r.result.scores.map((s) => s.value);
    expect(close).toBeGreaterThan(far ?? 1);
    expect(r.input_token_count).toBe(
      tokens("the cat sat on the mat") +
        tokens("a cat sat on a mat") +
        tokens("stock prices fell sharply"),
    );
  });

  it("reranks by score, top_n and the return_* switches", () => {
    const docs = [{ text: "stock prices" }, { _text: "a cat on a mat" }, { title: "no text" }];
    const r = rerank(model, "cat mat", docs, all);
    expect(r.result.scores.map((s) => s.index)[0]).toBe(1);
    const values = r.result.scores.map((s) => s.score.value);
    expect([...values].sort((a, b) => b - a)).toEqual(values);
    expect(r.result.scores[0]?.text).toBe("a cat on a mat");
    expect(r.input_token_count).toBe(
      tokens("cat mat") +
        docs
          .map(documentText)
          .map(tokens)
          .reduce((a, b) => a + b),
    );
    const bare = rerank(model, "cat mat", docs, {
      ...all,
      top_n: 1,
      return_documents: false,
      return_query: false,
      return_text: false,
    });
    expect(bare.result).toEqual({
      query: null,
      scores: [{ document: null, index: 1, score: r.result.scores[0]?.score, text: null }],
    });
    // top_n < 1 means all (caikit-nlp tests: -1, 0 → len(DOCS)).
    expect(rerank(model, "cat", docs, { ...all, top_n: 0 }).result.scores).toHaveLength(3);
    expect(rerankTasks(model, ["a", "b"], docs, all).results).toHaveLength(2);
  });

  it("refuses an empty rerank with caikit's text", () => {
    expect(() => rerank(model, "", [{ text: "x" }], all)).toThrow(
      "value check failed: Cannot rerank without a query and at least one document",
    );
    expect(() => rerankTasks(model, ["q"], [], all)).toThrow(CaikitError);
  });

  it("applies caikit's truncation rule", () => {
    const long = "a b c d e f g h i j k l m n";
    // 0 (default) or above the max: refuse, naming the indexes.
    expect(() => countTokens(small(), ["a", long, "b", long], 0)).toThrow(
      "Token sequence length (+2 for start/end tokens) exceeds the maximum sequence length for this model (12) for text at indexes: 1, 3.",
    );
    expect(() => countTokens(small(), [long], 13)).toThrow(/for text at index: 0\.$/);
    // Negative: the model truncates at its maximum; in range: cut to N.
    expect(countTokens(small(), [long], -1)).toEqual([12]);
    expect(countTokens(small(), [long, "a"], 5)).toEqual([5, 3]);
  });
});
