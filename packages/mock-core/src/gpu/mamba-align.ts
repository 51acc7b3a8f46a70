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

/**
 * vLLM's MambaModelConfig line when Mamba2 prefix caching is on in the releases before
 * `--mamba-cache-mode` (model_executor/models/config.py after PR #25752 "Mamba2 Automatic Prefix
 * Caching", 0.11.1 to 0.14.x): logged at info level, with no mode in it.
 */
export const mamba2PrefixCachingLine =
  "Warning: Prefix caching is currently enabled. Its support for Mamba layers is experimental. Please report any issues you may observe.";

/**
 * The same config's line when `--enable-prefix-caching` is asked of a hybrid whose model class
 * does not support Mamba prefix caching (0.11.1 to 0.14.x): it turns caching off.
 */
export const mamba2PrefixCachingRefusedLine =
  "Hybrid or mamba-based model detected without support for prefix caching: disabling.";

/**
 * Hybrid prefix caching in vLLM 0.11.1 to 0.14.x (PR #25752, before PR #30877's
 * `--mamba-cache-mode`): opt-in with `--enable-prefix-caching` (`cachingAsked`), and only for a
 * model class that supports Mamba prefix caching (`supportsMamba2`: the Mamba2 hybrids, as
 * Granite 4.0 H; PR #27339 turned the list into the SupportsMambaPrefixCaching protocol). Such a
 * model keeps a state at every block boundary, what later releases call mode "all" (the block a
 * multiple of lcm(mamba_chunk_size, 16), HybridAttentionMambaModelConfig); any other stays
 * uncached, with {@link mamba2PrefixCachingRefusedLine} when caching was asked. `lines`: the
 * config-time lines other than the experimental one (which the cache sizing logs).
 */
export function mamba2PrefixCaching(
  cachingAsked: boolean,
  supportsMamba2: boolean,
): { readonly mode: MambaCacheMode; readonly lines: readonly string[] } {
  if (!cachingAsked) return { mode: "none", lines: [] };
  if (!supportsMamba2) return { mode: "none", lines: [mamba2PrefixCachingRefusedLine] };
  return { mode: "all", lines: [] };
}
