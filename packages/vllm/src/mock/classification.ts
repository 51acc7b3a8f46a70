/**
 * `POST /classify` for a sequence-classification model (vLLM's ClassificationRequest,
 * serving_classification.py, protocol.py): one `data` item per input with the predicted
 * `label` (config.json `id2label` at the highest probability), the `probs` of every class and
 * `num_classes`. The class probabilities are deterministic and mean something: a text that shares
 * words with a label's name leans to that label (the engine's `embedText` vectors, as the
 * embeddings and scores use), and they sum to 1.
 */

import { cosineSimilarity, embedText } from "@servingkit/mock-core";
import { usageOf } from "./choices.js";
import { countEach, pooledText, poolingInputs, truncationSize } from "./embeddings.js";
import { badRequest } from "./errors.js";
import { releasedBy } from "./profiles.js";
import { uuidHex } from "./request-id.js";
import type { PromptInput } from "./requests.js";
import { checkModelName, type VllmModel } from "./served-model.js";
import { FieldReader } from "./validation.js";

/**
 * The release that added `/classify` (vLLM PR #17032, merged after 0.8.5: issue #17415 asks for
 * it on 0.8.5). Earlier releases answer FastAPI's 404.
 */
export const classifySince = "0.9.0";

/**
 * The release whose ClassificationRequest reads `activation` (PoolingParams `activation` for
 * classification outputs, beside `softmax` for reward models): false answers the raw logits.
 * Earlier releases ignore the field (OpenAIBaseModel lets unknown fields pass). vLLM PR #20538
 * ("activation supports per request control by PoolingParams") brought it with the embeddings'
 * `normalize`: reviewed on 2025-07-25, the day after v0.10.0's release, and dated to 0.10.1 by
 * xorbitsai/inference PR #4000's review (embeddings.ts reads `normalize` from the same release).
 */
export const classifyActivationSince = "0.10.1";

/**
 * The release whose ClassificationRequest reads `use_activation` (vLLM PR #25524, "softmax,
 * activation -> use_activation", in the 0.11.1 cut); `activation` stays as its deprecated alias
 * (pooling_params.py `get_use_activation`: "`activation` is deprecated and will be removed in
 * v0.15", a removal not pinned in any profiled release), and wins when both are given.
 */
export const useActivationSince = "0.11.1";

/**
 * The release whose `get_use_activation` reads the deprecated aliases' values. From
 * {@link useActivationSince} to before it, vllm/config/pooler.py wrote
 * `if activation := getattr(o, "activation", None) is not None:` (and the same for `softmax`):
 * Python binds the walrus to the comparison, so a given alias answers `True` whatever its value,
 * and `activation: false` still applies the activation. The fixed form, parenthesised and with
 * `normalize` read first, came with vLLM PR #32243 ("Replace `PoolingParams.normalize` with
 * `use_activation`", whose review thread still shows the unparenthesised form): the release of
 * embeddings.ts `embedUseActivationSince` (the same change; kept equal by a test).
 */
export const activationAliasValueSince = "0.17.0";

/**
 * Whether the classifier applies its activation for a request (pure): `activation` where the
 * release reads it (0.10.1 on; from 0.11.1 to before {@link activationAliasValueSince} any given
 * `activation` means true, get_use_activation's precedence bug), else `use_activation` (0.11.1
 * on), else undefined (the model's default: applied). `since` is the profile's first release.
 */
export function requestActivation(
  since: string,
  activation: boolean | undefined,
  useActivation: boolean | undefined,
): boolean | undefined {
  if (!releasedBy(since, classifyActivationSince)) return undefined;
  if (!releasedBy(since, useActivationSince)) return activation;
  if (activation !== undefined)
    return releasedBy(since, activationAliasValueSince) ? activation : true;
  return useActivation;
}

/**
 * The activation a classifier request asks for, read in the order pydantic reports the fields
 * (ClassificationRequest classification-extra-params, ScoreRequest score-extra-params,
 * RerankRequest rerank-extra-params: `softmax`, `activation`, `use_activation`). The deprecated
 * `softmax` is read from {@link useActivationSince} (the alias PR #25524 kept) and
 * get_use_activation reads it before `activation`, so it goes through {@link requestActivation}
 * as the alias does (any given value true before {@link activationAliasValueSince}).
 */
export function readRequestActivation(since: string, fields: FieldReader): boolean | undefined {
  const softmax = releasedBy(since, useActivationSince) ? fields.bool("softmax") : undefined;
  return requestActivation(
    since,
    softmax ?? fields.bool("activation"),
    fields.bool("use_activation"),
  );
}

/** vLLM's answer on a model that does not classify (api_server.py `create_classify`). */
export const classificationUnsupported = "The model does not support Classification API";

/** What config.json says of a classifier's head. */
export interface ClassifierHead {
  /** The label of each class, index order (`id2label`, else transformers' `LABEL_<i>`). */
  readonly labels: readonly string[];
}

/**
 * Whether config.json names a sequence-classification architecture (`architectures` such as
 * `Qwen2ForSequenceClassification`, `BertForSequenceClassification`): vLLM's `--task auto`
 * serves such a model as a classifier (docs models/pooling_models "Classification").
 */
export function isSequenceClassifier(config: Readonly<Record<string, unknown>>): boolean {
  const architectures = config.architectures;
  return (
    Array.isArray(architectures) &&
    architectures.some((a) => typeof a === "string" && a.endsWith("ForSequenceClassification"))
  );
}

/**
 * The classifier head as transformers' PretrainedConfig reads config.json: `id2label` (string
 * keys "0", "1" ...) gives the labels; else `num_labels` classes named `LABEL_<i>`; else 2.
 */
export function classifierHead(config: Readonly<Record<string, unknown>>): ClassifierHead {
  const id2label = config.id2label;
  if (typeof id2label === "object" && id2label !== null && !Array.isArray(id2label)) {
    const entries = Object.entries(id2label as Record<string, unknown>);
    if (entries.length > 0) {
      const labels = entries.map((_, i) => `LABEL_${i}`);
      for (const [key, value] of entries) {
        const i = Number(key);
        if (Number.isInteger(i) && i >= 0 && i < labels.length) labels[i] = String(value);
      }
      return { labels };
    }
  }
  const n = config.num_labels;
  const count = typeof n === "number" && Number.isInteger(n) && n > 0 ? n : 2;
  return { labels: Array.from({ length: count }, (_, i) => `LABEL_${i}`) };
}

/**
 * The head's logits for a text (the mock's own model): per class, 8 x the cosine of the text's
 * vector with the label's vector (shared words) plus 2 x one component of the text's unit vector
 * (so texts without a label's words still differ). Deterministic; `dim` is the model's
 * embedding width.
 */
export function classLogits(text: string, head: ClassifierHead, dim: number): number[] {
  const vector = embedText(text, dim);
  return head.labels.map(
    (label, i) => 8 * cosineSimilarity(vector, embedText(label, dim)) + 2 * (vector[i % dim] ?? 0),
  );
}

/**
 * The activation vLLM's classifier pooler applies: a sigmoid for one class (a cross-encoder's
 * score), else a softmax over the classes, so the probabilities sum to 1.
 */
export function classProbabilities(logits: readonly number[]): number[] {
  if (logits.length === 1) return [1 / (1 + Math.exp(-(logits[0] ?? 0)))];
  const top = Math.max(...logits);
  const exps = logits.map((l) => Math.exp(l - top));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/** The index of the highest value (the first on ties, numpy's argmax). */
function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if ((values[i] ?? 0) > (values[best] ?? 0)) best = i;
  return best;
}

/**
 * Whether the model answers `/classify`: served as a classifier, or as a scoring model whose
 * config.json is a sequence classifier (a cross-encoder is one; vLLM's supported tasks then hold
 * both "score" and "classify").
 */
export function supportsClassify(model: Pick<VllmModel, "task" | "spec">): boolean {
  return (
    model.task === "classify" || (model.task === "score" && isSequenceClassifier(model.spec.config))
  );
}

/** `input` as ClassificationRequest reads it; an empty list is no input (an empty answer). */
function classifyInputs(fields: FieldReader): PromptInput[] {
  const input = fields.raw("input");
  if (Array.isArray(input) && input.length === 0) return [];
  return poolingInputs(fields);
}

/**
 * Handles a `/classify` body for a model that {@link supportsClassify}; `counted` hears each
 * input's prompt tokens (the route counts them in /metrics, metrics.ts `countPooled`).
 */
export function classify(
  model: VllmModel,
  body: unknown,
  counted: (promptTokens: number) => void = () => {},
): object {
  const fields = new FieldReader(body);
  fields.finish();
  const name = fields.string("model");
  const items = classifyInputs(fields);
  const truncation = fields.int("truncate_prompt_tokens");
  // The profile's first release decides: 0.10.0 is a profile boundary.
  const activation = readRequestActivation(model.profile.since, fields);
  fields.finish();
  const modelName = checkModelName(model, name);
  // serving_classification.py `_preprocess`: an empty string input is refused before tokenizing
  // (a list holding one is not).
  if (fields.raw("input") === "") {
    throw badRequest("Input cannot be empty for classification");
  }
  const size = truncationSize(model, truncation);
  const head = classifierHead(model.spec.config);
  const counts: number[] = [];
  const data = items.map((item, index) => {
    const { text, tokens } = pooledText(model, item, size, "classification");
    counts.push(tokens);
    const logits = classLogits(text, head, model.spec.embeddingDim);
    const probs = activation === false ? logits : classProbabilities(logits);
    return {
      index,
      label: head.labels[argmax(probs)] ?? null,
      probs,
      num_classes: probs.length,
    };
  });
  // Counted once every input is pooled: a refused request counts nothing.
  const promptTokens = countEach(counts, counted);
  return {
    id: `classify-${uuidHex()}`,
    object: "list",
    created: model.nowSeconds(),
    model: modelName,
    data,
    usage: usageOf(promptTokens, 0, "answer"),
  };
}
