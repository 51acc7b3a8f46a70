/**
 * Bad input never crashes the mock (issue 3 "Proof"): a few hundred random bodies, each answered
 * with a status below 500, and the server still serves afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startVllm, type TestServer } from "./test-server.js";

/** A small deterministic PRNG (mulberry32), so a failing body can be replayed. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const keys = [
  "model",
  "prompt",
  "messages",
  "max_tokens",
  "max_completion_tokens",
  "n",
  "temperature",
  "top_p",
  "top_k",
  "seed",
  "stop",
  "stop_token_ids",
  "min_tokens",
  "ignore_eos",
  "echo",
  "logprobs",
  "top_logprobs",
  "stream",
  "stream_options",
  "tokens",
  "include_stop_str_in_output",
];

function value(random: () => number, depth = 0): unknown {
  const pick = Math.floor(random() * (depth > 1 ? 6 : 9));
  switch (pick) {
    case 0:
      return null;
    case 1:
      return random() < 0.5;
    case 2:
      return Math.floor(random() * 200) - 50;
    case 3:
      return random() * 4 - 2;
    case 4:
      return "word ".repeat(Math.floor(random() * 5));
    case 5:
      return 1e12;
    case 6:
      return [value(random, depth + 1), value(random, depth + 1)];
    case 7:
      return [{ role: "user", content: value(random, depth + 1) }];
    default:
      return { include_usage: value(random, depth + 1) };
  }
}

describe("fuzz", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({ "max-model-len": "128" });
  });
  afterAll(() => server.close());

  it("answers 300 random bodies below 500 and keeps serving", async () => {
    const random = prng(20261121);
    const paths = ["/v1/completions", "/v1/chat/completions", "/tokenize", "/detokenize"];
    for (let i = 0; i < 300; i += 1) {
      const body: Record<string, unknown> = {};
      for (const key of keys) if (random() < 0.3) body[key] = value(random);
      if (random() < 0.5) body.max_tokens = Math.floor(random() * 8) + 1;
      const path = paths[i % paths.length] as string;
      const response = await fetch(`${server.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      expect(response.status, `${path} ${JSON.stringify(body)} -> ${text}`).toBeLessThan(500);
    }
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });
});
