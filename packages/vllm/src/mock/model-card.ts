/**
 * `GET /v1/models`: the model list as vLLM builds it (vllm-openai.md §7, serving_models.py): one
 * card per served name, `owned_by` `vllm`, `root` the `--model` path, `max_model_len`, and one
 * permission entry.
 */

import type { LoraAdapter } from "./lora.js";
import { uuidHex } from "./request-id.js";

/** What the card says about the served model. */
export interface ServedModel {
  /**
   * The served name answers carry (the first `--served-model-name`; the InferenceService name on
   * the platform).
   */
  readonly id: string;
  /**
   * Every served name, `id` first: requests may name any, `/v1/models` lists a card for each
   * (vLLM's `base_model_paths`, serving_models.py). Default: `[id]`.
   */
  readonly names?: readonly string[];
  /** The `--model` path (`/mnt/models` on the platform). */
  readonly root: string;
  /** The context length in tokens. */
  readonly maxModelLen: number;
}

/** One entry of `GET /v1/models`. */
export interface ModelCard {
  readonly id: string;
  readonly object: "model";
  readonly created: number;
  readonly owned_by: "vllm";
  readonly root: string;
  readonly parent: string | null;
  readonly max_model_len: number | null;
  readonly permission: readonly ModelPermission[];
}

/** vLLM's (OpenAI's legacy) permission entry; vLLM fills fixed values (vllm-openai.md §7). */
export interface ModelPermission {
  readonly id: string;
  readonly object: "model_permission";
  readonly created: number;
  readonly allow_create_engine: false;
  readonly allow_sampling: true;
  readonly allow_logprobs: true;
  readonly allow_search_indices: false;
  readonly allow_view: true;
  readonly allow_fine_tuning: false;
  readonly organization: "*";
  readonly group: null;
  readonly is_blocking: false;
}

/**
 * The body of `GET /v1/models`; `created` is the unix time in seconds (vLLM: now). A card per
 * served name comes first, then one per LoRA adapter: `root` its path, `parent` its base model
 * (default the first served name), `max_model_len` null (vllm-openai.md §7). Each card has its
 * own permission entry with its own random id (pydantic's default factory).
 */
export function modelList(
  model: ServedModel,
  nowSeconds: number,
  adapters: readonly LoraAdapter[] = [],
): { object: "list"; data: ModelCard[] } {
  const permission = (): ModelPermission => ({
    id: `modelperm-${uuidHex()}`,
    object: "model_permission",
    created: nowSeconds,
    allow_create_engine: false,
    allow_sampling: true,
    allow_logprobs: true,
    allow_search_indices: false,
    allow_view: true,
    allow_fine_tuning: false,
    organization: "*",
    group: null,
    is_blocking: false,
  });
  const card = (id: string, root: string, parent: string | null, maxModelLen: number | null) => ({
    id,
    object: "model" as const,
    created: nowSeconds,
    owned_by: "vllm" as const,
    root,
    parent,
    max_model_len: maxModelLen,
    permission: [permission()],
  });
  const names = model.names ?? [model.id];
  return {
    object: "list",
    data: [
      ...names.map((name) => card(name, model.root, null, model.maxModelLen)),
      ...adapters.map((a) => card(a.name, a.path, a.baseModelName ?? model.id, null)),
    ],
  };
}
