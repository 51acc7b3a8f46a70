/**
 * `truncate_prompt_tokens` through the openai SDK (an extra body field, as vLLM's own tests send
 * it): the request models' bound by release, the truncation size against `max_model_len`, and the
 * truncation itself (the prompt's last N tokens, which usage and the length check then count).
 */
import OpenAI, { type APIError } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openaiClient, startVllm, type TestServer } from "./test-server.js";

const refusal = async (call: Promise<unknown>): Promise<APIError> => {
  try {
    await call;
  } catch (error) {
    if (error instanceof OpenAI.APIError) return error;
    throw error;
  }
  throw new Error("the call succeeded");
};

describe("truncate_prompt_tokens", () => {
  const servers = new Map<string, TestServer>();
  const clients = new Map<string, OpenAI>();
  beforeAll(async () => {
    for (const version of ["0.10.1", "0.10.2"]) {
      const server = await startVllm({
        "served-model-name": "m",
        "vllm-version": version,
        "max-model-len": "128",
      });
      servers.set(version, server);
      clients.set(version, openaiClient(server));
    }
    const embed = await startVllm({
      "served-model-name": "e",
      task: "embed",
      "max-model-len": "64",
    });
    servers.set("embed", embed);
    clients.set("embed", openaiClient(embed));
  });
  afterAll(async () => {
    await Promise.all([...servers.values()].map((server) => server.close()));
  });
  const client = (key: string) => clients.get(key) as OpenAI;
  const long = "one two three four five six seven eight nine ten ".repeat(20);
  const chat = (key: string, extra: object, content = long) =>
    client(key).chat.completions.create({
      model: "m",
      messages: [{ role: "user", content }],
      max_tokens: 4,
      ...extra,
    } as OpenAI.ChatCompletionCreateParamsNonStreaming);

  it("keeps the last N prompt tokens; usage and the length check count what is kept", async () => {
    // The whole prompt is over max_model_len (128): refused by the length check.
    const whole = await refusal(chat("0.10.2", {}));
    expect(whole.status).toBe(400);
    expect(whole.message).toContain("128");
    // SamplingParams doc: "use only the last k tokens from the prompt (left truncation)".
    const kept = await chat("0.10.2", { truncate_prompt_tokens: 20 });
    expect(kept.usage?.prompt_tokens).toBe(20);
    // A short prompt is left as it is.
    const short = await chat("0.10.2", { truncate_prompt_tokens: 100 }, "Hi");
    const plain = await chat("0.10.2", {}, "Hi");
    expect(short.usage?.prompt_tokens).toBe(plain.usage?.prompt_tokens);
    // 120 kept + 4 asked fit 128; 128 kept leave no room for max_tokens 4: the length check.
    const fits = await chat("0.10.2", { truncate_prompt_tokens: 120 });
    expect(fits.usage?.prompt_tokens).toBe(120);
    const full = await refusal(chat("0.10.2", { truncate_prompt_tokens: 128 }));
    expect(full.status).toBe(400);
  });

  it("reads -1 as max_model_len from vLLM PR #22761, refuses it before", async () => {
    // protocol.py Field(ge=-1) after PR #22761 (profiles.ts truncateToModelLength, 0.10.2):
    // -1 truncates to 128 tokens, then max_tokens 4 no longer fits.
    const all = await refusal(chat("0.10.2", { truncate_prompt_tokens: -1 }));
    expect(all.status).toBe(400);
    expect(all.message).not.toContain("truncate_prompt_tokens");
    const room = await chat("0.10.2", { truncate_prompt_tokens: -1, max_tokens: null }, "Hi");
    expect(room.choices[0]?.finish_reason).toBeDefined();
    // Field(ge=1) before: pydantic's greater_than_equal with ctx ge 1, for -1 and 0 alike.
    for (const value of [-1, 0]) {
      const early = await refusal(chat("0.10.1", { truncate_prompt_tokens: value }, "Hi"));
      expect(early.status).toBe(400);
      expect(early.message).toContain("'type': 'greater_than_equal'");
      expect(early.message).toContain("Input should be greater than or equal to 1");
      expect(early.message).toContain("'ctx': {'ge': 1}");
    }
    const below = await refusal(chat("0.10.2", { truncate_prompt_tokens: -2 }, "Hi"));
    expect(below.message).toContain("Input should be greater than or equal to -1");
  });

  it("refuses a size above max_model_len with both numbers", async () => {
    // vllm/entrypoints/utils.py _validate_truncation_size.
    const over = await refusal(chat("0.10.2", { truncate_prompt_tokens: 129 }, "Hi"));
    expect(over.status).toBe(400);
    expect(over.message).toBe(
      "400 truncate_prompt_tokens value (129) is greater than max_model_len (128). Please, select a smaller truncation size.",
    );
  });

  it("truncates each completions prompt; a text prompt echoes as sent, a token prompt its kept ids", async () => {
    // serving_engine.py _normalize_prompt_text_to_input: the text is tokenized with truncation and
    // the engine prompt keeps the text as sent; _normalize_prompt_tokens_to_input keeps the last
    // ids and decodes them for the prompt text.
    const completions = client("0.10.2").completions;
    const whole = await refusal(completions.create({ model: "m", prompt: long, max_tokens: 4 }));
    expect(whole.status).toBe(400);
    const kept = await completions.create({
      model: "m",
      prompt: long,
      max_tokens: 4,
      echo: true,
      truncate_prompt_tokens: 20,
    } as OpenAI.CompletionCreateParamsNonStreaming);
    expect(kept.usage?.prompt_tokens).toBe(20);
    expect(kept.choices[0]?.text.startsWith(long)).toBe(true);
    const ids = Array.from({ length: 30 }, (_, i) => 100 + i);
    const tokens = await completions.create({
      model: "m",
      prompt: ids,
      max_tokens: 1,
      echo: true,
      truncate_prompt_tokens: 5,
    } as OpenAI.CompletionCreateParamsNonStreaming);
    expect(tokens.usage?.prompt_tokens).toBe(5);
    const detokenized = (await (
      await fetch(`${servers.get("0.10.2")?.url}/detokenize`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "m", tokens: ids.slice(-5) }),
      })
    ).json()) as { prompt: string };
    expect(tokens.choices[0]?.text.startsWith(detokenized.prompt)).toBe(true);
    const over = await refusal(
      completions.create({
        model: "m",
        prompt: "Hi",
        max_tokens: 1,
        truncate_prompt_tokens: 129,
      } as OpenAI.CompletionCreateParamsNonStreaming),
    );
    expect(over.message).toBe(
      "400 truncate_prompt_tokens value (129) is greater than max_model_len (128). Please, select a smaller truncation size.",
    );
  });

  it("truncates embeddings inputs and refuses a size above max_model_len", async () => {
    const embed = client("embed");
    const create = (extra: object) =>
      embed.embeddings.create({
        model: "e",
        input: long,
        ...extra,
      } as OpenAI.EmbeddingCreateParams);
    // Over max_model_len (64) whole; truncated to 10 it embeds 10 tokens.
    expect((await refusal(create({}))).status).toBe(400);
    const kept = await create({ truncate_prompt_tokens: 10 });
    expect(kept.usage.prompt_tokens).toBe(10);
    const all = await create({ truncate_prompt_tokens: -1 });
    expect(all.usage.prompt_tokens).toBe(64);
    // vLLM's test_single_embedding_truncation_invalid (serving_embedding.py): no numbers here.
    const over = await refusal(create({ truncate_prompt_tokens: 65 }));
    expect(over.status).toBe(400);
    expect(over.message).toBe(
      "400 truncate_prompt_tokens value is greater than max_model_len. Please, select a smaller truncation size.",
    );
  });
});
