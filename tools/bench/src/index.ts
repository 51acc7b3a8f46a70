/**
 * `@servingkit/bench` (private): the benchmark harness. Each scenario runs the same load against
 * bare-platform baselines and the servingkit mock host in one run and reports ratios, so results
 * compare across machines. `main.ts` is the command line; this barrel serves the smoke test.
 *
 * @packageDocumentation
 */

export { CaptureError, captureGrpc, captureHttp, type GrpcCapture } from "./capture.js";
export { CliError, type CliOptions, parseCliOptions, usage } from "./cli-options.js";
export {
  createGrpcHealthDriver,
  createGrpcStreamDriver,
  createGrpcUnaryDriver,
  type GrpcCallLoadOptions,
  type GrpcLoadOptions,
  grpcMetadata,
  healthCheckPath,
  openGrpcClient,
} from "./grpc-load.js";
export { type HttpAnswer, type HttpCall, httpCall } from "./http-call.js";
export {
  createHttpDriver,
  createSequentialHttpDriver,
  type HttpLoadOptions,
  type SequentialHttpLoadOptions,
} from "./http-load.js";
export { type MachineFacts, machineFacts } from "./machine.js";
export {
  addCounters,
  LatencyRecorder,
  type LoadCounters,
  type LoadDriver,
  type Measurement,
  summarize,
} from "./measurement.js";
export {
  ratios,
  renderResults,
  replaceResults,
  resultsBegin,
  resultsEnd,
} from "./results-markdown.js";
export { runtimeScenarios } from "./runtime-scenarios.js";
export {
  type CannedGrpcSpec,
  type CannedHttpSpec,
  type RuntimeMockSpec,
  type RuntimeServerSpec,
  startRuntimeServer,
  type TickerSseSpec,
} from "./runtime-servers.js";
export type { Contestant, ScenarioExtras, ScenarioSpec } from "./scenario-spec.js";
export {
  defaultLoadSettings,
  type LoadSettings,
  runScenario,
  type ScenarioName,
  type ScenarioResult,
  scenarioNames,
} from "./scenarios.js";
export { type ServerPlacement, startServerIn } from "./server-thread.js";
export {
  benchToken,
  healthPath,
  type MemorySample,
  type RunningServer,
  type ServerKind,
  type ServerSpec,
  startServer,
} from "./servers.js";
export { createSseDriver, type SseLoadOptions } from "./sse-load.js";
