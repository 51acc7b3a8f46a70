/**
 * The caikit client over REST: caikit's envelope `{model_id, inputs, parameters}` on
 * `/api/v1/task/<task>` (caikit-tgis.md §1.1-1.2), snake_case parameters, SSE streams through
 * client-core (which throws caikit's `event: error` frames), results mapped to the camelCase
 * types.
 */
import {
  type ClientOptions,
  createHttpClient,
  parseJsonWithNonFinite,
} from "@servingkit/client-core";
import type {
  CaikitCallOptions,
  CaikitClient,
  FinishReason,
  GeneratedText,
  GeneratedTextChunk,
  GeneratedToken,
  ModelInfo,
  ProducerId,
  RerankParameters,
  RerankScores,
} from "./caikit-types.js";

type Json = Record<string, unknown>;

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** camelCase parameters → caikit's snake_case names; unset ones are left out. */
export function restParameters(parameters: object | undefined): Json | undefined {
  if (parameters === undefined) return undefined;
  const out: Json = {};
  for (const [key, value] of Object.entries(parameters)) {
    if (value === undefined) continue;
    if (key === "exponentialDecayLengthPenalty") {
      const p = value as { startIndex: number; decayFactor: number };
      out.exponential_decay_length_penalty = {
        start_index: p.startIndex,
        decay_factor: p.decayFactor,
      };
    } else {
      out[snake(key)] = typeof value === "bigint" ? Number(value) : value;
    }
  }
  return out;
}

const tokens = (list: unknown): GeneratedToken[] =>
  ((list as Json[] | null) ?? []).map((t) => ({
    text: String(t.text ?? ""),
    logprob: Number(t.logprob ?? 0),
    rank: Number(t.rank ?? 0),
  }));

const producer = (value: unknown): ProducerId | undefined =>
  value
    ? { name: String((value as Json).name), version: String((value as Json).version) }
    : undefined;

const optionalProducer = (value: unknown) => {
  const p = producer(value);
  return p ? { producerId: p } : {};
};

const seedOf = (value: unknown) =>
  value === null || value === undefined ? {} : { seed: BigInt(value as number) };

function scoresOf(r: Json): RerankScores {
  return {
    query: (r.query as string | null) ?? null,
    scores: ((r.scores as Json[]) ?? []).map((s) => ({
      document: (s.document as Json | null) ?? null,
      index: Number(s.index),
      score: Number(s.score),
      text: (s.text as string | null) ?? null,
    })),
  };
}

function rerankParameters(p: RerankParameters | undefined, queryKey: string): Json | undefined {
  if (p === undefined) return undefined;
  const { returnQuery, ...rest } = p;
  const out = restParameters(rest) ?? {};
  if (returnQuery !== undefined) out[queryKey] = returnQuery;
  return out;
}

/** A caikit client over REST. `baseUrl` is the InferenceService URL (e.g. `https://…:443`). */
export function createCaikitRestClient(options: ClientOptions): CaikitClient {
  const http = createHttpClient(options);
  // Bodies are read as Python's JSON: TGIS token details may hold a bare NaN.
  const call = async <T>(
    task: string,
    modelId: string,
    inputs: unknown,
    parameters: Json | undefined,
    callOptions: CaikitCallOptions = {},
  ) => {
    const response = await http.request(`/api/v1/task/${task}`, {
      json: { model_id: modelId, inputs, ...(parameters ? { parameters } : {}) },
      ...callOptions,
    });
    return parseJsonWithNonFinite(await response.text()) as T;
  };
  return {
    transport: "rest",
    async generateText(modelId, text, parameters, callOptions) {
      const r = await call<Json>(
        "text-generation",
        modelId,
        text,
        restParameters(parameters),
        callOptions,
      );
      return {
        generatedText: String(r.generated_text ?? ""),
        generatedTokens: Number(r.generated_tokens ?? 0),
        finishReason: r.finish_reason as FinishReason,
        ...optionalProducer(r.producer_id),
        inputTokenCount: Number(r.input_token_count ?? 0),
        ...seedOf(r.seed),
        tokens: tokens(r.tokens),
        inputTokens: tokens(r.input_tokens),
      } satisfies GeneratedText;
    },
    async *generateTextStream(modelId, text, parameters, callOptions = {}) {
      const params = restParameters(parameters);
      const events = http.stream("/api/v1/task/server-streaming-text-generation", {
        json: { model_id: modelId, inputs: text, ...(params ? { parameters: params } : {}) },
        ...callOptions,
      });
      for await (const event of events) {
        const r = parseJsonWithNonFinite(event.data) as Json;
        const d = r.details as Json | null;
        yield {
          generatedText: String(r.generated_text ?? ""),
          tokens: tokens(r.tokens),
          ...(d
            ? {
                details: {
                  finishReason: d.finish_reason as FinishReason,
                  generatedTokens: Number(d.generated_tokens ?? 0),
                  seed: BigInt((d.seed as number | null) ?? 0),
                  inputTokenCount: Number(d.input_token_count ?? 0),
                },
              }
            : {}),
          inputTokens: tokens(r.input_tokens),
        } satisfies GeneratedTextChunk;
      }
    },
    async classifyText(modelId, text, callOptions) {
      const r = await call<Json>("text-classification", modelId, text, undefined, callOptions);
      return ((r.results as Json[] | null) ?? []).map((c) => ({
        label: String(c.label),
        score: Number(c.score),
      }));
    },
    async classifyTokens(modelId, text, parameters = {}, callOptions) {
      const params =
        parameters.threshold === undefined ? undefined : { threshold: parameters.threshold };
      const r = await call<Json>("token-classification", modelId, text, params, callOptions);
      return ((r.results as Json[] | null) ?? []).map((t) => ({
        start: Number(t.start),
        end: Number(t.end),
        word: String(t.word),
        entity: String(t.entity),
        ...(t.entity_group == null ? {} : { entityGroup: String(t.entity_group) }),
        score: Number(t.score),
        ...(t.token_count == null ? {} : { tokenCount: Number(t.token_count) }),
      }));
    },
    async tokenize(modelId, text, callOptions) {
      const r = await call<Json>("tokenization", modelId, text, undefined, callOptions);
      return {
        results: ((r.results as Json[] | null) ?? []).map((t) => ({
          start: Number(t.start),
          end: Number(t.end),
          text: String(t.text),
        })),
        tokenCount: Number(r.token_count ?? 0),
      };
    },
    async embedding(modelId, text, parameters, callOptions) {
      const r = await call<Json>(
        "embedding",
        modelId,
        text,
        restParameters(parameters),
        callOptions,
      );
      return {
        vector: ((r.result as Json).data as Json).values as number[],
        ...optionalProducer(r.producer_id),
        inputTokenCount: Number(r.input_token_count ?? 0),
      };
    },
    async embeddings(modelId, texts, parameters, callOptions) {
      const r = await call<Json>(
        "embedding-tasks",
        modelId,
        texts,
        restParameters(parameters),
        callOptions,
      );
      return {
        vectors: ((r.results as Json).vectors as Json[]).map(
          (v) => (v.data as Json).values as number[],
        ),
        ...optionalProducer(r.producer_id),
        inputTokenCount: Number(r.input_token_count ?? 0),
      };
    },
    async sentenceSimilarity(modelId, sourceSentence, sentences, parameters, callOptions) {
      const r = await call<Json>(
        "sentence-similarity",
        modelId,
        { source_sentence: sourceSentence, sentences },
        restParameters(parameters),
        callOptions,
      );
      return {
        scores: (r.result as Json).scores as number[],
        ...optionalProducer(r.producer_id),
        inputTokenCount: Number(r.input_token_count ?? 0),
      };
    },
    async sentenceSimilarities(modelId, sourceSentences, sentences, parameters, callOptions) {
      const r = await call<Json>(
        "sentence-similarity-tasks",
        modelId,
        { source_sentences: sourceSentences, sentences },
        restParameters(parameters),
        callOptions,
      );
      return {
        results: (r.results as Json[]).map((x) => x.scores as number[]),
        ...optionalProducer(r.producer_id),
        inputTokenCount: Number(r.input_token_count ?? 0),
      };
    },
    async rerank(modelId, query, documents, parameters, callOptions) {
      const r = await call<Json>(
        "rerank",
        modelId,
        { documents, query },
        rerankParameters(parameters, "return_query"),
        callOptions,
      );
      return {
        result: scoresOf(r.result as Json),
        ...optionalProducer(r.producer_id),
        inputTokenCount: Number(r.input_token_count ?? 0),
      };
    },
    async rerankMany(modelId, queries, documents, parameters, callOptions) {
      const r = await call<Json>(
        "rerank-tasks",
        modelId,
        { documents, queries },
        rerankParameters(parameters, "return_queries"),
        callOptions,
      );
      return {
        results: (r.results as Json[]).map(scoresOf),
        ...optionalProducer(r.producer_id),
        inputTokenCount: Number(r.input_token_count ?? 0),
      };
    },
    async modelsInfo(modelIds = [], callOptions = {}) {
      const r = await http.json<Json>("/info/models", {
        ...(modelIds.length > 0 ? { query: { model_ids: [...modelIds] } } : {}),
        ...callOptions,
      });
      return ((r.models as Json[]) ?? []).map(
        (m): ModelInfo => ({
          modelPath: String(m.model_path ?? ""),
          name: String(m.name ?? ""),
          size: Number(m.size ?? 0),
          metadata: (m.metadata as Json | null) ?? {},
          loaded: Boolean(m.loaded),
          moduleId: String(m.module_id ?? ""),
          moduleMetadata: (m.module_metadata as Record<string, string> | null) ?? {},
        }),
      );
    },
    async runtimeInfo(callOptions = {}) {
      const r = await http.json<Json>("/info/version", callOptions);
      return {
        runtimeVersion: String(r.runtime_version ?? ""),
        pythonPackages: (r.python_packages as Record<string, string> | null) ?? {},
      };
    },
    close: () => http.close(),
  };
}
