/**
 * `@servingkit/mock-core/engine`: the text engines without a modelled GPU — the simple engine, its
 * generation events, model specs and model folders, tokenizers, logprobs, embeddings and the seeded
 * random source. It loads `@huggingface/tokenizers` but neither the GPU engine (`/gpu`) nor jinja
 * (`/chat-template`), so Triton's `vllm_model` and Caikit's embeddings pay for no more than they use.
 * `@servingkit/mock-core` (".") still exports all of it.
 *
 * @packageDocumentation
 */

export { cosineSimilarity, embedText } from "./engine/embedding.js";
export {
  type DrainedRun,
  type FinishEvent,
  type FinishReason,
  type GenerationEvent,
  type GenerationRequest,
  GenerationRequestError,
  type ReadySteps,
  readySteps,
  streamIntervalSends,
  type TextEngine,
  type TokenAlternative,
  type TokenEvent,
  withStreamInterval,
} from "./engine/generation.js";
export {
  type PromptTokenLogprobs,
  promptLogprobs,
  type TokenLogprobs,
  tokenLogprobs,
} from "./engine/logprobs.js";
export {
  defaultModelDir,
  defaultModelId,
  defaultModelSpec,
  fallbackMaxModelLen,
  loadModelDir,
  ModelLoadError,
  type ModelSpec,
  maxModelLenOf,
  modelSpecFor,
} from "./engine/model-spec.js";
export { seededRandom } from "./engine/random.js";
export { createSimpleEngine, type SimpleEngineOptions } from "./engine/simple-engine.js";
export {
  createTokenizer,
  IncrementalDecoder,
  type Tokenizer,
  type TokenizerFiles,
} from "./engine/tokenizer.js";
