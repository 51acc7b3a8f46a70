import { describe, expect, it } from "vitest";
import type { Measurement } from "./measurement.js";
import {
  ratios,
  renderResults,
  replaceResults,
  resultsBegin,
  resultsEnd,
} from "./results-markdown.js";

const measurement = (
  label: string,
  role: Measurement["role"],
  rps: number,
  p: number,
): Measurement => ({
  label,
  role,
  ok: rps * 3,
  errors: 0,
  seconds: 3,
  rps,
  p50: p,
  p90: p * 2,
  p99: p * 4,
});

const machine = { cores: 2, cpu: "AMD EPYC", memoryGiB: 23.5, node: "v24.21.0", os: "linux 6.8" };

describe("renderResults", () => {
  it("writes absolute numbers and mock/baseline ratios per scenario", () => {
    const text = renderResults(
      [
        {
          name: "rest-health",
          title: "GET /v2/health/live",
          load: "autocannon, 50 connections",
          unit: "req/s",
          latency: "latency",
          measurements: [
            measurement("bare node:http", "baseline", 40_000, 1),
            measurement("mock host", "mock", 30_000, 1.5),
          ],
          notes: [],
        },
      ],
      machine,
      new Date("2026-11-21T12:00:00Z"),
    );
    expect(text).toContain("Measured 2026-11-21 on 2 cores (AMD EPYC), 23.5 GiB, Node v24.21.0");
    expect(text).toContain("| bare node:http | baseline | 40,000 | 1.000 | 2.000 | 4.000 | 0 |");
    expect(text).toContain("| mock host / bare node:http | 0.75x | 1.50x | 1.50x | 1.50x |");
  });

  it("names the unit and latency kind, compares a mock only against its baselines, lists notes", () => {
    const text = renderResults(
      [
        {
          name: "vllm-streams",
          title: "streams",
          load: "1000 streams",
          unit: "events/s",
          latency: "inter-token gap",
          measurements: [
            measurement("ticker", "baseline", 40_000, 20),
            measurement("other", "baseline", 1, 1),
            { ...measurement("mock", "mock", 20_000, 21), against: ["ticker"] },
          ],
          notes: ["goal met."],
        },
      ],
      machine,
      new Date("2026-11-21T12:00:00Z"),
    );
    expect(text).toContain(
      "| server | role | events/s | inter-token gap p50 ms | inter-token gap p90 ms | inter-token gap p99 ms | errors |",
    );
    expect(text).toContain("| mock / ticker | 0.50x | 1.05x | 1.05x | 1.05x |");
    expect(text).not.toContain("| mock / other |");
    expect(text).toContain("- goal met.");
    // Slow rates keep their fractions (a 16 MiB tensor answers a few calls per second).
    expect(text).toContain("| other | baseline | 1.00 |");
  });

  it("computes ratios and says n/a where the baseline measured nothing", () => {
    const r = ratios(measurement("m", "mock", 10, 2), measurement("b", "baseline", 0, 0));
    expect(Number.isNaN(r.rps)).toBe(true);
  });
});

describe("replaceResults", () => {
  it("replaces only the block between the markers", () => {
    const document = `# Benchmarks\n\nHow to read.\n\n${resultsBegin}\nold\n${resultsEnd}\n\nCommentary.\n`;
    expect(replaceResults(document, "new")).toBe(
      `# Benchmarks\n\nHow to read.\n\n${resultsBegin}\n\nnew\n\n${resultsEnd}\n\nCommentary.\n`,
    );
  });

  it("appends the block to a document without markers", () => {
    expect(replaceResults("# Benchmarks\n", "new")).toBe(
      `# Benchmarks\n\n${resultsBegin}\n\nnew\n\n${resultsEnd}\n`,
    );
  });
});
