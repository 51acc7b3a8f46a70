/**
 * `GET /v1/models`: the model list as vLLM builds it (vllm-openai.md §7, serving_models.py): one
 * card per served name, `owned_by` `vllm`, `root` the `--model` path, `max_model_len`, and one
 * permission entry.
 */
import { randomUUID } from "node:crypto";
import type { LoraAdapter } from "./lora.js";

/** What the card says about the served model. */
export interface ServedModel {
  /** The served name (`--served-model-name`; the InferenceService name on the platform). */
  readonly id: string;
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
 * The body of `GET /v1/models`; `created` is the unix time in seconds (vLLM: now). The served
 * model's card comes first, then one per LoRA adapter: `root` its path, `parent` its base model
 * (default the served name), `max_model_len` null (vllm-openai.md §7).
 */
export function modelList(
  model: ServedModel,
  nowSeconds: number,
  adapters: readonly LoraAdapter[] = [],
): { object: "list"; data: ModelCard[] } {
  const permission: ModelPermission = {
    id: `modelperm-${randomUUID().replaceAll("-", "")}`,
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
  };
  const card: ModelCard = {
    id: model.id,
    object: "model",
    created: nowSeconds,
    owned_by: "vllm",
    root: model.root,
    parent: null,
    max_model_len: model.maxModelLen,
    permission: [permission],
  };
  const loraCards = adapters.map(
    (adapter): ModelCard => ({
      ...card,
      id: adapter.name,
      root: adapter.path,
      parent: adapter.baseModelName ?? model.id,
      max_model_len: null,
    }),
  );
  return { object: "list", data: [card, ...loraCards] };
}
