/**
 * The mock of vLLM's OpenAI-compatible server: the `RuntimeMockModule` that `@servingkit/mocks`
 * starts for the `vllm` runtime. This file only adapts the module contract; the routes live in
 * `mock/vllm-plugin.ts` and the protocol logic in pure handlers beside it.
 *
 * @packageDocumentation
 */
import {
  type Clock,
  defaultModelId,
  healthRouteTable,
  type MockPlugin,
  type Readiness,
  type RestRouteTable,
  type RuntimeMockModule,
  type RuntimeModuleSettings,
  runtimeCatalog,
} from "@servingkit/mock-core";
import { withRequestIdHeaders } from "./mock/request-id.js";
import { loadServedModel } from "./mock/served-model.js";
import { readVllmSettings, vllmOptions } from "./mock/settings.js";
import { vllmPlugin, vllmRestTables } from "./mock/vllm-plugin.js";

export { defaultVllmVersion, type VllmProfile, vllmProfiles } from "./mock/profiles.js";
export { platformModelRoot } from "./mock/served-model.js";
export { readVllmSettings, type VllmSettings, vllmOptions } from "./mock/settings.js";

/** The vllm protocol family's mock module. */
export const vllmMockModule: RuntimeMockModule = {
  name: "vllm",
  runtimes: ["vllm"],
  options: vllmOptions,
  // The served names, as loadServedModel gives them: --served-model-name, else --model, else built-in.
  defaultModels: (moduleSettings) => {
    const settings = readVllmSettings(moduleSettings);
    return settings.servedModelNames ?? [settings.model ?? defaultModelId];
  },
  plugins: async (moduleSettings) => {
    const settings = readVllmSettings(moduleSettings);
    return [
      vllmPlugin({ settings, loaded: await loadServedModel(settings, moduleSettings.values) }),
    ];
  },
};

/** vLLM's REST surface for a host other than fastify (see {@link vllmRestSurface}). */
export interface VllmRestSurface {
  /** The route tables, in order, with vLLM's `--api-key` and request-id middleware. */
  readonly tables: readonly RestRouteTable[];
  /** The protocol plugin, for its error hooks (envelope per version, malformed-JSON 400). */
  readonly plugin: MockPlugin;
  /**
   * The runtime's health routes (`/health`, `/ping`, following `readiness`; default always ready)
   * as vLLM serves them: with `--enable-request-id-headers` its X-Request-Id middleware wraps them
   * too, as it wraps every route.
   */
  healthTable(readiness?: Readiness): RestRouteTable;
}

/**
 * vLLM's REST surface as a host-neutral route table plus the plugin whose error hooks go with it,
 * from the module's settings (`values` as the CLI options, `models` as `--model`; `env` read as
 * the CLI reads the process environment): what `@servingkit/msw` serves. The model loads once.
 */
export async function vllmRestSurface(
  settings: Pick<RuntimeModuleSettings, "models" | "values">,
  clock: Clock,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<VllmRestSurface> {
  const vllm = readVllmSettings(settings, env);
  const loaded = await loadServedModel(vllm, settings.values);
  return {
    tables: vllmRestTables({ settings: vllm, loaded, clock }),
    plugin: vllmPlugin({ settings: vllm, loaded }),
    healthTable(readiness) {
      const table = healthRouteTable(runtimeCatalog.vllm, readiness);
      return vllm.requestIdHeaders ? withRequestIdHeaders(table) : table;
    },
  };
}
