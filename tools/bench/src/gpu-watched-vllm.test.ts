import { describe, expect, it } from "vitest";
import {
  bareStepMs,
  startBareTickerHere,
  startWatchedVllmHere,
  type WatchedVllm,
} from "./gpu-watched-vllm.js";

/** Streams a 3-token completion from `server`; the SSE payloads in order. */
async function stream(server: WatchedVllm): Promise<string[]> {
  const models = (await (await fetch(`${server.url}/v1/models`)).json()) as {
    data: { id: string }[];
  };
  const response = await fetch(`${server.url}/v1/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: models.data[0]?.id,
      prompt: "1 is the number of this request about the weather.",
      max_tokens: 3,
      ignore_eos: true,
      stream: true,
    }),
  });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
  const text = await response.text();
  return text
    .split("\n\n")
    .filter((frame) => frame !== "")
    .map((frame) => frame.replace(/^data: /, ""));
}

// A smoke test of the fidelity rows' servers, not a benchmark: what they answer and that they
// note the step ends the rows compare arrivals with. Starting the vLLM mock on the simulated GPU
// (model files, KV sizing, a server) can take seconds on a busy 2-core machine next to other
// packages' tests: a generous timeout, the same assertions.
describe("the watched servers of gpu-realtime-fidelity", { timeout: 60_000 }, () => {
  it("bare ticker: streams completion chunks a step apart and notes each step end", async () => {
    const server = await startBareTickerHere();
    try {
      const before = performance.timeOrigin + performance.now();
      const payloads = await stream(server);
      // vllm-openai.md §6: completions chunks, finish_reason on the last, then [DONE].
      expect(payloads.at(-1)).toBe("[DONE]");
      const chunks = payloads.slice(0, -1).map((p) => JSON.parse(p));
      expect(chunks).toHaveLength(3);
      expect(chunks.map((c) => c.choices[0].finish_reason)).toEqual([null, null, "length"]);
      expect(chunks[0].object).toBe("text_completion");
      const ends = await server.takeStepEnds();
      expect(ends.length).toBeGreaterThanOrEqual(3);
      expect(ends[0]).toBeGreaterThan(before);
      // realClock's pacing wheel may end a sleep up to 1 ms early, as Node's timers do (clock.ts),
      // so consecutive steps are at least one step less that millisecond apart.
      for (let i = 1; i < ends.length; i++) {
        expect((ends[i] as number) - (ends[i - 1] as number)).toBeGreaterThanOrEqual(
          bareStepMs - 1,
        );
      }
      expect(await server.takeStepEnds()).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it("watched vLLM mock: streams on the simulated GPU and notes its engine's step ends", async () => {
    const server = await startWatchedVllmHere();
    try {
      const payloads = await stream(server);
      expect(payloads.at(-1)).toBe("[DONE]");
      // Three tokens, one a step; a step read late goes out merged with the next (vLLM's
      // RequestOutputCollector merges the outputs a slow reader finds waiting), so 1 to 3 chunks,
      // only the last one finished.
      const reasons = payloads.slice(0, -1).map((p) => JSON.parse(p).choices[0].finish_reason);
      expect(reasons.length).toBeGreaterThanOrEqual(1);
      expect(reasons.length).toBeLessThanOrEqual(3);
      expect(reasons.at(-1)).toBe("length");
      expect(reasons.slice(0, -1).every((reason) => reason === null)).toBe(true);
      // A prefill step and two decode steps ran, but only the steps the engine slept until are
      // noted: a late timer on a loaded machine lets it run the steps it owes back to back, no
      // sleep between them (engine time catches up with the clock), so at least one end is noted.
      const ends = await server.takeStepEnds();
      expect(ends.length).toBeGreaterThanOrEqual(1);
      expect([...ends].sort((a, b) => a - b)).toEqual(ends);
    } finally {
      await server.close();
    }
  });
});
