import { Worker } from "node:worker_threads";
import { type RunningServer, type ServerKind, startServer } from "./servers.js";

/**
 * Where a scenario runs its servers. `thread` (what `pnpm bench` uses) starts each server in a
 * worker thread, so the server and the load generator each have an event loop and a core of
 * their own, as they would on two machines. `inline` runs the server on the caller's event loop:
 * fine for the smoke test (which runs from TypeScript sources), wrong for real numbers.
 */
export type ServerPlacement = "thread" | "inline";

/** Starts a server where asked; see {@link ServerPlacement}. */
export async function startServerIn(
  kind: ServerKind,
  placement: ServerPlacement,
): Promise<RunningServer> {
  if (placement === "inline") return startServer(kind);
  const worker = new Worker(new URL("./server-worker.js", import.meta.url), { workerData: kind });
  const started = await new Promise<{ address: string; headers: Record<string, string> }>(
    (resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
      worker.once("exit", (code) => reject(new Error(`server thread exited with ${code}`)));
    },
  );
  return {
    ...started,
    close: async () => {
      worker.removeAllListeners("exit");
      const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
      worker.postMessage("close");
      await exited;
    },
  };
}
