/**
 * The KV-cache block pool with prefix caching, as vLLM V1 keeps it (vllm/v1/core/block_pool.py,
 * vllm-openai.md §9): a fixed number of blocks, reference counts, a free queue in eviction order,
 * and a map from the chained hash of a full block's tokens to the block holding them. A freed
 * block keeps its cached content and stays findable until the pool hands it out again, least
 * recently freed first.
 */

/** One 32-bit word into a MurmurHash3 (x86, 32-bit) running hash. */
function mix(h: number, word: number): number {
  let k = Math.imul(word, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** MurmurHash3's finaliser. */
function finish(h: number, length: number): number {
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Block ids as vLLM makes them (vllm-openai.md §9): a hash of the block's content chained with
 * its parent's, computed, not stored, so an engine that serves for days keeps no table of every
 * block it has seen. Content hashes are positive 53-bit integers (two seeded MurmurHash3 lanes);
 * as with vLLM's own block hashes a collision is possible in principle (about 1 in 10⁴ for a
 * million distinct blocks) and would only give one request a prefix hit it should not have.
 * Blocks no other request can share get negative ids from a counter, which never collide.
 */
export class BlockHasher {
  #lastUnique = 0;

  /** The id of a block whose parent block has id `parent` (0 for the first block) and whose content is `content`. */
  id(parent: number, content: string): number {
    let a = this.#start(parent, 0x9747b28c);
    let b = this.#start(parent, 0x5bd1e995);
    for (let i = 0; i < content.length; i++) {
      const c = content.charCodeAt(i);
      a = mix(a, c);
      b = mix(b, c);
    }
    return combine(finish(a, content.length), finish(b, content.length));
  }

  /** The id of the block holding `tokens[start..end)` whose parent block has id `parent` (0 for the first). */
  ofTokens(parent: number, tokens: readonly number[], start: number, end: number): number {
    let a = this.#start(parent, 0x3c6ef372);
    let b = this.#start(parent, 0xa54ff53a);
    for (let i = start; i < end; i++) {
      const t = tokens[i] as number;
      a = mix(a, t);
      b = mix(b, t);
    }
    return combine(finish(a, end - start), finish(b, end - start));
  }

  /**
   * A fresh id equal to no other, for a block no other request can share (generated tokens, a
   * prompt known only by its length, anything after such a block in the chain): nothing to hash.
   */
  unique(): number {
    return -++this.#lastUnique;
  }

  /** A lane seeded with `seed` that has absorbed the parent id (53 bits: high and low words). */
  #start(parent: number, seed: number): number {
    const high = Math.floor(parent / 2 ** 32) | 0;
    return mix(mix(seed, parent | 0), high);
  }
}

/** Two 32-bit lanes as one positive safe integer (21 + 32 bits), never 0 (0 means "no hash"). */
function combine(a: number, b: number): number {
  return (a >>> 11) * 2 ** 32 + b || 1;
}

/**
 * A pool of `numBlocks` KV blocks, identified 0..numBlocks-1. The free queue is a doubly linked
 * list over typed arrays (as vLLM's FreeKVCacheBlockQueue), so taking the head, removing a block
 * from the middle and appending are all O(1).
 */
export class BlockPool {
  /** Total blocks. */
  readonly numBlocks: number;
  /** Links of the free queue; the sentinel node is index numBlocks. -1 = not in the queue. */
  readonly #next: Int32Array;
  readonly #prev: Int32Array;
  readonly #sentinel: number;
  #freeCount: number;
  readonly #refCount: Int32Array;
  /** Content hash id each block holds while cached; 0 = none. */
  readonly #hashOf: Float64Array;
  readonly #cached = new Map<number, number>();

  constructor(numBlocks: number) {
    if (!Number.isInteger(numBlocks) || numBlocks < 1)
      throw new RangeError("numBlocks must be a positive integer");
    this.numBlocks = numBlocks;
    this.#sentinel = numBlocks;
    this.#next = new Int32Array(numBlocks + 1);
    this.#prev = new Int32Array(numBlocks + 1);
    for (let b = 0; b <= numBlocks; b++) {
      this.#next[b] = b === numBlocks ? 0 : b + 1;
      this.#prev[b] = b === 0 ? numBlocks : b - 1;
    }
    this.#freeCount = numBlocks;
    this.#refCount = new Int32Array(numBlocks);
    this.#hashOf = new Float64Array(numBlocks);
  }

  /** Blocks that can be handed out now (free, including cached blocks nobody references). */
  get freeBlocks(): number {
    return this.#freeCount;
  }

  /** Fraction of blocks referenced by some request: `vllm:kv_cache_usage_perc` (used / total). */
  get usage(): number {
    return 1 - this.#freeCount / this.numBlocks;
  }

  /** Whether `block` is unreferenced (a cache hit on it would take it out of the free queue). */
  isFree(block: number): boolean {
    return this.#refCount[block] === 0;
  }

  /** The block caching shareable content `hash` (a positive id), if any. */
  lookup(hash: number): number | undefined {
    return this.#cached.get(hash);
  }

  /**
   * Whether `block` still holds content `hash`: how a request finds its own unshareable blocks
   * (negative ids, never in the shared map) again after a preemption, by the block numbers it had.
   */
  holds(block: number, hash: number): boolean {
    return this.#hashOf[block] === hash;
  }

  /**
   * Takes `count` blocks from the head of the free queue, evicting their cached content. The
   * caller checks {@link freeBlocks} first; asking for more throws a RangeError.
   */
  allocate(count: number, into: number[]): void {
    if (count > this.#freeCount)
      throw new RangeError(`asked for ${count} blocks, ${this.#freeCount} free`);
    for (let i = 0; i < count; i++) {
      const block = this.#next[this.#sentinel] as number;
      this.#unlink(block);
      const hash = this.#hashOf[block] as number;
      if (hash !== 0) {
        if (hash > 0) this.#cached.delete(hash);
        this.#hashOf[block] = 0;
      }
      this.#refCount[block] = 1;
      into.push(block);
    }
  }

  /** Takes a reference on cached blocks a request reuses (removing unreferenced ones from the free queue). */
  touch(blocks: readonly number[]): void {
    for (const block of blocks) {
      if (block < 0) continue; // a null block: a position out of a sliding window
      if (this.#refCount[block] === 0) this.#unlink(block);
      (this.#refCount[block] as number)++;
    }
  }

  /**
   * Drops a request's references. Blocks are released tail first, so a request's last blocks
   * are evicted before its first ones (its shared prefix lives longest), as vLLM frees them.
   * Null positions (-1, freed out of a sliding window) are skipped.
   */
  release(blocks: readonly number[]): void {
    for (let i = blocks.length - 1; i >= 0; i--) {
      const block = blocks[i] as number;
      if (block < 0) continue;
      const count = (this.#refCount[block] as number) - 1;
      this.#refCount[block] = count;
      if (count === 0) this.#append(block);
    }
  }

  /** Drops one reference on `block` (a block a sliding window left behind). */
  releaseOne(block: number): void {
    const count = (this.#refCount[block] as number) - 1;
    this.#refCount[block] = count;
    if (count === 0) this.#append(block);
  }

  /**
   * Records that full block `block` holds content `hash`. A shareable id (positive) enters the
   * map other requests look up, first holder wins as in vLLM; an unshareable one (negative, from
   * {@link BlockHasher.unique}) is only noted on the block, for {@link holds}: no map traffic for
   * the generated-token blocks that every decode fills.
   */
  cache(block: number, hash: number): void {
    if (this.#hashOf[block] !== 0) return;
    if (hash > 0) {
      if (this.#cached.has(hash)) return;
      this.#cached.set(hash, block);
    }
    this.#hashOf[block] = hash;
  }

  #unlink(block: number): void {
    const prev = this.#prev[block] as number;
    const next = this.#next[block] as number;
    this.#next[prev] = next;
    this.#prev[next] = prev;
    this.#freeCount--;
  }

  #append(block: number): void {
    const last = this.#prev[this.#sentinel] as number;
    this.#next[last] = block;
    this.#prev[block] = last;
    this.#next[block] = this.#sentinel;
    this.#prev[this.#sentinel] = block;
    this.#freeCount++;
  }
}
