/**
 * The shape of a `servingkit` subcommand. Each lives in `commands/<name>.ts` and is listed once in
 * the command table (`command-table.ts`).
 */
import type { CliIo } from "./cli-io.js";

/** One subcommand. */
export interface Command {
  /** The word after `servingkit`. */
  readonly name: string;
  /** One line for the command list of `servingkit --help`. */
  readonly summary: string;
  /**
   * The full `--help` text of the command, where it is fixed at load; absent where the command
   * builds it when asked (`mock` lists the options of modules it loads only then).
   */
  readonly help?: string;
  /**
   * Runs the command with the arguments after its name; resolves to the exit status. Throws
   * `UsageError` for a wrong command line (exit 2).
   */
  run(args: readonly string[], io: CliIo): Promise<number>;
}
