/**
 * The request log: pino, one JSON line per request or call (method and path or RPC, status or
 * code, milliseconds), quiet unless asked for.
 */
import { type Logger, type LoggerOptions, pino } from "pino";

/**
 * The `logger` option: `false`/undefined → silent (tests); `true` → info level to stdout; pino
 * options → a logger made from them; a pino Logger → used as it is.
 */
export type LoggerOption = boolean | LoggerOptions | Logger;

function isLogger(value: LoggerOption): value is Logger {
  return typeof value === "object" && typeof (value as Logger).child === "function";
}

/** Resolves the {@link LoggerOption} to a logger. */
export function createLogger(option: LoggerOption | undefined, bindings: object = {}): Logger {
  if (option === undefined || option === false) return pino({ level: "silent" });
  if (option === true) return pino({ level: "info" }).child(bindings);
  if (isLogger(option)) return option.child(bindings);
  return pino(option).child(bindings);
}

/**
 * A logger for a command line: pino at `level` (`info`, `debug`, ..., `silent`), one JSON line
 * per request written to `sink` (stdout in the CLI, a buffer in tests).
 */
export function createRequestLogger(level: string, sink: { write(text: string): void }): Logger {
  return pino({ level, base: undefined }, { write: (line: string) => sink.write(line) });
}
