/**
 * The contract suite itself, as vitest tests: every case against the in-process mocks of all
 * seven runtimes (open, token auth in both modes, TLS with a private CA), the KServe runtimes
 * behind ModelMesh (the kserve module's `--modelmesh`), and against live
 * targets from the environment when configured. Each case shows up as its own test, so CI's
 * summary counts them; a case skipped for a reason is a skipped test with that note.
 */
import { afterAll, describe, expect, it } from "vitest";
import { contractCases } from "./cases/index.js";
import { formatConformanceTable } from "./conformance-table.js";
import { type MockTargetOptions, mockRuntimes } from "./mock-targets.js";
import type { CaseResult } from "./report.js";
import { runContract } from "./run-contract.js";
import { loadTargets } from "./target-env.js";

const token = "servingkit-contract-token";
const mockGroups: readonly MockTargetOptions[] = [
  { group: "mock" },
  { group: "mock-serverless", token, authMode: "serverless" },
  { group: "mock-raw", token, authMode: "raw" },
  { group: "mock-tls", token, tls: true },
  { group: "mock-modelmesh", deployment: "modelmesh" },
];

const mockReport = await runContract({ mocks: mockGroups, targets: [] });
const liveTargets = await loadTargets();
const liveConfigured = liveTargets.some((target) => target.skipReason === undefined);
const liveReport = liveConfigured ? await runContract({ targets: liveTargets }) : undefined;

afterAll(() => {
  // The conformance table in the test log, as `servingkit contract` prints it.
  console.log(formatConformanceTable(mockReport));
  if (liveReport) console.log(formatConformanceTable(liveReport));
});

/** Turns a result into the outcome of the vitest test that carries it. */
function replay(result: CaseResult, skip: (note: string) => void): void {
  if (result.status === "skip") skip(result.message ?? "skipped");
  if (result.status === "fail" || result.status === "unexpected-pass") {
    throw new Error(`${result.message ?? result.status}\n${result.details ?? ""}`);
  }
}

/**
 * Skips a mock group has by design (the open group has no token, only one group has TLS, the
 * ModelMesh group serves only what ModelMesh does) stay in the report but are not repeated as
 * vitest tests, so the CI summary's skipped count means something: live targets not configured,
 * or a case that skipped itself.
 */
function structural(result: CaseResult): boolean {
  return (
    result.status === "skip" &&
    /^(target lacks |target has no |target is a \S+ deployment, )/.test(result.message ?? "")
  );
}

describe.each(mockGroups.map((group) => group.group ?? "mock"))("contract on %s", (group) => {
  const results = mockReport.results.filter(
    (result) => result.group === group && !structural(result),
  );
  it.for(results.map((result) => [result.name, result] as const))("%s", ([, result], context) =>
    replay(result, (note) => context.skip(note)),
  );
});

describe("contract on live targets", () => {
  if (liveReport === undefined) {
    // Never counted as passed: one skipped test per runtime, saying what to set.
    it.for(liveTargets.map((target) => [target.name, target.skipReason] as const))(
      "%s",
      ([, reason], context) => context.skip(reason),
    );
    return;
  }
  it.for(liveReport.results.map((result) => [result.name, result] as const))(
    "%s",
    ([, result], context) => replay(result, (note) => context.skip(note)),
  );
});

describe("the report of the mock run", () => {
  it("is ok: every applicable case passed or skipped for a stated reason", () => {
    expect(mockReport.problems).toEqual([]);
    expect(mockReport.results.filter((result) => result.status === "fail")).toEqual([]);
    expect(mockReport.ok).toBe(true);
  });

  it("ran every case of the catalog on every runtime it applies to, in every group", () => {
    for (const group of mockGroups) {
      const names = mockReport.results
        .filter((result) => result.group === (group.group ?? "mock"))
        .map((result) => result.name);
      const expected = mockRuntimes(group).flatMap((runtime) =>
        contractCases
          .filter((contractCase) => contractCase.runtimes.includes(runtime))
          .map((contractCase) => `${runtime}/${contractCase.id}`),
      );
      expect(names.sort()).toEqual(expected.sort());
    }
  });

  it("passes the health cases everywhere and skips auth/TLS exactly where the group lacks them", () => {
    const status = (group: string, glob: RegExp) =>
      new Set(
        mockReport.results
          .filter((result) => result.group === group && glob.test(result.name))
          .map((result) => result.status),
      );
    for (const group of ["mock", "mock-serverless", "mock-raw", "mock-tls"]) {
      expect(status(group, /\/health\//), group).toEqual(new Set(["pass"]));
    }
    expect(status("mock", /\/auth\//)).toEqual(new Set(["skip"]));
    expect(status("mock-serverless", /\/auth\//)).toEqual(new Set(["pass"]));
    expect(status("mock-raw", /\/auth\//)).toEqual(new Set(["pass"]));
    expect(status("mock-tls", /\/auth\//)).toEqual(new Set(["pass"]));
    expect(status("mock", /\/tls\//)).toEqual(new Set(["skip"]));
    expect(status("mock-tls", /\/tls\//)).toEqual(new Set(["pass"]));
    const skip = mockReport.results.find(
      (result) => result.group === "mock" && result.caseId === "auth/rest-missing-token",
    );
    expect(skip?.message).toBe("target lacks auth");
  });

  it("behind ModelMesh: the cases that hold there pass, the single-model ones skip, and the reverse", () => {
    const outcomes = (group: string) =>
      new Map(
        mockReport.results
          .filter((result) => result.group === group && result.name.includes("/kserve/"))
          .map((result) => [result.name, result.status]),
      );
    const modelmesh = outcomes("mock-modelmesh");
    const expected = new Map<string, string>();
    for (const runtime of ["ovms", "triton", "mlserver"] as const) {
      for (const contractCase of contractCases) {
        if (!contractCase.runtimes.includes(runtime) || !contractCase.id.startsWith("kserve/"))
          continue;
        const applies = contractCase.deployments?.includes("modelmesh") ?? false;
        expected.set(`${runtime}/${contractCase.id}`, applies ? "pass" : "skip");
      }
    }
    expect(modelmesh).toEqual(expected);
    expect([...modelmesh.values()].filter((status) => status === "pass").length).toBe(21);
    // ModelMesh's own cases skip on the single-model mocks.
    const single = outcomes("mock");
    expect(single.get("ovms/kserve/rest-modelmesh-routes")).toBe("skip");
    expect(single.get("triton/kserve/grpc-modelmesh-id-header")).toBe("skip");
    const reason = mockReport.results.find(
      (result) =>
        result.group === "mock-modelmesh" && result.name === "triton/kserve/rest-server-metadata",
    );
    expect(reason?.message).toBe(
      "target is a modelmesh deployment, which the case does not apply to",
    );
  });

  it("covers gRPC where the runtime has it and REST everywhere", () => {
    const grpc = mockReport.results.filter(
      (result) =>
        result.group === "mock" && result.transport === "grpc" && result.status === "pass",
    );
    expect(new Set(grpc.map((result) => result.runtime))).toEqual(
      new Set(["caikit-tgis", "caikit-standalone", "tgis", "ovms", "triton", "mlserver"]),
    );
  });
});
