import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startVllm, type TestServer } from "./test-server.js";

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
