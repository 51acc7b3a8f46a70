/**
 * The release-dependent vLLM protocol cases against the vLLM mock as each release answers
 * (`--vllm-version`), and against a proxy that reports another release, so a case keyed on the
 * release is seen to fail when the answers do not match it.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultModelDir } from "@servingkit/mock-core";
import { startRuntimeMock } from "@servingkit/mocks";
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

describe("the /classify case", () => {
  const classifyCase = vllmCases.filter((c) => c.id === "openai/classify");
  async function outcome(rest: string): Promise<{ status: CaseStatus; message?: string }> {
    const target: Target = { name: "t:vllm", group: "t", runtime: "vllm", rest };
    const report = await runContract({ targets: [target], cases: classifyCase });
    const result = report.results[0];
    return { status: result?.status ?? "fail", message: result?.message ?? "" };
  }

  // docs models/pooling_models: a *ForSequenceClassification config.json is served as a
  // classifier; id2label names its labels.
  it("passes against the mock serving a classifier", async () => {
    const dir = await mkdtemp(join(tmpdir(), "contract-classifier-"));
    await cp(defaultModelDir, dir, { recursive: true });
    const path = join(dir, "config.json");
    const config = JSON.parse(await readFile(path, "utf8"));
    config.architectures = ["BertForSequenceClassification"];
    config.id2label = { "0": "negative", "1": "positive" };
    await writeFile(path, JSON.stringify(config));
    const mock = await startRuntimeMock({
      runtime: "vllm",
      host: "127.0.0.1",
      httpPort: 0,
      logger: false,
      models: [dir],
      values: { model: dir },
    });
    try {
      expect(await outcome(mock.endpoints.http as string)).toEqual({ status: "pass", message: "" });
    } finally {
      await mock.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  // api_server.py create_classify: a generative model answers "does not support"; the case skips.
  it("skips, saying why, against a generative model and a release before 0.9.0", async () => {
    const generative = await outcome(await vllmMock("0.12.0"));
    expect(generative.status).toBe("skip");
    expect(generative.message).toMatch(/generative model/);
    const old = await outcome(await vllmMock("0.8.5"));
    expect(old.status).toBe("skip");
    expect(old.message).toMatch(/predates \/classify/);
  });
});
