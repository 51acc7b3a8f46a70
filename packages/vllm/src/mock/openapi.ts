/**
 * `GET /openapi.json` and `GET /docs` (vllm-openai.md §1: FastAPI serves both unless
 * `--disable-fastapi-docs`): an OpenAPI 3.1 document of the routes this mock serves, with
 * FastAPI's default `info` (title "FastAPI", version "0.1.0") and operation ids in FastAPI's
 * `<function>_<path>_<method>` form, and the Swagger UI page FastAPI renders for it.
 */
import { fastapiOperationId, fastapiTitle } from "@servingkit/mock-core";

interface RouteDoc {
  readonly method: "get" | "post";
  readonly path: string;
  /** The handler's name in vLLM's api_server.py; FastAPI derives summary and operationId from it. */
  readonly handler: string;
  /** The request body schema's name, for POST routes with a JSON body. */
  readonly body?: string;
  /** Path and query parameters as FastAPI lists them (`in`, `name`, schema type, required). */
  readonly parameters?: readonly {
    readonly name: string;
    readonly in: "path" | "query";
    readonly type: "string" | "integer" | "boolean";
    readonly required: boolean;
  }[];
}

const routes: readonly RouteDoc[] = [
  { method: "get", path: "/health", handler: "health" },
  { method: "get", path: "/load", handler: "get_server_load_metrics" },
  { method: "get", path: "/ping", handler: "ping" },
  { method: "post", path: "/ping", handler: "ping" },
  { method: "post", path: "/tokenize", handler: "tokenize", body: "TokenizeRequest" },
  { method: "post", path: "/detokenize", handler: "detokenize", body: "DetokenizeRequest" },
  { method: "get", path: "/v1/models", handler: "show_available_models" },
  { method: "get", path: "/version", handler: "show_version" },
  {
    method: "post",
    path: "/v1/chat/completions",
    handler: "create_chat_completion",
    body: "ChatCompletionRequest",
  },
  {
    method: "post",
    path: "/v1/completions",
    handler: "create_completion",
    body: "CompletionRequest",
  },
  { method: "post", path: "/v1/embeddings", handler: "create_embedding", body: "EmbeddingRequest" },
  { method: "post", path: "/score", handler: "create_score", body: "ScoreRequest" },
  { method: "post", path: "/v1/score", handler: "create_score_v1", body: "ScoreRequest" },
  { method: "post", path: "/rerank", handler: "do_rerank", body: "RerankRequest" },
  { method: "post", path: "/v1/rerank", handler: "do_rerank_v1", body: "RerankRequest" },
  { method: "post", path: "/v2/rerank", handler: "do_rerank_v2", body: "RerankRequest" },
];

/** The handlers of `/score`, `/v1/score` and the rerank routes. */
const scoringHandlers: ReadonlySet<string> = new Set([
  "create_score",
  "create_score_v1",
  "do_rerank",
  "do_rerank_v1",
  "do_rerank_v2",
]);

/** The runtime LoRA routes, served (and documented) with VLLM_ALLOW_RUNTIME_LORA_UPDATING. */
const loraRoutes: readonly RouteDoc[] = [
  {
    method: "post",
    path: "/v1/load_lora_adapter",
    handler: "load_lora_adapter",
    body: "LoadLoRAAdapterRequest",
  },
  {
    method: "post",
    path: "/v1/unload_lora_adapter",
    handler: "unload_lora_adapter",
    body: "UnloadLoRAAdapterRequest",
  },
];

/**
 * Anthropic's Messages API (anthropic-messages.ts), served from v0.11.1: `create_messages` in
 * vLLM's OpenAI server (vllm PR #27882).
 */
const anthropicRoutes: readonly RouteDoc[] = [
  {
    method: "post",
    path: "/v1/messages",
    handler: "create_messages",
    body: "AnthropicMessagesRequest",
  },
];

/** Anthropic's `count_tokens` (anthropic/api_router.py `count_tokens`), from v0.17.0. */
const countTokensRoutes: readonly RouteDoc[] = [
  {
    method: "post",
    path: "/v1/messages/count_tokens",
    handler: "count_tokens",
    body: "AnthropicCountTokensRequest",
  },
];

/**
 * The Responses API routes (responses/api_router.py), served from ≈v0.10 (vllm-openai.md §1):
 * create, retrieve (`starting_after`, `stream` query parameters) and cancel.
 */
const responsesRoutes: readonly RouteDoc[] = [
  { method: "post", path: "/v1/responses", handler: "create_responses", body: "ResponsesRequest" },
  {
    method: "get",
    path: "/v1/responses/{response_id}",
    handler: "retrieve_responses",
    parameters: [
      { name: "response_id", in: "path", type: "string", required: true },
      { name: "starting_after", in: "query", type: "integer", required: false },
      { name: "stream", in: "query", type: "boolean", required: false },
    ],
  },
  {
    method: "post",
    path: "/v1/responses/{response_id}/cancel",
    handler: "cancel_responses",
    parameters: [{ name: "response_id", in: "path", type: "string", required: true }],
  },
];

/**
 * The batch chat route (chat_completion/api_router.py `create_batch_chat_completion`), from
 * v0.19.0 (vllm PR #38011; chat-batch.ts `chatBatchSince`).
 */
const chatBatchRoutes: readonly RouteDoc[] = [
  {
    method: "post",
    path: "/v1/chat/completions/batch",
    handler: "create_batch_chat_completion",
    body: "BatchChatCompletionRequest",
  },
];

/** `/pooling` (api_server.py `create_pooling`), served from 0.6.6 (pooling.ts `poolingSince`). */
const poolingRoutes: readonly RouteDoc[] = [
  { method: "post", path: "/pooling", handler: "create_pooling", body: "PoolingRequest" },
];

/** `/classify` (api_server.py `create_classify`), served from 0.9.0 (classification.ts). */
const classifyRoutes: readonly RouteDoc[] = [
  { method: "post", path: "/classify", handler: "create_classify", body: "ClassificationRequest" },
];

/** Request schemas: the required fields and their types (the optional ones are listed loosely). */
const schemas: Readonly<Record<string, object>> = {
  ChatCompletionRequest: {
    type: "object",
    title: "ChatCompletionRequest",
    required: ["messages"],
    properties: {
      messages: { type: "array", items: { type: "object" }, title: "Messages" },
      model: { anyOf: [{ type: "string" }, { type: "null" }], title: "Model" },
      max_tokens: { anyOf: [{ type: "integer" }, { type: "null" }], title: "Max Tokens" },
      max_completion_tokens: { anyOf: [{ type: "integer" }, { type: "null" }] },
      stream: { anyOf: [{ type: "boolean" }, { type: "null" }], default: false },
    },
    additionalProperties: true,
  },
  CompletionRequest: {
    type: "object",
    title: "CompletionRequest",
    required: ["prompt"],
    properties: {
      prompt: { title: "Prompt" },
      model: { anyOf: [{ type: "string" }, { type: "null" }], title: "Model" },
      max_tokens: { anyOf: [{ type: "integer" }, { type: "null" }], default: 16 },
      stream: { anyOf: [{ type: "boolean" }, { type: "null" }], default: false },
    },
    additionalProperties: true,
  },
  EmbeddingRequest: {
    type: "object",
    title: "EmbeddingCompletionRequest",
    required: ["input"],
    properties: {
      input: { title: "Input" },
      model: { anyOf: [{ type: "string" }, { type: "null" }] },
      encoding_format: { enum: ["float", "base64"], type: "string", default: "float" },
      dimensions: { anyOf: [{ type: "integer" }, { type: "null" }] },
    },
    additionalProperties: true,
  },
  PoolingRequest: {
    type: "object",
    title: "PoolingCompletionRequest",
    required: ["input"],
    properties: {
      input: { title: "Input" },
      model: { anyOf: [{ type: "string" }, { type: "null" }] },
      encoding_format: { enum: ["float", "base64"], type: "string", default: "float" },
      truncate_prompt_tokens: { anyOf: [{ type: "integer", minimum: -1 }, { type: "null" }] },
    },
    additionalProperties: true,
  },
  ClassificationRequest: {
    type: "object",
    title: "ClassificationRequest",
    required: ["input"],
    properties: {
      input: { title: "Input" },
      model: { anyOf: [{ type: "string" }, { type: "null" }] },
      truncate_prompt_tokens: { anyOf: [{ type: "integer" }, { type: "null" }] },
      activation: { anyOf: [{ type: "boolean" }, { type: "null" }] },
      // vLLM PR #25524 (0.11.1): use_activation, activation its deprecated alias.
      use_activation: { anyOf: [{ type: "boolean" }, { type: "null" }] },
    },
    additionalProperties: true,
  },
  TokenizeRequest: {
    title: "TokenizeRequest",
    anyOf: [
      { type: "object", required: ["prompt"], properties: { prompt: { type: "string" } } },
      { type: "object", required: ["messages"], properties: { messages: { type: "array" } } },
    ],
  },
  ScoreRequest: {
    type: "object",
    title: "ScoreRequest",
    required: ["text_1", "text_2"],
    properties: { text_1: { title: "Text 1" }, text_2: { title: "Text 2" } },
  },
  RerankRequest: {
    type: "object",
    title: "RerankRequest",
    required: ["query", "documents"],
    properties: {
      query: { type: "string" },
      documents: { type: "array", items: { type: "string" } },
      top_n: { type: "integer", default: 0 },
    },
  },
  LoadLoRAAdapterRequest: {
    type: "object",
    title: "LoadLoRAAdapterRequest",
    required: ["lora_name", "lora_path"],
    properties: {
      lora_name: { type: "string", title: "Lora Name" },
      lora_path: { type: "string", title: "Lora Path" },
    },
  },
  UnloadLoRAAdapterRequest: {
    type: "object",
    title: "UnloadLoRAAdapterRequest",
    required: ["lora_name"],
    properties: {
      lora_name: { type: "string", title: "Lora Name" },
      lora_int_id: { anyOf: [{ type: "integer" }, { type: "null" }], title: "Lora Int Id" },
    },
  },
  ResponsesRequest: {
    type: "object",
    title: "ResponsesRequest",
    required: ["input"],
    properties: {
      input: { anyOf: [{ type: "string" }, { type: "array", items: {} }], title: "Input" },
      model: { anyOf: [{ type: "string" }, { type: "null" }], title: "Model" },
      instructions: { anyOf: [{ type: "string" }, { type: "null" }], title: "Instructions" },
      max_output_tokens: { anyOf: [{ type: "integer" }, { type: "null" }] },
      store: { anyOf: [{ type: "boolean" }, { type: "null" }], default: true },
      stream: { anyOf: [{ type: "boolean" }, { type: "null" }], default: false },
      background: { anyOf: [{ type: "boolean" }, { type: "null" }], default: false },
    },
    additionalProperties: true,
  },
  AnthropicMessagesRequest: {
    type: "object",
    title: "AnthropicMessagesRequest",
    description: "Anthropic Messages API request",
    required: ["model", "messages", "max_tokens"],
    properties: {
      model: { type: "string", title: "Model" },
      messages: { type: "array", items: {}, title: "Messages" },
      max_tokens: { type: "integer", title: "Max Tokens" },
      stop_sequences: {
        anyOf: [{ type: "array", items: { type: "string" } }, { type: "null" }],
        title: "Stop Sequences",
      },
      stream: { anyOf: [{ type: "boolean" }, { type: "null" }], title: "Stream", default: false },
      system: { anyOf: [{ type: "string" }, { type: "array", items: {} }, { type: "null" }] },
      temperature: { anyOf: [{ type: "number" }, { type: "null" }], title: "Temperature" },
      top_k: { anyOf: [{ type: "integer" }, { type: "null" }], title: "Top K" },
      top_p: { anyOf: [{ type: "number" }, { type: "null" }], title: "Top P" },
    },
  },
  AnthropicCountTokensRequest: {
    type: "object",
    title: "AnthropicCountTokensRequest",
    description: "Anthropic messages.count_tokens request",
    required: ["model", "messages"],
    properties: {
      model: { type: "string", title: "Model" },
      messages: { type: "array", items: {}, title: "Messages" },
      system: { anyOf: [{ type: "string" }, { type: "array", items: {} }, { type: "null" }] },
      tool_choice: { anyOf: [{ type: "object" }, { type: "null" }] },
      tools: { anyOf: [{ type: "array", items: {} }, { type: "null" }], title: "Tools" },
    },
  },
  BatchChatCompletionRequest: {
    type: "object",
    title: "BatchChatCompletionRequest",
    required: ["messages"],
    properties: {
      messages: {
        type: "array",
        items: { type: "array", items: {}, minItems: 1 },
        minItems: 1,
        title: "Messages",
      },
      model: { anyOf: [{ type: "string" }, { type: "null" }], title: "Model" },
      n: { anyOf: [{ type: "integer" }, { type: "null" }], title: "N", default: 1 },
      tool_choice: {
        anyOf: [{ const: "none", type: "string" }, { type: "null" }],
        title: "Tool Choice",
        default: "none",
      },
      use_beam_search: { type: "boolean", title: "Use Beam Search", default: false },
    },
  },
  DetokenizeRequest: {
    type: "object",
    title: "DetokenizeRequest",
    required: ["tokens"],
    properties: { tokens: { type: "array", items: { type: "integer" }, title: "Tokens" } },
  },
};

/**
 * The OpenAPI document of the mock's routes; `runtimeLora` adds the LoRA load/unload routes the
 * server then serves, `responses` (default true) the Responses API's, `anthropicMessages`
 * (default true) the Messages API's, `anthropicCountTokens` (default true) its `count_tokens`,
 * `pooling` and `classify` (default true) the `/pooling` and `/classify` routes of the releases
 * that serve them, `embeddings` and `scoring` (default true) `/v1/embeddings` and the score and
 * rerank routes (from 0.16.0 only for a model serving them: pooling.ts `poolingRouteServed`).
 */
export function openApiDocument(
  options: {
    readonly runtimeLora?: boolean;
    readonly responses?: boolean;
    readonly anthropicMessages?: boolean;
    readonly anthropicCountTokens?: boolean;
    readonly pooling?: boolean;
    readonly classify?: boolean;
    readonly chatBatch?: boolean;
    readonly embeddings?: boolean;
    readonly scoring?: boolean;
  } = {},
): object {
  const paths: Record<string, Record<string, object>> = {};
  const left = (route: RouteDoc) =>
    (options.embeddings === false && route.handler === "create_embedding") ||
    (options.scoring === false && scoringHandlers.has(route.handler));
  const served = [
    ...routes.filter((route) => !left(route)),
    ...(options.responses === false ? [] : responsesRoutes),
    ...(options.anthropicMessages === false ? [] : anthropicRoutes),
    ...(options.anthropicCountTokens === false ? [] : countTokensRoutes),
    ...(options.pooling === false ? [] : poolingRoutes),
    ...(options.classify === false ? [] : classifyRoutes),
    ...(options.chatBatch === false ? [] : chatBatchRoutes),
    ...(options.runtimeLora ? loraRoutes : []),
  ];
  for (const route of served) {
    const operation: Record<string, unknown> = {
      summary: fastapiTitle(route.handler),
      operationId: fastapiOperationId(route.handler, route.path, route.method),
      responses: {
        "200": {
          description: "Successful Response",
          content: { "application/json": { schema: {} } },
        },
      },
    };
    if (route.parameters !== undefined) {
      operation.parameters = route.parameters.map((p) => ({
        name: p.name,
        in: p.in,
        required: p.required,
        schema: p.required
          ? { type: p.type, title: fastapiTitle(p.name) }
          : { anyOf: [{ type: p.type }, { type: "null" }], title: fastapiTitle(p.name) },
      }));
    }
    if (route.body !== undefined) {
      operation.requestBody = {
        content: { "application/json": { schema: { $ref: `#/components/schemas/${route.body}` } } },
        required: true,
      };
    }
    paths[route.path] = { ...paths[route.path], [route.method]: operation };
  }
  return {
    openapi: "3.1.0",
    info: { title: "FastAPI", version: "0.1.0" },
    paths,
    components: { schemas },
  };
}

/** The routes the document lists, for the test that keeps it in step with the server. */
export const documentedRoutes: readonly { readonly method: string; readonly path: string }[] = [
  ...routes,
  ...responsesRoutes,
  ...anthropicRoutes,
  ...countTokensRoutes,
  ...poolingRoutes,
  ...classifyRoutes,
  ...chatBatchRoutes,
].map(({ method, path }) => ({ method: method.toUpperCase(), path }));
