import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { joinBinaryBody } from "../binary-body.js";
import { alignedBodyParser, bodyPadding } from "./request-body.js";
import { closeAll, startKserve } from "./test-mocks.js";

const apps: FastifyInstance[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
  await closeAll();
});

describe("bodyPadding", () => {
  it("puts the bytes after the JSON header on an 8-byte boundary", () => {
    for (const length of [0, 1, 3, 7, 8, 176, 177, 203]) {
      const pad = bodyPadding({ "inference-header-content-length": String(length) });
      expect((pad + length) % 8).toBe(0);
      expect(pad).toBeLessThan(8);
    }
  });

  it("is 0 without the header or with a value the route refuses itself", () => {
    expect(bodyPadding({})).toBe(0);
    expect(bodyPadding({ "inference-header-content-length": "-3" })).toBe(0);
    expect(bodyPadding({ "inference-header-content-length": "x" })).toBe(0);
  });
});

/** A fastify app whose catch-all parser is the aligned one; the route echoes what it got. */
async function echoApp(limit: number): Promise<string> {
  const app = Fastify();
  apps.push(app);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", alignedBodyParser(limit));
  app.post("/", async (request) => {
    const body = request.body as Buffer;
    const header = Number(request.headers["inference-header-content-length"] ?? 0);
    return { text: body.toString("latin1"), tailOffset: (body.byteOffset + header) % 8 };
  });
  return app.listen({ port: 0, host: "127.0.0.1" });
}

/** Sends `chunks` with chunked transfer encoding (no Content-Length) and reads the answer. */
function postChunked(base: string, headers: Record<string, string>, chunks: string[]) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpRequest(`${base}/`, { method: "POST", headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => {
        body += d;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe("alignedBodyParser", () => {
  it("delivers the bytes sent, the binary part aligned, with and without Content-Length", async () => {
    const base = await echoApp(1024);
    for (const header of [0, 3, 5, 8]) {
      const text = `${"j".repeat(header)}tensor-bytes`;
      const headers = {
        "content-type": "application/octet-stream",
        "inference-header-content-length": String(header),
      };
      const sized = await fetch(`${base}/`, { method: "POST", headers, body: text });
      expect(await sized.json()).toEqual({ text, tailOffset: 0 });
      const chunked = await postChunked(base, headers, [text.slice(0, 4), text.slice(4)]);
      expect(JSON.parse(chunked.body)).toEqual({ text, tailOffset: 0 });
    }
  });

  it("refuses a body over the limit as fastify does (413), announced or chunked", async () => {
    const base = await echoApp(8);
    const sized = await fetch(`${base}/`, { method: "POST", body: "123456789" });
    expect(sized.status).toBe(413);
    expect(((await sized.json()) as { code: string }).code).toBe("FST_ERR_CTP_BODY_TOO_LARGE");
    const chunked = await postChunked(base, {}, ["12345", "6789"]);
    expect(chunked.status).toBe(413);
  });

  it("never hands the route a body cut shorter than its Content-Length", async () => {
    const base = await echoApp(1024);
    const url = new URL(base);
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.end("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345");
      });
      let got = "";
      socket.on("data", (d) => {
        got += d.toString();
      });
      socket.on("close", () => resolve(got));
      socket.on("error", () => resolve(got));
    });
    // Node's HTTP parser sees the connection end mid-body: the request errors out, no 200.
    expect(answer).not.toMatch(/^HTTP\/1\.1 200/);
  });
});

describe("the Triton mock's body limit", () => {
  it("is the host's: a larger body is its 413 in Triton's error envelope", async () => {
    // mock.ts bodyError: over the host's limit, the runtime's internal error with status 413.
    const mock = await startKserve("triton", {}, { bodyLimit: 1024 });
    const res = await fetch(`${mock.endpoints.http}/v2/models/simple/infer`, {
      method: "POST",
      headers: {
        "content-type": "application/octet-stream",
        "inference-header-content-length": "3",
      },
      body: "x".repeat(2048),
    });
    expect(res.status).toBe(413);
    expect(Object.keys((await res.json()) as object)).toEqual(["error"]);
  });
});

describe("the Triton mock reading large binary bodies", () => {
  const elements = 128 * 1024 + 3; // FP64: a 1 MiB tensor and a little more
  const header = (pad: string) => ({
    inputs: [
      {
        name: "INPUT0",
        shape: [1, elements],
        datatype: "FP64",
        parameters: { binary_data_size: elements * 8, pad },
      },
    ],
    outputs: [{ name: "OUTPUT0", parameters: { binary_data: true } }],
  });
  const call = async (base: string, seed: number, pad: string) => {
    const values = Float64Array.from({ length: elements }, (_, i) => seed + i / 4);
    const { body, jsonLength } = joinBinaryBody(header(pad), [new Uint8Array(values.buffer)]);
    const res = await fetch(`${base}/v2/models/identity_fp64/infer`, {
      method: "POST",
      headers: {
        "content-type": "application/octet-stream",
        "inference-header-content-length": String(jsonLength),
      },
      body: Buffer.from(body),
    });
    const bytes = new Uint8Array(await res.arrayBuffer());
    const length = Number(res.headers.get("inference-header-content-length"));
    const tail = bytes.slice(length);
    return { status: res.status, sent: values, got: new Float64Array(tail.buffer) };
  };

  it("answers every large binary request with its own tensor, one after another and at once", async () => {
    // kserve-v2.md §2: the binary output is the tensor's bytes; identity gives back the input.
    const mock = await startKserve("triton");
    const base = mock.endpoints.http as string;
    // JSON headers of differing lengths put the tensor at every offset modulo 8.
    for (let seed = 0; seed < 4; seed++) {
      const { status, sent, got } = await call(base, seed * 1000, "x".repeat(seed));
      expect(status).toBe(200);
      expect(got).toEqual(sent);
    }
    const together = await Promise.all(
      [1, 2, 3, 4, 5].map((seed) => call(base, seed * 7777, "y".repeat(seed))),
    );
    for (const { status, sent, got } of together) {
      expect(status).toBe(200);
      expect(got).toEqual(sent);
    }
  });
});
