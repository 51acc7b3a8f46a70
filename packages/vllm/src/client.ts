/**
 * A thin typed client of vLLM's OpenAI-compatible server over client-core's HTTP client
 * (retries, token, TLS, SSE decoding and errors are client-core's): the routes the `openai` SDK
 * lacks (`/tokenize`, `/detokenize`, `/version`, `/health`, `/score`, `/rerank`, `/classify`,
 * `/pooling`, `/v1/chat/completions/batch`) and typed completions and chat with vLLM's extra
 * parameters, streams as AsyncIterables of chunks. A route the server's release or model lacks
 * fails as client-core's ServingkitError (404 or 400, vLLM's message in `rawMessage`).
 */
import { type ClientOptions, createHttpClient, type HttpClient } from "@servingkit/client-core";
import { type MetricSample, parseMetrics } from "./metrics-text.js";
import type {
  ChatBatchRequest,
  ChatBatchResponse,
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  ClassifyRequest,
  ClassifyResponse,
  Completion,
  CompletionChunk,
  CompletionRequest,
  ModelCard,
  PoolingRequest,
  PoolingResponse,
  RerankRequest,
  RerankResponse,
  ScoreRequest,
  ScoreResponse,
  TokenizeRequest,
  TokenizeResponse,
} from "./types.js";

/** Per-call options. */
export interface VllmCallOptions {
  /** Aborts the call; for a stream, leaving the loop early aborts it too. */
  readonly signal?: AbortSignal;
}

/** The vLLM client. */
export interface VllmClient {
  /** `GET /v1/models`: the served model cards. */
  models(options?: VllmCallOptions): Promise<ModelCard[]>;
  /** `POST /v1/completions` without streaming. */
  completions(request: CompletionRequest, options?: VllmCallOptions): Promise<Completion>;
  /** `POST /v1/completions` with `stream: true`; ends at `data: [DONE]`. */
  streamCompletions(
    request: CompletionRequest,
    options?: VllmCallOptions,
  ): AsyncIterable<CompletionChunk>;
  /** `POST /v1/chat/completions` without streaming. */
  chatCompletions(
    request: ChatCompletionRequest,
    options?: VllmCallOptions,
  ): Promise<ChatCompletion>;
  /** `POST /v1/chat/completions` with `stream: true`; ends at `data: [DONE]`. */
  streamChatCompletions(
    request: ChatCompletionRequest,
    options?: VllmCallOptions,
  ): AsyncIterable<ChatCompletionChunk>;
  /** `POST /tokenize` (outside `/v1`, so vLLM's own API key does not guard it). */
  tokenize(request: TokenizeRequest, options?: VllmCallOptions): Promise<TokenizeResponse>;
  /** `POST /detokenize`: token ids back to text. */
  detokenize(
    request: { model?: string; tokens: number[] },
    options?: VllmCallOptions,
  ): Promise<{ prompt: string }>;
  /**
   * `POST /v1/score`: `text_2` scored against `text_1` (a scoring or, from 0.8.0, an embedding
   * model; vLLM also serves it at `/score`).
   */
  score(request: ScoreRequest, options?: VllmCallOptions): Promise<ScoreResponse>;
  /**
   * `POST /v1/rerank`: `documents` by relevance to `query`, most relevant first (the models
   * {@link VllmClient.score} serves; vLLM also serves `/rerank` and `/v2/rerank`).
   */
  rerank(request: RerankRequest, options?: VllmCallOptions): Promise<RerankResponse>;
  /** `POST /classify` (vLLM 0.9.0+): a label and class probabilities per input. */
  classify(request: ClassifyRequest, options?: VllmCallOptions): Promise<ClassifyResponse>;
  /** `POST /pooling` (vLLM 0.6.6+): the pooler's raw output per input. */
  pooling(request: PoolingRequest, options?: VllmCallOptions): Promise<PoolingResponse>;
  /**
   * `POST /v1/chat/completions/batch` (vLLM 0.19.0+): several conversations in one request,
   * answered as one chat.completion whose choice `i` answers conversation `i`. Never streamed.
   */
  chatBatch(request: ChatBatchRequest, options?: VllmCallOptions): Promise<ChatBatchResponse>;
  /** `GET /version`: the vLLM version string. */
  version(options?: VllmCallOptions): Promise<string>;
  /** `GET /metrics` parsed into samples (look one up with `metricValue`). */
  metrics(options?: VllmCallOptions): Promise<MetricSample[]>;
  /** `GET /health`: true on 200; false on any other answer (503 while the engine is down). */
  health(options?: VllmCallOptions): Promise<boolean>;
  /** The underlying client-core client, for anything else. */
  readonly http: HttpClient;
  /** Closes connections (TLS agents). */
  close(): Promise<void>;
}

function call(options: VllmCallOptions | undefined) {
  return options?.signal ? { signal: options.signal } : {};
}

/**
 * Creates a client for a vLLM server (on the platform: the InferenceService URL with the
 * platform token as `token`). Options are client-core's `ClientOptions` (baseUrl, token, tls,
 * timeoutMs, maxRetries, fetch ...).
 */
export function createVllmClient(options: ClientOptions): VllmClient {
  const http = createHttpClient(options);
  return {
    http,
    async models(o) {
      const list = await http.json<{ data: ModelCard[] }>("/v1/models", call(o));
      return list.data;
    },
    completions: (request, o) =>
      http.json<Completion>("/v1/completions", { json: { ...request, stream: false }, ...call(o) }),
    streamCompletions: (request, o) =>
      http
        .stream("/v1/completions", { json: { ...request, stream: true }, ...call(o) })
        .json<CompletionChunk>(),
    chatCompletions: (request, o) =>
      http.json<ChatCompletion>("/v1/chat/completions", {
        json: { ...request, stream: false },
        ...call(o),
      }),
    streamChatCompletions: (request, o) =>
      http
        .stream("/v1/chat/completions", { json: { ...request, stream: true }, ...call(o) })
        .json<ChatCompletionChunk>(),
    tokenize: (request, o) =>
      http.json<TokenizeResponse>("/tokenize", { json: request, ...call(o) }),
    detokenize: (request, o) =>
      http.json<{ prompt: string }>("/detokenize", { json: request, ...call(o) }),
    score: (request, o) => http.json<ScoreResponse>("/v1/score", { json: request, ...call(o) }),
    rerank: (request, o) => http.json<RerankResponse>("/v1/rerank", { json: request, ...call(o) }),
    classify: (request, o) =>
      http.json<ClassifyResponse>("/classify", { json: request, ...call(o) }),
    pooling: (request, o) => http.json<PoolingResponse>("/pooling", { json: request, ...call(o) }),
    chatBatch: (request, o) =>
      http.json<ChatBatchResponse>("/v1/chat/completions/batch", { json: request, ...call(o) }),
    async version(o) {
      return (await http.json<{ version: string }>("/version", call(o))).version;
    },
    async metrics(o) {
      const response = await http.request("/metrics", { method: "GET", ...call(o) });
      return parseMetrics(await response.text());
    },
    async health(o) {
      const response = await http.fetch("/health", call(o));
      await response.body?.cancel();
      return response.status === 200;
    },
    close: () => http.close(),
  };
}
