/**
 * msw handlers for the Caikit NLP runtimes (Caikit TGIS, Caikit Standalone): the REST task routes
 * of `@servingkit/caikit/mock` (the same route table its fastify mock serves), the runtime's
 * `/health` and its 404/405 answers and error envelope from mock-core's catalog.
 */
import { type CaikitPluginOptions, caikitPlugin, caikitRouteTable } from "@servingkit/caikit/mock";
import {
  type Clock,
  defaultModelSpec,
  healthRouteTable,
  type ModelSpec,
  type Readiness,
  realClock,
  runtimeCatalog,
  runtimePlugin,
} from "@servingkit/mock-core";
import type { RequestHandler } from "msw";
import { routeTableHandler } from "./route-table-handler.js";

/** Options of {@link caikitHandlers}. */
export interface CaikitHandlersOptions {
  /** Which caikit runtime. */
  readonly runtime: "caikit-tgis" | "caikit-standalone";
  /** Where it answers, e.g. `http://caikit.test` (an origin, optionally with a path prefix). */
  readonly baseUrl: string;
  /** Model ids served (default: the runtime's default id, as `servingkit mock` serves it). */
  readonly models?: readonly string[];
  /** The model behind the tasks (tokenizer, limits); default mock-core's bundled model. */
  readonly spec?: ModelSpec;
  /** The clock for generation timing and stream pings; default the real clock. */
  readonly clock?: Clock;
  /** Readiness `/health` follows; default always ready. */
  readonly readiness?: Readiness;
  /** More model ids served by caikit-nlp's SequenceClassification (text-classification). */
  readonly textClassificationModels?: readonly string[];
  /** More model ids served by FilteredSpanClassification (token-classification). */
  readonly tokenClassificationModels?: readonly string[];
  /** More model ids served by caikit-nlp's local TextGeneration (in process, no TGIS). */
  readonly localTextGenerationModels?: readonly string[];
}

/**
 * The msw handlers of a Caikit runtime. Async: the default model's tokenizer loads from disk.
 *
 * @example
 * const server = setupServer(...(await caikitHandlers({ runtime: "caikit-tgis", baseUrl: "http://caikit.test" })));
 */
export async function caikitHandlers(options: CaikitHandlersOptions): Promise<RequestHandler[]> {
  const plugin: CaikitPluginOptions = {
    runtime: options.runtime,
    models: options.models ?? [],
    spec: options.spec ?? (await defaultModelSpec()),
    ...(options.textClassificationModels
      ? { textClassificationModels: options.textClassificationModels }
      : {}),
    ...(options.tokenClassificationModels
      ? { tokenClassificationModels: options.tokenClassificationModels }
      : {}),
    ...(options.localTextGenerationModels
      ? { localTextGenerationModels: options.localTextGenerationModels }
      : {}),
  };
  return [
    routeTableHandler({
      baseUrl: options.baseUrl,
      tables: [
        healthRouteTable(runtimeCatalog[options.runtime], options.readiness),
        caikitRouteTable(plugin, options.clock ?? realClock),
      ],
      plugins: [runtimePlugin(options.runtime), caikitPlugin(plugin)],
    }),
  ];
}
