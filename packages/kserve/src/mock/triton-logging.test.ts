/**
 * Triton's logging extension on the mock (kserve-v2.md §3.1; server src/http_server.cc
 * `HandleLogging`, docs/protocol/extension_logging.md), over REST with fetch and gRPC
 * LogSettings with @grpc/grpc-js: one settings store behind both.
 */
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { type RunningMock, startMock } from "@servingkit/mock-core";
import { afterEach, describe, expect, it } from "vitest";
import { kserveMockModule } from "../mock.js";

const protoRoot = fileURLToPath(new URL("../../../../proto", import.meta.url));
const definition = protoLoader.loadSync("inference/grpc_service.proto", {
  includeDirs: [protoRoot],
  keepCase: true,
  longs: String,
  enums: String,
  defaults: false,
  oneofs: true,
});
const loaded = grpc.loadPackageDefinition(definition) as unknown as {
  inference: { GRPCInferenceService: grpc.ServiceClientConstructor };
};

const running: RunningMock[] = [];
const clients: grpc.Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const m of running.splice(0)) await m.close();
});

async function start() {
  const plugins = await kserveMockModule.plugins({ runtime: "triton", models: [], values: {} });
  const mock = await startMock({
    runtime: "triton",
    host: "127.0.0.1",
    httpPort: 0,
    grpcPort: 0,
    plugins,
  });
  running.push(mock);
  const c = new loaded.inference.GRPCInferenceService(
    mock.endpoints.grpc as string,
    grpc.credentials.createInsecure(),
  ) as unknown as Record<string, (...args: unknown[]) => unknown> & grpc.Client;
  clients.push(c);
  const logSettings = (request: object) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      c.LogSettings?.(request, (error: grpc.ServiceError | null, r: Record<string, unknown>) =>
        error ? reject(error) : resolve(r),
      );
    });
  const http = async (init?: RequestInit) => {
    const res = await fetch(`${mock.endpoints.http}/v2/logging`, init);
    return [res.status, await res.json()] as const;
  };
  return { http, logSettings };
}

const post = (body: unknown) => ({ method: "POST", body: JSON.stringify(body) });

describe("Triton logging extension", () => {
  it("GET /v2/logging answers the defaults in HandleLogging's key order", async () => {
    const t = await start();
    const [status, body] = await t.http();
    expect(status).toBe(200);
    // http_server.cc writes log_warning / log_error (the protocol doc's example says log_warnings).
    expect(JSON.stringify(body)).toBe(
      '{"log_file":"","log_info":true,"log_warning":true,"log_error":true,"log_verbose_level":0,"log_format":"default"}',
    );
  });

  it("POST updates only the settings named and answers all of them; gRPC LogSettings reads the same store", async () => {
    const t = await start();
    const [status, body] = await t.http(post({ log_verbose_level: 1, log_info: false }));
    expect([status, body]).toMatchObject([200, { log_verbose_level: 1, log_info: false }]);
    const viaGrpc = await t.logSettings({});
    const settings = viaGrpc.settings as Record<string, Record<string, unknown>>;
    expect(settings.log_verbose_level).toMatchObject({ uint32_param: 1 });
    expect(settings.log_info).toMatchObject({ bool_param: false });
    await t.logSettings({ settings: { log_format: { string_param: "ISO8601" } } });
    expect((await t.http())[1]).toMatchObject({ log_format: "ISO8601" });
  });

  it("refusals: log_file 501, an unknown format 503, a wrong JSON type 500 (HandleLogging, TritonJson)", async () => {
    const t = await start();
    expect(await t.http(post({ log_file: "/tmp/x" }))).toEqual([
      501,
      { error: "log file location can not be updated through network protocol" },
    ]);
    expect(await t.http(post({ log_format: "json" }))).toEqual([
      503,
      { error: "invalid argument for --log_format, got: json" },
    ]);
    expect(await t.http(post({ log_info: "yes" }))).toEqual([
      500,
      { error: "attempt to access JSON non-boolean as boolean" },
    ]);
    expect(await t.http(post({ log_verbose_level: -1 }))).toEqual([
      500,
      { error: "attempt to access JSON non-unsigned-integer as unsigned-integer" },
    ]);
  });
});
