/**
 * Caikit's gRPC API as the Caikit TGIS and Caikit Standalone runtimes serve it on port 8085:
 * `caikit.runtime.Nlp.NlpService` (text generation, tokenization, embeddings, sentence
 * similarity, rerank, classification; the model is picked by the `mm-model-id` metadata),
 * `caikit.runtime.info.InfoService` (GetRuntimeInfo, GetModelsInfo), and the result messages of
 * `caikit_data_model.nlp`, `caikit_data_model.caikit_nlp`, `caikit_data_model.common` and
 * `caikit_data_model.common.runtime`. Message names are unique across these packages, so they
 * are exported flat.
 *
 * Every message is exported as its TypeScript type and its `...Schema`. Documents and metadata
 * are `google.protobuf.Struct` (`StructSchema`, `JsonObject` from `@bufbuild/protobuf/wkt`).
 * The file descriptors are the `file_caikit_*` and `file_caikit_data_model_*` exports.
 *
 * @packageDocumentation
 */

export {
  file_caikit_runtime_info_info_service,
  InfoService,
} from "./gen/caikit/runtime/info/info_service_pb.js";
export {
  type BidiStreamingTokenClassificationTaskRequest,
  BidiStreamingTokenClassificationTaskRequestSchema,
  type EmbeddingTaskRequest,
  EmbeddingTaskRequestSchema,
  type EmbeddingTasksRequest,
  EmbeddingTasksRequestSchema,
  file_caikit_runtime_Nlp_nlp_service,
  NlpService,
  type RerankTaskRequest,
  RerankTaskRequestSchema,
  type RerankTasksRequest,
  RerankTasksRequestSchema,
  type SentenceSimilarityTaskRequest,
  SentenceSimilarityTaskRequestSchema,
  type SentenceSimilarityTasksRequest,
  SentenceSimilarityTasksRequestSchema,
  type ServerStreamingTextGenerationTaskRequest,
  ServerStreamingTextGenerationTaskRequestSchema,
  type TextClassificationTaskRequest,
  TextClassificationTaskRequestSchema,
  type TextGenerationTaskRequest,
  TextGenerationTaskRequestSchema,
  type TokenClassificationTaskRequest,
  TokenClassificationTaskRequestSchema,
  type TokenizationTaskRequest,
  TokenizationTaskRequestSchema,
} from "./gen/caikit/runtime/Nlp/nlp_service_pb.js";
export {
  type EmbeddingResult,
  EmbeddingResultSchema,
  type EmbeddingResults,
  EmbeddingResultsSchema,
  type ExponentialDecayLengthPenalty,
  ExponentialDecayLengthPenaltySchema,
  file_caikit_data_model_caikit_nlp_caikit_nlp,
  type RerankResult,
  RerankResultSchema,
  type RerankResults,
  RerankResultsSchema,
  type RerankScore,
  RerankScoreSchema,
  type RerankScores,
  RerankScoresSchema,
  type SentenceSimilarityResult,
  SentenceSimilarityResultSchema,
  type SentenceSimilarityResults,
  SentenceSimilarityResultsSchema,
  type SentenceSimilarityScores,
  SentenceSimilarityScoresSchema,
} from "./gen/caikit_data_model/caikit_nlp/caikit_nlp_pb.js";
export {
  file_caikit_data_model_common_common,
  type ListOfVector1D,
  ListOfVector1DSchema,
  type NpFloat32Sequence,
  NpFloat32SequenceSchema,
  type NpFloat64Sequence,
  NpFloat64SequenceSchema,
  type ProducerId,
  ProducerIdSchema,
  type PyFloatSequence,
  PyFloatSequenceSchema,
  type Vector1D,
  Vector1DSchema,
} from "./gen/caikit_data_model/common/common_pb.js";
export {
  file_caikit_data_model_common_runtime_runtime,
  type ModelInfo,
  type ModelInfoRequest,
  ModelInfoRequestSchema,
  type ModelInfoResponse,
  ModelInfoResponseSchema,
  ModelInfoSchema,
  type RuntimeInfoRequest,
  RuntimeInfoRequestSchema,
  type RuntimeInfoResponse,
  RuntimeInfoResponseSchema,
} from "./gen/caikit_data_model/common/runtime/runtime_pb.js";
export {
  type ClassificationResult,
  ClassificationResultSchema,
  type ClassificationResults,
  ClassificationResultsSchema,
  FinishReason,
  FinishReasonSchema,
  file_caikit_data_model_nlp_nlp,
  type GeneratedTextResult,
  GeneratedTextResultSchema,
  type GeneratedTextStreamResult,
  GeneratedTextStreamResultSchema,
  type GeneratedToken,
  GeneratedTokenSchema,
  type Token,
  type TokenClassificationResult,
  TokenClassificationResultSchema,
  type TokenClassificationResults,
  TokenClassificationResultsSchema,
  type TokenClassificationStreamResult,
  TokenClassificationStreamResultSchema,
  type TokenizationResults,
  TokenizationResultsSchema,
  type TokenizationStreamResult,
  TokenizationStreamResultSchema,
  TokenSchema,
  type TokenStreamDetails,
  TokenStreamDetailsSchema,
} from "./gen/caikit_data_model/nlp/nlp_pb.js";
