import { Code } from "./code.js";
import { ServingkitError } from "./servingkit-error.js";

/** One server-sent event, as the SSE parser delivers it. */
export interface SseEvent {
  /** The `event:` name, or `undefined` when the event had none (the browser would say "message"). */
  readonly event: string | undefined;
  /** The `data:` lines, joined with `\n`. */
  readonly data: string;
  /** The `id:` field, when the event had one. */
  readonly id: string | undefined;
}

/**
 * A stream of server-sent events: an `AsyncIterable` that can be iterated once (a second
 * `for await` throws `Code.FailedPrecondition`), because the bytes behind it can be read once.
 * Leaving a `for await` early (`break`, `return`, a throw) aborts the HTTP request behind it;
 * in-band error events are thrown during iteration as `ServingkitError`s.
 */
export class SseStream implements AsyncIterable<SseEvent> {
  readonly #open: () => AsyncIterator<SseEvent>;
  #consumed = false;

  /** @param open Starts the underlying read; called once, on the first iteration. */
  constructor(open: () => AsyncIterator<SseEvent>) {
    this.#open = open;
  }

  /** Starts reading; throws `Code.FailedPrecondition` when the stream was iterated before. */
  [Symbol.asyncIterator](): AsyncIterator<SseEvent> {
    if (this.#consumed) {
      throw new ServingkitError(
        "this stream was already iterated; a stream can be consumed once",
        Code.FailedPrecondition,
        { retryable: false },
      );
    }
    this.#consumed = true;
    return this.#open();
  }

  /**
   * The events' `data` parsed as JSON (the framing of vLLM's and caikit's streams). Consumes this
   * stream; malformed JSON throws `Code.Internal` with the raw data as `body`.
   */
  json<T = unknown>(): AsyncIterable<T> {
    return mapEvents(this, (event) => parseEventJson<T>(event));
  }
}

/**
 * Maps events one to one. A hand-written iterator rather than an async generator: one promise
 * per event instead of two. When `map` throws, the source is closed (which aborts the request)
 * before the error reaches the consumer.
 */
function mapEvents<T>(
  events: AsyncIterable<SseEvent>,
  map: (event: SseEvent) => T,
): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      const source = events[Symbol.asyncIterator]();
      return {
        async next() {
          const result = await source.next();
          if (result.done === true) {
            return { done: true, value: undefined };
          }
          try {
            return { done: false, value: map(result.value) };
          } catch (error) {
            await source.return?.();
            throw error;
          }
        },
        async return() {
          await source.return?.();
          return { done: true, value: undefined };
        },
      };
    },
  };
}

/**
 * Parses an event's `data` as JSON, or throws `Code.Internal` (not retryable) naming the event,
 * with the raw data as the error's `body`.
 */
export function parseEventJson<T = unknown>(event: SseEvent): T {
  try {
    return JSON.parse(event.data) as T;
  } catch (cause) {
    throw new ServingkitError(
      `malformed JSON in server-sent event${event.event ? ` "${event.event}"` : ""}: ${event.data.slice(0, 200)}`,
      Code.Internal,
      { cause, body: event.data, retryable: false },
    );
  }
}
