/**
 * A `CliIo` for tests: output collected in memory, and a shutdown the test triggers. Lets a test
 * run `main(argv, io)` in-process and read what a command printed.
 */
import type { CliIo } from "./cli-io.js";

/** A collecting io and its controls. */
export interface TestIo {
  /** Pass this to `main` or a command. */
  readonly io: CliIo;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Aborts `io.shutdown`, as SIGINT/SIGTERM would: a serving command stops. */
  stop(): void;
}

/** Makes a {@link TestIo}. */
export function testIo(): TestIo {
  const out: string[] = [];
  const err: string[] = [];
  const shutdown = new AbortController();
  return {
    io: {
      stdout: { write: (text) => void out.push(text) },
      stderr: { write: (text) => void err.push(text) },
      shutdown: shutdown.signal,
    },
    stdout: () => out.join(""),
    stderr: () => err.join(""),
    stop: () => shutdown.abort(),
  };
}
