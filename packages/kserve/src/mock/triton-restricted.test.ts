/**
 * Triton's restricted APIs: server src/restricted_features.h (categories), src/http_server.cc
 * (`RespondIfRestricted`: 403 `This API is restricted, expecting header '<key>'`, checked first in
 * each handler; `Handle` routes paths to handlers), src/grpc/grpc_handler.h (UNAVAILABLE `This
 * protocol is restricted, expecting header '<header>'`), src/grpc/grpc_server.h (the
 * `triton-grpc-protocol-` prefix; qa L0_grpc restricted_protocol_test.py sends
 * `triton-grpc-protocol-infer-key`). Pure, then over the wire with fetch and @grpc/grpc-js.
 */
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { afterEach, describe, expect, it } from "vitest";
import { kserveMockModule } from "../mock.js";
import { closeAll, inferenceClient, startKserve, trackClient } from "./test-mocks.js";
import { grpcCategory, parseRestrictions, restCategory } from "./triton-restricted.js";

describe("restrictions (pure)", () => {
  it("parses <api>[,<api>...]:<key>=<value>; gRPC keys take the triton-grpc-protocol- prefix", () => {
    const http = parseRestrictions(["inference,health:infer-key=infer-value"], "", "f");
    expect(http.get("inference")).toEqual({ header: "infer-key", value: "infer-value" });
    expect(http.get("health")).toEqual({ header: "infer-key", value: "infer-value" });
    expect(http.has("metadata")).toBe(false);
    const rpc = parseRestrictions(["model-repository:admin-key=a=b"], "triton-grpc-protocol-", "f");
    // The value is everything after the first '=' that follows the colon.
    expect(rpc.get("model-repository")).toEqual({
      header: "triton-grpc-protocol-admin-key",
      value: "a=b",
    });
    expect(() => parseRestrictions(["inference"], "", "f")).toThrow(
      "--f inference: expected <api>[,<api>...]:<key>=<value>",
    );
    expect(() => parseRestrictions(["infer:k=v"], "", "f")).toThrow("unknown api 'infer'");
    expect(() => parseRestrictions(["health:a=1", "health:b=2"], "", "f")).toThrow(
      "api 'health' is restricted twice",
    );
  });

  it("categories of REST paths (HTTPAPIServer::Handle) and gRPC methods (grpc_server.cc)", () => {
    expect(restCategory("/v2")).toBe("metadata");
    expect(restCategory("/v2/health/ready")).toBe("health");
    expect(restCategory("/v2/models/simple")).toBe("metadata");
    expect(restCategory("/v2/models/simple/versions/1/ready")).toBe("health");
    expect(restCategory("/v2/models/simple/infer")).toBe("inference");
    expect(restCategory("/v2/models/simple/generate_stream")).toBe("inference");
    expect(restCategory("/v2/models/simple/config")).toBe("model-config");
    expect(restCategory("/v2/models/stats")).toBe("statistics");
    expect(restCategory("/v2/models/simple/stats")).toBe("statistics");
    expect(restCategory("/v2/models/simple/trace/setting")).toBe("trace");
    expect(restCategory("/v2/trace/setting")).toBe("trace");
    expect(restCategory("/v2/logging")).toBe("logging");
    expect(restCategory("/v2/repository/index")).toBe("model-repository");
    expect(restCategory("/v2/systemsharedmemory/status")).toBe("shared-memory");
    expect(restCategory("/metrics")).toBeUndefined();
    expect(grpcCategory("modelReady")).toBe("health");
    expect(grpcCategory("modelStreamInfer")).toBe("inference");
    expect(grpcCategory("repositoryModelLoad")).toBe("model-repository");
  });
});

afterEach(closeAll);

const body = JSON.stringify({
  inputs: [{ name: "INPUT0", shape: [1, 2], datatype: "FP32", data: [1, 2] }],
});
const request = {
  model_name: "identity_fp32",
  inputs: [
    { name: "INPUT0", datatype: "FP32", shape: [1, 2], contents: { fp32_contents: [1, 2] } },
  ],
};

describe("over the wire", () => {
  it("REST: a restricted API without its header is 403 in Triton's words; others answer", async () => {
    const mock = await startKserve("triton", {
      "http-restricted-api": ["inference,health:infer-key=infer-value"],
    });
    const url = (path: string) => `${mock.endpoints.http}${path}`;
    const infer = await fetch(url("/v2/models/identity_fp32/infer"), { method: "POST", body });
    expect([infer.status, await infer.json()]).toEqual([
      403,
      { error: "This API is restricted, expecting header 'infer-key'" },
    ]);
    const wrong = await fetch(url("/v2/models/identity_fp32/infer"), {
      method: "POST",
      body,
      headers: { "infer-key": "nope" },
    });
    expect(wrong.status).toBe(403);
    const allowed = await fetch(url("/v2/models/identity_fp32/infer"), {
      method: "POST",
      body,
      headers: { "infer-key": "infer-value" },
    });
    expect(allowed.status).toBe(200);
    // Health routes are restricted too (HandleServerHealth); model ready is health.
    const health = await fetch(url("/v2/health/ready"));
    expect([health.status, await health.json()]).toEqual([
      403,
      { error: "This API is restricted, expecting header 'infer-key'" },
    ]);
    expect((await fetch(url("/v2/models/identity_fp32/ready"))).status).toBe(403);
    const healthy = await fetch(url("/v2/health/ready"), {
      headers: { "infer-key": "infer-value" },
    });
    expect(healthy.status).toBe(200);
    // Metadata is not restricted here.
    expect((await fetch(url("/v2/models/identity_fp32"))).status).toBe(200);
  });

  it("gRPC: UNAVAILABLE 'This protocol is restricted' without triton-grpc-protocol-<key>; streams too", async () => {
    const mock = await startKserve("triton", {
      "grpc-restricted-protocol": [
        "inference:infer-key=infer-value",
        "model-repository:admin-key=admin-value",
      ],
    });
    const client = inferenceClient(mock);
    const refused = {
      code: grpc.status.UNAVAILABLE,
      details: "This protocol is restricted, expecting header 'triton-grpc-protocol-infer-key'",
    };
    expect(await client.failure("ModelInfer", request)).toEqual(refused);
    // restricted_protocol_test.py: the infer key does not open the repository APIs.
    expect(
      await client.failure(
        "RepositoryModelUnload",
        { model_name: "identity_fp32" },
        { "triton-grpc-protocol-infer-key": "infer-value" },
      ),
    ).toEqual({
      code: grpc.status.UNAVAILABLE,
      details: "This protocol is restricted, expecting header 'triton-grpc-protocol-admin-key'",
    });
    const answer = await client.unary("ModelInfer", request, {
      "triton-grpc-protocol-infer-key": "infer-value",
    });
    expect(answer.model_name).toBe("identity_fp32");
    // Unrestricted categories answer without the header.
    expect(await client.unary("ServerReady", {})).toEqual({ ready: true });
    // ModelStreamInfer is inference: the stream ends UNAVAILABLE before reading a request.
    const stream = (client.raw.ModelStreamInfer as () => grpc.ClientDuplexStream<object, object>)();
    const status = await new Promise<grpc.StatusObject>((resolve) => {
      stream.on("data", () => {});
      stream.on("error", () => {});
      stream.on("status", resolve);
      stream.write(request);
      stream.end();
    });
    expect([status.code, decodeURIComponent(status.details)]).toEqual([
      refused.code,
      refused.details,
    ]);
  });

  it("REST: a wrong method on a restricted path is the 403, not the 405; with the header the 405", async () => {
    // http_server.cc: each handler opens with RETURN_AND_RESPOND_IF_RESTRICTED, then checks the
    // method (HandleServerHealth, HandleModelReady, HandleRepositoryControl: "Method Not Allowed").
    const mock = await startKserve("triton", {
      "http-restricted-api": ["inference,health:infer-key=infer-value"],
    });
    const url = (path: string) => `${mock.endpoints.http}${path}`;
    const refused = { error: "This API is restricted, expecting header 'infer-key'" };
    const getInfer = await fetch(url("/v2/models/identity_fp32/infer"));
    expect([getInfer.status, await getInfer.json()]).toEqual([403, refused]);
    const postReady = await fetch(url("/v2/health/ready"), { method: "POST" });
    expect([postReady.status, await postReady.json()]).toEqual([403, refused]);
    // With the header the method check runs: Triton's 405 (kserve-v2.md §3.1).
    const withKey = await fetch(url("/v2/models/identity_fp32/infer"), {
      headers: { "infer-key": "infer-value" },
    });
    expect([withKey.status, await withKey.json()]).toEqual([405, { error: "Method Not Allowed" }]);
    // An unrestricted category keeps its 405 without any header.
    const putMetadata = await fetch(url("/v2/models/identity_fp32"), { method: "PUT" });
    expect(putMetadata.status).toBe(405);
  });

  it("gRPC: grpc.health.v1 Check is health-restricted (RegisterHealthCheck); List is unimplemented", async () => {
    // grpc_server.cc RegisterHealthCheck: Check runs in CommonCallData with the HEALTH key, so
    // without the header it is UNAVAILABLE in the same words as ServerLive.
    const mock = await startKserve("triton", {
      "grpc-restricted-protocol": ["health:health-key=health-value"],
    });
    const protoRoot = fileURLToPath(new URL("../../../../proto", import.meta.url));
    const loaded = grpc.loadPackageDefinition(
      protoLoader.loadSync("grpc/health/v1/health.proto", {
        includeDirs: [protoRoot],
        enums: String,
        defaults: true,
      }),
    ) as unknown as { grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } } };
    const client = trackClient(
      new loaded.grpc.health.v1.Health(
        mock.endpoints.grpc as string,
        grpc.credentials.createInsecure(),
      ),
    );
    const call = (method: "Check" | "List", service: string, key?: string) =>
      new Promise<{ code: number; details?: string; response?: unknown }>((resolve) => {
        const md = new grpc.Metadata();
        if (key !== undefined) md.set("triton-grpc-protocol-health-key", key);
        const fn = client[method] as (
          request: object,
          metadata: grpc.Metadata,
          callback: (error: grpc.ServiceError | null, response: unknown) => void,
        ) => void;
        fn.call(client, { service }, md, (error, response) =>
          resolve(
            error
              ? { code: error.code, details: decodeURIComponent(error.details) }
              : { code: grpc.status.OK, response },
          ),
        );
      });
    expect(await call("Check", "")).toEqual({
      code: grpc.status.UNAVAILABLE,
      details: "This protocol is restricted, expecting header 'triton-grpc-protocol-health-key'",
    });
    expect((await call("Check", "", "wrong")).code).toBe(grpc.status.UNAVAILABLE);
    expect(await call("Check", "", "health-value")).toEqual({
      code: grpc.status.OK,
      response: { status: "SERVING" },
    });
    expect((await call("Check", "other", "health-value")).code).toBe(grpc.status.NOT_FOUND);
    // Triton's health.proto has no List: UNIMPLEMENTED, header or not (triton-health.test.ts).
    expect((await call("List", "")).code).toBe(grpc.status.UNIMPLEMENTED);
    // The inference service's health methods share the key.
    expect((await inferenceClient(mock).failure("ServerLive", {})).code).toBe(
      grpc.status.UNAVAILABLE,
    );
  });

  it("option values: Triton only, well formed", async () => {
    const plugins = (runtime: "triton" | "ovms", values: Record<string, string[]>) =>
      kserveMockModule.plugins({ runtime, models: [], values });
    await expect(plugins("ovms", { "http-restricted-api": ["health:k=v"] })).rejects.toThrow(
      "only the triton mock",
    );
    await expect(
      plugins("triton", { "grpc-restricted-protocol": ["everything:k=v"] }),
    ).rejects.toThrow("--grpc-restricted-protocol everything:k=v: unknown api 'everything'");
  });
});
