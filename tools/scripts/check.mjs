// The whole test suite, as `npm test` and CI run it: lint and format, then every turbo task
// (generated-code freshness, types, build, tests, packed artifacts), then one summary line
// counted from the JUnit reports the test tasks wrote.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("../..", import.meta.url).pathname;

function step(title, command, args) {
  console.log(`\n== ${title}: ${command} ${args.join(" ")}`);
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit" });
  if (result.status !== 0) {
    console.error(`\n== ${title} failed (exit ${result.status ?? result.signal})`);
    process.exit(result.status ?? 1);
  }
}

step("lint and format", "biome", ["ci", "--error-on-warnings", "--colors=off", "."]);
step("generate, types, build, tests, packages", "turbo", [
  "run",
  "generate:check",
  "typecheck",
  "build",
  "test",
  "pack:check",
  "--concurrency=2",
  "--output-logs=new-only",
  ...process.argv.slice(2),
]);

/** Sums the testcase outcomes of every package's reports/junit.xml. */
function summarize() {
  const totals = { passed: 0, failed: 0, skipped: 0 };
  for (const group of ["packages", "apps", "tools"]) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const file = join(dir, name, "reports", "junit.xml");
      if (!existsSync(file)) continue;
      const xml = readFileSync(file, "utf8");
      for (const testcase of xml.matchAll(/<testcase\b[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)) {
        const body = testcase[2] ?? "";
        if (/<(failure|error)\b/.test(body)) totals.failed++;
        else if (/<skipped\b/.test(body)) totals.skipped++;
        else totals.passed++;
      }
    }
  }
  return totals;
}

const totals = summarize();
console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed > 0 ? 1 : 0);
