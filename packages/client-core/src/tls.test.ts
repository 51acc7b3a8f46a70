import { create } from "@bufbuild/protobuf";
import {
  Health,
  HealthCheckResponse_ServingStatus,
  HealthCheckResponseSchema,
} from "@servingkit/proto/health";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code } from "./code.js";
import { createGrpcClient } from "./grpc-client.js";
import { createGrpcTransport, type GrpcClientOptions } from "./grpc-transport.js";
import { createHttpClient } from "./node-http-client.js";
import { ServingkitError } from "./servingkit-error.js";
import { type TestCerts, testCerts } from "./testdata/certs.js";
import { startGrpcServer, type TestGrpcServer } from "./testdata/grpc-server.js";
import { startHttpServer, type TestHttpServer } from "./testdata/http-server.js";
import type { TlsOptions } from "./tls-options.js";

// kserve-v2.md §5: the platform serves every runtime over HTTPS (:443), often with a cluster CA
// that the client does not trust by default; `curl -k` / `grpcurl -insecure` skip verification.

let certs: TestCerts;
let https: TestHttpServer;
let mutualHttps: TestHttpServer;
let grpcTls: TestGrpcServer;
let mutualGrpc: TestGrpcServer;

beforeAll(async () => {
  certs = await testCerts();
  const routes = (app: TestHttpServer["app"]) => {
    app.get("/v2/health/ready", async (request) => ({
      ready: true,
      authorization: request.headers.authorization ?? null,
    }));
  };
  https = await startHttpServer(routes, { cert: certs.cert, key: certs.key });
  mutualHttps = await startHttpServer(routes, {
    cert: certs.cert,
    key: certs.key,
    clientCa: certs.cert,
  });
  const impl = {
    check: async () =>
      create(HealthCheckResponseSchema, { status: HealthCheckResponse_ServingStatus.SERVING }),
  };
  grpcTls = await startGrpcServer(impl, { cert: certs.cert, key: certs.key });
  mutualGrpc = await startGrpcServer(impl, {
    cert: certs.cert,
    key: certs.key,
    clientCa: certs.cert,
  });
});

afterAll(async () => {
  await Promise.all([https.close(), mutualHttps.close(), grpcTls.close(), mutualGrpc.close()]);
});

async function caught(promise: Promise<unknown>): Promise<ServingkitError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ServingkitError);
    return error as ServingkitError;
  }
  throw new Error("expected a rejection");
}

describe("REST over HTTPS", () => {
  async function ready(baseUrl: string, tls?: TlsOptions) {
    const client = createHttpClient({
      baseUrl,
      maxRetries: 0,
      token: "tok",
      ...(tls !== undefined && { tls }),
    });
    try {
      return await client.json<{ ready: boolean; authorization: string | null }>(
        "/v2/health/ready",
      );
    } finally {
      await client.close();
    }
  }

  it("fails without a trusted CA: the self-signed certificate is rejected", async () => {
    const error = await caught(ready(https.baseUrl));
    expect(error.code).toBe(Code.Unavailable);
    expect(error.rawMessage).toMatch(/certificate/i);
    const alsoWithTlsOptions = await caught(ready(https.baseUrl, {}));
    expect(alsoWithTlsOptions.rawMessage).toMatch(/certificate/i);
  });

  it("works with ca as text, ca as bytes, caFile, and insecure", async () => {
    const variants: TlsOptions[] = [
      { ca: certs.cert },
      { ca: new TextEncoder().encode(certs.cert) },
      { caFile: certs.certFile },
      { insecure: true },
    ];
    for (const tls of variants) {
      expect(await ready(https.baseUrl, tls), JSON.stringify(Object.keys(tls))).toEqual({
        ready: true,
        authorization: "Bearer tok",
      });
    }
  });

  it("presents a client certificate for mutual TLS (cert/key inline or as files)", async () => {
    const refused = await caught(ready(mutualHttps.baseUrl, { ca: certs.cert }));
    expect(refused.code).toBe(Code.Unavailable);
    expect(
      await ready(mutualHttps.baseUrl, {
        ca: certs.cert,
        cert: certs.clientCert,
        key: certs.clientKey,
      }),
    ).toMatchObject({ ready: true });
    expect(
      await ready(mutualHttps.baseUrl, {
        caFile: certs.certFile,
        certFile: certs.clientCertFile,
        keyFile: certs.clientKeyFile,
      }),
    ).toMatchObject({ ready: true });
  });

  it("reports unreadable or inconsistent TLS options as INVALID_ARGUMENT, never retried", async () => {
    const cases: [TlsOptions, RegExp][] = [
      [{ caFile: "/nonexistent/ca.pem" }, /cannot read TLS caFile \/nonexistent\/ca\.pem: ENOENT/],
      [{ ca: certs.cert, caFile: certs.certFile }, /both ca and caFile/],
      [{ cert: certs.clientCert }, /without its key/],
      [{ keyFile: certs.clientKeyFile }, /without its key/],
    ];
    for (const [tls, message] of cases) {
      let sleeps = 0;
      const client = createHttpClient({
        baseUrl: https.baseUrl,
        tls,
        sleep: async () => {
          sleeps++;
        },
      });
      const error = await caught(client.json("/v2/health/ready"));
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toMatch(message);
      expect(sleeps).toBe(0);
      await client.close();
    }
  });
});

describe("gRPC over TLS", () => {
  async function check(options: Omit<GrpcClientOptions, "maxRetries">) {
    const client = createGrpcClient(Health, createGrpcTransport({ maxRetries: 0, ...options }));
    return (await client.check({})).status;
  }

  it("fails with the system's CAs: the self-signed certificate is rejected", async () => {
    const error = await caught(check({ address: grpcTls.address, tls: true }));
    expect(error.code).toBe(Code.Unavailable);
    expect(error.rawMessage).toMatch(/certificate/i);
  });

  it("fails when a plaintext client meets a TLS port", async () => {
    const error = await caught(check({ address: grpcTls.address }));
    expect(error).toBeInstanceOf(ServingkitError);
  });

  it("works with ca, caFile, insecure, and an https:// address", async () => {
    const serving = HealthCheckResponse_ServingStatus.SERVING;
    expect(await check({ address: grpcTls.address, tls: { ca: certs.cert } })).toBe(serving);
    expect(await check({ address: grpcTls.address, tls: { caFile: certs.certFile } })).toBe(
      serving,
    );
    expect(await check({ address: grpcTls.address, tls: { insecure: true } })).toBe(serving);
    expect(
      await check({ address: `https://127.0.0.1:${grpcTls.port}`, tls: { ca: certs.cert } }),
    ).toBe(serving);
  });

  it("presents a client certificate for mutual TLS", async () => {
    const refused = await caught(check({ address: mutualGrpc.address, tls: { ca: certs.cert } }));
    expect(refused.code).toBe(Code.Unavailable);
    expect(
      await check({
        address: mutualGrpc.address,
        tls: { ca: certs.cert, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile },
      }),
    ).toBe(HealthCheckResponse_ServingStatus.SERVING);
  });

  it("reports unreadable TLS files at once as INVALID_ARGUMENT", () => {
    expect(() =>
      createGrpcTransport({ address: grpcTls.address, tls: { caFile: "/nonexistent/ca.pem" } }),
    ).toThrow(/cannot read TLS caFile/);
  });
});
