/**
 * LoRA adapters (vllm-openai.md §7): static `--lora-modules`, cards in `/v1/models`, requests
 * naming an adapter, and the runtime load/unload routes behind VLLM_ALLOW_RUNTIME_LORA_UPDATING.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import type OpenAI from "openai";
import type { APIError } from "openai";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { adapterMissing, LoraRegistry, parseLoraModule } from "./lora.js";
import { readVllmSettings } from "./settings.js";
import { openaiClient, startVllm, type TestServer } from "./test-server.js";

describe("--lora-modules", () => {
  // vllm-openai.md §7: `name=path` or the JSON form with an optional base_model_name.
  it("reads name=path and the JSON form", () => {
    expect(parseLoraModule("sql=/adapters/sql")).toEqual({ name: "sql", path: "/adapters/sql" });
    expect(
      parseLoraModule('{"name": "chat", "path": "/a/chat", "base_model_name": "granite"}'),
    ).toEqual({ name: "chat", path: "/a/chat", baseModelName: "granite" });
    expect(() => parseLoraModule("nopath")).toThrow(/name=path/);
    expect(() => parseLoraModule('{"name": 1}')).toThrow(/name=path/);
  });

  it("are repeatable and need --enable-lora", () => {
    const settings = readVllmSettings(
      { models: [], values: { "enable-lora": true, "lora-modules": ["a=/p/a", "b=/p/b"] } },
      {},
    );
    expect(settings.loraModules.map((m) => m.name)).toEqual(["a", "b"]);
    expect(() =>
      readVllmSettings({ models: [], values: { "lora-modules": ["a=/p"] } }, {}),
    ).toThrow(/--enable-lora/);
  });

  // vllm/envs.py: VLLM_ALLOW_RUNTIME_LORA_UPDATING is on for "1" or "true" in any case.
  it("reads VLLM_ALLOW_RUNTIME_LORA_UPDATING", () => {
    const read = (value: string | undefined) =>
      readVllmSettings({ models: [], values: {} }, { VLLM_ALLOW_RUNTIME_LORA_UPDATING: value })
        .runtimeLoraUpdating;
    expect([read("True"), read("1"), read("false"), read(undefined)]).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });
});

describe("LoRA adapters with the openai SDK", () => {
  let server: TestServer;
  let client: OpenAI;
  beforeAll(async () => {
    server = await startVllm({
      "served-model-name": "granite",
      "enable-lora": true,
      "lora-modules": ["sql=/adapters/sql", '{"name": "tone", "path": "/adapters/tone"}'],
    });
    client = openaiClient(server);
  });
  afterAll(() => server.close());

  // vllm-openai.md §7: one card per adapter after the base model's: id = lora_name, root = its
  // path, parent = the base model name, max_model_len null.
  it("lists a card per adapter", async () => {
    const page = await client.models.list();
    expect(page.data.map((m) => m.id)).toEqual(["granite", "sql", "tone"]);
    expect(page.data[1]).toMatchObject({
      object: "model",
      owned_by: "vllm",
      root: "/adapters/sql",
      parent: "granite",
      max_model_len: null,
    });
  });

  // vllm-openai.md §7: a request may name a loaded adapter; the response's model echoes it.
  it("serves requests naming an adapter", async () => {
    const chat = await client.chat.completions.create({
      model: "sql",
      messages: [{ role: "user", content: "Hi" }],
      max_tokens: 3,
    });
    expect(chat.model).toBe("sql");
    const completion = await client.completions.create({
      model: "tone",
      prompt: "Hi",
      max_tokens: 2,
    });
    expect(completion.model).toBe("tone");
    const stream = await client.completions.create({
      model: "sql",
      prompt: "Hi",
      max_tokens: 2,
      stream: true,
    });
    for await (const chunk of stream) expect(chunk.model).toBe("sql");
  });

  // An adapter is other weights on the same base (vllm-openai.md §7): the same greedy prompt gives
  // the adapter's own text, the same each time, not the base model's.
  it("generates each adapter's own text", async () => {
    const text = async (model: string) =>
      (
        await client.completions.create({
          model,
          prompt: "Write one sentence about rivers.",
          max_tokens: 24,
          temperature: 0,
          ignore_eos: true,
        } as OpenAI.CompletionCreateParamsNonStreaming)
      ).choices[0]?.text;
    const base = await text("granite");
    const sql = await text("sql");
    expect(sql).not.toBe(base);
    expect(await text("tone")).not.toBe(sql);
    expect(await text("sql")).toBe(sql);
    expect(await text("granite")).toBe(base);
  });

  // The runtime routes are absent without VLLM_ALLOW_RUNTIME_LORA_UPDATING (vllm-openai.md §1).
  it("has no runtime LoRA routes without the environment switch", async () => {
    const response = await fetch(`${server.url}/v1/load_lora_adapter`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ lora_name: "x", lora_path: "/x" }),
    });
    expect(response.status).toBe(404);
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(doc.paths["/v1/load_lora_adapter"]).toBeUndefined();
  });
});

describe("runtime LoRA loading (VLLM_ALLOW_RUNTIME_LORA_UPDATING=True)", () => {
  let server: TestServer;
  beforeAll(async () => {
    vi.stubEnv("VLLM_ALLOW_RUNTIME_LORA_UPDATING", "True");
    server = await startVllm({ "served-model-name": "granite", "enable-lora": true });
    vi.unstubAllEnvs();
  });
  afterAll(() => server.close());
  const post = (path: string, body: unknown) =>
    fetch(`${server.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  // vllm-openai.md §7: plain-text success lines; the adapter is then served and listed.
  it("loads and unloads an adapter with vLLM's texts", async () => {
    const loaded = await post("/v1/load_lora_adapter", { lora_name: "sql", lora_path: "/a/sql" });
    expect(loaded.status).toBe(200);
    // api_server.py answers Response(status_code=200, content=...): no media type, no content-type.
    expect(loaded.headers.get("content-type")).toBeNull();
    expect(await loaded.text()).toBe("Success: LoRA adapter 'sql' added successfully.");
    const client = openaiClient(server, "x");
    expect((await client.models.list()).data.map((m) => m.id)).toEqual(["granite", "sql"]);
    const answer = await client.completions.create({ model: "sql", prompt: "Hi", max_tokens: 1 });
    expect(answer.model).toBe("sql");

    const unloaded = await post("/v1/unload_lora_adapter", { lora_name: "sql" });
    expect(unloaded.status).toBe(200);
    expect(await unloaded.text()).toBe("Success: LoRA adapter 'sql' removed successfully.");
    const gone = await client.completions
      .create({ model: "sql", prompt: "Hi", max_tokens: 1 })
      .catch((error: APIError) => error);
    expect((gone as APIError).status).toBe(404);
  });

  // vllm-openai.md §1: FastAPI documents the routes it serves.
  it("documents the LoRA routes in /openapi.json", async () => {
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      paths: Record<string, { post?: { operationId?: string } }>;
    };
    expect(doc.paths["/v1/load_lora_adapter"]?.post?.operationId).toBe(
      "load_lora_adapter_v1_load_lora_adapter_post",
    );
    expect(doc.paths["/v1/unload_lora_adapter"]).toBeDefined();
  });

  // vllm-openai.md §7 and serving_models.py: both fields needed (400 InvalidUserInput), a
  // loaded name refused (400), an unknown one 404 NotFoundError; in the nested envelope.
  it("refuses bad load and unload requests with vLLM's texts", async () => {
    const missing = await post("/v1/load_lora_adapter", { lora_name: "x" });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({
      error: {
        message: "Both 'lora_name' and 'lora_path' must be provided.",
        type: "InvalidUserInput",
        param: null,
        code: 400,
      },
    });
    await post("/v1/load_lora_adapter", { lora_name: "dup", lora_path: "/a" });
    const dup = await post("/v1/load_lora_adapter", { lora_name: "dup", lora_path: "/a" });
    expect(dup.status).toBe(400);
    expect(((await dup.json()) as { error: { message: string } }).error.message).toBe(
      "The lora adapter 'dup' has already been loaded.",
    );
    const unknown = await post("/v1/unload_lora_adapter", { lora_name: "nope" });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({
      error: { message: "The lora adapter 'nope' cannot be found.", type: "NotFoundError" },
    });
    const neither = await post("/v1/unload_lora_adapter", {});
    expect(neither.status).toBe(400);
    expect(((await neither.json()) as { error: { message: string } }).error.message).toBe(
      "either 'lora_name' and 'lora_int_id' needs to be provided.",
    );
  });
});

// vLLM refuses an adapter path without adapter_config.json: vllm/lora/utils.py
// get_adapter_absolute_path keeps an absolute path as is (exists or not), expands `~`, reads a
// relative one locally when it exists and else asks the Hugging Face Hub; worker_manager.py
// _load_adapter turns the FileNotFoundError into "Loading lora {name} failed: No adapter found for
// {path}", which the V1 engine core hands back as "Call to add_lora method failed: ..." (core.py)
// and serving_models.py answers 404 NotFoundError ("No adapter found" in the text); at start-up
// init_static_loras raises it as ValueError and the server does not start.
// A mock on a laptop must keep taking made-up paths, so it refuses only where it can tell vLLM
// would: an absolute path whose parent directory exists here (below the root) without an
// adapter_config.json in the path, or a relative path that exists here without one. A path whose
// parent is absent here (`/mnt/models/...`), one directly under the root (`/x`) or a relative
// name absent here (a Hub id: the mock has no Hub) is taken as given.
describe("adapter paths vLLM cannot load", () => {
  const files = new Set(["/home/me/ok/adapter_config.json", "/home/me", "/home/me/ok", "rel"]);
  const exists = (path: string) => files.has(path);
  it("are told where the machine can tell", () => {
    expect(adapterMissing("/home/me/nope", exists)).toBe(true);
    expect(adapterMissing("/home/me/ok", exists)).toBe(false);
    expect(adapterMissing("/mnt/models/sql", exists)).toBe(false);
    expect(adapterMissing("/sql", exists)).toBe(false);
    expect(adapterMissing("rel", exists)).toBe(true);
    expect(adapterMissing("org/adapter", exists)).toBe(false);
    // `~` is the home directory, as os.path.expanduser reads it.
    const home = (path: string) => path === homedir();
    expect(adapterMissing("~/nope", home)).toBe(true);
    expect(adapterMissing("~other/nope", home)).toBe(false);
  });

  let dir: string;
  let server: TestServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "servingkit-lora-"));
    mkdirSync(join(dir, "ok"));
    writeFileSync(join(dir, "ok", "adapter_config.json"), "{}");
    mkdirSync(join(dir, "empty"));
    vi.stubEnv("VLLM_ALLOW_RUNTIME_LORA_UPDATING", "True");
    server = await startVllm({ "served-model-name": "granite", "enable-lora": true });
    vi.unstubAllEnvs();
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const load = (name: string, path: string) =>
    fetch(`${server.url}/v1/load_lora_adapter`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ lora_name: name, lora_path: path }),
    });

  it("answers a local path without an adapter 404 with vLLM's text", async () => {
    for (const path of [join(dir, "nope"), join(dir, "empty")]) {
      const refused = await load("x", path);
      expect(refused.status).toBe(404);
      expect(await refused.json()).toEqual({
        error: {
          message: `Call to add_lora method failed: Loading lora x failed: No adapter found for ${path}`,
          type: "NotFoundError",
          param: null,
          code: 404,
        },
      });
    }
    expect((await load("ok", join(dir, "ok"))).status).toBe(200);
    expect((await load("deployed", "/nonexistent-servingkit/adapters/sql")).status).toBe(200);
    expect((await load("hub", "org/some-adapter")).status).toBe(200);
  });

  it("refuses to start with a --lora-modules adapter missing here", () => {
    const path = join(dir, "nope");
    expect(() => parseLoraModule(`sql=${path}`)).toThrow(
      `Call to add_lora method failed: Loading lora sql failed: No adapter found for ${path}`,
    );
    expect(() =>
      readVllmSettings(
        { models: [], values: { "enable-lora": true, "lora-modules": [`sql=${path}`] } },
        {},
      ),
    ).toThrow("No adapter found for");
    expect(parseLoraModule(`sql=${join(dir, "ok")}`).path).toBe(join(dir, "ok"));
  });
});

describe("LoraRegistry", () => {
  it("keeps load order, static adapters first", () => {
    const registry = new LoraRegistry([{ name: "a", path: "/a" }]);
    registry.load({ lora_name: "b", lora_path: "/b" });
    expect(registry.list().map((a) => a.name)).toEqual(["a", "b"]);
    expect(registry.has("b")).toBe(true);
  });
});

describe("LoRA adapters on pooling models", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({ task: "embed", "enable-lora": true, "lora-modules": ["e=/a/e"] });
  });
  afterAll(() => server.close());

  // vllm-openai.md §7: the response's model names the adapter the request named.
  it("answers embeddings for an adapter under its name", async () => {
    const response = await fetch(`${server.url}/v1/embeddings`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "e", input: "hello" }),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { model: string }).model).toBe("e");
  });
});

describe("vllm:lora_requests_info", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({
      "served-model-name": "granite",
      "enable-lora": true,
      "max-loras": "2",
      "lora-modules": ["sql=/a/sql"],
      "inter-token-latency": "20",
    });
  });
  afterAll(() => server.close());
  const infoLines = async () =>
    (await (await fetch(`${server.url}/metrics`)).text())
      .split("\n")
      .filter((line) => line.startsWith("vllm:lora_requests_info{"));

  // vllm-openai.md §8: a gauge of the wall-clock time labelled max_lora, waiting and running
  // adapters (comma-joined); label sets seen before stay.
  it("names the adapters with requests running", async () => {
    const before = Date.now() / 1000;
    const response = await fetch(`${server.url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "sql",
        prompt: "Hi",
        max_tokens: 20,
        stream: true,
        ignore_eos: true,
      }),
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    const during = await infoLines();
    expect(during).toHaveLength(1);
    expect(during[0]).toMatch(
      /^vllm:lora_requests_info\{max_lora="2",running_lora_adapters="sql",waiting_lora_adapters=""\} \d\.\d+e\+09$/,
    );
    expect(Number(during[0]?.split(" ")[1])).toBeGreaterThanOrEqual(Math.floor(before));
    while (!(await reader.read()).done) {}
    const after = await infoLines();
    expect(after).toHaveLength(2);
    expect(after.some((line) => line.includes('running_lora_adapters=""'))).toBe(true);
  });
});
