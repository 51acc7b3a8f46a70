/**
 * Every `servingkit` subcommand, in the order `servingkit --help` lists them. Each command's
 * module loads when the command runs, so `servingkit mock triton` does not carry the contract
 * suite's clients or the simulator (the mock process's live heap is what V8's full
 * collections walk).
 */
import type { Command } from "./command.js";

/**
 * A command whose module is imported when it first runs. `summary` is repeated here so that
 * `servingkit --help` loads nothing; a test pins it against the loaded command's.
 */
function lazyCommand(name: string, summary: string, load: () => Promise<Command>): Command {
  return {
    name,
    summary,
    async run(args, io) {
      return (await load()).run(args, io);
    },
  };
}

/**
 * The command table: `mock` (start mock runtimes), `contract` (run the contract suite against
 * mocks or a live endpoint) and `simulate` (a serving benchmark of a modelled GPU in virtual
 * time). A new command is a {@link Command} in `commands/<name>.ts`, listed here.
 */
export const commands: readonly Command[] = [
  lazyCommand(
    "mock",
    "start a mock runtime (or all of them) and serve until stopped",
    async () => (await import("./commands/mock.js")).mockCommand,
  ),
  lazyCommand(
    "contract",
    "run the contract suite against a live endpoint or the mocks",
    async () => (await import("./commands/contract.js")).contractCommand,
  ),
  lazyCommand(
    "simulate",
    "benchmark a modelled GPU running vLLM, in virtual time (no GPU needed)",
    async () => (await import("./commands/simulate.js")).simulateCommand,
  ),
];
