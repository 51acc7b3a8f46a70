/**
 * A thin typed client of vLLM's OpenAI-compatible server over client-core's HTTP client
 * (retries, token, TLS, SSE decoding and errors are client-core's): the routes the `openai` SDK
 * lacks (`/tokenize`, `/detokenize`, `/version`, `/health`) and typed completions and chat with
 * vLLM's extra parameters, streams as AsyncIterables of chunks.
 */
import { type ClientOptions, createHttpClient, type HttpClient } from "@servingkit/client-core";
import { type MetricSample, parseMetrics } from "./metrics-text.js";
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  Completion,
  CompletionChunk,
  CompletionRequest,
  ModelCard,
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
