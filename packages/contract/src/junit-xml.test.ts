import { XMLParser, XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { toJUnitXml } from "./junit-xml.js";
import { report, result, sampleReport } from "./testdata/sample-report.js";

interface Parsed {
  testsuites: {
    "@_tests": string;
    "@_failures": string;
    "@_skipped": string;
    testsuite: {
      "@_name": string;
      "@_tests": string;
      "@_failures": string;
      testcase: Record<string, unknown>[];
    }[];
  };
}

function parse(xml: string): Parsed {
  return new XMLParser({
    ignoreAttributes: false,
    isArray: (name) => name === "testsuite" || name === "testcase",
  }).parse(xml) as Parsed;
}

describe("toJUnitXml", () => {
  const xml = toJUnitXml(sampleReport);

  it("is well-formed XML, control characters replaced", () => {
    // fast-xml-parser is an independent parser: a stray `&`, `<` or U+0001 would fail here.
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    expect(xml).not.toContain("\u0001");
    expect(xml).toContain("body &lt;&amp;&gt; \uFFFD");
  });

  it("has one suite per target and the counts CI reads", () => {
    const { testsuites } = parse(xml);
    expect(testsuites["@_tests"]).toBe("7");
    // fail + unexpected-pass; a known failure is not a CI failure.
    expect(testsuites["@_failures"]).toBe("2");
    expect(testsuites["@_skipped"]).toBe("1");
    expect(testsuites.testsuite.map((suite) => suite["@_name"])).toEqual([
      "mock:triton",
      "mock:vllm",
      "mock:ovms",
      "live:triton",
    ]);
    const ovms = testsuites.testsuite[2];
    expect(ovms?.["@_failures"]).toBe("1");
    expect(ovms?.testcase[0]).toMatchObject({
      "@_classname": "mock:ovms",
      "@_name": "ovms/health/rest-live",
      "@_time": "0.002",
      failure: { "@_type": "AssertionError" },
    });
    expect(ovms?.testcase[1]).toMatchObject({
      "system-out": expect.stringMatching(/^known-failing: /),
    });
    const live = testsuites.testsuite[3];
    expect(live?.testcase[0]).toMatchObject({ failure: { "@_type": "UnexpectedPass" } });
    expect(live?.testcase[1]).toMatchObject({
      skipped: { "@_message": "target has no gRPC address" },
    });
  });

  it("reports run-level problems as failing testcases", () => {
    const { testsuites } = parse(
      toJUnitXml(report([result("mock:tgis", "tgis/health/rest-health", "pass")], ["stale entry"])),
    );
    expect(testsuites["@_failures"]).toBe("1");
    expect(testsuites.testsuite[1]?.["@_name"]).toBe("contract");
    expect(testsuites.testsuite[1]?.testcase[0]).toMatchObject({
      failure: { "@_message": "stale entry" },
    });
  });
});
