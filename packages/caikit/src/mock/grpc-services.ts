/**
 * Caikit's gRPC surface: `caikit.runtime.Nlp.NlpService` (Caikit TGIS: text generation unary
 * and server streaming, tokenization; Caikit Standalone: the embedding, sentence-similarity and
 * rerank tasks) with the model id from `mm-model-id` metadata, and
 * `caikit.runtime.info.InfoService` (caikit-tgis.md §2.1-2.6). The host adds health and
 * reflection. A model whose module lacks the RPC's task answers caikit's INVALID_ARGUMENT
 * "Model class <class '...'> does not support <Rpc>".
 */
import { create } from "@bufbuild/protobuf";
import type { ConnectRouter, HandlerContext } from "@connectrpc/connect";
import {
  ClassificationResultsSchema,
  EmbeddingResultSchema,
  EmbeddingResultsSchema,
  FinishReason,
  GeneratedTextResultSchema,
  GeneratedTextStreamResultSchema,
  InfoService,
  ModelInfoResponseSchema,
  NlpService,
  RerankResultSchema,
  RerankResultsSchema,
  RuntimeInfoResponseSchema,
  SentenceSimilarityResultSchema,
  SentenceSimilarityResultsSchema,
  type TextGenerationTaskRequest,
  TokenClassificationResultsSchema,
  TokenClassificationStreamResultSchema,
  TokenizationResultsSchema,
} from "@servingkit/proto/caikit";
import { asCaikitError, missingGrpcModelId, unsupportedRpc } from "./caikit-error.js";
import {
  textClassification,
  tokenClassification,
  tokenClassificationStream,
} from "./classification-tasks.js";
import {
  type EmbeddingModel,
  embeddingTask,
  embeddingTasks,
  type RerankOptions,
  rerank,
  rerankTasks,
  sentenceSimilarity,
  sentenceSimilarityTasks,
  tokenizationTask,
  type VectorJson,
} from "./embedding-tasks.js";
import type { LocalTextGeneration } from "./local-text-generation.js";
import {
  type CaikitModule,
  type CaikitModuleKind,
  type ModelRegistry,
  runtimeInfo,
} from "./model-registry.js";
import type { PyFloat } from "./python-json.js";
import type { CaikitTextGeneration, GeneratedToken } from "./text-generation.js";
import type { TextGenerationArgs } from "./text-generation-args.js";
import { textGenerationDefaults } from "./text-generation-args.js";

/** caikit's `MODEL_MESH_MODEL_ID_KEY`. */
export const modelIdMetadataKey = "mm-model-id";

/**
 * The module of the request's model (id from metadata, resolved by the registry), checked
 * against the kinds of module that serve the RPC's task; throws caikit's errors (missing id,
 * NOT_FOUND, "does not support").
 */
function modelOf(
  context: HandlerContext,
  registry: ModelRegistry,
  kinds: readonly CaikitModuleKind[],
  rpcName: string,
): CaikitModule {
  const id = context.requestHeader.get(modelIdMetadataKey);
  if (id === null || id === "") throw missingGrpcModelId().toConnectError();
  let module: CaikitModule;
  try {
    module = registry.use(id);
  } catch (error) {
    throw asCaikitError(error).toConnectError();
  }
  if (!kinds.includes(module.kind)) {
    throw unsupportedRpc(module.pythonClass, rpcName).toConnectError();
  }
  return module;
}

/** A request's fields as module arguments: unset optionals → the module's defaults/None. */
export function argsFromRequest(request: TextGenerationTaskRequest): TextGenerationArgs {
  const d = textGenerationDefaults;
  const num = (value: bigint | number | undefined) => (value === undefined ? null : Number(value));
  const penalty = request.exponentialDecayLengthPenalty;
  return {
    text: request.text,
    max_new_tokens: num(request.maxNewTokens) ?? d.max_new_tokens,
    min_new_tokens: num(request.minNewTokens) ?? d.min_new_tokens,
    truncate_input_tokens: num(request.truncateInputTokens) ?? d.truncate_input_tokens,
    decoding_method: request.decodingMethod ?? d.decoding_method,
    top_k: num(request.topK),
    top_p: num(request.topP),
    typical_p: num(request.typicalP),
    temperature: num(request.temperature),
    repetition_penalty: num(request.repetitionPenalty),
    max_time: num(request.maxTime),
    exponential_decay_length_penalty: penalty
      ? { start_index: Number(penalty.startIndex), decay_factor: penalty.decayFactor }
      : null,
    stop_sequences: request.stopSequences.length > 0 ? request.stopSequences : null,
    seed: request.seed ?? null,
    preserve_input_text: request.preserveInputText ?? d.preserve_input_text,
    input_tokens: request.inputTokens ?? d.input_tokens,
    generated_tokens: request.generatedTokens ?? d.generated_tokens,
    token_logprobs: request.tokenLogprobs ?? d.token_logprobs,
    token_ranks: request.tokenRanks ?? d.token_ranks,
    include_stop_sequence: request.includeStopSequence ?? null,
  };
}

const protoTokens = (tokens: readonly GeneratedToken[]) =>
  tokens.map((t) => ({ text: t.text, logprob: t.logprob.value, rank: BigInt(t.rank) }));

const reason = (name: string): FinishReason =>
  FinishReason[name as keyof typeof FinishReason] ?? FinishReason.NOT_FINISHED;

const floats = (values: readonly PyFloat[]) => values.map((v) => v.value);

/** Vector1D with the float32 branch, as sentence-transformers embeddings are (§2.4). */
const protoVector = (v: VectorJson) => ({
  data: { case: "dataNpfloat32sequence" as const, value: { values: floats(v.data.values) } },
});

type RerankScoresJson = ReturnType<typeof rerank>["result"];

const protoRerankScores = (r: RerankScoresJson) => ({
  query: r.query ?? "",
  scores: r.scores.map((s) => ({
    ...(s.document === null ? {} : { document: s.document as Record<string, never> }),
    index: BigInt(s.index),
    score: s.score.value,
    text: s.text ?? "",
  })),
});

/** Runs a task with the model from metadata, caikit's errors as gRPC statuses. */
function task<T>(
  context: HandlerContext,
  registry: ModelRegistry,
  kinds: readonly CaikitModuleKind[],
  rpcName: string,
  run: (module: CaikitModule) => T,
): T {
  const module = modelOf(context, registry, kinds, rpcName);
  try {
    return run(module);
  } catch (error) {
    throw asCaikitError(error).toConnectError();
  }
}

/** A task service this runtime lacks, though a model of its kind was found: a mock bug. */
function need<T>(service: T | undefined): T {
  if (service === undefined) throw new Error("no service for this model's module");
  return service;
}

const embeddingKind: readonly CaikitModuleKind[] = ["embedding"];

const num = (value: bigint | undefined, fallback: number) =>
  value === undefined ? fallback : Number(value);

function rerankOptions(
  request: {
    topN?: bigint | undefined;
    truncateInputTokens?: bigint | undefined;
    returnDocuments?: boolean | undefined;
    returnText?: boolean | undefined;
  },
  returnQuery: boolean | undefined,
): RerankOptions {
  return {
    top_n: request.topN === undefined ? null : Number(request.topN),
    truncate_input_tokens: num(request.truncateInputTokens, 0),
    return_documents: request.returnDocuments ?? true,
    return_query: returnQuery ?? true,
    return_text: request.returnText ?? true,
  };
}

/** The embedding RPCs of NlpService over the model `modelOf` gives. */
function embeddingRpcs(registry: ModelRegistry, modelOf: () => EmbeddingModel) {
  return {
    embeddingTaskPredict(
      request: { text: string; truncateInputTokens?: bigint },
      context: HandlerContext,
    ) {
      return task(context, registry, embeddingKind, "EmbeddingTaskPredict", () => {
        const model = modelOf();
        const r = embeddingTask(model, request.text, num(request.truncateInputTokens, 0));
        return create(EmbeddingResultSchema, {
          result: protoVector(r.result),
          producerId: r.producer_id,
          inputTokenCount: BigInt(r.input_token_count),
        });
      });
    },
    embeddingTasksPredict(
      request: { texts: string[]; truncateInputTokens?: bigint },
      context: HandlerContext,
    ) {
      return task(context, registry, embeddingKind, "EmbeddingTasksPredict", () => {
        const model = modelOf();
        const r = embeddingTasks(model, request.texts, num(request.truncateInputTokens, 0));
        return create(EmbeddingResultsSchema, {
          results: { vectors: r.results.vectors.map(protoVector) },
          producerId: r.producer_id,
          inputTokenCount: BigInt(r.input_token_count),
        });
      });
    },
    sentenceSimilarityTaskPredict(
      request: { sourceSentence: string; sentences: string[]; truncateInputTokens?: bigint },
      context: HandlerContext,
    ) {
      return task(context, registry, embeddingKind, "SentenceSimilarityTaskPredict", () => {
        const model = modelOf();
        const r = sentenceSimilarity(
          model,
          request.sourceSentence,
          request.sentences,
          num(request.truncateInputTokens, 0),
        );
        return create(SentenceSimilarityResultSchema, {
          result: { scores: floats(r.result.scores) },
          producerId: r.producer_id,
          inputTokenCount: BigInt(r.input_token_count),
        });
      });
    },
    sentenceSimilarityTasksPredict(
      request: { sourceSentences: string[]; sentences: string[]; truncateInputTokens?: bigint },
      context: HandlerContext,
    ) {
      return task(context, registry, embeddingKind, "SentenceSimilarityTasksPredict", () => {
        const model = modelOf();
        const r = sentenceSimilarityTasks(
          model,
          request.sourceSentences,
          request.sentences,
          num(request.truncateInputTokens, 0),
        );
        return create(SentenceSimilarityResultsSchema, {
          results: r.results.map((x) => ({ scores: floats(x.scores) })),
          producerId: r.producer_id,
          inputTokenCount: BigInt(r.input_token_count),
        });
      });
    },
    rerankTaskPredict(
      request: Parameters<typeof rerankOptions>[0] & {
        query: string;
        documents: Record<string, unknown>[];
        returnQuery?: boolean;
      },
      context: HandlerContext,
    ) {
      return task(context, registry, embeddingKind, "RerankTaskPredict", () => {
        const model = modelOf();
        const r = rerank(
          model,
          request.query,
          request.documents,
          rerankOptions(request, request.returnQuery),
        );
        return create(RerankResultSchema, {
          result: protoRerankScores(r.result),
          producerId: r.producer_id,
          inputTokenCount: BigInt(r.input_token_count),
        });
      });
    },
    rerankTasksPredict(
      request: Parameters<typeof rerankOptions>[0] & {
        queries: string[];
        documents: Record<string, unknown>[];
        returnQueries?: boolean;
      },
      context: HandlerContext,
    ) {
      return task(context, registry, embeddingKind, "RerankTasksPredict", () => {
        const model = modelOf();
        const r = rerankTasks(
          model,
          request.queries,
          request.documents,
          rerankOptions(request, request.returnQueries),
        );
        return create(RerankResultsSchema, {
          results: r.results.map(protoRerankScores),
          producerId: r.producer_id,
          inputTokenCount: BigInt(r.input_token_count),
        });
      });
    },
  };
}

/**
 * Registers NlpService and InfoService on the router. Every task RPC exists on both runtimes
 * (caikit-tgis.md §2.1); the model's module decides whether it serves it.
 */
export function registerCaikitGrpc(
  router: ConnectRouter,
  options: {
    registry: ModelRegistry;
    textGeneration?: CaikitTextGeneration;
    localTextGeneration?: LocalTextGeneration;
    embedding?: EmbeddingModel;
  },
): void {
  const { registry, textGeneration, embedding } = options;
  const generation = () => need(textGeneration);
  router.service(NlpService, {
    ...embeddingRpcs(registry, () => need(embedding)),
    async textGenerationTaskPredict(request, context) {
      const module = modelOf(
        context,
        registry,
        ["text-generation", "local-text-generation"],
        "TextGenerationTaskPredict",
      );
      try {
        const args = argsFromRequest(request);
        const r =
          module.kind === "local-text-generation"
            ? await need(options.localTextGeneration).generate(
                // Unset, preserve_input_text takes the local module's default (true).
                { ...args, preserve_input_text: request.preserveInputText ?? true },
                context.signal,
              )
            : await generation().generate(args, context.signal);
        return create(GeneratedTextResultSchema, {
          generatedText: r.generated_text,
          generatedTokens: BigInt(r.generated_tokens),
          finishReason: reason(r.finish_reason),
          producerId: r.producer_id,
          inputTokenCount: BigInt(r.input_token_count),
          seed: r.seed ?? 0n,
          tokens: protoTokens(r.tokens ?? []),
          inputTokens: protoTokens(r.input_tokens ?? []),
        });
      } catch (error) {
        throw asCaikitError(error).toConnectError();
      }
    },
    async *serverStreamingTextGenerationTaskPredict(request, context) {
      modelOf(context, registry, ["text-generation"], "ServerStreamingTextGenerationTaskPredict");
      try {
        for await (const r of generation().generateStream(
          argsFromRequest(request as unknown as TextGenerationTaskRequest),
          context.signal,
        )) {
          yield create(GeneratedTextStreamResultSchema, {
            generatedText: r.generated_text,
            tokens: protoTokens(r.tokens),
            details: {
              finishReason: reason(r.details.finish_reason),
              generatedTokens: r.details.generated_tokens,
              seed: r.details.seed,
              inputTokenCount: BigInt(r.details.input_token_count),
            },
            inputTokens: protoTokens(r.input_tokens),
          });
        }
      } catch (error) {
        throw asCaikitError(error).toConnectError();
      }
    },
    tokenizationTaskPredict(request, context) {
      // Both TextGenerationTGIS (count only) and EmbeddingModule (spans) tokenize.
      return task(
        context,
        registry,
        ["text-generation", "embedding"],
        "TokenizationTaskPredict",
        (module) => {
          if (module.kind !== "embedding") {
            const r = generation().tokenize(request.text);
            return create(TokenizationResultsSchema, { tokenCount: BigInt(r.token_count) });
          }
          const r = tokenizationTask(need(embedding), request.text);
          return create(TokenizationResultsSchema, {
            results: r.results.map((t) => ({
              start: BigInt(t.start),
              end: BigInt(t.end),
              text: t.text,
            })),
            tokenCount: BigInt(r.token_count),
          });
        },
      );
    },
    textClassificationTaskPredict(request, context) {
      return task(context, registry, ["text-classification"], "TextClassificationTaskPredict", () =>
        create(ClassificationResultsSchema, {
          results: textClassification(request.text).results.map((r) => ({
            label: r.label,
            score: r.score.value,
          })),
        }),
      );
    },
    async *bidiStreamingTokenClassificationTaskPredict(requests, context) {
      modelOf(
        context,
        registry,
        ["token-classification"],
        "BidiStreamingTokenClassificationTaskPredict",
      );
      // caikit reads the non-streaming parameters (threshold) off the first message.
      let threshold: number | null = null;
      let first = true;
      async function* texts(): AsyncGenerator<string> {
        for await (const request of requests) {
          if (first) threshold = request.threshold ?? null;
          first = false;
          yield request.textStream;
        }
      }
      const chunks = texts();
      // The threshold is read once the first message is in.
      const head = await chunks.next();
      async function* all(): AsyncGenerator<string> {
        if (!head.done) yield head.value;
        yield* chunks;
      }
      try {
        for await (const r of tokenClassificationStream(all(), threshold)) {
          yield create(TokenClassificationStreamResultSchema, {
            results: r.results.map((t) => ({
              start: BigInt(t.start),
              end: BigInt(t.end),
              word: t.word,
              entity: t.entity,
              score: t.score.value,
            })),
            processedIndex: BigInt(r.processed_index),
          });
        }
      } catch (error) {
        throw asCaikitError(error).toConnectError();
      }
    },
    tokenClassificationTaskPredict(request, context) {
      return task(
        context,
        registry,
        ["token-classification"],
        "TokenClassificationTaskPredict",
        () =>
          create(TokenClassificationResultsSchema, {
            results: tokenClassification(request.text, request.threshold ?? null).results.map(
              (r) => ({
                start: BigInt(r.start),
                end: BigInt(r.end),
                word: r.word,
                entity: r.entity,
                score: r.score.value,
              }),
            ),
          }),
      );
    },
  });
  router.service(InfoService, {
    getRuntimeInfo() {
      return create(RuntimeInfoResponseSchema, {
        runtimeVersion: runtimeInfo.runtime_version,
        pythonPackages: { ...runtimeInfo.python_packages },
      });
    },
    getModelsInfo(request) {
      try {
        const models = registry.info(request.modelIds).map((m) => ({
          modelPath: m.model_path,
          name: m.name,
          size: BigInt(m.size),
          metadata: m.metadata,
          moduleId: m.module_id,
          moduleMetadata: { ...m.module_metadata },
          loaded: m.loaded,
        }));
        return create(ModelInfoResponseSchema, { models });
      } catch (error) {
        throw asCaikitError(error).toConnectError();
      }
    },
  });
}
