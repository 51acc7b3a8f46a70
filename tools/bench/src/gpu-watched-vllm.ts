/**
 * `servingkit mock vllm --gpu h100-80gb` with its engine's predictions made visible: the mock runs
 * on a clock that notes every step end the GPU engine sleeps until (the time that step's tokens
 * are due out), so a client can compare when tokens arrive with when the simulator said they
 * would. Beside it, the baseline of the same rows: a bare `node:http` server that streams the
 * same SSE frames on a fixed step, noting its step ends the same way. Either runs on the caller's
 * thread or in a worker thread (`gpu-mock-worker.ts`), so the client and the server each have an
 * event loop, as on two machines. Times are absolute (`performance.timeOrigin +
 * performance.now()`, milliseconds), comparable across threads.
 */
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
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

/**
 * The bare baseline's step (ms): about the modelled H100's decode step for Llama 3.1 8B with the
 * 150-250 streams the HTTP rows keep running (7-8 ms measured through the watched mock).
 */
export const bareStepMs = 8;

/** One `text_completion` chunk as the vLLM mock writes it (vllm-openai.md §6), with `text`. */
function completionFrame(text: string, finishReason: string | null): string {
  const chunk = {
    id: "cmpl-bare",
    object: "text_completion",
    created: 0,
    model: "bare",
    choices: [{ index: 0, text, logprobs: null, finish_reason: finishReason, stop_reason: null }],
    usage: null,
  };
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

/**
 * Starts the bare baseline on this thread: a `node:http` server with no framework and no engine
 * that answers `GET /v1/models` and takes `POST /v1/completions` (`max_tokens`, default 16) as an
 * SSE stream, then, one step loop for all streams as GpuEngine has, every {@link bareStepMs} writes
 * one ready-made chunk to each open stream (the last one with `finish_reason` and `[DONE]`), each
 * step end noted as the watched mock notes its engine's. What the platform and the client cost on
 * this machine, for the mock's rows to be read against.
 */
export async function startBareTickerHere(): Promise<WatchedVllm> {
  let ends: number[] = [];
  const open = new Set<{ readonly res: ServerResponse; left: number }>();
  const token = completionFrame(" word", null);
  const last = `${completionFrame(" word", "length")}data: [DONE]\n\n`;
  let ticking = false;
  const tick = async () => {
    ticking = true;
    while (open.size > 0) {
      ends.push(absoluteNow() + bareStepMs);
      await realClock.sleep(bareStepMs);
      for (const stream of open) {
        stream.left -= 1;
        if (stream.left > 0) stream.res.write(token);
        else {
          open.delete(stream);
          stream.res.end(last);
        }
      }
    }
    ticking = false;
  };
  const server = createServer((req, res) => {
    if (req.method !== "POST") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"object":"list","data":[{"id":"bare","object":"model"}]}');
      return;
    }
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      body += chunk;
    });
    req.on("end", () => {
      const { max_tokens: maxTokens = 16 } = JSON.parse(body) as { max_tokens?: number };
      res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8" });
      const stream = { res, left: Math.max(1, maxTokens) };
      open.add(stream);
      res.on("close", () => open.delete(stream));
      if (!ticking) void tick();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    takeStepEnds: async () => {
      const taken = ends;
      ends = [];
      return taken.sort((a, b) => a - b);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Which watched server: the vLLM mock or the bare baseline. */
export type WatchedKind = "vllm" | "bare";

/** Starts the watched server of `kind` on this thread. */
export function startWatchedHere(kind: WatchedKind): Promise<WatchedVllm> {
  return kind === "bare" ? startBareTickerHere() : startWatchedVllmHere();
}

/** Messages between the main thread and `gpu-mock-worker.ts`. */
export type WatchedVllmReply = { type: "started"; url: string } | { type: "ends"; ends: number[] };

/**
 * Starts the watched server of `kind` (default the vLLM mock) where asked: `inline` on this
 * thread (the smoke test, which runs from TypeScript sources a worker cannot load), otherwise in
 * a worker thread.
 */
export async function startWatchedVllm(
  placement: ServerPlacement,
  kind: WatchedKind = "vllm",
): Promise<WatchedVllm> {
  if (placement === "inline") return startWatchedHere(kind);
  const worker = new Worker(new URL("./gpu-mock-worker.js", import.meta.url), { workerData: kind });
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
