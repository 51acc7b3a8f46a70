/**
 * The unary fast path as clients see it: @grpc/grpc-js (an independent client) and raw
 * `node:http2` requests (to send what grpc-js never sends: bad frames, garbage, lying lengths),
 * against a listening mock whose test plugin registers grpc.health.v1.Health with an
 * implementation that does what a test asks (metadata key `x-test`).
 */
import { connect as connectHttp2, type IncomingHttpHeaders } from "node:http2";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import {
  Health,
  HealthCheckRequestSchema,
  HealthCheckResponse_ServingStatus,
} from "@servingkit/proto/health";
import { afterEach, describe, expect, it } from "vitest";
import { seededRandom } from "./engine/random.js";
import { deadlineExceededMessage } from "./grpc-fast-path.js";
import { frameMessage } from "./grpc-frame.js";
import { type MockOptions, type RunningMock, startMock } from "./mock.js";
import type { MockPlugin } from "./plugin.js";
import { createRequestLogger } from "./request-log.js";

const healthProto = fileURLToPath(
  new URL("../../../proto/grpc/health/v1/health.proto", import.meta.url),
);
const HealthClient = (
  grpc.loadPackageDefinition(
    protoLoader.loadSync(healthProto, { keepCase: true, enums: String }),
  ) as unknown as { grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } } }
).grpc.health.v1.Health;

const checkPath = "/grpc.health.v1.Health/Check";
const watchPath = "/grpc.health.v1.Health/Watch";

/** What the test implementation saw of its calls. */
interface Seen {
  hookRuns: number;
  contexts: HandlerContext[];
  aborted: unknown[];
  /** Messages an `endless` Watch has yielded. */
  yielded: number;
  /** A Watch implementation's iterator was closed (its `finally` ran). */
  closed: boolean;
  /** Lets a `late-signal` call go on. */
  release?: (value: unknown) => void;
}

/** Health/Check that answers by the `x-test` metadata: ok, headers, fail, fail-after-header, throw, hang. */
function testPlugin(seen: Seen): MockPlugin {
  return {
    name: "test-health",
    grpc(router) {
      seen.hookRuns += 1;
      router.service(Health, {
        async check(request, context) {
          seen.contexts.push(context);
          const mode = context.requestHeader.get("x-test") ?? "ok";
          if (mode === "late-signal") {
            // Reads its signal only once the test lets it go on (the fast path makes it then).
            await new Promise((resolve) => {
              seen.release = resolve;
            });
            seen.aborted.push(context.signal.aborted ? context.signal.reason : "not aborted");
            return { status: HealthCheckResponse_ServingStatus.SERVING };
          }
          context.signal.addEventListener("abort", () => seen.aborted.push(context.signal.reason));
          if (mode === "headers") {
            context.responseHeader.set("x-answer-header", "h");
            context.responseTrailer.set("x-answer-trailer", "t");
          }
          if (mode === "fail") {
            throw new ConnectError("model 'a/b': x=1; 100% é", Code.NotFound, {
              "x-error-detail": "d",
            });
          }
          if (mode === "fail-after-header") {
            context.responseHeader.set("x-answer-header", "h");
            throw new ConnectError("late", Code.FailedPrecondition);
          }
          if (mode === "throw") throw new Error("not a ConnectError");
          if (mode === "bad-header") context.responseHeader.set("connection", "close");
          if (mode === "bad-trailer") context.responseTrailer.set("connection", "close");
          if (mode === "hang") {
            await new Promise((resolve) =>
              context.signal.addEventListener("abort", resolve, { once: true }),
            );
          }
          return {
            status:
              request.service === ""
                ? HealthCheckResponse_ServingStatus.SERVING
                : HealthCheckResponse_ServingStatus.SERVICE_UNKNOWN,
          };
        },
        async *watch(_request, context) {
          const mode = context.requestHeader.get("x-test") ?? "three";
          try {
            if (mode === "none") return;
            if (mode === "endless") {
              for (;;) {
                seen.yielded += 1;
                yield { status: HealthCheckResponse_ServingStatus.SERVING };
              }
            }
            yield { status: HealthCheckResponse_ServingStatus.SERVING };
            if (mode === "fail-mid") throw new ConnectError("gone", Code.NotFound);
            yield { status: HealthCheckResponse_ServingStatus.NOT_SERVING };
            yield { status: HealthCheckResponse_ServingStatus.SERVING };
          } finally {
            seen.closed = true;
          }
        },
      });
    },
  };
}

const running: RunningMock[] = [];
const clients: grpc.Client[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(running.splice(0).map((m) => m.close()));
});

/** TGIS serves no health of its own (caikit-tgis.md §3), so the test plugin's Health is the only one. */
async function start(options: Partial<MockOptions> = {}) {
  const seen: Seen = { hookRuns: 0, contexts: [], aborted: [], yielded: 0, closed: false };
  const lines: string[] = [];
  const mock = await startMock({
    runtime: "tgis",
    host: "127.0.0.1",
    httpPort: 0,
    grpcPort: 0,
    plugins: [testPlugin(seen)],
    logger: createRequestLogger("info", { write: (line) => lines.push(line) }),
    ...options,
  });
  running.push(mock);
  const client = new HealthClient(mock.endpoints.grpc as string, grpc.credentials.createInsecure());
  clients.push(client);
  return { mock, seen, lines, client };
}

interface CallResult {
  reply?: { status: string };
  error?: grpc.ServiceError;
  headers?: grpc.Metadata;
  status?: grpc.StatusObject;
}

function check(client: grpc.Client, md: Record<string, string> = {}): Promise<CallResult> {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(md)) metadata.set(key, value);
  return new Promise((resolve) => {
    const result: CallResult = {};
    const call = (
      client as unknown as Record<string, (...a: unknown[]) => grpc.ClientUnaryCall>
    ).Check?.(
      { service: "" },
      metadata,
      (error: grpc.ServiceError | null, reply: { status: string }) => {
        if (error) result.error = error;
        else result.reply = reply;
      },
    ) as grpc.ClientUnaryCall;
    call.on("metadata", (headers: grpc.Metadata) => {
      result.headers = headers;
    });
    call.on("status", (status: grpc.StatusObject) => {
      result.status = status;
      setImmediate(() => resolve(result));
    });
  });
}

/** What a raw HTTP/2 request got back: headers, body bytes, trailers (none for trailers-only). */
interface RawAnswer {
  headers: IncomingHttpHeaders;
  body: Buffer;
  trailers?: IncomingHttpHeaders;
}

/** Sends one request on its own HTTP/2 connection, as a gRPC client would but with any body. */
function rawCall(
  mock: RunningMock,
  body: Uint8Array,
  extra: Record<string, string> = {},
  path = checkPath,
): Promise<RawAnswer> {
  const session = connectHttp2(`http://${mock.endpoints.grpc}`);
  return new Promise<RawAnswer>((resolve, reject) => {
    const request = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
      ...extra,
    });
    const chunks: Buffer[] = [];
    let headers: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders | undefined;
    request.on("response", (h) => {
      headers = h;
    });
    request.on("trailers", (t) => {
      trailers = t;
    });
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () =>
      resolve({ headers, body: Buffer.concat(chunks), ...(trailers ? { trailers } : {}) }),
    );
    request.on("error", reject);
    request.end(body);
  }).finally(() => session.close());
}

const checkRequest = (service = "") =>
  frameMessage(toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema, { service })));

/** The grpc-status of a raw answer, wherever it came (trailers, or headers of a trailers-only answer). */
const statusOf = (answer: RawAnswer) => Number((answer.trailers ?? answer.headers)["grpc-status"]);

describe("unary fast path: answers as a gRPC server", () => {
  it("answers HEADERS (application/grpc), one framed message, TRAILERS grpc-status 0", async () => {
    // PROTOCOL-HTTP2.md: Response -> Response-Headers *Length-Prefixed-Message Trailers; grpc-go
    // contentType("") and grpc core answer "application/grpc" (connect answers "+proto": the
    // content type shows this call took the fast path).
    const { mock } = await start();
    const answer = await rawCall(mock, checkRequest());
    expect(answer.headers[":status"]).toBe(200);
    expect(answer.headers["content-type"]).toBe("application/grpc");
    expect([...answer.body]).toEqual([0, 0, 0, 0, 2, 8, 1]); // status: SERVING (field 1 = 1)
    expect(answer.trailers?.["grpc-status"]).toBe("0");
  });

  it("runs the plugins' grpc hooks once: both paths call the same implementation objects", async () => {
    const { client, seen } = await start();
    await check(client);
    expect(seen.hookRuns).toBe(1);
  });

  it("gives the implementation connect's HandlerContext: metadata, url, method, protocol", async () => {
    const { mock, client, seen } = await start();
    expect((await check(client, { "x-test": "ok", "x-caller": "c1" })).reply).toEqual({
      status: "SERVING",
    });
    const context = seen.contexts[0] as HandlerContext;
    expect(context.requestHeader.get("x-caller")).toBe("c1");
    expect([...context.requestHeader.keys()].filter((name) => name.startsWith(":"))).toEqual([]);
    expect(context.url).toBe(`http://${mock.endpoints.grpc}${checkPath}`);
    expect(context.method.name).toBe("Check");
    expect(context.protocolName).toBe("grpc");
    expect(context.timeoutMs()).toBeUndefined();
    // Connect aborts a call's signal once the call is done; so does the fast path.
    expect(context.signal.aborted).toBe(true);
  });

  it("sends the response headers and trailers the implementation set", async () => {
    const { client } = await start();
    const result = await check(client, { "x-test": "headers" });
    expect(result.reply).toEqual({ status: "SERVING" });
    expect(result.headers?.get("x-answer-header")).toEqual(["h"]);
    expect(result.status?.metadata.get("x-answer-trailer")).toEqual(["t"]);
  });

  it("a ConnectError becomes grpc-status, grpc-message (as grpc core encodes it) and its metadata, trailers-only", async () => {
    // grpc-go WriteStatus: no headers sent and none set -> one HEADERS frame with END_STREAM.
    const { mock, client } = await start();
    const result = await check(client, { "x-test": "fail" });
    expect(result.error?.code).toBe(grpc.status.NOT_FOUND);
    expect(result.error?.details).toBe("model 'a/b': x=1; 100% é");
    expect(result.error?.metadata.get("x-error-detail")).toEqual(["d"]);
    const raw = await rawCall(mock, checkRequest(), { "x-test": "fail" });
    expect(raw.trailers).toBeUndefined();
    expect(raw.headers["grpc-status"]).toBe(String(Code.NotFound));
    expect(raw.headers["grpc-message"]).toBe("model 'a/b': x=1; 100%25 %C3%A9");
    expect(raw.body.byteLength).toBe(0);
  });

  it("an error after the implementation set headers: HEADERS, then TRAILERS with the status", async () => {
    // grpc-go WriteStatus: header metadata set -> "Send a separate header frame" first.
    const { mock, client } = await start();
    const result = await check(client, { "x-test": "fail-after-header" });
    expect(result.error?.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(result.headers?.get("x-answer-header")).toEqual(["h"]);
    const raw = await rawCall(mock, checkRequest(), { "x-test": "fail-after-header" });
    expect(raw.headers["x-answer-header"]).toBe("h");
    expect(raw.trailers?.["grpc-status"]).toBe(String(Code.FailedPrecondition));
  });

  it("an implementation that throws something else: INTERNAL 'internal error', as connect answers", async () => {
    const { client } = await start();
    const result = await check(client, { "x-test": "throw" });
    expect(result.error?.code).toBe(grpc.status.INTERNAL);
    expect(result.error?.details).toBe("internal error");
  });

  it("a header or trailer HTTP/2 forbids: the stream is reset (INTERNAL), the server keeps serving", async () => {
    // RFC 9113 §8.2.2: connection-specific fields such as `connection` must not appear.
    const { client } = await start();
    expect((await check(client, { "x-test": "bad-header" })).error?.code).toBe(
      grpc.status.INTERNAL,
    );
    expect((await check(client, { "x-test": "bad-trailer" })).error?.code).toBe(
      grpc.status.INTERNAL,
    );
    expect((await check(client)).reply).toEqual({ status: "SERVING" });
  });

  it("logs one line per call with the code it ended with", async () => {
    const { client, lines } = await start();
    await check(client);
    await check(client, { "x-test": "fail" });
    await new Promise((r) => setTimeout(r, 20));
    const calls = lines.map((line) => JSON.parse(line)).filter((entry) => entry.msg === "call");
    expect(calls.map((c) => [c.rpc, c.code])).toEqual([
      [checkPath, "OK"],
      [checkPath, "NOT_FOUND"],
    ]);
  });
});

describe("unary fast path: deadlines and cancellation", () => {
  it("grpc-timeout: the implementation sees it, and DEADLINE_EXCEEDED ends a call still running", async () => {
    // grpc/grpc doc/statuscodes.md: "Deadline expires before server returns status:
    // DEADLINE_EXCEEDED" (both sides); the status message is grpc core's.
    const { mock, seen } = await start();
    const answer = await rawCall(mock, checkRequest(), { "x-test": "hang", "grpc-timeout": "30m" });
    expect(answer.headers["grpc-status"]).toBe(String(Code.DeadlineExceeded));
    expect(answer.headers["grpc-message"]).toBe(deadlineExceededMessage);
    expect(seen.aborted).toHaveLength(1);
    expect((seen.aborted[0] as ConnectError).code).toBe(Code.DeadlineExceeded);
    // connect's timeoutMs(): the milliseconds left before the deadline (30 ms; past by now).
    expect((seen.contexts[0] as HandlerContext).timeoutMs()).toBeLessThanOrEqual(30);
  });

  it("a signal first read after the deadline passed is already aborted with DEADLINE_EXCEEDED", async () => {
    const { mock, seen } = await start();
    const answer = await rawCall(mock, checkRequest(), {
      "x-test": "late-signal",
      "grpc-timeout": "20m",
    });
    expect(answer.headers["grpc-status"]).toBe(String(Code.DeadlineExceeded));
    seen.release?.(undefined);
    while (seen.aborted.length === 0) await new Promise((r) => setTimeout(r, 5));
    expect((seen.aborted[0] as ConnectError).code).toBe(Code.DeadlineExceeded);
  });

  it("a signal first read after the client reset is already aborted with CANCELED", async () => {
    const { client, seen } = await start();
    const metadata = new grpc.Metadata();
    metadata.set("x-test", "late-signal");
    const call = (
      client as unknown as Record<string, (...a: unknown[]) => grpc.ClientUnaryCall>
    ).Check?.({ service: "" }, metadata, () => {}) as grpc.ClientUnaryCall;
    while (seen.release === undefined) await new Promise((r) => setTimeout(r, 5));
    call.cancel();
    await new Promise((r) => setTimeout(r, 50));
    seen.release(undefined);
    while (seen.aborted.length === 0) await new Promise((r) => setTimeout(r, 5));
    expect((seen.aborted[0] as ConnectError).code).toBe(Code.Canceled);
  });

  it("a grpc-js deadline: DEADLINE_EXCEEDED and the implementation's signal aborts", async () => {
    const { client, seen } = await start();
    const metadata = new grpc.Metadata();
    metadata.set("x-test", "hang");
    const error = await new Promise<grpc.ServiceError>((resolve) =>
      (client as unknown as Record<string, (...a: unknown[]) => void>).Check?.(
        { service: "" },
        metadata,
        { deadline: Date.now() + 500 }, // long enough for the call to start on a busy machine
        (e: grpc.ServiceError) => resolve(e),
      ),
    );
    expect(error.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    while (seen.aborted.length === 0) await new Promise((r) => setTimeout(r, 5));
  });

  it("client cancellation aborts the implementation's signal; the log says RESET", async () => {
    const { client, seen, lines } = await start();
    const metadata = new grpc.Metadata();
    metadata.set("x-test", "hang");
    const call = (
      client as unknown as Record<string, (...a: unknown[]) => grpc.ClientUnaryCall>
    ).Check?.({ service: "" }, metadata, () => {}) as grpc.ClientUnaryCall;
    while (seen.contexts.length === 0) await new Promise((r) => setTimeout(r, 5));
    call.cancel();
    while (seen.aborted.length === 0) await new Promise((r) => setTimeout(r, 5));
    expect((seen.aborted[0] as ConnectError).code).toBe(Code.Canceled);
    while (lines.length === 0) await new Promise((r) => setTimeout(r, 5));
    expect(JSON.parse(lines[0] as string)).toMatchObject({ rpc: checkPath, code: "RESET" });
  });
  it("graceful shutdown aborts a running call's signal (connect links the shutdown signal) and lets it answer", async () => {
    const { mock, client, seen } = await start();
    const pending = check(client, { "x-test": "hang" });
    while (seen.contexts.length === 0) await new Promise((r) => setTimeout(r, 5));
    const closing = mock.close();
    expect((await pending).reply).toEqual({ status: "SERVING" });
    expect(seen.aborted).toHaveLength(1);
    await closing;
  });
});

describe("unary fast path: bad requests", () => {
  it("a message that does not parse: INTERNAL (statuscodes.md: error parsing request proto)", async () => {
    const { mock } = await start();
    const answer = await rawCall(mock, frameMessage(Uint8Array.from([0x0a, 0xff, 0xff])));
    expect(statusOf(answer)).toBe(Code.Internal);
  });

  it("a truncated frame or a lying length: INTERNAL; no message or two: UNIMPLEMENTED", async () => {
    const { mock } = await start();
    const message = checkRequest();
    expect(statusOf(await rawCall(mock, message.subarray(0, 3)))).toBe(Code.Internal);
    const lying = Buffer.from(message);
    lying.writeUInt32BE(1 << 30, 1);
    expect(statusOf(await rawCall(mock, lying))).toBe(Code.Internal);
    expect(statusOf(await rawCall(mock, new Uint8Array(0)))).toBe(Code.Unimplemented);
    expect(statusOf(await rawCall(mock, Buffer.concat([message, message])))).toBe(
      Code.Unimplemented,
    );
  });

  it("Compressed-Flag 1 without grpc-encoding: INTERNAL", async () => {
    // PROTOCOL-HTTP2.md Compressed-Flag; statuscodes.md: could not decompress -> INTERNAL.
    const { mock } = await start();
    const frame = checkRequest();
    frame[0] = 1;
    expect(statusOf(await rawCall(mock, frame))).toBe(Code.Internal);
  });

  it("grpc-encoding gzip goes to connect, which decompresses and answers", async () => {
    const { mock } = await start();
    const message = toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema));
    const zipped = gzipSync(message);
    const frame = Buffer.concat([Buffer.from([1, 0, 0, 0, zipped.byteLength]), zipped]);
    const answer = await rawCall(mock, frame, { "grpc-encoding": "gzip" });
    expect(answer.trailers?.["grpc-status"]).toBe("0");
    expect(answer.headers["content-type"]).toBe("application/grpc+proto");
  });

  it("grpc-encoding connect does not know: UNIMPLEMENTED (grpc doc/compression.md)", async () => {
    const { mock } = await start();
    const answer = await rawCall(mock, checkRequest(), { "grpc-encoding": "snappy" });
    expect(statusOf(answer)).toBe(Code.Unimplemented);
  });

  it("a malformed grpc-timeout goes to connect: INVALID_ARGUMENT as before", async () => {
    const { mock } = await start();
    const answer = await rawCall(mock, checkRequest(), { "grpc-timeout": "soon" });
    expect(statusOf(answer)).toBe(Code.InvalidArgument);
  });

  it("fuzz: random bodies get a gRPC status each, and the server keeps serving", async () => {
    const { mock, client } = await start();
    const random = seededRandom(7);
    for (let i = 0; i < 60; i += 1) {
      const length = Math.floor(random() * 40);
      const body = Buffer.from(Array.from({ length }, () => Math.floor(random() * 256)));
      if (length > 5 && random() < 0.5) body.set([0, 0, 0, 0, length - 5]);
      const answer = await rawCall(mock, body);
      expect(answer.headers[":status"]).toBe(200);
      expect(Number.isInteger(statusOf(answer))).toBe(true);
    }
    expect((await check(client)).reply).toEqual({ status: "SERVING" });
  });
});

describe("unary fast path: platform behaviours", () => {
  it("x-servingkit-fault metadata: a status, and cut-after=0 resets (delay: grpc-host.test.ts)", async () => {
    const { client } = await start();
    const failed = await check(client, { "x-servingkit-fault": "grpc=UNAVAILABLE,message=later" });
    expect(failed.error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(failed.error?.details).toBe("later");
    // A unary answer is one message: cut after 0 resets the stream (grpc-js: RST_STREAM -> INTERNAL).
    const cut = await check(client, { "x-servingkit-fault": "cut-after=0" });
    expect(cut.error?.code).toBe(grpc.status.INTERNAL);
  });

  it("configured fault rates apply on the fast path", async () => {
    const draws = [0.05, 0.5];
    const { client } = await start({
      faults: { rules: [{ rate: 0.1, fault: { grpcCode: 8 } }], random: () => draws.shift() ?? 1 },
    });
    expect((await check(client)).error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect((await check(client)).reply).toEqual({ status: "SERVING" });
  });

  it("token auth comes first: serverless trailers-only UNAUTHENTICATED, raw HTTP 401", async () => {
    const serverless = await start({ tokens: ["t"] });
    const denied = await check(serverless.client);
    expect(denied.error?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(serverless.seen.contexts).toHaveLength(0);
    expect((await check(serverless.client, { authorization: "Bearer t" })).reply).toEqual({
      status: "SERVING",
    });
    const raw = await start({ tokens: ["t"], authMode: "raw" });
    const answer = await rawCall(raw.mock, checkRequest());
    expect(answer.headers[":status"]).toBe(401);
    expect(answer.body.toString()).toBe("Unauthorized\n");
  });
});

/** The messages of a raw answer body: their lengths, frame by frame (PROTOCOL-HTTP2.md framing). */
function frames(body: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at + 5 <= body.byteLength; ) {
    const length = body.readUInt32BE(at + 1);
    out.push(body.subarray(at + 5, at + 5 + length));
    at += 5 + length;
  }
  return out;
}

describe("server-streaming fast path", () => {
  it("HEADERS (application/grpc), each message framed as the implementation yields it, TRAILERS 0", async () => {
    // PROTOCOL-HTTP2.md: Response -> Response-Headers *Length-Prefixed-Message Trailers.
    const { mock, seen } = await start();
    const answer = await rawCall(mock, checkRequest(), {}, watchPath);
    expect(answer.headers["content-type"]).toBe("application/grpc"); // connect sends +proto
    expect(frames(answer.body).map((m) => [...m])).toEqual([
      [8, 1],
      [8, 2],
      [8, 1],
    ]);
    expect(answer.trailers?.["grpc-status"]).toBe("0");
    expect(seen.closed).toBe(true);
  });

  it("an error after messages ends with TRAILERS carrying the status; no message: trailers-only OK", async () => {
    // grpc-go WriteStatus: headers already sent -> the status goes in the trailers; none sent and
    // none set -> one HEADERS frame with END_STREAM.
    const { mock } = await start();
    const failed = await rawCall(mock, checkRequest(), { "x-test": "fail-mid" }, watchPath);
    expect(frames(failed.body)).toHaveLength(1);
    expect(failed.trailers?.["grpc-status"]).toBe(String(Code.NotFound));
    expect(failed.trailers?.["grpc-message"]).toBe("gone");
    const none = await rawCall(mock, checkRequest(), { "x-test": "none" }, watchPath);
    expect(none.trailers).toBeUndefined();
    expect(none.headers["grpc-status"]).toBe("0");
    expect(none.body.byteLength).toBe(0);
  });

  it("a client that stops reading holds the implementation back (flow control); its reset closes the iterator", async () => {
    // RFC 9113 §5.2: the sender may not exceed the receiver's window; the server waits for drain.
    const { mock, seen } = await start();
    const session = connectHttp2(`http://${mock.endpoints.grpc}`);
    try {
      const request = session.request({
        ":method": "POST",
        ":path": watchPath,
        "content-type": "application/grpc",
        te: "trailers",
        "x-test": "endless",
      });
      request.on("error", () => {});
      request.pause();
      request.end(checkRequest());
      while (seen.yielded === 0) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, 200));
      const held = seen.yielded;
      await new Promise((r) => setTimeout(r, 200));
      expect(seen.yielded).toBe(held);
      expect(seen.closed).toBe(false);
      request.close(0x8); // CANCEL
      while (!seen.closed) await new Promise((r) => setTimeout(r, 5));
    } finally {
      session.close();
    }
  });

  it("a deadline that passes mid-stream: DEADLINE_EXCEEDED in the trailers, the iterator closed", async () => {
    const { mock, seen } = await start();
    const session = connectHttp2(`http://${mock.endpoints.grpc}`);
    try {
      const trailers = await new Promise<IncomingHttpHeaders>((resolve, reject) => {
        const request = session.request({
          ":method": "POST",
          ":path": watchPath,
          "content-type": "application/grpc",
          te: "trailers",
          "x-test": "endless",
          "grpc-timeout": "100m",
        });
        request.on("trailers", resolve);
        request.on("error", reject);
        request.pause(); // unread: the implementation waits on flow control when the deadline passes
        request.end(checkRequest());
        setTimeout(() => request.resume(), 300);
      });
      expect(trailers["grpc-status"]).toBe(String(Code.DeadlineExceeded));
      while (!seen.closed) await new Promise((r) => setTimeout(r, 5));
    } finally {
      session.close();
    }
  });
});
