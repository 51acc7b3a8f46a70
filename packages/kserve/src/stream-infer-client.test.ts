/**
 * The client's streamInfer (gRPC ModelStreamInfer) against the Triton mock: server
 * src/grpc/stream_infer_handler.cc (`Process`, `StreamInferResponseComplete`), the vLLM
 * backend's decoupled `vllm_model` (vllm_backend src/model.py, src/utils/request.py), and
 * tritonclient's `stream_infer` / `enable_empty_final_response`.
 */
import { Code, ServingkitError } from "@servingkit/client-core";
import { afterEach, describe, expect, it } from "vitest";
import { encodeGrpcInferRequest } from "./grpc-infer-request.js";
import {
  createKserveClient,
  type InferRequest,
  type KserveClient,
  type KserveClientOptions,
  type StreamInferResult,
} from "./index.js";
import { closeAll, inferenceClient, startKserve, startVllmTriton } from "./mock/test-mocks.js";
import { textOutput, vllmGenerateBody, vllmInferRequest } from "./vllm-text.js";

const clients: KserveClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  await closeAll();
});

function connect(options: KserveClientOptions): KserveClient {
  const client = createKserveClient(options);
  clients.push(client);
  return client;
}

async function start(values: Record<string, string> = {}, contents = false) {
  const triton = await startVllmTriton(values);
  const grpc = connect({
    transport: "grpc",
    address: triton.mock.endpoints.grpc as string,
    inputEncoding: contents ? "contents" : "raw",
    maxRetries: 0,
  });
  return { ...triton, grpc };
}

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of stream) out.push(item);
  return out;
}

const caught = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: unknown) => e as ServingkitError,
  );

const greedy = { max_tokens: 4, temperature: 0, ignore_eos: true };

const sixteen = Int32Array.from({ length: 16 }, (_, i) => i);
const simple: InferRequest = {
  id: "s1",
  inputs: [
    { name: "INPUT0", datatype: "INT32", shape: [1, 16], data: sixteen },
    { name: "INPUT1", datatype: "INT32", shape: [1, 16], data: new Int32Array(16).fill(1) },
  ],
};

describe.each([false, true])("streamInfer on vllm_model (typed contents: %s)", (contents) => {
  it("stream true: one result per token, final only on the last; the text is generate's", async () => {
    const { grpc, base } = await start({}, contents);
    const request = { prompt: "Hello there", samplingParameters: greedy, id: "r1" };
    const results = await collect(
      grpc.streamInfer("vllm_model", [
        vllmInferRequest({ ...request, stream: true, excludeInputInOutput: true }),
      ]),
    );
    // StreamInferResponseComplete: triton_final_response on each, true on the last.
    expect(results.map((r) => r.final)).toEqual([false, false, false, true]);
    expect(results.every((r) => r.id === "r1" && r.error === undefined)).toBe(true);
    expect(results[0]?.response).toMatchObject({ modelName: "vllm_model", modelVersion: "1" });
    const rest = connect({ baseUrl: base, maxRetries: 0 });
    const whole = await rest.generate(
      "vllm_model",
      vllmGenerateBody({ ...request, excludeInputInOutput: true }),
    );
    expect(results.map((r) => textOutput(r.response as never)).join("")).toBe(textOutput(whole));
  });
});

describe("streamInfer", () => {
  it("several requests on one call, from an async iterable: each answered under its id", async () => {
    const { grpc } = await start();
    async function* requests() {
      yield vllmInferRequest({ prompt: "A", samplingParameters: greedy, stream: true, id: "a" });
      yield simple;
      yield vllmInferRequest({ prompt: "B", samplingParameters: greedy, id: "b" });
    }
    const results = await collect(grpc.streamInfer("vllm_model", requests()));
    const byId = (id: string) => results.filter((r) => r.id === id);
    expect(byId("a")).toHaveLength(4);
    expect(byId("a").filter((r) => r.final)).toHaveLength(1);
    // Not streaming: one response with the prompt in front (no exclude_input_in_output).
    expect(byId("b")).toHaveLength(1);
    expect(textOutput(byId("b")[0]?.response as never).startsWith("B")).toBe(true);
    // Every request goes to the call's model: `s1` (simple's INT32 inputs) is refused by
    // vllm_model under its id (Process: error_message), and the others are answered.
    expect(byId("s1")).toEqual([
      expect.objectContaining({ response: undefined, final: true, id: "s1" }),
    ]);
    expect(byId("s1")[0]?.error).toMatch(/expected number of inputs between 2 and 11/);
  });

  it("n = 2: one result per child output, final only when every child is done", async () => {
    // vllm/v1/engine/parallel_sampling.py: the parent output is finished when no child runs.
    const { grpc } = await start();
    const request = vllmInferRequest({
      prompt: "Hi",
      stream: true,
      samplingParameters: { n: 2, max_tokens: 2, temperature: 0, ignore_eos: true },
    });
    const results = await collect(grpc.streamInfer("vllm_model", [request]));
    expect(results.map((r) => r.final)).toEqual([false, false, false, true]);
  });

  it("a non-decoupled model (simple): one response, final, outputs decoded as infer's", async () => {
    const { grpc } = await start();
    const stream = grpc.streamInfer("simple", [simple]);
    const [result, ...more] = await collect(stream);
    expect(more).toEqual([]);
    // Single use, as every servingkit stream.
    expect((await caught(collect(stream)))?.code).toBe(Code.FailedPrecondition);
    expect(result?.final).toBe(true);
    expect(result?.id).toBe("s1");
    expect(result?.response?.outputs[0]?.data).toEqual(Int32Array.from(sixteen, (v) => v + 1));
  });

  it("a failed request is an error result with Triton's text and the id; the next is answered", async () => {
    // stream_infer_handler.cc Process: error_message and an infer_response with only the id.
    const { grpc } = await start();
    const results = await collect(grpc.streamInfer("nope", [{ id: "n1", inputs: [] }]));
    expect(results).toEqual([
      {
        response: undefined,
        error: "Request for unknown model: 'nope' is not found",
        final: true,
        id: "n1",
      },
    ]);
    const bad = vllmInferRequest({
      prompt: "Hi",
      stream: true,
      samplingParameters: { temperature: -1 },
    });
    const after = await collect(
      grpc.streamInfer("vllm_model", [
        { ...bad, id: "x" },
        vllmInferRequest({ prompt: "Hi", id: "y" }),
      ]),
    );
    expect(after[0]).toMatchObject({
      error: "Error generating stream: 'NoneType' object has no attribute 'lora_name'",
      final: true,
      id: "x",
    });
    expect(after[1]).toMatchObject({ id: "y", final: true, error: undefined });
  });

  it("enableEmptyFinalResponse sends triton_enable_empty_final_response as a bool_param", async () => {
    // tritonclient async_stream_infer: request.parameters["triton_enable_empty_final_response"].bool_param = True
    const encoded = encodeGrpcInferRequest("m", undefined, { inputs: [] }, true, true);
    expect(encoded.parameters?.triton_enable_empty_final_response).toMatchObject({
      parameterChoice: { case: "boolParam", value: true },
    });
    expect(encodeGrpcInferRequest("m", "2", { inputs: [] }, true, false)).toMatchObject({
      modelVersion: "2",
      parameters: {},
    });
    // The mock reads it and sends vllm_model's tokens as before (the backend flags its last one).
    const { grpc } = await start();
    const results = await collect(
      grpc.streamInfer(
        "vllm_model",
        [vllmInferRequest({ prompt: "Hi", stream: true, samplingParameters: greedy })],
        { enableEmptyFinalResponse: true },
      ),
    );
    expect(results.map((r) => r.final)).toEqual([false, false, false, true]);
  });

  it("break cancels the call: the mock counts the cancellation (ModelStatistics)", async () => {
    // stream_infer_handler.cc: a cancelled context cancels the request; core infer_stats.cc
    // UpdateResponseCancel counts it at the next response index.
    const { grpc, mock } = await start({ "inter-token-latency": "20" });
    const long = vllmInferRequest({
      prompt: "Hello",
      stream: true,
      samplingParameters: { max_tokens: 500, ignore_eos: true },
    });
    let seen: StreamInferResult | undefined;
    for await (const result of grpc.streamInfer("vllm_model", [long])) {
      seen = result;
      break;
    }
    expect(seen?.final).toBe(false);
    const stats = inferenceClient(mock);
    const cancels = async () => {
      const body = (await stats.unary("ModelStatistics", { name: "vllm_model" })) as {
        model_stats: { response_stats: Record<string, { cancel: { count: string } }> }[];
      };
      const r = body.model_stats[0]?.response_stats ?? {};
      return Object.values(r).reduce((n, d) => n + Number(d.cancel.count), 0);
    };
    let count = await cancels();
    for (let i = 0; i < 100 && count === 0; i += 1) {
      await new Promise((r) => setTimeout(r, 20));
      count = await cancels();
    }
    expect(count).toBe(1);
  });

  it("signal aborts the call with Code.Canceled", async () => {
    const { grpc } = await start({ "inter-token-latency": "20" });
    const abort = new AbortController();
    const long = vllmInferRequest({
      prompt: "Hello",
      stream: true,
      samplingParameters: { max_tokens: 500, ignore_eos: true },
    });
    const error = await caught(
      (async () => {
        for await (const _ of grpc.streamInfer("vllm_model", [long], { signal: abort.signal })) {
          abort.abort();
        }
      })(),
    );
    expect(error?.code).toBe(Code.Canceled);
  });

  it("bad input data fails the call with a ServingkitError, no hang", async () => {
    const { grpc } = await start();
    const error = await caught(
      collect(
        grpc.streamInfer("simple", [
          { inputs: [{ name: "INPUT0", datatype: "INT32", shape: [1, 1], data: ["x"] }] },
        ]),
      ),
    );
    expect(error).toBeInstanceOf(ServingkitError);
    expect(error?.code).toBe(Code.InvalidArgument);
    expect(error?.rawMessage).toBe("input data does not fit INT32 (not-number)");
    // The requests' own failure comes through as it was thrown, not as connect's INTERNAL.
    async function* failing(): AsyncGenerator<InferRequest> {
      yield simple;
      throw new RangeError("no more prompts");
    }
    const mine = await caught(collect(grpc.streamInfer("simple", failing())));
    expect(mine?.rawMessage).toBe("no more prompts");
    expect(mine?.cause).toBeInstanceOf(RangeError);
  });

  it("over REST: a clear Unimplemented error (ModelStreamInfer has no REST twin)", async () => {
    const { base } = await start();
    const rest = connect({ baseUrl: base });
    expect(() => rest.streamInfer("vllm_model", [])).toThrow(
      expect.objectContaining({ code: Code.Unimplemented }),
    );
  });

  it("TLS and a token (kserve-v2.md §5); without the token Unauthenticated", async () => {
    const mock = await startKserve("triton", {}, { tls: true, tokens: ["secret"] }, ["vllm_model"]);
    const address = mock.endpoints.grpc as string;
    const tls = { ca: mock.certificatePem as string };
    const grpc = connect({ transport: "grpc", address, token: "secret", tls, maxRetries: 0 });
    const request = vllmInferRequest({ prompt: "Hi", stream: true, samplingParameters: greedy });
    expect(await collect(grpc.streamInfer("vllm_model", [request]))).toHaveLength(4);
    const anonymous = connect({ transport: "grpc", address, tls, maxRetries: 0 });
    const error = await caught(collect(anonymous.streamInfer("vllm_model", [request])));
    expect(error?.code).toBe(Code.Unauthenticated);
  });
});
