/**
 * The structured-output and validation cases against the vLLM mock as each release era answers
 * (`--vllm-version`), so the release gating is exercised and not only the newest era that the
 * contract groups run; and against a server reporting the wrong release, so a case that keys its
 * request on the release is seen to fail.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
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

const fourPass: readonly CaseStatus[] = ["pass", "pass", "pass", "pass"];

/** What each era answers, per case in catalog order. */
const eras: readonly (readonly [string, readonly CaseStatus[]])[] = [
  // schema string, schema not an object, completions json_object, completions json_schema,
  // missing json_schema object, text.format, reasoning.effort; before-validator wins,
  // temperature -1, top_p 0, top_logprobs with a falsy logprobs (these four in every release)
  ["0.8.0", ["pass", "pass", "skip", "skip", "skip", "skip", "skip", ...fourPass]],
  ["0.9.1", ["pass", "pass", "pass", "skip", "skip", "skip", "skip", ...fourPass]],
  ["0.10.0", ["pass", "pass", "pass", "skip", "skip", "pass", "pass", ...fourPass]],
  ["0.10.1", ["pass", "pass", "pass", "skip", "skip", "pass", "pass", ...fourPass]],
  ["0.10.2", ["pass", "pass", "pass", "pass", "skip", "pass", "pass", ...fourPass]],
  ["0.12.0", ["pass", "pass", "pass", "pass", "skip", "pass", "pass", ...fourPass]],
  ["0.13.0", ["pass", "pass", "pass", "pass", "skip", "pass", "pass", ...fourPass]],
  ["0.14.0", ["pass", "pass", "pass", "pass", "skip", "pass", "pass", ...fourPass]],
  ["0.16.0", ["pass", "pass", "pass", "pass", "skip", "pass", "pass", ...fourPass]],
  ["0.17.0", ["pass", "pass", "pass", "pass", "pass", "pass", "pass", ...fourPass]],
  ["0.18.0", ["pass", "pass", "pass", "pass", "pass", "pass", "pass", ...fourPass]],
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

  // vLLM PR #31870 (0.14.0, inferred): SamplingParams checks name their parameter from it.
  it("fails the sampling cases when param does not follow the release", async () => {
    const unnamed = await outcomes(await misreporting(await vllmMock("0.13.0"), "0.14.0"));
    expect(unnamed["openai/temperature-negative"]).toMatch(
      /^fail: temperature: param from 0\.14\.0/,
    );
    expect(unnamed["openai/top-p-zero"]).toMatch(/^fail: top_p: param from 0\.14\.0/);
    const named = await outcomes(await misreporting(await vllmMock("0.14.0"), "0.13.0"));
    expect(named["openai/temperature-negative"]).toMatch(/^fail: temperature: message/);
    expect(named["openai/top-p-zero"]).toMatch(/^fail: top_p: message/);
  });

  // vLLM PR #30134 (0.13.0): check_logprobs names top_logprobs from it.
  it("fails the top_logprobs case when param does not follow the release", async () => {
    const unnamed = await outcomes(await misreporting(await vllmMock("0.12.0"), "0.13.0"));
    expect(unnamed["openai/top-logprobs-needs-logprobs"]).toMatch(
      /^fail: top_logprobs: message names .*\(parameter=top_logprobs\)/,
    );
    const named = await outcomes(await misreporting(await vllmMock("0.13.0"), "0.12.0"));
    expect(named["openai/top-logprobs-needs-logprobs"]).toMatch(/^fail: param before 0\.13\.0/);
  });
});

/**
 * A server answering the tool_choice body as it would if `check_tool_usage` were an after
 * validator: pydantic validates the fields first and stops at their errors, so the 400 lists
 * `n`'s int_parsing and never the tools message. The before-validator case must fail on it.
 */
async function fieldsFirstServer(): Promise<string> {
  const entry =
    "[{'type': 'int_parsing', 'loc': ('body', 'n'), 'msg': 'Input should be a valid integer, unable to parse string as an integer', 'input': 'two'}]";
  const server = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      const reply = (status: number, body: unknown) => {
        response.writeHead(status, { "content-type": "application/json" });
        response.end(JSON.stringify(body));
      };
      if (request.url === "/version") reply(200, { version: "0.18.0" });
      else if (request.url === "/v1/models") reply(200, { object: "list", data: [{ id: "m" }] });
      else
        reply(400, { error: { message: entry, type: "BadRequestError", param: null, code: 400 } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const closers: (() => Promise<void>)[] = [];
afterAll(() => Promise.all(closers.map((close) => close())));

describe("a server that validates fields before check_tool_usage", () => {
  it("fails the before-validator case", async () => {
    const got = await outcomes(await fieldsFirstServer());
    expect(got["openai/before-validator-wins"]).toMatch(
      /^fail: tool_choice without tools: message names 'value_error'/,
    );
  });
});
