/**
 * `@servingkit/mocks`: every servingkit mock runtime, composed. `startRuntimeMock({ runtime })`
 * starts any of the seven runtimes of the platform with its protocol routes, the platform's
 * token authorization, TLS and faults.
 *
 * ```ts
 * import { startRuntimeMock } from "@servingkit/mocks";
 * const mock = await startRuntimeMock({ runtime: "triton", httpPort: 0, grpcPort: 0 });
 * console.log(mock.endpoints);
 * await mock.close();
 * ```
 *
 * @packageDocumentation
 */
export {
  familyRuntimes,
  loadRuntimeModule,
  loadRuntimeModules,
  loadRuntimeModulesFor,
} from "./runtime-modules.js";
export {
  buildRuntimeMock,
  type RuntimeMockOptions,
  startRuntimeMock,
} from "./start-runtime-mock.js";
