/**
 * The servers of the runtime scenarios: a runtime mock with its protocol (`@servingkit/mocks`),
 * and bare baselines that answer the mock's own bytes, captured once before the run (a fastify
 * route, a `@grpc/grpc-js` service, a `node:http` SSE ticker). Every spec is plain data, so it
 * crosses into a worker thread or child process as is.
 */
import { once } from "node:events";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import * as grpc from "@grpc/grpc-js";
import type { RuntimeName, RuntimeOptionValues } from "@servingkit/mock-core";
import fastify from "fastify";
import { listenGrpcServer } from "./listen-grpc.js";
import type { RunningServer } from "./servers.js";

/** A runtime mock exactly as `servingkit mock <runtime> [--option ...]` starts it, logging off. */
export interface RuntimeMockSpec {
  readonly kind: "runtime-mock";
  readonly runtime: RuntimeName;
  /** The family module's options (`inter-token-latency` ...), by name without dashes. */
  readonly values?: RuntimeOptionValues;
  /** Served model ids (the host's `models`); default the runtime's. */
  readonly models?: readonly string[];
  /** Which endpoint the load goes to. */
  readonly protocol: "http" | "grpc";
}

/** A bare fastify route answering every POST to `path` with the same captured answer. */
export interface CannedHttpSpec {
  readonly kind: "canned-http";
  readonly path: string;
  readonly status: number;
  /** Answer headers to repeat (content type, `inference-header-content-length`). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

/** A bare `@grpc/grpc-js` service answering `path` with the captured message(s). */
export interface CannedGrpcSpec {
  readonly kind: "canned-grpc";
  readonly path: string;
  /** Unary: one message; server streaming: the messages written in order, then OK. */
  readonly messages: readonly Uint8Array[];
  readonly streaming: boolean;
}

/**
 * The bare `node:http` SSE baseline of toolchain.md: a 1 ms ticker writes each open stream its
 * next event once due, `intervalMs` apart (the first at once), then `data: [DONE]`.
 */
export interface TickerSseSpec {
  readonly kind: "ticker-sse";
  readonly path: string;
  /** Whole events (`data: {...}\n\n`) without the final `[DONE]`. */
  readonly events: readonly string[];
  readonly intervalMs: number;
}

/** The servers of the runtime scenarios. */
export type RuntimeServerSpec = RuntimeMockSpec | CannedHttpSpec | CannedGrpcSpec | TickerSseSpec;

/** Starts one of them on 127.0.0.1 with ephemeral ports. */
export function startRuntimeServer(spec: RuntimeServerSpec): Promise<RunningServer> {
  switch (spec.kind) {
    case "runtime-mock":
      return startMockOf(spec);
    case "canned-http":
      return startCannedHttp(spec);
    case "canned-grpc":
      return startCannedGrpc(spec);
    case "ticker-sse":
      return startTickerSse(spec);
  }
}

async function startMockOf(spec: RuntimeMockSpec): Promise<RunningServer> {
  // Loaded here, not at the top: a bare baseline's thread then holds none of the mocks' modules
  // (their ~20 MB of live heap made every full collection of a "bare" server cost a mock's).
  const { startRuntimeMock } = await import("@servingkit/mocks");
  const mock = await startRuntimeMock({
    runtime: spec.runtime,
    host: "127.0.0.1",
    httpPort: 0,
    grpcPort: 0,
    logger: false,
    ...(spec.values === undefined ? {} : { values: spec.values }),
    ...(spec.models === undefined ? {} : { models: spec.models }),
  });
  const address = spec.protocol === "http" ? mock.endpoints.http : mock.endpoints.grpc;
  if (address === undefined) {
    await mock.close();
    throw new Error(`the ${spec.runtime} mock has no ${spec.protocol} endpoint`);
  }
  return { address, headers: {}, close: () => mock.close() };
}

async function startCannedHttp(spec: CannedHttpSpec): Promise<RunningServer> {
  const app = fastify({ logger: false, bodyLimit: 1024 * 1024 * 1024 });
  // JSON bodies go through fastify's own parser, as a route of a real server's would; others
  // (the binary tensor extension) are read whole.
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body));
  const body = Buffer.from(spec.body);
  app.post(spec.path, (_request, reply) => {
    reply.code(spec.status).headers(spec.headers).send(body);
  });
  const address = await app.listen({ host: "127.0.0.1", port: 0 });
  return { address, headers: {}, close: () => app.close() };
}

async function startCannedGrpc(spec: CannedGrpcSpec): Promise<RunningServer> {
  const server = new grpc.Server({
    "grpc.max_receive_message_length": -1,
    "grpc.max_send_message_length": -1,
  });
  const messages = spec.messages.map((m) => Buffer.from(m));
  const pass = (bytes: Buffer) => bytes;
  const method = {
    path: spec.path,
    requestStream: false,
    responseStream: spec.streaming,
    requestSerialize: pass,
    requestDeserialize: pass,
    responseSerialize: pass,
    responseDeserialize: pass,
  };
  const handler = spec.streaming
    ? (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
        for (const message of messages) call.write(message);
        call.end();
      }
    : (_call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) =>
        callback(null, messages[0] ?? Buffer.alloc(0));
  server.addService({ Call: method }, { Call: handler });
  return listenGrpcServer(server);
}

interface OpenStream {
  readonly response: ServerResponse;
  next: number;
  due: number;
}

async function startTickerSse(spec: TickerSseSpec): Promise<RunningServer> {
  const open = new Set<OpenStream>();
  const advance = (stream: OpenStream) => {
    stream.response.write(spec.events[stream.next] ?? "");
    stream.next += 1;
    stream.due += spec.intervalMs;
    if (stream.next >= spec.events.length) {
      stream.response.end("data: [DONE]\n\n");
      open.delete(stream);
    }
  };
  const server = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      if (request.url !== spec.path) {
        response.writeHead(404, { "content-length": "0" }).end();
        return;
      }
      response.writeHead(200, { "content-type": "text/event-stream; charset=utf-8" });
      const stream: OpenStream = { response, next: 0, due: performance.now() };
      open.add(stream);
      response.on("close", () => open.delete(stream));
      advance(stream);
    });
  });
  const ticker = setInterval(() => {
    const now = performance.now();
    for (const stream of open) if (stream.due <= now) advance(stream);
  }, 1);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    address: `http://127.0.0.1:${port}`,
    headers: {},
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(ticker);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
