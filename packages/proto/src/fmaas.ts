/**
 * `fmaas`: the TGIS gRPC API (`fmaas.GenerationService`: Generate, GenerateStream, Tokenize,
 * ModelInfo) that the TGIS Standalone runtime serves on port 8033 and Caikit TGIS calls. Includes
 * the additions of the newer copies of generation.proto (`adapter_id` and the guided-decoding
 * oneof of `DecodingParameters`); TGIS itself ignores them.
 *
 * Every message is exported as its TypeScript type and its `...Schema`; nested messages and enums
 * carry their parent's name (`TokenizeResponse_Offset`, `ModelInfoResponse_ModelKind`). The file
 * descriptor is `file_fmaas_generation`.
 *
 * @packageDocumentation
 */
export {
  type BatchedGenerationRequest,
  BatchedGenerationRequestSchema,
  type BatchedGenerationResponse,
  BatchedGenerationResponseSchema,
  type BatchedTokenizeRequest,
  BatchedTokenizeRequestSchema,
  type BatchedTokenizeResponse,
  BatchedTokenizeResponseSchema,
  DecodingMethod,
  DecodingMethodSchema,
  type DecodingParameters,
  type DecodingParameters_LengthPenalty,
  DecodingParameters_LengthPenaltySchema,
  DecodingParameters_ResponseFormat,
  DecodingParameters_ResponseFormatSchema,
  type DecodingParameters_StringChoices,
  DecodingParameters_StringChoicesSchema,
  DecodingParametersSchema,
  file_fmaas_generation,
  type GenerationRequest,
  GenerationRequestSchema,
  type GenerationResponse,
  GenerationResponseSchema,
  GenerationService,
  type ModelInfoRequest,
  ModelInfoRequestSchema,
  type ModelInfoResponse,
  ModelInfoResponse_ModelKind,
  ModelInfoResponse_ModelKindSchema,
  ModelInfoResponseSchema,
  type Parameters,
  ParametersSchema,
  type ResponseOptions,
  ResponseOptionsSchema,
  type SamplingParameters,
  SamplingParametersSchema,
  type SingleGenerationRequest,
  SingleGenerationRequestSchema,
  type StoppingCriteria,
  StoppingCriteriaSchema,
  StopReason,
  StopReasonSchema,
  type TokenInfo,
  type TokenInfo_TopToken,
  TokenInfo_TopTokenSchema,
  TokenInfoSchema,
  type TokenizeRequest,
  TokenizeRequestSchema,
  type TokenizeResponse,
  type TokenizeResponse_Offset,
  TokenizeResponse_OffsetSchema,
  TokenizeResponseSchema,
} from "./gen/fmaas/generation_pb.js";
