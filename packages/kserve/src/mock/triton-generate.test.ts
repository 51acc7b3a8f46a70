/**
 * Triton's generate extension on the mock (server docs/protocol/extension_generate.md,
 * src/http_server.cc `HandleGenerate` / `GenerateRequestClass`, qa/L0_http/generate_endpoint_test.py):
 * the pure mapping and rendering, then the routes over a real socket with fetch (bytes of the
 * answers asserted as sent), the refusals, and a seeded fuzz of bodies.
 */
import type { RestRouteReply } from "@servingkit/mock-core/host";
import { afterEach, describe, expect, it } from "vitest";
import type { ModelCallback } from "./decoupled.js";
import { InferFault } from "./fault.js";
import { tritonSimple } from "./models.js";
import { profiles } from "./profiles.js";
import { closeAll, startKserve } from "./test-mocks.js";
import {
  decodeGenerateRequest,
  generateCallbacksReply,
  generateReply,
  generateShape,
  notOneResponse,
  renderGenerateResponse,
  sseEvent,
} from "./triton-generate.js";

afterEach(closeAll);

const triton = profiles.triton;
const sixteen = <T>(f: (i: number) => T): T[] => Array.from({ length: 16 }, (_, i) => f(i));

describe("generateShape (HandleGenerate's two passes over the metadata shape)", () => {
  it("fixed dimensions divide the count, the innermost variable one takes the rest, others 1", () => {
    expect(generateShape([-1, 16], 16)).toEqual([1, 16]);
    expect(generateShape([-1, 16], 32)).toEqual([2, 16]);
    expect(generateShape([-1, -1], 3)).toEqual([1, 3]);
    expect(generateShape([-1, -1], 1)).toEqual([1, 1]);
    expect(generateShape([-1, 16], 0)).toEqual([0, 16]);
    expect(generateShape([-1, 16], 5)).toBeUndefined();
    expect(generateShape([16], 0)).toBeUndefined();
    expect(generateShape([0, -1], 3)).toBeUndefined();
  });
});

describe("decodeGenerateRequest (ConvertGenerateRequest, ExactMappingInput)", () => {
  it("model inputs become tensors, other keys and `parameters` members parameters", () => {
    const decoded = decodeGenerateRequest(triton, tritonSimple, {
      INPUT0: sixteen((i) => i),
      temperature: 0.5,
      parameters: { INPUT1: sixteen(() => 1), stream: false },
      id: "r1",
    });
    expect(decoded.id).toBe("r1");
    expect(decoded.inputs.map((t) => [t.name, t.datatype, t.shape])).toEqual([
      ["INPUT0", "INT32", [1, 16]],
      ["INPUT1", "INT32", [1, 16]],
    ]);
    expect(Array.from(decoded.inputs[0]?.values as Int32Array)).toEqual(sixteen((i) => i));
  });

  it("keys that are not inputs are kept as the request's parameters (what vllm_model reads)", () => {
    const body = '{"temperature":0.5,"parameters":{"max_tokens":3,"stop":"x","__proto__":true}}';
    const decoded = decodeGenerateRequest(triton, tritonSimple, JSON.parse(body));
    expect(Object.entries(decoded.parameters)).toEqual([
      ["temperature", 0.5],
      ["max_tokens", 3],
      ["stop", "x"],
      ["__proto__", true],
    ]);
  });

  it("an empty id is no id (FinalizeResponse skips an empty one)", () => {
    expect(decodeGenerateRequest(triton, tritonSimple, { id: "" }).id).toBeUndefined();
  });
});

describe("renderGenerateResponse (GenerateRequestClass::FinalizeResponse)", () => {
  it("keys in std::map byte order, one element bare, a name taken keeps its first value", () => {
    const json = renderGenerateResponse({
      modelName: "m",
      modelVersion: "1",
      id: "x",
      outputs: [
        { name: "b", datatype: "INT32", shape: [1], values: Int32Array.of(7) },
        { name: "A", datatype: "BYTES", shape: [2], values: [Uint8Array.of(104), Uint8Array.of()] },
        { name: "0", datatype: "FP32", shape: [0], values: new Float32Array(0) },
        { name: "model_name", datatype: "INT32", shape: [1], values: Int32Array.of(1) },
      ],
    });
    expect(json).toBe('{"0":[],"A":["h",""],"b":7,"id":"x","model_name":"m","model_version":"1"}');
  });

  it("NaN and the infinities as bare words (triton_json.h Write: rapidjson kWriteNanAndInfFlag)", () => {
    const json = renderGenerateResponse({
      modelName: "m",
      modelVersion: "1",
      id: undefined,
      outputs: [
        { name: "a", datatype: "FP32", shape: [1], values: Float32Array.of(Number.NaN) },
        {
          name: "b",
          datatype: "FP64",
          shape: [3],
          values: Float64Array.of(Number.POSITIVE_INFINITY, 0.5, Number.NEGATIVE_INFINITY),
        },
      ],
    });
    expect(json).toBe(
      '{"a":NaN,"b":[Infinity,0.5,-Infinity],"model_name":"m","model_version":"1"}',
    );
  });

  it("byte order, not UTF-16 order: U+E000 (EE 80 80) before U+1F600 (F0 9F 98 80)", () => {
    const one = (name: string) => ({
      name,
      datatype: "INT32" as const,
      shape: [1],
      values: Int32Array.of(1),
    });
    const json = renderGenerateResponse({
      modelName: "m",
      modelVersion: "1",
      id: undefined,
      outputs: [one("\u{1F600}"), one("\uE000"), one("é")],
    });
    // ASCII keys first (model_name is 6D...), then é (C3 A9), U+E000, U+1F600.
    expect(Object.keys(JSON.parse(json))).toEqual([
      "model_name",
      "model_version",
      "é",
      "\uE000",
      "\u{1F600}",
    ]);
  });

  it("an FP16 output is refused (WriteDataToJson: JSON cannot carry it)", () => {
    expect(() =>
      renderGenerateResponse({
        modelName: "m",
        modelVersion: "1",
        id: undefined,
        outputs: [{ name: "h", datatype: "FP16", shape: [1], values: new Uint16Array(1) }],
      }),
    ).toThrow(/sending FP16 data via JSON is not supported/);
  });

  // http_server.cc WriteDataToJson: the text names no output.
  it("an error in the model's response keeps the stream's content type and comes as an event (InferResponseComplete, AddErrorJson)", async () => {
    const reply = generateReply(
      triton,
      {
        modelName: "m",
        modelVersion: "1",
        id: undefined,
        outputs: [{ name: "h", datatype: "BF16", shape: [1], values: new Uint16Array(1) }],
      },
      true,
    );
    let body = "";
    for await (const chunk of reply.body as AsyncIterable<string>) body += chunk;
    expect([reply.status, reply.headers?.["content-type"], body]).toEqual([
      400,
      "text/event-stream; charset=utf-8",
      `data: {"error":"sending BF16 data via JSON is not supported. Please use the binary data format for output"}\n\n`,
    ]);
  });

  it("generate_stream frames each response as `data: <json>` and a blank line", () => {
    expect(sseEvent('{"a":1}')).toBe('data: {"a":1}\n\n');
  });
});

async function start(runtime: "triton" | "mlserver" | "ovms" = "triton") {
  const mock = await startKserve(runtime);
  const base = mock.endpoints.http as string;
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  return { base, post };
}

const simpleBody = { INPUT0: sixteen((i) => i), INPUT1: sixteen(() => 1) };
/** The simple model's inputs as JSON text, for bodies that repeat a key (no object can). */
const ints = JSON.stringify(simpleBody.INPUT0);
const ones = JSON.stringify(simpleBody.INPUT1);
const simpleAnswer = `{"OUTPUT0":${JSON.stringify(sixteen((i) => i + 1))},"OUTPUT1":${JSON.stringify(sixteen((i) => i - 1))},"model_name":"simple","model_version":"1"}`;

describe("POST /v2/models/{m}[/versions/{v}]/generate", () => {
  it("simple: one JSON object, chunked, outputs by name before model_name (extension_generate.md)", async () => {
    const { post } = await start();
    const res = await post("/v2/models/simple/generate", simpleBody);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    // evhtp_send_reply_chunk_start: no content-length, the body goes out chunked.
    expect(res.headers.get("content-length")).toBeNull();
    expect(res.headers.get("transfer-encoding")).toBe("chunked");
    expect(await res.text()).toBe(simpleAnswer);
  });

  it("simple_string: BYTES inputs from strings, outputs as strings; the versioned route and an id", async () => {
    const { post } = await start();
    const res = await post("/v2/models/simple_string/versions/1/generate", {
      id: "q7",
      INPUT0: sixteen((i) => String(i)),
      INPUT1: sixteen(() => "2"),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      OUTPUT0: sixteen((i) => String(i + 2)),
      OUTPUT1: sixteen((i) => String(i - 2)),
      id: "q7",
      model_name: "simple_string",
      model_version: "1",
    });
  });

  it("a scalar is one element; identity_fp32 answers it bare (ExactMappingOutput strips one element)", async () => {
    const { post } = await start();
    const res = await post("/v2/models/identity_fp32/generate", { INPUT0: 1.5, max_tokens: 8 });
    expect(await res.text()).toBe(
      '{"OUTPUT0":1.5,"model_name":"identity_fp32","model_version":"1"}',
    );
  });

  it("a batch of 32 elements is shape [2,16] for simple (the fixed 16 divides the count)", async () => {
    const { post } = await start();
    const res = await post("/v2/models/simple/generate", {
      INPUT0: [...sixteen(() => 1), ...sixteen(() => 2)],
      INPUT1: [...sixteen(() => 1), ...sixteen(() => 1)],
    });
    const body = (await res.json()) as { OUTPUT0: number[] };
    expect(body.OUTPUT0).toEqual([...sixteen(() => 2), ...sixteen(() => 3)]);
  });

  it("an inference counts in the model's statistics (the same inference as infer)", async () => {
    const { base, post } = await start();
    await post("/v2/models/simple/generate", simpleBody);
    const stats = (await (await fetch(`${base}/v2/models/simple/stats`)).json()) as {
      model_stats: { inference_count: number }[];
    };
    expect(stats.model_stats[0]?.inference_count).toBe(1);
  });
});

describe("POST .../generate_stream", () => {
  it("a non-decoupled model answers one event: `data: <json>\\n\\n`, text/event-stream", async () => {
    const { post } = await start();
    const res = await post("/v2/models/simple/generate_stream", simpleBody, {
      accept: "text/event-stream",
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(res.headers.get("transfer-encoding")).toBe("chunked");
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.equals(Buffer.from(`data: ${simpleAnswer}\n\n`))).toBe(true);
  });

  it("a refusal before inference is plain JSON, not an event (generate_endpoint_test.py)", async () => {
    const { post } = await start();
    const res = await post("/v2/models/simple/generate_stream", { INPUT0: sixteen(() => 1) });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(((await res.json()) as { error: string }).error).toContain(
      "expected 2 inputs but got 1",
    );
  });
});

describe("generate refusals: Triton's texts and statuses (HttpCodeFromError)", () => {
  const cases: [string, string, unknown, number, string][] = [
    [
      "unknown model",
      "/v2/models/nope/generate",
      {},
      404,
      "Request for unknown model: 'nope' is not found",
    ],
    [
      "unknown version",
      "/v2/models/simple/versions/7/generate",
      simpleBody,
      404,
      "Request for unknown model: 'simple' version 7 is not found",
    ],
    [
      // generate_endpoint_test.py test_missing_inputs: "expected 2 inputs but got 1".
      "a missing input",
      "/v2/models/simple/generate",
      { INPUT0: sixteen(() => 1), other: "param" },
      400,
      "[request id: <id_unknown>] expected 2 inputs but got 1 inputs for model 'simple'. Got input(s) ['INPUT0'], but missing required input(s) ['INPUT1']. Please provide all required input(s).",
    ],
    [
      "a missing input, with the request id in the prefix",
      "/v2/models/simple/generate",
      { id: "r9" },
      400,
      "[request id: r9] expected 2 inputs but got 0 inputs for model 'simple'. Got input(s) [], but missing required input(s) ['INPUT0', 'INPUT1']. Please provide all required input(s).",
    ],
    [
      // test_invalid_input_types: ReadDataFromJson through TritonJson (INTERNAL).
      "a string for an INT32 input",
      "/v2/models/simple/generate",
      { INPUT0: sixteen(() => 1).map(String), INPUT1: sixteen(() => 1) },
      500,
      "Unable to parse 'data': attempt to access JSON non-signed-integer as signed-integer",
    ],
    [
      "a number for a BYTES input (JsonBytesArrayByteSize)",
      "/v2/models/simple_string/generate",
      { INPUT0: 3, INPUT1: "1" },
      500,
      "Unable to parse JSON bytes array: attempt to access JSON non-string as string",
    ],
    [
      "a count the shape cannot hold",
      "/v2/models/simple/generate",
      { INPUT0: [1, 2, 3], INPUT1: sixteen(() => 1) },
      400,
      "The schema can not convert input 'INPUT0' to tensor with proper shape",
    ],
    [
      "nested lists hold more elements than the outer length",
      "/v2/models/identity_int32/generate",
      { INPUT0: [[1, 2], [3]] },
      500,
      "Unable to parse 'data': Shape does not match true shape of 'data' field",
    ],
    [
      "nested strings are more elements than the shape (core's BYTES check)",
      "/v2/models/simple_string/generate",
      { INPUT0: sixteen(() => ["1", "2"]), INPUT1: sixteen(() => "1") },
      400,
      "[request id: <id_unknown>] expected 16 string elements for inference input 'INPUT0' for model 'simple_string', got 32",
    ],
    [
      "FP16 by JSON",
      "/v2/models/identity_fp16/generate",
      { INPUT0: [1] },
      400,
      "receiving FP16 data via JSON is not supported. Please use the binary data format for input INPUT0",
    ],
    [
      // test_complex_schema: an object that is not an input is a parameter of the wrong type.
      "an object parameter",
      "/v2/models/simple/generate",
      { ...simpleBody, PARAMS: { PARAM_0: 0 } },
      400,
      "parameter 'PARAMS' has invalid type. It should be either 'int', 'bool', or 'string'.",
    ],
    [
      "a null parameter",
      "/v2/models/simple/generate",
      { ...simpleBody, stop: null },
      400,
      "parameter 'stop' has invalid type. It should be either 'int', 'bool', or 'string'.",
    ],
    [
      // test_parameters: `parameters` must be an object.
      "parameters not an object",
      "/v2/models/simple/generate",
      { ...simpleBody, parameters: 1 },
      500,
      "Expected JSON object for keyword: 'parameters': attempt to access JSON non-object as object",
    ],
    [
      "a nested object in parameters",
      "/v2/models/simple/generate",
      { ...simpleBody, parameters: { nested: { twice: 1 } } },
      400,
      "Converting keyword: 'parameters': parameter 'nested' has invalid type. It should be either 'int', 'bool', or 'string'.",
    ],
    [
      // test_duplicate_inputs: core's AddInput refuses a second input of one name.
      "an input given twice (top level and in parameters)",
      "/v2/models/simple/generate",
      { ...simpleBody, parameters: { INPUT0: sixteen(() => 1) } },
      400,
      "Converting keyword: 'parameters': input 'INPUT0' already exists in request",
    ],
    // test_duplicate_inputs sends raw JSON text with a repeated input: Triton walks every member
    // of its parsed document, so AddInput refuses the second; with several repeats, the first
    // repeat in document order ("Multiple duplicates, parsed in order").
    [
      "a repeated input key",
      "/v2/models/simple/generate",
      `{"INPUT0": ${ints}, "INPUT1": ${ones}, "INPUT0": ${ints}}`,
      400,
      "input 'INPUT0' already exists in request",
    ],
    [
      "repeated input keys on generate_stream, the first repeat in document order",
      "/v2/models/simple/generate_stream",
      `{"INPUT0": ${ints}, "INPUT1": ${ones}, "INPUT1": ${ones}, "INPUT0": ${ints}}`,
      400,
      "input 'INPUT1' already exists in request",
    ],
    [
      "an input repeated inside parameters",
      "/v2/models/simple/generate",
      `{"INPUT0": ${ints}, "parameters": {"INPUT1": ${ones}, "INPUT1": ${ones}}}`,
      400,
      "Converting keyword: 'parameters': input 'INPUT1' already exists in request",
    ],
    [
      "a non-string id",
      "/v2/models/simple/generate",
      { ...simpleBody, id: 5 },
      500,
      "Unable to parse 'id': attempt to access JSON non-string as string",
    ],
    [
      "a body that is not an object",
      "/v2/models/simple/generate",
      [simpleBody],
      500,
      "attempt to get members for non-object",
    ],
    [
      "an empty body",
      "/v2/models/simple/generate",
      "",
      500,
      "failed to parse the request JSON buffer: The document is empty. at 0",
    ],
  ];
  for (const [what, path, body, status, error] of cases) {
    it(`${what}: ${status}`, async () => {
      const { post } = await start();
      const res = await post(path, body);
      expect(res.headers.get("content-type")).toBe("application/json");
      expect([res.status, await res.json()]).toEqual([status, { error }]);
    });
  }

  it("a repeated parameter key is no refusal (the parameter is set again)", async () => {
    // Only core's AddInput refuses a repeat; parameters are not inputs (ExactMappingInput).
    const { post } = await start();
    const res = await post(
      "/v2/models/simple/generate",
      `{"INPUT0": ${ints}, "p": 1, "INPUT1": ${ones}, "p": 2}`,
    );
    expect(res.status).toBe(200);
    expect(((await res.json()) as { OUTPUT0: number[] }).OUTPUT0).toEqual(sixteen((i) => i + 1));
  });

  it("a repeated parameters object: the first is converted once per occurrence, a later one never read (ConvertGenerateRequest)", async () => {
    // server http_server.cc ConvertGenerateRequest walks Members() (every occurrence) and reads
    // each `parameters` with MemberAsObject(name): rapidjson's lookup finds the first member, so
    // the first object is converted twice and an input inside it meets core's AddInput again.
    const { post } = await start();
    const again = await post(
      "/v2/models/simple/generate",
      `{"INPUT0": ${ints}, "parameters": {"INPUT1": ${ones}}, "parameters": {"p": 1}}`,
    );
    expect([again.status, await again.json()]).toEqual([
      400,
      { error: "Converting keyword: 'parameters': input 'INPUT1' already exists in request" },
    ]);
    // The second object is never read: not even its type is checked.
    const second = await post(
      "/v2/models/simple/generate",
      `{"INPUT0": ${ints}, "INPUT1": ${ones}, "parameters": {"p": 1}, "parameters": 5}`,
    );
    expect(second.status).toBe(200);
    // An input given only in the second object is not given at all.
    const lost = await post(
      "/v2/models/simple/generate",
      `{"INPUT0": ${ints}, "parameters": {"p": 1}, "parameters": {"INPUT1": ${ones}}}`,
    );
    expect(lost.status).toBe(400);
    expect(await lost.text()).toContain("INPUT1");
  });

  it("a repeated id answers the first (ParseJsonTritonRequestID's Find finds the first member)", async () => {
    // common triton_json.h: Find(name) reads `object[name]`, rapidjson's first member of a name;
    // JSON.parse alone would keep "second".
    const { post } = await start();
    const res = await post(
      "/v2/models/simple/generate",
      `{"id": "first", "INPUT0": ${ints}, "INPUT1": ${ones}, "id": "second"}`,
    );
    expect(res.status).toBe(200);
    expect(((await res.json()) as { id: string }).id).toBe("first");
    // A first id of the wrong type is refused even when a later one is a string.
    const wrong = await post(
      "/v2/models/simple/generate",
      `{"id": 1, "INPUT0": ${ints}, "INPUT1": ${ones}, "id": "second"}`,
    );
    expect([wrong.status, await wrong.json()]).toEqual([
      500,
      { error: "Unable to parse 'id': attempt to access JSON non-string as string" },
    ]);
  });

  it("malformed JSON is the infer route's parse refusal (500, TritonJson Parse)", async () => {
    const { post } = await start();
    const res = await post("/v2/models/simple/generate_stream", "{not json");
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: string }).error).toMatch(
      /^failed to parse the request JSON buffer: /,
    );
  });

  it("--legacy-status (Triton before 24.01): generate's refusals are 400 too", async () => {
    const mock = await startKserve("triton", { "legacy-status": true });
    const res = await fetch(`${mock.endpoints.http}/v2/models/nope/generate`, {
      method: "POST",
      body: "{}",
    });
    expect([res.status, await res.json()]).toEqual([
      400,
      { error: "Request for unknown model: 'nope' is not found" },
    ]);
  });

  it("a compressed body is refused: generate reads identity only", async () => {
    const { post } = await start();
    const res = await post("/v2/models/simple/generate", simpleBody, {
      "content-encoding": "gzip",
    });
    expect([res.status, await res.json()]).toEqual([
      400,
      { error: "Unsupported content-encoding, only 'identity' is supported." },
    ]);
  });

  it("a non-numeric version is an unknown path, GET a 405 (model_regex_, HandleGenerate)", async () => {
    const { base, post } = await start();
    const bad = await post("/v2/models/simple/versions/one/generate", simpleBody);
    expect([bad.status, await bad.json()]).toEqual([404, { error: "Not Found" }]);
    const get = await fetch(`${base}/v2/models/simple/generate_stream`);
    expect([get.status, await get.json()]).toEqual([405, { error: "Method Not Allowed" }]);
  });
});

describe("the other runtimes", () => {
  it("OVMS serves no generate routes: its unknown-path answer (kserve-v2.md §3.3)", async () => {
    const { post } = await start("ovms");
    const unknown = await post("/v2/models/resnet/nothing", {});
    const expected = [unknown.status, await unknown.text()];
    for (const route of ["generate", "generate_stream"]) {
      const res = await post(`/v2/models/resnet/${route}`, { "0": [1] });
      expect([res.status, await res.text()]).toEqual(expected);
    }
  });
});

describe("fuzz: generate bodies", () => {
  // Triton's INTERNAL (500) texts on this route: JSON parsing and TritonJson access only.
  const internal =
    /^(failed to parse the request JSON buffer: |Unable to parse |attempt to get members for non-object$|Expected JSON object for keyword: 'parameters'|Converting keyword: 'parameters': Unable to parse )/;

  it("seeded random bodies: answered 200, 400 or 500 (only Triton's INTERNAL texts), never a crash", async () => {
    const { post } = await start();
    let seed = 11;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    const pick = <T>(xs: readonly T[]): T => xs[next() % xs.length] as T;
    const scalar = () =>
      pick<() => unknown>([
        () => next() % 100,
        () => (next() % 100) / 7,
        () => -(next() % 5),
        () => String(next() % 50),
        () => pick([true, false]),
        () => null,
        () => "",
      ])();
    const value = (depth: number): unknown => {
      const kind = next() % 6;
      if (depth > 2 || kind < 3) return scalar();
      if (kind < 5) return Array.from({ length: pick([0, 1, 3, 16, 32]) }, () => value(depth + 1));
      return { k: value(depth + 1) };
    };
    const keys = ["INPUT0", "INPUT1", "parameters", "id", "text_input", "max_tokens", "0"];
    const models = ["simple", "simple_string", "identity_fp32", "identity_bytes", "identity_bool"];
    const statuses = new Set<number>();
    for (let i = 0; i < 150; i++) {
      const body: Record<string, unknown> = {};
      for (let k = next() % 4; k >= 0; k--) body[pick(keys)] = value(0);
      if (next() % 3 === 0) {
        body.INPUT0 = sixteen(() => next() % 9);
        body.INPUT1 = sixteen(() => next() % 9);
      }
      const text =
        next() % 10 === 0 ? JSON.stringify(body).slice(0, next() % 20) : JSON.stringify(body);
      const route = pick(["generate", "generate_stream"]);
      const res = await post(`/v2/models/${pick(models)}/${route}`, text);
      statuses.add(res.status);
      expect([200, 400, 500]).toContain(res.status);
      const answer = await res.text();
      if (res.status === 200) {
        const json = route === "generate" ? answer : answer.slice("data: ".length, -2);
        expect(JSON.parse(json)).toHaveProperty("model_name");
      } else {
        const { error } = JSON.parse(answer) as { error: string };
        if (res.status === 500) expect(error).toMatch(internal);
      }
    }
    expect([...statuses].sort()).toEqual([200, 400, 500]);
    const after = await post("/v2/models/simple/generate", simpleBody);
    expect(await after.text()).toBe(simpleAnswer);
  });
});

describe("generateCallbacksReply (GenerateRequestClass with a decoupled model's callbacks)", () => {
  // http_server.cc InferResponseComplete: the first callback sets the status; SendChunkResponse:
  // non-streaming writes the one pending response, or only the exactly-one error.
  const result = (n: number) => ({
    modelName: "m",
    modelVersion: "1",
    id: undefined,
    outputs: [{ name: "OUT", datatype: "INT32" as const, shape: [1], values: Int32Array.of(n) }],
  });
  async function* callbacks(list: ModelCallback[]): AsyncGenerator<ModelCallback> {
    yield* list;
  }
  const read = async (reply: RestRouteReply) => {
    let text = "";
    for await (const chunk of reply.body as AsyncIterable<string>) text += chunk;
    return [reply.status, text] as const;
  };
  const notOne = `{"error":"${notOneResponse}"}`;

  it("one response then the final flag alone: written as usual", async () => {
    const list = [
      { response: result(1), final: false },
      { response: undefined, final: true },
    ];
    expect(await read(await generateCallbacksReply(triton, callbacks(list), false))).toEqual([
      200,
      '{"OUT":1,"model_name":"m","model_version":"1"}',
    ]);
    expect(await read(await generateCallbacksReply(triton, callbacks(list), true))).toEqual([
      200,
      'data: {"OUT":1,"model_name":"m","model_version":"1"}\n\n',
    ]);
  });

  it("no response at all: 200 and the exactly-one error (generate); no event (generate_stream)", async () => {
    const list = [{ response: undefined, final: true }];
    expect(await read(await generateCallbacksReply(triton, callbacks(list), false))).toEqual([
      200,
      notOne,
    ]);
    expect(await read(await generateCallbacksReply(triton, callbacks(list), true))).toEqual([
      200,
      "",
    ]);
  });

  it("a first response with an error sets the status even when more follow", async () => {
    const list = [
      { response: new InferFault("internal", "boom"), final: false },
      { response: result(2), final: true },
    ];
    expect(await read(await generateCallbacksReply(triton, callbacks(list), false))).toEqual([
      500,
      notOne,
    ]);
    expect(await read(await generateCallbacksReply(triton, callbacks(list), true))).toEqual([
      500,
      'data: {"error":"boom"}\n\ndata: {"OUT":2,"model_name":"m","model_version":"1"}\n\n',
    ]);
  });
});
