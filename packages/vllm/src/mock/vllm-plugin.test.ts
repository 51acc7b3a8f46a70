import { ManualClock, type RestRouteReply, type RestRouteRequest } from "@servingkit/mock-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadServedModel } from "./served-model.js";
import { readVllmSettings } from "./settings.js";
import { CoarseClock, startVllm, type TestServer } from "./test-server.js";
import { vllmRestTables } from "./vllm-plugin.js";

describe("vLLM routes without generation", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({ "served-model-name": "granite", "vllm-version": "0.10.1" });
  });
  afterAll(() => server.close());

  // vllm-openai.md §7: ModelCard with owned_by vllm, root = --model path (/mnt/models on the
  // platform), max_model_len, one permission entry with fixed flags.
  it("lists the model card as the platform runs vLLM", async () => {
    const response = await fetch(`${server.url}/v1/models`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    const body = (await response.json()) as { object: string; data: Record<string, unknown>[] };
    expect(body.object).toBe("list");
    expect(body.data).toHaveLength(1);
    const card = body.data[0] ?? {};
    expect(card).toMatchObject({
      id: "granite",
      object: "model",
      owned_by: "vllm",
      root: "/mnt/models",
      parent: null,
    });
    expect(typeof card.max_model_len).toBe("number");
    expect(card.permission).toEqual([
      expect.objectContaining({
        object: "model_permission",
        allow_create_engine: false,
        allow_sampling: true,
        allow_logprobs: true,
        allow_search_indices: false,
        allow_view: true,
        allow_fine_tuning: false,
        organization: "*",
        group: null,
        is_blocking: false,
      }),
    ]);
    expect(String((card.permission as { id: string }[])[0]?.id)).toMatch(/^modelperm-[0-9a-f]+$/);
  });

  // vllm-openai.md §1: GET /version → {"version": "<vllm version>"}.
  it("reports the chosen version", async () => {
    const response = await fetch(`${server.url}/version`);
    expect(await response.json()).toEqual({ version: "0.10.1" });
  });

  // vllm-openai.md §1: /health 200 empty body; /ping GET and POST alias.
  it("answers health and ping with an empty 200", async () => {
    for (const [method, path] of [
      ["GET", "/health"],
      ["GET", "/ping"],
      ["POST", "/ping"],
    ] as const) {
      const response = await fetch(`${server.url}${path}`, { method });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe("");
    }
  });

  // vllm-openai.md §1: FastAPI 404 {"detail":"Not Found"} and 405 {"detail":"Method Not Allowed"}.
  it("answers unknown routes and methods as FastAPI", async () => {
    const missing = await fetch(`${server.url}/v1/nothing`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe('{"detail":"Not Found"}');
    const wrong = await fetch(`${server.url}/v1/models`, { method: "POST" });
    expect(wrong.status).toBe(405);
    expect(await wrong.text()).toBe('{"detail":"Method Not Allowed"}');
  });
});

describe("vLLM's own API key", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({ "api-key": "sekret" });
  });
  afterAll(() => server.close());

  // vllm-openai.md §2: only /v1 paths, 401 with exactly {"error": "Unauthorized"}.
  it('guards /v1 paths with 401 {"error": "Unauthorized"}', async () => {
    const denied = await fetch(`${server.url}/v1/models`);
    expect(denied.status).toBe(401);
    expect(await denied.text()).toBe('{"error": "Unauthorized"}');
    const wrongKey = await fetch(`${server.url}/v1/models`, {
      headers: { authorization: "Bearer nope" },
    });
    expect(wrongKey.status).toBe(401);
  });

  // vllm-openai.md §2: newest versions read the scheme case-insensitively.
  it("accepts the key with any case of the scheme", async () => {
    for (const scheme of ["Bearer", "bearer"]) {
      const ok = await fetch(`${server.url}/v1/models`, {
        headers: { authorization: `${scheme} sekret` },
      });
      expect(ok.status).toBe(200);
    }
  });

  // vllm-openai.md §2: /health, /version, /tokenize stay open; OPTIONS always passes.
  it("leaves the paths outside /v1 open", async () => {
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect((await fetch(`${server.url}/version`)).status).toBe(200);
    const options = await fetch(`${server.url}/v1/models`, { method: "OPTIONS" });
    expect(options.status).not.toBe(401);
  });
});

describe("vLLM's --api-key before routing", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({ "api-key": "sekret" });
  });
  afterAll(() => server.close());
  const key = { authorization: "Bearer sekret" };

  // vllm-openai.md §2: the AuthenticationMiddleware runs before Starlette routes, so an unknown
  // /v1 path or a wrong method under /v1 without the key is 401, not 404/405.
  it("refuses unknown /v1 paths and wrong methods without the key", async () => {
    for (const [method, path] of [
      ["GET", "/v1/nope"],
      ["POST", "/v1/a/b/c"],
      ["GET", "/v1"],
      ["POST", "/v1/models"],
      ["GET", "/v1/chat/completions"],
      ["DELETE", "/v1/completions"],
      ["POST", "/v1/load_lora_adapter"],
      // Any depth, a trailing slash, and /v1foo (the check is a prefix test on the path).
      ["GET", "/v1/a/b/c/d/e/f/g/h/i"],
      ["POST", "/v1/a/b/c/d/e/f/g/h/i/j/k"],
      ["GET", "/v1/"],
      ["GET", "/v1foo"],
    ] as const) {
      const response = await fetch(`${server.url}${path}`, { method });
      expect(response.status, `${method} ${path}`).toBe(401);
      expect(await response.text()).toBe('{"error": "Unauthorized"}');
    }
  });

  // vllm-openai.md §1: past the key, FastAPI's 404 and 405 (with allow) bodies.
  it("answers 404 and 405 as FastAPI once the key is right", async () => {
    for (const path of ["/v1/nope/deeper", "/v1/a/b/c/d/e/f/g/h/i", "/v1/", "/v1foo"]) {
      const unknown = await fetch(`${server.url}${path}`, { headers: key });
      expect(unknown.status, path).toBe(404);
      expect(await unknown.json()).toEqual({ detail: "Not Found" });
    }
    const wrong = await fetch(`${server.url}/v1/chat/completions`, { headers: key });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("POST");
    expect(await wrong.json()).toEqual({ detail: "Method Not Allowed" });
    // A body on a wrong method is not read: still 405, even when it is not JSON.
    const withBody = await fetch(`${server.url}/v1/models`, {
      method: "POST",
      headers: { ...key, "content-type": "application/json" },
      body: "{not json",
    });
    expect(withBody.status).toBe(405);
    expect(withBody.headers.get("allow")).toContain("GET");
  });

  // vllm-openai.md §2: OPTIONS always passes the middleware; paths outside /v1 are not guarded.
  it("lets OPTIONS and paths outside /v1 through to the 404/405", async () => {
    const options = await fetch(`${server.url}/v1/nope`, { method: "OPTIONS" });
    expect(options.status).toBe(404);
    const outside = await fetch(`${server.url}/nope`);
    expect(outside.status).toBe(404);
    expect(await outside.json()).toEqual({ detail: "Not Found" });
  });
});

describe("vLLM's request ids", () => {
  let plain: TestServer;
  let headers: TestServer;
  beforeAll(async () => {
    plain = await startVllm();
    headers = await startVllm({ "enable-request-id-headers": true, "api-key": "k" });
  });
  afterAll(async () => {
    await plain.close();
    await headers.close();
  });
  const completion = (url: string, init: { headers?: Record<string, string>; body?: object }) =>
    fetch(`${url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", ...init.headers },
      body: JSON.stringify({ prompt: "Hi", max_tokens: 2, ...init.body }),
    });

  // vllm-openai.md §1 and serving_engine.py _base_request_id: the X-Request-Id header, else the
  // body's request_id, else a random uuid hex, after cmpl- / chatcmpl-.
  it("bases response ids on X-Request-Id, else the body's request_id", async () => {
    const byHeader = await completion(plain.url, {
      headers: { "x-request-id": "trace-1" },
      body: { request_id: "body-1" },
    });
    expect(((await byHeader.json()) as { id: string }).id).toBe("cmpl-trace-1");
    const byBody = await completion(plain.url, { body: { request_id: "body-1" } });
    expect(((await byBody.json()) as { id: string }).id).toBe("cmpl-body-1");
    const chat = await fetch(`${plain.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": "trace-2" },
      body: JSON.stringify({ messages: [{ role: "user", content: "Hi" }], max_tokens: 2 }),
    });
    expect(((await chat.json()) as { id: string }).id).toBe("chatcmpl-trace-2");
    const random = await completion(plain.url, {});
    expect(((await random.json()) as { id: string }).id).toMatch(/^cmpl-[0-9a-f]{32}$/);
    // Without --enable-request-id-headers no header comes back.
    expect(random.headers.get("x-request-id")).toBeNull();
  });

  // server_utils.py XRequestIdMiddleware: every response gets X-Request-Id, the request's or a
  // fresh uuid4 hex; it wraps the API-key middleware, so a 401 carries it too.
  it("echoes X-Request-Id on every response with --enable-request-id-headers", async () => {
    const echoed = await completion(headers.url, {
      headers: { authorization: "Bearer k", "x-request-id": "abc" },
    });
    expect(echoed.status).toBe(200);
    expect(echoed.headers.get("x-request-id")).toBe("abc");
    const made = await fetch(`${headers.url}/version`);
    expect(made.headers.get("x-request-id")).toMatch(/^[0-9a-f]{32}$/);
    const refused = await fetch(`${headers.url}/v1/models`, { headers: { "x-request-id": "r" } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("x-request-id")).toBe("r");
    const unknown = await fetch(`${headers.url}/v1/nope`, {
      headers: { authorization: "Bearer k", "x-request-id": "u" },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("x-request-id")).toBe("u");
    // Past any route table: the deepest unknown paths get the header, refused or not.
    const deep = `${headers.url}/v1/a/b/c/d/e/f/g/h/i`;
    const deepRefused = await fetch(deep, { headers: { "x-request-id": "d1" } });
    expect([deepRefused.status, deepRefused.headers.get("x-request-id")]).toEqual([401, "d1"]);
    const deepMissing = await fetch(deep, { headers: { authorization: "Bearer k" } });
    expect(deepMissing.status).toBe(404);
    expect(deepMissing.headers.get("x-request-id")).toMatch(/^[0-9a-f]{32}$/);
    const wrong = await fetch(`${headers.url}/version`, {
      method: "POST",
      headers: { "x-request-id": "w" },
    });
    expect([wrong.status, wrong.headers.get("x-request-id")]).toEqual([405, "w"]);
  });

  // server_utils.py XRequestIdMiddleware wraps vLLM's whole app, so /health and /ping (vllm-openai.md
  // §1; mock-core's base health routes) carry the header too; never without the flag.
  it("echoes X-Request-Id on /health and /ping with --enable-request-id-headers", async () => {
    const health = await fetch(`${headers.url}/health`, { headers: { "x-request-id": "h" } });
    expect([health.status, health.headers.get("x-request-id")]).toEqual([200, "h"]);
    expect(await health.text()).toBe("");
    const ping = await fetch(`${headers.url}/ping`, { method: "POST" });
    expect(ping.status).toBe(200);
    expect(ping.headers.get("x-request-id")).toMatch(/^[0-9a-f]{32}$/);
    const empty = await fetch(`${headers.url}/ping`, { headers: { "x-request-id": "" } });
    expect(empty.headers.get("x-request-id")).toBe("");
    const quiet = await fetch(`${plain.url}/health`, { headers: { "x-request-id": "h" } });
    expect([quiet.status, quiet.headers.get("x-request-id")]).toEqual([200, null]);
  });

  // kserve-v2.md §5 (platform-auth.ts): the platform's proxy answers a missing or forbidden token
  // before vLLM sees the request, and a fault is the host's, so neither gets vLLM's header.
  it("leaves the host's answers before vLLM without X-Request-Id", async () => {
    const guarded = await startVllm({ "enable-request-id-headers": true }, [], {
      tokens: ["t"],
      forbiddenTokens: ["f"],
    });
    try {
      const id = { "x-request-id": "p" };
      const missing = await fetch(`${guarded.url}/health`, { headers: id });
      expect([missing.status, missing.headers.get("x-request-id")]).toEqual([401, null]);
      const forbidden = await fetch(`${guarded.url}/ping`, {
        headers: { ...id, authorization: "Bearer f" },
      });
      expect([forbidden.status, forbidden.headers.get("x-request-id")]).toEqual([403, null]);
      const faulted = await fetch(`${guarded.url}/health`, {
        headers: { ...id, authorization: "Bearer t", "x-servingkit-fault": "status=503" },
      });
      expect([faulted.status, faulted.headers.get("x-request-id")]).toEqual([503, null]);
      const allowed = await fetch(`${guarded.url}/health`, {
        headers: { ...id, authorization: "Bearer t" },
      });
      expect([allowed.status, allowed.headers.get("x-request-id")]).toEqual([200, "p"]);
    } finally {
      await guarded.close();
    }
  });
});

describe("the signal a generation runs under", () => {
  /** The table's /v1/completions route with a paced engine on a manual clock. */
  async function completionsRoute(shutdownSignal?: AbortSignal) {
    const clock = new ManualClock();
    const values = { "inter-token-latency": "100" };
    const settings = readVllmSettings({ models: [], values }, {});
    const loaded = await loadServedModel(settings, values);
    const tables = vllmRestTables({
      settings,
      loaded,
      clock,
      ...(shutdownSignal && { shutdownSignal }),
    });
    const route = tables
      .flatMap((t) => t.routes)
      .find((r) => r.method === "POST" && r.path === "/v1/completions");
    if (!route) throw new Error("no /v1/completions route");
    return { route, clock };
  }
  const requestWith = (signal: AbortSignal): RestRouteRequest => ({
    method: "POST",
    path: "/v1/completions",
    headers: {},
    params: {},
    query: {},
    body: { prompt: "Hi", max_tokens: 1000, ignore_eos: true, stream: true },
    signal,
  });
  /** Reads the SSE stream to its end, advancing the clock, and returns its text. */
  async function drain(body: RestRouteReply["body"], clock: ManualClock, stop: () => void) {
    if (typeof body === "string" || body instanceof Uint8Array) throw new Error("not a stream");
    let text = "";
    let chunks = 0;
    const reading = (async () => {
      for await (const chunk of body) {
        text += String(chunk);
        chunks += 1;
        if (chunks === 3) stop();
      }
    })();
    for (let i = 0; i < 100 && !text.includes("[DONE]"); i++) await clock.advance(100);
    expect(text).toContain("[DONE]"); // ended early (1000 tokens would take 1000 steps)
    await reading;
    return { text, chunks };
  }

  // vllm-openai.md §9: client disconnect aborts the request (the engine stops early).
  it("stops when the client leaves, with or without a host shutdown signal", async () => {
    for (const shutdown of [undefined, new AbortController().signal]) {
      const { route, clock } = await completionsRoute(shutdown);
      const client = new AbortController();
      const reply = await route.handle(requestWith(client.signal));
      const { chunks } = await drain(reply.body, clock, () => client.abort());
      expect(chunks).toBeLessThan(50);
    }
  });

  // mock-core plugin.ts: open streams end early when the host's shutdown signal fires.
  it("stops every run in flight when the host shuts down", async () => {
    const shutdown = new AbortController();
    const { route, clock } = await completionsRoute(shutdown.signal);
    const reply = await route.handle(requestWith(new AbortController().signal));
    const { chunks } = await drain(reply.body, clock, () => shutdown.abort());
    expect(chunks).toBeLessThan(50);
  });

  // On the fastify host the request's own signal covers shutdown (mock-core abortOnShutdown), so
  // the run watches it alone: closing the mock still ends a paced stream that has 1,000 tokens
  // to go on a clock that never moves (else the close would wait for it for ever).
  it("on the fastify host, closing the mock ends the open streams", async () => {
    const clock = new ManualClock();
    const server = await startVllm({ "inter-token-latency": "100" }, [], { clock });
    const res = await fetch(`${server.url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ prompt: "Hi", max_tokens: 1000, ignore_eos: true, stream: true }),
    });
    expect(res.status).toBe(200);
    const text = res.text().catch(() => "dropped");
    await expect.poll(() => clock.pendingSleeps).toBe(1);
    await server.close();
    await text;
    expect(clock.pendingSleeps).toBe(0);
  });
});

describe("a stream whose consumer comes late", () => {
  /** The SSE events of one paced /v1/completions stream as `release` answers it. */
  async function events(release: string): Promise<string[]> {
    const clock = new CoarseClock();
    const values = { "inter-token-latency": "20", "vllm-version": release };
    const settings = readVllmSettings({ models: [], values }, {});
    const loaded = await loadServedModel(settings, values);
    const route = vllmRestTables({ settings, loaded, clock })
      .flatMap((t) => t.routes)
      .find((r) => r.method === "POST" && r.path === "/v1/completions");
    if (!route) throw new Error("no /v1/completions route");
    const reply = await route.handle({
      method: "POST",
      path: "/v1/completions",
      headers: {},
      params: {},
      query: {},
      body: { prompt: "Hi", max_tokens: 10, ignore_eos: true, temperature: 0, stream: true },
      signal: new AbortController().signal,
    });
    const body = reply.body;
    if (typeof body === "string" || body instanceof Uint8Array) throw new Error("not a stream");
    let bytes = "";
    const reading = (async () => {
      for await (const chunk of body) bytes += String(chunk);
    })();
    for (let i = 0; i < 20 && !bytes.includes("[DONE]"); i++) await clock.manual.advance(50);
    await reading;
    return bytes.split("\n\n").filter((e) => e.startsWith("data: {"));
  }
  const text = (event: string) =>
    (JSON.parse(event.slice(6)) as { choices: { text: string }[] }).choices[0]?.text ?? "";

  // vllm/v1/engine/output_processor.py RequestOutputCollector (PR #12298; V1 the default engine
  // from 0.8.0, PR #13726): the deltas a slow consumer has not taken are merged into one
  // RequestOutput (vllm/outputs.py RequestOutput.add: text concatenated), and the API server
  // writes one SSE chunk per RequestOutput. V0 (0.7.x) queued each output on its own.
  it("merges the overdue tokens into one chunk from 0.8.0, one chunk each before", async () => {
    const merged = await events("0.12.0");
    const separate = await events("0.7.3");
    expect(separate).toHaveLength(10); // one chunk per token, the last with the finish
    expect(merged.length).toBeGreaterThan(1);
    expect(merged.length).toBeLessThan(separate.length / 2);
    // The first token alone (due at once); later chunks each hold the tokens that came due
    // while the stream slept past them (several: 20 ms apart, woken every 50 ms or later).
    expect(text(merged[0] ?? "")).toBe(text(separate[0] ?? ""));
    expect(merged.map(text).join("")).toBe(separate.map(text).join(""));
    expect(JSON.parse(merged.at(-1)?.slice(6) ?? "{}")).toMatchObject({
      choices: [{ finish_reason: "length" }],
    });
  });
});

describe("a non-streaming completion's signal, made only when a run must wait", () => {
  /** The table's /v1/completions route on the fastify host's terms (shutdown signal covered). */
  async function route(values: Record<string, string>, clock: ManualClock) {
    const settings = readVllmSettings({ models: [], values }, {});
    const loaded = await loadServedModel(settings, values);
    const shutdownSignal = new AbortController().signal;
    const found = vllmRestTables({ settings, loaded, clock, shutdownSignal })
      .flatMap((t) => t.routes)
      .find((r) => r.method === "POST" && r.path === "/v1/completions");
    if (!found) throw new Error("no /v1/completions route");
    return found;
  }
  /** A request whose signal counts its reads, as the fastify host makes it on first read. */
  function requestWith(signal: AbortSignal, aborted = false) {
    const request = {
      reads: 0,
      method: "POST",
      path: "/v1/completions",
      headers: {},
      params: {},
      query: {},
      body: { prompt: "Hi", max_tokens: 4, ignore_eos: true },
      signalCoversShutdown: true,
      signalAborted: aborted,
      get signal() {
        request.reads += 1;
        return signal;
      },
    };
    return request;
  }

  it("the unpaced engine answers at once and never reads the signal", async () => {
    const handle = (await route({}, new ManualClock())).handle;
    const request = requestWith(new AbortController().signal);
    const reply = handle(request) as RestRouteReply;
    expect(reply.status).toBe(200);
    expect(JSON.parse(String(reply.body)).choices[0].finish_reason).toBe("length");
    expect(request.reads).toBe(0);
  });

  // vllm-openai.md §9: client disconnect aborts generation.
  it("a client already gone is seen up front: the run ends as aborted", async () => {
    const handle = (await route({}, new ManualClock())).handle;
    const client = new AbortController();
    client.abort(new Error("client disconnected"));
    const reply = handle(requestWith(client.signal, true)) as RestRouteReply;
    expect(JSON.parse(String(reply.body)).choices[0].finish_reason).toBe("abort");
  });

  it("a paced run reads the signal before it waits, and a disconnect then aborts it", async () => {
    const clock = new ManualClock();
    const handle = (await route({ "inter-token-latency": "10" }, clock)).handle;
    const client = new AbortController();
    const request = requestWith(client.signal);
    const reply = handle(request);
    expect(reply).toBeInstanceOf(Promise);
    expect(request.reads).toBeGreaterThan(0);
    client.abort(new Error("client disconnected"));
    await clock.advance(10);
    const settled = await reply;
    expect(JSON.parse(String(settled.body)).choices[0].finish_reason).toBe("abort");
  });
});
