/**
 * The mock's built-in models: their metadata (what `GET /v2/models/{m}` shows) and a
 * deterministic compute function each, so the mocks answer inference with no files (issue 4,
 * "Models"). Outputs are pure functions of the inputs: sums and differences, identities, a fixed
 * decision rule.
 */

import {
  allocate,
  type Datatype,
  datatypes,
  type TensorValues,
  textToBytes,
} from "../datatypes.js";
import type { InferFault } from "./fault.js";
import type { ParameterValue } from "./infer.js";

/** One input or output of a model, as its metadata lists it. */
export interface TensorSpec {
  /** Tensor name. */
  readonly name: string;
  /** Protocol datatype. */
  readonly datatype: Datatype;
  /** Dimensions without the batch dimension; `-1` = variable. */
  readonly dims: readonly number[];
  /**
   * An input a request may leave out (Triton config `optional: true`; default false). Outputs
   * ignore it.
   */
  readonly optional?: boolean;
}

/** A tensor on its way through a model: name, datatype, full shape and flat values. */
export interface Tensor {
  /** Tensor name. */
  readonly name: string;
  /** Protocol datatype. */
  readonly datatype: Datatype;
  /** Full shape, batch dimension included. */
  readonly shape: readonly number[];
  /** Flat row-major values. */
  readonly values: TensorValues;
}

/**
 * One response of a decoupled model: its outputs, or the error the model put in the response
 * (Triton's `TRITONSERVER_InferenceResponse` carries either; the frontends answer the error),
 * and `final` when the model sends it with `TRITONSERVER_RESPONSE_COMPLETE_FINAL` (default
 * false: more may follow; a model that ends without a final response sends the flag alone).
 */
export type ModelResponse =
  | { readonly outputs: readonly Tensor[]; readonly error?: undefined; readonly final?: boolean }
  | { readonly error: InferFault; readonly outputs?: undefined; readonly final?: boolean };

/** A model the mock serves. */
export interface MockModel {
  /** The name in URLs and `model_name`. */
  readonly name: string;
  /** Versions, newest last; the mock serves the last when a request names none. Empty = unversioned. */
  readonly versions: readonly string[];
  /** MLServer's settings `versions` list, which its metadata shows (default none). */
  readonly listedVersions?: readonly string[];
  /**
   * MLServer: the model each named version serves, where one name has several settings files
   * (registry.py: one MLModel per version, each from its own `model-settings.json`, so each
   * version answers metadata and validates inference with its own tensors). The fields above
   * are the default's. Absent: every version serves this model.
   */
  readonly versionModels?: ReadonlyMap<string, MockModel>;
  /**
   * MLServer: the default (a request naming no version) is an unversioned settings file that
   * shares its name with versioned ones (registry.py `_refresh_default`: an unversioned model is
   * "defaulter" than any versioned one, whatever the load order). Such a request gets this
   * model with no version; {@link versions} lists the versioned ones. Default false.
   */
  readonly unversionedDefault?: boolean;
  /** `platform` in the metadata (Triton: config platform or backend name; OVMS `OpenVINO`). */
  readonly platform: string;
  /** Triton's `max_batch_size`: above 0 every shape gains a leading `-1` batch dimension. */
  readonly maxBatchSize: number;
  /** Inputs, all required. */
  readonly inputs: readonly TensorSpec[];
  /** Outputs, in the order the model produces them. */
  readonly outputs: readonly TensorSpec[];
  /** Computes every output from inputs already validated against {@link inputs}. */
  compute(inputs: ReadonlyMap<string, Tensor>): readonly Tensor[];
  /**
   * Triton's `model_transaction_policy { decoupled: true }` (default false): the model may send
   * any number of responses per request, so Triton refuses it on HTTP `infer` and gRPC
   * `ModelInfer` and serves it through generate, generate_stream and ModelStreamInfer.
   */
  readonly decoupled?: boolean;
  /**
   * A decoupled model's responses to one request, in order, each flagged `final` or not as the
   * model sends it; ending without a final response sends the final flag alone. Absent: the
   * model sends {@link compute}'s outputs as one response, then the final flag alone (as a
   * decoupled Python model that calls `send(flags=FINAL)` after its response does).
   * `parameters` are the request's parameters; `signal` aborts when the client goes away.
   */
  respond?(
    inputs: ReadonlyMap<string, Tensor>,
    parameters: Readonly<Record<string, ParameterValue>>,
    signal?: AbortSignal,
  ): AsyncIterable<ModelResponse>;
  /**
   * The same model paced as `--time-to-first-token` and `--inter-token-latency` say (milliseconds),
   * for models that generate over time (Triton's vLLM backend); absent on the others.
   */
  withPacing?(pacing: {
    readonly timeToFirstTokenMs: number;
    readonly interTokenMs: number;
    /** `--stream-interval` in tokens; the model's own `model.json` value wins (default 1). */
    readonly streamInterval?: number;
  }): MockModel;
  /**
   * Where a model of the user's repository came from (`--model-repository`): how to read its
   * folder again and what the last read found wrong. Absent on built-in models. A field rather
   * than a side table, so the copies the mock makes of a model (`{ ...model, name }`) keep it.
   */
  readonly source?: RepositorySource;
  /**
   * False: the model stays unloaded at start, listed but not served until a load request
   * (MLServer's `load_models_at_startup: false`, cli/serve.py `load_settings`). Absent: loaded at
   * start as the mode says.
   */
  readonly loadAtStartup?: boolean;
}

/**
 * A repository model's folder (repository.ts): Triton polls a model's folder again on every load
 * request (core model_repository_manager.cc `LoadUnloadModels` → `PollModels` → `Poll` →
 * `InitializeModelInfo`, which reads `config.pbtxt`), so what the mock serves after a load is
 * what the folder holds then.
 */
export interface RepositorySource {
  /** Reads the folder again: the model as it stands now, or undefined when the folder holds none. */
  readonly poll: () => MockModel | undefined;
  /**
   * Why the folder could not be read as a model (Triton's poll failure, e.g. `failed to read
   * text proto from <path>`); the model is then a placeholder under the folder's name.
   */
  readonly pollFailure?: string;
  /**
   * Why its backend refuses to load it, as Triton's version state reason (`Internal: <Python
   * exception>: <message>`); absent for a model that loads.
   */
  readonly loadFailure?: string;
  /**
   * The versions whose backend refuses them, each with its reason (Triton: a vLLM-backend
   * version without its `model.json`), when they differ by version; {@link loadFailure} is then
   * the first. Absent: `loadFailure` is every version's reason.
   */
  readonly versionFailures?: ReadonlyMap<string, string>;
  /**
   * Why no version loads under the model's version policy (core model_lifecycle.cc `AsyncLoad`:
   * `at least one version must be available under the version policy of model '<m>'`); the
   * model then has no versions. Absent where one loads.
   */
  readonly policyFailure?: string;
  /**
   * Lists the model folders of the repository this folder sits in, as they are now (Triton's
   * `RepositoryIndex` reads them on every call). Absent where the reader keeps none.
   */
  readonly folders?: () => readonly string[];
  /**
   * The folder's latest modification time (ms, the newest of the folder and everything in it, as
   * core model_repository_manager.cc `GetPathModifiedTime`): Triton's poll mode reloads a model
   * whose time changed. Absent where the reader keeps none (MLServer, OVMS).
   */
  readonly modified?: number;
}

/** The shape metadata shows: the dims, prefixed with `-1` when the model batches (kserve-v2.md §3.1). */
export function metadataShape(model: MockModel, spec: TensorSpec): number[] {
  return model.maxBatchSize > 0 ? [-1, ...spec.dims] : [...spec.dims];
}

function input(inputs: ReadonlyMap<string, Tensor>, name: string): Tensor {
  const tensor = inputs.get(name);
  if (!tensor) throw new Error(`input ${name} was not validated`);
  return tensor;
}

/**
 * Triton's `simple` example model (tensorflow_graphdef, max_batch_size 8): INT32 INPUT0 and
 * INPUT1 of dims [16]; OUTPUT0 = INPUT0 + INPUT1, OUTPUT1 = INPUT0 - INPUT1 (kserve-v2.md §8:
 * "model `simple` (INT32 add/sub [1,16])").
 */
export const tritonSimple: MockModel = {
  name: "simple",
  versions: ["1"],
  platform: "tensorflow_graphdef",
  maxBatchSize: 8,
  inputs: [
    { name: "INPUT0", datatype: "INT32", dims: [16] },
    { name: "INPUT1", datatype: "INT32", dims: [16] },
  ],
  outputs: [
    { name: "OUTPUT0", datatype: "INT32", dims: [16] },
    { name: "OUTPUT1", datatype: "INT32", dims: [16] },
  ],
  compute(inputs) {
    const a = input(inputs, "INPUT0");
    const b = input(inputs, "INPUT1");
    const x = a.values as Int32Array;
    const y = b.values as Int32Array;
    // Carved from a shared block (datatypes.ts allocate): raw outputs read their bytes cheaply.
    const sum = allocate("INT32", x.length) as Int32Array;
    const diff = allocate("INT32", x.length) as Int32Array;
    for (let i = 0; i < x.length; i++) {
      sum[i] = (x[i] ?? 0) + (y[i] ?? 0);
      diff[i] = (x[i] ?? 0) - (y[i] ?? 0);
    }
    return [
      { name: "OUTPUT0", datatype: "INT32", shape: a.shape, values: sum },
      { name: "OUTPUT1", datatype: "INT32", shape: a.shape, values: diff },
    ];
  },
};

/**
 * Triton's `simple_string` example: the same add/sub on BYTES tensors whose elements are decimal
 * integers as text; outputs are decimal text too.
 */
export const tritonSimpleString: MockModel = {
  name: "simple_string",
  versions: ["1"],
  platform: "tensorflow_graphdef",
  maxBatchSize: 8,
  inputs: [
    { name: "INPUT0", datatype: "BYTES", dims: [16] },
    { name: "INPUT1", datatype: "BYTES", dims: [16] },
  ],
  outputs: [
    { name: "OUTPUT0", datatype: "BYTES", dims: [16] },
    { name: "OUTPUT1", datatype: "BYTES", dims: [16] },
  ],
  compute(inputs) {
    const a = input(inputs, "INPUT0");
    const b = input(inputs, "INPUT1");
    const decoder = new TextDecoder();
    const number = (element: Uint8Array | undefined) =>
      Math.trunc(Number(decoder.decode(element ?? new Uint8Array())) || 0);
    const x = a.values as Uint8Array[];
    const y = b.values as Uint8Array[];
    const sum = x.map((e, i) => textToBytes(String(number(e) + number(y[i]))));
    const diff = x.map((e, i) => textToBytes(String(number(e) - number(y[i]))));
    return [
      { name: "OUTPUT0", datatype: "BYTES", shape: a.shape, values: sum },
      { name: "OUTPUT1", datatype: "BYTES", shape: a.shape, values: diff },
    ];
  },
};

/**
 * An identity model for one datatype: OUTPUT0 is INPUT0, any 2-D shape (`[-1,-1]`, no batching),
 * on Triton's `identity` backend (the platform falls back to the backend name, kserve-v2.md §3.1).
 * `identity_fp32` is the FP32 identity every profile has (issue 4); the others let a client test
 * every datatype.
 */
export function identityModel(datatype: Datatype, platform: string, version: string): MockModel {
  return {
    name: `identity_${datatype.toLowerCase()}`,
    versions: [version],
    platform,
    maxBatchSize: 0,
    inputs: [{ name: "INPUT0", datatype, dims: [-1, -1] }],
    outputs: [{ name: "OUTPUT0", datatype, dims: [-1, -1] }],
    compute(inputs) {
      const x = input(inputs, "INPUT0");
      return [{ name: "OUTPUT0", datatype: x.datatype, shape: x.shape, values: x.values }];
    },
  };
}

/**
 * MLServer's iris-like classifier (`iris`, version `v0.1.0` as MLServer's sklearn example
 * settings name it): FP32 `[-1,4]` (sepal length, sepal width, petal length, petal width) to an
 * INT64 class per row by the textbook iris decision tree (petal length < 2.45 → 0; petal width
 * < 1.75 → 1; else 2).
 */
export const mlserverIris: MockModel = {
  name: "iris",
  versions: ["v0.1.0"],
  platform: "",
  maxBatchSize: 0,
  inputs: [{ name: "input-0", datatype: "FP32", dims: [-1, 4] }],
  outputs: [{ name: "predict", datatype: "INT64", dims: [-1] }],
  compute(inputs) {
    const x = input(inputs, "input-0");
    const values = x.values as Float32Array | Float64Array;
    const rows = Math.floor(values.length / 4);
    const classes = new BigInt64Array(rows);
    for (let r = 0; r < rows; r++) {
      const petalLength = values[r * 4 + 2] ?? 0;
      const petalWidth = values[r * 4 + 3] ?? 0;
      classes[r] = petalLength < 2.45 ? 0n : petalWidth < 1.75 ? 1n : 2n;
    }
    return [{ name: "predict", datatype: "INT64", shape: [rows], values: classes }];
  },
};

/** Number of classes of the OVMS image classifier (ResNet-50's 1001 ImageNet classes with background). */
const imageClasses = 1001;

/**
 * OVMS's image classifier signature (`resnet`, as in the OVMS ResNet-50 demos): FP32 NHWC
 * `[1,224,224,3]` in, FP32 `[1,1001]` scores out. Deterministic: the class
 * `floor(mean * 1000) mod 1001` scores 1, every other 0.
 */
export const ovmsResnet: MockModel = {
  name: "resnet",
  versions: ["1"],
  platform: "OpenVINO",
  maxBatchSize: 0,
  inputs: [{ name: "0", datatype: "FP32", dims: [1, 224, 224, 3] }],
  outputs: [{ name: "1463", datatype: "FP32", dims: [1, imageClasses] }],
  compute(inputs) {
    const x = input(inputs, "0").values as Float32Array;
    let sum = 0;
    for (const v of x) sum += v;
    const mean = x.length > 0 ? sum / x.length : 0;
    const scores = new Float32Array(imageClasses);
    const top = ((Math.floor(mean * 1000) % imageClasses) + imageClasses) % imageClasses;
    scores[top] = 1;
    return [{ name: "1463", datatype: "FP32", shape: [1, imageClasses], values: scores }];
  },
};

/** Identity models for each of the given datatypes. */
export function identityModels(
  supported: readonly Datatype[],
  platform: string,
  version: string,
): MockModel[] {
  return datatypes
    .filter((d) => supported.includes(d))
    .map((d) => identityModel(d, platform, version));
}
