/**
 * `@servingkit/bench` (private): the benchmark harness. Each scenario runs the same load against
 * bare-platform baselines and the servingkit mock host in one run and reports ratios, so results
 * compare across machines. `main.ts` is the command line; this barrel serves the smoke test.
 *
 * @packageDocumentation
 */
export { CliError, type CliOptions, parseCliOptions, usage } from "./cli-options.js";
export { createGrpcHealthDriver, type GrpcLoadOptions, healthCheckPath } from "./grpc-load.js";
export { createHttpDriver, type HttpLoadOptions } from "./http-load.js";
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
  type RunningServer,
  type ServerKind,
  startServer,
} from "./servers.js";
