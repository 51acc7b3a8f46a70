/**
 * Triton's shared-memory extensions on the mock, with real POSIX shm files in /dev/shm (a client's
 * `shm_open(key)` on Linux), over REST with fetch and gRPC with @grpc/grpc-js. Facts:
 * docs/protocol/extension_shared_memory.md, src/shared_memory_manager.cc, src/http_server.cc
 * (`HandleSystemSharedMemory`, `HandleCudaSharedMemory`, `ValidateInputContentType`,
 * `ValidateOutputParameter`, `InferResponseAlloc`), src/grpc/infer_handler.cc
 * (`ParseSharedMemoryParams`, `InferGRPCToInput`, `ResponseAllocatorHelper`).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { closeAll, inferenceClient, startKserve } from "./test-mocks.js";
import { inputContentConflict, shmPath } from "./triton-shared-memory.js";

const files: string[] = [];
let serial = 0;

afterEach(async () => {
  await closeAll();
  for (const f of files.splice(0)) rmSync(f, { force: true });
});

const shmWritable = (() => {
  try {
    const probe = `/dev/shm/servingkit-probe-${process.pid}`;
    writeFileSync(probe, "");
    rmSync(probe);
    return true;
  } catch {
    return false;
  }
})();

/** Creates a shm object as a client's shm_open + ftruncate does, and gives its key. */
function createShm(bytes: Uint8Array): { key: string; path: string } {
  const key = `/servingkit-test-${process.pid}-${++serial}`;
  const path = `/dev/shm${key}`;
  writeFileSync(path, bytes);
  files.push(path);
  return { key, path };
}

const int32s = (values: number[]) => new Uint8Array(Int32Array.from(values).buffer);
function readInt32s(path: string, offset: number, count: number): number[] {
  const bytes = readFileSync(path);
  const start = bytes.byteOffset + offset;
  return Array.from(new Int32Array(bytes.buffer.slice(start, start + count * 4)));
}
const range = (from: number) => Array.from({ length: 16 }, (_, i) => from + i);

async function start(runtime: "triton" | "mlserver" | "ovms" = "triton") {
  const mock = await startKserve(runtime);
  const base = mock.endpoints.http as string;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return {
      status: res.status,
      type: res.headers.get("content-type"),
      text,
      json: text === "" ? undefined : JSON.parse(text),
    };
  };
  return { mock, call, grpc: inferenceClient(mock) };
}

const shmInput = (name: string, region: string, offset: number, size = 64) => ({
  name,
  datatype: "INT32",
  shape: [1, 16],
  parameters: {
    shared_memory_region: region,
    shared_memory_offset: offset,
    shared_memory_byte_size: size,
  },
});

const shmOutput = (name: string, region: string, offset: number, size = 64) => ({
  name,
  parameters: {
    shared_memory_region: region,
    shared_memory_offset: offset,
    shared_memory_byte_size: size,
  },
});

/** Input region (INPUT0 then INPUT1) and output region (OUTPUT0 then OUTPUT1), registered over REST. */
async function registered(t: Awaited<ReturnType<typeof start>>) {
  const input = createShm(new Uint8Array([...int32s(range(0)), ...int32s(range(100))]));
  const output = createShm(new Uint8Array(128));
  const inReg = await t.call("POST", "/v2/systemsharedmemory/region/in/register", {
    key: input.key,
    offset: 0,
    byte_size: 128,
  });
  const outReg = await t.call("POST", "/v2/systemsharedmemory/region/out/register", {
    key: output.key,
    byte_size: 128,
  });
  return { input, output, inReg, outReg };
}

const simpleShm = {
  inputs: [shmInput("INPUT0", "in", 0), shmInput("INPUT1", "in", 64)],
  outputs: [shmOutput("OUTPUT0", "out", 0), shmOutput("OUTPUT1", "out", 64)],
};

describe.skipIf(!shmWritable)("Triton system shared memory over REST", () => {
  it("register answers 200 with an empty JSON body; status lists {name, key, offset, byte_size}", async () => {
    const t = await start();
    const { input, output, inReg } = await registered(t);
    // http_server.cc HandleSystemSharedMemory: JSON content type, empty body on success.
    expect([inReg.status, inReg.type, inReg.text]).toEqual([200, "application/json", ""]);
    const all = await t.call("GET", "/v2/systemsharedmemory/status");
    // extension_shared_memory.md $system_shared_memory_status_response: an array of regions.
    expect(all.json).toEqual([
      { name: "in", key: input.key, offset: 0, byte_size: 128 },
      { name: "out", key: output.key, offset: 0, byte_size: 128 },
    ]);
    const one = await t.call("GET", "/v2/systemsharedmemory/region/out/status");
    expect(one.json).toEqual([{ name: "out", key: output.key, offset: 0, byte_size: 128 }]);
  });

  it("infer reads inputs from the region at request time and writes outputs into it, answering metadata without data", async () => {
    const t = await start();
    const { input, output } = await registered(t);
    const res = await t.call("POST", "/v2/models/simple/infer", simpleShm);
    expect(res.status).toBe(200);
    // http_server.cc: an output in shared memory has neither data nor binary_data_size.
    expect(res.json.outputs).toEqual([
      { name: "OUTPUT0", datatype: "INT32", shape: [1, 16] },
      { name: "OUTPUT1", datatype: "INT32", shape: [1, 16] },
    ]);
    expect(readInt32s(output.path, 0, 16)).toEqual(range(0).map((v, i) => v + 100 + i));
    expect(readInt32s(output.path, 64, 16)).toEqual(range(0).map(() => -100));
    // A client's later write is seen by the next request (Triton maps the object).
    writeFileSync(input.path, new Uint8Array([...int32s(range(1000)), ...int32s(range(0))]));
    await t.call("POST", "/v2/models/simple/infer", simpleShm);
    expect(readInt32s(output.path, 64, 16)).toEqual(range(0).map(() => 1000));
  });

  it("a region registered at an offset reads from there; mixed shm and JSON inputs work", async () => {
    const t = await start();
    const input = createShm(new Uint8Array([...new Uint8Array(32), ...int32s(range(7))]));
    const reg = await t.call("POST", "/v2/systemsharedmemory/region/tail/register", {
      key: input.key,
      offset: 32,
      byte_size: 64,
    });
    expect(reg.status).toBe(200);
    const res = await t.call("POST", "/v2/models/simple/infer", {
      inputs: [
        shmInput("INPUT0", "tail", 0),
        { name: "INPUT1", datatype: "INT32", shape: [1, 16], data: range(0) },
      ],
      outputs: [{ name: "OUTPUT1" }],
    });
    expect(res.json.outputs[0].data).toEqual(range(0).map(() => 7));
  });

  it("unregister one region, then all; status before and after; an unknown name is no error", async () => {
    const t = await start();
    const { output } = await registered(t);
    const one = await t.call("POST", "/v2/systemsharedmemory/region/in/unregister");
    expect([one.status, one.text]).toEqual([200, ""]);
    expect((await t.call("GET", "/v2/systemsharedmemory/status")).json).toEqual([
      { name: "out", key: output.key, offset: 0, byte_size: 128 },
    ]);
    // shared_memory_manager.cc UnregisterHelper: a name not in the manager is skipped.
    expect((await t.call("POST", "/v2/systemsharedmemory/region/nope/unregister")).status).toBe(
      200,
    );
    expect((await t.call("POST", "/v2/systemsharedmemory/unregister")).status).toBe(200);
    expect((await t.call("GET", "/v2/systemsharedmemory/status")).json).toEqual([]);
    // The name is free again.
    const again = await t.call("POST", "/v2/systemsharedmemory/region/out/register", {
      key: output.key,
      byte_size: 8,
    });
    expect(again.status).toBe(200);
  });

  it("register refusals: taken name, missing key file, out of bounds, missing fields, no region name", async () => {
    const t = await start();
    const { input } = await registered(t);
    const reg = (region: string, body: unknown) =>
      t
        .call("POST", `/v2/systemsharedmemory/region/${region}/register`, body)
        .then((r) => [r.status, r.json]);
    // shared_memory_manager.cc: ALREADY_EXISTS, which HttpCodeFromError answers 400.
    expect(await reg("in", { key: input.key, byte_size: 8 })).toEqual([
      400,
      { error: "shared memory region 'in' already in manager" },
    ]);
    // OpenSharedMemoryRegion: shm_open failing is INTERNAL.
    expect(await reg("x", { key: "/servingkit-no-such-key", byte_size: 8 })).toEqual([
      500,
      { error: "Unable to open shared memory region: '/servingkit-no-such-key'" },
    ]);
    // CheckSharedMemoryRegionSize: offset + byte_size past the object is INVALID_ARG.
    expect(await reg("x", { key: input.key, offset: 64, byte_size: 65 })).toEqual([
      400,
      { error: "failed to register shared memory region 'x': invalid args" },
    ]);
    expect(await reg("x", { byte_size: 8 })).toEqual([
      400,
      { error: "Shared memory register request has no 'key' field" },
    ]);
    expect(await reg("x", { key: input.key })).toEqual([
      400,
      { error: "Shared memory register request has no 'byte_size' field" },
    ]);
    expect(await reg("x", { key: 5, byte_size: 8 })).toEqual([
      500,
      { error: "attempt to access JSON non-string as string" },
    ]);
    expect(await reg("x", { key: input.key, byte_size: -1 })).toEqual([
      500,
      { error: "attempt to access JSON non-unsigned-integer as unsigned-integer" },
    ]);
    const unnamed = await t.call("POST", "/v2/systemsharedmemory/register", {
      key: input.key,
      byte_size: 8,
    });
    expect([unnamed.status, unnamed.json]).toEqual([
      400,
      { error: "'region name' is necessary to register system shared memory region" },
    ]);
    // EVBufferToJson: an empty body is an empty JSON document (the profile's malformed-JSON refusal).
    const empty = await t.call("POST", "/v2/systemsharedmemory/region/x/register");
    expect([empty.status, empty.json]).toEqual([
      500,
      { error: "failed to parse the request JSON buffer: The document is empty. at 0" },
    ]);
    // HandleSystemSharedMemory: status is GET only, register and unregister POST only.
    const wrongVerb = await t.call("POST", "/v2/systemsharedmemory/status");
    expect([wrongVerb.status, wrongVerb.json]).toEqual([405, { error: "Method Not Allowed" }]);
    expect((await t.call("GET", "/v2/systemsharedmemory/region/x/register")).status).toBe(405);
    // GetStatus of an unknown name is NOT_FOUND.
    const status = await t.call("GET", "/v2/systemsharedmemory/region/x/status");
    expect([status.status, status.json]).toEqual([
      404,
      { error: "Unable to find system shared memory region: 'x'" },
    ]);
  });

  it("inference refusals: unknown region, bad offset, slice past the region, conflicting content, output too small", async () => {
    const t = await start();
    await registered(t);
    const infer = (body: unknown) =>
      t.call("POST", "/v2/models/simple/infer", body).then((r) => [r.status, r.json]);
    const withInput0 = (input: object, outputs?: object[]) => ({
      inputs: [input, shmInput("INPUT1", "in", 64)],
      ...(outputs ? { outputs } : {}),
    });
    // shared_memory_manager.cc GetMemoryInfo.
    expect(await infer(withInput0(shmInput("INPUT0", "nope", 0)))).toEqual([
      404,
      { error: "Unable to find shared memory region: 'nope'" },
    ]);
    expect(await infer(withInput0(shmInput("INPUT0", "in", 128)))).toEqual([
      400,
      { error: "Invalid offset for shared memory region: 'in'" },
    ]);
    expect(await infer(withInput0(shmInput("INPUT0", "in", 100)))).toEqual([
      400,
      { error: "Invalid offset + byte size for shared memory region: 'in'" },
    ]);
    // ValidateInputContentType names every field set.
    expect(await infer(withInput0({ ...shmInput("INPUT0", "in", 0), data: range(0) }))).toEqual([
      400,
      {
        error:
          "Input must set only one of the following fields: 'data', 'binary_data_size' in 'parameters', 'shared_memory_region' in 'parameters'. But set 'data' 'shared_memory_region'",
      },
    ]);
    // Triton core's byte-size check, as for binary inputs.
    expect(await infer(withInput0(shmInput("INPUT0", "in", 0, 32)))).toEqual([
      400,
      {
        error:
          "[request id: <id_unknown>] input byte size mismatch for input 'INPUT0' for model 'simple'. Expected 64, got 32",
      },
    ]);
    // InferResponseAlloc: a region slice smaller than the output is INTERNAL.
    expect(
      await infer(withInput0(shmInput("INPUT0", "in", 0), [shmOutput("OUTPUT0", "out", 0, 16)])),
    ).toEqual([
      500,
      {
        error:
          "shared memory size specified with the request for output 'OUTPUT0' (16 bytes) should be at least 64 bytes to hold the results",
      },
    ]);
    // ValidateOutputParameter.
    const classified = {
      name: "OUTPUT0",
      parameters: { ...shmOutput("x", "out", 0).parameters, classification: 1 },
    };
    expect(await infer(withInput0(shmInput("INPUT0", "in", 0), [classified]))).toEqual([
      400,
      { error: "Output can't set both 'shared_memory_region' and 'classification'" },
    ]);
    const binary = {
      name: "OUTPUT0",
      parameters: { ...shmOutput("x", "out", 0).parameters, binary_data: true },
    };
    expect(await infer(withInput0(shmInput("INPUT0", "in", 0), [binary]))).toEqual([
      400,
      { error: "Output can't set both 'shared_memory_region' and 'binary_data'" },
    ]);
    expect(
      await infer(withInput0(shmInput("INPUT0", "in", 0), [shmOutput("OUTPUT0", "gone", 0)])),
    ).toEqual([404, { error: "Unable to find shared memory region: 'gone'" }]);
  });

  it("a region outlives its unlinked file, as a mapping does", async () => {
    const t = await start();
    const { input, output } = await registered(t);
    rmSync(input.path);
    expect(existsSync(input.path)).toBe(false);
    const res = await t.call("POST", "/v2/models/simple/infer", simpleShm);
    expect(res.status).toBe(200);
    expect(readInt32s(output.path, 64, 16)).toEqual(range(0).map(() => -100));
  });
});

describe.skipIf(!shmWritable)("Triton system shared memory over gRPC", () => {
  const int64 = (v: number) => ({ int64_param: v });
  const grpcShm = (region: string, offset: number, size = 64) => ({
    shared_memory_region: { string_param: region },
    shared_memory_offset: int64(offset),
    shared_memory_byte_size: int64(size),
  });
  const grpcInput = (name: string, parameters: object) => ({
    name,
    datatype: "INT32",
    shape: [1, 16],
    parameters,
  });

  it("SystemSharedMemoryRegister / Status / Unregister share the REST registry", async () => {
    const t = await start();
    const input = createShm(new Uint8Array(128));
    await t.grpc.unary("SystemSharedMemoryRegister", {
      name: "g",
      key: input.key,
      offset: 8,
      byte_size: 120,
    });
    const status = await t.grpc.unary("SystemSharedMemoryStatus", {});
    // grpc_service.proto: map<string, RegionStatus> regions = 1.
    expect(status.regions).toEqual({
      g: { name: "g", key: input.key, offset: "8", byte_size: "120" },
    });
    expect((await t.call("GET", "/v2/systemsharedmemory/status")).json).toEqual([
      { name: "g", key: input.key, offset: 8, byte_size: 120 },
    ]);
    const named = await t.grpc.unary("SystemSharedMemoryStatus", { name: "g" });
    expect(Object.keys(named.regions as object)).toEqual(["g"]);
    const taken = await t.grpc.failure("SystemSharedMemoryRegister", {
      name: "g",
      key: input.key,
      byte_size: 8,
    });
    // GrpcStatusUtil: ALREADY_EXISTS keeps its own code over gRPC.
    expect(taken).toEqual({
      code: grpc.status.ALREADY_EXISTS,
      details: "shared memory region 'g' already in manager",
    });
    const missing = await t.grpc.failure("SystemSharedMemoryStatus", { name: "x" });
    expect(missing).toEqual({
      code: grpc.status.NOT_FOUND,
      details: "Unable to find system shared memory region: 'x'",
    });
    await t.grpc.unary("SystemSharedMemoryUnregister", { name: "g" });
    expect((await t.grpc.unary("SystemSharedMemoryStatus", {})).regions).toEqual({});
  });

  it("ModelInfer reads shm inputs and writes shm outputs; raw_output_contents keeps an empty entry per shm output", async () => {
    const t = await start();
    const { output } = await registered(t);
    const res = await t.grpc.unary("ModelInfer", {
      model_name: "simple",
      inputs: [grpcInput("INPUT0", grpcShm("in", 0)), grpcInput("INPUT1", grpcShm("in", 64))],
      outputs: [
        { name: "OUTPUT0", parameters: grpcShm("out", 0) },
        { name: "OUTPUT1", parameters: grpcShm("out", 64) },
      ],
    });
    const outputs = res.outputs as Record<string, unknown>[];
    expect(outputs.map((o) => [o.name, o.datatype, o.shape, o.contents])).toEqual([
      ["OUTPUT0", "INT32", ["1", "16"], null],
      ["OUTPUT1", "INT32", ["1", "16"], null],
    ]);
    // infer_handler.cc ResponseAllocatorHelper adds a raw_output_contents entry per output, left empty for shm.
    expect((res.raw_output_contents as Buffer[]).map((b) => b.length)).toEqual([0, 0]);
    expect(readInt32s(output.path, 0, 16)).toEqual(range(0).map((v, i) => v + 100 + i));
  });

  it("a shm input beside raw_input_contents: the raw entries pair with the other inputs in order", async () => {
    const t = await start();
    await registered(t);
    const res = await t.grpc.unary("ModelInfer", {
      model_name: "simple",
      inputs: [grpcInput("INPUT0", grpcShm("in", 64)), grpcInput("INPUT1", {})],
      outputs: [{ name: "OUTPUT1" }],
      raw_input_contents: [Buffer.from(int32s(range(0)))],
    });
    const raw = (res.raw_output_contents as Buffer[])[0] as Buffer;
    expect(
      Array.from(new Int32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + 64))),
    ).toEqual(range(0).map(() => 100));
  });

  it("ParseSharedMemoryParams and InferGRPCToInput refusals", async () => {
    const t = await start();
    await registered(t);
    const infer = (input0: object) =>
      t.grpc.failure("ModelInfer", {
        model_name: "simple",
        inputs: [input0, grpcInput("INPUT1", grpcShm("in", 64))],
      });
    const { shared_memory_byte_size: _size, ...noSize } = grpcShm("in", 0);
    expect(await infer(grpcInput("INPUT0", noSize))).toEqual({
      code: grpc.status.INVALID_ARGUMENT,
      details:
        "'shared_memory_byte_size' must be specified along with 'shared_memory_region' parameter for tensor 'INPUT0'",
    });
    expect(await infer(grpcInput("INPUT0", { shared_memory_offset: int64(0) }))).toEqual({
      code: grpc.status.INVALID_ARGUMENT,
      details:
        "'shared_memory_offset' can not be specified without 'shared_memory_region' parameter for tensor 'INPUT0'",
    });
    expect(
      await infer(
        grpcInput("INPUT0", {
          ...grpcShm("in", 0),
          shared_memory_byte_size: { string_param: "64" },
        }),
      ),
    ).toEqual({
      code: grpc.status.INVALID_ARGUMENT,
      details:
        "invalid value type for 'shared_memory_byte_size' parameter for tensor 'INPUT0', expected int64_param.",
    });
    expect(
      await infer({
        ...grpcInput("INPUT0", grpcShm("in", 0)),
        contents: { int_contents: range(0) },
      }),
    ).toEqual({
      code: grpc.status.INVALID_ARGUMENT,
      details:
        "unexpected 'content' provided when using shared memory for input tensor 'INPUT0' for model 'simple'",
    });
    expect(await infer(grpcInput("INPUT0", grpcShm("nope", 0)))).toEqual({
      code: grpc.status.NOT_FOUND,
      details: "Unable to find shared memory region: 'nope'",
    });
    const classified = await t.grpc.failure("ModelInfer", {
      model_name: "simple",
      inputs: [grpcInput("INPUT0", grpcShm("in", 0)), grpcInput("INPUT1", grpcShm("in", 64))],
      outputs: [
        { name: "OUTPUT0", parameters: { ...grpcShm("out", 0), classification: int64(1) } },
      ],
    });
    expect(classified).toEqual({
      code: grpc.status.INVALID_ARGUMENT,
      details: "output can't set both 'shared_memory_region' and 'classification'",
    });
  });
});

describe("Triton CUDA shared memory without a GPU", () => {
  it("register is INVALID_ARG 'GPUs not supported' over REST and gRPC; status lists none; unregister succeeds", async () => {
    const t = await start();
    // http_server.cc / grpc_server.cc without TRITON_ENABLE_GPU.
    const reg = await t.call("POST", "/v2/cudasharedmemory/region/c/register", {
      raw_handle: { b64: "AAAA" },
      device_id: 0,
      byte_size: 64,
    });
    expect([reg.status, reg.json]).toEqual([
      400,
      { error: "failed to register CUDA shared memory region: 'c', GPUs not supported" },
    ]);
    const unnamed = await t.call("POST", "/v2/cudasharedmemory/register", {});
    expect(unnamed.json).toEqual({
      error: "'region name' is necessary to register cuda shared memory region",
    });
    expect(await t.grpc.failure("CudaSharedMemoryRegister", { name: "c", byte_size: 64 })).toEqual({
      code: grpc.status.INVALID_ARGUMENT,
      details: "failed to register CUDA shared memory region: 'c', GPUs not supported",
    });
    const status = await t.call("GET", "/v2/cudasharedmemory/status");
    expect([status.status, status.json]).toEqual([200, []]);
    expect((await t.grpc.unary("CudaSharedMemoryStatus", {})).regions).toEqual({});
    const named = await t.call("GET", "/v2/cudasharedmemory/region/c/status");
    expect([named.status, named.json]).toEqual([
      404,
      { error: "Unable to find cuda shared memory region: 'c'" },
    ]);
    expect((await t.call("POST", "/v2/cudasharedmemory/unregister")).status).toBe(200);
    await t.grpc.unary("CudaSharedMemoryUnregister", { name: "c" });
  });

  it.skipIf(!shmWritable)(
    "a system region's name asked for as CUDA is NOT_FOUND with GetStatus's text",
    async () => {
      const t = await start();
      await registered(t);
      const res = await t.call("GET", "/v2/cudasharedmemory/region/in/status");
      expect([res.status, res.json]).toEqual([
        404,
        {
          error:
            "The region named 'in' is registered as system shared memory, not CUDA shared memory",
        },
      ]);
    },
  );
});

describe("runtimes without the extension", () => {
  // kserve-v2.md §3.2 (MLServer: FastAPI's 404) and §3.3 (OVMS: 400 "Invalid request URL").
  it.each([
    ["mlserver", 404, { detail: "Not Found" }],
    ["ovms", 400, { error: "Invalid request URL" }],
  ] as const)(
    "%s answers its own unknown-path reply for the shared-memory routes",
    async (runtime, code, body) => {
      const t = await start(runtime);
      const res = await t.call("GET", "/v2/systemsharedmemory/status");
      expect([res.status, res.json]).toEqual([code, body]);
      expect((await t.grpc.failure("SystemSharedMemoryStatus", {})).code).toBe(
        grpc.status.UNIMPLEMENTED,
      );
    },
  );
});

describe("pure parts", () => {
  it("shmPath maps a key as glibc shm_open does: leading slashes dropped, no slash inside", () => {
    expect(shmPath("/dev/shm", "/k")).toBe("/dev/shm/k");
    expect(shmPath("/dev/shm", "k")).toBe("/dev/shm/k");
    expect(shmPath("/dev/shm", "/a/b")).toBeUndefined();
    expect(shmPath("/dev/shm", "/")).toBeUndefined();
  });

  it("inputContentConflict names the fields set (ValidateInputContentType)", () => {
    expect(inputContentConflict(false, true, true).message).toMatch(
      /But set 'binary_data_size' 'shared_memory_region'$/,
    );
    expect(inputContentConflict(false, false, false).message).toMatch(/But no field is set$/);
  });
});
