/**
 * Small integer slots for request ids, so per-request state can live in typed arrays (columns)
 * indexed by slot instead of one object per request reached through a `Map` per token. With
 * 1,000 running requests a step walks every request's state; the requests of a mock are
 * allocated among their content, so objects reached per request are spread over the heap and
 * each is a likely cache miss (measured, issue 7), and a `Map.get` by id reads the id string's
 * hash from the string itself: one more miss per token. A column is contiguous, and
 * {@link RequestSlots.at} finds the slot of the token at a position of a step from the slot seen
 * at that position the step before (the batch keeps its order from step to step) by comparing
 * pointers only.
 */

/** A slot that holds no request. */
export const noSlot = -1;

/** `column` grown (doubled) to hold index `slot`; the column itself when it already does. */
export function grownColumn<T extends Float64Array | Int32Array>(column: T, slot: number): T {
  if (slot < column.length) return column;
  let size = Math.max(column.length, 16);
  while (size <= slot) size *= 2;
  const grown = new (column.constructor as new (size: number) => T)(size);
  grown.set(column);
  return grown;
}

/**
 * Request ids to slots 0, 1, 2 … (freed slots are reused, lowest-freed last), plus a per-position
 * hint for the steps' token lists. Ids compare as strings (`===`); a slot's id is kept until the
 * slot is freed.
 */
export class RequestSlots {
  readonly #slots = new Map<string, number>();
  /** The id each slot holds; undefined while free. */
  readonly #ids: (string | undefined)[] = [];
  readonly #free: number[] = [];
  /** Per position in a step's token list: the id and slot found there last time. */
  readonly #hintIds: (string | undefined)[] = [];
  readonly #hintSlots: number[] = [];

  /** Slots ever handed out: every slot is below this (size columns to it). */
  get size(): number {
    return this.#ids.length;
  }

  /** Gives `id` a slot (a free one, else the next) and returns it; an id that has one keeps it. */
  add(id: string): number {
    const known = this.#slots.get(id);
    if (known !== undefined) return known;
    const slot = this.#free.pop() ?? this.#ids.length;
    this.#ids[slot] = id;
    this.#slots.set(id, slot);
    return slot;
  }

  /** The slot of `id`, or {@link noSlot}. */
  get(id: string): number {
    return this.#slots.get(id) ?? noSlot;
  }

  /** The id a slot holds (undefined when free). */
  idOf(slot: number): string | undefined {
    return this.#ids[slot];
  }

  /**
   * Whether `slot` holds `id` now: a slot carried with a step's tokens (StepTokens.hostSlot) is
   * checked so before use, as the request may have left and its slot gone to another since the
   * step ran. One array read and a pointer comparison (ids are the same strings the engine got).
   */
  holds(slot: number, id: string): boolean {
    return this.#ids[slot] === id;
  }

  /** Frees the slot of `id` and returns it, or {@link noSlot} for an id without one. */
  delete(id: string): number {
    const slot = this.#slots.get(id);
    if (slot === undefined) return noSlot;
    this.#slots.delete(id);
    this.#ids[slot] = undefined;
    this.#free.push(slot);
    return slot;
  }

  /**
   * The slot of `id`, the id of the token at `position` of a step's token list: the slot found at
   * that position last time when it still holds this id (pointer comparisons, the common case of
   * a batch in the same order as the step before), else the map's answer, remembered for the
   * next step. {@link noSlot} for an id without a slot. The hints keep one id per position
   * (at most a step's tokens) alive after its request left, until the position is seen again.
   */
  at(position: number, id: string): number {
    const hinted = this.#hintSlots[position];
    if (hinted !== undefined && hinted !== noSlot && this.#hintIds[position] === id) {
      if (this.#ids[hinted] === id) return hinted;
    }
    const slot = this.#slots.get(id) ?? noSlot;
    this.#hintIds[position] = id;
    this.#hintSlots[position] = slot;
    return slot;
  }

  /** Every id with a slot, in the order they were given one. */
  ids(): IterableIterator<string> {
    return this.#slots.keys();
  }
}
