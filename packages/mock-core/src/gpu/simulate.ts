/**
 * Runs a workload through an {@link EngineCore} in virtual time: requests arrive when they say
 * (or, with a concurrency limit, when an earlier one finishes, as `vllm bench serve
 * --max-concurrency` sends them), the engine steps back to back while it has work and jumps to the
 * next arrival when idle. Pure and deterministic: the same input gives the same output, and a
 * simulated hour takes milliseconds.
 */
import { DataParallelRouter, lockStepSeconds } from "./data-parallel.js";
import {
  EngineCore,
  type EngineCoreConfig,
  type EngineRequest,
  type StepResult,
  type StepStats,
  stretchStep,
} from "./engine-core.js";
import { SpecDecodeCounts } from "./speculative.js";

/** A request of a workload. Times in seconds from the start of the run. */
export interface SimulatedRequest extends EngineRequest {
  /** When the client sends it; default 0. With `maxConcurrency` it is sent no earlier than this. */
  readonly arrival?: number;
  /** When the client disconnects (the engine aborts it), if it does. */
  readonly abortAt?: number;
  /**
   * Parallel sampling (the OpenAI API's `n`): completions of this prompt, whole number ≥ 1;
   * default 1. As vLLM V1 runs them (vllm/v1/engine/parallel_sampling.py): `n` child requests
   * `0_<id>` … `<n-1>_<id>` queued together, each its own request in the scheduler, sharing the
   * prompt's KV blocks through the prefix cache. The client sends them at once and, under
   * `maxConcurrency`, holds one slot until the last child finishes. Outcomes come per child.
   */
  readonly n?: number;
}

/** Simulation settings: the engine's plus the client-side ones. */
export interface SimulationConfig extends EngineCoreConfig {
  /**
   * Seconds between the client sending and the engine queueing a request, and between the engine
   * emitting a token and the client seeing it (HTTP, tokenisation, detokenisation); default 0.
   */
  readonly frontendLatency?: number;
  /** Most requests in flight at once (closed-loop client); default unlimited. */
  readonly maxConcurrency?: number;
  /** Keep per-step stats in the result; default true. */
  readonly recordSteps?: boolean;
  /**
   * vLLM `--data-parallel-size`: engine cores, each with this configuration (its own scheduler and
   * KV cache), stepping independently; each request goes to one when it reaches the server, as
   * vLLM's client routes it (data-parallel.ts). Default 1.
   */
  readonly dataParallelSize?: number;
  /**
   * With `dataParallelSize` > 1: the ranks publish their request counts to the router (a MoE
   * model) rather than the router balancing on its own counts (dense). Default false.
   */
  readonly publishesCounts?: boolean;
  /**
   * With `dataParallelSize` > 1: the ranks step in lock step (a MoE model; data-parallel.ts
   * stepsInLockStep): while any rank has work all step together, an idle one running the
   * one-token dummy pass, and each step ends with the slowest rank's. Default false.
   */
  readonly lockStep?: boolean;
}

/** What happened to one request. Times in seconds on the virtual clock. */
export interface RequestOutcome {
  readonly id: string;
  /** "finished", "aborted", or "rejected" (the engine refused it; see `error`). */
  readonly status: "finished" | "aborted" | "rejected";
  readonly error?: string;
  /** When it was sent. */
  readonly sent: number;
  /** When it was first scheduled (undefined if never). */
  readonly scheduled?: number;
  /** Time to first token as the client sees it. */
  readonly ttft?: number;
  /** Gaps between successive tokens as the client sees them. */
  readonly itls: readonly number[];
  /** Sent to last token (or abort). */
  readonly e2e?: number;
  readonly outputTokens: number;
  /** Prompt length in tokens. */
  readonly promptTokens: number;
  /** Prompt tokens served from the prefix cache when first scheduled. */
  readonly cachedTokens: number;
}

/** The result of {@link simulate}. */
export interface SimulationResult {
  readonly requests: readonly RequestOutcome[];
  /** Per-step stats (empty when `recordSteps` is false). */
  readonly steps: readonly StepStats[];
  /**
   * From the start of the run (t = 0, or the first send if earlier) to the last token: vLLM's
   * "Benchmark duration" starts before its first send, which waits for its own arrival gap.
   */
  readonly duration: number;
  readonly totalOutputTokens: number;
  readonly totalPromptTokens: number;
  readonly stepCount: number;
  readonly preemptions: number;
  readonly prefixQueries: number;
  readonly prefixHits: number;
  /** With speculative decoding: drafts, draft and accepted tokens over the run (vLLM's counters). */
  readonly specDecode?: SpecDecodeCounts;
}

interface Tracking {
  readonly request: SimulatedRequest;
  /** Index in the input, then the child's index (0 without parallel sampling): the output order. */
  readonly input: number;
  readonly child: number;
  /** Children of the same parent still running (parallel sampling), sharing one client slot. */
  readonly siblings?: { left: number };
  /** The data-parallel rank serving it (0 without data parallelism). */
  engine: number;
  sent: number;
  scheduled?: number;
  first?: number;
  last?: number;
  itls: number[];
  outputTokens: number;
  cachedTokens: number;
  status?: RequestOutcome["status"];
  error?: string;
}

/**
 * The child requests of a parallel-sampling parent, in index order: ids `<i>_<id>` (vLLM V1's),
 * the same prompt as token ids so that the children share its cached blocks. A prompt given as a
 * length gets negative token ids from `nextToken` down (real token ids are ≥ 0, so they never
 * meet another request's); returns the next free one.
 */
function childrenOf(
  request: SimulatedRequest,
  n: number,
  nextToken: number,
): { children: SimulatedRequest[]; nextToken: number } {
  let prompt = request.prompt;
  if (typeof prompt === "number") {
    const length = prompt;
    prompt = Array.from({ length }, (_, j) => nextToken - j);
    nextToken -= length;
  }
  const children = Array.from({ length: n }, (_, i) => ({
    ...request,
    id: `${i}_${request.id}`,
    prompt,
  }));
  return { children, nextToken };
}

/**
 * Simulates `requests` on an engine built from `config`. Requests the engine refuses come back
 * "rejected" with the reason; the rest finish or are aborted at `abortAt`. A request with `n` > 1
 * comes back as its `n` children (see {@link SimulatedRequest.n}). Throws a RangeError for an
 * `n` that is not a whole number ≥ 1.
 */
export function simulate(
  requests: readonly SimulatedRequest[],
  config: SimulationConfig,
): SimulationResult {
  for (const r of requests) {
    if (r.n !== undefined && !(Number.isSafeInteger(r.n) && r.n >= 1)) {
      throw new RangeError(`request ${r.id}: n must be a whole number ≥ 1, not ${r.n}`);
    }
  }
  const dp = config.dataParallelSize ?? 1;
  if (!Number.isSafeInteger(dp) || dp < 1)
    throw new RangeError(`dataParallelSize must be a whole number ≥ 1, not ${dp}`);
  const engines = Array.from({ length: dp }, () => new EngineCore(config));
  /** When each engine's last step ends: it steps again no earlier. */
  const free = engines.map(() => 0);
  const router =
    dp === 1 ? undefined : new DataParallelRouter(engines, config.publishesCounts === true);
  const frontend = config.frontendLatency ?? 0;
  const lockStep = dp > 1 && config.lockStep === true;
  const dummy = (engines[0] as EngineCore).dummyStepSeconds();
  const rankResults: (StepResult | undefined)[] = new Array(dp);
  const rankSeconds: number[] = new Array(dp).fill(0);
  const limit = config.maxConcurrency ?? Number.POSITIVE_INFINITY;
  const record = config.recordSteps ?? true;
  const order = requests.map((request, index) => ({ request, index }));
  order.sort((a, b) => (a.request.arrival ?? 0) - (b.request.arrival ?? 0) || a.index - b.index);
  const tracking = new Map<string, Tracking>();
  const outcomes: Tracking[] = [];
  const pendingAborts: Tracking[] = [];
  const inEngine: { at: number; t: Tracking }[] = [];
  const steps: StepStats[] = [];
  let next = 0;
  let now = 0;
  let stepCount = 0;
  let firstSend = Number.POSITIVE_INFINITY;
  let lastToken = 0;
  let totalPromptTokens = 0;
  const specDecode =
    config.speculative === undefined
      ? undefined
      : new SpecDecodeCounts(config.speculative.numSpeculativeTokens);
  /** The next synthetic token id for a parallel-sampling prompt given as a length. */
  let syntheticToken = -1;

  /** Free times of the client's slots under a concurrency limit (unused without one). */
  const slots: number[] = Number.isFinite(limit)
    ? new Array<number>(Math.min(limit, order.length)).fill(0)
    : [];
  const finish = (t: Tracking, status: RequestOutcome["status"], at: number) => {
    t.status = status;
    if (status === "aborted") t.last = at;
    else t.last ??= at;
    // A parallel-sampling client frees its slot when the last child is done.
    if (Number.isFinite(limit) && (t.siblings === undefined || --t.siblings.left === 0)) {
      slots.push(at);
    }
    if (status !== "rejected") lastToken = Math.max(lastToken, at);
  };
  const track = (
    request: SimulatedRequest,
    input: number,
    child: number,
    sent: number,
    siblings: { left: number } | undefined,
  ) => {
    const t: Tracking = {
      request,
      input,
      child,
      ...(siblings === undefined ? {} : { siblings }),
      engine: 0,
      sent,
      itls: [],
      outputTokens: 0,
      cachedTokens: 0,
    };
    outcomes.push(t);
    inEngine.push({ at: sent + frontend, t });
  };
  /** Sends every request due by `now` that the concurrency limit allows. */
  const send = () => {
    while (next < order.length) {
      const entry = order[next] as { request: SimulatedRequest; index: number };
      let sent = entry.request.arrival ?? 0;
      if (sent > now) break;
      if (Number.isFinite(limit)) {
        if (slots.length === 0) break;
        slots.sort((a, b) => a - b);
        sent = Math.max(sent, slots.shift() as number);
      }
      next++;
      firstSend = Math.min(firstSend, sent);
      const n = entry.request.n ?? 1;
      if (n === 1) {
        track(entry.request, entry.index, 0, sent, undefined);
        continue;
      }
      const family = childrenOf(entry.request, n, syntheticToken);
      syntheticToken = family.nextToken;
      const siblings = { left: n };
      for (const [i, child] of family.children.entries()) {
        track(child, entry.index, i, sent, siblings);
      }
    }
  };
  /** Queues in the engine what has reached it by `now`. */
  const admit = () => {
    inEngine.sort((a, b) => a.at - b.at);
    while (inEngine.length > 0 && (inEngine[0] as { at: number }).at <= now) {
      const { t } = inEngine.shift() as { at: number; t: Tracking };
      if (t.request.abortAt !== undefined && t.request.abortAt <= now) {
        finish(t, "aborted", t.request.abortAt);
        continue;
      }
      if (router !== undefined) t.engine = router.choose(now);
      try {
        (engines[t.engine] as EngineCore).add(t.request);
      } catch (error) {
        t.error = (error as Error).message;
        finish(t, "rejected", now);
        continue;
      }
      tracking.set(t.request.id, t);
      totalPromptTokens +=
        typeof t.request.prompt === "number" ? t.request.prompt : t.request.prompt.length;
      if (t.request.abortAt !== undefined) pendingAborts.push(t);
    }
  };
  const abortDue = () => {
    for (let i = pendingAborts.length - 1; i >= 0; i--) {
      const t = pendingAborts[i] as Tracking;
      if (t.status !== undefined) {
        pendingAborts.splice(i, 1);
      } else if ((t.request.abortAt as number) <= now) {
        pendingAborts.splice(i, 1);
        (engines[t.engine] as EngineCore).abort(t.request.id);
        tracking.delete(t.request.id);
        finish(t, "aborted", t.request.abortAt as number);
      }
    }
  };
  const nextEventTime = (): number => {
    let at = Number.POSITIVE_INFINITY;
    if (next < order.length && (!Number.isFinite(limit) || slots.length > 0)) {
      at = Math.max(now, order[next]?.request.arrival ?? 0);
    }
    for (const e of inEngine) at = Math.min(at, e.at);
    for (const t of pendingAborts)
      if (t.status === undefined) at = Math.min(at, t.request.abortAt as number);
    return at;
  };

  /** Nothing fits even on idle engine `e`: fail what is stuck rather than spin. */
  const failStuck = (e: number): void => {
    const engine = engines[e] as EngineCore;
    for (const t of tracking.values()) {
      if (t.status === undefined && t.engine === e) {
        engine.abort(t.request.id);
        t.error = "does not fit in the KV cache";
        finish(t, "rejected", now);
      }
    }
    for (const [id, t] of tracking) if (t.engine === e) tracking.delete(id);
  };
  /** Takes one engine step's outcome: its stats, admissions, tokens and finished requests. */
  const take = (result: StepResult): void => {
    stepCount++;
    if (record) steps.push(result.stats);
    if (result.stats.specDecode !== undefined) specDecode?.add(result.stats.specDecode);
    for (const a of result.admitted) {
      const t = tracking.get(a.requestId) as Tracking;
      t.scheduled = now;
      t.cachedTokens = a.cachedTokens;
    }
    // The step's batch read as it is (no event object per token): every token leaves at the
    // step's end.
    const sampled = result.sampled;
    const seen = sampled.time + frontend;
    for (let i = 0; i < sampled.length; i++) {
      const t = tracking.get(sampled.requestId(i)) as Tracking;
      if (t.first === undefined) t.first = seen;
      // A speculative step's tokens reach the client in one chunk: one gap per chunk, as
      // `vllm bench serve` records ITL (one entry per streamed chunk).
      else if (seen !== t.last) t.itls.push(seen - (t.last as number));
      t.last = seen;
      t.outputTokens++;
    }
    for (const f of result.finished) {
      const t = tracking.get(f.requestId) as Tracking;
      tracking.delete(f.requestId);
      finish(t, "finished", f.time + frontend);
    }
  };

  while (true) {
    send();
    admit();
    abortDue();
    if (lockStep && (free[0] as number) <= now && engines.some((engine) => engine.hasWork())) {
      // The ranks in lock step (vllm/v1/engine/core.py DPEngineCoreProc.run_busy_loop): every
      // rank steps from now, an idle one running the dummy pass; all end with the slowest.
      for (let i = 0; i < dp; i++) {
        const engine = engines[i] as EngineCore;
        const result = engine.hasWork() ? engine.step(now) : undefined;
        rankResults[i] = result;
        rankSeconds[i] = result === undefined ? 0 : result.end - now;
        if (result === undefined && engine.hasWork()) failStuck(i);
      }
      const end = now + lockStepSeconds(rankSeconds, dummy);
      for (let i = 0; i < dp; i++) {
        const result = rankResults[i];
        rankResults[i] = undefined;
        if (result !== undefined) take(result.end < end ? stretchStep(result, end) : result);
      }
      free.fill(end);
      continue;
    }
    // The first engine with work whose last step has ended steps now.
    let e = 0;
    while (e < dp && !((free[e] as number) <= now && (engines[e] as EngineCore).hasWork())) e++;
    if (e === dp) {
      // None can: on to the next send, arrival, abort or step end.
      let at = nextEventTime();
      for (let i = 0; i < dp; i++)
        if ((engines[i] as EngineCore).hasWork()) at = Math.min(at, free[i] as number);
      if (at === Number.POSITIVE_INFINITY) break;
      now = Math.max(now, at);
      continue;
    }
    const engine = engines[e] as EngineCore;
    const result = engine.step(now);
    if (result === undefined) {
      failStuck(e);
      continue;
    }
    take(result);
    free[e] = result.end;
    // One engine: nothing happens before its step ends that it would not see then. Several: the
    // others may step (and requests arrive for them) meanwhile, so time moves event by event.
    if (dp === 1) now = result.end;
  }

  const outcomeOf = (t: Tracking): RequestOutcome => ({
    id: t.request.id,
    status: t.status ?? "rejected",
    ...(t.error === undefined ? {} : { error: t.error }),
    sent: t.sent,
    ...(t.scheduled === undefined ? {} : { scheduled: t.scheduled }),
    ...(t.first === undefined ? {} : { ttft: t.first - t.sent }),
    itls: t.itls,
    ...(t.status === "rejected" || t.last === undefined ? {} : { e2e: t.last - t.sent }),
    outputTokens: t.outputTokens,
    promptTokens: typeof t.request.prompt === "number" ? t.request.prompt : t.request.prompt.length,
    cachedTokens: t.cachedTokens,
  });
  const counters = { preemptions: 0, prefixQueries: 0, prefixHits: 0 };
  for (const engine of engines) {
    const own = engine.counters;
    counters.preemptions += own.preemptions;
    counters.prefixQueries += own.prefixQueries;
    counters.prefixHits += own.prefixHits;
  }
  outcomes.sort((a, b) => a.input - b.input || a.child - b.child);
  return {
    requests: outcomes.map(outcomeOf),
    steps,
    duration: Number.isFinite(firstSend) ? lastToken - Math.min(0, firstSend) : 0,
    totalOutputTokens: outcomes.reduce((sum, t) => sum + t.outputTokens, 0),
    totalPromptTokens,
    stepCount,
    preemptions: counters.preemptions,
    prefixQueries: counters.prefixQueries,
    prefixHits: counters.prefixHits,
    ...(specDecode === undefined ? {} : { specDecode }),
  };
}
