/**
 * The mock of vLLM's OpenAI-compatible server: the `RuntimeMockModule` that `@servingkit/mocks`
 * starts for the `vllm` runtime. This file only adapts the module contract; the routes live in
 * `mock/vllm-plugin.ts` and the protocol logic in pure handlers beside it.
 *
 * @packageDocumentation
 */
import type { RuntimeMockModule } from "@servingkit/mock-core";
import { readVllmSettings, vllmOptions } from "./mock/settings.js";
import { vllmPlugin } from "./mock/vllm-plugin.js";

export { defaultVllmVersion, type VllmProfile, vllmProfiles } from "./mock/profiles.js";
export { readVllmSettings, type VllmSettings, vllmOptions } from "./mock/settings.js";

/** Where the platform mounts the model, and so the `root` of the model card (vllm-openai.md §0). */
export const platformModelRoot = "/mnt/models";

/** The vllm protocol family's mock module. */
export const vllmMockModule: RuntimeMockModule = {
  name: "vllm",
  runtimes: ["vllm"],
  options: vllmOptions,
  plugins: (moduleSettings) => {
    const settings = readVllmSettings(moduleSettings);
    const served = {
      id: settings.servedModelName ?? settings.model ?? "default",
      root: settings.model ?? platformModelRoot,
      maxModelLen: settings.maxModelLen ?? 2048,
    };
    return [vllmPlugin({ settings, served })];
  },
};
