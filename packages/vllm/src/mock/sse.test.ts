import type { ReadySteps, StreamPush, StreamSink } from "@servingkit/mock-core";
import { describe, expect, it } from "vitest";
import { modelNotFound } from "./errors.js";
import { profileFor } from "./profiles.js";
import {
  responsesEnding,
  sseDone,
  sseEvent,
  sseFrames,
  sseStream,
  textFrames,
  textHole,
} from "./sse.js";

async function collect(frames: AsyncIterable<string>): Promise<string> {
  let text = "";
  for await (const frame of frames) text += frame;
  return text;
}

async function* failing(): AsyncGenerator<object> {
  yield { a: 1 };
  throw modelNotFound("m");
}

describe("sseFrames", () => {
  // vllm-openai.md §6: data: <compact JSON>\n\n per event, data: [DONE]\n\n at the end.
  it("frames chunks and ends with [DONE]", async () => {
    async function* two() {
      yield { a: 1 };
      yield { b: [2] };
    }
    expect(await collect(sseFrames(profileFor("0.12.0"), two()))).toBe(
      'data: {"a":1}\n\ndata: {"b":[2]}\n\ndata: [DONE]\n\n',
    );
  });

  // vllm-openai.md §3: after the 200 headers an error is one data: event, then [DONE]; old
  // versions wrap the flat object under "error", newer send the nested envelope. serving_engine.py
  // create_streaming_error_response writes it with json.dumps (", " and ": " separators) in every
  // release checked (v0.4-era `json.dumps({"error": ...})`, vllm 00b6063, the GenerationError
  // releases' serving_engine.py); serving_chat.py and serving_completion.py then yield [DONE].
  it("sends a mid-stream error as one event in the era's shape", async () => {
    expect(await collect(sseFrames(profileFor("0.12.0"), failing()))).toBe(
      'data: {"a":1}\n\ndata: {"error": {"message": "The model `m` does not exist.", "type": "NotFoundError", "param": null, "code": 404}}\n\ndata: [DONE]\n\n',
    );
    expect(await collect(sseFrames(profileFor("0.9.0"), failing()))).toBe(
      'data: {"a":1}\n\ndata: {"error": {"object": "error", "message": "The model `m` does not exist.", "type": "NotFoundError", "param": null, "code": 404}}\n\ndata: [DONE]\n\n',
    );
  });

  // The iterated form of a Responses stream (api_router.py adds no [DONE]; a mid-stream error
  // leaves responses_stream_generator, see the piped test): no [DONE], a VllmError rejects.
  it("ends a Responses stream with no [DONE] and lets a VllmError through", async () => {
    const step = (chunk: object, emit: (frame: string) => void) => emit(sseEvent(chunk));
    async function* one() {
      yield { a: 1 };
    }
    const iterate = (events: AsyncIterable<object>) =>
      collect(sseStream(profileFor("0.12.0"), events, step, undefined, undefined, responsesEnding));
    expect(await iterate(one())).toBe('data: {"a":1}\n\n');
    await expect(iterate(failing())).rejects.toThrow("The model `m` does not exist.");
  });

  // Python's json.dumps escapes non-ASCII (ensure_ascii), as create_streaming_error_response
  // writes the error event; the SDK reads the same text back.
  it("writes a non-ASCII error message as json.dumps does", async () => {
    async function* unknown(): AsyncGenerator<object> {
      yield* [];
      throw modelNotFound("modèle");
    }
    const text = await collect(sseFrames(profileFor("0.12.0"), unknown()));
    expect(text).toBe(
      'data: {"error": {"message": "The model `mod\\u00e8le` does not exist.", "type": "NotFoundError", "param": null, "code": 404}}\n\ndata: [DONE]\n\n',
    );
    const payload = JSON.parse(text.split("\n\n")[0]?.slice("data: ".length) ?? "");
    expect(payload.error.message).toBe("The model `modèle` does not exist.");
  });

  it("lets other failures through (the host cuts the connection)", async () => {
    async function* broken(): AsyncGenerator<object> {
      yield* [];
      throw new Error("boom");
    }
    await expect(collect(sseFrames(profileFor("0.12.0"), broken()))).rejects.toThrow("boom");
  });
});

describe("sseStream", () => {
  async function* numbers(count: number, fail?: Error): AsyncGenerator<number> {
    for (let i = 0; i < count; i++) yield i;
    if (fail) throw fail;
  }

  // vllm-openai.md §6: one data: event per chunk, each its own write, then the end chunks and
  // [DONE]; an event may make no frame (a held-back text) or several (chat's role chunks).
  it("writes each emitted frame in order, then the end frames and [DONE]", async () => {
    const frames: string[] = [];
    for await (const frame of sseStream(
      profileFor("0.12.0"),
      numbers(3),
      (n, emit) => {
        for (let i = 0; i < n; i++) emit(sseEvent({ n, i }));
      },
      (emit) => emit(sseEvent({ usage: 1 })),
    )) {
      frames.push(frame);
    }
    expect(frames).toEqual([
      'data: {"n":1,"i":0}\n\n',
      'data: {"n":2,"i":0}\n\n',
      'data: {"n":2,"i":1}\n\n',
      'data: {"usage":1}\n\n',
      sseDone,
    ]);
  });

  // vllm-openai.md §3: a VllmError after the headers, from the events or from making a frame, is
  // one error event then [DONE]; leaving the step by a throw closes the events.
  it("turns a VllmError of a step into the error event and closes the events", async () => {
    let closed = false;
    async function* events(): AsyncGenerator<number> {
      try {
        yield* numbers(5);
      } finally {
        closed = true;
      }
    }
    const text = await collect(
      sseStream(profileFor("0.12.0"), events(), (n, emit) => {
        if (n === 1) throw modelNotFound("m");
        emit(sseEvent({ n }));
      }),
    );
    expect(text).toBe(
      'data: {"n":0}\n\ndata: {"error": {"message": "The model `m` does not exist.", "type": "NotFoundError", "param": null, "code": 404}}\n\ndata: [DONE]\n\n',
    );
    expect(closed).toBe(true);
    await expect(
      collect(sseStream(profileFor("0.12.0"), numbers(1, new Error("boom")), () => {})),
    ).rejects.toThrow("boom");
  });

  // abort on disconnect (vllm-openai.md §6: vLLM aborts the request when the client leaves).
  it("closes the events when the reader leaves early", async () => {
    let closed = false;
    async function* endless(): AsyncGenerator<number> {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    }
    const stream = sseStream(profileFor("0.12.0"), endless(), (n, emit) => emit(`${n}`));
    const iterator = stream[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ done: false, value: "0" });
    expect(await iterator.return?.()).toEqual({ done: true, value: undefined });
    expect(closed).toBe(true);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });
});

describe("sseStream's events", () => {
  // A generator's body starts at its first next: an engine that refuses its run when opened
  // (GenerationRequestError) rejects that next, and nothing is opened before it.
  it("are opened at the first next, and a refusal there rejects it", async () => {
    let opened = 0;
    const refusing: AsyncIterable<number> = {
      [Symbol.asyncIterator]() {
        opened += 1;
        throw new RangeError("bad request");
      },
    };
    const iterator = sseStream(profileFor("0.12.0"), refusing, () => {})[Symbol.asyncIterator]();
    expect(opened).toBe(0);
    await expect(iterator.next()).rejects.toThrow("bad request");
    expect(opened).toBe(1);
  });
});

describe("sseStream with a source that has ready steps", () => {
  /** Events 0..count-1; `gaps` are the indexes whose event must be awaited (not ready). */
  function source(count: number, gaps: ReadonlySet<number>) {
    let at = 0;
    let awaited = 0;
    const result = (): IteratorResult<number> =>
      at < count ? { done: false, value: at++ } : { done: true, value: undefined };
    const run: AsyncIterableIterator<number> & ReadySteps<number> = {
      [Symbol.asyncIterator]: () => run,
      next() {
        awaited += 1;
        return Promise.resolve(result());
      },
      nextReady: () => (gaps.has(at) ? undefined : result()),
    };
    return { run, awaited: () => awaited };
  }

  // vllm-openai.md §6: one chunk per engine output as it comes; what is ready at once is framed
  // in the same turn, and when nothing is, `idle` may send what the steps held back.
  it("takes ready events without a next each and calls idle when none is ready", async () => {
    const { run, awaited } = source(5, new Set([2, 4]));
    const log: string[] = [];
    const frames: string[] = [];
    for await (const frame of sseStream(
      profileFor("0.12.0"),
      run,
      (n, emit) => {
        log.push(`step ${n}`);
        emit(`${n};`);
      },
      (emit) => emit("end;"),
      (emit) => {
        log.push("idle");
        emit("idle;");
      },
    )) {
      frames.push(frame);
    }
    expect(log).toEqual(["step 0", "step 1", "idle", "step 2", "step 3", "idle", "step 4"]);
    expect(frames.join("")).toBe(`0;1;idle;2;3;idle;4;end;${sseDone}`);
    // Only the first event and the two that were not ready were awaited.
    expect(awaited()).toBe(3);
  });

  it("never calls idle for a source without ready steps", async () => {
    async function* two(): AsyncGenerator<number> {
      yield 0;
      yield 1;
    }
    let idles = 0;
    const frames: string[] = [];
    for await (const frame of sseStream(
      profileFor("0.12.0"),
      two(),
      (n, emit) => emit(`${n};`),
      undefined,
      () => {
        idles += 1;
      },
    )) {
      frames.push(frame);
    }
    expect(frames).toEqual(["0;", "1;", sseDone]);
    expect(idles).toBe(0);
  });

  // vllm-openai.md §3: a failing ready step ends the stream with the error event, as an awaited one.
  it("turns a VllmError of a ready step into the error event", async () => {
    let at = 0;
    const run: AsyncIterableIterator<number> & ReadySteps<number> = {
      [Symbol.asyncIterator]: () => run,
      next: () => Promise.resolve({ done: false, value: at++ }),
      nextReady() {
        throw modelNotFound("m");
      },
    };
    const text = await collect(sseStream(profileFor("0.12.0"), run, (n, emit) => emit(`${n};`)));
    expect(text).toBe(
      '0;data: {"error": {"message": "The model `m` does not exist.", "type": "NotFoundError", "param": null, "code": 404}}\n\ndata: [DONE]\n\n',
    );
  });
});

describe("sseStream with a source that waits by callbacks (ReadySteps.wait)", () => {
  /**
   * Events 0..count-1, each after a turn of the event loop (as an engine step calls back); `next`
   * counts its calls. `failAt`: the wait for that event fails with a VllmError.
   */
  function waiting(count: number, failAt?: number) {
    let at = 0;
    let nexts = 0;
    let returned = 0;
    let due = false;
    const run: AsyncIterableIterator<number> & ReadySteps<number> = {
      [Symbol.asyncIterator]: () => run,
      next() {
        nexts += 1;
        return Promise.resolve({ done: true, value: undefined });
      },
      nextReady() {
        if (!due) return undefined;
        due = false;
        return at < count ? { done: false, value: at++ } : { done: true, value: undefined };
      },
      wait(onReady, onError) {
        setImmediate(() => {
          if (at === failAt) onError(modelNotFound("m"));
          else {
            due = true;
            onReady();
          }
        });
      },
      return() {
        returned += 1;
        return Promise.resolve({ done: true, value: undefined });
      },
    };
    return { run, nexts: () => nexts, returned: () => returned };
  }

  // vllm-openai.md §6: one chunk per engine output; the source's callbacks replace its next().
  it("frames every event through wait, never calling next", async () => {
    const { run, nexts } = waiting(3);
    const text = await collect(
      sseStream(
        profileFor("0.12.0"),
        run,
        (n, emit) => emit(`${n};`),
        (emit) => emit("end;"),
      ),
    );
    expect(text).toBe(`0;1;2;end;${sseDone}`);
    expect(nexts()).toBe(0);
  });

  // vllm-openai.md §3: an error after the headers is one error event, then [DONE].
  it("turns a VllmError from onError into the error event", async () => {
    const { run } = waiting(3, 1);
    const text = await collect(sseStream(profileFor("0.12.0"), run, (n, emit) => emit(`${n};`)));
    expect(text).toBe(
      '0;data: {"error": {"message": "The model `m` does not exist.", "type": "NotFoundError", "param": null, "code": 404}}\n\ndata: [DONE]\n\n',
    );
  });

  it("leaving while a wait waits ends the waiting next and closes the source", async () => {
    const { run, returned } = waiting(3);
    const frames = sseStream(profileFor("0.12.0"), run, (n, emit) => emit(`${n};`))[
      Symbol.asyncIterator
    ]();
    const pending = frames.next();
    expect(await frames.return?.()).toEqual({ done: true, value: undefined });
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(returned()).toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await frames.next()).toEqual({ done: true, value: undefined });
  });
});

describe("textFrames", () => {
  // The template's frames are the bytes sseEvent writes for the whole chunk (vllm-openai.md §6).
  it("writes what sseEvent writes for the chunk with the text in the hole", () => {
    const chunk = (text: string) => ({ id: "cmpl-1", choices: [{ index: 0, text }], usage: null });
    const frame = textFrames(chunk(textHole));
    for (const text of ["", "Hi", ' "quoted"\n\\', "\u2028é\u0000", textHole]) {
      expect(frame(text)).toBe(sseEvent(chunk(text)));
    }
  });

  it("needs exactly one hole", () => {
    expect(() => textFrames({ a: 1 })).toThrow("one hole");
    expect(() => textFrames({ a: textHole, b: textHole })).toThrow("one hole");
  });
});

describe("sseStream piped (mock-core's push form, as the fastify host writes it)", () => {
  /** A sink that records what the stream does; `room`: writes answered true before a false. */
  function recorder(room = Number.POSITIVE_INFINITY) {
    const log: string[] = [];
    const sink: StreamSink = {
      write: (chunk) => {
        log.push(String(chunk));
        room -= 1;
        return room >= 0;
      },
      end: () => log.push("<end>"),
      fail: (error) => log.push(`<fail ${(error as Error).message}>`),
    };
    return { sink, log, more: (n: number) => (room = n) };
  }

  /** Events 0..count-1 through `wait`, each after a turn (an engine step's callback). */
  function waited(count: number) {
    let at = 0;
    let due = false;
    const calls = { nexts: 0, waits: 0, returned: 0 };
    const run: AsyncIterableIterator<number> & ReadySteps<number> = {
      [Symbol.asyncIterator]: () => run,
      next() {
        calls.nexts += 1;
        return Promise.resolve({ done: true, value: undefined });
      },
      nextReady() {
        if (!due) return undefined;
        due = false;
        return at < count ? { done: false, value: at++ } : { done: true, value: undefined };
      },
      wait(onReady) {
        calls.waits += 1;
        setImmediate(() => {
          due = true;
          onReady();
        });
      },
      return() {
        calls.returned += 1;
        return Promise.resolve({ done: true, value: undefined });
      },
    };
    return { run, calls };
  }

  const turns = async (n: number) => {
    for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
  };

  // vllm-openai.md §6: one data: event per chunk, each its own write, then [DONE].
  it("writes the frames, [DONE] and the end into the sink: the iterator's bytes", async () => {
    async function* two() {
      yield { a: 1 };
      yield { b: [2] };
    }
    const { sink, log } = recorder();
    sseFrames(profileFor("0.12.0"), two()).pushTo(sink);
    await expect.poll(() => log.at(-1)).toBe("<end>");
    expect(log).toEqual(['data: {"a":1}\n\n', 'data: {"b":[2]}\n\n', sseDone, "<end>"]);
  });

  // vllm-openai.md §3: after the 200 headers an error is one data: event, then [DONE].
  it("sends a VllmError as the era's error event; other failures fail the sink", async () => {
    const vllm = recorder();
    sseFrames(profileFor("0.12.0"), failing()).pushTo(vllm.sink);
    await expect.poll(() => vllm.log.at(-1)).toBe("<end>");
    expect(vllm.log).toEqual([
      'data: {"a":1}\n\n',
      'data: {"error": {"message": "The model `m` does not exist.", "type": "NotFoundError", "param": null, "code": 404}}\n\n',
      sseDone,
      "<end>",
    ]);
    async function* broken(): AsyncGenerator<object> {
      yield { a: 1 };
      throw new Error("boom");
    }
    const other = recorder();
    sseFrames(profileFor("0.12.0"), broken()).pushTo(other.sink);
    await expect.poll(() => other.log.at(-1)).toBe("<fail boom>");
    expect(other.log).toEqual(['data: {"a":1}\n\n', "<fail boom>"]);
  });

  // responses/api_router.py `_convert_stream_to_sse_events` adds no [DONE]; serving_responses.py
  // `responses_stream_generator` (vllm 00b6063; GenerationError's TypeAdapter validation against
  // protocol.py StreamingResponsesResponse, which has no error event, in later releases) lets a
  // mid-stream error leave the generator: Starlette drops the connection, no error event.
  it("ends a Responses stream with no [DONE]; a VllmError fails the sink like any error", async () => {
    const step = (chunk: object, emit: (frame: string) => void) => emit(sseEvent(chunk));
    async function* two() {
      yield { a: 1 };
      yield { b: 2 };
    }
    const ended = recorder();
    sseStream(profileFor("0.12.0"), two(), step, undefined, undefined, responsesEnding).pushTo(
      ended.sink,
    );
    await expect.poll(() => ended.log.at(-1)).toBe("<end>");
    expect(ended.log).toEqual(['data: {"a":1}\n\n', 'data: {"b":2}\n\n', "<end>"]);
    const failed = recorder();
    sseStream(profileFor("0.12.0"), failing(), step, undefined, undefined, responsesEnding).pushTo(
      failed.sink,
    );
    await expect.poll(() => failed.log.at(-1)).toBe("<fail The model `m` does not exist.>");
    expect(failed.log).toEqual(['data: {"a":1}\n\n', "<fail The model `m` does not exist.>"]);
  });

  // The events open at pushTo, as at a generator's first next; a refusal there fails the sink.
  it("opens the events at pushTo; a refusal fails the sink", () => {
    const refusing: AsyncIterable<number> = {
      [Symbol.asyncIterator]() {
        throw new RangeError("bad request");
      },
    };
    const { sink, log } = recorder();
    sseStream(profileFor("0.12.0"), refusing, () => {}).pushTo(sink);
    expect(log).toEqual(["<fail bad request>"]);
  });

  it("reads a waiting source through wait only, with end frames and [DONE]", async () => {
    const { run, calls } = waited(3);
    const { sink, log } = recorder();
    sseStream(
      profileFor("0.12.0"),
      run,
      (n, emit) => emit(`${n};`),
      (emit) => emit("end;"),
    ).pushTo(sink);
    await expect.poll(() => log.at(-1)).toBe("<end>");
    expect(log).toEqual(["0;", "1;", "2;", "end;", sseDone, "<end>"]);
    expect([calls.nexts, calls.waits]).toEqual([0, 4]);
  });

  // Back-pressure (rest-route-table.ts writeStreamBody): a full sink holds the events back.
  it("reads no event while the sink is full, and goes on at resume", async () => {
    const { run, calls } = waited(3);
    const { sink, log, more } = recorder(0);
    const push = sseStream(profileFor("0.12.0"), run, (n, emit) => emit(`${n};`)).pushTo(sink);
    await turns(5);
    expect([log, calls.waits]).toEqual([["0;"], 1]);
    more(Number.POSITIVE_INFINITY);
    push.resume();
    await expect.poll(() => log.at(-1)).toBe("<end>");
    expect(log).toEqual(["0;", "1;", "2;", sseDone, "<end>"]);
  });

  // The client left (the host's close): the events are closed and the sink hears no more.
  it("close while a wait waits closes the source and calls the sink no more", async () => {
    const { run, calls } = waited(3);
    const { sink, log } = recorder();
    const push = sseStream(profileFor("0.12.0"), run, (n, emit) => emit(`${n};`)).pushTo(sink);
    await turns(1);
    expect(log).toEqual(["0;"]);
    push.close();
    await turns(5);
    expect([log, calls.returned]).toEqual([["0;"], 1]);
  });

  it("a write that closes the push (a cut-after fault) stops at once", async () => {
    const { run, calls } = waited(3);
    const log: string[] = [];
    let push: StreamPush | undefined;
    const sink: StreamSink = {
      write: (chunk) => {
        log.push(String(chunk));
        if (log.length === 2) push?.close();
        return true;
      },
      end: () => log.push("<end>"),
      fail: () => log.push("<fail>"),
    };
    push = sseStream(profileFor("0.12.0"), run, (n, emit) => emit(`${n};`)).pushTo(sink);
    await turns(10);
    expect([log, calls.returned]).toEqual([["0;", "1;"], 1]);
  });
});
