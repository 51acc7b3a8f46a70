/**
 * Entry of a server started apart by {@link startServerIn}, in a worker thread (the spec comes as
 * `workerData`) or a forked child process (the spec comes as the first IPC message, structured
 * clone serialization): starts the server, posts its address, answers `memory` with a sample and
 * `cpu` with the process's CPU time so far, and closes the server when told `close`.
 */
import { once } from "node:events";
import { getHeapStatistics } from "node:v8";
import { parentPort, workerData } from "node:worker_threads";
import { processCpu } from "./measurement.js";
import type { MemorySample, RunningServer, ServerSpec } from "./servers.js";

const mib = (bytes: number) => bytes / 1024 / 1024;

function sample(): MemorySample {
  const heap = getHeapStatistics();
  return {
    rssMiB: mib(process.memoryUsage.rss()),
    heapMiB: mib(heap.used_heap_size + heap.external_memory),
  };
}

const port = parentPort;
if (!port && !process.send) throw new Error("server-worker.js runs in a worker thread or a fork");
const send = (message: unknown) => (port ? port.postMessage(message) : process.send?.(message));
const spec = (port ? workerData : (await once(process, "message"))[0]) as ServerSpec;
/**
 * A runtime scenario's server starts from runtime-servers.js alone, so a bare baseline's thread
 * loads only what it runs (servers.js brings mock-core for the health scenarios' mocks).
 */
async function start(spec: ServerSpec): Promise<RunningServer> {
  if (typeof spec !== "string")
    return (await import("./runtime-servers.js")).startRuntimeServer(spec);
  return (await import("./servers.js")).startServer(spec);
}

const server = await start(spec);
send({ type: "started", address: server.address, headers: server.headers });

const onMessage = async (request: "close" | "memory" | "cpu") => {
  if (request === "memory") {
    send({ type: "memory", sample: sample() });
    return;
  }
  if (request === "cpu") {
    send({ type: "cpu", sample: processCpu() });
    return;
  }
  await server.close();
  // Ends this thread or process, even if a client left a keep-alive socket behind.
  process.exit(0);
};
if (port) port.on("message", onMessage);
else process.on("message", onMessage);
