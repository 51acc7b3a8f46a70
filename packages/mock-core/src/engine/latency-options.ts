/**
 * The simple engine's pacing flags, one definition for every runtime module that paces generated
 * text with them (the vLLM mock, Triton's `vllm_model`): `servingkit mock` merges the modules'
 * options by name, so a flag two modules take must be the same option.
 */
import type { RuntimeOption } from "../runtime-module.js";

/** `--time-to-first-token MS` and `--inter-token-latency MS`: milliseconds, default 0 (none). */
export const latencyOptions: Readonly<
  Record<"time-to-first-token" | "inter-token-latency", RuntimeOption>
> = {
  "time-to-first-token": {
    type: "string",
    valueName: "MS",
    help: "milliseconds before the first generated token; default 0",
  },
  "inter-token-latency": {
    type: "string",
    valueName: "MS",
    help: "milliseconds between generated tokens; default 0",
  },
};
