/**
 * Decoupled models over gRPC with an independent @grpc/grpc-js client (proto-loader, snake_case
 * fields): ModelInfer refuses them (server src/grpc/infer_handler.cc: UNSUPPORTED →
 * UNIMPLEMENTED; kserve-v2.md §4.4 quotes the text), ModelStreamInfer answers one ModelStreamInferResponse per model response with
 * `triton_final_response` (src/grpc/stream_infer_handler.cc `StreamInferResponseComplete`), the
 * flag-only final response only when `triton_enable_empty_final_response` is set; a decoupled
 * model read from a repository (config.pbtxt `model_transaction_policy { decoupled: true }`).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { closeAll, inferenceClient, startKserve, startVllmTriton } from "./test-mocks.js";

afterEach(closeAll);

type Message = Record<string, unknown>;

/** Writes `requests` on one ModelStreamInfer call, half-closes, and collects every message. */
function stream(
  client: ReturnType<typeof inferenceClient>,
  requests: object[],
): Promise<{ answers: Message[]; error?: grpc.ServiceError }> {
  return new Promise((resolve) => {
    const call = (
      client.raw.ModelStreamInfer as unknown as () => grpc.ClientDuplexStream<object, Message>
    ).call(client.raw);
    const answers: Message[] = [];
    call.on("data", (m: Message) => answers.push(m));
    call.on("end", () => resolve({ answers }));
    call.on("error", (error: grpc.ServiceError) => resolve({ answers, error }));
    for (const r of requests) call.write(r);
    call.end();
  });
}

const bytes = (text: string) => {
  const b = Buffer.from(text);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(b.length);
  return Buffer.concat([length, b]);
};

/** A vllm_model request as tritonclient sends it: raw contents, BYTES length-prefixed. */
function vllmRequest(prompt: string, streaming: boolean, parameters: Record<string, object> = {}) {
  return {
    model_name: "vllm_model",
    id: "r1",
    inputs: [
      { name: "text_input", datatype: "BYTES", shape: [1] },
      { name: "stream", datatype: "BOOL", shape: [1] },
      { name: "exclude_input_in_output", datatype: "BOOL", shape: [1] },
      { name: "sampling_parameters", datatype: "BYTES", shape: [1] },
    ],
    raw_input_contents: [
      bytes(prompt),
      Buffer.of(streaming ? 1 : 0),
      Buffer.of(1),
      bytes(JSON.stringify({ max_tokens: 4, temperature: 0, ignore_eos: true })),
    ],
    parameters,
  };
}

/** text_output's element of a response (raw BYTES: 4-byte length, then the text). */
function textOutput(answer: Message): string {
  const response = answer.infer_response as { raw_output_contents: Buffer[] };
  const raw = response.raw_output_contents[0] as Buffer;
  return raw.subarray(4, 4 + raw.readUInt32LE(0)).toString();
}

const finalFlag = (answer: Message) =>
  (
    (answer.infer_response as { parameters: Record<string, { bool_param: boolean }> }).parameters
      .triton_final_response as { bool_param: boolean }
  ).bool_param;

/** Triton's `simple` (two INT32 [1, 16] inputs) as a ModelStreamInfer request, plus `extra` fields. */
function simpleRequest(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const sixteen = Array.from({ length: 16 }, (_, i) => i);
  const input = (name: string) => ({
    name,
    datatype: "INT32",
    shape: [1, 16],
    contents: { int_contents: sixteen },
  });
  return { model_name: "simple", inputs: [input("INPUT0"), input("INPUT1")], ...extra };
}

describe("ModelInfer on a decoupled model", () => {
  it("UNIMPLEMENTED: ModelInfer RPC doesn't support models with decoupled transaction policy", async () => {
    const { mock } = await startVllmTriton();
    const failure = await inferenceClient(mock).failure("ModelInfer", vllmRequest("Hi", false));
    expect(failure).toEqual({
      code: 12,
      details: "ModelInfer RPC doesn't support models with decoupled transaction policy",
    });
  });
});

describe("ModelStreamInfer on vllm_model", () => {
  it("stream true: one message per token, the new text each, triton_final_response true on the last only", async () => {
    const { mock } = await startVllmTriton();
    const client = inferenceClient(mock);
    const { answers, error } = await stream(client, [vllmRequest("Hello there", true)]);
    expect(error).toBeUndefined();
    expect(answers).toHaveLength(4);
    expect(answers.map(finalFlag)).toEqual([false, false, false, true]);
    for (const a of answers) {
      expect(a.error_message).toBe("");
      expect(a.infer_response).toMatchObject({
        model_name: "vllm_model",
        model_version: "1",
        id: "r1",
      });
    }
    // The same request without streaming: one message with the whole text, final.
    const whole = await stream(client, [vllmRequest("Hello there", false)]);
    expect(whole.answers).toHaveLength(1);
    expect(finalFlag(whole.answers[0] as Message)).toBe(true);
    expect(answers.map(textOutput).join("")).toBe(textOutput(whole.answers[0] as Message));
  });

  it("the vllm_backend sample client's requests (samples/client.py): string sampling values, text_output only", async () => {
    const { mock } = await startVllmTriton();
    const sampling = { temperature: "0.1", top_p: "0.95", max_tokens: "100" };
    const request = (prompt: string, id: number, streaming: boolean) => ({
      model_name: "vllm_model",
      id: String(id),
      inputs: [
        { name: "text_input", datatype: "BYTES", shape: [1] },
        { name: "stream", datatype: "BOOL", shape: [1] },
        { name: "sampling_parameters", datatype: "BYTES", shape: [1] },
      ],
      outputs: [{ name: "text_output" }],
      raw_input_contents: [
        bytes(prompt),
        Buffer.of(streaming ? 1 : 0),
        bytes(JSON.stringify(sampling)),
      ],
      parameters: Object.fromEntries(
        Object.entries(sampling).map(([k, v]) => [k, { string_param: v }]),
      ),
    });
    const prompts = ["Hello, my name is", "The most dangerous animal is"];
    const { answers, error } = await stream(
      inferenceClient(mock),
      prompts.map((p, i) => request(p, i, false)),
    );
    expect(error).toBeUndefined();
    // The two run concurrently (stream_infer_handler.cc): the client matches them by id.
    answers.sort((x, y) =>
      (x.infer_response as { id: string }).id.localeCompare(
        (y.infer_response as { id: string }).id,
      ),
    );
    expect(answers.map((a) => (a.infer_response as { id: string }).id)).toEqual(["0", "1"]);
    for (const [i, a] of answers.entries()) {
      expect(
        (a.infer_response as { outputs: { name: string }[] }).outputs.map((o) => o.name),
      ).toEqual(["text_output"]);
      expect(textOutput(a).startsWith(prompts[i] as string)).toBe(true);
    }
    const streamed = await stream(inferenceClient(mock), [request(prompts[0] as string, 7, true)]);
    expect(streamed.answers.length).toBeGreaterThan(1);
    expect(streamed.answers.every((a) => a.error_message === "")).toBe(true);
  });

  it("the vLLM backend sends no flag-only final response: triton_enable_empty_final_response adds nothing", async () => {
    const { mock } = await startVllmTriton();
    const flagged = vllmRequest("Hi", true, {
      triton_enable_empty_final_response: { bool_param: true },
    });
    const { answers } = await stream(inferenceClient(mock), [flagged]);
    expect(answers.map(finalFlag)).toEqual([false, false, false, true]);
  });

  it("a model error: error_message, and an infer_response with only id, name, version, final flag", async () => {
    const { mock } = await startVllmTriton();
    const bad = vllmRequest("Hi", true);
    bad.raw_input_contents[3] = bytes(JSON.stringify({ temperature: -1 }));
    const { answers } = await stream(inferenceClient(mock), [bad, vllmRequest("Hi", false)]);
    expect(answers).toHaveLength(2);
    expect(answers[0]?.error_message).toBe(
      "Error generating stream: 'NoneType' object has no attribute 'lora_name'",
    );
    expect(answers[0]?.infer_response).toMatchObject({
      model_name: "vllm_model",
      model_version: "",
      id: "r1",
      outputs: [],
    });
    expect(finalFlag(answers[0] as Message)).toBe(true);
    // The stream goes on: the next request is answered.
    expect(answers[1]?.error_message).toBe("");
  });

  it("triton_enable_empty_final_response must be a bool_param", async () => {
    const { mock } = await startVllmTriton();
    const bad = vllmRequest("Hi", true, {
      triton_enable_empty_final_response: { string_param: "true" },
    });
    const { answers } = await stream(inferenceClient(mock), [bad]);
    expect(answers.map((a) => a.error_message)).toEqual([
      "invalid value type for 'triton_enable_empty_final_response' parameter, expected bool_param.",
    ]);
  });

  it("a non-decoupled model: one response flagged final; a request that cannot start: error_message and its id only", async () => {
    // stream_infer_handler.cc: StreamInferResponseComplete sets triton_final_response on every
    // response it writes; Process answers a failed start with the id "so that client knows which
    // request failed".
    const { mock } = await startVllmTriton();
    const { answers } = await stream(inferenceClient(mock), [
      simpleRequest(),
      { model_name: "nope", id: "n1" },
      { model_name: "vllm_model", id: "v1" },
    ]);
    expect(answers).toHaveLength(3);
    expect(finalFlag(answers[0] as Message)).toBe(true);
    expect(answers[1]).toMatchObject({
      error_message: "Request for unknown model: 'nope' is not found",
      infer_response: { id: "n1", model_name: "", parameters: {} },
    });
    expect(answers[2]).toMatchObject({
      error_message: expect.stringContaining("expected number of inputs between 2 and 11"),
      infer_response: { id: "v1", model_name: "", parameters: {} },
    });
  });

  it("triton_enable_empty_final_response on a non-decoupled model: read by the stream, not refused as a triton_ key", async () => {
    // grpc_utils.h TRITON_RESERVED_REQUEST_PARAMS: skipped when the request is built; a
    // non-decoupled model sends no flag-only final response, so nothing is added.
    const { mock } = await startVllmTriton();
    const { answers } = await stream(inferenceClient(mock), [
      simpleRequest({
        id: "s1",
        parameters: { triton_enable_empty_final_response: { bool_param: true } },
      }),
    ]);
    expect(answers).toHaveLength(1);
    expect(answers[0]?.error_message).toBe("");
    expect(finalFlag(answers[0] as Message)).toBe(true);
  });
});

describe("a client that cancels a ModelStreamInfer call", () => {
  it("ends every running request: the statistics count a cancellation, the mock goes on answering", async () => {
    // stream_infer_handler.cc: a cancelled gRPC context cancels the in-flight requests; core
    // infer_stats.cc UpdateResponseCancel counts it at the next response index.
    const { mock } = await startVllmTriton({ "inter-token-latency": "20" });
    const client = inferenceClient(mock);
    const long = (id: string) => {
      const r = { ...vllmRequest("Hello", true), id };
      r.raw_input_contents[3] = bytes(JSON.stringify({ max_tokens: 500, ignore_eos: true }));
      return r;
    };
    await new Promise<void>((resolve) => {
      const call = (
        client.raw.ModelStreamInfer as unknown as () => grpc.ClientDuplexStream<object, Message>
      ).call(client.raw);
      call.on("data", () => call.cancel());
      call.on("error", () => resolve());
      call.write(long("a"));
      call.write(long("b"));
    });
    const stats = async () =>
      (
        (await client.unary("ModelStatistics", { name: "vllm_model" })) as {
          model_stats: {
            inference_stats: { fail: { count: string } };
            response_stats: Record<string, { success: { count: string } }>;
          }[];
        }
      ).model_stats[0];
    // The server sees the cancellation a moment after the client: wait for both requests.
    let s = await stats();
    for (let i = 0; i < 50 && Number(s?.inference_stats.fail.count) < 2; i += 1) {
      await new Promise((r) => setTimeout(r, 20));
      s = await stats();
    }
    expect(Number(s?.inference_stats.fail.count)).toBe(2);
    // Far fewer than 500 responses were made before the runs ended.
    expect(Object.keys(s?.response_stats ?? {}).length).toBeLessThan(50);
    const { answers } = await stream(client, [vllmRequest("Hi", true)]);
    expect(answers.map(finalFlag)).toEqual([false, false, false, true]);
  });
});

describe("n > 1 on ModelStreamInfer", () => {
  it("one message per child output, triton_final_response true only when every child is done", async () => {
    // vllm/v1/engine/parallel_sampling.py: the parent's RequestOutput is finished when no child
    // runs; the backend (src/model.py _infer) flags that response final.
    const { mock } = await startVllmTriton();
    const request = vllmRequest("Hi", true);
    request.raw_input_contents[3] = bytes(
      JSON.stringify({ n: 2, max_tokens: 2, temperature: 0, ignore_eos: true }),
    );
    const { answers, error } = await stream(inferenceClient(mock), [request]);
    expect(error).toBeUndefined();
    expect(answers.map(finalFlag)).toEqual([false, false, false, true]);
  });
});

describe("several requests on one ModelStreamInfer stream (as genai-perf and tritonclient send them)", () => {
  const idOf = (answer: Message) => (answer.infer_response as { id: string }).id;

  it("run concurrently: responses interleave as produced, matched by id, each request's in order", async () => {
    // server src/grpc/stream_infer_handler.cc Process: each request is issued
    // (TRITONSERVER_ServerInferAsync) and the next read starts at once; a decoupled model's
    // responses are written as they are ready, so requests' responses interleave on the stream.
    const { mock } = await startVllmTriton({ "inter-token-latency": "25" });
    const { answers, error } = await stream(inferenceClient(mock), [
      { ...vllmRequest("Hello there", true), id: "a" },
      { ...vllmRequest("Good morning", true), id: "b" },
    ]);
    expect(error).toBeUndefined();
    const ofA = answers.filter((m) => idOf(m) === "a");
    const ofB = answers.filter((m) => idOf(m) === "b");
    expect(ofA.map(finalFlag)).toEqual([false, false, false, true]);
    expect(ofB.map(finalFlag)).toEqual([false, false, false, true]);
    // b's first token does not wait for a's last (they ran side by side, not in turn).
    expect(answers.indexOf(ofB[0] as Message)).toBeLessThan(answers.indexOf(ofA[3] as Message));
    // Each request's text is the one it gets alone (order within a request kept).
    const alone = await stream(inferenceClient(mock), [
      { ...vllmRequest("Good morning", true), id: "b" },
    ]);
    expect(ofB.map(textOutput).join("")).toBe(alone.answers.map(textOutput).join(""));
  });

  it("a non-decoupled request is answered at once, not after the running decoupled ones; errors per request, the stream stays open", async () => {
    // stream_infer_handler.cc: non-decoupled requests keep their order among themselves
    // (EnqueueForResponse); a request that cannot start is answered with error_message and
    // its id "so that client knows which request failed"; the stream finishes only once reads
    // are done and no request is in flight (IsRequestsCompleted).
    const { mock } = await startVllmTriton({ "inter-token-latency": "20" });
    const bad = { ...vllmRequest("Hi", true), id: "e" };
    bad.raw_input_contents[3] = bytes(JSON.stringify({ temperature: -1 }));
    const { answers, error } = await stream(inferenceClient(mock), [
      { ...vllmRequest("Hello there", true), id: "a" },
      simpleRequest({ id: "s1" }),
      { model_name: "nope", id: "n1" },
      bad,
      simpleRequest({ id: "s2" }),
      { ...vllmRequest("Good morning", false), id: "c" },
    ]);
    expect(error).toBeUndefined();
    const ids = answers.map(idOf);
    // The simple and failed-start answers keep their request order and come before a's last.
    const lastA = ids.lastIndexOf("a");
    expect(ids.filter((id) => id === "s1" || id === "n1" || id === "s2")).toEqual([
      "s1",
      "n1",
      "s2",
    ]);
    expect(ids.indexOf("s2")).toBeLessThan(lastA);
    expect(answers[ids.indexOf("n1")]?.error_message).toBe(
      "Request for unknown model: 'nope' is not found",
    );
    expect(answers[ids.indexOf("e")]).toMatchObject({
      error_message: "Error generating stream: 'NoneType' object has no attribute 'lora_name'",
      infer_response: { id: "e", model_name: "vllm_model", outputs: [] },
    });
    // The others are whole: a's four tokens, c's one response.
    expect(answers.filter((m) => idOf(m) === "a").map(finalFlag)).toEqual([
      false,
      false,
      false,
      true,
    ]);
    expect(answers.filter((m) => idOf(m) === "c").map(finalFlag)).toEqual([true]);
    expect(answers).toHaveLength(4 + 1 + 1 + 1 + 1 + 1);
  });
});

describe("a repository model with model_transaction_policy { decoupled: true }", () => {
  function repository(): string {
    const dir = mkdtempSync(join(tmpdir(), "decoupled-repo-"));
    mkdirSync(join(dir, "square", "1"), { recursive: true });
    writeFileSync(
      join(dir, "square", "config.pbtxt"),
      [
        'name: "square"',
        'backend: "python"',
        "max_batch_size: 0",
        "model_transaction_policy { decoupled: True }",
        'input [ { name: "IN" data_type: TYPE_INT32 dims: [ 1 ] } ]',
        'output [ { name: "OUT" data_type: TYPE_INT32 dims: [ 1 ] } ]',
      ].join("\n"),
    );
    return dir;
  }

  it("is refused by HTTP infer and ModelInfer, answers generate once, and the stream sends the final flag alone", async () => {
    const mock = await startKserve("triton", { "model-repository": repository() });
    const base = mock.endpoints.http as string;
    const config = (await (await fetch(`${base}/v2/models/square/config`)).json()) as {
      model_transaction_policy: unknown;
    };
    expect(config.model_transaction_policy).toEqual({ decoupled: true });
    const infer = await fetch(`${base}/v2/models/square/infer`, { method: "POST", body: "{}" });
    expect(infer.status).toBe(501);
    // One response, then the final flag alone: generate gets exactly one response.
    const generated = await fetch(`${base}/v2/models/square/generate`, {
      method: "POST",
      body: JSON.stringify({ IN: 3 }),
    });
    expect(generated.status).toBe(200);
    expect(JSON.parse(await generated.text())).toMatchObject({ model_name: "square" });
    const client = inferenceClient(mock);
    const request = (empty: boolean) => ({
      model_name: "square",
      id: "q",
      inputs: [{ name: "IN", datatype: "INT32", shape: [1], contents: { int_contents: [3] } }],
      parameters: empty ? { triton_enable_empty_final_response: { bool_param: true } } : {},
    });
    const plain = await stream(client, [request(false)]);
    expect(plain.answers.map(finalFlag)).toEqual([false]);
    const withEmpty = await stream(client, [request(true)]);
    expect(withEmpty.answers.map(finalFlag)).toEqual([false, true]);
    expect(withEmpty.answers[1]?.infer_response).toMatchObject({
      model_name: "square",
      id: "q",
      outputs: [],
      raw_output_contents: [],
    });
    const refused = await client.failure("ModelInfer", request(false));
    expect(refused.code).toBe(12);
  });
});

describe("structured outputs on ModelStreamInfer", () => {
  /** A streaming vllm_model request with these sampling parameters. */
  const constrained = (sampling: object) => {
    const request = vllmRequest("Answer", true);
    request.raw_input_contents[3] = bytes(JSON.stringify(sampling));
    return request;
  };

  // vllm_backend_utils.py from_dict passes structured_outputs to vLLM, which constrains the text:
  // the streamed tokens join into text the regex fully matches, a JSON value of the schema.
  it("streams text that follows the constraint, one message per token", async () => {
    const { mock } = await startVllmTriton();
    const client = inferenceClient(mock);
    const regex = await stream(client, [
      constrained({
        seed: 3,
        max_tokens: 40,
        structured_outputs: JSON.stringify({ regex: "[a-z]{10}-[0-9]{4}" }),
      }),
    ]);
    expect(regex.error).toBeUndefined();
    expect(regex.answers.length).toBeGreaterThan(1);
    expect(regex.answers.every((a) => a.error_message === "")).toBe(true);
    expect(regex.answers.map(textOutput).join("")).toMatch(/^[a-z]{10}-[0-9]{4}$/);
    expect(finalFlag(regex.answers.at(-1) as Message)).toBe(true);
    const schema = { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"] };
    const json = await stream(client, [
      constrained({ seed: 3, max_tokens: 40, guided_decoding: { json: schema } }),
    ]);
    const value = JSON.parse(json.answers.map(textOutput).join("")) as { ok: unknown };
    expect(typeof value.ok).toBe("boolean");
  });

  // model.py _infer: the engine's ValueError becomes TritonError("Error generating stream: {e}"),
  // sent as the request's one final response; the stream stays open for the next request.
  it("a refused grammar: error_message with vLLM's text, the stream goes on", async () => {
    const { mock } = await startVllmTriton();
    const { answers, error } = await stream(inferenceClient(mock), [
      constrained({ structured_outputs: JSON.stringify({ grammar: 'root ::= "a" root' }) }),
      vllmRequest("Hi", false),
    ]);
    expect(error).toBeUndefined();
    expect(answers).toHaveLength(2);
    expect(answers[0]?.error_message).toBe(
      "Error generating stream: Invalid grammar specification.",
    );
    expect(finalFlag(answers[0] as Message)).toBe(true);
    expect(answers[1]?.error_message).toBe("");
  });
});
