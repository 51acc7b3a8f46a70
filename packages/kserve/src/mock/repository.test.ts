/**
 * Model repositories (issue 4, "Models"): Triton config.pbtxt with numeric version folders,
 * MLServer model-settings.json, OVMS config.json, served with the same metadata and seeded,
 * deterministic outputs.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type BuiltMock, buildMock } from "@servingkit/mock-core/host";
import { afterEach, describe, expect, it } from "vitest";
import { kserveMockModule } from "../mock.js";
import type { MockModel } from "./models.js";
import { parseTextProto } from "./pbtxt.js";
import type { KserveRuntime } from "./profiles.js";
import { mlserverLoadsAtStartup, pollFailure, readTritonRepository, repoll } from "./repository.js";

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
  it("triton: config.pbtxt names, platform, dims; latest numeric version (default policy latest 1)", async () => {
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
    // mlserver/model.py metadata(): `versions` is the settings' list (unset here), not parameters.version.
    expect(meta.json()).toMatchObject({
      name: "mnist-svm",
      versions: [],
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

  it("mlserver: an unreadable model-settings.json is skipped at start as repository.py list skips it", async () => {
    // cli/serve.py load_settings → repository.py list: `Failed load model settings at <path>.`
    // is logged and the other settings load.
    const dir = mkdtempSync(join(tmpdir(), "mls-start-"));
    mkdirSync(join(dir, "good"));
    mkdirSync(join(dir, "junk"));
    writeFileSync(
      join(dir, "good", "model-settings.json"),
      JSON.stringify({ name: "good", parameters: { version: "v1" } }),
    );
    writeFileSync(join(dir, "junk", "model-settings.json"), "{");
    const m = await mock("mlserver", dir);
    expect((await m.http.inject({ method: "GET", url: "/v2/models/good/ready" })).statusCode).toBe(
      200,
    );
    const index = await m.http.inject({ method: "POST", url: "/v2/repository/index", payload: {} });
    expect(index.json()).toEqual([{ name: "good", version: "v1", state: "READY", reason: "" }]);
  });

  it("mlserver: load_models_at_startup false starts with no model; the index lists each UNAVAILABLE; a load serves it", async () => {
    // cli/serve.py load_settings: `<folder>/settings.json` is read; with load_models_at_startup
    // false repository.list() is never called, so no model loads at start.
    const dir = mkdtempSync(join(tmpdir(), "mls-nostart-"));
    mkdirSync(join(dir, "good"));
    writeFileSync(
      join(dir, "good", "model-settings.json"),
      JSON.stringify({ name: "good", parameters: { version: "v1" } }),
    );
    writeFileSync(join(dir, "settings.json"), JSON.stringify({ load_models_at_startup: false }));
    const m = await mock("mlserver", dir);
    const ready = () => m.http.inject({ method: "GET", url: "/v2/models/good/ready" });
    const unloaded = await ready();
    // errors.py ModelNotFound (404), as after an unload: the registry holds no such model.
    expect([unloaded.statusCode, unloaded.json()]).toEqual([
      404,
      { error: "Model good not found" },
    ]);
    // handlers/model_repository.py index lists repository.list() (every settings file) and
    // _get_state answers UNAVAILABLE for a model the registry lacks (ModelNotFound).
    const index = () => m.http.inject({ method: "POST", url: "/v2/repository/index", payload: {} });
    expect((await index()).json()).toEqual([
      { name: "good", version: "v1", state: "UNAVAILABLE", reason: "" },
    ]);
    const ready_only = await m.http.inject({
      method: "POST",
      url: "/v2/repository/index",
      payload: { ready: true },
    });
    expect(ready_only.json()).toEqual([]);
    // handlers/model_repository.py load: repository.find, then the registry loads it.
    const load = await m.http.inject({ method: "POST", url: "/v2/repository/models/good/load" });
    expect(load.statusCode).toBe(200);
    expect((await ready()).statusCode).toBe(200);
    expect((await index()).json()).toEqual([
      { name: "good", version: "v1", state: "READY", reason: "" },
    ]);
  });

  it("mlserver: load_models_at_startup from settings.json, else MLSERVER_LOAD_MODELS_AT_STARTUP, read as pydantic reads a bool", () => {
    // settings.py Settings: load_models_at_startup defaults to True; env prefix MLSERVER_;
    // cli/serve.py reads settings.json when the folder holds one (Settings.parse_file), else
    // Settings() from the environment. pydantic 2's lax bool: "no"/"0"/"off" false, "yes"/"1" true.
    const dir = mkdtempSync(join(tmpdir(), "mls-settings-"));
    expect(mlserverLoadsAtStartup(dir, {})).toBe(true);
    expect(mlserverLoadsAtStartup(dir, { MLSERVER_LOAD_MODELS_AT_STARTUP: "false" })).toBe(false);
    expect(mlserverLoadsAtStartup(dir, { MLSERVER_LOAD_MODELS_AT_STARTUP: "Off" })).toBe(false);
    expect(mlserverLoadsAtStartup(dir, { MLSERVER_LOAD_MODELS_AT_STARTUP: "1" })).toBe(true);
    // pydantic ValidationError `Input should be a valid boolean, unable to interpret input`.
    expect(() => mlserverLoadsAtStartup(dir, { MLSERVER_LOAD_MODELS_AT_STARTUP: "maybe" })).toThrow(
      "Input should be a valid boolean, unable to interpret input",
    );
    writeFileSync(join(dir, "settings.json"), JSON.stringify({ load_models_at_startup: "no" }));
    expect(mlserverLoadsAtStartup(dir, {})).toBe(false);
    writeFileSync(join(dir, "settings.json"), JSON.stringify({ debug: true }));
    expect(mlserverLoadsAtStartup(dir, {})).toBe(true);
    writeFileSync(join(dir, "settings.json"), JSON.stringify({ load_models_at_startup: 2 }));
    expect(() => mlserverLoadsAtStartup(dir, {})).toThrow("valid boolean");
    writeFileSync(join(dir, "settings.json"), "{");
    expect(() => mlserverLoadsAtStartup(dir, {})).toThrow(join(dir, "settings.json"));
  });

  it("mlserver: settings sharing a name with different versions are one model; the default is the newest by _is_newer; the index has a row per version", async () => {
    // registry.py: one SingleModelRegistry per name, a version per settings file; _refresh_default
    // keeps the newest by _is_newer (ints as numbers: 10 is newer than 9).
    const dir = mkdtempSync(join(tmpdir(), "mls-versions-"));
    for (const version of ["9", "10"]) {
      mkdirSync(join(dir, `m-${version}`));
      writeFileSync(
        join(dir, `m-${version}`, "model-settings.json"),
        JSON.stringify({
          name: "m",
          parameters: { version },
          inputs: [{ name: "x", datatype: "FP32", shape: [1] }],
          outputs: [{ name: "y", datatype: "FP32", shape: [1] }],
        }),
      );
    }
    const m = await mock("mlserver", dir);
    const infer = (url: string) =>
      m.http.inject({
        method: "POST",
        url,
        payload: { inputs: [{ name: "x", datatype: "FP32", shape: [1], data: [1] }] },
      });
    const plain = await infer("/v2/models/m/infer");
    expect(plain.json()).toMatchObject({ model_name: "m", model_version: "10" });
    const nine = await infer("/v2/models/m/versions/9/infer");
    expect(nine.json()).toMatchObject({ model_name: "m", model_version: "9" });
    expect(
      (await m.http.inject({ method: "GET", url: "/v2/models/m/versions/9/ready" })).statusCode,
    ).toBe(200);
    // errors.py ModelNotFound with a version: "Model <m> with version <v> not found" (404).
    const missing = await m.http.inject({ method: "GET", url: "/v2/models/m/versions/3" });
    expect([missing.statusCode, missing.json()]).toEqual([
      404,
      { error: "Model m with version 3 not found" },
    ]);
    // handlers/model_repository.py index: one item per settings file.
    const index = await m.http.inject({ method: "POST", url: "/v2/repository/index", payload: {} });
    expect(index.json()).toEqual([
      { name: "m", version: "9", state: "READY", reason: "" },
      { name: "m", version: "10", state: "READY", reason: "" },
    ]);
  });

  it("mlserver: each version answers metadata and validates inference with its own settings", async () => {
    // registry.py: one MLModel per settings file (SingleModelRegistry._versions[version]), each
    // built from its own ModelSettings; dataplane.py metadata / infer call get_model(name, version).
    const dir = mkdtempSync(join(tmpdir(), "mls-signatures-"));
    const settings = (version: string, input: string, versions: string[]) => ({
      name: "m",
      versions,
      parameters: { version },
      inputs: [{ name: input, datatype: "FP32", shape: [1] }],
      outputs: [{ name: "y", datatype: "FP32", shape: [1] }],
    });
    for (const [folder, body] of [
      ["m-1", settings("1", "old_x", ["m/v1"])],
      ["m-2", settings("2", "new_x", ["m/v2"])],
    ] as const) {
      mkdirSync(join(dir, folder));
      writeFileSync(join(dir, folder, "model-settings.json"), JSON.stringify(body));
    }
    const m = await mock("mlserver", dir);
    const get = async (url: string) => (await m.http.inject({ method: "GET", url })).json();
    expect(await get("/v2/models/m/versions/1")).toMatchObject({
      versions: ["m/v1"],
      inputs: [{ name: "old_x" }],
    });
    expect(await get("/v2/models/m")).toMatchObject({
      versions: ["m/v2"],
      inputs: [{ name: "new_x" }],
    });
    const infer = (url: string, input: string) =>
      m.http.inject({
        method: "POST",
        url,
        payload: { inputs: [{ name: input, datatype: "FP32", shape: [1], data: [1] }] },
      });
    const one = await infer("/v2/models/m/versions/1/infer", "old_x");
    expect([one.statusCode, one.json().model_version]).toEqual([200, "1"]);
    const two = await infer("/v2/models/m/infer", "new_x");
    expect([two.statusCode, two.json().model_version]).toEqual([200, "2"]);
    // Version 1's settings do not name new_x (nor version 2's old_x): each refuses the other's
    // input as MLServer refuses any input its model lacks (profiles.ts mlserverMessages
    // unexpectedInput: FastAPI's plain 500).
    for (const [url, input] of [
      ["/v2/models/m/versions/1/infer", "new_x"],
      ["/v2/models/m/infer", "old_x"],
    ] as const) {
      const wrong = await infer(url, input);
      expect([wrong.statusCode, wrong.body]).toEqual([500, "Internal Server Error"]);
    }
  });

  it("mlserver: an unversioned settings file beside versioned ones of its name is the default", async () => {
    // registry.py _refresh_default: a new model without a version becomes the default; a
    // versioned one never replaces an unversioned default. _find_model(None) returns the default;
    // get_models lists the versions and then the unversioned default.
    const dir = mkdtempSync(join(tmpdir(), "mls-unversioned-"));
    for (const [folder, version, input] of [
      ["a-plain", undefined, "plain_x"],
      ["b-v5", "5", "five_x"],
      ["c-v7", "7", "seven_x"],
    ] as const) {
      mkdirSync(join(dir, folder));
      writeFileSync(
        join(dir, folder, "model-settings.json"),
        JSON.stringify({
          name: "m",
          ...(version === undefined ? {} : { parameters: { version } }),
          inputs: [{ name: input, datatype: "FP32", shape: [1] }],
          outputs: [{ name: "y", datatype: "FP32", shape: [1] }],
        }),
      );
    }
    const m = await mock("mlserver", dir);
    const infer = (url: string, input: string) =>
      m.http.inject({
        method: "POST",
        url,
        payload: { inputs: [{ name: input, datatype: "FP32", shape: [1], data: [1] }] },
      });
    const plain = await infer("/v2/models/m/infer", "plain_x");
    expect(plain.statusCode).toBe(200);
    expect(plain.json().model_version).toBeUndefined();
    expect((await m.http.inject({ method: "GET", url: "/v2/models/m" })).json()).toMatchObject({
      name: "m",
      inputs: [{ name: "plain_x" }],
    });
    const five = await infer("/v2/models/m/versions/5/infer", "five_x");
    expect([five.statusCode, five.json().model_version]).toEqual([200, "5"]);
    const seven = await infer("/v2/models/m/versions/7/infer", "seven_x");
    expect([seven.statusCode, seven.json().model_version]).toEqual([200, "7"]);
    const index = await m.http.inject({ method: "POST", url: "/v2/repository/index", payload: {} });
    expect(index.json()).toEqual([
      { name: "m", version: "5", state: "READY", reason: "" },
      { name: "m", version: "7", state: "READY", reason: "" },
      { name: "m", state: "READY", reason: "" },
    ]);
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

  it("triton: a config.pbtxt text format refuses (a syntax error, an unknown data_type enum) fails its poll; the others read", () => {
    // core ReadTextProto: TextFormat::ParseFromString fails → "failed to read text proto from
    // <path>"; model_config.proto DataType is an enum, so an unknown name fails the parse too.
    const dir = mkdtempSync(join(tmpdir(), "pbtxt-"));
    const folder = (name: string, config: string) => {
      mkdirSync(join(dir, name, "1"), { recursive: true });
      writeFileSync(join(dir, name, "config.pbtxt"), config);
    };
    folder("broken", 'platform: "onnxruntime_onnx"\ninput [ { name: "x"');
    folder("enum", 'input [ { name: "x" data_type: TYPE_FOO dims: [ 1 ] } ]');
    folder("good", 'input [ { name: "x" data_type: TYPE_FP32 dims: [ 1 ] } ]');
    const models = readTritonRepository(dir);
    expect(models.map((m) => [m.name, pollFailure(m)])).toEqual([
      ["broken", `failed to read text proto from ${join(dir, "broken", "config.pbtxt")}`],
      ["enum", `failed to read text proto from ${join(dir, "enum", "config.pbtxt")}`],
      ["good", undefined],
    ]);
    // Polled again, a fixed file reads as a model.
    folder("broken", 'input [ { name: "x" data_type: TYPE_INT32 dims: [ 2 ] } ]');
    const fixed = models[0] === undefined ? undefined : repoll(models[0]);
    expect([pollFailure(fixed as MockModel), fixed?.inputs]).toEqual([
      undefined,
      [{ name: "x", datatype: "INT32", dims: [2] }],
    ]);
  });
});

describe("raw binary requests (Triton, kserve-v2.md §2)", () => {
  it("header length 0: the body is the one input; outputs come back binary; ambiguity refused", async () => {
    const m = await mock("triton", testdata("triton-repo"));
    const raw = (url: string, bytes: number) =>
      m.http.inject({
        method: "POST",
        url,
        payload: Buffer.alloc(bytes),
        headers: {
          "content-type": "application/octet-stream",
          "inference-header-content-length": "0",
        },
      });
    const ok = await raw("/v2/models/densenet_onnx/infer", 3 * 224 * 224 * 4);
    expect(ok.statusCode).toBe(200);
    expect(ok.headers["content-type"]).toBe("application/octet-stream");
    const length = Number(ok.headers["inference-header-content-length"]);
    const header = JSON.parse(ok.rawPayload.subarray(0, length).toString("utf8"));
    expect(header.outputs[0]).toMatchObject({
      name: "fc6_1",
      parameters: { binary_data_size: 4000 },
    });
    expect(ok.rawPayload.byteLength - length).toBe(4000);
    const short = await raw("/v2/models/densenet_onnx/infer", 12);
    expect(short.statusCode).toBe(400);

    const builtIn = await buildMock({
      runtime: "triton",
      plugins: await kserveMockModule.plugins({ runtime: "triton", models: [], values: {} }),
    });
    open.push(builtIn);
    const two = await builtIn.http.inject({
      method: "POST",
      url: "/v2/models/simple/infer",
      payload: Buffer.alloc(64),
      headers: { "inference-header-content-length": "0" },
    });
    expect(two.json().error).toBe(
      "[request id: <id_unknown>] Raw request must only have 1 input (found 1) to be deduced but got 2 inputs in 'simple' model configuration",
    );
    const variable = await builtIn.http.inject({
      method: "POST",
      url: "/v2/models/identity_fp32/infer",
      payload: Buffer.alloc(8),
      headers: { "inference-header-content-length": "0" },
    });
    expect(variable.json().error).toBe(
      "The shape of the raw input 'INPUT0' can not be deduced because there are more than one variable-sized dimension",
    );
  });
});
