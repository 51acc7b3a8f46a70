/**
 * Speculative decoding read from `/metrics`: vLLM V1's counters (vllm/v1/spec_decode/metrics.py
 * SpecDecodingProm, present only when the server runs with `--speculative-config`) gathered into
 * one record, with the rates vLLM itself derives from them (its SpecDecodingLogging line and
 * examples/offline_inference/spec_decode.py): draft acceptance rate, mean acceptance length and
 * per-position acceptance.
 */
import type { MetricSample } from "./metrics-text.js";

/** vLLM's spec-decode counters as prometheus_client writes them (`_total` suffix). */
export const specDecodeMetricNames = {
  drafts: "vllm:spec_decode_num_drafts_total",
  draftTokens: "vllm:spec_decode_num_draft_tokens_total",
  acceptedTokens: "vllm:spec_decode_num_accepted_tokens_total",
  acceptedPerPosition: "vllm:spec_decode_num_accepted_tokens_per_pos_total",
} as const;

/** Speculative-decoding counts since start-up (or over an interval, see `specDecodeDelta`). */
export interface SpecDecodeStats {
  /** Drafts: sequence-steps that drafted tokens. */
  readonly drafts: number;
  /** Draft tokens proposed (drafts × num_speculative_tokens when every draft is full). */
  readonly draftTokens: number;
  /** Draft tokens the target model accepted. */
  readonly acceptedTokens: number;
  /**
   * Accepted tokens per draft position (the `position` label, "0" … k-1), by position; a
   * `position` that is not an integer below 1024 (no real draft length) is skipped.
   */
  readonly acceptedPerPosition: readonly number[];
  /**
   * acceptedTokens / draftTokens, in [0, 1] (vLLM's "Avg Draft acceptance rate"); undefined when
   * nothing was drafted.
   */
  readonly acceptanceRate: number | undefined;
  /**
   * Tokens one step yields per draft on average, the target's bonus token included:
   * 1 + acceptedTokens / drafts (vLLM's "Mean acceptance length"); undefined with no drafts.
   */
  readonly meanAcceptanceLength: number | undefined;
  /** acceptedPerPosition[i] / drafts (vLLM's "Per-position acceptance rate"); [] with no drafts. */
  readonly perPositionAcceptanceRate: readonly number[];
}

function matches(sample: MetricSample, labels: Readonly<Record<string, string>>): boolean {
  for (const key in labels) if (sample.labels[key] !== labels[key]) return false;
  return true;
}

function statsOf(
  drafts: number,
  draftTokens: number,
  acceptedTokens: number,
  acceptedPerPosition: readonly number[],
): SpecDecodeStats {
  return {
    drafts,
    draftTokens,
    acceptedTokens,
    acceptedPerPosition,
    acceptanceRate: draftTokens > 0 ? acceptedTokens / draftTokens : undefined,
    meanAcceptanceLength: drafts > 0 ? 1 + acceptedTokens / drafts : undefined,
    perPositionAcceptanceRate: drafts > 0 ? acceptedPerPosition.map((n) => n / drafts) : [],
  };
}

/**
 * The spec-decode counters among `samples` (from `parseMetrics` or the client's `metrics()`),
 * summed over the samples whose labels include `labels` (e.g. `{ model_name: "granite" }`; all
 * engines when `engine` is not given), with the derived rates; undefined when the server exports
 * none (no `--speculative-config`).
 */
export function specDecodeStats(
  samples: readonly MetricSample[],
  labels: Readonly<Record<string, string>> = {},
): SpecDecodeStats | undefined {
  let found = false;
  let drafts = 0;
  let draftTokens = 0;
  let acceptedTokens = 0;
  const perPosition: number[] = [];
  for (const sample of samples) {
    if (!matches(sample, labels)) continue;
    switch (sample.name) {
      case specDecodeMetricNames.drafts:
        found = true;
        drafts += sample.value;
        break;
      case specDecodeMetricNames.draftTokens:
        draftTokens += sample.value;
        break;
      case specDecodeMetricNames.acceptedTokens:
        acceptedTokens += sample.value;
        break;
      case specDecodeMetricNames.acceptedPerPosition: {
        const position = Number(sample.labels.position);
        if (Number.isInteger(position) && position >= 0 && position < 1024) {
          while (perPosition.length <= position) perPosition.push(0);
          perPosition[position] = (perPosition[position] ?? 0) + sample.value;
        }
        break;
      }
    }
  }
  return found ? statsOf(drafts, draftTokens, acceptedTokens, perPosition) : undefined;
}

/**
 * The counts between two readings (`later` minus `earlier`, the counters being monotonic) with
 * the rates over that interval: what a load test wants, as vLLM's log line reports each interval.
 */
export function specDecodeDelta(later: SpecDecodeStats, earlier: SpecDecodeStats): SpecDecodeStats {
  return statsOf(
    later.drafts - earlier.drafts,
    later.draftTokens - earlier.draftTokens,
    later.acceptedTokens - earlier.acceptedTokens,
    later.acceptedPerPosition.map((n, i) => n - (earlier.acceptedPerPosition[i] ?? 0)),
  );
}
