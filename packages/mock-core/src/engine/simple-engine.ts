/**
 * The simple text engine: one request at a time per `generate` call, no batching, tokens paced by
 * a clock (time to first token, then a fixed inter-token gap, optionally on a fixed schedule). Output is deterministic from the
 * prompt (greedy) or from seed + prompt + parameters (sampling). Stop handling follows vLLM's
 * detokenizer and stop checker (vllm/v1/engine/detokenizer.py, vllm/v1/engine/output_processor).
 */
import type { Clock } from "../clock.js";
import { type EngineMetrics, type HistogramSink, MeteredRun } from "../gpu/engine-metrics.js";
import {
  type FinishEvent,
  type FinishReason,
  type GenerationEvent,
  type GenerationRequest,
  GenerationRequestError,
  type TextEngine,
  type TokenEvent,
} from "./generation.js";
import { tokenLogprobs } from "./logprobs.js";
import type { ModelSpec } from "./model-spec.js";
import { hashNumbers, seededRandom } from "./random.js";
import { echoSource, forcedSource, type TokenSource, textSource } from "./token-source.js";
import { IncrementalDecoder } from "./tokenizer.js";

/** Options of {@link createSimpleEngine}. Durations in milliseconds. */
export interface SimpleEngineOptions {
  /** Time source for pacing: `realClock` in a running mock, `ManualClock` in tests. */
  readonly clock: Clock;
  /** The served model (tokenizer, context length). */
  readonly model: ModelSpec;
  /** Delay before the first token (default 0: no wait). */
  readonly timeToFirstTokenMs?: number;
  /** Delay between tokens (default 0: no wait); see {@link SimpleEngineOptions.fixedSchedule}. */
  readonly interTokenMs?: number;
  /**
   * false (default): each token waits `interTokenMs` from when the consumer asked for it, so the
   * consumer's own time with a token adds to the gap. true: tokens keep a fixed schedule, token k
   * due `timeToFirstTokenMs + k * interTokenMs` after generation starts, and time the consumer
   * spends on one token shortens the wait for the next, as in vLLM, whose engine core steps on
   * its own and queues outputs. Under load (1,000 paced streams) true keeps the delivered gaps at
   * the configured value (docs/benchmarks.md, vllm-streams).
   */
  readonly fixedSchedule?: boolean;
  /** Source of random seeds for sampling requests without one (default `Math.random`). */
  readonly random?: () => number;
  /**
   * vLLM's metrics, kept from each run on the clock (a {@link MeteredRun} per run: running
   * requests, TTFT, inter-token gaps, counters, finish reasons, e2e). Default: none.
   */
  readonly metrics?: EngineMetrics<HistogramSink>;
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new GenerationRequestError(message);
}

function validate(request: GenerationRequest, model: ModelSpec): void {
  const { vocabSize } = model.tokenizer;
  check(
    request.promptIds.every((id) => Number.isInteger(id) && id >= 0 && id < vocabSize),
    `prompt token ids must be integers in [0, ${vocabSize})`,
  );
  check(
    Number.isInteger(request.maxTokens) && request.maxTokens >= 0,
    "maxTokens must be a non-negative integer",
  );
  const optionalInt = (value: number | undefined, min: number, name: string) =>
    check(
      value === undefined || (Number.isInteger(value) && value >= min),
      `${name} must be an integer >= ${min}`,
    );
  optionalInt(request.minTokens, 0, "minTokens");
  optionalInt(request.topK, -1, "topK");
  optionalInt(request.logprobs, 0, "logprobs");
  optionalInt(request.seed, Number.MIN_SAFE_INTEGER, "seed");
  check(
    request.temperature === undefined ||
      (Number.isFinite(request.temperature) && request.temperature >= 0),
    "temperature must be a finite number >= 0",
  );
  check(
    request.topP === undefined || (request.topP > 0 && request.topP <= 1),
    "topP must be in (0, 1]",
  );
  check(
    (request.stop ?? []).every((s) => s.length > 0),
    "stop sequences must not be empty",
  );
}

/**
 * Earliest match of any stop string that ends after `before` (the text length before the newest
 * token), as vLLM's check_stop_strings searches: [index, stop] or undefined.
 */
function findStop(
  text: string,
  stops: readonly string[],
  before: number,
): [number, string] | undefined {
  let best: [number, string] | undefined;
  for (const stop of stops) {
    const at = text.indexOf(stop, Math.max(0, before - stop.length + 1));
    if (at >= 0 && (best === undefined || at < best[0])) best = [at, stop];
  }
  return best;
}

/** Sleeps unless `ms` ≤ 0; resolves false if `signal` aborted (before or during the wait). */
async function pause(clock: Clock, ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return false;
  if (ms <= 0) return true;
  try {
    await clock.sleep(ms, signal);
    return true;
  } catch (error) {
    if (signal?.aborted) return false;
    throw error;
  }
}

/**
 * Creates the simple engine for `model`. See {@link TextEngine} for the event contract. Details:
 * - the token budget is min(maxTokens, maxModelLen − prompt length); reaching it ends with "length";
 * - EOS (when the tokenizer has one, unless `ignoreEos`) comes at the text's natural end, never
 *   before `minTokens` tokens; stop token ids likewise only count from `minTokens` on;
 * - stop strings are matched in the generated text (across token boundaries) once more than
 *   `minTokens` tokens exist, and only where they end in text after the first `minTokens` tokens
 *   (vLLM's detokenizer); unless `includeStopInOutput`, the last (longest stop − 1) characters are
 *   held back meanwhile so no part of a stop string is ever released (vLLM's stop_buffer_length);
 * - EOS and stop tokens have empty text unless `includeStopInOutput` (vLLM skips a
 *   stop-terminating token's text); EOS and stop ids win over "length" on the last token, as in
 *   vLLM's check_stop (vllm/v1/core/sched/utils.py).
 */
export function createSimpleEngine(options: SimpleEngineOptions): TextEngine {
  const { clock, model } = options;
  const ttft = options.timeToFirstTokenMs ?? 0;
  const itl = options.interTokenMs ?? 0;
  const fixedSchedule = options.fixedSchedule ?? false;
  const randomSeed = options.random ?? Math.random;
  const metrics = options.metrics;
  return {
    generate(request, generateOptions = {}) {
      validate(request, model);
      const greedy = request.temperature === 0;
      const seed = greedy ? 0 : (request.seed ?? Math.floor(randomSeed() * 2 ** 32));
      return run(request, seed, greedy, generateOptions.signal);
    },
  };

  async function* run(
    request: GenerationRequest,
    seed: number,
    greedy: boolean,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<GenerationEvent> {
    const { tokenizer } = model;
    const promptTokens = request.promptIds.length;
    const mix = greedy
      ? hashNumbers(request.promptIds)
      : hashNumbers([
          seed,
          request.temperature ?? 1,
          request.topP ?? 1,
          request.topK ?? 0,
          hashNumbers(request.promptIds),
        ]);
    const textRandom = seededRandom(mix);
    const logprobRandom = seededRandom(mix ^ 0x5bd1e995);
    const echo =
      request.mode === "echo" && request.promptIds.some((id) => !tokenizer.isSpecial(id));
    const source: TokenSource =
      request.forcedText !== undefined
        ? forcedSource(model, request.forcedText, textSource(model, textRandom))
        : echo
          ? echoSource(model, request.promptIds)
          : textSource(model, textRandom);
    const budget = Math.max(0, Math.min(request.maxTokens, model.maxModelLen - promptTokens));
    const minTokens = request.minTokens ?? 0;
    const stops = request.stop ?? [];
    const includeStop = request.includeStopInOutput ?? false;
    const holdBack =
      stops.length > 0 && !includeStop ? stops.reduce((n, s) => Math.max(n, s.length), 0) - 1 : 0;
    const stopIds = new Set(request.stopTokenIds ?? []);
    const eos = request.ignoreEos ? undefined : tokenizer.eosTokenId;
    const decoder = new IncrementalDecoder(tokenizer, { context: request.promptIds });

    const started = clock.now();
    let text = ""; // all generated text so far (stop-token / EOS text excluded)
    let released = 0; // characters of `text` already handed out in token events
    let count = 0;
    // Measured in the run itself (no wrapper generator per request).
    const meter = metrics ? new MeteredRun(metrics, started / 1000, request.maxTokens) : undefined;
    const finish = (reason: FinishReason, stop?: string | number): FinishEvent => {
      meter?.finish(reason, promptTokens, count, clock.now() / 1000);
      return {
        type: "finish",
        reason,
        ...(stop === undefined ? {} : { stop }),
        seed,
        promptTokens,
        completionTokens: count,
      };
    };

    try {
      while (count < budget) {
        const wait = fixedSchedule
          ? ttft + count * itl - (clock.now() - started)
          : count === 0
            ? ttft
            : itl;
        // With no wait there is nothing to await: only an abort can stop the next token.
        if (wait > 0 ? !(await pause(clock, wait, signal)) : signal?.aborted) {
          yield finish("abort");
          return;
        }
        const mayEnd = eos !== undefined && count >= minTokens;
        const next = source.next(mayEnd);
        const id = next ?? eos ?? 0; // next is undefined only when mayEnd, so eos is set
        const stopToken = next !== undefined && count >= minTokens && stopIds.has(next);
        count++;
        let reason: FinishReason | undefined;
        let stopValue: string | number | undefined;
        if (next === undefined) reason = "eos";
        else if (stopToken) {
          [reason, stopValue] = ["stop", next];
          if (includeStop) text += decoder.push(next);
        } else {
          const before = text.length;
          text += decoder.push(next);
          if (count >= budget) text += decoder.flush();
          // vLLM checks stop strings only once more than min_tokens tokens exist.
          const match = count > minTokens ? findStop(text, stops, before) : undefined;
          if (match) {
            [reason, stopValue] = ["stop", match[1]];
            text = text.slice(0, match[0] + (includeStop ? match[1].length : 0));
          } else if (count >= budget) reason = "length";
        }
        // At the end everything held back is released, except text cut at a stop string.
        if (reason && typeof stopValue !== "string") text += decoder.flush();
        const until = reason ? text.length : Math.max(released, text.length - holdBack);
        const event: TokenEvent = {
          type: "token",
          id,
          text: text.slice(released, until),
          ...(request.logprobs === undefined
            ? {}
            : tokenLogprobs(model, id, request.logprobs, greedy, logprobRandom)),
        };
        released = until;
        meter?.token(clock.now() / 1000);
        yield event;
        if (reason) {
          yield finish(reason, stopValue);
          return;
        }
        if (signal?.aborted) {
          yield finish("abort");
          return;
        }
      }
      yield finish("length");
    } finally {
      meter?.close();
    }
  }
}
