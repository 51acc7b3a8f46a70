/**
 * `@servingkit/vllm`: a typed client of vLLM's OpenAI-compatible server (the routes the `openai`
 * SDK lacks, and completions/chat with vLLM's extra parameters), and helpers that compose with
 * the `openai` SDK (vLLM's extra request fields typed, reasoning read across releases). The mock runtime is the
 * `./mock` subpath; this entry never loads it.
 *
 * @packageDocumentation
 */

/** The error every client method throws (client-core's), re-exported for `instanceof` checks. */
export { ServingkitError } from "@servingkit/client-core";
export { createVllmClient, type VllmCallOptions, type VllmClient } from "./client.js";
export { type MetricSample, type MetricType, metricValue, parseMetrics } from "./metrics-text.js";
export {
  type ChatChunkLike,
  type ReasoningDelta,
  reasoningDeltas,
  reasoningOf,
} from "./reasoning.js";
export {
  type SpecDecodeStats,
  specDecodeDelta,
  specDecodeMetricNames,
  specDecodeStats,
} from "./spec-decode-metrics.js";
export type {
  ChatBatchRequest,
  ChatBatchResponse,
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatLogprobs,
  ChatMessageParam,
  ClassifyRequest,
  ClassifyResponse,
  Completion,
  CompletionChunk,
  CompletionLogprobs,
  CompletionRequest,
  FinishFields,
  GenerationParams,
  ModelCard,
  PoolerSwitches,
  PoolingInput,
  PoolingRequest,
  PoolingResponse,
  PoolingUsage,
  ReasoningFields,
  RerankDocument,
  RerankRequest,
  RerankResponse,
  ScoreRequest,
  ScoreResponse,
  StreamOptions,
  TokenizeRequest,
  TokenizeResponse,
  Usage,
  VllmChatExtras,
  VllmSamplingExtras,
  VllmStructuredOutputs,
} from "./types.js";
