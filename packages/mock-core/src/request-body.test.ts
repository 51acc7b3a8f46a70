/**
 * The one body reader of every mock's fastify host, over real sockets (`node:net` where the
 * client must lie or leave): the bytes a route sees, their placement, and the answers to bodies
 * the host cannot use. Error codes are fastify's (lib/content-type-parser.js `rawBody`, which the
 * reader keeps word for word); the REST host maps them (rest-host.ts error handler): too large →
 * the runtime's `bodyError` hook, any other 4xx → its `errorBody` hook. What Node's HTTP parser
 * refuses before fastify sees a byte is Node's own `400 Bad Request` (http server `clientError`).
 */
import { createHash } from "node:crypto";
import { once } from "node:events";
import { request } from "node:http";
import { connect } from "node:net";
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { type BuiltMock, buildMock, type RunningMock, startMock } from "./mock.js";
import type { MockPlugin } from "./plugin.js";
import { BodyPool, releaseChunk, requestBodyParser } from "./request-body.js";
import { registerRestRouteTable } from "./rest-route-table.js";

const apps: FastifyInstance[] = [];
const mocks: RunningMock[] = [];
const built: BuiltMock[] = [];
afterEach(async () => {
  const open = [...apps.splice(0), ...mocks.splice(0), ...built.splice(0)];
  await Promise.all(open.map((m) => m.close()));
});

/** A bare fastify app whose catch-all parser is the reader; the route echoes what it got. */
async function echoApp(limit: number, padding?: (headers: object) => number): Promise<number> {
  const app = Fastify();
  apps.push(app);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", requestBodyParser({ limit, padding }));
  app.post("/", async (request) => {
    const body = request.body as Buffer;
    const head = Number(request.headers["x-head"] ?? 0);
    return { text: body.toString("latin1"), tailOffset: (body.byteOffset + head) % 8 };
  });
  await app.listen({ port: 0, host: "127.0.0.1" });
  return (app.server.address() as { port: number }).port;
}

/**
 * Writes `parts` to a fresh connection a few ms apart (so the server mostly reads them as
 * separate chunks), then half-closes (`end`) or, with `destroy`, drops the connection; resolves
 * with everything the server wrote before closing its side.
 */
async function raw(
  port: number,
  parts: readonly string[],
  options: { readonly destroy?: boolean; readonly answerFirst?: boolean } = {},
): Promise<string> {
  const socket = connect(port, "127.0.0.1");
  await once(socket, "connect");
  let got = "";
  socket.setEncoding("latin1");
  socket.on("data", (d: string) => {
    got += d;
  });
  socket.on("error", () => {});
  const closed = once(socket, "close");
  for (const [i, part] of parts.entries()) {
    socket.write(part);
    await new Promise((resolve) => setTimeout(resolve, 5));
    // With `answerFirst`, the rest waits for an answer to the first part (a busy server could
    // otherwise read both parts at once).
    while (options.answerFirst && i === 0 && got === "") {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
  if (options.destroy) {
    socket.destroy();
    return got;
  }
  socket.end();
  await closed;
  return got;
}

/** The status line and body of each HTTP/1.1 answer in `wire`, in order. */
function answers(wire: string): { status: number; body: string }[] {
  const found: { status: number; body: string }[] = [];
  let rest = wire;
  while (rest.startsWith("HTTP/1.1 ")) {
    const end = rest.indexOf("\r\n\r\n");
    const head = rest.slice(0, end);
    const status = Number(head.slice(9, 12));
    const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
    found.push({ status, body: rest.slice(end + 4, end + 4 + length) });
    rest = rest.slice(end + 4 + length);
  }
  return found;
}

function post(headers: string, body = ""): string {
  return `POST / HTTP/1.1\r\nHost: x\r\n${headers}\r\n${body}`;
}

describe("requestBodyParser", () => {
  it("hands the route the bytes sent, with and without Content-Length, across many reads", async () => {
    const port = await echoApp(1024);
    const text = "abcdefghijklmnopqrstuvwxyz";
    const sized = answers(
      await raw(port, [
        post(`Content-Length: ${text.length}\r\n`),
        "abcdefgh",
        "ijklmnopqrstuvwxyz",
      ]),
    );
    expect(sized).toHaveLength(1);
    expect(JSON.parse(sized[0]?.body ?? "")).toEqual({ text, tailOffset: 0 });
    const chunked = answers(
      await raw(port, [
        post("Transfer-Encoding: chunked\r\n"),
        "8\r\nabcdefgh\r\n",
        "12\r\nijklmnopqrstuvwxyz\r\n",
        "0\r\n\r\n",
      ]),
    );
    expect(JSON.parse(chunked[0]?.body ?? "")).toEqual({ text, tailOffset: 0 });
  });

  it("places the body so that the bytes after `padding`'s header land 8-byte aligned", async () => {
    // kserve-v2.md §2: binary tensors follow a JSON header; the runtime views them in place.
    const port = await echoApp(1024, (headers) => {
      const head = Number((headers as Record<string, string>)["x-head"]);
      return (8 - (head % 8)) % 8;
    });
    for (const head of [0, 1, 3, 5, 8, 13]) {
      const text = `${"j".repeat(head)}tensor-bytes`;
      for (const framing of ["sized", "chunked"]) {
        const request =
          framing === "sized"
            ? [post(`X-Head: ${head}\r\nContent-Length: ${text.length}\r\n`, text)]
            : [
                post(`X-Head: ${head}\r\nTransfer-Encoding: chunked\r\n`),
                `3\r\n${text.slice(0, 3)}\r\n`,
                `${(text.length - 3).toString(16)}\r\n${text.slice(3)}\r\n0\r\n\r\n`,
              ];
        const [answer] = answers(await raw(port, request));
        expect(JSON.parse(answer?.body ?? "")).toEqual({ text, tailOffset: 0 });
      }
    }
  });

  it("hands the route parse(bytes), and a parse error to fastify's error handler", async () => {
    const app = Fastify();
    apps.push(app);
    app.removeAllContentTypeParsers();
    const parse = (bytes: Buffer) => {
      if (bytes.length === 0) throw Object.assign(new Error("empty"), { statusCode: 418 });
      return bytes.toString("utf8").toUpperCase();
    };
    app.addContentTypeParser("*", requestBodyParser({ limit: 64, parse }));
    app.post("/", async (request) => ({ body: request.body }));
    const parsed = await app.inject({ method: "POST", url: "/", payload: "abc" });
    expect(parsed.json()).toEqual({ body: "ABC" });
    const refused = await app.inject({
      method: "POST",
      url: "/",
      payload: "",
      headers: { "content-type": "text/plain" },
    });
    expect([refused.statusCode, refused.json().message]).toEqual([418, "empty"]);
  });
});

/** fastify.js `defaultClientErrorHandler`: its body for a request Node's parser refused. */
const clientError = '{"error":"Bad Request","message":"Client Error","statusCode":400}';

/** What the test runtime's hooks answer, so each test sees which hook the host chose. */
const hooks: Pick<MockPlugin, "bodyError" | "errorBody"> = {
  bodyError: (error) => ({ status: 413, body: `bodyError ${error.kind}` }),
  errorBody: (status, message) => ({ status, body: `errorBody ${status} ${message}` }),
};

/** A plugin whose raw-body table echoes the bytes, and a JSON route through the host parser. */
function bodiesPlugin(called: () => void): MockPlugin {
  return {
    name: "bodies",
    ...hooks,
    async rest(app, ctx) {
      app.post("/json", async (request) => ({ got: request.body ?? null }));
      await app.register(async (child) =>
        registerRestRouteTable(child, ctx, {
          rawBodies: true,
          routes: [
            {
              method: "POST",
              path: "/",
              handle: (request) => {
                called();
                return { status: 200, body: `got ${(request.body as Buffer).toString("latin1")}` };
              },
            },
          ],
        }),
      );
    },
  };
}

/** A running mock with {@link bodiesPlugin}, and how often its raw-body route ran. */
async function host(bodyLimit: number): Promise<{ port: number; calls: () => number }> {
  let calls = 0;
  const plugin = bodiesPlugin(() => {
    calls += 1;
  });
  const mock = await startMock({
    runtime: "ovms",
    host: "127.0.0.1",
    httpPort: 0,
    grpcPort: 0,
    bodyLimit,
    plugins: [plugin],
  });
  mocks.push(mock);
  return { port: Number(new URL(mock.endpoints.http as string).port), calls: () => calls };
}

describe("the REST host's answers to bodies it cannot use", () => {
  it("a body of announced size over the limit: the runtime's bodyError hook (too-large)", async () => {
    // fastify FST_ERR_CTP_BODY_TOO_LARGE, checked against Content-Length before a byte is read.
    const { port, calls } = await host(8);
    const wire = await raw(port, [post("Content-Length: 9\r\n", "123456789")]);
    expect(answers(wire)[0]).toEqual({ status: 413, body: "bodyError too-large" });
    expect(calls()).toBe(0);
  });

  it("a chunked body (no length) that grows past the limit: the same too-large answer", async () => {
    // fastify FST_ERR_CTP_BODY_TOO_LARGE, counted as the chunks arrive.
    const { port, calls } = await host(8);
    const wire = await raw(port, [
      post("Transfer-Encoding: chunked\r\n"),
      "5\r\n12345\r\n",
      "5\r\n67890\r\n",
      "0\r\n\r\n",
    ]);
    expect(answers(wire)[0]).toEqual({ status: 413, body: "bodyError too-large" });
    expect(calls()).toBe(0);
  });

  it("a JSON body over the limit on the host's own JSON parser: the same too-large answer", async () => {
    const { port } = await host(8);
    const json = '{"a":"123456789"}';
    const wire = await raw(port, [
      `POST /json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${json.length}\r\n\r\n${json}`,
    ]);
    expect(answers(wire)[0]).toEqual({ status: 413, body: "bodyError too-large" });
  });

  it("a chunked body within the limit reaches the route whole", async () => {
    const { port } = await host(64);
    const wire = await raw(port, [
      post("Transfer-Encoding: chunked\r\n"),
      "5\r\n12345\r\n",
      "4\r\n6789\r\n",
      "0\r\n\r\n",
    ]);
    expect(answers(wire)).toEqual([{ status: 200, body: "got 123456789" }]);
  });

  it("Content-Length shorter than the bytes sent: the route gets that many, the rest is a 400", async () => {
    // Node's HTTP parser reads exactly Content-Length bytes; what follows must be the next
    // request, and bytes that are not one are a parse error: fastify's defaultClientErrorHandler
    // answers it with its own 400 JSON and closes the connection.
    const { port } = await host(64);
    const wire = await raw(port, [post("Content-Length: 4\r\n", "1234"), "567890\r\n\r\n"], {
      answerFirst: true,
    });
    expect(answers(wire)).toEqual([
      { status: 200, body: "got 1234" },
      { status: 400, body: clientError },
    ]);
  });

  it("Content-Length longer than the bytes sent (a truncated body): the route never runs", async () => {
    // The client half-closes mid-body: llhttp calls the end of input an error (invalid EOF state)
    // and fastify's defaultClientErrorHandler answers; nothing reaches the route or its hooks.
    const { port, calls } = await host(64);
    const wire = await raw(port, [post("Content-Length: 10\r\n", "12345")]);
    expect(answers(wire)).toEqual([{ status: 400, body: clientError }]);
    expect(calls()).toBe(0);
  });

  it("a chunked body cut before its last chunk: the route never runs", async () => {
    const { port, calls } = await host(64);
    const wire = await raw(port, [post("Transfer-Encoding: chunked\r\n"), "5\r\n12345\r\n"]);
    expect(answers(wire)).toEqual([{ status: 400, body: clientError }]);
    expect(calls()).toBe(0);
  });

  it("a body whose length differs from Content-Length once read: the errorBody hook's 400", async () => {
    // fastify FST_ERR_CTP_INVALID_CONTENT_LENGTH ("Request body size did not match
    // Content-Length", 400), which a socket never shows (Node's parser frames by the header) but an
    // injected request or a decoding preParsing stream can: the host hands it to errorBody.
    const mock = await buildMock({ runtime: "ovms", plugins: [bodiesPlugin(() => {})] });
    built.push(mock);
    for (const length of ["9", "3"]) {
      const res = await mock.http.inject({
        method: "POST",
        url: "/",
        payload: "12345",
        headers: { "content-length": length },
      });
      expect([res.statusCode, res.body]).toEqual([
        400,
        "errorBody 400 Request body size did not match Content-Length",
      ]);
    }
  });

  it("an upload the client drops mid-body: the route never runs and the host keeps serving", async () => {
    const { port, calls } = await host(1 << 20);
    await raw(port, [post("Content-Length: 100000\r\n", "x".repeat(50_000))], { destroy: true });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls()).toBe(0);
    const wire = await raw(port, [post("Content-Length: 2\r\n", "ok")]);
    expect(answers(wire)).toEqual([{ status: 200, body: "got ok" }]);
  });

  it("a Content-Length that is not a number: fastify's client-error 400 before any route or hook", async () => {
    // llhttp refuses it (HPE_INVALID_CONTENT_LENGTH) before a request exists: fastify's
    // defaultClientErrorHandler answers, never the runtime's hooks.
    const { port, calls } = await host(64);
    const wire = await raw(port, [post("Content-Length: ten\r\n", "1234567890")]);
    expect(answers(wire)).toEqual([{ status: 400, body: clientError }]);
    expect(calls()).toBe(0);
  });
});

describe("releaseChunk", () => {
  it("frees a chunk that is all of its own memory (4 KiB or more), nothing that shares memory", () => {
    // node_http_parser.cc on_body: each body chunk is `Buffer::Copy(env, at, length)`, a buffer
    // of its own; those are what the reader frees once copied.
    const own = new Uint8Array(64 * 1024).fill(7);
    expect(releaseChunk(own)).toBe(true);
    expect([own.byteLength, own.buffer.byteLength]).toEqual([0, 0]);
    const whole = new Uint8Array(8192);
    // A view of part of a buffer, at its start or further in: the rest may be someone's.
    expect(releaseChunk(whole.subarray(0, 4096))).toBe(false);
    expect(releaseChunk(whole.subarray(4096))).toBe(false);
    expect(whole.byteLength).toBe(8192);
    // Under 4 KiB: where Node's Buffer slices its shared pool (Buffer.poolSize / 2).
    expect(releaseChunk(new Uint8Array(4095))).toBe(false);
    const pooled = Buffer.from("a small chunk from the shared pool");
    expect(releaseChunk(pooled)).toBe(false);
    expect(pooled.toString()).toBe("a small chunk from the shared pool");
    const shared = new Uint8Array(new SharedArrayBuffer(8192));
    expect(releaseChunk(shared)).toBe(false);
    expect(shared.byteLength).toBe(8192);
  });

  /** A reader whose chunks a first listener also sees (same objects, before the reader copies). */
  async function watchedApp(): Promise<{ app: FastifyInstance; seen: Buffer[] }> {
    const app = Fastify({ bodyLimit: 4 * 1024 * 1024 });
    apps.push(app);
    const seen: Buffer[] = [];
    const reader = requestBodyParser({ limit: 4 * 1024 * 1024 });
    app.removeAllContentTypeParsers();
    app.addContentTypeParser("*", (request, payload, done) => {
      payload.on("data", (chunk: Buffer) => seen.push(chunk));
      reader(request, payload, done);
    });
    app.post("/", async (request) => {
      const body = request.body as Buffer;
      return { bytes: body.byteLength, sha256: createHash("sha256").update(body).digest("hex") };
    });
    return { app, seen };
  }

  const big = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < big.byteLength; i++) big[i] = (i * 31) % 251;
  const bigDigest = createHash("sha256").update(big).digest("hex");

  it("a socket's request: the route gets every byte, the parser's copies are freed as read", async () => {
    const { app, seen } = await watchedApp();
    await app.listen({ port: 0, host: "127.0.0.1" });
    const response = await fetch(
      `http://127.0.0.1:${(app.server.address() as { port: number }).port}/`,
      {
        method: "POST",
        headers: { "content-type": "application/octet-stream" },
        body: big,
      },
    );
    expect(await response.json()).toEqual({ bytes: big.byteLength, sha256: bigDigest });
    expect(seen.length).toBeGreaterThan(1);
    // Freed after the copy: empty now (a last short read under 4 KiB may stay).
    const freed = seen.filter((chunk) => chunk.byteLength === 0).length;
    expect(freed).toBeGreaterThanOrEqual(seen.length - 1);
    expect(freed).toBeGreaterThan(0);
  });

  it("a chunked upload (no Content-Length): the same bytes, its chunks freed once joined", async () => {
    const { app, seen } = await watchedApp();
    await app.listen({ port: 0, host: "127.0.0.1" });
    const port = (app.server.address() as { port: number }).port;
    const answer = await new Promise<string>((resolve, reject) => {
      const outgoing = request(
        { port, host: "127.0.0.1", method: "POST", path: "/", headers: { "content-type": "a/b" } },
        (response) => {
          let text = "";
          response.setEncoding("utf8");
          response.on("data", (part: string) => {
            text += part;
          });
          response.on("end", () => resolve(text));
        },
      );
      outgoing.on("error", reject);
      // No Content-Length: node:http sends the body chunked.
      for (let at = 0; at < big.byteLength; at += 256 * 1024) {
        outgoing.write(big.subarray(at, at + 256 * 1024));
      }
      outgoing.end();
    });
    expect(JSON.parse(answer)).toEqual({ bytes: big.byteLength, sha256: bigDigest });
    expect(seen.filter((chunk) => chunk.byteLength === 0).length).toBeGreaterThan(0);
  });

  it("an injected request: the caller's buffer is never freed", async () => {
    const { app, seen } = await watchedApp();
    const response = await app.inject({
      method: "POST",
      url: "/",
      headers: { "content-type": "application/octet-stream" },
      payload: big,
    });
    expect(response.json()).toEqual({ bytes: big.byteLength, sha256: bigDigest });
    expect(big.byteLength).toBe(1024 * 1024);
    expect(seen.every((chunk) => chunk.byteLength > 0)).toBe(true);
  });
});

describe("BodyPool", () => {
  it("lends memory, takes back only what it lent, once, and keeps at most `keep` buffers", () => {
    const pool = new BodyPool({ minBytes: 16, keep: 1 });
    const first = pool.take(3, 100);
    expect([first.byteOffset, first.byteLength]).toEqual([3, 100]);
    pool.give(first);
    pool.give(first);
    pool.give(Buffer.alloc(100));
    const again = pool.take(0, 90);
    expect(again.buffer).toBe(first.buffer);
    // Nothing free now: a fresh buffer; of two given back, one is kept.
    const other = pool.take(0, 90);
    expect(other.buffer).not.toBe(first.buffer);
    pool.give(again);
    pool.give(other);
    expect(pool.take(0, 90).buffer).toBe(first.buffer);
    expect(pool.take(0, 90).buffer).not.toBe(other.buffer);
  });

  it("never lends a buffer more than twice the size asked for", () => {
    const pool = new BodyPool({ minBytes: 16 });
    const big = pool.take(0, 1000);
    pool.give(big);
    expect(pool.take(0, 100).buffer).not.toBe(big.buffer);
    expect(pool.take(0, 600).buffer).toBe(big.buffer);
  });
});

describe("pooled bodies of a route table", () => {
  /** A raw-body table: `/pooled` returns its body's memory, `/kept` does not; both echo a digest. */
  async function pooledHost(): Promise<{ port: number; memories: ArrayBufferLike[] }> {
    const memories: ArrayBufferLike[] = [];
    const handle = async (request: {
      body: unknown;
      headers: Record<string, string | undefined>;
    }) => {
      const body = request.body as Buffer;
      memories.push(body.buffer);
      const wait = Number(request.headers["x-wait"] ?? 0);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      // The answer is a view of the body, as an identity model's binary output is.
      return { status: 200, body: body.subarray(0, 8) };
    };
    const plugin: MockPlugin = {
      name: "pooled",
      async rest(app, ctx) {
        await app.register(async (child) =>
          registerRestRouteTable(child, ctx, {
            rawBodies: true,
            routes: [
              { method: "POST", path: "/pooled", pooledBody: true, handle },
              { method: "POST", path: "/kept", handle },
            ],
          }),
        );
      },
    };
    const mock = await startMock({
      runtime: "ovms",
      host: "127.0.0.1",
      httpPort: 0,
      grpcPort: 0,
      bodyLimit: 4 << 20,
      plugins: [plugin],
    });
    mocks.push(mock);
    return { port: Number(new URL(mock.endpoints.http as string).port), memories };
  }
  const mib = 1024 * 1024;
  const send = async (port: number, path: string, fill: string, headers = {}) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream", ...headers },
      body: Buffer.alloc(mib + 5, fill),
    });
    return Buffer.from(await res.arrayBuffer()).toString("latin1");
  };

  it("reuses a large body's memory once the answer has finished, each answer its own bytes", async () => {
    const { port, memories } = await pooledHost();
    expect(await send(port, "/pooled", "a")).toBe("aaaaaaaa");
    expect(await send(port, "/pooled", "b")).toBe("bbbbbbbb");
    expect(memories[1]).toBe(memories[0]);
    // Answers at once each get their own memory and bytes.
    const together = await Promise.all(["c", "d", "e"].map((f) => send(port, "/pooled", f)));
    expect(together).toEqual(["cccccccc", "dddddddd", "eeeeeeee"]);
  });

  it("never reuses the body of a route that did not ask, nor of an answer the client left", async () => {
    const { port, memories } = await pooledHost();
    await send(port, "/kept", "a");
    await send(port, "/kept", "b");
    expect(memories[1]).not.toBe(memories[0]);
    // The client leaves while the route still works: that body's memory never returns.
    const gone = new AbortController();
    const ran = memories.length;
    const left = fetch(`http://127.0.0.1:${port}/pooled`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream", "x-wait": "200" },
      body: Buffer.alloc(mib + 5, "x"),
      signal: gone.signal,
    }).catch(() => "gone");
    while (memories.length === ran) await new Promise((resolve) => setTimeout(resolve, 5));
    gone.abort();
    expect(await left).toBe("gone");
    await new Promise((resolve) => setTimeout(resolve, 250));
    const abandoned = memories[ran];
    expect(await send(port, "/pooled", "d")).toBe("dddddddd");
    expect(await send(port, "/pooled", "e")).toBe("eeeeeeee");
    expect(memories.slice(-2)).not.toContain(abandoned);
  });
});
