import { defineConfig } from "vitest/config";

/**
 * The one vitest configuration every package uses (each package's `vitest.config.ts` re-exports
 * it). Workspace packages resolve to their TypeScript sources through the `@servingkit/source`
 * export condition, so tests never need a build of their dependencies.
 */
export default defineConfig({
  resolve: { conditions: ["@servingkit/source", "import", "module", "node", "default"] },
  ssr: { resolve: { conditions: ["@servingkit/source", "import", "module", "node", "default"] } },
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 20_000,
    // The JUnit report feeds the one summary line of `npm test` (tools/scripts/check.mjs).
    reporters: ["default", "junit"],
    outputFile: { junit: "reports/junit.xml" },
  },
});
