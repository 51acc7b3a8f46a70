/**
 * Model repositories (issue 4, "Models"): Triton config.pbtxt with numeric version folders,
 * MLServer model-settings.json, OVMS config.json, served with the same metadata and seeded,
 * deterministic outputs.
 */
import { fileURLToPath } from "node:url";
import { type BuiltMock, buildMock } from "@servingkit/mock-core";
import { afterEach, describe, expect, it } from "vitest";
import { kserveMockModule } from "../mock.js";
import { parseTextProto } from "./pbtxt.js";
import type { KserveRuntime } from "./profiles.js";

const testdata = (name: string) => fileURLToPath(new URL(`./testdata/${name}`, import.meta.url));

const open: BuiltMock[] = [];
afterEach(async () => {
  for (const mock of open.splice(0)) await mock.close();
});

async function mock(runtime: KserveRuntime, dir: string): Promise<BuiltMock> {
  const plugins = await kserveMockModule.plugins({
    runtime,
    models: [],
    values: { "model-repository": dir },
  });
  const built = await buildMock({ runtime, plugins });
  open.push(built);
  return built;
}

describe("protobuf text format", () => {
  it("reads scalars, messages with and without colons, lists and comments; repeated fields as arrays", () => {
    const parsed = parseTextProto(
      "a: 1 # note\nb { c: \"x\" }\nb: { c: 'y' }\nd: [1, -2]\ne: TYPE_FP32 f: true",
    );
    expect(parsed).toEqual({
      a: 1,
      b: [{ c: "x" }, { c: "y" }],
      d: [1, -2],
      e: "TYPE_FP32",
      f: true,
    });
    expect(() => parseTextProto("a: {")).toThrow(/line end: expected }/);
    expect(() => parseTextProto("a: 1\n@")).toThrow(/line 2: unexpected '@'/);
  });
});

describe("--model-repository", () => {
  it("triton: config.pbtxt names, platform, dims; latest numeric version; no version folder → not served", async () => {
    const m = await mock("triton", testdata("triton-repo"));
    const meta = await m.http.inject({ method: "GET", url: "/v2/models/densenet_onnx" });
    expect(meta.json()).toEqual({
      name: "densenet_onnx",
      versions: ["3"],
      platform: "onnxruntime_onnx",
      inputs: [{ name: "data_0", datatype: "FP32", shape: [3, 224, 224] }],
      outputs: [{ name: "fc6_1", datatype: "FP32", shape: [1000] }],
    });
    expect(
      (await m.http.inject({ method: "GET", url: "/v2/models/densenet_onnx/versions/1" }))
        .statusCode,
    ).toBe(404);
    expect((await m.http.inject({ method: "GET", url: "/v2/models/no_version" })).statusCode).toBe(
      404,
    );
    expect((await m.http.inject({ method: "GET", url: "/v2/models/simple" })).statusCode).toBe(404);
    const config = await m.http.inject({ method: "GET", url: "/v2/models/densenet_onnx/config" });
    expect(config.json()).toMatchObject({
      backend: "onnxruntime",
      input: [{ data_type: "TYPE_FP32", dims: [3, 224, 224] }],
    });
  });

  it("seeded outputs: deterministic in the inputs, shaped by the output dims", async () => {
    const m = await mock("triton", testdata("triton-repo"));
    const infer = async (value: number) =>
      (
        await m.http.inject({
          method: "POST",
          url: "/v2/models/densenet_onnx/infer",
          payload: {
            inputs: [
              {
                name: "data_0",
                shape: [3, 224, 224],
                datatype: "FP32",
                data: new Array(3 * 224 * 224).fill(value),
              },
            ],
          },
        })
      ).json();
    const a = await infer(0.5);
    expect(a.outputs[0].shape).toEqual([1000]);
    expect(a.outputs[0].data).toHaveLength(1000);
    expect((await infer(0.5)).outputs[0].data).toEqual(a.outputs[0].data);
    expect((await infer(0.25)).outputs[0].data).not.toEqual(a.outputs[0].data);
  });

  it("mlserver: model-settings.json name, version and tensors", async () => {
    const m = await mock("mlserver", testdata("mlserver-repo"));
    const meta = await m.http.inject({
      method: "GET",
      url: "/v2/models/mnist-svm/versions/v0.1.0",
    });
    expect(meta.json()).toMatchObject({
      name: "mnist-svm",
      versions: ["v0.1.0"],
      inputs: [{ name: "input-0", datatype: "FP32", shape: [-1, 64] }],
    });
    const res = await m.http.inject({
      method: "POST",
      url: "/v2/models/mnist-svm/infer",
      headers: { "content-type": "application/json" },
      payload: {
        inputs: [
          { name: "input-0", shape: [1, 64], datatype: "FP32", data: new Array(64).fill(1) },
        ],
      },
    });
    expect(res.json().outputs[0]).toMatchObject({
      name: "predict",
      datatype: "INT64",
      shape: [1, 1],
    });
  });

  it("ovms: config.json names with the FP32 identity signature", async () => {
    const m = await mock("ovms", testdata("ovms-repo"));
    expect(
      (await m.http.inject({ method: "GET", url: "/v2/models/age-gender/ready" })).statusCode,
    ).toBe(200);
    expect(
      (await m.http.inject({ method: "GET", url: "/v2/models/resnet/ready" })).statusCode,
    ).toBe(404);
  });

  it("an unreadable repository is a clear start-up error", async () => {
    await expect(
      kserveMockModule.plugins({
        runtime: "triton",
        models: [],
        values: { "model-repository": "/nonexistent" },
      }),
    ).rejects.toThrow(/--model-repository \/nonexistent: ENOENT/);
  });
});
