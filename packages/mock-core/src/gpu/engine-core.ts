/**
 * vLLM V1's scheduling loop on a modelled GPU (vllm/v1/core/sched/scheduler.py, vllm-openai.md §9),
 * with no clock of its own: the caller says when a step starts and learns when it ends. One
 * {@link EngineCore.step} serves running requests first (each gets its next prefill chunk or one
 * decode token), preempting the lowest-priority running request (FCFS: the newest) when KV blocks
 * run out, then admits waiting requests in policy order while the token budget, the sequence cap
 * and free blocks allow; the head of the queue blocks the rest when it cannot be placed. Prefix
 * cache hits on full 16-token blocks skip prefill. The step lasts what the step-time model says,
 * and every request whose known tokens are all computed samples one token at its end.
 */
import { BlockHasher, BlockPool } from "./block-pool.js";
import type { KvCacheLayout } from "./kv-capacity.js";
import { alignedChunk, type MambaCacheMode, statePagesPerGroup } from "./mamba-align.js";
import { grownColumn } from "./request-slots.js";
import {
  acceptedDrafts,
  DraftAcceptance,
  defaultPromptLookup,
  proposeNgram,
  proposeTime,
  SpecDecodeCounts,
  type SpeculativeDecoding,
} from "./speculative.js";
import { addToLoad, emptyLoad, type StepLoad, type StepTimeModel } from "./step-time.js";
import { StepTokens } from "./step-tokens.js";

export { StepTokens } from "./step-tokens.js";

/** One request as the engine sees it. Times in seconds on the caller's clock. */
export interface EngineRequest {
  /** Unique id. */
  readonly id: string;
  /**
   * The prompt: token ids (prefix caching compares them), or just a length (a prompt unlike any
   * other, so it never hits the prefix cache).
   */
  readonly prompt: readonly number[] | number;
  /** Tokens to generate (max_tokens with ignore_eos, or the length the request will stop at). */
  readonly outputTokens: number;
  /** Priority under the `priority` policy: lower is served first (vLLM's rule); default 0. */
  readonly priority?: number;
  /**
   * The LoRA adapter the request runs with (its name); absent = the base model. At most
   * `maxLoras` distinct adapters run in one step, and an adapter salts the request's block
   * hashes, so requests of different adapters never share cached blocks (vllm-openai.md §9).
   */
  readonly lora?: string;
  /**
   * The ids of the tokens it will generate (at least `outputTokens` of them), known in advance
   * when a content engine decided them (the mock's text engines). With ids here and in `prompt`,
   * n-gram speculative decoding drafts from the sequence as vLLM's proposer does and accepts the
   * drafts that equal the next ids (speculative.ts proposeNgram); without them, or for EAGLE/MTP,
   * acceptance is the seeded per-position rate.
   */
  readonly outputIds?: readonly number[];
}

/** Scheduler settings: vLLM's flags of the same names. */
export interface EngineCoreConfig {
  /** KV blocks in the pool (`num_gpu_blocks`, e.g. from kvCapacity()). */
  readonly numBlocks: number;
  /** Tokens per block; default 16. */
  readonly blockSize?: number;
  /** `--max-num-seqs`: most requests running at once. */
  readonly maxNumSeqs: number;
  /** `--max-num-batched-tokens`: token budget of one step. */
  readonly maxNumBatchedTokens: number;
  /** `--max-model-len`: prompt + output may not exceed it. */
  readonly maxModelLen: number;
  /** `--scheduling-policy`; default "fcfs". */
  readonly schedulingPolicy?: "fcfs" | "priority";
  /** `--enable-prefix-caching` (on by default in V1). */
  readonly enablePrefixCaching?: boolean;
  /** `--long-prefill-token-threshold`: most prefill tokens one request gets per step; 0 = no limit. */
  readonly longPrefillTokenThreshold?: number;
  /** `--max-loras`: most distinct LoRA adapters in one step's batch; default 1 (vLLM's). */
  readonly maxLoras?: number;
  /**
   * `--async-scheduling` (vllm PR #19970; SchedulerConfig.async_scheduling): the scheduler runs
   * one step ahead of the GPU, so step k+1's batch is decided when step k starts. A request added
   * while a step is in flight (after one {@link EngineCore.step} call, before the next) is first
   * scheduled one step later than without it, unless the step would otherwise hold nothing (an
   * idle engine schedules at once). Default false: every request added before a step is eligible.
   */
  readonly asyncScheduling?: boolean;
  /** The step-time model of the GPU. */
  readonly stepTime: StepTimeModel;
  /**
   * The model's KV cache groups (kv-capacity.ts `kvCacheLayout`); default the step-time model's,
   * else one full-attention group. With every layer sliding (one sliding group, Mistral-7B-v0.1)
   * a sequence frees its blocks that fall wholly out of the window as it grows, and a prefix hit
   * needs only the window's blocks (vllm/v1/core/single_type_kv_cache_manager.py
   * SlidingWindowManager). With sliding and full groups (Gemma 2/3) the pool of `numBlocks` is
   * shared by all groups: each block position of a sequence takes one block in every group, and
   * the sliding groups' blocks of a position go back once it falls out of the window
   * (vllm/v1/core/kv_cache_coordinator.py HybridKVCacheCoordinator). A layout without a window
   * for a sliding model (kvCacheLayout(model, false), `--disable-hybrid-kv-cache-manager`) keeps
   * every block of every layer, while the sliding layers' compute still follows the step-time
   * model's window. A hybrid attention + Mamba layout (`mambaGroups`, Granite 4.0 H, Qwen3-Next)
   * gives each request 1 + k blocks per Mamba group besides its attention blocks (k: the
   * `speculative` config's `numSpeculativeTokens`, every method n-gram included; 0 without), taken
   * when it is admitted and held until it finishes or is preempted
   * (vllm/v1/core/single_type_kv_cache_manager.py MambaManager in mamba_cache_mode "none", its
   * MambaSpec block size being `max_model_len`; model_executor/layers/mamba/abstract.py sets
   * `num_speculative_blocks` to `num_speculative_tokens` for any speculative config). With
   * prefix caching, see {@link EngineCoreConfig.mambaCacheMode}.
   */
  readonly kvLayout?: KvCacheLayout;
  /**
   * vLLM's `--mamba-cache-mode` for a layout with Mamba groups (vllm/config/cache.py
   * MambaCacheMode; ignored without them). "none" (the default, the releases whose hybrids log
   * "disabling prefix caching since it is not yet supported"): a hybrid model does no prefix
   * caching at all, whatever `enablePrefixCaching` says. "align" (cache.py: the default when
   * prefix caching is enabled, in the releases that have the option): each request holds 2 + k
   * state pages per Mamba group, prefill chunks end on block boundaries (./mamba-align.ts), the
   * state at a step's block-aligned end is cached, and a prefix hit needs the attention blocks AND
   * a cached state at the same position (HybridKVCacheCoordinator: the longest such position).
   * "all": a state at every block boundary, the Mamba groups caching like attention groups (one
   * page per block position, plus k). Only with `enablePrefixCaching`.
   */
  readonly mambaCacheMode?: MambaCacheMode;
  /**
   * vLLM's `--speculative-config` (./speculative.ts): each decoding sequence schedules 1 + k
   * tokens (the token budget and `max_model_len` may cut the drafts), and emits 1 + accepted
   * tokens at the step's end. Absent (the default): no speculative decoding.
   */
  readonly speculative?: SpeculativeDecoding;
}

/** One token leaving the engine. */
export interface EngineTokenEvent {
  readonly requestId: string;
  /** 0 for the first output token. */
  readonly index: number;
  /** When the step that sampled it ended. */
  readonly time: number;
  /** Whether this is the request's last token (it finished with this step). */
  readonly last: boolean;
  /**
   * The number of the engine step that sampled it (1 for the engine's first step): tokens of one
   * step share it. A small integer, so a consumer can tell steps apart without a float.
   */
  readonly step: number;
}

/** A request that left the engine during a step or by abort. */
export interface FinishedRequest {
  readonly requestId: string;
  /** "length": generated all its tokens; "abort": aborted by the caller. */
  readonly reason: "length" | "abort";
  readonly time: number;
}

/** What one step did. Times in seconds; token counts are tokens. */
export interface StepStats {
  readonly start: number;
  readonly duration: number;
  /** Requests running after scheduling (`vllm:num_requests_running`). */
  readonly running: number;
  /** Requests waiting after scheduling (`vllm:num_requests_waiting`). */
  readonly waiting: number;
  /** Used / total blocks after scheduling (`vllm:kv_cache_usage_perc`). */
  readonly kvUsage: number;
  /** Tokens computed this step (`vllm:iteration_tokens_total`). */
  readonly scheduledTokens: number;
  /** Of those, prompt (or recomputed) tokens. */
  readonly prefillTokens: number;
  /** Requests preempted this step. */
  readonly preemptions: number;
  /** Prompt tokens looked up in the prefix cache this step, and how many hit. */
  readonly prefixQueries: number;
  readonly prefixHits: number;
  /** With speculative decoding: the step's drafts, draft and accepted tokens (vLLM's SpecDecodingStats). */
  readonly specDecode?: SpecDecodeCounts;
}

/** The outcome of {@link EngineCore.step}. */
export interface StepResult {
  readonly stats: StepStats;
  /** start + duration: when the tokens below are out. */
  readonly end: number;
  /**
   * The step's tokens as one batch (no object per token): what a consumer on the hot path reads
   * (GpuEngine, EngineMetrics).
   */
  readonly sampled: StepTokens;
  /** The same tokens as event objects, made on first read ({@link StepTokens.events}). */
  readonly tokens: readonly EngineTokenEvent[];
  readonly finished: readonly FinishedRequest[];
  /** Requests scheduled for the first time this step, with their prefix-cache hit tokens. */
  readonly admitted: readonly { readonly requestId: string; readonly cachedTokens: number }[];
}

/**
 * `result` with its end moved to `end` (simulated seconds, not before `result.end`): a step of a
 * data-parallel rank in lock step ends when the slowest rank's does (data-parallel.ts
 * lockStepSeconds), so its tokens and finished requests come out then and its duration grows to
 * match. A new result (the batch's arrays copied, O(tokens)); `result` itself is unchanged.
 */
export function stretchStep(result: StepResult, end: number): StepResult {
  if (!(end >= result.end)) throw new RangeError("a step can only be stretched to a later end");
  const { stats, sampled } = result;
  const ids: string[] = new Array(sampled.length);
  const codes: number[] = new Array(sampled.length);
  const hostSlots = new Int32Array(sampled.length);
  for (let i = 0; i < sampled.length; i++) {
    ids[i] = sampled.requestId(i);
    codes[i] = sampled.index(i) * 2 + (sampled.last(i) ? 1 : 0);
    hostSlots[i] = sampled.hostSlot(i);
  }
  const stretched = new StepTokens(sampled.step, end, ids, codes, hostSlots);
  return {
    stats: {
      start: stats.start,
      duration: end - stats.start,
      running: stats.running,
      waiting: stats.waiting,
      kvUsage: stats.kvUsage,
      scheduledTokens: stats.scheduledTokens,
      prefillTokens: stats.prefillTokens,
      preemptions: stats.preemptions,
      prefixQueries: stats.prefixQueries,
      prefixHits: stats.prefixHits,
      specDecode: stats.specDecode,
    },
    end,
    sampled: stretched,
    get tokens() {
      return stretched.events();
    },
    finished: result.finished.map((f) => ({ requestId: f.requestId, reason: f.reason, time: end })),
    admitted: result.admitted,
  };
}

/** Why {@link EngineCore.add} refused a request. */
export class EngineRequestError extends Error {
  override readonly name = "EngineRequestError";
}

/** The distinct LoRA adapters among `sequences`. */
function scheduledLoras(sequences: readonly (Sequence | undefined)[], count: number): Set<string> {
  const loras = new Set<string>();
  for (let i = 0; i < count; i++) {
    const { lora } = (sequences[i] as Sequence).request;
    if (lora !== undefined) loras.add(lora);
  }
  return loras;
}

/** A request's prompt then output ids in one typed array (n-gram drafting reads it per step). */
function contentIds(prompt: readonly number[], output: readonly number[]): Int32Array {
  const ids = new Int32Array(prompt.length + output.length);
  ids.set(prompt);
  ids.set(output, prompt.length);
  return ids;
}

/** No blocks (shared: a sequence that was never preempted remembers none). */
const noBlocks: readonly number[] = Object.freeze([]);

/**
 * The per-request numbers a step reads and writes for every running request, in typed columns
 * indexed by the request's slot (a small integer, reused after the request leaves): a decode step
 * walks contiguous arrays instead of one object per request. The requests of a mock are allocated
 * among their content (a GPU text engine drains 1,000 token events before the request arrives),
 * so each object a step reaches per request is a likely cache miss on a large heap (measured,
 * issue 7). Token counts, all below max_model_len, fit Int32Array. Columns grow by doubling; a
 * {@link Sequence} reads them through this object, whose arrays the growth replaces.
 */
class SequenceColumns {
  /** Prompt length and `outputTokens` (fixed per request). */
  promptLength = new Int32Array(16);
  outputTokens = new Int32Array(16);
  /** Tokens generated so far, and tokens whose KV is computed. */
  generated = new Int32Array(16);
  computed = new Int32Array(16);
  /** Entries of the sequence's `blocks` (block positions × KV cache groups). */
  blockCount = new Int32Array(16);
  /** Block positions whose hashes are cached in the pool. */
  cachedBlocks = new Int32Array(16);
  /** Tokens scheduled for it in the step being built (0: none); of those, draft tokens. */
  stepTokens = new Int32Array(16);
  stepDrafts = new Int32Array(16);
  /** Where the step's n-gram drafts start in its ids (prompt then output); -1: rate-drawn drafts. */
  stepDraftStart = new Int32Array(16);
  /** 1 when it finished in the step being run (it leaves the running batch at the step's end). */
  finished = new Int32Array(16);
  /** The caller's host slot for the request (EngineCore.add), copied into each token's batch. */
  hostSlot = new Int32Array(16);
  /** The request id of each slot (pointers only: a token event takes its id from here). */
  readonly ids: (string | undefined)[] = [];
  readonly #free: number[] = [];
  #size = 0;

  /** A slot for a new sequence (a freed one first), its columns zeroed and sized. */
  take(id: string): number {
    const slot = this.#free.pop() ?? this.#size++;
    if (slot >= this.computed.length) {
      this.promptLength = grownColumn(this.promptLength, slot);
      this.outputTokens = grownColumn(this.outputTokens, slot);
      this.generated = grownColumn(this.generated, slot);
      this.computed = grownColumn(this.computed, slot);
      this.blockCount = grownColumn(this.blockCount, slot);
      this.cachedBlocks = grownColumn(this.cachedBlocks, slot);
      this.stepTokens = grownColumn(this.stepTokens, slot);
      this.stepDrafts = grownColumn(this.stepDrafts, slot);
      this.stepDraftStart = grownColumn(this.stepDraftStart, slot);
      this.finished = grownColumn(this.finished, slot);
      this.hostSlot = grownColumn(this.hostSlot, slot);
    }
    this.generated[slot] = 0;
    this.computed[slot] = 0;
    this.blockCount[slot] = 0;
    this.cachedBlocks[slot] = 0;
    this.stepTokens[slot] = 0;
    this.stepDrafts[slot] = 0;
    this.stepDraftStart[slot] = -1;
    this.finished[slot] = 0;
    this.ids[slot] = id;
    return slot;
  }

  /** The sequence in `slot` left the engine: the slot may be taken again. */
  give(slot: number): void {
    this.ids[slot] = undefined;
    this.#free.push(slot);
  }
}

/**
 * One request's scheduler state: what a step reads for every running request lives in the
 * engine's {@link SequenceColumns} at `slot` (the accessors here read and write it there, for the
 * code paths that run per request rather than per step); the rest on the object.
 */
class Sequence {
  readonly request: EngineRequest;
  /** `request.id`. */
  readonly id: string;
  readonly slot: number;
  readonly #columns: SequenceColumns;
  readonly serial: number;
  readonly priority: number;
  readonly order: number;
  /** Parent id of its first block: 0, or a hash of its LoRA adapter's name. */
  readonly salt: number;
  #blocks: number[] = [];
  /** Block positions before this one had their sliding groups' blocks freed (they hold -1). */
  firstHeld = 0;
  /**
   * Its Mamba groups' state blocks while admitted (hybrid layouts; else empty): 1 + k per group,
   * 2 + k in align mode, whose first `mambaGroups` entries hold its last kept (cached) states.
   */
  stateBlocks: number[] = [];
  /** The blocks it held before its last preemption: where its unshareable blocks may still be. */
  released: readonly number[] = noBlocks;
  hashes: number[] = [];
  admitted = false;
  /** Prompt then output ids, for n-gram drafting from content; absent without ids. */
  readonly ids: Int32Array | undefined;
  /** Under async scheduling, the first step number it may be scheduled in (1 = the first step). */
  readonly eligibleStep: number;
  /** When it reached the engine (caller's seconds); -Infinity when the caller gave no time. */
  readonly arrival: number;

  constructor(
    columns: SequenceColumns,
    request: EngineRequest,
    fields: {
      promptLength: number;
      serial: number;
      priority: number;
      salt: number;
      ids: Int32Array | undefined;
      eligibleStep: number;
      arrival: number;
      hostSlot: number;
    },
  ) {
    this.request = request;
    this.id = request.id;
    this.#columns = columns;
    this.slot = columns.take(request.id);
    columns.promptLength[this.slot] = fields.promptLength;
    columns.outputTokens[this.slot] = request.outputTokens;
    columns.hostSlot[this.slot] = fields.hostSlot;
    this.serial = fields.serial;
    this.order = fields.serial;
    this.priority = fields.priority;
    this.salt = fields.salt;
    this.ids = fields.ids;
    this.eligibleStep = fields.eligibleStep;
    this.arrival = fields.arrival;
  }

  get promptLength(): number {
    return this.#columns.promptLength[this.slot] as number;
  }
  /** `request.outputTokens`. */
  get outputTokens(): number {
    return this.#columns.outputTokens[this.slot] as number;
  }
  get generated(): number {
    return this.#columns.generated[this.slot] as number;
  }
  set generated(value: number) {
    this.#columns.generated[this.slot] = value;
  }
  get computed(): number {
    return this.#columns.computed[this.slot] as number;
  }
  set computed(value: number) {
    this.#columns.computed[this.slot] = value;
  }
  get cachedBlocks(): number {
    return this.#columns.cachedBlocks[this.slot] as number;
  }
  set cachedBlocks(value: number) {
    this.#columns.cachedBlocks[this.slot] = value;
  }
  get stepTokens(): number {
    return this.#columns.stepTokens[this.slot] as number;
  }
  set stepTokens(value: number) {
    this.#columns.stepTokens[this.slot] = value;
  }
  get stepDrafts(): number {
    return this.#columns.stepDrafts[this.slot] as number;
  }
  set stepDrafts(value: number) {
    this.#columns.stepDrafts[this.slot] = value;
  }
  get stepDraftStart(): number {
    return this.#columns.stepDraftStart[this.slot] as number;
  }
  set stepDraftStart(value: number) {
    this.#columns.stepDraftStart[this.slot] = value;
  }
  /** Set when it finished in the step being run (it leaves the running batch at the step's end). */
  get finished(): boolean {
    return this.#columns.finished[this.slot] === 1;
  }
  set finished(value: boolean) {
    this.#columns.finished[this.slot] = value ? 1 : 0;
  }
  /**
   * Its KV blocks, per block position one per KV cache group. Assigning a new array, or
   * {@link Sequence.blocksChanged} after pushing into it, keeps the column's count.
   */
  get blocks(): number[] {
    return this.#blocks;
  }
  set blocks(blocks: number[]) {
    this.#blocks = blocks;
    this.#columns.blockCount[this.slot] = blocks.length;
  }
  /** Call after pushing into `blocks`. */
  blocksChanged(): void {
    this.#columns.blockCount[this.slot] = this.#blocks.length;
  }
}

/** The scheduler and KV cache of one engine; see the module comment. */
export class EngineCore {
  readonly #config: Required<
    Omit<EngineCoreConfig, "stepTime" | "speculative" | "kvLayout" | "mambaCacheMode">
  > & {
    stepTime: StepTimeModel;
  };
  /** Sliding window the KV cache manager keeps (tokens); 0 = none. */
  readonly #window: number;
  /**
   * Sliding window the sliding layers attend over (tokens; 0 = none): the KV layout's, or, when
   * the layout given keeps full KV on every layer (`--disable-hybrid-kv-cache-manager`), the
   * step-time model's (vLLM: "The compute of layers like sliding window is still saved").
   */
  readonly #attentionWindow: number;
  /**
   * KV cache groups: a sequence's `blocks` hold, per block position, one block of each group,
   * the `#fullGroups` full-attention ones first, then the sliding ones (1 and 1 without a window).
   */
  readonly #stride: number;
  readonly #fullGroups: number;
  /**
   * KV slots a running request reserves past its step's tokens for the proposer's passes
   * (vllm/v1/core/sched/scheduler.py `num_lookahead_tokens`): k for the EAGLE family (`use_eagle`:
   * eagle, eagle3, mtp) and a draft model (`uses_draft_model`), 0 for n-gram and without drafting.
   */
  readonly #lookahead: number;
  /**
   * State blocks an admitted request of a hybrid layout holds: Mamba groups x (1 + k speculative
   * tokens), MambaManager's 1 + `num_speculative_blocks` per group; 2 + k in align mode; k in
   * "all" mode (its per-position pages count as blocks); 0: no Mamba groups.
   */
  readonly #statePerRequest: number;
  /**
   * Prefix caching as this engine does it: `enablePrefixCaching`, except a hybrid layout in
   * `mambaCacheMode` "none" (vLLM turns it off for the model).
   */
  readonly #caching: boolean;
  /** Mamba groups cached in align mode (0: not a hybrid, or not align mode, or no caching). */
  readonly #alignGroups: number;
  /** An EAGLE-family drafter: align mode keeps states one block earlier ("eagle prune"). */
  readonly #eagle: boolean;
  /** Scratch: a prefix lookup's cached Mamba state pages, one per Mamba group. */
  readonly #stateHits: number[] = [];
  readonly #speculative: SpeculativeDecoding | undefined;
  readonly #acceptance: DraftAcceptance | undefined;
  /** n-gram drafting from content: method "ngram" with `draftFromContent` (requests with ids). */
  readonly #ngram: boolean;
  readonly #lookupMin: number;
  readonly #lookupMax: number;
  readonly #pool: BlockPool;
  readonly #hasher = new BlockHasher();
  readonly #sequences = new Map<string, Sequence>();
  readonly #waiting: Sequence[] = [];
  readonly #running: Sequence[] = [];
  /** Per-request numbers by slot (see {@link SequenceColumns}). */
  readonly #columns = new SequenceColumns();
  /** The slots of `#running`, in the same order (a step walks these, not the objects). */
  readonly #runningSlots: Int32Array;
  /** The slots of the step's batch `#scheduled`, in the same order. */
  readonly #scheduledSlots: Int32Array;
  /** Per batch member, its KV tokens after the step (the drafter's chained passes read them). */
  readonly #draftContexts: Int32Array;
  /** The load of one chained drafter pass, rebuilt per pass. */
  readonly #draftLoad: StepLoad = emptyLoad();
  /**
   * The batch of the step being built, in scheduling order (each member's share is its
   * `stepTokens`): its first `count` entries (a local of `step`), the rest undefined. Kept with
   * its capacity between steps, as `length = 0` would give the backing store back (V8) and the
   * next step would grow a new one: about 26 bytes per scheduled request per step.
   */
  readonly #scheduled: (Sequence | undefined)[] = [];
  #serial = 0;
  /** Steps run so far (results returned by {@link EngineCore.step}). */
  #steps = 0;
  #preemptionsTotal = 0;
  #prefixQueriesTotal = 0;
  #prefixHitsTotal = 0;

  constructor(config: EngineCoreConfig) {
    this.#config = {
      blockSize: 16,
      schedulingPolicy: "fcfs",
      enablePrefixCaching: true,
      longPrefillTokenThreshold: 0,
      maxLoras: 1,
      asyncScheduling: false,
      ...config,
    };
    for (const key of [
      "maxNumSeqs",
      "maxNumBatchedTokens",
      "maxModelLen",
      "blockSize",
      "maxLoras",
    ] as const) {
      const value = this.#config[key];
      if (!Number.isInteger(value) || value < 1)
        throw new RangeError(`${key} must be a positive integer`);
    }
    const layout = config.kvLayout ?? config.stepTime.kvLayout;
    this.#window = layout?.window ?? 0;
    this.#attentionWindow =
      this.#window === 0 ? (config.stepTime.kvLayout?.window ?? 0) : this.#window;
    const mambaGroups = layout?.mambaGroups ?? 0;
    const mode = config.mambaCacheMode ?? "none";
    this.#caching = this.#config.enablePrefixCaching && (mambaGroups === 0 || mode !== "none");
    const stateMode = this.#caching ? mode : "none";
    const k = config.speculative?.numSpeculativeTokens ?? 0;
    // "all": each Mamba group keeps a page per block position like an attention group (so it
    // joins the full groups: cached, hit and freed with them), plus its k speculative pages.
    const allMode = mambaGroups > 0 && stateMode === "all";
    this.#fullGroups = (layout === undefined ? 1 : layout.fullGroups) + (allMode ? mambaGroups : 0);
    this.#statePerRequest =
      mambaGroups * (allMode ? k : statePagesPerGroup(stateMode, k, 0, this.#config.blockSize));
    this.#alignGroups = stateMode === "align" ? mambaGroups : 0;
    this.#eagle =
      config.speculative !== undefined &&
      (config.speculative.method === "eagle" ||
        config.speculative.method === "eagle3" ||
        config.speculative.method === "mtp");
    this.#lookahead =
      config.speculative === undefined || config.speculative.method === "ngram"
        ? 0
        : config.speculative.numSpeculativeTokens;
    this.#stride =
      (layout === undefined ? 1 : layout.fullGroups + layout.slidingGroups) +
      (allMode ? mambaGroups : 0);
    this.#pool = new BlockPool(config.numBlocks);
    // The batch never holds more than --max-num-seqs requests (admission stops there).
    this.#runningSlots = new Int32Array(this.#config.maxNumSeqs);
    this.#scheduledSlots = new Int32Array(this.#config.maxNumSeqs);
    this.#draftContexts = new Int32Array(
      config.speculative?.drafterStepTime === undefined ? 0 : this.#config.maxNumSeqs,
    );
    const speculative = config.speculative;
    this.#speculative = speculative;
    if (speculative !== undefined) {
      const k = speculative.numSpeculativeTokens;
      if (!Number.isInteger(k) || k < 1)
        throw new RangeError("numSpeculativeTokens must be a positive integer");
      if (speculative.acceptanceRates.length !== k)
        throw new RangeError("acceptanceRates must have one rate per speculative token");
      this.#acceptance = new DraftAcceptance(speculative.acceptanceRates, speculative.seed ?? 0);
    }
    this.#ngram = speculative?.method === "ngram" && speculative.draftFromContent === true;
    this.#lookupMin = speculative?.promptLookupMin ?? defaultPromptLookup;
    this.#lookupMax = speculative?.promptLookupMax ?? this.#lookupMin;
    if (
      this.#ngram &&
      !(
        Number.isInteger(this.#lookupMin) &&
        this.#lookupMin >= 1 &&
        Number.isInteger(this.#lookupMax) &&
        this.#lookupMax >= this.#lookupMin
      )
    )
      throw new RangeError("promptLookupMin and promptLookupMax must be integers, 1 ≤ min ≤ max");
  }

  /**
   * Whether steps draft from the requests' content (n-gram speculative decoding with
   * `draftFromContent`): only then are a request's `outputIds` read, so a caller may leave them out
   * otherwise.
   */
  get draftsFromContent(): boolean {
    return this.#ngram;
  }

  /** Requests in the running batch. */
  get running(): number {
    return this.#running.length;
  }

  /** Requests in the waiting queue. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Used / total KV blocks. */
  get kvUsage(): number {
    return this.#pool.usage;
  }

  /** Counters since creation: preemptions, prefix-cache queries and hits (tokens). */
  get counters(): { preemptions: number; prefixQueries: number; prefixHits: number } {
    return {
      preemptions: this.#preemptionsTotal,
      prefixQueries: this.#prefixQueriesTotal,
      prefixHits: this.#prefixHitsTotal,
    };
  }

  /**
   * The LoRA adapters of the running and of the waiting requests, each name once, in order of
   * first appearance (`vllm:lora_requests_info`'s `running_lora_adapters` and
   * `waiting_lora_adapters`).
   */
  loraAdapters(): { running: string[]; waiting: string[] } {
    const names = (sequences: readonly Sequence[]) => {
      const seen = new Set<string>();
      for (const s of sequences) if (s.request.lora !== undefined) seen.add(s.request.lora);
      return [...seen];
    };
    return { running: names(this.#running), waiting: names(this.#waiting) };
  }

  /**
   * Seconds of the one-token dummy forward pass an idle data-parallel rank runs so that a MoE
   * model's collectives meet (vllm/v1/worker/gpu_worker.py `execute_dummy_batch`, `_dummy_run(1)`):
   * this engine's step time for one sequence computing one token on an empty cache. No drafter:
   * the dummy run proposes nothing.
   */
  dummyStepSeconds(): number {
    return this.#config.stepTime.time(addToLoad(emptyLoad(), 1, 0, this.#attentionWindow));
  }

  /**
   * The earliest arrival among the waiting requests (seconds, as given to {@link EngineCore.add}):
   * -Infinity when one came without a time, Infinity when none waits. An idle engine's next step
   * starts no earlier than this (it cannot admit anyone before).
   */
  earliestArrival(): number {
    let earliest = Number.POSITIVE_INFINITY;
    for (const s of this.#waiting) if (s.arrival < earliest) earliest = s.arrival;
    return earliest;
  }

  /** Whether any request is waiting or running. */
  hasWork(): boolean {
    return this.#running.length > 0 || this.#waiting.length > 0;
  }

  /**
   * Queues a request. Throws an {@link EngineRequestError} for a duplicate id, an empty prompt,
   * fewer than one output token, prompt + output over max_model_len, or a non-zero priority under
   * the fcfs policy (vllm-openai.md §9: vLLM answers 400 to that).
   *
   * `arrival` (seconds, the clock of {@link EngineCore.step}) is when the request reached the
   * engine: no step that starts before it admits the request, as a step vLLM's engine began before
   * a request came in cannot hold it. The real-time driver needs it when it runs steps it owes
   * after a lag (their start times are in the past); absent (the default, what `simulate()` does,
   * adding each request when the virtual clock reaches it), any step may admit it.
   *
   * `hostSlot` (default -1, none) is the caller's own small integer for the request, its index in
   * the caller's per-request columns: every token of the request carries it in the step's batch
   * ({@link StepTokens.hostSlot}), so the caller dispatches tokens by index instead of looking
   * their ids up (issue 7). The engine only stores and copies it.
   */
  add(request: EngineRequest, arrival = Number.NEGATIVE_INFINITY, hostSlot = -1): void {
    const promptLength =
      typeof request.prompt === "number" ? request.prompt : request.prompt.length;
    const priority = request.priority ?? 0;
    if (!Number.isInteger(hostSlot) || hostSlot < -1 || hostSlot > 0x7fffffff)
      throw new RangeError("hostSlot must be an integer from -1 to 2^31-1");
    if (this.#sequences.has(request.id))
      throw new EngineRequestError(`duplicate request id "${request.id}"`);
    if (!Number.isInteger(promptLength) || promptLength < 1)
      throw new EngineRequestError("prompt must not be empty");
    if (!Number.isInteger(request.outputTokens) || request.outputTokens < 1) {
      throw new EngineRequestError("outputTokens must be a positive integer");
    }
    if (promptLength + request.outputTokens > this.#config.maxModelLen) {
      throw new EngineRequestError(
        `prompt (${promptLength}) + output (${request.outputTokens}) tokens exceed max_model_len ${this.#config.maxModelLen}`,
      );
    }
    if (priority !== 0 && this.#config.schedulingPolicy === "fcfs") {
      throw new EngineRequestError("priority needs the priority scheduling policy");
    }
    const outputIds = request.outputIds;
    if (outputIds !== undefined && outputIds.length < request.outputTokens)
      throw new EngineRequestError(
        `outputIds holds ${outputIds.length} ids for ${request.outputTokens} output tokens`,
      );
    const ids =
      this.#ngram && outputIds !== undefined && typeof request.prompt !== "number"
        ? contentIds(request.prompt, outputIds)
        : undefined;
    const sequence = new Sequence(this.#columns, request, {
      promptLength,
      serial: ++this.#serial,
      priority,
      salt: request.lora === undefined ? 0 : this.#hasher.id(0, `lora:${request.lora}`),
      ids,
      // Added while step #steps runs: step #steps + 1 was decided when it started.
      eligibleStep: this.#config.asyncScheduling ? this.#steps + 2 : 0,
      arrival,
      hostSlot,
    });
    this.#sequences.set(request.id, sequence);
    this.#enqueue(sequence, false);
  }

  /**
   * Aborts a request (a client disconnect): it leaves the queue or the batch and its blocks go
   * back to the pool. Returns false for an id the engine does not hold.
   */
  abort(id: string): boolean {
    const sequence = this.#sequences.get(id);
    if (!sequence) return false;
    this.#sequences.delete(id);
    const waitingAt = this.#waiting.indexOf(sequence);
    if (waitingAt >= 0) this.#waiting.splice(waitingAt, 1);
    this.#leaveBatch(sequence);
    this.#pool.release(sequence.blocks);
    sequence.blocks = [];
    this.#releaseState(sequence);
    this.#columns.give(sequence.slot);
    return true;
  }

  /**
   * Runs one engine step starting at `now`. Returns undefined when nothing can be scheduled
   * (no work, a waiting head that no longer fits an empty engine, or only requests that arrive
   * after `now`).
   */
  step(now: number): StepResult | undefined {
    const config = this.#config;
    let budget = config.maxNumBatchedTokens;
    const scheduled = this.#scheduled;
    let count = 0; // members of `scheduled`
    let preemptions = 0;
    let prefixQueries = 0;
    let prefixHits = 0;
    const admitted: { requestId: string; cachedTokens: number }[] = [];

    // 1. Running requests, in order. A decode step reads and writes the columns only; the
    // sequence object is reached when it drafts, slides, needs blocks or fills one.
    const columns = this.#columns;
    const runningSlots = this.#runningSlots;
    const scheduledSlots = this.#scheduledSlots;
    const blockSize = config.blockSize;
    const stride = this.#stride;
    const lookahead = this.#lookahead;
    for (let index = 0; index < this.#running.length && budget > 0; index++) {
      const slot = runningSlots[index] as number;
      const generated = columns.generated[slot] as number;
      let wanted = Math.min(
        (columns.promptLength[slot] as number) + generated - (columns.computed[slot] as number),
        this.#cap(budget),
      );
      if (this.#alignGroups > 0) {
        // Align mode: a prefill chunk ends where its Mamba state is kept (or waits a step).
        wanted = alignedChunk(
          columns.computed[slot] as number,
          wanted,
          columns.promptLength[slot] as number,
          (columns.promptLength[slot] as number) + generated,
          blockSize,
          this.#eagle,
        );
        if (wanted === 0) continue;
      }
      let drafts = 0;
      if (this.#speculative !== undefined && wanted === 1 && generated > 0) {
        const sequence = this.#running[index] as Sequence;
        // vllm/v1/core/sched/scheduler.py: a decoding request schedules its last token plus its
        // draft tokens, within the token budget and max_model_len (drafts beyond them are cut).
        drafts = Math.min(
          this.#speculative.numSpeculativeTokens,
          this.#cap(budget) - 1,
          config.maxModelLen - 1 - sequence.computed - 1,
        );
        if (drafts < 0) drafts = 0;
        const ids = sequence.ids;
        if (ids !== undefined && drafts > 0) {
          // The n-gram proposer drafts from the tokens known so far, or proposes nothing.
          const known = sequence.promptLength + sequence.generated;
          const proposal = proposeNgram(ids, known, this.#lookupMin, this.#lookupMax, drafts);
          drafts = proposal.count;
          sequence.stepDraftStart = proposal.start;
        }
        wanted += drafts;
      }
      // allocate_slots frees the blocks the window left behind before counting new ones.
      if (this.#window > 0) this.#dropOutOfWindow(this.#running[index] as Sequence);
      // allocate_slots: slots for the step's tokens plus the proposer's lookahead, within
      // max_model_len (kv_cache_manager.py num_tokens_need_slot). Most steps the blocks held
      // already cover them (15 decode steps in 16): told in integers, without the division
      // below (through ≤ positions × blockSize, with positions = blockCount / stride).
      let placed =
        Math.min((columns.computed[slot] as number) + wanted + lookahead, config.maxModelLen) *
          stride <=
        (columns.blockCount[slot] as number) * blockSize;
      while (!placed) {
        const needed =
          (Math.ceil(
            Math.min((columns.computed[slot] as number) + wanted + lookahead, config.maxModelLen) /
              blockSize,
          ) -
            (columns.blockCount[slot] as number) / stride) *
          stride;
        if (needed <= this.#pool.freeBlocks) {
          if (needed > 0) {
            const sequence = this.#running[index] as Sequence;
            this.#pool.allocate(needed, sequence.blocks);
            sequence.blocksChanged();
          }
          placed = true;
          break;
        }
        const victim = this.#preemptionVictim();
        this.#preempt(victim);
        preemptions++;
        if (victim.stepTokens > 0) {
          // Out of the batch, the members after it moving up one place.
          let at = scheduled.indexOf(victim);
          for (; at < count - 1; at++) {
            scheduled[at] = scheduled[at + 1];
            scheduledSlots[at] = scheduledSlots[at + 1] as number;
          }
          scheduled[--count] = undefined;
          budget += victim.stepTokens;
          victim.stepTokens = 0;
          victim.stepDrafts = 0;
          victim.stepDraftStart = -1;
          index--;
        }
        if (victim.slot === slot) break;
      }
      if (!placed) {
        index--;
        continue;
      }
      // vLLM caches a block's hash when it is allocated for its last tokens (allocate_slots),
      // before the step computes it: a request scheduled later in the same step can hit it.
      // (A block filled: floor((computed + wanted) / blockSize) > cachedBlocks, in integers.)
      if (
        this.#caching &&
        (columns.computed[slot] as number) + wanted >=
          ((columns.cachedBlocks[slot] as number) + 1) * blockSize
      )
        this.#cacheFullBlocks(
          this.#running[index] as Sequence,
          (columns.computed[slot] as number) + wanted,
        );
      if (
        this.#alignGroups > 0 &&
        ((columns.computed[slot] as number) + wanted - drafts) % blockSize === 0
      )
        this.#keepState(
          this.#running[index] as Sequence,
          (columns.computed[slot] as number) + wanted - drafts,
        );
      columns.stepTokens[slot] = wanted;
      columns.stepDrafts[slot] = drafts;
      scheduledSlots[count] = slot;
      scheduled[count++] = this.#running[index];
      budget -= wanted;
    }

    // 2. Waiting requests, in policy order, unless this step preempted (and still runs something).
    if (preemptions === 0 || count === 0) {
      // Async scheduling: this step was decided when the previous one started, so a request that
      // came in since then waits, unless the step has nothing else (vllm PR #19970).
      const stepNumber = this.#steps + 1;
      const deferring = config.asyncScheduling && count > 0;
      // Adapters in this step's batch, gathered when the first waiting request with one comes up.
      let loras: Set<string> | undefined;
      let at = 0;
      while (at < this.#waiting.length && budget > 0 && this.#running.length < config.maxNumSeqs) {
        const sequence = this.#waiting[at] as Sequence;
        // Not yet in the engine when this step began (a step the real-time driver owed and runs
        // late): it waits for a step that starts after it arrived, and holds no one back.
        if ((deferring && sequence.eligibleStep > stepNumber) || sequence.arrival > now) {
          at++;
          continue;
        }
        const { lora } = sequence.request;
        if (lora !== undefined) {
          loras ??= scheduledLoras(scheduled, count);
          // vllm/v1/core/sched/scheduler.py: a request whose adapter would exceed max_loras is
          // skipped (it keeps its place in the queue); the requests behind it may still go.
          if (loras.size >= config.maxLoras && !loras.has(lora)) {
            at++;
            continue;
          }
        }
        const hits: number[] = [];
        const stateHits = this.#stateHits;
        stateHits.length = 0;
        const fresh = sequence.computed === 0;
        if (fresh && this.#caching) this.#lookupPrefix(sequence, hits);
        const hitPositions = hits.length / this.#stride;
        const hitTokens = hitPositions * config.blockSize;
        const start = fresh ? hitTokens : sequence.computed;
        let wanted = Math.min(this.#knownTokens(sequence) - start, this.#cap(budget));
        if (this.#alignGroups > 0) {
          wanted = alignedChunk(
            start,
            wanted,
            sequence.promptLength,
            this.#knownTokens(sequence),
            config.blockSize,
            this.#eagle,
          );
          if (wanted === 0) break;
        }
        const needed =
          (Math.ceil((start + wanted) / config.blockSize) -
            hitPositions -
            sequence.blocks.length / this.#stride) *
          this.#stride;
        // A hybrid model's request also takes 1 + k state blocks per Mamba group (MambaManager),
        // 2 + k in align mode, a cached state hit being one of them.
        const stateNeeded = this.#statePerRequest - sequence.stateBlocks.length - stateHits.length;
        let evictableHits = 0;
        for (const block of hits) if (block >= 0 && this.#pool.isFree(block)) evictableHits++;
        for (const block of stateHits) if (this.#pool.isFree(block)) evictableHits++;
        // head of line blocks the rest
        if (needed + stateNeeded + evictableHits > this.#pool.freeBlocks) break;
        this.#waiting.splice(at, 1);
        if (stateHits.length > 0) {
          // The hit states are its kept states (the first page of each Mamba group).
          this.#pool.touch(stateHits);
          sequence.stateBlocks.push(...stateHits);
        }
        if (stateNeeded > 0) this.#pool.allocate(stateNeeded, sequence.stateBlocks);
        this.#pool.touch(hits);
        sequence.blocks.push(...hits);
        sequence.released = noBlocks;
        if (needed > 0) this.#pool.allocate(needed, sequence.blocks);
        sequence.blocksChanged();
        sequence.computed = start;
        sequence.cachedBlocks = hitPositions;
        // Only when a block fills, as for running requests above: a short prompt fills none, and
        // a call that finds nothing to cache (1,000 such admissions) had the JIT compile the
        // method before its loop ran, then throw that code away at the first block that filled
        // (a deopt mid-step: 0.2-9 ms of that step in profiles with 1,000 running; issue 7).
        if (this.#caching && start + wanted >= (hitPositions + 1) * config.blockSize)
          this.#cacheFullBlocks(sequence, start + wanted);
        if (this.#alignGroups > 0 && (start + wanted) % config.blockSize === 0)
          this.#keepState(sequence, start + wanted);
        if (lora !== undefined) loras?.add(lora);
        if (fresh && this.#caching) {
          prefixQueries += this.#knownTokens(sequence);
          prefixHits += hitTokens;
        }
        if (!sequence.admitted) {
          sequence.admitted = true;
          admitted.push({ requestId: sequence.id, cachedTokens: hitTokens });
        }
        runningSlots[this.#running.length] = sequence.slot;
        this.#running.push(sequence);
        sequence.stepTokens = wanted;
        scheduledSlots[count] = sequence.slot;
        scheduled[count++] = sequence;
        budget -= wanted;
      }
    }

    if (count === 0) return undefined;
    this.#steps++;

    // 3. Execute: the step's duration from its load, then sample.
    const load: StepLoad = emptyLoad();
    let prefillTokens = 0;
    let drafting = false;
    /** Draft tokens in the batch: each may come out accepted, one more token at most. */
    let draftTokens = 0;
    // Indexed loops over the batch: no iterator per step on this path.
    for (let i = 0; i < count; i++) {
      const slot = scheduledSlots[i] as number;
      const drafts = columns.stepDrafts[slot] as number;
      if (drafts > 0) {
        drafting = true;
        draftTokens += drafts;
      }
      const tokens = columns.stepTokens[slot] as number;
      const computed = columns.computed[slot] as number;
      const generated = columns.generated[slot] as number;
      addToLoad(load, tokens, computed, this.#attentionWindow);
      const decoding =
        generated > 0 && computed === (columns.promptLength[slot] as number) + generated - 1;
      if (!decoding) prefillTokens += tokens;
    }
    // The drafter runs once per step for the whole batch: a fixed time (speculative.ts
    // draftPassTime), or its own model's passes over this step's load (proposeTime).
    let duration = config.stepTime.time(load);
    if (drafting) {
      const speculative = this.#speculative as SpeculativeDecoding;
      const drafter = speculative.drafterStepTime;
      if (drafter === undefined) duration += speculative.draftTime ?? 0;
      else {
        const contexts = this.#draftContexts;
        for (let i = 0; i < count; i++) {
          const slot = scheduledSlots[i] as number;
          contexts[i] = (columns.computed[slot] as number) + (columns.stepTokens[slot] as number);
        }
        duration += proposeTime(
          drafter,
          load,
          speculative.numSpeculativeTokens,
          contexts,
          count,
          this.#draftLoad,
        );
      }
    }
    const specDecode =
      this.#speculative === undefined
        ? undefined
        : new SpecDecodeCounts(this.#speculative.numSpeculativeTokens);
    const end = now + duration;
    const stats: StepStats = {
      start: now,
      duration,
      running: this.#running.length,
      waiting: this.#waiting.length,
      kvUsage: this.#pool.usage,
      scheduledTokens: load.tokens,
      prefillTokens,
      preemptions,
      prefixQueries,
      prefixHits,
      specDecode,
    };
    // The step's tokens as they are sampled: each one's request id and its `index * 2 + last`
    // code (StepTokens), written straight into the batch's own arrays, sized for the most the
    // step can emit (one token per member plus its drafts) and cut to what it did: no scratch
    // copied out and cleared per step.
    const tokenIds: string[] = new Array(count + draftTokens);
    const tokenCodes: number[] = new Array(count + draftTokens);
    // Host slots in a typed array: its 4 bytes per token live outside the young generation (a
    // packed array of small integers is 8 bytes per token on the heap, ~8 KB per step at 1,000).
    const tokenHostSlots = new Int32Array(count + draftTokens);
    let tokenCount = 0;
    const finished: FinishedRequest[] = [];
    const ids = columns.ids;
    for (let i = 0; i < count; i++) {
      const slot = scheduledSlots[i] as number;
      // Each sequence samples one token when all its known tokens are computed; with drafts, the
      // accepted ones come first (their KV is kept; a rejected draft's slot is overwritten later).
      let emitted = 1;
      const stepDrafts = columns.stepDrafts[slot] as number;
      if (stepDrafts > 0) {
        const sequence = scheduled[i] as Sequence;
        const ids = sequence.ids;
        const accepted =
          ids !== undefined && sequence.stepDraftStart >= 0
            ? acceptedDrafts(
                ids,
                sequence.stepDraftStart,
                stepDrafts,
                sequence.promptLength + sequence.generated,
              )
            : (this.#acceptance as DraftAcceptance).accepted(stepDrafts);
        specDecode?.observe(stepDrafts, accepted);
        columns.computed[slot] =
          (columns.computed[slot] as number) +
          (columns.stepTokens[slot] as number) -
          stepDrafts +
          accepted;
        emitted += accepted;
      } else {
        columns.computed[slot] =
          (columns.computed[slot] as number) + (columns.stepTokens[slot] as number);
      }
      columns.stepTokens[slot] = 0;
      columns.stepDrafts[slot] = 0;
      columns.stepDraftStart[slot] = -1;
      let generated = columns.generated[slot] as number;
      if (
        (columns.computed[slot] as number) >=
        (columns.promptLength[slot] as number) + generated
      ) {
        const outputTokens = columns.outputTokens[slot] as number;
        const id = ids[slot] as string;
        const hostSlot = columns.hostSlot[slot] as number;
        let last = false;
        // Tokens past max_tokens are dropped, as vLLM's output processor stops at the limit.
        for (let e = 0; e < emitted && !last; e++) {
          const index = generated++;
          last = generated >= outputTokens;
          tokenIds[tokenCount] = id;
          tokenHostSlots[tokenCount] = hostSlot;
          tokenCodes[tokenCount++] = index * 2 + (last ? 1 : 0);
        }
        columns.generated[slot] = generated;
        if (last) {
          const sequence = scheduled[i] as Sequence;
          finished.push({ requestId: id, reason: "length", time: end });
          this.#sequences.delete(id);
          columns.finished[slot] = 1;
          this.#pool.release(sequence.blocks);
          sequence.blocks = [];
          this.#releaseState(sequence);
        }
      }
    }
    if (finished.length > 0) {
      // Compact the batch in place (by the slots' finished column): no new array per step.
      const running = this.#running;
      let kept = 0;
      for (let i = 0; i < running.length; i++) {
        const slot = runningSlots[i] as number;
        if (columns.finished[slot] === 1) continue;
        runningSlots[kept] = slot;
        running[kept++] = running[i] as Sequence;
      }
      running.length = kept;
      // Their slots are free for the next requests only now, after the walk above.
      for (let i = 0; i < count; i++) {
        const slot = scheduledSlots[i] as number;
        if (columns.finished[slot] === 1 && ids[slot] !== undefined) columns.give(slot);
      }
    }
    if (tokenCount < tokenIds.length) {
      tokenIds.length = tokenCount;
      tokenCodes.length = tokenCount;
    }
    const sampled = new StepTokens(this.#steps, end, tokenIds, tokenCodes, tokenHostSlots);
    // The scratch batch keeps its capacity but holds nothing alive between steps.
    scheduled.fill(undefined, 0, count);
    this.#preemptionsTotal += preemptions;
    this.#prefixQueriesTotal += prefixQueries;
    this.#prefixHitsTotal += prefixHits;
    return {
      stats,
      end,
      sampled,
      get tokens() {
        return sampled.events();
      },
      finished,
      admitted,
    };
  }

  /** Prompt plus tokens generated so far: what must be computed before the next token. */
  #knownTokens(sequence: Sequence): number {
    return sequence.promptLength + sequence.generated;
  }

  /** The budget one request may take: the long-prefill threshold caps it when set. */
  #cap(budget: number): number {
    const threshold = this.#config.longPrefillTokenThreshold;
    return threshold > 0 ? Math.min(budget, threshold) : budget;
  }

  #enqueue(sequence: Sequence, front: boolean): void {
    if (this.#config.schedulingPolicy === "fcfs") {
      if (front) this.#waiting.unshift(sequence);
      else this.#waiting.push(sequence);
      return;
    }
    // priority: (priority, arrival order) ascending, as vLLM's heap orders them.
    let low = 0;
    let high = this.#waiting.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      const other = this.#waiting[mid] as Sequence;
      if (
        other.priority < sequence.priority ||
        (other.priority === sequence.priority && other.order < sequence.order)
      ) {
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    this.#waiting.splice(low, 0, sequence);
  }

  /** FCFS: the most recently admitted running request; priority: the largest (priority, arrival). */
  #preemptionVictim(): Sequence {
    if (this.#config.schedulingPolicy === "fcfs")
      return this.#running[this.#running.length - 1] as Sequence;
    let victim = this.#running[0] as Sequence;
    for (const s of this.#running) {
      if (
        s.priority > victim.priority ||
        (s.priority === victim.priority && s.order > victim.order)
      )
        victim = s;
    }
    return victim;
  }

  /** Takes `sequence` out of the running batch (if there), keeping the others' order. */
  #leaveBatch(sequence: Sequence): void {
    const at = this.#running.indexOf(sequence);
    if (at < 0) return;
    this.#running.splice(at, 1);
    this.#runningSlots.copyWithin(at, at + 1, this.#running.length + 1);
  }

  /** Gives a hybrid model's request's Mamba state blocks back to the pool (none: nothing). */
  #releaseState(sequence: Sequence): void {
    if (sequence.stateBlocks.length === 0) return;
    this.#pool.release(sequence.stateBlocks);
    sequence.stateBlocks = [];
  }

  /** Recompute-mode preemption: blocks freed, progress forgotten, back to the queue's front. */
  #preempt(sequence: Sequence): void {
    this.#leaveBatch(sequence);
    this.#pool.release(sequence.blocks);
    this.#releaseState(sequence);
    sequence.released = sequence.blocks;
    sequence.blocks = [];
    sequence.firstHeld = 0;
    sequence.computed = 0;
    sequence.cachedBlocks = 0;
    this.#enqueue(sequence, true);
  }

  /** Chained hash id of block `index` of the sequence's known tokens (memoised). */
  #hash(sequence: Sequence, index: number): number {
    const known = sequence.hashes[index];
    if (known !== undefined) return known;
    const size = this.#config.blockSize;
    const end = (index + 1) * size;
    // A block holding generated tokens or part of a length-only prompt is this request's alone
    // (and so is every block chained after it): a fresh id, no content to intern. Decode blocks
    // (the common case, one per 16 tokens per request) do not reach the request object.
    let id: number;
    if (end > sequence.promptLength) id = this.#hasher.unique();
    else {
      const { prompt } = sequence.request;
      id =
        typeof prompt === "number"
          ? this.#hasher.unique()
          : this.#hasher.ofTokens(
              index === 0 ? sequence.salt : this.#hash(sequence, index - 1),
              prompt,
              index * size,
              end,
            );
    }
    sequence.hashes[index] = id;
    return id;
  }

  /**
   * Longest run of cached full blocks of the prompt, leaving at least one token to compute, as
   * `into` (one entry per group per block position). Full-attention groups need every block from
   * the first; sliding groups, as SlidingWindowManager.find_longest_cache_hit, only the rightmost
   * run of ceil((W − 1) / blockSize) cached blocks (or a shorter run from the first block), the
   * positions before it null blocks (-1), never read again; the hit is the shorter of the two
   * (HybridKVCacheCoordinator). In align mode, cut back to a position with a cached Mamba state
   * (the pages in `#stateHits`).
   */
  #lookupPrefix(sequence: Sequence, into: number[]): void {
    this.#lookupAttention(sequence, into);
    if (this.#alignGroups === 0) return;
    // Align mode (HybridKVCacheCoordinator): the hit ends at the longest position within the
    // attention hit whose Mamba state is cached in every Mamba group (MambaManager scans back).
    const stride = this.#stride;
    let positions = into.length / stride;
    while (positions > 0 && !this.#statesCachedAt(sequence, positions)) positions--;
    into.length = positions * stride;
  }

  /**
   * Whether the Mamba state after the first `positions` blocks of the sequence is cached in every
   * Mamba group; if so `#stateHits` holds those pages (one per group), else it is emptied.
   */
  #statesCachedAt(sequence: Sequence, positions: number): boolean {
    const hits = this.#stateHits;
    hits.length = 0;
    const id = this.#hash(sequence, positions - 1);
    if (id <= 0) return false;
    for (let group = 0; group < this.#alignGroups; group++) {
      const block = this.#pool.lookup(this.#groupHash(id, this.#fullGroups + group));
      if (block === undefined) {
        hits.length = 0;
        return false;
      }
      hits.push(block);
    }
    return true;
  }

  /**
   * Align mode: the state at block-aligned position `end` (the end of this step's tokens) is kept
   * in each Mamba group's first page, under the key of the block ending there; the page that held
   * the request's previous kept state goes back to the pool still cached (a later request may hit
   * it until it is evicted) and a fresh one takes its place. A state of a block holding generated
   * tokens is never shared, so it is not kept. vLLM caches when it allocates, before the step runs.
   */
  #keepState(sequence: Sequence, end: number): void {
    if (end === 0) return;
    const id = this.#hash(sequence, end / this.#config.blockSize - 1);
    if (id <= 0) return;
    const states = sequence.stateBlocks;
    const pool = this.#pool;
    for (let group = 0; group < this.#alignGroups; group++) {
      const key = this.#groupHash(id, this.#fullGroups + group);
      if (pool.lookup(key) !== undefined) continue; // first holder wins
      let page = states[group] as number;
      if (!pool.holds(page, 0)) {
        pool.releaseOne(page);
        const fresh: number[] = [];
        pool.allocate(1, fresh);
        page = fresh[0] as number;
        states[group] = page;
      }
      pool.cache(page, key);
    }
  }

  /** {@link EngineCore.#lookupPrefix} over the attention groups alone. */
  #lookupAttention(sequence: Sequence, into: number[]): void {
    const size = this.#config.blockSize;
    const stride = this.#stride;
    const fullGroups = this.#fullGroups;
    let limit = Math.floor((this.#knownTokens(sequence) - 1) / size);
    if (stride === 1 && fullGroups === 1) {
      // Full attention alone (most models): one pass, each block looked up once.
      for (let index = 0; index < limit; index++) {
        const block = this.#cachedBlock(sequence, index, 0);
        if (block === undefined) return;
        into.push(block);
      }
      return;
    }
    if (fullGroups > 0) {
      let prefix = 0;
      while (prefix < limit && this.#cachedIn(sequence, prefix, 0, fullGroups)) prefix++;
      limit = prefix;
    }
    let from = 0;
    if (stride > fullGroups) {
      const wanted = Math.ceil((this.#window - 1) / size);
      // Hashes chain forwards: compute them in order before scanning backwards.
      for (let index = 0; index < limit; index++) this.#hash(sequence, index);
      let run = 0;
      let start = 0;
      for (let index = limit - 1; index >= 0; index--) {
        if (!this.#cachedIn(sequence, index, fullGroups, stride)) {
          run = 0;
          continue;
        }
        run++;
        start = index;
        if (run >= wanted) break;
      }
      // A run of `wanted` blocks is a hit ending with it; else only a run from block 0 (or none).
      if (run >= wanted) {
        from = start;
        limit = start + run;
      } else {
        limit = run > 0 && start === 0 ? run : 0;
      }
    }
    for (let index = 0; index < limit; index++) {
      for (let group = 0; group < stride; group++) {
        into.push(
          group >= fullGroups && index < from
            ? -1
            : (this.#cachedBlock(sequence, index, group) as number),
        );
      }
    }
  }

  /** Whether block position `index` is cached in groups `first` up to (not including) `end`. */
  #cachedIn(sequence: Sequence, index: number, first: number, end: number): boolean {
    for (let group = first; group < end; group++)
      if (this.#cachedBlock(sequence, index, group) === undefined) return false;
    return true;
  }

  /** The pool block caching block `index` of the sequence's known tokens in `group`, if any. */
  #cachedBlock(sequence: Sequence, index: number, group: number): number | undefined {
    const id = this.#groupHash(this.#hash(sequence, index), group);
    if (id > 0) return this.#pool.lookup(id);
    // Only this request ever held it: where it was before the preemption, if still there.
    const before = sequence.released[index * this.#stride + group];
    return before !== undefined && before >= 0 && this.#pool.holds(before, id) ? before : undefined;
  }

  /**
   * A block's id in KV cache group `group`: vLLM keys its cache by (block hash, group id), so the
   * groups' blocks of one position never answer for one another. Group 0 keeps the plain id.
   */
  #groupHash(id: number, group: number): number {
    return group === 0 || id < 0 ? id : this.#hasher.id(id, `group:${group}`);
  }

  /**
   * SlidingWindowManager.remove_skipped_blocks: in the sliding groups, the blocks whose every
   * token lies before the window of the next token to compute (the first computed − W + 1 tokens)
   * go back to the pool and become null blocks (-1). Called before a running sequence's step.
   */
  #dropOutOfWindow(sequence: Sequence): void {
    const skipped = sequence.computed - this.#window + 1;
    if (skipped <= 0) return;
    const stride = this.#stride;
    const lastUseful = Math.min(
      Math.floor(skipped / this.#config.blockSize),
      sequence.blocks.length / stride,
    );
    const blocks = sequence.blocks;
    for (let index = lastUseful - 1; index >= sequence.firstHeld; index--) {
      for (let slot = index * stride + this.#fullGroups; slot < (index + 1) * stride; slot++) {
        const block = blocks[slot] as number;
        if (block >= 0) {
          this.#pool.releaseOne(block);
          blocks[slot] = -1;
        }
      }
    }
    if (lastUseful > sequence.firstHeld) sequence.firstHeld = lastUseful;
  }

  /** Caches the full blocks among the sequence's first `tokens` tokens (those not cached yet). */
  #cacheFullBlocks(sequence: Sequence, tokens: number): void {
    const full = Math.floor(tokens / this.#config.blockSize);
    const stride = this.#stride;
    const cachedBlocks = this.#columns.cachedBlocks;
    const slot = sequence.slot;
    const from = cachedBlocks[slot] as number;
    const blocks = sequence.blocks;
    if (stride === 1) {
      // One group (most models): no group ids to derive.
      for (let index = from; index < full; index++) {
        const block = blocks[index] as number;
        if (block >= 0) this.#pool.cache(block, this.#hash(sequence, index));
      }
    } else {
      for (let index = from; index < full; index++) {
        const id = this.#hash(sequence, index);
        for (let group = 0; group < stride; group++) {
          const block = blocks[index * stride + group] as number;
          if (block >= 0) this.#pool.cache(block, group === 0 ? id : this.#groupHash(id, group));
        }
      }
    }
    if (full > from) cachedBlocks[slot] = full;
  }
}
