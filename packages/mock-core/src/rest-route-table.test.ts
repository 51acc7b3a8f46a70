import { request as httpRequest } from "node:http";
import { Readable } from "node:stream";
import Fastify from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { faultHeader, parseFault } from "./fault.js";
import { Readiness } from "./readiness.js";
import {
  healthRouteTable,
  hostBody,
  isPushStreamBody,
  matchRestRoute,
  type PushStreamBody,
  queryRecord,
  type RestRoute,
  type RestRouteRequest,
  registerRestRouteTable,
  untilStreamEnd,
} from "./rest-route-table.js";
import { runtimeCatalog } from "./runtime-catalog.js";

const route = (method: RestRoute["method"], path: string): RestRoute => ({
  method,
  path,
  handle: () => ({ status: 200, body: path }),
});

describe("matchRestRoute", () => {
  const routes = [
    route("GET", "/v2/models/:name"),
    route("GET", "/v2/models/stats"),
    route("POST", "/v2/models/:name/versions/:version/infer"),
  ];

  it("prefers literal segments over parameters, as fastify's router does", () => {
    const match = matchRestRoute(routes, "GET", "/v2/models/stats");
    expect(match.kind === "route" && match.route.path).toBe("/v2/models/stats");
  });

  it("decodes parameters and lets HEAD find GET routes", () => {
    const match = matchRestRoute(routes, "HEAD", "/v2/models/a%20b");
    expect(match).toMatchObject({ kind: "route", params: { name: "a b" } });
  });

  it("tells a wrong method (405 with the allowed methods) from an unknown path", () => {
    expect(matchRestRoute(routes, "POST", "/v2/models/x")).toEqual({
      kind: "method-not-allowed",
      allowed: ["GET", "HEAD"],
    });
    expect(matchRestRoute(routes, "GET", "/v2/models/x/versions/1/infer")).toEqual({
      kind: "method-not-allowed",
      allowed: ["POST"],
    });
    expect(matchRestRoute(routes, "GET", "/v3")).toEqual({ kind: "not-found" });
    expect(matchRestRoute(routes, "GET", "/v2/models/")).toEqual({ kind: "not-found" });
  });
});

describe("healthRouteTable", () => {
  it("answers readiness from the shared state and liveness always (catalog data)", async () => {
    const readiness = new Readiness(false);
    const table = healthRouteTable(runtimeCatalog.triton, readiness);
    const answer = async (path: string) => {
      const match = matchRestRoute(table.routes, "GET", path);
      if (match.kind !== "route") throw new Error(`no route ${path}`);
      return match.route.handle({
        method: "GET",
        path,
        headers: {},
        params: match.params,
        query: {},
        body: undefined,
        signal: new AbortController().signal,
      });
    };
    // kserve-v2.md §3.1: Triton's live route answers 200 while the ready route answers 400.
    expect((await answer("/v2/health/live")).status).toBe(200);
    expect((await answer("/v2/health/ready")).status).toBe(400);
  });
});

describe("queryRecord", () => {
  it("gives repeated keys as arrays", () => {
    expect(queryRecord(new URLSearchParams("a=1&b=2&b=3"))).toEqual({ a: "1", b: ["2", "3"] });
  });
});

describe("hostBody (fastify's body rules, for hosts that read bytes)", () => {
  const bytes = (text: string) => Buffer.from(text);
  const body = (method: string, contentType: string | undefined, text: string, raw = false) =>
    hostBody({ method, contentType, bytes: bytes(text), raw });

  it("parses JSON, empty JSON is undefined, malformed JSON is a body error", () => {
    expect(body("POST", "application/json; charset=utf-8", '{"a":1}')).toEqual({ body: { a: 1 } });
    expect(body("POST", "application/json", "")).toEqual({ body: undefined });
    expect(body("POST", "application/json", "{")).toMatchObject({
      error: { kind: "malformed-json" },
    });
  });

  it("gives other content types as bytes, even empty; no type and no body is undefined", () => {
    expect(body("POST", "text/plain", "")).toEqual({ body: bytes("") });
    expect(body("POST", undefined, "x")).toEqual({ body: bytes("x") });
    expect(body("POST", undefined, "")).toEqual({ body: undefined });
    expect(body("GET", "application/json", "{")).toEqual({ body: undefined });
  });

  it("gives a raw table the bytes whatever the type", () => {
    expect(body("POST", "application/json", "{", true)).toEqual({ body: bytes("{") });
    expect(body("GET", undefined, "", true)).toEqual({ body: bytes("") });
  });
});

describe("registerRestRouteTable on fastify", () => {
  it("answers synchronous and asynchronous handlers alike; a throw or rejection is the host's 500", async () => {
    const app = Fastify();
    app.setErrorHandler((error: Error, _request, reply) => {
      reply.code(500).send(`host: ${error.message}`);
    });
    const reply = (body: string) => ({ status: 200, headers: { "x-route": "1" }, body });
    registerRestRouteTable(
      app,
      { restFault: () => undefined },
      {
        routes: [
          { method: "GET", path: "/sync", handle: () => reply("sync") },
          { method: "GET", path: "/async", handle: async () => reply("async") },
          {
            method: "GET",
            path: "/throws",
            handle: () => {
              throw new Error("sync failure");
            },
          },
          {
            method: "GET",
            path: "/rejects",
            handle: async () => Promise.reject(new Error("late")),
          },
        ],
      },
    );
    const answers = await Promise.all(
      ["/sync", "/async", "/throws", "/rejects"].map((url) => app.inject({ method: "GET", url })),
    );
    expect(answers.map((a) => [a.statusCode, a.body, a.headers["x-route"]])).toEqual([
      [200, "sync", "1"],
      [200, "async", "1"],
      [500, "host: sync failure", undefined],
      [500, "host: late", undefined],
    ]);
    await app.close();
  });
});

type Chunk = string | Uint8Array;

/** Bodies piped by the host (push form), to show the push path ran. */
let pipes = 0;
/** Answers over, as untilStreamEnd reports them. */
let releases = 0;

/**
 * `source` with the push form too (rest-route-table.ts PushStreamBody), driven from its iterator:
 * the host's push path under the same cases as the iterator path.
 */
function pushed(source: AsyncIterable<Chunk>): AsyncIterable<Chunk> & PushStreamBody {
  return {
    [Symbol.asyncIterator]: () => source[Symbol.asyncIterator](),
    pushTo(sink) {
      pipes += 1;
      const iterator = source[Symbol.asyncIterator]();
      let closed = false;
      let held: (() => void) | undefined;
      const pump = async () => {
        try {
          for (;;) {
            const next = await iterator.next();
            if (closed) return;
            if (next.done) return sink.end();
            if (!sink.write(next.value)) await new Promise<void>((resume) => (held = resume));
            if (closed) return;
          }
        } catch (error) {
          if (!closed) sink.fail(error);
        }
      };
      void pump();
      return {
        resume: () => held?.(),
        close: () => {
          closed = true;
          held?.();
          void iterator.return?.();
        },
      };
    },
  };
}

describe("isPushStreamBody", () => {
  // A Node Readable (pipe, push) or a web ReadableStream (pipeTo) is no push-form body: the host
  // iterates it.
  it("tells the push form by pushTo, not by a stream's pipe", () => {
    expect(isPushStreamBody(Readable.from(["a"]))).toBe(false);
    expect(isPushStreamBody(new ReadableStream())).toBe(false);
    expect(isPushStreamBody(pushed(Readable.from(["a"])))).toBe(true);
  });
});

describe.each([
  ["async iterable", (source: AsyncIterable<Chunk>) => source],
  ["push form", pushed],
])("streamed replies on fastify (written straight to the socket): %s", (_form, asBody) => {
  const closers: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    pipes = 0;
    releases = 0;
  });

  /** One streaming route, its fault read from the request header as the host does. */
  async function serve(
    chunks: (request: RestRouteRequest) => AsyncIterable<string | Uint8Array>,
  ): Promise<string> {
    const app = Fastify();
    registerRestRouteTable(
      app,
      {
        restFault: (request) => {
          const header = request.headers[faultHeader];
          return typeof header === "string" ? parseFault(header) : undefined;
        },
      },
      {
        routes: [
          {
            method: "POST",
            path: "/stream",
            handle: (request) => ({
              status: 200,
              headers: { "content-type": "text/event-stream; charset=utf-8", "x-test": "1" },
              // Wrapped as vLLM counts its streams in /load: the body's form must survive it.
              body: untilStreamEnd(asBody(chunks(request)), () => {
                releases += 1;
              }),
            }),
          },
        ],
      },
    );
    const address = await app.listen({ host: "127.0.0.1", port: 0 });
    closers.push(() => app.close());
    return `${address}/stream`;
  }

  /** Reads a response to its end, or to the dropped connection. */
  async function read(url: string, headers: Record<string, string> = {}) {
    const res = await fetch(url, { method: "POST", headers });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = "";
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return { res, text, dropped: false };
        text += decoder.decode(value, { stream: true });
      }
    } catch {
      return { res, text, dropped: true };
    }
  }

  const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

  it("sends the status and headers as given, then each chunk as it comes, then ends", async () => {
    const url = await serve(async function* () {
      yield "data: 1\n\n";
      await tick();
      yield new TextEncoder().encode("data: 2\n\n");
    });
    const { res, text, dropped } = await read(url);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(res.headers.get("x-test")).toBe("1");
    expect([text, dropped]).toEqual(["data: 1\n\ndata: 2\n\n", false]);
    // The host pipes a body that offers the push form, and iterates the others.
    expect(pipes).toBe(asBody === pushed ? 1 : 0);
    expect(releases).toBe(1);
  });

  // fault.ts grammar: with cut-after, REST connections are dropped mid-body after N chunks.
  it("cut-after=N drops the connection after N chunks and closes the source", async () => {
    const log: string[] = [];
    const url = await serve(async function* () {
      try {
        for (let i = 0; i < 10; i++) {
          yield `chunk ${i}\n`;
          await tick();
        }
      } finally {
        log.push("source closed");
      }
    });
    const { text, dropped } = await read(url, { [faultHeader]: "cut-after=3" });
    expect([text, dropped]).toEqual(["chunk 0\nchunk 1\nchunk 2\n", true]);
    await expect.poll(() => log).toEqual(["source closed"]);
    expect(releases).toBe(1);
  });

  it("cut-after=0 sends the headers and drops the connection before any chunk", async () => {
    const url = await serve(async function* () {
      yield "never\n";
    });
    const { res, text, dropped } = await read(url, { [faultHeader]: "cut-after=0" });
    expect([res.status, text, dropped]).toEqual([200, "", true]);
  });

  it("a source that fails after the headers drops the connection", async () => {
    const url = await serve(async function* () {
      yield "one\n";
      throw new Error("boom");
    });
    expect(await read(url)).toMatchObject({ text: "one\n", dropped: true });
    expect(releases).toBe(1);
  });

  it("a client that leaves aborts the route's signal and closes the source", async () => {
    const log: string[] = [];
    let signal: AbortSignal | undefined;
    const url = await serve(async function* (request) {
      signal = request.signal;
      try {
        for (;;) {
          yield "tick\n";
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      } finally {
        log.push("source closed");
      }
    });
    const controller = new AbortController();
    const res = await fetch(url, { method: "POST", signal: controller.signal });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    controller.abort();
    await expect.poll(() => [signal?.aborted, log]).toEqual([true, ["source closed"]]);
    expect(releases).toBe(1);
  });

  it("waits for drain: a client that does not read holds the source back", async () => {
    let pulled = 0;
    const log: string[] = [];
    const url = await serve(async function* () {
      try {
        for (;;) {
          pulled += 1;
          yield new Uint8Array(256 * 1024);
        }
      } finally {
        log.push("source closed");
      }
    });
    // A raw request whose answer is never read: the socket's buffers fill, then writes wait.
    const req = httpRequest(url, { method: "POST" });
    req.end();
    const res = await new Promise<import("node:http").IncomingMessage>((resolve) =>
      req.once("response", resolve),
    );
    res.pause();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const held = pulled;
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Without back-pressure the source would run on without bound (gigabytes in 200 ms).
    expect(pulled).toBe(held);
    expect(held).toBeLessThan(200);
    req.destroy();
    await expect.poll(() => log).toEqual(["source closed"]);
  });
});

describe("the route signal: client gone, and shutdown where the table asks", () => {
  const closers: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  /**
   * One POST route whose handler hands its request to `seen` and answers when `answer` resolves
   * (a non-streaming body still being made), on a host with a shutdown signal.
   */
  async function serve(
    abortOnShutdown: boolean | undefined,
    answer: () => Promise<string>,
    readSignal = true,
  ) {
    const shutdown = new AbortController();
    const seen: RestRouteRequest[] = [];
    const app = Fastify();
    registerRestRouteTable(
      app,
      { restFault: () => undefined, shutdownSignal: shutdown.signal },
      {
        ...(abortOnShutdown !== undefined && { abortOnShutdown }),
        routes: [
          {
            method: "POST",
            path: "/answer",
            handle: async (request) => {
              seen.push(request);
              // Read before the answer is made, as a generation route that waits does.
              if (readSignal) void request.signal;
              return { status: 200, body: await answer() };
            },
          },
        ],
      },
    );
    const address = await app.listen({ host: "127.0.0.1", port: 0 });
    closers.push(() => app.close());
    return { url: `${address}/answer`, shutdown, seen };
  }

  /** Sends a complete request body on a raw socket, waits for the route, then drops the socket. */
  async function sendThenDrop(url: string, seen: readonly RestRouteRequest[]) {
    const req = httpRequest(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
    });
    req.on("error", () => {});
    req.end("{}");
    await expect.poll(() => seen.length).toBe(1);
    req.destroy();
  }

  it("a client that leaves while a non-streaming body is made aborts the signal (no `aborted` listener)", async () => {
    // Node closes the response when its socket closes (the response's close before its end is the
    // client leaving; IncomingMessage `aborted` is deprecated since Node 17).
    let release = () => {};
    const { url, seen } = await serve(
      undefined,
      () => new Promise<string>((resolve) => (release = () => resolve("late"))),
    );
    await sendThenDrop(url, seen);
    await expect.poll(() => seen[0]?.signal.aborted).toBe(true);
    expect(seen[0]?.signal.reason).toEqual(new Error("client disconnected"));
    release();
  });

  it("signalAborted answers without making the signal: false while the client waits, true once it left", async () => {
    let release = () => {};
    const { url, seen } = await serve(
      undefined,
      () => new Promise<string>((resolve) => (release = () => resolve("late"))),
      false,
    );
    const answered = fetch(url, { method: "POST" }).then((res) => res.text());
    await expect.poll(() => seen.length).toBe(1);
    expect(seen[0]?.signalAborted).toBe(false);
    release();
    expect(await answered).toBe("late");
    const dropped = await serve(undefined, () => new Promise<string>(() => {}), false);
    await sendThenDrop(dropped.url, dropped.seen);
    await expect.poll(() => dropped.seen[0]?.signalAborted).toBe(true);
    // The signal made after the client left is aborted from the start, as clientGone makes it.
    expect(dropped.seen[0]?.signal.aborted).toBe(true);
  });

  it("with abortOnShutdown, signalAborted is true once shutdown began", async () => {
    let release = () => {};
    const { url, shutdown, seen } = await serve(
      true,
      () => new Promise<string>((resolve) => (release = () => resolve("done"))),
      false,
    );
    const answered = fetch(url, { method: "POST" }).then((res) => res.text());
    await expect.poll(() => seen.length).toBe(1);
    expect(seen[0]?.signalAborted).toBe(false);
    shutdown.abort(new Error("shutting down"));
    expect(seen[0]?.signalAborted).toBe(true);
    release();
    expect(await answered).toBe("done");
  });

  it("without abortOnShutdown the signal ignores shutdown and says so", async () => {
    let release = () => {};
    const { url, shutdown, seen } = await serve(
      false,
      () => new Promise<string>((resolve) => (release = () => resolve("done"))),
    );
    const answered = fetch(url, { method: "POST" }).then((res) => res.text());
    await expect.poll(() => seen.length).toBe(1);
    shutdown.abort(new Error("shutting down"));
    expect([seen[0]?.signalCoversShutdown, seen[0]?.signal.aborted]).toEqual([false, false]);
    release();
    expect(await answered).toBe("done");
  });

  it("with abortOnShutdown, shutdown aborts the open answers' signals with its reason", async () => {
    let release = () => {};
    const { url, shutdown, seen } = await serve(
      true,
      () => new Promise<string>((resolve) => (release = () => resolve("done"))),
    );
    const answered = fetch(url, { method: "POST" }).then((res) => res.text());
    await expect.poll(() => seen.length).toBe(1);
    expect([seen[0]?.signalCoversShutdown, seen[0]?.signal.aborted]).toEqual([true, false]);
    const reason = new Error("shutting down");
    shutdown.abort(reason);
    expect(seen[0]?.signal.reason).toBe(reason);
    release();
    expect(await answered).toBe("done");
  });

  it("with abortOnShutdown, an answer that has ended is no longer reached by shutdown", async () => {
    const { url, shutdown, seen } = await serve(true, async () => "done");
    expect(await (await fetch(url, { method: "POST" })).text()).toBe("done");
    await new Promise((resolve) => setTimeout(resolve, 20)); // the response's close
    shutdown.abort(new Error("shutting down"));
    expect(seen[0]?.signal.aborted).toBe(false);
  });

  it("with abortOnShutdown, a request after shutdown began starts aborted", async () => {
    const { url, shutdown, seen } = await serve(true, async () => "done");
    shutdown.abort(new Error("shutting down"));
    expect(await (await fetch(url, { method: "POST" })).text()).toBe("done");
    expect(seen[0]?.signal.aborted).toBe(true);
  });
});
