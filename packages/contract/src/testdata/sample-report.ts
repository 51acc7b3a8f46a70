import type { CaseResult, CaseStatus, ContractReport } from "../report.js";
import { countStatuses, isSuccessful } from "../report.js";

/** A result for tests; `name` is `<runtime>/<concern>/<case>`. */
export function result(
  target: string,
  name: string,
  status: CaseStatus,
  message?: string,
): CaseResult {
  const [runtime, ...rest] = name.split("/");
  return {
    name,
    caseId: rest.join("/"),
    runtime: runtime as CaseResult["runtime"],
    target,
    group: target.split(":")[0] ?? target,
    transport: name.includes("grpc") ? "grpc" : "rest",
    status,
    ...(message !== undefined && { message }),
    durationMs: 2,
  };
}

/** A report over the given results, with counts and verdict computed as runContract does. */
export function report(results: CaseResult[], problems: string[] = []): ContractReport {
  const counts = countStatuses(results);
  return {
    ok: isSuccessful(counts, problems),
    results,
    targets: [],
    counts,
    problems,
    startedAt: "2026-11-21T10:00:00.000Z",
    durationMs: 1234,
  };
}

/** Two groups, every status once. */
export const sampleReport: ContractReport = report([
  result("mock:triton", "triton/health/rest-live", "pass"),
  result("mock:triton", "triton/health/grpc-serving", "pass"),
  result("mock:vllm", "vllm/health/rest-health", "pass"),
  result("mock:ovms", "ovms/health/rest-live", "fail", "GET /v2/health/live: body <&> \u0001"),
  result("mock:ovms", "ovms/health/grpc-absent", "known-fail", "not yet (listed at kf:1)"),
  result("live:triton", "triton/health/rest-live", "unexpected-pass", "passed, but is listed"),
  result("live:triton", "triton/health/grpc-serving", "skip", "target has no gRPC address"),
]);
