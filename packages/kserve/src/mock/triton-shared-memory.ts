/**
 * Triton's shared-memory extensions (kserve-v2.md §3.1 "system_shared_memory",
 * "cuda_shared_memory"; server docs/protocol/extension_shared_memory.md, src/shared_memory_manager.cc,
 * src/http_server.cc `HandleSystemSharedMemory` / `HandleCudaSharedMemory`, src/grpc/infer_handler.cc
 * `ParseSharedMemoryParams`).
 *
 * System shared memory is POSIX shm: a client `shm_open`s a key, which on Linux is the file
 * `/dev/shm/<key without its leading slash>`. Registering a region opens that file (Triton maps it;
 * the mock keeps the descriptor, so a region outlives an unlinked file as a mapping does) and
 * checks the region fits; inference reads inputs from it at request time (a client's writes are
 * seen) and writes requested outputs into it. CUDA shared memory needs a GPU: the mock answers as a
 * Triton built without GPU support does.
 *
 * The registry is the I/O; the parameter and register-body readers are pure.
 */
import { closeSync, fstatSync, openSync, readSync, writeSync } from "node:fs";
import { join } from "node:path";
import { encodeRaw } from "../datatypes.js";
import { InferFault } from "./fault.js";
import type { ParameterValue, RequestedOutput } from "./infer.js";
import type { Tensor } from "./models.js";
import { notString, notUnsigned } from "./triton-logging.js";

/** Which memory a region lives in: Triton's `TRITONSERVER_MEMORY_CPU` (system) or `_GPU` (CUDA). */
export type SharedMemoryKind = "system" | "cuda";

/** A registered system region, as the status APIs show it. */
export interface SystemRegionStatus {
  /** The region's name (the namespace is shared by system and CUDA regions). */
  readonly name: string;
  /** The shm key the client created (`/my_shm`). */
  readonly key: string;
  /** Bytes into the shm object where the region starts. */
  readonly offset: number;
  /** The region's size in bytes. */
  readonly byte_size: number;
}

/** A region's window, as an input or a requested output names it. */
export interface RegionSlice {
  /** The registered region's name. */
  readonly region: string;
  /** Bytes into the region (default 0). */
  readonly offset: number;
  /** Bytes of the tensor. */
  readonly byteSize: number;
}

interface Region extends SystemRegionStatus {
  readonly fd: number;
}

/** The `/dev/shm` file behind a POSIX shm key, or undefined for a key `shm_open` refuses (empty, or a `/` inside). */
export function shmPath(directory: string, key: string): string | undefined {
  const name = key.replace(/^\/+/, "");
  if (name === "" || name.includes("/")) return undefined;
  return join(directory, name);
}

/**
 * One mock's registered regions (Triton's `SharedMemoryManager`). Errors are Triton's texts and
 * kinds; see the README for the ones derived rather than read upstream.
 */
export class SharedMemoryRegistry {
  readonly #regions = new Map<string, Region>();
  readonly #directory: string;

  /** `directory` holds the POSIX shm objects: `/dev/shm` on Linux (the default). */
  constructor(directory = "/dev/shm") {
    this.#directory = directory;
  }

  /**
   * Registers a system region (`RegisterSystemSharedMemory`): ALREADY_EXISTS for a taken name,
   * INTERNAL when the key cannot be opened, INVALID_ARG when `offset + byteSize` passes the end
   * of the shm object.
   */
  registerSystem(name: string, key: string, offset: number, byteSize: number): void {
    if (this.#regions.has(name)) {
      throw new InferFault("already-exists", `shared memory region '${name}' already in manager`);
    }
    const path = shmPath(this.#directory, key);
    let fd: number;
    try {
      if (path === undefined) throw new Error("not a shm key");
      fd = openSync(path, "r+");
    } catch {
      throw new InferFault("internal", `Unable to open shared memory region: '${key}'`);
    }
    let size: number;
    try {
      size = fstatSync(fd).size;
    } catch {
      closeSync(fd);
      throw new InferFault("internal", `Invalid shared memory region: '${key}'`);
    }
    if (offset + byteSize > size) {
      closeSync(fd);
      throw new InferFault(
        "invalid",
        `failed to register shared memory region '${name}': invalid args`,
      );
    }
    this.#regions.set(name, { name, key, offset, byte_size: byteSize, fd });
  }

  /**
   * A CUDA register (`HandleCudaSharedMemory` / `CudaSharedMemoryRegister` without
   * `TRITON_ENABLE_GPU`): always INVALID_ARG, GPUs not supported.
   */
  registerCuda(name: string): never {
    throw new InferFault(
      "invalid",
      `failed to register CUDA shared memory region: '${name}', GPUs not supported`,
    );
  }

  /**
   * The status of one region or (empty name) all of `kind` (`GetStatus`): NOT_FOUND for an unknown
   * name or one of the other kind. CUDA lists none (no region can be registered).
   */
  status(kind: SharedMemoryKind, name: string): SystemRegionStatus[] {
    if (name === "") {
      if (kind === "cuda") return [];
      return [...this.#regions.values()].map(statusOf);
    }
    const region = this.#regions.get(name);
    if (region === undefined) {
      throw new InferFault(
        "not-found",
        `Unable to find ${kind === "cuda" ? "cuda" : "system"} shared memory region: '${name}'`,
      );
    }
    if (kind === "cuda") {
      throw new InferFault(
        "not-found",
        `The region named '${name}' is registered as system shared memory, not CUDA shared memory`,
      );
    }
    return [statusOf(region)];
  }

  /**
   * Unregisters one region or (empty name) all of `kind` (`Unregister`, `UnregisterAll`): an
   * unknown name, or one of the other kind, is no error.
   */
  unregister(kind: SharedMemoryKind, name: string): void {
    if (kind === "cuda") return;
    const names = name === "" ? [...this.#regions.keys()] : [name];
    for (const n of names) {
      const region = this.#regions.get(n);
      if (region === undefined) continue;
      this.#regions.delete(n);
      closeSync(region.fd);
    }
  }

  /** Unregisters every region (the mock closing: Triton's manager unmaps all on destruction). */
  close(): void {
    this.unregister("system", "");
  }

  /**
   * The bytes of a slice (`GetMemoryInfo` then the read): NOT_FOUND for an unknown region,
   * INVALID_ARG for an offset at or past the region's end or a slice past it.
   */
  read(slice: RegionSlice): Uint8Array {
    const region = this.#check(slice);
    const out = new Uint8Array(slice.byteSize);
    readSync(region.fd, out, 0, slice.byteSize, region.offset + slice.offset);
    return out;
  }

  /** Checks a slice exists and fits (see {@link read}), without touching its bytes. */
  check(slice: RegionSlice): void {
    this.#check(slice);
  }

  /**
   * Writes an output into its slice: INTERNAL when the output is larger than the slice
   * (`InferResponseAlloc`'s "should be at least" refusal).
   */
  write(slice: RegionSlice, output: string, bytes: Uint8Array): void {
    if (bytes.byteLength > slice.byteSize) {
      throw new InferFault(
        "internal",
        `shared memory size specified with the request for output '${output}' (${slice.byteSize} bytes) should be at least ${bytes.byteLength} bytes to hold the results`,
      );
    }
    const region = this.#check(slice);
    writeSync(region.fd, bytes, 0, bytes.byteLength, region.offset + slice.offset);
  }

  #check(slice: RegionSlice): Region {
    const region = this.#regions.get(slice.region);
    if (region === undefined) {
      throw new InferFault("not-found", `Unable to find shared memory region: '${slice.region}'`);
    }
    if (slice.offset >= region.byte_size) {
      throw new InferFault("invalid", `Invalid offset for shared memory region: '${slice.region}'`);
    }
    if (slice.offset + slice.byteSize > region.byte_size) {
      throw new InferFault(
        "invalid",
        `Invalid offset + byte size for shared memory region: '${slice.region}'`,
      );
    }
    return region;
  }
}

function statusOf(region: Region): SystemRegionStatus {
  return { name: region.name, key: region.key, offset: region.offset, byte_size: region.byte_size };
}

/**
 * Triton's REST content rule (http_server.cc `ValidateInputContentType`): an input sets exactly one
 * of `data`, `binary_data_size`, `shared_memory_region`; the refusal names those it set.
 */
export function inputContentConflict(data: boolean, binary: boolean, shm: boolean): InferFault {
  const set = [data && "'data'", binary && "'binary_data_size'", shm && "'shared_memory_region'"]
    .filter((s) => s !== false)
    .join(" ");
  return new InferFault(
    "invalid",
    `Input must set only one of the following fields: 'data', 'binary_data_size' in 'parameters', 'shared_memory_region' in 'parameters'. But ${set === "" ? "no field is set" : `set ${set}`}`,
  );
}

/** A system register request's fields (`$system_shared_memory_register_request`). */
export interface RegisterBody {
  /** The shm key. */
  readonly key: string;
  /** Bytes into the shm object (default 0). */
  readonly offset: number;
  /** The region's size in bytes. */
  readonly byteSize: number;
}

/**
 * Reads a REST system register body as `HandleSystemSharedMemory` does: `key` required and a
 * string, `offset` optional, `byte_size` required, both unsigned; TritonJson's type refusals are
 * INTERNAL.
 */
export function registerBody(body: Readonly<Record<string, unknown>>): RegisterBody {
  if (body.key === undefined) {
    throw new InferFault("invalid", "Shared memory register request has no 'key' field");
  }
  if (typeof body.key !== "string") throw notString();
  const offset = body.offset;
  if (offset !== undefined && !isUnsigned(offset as ParameterValue)) throw notUnsigned();
  if (body.byte_size === undefined) {
    throw new InferFault("invalid", "Shared memory register request has no 'byte_size' field");
  }
  if (!isUnsigned(body.byte_size as ParameterValue)) throw notUnsigned();
  return {
    key: body.key,
    offset: (offset as number | undefined) ?? 0,
    byteSize: body.byte_size as number,
  };
}

const isUnsigned = (v: ParameterValue | undefined): v is number =>
  typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

/**
 * The slice a REST input or output names (`CheckSharedMemoryData`): undefined without
 * `shared_memory_region`; offset and byte size default to 0; a wrong JSON type is TritonJson's
 * refusal, as `Unable to parse '<param>'`. REST does not require a byte size.
 */
export function restSlice(
  parameters: Readonly<Record<string, ParameterValue>>,
): RegionSlice | undefined {
  const region = parameters.shared_memory_region;
  if (region === undefined) return undefined;
  if (typeof region !== "string") throw parseRefusal("shared_memory_region", notString());
  const offset = parameters.shared_memory_offset;
  const size = parameters.shared_memory_byte_size;
  if (offset !== undefined && !isUnsigned(offset)) {
    throw parseRefusal("shared_memory_offset", notUnsigned());
  }
  if (size !== undefined && !isUnsigned(size)) {
    throw parseRefusal("shared_memory_byte_size", notUnsigned());
  }
  return { region, offset: offset ?? 0, byteSize: size ?? 0 };
}

/** `RETURN_MSG_IF_ERR`: the message, then the TritonJson error's, same kind. */
function parseRefusal(param: string, cause: InferFault): InferFault {
  return new InferFault(cause.kind, `Unable to parse '${param}': ${cause.message}`);
}

/**
 * The slice a gRPC input or output names (`ParseSharedMemoryParams`): the region must be a
 * string parameter, offset and byte size int64 ones; offset or size without a region, or a region
 * without a size, is INVALID_ARG. `kinds` gives each parameter's protobuf case.
 */
export function grpcSlice(
  tensor: string,
  parameters: Readonly<Record<string, ParameterValue>>,
  kinds: Readonly<Record<string, string | undefined>>,
): RegionSlice | undefined {
  const region = parameters.shared_memory_region;
  const has = region !== undefined;
  if (has && kinds.shared_memory_region !== "stringParam") {
    throw invalidType("shared_memory_region", tensor, "string_param");
  }
  const offset = parameters.shared_memory_offset;
  if (offset !== undefined) {
    if (!has) throw withoutRegion("shared_memory_offset", tensor);
    if (kinds.shared_memory_offset !== "int64Param") {
      throw invalidType("shared_memory_offset", tensor, "int64_param");
    }
  }
  const size = parameters.shared_memory_byte_size;
  if (size !== undefined) {
    if (!has) throw withoutRegion("shared_memory_byte_size", tensor);
    if (kinds.shared_memory_byte_size !== "int64Param") {
      throw invalidType("shared_memory_byte_size", tensor, "int64_param");
    }
  } else if (has) {
    throw new InferFault(
      "invalid",
      `'shared_memory_byte_size' must be specified along with 'shared_memory_region' parameter for tensor '${tensor}'`,
    );
  }
  if (!has) return undefined;
  return { region: String(region), offset: Number(offset ?? 0), byteSize: Number(size) };
}

const invalidType = (param: string, tensor: string, expected: string) =>
  new InferFault(
    "invalid",
    `invalid value type for '${param}' parameter for tensor '${tensor}', expected ${expected}.`,
  );

const withoutRegion = (param: string, tensor: string) =>
  new InferFault(
    "invalid",
    `'${param}' can not be specified without 'shared_memory_region' parameter for tensor '${tensor}'`,
  );

/** A requested output written into shared memory: its name and slice. */
export interface SharedOutput {
  /** Output name. */
  readonly name: string;
  /** Where its bytes go. */
  readonly slice: RegionSlice;
}

/**
 * The requested outputs that go to shared memory, checked before inference as Triton does
 * (REST `ValidateOutputParameter`, gRPC `InferAllocatorPayload`, then `GetMemoryInfo`): not with
 * `classification`, nor (REST) with `binary_data: true`. Undefined when none does (the common
 * case, no array built).
 */
export function sharedOutputs(
  registry: SharedMemoryRegistry,
  outputs: readonly RequestedOutput[] | undefined,
  sliceOf: (output: RequestedOutput) => RegionSlice | undefined,
  protocol: "rest" | "grpc",
): SharedOutput[] | undefined {
  if (outputs === undefined) return undefined;
  let shared: SharedOutput[] | undefined;
  const rest = protocol === "rest";
  for (const output of outputs) {
    const params = output.parameters;
    if (rest) {
      if (params.shared_memory_region === undefined) continue;
      if (params.classification !== undefined) throw bothRefusal("Output", "classification");
      if (params.binary_data === true) throw bothRefusal("Output", "binary_data");
    }
    const slice = sliceOf(output);
    if (slice === undefined) continue;
    if (!rest && params.classification !== undefined) {
      throw bothRefusal("output", "classification");
    }
    registry.check(slice);
    shared ??= [];
    shared.push({ name: output.name, slice });
  }
  return shared;
}

const bothRefusal = (word: string, other: string) =>
  new InferFault("invalid", `${word} can't set both 'shared_memory_region' and '${other}'`);

/** True when `name` is among the shared outputs (a handful at most: a scan). */
export function isShared(shared: readonly SharedOutput[] | undefined, name: string): boolean {
  if (shared === undefined) return false;
  for (const s of shared) if (s.name === name) return true;
  return false;
}

/**
 * Writes the shared outputs of a result into their regions (after inference, as Triton's
 * response allocator hands the region to the model). Throws the too-small refusal.
 */
export function writeSharedOutputs(
  registry: SharedMemoryRegistry,
  shared: readonly SharedOutput[],
  outputs: readonly Tensor[],
): void {
  for (const { name, slice } of shared) {
    const tensor = outputs.find((t) => t.name === name);
    if (tensor !== undefined)
      registry.write(slice, name, encodeRaw(tensor.datatype, tensor.values));
  }
}
