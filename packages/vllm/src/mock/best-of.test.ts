/**
 * `best_of` per release (profiles.ts `bestOf`): the V0 engine ranks candidates, V1 refuses
 * best_of > 1, releases after vLLM PR #29090 ignore the field.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { profileFor } from "./profiles.js";
import { startVllm, type TestServer } from "./test-server.js";

interface Choice {
  index: number;
  text: string;
  logprobs: { token_logprobs: number[] } | null;
}
interface Answer {
  choices: Choice[];
  usage: { completion_tokens: number };
  error?: { message: string };
  message?: string;
}

async function complete(server: TestServer, body: object) {
  const response = await fetch(`${server.url}/v1/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ prompt: "Once upon a time", max_tokens: 6, seed: 11, ...body }),
  });
  return { status: response.status, text: await response.text() };
}

describe("best_of across releases", () => {
  const servers: Record<string, TestServer> = {};
  beforeAll(async () => {
    for (const version of ["0.6.3", "0.8.5", "0.10.1", "0.12.0"]) {
      servers[version] = await startVllm({ "vllm-version": version });
    }
  });
  afterAll(async () => {
    for (const server of Object.values(servers)) await server.close();
  });
  const on = (version: string) => servers[version] as TestServer;

  // vllm/v1/engine/processor.py: V1 (default from 0.8) refuses best_of > 1; 1 passes.
  it("is refused above 1 by the V1 engine", async () => {
    expect(profileFor("0.8.5").bestOf).toBe("refused");
    const refused = await complete(on("0.10.1"), { best_of: 2 });
    expect(refused.status).toBe(400);
    expect((JSON.parse(refused.text) as Answer).error?.message).toBe(
      "vLLM V1 does not yet support best_of.",
    );
    const flat = await complete(on("0.8.5"), { best_of: 3 });
    expect((JSON.parse(flat.text) as Answer).message).toBe("vLLM V1 does not yet support best_of.");
    expect((await complete(on("0.10.1"), { best_of: 1 })).status).toBe(200);
  });

  // sampling_params.py (releases with the field): best_of below n is refused.
  it("must not be below n while the field exists", async () => {
    const low = await complete(on("0.10.1"), { best_of: 1, n: 2 });
    expect(low.status).toBe(400);
    expect(low.text).toContain(
      "best_of must be greater than or equal to n, got n=2 and best_of=1.",
    );
  });

  // vLLM PR #29090 (≈0.12) removed best_of: an unknown field, ignored.
  it("is ignored once removed", async () => {
    const ignored = await complete(on("0.12.0"), { best_of: 4, n: 1 });
    expect(ignored.status).toBe(200);
    expect((JSON.parse(ignored.text) as Answer).choices).toHaveLength(1);
  });

  // V0: best_of candidates, the n with the highest cumulative logprob returned, numbered in
  // order; only those count as completion tokens.
  it("returns the best n of best_of candidates on the V0 engine", async () => {
    const all = JSON.parse((await complete(on("0.6.3"), { n: 3, logprobs: 1 })).text) as Answer;
    const sum = (c: Choice) => (c.logprobs?.token_logprobs ?? []).reduce((a, b) => a + b, 0);
    const ranked = [...all.choices].sort((a, b) => sum(b) - sum(a)).slice(0, 2);
    const best = JSON.parse(
      (await complete(on("0.6.3"), { n: 2, best_of: 3, logprobs: 1 })).text,
    ) as Answer;
    expect(best.choices.map((c) => c.index)).toEqual([0, 1]);
    expect(best.choices.map((c) => c.text)).toEqual(ranked.map((c) => c.text));
    expect(best.usage.completion_tokens).toBe(
      best.choices.reduce((n, c) => n + (c.logprobs?.token_logprobs.length ?? 0), 0),
    );
  });

  // V0 sampling_params.py: best_of sequences are n for the greedy check.
  it("is refused with greedy sampling on the V0 engine", async () => {
    const greedy = await complete(on("0.6.3"), { best_of: 2, temperature: 0 });
    expect(greedy.status).toBe(400);
    expect(greedy.text).toContain("n must be 1 when using greedy sampling, got 2.");
  });

  // vllm-openai.md §4.2: a stream with best_of ≠ n is one event with the whole answer, then [DONE].
  it("streams best_of ≠ n as one event on the V0 engine", async () => {
    const { text } = await complete(on("0.6.3"), { n: 2, best_of: 3, stream: true });
    const events = text.split("\n\n").filter((e) => e !== "");
    expect(events).toHaveLength(2);
    expect(events[1]).toBe("data: [DONE]");
    const whole = JSON.parse((events[0] ?? "").slice("data: ".length)) as Answer & {
      object: string;
    };
    expect(whole.object).toBe("text_completion");
    expect(whole.choices).toHaveLength(2);
  });
});
