import { describe, expect, it } from "vitest";
import {
  buildConformanceMatrices,
  formatConformanceTable,
  summaryLine,
} from "./conformance-table.js";
import { report, result, sampleReport } from "./testdata/sample-report.js";

describe("buildConformanceMatrices", () => {
  it("makes one matrix per group, runtimes in catalog order, '-' where a case does not apply", () => {
    const [mock, live] = buildConformanceMatrices(sampleReport.results);
    expect(mock?.group).toBe("mock");
    expect(mock?.runtimes).toEqual(["vllm", "ovms", "triton"]);
    expect(mock?.rows.map((row) => row.caseId)).toEqual([
      "health/rest-live",
      "health/grpc-serving",
      "health/rest-health",
      "health/grpc-absent",
    ]);
    expect(mock?.rows[0]?.cells.get("triton")).toBe("pass");
    expect(mock?.rows[0]?.cells.get("ovms")).toBe("fail");
    expect(mock?.rows[0]?.cells.get("vllm")).toBeUndefined();
    expect(live?.runtimes).toEqual(["triton"]);
  });
});

describe("formatConformanceTable", () => {
  it("prints aligned text tables, the noteworthy results, skip reasons and a summary", () => {
    expect(formatConformanceTable(sampleReport)).toBe(
      [
        "mock                 vllm  ovms        triton",
        "-------------------  ----  ----------  ------",
        "health/rest-live     -     FAIL        pass",
        "health/grpc-serving  -     -           pass",
        "health/rest-health   pass  -           -",
        "health/grpc-absent   -     known-fail  -",
        "",
        "live                 triton",
        "-------------------  ------",
        "health/rest-live     XPASS",
        "health/grpc-serving  skip",
        "",
        "FAIL mock:ovms ovms/health/rest-live: GET /v2/health/live: body <&> \u0001",
        "known-fail mock:ovms ovms/health/grpc-absent: not yet (listed at kf:1)",
        "XPASS live:triton triton/health/rest-live: passed, but is listed",
        "skip x1 live: target has no gRPC address",
        "",
        "contract: FAILED - 3 pass, 1 fail, 1 skip, 1 known-fail, 1 unexpected-pass",
      ].join("\n"),
    );
  });

  it("prints markdown tables on request", () => {
    const text = formatConformanceTable(
      report([result("mock:tgis", "tgis/health/rest-health", "pass")]),
      { format: "markdown", details: false },
    );
    expect(text).toBe(
      [
        "| mock | tgis |",
        "| --- | --- |",
        "| health/rest-health | pass |",
        "",
        "contract: ok - 1 pass, 0 fail, 0 skip, 0 known-fail, 0 unexpected-pass",
      ].join("\n"),
    );
  });

  it("counts run-level problems against the run", () => {
    const withProblem = report([result("mock:tgis", "tgis/health/rest-health", "pass")], ["rot"]);
    expect(withProblem.ok).toBe(false);
    expect(summaryLine(withProblem)).toBe(
      "contract: FAILED - 1 pass, 0 fail, 0 skip, 0 known-fail, 0 unexpected-pass, 1 problem(s)",
    );
    expect(formatConformanceTable(withProblem)).toContain("PROBLEM rot");
  });
});
