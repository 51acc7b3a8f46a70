/**
 * A bounded memo for the tokenizer's pure functions (decode windows, encode prompts): results by
 * string key, with the memory it holds capped by a weight budget.
 */

/**
 * Results of a pure function by key (a string, or a number where the caller packs its inputs into
 * one), so a hit is exactly what computing would give. The
 * entries' total weight (`weightOf`, default 1 per entry) stays within `maxWeight`: when an entry
 * would pass it, the oldest entries (in insertion order) are dropped until at most half the
 * budget is left, so a full memo costs one sweep per half-budget of insertions. An entry heavier
 * than half the budget is computed and not kept.
 */
export class BoundedMemo<V, K extends string | number = string> {
  readonly #values = new Map<K, V>();
  readonly #maxWeight: number;
  readonly #weightOf: (key: K, value: V) => number;
  #weight = 0;

  /**
   * @param maxWeight the weight budget (with the default weight, the most entries kept).
   * @param weightOf an entry's weight, in the budget's unit (e.g. characters and ids held).
   */
  constructor(maxWeight: number, weightOf: (key: K, value: V) => number = () => 1) {
    this.#maxWeight = maxWeight;
    this.#weightOf = weightOf;
  }

  /** How many entries are kept (for tests and diagnostics). */
  get size(): number {
    return this.#values.size;
  }

  /** The total weight kept, at most `maxWeight` (for tests and diagnostics). */
  get weight(): number {
    return this.#weight;
  }

  /** The remembered value for `key`, or `compute()`'s, remembered when it fits the budget. */
  get(key: K, compute: () => V): V {
    const known = this.#values.get(key);
    return known !== undefined ? known : this.remember(key, compute());
  }

  /**
   * The remembered value for `key`, else undefined: with {@link BoundedMemo.remember}, a look-up
   * that allocates no closure (the tokenizer's per-token step computes only on a miss).
   */
  peek(key: K): V | undefined {
    return this.#values.get(key);
  }

  /** Remembers `value` (what computing `key` gave) when it fits the budget; returns it. */
  remember(key: K, value: V): V {
    const weight = this.#weightOf(key, value);
    if (weight > this.#maxWeight / 2) return value;
    if (this.#weight + weight > this.#maxWeight) this.#dropOldest(this.#maxWeight / 2 - weight);
    this.#values.set(key, value);
    this.#weight += weight;
    return value;
  }

  /** Drops the oldest entries until the total weight is at most `target`. */
  #dropOldest(target: number): void {
    for (const [key, value] of this.#values) {
      if (this.#weight <= target) return;
      this.#values.delete(key);
      this.#weight -= this.#weightOf(key, value);
    }
  }
}
