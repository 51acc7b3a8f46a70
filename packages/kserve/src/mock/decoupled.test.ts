/**
 * runModel: what Triton's frontends see of a request's run (server
 * docs/user_guide/decoupled_models.md; src/grpc/stream_infer_handler.cc reads the callbacks,
 * each a response or none, with the final flag).
 */
import { defaultModelSpec } from "@servingkit/mock-core/engine";
import { ManualClock } from "@servingkit/mock-core/host";
import { describe, expect, it } from "vitest";
import { textToBytes } from "../datatypes.js";
import { type ModelCallback, recordedRun, runModel } from "./decoupled.js";
import { InferFault } from "./fault.js";
import type { InferResult } from "./infer.js";
import { identityModel, type MockModel, type ModelResponse, type Tensor } from "./models.js";
import { profiles } from "./profiles.js";
import { StatsStore } from "./triton-extensions.js";
import { createVllmModel } from "./triton-vllm-model.js";

const triton = profiles.triton;

async function all(callbacks: AsyncIterable<ModelCallback>): Promise<ModelCallback[]> {
  const out: ModelCallback[] = [];
  for await (const c of callbacks) out.push(c);
  return out;
}

const fp32 = (v: number): Tensor => ({
  name: "INPUT0",
  datatype: "FP32",
  shape: [1, 1],
  values: Float32Array.of(v),
});

describe("runModel", () => {
  it("a model without respond: compute's response, then the final flag alone", async () => {
    const model = identityModel("FP32", "identity", "1");
    const callbacks = await all(
      runModel(triton, model, "1", {
        id: "a",
        parameters: {},
        inputs: [fp32(2)],
        outputs: undefined,
      }),
    );
    expect(callbacks.map((c) => c.final)).toEqual([false, true]);
    expect(((callbacks[0] as ModelCallback).response as InferResult).outputs[0]?.values).toEqual(
      Float32Array.of(2),
    );
    expect(callbacks[1]?.response).toBeUndefined();
  });

  it("a model with respond: its responses in order with the flags it sends; errors kept as faults", async () => {
    const base = identityModel("FP32", "identity", "1");
    const model: MockModel = {
      ...base,
      decoupled: true,
      async *respond(inputs): AsyncGenerator<ModelResponse> {
        const x = inputs.get("INPUT0") as Tensor;
        yield { outputs: [{ ...x, name: "OUTPUT0" }] };
        yield { error: new InferFault("internal", "boom"), final: true };
      },
    };
    const callbacks = await all(
      runModel(triton, model, "1", {
        id: undefined,
        parameters: {},
        inputs: [fp32(1)],
        outputs: undefined,
      }),
    );
    expect(callbacks.map((c) => c.final)).toEqual([false, true]);
    expect(callbacks[1]?.response).toBeInstanceOf(InferFault);
  });

  it("a model that ends without a final response: the final flag alone", async () => {
    const model: MockModel = {
      ...identityModel("FP32", "identity", "1"),
      async *respond(inputs): AsyncGenerator<ModelResponse> {
        yield { outputs: [{ ...(inputs.get("INPUT0") as Tensor), name: "OUTPUT0" }] };
      },
    };
    const callbacks = await all(
      runModel(triton, model, "1", {
        id: undefined,
        parameters: {},
        inputs: [fp32(1)],
        outputs: undefined,
      }),
    );
    expect(callbacks.map((c) => [c.response === undefined, c.final])).toEqual([
      [false, false],
      [true, true],
    ]);
  });

  it("a model that sends nothing still ends with the final flag", async () => {
    const model: MockModel = {
      ...identityModel("FP32", "identity", "1"),
      async *respond() {},
    };
    const callbacks = await all(
      runModel(triton, model, "1", {
        id: undefined,
        parameters: {},
        inputs: [fp32(1)],
        outputs: undefined,
      }),
    );
    expect(callbacks).toEqual([{ response: undefined, final: true }]);
  });

  it("validates at once, as infer does (the runtime's refusal is thrown, no callback made)", () => {
    const model = identityModel("FP32", "identity", "1");
    expect(() =>
      runModel(triton, model, "1", {
        id: undefined,
        parameters: {},
        inputs: [],
        outputs: undefined,
      }),
    ).toThrow(/expected 1 inputs but got 0 inputs/);
  });

  it("only the outputs the request names (the Python backend sends requested outputs only)", async () => {
    const vllm = createVllmModel();
    const bool = (name: string, on: boolean): Tensor => ({
      name,
      datatype: "BOOL",
      shape: [1],
      values: Uint8Array.of(on ? 1 : 0),
    });
    const inputs: Tensor[] = [
      { name: "text_input", datatype: "BYTES", shape: [1], values: [textToBytes("Hi")] },
      bool("stream", false),
      bool("return_finish_reason", true),
    ];
    const [first] = await all(
      runModel(triton, vllm, "1", {
        id: undefined,
        parameters: { max_tokens: 2 },
        inputs,
        outputs: [{ name: "finish_reason", parameters: {} }],
      }),
    );
    expect(((first as ModelCallback).response as InferResult).outputs.map((t) => t.name)).toEqual([
      "finish_reason",
    ]);
  });

  it("an aborted signal ends a streaming vllm_model run early (the client went away)", async () => {
    const vllm = createVllmModel();
    const abort = new AbortController();
    const inputs: Tensor[] = [
      { name: "text_input", datatype: "BYTES", shape: [1], values: [textToBytes("Hi")] },
      { name: "stream", datatype: "BOOL", shape: [1], values: Uint8Array.of(1) },
    ];
    const run = runModel(
      triton,
      vllm,
      "1",
      {
        id: undefined,
        parameters: { max_tokens: 500, ignore_eos: true },
        inputs,
        outputs: undefined,
      },
      abort.signal,
    );
    let seen = 0;
    for await (const _ of run) {
      seen++;
      if (seen === 3) abort.abort();
    }
    expect(seen).toBeLessThan(10);
  });
});

describe("a paced vllm_model (--time-to-first-token, --inter-token-latency)", () => {
  const tick = () => new Promise((resolve) => setImmediate(resolve));

  it("each streamed response goes out when its token is due, the last flagged final when it is sent", async () => {
    // vllm_backend model.py: each RequestOutput is sent as it comes, flags FINAL when
    // request_output.finished; mock-core's fixed schedule puts token k at ttft + k × itl.
    await defaultModelSpec();
    const clock = new ManualClock();
    const vllm = createVllmModel({ clock, timeToFirstTokenMs: 100, interTokenMs: 10 });
    const inputs: Tensor[] = [
      { name: "text_input", datatype: "BYTES", shape: [1], values: [textToBytes("Hi")] },
      { name: "stream", datatype: "BOOL", shape: [1], values: Uint8Array.of(1) },
    ];
    const run = runModel(triton, vllm, "1", {
      id: undefined,
      parameters: { max_tokens: 3, ignore_eos: true },
      inputs,
      outputs: undefined,
    });
    const got: [number, boolean][] = [];
    const done = (async () => {
      for await (const c of run) got.push([clock.now(), c.final]);
    })();
    for (let i = 0; i < 5; i++) await tick();
    await clock.advance(99);
    await tick();
    expect(got).toEqual([]);
    for (const step of [1, 10, 10]) {
      await clock.advance(step);
      for (let i = 0; i < 5; i++) await tick();
    }
    await done;
    expect(got).toEqual([
      [100, false],
      [110, false],
      [120, true],
    ]);
  });
});

describe("recordedRun: the statistics of decoupled requests", () => {
  // extension_statistics.md "response_stats": per response index ("0", "1", ...) across
  // requests; core infer_stats.cc UpdateResponseSuccess (compute_infer, compute_output, success),
  // UpdateResponseFail (compute_infer, fail: no outputs extracted), UpdateResponseEmpty
  // (compute_infer, empty_response), UpdateResponseCancel (cancel only).
  const request = { id: "a", parameters: {}, inputs: [fp32(1)], outputs: undefined };
  const responder = (
    steps: readonly ("ok" | "error" | "wait")[],
    clock: ManualClock,
    final: boolean,
  ): MockModel => ({
    ...identityModel("FP32", "m", "1"),
    decoupled: true,
    async *respond(inputs): AsyncGenerator<ModelResponse> {
      for (const [i, step] of steps.entries()) {
        await clock.advance(10);
        const last = final && i === steps.length - 1;
        if (step === "error") {
          yield { error: new InferFault("internal", "boom"), final: last };
        } else {
          yield {
            outputs: [{ ...(inputs.get("INPUT0") as Tensor), name: "OUTPUT0" }],
            final: last,
          };
        }
      }
    },
  });

  it("each response at its index, timed since the previous one; the request counted once when final", async () => {
    const clock = new ManualClock();
    const stats = new StatsStore(clock, () => 1234);
    const model = responder(["ok", "ok", "error"], clock, true);
    await all(recordedRun(stats, triton, model, "1", request));
    await all(recordedRun(stats, triton, responder(["ok"], clock, true), "1", request));
    const [s] = stats.select([model], "1");
    expect(s).toMatchObject({
      inferenceCount: 2,
      executionCount: 2,
      lastInference: 1234,
      success: { count: 2, ns: 40e6 },
      fail: { count: 0, ns: 0 },
    });
    const ten = { count: 1, ns: 10e6 };
    const none = { count: 0, ns: 0 };
    expect(Object.fromEntries(s?.responseStats ?? [])).toEqual({
      "0": {
        computeInfer: { count: 2, ns: 20e6 },
        computeOutput: { count: 2, ns: 0 },
        success: { count: 2, ns: 20e6 },
        fail: none,
        emptyResponse: none,
        cancel: none,
      },
      "1": {
        computeInfer: ten,
        computeOutput: { count: 1, ns: 0 },
        success: ten,
        fail: none,
        emptyResponse: none,
        cancel: none,
      },
      "2": {
        computeInfer: ten,
        computeOutput: none,
        success: none,
        fail: ten,
        emptyResponse: none,
        cancel: none,
      },
    });
  });

  it("the final flag alone is an empty response at the next index", async () => {
    const clock = new ManualClock();
    const stats = new StatsStore(clock);
    const model = responder(["ok"], clock, false);
    const callbacks = await all(recordedRun(stats, triton, model, "1", request));
    expect(callbacks.map((c) => c.final)).toEqual([false, true]);
    const r = stats.select([model], "1")[0]?.responseStats;
    expect(r?.get("1")).toMatchObject({
      emptyResponse: { count: 1, ns: 0 },
      computeInfer: { count: 1 },
    });
    expect(stats.select([model], "1")[0]?.success.count).toBe(1);
  });

  it("a run stopped before its final response: a cancellation at the next index and a failed request", async () => {
    const clock = new ManualClock();
    const stats = new StatsStore(clock);
    const model = responder(["ok", "ok", "ok"], clock, true);
    for await (const _ of recordedRun(stats, triton, model, "1", request)) break;
    const [s] = stats.select([model], "1");
    expect(s?.responseStats.get("1")).toMatchObject({
      cancel: { count: 1 },
      computeInfer: { count: 0 },
    });
    expect(s).toMatchObject({ inferenceCount: 0, executionCount: 0, fail: { count: 1 } });
  });

  it("a request refused before it runs is a failure, with no response statistics", () => {
    const stats = new StatsStore(new ManualClock());
    const model = responder(["ok"], new ManualClock(), true);
    expect(() => recordedRun(stats, triton, model, "1", { ...request, inputs: [] })).toThrow(
      InferFault,
    );
    const [s] = stats.select([model], "1");
    expect(s?.fail.count).toBe(1);
    expect(s?.responseStats.size).toBe(0);
  });
});
