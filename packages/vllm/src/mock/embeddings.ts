/**
 * `POST /v1/embeddings` (vllm-openai.md §1, §5): for a model served as an embedding model
 * (`--task embed`), deterministic, meaningful vectors from the engine's `embedText` (texts that
 * share words score a higher cosine), `encoding_format` float or base64 (little-endian float32),
 * `dimensions` only for Matryoshka models; a generative model answers vLLM's "does not support"
 * 400 instead.
 */

import { embedText } from "@servingkit/mock-core";
import { usageOf } from "./choices.js";
import { badRequest, type VllmError } from "./errors.js";
import { completionPromptIds, truncatePrompt } from "./prompts.js";
import { uuidHex } from "./request-id.js";
import { checkModelName, type VllmModel } from "./served-model.js";
import { FieldReader } from "./validation.js";

/** vLLM's answer on a generative model (vllm-openai.md §1 `/v1/embeddings`). */
export const embeddingsUnsupported = "The model does not support Embeddings API";

function inputs(fields: FieldReader): ({ text: string } | { ids: number[] })[] {
  const input = fields.raw("input");
  const isIds = (v: unknown): v is number[] =>
    Array.isArray(v) &&
    v.length > 0 &&
    v.every((x) => typeof x === "number" && Number.isInteger(x));
  if (input === undefined) {
    fields.missing("input");
    return [];
  }
  if (typeof input === "string") return [{ text: input }];
  if (isIds(input)) return [{ ids: input }];
  if (Array.isArray(input) && input.length > 0) {
    if (input.every((i) => typeof i === "string")) return input.map((text) => ({ text }));
    if (input.every(isIds)) return input.map((ids) => ({ ids }));
  }
  fields.nested("string_type", ["input"], input);
  return [];
}

/**
 * The 400 for an input longer than `max_model_len` (an embedding input may fill it): era A's
 * embedding wording (vllm-openai.md §3.1); later eras use their input-length wording (derived).
 */
function tooLong(model: VllmModel, tokens: number): VllmError {
  const L = model.served.maxModelLen;
  if (model.profile.contextLength === "a") {
    return badRequest(
      `This model's maximum context length is ${L} tokens. However, you requested ${tokens} tokens in the input for embedding generation. Please reduce the length of the input.`,
    );
  }
  return badRequest(
    `This model's maximum context length is ${L} tokens. However, your request has ${tokens} input tokens. Please reduce the length of the input messages.`,
    ...(model.profile.contextLength === "c" ? ["input_tokens"] : []),
  );
}

function base64Of(vector: readonly number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString("base64");
}

function truncate(vector: readonly number[], dimensions: number): number[] {
  const cut = vector.slice(0, dimensions);
  const norm = Math.hypot(...cut) || 1;
  return cut.map((v) => v / norm);
}

/** Handles an embeddings body for an embedding model. */
export function embeddings(model: VllmModel, body: unknown): object {
  const fields = new FieldReader(body);
  fields.finish();
  const items = inputs(fields);
  const name = fields.string("model");
  const format = fields.string("encoding_format") ?? "float";
  const dimensions = fields.int("dimensions");
  // protocol.py EmbeddingCompletionRequest: `truncate_prompt_tokens: Field(ge=-1)`.
  const truncation = fields.intAtLeast("truncate_prompt_tokens", -1);
  fields.finish();
  // vllm-openai.md §7: the response names the LoRA adapter the request named.
  const modelName = checkModelName(model, name);
  const maxModelLen = model.served.maxModelLen;
  // serving_embedding.py (and the pooling server's _validate_request after it): a size above
  // max_model_len is refused without its numbers; -1 means max_model_len.
  const size = truncation !== undefined && truncation <= -1 ? maxModelLen : truncation;
  if (size !== undefined && size > maxModelLen) {
    throw badRequest(
      "truncate_prompt_tokens value is greater than max_model_len. Please, select a smaller truncation size.",
    );
  }
  if (format !== "float" && format !== "base64") {
    throw badRequest(`encoding_format must be 'float' or 'base64', got '${format}'`);
  }
  const matryoshka = model.spec.config.is_matryoshka === true;
  if (dimensions !== undefined && !matryoshka) {
    throw badRequest(
      `Model "${model.served.id}" does not support matryoshka representation, changing output dimensions will lead to poor results.`,
    );
  }
  if (dimensions !== undefined && (dimensions < 1 || dimensions > model.spec.embeddingDim)) {
    throw badRequest(
      `Dimensions must be between 1 and ${model.spec.embeddingDim}, got ${dimensions}.`,
    );
  }
  let promptTokens = 0;
  const data = items.map((item, index) => {
    const ids = truncatePrompt(completionPromptIds(model, item, true), size);
    if (ids.length > maxModelLen) throw tooLong(model, ids.length);
    promptTokens += ids.length;
    const text =
      "text" in item && size === undefined ? item.text : model.spec.tokenizer.decode(ids);
    const full = embedText(text, model.spec.embeddingDim);
    const vector = dimensions === undefined ? full : truncate(full, dimensions);
    return {
      index,
      object: "embedding",
      embedding: format === "base64" ? base64Of(vector) : vector,
    };
  });
  return {
    id: `embd-${uuidHex()}`,
    object: "list",
    created: model.nowSeconds(),
    model: modelName,
    data,
    usage: usageOf(promptTokens, 0, "answer"),
  };
}
