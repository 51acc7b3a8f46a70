/**
 * LoRA adapters as vLLM serves them (vllm-openai.md §7, serving_models.py): static ones from
 * `--lora-modules` (`name=path` or the JSON form), runtime ones through
 * `POST /v1/load_lora_adapter` / `/v1/unload_lora_adapter` when `VLLM_ALLOW_RUNTIME_LORA_UPDATING`
 * is set. A request may name an adapter as its `model`; the response echoes that name.
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import { VllmError } from "./errors.js";

/** One adapter. */
export interface LoraAdapter {
  /** The name requests use (`lora_name`). */
  readonly name: string;
  /** Where it was loaded from (`lora_path`); the card's `root`. */
  readonly path: string;
  /** The base model it belongs to (`base_model_name`), or undefined for the first served name. */
  readonly baseModelName?: string;
}

/**
 * Whether vLLM would find no adapter at `path`, as far as this machine can tell; false wherever
 * the mock cannot tell, so made-up paths keep working. vLLM resolves the path
 * (vllm/lora/utils.py `get_adapter_absolute_path`: an absolute path as is, whether it exists or
 * not; `~` expanded; a relative one locally when it exists, else as a Hugging Face Hub id) and
 * then reads `adapter_config.json` in it (PEFTHelper.from_local_dir), a FileNotFoundError becoming
 * "No adapter found" (vllm/lora/worker_manager.py `_load_adapter`). The mock says "missing" for
 * an absolute path whose parent directory exists here (below the root) but which holds no
 * `adapter_config.json`, and for a relative path that exists here without one; a path whose
 * parent is absent here (`/mnt/models/...` on a laptop) or directly under the root is taken as
 * one of the deployment, and a relative path absent here as a Hub id. `exists` is the file
 * system look-up (default `existsSync`).
 */
export function adapterMissing(
  path: string,
  exists: (path: string) => boolean = existsSync,
): boolean {
  const local = path === "~" || path.startsWith("~/") ? join(homedir(), path.slice(1)) : path;
  const config = join(local, "adapter_config.json");
  if (!isAbsolute(local)) return exists(local) && !exists(config);
  const parent = dirname(local);
  if (dirname(parent) === parent) return false;
  return exists(parent) && !exists(config);
}

/**
 * vLLM's text for an adapter it cannot find: the worker's "Loading lora {name} failed: No adapter
 * found for {path}" (vllm/lora/worker_manager.py), as the V1 engine core's utility call hands it
 * back ("Call to add_lora method failed: ...", vllm/v1/engine/core.py), with the path as given.
 */
export function adapterNotFoundText(name: string, path: string): string {
  return `Call to add_lora method failed: Loading lora ${name} failed: No adapter found for ${path}`;
}

/**
 * Reads one `--lora-modules` value as vLLM's LoRAParserAction does: JSON
 * `{"name", "path", "base_model_name"?}` or `name=path`. Throws an Error naming the forms, or
 * vLLM's start-up failure when the adapter is missing here ({@link adapterMissing}): vLLM loads
 * static adapters at start-up and raises `ValueError(message)` for one it cannot load
 * (serving_models.py `init_static_loras`).
 */
export function parseLoraModule(text: string): LoraAdapter {
  const adapter = readLoraModule(text);
  if (adapterMissing(adapter.path))
    throw new Error(adapterNotFoundText(adapter.name, adapter.path));
  return adapter;
}

function readLoraModule(text: string): LoraAdapter {
  const trimmed = text.trim();
  if (trimmed.startsWith("{")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      parsed = undefined;
    }
    const { name, path, base_model_name } = (parsed ?? {}) as Record<string, unknown>;
    if (typeof name !== "string" || typeof path !== "string") {
      throw new Error(`--lora-modules: '${text}' is not name=path or {"name": ..., "path": ...}`);
    }
    return typeof base_model_name === "string"
      ? { name, path, baseModelName: base_model_name }
      : { name, path };
  }
  const at = trimmed.indexOf("=");
  if (at <= 0 || at === trimmed.length - 1) {
    throw new Error(`--lora-modules: '${text}' is not name=path or {"name": ..., "path": ...}`);
  }
  return { name: trimmed.slice(0, at), path: trimmed.slice(at + 1) };
}

/** Error `type` vLLM gives a load/unload request it refuses (serving_models.py). */
const invalidUserInput = "InvalidUserInput";

function field(body: unknown, name: string): string | undefined {
  const value = (body as Record<string, unknown> | null | undefined)?.[name];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/**
 * The adapters a server has, in load order (static ones first), and how many requests each has
 * in flight (`vllm:lora_requests_info`'s `running_lora_adapters`).
 */
export class LoraRegistry {
  readonly #adapters = new Map<string, LoraAdapter>();
  readonly #inFlight = new Map<string, number>();
  readonly #missing: (path: string) => boolean;

  /**
   * `adapters`: the static ones, in order. `missing`: whether a runtime load's path holds no
   * adapter (default {@link adapterMissing} on this machine's file system).
   */
  constructor(
    adapters: readonly LoraAdapter[] = [],
    options: { readonly missing?: (path: string) => boolean } = {},
  ) {
    for (const adapter of adapters) this.#adapters.set(adapter.name, adapter);
    this.#missing = options.missing ?? ((path) => adapterMissing(path));
  }

  /** The adapters, in load order. */
  list(): LoraAdapter[] {
    return [...this.#adapters.values()];
  }

  /** Whether `name` is a loaded adapter. */
  has(name: string): boolean {
    return this.#adapters.has(name);
  }

  /**
   * Counts a request for adapter `name` as running until the returned release is called (once;
   * later calls do nothing).
   */
  begin(name: string): () => void {
    this.#inFlight.set(name, (this.#inFlight.get(name) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#inFlight.get(name) ?? 1) - 1;
      if (left > 0) this.#inFlight.set(name, left);
      else this.#inFlight.delete(name);
    };
  }

  /** The adapters with requests in flight, in the order they started. */
  running(): string[] {
    return [...this.#inFlight.keys()];
  }

  /**
   * `POST /v1/load_lora_adapter {"lora_name", "lora_path"}`: the plain-text success line, or a
   * {@link VllmError} with vLLM's text (both fields needed; a loaded name is refused; a path
   * missing here is 404 NotFoundError, serving_models.py "No adapter found" in the error).
   */
  load(body: unknown): string {
    const name = field(body, "lora_name");
    const path = field(body, "lora_path");
    if (name === undefined || path === undefined) {
      throw new VllmError(400, "Both 'lora_name' and 'lora_path' must be provided.", {
        type: invalidUserInput,
      });
    }
    if (this.#adapters.has(name)) {
      throw new VllmError(400, `The lora adapter '${name}' has already been loaded.`, {
        type: invalidUserInput,
      });
    }
    if (this.#missing(path)) throw new VllmError(404, adapterNotFoundText(name, path));
    this.#adapters.set(name, { name, path });
    return `Success: LoRA adapter '${name}' added successfully.`;
  }

  /**
   * `POST /v1/unload_lora_adapter {"lora_name"}`: the plain-text success line, or a
   * {@link VllmError}: neither `lora_name` nor `lora_int_id` is 400, an unknown name 404.
   */
  unload(body: unknown): string {
    const name = field(body, "lora_name");
    const intId = (body as Record<string, unknown> | null | undefined)?.lora_int_id;
    if (name === undefined && !intId) {
      throw new VllmError(400, "either 'lora_name' and 'lora_int_id' needs to be provided.", {
        type: invalidUserInput,
      });
    }
    if (name === undefined || !this.#adapters.delete(name)) {
      throw new VllmError(404, `The lora adapter '${name ?? "None"}' cannot be found.`);
    }
    return `Success: LoRA adapter '${name}' removed successfully.`;
  }
}
