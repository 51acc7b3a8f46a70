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

/**
 * `--stream-interval N`: vLLM's stream_interval (vLLM 0.12.0 and later, PR #27869), taken by the
 * vLLM mock as vLLM's own flag and by Triton's `vllm_model` as its model.json key; one definition
 * because `servingkit mock` merges the modules' options by name. Tokens, default 1.
 */
export const streamIntervalOption: RuntimeOption = {
  type: "string",
  valueName: "N",
  help: "vLLM 0.12.0 and later: after a request's first token, stream its tokens once N have gathered, the last with the finish (vLLM --stream-interval; Triton vllm_model: model.json's stream_interval, which a repository model.json's own key overrides); default 1",
};
