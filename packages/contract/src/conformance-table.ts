import { type RuntimeName, runtimeNames } from "@servingkit/mock-core";
import type { CaseResult, CaseStatus, ContractReport } from "./report.js";

/** One table of the conformance matrix: a target group, case ids down, runtimes across. */
export interface ConformanceMatrix {
  /** Target group (`mock`, `live`, ...). */
  readonly group: string;
  /** The runtimes that have a target in this group, in catalog order. */
  readonly runtimes: readonly RuntimeName[];
  /** One row per case id, in first-seen order; a missing cell means "does not apply". */
  readonly rows: readonly {
    readonly caseId: string;
    readonly cells: ReadonlyMap<RuntimeName, CaseStatus>;
  }[];
}

/** The word each status shows in a cell; failures are upper-case so they stand out. */
export const statusLabels: Readonly<Record<CaseStatus, string>> = {
  pass: "pass",
  fail: "FAIL",
  skip: "skip",
  "known-fail": "known-fail",
  "unexpected-pass": "XPASS",
};

/** Arranges results as one runtime x case matrix per target group, groups in first-seen order. */
export function buildConformanceMatrices(results: readonly CaseResult[]): ConformanceMatrix[] {
  const groups = new Map<string, CaseResult[]>();
  for (const result of results) {
    const list = groups.get(result.group) ?? [];
    list.push(result);
    groups.set(result.group, list);
  }
  return [...groups].map(([group, list]) => {
    const present = new Set(list.map((result) => result.runtime));
    const rows = new Map<string, Map<RuntimeName, CaseStatus>>();
    for (const result of list) {
      const row = rows.get(result.caseId) ?? new Map<RuntimeName, CaseStatus>();
      row.set(result.runtime, result.status);
      rows.set(result.caseId, row);
    }
    return {
      group,
      runtimes: runtimeNames.filter((runtime) => present.has(runtime)),
      rows: [...rows].map(([caseId, cells]) => ({ caseId, cells })),
    };
  });
}

/** Options of {@link formatConformanceTable}. */
export interface FormatTableOptions {
  /** `text` aligns columns with spaces for a terminal; `markdown` writes GitHub tables. */
  readonly format?: "text" | "markdown";
  /** List each failure, unexpected pass and known failure with its message. Default true. */
  readonly details?: boolean;
}

/**
 * Renders a report as conformance tables (one per target group: case ids down, runtimes across;
 * `-` where a case does not apply), then the failures with their messages, the distinct skip
 * reasons, and a one-line summary. This is what `servingkit contract` prints.
 */
export function formatConformanceTable(
  report: ContractReport,
  options: FormatTableOptions = {},
): string {
  const format = options.format ?? "text";
  const out: string[] = [];
  for (const matrix of buildConformanceMatrices(report.results)) {
    const header = [matrix.group, ...matrix.runtimes];
    const body = matrix.rows.map((row) => [
      row.caseId,
      ...matrix.runtimes.map((runtime) => {
        const status = row.cells.get(runtime);
        return status === undefined ? "-" : statusLabels[status];
      }),
    ]);
    out.push(format === "markdown" ? markdownTable(header, body) : textTable(header, body), "");
  }
  if (options.details ?? true) out.push(...detailLines(report));
  out.push(summaryLine(report));
  return out.join("\n");
}

/** `contract: ok|FAILED - N pass, N fail, ...` over the whole report. */
export function summaryLine(report: ContractReport): string {
  const { counts } = report;
  const parts = [
    `${counts.pass} pass`,
    `${counts.fail} fail`,
    `${counts.skip} skip`,
    `${counts["known-fail"]} known-fail`,
    `${counts["unexpected-pass"]} unexpected-pass`,
  ];
  if (report.problems.length > 0) parts.push(`${report.problems.length} problem(s)`);
  return `contract: ${report.ok ? "ok" : "FAILED"} - ${parts.join(", ")}`;
}

function detailLines(report: ContractReport): string[] {
  const lines: string[] = [];
  const noteworthy = report.results.filter(
    (result) => result.status !== "pass" && result.status !== "skip",
  );
  for (const result of noteworthy) {
    lines.push(
      `${statusLabels[result.status]} ${result.target} ${result.name}: ${result.message ?? ""}`,
    );
  }
  const skipReasons = new Map<string, number>();
  for (const result of report.results) {
    if (result.status !== "skip") continue;
    const reason = `${result.group}: ${result.message ?? "no reason given"}`;
    skipReasons.set(reason, (skipReasons.get(reason) ?? 0) + 1);
  }
  for (const [reason, count] of skipReasons) lines.push(`skip x${count} ${reason}`);
  for (const problem of report.problems) lines.push(`PROBLEM ${problem}`);
  if (lines.length > 0) lines.push("");
  return lines;
}

function textTable(header: readonly string[], body: readonly string[][]): string {
  const widths = header.map((cell, column) =>
    Math.max(cell.length, ...body.map((row) => (row[column] ?? "").length)),
  );
  const render = (row: readonly string[]) =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join("  ")
      .trimEnd();
  return [
    render(header),
    render(widths.map((width) => "-".repeat(width))),
    ...body.map(render),
  ].join("\n");
}

function markdownTable(header: readonly string[], body: readonly string[][]): string {
  const escapeCell = (cell: string) => cell.replaceAll("|", "\\|");
  const render = (row: readonly string[]) => `| ${row.map(escapeCell).join(" | ")} |`;
  return [render(header), render(header.map(() => "---")), ...body.map(render)].join("\n");
}
