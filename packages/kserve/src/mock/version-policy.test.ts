/**
 * Triton's version policy (model_config.proto ModelVersionPolicy; server docs
 * model_configuration.md "Version Policy"; core model_lifecycle.cc VersionsToLoad, AsyncLoad,
 * GetModel; model_repository_manager.cc LoadUnloadModels, RepositoryIndex, Create): the pure
 * choice of versions, then a repository folder served over REST (fetch) and gRPC (grpc-js).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { parseTextProto } from "./pbtxt.js";
import { readTritonRepository } from "./repository.js";
import { closeAll, inferenceClient, startKserve } from "./test-mocks.js";
import {
  defaultVersionPolicy,
  folderVersion,
  noVersionMessage,
  readVersionPolicy,
  versionsToLoad,
} from "./version-policy.js";

afterEach(closeAll);

const policy = (text: string) => readVersionPolicy(parseTextProto(text));

describe("version policy (pure)", () => {
  it("reads latest / all / specific; no policy is latest 1 (GetNormalizedModelConfig)", () => {
    expect(policy("")).toEqual(defaultVersionPolicy);
    expect(defaultVersionPolicy).toEqual({ kind: "latest", numVersions: 1 });
    expect(policy("version_policy { latest { num_versions: 2 } }")).toEqual({
      kind: "latest",
      numVersions: 2,
    });
    // proto3: an empty latest {} is num_versions 0.
    expect(policy("version_policy { latest {} }")).toEqual({ kind: "latest", numVersions: 0 });
    expect(policy("version_policy: { all: {} }")).toEqual({ kind: "all" });
    expect(policy("version_policy { specific { versions: [1, 3] } }")).toEqual({
      kind: "specific",
      versions: [1, 3],
    });
    expect(policy("version_policy { specific { versions: 4 } }")).toEqual({
      kind: "specific",
      versions: [4],
    });
  });

  it("refuses what protobuf's text parser refuses: two oneof members, a negative num_versions", () => {
    // text_format.cc: a field "specified along with" another member of its oneof.
    expect(() => policy("version_policy { latest { num_versions: 1 } all {} }")).toThrow(
      SyntaxError,
    );
    expect(() => policy("version_policy { latest { num_versions: -1 } }")).toThrow(SyntaxError);
  });

  it("folder names as VersionsToLoad reads them: leading zeros ignored, std::stoll's leading integer", () => {
    expect(folderVersion("3")).toBe(3);
    expect(folderVersion("0")).toBe(0);
    expect(folderVersion("01")).toBeUndefined();
    expect(folderVersion("2_old")).toBe(2);
    expect(folderVersion("warmup")).toBeUndefined();
  });

  it("latest N, all and specific pick among the folders; specific versions without a folder are left out", () => {
    const folders = ["1", "2", "3", "10", "configs"];
    expect(versionsToLoad({ kind: "latest", numVersions: 2 }, folders).versions).toEqual([3, 10]);
    expect(versionsToLoad({ kind: "latest", numVersions: 9 }, folders).versions).toEqual([
      1, 2, 3, 10,
    ]);
    expect(versionsToLoad({ kind: "latest", numVersions: 0 }, folders).versions).toEqual([]);
    expect(versionsToLoad({ kind: "all" }, folders).versions).toEqual([1, 2, 3, 10]);
    expect(versionsToLoad({ kind: "specific", versions: [3, 1, 7] }, folders)).toEqual({
      versions: [1, 3],
      missing: [7],
    });
    expect(versionsToLoad({ kind: "all" }, []).versions).toEqual([]);
  });

  it("a specific version listed twice is picked without a folder (VersionsToLoad's insert test)", () => {
    // core model_lifecycle.cc VersionsToLoad: `existing_versions.insert(v).second` both tests and
    // inserts, so the second listing of a version with no folder finds it and emplaces it; the
    // first listing logs "is specified ... but the version directory is not present".
    expect(versionsToLoad({ kind: "specific", versions: [7, 1, 7] }, ["1"])).toEqual({
      versions: [1, 7],
      missing: [7],
    });
    expect(versionsToLoad({ kind: "specific", versions: [4, 4] }, [])).toEqual({
      versions: [4],
      missing: [4],
    });
  });
});

const tensors =
  'input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 2 ] } ]\noutput [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 2 ] } ]';

/** A repository with one model folder per entry: its version_policy text and version folders. */
function repository(models: Record<string, { policy: string; versions: number[] }>): string {
  const dir = mkdtempSync(join(tmpdir(), "policy-"));
  for (const [name, { policy: text, versions }] of Object.entries(models)) {
    mkdirSync(join(dir, name), { recursive: true });
    for (const v of versions) mkdirSync(join(dir, name, String(v)));
    writeFileSync(
      join(dir, name, "config.pbtxt"),
      `platform: "onnxruntime_onnx"\n${text}\n${tensors}`,
    );
  }
  return dir;
}

const inferBody = JSON.stringify({
  inputs: [{ name: "INPUT0", shape: [2], datatype: "FP32", data: [1, 2] }],
});

describe("version policy served (Triton)", () => {
  it("latest 2 of three folders: metadata, per-version ready / metadata / infer, index and statistics, REST and gRPC", async () => {
    const dir = repository({
      multi: { policy: "version_policy { latest { num_versions: 2 } }", versions: [1, 2, 3] },
    });
    expect(readTritonRepository(dir).map((m) => m.versions)).toEqual([["2", "3"]]);
    const mock = await startKserve("triton", { "model-repository": dir });
    const { unary, failure } = inferenceClient(mock);
    const http = (path: string, init?: RequestInit) => fetch(`${mock.endpoints.http}${path}`, init);

    // tritonserver.cc ModelMetadata: every READY version when none is named, ascending.
    expect(
      ((await (await http("/v2/models/multi")).json()) as { versions: string[] }).versions,
    ).toEqual(["2", "3"]);
    expect(
      ((await unary("ModelMetadata", { name: "multi" })) as { versions: string[] }).versions,
    ).toEqual(["2", "3"]);
    const v2 = (await (await http("/v2/models/multi/versions/2")).json()) as {
      versions: string[];
    };
    expect(v2.versions).toEqual(["2"]);

    // Version 1 has a folder but is outside the policy: it never enters the lifecycle, so
    // model_lifecycle.cc GetModel answers NOT_FOUND "version 1 is not found" (REST 404).
    const old = await http("/v2/models/multi/versions/1");
    expect([old.status, await old.json()]).toEqual([
      404,
      { error: "Request for unknown model: 'multi' version 1 is not found" },
    ]);
    const oldInfer = await http("/v2/models/multi/versions/1/infer", {
      method: "POST",
      body: inferBody,
    });
    expect(oldInfer.status).toBe(404);
    expect(
      await failure("ModelInfer", { model_name: "multi", model_version: "1", inputs: [] }),
    ).toMatchObject({ code: grpc.status.NOT_FOUND });
    expect(await failure("ModelMetadata", { name: "multi", version: "1" })).toEqual({
      code: grpc.status.NOT_FOUND,
      details: "Request for unknown model: 'multi' version 1 is not found",
    });

    // server.cc ModelIsReady: per version; a version outside the policy is not ready (REST 400).
    expect((await http("/v2/models/multi/versions/2/ready")).status).toBe(200);
    expect((await http("/v2/models/multi/versions/3/ready")).status).toBe(200);
    expect((await http("/v2/models/multi/versions/1/ready")).status).toBe(400);
    expect(await unary("ModelReady", { name: "multi", version: "2" })).toEqual({ ready: true });
    expect(await unary("ModelReady", { name: "multi", version: "1" })).toEqual({ ready: false });

    const infer2 = await http("/v2/models/multi/versions/2/infer", {
      method: "POST",
      body: inferBody,
    });
    expect(infer2.status).toBe(200);
    expect(((await infer2.json()) as { model_version: string }).model_version).toBe("2");
    // No version named: the newest READY version (GetModel with version -1).
    const latest = await http("/v2/models/multi/infer", { method: "POST", body: inferBody });
    expect(((await latest.json()) as { model_version: string }).model_version).toBe("3");

    // RepositoryIndex: one row per version in the lifecycle, READY.
    const index = await http("/v2/repository/index", { method: "POST", body: "{}" });
    expect(await index.json()).toEqual([
      { name: "multi", version: "2", state: "READY" },
      { name: "multi", version: "3", state: "READY" },
    ]);
    const grpcIndex = (await unary("RepositoryIndex", {})) as { models: unknown[] };
    expect(grpcIndex.models).toMatchObject([
      { name: "multi", version: "2", state: "READY" },
      { name: "multi", version: "3", state: "READY" },
    ]);

    // Statistics: one entry per READY version; the version inferred counts.
    const stats = (await (await http("/v2/models/multi/stats")).json()) as {
      model_stats: { version: string; inference_count: number }[];
    };
    expect(stats.model_stats.map((s) => [s.version, s.inference_count])).toEqual([
      ["2", 1],
      ["3", 1],
    ]);
  });

  it("--legacy-status (Triton before 24.01): the same texts, every refusal 400; gRPC codes unchanged", async () => {
    // kserve-v2.md §3.1: before 24.01 http_server.cc answered every error 400.
    const dir = repository({
      multi: { policy: "version_policy { latest { num_versions: 2 } }", versions: [1, 2, 3] },
    });
    const mock = await startKserve("triton", { "model-repository": dir, "legacy-status": true });
    const old = await fetch(`${mock.endpoints.http}/v2/models/multi/versions/1`);
    expect([old.status, await old.json()]).toEqual([
      400,
      { error: "Request for unknown model: 'multi' version 1 is not found" },
    ]);
    expect(
      await inferenceClient(mock).failure("ModelMetadata", { name: "multi", version: "1" }),
    ).toMatchObject({ code: grpc.status.NOT_FOUND });
  });

  it("all {} and specific serve their versions; a specific version with no folder is left out", async () => {
    const dir = repository({
      every: { policy: "version_policy { all {} }", versions: [1, 2, 3] },
      some: { policy: "version_policy { specific { versions: [1, 3, 7] } }", versions: [1, 2, 3] },
    });
    const mock = await startKserve("triton", { "model-repository": dir });
    const http = (path: string) => fetch(`${mock.endpoints.http}${path}`);
    expect(
      ((await (await http("/v2/models/every")).json()) as { versions: string[] }).versions,
    ).toEqual(["1", "2", "3"]);
    expect(
      ((await (await http("/v2/models/some")).json()) as { versions: string[] }).versions,
    ).toEqual(["1", "3"]);
    expect((await http("/v2/models/some/versions/2")).status).toBe(404);
    expect((await http("/v2/models/some/versions/7")).status).toBe(404);
  });

  it("a specific version listed twice with no folder goes to its backend: a vLLM-backend model fails the model.json assertion", async () => {
    // core model_lifecycle.cc VersionsToLoad picks it (the insert test); CreateModel hands it to
    // the backend (backend_model.cc TritonModel::Create checks no folder), and vllm_backend
    // src/model.py _init_engine_args asserts model.json in the version's folder.
    const dir = mkdtempSync(join(tmpdir(), "policy-twice-"));
    mkdirSync(join(dir, "llm", "1"), { recursive: true });
    writeFileSync(join(dir, "llm", "1", "model.json"), JSON.stringify({ model: "m" }));
    writeFileSync(
      join(dir, "llm", "config.pbtxt"),
      'backend: "vllm"\nversion_policy { specific { versions: [1, 3, 3] } }\ninput [ { name: "text_input" data_type: TYPE_STRING dims: [ 1 ] } ]',
    );
    const mock = await startKserve("triton", {
      "model-repository": dir,
      "model-control-mode": "explicit",
    });
    const reason = `Internal: AssertionError: 'model.json' containing vllm engine args must be provided in '${join(dir, "llm", "3")}'`;
    const res = await fetch(`${mock.endpoints.http}/v2/repository/models/llm/load`, {
      method: "POST",
    });
    expect([res.status, await res.json()]).toEqual([
      400,
      { error: `load failed for model 'llm': version 3 is at UNAVAILABLE state: ${reason};\n` },
    ]);
  });

  it("no version under the policy (latest {}, specific without folders, no version folder): the start stops", async () => {
    for (const [text, versions] of [
      ["version_policy { latest {} }", [1]],
      ["version_policy { specific { versions: [5] } }", [1]],
      ["", []],
    ] as const) {
      const dir = repository({ empty: { policy: text, versions: [...versions] } });
      // model_repository_manager.cc Create: a model with no version state fails the start
      // (LoadModelByDependency logs AsyncLoad's INVALID_ARG first). Nothing refuses `latest {}`
      // earlier: core model_config_utils.cc ValidateModelConfig checks only that a version
      // policy is present (`must specify 'version policy' for <m>`, and normalization always
      // sets one), never num_versions, so the text is AsyncLoad's.
      await expect(startKserve("triton", { "model-repository": dir })).rejects.toThrow(
        `failed to load model 'empty': ${noVersionMessage("empty")}\nerror: creating server: Internal - failed to load all models`,
      );
    }
  });

  it("--exit-on-error=false: such a model has no index row; lookups answer no versions; its load is INVALID_ARG; a serving model keeps serving", async () => {
    const dir = repository({
      empty: { policy: "version_policy { latest {} }", versions: [1] },
      fine: { policy: "", versions: [1] },
    });
    const mock = await startKserve("triton", {
      "model-repository": dir,
      "exit-on-error": "false",
    });
    const { unary } = inferenceClient(mock);
    const http = (path: string, init?: RequestInit) => fetch(`${mock.endpoints.http}${path}`, init);
    // RepositoryIndex: the model is in the lifecycle with no version, so it has no row at all.
    expect(
      await (await http("/v2/repository/index", { method: "POST", body: "{}" })).json(),
    ).toEqual([{ name: "fine", version: "1", state: "READY" }]);
    const infer = await http("/v2/models/empty/infer", { method: "POST", body: inferBody });
    expect([infer.status, await infer.json()]).toEqual([
      404,
      { error: "Request for unknown model: 'empty' has no available versions" },
    ]);
    expect((await http("/v2/models/empty/versions/1")).status).toBe(404);
    expect(await unary("ModelReady", { name: "empty" })).toEqual({ ready: false });
  });

  it("a reload under a new policy: the versions it drops stay UNAVAILABLE 'unloaded' (OnLoadFinal), named they are not at ready state", async () => {
    const dir = repository({
      multi: { policy: "", versions: [1, 2, 3] },
    });
    const mock = await startKserve("triton", {
      "model-repository": dir,
      "model-control-mode": "explicit",
      "load-model": "multi",
    });
    const { failure } = inferenceClient(mock);
    const http = (path: string, init?: RequestInit) => fetch(`${mock.endpoints.http}${path}`, init);
    const index = async () =>
      (await http("/v2/repository/index", { method: "POST", body: "{}" })).json();
    expect(await index()).toEqual([{ name: "multi", version: "3", state: "READY" }]);
    writeFileSync(
      join(dir, "multi", "config.pbtxt"),
      `platform: "onnxruntime_onnx"\nversion_policy { specific { versions: [1, 2] } }\n${tensors}`,
    );
    expect((await http("/v2/repository/models/multi/load", { method: "POST" })).status).toBe(200);
    // model_lifecycle.cc OnLoadFinal releases version 3 (READY, older than the load); its info
    // stays in the version map, UNAVAILABLE "unloaded" once released (the ModelDeleter).
    expect(await index()).toEqual([
      { name: "multi", version: "1", state: "READY" },
      { name: "multi", version: "2", state: "READY" },
      { name: "multi", version: "3", state: "UNAVAILABLE", reason: "unloaded" },
    ]);
    expect(
      await (await http("/v2/repository/index", { method: "POST", body: '{"ready":true}' })).json(),
    ).toHaveLength(2);
    expect(
      ((await (await http("/v2/models/multi")).json()) as { versions: string[] }).versions,
    ).toEqual(["1", "2"]);
    // GetModel: a version in the map that is not READY is UNAVAILABLE (REST 503).
    const three = await http("/v2/models/multi/versions/3/infer", {
      method: "POST",
      body: inferBody,
    });
    expect([three.status, await three.json()]).toEqual([
      503,
      { error: "Request for unknown model: 'multi' version 3 is not at ready state" },
    ]);
    expect(await failure("ModelMetadata", { name: "multi", version: "3" })).toEqual({
      code: grpc.status.UNAVAILABLE,
      details: "Request for unknown model: 'multi' version 3 is not at ready state",
    });
    // After an unload every version is UNAVAILABLE "unloaded", the dropped one with them.
    expect((await http("/v2/repository/models/multi/unload", { method: "POST" })).status).toBe(200);
    expect(await index()).toEqual(
      ["1", "2", "3"].map((version) => ({
        name: "multi",
        version,
        state: "UNAVAILABLE",
        reason: "unloaded",
      })),
    );
  });

  it("explicit load of a model with no version under its policy: INVALID_ARG 'load failed ...' (REST 400, gRPC INVALID_ARGUMENT)", async () => {
    const dir = repository({ empty: { policy: "version_policy { latest {} }", versions: [1] } });
    const mock = await startKserve("triton", {
      "model-repository": dir,
      "model-control-mode": "explicit",
    });
    const { failure } = inferenceClient(mock);
    // LoadUnloadModels: "load failed for model '<m>': " + AsyncLoad's message + "\n".
    const text = `load failed for model 'empty': ${noVersionMessage("empty")}\n`;
    const res = await fetch(`${mock.endpoints.http}/v2/repository/models/empty/load`, {
      method: "POST",
    });
    expect([res.status, await res.json()]).toEqual([400, { error: text }]);
    expect(await failure("RepositoryModelLoad", { model_name: "empty" })).toEqual({
      code: grpc.status.INVALID_ARGUMENT,
      details: text,
    });
    // Not even by name: AsyncLoad entered the model in the lifecycle before it found no version.
    const index = await fetch(`${mock.endpoints.http}/v2/repository/index`, {
      method: "POST",
      body: "{}",
    });
    expect(await index.json()).toEqual([]);
  });
});
