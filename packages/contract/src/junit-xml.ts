import { create } from "xmlbuilder2";
import type { CaseResult, ContractReport } from "./report.js";

/**
 * Writes a report as JUnit XML, the format CI systems (GitHub, GitLab, Jenkins) summarise:
 * one `<testsuite>` per target, one `<testcase>` per case with `classname` = target name and
 * `name` = the hierarchical case name. `fail` and `unexpected-pass` become `<failure>`, `skip`
 * becomes `<skipped message="reason">`, and `known-fail` is a passing testcase with a
 * `<system-out>` note, since an expected failure must not turn CI red. Run-level problems become
 * a failing testcase of a `contract` suite. Characters XML 1.0 cannot carry (control characters
 * from a live server's error text) are replaced by U+FFFD.
 */
export function toJUnitXml(report: ContractReport): string {
  const doc = create({ version: "1.0", encoding: "UTF-8", invalidCharReplacement: "\uFFFD" });
  const failures = report.counts.fail + report.counts["unexpected-pass"] + report.problems.length;
  const root = doc.ele("testsuites", {
    name: "servingkit contract",
    tests: String(report.results.length + report.problems.length),
    failures: String(failures),
    errors: "0",
    skipped: String(report.counts.skip),
    time: seconds(report.durationMs),
    timestamp: report.startedAt,
  });
  const byTarget = new Map<string, CaseResult[]>();
  for (const result of report.results) {
    const list = byTarget.get(result.target) ?? [];
    list.push(result);
    byTarget.set(result.target, list);
  }
  for (const [target, results] of byTarget) {
    const suite = root.ele("testsuite", {
      name: target,
      tests: String(results.length),
      failures: String(results.filter(isFailure).length),
      errors: "0",
      skipped: String(results.filter((result) => result.status === "skip").length),
      time: seconds(results.reduce((sum, result) => sum + result.durationMs, 0)),
      timestamp: report.startedAt,
    });
    for (const result of results) {
      const testcase = suite.ele("testcase", {
        classname: target,
        name: result.name,
        time: seconds(result.durationMs),
      });
      if (isFailure(result)) {
        testcase
          .ele("failure", {
            message: result.message ?? result.status,
            type: result.status === "unexpected-pass" ? "UnexpectedPass" : "AssertionError",
          })
          .txt(result.details ?? result.message ?? "");
      } else if (result.status === "skip") {
        testcase.ele("skipped", { message: result.message ?? "skipped" });
      } else if (result.status === "known-fail") {
        testcase.ele("system-out").txt(`known-failing: ${result.message ?? ""}`);
      }
    }
  }
  if (report.problems.length > 0) {
    const suite = root.ele("testsuite", {
      name: "contract",
      tests: String(report.problems.length),
      failures: String(report.problems.length),
      errors: "0",
      skipped: "0",
      time: "0",
      timestamp: report.startedAt,
    });
    for (const [index, problem] of report.problems.entries()) {
      suite
        .ele("testcase", { classname: "contract", name: `problem-${index + 1}`, time: "0" })
        .ele("failure", { message: problem, type: "ContractProblem" })
        .txt(problem);
    }
  }
  return doc.end({ prettyPrint: true });
}

function isFailure(result: CaseResult): boolean {
  return result.status === "fail" || result.status === "unexpected-pass";
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}
