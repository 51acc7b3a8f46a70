/**
 * `/score` (`/v1/score`) and `/rerank` (`/v1/rerank`, `/v2/rerank`) for a model served as a
 * scoring (cross-encoder) model, `--task score` (vllm-openai.md §1, §5), or an embedding model
 * (bi-encoder: the cosine of the two embeddings). A one-label cross-encoder scores as vLLM's
 * classifier pooler does: the pair's logit through the sigmoid (the raw logit when the request
 * turns the activation off); the logit is our own deterministic head's, higher for texts that
 * share words. The mock's own multi-label scoring model (before 0.10.1) answers
 * (cosine + 1) / 2. Token counts are the pair's tokens as the tokenizer counts them.
 */

import { cosineSimilarity, embedText } from "@servingkit/mock-core";
import { classifierHead, classProbabilities, readRequestActivation } from "./classification.js";
import { countEach, pooledText } from "./embeddings.js";
import { badRequest } from "./errors.js";
import { releasedBy } from "./profiles.js";
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

/**
 * The first profile whose `/score` and `/rerank` serve an embedding model by the cosine of the
 * two texts' embeddings (serving_score.py `_embedding_score`: vLLM issue #10752; the offline
 * LLM.score came first, PR #12021, merged 2025-01; the online route came with PR #12846
 * "Enables /score endpoint for embedding models", opened 2025-02-06 and first reviewed
 * 2025-02-14, days before 0.7.3 shipped on 2025-02-20, so first in 0.8.0; the v0.10.0 pooling
 * docs: "The score API falls back to embed task if the model does not support score task").
 */
export const embeddingScoreSince = "0.8.0";

/**
 * The first profile whose classifier scores as a cross-encoder only with one label: from 0.10.1
 * `--task score` is `--convert classify` on a sequence classifier (vllm/config/model.py
 * `_task_to_convert`) and the model runner drops "score" from a classifier's supported tasks
 * unless config.json's `num_labels == 1` (`get_supported_pooling_tasks`: "Score API is only
 * enabled for num_labels == 1"; vLLM's classification entrypoint tests expect no /score for a
 * two-label classifier).
 */
export const crossEncoderLabelsSince = "0.10.1";

/**
 * The release whose rerank documents carry `multi_modal` (null for a text document) beside
 * `text`: vLLM PR #20260 ("[Model][VLM] Support JinaVL Reranker", opened 2025-06-30, reviewed
 * to 2025-07-08, before the 0.10.0 cut) made RerankDocument `{text, multi_modal}`, both optional,
 * and the response is dumped with its None fields. Earlier releases answer `{text}` alone.
 */
export const rerankMultiModalSince = "0.10.0";

/**
 * Whether the model answers `/score` and `/rerank`: a scoring model (`--task score` before
 * {@link crossEncoderLabelsSince}), a classifier of one label from it (a cross-encoder), or an
 * embedding model from {@link embeddingScoreSince} (a bi-encoder).
 */
export function supportsScore(model: Pick<VllmModel, "task" | "profile" | "spec">): boolean {
  const since = model.profile.since;
  if (model.task === "score") return true;
  if (model.task === "classify") {
    return (
      releasedBy(since, crossEncoderLabelsSince) &&
      classifierHead(model.spec.config).labels.length === 1
    );
  }
  return model.task === "embed" && releasedBy(since, embeddingScoreSince);
}

/** Each pair's score and what the engine counted: per pair, or per embedded text. */
interface Scored {
  readonly scores: number[];
  readonly counts: number[];
}

/**
 * Scores `right[i]` against `left[i]` (or the one `left` text). A cross-encoder reads each pair as
 * one input; an embedding model embeds each text once, as its own engine request (the one query
 * of a one-to-many request once), and answers their cosine (serving_score.py `_embedding_score`:
 * the query's embedding repeated for every document).
 */
function scorePairs(
  model: VllmModel,
  left: readonly string[],
  right: readonly string[],
  activation: boolean | undefined,
): Scored {
  if (model.task === "embed") {
    const dim = model.spec.embeddingDim;
    const counts: number[] = [];
    const embed = (text: string) => {
      const pooled = pooledText(model, { text }, undefined, "score");
      counts.push(pooled.tokens);
      return embedText(pooled.text, dim);
    };
    const queries = left.map(embed);
    const documents = right.map(embed);
    const scores = documents.map((doc, i) =>
      cosineSimilarity(queries.length === 1 ? (queries[0] ?? doc) : (queries[i] ?? doc), doc),
    );
    return { scores, counts };
  }
  const dim = model.spec.embeddingDim;
  const oneLabel = classifierHead(model.spec.config).labels.length === 1;
  const counts: number[] = [];
  const scores = right.map((text, i) => {
    const query = (left.length === 1 ? left[0] : left[i]) ?? "";
    counts.push(pairTokens(model, query, text));
    if (!oneLabel) return (pairCosine(query, text, dim) + 1) / 2;
    const logit = pairLogit(query, text, dim);
    return activation === false ? logit : (classProbabilities([logit])[0] ?? 0);
  });
  return { scores, counts };
}

function pairCosine(a: string, b: string, dim: number): number {
  return cosineSimilarity(embedText(a, dim), embedText(b, dim));
}

/**
 * The logit our one-label cross-encoder head gives a (query, document) pair (pure; our own
 * deterministic model): 8 x the cosine of the two texts' `embedText` vectors, less 4, so a pair
 * sharing no words sits near -4 (sigmoid ~0.02) and a text against itself at 4 (~0.98). `dim` is
 * the model's embedding width.
 */
export function pairLogit(query: string, document: string, dim: number): number {
  return 8 * pairCosine(query, document, dim) - 4;
}

/**
 * The activation a scoring request asks for: ScoreRequest and RerankRequest carry the
 * classifier's `activation` and `use_activation` (protocol.py score-extra-params and
 * rerank-extra-params, read by get_use_activation as /classify reads them) and, with
 * `use_activation` (0.11.1 on), the deprecated `softmax`, which get_use_activation reads before
 * `activation`.
 */
function scoreActivation(model: VllmModel, fields: FieldReader): boolean | undefined {
  return readRequestActivation(model.profile.since, fields);
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
 * pairwise (the lists must be as long). `counted` hears each engine request's prompt tokens once
 * every pair is scored (metrics.ts `countPooled`: serving_score.py sends each pair, or for an
 * embedding model each text, to the engine as its own request, `request_id-i`).
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
  const activation = scoreActivation(model, fields);
  fields.finish();
  // vllm-openai.md §7: the response names the LoRA adapter the request named.
  const modelName = checkModelName(model, name);
  if (left.length !== 1 && left.length !== right.length) {
    throw badRequest("text_1 and text_2 must be lists of the same length, or text_1 one text.");
  }
  const { scores, counts } = scorePairs(model, left, right, activation);
  const data = scores.map((value, index) => ({ index, object: "score", score: value }));
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
  const activation = scoreActivation(model, fields);
  fields.finish();
  // vllm-openai.md §7: the response names the LoRA adapter the request named.
  const modelName = checkModelName(model, name);
  const { scores, counts } = scorePairs(model, [query ?? ""], documents, activation);
  const multiModal = releasedBy(model.profile.since, rerankMultiModalSince);
  const ranked = documents
    .map((text, index) => ({
      index,
      document: multiModal ? { text, multi_modal: null } : { text },
      relevance_score: scores[index] ?? 0,
    }))
    .sort((a, b) => b.relevance_score - a.relevance_score);
  const tokens = countEach(counts, counted);
  return {
    id: `rerank-${uuidHex()}`,
    model: modelName,
    usage: { total_tokens: tokens },
    results: topN > 0 ? ranked.slice(0, topN) : ranked,
  };
}
