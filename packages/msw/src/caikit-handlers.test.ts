import { createCaikitClient } from "@servingkit/caikit";
import { caikitMockModule } from "@servingkit/caikit/mock";
import { ServingkitError } from "@servingkit/client-core";
import { Readiness, type RunningMock, startMock } from "@servingkit/mock-core";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { caikitHandlers } from "./caikit-handlers.js";

const tgisUrl = "http://caikit-tgis.test";
const standaloneUrl = "http://caikit-standalone.test/prefix";
const readiness = new Readiness();
const server = setupServer(
  ...(await caikitHandlers({
    runtime: "caikit-tgis",
    baseUrl: tgisUrl,
    models: ["flan"],
    readiness,
  })),
  ...(await caikitHandlers({
    runtime: "caikit-standalone",
    baseUrl: standaloneUrl,
    models: ["minilm"],
    textClassificationModels: ["sentiment"],
    localTextGenerationModels: ["local-gen"],
  })),
);

beforeAll(() => server.listen({ onUnhandledFrame: "bypass" }));
afterAll(() => server.close());

const postJson = (url: string, body: string, contentType = "application/json") =>
  fetch(url, { method: "POST", headers: { "content-type": contentType }, body });

describe("caikitHandlers: classification and tasks a module lacks", () => {
  it("classifies text with a configured SequenceClassification model", async () => {
    // caikit-nlp sequence_classification.py: one {label, score} per label, softmax scores.
    const response = await postJson(
      `${standaloneUrl}/api/v1/task/text-classification`,
      JSON.stringify({ model_id: "sentiment", inputs: "a great day" }),
    );
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.results.map((r: { label: string }) => r.label)).toEqual(["NEGATIVE", "POSITIVE"]);
    expect(body.results[1].score).toBeGreaterThan(body.results[0].score);
  });

  it("generates with a local TextGeneration model, the prompt kept by default", async () => {
    // caikit-tgis.md §1.3: the local module's preserve_input_text defaults to true.
    const body = await (
      await postJson(
        `${standaloneUrl}/api/v1/task/text-generation`,
        JSON.stringify({
          model_id: "local-gen",
          inputs: "Hello there",
          parameters: { max_new_tokens: 2 },
        }),
      )
    ).json();
    expect(body.generated_text.startsWith("Hello there")).toBe(true);
    expect(body.tokens).toBeNull();
  });

  it("answers the REST 500 of a model whose module lacks the task (derived)", async () => {
    // http_server.py → predict_model reads .method_name of the missing signature: INTERNAL → 500.
    const response = await postJson(
      `${standaloneUrl}/api/v1/task/text-generation`,
      JSON.stringify({ model_id: "minilm", inputs: "x" }),
    );
    expect(response.status).toBe(500);
    expect((await response.json()).details).toBe(
      "'NoneType' object has no attribute 'method_name'",
    );
  });
});

describe("caikitHandlers with the caikit REST client", () => {
  const client = createCaikitClient({ baseUrl: tgisUrl });

  it("generates text unary and streamed, the same text (caikit-tgis.md §1.3, §1.5)", async () => {
    const params = { maxNewTokens: 4, minNewTokens: 4, generatedTokens: true };
    const unary = await client.generateText("flan", "Hello", params);
    expect(unary).toMatchObject({ generatedTokens: 4, finishReason: "MAX_TOKENS" });
    const chunks = [];
    for await (const chunk of client.generateTextStream("flan", "Hello", params))
      chunks.push(chunk);
    expect(chunks[0]?.details?.finishReason).toBe("NOT_FINISHED");
    expect(chunks.at(-1)?.details?.finishReason).toBe("MAX_TOKENS");
    expect(chunks.map((c) => c.generatedText).join("")).toBe(unary.generatedText);
  });

  it("surfaces a stream's `event: error` frame as ServingkitError (caikit-tgis.md §1.5)", async () => {
    const drain = async () => {
      for await (const _ of client.generateTextStream("flan", "x", { maxNewTokens: 5000 })) {
        // an error frame arrives instead of results
      }
    };
    const error = await drain().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServingkitError);
    expect((error as ServingkitError).rawMessage).toContain("max_new_tokens must be <= 1024");
  });

  it("serves Caikit Standalone's embeddings under a path prefix", async () => {
    const standalone = createCaikitClient({ baseUrl: standaloneUrl });
    const result = await standalone.embedding("minilm", "hello");
    expect(result.vector.length).toBeGreaterThan(0);
  });
});

describe("caikitHandlers with plain fetch: the host's answers from the catalog", () => {
  it("answers /health from readiness (caikit-tgis.md §1.1: 200 text/plain OK)", async () => {
    const ok = await fetch(`${tgisUrl}/health`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe("OK");
    readiness.set(false);
    try {
      expect((await fetch(`${tgisUrl}/health`)).status).not.toBe(200);
    } finally {
      readiness.set(true);
    }
  });

  it("answers an unknown path with FastAPI's 404 and a wrong method with its 405", async () => {
    // caikit-tgis.md §0 note: /info/runtime is no caikit route; FastAPI answers 404.
    const missing = await fetch(`${tgisUrl}/info/runtime`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe('{"detail":"Not Found"}');
    const wrong = await fetch(`${tgisUrl}/info/version`, { method: "POST" });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("GET, HEAD");
  });

  it("answers malformed JSON with FastAPI's 422 json_invalid (caikit-tgis.md §1.7)", async () => {
    const response = await postJson(`${tgisUrl}/api/v1/task/text-generation`, "{oops");
    expect(response.status).toBe(422);
    expect((await response.json()).detail[0].type).toBe("json_invalid");
  });
});

describe("caikitHandlers answer as the fastify mock does (same route table)", () => {
  let mock: RunningMock;
  beforeAll(async () => {
    mock = await startMock({
      runtime: "caikit-tgis",
      host: "127.0.0.1",
      httpPort: 0,
      logger: false,
      models: ["flan"],
      plugins: await caikitMockModule.plugins({
        runtime: "caikit-tgis",
        models: ["flan"],
        values: {},
      }),
    });
  });
  afterAll(() => mock.close());

  const requests: [string, RequestInit][] = [
    ["/info/version", {}],
    ["/info/models?model_ids=flan", {}],
    ["/info/models?model_ids=nope", {}],
    ["/health", {}],
    ["/nowhere", {}],
    ["/info/version", { method: "DELETE" }],
    [
      "/api/v1/task/tokenization",
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"model_id": "flan", "inputs": "Hi there"}',
      },
    ],
    [
      "/api/v1/task/text-generation",
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"model_id": "flan", "inputs": "Hi", "parameters": {"max_new_tokens": 3}}',
      },
    ],
    [
      "/api/v1/task/text-generation",
      { method: "POST", headers: { "content-type": "text/plain" }, body: "hi" },
    ],
    [
      "/api/v1/task/text-generation",
      { method: "POST", headers: { "content-type": "application/json" }, body: "{" },
    ],
    [
      "/api/v1/task/server-streaming-text-generation",
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"model_id": "flan", "inputs": "Hi", "parameters": {"max_new_tokens": 3, "min_new_tokens": 3}}',
      },
    ],
  ];

  it.each(requests)("%s %o", async (path, init) => {
    const [viaMsw, viaServer] = await Promise.all([
      fetch(`${tgisUrl}${path}`, init),
      fetch(`${mock.endpoints.http}${path}`, init),
    ]);
    const answer = async (r: Response) => ({
      status: r.status,
      contentType: r.headers.get("content-type"),
      allow: r.headers.get("allow"),
      // Error ids are random hex (caikit-tgis.md §1.7); everything else must match byte for byte.
      body: (await r.text()).replace(/"id": ?"[0-9a-f]{32}"/g, '"id": "<id>"'),
    });
    expect(await answer(viaMsw)).toEqual(await answer(viaServer));
  });
});
