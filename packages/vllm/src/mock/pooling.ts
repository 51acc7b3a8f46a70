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
import { releasedBy } from "./profiles.js";
import { uuidHex } from "./request-id.js";
import type { VllmModel } from "./served-model.js";

/**
 * The release that added `/pooling` (vLLM PR #11457 "Online Pooling API", merged 2024-12-24,
 * first in 0.6.6). Earlier releases answer FastAPI's 404. Compared with the exact release
 * (settings.version): 0.6.6 lies inside the oldest profile.
 */
export const poolingSince = "0.6.6";

/**
 * The first profile whose API server registers a pooling route only for a model serving its task:
 * v0.16.0's `build_app` takes the engine's `supported_tasks` (v0.16.0 API docs,
 * vllm/entrypoints/openai/api_server.py) and includes the pooling routers only for a pooling
 * model (`if any(task in POOLING_TASKS ...)`), `/classify` only for "classify", `/v1/embeddings`
 * only for "embed", `/score` and `/rerank` for "score" or "embed" (vllm/entrypoints/pooling
 * `register_pooling_api_routers(app, supported_tasks)`). Up to 0.15.x every model has the routes
 * (v0.13.0's `register_pooling_api_routers(app)` includes all four; v0.15.0's
 * `init_pooling_state` reads the tasks itself) and a handler the model lacks answers the
 * does-not-support 400.
 */
export const routesByTaskSince = "0.16.0";

/**
 * Whether a release serves a pooling route for a model (pure): always before
 * {@link routesByTaskSince}, where the handler refuses what the model does not `support`; from it
 * only when the model supports the route, else FastAPI's 404. `since` is the profile's first
 * release.
 */
export function poolingRouteServed(since: string, supported: boolean): boolean {
  return supported || !releasedBy(since, routesByTaskSince);
}

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
  // get_use_activation reads the deprecated `softmax` before `activation` (from 0.11.1).
  const activate =
    requestActivation(since, fields.softmax ?? fields.activation, fields.useActivation) !== false;
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
    "pooling",
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
