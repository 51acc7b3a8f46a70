/**
 * `@servingkit/mock-core/host`: the runtime-neutral host alone — `startMock` / `buildMock`, the
 * plugin contract and context, REST route tables, gRPC hosting, platform authorization, faults,
 * readiness, clocks, TLS and the runtime catalog. It loads no text engine, tokenizer, chat template
 * or GPU model, so a runtime that needs none of them (KServe v2, the bench servers' hosts) starts
 * without their module source in its heap. `@servingkit/mock-core` (".") still exports all of it.
 *
 * @packageDocumentation
 */

export { type Clock, type ClockTimer, ManualClock, realClock } from "./clock.js";
export { latencyOptions, streamIntervalOption } from "./engine/latency-options.js";
export { fastapiOperationId, fastapiTitle } from "./fastapi-names.js";
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
export { swaggerUiHtml } from "./swagger-ui.js";
export { selfSignedCertificate, type TlsMaterial } from "./tls.js";
