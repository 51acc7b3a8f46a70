/**
 * Caikit Standalone's embedding tasks (caikit-nlp `EmbeddingModule`): embedding(s), sentence
 * similarity (tasks), rerank (tasks), with caikit's result shapes (keys in order), token counts
 * summed as caikit sums them (every text counted with its 2 start/end tokens), truncation and its
 * error text, and the empty-input error. Vectors are mock-core's deterministic `embedText` (texts
 * sharing words are closer), values rounded to float32 as sentence-transformers returns them.
 * Pure; REST and gRPC both call it.
 *
 * Sources: caikit-tgis.md §1.4 (shapes, producer, truncation, rerank), §1.6 (module id), §5.
 */
import { cosineSimilarity, embedText, type ModelSpec } from "@servingkit/mock-core/engine";
import { valueCheck, valueError } from "./caikit-error.js";
import { PyFloat } from "./python-json.js";

/** caikit-nlp's EmbeddingModule producer (caikit-tgis.md §1.4). */
export const embeddingProducer = { name: "EmbeddingModule", version: "0.0.1" } as const;

/** A JSON document for rerank (`text` or `_text` is its text). */
export type RerankDocument = Readonly<Record<string, unknown>>;

/** The embedding model: tokenizer for counts, vector width, sequence limit. */
export interface EmbeddingModel {
  /** The served model's spec (tokenizer, `embeddingDim`). */
  readonly spec: ModelSpec;
  /** `max_seq_length` (tokens, start/end included). */
  readonly maxSeqLength: number;
}

/** A vector as caikit's HTTP JSON flattens Vector1D: `{"data": {"values": [...]}}`. */
export interface VectorJson {
  readonly data: { readonly values: readonly PyFloat[] };
}

/** Rerank parameters (names as caikit's, defaults applied by the caller). */
export interface RerankOptions {
  /** null or < 1: all documents. */
  readonly top_n: number | null;
  /** See {@link countTokens}. */
  readonly truncate_input_tokens: number;
  /** Default true. */
  readonly return_documents: boolean;
  /** Default true (`return_queries` on rerank-tasks). */
  readonly return_query: boolean;
  /** Default true. */
  readonly return_text: boolean;
}

const f32 = (value: number) => new PyFloat(Math.fround(value));

/**
 * Token counts of `texts` after caikit's truncation rule: each text counts its tokens plus 2
 * start/end tokens; `truncate` < 0 lets the model truncate at its maximum; 0 or above the
 * maximum refuses any text that is too long (listing their indexes); otherwise texts are cut
 * to `truncate` tokens.
 */
export function countTokens(
  model: EmbeddingModel,
  texts: readonly string[],
  truncate: number,
): number[] {
  const max = model.maxSeqLength;
  const counts = texts.map(
    (text) => model.spec.tokenizer.encode(text, { addSpecialTokens: false }).length + 2,
  );
  if (truncate === 0 || truncate > max) {
    const tooLong = counts.flatMap((count, index) => (count > max ? [index] : []));
    if (tooLong.length > 0) {
      const where =
        tooLong.length === 1 ? `index: ${tooLong[0]}` : `indexes: ${tooLong.join(", ")}`;
      throw valueError(
        `Token sequence length (+2 for start/end tokens) exceeds the maximum sequence length for this model (${max}) for text at ${where}.`,
      );
    }
    return counts;
  }
  const limit = truncate < 0 ? max : Math.min(truncate, max);
  return counts.map((count) => Math.min(count, limit));
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

function vector(model: EmbeddingModel, text: string): number[] {
  return embedText(text, model.spec.embeddingDim);
}

const vectorJson = (values: readonly number[]): VectorJson => ({
  data: { values: values.map(f32) },
});

/** `embedding`: one text → `{result, producer_id, input_token_count}`. */
export function embeddingTask(model: EmbeddingModel, text: string, truncate = 0) {
  const counts = countTokens(model, [text], truncate);
  return {
    result: vectorJson(vector(model, text)),
    producer_id: { ...embeddingProducer },
    input_token_count: sum(counts),
  };
}

/** `embedding-tasks`: texts → `{results: {vectors}, producer_id, input_token_count}` (summed). */
export function embeddingTasks(model: EmbeddingModel, texts: readonly string[], truncate = 0) {
  const counts = countTokens(model, texts, truncate);
  return {
    results: { vectors: texts.map((text) => vectorJson(vector(model, text))) },
    producer_id: { ...embeddingProducer },
    input_token_count: sum(counts),
  };
}

function scores(model: EmbeddingModel, source: string, sentences: readonly string[]) {
  const base = vector(model, source);
  return { scores: sentences.map((s) => f32(cosineSimilarity(base, vector(model, s)))) };
}

/** `sentence-similarity`: cosine of the source with each sentence. */
export function sentenceSimilarity(
  model: EmbeddingModel,
  source: string,
  sentences: readonly string[],
  truncate = 0,
) {
  const counts = [
    ...countTokens(model, [source], truncate),
    ...countTokens(model, sentences, truncate),
  ];
  return {
    result: scores(model, source, sentences),
    producer_id: { ...embeddingProducer },
    input_token_count: sum(counts),
  };
}

/** `sentence-similarity-tasks`: one score list per source sentence. */
export function sentenceSimilarityTasks(
  model: EmbeddingModel,
  sources: readonly string[],
  sentences: readonly string[],
  truncate = 0,
) {
  const counts = [
    ...countTokens(model, sources, truncate),
    ...countTokens(model, sentences, truncate),
  ];
  return {
    results: sources.map((source) => scores(model, source, sentences)),
    producer_id: { ...embeddingProducer },
    input_token_count: sum(counts),
  };
}

/** A rerank document's text: `text`, else `_text`, else "" (caikit-tgis.md §1.4). */
export function documentText(document: RerankDocument): string {
  const text = document.text ?? document._text;
  return typeof text === "string" ? text : "";
}

function rankOne(
  model: EmbeddingModel,
  query: string,
  documents: readonly RerankDocument[],
  options: RerankOptions,
) {
  const q = vector(model, query);
  const ranked = documents
    .map((document, index) => ({
      document,
      index,
      score: Math.fround(cosineSimilarity(q, vector(model, documentText(document)))),
    }))
    .sort((a, b) => b.score - a.score || a.index - b.index);
  const topN = options.top_n !== null && options.top_n >= 1 ? options.top_n : ranked.length;
  return {
    query: options.return_query ? query : null,
    scores: ranked.slice(0, topN).map((r) => ({
      document: options.return_documents ? r.document : null,
      index: r.index,
      score: new PyFloat(r.score),
      text: options.return_text ? documentText(r.document) : null,
    })),
  };
}

const emptyRerank = "Cannot rerank without a query and at least one document";

/** `rerank`: documents sorted by score against the query, `top_n` of them. */
export function rerank(
  model: EmbeddingModel,
  query: string,
  documents: readonly RerankDocument[],
  options: RerankOptions,
) {
  if (query === "" || documents.length === 0) throw valueCheck(emptyRerank);
  const texts = documents.map(documentText);
  const counts = [
    ...countTokens(model, [query], options.truncate_input_tokens),
    ...countTokens(model, texts, options.truncate_input_tokens),
  ];
  return {
    result: rankOne(model, query, documents, options),
    producer_id: { ...embeddingProducer },
    input_token_count: sum(counts),
  };
}

/** `rerank-tasks`: one ranking per query. */
export function rerankTasks(
  model: EmbeddingModel,
  queries: readonly string[],
  documents: readonly RerankDocument[],
  options: RerankOptions,
) {
  if (queries.length === 0 || documents.length === 0) throw valueCheck(emptyRerank);
  const texts = documents.map(documentText);
  const counts = [
    ...countTokens(model, queries, options.truncate_input_tokens),
    ...countTokens(model, texts, options.truncate_input_tokens),
  ];
  return {
    results: queries.map((query) => rankOne(model, query, documents, options)),
    producer_id: { ...embeddingProducer },
    input_token_count: sum(counts),
  };
}

/**
 * `tokenization` on the EmbeddingModule: the non-empty token spans with their text, and the
 * count with the 2 start/end tokens (caikit-tgis.md §1.4 "EmbeddingModule fills both";
 * caikit-nlp `run_tokenizer`, derived).
 */
export function tokenizationTask(model: EmbeddingModel, text: string) {
  const spans = model.spec.tokenizer.offsets(text).filter(([start, end]) => end > start);
  return {
    results: spans.map(([start, end]) => ({ start, end, text: text.slice(start, end) })),
    token_count: model.spec.tokenizer.encode(text, { addSpecialTokens: false }).length + 2,
  };
}
