/**
 * The batch chat case against the vLLM mock on both sides of its release (0.19.0, vLLM PR
 * #38011), and against servers that report the wrong release, so the case is seen to fail.
 */
import { afterAll, describe, expect, it } from "vitest";
import { runContract } from "../run-contract.js";
import type { Target } from "../target.js";
import { closeAll, misreporting, vllmMock } from "../testdata/vllm-servers.js";
import { openaiChatBatchCases } from "./openai-chat-batch.js";

afterAll(closeAll);

async function outcome(rest: string): Promise<string> {
  const target: Target = { name: "t:vllm", group: "t", runtime: "vllm", rest };
  const report = await runContract({ targets: [target], cases: openaiChatBatchCases });
  const result = report.results[0];
  if (result === undefined) return "none";
  return result.status === "pass" ? "pass" : `${result.status}: ${result.message ?? ""}`;
}

describe("openai/chat-batch", () => {
  it.for(["0.19.0", "0.21.0"])("passes against the mock of %s", async (version) => {
    expect(await outcome(await vllmMock(version))).toBe("pass");
  });

  // vLLM PR #38011 is in the v0.19.0 release notes: 0.18.x skips, naming the release.
  it("skips on 0.18.1 with the release and the reason", async () => {
    expect(await outcome(await vllmMock("0.18.1"))).toBe(
      "skip: vLLM 0.18.1 predates /v1/chat/completions/batch (0.19.0)",
    );
  });

  // A 0.18.1 server claiming 0.19.0 has no route: FastAPI's 404 fails the case.
  it("fails against a server claiming 0.19.0 without the route", async () => {
    expect(await outcome(await misreporting(await vllmMock("0.18.1"), "0.19.0"))).toMatch(
      /^fail: status, body \{"detail":"Not Found"\}/,
    );
  });
});
