/**
 * The Responses penalty case against the vLLM mock of releases either side of vLLM PR #38613
 * (v0.20.0 release notes), and against servers misreporting their release.
 */
import { afterAll, describe, expect, it } from "vitest";
import { runContract } from "../run-contract.js";
import type { Target } from "../target.js";
import { closeAll, misreporting, vllmMock } from "../testdata/vllm-servers.js";
import { openaiResponsesPenaltiesCases } from "./openai-responses-penalties.js";

afterAll(closeAll);

async function outcome(rest: string): Promise<string> {
  const target: Target = { name: "t:vllm", group: "t", runtime: "vllm", rest };
  const report = await runContract({ targets: [target], cases: openaiResponsesPenaltiesCases });
  const [result] = report.results;
  return result?.status === "fail" ? `fail: ${result.message}` : String(result?.status);
}

describe("openai/responses-penalties", () => {
  it.for(["0.12.0", "0.18.0", "0.20.0", "0.21.0"])("passes against the mock of %s", async (v) => {
    expect(await outcome(await vllmMock(v))).toBe("pass");
  });

  it("skips a release without the Responses API", async () => {
    expect(await outcome(await vllmMock("0.9.0"))).toBe("skip");
  });

  // A 0.18.0 server claiming 0.20.0 ignores the penalties; a 0.20.0 server claiming 0.19.0
  // refuses them: each lies about its release.
  it("fails servers whose penalties do not match the release they report", async () => {
    expect(await outcome(await misreporting(await vllmMock("0.18.0"), "0.20.0"))).toMatch(
      /^fail: status/,
    );
    expect(await outcome(await misreporting(await vllmMock("0.20.0"), "0.19.0"))).toMatch(
      /^fail: before 0\.20\.0 the penalties are unknown fields/,
    );
  });
});
