/**
 * The client's generate and generateStream against the Triton mock's `vllm_model` (the vLLM
 * backend's sample model): Triton server docs/protocol/extension_generate.md, src/http_server.cc
 * (`HandleGenerate`, `GenerateRequestClass::SendChunkResponse`), vllm_backend src/utils/request.py.
 */
import { Code, ServingkitError } from "@servingkit/client-core";
import { afterEach, describe, expect, it } from "vitest";
import { createKserveClient, type KserveClient, type KserveClientOptions } from "./index.js";
import { closeAll, startKserve, startVllmTriton } from "./mock/test-mocks.js";
import { textOutput, vllmGenerateBody } from "./vllm-text.js";

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

async function start(values: Record<string, string> = {}) {
  const triton = await startVllmTriton(values);
  const client = connect({ baseUrl: triton.base, maxRetries: 0 });
  return { ...triton, client };
}

const caught = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: unknown) => e as ServingkitError,
  );

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of stream) out.push(item);
  return out;
}

const greedy = { max_tokens: 6, temperature: 0, ignore_eos: true };

describe("generate", () => {
  it("the flat answer as Triton sends it: model_name, model_version, text_output (prompt in front)", async () => {
    const { client, post } = await start();
    // vllm_backend README: {"text_input": ..., "parameters": {"stream": false, "temperature": 0}}
    const body = { text_input: "What is Triton?", parameters: { stream: false, temperature: 0 } };
    const answer = await client.generate("vllm_model", body);
    expect(answer).toEqual(await (await post("/v2/models/vllm_model/generate", body)).json());
    expect(answer.model_name).toBe("vllm_model");
    expect(answer.model_version).toBe("1");
    expect(typeof answer.text_output).toBe("string");
    expect(textOutput(answer).startsWith("What is Triton?")).toBe(true);
  });

  it("per version (/versions/1/generate), and the vLLM body helper", async () => {
    const { client } = await start();
    const body = vllmGenerateBody({
      prompt: "Hi",
      samplingParameters: greedy,
      excludeInputInOutput: true,
    });
    expect(body).toEqual({
      text_input: "Hi",
      stream: false,
      sampling_parameters: JSON.stringify(greedy),
      exclude_input_in_output: true,
    });
    const a = await client.generate("vllm_model", body, { version: "1" });
    const b = await client.generate("vllm_model", body);
    expect(a).toEqual(b);
    expect(textOutput(a).length).toBeGreaterThan(0);
    const missing = await caught(client.generate("vllm_model", body, { version: "7" }));
    expect(missing).toBeInstanceOf(ServingkitError);
    expect(missing?.httpStatus).toBeGreaterThanOrEqual(400);
  });

  it("bare NaN in the answer (cumulative_logprob without logprobs) is read as a number", async () => {
    // request.py create_response: None as float32 is NaN; triton_json.h writes it bare.
    const { client } = await start();
    const answer = await client.generate("vllm_model", {
      text_input: "Hi",
      stream: false,
      return_cumulative_logprob: true,
      parameters: { max_tokens: 2 },
    });
    expect(answer.cumulative_logprob).toBeNaN();
  });

  it("stream true on /generate: Triton's exactly-one-response error under 200 is thrown", async () => {
    // http_server.cc SendChunkResponse: the error JSON is written under the first response's 200.
    const { client } = await start();
    const error = await caught(
      client.generate("vllm_model", { text_input: "Hi", stream: true, parameters: greedy }),
    );
    expect(error).toBeInstanceOf(ServingkitError);
    expect(error?.code).toBe(Code.Unknown);
    expect(error?.httpStatus).toBe(200);
    expect(error?.rawMessage).toBe(
      "generate expects model to produce exactly 1 response, use generate stream for model that generates various number of responses",
    );
  });

  it("refusals keep Triton's message and status: an id is a parameter from_dict refuses; an unknown model", async () => {
    const { client } = await start();
    const refused = await caught(
      client.generate("vllm_model", { text_input: "Hi", stream: false, id: "r7" }),
    );
    expect(refused?.httpStatus).toBeGreaterThanOrEqual(400);
    expect(refused?.rawMessage).toMatch(/^Error generating stream: /);
    const unknown = await caught(client.generate("nope", { text_input: "Hi" }));
    expect(unknown?.code).toBe(Code.NotFound);
    expect(unknown?.rawMessage).toBe("Request for unknown model: 'nope' is not found");
  });

  it("over gRPC: a clear Unimplemented error (generate is a REST extension)", async () => {
    const { mock } = await start();
    const grpc = connect({ transport: "grpc", address: mock.endpoints.grpc as string });
    const error = await caught(grpc.generate("vllm_model", { text_input: "Hi" }));
    expect(error?.code).toBe(Code.Unimplemented);
    expect(error?.rawMessage).toMatch(/REST extension/);
    expect(() => grpc.generateStream("vllm_model", { text_input: "Hi" })).toThrow(/REST extension/);
  });
});

describe("generateStream", () => {
  it("one object per event, the new text in each; joined they are generate's whole text", async () => {
    const { client } = await start();
    const request = { prompt: "Once upon a time", samplingParameters: greedy };
    const events = await collect(
      client.generateStream("vllm_model", {
        ...vllmGenerateBody({ ...request, stream: true }),
        return_finish_reason: true,
      }),
    );
    expect(events).toHaveLength(6);
    // str(finish_reason) is "None" until the last response.
    expect(events.map((e) => e.finish_reason)).toEqual([
      "None",
      "None",
      "None",
      "None",
      "None",
      "length",
    ]);
    const whole = await client.generate(
      "vllm_model",
      vllmGenerateBody({ ...request, excludeInputInOutput: true }),
    );
    expect(events.map(textOutput).join("")).toBe(textOutput(whole));
  });

  it("n = 2: one event per child output (the backend's create_response)", async () => {
    const { client } = await start();
    const events = await collect(
      client.generateStream(
        "vllm_model",
        vllmGenerateBody({
          prompt: "Tell me",
          stream: true,
          samplingParameters: { n: 2, seed: 40, max_tokens: 3, ignore_eos: true },
        }),
      ),
    );
    expect(events).toHaveLength(6);
    expect(events.every((e) => typeof e.text_output === "string")).toBe(true);
  });

  it("single use: a second iteration throws FailedPrecondition", async () => {
    const { client } = await start();
    const stream = client.generateStream("vllm_model", vllmGenerateBody({ prompt: "Hi" }));
    expect(await collect(stream)).toHaveLength(1);
    const again = await caught(collect(stream));
    expect(again?.code).toBe(Code.FailedPrecondition);
  });

  it("a refused first response: the SSE error event under 500 becomes Triton's message", async () => {
    // http_server.cc: the first response sets the status; its error is written as an event.
    const { client } = await start();
    const stream = client.generateStream("vllm_model", {
      text_input: "Hi",
      stream: true,
      sampling_parameters: JSON.stringify({ guided_decoding: { grammar: "root ::= missing" } }),
    });
    const error = await caught(collect(stream));
    expect(error).toBeInstanceOf(ServingkitError);
    expect(error?.httpStatus).toBe(500);
    expect(error?.code).toBe(Code.Internal);
    expect(error?.rawMessage).toBe("Error generating stream: Invalid grammar specification.");
  });

  it("an error event mid-stream is thrown after the events before it", async () => {
    // AddErrorJson on a later response writes {"error": ...} as one more event (http_server.cc);
    // served here by a fetch that returns those bytes, as no mock model fails mid-stream.
    const wire =
      'data: {"model_name":"m","model_version":"1","text_output":"a"}\n\n' +
      'data: {"error":"Error generating stream: boom"}\n\n';
    const client = connect({
      baseUrl: "http://triton.test",
      maxRetries: 0,
      fetch: async () =>
        new Response(wire, { headers: { "content-type": "text/event-stream; charset=utf-8" } }),
    });
    const seen: unknown[] = [];
    const error = await caught(
      (async () => {
        for await (const e of client.generateStream("m", { text_input: "x" })) seen.push(e);
      })(),
    );
    expect(seen).toEqual([{ model_name: "m", model_version: "1", text_output: "a" }]);
    expect(error?.code).toBe(Code.Unknown);
    expect(error?.rawMessage).toBe("Error generating stream: boom");
  });

  it("break aborts the request: the mock counts a cancellation in the model's statistics", async () => {
    // core infer_stats.cc UpdateResponseCancel: a request cancelled before its final response.
    const { client, base } = await start({ "inter-token-latency": "20" });
    let count = 0;
    for await (const _ of client.generateStream(
      "vllm_model",
      vllmGenerateBody({
        prompt: "Hi",
        stream: true,
        samplingParameters: { max_tokens: 500, ignore_eos: true },
      }),
    )) {
      count += 1;
      if (count === 2) break;
    }
    type Stats = {
      model_stats: { response_stats: Record<string, { cancel: { count: number } }> }[];
    };
    const cancels = async () => {
      const stats = (await (await fetch(`${base}/v2/models/vllm_model/stats`)).json()) as Stats;
      return Object.values(stats.model_stats[0]?.response_stats ?? {}).reduce(
        (n, r) => n + r.cancel.count,
        0,
      );
    };
    let seen = await cancels();
    for (let i = 0; i < 100 && seen === 0; i += 1) {
      await new Promise((r) => setTimeout(r, 20));
      seen = await cancels();
    }
    expect(seen).toBe(1);
  });

  it("signal aborts a running stream with Code.Canceled", async () => {
    const { client } = await start({ "inter-token-latency": "20" });
    const abort = new AbortController();
    const error = await caught(
      (async () => {
        for await (const _ of client.generateStream(
          "vllm_model",
          vllmGenerateBody({
            prompt: "Hi",
            stream: true,
            samplingParameters: { max_tokens: 500, ignore_eos: true },
          }),
          { signal: abort.signal },
        )) {
          abort.abort();
        }
      })(),
    );
    expect(error?.code).toBe(Code.Canceled);
  });
});

describe("TLS and a token (kserve-v2.md §5)", () => {
  it("generate and generateStream with the token; without it Unauthenticated", async () => {
    const mock = await startKserve("triton", {}, { tls: true, tokens: ["secret"] }, ["vllm_model"]);
    const tls = { ca: mock.certificatePem as string };
    const baseUrl = mock.endpoints.http as string;
    const client = connect({ baseUrl, token: "secret", tls, maxRetries: 0 });
    const body = vllmGenerateBody({ prompt: "Hi", samplingParameters: greedy });
    expect(textOutput(await client.generate("vllm_model", body)).startsWith("Hi")).toBe(true);
    const events = await collect(
      client.generateStream("vllm_model", vllmGenerateBody({ prompt: "Hi", stream: true })),
    );
    expect(events.length).toBeGreaterThan(0);
    const anonymous = connect({ baseUrl, tls, maxRetries: 0 });
    expect((await caught(anonymous.generate("vllm_model", body)))?.code).toBe(Code.Unauthenticated);
  });
});
