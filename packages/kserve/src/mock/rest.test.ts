/**
 * The REST surface of the three KServe v2 mocks, through the host (fastify inject): metadata,
 * readiness, inference and each runtime's refusals. Facts: shared/reference/kserve-v2.md.
 */
import { type BuiltMock, buildMock } from "@servingkit/mock-core/host";
import { afterEach, describe, expect, it } from "vitest";
import { joinBinaryBody } from "../binary-body.js";
import { kserveMockModule } from "../mock.js";
import type { KserveRuntime } from "./profiles.js";
import { closeAll, startKserve } from "./test-mocks.js";

const open: BuiltMock[] = [];
afterEach(async () => {
  for (const mock of open.splice(0)) await mock.close();
  await closeAll();
});

async function mock(
  runtime: KserveRuntime,
  values: Record<string, boolean> = {},
): Promise<BuiltMock> {
  const plugins = await kserveMockModule.plugins({ runtime, models: [], values });
  const built = await buildMock({ runtime, plugins });
  open.push(built);
  return built;
}

const simpleBody = (extra: Record<string, unknown> = {}) => ({
  inputs: [
    {
      name: "INPUT0",
      shape: [1, 16],
      datatype: "INT32",
      data: Array.from({ length: 16 }, (_, i) => i),
    },
    {
      name: "INPUT1",
      shape: [1, 16],
      datatype: "INT32",
      data: Array.from({ length: 16 }, () => 1),
    },
  ],
  ...extra,
});

async function post(
  m: BuiltMock,
  url: string,
  payload: unknown,
  headers: Record<string, string> = {},
) {
  return m.http.inject({
    method: "POST",
    url,
    payload:
      typeof payload === "string" || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload),
    headers: { "content-type": "application/json", ...headers },
  });
}

describe("server metadata", () => {
  it("triton: name, 2.x.y version, the 13 extensions in order (kserve-v2.md §3.1)", async () => {
    const res = await (await mock("triton")).http.inject({ method: "GET", url: "/v2" });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.name).toBe("triton");
    expect(body.version).toMatch(/^2\.\d+\.\d+$/);
    expect(body.extensions).toHaveLength(13);
    expect(body.extensions[0]).toBe("classification");
    expect(body.extensions[8]).toBe("binary_tensor_data");
    expect(body.extensions[12]).toBe("logging");
  });

  it("mlserver: extensions [] (kserve-v2.md §3.2); ovms: no extensions key (§3.3)", async () => {
    const ml = (await (await mock("mlserver")).http.inject({ method: "GET", url: "/v2" })).json();
    expect(ml).toMatchObject({ name: "mlserver", extensions: [] });
    const ov = (await (await mock("ovms")).http.inject({ method: "GET", url: "/v2" })).json();
    expect(ov.name).toBe("OpenVINO Model Server");
    expect(Object.keys(ov)).toEqual(["name", "version"]);
  });
});

describe("model metadata and readiness", () => {
  it("triton simple: versions, platform, -1 batch dim for max_batch_size 8 (kserve-v2.md §3.1)", async () => {
    const res = await (await mock("triton")).http.inject({
      method: "GET",
      url: "/v2/models/simple",
    });
    expect(res.json()).toEqual({
      name: "simple",
      versions: ["1"],
      platform: "tensorflow_graphdef",
      inputs: [
        { name: "INPUT0", datatype: "INT32", shape: [-1, 16] },
        { name: "INPUT1", datatype: "INT32", shape: [-1, 16] },
      ],
      outputs: [
        { name: "OUTPUT0", datatype: "INT32", shape: [-1, 16] },
        { name: "OUTPUT1", datatype: "INT32", shape: [-1, 16] },
      ],
    });
  });

  it("triton: numeric versions only; /versions/abc is an unknown path 404 (kserve-v2.md §3.1)", async () => {
    const m = await mock("triton");
    const res = await m.http.inject({ method: "GET", url: "/v2/models/simple/versions/abc" });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: "Not Found" });
    const v9 = await m.http.inject({ method: "GET", url: "/v2/models/simple/versions/9" });
    expect(v9.statusCode).toBe(404);
    expect(v9.json()).toEqual({
      error: "Request for unknown model: 'simple' version 9 is not found",
    });
  });

  it("ready: 200 empty bodies; unknown model: Triton not ready, the others in their words (kserve-v2.md §3.2, §3.3)", async () => {
    const triton = await mock("triton");
    const ok = await triton.http.inject({
      method: "GET",
      url: "/v2/models/simple/versions/1/ready",
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toBe("");
    // Triton's readiness is a boolean (core server.cc ModelIsReady swallows the lookup error;
    // server http_server.cc HandleModelReady answers false with 400 "Model version not ready").
    const missing = await triton.http.inject({ method: "GET", url: "/v2/models/nope/ready" });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toEqual({ error: "Model version not ready" });

    const ml = await mock("mlserver");
    const mlMissing = await ml.http.inject({ method: "GET", url: "/v2/models/nope/ready" });
    expect([mlMissing.statusCode, mlMissing.json()]).toEqual([
      404,
      { error: "Model nope not found" },
    ]);
    const mlVersion = await ml.http.inject({
      method: "GET",
      url: "/v2/models/iris/versions/v9/ready",
    });
    expect(mlVersion.json()).toEqual({ error: "Model iris with version v9 not found" });
    const mlReady = await ml.http.inject({
      method: "GET",
      url: "/v2/models/iris/versions/v0.1.0/ready",
    });
    expect([mlReady.statusCode, mlReady.body]).toEqual([200, ""]);

    const ov = await mock("ovms");
    const ovMissing = await ov.http.inject({ method: "GET", url: "/v2/models/nope/ready" });
    expect([ovMissing.statusCode, ovMissing.json()]).toEqual([
      404,
      { error: "Model with requested name is not found" },
    ]);
    const ovReady = await ov.http.inject({ method: "GET", url: "/v2/models/resnet/ready" });
    expect([ovReady.statusCode, ovReady.headers["content-type"], ovReady.body]).toEqual([
      200,
      "application/json",
      "",
    ]);
  });

  it("ovms: metadata platform OpenVINO with concrete shapes (kserve-v2.md §3.3)", async () => {
    const res = await (await mock("ovms")).http.inject({ method: "GET", url: "/v2/models/resnet" });
    expect(res.json()).toMatchObject({
      name: "resnet",
      versions: ["1"],
      platform: "OpenVINO",
      inputs: [{ name: "0", datatype: "FP32", shape: [1, 224, 224, 3] }],
    });
  });
});

describe("inference (JSON)", () => {
  it("triton simple: add/sub, key order id, model_name, model_version, outputs (kserve-v2.md §3.1)", async () => {
    const res = await post(
      await mock("triton"),
      "/v2/models/simple/infer",
      simpleBody({ id: "r1" }),
    );
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(Object.keys(body)).toEqual(["id", "model_name", "model_version", "outputs"]);
    expect(body.model_version).toBe("1");
    expect(body.outputs[0]).toEqual({
      name: "OUTPUT0",
      datatype: "INT32",
      shape: [1, 16],
      data: Array.from({ length: 16 }, (_, i) => i + 1),
    });
    expect(body.outputs[1].data[0]).toBe(-1);
  });

  it("nested data equals flat data (kserve-v2.md §1.7)", async () => {
    const m = await mock("triton");
    const nested = {
      inputs: [
        {
          name: "INPUT0",
          shape: [2, 2],
          datatype: "FP32",
          data: [
            [1, 2],
            [3, 4],
          ],
        },
      ],
    };
    const res = await post(m, "/v2/models/identity_fp32/infer", nested);
    expect(res.json().outputs[0]).toEqual({
      name: "OUTPUT0",
      datatype: "FP32",
      shape: [2, 2],
      data: [1, 2, 3, 4],
    });
  });

  it("every datatype round-trips through a JSON identity where the runtime allows it (kserve-v2.md §1.7)", async () => {
    const samples: Record<string, unknown[]> = {
      BOOL: [true, false],
      UINT8: [0, 255],
      UINT16: [1, 65535],
      UINT32: [1, 4294967295],
      UINT64: [0, 9007199254740991],
      INT8: [-128, 127],
      INT16: [-32768, 32767],
      INT32: [-5, 5],
      INT64: [-9007199254740991, 3],
      FP32: [1.5, -2.25],
      FP64: [0.1, 1e300],
      BYTES: ["héllo", ""],
    };
    for (const runtime of ["triton", "mlserver", "ovms"] as const) {
      const m = await mock(runtime);
      for (const [datatype, data] of Object.entries(samples)) {
        const res = await post(m, `/v2/models/identity_${datatype.toLowerCase()}/infer`, {
          inputs: [{ name: "INPUT0", shape: [1, 2], datatype, data }],
        });
        expect(res.statusCode, `${runtime} ${datatype}: ${res.body}`).toBe(200);
        expect(res.json().outputs[0].data).toEqual(data);
      }
    }
  });

  it("mlserver always returns an id and np content types (kserve-v2.md §3.2)", async () => {
    const res = await post(await mock("mlserver"), "/v2/models/iris/infer", {
      inputs: [
        {
          name: "input-0",
          shape: [2, 4],
          datatype: "FP32",
          data: [5.1, 3.5, 1.4, 0.2, 6.3, 3.3, 6.0, 2.5],
        },
      ],
    });
    const body = res.json();
    expect(Object.keys(body)).toEqual(["model_name", "model_version", "id", "outputs"]);
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.model_version).toBe("v0.1.0");
    expect(body.outputs[0]).toEqual({
      name: "predict",
      shape: [2],
      datatype: "INT64",
      parameters: { content_type: "np" },
      data: [0, 2],
    });
  });

  it("the seeds' curl body works verbatim on triton and ovms (no content type, model_name in body)", async () => {
    // seeds 003 §2.9.4/§2.9.8: curl -d without -H Content-Type sends a form type; both read JSON anyway.
    const seed = (
      model: string,
      input: string,
      shape: number[],
      datatype: string,
      data: number[],
    ) =>
      `{ "model_name": "${model}", "inputs": [{ "name": "${input}", "shape": [${shape}], "datatype": "${datatype}", "data": [${data}] }]}`;
    const form = { "content-type": "application/x-www-form-urlencoded" };
    const triton = await post(
      await mock("triton"),
      "/v2/models/identity_fp32/infer",
      seed("identity_fp32", "INPUT0", [1, 3], "FP32", [1, 2, 3]),
      form,
    );
    expect(triton.statusCode).toBe(200);
    const ovms = await post(
      await mock("ovms"),
      "/v2/models/identity_fp32/infer",
      seed("identity_fp32", "INPUT0", [1, 3], "FP32", [1, 2, 3]),
      form,
    );
    expect(ovms.statusCode).toBe(200);
    expect(Object.keys(ovms.json())).toEqual(["model_name", "model_version", "outputs"]);
  });

  it("mlserver refuses a form content type with FastAPI's 422 (seeds/README.md exception)", async () => {
    const res = await post(await mock("mlserver"), "/v2/models/iris/infer", '{"inputs": []}', {
      "content-type": "application/x-www-form-urlencoded",
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().detail[0]).toMatchObject({
      type: "model_attributes_type",
      loc: ["body"],
      input: '{"inputs": []}',
    });
  });
});

describe("refusals", () => {
  it("triton: missing input with the request-id prefix (kserve-v2.md §3.1)", async () => {
    const res = await post(await mock("triton"), "/v2/models/simple/infer", {
      inputs: [simpleBody().inputs[0]],
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toBe(
      "[request id: <id_unknown>] expected 2 inputs but got 1 inputs for model 'simple'. Got input(s) ['INPUT0'], but missing required input(s) ['INPUT1']. Please provide all required input(s).",
    );
  });

  it("triton: datatype, shape, unknown output, reserved parameter texts (kserve-v2.md §3.1, core model.cc)", async () => {
    const m = await mock("triton");
    const body = simpleBody();
    const wrongType = { inputs: [{ ...body.inputs[0], datatype: "FP32" }, body.inputs[1]] };
    expect((await post(m, "/v2/models/simple/infer", wrongType)).json().error).toBe(
      "[request id: <id_unknown>] inference input 'INPUT0' data-type is 'FP32', but model 'simple' expects 'INT32'",
    );
    const wrongShape = {
      id: "abc",
      inputs: [
        { ...body.inputs[0], shape: [1, 15], data: body.inputs[0]?.data.slice(1) },
        body.inputs[1],
      ],
    };
    const shapeRes = await post(m, "/v2/models/simple/infer", wrongShape);
    expect(shapeRes.statusCode).toBe(400);
    expect(shapeRes.json().error).toMatch(
      /^\[request id: abc\] unexpected shape for input 'INPUT0' for model 'simple'\. Expected \[-1,16\], got \[1,15\]\. NOTE: Setting a non-zero max_batch_size/,
    );
    const output = await post(
      m,
      "/v2/models/simple/infer",
      simpleBody({ outputs: [{ name: "OUTPUTX" }] }),
    );
    expect(output.json()).toEqual({
      error: "unexpected inference output 'OUTPUTX' for model 'simple'",
    });
    const reserved = await post(
      m,
      "/v2/models/simple/infer",
      simpleBody({ parameters: { triton_x: 1 } }),
    );
    expect(reserved.statusCode).toBe(400);
    const batch = await post(m, "/v2/models/simple/infer", {
      inputs: ["INPUT0", "INPUT1"].map((name) => ({
        name,
        shape: [9, 16],
        datatype: "INT32",
        data: new Array(144).fill(0),
      })),
    });
    expect(batch.json()).toEqual({
      error: "inference request batch-size must be <= 8 for 'simple'",
    });
  });

  it("triton: JSON-layer failures are 500 INTERNAL (kserve-v2.md §3.1)", async () => {
    const m = await mock("triton");
    const malformed = await post(m, "/v2/models/simple/infer", "{not json");
    expect(malformed.statusCode).toBe(500);
    expect(malformed.json().error).toMatch(/^failed to parse the request JSON buffer: /);
    const noInputs = await post(m, "/v2/models/simple/infer", { id: "x" });
    expect([noInputs.statusCode, noInputs.json().error]).toEqual([
      500,
      "Unable to parse 'inputs': attempt to access non-existing object member 'inputs'",
    ]);
    const few = await post(m, "/v2/models/identity_fp32/infer", {
      inputs: [{ name: "INPUT0", shape: [1, 3], datatype: "FP32", data: [1, 2] }],
    });
    expect(few.json()).toEqual({
      error: "Failed to parse 'data' field: shape does not match true shape",
    });
    const many = await post(m, "/v2/models/identity_fp32/infer", {
      inputs: [{ name: "INPUT0", shape: [1, 1], datatype: "FP32", data: [1, 2] }],
    });
    expect(many.json()).toEqual({
      error: "Unable to parse 'data': Shape does not match true shape of 'data' field",
    });
    const wrongJsonType = await post(m, "/v2/models/identity_fp32/infer", {
      inputs: [{ name: "INPUT0", shape: [1, 1], datatype: "FP32", data: ["x"] }],
    });
    expect(wrongJsonType.json()).toEqual({
      error: "Unable to parse 'data': attempt to access JSON non-number as double",
    });
    const fp16 = await post(m, "/v2/models/identity_fp16/infer", {
      inputs: [{ name: "INPUT0", shape: [1, 1], datatype: "FP16", data: [1] }],
    });
    expect([fp16.statusCode, fp16.json().error]).toEqual([
      400,
      "receiving FP16 data via JSON is not supported. Please use the binary data format for input INPUT0",
    ]);
    const badType = await post(m, "/v2/models/identity_fp32/infer", {
      inputs: [{ name: "INPUT0", shape: [1, 1], datatype: "FLOAT", data: [1] }],
    });
    expect([badType.statusCode, badType.json().error]).toEqual([
      400,
      "invalid datatype for input INPUT0",
    ]);
  });

  it("triton --legacy-status: every error is 400 (before 24.01, kserve-v2.md §3.1)", async () => {
    const m = await mock("triton", { "legacy-status": true });
    const unknown = await post(m, "/v2/models/nope/infer", simpleBody());
    expect([unknown.statusCode, unknown.json().error]).toEqual([
      400,
      "Request for unknown model: 'nope' is not found",
    ]);
    expect((await post(m, "/v2/models/simple/infer", "{")).statusCode).toBe(400);
  });

  it("mlserver: FastAPI 422 for schema errors, plain 500 for numpy failures (kserve-v2.md §3.2)", async () => {
    const m = await mock("mlserver");
    const missing = await post(m, "/v2/models/iris/infer", { id: "x" });
    expect(missing.statusCode).toBe(422);
    expect(missing.json().detail[0]).toMatchObject({
      type: "missing",
      loc: ["body", "inputs"],
      msg: "Field required",
    });
    const malformed = await post(m, "/v2/models/iris/infer", "{oops");
    expect(malformed.statusCode).toBe(422);
    // fastapi/routing.py: loc ("body", e.pos) and ctx {"error": e.msg} of json.loads' error.
    expect(malformed.json().detail).toEqual([
      {
        type: "json_invalid",
        loc: ["body", 1],
        msg: "JSON decode error",
        input: {},
        ctx: { error: "Expecting property name enclosed in double quotes" },
      },
    ]);
    const bf16 = await post(m, "/v2/models/iris/infer", {
      inputs: [{ name: "input-0", shape: [1, 4], datatype: "BF16", data: [1, 2, 3, 4] }],
    });
    expect(bf16.statusCode).toBe(422);
    expect(bf16.json().detail[0]).toMatchObject({
      type: "enum",
      loc: ["body", "inputs", 0, "datatype"],
      input: "BF16",
    });
    const count = await post(m, "/v2/models/iris/infer", {
      inputs: [{ name: "input-0", shape: [1, 4], datatype: "FP32", data: [1, 2, 3] }],
    });
    expect([count.statusCode, count.headers["content-type"], count.body]).toEqual([
      500,
      "text/plain; charset=utf-8",
      "Internal Server Error",
    ]);
    const unknown = await post(m, "/v2/models/nope/infer", { inputs: [] });
    expect([unknown.statusCode, unknown.json()]).toEqual([404, { error: "Model nope not found" }]);
  });

  it("ovms: 'base - details' texts, 412 for invalid JSON (kserve-v2.md §3.3)", async () => {
    const m = await mock("ovms");
    const malformed = await post(m, "/v2/models/resnet/infer", "{");
    expect(malformed.statusCode).toBe(412);
    expect(malformed.json().error).toMatch(/^The file is not valid json - /);
    expect((await post(m, "/v2/models/resnet/infer", "[]")).json()).toEqual({
      error: "Request body should be JSON object",
    });
    expect((await post(m, "/v2/models/resnet/infer", {})).json()).toEqual({
      error: "Invalid JSON structure, missing inputs",
    });
    const shape = await post(m, "/v2/models/resnet/infer", {
      inputs: [{ name: "0", shape: [2, 3], datatype: "FP32", data: [1, 2, 3, 4, 5, 6] }],
    });
    expect(shape.json()).toEqual({
      error:
        "Invalid number of shape dimensions - Expected: (1,224,224,3); Actual: (2,3); input name: 0",
    });
    const precision = await post(m, "/v2/models/identity_fp32/infer", {
      inputs: [{ name: "INPUT0", shape: [1, 1], datatype: "INT32", data: [1] }],
    });
    expect(precision.json()).toEqual({
      error: "Invalid input precision - Expected: FP32; Actual: INT32; input name: INPUT0",
    });
    const floatInInt = await post(m, "/v2/models/identity_int32/infer", {
      inputs: [{ name: "INPUT0", shape: [1, 1], datatype: "INT32", data: [1.5] }],
    });
    expect(floatInInt.json()).toEqual({
      error: "Could not parse input content. Not valid ndarray detected",
    });
    expect((await m.http.inject({ method: "GET", url: "/v2/nothing" })).json()).toEqual({
      error: "Invalid request URL",
    });
    expect((await m.http.inject({ method: "DELETE", url: "/v2" })).statusCode).toBe(406);
  });

  it("ovms: parser and validation texts as model_server's rest_parser.cpp and status.cpp give them", async () => {
    const m = await mock("ovms");
    const input = { name: "INPUT0", shape: [1, 1], datatype: "FP32", data: [1] };
    // KFSRestParser::parse: `inputs` present but not an array, an input without a name, an `id`
    // that is no string: REST_COULD_NOT_PARSE_INPUT.
    const parseInput = { error: "Could not parse input content. Not valid ndarray detected" };
    expect((await post(m, "/v2/models/identity_fp32/infer", { inputs: {} })).json()).toEqual(
      parseInput,
    );
    expect(
      (await post(m, "/v2/models/identity_fp32/infer", { inputs: [{ ...input, name: 7 }] })).json(),
    ).toEqual(parseInput);
    expect(
      (await post(m, "/v2/models/identity_fp32/infer", { id: 5, inputs: [input] })).json(),
    ).toEqual(parseInput);
    // REST_COULD_NOT_PARSE_OUTPUT.
    expect(
      (await post(m, "/v2/models/identity_fp32/infer", { inputs: [input], outputs: {} })).json(),
    ).toEqual({ error: "Could not parse output content." });
    // INVALID_MISSING_OUTPUT with predict_request_validation_utils.cpp's "Optional output: " detail.
    const output = await post(m, "/v2/models/identity_fp32/infer", {
      inputs: [input],
      outputs: [{ name: "nope" }],
    });
    expect([output.statusCode, output.json()]).toEqual([
      400,
      { error: "Missing output with specific name - Optional output: nope" },
    ]);
  });

  it("wrong verbs get each runtime's 405 (kserve-v2.md §3.1, §3.2)", async () => {
    const triton = await (await mock("triton")).http.inject({
      method: "GET",
      url: "/v2/models/simple/infer",
    });
    expect([triton.statusCode, triton.json()]).toEqual([405, { error: "Method Not Allowed" }]);
    const ml = await (await mock("mlserver")).http.inject({
      method: "GET",
      url: "/v2/models/iris/infer",
    });
    expect([ml.statusCode, ml.json()]).toEqual([405, { detail: "Method Not Allowed" }]);
  });
});

describe("classification (Triton)", () => {
  it("classification: N turns an output into '<value>:<index>' BYTES, best first (kserve-v2.md §3.1)", async () => {
    const res = await post(await mock("triton"), "/v2/models/identity_fp32/infer", {
      inputs: [{ name: "INPUT0", shape: [1, 4], datatype: "FP32", data: [0.5, 3.3, 1, 3.3] }],
      outputs: [{ name: "OUTPUT0", parameters: { classification: 2 } }],
    });
    expect(res.json().outputs[0]).toEqual({
      name: "OUTPUT0",
      datatype: "BYTES",
      shape: [2],
      data: ["3.300000:1", "3.300000:3"],
    });
    const batched = await post(await mock("triton"), "/v2/models/simple/infer", {
      ...simpleBody(),
      outputs: [{ name: "OUTPUT0", parameters: { classification: 1 } }],
    });
    expect(batched.json().outputs[0]).toMatchObject({
      datatype: "BYTES",
      shape: [1, 1],
      data: ["16:15"],
    });
  });
});

describe("MLServer's extra routes (kserve-v2.md §3.2)", () => {
  it("generate answers as infer; infer_stream and generate_stream as one SSE event", async () => {
    const m = await mock("mlserver");
    const body = {
      id: "s1",
      inputs: [{ name: "input-0", shape: [1, 4], datatype: "FP32", data: [5.1, 3.5, 1.4, 0.2] }],
    };
    const generate = await post(m, "/v2/models/iris/generate", body);
    expect(generate.json()).toMatchObject({ id: "s1", outputs: [{ data: [0] }] });
    for (const route of ["infer_stream", "generate_stream"]) {
      const res = await post(m, `/v2/models/iris/versions/v0.1.0/${route}`, body);
      expect(res.headers["content-type"]).toMatch(/^text\/event-stream/);
      expect(res.body).toMatch(/^data: \{.*"id":"s1".*\}\n\n$/);
    }
  });
});

describe("compression (kserve-v2.md §2 Compression, §3.2)", () => {
  it("triton: gzip request bodies, deflate responses when accepted", async () => {
    const { gzipSync, inflateSync } = await import("node:zlib");
    const res = await (await mock("triton")).http.inject({
      method: "POST",
      url: "/v2/models/simple/infer",
      payload: gzipSync(Buffer.from(JSON.stringify(simpleBody()))),
      headers: { "content-encoding": "gzip", "accept-encoding": "deflate" },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-encoding"]).toBe("deflate");
    expect(JSON.parse(inflateSync(res.rawPayload).toString()).model_name).toBe("simple");
  });

  it("mlserver gzips responses of 500 bytes or more only; ovms never compresses", async () => {
    const ml = await mock("mlserver");
    const small = await post(
      ml,
      "/v2/models/iris/infer",
      {
        inputs: [{ name: "input-0", shape: [1, 4], datatype: "FP32", data: [1, 2, 3, 4] }],
      },
      { "accept-encoding": "gzip" },
    );
    expect(small.headers["content-encoding"]).toBeUndefined();
    const large = await post(
      ml,
      "/v2/models/identity_fp32/infer",
      {
        inputs: [
          { name: "INPUT0", shape: [1, 200], datatype: "FP32", data: new Array(200).fill(1.5) },
        ],
      },
      { "accept-encoding": "gzip, deflate" },
    );
    expect(large.headers["content-encoding"]).toBe("gzip");
    const ov = await post(
      await mock("ovms"),
      "/v2/models/identity_fp32/infer",
      {
        inputs: [
          { name: "INPUT0", shape: [1, 200], datatype: "FP32", data: new Array(200).fill(1.5) },
        ],
      },
      { "accept-encoding": "gzip" },
    );
    expect(ov.headers["content-encoding"]).toBeUndefined();
  });
});

describe("mlserver metadata versions", () => {
  it("lists the settings' versions (none configured), whatever version is asked (mlserver/model.py)", async () => {
    const m = await mock("mlserver");
    const res = await m.http.inject({ method: "GET", url: "/v2/models/iris/versions/v0.1.0" });
    expect(res.json()).toEqual({
      name: "iris",
      versions: [],
      platform: "",
      inputs: [{ name: "input-0", datatype: "FP32", shape: [-1, 4] }],
      outputs: [{ name: "predict", datatype: "INT64", shape: [-1] }],
    });
  });
});

// Bodies over real sockets: mock-core request-body.ts reads them, the table asks for its binary
// tail 8-byte aligned (binary-body.ts binaryTailPadding).
describe("the Triton mock's body limit", () => {
  it("is the host's: a larger body is its 413 in Triton's error envelope", async () => {
    // mock.ts bodyError: over the host's limit, the runtime's internal error with status 413.
    const mock = await startKserve("triton", {}, { bodyLimit: 1024 });
    const res = await fetch(`${mock.endpoints.http}/v2/models/simple/infer`, {
      method: "POST",
      headers: {
        "content-type": "application/octet-stream",
        "inference-header-content-length": "3",
      },
      body: "x".repeat(2048),
    });
    expect(res.status).toBe(413);
    expect(Object.keys((await res.json()) as object)).toEqual(["error"]);
  });
});

describe("the Triton mock reading large binary bodies", () => {
  const elements = 128 * 1024 + 3; // FP64: a 1 MiB tensor and a little more
  const header = (pad: string) => ({
    inputs: [
      {
        name: "INPUT0",
        shape: [1, elements],
        datatype: "FP64",
        parameters: { binary_data_size: elements * 8, pad },
      },
    ],
    outputs: [{ name: "OUTPUT0", parameters: { binary_data: true } }],
  });
  const call = async (base: string, seed: number, pad: string) => {
    const values = Float64Array.from({ length: elements }, (_, i) => seed + i / 4);
    const { body, jsonLength } = joinBinaryBody(header(pad), [new Uint8Array(values.buffer)]);
    const res = await fetch(`${base}/v2/models/identity_fp64/infer`, {
      method: "POST",
      headers: {
        "content-type": "application/octet-stream",
        "inference-header-content-length": String(jsonLength),
      },
      body: Buffer.from(body),
    });
    const bytes = new Uint8Array(await res.arrayBuffer());
    const length = Number(res.headers.get("inference-header-content-length"));
    const tail = bytes.slice(length);
    return { status: res.status, sent: values, got: new Float64Array(tail.buffer) };
  };

  it("answers every large binary request with its own tensor, one after another and at once", async () => {
    // kserve-v2.md §2: the binary output is the tensor's bytes; identity gives back the input.
    const mock = await startKserve("triton");
    const base = mock.endpoints.http as string;
    // JSON headers of differing lengths put the tensor at every offset modulo 8.
    for (let seed = 0; seed < 4; seed++) {
      const { status, sent, got } = await call(base, seed * 1000, "x".repeat(seed));
      expect(status).toBe(200);
      expect(got).toEqual(sent);
    }
    const together = await Promise.all(
      [1, 2, 3, 4, 5].map((seed) => call(base, seed * 7777, "y".repeat(seed))),
    );
    for (const { status, sent, got } of together) {
      expect(status).toBe(200);
      expect(got).toEqual(sent);
    }
  });
});
