/**
 * vLLM's SSE framing (vllm-openai.md §6): every event is `data: <compact JSON>\n\n`, no `event:`
 * lines or comments, and the stream always ends with `data: [DONE]\n\n`. An error after the 200
 * headers becomes one `data:` event with the error payload of the profile's era, then `[DONE]`
 * (§3). A Responses stream ends otherwise ({@link responsesEnding}): no `[DONE]`, and no error
 * event either (the connection drops).
 */
import { randomUUID } from "node:crypto";
import {
  type PushStreamBody,
  type ReadySteps,
  readySteps,
  type StreamPush,
  type StreamSink,
} from "@servingkit/mock-core";
import { pyJsonDumps } from "./anthropic-messages.js";
import { streamErrorPayload, VllmError } from "./errors.js";
import type { VllmProfile } from "./profiles.js";
import { wireJson } from "./wire-json.js";

/** One SSE event's bytes. */
export function sseEvent(payload: object | string): string {
  return `data: ${typeof payload === "string" ? payload : wireJson(payload)}\n\n`;
}

/**
 * The usage chunk a chat or completions stream ends with under `stream_options.include_usage`
 * (`choices: []`). It is dumped with exclude_none, so `system_fingerprint` is there only when the
 * server stamps one (vLLM PR #40537, 0.21.0).
 */
export function sseUsageEvent(
  id: string,
  object: string,
  created: number,
  model: string,
  usage: object,
  fingerprint: string | null,
): string {
  return sseEvent(
    fingerprint === null
      ? { id, object, created, model, choices: [], usage }
      : { id, object, created, model, choices: [], usage, system_fingerprint: fingerprint },
  );
}

/** The terminator vLLM sends after every stream. */
export const sseDone = "data: [DONE]\n\n";

/**
 * The error event of a chat or completions stream (vllm-openai.md §3): the era's payload as
 * serving_engine.py `create_streaming_error_response` writes it, with Python's `json.dumps`
 * defaults (`", "` and `": "` separators, non-ASCII as `\uXXXX`; every release from the flat
 * `json.dumps({"error": ...model_dump()})` to the nested `json.dumps(...model_dump())`), unlike
 * the chunks (pydantic's compact `model_dump_json`).
 */
export function sseErrorEvent(profile: VllmProfile, error: VllmError): string {
  return `data: ${pyJsonDumps(streamErrorPayload(profile, error))}\n\n`;
}

/**
 * How a stream ends, per API: what follows the last event, and what a {@link VllmError} after the
 * 200 headers becomes.
 */
export interface SseEnding {
  /** The frame after the last event (and after an error event); undefined: none. */
  readonly done: string | undefined;
  /**
   * true: a VllmError becomes the era's error event, then `done`. false: it fails the stream as
   * any other error does (the host drops the connection after the frames written).
   */
  readonly errorEvent: boolean;
}

/**
 * Chat and completions (vllm-openai.md §3, §6; serving_chat.py and serving_completion.py stream
 * generators: `except GenerationError` / `except Exception` yield one `data:` error event, then
 * `data: [DONE]`): the default of {@link sseStream}.
 */
export const chatEnding: SseEnding = Object.freeze({ done: sseDone, errorEvent: true });

/**
 * The Responses stream (responses/api_router.py `_convert_stream_to_sse_events` adds nothing after
 * the generator's last event). serving_responses.py `responses_stream_generator` catches no error
 * at vllm 00b6063 (≈0.11), and where it catches GenerationError (later releases) it validates the
 * `{"error": {...}}` JSON against protocol.py `StreamingResponsesResponse`, a union of event
 * models with no error event, which raises again: either way the exception leaves the
 * generator after the 200 headers and Starlette drops the connection, no event and no end.
 */
export const responsesEnding: SseEnding = Object.freeze({ done: undefined, errorEvent: false });

/** Hands one finished SSE frame to the stream (see {@link sseStream}). */
export type EmitFrame = (frame: string) => void;

/**
 * A stream's SSE frames from its events: `step` turns each event into zero or more frames (each
 * one write, in order), `end` adds the frames after the last event (a usage chunk), then
 * `[DONE]`. Events the source has ready at once (mock-core `readySteps`) are taken in the same
 * turn, without a promise each; when it has none ready (the next one needs the engine's next
 * step), `idle` may emit what the steps held back, so a step's text goes out when the step ends.
 * A source with `wait` (mock-core ReadySteps: the GPU text engine) is waited on through its
 * callbacks, so the engine's step hands a token over with no promise of the source's.
 * A {@link VllmError} from the events or a step becomes the era's error event and `[DONE]`
 * (vllm-openai.md §3); other errors reject `next`. `ending` (default {@link chatEnding}) says
 * otherwise for a Responses stream: no `[DONE]`, and a VllmError rejects `next` as any error does.
 * `return` (the client left) closes the events.
 * One hand-written iterator: per event at most one `next` of the events and no generator resumes.
 * The stream also offers mock-core's push form (`pushTo`, which the fastify host uses): frames go
 * straight into the host's sink from the source's `wait` callback, with no promise per event;
 * other errors fail the sink, and `close` (the client left) closes the events.
 */
export function sseStream<E>(
  profile: VllmProfile,
  events: AsyncIterable<E>,
  step: (event: E, emit: EmitFrame) => void,
  end?: (emit: EmitFrame) => void,
  idle?: (emit: EmitFrame) => void,
  ending: SseEnding = chatEnding,
): AsyncIterable<string> & PushStreamBody {
  return new SseBody(profile, events, step, end, idle, ending);
}

/** Frames chunk objects as vLLM's SSE text. Errors other than {@link VllmError} propagate. */
export function sseFrames(
  profile: VllmProfile,
  chunks: AsyncIterable<object>,
): AsyncIterable<string> & PushStreamBody {
  return sseStream(profile, chunks, (chunk, emit) => emit(sseEvent(chunk)));
}

const done: IteratorResult<string> = Object.freeze({ done: true, value: undefined });

/**
 * What {@link sseStream} returns: its arguments, and a new {@link SseStream} per iteration or
 * push. A class, not an object of two arrow functions: the host keeps the body for the stream's
 * life, and the arrows' shared context was one more object per open stream.
 */
class SseBody<E> implements AsyncIterable<string>, PushStreamBody {
  readonly #profile: VllmProfile;
  readonly #events: AsyncIterable<E>;
  readonly #step: (event: E, emit: EmitFrame) => void;
  readonly #end: ((emit: EmitFrame) => void) | undefined;
  readonly #idle: ((emit: EmitFrame) => void) | undefined;
  readonly #ending: SseEnding;

  constructor(
    profile: VllmProfile,
    events: AsyncIterable<E>,
    step: (event: E, emit: EmitFrame) => void,
    end: ((emit: EmitFrame) => void) | undefined,
    idle: ((emit: EmitFrame) => void) | undefined,
    ending: SseEnding,
  ) {
    this.#profile = profile;
    this.#events = events;
    this.#step = step;
    this.#end = end;
    this.#idle = idle;
    this.#ending = ending;
  }

  [Symbol.asyncIterator](): AsyncIterator<string> {
    return this.#stream();
  }

  pushTo(sink: StreamSink): StreamPush {
    return this.#stream().pushTo(sink);
  }

  #stream(): SseStream<E> {
    return new SseStream(
      this.#profile,
      this.#events,
      this.#step,
      this.#end,
      this.#idle,
      this.#ending,
    );
  }
}

/** The callbacks of an iterated {@link SseStream} (one object, made at its first `next`). */
interface IteratorCallbacks {
  readonly waitFor: (
    resolve: (result: IteratorResult<string> | Promise<IteratorResult<string>>) => void,
  ) => void;
  readonly onReady: () => void;
  readonly onWaitError: (error: unknown) => void;
  readonly onEvent: (
    result: IteratorResult<unknown>,
  ) => IteratorResult<string> | Promise<IteratorResult<string>>;
  readonly onError: (error: unknown) => Promise<IteratorResult<string>>;
}

/** Where an {@link SseStream} is: reading events, `[DONE]` still to send, or over. */
const Phase = { Events: 0, Done: 1, Over: 2 } as const;
type Phase = (typeof Phase)[keyof typeof Phase];

/**
 * The iterator behind {@link sseStream}: not an async function either, so a `next` that reads an
 * event is the events' promise and one `then` (callbacks made once per stream), and an open
 * stream holds no suspended frame. The events are opened at the first `next`, so an engine that
 * refuses its run rejects that `next` as a generator's body would. Piped instead ({@link
 * SseStream.pushTo}), it is the push form: the same frames written into a sink, at most one read of
 * the events pending, and the events opened at `pushTo`.
 */
class SseStream<E> implements AsyncIterator<string>, StreamPush {
  readonly #profile: VllmProfile;
  readonly #source: AsyncIterable<E>;
  #events: AsyncIterator<E> | undefined;
  /** The events' ready steps, when they offer them. */
  #ready: ReadySteps<E> | undefined;
  readonly #step: (event: E, emit: EmitFrame) => void;
  readonly #end: ((emit: EmitFrame) => void) | undefined;
  readonly #idle: ((emit: EmitFrame) => void) | undefined;
  readonly #ending: SseEnding;
  /**
   * Frames made and not yet handed out: the first `#count` slots, `#read` the next one's
   * position. Emptied by resetting the two, not the length (which would drop the array's storage
   * and make a new one at the next frame: about 150 bytes an event).
   */
  readonly #frames: string[] = [];
  #count = 0;
  #read = 0;
  #phase: Phase = Phase.Events;
  /** Iterated: kept for `next`. Piped: written at once (no array per event), not after a close. */
  readonly #emit: EmitFrame = (frame) => {
    const sink = this.#sink;
    if (sink === undefined) this.#keep(frame);
    else if (!this.#closed && !sink.write(frame)) this.#held = true;
  };
  /** The waiting `next`'s resolver, while the events' `wait` waits. */
  #resolve:
    | ((result: IteratorResult<string> | Promise<IteratorResult<string>>) => void)
    | undefined;
  /**
   * The iterated form's callbacks, made at its first `next` (a piped stream, the host's form, never
   * makes them: each is a closure an open stream would keep for its life).
   */
  #iterating: IteratorCallbacks | undefined;

  /** A `next` that waits through the events' `wait` (the Promise executor). */
  #waitFor(
    resolve: (result: IteratorResult<string> | Promise<IteratorResult<string>>) => void,
  ): void {
    this.#resolve = resolve;
    const ready = this.#ready as ReadySteps<E>;
    const callbacks = this.#iterating as IteratorCallbacks;
    (ready.wait as NonNullable<ReadySteps<E>["wait"]>).call(
      ready,
      callbacks.onReady,
      callbacks.onWaitError,
    );
  }

  /** The events' `wait` says an event is ready: frame it and what follows at once. */
  #onReady(): void {
    // The client left meanwhile (return): nothing waits.
    if (this.#resolve === undefined) return;
    let result: IteratorResult<E> | undefined;
    try {
      result = (this.#ready as ReadySteps<E>).nextReady();
    } catch (error) {
      this.#onWaitError(error);
      return;
    }
    const resolve = this.#resolve;
    this.#resolve = undefined;
    resolve(result === undefined ? this.next() : this.#onEvent(result));
  }

  #onWaitError(error: unknown): void {
    const resolve = this.#resolve;
    if (resolve === undefined) return;
    this.#resolve = undefined;
    resolve(this.#onError(error));
  }

  /** The push form's sink, once piped. */
  #sink: StreamSink | undefined;
  /** Push form: a write answered false; no event is read until `resume`. */
  #held = false;
  /** Push form: a read of the events (their `wait` or `next`) is pending. */
  #reading = false;
  /** Push form: `#pump` is running (a callback made inside it leaves the loop to go on). */
  #pumping = false;
  /** Push form: the host closed the push; the sink is called no more. */
  #closed = false;
  /** Push form: an event read through the events' `wait` is ready. */
  readonly #onPushReady = (): void => {
    if (this.#phase !== Phase.Events) return;
    this.#reading = false;
    let result: IteratorResult<E> | undefined;
    try {
      result = (this.#ready as ReadySteps<E>).nextReady();
    } catch (error) {
      this.#onPushError(error);
      return;
    }
    // Nothing ready after all: #pump reads again.
    if (result !== undefined) this.#pushFrames(result);
    this.#pump();
  };
  /**
   * Push form: an event read through the events' `next` (a source without `wait`; made at its
   * first read).
   */
  #onPushEvent: ((result: IteratorResult<E>) => void) | undefined;
  readonly #onPushError = (error: unknown): void => {
    if (this.#phase !== Phase.Events) return;
    this.#reading = false;
    this.#pushFail(error);
    this.#pump();
  };

  constructor(
    profile: VllmProfile,
    source: AsyncIterable<E>,
    step: (event: E, emit: EmitFrame) => void,
    end: ((emit: EmitFrame) => void) | undefined,
    idle: ((emit: EmitFrame) => void) | undefined,
    ending: SseEnding,
  ) {
    this.#profile = profile;
    this.#source = source;
    this.#step = step;
    this.#end = end;
    this.#idle = idle;
    this.#ending = ending;
  }

  next(): Promise<IteratorResult<string>> {
    const ready = this.#take();
    if (ready !== undefined) return Promise.resolve(ready);
    let read: Promise<IteratorResult<E>>;
    try {
      if (this.#events === undefined) {
        this.#events = this.#source[Symbol.asyncIterator]();
        this.#ready = readySteps(this.#events);
      }
      this.#iterating ??= this.#callbacks();
      if (this.#ready?.wait !== undefined) return new Promise(this.#iterating.waitFor);
      read = this.#events.next();
    } catch (error) {
      return this.#onError(error);
    }
    const callbacks = this.#iterating as IteratorCallbacks;
    return read.then(callbacks.onEvent, callbacks.onError);
  }

  /** The iterated form's callbacks (see `#iterating`). */
  #callbacks(): IteratorCallbacks {
    return {
      waitFor: (resolve) => this.#waitFor(resolve),
      onReady: () => this.#onReady(),
      onWaitError: (error) => this.#onWaitError(error),
      onEvent: (result) => this.#onEvent(result as IteratorResult<E>),
      onError: (error) => this.#onError(error),
    };
  }

  async return(): Promise<IteratorResult<string>> {
    const open = this.#phase === Phase.Events;
    this.#phase = Phase.Over;
    this.#drop();
    // A `next` waiting on the events' `wait` ends too: leaving drops the wait.
    const waiting = this.#resolve;
    this.#resolve = undefined;
    waiting?.(done);
    if (open) await this.#events?.return?.();
    return done;
  }

  /** Starts the push form into `sink` (see {@link sseStream}); the host's handle is this stream. */
  pushTo(sink: StreamSink): StreamPush {
    this.#sink = sink;
    this.#pump();
    return this;
  }

  /** The host's sink takes frames again. */
  resume(): void {
    if (!this.#held) return;
    this.#held = false;
    this.#pump();
  }

  /** The host's response is gone: stop, and close the events (a pending `wait` is dropped). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const open = this.#phase === Phase.Events;
    this.#phase = Phase.Over;
    this.#drop();
    if (open) this.#events?.return?.().catch(() => {});
  }

  /**
   * Push form: writes the frames made and reads the next event, until a read must wait, a write
   * holds it back, or the stream is over. A read answered at once (a `wait` that calls back before
   * it returns) is taken by this loop, not by a nested one.
   */
  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#flush() && !this.#reading) this.#readEvent();
    } finally {
      this.#pumping = false;
    }
  }

  /** Push form: one read of the events, opened at the first; its callbacks take the result. */
  #readEvent(): void {
    try {
      if (this.#events === undefined) {
        this.#events = this.#source[Symbol.asyncIterator]();
        this.#ready = readySteps(this.#events);
      }
      this.#reading = true;
      const ready = this.#ready;
      if (ready?.wait !== undefined) ready.wait(this.#onPushReady, this.#onPushError);
      else {
        this.#onPushEvent ??= (result) => {
          if (this.#phase !== Phase.Events) return;
          this.#reading = false;
          this.#pushFrames(result);
          this.#pump();
        };
        this.#events.next().then(this.#onPushEvent, this.#onPushError);
      }
    } catch (error) {
      this.#reading = false;
      this.#pushFail(error);
    }
  }

  /**
   * Push form: writes the frames kept (an error event; the others went out as emitted); at the
   * end, writes the ending's `done` (`[DONE]`) and ends the sink. true: go on reading events (still in them, not held
   * back, not closed).
   */
  #flush(): boolean {
    const sink = this.#sink as StreamSink;
    const frames = this.#frames;
    // A write that trips a cut closes the push at once, which empties the frames.
    for (let i = 0; i < this.#count; i += 1) {
      if (!sink.write(frames[i] as string)) this.#held = true;
    }
    this.#drop();
    if (this.#phase === Phase.Done) {
      this.#phase = Phase.Over;
      const last = this.#ending.done;
      if (last !== undefined) sink.write(last);
      if (!this.#closed) sink.end();
      return false;
    }
    return this.#phase === Phase.Events && !this.#held;
  }

  /** Push form: frames an event and what the source has ready with it. */
  #pushFrames(result: IteratorResult<E>): void {
    try {
      this.#frame(result);
    } catch (error) {
      (this.#sink as StreamSink).fail(error);
    }
  }

  /** Push form: an error of the events; one that is not a VllmError fails the sink. */
  #pushFail(error: unknown): void {
    try {
      this.#fail(error);
    } catch (failure) {
      (this.#sink as StreamSink).fail(failure);
    }
  }

  /** Keeps a frame for `next` (or, piped, for the next flush). */
  #keep(frame: string): void {
    this.#frames[this.#count] = frame;
    this.#count += 1;
  }

  /** Empties the frames kept (their slots are reused, so a stream holds a few frames at most). */
  #drop(): void {
    this.#count = 0;
    this.#read = 0;
  }

  /** The next frame, `[DONE]` or the end when one is due; undefined: read an event first. */
  #take(): IteratorResult<string> | undefined {
    if (this.#read < this.#count) {
      const frame = this.#frames[this.#read] as string;
      this.#read += 1;
      if (this.#read === this.#count) this.#drop();
      return { done: false, value: frame };
    }
    if (this.#phase === Phase.Done) {
      this.#phase = Phase.Over;
      const last = this.#ending.done;
      return last === undefined ? done : { done: false, value: last };
    }
    return this.#phase === Phase.Over ? done : undefined;
  }

  #onEvent(result: IteratorResult<E>): IteratorResult<string> | Promise<IteratorResult<string>> {
    // The client left (return) while the event was awaited: #take answers the end.
    if (this.#phase === Phase.Events) this.#frame(result);
    // An event that made no frame (a held-back text): read the next one.
    return this.#take() ?? this.next();
  }

  /** Frames `result` and what follows at once; a failing step ends the events (throws as #fail). */
  #frame(result: IteratorResult<E>): void {
    try {
      this.#consume(result);
    } catch (error) {
      // A failing step ends the events, as leaving a for-await loop by a throw does.
      this.#events?.return?.().catch(() => {});
      this.#fail(error);
    }
  }

  /** Frames `result`, then every event the source has ready; `idle` once none is. */
  #consume(result: IteratorResult<E>): void {
    const ready = this.#ready;
    for (let next: IteratorResult<E> | undefined = result; ; ) {
      if (next.done) {
        this.#phase = Phase.Done;
        this.#end?.(this.#emit);
        return;
      }
      this.#step(next.value, this.#emit);
      // A source without ready steps cannot say whether more comes at once: its steps decide.
      if (ready === undefined) return;
      next = ready.nextReady();
      if (next === undefined) {
        this.#idle?.(this.#emit);
        return;
      }
    }
  }

  #onError(error: unknown): Promise<IteratorResult<string>> {
    try {
      this.#fail(error);
    } catch (failure) {
      return Promise.reject(failure);
    }
    return this.next();
  }

  /**
   * A VllmError becomes the era's error event before `[DONE]` (where the ending has one); anything
   * else ends the stream.
   */
  #fail(error: unknown): void {
    if (!(error instanceof VllmError) || !this.#ending.errorEvent) {
      this.#phase = Phase.Over;
      throw error;
    }
    this.#phase = Phase.Done;
    this.#keep(sseErrorEvent(this.#profile, error));
  }
}

/** A per-process tag in template holes, so no text a client sent (a request id) can pass for one. */
const holeTag = randomUUID();

/** The text a chunk given to {@link textFrames} carries where each event's text goes. */
export const textHole = `${holeTag}:text`;

/**
 * A frame maker for chunks that differ only in one text: `chunk` is such a chunk with
 * {@link textHole} as the text, written once; each frame is then the chunk's text around the
 * event's JSON-quoted text, byte for byte what {@link sseEvent} writes for the whole chunk (the
 * same compact JSON), with no object or JSON walk per event. For chunks without key-ordered maps
 * (wire-json.ts), which go through {@link sseEvent}.
 */
export function textFrames(chunk: object): (text: string) => string {
  const frame = sseEvent(chunk);
  const hole = JSON.stringify(textHole);
  const at = frame.indexOf(hole);
  if (at < 0 || frame.indexOf(hole, at + 1) >= 0) throw new Error("a text frame needs one hole");
  const head = frame.slice(0, at);
  const tail = frame.slice(at + hole.length);
  return (text) => head + JSON.stringify(text) + tail;
}
