/**
 * `servingkit mock vllm --gpu h100-80gb` with its engine's predictions made visible: the mock runs
 * on a clock that notes every step end the GPU engine sleeps until (the time that step's tokens
 * are due out), so a client can compare when tokens arrive with when the simulator said they
 * would. Runs on the caller's thread or in a worker thread (`gpu-mock-worker.ts`), so the client
 * and the mock each have an event loop, as on two machines. Times are absolute
 * (`performance.timeOrigin + performance.now()`, milliseconds), comparable across threads.
 */
import { Worker } from "node:worker_threads";
import { type Clock, realClock } from "@servingkit/mock-core";
import { startRuntimeMock } from "@servingkit/mocks";
import type { ServerPlacement } from "./server-thread.js";

/** Milliseconds since the epoch with sub-millisecond resolution, the same on every thread. */
export function absoluteNow(): number {
  return performance.timeOrigin + performance.now();
}

/** A running watched vLLM mock. */
export interface WatchedVllm {
  /** Base URL of its REST endpoint. */
  readonly url: string;
  /** The step ends noted since the last call (absolute ms, ascending), and forgets them. */
  takeStepEnds(): Promise<number[]>;
  close(): Promise<void>;
}

/** The vLLM options of the watched mock: an H100, Llama 3.1 8B's shape (the default profile). */
export const watchedVllmValues = { gpu: "h100-80gb", "max-model-len": "8192" } as const;

/** Starts the watched mock on this thread. */
export async function startWatchedVllmHere(): Promise<WatchedVllm> {
  let ends: number[] = [];
  const clock: Clock = {
    now: () => realClock.now(),
    sleep: (ms, signal) => {
      // Engine steps last well under a second; longer sleeps are other timers (the stats line).
      if (ms < 1000) ends.push(absoluteNow() + ms);
      return realClock.sleep(ms, signal);
    },
  };
  const mock = await startRuntimeMock({
    runtime: "vllm",
    host: "127.0.0.1",
    httpPort: 0,
    grpcPort: 0,
    logger: false,
    clock,
    values: watchedVllmValues,
  });
  return {
    url: mock.endpoints.http as string,
    takeStepEnds: async () => {
      const taken = ends;
      ends = [];
      return taken.sort((a, b) => a - b);
    },
    close: () => mock.close(),
  };
}

/** Messages between the main thread and `gpu-mock-worker.ts`. */
export type WatchedVllmReply = { type: "started"; url: string } | { type: "ends"; ends: number[] };

/**
 * Starts the watched mock where asked: `inline` on this thread (the smoke test, which runs from
 * TypeScript sources a worker cannot load), otherwise in a worker thread.
 */
export async function startWatchedVllm(placement: ServerPlacement): Promise<WatchedVllm> {
  if (placement === "inline") return startWatchedVllmHere();
  const worker = new Worker(new URL("./gpu-mock-worker.js", import.meta.url));
  const next = <T extends WatchedVllmReply["type"]>(type: T) =>
    new Promise<Extract<WatchedVllmReply, { type: T }>>((resolve, reject) => {
      const onMessage = (reply: WatchedVllmReply) => {
        if (reply.type !== type) return;
        worker.off("message", onMessage);
        worker.off("error", reject);
        resolve(reply as Extract<WatchedVllmReply, { type: T }>);
      };
      worker.on("message", onMessage);
      worker.once("error", reject);
    });
  const started = await next("started");
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  return {
    url: started.url,
    takeStepEnds: async () => {
      const reply = next("ends");
      worker.postMessage("ends");
      return (await reply).ends;
    },
    close: async () => {
      worker.postMessage("close");
      await exited;
    },
  };
}
