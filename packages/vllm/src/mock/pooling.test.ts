/**
 * `/pooling` through raw fetch (vLLM serving_pooling.py, protocol.py PoolingRequest /
 * PoolingResponse / PoolingResponseData, api_server.py `create_pooling`).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolingRouteServed, routesByTaskSince } from "./pooling.js";
import { postJson, startVllm, type TestServer } from "./test-server.js";

/** POSTs `body` as JSON to `path` on `server` (test-server.ts postJson). */
function post(server: TestServer, path: string, body: unknown) {
  return postJson(`${server.url}${path}`, body);
}

describe("an embedding model's /pooling", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({
      "served-model-name": "embedder",
      task: "embed",
      "max-model-len": "64",
    });
  });
  afterAll(() => server.close());

  // protocol.py PoolingResponse: id "pool-<hex>", object "list", data items {index, object
  // "pooling", data}; for an embedding model the pooler's output is the embedding.
  it("answers PoolingResponse with the embedding vectors", async () => {
    const { status, body } = await post(server, "/pooling", {
      model: "embedder",
      input: ["the cat sat", "stock prices fell"],
    });
    expect(status).toBe(200);
    expect(body.id).toMatch(/^pool-[0-9a-f]{32}$/);
    expect(body).toMatchObject({ object: "list", model: "embedder" });
    expect(body.data.map((d: { index: number; object: string }) => [d.index, d.object])).toEqual([
      [0, "pooling"],
      [1, "pooling"],
    ]);
    const embedded = await post(server, "/v1/embeddings", { input: "the cat sat" });
    expect(body.data[0].data).toEqual(embedded.body.data[0].embedding);
    expect(body.usage).toMatchObject({ completion_tokens: 0, prompt_tokens_details: null });
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens);
  });

  // serving_pooling.py `_get_data`: base64 is the float32 bytes of the vector.
  it("encodes base64 as float32 and takes token ids", async () => {
    const plain = await post(server, "/pooling", { input: [5, 6, 7] });
    expect(plain.status).toBe(200);
    expect(plain.body.usage.prompt_tokens).toBe(3);
    const packed = await post(server, "/pooling", { input: [5, 6, 7], encoding_format: "base64" });
    const floats = new Float32Array(
      new Uint8Array(Buffer.from(packed.body.data[0].data, "base64")).buffer,
    );
    expect([...floats]).toEqual(plain.body.data[0].data.map((v: number) => Math.fround(v)));
  });

  // serving_pooling.py `create_pooling`: dimensions is refused; truncation as utils.py
  // `_validate_truncation_size`.
  it("refuses dimensions and a truncation above max_model_len", async () => {
    const dims = await post(server, "/pooling", { input: "x", dimensions: 8 });
    expect(dims.status).toBe(400);
    expect(dims.body.error.message).toBe("dimensions is currently not supported");
    const over = await post(server, "/pooling", { input: "x", truncate_prompt_tokens: 65 });
    expect(over.status).toBe(400);
    const cut = await post(server, "/pooling", {
      input: "one two three four five six",
      truncate_prompt_tokens: 2,
    });
    expect(cut.body.usage.prompt_tokens).toBe(2);
  });

  // vllm-openai.md §3: validation errors are vLLM's 400 envelope, never a crash.
  it("refuses a wrong input type with a 400", async () => {
    const bad = await post(server, "/pooling", { input: { text: "x" } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.type).toBe("BadRequestError");
  });
});

describe("a generative model's /pooling", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({});
  });
  afterAll(() => server.close());

  // api_server.py `create_pooling`: no pooling server for a generative model.
  it("answers the does-not-support 400", async () => {
    const { status, body } = await post(server, "/pooling", { input: "hello" });
    expect(status).toBe(400);
    expect(body.error.message).toBe("The model does not support Pooling API");
  });
});

describe("a release before /pooling", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({ "vllm-version": "0.6.5" });
  });
  afterAll(() => server.close());

  // vLLM PR #11457 ("Online Pooling API", merged 2024-12-24) first shipped in 0.6.6.
  it("has no /pooling route", async () => {
    const { status, body } = await post(server, "/pooling", { input: "hello" });
    expect(status).toBe(404);
    expect(body).toEqual({ detail: "Not Found" });
  });
});

describe("/pooling's activation fields", () => {
  const servers: TestServer[] = [];
  afterAll(() => {
    for (const server of servers) server.close();
  });
  async function started(flags: Record<string, string>): Promise<TestServer> {
    const server = await startVllm(flags);
    servers.push(server);
    return server;
  }
  async function pooled(server: TestServer, extra: Record<string, unknown> = {}) {
    const { status, body } = await post(server, "/pooling", { input: "the cat sat", ...extra });
    expect(status).toBe(200);
    return body.data[0].data as number[];
  }
  const sum = (v: readonly number[]) => v.reduce((a, b) => a + b, 0);

  // protocol.py PoolingCompletionRequest passes `normalize` to PoolingParams for an embed model
  // (vLLM PR #20538, 0.10.1); the pooled hidden state is not unit length.
  it("answers an embedding model's raw vector for normalize false", async () => {
    const server = await started({ task: "embed" });
    expect(Math.hypot(...(await pooled(server)))).toBeCloseTo(1, 5);
    expect(Math.hypot(...(await pooled(server, { normalize: false })))).toBeGreaterThan(2);
  });

  // vllm/config/pooler.py get_use_activation (0.17.0 on): normalize, softmax, activation, then
  // use_activation, the first given wins.
  it("reads get_use_activation's aliases in order from 0.17.0", async () => {
    const server = await started({ runner: "pooling", "vllm-version": "0.17.0" });
    const unit = await pooled(server);
    expect(Math.hypot(...(await pooled(server, { use_activation: false })))).toBeGreaterThan(2);
    expect(Math.hypot(...(await pooled(server, { softmax: false })))).toBeGreaterThan(2);
    expect(await pooled(server, { softmax: true, use_activation: false })).toEqual(unit);
  });

  // PoolingParams use_activation (vLLM PR #25524, 0.11.1; activation its alias, read first): the
  // classifier's softmax is skipped, /pooling answering the raw logits as /classify does.
  it("answers a classifier's raw logits for use_activation false", async () => {
    const server = await started({ task: "classify" });
    const probs = await pooled(server);
    expect(sum(probs)).toBeCloseTo(1, 6);
    const logits = await pooled(server, { use_activation: false });
    expect(logits).toHaveLength(probs.length);
    expect(sum(logits)).not.toBeCloseTo(1, 3);
    const classified = await post(server, "/classify", {
      input: "the cat sat",
      use_activation: false,
    });
    expect(classified.body.data[0].probs).toEqual(logits);
    expect(await pooled(server, { activation: true, use_activation: false })).toEqual(probs);
  });

  // PoolingRequest carries the classify fields with the deprecated `softmax` from 0.11.1
  // (vLLM PR #25524); get_use_activation reads it first: any given softmax is True on 0.12.0
  // (the walrus precedence bug), its value from 0.17.0 (vLLM PR #32243).
  it("reads a classifier's deprecated softmax first, by value only from 0.17.0", async () => {
    const buggy = await started({ task: "classify" });
    const probs = await pooled(buggy);
    expect(await pooled(buggy, { softmax: false, use_activation: false })).toEqual(probs);
    const classifier = await started({
      runner: "pooling",
      convert: "classify",
      "vllm-version": "0.17.0",
    });
    const soft = await pooled(classifier);
    expect(sum(soft)).toBeCloseTo(1, 6);
    const raw = await pooled(classifier, { softmax: false });
    expect(sum(raw)).not.toBeCloseTo(1, 3);
    expect(await pooled(classifier, { softmax: true, use_activation: false })).toEqual(soft);
  });
});

// v0.13.0 API docs: register_pooling_api_routers(app) includes every pooling router; v0.16.0's
// build_app(args, supported_tasks) includes them only for the model's tasks (a generative model
// has none: FastAPI's 404).
describe("poolingRouteServed", () => {
  it("serves every route before 0.16.0 and only the model's from it", () => {
    expect(routesByTaskSince).toBe("0.16.0");
    expect(poolingRouteServed("0.14.0", false)).toBe(true);
    expect(poolingRouteServed("0.16.0", false)).toBe(false);
    expect(poolingRouteServed("0.21.0", false)).toBe(false);
    expect(poolingRouteServed("0.21.0", true)).toBe(true);
  });
});

describe("pooling routes by the model's tasks (0.16.0 on)", () => {
  const servers: TestServer[] = [];
  afterAll(() => {
    for (const server of servers) server.close();
  });
  async function started(flags: Record<string, string>): Promise<TestServer> {
    const server = await startVllm(flags);
    servers.push(server);
    return server;
  }
  const routes = ["/classify", "/pooling", "/v1/embeddings", "/score", "/rerank"];
  const body = { input: "x", text_1: "a", text_2: "b", query: "a", documents: ["b"] };

  // v0.16.0 api_server.py build_app: no pooling router for a generative model (FastAPI's 404);
  // v0.13.0-0.15.x: every router, the handler's does-not-support 400.
  it("answers a generative model's pooling routes 404 from 0.16.0, 400 before", async () => {
    const newest = await started({ "vllm-version": "0.17.0" });
    for (const path of routes) {
      const answer = await post(newest, path, body);
      expect([path, answer.status, answer.body]).toEqual([path, 404, { detail: "Not Found" }]);
    }
    const older = await started({ "vllm-version": "0.14.0" });
    for (const path of routes) expect((await post(older, path, body)).status).toBe(400);
  });

  // register_pooling_api_routers(app, supported_tasks): an embedding model has /pooling,
  // /v1/embeddings and the scoring routes (bi-encoder), not /classify.
  it("serves an embedding model's routes and not /classify", async () => {
    const server = await started({ runner: "pooling", "vllm-version": "0.17.0" });
    expect((await post(server, "/classify", body)).status).toBe(404);
    for (const path of ["/pooling", "/v1/embeddings", "/score", "/rerank"]) {
      expect([path, (await post(server, path, body)).status]).toEqual([path, 200]);
    }
    const doc = await (await fetch(`${server.url}/openapi.json`)).json();
    expect(Object.keys(doc.paths)).not.toContain("/classify");
    expect(Object.keys(doc.paths)).toContain("/pooling");
  });
});
