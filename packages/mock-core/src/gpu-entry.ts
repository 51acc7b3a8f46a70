/**
 * `@servingkit/mock-core/gpu`: the modelled GPU and vLLM V1 scheduling (issue 7) — devices, models,
 * KV capacity, step time, the engine core, `simulate()`, `GpuEngine` — with the engine settings read
 * from runtime flags, the GPU text engine and `createTextEngine`, the factory that picks the GPU or
 * the simple engine (it loads the GPU engine either way). Only runtimes with a GPU backend (vLLM,
 * TGIS, Caikit-TGIS) and the simulators import it. `@servingkit/mock-core` (".") still exports it.
 *
 * @packageDocumentation
 */

export {
  defaultGpuModelProfile,
  EngineConfigError,
  type GpuEngineContext,
  type GpuEngineSettings,
  gpuEngineOptions,
  readGpuEngineSettings,
  readSpeculativeConfig,
  type SpeculativeSettings,
  tgisGpuEngineOptions,
} from "./engine/gpu-engine-settings.js";
export { createGpuTextEngine, type GpuTextEngineOptions } from "./engine/gpu-text-engine.js";
export {
  type CreatedTextEngine,
  createTextEngine,
  type EngineLogger,
  type EngineStartup,
  engineStartup,
  type GpuBackend,
  statsLogIntervalMs,
  type TextEngineOptions,
} from "./engine/text-engine-factory.js";
export * from "./gpu/index.js";
