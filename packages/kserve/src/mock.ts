/**
 * The mock of KServe v2 / Open Inference Protocol (Triton, MLServer, OpenVINO Model Server): the `RuntimeMockModule` that `@servingkit/mocks` starts for its runtimes.
 * Its protocol routes and RPCs arrive with issue 4; until then the runtime answers only the
 * host's health, readiness, auth and fault behaviours.
 *
 * @packageDocumentation
 */
import type { RuntimeMockModule } from "@servingkit/mock-core";

/** The kserve-v2 protocol family's mock module. */
export const kserveMockModule: RuntimeMockModule = {
  name: "kserve-v2",
  runtimes: ["ovms", "triton", "mlserver"],
  plugins: () => [],
};
