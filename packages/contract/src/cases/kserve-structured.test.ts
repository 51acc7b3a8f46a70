/**
 * The structured-output case against the Triton mock (it passes), and against servers it must
 * not pass: one whose vLLM backend ignores the constraint (free text under a json schema: a
 * fail), and one whose backend knows neither structured_outputs nor guided_decoding (a skip).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { startRuntimeMock } from "@servingkit/mocks";
import { afterAll, describe, expect, it } from "vitest";
import { runContract } from "../run-contract.js";
import type { Target } from "../target.js";
import { kserveStructuredCases } from "./kserve-structured.js";

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all(closers.map((close) => close()));
});

const inputs = ["text_input", "stream", "sampling_parameters", "return_finish_reason"].map(
  (name) => ({ name, datatype: name === "text_input" ? "BYTES" : "BOOL", shape: [1] }),
);

/** A fake Triton serving `vllm_model` whose generate answers `answer(body)`. */
async function fakeTriton(answer: (body: Record<string, unknown>) => [number, object]) {
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const [status, json] =
        request.url === "/v2/models/vllm_model"
          ? [200, { name: "vllm_model", platform: "vllm", inputs }]
          : request.url === "/v2/models/vllm_model/generate"
            ? answer(JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>)
            : [404, { error: "Not Found" }];
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(json));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function outcome(rest: string): Promise<string> {
  const target: Target = { name: "t:triton", group: "t", runtime: "triton", rest };
  const report = await runContract({ targets: [target], cases: kserveStructuredCases });
  const result = report.results[0];
  return result?.status === "fail" ? `fail: ${result.message ?? ""}` : String(result?.status);
}

describe("kserve/rest-generate-structured", () => {
  it("passes against the Triton mock's vllm_model", async () => {
    const mock = await startRuntimeMock({
      runtime: "triton",
      host: "127.0.0.1",
      httpPort: 0,
      logger: false,
    });
    closers.push(() => mock.close());
    expect(await outcome(mock.endpoints.http as string)).toBe("pass");
  });

  it("fails where the text ignores the constraint, skips where the backend knows no constraint", async () => {
    const free = await fakeTriton(() => [
      200,
      { model_name: "vllm_model", text_output: "The sky is blue.", finish_reason: "stop" },
    ]);
    expect(await outcome(free)).toMatch(/^fail: the constrained text: body is not JSON/);
    // from_dict's None for an unknown key (vllm_backend_utils.py), read by execute (model.py).
    const old = await fakeTriton(() => [
      500,
      { error: "Error generating stream: 'NoneType' object has no attribute 'lora_name'" },
    ]);
    expect(await outcome(old)).toBe("skip");
  });
});
