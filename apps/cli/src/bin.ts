#!/usr/bin/env node
/**
 * The `servingkit` executable: `main` wired to the real process. SIGINT/SIGTERM ask a serving
 * command to shut down gracefully; a second signal exits at once.
 */
import { main } from "./main.js";

const shutdown = new AbortController();
let signals = 0;
const onSignal = (signal: NodeJS.Signals) => {
  signals += 1;
  if (signals > 1) process.exit(signal === "SIGINT" ? 130 : 143);
  shutdown.abort();
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  shutdown: shutdown.signal,
});
process.off("SIGINT", onSignal);
process.off("SIGTERM", onSignal);
process.exitCode = code;
