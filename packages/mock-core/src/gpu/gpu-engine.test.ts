import { describe, expect, it } from "vitest";
import { type Clock, ManualClock } from "../clock.js";
import { EngineRequestError, type StepTokens } from "./engine-core.js";
import { EngineMetrics } from "./engine-metrics.js";
import { catchUpBurstMs, catchUpLimitMs, GpuEngine, type GpuToken } from "./gpu-engine.js";
import { simulate } from "./simulate.js";
import { linearStepTime } from "./test-step-time.js";

const config = {
  numBlocks: 100,
  maxNumSeqs: 8,
  maxNumBatchedTokens: 512,
  maxModelLen: 1024,
  stepTime: linearStepTime,
};

/** Collects a request's tokens with the clock time each arrived. */
function collect(stream: AsyncIterable<GpuToken>, clock: ManualClock) {
  const seen: { index: number; at: number; last: boolean }[] = [];
  const done = (async () => {
    for await (const token of stream)
      seen.push({ index: token.index, at: clock.now(), last: token.last });
  })();
  return { seen, done };
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("GpuEngine dispatch by the slot each token carries", () => {
  it("never hands a token to a stream that took the slot of one left while the step ran", async () => {
    // Issue 7: a stream's slot goes into the engine with its request and comes back with each of
    // its tokens (StepTokens.hostSlot). A stream left during the step's sleep frees the slot and a
    // new stream may take it before the step's tokens go out: the slot is checked, not trusted.
    const clock = new ManualClock();
    const engine = new GpuEngine({ ...config, clock });
    const a = engine.generate({ id: "a", prompt: 100, outputTokens: 3 });
    const pending = a.next(); // a enters the engine; step 1 runs and sleeps until its end
    await settle();
    await a.return?.();
    await expect(pending).resolves.toEqual({ done: true, value: undefined });
    const b = collect(engine.generate({ id: "b", prompt: 10, outputTokens: 2 }), clock);
    await settle();
    await clock.advance(1000);
    await b.done;
    expect(b.seen.map((t) => t.index)).toEqual([0, 1]);
    await engine.idle();
    expect(engine.core.hasWork()).toBe(false);
  });
});

describe("GpuEngine on a clock", () => {
  it("delivers each token when its step ends on the clock, as simulate() predicts", async () => {
    const clock = new ManualClock();
    const engine = new GpuEngine({ ...config, clock });
    const a = collect(engine.generate({ id: "a", prompt: 100, outputTokens: 3 }), clock);
    const b = collect(engine.generate({ id: "b", prompt: 50, outputTokens: 2 }), clock);
    await settle();
    await clock.advance(159);
    expect(a.seen).toEqual([]);
    await clock.advance(1); // step 1: 150 prompt tokens → 160 ms
    expect(a.seen.map((t) => t.at)).toEqual([160]);
    expect(b.seen.map((t) => t.at)).toEqual([160]);
    await clock.advance(1000);
    await Promise.all([a.done, b.done]);
    const predicted = simulate(
      [
        { id: "a", prompt: 100, outputTokens: 3 },
        { id: "b", prompt: 50, outputTokens: 2 },
      ],
      config,
    );
    const times = (id: string) => {
      const r = predicted.requests.find((x) => x.id === id);
      let t = r?.ttft as number;
      return [t, ...(r?.itls ?? []).map((gap) => (t += gap))].map((s) => Math.round(s * 1000));
    };
    // The engine chains modelled step ends (as simulate() does): sub-nanosecond float noise.
    expect(a.seen.map((t) => Math.round(t.at))).toEqual(times("a"));
    expect(b.seen.map((t) => Math.round(t.at))).toEqual(times("b"));
    expect(a.seen.at(-1)?.last).toBe(true);
    await engine.idle();
    expect(engine.core.hasWork()).toBe(false);
  });

  it("under asyncScheduling schedules a request that arrives mid-step one step later", async () => {
    // vllm PR #19970: the async scheduler fixes step k+1 when step k starts.
    const firstTokenOfLate = async (asyncScheduling: boolean) => {
      const clock = new ManualClock();
      const engine = new GpuEngine({ ...config, clock, asyncScheduling });
      const long = collect(engine.generate({ id: "long", prompt: 10, outputTokens: 20 }), clock);
      await settle();
      await clock.advance(25); // step 1: 0-20 ms; step 2: 20-31 ms
      const late = collect(engine.generate({ id: "late", prompt: 10, outputTokens: 2 }), clock);
      await settle();
      await clock.advance(1000);
      await Promise.all([long.done, late.done]);
      return late.seen[0]?.at;
    };
    // Without: step 3 (31 ms) holds both, 10 + 11 ms. With: step 3 is "long" alone (11 ms), then
    // step 4 holds both.
    expect(await firstTokenOfLate(false)).toBe(52);
    expect(await firstTokenOfLate(true)).toBe(63);
  });

  it("runs faster than real time with timeScale", async () => {
    // issue 7: `--time-scale` to run faster or slower than real time.
    const clock = new ManualClock();
    const engine = new GpuEngine({ ...config, clock, timeScale: 10 });
    const a = collect(engine.generate({ id: "a", prompt: 90, outputTokens: 1 }), clock);
    await settle();
    await clock.advance(10); // 100 ms of GPU time in 10 ms
    await a.done;
    expect(a.seen).toEqual([{ index: 0, at: expect.closeTo(10, 9), last: true }]);
  });

  it("aborts a request when its signal aborts and frees its blocks", async () => {
    // vllm-openai.md §9: client disconnect aborts the request.
    const clock = new ManualClock();
    const engine = new GpuEngine({ ...config, clock });
    const controller = new AbortController();
    const stream = engine.generate({ id: "a", prompt: 100, outputTokens: 500 }, controller.signal);
    const first = stream.next();
    await settle();
    await clock.advance(110);
    expect((await first).value).toMatchObject({ index: 0 });
    expect(engine.core.kvUsage).toBeGreaterThan(0);
    const second = stream.next();
    controller.abort();
    await expect(second).rejects.toThrow(/abort/i);
    expect(engine.core.kvUsage).toBe(0);
    expect(engine.core.running + engine.core.waiting).toBe(0);
    await clock.advance(100);
    await engine.idle();
  });

  it("takes an aborted request out at once, even while its consumer is not waiting", async () => {
    // vllm-openai.md §9: a client disconnect aborts the request and frees its KV blocks.
    const clock = new ManualClock();
    const engine = new GpuEngine({ ...config, clock });
    const controller = new AbortController();
    const stream = engine.generate({ id: "a", prompt: 100, outputTokens: 500 }, controller.signal);
    const first = stream.next();
    await settle();
    await clock.advance(110);
    await first;
    await clock.advance(50); // more tokens wait in the stream's buffer
    controller.abort(new Error("client left"));
    expect(engine.core.hasWork()).toBe(false);
    expect(engine.core.kvUsage).toBe(0);
    await expect(stream.next()).rejects.toThrow("client left");
    await expect(stream.next()).rejects.toThrow("client left");
    await clock.advance(100);
    await engine.idle();
  });

  it("ends the stream after the last token and leaves no request behind", async () => {
    const clock = new ManualClock();
    const engine = new GpuEngine({ ...config, clock });
    const stream = engine.generate({ id: "a", prompt: 10, outputTokens: 2 });
    const pending = [stream.next(), stream.next(), stream.next()];
    await settle();
    await clock.advance(1000);
    const results = await Promise.all(pending);
    expect(results.map((r) => (r.done ? "done" : (r.value as GpuToken).last))).toEqual([
      false,
      true,
      "done",
    ]);
    expect(await stream.return?.()).toEqual({ done: true, value: undefined });
    await engine.idle();
    expect(engine.core.hasWork()).toBe(false);
  });

  it("ends a waiting next() when the consumer leaves, and aborts the request", async () => {
    const clock = new ManualClock();
    const engine = new GpuEngine({ ...config, clock });
    const stream = engine.generate({ id: "a", prompt: 100, outputTokens: 50 });
    const pending = stream.next();
    await settle();
    expect(engine.core.running).toBe(1);
    expect(await stream.return?.()).toEqual({ done: true, value: undefined });
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(engine.core.hasWork()).toBe(false);
    await clock.advance(200);
    await engine.idle();
  });

  it("fails the requests that cannot fit even an idle engine", async () => {
    const clock = new ManualClock();
    const engine = new GpuEngine({ ...config, numBlocks: 2, clock });
    const stream = engine.generate({ id: "a", prompt: 100, outputTokens: 5 });
    await expect(stream.next()).rejects.toThrow("request a does not fit in the KV cache");
    await engine.idle();
    expect(engine.core.hasWork()).toBe(false);
  });

  it("tells a stream read without waiting (nextReady) the engine's failure, then its end", async () => {
    // nextReady answers "nothing yet" on an open stream with nothing buffered without touching
    // its buffer; a failure the engine reported while no read waited must still come out there.
    const clock = new ManualClock();
    const engine = new GpuEngine({ ...config, numBlocks: 2, clock });
    const stream = engine.generate({ id: "a", prompt: 100, outputTokens: 5 });
    expect(stream.nextReady()).toBeUndefined();
    expect(stream.nextReady()).toBeUndefined();
    await engine.idle();
    expect(() => stream.nextReady()).toThrow("request a does not fit in the KV cache");
    expect(stream.nextReady()).toEqual({ done: true, value: undefined });
  });

  it("aborts a request whose consumer stops reading", async () => {
    const clock = new ManualClock();
    const engine = new GpuEngine({ ...config, clock });
    const stream = engine.generate({ id: "a", prompt: 10, outputTokens: 100 });
    const reading = (async () => {
      for await (const token of stream) if (token.index === 2) break;
    })();
    await settle();
    await clock.advance(1000);
    await reading;
    expect(engine.core.hasWork()).toBe(false);
    expect(engine.core.kvUsage).toBe(0);
  });

  it("fans n > 1 out into children 0_<id>… that share the prompt's blocks and count as one parent", async () => {
    // vllm/v1/engine/parallel_sampling.py: child ids "{index}_{parent}"; prefix caching shares
    // the prompt; vllm:request_params_n observes n once for the parent.
    const clock = new ManualClock();
    const metrics = new EngineMetrics(1024);
    const engine = new GpuEngine({ ...config, clock, metrics });
    const prompt = Array.from({ length: 100 }, (_, i) => 500 + i);
    const children = engine.generateChildren({ id: "cmpl-1", prompt, outputTokens: 3 }, 3);
    const streams = children.map((child) => collect(child, clock));
    await settle();
    await clock.advance(1000);
    await Promise.all(streams.map((s) => s.done));
    for (const s of streams) expect(s.seen.map((t) => t.index)).toEqual([0, 1, 2]);
    // The first child computes the prompt; the other two hit its 6 full blocks (96 tokens).
    expect(engine.core.counters.prefixHits).toBe(2 * 96);
    expect(metrics.requestParamsN.count).toBe(1);
    expect(metrics.requestParamsN.sum).toBe(3);
    await engine.idle();
    expect(() => engine.generateChildren({ id: "x", prompt: 1, outputTokens: 1 }, 0)).toThrow(
      RangeError,
    );
  });

  it("refuses what the engine refuses, and a bad time scale", async () => {
    const engine = new GpuEngine({ ...config, clock: new ManualClock() });
    await expect(
      engine.generate({ id: "x", prompt: 1000, outputTokens: 100 }).next(),
    ).rejects.toThrow(EngineRequestError);
    expect(() => new GpuEngine({ ...config, clock: new ManualClock(), timeScale: 0 })).toThrow(
      RangeError,
    );
  });

  it("hands a produced token over synchronously (nextReady) and to a waiting callback (wait)", async () => {
    const clock = new ManualClock();
    const engine = new GpuEngine({ ...config, clock });
    const stream = engine.generate({ id: "a", prompt: 10, outputTokens: 3 });
    // The first read enters the request; nothing is produced yet.
    expect(stream.nextReady()).toBeUndefined();
    expect(engine.core.waiting + engine.core.running).toBe(1);
    const results: (string | number)[] = [];
    const onError = (error: unknown) => {
      throw error;
    };
    // The callback gets the step's batch and the token's position there (the end its own
    // callback): no object per token.
    stream.wait(
      (tokens, i) => results.push(tokens.index(i), tokens.time, String(tokens.last(i))),
      () => results.push("done"),
      onError,
    );
    // A second read while one waits is refused, not queued.
    expect(() =>
      stream.wait(
        () => {},
        () => {},
        onError,
      ),
    ).toThrow("already waiting");
    await settle();
    await clock.advance(1000);
    await engine.idle();
    // The callback got token 0 at its step's end (test step time: 0.01 s + 1 ms per token, 10
    // prompt tokens); tokens 1 and 2 waited in the buffer, read at once.
    expect(results).toEqual([0, 0.02, "false"]);
    expect(stream.nextReady()).toMatchObject({ done: false, value: { index: 1 } });
    expect(stream.nextReady()).toMatchObject({ done: false, value: { index: 2, last: true } });
    expect(stream.nextReady()).toEqual({ done: true, value: undefined });
  });

  it("ends a waiting callback with undefined when the consumer leaves (return)", async () => {
    const clock = new ManualClock();
    const engine = new GpuEngine({ ...config, clock });
    const stream = engine.generate({ id: "a", prompt: 10, outputTokens: 50 });
    const seen: (number | undefined)[] = [];
    stream.wait(
      (tokens, i) => seen.push(tokens.index(i)),
      () => seen.push(undefined),
      (error) => {
        throw error;
      },
    );
    await settle();
    await stream.return?.();
    // The wait ends (nothing hangs) and the request left the engine, its blocks freed.
    expect(seen).toEqual([undefined]);
    expect(engine.core.hasWork()).toBe(false);
    expect(stream.nextReady()).toEqual({ done: true, value: undefined });
    await clock.advance(100);
    await engine.idle();
  });

  it("fails a waiting callback with the signal's reason and takes the request out", async () => {
    const clock = new ManualClock();
    const engine = new GpuEngine({ ...config, clock });
    const abort = new AbortController();
    const stream = engine.generate({ id: "a", prompt: 10, outputTokens: 50 }, abort.signal);
    let failure: unknown;
    stream.wait(
      () => {},
      () => {},
      (error) => {
        failure = error;
      },
    );
    await settle();
    abort.abort(new Error("client left"));
    expect((failure as Error).message).toBe("client left");
    expect(engine.core.hasWork()).toBe(false);
    expect(() => stream.nextReady()).toThrow("client left");
    await clock.advance(100);
    await engine.idle();
  });

  it("calls a listener object as wait calls its callbacks: token, buffer, end, refusal, abort", async () => {
    const clock = new ManualClock();
    const engine = new GpuEngine({ ...config, clock });
    const seen: (string | number)[] = [];
    const listener = {
      gpuToken: (tokens: StepTokens, i: number) => seen.push(tokens.index(i), tokens.time),
      gpuEnd: () => seen.push("end"),
      gpuError: (reason: unknown) => seen.push(`error ${(reason as Error).message}`),
    };
    const stream = engine.generate({ id: "a", prompt: 10, outputTokens: 2 });
    stream.listen(listener);
    // One read at a time, whichever form waits.
    expect(() => stream.listen(listener)).toThrow("already waiting");
    expect(() => stream.wait(listener.gpuToken, listener.gpuEnd, listener.gpuError)).toThrow(
      "already waiting",
    );
    expect(stream.nextReady()).toBeUndefined();
    await settle();
    await clock.advance(1000);
    await engine.idle();
    // Token 0 at its step's end (0.01 s + 1 ms per token, 10 prompt tokens); token 1 from the
    // buffer at the next listen, then the end.
    stream.listen(listener);
    stream.listen(listener);
    expect(seen).toEqual([0, 0.02, 1, 0.031, "end"]);
    // A request the engine refuses (longer than max_model_len) fails the listener.
    seen.length = 0;
    const refused = engine.generate({ id: "b", prompt: 10_000, outputTokens: 2 });
    refused.listen(listener);
    expect(seen).toEqual([expect.stringMatching(/^error /)]);
    // An abort fails a waiting listener with the signal's reason and frees the request.
    seen.length = 0;
    const abort = new AbortController();
    const aborted = engine.generate({ id: "c", prompt: 10, outputTokens: 50 }, abort.signal);
    aborted.listen(listener);
    await settle();
    abort.abort(new Error("client left"));
    expect(seen).toEqual(["error client left"]);
    expect(engine.core.hasWork()).toBe(false);
    // Leaving (return) ends a waiting listener.
    seen.length = 0;
    const left = engine.generate({ id: "d", prompt: 10, outputTokens: 50 });
    left.listen(listener);
    await left.return?.();
    expect(seen).toEqual(["end"]);
    await clock.advance(100);
    await engine.idle();
  });

  it("hands every token, the last one too, to a listener that listens again from its token", async () => {
    const clock = new ManualClock();
    const engine = new GpuEngine({ ...config, clock });
    const stream = engine.generate({ id: "a", prompt: 10, outputTokens: 3 });
    const seen: (string | number)[] = [];
    const listener = {
      gpuToken: (tokens: StepTokens, i: number) => {
        seen.push(tokens.index(i), String(tokens.last(i)));
        // As the text engine's run does: the next read from inside the step's callback.
        stream.listen(listener);
      },
      gpuEnd: () => seen.push("end"),
      gpuError: (reason: unknown) => seen.push(`error ${(reason as Error).message}`),
    };
    stream.listen(listener);
    await settle();
    await clock.advance(1000);
    await engine.idle();
    // Each token reached the waiting listener at its step; after the last the stream is over
    // and the request left the engine.
    expect(seen).toEqual([0, "false", 1, "false", 2, "true", "end"]);
    expect(engine.core.hasWork()).toBe(false);
    expect(stream.nextReady()).toEqual({ done: true, value: undefined });
  });
});

/**
 * A virtual clock that can fall behind, as a busy event loop does: `stall(ms)` moves time on
 * without waking anyone, so the sleeps due meanwhile end late, together, at the next `advance`.
 * `advance` wakes sleepers at their due times (never before the present), one at a time.
 */
class LateClock implements Clock {
  #now = 0;
  #sleepers: { at: number; resolve: () => void }[] = [];
  /** Sleeps woken so far: a step that runs between two wakes ran in one turn of the loop. */
  wakes = 0;

  now(): number {
    return this.#now;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#sleepers.push({ at: this.#now + Math.max(0, ms), resolve });
    });
  }

  /** Time passes with no timer firing (the event loop is busy elsewhere). */
  stall(ms: number): void {
    this.#now += ms;
  }

  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      const due = this.#sleepers.filter((s) => s.at <= target).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.#sleepers = this.#sleepers.filter((s) => s !== due);
      this.#now = Math.max(this.#now, due.at);
      this.wakes++;
      due.resolve();
      await settle();
    }
    this.#now = Math.max(this.#now, target);
  }
}

/** Every token of a request: its modelled time (ms) and when the consumer got it (clock ms). */
function timed(stream: AsyncIterable<GpuToken>, clock: Clock) {
  const seen: { index: number; time: number; at: number }[] = [];
  const done = (async () => {
    for await (const token of stream)
      seen.push({
        index: token.index,
        time: ms(token.time),
        at: Math.round(clock.now() * 1e3) / 1e3,
      });
  })();
  return { seen, done };
}

/** Simulated seconds as milliseconds, without the float noise of chained step ends. */
const ms = (seconds: number) => Math.round(seconds * 1e6) / 1e3;

/** Histograms that keep every observation, to check each one. */
const keepAll = () => {
  const values: number[] = [];
  return { values, observe: (value: number) => values.push(value) };
};

describe("GpuEngine keeps its own time when the event loop lags", () => {
  // vLLM V1 runs its engine core in its own process (EngineCoreProc's busy loop): it keeps
  // stepping while the API server lags, and the outputs it has not taken yet queue up per request
  // (RequestOutputCollector merges them). Decode steps of one request here: 10 + 1 ms.

  it("after a 50 ms lag delivers the owed steps at once at the model's times, then keeps time", async () => {
    const clock = new LateClock();
    const metrics = new EngineMetrics(1024, keepAll);
    const engine = new GpuEngine({ ...config, clock, metrics });
    const a = timed(engine.generate({ id: "a", prompt: 10, outputTokens: 8 }), clock);
    await settle();
    await clock.advance(20); // step 1: 20 prompt tokens, 0-20 ms
    expect(a.seen).toEqual([{ index: 0, time: 20, at: 20 }]);
    clock.stall(50); // the timer for 31 ms fires at 70
    await clock.advance(0);
    // Steps 20-31, 31-42, 42-53 and 53-64 are owed: their tokens come out together at 70.
    expect(a.seen.slice(1)).toEqual(
      [31, 42, 53, 64].map((time, i) => ({ index: i + 1, time, at: 70 })),
    );
    await clock.advance(1000);
    await a.done;
    // Back on the model's schedule: 64-75, 75-86, 86-97, each delivered at its end.
    expect(a.seen.slice(5)).toEqual(
      [75, 86, 97].map((time, i) => ({ index: i + 5, time, at: time })),
    );
    // The metrics see the model's gaps, not the lag.
    expect(metrics.interTokenLatency.values.map(ms)).toEqual(new Array(7).fill(11));
    expect(metrics.timeToFirstToken.values).toEqual([0.02]);
  });

  it("admits a request that arrived during the lag only to a step that starts after it", async () => {
    const clock = new LateClock();
    const metrics = new EngineMetrics(1024, keepAll);
    const engine = new GpuEngine({ ...config, clock, metrics });
    const a = timed(engine.generate({ id: "a", prompt: 10, outputTokens: 20 }), clock);
    await settle();
    await clock.advance(20);
    clock.stall(50);
    // The API server gets to "b" at 70, while the engine's timer for 31 ms has not fired.
    const b = timed(engine.generate({ id: "b", prompt: 10, outputTokens: 2 }), clock);
    await settle();
    await clock.advance(0);
    // Owed steps 20-31 … 53-64 began before b arrived: without it. 64-75 is still running (it
    // began at 64). The step at 75 admits it: 10 prompt tokens + a's decode, 21 ms.
    expect(b.seen).toEqual([]);
    await clock.advance(1000);
    await Promise.all([a.done, b.done]);
    expect(b.seen.map((t) => t.time)).toEqual([96, 108]);
    // Queue time and TTFT are true and non-negative: b waited 5 ms and got its first token 26 ms
    // after it arrived (arrival 70, step 75-96).
    expect(metrics.requestQueueTime.values.map(ms).sort()).toEqual([0, 5]);
    expect(metrics.timeToFirstToken.values.map(ms)).toEqual([20, 26]);
    for (const value of [...metrics.requestQueueTime.values, ...metrics.timeToFirstToken.values])
      expect(value).toBeGreaterThanOrEqual(0);
  });

  it("starts an idle engine's next step when the request that arrived late came in", async () => {
    const clock = new LateClock();
    const metrics = new EngineMetrics(1024, keepAll);
    const engine = new GpuEngine({ ...config, clock, metrics });
    const a = timed(engine.generate({ id: "a", prompt: 10, outputTokens: 3 }), clock);
    await settle();
    await clock.advance(20);
    clock.stall(50);
    const b = timed(engine.generate({ id: "b", prompt: 10, outputTokens: 1 }), clock);
    await settle();
    await clock.advance(1000);
    await Promise.all([a.done, b.done]);
    // a's owed steps (20-31, 31-42) end its run; the engine then holds only b, who came at 70:
    // its step runs 70-90 (a step never starts before its request came, nor fails for it).
    expect(a.seen.map((t) => t.time)).toEqual([20, 31, 42]);
    expect(b.seen).toEqual([{ index: 0, time: 90, at: 90 }]);
    expect(metrics.timeToFirstToken.values.map(ms)).toEqual([20, 20]);
  });

  it(`re-anchors its clock when more than ${catchUpLimitMs} ms behind instead of making it up`, async () => {
    const run = async (lag: number) => {
      const clock = new LateClock();
      const engine = new GpuEngine({ ...config, clock });
      const a = timed(engine.generate({ id: "a", prompt: 10, outputTokens: 40 }), clock);
      await settle();
      await clock.advance(20);
      clock.stall(lag);
      await clock.advance(1000);
      await a.done;
      return a.seen;
    };
    // 90 ms late (under the limit): every owed step runs at its modelled time.
    const within = await run(90);
    expect(within.map((t) => t.time)).toEqual(within.map((_, i) => 20 + 11 * i));
    // 150 ms late: the step that ended at 31 (already computed) comes out at 170; the owed ones
    // after it are given up and the schedule starts again from 170.
    const beyond = await run(150);
    expect(beyond.slice(0, 4)).toEqual([
      { index: 0, time: 20, at: 20 },
      { index: 1, time: 31, at: 170 },
      { index: 2, time: 181, at: 181 },
      { index: 3, time: 192, at: 192 },
    ]);
  });

  it(`lets the event loop turn after ${catchUpBurstMs} ms of catching up on a machine too slow for the model`, async () => {
    const clock = new LateClock();
    const steps: { wakes: number; end: number }[] = [];
    const engine = new GpuEngine({
      ...config,
      clock,
      // Ten times real time: a decode step is 1.1 ms of the clock; each costs 3 ms of CPU here.
      timeScale: 10,
      onStep: (result) => {
        steps.push({ wakes: clock.wakes, end: result.end });
        clock.stall(3);
      },
    });
    const a = timed(engine.generate({ id: "a", prompt: 10, outputTokens: 200 }), clock);
    await settle();
    await clock.advance(10_000);
    await a.done;
    // Steps run in one turn of the event loop share a wake count: never more than 4 in a row
    // (3, 6, 9, 12 ms: past the 10 ms burst, the loop turns).
    const perTurn = new Map<number, number>();
    for (const s of steps) perTurn.set(s.wakes, (perTurn.get(s.wakes) ?? 0) + 1);
    expect(Math.max(...perTurn.values())).toBe(4);
    // Falling 1.9 ms further behind per step, the engine gives up what it owes once past the
    // limit: some gaps between step ends exceed the model's 11 ms (simulated).
    const gaps = steps.slice(2).map((s, i) => s.end - (steps[i + 1] as { end: number }).end);
    expect(gaps.some((gap) => gap > 0.012)).toBe(true);
    expect(engine.core.hasWork()).toBe(false);
  });

  it("takes a request aborted during the catch-up out at once and frees its blocks", async () => {
    // vllm-openai.md §9: a client disconnect aborts the request and frees its KV blocks.
    const clock = new LateClock();
    const engine = new GpuEngine({ ...config, clock });
    const a = timed(engine.generate({ id: "a", prompt: 10, outputTokens: 20 }), clock);
    const controller = new AbortController();
    const b = engine.generate({ id: "b", prompt: 10, outputTokens: 20 }, controller.signal);
    const got: number[] = [];
    let failure: unknown;
    const read = () =>
      b.wait(
        (tokens, i) => {
          const index = tokens.index(i);
          got.push(index);
          // The client leaves at its second token, the first step of the catch-up.
          if (index === 1) controller.abort(new Error("client left"));
          else read();
        },
        () => {},
        (error) => {
          failure = error;
        },
      );
    read();
    await settle();
    await clock.advance(30); // step 1: both prompts, 0-30 ms (10 + 20 tokens)
    expect(got).toEqual([0]);
    expect(engine.core.kvUsage).toBeCloseTo(0.02, 9); // one 16-token block each
    clock.stall(50);
    await clock.advance(0);
    // At 80 the owed steps 30-42 (both), 42-53, 53-64, 64-75 ran; b left in the first.
    expect(got).toEqual([0, 1]);
    expect(failure).toBeUndefined();
    expect(engine.core.running).toBe(1);
    expect(engine.core.kvUsage).toBeCloseTo(0.01, 9);
    expect(a.seen.map((t) => t.time)).toEqual([30, 42, 53, 64, 75]);
    await clock.advance(1000);
    await a.done;
  });
});

describe("GpuEngine with data parallelism", () => {
  it("routes requests over its ranks, each stepping its own batch on the same clock", async () => {
    // vLLM --data-parallel-size: one engine core per rank, each its own scheduler; the client
    // (core_client.py DPLBAsyncMPClient) sends a dense model's requests round robin from rank 0.
    const clock = new ManualClock();
    const rank1 = new EngineMetrics(1024);
    const metrics = new EngineMetrics(1024);
    const engine = new GpuEngine({
      ...config,
      clock,
      metrics,
      dataParallelSize: 2,
      rankMetrics: [rank1],
    });
    expect(engine.ranks).toHaveLength(2);
    expect(engine.ranks[0]).toBe(engine);
    const a = collect(engine.generate({ id: "a", prompt: 100, outputTokens: 3 }), clock);
    const b = collect(engine.generate({ id: "b", prompt: 50, outputTokens: 2 }), clock);
    await settle();
    expect(engine.ranks.map((rank) => rank.core.waiting + rank.core.running)).toEqual([1, 1]);
    // Alone on its rank each prefills by itself: 10 + 100 ms and 10 + 50 ms (one rank: both
    // in one 160 ms step).
    // (Chained step ends carry sub-nanosecond float noise, as in the first test: rounded.)
    await clock.advance(61);
    expect(b.seen.map((t) => Math.round(t.at))).toEqual([60]);
    expect(a.seen).toEqual([]);
    await clock.advance(50);
    expect(a.seen.map((t) => Math.round(t.at))).toEqual([110]);
    await clock.advance(1000);
    await Promise.all([a.done, b.done]);
    await engine.idle();
    expect(engine.hasWork()).toBe(false);
    // Each rank's metrics count its own requests only.
    expect(metrics.promptTokens).toBe(100);
    expect(rank1.promptTokens).toBe(50);
    expect(metrics.requestSuccess.length).toBe(1);
    expect(rank1.requestSuccess.length).toBe(1);
  });

  it("gives every rank its own KV cache", async () => {
    // Each rank holds a full replica with its own KV cache: two 100-token prompts that cannot
    // share one 10-block (160-token) cache run at once on two ranks.
    const firstTokens = async (dataParallelSize: number) => {
      const clock = new ManualClock();
      const engine = new GpuEngine({ ...config, numBlocks: 10, clock, dataParallelSize });
      const a = collect(engine.generate({ id: "a", prompt: 100, outputTokens: 2 }), clock);
      const b = collect(engine.generate({ id: "b", prompt: 100, outputTokens: 2 }), clock);
      await settle();
      await clock.advance(5000);
      await Promise.all([a.done, b.done]);
      return [a.seen[0]?.at, b.seen[0]?.at].map((at) => Math.round(at as number));
    };
    expect(await firstTokens(2)).toEqual([110, 110]);
    const [first, second] = (await firstTokens(1)) as [number, number];
    expect(first).toBe(110);
    expect(second).toBeGreaterThan(110);
  });

  it("refuses a data-parallel size that is not a positive integer", () => {
    const clock = new ManualClock();
    for (const dataParallelSize of [0, 1.5, -2])
      expect(() => new GpuEngine({ ...config, clock, dataParallelSize })).toThrow(RangeError);
  });
});

describe("GpuEngine data-parallel ranks in lock step (a MoE model)", () => {
  // vllm/v1/engine/core.py DPEngineCoreProc.run_busy_loop: while the engines are running every
  // rank steps; one with nothing scheduled calls execute_dummy_batch (gpu_worker.py
  // _dummy_run(1)); the MoE collectives wait for every rank, so a step ends with the slowest.
  const stepsOf = (ends: number[]) => (result: { end: number }) => ends.push(result.end);

  it("paces an idle rank with a busy one: its tokens come out at the slowest rank's step end", async () => {
    const clock = new ManualClock();
    const ends: number[] = [];
    const engine = new GpuEngine({
      ...config,
      clock,
      dataParallelSize: 2,
      lockStep: true,
      onStep: stepsOf(ends),
    });
    const a = collect(engine.generate({ id: "a", prompt: 100, outputTokens: 3 }), clock);
    const b = collect(engine.generate({ id: "b", prompt: 50, outputTokens: 2 }), clock);
    await settle();
    expect(engine.ranks.map((rank) => rank.core.waiting + rank.core.running)).toEqual([1, 1]);
    await clock.advance(1000);
    await Promise.all([a.done, b.done]);
    // Step 1: rank 0 prefills 100 tokens (110 ms), rank 1 50 (60 ms): both end at 110 (on its
    // own rank 1 would have ended at 60, the data-parallel test above). Step 2: two decodes of
    // 11 ms. Step 3: rank 0 decodes (11 ms) while rank 1, done, runs the dummy pass (11 ms).
    expect(b.seen.map((t) => Math.round(t.at))).toEqual([110, 121]);
    expect(a.seen.map((t) => Math.round(t.at))).toEqual([110, 121, 132]);
    // The dummy pass is no engine step of its own: rank 1 reports its two steps only.
    expect(ends.map((end) => Math.round(end * 1000))).toEqual([110, 110, 121, 121, 132]);
    // Every rank idle: the wave is over and nothing steps however long the deployment waits.
    await engine.idle();
    await clock.advance(10_000);
    expect(ends).toHaveLength(5);
    expect(engine.hasWork()).toBe(false);
  });

  it("lets the dummy pass set the pace when it is slower than the busy rank's step", async () => {
    // A model whose one-token dummy pass (one sequence, nothing cached) takes 50 ms, longer than
    // a 21 ms decode step: the busy rank's steps last 50 ms while the other rank is idle.
    const stepTime = {
      ...linearStepTime,
      time: (load: { sequences: number; tokens: number; kvTokensRead: number }) =>
        load.sequences === 0
          ? 0
          : load.tokens === 1 && load.kvTokensRead === 1
            ? 0.05
            : 0.02 + 0.001 * load.tokens,
    };
    const clock = new ManualClock();
    const engine = new GpuEngine({
      ...config,
      stepTime,
      clock,
      dataParallelSize: 2,
      lockStep: true,
    });
    expect(engine.core.dummyStepSeconds()).toBe(0.05);
    const a = collect(engine.generate({ id: "a", prompt: 10, outputTokens: 3 }), clock);
    await settle();
    await clock.advance(1000);
    await a.done;
    // Prefill 30 ms, paced to the 50 ms dummy; each decode 21 ms, paced to 50 ms.
    expect(a.seen.map((t) => Math.round(t.at))).toEqual([50, 100, 150]);
    await engine.idle();
    expect(engine.hasWork()).toBe(false);
  });

  it("keeps each rank's own loop without lockStep (a dense model)", async () => {
    const clock = new ManualClock();
    const engine = new GpuEngine({ ...config, clock, dataParallelSize: 2 });
    const a = collect(engine.generate({ id: "a", prompt: 100, outputTokens: 3 }), clock);
    const b = collect(engine.generate({ id: "b", prompt: 50, outputTokens: 2 }), clock);
    await settle();
    await clock.advance(1000);
    await Promise.all([a.done, b.done]);
    expect(b.seen.map((t) => Math.round(t.at))).toEqual([60, 71]);
    expect(a.seen.map((t) => Math.round(t.at))).toEqual([110, 121, 132]);
  });
});
