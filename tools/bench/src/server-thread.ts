import { type ChildProcess, fork } from "node:child_process";
import { Worker } from "node:worker_threads";
import type { CpuSample } from "./measurement.js";
import { type MemorySample, type RunningServer, type ServerSpec, startServer } from "./servers.js";

/**
 * Where a scenario runs its servers. `thread` (what `pnpm bench` uses) starts each server in a
 * worker thread, so the server and the load generator each have an event loop and a core of
 * their own, as they would on two machines. `process` starts it in a child process, so its
 * memory (RSS) is its own: the streams scenario uses it. `inline` runs the server on the
 * caller's event loop: fine for the smoke test (which runs from TypeScript sources), wrong for
 * real numbers.
 */
export type ServerPlacement = "thread" | "process" | "inline";

type Reply =
  | { type: "started"; address: string; headers: Record<string, string> }
  | { type: "memory"; sample: MemorySample }
  | { type: "cpu"; sample: CpuSample };

/** The messaging both a worker thread and a child process offer. */
interface Channel {
  post(message: "close" | "memory" | "cpu"): void;
  on(listener: (reply: Reply) => void): void;
  off(listener: (reply: Reply) => void): void;
  exited: Promise<void>;
  failed: Promise<never>;
}

function threadChannel(spec: ServerSpec): Channel {
  const worker = new Worker(new URL("./server-worker.js", import.meta.url), { workerData: spec });
  return {
    post: (message) => worker.postMessage(message),
    on: (listener) => worker.on("message", listener),
    off: (listener) => worker.off("message", listener),
    exited: new Promise((resolve) => worker.once("exit", () => resolve())),
    failed: new Promise((_, reject) => {
      worker.once("error", reject);
      worker.once("exit", (code) => reject(new Error(`server thread exited with ${code}`)));
    }),
  };
}

function processChannel(spec: ServerSpec): Channel {
  const child: ChildProcess = fork(new URL("./server-worker.js", import.meta.url), {
    serialization: "advanced",
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  child.send(spec);
  return {
    post: (message) => child.send(message),
    on: (listener) => child.on("message", listener),
    off: (listener) => child.off("message", listener),
    exited: new Promise((resolve) => child.once("exit", () => resolve())),
    failed: new Promise((_, reject) => {
      child.once("error", reject);
      child.once("exit", (code) => reject(new Error(`server process exited with ${code}`)));
    }),
  };
}

/** Starts a server where asked; see {@link ServerPlacement}. */
export async function startServerIn(
  spec: ServerSpec,
  placement: ServerPlacement,
): Promise<RunningServer> {
  if (placement === "inline") return startServer(spec);
  const channel = placement === "thread" ? threadChannel(spec) : processChannel(spec);
  channel.failed.catch(() => undefined);
  const started = await Promise.race([
    new Promise<Extract<Reply, { type: "started" }>>((resolve) => {
      const listener = (reply: Reply) => {
        if (reply.type !== "started") return;
        channel.off(listener);
        resolve(reply);
      };
      channel.on(listener);
    }),
    channel.failed,
  ]);
  let closing = false;
  return {
    address: started.address,
    headers: started.headers,
    close: async () => {
      if (closing) return channel.exited;
      closing = true;
      channel.post("close");
      await channel.exited;
    },
    memory: () => ask(channel, "memory"),
    ...(placement === "process" && { cpu: () => ask(channel, "cpu") }),
  };
}

/** What the server's side answers to each question. */
interface Samples {
  memory: MemorySample;
  cpu: CpuSample;
}

/** Asks the server's side for a sample and waits for its answer. */
function ask<T extends keyof Samples>(channel: Channel, request: T): Promise<Samples[T]> {
  return new Promise((resolve) => {
    const listener = (reply: Reply) => {
      if (reply.type !== request || !("sample" in reply)) return;
      channel.off(listener);
      resolve(reply.sample as Samples[T]);
    };
    channel.on(listener);
    channel.post(request);
  });
}
