/**
 * Runs the calibration scenarios of src/gpu/calibration.ts and prints the table, or with
 * `--write` replaces the block between the markers in docs/calibration.md (the table and each
 * row's source). Deterministic; src/gpu/calibration.test.ts fails when the document is stale.
 * Run from packages/mock-core: `node scripts/calibrate.ts [--write]`.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { registerHooks } from "node:module";
import { join } from "node:path";

// Our sources import siblings as `./x.js` (nodenext); let Node's type stripping find `./x.ts`.
registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (error) {
      if (specifier.startsWith(".") && specifier.endsWith(".js")) {
        return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
      }
      throw error;
    }
  },
});

const { calibrationBlock, runCalibration } = await import("../src/gpu/calibration.ts");
const started = performance.now();
const rows = runCalibration();
const seconds = ((performance.now() - started) / 1000).toFixed(1);

if (process.argv.includes("--write")) {
  const path = join(import.meta.dirname, "..", "..", "..", "docs", "calibration.md");
  const doc = readFileSync(path, "utf8");
  const begin = "<!-- calibration-table:begin -->";
  const end = "<!-- calibration-table:end -->";
  const from = doc.indexOf(begin);
  const to = doc.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${path} lacks the ${begin} / ${end} markers`);
  writeFileSync(
    path,
    `${doc.slice(0, from + begin.length)}\n${calibrationBlock(rows)}\n${doc.slice(to)}`,
  );
  console.log(`wrote ${path} (${seconds} s of CPU for the simulations)`);
} else {
  console.log(calibrationBlock(rows));
  console.log(`(${seconds} s)`);
}
