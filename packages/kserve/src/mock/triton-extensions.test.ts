/**
 * Triton's extension APIs on the mock (kserve-v2.md §3.1 "Triton extensions", §4.1, §4.2):
 * repository index, statistics that count REST and gRPC inferences alike, model configuration,
 * and ModelStreamInfer over an independent grpc-js client; MLServer and OVMS do not serve them.
 */
import * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import type { KserveRuntime } from "./profiles.js";
import { closeAll, inferenceClient, startKserve, startVllmTriton } from "./test-mocks.js";

afterEach(closeAll);

const start = (runtime: KserveRuntime) => startKserve(runtime);
const grpcClient = inferenceClient;

const simpleBody = JSON.stringify({
  inputs: ["INPUT0", "INPUT1"].map((name) => ({
    name,
    shape: [2, 16],
    datatype: "INT32",
    data: new Array(32).fill(1),
  })),
});

describe("Triton extensions", () => {
  it("REST repository index lists every model version READY, no empty reason (core tritonserver.cc)", async () => {
    const mock = await start("triton");
    const res = await fetch(`${mock.endpoints.http}/v2/repository/index`, { method: "POST" });
    const index = (await res.json()) as { name: string }[];
    expect(index).toContainEqual({ name: "simple", version: "1", state: "READY" });
    expect(index.length).toBeGreaterThan(10);
  });

  it("statistics count REST and gRPC inferences of a model, batch elements included", async () => {
    const mock = await start("triton");
    const before = Date.now();
    const ok = await fetch(`${mock.endpoints.http}/v2/models/simple/infer`, {
      method: "POST",
      body: simpleBody,
    });
    expect(ok.status).toBe(200);
    // A request the core refuses counts as a failure; a body the HTTP frontend cannot parse never
    // reaches the model, so it counts nowhere.
    const missing = JSON.stringify({ inputs: [JSON.parse(simpleBody).inputs[0]] });
    const bad = await fetch(`${mock.endpoints.http}/v2/models/simple/infer`, {
      method: "POST",
      body: missing,
    });
    expect(bad.status).toBe(400);
    const unparsable = await fetch(`${mock.endpoints.http}/v2/models/simple/infer`, {
      method: "POST",
      body: "{}",
    });
    expect(unparsable.status).toBe(500);
    const { unary } = grpcClient(mock);
    await unary("ModelInfer", {
      model_name: "simple",
      inputs: ["INPUT0", "INPUT1"].map((name) => ({
        name,
        datatype: "INT32",
        shape: [1, 16],
        contents: { int_contents: new Array(16).fill(2) },
      })),
    });
    const stats = (await (await fetch(`${mock.endpoints.http}/v2/models/simple/stats`)).json()) as {
      model_stats: Record<string, unknown>[];
    };
    expect(stats.model_stats).toHaveLength(1);
    expect(stats.model_stats[0]).toMatchObject({
      name: "simple",
      version: "1",
      inference_count: 3,
      execution_count: 2,
      inference_stats: { success: { count: 2 }, fail: { count: 1 } },
    });
    // Triton's extension_statistics.md: last_inference is milliseconds since the epoch.
    const last = stats.model_stats[0]?.last_inference as number;
    expect(last).toBeGreaterThanOrEqual(before);
    expect(last).toBeLessThanOrEqual(Date.now());
    const viaGrpc = await unary("ModelStatistics", { name: "simple", version: "1" });
    expect((viaGrpc.model_stats as { inference_count: string }[])[0]?.inference_count).toBe("3");
  });

  it("model configuration over REST and gRPC (model_config.proto data types)", async () => {
    const mock = await start("triton");
    const config = await (
      await fetch(`${mock.endpoints.http}/v2/models/simple_string/config`)
    ).json();
    expect(config).toMatchObject({
      name: "simple_string",
      platform: "tensorflow_graphdef",
      backend: "tensorflow",
      max_batch_size: 8,
      input: [{ name: "INPUT0", data_type: "TYPE_STRING", dims: [16] }, { name: "INPUT1" }],
    });
    const viaGrpc = await grpcClient(mock).unary("ModelConfig", { name: "simple" });
    expect((viaGrpc.config as { input: { data_type: string }[] }).input[0]?.data_type).toBe(
      "TYPE_INT32",
    );
  });

  it("ModelStreamInfer answers each request in order, failures as error_message (kserve-v2.md §4.2)", async () => {
    const mock = await start("triton");
    const { raw } = grpcClient(mock);
    const call = (
      raw.ModelStreamInfer as () => grpc.ClientDuplexStream<object, Record<string, unknown>>
    )();
    const answers: Record<string, unknown>[] = [];
    const done = new Promise<void>((resolve, reject) => {
      call.on("data", (m: Record<string, unknown>) => answers.push(m));
      call.on("end", () => resolve());
      call.on("error", reject);
    });
    call.write({
      model_name: "identity_int32",
      id: "a",
      inputs: [
        { name: "INPUT0", datatype: "INT32", shape: [1, 1], contents: { int_contents: [5] } },
      ],
    });
    call.write({ model_name: "nope", id: "b" });
    call.end();
    await done;
    expect(answers).toHaveLength(2);
    expect(answers[0]?.infer_response).toMatchObject({ id: "a", model_name: "identity_int32" });
    expect(answers[0]?.error_message).toBe("");
    expect(answers[1]?.error_message).toBe("Request for unknown model: 'nope' is not found");
  });

  it("load/unload are refused as in Triton's default model control mode (503 / UNAVAILABLE)", async () => {
    // core model_repository_manager.cc LoadUnloadModel: UNAVAILABLE when model control is off.
    const mock = await start("triton");
    const text = "explicit model load / unload is not allowed if polling is enabled";
    for (const action of ["load", "unload"]) {
      const res = await fetch(`${mock.endpoints.http}/v2/repository/models/simple/${action}`, {
        method: "POST",
      });
      expect([res.status, await res.json()]).toEqual([503, { error: text }]);
    }
    const error = await grpcClient(mock)
      .unary("RepositoryModelUnload", { model_name: "simple" })
      .catch((e: grpc.ServiceError) => e);
    expect((error as grpc.ServiceError).code).toBe(grpc.status.UNAVAILABLE);
    expect(decodeURIComponent((error as grpc.ServiceError).details)).toBe(text);
  });

  it("MLServer and OVMS serve none of them: the runtime's 404/400 and UNIMPLEMENTED", async () => {
    const ml = await start("mlserver");
    expect((await fetch(`${ml.endpoints.http}/v2/models/iris/config`)).status).toBe(404);
    const ovms = await start("ovms");
    // OVMS's metadata regex takes "stats" for a model name (kserve-v2.md §3.3).
    const stats = await fetch(`${ovms.endpoints.http}/v2/models/stats`);
    expect([stats.status, await stats.json()]).toEqual([
      404,
      { error: "Model with requested name is not found" },
    ]);
    const error = await grpcClient(ovms)
      .unary("ModelConfig", { name: "resnet" })
      .catch((e: grpc.ServiceError) => e);
    expect((error as grpc.ServiceError).code).toBe(grpc.status.UNIMPLEMENTED);
  });
});

describe("statistics of a decoupled model (vllm_model)", () => {
  // extension_statistics.md: response_stats keyed by response index ("0", "1", ... across
  // requests), each with compute_infer, compute_output, success, fail, empty_response and (REST)
  // cancel; inference_count and execution_count count requests, as for any model without
  // dynamic batching (core infer_stats.cc).
  type Durations = Record<string, { count: number; ns: number }>;
  type ModelStat = {
    inference_count: number;
    execution_count: number;
    inference_stats: Durations;
    response_stats: Record<string, Durations>;
  };
  const stream = { text_input: "Hi", stream: true, exclude_input_in_output: true };

  it("REST: one entry per response index, consistent with the events clients saw", async () => {
    const { base, post } = await startVllmTriton();
    const before = (await (await fetch(`${base}/v2/models/vllm_model/stats`)).json()) as {
      model_stats: ModelStat[];
    };
    expect(before.model_stats[0]?.response_stats).toEqual({});
    // Three tokens streamed (three events), then two tokens: indexes 0 and 1 twice, 2 once.
    for (const max of [3, 2]) {
      const res = await post("/v2/models/vllm_model/generate_stream", {
        ...stream,
        parameters: { max_tokens: max, ignore_eos: true },
      });
      expect((await res.text()).match(/^data: /gm)).toHaveLength(max);
    }
    // A request the backend answers with an error (one failed response at index 0).
    const bad = await post("/v2/models/vllm_model/generate_stream", {
      ...stream,
      parameters: { temperature: -1 },
    });
    expect(await bad.text()).toContain("Error generating stream");
    const body = (await (await fetch(`${base}/v2/models/vllm_model/stats`)).json()) as {
      model_stats: ModelStat[];
    };
    const s = body.model_stats[0] as ModelStat;
    expect([s.inference_count, s.execution_count, s.inference_stats.success?.count]).toEqual([
      3, 3, 3,
    ]);
    expect(Object.keys(s.response_stats)).toEqual(["0", "1", "2"]);
    const r0 = s.response_stats["0"] as Durations;
    expect(Object.keys(r0)).toEqual([
      "compute_infer",
      "compute_output",
      "success",
      "fail",
      "empty_response",
      "cancel",
    ]);
    const counts = (d: Durations) => Object.values(d).map((x) => x.count);
    // compute_infer, compute_output, success, fail, empty_response, cancel
    expect(counts(r0)).toEqual([3, 2, 2, 1, 0, 0]);
    expect(counts(s.response_stats["1"] as Durations)).toEqual([2, 2, 2, 0, 0, 0]);
    expect(counts(s.response_stats["2"] as Durations)).toEqual([1, 1, 1, 0, 0, 0]);
  });

  it("gRPC ModelStatistics: the same response_stats after concurrent requests on one ModelStreamInfer stream", async () => {
    const { mock } = await startVllmTriton();
    const client = inferenceClient(mock);
    const bytes = (text: string) => {
      const b = Buffer.from(text);
      const length = Buffer.alloc(4);
      length.writeUInt32LE(b.length);
      return Buffer.concat([length, b]);
    };
    const request = (id: string, maxTokens: number) => ({
      model_name: "vllm_model",
      id,
      inputs: [
        { name: "text_input", datatype: "BYTES", shape: [1] },
        { name: "stream", datatype: "BOOL", shape: [1] },
        { name: "sampling_parameters", datatype: "BYTES", shape: [1] },
      ],
      raw_input_contents: [
        bytes("Hello"),
        Buffer.of(1),
        bytes(JSON.stringify({ max_tokens: maxTokens, ignore_eos: true })),
      ],
    });
    const answers = await new Promise<unknown[]>((resolve, reject) => {
      const call = (
        client.raw.ModelStreamInfer as unknown as () => grpc.ClientDuplexStream<object, object>
      ).call(client.raw);
      const got: unknown[] = [];
      call.on("data", (m: unknown) => got.push(m));
      call.on("end", () => resolve(got));
      call.on("error", reject);
      call.write(request("a", 2));
      call.write(request("b", 1));
      call.end();
    });
    expect(answers).toHaveLength(3);
    const stats = (await client.unary("ModelStatistics", { name: "vllm_model" })) as {
      model_stats: {
        inference_count: string;
        execution_count: string;
        response_stats: Record<string, Record<string, { count: string }>>;
      }[];
    };
    const s = stats.model_stats[0];
    expect([s?.inference_count, s?.execution_count]).toEqual(["2", "2"]);
    const r = s?.response_stats ?? {};
    expect(Object.keys(r).sort()).toEqual(["0", "1"]);
    expect(r["0"]?.success?.count).toBe("2");
    expect(r["1"]?.success?.count).toBe("1");
    expect(Number(r["0"]?.empty_response?.count)).toBe(0);
    // common PR #113 ("Add cancellation into response statistics") gave InferResponseStatistics
    // a sixth duration, cancel, as REST has.
    expect(Object.keys(r["0"] ?? {}).sort()).toEqual([
      "cancel",
      "compute_infer",
      "compute_output",
      "empty_response",
      "fail",
      "success",
    ]);
    expect(Number(r["0"]?.cancel?.count)).toBe(0);
  });

  it("gRPC ModelStatistics: a cancelled ModelStreamInfer call shows in response_stats' cancel", async () => {
    // core PR #329: a request cancelled before its final response counts one cancel at the next
    // response index (infer_stats.cc UpdateResponseCancel), reported over gRPC since common #113.
    const { mock } = await startVllmTriton({ "inter-token-latency": "20" });
    const client = inferenceClient(mock);
    const lengthPrefixed = (text: string) => {
      const b = Buffer.from(text);
      const length = Buffer.alloc(4);
      length.writeUInt32LE(b.length);
      return Buffer.concat([length, b]);
    };
    await new Promise<void>((resolve) => {
      const call = (
        client.raw.ModelStreamInfer as unknown as () => grpc.ClientDuplexStream<object, object>
      ).call(client.raw);
      call.on("data", () => call.cancel());
      call.on("error", () => resolve());
      call.write({
        model_name: "vllm_model",
        inputs: [
          { name: "text_input", datatype: "BYTES", shape: [1] },
          { name: "stream", datatype: "BOOL", shape: [1] },
          { name: "sampling_parameters", datatype: "BYTES", shape: [1] },
        ],
        raw_input_contents: [
          lengthPrefixed("Hello"),
          Buffer.of(1),
          lengthPrefixed(JSON.stringify({ max_tokens: 500, ignore_eos: true })),
        ],
      });
    });
    type Stat = Record<string, { cancel: { count: string; ns: string } }>;
    const cancels = async () => {
      const body = (await client.unary("ModelStatistics", { name: "vllm_model" })) as {
        model_stats: { response_stats: Stat }[];
      };
      const r = body.model_stats[0]?.response_stats ?? {};
      return Object.values(r).reduce((n, d) => n + Number(d.cancel.count), 0);
    };
    // The server sees the cancellation a moment after the client does.
    let seen = await cancels();
    for (let i = 0; i < 50 && seen === 0; i += 1) {
      await new Promise((r) => setTimeout(r, 20));
      seen = await cancels();
    }
    expect(seen).toBe(1);
  });
});
