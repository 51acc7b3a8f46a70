import { once } from "node:events";
import { createServer } from "node:http";
import { createServer as createHttp2Server, type Http2Session } from "node:http2";
import type { AddressInfo } from "node:net";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { startMock } from "@servingkit/mock-core";
import {
  Health,
  type HealthCheckRequest,
  HealthCheckRequestSchema,
  type HealthCheckResponse,
  HealthCheckResponse_ServingStatus,
  HealthCheckResponseSchema,
} from "@servingkit/proto/health";
import fastify from "fastify";
import { healthCheckPath } from "./grpc-load.js";
import { listenGrpcServer } from "./listen-grpc.js";
import type { CpuSample } from "./measurement.js";
import { type RuntimeServerSpec, startRuntimeServer } from "./runtime-servers.js";

/** The token the mock host is started with in the REST scenario. */
export const benchToken = "servingkit-bench-token";

/** The route every REST server answers: Triton's liveness route (kserve-v2.md §3.1). */
export const healthPath = "/v2/health/live";

/**
 * The servers a scenario compares. Baselines answer the same bytes as the mock with nothing but
 * the platform: a `node:http` handler, a fastify route, a `@grpc/grpc-js` service.
 */
export type ServerKind =
  | "bare-http"
  | "bare-fastify"
  | "mock-rest"
  | "mock-rest-open"
  | "bare-grpc"
  | "bare-connect"
  | "mock-grpc";

/** What a scenario can start: a health-scenario server by kind, or a runtime scenario's server. */
export type ServerSpec = ServerKind | RuntimeServerSpec;

/** Memory of a server, in MiB. */
export interface MemorySample {
  /** Resident set size of the process the server runs in. */
  readonly rssMiB: number;
  /** V8 heap in use by the server's isolate (its thread), external memory included. */
  readonly heapMiB: number;
}

/** A started server: where to send load, and how to stop it. */
export interface RunningServer {
  /** `http://127.0.0.1:<port>` for REST servers, `127.0.0.1:<port>` for gRPC ones. */
  readonly address: string;
  /** Headers/metadata a client must send (the mock's bearer token). */
  readonly headers: Readonly<Record<string, string>>;
  /** Stops the server and drops its connections. */
  close(): Promise<void>;
  /** Samples the server's memory, where it runs apart (a thread or a child process). */
  memory?(): Promise<MemorySample>;
  /**
   * The CPU time the server's process has spent so far (`process.cpuUsage()` there), where it
   * runs in a process of its own; absent for a thread or inline, which share the client's process.
   */
  cpu?(): Promise<CpuSample>;
}

/** Starts one server on 127.0.0.1 with an ephemeral port. */
export async function startServer(spec: ServerSpec): Promise<RunningServer> {
  if (typeof spec !== "string") return startRuntimeServer(spec);
  switch (spec) {
    case "bare-http":
      return startBareHttp();
    case "bare-fastify":
      return startBareFastify();
    case "mock-rest":
      // The mock host as the platform runs it: Triton's routes behind serverless token auth.
      return startTritonMock("http", benchToken);
    case "mock-rest-open":
      // The same without authorization, to tell the token check's share from the host's.
      return startTritonMock("http");
    case "bare-grpc":
      return startBareGrpc();
    case "bare-connect":
      return startBareConnect();
    case "mock-grpc":
      return startTritonMock("grpc");
  }
}

async function startBareHttp(): Promise<RunningServer> {
  // Triton's answer: 200, empty body, text/plain (kserve-v2.md §3.1).
  const server = createServer((request, response) => {
    if (request.url === healthPath) {
      response.writeHead(200, { "content-type": "text/plain", "content-length": "0" });
      response.end();
    } else {
      response.writeHead(404, { "content-length": "0" });
      response.end();
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    address: `http://127.0.0.1:${port}`,
    headers: {},
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function startBareFastify(): Promise<RunningServer> {
  const app = fastify({ logger: false });
  app.get(healthPath, (_request, reply) => {
    reply.code(200).type("text/plain").send("");
  });
  const address = await app.listen({ host: "127.0.0.1", port: 0 });
  return { address, headers: {}, close: () => app.close() };
}

/**
 * The gRPC stack the mock host is built on, with nothing of the host: a connect-node router
 * serving only Health on a plain `node:http2` server. Between it and the mock host lies the
 * host's own cost; between it and grpc-js, connect's.
 */
async function startBareConnect(): Promise<RunningServer> {
  const handler = connectNodeAdapter({
    grpc: true,
    connect: false,
    grpcWeb: false,
    routes: (router) => {
      router.service(Health, {
        check: () => ({ status: HealthCheckResponse_ServingStatus.SERVING }),
      });
    },
  });
  const server = createHttp2Server(handler);
  const sessions = new Set<Http2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    headers: {},
    close: () =>
      new Promise<void>((resolve) => {
        for (const session of sessions) session.destroy();
        server.close(() => resolve());
      }),
  };
}

async function startBareGrpc(): Promise<RunningServer> {
  const server = new grpc.Server();
  const definition: grpc.ServiceDefinition = {
    Check: {
      path: healthCheckPath,
      requestStream: false,
      responseStream: false,
      requestSerialize: (request: HealthCheckRequest) =>
        Buffer.from(toBinary(HealthCheckRequestSchema, request)),
      requestDeserialize: (bytes: Buffer) => fromBinary(HealthCheckRequestSchema, bytes),
      responseSerialize: (response: HealthCheckResponse) =>
        Buffer.from(toBinary(HealthCheckResponseSchema, response)),
      responseDeserialize: (bytes: Buffer) => fromBinary(HealthCheckResponseSchema, bytes),
    },
  };
  const serving: HealthCheckResponse = {
    $typeName: "grpc.health.v1.HealthCheckResponse",
    status: HealthCheckResponse_ServingStatus.SERVING,
  };
  server.addService(definition, {
    Check: (
      _call: grpc.ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>,
      callback: grpc.sendUnaryData<HealthCheckResponse>,
    ) => callback(null, serving),
  });
  return listenGrpcServer(server);
}

/** The mock host serving Triton on ephemeral ports; the load goes to its REST or gRPC port. */
async function startTritonMock(port: "http" | "grpc", token?: string): Promise<RunningServer> {
  const mock = await startMock({
    runtime: "triton",
    host: "127.0.0.1",
    httpPort: 0,
    grpcPort: 0,
    ...(token !== undefined && { tokens: [token] }),
    logger: false,
  });
  return {
    address: mock.endpoints[port] ?? "",
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    close: () => mock.close(),
  };
}
