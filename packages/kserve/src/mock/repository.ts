/**
 * Model repositories the user points the mock at (`--model-repository DIR`), read for names,
 * versions, inputs and outputs only, so a team's real repository gives the same metadata without
 * weights (issue 4, "Models"):
 * - Triton: `DIR/<model>/config.pbtxt` plus numeric version folders; the default version policy
 *   serves the latest version (model_config.proto `latest { num_versions: 1 }`).
 * - MLServer: `model-settings.json` files anywhere below DIR (`name`, `parameters.version`,
 *   `platform`, `inputs`, `outputs`).
 * - OVMS: `DIR/config.json` (`model_config_list[].config.name`); tensors live in the model files,
 *   which the mock does not read, so each model gets the FP32 identity signature.
 * Outputs are seeded values: a deterministic function of the input bytes. The readers are
 * synchronous: they run once at start, and the CLI's ready line names the models before serving.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import {
  allocate,
  type Datatype,
  encodeRaw,
  isDatatype,
  type TensorValues,
  textToBytes,
} from "../datatypes.js";
import { identityModel, type MockModel, type Tensor, type TensorSpec } from "./models.js";
import { parseTextProto, type TextMessage, type TextValue } from "./pbtxt.js";
import { createVllmModel } from "./triton-vllm-model.js";

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

function tritonTensor(value: TextValue, where: string): TensorSpec {
  const t = value as TextMessage;
  const type = String(t.data_type ?? "");
  const datatype = type === "TYPE_STRING" ? "BYTES" : type.replace(/^TYPE_/, "");
  if (typeof t.name !== "string" || !isDatatype(datatype)) {
    throw new Error(`${where}: a tensor needs a name and a data_type (got ${type || "none"})`);
  }
  const spec = { name: t.name, datatype, dims: asArray(t.dims).map(Number) };
  // model_config.proto ModelInput.optional: a request may leave the input out.
  return textBool(t.optional) ? { ...spec, optional: true } : spec;
}

/** Reads a Triton repository (synchronously: start-up only). */
export function readTritonRepository(dir: string): MockModel[] {
  const models: MockModel[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .sort((a, b) => a.name.localeCompare(b.name))) {
    const folder = join(dir, entry.name);
    const file = join(folder, "config.pbtxt");
    let config: TextMessage;
    try {
      config = parseTextProto(readFileSync(file, "utf8"));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw new Error(`${file}: ${(error as Error).message}`);
    }
    const versions = readdirSync(folder, { withFileTypes: true })
      .filter((e) => e.isDirectory() && /^\d+$/.test(e.name))
      .map((e) => Number(e.name))
      .sort((a, b) => a - b);
    const latest = versions.at(-1);
    if (latest === undefined) continue; // no version folder: Triton loads nothing
    const platform = String(config.platform ?? config.backend ?? "");
    if (platform === "vllm") {
      const name = typeof config.name === "string" ? config.name : entry.name;
      const tensors = {
        inputs: asArray(config.input).map((t) => tritonTensor(t, file)),
        outputs: asArray(config.output).map((t) => tritonTensor(t, file)),
      };
      models.push(vllmBackendModel(name, join(folder, String(latest)), String(latest), tensors));
      continue;
    }
    models.push(
      seededModel(
        typeof config.name === "string" ? config.name : entry.name,
        [String(latest)],
        platform,
        Number(config.max_batch_size ?? 0),
        asArray(config.input).map((t) => tritonTensor(t, file)),
        asArray(config.output).map((t) => tritonTensor(t, file)),
        // model_config.proto ModelTransactionPolicy: `model_transaction_policy { decoupled: true }`.
        textBool((config.model_transaction_policy as TextMessage | undefined)?.decoupled),
      ),
    );
  }
  return models;
}

const loadFailures = new WeakMap<MockModel, string>();

/**
 * Why a repository model fails to load, as Triton's version state reason (`Internal: <Python
 * exception>: <message>`: the Python backend's error, without its `At:` traceback), or undefined
 * for a model that loads. model-control.ts turns it into the failed load: the start stops in
 * model control mode none (`--exit-on-error`, on by default), an explicit load answers INVALID_ARG.
 */
export function loadFailure(model: MockModel): string | undefined {
  return loadFailures.get(model);
}

/** `model` marked as failing every load with `reason` (see {@link loadFailure}). */
function failing(model: MockModel, reason: string): MockModel {
  loadFailures.set(model, reason);
  return model;
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
): MockModel {
  const engineArgs = join(versionDir, "model.json");
  let args: Record<string, unknown>;
  try {
    args = JSON.parse(readFileSync(engineArgs, "utf8")) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      return failing(
        createVllmModel({ name, version, config }),
        `Internal: AssertionError: 'model.json' containing vllm engine args must be provided in '${versionDir}'`,
      );
    }
    throw new Error(`${engineArgs}: ${(error as Error).message}`);
  }
  if (String(args.enable_lora).toLowerCase() !== "true") {
    return createVllmModel({ name, version, config });
  }
  const loraFile = join(versionDir, "multi_lora.json");
  let loras: Record<string, string>;
  try {
    loras = JSON.parse(readFileSync(loraFile, "utf8")) as Record<string, string>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      return failing(
        createVllmModel({ name, version, config }),
        `Internal: FileNotFoundError: Triton backend cannot find ${loraFile}.`,
      );
    }
    throw new Error(`${loraFile}: ${(error as Error).message}`);
  }
  return createVllmModel({ name, version, config, loras });
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

/** Reads MLServer `model-settings.json` files (synchronously: start-up only). */
export function readMlserverRepository(dir: string): MockModel[] {
  const models: MockModel[] = [];
  for (const file of findFiles(dir, "model-settings.json")) {
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
    models.push({
      listedVersions: listed,
      ...seededModel(
        String(settings.name ?? ""),
        typeof version === "string" ? [version] : [],
        String(settings.platform ?? ""),
        0,
        tensors(settings.inputs),
        tensors(settings.outputs),
      ),
    });
  }
  return models;
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
