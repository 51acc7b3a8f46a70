import { defaultModelSpec, type ModelSpec } from "@servingkit/mock-core/engine";
import { type RunningMock, startMock } from "@servingkit/mock-core/host";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { caikitMockModule } from "../mock.js";

async function startCaikit(runtime: "caikit-tgis" | "caikit-standalone", models: string[] = []) {
  return startMock({
    runtime,
    host: "127.0.0.1",
    httpPort: 0,
    grpcPort: 0,
    models,
    plugins: await caikitMockModule.plugins({ runtime, models, values: {} }),
  });
}

/** What `curl --json BODY URL` sends (curl ≥ 7.82). */
function curlJson(url: string, body: string): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body,
  });
}

describe("Caikit TGIS REST (text generation)", () => {
  let mock: RunningMock;
  let base: string;
  let spec: ModelSpec;
  /** Tokens TGIS counts for a text (the served model's tokenizer, special tokens included). */
  const count = (text: string) => spec.tokenizer.encode(text).length;
  beforeAll(async () => {
    spec = await defaultModelSpec();
    mock = await startCaikit("caikit-tgis");
    base = mock.endpoints.http ?? "";
  });
  afterAll(() => mock.close());

  it("answers the seed's streaming curl as caikit frames SSE", async () => {
    // Seed: curl --json '{"model_id": "<model_name__>", "inputs": "<text>"}' .../server-streaming-text-generation
    const response = await curlJson(
      `${base}/api/v1/task/server-streaming-text-generation`,
      '{"model_id": "<model_name__>", "inputs": "<text>"}',
    );
    expect(response.status).toBe(200);
    // caikit-tgis.md §1.5: sse-starlette headers.
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("x-accel-buffering")).toBe("no");
    const text = await response.text();
    // CRLF framing, `event: message` + one data line per result, no [DONE].
    const frames = text.split("\r\n\r\n").filter((f) => f !== "");
    expect(text.endsWith("\r\n\r\n")).toBe(true);
    expect(text).not.toContain("[DONE]");
    // The first result, then one per token: at most the default 20 (EOS may end it sooner).
    expect(frames.length).toBeGreaterThanOrEqual(2);
    expect(frames.length).toBeLessThanOrEqual(1 + 20);
    for (const frame of frames) {
      const lines = frame.split("\r\n");
      expect(lines).toHaveLength(2);
      expect(lines[0]).toBe("event: message");
      expect(lines[1]?.startsWith("data: {")).toBe(true);
    }
    const results = frames.map((f) => JSON.parse(f.split("\r\n")[1]?.slice(6) ?? ""));
    // First message: input token count, NOT_FINISHED, empty text; producer_id null (§1.5).
    expect(results[0]).toEqual({
      generated_text: "",
      tokens: [],
      details: {
        finish_reason: "NOT_FINISHED",
        generated_tokens: 0,
        seed: 0,
        input_token_count: count("<text>"),
      },
      producer_id: null,
      input_tokens: [],
    });
    expect(results.slice(1).map((r) => r.details.generated_tokens)).toEqual(
      Array.from({ length: frames.length - 1 }, (_, i) => i + 1),
    );
    expect(["MAX_TOKENS", "EOS_TOKEN"]).toContain(results.at(-1)?.details.finish_reason);
    if (results.at(-1)?.details.finish_reason === "MAX_TOKENS") expect(frames).toHaveLength(21);
    // Keys in caikit's order with Python's separators.
    expect(frames[0]).toContain('data: {"generated_text": "", "tokens": [], "details": {');
  });

  it("answers unary text generation with caikit's 8 keys in order", async () => {
    const response = await curlJson(
      `${base}/api/v1/task/text-generation`,
      JSON.stringify({
        model_id: "flan-t5-small-caikit",
        inputs: "Hello there",
        parameters: { max_new_tokens: 3, min_new_tokens: 3 },
      }),
    );
    expect(response.status).toBe(200);
    const text = await response.text();
    // caikit-tgis.md §1.4: json.dumps separators and key order; seed null when not sent.
    expect(text).toMatch(
      /^\{"generated_text": ".*", "generated_tokens": 3, "finish_reason": "MAX_TOKENS", "producer_id": \{"name": "Text Generation", "version": "0\.1\.0"\}, "input_token_count": \d+, "seed": null, "tokens": \[\], "input_tokens": \[\]\}$/,
    );
  });

  it("echoes the request seed and returns token details on request", async () => {
    const response = await curlJson(
      `${base}/api/v1/task/text-generation`,
      JSON.stringify({
        model_id: "m",
        inputs: "Hi",
        parameters: {
          decoding_method: "SAMPLING",
          seed: 9,
          max_new_tokens: 2,
          min_new_tokens: 2,
          generated_tokens: true,
          token_logprobs: true,
          token_ranks: true,
          input_tokens: true,
        },
      }),
    );
    // TGIS gives the first input token a NaN logprob (utils/tokens.py get_input_tokens_info) and
    // caikit writes it as Python's json.dumps does: a bare NaN (§1.4), which JSON.parse refuses.
    const text = await response.text();
    expect(text).toMatch(/"input_tokens": \[\{"text": "[^"]*", "logprob": NaN, "rank": 0\}/);
    const body = JSON.parse(text.replaceAll("NaN", "null"));
    expect(body.seed).toBe(9);
    expect(body.tokens).toHaveLength(2);
    expect(Object.keys(body.tokens[0])).toEqual(["text", "logprob", "rank"]);
    expect(body.input_tokens.map((t: { text: string }) => t.text)).toEqual(
      spec.tokenizer.encode("Hi").map((id) => spec.tokenizer.tokenText(id)),
    );
  });

  it("prefixes the prompt with preserve_input_text; max_time below 1 ms means no limit", async () => {
    // caikit-tgis.md §1.3: preserve_input_text → response.input_text; max_time →
    // time_limit_millis = int(max_time * 1000), so 0.0001 s is 0 = none (§3.3); input_text=true →
    // text = prompt + output.
    const kept = await (
      await curlJson(
        `${base}/api/v1/task/text-generation`,
        JSON.stringify({
          model_id: "m",
          inputs: "Once upon",
          parameters: { preserve_input_text: true, max_new_tokens: 3 },
        }),
      )
    ).json();
    expect(kept.generated_text.startsWith("Once upon")).toBe(true);
    const timed = await (
      await curlJson(
        `${base}/api/v1/task/text-generation`,
        JSON.stringify({
          model_id: "m",
          inputs: "x",
          parameters: { max_time: 0.0001, min_new_tokens: 20 },
        }),
      )
    ).json();
    expect(timed.finish_reason).toBe("MAX_TOKENS");
  });

  it.each([
    // caikit-tgis.md §1.3, tgis_utils.py validate_inf_params texts.
    [
      { temperature: 0.01, decoding_method: "SAMPLING" },
      "value check failed: temperature must be >= 0.05",
    ],
    [
      { max_new_tokens: 1, min_new_tokens: 2 },
      "value check failed: Maximum new tokens [1] has to be greater than minimum new tokens         [2]",
    ],
    [
      { decoding_method: "BEAM" },
      "value check failed: Decoding method [BEAM] not in valid decoding methods: [['GREEDY', 'SAMPLING']]",
    ],
    [
      { temperature: 0.7 },
      "sampling parameters (temperature/top_k/top_p/typical_p/seed) aren't applicable in greedy decoding mode",
    ],
    // TGIS's limit passed through verbatim (§1.7).
    [{ max_new_tokens: 2000 }, "max_new_tokens must be <= 1024"],
  ])("refuses %o with 400 %s", async (parameters, details) => {
    const response = await curlJson(
      `${base}/api/v1/task/text-generation`,
      JSON.stringify({ model_id: "m", inputs: "x", parameters }),
    );
    expect(response.status).toBe(400);
    const body = await response.json();
    expect(Object.keys(body)).toEqual(["details", "code", "id"]);
    expect(body.details).toBe(details);
    expect(body.code).toBe(400);
    expect(body.id).toMatch(/^[0-9a-f]{32}$/);
  });

  it("sends a stream's validation error as an event: error under 200", async () => {
    // caikit-tgis.md §1.5: ValueError → code 400, details is the Python repr.
    const response = await curlJson(
      `${base}/api/v1/task/server-streaming-text-generation`,
      JSON.stringify({
        model_id: "m",
        inputs: "x",
        parameters: { temperature: 0.01, decoding_method: "SAMPLING" },
      }),
    );
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text.startsWith("event: error\r\ndata: ")).toBe(true);
    const body = JSON.parse(text.split("\r\n")[1]?.slice(6) ?? "");
    expect(body.details).toBe("ValueError('value check failed: temperature must be >= 0.05')");
    expect(body.code).toBe(400);
  });

  it("sends a stream's missing model_id as an event: error", async () => {
    const text = await (
      await curlJson(`${base}/api/v1/task/server-streaming-text-generation`, '{"inputs": "x"}')
    ).text();
    expect(text).toMatch(
      /^event: error\r\ndata: \{"details": "Please provide model_id in payload", "code": 400/,
    );
  });

  it("refuses a missing model_id on unary with 400", async () => {
    const response = await curlJson(`${base}/api/v1/task/text-generation`, '{"inputs": "x"}');
    expect(response.status).toBe(400);
    expect((await response.json()).details).toBe("Please provide model_id in payload");
  });

  it("refuses unknown keys with pydantic's 422", async () => {
    // caikit-tgis.md §1.2: extra="forbid" at every level.
    const response = await curlJson(
      `${base}/api/v1/task/text-generation`,
      JSON.stringify({ model_id: "m", inputs: "x", parameters: { top_n_tokens: 2 } }),
    );
    expect(response.status).toBe(422);
    const body = await response.json();
    expect(body.details).toBe("Extra inputs are not permitted");
    expect(body.additional_info[0]).toMatchObject({
      type: "extra_forbidden",
      loc: ["body", "parameters", "top_n_tokens"],
    });
    const streamed = await curlJson(
      `${base}/api/v1/task/server-streaming-text-generation`,
      JSON.stringify({ model_id: "m", inputs: "x", extra: 1 }),
    );
    expect(streamed.status).toBe(422);
  });

  it("refuses wrong types with pydantic's messages", async () => {
    const response = await curlJson(
      `${base}/api/v1/task/text-generation`,
      JSON.stringify({ model_id: "m", inputs: "x", parameters: { max_new_tokens: "many" } }),
    );
    expect(response.status).toBe(422);
    expect((await response.json()).details).toBe(
      "Input should be a valid integer, unable to parse string as an integer",
    );
  });

  it("refuses a Content-Type other than exactly application/json with FastAPI's 415", async () => {
    // caikit-tgis.md §1.2: `curl -d` without -H sends form-urlencoded → 415.
    const form = await fetch(`${base}/api/v1/task/text-generation`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: '{"model_id": "m", "inputs": "x"}',
    });
    expect(form.status).toBe(415);
    expect(await form.json()).toEqual({
      detail: "Unsupported media type: application/x-www-form-urlencoded.",
    });
    const charset = await fetch(`${base}/api/v1/task/text-generation`, {
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8" },
      body: '{"model_id": "m", "inputs": "x"}',
    });
    expect(charset.status).toBe(415);
  });

  it("counts tokens through TGIS on /api/v1/task/tokenization", async () => {
    const response = await curlJson(
      `${base}/api/v1/task/tokenization`,
      '{"model_id": "m", "inputs": "one two three"}',
    );
    expect(await response.text()).toBe(
      `{"results": null, "token_count": ${count("one two three")}}`,
    );
  });

  it("serves /info/version, lists used models on /info/models, and 404s /info/runtime", async () => {
    const version = await (await fetch(`${base}/info/version`)).json();
    expect(version).toEqual({
      runtime_version: "",
      python_packages: { caikit: "0.27.7", caikit_nlp: "0.5.13", caikit_tgis_backend: "0.1.38" },
    });
    // caikit-tgis.md §1.6 shape; any id loads on Caikit TGIS (§1.8, derived), then is listed.
    const models = (await (await fetch(`${base}/info/models`)).json()).models;
    expect(models[0]).toEqual({
      model_path: "/mnt/models/flan-t5-small-caikit",
      name: "flan-t5-small-caikit",
      size: 0,
      metadata: {},
      loaded: true,
      module_id: "f9181353-4ccf-4572-bd1e-f12bcda26792",
      module_metadata: { name: "Text Generation", version: "0.1.0" },
    });
    expect(models.map((m: { name: string }) => m.name)).toContain("<model_name__>");
    const missing = await fetch(`${base}/info/models?model_ids=nope`);
    expect(missing.status).toBe(404);
    expect((await missing.json()).details).toBe("Model nope is not loaded");
    // caikit-tgis.md §0: caikit defines no /info/runtime route → FastAPI 404.
    const runtime = await fetch(`${base}/info/runtime`);
    expect(runtime.status).toBe(404);
    expect(await runtime.json()).toEqual({ detail: "Not Found" });
  });
});

describe("Caikit Standalone REST (models)", () => {
  it("serves only the configured ids", async () => {
    const mock = await startCaikit("caikit-standalone", ["emb-a"]);
    try {
      const models = (await (await fetch(`${mock.endpoints.http}/info/models`)).json()).models;
      expect(models.map((m: { name: string }) => m.name)).toEqual(["emb-a"]);
    } finally {
      await mock.close();
    }
  });
});
