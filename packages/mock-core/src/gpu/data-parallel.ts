/**
 * Data parallelism (`--data-parallel-size N`) as vLLM V1 runs it on one node: N engine cores, each
 * a full replica of the model on its own `--tensor-parallel-size` GPUs with its own scheduler and
 * KV cache, and the API server's engine client routing every request to one of them. Pure logic:
 * the router's choice ({@link DataParallelRouter}) and the start-up lines' per-rank prefix
 * ({@link rankLogPrefix}); gpu-engine.ts runs the ranks on the clock.
 *
 * Facts (vLLM v0.10.2 to v0.2x, vllm/v1/engine/core_client.py `DPLBAsyncMPClient
 * .get_core_engine_for_request`, vllm/v1/engine/coordinator.py, vllm/v1/engine/utils.py
 * `CoreEngineProcManager`):
 * - The client keeps a `[waiting, running]` pair per engine and picks the lowest score
 *   `waiting * 4 + running`, scanning from `eng_start_index` (the API server's index, 0 with one
 *   server) and keeping the first engine on a tie (a strict `<`).
 * - Then it adds `client_count` (1 with one API server) to the chosen engine's local waiting count,
 *   "for better balancing between stats updates from the coordinator (which happen every 100ms)".
 * - The coordinator's snapshot of the engines' own counts replaces the local pairs; the engines
 *   publish them only as `DPEngineCoreProc`, which `run_engine_core` builds for a MoE model. A
 *   dense model's ranks run as plain engine cores with DP size 1 and publish nothing, so its
 *   client balances on its local counts alone (in effect round robin from rank 0).
 * - Each rank runs as a process named `EngineCore_DP<rank>`, whose log lines vLLM's
 *   `decorate_logs` prefixes with `(EngineCore_DP<rank> pid=<pid>)`.
 */

/**
 * How often (simulated seconds) the coordinator publishes the engines' request counts while they
 * change: `stats_update_interval_ms` 100 (vllm/v1/engine/coordinator.py).
 */
export const countsRefreshSeconds = 0.1;

/** Weight of a waiting request against a running one in the router's score (core_client.py). */
export const waitingScoreWeight = 4;

/** What the router reads of each rank's scheduler when the coordinator publishes. */
export interface RankCounts {
  /** Requests in the rank's waiting queue. */
  readonly waiting: number;
  /** Requests in the rank's running batch. */
  readonly running: number;
}

/**
 * The API server's engine choice; see the module comment. One per served model (one API
 * server). `ranks`: the ranks' schedulers, read at each coordinator snapshot; `published`: whether
 * the engines publish their counts (a MoE model) or the client balances on its own counts (dense).
 */
export class DataParallelRouter {
  readonly #ranks: readonly RankCounts[];
  readonly #published: boolean;
  /** The client's `[waiting, running]` per rank, as two columns. */
  readonly #waiting: number[];
  readonly #running: number[];
  /** When (simulated seconds) the last snapshot was taken; -Infinity: none yet. */
  #snapshotAt = Number.NEGATIVE_INFINITY;

  constructor(ranks: readonly RankCounts[], published: boolean) {
    if (ranks.length < 1) throw new RangeError("a data-parallel router needs at least one rank");
    this.#ranks = ranks;
    this.#published = published;
    this.#waiting = ranks.map(() => 0);
    this.#running = ranks.map(() => 0);
  }

  /** Ranks the router spreads requests over. */
  get size(): number {
    return this.#ranks.length;
  }

  /**
   * The rank for a request arriving at `now` (simulated seconds): the lowest `waiting * 4 +
   * running`, the first rank on a tie; that rank's local waiting count goes up by one. A snapshot
   * of the ranks' own counts replaces the local ones first when the last is
   * {@link countsRefreshSeconds} old (published counts only).
   */
  choose(now: number): number {
    if (this.#published && now - this.#snapshotAt >= countsRefreshSeconds) {
      this.#snapshotAt = now;
      for (let i = 0; i < this.#ranks.length; i++) {
        const rank = this.#ranks[i] as RankCounts;
        this.#waiting[i] = rank.waiting;
        this.#running[i] = rank.running;
      }
    }
    let best = 0;
    let bestScore = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.#waiting.length; i++) {
      const score =
        (this.#waiting[i] as number) * waitingScoreWeight + (this.#running[i] as number);
      if (score < bestScore) {
        bestScore = score;
        best = i;
      }
    }
    this.#waiting[best] = (this.#waiting[best] as number) + 1;
    return best;
  }
}

/**
 * The prefix vLLM's `decorate_logs` puts on a data-parallel rank's log lines: `(EngineCore_DP0
 * pid=…)`. The mock has no engine processes: `pid` is the mock's own process id unless given.
 */
export function rankLogPrefix(rank: number, pid: number = process.pid): string {
  return `(EngineCore_DP${rank} pid=${pid})`;
}

/**
 * Seconds one lock-step of a MoE model's data-parallel ranks takes with expert parallelism
 * (vllm/v1/engine/core.py `DPEngineCoreProc.run_busy_loop`): while any rank has unfinished
 * requests the ranks are "running" in one wave and every rank steps, a rank with nothing scheduled
 * running `execute_dummy_batch` (a one-token dummy forward pass, gpu_worker.py `_dummy_run(1)`)
 * so that the MoE layers' all-to-all collectives meet; each collective waits for the slowest rank,
 * so the step takes the longest of the ranks' times. `rankSeconds`: each rank's own step time, 0
 * for a rank with nothing scheduled; `dummySeconds`: the dummy pass. 0 when no rank has work (the
 * wave ends and the ranks pause until a request starts the next one).
 */
export function lockStepSeconds(rankSeconds: readonly number[], dummySeconds: number): number {
  let slowest = 0;
  let busy = false;
  for (const seconds of rankSeconds) {
    if (seconds > 0) busy = true;
    const taken = seconds > 0 ? seconds : dummySeconds;
    if (taken > slowest) slowest = taken;
  }
  return busy ? slowest : 0;
}

/**
 * Whether vLLM steps a deployment's data-parallel ranks in lock step: a MoE model served with
 * more than one data-parallel rank runs as `DPEngineCoreProc` (vllm/v1/engine/core.py
 * `run_engine_core`), whose ranks synchronise every step; a dense model's ranks step on their own.
 */
export function stepsInLockStep(moe: boolean, dataParallelSize: number): boolean {
  return moe && dataParallelSize > 1;
}
