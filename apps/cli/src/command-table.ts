/**
 * Every `servingkit` subcommand, in the order `servingkit --help` lists them.
 */
import type { Command } from "./command.js";
import { contractCommand } from "./commands/contract.js";
import { mockCommand } from "./commands/mock.js";
import { simulateCommand } from "./commands/simulate.js";

/**
 * The command table: `mock` (start mock runtimes), `contract` (run the contract suite against
 * mocks or a live endpoint) and `simulate` (a serving benchmark of a modelled GPU in virtual
 * time). A new command is a {@link Command} in `commands/<name>.ts`, listed
 * here.
 */
export const commands: readonly Command[] = [mockCommand, contractCommand, simulateCommand];
