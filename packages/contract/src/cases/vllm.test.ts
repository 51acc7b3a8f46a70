/**
 * The release-dependent vLLM protocol cases against the vLLM mock as each release answers
 * (`--vllm-version`), and against a proxy that reports another release, so a case keyed on the
 * release is seen to fail when the answers do not match it.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { CaseStatus } from "../report.js";
import { runContract } from "../run-contract.js";
import type { Target } from "../target.js";
import { closeAll, misreporting, vllmMock } from "../testdata/vllm-servers.js";
import { vllmCases } from "./vllm.js";

afterAll(closeAll);

const ids = [
  "openai/prompt-logprobs-negative",
  "openai/prompt-logprobs-zero-streams",
  "openai/logit-bias-key",
  "openai/completions-logprobs-negative",
  "openai/prompt-logprobs-all-vocab",
  "openai/logit-bias-out-of-vocab",
  "openai/truncate-prompt-tokens",
];
const cases = vllmCases.filter((c) => ids.includes(c.id));

async function outcomes(rest: string): Promise<Record<string, CaseStatus | string>> {
  const target: Target = { name: "t:vllm", group: "t", runtime: "vllm", rest };
  const report = await runContract({ targets: [target], cases });
  return Object.fromEntries(
    report.results.map((result) => [
      result.caseId,
      result.status === "fail" ? `fail: ${result.message ?? ""}` : result.status,
    ]),
  );
}

describe("the logprobs and logit_bias cases per vLLM release", () => {
  it.for(["0.10.2", "0.11.0", "0.13.0", "0.14.0", "0.18.0"])("vLLM %s", async (version) => {
    const got = await outcomes(await vllmMock(version));
    expect(got).toEqual(Object.fromEntries(ids.map((id) => [id, "pass"])));
  });
});

describe("a server whose answers do not match its release", () => {
  // vLLM PR #24956 (0.11.0 by dates): the negative prompt_logprobs text gained "or -1".
  it("fails the prompt_logprobs case from either side of 0.11.0", async () => {
    const newer = await outcomes(await misreporting(await vllmMock("0.11.0"), "0.10.2"));
    expect(newer["openai/prompt-logprobs-negative"]).toMatch(/^fail: before 0\.11\.0 the text/);
    const older = await outcomes(await misreporting(await vllmMock("0.10.2"), "0.11.0"));
    expect(older["openai/prompt-logprobs-negative"]).toMatch(/^fail: from 0\.11\.0 the text/);
  });

  // vLLM PR #24956 (0.11.0 by dates): chat -1 passes the validator and meets processor.py's bound.
  it("fails the prompt_logprobs -1 case from either side of 0.11.0", async () => {
    const newer = await outcomes(await misreporting(await vllmMock("0.11.0"), "0.10.2"));
    expect(newer["openai/prompt-logprobs-all-vocab"]).toMatch(
      /^fail: before 0\.11\.0 the validator refuses -1/,
    );
    const older = await outcomes(await misreporting(await vllmMock("0.10.2"), "0.11.0"));
    expect(older["openai/prompt-logprobs-all-vocab"]).toMatch(
      /^fail: from 0\.11\.0 the input processor's bound/,
    );
  });

  // vLLM PR #16529 (in 0.9.0): the input processor refuses out-of-vocabulary logit_bias keys.
  it("fails the out-of-vocabulary logit_bias case when the release predates the check", async () => {
    const older = await outcomes(await misreporting(await vllmMock("0.8.0"), "0.9.0"));
    expect(older["openai/logit-bias-out-of-vocab"]).toMatch(/^fail: status/);
  });

  // vLLM PR #22761 (taken as 0.10.2): truncate_prompt_tokens -1 passes Field(ge=-1).
  it("fails the truncate_prompt_tokens case from either side of 0.10.2", async () => {
    const newer = await outcomes(await misreporting(await vllmMock("0.10.2"), "0.10.1"));
    expect(newer["openai/truncate-prompt-tokens"]).toMatch(/^fail: before 0\.10\.2 Field\(ge=1\)/);
    const older = await outcomes(await misreporting(await vllmMock("0.10.1"), "0.10.2"));
    expect(older["openai/truncate-prompt-tokens"]).toMatch(/^fail: -1 from 0\.10\.2/);
  });

  // vLLM PR #30134 (0.13.0): the completions logprobs check names its parameter.
  it("fails the logprobs case from either side of 0.13.0", async () => {
    const newer = await outcomes(await misreporting(await vllmMock("0.13.0"), "0.12.0"));
    expect(newer["openai/completions-logprobs-negative"]).toMatch(/^fail: param from 0\.13\.0/);
    const older = await outcomes(await misreporting(await vllmMock("0.12.0"), "0.13.0"));
    expect(older["openai/completions-logprobs-negative"]).toMatch(/^fail: param from 0\.13\.0/);
  });
});
