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

// chat_utils.py resolve_chat_template_kwargs (vLLM PR #25794, from ≈0.11.1 here): `tokenize`
// and `chat_template` among chat_template_kwargs raise ValueError "Found unexpected chat template
// kwargs from request: {'tokenize'}", answered 400 by the chat handler (with " None", its
// e.__cause__, in the releases that print it).
describe("chat_template_kwargs with tokenize or chat_template", () => {
  const servers = new Map<string, TestServer>();
  beforeAll(async () => {
    for (const version of ["0.11.0", "0.11.1", "0.12.0"]) {
      servers.set(version, await startVllm({ "vllm-version": version }));
    }
  });
  afterAll(() => Promise.all([...servers.values()].map((server) => server.close())));

  async function chat(version: string, kwargs: object): Promise<{ status: number; text: string }> {
    const server = servers.get(version) as TestServer;
    const response = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        messages: [{ role: "user", content: "hi" }],
        max_tokens: 2,
        chat_template_kwargs: kwargs,
      }),
    });
    return { status: response.status, text: await response.text() };
  }

  it("refuses them from 0.11.1, with the cause suffix there", async () => {
    const newer = await chat("0.12.0", { tokenize: true });
    expect(newer.status).toBe(400);
    expect(JSON.parse(newer.text).error.message).toBe(
      "Found unexpected chat template kwargs from request: {'tokenize'}",
    );
    const first = await chat("0.11.1", { chat_template: "{{ 1 }}", enable_thinking: false });
    expect(first.status).toBe(400);
    expect(first.text).toContain(
      "Found unexpected chat template kwargs from request: {'chat_template'} None",
    );
  });

  it("lets other keys through, and takes them before 0.11.1", async () => {
    expect((await chat("0.12.0", { enable_thinking: false })).status).toBe(200);
    expect((await chat("0.11.0", { tokenize: true })).status).toBe(200);
  });
});
