/**
 * `pnpm --filter @servingkit/bench bench`: runs the scenarios, prints their tables, and with
 * `--write` updates the results block of docs/benchmarks.md. Loopback only; every scenario ends
 * by itself within (warm-up + duration) x servers. Each scenario runs in a child process of its
 * own, its baselines and mocks together in it.
 */
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { CliError, parseCliOptions, usage } from "./cli-options.js";
import { machineFacts } from "./machine.js";
import { renderResults, replaceResults } from "./results-markdown.js";
import { runScenarioApart } from "./scenario-process.js";
import type { ScenarioResult } from "./scenarios.js";

const benchmarksDoc = fileURLToPath(new URL("../../../docs/benchmarks.md", import.meta.url));

async function main(args: readonly string[]): Promise<number> {
  let options: ReturnType<typeof parseCliOptions>;
  try {
    options = parseCliOptions(args, benchmarksDoc);
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    process.stderr.write(`bench: ${error.message}\n\n${usage}`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(usage);
    return 0;
  }
  const results: ScenarioResult[] = [];
  for (const scenario of options.scenarios) {
    process.stderr.write(`bench: running ${scenario} ...\n`);
    // Each scenario in a fresh process: one scenario's heap does not tax the next (scenario-process.ts).
    results.push(await runScenarioApart({ name: scenario, settings: options.settings }));
  }
  const machine = machineFacts();
  const rendered = renderResults(results, machine, new Date());
  process.stdout.write(
    options.json ? `${JSON.stringify({ machine, results }, null, 2)}\n` : `${rendered}\n`,
  );
  if (options.write !== undefined) {
    const current = await readFile(options.write, "utf8").catch(() => "# Benchmarks\n");
    await writeFile(options.write, replaceResults(current, rendered));
    process.stderr.write(`bench: wrote ${options.write}\n`);
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
