/**
 * The mock of vLLM's OpenAI-compatible server: the `RuntimeMockModule` that `@servingkit/mocks` starts for its runtimes.
 * Its protocol routes and RPCs arrive with issue 3; until then the runtime answers only the
 * host's health, readiness, auth and fault behaviours.
 *
 * @packageDocumentation
 */
import type { RuntimeMockModule } from "@servingkit/mock-core";

/** The vllm protocol family's mock module. */
export const vllmMockModule: RuntimeMockModule = {
  name: "vllm",
  runtimes: ["vllm"],
  plugins: () => [],
};
