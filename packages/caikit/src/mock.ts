/**
 * The mock of the Caikit NLP runtime (Caikit TGIS, Caikit Standalone): the `RuntimeMockModule`
 * that `@servingkit/mocks` starts for its runtimes. A thin adapter over the pure task code in
 * `./mock/`: Caikit TGIS's text generation runs on the TGIS mock's own generation service
 * (`@servingkit/tgis/mock`), with caikit's parameters, validation, errors and framing in front.
 * The host serves `/health`, gRPC health and reflection (catalog).
 *
 * @packageDocumentation
 */
import { defaultModelSpec, type ModelSpec } from "@servingkit/mock-core/engine";
import {
  type EngineLogger,
  type GpuEngineSettings,
  readGpuEngineSettings,
  tgisGpuEngineOptions,
} from "@servingkit/mock-core/gpu";
import type {
  Clock,
  MockPlugin,
  PluginContext,
  RestRouteTable,
  RuntimeMockModule,
} from "@servingkit/mock-core/host";
import {
  createGenerationService,
  type TgisLimits,
  textModel,
  tgisLimitsFromOptions,
  tgisMaxSequenceLength,
} from "@servingkit/tgis/mock";
import type { EmbeddingModel } from "./mock/embedding-tasks.js";
import { registerCaikitGrpc } from "./mock/grpc-services.js";
import {
  createLocalTextGeneration,
  type LocalTextGeneration,
} from "./mock/local-text-generation.js";
import {
  defaultCaikitModels,
  embeddingModule,
  filteredSpanClassificationModule,
  localTextGenerationModule,
  ModelRegistry,
  sequenceClassificationModule,
  textGenerationModule,
} from "./mock/model-registry.js";
import { caikitRestTable, registerCaikitRest } from "./mock/rest-routes.js";
import { type CaikitTextGeneration, createCaikitTextGeneration } from "./mock/text-generation.js";

export {
  CaikitError,
  caikitErrorBody,
  fromTgisError,
} from "./mock/caikit-error.js";
export {
  classificationLabels,
  defaultTokenClassificationThreshold,
  textClassification,
  tokenClassification,
} from "./mock/classification-tasks.js";
export {
  type CaikitModule,
  type CaikitModuleKind,
  defaultCaikitModels,
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
  /** Caikit TGIS's TGIS on the simulated GPU (mock-core's `--gpu` settings); default none. */
  readonly gpu?: GpuEngineSettings;
  /** More model ids served by caikit-nlp's `SequenceClassification` (text-classification). */
  readonly textClassificationModels?: readonly string[];
  /** More model ids served by `FilteredSpanClassification` (token-classification). */
  readonly tokenClassificationModels?: readonly string[];
  /** More model ids served by caikit-nlp's local `TextGeneration` (in process, no TGIS). */
  readonly localTextGenerationModels?: readonly string[];
}

/** The task services one Caikit mock shares between its REST and gRPC surfaces. */
interface CaikitServices {
  readonly registry: ModelRegistry;
  readonly embedding: EmbeddingModel;
  /**
   * Caikit TGIS's text generation on the host's clock (made once; the GPU engine's lines go to
   * `logger`, its timers stop with `shutdown`); undefined for Standalone.
   */
  generation(
    clock: Clock,
    host?: { readonly logger: EngineLogger; readonly shutdown: AbortSignal },
  ): CaikitTextGeneration | undefined;
  /** The local TextGeneration module on the host's clock (made once). */
  localGeneration(clock: Clock): LocalTextGeneration;
}

function caikitServices(options: CaikitPluginOptions): CaikitServices {
  const standalone = options.runtime === "caikit-standalone";
  // The served model's own limits stand for the embedding model's (max_seq_length, width).
  const embedding: EmbeddingModel = { spec: options.spec, maxSeqLength: options.spec.maxModelLen };
  const registry = new ModelRegistry(
    options.runtime,
    options.models,
    standalone
      ? embeddingModule(embedding.maxSeqLength, options.spec.embeddingDim)
      : textGenerationModule,
    [
      ...(options.textClassificationModels ?? []).map((id) => ({
        id,
        module: sequenceClassificationModule,
      })),
      ...(options.tokenClassificationModels ?? []).map((id) => ({
        id,
        module: filteredSpanClassificationModule,
      })),
      ...(options.localTextGenerationModels ?? []).map((id) => ({
        id,
        module: localTextGenerationModule,
      })),
    ],
  );
  let local: LocalTextGeneration | undefined;
  const localGeneration = (clock: Clock) => {
    local ??= createLocalTextGeneration(textModel(options.spec, clock));
    return local;
  };
  let textGeneration: CaikitTextGeneration | undefined;
  const generation: CaikitServices["generation"] = (clock, host) => {
    if (options.runtime !== "caikit-tgis") return undefined;
    if (textGeneration) return textGeneration;
    const limits =
      options.tgisLimits ?? tgisLimitsFromOptions({}, tgisMaxSequenceLength(options.spec));
    // The TGIS behind Caikit TGIS: the simple engine, or with `gpu` the simulated GPU (issue 7).
    const model = textModel(options.spec, clock, {
      ...(options.gpu ? { gpu: options.gpu } : {}),
      ...(host ? { logger: host.logger } : {}),
    });
    host?.shutdown.addEventListener("abort", () => model.close?.(), { once: true });
    textGeneration = createCaikitTextGeneration(createGenerationService({ model, limits, clock }));
    return textGeneration;
  };
  return { registry, embedding, generation, localGeneration };
}

function taskOptions(
  services: CaikitServices,
  clock: Clock,
  ctx?: Pick<PluginContext, "logger" | "shutdownSignal">,
) {
  const tasks = services.generation(
    clock,
    ctx && {
      logger: { info: (line) => ctx.logger.info(line) },
      shutdown: ctx.shutdownSignal,
    },
  );
  return {
    registry: services.registry,
    embedding: services.embedding,
    localTextGeneration: services.localGeneration(clock),
    ...(tasks ? { textGeneration: tasks } : {}),
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
      registerCaikitRest(app, ctx, taskOptions(services, ctx.clock, ctx));
    },
    grpc(router, ctx) {
      registerCaikitGrpc(router, taskOptions(services, ctx.clock, ctx));
    },
  };
}

/** An option's values as a list (absent: none). */
function listOption(value: string | boolean | readonly string[] | undefined): readonly string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value;
  return [];
}

/** The caikit protocol family's mock module. */
export const caikitMockModule: RuntimeMockModule = {
  name: "caikit",
  runtimes: ["caikit-tgis", "caikit-standalone"],
  options: {
    "text-classification-model": {
      type: "string",
      multiple: true,
      valueName: "ID",
      help: "also serve model ID with caikit-nlp's SequenceClassification (text-classification)",
    },
    "token-classification-model": {
      type: "string",
      multiple: true,
      valueName: "ID",
      help: "also serve model ID with FilteredSpanClassification (token-classification)",
    },
    "text-generation-model": {
      type: "string",
      multiple: true,
      valueName: "ID",
      help: "also serve model ID with caikit-nlp's local TextGeneration (in process, no TGIS)",
    },
    // The simulated GPU under Caikit TGIS's TGIS (issue 7): the option objects vLLM declares, less
    // its speculative decoding flags (mock-core tgisGpuEngineOptions).
    ...tgisGpuEngineOptions,
  },
  defaultModels: ({ runtime, models, values }) => [
    ...(models.length > 0 ? models : defaultCaikitModels(runtime)),
    ...listOption(values["text-classification-model"]),
    ...listOption(values["token-classification-model"]),
    ...listOption(values["text-generation-model"]),
  ],
  plugins: async ({ runtime, models, values }) => {
    if (runtime !== "caikit-tgis" && runtime !== "caikit-standalone") {
      throw new Error(`the caikit module does not serve ${runtime}`);
    }
    if (runtime === "caikit-standalone" && values.gpu !== undefined) {
      throw new Error(
        "--gpu simulates the TGIS behind caikit-tgis; caikit-standalone runs its models in process",
      );
    }
    const spec = await defaultModelSpec();
    // Caikit TGIS's TGIS on the simulated GPU, read as the TGIS mock reads it (mock-core).
    const gpu =
      runtime === "caikit-tgis"
        ? readGpuEngineSettings(values, {
            maxModelLen: tgisMaxSequenceLength(spec),
            modelConfig: spec.config,
            // The TGIS behind it has no Mamba model class: no hybrid prefix caching.
            hybridPrefixCaching: false,
          })
        : undefined;
    return [
      caikitPlugin({
        runtime,
        models,
        spec,
        ...(gpu ? { gpu } : {}),
        textClassificationModels: listOption(values["text-classification-model"]),
        tokenClassificationModels: listOption(values["token-classification-model"]),
        localTextGenerationModels: listOption(values["text-generation-model"]),
      }),
    ];
  },
};
