/**
 * The scheduling of one stream's requests (server src/grpc/stream_infer_handler.cc `Process`:
 * each request issued at once and the next read started; decoupled responses written as they are
 * ready; non-decoupled ones in request order; the stream finished once reads are done and no
 * request is in flight).
 */
import { describe, expect, it } from "vitest";
import { runConcurrently, type StreamAnswer } from "./concurrent-stream.js";

/** Resolves after `ms` milliseconds of real time (short: these tests only order events). */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An answer that yields `count` messages `<name><i>`, `gapMs` apart. */
async function* paced(name: string, count: number, gapMs: number, signal?: AbortSignal) {
  for (let i = 0; i < count; i += 1) {
    await sleep(gapMs);
    if (signal?.aborted) return;
    yield `${name}${i}`;
  }
}

async function* from<T>(items: readonly T[]) {
  for (const item of items) yield item;
}

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of source) all.push(item);
  return all;
}

describe("runConcurrently", () => {
  it("answers that come over time interleave as produced, each in its own order", async () => {
    const answers: Record<string, () => StreamAnswer<string>> = {
      a: () => paced("a", 3, 20),
      b: () => paced("b", 3, 20),
    };
    const out = await collect(
      runConcurrently(
        from(["a", "b"]),
        (r) => (answers[r] as () => StreamAnswer<string>)(),
        new AbortController().signal,
      ),
    );
    expect(out.filter((m) => m.startsWith("a"))).toEqual(["a0", "a1", "a2"]);
    expect(out.filter((m) => m.startsWith("b"))).toEqual(["b0", "b1", "b2"]);
    // b's first message does not wait for a's last.
    expect(out.indexOf("b0")).toBeLessThan(out.indexOf("a2"));
  });

  it("answers given at once keep the request order and do not wait for running ones", async () => {
    const out = await collect(
      runConcurrently(
        from(["slow", "x", "y"]),
        (r): StreamAnswer<string> => (r === "slow" ? paced("s", 2, 30) : [`${r}0`, `${r}1`]),
        new AbortController().signal,
      ),
    );
    expect(out).toEqual(["x0", "x1", "y0", "y1", "s0", "s1"]);
  });

  it("ends only after the client half-closes and every answer has finished", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    async function* requests() {
      yield "first";
      await gate;
      yield "second";
    }
    const run = collect(
      runConcurrently(requests(), (r) => paced(r, 1, 5), new AbortController().signal),
    );
    await sleep(30);
    release();
    expect(await run).toEqual(["first0", "second0"]);
  });

  it("an empty stream ends at once", async () => {
    const out = await collect(runConcurrently(from([]), () => [], new AbortController().signal));
    expect(out).toEqual([]);
  });

  it("a failing answer ends the stream with its error after what was produced", async () => {
    async function* broken() {
      yield "ok";
      throw new Error("boom");
    }
    const seen: string[] = [];
    const run = (async () => {
      for await (const m of runConcurrently(
        from(["r"]),
        () => broken(),
        new AbortController().signal,
      )) {
        seen.push(m);
      }
    })();
    await expect(run).rejects.toThrow("boom");
    expect(seen).toEqual(["ok"]);
  });

  it("a consumer that stops early aborts the running answers' signal", async () => {
    const signals: AbortSignal[] = [];
    const stream = runConcurrently(
      from(["a"]),
      (_r, signal) => {
        signals.push(signal);
        return paced("a", 100, 5, signal);
      },
      new AbortController().signal,
    );
    for await (const m of stream) {
      if (m === "a1") break;
    }
    expect(signals[0]?.aborted).toBe(true);
  });

  it("the call's signal (the client cancelled) reaches every answer", async () => {
    const cancel = new AbortController();
    const signals: AbortSignal[] = [];
    const stream = runConcurrently(
      from(["a", "b"]),
      (r, signal) => {
        signals.push(signal);
        return paced(r, 3, 5, signal);
      },
      cancel.signal,
    );
    const first = await stream.next();
    expect(first.done).toBe(false);
    cancel.abort();
    expect(signals.map((s) => s.aborted)).toEqual([true, true]);
    await stream.return(undefined);
  });
});
