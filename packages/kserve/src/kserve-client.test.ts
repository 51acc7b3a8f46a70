/**
 * The client against listening mocks of all three runtimes, over REST (JSON and binary) and gRPC
 * (raw and typed contents): the same calls, typed tensors out, the servers' refusals as
 * ServingkitErrors, and health helpers that read status codes (empty bodies, kserve-v2.md §1.1).
 */
import { once } from "node:events";
import { createServer } from "node:http";
import { Code, ServingkitError } from "@servingkit/client-core";
import { type MockOptions, type RunningMock, startMock } from "@servingkit/mock-core";
import { afterEach, describe, expect, it } from "vitest";
import { createKserveClient, type KserveClient, type KserveClientOptions } from "./index.js";
import type { KserveRuntime } from "./mock/profiles.js";
import { kserveMockModule } from "./mock.js";

const running: RunningMock[] = [];
const clients: KserveClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  for (const m of running.splice(0)) await m.close();
});

async function start(runtime: KserveRuntime, extra: Partial<MockOptions> = {}) {
  const plugins = await kserveMockModule.plugins({ runtime, models: [], values: {} });
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

type Variant = { transport: "rest" | "grpc"; binary?: boolean; contents?: boolean };
const variants: Variant[] = [
  { transport: "rest" },
  { transport: "rest", binary: true },
  { transport: "grpc" },
  { transport: "grpc", contents: true },
];

/** `extra`: token and TLS options, which both transports take under the same names. */
type Extra = { token?: string; tls?: { ca: string } };

function connect(mock: RunningMock, variant: Variant, extra: Extra = {}): KserveClient {
  const options: KserveClientOptions =
    variant.transport === "rest"
      ? {
          baseUrl: mock.endpoints.http as string,
          binaryData: variant.binary === true,
          maxRetries: 0,
          ...extra,
        }
      : {
          transport: "grpc",
          address: mock.endpoints.grpc as string,
          inputEncoding: variant.contents ? "contents" : "raw",
          maxRetries: 0,
          ...extra,
        };
  const client = createKserveClient(options);
  clients.push(client);
  return client;
}

const label = (v: Variant) =>
  `${v.transport}${v.binary ? "+binary" : ""}${v.contents ? "+contents" : ""}`;

describe.each(variants)(
  "client over $transport (binary $binary, contents $contents)",
  (variant) => {
    it("triton simple add/sub with Int32Array in and out", async () => {
      const client = connect(await start("triton"), variant);
      const a = Int32Array.from({ length: 16 }, (_, i) => i);
      const b = new Int32Array(16).fill(3);
      const response = await client.infer("simple", {
        id: "req-1",
        inputs: [
          { name: "INPUT0", datatype: "INT32", shape: [1, 16], data: a },
          { name: "INPUT1", datatype: "INT32", shape: [1, 16], data: b },
        ],
        binaryOutputs: variant.binary,
      });
      expect(response.modelName).toBe("simple");
      expect(response.modelVersion).toBe("1");
      expect(response.id).toBe("req-1");
      expect(response.outputs[0]?.data).toEqual(Int32Array.from(a, (v) => v + 3));
      expect(response.outputs[1]?.data).toEqual(Int32Array.from(a, (v) => v - 3));
    });

    it("64-bit integers as BigInt64Array, BYTES as Uint8Array[], BOOL as 0/1 (kserve-v2.md §1.7)", async () => {
      const client = connect(await start("triton"), variant);
      const int64 = await client.infer("identity_int64", {
        inputs: [
          {
            name: "INPUT0",
            datatype: "INT64",
            shape: [1, 2],
            data: BigInt64Array.from([-(2n ** 62n), 7n]),
          },
        ],
        binaryOutputs: variant.binary,
      });
      expect(int64.outputs[0]?.data).toEqual(BigInt64Array.from([-(2n ** 62n), 7n]));
      const bytes = await client.infer("identity_bytes", {
        inputs: [{ name: "INPUT0", datatype: "BYTES", shape: [1, 2], data: ["héllo", "x"] }],
        binaryOutputs: variant.binary,
      });
      const text = ((bytes.outputs[0]?.data as Uint8Array[] | undefined) ?? []).map((e) =>
        new TextDecoder().decode(e),
      );
      expect(text).toEqual(["héllo", "x"]);
      const bool = await client.infer("identity_bool", {
        inputs: [{ name: "INPUT0", datatype: "BOOL", shape: [1, 3], data: [true, false, true] }],
      });
      expect(Array.from(bool.outputs[0]?.data as Uint8Array)).toEqual([1, 0, 1]);
    });

    it("metadata, readiness per version, and health from status codes", async () => {
      const client = connect(await start("triton"), variant);
      expect(await client.serverLive()).toBe(true);
      expect(await client.serverReady()).toBe(true);
      expect(await client.modelReady("simple", { version: "1" })).toBe(true);
      expect(await client.modelReady("nope")).toBe(false);
      const server = await client.serverMetadata();
      expect(server.name).toBe("triton");
      expect(server.extensions).toContain("binary_tensor_data");
      const meta = await client.modelMetadata("simple", { version: "1" });
      expect(meta).toMatchObject({
        name: "simple",
        versions: ["1"],
        platform: "tensorflow_graphdef",
      });
      expect(meta.inputs[0]).toEqual({ name: "INPUT0", datatype: "INT32", shape: [-1, 16] });
    });

    it(`refusals arrive as ServingkitError with the server's text (${label(variant)})`, async () => {
      const client = connect(await start("triton"), variant);
      const error = await client.infer("nope", { inputs: [] }).then(
        () => undefined,
        (e: unknown) => e as ServingkitError,
      );
      expect(error).toBeInstanceOf(ServingkitError);
      expect(error?.code).toBe(Code.NotFound);
      expect(decodeURIComponent(error?.rawMessage ?? "")).toBe(
        "Request for unknown model: 'nope' is not found",
      );
    });
  },
);

describe("client specifics", () => {
  it("FP16 goes binary on REST and raw on gRPC, widened to Float32Array", async () => {
    const mock = await start("triton");
    for (const variant of [
      { transport: "rest" as const },
      { transport: "grpc" as const, contents: true },
    ]) {
      const client = connect(mock, variant);
      const response = await client.infer("identity_fp16", {
        inputs: [
          {
            name: "INPUT0",
            datatype: "FP16",
            shape: [1, 3],
            data: Float32Array.from([1.5, -0.25, 65504]),
          },
        ],
        outputs: [{ name: "OUTPUT0", binary: true }],
      });
      expect(response.outputs[0]?.data).toEqual(Float32Array.from([1.5, -0.25, 65504]));
    }
  });

  it("REST binary outputs decode exactly whatever the JSON header's length, 64 KiB and up too", async () => {
    // kserve-v2.md §2: binary outputs follow the JSON header; ids of 0-8 characters move them to
    // every offset modulo 8 (the client reads the answer aligned; decodeRaw views or copies).
    const client = connect(await start("triton"), { transport: "rest", binary: true });
    for (const elements of [5, 9000]) {
      const values = Float64Array.from({ length: elements }, (_, i) => i / 8 - 3);
      for (let n = 0; n <= 8; n++) {
        const response = await client.infer("identity_fp64", {
          id: "i".repeat(n),
          inputs: [{ name: "INPUT0", datatype: "FP64", shape: [1, elements], data: values }],
          outputs: [{ name: "OUTPUT0", binary: true }],
        });
        expect(response.outputs[0]?.data).toEqual(values);
      }
    }
  });

  it("REST infer asks for an uncompressed answer and sends a binary body with its length", async () => {
    // tritonclient sends no Accept-Encoding by default; Triton gzips an answer when the request
    // accepts it (kserve-v2.md §2 "Compression"), which fetch does unless told otherwise.
    const seen: { headers: Record<string, unknown>; bytes: number }[] = [];
    const server = createServer((req, res) => {
      let bytes = 0;
      req.on("data", (d: Buffer) => {
        bytes += d.byteLength;
      });
      req.on("end", () => {
        seen.push({ headers: req.headers, bytes });
        res.writeHead(200, { "content-type": "application/json" });
        res.end('{"model_name":"m","outputs":[]}');
      });
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as { port: number };
    try {
      for (const binaryData of [false, true]) {
        const client = createKserveClient({
          baseUrl: `http://127.0.0.1:${port}`,
          binaryData,
          maxRetries: 0,
        });
        clients.push(client);
        await client.infer("m", {
          inputs: [
            { name: "x", datatype: "FP32", shape: [1, 4], data: Float32Array.of(1, 2, 3, 4) },
          ],
        });
      }
    } finally {
      server.close();
    }
    for (const { headers } of seen) expect(headers["accept-encoding"]).toBe("identity");
    const binary = seen[1];
    expect(binary?.headers["transfer-encoding"]).toBeUndefined();
    expect(Number(binary?.headers["content-length"])).toBe(binary?.bytes);
    expect((binary?.bytes ?? 0) - Number(binary?.headers["inference-header-content-length"])).toBe(
      16,
    );
  });

  it("mlserver over REST JSON: iris classes as BigInt64Array, id generated", async () => {
    const client = connect(await start("mlserver"), { transport: "rest" });
    const response = await client.infer("iris", {
      inputs: [
        {
          name: "input-0",
          datatype: "FP32",
          shape: [2, 4],
          data: [5.1, 3.5, 1.4, 0.2, 5.9, 3.0, 4.2, 1.5],
        },
      ],
    });
    expect(response.outputs[0]?.data).toEqual(BigInt64Array.from([0n, 1n]));
    expect(response.outputs[0]?.parameters).toEqual({ content_type: "np" });
    expect(response.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("mlserver refuses the binary extension, as the real server does (kserve-v2.md §3.2)", async () => {
    const client = connect(await start("mlserver"), { transport: "rest", binary: true });
    const error = await client
      .infer("identity_fp32", {
        inputs: [{ name: "INPUT0", datatype: "FP32", shape: [1, 1], data: [1] }],
      })
      .then(
        () => undefined,
        (e: unknown) => e as ServingkitError,
      );
    expect(error?.httpStatus).toBe(422);
  });

  it("ovms resnet over REST binary and gRPC raw: one class scores 1", async () => {
    const mock = await start("ovms");
    const image = new Float32Array(224 * 224 * 3).fill(0.5);
    for (const variant of [
      { transport: "rest" as const, binary: true },
      { transport: "grpc" as const },
    ]) {
      const response = await connect(mock, variant).infer("resnet", {
        inputs: [{ name: "0", datatype: "FP32", shape: [1, 224, 224, 3], data: image }],
        outputs: [{ name: "1463", binary: true }],
      });
      const scores = response.outputs[0]?.data as Float32Array;
      expect(scores.length).toBe(1001);
      expect(scores[500]).toBe(1);
    }
  });

  it("TLS and a token, on both transports (kserve-v2.md §5)", async () => {
    const mock = await start("triton", { tls: true, tokens: ["secret"] });
    const tls = { ca: mock.certificatePem as string };
    const rest = connect(mock, { transport: "rest" }, { token: "secret", tls });
    expect((await rest.serverMetadata()).name).toBe("triton");
    const grpc = connect(mock, { transport: "grpc" }, { token: "secret", tls });
    expect((await grpc.serverMetadata()).name).toBe("triton");
    const anonymous = connect(mock, { transport: "rest" }, { tls });
    await expect(anonymous.serverMetadata()).rejects.toMatchObject({ code: Code.Unauthenticated });
  });
});
