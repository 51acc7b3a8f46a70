/**
 * Worker-thread entry of {@link startServerIn}: starts the server named by `workerData`, posts
 * its address, and closes it when told `close`.
 */
import { parentPort, workerData } from "node:worker_threads";
import { type ServerKind, startServer } from "./servers.js";

const port = parentPort;
if (port === null) throw new Error("server-worker.js must run in a worker thread");
const server = await startServer(workerData as ServerKind);
port.postMessage({ address: server.address, headers: server.headers });
port.once("message", async () => {
  await server.close();
  port.close();
  // Ends this thread only, even if a client left a keep-alive socket behind.
  process.exit(0);
});
