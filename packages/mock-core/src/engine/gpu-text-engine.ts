/**
 * A {@link TextEngine} whose content comes from one engine and whose timing comes from the
 * simulated GPU (issue 7). The content engine (the simple engine, unpaced) decides the tokens,
 * stops, EOS and logprobs, deterministically as always; the request then goes to the
 * {@link GpuEngine} with the prompt's token ids (so prefix caching sees real shared prefixes) and
 * as many output tokens as the content has, and each token event is released when the GPU engine
 * produces that request's next token. So queueing, batching, chunked prefill, KV pressure and
 * preemption shape when tokens arrive, never what they are. Aborting the signal (a client
 * disconnect) or leaving the loop aborts the request in the GPU engine, which frees its KV blocks.
 */
import { EngineRequestError } from "../gpu/engine-core.js";
import type { GpuEngine, GpuToken } from "../gpu/gpu-engine.js";
import {
  type FinishEvent,
  type GenerationEvent,
  type GenerationRequest,
  GenerationRequestError,
  type TextEngine,
  type TokenEvent,
} from "./generation.js";

/** What {@link createGpuTextEngine} combines. */
export interface GpuTextEngineOptions {
  /** Produces the content; called without a signal and drained at once, so it must not pace. */
  readonly content: TextEngine;
  /** Produces the timing. */
  readonly gpu: GpuEngine;
}

/** Drains the content engine's events: the token events and the finish event. */
async function drain(
  events: AsyncIterable<GenerationEvent>,
): Promise<{ tokens: TokenEvent[]; finish: FinishEvent }> {
  const tokens: TokenEvent[] = [];
  for await (const event of events) {
    if (event.type === "finish") return { tokens, finish: event };
    tokens.push(event);
  }
  throw new Error("the content engine ended without a finish event");
}

/** The finish event of a request aborted after `released` tokens. */
function aborted(finish: FinishEvent, released: number): FinishEvent {
  return {
    type: "finish",
    reason: "abort",
    seed: finish.seed,
    promptTokens: finish.promptTokens,
    completionTokens: released,
  };
}

const doneResult: IteratorReturnResult<undefined> = Object.freeze({
  done: true,
  value: undefined,
});

/**
 * One request's events, paced by the GPU engine: a hand-written async iterator rather than an
 * async generator around a `for await`, so a released token costs the GPU stream's promise and
 * one `then`, not a generator's promise and resumption on top. At the first `next()` the content
 * is drained; then each `next()` waits for the request's next GPU token and releases the next
 * content token; after the last one comes the finish event. An abort (the signal) ends with an
 * "abort" finish counting the tokens released; `return()` (the consumer leaving) aborts the GPU
 * request. Calls made while one waits are served after it, in order.
 */
class PacedRun implements AsyncIterableIterator<GenerationEvent> {
  readonly #events: AsyncIterable<GenerationEvent>;
  readonly #gpu: GpuEngine;
  readonly #request: GenerationRequest;
  readonly #id: string;
  readonly #signal: AbortSignal | undefined;
  #tokens: readonly TokenEvent[] = [];
  #finish: FinishEvent | undefined;
  #timing: AsyncIterableIterator<GpuToken> | undefined;
  #released = 0;
  #closed = false;
  /** The call in flight, while one waits (later calls chain on it). */
  #waiting: Promise<IteratorResult<GenerationEvent>> | undefined;
  readonly #settled = () => {
    this.#waiting = undefined;
  };
  readonly #onToken = (result: IteratorResult<GpuToken>): IteratorResult<GenerationEvent> => {
    this.#waiting = undefined;
    if (result.done || this.#closed) return this.#end(doneResult);
    const token = this.#tokens[this.#released] as TokenEvent;
    this.#released += 1;
    return { done: false, value: token };
  };
  readonly #onError = (error: unknown): IteratorResult<GenerationEvent> => {
    this.#waiting = undefined;
    this.#closed = true;
    if (this.#signal?.aborted) {
      return { done: false, value: aborted(this.#finish as FinishEvent, this.#released) };
    }
    if (error instanceof EngineRequestError) throw new GenerationRequestError(error.message);
    throw error;
  };

  constructor(
    events: AsyncIterable<GenerationEvent>,
    gpu: GpuEngine,
    request: GenerationRequest,
    id: string,
    signal: AbortSignal | undefined,
  ) {
    this.#events = events;
    this.#gpu = gpu;
    this.#request = request;
    this.#id = id;
    this.#signal = signal;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<GenerationEvent>> {
    const waiting = this.#waiting;
    if (waiting !== undefined) {
      const after = () => this.next();
      return waiting.then(after, after);
    }
    if (this.#closed) return Promise.resolve(doneResult);
    if (this.#finish === undefined) {
      const first = drain(this.#events).then(({ tokens, finish }) => {
        this.#waiting = undefined;
        this.#tokens = tokens;
        this.#finish = finish;
        return this.#step();
      });
      first.then(this.#settled, () => {
        this.#settled();
        this.#closed = true;
      });
      this.#waiting = first;
      return first;
    }
    return this.#step();
  }

  return(): Promise<IteratorResult<GenerationEvent>> {
    if (this.#closed) return Promise.resolve(doneResult);
    this.#closed = true;
    const timing = this.#timing;
    // Leaving before the last token aborts the GPU request (its blocks go back to the pool).
    return timing?.return ? timing.return().then(() => doneResult) : Promise.resolve(doneResult);
  }

  /** The next event once the content is known. */
  #step(): Promise<IteratorResult<GenerationEvent>> {
    const finish = this.#finish as FinishEvent;
    if (this.#closed) return Promise.resolve(doneResult);
    if (this.#released === this.#tokens.length) {
      // Every token is out (or there were none, max_tokens 0: the engine is not involved).
      return Promise.resolve(this.#end({ done: false, value: finish }));
    }
    if (this.#timing === undefined) {
      if (this.#signal?.aborted) {
        return Promise.resolve(this.#end({ done: false, value: aborted(finish, 0) }));
      }
      const request = this.#request;
      this.#timing = this.#gpu.generate(
        {
          id: this.#id,
          // An empty prompt still takes one position in the engine.
          prompt: request.promptIds.length > 0 ? request.promptIds : 1,
          outputTokens: this.#tokens.length,
          finishedReason: finish.reason === "length" ? "length" : "stop",
          maxTokens: request.maxTokens,
          ...(request.priority === undefined ? {} : { priority: request.priority }),
          ...(request.lora === undefined ? {} : { lora: request.lora }),
          ...(request.parent === undefined ? {} : { parent: request.parent }),
        },
        this.#signal,
      );
    }
    const next = this.#timing.next().then(this.#onToken, this.#onError);
    this.#waiting = next;
    return next;
  }

  #end(result: IteratorResult<GenerationEvent>): IteratorResult<GenerationEvent> {
    this.#closed = true;
    return result;
  }
}

/** Combines a content engine and a GPU engine; see the module comment. */
export function createGpuTextEngine(options: GpuTextEngineOptions): TextEngine {
  const { content, gpu } = options;
  let serial = 0;
  return {
    generate(request, generateOptions = {}) {
      // The content engine validates at once (throws GenerationRequestError), as the contract says.
      const events = content.generate(request);
      serial += 1;
      return new PacedRun(events, gpu, request, `text-${serial}`, generateOptions.signal);
    },
  };
}
