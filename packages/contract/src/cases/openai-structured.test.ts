/**
 * The structured-output and validation cases against the vLLM mock as each release era answers
 * (`--vllm-version`), so the release gating is exercised and not only the newest era that the
 * contract groups run; and against a server reporting the wrong release, so a case that keys its
 * request on the release is seen to fail.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { CaseStatus } from "../report.js";
import { runContract } from "../run-contract.js";
import type { Target } from "../target.js";
import { closeAll, misreporting, vllmMock } from "../testdata/vllm-servers.js";
import { openaiStructuredCases } from "./openai-structured.js";

afterAll(closeAll);

const caseIds = openaiStructuredCases.map((c) => c.id);

async function outcomes(rest: string): Promise<Record<string, CaseStatus | string>> {
  const target: Target = { name: "t:vllm", group: "t", runtime: "vllm", rest };
  const report = await runContract({ targets: [target], cases: openaiStructuredCases });
  return Object.fromEntries(
    report.results.map((result) => [
      result.caseId,
      result.status === "fail" ? `fail: ${result.message ?? ""}` : result.status,
    ]),
  );
}

/** What each era answers, per case in catalog order. */
const eras: readonly (readonly [string, readonly CaseStatus[]])[] = [
  // schema string, schema not an object, completions json_object, completions json_schema,
  // missing json_schema object, text.format, reasoning.effort
  ["0.8.0", ["pass", "pass", "skip", "skip", "skip", "skip", "skip"]],
  ["0.9.1", ["pass", "pass", "pass", "skip", "skip", "skip", "skip"]],
  ["0.10.0", ["pass", "pass", "pass", "skip", "skip", "pass", "pass"]],
  ["0.10.1", ["pass", "pass", "pass", "skip", "skip", "pass", "pass"]],
  ["0.10.2", ["pass", "pass", "pass", "pass", "skip", "pass", "pass"]],
  ["0.12.0", ["pass", "pass", "pass", "pass", "skip", "pass", "pass"]],
  ["0.16.0", ["pass", "pass", "pass", "pass", "skip", "pass", "pass"]],
  ["0.17.0", ["pass", "pass", "pass", "pass", "pass", "pass", "pass"]],
  ["0.18.0", ["pass", "pass", "pass", "pass", "pass", "pass", "pass"]],
];

describe("the structured-output cases per vLLM release", () => {
  it.for(eras)("vLLM %s", async ([version, statuses]) => {
    const got = await outcomes(await vllmMock(version));
    expect(got).toEqual(Object.fromEntries(caseIds.map((id, i) => [id, statuses[i]])));
  });

  it("says why a Responses case is skipped: the release and the fact", async () => {
    const report = await runContract({
      targets: [{ name: "old:vllm", group: "old", runtime: "vllm", rest: await vllmMock("0.9.1") }],
      cases: openaiStructuredCases,
      include: ["vllm/openai/responses-text-format-refused"],
    });
    expect(report.results[0]?.message).toBe(
      "vLLM 0.9.1 predates the Responses API (vLLM PR #20504)",
    );
  });
});

describe("a server whose answers do not match its release", () => {
  // vllm PR #29326 (0.12.0) removed guided_json: a 0.12.0 server ignores it and answers 200,
  // where the 0.10.1 it claims to be refuses it.
  it("fails the not-an-object case when guided_json is ignored", async () => {
    const got = await outcomes(await misreporting(await vllmMock("0.12.0"), "0.10.1"));
    expect(got["openai/json-schema-not-object"]).toMatch(/^fail: guided_json: 5: status/);
  });

  // Before 0.10.2 structured_outputs is an unknown field, ignored (vllm PR #22772).
  it("fails the not-an-object case when structured_outputs is ignored", async () => {
    const got = await outcomes(await misreporting(await vllmMock("0.10.1"), "0.12.0"));
    expect(got["openai/json-schema-not-object"]).toMatch(
      /^fail: structured_outputs\.json: 5: status/,
    );
  });

  // Up to 0.10.1 completions validate a json_schema format and do not follow it (vllm PR #23212).
  it("fails the completions json_schema case where the schema is not followed", async () => {
    const got = await outcomes(await misreporting(await vllmMock("0.10.1"), "0.10.2"));
    expect(got["openai/completions-json-schema"]).toMatch(/^fail: /);
  });

  // Before vLLM PRs #35456/#35510 (0.17.0) the missing object trips an assertion: 500.
  it("fails the missing json_schema case on a server without the validator", async () => {
    const got = await outcomes(await misreporting(await vllmMock("0.16.0"), "0.17.0"));
    expect(got["openai/response-format-missing-json-schema"]).toMatch(
      /^fail: json_schema without its object: status/,
    );
  });

  it("fails the Responses cases on a server without /v1/responses", async () => {
    const got = await outcomes(await misreporting(await vllmMock("0.9.1"), "0.12.0"));
    expect(got["openai/responses-text-format-refused"]).toMatch(/^fail: text\.format .*status/);
    expect(got["openai/responses-reasoning-effort-refused"]).toMatch(/^fail: .*status/);
  });
});
