/**
 * `@servingkit/mock-core`: the runtime-neutral host of the servingkit mock runtimes. It serves a
 * runtime's REST routes (fastify) and gRPC services (connect on `node:http2`) from per-runtime
 * plugins, with the platform's behaviours in front: bearer-token authorization as Authorino or
 * kube-rbac-proxy answers it, TLS, fault injection, readiness and slow start, gRPC health and
 * reflection, a pino request log and graceful shutdown.
 *
 * Users start mocks with `startMock` / `buildMock`; plugin authors implement `MockPlugin` and use
 * `PluginContext`, `cutStream`, `sendCanned` and the status tables.
 *
 * @packageDocumentation
 */

export { type Clock, type ClockTimer, ManualClock, realClock } from "./clock.js";
// --- engine: tokenizers, chat templates, text generation, embeddings (src/engine) ---
export {
  type ChatMessage,
  ChatTemplateError,
  type ChatTemplateOptions,
  incompatibleContinueMessage,
  noChatTemplateMessage,
  renderChatTemplate,
} from "./engine/chat-template.js";
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
  defaultGpuModelProfile,
  EngineConfigError,
  type GpuEngineContext,
  type GpuEngineSettings,
  gpuEngineOptions,
  readGpuEngineSettings,
  readSpeculativeConfig,
  type SpeculativeSettings,
  tgisGpuEngineOptions,
} from "./engine/gpu-engine-settings.js";
export { createGpuTextEngine, type GpuTextEngineOptions } from "./engine/gpu-text-engine.js";
export { latencyOptions } from "./engine/latency-options.js";
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
  type CreatedTextEngine,
  createTextEngine,
  type EngineLogger,
  type EngineStartup,
  engineStartup,
  type GpuBackend,
  statsLogIntervalMs,
  type TextEngineOptions,
} from "./engine/text-engine-factory.js";
export {
  createTokenizer,
  IncrementalDecoder,
  type Tokenizer,
  type TokenizerFiles,
} from "./engine/tokenizer.js";
export { fastapiOperationId, fastapiTitle } from "./fastapi-names.js";
// --- end engine ---
export {
  cutStream,
  defaultFaultMessage,
  type FaultConfig,
  type FaultRule,
  type FaultSpec,
  FaultSyntaxError,
  faultHeader,
  formatFault,
  maxFaultDelayMs,
  parseFault,
  parseFaultRule,
  StreamCutError,
} from "./fault.js";
// The modelled GPU and vLLM V1 scheduling (issue 7): devices, models, KV capacity, step time,
// the engine core, simulate(), GpuEngine; gpu/index.ts lists them.
export * from "./gpu/index.js";
export {
  type BuiltMock,
  buildMock,
  defaultBodyLimit,
  defaultShutdownGraceMs,
  type MockEndpoints,
  type MockOptions,
  type RunningMock,
  startMock,
} from "./mock.js";
export {
  type AuthFailure,
  type AuthMode,
  authModes,
  forbiddenUser,
  grpcDenialCode,
  type PlatformAuth,
  restDenial,
} from "./platform-auth.js";
export type { BodyError, MockPlugin, PluginContext } from "./plugin.js";
export { fastApiJsonInvalid } from "./plugin.js";
export { Readiness, type ReadinessListener } from "./readiness.js";
export {
  type BodyPadding,
  BodyPool,
  type RequestBodyOptions,
  type RequestBodyParser,
  requestBodyParser,
} from "./request-body.js";
export { createRequestLogger, type LoggerOption } from "./request-log.js";
export { sendCanned } from "./rest-host.js";
export * from "./rest-route-table.js";
export {
  type CannedReply,
  type HealthRoute,
  isRuntimeName,
  type RuntimeInfo,
  type RuntimeName,
  runtimeCatalog,
  runtimeNames,
} from "./runtime-catalog.js";
export type {
  RuntimeMockModule,
  RuntimeModuleSettings,
  RuntimeOption,
  RuntimeOptionValues,
} from "./runtime-module.js";
export {
  type BaseHealthWrapper,
  runtimeBasePlugin,
  runtimePlugin,
  withholdBaseHealthRoutes,
  wrapBaseHealthRoutes,
} from "./runtime-plugins.js";
// --- structured outputs: text a json schema / regex / grammar constraint accepts (src/structured) ---
export { constrainedText, type StructuredConstraint } from "./structured/constrained-text.js";
export {
  type Grammar,
  grammarRepeatMax,
  grammarSampleCap,
  parseGrammar,
  sampleGrammar,
} from "./structured/grammar-sample.js";
export { sampleJson } from "./structured/json-sample.js";
export { isLikelyLark, larkToEbnf } from "./structured/lark-grammar.js";
export {
  type PythonJsonResult,
  pythonJsonDecodeError,
  pythonJsonLoads,
} from "./structured/python-json.js";
export {
  checkRegex,
  type RegexBackend,
  regexRepeatMax,
  regexSampleBudget,
  sampleRegex,
  type TranslatedRegex,
  translateRegex,
} from "./structured/regex-sample.js";
export { invalidStructuralTag, sampleStructuralTag } from "./structured/structural-tag.js";
export { StructuredOutputError } from "./structured/structured-output-error.js";
export { swaggerUiHtml } from "./swagger-ui.js";
export { selfSignedCertificate, type TlsMaterial } from "./tls.js";
