/**
 * Worker-thread entry of {@link startWatchedVllm}: starts the watched server its `workerData`
 * names (the vLLM mock or the bare baseline), posts its URL, answers `ends` with the step ends
 * noted since the last ask, and on `close` closes the server and ends the thread.
 */
import { parentPort, workerData } from "node:worker_threads";
import { startWatchedHere, type WatchedKind, type WatchedVllmReply } from "./gpu-watched-vllm.js";

const port = parentPort;
if (!port) throw new Error("gpu-mock-worker.js runs in a worker thread");
const post = (reply: WatchedVllmReply) => port.postMessage(reply);
const mock = await startWatchedHere((workerData as WatchedKind | undefined) ?? "vllm");
post({ type: "started", url: mock.url });
port.on("message", async (message: "ends" | "close") => {
  if (message === "ends") {
    post({ type: "ends", ends: await mock.takeStepEnds() });
    return;
  }
  await mock.close();
  // Ends the thread even if a client left a keep-alive socket behind.
  process.exit(0);
});
