/**
 * The Responses and Messages cases against the vLLM mock as each release era answers
 * (`--vllm-version`), so the release gating is exercised, not only the newest era that the
 * contract groups run; and against a server that reports the wrong release, so a case that
 * expects a route (or its absence) is seen to fail.
 */
import { createServer, type Server } from "node:http";
import { afterAll, describe, expect, it } from "vitest";
import type { CaseStatus } from "../report.js";
import { runContract } from "../run-contract.js";
import type { Target } from "../target.js";
import { closeAll, misreporting, vllmMock } from "../testdata/vllm-servers.js";
import { openaiApiCases } from "./openai-apis.js";

const caseIds = openaiApiCases.map((c) => c.id);

afterAll(closeAll);

async function outcomes(rest: string): Promise<Record<string, CaseStatus | string>> {
  const target: Target = { name: "t:vllm", group: "t", runtime: "vllm", rest };
  const report = await runContract({ targets: [target], cases: openaiApiCases });
  return Object.fromEntries(
    report.results.map((result) => [
      result.caseId,
      result.status === "fail" ? `fail: ${result.message ?? ""}` : result.status,
    ]),
  );
}

/** What each era answers, per case, in catalog order (x-api-key needs a token: skipped here). */
const eras: readonly (readonly [string, readonly CaseStatus[]])[] = [
  // responses: route, shape, stream, unknown id, refusals, text echo; messages: route, shape,
  // stream, count_tokens; x-api-key; chat system_fingerprint
  [
    "0.9.1",
    [
      "pass",
      "skip",
      "skip",
      "skip",
      "skip",
      "skip",
      "pass",
      "skip",
      "skip",
      "skip",
      "skip",
      "pass",
    ],
  ],
  [
    "0.9.2",
    [
      "skip",
      "skip",
      "skip",
      "skip",
      "skip",
      "skip",
      "pass",
      "skip",
      "skip",
      "skip",
      "skip",
      "pass",
    ],
  ],
  [
    "0.10.0",
    [
      "pass",
      "pass",
      "skip",
      "pass",
      "pass",
      "pass",
      "pass",
      "skip",
      "skip",
      "skip",
      "skip",
      "pass",
    ],
  ],
  [
    "0.10.2",
    [
      "pass",
      "pass",
      "skip",
      "pass",
      "pass",
      "pass",
      "pass",
      "skip",
      "skip",
      "skip",
      "skip",
      "pass",
    ],
  ],
  [
    "0.11.0",
    [
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "skip",
      "skip",
      "skip",
      "skip",
      "pass",
    ],
  ],
  [
    "0.11.1",
    [
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "skip",
      "pass",
    ],
  ],
  [
    "0.12.0",
    [
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "skip",
      "pass",
    ],
  ],
  [
    "0.14.0",
    [
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "skip",
      "pass",
    ],
  ],
  [
    "0.17.0",
    [
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "skip",
      "pass",
    ],
  ],
  [
    "0.18.0",
    [
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "skip",
      "pass",
    ],
  ],
  [
    "0.19.0",
    [
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "skip",
      "pass",
    ],
  ],
  [
    "0.20.0",
    [
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "skip",
      "pass",
    ],
  ],
  [
    "0.21.0",
    [
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "skip",
      "pass",
    ],
  ],
];

describe("the Responses and Messages cases per vLLM release", () => {
  it.for(eras)("vLLM %s", async ([version, statuses]) => {
    const got = await outcomes(await vllmMock(version));
    expect(got).toEqual(Object.fromEntries(caseIds.map((id, i) => [id, statuses[i]])));
  });

  it("says why a case is skipped: the release and the fact", async () => {
    const target: Target = { name: "old:vllm", group: "old", runtime: "vllm" };
    const report = await runContract({
      targets: [{ ...target, rest: await vllmMock("0.11.0") }],
      cases: openaiApiCases,
      include: ["vllm/openai/messages-shape"],
    });
    expect(report.results[0]?.message).toBe("vLLM 0.11.0 predates /v1/messages (0.11.1)");
  });
});

describe("a server whose routes do not match its release", () => {
  it("fails the route cases: routes missing where the release has them", async () => {
    const got = await outcomes(await misreporting(await vllmMock("0.9.1"), "0.12.0"));
    expect(got["openai/responses-route"]).toMatch(/^fail: POST \/v1\/responses \{\}/);
    expect(got["openai/messages-route"]).toMatch(/^fail: POST \/v1\/messages \{\}/);
    expect(got["openai/responses-shape"]).toMatch(/^fail: status/);
    expect(got["openai/messages-stream-order"]).toMatch(/^fail: Messages stream: status/);
    // 0.12.0 has no count_tokens where a 0.17.0 would.
    const lacking = await outcomes(await misreporting(await vllmMock("0.12.0"), "0.17.0"));
    expect(lacking["openai/messages-count-tokens"]).toMatch(/^fail: count_tokens: status/);
  });

  it("fails the route cases: routes present where the release lacks them", async () => {
    const got = await outcomes(await misreporting(await vllmMock("0.12.0"), "0.9.1"));
    expect(got["openai/responses-route"]).toMatch(/^fail: .*status/);
    expect(got["openai/messages-route"]).toMatch(/^fail: .*status/);
    const early = await outcomes(await misreporting(await vllmMock("0.17.0"), "0.12.0"));
    expect(early["openai/messages-count-tokens"]).toMatch(/^fail: .*before 0\.17\.0: status/);
  });

  // vLLM PR #40537 (0.21.0): the fingerprint is stamped from 0.21.0 and null before, so a 0.20.0
  // server claiming 0.21.0 and a 0.21.0 server claiming 0.20.0 both fail the case.
  it("fails the fingerprint case from the other side of vLLM PR #40537", async () => {
    const older = await outcomes(await misreporting(await vllmMock("0.20.0"), "0.21.0"));
    expect(older["openai/chat-system-fingerprint"]).toMatch(
      /^fail: system_fingerprint from 0\.21\.0/,
    );
    const newer = await outcomes(await misreporting(await vllmMock("0.21.0"), "0.20.0"));
    expect(newer["openai/chat-system-fingerprint"]).toMatch(
      /^fail: system_fingerprint before 0\.21\.0/,
    );
  });

  // vLLM PR #29947 (0.18 here): content_index 0 throughout; before it, counting up per event.
  it("fails the stream case on content_index from the other side of vLLM PR #29947", async () => {
    const newer = await outcomes(await misreporting(await vllmMock("0.18.0"), "0.17.0"));
    expect(newer["openai/responses-stream-order"]).toMatch(
      /^fail: response\.output_text\.delta content_index/,
    );
    const older = await outcomes(await misreporting(await vllmMock("0.17.0"), "0.18.0"));
    expect(older["openai/responses-stream-order"]).toMatch(
      /^fail: response\.output_text\.delta content_index/,
    );
  });
});

const same = <T>(value: T) => value;

/**
 * A proxy to `upstream` that edits what passes: `request` rewrites a JSON body before it is sent
 * on, `reply` the answer's text before it comes back.
 */
async function editing(
  upstream: string,
  request: (body: Record<string, unknown>) => Record<string, unknown>,
  reply: (text: string) => string,
  path: (url: string) => string = same,
): Promise<string> {
  const server: Server = createServer((incoming, response) => {
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.on("end", () => {
      const body =
        chunks.length > 0
          ? JSON.stringify(request(JSON.parse(Buffer.concat(chunks).toString())))
          : undefined;
      const url = path(incoming.url ?? "/");
      fetch(`${upstream}${url}`, {
        method: url === incoming.url ? (incoming.method ?? "GET") : "GET",
        headers: { "content-type": "application/json" },
        ...(body !== undefined && { body }),
      }).then(async (answer) => {
        response.writeHead(answer.status, {
          "content-type": answer.headers.get("content-type") ?? "application/json",
        });
        response.end(reply(await answer.text()));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  proxies.push(server);
  const { port } = server.address() as { port: number };
  return `http://127.0.0.1:${port}`;
}

const proxies: Server[] = [];
afterAll(() => {
  for (const server of proxies) server.close();
});

describe("a server that does not answer as vLLM's ResponsesRequest and ResponsesResponse", () => {
  // protocol.py validate_prompt and include's Literal: a lax server that drops the fields it
  // does not know accepts what vLLM refuses, and fails the case at its first request.
  it("fails the refusals case when prompt and include are ignored", async () => {
    const lax = await editing(
      await vllmMock("0.12.0"),
      ({ prompt: _p, include: _i, ...rest }) => rest,
      same,
    );
    const got = await outcomes(lax);
    expect(got["openai/responses-refusals"]).toMatch(/^fail: prompt: status/);
    expect(got["openai/responses-shape"]).toBe("pass");
  });

  // api_router.py model_dump() without by_alias through 0.19.x (vLLM PR #38519 came after): a
  // server printing `schema` while reporting 0.12.0 is not that release.
  it("fails the text echo case when the schema prints under its alias before 0.20", async () => {
    const aliased = await editing(await vllmMock("0.12.0"), same, (text) =>
      text.replaceAll('"schema_":', '"schema":'),
    );
    const got = await outcomes(aliased);
    expect(got["openai/responses-text-echo"]).toMatch(
      /^fail: text\.format prints schema_, not schema/,
    );
  });

  // vLLM PR #38519 is in the v0.20.0 release notes, not 0.19.x: a 0.19.0 server printing the
  // alias `schema` lies about its release, and so does a 0.20.0 server still printing `schema_`.
  it("fails the text echo case on the wrong key for 0.19.0 and for 0.20.0", async () => {
    const early = await editing(await vllmMock("0.19.0"), same, (text) =>
      text.replaceAll('"schema_":', '"schema":'),
    );
    expect((await outcomes(early))["openai/responses-text-echo"]).toMatch(
      /^fail: text\.format prints schema_, not schema/,
    );
    const late = await editing(await vllmMock("0.20.0"), same, (text) =>
      text.replaceAll('"schema":', '"schema_":'),
    );
    expect((await outcomes(late))["openai/responses-text-echo"]).toMatch(
      /^fail: text\.format prints schema, not schema_/,
    );
  });

  // serving_responses.py cancel_responses: an unknown id is the same 404 as retrieve; a server
  // that answers cancel with 200 (here any cancel goes to GET /v1/models) fails the case.
  it("fails the unknown-id case when cancel answers 200", async () => {
    const lax = await editing(await vllmMock("0.12.0"), same, same, (url) =>
      url.endsWith("/cancel") ? "/v1/models" : url,
    );
    const got = await outcomes(lax);
    expect(got["openai/responses-unknown-id"]).toMatch(
      /^fail: POST \/v1\/responses\/<id>\/cancel: status/,
    );
  });
});
