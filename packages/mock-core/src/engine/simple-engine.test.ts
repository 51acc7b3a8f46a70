import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { type Clock, ManualClock, realClock } from "../clock.js";
import { EngineMetrics } from "../gpu/engine-metrics.js";
import type { FinishEvent, GenerationEvent, GenerationRequest, TokenEvent } from "./generation.js";
import { GenerationRequestError, type ReadySteps, readySteps } from "./generation.js";
import { defaultModelSpec, loadModelDir, type ModelSpec } from "./model-spec.js";
import { hashString } from "./random.js";
import { createSimpleEngine } from "./simple-engine.js";

const model = await defaultModelSpec();
const prompt = model.tokenizer.encode("Tell me something about the weather.");

async function collect(events: AsyncIterable<GenerationEvent>) {
  const all: GenerationEvent[] = [];
  for await (const event of events) all.push(event);
  const tokens = all.filter((e): e is TokenEvent => e.type === "token");
  const finish = all.at(-1) as FinishEvent;
  expect(finish.type).toBe("finish");
  expect(all.filter((e) => e.type === "finish")).toHaveLength(1);
  return { tokens, finish, text: tokens.map((t) => t.text).join(""), ids: tokens.map((t) => t.id) };
}

function run(request: Partial<GenerationRequest>, spec: ModelSpec = model) {
  const engine = createSimpleEngine({ clock: realClock, model: spec, random: () => 0.5 });
  return collect(engine.generate({ promptIds: prompt, maxTokens: 64, ...request }));
}

describe("determinism", () => {
  test("the same seed, prompt and parameters give the same tokens; another seed differs", async () => {
    // issue 3 "Generation": deterministic for a given seed; vllm-openai.md §4.1 `seed`
    const a = await run({ seed: 7, temperature: 0.8, ignoreEos: true });
    const b = await run({ seed: 7, temperature: 0.8, ignoreEos: true });
    const c = await run({ seed: 8, temperature: 0.8, ignoreEos: true });
    expect(a.ids).toEqual(b.ids);
    expect(c.ids).not.toEqual(a.ids);
    expect(a.finish.seed).toBe(7);
  });

  test("greedy (temperature 0) ignores the seed and reports seed 0", async () => {
    // caikit-tgis.md §3.3: GREEDY → seed 0
    const a = await run({ temperature: 0, seed: 1 });
    const b = await run({ temperature: 0, seed: 999 });
    expect(a.ids).toEqual(b.ids);
    expect(a.finish.seed).toBe(0);
  });

  test("greedy output depends on the prompt", async () => {
    const a = await run({ temperature: 0, ignoreEos: true });
    const other = model.tokenizer.encode("A different prompt entirely");
    const b = await run({ temperature: 0, ignoreEos: true, promptIds: other });
    expect(a.ids).not.toEqual(b.ids);
  });

  test("without a seed, sampling draws one and reports it", async () => {
    // caikit-tgis.md §3.3: SAMPLE without seed → server picks a random u32 seed and returns it
    const { finish } = await run({});
    expect(finish.seed).toBe(2 ** 31);
  });

  test("text mode produces readable English from the built-in sentences", async () => {
    const { text } = await run({ seed: 3, maxTokens: 200 });
    expect(text).toMatch(/^[A-Z][^\n]*[.!?;]$/);
  });
});

describe("limits", () => {
  test("maxTokens ends with 'length' after exactly that many tokens", async () => {
    // vllm-openai.md §5: finish_reason `length` (max_tokens); vllm/v1/core/sched/utils.py check_stop
    const { tokens, finish } = await run({ maxTokens: 5, ignoreEos: true });
    expect(tokens).toHaveLength(5);
    expect(finish).toMatchObject({
      reason: "length",
      completionTokens: 5,
      promptTokens: prompt.length,
    });
  });

  test("maxTokens 0 produces no tokens", async () => {
    const { tokens, finish } = await run({ maxTokens: 0 });
    expect(tokens).toHaveLength(0);
    expect(finish.reason).toBe("length");
  });

  test("the context length caps the budget (vllm-openai.md §4.1: max_model_len − prompt_len)", async () => {
    const long = Array.from({ length: model.maxModelLen - 3 }, () => 100);
    const { tokens, finish } = await run({ promptIds: long, maxTokens: 50, ignoreEos: true });
    expect(tokens).toHaveLength(3);
    expect(finish.reason).toBe("length");
  });

  test("EOS ends a natural answer; the EOS token is counted and has no text", async () => {
    // vllm/v1/core/sched/utils.py check_stop: EOS is the last of output_token_ids (counted);
    // vllm/v1/engine/detokenizer.py: a stop-terminating token's text is skipped
    const { tokens, finish, text } = await run({ seed: 11, maxTokens: 1000 });
    expect(finish.reason).toBe("eos");
    expect(tokens.at(-1)).toMatchObject({ id: model.tokenizer.eosTokenId, text: "" });
    expect(finish.completionTokens).toBe(tokens.length);
    expect(text.endsWith(".") || text.endsWith("!") || text.endsWith(";")).toBe(true);
  });

  test("ignoreEos keeps generating to maxTokens with no EOS token", async () => {
    // vllm-openai.md §4.1 `ignore_eos`
    const natural = await run({ seed: 11, maxTokens: 1000 });
    const n = natural.tokens.length + 20;
    const { tokens, finish } = await run({ seed: 11, maxTokens: n, ignoreEos: true });
    expect(finish.reason).toBe("length");
    expect(tokens).toHaveLength(n);
    expect(tokens.map((t) => t.id)).not.toContain(model.tokenizer.eosTokenId);
    // the answer up to where EOS would be is unchanged
    expect(tokens.slice(0, natural.tokens.length - 1).map((t) => t.id)).toEqual(
      natural.ids.slice(0, -1),
    );
  });

  test("EOS on the last allowed token still ends with 'eos' (vLLM check_stop order)", async () => {
    const natural = await run({ seed: 11, maxTokens: 1000 });
    const { finish } = await run({ seed: 11, maxTokens: natural.tokens.length });
    expect(finish).toMatchObject({ reason: "eos", completionTokens: natural.tokens.length });
  });

  test("minTokens postpones EOS", async () => {
    // vllm-openai.md §4.1 `min_tokens`; check_stop returns early while num_output_tokens < min_tokens
    const natural = await run({ seed: 11, maxTokens: 1000 });
    const min = natural.tokens.length + 10;
    const { tokens, finish } = await run({ seed: 11, maxTokens: 1000, minTokens: min });
    expect(finish.reason).toBe("eos");
    expect(tokens.length).toBeGreaterThan(min);
  });
});

describe("stop sequences", () => {
  test("a stop string spanning token boundaries ends with 'stop'; the text stops before it", async () => {
    // vllm-openai.md §5: stop_reason is the matched stop string; vllm/v1/engine/detokenizer.py
    // holds back max(len(stop)) − 1 chars so a partial stop string is never streamed
    const base = await run({ seed: 5, maxTokens: 60, ignoreEos: true });
    // pick a stop that starts inside one token and ends in a later one
    const ids = base.ids;
    const pieces = ids.map((id) => model.tokenizer.decode([id]));
    let at = 0;
    let stop = "";
    for (let i = 2; i + 1 < pieces.length && !stop; i++) {
      const piece = pieces[i] ?? "";
      const next = pieces[i + 1] ?? "";
      if (piece.length >= 3 && next.length >= 2) {
        stop = piece.slice(-2) + next.slice(0, 2);
        at = pieces.slice(0, i).join("").length + piece.length - 2;
      }
    }
    expect(stop).not.toBe("");
    const expected = base.text.slice(0, base.text.indexOf(stop));
    expect(expected.length).toBeLessThanOrEqual(at);
    const { text, finish, tokens } = await run({
      seed: 5,
      maxTokens: 60,
      ignoreEos: true,
      stop: [stop, "zzzz-never"],
    });
    expect(finish).toMatchObject({ reason: "stop", stop });
    expect(text).toBe(expected);
    // no token ever released part of the stop string
    expect(tokens.map((t) => t.text).join("")).not.toContain(stop);
  });

  test("the earliest of several stop strings wins", async () => {
    // vLLM check_stop_strings: the first stop found in the text wins
    const base = await run({ seed: 5, maxTokens: 60, ignoreEos: true });
    const words = base.text.split(" ");
    const early = words[2] ?? "";
    const late = words[6] ?? "";
    const { finish } = await run({ seed: 5, maxTokens: 60, ignoreEos: true, stop: [late, early] });
    expect(finish.stop).toBe(base.text.indexOf(early) < base.text.indexOf(late) ? early : late);
  });

  test("stop strings are not honoured before minTokens", async () => {
    const base = await run({ seed: 5, maxTokens: 60, ignoreEos: true });
    const first = model.tokenizer.decode(base.ids.slice(0, 1));
    const early = await run({ seed: 5, maxTokens: 60, ignoreEos: true, stop: [first] });
    expect(early.finish).toMatchObject({ reason: "stop", completionTokens: 1 });
    expect(early.text).toBe("");
    const later = await run({
      seed: 5,
      maxTokens: 60,
      ignoreEos: true,
      stop: [first],
      minTokens: 10,
    });
    // vLLM detokenizer: stop strings are checked only when len(output_token_ids) > min_tokens,
    // and only where they end in text after the first min_tokens tokens.
    expect(later.finish.completionTokens).toBeGreaterThan(10);
    expect(later.text.startsWith(first)).toBe(true);
  });

  test("includeStopInOutput keeps the matched stop string and holds nothing back", async () => {
    // vllm-openai.md §4.1 include_stop_str_in_output; caikit-tgis.md include_stop_sequence
    const base = await run({ seed: 5, maxTokens: 60, ignoreEos: true });
    const stop = base.text.split(" ")[4] ?? "";
    const { text, finish, tokens } = await run({
      seed: 5,
      maxTokens: 60,
      ignoreEos: true,
      stop: [stop],
      includeStopInOutput: true,
    });
    expect(finish).toMatchObject({ reason: "stop", stop });
    expect(text).toBe(base.text.slice(0, base.text.indexOf(stop) + stop.length));
    // no hold-back: every token but the last releases exactly its own text
    for (const [i, token] of tokens.slice(0, -1).entries()) {
      expect(token.text).toBe(base.tokens[i]?.text);
    }
  });

  test("a very long stop list is served, not a stack overflow", async () => {
    // vllm-openai.md §4.1: `stop` is a list with no length limit; spreading 200,000 strings into
    // Math.max overflowed the stack (a 500 where vLLM generates).
    const stop = Array.from({ length: 200_000 }, (_, i) => `never-${i}`);
    const { finish } = await run({ seed: 5, maxTokens: 8, ignoreEos: true, stop });
    expect(finish.reason).toBe("length");
  });

  test("held-back text is released when generation ends for another reason", async () => {
    // vllm/v1/engine/detokenizer.py get_next_output_text: no buffer once finished
    const base = await run({ seed: 5, maxTokens: 20, ignoreEos: true });
    const { text, finish } = await run({
      seed: 5,
      maxTokens: 20,
      ignoreEos: true,
      stop: ["qqqqqqqq"],
    });
    expect(finish.reason).toBe("length");
    expect(text).toBe(base.text);
  });

  test("a stop token id ends with 'stop' and reports the id; its text is not output", async () => {
    // vllm-openai.md §5: stop_reason is the integer stop token id
    const base = await run({ seed: 5, maxTokens: 60, ignoreEos: true });
    const index = 6;
    const stopId = base.ids[index] ?? -1;
    const first = base.ids.indexOf(stopId);
    const { tokens, finish, text } = await run({
      seed: 5,
      maxTokens: 60,
      ignoreEos: true,
      stopTokenIds: [stopId],
    });
    expect(finish).toMatchObject({ reason: "stop", stop: stopId, completionTokens: first + 1 });
    expect(tokens.at(-1)).toMatchObject({ id: stopId, text: "" });
    expect(text).toBe(model.tokenizer.decode(base.ids.slice(0, first)));
    const included = await run({
      seed: 5,
      maxTokens: 60,
      ignoreEos: true,
      stopTokenIds: [stopId],
      includeStopInOutput: true,
    });
    expect(included.text).toBe(model.tokenizer.decode(base.ids.slice(0, first + 1)));
  });
});

describe("logprobs", () => {
  test("greedy: each token is rank 1 and first of `logprobs` falling alternatives", async () => {
    const { tokens } = await run({ temperature: 0, maxTokens: 10, logprobs: 3, ignoreEos: true });
    for (const token of tokens) {
      expect(token.logprob).toBeLessThan(0);
      expect(token.rank).toBe(1);
      expect(token.top).toHaveLength(3);
      expect(token.top?.[0]).toEqual({
        id: token.id,
        text: model.tokenizer.tokenText(token.id),
        logprob: token.logprob,
      });
      const lps = token.top?.map((t) => t.logprob) ?? [];
      expect([...lps].sort((a, b) => b - a)).toEqual(lps);
      expect(new Set(token.top?.map((t) => t.id)).size).toBe(3);
      expect(lps.reduce((sum, lp) => sum + Math.exp(lp), 0)).toBeLessThanOrEqual(1);
    }
  });

  test("sampling: the token sits at index rank − 1 of the list, and ranks above 1 occur", async () => {
    // caikit-tgis.md: token_ranks are reported per token; a sampled token need not be rank 1
    const { tokens } = await run({ seed: 4, maxTokens: 200, logprobs: 2, ignoreEos: true });
    const ranks = new Set(tokens.map((t) => t.rank));
    expect(ranks.has(1)).toBe(true);
    expect([...ranks].some((r) => (r ?? 0) > 1)).toBe(true);
    for (const token of tokens) {
      const rank = token.rank ?? 0;
      expect(token.top).toHaveLength(2);
      if (rank <= 2) expect(token.top?.[rank - 1]?.id).toBe(token.id);
      else expect(token.top?.map((t) => t.id)).not.toContain(token.id);
      // the sampled token's logprob is below those ranked above it
      for (const above of token.top?.slice(0, rank - 1) ?? []) {
        expect(above.logprob).toBeGreaterThan(token.logprob ?? 0);
      }
    }
  });

  test("logprobs 0 gives the token's logprob only; no logprobs gives neither; text is unaffected", async () => {
    const zero = await run({ seed: 2, maxTokens: 5, logprobs: 0, ignoreEos: true });
    expect(zero.tokens[0]?.top).toEqual([]);
    const none = await run({ seed: 2, maxTokens: 5, ignoreEos: true });
    expect(none.tokens[0]).not.toHaveProperty("logprob");
    expect(none.tokens[0]).not.toHaveProperty("top");
    expect(none.ids).toEqual(zero.ids);
  });
});

describe("forced text", () => {
  const json = '{"city": "Paris", "temperature": 21}';

  test("produces exactly the given text, then EOS; overrides the mode", async () => {
    // issue 3: response_format / tools produce output the family composes; the engine streams it
    const { text, finish, ids } = await run({ forcedText: json, mode: "echo", maxTokens: 100 });
    expect(text).toBe(json);
    expect(finish.reason).toBe("eos");
    expect(ids.slice(0, -1)).toEqual(model.tokenizer.encode(json, { addSpecialTokens: false }));
  });

  test("limits and stops apply as to any output", async () => {
    const cut = await run({ forcedText: json, maxTokens: 3 });
    expect(cut.finish.reason).toBe("length");
    expect(json.startsWith(cut.text)).toBe(true);
    const stopped = await run({ forcedText: json, maxTokens: 100, stop: [","] });
    expect(stopped).toMatchObject({
      text: '{"city": "Paris"',
      finish: { reason: "stop", stop: "," },
    });
  });

  test("past its end (ignoreEos) generation goes on with text", async () => {
    const { text, tokens } = await run({ forcedText: json, maxTokens: 40, ignoreEos: true });
    expect(tokens).toHaveLength(40);
    expect(text.startsWith(json)).toBe(true);
    expect(text.length).toBeGreaterThan(json.length);
  });
});

describe("echo mode", () => {
  test("repeats the prompt's non-special tokens, then EOS", async () => {
    // issue 3: "A mode that echoes the prompt and a mode that produces text are both available"
    const { ids, text, finish } = await run({ mode: "echo", maxTokens: 100 });
    const content = prompt.filter((id) => !model.tokenizer.isSpecial(id));
    expect(ids).toEqual([...content, model.tokenizer.eosTokenId]);
    expect(text).toBe("Tell me something about the weather.");
    expect(finish.reason).toBe("eos");
  });

  test("with ignoreEos it starts over until maxTokens", async () => {
    const content = prompt.filter((id) => !model.tokenizer.isSpecial(id));
    const { ids } = await run({ mode: "echo", maxTokens: content.length + 2, ignoreEos: true });
    expect(ids).toEqual([...content, ...content.slice(0, 2)]);
  });
});

describe("pacing and abort (ManualClock)", () => {
  test("the first token waits timeToFirstTokenMs, every later one interTokenMs", async () => {
    // issue 3 "Metrics": a simple engine with configurable time to first token and inter-token latency
    const clock = new ManualClock();
    const engine = createSimpleEngine({ clock, model, timeToFirstTokenMs: 200, interTokenMs: 30 });
    const seen: [number, GenerationEvent["type"]][] = [];
    const done = (async () => {
      for await (const e of engine.generate({
        promptIds: prompt,
        maxTokens: 3,
        ignoreEos: true,
        seed: 1,
      })) {
        seen.push([clock.now(), e.type]);
      }
    })();
    await clock.advance(199);
    expect(seen).toEqual([]);
    await clock.advance(1);
    expect(seen).toEqual([[200, "token"]]);
    await clock.advance(29);
    expect(seen).toHaveLength(1);
    await clock.advance(31);
    await done;
    expect(seen).toEqual([
      [200, "token"],
      [230, "token"],
      [260, "token"],
      [260, "finish"],
    ]);
  });

  test("fixedSchedule: time the consumer spends on one token shortens the next wait", async () => {
    // issue 3: delivered inter-token gaps stay at the configured value (p99 within 5 ms); in
    // vLLM the engine core steps on its own and queues outputs (v1 AsyncLLM output handler), so
    // a slow consumer does not push later tokens back.
    const clock = new ManualClock();
    const engine = createSimpleEngine({ clock, model, interTokenMs: 30, fixedSchedule: true });
    const events = engine
      .generate({ promptIds: prompt, maxTokens: 3, ignoreEos: true, seed: 1 })
      [Symbol.asyncIterator]();
    expect((await events.next()).value).toMatchObject({ type: "token" }); // t = 0
    await clock.advance(20); // the consumer spends 20 ms on the first token
    let arrived = false;
    const second = events.next().then((result) => {
      arrived = true;
      return result;
    });
    await clock.advance(9);
    await new Promise((resolve) => setImmediate(resolve));
    expect(arrived).toBe(false);
    await clock.advance(1); // t = 30: due at 1 x 30 ms, not 20 + 30
    expect((await second).value).toMatchObject({ type: "token" });
    expect(clock.now()).toBe(30);
    await events.return?.(undefined);
  });

  test("mergeOverdue: tokens that came due while the consumer was away are one output", async () => {
    // vllm/v1/engine/output_processor.py RequestOutputCollector.put (PR #12298, V1 default from
    // 0.8.0): in DELTA mode outputs the consumer has not taken are merged into one, text
    // concatenated (vllm/outputs.py RequestOutput.add). A TextEngine with outputs "steps" hands
    // one output out as the events nextReady() answers at once (generation.ts).
    const clock = new ManualClock();
    const options = { clock, model, interTokenMs: 20, fixedSchedule: true } as const;
    const engine = createSimpleEngine({ ...options, mergeOverdue: true });
    expect(engine.outputs).toBe("steps");
    const run = engine
      .generate({ promptIds: prompt, maxTokens: 6, ignoreEos: true, seed: 1 })
      [Symbol.asyncIterator]();
    const ready = readySteps(run) as ReadySteps;
    /** The events ready now: one output. */
    const output = () => {
      const events: GenerationEvent[] = [];
      for (let r = ready.nextReady(); r !== undefined && !r.done; r = ready.nextReady()) {
        events.push(r.value);
      }
      return events.map((e) => e.type);
    };
    expect(output()).toEqual(["token"]); // t = 0: the first token alone
    await clock.advance(20);
    expect(output()).toEqual(["token"]); // on time: one token per output
    await clock.advance(50); // t = 70: the consumer was away; tokens due at 40 and 60 wait
    expect(output()).toEqual(["token", "token"]);
    await clock.advance(10); // t = 80: on time again
    expect(output()).toEqual(["token"]);
    await clock.advance(100); // the last token and the finish, both overdue: one output
    expect(output()).toEqual(["token", "finish"]);
    run.return?.(undefined);
    // The same events either way: merging changes how they group, not what they are.
    const merged = await collect(
      createSimpleEngine({
        ...options,
        clock: realClock,
        interTokenMs: 1,
        mergeOverdue: true,
      }).generate({ promptIds: prompt, maxTokens: 8, seed: 3 }),
    );
    const separate = await collect(
      createSimpleEngine({ ...options, clock: realClock, interTokenMs: 1 }).generate({
        promptIds: prompt,
        maxTokens: 8,
        seed: 3,
      }),
    );
    expect(merged.ids).toEqual(separate.ids);
    expect(merged.text).toBe(separate.text);
  });

  test("mergeOverdue needs a fixed schedule and an inter-token gap; off by default", () => {
    // Without a fixed schedule no token is ever overdue; with no gap every token would be ready
    // at once and a whole answer one output: such engines keep one output per token.
    const clock = new ManualClock();
    expect(
      createSimpleEngine({ clock, model, interTokenMs: 20, fixedSchedule: true }).outputs,
    ).toBeUndefined();
    expect(
      createSimpleEngine({ clock, model, interTokenMs: 20, mergeOverdue: true }).outputs,
    ).toBeUndefined();
    expect(
      createSimpleEngine({
        clock,
        model,
        timeToFirstTokenMs: 50,
        fixedSchedule: true,
        mergeOverdue: true,
      }).outputs,
    ).toBeUndefined();
  });

  test("by default each token waits interTokenMs from when the consumer asks for it", async () => {
    const clock = new ManualClock();
    const engine = createSimpleEngine({ clock, model, interTokenMs: 30 });
    const events = engine
      .generate({ promptIds: prompt, maxTokens: 3, ignoreEos: true, seed: 1 })
      [Symbol.asyncIterator]();
    expect((await events.next()).value).toMatchObject({ type: "token" }); // t = 0
    await clock.advance(20); // the consumer spends 20 ms on the first token
    const second = events.next();
    await clock.advance(30); // t = 50: 30 ms after it was asked for
    expect((await second).value).toMatchObject({ type: "token" });
    expect(clock.now()).toBe(50);
    await events.return?.(undefined);
  });

  test("aborting mid-stream ends promptly with 'abort' and leaves no pending sleep", async () => {
    // vllm-openai.md §9: client disconnect aborts the request (finish reason `abort`)
    const clock = new ManualClock();
    const engine = createSimpleEngine({ clock, model, timeToFirstTokenMs: 10, interTokenMs: 1000 });
    const controller = new AbortController();
    const events: GenerationEvent[] = [];
    const done = (async () => {
      const stream = engine.generate(
        { promptIds: prompt, maxTokens: 100, ignoreEos: true, seed: 1 },
        { signal: controller.signal },
      );
      for await (const e of stream) events.push(e);
    })();
    await clock.advance(10);
    await clock.advance(1000);
    expect(events).toHaveLength(2);
    controller.abort();
    await done; // resolves without advancing the clock again
    expect(events.at(-1)).toMatchObject({ type: "finish", reason: "abort", completionTokens: 2 });
    expect(clock.pendingSleeps).toBe(0);
  });

  test("a signal aborted before start gives only the abort finish", async () => {
    const engine = createSimpleEngine({ clock: new ManualClock(), model, timeToFirstTokenMs: 10 });
    const { tokens, finish } = await collect(
      engine.generate({ promptIds: prompt, maxTokens: 5 }, { signal: AbortSignal.abort() }),
    );
    expect(tokens).toHaveLength(0);
    expect(finish).toMatchObject({ reason: "abort", completionTokens: 0 });
  });

  test("breaking out of the loop frees the pending sleep", async () => {
    const clock = new ManualClock();
    const engine = createSimpleEngine({ clock, model, interTokenMs: 50 });
    for await (const e of engine.generate({ promptIds: prompt, maxTokens: 10, ignoreEos: true })) {
      expect(e.type).toBe("token");
      break;
    }
    expect(clock.pendingSleeps).toBe(0);
  });
});

describe("the run as an async iterator (behaves as the async generator it replaced)", () => {
  const request = { promptIds: prompt, maxTokens: 3, ignoreEos: true, seed: 1 };

  test("calls made while a paced step waits are served in order", async () => {
    const unpaced = await collect(
      createSimpleEngine({ clock: realClock, model }).generate(request),
    );
    const clock = new ManualClock();
    const engine = createSimpleEngine({ clock, model, timeToFirstTokenMs: 10, interTokenMs: 10 });
    const run = engine.generate(request)[Symbol.asyncIterator]();
    const calls = Array.from({ length: 6 }, () => run.next());
    await clock.advance(100);
    const results = await Promise.all(calls);
    expect(results.map((r) => (r.done ? "done" : r.value.type))).toEqual([
      "token",
      "token",
      "token",
      "finish",
      "done",
      "done",
    ]);
    expect(results.slice(0, 3).map((r) => (r.value as TokenEvent).id)).toEqual(unpaced.ids);
  });

  test("return() while a step waits: that step's token comes, then the run ends and is metered as left", async () => {
    const clock = new ManualClock();
    const metrics = new EngineMetrics(model.maxModelLen);
    const engine = createSimpleEngine({ clock, model, interTokenMs: 10, metrics });
    const run = engine.generate(request)[Symbol.asyncIterator]();
    expect((await run.next()).value).toMatchObject({ type: "token" });
    const waiting = run.next();
    const returned = run.return?.();
    await clock.advance(10);
    expect((await waiting).value).toMatchObject({ type: "token" });
    expect(await returned).toEqual({ done: true, value: undefined });
    expect(await run.next()).toEqual({ done: true, value: undefined });
    expect(clock.pendingSleeps).toBe(0);
    expect(metrics.running).toBe(0);
    // Left, not finished: no finish reason counted (vllm-project/vllm#55634).
    expect(metrics.requestSuccess).toEqual({ stop: 0, length: 0, abort: 0 });
    expect(metrics.generationTokens).toBe(2);
  });

  test("a step that fails rejects its next, ends the run and leaves the running count", async () => {
    const broken: ModelSpec = {
      ...model,
      tokenizer: {
        ...model.tokenizer,
        decode: () => {
          throw new Error("decoder broke");
        },
      },
    };
    const metrics = new EngineMetrics(model.maxModelLen);
    const engine = createSimpleEngine({ clock: realClock, model: broken, metrics });
    const run = engine.generate(request)[Symbol.asyncIterator]();
    await expect(run.next()).rejects.toThrow("decoder broke");
    expect(await run.next()).toEqual({ done: true, value: undefined });
    expect(metrics.running).toBe(0);
  });
});

describe("runs with no stop strings (the plain token path)", () => {
  // A one-character stop string that never occurs holds nothing back (vLLM's stop_buffer_length
  // is the longest stop − 1 = 0) and cuts nothing: the same events as a run with no stop strings.
  const never = ["\u0001"];
  const cases: Partial<GenerationRequest>[] = [
    { maxTokens: 16, temperature: 0 },
    { maxTokens: 40, seed: 5, temperature: 0.8 },
    { maxTokens: 12, ignoreEos: true, minTokens: 4 },
    { maxTokens: 64 },
    { maxTokens: 20, stopTokenIds: [] },
  ];
  for (const request of cases) {
    test(`same events as the stop-string path: ${JSON.stringify(request)}`, async () => {
      const plain = await run(request);
      const withStop = await run({ ...request, stop: never });
      expect(plain.tokens).toEqual(withStop.tokens);
      expect(plain.finish).toEqual(withStop.finish);
    });
  }

  test("a stop token id ends it, its text only with includeStopInOutput", async () => {
    const first = (await run({ maxTokens: 8, ignoreEos: true })).tokens[2]?.id ?? 0;
    for (const includeStopInOutput of [false, true]) {
      const request = { maxTokens: 8, ignoreEos: true, stopTokenIds: [first], includeStopInOutput };
      const plain = await run(request);
      const withStop = await run({ ...request, stop: never });
      expect(plain.finish).toMatchObject({ reason: "stop", stop: first });
      expect(plain.tokens).toEqual(withStop.tokens);
    }
  });
});

describe("steps taken synchronously (ReadySteps)", () => {
  const request = { promptIds: prompt, maxTokens: 5, ignoreEos: true, seed: 3, logprobs: 2 };

  /** Drains a run through nextReady, awaiting next() only when a step must wait. */
  async function drain(run: AsyncIterator<GenerationEvent>) {
    const ready = readySteps(run);
    const events: GenerationEvent[] = [];
    let waited = 0;
    for (;;) {
      let result = ready?.nextReady();
      if (result === undefined) {
        waited += 1;
        result = await run.next();
      }
      if (result.done) return { events, waited };
      events.push(result.value);
    }
  }

  test("an unpaced run gives the same events with no wait, then done", async () => {
    const expected = await collect(
      createSimpleEngine({ clock: realClock, model }).generate(request),
    );
    const metrics = new EngineMetrics(model.maxModelLen);
    const run = createSimpleEngine({ clock: realClock, model, metrics })
      .generate(request)
      [Symbol.asyncIterator]();
    const { events, waited } = await drain(run);
    expect(waited).toBe(0);
    expect(events.filter((e) => e.type === "token")).toEqual(expected.tokens);
    expect(events.at(-1)).toEqual(expected.finish);
    // Metered as a run consumed with next(): finished, not running.
    expect(metrics.requestSuccess).toEqual({ stop: 0, length: 1, abort: 0 });
    expect(metrics.running).toBe(0);
  });

  test("a paced step is left to next(); after it steps are ready again only when unpaced", async () => {
    const clock = new ManualClock();
    const engine = createSimpleEngine({ clock, model, interTokenMs: 10 });
    const run = engine.generate(request)[Symbol.asyncIterator]();
    const ready = readySteps(run);
    // No time to first token: the first step is ready, the second waits the inter-token gap.
    expect(ready?.nextReady()).toMatchObject({ done: false, value: { type: "token" } });
    expect(ready?.nextReady()).toBeUndefined();
    const waiting = run.next();
    // A call while a step waits is never taken synchronously.
    expect(ready?.nextReady()).toBeUndefined();
    await clock.advance(10);
    expect(await waiting).toMatchObject({ done: false, value: { type: "token" } });
    await run.return?.();
    expect(ready?.nextReady()).toEqual({ done: true, value: undefined });
  });

  test("closeNow after the finish closes the run as return() would, with no promise", async () => {
    const metrics = new EngineMetrics(model.maxModelLen);
    const run = createSimpleEngine({ clock: realClock, model, metrics })
      .generate(request)
      [Symbol.asyncIterator]();
    const ready = readySteps(run);
    let last = ready?.nextReady();
    while (last !== undefined && !last.done && last.value.type !== "finish") {
      last = ready?.nextReady();
    }
    expect(last).toMatchObject({ done: false, value: { type: "finish", reason: "length" } });
    ready?.closeNow?.();
    expect(metrics.requestSuccess).toEqual({ stop: 0, length: 1, abort: 0 });
    expect(metrics.running).toBe(0);
    expect(await run.next()).toEqual({ done: true, value: undefined });
  });

  test("closeNow while a paced step waits is refused (return() queues behind the wait)", async () => {
    const clock = new ManualClock();
    const run = createSimpleEngine({ clock, model, interTokenMs: 10 })
      .generate(request)
      [Symbol.asyncIterator]();
    const ready = readySteps(run);
    ready?.nextReady();
    const waiting = run.next();
    expect(() => ready?.closeNow?.()).toThrow("closeNow while a paced step waits");
    await clock.advance(10);
    await waiting;
    await run.return?.();
  });

  test("a run started with no signal takes one late (lateSignal, watch) and aborts on it", async () => {
    const clock = new ManualClock();
    const engine = createSimpleEngine({ clock, model, interTokenMs: 10 });
    expect(engine.lateSignal).toBe(true);
    const run = engine.generate(request)[Symbol.asyncIterator]();
    const ready = readySteps(run);
    expect(ready?.nextReady()).toMatchObject({ done: false, value: { type: "token" } });
    expect(ready?.nextReady()).toBeUndefined();
    const client = new AbortController();
    ready?.watch?.(client.signal);
    const waiting = run.next();
    client.abort();
    expect(await waiting).toMatchObject({
      done: false,
      value: { type: "finish", reason: "abort" },
    });
  });

  test("a failing step throws, ends the run and leaves the running count", () => {
    const broken: ModelSpec = {
      ...model,
      tokenizer: {
        ...model.tokenizer,
        decode: () => {
          throw new Error("decoder broke");
        },
      },
    };
    const metrics = new EngineMetrics(model.maxModelLen);
    const run = createSimpleEngine({ clock: realClock, model: broken, metrics })
      .generate(request)
      [Symbol.asyncIterator]();
    expect(() => readySteps(run)?.nextReady()).toThrow("decoder broke");
    expect(readySteps(run)?.nextReady()).toEqual({ done: true, value: undefined });
    expect(metrics.running).toBe(0);
  });

  test("drainNow gives the events' text and finish and meters as taking every step would", async () => {
    // The same cases the events are pinned on: plain, EOS, stop strings (held back and cut), a
    // stop token, min_tokens, forced text, echo, an empty budget. Metrics are read on a manual
    // clock, so each run's observations are exact.
    const variants: (Partial<GenerationRequest> & { maxTokens: number })[] = [
      { maxTokens: 16, temperature: 0 },
      { maxTokens: 200 },
      { maxTokens: 40, seed: 5, temperature: 0.7, stop: ["e"], ignoreEos: true },
      { maxTokens: 40, seed: 5, stop: [" the"], includeStopInOutput: true, ignoreEos: true },
      { maxTokens: 40, seed: 5, stopTokenIds: [prompt[1] as number, 13], minTokens: 2 },
      { maxTokens: 30, forcedText: '{"a": 1}' },
      { maxTokens: 30, mode: "echo" },
      { maxTokens: 0 },
    ];
    const random = () => 0.5;
    for (const variant of variants) {
      const full = { promptIds: prompt, ...variant };
      const stepped = new EngineMetrics(model.maxModelLen);
      const expected = await collect(
        createSimpleEngine({ clock: new ManualClock(), model, metrics: stepped, random }).generate(
          full,
        ),
      );
      const drained = new EngineMetrics(model.maxModelLen);
      const run = createSimpleEngine({ clock: new ManualClock(), model, metrics: drained, random })
        .generate(full)
        [Symbol.asyncIterator]();
      expect(readySteps(run)?.drainNow?.()).toEqual({
        text: expected.text,
        finish: expected.finish,
      });
      expect(drained).toEqual(stepped);
      expect(drained.running).toBe(0);
      // Drained runs are closed: nothing more, and a second drain takes nothing.
      expect(readySteps(run)?.drainNow?.()).toBeUndefined();
      expect(await run.next()).toEqual({ done: true, value: undefined });
    }
  });

  test("drainNow meters its tokens as leaving together: one clock read, no gap between them", () => {
    // The tokens of a drain go out in one answer with no turn of the event loop between them, so
    // each inter-token observation is 0 s (what a run on a clock that does not move gives).
    const metrics = new EngineMetrics(model.maxModelLen);
    const run = createSimpleEngine({ clock: realClock, model, metrics })
      .generate({ promptIds: prompt, maxTokens: 16, ignoreEos: true })
      [Symbol.asyncIterator]();
    expect(readySteps(run)?.drainNow?.()?.finish.completionTokens).toBe(16);
    expect(metrics.interTokenLatency.count).toBe(15);
    expect(metrics.interTokenLatency.sum).toBe(0);
    expect(metrics.timeToFirstToken.count).toBe(1);
    expect(metrics.generationTokens).toBe(16);
    expect(metrics.requestSuccess).toEqual({ stop: 0, length: 1, abort: 0 });
  });

  test("drainNow takes nothing from a paced run, and ends an aborted one with abort", async () => {
    const clock = new ManualClock();
    const paced = createSimpleEngine({ clock, model, timeToFirstTokenMs: 5 })
      .generate(request)
      [Symbol.asyncIterator]();
    expect(readySteps(paced)?.drainNow?.()).toBeUndefined();
    // Nothing was taken: the run still gives all its events.
    const rest = collect({ [Symbol.asyncIterator]: () => paced });
    await clock.advance(10);
    expect((await rest).tokens).toHaveLength(5);

    const client = new AbortController();
    client.abort();
    const aborted = createSimpleEngine({ clock: realClock, model })
      .generate(request, { signal: client.signal })
      [Symbol.asyncIterator]();
    expect(readySteps(aborted)?.drainNow?.()).toMatchObject({
      text: "",
      finish: { type: "finish", reason: "abort", completionTokens: 0 },
    });
  });

  test("a failing drain throws, ends the run and leaves the running count", () => {
    const broken: ModelSpec = {
      ...model,
      tokenizer: {
        ...model.tokenizer,
        decode: () => {
          throw new Error("decoder broke");
        },
      },
    };
    const metrics = new EngineMetrics(model.maxModelLen);
    const run = createSimpleEngine({ clock: realClock, model: broken, metrics })
      .generate(request)
      [Symbol.asyncIterator]();
    expect(() => readySteps(run)?.drainNow?.()).toThrow("decoder broke");
    expect(readySteps(run)?.nextReady()).toEqual({ done: true, value: undefined });
    expect(metrics.running).toBe(0);
  });

  test("engines without ready steps are awaited", () => {
    const plain: AsyncIterator<GenerationEvent> = {
      next: () => Promise.resolve({ done: true, value: undefined }),
    };
    expect(readySteps(plain)).toBeUndefined();
  });
});

describe("bad requests", () => {
  test.each([
    [{ maxTokens: -1 }, /maxTokens/],
    [{ maxTokens: 1.5 }, /maxTokens/],
    [{ promptIds: [model.tokenizer.vocabSize] }, /prompt token ids/],
    [{ temperature: -0.1 }, /temperature/],
    [{ topP: 0 }, /topP/],
    [{ logprobs: -1 }, /logprobs/],
    [{ stop: [""] }, /stop/],
  ])("%o is refused at submit with GenerationRequestError", (request, message) => {
    const engine = createSimpleEngine({ clock: realClock, model });
    const call = () => engine.generate({ promptIds: prompt, maxTokens: 4, ...request });
    expect(call).toThrow(GenerationRequestError);
    expect(call).toThrow(message);
  });
});

describe("metrics", () => {
  test("each run is metered in place: TTFT, gaps, counters, finish reasons, aborts", async () => {
    // vllm-openai.md §8: TTFT from arrival, one inter-token observation per token, request_success
    // by finished_reason (EOS counts as stop), running requests.
    const clock = new ManualClock();
    const metrics = new EngineMetrics(model.maxModelLen);
    const engine = createSimpleEngine({
      clock,
      model,
      timeToFirstTokenMs: 100,
      interTokenMs: 10,
      fixedSchedule: true,
      metrics,
    });
    const events = engine.generate({ promptIds: prompt, maxTokens: 4, ignoreEos: true });
    const done = collect(events);
    await new Promise((resolve) => setImmediate(resolve));
    expect(metrics.running).toBe(1);
    await clock.advance(200);
    await done;
    expect(metrics.running).toBe(0);
    expect(metrics.timeToFirstToken.count).toBe(1);
    expect(metrics.timeToFirstToken.sum).toBeCloseTo(0.1, 9);
    expect(metrics.interTokenLatency.count).toBe(3);
    expect(metrics.interTokenLatency.sum).toBeCloseTo(0.03, 9);
    expect(metrics.requestSuccess).toEqual({ stop: 0, length: 1, abort: 0 });
    expect(metrics.generationTokens).toBe(4);
    expect(metrics.promptTokens).toBe(prompt.length);
    expect(metrics.e2eRequestLatency.sum).toBeCloseTo(0.13, 9);

    // A consumer that leaves early leaves the running count; like a vLLM client abort it adds its
    // prompt and its one token to the counters and nothing per request (vllm-project/vllm#55634,
    // #31503: aborted requests never reach the finished-request statistics).
    const early = (async () => {
      for await (const _event of engine.generate({ promptIds: prompt, maxTokens: 4 })) break;
    })();
    await new Promise((resolve) => setImmediate(resolve));
    await clock.advance(200);
    await early;
    expect(metrics.requestSuccess).toEqual({ stop: 0, length: 1, abort: 0 });
    expect(metrics.e2eRequestLatency.count).toBe(1);
    expect(metrics.promptTokens).toBe(2 * prompt.length);
    expect(metrics.generationTokens).toBe(5);
    expect(metrics.running).toBe(0);
  });
});

describe("exact output (pinned before the engine's synchronous path and memos)", () => {
  // Speed work must not change a single id, text, logprob or finish: each variant's events are
  // hashed (FNV-1a of their JSON); the values were taken from the async-generator engine.
  test("every variant gives the same events as before", async () => {
    const metaspace = await loadModelDir(
      fileURLToPath(new URL("testdata/tiny-metaspace", import.meta.url)),
    );
    const variants: Record<string, [Partial<GenerationRequest>, ModelSpec?]> = {
      greedy16: [{ temperature: 0, maxTokens: 16 }],
      greedyShortPrompt: [
        { temperature: 0, promptIds: model.tokenizer.encode("Say this is a test") },
      ],
      greedyIgnoreEos: [{ temperature: 0, ignoreEos: true, maxTokens: 200 }],
      seed1: [{ seed: 1 }],
      seed2Hot: [{ seed: 2, temperature: 1.3, topP: 0.9, topK: 40 }],
      seed3Min: [{ seed: 3, minTokens: 40, maxTokens: 80 }],
      stops: [{ seed: 4, stop: ["the", "an", ". "] }],
      stopsInclude: [{ seed: 4, stop: ["the", "an", ". "], includeStopInOutput: true }],
      stopsMin: [{ seed: 4, stop: ["e"], minTokens: 5 }],
      stopIds: [{ seed: 5, stopTokenIds: [1013, 50, 272] }],
      stopIdsInclude: [{ seed: 5, stopTokenIds: [1013, 50, 272], includeStopInOutput: true }],
      logprobsGreedy: [{ temperature: 0, logprobs: 3, maxTokens: 12 }],
      logprobsSampled: [{ seed: 6, logprobs: 5, maxTokens: 12 }],
      logprobsZero: [{ seed: 7, logprobs: 0, maxTokens: 12 }],
      echo: [{ mode: "echo", maxTokens: 30 }],
      echoIgnoreEos: [{ mode: "echo", ignoreEos: true, maxTokens: 30 }],
      forced: [{ forcedText: '{"a": "héllo 🌍", "b": [1, 2]}' }],
      forcedIgnoreEos: [{ forcedText: "🌍🌍 ok", ignoreEos: true, maxTokens: 20, seed: 8 }],
      forcedStop: [{ forcedText: "one two three four", stop: ["three"] }],
      contextCap: [{ seed: 9, maxTokens: 100_000, ignoreEos: true }],
      metaspaceGreedy: [
        { temperature: 0, promptIds: metaspace.tokenizer.encode("The cat sat on"), maxTokens: 8 },
        metaspace,
      ],
      metaspaceForced: [
        {
          forcedText: "The cat sat on",
          promptIds: metaspace.tokenizer.encode("The"),
          maxTokens: 8,
        },
        metaspace,
      ],
    };
    const hashes: Record<string, number> = {};
    for (const [name, [request, spec]] of Object.entries(variants)) {
      const engine = createSimpleEngine({
        clock: realClock,
        model: spec ?? model,
        random: () => 0.5,
      });
      const events: GenerationEvent[] = [];
      for await (const event of engine.generate({ promptIds: prompt, maxTokens: 64, ...request })) {
        events.push(event);
      }
      hashes[name] = hashString(JSON.stringify(events));
    }
    expect(hashes).toEqual({
      contextCap: 1751435389,
      echo: 2791412125,
      echoIgnoreEos: 3103625011,
      forced: 4136869850,
      forcedIgnoreEos: 69337772,
      forcedStop: 296334892,
      greedy16: 176640763,
      greedyIgnoreEos: 3513591503,
      greedyShortPrompt: 3775182495,
      logprobsGreedy: 680721201,
      logprobsSampled: 4083227885,
      logprobsZero: 1075582795,
      metaspaceForced: 2519788068,
      metaspaceGreedy: 2572693220,
      seed1: 995831769,
      seed2Hot: 1925896908,
      seed3Min: 1534543958,
      stopIds: 3179766960,
      stopIdsInclude: 3002408491,
      stops: 3635163624,
      stopsInclude: 3072482555,
      stopsMin: 1948815093,
    });
  });
});

// ReadySteps.wait (generation.ts): next() with callbacks; a paced step calls back at its time.
describe("ReadySteps.wait", () => {
  test("a paced step calls back when it is due; leaving drops a pending wait", async () => {
    const clock = new ManualClock();
    const engine = createSimpleEngine({ clock, model, timeToFirstTokenMs: 100, interTokenMs: 30 });
    const run = engine
      .generate({ promptIds: prompt, maxTokens: 3, ignoreEos: true, seed: 1 })
      [Symbol.asyncIterator]();
    const ready = readySteps(run) as ReadySteps;
    const calls: [number, string][] = [];
    const onError = () => calls.push([clock.now(), "error"]);
    ready.wait?.(
      () => calls.push([clock.now(), ready.nextReady()?.value?.type ?? "none"]),
      onError,
    );
    await clock.advance(99);
    expect(calls).toEqual([]);
    await clock.advance(1);
    expect(calls).toEqual([[100, "token"]]);
    ready.wait?.(() => calls.push([clock.now(), "late"]), onError);
    // return() waits behind the paced step (served in order), which the clock then ends.
    const left = run.return?.();
    await clock.advance(100);
    await left;
    expect(calls).toEqual([[100, "token"]]);
    expect(ready.nextReady()).toEqual({ done: true, value: undefined });
  });

  test("an abort while a paced wait sleeps calls back with the abort finish", async () => {
    const clock = new ManualClock();
    const engine = createSimpleEngine({ clock, model, interTokenMs: 30 });
    const stop = new AbortController();
    const run = engine
      .generate(
        { promptIds: prompt, maxTokens: 5, ignoreEos: true, seed: 1 },
        { signal: stop.signal },
      )
      [Symbol.asyncIterator]();
    const ready = readySteps(run) as ReadySteps;
    expect(ready.nextReady()).toMatchObject({ value: { type: "token" } }); // t = 0, unpaced first
    const finish = new Promise<IteratorResult<GenerationEvent> | undefined>((resolve, reject) =>
      ready.wait?.(() => resolve(ready.nextReady()), reject),
    );
    await clock.advance(10);
    stop.abort();
    // As next() answers an abort between tokens: the finish, counting the one token out.
    expect(await finish).toMatchObject({
      value: { type: "finish", reason: "abort", completionTokens: 1 },
    });
  });

  test("paced steps wait through the clock's callback form, or through sleep on a clock without one", async () => {
    const base = new ManualClock();
    const calls = { after: 0, sleep: 0 };
    const withAfter: Clock = {
      now: () => base.now(),
      sleep: (ms, signal) => {
        calls.sleep += 1;
        return base.sleep(ms, signal);
      },
      after: (ms, onWake, onAbort, signal) => {
        calls.after += 1;
        return base.after(ms, onWake, onAbort, signal);
      },
    };
    const sleepOnly: Clock = { now: withAfter.now, sleep: withAfter.sleep };
    const request = { promptIds: prompt, maxTokens: 4, ignoreEos: true, seed: 2 };
    const timed = async (clock: Clock) => {
      const run = createSimpleEngine({ clock, model, timeToFirstTokenMs: 50, interTokenMs: 20 })
        .generate(request)
        [Symbol.asyncIterator]();
      const ready = readySteps(run) as ReadySteps;
      const seen: [number, string][] = [];
      const start = base.now();
      for (;;) {
        const step = new Promise<IteratorResult<GenerationEvent>>((resolve, reject) =>
          ready.wait?.(() => {
            const result = ready.nextReady() as IteratorResult<GenerationEvent>;
            seen.push([base.now() - start, result.done ? "done" : result.value.type]);
            resolve(result);
          }, reject),
        );
        await base.advance(100);
        const result = await step;
        if (result.done || result.value.type === "finish") return seen;
      }
    };
    const viaAfter = await timed(withAfter);
    // One callback wait per paced step (the first token and three gaps), no promise sleep.
    expect(calls).toEqual({ after: 4, sleep: 0 });
    const viaSleep = await timed(sleepOnly);
    expect(calls).toEqual({ after: 4, sleep: 4 });
    // The same events and the same pacing (each step waits from when it is asked for).
    expect(viaAfter).toEqual([
      [50, "token"],
      [120, "token"],
      [220, "token"],
      [320, "token"],
      [400, "finish"],
    ]);
    expect(viaSleep).toEqual(viaAfter);
  });

  test("an unpaced run calls back at once with the same events as next()", async () => {
    const request = { promptIds: prompt, maxTokens: 5, seed: 3 };
    const viaNext = await collect(
      createSimpleEngine({ clock: realClock, model }).generate(request),
    );
    const run = createSimpleEngine({ clock: realClock, model })
      .generate(request)
      [Symbol.asyncIterator]();
    const ready = readySteps(run) as ReadySteps;
    const viaWait: GenerationEvent[] = [];
    for (;;) {
      const result = await new Promise<IteratorResult<GenerationEvent>>((resolve, reject) =>
        ready.wait?.(() => resolve(ready.nextReady() as IteratorResult<GenerationEvent>), reject),
      );
      if (result.done) break;
      viaWait.push(result.value);
    }
    expect(viaWait).toEqual([...viaNext.tokens, viaNext.finish]);
  });
});
