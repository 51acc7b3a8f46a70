/**
 * `@servingkit/vllm`: a typed client of vLLM's OpenAI-compatible server (the routes the `openai`
 * SDK lacks, and completions/chat with vLLM's extra parameters). The mock runtime is the
 * `./mock` subpath; this entry never loads it.
 *
 * @packageDocumentation
 */
export { createVllmClient, type VllmCallOptions, type VllmClient } from "./client.js";
export { type MetricSample, type MetricType, metricValue, parseMetrics } from "./metrics-text.js";
export type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatLogprobs,
  ChatMessageParam,
  Completion,
  CompletionChunk,
  CompletionLogprobs,
  CompletionRequest,
  FinishFields,
  GenerationParams,
  ModelCard,
  StreamOptions,
  TokenizeRequest,
  TokenizeResponse,
  Usage,
  VllmSamplingExtras,
} from "./types.js";
