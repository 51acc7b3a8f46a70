/**
 * The version cases of KServe v2 against the Triton mock (they pass: its built-in `simple`, and a
 * repository model serving two of three versions under `latest { num_versions: 2 }`), and against
 * fake Tritons, REST and gRPC, that answer versions wrong (each a fail).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createServer as createHttp2Server } from "node:http2";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { startRuntimeMock } from "@servingkit/mocks";
import { GRPCInferenceService } from "@servingkit/proto/inference";
import { afterAll, describe, expect, it } from "vitest";
import { runContract } from "../run-contract.js";
import type { Target } from "../target.js";
import { kserveCases } from "./kserve.js";

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all(closers.map((close) => close()));
});

const versionCases = kserveCases.filter((c) =>
  [
    "kserve/rest-model-versions",
    "kserve/rest-unserved-version",
    "kserve/grpc-unserved-version",
  ].includes(c.id),
);

/** Each version case's outcome against a Triton serving `model`, by case id. */
async function outcomes(
  rest: string | undefined,
  model: string,
  grpc?: string,
): Promise<Record<string, string>> {
  const target: Target = {
    name: "t:triton",
    group: "t",
    runtime: "triton",
    model,
    ...(rest !== undefined ? { rest } : {}),
    ...(grpc !== undefined ? { grpc } : {}),
  };
  const report = await runContract({ targets: [target], cases: versionCases });
  return Object.fromEntries(
    report.results.map((r) => [
      r.caseId,
      r.status === "fail" ? `fail: ${r.message ?? ""}` : String(r.status),
    ]),
  );
}

/** A fake Triton: `routes` maps `METHOD path` to [status, body]; anything else is 404. */
async function fakeTriton(routes: Record<string, [number, unknown]>): Promise<string> {
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      const [status, body] = routes[`${request.method} ${request.url}`] ?? [
        404,
        { error: "Not Found" },
      ];
      response.writeHead(status, body === "" ? {} : { "content-type": "application/json" });
      response.end(body === "" ? "" : JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/**
 * A fake Triton over gRPC (h2c): `m` version 1 ready; any other version's ModelReady answers
 * `ready`, and its ModelMetadata NOT_FOUND with `message`.
 */
async function fakeGrpcTriton(ready: boolean, message: string): Promise<string> {
  const server = createHttp2Server(
    connectNodeAdapter({
      routes: (router) =>
        router.service(GRPCInferenceService, {
          modelReady: (request) => ({ ready: request.version === "1" || ready }),
          modelMetadata: (request) => {
            if (request.version === "1") return { name: "m", versions: ["1"], platform: "x" };
            throw new ConnectError(message, Code.NotFound);
          },
        }),
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const unserved = "987654321";
const notFound = (v: string) => ({
  error: `Request for unknown model: 'm' version ${v} is not found`,
});

/** A fake Triton serving versions 1 and 2 of `m` as Triton does; `change` overrides routes. */
function honest(change: Record<string, [number, unknown]> = {}): Record<string, [number, unknown]> {
  return {
    "GET /v2/models/m": [200, { name: "m", versions: ["1", "2"], platform: "x" }],
    "GET /v2/models/m/versions/1": [200, { name: "m", versions: ["1"], platform: "x" }],
    "GET /v2/models/m/versions/2": [200, { name: "m", versions: ["2"], platform: "x" }],
    "GET /v2/models/m/versions/1/ready": [200, ""],
    "GET /v2/models/m/versions/2/ready": [200, ""],
    "POST /v2/repository/index": [
      200,
      [
        { name: "m", version: "1", state: "READY" },
        { name: "m", version: "2", state: "READY" },
      ],
    ],
    [`GET /v2/models/m/versions/${unserved}`]: [404, notFound(unserved)],
    [`POST /v2/models/m/versions/${unserved}/infer`]: [404, notFound(unserved)],
    [`GET /v2/models/m/versions/${unserved}/ready`]: [400, { error: "Model version not ready" }],
    ...change,
  };
}

describe("kserve version cases", () => {
  it("pass against the Triton mock: the built-in simple, and a repository model under latest 2", async () => {
    const dir = mkdtempSync(join(tmpdir(), "versions-"));
    mkdirSync(join(dir, "multi"));
    for (const v of ["1", "2", "3"]) mkdirSync(join(dir, "multi", v));
    writeFileSync(
      join(dir, "multi", "config.pbtxt"),
      'platform: "onnxruntime_onnx"\nversion_policy { latest { num_versions: 2 } }\ninput [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 2 ] } ]\noutput [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 2 ] } ]',
    );
    for (const values of [{}, { "model-repository": dir }]) {
      const mock = await startRuntimeMock({
        runtime: "triton",
        host: "127.0.0.1",
        httpPort: 0,
        grpcPort: 0,
        logger: false,
        values,
      });
      closers.push(() => mock.close());
      const model = "model-repository" in values ? "multi" : "simple";
      expect(await outcomes(mock.endpoints.http, model, mock.endpoints.grpc)).toEqual({
        "kserve/rest-model-versions": "pass",
        "kserve/rest-unserved-version": "pass",
        "kserve/grpc-unserved-version": "pass",
      });
    }
  });

  it("pass against a fake Triton answering as Triton does", async () => {
    expect(await outcomes(await fakeTriton(honest()), "m")).toMatchObject({
      "kserve/rest-model-versions": "pass",
      "kserve/rest-unserved-version": "pass",
    });
  });

  it("the gRPC case fails where ModelReady says true or ModelMetadata answers another text", async () => {
    const text = `Request for unknown model: 'm' version ${unserved} is not found`;
    const grpcOf = async (ready: boolean, message: string) =>
      (await outcomes(undefined, "m", await fakeGrpcTriton(ready, message)))[
        "kserve/grpc-unserved-version"
      ];
    expect(await grpcOf(false, text)).toBe("pass");
    expect(await grpcOf(true, text)).toMatch(/^fail: ModelReady: ready=false/);
    expect(await grpcOf(false, "Request for unknown model: 'm' has no available versions")).toMatch(
      /^fail: ModelMetadata: message/,
    );
  });

  it("fail where a listed version is not ready, a version's metadata lists all, the index disagrees, or an unserved version is answered", async () => {
    const cases: [Record<string, [number, unknown]>, string, RegExp][] = [
      [
        { "GET /v2/models/m/versions/2/ready": [400, { error: "Model version not ready" }] },
        "kserve/rest-model-versions",
        /version 2 ready: status/,
      ],
      [
        {
          "GET /v2/models/m/versions/1": [200, { name: "m", versions: ["1", "2"], platform: "x" }],
        },
        "kserve/rest-model-versions",
        /version 1 metadata: versions/,
      ],
      [
        { "POST /v2/repository/index": [200, [{ name: "m", version: "2", state: "READY" }]] },
        "kserve/rest-model-versions",
        /index: the READY versions/,
      ],
      [
        { "GET /v2/models/m": [200, { name: "m", versions: ["2", "1"], platform: "x" }] },
        "kserve/rest-model-versions",
        /versions ascending/,
      ],
      [
        {
          [`GET /v2/models/m/versions/${unserved}`]: [
            200,
            { name: "m", versions: [unserved], platform: "x" },
          ],
        },
        "kserve/rest-unserved-version",
        /metadata status/,
      ],
      [
        {
          [`GET /v2/models/m/versions/${unserved}`]: [
            404,
            { error: "Request for unknown model: 'm' has no available versions" },
          ],
        },
        "kserve/rest-unserved-version",
        /metadata body/,
      ],
      [
        { [`GET /v2/models/m/versions/${unserved}/ready`]: [404, notFound(unserved)] },
        "kserve/rest-unserved-version",
        /ready status/,
      ],
    ];
    for (const [change, id, message] of cases) {
      const found = await outcomes(await fakeTriton(honest(change)), "m");
      expect(found[id]).toMatch(/^fail: /);
      expect(found[id]).toMatch(message);
    }
  });
});

describe("kserve/mlserver-indexed-versions", () => {
  const mlserverCase = kserveCases.filter((c) => c.id === "kserve/mlserver-indexed-versions");
  const outcome = async (rest: string, model: string): Promise<string> => {
    const report = await runContract({
      targets: [{ name: "t:mlserver", group: "t", runtime: "mlserver", model, rest }],
      cases: mlserverCase,
    });
    const [result] = report.results;
    return result?.status === "fail" ? `fail: ${result.message ?? ""}` : String(result?.status);
  };

  it("passes against the MLServer mock: the built-in iris, and same-name versions beside an unversioned default", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mls-versions-"));
    for (const [folder, version] of [
      ["plain", undefined],
      ["v1", "1"],
      ["v2", "2"],
    ] as const) {
      mkdirSync(join(dir, folder));
      writeFileSync(
        join(dir, folder, "model-settings.json"),
        JSON.stringify({
          name: "m",
          ...(version === undefined ? {} : { parameters: { version } }),
          inputs: [{ name: `x${version ?? ""}`, datatype: "FP32", shape: [1] }],
          outputs: [{ name: "y", datatype: "FP32", shape: [1] }],
        }),
      );
    }
    for (const values of [{}, { "model-repository": dir }]) {
      const mock = await startRuntimeMock({
        runtime: "mlserver",
        host: "127.0.0.1",
        httpPort: 0,
        grpcPort: 0,
        logger: false,
        values,
      });
      closers.push(() => mock.close());
      const model = "model-repository" in values ? "m" : "iris";
      expect(await outcome(mock.endpoints.http ?? "", model)).toBe("pass");
    }
  });

  it("fails where an indexed version's metadata is missing or a version it does not hold is answered", async () => {
    const honestMlserver = (change: Record<string, [number, unknown]> = {}) => ({
      "GET /v2/models/m": [200, { name: "m", versions: [], platform: "" }] as [number, unknown],
      "GET /v2/models/m/versions/1": [200, { name: "m", versions: [], platform: "" }] as [
        number,
        unknown,
      ],
      "POST /v2/repository/index": [
        200,
        [
          { name: "m", version: "1", state: "READY", reason: "" },
          { name: "m", state: "READY", reason: "" },
        ],
      ] as [number, unknown],
      [`GET /v2/models/m/versions/${unserved}`]: [
        404,
        { error: `Model m with version ${unserved} not found` },
      ] as [number, unknown],
      ...change,
    });
    expect(await outcome(await fakeTriton(honestMlserver()), "m")).toBe("pass");
    expect(
      await outcome(
        await fakeTriton(
          honestMlserver({ "GET /v2/models/m/versions/1": [404, { error: "Model m not found" }] }),
        ),
        "m",
      ),
    ).toMatch(/^fail: \/v2\/models\/m\/versions\/1: status/);
    expect(
      await outcome(
        await fakeTriton(
          honestMlserver({
            [`GET /v2/models/m/versions/${unserved}`]: [200, { name: "m", versions: [] }],
          }),
        ),
        "m",
      ),
    ).toMatch(/^fail: unheld version: status/);
  });
});
