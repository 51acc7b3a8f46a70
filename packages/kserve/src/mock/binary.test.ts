/**
 * The binary tensor data extension on the mocks (kserve-v2.md §2, §3.3): binary inputs and
 * outputs, BYTES length prefixes, each runtime's answers to lying or truncated lengths, and a
 * fuzz run of random truncations that must never crash or hang the server.
 */
import { gunzipSync } from "node:zlib";
import { type BuiltMock, buildMock } from "@servingkit/mock-core/host";
import { afterEach, describe, expect, it } from "vitest";
import { joinBinaryBody } from "../binary-body.js";
import { encodeRaw, textToBytes } from "../datatypes.js";
import { kserveMockModule } from "../mock.js";
import type { KserveRuntime } from "./profiles.js";

const open: BuiltMock[] = [];
afterEach(async () => {
  for (const mock of open.splice(0)) await mock.close();
});

async function mock(runtime: KserveRuntime): Promise<BuiltMock> {
  const plugins = await kserveMockModule.plugins({ runtime, models: [], values: {} });
  const built = await buildMock({ runtime, plugins });
  open.push(built);
  return built;
}

function binaryRequest(header: unknown, parts: Uint8Array[], headerValue?: string) {
  const { body, jsonLength } = joinBinaryBody(header, parts);
  return {
    method: "POST" as const,
    payload: Buffer.from(body),
    headers: {
      "content-type": "application/octet-stream",
      "inference-header-content-length": headerValue ?? String(jsonLength),
    },
  };
}

function splitResponse(payload: Buffer, headerLength: string | undefined) {
  const length = Number(headerLength);
  return {
    json: JSON.parse(payload.subarray(0, length).toString("utf8")),
    binary: payload.subarray(length),
  };
}

const ints = (values: number[]) => new Uint8Array(Int32Array.from(values).buffer);
const row = (f: (i: number) => number) => Array.from({ length: 16 }, (_, i) => f(i));

describe("binary tensor data", () => {
  it("triton simple: binary in, binary out with octet-stream and the JSON length header (kserve-v2.md §2)", async () => {
    const m = await mock("triton");
    const header = {
      inputs: [
        { name: "INPUT0", shape: [1, 16], datatype: "INT32", parameters: { binary_data_size: 64 } },
        { name: "INPUT1", shape: [1, 16], datatype: "INT32", parameters: { binary_data_size: 64 } },
      ],
      parameters: { binary_data_output: true },
    };
    const res = await m.http.inject({
      url: "/v2/models/simple/infer",
      ...binaryRequest(header, [ints(row((i) => i)), ints(row(() => 2))]),
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("application/octet-stream");
    const { json, binary } = splitResponse(
      res.rawPayload,
      res.headers["inference-header-content-length"] as string,
    );
    expect(json.outputs[0]).toEqual({
      name: "OUTPUT0",
      datatype: "INT32",
      shape: [1, 16],
      parameters: { binary_data_size: 64 },
    });
    const out = new Int32Array(binary.buffer.slice(binary.byteOffset, binary.byteOffset + 128));
    expect(Array.from(out.subarray(0, 16))).toEqual(row((i) => i + 2));
    expect(Array.from(out.subarray(16))).toEqual(row((i) => i - 2));
  });

  it("a large binary output (64 KiB or more) is written as the JSON header then the tensor's own bytes: the same headers, length and bytes as one body (kserve-v2.md §2)", async () => {
    const m = await mock("triton");
    const running = await m.listen();
    const values = Float32Array.from({ length: 1 << 15 }, (_, i) => i / 8);
    const raw = new Uint8Array(values.buffer);
    const header = {
      inputs: [
        {
          name: "INPUT0",
          shape: [1, values.length],
          datatype: "FP32",
          parameters: { binary_data_size: raw.byteLength },
        },
      ],
      outputs: [{ name: "OUTPUT0", parameters: { binary_data: true } }],
    };
    const request = binaryRequest(header, [raw]);
    const res = await fetch(`${running.endpoints.http}/v2/models/identity_fp32/infer`, {
      method: "POST",
      // fetch asks for gzip by default; this is the uncompressed answer.
      headers: { ...request.headers, "accept-encoding": "identity" },
      body: request.payload,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    expect(res.headers.get("transfer-encoding")).toBeNull();
    const expected = joinBinaryBody(
      {
        model_name: "identity_fp32",
        model_version: "1",
        outputs: [
          {
            name: "OUTPUT0",
            datatype: "FP32",
            shape: [1, values.length],
            parameters: { binary_data_size: raw.byteLength },
          },
        ],
      },
      [raw],
    );
    expect(res.headers.get("inference-header-content-length")).toBe(String(expected.jsonLength));
    expect(res.headers.get("content-length")).toBe(String(expected.body.byteLength));
    expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(expected.body))).toBe(true);
    // Compressed (Triton offers gzip): the joined body, compressed whole.
    const gzipped = await m.http.inject({
      url: "/v2/models/identity_fp32/infer",
      ...request,
      headers: { ...request.headers, "accept-encoding": "gzip" },
    });
    expect(gzipped.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(gzipped.rawPayload).equals(Buffer.from(expected.body))).toBe(true);
    // Written in pieces, such an answer is a stream to the host: `cut-after=1` (fault.ts: "REST
    // connections are dropped mid-body") sends the headers and the JSON header, then drops it.
    const cut = fetch(`${running.endpoints.http}/v2/models/identity_fp32/infer`, {
      method: "POST",
      headers: {
        ...request.headers,
        "accept-encoding": "identity",
        "x-servingkit-fault": "cut-after=1",
      },
      body: request.payload,
    }).then((answer) => answer.arrayBuffer());
    await expect(cut).rejects.toThrow();
  });

  it("per-output binary_data overrides binary_data_output (kserve-v2.md §2)", async () => {
    const m = await mock("triton");
    const res = await m.http.inject({
      method: "POST",
      url: "/v2/models/simple/infer",
      payload: {
        inputs: ["INPUT0", "INPUT1"].map((name) => ({
          name,
          shape: [1, 16],
          datatype: "INT32",
          data: row(() => 1),
        })),
        outputs: [
          { name: "OUTPUT0", parameters: { binary_data: false } },
          { name: "OUTPUT1", parameters: { binary_data: true } },
        ],
      },
    });
    const { json, binary } = splitResponse(
      res.rawPayload,
      res.headers["inference-header-content-length"] as string,
    );
    expect(json.outputs[0].data).toEqual(row(() => 2));
    expect(json.outputs[1].parameters).toEqual({ binary_data_size: 64 });
    expect(binary.byteLength).toBe(64);
  });

  it("BYTES elements carry 4-byte LE length prefixes both ways; FP16 goes binary (kserve-v2.md §2)", async () => {
    const m = await mock("triton");
    const strings = [textToBytes("a"), textToBytes("héllo"), textToBytes("")];
    const raw = encodeRaw("BYTES", strings);
    const res = await m.http.inject({
      url: "/v2/models/identity_bytes/infer",
      ...binaryRequest(
        {
          inputs: [
            {
              name: "INPUT0",
              shape: [1, 3],
              datatype: "BYTES",
              parameters: { binary_data_size: raw.byteLength },
            },
          ],
          outputs: [{ name: "OUTPUT0", parameters: { binary_data: true } }],
        },
        [raw],
      ),
    });
    const { binary } = splitResponse(
      res.rawPayload,
      res.headers["inference-header-content-length"] as string,
    );
    expect(Buffer.from(binary)).toEqual(Buffer.from(raw));

    const half = encodeRaw("FP16", Float32Array.from([1.5, -2]));
    const fp16 = await m.http.inject({
      url: "/v2/models/identity_fp16/infer",
      ...binaryRequest(
        {
          inputs: [
            {
              name: "INPUT0",
              shape: [1, 2],
              datatype: "FP16",
              parameters: { binary_data_size: 4 },
            },
          ],
          outputs: [{ name: "OUTPUT0", parameters: { binary_data: true } }],
        },
        [half],
      ),
    });
    expect(fp16.statusCode).toBe(200);
    expect(
      Buffer.from(
        splitResponse(fp16.rawPayload, fp16.headers["inference-header-content-length"] as string)
          .binary,
      ),
    ).toEqual(Buffer.from(half));
    // FP16 out as JSON is refused (kserve-v2.md §3.1).
    const asJson = await m.http.inject({
      url: "/v2/models/identity_fp16/infer",
      ...binaryRequest(
        {
          inputs: [
            {
              name: "INPUT0",
              shape: [1, 2],
              datatype: "FP16",
              parameters: { binary_data_size: 4 },
            },
          ],
        },
        [half],
      ),
    });
    expect(asJson.json()).toEqual({
      error:
        "sending FP16 data via JSON is not supported. Please use the binary data format for output OUTPUT0",
    });
  });

  it("triton: lying and truncated lengths get Triton's texts (kserve-v2.md §3.1)", async () => {
    const m = await mock("triton");
    const one = (size: number) => ({
      inputs: [
        { name: "INPUT0", shape: [1, 4], datatype: "FP32", parameters: { binary_data_size: size } },
      ],
    });
    const four = new Uint8Array(16);
    const short = await m.http.inject({
      url: "/v2/models/identity_fp32/infer",
      ...binaryRequest(one(16), [four.subarray(0, 12)]),
    });
    expect([short.statusCode, short.json().error]).toEqual([
      400,
      "unexpected size for input 'INPUT0', expecting 4 additional bytes for model 'identity_fp32'",
    ]);
    const mismatch = await m.http.inject({
      url: "/v2/models/identity_fp32/infer",
      ...binaryRequest(one(12), [four.subarray(0, 12)]),
    });
    expect(mismatch.json().error).toBe(
      "[request id: <id_unknown>] input byte size mismatch for input 'INPUT0' for model 'identity_fp32'. Expected 16, got 12",
    );
    const extra = await m.http.inject({
      url: "/v2/models/identity_fp32/infer",
      ...binaryRequest(one(16), [new Uint8Array(20)]),
    });
    expect(extra.json().error).toBe("unexpected additional input data for model 'identity_fp32'");
    const lying = await m.http.inject({
      url: "/v2/models/identity_fp32/infer",
      ...binaryRequest(one(16), [four], "99999"),
    });
    expect(lying.statusCode).toBe(400);
    const noHeader = await m.http.inject({
      method: "POST",
      url: "/v2/models/identity_fp32/infer",
      payload: JSON.stringify(one(16)),
      headers: { "content-type": "application/json" },
    });
    expect(noHeader.json().error).toMatch(/^must specify valid 'Infer-Header-Content-Length'/);
    const both = await m.http.inject({
      method: "POST",
      url: "/v2/models/identity_fp32/infer",
      payload: {
        inputs: [
          {
            name: "INPUT0",
            shape: [1, 1],
            datatype: "FP32",
            data: [1],
            parameters: { binary_data_size: 4 },
          },
        ],
      },
    });
    expect(both.json().error).toBe(
      "Input must set only one of the following fields: 'data', 'binary_data_size' in 'parameters', 'shared_memory_region' in 'parameters'. But set 'data' 'binary_data_size'",
    );
  });

  it("ovms: lowercase header, JSON content type, only listed outputs go binary, size from shape (kserve-v2.md §3.3)", async () => {
    const m = await mock("ovms");
    const values = new Uint8Array(Float32Array.from([1, 2, 3]).buffer);
    const listed = await m.http.inject({
      url: "/v2/models/identity_fp32/infer",
      ...binaryRequest(
        {
          inputs: [{ name: "INPUT0", shape: [1, 3], datatype: "FP32" }],
          outputs: [{ name: "OUTPUT0", parameters: { binary_data: true } }],
        },
        [values],
      ),
    });
    expect(listed.statusCode).toBe(200);
    expect(listed.headers["content-type"]).toBe("application/json");
    expect(listed.headers["inference-header-content-length"]).toBeDefined();
    const unlisted = await m.http.inject({
      url: "/v2/models/identity_fp32/infer",
      ...binaryRequest(
        {
          inputs: [{ name: "INPUT0", shape: [1, 3], datatype: "FP32" }],
          parameters: { binary_data_output: true },
        },
        [values],
      ),
    });
    expect(unlisted.json().outputs[0].data).toEqual([1, 2, 3]);
    const short = await m.http.inject({
      url: "/v2/models/identity_fp32/infer",
      ...binaryRequest(
        {
          inputs: [
            {
              name: "INPUT0",
              shape: [1, 3],
              datatype: "FP32",
              parameters: { binary_data_size: 12 },
            },
          ],
        },
        [values.subarray(0, 8)],
      ),
    });
    expect(short.json()).toEqual({
      error: "Received buffer size is smaller than binary_data_size parameter indicates",
    });
    const lying = await m.http.inject({
      url: "/v2/models/identity_fp32/infer",
      ...binaryRequest(
        { inputs: [{ name: "INPUT0", shape: [1, 3], datatype: "FP32" }] },
        [values],
        "100000",
      ),
    });
    expect(lying.json()).toEqual({
      error: "Inference-Header-Content-Length header exceeds actual payload length",
    });
  });

  it("mlserver refuses binary bodies: its JSON parser sees the raw bytes (kserve-v2.md §3.2, MLServer#324)", async () => {
    const m = await mock("mlserver");
    const res = await m.http.inject({
      url: "/v2/models/identity_fp32/infer",
      ...binaryRequest(
        {
          inputs: [
            {
              name: "INPUT0",
              shape: [1, 1],
              datatype: "FP32",
              parameters: { binary_data_size: 4 },
            },
          ],
        },
        [new Uint8Array(4)],
      ),
    });
    expect(res.statusCode).toBe(422);
  });

  it("fuzz: random truncations and lying lengths never crash or hang any runtime", async () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (const runtime of ["triton", "ovms", "mlserver"] as const) {
      const m = await mock(runtime);
      const strings = encodeRaw("BYTES", [textToBytes("abc"), textToBytes("de")]);
      const { body, jsonLength } = joinBinaryBody(
        {
          inputs: [
            {
              name: "INPUT0",
              shape: [1, 2],
              datatype: "BYTES",
              parameters: { binary_data_size: strings.byteLength },
            },
          ],
        },
        [strings],
      );
      for (let round = 0; round < 150; round++) {
        const cut = Math.floor(random() * (body.byteLength + 1));
        const truncated = Buffer.from(body.subarray(0, cut));
        if (random() < 0.5 && cut > jsonLength)
          truncated[jsonLength + Math.floor(random() * (cut - jsonLength))] = 0xff;
        const headerValue =
          random() < 0.2 ? String(Math.floor(random() * 400)) : String(jsonLength);
        const res = await m.http.inject({
          method: "POST",
          url: "/v2/models/identity_bytes/infer",
          payload: truncated,
          headers: {
            "content-type": "application/octet-stream",
            "inference-header-content-length": headerValue,
          },
        });
        expect([200, 400, 412, 422, 500]).toContain(res.statusCode);
        if (res.statusCode === 500 && runtime === "triton")
          expect(res.json().error).toMatch(/parse/);
      }
      const alive = await m.http.inject({ method: "GET", url: "/v2" });
      expect(alive.statusCode).toBe(200);
    }
  });
});

describe("fuzz: JSON bodies", () => {
  it("random mutations of a valid request get an answer in the runtime's shape, never a crash or hang", async () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const valid = JSON.stringify({
      id: "f",
      inputs: [{ name: "INPUT0", shape: [1, 3], datatype: "FP32", data: [[1, 2, 3]] }],
      outputs: [{ name: "OUTPUT0", parameters: { binary_data: false } }],
    });
    const alphabet = '{}[]",:-0123456789.eEtruefalsnl ';
    for (const runtime of ["triton", "ovms", "mlserver"] as const) {
      const m = await mock(runtime);
      for (let round = 0; round < 200; round++) {
        const chars = valid.split("");
        const edits = 1 + Math.floor(random() * 4);
        for (let e = 0; e < edits; e++) {
          const at = Math.floor(random() * chars.length);
          const op = random();
          if (op < 0.4) chars.splice(at, 1);
          else if (op < 0.8) chars[at] = alphabet[Math.floor(random() * alphabet.length)] ?? " ";
          else chars.splice(at, 0, alphabet[Math.floor(random() * alphabet.length)] ?? " ");
        }
        const res = await m.http.inject({
          method: "POST",
          url: "/v2/models/identity_fp32/infer",
          payload: chars.join(""),
          headers: { "content-type": "application/json" },
        });
        expect([200, 400, 404, 412, 422, 500]).toContain(res.statusCode);
        if (res.statusCode !== 200 && !(runtime === "mlserver" && res.statusCode === 500)) {
          expect(() => JSON.parse(res.body)).not.toThrow();
        }
      }
      expect((await m.http.inject({ method: "GET", url: "/v2" })).statusCode).toBe(200);
    }
  });
});
