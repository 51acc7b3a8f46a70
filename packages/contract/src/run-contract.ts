import { access } from "node:fs/promises";
import { runtimeCatalog } from "@servingkit/mock-core";
import { createCaseContext } from "./case-context.js";
import { compileCaseSelection } from "./case-glob.js";
import { contractCases } from "./cases/index.js";
import { CaseSkipped, type ContractCase, caseName } from "./contract-case.js";
import {
  compileKnownFailing,
  type KnownFailingEntry,
  type KnownFailingList,
  readKnownFailing,
} from "./known-failing.js";
import { type MockTargetOptions, startMockTargets } from "./mock-targets.js";
import {
  applyKnownFailing,
  type CaseResult,
  type ContractReport,
  countStatuses,
  isSuccessful,
  type TargetSummary,
} from "./report.js";
import { type Target, targetFeatures, transportAddress } from "./target.js";
import { TargetConfigError } from "./target-config.js";
import { loadTargets } from "./target-env.js";

/** Options of {@link runContract}. */
export interface RunContractOptions {
  /**
   * Targets to run against besides the mocks. Default: the live targets of the environment
   * ({@link loadTargets}), which are placeholders that skip with a reason when none is configured.
   * Pass `[]` to run the mocks only.
   */
  readonly targets?: readonly Target[];
  /**
   * In-process mock groups to start on 127.0.0.1 (ephemeral ports), run against and close: one
   * entry per group, e.g. `[{}, { group: "mock-auth", token: "t" }, { group: "mock-tls", tls: true }]`.
   * Default none.
   */
  readonly mocks?: readonly MockTargetOptions[];
  /** The cases to choose from. Default: every case of the catalog. */
  readonly cases?: readonly ContractCase[];
  /** Run only cases whose full name matches one of these globs. Default: all. */
  readonly include?: readonly string[];
  /** Leave out cases whose full name matches one of these globs. */
  readonly exclude?: readonly string[];
  /** Longest a case may take, in milliseconds, before it fails as timed out. Default 10 000. */
  readonly caseTimeoutMs?: number;
  /** Called with each result as it is known, for progress output. */
  readonly onResult?: (result: CaseResult) => void;
}

/**
 * Runs the contract: starts the requested mocks, then runs every selected case that applies to
 * each target's runtime, applies the target's known-failing list, and returns the report. It
 * never throws for a failing case (that is in the report); it throws for unusable configuration
 * (an unreadable known-failing or CA file, duplicate target names). Mocks are closed before it
 * returns.
 *
 * ```ts
 * const report = await runContract({ mocks: [{}] });
 * console.log(formatConformanceTable(report));
 * process.exitCode = report.ok ? 0 : 1;
 * ```
 */
export async function runContract(options: RunContractOptions = {}): Promise<ContractReport> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const explicit = options.targets ?? (await loadTargets());
  const mockSets = await Promise.all((options.mocks ?? []).map((mock) => startMockTargets(mock)));
  try {
    const targets = [...mockSets.flatMap((set) => set.targets), ...explicit];
    checkUniqueNames(targets);
    await checkCaFiles(targets);
    const selected = compileCaseSelection(options.include, options.exclude);
    const cases = options.cases ?? contractCases;
    const results: CaseResult[] = [];
    const problems: string[] = [];
    for (const target of targets) {
      const applicable = cases.filter((c) => c.runtimes.includes(target.runtime));
      const knownFailing = await loadKnownFailing(target);
      if (knownFailing && target.skipReason === undefined) {
        for (const entry of knownFailing.unmatched(
          applicable.map((c) => caseName(target.runtime, c)),
        )) {
          problems.push(
            `${target.name}: known-failing entry "${entry.pattern}" (${entry.source ?? "inline"}) matches no case; remove or fix it`,
          );
        }
      }
      for (const contractCase of applicable) {
        const name = caseName(target.runtime, contractCase);
        if (!selected(name)) continue;
        const raw = await runOne(contractCase, target, options.caseTimeoutMs ?? 10_000);
        const result = applyKnownFailing(raw, knownFailing?.find(name));
        results.push(result);
        options.onResult?.(result);
      }
    }
    const counts = countStatuses(results);
    return {
      ok: isSuccessful(counts, problems),
      results,
      targets: targets.map(summarize),
      counts,
      problems,
      startedAt,
      durationMs: performance.now() - started,
    };
  } finally {
    await Promise.all(mockSets.map((set) => set.close()));
  }
}

/**
 * Runs one case on one target and reports the raw outcome (before known-failing lists): `skip`
 * when the target is a placeholder, lacks the transport, is a deployment the case does not hold
 * on or lacks a needed feature, or the case skips
 * itself; `fail` on a thrown error or a timeout; `pass` otherwise.
 */
export async function runOne(
  contractCase: ContractCase,
  target: Target,
  timeoutMs: number,
): Promise<CaseResult> {
  const base = {
    name: caseName(target.runtime, contractCase),
    caseId: contractCase.id,
    runtime: target.runtime,
    target: target.name,
    group: target.group,
    transport: contractCase.transport,
  };
  const skip = (message: string): CaseResult => ({
    ...base,
    status: "skip",
    message,
    durationMs: 0,
  });
  if (target.skipReason !== undefined) return skip(target.skipReason);
  if (transportAddress(target, contractCase.transport) === undefined) {
    return skip(`target has no ${contractCase.transport === "rest" ? "REST URL" : "gRPC address"}`);
  }
  const deployment = target.deployment ?? "single-model";
  if (!(contractCase.deployments ?? ["single-model"]).includes(deployment)) {
    return skip(`target is a ${deployment} deployment, which the case does not apply to`);
  }
  const features = targetFeatures(target, contractCase.transport);
  const missing = (contractCase.needs ?? []).filter((feature) => !features.has(feature));
  if (missing.length > 0) return skip(`target lacks ${missing.join(", ")}`);

  const controller = new AbortController();
  const context = createCaseContext(
    target,
    runtimeCatalog[target.runtime],
    controller.signal,
    timeoutMs,
  );
  const begin = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`timed out after ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    await Promise.race([contractCase.run(context), timeout]);
    return { ...base, status: "pass", durationMs: performance.now() - begin };
  } catch (error) {
    const durationMs = performance.now() - begin;
    if (error instanceof CaseSkipped) return { ...skip(error.message), durationMs };
    const failure = error instanceof Error ? error : new Error(String(error));
    return {
      ...base,
      status: "fail",
      message: failure.message.split("\n")[0] ?? failure.name,
      details: failure.stack ?? failure.message,
      durationMs,
    };
  } finally {
    clearTimeout(timer);
    controller.abort();
    await context.close();
  }
}

async function loadKnownFailing(target: Target): Promise<KnownFailingList | undefined> {
  if (target.knownFailing === undefined) return undefined;
  const entries: readonly KnownFailingEntry[] =
    typeof target.knownFailing === "string"
      ? await readKnownFailing(target.knownFailing)
      : target.knownFailing;
  return compileKnownFailing(entries);
}

/** A CA file that cannot be read would fail every TLS case with the same error: say it once. */
async function checkCaFiles(targets: readonly Target[]): Promise<void> {
  for (const target of targets) {
    const caFile = target.tls?.ca === undefined ? target.tls?.caFile : undefined;
    if (caFile === undefined || target.skipReason !== undefined) continue;
    try {
      await access(caFile);
    } catch (error) {
      throw new TargetConfigError(
        `${target.name}: cannot read CA file ${caFile}: ${(error as Error).message}`,
      );
    }
  }
}

function checkUniqueNames(targets: readonly Target[]): void {
  const seen = new Set<string>();
  for (const target of targets) {
    if (seen.has(target.name)) throw new TypeError(`two targets are named "${target.name}"`);
    seen.add(target.name);
  }
}

function summarize(target: Target): TargetSummary {
  return {
    name: target.name,
    group: target.group,
    runtime: target.runtime,
    ...(target.rest && { rest: target.rest }),
    ...(target.grpc && { grpc: target.grpc }),
    ...(target.authMode && { authMode: target.authMode }),
    ...(target.skipReason && { skipReason: target.skipReason }),
  };
}
