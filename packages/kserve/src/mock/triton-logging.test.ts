/**
 * Triton's logging extension on the mock (kserve-v2.md §3.1; server src/http_server.cc
 * `HandleLogging`, docs/protocol/extension_logging.md), over REST with fetch and gRPC
 * LogSettings with @grpc/grpc-js: one settings store behind both.
 */
import { afterEach, describe, expect, it } from "vitest";
import { closeAll, inferenceClient, startKserve } from "./test-mocks.js";

afterEach(closeAll);

async function start() {
  const mock = await startKserve("triton");
  const { unary } = inferenceClient(mock);
  const logSettings = (request: object) => unary("LogSettings", request);
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
