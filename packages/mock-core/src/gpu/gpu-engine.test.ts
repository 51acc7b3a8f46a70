import { describe, expect, it } from "vitest";
import { ManualClock } from "../clock.js";
import { EngineRequestError } from "./engine-core.js";
import { EngineMetrics } from "./engine-metrics.js";
import { GpuEngine, type GpuToken } from "./gpu-engine.js";
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
    expect(a.seen.map((t) => t.at)).toEqual(times("a"));
    expect(b.seen.map((t) => t.at)).toEqual(times("b"));
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
    const results: IteratorResult<GpuToken>[] = [];
    const onError = (error: unknown) => {
      throw error;
    };
    stream.wait((result) => results.push(result), onError);
    // A second read while one waits is refused, not queued.
    expect(() => stream.wait(() => {}, onError)).toThrow("already waiting");
    await settle();
    await clock.advance(1000);
    await engine.idle();
    // The callback got token 0 at its step; tokens 1 and 2 waited in the buffer, read at once.
    expect(results.map((r) => (r.done ? "done" : r.value.index))).toEqual([0]);
    expect(stream.nextReady()).toMatchObject({ done: false, value: { index: 1 } });
    expect(stream.nextReady()).toMatchObject({ done: false, value: { index: 2, last: true } });
    expect(stream.nextReady()).toEqual({ done: true, value: undefined });
  });

  it("fails a waiting callback with the signal's reason and takes the request out", async () => {
    const clock = new ManualClock();
    const engine = new GpuEngine({ ...config, clock });
    const abort = new AbortController();
    const stream = engine.generate({ id: "a", prompt: 10, outputTokens: 50 }, abort.signal);
    let failure: unknown;
    stream.wait(
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
});
