/**
 * Caikit's REST surface as pure handlers: (request: content type, parsed body, query, signal) →
 * a canned reply or an SSE frame stream. The Content-Type rule, the envelope, unary answers in
 * Python's JSON, server-streaming as SSE (caikit-tgis.md §1.1-1.7). No fastify here: the mock's
 * fastify plugin (`rest-routes.ts`) and any other host (msw) adapt them.
 * `/info/runtime` is deliberately absent: caikit defines no such route, so the host's FastAPI
 * 404 answers it, as a real server does (§0 note).
 */
import { Code } from "@connectrpc/connect";
import type { CannedReply, Clock } from "@servingkit/mock-core/host";
import {
  asCaikitError,
  CaikitError,
  caikitErrorBody,
  missingModelId,
  unsupportedRoute,
} from "./caikit-error.js";
import { textClassification, tokenClassification } from "./classification-tasks.js";
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
import { type LocalTextGeneration, localTextGenerationDefaults } from "./local-text-generation.js";
import {
  type CaikitModule,
  type CaikitModuleKind,
  type ModelRegistry,
  runtimeInfo,
} from "./model-registry.js";
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

/** A REST request as the handlers read it. */
export interface CaikitRestRequest {
  /** The `Content-Type` header, if any. */
  readonly contentType: string | undefined;
  /** The parsed JSON body (undefined when none). */
  readonly body: unknown;
  /** Query parameters (repeated keys as arrays). */
  readonly query?: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** Aborts a stream when the client leaves. */
  readonly signal?: AbortSignal;
}

/** A handler's answer: one canned reply, or a 200 stream of SSE frames. */
export type CaikitRestReply =
  | { readonly kind: "reply"; readonly reply: CannedReply }
  | {
      readonly kind: "stream";
      readonly headers: Readonly<Record<string, string>>;
      readonly frames: AsyncIterable<string>;
    };

/** One route. */
export interface CaikitRestRoute {
  readonly method: "GET" | "POST";
  readonly path: string;
  handle(request: CaikitRestRequest): Promise<CaikitRestReply>;
}

/** What the REST handlers need. */
export interface CaikitRestOptions {
  readonly registry: ModelRegistry;
  /** Stream pings run on it. */
  readonly clock: Clock;
  readonly textGeneration?: CaikitTextGeneration;
  /** The local TextGeneration module's models (`--text-generation-model`). */
  readonly localTextGeneration?: LocalTextGeneration;
  readonly embedding?: EmbeddingModel;
}

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

const reply = (r: CannedReply): CaikitRestReply => ({ kind: "reply", reply: r });

function json(status: number, value: PyJson): CaikitRestReply {
  return reply({
    status,
    headers: { "content-type": "application/json" },
    body: pythonJson(value),
  });
}

function failure(thrown: unknown): CaikitRestReply {
  const error = asCaikitError(thrown);
  return reply({
    status: error.httpStatus,
    headers: { "content-type": "application/json" },
    body: caikitErrorBody(error.message, error.httpStatus, error.additionalInfo),
  });
}

/**
 * caikit's Content-Type rule (§1.2): exactly `application/json`, or containing
 * `multipart/form-data`; anything else 415 in FastAPI's shape; none at all fails the membership
 * test on None (500, derived).
 */
function contentTypeRefusal(type: string | undefined): CaikitRestReply | undefined {
  if (type === undefined) {
    return failure(
      new CaikitError(
        "Unhandled exception: argument of type 'NoneType' is not iterable",
        500,
        Code.Internal,
      ),
    );
  }
  if (type !== "application/json" && !type.includes("multipart/form-data")) {
    return reply({
      status: 415,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ detail: `Unsupported media type: ${type}.` }),
    });
  }
  return undefined;
}

/** A task service this runtime lacks, though a model of its kind was found: a mock bug. */
function need<T>(service: T | undefined): T {
  if (service === undefined) throw new Error("no service for this model's module");
  return service;
}

/**
 * The model behind a request, checked against the kinds of module that serve the route's task:
 * any other module fails as caikit's HTTP server fails it ({@link unsupportedRoute}).
 */
function modelFor(
  registry: ModelRegistry,
  modelId: string | undefined,
  kinds: readonly CaikitModuleKind[],
): CaikitModule {
  if (modelId === undefined) throw missingModelId();
  const module = registry.use(modelId);
  if (!kinds.includes(module.kind)) throw unsupportedRoute();
  return module;
}

/**
 * The routes of one caikit runtime. Every task route exists on both runtimes (caikit-nlp
 * registers them all, caikit-tgis.md §1.1); the model's module decides whether it serves it.
 */
export function caikitRestRoutes(options: CaikitRestOptions): CaikitRestRoute[] {
  const { registry, textGeneration, embedding } = options;
  const routes: CaikitRestRoute[] = [];

  /** A unary task route: Content-Type, envelope, model id, then `run`, as caikit orders them. */
  function unaryTask<I, P extends Record<string, unknown>>(
    path: string,
    kinds: readonly CaikitModuleKind[],
    readInputs: FieldReader<I>,
    readers: { readonly [K in keyof P]: FieldReader<P[K]> },
    run: (inputs: I, parameters: Partial<P>, module: CaikitModule, signal?: AbortSignal) => unknown,
  ): void {
    routes.push({
      method: "POST",
      path,
      async handle(request) {
        const refused = contentTypeRefusal(request.contentType);
        if (refused) return refused;
        try {
          const envelope = readEnvelope(request.body, readInputs, readers);
          const module = modelFor(registry, envelope.modelId, kinds);
          return json(
            200,
            (await run(envelope.inputs, envelope.parameters, module, request.signal)) as PyJson,
          );
        } catch (error) {
          return failure(error);
        }
      },
    });
  }

  unaryTask(
    "/api/v1/task/text-generation",
    ["text-generation", "local-text-generation"],
    readString,
    generationReaders,
    // Omitted parameters take the module's own defaults (caikit passes only the given ones).
    (text, p, module, signal) =>
      module.kind === "local-text-generation"
        ? need(options.localTextGeneration).generate(
            { ...localTextGenerationDefaults, ...p, text },
            signal,
          )
        : need(textGeneration).generate({ ...textGenerationDefaults, ...p, text }, signal),
  );
  routes.push({
    method: "POST",
    path: "/api/v1/task/server-streaming-text-generation",
    async handle(request) {
      const refused = contentTypeRefusal(request.contentType);
      if (refused) return refused;
      let envelope: ReturnType<typeof readEnvelope<string, GenerationParameters>>;
      try {
        // Body validation happens before streaming: an ordinary 422 (§1.5).
        envelope = readEnvelope(request.body, readString, generationReaders);
      } catch (error) {
        return failure(error);
      }
      async function* results(): AsyncGenerator<PyJson> {
        // Model lookup and module validation run inside the generator: errors become an
        // `event: error` frame under HTTP 200 (§1.5).
        modelFor(registry, envelope.modelId, ["text-generation"]);
        const args = { ...textGenerationDefaults, ...envelope.parameters, text: envelope.inputs };
        for await (const result of need(textGeneration).generateStream(args, request.signal)) {
          yield result as unknown as PyJson;
        }
      }
      return { kind: "stream", headers: sseHeaders, frames: sseFrames(results(), options.clock) };
    },
  });
  // Both TextGenerationTGIS and EmbeddingModule implement TokenizationTask.
  unaryTask(
    "/api/v1/task/tokenization",
    ["text-generation", "embedding"],
    readString,
    {},
    (text, _p, module) =>
      module.kind === "embedding"
        ? tokenizationTask(need(embedding), text)
        : need(textGeneration).tokenize(text),
  );
  registerEmbeddingRoutes(unaryTask, () => need(embedding));
  unaryTask("/api/v1/task/text-classification", ["text-classification"], readString, {}, (text) =>
    textClassification(text),
  );
  unaryTask(
    "/api/v1/task/token-classification",
    ["token-classification"],
    readString,
    { threshold: readFloat },
    (text, p) => tokenClassification(text, p.threshold ?? null),
  );

  routes.push({
    method: "GET",
    path: "/info/version",
    handle: async () => json(200, runtimeInfo as unknown as PyJson),
  });
  routes.push({
    method: "GET",
    path: "/info/models",
    async handle(request) {
      const raw = request.query?.model_ids;
      const ids = raw === undefined ? [] : typeof raw === "string" ? [raw] : [...raw];
      try {
        return json(200, { models: registry.info(ids) as unknown as PyJson });
      } catch (error) {
        return failure(error);
      }
    },
  });
  return routes;
}

type UnaryTask = <I, P extends Record<string, unknown>>(
  path: string,
  kinds: readonly CaikitModuleKind[],
  readInputs: FieldReader<I>,
  readers: { readonly [K in keyof P]: FieldReader<P[K]> },
  run: (inputs: I, parameters: Partial<P>, module: CaikitModule, signal?: AbortSignal) => unknown,
) => void;

const embeddingKind: readonly CaikitModuleKind[] = ["embedding"];

const truncation = { truncate_input_tokens: readInt };

/**
 * The Caikit Standalone embedding routes (caikit-tgis.md §1.2 `inputs` shapes, §1.4 results;
 * rerank's `return_*` default true, `top_n` null = all).
 */
function registerEmbeddingRoutes(unaryTask: UnaryTask, modelOf: () => EmbeddingModel): void {
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
  unaryTask("/api/v1/task/embedding", embeddingKind, readString, truncation, (text, p) =>
    embeddingTask(modelOf(), text, p.truncate_input_tokens ?? 0),
  );
  unaryTask("/api/v1/task/embedding-tasks", embeddingKind, readStringList, truncation, (texts, p) =>
    embeddingTasks(modelOf(), texts, p.truncate_input_tokens ?? 0),
  );
  unaryTask(
    "/api/v1/task/sentence-similarity",
    embeddingKind,
    readModel({ source_sentence: readString, sentences: readStringList }),
    truncation,
    (inputs, p) =>
      sentenceSimilarity(
        modelOf(),
        inputs.source_sentence,
        inputs.sentences,
        p.truncate_input_tokens ?? 0,
      ),
  );
  unaryTask(
    "/api/v1/task/sentence-similarity-tasks",
    embeddingKind,
    readModel({ source_sentences: readStringList, sentences: readStringList }),
    truncation,
    (inputs, p) =>
      sentenceSimilarityTasks(
        modelOf(),
        inputs.source_sentences,
        inputs.sentences,
        p.truncate_input_tokens ?? 0,
      ),
  );
  unaryTask(
    "/api/v1/task/rerank",
    embeddingKind,
    readModel({ documents: readList(readDict), query: readString }),
    { ...rerankReaders, return_query: readBool },
    (inputs, p) =>
      rerank(modelOf(), inputs.query, inputs.documents, rerankOptions(p, p.return_query)),
  );
  unaryTask(
    "/api/v1/task/rerank-tasks",
    embeddingKind,
    readModel({ documents: readList(readDict), queries: readStringList }),
    { ...rerankReaders, return_queries: readBool },
    (inputs, p) =>
      rerankTasks(modelOf(), inputs.queries, inputs.documents, rerankOptions(p, p.return_queries)),
  );
}
