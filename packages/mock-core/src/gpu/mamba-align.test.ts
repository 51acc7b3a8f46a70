import { describe, expect, it } from "vitest";
import {
  alignedChunk,
  mamba2PrefixCaching,
  mamba2PrefixCachingRefusedLine,
  statePagesPerGroup,
} from "./mamba-align.js";

describe("alignedChunk (align mode's prefill split)", () => {
  // vllm/v1/core/sched/scheduler.py _mamba_block_aligned_split: last_cache_position is
  // num_tokens − num_tokens % block_size; a chunk ending before it is cut to whole blocks, a chunk
  // crossing it ends on it ("force to cache the last chunk"), the tokens after it go as they are.
  it("cuts a chunk that crosses the last block boundary to end on it", () => {
    expect(alignedChunk(0, 40, 40, 40, 16, false)).toBe(32);
    expect(alignedChunk(32, 8, 40, 40, 16, false)).toBe(8);
  });

  it("cuts a chunk that stops before it down to whole blocks, possibly to nothing", () => {
    expect(alignedChunk(0, 50, 100, 100, 16, false)).toBe(48);
    expect(alignedChunk(48, 10, 100, 100, 16, false)).toBe(0);
  });

  it("leaves a prompt that ends on a boundary and a decode step alone", () => {
    expect(alignedChunk(0, 32, 32, 32, 16, false)).toBe(32);
    // Decoding: computed = known − 1 ≥ max(prompt, known − 1).
    expect(alignedChunk(44, 1, 40, 45, 16, false)).toBe(1);
  });

  it("re-aligns a preempted request recomputing its output (known − 1 > prompt)", () => {
    expect(alignedChunk(0, 45, 40, 46, 16, false)).toBe(32);
  });

  it("keeps the state one block earlier with an EAGLE-family drafter (eagle prune)", () => {
    expect(alignedChunk(0, 40, 40, 40, 16, true)).toBe(16);
    expect(alignedChunk(0, 10, 10, 10, 16, true)).toBe(10);
  });
});

describe("statePagesPerGroup", () => {
  // MambaSpec.max_memory_usage_bytes per mamba_cache_mode (vllm/v1/kv_cache_interface.py): "none"
  // 1 + k, "align" 2 + k, "all" cdiv(max_model_len, block_size) + k pages.
  it("counts the pages of each mode", () => {
    expect(statePagesPerGroup("none", 0, 4096, 528)).toBe(1);
    expect(statePagesPerGroup("none", 3, 4096, 528)).toBe(4);
    expect(statePagesPerGroup("align", 0, 4096, 528)).toBe(2);
    expect(statePagesPerGroup("align", 3, 4096, 528)).toBe(5);
    expect(statePagesPerGroup("all", 2, 4096, 528)).toBe(8 + 2);
  });
});

describe("mamba2PrefixCaching (vLLM 0.11.1 to 0.14.x)", () => {
  // model_executor/models/config.py MambaModelConfig after PR #25752: opt-in, only for a model
  // that supports Mamba prefix caching (states at every block boundary: our "all"), else off
  // with "Hybrid or mamba-based model detected without support for prefix caching: disabling."
  it("caches a supporting model only when asked", () => {
    expect(mamba2PrefixCaching(true, true)).toEqual({ mode: "all", lines: [] });
    expect(mamba2PrefixCaching(false, true)).toEqual({ mode: "none", lines: [] });
    expect(mamba2PrefixCaching(false, false)).toEqual({ mode: "none", lines: [] });
  });

  it("turns caching off for another hybrid, with vLLM's line", () => {
    expect(mamba2PrefixCaching(true, false)).toEqual({
      mode: "none",
      lines: [mamba2PrefixCachingRefusedLine],
    });
  });
});
