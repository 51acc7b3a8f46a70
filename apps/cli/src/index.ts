/**
 * `@servingkit/cli`: the `servingkit` command line as a library, for tests and for tools that
 * embed it. The executable is `bin.js`.
 *
 * @packageDocumentation
 */
export { type CliIo, exitCodes, type TextSink, UsageError } from "./cli-io.js";
export type { Command } from "./command.js";
export { commands } from "./command-table.js";
export { allTargets, type MockPlan, type MockTarget, parseMockArgs } from "./commands/mock-args.js";
export { endpointTable, readyLine } from "./endpoint-table.js";
export { cliVersion, main } from "./main.js";
