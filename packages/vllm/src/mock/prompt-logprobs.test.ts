/**
 * `prompt_logprobs` on both endpoints and completions `echo` with `logprobs` (vllm-openai.md §3.2,
 * §5): first entry null, each other a map token id → {logprob, rank, decoded_token}.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startVllm, type TestServer } from "./test-server.js";

type Entry = Record<string, { logprob: number; rank: number; decoded_token: string }> | null;

describe("prompt logprobs", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({ "served-model-name": "granite" });
  });
  afterAll(() => server.close());
  const post = async (path: string, body: object) => {
    const response = await fetch(`${server.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const tokenize = async (prompt: string) =>
    ((await post("/tokenize", { prompt })).body as { tokens: number[] }).tokens;

  function checkEntries(entries: Entry[], ids: number[], count: number) {
    expect(entries).toHaveLength(ids.length);
    expect(entries[0]).toBeNull();
    entries.slice(1).forEach((entry, i) => {
      const id = ids[i + 1] as number;
      const own = entry?.[String(id)];
      expect(own).toBeDefined();
      expect(own?.rank).toBeGreaterThanOrEqual(1);
      expect(own?.logprob).toBeLessThanOrEqual(0);
      // The prompt's own token plus `count` most likely ones (fewer when it is one of them).
      const size = Object.keys(entry ?? {}).length;
      expect(size).toBeGreaterThanOrEqual(Math.max(count, 1));
      expect(size).toBeLessThanOrEqual(count + 1);
    });
  }

  // vllm-openai.md §5: completions choices carry prompt_logprobs for their prompt.
  it("fills each completions choice's prompt_logprobs", async () => {
    const prompt = "The quick brown fox";
    const ids = await tokenize(prompt);
    const { status, body } = await post("/v1/completions", {
      prompt,
      max_tokens: 2,
      prompt_logprobs: 2,
    });
    expect(status).toBe(200);
    const choice = (body.choices as { prompt_logprobs: Entry[] }[])[0];
    checkEntries(choice?.prompt_logprobs ?? [], ids, 2);
    const again = await post("/v1/completions", { prompt, max_tokens: 2, prompt_logprobs: 2 });
    expect((again.body.choices as { prompt_logprobs: Entry[] }[])[0]?.prompt_logprobs).toEqual(
      choice?.prompt_logprobs,
    );
  });

  // vllm-openai.md §5: chat carries them at the top level (null unless asked).
  it("fills the chat answer's top-level prompt_logprobs", async () => {
    const messages = [{ role: "user", content: "Hello there" }];
    const plain = await post("/v1/chat/completions", { messages, max_tokens: 2 });
    expect(plain.body.prompt_logprobs).toBeNull();
    const ids = (
      (await post("/tokenize", { messages })).body as {
        tokens: number[];
      }
    ).tokens;
    const asked = await post("/v1/chat/completions", {
      messages,
      max_tokens: 2,
      prompt_logprobs: 0,
    });
    checkEntries(asked.body.prompt_logprobs as Entry[], ids, 0);
  });

  // protocol.py: an echoed prompt with logprobs gets prompt logprobs; its tokens lead the
  // vllm/v1/engine/logprobs.py `_make_logprob_dict`: each entry is a Python dict built from the
  // prompt's own token first, then the top alternatives by rank; pydantic writes it in that order.
  // A JS object would put integer-like keys in numeric order, so the raw text is read here.
  it("writes each entry's keys in Python's order: the prompt token first, then by rank", async () => {
    const prompt = "Zebras quietly juggle seventeen oranges";
    const ids = await tokenize(prompt);
    const response = await fetch(`${server.url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ prompt, max_tokens: 1, prompt_logprobs: 3 }),
    });
    const raw = await response.text();
    const entries = (JSON.parse(raw) as { choices: { prompt_logprobs: Entry[] }[] }).choices[0]
      ?.prompt_logprobs as Entry[];
    const wire = [...raw.matchAll(/"(\d+)":\{"logprob":[^,]+,"rank":(\d+)/g)].map((m) => ({
      id: Number(m[1]),
      rank: Number(m[2]),
    }));
    let at = 0;
    let unsorted = 0;
    entries.slice(1).forEach((entry, i) => {
      const size = Object.keys(entry ?? {}).length;
      const keys = wire.slice(at, at + size);
      at += size;
      expect(keys[0]?.id).toBe(ids[i + 1]);
      const alternatives = keys.slice(1).map((k) => k.rank);
      expect(alternatives).toEqual([...alternatives].sort((x, y) => x - y));
      const numeric = keys.map((k) => k.id);
      if (numeric.join() !== [...numeric].sort((x, y) => x - y).join()) unsorted += 1;
    });
    expect(at).toBe(wire.length);
    // The point of the order: somewhere it differs from JavaScript's numeric key order.
    expect(unsorted).toBeGreaterThan(0);
  });

  // completions logprobs, the first with null logprob and null top map (vllm-openai.md §5).
  it("gives echoed completions prompts their logprobs", async () => {
    const prompt = "One two three";
    const ids = await tokenize(prompt);
    const { body } = await post("/v1/completions", {
      prompt,
      max_tokens: 3,
      echo: true,
      logprobs: 1,
    });
    const choice = (
      body.choices as {
        text: string;
        logprobs: {
          tokens: string[];
          token_logprobs: (number | null)[];
          top_logprobs: (Record<string, number> | null)[];
          text_offset: number[];
        };
        prompt_logprobs: Entry[];
      }[]
    )[0];
    expect(choice?.text.startsWith(prompt)).toBe(true);
    const logprobs = choice?.logprobs;
    expect(logprobs?.token_logprobs[0]).toBeNull();
    expect(logprobs?.top_logprobs[0]).toBeNull();
    expect(logprobs?.tokens.length).toBeGreaterThan(ids.length);
    expect(typeof logprobs?.token_logprobs[1]).toBe("number");
    expect(logprobs?.text_offset[0]).toBe(0);
    checkEntries(choice?.prompt_logprobs ?? [], ids, 1);
  });

  // vllm-openai.md §3.2: refused with stream, and below 0.
  it("refuses prompt_logprobs with stream or below 0", async () => {
    const streamed = await post("/v1/completions", {
      prompt: "Hi",
      stream: true,
      prompt_logprobs: 1,
    });
    expect(streamed.status).toBe(400);
    expect(JSON.stringify(streamed.body)).toContain(
      "`prompt_logprobs` are not available when `stream=True`.",
    );
    const negative = await post("/v1/completions", { prompt: "Hi", prompt_logprobs: -2 });
    expect(negative.status).toBe(400);
    expect(JSON.stringify(negative.body)).toContain("`prompt_logprobs` must be a positive value");
  });
});
