/**
 * Entry of the child process {@link runScenarioApart} forks for one scenario: reads the request
 * (the first IPC message), runs the scenario, sends back its result or the message of what it
 * threw, and exits so that nothing it opened outlives it.
 */
import { once } from "node:events";
import type { ScenarioReply, ScenarioRequest } from "./scenario-process.js";
import { runScenario } from "./scenarios.js";

if (!process.send) throw new Error("scenario-child.js runs as a forked child process");
const [request] = (await once(process, "message")) as [ScenarioRequest];
let reply: ScenarioReply;
try {
  reply = { type: "result", result: await runScenario(request.name, request.settings) };
} catch (error) {
  reply = { type: "error", message: error instanceof Error ? error.message : String(error) };
}
process.send(reply, () => process.exit(0));
