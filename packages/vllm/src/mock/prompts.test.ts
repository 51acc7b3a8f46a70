import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { VllmError } from "./errors.js";
import { checkTokenIds } from "./prompts.js";
import type { VllmModel } from "./served-model.js";
import { startVllm, type TestServer } from "./test-server.js";

const model = { spec: { tokenizer: { vocabSize: 100 } } } as unknown as VllmModel;

function failure(ids: readonly number[]): string | undefined {
  try {
    checkTokenIds(model, ids);
    return undefined;
  } catch (error) {
    return (error as VllmError).message;
  }
}

describe("checkTokenIds", () => {
  // vllm/v1/engine/processor.py: "Token id <id> is out of vocabulary"; an empty prompt is refused.
  it("names the id outside the vocabulary, largest first, and refuses an empty prompt", () => {
    expect(failure([1, 2, 3])).toBeUndefined();
    expect(failure([1, 100, -1])).toBe("Token id 100 is out of vocabulary");
    expect(failure([1, -1])).toBe("Token id -1 is out of vocabulary");
    expect(failure([])).toBe("The decoder prompt cannot be empty");
  });

  it("checks a prompt of a million ids without overflowing the stack", () => {
    const ids = new Array<number>(1_000_000).fill(7);
    ids[999_999] = 100;
    expect(failure(ids)).toBe("Token id 100 is out of vocabulary");
  });
});

describe("a token-id prompt far over max_model_len", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({ "max-model-len": "64" });
  });
  afterAll(() => server.close());

  // vllm-openai.md §3: prompts over max_model_len answer 400 with the context-length text,
  // never a crash (issue 3: bad input gets vLLM's 400 envelope).
  it("answers the context-length 400, not a 500", async () => {
    const res = await fetch(`${server.url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ prompt: new Array(300_000).fill(5), max_tokens: 4 }),
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toMatch(/maximum context length is 64 tokens/);
  });
});
