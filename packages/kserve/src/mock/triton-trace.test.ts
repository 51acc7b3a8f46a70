/**
 * Triton's trace extension on the mock (kserve-v2.md §3.1; server src/http_server.cc
 * `HandleTrace`, docs/protocol/extension_trace.md) over REST with fetch: global and per-model
 * settings, Triton's key order and refusals.
 */
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { type BuiltMock, buildMock, type RunningMock, startMock } from "@servingkit/mock-core/host";
import { afterEach, describe, expect, it } from "vitest";
import { kserveMockModule } from "../mock.js";

const open: (BuiltMock | RunningMock)[] = [];
const clients: grpc.Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const m of open.splice(0)) await m.close();
});

async function triton() {
  const plugins = await kserveMockModule.plugins({ runtime: "triton", models: [], values: {} });
  const mock = await buildMock({ runtime: "triton", plugins });
  open.push(mock);
  return async (url: string, body?: unknown) => {
    const res = await mock.http.inject({
      method: body === undefined ? "GET" : "POST",
      url,
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
    return [res.statusCode, res.body] as const;
  };
}

describe("Triton trace extension", () => {
  it("GET /v2/trace/setting: tracing off, rate 1000, no count limit, in HandleTrace's key order", async () => {
    const call = await triton();
    expect(await call("/v2/trace/setting")).toEqual([
      200,
      '{"trace_level":["OFF"],"trace_rate":"1000","trace_count":"-1","log_frequency":"0","trace_file":"","trace_mode":"triton"}',
    ]);
  });

  it("a model's first update starts from the global settings; the global ones stay (extension_trace.md)", async () => {
    const call = await triton();
    const [status, body] = await call("/v2/models/simple/trace/setting", {
      trace_level: ["TIMESTAMPS"],
      trace_rate: "10",
    });
    expect(status).toBe(200);
    expect(JSON.parse(body)).toMatchObject({ trace_level: ["TIMESTAMPS"], trace_rate: "10" });
    expect(JSON.parse((await call("/v2/trace/setting"))[1])).toMatchObject({
      trace_level: ["OFF"],
      trace_rate: "1000",
    });
    expect(JSON.parse((await call("/v2/models/simple/trace/setting"))[1]).trace_rate).toBe("10");
  });

  it("refusals: trace_file 501, OFF with others 400, unparsable numbers 400, unknown model 400", async () => {
    const call = await triton();
    expect(await call("/v2/trace/setting", { trace_file: "/tmp/t" })).toEqual([
      501,
      '{"error":"trace file location can not be updated through network protocol"}',
    ]);
    expect(await call("/v2/trace/setting", { trace_level: ["OFF", "TENSORS"] })).toEqual([
      400,
      `{"error":"Expect only one trace level 'OFF' is specified"}`,
    ]);
    expect(await call("/v2/trace/setting", { trace_rate: "often" })).toEqual([
      400,
      `{"error":"Unable to parse 'trace_rate', got: often"}`,
    ]);
    expect(await call("/v2/trace/setting", { trace_count: "-5" })).toEqual([
      400,
      `{"error":"Unable to parse 'trace_count'. Expecting value >= -1, got:-5"}`,
    ]);
    expect(await call("/v2/models/nope/trace/setting")).toEqual([
      400,
      '{"error":"Request for unknown model : nope"}',
    ]);
  });
});

describe("Triton TraceSetting over gRPC (extension_trace.md)", () => {
  it("reads and updates the same store as REST, values as string lists", async () => {
    const protoRoot = fileURLToPath(new URL("../../../../proto", import.meta.url));
    const definition = protoLoader.loadSync("inference/grpc_service.proto", {
      includeDirs: [protoRoot],
      keepCase: true,
      defaults: true,
    });
    const loaded = grpc.loadPackageDefinition(definition) as unknown as {
      inference: { GRPCInferenceService: grpc.ServiceClientConstructor };
    };
    const plugins = await kserveMockModule.plugins({ runtime: "triton", models: [], values: {} });
    const mock = await startMock({
      runtime: "triton",
      host: "127.0.0.1",
      httpPort: 0,
      grpcPort: 0,
      plugins,
    });
    open.push(mock);
    const c = new loaded.inference.GRPCInferenceService(
      mock.endpoints.grpc as string,
      grpc.credentials.createInsecure(),
    ) as unknown as Record<string, (...args: unknown[]) => unknown> & grpc.Client;
    clients.push(c);
    const traceSetting = (request: object) =>
      new Promise<Record<string, { value: string[] }>>((resolve, reject) => {
        c.TraceSetting?.(
          request,
          (
            error: grpc.ServiceError | null,
            r: { settings: Record<string, { value: string[] }> },
          ) => (error ? reject(error) : resolve(r.settings)),
        );
      });
    expect((await traceSetting({})).trace_level?.value).toEqual(["OFF"]);
    const updated = await traceSetting({ settings: { trace_rate: { value: ["5"] } } });
    expect(updated.trace_rate?.value).toEqual(["5"]);
    const rest = await fetch(`${mock.endpoints.http}/v2/trace/setting`);
    expect(((await rest.json()) as { trace_rate: string }).trace_rate).toBe("5");
  });
});
