/**
 * Caikit's REST surface for the text tasks and info routes: the Content-Type rule, the
 * envelope, unary answers in Python's JSON, server-streaming as SSE (caikit-tgis.md §1.1-1.7).
 * `/info/runtime` is deliberately absent: caikit defines no such route, so the host's FastAPI
 * 404 answers it, as a real server does (§0 note).
 */
import { Readable } from "node:stream";
import { Code } from "@connectrpc/connect";
import { cutStream, type PluginContext, sendCanned } from "@servingkit/mock-core";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { asCaikitError, CaikitError, caikitErrorBody, missingModelId } from "./caikit-error.js";
import {
  type EmbeddingModel,
  embeddingTask,
  embeddingTasks,
  type RerankOptions,
  rerank,
  rerankTasks,
  sentenceSimilarity,
  sentenceSimilarityTasks,
  tokenizationTask,
} from "./embedding-tasks.js";
import { type ModelRegistry, runtimeInfo } from "./model-registry.js";
import { type PyJson, pythonJson } from "./python-json.js";
import {
  type FieldReader,
  readBool,
  readDict,
  readEnvelope,
  readFloat,
  readInt,
  readList,
  readModel,
  readString,
  readStringList,
} from "./rest-body.js";
import { sseFrames, sseHeaders } from "./sse.js";
import type { CaikitTextGeneration } from "./text-generation.js";
import { type TextGenerationArgs, textGenerationDefaults } from "./text-generation-args.js";

type GenerationParameters = Omit<TextGenerationArgs, "text">;

const readSeed: FieldReader<bigint> = (value) => {
  const n = readInt(value);
  return BigInt(n);
};

/** The pydantic field types of the text-generation parameters (caikit-tgis.md §1.3). */
const generationReaders: {
  readonly [K in keyof GenerationParameters]: FieldReader<GenerationParameters[K]>;
} = {
  max_new_tokens: readInt,
  min_new_tokens: readInt,
  truncate_input_tokens: readInt,
  decoding_method: readString,
  top_k: readInt,
  top_p: readFloat,
  typical_p: readFloat,
  temperature: readFloat,
  repetition_penalty: readFloat,
  max_time: readFloat,
  exponential_decay_length_penalty: readModel({ start_index: readInt, decay_factor: readFloat }),
  stop_sequences: readStringList,
  seed: readSeed,
  preserve_input_text: readBool,
  input_tokens: readBool,
  generated_tokens: readBool,
  token_logprobs: readBool,
  token_ranks: readBool,
  include_stop_sequence: readBool,
};

function sendJson(reply: FastifyReply, status: number, body: PyJson): FastifyReply {
  return sendCanned(reply, {
    status,
    headers: { "content-type": "application/json" },
    body: pythonJson(body),
  });
}

function sendError(reply: FastifyReply, thrown: unknown): FastifyReply {
  const error = asCaikitError(thrown);
  return sendCanned(reply, {
    status: error.httpStatus,
    headers: { "content-type": "application/json" },
    body: caikitErrorBody(error.message, error.httpStatus, error.additionalInfo),
  });
}

/** What the REST routes need. */
export interface CaikitRestOptions {
  readonly registry: ModelRegistry;
  readonly textGeneration?: CaikitTextGeneration;
  readonly embedding?: EmbeddingModel;
}

/** Registers the routes on the runtime's fastify context. */
export function registerCaikitRest(
  app: FastifyInstance,
  ctx: PluginContext,
  options: CaikitRestOptions,
): void {
  const { registry, textGeneration, embedding } = options;
  // caikit's Content-Type rule (§1.2): exactly `application/json`, or containing
  // `multipart/form-data`; anything else 415 in FastAPI's shape; none at all fails the
  // membership test on None (500, derived).
  const checkContentType = (request: FastifyRequest, reply: FastifyReply): boolean => {
    const type = request.headers["content-type"];
    if (type === undefined) {
      sendError(
        reply,
        new CaikitError(
          "Unhandled exception: argument of type 'NoneType' is not iterable",
          500,
          Code.Internal,
        ),
      );
      return false;
    }
    if (type !== "application/json" && !type.includes("multipart/form-data")) {
      sendCanned(reply, {
        status: 415,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ detail: `Unsupported media type: ${type}.` }),
      });
      return false;
    }
    return true;
  };

  const readGeneration = (body: unknown) => {
    const envelope = readEnvelope(body, readString, generationReaders);
    const args = (modelId: string | undefined): TextGenerationArgs => {
      if (modelId === undefined) throw missingModelId();
      registry.use(modelId);
      return { ...textGenerationDefaults, ...envelope.parameters, text: envelope.inputs };
    };
    return { envelope, args };
  };

  /** A unary task route: Content-Type, envelope, model id, then `run`, as caikit orders them. */
  function unaryTask<I, P extends Record<string, unknown>>(
    path: string,
    readInputs: FieldReader<I>,
    readers: { readonly [K in keyof P]: FieldReader<P[K]> },
    run: (inputs: I, parameters: Partial<P>) => unknown,
  ): void {
    app.post(path, async (request, reply) => {
      if (!checkContentType(request, reply)) return reply;
      try {
        const envelope = readEnvelope(request.body, readInputs, readers);
        if (envelope.modelId === undefined) throw missingModelId();
        registry.use(envelope.modelId);
        return sendJson(reply, 200, run(envelope.inputs, envelope.parameters) as PyJson);
      } catch (error) {
        return sendError(reply, error);
      }
    });
  }

  if (embedding) registerEmbeddingRoutes(unaryTask, embedding);

  if (textGeneration) {
    app.post("/api/v1/task/text-generation", async (request, reply) => {
      if (!checkContentType(request, reply)) return reply;
      try {
        const { envelope, args } = readGeneration(request.body);
        const result = await textGeneration.generate(args(envelope.modelId));
        return sendJson(reply, 200, result as unknown as PyJson);
      } catch (error) {
        return sendError(reply, error);
      }
    });

    app.post("/api/v1/task/server-streaming-text-generation", async (request, reply) => {
      if (!checkContentType(request, reply)) return reply;
      let parsed: ReturnType<typeof readGeneration>;
      try {
        // Body validation happens before streaming: an ordinary 422 (§1.5).
        parsed = readGeneration(request.body);
      } catch (error) {
        return sendError(reply, error);
      }
      const abort = new AbortController();
      // The response's close before its end is the client leaving (the request's close fires
      // as soon as its body is read).
      reply.raw.on("close", () => {
        if (!reply.raw.writableFinished) abort.abort();
      });
      async function* results(): AsyncGenerator<PyJson> {
        // Model lookup and module validation run inside the generator: errors become an
        // `event: error` frame under HTTP 200 (§1.5).
        const args = parsed.args(parsed.envelope.modelId);
        for await (const result of (textGeneration as CaikitTextGeneration).generateStream(
          args,
          abort.signal,
        )) {
          yield result as unknown as PyJson;
        }
      }
      reply.code(200).headers(sseHeaders);
      return reply.send(
        Readable.from(cutStream(ctx.restFault(request), sseFrames(results(), ctx.clock))),
      );
    });

    unaryTask("/api/v1/task/tokenization", readString, {}, (text) => textGeneration.tokenize(text));
  }

  app.get("/info/version", async (_request, reply) =>
    sendJson(reply, 200, runtimeInfo as unknown as PyJson),
  );

  app.get("/info/models", async (request, reply) => {
    const query = (request.query ?? {}) as Record<string, string | string[] | undefined>;
    const raw = query.model_ids;
    const ids = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
    try {
      return sendJson(reply, 200, { models: registry.info(ids) as unknown as PyJson });
    } catch (error) {
      return sendError(reply, error);
    }
  });
}

type UnaryTask = <I, P extends Record<string, unknown>>(
  path: string,
  readInputs: FieldReader<I>,
  readers: { readonly [K in keyof P]: FieldReader<P[K]> },
  run: (inputs: I, parameters: Partial<P>) => unknown,
) => void;

const truncation = { truncate_input_tokens: readInt };

/**
 * The Caikit Standalone embedding routes (caikit-tgis.md §1.2 `inputs` shapes, §1.4 results;
 * rerank's `return_*` default true, `top_n` null = all).
 */
function registerEmbeddingRoutes(unaryTask: UnaryTask, model: EmbeddingModel): void {
  const rerankReaders = {
    top_n: readInt,
    truncate_input_tokens: readInt,
    return_documents: readBool,
    return_text: readBool,
  };
  const rerankOptions = (
    p: Partial<Record<string, unknown>>,
    returnQuery: unknown,
  ): RerankOptions => ({
    top_n: (p.top_n as number | undefined) ?? null,
    truncate_input_tokens: (p.truncate_input_tokens as number | undefined) ?? 0,
    return_documents: (p.return_documents as boolean | undefined) ?? true,
    return_query: (returnQuery as boolean | undefined) ?? true,
    return_text: (p.return_text as boolean | undefined) ?? true,
  });
  unaryTask("/api/v1/task/tokenization", readString, {}, (text) => tokenizationTask(model, text));
  unaryTask("/api/v1/task/embedding", readString, truncation, (text, p) =>
    embeddingTask(model, text, p.truncate_input_tokens ?? 0),
  );
  unaryTask("/api/v1/task/embedding-tasks", readStringList, truncation, (texts, p) =>
    embeddingTasks(model, texts, p.truncate_input_tokens ?? 0),
  );
  unaryTask(
    "/api/v1/task/sentence-similarity",
    readModel({ source_sentence: readString, sentences: readStringList }),
    truncation,
    (inputs, p) =>
      sentenceSimilarity(
        model,
        inputs.source_sentence,
        inputs.sentences,
        p.truncate_input_tokens ?? 0,
      ),
  );
  unaryTask(
    "/api/v1/task/sentence-similarity-tasks",
    readModel({ source_sentences: readStringList, sentences: readStringList }),
    truncation,
    (inputs, p) =>
      sentenceSimilarityTasks(
        model,
        inputs.source_sentences,
        inputs.sentences,
        p.truncate_input_tokens ?? 0,
      ),
  );
  unaryTask(
    "/api/v1/task/rerank",
    readModel({ documents: readList(readDict), query: readString }),
    { ...rerankReaders, return_query: readBool },
    (inputs, p) => rerank(model, inputs.query, inputs.documents, rerankOptions(p, p.return_query)),
  );
  unaryTask(
    "/api/v1/task/rerank-tasks",
    readModel({ documents: readList(readDict), queries: readStringList }),
    { ...rerankReaders, return_queries: readBool },
    (inputs, p) =>
      rerankTasks(model, inputs.queries, inputs.documents, rerankOptions(p, p.return_queries)),
  );
}
