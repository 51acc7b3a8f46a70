/**
 * `servingkit mock vllm --gpu DEVICE` (issue 7): the same handlers with their timing from the
 * simulated GPU, and `/metrics` from the simulation, agreeing with what the clients observed
 * (vllm-openai.md §8, §9).
 */
import {
  createRequestLogger,
  createTextEngine,
  defaultModelSpec,
  ManualClock,
  readGpuEngineSettings,
} from "@servingkit/mock-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { vllmMockModule } from "../mock.js";
import { completionStream } from "./completions.js";
import { LoraRegistry } from "./lora.js";
import { profileFor } from "./profiles.js";
import { parseCompletionRequest } from "./requests.js";
import type { VllmModel } from "./served-model.js";
import { openaiClient, startVllm, type TestServer } from "./test-server.js";

function sample(text: string, name: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(name));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

interface StreamSeen {
  /** Virtual time (ms) each content chunk arrived at the client. */
  readonly times: number[];
  promptTokens: number;
  completionTokens: number;
  finishReason?: string;
}

/** Streams a completion, recording when (on the clock) each content chunk reached the client. */
async function streamCompletion(
  url: string,
  clock: ManualClock,
  body: object,
): Promise<StreamSeen> {
  const response = await fetch(`${url}/v1/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }),
  });
  expect(response.status).toBe(200);
  const seen: StreamSeen = { times: [], promptTokens: 0, completionTokens: 0 };
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const bytes of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(bytes, { stream: true });
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf("\n\n");
      const data = frame.replace(/^data: /, "");
      if (data === "[DONE]") continue;
      const chunk = JSON.parse(data) as {
        choices: { text: string; finish_reason: string | null }[];
        usage?: { prompt_tokens: number; completion_tokens: number } | null;
      };
      const choice = chunk.choices[0];
      if (choice) {
        seen.times.push(clock.now());
        if (choice.finish_reason) seen.finishReason = choice.finish_reason;
      }
      if (chunk.usage) {
        seen.promptTokens = chunk.usage.prompt_tokens;
        seen.completionTokens = chunk.usage.completion_tokens;
      }
    }
  }
  return seen;
}

/** Moves the clock 1 ms at a time, letting sockets deliver in between, until `work` settles. */
async function drive<T>(clock: ManualClock, work: Promise<T>, limitMs = 20_000): Promise<T> {
  let done = false;
  void work.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  for (let t = 0; t < limitMs && !done; t++) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    await clock.advance(1);
  }
  return work;
}

describe("vLLM on a simulated H100 (--gpu h100-80gb)", () => {
  const clock = new ManualClock();
  const logs: string[] = [];
  let server: TestServer;
  beforeAll(async () => {
    const logger = createRequestLogger("info", { write: (line: string) => logs.push(line) });
    server = await startVllm(
      { "served-model-name": "m", gpu: "h100-80gb", "max-model-len": "4096", "max-num-seqs": "4" },
      [],
      { clock, logger },
    );
  });
  afterAll(() => server.close());

  it("logs vLLM's KV-cache lines at start-up", () => {
    // vllm-openai.md §9: "GPU KV cache size: {N:,} tokens", "Maximum concurrency for {max_model_len:,} ...".
    const messages = logs.map((line) => (JSON.parse(line) as { msg?: string }).msg);
    expect(messages).toContainEqual(expect.stringMatching(/^GPU KV cache size: [\d,]+ tokens$/));
    expect(messages).toContainEqual(
      expect.stringMatching(/^Maximum concurrency for 4,096 tokens per request: [\d.]+x$/),
    );
  });

  it("shows the configured max_model_len on the model card", async () => {
    // vllm-openai.md §7: the card's max_model_len is the engine's.
    const body = (await (await fetch(`${server.url}/v1/models`)).json()) as {
      data: { max_model_len: number }[];
    };
    expect(body.data[0]?.max_model_len).toBe(4096);
  });

  it("queues a burst and reports in /metrics what the clients saw", async () => {
    const bodies = Array.from({ length: 6 }, (_, i) => ({
      prompt: `Request number ${i} asks about the weather in the mountains.`,
      max_tokens: 6 + i,
      ignore_eos: true,
      seed: i,
    }));
    const streams = Promise.all(bodies.map((body) => streamCompletion(server.url, clock, body)));
    // All six reach the engine before the clock moves, so they arrive at the same virtual time.
    const load = async () =>
      ((await (await fetch(`${server.url}/load`)).json()) as { server_load: number }).server_load;
    while ((await load()) < bodies.length) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const arrival = clock.now();
    const seen = await drive(clock, streams);
    // vllm-openai.md §9: max_num_seqs 4 → the last two wait; their first token comes later.
    const firsts = seen.map((s) => (s.times[0] as number) - arrival);
    expect(Math.max(...firsts.slice(4))).toBeGreaterThan(Math.min(...firsts.slice(0, 4)));
    const text = await (await fetch(`${server.url}/metrics`)).text();
    // prometheus_client writes labels sorted by name (exposition.py sample_line).
    const l = '{engine="0",model_name="m"';
    // vllm-openai.md §8: counters agree with the requests served.
    expect(
      sample(
        text,
        'vllm:request_success_total{engine="0",finished_reason="length",model_name="m"}',
      ),
    ).toBe(6);
    expect(sample(text, `vllm:generation_tokens_total${l}}`)).toBe(
      seen.reduce((sum, s) => sum + s.completionTokens, 0),
    );
    expect(sample(text, `vllm:prompt_tokens_total${l}}`)).toBe(
      seen.reduce((sum, s) => sum + s.promptTokens, 0),
    );
    expect(sample(text, `vllm:time_to_first_token_seconds_count${l}}`)).toBe(6);
    // TTFT from arrival, as the clients measured it (within the clock steps the test drives by).
    const ttftSum = sample(text, `vllm:time_to_first_token_seconds_sum${l}}`) as number;
    const clientTtft = firsts.reduce((sum, t) => sum + t, 0) / 1000;
    expect(Math.abs(ttftSum - clientTtft)).toBeLessThan(0.01 * seen.length);
    // One inter-token observation per token after the first.
    const gaps = seen.reduce((sum, s) => sum + s.completionTokens - 1, 0);
    expect(sample(text, `vllm:inter_token_latency_seconds_count${l}}`)).toBe(gaps);
    const itlSum = sample(text, `vllm:inter_token_latency_seconds_sum${l}}`) as number;
    const clientItl = seen.reduce(
      (sum, s) => sum + ((s.times.at(-1) as number) - (s.times[0] as number)) / 1000,
      0,
    );
    expect(Math.abs(itlSum - clientItl)).toBeLessThan(0.01 * seen.length);
    // The phase histograms only the simulation fills, one observation per request.
    for (const name of ["queue", "prefill", "decode", "inference"]) {
      expect(sample(text, `vllm:request_${name}_time_seconds_count${l}}`)).toBe(6);
    }
    expect(sample(text, `vllm:request_queue_time_seconds_sum${l}}`)).toBeGreaterThan(0);
    expect(sample(text, `vllm:iteration_tokens_total_count${l}}`)).toBeGreaterThan(0);
    expect(sample(text, `vllm:num_requests_running${l}}`)).toBe(0);
    expect(sample(text, `vllm:num_requests_waiting${l}}`)).toBe(0);
    expect(sample(text, `vllm:kv_cache_usage_perc${l}}`)).toBe(0);
    expect(sample(text, `vllm:prefix_cache_queries_total${l}}`)).toBe(
      seen.reduce((sum, s) => sum + s.promptTokens, 0),
    );
    // vllm-openai.md §8: the engine's stats line every ~5 s while there is traffic.
    await clock.advance(10_000);
    const messages = logs.map((line) => (JSON.parse(line) as { msg?: string }).msg ?? "");
    expect(messages.filter((m) => m.startsWith("Engine 000: Avg prompt throughput: "))).not.toEqual(
      [],
    );
    // vllm/v1/metrics/loggers.py log_metrics_info: the cache config as an info gauge.
    expect(text).toMatch(
      /^vllm:cache_config_info\{block_size="16",.*enable_prefix_caching="True",engine="0",gpu_memory_utilization="0.9",.*num_gpu_blocks="\d+",.*\} 1\.0$/m,
    );
  });
});

describe("LoRA adapters on the simulated GPU (--max-loras)", () => {
  // vllm/v1/core/sched/scheduler.py: a step runs at most max_loras distinct adapters; a request
  // for another adapter waits (keeping its place) until one finishes.
  it("runs one adapter at a time under --max-loras 1, the other waiting", async () => {
    const clock = new ManualClock();
    const server = await startVllm(
      {
        "served-model-name": "m",
        gpu: "h100-80gb",
        "enable-lora": true,
        "lora-modules": ["sql=/adapters/sql", "tone=/adapters/tone"],
        "max-loras": "1",
      },
      [],
      { clock },
    );
    try {
      const body = { prompt: "Tell me about rivers", max_tokens: 8, ignore_eos: true };
      const sql = streamCompletion(server.url, clock, { ...body, model: "sql" });
      const tone = streamCompletion(server.url, clock, { ...body, model: "tone" });
      const load = async () =>
        ((await (await fetch(`${server.url}/load`)).json()) as { server_load: number }).server_load;
      while ((await load()) < 2) await new Promise((resolve) => setTimeout(resolve, 5));
      await new Promise((resolve) => setTimeout(resolve, 50));
      // vllm/v1/metrics/loggers.py: lora_requests_info names the running and the waiting adapters.
      const info = (await (await fetch(`${server.url}/metrics`)).text())
        .split("\n")
        .find((line) => line.startsWith("vllm:lora_requests_info{"));
      expect(info).toMatch(
        /\{max_lora="1",running_lora_adapters="(sql|tone)",waiting_lora_adapters="(sql|tone)"\}/,
      );
      const [first, second] = await drive(clock, Promise.all([sql, tone]));
      const [early, late] =
        (first.times[0] ?? 0) < (second.times[0] ?? 0) ? [first, second] : [second, first];
      expect(early.completionTokens).toBe(8);
      expect(late.completionTokens).toBe(8);
      // The second adapter's first token comes only after the first adapter's last one.
      expect(late.times[0]).toBeGreaterThanOrEqual(early.times.at(-1) ?? 0);
    } finally {
      await server.close();
    }
  });
});

describe("shutdown", () => {
  it("stops the stats-line timer and ends open streams", async () => {
    const clock = new ManualClock();
    const server = await startVllm({ gpu: "h100-80gb" }, [], { clock });
    const open = streamCompletion(server.url, clock, {
      prompt: "hi",
      max_tokens: 500,
      ignore_eos: true,
    });
    open.catch(() => undefined);
    for (let i = 0; i < 50 && clock.pendingSleeps < 2; i++)
      await new Promise((resolve) => setTimeout(resolve, 5));
    // The engine's step and the stats line's 5 s interval are both waiting on the clock.
    expect(clock.pendingSleeps).toBe(2);
    await server.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await clock.advance(1000);
    expect(clock.pendingSleeps).toBe(0);
  });
});

describe("start-up on a GPU too small for the settings", () => {
  it("fails with vLLM's KV-cache error text", async () => {
    // vllm/v1/core/kv_cache_utils.py: no memory left for KV blocks after the weights.
    await expect(startVllm({ gpu: "h100-80gb", "gpu-memory-utilization": "0.1" })).rejects.toThrow(
      "No available memory for the cache blocks.",
    );
  });

  it("refuses a GPU option without --gpu", async () => {
    await expect(startVllm({ "max-num-seqs": "8" })).rejects.toThrow("--max-num-seqs needs --gpu");
  });
});

describe("the openai SDK streams from the GPU engine", () => {
  let server: TestServer;
  beforeAll(async () => {
    // Real time, 50 times faster than the modelled GPU.
    server = await startVllm({ "served-model-name": "m", gpu: "l4", "time-scale": "50" });
  });
  afterAll(() => server.close());

  it("receives every chunk and the usage", async () => {
    const client = openaiClient(server);
    const stream = await client.chat.completions.create({
      model: "m",
      messages: [{ role: "user", content: "Tell me about the sea" }],
      max_tokens: 12,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: { completion_tokens: number } | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    expect(usage?.completion_tokens).toBeLessThanOrEqual(12);
  });
});

describe("request priority", () => {
  const complete = (url: string, priority: unknown) =>
    fetch(`${url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ prompt: "Hello", max_tokens: 2, priority }),
    });

  it("is refused unless the engine schedules by priority, with vLLM's text", async () => {
    // vllm/v1/engine/processor.py: ValueError "Got priority N but Priority scheduling is not
    // enabled." (fcfs is vLLM's default policy); the OpenAI server answers a ValueError with 400.
    const fcfs = await startVllm({ "served-model-name": "m" });
    try {
      const refused = await complete(fcfs.url, 3);
      expect(refused.status).toBe(400);
      expect(JSON.stringify(await refused.json())).toContain(
        "Got priority 3 but Priority scheduling is not enabled.",
      );
      expect((await complete(fcfs.url, 0)).status).toBe(200);
    } finally {
      await fcfs.close();
    }
    const priority = await startVllm({
      "served-model-name": "m",
      gpu: "l4",
      "scheduling-policy": "priority",
      "time-scale": "50",
    });
    try {
      expect((await complete(priority.url, 3)).status).toBe(200);
    } finally {
      await priority.close();
    }
  });
});

describe("/load", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({ "served-model-name": "m", "inter-token-latency": "40" });
  });
  afterAll(() => server.close());

  it("counts a stream while it runs and not after", async () => {
    // vllm-openai.md §1: /load counts the generation requests in flight.
    const load = async () =>
      ((await (await fetch(`${server.url}/load`)).json()) as { server_load: number }).server_load;
    const response = await fetch(`${server.url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ prompt: "hi", max_tokens: 5, ignore_eos: true, stream: true }),
    });
    expect(await load()).toBe(1);
    await response.text();
    expect(await load()).toBe(0);
  });
});

describe("when a token's chunk goes out", () => {
  /** Waits (real time) until the server counts `count` generation requests in flight. */
  async function inFlight(url: string, count: number): Promise<void> {
    const load = async () =>
      ((await (await fetch(`${url}/load`)).json()) as { server_load: number }).server_load;
    while ((await load()) < count) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, 20));
  }

  // vllm-openai.md §6: the first chunk goes out with the first engine output (≈ TTFT), then one
  // per engine output, the last carrying finish_reason (serving_completion.py
  // completion_stream_generator yields a chunk per output as it comes): a token's text is not
  // held until the next token exists.
  it("sends each token's text at its own time under --time-to-first-token and --inter-token-latency", async () => {
    const clock = new ManualClock();
    const server = await startVllm(
      { "served-model-name": "m", "time-to-first-token": "100", "inter-token-latency": "20" },
      [],
      { clock },
    );
    try {
      const stream = streamCompletion(server.url, clock, {
        prompt: "Tell me about rivers",
        max_tokens: 4,
        ignore_eos: true,
      });
      await inFlight(server.url, 1);
      const start = clock.now();
      const seen = await drive(clock, stream);
      const times = seen.times.map((t) => t - start);
      expect(times).toHaveLength(4);
      // Due at 100, 120, 140, 160 ms; the client sees each within the test's 1 ms clock steps
      // (held back a token, they came at 120, 140, 160, 160).
      [100, 120, 140, 160].forEach((due, i) => {
        expect(times[i]).toBeGreaterThanOrEqual(due);
        expect(times[i]).toBeLessThan(due + 10);
      });
      expect(seen.finishReason).toBe("length");
    } finally {
      await server.close();
    }
  });

  // vllm-openai.md §6: with n > 1 every choice's output is sent as the engine produces it too,
  // the choices interleaved step by step.
  it("sends each choice's text at its own time when n > 1", async () => {
    const clock = new ManualClock();
    const server = await startVllm(
      { "served-model-name": "m", "time-to-first-token": "100", "inter-token-latency": "20" },
      [],
      { clock },
    );
    try {
      const response = fetch(`${server.url}/v1/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          prompt: "Tell me about rivers",
          max_tokens: 3,
          ignore_eos: true,
          n: 2,
          seed: 7,
          stream: true,
        }),
      });
      await inFlight(server.url, 1);
      const start = clock.now();
      const seen: { index: number; at: number }[] = [];
      const read = (async () => {
        const body = (await response).body as unknown as AsyncIterable<Uint8Array>;
        const decoder = new TextDecoder();
        let buffer = "";
        for await (const bytes of body) {
          buffer += decoder.decode(bytes, { stream: true });
          for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
            const data = buffer.slice(6, end);
            buffer = buffer.slice(end + 2);
            if (data === "[DONE]") continue;
            const chunk = JSON.parse(data) as { choices: { index: number }[] };
            for (const choice of chunk.choices) seen.push({ index: choice.index, at: clock.now() });
          }
        }
      })();
      await drive(clock, read);
      for (const index of [0, 1]) {
        const times = seen.filter((s) => s.index === index).map((s) => s.at - start);
        expect(times).toHaveLength(3);
        [100, 120, 140].forEach((due, i) => {
          expect(times[i]).toBeGreaterThanOrEqual(due);
          expect(times[i]).toBeLessThan(due + 10);
        });
      }
    } finally {
      await server.close();
    }
  });

  // vllm-openai.md §8, §9: the engine's TTFT histogram is when the first token is out of the
  // engine; over HTTP the first chunk reaches the client then, not a decode step later.
  it("sends the first chunk at the step that made the first token on the simulated GPU", async () => {
    const clock = new ManualClock();
    const server = await startVllm({ "served-model-name": "m", gpu: "h100-80gb" }, [], {
      clock,
    });
    try {
      const stream = streamCompletion(server.url, clock, {
        prompt: "Tell me about rivers",
        max_tokens: 6,
        ignore_eos: true,
      });
      await inFlight(server.url, 1);
      const start = clock.now();
      const seen = await drive(clock, stream);
      const text = await (await fetch(`${server.url}/metrics`)).text();
      const l = '{engine="0",model_name="m"}';
      const ttftMs = (sample(text, `vllm:time_to_first_token_seconds_sum${l}`) as number) * 1000;
      const itlMs =
        ((sample(text, `vllm:inter_token_latency_seconds_sum${l}`) as number) * 1000) / 5;
      expect(seen.times).toHaveLength(6);
      // Within the test's 1 ms clock steps, well under one decode step (itlMs, several ms).
      expect(itlMs).toBeGreaterThan(3);
      expect(Math.abs((seen.times[0] as number) - start - ttftMs)).toBeLessThan(2);
      expect(
        Math.abs((seen.times[5] as number) - (seen.times[0] as number) - 5 * itlMs),
      ).toBeLessThan(2);
    } finally {
      await server.close();
    }
  });

  // vllm-openai.md §6: continuous_usage_stats puts the cumulative usage on every chunk;
  // serving_completion.py adds an output's tokens to the count before making its chunk, so chunk
  // k counts k tokens, however the chunks are grouped in time.
  it("counts each chunk's own tokens under continuous_usage_stats, paced or not", async () => {
    const body = {
      prompt: "Tell me about rivers",
      max_tokens: 4,
      ignore_eos: true,
      stream: true,
      stream_options: { include_usage: true, continuous_usage_stats: true },
    };
    const counts = async (url: string, clock?: ManualClock) => {
      const response = fetch(`${url}/v1/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      }).then((r) => r.text());
      const text = clock ? await drive(clock, response) : await response;
      return text
        .split("\n\n")
        .filter((frame) => frame.startsWith("data: {"))
        .map(
          (frame) =>
            JSON.parse(frame.slice(6)) as {
              choices: unknown[];
              usage: { completion_tokens: number };
            },
        )
        .filter((chunk) => chunk.choices.length > 0)
        .map((chunk) => chunk.usage.completion_tokens);
    };
    const unpaced = await startVllm({ "served-model-name": "m" });
    try {
      expect(await counts(unpaced.url)).toEqual([1, 2, 3, 4]);
    } finally {
      await unpaced.close();
    }
    const clock = new ManualClock();
    const paced = await startVllm({ "served-model-name": "m", "inter-token-latency": "20" }, [], {
      clock,
    });
    try {
      expect(await counts(paced.url, clock)).toEqual([1, 2, 3, 4]);
    } finally {
      await paced.close();
    }
  });
});

/** Every `data: {...}` chunk of an SSE body that has choices, parsed. */
function contentChunks<T>(text: string): T[] {
  return text
    .split("\n\n")
    .filter((frame) => frame.startsWith("data: {"))
    .map((frame) => JSON.parse(frame.slice(6)) as T & { choices: unknown[] })
    .filter((chunk) => chunk.choices.length > 0);
}

describe("one chunk per engine step (vllm/v1/engine/output_processor.py)", () => {
  // vllm/v1/spec_decode and output_processor.py: a decode step with k drafts, all accepted, emits
  // k + 1 tokens for the request, and the output processor hands the API server ONE output with
  // all of them; serving_completion.py / serving_chat.py make one chunk of it: its text, the
  // logprobs of every token, continuous usage counting them. The prefill step samples one token
  // (drafts are proposed from it), so the first chunk has one.
  const spec = '{"method":"ngram","num_speculative_tokens":3,"prompt_lookup_max":4}';
  const usage = { include_usage: true, continuous_usage_stats: true };

  it("sends k + 1 tokens per chunk under --speculative-config with every draft accepted", async () => {
    const clock = new ManualClock();
    const server = await startVllm(
      {
        "served-model-name": "m",
        gpu: "h100-80gb",
        "speculative-config": spec,
        "speculative-acceptance-rate": "1",
      },
      [],
      { clock },
    );
    try {
      const post = (path: string, body: object) =>
        fetch(`${server.url}${path}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        }).then((r) => r.text());
      const completions = contentChunks<{
        choices: { text: string; logprobs: { tokens: string[]; text_offset: number[] } }[];
        usage: { completion_tokens: number };
      }>(
        await drive(
          clock,
          post("/v1/completions", {
            prompt: "Tell me about rivers",
            max_tokens: 14,
            ignore_eos: true,
            logprobs: 1,
            stream: true,
            stream_options: usage,
          }),
        ),
      );
      // 14 tokens: 1 from the prefill step, then 4 per step: 1 + ceil(13 / 4) = 5 chunks.
      expect(completions.map((c) => c.choices[0]?.logprobs.tokens.length)).toEqual([1, 4, 4, 4, 1]);
      expect(completions.map((c) => c.usage.completion_tokens)).toEqual([1, 5, 9, 13, 14]);
      // serving_completion.py: text_offset runs on from the choice's text so far.
      let offset = 0;
      for (const c of completions) {
        const choice = c.choices[0] as (typeof c.choices)[0];
        expect(choice.logprobs.text_offset[0]).toBe(offset);
        offset += choice.text.length;
      }
      const chat = contentChunks<{
        choices: { delta: { content?: string }; logprobs: { content: unknown[] } | null }[];
        usage: { completion_tokens: number };
      }>(
        await drive(
          clock,
          post("/v1/chat/completions", {
            messages: [{ role: "user", content: "Tell me about rivers" }],
            max_tokens: 9,
            ignore_eos: true,
            logprobs: true,
            stream: true,
            stream_options: usage,
          }),
        ),
      ).filter((c) => c.choices[0]?.logprobs !== null && c.choices[0]?.logprobs !== undefined);
      expect(chat.map((c) => c.choices[0]?.logprobs?.content.length)).toEqual([1, 4, 4]);
      expect(chat.map((c) => c.usage.completion_tokens)).toEqual([1, 5, 9]);
    } finally {
      await server.close();
    }
  });

  // vllm/v1/engine/parallel_sampling.py: each of the n children is its own request in the
  // scheduler, so each choice gets its own chunk per step, with that step's tokens.
  it("sends each choice its own chunk per speculative step when n > 1", async () => {
    const clock = new ManualClock();
    const server = await startVllm(
      {
        "served-model-name": "m",
        gpu: "h100-80gb",
        "speculative-config": spec,
        "speculative-acceptance-rate": "1",
      },
      [],
      { clock },
    );
    try {
      const text = await drive(
        clock,
        fetch(`${server.url}/v1/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            prompt: "Tell me about rivers",
            max_tokens: 9,
            ignore_eos: true,
            n: 2,
            seed: 3,
            stream: true,
            stream_options: usage,
          }),
        }).then((r) => r.text()),
      );
      const chunks = contentChunks<{
        choices: { index: number }[];
        usage: { completion_tokens: number };
      }>(text);
      for (const index of [0, 1]) {
        const counts = chunks
          .filter((c) => c.choices[0]?.index === index)
          .map((c) => c.usage.completion_tokens);
        expect(counts).toEqual([1, 5, 9]);
      }
    } finally {
      await server.close();
    }
  });

  // serving_chat.py / serving_completion.py: one chunk per output, one token per step without
  // speculative decoding.
  it("sends one token per chunk without speculative decoding", async () => {
    const clock = new ManualClock();
    const server = await startVllm({ "served-model-name": "m", gpu: "h100-80gb" }, [], { clock });
    try {
      const text = await drive(
        clock,
        fetch(`${server.url}/v1/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            prompt: "Tell me about rivers",
            max_tokens: 6,
            ignore_eos: true,
            stream: true,
            stream_options: usage,
          }),
        }).then((r) => r.text()),
      );
      const counts = contentChunks<{ usage: { completion_tokens: number } }>(text).map(
        (c) => c.usage.completion_tokens,
      );
      expect(counts).toEqual([1, 2, 3, 4, 5, 6]);
    } finally {
      await server.close();
    }
  });

  // output_processor.py RequestOutputCollector.put: when the API server's coroutine falls behind,
  // the outputs it has not taken merge into one (DELTA): text concatenated, token ids and
  // logprobs appended; the consumer then makes one chunk of them.
  it("merges the steps a late reader missed into one chunk", async () => {
    const clock = new ManualClock();
    const spec0 = await defaultModelSpec();
    const gpu = readGpuEngineSettings({ gpu: "h100-80gb" }, { maxModelLen: 4096 });
    const created = createTextEngine({ clock, model: { ...spec0, maxModelLen: 4096 }, gpu });
    const model: VllmModel = {
      served: { id: "m", root: "/mnt/models", maxModelLen: 4096 },
      spec: spec0,
      engine: created.engine,
      profile: profileFor("0.12.0"),
      generationMode: "text",
      task: "generate",
      autoToolChoice: false,
      loras: new LoraRegistry(),
      nowSeconds: () => 0,
    };
    const request = parseCompletionRequest({
      prompt: "Tell me about rivers",
      max_tokens: 12,
      ignore_eos: true,
      stream: true,
      stream_options: usage,
    });
    const frames = completionStream(model, request, new AbortController().signal)[
      Symbol.asyncIterator
    ]();
    const read = async () => {
      let settled = false;
      const next = frames.next().finally(() => {
        settled = true;
      });
      while (!settled) {
        await clock.advance(1);
        await new Promise((resolve) => setImmediate(resolve));
      }
      return next;
    };
    const counts: number[] = [];
    const take = async () => {
      const frame = await read();
      if (frame.done || !frame.value.startsWith("data: {")) return false;
      const chunk = JSON.parse(frame.value.slice(6)) as {
        choices: unknown[];
        usage: { completion_tokens: number };
      };
      if (chunk.choices.length > 0) counts.push(chunk.usage.completion_tokens);
      return true;
    };
    await take();
    expect(counts).toEqual([1]);
    // Away for 40 ms: several decode steps (about 6.5 ms each) end unread.
    for (let t = 0; t < 40; t++) {
      await clock.advance(1);
      await new Promise((resolve) => setImmediate(resolve));
    }
    while (await take()) {}
    expect(counts.length).toBeGreaterThan(2);
    // The second chunk holds every token produced while away; the rest come one per step.
    expect((counts[1] as number) - 1).toBeGreaterThanOrEqual(5);
    expect(counts.slice(2).every((count, i) => count === (counts[i + 1] as number) + 1)).toBe(true);
    expect(counts.at(-1)).toBe(12);
    created.close();
  });

  it("still reassembles the same text through the openai SDK", async () => {
    const server = await startVllm({
      "served-model-name": "m",
      gpu: "l4",
      "time-scale": "50",
      "speculative-config": spec,
      "speculative-acceptance-rate": "0.8",
    });
    try {
      const client = openaiClient(server);
      const body = {
        model: "m",
        messages: [{ role: "user" as const, content: "Tell me about the sea" }],
        max_tokens: 30,
        temperature: 0,
      };
      const whole = await client.chat.completions.create({ ...body, stream: false });
      const stream = await client.chat.completions.create({ ...body, stream: true });
      let text = "";
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
      expect(text).toBe(whole.choices[0]?.message.content);
    } finally {
      await server.close();
    }
  });
});

// vllm/config/scheduler.py stream_interval (default 1, ge=1) and output_processor.py
// make_request_output: an output goes out with a request's first token, then once
// stream_interval tokens have gathered since the last one, and with the last token (vllm PR
// #27869, from 0.12.0).
describe("--stream-interval", () => {
  it("is listed among the mock's options", () => {
    expect(vllmMockModule.options?.["stream-interval"]?.help).toContain("--stream-interval");
  });

  it("sends the first token at once, then chunks of N tokens, the last with the rest", async () => {
    const clock = new ManualClock();
    const server = await startVllm(
      { "served-model-name": "m", gpu: "h100-80gb", "stream-interval": "4" },
      [],
      { clock },
    );
    try {
      const text = await drive(
        clock,
        fetch(`${server.url}/v1/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            prompt: "Tell me about rivers",
            max_tokens: 11,
            ignore_eos: true,
            stream: true,
            stream_options: { include_usage: true, continuous_usage_stats: true },
          }),
        }).then((r) => r.text()),
      );
      const counts = contentChunks<{ usage: { completion_tokens: number } }>(text).map(
        (c) => c.usage.completion_tokens,
      );
      expect(counts).toEqual([1, 5, 9, 11]);
    } finally {
      await server.close();
    }
  });

  // Without --gpu the simple engine groups the same way (served-model.test.ts).
  it("is an unknown flag before 0.12.0 and at least 1", async () => {
    await expect(
      startVllm({ "vllm-version": "0.11.1", gpu: "h100-80gb", "stream-interval": "4" }),
    ).rejects.toThrow("unrecognized arguments: --stream-interval");
    await expect(startVllm({ gpu: "h100-80gb", "stream-interval": "0" })).rejects.toThrow(
      "--stream-interval: '0' is not a whole number >= 1",
    );
  });
});

describe("n-gram drafting from the content (--speculative-config ngram, --generation-mode echo)", () => {
  // vllm/v1/spec_decode/ngram_proposer.py: the proposer looks the context's last 2..4 tokens up
  // earlier in the context and drafts the up to k tokens that followed; no match, no drafts. In
  // echo mode the output repeats the prompt, so once two output tokens are out, the prompt's start
  // matches and every draft equals the next token: 1 + 3 tokens per step and chunk.
  it("streams the multi-token steps the drafts bring, and /metrics counts them", async () => {
    const clock = new ManualClock();
    const server = await startVllm(
      {
        "served-model-name": "m",
        gpu: "h100-80gb",
        "generation-mode": "echo",
        "speculative-config":
          '{"method":"ngram","num_speculative_tokens":3,"prompt_lookup_max":4,"prompt_lookup_min":2}',
      },
      [],
      { clock },
    );
    try {
      const text = await drive(
        clock,
        fetch(`${server.url}/v1/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            prompt: "one two three four five six seven eight nine ten eleven twelve",
            max_tokens: 40,
            stream: true,
            stream_options: { include_usage: true, continuous_usage_stats: true },
          }),
        }).then((r) => r.text()),
      );
      const chunks = contentChunks<{ usage: { completion_tokens: number } }>(text);
      const counts = chunks.map((c) => c.usage.completion_tokens);
      const sizes = counts.map((n, i) => n - (i === 0 ? 0 : (counts[i - 1] as number)));
      // 13 tokens: the prefill's, one more ([last prompt token, first output token] is new), then
      // [first, second] matches the prompt's start: 3 drafts accepted + 1, twice; the last step's
      // third draft runs past the content's end (counted as rejected).
      expect(sizes).toEqual([1, 1, 4, 4, 3]);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      // vllm/v1/spec_decode/metrics.py: one draft per sequence that proposed, its tokens, the
      // accepted ones and the accepted count per position; they agree with the chunks above
      // (every chunk but the first two carries 1 + its step's accepted drafts).
      expect(sample(metrics, "vllm:spec_decode_num_drafts_total")).toBe(3);
      expect(sample(metrics, "vllm:spec_decode_num_draft_tokens_total")).toBe(9);
      expect(sample(metrics, "vllm:spec_decode_num_accepted_tokens_total")).toBe(8);
      expect(sizes.slice(2).reduce((a, b) => a + b - 1, 0)).toBe(8);
      const perPos = metrics
        .split("\n")
        .filter((l) => l.startsWith("vllm:spec_decode_num_accepted_tokens_per_pos_total"))
        .map((l) => Number(l.slice(l.lastIndexOf(" ") + 1)));
      expect(perPos).toEqual([3, 3, 2]);
    } finally {
      await server.close();
    }
  });
});
