/**
 * Client disconnect aborts generation and frees it (vllm-openai.md §9: "client disconnect aborts
 * the request"): the handlers pass the request's signal to the engine and close every run when
 * the stream is left early; over HTTP, a dropped stream leaves the server serving.
 */
import {
  defaultModelSpec,
  type GenerationEvent,
  type GenerationRequest,
  type TextEngine,
} from "@servingkit/mock-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatCompletionStream } from "./chat-completions.js";
import { LoraRegistry } from "./lora.js";
import { profileFor } from "./profiles.js";
import { parseChatRequest } from "./requests.js";
import type { VllmModel } from "./served-model.js";
import { startVllm, type TestServer } from "./test-server.js";

/** An engine that produces tokens until it is stopped, recording how it ended. */
function endlessEngine() {
  const ends: string[] = [];
  const signals: AbortSignal[] = [];
  const engine: TextEngine = {
    async *generate(_request: GenerationRequest, options = {}): AsyncGenerator<GenerationEvent> {
      if (options.signal) signals.push(options.signal);
      try {
        for (let i = 0; ; i += 1) {
          if (options.signal?.aborted) {
            ends.push("aborted");
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, 1));
          yield { type: "token", id: 100 + (i % 50), text: "a " };
        }
      } finally {
        if (ends.length === 0 || ends.at(-1) !== "aborted") ends.push("closed");
      }
    },
  };
  return { engine, ends, signals };
}

async function modelWith(engine: TextEngine): Promise<VllmModel> {
  const spec = await defaultModelSpec();
  return {
    served: { id: "m", root: "/mnt/models", maxModelLen: 4096 },
    spec,
    engine,
    profile: profileFor("0.12.0"),
    generationMode: "text",
    task: "generate",
    autoToolChoice: false,
    loras: new LoraRegistry(),
    nowSeconds: () => 0,
  };
}

describe("abort", () => {
  it("closes every choice's run when the stream is left early", async () => {
    const { engine, ends } = endlessEngine();
    const model = await modelWith(engine);
    const request = parseChatRequest({
      messages: [{ role: "user", content: "hi" }],
      n: 2,
      temperature: 1,
      stream: true,
    });
    let seen = 0;
    for await (const _chunk of chatCompletionStream(model, request, new AbortController().signal)) {
      seen += 1;
      if (seen === 5) break;
    }
    expect(ends).toHaveLength(2);
  });

  it("passes the client's signal to the engine", async () => {
    const { engine, signals } = endlessEngine();
    const model = await modelWith(engine);
    const request = parseChatRequest({ messages: [{ role: "user", content: "hi" }], stream: true });
    const client = new AbortController();
    const stream = chatCompletionStream(model, request, client.signal)[Symbol.asyncIterator]();
    await stream.next();
    client.abort();
    expect(signals[0]?.aborted).toBe(true);
    await stream.return?.();
  });
});

describe("dropped streams over HTTP", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({ "inter-token-latency": "5" });
  });
  afterAll(() => server.close());

  it("keeps serving after a client drops a long stream", async () => {
    const client = new AbortController();
    const response = await fetch(`${server.url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ prompt: "x", max_tokens: 2000, ignore_eos: true, stream: true }),
      signal: client.signal,
    });
    const reader = response.body?.getReader();
    await reader?.read();
    client.abort();
    await reader?.cancel().catch(() => undefined);
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
  });
});
