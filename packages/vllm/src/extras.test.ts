/**
 * vLLM's extra request fields (types.ts) spread into the official `openai` SDK's params, against
 * the mock: they reach the server as given and act there.
 */
import type OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openaiClient, startVllm, type TestServer } from "./mock/test-server.js";
import type { VllmSamplingExtras } from "./types.js";

describe("structured_outputs from the openai SDK", () => {
  let server: TestServer;
  let client: OpenAI;
  beforeAll(async () => {
    server = await startVllm({ "served-model-name": "granite", "vllm-version": "0.12.0" });
    client = openaiClient(server);
  });
  afterAll(() => server.close());

  const messages: OpenAI.ChatCompletionMessageParam[] = [
    { role: "user", content: "Classify this sentiment: vLLM is wonderful!" },
  ];

  // vLLM docs structured_outputs.md: `choice` makes the output exactly one of the choices.
  it("answers one of the choices", async () => {
    const extra: VllmSamplingExtras = { structured_outputs: { choice: ["positive", "negative"] } };
    for (const seed of [1, 2, 3]) {
      const answer = await client.chat.completions.create({
        model: "granite",
        messages,
        seed,
        ...extra,
      });
      expect(["positive", "negative"]).toContain(answer.choices[0]?.message.content);
    }
  });

  // vLLM docs structured_outputs.md: `regex` makes the output follow the pattern; completions
  // take the same extras.
  it("follows a regex on completions too", async () => {
    const extra: VllmSamplingExtras = {
      structured_outputs: { regex: "[a-z]{3,8}@[a-z]{3,6}\\.com" },
    };
    const answer = await client.completions.create({
      model: "granite",
      prompt: "Email:",
      max_tokens: 40,
      ...extra,
    });
    expect(answer.choices[0]?.text).toMatch(/^[a-z]{3,8}@[a-z]{3,6}\.com$/);
  });

  // vLLM docs structured_outputs.md: `json` makes the output follow the JSON schema.
  it("follows a JSON schema", async () => {
    const schema = {
      type: "object",
      properties: { brand: { type: "string" }, year: { type: "integer" } },
      required: ["brand", "year"],
    };
    const extra: VllmSamplingExtras = { structured_outputs: { json: schema } };
    const answer = await client.chat.completions.create({ model: "granite", messages, ...extra });
    const parsed = JSON.parse(answer.choices[0]?.message.content ?? "");
    expect(typeof parsed.brand).toBe("string");
    expect(Number.isInteger(parsed.year)).toBe(true);
  });
});
