/**
 * Triton's `grpc.health.v1.Health` over the wire with @grpc/grpc-js: common
 * `protobuf/health.proto` declares Check and Watch only; server `src/grpc/grpc_server.cc`
 * registers the service and requests Check calls alone (`RegisterHealthCheck`); gRPC core keeps
 * an unrequested call pending (src/core/server/server.cc `RealRequestMatcher`).
 */
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { afterEach, describe, expect, it } from "vitest";
import { closeAll, startKserve, trackClient } from "./test-mocks.js";

afterEach(closeAll);

type HealthClient = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

async function healthClient(): Promise<HealthClient> {
  const mock = await startKserve("triton", {});
  const protoRoot = fileURLToPath(new URL("../../../../proto", import.meta.url));
  const loaded = grpc.loadPackageDefinition(
    protoLoader.loadSync("grpc/health/v1/health.proto", {
      includeDirs: [protoRoot],
      enums: String,
      defaults: true,
    }),
  ) as unknown as { grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } } };
  return trackClient(
    new loaded.grpc.health.v1.Health(
      mock.endpoints.grpc as string,
      grpc.credentials.createInsecure(),
    ),
  ) as HealthClient;
}

function unary(
  client: HealthClient,
  method: "Check" | "List",
): Promise<{ code: number; details?: string; response?: unknown }> {
  return new Promise((resolve) => {
    const fn = client[method] as (
      request: object,
      callback: (error: grpc.ServiceError | null, response: unknown) => void,
    ) => void;
    fn.call(client, { service: "" }, (error, response) =>
      resolve(
        error ? { code: error.code, details: error.details } : { code: grpc.status.OK, response },
      ),
    );
  });
}

/** A Watch call: the messages it got and how it ended. */
function watch(
  client: HealthClient,
  options: grpc.CallOptions,
  cancelAfterMs?: number,
): Promise<{ messages: unknown[]; code: number }> {
  return new Promise((resolve) => {
    const messages: unknown[] = [];
    const call = (
      client.Watch as (r: object, o: grpc.CallOptions) => grpc.ClientReadableStream<unknown>
    ).call(client, { service: "" }, options);
    call.on("data", (m) => messages.push(m));
    call.on("error", (error: grpc.ServiceError) => resolve({ messages, code: error.code }));
    call.on("end", () => resolve({ messages, code: grpc.status.OK }));
    if (cancelAfterMs !== undefined) setTimeout(() => call.cancel(), cancelAfterMs);
  });
}

describe("Triton grpc.health.v1 (Check and a Watch that never answers; no List)", () => {
  it("Check answers SERVING (the host's Check, RegisterHealthCheck)", async () => {
    const client = await healthClient();
    expect(await unary(client, "Check")).toEqual({
      code: grpc.status.OK,
      response: { status: "SERVING" },
    });
  });

  it("List: UNIMPLEMENTED with an empty message (Triton's health.proto has no List; gRPC C++)", async () => {
    const client = await healthClient();
    expect(await unary(client, "List")).toEqual({ code: grpc.status.UNIMPLEMENTED, details: "" });
  });

  it("Watch: no message and no status until the client's deadline (an unrequested call stays pending)", async () => {
    const client = await healthClient();
    const ended = await watch(client, { deadline: Date.now() + 300 });
    expect(ended).toEqual({ messages: [], code: grpc.status.DEADLINE_EXCEEDED });
    // The server still serves after the held call ended.
    expect((await unary(client, "Check")).code).toBe(grpc.status.OK);
  });

  it("Watch: a client cancel ends it, still without a message", async () => {
    const client = await healthClient();
    expect(await watch(client, {}, 100)).toEqual({ messages: [], code: grpc.status.CANCELLED });
  });
});
