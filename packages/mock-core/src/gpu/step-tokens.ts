/**
 * The tokens one engine step sampled, as one batch (issue 7): the requests' ids and one small
 * integer per token, instead of one event object per token. With 1,000 running requests a step
 * emits 1,000 tokens; as objects they were about 72 bytes each (~81 KB per step), the
 * largest share of what a step allocated, so a scavenge every few steps landed on the step p99.
 * As a batch they are two packed arrays of small integers and pointers (about 8 bytes per token).
 * A third array, optional, carries each token's host slot: the small integer the engine's caller
 * gave the request when it added it (EngineCore.add), so the caller's dispatch indexes its own
 * columns by position instead of looking each request up by id.
 */
import type { EngineTokenEvent } from "./engine-core.js";

/**
 * One step's tokens in sampling order: position `i` is the `i`-th token the step sampled. All of
 * them come out at the step's end (`time`, simulated seconds). Each token's output index and
 * whether it is its request's last are packed into one small integer (`index * 2 + last`), which
 * V8 keeps unboxed in a packed array. Built by EngineCore.step and read-only after it.
 */
export class StepTokens {
  /** The engine step's number (1 for the first): {@link EngineTokenEvent.step}. */
  readonly step: number;
  /** When the step that sampled these tokens ended (simulated seconds). */
  readonly time: number;
  /** How many tokens the step sampled. */
  readonly length: number;
  readonly #ids: readonly string[];
  readonly #codes: readonly number[];
  readonly #hostSlots: Int32Array | readonly number[] | undefined;
  #events: EngineTokenEvent[] | undefined;

  /**
   * `ids[i]` is the request of token `i`, `codes[i]` its `index * 2 + (last ? 1 : 0)`; both
   * exactly `ids.length` long and kept as given (the batch owns them). `hostSlots[i]`, when given
   * (at least as long; entries past `ids.length` are not read), is the host slot of token `i`'s
   * request; absent, every token reads -1.
   */
  constructor(
    step: number,
    time: number,
    ids: readonly string[],
    codes: readonly number[],
    hostSlots?: Int32Array | readonly number[],
  ) {
    this.step = step;
    this.time = time;
    this.length = ids.length;
    this.#ids = ids;
    this.#codes = codes;
    this.#hostSlots = hostSlots;
  }

  /**
   * The host slot of token `i`'s request: the integer its caller passed to EngineCore.add (-1 when
   * it passed none). A hint, not an identity: the caller may have freed and reused that slot since
   * the step ran, so it compares {@link requestId} with what the slot holds now before using it.
   */
  hostSlot(i: number): number {
    return this.#hostSlots === undefined ? -1 : (this.#hostSlots[i] as number);
  }

  /** The request of token `i`. */
  requestId(i: number): string {
    return this.#ids[i] as string;
  }

  /** Token `i`'s output index (0 for its request's first output token). */
  index(i: number): number {
    return (this.#codes[i] as number) >> 1;
  }

  /** Whether token `i` is its request's last (the request finished with this step). */
  last(i: number): boolean {
    return ((this.#codes[i] as number) & 1) === 1;
  }

  /** Token `i` as an event object (a new one per call). */
  event(i: number): EngineTokenEvent {
    const code = this.#codes[i] as number;
    return {
      requestId: this.#ids[i] as string,
      index: code >> 1,
      time: this.time,
      last: (code & 1) === 1,
      step: this.step,
    };
  }

  /**
   * The tokens as event objects, made at the first call and kept (for consumers off the hot
   * path: `simulate`, tests). A step's own consumers read the batch and make none.
   */
  events(): readonly EngineTokenEvent[] {
    if (this.#events !== undefined) return this.#events;
    const events: EngineTokenEvent[] = new Array(this.length);
    for (let i = 0; i < this.length; i++) events[i] = this.event(i);
    this.#events = events;
    return events;
  }
}
