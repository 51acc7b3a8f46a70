import type { FastifyReply, FastifyRequest } from "fastify";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Code } from "./code.js";
import type { ClientOptions } from "./http-client.js";
import { createHttpClient } from "./node-http-client.js";
import { ServingkitError } from "./servingkit-error.js";
import type { SseEvent } from "./sse-stream.js";
import {
  closedPort,
  recordingSleep,
  startHttpServer,
  type TestHttpServer,
} from "./testdata/http-server.js";

type Handler = (request: FastifyRequest, reply: FastifyReply, hit: number) => unknown;

let server: TestHttpServer;
let handler: Handler = () => ({ ok: true });
let hits = 0;
let seen: FastifyRequest[] = [];

beforeAll(async () => {
  server = await startHttpServer((app) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser("*", { parseAs: "string" }, (_request, body, done) =>
      done(null, body),
    );
    app.all("/*", async (request, reply) => {
      hits++;
      seen.push(request);
      return handler(request, reply, hits);
    });
  });
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  hits = 0;
  seen = [];
  handler = () => ({ ok: true });
});

function client(overrides: Partial<ClientOptions> = {}) {
  const recorder = recordingSleep();
  const created = createHttpClient({
    baseUrl: server.baseUrl,
    sleep: recorder.sleep,
    random: () => 0,
    ...overrides,
  });
  return Object.assign(created, { delays: recorder.delays });
}

/** Fails the first `failures` hits with `status` (and headers), then answers 200 {ok: true}. */
function failFirst(failures: number, status: number, headers: Record<string, string> = {}) {
  handler = (_request, reply, hit) => {
    if (hit <= failures) {
      return reply
        .code(status)
        .headers(headers)
        .send({ error: `failure ${hit}` });
    }
    return { ok: true };
  };
}

async function caught(promise: Promise<unknown>): Promise<ServingkitError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ServingkitError);
    return error as ServingkitError;
  }
  throw new Error("expected a rejection");
}

/** Writes an SSE response by hand: headers at once, then `events` with `gapMs` between them. */
function sse(
  reply: FastifyReply,
  events: readonly string[],
  options: { gapMs?: number; end?: "end" | "destroy" | "hang" } = {},
): void {
  reply.hijack();
  reply.raw.writeHead(200, { "content-type": "text/event-stream" });
  let index = 0;
  const next = (): void => {
    if (reply.raw.destroyed) {
      return;
    }
    const item = events[index++];
    if (item !== undefined) {
      reply.raw.write(item);
      setTimeout(next, options.gapMs ?? 0);
      return;
    }
    if (options.end === "destroy") {
      reply.raw.socket?.destroy();
    } else if (options.end !== "hang") {
      reply.raw.end();
    }
  };
  next();
}

async function drain(events: AsyncIterable<SseEvent>): Promise<string[]> {
  const data: string[] = [];
  for await (const item of events) {
    data.push(item.data);
  }
  return data;
}

describe("retries (openai-node rules)", () => {
  it.each([408, 409, 429, 500, 502, 503, 504])(
    "retries HTTP %i and then succeeds",
    async (status) => {
      failFirst(1, status);
      const api = client();
      expect(await api.json("/v1/models")).toEqual({ ok: true });
      expect(hits).toBe(2);
      expect(api.delays).toEqual([500]);
    },
  );

  it.each([
    [400, Code.InvalidArgument],
    [401, Code.Unauthenticated],
    [403, Code.PermissionDenied],
    [404, Code.NotFound],
    [422, Code.InvalidArgument],
  ])("does not retry HTTP %i, and maps it to code %i", async (status, code) => {
    failFirst(5, status);
    const api = client();
    const error = await caught(api.json("/v1/models"));
    expect(hits).toBe(1);
    expect(api.delays).toEqual([]);
    expect(error.code).toBe(code);
    expect(error.httpStatus).toBe(status);
    expect(error.rawMessage).toBe("failure 1");
    expect(error.body).toEqual({ error: "failure 1" });
    expect(error.retryable).toBe(false);
  });

  it("makes 1 + maxRetries attempts (default 2) and keeps the last body", async () => {
    failFirst(10, 503);
    const api = client();
    const error = await caught(api.json("/x"));
    expect(hits).toBe(3);
    expect(api.delays).toEqual([500, 1000]);
    expect(error.code).toBe(Code.Unavailable);
    expect(error.body).toEqual({ error: "failure 3" });
    const none = client({ maxRetries: 0 });
    hits = 0;
    await caught(none.json("/x"));
    expect(hits).toBe(1);
    hits = 0;
    await caught(api.json("/x", { maxRetries: 4 }));
    expect(hits).toBe(5);
  });

  it("backs off 0.5 s doubling to the 8 s cap, jitter taking at most 25%", async () => {
    failFirst(100, 500);
    const api = client({ maxRetries: 6 });
    await caught(api.json("/x"));
    expect(api.delays).toEqual([500, 1000, 2000, 4000, 8000, 8000]);
    const jittery = client({ maxRetries: 6, random: () => 0.999 });
    await caught(jittery.json("/x"));
    jittery.delays.forEach((delay, index) => {
      const base = Math.min(500 * 2 ** index, 8000);
      expect(delay).toBeGreaterThan(base * 0.75);
      expect(delay).toBeLessThanOrEqual(base);
    });
  });

  it("retries a refused connection as UNAVAILABLE", async () => {
    const port = await closedPort();
    const api = client({ baseUrl: `http://127.0.0.1:${port}` });
    const error = await caught(api.json("/x"));
    expect(error.code).toBe(Code.Unavailable);
    expect(error.httpStatus).toBeUndefined();
    expect(error.rawMessage).toMatch(/^connection error: .*ECONNREFUSED/);
    expect(api.delays).toHaveLength(2);
  });

  it("waits as retry-after (seconds) says", async () => {
    failFirst(1, 429, { "retry-after": "2" });
    const api = client();
    await api.json("/x");
    expect(api.delays).toEqual([2000]);
  });

  it("waits as retry-after (HTTP date) says", async () => {
    failFirst(1, 503, { "retry-after": new Date(Date.now() + 30_000).toUTCString() });
    const api = client();
    await api.json("/x");
    expect(api.delays).toHaveLength(1);
    // HTTP dates have whole seconds: the wait is between 29 and 30 s.
    expect(api.delays[0]).toBeGreaterThan(28_000);
    expect(api.delays[0]).toBeLessThanOrEqual(30_000);
  });

  it("prefers retry-after-ms", async () => {
    failFirst(1, 503, { "retry-after-ms": "250", "retry-after": "5" });
    const api = client();
    await api.json("/x");
    expect(api.delays).toEqual([250]);
  });

  it("ignores retry-after outside (0, 60 s] and backs off instead", async () => {
    failFirst(3, 503, { "retry-after": "3600" });
    const api = client({ maxRetries: 3 });
    await api.json("/x");
    expect(api.delays).toEqual([500, 1000, 2000]);
    hits = 0;
    failFirst(1, 503, { "retry-after-ms": "-1" });
    const other = client();
    await other.json("/x");
    expect(other.delays).toEqual([500]);
  });

  it("obeys x-should-retry: false on a 503 and x-should-retry: true on a 400", async () => {
    failFirst(5, 503, { "x-should-retry": "false" });
    await caught(client().json("/x"));
    expect(hits).toBe(1);
    hits = 0;
    failFirst(1, 400, { "x-should-retry": "true" });
    expect(await client().json("/x")).toEqual({ ok: true });
    expect(hits).toBe(2);
  });

  it("cancels the unused body of a retried response, and reads the last one", async () => {
    const cancelled: number[] = [];
    let calls = 0;
    const fetch: typeof globalThis.fetch = async () => {
      const call = ++calls;
      let sent = false;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent) {
            controller.close();
            return;
          }
          sent = true;
          controller.enqueue(new TextEncoder().encode(`{"error":"attempt ${call}"}`));
        },
        cancel() {
          cancelled.push(call);
        },
      });
      return new Response(body, { status: 503 });
    };
    const api = client({ fetch, maxRetries: 2 });
    const error = await caught(api.json("/x"));
    expect(calls).toBe(3);
    expect(cancelled).toEqual([1, 2]);
    expect(error.rawMessage).toBe("attempt 3");
  });

  it("never retries a request with a streaming body", async () => {
    failFirst(5, 503);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"stream":true}'));
        controller.close();
      },
    });
    const error = await caught(
      client().request("/upload", { body, headers: { "content-type": "application/json" } }),
    );
    expect(error.httpStatus).toBe(503);
    expect(hits).toBe(1);
    expect(seen[0]?.body).toBe('{"stream":true}');
  });

  it("retries a JSON body, sending it again each time", async () => {
    failFirst(2, 500);
    await client().json("/v1/completions", { json: { prompt: "hi" } });
    expect(hits).toBe(3);
    for (const request of seen) {
      expect(request.method).toBe("POST");
      expect(request.headers["content-type"]).toBe("application/json");
      expect(JSON.parse(request.body as string)).toEqual({ prompt: "hi" });
    }
  });
});

describe("timeouts and abort", () => {
  it("limits each attempt, retries a timed-out attempt, then reports DEADLINE_EXCEEDED", async () => {
    handler = () => new Promise(() => undefined);
    const api = client({ timeoutMs: 50, maxRetries: 1 });
    const error = await caught(api.json("/slow"));
    expect(error.code).toBe(Code.DeadlineExceeded);
    expect(error.rawMessage).toBe("the attempt timed out after 50 ms");
    expect(hits).toBe(2);
    expect(api.delays).toEqual([500]);
  });

  it("a per-call timeout overrides the client's", async () => {
    handler = () => new Promise(() => undefined);
    const api = client({ maxRetries: 0 });
    const error = await caught(api.json("/slow", { timeoutMs: 30 }));
    expect(error.code).toBe(Code.DeadlineExceeded);
  });

  it("covers the body read of json(): a server that stalls mid-body times out", async () => {
    handler = (_request, reply) => {
      reply.hijack();
      reply.raw.writeHead(200, { "content-type": "application/json" });
      reply.raw.write('{"partial":');
    };
    const error = await caught(client({ timeoutMs: 80, maxRetries: 0 }).json("/stall"));
    expect(error.code).toBe(Code.DeadlineExceeded);
  });

  it("an abort before the call sends nothing and is CANCELED", async () => {
    const error = await caught(client().json("/x", { signal: AbortSignal.abort() }));
    expect(error.code).toBe(Code.Canceled);
    expect(hits).toBe(0);
  });

  it("an abort during the call is CANCELED and never retried", async () => {
    handler = () => new Promise(() => undefined);
    const controller = new AbortController();
    const api = client();
    const pending = api.json("/slow", { signal: controller.signal });
    await waitFor(() => hits === 1);
    controller.abort();
    const error = await caught(pending);
    expect(error.code).toBe(Code.Canceled);
    expect(error.retryable).toBe(false);
    expect(api.delays).toEqual([]);
    expect(hits).toBe(1);
  });

  it("an abort during the wait between attempts is CANCELED", async () => {
    failFirst(5, 503);
    const controller = new AbortController();
    const api = createHttpClient({
      baseUrl: server.baseUrl,
      sleep: async (_ms, signal) => {
        controller.abort();
        throw signal?.reason;
      },
    });
    const error = await caught(api.json("/x", { signal: controller.signal }));
    expect(error.code).toBe(Code.Canceled);
    expect(hits).toBe(1);
  });
});

describe("raw fetch", () => {
  it("resolves with any status, never retries, and sends auth and headers", async () => {
    failFirst(5, 503);
    const api = client({ token: "t0k3n", headers: { "x-client": "a" } });
    const response = await api.fetch("/v2/health/ready", { headers: { "x-call": "b" } });
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ error: "failure 1" });
    expect(hits).toBe(1);
    expect(seen[0]?.headers.authorization).toBe("Bearer t0k3n");
    expect(seen[0]?.headers["x-client"]).toBe("a");
    expect(seen[0]?.headers["x-call"]).toBe("b");
  });

  it("joins the base URL's prefix and the query", async () => {
    const api = client({ baseUrl: `${server.baseUrl}/prefix/` });
    await api.fetch("/info/models", { query: { model_ids: ["a", "b"] } });
    expect(seen[0]?.url).toBe("/prefix/info/models?model_ids=a&model_ids=b");
    expect(api.url("x", { q: 1 })).toBe(`${server.baseUrl}/prefix/x?q=1`);
  });

  it("times out, aborts and fails to connect with the same codes", async () => {
    handler = () => new Promise(() => undefined);
    const api = client({ timeoutMs: 40 });
    expect((await caught(api.fetch("/slow"))).code).toBe(Code.DeadlineExceeded);
    expect((await caught(api.fetch("/slow", { signal: AbortSignal.abort() }))).code).toBe(
      Code.Canceled,
    );
    const port = await closedPort();
    const refused = await caught(client({ baseUrl: `http://127.0.0.1:${port}` }).fetch("/"));
    expect(refused.code).toBe(Code.Unavailable);
  });
});

describe("auth and headers", () => {
  it("sends Authorization: Bearer <token> (the platform's token authorization)", async () => {
    await client({ token: "abc" }).json("/x");
    expect(seen[0]?.headers.authorization).toBe("Bearer abc");
  });

  it("asks a token function before every attempt", async () => {
    failFirst(2, 503);
    let calls = 0;
    await client({ token: async () => `t${++calls}` }).json("/x");
    expect(seen.map((request) => request.headers.authorization)).toEqual([
      "Bearer t1",
      "Bearer t2",
      "Bearer t3",
    ]);
  });

  it("sends no Authorization without a token or with an empty one", async () => {
    await client().json("/x");
    await client({ token: "" }).json("/x");
    expect(seen.map((request) => request.headers.authorization)).toEqual([undefined, undefined]);
  });

  it("lets call headers override client headers, and null remove one", async () => {
    const api = client({ token: "abc", headers: { "x-a": "client", "x-b": "client" } });
    await api.json("/x", { headers: { "x-a": "call", authorization: null } });
    const headers = seen[0]?.headers;
    expect(headers?.["x-a"]).toBe("call");
    expect(headers?.["x-b"]).toBe("client");
    expect(headers?.authorization).toBeUndefined();
    expect(headers?.accept).toBe("application/json");
    await client({ headers: { accept: null } }).json("/x");
    expect(seen[1]?.headers.accept).not.toBe("application/json");
  });

  it("reports a token that cannot be a header value as INVALID_ARGUMENT, sending nothing", async () => {
    const api = client({ token: "abc\r\nx-injected: 1" });
    const error = await caught(api.json("/x"));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(hits).toBe(0);
    expect(api.delays).toEqual([]);
  });

  it("reports a failing token function as UNAUTHENTICATED without sending or retrying", async () => {
    const api = client({
      token: () => {
        throw new Error("token file missing");
      },
    });
    const error = await caught(api.json("/x"));
    expect(error.code).toBe(Code.Unauthenticated);
    expect(error.rawMessage).toBe("could not obtain the bearer token: token file missing");
    expect(hits).toBe(0);
    expect(api.delays).toEqual([]);
  });
});

describe("bodies", () => {
  it("json() yields undefined for an empty body and INTERNAL for one that is not JSON", async () => {
    handler = (_request, reply) => reply.code(204).send();
    expect(await client().json("/x")).toBeUndefined();
    handler = (_request, reply) => reply.type("text/plain").send("<html>proxy page</html>");
    const error = await caught(client().json("/x"));
    expect(error.code).toBe(Code.Internal);
    expect(error.body).toBe("<html>proxy page</html>");
    expect(error.retryable).toBe(false);
    expect(hits).toBe(2);
  });

  it("request() resolves with the unread 2xx response", async () => {
    handler = (_request, reply) => reply.type("text/plain").send("pong");
    const response = await client().request("/ping");
    expect(response.bodyUsed).toBe(false);
    expect(await response.text()).toBe("pong");
  });

  it("reads a plain-text error body (kube-rbac-proxy's Unauthorized, kserve-v2.md §5)", async () => {
    handler = (_request, reply) => reply.code(401).type("text/plain").send("Unauthorized\n");
    const error = await caught(client().json("/x"));
    expect(error.message).toBe("[unauthenticated] Unauthorized");
    expect(error.body).toBe("Unauthorized\n");
  });

  it("reads an empty error body as the status line (Authorino's 401, kserve-v2.md §5)", async () => {
    handler = (_request, reply) =>
      reply.code(401).header("www-authenticate", 'Bearer realm="x"').send();
    const error = await caught(client().json("/x"));
    expect(error.message).toBe("[unauthenticated] HTTP 401 Unauthorized");
    expect(error.metadata.get("www-authenticate")).toBe('Bearer realm="x"');
  });

  it("rejects a body given twice or one that cannot be serialised", async () => {
    expect((await caught(client().json("/x", { json: {}, body: "x" }))).code).toBe(
      Code.InvalidArgument,
    );
    expect((await caught(client().json("/x", { json: { big: 1n } }))).code).toBe(
      Code.InvalidArgument,
    );
    expect(hits).toBe(0);
  });
});

describe("stream", () => {
  it("yields the events of a text/event-stream response and ends at [DONE]", async () => {
    handler = (_request, reply) =>
      sse(reply, ['data: {"n":1}\n\n', 'data: {"n":2}\n\n', "data: [DONE]\n\n"]);
    const api = client();
    const values: unknown[] = [];
    for await (const value of api.stream("/v1/completions", { json: { stream: true } }).json()) {
      values.push(value);
    }
    expect(values).toEqual([{ n: 1 }, { n: 2 }]);
    expect(seen[0]?.headers.accept).toBe("text/event-stream");
    expect(seen[0]?.method).toBe("POST");
  });

  it("accepts text/event-stream with parameters, and ends at once on an empty body", async () => {
    handler = (_request, reply) =>
      reply.type("text/event-stream; charset=utf-8").send("event: message\r\ndata: x\r\n\r\n");
    expect(await drain(client().stream("/s"))).toEqual(["x"]);
    handler = (_request, reply) => reply.code(204).send();
    expect(await drain(client().stream("/s"))).toEqual([]);
  });

  it("throws INTERNAL with the body when a 2xx answer is not an event stream", async () => {
    handler = () => ({ choices: [{ text: "not streamed" }] });
    const error = await caught(drain(client().stream("/v1/completions", { json: {} })));
    expect(error.code).toBe(Code.Internal);
    expect(error.rawMessage).toMatch(
      /^expected a text\/event-stream response, got application\/json/,
    );
    expect(error.body).toEqual({ choices: [{ text: "not streamed" }] });
    expect(hits).toBe(1);
  });

  it("sends nothing until iterated", async () => {
    client().stream("/never");
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(hits).toBe(0);
  });

  it("retries a failed status before the stream starts", async () => {
    handler = (_request, reply, hit) =>
      hit === 1 ? reply.code(503).send({ error: "warming up" }) : sse(reply, ["data: a\n\n"]);
    expect(await drain(client().stream("/s"))).toEqual(["a"]);
    expect(hits).toBe(2);
  });

  it("retries a connection lost before the first event", async () => {
    handler = (_request, reply, hit) =>
      hit === 1 ? sse(reply, [], { end: "destroy" }) : sse(reply, ["data: a\n\n"]);
    expect(await drain(client().stream("/s"))).toEqual(["a"]);
    expect(hits).toBe(2);
  });

  it("never retries after the first event: a lost connection is thrown mid-stream", async () => {
    handler = (_request, reply) => sse(reply, ["data: a\n\n"], { end: "destroy", gapMs: 10 });
    const received: string[] = [];
    let error: unknown;
    try {
      for await (const item of client().stream("/s")) {
        received.push(item.data);
      }
    } catch (thrown) {
      error = thrown;
    }
    expect(received).toEqual(["a"]);
    expect(error).toBeInstanceOf(ServingkitError);
    expect((error as ServingkitError).code).toBe(Code.Unavailable);
    expect(hits).toBe(1);
  });

  it("throws an in-band error with the status it states, not retried when not retryable", async () => {
    handler = (_request, reply) =>
      sse(reply, [
        'event: error\r\ndata: {"details": "Please provide model_id in payload", "code": 400, "id": "x"}\r\n\r\n',
      ]);
    const error = await caught(drain(client().stream("/s")));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.httpStatus).toBe(400);
    expect(error.rawMessage).toBe("Please provide model_id in payload");
    expect(error.metadata.get("content-type")).toBe("text/event-stream");
    expect(hits).toBe(1);
  });

  it("`break` aborts the HTTP request: the server sees the connection close", async () => {
    let closed: (() => void) | undefined;
    const serverSawClose = new Promise<void>((resolve) => {
      closed = resolve;
    });
    handler = (_request, reply) => {
      reply.raw.on("close", () => closed?.());
      sse(
        reply,
        Array.from({ length: 500 }, (_, index) => `data: ${index}\n\n`),
        { gapMs: 10 },
      );
    };
    for await (const item of client().stream("/s")) {
      expect(item.data).toBe("0");
      break;
    }
    await serverSawClose;
    expect(seen[0]?.raw.socket?.destroyed ?? true).toBe(true);
  });

  it("a caller abort during the stream is thrown as CANCELED", async () => {
    handler = (_request, reply) =>
      sse(
        reply,
        Array.from({ length: 500 }, (_, index) => `data: ${index}\n\n`),
        { gapMs: 10 },
      );
    const controller = new AbortController();
    const received: string[] = [];
    const error = await caught(
      (async () => {
        for await (const item of client().stream("/s", { signal: controller.signal })) {
          received.push(item.data);
          if (received.length === 2) {
            controller.abort();
          }
        }
      })(),
    );
    expect(error.code).toBe(Code.Canceled);
    expect(received).toEqual(["0", "1"]);
  });

  it("the attempt timeout runs until the first event, and not after it", async () => {
    handler = (_request, reply, hit) =>
      hit === 1
        ? sse(reply, [], { end: "hang" })
        : sse(reply, ["data: first\n\n", "data: late\n\n"], { gapMs: 600 });
    // Generous margins: the first event must beat 200 ms on a loaded machine; the gap is 3x that.
    const api = client({ timeoutMs: 200, maxRetries: 1 });
    expect(await drain(api.stream("/s"))).toEqual(["first", "late"]);
    expect(hits).toBe(2);
  });

  it("is single use", async () => {
    handler = (_request, reply) => sse(reply, ["data: a\n\n"]);
    const stream = client().stream("/s");
    await drain(stream);
    expect(() => stream[Symbol.asyncIterator]()).toThrow(ServingkitError);
  });
});

describe("options", () => {
  it("rejects bad options at once with INVALID_ARGUMENT", () => {
    const bad: Partial<ClientOptions>[] = [
      { baseUrl: "not a url" },
      { baseUrl: "ftp://host" },
      { timeoutMs: 0 },
      { timeoutMs: -1 },
      { timeoutMs: Number.NaN },
      { maxRetries: -1 },
      { maxRetries: 1.5 },
      { tls: { insecure: true }, fetch: globalThis.fetch },
    ];
    for (const options of bad) {
      let error: unknown;
      try {
        createHttpClient({ baseUrl: "http://127.0.0.1:1", ...options });
      } catch (thrown) {
        error = thrown;
      }
      expect(error, JSON.stringify(options)).toBeInstanceOf(ServingkitError);
      expect((error as ServingkitError).code).toBe(Code.InvalidArgument);
    }
  });

  it("uses an injected fetch, and the global fetch as it is at call time", async () => {
    const urls: string[] = [];
    const fetch: typeof globalThis.fetch = async (input) => {
      urls.push(String(input));
      return Response.json({ injected: true });
    };
    expect(await client({ fetch }).json("/y")).toEqual({ injected: true });
    expect(urls).toEqual([`${server.baseUrl}/y`]);
    const original = globalThis.fetch;
    const api = client();
    globalThis.fetch = fetch;
    try {
      expect(await api.json("/z")).toEqual({ injected: true });
    } finally {
      globalThis.fetch = original;
    }
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let tries = 0; tries < 2000 && !condition(); tries++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  expect(condition()).toBe(true);
}
