/**
 * The runtimes' refusal texts and statuses, word for word, end to end (fetch on the REST port,
 * grpc-js on the gRPC port): the facts of shared/reference/kserve-v2.md §3.1-3.3 and §4.4 that
 * no other test pinned as the client reads them (the fidelity audit; docs/kserve-fidelity.md
 * lists each fact and the test that pins it).
 */
import { afterEach, describe, expect, it } from "vitest";
import type { KserveRuntime } from "./profiles.js";
import { closeAll, inferenceClient, startKserve } from "./test-mocks.js";

afterEach(closeAll);

async function rest(runtime: KserveRuntime) {
  const mock = await startKserve(runtime);
  const base = mock.endpoints.http as string;
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
    return [res.status, await res.json()] as const;
  };
  return { mock, base, post };
}

const fp32 = (shape: number[], data: number[], name = "INPUT0") => ({
  name,
  shape,
  datatype: "FP32",
  data,
});

describe("OVMS refusals (kserve-v2.md §3.3, model_server src/status.cpp)", () => {
  const infer = "/v2/models/identity_fp32/infer";

  it("element count, shape rank, precision: status.cpp texts with the input's name, 400", async () => {
    const { post } = await rest("ovms");
    // §3.3: 400 `Invalid number of values in tensor proto container - Expected: 4 values; Actual: 3 values; input name: <x>`
    expect(await post(infer, { inputs: [fp32([2, 2], [1, 2, 3])] })).toEqual([
      400,
      {
        error:
          "Invalid number of values in tensor proto container - Expected: 4 values; Actual: 3 values; input name: INPUT0",
      },
    ]);
    // §3.3: 400 `Invalid number of shape dimensions - Expected: (1,3); Actual: (3); input name: <x>`
    const [rank, rankBody] = await post(infer, { inputs: [fp32([3], [1, 2, 3])] });
    expect(rank).toBe(400);
    expect(rankBody.error).toMatch(
      /^Invalid number of shape dimensions - Expected: \(-1,-1\); Actual: \(3\); input name: INPUT0$/,
    );
    // §3.3: 400 `Invalid input precision - Expected: FP32; Actual: INT32; input name: <x>`
    expect(
      await post(infer, {
        inputs: [{ name: "INPUT0", shape: [1, 1], datatype: "INT32", data: [1] }],
      }),
    ).toEqual([
      400,
      { error: "Invalid input precision - Expected: FP32; Actual: INT32; input name: INPUT0" },
    ]);
  });

  it("inputs: count, name, missing key, body not an object, datatype text", async () => {
    const { post } = await rest("ovms");
    // §3.3: 400 `Invalid number of inputs - Expected: 2; Actual: 1` (here 1 and 2).
    expect(await post(infer, { inputs: [fp32([1, 1], [1]), fp32([1, 1], [1], "INPUT1")] })).toEqual(
      [400, { error: "Invalid number of inputs - Expected: 1; Actual: 2" }],
    );
    // §3.3: 400 `Missing input with specific name - Required input: <x>`; <x> is the MODEL's
    // input (model_server src/kfs_frontend, getRequestInput, looks each model input
    // up in the request and names the one it cannot find), not the request's unknown name.
    expect(await post(infer, { inputs: [fp32([1, 1], [1], "other")] })).toEqual([
      400,
      { error: "Missing input with specific name - Required input: INPUT0" },
    ]);
    // §3.3: 400 `Invalid JSON structure, missing inputs`; 400 `Request body should be JSON object`
    expect(await post(infer, { id: "x" })).toEqual([
      400,
      { error: "Invalid JSON structure, missing inputs" },
    ]);
    expect(await post(infer, [1, 2])).toEqual([
      400,
      { error: "Request body should be JSON object" },
    ]);
    // §3.3: unknown datatype → 400 `Could not parse input content. Unsupported data precision detected`
    expect(
      await post(infer, {
        inputs: [{ name: "INPUT0", shape: [1, 1], datatype: "FP8", data: [1] }],
      }),
    ).toEqual([
      400,
      { error: "Could not parse input content. Unsupported data precision detected" },
    ]);
    // §3.3: ints must be JSON ints: a float in INT32 → "Not valid ndarray" 400.
    expect(
      await post("/v2/models/identity_int32/infer", {
        inputs: [{ name: "INPUT0", shape: [1, 1], datatype: "INT32", data: [1.5] }],
      }),
    ).toEqual([400, { error: "Could not parse input content. Not valid ndarray detected" }]);
  });

  it("malformed JSON is 412 `The file is not valid json - <details>`", async () => {
    const { post } = await rest("ovms");
    const [status, body] = await post(infer, "{not json");
    expect(status).toBe(412);
    expect(body.error).toMatch(/^The file is not valid json - /);
  });

  it("unknown model and version: 404 status.cpp texts", async () => {
    const { post } = await rest("ovms");
    // §3.3: 404 `Model with requested name is not found`; `... version is not found`
    expect(await post("/v2/models/nope/infer", { inputs: [] })).toEqual([
      404,
      { error: "Model with requested name is not found" },
    ]);
    expect(await post("/v2/models/identity_fp32/versions/9/infer", { inputs: [] })).toEqual([
      404,
      { error: "Model with requested version is not found" },
    ]);
  });
});

describe("Triton refusals (kserve-v2.md §3.1, server http_server.cc, core infer_request.cc)", () => {
  it("request parameters starting with triton_ are reserved: 400 with core's text", async () => {
    const { post } = await rest("triton");
    const [status, body] = await post("/v2/models/identity_fp32/infer", {
      parameters: { triton_x: 1 },
      inputs: [fp32([1, 1], [1])],
    });
    // §3.1: keys starting `triton_` → 400 "parameter keys starting with 'triton_' are reserved
    // for Triton usage and should not be specified."
    expect(status).toBe(400);
    expect(body.error).toMatch(
      /parameter keys starting with 'triton_' are reserved for Triton usage and should not be specified\.$/,
    );
  });

  it("BF16 in JSON: 400 `receiving BF16 data via JSON is not supported`", async () => {
    const { post } = await rest("triton");
    const [status, body] = await post("/v2/models/identity_bf16/infer", {
      inputs: [{ name: "INPUT0", shape: [1, 1], datatype: "BF16", data: [1] }],
    });
    // §3.1: "receiving FP16 data via JSON is not supported. Please use the binary data format
    // for input <n>" (same for BF16).
    expect([status, body]).toEqual([
      400,
      {
        error:
          "receiving BF16 data via JSON is not supported. Please use the binary data format for input INPUT0",
      },
    ]);
  });
});

describe("gRPC status codes (kserve-v2.md §4.4)", () => {
  it("OVMS: an unknown model is NOT_FOUND `Model with requested name is not found`", async () => {
    const mock = await startKserve("ovms");
    const client = inferenceClient(mock);
    const failure = await client.failure("ModelInfer", { model_name: "nope", inputs: [] });
    expect(failure).toEqual({ code: 5, details: "Model with requested name is not found" });
  });

  it("Triton: ModelReady on an unknown model is OK with ready false, not NOT_FOUND", async () => {
    // Correction to kserve-v2.md §4.4 (docs/kserve-fidelity.md): core src/server.cc
    // InferenceServer::ModelIsReady sets ready=false and returns Success when GetModel fails.
    const mock = await startKserve("triton");
    const client = inferenceClient(mock);
    expect(await client.unary("ModelReady", { name: "nope", version: "" })).toEqual({
      ready: false,
    });
  });
});

describe("repeated member names (docs/kserve-fidelity.md)", () => {
  it("MLServer reads a repeated name's last value, as Python's json.loads does", async () => {
    // Starlette's request.json() is json.loads: a later member of one name replaces the earlier.
    const { post } = await rest("mlserver");
    const row = '{"name":"input-0","shape":[1,4],"datatype":"FP32","data":[1,1,1,1]}';
    const [status, body] = await post(
      "/v2/models/iris/infer",
      `{"id":"first","inputs":[${row}],"id":"last"}`,
    );
    expect(status).toBe(200);
    expect(body.id).toBe("last");
  });

  it("Triton reads a repeated name's first value, at the top and inside a tensor (triton_json.h)", async () => {
    // TritonJson Find / MemberAs* index the rapidjson object by name: its first member of that name.
    const { post } = await rest("triton");
    const [status, body] = await post(
      "/v2/models/identity_fp32/infer",
      '{"id":"first","inputs":[{"name":"INPUT0","shape":[1,2],"shape":[1,3],"datatype":"FP32",' +
        '"data":[1,2],"data":[1,2,3]}],"id":"last"}',
    );
    expect(status).toBe(200);
    expect(body.id).toBe("first");
    expect(body.outputs[0].shape).toEqual([1, 2]);
    expect(body.outputs[0].data).toEqual([1, 2]);
  });

  it("OVMS reads a repeated name's first value (rest_parser.cpp KFSRestParser::parse FindMember)", async () => {
    const { post } = await rest("ovms");
    const row = (name: string) =>
      `{"name":"${name}","shape":[1,2],"datatype":"FP32","data":[1,2],"datatype":"INT32"}`;
    const [status, body] = await post(
      "/v2/models/identity_fp32/infer",
      `{"id":"first","inputs":[${row("INPUT0")}],"inputs":[${row("bogus")}],"id":"last"}`,
    );
    expect(status).toBe(200);
    expect(body.id).toBe("first");
    expect(body.outputs[0]).toMatchObject({ datatype: "FP32", shape: [1, 2], data: [1, 2] });
  });
});

describe("Triton shape parsing (server http_server.cc, common triton_json.h)", () => {
  it("a negative dimension is 500 'Unable to parse 'shape': ... non-unsigned-integer as unsigned-integer'", async () => {
    const { post } = await rest("triton");
    const infer = "/v2/models/identity_fp32/infer";
    // qa L0_http http_test.py test_negative_dimension: 500 with this text (IndexAsUInt per dimension).
    expect(await post(infer, { inputs: [fp32([-1, 1], [1])] })).toEqual([
      500,
      {
        error:
          "Unable to parse 'shape': attempt to access JSON non-unsigned-integer as unsigned-integer",
      },
    ]);
    // MemberAsArray on a shape that is no array; a missing shape is a non-existing member.
    expect(
      await post(infer, {
        inputs: [{ name: "INPUT0", shape: "1,1", datatype: "FP32", data: [1] }],
      }),
    ).toEqual([
      500,
      { error: "Unable to parse 'shape': attempt to access JSON non-array as array" },
    ]);
    expect(
      await post(infer, { inputs: [{ name: "INPUT0", datatype: "FP32", data: [1] }] }),
    ).toEqual([
      500,
      { error: "Unable to parse 'shape': attempt to access non-existing object member 'shape'" },
    ]);
  });
});
