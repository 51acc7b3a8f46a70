import { ServingkitError } from "@servingkit/client-core";
import { type RunningMock, startMock } from "@servingkit/mock-core";
import { createVllmClient } from "@servingkit/vllm";
import { vllmMockModule } from "@servingkit/vllm/mock";
import { setupServer } from "msw/node";
import OpenAI, { type APIError } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { vllmHandlers } from "./vllm-handlers.js";

const base = "http://vllm.test";
const keyed = "http://vllm-keyed.test";
const slow = "http://vllm-slow.test";
const lora = "http://vllm-lora.test";
const stored = "http://vllm-stored.test";
const values = { "served-model-name": "granite" };
const server = setupServer(
  ...(await vllmHandlers({ baseUrl: base, values, env: {} })),
  ...(await vllmHandlers({ baseUrl: keyed, values: { ...values, "api-key": "s3cret" }, env: {} })),
  ...(await vllmHandlers({ baseUrl: slow, values: { ...values, "inter-token-latency": "100" } })),
  ...(await vllmHandlers({
    baseUrl: lora,
    values: { ...values, "enable-lora": true, "enable-request-id-headers": true },
    env: { VLLM_ALLOW_RUNTIME_LORA_UPDATING: "True" },
  })),
  ...(await vllmHandlers({
    baseUrl: stored,
    values,
    env: { VLLM_ENABLE_RESPONSES_API_STORE: "1" },
  })),
);
beforeAll(() => server.listen({ onUnhandledFrame: "bypass" }));
afterAll(() => server.close());

describe("the openai SDK against vllmHandlers", () => {
  // Made after server.listen(): the SDK takes the global fetch when it is constructed.
  let client: OpenAI;
  beforeAll(() => {
    client = new OpenAI({ baseURL: `${base}/v1`, apiKey: "unused", maxRetries: 0 });
  });

  it("lists the served model", async () => {
    const page = await client.models.list();
    expect(page.data.map((m) => m.id)).toEqual(["granite"]);
  });

  // vllm-openai.md §5: chat.completion with usage and finish_reason.
  it("answers a chat completion", async () => {
    const answer = await client.chat.completions.create({
      model: "granite",
      messages: [{ role: "user", content: "Say hello" }],
      max_tokens: 8,
      seed: 7,
    });
    expect(answer.object).toBe("chat.completion");
    expect(answer.id).toMatch(/^chatcmpl-/);
    expect(answer.choices[0]?.message.role).toBe("assistant");
    expect(answer.usage?.completion_tokens).toBeGreaterThan(0);
    expect(answer.usage?.completion_tokens).toBeLessThanOrEqual(8);
  });

  it("answers a completion with the default of 16 tokens (vllm-openai.md §4.2)", async () => {
    const answer = await client.completions.create({
      model: "granite",
      prompt: "Once upon a time",
      seed: 1,
      ignore_eos: true,
    } as OpenAI.CompletionCreateParamsNonStreaming);
    expect(answer.object).toBe("text_completion");
    expect(answer.usage?.completion_tokens).toBe(16);
  });

  // vllm-openai.md §1: the Responses API comes from the same route table (vllm mock responses.ts);
  // its stream is `event:` + `data:` frames without [DONE] (vLLM's responses/api_router.py).
  it("answers the Responses API, unary and streamed", async () => {
    const response = await client.responses.create({
      model: "granite",
      input: "Say hello",
      max_output_tokens: 4,
    });
    expect(response.object).toBe("response");
    expect(response.output_text.length).toBeGreaterThan(0);
    // The raw events: the SDK's stream helper cannot follow the counting content_index of vLLM's
    // stream up to 0.17 (vllm mock responses-stream.test.ts).
    const stream = await client.responses.create({
      model: "granite",
      input: "Say hello",
      max_output_tokens: 4,
      stream: true,
    });
    const types: string[] = [];
    let status = "";
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === "response.completed") status = event.response.status ?? "";
    }
    expect(types[0]).toBe("response.created");
    expect(types.at(-1)).toBe("response.completed");
    expect(status).toBe("completed");
  });

  // vllm/envs.py VLLM_ENABLE_RESPONSES_API_STORE from the handlers' env: with it a response is
  // kept and GET returns it; without it the same GET is 404 (serving_responses.py).
  it("keeps responses when its env turns the store on", async () => {
    const withStore = new OpenAI({ baseURL: `${stored}/v1`, apiKey: "unused", maxRetries: 0 });
    const response = await withStore.responses.create({ model: "granite", input: "Hi" });
    expect(await withStore.responses.retrieve(response.id)).toEqual(response);
    await expect(client.responses.retrieve(response.id)).rejects.toMatchObject({ status: 404 });
  });

  // vllm-openai.md §6: chat.completion.chunk events, role first, the text, then [DONE].
  it("streams a chat completion whose text matches the unary answer", async () => {
    const request = {
      model: "granite",
      messages: [{ role: "user" as const, content: "Say hello" }],
      max_tokens: 6,
      seed: 3,
    };
    const unary = await client.chat.completions.create(request);
    const chunks = [];
    for await (const chunk of await client.chat.completions.create({ ...request, stream: true })) {
      chunks.push(chunk);
    }
    expect(chunks[0]?.choices[0]?.delta.role).toBe("assistant");
    expect(chunks.every((c) => c.object === "chat.completion.chunk")).toBe(true);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    expect(text).toBe(unary.choices[0]?.message.content);
  });

  it("streams a completion", async () => {
    const stream = await client.completions.create({
      model: "granite",
      prompt: "Hello",
      max_tokens: 5,
      ignore_eos: true,
      stream: true,
    } as OpenAI.CompletionCreateParamsStreaming);
    let text = "";
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.text ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(finish).toBe("length");
  });

  it("refuses an unknown model with 404 in vLLM's envelope (vllm-openai.md §3)", async () => {
    const error = (await client.chat.completions
      .create({ model: "nope", messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e)) as APIError;
    expect(error.status).toBe(404);
    expect(error.message).toContain("nope");
  });
});

describe("vllmHandlers with plain fetch", () => {
  // vllm-openai.md §2: --api-key guards /v1 only; a refusal is exactly {"error": "Unauthorized"}.
  it("applies vLLM's --api-key to /v1 routes only", async () => {
    const refused = await fetch(`${keyed}/v1/models`);
    expect(refused.status).toBe(401);
    expect(await refused.text()).toBe('{"error": "Unauthorized"}');
    const allowed = await fetch(`${keyed}/v1/models`, {
      headers: { authorization: "Bearer s3cret" },
    });
    expect(allowed.status).toBe(200);
    expect((await fetch(`${keyed}/health`)).status).toBe(200);
  });

  // vllm-openai.md §2: the key middleware runs before routing, so unknown /v1 paths and wrong
  // methods are 401 without the key and FastAPI's 404/405 with it, as on the fastify mock.
  it("guards unknown /v1 paths and wrong methods before the 404/405", async () => {
    for (const [method, path] of [
      ["GET", "/v1/nope"],
      ["POST", "/v1/models"],
    ] as const) {
      const refused = await fetch(`${keyed}${path}`, { method });
      expect(refused.status).toBe(401);
      expect(await refused.text()).toBe('{"error": "Unauthorized"}');
    }
    const key = { authorization: "Bearer s3cret" };
    const unknown = await fetch(`${keyed}/v1/nope`, { headers: key });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ detail: "Not Found" });
    const wrong = await fetch(`${keyed}/v1/models`, { method: "POST", headers: key });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toContain("GET");
  });

  it("answers a stream as vLLM's SSE text ending in [DONE] (vllm-openai.md §6)", async () => {
    const response = await fetch(`${base}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "granite", prompt: "Hi", max_tokens: 2, stream: true }),
    });
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const text = await response.text();
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
  });
});

describe("vllmHandlers serve Anthropic's Messages API (vllm mock anthropic-messages.ts)", () => {
  // vLLM v0.11.1+ (PR #27882): POST /v1/messages from the same route table; its stream is
  // `event:` + `data:` frames and still ends with vLLM's `data: [DONE]`.
  it("answers a message, unary and streamed", async () => {
    const body = {
      model: "granite",
      max_tokens: 4,
      messages: [{ role: "user", content: "Hi" }],
    };
    const init = (extra: object): RequestInit => ({
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...body, ...extra }),
    });
    const unary = await fetch(`${base}/v1/messages`, init({}));
    expect(unary.status).toBe(200);
    const message = (await unary.json()) as { type: string; id: string; usage: object };
    expect(message.type).toBe("message");
    expect(message.id).toMatch(/^chatcmpl-/);
    const streamed = await fetch(`${base}/v1/messages`, init({ stream: true }));
    expect(streamed.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const text = await streamed.text();
    expect(text.startsWith("event: message_start\ndata: ")).toBe(true);
    expect(
      text.endsWith('event: message_stop\ndata: {"type":"message_stop"}\n\ndata: [DONE]\n\n'),
    ).toBe(true);
  });
});

describe("vllmHandlers with LoRA and request ids", () => {
  // vllm-openai.md §7: runtime load with the env switch, the adapter then served by name.
  it("loads an adapter at runtime and serves requests naming it", async () => {
    const loaded = await fetch(`${lora}/v1/load_lora_adapter`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ lora_name: "sql", lora_path: "/a/sql" }),
    });
    expect(await loaded.text()).toBe("Success: LoRA adapter 'sql' added successfully.");
    const client = new OpenAI({ baseURL: `${lora}/v1`, apiKey: "x", maxRetries: 0 });
    expect((await client.models.list()).data.map((m) => m.id)).toEqual(["granite", "sql"]);
    const answer = await client.completions.create({ model: "sql", prompt: "Hi", max_tokens: 1 });
    expect(answer.model).toBe("sql");
  });

  // vllm-openai.md §1: --enable-request-id-headers echoes X-Request-Id; it is the id's base.
  it("echoes X-Request-Id and bases the response id on it", async () => {
    const response = await fetch(`${lora}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": "msw-1" },
      body: JSON.stringify({ prompt: "Hi", max_tokens: 1 }),
    });
    expect(response.headers.get("x-request-id")).toBe("msw-1");
    expect(((await response.json()) as { id: string }).id).toBe("cmpl-msw-1");
  });

  // server_utils.py XRequestIdMiddleware wraps every route, the health routes too.
  it("puts X-Request-Id on /health and /ping as well", async () => {
    const health = await fetch(`${lora}/health`, { headers: { "x-request-id": "msw-2" } });
    expect(health.status).toBe(200);
    expect(health.headers.get("x-request-id")).toBe("msw-2");
    const ping = await fetch(`${lora}/ping`, { method: "POST" });
    expect(ping.headers.get("x-request-id")).toMatch(/^[0-9a-f]{32}$/);
    expect((await fetch(`${base}/health`)).headers.get("x-request-id")).toBeNull();
  });
});

describe("vllmHandlers count generations in flight", () => {
  // vllm-openai.md §1: /load → {"server_load": N}, the generation requests in flight.
  it("counts a stream until it ends, its chunks arriving as they are made", async () => {
    const load = async () =>
      ((await (await fetch(`${slow}/load`)).json()) as { server_load: number }).server_load;
    const response = await fetch(`${slow}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "granite", prompt: "Hi", max_tokens: 3, stream: true }),
    });
    const reader = response.body?.getReader();
    await reader?.read();
    expect(await load()).toBe(1);
    while (!(await reader?.read())?.done) {
      // drain to [DONE]
    }
    await expect.poll(load).toBe(0);
  });
});

describe("vllmHandlers answer as the fastify mock does (same route table)", () => {
  let mock: RunningMock;
  beforeAll(async () => {
    mock = await startMock({
      runtime: "vllm",
      host: "127.0.0.1",
      httpPort: 0,
      logger: false,
      plugins: await vllmMockModule.plugins({ runtime: "vllm", models: [], values }),
    });
  });
  afterAll(() => mock.close());

  const post = (body: string, contentType = "application/json"): RequestInit => ({
    method: "POST",
    headers: { "content-type": contentType },
    body,
  });
  const requests: [string, RequestInit][] = [
    ["/version", {}],
    ["/health", {}],
    ["/load", {}],
    ["/nowhere", {}],
    ["/v1/models", { method: "DELETE" }],
    ["/tokenize", post('{"model": "granite", "prompt": "Hello world"}')],
    ["/detokenize", post('{"model": "granite", "tokens": [1, 2, 3]}')],
    ["/v1/chat/completions", post("{oops")],
    ["/v1/chat/completions", post("hi", "text/plain")],
    ["/v1/chat/completions", post("", "text/plain")],
    ["/v1/chat/completions", post("")],
    ["/v1/chat/completions", { method: "POST" }],
    ["/v1/chat/completions", post('{"model": "granite", "messages": "x"}')],
    ["/v1/completions", post('{"model": "granite", "prompt": "Hi", "max_tokens": 100000}')],
    ["/v1/embeddings", post('{"model": "granite", "input": "Hi"}')],
    ["/v1/score", post('{"model": "granite", "text_1": "a", "text_2": "b"}')],
    ["/v1/messages", post('{"model": "granite", "messages": [], "max_tokens": 0}')],
    ["/v1/messages", post('{"model": "nope", "max_tokens": 2, "messages": []}')],
  ];

  it.each(requests)("%s %o", async (path, init) => {
    const answer = async (r: Response) => ({
      status: r.status,
      contentType: r.headers.get("content-type"),
      allow: r.headers.get("allow"),
      body: await r.text(),
    });
    const viaMsw = await answer(await fetch(`${base}${path}`, init));
    expect(viaMsw).toEqual(await answer(await fetch(`${mock.endpoints.http}${path}`, init)));
  });
});

describe("vllmHandlers serve count_tokens as the fastify mock does (v0.17.0)", () => {
  // vllm PR #35588 (v0.17.0): POST /v1/messages/count_tokens from the same route table, its
  // count, its validation error, its 404 and an image's 400 byte for byte in both hosts.
  it("answers the same bytes", async () => {
    const newer = "http://vllm-newer.test";
    const newest = { ...values, "vllm-version": "0.17.0" };
    server.use(...(await vllmHandlers({ baseUrl: newer, values: newest, env: {} })));
    const mock = await startMock({
      runtime: "vllm",
      host: "127.0.0.1",
      httpPort: 0,
      logger: false,
      plugins: await vllmMockModule.plugins({ runtime: "vllm", models: [], values: newest }),
    });
    try {
      const bodies = [
        { model: "granite", system: "Be brief.", messages: [{ role: "user", content: "Hi" }] },
        { model: "granite" },
        { model: "nope", messages: [{ role: "user", content: "Hi" }] },
        {
          model: "granite",
          messages: [
            { role: "user", content: [{ type: "image", source: { type: "url", url: "x" } }] },
          ],
        },
      ];
      for (const body of bodies) {
        const init = {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        };
        const answer = async (r: Response) => ({
          status: r.status,
          contentType: r.headers.get("content-type"),
          body: await r.text(),
        });
        const viaMsw = await answer(await fetch(`${newer}/v1/messages/count_tokens`, init));
        const viaFastify = await answer(
          await fetch(`${mock.endpoints.http}/v1/messages/count_tokens`, init),
        );
        expect(viaMsw).toEqual(viaFastify);
      }
      const counted = await fetch(`${newer}/v1/messages/count_tokens`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(bodies[0]),
      });
      expect(((await counted.json()) as { input_tokens: number }).input_tokens).toBeGreaterThan(0);
    } finally {
      await mock.close();
    }
  });
});

describe("vllmHandlers serve vLLM's own routes from the fastify mock's handlers", () => {
  // vllm-openai.md §1: /score, /v1/score, /rerank, /v1/rerank, /v2/rerank (a scoring model),
  // /classify (0.9.0+) and /pooling (0.6.6+) for a classifier, /v1/chat/completions/batch
  // (0.19.0+, vLLM PR #38011), /load and /ping: each answered through msw as the fastify mock
  // answers it (same route table), the per-response id and created time set aside. Up to 0.15.x
  // a model without the route's task answers the does-not-support 400 (vllm mock pooling.ts
  // routesByTaskSince), hence 0.11.1 for the ranker and the classifier.
  const hosts: { name: string; values: Record<string, string> }[] = [
    {
      name: "http://vllm-ranker.test",
      values: { "served-model-name": "ranker", task: "score", "vllm-version": "0.11.1" },
    },
    {
      name: "http://vllm-classifier.test",
      values: { "served-model-name": "cls", task: "classify", "vllm-version": "0.11.1" },
    },
    {
      name: "http://vllm-batch.test",
      values: { "served-model-name": "granite", "vllm-version": "0.19.0", "api-key": "k" },
    },
    {
      name: "http://vllm-old.test",
      values: { "served-model-name": "granite", "vllm-version": "0.6.5" },
    },
  ];
  const mocks = new Map<string, RunningMock>();
  beforeAll(async () => {
    for (const host of hosts) {
      server.use(...(await vllmHandlers({ baseUrl: host.name, values: host.values, env: {} })));
      const plugins = await vllmMockModule.plugins({
        runtime: "vllm",
        models: [],
        values: host.values,
      });
      const mock = await startMock({
        runtime: "vllm",
        host: "127.0.0.1",
        httpPort: 0,
        logger: false,
        plugins,
      });
      mocks.set(host.name, mock);
    }
  });
  afterAll(async () => {
    for (const mock of mocks.values()) await mock.close();
  });

  const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  const pair = { text_1: "the cat sat", text_2: ["the cat sat on the mat", "stock prices"] };
  const rerank = { query: "the cat sat", documents: ["stock prices", "the cat sat on the mat"] };
  const batch = {
    messages: [[{ role: "user", content: "one" }], [{ role: "user", content: "two" }]],
    max_tokens: 3,
    ignore_eos: true,
    temperature: 0,
  };
  const key = { authorization: "Bearer k" };
  const cases: [string, string, RequestInit, number][] = [
    ["http://vllm-ranker.test", "/score", json(pair), 200],
    ["http://vllm-ranker.test", "/v1/score", json(pair), 200],
    ["http://vllm-ranker.test", "/v1/score", json({ text_1: ["a", "b"], text_2: ["a"] }), 400],
    ["http://vllm-ranker.test", "/rerank", json(rerank), 200],
    ["http://vllm-ranker.test", "/v1/rerank", json({ ...rerank, top_n: 1 }), 200],
    ["http://vllm-ranker.test", "/v2/rerank", json(rerank), 200],
    ["http://vllm-ranker.test", "/classify", json({ input: "x" }), 400],
    ["http://vllm-classifier.test", "/classify", json({ input: ["hello there", "goodbye"] }), 200],
    ["http://vllm-classifier.test", "/classify", json({ input: "" }), 400],
    [
      "http://vllm-classifier.test",
      "/pooling",
      json({ input: "hello", encoding_format: "base64" }),
      200,
    ],
    ["http://vllm-classifier.test", "/score", json(pair), 400],
    ["http://vllm-batch.test", "/v1/chat/completions/batch", json(batch, key), 200],
    ["http://vllm-batch.test", "/v1/chat/completions/batch", json(batch), 401],
    ["http://vllm-batch.test", "/v1/chat/completions/batch", json({ ...batch, n: 2 }, key), 400],
    ["http://vllm-batch.test", "/load", {}, 200],
    ["http://vllm-batch.test", "/ping", {}, 200],
    ["http://vllm-batch.test", "/ping", { method: "POST" }, 200],
    ["http://vllm-old.test", "/pooling", json({ input: "x" }), 404],
    ["http://vllm-old.test", "/classify", json({ input: "x" }), 404],
    ["http://vllm-old.test", "/v1/chat/completions/batch", json(batch), 404],
  ];

  /** Status, content type and the body with the per-response id and created time set aside. */
  const answer = async (r: Response) => {
    const text = await r.text();
    let body: unknown = text;
    try {
      const parsed = JSON.parse(text) as Record<string, unknown>;
      if (typeof parsed === "object" && parsed !== null) {
        const { id: _id, created: _created, ...rest } = parsed;
        body = rest;
      }
    } catch {
      // Not JSON: compared as text.
    }
    return { status: r.status, contentType: r.headers.get("content-type"), body };
  };

  it.each(cases)("%s %s (%#)", async (host, path, init, status) => {
    const viaMsw = await answer(await fetch(`${host}${path}`, init));
    expect(viaMsw.status).toBe(status);
    const fastify = mocks.get(host)?.endpoints.http;
    expect(viaMsw).toEqual(await answer(await fetch(`${fastify}${path}`, init)));
  });

  // The typed client (`@servingkit/vllm`) works against the handlers as against a server: global
  // fetch, looked up on each call, is msw's.
  it("answers the typed vLLM client", async () => {
    const client = createVllmClient({ baseUrl: "http://vllm-ranker.test", maxRetries: 0 });
    const ranked = await client.rerank({ ...rerank, top_n: 1 });
    expect(ranked.results[0]?.document.text).toBe("the cat sat on the mat");
    const batched = createVllmClient({ baseUrl: "http://vllm-batch.test", token: "k" });
    const answer = await batched.chatBatch(batch);
    expect(answer.choices.map((c) => c.index)).toEqual([0, 1]);
    const old = createVllmClient({ baseUrl: "http://vllm-old.test", maxRetries: 0 });
    const refused = await old.pooling({ input: "x" }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ServingkitError);
    expect((refused as ServingkitError).httpStatus).toBe(404);
  });
});
