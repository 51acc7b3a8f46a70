/**
 * The vLLM module's options, read from the command line (or a caller's values) into settings,
 * with vLLM's own flag names where vLLM has one (`--served-model-name`, `--api-key`,
 * `--max-model-len`) and the simulator knobs the issue asks for; `--gpu` and vLLM's engine flags
 * (mock-core gpuEngineOptions) are read with the served model in served-model.ts.
 */
import {
  gpuEngineOptions,
  latencyOptions,
  type RuntimeModuleSettings,
  type RuntimeOption,
  streamIntervalOption,
} from "@servingkit/mock-core";
import { type LoraAdapter, parseLoraModule } from "./lora.js";
import { defaultVllmVersion, profileFor, releasedBy, type VllmProfile } from "./profiles.js";
import { type ReasoningParserSpec, reasoningParserFor } from "./reasoning-parser.js";
import { type FingerprintOptions, readFingerprintOptions } from "./system-fingerprint.js";

/** How the mock produces completion text. */
export type GenerationMode = "echo" | "text";

/** The module's option table (`servingkit mock vllm --help` lists it). */
export const vllmOptions: Readonly<Record<string, RuntimeOption>> = {
  "served-model-name": {
    type: "string",
    multiple: true,
    valueName: "NAME",
    help: "model id in /v1/models and requests (the platform passes the InferenceService name); repeatable: requests may name any, answers carry the first; default: the --model value, else the built-in model's id",
  },
  "vllm-version": {
    type: "string",
    valueName: "VERSION",
    help: `vLLM release to answer as (error envelope, message texts, /version); default ${defaultVllmVersion}`,
  },
  "api-key": {
    type: "string",
    valueName: "KEY",
    help: 'vLLM\'s own API key guarding /v1 paths (401 {"error": "Unauthorized"}); default: $VLLM_API_KEY, else none',
  },
  "max-model-len": {
    type: "string",
    valueName: "TOKENS",
    help: "context length; default: the model's (config.json), 2048 for the built-in model",
  },
  task: {
    type: "string",
    valueName: "TASK",
    help: "generate (chat and completions), embed (/v1/embeddings), classify (/classify) or score (/score, /rerank), as vLLM's --task (deprecated in 0.10.1-0.12.x for --runner/--convert); default generate",
  },
  runner: {
    type: "string",
    valueName: "RUNNER",
    help: "vLLM 0.10.1 and later: auto, generate or pooling (a generative checkpoint is served as an embedder, or a classifier for a *ForSequenceClassification config), as vLLM's --runner; default auto",
  },
  convert: {
    type: "string",
    valueName: "TYPE",
    help: "vLLM 0.10.1 and later, with --runner pooling: auto, none, embed or classify (vLLM's as_embedding_model / as_seq_cls_model adapters), as vLLM's --convert; default auto",
  },
  "enable-auto-tool-choice": {
    type: "boolean",
    help: "let the model call tools on its own (tool_choice auto); needs --tool-call-parser, as in vLLM",
  },
  "tool-call-parser": {
    type: "string",
    valueName: "NAME",
    help: "vLLM's tool parser name (hermes, llama3_json, granite ...); any name enables auto tool choice with --enable-auto-tool-choice",
  },
  "reasoning-parser": {
    type: "string",
    valueName: "NAME",
    help: "serve a reasoning model: its thinking goes into the chat answer's reasoning field (reasoning_content, later reasoning), its answer into content; deepseek_r1 (vLLM 0.7.1+), granite (0.8.3+; thinks with chat_template_kwargs thinking: true) or qwen3 (0.9.0+), as vLLM's flag",
  },
  "enable-reasoning": {
    type: "boolean",
    help: "vLLM 0.7.1-0.8.x: needed for --reasoning-parser to act (accepted, deprecated, in 0.9.x; unknown from 0.10)",
  },
  "generation-mode": {
    type: "string",
    valueName: "MODE",
    help: "echo (repeat the prompt's last message) or text (deterministic generated text); default text",
  },
  ...latencyOptions,
  "enable-request-id-headers": {
    type: "boolean",
    help: "give every response an X-Request-Id header (the request's, else a random hex id), as vLLM's flag",
  },
  "enable-lora": {
    type: "boolean",
    help: "serve LoRA adapters (needed by --lora-modules)",
  },
  "stream-interval": streamIntervalOption,
  "fingerprint-mode": {
    type: "string",
    valueName: "MODE",
    help: "vLLM 0.21.0 and later: system_fingerprint as full (vllm-<version>[-tp<n>][-ep]-<hash>), hash (vllm-<version>-<hash>), custom (--fingerprint-value) or none (null), as vLLM's --fingerprint-mode; default full",
  },
  "fingerprint-value": {
    type: "string",
    valueName: "TEXT",
    help: "vLLM 0.21.0 and later: the system_fingerprint of --fingerprint-mode custom (vLLM's --fingerprint-value)",
  },
  "max-loras": {
    type: "string",
    valueName: "N",
    help: "most LoRA adapters in one batch (vLLM's --max-loras); here only vllm:lora_requests_info's max_lora label; default 1",
  },
  "lora-modules": {
    type: "string",
    multiple: true,
    valueName: "NAME=PATH|JSON",
    help: 'a LoRA adapter served beside the model, name=path or {"name": ..., "path": ..., "base_model_name": ...}; repeatable',
  },
  // The simulated GPU (issue 7): --gpu DEVICE and vLLM's engine flags; the same for every generative runtime.
  ...gpuEngineOptions,
};

/** What the served model does (vLLM's `--task`; "classify" also from `--convert classify`). */
export type ModelTask = "generate" | "embed" | "classify" | "score";

/** vLLM's `--runner` (0.10.1 and later, vLLM PR #21470): which model runner serves the model. */
export type ModelRunner = "auto" | "generate" | "pooling";

/**
 * vLLM's `--convert` (0.10.1 and later): the adapter that turns a checkpoint into a pooling
 * model (`embed`: as_embedding_model; `classify`: as_seq_cls_model); `auto` picks by
 * architecture, `none` converts nothing.
 */
export type ModelConvert = "auto" | "none" | "embed" | "classify";

/** The release that brought `--runner` and `--convert` and deprecated `--task` (vLLM PR #21470). */
export const runnerFlagSince = "0.10.1";

/**
 * The release whose argparse no longer knows `--task` ("unrecognized arguments: --task embed",
 * reported on 0.13.0 in gpustack issue #3991 and vllm-plugin-FL issue #127; the deprecation text
 * of 0.10.1-0.12.x names v0.13.0).
 */
export const taskFlagRemovedIn = "0.13.0";

/** How the pooling flags were given: what served-model.ts `servedTask` resolves against config.json. */
export interface PoolingFlags {
  /** `--task`, else "generate"; `--convert embed|classify` sets embed or classify. */
  readonly task: ModelTask;
  /** Whether `--task` itself was given (the deprecation warning of 0.10.1-0.12.x names it). */
  readonly taskFlag: boolean;
  /** `--runner`; default auto. */
  readonly runner: ModelRunner;
  /** `--convert` (0.10.1 and later); default auto. `none` is kept: served-model.ts reads it. */
  readonly convert: ModelConvert;
}

/** The vLLM mock's settings after reading the options. */
export interface VllmSettings {
  /** `--model`: a directory with a model's tokenizer and config, or a name; undefined = built-in. */
  readonly model: string | undefined;
  /**
   * The names the model is served under (`--served-model-name`, repeatable; the first is the one
   * answers and metrics carry); undefined = the `--model` value or the built-in id.
   */
  readonly servedModelNames: readonly string[] | undefined;
  /** The version `/version` reports. */
  readonly version: string;
  /** The behaviour of that version. */
  readonly profile: VllmProfile;
  /** vLLM's own API key, or undefined for none. */
  readonly apiKey: string | undefined;
  /** `--max-model-len` override in tokens. */
  readonly maxModelLen: number | undefined;
  /** How completion text is produced. */
  readonly generationMode: GenerationMode;
  /** Generative, embedding, classification or scoring model, as the flags ask (before config.json). */
  readonly task: ModelTask;
  /** Whether `--task` was given (0.10.1-0.12.x warn that it is deprecated). */
  readonly taskFlag: boolean;
  /** `--runner` (0.10.1 and later); default auto. */
  readonly runner: ModelRunner;
  /** `--convert` (0.10.1 and later); default auto (served-model.ts `servedTask` resolves it). */
  readonly convert: ModelConvert;
  /**
   * The reasoning parser that splits chat answers (`--reasoning-parser`, with `--enable-reasoning`
   * where the release needs it), or undefined for none; the served model carries it.
   */
  readonly reasoningParser: ReasoningParserSpec | undefined;
  /** `--enable-auto-tool-choice` with a `--tool-call-parser`: tool_choice "auto" is served. */
  readonly autoToolChoice: boolean;
  /** Time to first token in milliseconds. */
  readonly timeToFirstTokenMs: number;
  /** Inter-token latency in milliseconds. */
  readonly interTokenMs: number;
  /**
   * `--stream-interval` in tokens (vLLM 0.12.0 and later): after a request's first stream chunk,
   * its tokens go out once this many have gathered, and with the finish. Absent: 1, a chunk per
   * token. The simple engine applies it here (mock-core withStreamInterval); under `--gpu` the
   * GPU engine settings read the same value.
   */
  readonly streamInterval?: number;
  /** `--enable-request-id-headers`: every response carries `X-Request-Id`. */
  readonly requestIdHeaders: boolean;
  /**
   * `--fingerprint-mode` / `--fingerprint-value` (vLLM 0.21.0 and later, system-fingerprint.ts
   * readFingerprintOptions); mode full when not given.
   */
  readonly fingerprint: FingerprintOptions;
  /** `--enable-lora`. */
  readonly enableLora: boolean;
  /** `--max-loras` (default 1): the `max_lora` label of `vllm:lora_requests_info`. */
  readonly maxLoras: number;
  /** The static adapters of `--lora-modules`, in order. */
  readonly loraModules: readonly LoraAdapter[];
  /**
   * `VLLM_ALLOW_RUNTIME_LORA_UPDATING` is `1`/`true` (any case): `/v1/load_lora_adapter` and
   * `/v1/unload_lora_adapter` are served (vllm-openai.md §1, §7).
   */
  readonly runtimeLoraUpdating: boolean;
  /**
   * `VLLM_ENABLE_RESPONSES_API_STORE` (vllm/envs.py `bool(int(value))`, off when unset): the
   * Responses API keeps responses in memory (`store`, `background`, `GET /v1/responses/{id}`,
   * cancel).
   */
  readonly responsesStore: boolean;
}

function stringValue(values: RuntimeModuleSettings["values"], name: string): string | undefined {
  const value = values[name];
  if (value === undefined || value === false) return undefined;
  if (typeof value === "string") return value;
  if (value === true) throw new Error(`--${name} needs a value`);
  return value.at(-1);
}

/** Every value of a repeatable option, in the order given. */
function stringValues(values: RuntimeModuleSettings["values"], name: string): string[] {
  const value = values[name];
  if (value === true) throw new Error(`--${name} needs a value`);
  return typeof value === "string" ? [value] : Array.isArray(value) ? [...value] : [];
}

function numberValue(
  values: RuntimeModuleSettings["values"],
  name: string,
  min: number,
): number | undefined {
  const text = stringValue(values, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value < min) {
    throw new Error(`--${name}: '${text}' is not a number >= ${min}`);
  }
  return value;
}

/** A whole-number option (vllm/config/scheduler.py `stream_interval`: an int, ge=1). */
function wholeNumberValue(
  values: RuntimeModuleSettings["values"],
  name: string,
  min: number,
): number | undefined {
  const text = stringValue(values, name);
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim()) || Number(text) < min) {
    throw new Error(`--${name}: '${text}' is not a whole number >= ${min}`);
  }
  return Number(text);
}

/**
 * The reasoning parser a release runs for `--reasoning-parser NAME` and `--enable-reasoning`
 * (profiles.ts `enableReasoningFlag`). Throws vLLM's start-up errors: argparse's "unrecognized
 * arguments" for `--enable-reasoning` from 0.10, cli_args.py's "Error: --enable-reasoning requires --reasoning-parser", and the
 * unknown-parser KeyError text (reasoning-parser.ts). Before 0.9 a parser without
 * `--enable-reasoning` is not run (serving_chat.py checks `enable_reasoning`).
 */
export function readReasoningParser(
  profile: VllmProfile,
  version: string,
  name: string | undefined,
  enableReasoning: boolean,
): ReasoningParserSpec | undefined {
  const flag = profile.enableReasoningFlag;
  if (enableReasoning && flag === "removed") {
    throw new Error("unrecognized arguments: --enable-reasoning");
  }
  if (enableReasoning && name === undefined) {
    throw new Error("Error: --enable-reasoning requires --reasoning-parser");
  }
  if (name === undefined) return undefined;
  const parser = reasoningParserFor(name, version);
  return flag === "required" && !enableReasoning ? undefined : parser;
}

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new Error(
      `argument --${name}: invalid choice: '${value}' (choose from ${allowed.map((a) => `'${a}'`).join(", ")})`,
    );
  }
  return value as T;
}

/**
 * Reads `--task`, `--runner` and `--convert` for a release. Before 0.10.1 `--runner` and
 * `--convert` are argparse's unknown ones; from 0.10.1 `--convert embed|classify` asks for that
 * adapter (vLLM PR #21470). `--convert embed|classify` without `--runner pooling` is refused: up
 * to vLLM PR #42935 (2026-05-18, after every profiled release) the runner stays "generate" for a
 * causal model and vLLM fails at start-up (issue #42480, "AssertionError: pooler_config is not
 * None"); the mock says so at once. From 0.13.0 `--task` is argparse's unknown one, refused with
 * its value as argparse lists it ({@link taskFlagRemovedIn}). In 0.10.1-0.12.x `--task generate`
 * sets the generate runner (vllm/config/model.py maps a deprecated generative task to `runner =
 * "generate"`), so a sequence classifier then fails at start-up as with `--runner generate`.
 */
export function readPoolingFlags(
  version: string,
  values: RuntimeModuleSettings["values"],
): PoolingFlags {
  const taskValue = stringValue(values, "task");
  const runnerValue = stringValue(values, "runner");
  const convertValue = stringValue(values, "convert");
  if (!releasedBy(version, runnerFlagSince)) {
    if (runnerValue !== undefined) throw new Error("unrecognized arguments: --runner");
    if (convertValue !== undefined) throw new Error("unrecognized arguments: --convert");
  }
  if (taskValue !== undefined && releasedBy(version, taskFlagRemovedIn)) {
    throw new Error(`unrecognized arguments: --task ${taskValue}`);
  }
  const tasks: readonly ModelTask[] = ["generate", "embed", "classify", "score"];
  const runner = oneOf<ModelRunner>("runner", runnerValue ?? "auto", [
    "auto",
    "generate",
    "pooling",
  ]);
  const convert = oneOf<ModelConvert>("convert", convertValue ?? "auto", [
    "auto",
    "none",
    "embed",
    "classify",
  ]);
  if (taskValue !== undefined && !tasks.includes(taskValue as ModelTask)) {
    throw new Error(`--task: '${taskValue}' is not generate, embed, classify or score`);
  }
  const converted = convert === "embed" || convert === "classify" ? convert : undefined;
  if (converted !== undefined && runner !== "pooling") {
    throw new Error(
      `--convert ${converted} needs --runner pooling: without it vLLM keeps the generate runner and fails at start-up (AssertionError: pooler_config is not None, vLLM issue #42480)`,
    );
  }
  if (converted !== undefined && taskValue !== undefined && taskValue !== converted) {
    throw new Error(`--task ${taskValue} and --convert ${converted} ask for different tasks`);
  }
  const taskRunner = taskValue === "generate" && releasedBy(version, runnerFlagSince);
  return {
    task: (taskValue as ModelTask | undefined) ?? converted ?? "generate",
    taskFlag: taskValue !== undefined,
    runner: taskRunner ? "generate" : runner,
    convert,
  };
}

/**
 * `VLLM_ENABLE_RESPONSES_API_STORE` as vllm/envs.py reads it: `bool(int(value))`, default "0".
 * Throws for a value that is not an integer (vLLM fails to start).
 */
export function responsesStoreEnabled(env: Readonly<Record<string, string | undefined>>): boolean {
  const raw = env.VLLM_ENABLE_RESPONSES_API_STORE;
  if (raw === undefined) return false;
  const text = raw.trim();
  if (!/^[+-]?\d+$/.test(text)) {
    throw new Error(`VLLM_ENABLE_RESPONSES_API_STORE: '${raw}' is not an integer`);
  }
  return Number(text) !== 0;
}

/**
 * Reads the module settings. The host's repeatable `--model` arrives as `settings.models`; like
 * vLLM's own `--model`, the first one names the model (a directory or a name). `VLLM_API_KEY`
 * from `env` is the API key unless `--api-key` is given (vllm-openai.md §2: CLI wins). Throws an
 * Error with a clear message for an unusable value.
 */
export function readVllmSettings(
  settings: Pick<RuntimeModuleSettings, "models" | "values">,
  env: Readonly<Record<string, string | undefined>> = process.env,
): VllmSettings {
  const { values } = settings;
  const version = stringValue(values, "vllm-version") ?? defaultVllmVersion;
  const mode = stringValue(values, "generation-mode") ?? "text";
  if (mode !== "echo" && mode !== "text") {
    throw new Error(`--generation-mode: '${mode}' is not echo or text`);
  }
  const maxModelLen = numberValue(values, "max-model-len", 1);
  if (maxModelLen !== undefined && !Number.isInteger(maxModelLen)) {
    throw new Error(`--max-model-len: '${maxModelLen}' is not a whole number`);
  }
  const apiKey = stringValue(values, "api-key") ?? (env.VLLM_API_KEY || undefined);
  const enableLora = values["enable-lora"] === true;
  const loraModules = stringValues(values, "lora-modules").map(parseLoraModule);
  const servedModelNames = stringValues(values, "served-model-name");
  if (loraModules.length > 0 && !enableLora) {
    throw new Error("--lora-modules needs --enable-lora");
  }
  const release = profileFor(version);
  const pooling = readPoolingFlags(version, values);
  // profiles.ts streamInterval: the flag is argparse's unknown before 0.12.0. Read here only:
  // startModel hands the number to mock-core createTextEngine, for either engine.
  if (values["stream-interval"] !== undefined && !release.streamInterval) {
    throw new Error("unrecognized arguments: --stream-interval");
  }
  const streamInterval = wholeNumberValue(values, "stream-interval", 1);
  // vLLM PR #40537 (the profile's systemFingerprint): argparse's unknown flags before.
  const fingerprint = readFingerprintOptions(values, release.systemFingerprint === true);
  const reasoningParser = readReasoningParser(
    release,
    version,
    stringValue(values, "reasoning-parser"),
    values["enable-reasoning"] === true,
  );
  return {
    model: settings.models[0],
    servedModelNames: servedModelNames.length > 0 ? servedModelNames : undefined,
    version,
    profile: release,
    reasoningParser,
    apiKey,
    maxModelLen,
    generationMode: mode,
    task: pooling.task,
    taskFlag: pooling.taskFlag,
    runner: pooling.runner,
    convert: pooling.convert,
    autoToolChoice:
      values["enable-auto-tool-choice"] === true &&
      stringValue(values, "tool-call-parser") !== undefined,
    timeToFirstTokenMs: numberValue(values, "time-to-first-token", 0) ?? 0,
    interTokenMs: numberValue(values, "inter-token-latency", 0) ?? 0,
    requestIdHeaders: values["enable-request-id-headers"] === true,
    fingerprint,
    enableLora,
    maxLoras: numberValue(values, "max-loras", 1) ?? 1,
    loraModules,
    // vllm/envs.py: "1" or "true", case-insensitive.
    runtimeLoraUpdating: ["1", "true"].includes(
      (env.VLLM_ALLOW_RUNTIME_LORA_UPDATING ?? "").trim().toLowerCase(),
    ),
    responsesStore: responsesStoreEnabled(env),
    ...(streamInterval !== undefined && { streamInterval }),
  };
}
