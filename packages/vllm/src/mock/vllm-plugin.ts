/**
 * The I/O adapter: vLLM's routes on the host's fastify app, each calling a pure handler, and
 * vLLM's answers to the errors the host raises (envelope per profile, 400 for bodies it cannot
 * read). vLLM's API key guards the `/v1` routes here; platform auth stays the host's.
 */
import { Readable } from "node:stream";
import {
  type CannedReply,
  cutStream,
  GenerationRequestError,
  type MockPlugin,
  type PluginContext,
  sendCanned,
} from "@servingkit/mock-core";
import type { FastifyReply, FastifyRequest } from "fastify";
import { apiKeyAllows, unauthorizedReply } from "./api-key.js";
import { chatCompletion, chatCompletionStream } from "./chat-completions.js";
import { completion, completionStream } from "./completions.js";
import { embeddings, embeddingsUnsupported } from "./embeddings.js";
import { badRequest, errorReply, VllmError } from "./errors.js";
import { createVllmMetrics } from "./metrics.js";
import { modelList } from "./model-card.js";
import { openApiDocument, swaggerUiHtml } from "./openapi.js";
import { parseChatRequest, parseCompletionRequest } from "./requests.js";
import { rerank, score } from "./scoring.js";
import { type LoadedModel, startModel, type VllmModel } from "./served-model.js";
import type { VllmSettings } from "./settings.js";
import { sseFrames } from "./sse.js";
import { detokenize, tokenize } from "./tokenize.js";

/** What the plugin serves. */
export interface VllmPluginOptions {
  /** The settings read from the module's options. */
  readonly settings: VllmSettings;
  /** The loaded model (card, tokenizer, template). */
  readonly loaded: LoadedModel;
}

function pathOf(url: string): string {
  const q = url.indexOf("?");
  return q < 0 ? url : url.slice(0, q);
}

function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return sendCanned(reply, {
    status,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** JSON routes: a non-JSON body is a validation error (newer vLLM, vllm-openai.md §1). */
function jsonBody(request: FastifyRequest): unknown {
  if (Buffer.isBuffer(request.body)) {
    throw badRequest("Unsupported Media Type: Only 'application/json' is allowed");
  }
  return request.body;
}

/** An AbortSignal that fires when the client goes away before the answer is complete. */
function clientGone(request: FastifyRequest, reply: FastifyReply, ctx: PluginContext): AbortSignal {
  const gone = new AbortController();
  const onClose = () => {
    if (!reply.raw.writableFinished) gone.abort(new Error("client disconnected"));
  };
  reply.raw.once("close", onClose);
  request.raw.once("aborted", onClose);
  return AbortSignal.any([gone.signal, ctx.shutdownSignal]);
}

const generationPaths = new Set(["/v1/completions", "/v1/chat/completions"]);

function isGeneration(request: FastifyRequest): boolean {
  return request.method === "POST" && generationPaths.has(pathOf(request.url));
}

/** Builds the vLLM protocol plugin. */
export function vllmPlugin(options: VllmPluginOptions): MockPlugin {
  const { settings, loaded } = options;
  const { profile } = settings;
  const fail = (reply: FastifyReply, error: unknown): FastifyReply => {
    if (error instanceof VllmError) return sendCanned(reply, errorReply(profile, error));
    if (error instanceof GenerationRequestError) {
      return sendCanned(reply, errorReply(profile, badRequest(error.message)));
    }
    throw error;
  };
  return {
    name: "vllm-openai",
    rest(app, ctx) {
      const metrics = createVllmMetrics({
        modelName: loaded.served.id,
        maxModelLen: loaded.served.maxModelLen,
        era: profile.metrics,
        clock: ctx.clock,
      });
      const model: VllmModel = startModel(loaded, settings, ctx.clock, metrics.meter);
      // vllm-openai.md §1: /load counts the generation requests in flight.
      let load = 0;
      app.addHook("onRequest", async (request, reply) => {
        if (!isGeneration(request)) return;
        load += 1;
        reply.raw.once("close", () => {
          load -= 1;
        });
      });
      const stream = (
        request: FastifyRequest,
        reply: FastifyReply,
        chunks: AsyncIterable<object>,
      ): FastifyReply => {
        reply.code(200).headers({
          // Starlette's StreamingResponse adds the charset to a text/* media type.
          "content-type": "text/event-stream; charset=utf-8",
          "cache-control": "no-cache",
        });
        return reply.send(
          Readable.from(cutStream(ctx.restFault(request), sseFrames(profile, chunks))),
        );
      };
      app.addHook("onRequest", async (request, reply) => {
        const allowed = apiKeyAllows(
          settings.apiKey,
          request.method,
          pathOf(request.url),
          request.headers.authorization,
        );
        if (!allowed) return sendCanned(reply, unauthorizedReply);
      });
      app.get("/version", (_request, reply) => sendJson(reply, 200, { version: settings.version }));
      app.get("/load", (_request, reply) => sendJson(reply, 200, { server_load: load }));
      app.get("/openapi.json", (_request, reply) => sendJson(reply, 200, openApiDocument()));
      app.get("/docs", (_request, reply) =>
        sendCanned(reply, {
          status: 200,
          headers: { "content-type": "text/html; charset=utf-8" },
          body: swaggerUiHtml(),
        }),
      );
      // vllm-openai.md §1, §2: Prometheus text, outside /v1 so the API key does not guard it.
      app.get("/metrics", async (_request, reply) =>
        sendCanned(reply, {
          status: 200,
          headers: { "content-type": metrics.contentType },
          body: await metrics.text(),
        }),
      );
      app.get("/v1/models", (_request, reply) =>
        sendJson(reply, 200, modelList(model.served, model.nowSeconds())),
      );
      app.post("/tokenize", (request, reply) => {
        try {
          return sendJson(reply, 200, tokenize(model, jsonBody(request)));
        } catch (error) {
          return fail(reply, error);
        }
      });
      app.post("/detokenize", (request, reply) => {
        try {
          return sendJson(reply, 200, detokenize(model, jsonBody(request)));
        } catch (error) {
          return fail(reply, error);
        }
      });
      /** vllm-openai.md §3: a route the model's task lacks answers 400 "does not support". */
      const needTask = (task: VllmModel["task"], api: string) => {
        if (model.task !== task) throw badRequest(`The model does not support ${api}`);
      };
      app.post("/v1/embeddings", (request, reply) => {
        try {
          const body = jsonBody(request);
          if (model.task !== "embed") throw badRequest(embeddingsUnsupported);
          return sendJson(reply, 200, embeddings(model, body));
        } catch (error) {
          return fail(reply, error);
        }
      });
      // vllm-openai.md §1: /score and /v1/score; /rerank, /v1/rerank and /v2/rerank.
      const scoring =
        (handler: (m: VllmModel, body: unknown) => object, api: string) =>
        (request: FastifyRequest, reply: FastifyReply) => {
          try {
            const body = jsonBody(request);
            needTask("score", api);
            return sendJson(reply, 200, handler(model, body));
          } catch (error) {
            return fail(reply, error);
          }
        };
      for (const path of ["/score", "/v1/score"]) app.post(path, scoring(score, "Score API"));
      for (const path of ["/rerank", "/v1/rerank", "/v2/rerank"]) {
        app.post(path, scoring(rerank, "Rerank (Score) API"));
      }
      app.post("/v1/completions", async (request, reply) => {
        try {
          needTask("generate", "Completions API");
          const parsed = parseCompletionRequest(jsonBody(request));
          const signal = clientGone(request, reply, ctx);
          if (parsed.stream) return stream(request, reply, completionStream(model, parsed, signal));
          return sendJson(reply, 200, await completion(model, parsed, signal));
        } catch (error) {
          return fail(reply, error);
        }
      });
      app.post("/v1/chat/completions", async (request, reply) => {
        try {
          needTask("generate", "Chat Completions API");
          const parsed = parseChatRequest(jsonBody(request));
          const signal = clientGone(request, reply, ctx);
          if (parsed.stream)
            return stream(request, reply, chatCompletionStream(model, parsed, signal));
          return sendJson(reply, 200, await chatCompletion(model, parsed, signal));
        } catch (error) {
          return fail(reply, error);
        }
      });
    },
    errorBody: (status: number, message: string): CannedReply =>
      errorReply(profile, new VllmError(status, message)),
    bodyError: (error): CannedReply =>
      // vLLM turns FastAPI's RequestValidationError (malformed JSON included) into a 400 in its
      // envelope (vllm-openai.md §3); uvicorn has no body limit, so too-large stays the host's 413.
      errorReply(
        profile,
        error.kind === "too-large"
          ? new VllmError(413, "Request Entity Too Large")
          : badRequest(
              `[{'type': 'json_invalid', 'loc': ('body', 0), 'msg': 'JSON decode error', 'input': {}, 'ctx': {'error': ${JSON.stringify(error.detail).replaceAll('"', "'")}}}]`,
            ),
      ),
  };
}
