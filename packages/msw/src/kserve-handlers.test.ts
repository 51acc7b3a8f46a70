import { ServingkitError } from "@servingkit/client-core";
import { createKserveClient } from "@servingkit/kserve";
import { type KserveRuntime, kserveMockModule } from "@servingkit/kserve/mock";
import { type RunningMock, startMock } from "@servingkit/mock-core";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kserveHandlers } from "./kserve-handlers.js";

const urlOf = (runtime: KserveRuntime) => `http://${runtime}.test`;
const server = setupServer(
  ...kserveHandlers({ runtime: "triton", baseUrl: urlOf("triton") }),
  ...kserveHandlers({ runtime: "mlserver", baseUrl: urlOf("mlserver") }),
  ...kserveHandlers({ runtime: "ovms", baseUrl: urlOf("ovms") }),
  ...kserveHandlers({ runtime: "ovms", baseUrl: "http://ovms-modelmesh.test", modelmesh: true }),
);
beforeAll(() => server.listen({ onUnhandledFrame: "bypass" }));
afterAll(() => server.close());

describe.each([false, true])(
  "createKserveClient over REST against kserveHandlers (binary %s)",
  (binary) => {
    const client = createKserveClient({
      baseUrl: urlOf("triton"),
      binaryData: binary,
      maxRetries: 0,
    });

    it("infers Triton's simple add/sub with Int32Array in and out (kserve-v2.md §1.5, §1.7)", async () => {
      const a = Int32Array.from({ length: 16 }, (_, i) => i);
      const b = new Int32Array(16).fill(3);
      const response = await client.infer("simple", {
        id: "req-1",
        inputs: [
          { name: "INPUT0", datatype: "INT32", shape: [1, 16], data: a },
          { name: "INPUT1", datatype: "INT32", shape: [1, 16], data: b },
        ],
        binaryOutputs: binary,
      });
      expect(response).toMatchObject({ modelName: "simple", modelVersion: "1", id: "req-1" });
      expect(response.outputs[0]?.data).toEqual(Int32Array.from(a, (v) => v + 3));
      expect(response.outputs[1]?.data).toEqual(Int32Array.from(a, (v) => v - 3));
    });

    it("carries BYTES and INT64 tensors (kserve-v2.md §1.7)", async () => {
      const bytes = await client.infer("identity_bytes", {
        inputs: [{ name: "INPUT0", datatype: "BYTES", shape: [1, 2], data: ["héllo", "x"] }],
        binaryOutputs: binary,
      });
      const decoded = ((bytes.outputs[0]?.data as Uint8Array[] | undefined) ?? []).map((e) =>
        new TextDecoder().decode(e),
      );
      expect(decoded).toEqual(["héllo", "x"]);
      const int64 = await client.infer("identity_int64", {
        inputs: [
          {
            name: "INPUT0",
            datatype: "INT64",
            shape: [1, 2],
            data: BigInt64Array.from([-(2n ** 62n), 7n]),
          },
        ],
        binaryOutputs: binary,
      });
      expect(int64.outputs[0]?.data).toEqual(BigInt64Array.from([-(2n ** 62n), 7n]));
    });

    it("reads health, readiness and metadata (kserve-v2.md §1.1: empty bodies, status codes)", async () => {
      expect(await client.serverLive()).toBe(true);
      expect(await client.serverReady()).toBe(true);
      expect(await client.modelReady("simple", { version: "1" })).toBe(true);
      expect(await client.modelReady("nope")).toBe(false);
      expect((await client.serverMetadata()).extensions).toContain("binary_tensor_data");
      expect(await client.modelMetadata("simple")).toMatchObject({
        name: "simple",
        versions: ["1"],
      });
    });

    it("counts inferences in Triton's statistics (kserve-v2.md §3.1)", async () => {
      const stats = async () =>
        (await (await fetch(`${urlOf("triton")}/v2/models/simple/stats`)).json()) as {
          model_stats: { inference_count: number }[];
        };
      const before = (await stats()).model_stats[0]?.inference_count ?? 0;
      await client.infer("simple", {
        inputs: ["INPUT0", "INPUT1"].map((name) => ({
          name,
          datatype: "INT32",
          shape: [1, 16],
          data: new Int32Array(16),
        })),
      });
      expect((await stats()).model_stats[0]?.inference_count).toBe(before + 1);
    });

    it("surfaces a refusal as ServingkitError with the server's text", async () => {
      const error = await client.infer("nope", { inputs: [] }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServingkitError);
      expect((error as ServingkitError).rawMessage).toContain("nope");
    });
  },
);

/** A Triton binary-extension request: JSON header, then the raw INT32 bytes (kserve-v2.md §1.7). */
function binaryAddSub(): { body: Uint8Array<ArrayBuffer>; headerLength: number } {
  const header = JSON.stringify({
    inputs: ["INPUT0", "INPUT1"].map((name) => ({
      name,
      datatype: "INT32",
      shape: [1, 16],
      parameters: { binary_data_size: 64 },
    })),
    outputs: [{ name: "OUTPUT0", parameters: { binary_data: true } }, { name: "OUTPUT1" }],
  });
  const json = new TextEncoder().encode(header);
  const a = Int32Array.from({ length: 16 }, (_, i) => i);
  const b = new Int32Array(16).fill(2);
  const body = new Uint8Array(json.length + 128);
  body.set(json);
  body.set(new Uint8Array(a.buffer), json.length);
  body.set(new Uint8Array(b.buffer), json.length + 64);
  return { body, headerLength: json.length };
}

const jsonPost = (body: string, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body,
});
// An id, since MLServer makes up a random one where none is sent.
const identity =
  '{"id":"r1","inputs":[{"name":"INPUT0","datatype":"FP32","shape":[1,2],"data":[1.5,2]}]}';
const binary = binaryAddSub();
/** A generate body for identity_fp32: its input by name, a parameter beside it. */
const generate = '{"id":"g1","INPUT0":[1.5,2],"max_tokens":4}';

const cases: Record<KserveRuntime, [string, RequestInit][]> = {
  triton: [
    ["/v2", {}],
    ["/v2/health/ready", {}],
    ["/v2/models/simple", {}],
    ["/v2/models/simple/versions/1/ready", {}],
    ["/v2/models/simple/versions/abc", {}],
    ["/v2/models/simple/config", {}],
    ["/v2/models/nope/ready", {}],
    ["/v2/nowhere", {}],
    ["/v2/models/simple/infer", {}],
    ["/v2/models/identity_fp32/infer", jsonPost(identity)],
    ["/v2/models/identity_fp32/infer", jsonPost("{oops")],
    ["/v2/models/identity_fp32/infer", jsonPost(identity, { "accept-encoding": "gzip" })],
    [
      "/v2/models/simple/infer",
      {
        method: "POST",
        headers: {
          "content-type": "application/octet-stream",
          "inference-header-content-length": String(binary.headerLength),
        },
        body: binary.body,
      },
    ],
    // fetch sends a Uint8Array body without a content type.
    [
      "/v2/models/identity_fp32/infer",
      { method: "POST", body: new TextEncoder().encode(identity) },
    ],
    ["/v2/repository/index", { method: "POST" }],
    ["/v2/repository/models/simple/load", { method: "POST" }],
    // extension_generate.md: Triton's generate extension, one JSON answer and one SSE event.
    ["/v2/models/identity_fp32/generate", jsonPost(generate)],
    ["/v2/models/identity_fp32/versions/1/generate_stream", jsonPost(generate)],
    ["/v2/models/identity_fp32/generate_stream", jsonPost('{"stop":null}')],
  ],
  mlserver: [
    ["/v2", {}],
    ["/v2/health/live", {}],
    ["/v2/models/nope", {}],
    ["/v2/models/identity_fp32/infer", jsonPost(identity)],
    ["/v2/models/identity_fp32/infer", jsonPost(identity, { "content-type": "text/plain" })],
    ["/v2/models/identity_fp32/infer", jsonPost("{oops")],
    // kserve-v2.md §3.2: MLServer's generate alias and its SSE stream route.
    ["/v2/models/identity_fp32/generate", jsonPost(identity)],
    ["/v2/models/identity_fp32/infer_stream", jsonPost(identity)],
  ],
  ovms: [
    ["/v2", {}],
    ["/v2/health/ready", {}],
    ["/v2/models/nope/ready", {}],
    ["/v2/models/identity_fp32/infer", jsonPost(identity)],
    ["/v2/models/identity_fp32/infer", { method: "PUT" }],
    // OVMS serves no generate routes (its LLM API is /v3): its unknown-path answer.
    ["/v2/models/identity_fp32/generate", jsonPost(generate)],
  ],
};

describe.each(Object.keys(cases) as KserveRuntime[])(
  "kserveHandlers(%s) answer as the fastify mock does (same route table)",
  (runtime) => {
    let mock: RunningMock;
    beforeAll(async () => {
      mock = await startMock({
        runtime,
        host: "127.0.0.1",
        httpPort: 0,
        logger: false,
        plugins: await kserveMockModule.plugins({ runtime, models: [], values: {} }),
      });
    });
    afterAll(() => mock.close());

    it.each(cases[runtime])("%s %o", async (path, init) => {
      const answer = async (response: Response) => ({
        status: response.status,
        headers: [
          "content-type",
          "content-encoding",
          "inference-header-content-length",
          "allow",
        ].map((name) => response.headers.get(name)),
        body: Buffer.from(await response.arrayBuffer()).toString("base64"),
      });
      const viaMsw = await answer(await fetch(`${urlOf(runtime)}${path}`, init));
      expect(viaMsw).toEqual(await answer(await fetch(`${mock.endpoints.http}${path}`, init)));
    });
  },
);

// Triton's generate_stream through msw: the stream body reaches the client as one SSE event.
it("kserveHandlers(triton) serve generate_stream as Server-Sent Events (extension_generate.md)", async () => {
  const res = await fetch(
    `${urlOf("triton")}/v2/models/identity_fp32/generate_stream`,
    jsonPost(generate),
  );
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
  expect(await res.text()).toBe(
    'data: {"OUTPUT0":[1.5,2],"id":"g1","model_name":"identity_fp32","model_version":"1"}\n\n',
  );
});

// Starlette's redirect_slashes (MLServer keeps the default): the query follows the new path.
it("kserveHandlers(mlserver) redirect a trailing slash with the query", async () => {
  const res = await fetch(`${urlOf("mlserver")}/v2/models/iris/?a=1`, { redirect: "manual" });
  expect(res.status).toBe(307);
  expect(res.headers.get("location")).toMatch(/\/v2\/models\/iris\?a=1$/);
});

describe("kserveHandlers with modelmesh: the REST proxy's answers, as the fastify mock gives them", () => {
  let mock: RunningMock;
  beforeAll(async () => {
    mock = await startMock({
      runtime: "ovms",
      host: "127.0.0.1",
      httpPort: 0,
      logger: false,
      plugins: await kserveMockModule.plugins({
        runtime: "ovms",
        models: [],
        values: { modelmesh: true },
      }),
    });
  });
  afterAll(() => mock.close());

  // kserve-v2.md §3.4: metadata and infer only; no health, `{code, message}` errors.
  it.each([
    ["/v2/health/live", {}],
    ["/v2", {}],
    ["/v2/models/resnet", {}],
    ["/v2/models/resnet/infer", {}],
    ["/v2/models/identity_fp32/infer", jsonPost(identity)],
    ["/v2/models/nope/infer", jsonPost(identity)],
  ] as [string, RequestInit][])("%s %o", async (path, init) => {
    const answer = async (response: Response) => ({
      status: response.status,
      type: response.headers.get("content-type"),
      body: await response.text(),
    });
    const viaMsw = await answer(await fetch(`http://ovms-modelmesh.test${path}`, init));
    expect(viaMsw).toEqual(await answer(await fetch(`${mock.endpoints.http}${path}`, init)));
    if (path === "/v2/health/live") {
      expect(viaMsw).toMatchObject({ status: 404, body: '{"code":5,"message":"Not Found"}' });
    }
  });
});
