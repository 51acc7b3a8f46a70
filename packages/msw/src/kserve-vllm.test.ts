/**
 * Triton's vLLM backend sample model (`vllm_model`, a decoupled model) through msw's
 * kserveHandlers, which serve the kserve mock's own route table: generate_stream gives one SSE
 * event per response, generate the exactly-one-response rule, infer the decoupled refusal
 * (triton-inference-server/server src/http_server.cc; vllm_backend src/utils/request.py).
 */
import { ServingkitError } from "@servingkit/client-core";
import { createKserveClient, textOutput, vllmGenerateBody } from "@servingkit/kserve";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, expect, it } from "vitest";
import { kserveHandlers } from "./kserve-handlers.js";

const baseUrl = "http://triton-vllm.test";
const server = setupServer(
  ...kserveHandlers({ runtime: "triton", baseUrl, models: ["vllm_model"] }),
);
beforeAll(() => server.listen({ onUnhandledFrame: "bypass" }));
afterAll(() => server.close());

const post = (route: string, body: unknown) =>
  fetch(`${baseUrl}/v2/models/vllm_model/${route}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

it("generate_stream: one event per generated token, the new text in each (stream true)", async () => {
  const res = await post("generate_stream", {
    text_input: "Hello",
    stream: true,
    parameters: { max_tokens: 5, temperature: 0, ignore_eos: true },
  });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
  const text = await res.text();
  const events = text.split("\n\n").filter((e) => e !== "");
  expect(events).toHaveLength(5);
  const whole = (await (
    await post("generate", {
      text_input: "Hello",
      stream: false,
      exclude_input_in_output: true,
      parameters: { max_tokens: 5, temperature: 0, ignore_eos: true },
    })
  ).json()) as { text_output: string };
  const joined = events
    .map((e) => (JSON.parse(e.slice("data: ".length)) as { text_output: string }).text_output)
    .join("");
  expect(joined).toBe(whole.text_output);
});

it("generate with stream true: Triton's exactly-one-response error under 200", async () => {
  const res = await post("generate", {
    text_input: "Hello",
    stream: true,
    parameters: { max_tokens: 3, ignore_eos: true },
  });
  expect(res.status).toBe(200);
  expect(((await res.json()) as { error: string }).error).toMatch(
    /^generate expects model to produce exactly 1 response/,
  );
});

it("the kserve client's infer is refused: 501, HTTP end point doesn't support decoupled models", async () => {
  const client = createKserveClient({ baseUrl, maxRetries: 0 });
  const error = await client
    .infer("vllm_model", {
      inputs: [
        { name: "text_input", datatype: "BYTES", shape: [1], data: ["Hi"] },
        { name: "stream", datatype: "BOOL", shape: [1], data: [false] },
      ],
    })
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ServingkitError);
  expect((error as ServingkitError).httpStatus).toBe(501);
  expect((error as ServingkitError).rawMessage).toBe(
    "HTTP end point doesn't support models with decoupled transaction policy",
  );
});

it("the kserve client's generate and generateStream read msw's answers as the mock's (one handler code)", async () => {
  // The client's generate extension calls (kserve generate-client.ts) against the same route table
  // the network mock serves; its own tests pin the wire against the Triton mock.
  const client = createKserveClient({ baseUrl, maxRetries: 0 });
  const request = {
    prompt: "Hello",
    samplingParameters: { max_tokens: 5, temperature: 0, ignore_eos: true },
    excludeInputInOutput: true,
  };
  const whole = await client.generate("vllm_model", vllmGenerateBody(request));
  const pieces: string[] = [];
  for await (const event of client.generateStream(
    "vllm_model",
    vllmGenerateBody({ ...request, stream: true }),
  )) {
    pieces.push(textOutput(event));
  }
  expect(pieces).toHaveLength(5);
  expect(pieces.join("")).toBe(textOutput(whole));
  const refused = await client
    .generate("vllm_model", vllmGenerateBody({ ...request, stream: true }))
    .catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(ServingkitError);
  expect((refused as ServingkitError).rawMessage).toMatch(
    /^generate expects model to produce exactly 1 response/,
  );
});
