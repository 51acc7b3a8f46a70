/**
 * The gRPC surface as an independent client sees it: @grpc/grpc-js with @grpc/proto-loader
 * loading the repository's proto/inference/grpc_service.proto, against listening mocks, the way
 * the seeds' grpcurl example calls it (seeds 003 §2.9.8: `-proto ... -H "Authorization: Bearer
 * <token>" <host>:443 inference.GRPCInferenceService/ModelMetadata`).
 */
import * as grpc from "@grpc/grpc-js";
import type { MockOptions, RunningMock } from "@servingkit/mock-core/host";
import { afterEach, describe, expect, it } from "vitest";
import type { KserveRuntime } from "./profiles.js";
import {
  closeAll,
  type InferenceClient,
  inferenceClient,
  inferenceDefinition,
  startKserve,
  trackClient,
} from "./test-mocks.js";

afterEach(closeAll);

const start = (runtime: KserveRuntime, extra: Partial<MockOptions> = {}) =>
  startKserve(runtime, {}, extra);

type Call = InferenceClient["unary"];

const client = (mock: RunningMock, credentials = grpc.credentials.createInsecure()): Call =>
  inferenceClient(mock, credentials).unary;

/**
 * The failure of a call, with `details` percent-decoded: connect-node (the host) percent-encodes
 * `:` and `;` in grpc-message, which grpc-js's decodeURI leaves encoded; a C++ server sends them
 * plain (gRPC PROTOCOL-HTTP2.md allows both). Reported as a host change.
 */
async function rejection(promise: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await promise;
  } catch (error) {
    const e = error as grpc.ServiceError;
    e.details = decodeURIComponent(e.details);
    return e;
  }
  throw new Error("expected the call to fail");
}

const int32s = (values: number[]) => Buffer.from(Int32Array.from(values).buffer);
const row = (f: (i: number) => number) => Array.from({ length: 16 }, (_, i) => f(i));

describe("GRPCInferenceService core RPCs", () => {
  it("ServerLive, ServerReady, ServerMetadata per runtime (kserve-v2.md §4.1, §3)", async () => {
    for (const runtime of ["triton", "mlserver", "ovms"] as const) {
      const call = client(await start(runtime));
      expect(await call("ServerLive", {})).toEqual({ live: true });
      expect(await call("ServerReady", {})).toEqual({ ready: true });
      const meta = await call("ServerMetadata", {});
      expect(meta.name).toBe(
        { triton: "triton", mlserver: "mlserver", ovms: "OpenVINO Model Server" }[runtime],
      );
    }
  });

  it("ModelMetadata and ModelReady; unknown model: metadata NOT_FOUND, Triton's ready false (grpc_server.cc)", async () => {
    const call = client(await start("triton"));
    const meta = await call("ModelMetadata", { name: "simple", version: "" });
    expect(meta).toMatchObject({
      name: "simple",
      versions: ["1"],
      platform: "tensorflow_graphdef",
    });
    expect((meta.inputs as { shape: string[] }[])[0]?.shape).toEqual(["-1", "16"]);
    expect(await call("ModelReady", { name: "simple", version: "1" })).toEqual({ ready: true });
    // server grpc_server.cc ModelReady: TRITONSERVER_ServerModelIsReady answers false, no error.
    expect(await call("ModelReady", { name: "nope", version: "" })).toEqual({ ready: false });
    const error = await rejection(call("ModelMetadata", { name: "nope", version: "" }));
    expect(error.code).toBe(grpc.status.NOT_FOUND);
    expect(error.details).toBe("Request for unknown model: 'nope' is not found");
    const ovms = await rejection(client(await start("ovms"))("ModelMetadata", { name: "nope" }));
    expect([ovms.code, ovms.details]).toEqual([
      grpc.status.NOT_FOUND,
      "Model with requested name is not found",
    ]);
  });

  it("triton ModelInfer: typed contents in, raw_output_contents out only (kserve-v2.md §4.3)", async () => {
    const call = client(await start("triton"));
    const response = await call("ModelInfer", {
      model_name: "simple",
      id: "g1",
      inputs: [
        {
          name: "INPUT0",
          datatype: "INT32",
          shape: [1, 16],
          contents: { int_contents: row((i) => i) },
        },
        {
          name: "INPUT1",
          datatype: "INT32",
          shape: [1, 16],
          contents: { int_contents: row(() => 1) },
        },
      ],
    });
    expect(response).toMatchObject({ model_name: "simple", model_version: "1", id: "g1" });
    const outputs = response.outputs as { name: string; contents: unknown }[];
    expect(outputs.map((o) => o.name)).toEqual(["OUTPUT0", "OUTPUT1"]);
    expect(outputs[0]?.contents).toBeNull();
    const raw = response.raw_output_contents as Buffer[];
    expect(Array.from(new Int32Array(new Uint8Array(raw[0] as Buffer).buffer))).toEqual(
      row((i) => i + 1),
    );
  });

  it("raw_input_contents in; MLServer answers raw only when asked raw (kserve-v2.md §4.3)", async () => {
    const ml = client(await start("mlserver"));
    const typed = await ml("ModelInfer", {
      model_name: "iris",
      inputs: [
        {
          name: "input-0",
          datatype: "FP32",
          shape: [1, 4],
          contents: { fp32_contents: [6.3, 3.3, 6.0, 2.5] },
        },
      ],
    });
    expect((typed.raw_output_contents as unknown[]).length).toBe(0);
    expect(
      (typed.outputs as { contents: { int64_contents: string[] } }[])[0]?.contents.int64_contents,
    ).toEqual(["2"]);
    expect(typed.id).toMatch(/^[0-9a-f-]{36}$/);
    const raw = await ml("ModelInfer", {
      model_name: "iris",
      inputs: [{ name: "input-0", datatype: "FP32", shape: [1, 4] }],
      raw_input_contents: [Buffer.from(Float32Array.from([5.1, 3.5, 1.4, 0.2]).buffer)],
    });
    const bytes = (raw.raw_output_contents as Buffer[])[0] as Buffer;
    expect(new BigInt64Array(new Uint8Array(bytes).buffer)[0]).toBe(0n);
  });

  it("gRPC refusals: contents with raw, wrong datatype, each runtime's code (kserve-v2.md §4.4)", async () => {
    const triton = client(await start("triton"));
    const both = await rejection(
      triton("ModelInfer", {
        model_name: "identity_int32",
        inputs: [
          { name: "INPUT0", datatype: "INT32", shape: [1, 1], contents: { int_contents: [1] } },
        ],
        raw_input_contents: [int32s([1])],
      }),
    );
    expect([both.code, both.details]).toEqual([
      grpc.status.INVALID_ARGUMENT,
      "contents field must not be specified when using raw_input_contents for 'INPUT0' for model 'identity_int32'",
    ]);
    const missing = await rejection(
      triton("ModelInfer", {
        model_name: "identity_int32",
        inputs: [{ name: "INPUT0", datatype: "INT32", shape: [1, 1] }],
      }),
    );
    expect(missing.details).toBe(
      "unable to find data for input tensor 'INPUT0' for model 'identity_int32' in request.",
    );
    const ml = client(await start("mlserver"));
    const bf16 = await rejection(
      ml("ModelInfer", {
        model_name: "iris",
        inputs: [{ name: "input-0", datatype: "BF16", shape: [1, 4] }],
        raw_input_contents: [Buffer.alloc(8)],
      }),
    );
    expect(bf16.code).toBe(grpc.status.FAILED_PRECONDITION);
    const ovms = client(await start("ovms"));
    const precision = await rejection(
      ovms("ModelInfer", {
        model_name: "identity_fp32",
        inputs: [
          { name: "INPUT0", datatype: "INT32", shape: [1, 1], contents: { int_contents: [1] } },
        ],
      }),
    );
    expect([precision.code, precision.details]).toEqual([
      grpc.status.INVALID_ARGUMENT,
      "Invalid input precision - Expected: FP32; Actual: INT32; input name: INPUT0",
    ]);
  });

  it("the seed's grpcurl call over TLS with a token (seeds 003 §2.9.8; kserve-v2.md §5)", async () => {
    const mock = await start("triton", { tls: true, tokens: ["secret"] });
    const call = client(
      mock,
      grpc.credentials.createSsl(Buffer.from(mock.certificatePem as string)),
    );
    const metadata = new grpc.Metadata();
    metadata.set("authorization", "Bearer secret");
    expect(await call("ModelMetadata", { name: "simple" }, metadata)).toMatchObject({
      name: "simple",
    });
    const refused = await rejection(call("ModelMetadata", { name: "simple" }));
    expect(refused.code).toBe(grpc.status.UNAUTHENTICATED);
  });
});

describe("MLServer ModelStreamInfer (mlserver/grpc/servicers.py, dataplane.proto)", () => {
  /**
   * MLServer declares ModelStreamInfer as a stream of ModelInferResponse (not Triton's
   * ModelStreamInferResponse): a grpc-js bidi method on the same path, with proto-loader's
   * ModelInfer serializers for both directions.
   */
  function streamClient(mock: RunningMock) {
    const service = inferenceDefinition["inference.GRPCInferenceService"] as Record<
      string,
      grpc.MethodDefinition<object, Record<string, unknown>>
    >;
    const infer = service.ModelInfer as grpc.MethodDefinition<object, Record<string, unknown>>;
    const Client = grpc.makeGenericClientConstructor(
      {
        ModelStreamInfer: {
          ...infer,
          path: "/inference.GRPCInferenceService/ModelStreamInfer",
          requestStream: true,
          responseStream: true,
        },
      },
      "MlserverStream",
    );
    const c = trackClient(
      new Client(mock.endpoints.grpc as string, grpc.credentials.createInsecure()),
    );
    return (requests: object[]) =>
      new Promise<{ answers: Record<string, unknown>[]; error?: grpc.ServiceError }>((resolve) => {
        const call = (
          c as unknown as Record<string, () => grpc.ClientDuplexStream<object, object>>
        ).ModelStreamInfer?.();
        const answers: Record<string, unknown>[] = [];
        call?.on("data", (m: Record<string, unknown>) => answers.push(m));
        call?.on("end", () => resolve({ answers }));
        call?.on("error", (error: grpc.ServiceError) => resolve({ answers, error }));
        for (const r of requests) call?.write(r);
        call?.end();
      });
  }

  const request = (value: number) => ({
    model_name: "identity_fp32",
    inputs: [
      { name: "INPUT0", datatype: "FP32", shape: [1, 1], contents: { fp32_contents: [value] } },
    ],
  });

  it("answers each request with a ModelInferResponse, typed contents as MLServer's ModelInfer does", async () => {
    const stream = streamClient(await start("mlserver"));
    const { answers, error } = await stream([request(1), request(2)]);
    expect(error).toBeUndefined();
    expect(answers).toHaveLength(2);
    expect(answers[0]).toMatchObject({ model_name: "identity_fp32", model_version: "1" });
    const outputs = answers.map(
      (a) => (a.outputs as { contents: { fp32_contents: number[] } }[])[0]?.contents.fp32_contents,
    );
    expect(outputs).toEqual([[1], [2]]);
  });

  it("an unknown model ends the stream with grpc aio's UNKNOWN 'Unexpected <class ...>' text", async () => {
    const stream = streamClient(await start("mlserver"));
    const { error } = await stream([{ ...request(1), model_name: "nope" }]);
    expect(error?.code).toBe(grpc.status.UNKNOWN);
    expect(decodeURIComponent(error?.details ?? "")).toBe(
      "Unexpected <class 'mlserver.errors.ModelNotFound'>: Model nope not found",
    );
  });
});

describe("OVMS ModelStreamInfer (kfs_grpc_inference_service.cpp ModelStreamInferImpl)", () => {
  /** Runs a ModelStreamInfer call (Triton's and OVMS's ModelStreamInferResponse form) to its end. */
  function stream(mock: RunningMock, requests: object[]) {
    const { raw } = inferenceClient(mock);
    const call = (
      raw.ModelStreamInfer as () => grpc.ClientDuplexStream<object, Record<string, unknown>>
    )();
    return new Promise<{ answers: Record<string, unknown>[]; error?: grpc.ServiceError }>(
      (resolve) => {
        const answers: Record<string, unknown>[] = [];
        call.on("data", (m: Record<string, unknown>) => answers.push(m));
        call.on("end", () => resolve({ answers }));
        call.on("error", (error: grpc.ServiceError) => resolve({ answers, error }));
        for (const r of requests) call.write(r);
        call.end();
      },
    );
  }

  const request = (model: string) => ({
    model_name: model,
    inputs: [{ name: "INPUT0", datatype: "FP32", shape: [1, 1], contents: { fp32_contents: [1] } }],
  });

  it("a plain model or an unknown name is no MediaPipe graph: NOT_FOUND, no response", async () => {
    // MediapipeFactory::create → MEDIAPIPE_DEFINITION_NAME_MISSING; status.cpp "Model with
    // requested name is not found"; grpc_utils.cpp maps it to NOT_FOUND.
    const mock = await start("ovms");
    for (const model of ["identity_fp32", "nope"]) {
      const { answers, error } = await stream(mock, [request(model), request(model)]);
      expect(answers, model).toEqual([]);
      expect(error?.code, model).toBe(grpc.status.NOT_FOUND);
      expect(error?.details, model).toBe("Model with requested name is not found");
    }
    // The same request is served by ModelInfer: only the stream is for graphs.
    const unary = await client(mock)("ModelInfer", request("identity_fp32"));
    expect(unary.model_name).toBe("identity_fp32");
  });

  it("a stream closed before any request: UNKNOWN 'Unknown error'", async () => {
    // MEDIAPIPE_UNINITIALIZED_STREAM_CLOSURE is not in grpc_utils.cpp's map: its default.
    const { answers, error } = await stream(await start("ovms"), []);
    expect(answers).toEqual([]);
    expect([error?.code, error?.details]).toEqual([grpc.status.UNKNOWN, "Unknown error"]);
  });
});
