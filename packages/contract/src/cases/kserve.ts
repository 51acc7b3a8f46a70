/**
 * The protocol cases of KServe v2 / Open Inference Protocol as Triton, MLServer and OVMS serve it
 * (issue 4). Each case names the fact it checks and asserts properties that hold on a real
 * cluster too: server metadata per runtime, model metadata and readiness, unknown models in each
 * runtime's words, and an inference round trip built from the model's own metadata.
 *
 * Cases that need a model use the target's `model`; where a target names none they fall back to
 * the runtime's built-in mock model and skip (never pass) when the endpoint does not serve it.
 *
 * Behind ModelMesh (kserve-v2.md §3.4) only model metadata and inference are served through its
 * REST proxy and gRPC routing: the cases of those declare both deployments and check ModelMesh's
 * differences (answers name its internal model id, `<name>__<suffix>`; REST refusals are
 * grpc-gateway's `{code, message}`; metadata is protojson, int64 shapes as strings), and two
 * cases check the proxy's missing routes and the id header the other RPCs need.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { Code, createClient } from "@connectrpc/connect";
import type { RuntimeName } from "@servingkit/mock-core";
import { Health, HealthCheckResponse_ServingStatus } from "@servingkit/proto/health";
import { GRPCInferenceService } from "@servingkit/proto/inference";
import { type CaseContext, type ContractCase, defineCase } from "../contract-case.js";
import type { Deployment } from "../target.js";
import { grpcOutcome } from "./grpc-outcome.js";

const kserveRuntimes: readonly RuntimeName[] = ["triton", "mlserver", "ovms"];

/** A model name no deployment serves. */
const missingModel = "servingkit-contract-no-such-model";

/** `GET /v2` name per runtime (kserve-v2.md §3.1, §3.2, §3.3). */
const serverNames: Readonly<Record<string, string>> = {
  triton: "triton",
  mlserver: "mlserver",
  ovms: "OpenVINO Model Server",
};

/** Unknown-model texts per runtime (kserve-v2.md §3.1, §3.2, §3.3; gRPC §4.4 uses the same). */
const unknownModelText: Readonly<Record<string, (model: string) => string>> = {
  triton: (m) => `Request for unknown model: '${m}' is not found`,
  mlserver: (m) => `Model ${m} not found`,
  ovms: () => "Model with requested name is not found",
};

/** The built-in model of each mock, used when a target names none. */
const mockModel: Readonly<Record<string, string>> = {
  triton: "simple",
  mlserver: "iris",
  ovms: "resnet",
};

function runtimeOf(context: CaseContext): string {
  return context.target.runtime;
}

/** Whether ModelMesh serves the target (kserve-v2.md §3.4). */
function behindModelMesh(context: CaseContext): boolean {
  return context.target.deployment === "modelmesh";
}

/** The deployments of the cases that hold behind ModelMesh too. */
const eitherDeployment: readonly Deployment[] = ["single-model", "modelmesh"];

/**
 * The answer's model name is the model, or behind ModelMesh its internal id: the name, `__`, and
 * a suffix (kserve-v2.md §3.4: `example-mnist-isvc__ksp-7702c1b55a`).
 */
function assertModelName(context: CaseContext, name: unknown, model: string, what: string): void {
  if (behindModelMesh(context)) {
    assert.ok(
      String(name).startsWith(`${model}__`),
      `${what}: ModelMesh's internal id of ${model} (got ${String(name)})`,
    );
  } else {
    assert.equal(name, model, what);
  }
}

/** The target's model, or the mock's default when the endpoint serves it; skips otherwise. */
async function modelOf(context: CaseContext): Promise<string> {
  if (context.target.model) return context.target.model;
  const fallback = mockModel[runtimeOf(context)] ?? "";
  const answer = await context.rest(`/v2/models/${fallback}`);
  if (answer.status !== 200) {
    context.skip(`target names no model and does not serve the mock's '${fallback}'`);
  }
  return fallback;
}

/**
 * The target's model, or `vllm_model` (the vLLM backend's sample, the mock's built-in LLM) when
 * the endpoint serves it; skips otherwise.
 */
async function llmModelOf(context: CaseContext): Promise<string> {
  if (context.target.model !== undefined) return context.target.model;
  const served = await context.rest("/v2/models/vllm_model");
  if (served.status !== 200) {
    context.skip("target names no model and does not serve the vLLM backend's 'vllm_model'");
  }
  return "vllm_model";
}

async function grpcModelOf(context: CaseContext): Promise<string> {
  if (context.target.model) return context.target.model;
  const fallback = mockModel[runtimeOf(context)] ?? "";
  const client = createClient(GRPCInferenceService, context.grpc());
  const options = { signal: context.signal };
  // Behind ModelMesh ModelReady needs an id header; ModelMetadata takes the name (ModelMeshApi.java).
  const served = behindModelMesh(context)
    ? (await grpcOutcome(client.modelMetadata({ name: fallback }, options))).ok
    : await grpcOutcome(client.modelReady({ name: fallback }, options)).then(
        (ready) => ready.ok && ready.value.ready,
      );
  if (!served) {
    context.skip(`target names no model and does not serve the mock's '${fallback}'`);
  }
  return fallback;
}

function parseJson(body: string, what: string): Record<string, unknown> {
  try {
    return JSON.parse(body) as Record<string, unknown>;
  } catch {
    assert.fail(`${what}: body is not JSON: ${body.slice(0, 200)}`);
  }
}

/**
 * Tensors with a name, a datatype and a shape of integers (-1 for variable dimensions); with
 * `int64Strings`, integers written as strings too (protojson's int64, ModelMesh's REST proxy).
 */
function assertTensorMetadata(value: unknown, what: string, int64Strings = false): void {
  assert.ok(Array.isArray(value), `${what} is an array`);
  const dimension = (d: unknown) =>
    (Number.isInteger(d) || (int64Strings && typeof d === "string" && /^-?\d+$/.test(d))) &&
    Number(d) >= -1;
  for (const tensor of value as Record<string, unknown>[]) {
    assert.equal(typeof tensor.name, "string", `${what}: name`);
    assert.equal(typeof tensor.datatype, "string", `${what}: datatype`);
    assert.ok(
      Array.isArray(tensor.shape) && tensor.shape.every(dimension),
      `${what}: shape of integers, -1 for variable dimensions`,
    );
  }
}

/** Bytes per element of the fixed-size datatypes (kserve-v2.md §1.4); BYTES has none. */
const elementSizes: Readonly<Record<string, number>> = {
  BOOL: 1,
  UINT8: 1,
  INT8: 1,
  UINT16: 2,
  INT16: 2,
  FP16: 2,
  BF16: 2,
  UINT32: 4,
  INT32: 4,
  FP32: 4,
  UINT64: 8,
  INT64: 8,
  FP64: 8,
};

/** An input of zeros shaped from the model's metadata (each variable dimension as 1). */
interface ZeroInput {
  readonly name: string;
  readonly datatype: string;
  readonly shape: number[];
  readonly count: number;
}

/** The model's REST metadata and zero inputs for it. */
async function zeroInputs(
  context: CaseContext,
  model: string,
): Promise<{ inputs: ZeroInput[]; outputs: { name: string }[] }> {
  const meta = parseJson((await context.rest(`/v2/models/${model}`)).body, "model metadata");
  // Numbers, or strings behind ModelMesh's proxy (protojson int64).
  const tensors = meta.inputs as { name: string; datatype: string; shape: (number | string)[] }[];
  const inputs = tensors.map((t) => {
    const shape = t.shape.map((d) => (Number(d) < 0 ? 1 : Number(d)));
    return { name: t.name, datatype: t.datatype, shape, count: shape.reduce((n, d) => n * d, 1) };
  });
  if (inputs.some((t) => elementSizes[t.datatype] === undefined)) {
    context.skip("the model has BYTES inputs; zero tensors need fixed-size datatypes");
  }
  return { inputs, outputs: meta.outputs as { name: string }[] };
}

/** An output tensor of a REST answer. */
interface RestOutput {
  readonly name: string;
  readonly shape: number[];
  readonly data?: unknown[];
  readonly parameters?: { readonly binary_data_size?: number };
}

/**
 * Why this process cannot share the target's /dev/shm, or undefined when it may: the target must
 * be on a loopback address (a cluster's server never sees this machine's /dev/shm) and /dev/shm
 * writable here. A loopback address may still be a port-forward to a cluster: the case then
 * skips when the server cannot open the key it was given (see the case).
 */
function shmUnshared(context: CaseContext): string | undefined {
  const host = context.target.rest === undefined ? "" : new URL(context.target.rest).hostname;
  if (!["127.0.0.1", "localhost", "[::1]", "::1"].includes(host)) {
    return "the target is not on this machine, so its server cannot see this /dev/shm";
  }
  try {
    const probe = `/dev/shm/servingkit-contract-probe-${process.pid}`;
    writeFileSync(probe, "");
    rmSync(probe);
  } catch {
    return "/dev/shm is not writable here";
  }
  return undefined;
}

/** 16 INT32 values as little-endian bytes (the raw layout, kserve-v2.md §2). */
const int32Bytes = (values: readonly number[]) => new Uint8Array(Int32Array.from(values).buffer);

/** The REST cases. */
const restCases: ContractCase[] = [
  defineCase({
    id: "kserve/rest-server-metadata",
    title: "GET /v2 answers the runtime's name, a version and its extensions (OVMS: no key)",
    source:
      "kserve-v2.md §1.2, §3.1 (13 extensions), §3.2 (extensions []), §3.3 (no extensions key)",
    runtimes: kserveRuntimes,
    transport: "rest",
    async run(context) {
      const answer = await context.rest("/v2");
      assert.equal(answer.status, 200, "status");
      const body = parseJson(answer.body, "GET /v2");
      assert.equal(body.name, serverNames[runtimeOf(context)], "name");
      assert.equal(typeof body.version, "string", "version");
      const runtime = runtimeOf(context);
      if (runtime === "ovms")
        assert.equal(body.extensions, undefined, "OVMS sends no extensions key");
      else assert.ok(Array.isArray(body.extensions), "extensions is an array");
      if (runtime === "triton") {
        assert.ok(
          (body.extensions as string[]).includes("binary_tensor_data"),
          "Triton lists binary_tensor_data",
        );
      }
      if (runtime === "mlserver") assert.deepEqual(body.extensions, [], "MLServer lists none");
    },
  }),
  defineCase({
    id: "kserve/rest-unknown-model",
    title: 'metadata of an unknown model is a 404 {"error"} in the runtime\'s words',
    source:
      "kserve-v2.md §3.1, §3.2, §3.3 (unknown model texts); §3.4 (ModelMesh: grpc-gateway's {code, message}, NOT_FOUND is code 5)",
    runtimes: kserveRuntimes,
    transport: "rest",
    deployments: eitherDeployment,
    async run(context) {
      const answer = await context.rest(`/v2/models/${missingModel}`);
      assert.equal(answer.status, 404, "status");
      if (behindModelMesh(context)) {
        const body = parseJson(answer.body, "unknown model");
        assert.equal(body.code, 5, "gRPC NOT_FOUND as grpc-gateway's code");
        assert.equal(typeof body.message, "string", "message");
        return;
      }
      const text = unknownModelText[runtimeOf(context)]?.(missingModel);
      assert.deepEqual(parseJson(answer.body, "unknown model"), { error: text });
    },
  }),
  defineCase({
    id: "kserve/rest-unknown-model-ready",
    title:
      "readiness of an unknown model: Triton's 400 'Model version not ready', the others' 404 not-found",
    source:
      "triton core src/server.cc ModelIsReady + server src/http_server.cc HandleModelReady (a boolean: false is 400); kserve-v2.md §3.2, §3.3 (404)",
    runtimes: kserveRuntimes,
    transport: "rest",
    async run(context) {
      const answer = await context.rest(`/v2/models/${missingModel}/ready`);
      if (runtimeOf(context) === "triton") {
        assert.equal(answer.status, 400, "status");
        assert.deepEqual(parseJson(answer.body, "unknown model ready"), {
          error: "Model version not ready",
        });
        return;
      }
      assert.equal(answer.status, 404, "status");
      assert.equal(
        typeof parseJson(answer.body, "unknown model ready").error,
        "string",
        "error text",
      );
    },
  }),
  defineCase({
    id: "kserve/rest-model-metadata",
    title: "model metadata has name, platform, versions and typed tensors",
    source:
      "kserve-v2.md §1.3, §3.1-§3.3; §3.4 (ModelMesh: the internal model id); kserve/rest-proxy main.go (protojson, EmitUnpopulated false: int64 shapes as strings, empty fields left out)",
    runtimes: kserveRuntimes,
    transport: "rest",
    deployments: eitherDeployment,
    async run(context) {
      const model = await modelOf(context);
      const answer = await context.rest(`/v2/models/${model}`);
      assert.equal(answer.status, 200, "status");
      const body = parseJson(answer.body, "model metadata");
      assertModelName(context, body.name, model, "name");
      const mm = behindModelMesh(context);
      // The proxy's protojson leaves empty fields out (rest-proxy main.go: EmitUnpopulated = false).
      if (!mm || body.platform !== undefined) {
        assert.equal(typeof body.platform, "string", "platform");
      }
      if (body.versions !== undefined) assert.ok(Array.isArray(body.versions), "versions");
      assertTensorMetadata(body.inputs ?? (mm ? [] : undefined), "inputs", mm);
      assertTensorMetadata(body.outputs ?? (mm ? [] : undefined), "outputs", mm);
    },
  }),
  defineCase({
    id: "kserve/rest-model-ready",
    title: "a served model is ready: 200 with an empty body",
    source: "kserve-v2.md §1.1 (status only), §3.1-§3.3 (empty bodies)",
    runtimes: kserveRuntimes,
    transport: "rest",
    async run(context) {
      const model = await modelOf(context);
      const answer = await context.rest(`/v2/models/${model}/ready`);
      assert.equal(answer.status, 200, "status");
      assert.equal(answer.body, "", "body");
    },
  }),
  defineCase({
    id: "kserve/rest-repository-index",
    title:
      "POST /v2/repository/index lists the served model READY; every entry has a name, states are the protocol's",
    source:
      "kserve-v2.md §3.1 (Triton extensions: index), §3.2 (MLServer repository index item); triton core model_repository_manager.cc RepositoryIndex; mlserver handlers/model_repository.py",
    runtimes: ["triton", "mlserver"],
    transport: "rest",
    async run(context) {
      const model = await modelOf(context);
      const answer = await context.rest("/v2/repository/index", { json: {} });
      assert.equal(answer.status, 200, "status");
      const index = JSON.parse(answer.body) as Record<string, unknown>[];
      assert.ok(Array.isArray(index), "an array");
      const states = ["UNKNOWN", "READY", "UNAVAILABLE", "LOADING", "UNLOADING"];
      for (const entry of index) {
        assert.equal(typeof entry.name, "string", "name");
        if (entry.state !== undefined) {
          assert.ok(states.includes(String(entry.state)), `state ${String(entry.state)}`);
        }
      }
      assert.ok(
        index.some((entry) => entry.name === model && entry.state === "READY"),
        `${model} is READY`,
      );
    },
  }),
  defineCase({
    id: "kserve/rest-model-versions",
    title:
      "Triton serves every version its metadata lists: each ready (200, empty), each one's metadata naming it, and the index lists exactly those READY",
    source:
      "triton core src/tritonserver.cc ModelMetadata (the READY versions, ascending, when none is named; the named one otherwise); model_repository_manager.cc RepositoryIndex (a row per version with its state); server.cc ModelIsReady; server docs model_configuration.md 'Version Policy'",
    runtimes: ["triton"],
    transport: "rest",
    async run(context) {
      const model = await modelOf(context);
      const meta = parseJson((await context.rest(`/v2/models/${model}`)).body, "model metadata");
      const versions = meta.versions as unknown[];
      assert.ok(
        Array.isArray(versions) &&
          versions.length > 0 &&
          versions.every((v) => typeof v === "string" && /^\d+$/.test(v)),
        `versions: numeric strings, at least one (got ${JSON.stringify(versions)})`,
      );
      const served = versions as string[];
      const ascending = [...served].sort((a, b) => Number(a) - Number(b));
      assert.deepEqual(served, ascending, "versions ascending");
      for (const version of served) {
        const ready = await context.rest(`/v2/models/${model}/versions/${version}/ready`);
        assert.equal(ready.status, 200, `version ${version} ready: status`);
        assert.equal(ready.body, "", `version ${version} ready: body`);
        const one = parseJson(
          (await context.rest(`/v2/models/${model}/versions/${version}`)).body,
          `version ${version} metadata`,
        );
        assert.deepEqual(one.versions, [version], `version ${version} metadata: versions`);
      }
      const index = await context.rest("/v2/repository/index", { json: {} });
      assert.equal(index.status, 200, "index status");
      const rows = JSON.parse(index.body) as Record<string, unknown>[];
      const readyRows = rows
        .filter((row) => row.name === model && row.state === "READY")
        .map((row) => String(row.version))
        .sort((a, b) => Number(a) - Number(b));
      assert.deepEqual(readyRows, served, "index: the READY versions of the model");
    },
  }),
  defineCase({
    id: "kserve/rest-unserved-version",
    title:
      "a version Triton does not serve: metadata and infer 404 'version <v> is not found', ready 400 'Model version not ready', no index row",
    source:
      "triton core model_lifecycle.cc GetModel (NOT_FOUND \"'<m>' version <v> is not found\" for a version never loaded), model_repository_manager.cc GetModel ('Request for unknown model: ' prefix); server.cc ModelIsReady + http_server.cc HandleModelReady (false is 400)",
    runtimes: ["triton"],
    transport: "rest",
    async run(context) {
      const model = await modelOf(context);
      // A version number no repository uses: it has no folder, so no policy loads it.
      const version = "987654321";
      const text = `Request for unknown model: '${model}' version ${version} is not found`;
      const meta = await context.rest(`/v2/models/${model}/versions/${version}`);
      assert.equal(meta.status, 404, "metadata status");
      assert.deepEqual(parseJson(meta.body, "metadata"), { error: text }, "metadata body");
      const infer = await context.rest(`/v2/models/${model}/versions/${version}/infer`, {
        json: { inputs: [] },
      });
      assert.equal(infer.status, 404, "infer status");
      assert.deepEqual(parseJson(infer.body, "infer"), { error: text }, "infer body");
      const ready = await context.rest(`/v2/models/${model}/versions/${version}/ready`);
      assert.equal(ready.status, 400, "ready status");
      assert.deepEqual(
        parseJson(ready.body, "ready"),
        { error: "Model version not ready" },
        "ready body",
      );
      const index = await context.rest("/v2/repository/index", { json: {} });
      const rows = JSON.parse(index.body) as Record<string, unknown>[];
      assert.ok(
        !rows.some((row) => row.name === model && row.version === version),
        "no index row for the version",
      );
    },
  }),
  defineCase({
    id: "kserve/mlserver-indexed-versions",
    title:
      "MLServer answers the metadata of every version its index lists for the model (and of the model with no version), and 404 'Model <m> with version <v> not found' for a version it does not hold",
    source:
      "MLServer handlers/model_repository.py index (one item per settings file, with its version); registry.py SingleModelRegistry (one model per version, the default for no version: _find_model); errors.py ModelNotFound ('Model <m> with version <v> not found', 404)",
    runtimes: ["mlserver"],
    transport: "rest",
    async run(context) {
      const model = await modelOf(context);
      const index = await context.rest("/v2/repository/index", { json: {} });
      assert.equal(index.status, 200, "index status");
      const rows = (JSON.parse(index.body) as Record<string, unknown>[]).filter(
        (row) => row.name === model && row.state === "READY",
      );
      assert.ok(rows.length > 0, `the index lists ${model} READY`);
      const paths = rows.map((row) =>
        typeof row.version === "string" && row.version !== ""
          ? `/v2/models/${model}/versions/${encodeURIComponent(row.version)}`
          : `/v2/models/${model}`,
      );
      for (const path of new Set([`/v2/models/${model}`, ...paths])) {
        const meta = await context.rest(path);
        assert.equal(meta.status, 200, `${path}: status (${meta.body.slice(0, 200)})`);
        assert.equal(parseJson(meta.body, path).name, model, `${path}: name`);
      }
      const version = "987654321";
      const missing = await context.rest(`/v2/models/${model}/versions/${version}`);
      assert.equal(missing.status, 404, "unheld version: status");
      assert.deepEqual(
        parseJson(missing.body, "unheld version"),
        { error: `Model ${model} with version ${version} not found` },
        "unheld version: body",
      );
    },
  }),
  defineCase({
    id: "kserve/rest-infer-round-trip",
    title:
      "a JSON infer of zero tensors shaped from the metadata answers every output as JSON data, id echoed",
    source:
      "kserve-v2.md §1.4 (inference request and response), §3.1-§3.3; Triton refuses FP16/BF16 as JSON (§3.1); §3.4 (ModelMesh: model_name is its internal id)",
    runtimes: kserveRuntimes,
    transport: "rest",
    deployments: eitherDeployment,
    async run(context) {
      const model = await modelOf(context);
      const { inputs, outputs } = await zeroInputs(context, model);
      if (inputs.some((t) => t.datatype === "FP16" || t.datatype === "BF16")) {
        context.skip("the model has FP16/BF16 inputs, which Triton takes only as binary data");
      }
      const answer = await context.rest(`/v2/models/${model}/infer`, {
        json: {
          id: "servingkit-contract",
          inputs: inputs.map((t) => ({
            name: t.name,
            datatype: t.datatype,
            shape: t.shape,
            data: new Array(t.count).fill(t.datatype === "BOOL" ? false : 0),
          })),
        },
      });
      assert.equal(answer.status, 200, `status (${answer.body.slice(0, 200)})`);
      const body = parseJson(answer.body, "infer answer");
      assertModelName(context, body.model_name, model, "model_name");
      assert.equal(body.id, "servingkit-contract", "id echoed");
      const answered = body.outputs as RestOutput[];
      assert.deepEqual(
        answered.map((o) => o.name).sort(),
        outputs.map((o) => o.name).sort(),
        "every output answered",
      );
      for (const output of answered) {
        assert.ok(Array.isArray(output.data), `${output.name}: JSON data`);
        const count = output.shape.reduce((n, d) => n * d, 1);
        assert.equal(
          output.data.flat(Number.POSITIVE_INFINITY).length,
          count,
          `${output.name}: data fills shape`,
        );
      }
    },
  }),
  defineCase({
    id: "kserve/rest-infer-unknown-input-name",
    title:
      "an input renamed (same count): Triton names the stranger, OVMS the model's input it lacks (400)",
    source:
      "kserve-v2.md §3.1 (`unexpected inference input '<x>' for model '<m>'`), §3.3 (`Missing input with specific name - Required input: <x>`; model_server src/kfs_frontend getRequestInput looks each model input up in the request, docs/kserve-fidelity.md)",
    runtimes: ["triton", "ovms"],
    transport: "rest",
    async run(context) {
      const model = await modelOf(context);
      const { inputs } = await zeroInputs(context, model);
      const first = inputs[0];
      if (first === undefined) {
        context.skip("the model has no inputs");
        return;
      }
      if (first.datatype === "FP16" || first.datatype === "BF16") {
        context.skip("the model has FP16/BF16 inputs, which Triton takes only as binary data");
      }
      const stranger = "servingkit-contract-no-such-input";
      const answer = await context.rest(`/v2/models/${model}/infer`, {
        json: {
          inputs: inputs.map((t, index) => ({
            name: index === 0 ? stranger : t.name,
            datatype: t.datatype,
            shape: t.shape,
            data: new Array(t.count).fill(t.datatype === "BOOL" ? false : 0),
          })),
        },
      });
      assert.equal(answer.status, 400, `status (${answer.body.slice(0, 200)})`);
      const error = String(parseJson(answer.body, "refusal").error);
      if (runtimeOf(context) === "triton") {
        assert.ok(
          error.endsWith(`unexpected inference input '${stranger}' for model '${model}'`),
          `Triton's text: ${error}`,
        );
        return;
      }
      assert.equal(error, `Missing input with specific name - Required input: ${first.name}`);
    },
  }),
  defineCase({
    id: "kserve/rest-infer-negative-dimension",
    title:
      "a negative dimension in a JSON input's shape: Triton's TritonJson refusal, 500 `Unable to parse 'shape'`",
    source:
      "kserve-v2.md §3.1 (negative dim → `Unable to parse 'shape': …`, 500); server qa L0_http http_test.py test_negative_dimension (`attempt to access JSON non-unsigned-integer as unsigned-integer`), http_server.cc reads each dimension with IndexAsUInt",
    runtimes: ["triton"],
    transport: "rest",
    async run(context) {
      const model = await modelOf(context);
      const { inputs } = await zeroInputs(context, model);
      if (inputs.length === 0) {
        context.skip("the model has no inputs");
        return;
      }
      const answer = await context.rest(`/v2/models/${model}/infer`, {
        json: {
          inputs: inputs.map((t, index) => ({
            name: t.name,
            datatype: t.datatype,
            shape: index === 0 ? [-1, ...t.shape.slice(1)] : t.shape,
            data: new Array(t.count).fill(t.datatype === "BOOL" ? false : 0),
          })),
        },
      });
      assert.equal(answer.status, 500, `status (${answer.body.slice(0, 200)})`);
      assert.equal(
        String(parseJson(answer.body, "refusal").error),
        "Unable to parse 'shape': attempt to access JSON non-unsigned-integer as unsigned-integer",
      );
    },
  }),
  defineCase({
    id: "kserve/rest-infer-repeated-id",
    title:
      "a JSON infer body naming `id` twice: Triton and OVMS (rapidjson) read the first, MLServer (Python's json) the last, and echo it",
    source:
      "docs/kserve-fidelity.md (repeated member names): Triton common include/triton/common/triton_json.h (Find: the first member of a name), OVMS src/rest_parser.cpp KFSRestParser::parse (FindMember), MLServer Starlette request.json() (json.loads keeps the last); mlserver handlers/dataplane.py infer (prediction.id = payload.id)",
    runtimes: kserveRuntimes,
    transport: "rest",
    async run(context) {
      const model = await modelOf(context);
      const { inputs } = await zeroInputs(context, model);
      if (inputs.some((t) => t.datatype === "FP16" || t.datatype === "BF16")) {
        context.skip("the model has FP16/BF16 inputs, which Triton takes only as binary data");
      }
      const tensors = inputs.map((t) => ({
        name: t.name,
        datatype: t.datatype,
        shape: t.shape,
        data: new Array(t.count).fill(t.datatype === "BOOL" ? false : 0),
      }));
      // A repeated name cannot be written with JSON.stringify: the body is joined by hand.
      const body = `{"id":"servingkit-contract-first","inputs":${JSON.stringify(tensors)},"id":"servingkit-contract-last"}`;
      const answer = await context.rest(`/v2/models/${model}/infer`, {
        body,
        headers: { "content-type": "application/json" },
      });
      assert.equal(answer.status, 200, `status (${answer.body.slice(0, 200)})`);
      const read = runtimeOf(context) === "mlserver" ? "last" : "first";
      assert.equal(
        parseJson(answer.body, "infer answer").id,
        `servingkit-contract-${read}`,
        `id: the ${read} one`,
      );
    },
  }),
  defineCase({
    id: "kserve/rest-infer-binary",
    title:
      "the binary tensor extension both ways: binary inputs in, binary outputs asked for come back after the JSON header",
    source:
      "kserve-v2.md §2 (Inference-Header-Content-Length, binary_data_size, binary_data, application/octet-stream)",
    runtimes: ["triton", "ovms"],
    transport: "rest",
    async run(context) {
      const model = await modelOf(context);
      const { inputs, outputs } = await zeroInputs(context, model);
      const header = new TextEncoder().encode(
        JSON.stringify({
          inputs: inputs.map((t) => ({
            name: t.name,
            datatype: t.datatype,
            shape: t.shape,
            parameters: { binary_data_size: t.count * (elementSizes[t.datatype] ?? 0) },
          })),
          // OVMS applies binary_data only to outputs the request lists (kserve-v2.md §3.3).
          outputs: outputs.map((o) => ({ name: o.name, parameters: { binary_data: true } })),
        }),
      );
      const size = inputs.reduce((n, t) => n + t.count * (elementSizes[t.datatype] ?? 0), 0);
      const body = new Uint8Array(header.length + size);
      body.set(header);
      const answer = await context.rest(`/v2/models/${model}/infer`, {
        body,
        headers: {
          "content-type": "application/octet-stream",
          "inference-header-content-length": String(header.length),
        },
      });
      assert.equal(answer.status, 200, `status (${answer.body.slice(0, 200)})`);
      const length = Number(answer.headers.get("inference-header-content-length"));
      assert.ok(Number.isInteger(length) && length > 0, "Inference-Header-Content-Length");
      const json = parseJson(
        new TextDecoder().decode(answer.bytes.subarray(0, length)),
        "the answer's JSON header",
      );
      const answered = json.outputs as RestOutput[];
      let binary = 0;
      for (const output of answered) {
        assert.equal(output.data, undefined, `${output.name}: no JSON data`);
        const bytes = output.parameters?.binary_data_size;
        assert.ok(typeof bytes === "number" && bytes > 0, `${output.name}: binary_data_size`);
        binary += bytes;
      }
      assert.equal(answer.bytes.length, length + binary, "the binary outputs follow the header");
    },
  }),
  defineCase({
    id: "kserve/rest-generate",
    title:
      "Triton's generate extension: inputs as top-level keys answer one flat JSON object (outputs by name, model_name, model_version, keys in byte order); generate_stream answers it as one `data:` event; a body missing every input is a 400",
    source:
      "triton docs/protocol/extension_generate.md; server src/http_server.cc HandleGenerate, GenerateRequestClass::FinalizeResponse (std::map key order, SSE `data: ...\\n\\n`); qa/L0_http/generate_endpoint_test.py (missing inputs, error content type)",
    runtimes: ["triton"],
    transport: "rest",
    async run(context) {
      const model = await modelOf(context);
      const { inputs, outputs } = await zeroInputs(context, model);
      if (inputs.some((t) => t.datatype === "FP16" || t.datatype === "BF16")) {
        context.skip("the model has FP16/BF16 inputs, which Triton takes only as binary data");
      }
      // Each input a flat list of zeros: its fixed dimensions divide the count, variable ones are 1.
      const body: Record<string, unknown> = {};
      for (const t of inputs)
        body[t.name] = new Array(t.count).fill(t.datatype === "BOOL" ? false : 0);
      const answer = await context.rest(`/v2/models/${model}/generate`, { json: body });
      if (answer.status === 404 && answer.body.includes('"Not Found"')) {
        context.skip("the server does not route generate (Triton before the generate extension)");
      }
      assert.equal(answer.status, 200, `status (${answer.body.slice(0, 200)})`);
      // Includes: Triton before 24.01 added its content type twice (AddContentTypeHeader appended).
      assert.ok(
        answer.headers.get("content-type")?.includes("application/json"),
        "content type application/json",
      );
      const json = parseJson(answer.body, "generate answer");
      assert.equal(json.model_name, model, "model_name");
      assert.equal(typeof json.model_version, "string", "model_version is a string");
      for (const output of outputs) assert.ok(output.name in json, `${output.name} answered`);
      const keys = Object.keys(json);
      if (!keys.some((k) => /^\d+$/.test(k))) {
        const sorted = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
        assert.deepEqual(keys, sorted, "keys in byte order (std::map)");
      }
      const streamed = await context.rest(`/v2/models/${model}/generate_stream`, {
        json: body,
        headers: { accept: "text/event-stream" },
      });
      assert.equal(streamed.status, 200, `stream status (${streamed.body.slice(0, 200)})`);
      assert.ok(
        streamed.headers.get("content-type")?.includes("text/event-stream; charset=utf-8"),
        "stream content type text/event-stream; charset=utf-8",
      );
      assert.ok(
        streamed.body.startsWith("data: ") && streamed.body.endsWith("\n\n"),
        `SSE framing (${streamed.body.slice(0, 80)})`,
      );
      for (const event of streamed.body.split("\n\n").filter((e) => e !== "")) {
        assert.ok(event.startsWith("data: "), "each event is a data line");
        const data = parseJson(event.slice("data: ".length), "generate_stream event");
        assert.equal(data.model_name, model, "event model_name");
      }
      const refused = await context.rest(`/v2/models/${model}/generate_stream`, { json: {} });
      assert.equal(refused.status, 400, `no inputs (${refused.body.slice(0, 200)})`);
      assert.ok(
        refused.headers.get("content-type")?.includes("application/json"),
        "a refusal before inference is JSON, not an event",
      );
      const error = parseJson(refused.body, "refusal").error;
      assert.ok(String(error).includes("but got 0"), `missing inputs text (${String(error)})`);
    },
  }),
  defineCase({
    id: "kserve/rest-generate-decoupled",
    title:
      "A decoupled LLM model as Triton's vLLM backend serves it: config says decoupled, HTTP infer is refused with Triton's text, generate answers one flat object with text_output (prompt in front), generate_stream answers `data:` events of text_output with stream true",
    source:
      "triton-inference-server/vllm_backend samples/model_repository/vllm_model/config.pbtxt, src/model.py, src/utils/request.py (prepend_input, per-response deltas); server src/http_server.cc HandleInfer (decoupled refusal), GenerateRequestClass (one event per response)",
    runtimes: ["triton"],
    transport: "rest",
    async run(context) {
      const model = await llmModelOf(context);
      const config = parseJson((await context.rest(`/v2/models/${model}/config`)).body, "config");
      const policy = config.model_transaction_policy as { decoupled?: boolean } | undefined;
      if (policy?.decoupled !== true) context.skip(`'${model}' is not a decoupled model`);
      const meta = parseJson((await context.rest(`/v2/models/${model}`)).body, "model metadata");
      const names = (meta.inputs as { name: string; datatype: string }[]).map(
        (t) => `${t.name}:${t.datatype}`,
      );
      if (!names.includes("text_input:BYTES") || !names.includes("stream:BOOL")) {
        context.skip(`'${model}' does not have the vLLM backend's text_input and stream inputs`);
      }
      const refused = await context.rest(`/v2/models/${model}/infer`, {
        json: { inputs: [{ name: "text_input", datatype: "BYTES", shape: [1], data: ["Hi"] }] },
      });
      // UNSUPPORTED: 501 since Triton 24.01, 400 before (every error was 400).
      assert.ok([400, 501].includes(refused.status), `infer status (${refused.status})`);
      assert.equal(
        parseJson(refused.body, "infer refusal").error,
        "HTTP end point doesn't support models with decoupled transaction policy",
        "infer refusal text",
      );
      const prompt = "The capital of France is";
      const parameters = { max_tokens: 4, temperature: 0, ignore_eos: true };
      const answer = await context.rest(`/v2/models/${model}/generate`, {
        json: { text_input: prompt, stream: false, parameters },
      });
      assert.equal(answer.status, 200, `generate status (${answer.body.slice(0, 200)})`);
      const json = parseJson(answer.body, "generate answer");
      assert.equal(json.model_name, model, "model_name");
      assert.equal(typeof json.text_output, "string", "text_output is a string");
      assert.ok(
        String(json.text_output).startsWith(prompt),
        "without exclude_input_in_output the prompt comes first (not streaming)",
      );
      const streamed = await context.rest(`/v2/models/${model}/generate_stream`, {
        json: { text_input: prompt, stream: true, parameters },
        headers: { accept: "text/event-stream" },
      });
      assert.equal(streamed.status, 200, `stream status (${streamed.body.slice(0, 200)})`);
      assert.ok(
        streamed.headers.get("content-type")?.includes("text/event-stream"),
        "stream content type",
      );
      const events = streamed.body.split("\n\n").filter((e) => e !== "");
      assert.ok(events.length >= 1, "at least one event");
      for (const event of events) {
        assert.ok(event.startsWith("data: "), `each event is a data line (${event.slice(0, 80)})`);
        const data = parseJson(event.slice("data: ".length), "generate_stream event");
        assert.equal(data.model_name, model, "event model_name");
        assert.equal(typeof data.text_output, "string", "event text_output");
      }
      // Streaming sends new text only: the prompt is not repeated in front (request.py).
      const joined = events
        .map((e) => String(parseJson(e.slice("data: ".length), "event").text_output))
        .join("");
      assert.ok(!joined.startsWith(prompt), "streamed text has no prompt in front");
    },
  }),
  defineCase({
    id: "kserve/rest-stats-decoupled",
    title:
      "statistics of a decoupled LLM model: one generate_stream request adds one inference and one execution, and one success in response_stats at each response index it was sent",
    source:
      "triton docs/protocol/extension_statistics.md (response_stats keyed by response index); core src/infer_stats.cc UpdateResponseSuccess; vllm_backend src/model.py (responses sent through the response sender)",
    runtimes: ["triton"],
    transport: "rest",
    async run(context) {
      const model = await llmModelOf(context);
      type Durations = Record<string, { count: number }>;
      type Stat = {
        inference_count: number;
        execution_count: number;
        response_stats?: Record<string, Durations>;
      };
      const stats = async (): Promise<Stat> => {
        const res = await context.rest(`/v2/models/${model}/stats`);
        assert.equal(res.status, 200, `stats status (${res.body.slice(0, 200)})`);
        const list = parseJson(res.body, "stats").model_stats as Stat[];
        assert.ok(Array.isArray(list) && list.length > 0, "model_stats lists the model");
        return list[list.length - 1] as Stat;
      };
      const before = await stats();
      if (before.response_stats === undefined) {
        context.skip(
          "the server reports no response_stats (a Triton older than core PR #325, Feb 2024)",
        );
      }
      const streamed = await context.rest(`/v2/models/${model}/generate_stream`, {
        json: {
          text_input: "The capital of France is",
          stream: true,
          parameters: { max_tokens: 3, temperature: 0, ignore_eos: true },
        },
        headers: { accept: "text/event-stream" },
      });
      assert.equal(streamed.status, 200, `stream status (${streamed.body.slice(0, 200)})`);
      const events = streamed.body.split("\n\n").filter((e) => e !== "").length;
      assert.ok(events >= 1, "at least one event");
      const after = await stats();
      assert.equal(after.inference_count - before.inference_count, 1, "inference_count +1");
      assert.equal(after.execution_count - before.execution_count, 1, "execution_count +1");
      const success = (s: Stat, key: string) => s.response_stats?.[key]?.success?.count ?? 0;
      for (let index = 0; index < events; index += 1) {
        const key = String(index);
        assert.equal(success(after, key) - success(before, key), 1, `response ${key}: one success`);
      }
      assert.equal(
        success(after, String(events)) - success(before, String(events)),
        0,
        "no success past the responses sent",
      );
    },
  }),
  defineCase({
    id: "kserve/rest-system-shared-memory",
    title:
      "system shared memory: register /dev/shm regions, infer 'simple' reading inputs from and writing outputs to them, status, unregister",
    source:
      "kserve-v2.md §3.1 (system_shared_memory); triton docs/protocol/extension_shared_memory.md; server src/http_server.cc HandleSystemSharedMemory, src/shared_memory_manager.cc",
    runtimes: ["triton"],
    transport: "rest",
    async run(context) {
      const why = shmUnshared(context);
      if (why !== undefined) context.skip(why);
      const model = await modelOf(context);
      if (model !== "simple") {
        context.skip(
          "the case feeds Triton's 'simple' (2 × INT32 [1,16] in, sum and difference out)",
        );
      }
      const tag = `${process.pid}-${randomUUID().slice(0, 8)}`;
      const inKey = `/servingkit-contract-in-${tag}`;
      const outKey = `/servingkit-contract-out-${tag}`;
      const inRegion = `contract-in-${tag}`;
      const outRegion = `contract-out-${tag}`;
      const inputs = Array.from({ length: 16 }, (_, i) => i);
      writeFileSync(
        `/dev/shm${inKey}`,
        new Uint8Array([...int32Bytes(inputs), ...int32Bytes(inputs.map(() => 1))]),
      );
      writeFileSync(`/dev/shm${outKey}`, new Uint8Array(128));
      const shm = (region: string, offset: number) => ({
        shared_memory_region: region,
        shared_memory_offset: offset,
        shared_memory_byte_size: 64,
      });
      try {
        for (const [region, key] of [
          [inRegion, inKey],
          [outRegion, outKey],
        ]) {
          const registered = await context.rest(
            `/v2/systemsharedmemory/region/${region}/register`,
            {
              json: { key, offset: 0, byte_size: 128 },
            },
          );
          // shared_memory_manager.cc: a key the server cannot shm_open is INTERNAL "Unable to open
          // shared memory region" (a port-forwarded cluster, or a server in another container).
          if (
            registered.status === 500 &&
            registered.body.includes("Unable to open shared memory")
          ) {
            context.skip("the server cannot open this machine's /dev/shm keys");
          }
          assert.equal(registered.status, 200, `register ${region} (${registered.body})`);
        }
        const status = await context.rest(`/v2/systemsharedmemory/region/${inRegion}/status`);
        assert.equal(status.status, 200, "status");
        assert.deepEqual(JSON.parse(status.body), [
          { name: inRegion, key: inKey, offset: 0, byte_size: 128 },
        ]);
        const tensor = (name: string, offset: number) => ({
          name,
          datatype: "INT32",
          shape: [1, 16],
          parameters: shm(inRegion, offset),
        });
        const answer = await context.rest(`/v2/models/${model}/infer`, {
          json: {
            inputs: [tensor("INPUT0", 0), tensor("INPUT1", 64)],
            outputs: [
              { name: "OUTPUT0", parameters: shm(outRegion, 0) },
              { name: "OUTPUT1", parameters: shm(outRegion, 64) },
            ],
          },
        });
        assert.equal(answer.status, 200, `infer (${answer.body.slice(0, 200)})`);
        for (const output of parseJson(answer.body, "infer answer").outputs as RestOutput[]) {
          assert.equal(output.data, undefined, `${output.name}: no data, it is in the region`);
          assert.deepEqual(output.shape, [1, 16], `${output.name}: shape`);
        }
        const written = readFileSync(`/dev/shm${outKey}`);
        const values = new Int32Array(
          written.buffer.slice(written.byteOffset, written.byteOffset + 128),
        );
        assert.deepEqual(
          Array.from(values.subarray(0, 16)),
          inputs.map((v) => v + 1),
          "OUTPUT0 = sum",
        );
        assert.deepEqual(
          Array.from(values.subarray(16)),
          inputs.map((v) => v - 1),
          "OUTPUT1 = difference",
        );
        const unregistered = await context.rest(
          `/v2/systemsharedmemory/region/${inRegion}/unregister`,
          {
            method: "POST",
          },
        );
        assert.equal(unregistered.status, 200, "unregister");
        const gone = await context.rest(`/v2/systemsharedmemory/region/${inRegion}/status`);
        assert.equal(gone.status, 404, "status of an unregistered region");
        assert.deepEqual(parseJson(gone.body, "status error"), {
          error: `Unable to find system shared memory region: '${inRegion}'`,
        });
      } finally {
        for (const region of [inRegion, outRegion]) {
          await context.rest(`/v2/systemsharedmemory/region/${region}/unregister`, {
            method: "POST",
          });
        }
        rmSync(`/dev/shm${inKey}`, { force: true });
        rmSync(`/dev/shm${outKey}`, { force: true });
      }
    },
  }),
];

/** The gRPC cases. */
const grpcCases: ContractCase[] = [
  defineCase({
    id: "kserve/grpc-health-triton",
    title:
      "Triton's grpc.health.v1: Check SERVING, List UNIMPLEMENTED, Watch answers nothing before the client's deadline",
    source:
      "triton common protobuf/health.proto (Check and Watch, no List); server src/grpc/grpc_server.cc (RegisterService(&health_service_), RegisterHealthCheck requests Check calls only); grpc src/core/server/server.cc RealRequestMatcher (an unrequested call stays pending)",
    runtimes: ["triton"],
    transport: "grpc",
    async run(context) {
      const health = createClient(Health, context.grpc());
      const check = await health.check({ service: "" }, { signal: context.signal });
      assert.equal(check.status, HealthCheckResponse_ServingStatus.SERVING, "Check");
      const list = await grpcOutcome(health.list({}, { signal: context.signal }));
      if (list.ok) assert.fail("expected UNIMPLEMENTED for List, but it was answered");
      assert.equal(Code[list.error.code], Code[Code.Unimplemented], list.error.message);
      // Watch: no message, no status; the client's deadline ends it.
      const received: unknown[] = [];
      const watched = grpcOutcome(
        (async () => {
          for await (const message of health.watch(
            { service: "" },
            { signal: context.signal, timeoutMs: 500 },
          )) {
            received.push(message);
          }
        })(),
      );
      const outcome = await watched;
      assert.deepEqual(received, [], "Watch sent a message");
      if (outcome.ok) assert.fail("expected the Watch to end at its deadline, but it ended OK");
      assert.equal(Code[outcome.error.code], Code[Code.DeadlineExceeded], outcome.error.message);
    },
  }),
  defineCase({
    id: "kserve/grpc-server-metadata",
    title: "ServerMetadata names the runtime; ServerLive and ServerReady answer true",
    source: "kserve-v2.md §4.1, §4.2; seeds 003 §2.9.8 (ServerMetadata, ServerLive, ServerReady)",
    runtimes: kserveRuntimes,
    transport: "grpc",
    async run(context) {
      const client = createClient(GRPCInferenceService, context.grpc());
      const options = { signal: context.signal };
      const meta = await client.serverMetadata({}, options);
      assert.equal(meta.name, serverNames[runtimeOf(context)], "name");
      assert.equal((await client.serverLive({}, options)).live, true, "live");
      assert.equal((await client.serverReady({}, options)).ready, true, "ready");
    },
  }),
  defineCase({
    id: "kserve/grpc-unknown-model",
    title:
      "ModelMetadata of an unknown model is NOT_FOUND; ModelReady is NOT_FOUND (MLServer, OVMS) or ready=false (Triton)",
    source:
      "kserve-v2.md §4.4; triton server src/grpc/grpc_server.cc ModelReady (TRITONSERVER_ServerModelIsReady answers false, no error); ModelMesh: kserve/modelmesh VModelManager (an unknown vmodel id is NOT_FOUND)",
    runtimes: kserveRuntimes,
    transport: "grpc",
    deployments: eitherDeployment,
    async run(context) {
      const client = createClient(GRPCInferenceService, context.grpc());
      if (behindModelMesh(context)) {
        // ModelMesh routes ModelMetadata and ModelInfer by the name they carry (kserve-v2.md §3.4).
        const calls: (() => Promise<unknown>)[] = [
          () => client.modelMetadata({ name: missingModel }, { signal: context.signal }),
          () => client.modelInfer({ modelName: missingModel }, { signal: context.signal }),
        ];
        for (const call of calls) {
          const outcome = await grpcOutcome(call());
          if (outcome.ok) assert.fail("expected NOT_FOUND, but the call was answered");
          assert.equal(Code[outcome.error.code], Code[Code.NotFound], outcome.error.message);
        }
        return;
      }
      const text = unknownModelText[runtimeOf(context)]?.(missingModel) ?? "";
      // One call at a time, so a failed assertion leaves no call running behind it.
      const calls: (() => Promise<unknown>)[] = [
        () => client.modelMetadata({ name: missingModel }, { signal: context.signal }),
      ];
      if (runtimeOf(context) === "triton") {
        const ready = await client.modelReady({ name: missingModel }, { signal: context.signal });
        assert.equal(ready.ready, false, "Triton: ready=false");
      } else {
        calls.push(() => client.modelReady({ name: missingModel }, { signal: context.signal }));
      }
      for (const call of calls) {
        const outcome = await grpcOutcome(call());
        if (outcome.ok) assert.fail("expected NOT_FOUND, but the call was answered");
        assert.equal(Code[outcome.error.code], Code[Code.NotFound], outcome.error.message);
        assert.equal(decodeURIComponent(outcome.error.rawMessage), text, "message");
      }
    },
  }),
  defineCase({
    id: "kserve/grpc-unserved-version",
    title:
      "a version Triton does not serve: ModelMetadata NOT_FOUND 'version <v> is not found', ModelReady ready=false",
    source:
      "triton core model_lifecycle.cc GetModel (NOT_FOUND for a version never loaded) behind model_repository_manager.cc GetModel ('Request for unknown model: ' prefix); server.cc ModelIsReady (false, no error); server src/grpc/grpc_server.cc ModelReady, ModelMetadata",
    runtimes: ["triton"],
    transport: "grpc",
    async run(context) {
      const model = await grpcModelOf(context);
      const client = createClient(GRPCInferenceService, context.grpc());
      // A version number no repository uses: it has no folder, so no policy loads it.
      const version = "987654321";
      const ready = await client.modelReady({ name: model, version }, { signal: context.signal });
      assert.equal(ready.ready, false, "ModelReady: ready=false");
      const outcome = await grpcOutcome(
        client.modelMetadata({ name: model, version }, { signal: context.signal }),
      );
      if (outcome.ok) assert.fail("ModelMetadata: expected NOT_FOUND, but the call was answered");
      assert.equal(Code[outcome.error.code], Code[Code.NotFound], outcome.error.message);
      assert.equal(
        decodeURIComponent(outcome.error.rawMessage),
        `Request for unknown model: '${model}' version ${version} is not found`,
        "ModelMetadata: message",
      );
    },
  }),
  defineCase({
    id: "kserve/grpc-infer-round-trip",
    title: "ModelInfer with zero tensors shaped from the metadata answers every output",
    source:
      "kserve-v2.md §4.2, §4.3 (raw_output_contents: Triton and OVMS always, MLServer when raw in); §3.4 (ModelMesh passes the runtime's answer on)",
    runtimes: kserveRuntimes,
    transport: "grpc",
    deployments: eitherDeployment,
    async run(context) {
      const model = await grpcModelOf(context);
      const client = createClient(GRPCInferenceService, context.grpc());
      const meta = await client.modelMetadata({ name: model }, { signal: context.signal });
      const sizes = elementSizes;
      const inputs = meta.inputs.map((t) => ({
        name: t.name,
        datatype: t.datatype,
        shape: t.shape.map((d) => (d < 0n ? 1n : d)),
      }));
      if (inputs.some((t) => sizes[t.datatype] === undefined)) {
        context.skip("the model has BYTES inputs; zero tensors need fixed-size datatypes");
      }
      const raw = inputs.map(
        (t) =>
          new Uint8Array(t.shape.reduce((n, d) => n * Number(d), 1) * (sizes[t.datatype] ?? 0)),
      );
      const response = await client.modelInfer(
        { modelName: model, id: "servingkit-contract", inputs, rawInputContents: raw },
        { signal: context.signal },
      );
      assert.equal(response.modelName.length > 0, true, "model_name");
      assert.equal(response.id, "servingkit-contract", "id echoed");
      assert.deepEqual(
        response.outputs.map((o) => o.name).sort(),
        meta.outputs.map((o) => o.name).sort(),
        "every output answered",
      );
      // Raw in: every runtime answers raw (MLServer because the request was raw).
      assert.equal(
        response.rawOutputContents.length,
        response.outputs.length,
        "raw_output_contents per output",
      );
    },
  }),
  defineCase({
    id: "kserve/grpc-infer-unknown-input-name",
    title:
      "ModelInfer with an input renamed (same count) is INVALID_ARGUMENT: Triton names the stranger, OVMS the model's input it lacks",
    source:
      "kserve-v2.md §4.4 (Triton INVALID_ARG → INVALID_ARGUMENT with the §3.1 text; OVMS INVALID_ARGUMENT for request validation with the §3.3 texts), §3.1 (`unexpected inference input '<x>' for model '<m>'`), §3.3 and docs/kserve-fidelity.md (OVMS names the model input it looks up and misses, model_server src/kfs_frontend)",
    runtimes: ["triton", "ovms"],
    transport: "grpc",
    async run(context) {
      const model = await grpcModelOf(context);
      const client = createClient(GRPCInferenceService, context.grpc());
      const meta = await client.modelMetadata({ name: model }, { signal: context.signal });
      const first = meta.inputs[0];
      if (first === undefined) {
        context.skip("the model has no inputs");
        return;
      }
      const stranger = "servingkit-contract-no-such-input";
      const inputs = meta.inputs.map((t, index) => ({
        name: index === 0 ? stranger : t.name,
        datatype: t.datatype,
        shape: t.shape.map((d) => (d < 0n ? 1n : d)),
      }));
      if (inputs.some((t) => elementSizes[t.datatype] === undefined)) {
        context.skip("the model has BYTES inputs; zero tensors need fixed-size datatypes");
      }
      const raw = inputs.map(
        (t) =>
          new Uint8Array(
            t.shape.reduce((n, d) => n * Number(d), 1) * (elementSizes[t.datatype] ?? 0),
          ),
      );
      const outcome = await grpcOutcome(
        client.modelInfer(
          { modelName: model, inputs, rawInputContents: raw },
          { signal: context.signal },
        ),
      );
      if (outcome.ok) assert.fail("expected INVALID_ARGUMENT, but the call was answered");
      assert.equal(Code[outcome.error.code], Code[Code.InvalidArgument], outcome.error.message);
      const text = decodeURIComponent(outcome.error.rawMessage);
      if (runtimeOf(context) === "triton") {
        assert.ok(
          text.endsWith(`unexpected inference input '${stranger}' for model '${model}'`),
          `Triton's text: ${text}`,
        );
        return;
      }
      assert.equal(text, `Missing input with specific name - Required input: ${first.name}`);
    },
  }),
];

/** What only ModelMesh does: the REST proxy's missing routes, the id header of the other RPCs. */
const modelmeshCases: ContractCase[] = [
  defineCase({
    id: "kserve/rest-modelmesh-routes",
    title:
      "behind ModelMesh the REST proxy routes only model metadata and infer: /v2, health and ready are grpc-gateway's 404 {code: 5}",
    source:
      'kserve-v2.md §3.4 (kserve/rest-proxy: no /v2, /v2/health/*, /ready; grpc-gateway 404 JSON {"code":5,"message":"Not Found"})',
    runtimes: kserveRuntimes,
    transport: "rest",
    deployments: ["modelmesh"],
    async run(context) {
      const model = await modelOf(context);
      for (const path of [
        "/v2",
        "/v2/health/live",
        "/v2/health/ready",
        `/v2/models/${model}/ready`,
      ]) {
        const answer = await context.rest(path);
        assert.equal(answer.status, 404, `${path}: status`);
        assert.deepEqual(
          parseJson(answer.body, path),
          { code: 5, message: "Not Found" },
          `${path}: body`,
        );
      }
    },
  }),
  defineCase({
    id: "kserve/grpc-modelmesh-id-header",
    title:
      "behind ModelMesh an RPC other than ModelInfer and ModelMetadata needs an mm-vmodel-id (or mm-model-id) header: INVALID_ARGUMENT without, the runtime's answer with",
    source:
      "kserve/modelmesh ModelMeshApi.java (`must include mm-model-id header`; other RPCs are routed to the model the header names); kserve-v2.md §3.4",
    runtimes: kserveRuntimes,
    transport: "grpc",
    deployments: ["modelmesh"],
    async run(context) {
      const model = await grpcModelOf(context);
      const client = createClient(GRPCInferenceService, context.grpc());
      const without = await grpcOutcome(client.serverLive({}, { signal: context.signal }));
      if (without.ok) assert.fail("expected INVALID_ARGUMENT without an id header");
      assert.equal(Code[without.error.code], Code[Code.InvalidArgument], without.error.message);
      const live = await client.serverLive(
        {},
        { signal: context.signal, headers: { "mm-vmodel-id": model } },
      );
      assert.equal(live.live, true, "live, with the header");
    },
  }),
];

/** Every kserve protocol case. */
export const kserveCases: readonly ContractCase[] = [...restCases, ...grpcCases, ...modelmeshCases];
