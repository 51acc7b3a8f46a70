/**
 * `POST /v1/embeddings` (vllm-openai.md §1, §5): for a model served as an embedding model
 * (`--task embed`), deterministic, meaningful vectors from the engine's `embedText` (texts that
 * share words score a higher cosine), `encoding_format` float or base64 (little-endian float32),
 * `dimensions` only for Matryoshka models; a generative model answers vLLM's "does not support"
 * 400 instead.
 */

import { embedText } from "@servingkit/mock-core";
import { usageOf } from "./choices.js";
import { classifyActivationSince, useActivationSince } from "./classification.js";
import { badRequest, type VllmError } from "./errors.js";
import { releasedBy } from "./profiles.js";
import { completionPromptIds, truncatePrompt } from "./prompts.js";
import { uuidHex } from "./request-id.js";
import type { PromptInput } from "./requests.js";
import { checkModelName, type VllmModel } from "./served-model.js";
import { FieldReader } from "./validation.js";

/** vLLM's answer on a generative model (vllm-openai.md §1 `/v1/embeddings`). */
export const embeddingsUnsupported = "The model does not support Embeddings API";

/**
 * A pooling request's `input` (protocol.py EmbeddingCompletionRequest, PoolingCompletionRequest):
 * a text, a list of texts, token ids or a list of token-id lists; anything else is pydantic's
 * issue on `input`, absence its `missing`.
 */
export function poolingInputs(fields: FieldReader): PromptInput[] {
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
 * The 400 for an input longer than `max_model_len` (a pooled input may fill it): era A's wording
 * names the operation, "embedding generation" for embeddings and /pooling, "classification" for
 * /classify, "score" for scoring (vllm-openai.md §3.1; serving_engine.py `_validate_input`);
 * later eras use their input-length wording (derived).
 */
export function tooLong(
  model: VllmModel,
  tokens: number,
  operation = "embedding generation",
): VllmError {
  const L = model.served.maxModelLen;
  if (model.profile.contextLength === "a") {
    return badRequest(
      `This model's maximum context length is ${L} tokens. However, you requested ${tokens} tokens in the input for ${operation}. Please reduce the length of the input.`,
    );
  }
  return badRequest(
    `This model's maximum context length is ${L} tokens. However, your request has ${tokens} input tokens. Please reduce the length of the input messages.`,
    ...(model.profile.contextLength === "c" ? ["input_tokens"] : []),
  );
}

/**
 * The `truncate_prompt_tokens` a pooling request keeps, in tokens, or undefined for none
 * (utils.py `_validate_truncation_size`, shared by the embedding, pooling and classification
 * servers): -1 means `max_model_len`; a size above it is refused without its numbers.
 */
export function truncationSize(
  model: VllmModel,
  truncation: number | undefined,
): number | undefined {
  const maxModelLen = model.served.maxModelLen;
  const size = truncation !== undefined && truncation <= -1 ? maxModelLen : truncation;
  if (size !== undefined && size > maxModelLen) {
    throw badRequest(
      "truncate_prompt_tokens value is greater than max_model_len. Please, select a smaller truncation size.",
    );
  }
  return size;
}

/**
 * What the pooler sees of one input: its text after `truncate_prompt_tokens` (`size`, tokens
 * kept from the end) and its token count, with special tokens as the tokenizer adds them.
 * Throws {@link tooLong} (naming `operation` in era A) when it exceeds `max_model_len`.
 */
export function pooledText(
  model: VllmModel,
  item: PromptInput,
  size: number | undefined,
  operation?: string,
): { readonly text: string; readonly tokens: number } {
  const ids = truncatePrompt(completionPromptIds(model, item, true), size);
  if (ids.length > model.served.maxModelLen) throw tooLong(model, ids.length, operation);
  const text = "text" in item && size === undefined ? item.text : model.spec.tokenizer.decode(ids);
  return { text, tokens: ids.length };
}

/**
 * Hands each input's prompt tokens to `counted`, in order, once a whole pooling request has
 * succeeded (a refused request counts nothing), and returns their sum for `usage`.
 */
export function countEach(
  counts: readonly number[],
  counted: (promptTokens: number) => void,
): number {
  let sum = 0;
  for (const tokens of counts) {
    sum += tokens;
    counted(tokens);
  }
  return sum;
}

/** A vector as base64 of its little-endian float32 bytes (OpenAI's and vLLM's `base64` format). */
export function base64Of(vector: readonly number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString("base64");
}

/**
 * The release whose embedding requests read `normalize` (vLLM PR #20538, "Pooling model
 * activation supports per request control by PoolingParams": PoolingParams `normalize` for embed
 * models, `activation` for classifiers; xorbitsai/inference PR #4000's review dates `normalize` to
 * 0.10.1). Earlier releases always normalize and let the field pass unread.
 */
export const normalizeSince = "0.10.1";

/**
 * The release whose embedding requests also read `use_activation`, `normalize` then being its
 * deprecated alias, read first (vllm/config/pooler.py `get_use_activation`: normalize, softmax,
 * activation, then use_activation; "`normalize` is deprecated and will be removed in v0.15").
 * Dated by xorbitsai/inference issue #4721 (vLLM 0.17.1's PoolingParams refuses `normalize`) and
 * PR #4729 ("adapt `normalize` param of vllm>0.16.0").
 */
export const embedUseActivationSince = "0.17.0";

/**
 * The activation fields a pooling request sends, each read only where the release defines it
 * (elsewhere OpenAIBaseModel lets it pass unread): `normalize` (embed, {@link normalizeSince}),
 * `activation` (classify, classification.ts `classifyActivationSince`), `use_activation`
 * (classification.ts `useActivationSince`) and `softmax` (the deprecated classify alias
 * of the {@link embedUseActivationSince} get_use_activation).
 */
export interface ActivationFields {
  readonly normalize: boolean | undefined;
  readonly softmax: boolean | undefined;
  readonly activation: boolean | undefined;
  readonly useActivation: boolean | undefined;
}

/**
 * Whether an embedding model L2-normalizes its output for a request (pure; default true, the
 * embed pooler's normalization): `normalize` from {@link normalizeSince}; from
 * {@link embedUseActivationSince} get_use_activation's order, `normalize`, then on `/pooling`
 * `softmax` and `activation`, then `use_activation`. `since` is the profile's first release.
 */
export function normalizesEmbedding(
  since: string,
  fields: ActivationFields,
  route: "embeddings" | "pooling",
): boolean {
  if (!releasedBy(since, normalizeSince)) return true;
  if (!releasedBy(since, embedUseActivationSince)) return fields.normalize ?? true;
  const aliases = route === "pooling" ? (fields.softmax ?? fields.activation) : undefined;
  return fields.normalize ?? aliases ?? fields.useActivation ?? true;
}

/**
 * The norm of the mock's un-normalized embedding, the pooled hidden state (our own model: a hidden
 * state of `dim` components of unit variance has a norm near sqrt(dim)).
 */
export function hiddenStateNorm(dim: number): number {
  return Math.sqrt(dim);
}

/**
 * An embedding model's output for a text: the engine's unit vector cut to `dimensions`
 * (Matryoshka) and L2-normalized again when `normalize`, else the raw pooled hidden state, cut
 * and not normalized (vLLM's embedding pooler head cuts to `dimensions` before it normalizes).
 */
export function embeddingOf(
  text: string,
  dim: number,
  normalize: boolean,
  dimensions?: number,
): number[] {
  const unit = embedText(text, dim);
  const cut = dimensions === undefined ? unit : unit.slice(0, dimensions);
  if (normalize) {
    if (dimensions === undefined) return unit;
    const norm = Math.hypot(...cut) || 1;
    return cut.map((v) => v / norm);
  }
  const scale = hiddenStateNorm(dim);
  return cut.map((v) => v * scale);
}

/**
 * The fields `/v1/embeddings` and `/pooling` share, read in the order vLLM's pydantic models
 * report them (protocol.py EmbeddingCompletionRequest and PoolingCompletionRequest, both with
 * `truncate_prompt_tokens: Field(ge=-1)`), and the model name the answer carries (the LoRA adapter
 * the request named, vllm-openai.md §7). Each route checks the values in its own order.
 */
export interface PooledBody {
  readonly items: PromptInput[];
  /** The served model or adapter name the answer carries. */
  readonly modelName: string;
  /** `encoding_format` as sent; "float" when absent (see {@link checkEncodingFormat}). */
  readonly format: string;
  readonly dimensions: number | undefined;
  readonly truncation: number | undefined;
  /** The activation fields the release reads ({@link ActivationFields}). */
  readonly activation: ActivationFields;
}

/**
 * Reads a {@link PooledBody} for a route (default `/v1/embeddings`); a wrong field or an unknown
 * model is the 400 / 404. `/pooling` reads the deprecated classify alias `softmax` from
 * classification.ts `useActivationSince` (PoolingRequest carries the classify fields), the
 * embeddings route only from {@link embedUseActivationSince}.
 */
export function readPooledBody(
  model: VllmModel,
  body: unknown,
  route: "embeddings" | "pooling" = "embeddings",
): PooledBody {
  const fields = new FieldReader(body);
  fields.finish();
  const items = poolingInputs(fields);
  const name = fields.string("model");
  const format = fields.string("encoding_format") ?? "float";
  const dimensions = fields.int("dimensions");
  const truncation = fields.intAtLeast("truncate_prompt_tokens", -1);
  const since = model.profile.since;
  const readFrom = (field: string, release: string) =>
    releasedBy(since, release) ? fields.bool(field) : undefined;
  const activation: ActivationFields = {
    normalize: readFrom("normalize", normalizeSince),
    softmax: readFrom(
      "softmax",
      route === "pooling" ? useActivationSince : embedUseActivationSince,
    ),
    activation: readFrom("activation", classifyActivationSince),
    useActivation: readFrom("use_activation", useActivationSince),
  };
  fields.finish();
  const modelName = checkModelName(model, name);
  return { items, modelName, format, dimensions, truncation, activation };
}

/** vLLM's 400 for an `encoding_format` other than float or base64. */
export function checkEncodingFormat(format: string): void {
  if (format !== "float" && format !== "base64") {
    throw badRequest(`encoding_format must be 'float' or 'base64', got '${format}'`);
  }
}

/**
 * Handles an embeddings body for an embedding model; `counted` hears each input's prompt tokens
 * once every input is embedded (the route counts them in /metrics, metrics.ts `countPooled`: vLLM
 * sends each input to the engine as its own request, serving_engine.py `request_id-i`).
 */
export function embeddings(
  model: VllmModel,
  body: unknown,
  counted: (promptTokens: number) => void = () => {},
): object {
  const { items, modelName, format, dimensions, truncation, activation } = readPooledBody(
    model,
    body,
  );
  const size = truncationSize(model, truncation);
  checkEncodingFormat(format);
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
  const normalize = normalizesEmbedding(model.profile.since, activation, "embeddings");
  const counts: number[] = [];
  const data = items.map((item, index) => {
    const { text, tokens } = pooledText(model, item, size);
    counts.push(tokens);
    const vector = embeddingOf(text, model.spec.embeddingDim, normalize, dimensions);
    return {
      index,
      object: "embedding",
      embedding: format === "base64" ? base64Of(vector) : vector,
    };
  });
  const promptTokens = countEach(counts, counted);
  return {
    id: `embd-${uuidHex()}`,
    object: "list",
    created: model.nowSeconds(),
    model: modelName,
    data,
    usage: usageOf(promptTokens, 0, "answer"),
  };
}
