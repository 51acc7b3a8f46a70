/**
 * The streamed fingerprint case against the vLLM mock on both sides of its release (0.21.0, vLLM
 * PR #40537), and against servers that report the wrong release, so the case is seen to fail.
 */
import { afterAll, describe, expect, it } from "vitest";
import { runContract } from "../run-contract.js";
import type { Target } from "../target.js";
import { closeAll, misreporting, vllmMock } from "../testdata/vllm-servers.js";
import { openaiStreamFingerprintCases } from "./openai-stream-fingerprint.js";

afterAll(closeAll);

async function outcome(rest: string): Promise<string> {
  const target: Target = { name: "t:vllm", group: "t", runtime: "vllm", rest };
  const report = await runContract({ targets: [target], cases: openaiStreamFingerprintCases });
  const result = report.results[0];
  if (result === undefined) return "none";
  return result.status === "pass" ? "pass" : `${result.status}: ${result.message ?? ""}`;
}

describe("openai/chat-stream-fingerprint", () => {
  it.for(["0.12.0", "0.20.0", "0.21.0"])("passes against the mock of %s", async (version) => {
    expect(await outcome(await vllmMock(version))).toBe("pass");
  });

  // A 0.20.0 server claiming 0.21.0 stamps nothing; a 0.21.0 server claiming 0.20.0 stamps.
  it("fails from the other side of vLLM PR #40537", async () => {
    expect(await outcome(await misreporting(await vllmMock("0.20.0"), "0.21.0"))).toMatch(
      /^fail: stream: system_fingerprint from 0\.21\.0/,
    );
    expect(await outcome(await misreporting(await vllmMock("0.21.0"), "0.20.0"))).toMatch(
      /^fail: stream: no system_fingerprint before 0\.21\.0/,
    );
  });
});
