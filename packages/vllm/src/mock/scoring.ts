/**
 * `/score` (`/v1/score`) and `/rerank` (`/v1/rerank`, `/v2/rerank`) for a model served as a
 * scoring (cross-encoder) model, `--task score` (vllm-openai.md §1, §5). Scores come from the
 * engine's deterministic embeddings: (cosine + 1) / 2, in [0, 1] like a cross-encoder's sigmoid,
 * higher for texts that share words. Token counts are the pair's tokens as the tokenizer counts
 * them.
 */

import { cosineSimilarity, embedText } from "@servingkit/mock-core";
import { countEach } from "./embeddings.js";
import { badRequest } from "./errors.js";
import { uuidHex } from "./request-id.js";
import { checkModelName, type VllmModel } from "./served-model.js";
import { FieldReader } from "./validation.js";

function texts(fields: FieldReader, name: string): string[] {
  const value = fields.raw(name);
  if (value === undefined) {
    fields.missing(name);
    return [];
  }
  if (typeof value === "string") return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value;
  fields.nested("string_type", [name], value);
  return [];
}

function relevance(model: VllmModel, a: string, b: string): number {
  const dim = model.spec.embeddingDim;
  return (cosineSimilarity(embedText(a, dim), embedText(b, dim)) + 1) / 2;
}

function pairTokens(model: VllmModel, a: string, b: string): number {
  const count = model.spec.tokenizer.encode(a).length + model.spec.tokenizer.encode(b).length;
  if (count > model.served.maxModelLen) {
    throw badRequest(
      `This model's maximum context length is ${model.served.maxModelLen} tokens. However, you requested ${count} tokens in the input for score. Please reduce the length of the input.`,
    );
  }
  return count;
}

/**
 * `POST /score`: `text_1` against `text_2`, one-to-many when `text_1` is one text, else
 * pairwise (the lists must be as long). `counted` hears each pair's prompt tokens once every
 * pair is scored (metrics.ts `countPooled`: serving_score.py sends each pair to the engine as its
 * own request, `request_id-i`).
 */
export function score(
  model: VllmModel,
  body: unknown,
  counted: (promptTokens: number) => void = () => {},
): object {
  const fields = new FieldReader(body);
  fields.finish();
  const name = fields.string("model");
  const left = texts(fields, "text_1");
  const right = texts(fields, "text_2");
  fields.finish();
  // vllm-openai.md §7: the response names the LoRA adapter the request named.
  const modelName = checkModelName(model, name);
  if (left.length !== 1 && left.length !== right.length) {
    throw badRequest("text_1 and text_2 must be lists of the same length, or text_1 one text.");
  }
  const counts: number[] = [];
  const data = right.map((text, index) => {
    const query = (left.length === 1 ? left[0] : left[index]) ?? "";
    counts.push(pairTokens(model, query, text));
    return { index, object: "score", score: relevance(model, query, text) };
  });
  const tokens = countEach(counts, counted);
  return {
    id: `score-${uuidHex()}`,
    object: "list",
    created: model.nowSeconds(),
    model: modelName,
    data,
    usage: {
      prompt_tokens: tokens,
      total_tokens: tokens,
      completion_tokens: 0,
      prompt_tokens_details: null,
    },
  };
}

/**
 * `POST /rerank`: documents by relevance to `query`, most relevant first, `top_n` (0 = all).
 * `counted` hears each (query, document) pair's prompt tokens once all are scored, as
 * {@link score}'s (serving_score.py serves rerank through the same per-pair engine requests).
 */
export function rerank(
  model: VllmModel,
  body: unknown,
  counted: (promptTokens: number) => void = () => {},
): object {
  const fields = new FieldReader(body);
  fields.finish();
  const name = fields.string("model");
  const query = fields.string("query");
  if (query === undefined && fields.raw("query") === undefined) fields.missing("query");
  const documents = texts(fields, "documents");
  const topN = fields.int("top_n") ?? 0;
  fields.finish();
  // vllm-openai.md §7: the response names the LoRA adapter the request named.
  const modelName = checkModelName(model, name);
  const counts: number[] = [];
  const ranked = documents
    .map((text, index) => {
      counts.push(pairTokens(model, query ?? "", text));
      return { index, document: { text }, relevance_score: relevance(model, query ?? "", text) };
    })
    .sort((a, b) => b.relevance_score - a.relevance_score);
  const tokens = countEach(counts, counted);
  return {
    id: `rerank-${uuidHex()}`,
    model: modelName,
    usage: { total_tokens: tokens },
    results: topN > 0 ? ranked.slice(0, topN) : ranked,
  };
}
