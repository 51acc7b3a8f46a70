/**
 * The modelled GPU and vLLM V1 scheduling core (issue 7): device and model profiles, KV capacity
 * as vLLM sizes it, an analytical step-time model and a scheduler simulated on a virtual clock.
 */

export * from "./arrivals.js";
export * from "./bench-report.js";
export * from "./block-pool.js";
export * from "./calibration.js";
export * from "./device-profiles.js";
export * from "./engine-core.js";
export * from "./engine-metrics.js";
export * from "./expert-parallel.js";
export * from "./gpu-engine.js";
export * from "./hf-text-config.js";
export * from "./kv-capacity.js";
export * from "./model-loading.js";
export * from "./model-profiles.js";
export * from "./simulate.js";
export * from "./speculative.js";
export * from "./stats-log.js";
export * from "./step-time.js";
export * from "./sweep.js";
export * from "./workloads.js";
