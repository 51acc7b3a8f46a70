/**
 * Triton's explicit model control (kserve-v2.md §3.1 "Triton extensions"): the repository state
 * as pure logic, then the same answers over REST (fetch) and gRPC (@grpc/grpc-js with
 * proto-loader), holding together across index, ready, metadata and infer. Sources: core
 * src/model_repository_manager/model_repository_manager.cc (LoadUnloadModel, RepositoryIndex,
 * InitializeModelInfo), model_lifecycle.cc (GetModel, the "unloaded" reason), server.cc
 * (ModelIsReady); server src/http_server.cc (HandleRepositoryControl, HandleModelReady),
 * src/grpc/grpc_server.cc (RepositoryModelLoad).
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { ManualClock, realClock } from "@servingkit/mock-core/host";
import { afterEach, describe, expect, it, vi } from "vitest";
import { kserveMockModule, kserveMockOptions } from "../mock.js";
import { InferFault } from "./fault.js";
import { ModelRepository, pollEvery, withConfigOverride } from "./model-control.js";
import type { MockModel } from "./models.js";
import { profiles } from "./profiles.js";
import { closeAll, inferenceClient, startKserve } from "./test-mocks.js";

const triton = profiles.triton;
const simple = triton.models.find((m) => m.name === "simple");
const identity = triton.models.find((m) => m.name === "identity_fp32");
if (!simple || !identity) throw new Error("built-in models missing");

function refusal(work: () => unknown): InferFault {
  try {
    work();
  } catch (error) {
    if (error instanceof InferFault) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("ModelRepository (pure)", () => {
  it("none mode: everything loaded; load and unload refused with UNAVAILABLE (LoadUnloadModel)", () => {
    const repo = new ModelRepository(triton, [simple, identity]);
    expect(repo.served().map((m) => m.name)).toEqual(["simple", "identity_fp32"]);
    const fault = refusal(() => repo.load("simple"));
    expect([fault.kind, fault.message]).toEqual([
      "unavailable",
      "explicit model load / unload is not allowed if polling is enabled",
    ]);
    expect(refusal(() => repo.unload("simple")).kind).toBe("unavailable");
  });

  it("explicit mode: --load-model names load at start; the index lists the rest by name only (RepositoryIndex)", () => {
    const repo = new ModelRepository(triton, [simple, identity], "explicit", ["simple", "ghost"]);
    expect(repo.served().map((m) => m.name)).toEqual(["simple"]);
    // Sorted by name (a std::set); a never-loaded model has no version, state or reason.
    expect(repo.index()).toEqual([
      { name: "identity_fp32" },
      { name: "simple", version: "1", state: "READY" },
    ]);
    expect(repo.index(true)).toEqual([{ name: "simple", version: "1", state: "READY" }]);
    expect(
      new ModelRepository(triton, [simple, identity], "explicit", ["*"]).served(),
    ).toHaveLength(2);
  });

  it("unload leaves UNAVAILABLE 'unloaded' versions; lookups then answer Triton's texts (model_lifecycle.cc GetModel)", () => {
    const repo = new ModelRepository(triton, [simple], "explicit", ["simple"]);
    repo.unload("simple");
    repo.unload("never-heard-of"); // unloading what is not loaded succeeds
    expect(repo.index()).toEqual([
      { name: "simple", version: "1", state: "UNAVAILABLE", reason: "unloaded" },
    ]);
    expect(repo.index(true)).toEqual([]);
    const latest = refusal(() => repo.find("simple", undefined));
    expect([latest.kind, latest.message]).toEqual([
      "not-found",
      "Request for unknown model: 'simple' has no available versions",
    ]);
    const v1 = refusal(() => repo.find("simple", "1"));
    expect([v1.kind, v1.message]).toEqual([
      "unavailable",
      "Request for unknown model: 'simple' version 1 is not at ready state",
    ]);
    expect(repo.isReady("simple", undefined)).toBe(false);
    repo.load("simple");
    expect(repo.isReady("simple", "1")).toBe(true);
  });

  it("a load the poll cannot satisfy is INTERNAL 'failed to poll from model repository' (LoadUnloadModel)", () => {
    const repo = new ModelRepository(triton, [simple], "explicit");
    const text = (m: string) => `failed to load '${m}', failed to poll from model repository`;
    const unknown = refusal(() => repo.load("nope"));
    expect([unknown.kind, unknown.message]).toEqual(["internal", text("nope")]);
    // InitializeModelInfo: an invalid config override or an unrecognised parameter fails the poll.
    expect(refusal(() => repo.load("simple", { config: "{not json" })).message).toBe(
      text("simple"),
    );
    expect(refusal(() => repo.load("simple", { flavour: "x" })).message).toBe(text("simple"));
    expect(repo.served()).toEqual([]);
  });

  it("a config override replaces the fields it names (InitializeModelInfo 'config')", () => {
    const over = withConfigOverride(simple, JSON.stringify({ max_batch_size: 0 }));
    expect(over?.maxBatchSize).toBe(0);
    expect(over?.inputs).toEqual(simple.inputs);
    const renamed = withConfigOverride(
      identity,
      JSON.stringify({ input: [{ name: "X", data_type: "TYPE_FP32", dims: [-1, -1] }] }),
    );
    expect(renamed?.inputs).toEqual([{ name: "X", datatype: "FP32", dims: [-1, -1] }]);
    expect(withConfigOverride(simple, "[]")).toBeUndefined();
    expect(withConfigOverride(simple, JSON.stringify({ input: [{ name: "X" }] }))).toBeUndefined();
  });
});

afterEach(closeAll);

async function startTriton(
  values: Record<string, string | boolean | string[]>,
  runtime: "triton" | "mlserver" = "triton",
) {
  const mock = await startKserve(runtime, values);
  const { unary, failure } = inferenceClient(mock);
  const http = (path: string, init?: RequestInit) => fetch(`${mock.endpoints.http}${path}`, init);
  return { mock, unary, failure, http };
}

const inferBody = JSON.stringify({
  inputs: [{ name: "INPUT0", shape: [1, 2], datatype: "FP32", data: [1, 2] }],
});

describe("explicit model control over REST and gRPC", () => {
  it("unload then load: index, ready, metadata and infer agree on both protocols", async () => {
    const t = await startTriton({
      "model-control-mode": "explicit",
      "load-model": ["identity_fp32", "simple"],
    });
    const post = (path: string, body?: unknown) =>
      t.http(path, {
        method: "POST",
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });

    expect((await t.http("/v2/models/identity_fp32/ready")).status).toBe(200);
    const unload = await post("/v2/repository/models/identity_fp32/unload");
    // HandleRepositoryControl: 200, JSON content type, empty body.
    expect([unload.status, unload.headers.get("content-type"), await unload.text()]).toEqual([
      200,
      "application/json",
      "",
    ]);

    const index = (await (await post("/v2/repository/index", {})).json()) as object[];
    expect(index).toContainEqual({
      name: "identity_fp32",
      version: "1",
      state: "UNAVAILABLE",
      reason: "unloaded",
    });
    expect(index).toContainEqual({ name: "identity_int8" }); // in the repository, never loaded
    const viaGrpc = await t.unary("RepositoryIndex", { ready: false });
    expect(viaGrpc.models).toContainEqual({
      name: "identity_fp32",
      version: "1",
      state: "UNAVAILABLE",
      reason: "unloaded",
    });
    const readyOnly = (await (await post("/v2/repository/index", { ready: true })).json()) as {
      name: string;
    }[];
    expect(readyOnly.map((e) => e.name)).toEqual(["simple"]);

    // Ready is false, not an error (server.cc ModelIsReady; http_server.cc HandleModelReady).
    const ready = await t.http("/v2/models/identity_fp32/ready");
    expect([ready.status, await ready.json()]).toEqual([400, { error: "Model version not ready" }]);
    expect(await t.unary("ModelReady", { name: "identity_fp32" })).toEqual({ ready: false });

    const noVersions = "Request for unknown model: 'identity_fp32' has no available versions";
    const infer = await post("/v2/models/identity_fp32/infer", JSON.parse(inferBody));
    expect([infer.status, await infer.json()]).toEqual([404, { error: noVersions }]);
    const meta = await t.http("/v2/models/identity_fp32");
    expect([meta.status, await meta.json()]).toEqual([404, { error: noVersions }]);
    expect(await t.failure("ModelMetadata", { name: "identity_fp32" })).toEqual({
      code: grpc.status.NOT_FOUND,
      details: noVersions,
    });
    // A named version of an unloaded model is UNAVAILABLE (503).
    const v1 = await post("/v2/models/identity_fp32/versions/1/infer", JSON.parse(inferBody));
    expect([v1.status, await v1.json()]).toEqual([
      503,
      { error: "Request for unknown model: 'identity_fp32' version 1 is not at ready state" },
    ]);
    // Statistics list only what is loaded.
    const stats = (await (await t.http("/v2/models/stats")).json()) as {
      model_stats: { name: string }[];
    };
    expect(stats.model_stats.map((s) => s.name)).toEqual(["simple"]);

    // Load it back over gRPC; REST sees it at once.
    expect(await t.unary("RepositoryModelLoad", { model_name: "identity_fp32" })).toEqual({});
    expect((await t.http("/v2/models/identity_fp32/ready")).status).toBe(200);
    const again = await post("/v2/models/identity_fp32/infer", JSON.parse(inferBody));
    expect(again.status).toBe(200);
  });

  it("a never-loaded model is unknown until loaded; load with a config override changes its metadata", async () => {
    const t = await startTriton({ "model-control-mode": "explicit" });
    const meta = await t.http("/v2/models/simple");
    expect([meta.status, await meta.json()]).toEqual([
      404,
      { error: "Request for unknown model: 'simple' is not found" },
    ]);
    const load = await t.http("/v2/repository/models/simple/load", {
      method: "POST",
      body: JSON.stringify({ parameters: { config: JSON.stringify({ max_batch_size: 0 }) } }),
    });
    expect(load.status).toBe(200);
    const after = (await (await t.http("/v2/models/simple")).json()) as {
      inputs: { shape: number[] }[];
    };
    // max_batch_size 0: no leading -1 batch dimension (kserve-v2.md §3.1).
    expect(after.inputs[0]?.shape).toEqual([16]);
    const config = (await (await t.http("/v2/models/simple/config")).json()) as {
      max_batch_size: number;
    };
    expect(config.max_batch_size).toBe(0);
  });

  it("refusals: unknown model, bad parameters, repository names (REST and gRPC codes)", async () => {
    const t = await startTriton({ "model-control-mode": "explicit" });
    const poll = "failed to load 'nope', failed to poll from model repository";
    const unknown = await t.http("/v2/repository/models/nope/load", { method: "POST" });
    expect([unknown.status, await unknown.json()]).toEqual([500, { error: poll }]);
    expect(await t.failure("RepositoryModelLoad", { model_name: "nope" })).toEqual({
      code: grpc.status.INTERNAL,
      details: poll,
    });
    // http_server.cc: a REST load parameter other than config / file:* is refused before the core.
    const odd = await t.http("/v2/repository/models/simple/load", {
      method: "POST",
      body: JSON.stringify({ parameters: { flavour: "x" } }),
    });
    expect([odd.status, await odd.json()]).toEqual([
      500,
      { error: "unexpected error on creating Triton parameter" },
    ]);
    // grpc_server.cc: 'config' must be a string_param.
    expect(
      await t.failure("RepositoryModelLoad", {
        model_name: "simple",
        parameters: { config: { bool_param: true } },
      }),
    ).toEqual({
      code: grpc.status.INVALID_ARGUMENT,
      details: "invalid value type for load parameter 'config', expected string_param.",
    });
    // 'repository_name' is UNSUPPORTED (501) in every mode.
    const repo = await t.http("/v2/repository/other/models/simple/load", { method: "POST" });
    expect([repo.status, await repo.json()]).toEqual([
      501,
      { error: "'repository_name' specification is not supported" },
    ]);
    expect(
      await t.failure("RepositoryModelUnload", { repository_name: "other", model_name: "simple" }),
    ).toEqual({
      code: grpc.status.UNIMPLEMENTED,
      details: "'repository_name' specification is not supported",
    });
    const badFlag = await t.http("/v2/repository/models/simple/unload", {
      method: "POST",
      body: JSON.stringify({ parameters: { unload_dependents: "yes" } }),
    });
    expect(badFlag.status).toBe(500);
  });

  it("rejects a mode it does not model and explicit mode outside Triton (CLI errors)", async () => {
    await expect(
      kserveMockModule.plugins({
        runtime: "triton",
        models: [],
        values: { "model-control-mode": "auto" },
      }),
    ).rejects.toThrow(/expected none, explicit or poll/);
    await expect(
      kserveMockModule.plugins({
        runtime: "ovms",
        models: [],
        values: { "model-control-mode": "explicit" },
      }),
    ).rejects.toThrow(/only the triton mock/);
  });
});

describe("MLServer's repository API (mlserver/handlers/model_repository.py, rest/endpoints.py)", () => {
  it("index, unload, load over REST and gRPC: an unloaded model is as unknown as a missing one", async () => {
    const m = await startTriton({}, "mlserver");
    const post = (path: string, body?: unknown) =>
      m.http(path, {
        method: "POST",
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const index = async (body?: unknown) =>
      (await (await post("/v2/repository/index", body)).json()) as Record<string, unknown>[];
    // Every model settings, READY, its version from the settings, an empty reason.
    expect((await index({})).find((e) => e.name === "iris")).toEqual({
      name: "iris",
      version: "v0.1.0",
      state: "READY",
      reason: "",
    });
    const unload = await post("/v2/repository/models/iris/unload");
    // Response(status_code=200): no body, no content type.
    expect([unload.status, unload.headers.get("content-type"), await unload.text()]).toEqual([
      200,
      null,
      "",
    ]);
    expect((await index({})).find((e) => e.name === "iris")).toMatchObject({
      state: "UNAVAILABLE",
      reason: "",
    });
    expect((await index({ ready: true })).some((e) => e.name === "iris")).toBe(false);
    const gone = { error: "Model iris not found" };
    const infer = await post("/v2/models/iris/infer", {
      inputs: [{ name: "input-0", shape: [1, 4], datatype: "FP32", data: [1, 2, 3, 4] }],
    });
    expect([infer.status, await infer.json()]).toEqual([404, gone]);
    const ready = await m.http("/v2/models/iris/ready");
    expect([ready.status, await ready.json()]).toEqual([404, gone]);
    // registry.py unload: ModelNotFound for a model that is not loaded.
    const again = await post("/v2/repository/models/iris/unload");
    expect([again.status, await again.json()]).toEqual([404, gone]);
    // repository.py find: ModelNotFound for a name no model settings has.
    const missing = await post("/v2/repository/models/nope/load");
    expect([missing.status, await missing.json()]).toEqual([
      404,
      { error: "Model nope not found" },
    ]);
    // Load it back over gRPC; REST sees it.
    expect(await m.unary("RepositoryModelLoad", { model_name: "iris" })).toEqual({});
    expect((await m.http("/v2/models/iris/ready")).status).toBe(200);
    const viaGrpc = await m.unary("RepositoryIndex", { ready: true });
    expect((viaGrpc.models as { name: string }[]).some((e) => e.name === "iris")).toBe(true);
    // mlserver/grpc/utils.py: ModelNotFound → NOT_FOUND.
    expect(await m.failure("RepositoryModelUnload", { model_name: "nope" })).toEqual({
      code: grpc.status.NOT_FOUND,
      details: "Model nope not found",
    });
  });
});

describe("models that are loading (--load-delay) over REST and gRPC", () => {
  const fp32 = JSON.stringify({
    inputs: [{ name: "INPUT0", shape: [1, 2], datatype: "FP32", data: [1, 2] }],
  });

  async function startLoading(
    runtime: "triton" | "mlserver" | "ovms",
    values: Record<string, string | boolean | string[]>,
  ) {
    const clock = new ManualClock();
    const mock = await startKserve(runtime, values, { clock });
    const { unary, failure } = inferenceClient(mock);
    const http = (path: string, init?: RequestInit) => fetch(`${mock.endpoints.http}${path}`, init);
    const infer = (path: string) =>
      http(path, { method: "POST", body: fp32, headers: { "content-type": "application/json" } });
    return { clock, unary, failure, http, infer };
  }

  it("MLServer: not ready while its models load, ModelNotReady on infer, metadata served; ready after", async () => {
    const t = await startLoading("mlserver", { "load-delay": "5" });
    // dataplane.py ready(): every model ready, else 400 with an empty body (to_status_code).
    const server = await t.http("/v2/health/ready");
    expect([server.status, await server.text()]).toEqual([400, ""]);
    expect(await t.unary("ServerReady", {})).toEqual({ ready: false });
    // errors.py ModelNotReady (400), raised by dataplane.py before inference.
    const infer = await t.infer("/v2/models/identity_fp32/infer");
    expect([infer.status, await infer.json()]).toEqual([
      400,
      { error: "Model identity_fp32 is not ready yet." },
    ]);
    const versioned = await t.infer("/v2/models/identity_fp32/versions/1/infer");
    expect(await versioned.json()).toEqual({
      error: "Model identity_fp32 with version 1 is not ready yet.",
    });
    expect(
      await t.failure("ModelInfer", {
        model_name: "identity_fp32",
        inputs: [
          { name: "INPUT0", datatype: "FP32", shape: [1, 2], contents: { fp32_contents: [1, 2] } },
        ],
      }),
    ).toEqual({
      code: grpc.status.INVALID_ARGUMENT,
      details: "Model identity_fp32 is not ready yet.",
    });
    // dataplane.py model_ready reads model.ready; metadata does not check it.
    expect(await t.unary("ModelReady", { name: "identity_fp32" })).toEqual({ ready: false });
    const meta = await t.unary("ModelMetadata", { name: "identity_fp32" });
    expect(meta.name).toBe("identity_fp32");
    // An unknown model is still unknown (404 ModelNotFound).
    expect((await t.infer("/v2/models/ghost/infer")).status).toBe(404);
    const index = (await (
      await t.http("/v2/repository/index", { method: "POST", body: "{}" })
    ).json()) as { name: string; state: string }[];
    expect(index.find((e) => e.name === "identity_fp32")?.state).toBe("UNAVAILABLE");

    await t.clock.advance(5000);
    expect((await t.http("/v2/health/ready")).status).toBe(200);
    expect(await t.unary("ServerReady", {})).toEqual({ ready: true });
    expect((await t.http("/v2/models/identity_fp32/ready")).status).toBe(200);
    expect((await t.infer("/v2/models/identity_fp32/infer")).status).toBe(200);
  });

  it("OVMS: Model with requested version is not loaded yet (503, gRPC UNAVAILABLE) until loaded", async () => {
    const t = await startLoading("ovms", { "load-delay": "2" });
    // kserve-v2.md §3.3: server not ready → 503 {"error":"Server is not ready"} (server.cpp starts
    // the servable manager after the gRPC and REST servers).
    const server = await t.http("/v2/health/ready");
    expect([server.status, await server.json()]).toEqual([503, { error: "Server is not ready" }]);
    expect(await t.unary("ServerReady", {})).toEqual({ ready: false });
    // status.cpp MODEL_VERSION_NOT_LOADED_YET; http_rest_api_handler.cpp
    // processModelReadyKFSRequest answers it for a version that is not ready.
    const notLoaded = { error: "Model with requested version is not loaded yet" };
    const ready = await t.http("/v2/models/identity_fp32/ready");
    expect([ready.status, await ready.json()]).toEqual([503, notLoaded]);
    // ModelReadyImpl: OK with ready false for a version still loading.
    expect(await t.unary("ModelReady", { name: "identity_fp32" })).toEqual({ ready: false });
    // An unknown version is still unknown.
    const v9 = await t.http("/v2/models/identity_fp32/versions/9/ready");
    expect([v9.status, await v9.json()]).toEqual([
      404,
      { error: "Model with requested version is not found" },
    ]);

    await t.clock.advance(2000);
    expect((await t.http("/v2/health/ready")).status).toBe(200);
    expect((await t.http("/v2/models/identity_fp32/ready")).status).toBe(200);
    expect((await t.infer("/v2/models/identity_fp32/infer")).status).toBe(200);
    expect(await t.unary("ModelReady", { name: "identity_fp32" })).toEqual({ ready: true });
  });

  const grpcFp32 = {
    model_name: "identity_fp32",
    inputs: [
      { name: "INPUT0", datatype: "FP32", shape: [1, 2], contents: { fp32_contents: [1, 2] } },
    ],
  };

  /** Resolves once the mock has begun `count` more sleeps than `before` (a request reached its wait). */
  const sleeping = (clock: ManualClock, before: number, count = 1) =>
    vi.waitFor(() => expect(clock.pendingSleeps).toBe(before + count));

  it("OVMS: infer waits for a loading version and answers once it loads (waitForLoaded, REST and gRPC)", async () => {
    const t = await startLoading("ovms", { "load-delay": "2" });
    await t.clock.advance(500);
    const before = t.clock.pendingSleeps;
    let answered = 0;
    // modelmanager.hpp DEFAULT_WAIT_FOR_MODEL_LOADED_TIMEOUT_MS (10 s): getModelInstance waits in
    // ModelInstance::waitForLoaded, so a load ending within it answers normally.
    const rest = t.infer("/v2/models/identity_fp32/versions/1/infer").then((r) => {
      answered += 1;
      return r;
    });
    const viaGrpc = t.unary("ModelInfer", grpcFp32).then((r) => {
      answered += 1;
      return r;
    });
    await sleeping(t.clock, before, 2);
    expect(answered).toBe(0);
    await t.clock.advance(1500);
    const answer = await rest;
    expect([answer.status, ((await answer.json()) as { model_name: string }).model_name]).toEqual([
      200,
      "identity_fp32",
    ]);
    expect(((await viaGrpc) as { model_name: string }).model_name).toBe("identity_fp32");
  });

  it("OVMS: a load longer than the 10 s wait is refused after it, 503 / UNAVAILABLE (waitForLoaded)", async () => {
    const t = await startLoading("ovms", { "load-delay": "15" });
    const notLoaded = { error: "Model with requested version is not loaded yet" };
    const before = t.clock.pendingSleeps;
    let answered = false;
    const rest = t.infer("/v2/models/identity_fp32/infer").then((r) => {
      answered = true;
      return r;
    });
    const viaGrpc = t.failure("ModelInfer", grpcFp32);
    await sleeping(t.clock, before, 2);
    await t.clock.advance(9_999);
    expect(answered).toBe(false);
    await t.clock.advance(1);
    const answer = await rest;
    expect([answer.status, await answer.json()]).toEqual([503, notLoaded]);
    // grpc_utils.cpp: MODEL_VERSION_NOT_LOADED_YET → UNAVAILABLE (kserve-v2.md §4.4).
    expect(await viaGrpc).toEqual({ code: grpc.status.UNAVAILABLE, details: notLoaded.error });
    // An unknown version is refused at once (getModelInstance: MODEL_VERSION_MISSING before any wait).
    const v9 = await t.infer("/v2/models/identity_fp32/versions/9/infer");
    expect(v9.status).toBe(404);
    expect(t.clock.now()).toBe(10_000);
  });

  it("MLServer REST while loading: model ready 400 with an empty body, metadata and docs answered", async () => {
    const t = await startLoading("mlserver", { "load-delay": "5" });
    // rest/endpoints.py model_ready: Response(status_code=to_status_code(is_ready)), no body.
    const ready = await t.http("/v2/models/identity_fp32/ready");
    expect([ready.status, await ready.text(), ready.headers.get("content-type")]).toEqual([
      400,
      "",
      null,
    ]);
    const versioned = await t.http("/v2/models/identity_fp32/versions/1/ready");
    expect([versioned.status, await versioned.text()]).toEqual([400, ""]);
    // An unknown model is still ModelNotFound (404).
    const ghost = await t.http("/v2/models/ghost/ready");
    expect(ghost.status).toBe(404);
    // handlers/dataplane.py model_metadata does not check model.ready; the docs route asks it.
    const meta = await t.http("/v2/models/identity_fp32");
    expect([meta.status, ((await meta.json()) as { name: string }).name]).toEqual([
      200,
      "identity_fp32",
    ]);
    expect((await t.http("/v2/models/identity_fp32/docs/dataplane.json")).status).toBe(200);
    await t.clock.advance(5000);
    expect((await t.http("/v2/models/identity_fp32/ready")).status).toBe(200);
  });

  it("REST load answers once the load ends (Triton HandleRepositoryControl, MLServer endpoints.py load)", async () => {
    for (const [runtime, values] of [
      ["triton", { "model-control-mode": "explicit", "load-model": "simple", "load-delay": "3" }],
      ["mlserver", { "load-delay": "3" }],
    ] as const) {
      const t = await startLoading(runtime, values);
      await t.clock.advance(3000); // MLServer's start-up loads
      if (runtime === "mlserver") {
        const unload = await t.http("/v2/repository/models/identity_fp32/unload", {
          method: "POST",
        });
        expect(unload.status).toBe(200);
      }
      const before = t.clock.pendingSleeps;
      let answered = false;
      const load = t
        .http("/v2/repository/models/identity_fp32/load", { method: "POST" })
        .then((r) => {
          answered = true;
          return r;
        });
      await sleeping(t.clock, before);
      expect((await t.http("/v2/models/identity_fp32/ready")).status).toBe(400);
      expect(answered).toBe(false);
      await t.clock.advance(3000);
      const answer = await load;
      expect([answer.status, await answer.text()]).toEqual([200, ""]);
      expect((await t.http("/v2/models/identity_fp32/ready")).status).toBe(200);
    }
  });

  it("a load that ends after shutdown began leaves readiness false", async () => {
    const clock = new ManualClock();
    const mock = await startKserve("mlserver", { "load-delay": "5" }, { clock });
    expect(mock.readiness.ready).toBe(false);
    const closing = mock.close();
    await clock.advance(5000);
    expect(mock.readiness.ready).toBe(false);
    await clock.advance(60_000);
    await closing;
  });

  it("Triton: start-up models are ready at once (ports open after the start-up loads)", async () => {
    const t = await startLoading("triton", { "load-delay": "5" });
    expect((await t.http("/v2/health/ready")).status).toBe(200);
    expect((await t.infer("/v2/models/identity_fp32/infer")).status).toBe(200);
  });

  it("Triton: RepositoryModelLoad takes the load delay; meanwhile LOADING, model and server not ready", async () => {
    const t = await startLoading("triton", {
      "model-control-mode": "explicit",
      "load-model": "simple",
      "load-delay": "3",
    });
    let answered = false;
    const load = t.unary("RepositoryModelLoad", { model_name: "identity_fp32" }).then((r) => {
      answered = true;
      return r;
    });
    await vi.waitFor(async () => {
      const index = await t.unary("RepositoryIndex", { ready: false });
      expect(index.models).toContainEqual({
        name: "identity_fp32",
        version: "1",
        state: "LOADING",
        reason: "",
      });
    });
    expect(answered).toBe(false);
    // server.cc ModelIsReady: false; http_server.cc HandleModelReady: 400 "Model version not ready".
    const ready = await t.http("/v2/models/identity_fp32/ready");
    expect([ready.status, await ready.json()]).toEqual([400, { error: "Model version not ready" }]);
    expect(await t.unary("ModelReady", { name: "identity_fp32" })).toEqual({ ready: false });
    // Strict readiness (the default): the server is not ready while a model loads (triton#7014).
    expect((await t.http("/v2/health/ready")).status).toBe(400);
    expect(await t.unary("ServerReady", {})).toEqual({ ready: false });
    // model_lifecycle.cc GetModel: no READY version yet.
    const infer = await t.infer("/v2/models/identity_fp32/infer");
    expect([infer.status, await infer.json()]).toEqual([
      404,
      { error: "Request for unknown model: 'identity_fp32' has no available versions" },
    ]);
    const v1 = await t.infer("/v2/models/identity_fp32/versions/1/infer");
    expect([v1.status, await v1.json()]).toEqual([
      503,
      { error: "Request for unknown model: 'identity_fp32' version 1 is not at ready state" },
    ]);
    // The other model serves on.
    expect(await t.unary("ModelReady", { name: "simple" })).toEqual({ ready: true });

    await t.clock.advance(3000);
    expect(await load).toEqual({});
    expect((await t.http("/v2/models/identity_fp32/ready")).status).toBe(200);
    expect((await t.http("/v2/health/ready")).status).toBe(200);
    expect(await t.unary("ServerReady", {})).toEqual({ ready: true });
  });

  it("Triton --strict-readiness=false: the server stays ready while a model loads", async () => {
    const t = await startLoading("triton", {
      "model-control-mode": "explicit",
      "load-delay": "3",
      "strict-readiness": "false",
    });
    const load = t.unary("RepositoryModelLoad", { model_name: "identity_fp32" });
    await vi.waitFor(async () => {
      expect(await t.unary("ModelReady", { name: "identity_fp32" })).toEqual({ ready: false });
      const index = await t.unary("RepositoryIndex", { ready: false });
      expect(JSON.stringify(index.models)).toContain("LOADING");
    });
    expect((await t.http("/v2/health/ready")).status).toBe(200);
    expect(await t.unary("ServerReady", {})).toEqual({ ready: true });
    await t.clock.advance(3000);
    expect(await load).toEqual({});
  });

  it("option values: --load-delay seconds >= 0, --strict-readiness true/false on Triton only", async () => {
    const plugins = (runtime: "triton" | "mlserver", values: Record<string, string>) =>
      kserveMockModule.plugins({ runtime, models: [], values });
    await expect(plugins("triton", { "load-delay": "-1" })).rejects.toThrow(
      "--load-delay -1: expected seconds (a number >= 0)",
    );
    await expect(plugins("triton", { "load-delay": "soon" })).rejects.toThrow("--load-delay soon");
    await expect(plugins("triton", { "strict-readiness": "no" })).rejects.toThrow(
      "--strict-readiness no: expected true or false",
    );
    await expect(plugins("mlserver", { "strict-readiness": "false" })).rejects.toThrow(
      "only the triton mock",
    );
    expect(
      kserveMockOptions({ runtime: "ovms", models: [], values: { "load-delay": "1.5" } }),
    ).toMatchObject({ loadDelayMs: 1500 });
    await expect(plugins("triton", { "exit-on-error": "maybe" })).rejects.toThrow(
      "--exit-on-error maybe: expected true or false",
    );
    await expect(plugins("mlserver", { "exit-on-error": "false" })).rejects.toThrow(
      "--exit-on-error: only the triton mock",
    );
    // --load-delay and --slow-start are told apart in the help (different things: a model's
    // load vs the host's readiness).
    expect(kserveMockModule.options?.["load-delay"]?.help).toContain("Not --slow-start");
  });
});

describe("failed loads (a repository model its backend refuses)", () => {
  // A vLLM-backend model without model.json: vllm_backend src/model.py _init_engine_args asserts
  // it, so the Python backend's initialize fails and the version is UNAVAILABLE with that reason.
  function brokenRepository(): string {
    const dir = mkdtempSync(join(tmpdir(), "failed-load-"));
    mkdirSync(join(dir, "llm", "1"), { recursive: true });
    writeFileSync(
      join(dir, "llm", "config.pbtxt"),
      'backend: "vllm"\ninput [ { name: "text_input" data_type: TYPE_STRING dims: [ 1 ] } ]',
    );
    return dir;
  }

  it("explicit load: INVALID_ARG 'load failed for model' (REST 400, gRPC INVALID_ARGUMENT); the index keeps UNAVAILABLE with the reason", async () => {
    const dir = brokenRepository();
    const t = await startTriton({ "model-control-mode": "explicit", "model-repository": dir });
    const reason = `Internal: AssertionError: 'model.json' containing vllm engine args must be provided in '${join(dir, "llm", "1")}'`;
    // model_repository_manager.cc LoadUnloadModels: "load failed for model '<m>': " + the
    // version's "version 1 is at UNAVAILABLE state: <reason>;" and a newline (INVALID_ARG, 400
    // since 24.01); qa L0_lifecycle asserts "version 2 is at UNAVAILABLE state: Internal: ...".
    const message = `load failed for model 'llm': version 1 is at UNAVAILABLE state: ${reason};\n`;
    // Never loaded yet: listed by name alone (RepositoryIndex lists every model folder).
    const before = await t.http("/v2/repository/index", { method: "POST", body: "{}" });
    expect(await before.json()).toEqual([{ name: "llm" }]);

    const load = await t.http("/v2/repository/models/llm/load", { method: "POST" });
    expect([load.status, await load.json()]).toEqual([400, { error: message }]);
    expect(await t.failure("RepositoryModelLoad", { model_name: "llm" })).toEqual({
      code: grpc.status.INVALID_ARGUMENT,
      details: message,
    });
    const entry = { name: "llm", version: "1", state: "UNAVAILABLE", reason };
    const index = await t.http("/v2/repository/index", { method: "POST", body: "{}" });
    expect(await index.json()).toEqual([entry]);
    expect((await t.unary("RepositoryIndex", {})).models).toEqual([entry]);
    const readyOnly = await t.http("/v2/repository/index", {
      method: "POST",
      body: '{"ready":true}',
    });
    expect(await readyOnly.json()).toEqual([]);
    // Not ready, and inference finds no available version (core model_lifecycle.cc GetModel).
    expect(await t.unary("ModelReady", { name: "llm" })).toEqual({ ready: false });
    const generate = await t.http("/v2/models/llm/generate", {
      method: "POST",
      body: '{"text_input":"Hi"}',
    });
    expect([generate.status, await generate.json()]).toEqual([
      404,
      { error: "Request for unknown model: 'llm' has no available versions" },
    ]);
    // An unload turns the reason into "unloaded" (model_lifecycle.cc).
    await t.unary("RepositoryModelUnload", { model_name: "llm" });
    expect((await t.unary("RepositoryIndex", {})).models).toEqual([
      { ...entry, reason: "unloaded" },
    ]);
  });

  it("named at start the start stops (--exit-on-error), in mode none and explicit alike; --exit-on-error=false starts it UNAVAILABLE", async () => {
    const dir = brokenRepository();
    const reason = `Internal: AssertionError: 'model.json' containing vllm engine args must be provided in '${join(dir, "llm", "1")}'`;
    // core model_repository_manager.cc Create: a start-up model that is not READY makes it
    // INTERNAL "failed to load all models"; server.cc Init returns it, and tritonserver exits
    // (main.cc FAIL_IF_ERR "creating server"); model_lifecycle.cc CreateModel logs the version.
    const stop = `failed to load 'llm' version 1: ${reason}\nerror: creating server: Internal - failed to load all models`;
    await expect(startKserve("triton", { "model-repository": dir })).rejects.toThrow(stop);
    await expect(
      startKserve("triton", {
        "model-control-mode": "explicit",
        "model-repository": dir,
        "load-model": "llm",
      }),
    ).rejects.toThrow(stop);
    const t = await startTriton({
      "model-control-mode": "explicit",
      "model-repository": dir,
      "load-model": "llm",
      "exit-on-error": "false",
    });
    expect((await t.unary("RepositoryIndex", {})).models).toEqual([
      { name: "llm", version: "1", state: "UNAVAILABLE", reason },
    ]);
  });
});

describe("a folder read again on each load (core model_repository_manager.cc Poll)", () => {
  const restIndex = async (t: { http: (path: string, init?: RequestInit) => Promise<Response> }) =>
    (await t.http("/v2/repository/index", { method: "POST", body: "{}" })).json();
  const tensors = 'input [ { name: "text_input" data_type: TYPE_STRING dims: [ 1 ] } ]';
  /** A repository with a working vLLM model `llm` and the FP32 model `plain`. */
  function repository(): string {
    const dir = mkdtempSync(join(tmpdir(), "repoll-"));
    mkdirSync(join(dir, "llm", "1"), { recursive: true });
    writeFileSync(join(dir, "llm", "config.pbtxt"), `backend: "vllm"\n${tensors}`);
    writeFileSync(join(dir, "llm", "1", "model.json"), '{"model": "facebook/opt-125m"}');
    mkdirSync(join(dir, "plain", "1"), { recursive: true });
    writeFileSync(
      join(dir, "plain", "config.pbtxt"),
      'platform: "onnxruntime_onnx"\ninput [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 2 ] } ]\noutput [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 2 ] } ]',
    );
    return dir;
  }
  const unparseable =
    'backend: "vllm"\ninput [ { name: "text_input" data_type: TYPE_STRING dims: [ 1 ]';
  // core filesystem ReadTextProto: INTERNAL "failed to read text proto from <path>".
  const protoError = (dir: string, model: string) =>
    `failed to read text proto from ${join(dir, model, "config.pbtxt")}`;
  // core model_repository_manager.cc LoadUnloadModel: a poll that failed → INTERNAL (REST 500).
  const pollFailed = (model: string) =>
    `failed to load '${model}', failed to poll from model repository`;

  it("an unparseable config.pbtxt: mode none stops the start; explicit mode lists it by name, serves the others, refuses its load until the file parses", async () => {
    const dir = repository();
    writeFileSync(join(dir, "llm", "config.pbtxt"), unparseable);
    // Poll logs "Poll failed for model directory '<m>': <reason>"; Create: "failed to load all models".
    await expect(startKserve("triton", { "model-repository": dir })).rejects.toThrow(
      `Poll failed for model directory 'llm': ${protoError(dir, "llm")}\nerror: creating server: Internal - failed to load all models`,
    );
    await expect(
      startKserve("triton", {
        "model-control-mode": "explicit",
        "model-repository": dir,
        "load-model": "*",
      }),
    ).rejects.toThrow(`Poll failed for model directory 'llm'`);

    const t = await startTriton({
      "model-control-mode": "explicit",
      "model-repository": dir,
      "load-model": "plain",
    });
    // RepositoryIndex lists every folder; a model the lifecycle never held has no version/state.
    const index = await t.http("/v2/repository/index", { method: "POST", body: "{}" });
    expect(await index.json()).toEqual([
      { name: "llm" },
      { name: "plain", version: "1", state: "READY" },
    ]);
    const load = await t.http("/v2/repository/models/llm/load", { method: "POST" });
    expect([load.status, await load.json()]).toEqual([500, { error: pollFailed("llm") }]);
    expect(await t.failure("RepositoryModelLoad", { model_name: "llm" })).toEqual({
      code: grpc.status.INTERNAL,
      details: pollFailed("llm"),
    });
    expect(await t.unary("ModelReady", { name: "llm" })).toEqual({ ready: false });
    const infer = await t.http("/v2/models/plain/infer", {
      method: "POST",
      body: JSON.stringify({
        inputs: [{ name: "INPUT0", shape: [2], datatype: "FP32", data: [1, 2] }],
      }),
    });
    expect(infer.status).toBe(200);
    // The next load polls the folder again: fixed, it loads.
    writeFileSync(join(dir, "llm", "config.pbtxt"), `backend: "vllm"\n${tensors}`);
    const fixed = await t.http("/v2/repository/models/llm/load", { method: "POST" });
    expect(fixed.status).toBe(200);
    expect(await t.unary("ModelReady", { name: "llm" })).toEqual({ ready: true });
  });

  it("--exit-on-error=false in mode none: the server starts without the unparseable model", async () => {
    const dir = repository();
    writeFileSync(join(dir, "llm", "config.pbtxt"), unparseable);
    const t = await startTriton({ "model-repository": dir, "exit-on-error": "false" });
    expect(await restIndex(t)).toEqual([
      { name: "llm" },
      { name: "plain", version: "1", state: "READY" },
    ]);
    expect(await t.unary("ServerReady", {})).toEqual({ ready: true });
  });

  it("a failing reload of a serving model: the load is refused, the version serving stays READY and serves", async () => {
    const dir = repository();
    const t = await startTriton({
      "model-control-mode": "explicit",
      "model-repository": dir,
      "load-model": "llm",
    });
    const ready = { name: "llm", version: "1", state: "READY" };
    const generate = () =>
      t.http("/v2/models/llm/generate", { method: "POST", body: '{"text_input":"Hi"}' });
    expect((await generate()).status).toBe(200);

    // The backend now refuses it (model.json gone): INVALID_ARG with the version's reason, as a
    // first load; model_lifecycle.cc AsyncLoad loads over a READY version in the background and
    // OnLoadFinal releases only that background load, so version 1 stays READY (qa L0_lifecycle
    // test_model_availability_on_reload keeps a model available across its reload).
    rmSync(join(dir, "llm", "1", "model.json"));
    const reason = `Internal: AssertionError: 'model.json' containing vllm engine args must be provided in '${join(dir, "llm", "1")}'`;
    const load = await t.http("/v2/repository/models/llm/load", { method: "POST" });
    expect([load.status, await load.json()]).toEqual([
      400,
      { error: `load failed for model 'llm': version 1 is at UNAVAILABLE state: ${reason};\n` },
    ]);
    expect(await restIndex(t)).toEqual([ready, { name: "plain" }]);
    expect(await t.unary("ModelReady", { name: "llm" })).toEqual({ ready: true });
    expect((await generate()).status).toBe(200);

    // A folder that no longer parses: the poll fails (INTERNAL), the previous info is kept.
    writeFileSync(join(dir, "llm", "config.pbtxt"), unparseable);
    expect(await t.failure("RepositoryModelLoad", { model_name: "llm" })).toEqual({
      code: grpc.status.INTERNAL,
      details: pollFailed("llm"),
    });
    expect(await restIndex(t)).toEqual([ready, { name: "plain" }]);
    expect((await generate()).status).toBe(200);

    // Unloaded, the same failure leaves the version UNAVAILABLE with its reason.
    writeFileSync(join(dir, "llm", "config.pbtxt"), `backend: "vllm"\n${tensors}`);
    await t.unary("RepositoryModelUnload", { model_name: "llm" });
    const again = await t.http("/v2/repository/models/llm/load", { method: "POST" });
    expect(again.status).toBe(400);
    expect(await restIndex(t)).toEqual([
      { name: "llm", version: "1", state: "UNAVAILABLE", reason },
      { name: "plain" },
    ]);
  });
});

describe("Triton poll mode (--model-control-mode=poll; core model_repository_manager.cc PollAndUpdate)", () => {
  /** `model` as a repository folder read at modification time `modified` (ms). */
  const folder = (model: MockModel, modified: number, extra: object = {}): MockModel => ({
    ...model,
    source: { poll: () => undefined, modified, ...extra },
  });
  const pollRepository = (
    now: () => readonly MockModel[],
    start: readonly MockModel[] = now(),
    timing: ConstructorParameters<typeof ModelRepository>[4] = {},
  ) => new ModelRepository(triton, start, "poll", [], timing, now);

  it("loads every model at start and refuses load / unload with UNAVAILABLE (LoadUnloadModel: model control off)", () => {
    const models = [folder(simple, 1), folder(identity, 1)];
    const repo = pollRepository(() => models);
    expect(repo.served().map((m) => m.name)).toEqual(["simple", "identity_fp32"]);
    for (const work of [() => repo.load("simple"), () => repo.unload("simple")]) {
      const fault = refusal(work);
      expect([fault.kind, fault.message]).toEqual([
        "unavailable",
        "explicit model load / unload is not allowed if polling is enabled",
      ]);
    }
  });

  it("a poll loads added folders, reloads modified ones, unloads removed ones (Poll: added / modified / deleted)", () => {
    let now = [folder(simple, 1), folder(identity, 1)];
    const repo = pollRepository(() => now);
    const renamed = { ...identity, inputs: [{ name: "X", datatype: "FP32" as const, dims: [2] }] };
    const added = { ...identity, name: "added" };
    now = [folder(renamed, 2), folder(added, 1)];
    repo.poll();
    // RepositoryIndex lists the folders there are: `simple` is gone from it.
    expect(repo.index()).toEqual([
      { name: "added", version: "1", state: "READY" },
      { name: "identity_fp32", version: "1", state: "READY" },
    ]);
    expect(repo.find("identity_fp32", undefined).model.inputs[0]?.name).toBe("X");
    // model_lifecycle.cc GetModel: the unloaded model has no available versions.
    const gone = refusal(() => repo.find("simple", undefined));
    expect(gone.message).toBe("Request for unknown model: 'simple' has no available versions");
    expect(repo.isReady("simple", undefined)).toBe(false);
    // The folder back: added again, loaded again.
    now = [...now, folder(simple, 3)];
    repo.poll();
    expect(repo.isReady("simple", undefined)).toBe(true);
  });

  it("an unchanged modification time is not reloaded (ModelTimestamp): the model first read stays", () => {
    let now = [folder(identity, 5)];
    const repo = pollRepository(() => now);
    now = [folder({ ...identity, maxBatchSize: 4 }, 5)];
    repo.poll();
    expect(repo.find("identity_fp32", undefined).model.maxBatchSize).toBe(identity.maxBatchSize);
    now = [folder({ ...identity, maxBatchSize: 4 }, 6)];
    repo.poll();
    expect(repo.find("identity_fp32", undefined).model.maxBatchSize).toBe(4);
  });

  it("poll failures: a new folder is listed by name alone; a known one keeps its model; an unreadable repository changes nothing", () => {
    let now: MockModel[] = [folder(identity, 1)];
    const repo = pollRepository(() => {
      if (now.length === 0) throw new Error("EACCES");
      return now;
    });
    const broken = (name: string, modified: number) =>
      folder({ ...identity, name, versions: [] }, modified, {
        pollFailure: "failed to read text proto from x",
      });
    now = [broken("identity_fp32", 2), broken("fresh", 1)];
    repo.poll();
    // Poll logs "Poll failed for model directory" and keeps the previous info of a known model.
    expect(repo.index()).toEqual([
      { name: "fresh" },
      { name: "identity_fp32", version: "1", state: "READY" },
    ]);
    expect(repo.isReady("identity_fp32", undefined)).toBe(true);
    now = [];
    repo.poll();
    expect(repo.index()).toHaveLength(2);
  });

  it("a load the backend refuses: a new model UNAVAILABLE with its reason, a serving one keeps serving; neither retried until modified", () => {
    let now = [folder(identity, 1)];
    const repo = pollRepository(() => now);
    const reason =
      "Internal: AssertionError: 'model.json' containing vllm engine args must be provided in 'x'";
    now = [
      folder(identity, 2, { loadFailure: reason }),
      folder({ ...simple }, 1, { loadFailure: reason }),
    ];
    repo.poll();
    // model_lifecycle.cc AsyncLoad over a READY version: the background load fails, version 1 stays.
    expect(repo.index()).toEqual([
      { name: "identity_fp32", version: "1", state: "READY" },
      { name: "simple", version: "1", state: "UNAVAILABLE", reason },
    ]);
    now = [folder(identity, 2), folder(simple, 1)];
    repo.poll();
    expect(repo.isReady("simple", undefined)).toBe(false);
    now = [folder(identity, 2), folder(simple, 2)];
    repo.poll();
    expect(repo.isReady("simple", undefined)).toBe(true);
  });

  it("polls every --repository-poll-secs on the mock's clock (default 15 s) until stopped; 0 never polls", async () => {
    const clock = new ManualClock();
    let reads = 0;
    const repo = pollRepository(() => {
      reads += 1;
      return [folder(identity, reads)];
    });
    const stop = new AbortController();
    repo.start(clock, stop.signal);
    reads = 0;
    await clock.advance(14_999);
    expect(reads).toBe(0);
    await clock.advance(1);
    expect(reads).toBe(1);
    await clock.advance(30_000);
    expect(reads).toBe(3);
    stop.abort();
    await clock.advance(60_000);
    expect(reads).toBe(3);

    const never = pollRepository(
      () => {
        reads += 1;
        return [];
      },
      [identity],
      { repositoryPollMs: 0 },
    );
    never.start(clock);
    await clock.advance(60_000);
    expect(reads).toBe(3);
  });

  it("on the real clock: an unref'd interval, stopped when the signal aborts", async () => {
    let polls = 0;
    const stop = new AbortController();
    pollEvery(realClock, 5, () => polls++, stop.signal);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(polls).toBeGreaterThan(0);
    stop.abort();
    const after = polls;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(polls).toBe(after);
  });

  it("with a load delay an added model is LOADING and the server not ready until it loads (server.cc IsReady, strict)", async () => {
    const clock = new ManualClock();
    let now = [folder(identity, 1)];
    const repo = pollRepository(() => now, now, { loadDelayMs: 2000, repositoryPollMs: 1000 });
    repo.start(clock);
    now = [folder(identity, 1), folder({ ...identity, name: "late" }, 1)];
    await clock.advance(1000);
    expect(repo.index()).toContainEqual({ name: "late", version: "1", state: "LOADING" });
    expect(repo.allReady()).toBe(false);
    await clock.advance(2000);
    expect(repo.index()).toContainEqual({ name: "late", version: "1", state: "READY" });
    expect(repo.allReady()).toBe(true);
  });

  it("over REST and gRPC with a repository folder: load refused 503 / UNAVAILABLE; a folder added, changed and removed takes effect at the next poll", async () => {
    const dir = mkdtempSync(join(tmpdir(), "poll-"));
    const config = (dims: number) =>
      `platform: "onnxruntime_onnx"\ninput [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ ${dims} ] } ]\noutput [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ ${dims} ] } ]`;
    const write = (model: string, dims: number) => {
      mkdirSync(join(dir, model, "1"), { recursive: true });
      writeFileSync(join(dir, model, "config.pbtxt"), config(dims));
    };
    write("plain", 2);
    const clock = new ManualClock();
    const mock = await startKserve(
      "triton",
      { "model-control-mode": "poll", "model-repository": dir, "repository-poll-secs": "5" },
      { clock },
    );
    const { unary, failure } = inferenceClient(mock);
    const http = (path: string, init?: RequestInit) => fetch(`${mock.endpoints.http}${path}`, init);
    const index = async () =>
      (await http("/v2/repository/index", { method: "POST", body: "{}" })).json();
    const text = "explicit model load / unload is not allowed if polling is enabled";
    // http_server.cc HandleRepositoryControl: the UNAVAILABLE status answers 503 (24.01+ mapping).
    for (const action of ["load", "unload"]) {
      const res = await http(`/v2/repository/models/plain/${action}`, { method: "POST" });
      expect([res.status, await res.json()]).toEqual([503, { error: text }]);
    }
    expect(await failure("RepositoryModelLoad", { model_name: "plain" })).toEqual({
      code: grpc.status.UNAVAILABLE,
      details: text,
    });
    expect(await failure("RepositoryModelUnload", { model_name: "plain" })).toEqual({
      code: grpc.status.UNAVAILABLE,
      details: text,
    });

    write("added", 2);
    // Changed: a later modification time on the config (Poll compares ModelTimestamp).
    writeFileSync(join(dir, "plain", "config.pbtxt"), config(3));
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(dir, "plain", "config.pbtxt"), later, later);
    // core model_repository_manager.cc RepositoryIndex lists the folders there are on every call:
    // before the poll the added folder shows by name alone (not yet in the lifecycle).
    expect(await index()).toEqual([
      { name: "added" },
      { name: "plain", version: "1", state: "READY" },
    ]);
    await clock.advance(5000);
    expect(await index()).toEqual([
      { name: "added", version: "1", state: "READY" },
      { name: "plain", version: "1", state: "READY" },
    ]);
    const meta = (await (await http("/v2/models/plain")).json()) as {
      inputs: { shape: number[] }[];
    };
    expect(meta.inputs[0]?.shape).toEqual([3]);
    expect(await unary("ModelReady", { name: "added" })).toEqual({ ready: true });

    rmSync(join(dir, "added"), { recursive: true });
    // Between polls the removed folder leaves the index at once while its model still serves.
    expect(await index()).toEqual([{ name: "plain", version: "1", state: "READY" }]);
    expect(await unary("ModelReady", { name: "added" })).toEqual({ ready: true });
    await clock.advance(5000);
    expect(await index()).toEqual([{ name: "plain", version: "1", state: "READY" }]);
    expect(await unary("ModelReady", { name: "added" })).toEqual({ ready: false });
    const infer = await http("/v2/models/added/infer", { method: "POST", body: inferBody });
    expect([infer.status, await infer.json()]).toEqual([
      404,
      { error: "Request for unknown model: 'added' has no available versions" },
    ]);
  });

  it("option values: poll on Triton only, --repository-poll-secs whole seconds on Triton only", () => {
    const options = (runtime: "triton" | "mlserver", values: Record<string, string>) =>
      kserveMockOptions({ runtime, models: [], values });
    expect(
      options("triton", { "model-control-mode": "poll", "repository-poll-secs": "0" }),
    ).toMatchObject({ modelControlMode: "poll", repositoryPollSecs: 0 });
    // Triton reads the period in poll mode only.
    expect(options("triton", { "repository-poll-secs": "3" }).repositoryPollSecs).toBeUndefined();
    // command_line_parser.cc: an int, std::max(0, secs) in poll mode.
    expect(
      options("triton", { "model-control-mode": "poll", "repository-poll-secs": "-1" })
        .repositoryPollSecs,
    ).toBe(0);
    expect(() => options("triton", { "repository-poll-secs": "x" })).toThrow(/whole seconds/);
    expect(() => options("triton", { "repository-poll-secs": "1.5" })).toThrow(/whole seconds/);
    expect(() => options("mlserver", { "repository-poll-secs": "3" })).toThrow(/only the triton/);
    expect(() => options("mlserver", { "model-control-mode": "poll" })).toThrow(/only the triton/);
    // server command_line_parser.cc: --load-model outside explicit mode stops tritonserver.
    expect(() =>
      options("triton", { "model-control-mode": "poll", "load-model": "simple" }),
    ).toThrow("Use of '--load-model' requires setting '--model-control-mode=explicit' as well.");
    expect(() => options("triton", { "load-model": "simple" })).toThrow(/requires setting/);
  });
});

describe("MLServer load reads model-settings.json again (handlers/model_repository.py load → repository.py find → list)", () => {
  it("a load of a loaded model reloads it from disk; a settings file added later is indexed and loads; a removed one leaves the index", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mlserver-reload-"));
    const settings = (name: string, input: string) =>
      JSON.stringify({
        name,
        implementation: "mlserver_sklearn.SKLearnModel",
        inputs: [{ name: input, datatype: "FP32", shape: [-1, 2] }],
        outputs: [{ name: "predict", datatype: "FP32", shape: [-1, 1] }],
      });
    const write = (name: string, input: string) => {
      mkdirSync(join(dir, name), { recursive: true });
      writeFileSync(join(dir, name, "model-settings.json"), settings(name, input));
    };
    write("iris", "a");
    const t = await startTriton({ "model-repository": dir }, "mlserver");
    const post = (path: string) => t.http(path, { method: "POST", body: "{}" });
    const inputName = async (model: string) =>
      ((await (await t.http(`/v2/models/${model}`)).json()) as { inputs: { name: string }[] })
        .inputs[0]?.name;
    expect(await inputName("iris")).toBe("a");

    // registry.py SingleModelRegistry.load: a model loaded under that version is reloaded
    // (_reload_model loads the new settings before it unloads the old one).
    write("iris", "b");
    expect(await inputName("iris")).toBe("a");
    const reload = await post("/v2/repository/models/iris/load");
    expect(reload.status).toBe(200);
    expect(await inputName("iris")).toBe("b");

    // handlers/model_repository.py index lists the settings files anew (repository.py list).
    write("wine", "c");
    expect(await (await post("/v2/repository/index")).json()).toEqual([
      { name: "iris", state: "READY", reason: "" },
      { name: "wine", state: "UNAVAILABLE", reason: "" },
    ]);
    expect((await post("/v2/repository/models/wine/load")).status).toBe(200);
    expect(await inputName("wine")).toBe("c");

    // repository.py list: an unreadable settings file is logged and skipped; the others list and load.
    mkdirSync(join(dir, "junk"));
    writeFileSync(join(dir, "junk", "model-settings.json"), "{");
    expect(await (await post("/v2/repository/index")).json()).toHaveLength(2);
    expect((await post("/v2/repository/models/iris/load")).status).toBe(200);

    // A removed settings file: gone from the index (the loaded model still serves until unloaded).
    rmSync(join(dir, "wine"), { recursive: true });
    expect(await (await post("/v2/repository/index")).json()).toEqual([
      { name: "iris", state: "READY", reason: "" },
    ]);
    const missing = await post("/v2/repository/models/wine/load");
    expect([missing.status, await missing.json()]).toEqual([
      404,
      { error: "Model wine not found" },
    ]);
  });
});
