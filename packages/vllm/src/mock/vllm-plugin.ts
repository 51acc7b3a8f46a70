/**
 * The I/O adapter: vLLM's routes on the host's fastify app, each calling a pure handler, and
 * vLLM's answers to the errors the host raises (envelope per profile, 400 for bodies it cannot
 * read). vLLM's API key guards the `/v1` routes here; platform auth stays the host's.
 */
import type { CannedReply, MockPlugin } from "@servingkit/mock-core";
import { sendCanned } from "@servingkit/mock-core";
import type { FastifyReply, FastifyRequest } from "fastify";
import { apiKeyAllows, unauthorizedReply } from "./api-key.js";
import { badRequest, errorReply, VllmError } from "./errors.js";
import { modelList, type ServedModel } from "./model-card.js";
import type { VllmSettings } from "./settings.js";

/** What the plugin serves. */
export interface VllmPluginOptions {
  /** The settings read from the module's options. */
  readonly settings: VllmSettings;
  /** The model as `/v1/models` shows it. */
  readonly served: ServedModel;
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

/** Builds the vLLM protocol plugin. */
export function vllmPlugin(options: VllmPluginOptions): MockPlugin {
  const { settings, served } = options;
  const { profile } = settings;
  const fail = (reply: FastifyReply, error: unknown): FastifyReply => {
    if (error instanceof VllmError) return sendCanned(reply, errorReply(profile, error));
    throw error;
  };
  /** JSON routes: a non-JSON body is a validation error (newer vLLM, vllm-openai.md §1). */
  const jsonBody = (request: FastifyRequest): unknown => {
    if (Buffer.isBuffer(request.body)) {
      throw badRequest("Unsupported Media Type: Only 'application/json' is allowed");
    }
    return request.body;
  };
  void jsonBody;
  return {
    name: "vllm-openai",
    rest(app) {
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
      app.get("/v1/models", (_request, reply) =>
        sendJson(reply, 200, modelList(served, Math.floor(Date.now() / 1000))),
      );
      void fail;
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
