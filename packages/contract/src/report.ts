import type { RuntimeName } from "@servingkit/mock-core";
import type { KnownFailingEntry } from "./known-failing.js";
import type { TransportKind } from "./target.js";

/**
 * How one case ended on one target.
 * - `pass`: its assertions held.
 * - `fail`: an assertion failed, it threw, or it timed out.
 * - `skip`: it could not run here (transport or feature missing, target not configured); the
 *   reason says why. Never counted as passed.
 * - `known-fail`: it failed and the target's known-failing list expects that.
 * - `unexpected-pass`: it passed although the known-failing list says it fails; this fails the
 *   run, so the list cannot rot.
 */
export type CaseStatus = "pass" | "fail" | "skip" | "known-fail" | "unexpected-pass";

/** Every status, in the order tables and summaries list them. */
export const caseStatuses: readonly CaseStatus[] = [
  "pass",
  "fail",
  "skip",
  "known-fail",
  "unexpected-pass",
];

/** The outcome of one case on one target. */
export interface CaseResult {
  /** Full hierarchical name, `<runtime>/<concern>/<case>`. */
  readonly name: string;
  /** The case id without the runtime, `<concern>/<case>`. */
  readonly caseId: string;
  /** The runtime segment of the name. */
  readonly runtime: RuntimeName;
  /** Name of the target it ran against. */
  readonly target: string;
  /** Group of that target (table column set). */
  readonly group: string;
  /** Transport the case uses. */
  readonly transport: TransportKind;
  /** How it ended. */
  readonly status: CaseStatus;
  /** Why it was skipped, or the failure message; for `known-fail` the listed reason. */
  readonly message?: string;
  /** The failure's stack or details, for JUnit. */
  readonly details?: string;
  /** The known-failing entry that lists it, if any. */
  readonly knownFailing?: KnownFailingEntry;
  /** Wall time of the case in milliseconds (0 for skips). */
  readonly durationMs: number;
}

/** A target as the report describes it (never its token). */
export interface TargetSummary {
  /** The target's unique name. */
  readonly name: string;
  /** Its table column set. */
  readonly group: string;
  /** The runtime it serves. */
  readonly runtime: RuntimeName;
  /** Its REST base URL, if any. */
  readonly rest?: string;
  /** Its gRPC address, if any. */
  readonly grpc?: string;
  /** `serverless` or `raw` when it enforces token auth. */
  readonly authMode?: string;
  /** Set for placeholders that were not configured. */
  readonly skipReason?: string;
}

/** What {@link runContract} returns: every result plus the verdict. */
export interface ContractReport {
  /** True when nothing failed: no `fail`, no `unexpected-pass`, no problems. */
  readonly ok: boolean;
  /** Results in run order: target by target, cases in catalog order. */
  readonly results: readonly CaseResult[];
  /** The targets that were run (placeholders included). */
  readonly targets: readonly TargetSummary[];
  /** How many results ended in each status. */
  readonly counts: Readonly<Record<CaseStatus, number>>;
  /**
   * Run-level failures that belong to no case, e.g. a known-failing entry that matches no case
   * of its target (a rotted list).
   */
  readonly problems: readonly string[];
  /** When the run started (ISO 8601). */
  readonly startedAt: string;
  /** Wall time of the whole run in milliseconds. */
  readonly durationMs: number;
}

/**
 * Applies a known-failing entry to a raw outcome: a listed failure becomes `known-fail`, a listed
 * pass becomes `unexpected-pass`; skips and unlisted outcomes stay as they are.
 */
export function applyKnownFailing(
  result: CaseResult,
  entry: KnownFailingEntry | undefined,
): CaseResult {
  if (entry === undefined) return result;
  if (result.status === "fail") {
    return {
      ...result,
      status: "known-fail",
      message: `${entry.reason} (listed at ${entry.source ?? entry.pattern}; failed with: ${result.message ?? "no message"})`,
      knownFailing: entry,
    };
  }
  if (result.status === "pass") {
    return {
      ...result,
      status: "unexpected-pass",
      message: `passed, but is listed as known-failing at ${entry.source ?? entry.pattern} ("${entry.reason}"); remove the entry`,
      knownFailing: entry,
    };
  }
  return result;
}

/** Counts results per status. */
export function countStatuses(results: readonly CaseResult[]): Record<CaseStatus, number> {
  const counts: Record<CaseStatus, number> = {
    pass: 0,
    fail: 0,
    skip: 0,
    "known-fail": 0,
    "unexpected-pass": 0,
  };
  for (const result of results) counts[result.status] += 1;
  return counts;
}

/** Whether results and problems make a successful run. */
export function isSuccessful(
  counts: Readonly<Record<CaseStatus, number>>,
  problems: readonly string[],
): boolean {
  return counts.fail === 0 && counts["unexpected-pass"] === 0 && problems.length === 0;
}
