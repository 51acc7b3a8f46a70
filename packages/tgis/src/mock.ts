/**
 * The mock of TGIS (`fmaas.GenerationService`): the `RuntimeMockModule` that `@servingkit/mocks` starts for its runtimes.
 * Its protocol routes and RPCs arrive with issue 6; until then the runtime answers only the
 * host's health, readiness, auth and fault behaviours.
 *
 * @packageDocumentation
 */
import type { RuntimeMockModule } from "@servingkit/mock-core";

/** The tgis protocol family's mock module. */
export const tgisMockModule: RuntimeMockModule = {
  name: "tgis",
  runtimes: ["tgis"],
  plugins: () => [],
};
