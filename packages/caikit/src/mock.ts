/**
 * The mock of the Caikit NLP runtime (Caikit TGIS, Caikit Standalone): the `RuntimeMockModule` that `@servingkit/mocks` starts for its runtimes.
 * Its protocol routes and RPCs arrive with issue 5; until then the runtime answers only the
 * host's health, readiness, auth and fault behaviours.
 *
 * @packageDocumentation
 */
import type { RuntimeMockModule } from "@servingkit/mock-core";

/** The caikit protocol family's mock module. */
export const caikitMockModule: RuntimeMockModule = {
  name: "caikit",
  runtimes: ["caikit-tgis", "caikit-standalone"],
  plugins: () => [],
};
