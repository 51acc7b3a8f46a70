// A stand-in for scenario-child.js in scenario-process.test.ts: answers the request as the named
// case asks, so the parent's handling of a result, an error and a silent exit is tested.
import { once } from "node:events";

const [request] = await once(process, "message");
if (request.name === "exit-silently") process.exit(3);
const reply =
  request.name === "throw"
    ? { type: "error", message: "no such server" }
    : {
        type: "result",
        result: {
          name: request.name,
          title: `pid ${process.pid}`,
          load: `${request.settings.seconds} s`,
          unit: "req/s",
          latency: "latency",
          measurements: [],
          notes: [],
        },
      };
process.send(reply, () => process.exit(0));
