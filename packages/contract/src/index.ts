/**
 * `@servingkit/contract`: one set of contract cases run against in-process mocks and against live
 * endpoints of a cluster, with known-failing lists, a conformance table and JUnit XML.
 *
 * ```ts
 * import { formatConformanceTable, runContract, toJUnitXml } from "@servingkit/contract";
 * const report = await runContract({ mocks: [{}] }); // plus live targets from the environment
 * console.log(formatConformanceTable(report));
 * ```
 *
 * @packageDocumentation
 */

export { type CaseMatcher, compileCaseGlobs, compileCaseSelection } from "./case-glob.js";
export { contractCases } from "./cases/index.js";
export {
  buildConformanceMatrices,
  type ConformanceMatrix,
  type FormatTableOptions,
  formatConformanceTable,
  statusLabels,
  summaryLine,
} from "./conformance-table.js";
// For case authors.
export {
  type CaseContext,
  CaseSkipped,
  type ContractCase,
  caseName,
  defineCase,
  type GrpcRequest,
  type RestAnswer,
  type RestRequest,
  type TokenChoice,
} from "./contract-case.js";
export { toJUnitXml } from "./junit-xml.js";
export {
  compileKnownFailing,
  type KnownFailingEntry,
  type KnownFailingList,
  KnownFailingSyntaxError,
  parseKnownFailing,
  readKnownFailing,
} from "./known-failing.js";
export {
  type MockTargetOptions,
  type MockTargets,
  mockRuntimes,
  modelmeshRuntimes,
  startMockTargets,
} from "./mock-targets.js";
export {
  applyKnownFailing,
  type CaseResult,
  type CaseStatus,
  type ContractReport,
  caseStatuses,
  countStatuses,
  isSuccessful,
  type TargetSummary,
} from "./report.js";
// For users: run, print, write.
export { type RunContractOptions, runContract, runOne } from "./run-contract.js";
// Targets: environment, files, mocks.
export {
  type AuthMode,
  type Deployment,
  deployments,
  grpcUsesTls,
  type Target,
  type TargetFeature,
  type TargetTls,
  type TransportKind,
  targetFeatures,
  transportAddress,
  transportUsesTls,
} from "./target.js";
export {
  resolveTargetConfig,
  type TargetConfig,
  type TargetConfigContext,
  TargetConfigError,
} from "./target-config.js";
export {
  type LoadTargetsOptions,
  loadTargets,
  runtimeVariablePrefix,
  targetSelectVariable,
  targetsFileVariable,
  unconfiguredTarget,
} from "./target-env.js";
export { parseTargetsFile, readTargetsFile } from "./target-file.js";
