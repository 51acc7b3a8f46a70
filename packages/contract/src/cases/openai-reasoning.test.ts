/**
 * The reasoning case against the vLLM mock served with and without `--reasoning-parser`, per
 * release era, and against a server that puts the markers in its content, so the case is seen
 * to pass, skip and fail.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { startRuntimeMock } from "@servingkit/mocks";
import { afterAll, describe, expect, it } from "vitest";
import { runContract } from "../run-contract.js";
import type { Target } from "../target.js";
import { openaiReasoningCases, reasoningFieldsOf } from "./openai-reasoning.js";

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all(closers.map((close) => close()));
});

async function vllmMock(values: Record<string, string>): Promise<string> {
  const mock = await startRuntimeMock({
    runtime: "vllm",
    host: "127.0.0.1",
    httpPort: 0,
    logger: false,
    values,
  });
  closers.push(() => mock.close());
  return mock.endpoints.http as string;
}

async function outcome(rest: string, index = 0): Promise<string> {
  const target: Target = { name: "t:vllm", group: "t", runtime: "vllm", rest };
  const cases = openaiReasoningCases.slice(index, index + 1);
  const report = await runContract({ targets: [target], cases });
  const result = report.results[0];
  return result?.status === "pass" ? "pass" : `${result?.status}: ${result?.message ?? ""}`;
}

/** A server that answers as a 0.12 vLLM whose parser let the markers through. */
async function leakingServer(): Promise<string> {
  const message = {
    role: "assistant",
    content: "</think>\n\n4.",
    reasoning: "Two plus two.",
    reasoning_content: "Two plus two.",
  };
  const server: Server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on("end", () => {
      response.setHeader("content-type", "application/json");
      if (request.url === "/version") response.end(JSON.stringify({ version: "0.12.0" }));
      else if (request.url === "/v1/models") response.end(JSON.stringify({ data: [{ id: "m" }] }));
      else if (JSON.parse(body).stream !== true) {
        response.end(JSON.stringify({ choices: [{ index: 0, message }] }));
      } else {
        response.setHeader("content-type", "text/event-stream");
        response.end("data: [DONE]\n\n");
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("the reasoning case", () => {
  it.for([
    ["deepseek_r1", "0.10.2"],
    ["deepseek_r1", "0.12.0"],
    ["qwen3", "0.14.0"],
    ["granite", "0.12.0"],
    ["deepseek_r1", "0.17.0"],
  ] as const)("passes on the mock with %s at vLLM %s", async ([parser, version]) => {
    const rest = await vllmMock({ "reasoning-parser": parser, "vllm-version": version });
    expect(await outcome(rest)).toBe("pass");
  });

  it("skips a target served without a parser, saying why", async () => {
    expect(await outcome(await vllmMock({}))).toBe(
      "skip: the target answered no reasoning: served without --reasoning-parser",
    );
  });

  it("fails where the release's fields or the markers are wrong", async () => {
    expect(await outcome(await leakingServer())).toMatch(/^fail: no marker in content/);
    // A 0.12.0 mock reporting 0.18.0 would answer both fields where 0.18 has `reasoning` alone.
    expect(reasoningFieldsOf([0, 18, 0])).toEqual(["reasoning"]);
    expect(reasoningFieldsOf([0, 16, 0])).toEqual(["both", "reasoning"]);
    expect(reasoningFieldsOf([0, 12, 0])).toEqual(["both"]);
    expect(reasoningFieldsOf([0, 11, 1])).toEqual(["reasoning_content", "both"]);
  });
});

describe("the Responses reasoning case", () => {
  it.for([
    ["deepseek_r1", "0.10.1"],
    ["deepseek_r1", "0.12.0"],
    ["qwen3", "0.14.0"],
    ["deepseek_r1", "0.18.0"],
  ] as const)("passes on the mock with %s at vLLM %s", async ([parser, version]) => {
    const rest = await vllmMock({ "reasoning-parser": parser, "vllm-version": version });
    expect(await outcome(rest, 1)).toBe("pass");
  });

  it("fails where a marker reaches the output", async () => {
    const output = [
      { type: "reasoning", summary: [], content: [{ type: "reasoning_text", text: "Two." }] },
      { type: "message", content: [{ type: "output_text", text: "</think>4." }] },
    ];
    const server: Server = createServer((request, response) => {
      response.setHeader("content-type", "application/json");
      if (request.url === "/version") response.end(JSON.stringify({ version: "0.10.1" }));
      else if (request.url === "/v1/models") response.end(JSON.stringify({ data: [{ id: "m" }] }));
      else response.end(JSON.stringify({ output }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const rest = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect(await outcome(rest, 1)).toMatch(/^fail: no marker in the output items/);
  });

  it("skips without a parser and before the Responses API", async () => {
    expect(await outcome(await vllmMock({}), 1)).toBe(
      "skip: the target answered no reasoning item: served without --reasoning-parser",
    );
    const old = await vllmMock({ "reasoning-parser": "deepseek_r1", "vllm-version": "0.9.2" });
    expect(await outcome(old, 1)).toBe("skip: no Responses API before vLLM 0.10");
  });
});
