/**
 * The mock of vLLM's OpenAI-compatible server: the `RuntimeMockModule` that `@servingkit/mocks`
 * starts for the `vllm` runtime. This file only adapts the module contract; the routes live in
 * `mock/vllm-plugin.ts` and the protocol logic in pure handlers beside it.
 *
 * @packageDocumentation
 */
import type { RuntimeMockModule } from "@servingkit/mock-core";
import { loadServedModel } from "./mock/served-model.js";
import { readVllmSettings, vllmOptions } from "./mock/settings.js";
import { vllmPlugin } from "./mock/vllm-plugin.js";

export { defaultVllmVersion, type VllmProfile, vllmProfiles } from "./mock/profiles.js";
export { platformModelRoot } from "./mock/served-model.js";
export { readVllmSettings, type VllmSettings, vllmOptions } from "./mock/settings.js";

/** The vllm protocol family's mock module. */
export const vllmMockModule: RuntimeMockModule = {
  name: "vllm",
  runtimes: ["vllm"],
  options: vllmOptions,
  plugins: async (moduleSettings) => {
    const settings = readVllmSettings(moduleSettings);
    return [vllmPlugin({ settings, loaded: await loadServedModel(settings) })];
  },
};
