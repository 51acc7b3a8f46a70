/**
 * The REST host through fastify inject (no sockets) and, where the wire matters (TLS, cut
 * streams, shutdown), through real clients.
 */
import { once } from "node:events";
import { mkdtempSync, writeFileSync } from "node:fs";
import { Agent, get as httpGet } from "node:http";
import { request as httpsRequest } from "node:https";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import Fastify from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "./clock.js";
import { cutStream } from "./fault.js";
import {
  type BuiltMock,
  buildMock,
  type MockOptions,
  type RunningMock,
  startMock,
} from "./mock.js";
import type { MockPlugin } from "./plugin.js";
import { sendCanned } from "./rest-host.js";
import { registerRestRouteTable } from "./rest-route-table.js";

const built: BuiltMock[] = [];
const running: RunningMock[] = [];
afterEach(async () => {
  await Promise.all([...built.splice(0), ...running.splice(0)].map((m) => m.close()));
});

async function build(options: Partial<MockOptions> & Pick<MockOptions, "runtime">) {
  const mock = await buildMock(options);
  built.push(mock);
  return mock;
}

async function start(options: Partial<MockOptions> & Pick<MockOptions, "runtime">) {
  const mock = await startMock({ host: "127.0.0.1", httpPort: 0, grpcPort: 0, ...options });
  running.push(mock);
  return mock;
}

/** A test plugin: a JSON echo route and a chunked stream that honours cuts and shutdown. */
function testPlugin(options: { chunks?: number } = {}): MockPlugin {
  return {
    name: "test",
    rest(app, ctx) {
      app.post("/echo", async (request) => ({ got: request.body ?? null }));
      app.get("/stream", (request, reply) => {
        async function* chunks() {
          for (let i = 0; options.chunks === undefined || i < options.chunks; i++) {
            if (ctx.shutdownSignal.aborted) {
              yield "bye\n";
              return;
            }
            yield `chunk ${i}\n`;
            await new Promise((r) => setTimeout(r, 10));
          }
        }
        reply.header("content-type", "text/plain");
        return reply.send(Readable.from(cutStream(ctx.restFault(request), chunks())));
      });
    },
  };
}

describe("health routes per runtime", () => {
  it("vLLM: GET /health → 200 with an empty body", async () => {
    // vllm-openai.md §1: `/health` 200 empty body.
    const mock = await build({ runtime: "vllm" });
    const res = await mock.http.inject({ method: "GET", url: "/health" });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe("");
    expect(res.headers["content-type"]).toBeUndefined();
  });

  it("Caikit: GET /health → 200 text/plain OK", async () => {
    // caikit-tgis.md §1.1: `GET /health` → 200 `text/plain` body `OK`.
    const mock = await build({ runtime: "caikit-tgis" });
    const res = await mock.http.inject({ method: "GET", url: "/health" });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe("OK");
    expect(res.headers["content-type"]).toMatch(/^text\/plain/);
  });

  it("Triton: /v2/health/live and /ready → 200 empty", async () => {
    // kserve-v2.md §3.1: health body empty, 200 if true.
    const mock = await build({ runtime: "triton" });
    for (const url of ["/v2/health/live", "/v2/health/ready"]) {
      const res = await mock.http.inject({ method: "GET", url });
      expect([url, res.statusCode, res.body]).toEqual([url, 200, ""]);
    }
  });

  it("OVMS: /v2/health/ready → 200 empty with content-type application/json", async () => {
    // kserve-v2.md §3.3: health 200 with empty body and Content-Type application/json.
    const mock = await build({ runtime: "ovms" });
    const res = await mock.http.inject({ method: "GET", url: "/v2/health/ready" });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe("");
    expect(res.headers["content-type"]).toBe("application/json");
  });

  it("TGIS: GET /health → 200 on the HTTP port", async () => {
    // caikit-tgis.md §3.7: HTTP 3000 serves /health (200 when healthy).
    const mock = await build({ runtime: "tgis" });
    const res = await mock.http.inject({ method: "GET", url: "/health" });
    expect(res.statusCode).toBe(200);
  });
});

describe("token authorization, serverless mode (Authorino via istio-envoy)", () => {
  // kserve-v2.md §5: no token → 401 empty body, server: istio-envoy, www-authenticate: Bearer
  // realm="kubernetes-user", x-ext-auth-reason: credential not found; bad token → "not
  // authenticated". Auth applies to every path, health included.
  const options = { runtime: "triton", tokens: ["secret"] } as const;

  it("missing token → 401, empty body, envoy headers, 'credential not found'", async () => {
    const mock = await build(options);
    const res = await mock.http.inject({ method: "GET", url: "/v2/health/ready" });
    expect(res.statusCode).toBe(401);
    expect(res.body).toBe("");
    expect(res.headers["content-length"]).toBe("0");
    expect(res.headers.server).toBe("istio-envoy");
    expect(res.headers["www-authenticate"]).toBe('Bearer realm="kubernetes-user"');
    expect(res.headers["x-ext-auth-reason"]).toBe("credential not found");
  });

  it("a non-Bearer or lower-case scheme is 'credential not found'", async () => {
    // Kuadrant/authorino pkg/auth/credentials.go: the prefix "Bearer " is matched exactly.
    const mock = await build(options);
    for (const authorization of ["Basic c2VjcmV0", "bearer secret"]) {
      const res = await mock.http.inject({ method: "GET", url: "/v2", headers: { authorization } });
      expect(res.statusCode).toBe(401);
      expect(res.headers["x-ext-auth-reason"]).toBe("credential not found");
    }
  });

  it("wrong token → 401 'not authenticated'", async () => {
    const mock = await build(options);
    const res = await mock.http.inject({
      method: "GET",
      url: "/v2/health/live",
      headers: { authorization: "Bearer wrong" },
    });
    expect(res.statusCode).toBe(401);
    expect(res.headers["x-ext-auth-reason"]).toBe("not authenticated");
  });

  it("right token → the route's own answer (and 404s are the runtime's)", async () => {
    const mock = await build(options);
    const headers = { authorization: "Bearer secret" };
    const ok = await mock.http.inject({ method: "GET", url: "/v2/health/ready", headers });
    expect(ok.statusCode).toBe(200);
    const missing = await mock.http.inject({ method: "GET", url: "/nope", headers });
    expect(missing.statusCode).toBe(404);
    expect(missing.body).toBe('{"error":"Not Found"}');
  });

  it("unknown paths are refused before routing: the proxy sits in front", async () => {
    const mock = await build(options);
    const res = await mock.http.inject({ method: "GET", url: "/nope" });
    expect(res.statusCode).toBe(401);
  });
});

describe("token authorization, raw mode (kube-rbac-proxy)", () => {
  // kserve-v2.md §5 and kube-rbac-proxy pkg/filters/auth.go: 401 text/plain `Unauthorized\n`.
  const options = { runtime: "vllm", tokens: ["secret"], authMode: "raw" } as const;

  it("missing and wrong tokens → 401 text/plain 'Unauthorized\\n'", async () => {
    const mock = await build(options);
    for (const headers of [{}, { authorization: "Bearer wrong" }, { authorization: "Bearer" }]) {
      const res = await mock.http.inject({ method: "GET", url: "/health", headers });
      expect(res.statusCode).toBe(401);
      expect(res.body).toBe("Unauthorized\n");
      expect(res.headers["content-type"]).toBe("text/plain; charset=utf-8");
      expect(res.headers["x-content-type-options"]).toBe("nosniff");
      expect(res.headers.server).toBeUndefined();
    }
  });

  it("right token, scheme in any case → the route", async () => {
    const mock = await build(options);
    for (const authorization of ["Bearer secret", "bearer secret", "  BEARER secret "]) {
      const res = await mock.http.inject({
        method: "GET",
        url: "/health",
        headers: { authorization },
      });
      expect(res.statusCode).toBe(200);
    }
  });
});

describe("forbidden tokens (authenticated, not authorized)", () => {
  it("serverless: 403, empty body, x-ext-auth-reason 'not authorized: ...' (kserve-v2.md §5)", async () => {
    const mock = await build({ runtime: "ovms", tokens: ["ok"], forbiddenTokens: ["nope"] });
    const res = await mock.http.inject({
      method: "GET",
      url: "/v2/health/ready",
      headers: { authorization: "Bearer nope" },
    });
    expect([res.statusCode, res.body]).toEqual([403, ""]);
    expect(res.headers["x-ext-auth-reason"]).toBe("not authorized: unknown reason");
    expect(res.headers["www-authenticate"]).toBeUndefined();
  });

  it("raw: 403 text/plain 'Forbidden (user=..., verb=get, resource=inferenceservices, ...)'", async () => {
    const mock = await build({
      runtime: "vllm",
      tokens: ["ok"],
      forbiddenTokens: ["nope"],
      authMode: "raw",
    });
    const res = await mock.http.inject({
      method: "GET",
      url: "/health",
      headers: { authorization: "Bearer nope" },
    });
    expect(res.statusCode).toBe(403);
    expect(res.body).toMatch(
      /^Forbidden \(user=\S+, verb=get, resource=inferenceservices, subresource=\)\n$/,
    );
  });
});

describe("unknown routes and methods", () => {
  it("FastAPI runtimes: 404 {detail: Not Found}, 405 {detail: Method Not Allowed} + allow", async () => {
    // vllm-openai.md §1: FastAPI default 404/405 bodies.
    const mock = await build({ runtime: "vllm" });
    const missing = await mock.http.inject({ method: "GET", url: "/v1/nope?x=1" });
    expect(missing.statusCode).toBe(404);
    expect(missing.body).toBe('{"detail":"Not Found"}');
    expect(missing.headers["content-type"]).toBe("application/json");
    const wrong = await mock.http.inject({ method: "DELETE", url: "/health" });
    expect(wrong.statusCode).toBe(405);
    expect(wrong.body).toBe('{"detail":"Method Not Allowed"}');
    expect(String(wrong.headers.allow).split(", ").sort()).toEqual(["GET", "HEAD"]);
  });

  it("Triton: 404 {error: Not Found}, 405 {error: Method Not Allowed}", async () => {
    // kserve-v2.md §3.1.
    const mock = await build({ runtime: "triton" });
    expect((await mock.http.inject({ method: "GET", url: "/v3" })).body).toBe(
      '{"error":"Not Found"}',
    );
    const wrong = await mock.http.inject({ method: "POST", url: "/v2/health/live" });
    expect([wrong.statusCode, wrong.body]).toEqual([405, '{"error":"Method Not Allowed"}']);
  });

  it("OVMS: 400 Invalid request URL, 406 Unsupported method", async () => {
    // kserve-v2.md §3.3.
    const mock = await build({ runtime: "ovms" });
    const missing = await mock.http.inject({ method: "GET", url: "/v3" });
    expect([missing.statusCode, missing.body]).toEqual([400, '{"error":"Invalid request URL"}']);
    const wrong = await mock.http.inject({ method: "POST", url: "/v2/health/ready" });
    expect([wrong.statusCode, wrong.body]).toEqual([406, '{"error":"Unsupported method"}']);
  });

  it("TGIS: bare 404 and 405 with empty bodies", async () => {
    const mock = await build({ runtime: "tgis" });
    const missing = await mock.http.inject({ method: "GET", url: "/generate" });
    expect([missing.statusCode, missing.body]).toEqual([404, ""]);
    const wrong = await mock.http.inject({ method: "POST", url: "/health" });
    expect([wrong.statusCode, wrong.body]).toEqual([405, ""]);
  });
});

describe("the unknown-route hooks see the request", () => {
  /** Echoes what the hooks were given, as a runtime's middleware in front of its router would. */
  const seeing: MockPlugin = {
    name: "seeing",
    notFound: (method, path, headers) => ({
      status: 404,
      body: `${method} ${path} ${headers["x-trace"] ?? "-"}`,
    }),
    methodNotAllowed: (method, path, allowed, headers) => ({
      status: 405,
      body: `${method} ${path} ${allowed.join(",")} ${headers["x-trace"] ?? "-"}`,
    }),
  };

  it("gives notFound and methodNotAllowed the method, path (no query) and headers", async () => {
    const mock = await build({ runtime: "vllm", plugins: [seeing] });
    const deep = "/v1/a/b/c/d/e/f/g/h/i";
    const missing = await mock.http.inject({
      method: "GET",
      url: `${deep}?q=1`,
      headers: { "x-trace": "t1" },
    });
    expect([missing.statusCode, missing.body]).toEqual([404, `GET ${deep} t1`]);
    const wrong = await mock.http.inject({ method: "PUT", url: "/health" });
    expect([wrong.statusCode, wrong.body]).toEqual([405, "PUT /health GET,HEAD -"]);
  });

  // A route table's parameter takes at least one character (Starlette's `{param}` is `[^/]+`,
  // Triton's patterns `([^/]+)`, kserve-v2.md §3.1), so an empty one is an unknown path, on
  // fastify as in msw's matcher (matchRestRoute).
  it("answers an empty path parameter as an unknown path", async () => {
    const table: MockPlugin = {
      name: "table",
      notFound: seeing.notFound,
      rest: (app, ctx) =>
        registerRestRouteTable(app, ctx, {
          routes: [
            {
              method: "GET",
              path: "/v2/models/:name",
              handle: (request) => ({ status: 200, body: `model ${request.params.name ?? ""}` }),
            },
          ],
        }),
    };
    const mock = await build({ runtime: "triton", plugins: [table] });
    const named = await mock.http.inject({ method: "GET", url: "/v2/models/m" });
    expect([named.statusCode, named.body]).toEqual([200, "model m"]);
    const empty = await mock.http.inject({ method: "GET", url: "/v2/models/" });
    expect([empty.statusCode, empty.body]).toEqual([404, "GET /v2/models/ -"]);
  });

  // vllm-openai.md §1 (FastAPI): Starlette routes before a body is read (the body is read by the
  // matched endpoint), so an unknown path or a wrong method is 404/405 whatever the body holds.
  it("answers unknown routes before reading the body", async () => {
    const mock = await build({ runtime: "vllm" });
    const body = { headers: { "content-type": "application/json" }, payload: "{not json" };
    const missing = await mock.http.inject({ method: "POST", url: "/v1/nope", ...body });
    expect([missing.statusCode, missing.body]).toEqual([404, '{"detail":"Not Found"}']);
    const wrong = await mock.http.inject({ method: "POST", url: "/health", ...body });
    expect(wrong.statusCode).toBe(405);
  });

  // kserve-v2.md §5: Authorino answers 401 with an empty body on every path, before the runtime.
  it("keeps token authorization before the 404", async () => {
    const mock = await build({ runtime: "vllm", tokens: ["t"] });
    const res = await mock.http.inject({ method: "GET", url: "/v1/nope" });
    expect([res.statusCode, res.body]).toEqual([401, ""]);
  });
});

describe("request bodies", () => {
  it("parses JSON for plugin routes and passes other types as bytes", async () => {
    const mock = await build({ runtime: "mlserver", plugins: [testPlugin()] });
    const json = await mock.http.inject({ method: "POST", url: "/echo", payload: { a: 1 } });
    expect(json.json()).toEqual({ got: { a: 1 } });
    const bytes = await mock.http.inject({
      method: "POST",
      url: "/echo",
      payload: "x=1",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(bytes.json()).toEqual({ got: { type: "Buffer", data: [120, 61, 49] } });
  });

  it("malformed JSON → the runtime's hook (FastAPI default: 422 json_invalid), no crash", async () => {
    const mock = await build({ runtime: "mlserver", plugins: [testPlugin()] });
    const res = await mock.http.inject({
      method: "POST",
      url: "/echo",
      payload: "{not json",
      headers: { "content-type": "application/json" },
    });
    expect(res.statusCode).toBe(422);
    // fastapi/routing.py: loc ("body", e.pos) and ctx {"error": e.msg} of json.loads' error.
    expect(res.json().detail).toEqual([
      {
        type: "json_invalid",
        loc: ["body", 1],
        msg: "JSON decode error",
        input: {},
        ctx: { error: "Expecting property name enclosed in double quotes" },
      },
    ]);
  });

  it("a plugin's bodyError hook answers malformed JSON in the runtime's words", async () => {
    const plugin: MockPlugin = {
      ...testPlugin(),
      bodyError: (error) => ({ status: 412, body: `bad: ${error.kind}` }),
    };
    const mock = await build({ runtime: "ovms", plugins: [plugin] });
    const res = await mock.http.inject({
      method: "POST",
      url: "/echo",
      payload: "[",
      headers: { "content-type": "application/json" },
    });
    expect([res.statusCode, res.body]).toEqual([412, "bad: malformed-json"]);
  });

  it("an oversize body → 413 through the hook", async () => {
    const mock = await build({ runtime: "vllm", plugins: [testPlugin()], bodyLimit: 16 });
    const res = await mock.http.inject({
      method: "POST",
      url: "/echo",
      payload: { text: "x".repeat(64) },
    });
    expect(res.statusCode).toBe(413);
  });
});

describe("fault injection over REST", () => {
  it("status=503 answers in the runtime's error envelope", async () => {
    const mock = await build({ runtime: "triton" });
    const res = await mock.http.inject({
      method: "GET",
      url: "/v2/health/live",
      headers: { "x-servingkit-fault": "status=503,message=busy%2C%20sorry" },
    });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ error: "busy, sorry" });
  });

  it("caikit's envelope: {details, code, id}", async () => {
    // caikit-tgis.md §1.7: {"details": <message>, "code": <http int>, "id": <32 hex>}.
    const mock = await build({ runtime: "caikit-tgis" });
    const res = await mock.http.inject({
      method: "GET",
      url: "/health",
      headers: { "x-servingkit-fault": "status=500" },
    });
    const body = res.json();
    expect(body).toMatchObject({ details: "fault injected by servingkit", code: 500 });
    expect(body.id).toMatch(/^[0-9a-f]{32}$/);
  });

  it("grpc=NOT_FOUND on REST answers the mapped status (404)", async () => {
    const mock = await build({ runtime: "mlserver" });
    const res = await mock.http.inject({
      method: "GET",
      url: "/v2/health/ready",
      headers: { "x-servingkit-fault": "grpc=NOT_FOUND" },
    });
    expect(res.statusCode).toBe(404);
  });

  it("a malformed fault header → 400 naming the problem", async () => {
    const mock = await build({ runtime: "vllm" });
    const res = await mock.http.inject({
      method: "GET",
      url: "/health",
      headers: { "x-servingkit-fault": "status=200" },
    });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain("status must be 400-599");
  });

  it("delay-ms holds the headers until the injected clock has moved", async () => {
    const clock = new ManualClock();
    const mock = await build({ runtime: "vllm", clock });
    let done = false;
    const pending = mock.http
      .inject({ method: "GET", url: "/health", headers: { "x-servingkit-fault": "delay-ms=200" } })
      .then((res) => {
        done = true;
        return res;
      });
    while (clock.pendingSleeps === 0) await new Promise((r) => setTimeout(r, 1));
    await clock.advance(199);
    expect(done).toBe(false);
    await clock.advance(1);
    expect((await pending).statusCode).toBe(200);
  });

  it("configured rates apply per request by the injected random source", async () => {
    const draws = [0.9, 0.1];
    const mock = await build({
      runtime: "vllm",
      faults: { rules: [{ rate: 0.25, fault: { status: 500 } }], random: () => draws.shift() ?? 1 },
    });
    expect((await mock.http.inject({ method: "GET", url: "/health" })).statusCode).toBe(200);
    expect((await mock.http.inject({ method: "GET", url: "/health" })).statusCode).toBe(500);
  });

  it("the header wins over configured faults", async () => {
    const mock = await build({
      runtime: "vllm",
      faults: { rules: [{ rate: 1, fault: { status: 500 } }] },
    });
    const res = await mock.http.inject({
      method: "GET",
      url: "/health",
      headers: { "x-servingkit-fault": "status=429" },
    });
    expect(res.statusCode).toBe(429);
  });

  it("cut-after drops the connection mid-body after N chunks (real socket)", async () => {
    const mock = await start({ runtime: "vllm", plugins: [testPlugin({ chunks: 10 })] });
    const res = await fetch(`${mock.endpoints.http}/stream`, {
      headers: { "x-servingkit-fault": "cut-after=3" },
    });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = "";
    const decoder = new TextDecoder();
    const failure = await (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return undefined;
          text += decoder.decode(value);
        }
      } catch (error) {
        return error;
      }
    })();
    expect(text).toBe("chunk 0\nchunk 1\nchunk 2\n");
    expect(failure).toBeInstanceOf(Error);
  });
});

describe("slow start", () => {
  it("readiness routes answer not-ready until the delay has passed; liveness stays up", async () => {
    const clock = new ManualClock();
    const mock = await build({ runtime: "triton", clock, faults: { slowStartMs: 5000 } });
    // kserve-v2.md §3.1: Triton's not-ready answer is 400 with an empty body.
    const notReady = await mock.http.inject({ method: "GET", url: "/v2/health/ready" });
    expect([notReady.statusCode, notReady.body]).toEqual([400, ""]);
    expect((await mock.http.inject({ method: "GET", url: "/v2/health/live" })).statusCode).toBe(
      200,
    );
    await clock.advance(5000);
    expect((await mock.http.inject({ method: "GET", url: "/v2/health/ready" })).statusCode).toBe(
      200,
    );
  });

  it("vLLM /health and OVMS ready answer 503 while starting", async () => {
    // vllm-openai.md §1 (503 when the engine is not serving); kserve-v2.md §3.3 (OVMS 503
    // {"error":"Server is not ready"}).
    const clock = new ManualClock();
    const vllm = await build({ runtime: "vllm", clock, faults: { slowStartMs: 10 } });
    expect((await vllm.http.inject({ method: "GET", url: "/health" })).statusCode).toBe(503);
    const ovms = await build({ runtime: "ovms", clock, faults: { slowStartMs: 10 } });
    const res = await ovms.http.inject({ method: "GET", url: "/v2/health/ready" });
    expect([res.statusCode, res.body]).toEqual([503, '{"error":"Server is not ready"}']);
  });
});

describe("TLS", () => {
  function httpsGet(url: string, ca: string, headers: Record<string, string> = {}) {
    return new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpsRequest(url, { ca, headers }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("error", reject);
      req.end();
    });
  }

  it("serves HTTPS with a self-signed certificate for localhost and 127.0.0.1", async () => {
    const mock = await start({ runtime: "caikit-tgis", tls: true, tokens: ["t"] });
    expect(mock.endpoints.http).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = mock.certificatePem as string;
    const url = `${mock.endpoints.http}/health`;
    expect(await httpsGet(url, ca, { authorization: "Bearer t" })).toEqual({
      status: 200,
      body: "OK",
    });
    const local = url.replace("127.0.0.1", "localhost");
    expect((await httpsGet(local, ca)).status).toBe(401);
  });

  it("accepts the user's own certificate and key, as PEM text or as file paths", async () => {
    const { selfSignedCertificate } = await import("./tls.js");
    const pair = await selfSignedCertificate();
    const asText = await start({ runtime: "vllm", tls: { cert: pair.cert, key: pair.key } });
    expect(asText.certificatePem).toBe(pair.cert);
    expect((await httpsGet(`${asText.endpoints.http}/health`, pair.cert)).status).toBe(200);
    const dir = mkdtempSync(join(tmpdir(), "servingkit-"));
    writeFileSync(join(dir, "cert.pem"), pair.cert);
    writeFileSync(join(dir, "key.pem"), pair.key);
    const tls = { cert: join(dir, "cert.pem"), key: join(dir, "key.pem") };
    const asFiles = await start({ runtime: "vllm", tls });
    expect(asFiles.certificatePem).toBe(pair.cert);
    expect((await httpsGet(`${asFiles.endpoints.http}/health`, pair.cert)).status).toBe(200);
  });

  it("refuses a client that does not trust the certificate", async () => {
    const mock = await start({ runtime: "vllm", tls: true });
    await expect(fetch(`${mock.endpoints.http}/health`)).rejects.toThrow();
  });
});

describe("graceful shutdown", () => {
  it("an open stream is told to finish and ends cleanly before the server closes", async () => {
    const mock = await start({ runtime: "vllm", plugins: [testPlugin()] });
    const res = await fetch(`${mock.endpoints.http}/stream`);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toBe("chunk 0\n");
    const closing = mock.close();
    let rest = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += new TextDecoder().decode(value);
    }
    expect(rest.endsWith("bye\n")).toBe(true);
    await closing;
    expect(mock.readiness.ready).toBe(false);
    await expect(fetch(`${mock.endpoints.http}/health`)).rejects.toThrow();
  });

  it("a keep-alive connection that goes idle during shutdown is closed at once, not after the grace", async () => {
    const mock = await start({ runtime: "vllm", plugins: [testPlugin({ chunks: 3 })] });
    const agent = new Agent({ keepAlive: true });
    // A stream open when shutdown begins: its connection is busy then, idle right after.
    let streaming: () => void = () => {};
    const firstChunk = new Promise<void>((resolve) => {
      streaming = resolve;
    });
    const answer = new Promise<string>((resolve) => {
      httpGet(`${mock.endpoints.http}/stream`, { agent }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
          streaming();
        });
        res.on("end", () => resolve(text));
      });
    });
    await firstChunk;
    const begun = performance.now();
    await mock.close();
    expect(await answer).toMatch(/^chunk 0\n.*bye\n$/s);
    // The grace is 5 s (defaultShutdownGraceMs); closing idle connections takes milliseconds.
    expect(performance.now() - begun).toBeLessThan(2500);
    agent.destroy();
  });

  it("close() is idempotent", async () => {
    const mock = await start({ runtime: "triton" });
    await Promise.all([mock.close(), mock.close()]);
    await mock.close();
  });
});

describe("text replies", () => {
  // vllm-openai.md §1 (FastAPI's JSONResponse): `content-type: application/json`, no charset, and
  // the body byte for byte; fastify would add `; charset=utf-8` to a JSON string it sends itself.
  it("go out with their content type as given and the UTF-8 byte length, HEAD without a body", async () => {
    const text = '{"text":"é😀 \\"q\\""}';
    const table: MockPlugin = {
      name: "table",
      rest: (app, ctx) =>
        registerRestRouteTable(app, ctx, {
          routes: [
            {
              method: "GET",
              path: "/text",
              handle: () => ({
                status: 200,
                headers: { "content-type": "application/json", "x-extra": "1" },
                body: text,
              }),
            },
          ],
        }),
    };
    const mock = await start({ runtime: "vllm", plugins: [table] });
    const url = `${mock.endpoints.http ?? ""}/text`;
    const res = await fetch(url);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("content-length")).toBe(String(Buffer.byteLength(text)));
    expect(res.headers.get("x-extra")).toBe("1");
    expect(Buffer.from(await res.arrayBuffer()).toString("utf8")).toBe(text);
    const head = await fetch(url, { method: "HEAD" });
    expect(head.headers.get("content-length")).toBe(String(Buffer.byteLength(text)));
    expect(await head.text()).toBe("");
  });
});

/** One request on a fresh socket (`Connection: close`): the whole response as received. */
async function rawExchange(port: number, method: string, path: string): Promise<string> {
  const socket = connect(port, "127.0.0.1");
  await once(socket, "connect");
  socket.end(`${method} ${path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`);
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

describe("sendCanned writes what fastify's own send path writes", () => {
  // Written straight to the response for speed (issue 3), the bytes must stay those fastify's
  // `reply.code().headers().send()` wrote: lower-case names in order, content-length last.
  it("byte for byte, GET and HEAD, a name in mixed case, a non-ASCII body", async () => {
    const canned = {
      status: 201,
      headers: { "content-type": "application/json", "X-Request-Id": "abc", "x-extra": "1" },
      body: '{"text":"é😀 \\"q\\""}',
    };
    const app = Fastify();
    app.get("/canned", (_request, reply) => sendCanned(reply, canned));
    app.get("/fastify", (_request, reply) =>
      reply
        .code(canned.status)
        .headers(canned.headers)
        .serializer((text: string) => text)
        .send(canned.body),
    );
    await app.listen({ port: 0, host: "127.0.0.1" });
    try {
      const port = (app.server.address() as { port: number }).port;
      const undated = (text: string) => text.replace(/\r\ndate: [^\r]*/i, "");
      for (const method of ["GET", "HEAD"]) {
        const ours = await rawExchange(port, method, "/canned");
        expect(undated(ours)).toBe(undated(await rawExchange(port, method, "/fastify")));
        expect(ours).toContain(
          `x-request-id: abc\r\nx-extra: 1\r\ncontent-length: ${Buffer.byteLength(canned.body)}\r\n`,
        );
      }
    } finally {
      await app.close();
    }
  });
});
