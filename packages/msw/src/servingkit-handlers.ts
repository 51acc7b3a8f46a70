/**
 * One entry for every REST runtime msw can stand in for: the runtime by name and the same module
 * option values and `--model` names as `servingkit mock <runtime>` takes, so a test can switch
 * between a listening mock and msw without translating its settings.
 */
import { kserveMockOptions } from "@servingkit/kserve/mock";
import type { Clock, Readiness, RuntimeOptionValues } from "@servingkit/mock-core";
import type { RequestHandler } from "msw";
import { caikitHandlers } from "./caikit-handlers.js";
import { kserveHandlers } from "./kserve-handlers.js";
import { vllmHandlers } from "./vllm-handlers.js";

/** The runtimes with msw handlers (TGIS has no REST surface of ours to serve: it is gRPC-first). */
export const mswRuntimes = [
  "vllm",
  "triton",
  "mlserver",
  "ovms",
  "caikit-tgis",
  "caikit-standalone",
] as const;

/** A runtime {@link servingkitHandlers} serves. */
export type MswRuntime = (typeof mswRuntimes)[number];

/** Options of {@link servingkitHandlers}. */
export interface ServingkitHandlersOptions {
  /** Where the runtime answers, e.g. `http://triton.test` (an origin, optionally with a path prefix). */
  readonly baseUrl: string;
  /** `--model` values (default: the runtime's default models). */
  readonly models?: readonly string[];
  /** The runtime module's option values, as `servingkit mock <runtime> --<name>` takes them. */
  readonly values?: RuntimeOptionValues;
  /** The clock for timestamps, statistics and token timing; default the real clock. */
  readonly clock?: Clock;
  /** Readiness the runtime's readiness route follows; default always ready. */
  readonly readiness?: Readiness;
}

/**
 * The msw handlers of one runtime by name. Async: models load from disk.
 *
 * @example
 * const server = setupServer(
 *   ...(await servingkitHandlers("vllm", { baseUrl: "http://vllm.test", values: { "served-model-name": "granite" } })),
 *   ...(await servingkitHandlers("triton", { baseUrl: "http://triton.test" })),
 * );
 */
export async function servingkitHandlers(
  runtime: MswRuntime,
  options: ServingkitHandlersOptions,
): Promise<RequestHandler[]> {
  const { baseUrl, clock, readiness } = options;
  const shared = { baseUrl, ...(clock ? { clock } : {}), ...(readiness ? { readiness } : {}) };
  const models = options.models ?? [];
  const values = options.values ?? {};
  switch (runtime) {
    case "vllm":
      return vllmHandlers({ ...shared, models, values });
    case "caikit-tgis":
    case "caikit-standalone":
      return caikitHandlers({ ...shared, runtime, models });
    default:
      return kserveHandlers({
        ...shared,
        ...(await kserveMockOptions({ runtime, models, values })),
      });
  }
}
