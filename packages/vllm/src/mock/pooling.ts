/**
 * `POST /pooling` for any pooling model (vLLM's PoolingRequest, serving_pooling.py, protocol.py):
 * the pooler's raw output per input, `{index, object: "pooling", data}`: the embedding vector
 * for an embedding model, the class probabilities for a classifier or scoring model (the same
 * values `/v1/embeddings` and `/classify` answer), `encoding_format` float or base64.
 */

import { usageOf } from "./choices.js";
import {
  classifierHead,
  classLogits,
  classProbabilities,
  requestActivation,
} from "./classification.js";
import {
  type ActivationFields,
  base64Of,
  checkEncodingFormat,
  countEach,
  embeddingOf,
  normalizesEmbedding,
  pooledText,
  readPooledBody,
  truncationSize,
} from "./embeddings.js";
import { badRequest } from "./errors.js";
import { uuidHex } from "./request-id.js";
import type { VllmModel } from "./served-model.js";

/**
 * The release that added `/pooling` (vLLM PR #11457 "Online Pooling API", merged 2024-12-24,
 * first in 0.6.6). Earlier releases answer FastAPI's 404. Compared with the exact release
 * (settings.version): 0.6.6 lies inside the oldest profile.
 */
export const poolingSince = "0.6.6";

/** vLLM's answer on a generative model (api_server.py `create_pooling`). */
export const poolingUnsupported = "The model does not support Pooling API";

/** Whether the model answers `/pooling`: any model vLLM runs with the pooling runner. */
export function supportsPooling(model: Pick<VllmModel, "task">): boolean {
  return model.task !== "generate";
}

/**
 * How the pooler treats one request's outputs, from its activation fields: an embedding model
 * normalizes or not (embeddings.ts `normalizesEmbedding`), a classifier applies its activation or
 * answers the raw logits (classification.ts `requestActivation`, as `/classify` reads them: the
 * same PoolingParams `use_activation`).
 */
function pooler(model: VllmModel, fields: ActivationFields): (text: string) => number[] {
  const dim = model.spec.embeddingDim;
  const since = model.profile.since;
  if (model.task === "embed") {
    const normalize = normalizesEmbedding(since, fields, "pooling");
    return (text) => embeddingOf(text, dim, normalize);
  }
  const head = classifierHead(model.spec.config);
  const activate = requestActivation(since, fields.activation, fields.useActivation) !== false;
  return (text) => {
    const logits = classLogits(text, head, dim);
    return activate ? classProbabilities(logits) : logits;
  };
}

/**
 * Handles a `/pooling` body for a model that {@link supportsPooling}; `counted` hears each
 * input's prompt tokens (the route counts them in /metrics, metrics.ts `countPooled`).
 */
export function pooling(
  model: VllmModel,
  body: unknown,
  counted: (promptTokens: number) => void = () => {},
): object {
  const { items, modelName, format, dimensions, truncation, activation } = readPooledBody(
    model,
    body,
  );
  // serving_pooling.py `create_pooling`: checked before anything else is read.
  if (dimensions !== undefined) throw badRequest("dimensions is currently not supported");
  checkEncodingFormat(format);
  const size = truncationSize(model, truncation);
  const pooled = pooler(model, activation);
  const counts: number[] = [];
  const data = items.map((item, index) => {
    const { text, tokens } = pooledText(model, item, size);
    counts.push(tokens);
    const vector = pooled(text);
    return { index, object: "pooling", data: format === "base64" ? base64Of(vector) : vector };
  });
  // Counted once every input is pooled: a refused request counts nothing.
  const promptTokens = countEach(counts, counted);
  return {
    id: `pool-${uuidHex()}`,
    object: "list",
    created: model.nowSeconds(),
    model: modelName,
    data,
    usage: usageOf(promptTokens, 0, "answer"),
  };
}
