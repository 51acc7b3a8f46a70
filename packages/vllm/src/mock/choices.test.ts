/**
 * streamPieces: how a streamed answer's engine events become chunks (vllm-openai.md §6).
 */
import {
  type Clock,
  type FinishEvent,
  ManualClock,
  realClock,
  type TokenEvent,
} from "@servingkit/mock-core";
import { describe, expect, it } from "vitest";
import {
  badWordIds,
  type ChoiceResult,
  drainChoices,
  planChoices,
  runChoices,
  type StreamPiece,
  streamPieces,
} from "./choices.js";
import { parseCompletionRequest } from "./requests.js";
import { loadServedModel, startModel } from "./served-model.js";
import { readVllmSettings } from "./settings.js";

const token = (id: number, text: string): TokenEvent => ({ type: "token", id, text });
const finish = (completionTokens: number): FinishEvent => ({
  type: "finish",
  reason: "length",
  seed: 0,
  promptTokens: 3,
  completionTokens,
});
const summary = (piece: StreamPiece | undefined) =>
  piece && {
    kind: piece.kind,
    text: piece.text,
    tokens: piece.tokens.length,
    generated: piece.generated,
  };

describe("streamPieces", () => {
  // serving_completion.py: one chunk per engine output; the simple engine's token events are
  // each an output, a text going out when the next event shows it was complete.
  it("sends each token's text when the next token comes, without engine steps", () => {
    const pieces = streamPieces({ includeStopStr: false });
    expect(pieces.add(0, token(1, "a"))).toBeUndefined();
    expect(summary(pieces.add(0, token(2, "b")))).toEqual({
      kind: "text",
      text: "a",
      tokens: 1,
      generated: 1,
    });
    expect(summary(pieces.add(0, finish(2)))).toEqual({
      kind: "finish",
      text: "b",
      tokens: 1,
      generated: 2,
    });
  });

  // vllm/v1/engine/output_processor.py: one RequestOutput per engine step with all its tokens;
  // RequestOutputCollector.put merges outputs the consumer has not taken.
  it("gathers a choice's tokens until the flush under engine steps", () => {
    const pieces = streamPieces({ includeStopStr: false, outputs: "steps" });
    expect(pieces.add(0, token(1, "a"))).toBeUndefined();
    expect(pieces.add(1, token(7, "x"))).toBeUndefined();
    expect(pieces.add(0, token(2, "b"))).toBeUndefined();
    expect(pieces.add(0, token(3, "c"))).toBeUndefined();
    const flushed: StreamPiece[] = [];
    pieces.flush((piece) => flushed.push(piece));
    expect(flushed.map(summary)).toEqual([
      { kind: "text", text: "abc", tokens: 3, generated: 3 },
      { kind: "text", text: "x", tokens: 1, generated: 1 },
    ]);
    // The last step's tokens ride on the finish, which follows them at once.
    expect(pieces.add(0, token(4, "d"))).toBeUndefined();
    expect(pieces.add(0, token(5, "e"))).toBeUndefined();
    expect(summary(pieces.add(0, finish(5)))).toEqual({
      kind: "finish",
      text: "de",
      tokens: 2,
      generated: 5,
    });
  });

  it("never sends an empty text alone: a held-back token joins the next piece", () => {
    const pieces = streamPieces({ includeStopStr: false, outputs: "steps" });
    pieces.add(0, token(1, ""));
    const flushed: StreamPiece[] = [];
    pieces.flush((piece) => flushed.push(piece));
    expect(flushed).toEqual([]);
    pieces.add(0, token(2, "ab"));
    pieces.flush((piece) => flushed.push(piece));
    expect(flushed.map(summary)).toEqual([{ kind: "text", text: "ab", tokens: 2, generated: 2 }]);
  });

  // serving_completion.py: every output of one step is sent in turn (the engine hands a step's
  // outputs in its request order), so a flush sends the open choices in the order they began;
  // a finished choice is gone from later flushes, the others keep their counts.
  it("flushes the open choices in the order of their first event, a finished one no more", () => {
    const pieces = streamPieces({ includeStopStr: false, outputs: "steps" });
    pieces.add(2, token(1, "c"));
    pieces.add(0, token(2, "a"));
    pieces.add(1, token(3, "b"));
    const flushed: StreamPiece[] = [];
    pieces.flush((piece) => flushed.push(piece));
    expect(flushed.map((piece) => [piece.index, piece.text, piece.generated])).toEqual([
      [2, "c", 1],
      [0, "a", 1],
      [1, "b", 1],
    ]);
    pieces.add(0, token(4, "d"));
    expect(summary(pieces.add(0, finish(2)))).toEqual({
      kind: "finish",
      text: "d",
      tokens: 1,
      generated: 2,
    });
    pieces.add(1, token(5, "e"));
    pieces.add(2, token(6, "f"));
    flushed.length = 0;
    pieces.flush((piece) => flushed.push(piece));
    expect(flushed.map((piece) => [piece.index, piece.text, piece.generated])).toEqual([
      [2, "f", 2],
      [1, "e", 2],
    ]);
  });

  // serving_completion.py: the echoed prompt goes out with the first output.
  it("sends the initial text with the first step's tokens", () => {
    const pieces = streamPieces({
      includeStopStr: false,
      outputs: "steps",
      initialText: () => "Hi.",
    });
    pieces.add(0, token(1, " a"));
    const flushed: StreamPiece[] = [];
    pieces.flush((piece) => flushed.push(piece));
    expect(flushed.map(summary)).toEqual([
      { kind: "text", text: "Hi. a", tokens: 1, generated: 1 },
    ]);
  });
});

describe("drainChoices", () => {
  /** A served model on the simple engine, unpaced or paced by a manual clock. */
  async function modelWith(values: Record<string, string>, clock: Clock) {
    const settings = readVllmSettings({ models: [], values }, {});
    const loaded = await loadServedModel(settings, values);
    return startModel(loaded, settings, clock, {}).model;
  }
  const sampling = (n: number) =>
    parseCompletionRequest(
      { prompt: "Tell me about the sea", max_tokens: 8, n, seed: 7 },
      undefined,
    );

  it("gives the results themselves on the unpaced engine, the same as runChoices", async () => {
    const model = await modelWith({}, realClock);
    const request = sampling(3);
    const ids = model.spec.tokenizer.encode("Tell me about the sea");
    const plans = () =>
      planChoices(model, ids, request, 8, { firstIndex: 0, logprobs: undefined, parentId: "p" });
    const signal = new AbortController().signal;
    const drained = drainChoices(model, plans(), { signal });
    expect(Array.isArray(drained)).toBe(true);
    expect(drained).toEqual(await runChoices(model, plans(), signal));
    expect((drained as ChoiceResult[]).map((r) => r.index)).toEqual([0, 1, 2]);
  });

  it("gives a promise of the same results when a step must wait (a paced engine)", async () => {
    const clock = new ManualClock();
    const paced = await modelWith({ "inter-token-latency": "10" }, clock);
    const request = sampling(2);
    const ids = paced.spec.tokenizer.encode("Tell me about the sea");
    const plans = () =>
      planChoices(paced, ids, request, 8, { firstIndex: 0, logprobs: undefined, parentId: "p" });
    const signal = new AbortController().signal;
    const drained = drainChoices(paced, plans(), { signal });
    expect(drained).toBeInstanceOf(Promise);
    const expected = runChoices(paced, plans(), signal);
    for (let i = 0; i < 20; i++) await clock.advance(10);
    expect(await drained).toEqual(await expected);
  });

  /** A RunSignal that counts how often its signal is read (the fastify host makes it on first read). */
  function counting(signal: AbortSignal) {
    const source = {
      reads: 0,
      aborted: false,
      get signal() {
        source.reads += 1;
        return signal;
      },
    };
    return source;
  }

  // vllm-openai.md §9: disconnect aborts a run; a run that never waits cannot see one in between.
  it("makes no signal for runs the simple engine drains without waiting", async () => {
    const model = await modelWith({}, realClock);
    const ids = model.spec.tokenizer.encode("Tell me about the sea");
    const source = counting(new AbortController().signal);
    const drained = drainChoices(
      model,
      planChoices(model, ids, sampling(2), 8, {
        firstIndex: 0,
        logprobs: undefined,
        parentId: "p",
      }),
      source,
    ) as ChoiceResult[];
    expect(drained.map((r) => r.finish.reason)).not.toContain("abort");
    expect(source.reads).toBe(0);
  });

  it("gives a paced run its signal when a step must wait, and the signal still aborts it", async () => {
    const clock = new ManualClock();
    const paced = await modelWith({ "inter-token-latency": "10" }, clock);
    const ids = paced.spec.tokenizer.encode("Tell me about the sea");
    const client = new AbortController();
    const source = counting(client.signal);
    const drained = drainChoices(
      paced,
      planChoices(paced, ids, sampling(1), 8, {
        firstIndex: 0,
        logprobs: undefined,
        parentId: "p",
      }),
      source,
    );
    expect(drained).toBeInstanceOf(Promise);
    expect(source.reads).toBeGreaterThan(0);
    await clock.advance(10);
    client.abort();
    const [result] = await drained;
    expect(result?.finish.reason).toBe("abort");
  });

  it("runs with the signal from the start when it is already aborted", async () => {
    const model = await modelWith({}, realClock);
    const ids = model.spec.tokenizer.encode("Tell me about the sea");
    const client = new AbortController();
    client.abort();
    const [result] = drainChoices(
      model,
      planChoices(model, ids, sampling(1), 8, {
        firstIndex: 0,
        logprobs: undefined,
        parentId: "p",
      }),
      { signal: client.signal, aborted: true },
    ) as ChoiceResult[];
    expect(result?.finish.reason).toBe("abort");
    expect(result?.text).toBe("");
  });

  // Only logprobs (completionLogprobs) and best_of ranking (bestCandidates) read a result's tokens.
  it("keeps no token events without keepTokens, the same text and finish, ready or paced", async () => {
    const strip = (results: ChoiceResult[]) => results.map((r) => ({ ...r, tokens: [] }));
    const model = await modelWith({}, realClock);
    const ids = model.spec.tokenizer.encode("Tell me about the sea");
    const plans = () =>
      planChoices(model, ids, sampling(2), 8, {
        firstIndex: 0,
        logprobs: undefined,
        parentId: "p",
      });
    const signal = new AbortController().signal;
    const kept = drainChoices(model, plans(), { signal }) as ChoiceResult[];
    const bare = drainChoices(model, plans(), { signal }, false) as ChoiceResult[];
    expect(kept[0]?.tokens.length).toBeGreaterThan(0);
    expect(bare.map((r) => r.tokens.length)).toEqual([0, 0]);
    expect(bare).toEqual(strip(kept));

    const clock = new ManualClock();
    const paced = await modelWith({ "inter-token-latency": "10" }, clock);
    const pacedPlans = () =>
      planChoices(paced, ids, sampling(1), 8, {
        firstIndex: 0,
        logprobs: undefined,
        parentId: "p",
      });
    const drained = drainChoices(paced, pacedPlans(), { signal }, false);
    expect(drained).toBeInstanceOf(Promise);
    for (let i = 0; i < 20; i++) await clock.advance(10);
    const settled = await drained;
    expect(settled[0]?.tokens).toEqual([]);
    expect(settled[0]?.text).toBe(kept[0]?.text);
  });
});

describe("bad_words", () => {
  const model = async () => {
    const values = {};
    const settings = readVllmSettings({ models: [], values }, {});
    return startModel(await loadServedModel(settings, values), settings, realClock, {}).model;
  };

  it("tokenizes each word bare and after a space, as update_from_tokenizer does", async () => {
    // vllm sampling_params.py update_from_tokenizer: `bad_word.lstrip()` encoded without special
    // tokens, then " " + it when as long and beginning with another token.
    const { spec } = await model();
    const encode = (text: string) => spec.tokenizer.encode(text, { addSpecialTokens: false });
    expect(badWordIds(spec, ["model", "Good tests"])).toEqual([
      encode("model"),
      encode(" model"),
      encode("Good tests"),
      encode(" Good tests"),
    ]);
    expect(badWordIds(spec, ["  model"])).toEqual(badWordIds(spec, ["model"]));
    // vLLM's quirk kept: "river" is two tokens bare and one (" river") spaced, so only the bare
    // form is refused and " river" mid-text stays allowed (the lengths differ).
    expect(encode("river")).toHaveLength(2);
    expect(badWordIds(spec, ["river"])).toEqual([encode("river")]);
  });

  it("hands every choice's engine request the sequences, none without bad_words", async () => {
    const served = await model();
    const ids = served.spec.tokenizer.encode("Tell me about the sea");
    const plan = (body: object) =>
      planChoices(served, ids, parseCompletionRequest({ prompt: "x", ...body }), 8, {
        firstIndex: 0,
        logprobs: undefined,
        parentId: "p",
      });
    const plans = plan({ bad_words: ["the", "river"], n: 2, seed: 1 });
    const expected = badWordIds(served.spec, ["the", "river"]);
    expect(plans.map((p) => p.request.badWords)).toEqual([expected, expected]);
    expect(plan({}).map((p) => p.request.badWords)).toEqual([undefined]);
  });
});
