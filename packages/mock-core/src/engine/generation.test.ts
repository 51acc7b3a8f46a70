import { describe, expect, test } from "vitest";
import { ManualClock, realClock } from "../clock.js";
import {
  type GenerationEvent,
  type ReadySteps,
  readySteps,
  streamIntervalSends,
  type TextEngine,
  withStreamInterval,
} from "./generation.js";
import { defaultModelSpec } from "./model-spec.js";
import { createSimpleEngine } from "./simple-engine.js";

const model = await defaultModelSpec();
const prompt = model.tokenizer.encode("Tell me something about the weather.");

/** A run's outputs as the stream frames them: the events ready at once, group by group. */
async function outputs(engine: TextEngine, maxTokens: number): Promise<string[][]> {
  const run = engine
    .generate({ promptIds: prompt, maxTokens, ignoreEos: true, seed: 1 })
    [Symbol.asyncIterator]();
  const ready = readySteps(run) as ReadySteps;
  const groups: string[][] = [];
  for (;;) {
    const first = await run.next();
    if (first.done) return groups;
    const group = [first.value.type];
    for (let r = ready.nextReady(); r !== undefined && !r.done; r = ready.nextReady()) {
      group.push(r.value.type);
    }
    groups.push(group);
  }
}

/** "t" per token, "f" for the finish: a group's shape. */
const shape = (groups: string[][]) =>
  groups.map((g) => g.map((type) => (type === "token" ? "t" : "f")).join(""));

// vllm/v1/engine/output_processor.py make_request_output (vllm PR #27869): with stream_interval
// > 1 an output is sent when the request finished, when none was sent yet (sent_tokens_offset
// 0), or once the tokens since the last one reach stream_interval.
describe("streamIntervalSends", () => {
  test("the first output at once, then every interval tokens", () => {
    expect(streamIntervalSends(1, 0, 4)).toBe(true);
    expect(streamIntervalSends(4, 1, 4)).toBe(false);
    expect(streamIntervalSends(5, 1, 4)).toBe(true);
    expect(streamIntervalSends(2, 1, 1)).toBe(true);
  });
});

describe("withStreamInterval on the simple engine", () => {
  test("interval 1 is the engine itself; bad intervals and grouping engines are refused", () => {
    const engine = createSimpleEngine({ clock: realClock, model });
    expect(withStreamInterval(engine, 1)).toBe(engine);
    expect(() => withStreamInterval(engine, 0)).toThrow(RangeError);
    expect(() => withStreamInterval(engine, 1.5)).toThrow(RangeError);
    const grouped = withStreamInterval(engine, 2);
    expect(grouped.outputs).toBe("steps");
    expect(grouped.lateSignal).toBe(true);
    expect(() => withStreamInterval(grouped, 2)).toThrow(RangeError);
  });

  test("unpaced: the first token alone, then groups of N, the last group with the finish", async () => {
    const engine = withStreamInterval(createSimpleEngine({ clock: realClock, model }), 4);
    // 11 tokens: [1] [2-5] [6-9] [10-11 + finish]
    expect(shape(await outputs(engine, 11))).toEqual(["t", "tttt", "tttt", "ttf"]);
    // 9 tokens: the last token completes a group, and the finish rides with it
    expect(shape(await outputs(engine, 9))).toEqual(["t", "tttt", "ttttf"]);
    // 1 token: the first output is the finished one
    expect(shape(await outputs(engine, 1))).toEqual(["tf"]);
    expect(shape(await outputs(engine, 0))).toEqual(["f"]);
  });

  test("the same events as the engine alone", async () => {
    const plain = createSimpleEngine({ clock: realClock, model });
    const request = { promptIds: prompt, maxTokens: 13, seed: 5, logprobs: 2 };
    const all = async (engine: TextEngine) => {
      const seen: GenerationEvent[] = [];
      for await (const event of engine.generate(request)) seen.push(event);
      return seen;
    };
    expect(await all(withStreamInterval(plain, 3))).toEqual(await all(plain));
  });

  test("a non-streaming drain answers the whole text at once", async () => {
    const plain = createSimpleEngine({ clock: realClock, model });
    const request = { promptIds: prompt, maxTokens: 7, seed: 5 };
    const run = withStreamInterval(plain, 3).generate(request)[Symbol.asyncIterator]();
    const drained = readySteps(run)?.drainNow?.();
    let text = "";
    for await (const event of plain.generate(request))
      if (event.type === "token") text += event.text;
    expect(drained?.text).toBe(text);
    expect(drained?.finish.completionTokens).toBe(7);
  });

  test("paced: a group goes out when its last token is produced", async () => {
    const clock = new ManualClock();
    const paced = createSimpleEngine({
      clock,
      model,
      timeToFirstTokenMs: 100,
      interTokenMs: 10,
      fixedSchedule: true,
    });
    const engine = withStreamInterval(paced, 3);
    const seen: [number, string][] = [];
    const done = (async () => {
      for await (const event of engine.generate({
        promptIds: prompt,
        maxTokens: 6,
        ignoreEos: true,
        seed: 1,
      })) {
        seen.push([clock.now(), event.type]);
      }
    })();
    await clock.advance(100);
    expect(seen).toEqual([[100, "token"]]);
    // tokens 2 and 3 are produced at 110 and 120 and held; token 4 at 130 completes the group
    await clock.advance(20);
    expect(seen).toHaveLength(1);
    await clock.advance(10);
    expect(seen.map(([t]) => t)).toEqual([100, 130, 130, 130]);
    await clock.advance(20);
    await done;
    expect(seen.slice(4)).toEqual([
      [150, "token"],
      [150, "token"],
      [150, "finish"],
    ]);
  });

  test("an abort while a group gathers ends with the held tokens and an abort finish", async () => {
    const clock = new ManualClock();
    const paced = createSimpleEngine({ clock, model, interTokenMs: 10, fixedSchedule: true });
    const controller = new AbortController();
    const run = withStreamInterval(paced, 4)
      .generate(
        { promptIds: prompt, maxTokens: 20, ignoreEos: true, seed: 1 },
        { signal: controller.signal },
      )
      [Symbol.asyncIterator]();
    expect((await run.next()).value).toMatchObject({ type: "token" });
    const rest = (async () => {
      const events: GenerationEvent[] = [];
      for (let r = await run.next(); !r.done; r = await run.next()) events.push(r.value);
      return events;
    })();
    await clock.advance(25);
    controller.abort();
    const events = await rest;
    expect(events.map((e) => e.type)).toEqual(["token", "token", "finish"]);
    expect(events.at(-1)).toMatchObject({ reason: "abort", completionTokens: 3 });
  });
});

// vllm/v1/engine/output_processor.py: RequestOutputCollector.put merges a DELTA output into the
// one the consumer has not taken yet ("merged if the producer gets ahead of the consumer"), and
// make_request_output's stream_interval gate (vllm PR #27869) decides which outputs exist at all.
describe("withStreamInterval: a late consumer (mergeLate)", () => {
  /** Lets the promise callbacks of the step just taken run. */
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

  /** Token k (from 0) due at k * 10 ms; the first read at 0, the next after `lateMs`. */
  async function lateGroups(mergeLate: boolean, lateMs: number): Promise<string[]> {
    const clock = new ManualClock();
    const paced = createSimpleEngine({ clock, model, interTokenMs: 10, fixedSchedule: true });
    const run = withStreamInterval(paced, 2, mergeLate)
      .generate({ promptIds: prompt, maxTokens: 9, ignoreEos: true, seed: 1 })
      [Symbol.asyncIterator]();
    const ready = readySteps(run) as ReadySteps;
    const groups: string[] = [];
    for (;;) {
      if (groups.length === 1) await clock.advance(lateMs);
      // The next output, the clock moved on 1 ms at a time until it is there.
      let taken: IteratorResult<GenerationEvent> | undefined;
      run.next().then((r) => {
        taken = r;
      });
      await settle();
      while (taken === undefined) {
        await clock.advance(1);
        await settle();
      }
      if (taken.done) return groups;
      let group = "";
      let r: IteratorResult<GenerationEvent> | undefined = taken;
      for (; r !== undefined && !r.done; r = ready.nextReady()) {
        group += r.value.type === "token" ? "t" : "f";
      }
      groups.push(group);
    }
  }

  test("outputs sent while the consumer was away go out as one; later tokens stay held", async () => {
    // Read at 0, then at 55 ms: tokens 2-3 (sent at 20 ms) and 4-5 (at 40 ms) are two outputs
    // the collector merged; token 6 (50 ms) waits for token 7 to complete its output.
    expect(await lateGroups(true, 55)).toEqual(["t", "tttt", "tt", "ttf"]);
    // Without merging, the same late read hands them out one output at a time.
    expect(await lateGroups(false, 55)).toEqual(["t", "tt", "tt", "tt", "ttf"]);
  });

  test("a consumer on time gets one output per group either way", async () => {
    expect(await lateGroups(true, 0)).toEqual(await lateGroups(false, 0));
  });
});

/** The run's next event through ReadySteps.wait, then `nextReady` (a promise for the test's sake). */
function waited(ready: ReadySteps): Promise<IteratorResult<GenerationEvent>> {
  return new Promise((resolve, reject) => {
    (ready.wait as NonNullable<ReadySteps["wait"]>)(() => {
      const result = ready.nextReady();
      if (result === undefined) reject(new Error("wait called back with nothing ready"));
      else resolve(result);
    }, reject);
  });
}

// ReadySteps.wait: the callback form of next(); the groups stay vLLM's (output_processor.py).
describe("withStreamInterval: ReadySteps.wait", () => {
  test("a paced run read by wait gives next()'s groups", async () => {
    const clock = new ManualClock();
    const paced = createSimpleEngine({ clock, model, interTokenMs: 10, fixedSchedule: true });
    const run = withStreamInterval(paced, 3)
      .generate({ promptIds: prompt, maxTokens: 6, ignoreEos: true, seed: 1 })
      [Symbol.asyncIterator]();
    const ready = readySteps(run) as ReadySteps;
    const groups: string[] = [];
    const done = (async () => {
      for (;;) {
        const first = await waited(ready);
        if (first.done) return;
        let group = first.value.type === "token" ? "t" : "f";
        for (let r = ready.nextReady(); r !== undefined && !r.done; r = ready.nextReady()) {
          group += r.value.type === "token" ? "t" : "f";
        }
        groups.push(group);
      }
    })();
    for (let t = 0; t < 60; t += 10) await clock.advance(10);
    await done;
    // As next() frames them (the paced test above): the first token, then 2-4, then 5-6 and the finish.
    expect(groups).toEqual(["t", "ttt", "ttf"]);
  });

  test("leaving while a wait waits drops it: no callback", async () => {
    const clock = new ManualClock();
    const paced = createSimpleEngine({ clock, model, interTokenMs: 10, fixedSchedule: true });
    const run = withStreamInterval(paced, 3)
      .generate({ promptIds: prompt, maxTokens: 6, ignoreEos: true, seed: 1 })
      [Symbol.asyncIterator]();
    const ready = readySteps(run) as ReadySteps;
    expect(await waited(ready)).toMatchObject({ value: { type: "token" } });
    const calls: string[] = [];
    ready.wait?.(
      () => calls.push("ready"),
      () => calls.push("error"),
    );
    // return() waits behind the paced step (served in order), which the clock then ends.
    const left = run.return?.();
    for (let t = 0; t < 60; t += 10) await clock.advance(10);
    await left;
    expect(calls).toEqual([]);
  });
});
