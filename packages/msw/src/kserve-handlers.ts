/**
 * msw handlers for the KServe v2 / Open Inference Protocol runtimes (Triton, MLServer, OVMS): the
 * REST routes of `@servingkit/kserve/mock` (the same route table its fastify mock serves: JSON and
 * the binary tensor extension, compression, Triton's extension routes, MLServer's SSE), the
 * runtime's health routes and its 404/405 answers and error envelopes from mock-core's catalog.
 * With `modelmesh: true` it answers as ModelMesh's REST proxy instead: metadata and infer only,
 * no health routes, `{code, message}` errors.
 */
import {
  type KserveMockOptions,
  kserveMockPlugin,
  kserveRouteTable,
} from "@servingkit/kserve/mock";
import {
  type Clock,
  healthRouteTable,
  type Readiness,
  realClock,
  runtimeCatalog,
  runtimePlugin,
} from "@servingkit/mock-core";
import type { RequestHandler } from "msw";
import { routeTableHandler } from "./route-table-handler.js";

/** Options of {@link kserveHandlers}: the kserve mock's own options plus where it answers. */
export interface KserveHandlersOptions extends KserveMockOptions {
  /** Where it answers, e.g. `http://triton.test` (an origin, optionally with a path prefix). */
  readonly baseUrl: string;
  /** The clock of the inference statistics; default the real clock. */
  readonly clock?: Clock;
  /** Readiness the `ready` health route follows; default always ready. */
  readonly readiness?: Readiness;
  /** Largest accepted request body in bytes; default mock-core's (64 MiB). */
  readonly bodyLimit?: number;
}

/**
 * The msw handlers of a KServe v2 runtime (`runtime`: `triton`, `mlserver` or `ovms`).
 *
 * @example
 * const server = setupServer(...kserveHandlers({ runtime: "triton", baseUrl: "http://triton.test" }));
 */
export function kserveHandlers(options: KserveHandlersOptions): RequestHandler[] {
  const { baseUrl, clock, readiness, bodyLimit, ...mock } = options;
  // The REST proxy in front of ModelMesh routes no health paths (kserve-v2.md §3.4).
  const health = mock.modelmesh
    ? []
    : [healthRouteTable(runtimeCatalog[options.runtime], readiness)];
  return [
    routeTableHandler({
      baseUrl,
      tables: [...health, kserveRouteTable(mock, clock ?? realClock)],
      plugins: [runtimePlugin(options.runtime), kserveMockPlugin(mock)],
      ...(bodyLimit === undefined ? {} : { bodyLimit }),
    }),
  ];
}
