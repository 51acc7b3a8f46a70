/**
 * Which protocol family serves which runtime: the one list of runtime modules. Each family
 * package owns its module; this file only lists them.
 */
import { caikitMockModule } from "@servingkit/caikit/mock";
import { kserveMockModule } from "@servingkit/kserve/mock";
import type { RuntimeMockModule, RuntimeName } from "@servingkit/mock-core";
import { tgisMockModule } from "@servingkit/tgis/mock";
import { vllmMockModule } from "@servingkit/vllm/mock";

/** Every protocol family's mock module. */
export const runtimeModules: readonly RuntimeMockModule[] = [
  vllmMockModule,
  caikitMockModule,
  tgisMockModule,
  kserveMockModule,
];

/** The module that serves `runtime` (every runtime has exactly one; a test pins that). */
export function runtimeModule(runtime: RuntimeName): RuntimeMockModule {
  const module = runtimeModules.find((m) => m.runtimes.includes(runtime));
  if (!module) throw new Error(`unknown runtime '${runtime}' (no mock module serves it)`);
  return module;
}
