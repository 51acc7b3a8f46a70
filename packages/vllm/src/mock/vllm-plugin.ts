/**
 * vLLM's routes as a host-neutral route table, each calling a pure handler (the plugin registers
 * it on the host's fastify app, `@servingkit/msw` serves it too), and vLLM's answers to the errors
 * the host raises (envelope per profile, 400 for bodies it cannot read). vLLM's API key guards
 * the `/v1` routes here; platform auth stays the host's.
 */
import {
  type BodyError,
  type CannedReply,
  type Clock,
  type EngineLogger,
  EngineMetrics,
  fastApiJsonInvalid,
  GenerationRequestError,
  type MockPlugin,
  type RestRequestHead,
  type RestRoute,
  type RestRouteReply,
  type RestRouteRequest,
  type RestRouteTable,
  registerRestRouteTable,
  resolveHooks,
  runtimePlugin,
  swaggerUiHtml,
  untilStreamEnd,
  wrapBaseHealthRoutes,
} from "@servingkit/mock-core";
import {
  anthropicChatBody,
  anthropicCountBody,
  anthropicCountTokens,
  anthropicErrorReply,
  anthropicMessage,
  parseAnthropicCountTokens,
  parseAnthropicRequest,
} from "./anthropic-messages.js";
import { anthropicStream } from "./anthropic-stream.js";
import { apiKeyGuard } from "./api-key.js";
import { chatBatchCompletion, chatBatchSince, parseChatBatch } from "./chat-batch.js";
import { chatCompletion, chatCompletionStream } from "./chat-completions.js";
import type { RunSignal } from "./choices.js";
import {
  classificationUnsupported,
  classify,
  classifySince,
  supportsClassify,
} from "./classification.js";
import { completion, completionStream } from "./completions.js";
import { embeddings, embeddingsUnsupported } from "./embeddings.js";
import { badRequest, errorReply, VllmError } from "./errors.js";
import { countPooled, createVllmMetrics } from "./metrics.js";
import { modelList } from "./model-card.js";
import { openApiDocument } from "./openapi.js";
import {
  pooling,
  poolingRouteServed,
  poolingSince,
  poolingUnsupported,
  supportsPooling,
} from "./pooling.js";
import { releasedBy } from "./profiles.js";
import { issuesText } from "./pydantic-errors.js";
import { withRequestIdHeader, withRequestIdHeaders } from "./request-id.js";
import { parseChatRequest, parseCompletionRequest, type Sampling } from "./requests.js";
import {
  checkResponseId,
  createResponse,
  prepareResponse,
  ResponseStore,
  retrieveResponse,
} from "./responses.js";
import { parseResponsesRequest } from "./responses-request.js";
import {
  backgroundResponseStream,
  failingStream,
  readRetrieveQuery,
  responseStream,
  storedResponseStream,
} from "./responses-stream.js";
import { rerank, score, supportsScore } from "./scoring.js";
import {
  checkModelName,
  type LoadedModel,
  startModel,
  taskDeprecation,
  type VllmModel,
} from "./served-model.js";
import type { VllmSettings } from "./settings.js";
import { systemFingerprint } from "./system-fingerprint.js";
import { detokenize, tokenize } from "./tokenize.js";
import { wireJson } from "./wire-json.js";

/** What the plugin serves. */
export interface VllmPluginOptions {
  /** The settings read from the module's options. */
  readonly settings: VllmSettings;
  /** The loaded model (card, tokenizer, template). */
  readonly loaded: LoadedModel;
}

/** What vLLM's route table needs from its host. */
export interface VllmRestTableOptions extends VllmPluginOptions {
  /** The clock for timestamps, metrics and generation timing. */
  readonly clock: Clock;
  /** Ends open generations and the engine's timers when the host shuts down (default: never). */
  readonly shutdownSignal?: AbortSignal;
  /** Receives the engine's start-up and stats lines (`--gpu`); default: none. */
  readonly logger?: EngineLogger;
}

/** JSON answers' headers: one shared object (hosts only read them; request-id.ts copies). */
const jsonHeaders: Readonly<Record<string, string>> = Object.freeze({
  "content-type": "application/json",
});

function json(status: number, body: unknown): RestRouteReply {
  return { status, headers: jsonHeaders, body: wireJson(body) };
}

/**
 * `reply` with another body. Spelled out rather than `{ ...reply, body }`: V8 builds a fresh map
 * for every spread followed by more keys (about 2 µs a key), and streams pass here per request.
 */
function withBody(reply: RestRouteReply, body: RestRouteReply["body"]): RestRouteReply {
  return reply.headers === undefined
    ? { status: reply.status, body }
    : { status: reply.status, headers: reply.headers, body };
}

/** JSON routes: a non-JSON body is a validation error (newer vLLM, vllm-openai.md §1). */
function jsonBody(request: RestRouteRequest): unknown {
  if (Buffer.isBuffer(request.body)) {
    throw badRequest("Unsupported Media Type: Only 'application/json' is allowed");
  }
  return request.body;
}

function text(status: number, body: string): RestRouteReply {
  // Starlette's Response(content=str) without a media type: no content-type header.
  return { status, body };
}

/**
 * vLLM's REST surface as host-neutral route tables (mock-core): every route calls a pure
 * handler; vLLM's `--api-key` middleware runs before the body is read (the table's `onRequest`),
 * and before routing: the paths and methods no route takes reach it through {@link vllmPlugin}'s
 * 404/405 hooks. The fastify plugin and `@servingkit/msw` both serve them, in order.
 */
export function vllmRestTables(options: VllmRestTableOptions): RestRouteTable[] {
  const { settings, loaded, clock } = options;
  const { profile } = settings;
  const shutdown = options.shutdownSignal;
  const fail = (error: unknown): RestRouteReply => {
    if (error instanceof VllmError) return errorReply(profile, error);
    if (error instanceof GenerationRequestError) {
      return errorReply(profile, badRequest(error.message));
    }
    throw error;
  };
  // The engine keeps vLLM's metrics in `state`; /metrics renders them.
  const state = new EngineMetrics(loaded.served.maxModelLen);
  // served-model.ts taskDeprecation: 0.10.1-0.12.x warn at start-up that --task is deprecated,
  // before the runner is resolved (vllm/config/model.py __post_init__ warns, then raises "This
  // model does not support `--runner generate`."), so a failed start logs it first.
  const deprecation = taskDeprecation(settings, loaded.spec);
  if (deprecation !== undefined) options.logger?.info(deprecation);
  const started = startModel(loaded, settings, clock, {
    metrics: state,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  shutdown?.addEventListener("abort", started.close, { once: true });
  const gpuCore = started.gpu?.engine.core;
  const metrics = createVllmMetrics({
    modelName: loaded.served.id,
    era: profile.metrics,
    state,
    ...(settings.enableLora && {
      lora: {
        registry: started.model.loras,
        maxLoras: settings.maxLoras,
        // Under --gpu the scheduler knows which adapters run and which wait for a slot.
        ...(gpuCore && { adapters: () => gpuCore.loraAdapters() }),
      },
    }),
    ...(started.gpu && loaded.gpu
      ? { gpu: { settings: loaded.gpu, capacity: started.gpu.capacity } }
      : {}),
  });
  const model: VllmModel = started.model;
  // vllm PR #40537 (0.21.0): computed once at start-up in the --fingerprint-mode asked, stamped
  // on chat and completions answers and on their streams' final message.
  const fingerprint = profile.systemFingerprint
    ? systemFingerprint(
        {
          version: settings.version,
          model: loaded.served.id,
          maxModelLen: loaded.served.maxModelLen,
          tensorParallelSize: loaded.gpu?.tensorParallelSize ?? 1,
          expertParallel: loaded.gpu?.enableExpertParallel === true,
          device: loaded.gpu?.device.name,
          dtype: loaded.gpu?.model.dtype,
        },
        settings.fingerprint,
      )
    : null;
  // vllm-openai.md §1: /load counts the generation requests in flight (a stream until it ends).
  let load = 0;
  const runs = generationRuns(shutdown);
  /**
   * A generation route: counted in /load until its answer ends, its engine run watching
   * `run.signal` (the client leaving or, on a host that shuts down, the shutdown), made when the
   * handler first reads it.
   */
  // A handler's answer may come at once (a non-streaming completion on the unpaced engine): then
  // it goes back at once too, with no promise in between, and no signal made.
  const counted =
    (
      handle: (
        request: RestRouteRequest,
        run: RunSignal,
      ) => RestRouteReply | Promise<RestRouteReply>,
    ) =>
    (request: RestRouteRequest): RestRouteReply | Promise<RestRouteReply> => {
      load += 1;
      const run = runs.begin(request);
      const end = () => {
        load -= 1;
        run.end();
      };
      let answer: RestRouteReply | Promise<RestRouteReply>;
      try {
        answer = handle(request, run);
      } catch (error) {
        end();
        throw error;
      }
      return answer instanceof Promise
        ? answer.then(
            (settled) => untilAnswered(settled, end),
            (error: unknown) => {
              end();
              throw error;
            },
          )
        : untilAnswered(answer, end);
    };
  const stream = (frames: AsyncIterable<string>): RestRouteReply => ({
    status: 200,
    headers: {
      // Starlette's StreamingResponse adds the charset to a text/* media type.
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
    },
    body: frames,
  });
  const routes: RestRoute[] = [];
  const get = (path: string, handle: RestRoute["handle"]) =>
    routes.push({ method: "GET", path, handle });
  const post = (path: string, handle: RestRoute["handle"]) =>
    routes.push({ method: "POST", path, handle });
  /** A JSON route answering 200 with what `run` returns, or vLLM's error reply. */
  const jsonRoute = (run: (body: unknown) => unknown) => (request: RestRouteRequest) => {
    try {
      return json(200, run(jsonBody(request)));
    } catch (error) {
      return fail(error);
    }
  };

  get("/version", () => json(200, { version: settings.version }));
  get("/load", () => json(200, { server_load: load }));
  get("/openapi.json", () =>
    json(
      200,
      openApiDocument({
        runtimeLora: settings.runtimeLoraUpdating,
        responses: profile.responses !== undefined,
        anthropicMessages: profile.anthropicMessages,
        anthropicCountTokens: profile.anthropicCountTokens,
        pooling:
          releasedBy(settings.version, poolingSince) &&
          poolingRouteServed(profile.since, supportsPooling(model)),
        classify:
          releasedBy(settings.version, classifySince) &&
          poolingRouteServed(profile.since, supportsClassify(model)),
        embeddings: poolingRouteServed(profile.since, model.task === "embed"),
        scoring: poolingRouteServed(profile.since, supportsScore(model)),
        chatBatch: releasedBy(settings.version, chatBatchSince),
      }),
    ),
  );
  get("/docs", () => ({
    status: 200,
    headers: { "content-type": "text/html; charset=utf-8" },
    // FastAPI's default title: the app's title ("FastAPI") and " - Swagger UI".
    body: swaggerUiHtml({ openapiUrl: "/openapi.json", title: "FastAPI - Swagger UI" }),
  }));
  // vllm-openai.md §1, §2: Prometheus text, outside /v1 so the API key does not guard it.
  get("/metrics", async () => ({
    status: 200,
    headers: { "content-type": metrics.contentType },
    body: await metrics.text(),
  }));
  get("/v1/models", () =>
    json(200, modelList(model.served, model.nowSeconds(), model.loras.list())),
  );
  // vllm-openai.md §1, §7: runtime LoRA routes only with VLLM_ALLOW_RUNTIME_LORA_UPDATING.
  if (settings.runtimeLoraUpdating) {
    const loraRoute = (run: (body: unknown) => string) => (request: RestRouteRequest) => {
      try {
        return text(200, run(jsonBody(request)));
      } catch (error) {
        return fail(error);
      }
    };
    post(
      "/v1/load_lora_adapter",
      loraRoute((body) => model.loras.load(body)),
    );
    post(
      "/v1/unload_lora_adapter",
      loraRoute((body) => model.loras.unload(body)),
    );
  }
  /**
   * A generation naming a LoRA adapter counts as one of the adapter's running requests until its
   * answer ends (`vllm:lora_requests_info`, vllm-openai.md §8).
   */
  const forAdapter = <A extends RestRouteReply | Promise<RestRouteReply>>(
    name: string | undefined,
    answer: () => A,
  ): A | Promise<RestRouteReply> =>
    // No adapter (the usual case): the answer itself, with no async layer around it.
    name === undefined || !model.loras.has(name) ? answer() : forNamedAdapter(name, answer);
  /** Throws a request's `guidedFailure` once its model is known (else the model's 404). */
  const failAfterModelCheck = (parsed: Sampling & { readonly model: string | undefined }) => {
    checkModelName(model, parsed.model);
    throw parsed.guidedFailure;
  };
  const forNamedAdapter = async (
    name: string,
    answer: () => RestRouteReply | Promise<RestRouteReply>,
  ): Promise<RestRouteReply> => {
    const release = model.loras.begin(name);
    let reply: RestRouteReply;
    try {
      reply = await answer();
    } catch (error) {
      release();
      throw error;
    }
    if (typeof reply.body === "string" || reply.body instanceof Uint8Array) {
      release();
      return reply;
    }
    return withBody(reply, untilStreamEnd(reply.body, release));
  };
  post(
    "/tokenize",
    jsonRoute((body) => tokenize(model, body)),
  );
  post(
    "/detokenize",
    jsonRoute((body) => detokenize(model, body)),
  );
  /** vllm-openai.md §3: a route the model's task lacks answers 400 "does not support". */
  const needTask = (task: VllmModel["task"], api: string) => {
    if (model.task !== task) throw badRequest(`The model does not support ${api}`);
  };
  // metrics.ts countPooled: each pooled input (an embedded text, a scored pair, a classified or
  // pooled input) is one finished request in /metrics.
  const pooledCount = (promptTokens: number) => countPooled(state, promptTokens);
  // pooling.ts poolingRouteServed: from 0.16.0 a pooling route exists only for a model serving
  // its task (else FastAPI's 404); earlier the handler answers the does-not-support 400.
  const served = (supported: boolean) => poolingRouteServed(profile.since, supported);
  if (served(model.task === "embed")) {
    post(
      "/v1/embeddings",
      jsonRoute((body) => {
        if (model.task !== "embed") throw badRequest(embeddingsUnsupported);
        return embeddings(model, body, pooledCount);
      }),
    );
  }
  // vllm-openai.md §1: /score and /v1/score; /rerank, /v1/rerank and /v2/rerank.
  const scoring = (
    handler: (m: VllmModel, body: unknown, counted: (promptTokens: number) => void) => object,
    api: string,
  ) =>
    jsonRoute((body) => {
      // scoring.ts supportsScore: a scoring model, or an embedding model as a bi-encoder.
      if (!supportsScore(model)) throw badRequest(`The model does not support ${api}`);
      return handler(model, body, pooledCount);
    });
  if (served(supportsScore(model))) {
    for (const path of ["/score", "/v1/score"]) post(path, scoring(score, "Score API"));
    for (const path of ["/rerank", "/v1/rerank", "/v2/rerank"]) {
      post(path, scoring(rerank, "Rerank (Score) API"));
    }
  }
  // vllm-openai.md §1: /pooling (since 0.6.6) for any pooling model, /classify (since 0.9.0)
  // for a classifier; a release before either has no such route (FastAPI's 404).
  if (releasedBy(settings.version, poolingSince) && served(supportsPooling(model))) {
    post(
      "/pooling",
      jsonRoute((body) => {
        if (!supportsPooling(model)) throw badRequest(poolingUnsupported);
        return pooling(model, body, pooledCount);
      }),
    );
  }
  if (releasedBy(settings.version, classifySince) && served(supportsClassify(model))) {
    post(
      "/classify",
      jsonRoute((body) => {
        if (!supportsClassify(model)) throw badRequest(classificationUnsupported);
        return classify(model, body, pooledCount);
      }),
    );
  }
  post(
    "/v1/completions",
    counted((request, run) => {
      try {
        needTask("generate", "Completions API");
        const parsed = parseCompletionRequest(
          jsonBody(request),
          request.headers["x-request-id"],
          profile.guidedFields,
          profile,
        );
        const reply = forAdapter(parsed.model, () => {
          // requests.ts guidedFailure: to_sampling_params raises after the model check.
          if (parsed.guidedFailure !== undefined) failAfterModelCheck(parsed);
          if (parsed.stream) {
            return stream(completionStream(model, parsed, run.signal, fingerprint));
          }
          const whole = completion(model, parsed, run, fingerprint);
          return whole instanceof Promise
            ? whole.then((settled) => json(200, settled))
            : json(200, whole);
        });
        return reply instanceof Promise ? reply.catch(fail) : reply;
      } catch (error) {
        return fail(error);
      }
    }),
  );
  post(
    "/v1/chat/completions",
    counted(async (request, { signal }) => {
      try {
        needTask("generate", "Chat Completions API");
        const parsed = parseChatRequest(
          jsonBody(request),
          request.headers["x-request-id"],
          profile.guidedFields,
          profile,
        );
        return await forAdapter(parsed.model, async () => {
          // requests.ts guidedFailure: to_sampling_params raises after the model check.
          if (parsed.guidedFailure !== undefined) failAfterModelCheck(parsed);
          return parsed.stream
            ? stream(chatCompletionStream(model, parsed, signal, fingerprint))
            : json(200, await chatCompletion(model, parsed, signal, fingerprint));
        });
      } catch (error) {
        return fail(error);
      }
    }),
  );
  // vllm PR #38011 (v0.19.0 release notes): N conversations in one non-streaming chat answer.
  if (releasedBy(settings.version, chatBatchSince)) {
    post(
      "/v1/chat/completions/batch",
      counted(async (request, { signal }) => {
        try {
          needTask("generate", "Chat Completions API");
          const batch = parseChatBatch(
            model,
            jsonBody(request),
            request.headers["x-request-id"],
            profile.guidedFields,
            profile,
          );
          return json(200, await chatBatchCompletion(model, batch, signal, fingerprint));
        } catch (error) {
          return fail(error);
        }
      }),
    );
  }
  // vllm-openai.md §1: the Responses API (≈v0.10+), non-harmony path (responses.ts).
  if (profile.responses !== undefined) {
    const store = new ResponseStore(settings.responsesStore);
    shutdown?.addEventListener("abort", () => store.close(), { once: true });
    const era = profile.responses;
    post(
      "/v1/responses",
      counted(async (request, { signal }) => {
        try {
          needTask("generate", "Responses API");
          const parsed = parseResponsesRequest(jsonBody(request), era);
          const prepared = prepareResponse(model, store, parsed);
          // requests.ts guidedFailure: to_sampling_params raises after the model check.
          if (parsed.guidedFailure !== undefined) failAfterModelCheck(parsed);
          // Before non-harmony streaming, the background branch comes first (profiles.ts).
          const streamed = parsed.stream && (era.streaming === "served" || !parsed.background);
          if (streamed && era.streaming === "uncaught") return starletteServerError;
          if (streamed && era.streaming === "after-headers") {
            return stream(
              failingStream("Streaming is not supported for responses API without Harmony."),
            );
          }
          return await forAdapter(parsed.model, async () =>
            streamed
              ? stream(
                  parsed.background
                    ? backgroundResponseStream(model, store, prepared)
                    : responseStream(model, store, prepared, signal),
                )
              : json(200, await createResponse(model, store, prepared, signal)),
          );
        } catch (error) {
          return fail(error);
        }
      }),
    );
    get("/v1/responses/:response_id", (request) => {
      try {
        const id = request.params.response_id ?? "";
        // Before background streaming the route takes no query (profiles.ts ResponsesEra.streaming).
        const query =
          era.streaming === "served"
            ? readRetrieveQuery(request.query)
            : { stream: false, startingAfter: undefined };
        checkResponseId(era, id);
        const response = retrieveResponse(store, id);
        return query.stream
          ? stream(storedResponseStream(store, id, query.startingAfter))
          : json(200, response);
      } catch (error) {
        return fail(error);
      }
    });
    post("/v1/responses/:response_id/cancel", (request) => {
      try {
        const id = request.params.response_id ?? "";
        checkResponseId(era, id);
        return json(200, store.cancel(id));
      } catch (error) {
        return fail(error);
      }
    });
  }
  // Anthropic's Messages API from v0.11.1 (anthropic-messages.ts): a body vLLM's pydantic model
  // refuses answers in the OpenAI envelope (its validation handler), the handler's errors in
  // Anthropic's.
  if (profile.anthropicMessages) {
    const anthropicFail = (error: unknown): RestRouteReply => {
      if (error instanceof VllmError) return anthropicErrorReply(error);
      if (error instanceof GenerationRequestError) {
        return anthropicErrorReply(badRequest(error.message));
      }
      throw error;
    };
    post(
      "/v1/messages",
      counted(async (request, { signal }) => {
        let parsed: ReturnType<typeof parseAnthropicRequest>;
        try {
          parsed = parseAnthropicRequest(jsonBody(request));
        } catch (error) {
          return fail(error);
        }
        try {
          needTask("generate", "Messages API");
          const chat = parseChatRequest(
            anthropicChatBody(parsed),
            request.headers["x-request-id"],
            profile.guidedFields,
            profile,
          );
          return await forAdapter(chat.model, async () =>
            chat.stream
              ? stream(anthropicStream(chatCompletionStream(model, chat, signal)))
              : json(200, anthropicMessage(await chatCompletion(model, chat, signal))),
          );
        } catch (error) {
          return anthropicFail(error);
        }
      }),
    );
    // vllm PR #35588 (v0.17.0): the prompt side of /v1/messages, rendered and counted.
    if (profile.anthropicCountTokens) {
      post("/v1/messages/count_tokens", (request) => {
        let parsed: ReturnType<typeof parseAnthropicCountTokens>;
        try {
          parsed = parseAnthropicCountTokens(jsonBody(request));
        } catch (error) {
          return fail(error);
        }
        try {
          needTask("generate", "Messages API");
          const chat = parseChatRequest(
            anthropicCountBody(parsed),
            request.headers["x-request-id"],
          );
          return json(200, anthropicCountTokens(model, chat));
        } catch (error) {
          return anthropicFail(error);
        }
      });
    }
  }
  // Without --api-key the guard lets everything through (api-key.ts): no hook to run per request.
  // With a shutdown signal, the host's request signal covers it (generationRuns).
  const abortOnShutdown = shutdown !== undefined;
  const table: RestRouteTable =
    settings.apiKey === undefined
      ? { routes, abortOnShutdown }
      : { routes, abortOnShutdown, onRequest: apiKeyGuard(settings.apiKey) };
  // vllm-openai.md §1: --enable-request-id-headers puts X-Request-Id on every response.
  return [settings.requestIdHeaders ? withRequestIdHeaders(table) : table];
}

/**
 * Starlette's answer for an exception no handler catches (ServerErrorMiddleware's
 * PlainTextResponse; the charset added to a text/* type), as vLLM 0.10.0 answers a Responses
 * stream it raises NotImplementedError for (profiles.ts ResponsesEra.streaming).
 */
const starletteServerError: RestRouteReply = {
  status: 500,
  headers: { "content-type": "text/plain; charset=utf-8" },
  body: "Internal Server Error",
};

/**
 * vLLM's middlewares in front of its router for a request no route takes: the API key's 401
 * (vllm-openai.md §2), else `routed` (FastAPI's 404/405); with `--enable-request-id-headers` the
 * X-Request-Id middleware, outermost, adds its header to either (request-id.ts).
 */
function beforeRouting(
  settings: VllmSettings,
): (head: RestRequestHead, routed: () => CannedReply) => CannedReply {
  const guard = apiKeyGuard(settings.apiKey);
  if (!settings.requestIdHeaders) return (head, routed) => guard(head) ?? routed();
  return (head, routed) => {
    const answer = guard(head) ?? routed();
    // The one X-Request-Id rule (request-id.ts); a canned answer's body is always text.
    return { ...answer, headers: { ...withRequestIdHeader(head, answer).headers } };
  };
}

/**
 * One generation's engine signal, and its end (see {@link generationRuns}). `signal` aborts when
 * the client leaves or the host shuts down; `aborted`, when present, says whether it would be
 * aborted now without making it.
 */
interface GenerationRun extends RunSignal {
  /** The answer has ended: shutdown no longer needs to reach this run. */
  end(): void;
}

/**
 * A run watching the request's own signal, which the host makes only when it is first read (the
 * fastify host's client-gone signal): a non-streaming answer that never waits makes none.
 */
class RequestRun implements GenerationRun {
  readonly #request: RestRouteRequest;

  constructor(request: RestRouteRequest) {
    this.#request = request;
  }

  get signal(): AbortSignal {
    return this.#request.signal;
  }

  get aborted(): boolean {
    return this.#request.signalAborted ?? this.#request.signal.aborted;
  }

  end(): void {}
}

/**
 * A generation's answer, `end` called when it is over: now for text or bytes, when the stream
 * ends (or fails, or is closed) for a stream.
 */
function untilAnswered(answer: RestRouteReply, end: () => void): RestRouteReply {
  const body = answer.body;
  if (typeof body === "string" || body instanceof Uint8Array) {
    end();
    return answer;
  }
  return withBody(answer, untilStreamEnd(body, end));
}

/**
 * The signals generations run under. Without a shutdown signal (msw), or on a host whose request
 * signal already aborts on shutdown (mock-core `signalCoversShutdown`: the fastify host, as the
 * table asks with `abortOnShutdown`), a run watches the request's own signal, at no cost, made
 * only if the handler reads it (RequestRun). Else
 * each run gets one controller that the client's leaving aborts, and shutdown aborts the runs
 * still in flight from one listener: cheaper per request than `AbortSignal.any([request,
 * shutdown])` (about 0.6 against 2.2 µs on Node 24, and no weak references for the collector).
 */
function generationRuns(shutdown: AbortSignal | undefined): {
  begin(request: RestRouteRequest): GenerationRun;
} {
  if (shutdown === undefined) {
    return { begin: (request) => new RequestRun(request) };
  }
  const inFlight = new Set<AbortController>();
  shutdown.addEventListener(
    "abort",
    () => {
      for (const run of inFlight) run.abort(shutdown.reason);
    },
    { once: true },
  );
  return {
    begin(request) {
      if (request.signalCoversShutdown === true) return new RequestRun(request);
      const client = request.signal;
      const run = new AbortController();
      if (shutdown.aborted) run.abort(shutdown.reason);
      else if (client.aborted) run.abort(client.reason);
      else {
        client.addEventListener("abort", () => run.abort(client.reason), { once: true });
        inFlight.add(run);
      }
      return { signal: run.signal, end: () => inFlight.delete(run) };
    },
  };
}

/** Builds the vLLM protocol plugin: the route table on fastify, and vLLM's error answers. */
export function vllmPlugin(options: VllmPluginOptions): MockPlugin {
  const { profile } = options.settings;
  // FastAPI's 404/405 bodies are the runtime's base plugin's (mock-core's catalog).
  const fastApi = resolveHooks([runtimePlugin("vllm")]);
  const unrouted = beforeRouting(options.settings);
  return {
    name: "vllm-openai",
    async rest(app, ctx) {
      // XRequestIdMiddleware wraps every route of vLLM's app, /health and /ping included; these
      // come from the runtime's base plugin (mock-core), so the middleware reaches them there.
      if (options.settings.requestIdHeaders) wrapBaseHealthRoutes(ctx, withRequestIdHeader);
      const tables = vllmRestTables({
        ...options,
        clock: ctx.clock,
        shutdownSignal: ctx.shutdownSignal,
        logger: { info: (line) => ctx.logger.info(line) },
      });
      // Each table in its own fastify context: a raw-body table replaces the body parsers.
      for (const table of tables) {
        await app.register(async (child) => registerRestRouteTable(child, ctx, table));
      }
    },
    notFound: (method, path, headers) =>
      unrouted({ method, path, headers }, () => fastApi.notFound(method, path, headers)),
    methodNotAllowed: (method, path, allowed, headers) =>
      unrouted({ method, path, headers }, () =>
        fastApi.methodNotAllowed(method, path, allowed, headers),
      ),
    errorBody: (status: number, message: string): CannedReply =>
      errorReply(profile, new VllmError(status, message)),
    bodyError: (error): CannedReply =>
      // vLLM turns FastAPI's RequestValidationError (malformed JSON included) into a 400 in its
      // envelope (vllm-openai.md §3); uvicorn has no body limit, so too-large stays the host's 413.
      errorReply(
        profile,
        error.kind === "too-large"
          ? new VllmError(413, "Request Entity Too Large")
          : badRequest(jsonInvalidText(error)),
      ),
  };
}

/**
 * FastAPI's `json_invalid` entry (mock-core `fastApiJsonInvalid`: Python's offset and words) as
 * vLLM's validation handler prints the error list, in Python's repr.
 */
function jsonInvalidText(error: BodyError): string {
  const entry = fastApiJsonInvalid(error.detail, error.body?.toString("utf8"));
  return issuesText([
    { type: entry.type, loc: [entry.loc[1]], msg: entry.msg, input: {}, ctx: entry.ctx },
  ]);
}
