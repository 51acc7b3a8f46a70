/**
 * Prefix caching of hybrid attention + Mamba models in vLLM's `mamba_cache_mode` "align"
 * (vllm/config/cache.py MambaCacheMode: "align" caches the Mamba state of the last token of a
 * scheduler step only when that token sits at a multiple of the block size; "all" caches it at
 * every block boundary; "none" is set when prefix caching is off). A Mamba state cannot be
 * rebuilt from the middle of a chunk, so the scheduler cuts prefill chunks to end where a state
 * is to be kept (vllm/v1/core/sched/scheduler.py `_mamba_block_aligned_split`).
 */

/** vLLM's `--mamba-cache-mode` (vllm/config/cache.py MambaCacheMode). */
export type MambaCacheMode = "none" | "align" | "all";

/**
 * The tokens a request may schedule this step in align mode, given the `wanted` tokens the
 * budget allows: while it is prefilling (computed below max(prompt, known − 1), which also
 * covers a preempted request recomputing its output), a chunk that stops short of the last
 * block-aligned position of its known tokens is cut down to whole blocks, and a chunk that
 * crosses that position is cut to end on it, so the state there is kept; the tokens after it go
 * in the next step. With an EAGLE-family drafter (`eagle`) that position is one block earlier
 * (the scheduler's "eagle prune"). Decode steps and the prompt's last partial block are left as
 * they are. May answer 0 (a budget under one block): the request waits for a later step.
 * All values are token counts; `blockSize` is the unified attention block size.
 */
export function alignedChunk(
  computed: number,
  wanted: number,
  promptLength: number,
  knownTokens: number,
  blockSize: number,
  eagle: boolean,
): number {
  if (computed >= Math.max(promptLength, knownTokens - 1)) return wanted;
  let last = knownTokens - (knownTokens % blockSize);
  if (eagle) last = Math.max(last - blockSize, 0);
  const end = computed + wanted;
  if (end < last) return wanted - (wanted % blockSize);
  if (computed < last && last < end) return last - computed;
  return wanted;
}

/**
 * State pages one request holds per Mamba group (MambaSpec.max_memory_usage_bytes, in pages):
 * "none" 1 + k (its running state and one per speculative token); "align" 2 + k (also the last
 * block-aligned state it kept, which a later request may hit); "all" ceil(max_model_len / block)
 * + k (a state at every block boundary). `k`: speculative tokens (0 without drafting).
 */
export function statePagesPerGroup(
  mode: MambaCacheMode,
  speculativeTokens: number,
  maxModelLen: number,
  blockSize: number,
): number {
  if (mode === "align") return 2 + speculativeTokens;
  if (mode === "all") return Math.ceil(maxModelLen / blockSize) + speculativeTokens;
  return 1 + speculativeTokens;
}
