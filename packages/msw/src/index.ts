/**
 * `@servingkit/msw`: msw request handlers for the servingkit REST runtimes (vLLM, KServe v2 for
 * Triton/MLServer/OVMS, Caikit), served from the same host-neutral route tables as the fastify
 * mocks, so a test that intercepts `fetch` gets the mock runtime's exact answers without a port.
 *
 * @packageDocumentation
 */
export { type CaikitHandlersOptions, caikitHandlers } from "./caikit-handlers.js";
export { type KserveHandlersOptions, kserveHandlers } from "./kserve-handlers.js";
export {
  type RouteTableHandlerOptions,
  routeTableHandler,
  toResponse,
} from "./route-table-handler.js";
export {
  type MswRuntime,
  mswRuntimes,
  type ServingkitHandlersOptions,
  servingkitHandlers,
} from "./servingkit-handlers.js";
export { type VllmHandlersOptions, vllmHandlers } from "./vllm-handlers.js";
