/**
 * `--modelmesh` (kserve-v2.md §3.4), end to end: the runtime behind ModelMesh's gRPC routing
 * (modelmesh.ts) and its REST proxy (modelmesh-rest-proxy.ts), with fetch and an independent
 * @grpc/grpc-js client. Sources: kserve/modelmesh
 * ModelMeshApi.java and VModelManager.java (id headers and texts), kserve/modelmesh-serving
 * cluster_config.go (ModelInfer and ModelMetadata take field 1 as a vmodel id; other RPCs need a
 * header), kserve/rest-proxy request.go and marshaler.go, grpc-gateway v2 runtime/errors.go.
 */
import * as grpc from "@grpc/grpc-js";
import { runtimeCatalog } from "@servingkit/mock-core/host";
import { afterEach, describe, expect, it } from "vitest";
import { modelmeshModelId } from "./modelmesh.js";
import type { KserveRuntime } from "./profiles.js";
import { closeAll, inferenceClient, startKserve } from "./test-mocks.js";

afterEach(closeAll);

async function start(runtime: KserveRuntime) {
  const mock = await startKserve(runtime, { modelmesh: true });
  const { raw, unary: call, failure } = inferenceClient(mock);
  const http = async (path: string, init?: RequestInit) => {
    const res = await fetch(`${mock.endpoints.http}${path}`, init);
    const text = await res.text();
    return { status: res.status, type: res.headers.get("content-type"), text };
  };
  return { raw, call, failure, http };
}

const post = (body: unknown) => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: typeof body === "string" ? body : JSON.stringify(body),
});

const identity = {
  id: "r1",
  inputs: [{ name: "INPUT0", shape: [1, 2], datatype: "FP32", data: [[1.5, 2]] }],
};

describe("--modelmesh REST (the REST proxy)", () => {
  it("routes only metadata and infer; everything else is grpc-gateway's 404 / 501 JSON", async () => {
    const m = await start("ovms");
    const notFound = {
      status: 404,
      type: "application/json",
      text: '{"code":5,"message":"Not Found"}',
    };
    // kserve-v2.md §3.4: no /v2, no health, no ready behind the proxy.
    expect(await m.http("/v2/health/live")).toEqual(notFound);
    expect(await m.http("/v2/health/ready")).toEqual(notFound);
    expect(await m.http("/v2")).toEqual(notFound);
    expect(await m.http("/v2/models/resnet/ready")).toEqual(notFound);
    expect(await m.http("/v2/health/live", { method: "POST" })).toEqual(notFound);
    // errors.go DefaultRoutingErrorHandler: a wrong method is UNIMPLEMENTED → 501.
    expect(await m.http("/v2/models/resnet/infer")).toEqual({
      status: 501,
      type: "application/json",
      text: '{"code":12,"message":"Method Not Allowed"}',
    });
  });

  it("metadata is protojson of the runtime's answer: internal model id, int64 shapes as strings", async () => {
    const m = await start("ovms");
    const res = await m.http("/v2/models/resnet");
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({
      name: modelmeshModelId("resnet"),
      versions: ["1"],
      platform: "OpenVINO",
      inputs: [{ name: "0", datatype: "FP32", shape: ["1", "224", "224", "3"] }],
      outputs: [{ name: "1463", datatype: "FP32", shape: ["1", "1001"] }],
    });
    // kserve-v2.md §3.4: model_name is ModelMesh's internal id, `<name>__ksp-<hex>`.
    expect(modelmeshModelId("resnet")).toMatch(/^resnet__ksp-[0-9a-f]{10}$/);
  });

  it("infer: JSON in (nested data), rest-proxy's response keys out, model_name the internal id", async () => {
    const m = await start("triton");
    const res = await m.http("/v2/models/identity_fp32/infer", post(identity));
    expect(res.status).toBe(200);
    // marshaler.go RESTResponse: model_name, model_version, id, parameters?, outputs.
    expect(res.text).toBe(
      `{"model_name":"${modelmeshModelId("identity_fp32")}","model_version":"1","id":"r1","outputs":[{"name":"OUTPUT0","datatype":"FP32","shape":[1,2],"data":[1.5,2]}]}`,
    );
    const bytes = await m.http(
      "/v2/models/identity_bytes/infer",
      post({ inputs: [{ name: "INPUT0", shape: [1, 1], datatype: "BYTES", data: ["hi"] }] }),
    );
    // marshaler.go: BYTES outputs are base64 with content_type "base64".
    expect(JSON.parse(bytes.text).outputs[0]).toEqual({
      name: "OUTPUT0",
      datatype: "BYTES",
      shape: [1, 1],
      parameters: { content_type: "base64" },
      data: [Buffer.from("hi").toString("base64")],
    });
  });

  it("refusals are {code, message} with grpc-gateway's status: the proxy's own and the runtime's", async () => {
    const m = await start("triton");
    const fp16 = await m.http(
      "/v2/models/identity_fp16/infer",
      post({ inputs: [{ name: "INPUT0", shape: [1, 1], datatype: "FP16", data: [1] }] }),
    );
    // request.go targetArray (its wording: "response tensor" on the request side).
    expect([fp16.status, JSON.parse(fp16.text)]).toEqual([
      400,
      { code: 3, message: "FP16 tensors not supported (response tensor INPUT0)" },
    ]);
    const unknown = await m.http("/v2/models/nope/infer", post(identity));
    expect([unknown.status, JSON.parse(unknown.text)]).toEqual([
      404,
      { code: 5, message: "vmodel not found" },
    ]);
    const wrongType = await m.http(
      "/v2/models/identity_int32/infer",
      post({ inputs: [{ name: "INPUT0", shape: [1, 1], datatype: "INT32", data: [1.5] }] }),
    );
    expect(JSON.parse(wrongType.text)).toEqual({
      code: 3,
      message: "json: cannot unmarshal number 1.5 into Go value of type int32",
    });
    const ragged = await m.http(
      "/v2/models/identity_fp32/infer",
      post({ inputs: [{ name: "INPUT0", shape: [2, 2], datatype: "FP32", data: [[1, 2, 3, 4]] }] }),
    );
    expect(JSON.parse(ragged.text)).toEqual({
      code: 3,
      message: "invalid tensor data: invalid nested json arrays",
    });
    const malformed = await m.http("/v2/models/identity_fp32/infer", post("{oops"));
    expect(malformed.status).toBe(400);
    expect(JSON.parse(malformed.text).code).toBe(3);
    // The runtime's own refusal, through ModelMesh: Triton's text naming the internal id.
    const shape = await m.http(
      "/v2/models/simple/infer",
      post({
        inputs: ["INPUT0", "INPUT1"].map((name) => ({
          name,
          shape: [1, 15],
          datatype: "INT32",
          data: new Array(15).fill(1),
        })),
      }),
    );
    expect(shape.status).toBe(400);
    const body = JSON.parse(shape.text) as { code: number; message: string };
    expect(body.code).toBe(3);
    expect(body.message).toContain(
      `unexpected shape for input 'INPUT0' for model '${modelmeshModelId("simple")}'`,
    );
  });
});

describe("--modelmesh REST decoding (rest-proxy request.go with Go's encoding/json)", () => {
  it("members of the wrong JSON kind get Go's unmarshal errors as INVALID_ARGUMENT 400", async () => {
    const m = await start("triton");
    const cases: [unknown, string][] = [
      [[], "json: cannot unmarshal array into Go value of type main.RESTRequest"],
      [
        { id: 5 },
        "json: cannot unmarshal number into Go struct field RESTRequest.id of type string",
      ],
      [
        { inputs: {} },
        "json: cannot unmarshal object into Go struct field RESTRequest.inputs of type []main.InputTensor",
      ],
      [
        { inputs: [{ name: "INPUT0", datatype: "FP32", shape: ["1"], data: [1] }] },
        "json: cannot unmarshal string into Go struct field InputTensorMeta.shape of type int64",
      ],
      [
        { parameters: "x" },
        "json: cannot unmarshal string into Go value of type map[string]interface {}",
      ],
    ];
    for (const [body, message] of cases) {
      const res = await m.http("/v2/models/identity_fp32/infer", post(body));
      expect([res.status, JSON.parse(res.text)]).toEqual([400, { code: 3, message }]);
    }
  });

  it("fuzz: random JSON bodies always get a {code, message} or an answer, and the mock keeps serving", async () => {
    const m = await start("triton");
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
    const scalars = [null, 0, -1, 1.5, "x", true, [], {}, [1, [2]], "FP32", 2 ** 40];
    for (let i = 0; i < 60; i++) {
      const input: Record<string, unknown> = {
        name: pick(["INPUT0", 3, null]),
        datatype: pick(["FP32", "FP16", "BF16", "INT64", "BYTES", "NOPE", 1]),
        shape: pick([[1, 2], [2], [], "1", [1.5], [-1, 2]]),
        data: pick([[1, 2], [[1, 2]], ["a"], 1, null, [true], [[1], [2, 3]]]),
      };
      if (random() < 0.3) input[pick(["parameters", "extra"])] = pick(scalars);
      const body = random() < 0.1 ? pick(["{", "[", "nul", ""]) : { inputs: [input] };
      const res = await m.http("/v2/models/identity_fp32/infer", post(body));
      const json = JSON.parse(res.text) as Record<string, unknown>;
      if (res.status === 200) expect(json.model_name).toBe(modelmeshModelId("identity_fp32"));
      else expect(typeof json.code === "number" && typeof json.message === "string").toBe(true);
    }
    const ok = await m.http("/v2/models/identity_fp32/infer", post(identity));
    expect(ok.status).toBe(200);
  });
});

describe("--modelmesh gRPC (ModelMesh's model id routing)", () => {
  it("ModelInfer / ModelMetadata take model_name as the vmodel id, else the mm-vmodel-id header", async () => {
    const m = await start("ovms");
    const request = {
      model_name: "identity_fp32",
      inputs: [
        { name: "INPUT0", datatype: "FP32", shape: [1, 1], contents: { fp32_contents: [3] } },
      ],
    };
    const answer = await m.call("ModelInfer", request);
    expect(answer.model_name).toBe(modelmeshModelId("identity_fp32"));
    const byHeader = await m.call(
      "ModelInfer",
      { ...request, model_name: "" },
      { "mm-vmodel-id": "identity_fp32" },
    );
    expect(byHeader.model_name).toBe(modelmeshModelId("identity_fp32"));
    const meta = await m.call(
      "ModelMetadata",
      { name: "", version: "" },
      {
        "mm-model-id": modelmeshModelId("resnet"),
      },
    );
    expect(meta.name).toBe(modelmeshModelId("resnet"));
  });

  it("ModelMesh's refusals: unknown ids, no id, both ids (ModelMeshApi.java)", async () => {
    const m = await start("triton");
    expect(await m.failure("ModelInfer", { model_name: "nope" })).toEqual({
      code: grpc.status.NOT_FOUND,
      details: "vmodel not found",
    });
    expect(await m.failure("ModelInfer", { model_name: "" }, { "mm-model-id": "nope" })).toEqual({
      code: grpc.status.NOT_FOUND,
      details: "model not found",
    });
    expect(await m.failure("ServerLive", {})).toEqual({
      code: grpc.status.INVALID_ARGUMENT,
      details: "must include mm-model-id header",
    });
    expect(
      await m.failure(
        "ModelMetadata",
        { name: "" },
        { "mm-model-id": modelmeshModelId("simple"), "mm-vmodel-id": "simple" },
      ),
    ).toEqual({
      code: grpc.status.INVALID_ARGUMENT,
      details: "must include only one of model id and vmodel id",
    });
    // Other RPCs pass with an id header (allowOtherRpcs) and answer as the runtime does.
    expect(await m.call("ServerLive", {}, { "mm-vmodel-id": "simple" })).toEqual({ live: true });
  });

  it("ModelStreamInfer is not proxied (ModelMesh proxies unary calls only): UNIMPLEMENTED", async () => {
    const m = await start("triton");
    // A Triton extension RPC is one of the "other RPCs": it needs an id header.
    expect(await m.failure("ModelConfig", { name: "simple" })).toEqual({
      code: grpc.status.INVALID_ARGUMENT,
      details: "must include mm-model-id header",
    });
    const stream = m.raw as unknown as Record<
      string,
      () => grpc.ClientDuplexStream<object, object>
    >;
    const call = stream.ModelStreamInfer?.();
    const code = await new Promise<number>((resolve) => {
      call?.on("error", (e: grpc.ServiceError) => resolve(e.code));
      call?.on("data", () => {});
      call?.write({ model_name: "simple" });
      call?.end();
    });
    expect(code).toBe(grpc.status.UNIMPLEMENTED);
  });

  it("the catalog gives ModelMesh's ports: REST proxy 8008, gRPC 8033 (kserve-v2.md §3.4)", () => {
    for (const runtime of ["triton", "mlserver", "ovms"] as const) {
      expect(runtimeCatalog[runtime].modelmesh).toEqual({ httpPort: 8008, grpcPort: 8033 });
    }
  });
});
