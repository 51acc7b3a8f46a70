import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { metricValue, parseMetrics } from "../metrics-text.js";
import { openaiClient, startVllm, type TestServer } from "./test-server.js";

const turn = (content: string) => [{ role: "user", content }];

async function post(server: TestServer, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${server.url}/v1/chat/completions/batch`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function detail(response: Response): Promise<{ status: number; message: string }> {
  const body = (await response.json()) as { error: { message: string } };
  return { status: response.status, message: body.error.message };
}

describe("/v1/chat/completions/batch (0.19.0)", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({
      "vllm-version": "0.19.0",
      "served-model-name": "granite",
      "max-model-len": "1000",
    });
  });
  afterAll(() => server.close());

  // batch_serving.py chat_completion_full_generator_batch: one chat.completion, choice i answers
  // conversation i, usage summed over the conversations.
  it("answers N conversations with one choice each, indexed 0..N-1, usage summed", async () => {
    const response = await post(server, {
      model: "granite",
      messages: [turn("one"), turn("two three four"), turn("five six")],
      max_tokens: 3,
      ignore_eos: true,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("application/json");
    const body = await response.json();
    expect(body.object).toBe("chat.completion");
    expect(body.id).toMatch(/^chatcmpl-/);
    expect(body.model).toBe("granite");
    expect(body.choices.map((c: { index: number }) => c.index)).toEqual([0, 1, 2]);
    for (const choice of body.choices) {
      expect(choice.message.role).toBe("assistant");
      expect(typeof choice.message.content).toBe("string");
      expect(choice.finish_reason).toBe("length");
    }
    expect(body.usage.completion_tokens).toBe(9);
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + 9);
    // Each conversation is its own prompt: a longer conversation costs more prompt tokens.
    const single = async (content: string) => {
      const one = await post(server, { messages: [turn(content)], max_tokens: 1 });
      return (await one.json()).usage.prompt_tokens as number;
    };
    expect(body.usage.prompt_tokens).toBe(
      (await single("one")) + (await single("two three four")) + (await single("five six")),
    );
    // 0.19.0 predates system_fingerprint (vllm PR #40537, 0.21.0).
    expect(body.system_fingerprint).toBeNull();
  });

  // protocol.py BatchChatCompletionRequest: `model: str | None = None` (the served model).
  it("serves the request without a model and through the openai SDK's post", async () => {
    const client = openaiClient(server);
    const body = await client.post<{ choices: unknown[]; model: string }>(
      "/chat/completions/batch",
      { body: { messages: [turn("a"), turn("b")], max_tokens: 2 } },
    );
    expect(body.choices).toHaveLength(2);
    expect(body.model).toBe("granite");
  });

  // batch_serving.py: request_id is chatcmpl-<base request id> (X-Request-Id or request_id).
  it("takes its id from the request id", async () => {
    const response = await post(server, {
      messages: [turn("a"), turn("b")],
      max_tokens: 1,
      request_id: "mine",
    });
    expect((await response.json()).id).toBe("chatcmpl-mine");
  });

  // _check_model: an unknown name is vLLM's 404 before any conversation is rendered.
  it("answers 404 for an unknown model", async () => {
    const response = await post(server, { model: "nope", messages: [turn("a")] });
    expect(await detail(response)).toEqual({
      status: 404,
      message: "The model `nope` does not exist.",
    });
  });

  // protocol.py check_batch_mode (model_validator mode="before"): n other than 1 and beam search
  // are refused with VLLMValidationError, whose parameter and value the 400 names.
  it("refuses n > 1 and beam search with vLLM's texts", async () => {
    const n = await detail(await post(server, { messages: [turn("a")], n: 2 }));
    expect(n.status).toBe(400);
    expect(n.message).toContain(
      "Batch chat completions do not support `n > 1`. Please set `n` to 1.",
    );
    const beam = await detail(await post(server, { messages: [turn("a")], use_beam_search: true }));
    expect(beam.status).toBe(400);
    expect(beam.message).toContain(
      "Batch chat completions do not support beam search. Please set `use_beam_search` to False.",
    );
    // n: 1 and null pass (`n is not None and n != 1`).
    expect((await post(server, { messages: [turn("a")], n: null, max_tokens: 1 })).status).toBe(
      200,
    );
  });

  // protocol.py: messages is list[list[...] (min_length=1)] (min_length=1); pydantic's texts.
  it("refuses an empty batch, an empty conversation and wrong types", async () => {
    const empty = await detail(await post(server, { messages: [] }));
    expect(empty.status).toBe(400);
    expect(empty.message).toContain("'type': 'too_short', 'loc': ('body', 'messages')");
    expect(empty.message).toContain("List should have at least 1 item after validation, not 0");
    const inner = await detail(await post(server, { messages: [turn("a"), []] }));
    expect(inner.message).toContain("'type': 'too_short', 'loc': ('body', 'messages', 1)");
    const flat = await detail(await post(server, { messages: turn("a") }));
    expect(flat.message).toContain("'type': 'list_type', 'loc': ('body', 'messages', 0)");
    const text = await detail(await post(server, { messages: "hi" }));
    expect(text.message).toContain("'type': 'list_type', 'loc': ('body', 'messages')");
    const missing = await detail(await post(server, { model: "granite" }));
    expect(missing.message).toContain("'type': 'missing', 'loc': ('body', 'messages')");
    const model = await detail(await post(server, { model: 7, messages: [turn("a")] }));
    expect(model.message).toContain("'type': 'string_type', 'loc': ('body', 'model')");
  });

  // protocol.py: `tool_choice: Literal["none"] | None = "none"`.
  it("refuses a tool_choice other than none", async () => {
    const refused = await detail(
      await post(server, { messages: [turn("a")], tool_choice: "auto" }),
    );
    expect(refused.status).toBe(400);
    expect(refused.message).toContain("'type': 'literal_error', 'loc': ('body', 'tool_choice')");
    expect(refused.message).toContain("Input should be 'none'");
  });

  // A conversation is checked as a chat request (to_chat_completion_request), so a bad message
  // is a 400 naming it; a body that is not JSON is FastAPI's json_invalid 400.
  it("refuses a malformed conversation and a malformed body", async () => {
    const role = await post(server, { messages: [[{ content: "no role" }]] });
    expect(role.status).toBe(400);
    expect((await detail(role)).message).toContain("role");
    const broken = await post(server, "{not json");
    expect(broken.status).toBe(400);
    const list = await post(server, [turn("a")]);
    expect(list.status).toBe(400);
  });

  // batch_serving.py: to_sampling_params runs per conversation after the renders, so a sampling
  // failure (here a logit_bias token outside the vocabulary) is the chat route's own 400.
  it("refuses what the chat route refuses in sampling, with the same answer", async () => {
    const bias = { logit_bias: { "999999999": 1 }, max_tokens: 1 };
    const batch = await post(server, { messages: [turn("a"), turn("b")], ...bias });
    const chat = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ messages: turn("a"), ...bias }),
    });
    expect(chat.status).toBe(400);
    expect(batch.status).toBe(400);
    expect(await batch.json()).toEqual(await chat.json());
  });

  // Issue #50026 (vLLM): stream is not a batch field, it passes into each conversation's request;
  // the answer is still a 200 JSON body, every choice's content empty.
  it("answers stream: true with a JSON body and empty contents, not an SSE stream", async () => {
    const response = await post(server, {
      messages: [turn("a"), turn("b")],
      max_tokens: 4,
      stream: true,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("application/json");
    const body = await response.json();
    expect(body.choices.map((c: { message: { content: string } }) => c.message.content)).toEqual([
      "",
      "",
    ]);
    expect(body.usage.completion_tokens).toBe(2);
  });

  // batch_serving.py: one engine request per conversation (`<request id>_<i>`), so vLLM's
  // request counters count each.
  // batch_serving.py chat_completion_full_generator_batch builds each choice with
  // `token_ids=(as_list(output.token_ids) if request.return_token_ids else None)` (the
  // ChatCompletionResponseChoice field of vLLM PR #22587), and the ChatCompletionResponse it
  // returns never sets kv_transfer_params or prompt_logprobs: null even when the request sends them.
  it("returns each conversation's token ids with return_token_ids, null without", async () => {
    const asked = await post(server, {
      messages: [turn("one"), turn("two three")],
      max_tokens: 3,
      ignore_eos: true,
      return_token_ids: true,
      kv_transfer_params: { do_remote_decode: true },
    });
    expect(asked.status).toBe(200);
    const body = await asked.json();
    for (const choice of body.choices) {
      expect(Object.keys(choice)).toEqual([
        "index",
        "message",
        "logprobs",
        "finish_reason",
        "stop_reason",
        "token_ids",
      ]);
      expect(choice.token_ids).toHaveLength(3);
      expect(choice.token_ids.every(Number.isInteger)).toBe(true);
    }
    expect(body.usage.completion_tokens).toBe(6);
    expect(body.kv_transfer_params).toBeNull();
    const plain = await (await post(server, { messages: [turn("one")], max_tokens: 2 })).json();
    expect(plain.choices[0].token_ids).toBeNull();
  });

  it("counts each conversation as an engine request in /metrics", async () => {
    const own = await startVllm({ "vllm-version": "0.19.0", "served-model-name": "m" });
    try {
      const response = await post(own, {
        messages: [turn("a"), turn("b"), turn("c")],
        max_tokens: 2,
        ignore_eos: true,
      });
      expect(response.status).toBe(200);
      const samples = parseMetrics(await (await fetch(`${own.url}/metrics`)).text());
      expect(
        metricValue(samples, "vllm:request_success_total", { finished_reason: "length" }),
      ).toBe(3);
      expect(metricValue(samples, "vllm:generation_tokens_total")).toBe(6);
    } finally {
      await own.close();
    }
  });
});

describe("/v1/chat/completions/batch by release", () => {
  // vllm PR #38011 landed in v0.19.0: before it FastAPI has no such route.
  it("is FastAPI's 404 on 0.18.1", async () => {
    const server = await startVllm({ "vllm-version": "0.18.1" });
    try {
      const response = await post(server, { messages: [turn("a")] });
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ detail: "Not Found" });
    } finally {
      await server.close();
    }
  });

  // vllm-openai.md §2: --api-key guards every /v1 path, this one included.
  it("is guarded by --api-key and stamps the fingerprint on 0.21.0", async () => {
    const server = await startVllm({ "vllm-version": "0.21.0", "api-key": "k" });
    try {
      const refused = await post(server, { messages: [turn("a")] });
      expect(refused.status).toBe(401);
      expect(await refused.text()).toBe('{"error": "Unauthorized"}');
      const served = await post(
        server,
        { messages: [turn("a")], max_tokens: 1 },
        { authorization: "Bearer k" },
      );
      expect(served.status).toBe(200);
      // batch_serving.py passes the server's system_fingerprint (vllm PR #40537, 0.21.0).
      expect((await served.json()).system_fingerprint).toMatch(/^vllm-0\.21\.0-[0-9a-f]{8}$/);
    } finally {
      await server.close();
    }
  });

  // batch_serving.py stamps `self.system_fingerprint`, the one the server computed at start-up in
  // its --fingerprint-mode (vllm PR #40537): the custom text as given, null in mode none.
  it("stamps the fingerprint of the server's --fingerprint-mode on 0.21.0", async () => {
    for (const [flags, expected] of [
      [{ "fingerprint-mode": "custom", "fingerprint-value": "fleet-a" }, "fleet-a"],
      [{ "fingerprint-mode": "none" }, null],
    ] as const) {
      const server = await startVllm({ "vllm-version": "0.21.0", ...flags });
      try {
        const body = await (await post(server, { messages: [turn("a")], max_tokens: 1 })).json();
        expect(body.system_fingerprint).toBe(expected);
      } finally {
        await server.close();
      }
    }
  });
});
