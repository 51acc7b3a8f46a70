/**
 * Model repositories the user points the mock at (`--model-repository DIR`), read for names,
 * versions, inputs and outputs only, so a team's real repository gives the same metadata without
 * weights (issue 4, "Models"):
 * - Triton: `DIR/<model>/config.pbtxt` plus numeric version folders; its `version_policy`
 *   (`latest { num_versions: N }`, `all {}`, `specific { versions: [...] }`; default latest 1)
 *   picks the versions served (version-policy.ts).
 * - MLServer: `model-settings.json` files anywhere below DIR (`name`, `parameters.version`,
 *   `platform`, `inputs`, `outputs`).
 * - OVMS: `DIR/config.json` (`model_config_list[].config.name`); tensors live in the model files,
 *   which the mock does not read, so each model gets the FP32 identity signature.
 * Outputs are seeded values: a deterministic function of the input bytes. The readers are
 * synchronous: they run once at start, and the CLI's ready line names the models before serving.
 */
import { createHash } from "node:crypto";
import { type Dirent, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import {
  allocate,
  type Datatype,
  encodeRaw,
  isDatatype,
  type TensorValues,
  textToBytes,
} from "../datatypes.js";
import {
  identityModel,
  type MockModel,
  type RepositorySource,
  type Tensor,
  type TensorSpec,
} from "./models.js";
import { parseTextProto, type TextMessage, type TextValue } from "./pbtxt.js";
import { createVllmModel } from "./triton-vllm-model.js";
import {
  noVersionMessage,
  readVersionPolicy,
  type VersionPolicy,
  versionsToLoad,
} from "./version-policy.js";

const asArray = (value: TextValue | undefined): TextValue[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** Deterministic output values from the input bytes: a SHA-256 stream, scaled to each datatype. */
function seededValues(datatype: Datatype, count: number, seed: Buffer): TensorValues {
  const bytes = Buffer.alloc(count * 8);
  for (let block = 0, offset = 0; offset < bytes.length; block++, offset += 32) {
    createHash("sha256").update(seed).update(String(block)).digest().copy(bytes, offset);
  }
  if (datatype === "BYTES")
    return Array.from({ length: count }, (_, i) => textToBytes(String(bytes[i])));
  const out = allocate(datatype, count) as Exclude<TensorValues, Uint8Array[]>;
  for (let i = 0; i < count; i++) {
    const unit = (bytes.readUInt32LE(i * 4 < bytes.length - 4 ? i * 4 : 0) % 1000) / 1000;
    if (out instanceof BigInt64Array || out instanceof BigUint64Array)
      out[i] = BigInt(Math.floor(unit * 100));
    else if (datatype === "BOOL") out[i] = unit >= 0.5 ? 1 : 0;
    else if (datatype.startsWith("FP") || datatype === "BF16") out[i] = unit;
    else out[i] = Math.floor(unit * 100);
  }
  return out;
}

/** A model whose outputs are seeded by its inputs; `-1` dims of outputs become 1. */
export function seededModel(
  name: string,
  versions: string[],
  platform: string,
  maxBatchSize: number,
  inputs: TensorSpec[],
  outputs: TensorSpec[],
  decoupled = false,
): MockModel {
  return {
    name,
    versions,
    platform,
    maxBatchSize,
    inputs,
    outputs,
    ...(decoupled ? { decoupled } : {}),
    compute(given) {
      const seed = Buffer.concat(
        inputs.map((spec) => {
          const t = given.get(spec.name) as Tensor;
          return Buffer.from(encodeRaw(t.datatype, t.values));
        }),
      );
      const batch =
        maxBatchSize > 0 ? (given.get(inputs[0]?.name ?? "")?.shape[0] ?? 1) : undefined;
      return outputs.map((spec) => {
        const dims = spec.dims.map((d) => (d < 0 ? 1 : d));
        const shape = batch !== undefined ? [batch, ...dims] : dims;
        const count = shape.reduce((n, d) => n * d, 1);
        return {
          name: spec.name,
          datatype: spec.datatype,
          shape,
          values: seededValues(spec.datatype, count, seed),
        };
      });
    },
  };
}

/**
 * A bool field of protobuf text format: `true`, `True`, `t` or `1` (the sample's
 * `decoupled: True`); anything else is false.
 */
function textBool(value: TextValue | undefined): boolean {
  return value === true || value === "True" || value === "t" || value === 1;
}

function tritonTensor(value: TextValue): TensorSpec {
  const t = value as TextMessage;
  const type = String(t.data_type ?? "");
  const datatype = type === "TYPE_STRING" ? "BYTES" : type.replace(/^TYPE_/, "");
  if (t.data_type !== undefined && !isDatatype(datatype)) {
    // `data_type` is an enum (model_config.proto DataType): text format refuses a name it lacks.
    throw new SyntaxError(`config.pbtxt: unknown data_type ${type}`);
  }
  if (typeof t.name !== "string" || !isDatatype(datatype)) {
    throw new Error(`a tensor needs a name and a data_type (got ${type || "none"})`);
  }
  const spec = { name: t.name, datatype, dims: asArray(t.dims).map(Number) };
  // model_config.proto ModelInput.optional: a request may leave the input out.
  return textBool(t.optional) ? { ...spec, optional: true } : spec;
}

/**
 * Reads a Triton repository (synchronously: at start, and one folder again on each load
 * request): every folder with a `config.pbtxt`, serving the version folders its version policy
 * picks (version-policy.ts; none picked: the model fails its loads, {@link policyFailure}). A `config.pbtxt`
 * that is not protobuf text format does not stop the read: the folder becomes a placeholder
 * model that fails its poll ({@link pollFailure}), as Triton's `Poll` logs `Poll failed for model
 * directory '<m>': failed to read text proto from <path>` and goes on with the others.
 */
export function readTritonRepository(dir: string): MockModel[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => readTritonModel(dir, entry.name) ?? []);
}

/**
 * One model folder of a Triton repository as it reads now, carrying its {@link RepositorySource}
 * (how to read it again, what is wrong with it); undefined when the folder holds no model (no
 * `config.pbtxt`, or no version folder: Triton loads nothing).
 */
function readTritonModel(dir: string, folderName: string): MockModel | undefined {
  const folder = join(dir, folderName);
  const file = join(folder, "config.pbtxt");
  const modified = latestModified(folder);
  const poll = () => readTritonModel(dir, folderName);
  const folders = () => subdirectories(dir);
  let config: TextMessage;
  let tensors: { inputs: TensorSpec[]; outputs: TensorSpec[] };
  try {
    config = parseTextProto(readFileSync(file, "utf8"));
    tensors = {
      inputs: asArray(config.input).map(tritonTensor),
      outputs: asArray(config.output).map(tritonTensor),
    };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    if (!(error instanceof SyntaxError)) throw new Error(`${file}: ${(error as Error).message}`);
    // core filesystem ReadTextProto: TextFormat::ParseFromString fails → INTERNAL with this text.
    return unpolledModel(folderName, {
      poll,
      modified,
      folders,
      pollFailure: `failed to read text proto from ${file}`,
    });
  }
  let policy: VersionPolicy;
  let versionFolders: string[];
  try {
    policy = readVersionPolicy(config);
    versionFolders = readdirSync(folder, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch (error) {
    if (!(error instanceof SyntaxError)) return undefined; // the folder went away between the reads
    return unpolledModel(folderName, {
      poll,
      modified,
      folders,
      pollFailure: `failed to read text proto from ${file}`,
    });
  }
  const name = typeof config.name === "string" ? config.name : folderName;
  // core model_lifecycle.cc VersionsToLoad: the policy picks among the numeric version folders.
  const versions = versionsToLoad(policy, versionFolders).versions;
  const latest = versions.at(-1);
  if (latest === undefined) {
    // AsyncLoad: no version under the policy fails every load of the model (INVALID_ARG).
    return withSource(
      seededModel(name, [], String(config.platform ?? config.backend ?? ""), 0, [], []),
      { poll, modified, folders, policyFailure: noVersionMessage(name) },
    );
  }
  const platform = String(config.platform ?? config.backend ?? "");
  if (platform === "vllm") {
    // Each version is its own backend instance from its own folder (model_lifecycle.cc loads
    // every version the policy picks; vllm_backend src/model.py reads that folder's model.json).
    const source = { poll, modified, folders };
    const perVersion = versions.map((v) =>
      vllmBackendModel(name, join(folder, String(v)), String(v), tensors, source),
    );
    return perVersion.length === 1
      ? (perVersion[0] as MockModel)
      : vllmVersions(perVersion, source);
  }
  return withSource(
    seededModel(
      name,
      versions.map(String),
      platform,
      Number(config.max_batch_size ?? 0),
      tensors.inputs,
      tensors.outputs,
      // model_config.proto ModelTransactionPolicy: `model_transaction_policy { decoupled: true }`.
      textBool((config.model_transaction_policy as TextMessage | undefined)?.decoupled),
    ),
    { poll, modified, folders },
  );
}

/** The names of the folders in `dir` now (a repository's model folders); throws where it cannot be read. */
function subdirectories(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name);
}

/**
 * The newest modification time (ms) of `path` and, for a folder, of everything below it (core
 * model_repository_manager.cc `GetPathModifiedTime`: the folder's own time covers a deleted file);
 * 0 where it cannot be read, so an unreadable path never shows as modified.
 */
export function latestModified(path: string): number {
  let latest: number;
  let entries: Dirent[];
  try {
    const stat = statSync(path);
    latest = stat.mtimeMs;
    if (!stat.isDirectory()) return latest;
    entries = readdirSync(path, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) latest = Math.max(latest, latestModified(join(path, entry.name)));
  return latest;
}

/** A folder whose model could not be read: its name, no versions or tensors, and why. */
function unpolledModel(name: string, source: RepositorySource): MockModel {
  return {
    name,
    versions: [],
    platform: "",
    maxBatchSize: 0,
    inputs: [],
    outputs: [],
    source,
    compute() {
      // Never reached: a model that fails its poll is never loaded.
      throw new Error(`model '${name}' failed its poll`);
    },
  };
}

/**
 * `model` carrying `source`; a model that can be paced keeps it when paced, and its folder read
 * again comes back paced the same way.
 */
function withSource(model: MockModel, source: RepositorySource): MockModel {
  const pace = model.withPacing;
  if (pace === undefined) return { ...model, source };
  return {
    ...model,
    source,
    withPacing: (pacing) =>
      withSource(pace(pacing), {
        ...source,
        poll: () => {
          const polled = source.poll();
          return polled?.withPacing?.(pacing) ?? polled;
        },
      }),
  };
}

/**
 * Why a repository model fails to load, as Triton's version state reason (`Internal: <Python
 * exception>: <message>`: the Python backend's error, without its `At:` traceback), or undefined
 * for a model that loads. model-control.ts turns it into the failed load: the start stops
 * (`--exit-on-error`, on by default), a load request answers INVALID_ARG.
 */
export function loadFailure(model: MockModel): string | undefined {
  return model.source?.loadFailure;
}

/**
 * Why a repository folder could not be read as a model (Triton's poll failure: `failed to read
 * text proto from <path>`), or undefined. model-control.ts: the start stops where the model is
 * loaded at start; a load request answers INTERNAL `failed to load '<m>', failed to poll from
 * model repository`; the index lists the folder by name alone.
 */
export function pollFailure(model: MockModel): string | undefined {
  return model.source?.pollFailure;
}

/**
 * Why no version of a repository model loads under its version policy (core model_lifecycle.cc
 * `AsyncLoad`: `at least one version must be available under the version policy of model
 * '<m>'`), or undefined. model-control.ts: the start stops; a load request answers INVALID_ARG
 * `load failed for model '<m>': <that>`; the index lists no row for the model.
 */
export function policyFailure(model: MockModel): string | undefined {
  return model.source?.policyFailure;
}

/**
 * The model as its folder reads now (Triton polls the folder on every load request); a model with
 * no folder (a built-in one) is itself; undefined when the folder no longer holds a model.
 */
export function repoll(model: MockModel): MockModel | undefined {
  const source = model.source;
  return source === undefined ? model : source.poll();
}

/**
 * A model of Triton's vLLM backend (`backend: "vllm"`; vllm_backend src/model.py): its version
 * folder's `model.json` must exist (`_init_engine_args` asserts it), and when it sets
 * `enable_lora` (`str(value).lower() == "true"`) `multi_lora.json` names the adapters
 * (`_setup_lora`, which raises FileNotFoundError without it). Either missing file makes the model
 * fail its loads ({@link loadFailure}); an unreadable file stops the start.
 */
function vllmBackendModel(
  name: string,
  versionDir: string,
  version: string,
  config: { inputs: TensorSpec[]; outputs: TensorSpec[] },
  folder: RepositorySource,
): MockModel {
  const engineArgs = join(versionDir, "model.json");
  let args: Record<string, unknown>;
  try {
    args = JSON.parse(readFileSync(engineArgs, "utf8")) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      return withSource(createVllmModel({ name, version, config }), {
        ...folder,
        loadFailure: `Internal: AssertionError: 'model.json' containing vllm engine args must be provided in '${versionDir}'`,
      });
    }
    throw new Error(`${engineArgs}: ${(error as Error).message}`);
  }
  const interval = args.stream_interval;
  if (interval !== undefined && (!Number.isInteger(interval) || (interval as number) < 1)) {
    throw new Error(
      `${engineArgs}: stream_interval ${JSON.stringify(interval)}: expected a whole number of tokens >= 1`,
    );
  }
  // vLLM's stream_interval (0.12.0 on), read by AsyncEngineArgs with the rest of model.json.
  const streamInterval = interval as number | undefined;
  const engine = streamInterval === undefined ? {} : { streamInterval };
  if (String(args.enable_lora).toLowerCase() !== "true") {
    return withSource(createVllmModel({ name, version, config, ...engine }), folder);
  }
  const loraFile = join(versionDir, "multi_lora.json");
  let loras: Record<string, string>;
  try {
    loras = JSON.parse(readFileSync(loraFile, "utf8")) as Record<string, string>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      return withSource(createVllmModel({ name, version, config, ...engine }), {
        ...folder,
        loadFailure: `Internal: FileNotFoundError: Triton backend cannot find ${loraFile}.`,
      });
    }
    throw new Error(`${loraFile}: ${(error as Error).message}`);
  }
  return withSource(createVllmModel({ name, version, config, loras, ...engine }), folder);
}

/**
 * A vLLM-backend model with several versions, each its own model (own engine, own `model.json`
 * and LoRA adapters; {@link MockModel.versionModels}), oldest first; the newest answers a request
 * naming no version. The versions whose `model.json` (or `multi_lora.json`) is missing are its
 * {@link RepositorySource.versionFailures}: any of them fails the whole load
 * (model_lifecycle.cc `OnLoadComplete` marks the load failed, `OnLoadFinal` unloads the versions
 * it loaded), and the refusal names only them.
 */
function vllmVersions(perVersion: readonly MockModel[], folder: RepositorySource): MockModel {
  const newest = perVersion.at(-1) as MockModel;
  const versionModels = new Map<string, MockModel>();
  const versionFailures = new Map<string, string>();
  for (const model of perVersion) {
    const version = model.versions[0] as string;
    versionModels.set(version, model);
    const failure = loadFailure(model);
    if (failure !== undefined) versionFailures.set(version, failure);
  }
  const combined: MockModel = {
    ...newest,
    versions: [...versionModels.keys()],
    versionModels,
    withPacing: (pacing) =>
      vllmVersions(
        perVersion.map((m) => m.withPacing?.(pacing) ?? m),
        folder,
      ),
  };
  const first = versionFailures.values().next().value;
  return withSource(
    combined,
    first === undefined ? folder : { ...folder, loadFailure: first, versionFailures },
  );
}

/**
 * The versions a failed load names, each with its reason: the model's
 * {@link RepositorySource.versionFailures} when it has them, else every version with `reason`
 * (model_lifecycle.cc `OnLoadComplete` adds one `version <v> is at UNAVAILABLE state: <reason>;`
 * per version that failed).
 */
export function failedVersions(
  model: MockModel,
  reason: string,
): ReadonlyArray<readonly [version: string, reason: string]> {
  const own = model.source?.versionFailures;
  if (own !== undefined) return [...own];
  return model.versions.map((v) => [v, reason] as const);
}

function findFiles(dir: string, name: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...findFiles(path, name));
    else if (entry.name === name) found.push(path);
  }
  return found.sort();
}

/**
 * Reads MLServer `model-settings.json` files (synchronously): at start (cli/serve.py
 * `load_settings`) and again on each load and index (handlers/model_repository.py), all through
 * repository.py `list`. `skipUnreadable` leaves an unreadable file out as `list` does (it logs
 * `Failed load model settings at <path>.` and goes on); the MLServer profile always sets it.
 * When `load_models_at_startup` is false ({@link mlserverLoadsAtStartup}: `<dir>/settings.json`,
 * else `env`, default `process.env`) every model is marked `loadAtStartup: false`: listed,
 * not loaded until a load request.
 */
export function readMlserverRepository(
  dir: string,
  skipUnreadable = false,
  env: Readonly<Record<string, string | undefined>> = process.env,
): MockModel[] {
  const merged = mergeMlserverVersions(readMlserverSettingsFiles(dir, skipUnreadable));
  if (mlserverLoadsAtStartup(dir, env)) return merged;
  return merged.map((model): MockModel => ({ ...model, loadAtStartup: false }));
}

/** Every `model-settings.json` below `dir` as a model (see {@link readMlserverRepository}). */
function readMlserverSettingsFiles(dir: string, skipUnreadable: boolean): MockModel[] {
  const models: MockModel[] = [];
  for (const file of findFiles(dir, "model-settings.json")) {
    let model: MockModel;
    try {
      model = readMlserverSettings(file);
    } catch (error) {
      if (skipUnreadable) continue;
      throw error;
    }
    models.push(model);
  }
  return models;
}

/** The strings pydantic 2 reads as booleans in lax mode, lower-cased (its `bool` validator). */
const pydanticBooleans = new Map<string, boolean>([
  ["0", false],
  ["off", false],
  ["f", false],
  ["false", false],
  ["n", false],
  ["no", false],
  ["1", true],
  ["on", true],
  ["t", true],
  ["true", true],
  ["y", true],
  ["yes", true],
]);

/**
 * MLServer's `load_models_at_startup` (settings.py `Settings`, default true): cli/serve.py
 * `load_settings` reads `<folder>/settings.json` when the folder holds one (`Settings.parse_file`,
 * which on pydantic 2 validates the file alone), else `Settings()`, which reads the environment
 * (`MLSERVER_` prefix: `MLSERVER_LOAD_MODELS_AT_STARTUP`). A value pydantic's `bool` refuses, or a
 * settings.json that is not JSON, stops the start (a ValidationError): thrown here as an Error.
 */
export function mlserverLoadsAtStartup(
  dir: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): boolean {
  const file = join(dir, "settings.json");
  let isFile = false;
  try {
    isFile = statSync(file).isFile();
  } catch {
    isFile = false;
  }
  if (!isFile) {
    const value = env.MLSERVER_LOAD_MODELS_AT_STARTUP;
    return value === undefined ? true : pydanticBoolean(value, "MLSERVER_LOAD_MODELS_AT_STARTUP");
  }
  let settings: unknown;
  try {
    settings = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  }
  if (typeof settings !== "object" || settings === null || Array.isArray(settings)) {
    throw new Error(`${file}: the server settings must be a JSON object`);
  }
  const value = (settings as Record<string, unknown>).load_models_at_startup;
  return value === undefined ? true : pydanticBoolean(value, `${file}: load_models_at_startup`);
}

/** A value as pydantic 2's lax `bool` reads it (booleans, 0/1, the strings above); else throws. */
function pydanticBoolean(value: unknown, where: string): boolean {
  if (typeof value === "boolean") return value;
  if (value === 0 || value === 1) return value === 1;
  const read = typeof value === "string" ? pydanticBooleans.get(value.toLowerCase()) : undefined;
  if (read === undefined) {
    throw new Error(`${where}: Input should be a valid boolean, unable to interpret input`);
  }
  return read;
}

/**
 * MLServer's version order (registry.py `_is_newer`): two versions that both read as Python
 * `int` compare as numbers, others as strings; positive when `a` is newer.
 */
export function mlserverVersionOrder(a: string, b: string): number {
  const integer = /^\s*[+-]?\d+\s*$/;
  if (integer.test(a) && integer.test(b)) return Number(a) - Number(b);
  return a > b ? 1 : a < b ? -1 : 0;
}

/**
 * Settings files that share a `name` are one model (registry.py: a SingleModelRegistry per name,
 * one MLModel per `parameters.version`). Its `versions` are the versioned files' versions
 * ordered oldest first (a repeated version keeps its first file), each serving its own settings
 * ({@link MockModel.versionModels}: own signature and `versions` list). The default a request
 * naming no version gets (`_refresh_default`): an unversioned file when there is one (it wins
 * over every versioned one; a second unversioned file is the same entry, the first kept), else
 * the newest version by `_is_newer`. A name with one settings file is left as it is.
 */
function mergeMlserverVersions(models: readonly MockModel[]): MockModel[] {
  const byName = new Map<string, MockModel[]>();
  for (const model of models) {
    const group = byName.get(model.name);
    if (group === undefined) byName.set(model.name, [model]);
    else group.push(model);
  }
  return [...byName.values()].map((group): MockModel => {
    if (group.length < 2) return group[0] as MockModel;
    const versionModels = new Map<string, MockModel>();
    for (const m of group) {
      const version = m.versions[0];
      if (version !== undefined && !versionModels.has(version)) versionModels.set(version, m);
    }
    const versions = [...versionModels.keys()].sort(mlserverVersionOrder);
    const unversioned = group.find((m) => m.versions.length === 0);
    const base = unversioned ?? (versionModels.get(versions.at(-1) as string) as MockModel);
    return { ...base, versions, versionModels, unversionedDefault: unversioned !== undefined };
  });
}

/** One `model-settings.json` as a seeded model; throws for a file that is not settings JSON. */
function readMlserverSettings(file: string): MockModel {
  const settings = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  const tensors = (list: unknown): TensorSpec[] =>
    ((list as Record<string, unknown>[] | undefined) ?? []).map((t) => {
      if (typeof t.name !== "string" || !isDatatype(t.datatype)) {
        throw new Error(`${file}: a tensor needs a name and a datatype`);
      }
      return {
        name: t.name,
        datatype: t.datatype,
        dims: ((t.shape as number[] | undefined) ?? [-1]).map(Number),
      };
    });
  const version = (settings.parameters as Record<string, unknown> | undefined)?.version;
  const listed = Array.isArray(settings.versions) ? settings.versions.map(String) : [];
  return {
    listedVersions: listed,
    ...seededModel(
      String(settings.name ?? ""),
      typeof version === "string" ? [version] : [],
      String(settings.platform ?? ""),
      0,
      tensors(settings.inputs),
      tensors(settings.outputs),
    ),
  };
}

/** Reads an OVMS `config.json` (synchronously: start-up only): names only, each with the FP32 identity signature and version 1. */
export function readOvmsRepository(dir: string): MockModel[] {
  const file = statSync(dir).isDirectory() ? join(dir, "config.json") : dir;
  const config = JSON.parse(readFileSync(file, "utf8")) as {
    model_config_list?: { config?: { name?: string } }[];
  };
  return (config.model_config_list ?? []).flatMap((entry) => {
    const name = entry.config?.name;
    return name ? [{ ...identityModel("FP32", "OpenVINO", "1"), name }] : [];
  });
}
