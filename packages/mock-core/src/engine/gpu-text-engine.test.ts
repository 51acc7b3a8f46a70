import { describe, expect, test } from "vitest";
import { type Clock, ManualClock } from "../clock.js";
import { EngineMetrics } from "../gpu/engine-metrics.js";
import { GpuEngine } from "../gpu/gpu-engine.js";
import { acceptanceRates } from "../gpu/speculative.js";
import { linearStepTime } from "../gpu/test-step-time.js";
import {
  type GenerationEvent,
  GenerationRequestError,
  type ReadySteps,
  readySteps,
  type TextEngine,
} from "./generation.js";
import { createGpuTextEngine } from "./gpu-text-engine.js";

/** A content engine that answers `count` tokens "t0", "t1", ... at once, then EOS. */
function content(count: number): TextEngine {
  return {
    async *generate(request) {
      for (let i = 0; i < count; i++) yield { type: "token", id: 100 + i, text: `t${i}` };
      yield {
        type: "finish",
        reason: "eos",
        seed: 0,
        promptTokens: request.promptIds.length,
        completionTokens: count,
      };
    },
  };
}

function setup(
  count: number,
  options: {
    drafts?: number;
    /** n-gram drafts from the content's ids (lookup 2..4, acceptance rate 0 for id-less requests). */
    fromContent?: boolean;
    streamInterval?: number;
    /** Extra milliseconds the engine's `n`th sleep (from 0) takes: a timer firing late. */
    lateSleep?: { n: number; ms: number };
  } = {},
) {
  const clock = new ManualClock();
  const metrics = new EngineMetrics(1024);
  const k = options.drafts;
  let sleeps = 0;
  const late = options.lateSleep;
  const engineClock: Clock = {
    now: () => clock.now(),
    sleep: (ms, signal) => clock.sleep(ms + (late?.n === sleeps++ ? late.ms : 0), signal),
  };
  const gpu = new GpuEngine({
    numBlocks: 64,
    maxNumSeqs: 8,
    maxNumBatchedTokens: 512,
    maxModelLen: 1024,
    stepTime: linearStepTime,
    clock: engineClock,
    metrics,
    // Every draft accepted: each decode step emits k + 1 tokens.
    ...(k === undefined
      ? {}
      : {
          speculative: {
            method: "ngram" as const,
            numSpeculativeTokens: k,
            acceptanceRates: acceptanceRates(options.fromContent ? 0 : 1, k),
            ...(options.fromContent
              ? { draftFromContent: true, promptLookupMin: 2, promptLookupMax: 4 }
              : {}),
          },
        }),
  });
  const engine = createGpuTextEngine({
    content: content(count),
    gpu,
    ...(options.streamInterval === undefined ? {} : { streamInterval: options.streamInterval }),
  });
  return { clock, metrics, gpu, engine };
}

/** How a consumer waits for a run's next event: `next()`, or ReadySteps.wait then `nextReady()`. */
type Reader = "next" | "wait";

/** The run's next event through `wait` (then `nextReady`), as a promise for the test's sake. */
function waited(ready: ReadySteps): Promise<IteratorResult<GenerationEvent>> {
  return new Promise((resolve, reject) => {
    (ready.wait as NonNullable<ReadySteps["wait"]>)(() => {
      const result = ready.nextReady();
      if (result === undefined) reject(new Error("wait called back with nothing ready"));
      else resolve(result);
    }, reject);
  });
}

/**
 * Reads a run as a consumer that sends one message per output: awaits an event (`reader`), then
 * takes every event ready at once (`nextReady` until undefined); returns each output's token
 * count. With `lateMs`, the consumer stops reading for that long after its first output.
 */
async function outputSizes(
  events: AsyncIterable<GenerationEvent>,
  clock: ManualClock,
  lateMs = 0,
  reader: Reader = "next",
): Promise<number[]> {
  const iterator = events[Symbol.asyncIterator]();
  const ready = readySteps(iterator) as ReadySteps;
  const sizes: number[] = [];
  const done = (async () => {
    for (;;) {
      const first = reader === "next" ? await iterator.next() : await waited(ready);
      if (first.done || first.value.type === "finish") return;
      let size = 1;
      for (let next = ready.nextReady(); next !== undefined; next = ready.nextReady()) {
        if (next.done || next.value.type === "finish") {
          sizes.push(size);
          return;
        }
        size += 1;
      }
      sizes.push(size);
      if (sizes.length === 1 && lateMs > 0) {
        const until = clock.now() + lateMs;
        while (clock.now() < until) await new Promise((resolve) => setImmediate(resolve));
      }
    }
  })();
  done.catch(() => undefined);
  await new Promise((resolve) => setImmediate(resolve));
  for (let t = 0; t < 1000; t++) {
    await clock.advance(1);
    await new Promise((resolve) => setImmediate(resolve));
  }
  await done;
  return sizes;
}

async function run(
  events: AsyncIterable<GenerationEvent>,
  clock: ManualClock,
  signal?: () => void,
) {
  const seen: { event: GenerationEvent; at: number }[] = [];
  const done = (async () => {
    for await (const event of events) {
      seen.push({ event, at: clock.now() });
      if (seen.length === 2) signal?.();
    }
  })();
  done.catch(() => undefined); // awaited below; do not report it as unhandled meanwhile
  await new Promise((resolve) => setImmediate(resolve));
  for (let t = 0; t < 1000; t++) await clock.advance(1);
  await done;
  return seen;
}

describe("createGpuTextEngine", () => {
  test("releases the content's tokens at the engine's step ends, then its finish", async () => {
    const { clock, engine } = setup(3);
    const seen = await run(engine.generate({ promptIds: [1, 2, 3, 4], maxTokens: 10 }), clock);
    expect(seen.map((s) => s.event.type)).toEqual(["token", "token", "token", "finish"]);
    expect(seen.map((s) => (s.event.type === "token" ? s.event.text : ""))).toEqual([
      "t0",
      "t1",
      "t2",
      "",
    ]);
    // Step 1 prefills 4 prompt tokens (14 ms); each decode step computes 1 token (11 ms).
    expect(seen.map((s) => Math.round(s.at))).toEqual([14, 25, 36, 36]);
    expect(seen.at(-1)?.event).toMatchObject({
      type: "finish",
      reason: "eos",
      completionTokens: 3,
    });
  });

  test("hands out the content's events key for key; a run with an event not plain as given", async () => {
    // The compact content form (issue 7) must not change an answer: plain events come out equal
    // with their keys in the same order (texts of more than one code unit, empty and non-ASCII
    // included); a run with an event that carries more (logprobs) or an id that is not a 32-bit
    // integer hands out the content's own objects.
    const plain = [
      { type: "token" as const, id: 5, text: "a" },
      { type: "token" as const, id: -6, text: "" },
      { type: "token" as const, id: 2 ** 31 - 1, text: " héllo😀" },
    ];
    const runs = [
      plain,
      [...plain, { type: "token" as const, id: 7, text: "c", logprob: -0.5, rank: 1 }],
      [...plain, { type: "token" as const, id: 2 ** 31, text: "d" }],
      [...plain, { type: "token" as const, id: 1.5, text: "e" }],
    ];
    const { clock, gpu } = setup(0);
    for (const events of runs) {
      const given: TextEngine = {
        async *generate(request) {
          yield* events;
          yield {
            type: "finish",
            reason: "length",
            seed: 0,
            promptTokens: request.promptIds.length,
            completionTokens: events.length,
          };
        },
      };
      const engine = createGpuTextEngine({ content: given, gpu });
      const seen = await run(engine.generate({ promptIds: [1, 2], maxTokens: 10 }), clock);
      const tokens = seen.flatMap((s) => (s.event.type === "token" ? [s.event] : []));
      expect(tokens.map((t) => JSON.stringify(t))).toEqual(events.map((e) => JSON.stringify(e)));
      expect(tokens.map((t) => Object.keys(t))).toEqual(events.map((e) => Object.keys(e)));
      if (events === plain) expect(tokens[0]).not.toBe(events[0]);
      else expect(tokens.every((t, i) => t === events[i])).toBe(true);
    }
  });

  test("counts an EOS ending as finished_reason stop", async () => {
    // vllm-openai.md §8: request_success{finished_reason} is stop for EOS and stop strings.
    const { clock, engine, metrics } = setup(2);
    await run(engine.generate({ promptIds: [1, 2], maxTokens: 10 }), clock);
    expect(metrics.requestSuccess).toEqual({ stop: 1, length: 0, abort: 0 });
  });

  test("an abort ends with an abort finish after the tokens released so far and frees the blocks", async () => {
    const { clock, engine, gpu } = setup(50);
    const controller = new AbortController();
    const seen = await run(
      engine.generate({ promptIds: [1, 2, 3], maxTokens: 50 }, { signal: controller.signal }),
      clock,
      () => controller.abort(),
    );
    expect(seen.at(-1)?.event).toMatchObject({
      type: "finish",
      reason: "abort",
      completionTokens: 2,
    });
    expect(gpu.core.kvUsage).toBe(0);
  });

  test("a request the engine refuses is a GenerationRequestError", async () => {
    // max_model_len 1024: 1020 prompt tokens + 50 output tokens do not fit.
    const { clock, engine } = setup(50);
    const events = engine.generate({ promptIds: new Array(1020).fill(5), maxTokens: 50 });
    await expect(run(events, clock)).rejects.toThrow("exceed max_model_len");
  });

  test("leaving while a token is awaited ends that call and frees the blocks", async () => {
    const { clock, engine, gpu } = setup(50);
    const events = engine.generate({ promptIds: [1, 2, 3], maxTokens: 50 })[Symbol.asyncIterator]();
    const first = events.next();
    await new Promise((resolve) => setImmediate(resolve));
    expect(gpu.core.running).toBe(1);
    expect(await events.return?.()).toEqual({ done: true, value: undefined });
    expect(await first).toEqual({ done: true, value: undefined });
    expect(gpu.core.hasWork()).toBe(false);
    expect(await events.next()).toEqual({ done: true, value: undefined });
    await clock.advance(100);
    await gpu.idle();
  });

  test("calls made while one waits are answered in order", async () => {
    const { clock, engine } = setup(2);
    const events = engine.generate({ promptIds: [1, 2], maxTokens: 10 })[Symbol.asyncIterator]();
    const calls = [events.next(), events.next(), events.next(), events.next()];
    await new Promise((resolve) => setImmediate(resolve));
    for (let t = 0; t < 100; t++) await clock.advance(1);
    const results = await Promise.all(calls);
    expect(results.map((r) => (r.done ? "done" : r.value.type))).toEqual([
      "token",
      "token",
      "finish",
      "done",
    ]);
  });

  test("offers ready steps: the finish right after the last token, nothing while a token is due", async () => {
    const { clock, engine } = setup(2);
    const events = engine.generate({ promptIds: [1, 2], maxTokens: 10 })[Symbol.asyncIterator]();
    const ready = readySteps(events) as ReadySteps;
    expect(ready).toBeDefined();
    // Before the first next the content is not drained: nothing is ready.
    expect(ready.nextReady()).toBeUndefined();
    const first = events.next();
    expect(ready.nextReady()).toBeUndefined(); // a call waits
    await new Promise((resolve) => setImmediate(resolve));
    for (let t = 0; t < 20; t++) await clock.advance(1);
    expect(await first).toMatchObject({ done: false, value: { type: "token", text: "t0" } });
    // Token 1 is due at the next step: not ready; then its next() waits for it.
    expect(ready.nextReady()).toBeUndefined();
    const second = events.next();
    for (let t = 0; t < 20; t++) await clock.advance(1);
    expect(await second).toMatchObject({ done: false, value: { type: "token", text: "t1" } });
    // vllm-openai.md §6: the finish goes out with the last token's output, so it is ready at once.
    expect(ready.nextReady()).toMatchObject({
      done: false,
      value: { type: "finish", reason: "eos" },
    });
    expect(ready.nextReady()).toEqual({ done: true, value: undefined });
  });

  test("drains a content engine that has its steps ready without awaiting them", async () => {
    const clock = new ManualClock();
    const gpu = new GpuEngine({
      numBlocks: 64,
      maxNumSeqs: 8,
      maxNumBatchedTokens: 512,
      maxModelLen: 1024,
      stepTime: linearStepTime,
      clock,
    });
    let awaited = 0;
    const readyContent: TextEngine = {
      generate(request) {
        const events: GenerationEvent[] = [
          { type: "token", id: 7, text: "a" },
          { type: "token", id: 8, text: "b" },
          {
            type: "finish",
            reason: "length",
            seed: 0,
            promptTokens: request.promptIds.length,
            completionTokens: 2,
          },
        ];
        let at = 0;
        const run: AsyncIterableIterator<GenerationEvent> & ReadySteps = {
          [Symbol.asyncIterator]() {
            return run;
          },
          next() {
            awaited += 1;
            const event = events[at++];
            return Promise.resolve(
              event ? { done: false, value: event } : { done: true, value: undefined },
            );
          },
          nextReady() {
            const event = events[at++];
            return event ? { done: false, value: event } : { done: true, value: undefined };
          },
        };
        return run;
      },
    };
    const engine = createGpuTextEngine({ content: readyContent, gpu });
    const seen = await run(engine.generate({ promptIds: [1, 2], maxTokens: 2 }), clock);
    expect(seen.map((s) => (s.event.type === "token" ? s.event.text : s.event.reason))).toEqual([
      "a",
      "b",
      "length",
    ]);
    expect(awaited).toBe(0);
  });

  // vllm/v1/engine/output_processor.py: one RequestOutput per engine step per request, holding
  // every token the step produced for it.
  test("says its outputs are engine steps", () => {
    expect(setup(1).engine.outputs).toBe("steps");
  });

  test("has one token ready per step without speculative decoding", async () => {
    const { clock, engine } = setup(5);
    const sizes = await outputSizes(engine.generate({ promptIds: [1, 2, 3], maxTokens: 5 }), clock);
    expect(sizes).toEqual([1, 1, 1, 1, 1]);
  });

  // vllm/v1/spec_decode (rejection sampler): a decode step with k drafts all accepted emits k + 1
  // tokens, delivered together at the step's end.
  test("has a speculative step's k + 1 tokens ready together", async () => {
    const { clock, engine } = setup(10, { drafts: 2 });
    const sizes = await outputSizes(
      engine.generate({ promptIds: [1, 2, 3], maxTokens: 10 }),
      clock,
    );
    // The prefill step samples the first token; each decode step then 3, the last cut at 10.
    expect(sizes).toEqual([1, 3, 3, 3]);
  });

  // vllm/v1/engine/output_processor.py RequestOutputCollector.put: outputs the consumer has not
  // taken are merged into one (DELTA streaming); here every step that ended meanwhile is ready.
  test("has every step that ended while the consumer was away ready at once", async () => {
    const { clock, engine } = setup(8);
    const sizes = await outputSizes(
      engine.generate({ promptIds: [1, 2, 3], maxTokens: 8 }),
      clock,
      // Step 1 prefills (13 ms), decode steps take 11 ms: away for three of them.
      35,
    );
    expect(sizes[0]).toBe(1);
    expect(sizes[1]).toBe(3);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(8);
  });

  // vLLM V1's engine core steps in its own process while the API server lags; the outputs it has
  // not taken yet merge (RequestOutputCollector). Here the engine keeps its own clock: the steps
  // whose end passed while its timer was late come out together, one output.
  test("has every step the engine owed after a late timer ready at once", async () => {
    // Step 1 prefills (13 ms), decode steps take 11 ms: the timer for 24 ms fires at 54.
    const { clock, engine } = setup(8, { lateSleep: { n: 1, ms: 30 } });
    const sizes = await outputSizes(engine.generate({ promptIds: [1, 2, 3], maxTokens: 8 }), clock);
    // 24, 35 and 46 ms have passed: one output of three; 57 ms on is on the model's schedule.
    expect(sizes).toEqual([1, 3, 1, 1, 1, 1]);
  });

  // output_processor.py make_request_output with stream_interval > 1: an output goes out with the
  // request's first token, then once stream_interval tokens gathered, and with the last token.
  test("holds tokens back by the stream interval, the first and last going out at once", async () => {
    const { clock, engine } = setup(9, { streamInterval: 3 });
    const sizes = await outputSizes(engine.generate({ promptIds: [1, 2, 3], maxTokens: 9 }), clock);
    expect(sizes).toEqual([1, 3, 3, 2]);
  });

  // vllm/v1/spec_decode/ngram_proposer.py: the n-gram proposer drafts the tokens that followed
  // the context's last n tokens earlier on; the text engine hands the GPU engine its content's ids,
  // so an output that repeats its prompt is drafted and accepted, k + 1 tokens a step.
  test("drafts n-grams from the content's ids when the output repeats the prompt", async () => {
    const { clock, engine, metrics } = setup(10, { drafts: 3, fromContent: true });
    const promptIds = Array.from({ length: 10 }, (_, i) => 100 + i); // the content's own ids
    const sizes = await outputSizes(engine.generate({ promptIds, maxTokens: 10 }), clock);
    // 100 (prefill), 101 ([109, 100] never occurred: no proposal), then [100, 101] matches the
    // prompt's start: 102-104 drafted and accepted plus 105, then 106-108 plus 109.
    expect(sizes).toEqual([1, 1, 4, 4]);
    expect(metrics.specDecodeDrafts).toBe(2);
    expect(metrics.specDecodeDraftTokens).toBe(6);
    expect(metrics.specDecodeAcceptedTokens).toBe(6);
    expect(metrics.specDecodeAcceptedPerPosition).toEqual([2, 2, 2]);
  });

  test("proposes nothing for content without repeats: one token per step", async () => {
    const { clock, engine, metrics } = setup(6, { drafts: 3, fromContent: true });
    const sizes = await outputSizes(engine.generate({ promptIds: [1, 2, 3], maxTokens: 6 }), clock);
    expect(sizes).toEqual([1, 1, 1, 1, 1, 1]);
    expect(metrics.specDecodeDrafts).toBe(0);
    expect(metrics.specDecodeDraftTokens).toBe(0);
  });

  test("counts the stream interval in tokens, so speculative steps cross it sooner", async () => {
    const { clock, engine } = setup(11, { drafts: 2, streamInterval: 4 });
    const sizes = await outputSizes(
      engine.generate({ promptIds: [1, 2, 3], maxTokens: 11 }),
      clock,
    );
    // Steps emit 1, 3, 3, 3, 1 tokens: out after 1, then at 1 + 6 (6 ≥ 4), then the last 4.
    expect(sizes).toEqual([1, 6, 4]);
  });

  test("refuses a stream interval below 1", () => {
    const { gpu } = setup(1);
    expect(() => createGpuTextEngine({ content: content(1), gpu, streamInterval: 0 })).toThrow(
      RangeError,
    );
  });
});

// ReadySteps.wait (generation.ts): the same outputs as `next()` with no promise per token; the
// engine's step calls the waits back once its tokens are all delivered, so a step is one output.
describe("createGpuTextEngine: ReadySteps.wait", () => {
  // The outputs of the `next()` tests above (late timer, stream interval, drafts), read by `wait`.
  test.each([
    {
      name: "late timer",
      count: 8,
      options: { lateSleep: { n: 1, ms: 30 } },
      sizes: [1, 3, 1, 1, 1, 1],
    },
    { name: "stream interval 3", count: 9, options: { streamInterval: 3 }, sizes: [1, 3, 3, 2] },
    { name: "k + 1 tokens a step", count: 9, options: { drafts: 3 }, sizes: [1, 4, 4] },
    {
      name: "stream interval 4 with drafts",
      count: 11,
      options: { drafts: 2, streamInterval: 4 },
      sizes: [1, 6, 4],
    },
  ])("frames the outputs `next()` frames: $name", async ({ count, options, sizes }) => {
    const { clock, engine } = setup(count, options);
    const request = { promptIds: [1, 2, 3], maxTokens: count };
    expect(await outputSizes(engine.generate(request), clock, 0, "next")).toEqual(sizes);
    const again = setup(count, options);
    expect(await outputSizes(again.engine.generate(request), again.clock, 0, "wait")).toEqual(
      sizes,
    );
  });

  test.each(["next", "wait"] as const)(
    "makes a released token's event where it is read, fresh for every token (%s)",
    async (reader) => {
      // Issue 7: the engine's step only counts a released token; the event is made
      // when the consumer reads it (nextReady / next), through every path: the token a wait was
      // called back for, a speculative step's other tokens, a stream interval's batch.
      const { clock, engine } = setup(11, { drafts: 2, streamInterval: 4 });
      const iterator = engine
        .generate({ promptIds: [1, 2, 3], maxTokens: 11 })
        [Symbol.asyncIterator]();
      const ready = readySteps(iterator) as ReadySteps;
      const seen: GenerationEvent[] = [];
      const done = (async () => {
        for (;;) {
          const first = reader === "next" ? await iterator.next() : await waited(ready);
          for (
            let next: IteratorResult<GenerationEvent> | undefined = first;
            next !== undefined;
          ) {
            if (next.done) return;
            expect(Object.isFrozen(next)).toBe(false);
            seen.push(next.value);
            if (next.value.type === "finish") return;
            next = ready.nextReady();
          }
        }
      })();
      done.catch(() => undefined);
      await new Promise((resolve) => setImmediate(resolve));
      for (let t = 0; t < 1000; t++) {
        await clock.advance(1);
        await new Promise((resolve) => setImmediate(resolve));
      }
      await done;
      const tokens = seen.filter((event) => event.type === "token");
      expect(tokens.map((event) => event.text)).toEqual(
        Array.from({ length: 11 }, (_, i) => `t${i}`),
      );
      expect(tokens.map((event) => event.id)).toEqual(
        Array.from({ length: 11 }, (_, i) => 100 + i),
      );
      expect(new Set(tokens).size).toBe(11);
      expect(tokens.some((event) => Object.isFrozen(event))).toBe(false);
      expect(seen.at(-1)).toMatchObject({ type: "finish", completionTokens: 11 });
    },
  );

  test("a wait whose token the engine already produced calls back before it returns", async () => {
    // Issue 7: the run's wait no longer polls the GPU stream before waiting on it; the
    // stream's own wait hands a buffered token over at once (gpu-engine.ts TokenStream.wait), and
    // the run calls back then, as the poll did: same events, same turn.
    const { clock, engine, gpu } = setup(5);
    const ready = readySteps(
      engine.generate({ promptIds: [1, 2, 3], maxTokens: 5 })[Symbol.asyncIterator](),
    ) as ReadySteps;
    const first = waited(ready);
    await new Promise((resolve) => setImmediate(resolve));
    for (let t = 0; t < 200; t++) await clock.advance(1);
    expect(await first).toMatchObject({ value: { type: "token", text: "t0" } });
    // Nobody read while the engine went on: the other four tokens wait in the stream.
    expect(gpu.core.hasWork()).toBe(false);
    const seen: unknown[] = [];
    for (let i = 1; i <= 5; i++) {
      let calls = 0;
      ready.wait?.(
        () => {
          calls += 1;
          seen.push(ready.nextReady()?.value);
        },
        (error) => {
          throw error;
        },
      );
      expect(calls).toBe(1);
    }
    expect(seen).toEqual([
      { type: "token", id: 101, text: "t1" },
      { type: "token", id: 102, text: "t2" },
      { type: "token", id: 103, text: "t3" },
      { type: "token", id: 104, text: "t4" },
      { type: "finish", reason: "eos", seed: 0, promptTokens: 3, completionTokens: 5 },
    ]);
    await gpu.idle();
  });

  test("an abort while a wait waits calls back with the abort finish and frees the blocks", async () => {
    const { clock, engine, gpu } = setup(50);
    const stop = new AbortController();
    const events = engine.generate(
      { promptIds: [1, 2, 3], maxTokens: 50 },
      { signal: stop.signal },
    );
    const ready = readySteps(events[Symbol.asyncIterator]()) as ReadySteps;
    const first = waited(ready);
    await new Promise((resolve) => setImmediate(resolve));
    for (let t = 0; t < 20; t++) await clock.advance(1);
    expect(await first).toMatchObject({ value: { type: "token", text: "t0" } });
    const pending = waited(ready);
    stop.abort();
    // Aborting ends the run as next() does: an "abort" finish counting the tokens handed out.
    expect(await pending).toMatchObject({
      value: { type: "finish", reason: "abort", completionTokens: 1 },
    });
    expect(gpu.core.hasWork()).toBe(false);
    await clock.advance(100);
    await gpu.idle();
  });

  test("leaving while a wait waits drops it (no callback) and frees the blocks", async () => {
    const { clock, engine, gpu } = setup(50);
    const iterator = engine
      .generate({ promptIds: [1, 2, 3], maxTokens: 50 })
      [Symbol.asyncIterator]();
    const ready = readySteps(iterator) as ReadySteps;
    const calls: string[] = [];
    ready.wait?.(
      () => calls.push("ready"),
      () => calls.push("error"),
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(gpu.core.running).toBe(1);
    expect(await iterator.return?.()).toEqual({ done: true, value: undefined });
    expect(gpu.core.hasWork()).toBe(false);
    for (let t = 0; t < 50; t++) await clock.advance(1);
    expect(calls).toEqual([]);
    expect(ready.nextReady()).toEqual({ done: true, value: undefined });
    await gpu.idle();
  });

  test("a request the engine refuses calls onError with a GenerationRequestError", async () => {
    // max_model_len 1024: 1020 prompt tokens + 50 output tokens do not fit.
    const { engine } = setup(50);
    const iterator = engine
      .generate({ promptIds: new Array(1020).fill(5), maxTokens: 50 })
      [Symbol.asyncIterator]();
    const ready = readySteps(iterator) as ReadySteps;
    await expect(waited(ready)).rejects.toThrow(GenerationRequestError);
  });
});
