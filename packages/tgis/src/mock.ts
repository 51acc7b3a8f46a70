/**
 * The mock of TGIS (`fmaas.GenerationService` on the gRPC port, 8033 on the platform): the
 * `RuntimeMockModule` that `@servingkit/mocks` starts for the `tgis` runtime. A thin adapter: the
 * RPCs are {@link createGenerationService}'s; the host serves `/health` on the HTTP port, and
 * TGIS registers neither gRPC health nor reflection (caikit-tgis.md §3).
 *
 * The generation code is exported for Caikit TGIS, which puts caikit's API in front of it.
 *
 * @packageDocumentation
 */
import { type ModelSpec, modelSpecFor } from "@servingkit/mock-core/engine";
import {
  type GpuEngineSettings,
  readGpuEngineSettings,
  tgisGpuEngineOptions,
} from "@servingkit/mock-core/gpu";
import type {
  MockPlugin,
  RuntimeMockModule,
  RuntimeOptionValues,
} from "@servingkit/mock-core/host";
import { GenerationService } from "@servingkit/proto/fmaas";
import { defaultTgisLimits, type TgisLimits } from "./mock/generation-parameters.js";
import { createGenerationService } from "./mock/generation-service.js";
import { type TextModelPacing, textModel, tgisMaxSequenceLength } from "./mock/text-model.js";
import { TgisMetrics } from "./mock/tgis-metrics.js";

export {
  convertParameters,
  defaultTgisLimits,
  type GenerateParameters,
  invalidArgument,
  maxStopSequenceBytes,
  maxStopSequences,
  type TgisLimits,
  type ValidatedInput,
  validateInputLength,
  validateParameters,
} from "./mock/generation-parameters.js";
export {
  createGenerationService,
  type GenerationService,
  type GenerationServiceOptions,
} from "./mock/generation-service.js";
export {
  defaultTextModel,
  isEncoderDecoder,
  sequenceLengthKeys,
  simpleTextModel,
  type TextModel,
  type TextModelPacing,
  textModel,
  tgisMaxSequenceLength,
} from "./mock/text-model.js";
export { type EngineQueue, type GenerationObserver, TgisMetrics } from "./mock/tgis-metrics.js";

function positiveInteger(values: RuntimeOptionValues, name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const text = String(raw);
  if (!/^\d+$/.test(text) || Number(text) < 1) {
    throw new Error(`--${name} must be a positive integer, got "${text}"`);
  }
  return Number(text);
}

/**
 * The server's limits from the module's option values, as TGIS's launcher derives them
 * (launcher/src/main.rs): max_new_tokens defaults to 1024 capped at max_sequence_length − 1.
 */
export function tgisLimitsFromOptions(
  values: RuntimeOptionValues,
  modelMaxLen = defaultTgisLimits.maxSequenceLength,
): TgisLimits {
  const maxSequenceLength = positiveInteger(values, "max-sequence-length") ?? modelMaxLen;
  const maxNewTokens =
    positiveInteger(values, "max-new-tokens") ??
    Math.min(defaultTgisLimits.maxNewTokens, maxSequenceLength - 1);
  if (maxNewTokens >= maxSequenceLength) {
    throw new Error(
      `--max-new-tokens (${maxNewTokens}) must be less than --max-sequence-length (${maxSequenceLength})`,
    );
  }
  const include = values["default-include-stop-seqs"];
  if (include !== undefined && include !== "true" && include !== "false") {
    throw new Error(`--default-include-stop-seqs must be true or false, got "${String(include)}"`);
  }
  return {
    maxSequenceLength,
    maxNewTokens,
    defaultIncludeStopSequences: include === undefined ? true : include === "true",
    maxConcurrentRequests:
      positiveInteger(values, "max-concurrent-requests") ?? defaultTgisLimits.maxConcurrentRequests,
  };
}

/**
 * The TGIS plugin: `fmaas.GenerationService` on the gRPC port over a model spec on mock-core's
 * simple engine (paced by the host's clock) or, with `gpu`, on the simulated GPU (its start-up
 * and stats lines in the host's log, its queue and batch in `/metrics`), and `/metrics` with
 * TGIS's metric names on the HTTP port.
 */
export function tgisGrpcPlugin(options: {
  limits: TgisLimits;
  spec: ModelSpec;
  pacing?: TextModelPacing;
  gpu?: GpuEngineSettings;
}): MockPlugin {
  const metrics = new TgisMetrics();
  return {
    name: "tgis-generation",
    rest(app) {
      // caikit-tgis.md §3.7: GET /metrics on port 3000, Prometheus text.
      app.get("/metrics", async (_request, reply) => {
        const { contentType, body } = await metrics.render();
        return reply.code(200).header("content-type", contentType).send(body);
      });
    },
    grpc(router, ctx) {
      const model = textModel(options.spec, ctx.clock, {
        ...(options.pacing ? { pacing: options.pacing } : {}),
        ...(options.gpu ? { gpu: options.gpu } : {}),
        logger: { info: (line) => ctx.logger.info(line) },
      });
      if (model.gpu) metrics.followEngine(model.gpu.metrics);
      ctx.shutdownSignal.addEventListener("abort", () => model.close?.(), { once: true });
      const service = createGenerationService({
        model,
        limits: options.limits,
        clock: ctx.clock,
        observer: metrics,
      });
      router.service(GenerationService, {
        generate: (request, context) => service.generate(request, context.signal),
        async *generateStream(request, context) {
          yield* await service.generateStream(request, context.signal);
        },
        tokenize: (request) => service.tokenize(request),
        modelInfo: () => service.modelInfo(),
      });
    },
  };
}

/**
 * The tgis protocol family's mock module: `servingkit mock tgis [--model DIR] [--max-new-tokens N
 * ...]`; `--model` names a Hugging Face style model directory (tokenizer, config), default the
 * built-in model.
 */
export const tgisMockModule: RuntimeMockModule = {
  name: "tgis",
  runtimes: ["tgis"],
  options: {
    "max-sequence-length": {
      type: "string",
      valueName: "N",
      help: "TGIS --max-sequence-length: input plus new tokens (default the model's context length)",
    },
    "max-new-tokens": {
      type: "string",
      valueName: "N",
      help: "TGIS --max-new-tokens: the largest max_new_tokens accepted (default 1024)",
    },
    "default-include-stop-seqs": {
      type: "string",
      valueName: "true|false",
      help: "TGIS --default-include-stop-seqs: keep matched stop sequences (default true)",
    },
    "max-concurrent-requests": {
      type: "string",
      valueName: "N",
      help: "TGIS --max-concurrent-requests: beyond it RESOURCE_EXHAUSTED (default 512)",
    },
    // The simulated GPU (issue 7): the very option objects vLLM and Caikit TGIS declare, less
    // vLLM's speculative decoding flags (TGIS's own speculator is not modelled: mock-core
    // tgisGpuEngineOptions).
    ...tgisGpuEngineOptions,
  },
  plugins: async ({ values, models }) => {
    // The model's own context length is TGIS's default max_sequence_length (launcher).
    // The model TGIS serves: `--model DIR` (the launcher's model path, /mnt/models/ on the
    // platform) when it is a directory, else the built-in model.
    const spec = await modelSpecFor(models[0]);
    const limits = tgisLimitsFromOptions(values, tgisMaxSequenceLength(spec));
    // The simulated GPU (issue 7): the same engine options as vLLM (mock-core gpuEngineOptions).
    const gpu = readGpuEngineSettings(values, {
      maxModelLen: limits.maxSequenceLength,
      modelConfig: spec.config,
      // IBM TGIS has no Mamba model class: a hybrid's prefixes are never cached.
      hybridPrefixCaching: false,
    });
    return [tgisGrpcPlugin({ limits, spec, ...(gpu ? { gpu } : {}) })];
  },
};
