/**
 * `servingkit`: the command line, as a function of its arguments and its I/O, so tests run it
 * without spawning a process.
 */
import { readFileSync } from "node:fs";
import { type CliIo, exitCodes, UsageError } from "./cli-io.js";
import type { Command } from "./command.js";
import { commands as defaultCommands } from "./command-table.js";

/** The package version, read from package.json (one level above both `src/` and `dist/`). */
export function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  return String(pkg.version);
}

function overview(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  const list = commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`).join("\n");
  return `Usage: servingkit <command> [options]

Typed clients, faithful mock runtimes and a contract suite for the single-model serving platform
of Red Hat OpenShift AI (KServe).

Commands:
${list}

Options:
  -h, --help     show this help (or a command's: servingkit <command> --help)
  -v, --version  print the version

Run 'servingkit <command> --help' for a command's options.
`;
}

/**
 * Runs the command line `argv` (the arguments after the program name) and resolves to the exit
 * status: 0 success, 1 failure while running, 2 wrong usage (unknown command, flag, runtime or
 * value, reported on stderr with a hint).
 */
export async function main(
  argv: readonly string[],
  io: CliIo,
  commands: readonly Command[] = defaultCommands,
): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === "-h" || first === "--help" || first === "help") {
    if (first === "help" && rest[0] !== undefined) return main([rest[0], "--help"], io, commands);
    // Asked for: help on stdout, success. Not asked (no command): on stderr, usage error.
    if (first === undefined) {
      io.stderr.write(overview(commands));
      return exitCodes.usage;
    }
    io.stdout.write(overview(commands));
    return exitCodes.ok;
  }
  if (first === "-v" || first === "--version") {
    io.stdout.write(`${cliVersion()}\n`);
    return exitCodes.ok;
  }
  const command = commands.find((c) => c.name === first);
  if (!command) {
    const what = first.startsWith("-") ? `unknown option '${first}'` : `unknown command '${first}'`;
    io.stderr.write(`servingkit: ${what}\nRun 'servingkit --help' for the commands.\n`);
    return exitCodes.usage;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(
        `servingkit ${command.name}: ${error.message}\nRun 'servingkit ${command.name} --help' for usage.\n`,
      );
      return exitCodes.usage;
    }
    io.stderr.write(`servingkit ${command.name}: ${(error as Error).message ?? String(error)}\n`);
    return exitCodes.failure;
  }
}
