/**
 * The mock of the Caikit NLP runtime (Caikit TGIS, Caikit Standalone): the `RuntimeMockModule`
 * that `@servingkit/mocks` starts for its runtimes. A thin adapter over the pure task code in
 * `./mock/`: Caikit TGIS's text generation runs on the TGIS mock's own generation service
 * (`@servingkit/tgis/mock`), with caikit's parameters, validation, errors and framing in front.
 * The host serves `/health`, gRPC health and reflection (catalog).
 *
 * @packageDocumentation
 */
import {
  type Clock,
  defaultModelSpec,
  type MockPlugin,
  type ModelSpec,
  type RestRouteTable,
  type RuntimeMockModule,
} from "@servingkit/mock-core";
import {
  createGenerationService,
  simpleTextModel,
  type TgisLimits,
  tgisLimitsFromOptions,
  tgisMaxSequenceLength,
} from "@servingkit/tgis/mock";
import type { EmbeddingModel } from "./mock/embedding-tasks.js";
import { registerCaikitGrpc } from "./mock/grpc-services.js";
import { embeddingModule, ModelRegistry, textGenerationModule } from "./mock/model-registry.js";
import { caikitRestTable, registerCaikitRest } from "./mock/rest-routes.js";
import { type CaikitTextGeneration, createCaikitTextGeneration } from "./mock/text-generation.js";

export {
  CaikitError,
  caikitErrorBody,
  fromTgisError,
} from "./mock/caikit-error.js";
export {
  defaultCaikitStandaloneModel,
  defaultCaikitTgisModel,
  ModelRegistry,
} from "./mock/model-registry.js";
export { PyFloat, pythonJson, pythonRepr } from "./mock/python-json.js";
export {
  type CaikitRestReply,
  type CaikitRestRequest,
  type CaikitRestRoute,
  caikitRestRoutes,
} from "./mock/rest-handlers.js";
export { createCaikitTextGeneration } from "./mock/text-generation.js";
export {
  type TextGenerationArgs,
  textGenerationDefaults,
  toTgisParameters,
  validateTextGeneration,
} from "./mock/text-generation-args.js";

/** Settings of one Caikit mock's plugin. */
export interface CaikitPluginOptions {
  /** Which caikit runtime. */
  readonly runtime: "caikit-tgis" | "caikit-standalone";
  /** Model ids from `--model` (empty: the runtime's default id). */
  readonly models: readonly string[];
  /** The model behind Caikit TGIS's TGIS (tokenizer, context length). */
  readonly spec: ModelSpec;
  /** The TGIS limits behind Caikit TGIS; default TGIS's launcher defaults for `spec`. */
  readonly tgisLimits?: TgisLimits;
}

/** The task services one Caikit mock shares between its REST and gRPC surfaces. */
interface CaikitServices {
  readonly registry: ModelRegistry;
  readonly embedding: EmbeddingModel | undefined;
  /** Caikit TGIS's text generation on the host's clock (made once); undefined for Standalone. */
  generation(clock: Clock): CaikitTextGeneration | undefined;
}

function caikitServices(options: CaikitPluginOptions): CaikitServices {
  const standalone = options.runtime === "caikit-standalone";
  // The served model's own limits stand for the embedding model's (max_seq_length, width).
  const embedding: EmbeddingModel | undefined = standalone
    ? { spec: options.spec, maxSeqLength: options.spec.maxModelLen }
    : undefined;
  const registry = new ModelRegistry(
    options.runtime,
    options.models,
    embedding
      ? embeddingModule(embedding.maxSeqLength, options.spec.embeddingDim)
      : textGenerationModule,
  );
  let textGeneration: CaikitTextGeneration | undefined;
  const generation = (clock: Clock) => {
    if (options.runtime !== "caikit-tgis") return undefined;
    textGeneration ??= createCaikitTextGeneration(
      createGenerationService({
        model: simpleTextModel(options.spec, clock),
        limits:
          options.tgisLimits ?? tgisLimitsFromOptions({}, tgisMaxSequenceLength(options.spec)),
        clock,
      }),
    );
    return textGeneration;
  };
  return { registry, embedding, generation };
}

function taskOptions(services: CaikitServices, clock: Clock) {
  const tasks = services.generation(clock);
  return {
    registry: services.registry,
    ...(tasks ? { textGeneration: tasks } : {}),
    ...(services.embedding ? { embedding: services.embedding } : {}),
  };
}

/**
 * The REST surface of a Caikit runtime as a host-neutral route table (mock-core), on `clock` for
 * stream pings and generation timing: what the fastify plugin registers and what
 * `@servingkit/msw` serves. Health routes and error envelopes are the runtime's base plugin's.
 */
export function caikitRouteTable(options: CaikitPluginOptions, clock: Clock): RestRouteTable {
  return caikitRestTable({ ...taskOptions(caikitServices(options), clock), clock });
}

/** The REST and gRPC plugin of a Caikit runtime. */
export function caikitPlugin(options: CaikitPluginOptions): MockPlugin {
  const services = caikitServices(options);
  return {
    name: `${options.runtime}-tasks`,
    rest(app, ctx) {
      registerCaikitRest(app, ctx, taskOptions(services, ctx.clock));
    },
    grpc(router, ctx) {
      registerCaikitGrpc(router, taskOptions(services, ctx.clock));
    },
  };
}

/** The caikit protocol family's mock module. */
export const caikitMockModule: RuntimeMockModule = {
  name: "caikit",
  runtimes: ["caikit-tgis", "caikit-standalone"],
  plugins: async ({ runtime, models }) => {
    if (runtime !== "caikit-tgis" && runtime !== "caikit-standalone") {
      throw new Error(`the caikit module does not serve ${runtime}`);
    }
    return [caikitPlugin({ runtime, models, spec: await defaultModelSpec() })];
  },
};
