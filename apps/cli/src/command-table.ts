/**
 * Every `servingkit` subcommand, in the order `servingkit --help` lists them.
 */
import type { Command } from "./command.js";
import { mockCommand } from "./commands/mock.js";

/**
 * The command table. The `contract` command (run the contract suite against mocks or a live
 * endpoint) belongs here too: `commands/contract.ts` exports a {@link Command} named
 * `contractCommand`, and its entry goes after `mockCommand`.
 */
export const commands: readonly Command[] = [
  mockCommand,
  // contractCommand, from "./commands/contract.js"
];
