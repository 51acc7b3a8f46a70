/**
 * buildMock/startMock as a whole: the in-memory gRPC transport, plugins (REST and gRPC), hook
 * precedence, the request log and startup failures.
 */
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { Health, HealthCheckResponse_ServingStatus as Status } from "@servingkit/proto/health";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { healthService } from "./grpc-health.js";
import {
  type BuiltMock,
  buildMock,
  type MockOptions,
  type RunningMock,
  startMock,
} from "./mock.js";
import type { MockPlugin } from "./plugin.js";

const mocks: (BuiltMock | RunningMock)[] = [];
afterEach(async () => {
  await Promise.all(mocks.splice(0).map((m) => m.close()));
});

async function build(options: MockOptions): Promise<BuiltMock> {
  const mock = await buildMock(options);
  mocks.push(mock);
  return mock;
}

async function failure(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error("expected a failure");
}

describe("the in-memory gRPC transport", () => {
  it("serves the host's health service", async () => {
    const mock = await build({ runtime: "triton" });
    const client = createClient(Health, mock.grpcTransport());
    expect((await client.check({})).status).toBe(Status.SERVING);
    expect(Object.keys((await client.list({})).statuses)).toEqual([""]);
  });

  it("checks tokens as the real port does, with the proxy's headers", async () => {
    const mock = await build({ runtime: "caikit-tgis", tokens: ["t"] });
    const client = createClient(Health, mock.grpcTransport());
    const refused = await failure(client.check({}));
    expect(refused.code).toBe(Code.Unauthenticated);
    expect(refused.metadata.get("x-ext-auth-reason")).toBe("credential not found");
    const ok = await client.check({}, { headers: { authorization: "Bearer t" } });
    expect(ok.status).toBe(Status.SERVING);
  });

  it("applies header faults", async () => {
    const mock = await build({ runtime: "triton" });
    const client = createClient(Health, mock.grpcTransport());
    const headers = { "x-servingkit-fault": "grpc=DATA_LOSS,message=gone" };
    const error = await failure(client.check({}, { headers }));
    expect([error.code, error.rawMessage]).toEqual([Code.DataLoss, "gone"]);
    // A cut stream in memory ends with INTERNAL after N messages (no HTTP/2 stream to reset).
    const seen: Status[] = [];
    const cut = await failure(
      (async () => {
        for await (const m of client.watch(
          {},
          { headers: { "x-servingkit-fault": "cut-after=1" } },
        )) {
          seen.push(m.status);
        }
      })(),
    );
    expect(seen).toEqual([Status.SERVING]);
    expect(cut.code).toBe(Code.Internal);
  });
});

describe("plugins", () => {
  it("register gRPC services served on the real port and in memory, and see the call's fault", async () => {
    const faults: unknown[] = [];
    const plugin: MockPlugin = {
      name: "tgis-health-for-test",
      grpc(router, ctx) {
        const impl = healthService(ctx.readiness, ctx.shutdownSignal);
        router.service(Health, {
          ...impl,
          check(request, context) {
            faults.push(ctx.grpcFault(context));
            return (impl.check as NonNullable<typeof impl.check>)(request, context);
          },
        });
      },
    };
    const mock = await startMock({
      runtime: "tgis",
      host: "127.0.0.1",
      httpPort: 0,
      grpcPort: 0,
      plugins: [plugin],
    });
    mocks.push(mock);
    const built = await build({ runtime: "tgis", plugins: [plugin] });
    const client = createClient(Health, built.grpcTransport());
    await client.check({}, { headers: { "x-servingkit-fault": "delay-ms=1" } });
    expect(faults).toEqual([{ delayMs: 1 }]);
    const real = new grpc.Client(mock.endpoints.grpc as string, grpc.credentials.createInsecure());
    const status = await new Promise<number>((resolve) =>
      real.makeUnaryRequest(
        "/grpc.health.v1.Health/Check",
        (x: Buffer) => x,
        (x: Buffer) => x,
        Buffer.alloc(0),
        (err) => resolve(err ? err.code : 0),
      ),
    );
    real.close();
    expect(status).toBe(0);
  });

  it("the last plugin's error hooks win over the runtime's", async () => {
    const plugin: MockPlugin = {
      name: "override",
      errorBody: (status, message) => ({ status, body: `custom ${message}` }),
      notFound: () => ({ status: 404, body: "custom 404" }),
    };
    const mock = await build({ runtime: "triton", plugins: [plugin] });
    const fault = await mock.http.inject({
      method: "GET",
      url: "/v2/health/live",
      headers: { "x-servingkit-fault": "status=500,message=x" },
    });
    expect(fault.body).toBe("custom x");
    expect((await mock.http.inject({ method: "GET", url: "/x" })).body).toBe("custom 404");
    // Not overridden: still Triton's 405.
    const wrong = await mock.http.inject({ method: "POST", url: "/v2/health/live" });
    expect(wrong.body).toBe('{"error":"Method Not Allowed"}');
  });

  it("a route that throws gets a 500 in the runtime's envelope, and the host goes on", async () => {
    const plugin: MockPlugin = {
      name: "thrower",
      rest(app) {
        app.get("/boom", async () => {
          throw new Error("kaput");
        });
      },
    };
    const mock = await build({ runtime: "mlserver", plugins: [plugin] });
    const res = await mock.http.inject({ method: "GET", url: "/boom" });
    expect([res.statusCode, res.json()]).toEqual([500, { error: "Internal Server Error" }]);
    expect((await mock.http.inject({ method: "GET", url: "/v2/health/live" })).statusCode).toBe(
      200,
    );
  });
});

describe("the request log", () => {
  function sink() {
    const lines: Record<string, unknown>[] = [];
    const logger = pino(
      { level: "info" },
      { write: (line: string) => void lines.push(JSON.parse(line)) },
    );
    return { logger, lines };
  }

  it("writes one line per REST request: method, path, status, ms", async () => {
    const { logger, lines } = sink();
    const mock = await build({ runtime: "vllm", logger, tokens: ["t"] });
    await mock.http.inject({
      method: "GET",
      url: "/health?x=1",
      headers: { authorization: "Bearer t" },
    });
    await mock.http.inject({ method: "GET", url: "/nope" });
    const requests = lines.filter((l) => l.msg === "request");
    expect(requests).toMatchObject([
      { runtime: "vllm", method: "GET", path: "/health", status: 200 },
      { runtime: "vllm", method: "GET", path: "/nope", status: 401 },
    ]);
    expect(typeof requests[0]?.ms).toBe("number");
  });

  it("writes one line per gRPC call on the real port: rpc, code, ms", async () => {
    const { logger, lines } = sink();
    const mock = await startMock({
      runtime: "triton",
      host: "127.0.0.1",
      httpPort: 0,
      grpcPort: 0,
      logger,
      tokens: ["t"],
    });
    mocks.push(mock);
    const client = new grpc.Client(
      mock.endpoints.grpc as string,
      grpc.credentials.createInsecure(),
    );
    const call = (md: grpc.Metadata) =>
      new Promise<void>((resolve) =>
        client.makeUnaryRequest(
          "/grpc.health.v1.Health/Check",
          (x: Buffer) => x,
          (x: Buffer) => x,
          Buffer.alloc(0),
          md,
          () => resolve(),
        ),
      );
    const ok = new grpc.Metadata();
    ok.set("authorization", "Bearer t");
    await call(ok);
    await call(new grpc.Metadata());
    client.close();
    for (let i = 0; i < 100 && lines.filter((l) => l.msg === "call").length < 2; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(lines.filter((l) => l.msg === "call")).toMatchObject([
      { rpc: "/grpc.health.v1.Health/Check", code: "OK" },
      { rpc: "/grpc.health.v1.Health/Check", code: "UNAUTHENTICATED" },
    ]);
  });
});

describe("startup", () => {
  it("fails cleanly when a port is taken, releasing the other", async () => {
    const first = await startMock({
      runtime: "triton",
      host: "127.0.0.1",
      httpPort: 0,
      grpcPort: 0,
    });
    mocks.push(first);
    const taken = Number((first.endpoints.grpc as string).split(":")[1]);
    await expect(
      startMock({ runtime: "triton", host: "127.0.0.1", httpPort: 0, grpcPort: taken }),
    ).rejects.toThrow(/EADDRINUSE/);
  });

  it("rejects a fault configuration whose rates exceed 1", async () => {
    await expect(
      buildMock({
        runtime: "vllm",
        faults: {
          rules: [
            { rate: 0.8, fault: { status: 500 } },
            { rate: 0.8, fault: { status: 503 } },
          ],
        },
      }),
    ).rejects.toThrow(/add up to 1.6/);
  });

  it("rejects TLS files that are not PEM", async () => {
    await expect(
      buildMock({ runtime: "vllm", tls: { cert: "/dev/null", key: "/dev/null" } }),
    ).rejects.toThrow(/not PEM/);
  });
});

describe("bad clients never crash or hang the host", () => {
  it("HTTP/1.1, garbage bytes and early resets on the gRPC port leave it serving", async () => {
    const { connect } = await import("node:net");
    const http2 = await import("node:http2");
    const mock = await startMock({
      runtime: "triton",
      host: "127.0.0.1",
      httpPort: 0,
      grpcPort: 0,
      tokens: ["t"],
    });
    mocks.push(mock);
    const [host, port] = (mock.endpoints.grpc as string).split(":") as [string, string];
    // HTTP/1.1 to an h2c-only port fails on the client side.
    await expect(
      fetch(`http://${mock.endpoints.grpc}/grpc.health.v1.Health/Check`),
    ).rejects.toThrow();
    // Raw garbage.
    await new Promise<void>((resolve) => {
      const socket = connect(Number(port), host, () =>
        socket.end("GET / HTTP/1.1\r\n\r\n\u0000\u0001garbage"),
      );
      socket.resume(); // read what the server sends (its GOAWAY), so "close" can come
      socket.on("error", () => resolve());
      socket.on("close", () => resolve());
    });
    // A gRPC request reset by the client before any answer (refused and unrefused).
    for (const headers of [{}, { authorization: "Bearer t" }]) {
      const session = http2.connect(`http://${mock.endpoints.grpc}`);
      session.on("error", () => {});
      const stream = session.request({
        ":method": "POST",
        ":path": "/grpc.health.v1.Health/Watch",
        "content-type": "application/grpc",
        ...headers,
      });
      stream.on("error", () => {});
      stream.close(http2.constants.NGHTTP2_CANCEL);
      await new Promise((r) => setTimeout(r, 20));
      session.close();
    }
    // Still serving.
    const client = createClient(Health, (await build({ runtime: "triton" })).grpcTransport());
    expect((await client.check({})).status).toBe(Status.SERVING);
    const real = new grpc.Client(mock.endpoints.grpc as string, grpc.credentials.createInsecure());
    const md = new grpc.Metadata();
    md.set("authorization", "Bearer t");
    const code = await new Promise<number>((resolve) =>
      real.makeUnaryRequest(
        "/grpc.health.v1.Health/Check",
        (x: Buffer) => x,
        (x: Buffer) => x,
        Buffer.alloc(0),
        md,
        (err) => resolve(err ? err.code : 0),
      ),
    );
    real.close();
    expect(code).toBe(0);
  });

  it("plain HTTP to the TLS port and a bad Content-Length on REST leave it serving", async () => {
    const { connect } = await import("node:net");
    const mock = await startMock({ runtime: "vllm", host: "127.0.0.1", httpPort: 0, tls: true });
    mocks.push(mock);
    await expect(fetch(mock.endpoints.http?.replace("https", "http") as string)).rejects.toThrow();
    const plain = await startMock({ runtime: "vllm", host: "127.0.0.1", httpPort: 0 });
    mocks.push(plain);
    const url = new URL(plain.endpoints.http as string);
    const reply = await new Promise<string>((resolve) => {
      let data = "";
      const socket = connect(Number(url.port), url.hostname, () =>
        socket.write(
          "POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Type: application/json\r\n\r\n{",
        ),
      );
      socket.setEncoding("utf8");
      socket.on("data", (chunk) => {
        data += chunk;
      });
      setTimeout(() => socket.destroy(), 300);
      socket.on("close", () => resolve(data));
    });
    expect(reply).toBe(""); // the body never completed: nothing answered yet, connection dropped by us
    expect((await fetch(`${plain.endpoints.http}/health`)).status).toBe(200);
  });
});
