/**
 * The model a vLLM mock serves: its card, the tokenizer and template it uses (a real model
 * directory or the built-in model), the engine that generates for it, and the profile that
 * decides its wire details. Handlers take this one object.
 */
import {
  type Clock,
  createTextEngine,
  type EngineLogger,
  type EngineMetrics,
  type GpuBackend,
  type GpuEngineSettings,
  type ModelSpec,
  modelSpecFor,
  type RuntimeOptionValues,
  readGpuEngineSettings,
  type TextEngine,
} from "@servingkit/mock-core";
import { CachedSeconds } from "./cached-seconds.js";
import { isSequenceClassifier } from "./classification.js";
import { modelNotFound } from "./errors.js";
import { LoraRegistry } from "./lora.js";
import type { ServedModel } from "./model-card.js";
import { releasedBy, type VllmProfile } from "./profiles.js";
import type { ReasoningParserSpec } from "./reasoning-parser.js";
import type { ProcessorModel } from "./requests.js";
import {
  type GenerationMode,
  type ModelTask,
  type PoolingFlags,
  runnerFlagSince,
  type VllmSettings,
} from "./settings.js";

/**
 * What the served model does: `--task` (generate, embed, classify, score), what `--runner
 * pooling` makes of the checkpoint, or "classify" for a model whose config.json names a
 * `*ForSequenceClassification` architecture served with the default task ({@link servedTask}).
 */
export type ServedTask = ModelTask;

/** Where the platform mounts the model, and so the `root` of the model card (vllm-openai.md §0). */
export const platformModelRoot = "/mnt/models";

/** Everything a handler needs about the served model. */
export interface VllmModel {
  /** What `/v1/models` says. */
  readonly served: ServedModel;
  /** Tokenizer, chat template, config. */
  readonly spec: ModelSpec;
  /** Produces the tokens. */
  readonly engine: TextEngine;
  /** Version-dependent wire details. */
  readonly profile: VllmProfile;
  /** Echo the prompt or produce text. */
  readonly generationMode: GenerationMode;
  /** Generative, embedding, scoring or classification model. */
  readonly task: ServedTask;
  /** Whether tool_choice "auto" is served (`--enable-auto-tool-choice --tool-call-parser`). */
  readonly autoToolChoice: boolean;
  /**
   * The `--reasoning-parser` that splits chat answers (reasoning-parser.ts), or undefined for
   * none: the model then never thinks.
   */
  readonly reasoningParser?: ReasoningParserSpec;
  /**
   * The engine's scheduling policy: `--scheduling-policy` under `--gpu`, else vLLM's default
   * "fcfs", under which vLLM refuses any request `priority` but 0.
   */
  readonly schedulingPolicy?: "fcfs" | "priority";
  /** The LoRA adapters served beside the base model (static and runtime-loaded). */
  readonly loras: LoraRegistry;
  /**
   * The unix time in whole seconds for `created` fields, read from the wall clock at most once
   * per second ({@link CachedSeconds}).
   */
  nowSeconds(): number;
}

/** The model as loaded, before an engine is attached. */
export interface LoadedModel {
  readonly served: ServedModel;
  readonly spec: ModelSpec;
  /** The simulated GPU it runs on (`--gpu` and the engine options), or undefined for the simple engine. */
  readonly gpu?: GpuEngineSettings;
}

/**
 * Loads the served model. `--model` naming a directory loads its `tokenizer.json`,
 * `tokenizer_config.json` and `config.json` as vLLM's `--model` does; any other value is only a
 * name (served with the built-in tokenizer), so `--model granite` works offline. The served names
 * are the `--served-model-name` values, else the `--model` value, else the built-in model's id
 * (vLLM's default served name is its `--model` value); `root` is the `--model` value, else
 * `/mnt/models`.
 */
export async function loadServedModel(
  settings: VllmSettings,
  values: RuntimeOptionValues = {},
): Promise<LoadedModel> {
  const dir = settings.model;
  const spec = await modelSpecFor(dir);
  const names = settings.servedModelNames ?? [dir ?? spec.id];
  const served: ServedModel = {
    id: names[0] ?? spec.id,
    names,
    root: dir ?? platformModelRoot,
    maxModelLen: settings.maxModelLen ?? spec.maxModelLen,
  };
  // The engine options (`--gpu` ...) need the context length, the model's config.json, the
  // release's async-scheduling default and, with LoRA, how many adapters one step may run (vLLM's
  // --max-loras).
  const gpu = readGpuEngineSettings(values, {
    maxModelLen: served.maxModelLen,
    modelConfig: spec.config,
    asyncScheduling: settings.profile.asyncScheduling,
    // The release answered as, default included: its refusals (a draft model before 0.15.0).
    vllmVersion: settings.version,
    // vllm/config/vllm.py (PR #39592, 0.20.0): a pooling model's async-scheduling default is off.
    // `--runner generate` first: on a classifier servedTask refuses it, later (vllmRestTables), so
    // that vLLM's --task deprecation warning is logged before the failure as vLLM logs it.
    pooling: settings.runner !== "generate" && servedTask(settings, spec) !== "generate",
    ...(settings.enableLora && { maxLoras: settings.maxLoras }),
  });
  return gpu ? { served, spec, gpu } : { served, spec };
}

/**
 * The vocabulary size vLLM's input processor checks token ids and `-1` logprobs against:
 * `ModelConfig.get_vocab_size()`, the text config's `vocab_size` (config.json, or its
 * `text_config` for a multimodal model; vllm/v1/engine/processor.py `_validate_logprobs`,
 * `_validate_logit_bias`). A model without one (the built-in model, a name-only `--model`) counts
 * its tokenizer's ids instead (the mock's own choice: vLLM would read 0 there).
 */
export function vocabularySize(spec: ModelSpec): number {
  const nested = spec.config.text_config;
  const text =
    typeof nested === "object" && nested !== null
      ? (nested as Readonly<Record<string, unknown>>)
      : spec.config;
  const size = text.vocab_size;
  return typeof size === "number" && Number.isSafeInteger(size) && size > 0
    ? size
    : spec.tokenizer.vocabSize;
}

/**
 * What vLLM's input processor knows of the served model for its vocabulary checks
 * (requests.ts `inputProcessorRefusal`): the release, the config's vocabulary and the tokenizer's
 * length. One reading for chat and completions alike.
 */
export function processorModel(model: Pick<VllmModel, "profile" | "spec">): ProcessorModel {
  return {
    profile: model.profile,
    vocabSize: vocabularySize(model.spec),
    tokenizerSize: model.spec.tokenizer.vocabSize,
  };
}

/** A model with its engine running, and what stops it. */
export interface StartedModel {
  /** What handlers use. */
  readonly model: VllmModel;
  /** The simulated GPU behind the engine (`--gpu`), for metrics. */
  readonly gpu?: GpuBackend;
  /** Stops the engine's timers (shutdown). */
  close(): void;
}

/**
 * Attaches the engine the settings choose (mock-core createTextEngine: the simple engine with
 * the settings' latencies, or with `--gpu` the simulated GPU, whose start-up lines go to
 * `logger`) on the host's clock; the engine keeps vLLM's metrics in `metrics`. Generation is
 * capped at the served `max_model_len`. Throws KvCacheStartupError with vLLM's text when the
 * modelled GPU cannot hold one such request.
 */
export function startModel(
  loaded: LoadedModel,
  settings: VllmSettings,
  clock: Clock,
  hooks: { readonly logger?: EngineLogger; readonly metrics?: EngineMetrics } = {},
): StartedModel {
  const created = createTextEngine({
    clock,
    model: { ...loaded.spec, maxModelLen: loaded.served.maxModelLen },
    pacing: {
      timeToFirstTokenMs: settings.timeToFirstTokenMs,
      interTokenMs: settings.interTokenMs,
    },
    ...(loaded.gpu ? { gpu: loaded.gpu } : {}),
    // vLLM's output processor groups streamed tokens by --stream-interval whatever the engine
    // core (output_processor.py, PR #27869): mock-core's factory applies it to either engine.
    ...(settings.streamInterval !== undefined && { streamInterval: settings.streamInterval }),
    // V1 (the default engine from 0.8.0, vLLM PR #13726) merges the outputs a slow stream has not
    // taken (RequestOutputCollector, PR #12298); V0's per-request queues sent each on its own.
    mergeOverdue: releasedBy(settings.version, "0.8.0"),
    ...hooks,
  });
  const engine = created.engine;
  const seconds = new CachedSeconds();
  const model: VllmModel = {
    served: loaded.served,
    spec: loaded.spec,
    engine,
    profile: settings.profile,
    generationMode: settings.generationMode,
    task: servedTask(settings, loaded.spec),
    autoToolChoice: settings.autoToolChoice,
    ...(settings.reasoningParser !== undefined && { reasoningParser: settings.reasoningParser }),
    schedulingPolicy: loaded.gpu?.schedulingPolicy ?? "fcfs",
    loras: new LoraRegistry(settings.loraModules),
    nowSeconds: () => seconds.now(),
  };
  const close = () => {
    seconds.close();
    created.close();
  };
  return { model, ...(created.gpu ? { gpu: created.gpu } : {}), close };
}

/**
 * The suffixes vLLM's `_SUFFIX_TO_DEFAULTS` (vllm/config/model.py, 0.10.1 on) puts on the pooling
 * runner, in its priority order after the generative ones (`ForCausalLM`,
 * `ForConditionalGeneration`, `ChatModel`, `LMHeadModel`); a bare `Model` comes last.
 */
const generativeSuffixes = ["ForCausalLM", "ForConditionalGeneration", "ChatModel", "LMHeadModel"];

/**
 * Whether config.json's first architecture with a known suffix is a pooling one
 * (`*ForSequenceClassification`, `*EmbeddingModel`, `*ForTextEncoding`, a bare `*Model` such as
 * `BertModel`): vLLM's registry then loads a pooling model that `--convert none` can serve. No
 * architectures (the mock's built-in model) is a generative checkpoint.
 */
export function isPoolingArchitecture(config: Readonly<Record<string, unknown>>): boolean {
  const architectures = Array.isArray(config.architectures) ? config.architectures : [];
  for (const arch of architectures) {
    if (typeof arch !== "string") continue;
    if (generativeSuffixes.some((suffix) => arch.endsWith(suffix))) return false;
    if (arch.endsWith("Model") || arch.endsWith("ForTextEncoding")) return true;
    if (/For\w*Classification$|RewardModeling$/.test(arch)) return true;
  }
  return false;
}

/**
 * vLLM's start-up ValueError for `--runner pooling --convert none` on a generative checkpoint
 * (vllm/config/model.py, 0.10.1 on: the pooling converts are embed, classify, reward; the
 * closing backtick is missing in vLLM's text too).
 */
export const poolingRunnerUnsupported =
  "This model does not support `--runner pooling`. You can pass `--convert <embed|classify|reward> to adapt it into a pooling model.";

/**
 * The task a model is served with, as vLLM resolves its runner and convert type against
 * config.json (vllm/config/model.py `_get_runner_type`, `_get_convert_type`; docs
 * models/pooling_models "Model Conversion"): a `--task` or `--convert` other than generate as
 * asked; `--runner pooling` alone converts a sequence-classification architecture to classify and
 * any other checkpoint to embed (the default conversion of a pooling runner); the default on a
 * sequence-classification architecture is classify (`--runner auto` picks pooling for it), on
 * another pooling architecture ({@link isPoolingArchitecture}: `BertModel`, `*EmbeddingModel`,
 * `*ForTextEncoding`) embed (`_SUFFIX_TO_DEFAULTS` gives them the pooling runner and the embed
 * convert; before 0.10.1 `--task auto` resolved the registry's only task for them, embed). Throws
 * vLLM's start-up ValueError for `--runner generate` on a sequence classifier (no converter turns
 * a pooling model generative).
 *
 * From 0.10.1 (settings.ts `runnerFlagSince`) `--task score` is no task of its own: vLLM's
 * `_task_to_convert` turns it into `--convert classify` on an architecture whose default pooling
 * task is classify, else `--convert embed`, so the model is served as a classifier or an embedder
 * (before, the mock's own scoring model). `--convert none` converts nothing: the same as auto
 * unless `--runner pooling` meets a generative checkpoint, which vLLM refuses at start-up
 * ({@link poolingRunnerUnsupported}) where auto would convert it to embed.
 */
export function servedTask(
  flags: Pick<PoolingFlags, "task" | "runner" | "convert"> & { readonly version: string },
  spec: Pick<ModelSpec, "config">,
): ServedTask {
  const classifier = isSequenceClassifier(spec.config);
  if (flags.runner === "generate" && classifier) {
    throw new Error("This model does not support `--runner generate`.");
  }
  if (flags.task === "score" && releasedBy(flags.version, runnerFlagSince)) {
    return classifier ? "classify" : "embed";
  }
  if (flags.task !== "generate") return flags.task;
  if (flags.runner === "pooling") {
    if (flags.convert === "none" && !isPoolingArchitecture(spec.config)) {
      throw new Error(poolingRunnerUnsupported);
    }
    return classifier ? "classify" : "embed";
  }
  if (classifier) return "classify";
  return isPoolingArchitecture(spec.config) ? "embed" : "generate";
}

/** The first words of vLLM's `--task` deprecation (0.10.1-0.12.x, vllm/config/model.py). */
const taskDeprecated =
  "The 'task' option has been deprecated and will be removed in v0.13.0 or v1.0, whichever comes first.";

/**
 * The start-up warning a `--task` flag earns, or undefined for none. 0.10.1-0.12.x accept it with
 * vLLM's DeprecationWarning (vllm/config/model.py, vLLM PR #21470), whose hint names the
 * `--convert` that replaces it: `--task score` maps to classify on a sequence-classification
 * architecture, else embed (`_task_to_convert`); `--task generate` says "Please remove this
 * option" (no full stop in vLLM's text). From 0.13.0 the settings reader refuses `--task`
 * as vLLM's argparse does (settings.ts `taskFlagRemovedIn`), so no warning is left to give.
 */
export function taskDeprecation(
  settings: Pick<VllmSettings, "version" | "task" | "taskFlag">,
  spec: Pick<ModelSpec, "config">,
): string | undefined {
  const { version, task } = settings;
  if (!settings.taskFlag || !releasedBy(version, runnerFlagSince)) return undefined;
  if (task === "generate") return `${taskDeprecated} Please remove this option`;
  const convert =
    task === "score" ? (isSequenceClassifier(spec.config) ? "classify" : "embed") : task;
  return `${taskDeprecated} Please replace this option with \`--convert ${convert}\` to continue using this model as a pooling model.`;
}

/**
 * Checks a request's `model` and returns the name the response's `model` carries: absent or empty
 * means the served model (vllm-openai.md §4.1, and the seed's curl sends none), as does any of its
 * served names, answered with the first (serving_models.py `model_name`); a loaded LoRA adapter's
 * name is echoed (§7); any other name is the 404.
 */
export function checkModelName(model: VllmModel, name: string | undefined): string {
  const { served } = model;
  if (name === undefined || name === "" || name === served.id || served.names?.includes(name)) {
    return served.id;
  }
  if (model.loras.has(name)) return name;
  throw modelNotFound(name);
}
