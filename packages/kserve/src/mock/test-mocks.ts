/**
 * Test helper: KServe v2 mocks on 127.0.0.1 (ephemeral REST and gRPC ports) started through
 * mock-core's `startMock` with this family's module, and an independent gRPC client of
 * `inference.GRPCInferenceService` (@grpc/grpc-js with @grpc/proto-loader over our proto), so
 * the tests speak to the mock as a user's client does. Test files call `afterEach(closeAll)`.
 */
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import {
  type MockOptions,
  type RunningMock,
  type RuntimeOptionValues,
  startMock,
} from "@servingkit/mock-core/host";
import { kserveMockModule } from "../mock.js";
import type { KserveRuntime } from "./profiles.js";

const protoRoot = fileURLToPath(new URL("../../../../proto", import.meta.url));
const definition = protoLoader.loadSync("inference/grpc_service.proto", {
  includeDirs: [protoRoot],
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
});
const loaded = grpc.loadPackageDefinition(definition) as unknown as {
  inference: { GRPCInferenceService: grpc.ServiceClientConstructor };
};

const running: RunningMock[] = [];
const clients: grpc.Client[] = [];

/** proto-loader's definition of our inference proto, for method definitions made by hand. */
export const inferenceDefinition = definition;

/** Registers a client made by hand, so {@link closeAll} closes it too. */
export function trackClient<C extends grpc.Client>(client: C): C {
  clients.push(client);
  return client;
}

/** Closes every client and mock opened since the last call (pass it to `afterEach`). */
export async function closeAll(): Promise<void> {
  for (const c of clients.splice(0)) c.close();
  for (const m of running.splice(0)) await m.close();
}

/** Starts `runtime`'s mock with the module's option `values` and host options `extra`. */
export async function startKserve(
  runtime: KserveRuntime,
  values: RuntimeOptionValues = {},
  extra: Partial<MockOptions> = {},
  models: readonly string[] = [],
): Promise<RunningMock> {
  const plugins = await kserveMockModule.plugins({ runtime, models: [...models], values });
  const mock = await startMock({
    runtime,
    host: "127.0.0.1",
    httpPort: 0,
    grpcPort: 0,
    plugins,
    ...extra,
  });
  running.push(mock);
  return mock;
}

/** A call's failure as a client sees it: the status code and its (percent-decoded) message. */
export interface GrpcFailure {
  readonly code: grpc.status;
  readonly details: string;
}

/** A grpc-js client of the mock's inference service. */
export interface InferenceClient {
  /** The grpc-js client itself, for streaming calls. */
  readonly raw: grpc.Client & Record<string, (...args: unknown[]) => unknown>;
  /** Calls unary `method` (`ModelInfer`, `RepositoryIndex`, ...) with optional metadata. */
  unary(
    method: string,
    request: object,
    metadata?: Readonly<Record<string, string>> | grpc.Metadata,
  ): Promise<Record<string, unknown>>;
  /** Calls unary `method` expecting it to fail, and gives the failure. */
  failure(
    method: string,
    request: object,
    metadata?: Readonly<Record<string, string>> | grpc.Metadata,
  ): Promise<GrpcFailure>;
}

/** Opens an inference client on the mock's gRPC port (insecure unless `credentials` say TLS). */
export function inferenceClient(
  mock: RunningMock,
  credentials = grpc.credentials.createInsecure(),
): InferenceClient {
  const raw = new loaded.inference.GRPCInferenceService(
    mock.endpoints.grpc as string,
    credentials,
  ) as InferenceClient["raw"];
  clients.push(raw);
  const unary: InferenceClient["unary"] = (method, request, metadata = {}) =>
    new Promise((resolve, reject) => {
      const md = metadata instanceof grpc.Metadata ? metadata : new grpc.Metadata();
      if (!(metadata instanceof grpc.Metadata)) {
        for (const [key, value] of Object.entries(metadata)) md.set(key, value);
      }
      const fn = raw[method];
      if (fn === undefined)
        throw new Error(`no method ${method} in inference.GRPCInferenceService`);
      fn.call(
        raw,
        request,
        md,
        (error: grpc.ServiceError | null, response: Record<string, unknown>) =>
          error ? reject(error) : resolve(response),
      );
    });
  const failure: InferenceClient["failure"] = (method, request, metadata) =>
    unary(method, request, metadata).then(
      () => {
        throw new Error(`${method} was expected to fail`);
      },
      (e: grpc.ServiceError) => ({ code: e.code, details: decodeURIComponent(e.details) }),
    );
  return { raw, unary, failure };
}

/**
 * A Triton mock serving `vllm_model` (named: it is not a default built-in) and `simple`, with a
 * JSON `post` helper on its REST base URL.
 */
export async function startVllmTriton(values: RuntimeOptionValues = {}) {
  const mock = await startKserve("triton", values, {}, ["vllm_model", "simple"]);
  const base = mock.endpoints.http as string;
  const post = (path: string, body: unknown) =>
    fetch(`${base}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  return { mock, base, post };
}
