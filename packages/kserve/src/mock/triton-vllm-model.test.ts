/**
 * Triton's vLLM backend sample model on the mock, over REST with fetch (bytes as sent):
 * triton-inference-server/vllm_backend `samples/model_repository/vllm_model/config.pbtxt`,
 * `src/model.py` (`auto_complete_config`, `_infer`, `_verify_loras`), `src/utils/request.py`
 * (`_get_input_tensors`, `create_response`), and Triton server `src/http_server.cc`
 * (`HandleInfer`, `GenerateRequestClass::InferResponseComplete` / `SendChunkResponse`).
 */

import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code } from "@connectrpc/connect";
import { ServingkitError } from "@servingkit/client-core";
import { sampleJson, sampleRegex } from "@servingkit/mock-core/structured";
import { afterEach, describe, expect, it } from "vitest";
import { createKserveClient } from "../kserve-client.js";
import { kserveMockOptions } from "../mock.js";
import type { MockModel, Tensor } from "./models.js";
import { closeAll, startKserve, startVllmTriton } from "./test-mocks.js";
import { createVllmModel, pythonList } from "./triton-vllm-model.js";

afterEach(closeAll);

/** The `data:` events of an SSE body, parsed. */
function events(text: string): Record<string, unknown>[] {
  expect(text.endsWith("\n\n")).toBe(true);
  return text
    .slice(0, -2)
    .split("\n\n")
    .map((e) => {
      expect(e.startsWith("data: ")).toBe(true);
      return JSON.parse(e.slice("data: ".length)) as Record<string, unknown>;
    });
}

const generate = "/v2/models/vllm_model/generate";
const generateStream = "/v2/models/vllm_model/generate_stream";

describe("vllm_model metadata and config (config.pbtxt + auto_complete_config)", () => {
  it("inputs: the sample's three, then the auto-completed ones; backend vllm; decoupled", async () => {
    const { base } = await startVllmTriton();
    const meta = (await (await fetch(`${base}/v2/models/vllm_model`)).json()) as {
      platform: string;
      versions: string[];
      inputs: { name: string; datatype: string; shape: number[] }[];
      outputs: { name: string; datatype: string; shape: number[] }[];
    };
    expect(meta.platform).toBe("vllm");
    expect(meta.versions).toEqual(["1"]);
    expect(meta.inputs.map((i) => `${i.name}:${i.datatype}:${i.shape}`)).toEqual([
      "text_input:BYTES:1",
      "stream:BOOL:1",
      "sampling_parameters:BYTES:1",
      "image:BYTES:-1",
      "exclude_input_in_output:BOOL:1",
      "return_finish_reason:BOOL:1",
      "return_cumulative_logprob:BOOL:1",
      "return_logprobs:BOOL:1",
      "return_num_input_tokens:BOOL:1",
      "return_num_output_tokens:BOOL:1",
      "embedding_request:BYTES:1",
    ]);
    expect(meta.outputs.map((o) => `${o.name}:${o.datatype}:${o.shape}`)).toEqual([
      "text_output:BYTES:-1",
      "finish_reason:BYTES:-1",
      "cumulative_logprob:FP32:-1",
      "logprobs:BYTES:-1",
      "num_input_tokens:UINT32:1",
      "num_output_tokens:UINT32:-1",
    ]);
    const config = (await (await fetch(`${base}/v2/models/vllm_model/config`)).json()) as Record<
      string,
      unknown
    >;
    // config.pbtxt: backend "vllm", max_batch_size 0, model_transaction_policy { decoupled: True }.
    expect(config.backend).toBe("vllm");
    expect(config.max_batch_size).toBe(0);
    expect(config.model_transaction_policy).toEqual({ decoupled: true });
    const input = config.input as { name: string; optional?: boolean }[];
    expect(input.find((i) => i.name === "sampling_parameters")?.optional).toBe(true);
    expect(input.find((i) => i.name === "stream")?.optional).toBe(false);
  });
});

describe("generate (non-streaming: one response with the whole text)", () => {
  it("the prompt in front of the text (exclude_input_in_output absent, not streaming); deterministic greedy", async () => {
    const { post } = await startVllmTriton();
    // vllm_backend README: {"text_input": ..., "parameters": {"stream": false, "temperature": 0}}
    const body = {
      text_input: "What is Triton Inference Server?",
      parameters: { stream: false, temperature: 0 },
    };
    const res = await post(generate, body);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    const text = await res.text();
    const answer = JSON.parse(text) as Record<string, string>;
    expect(Object.keys(answer)).toEqual(["model_name", "model_version", "text_output"]);
    expect(answer.model_name).toBe("vllm_model");
    expect(answer.model_version).toBe("1");
    expect(answer.text_output?.startsWith("What is Triton Inference Server?")).toBe(true);
    expect(answer.text_output?.length).toBeGreaterThan(body.text_input.length);
    // temperature 0 is greedy: the same text again.
    expect(await (await post(generate, body)).text()).toBe(text);
  });

  it("exclude_input_in_output true drops the prompt; max_tokens caps the tokens (request.py create_response)", async () => {
    const { post } = await startVllmTriton();
    const res = await post(generate, {
      text_input: "Hello",
      stream: false,
      exclude_input_in_output: true,
      return_num_input_tokens: true,
      return_num_output_tokens: true,
      return_finish_reason: true,
      parameters: { max_tokens: 5, temperature: 0, ignore_eos: true },
    });
    const answer = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(answer)).toEqual([
      "finish_reason",
      "model_name",
      "model_version",
      "num_input_tokens",
      "num_output_tokens",
      "text_output",
    ]);
    expect(answer.text_output).not.toMatch(/^Hello/);
    expect(answer.finish_reason).toBe("length");
    expect(answer.num_output_tokens).toBe(5);
    expect(typeof answer.num_input_tokens).toBe("number");
  });

  it("sampling_parameters JSON wins over request parameters; seed makes sampling repeatable", async () => {
    const { post } = await startVllmTriton();
    const body = (seed: number) => ({
      text_input: "Tell me a story",
      stream: false,
      sampling_parameters: JSON.stringify({ temperature: 0.9, seed, max_tokens: 12 }),
      parameters: { max_tokens: 2 },
    });
    const a = (await (await post(generate, body(7))).json()) as { text_output: string };
    const b = (await (await post(generate, body(7))).json()) as { text_output: string };
    expect(a.text_output).toBe(b.text_output);
    expect(a.text_output.length).toBeGreaterThan("Tell me a story".length);
  });

  it("stop ends the text before the stop string (vLLM stop semantics)", async () => {
    const { post } = await startVllmTriton();
    const base = { text_input: "One", stream: false, exclude_input_in_output: true };
    const free = (await (
      await post(generate, { ...base, parameters: { temperature: 0, max_tokens: 30 } })
    ).json()) as { text_output: string };
    const word = free.text_output.trim().split(/\s+/)[1] as string;
    const stopped = (await (
      await post(generate, {
        ...base,
        return_finish_reason: true,
        sampling_parameters: JSON.stringify({ temperature: 0, max_tokens: 30, stop: [word] }),
      })
    ).json()) as { text_output: string; finish_reason: string };
    expect(stopped.finish_reason).toBe("stop");
    expect(stopped.text_output).toBe(free.text_output.slice(0, free.text_output.indexOf(word)));
  });

  it("stream true on /generate: more than one response, so Triton writes only its error under 200 (SendChunkResponse)", async () => {
    const { post } = await startVllmTriton();
    const res = await post(generate, {
      text_input: "Hi",
      stream: true,
      parameters: { max_tokens: 4, ignore_eos: true },
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(
      '{"error":"generate expects model to produce exactly 1 response, use generate stream for model that generates various number of responses"}',
    );
  });
});

describe("generate_stream (one event per response)", () => {
  it("stream true: one event per token with the new text only, joined they are the whole text", async () => {
    const { post } = await startVllmTriton();
    const parameters = { max_tokens: 6, temperature: 0, ignore_eos: true };
    const res = await post(generateStream, {
      text_input: "Once upon a time",
      stream: true,
      return_finish_reason: true,
      return_num_output_tokens: true,
      parameters,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const list = events(await res.text());
    expect(list).toHaveLength(6);
    // str(output.finish_reason) while unfinished is "None"; the last response says why it ended.
    expect(list.map((e) => e.finish_reason)).toEqual([
      "None",
      "None",
      "None",
      "None",
      "None",
      "length",
    ]);
    expect(list.every((e) => e.num_output_tokens === 1)).toBe(true);
    const whole = (await (
      await post(generate, {
        text_input: "Once upon a time",
        stream: false,
        exclude_input_in_output: true,
        parameters,
      })
    ).json()) as { text_output: string };
    expect(list.map((e) => e.text_output).join("")).toBe(whole.text_output);
  });

  it("the bytes of each event: `data: ` and the flat object in std::map key order, chunked", async () => {
    const { post } = await startVllmTriton();
    const res = await post(generateStream, {
      text_input: "Hi",
      stream: true,
      parameters: { max_tokens: 3, temperature: 0, ignore_eos: true },
    });
    // evhtp_send_reply_chunk_start: chunked, no content-length.
    expect(res.headers.get("content-length")).toBeNull();
    expect(res.headers.get("transfer-encoding")).toBe("chunked");
    const text = await res.text();
    const event =
      /data: \{"model_name":"vllm_model","model_version":"1","text_output":"(?:[^"\\]|\\.)*"\}\n\n/y;
    let count = 0;
    while (event.lastIndex < text.length) {
      expect(event.test(text), text.slice(event.lastIndex, event.lastIndex + 120)).toBe(true);
      count++;
    }
    expect(count).toBe(3);
  });

  it("an `id` in a generate body is also a request parameter, which the backend's from_dict refuses", async () => {
    // http_server.cc: ParseJsonTritonRequestID reads `id`, then ConvertGenerateRequest maps every
    // member but `parameters` (id too) onto an input or a request parameter; vllm_backend passes
    // request.parameters() to TritonSamplingParams.from_dict, where `id` is an unexpected keyword.
    const { post } = await startVllmTriton();
    const res = await post(generate, { text_input: "Hi", stream: false, id: "r7" });
    expect(res.status).toBe(500);
    expect(await res.text()).toBe(
      `{"error":"Error generating stream: 'NoneType' object has no attribute 'lora_name'"}`,
    );
    // With the parameters in sampling_parameters the request parameters are not read: id is fine.
    const ok = await post(generate, {
      text_input: "Hi",
      stream: false,
      id: "r7",
      sampling_parameters: '{"max_tokens": 2}',
    });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { id: string }).id).toBe("r7");
    // HandleGenerate has no reserved-key check (ParseJsonTritonParams of infer does): a
    // `triton_` key reaches the backend as a parameter, and from_dict refuses it there.
    const reserved = await post(generate, { text_input: "Hi", stream: false, triton_x: 1 });
    expect(await reserved.text()).toBe(
      `{"error":"Error generating stream: 'NoneType' object has no attribute 'lora_name'"}`,
    );
  });

  it("logprobs asked: per-token entries, cumulative_logprob runs up to the whole request's", async () => {
    // request.py create_response: logprobs of the new tokens, output.cumulative_logprob so far.
    const { post } = await startVllmTriton();
    const body = (stream: boolean) => ({
      text_input: "Hi",
      stream,
      exclude_input_in_output: true,
      return_logprobs: true,
      return_cumulative_logprob: true,
      sampling_parameters: JSON.stringify({
        max_tokens: 4,
        seed: 3,
        logprobs: 2,
        ignore_eos: true,
      }),
    });
    const list = events(await (await post(generateStream, body(true))).text());
    expect(list).toHaveLength(4);
    const whole = (await (await post(generate, body(false))).json()) as {
      cumulative_logprob: number;
      logprobs: string;
    };
    expect(JSON.parse(whole.logprobs)).toHaveLength(4);
    for (const e of list) expect(JSON.parse(String(e.logprobs))).toHaveLength(1);
    const last = list.at(-1)?.cumulative_logprob as number;
    expect(last).toBeCloseTo(whole.cumulative_logprob, 4);
    // The first response's cumulative logprob is its own token's (the sampled token comes first).
    const first = JSON.parse(String(list[0]?.logprobs)) as Record<string, { logprob: number }>[];
    const own = Object.values(first[0] as Record<string, { logprob: number }>)[0]?.logprob;
    expect(list[0]?.cumulative_logprob as number).toBeCloseTo(own as number, 4);
  });

  it("stream false on generate_stream: one event with the whole text", async () => {
    const { post } = await startVllmTriton();
    const res = await post(generateStream, {
      text_input: "Hi",
      stream: false,
      parameters: { max_tokens: 3 },
    });
    const list = events(await res.text());
    expect(list).toHaveLength(1);
    expect(String(list[0]?.text_output).startsWith("Hi")).toBe(true);
  });
});

describe("refusals", () => {
  it("HTTP infer on a decoupled model: 501 (HandleInfer, UNSUPPORTED)", async () => {
    const { post } = await startVllmTriton();
    const res = await post("/v2/models/vllm_model/infer", "not even JSON");
    expect(res.status).toBe(501);
    expect(await res.text()).toBe(
      `{"error":"HTTP end point doesn't support models with decoupled transaction policy"}`,
    );
  });

  it("stream is required by the sample config: the count is worded as a range (optional inputs)", async () => {
    const { post } = await startVllmTriton();
    const res = await post(generate, { text_input: "Hi" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe(
      "[request id: <id_unknown>] expected number of inputs between 2 and 11 but got 1 inputs for model 'vllm_model'. Got input(s) ['text_input'], but missing required input(s) ['stream']. Please provide all required input(s).",
    );
  });

  it("exclude_input_in_output false while streaming: the backend's ValueError (request.py)", async () => {
    const { post } = await startVllmTriton();
    const res = await post(generateStream, {
      text_input: "Hi",
      stream: true,
      exclude_input_in_output: false,
    });
    expect(res.status).toBe(500);
    expect(await res.text()).toBe(
      'data: {"error":"Error generating stream: When streaming, `exclude_input_in_output` = False is not allowed."}\n\n',
    );
  });

  it("bad sampling values: from_dict returns None, execute reads its lora_name (model.py)", async () => {
    const { post } = await startVllmTriton();
    for (const parameters of [{ temperature: -1 }, { max_tokens: "many" }, { unknown_key: 1 }]) {
      const res = await post(generate, { text_input: "Hi", stream: false, parameters });
      expect(res.status).toBe(500);
      expect(await res.text()).toBe(
        `{"error":"Error generating stream: 'NoneType' object has no attribute 'lora_name'"}`,
      );
    }
  });

  it("sampling_parameters that is no JSON: _verify_loras raises in execute (python_backend's instance error)", async () => {
    const { post } = await startVllmTriton();
    const res = await post(generate, { text_input: "Hi", stream: false, sampling_parameters: "" });
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: string }).error).toBe(
      "Failed to process the request(s) for model instance 'vllm_model_0_0', message: JSONDecodeError: Expecting value: line 1 column 1 (char 0)",
    );
  });

  it("lora_name without LoRA enabled (the sample's model.json): respond_error", async () => {
    const { post } = await startVllmTriton();
    const res = await post(generate, {
      text_input: "Hi",
      stream: false,
      parameters: { lora_name: "x" },
    });
    expect(await res.text()).toBe('{"error":"LoRA feature is not enabled."}');
  });
});

describe("the kserve client against vllm_model", () => {
  it("metadata reads; infer is refused over REST (501) and gRPC (UNIMPLEMENTED) with Triton's texts", async () => {
    const { mock, base } = await startVllmTriton();
    const request = {
      inputs: [
        { name: "text_input", datatype: "BYTES" as const, shape: [1], data: ["Hi"] },
        { name: "stream", datatype: "BOOL" as const, shape: [1], data: [false] },
      ],
    };
    const rest = createKserveClient({ baseUrl: base, maxRetries: 0 });
    expect((await rest.modelMetadata("vllm_model")).platform).toBe("vllm");
    const restError = await rest.infer("vllm_model", request).catch((e: unknown) => e);
    expect(restError).toBeInstanceOf(ServingkitError);
    expect((restError as ServingkitError).httpStatus).toBe(501);
    expect((restError as ServingkitError).rawMessage).toBe(
      "HTTP end point doesn't support models with decoupled transaction policy",
    );
    const grpc = createKserveClient({
      transport: "grpc",
      address: `http://${mock.endpoints.grpc}`,
      maxRetries: 0,
    });
    const grpcError = await grpc.infer("vllm_model", request).catch((e: unknown) => e);
    expect((grpcError as ServingkitError).grpcCode).toBe(Code.Unimplemented);
    expect((grpcError as ServingkitError).rawMessage).toBe(
      "ModelInfer RPC doesn't support models with decoupled transaction policy",
    );
    await rest.close();
    await grpc.close();
  });
});

describe("a client that leaves mid-stream", () => {
  it("aborting generate_stream ends the run; the mock goes on answering", async () => {
    const { base, post } = await startVllmTriton();
    const abort = new AbortController();
    const res = await fetch(`${base}${generateStream}`, {
      method: "POST",
      body: JSON.stringify({
        text_input: "Hi",
        stream: true,
        parameters: { max_tokens: 2000, ignore_eos: true },
      }),
      signal: abort.signal,
    });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    abort.abort();
    await reader.read().catch(() => undefined);
    const after = await post(generate, { text_input: "Hi", stream: false });
    expect(after.status).toBe(200);
  });
});

describe("--time-to-first-token and --inter-token-latency (the vLLM mock's pacing flags)", () => {
  it("are read in milliseconds; anything but a number >= 0 is refused naming the flag", () => {
    const settings = (values: Record<string, unknown>) =>
      ({ runtime: "triton", models: [], values }) as Parameters<typeof kserveMockOptions>[0];
    expect(
      kserveMockOptions(settings({ "time-to-first-token": "50", "inter-token-latency": "2.5" }))
        .vllmPacing,
    ).toEqual({ timeToFirstTokenMs: 50, interTokenMs: 2.5 });
    expect(kserveMockOptions(settings({})).vllmPacing).toBeUndefined();
    expect(() => kserveMockOptions(settings({ "inter-token-latency": "-1" }))).toThrow(
      "--inter-token-latency -1: expected milliseconds (a number >= 0)",
    );
    expect(() => kserveMockOptions(settings({ "time-to-first-token": "soon" }))).toThrow(
      /^--time-to-first-token soon: /,
    );
  });

  it("pace vllm_model's stream: the events come no sooner than the schedule allows", async () => {
    const { post } = await startVllmTriton({
      "time-to-first-token": "20",
      "inter-token-latency": "10",
    });
    const started = performance.now();
    const res = await post(generateStream, {
      text_input: "Hi",
      stream: true,
      parameters: { max_tokens: 4, ignore_eos: true },
    });
    expect(events(await res.text())).toHaveLength(4);
    // Token 4 is due at 20 + 3 × 10 ms; a lower bound only (a busy machine is slower).
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
  });
});

describe("a late reader of vllm_model's stream (no merged outputs)", () => {
  // triton-inference-server/vllm_backend src/model.py `_infer`: `async for request_output in
  // response_iterator` puts each streamed response on the backend's own queue (`put_nowait`; the
  // response thread sends it) and at once asks vLLM for the next output, so the engine's output
  // collector (vLLM V1 RequestOutputCollector, PR #12298) never holds two waiting outputs for a
  // slow client: a client that reads late still gets one response per token, unlike the vLLM
  // mock's own OpenAI server (text-engine-factory `mergeOverdue`, from 0.8.0).
  it("one event per token when the client reads after every token came due (raw SSE)", async () => {
    const { post } = await startVllmTriton({ "inter-token-latency": "5" });
    const res = await post(generateStream, {
      text_input: "Once upon a time",
      stream: true,
      return_num_output_tokens: true,
      parameters: { max_tokens: 8, temperature: 0, ignore_eos: true },
    });
    // Every token is due 7 x 5 ms after the first; read well after that.
    await new Promise((resolve) => setTimeout(resolve, 150));
    const list = events(await res.text());
    expect(list).toHaveLength(8);
    expect(list.every((e) => e.num_output_tokens === 1)).toBe(true);
  });
});

describe("model.json stream_interval (vLLM 0.12.0 and later, through AsyncEngineArgs)", () => {
  // vllm_backend src/model.py builds AsyncEngineArgs from model.json; vLLM's --stream-interval
  // (its output processor's sent-token offset) hands out the first token alone, then groups of
  // stream_interval tokens, the last with the finish. The backend's create_response sends each
  // group as one response, cut by the lengths of the previous response.
  const bytes = (t: string) => [new TextEncoder().encode(t)];
  const inputs = (stream: boolean) =>
    new Map<string, Tensor>([
      ["text_input", { name: "text_input", datatype: "BYTES", shape: [1], values: bytes("Hi") }],
      ["stream", { name: "stream", datatype: "BOOL", shape: [1], values: Uint8Array.of(+stream) }],
      [
        "return_num_output_tokens",
        {
          name: "return_num_output_tokens",
          datatype: "BOOL",
          shape: [1],
          values: Uint8Array.of(1),
        },
      ],
    ]);
  const counts = async (model: MockModel) => {
    const parameters = { max_tokens: 8, temperature: 0, ignore_eos: true };
    const out: number[] = [];
    const respond = model.respond;
    if (respond === undefined) throw new Error("vllm_model is decoupled");
    for await (const response of respond.call(model, inputs(true), parameters)) {
      const tensor = response.outputs?.find((t) => t.name === "num_output_tokens");
      const values = tensor?.values as Uint32Array | undefined;
      out.push(Number(values?.[0]));
    }
    return out;
  };

  it("streams the first token alone, then groups of stream_interval tokens", async () => {
    expect(await counts(createVllmModel({ streamInterval: 3 }))).toEqual([1, 3, 3, 1]);
    expect(await counts(createVllmModel())).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    expect(() => createVllmModel({ streamInterval: 0 })).toThrow(RangeError);
  });

  // Over HTTP: the counts of generate_stream's events, each carrying num_output_tokens.
  const streamed = async (
    post: (path: string, body: unknown) => Promise<Response>,
    path: string,
  ) => {
    const res = await post(path, {
      text_input: "Hi",
      stream: true,
      return_num_output_tokens: true,
      parameters: { max_tokens: 8, temperature: 0, ignore_eos: true },
    });
    expect(res.status).toBe(200);
    return events(await res.text()).map((e) => e.num_output_tokens);
  };

  it("--stream-interval N (named after model.json's key) groups generate_stream's events", async () => {
    const { post } = await startVllmTriton({ "stream-interval": "3" });
    expect(await streamed(post, generateStream)).toEqual([1, 3, 3, 1]);
    // With pacing too: the groups still come as the schedule makes the tokens due.
    const paced = await startVllmTriton({ "stream-interval": "4", "inter-token-latency": "2" });
    expect(await streamed(paced.post, generateStream)).toEqual([1, 4, 3]);
  });

  it("a repository model.json's stream_interval is its own; the flag fills in where it sets none", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vllm-interval-"));
    for (const m of ["own", "plain"]) mkdirSync(join(dir, m, "1"), { recursive: true });
    for (const m of ["own", "plain"]) {
      writeFileSync(
        join(dir, m, "config.pbtxt"),
        'backend: "vllm"\ninput [ { name: "text_input" data_type: TYPE_STRING dims: [ 1 ] } ]',
      );
    }
    writeFileSync(join(dir, "own", "1", "model.json"), '{"model": "x", "stream_interval": 2}');
    writeFileSync(join(dir, "plain", "1", "model.json"), '{"model": "x"}');
    const post = (base: string) => (path: string, body: unknown) =>
      fetch(`${base}${path}`, { method: "POST", body: JSON.stringify(body) });
    const alone = await startKserve("triton", { "model-repository": dir });
    const base = alone.endpoints.http as string;
    expect(await streamed(post(base), "/v2/models/own/generate_stream")).toEqual([1, 2, 2, 2, 1]);
    expect(await streamed(post(base), "/v2/models/plain/generate_stream")).toHaveLength(8);
    const flagged = await startKserve("triton", {
      "model-repository": dir,
      "stream-interval": "5",
    });
    const other = flagged.endpoints.http as string;
    expect(await streamed(post(other), "/v2/models/own/generate_stream")).toEqual([1, 2, 2, 2, 1]);
    expect(await streamed(post(other), "/v2/models/plain/generate_stream")).toEqual([1, 5, 2]);
    writeFileSync(join(dir, "own", "1", "model.json"), '{"model": "x", "stream_interval": 0}');
    await expect(startKserve("triton", { "model-repository": dir })).rejects.toThrow(
      "stream_interval 0: expected a whole number of tokens >= 1",
    );
  });

  it("--stream-interval takes a whole number >= 1, and only on the triton mock", () => {
    const settings = (runtime: string, values: Record<string, unknown>) =>
      ({ runtime, models: [], values }) as Parameters<typeof kserveMockOptions>[0];
    expect(
      kserveMockOptions(settings("triton", { "stream-interval": "2" })).vllmStreamInterval,
    ).toBe(2);
    for (const bad of ["0", "1.5", "two", ""]) {
      expect(() => kserveMockOptions(settings("triton", { "stream-interval": bad }))).toThrow(
        `--stream-interval ${bad}: expected a whole number of tokens >= 1`,
      );
    }
    expect(() => kserveMockOptions(settings("mlserver", { "stream-interval": "2" }))).toThrow(
      "--stream-interval: only the triton mock serves Triton's vllm_model",
    );
  });
});

describe("n > 1 (vLLM V1 parallel sampling through the backend's create_response)", () => {
  // vllm/v1/engine/parallel_sampling.py: n child requests, child i seeded with seed + i; with
  // the CUMULATIVE output kind (TritonSamplingParams sets none) get_outputs hands over each
  // child's output alone, and the RequestOutput is finished when every child is. The backend's
  // create_response (src/utils/request.py) writes one text_output element per output it gets and
  // cuts it by the lengths it kept from the previous response (prev_lens_text_output).
  const sampling = (n: number, seed: number) =>
    JSON.stringify({ n, seed, temperature: 1, max_tokens: 3, ignore_eos: true });

  it("not streaming: one element, the sequence that finished last (the last child), prompt in front", async () => {
    const { post } = await startVllmTriton();
    const ask = async (n: number, seed: number) =>
      (await (
        await post(generate, {
          text_input: "Tell me",
          stream: false,
          sampling_parameters: sampling(n, seed),
          return_num_output_tokens: true,
        })
      ).json()) as { text_output: string; num_output_tokens: number };
    const both = await ask(2, 40);
    const second = await ask(1, 41);
    expect(both).toEqual(second);
    expect(both.text_output.startsWith("Tell me")).toBe(true);
    expect(both.num_output_tokens).toBe(3);
  });

  it("streaming: the children's outputs in turn, each cut by the previous response's length", async () => {
    const { post } = await startVllmTriton();
    const stream = async (n: number, seed: number) =>
      events(
        await (
          await post(generateStream, {
            text_input: "Tell me",
            stream: true,
            sampling_parameters: sampling(n, seed),
            return_finish_reason: true,
          })
        ).text(),
      );
    const a = (await stream(1, 40)).map((e) => e.text_output as string);
    const b = (await stream(1, 41)).map((e) => e.text_output as string);
    const upTo = (tokens: string[], k: number) => tokens.slice(0, k + 1).join("");
    // Round k: child 0's text so far, then child 1's, each after the length the other left.
    const expected: string[] = [];
    let previous = 0;
    for (let k = 0; k < 3; k += 1) {
      for (const text of [upTo(a, k), upTo(b, k)]) {
        expected.push(text.slice(previous));
        previous = text.length;
      }
    }
    const both = await stream(2, 40);
    expect(both.map((e) => e.text_output)).toEqual(expected);
    // Each child's own finish reason: "length" on its last output only.
    expect(both.map((e) => e.finish_reason)).toEqual([
      "None",
      "None",
      "None",
      "None",
      "length",
      "length",
    ]);
  });
});

describe("structured outputs on vllm_model (guided_decoding / structured_outputs)", () => {
  it("choice: the text is one of the choices (the seed picks it); two constraints at once are from_dict's None", async () => {
    // vllm_backend_utils.py from_dict passes StructuredOutputsParams to SamplingParams, so vLLM
    // constrains the text; the choice picked by seed + child index, as the vLLM mock picks.
    const { post } = await startVllmTriton();
    const ask = async (parameters: Record<string, unknown>) => {
      const res = await post(generate, {
        text_input: "Pick one",
        stream: false,
        exclude_input_in_output: true,
        sampling_parameters: JSON.stringify(parameters),
      });
      return [res.status, (await res.json()) as { text_output?: string; error?: string }] as const;
    };
    const choice = ["yes", "no", "maybe"];
    for (const seed of [0, 1, 2, 3]) {
      const [status, body] = await ask({
        seed,
        structured_outputs: JSON.stringify({ choice }),
      });
      expect(status).toBe(200);
      expect(body.text_output).toBe(choice[seed % 3]);
    }
    const [, guided] = await ask({ guided_decoding: { choice: ["only"], backend: "xgrammar" } });
    expect(guided.text_output).toBe("only");
    const [jsonStatus] = await ask({
      structured_outputs: JSON.stringify({ json: { type: "object" } }),
    });
    expect(jsonStatus).toBe(200);
    // A refused constraint: from_dict returns None, execute reads its lora_name.
    const [status, refused] = await ask({ guided_decoding: { choice: ["a"], regex: "a" } });
    expect([status, refused.error]).toEqual([
      500,
      "Error generating stream: 'NoneType' object has no attribute 'lora_name'",
    ]);
  });
});

describe("a vLLM backend model from a repository (backend: vllm; model.json, multi_lora.json)", () => {
  // vllm_backend src/model.py: _init_engine_args asserts the version folder's model.json;
  // _setup_lora reads multi_lora.json when model.json's enable_lora is "true"
  // (str(value).lower()); _verify_loras refuses a lora_name it does not list
  // (samples/model_repository/vllm_model/1/multi_lora.json names alpaca and bactrian).
  function repository(
    files: Record<string, string>,
    config = ['input [ { name: "text_input" data_type: TYPE_STRING dims: [ 1 ] } ]'],
  ) {
    const dir = mkdtempSync(join(tmpdir(), "vllm-repo-"));
    mkdirSync(join(dir, "llm", "1"), { recursive: true });
    writeFileSync(join(dir, "llm", "config.pbtxt"), ['backend: "vllm"', ...config].join("\n"));
    for (const [name, text] of Object.entries(files))
      writeFileSync(join(dir, "llm", "1", name), text);
    return dir;
  }
  const loras = JSON.stringify({
    alpaca: "/vllm_workspace/weights/loras/alpaca-lora-7b",
    bactrian: "/vllm_workspace/weights/loras/bactrian-x-llama-7b-lora",
  });

  it("several versions under the policy: each its own model from its own model.json; a request naming none gets the newest", async () => {
    // core model_lifecycle.cc loads every version VersionsToLoad picks, each a backend instance
    // of its own; vllm_backend src/model.py reads that version folder's model.json (and
    // multi_lora.json when it enables LoRA; execute refuses lora_name without it).
    const dir = mkdtempSync(join(tmpdir(), "vllm-versions-"));
    for (const v of [1, 2, 3]) mkdirSync(join(dir, "llm", String(v)), { recursive: true });
    writeFileSync(
      join(dir, "llm", "config.pbtxt"),
      'backend: "vllm"\nversion_policy { latest { num_versions: 2 } }\ninput [ { name: "text_input" data_type: TYPE_STRING dims: [ 1 ] } ]',
    );
    writeFileSync(join(dir, "llm", "2", "model.json"), '{"model": "x", "enable_lora": "true"}');
    writeFileSync(join(dir, "llm", "2", "multi_lora.json"), loras);
    writeFileSync(join(dir, "llm", "3", "model.json"), '{"model": "x"}');
    const mock = await startKserve("triton", { "model-repository": dir });
    const metadata = await (await fetch(`${mock.endpoints.http}/v2/models/llm`)).json();
    expect((metadata as { versions: string[] }).versions).toEqual(["2", "3"]);
    const post = (path: string) =>
      fetch(`${mock.endpoints.http}/v2/models/llm${path}/generate`, {
        method: "POST",
        body: JSON.stringify({
          text_input: "Hello",
          sampling_parameters: JSON.stringify({ max_tokens: 4, lora_name: "alpaca" }),
        }),
      });
    expect((await post("/versions/2")).status).toBe(200);
    for (const path of ["/versions/3", ""]) {
      expect(await (await post(path)).text()).toBe('{"error":"LoRA feature is not enabled."}');
    }
  });

  it("a version without its model.json fails the whole load, and the refusal names only that version", async () => {
    // model_lifecycle.cc OnLoadComplete: each version that did not load adds `version <v> is at
    // UNAVAILABLE state: <reason>;`; any failure fails the load (OnLoadFinal). At start CreateModel
    // logs `failed to load '<m>' version <v>: <reason>` for that version, and the start stops.
    const dir = mkdtempSync(join(tmpdir(), "vllm-versions-"));
    for (const v of [2, 3]) mkdirSync(join(dir, "llm", String(v)), { recursive: true });
    writeFileSync(
      join(dir, "llm", "config.pbtxt"),
      'backend: "vllm"\nversion_policy { all {} }\ninput [ { name: "text_input" data_type: TYPE_STRING dims: [ 1 ] } ]',
    );
    writeFileSync(join(dir, "llm", "3", "model.json"), '{"model": "x"}');
    const reason = `Internal: AssertionError: 'model.json' containing vllm engine args must be provided in '${join(dir, "llm", "2")}'`;
    await expect(startKserve("triton", { "model-repository": dir })).rejects.toThrow(
      `failed to load 'llm' version 2: ${reason}\nerror: creating server: Internal - failed to load all models`,
    );
    const mock = await startKserve("triton", {
      "model-repository": dir,
      "model-control-mode": "explicit",
    });
    const res = await fetch(`${mock.endpoints.http}/v2/repository/models/llm/load`, {
      method: "POST",
    });
    expect([res.status, await res.json()]).toEqual([
      400,
      { error: `load failed for model 'llm': version 2 is at UNAVAILABLE state: ${reason};\n` },
    ]);
    expect((await fetch(`${mock.endpoints.http}/v2/models/llm/versions/3/ready`)).status).toBe(400);
  });

  it("LoRA enabled: a listed adapter generates (other weights, other text), an unlisted one is refused with the list", async () => {
    const dir = repository({
      "model.json": '{"model": "x", "enable_lora": "True"}',
      "multi_lora.json": loras,
    });
    const mock = await startKserve("triton", { "model-repository": dir });
    const post = (parameters: Record<string, unknown>) =>
      fetch(`${mock.endpoints.http}/v2/models/llm/generate`, {
        method: "POST",
        body: JSON.stringify({
          text_input: "Hello",
          exclude_input_in_output: true,
          sampling_parameters: JSON.stringify({
            seed: 3,
            temperature: 1,
            max_tokens: 8,
            ignore_eos: true,
            ...parameters,
          }),
        }),
      });
    const base = (await (await post({})).json()) as { text_output: string };
    const alpaca = await post({ lora_name: "alpaca" });
    expect(alpaca.status).toBe(200);
    const adapted = (await alpaca.json()) as { text_output: string };
    expect(adapted.text_output).not.toBe(base.text_output);
    const again = (await (await post({ lora_name: "alpaca" })).json()) as { text_output: string };
    expect(again.text_output).toBe(adapted.text_output);
    const fox = await post({ lora_name: "fox" });
    expect([fox.status, await fox.json()]).toEqual([
      500,
      { error: "LoRA fox is not supported, we currently support ['alpaca', 'bactrian']" },
    ]);
  });

  it("LoRA off when model.json does not enable it: any lora_name is refused", async () => {
    const dir = repository({ "model.json": '{"model": "x", "enable_lora": false}' });
    const mock = await startKserve("triton", { "model-repository": dir });
    const res = await fetch(`${mock.endpoints.http}/v2/models/llm/generate`, {
      method: "POST",
      body: JSON.stringify({ text_input: "Hi", sampling_parameters: '{"lora_name": "alpaca"}' }),
    });
    expect([res.status, await res.json()]).toEqual([
      500,
      { error: "LoRA feature is not enabled." },
    ]);
  });

  it("the config's tensors, then those auto_complete_config adds; decoupled, max_batch_size 0", async () => {
    const dir = repository({ "model.json": "{}" });
    const mock = await startKserve("triton", { "model-repository": dir });
    const meta = (await (await fetch(`${mock.endpoints.http}/v2/models/llm`)).json()) as {
      platform: string;
      inputs: { name: string }[];
      outputs: { name: string }[];
    };
    expect(meta.platform).toBe("vllm");
    expect(meta.inputs.map((i) => i.name)).toEqual([
      "text_input",
      "image",
      "stream",
      "sampling_parameters",
      "exclude_input_in_output",
      "return_finish_reason",
      "return_cumulative_logprob",
      "return_logprobs",
      "return_num_input_tokens",
      "return_num_output_tokens",
      "embedding_request",
    ]);
    expect(meta.outputs[0]?.name).toBe("text_output");
    const config = (await (await fetch(`${mock.endpoints.http}/v2/models/llm/config`)).json()) as {
      max_batch_size: number;
      model_transaction_policy: { decoupled: boolean };
    };
    expect([config.max_batch_size, config.model_transaction_policy.decoupled]).toEqual([0, true]);
    // stream is optional as auto-completed: a request without it is answered (not streamed).
    const res = await fetch(`${mock.endpoints.http}/v2/models/llm/generate`, {
      method: "POST",
      body: JSON.stringify({ text_input: "Hi", parameters: { max_tokens: 2 } }),
    });
    expect(res.status).toBe(200);
  });

  it("a missing model.json or multi_lora.json stops the start (the model fails to load)", async () => {
    await expect(startKserve("triton", { "model-repository": repository({}) })).rejects.toThrow(
      "'model.json' containing vllm engine args must be provided in",
    );
    await expect(
      startKserve("triton", {
        "model-repository": repository({ "model.json": '{"enable_lora": "true"}' }),
      }),
    ).rejects.toThrow(/Triton backend cannot find .*multi_lora\.json\./);
  });

  it("pythonList writes Python's str() of a list of strings", () => {
    expect(pythonList(["a", "b"])).toBe("['a', 'b']");
    expect(pythonList([])).toBe("[]");
    expect(pythonList(["it's"])).toBe(`["it's"]`);
    expect(pythonList(["a\\b"])).toBe("['a\\\\b']");
  });
});

describe("cumulative_logprob without logprobs", () => {
  it("is NaN, written bare as Triton's JSON writer does (not JSON: fetch's json() refuses it)", async () => {
    // request.py create_response: output.cumulative_logprob is None unless logprobs were asked,
    // np.asarray([None], dtype=np.float32) is NaN; common triton_json.h Write sets rapidjson's
    // kWriteNanAndInfFlag, so the word NaN goes out.
    const { post } = await startVllmTriton();
    for (const path of [generate, generateStream]) {
      const res = await post(path, {
        text_input: "Hi",
        stream: false,
        return_cumulative_logprob: true,
        parameters: { max_tokens: 2 },
      });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('{"cumulative_logprob":NaN,"model_name":"vllm_model"');
    }
  });
});

describe("structured outputs shape vllm_model's text (json, json_object, regex, grammar)", () => {
  /** One non-streamed generate: status, text (prompt excluded) and finish reason. */
  const ask = async (
    post: (path: string, body: unknown) => Promise<Response>,
    sampling: object,
  ) => {
    const res = await post(generate, {
      text_input: "Answer",
      stream: false,
      exclude_input_in_output: true,
      return_finish_reason: true,
      sampling_parameters: JSON.stringify(sampling),
    });
    const body = (await res.json()) as { text_output?: string; finish_reason?: string };
    return { status: res.status, ...body } as const;
  };
  const schema = {
    type: "object",
    properties: {
      name: { type: "string", minLength: 2 },
      age: { type: "integer", minimum: 18, maximum: 99 },
      tags: { type: "array", items: { enum: ["a", "b"] }, minItems: 1 },
    },
    required: ["name", "age", "tags"],
  };

  // vllm_backend_utils.py from_dict hands StructuredOutputsParams to SamplingParams and vLLM
  // constrains the whole text to the schema; the text is what the vLLM mock composes (choices.ts
  // guidedText: JSON.stringify of mock-core's sampleJson, seed + child index).
  it("json: the text parses and conforms to the schema, the same for a seed; json_object is an object", async () => {
    const { post } = await startVllmTriton();
    for (const seed of [0, 1, 2]) {
      const sampling = {
        seed,
        max_tokens: 200,
        structured_outputs: JSON.stringify({ json: schema }),
      };
      const answer = await ask(post, sampling);
      expect(answer.status).toBe(200);
      expect(answer.finish_reason).toBe("stop");
      const value = JSON.parse(answer.text_output ?? "") as Record<string, unknown>;
      expect(Object.keys(value).sort()).toEqual(["age", "name", "tags"]);
      expect(typeof value.name === "string" && value.name.length >= 2).toBe(true);
      expect(Number.isInteger(value.age) && (value.age as number) >= 18).toBe(true);
      expect((value.tags as string[]).every((t) => t === "a" || t === "b")).toBe(true);
      expect((await ask(post, sampling)).text_output).toBe(answer.text_output);
      // The very text the vLLM mock composes for this schema and seed.
      expect(answer.text_output).toBe(JSON.stringify(sampleJson(schema, seed)));
    }
    // guided_decoding as an object, json_object: vLLM's builtin JSON grammar, an object.
    const object = await ask(post, { guided_decoding: { json_object: true } });
    expect(typeof JSON.parse(object.text_output ?? "")).toBe("object");
  });

  // vLLM stops at max_tokens whatever the constraint: a JSON text cut short with finish "length",
  // as the vLLM mock gives (the forced text goes through the engine's max_tokens like any text).
  it("max_tokens cuts the constrained text: a prefix of the whole, finish length", async () => {
    const { post } = await startVllmTriton();
    const structured = JSON.stringify({ json: schema });
    const whole = await ask(post, { seed: 4, max_tokens: 200, structured_outputs: structured });
    const cut = await ask(post, { seed: 4, max_tokens: 3, structured_outputs: structured });
    expect(cut.status).toBe(200);
    expect(cut.finish_reason).toBe("length");
    expect(whole.text_output?.startsWith(cut.text_output ?? "-")).toBe(true);
    expect(cut.text_output?.length).toBeLessThan(whole.text_output?.length ?? 0);
    expect(() => JSON.parse(cut.text_output ?? "")).toThrow();
  });

  // The regex and grammar samplers are the vLLM mock's (mock-core src/structured): the whole text
  // matches, xgrammar's EBNF and Lark grammars alike (vllm/v1/structured_output utils.py).
  it("regex and grammar: the whole text matches, streamed or not", async () => {
    const { post } = await startVllmTriton();
    const regex = await ask(post, {
      seed: 2,
      max_tokens: 60,
      guided_decoding: { regex: "(?P<code>[A-Z]{2}-[0-9]{3})", backend: "auto" },
    });
    expect(regex.text_output).toMatch(/^[A-Z]{2}-[0-9]{3}$/);
    expect(regex.text_output).toBe(sampleRegex("(?P<code>[A-Z]{2}-[0-9]{3})", 2));
    expect(regex.finish_reason).toBe("stop");
    const grammar =
      'root ::= greeting " " name\ngreeting ::= "hello" | "hi"\nname ::= [A-Z] [a-z]*';
    const lark = "start: greeting ' ' name\ngreeting: 'hello' | 'hi'\nname: 'Ann' | 'Bob'";
    for (let seed = 0; seed < 4; seed += 1) {
      const ebnf = await ask(post, {
        seed,
        max_tokens: 60,
        structured_outputs: JSON.stringify({ grammar }),
      });
      expect(ebnf.text_output).toMatch(/^(hello|hi) [A-Z][a-z]*$/);
      const fromLark = await ask(post, {
        seed,
        max_tokens: 60,
        structured_outputs: JSON.stringify({ grammar: lark }),
      });
      expect(fromLark.text_output).toMatch(/^(hello|hi) (Ann|Bob)$/);
    }
    // Streamed: one event per token, joined they are the constrained text.
    const res = await post(generateStream, {
      text_input: "Answer",
      stream: true,
      sampling_parameters: JSON.stringify({
        seed: 2,
        max_tokens: 60,
        structured_outputs: JSON.stringify({ regex: "[a-z]{12,16}" }),
      }),
    });
    expect(res.status).toBe(200);
    const list = events(await res.text());
    expect(list.length).toBeGreaterThan(1);
    expect(list.map((e) => e.text_output).join("")).toMatch(/^[a-z]{12,16}$/);
  });

  // parallel_sampling.py: child `index` samples with the parent's seed plus its index; the last
  // child's output is the one non-streamed response (CUMULATIVE output kind).
  it("n > 1: each child follows the constraint with seed + index", async () => {
    const { post } = await startVllmTriton();
    const structured = JSON.stringify({ regex: "[0-9]{6}" });
    const two = await ask(post, { n: 2, seed: 7, max_tokens: 30, structured_outputs: structured });
    const eight = await ask(post, { seed: 8, max_tokens: 30, structured_outputs: structured });
    expect(two.text_output).toMatch(/^[0-9]{6}$/);
    expect(two.text_output).toBe(eight.text_output);
  });

  // model.py _infer: an exception from the engine's generate becomes TritonError("Error generating
  // stream: {e}") (INTERNAL: HTTP 500, the SSE error event on generate_stream); vLLM's V1
  // processor raises ValueError for a constraint its backend refuses, in the words the vLLM
  // mock answers with 400 (backend_guidance.py "Grammar error: ...", backend_xgrammar.py).
  it("a refused regex or grammar: Error generating stream with vLLM's ValueError text, 500", async () => {
    const { post } = await startVllmTriton();
    const cases = [
      [{ regex: "(a)\\1" }, "Grammar error: backreferences are not supported"],
      [{ regex: "([" }, "Grammar error: unclosed character class"],
      [{ grammar: "root ::= (" }, "Invalid grammar specification."],
      [{ grammar: "start: other" }, "Failed to convert the grammar from Lark to EBNF. "],
    ] as const;
    for (const [constraint, text] of cases) {
      const answer = await ask(post, { structured_outputs: JSON.stringify(constraint) });
      expect([answer.status, (answer as { error?: string }).error]).toEqual([
        500,
        `Error generating stream: ${text}`,
      ]);
    }
    const res = await post(generateStream, {
      text_input: "Hi",
      stream: true,
      sampling_parameters: JSON.stringify({ guided_decoding: { grammar: "root ::= missing" } }),
    });
    expect(res.status).toBe(500);
    expect(await res.text()).toBe(
      'data: {"error":"Error generating stream: Invalid grammar specification."}\n\n',
    );
  });

  // vllm/sampling_params.py, the engine's default `auto` backend: validate_xgrammar_grammar
  // (backend_xgrammar.py) refuses what has_xgrammar_unsupported_json_features finds (multipleOf,
  // uniqueItems, a string format it lacks), the fallback hands the schema to guidance
  // (backend_guidance.py; outlines for patternProperties), so generate answers 200. A `json`
  // given as text never gets there: the backend's _validate_guided_params wants a dict, so
  // from_dict returns None (the 'NoneType' error of every refused sampling_parameters).
  it("json: a schema xgrammar refuses is generated (auto falls back); json as text is refused", async () => {
    const { post } = await startVllmTriton();
    const refusedByXgrammar = {
      type: "object",
      properties: {
        n: { type: "integer", multipleOf: 3, minimum: 1 },
        tags: { type: "array", items: { type: "string" }, uniqueItems: true },
        colour: { type: "string", format: "color" },
      },
      required: ["n", "tags", "colour"],
    };
    const answer = await ask(post, {
      seed: 2,
      max_tokens: 200,
      structured_outputs: JSON.stringify({ json: refusedByXgrammar }),
    });
    expect(answer.status).toBe(200);
    const value = JSON.parse(answer.text_output ?? "") as { n: number; colour: unknown };
    expect(value.n % 3).toBe(0);
    expect(typeof value.colour).toBe("string");
    const text = await ask(post, { structured_outputs: JSON.stringify({ json: "{not json" }) });
    expect([text.status, (text as { error?: string }).error]).toEqual([
      500,
      "Error generating stream: 'NoneType' object has no attribute 'lora_name'",
    ]);
  });
});
