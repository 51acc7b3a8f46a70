/**
 * The caikit client over gRPC: `caikit.runtime.Nlp.NlpService` and
 * `caikit.runtime.info.InfoService` through client-core's transport, the model id sent as
 * `mm-model-id` metadata on every task call (caikit-tgis.md §1.8, §2.1-2.5), results mapped to
 * the camelCase types.
 */
import {
  createGrpcClient,
  createGrpcTransport,
  type GrpcClientOptions,
} from "@servingkit/client-core";
import {
  FinishReason as FinishReasonEnum,
  type GeneratedToken as GeneratedTokenMessage,
  InfoService,
  NlpService,
  type ProducerId as ProducerIdMessage,
  type RerankScores as RerankScoresMessage,
  type Vector1D,
} from "@servingkit/proto/caikit";
import type {
  CaikitCallOptions,
  CaikitClient,
  FinishReason,
  GeneratedToken,
  ProducerId,
  RerankParameters,
  RerankScores,
  TextGenerationParameters,
} from "./caikit-types.js";

const int = (value: number | undefined) => (value === undefined ? undefined : BigInt(value));

function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** camelCase text-generation parameters → the request message's fields (int64 as bigint). */
export function grpcTextParameters(p: TextGenerationParameters = {}) {
  return definedOnly({
    maxNewTokens: int(p.maxNewTokens),
    minNewTokens: int(p.minNewTokens),
    truncateInputTokens: int(p.truncateInputTokens),
    decodingMethod: p.decodingMethod,
    topK: int(p.topK),
    topP: p.topP,
    typicalP: p.typicalP,
    temperature: p.temperature,
    repetitionPenalty: p.repetitionPenalty,
    maxTime: p.maxTime,
    exponentialDecayLengthPenalty: p.exponentialDecayLengthPenalty
      ? {
          startIndex: BigInt(p.exponentialDecayLengthPenalty.startIndex),
          decayFactor: p.exponentialDecayLengthPenalty.decayFactor,
        }
      : undefined,
    stopSequences: p.stopSequences ? [...p.stopSequences] : undefined,
    seed: p.seed === undefined ? undefined : BigInt(p.seed),
    preserveInputText: p.preserveInputText,
    inputTokens: p.inputTokens,
    generatedTokens: p.generatedTokens,
    tokenLogprobs: p.tokenLogprobs,
    tokenRanks: p.tokenRanks,
    includeStopSequence: p.includeStopSequence,
  });
}

const tokens = (list: readonly GeneratedTokenMessage[]): GeneratedToken[] =>
  list.map((t) => ({ text: t.text, logprob: t.logprob, rank: Number(t.rank) }));

const reason = (value: FinishReasonEnum) => FinishReasonEnum[value] as FinishReason;

const optionalProducer = (p: ProducerIdMessage | undefined): { producerId?: ProducerId } =>
  p ? { producerId: { name: p.name, version: p.version } } : {};

const values = (v: Vector1D | undefined): number[] =>
  v?.data.case === undefined ? [] : [...v.data.value.values];

const scoresOf = (r: RerankScoresMessage | undefined): RerankScores => ({
  query: r?.query ?? "",
  scores: (r?.scores ?? []).map((s) => ({
    document: s.document ?? null,
    index: Number(s.index),
    score: s.score,
    text: s.text,
  })),
});

function rerankFields(p: RerankParameters = {}) {
  return definedOnly({
    topN: int(p.topN),
    truncateInputTokens: int(p.truncateInputTokens),
    returnDocuments: p.returnDocuments,
    returnText: p.returnText,
  });
}

/** A caikit client over gRPC (caikit's port 8085, or the platform's `https://…:443` route). */
export function createCaikitGrpcClient(options: GrpcClientOptions): CaikitClient {
  const transport = createGrpcTransport(options);
  const nlp = createGrpcClient(NlpService, transport);
  const info = createGrpcClient(InfoService, transport);
  const withModel = (modelId: string, o: CaikitCallOptions = {}) => ({
    ...o,
    headers: { "mm-model-id": modelId },
  });
  return {
    transport: "grpc",
    async generateText(modelId, text, parameters, callOptions) {
      const r = await nlp.textGenerationTaskPredict(
        { text, ...grpcTextParameters(parameters) },
        withModel(modelId, callOptions),
      );
      return {
        generatedText: r.generatedText,
        generatedTokens: Number(r.generatedTokens),
        finishReason: reason(r.finishReason),
        ...optionalProducer(r.producerId),
        inputTokenCount: Number(r.inputTokenCount),
        seed: r.seed,
        tokens: tokens(r.tokens),
        inputTokens: tokens(r.inputTokens),
      };
    },
    async *generateTextStream(modelId, text, parameters, callOptions) {
      for await (const r of nlp.serverStreamingTextGenerationTaskPredict(
        { text, ...grpcTextParameters(parameters) },
        withModel(modelId, callOptions),
      )) {
        yield {
          generatedText: r.generatedText,
          tokens: tokens(r.tokens),
          ...(r.details
            ? {
                details: {
                  finishReason: reason(r.details.finishReason),
                  generatedTokens: r.details.generatedTokens,
                  seed: r.details.seed,
                  inputTokenCount: Number(r.details.inputTokenCount),
                },
              }
            : {}),
          inputTokens: tokens(r.inputTokens),
        };
      }
    },
    async classifyText(modelId, text, callOptions) {
      const r = await nlp.textClassificationTaskPredict({ text }, withModel(modelId, callOptions));
      return r.results.map((c) => ({ label: c.label, score: c.score }));
    },
    async classifyTokens(modelId, text, parameters = {}, callOptions) {
      const r = await nlp.tokenClassificationTaskPredict(
        { text, ...definedOnly({ threshold: parameters.threshold }) },
        withModel(modelId, callOptions),
      );
      // proto3 zero values stand for unset fields.
      return r.results.map((t) => ({
        start: Number(t.start),
        end: Number(t.end),
        word: t.word,
        entity: t.entity,
        ...(t.entityGroup === "" ? {} : { entityGroup: t.entityGroup }),
        score: t.score,
        ...(t.tokenCount === 0n ? {} : { tokenCount: Number(t.tokenCount) }),
      }));
    },
    async tokenize(modelId, text, callOptions) {
      const r = await nlp.tokenizationTaskPredict({ text }, withModel(modelId, callOptions));
      return {
        results: r.results.map((t) => ({
          start: Number(t.start),
          end: Number(t.end),
          text: t.text,
        })),
        tokenCount: Number(r.tokenCount),
      };
    },
    async embedding(modelId, text, parameters = {}, callOptions) {
      const r = await nlp.embeddingTaskPredict(
        { text, ...definedOnly({ truncateInputTokens: int(parameters.truncateInputTokens) }) },
        withModel(modelId, callOptions),
      );
      return {
        vector: values(r.result),
        ...optionalProducer(r.producerId),
        inputTokenCount: Number(r.inputTokenCount),
      };
    },
    async embeddings(modelId, texts, parameters = {}, callOptions) {
      const r = await nlp.embeddingTasksPredict(
        {
          texts: [...texts],
          ...definedOnly({ truncateInputTokens: int(parameters.truncateInputTokens) }),
        },
        withModel(modelId, callOptions),
      );
      return {
        vectors: (r.results?.vectors ?? []).map(values),
        ...optionalProducer(r.producerId),
        inputTokenCount: Number(r.inputTokenCount),
      };
    },
    async sentenceSimilarity(modelId, sourceSentence, sentences, parameters = {}, callOptions) {
      const r = await nlp.sentenceSimilarityTaskPredict(
        {
          sourceSentence,
          sentences: [...sentences],
          ...definedOnly({ truncateInputTokens: int(parameters.truncateInputTokens) }),
        },
        withModel(modelId, callOptions),
      );
      return {
        scores: r.result?.scores ?? [],
        ...optionalProducer(r.producerId),
        inputTokenCount: Number(r.inputTokenCount),
      };
    },
    async sentenceSimilarities(modelId, sourceSentences, sentences, parameters = {}, callOptions) {
      const r = await nlp.sentenceSimilarityTasksPredict(
        {
          sourceSentences: [...sourceSentences],
          sentences: [...sentences],
          ...definedOnly({ truncateInputTokens: int(parameters.truncateInputTokens) }),
        },
        withModel(modelId, callOptions),
      );
      return {
        results: r.results.map((x) => x.scores),
        ...optionalProducer(r.producerId),
        inputTokenCount: Number(r.inputTokenCount),
      };
    },
    async rerank(modelId, query, documents, parameters = {}, callOptions) {
      const r = await nlp.rerankTaskPredict(
        {
          query,
          documents: documents.map((d) => ({ ...d }) as Record<string, never>),
          ...rerankFields(parameters),
          ...definedOnly({ returnQuery: parameters.returnQuery }),
        },
        withModel(modelId, callOptions),
      );
      return {
        result: scoresOf(r.result),
        ...optionalProducer(r.producerId),
        inputTokenCount: Number(r.inputTokenCount),
      };
    },
    async rerankMany(modelId, queries, documents, parameters = {}, callOptions) {
      const r = await nlp.rerankTasksPredict(
        {
          queries: [...queries],
          documents: documents.map((d) => ({ ...d }) as Record<string, never>),
          ...rerankFields(parameters),
          ...definedOnly({ returnQueries: parameters.returnQuery }),
        },
        withModel(modelId, callOptions),
      );
      return {
        results: r.results.map(scoresOf),
        ...optionalProducer(r.producerId),
        inputTokenCount: Number(r.inputTokenCount),
      };
    },
    async modelsInfo(modelIds = [], callOptions = {}) {
      const r = await info.getModelsInfo({ modelIds: [...modelIds] }, callOptions);
      return r.models.map((m) => ({
        modelPath: m.modelPath,
        name: m.name,
        size: Number(m.size),
        metadata: m.metadata ?? {},
        loaded: m.loaded,
        moduleId: m.moduleId,
        moduleMetadata: m.moduleMetadata,
      }));
    },
    async runtimeInfo(callOptions = {}) {
      const r = await info.getRuntimeInfo({}, callOptions);
      return { runtimeVersion: r.runtimeVersion, pythonPackages: r.pythonPackages };
    },
    close: async () => undefined,
  };
}
