/**
 * What a command may touch of the outside world, passed in so `main` runs in tests without a
 * process of its own: two output streams and the signal that asks a serving command to stop.
 */

/** A sink for text (process.stdout/stderr, or a buffer in tests). */
export interface TextSink {
  write(text: string): void;
}

/** The process around a command. */
export interface CliIo {
  /** Normal output: ready lines, tables, help, request logs. */
  readonly stdout: TextSink;
  /** Errors and usage hints. */
  readonly stderr: TextSink;
  /**
   * Aborts when the command should stop serving (SIGINT/SIGTERM in the real process; a test
   * aborts it by hand). Commands that do not serve ignore it.
   */
  readonly shutdown: AbortSignal;
}

/** A wrong command line: reported with a hint to `--help`, exit status 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Exit statuses: 0 success, 1 failure while running, 2 wrong usage. */
export const exitCodes = { ok: 0, failure: 1, usage: 2 } as const;
