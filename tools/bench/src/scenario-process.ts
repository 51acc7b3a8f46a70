import { fork } from "node:child_process";
import type { LoadSettings, ScenarioName, ScenarioResult } from "./scenarios.js";

/** What {@link runScenarioApart} sends its child: the one scenario to run and its load. */
export interface ScenarioRequest {
  readonly name: ScenarioName;
  readonly settings: LoadSettings;
}

/** What the child sends back: the scenario's result, or the message of what it threw. */
export type ScenarioReply =
  | { readonly type: "result"; readonly result: ScenarioResult }
  | { readonly type: "error"; readonly message: string };

/** The child entry `pnpm bench` uses: the built scenario-child.js beside this file. */
const defaultEntry = new URL("./scenario-child.js", import.meta.url);

/**
 * Runs one scenario in a fresh child process and resolves with its result; rejects with the
 * child's error, or when the child exits without answering (a crash, a kill).
 *
 * Why apart: a scenario leaves its process changed for the next one. The load clients of the
 * HTTP and gRPC scenarios, and the GPU scenarios' own loops, run in the bench's process; in one
 * process for all (as before) they grew V8's young generation to 64 MiB per semi-space
 * (a fresh process's rows run at 16-32) and left the old space full of the last scenario's
 * garbage (90 MiB in the heap after gpu-step-overhead, 25 in a fresh one). The in-process
 * `gpu-realtime-fidelity` rows, which run last and time every token on the real clock, then met
 * a third as many scavenges, each about 2.5 times longer at the median, and their inter-token p99
 * in full runs read several times their lone run's. A fresh process per scenario gives every
 * scenario the heap a lone run has; each scenario still runs its baselines and its mocks in one
 * process, so its ratios compare like with like. A child costs about 0.8 s of CPU to load the
 * harness.
 *
 * @param entry the child's script (default: scenario-child.js beside this module, which the
 *   built bench has); tests pass a fixture
 * @param execArgv Node flags for the child (default: none, not this process's own, so that a
 *   test runner's loaders stay out of it)
 */
export function runScenarioApart(
  request: ScenarioRequest,
  entry: URL = defaultEntry,
  execArgv: readonly string[] = [],
): Promise<ScenarioResult> {
  return new Promise((resolve, reject) => {
    const child = fork(entry, {
      serialization: "advanced",
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      execArgv: [...execArgv],
    });
    let reply: ScenarioReply | undefined;
    child.once("message", (message: ScenarioReply) => {
      reply = message;
    });
    child.once("error", reject);
    // The reply is read at exit: the child has then let go of every server and socket it opened.
    child.once("exit", (code, signal) => {
      if (reply?.type === "result") resolve(reply.result);
      else if (reply?.type === "error") reject(new Error(`${request.name}: ${reply.message}`));
      else
        reject(new Error(`${request.name}: the scenario's process exited with ${signal ?? code}`));
    });
    child.send(request);
  });
}
