import { describe, expect, it } from "vitest";
import { BlockHasher, BlockPool } from "./block-pool.js";

describe("block pool", () => {
  it("hands out free blocks, counts usage as used / total, and refuses more than it has", () => {
    // vllm-openai.md §8: vllm:kv_cache_usage_perc (V1) = used blocks / total blocks.
    const pool = new BlockPool(4);
    const blocks: number[] = [];
    pool.allocate(3, blocks);
    expect(blocks).toEqual([0, 1, 2]);
    expect(pool.usage).toBe(0.75);
    expect(() => pool.allocate(2, [])).toThrow(RangeError);
    pool.release(blocks);
    expect(pool.usage).toBe(0);
  });

  it("keeps released cached blocks findable until reused, evicting the least recently freed first", () => {
    // vllm-openai.md §9: "cached free blocks are evicted LRU".
    const pool = new BlockPool(3);
    const a: number[] = [];
    pool.allocate(2, a);
    pool.cache(a[0] as number, 101);
    pool.cache(a[1] as number, 102);
    pool.release(a); // tail first: block 1 then block 0 join the free queue after block 2
    expect(pool.lookup(101)).toBe(0);
    const b: number[] = [];
    pool.allocate(2, b); // block 2 (never used), then block 1 (evicts hash 102)
    expect(b).toEqual([2, 1]);
    expect(pool.lookup(102)).toBeUndefined();
    expect(pool.lookup(101)).toBe(0);
    pool.touch([0]);
    expect(pool.freeBlocks).toBe(0);
    expect(pool.isFree(0)).toBe(false);
  });

  it("notes unshareable blocks on the block only: no lookup finds them, their holder does", () => {
    // vllm-openai.md §9: freed full blocks keep their content until evicted; a block of
    // generated tokens can only ever be found again by the request that wrote it.
    const pool = new BlockPool(2);
    const hasher = new BlockHasher();
    const own: number[] = [];
    pool.allocate(1, own);
    const id = hasher.unique();
    pool.cache(own[0] as number, id);
    pool.release(own);
    expect(pool.lookup(id)).toBeUndefined();
    expect(pool.holds(own[0] as number, id)).toBe(true);
    const other: number[] = [];
    pool.allocate(2, other); // the free block first, then the released one (evicted)
    expect(pool.holds(own[0] as number, id)).toBe(false);
  });

  it("gives equal chained content equal ids and different parents different ids", () => {
    const hasher = new BlockHasher();
    const first = hasher.id(0, "1,2,3");
    expect(hasher.id(0, "1,2,3")).toBe(first);
    expect(hasher.id(first, "1,2,3")).not.toBe(first);
  });

  it("gives unshareable blocks fresh ids that never equal an interned one", () => {
    const hasher = new BlockHasher();
    const a = hasher.id(0, "1,2,3");
    const fresh = [hasher.unique(), hasher.unique()];
    const b = hasher.id(a, "4,5,6");
    expect(hasher.id(0, "1,2,3")).toBe(a);
    expect(new Set([a, b, ...fresh]).size).toBe(4);
  });

  it("hashes token blocks chained with their parent, as vLLM's block hashes, and keeps nothing", () => {
    // vllm-openai.md §9: a full block is identified by a hash of its tokens chained with its parent's.
    const hasher = new BlockHasher();
    const tokens = Array.from({ length: 64 }, (_, i) => 1000 + i);
    const first = hasher.ofTokens(0, tokens, 0, 16);
    expect(new BlockHasher().ofTokens(0, [...tokens], 0, 16)).toBe(first);
    const second = hasher.ofTokens(first, tokens, 16, 32);
    expect(second).not.toBe(hasher.ofTokens(0, tokens, 16, 32));
    expect(hasher.ofTokens(first, tokens, 32, 48)).not.toBe(second);
    for (const id of [first, second]) {
      expect(Number.isSafeInteger(id)).toBe(true);
      expect(id).toBeGreaterThan(0);
    }
    // Distinct blocks of a large sample get distinct ids.
    const ids = new Set<number>();
    for (let i = 0; i < 20_000; i++) ids.add(hasher.ofTokens(0, [i, i + 1, i + 2], 0, 3));
    expect(ids.size).toBe(20_000);
  });
});
