/**
 * vLLM's OpenAI-compatible wire types (vllm-openai.md §4-§7): requests with vLLM's extra
 * sampling parameters, and responses with the fields vLLM adds to OpenAI's (`stop_reason`,
 * `max_model_len`, `kv_transfer_params` ...). Field names are the wire's (snake_case).
 */

/**
 * The sampling and prompt parameters vLLM accepts beyond OpenAI's (vllm-openai.md §4.1). Pass
 * them in the `openai` SDK's params object (openai-node sends them as given), or in this
 * package's requests.
 */
export interface VllmSamplingExtras {
  /** Top-k cut-off; 0 (or -1) disables. */
  top_k?: number;
  /** Minimum probability relative to the top token, in [0, 1]. */
  min_p?: number;
  /** > 0; 1 disables. */
  repetition_penalty?: number;
  /** Token ids that end generation (finish_reason `stop`, stop_reason the id). */
  stop_token_ids?: number[];
  /** Keep the matched stop string in the output. Default false. */
  include_stop_str_in_output?: boolean;
  /** Generate past EOS until max_tokens. Default false. */
  ignore_eos?: boolean;
  /** EOS and stop strings are ignored before this many tokens. Default 0. */
  min_tokens?: number;
  /** Default true. */
  skip_special_tokens?: boolean;
  /** Keep only the last N prompt tokens (≥ 1). */
  truncate_prompt_tokens?: number;
  /** Number of prompt logprobs to return. */
  prompt_logprobs?: number;
  /** Only these token ids may be sampled. */
  allowed_token_ids?: number[];
  /** Scheduling priority (lower first) under `--scheduling-policy priority`. */
  priority?: number;
  /**
   * Constrain the output (vLLM docs structured_outputs.md): one kind per request. It replaced the
   * `guided_*` fields from about 0.10.2 (vLLM PR #22772, merged 2025-08-13; the first release is
   * not pinned); older releases ignore it as an unknown field.
   */
  structured_outputs?: VllmStructuredOutputs;
  /**
   * @deprecated Removed in vLLM 0.12.0 (docs structured_outputs.md), which then ignores it: the
   * answer is 200 and unconstrained. Use `structured_outputs.json`. A JSON schema.
   */
  guided_json?: unknown;
  /** @deprecated Removed in vLLM 0.12.0: use `structured_outputs.regex`. */
  guided_regex?: string;
  /** @deprecated Removed in vLLM 0.12.0: use `structured_outputs.choice`. */
  guided_choice?: string[];
  /** @deprecated Removed in vLLM 0.12.0: use `structured_outputs.grammar`. */
  guided_grammar?: string;
}

/** vLLM's `structured_outputs` request object (StructuredOutputsParams); set one kind. */
export interface VllmStructuredOutputs {
  /** A JSON schema (object or its JSON text) the output follows. */
  json?: unknown;
  /** A regular expression the output matches. */
  regex?: string;
  /** The output is exactly one of these strings. */
  choice?: string[];
  /** A context-free grammar (EBNF / Lark) the output follows. */
  grammar?: string;
}

/**
 * The chat-only fields vLLM accepts beyond OpenAI's (vllm-openai.md §4.1 "vLLM extra params"),
 * with the sampling extras. Spread them into the `openai` SDK's chat params
 * (`{ ...params, ...extras }`: openai-node sends every key as given), or pass them in this
 * package's `ChatCompletionRequest`.
 */
export interface VllmChatExtras extends VllmSamplingExtras {
  /**
   * Further variables for the model's chat template, e.g. `{ enable_thinking: false }` to turn
   * Qwen3's thinking off, `{ thinking: true }` to turn Granite 3.2's on (vLLM docs
   * reasoning_outputs.md). vLLM answers 400 when it is not an object.
   */
  chat_template_kwargs?: Record<string, unknown>;
  /**
   * Default true. vLLM honours `false` (no reasoning in the answer) only for gpt-oss (harmony)
   * models in the releases the mock serves (vllm issue #33915); other reasoning models still
   * answer their reasoning.
   */
  include_reasoning?: boolean;
  /** End the rendered prompt with the assistant's turn opener. Default true. */
  add_generation_prompt?: boolean;
  /** Add the tokenizer's special tokens (BOS) on top of the template's. Default false. */
  add_special_tokens?: boolean;
}

/** `stream_options`; an object without `include_usage` counts as true in vLLM. */
export interface StreamOptions {
  include_usage?: boolean;
  continuous_usage_stats?: boolean;
}

/** Parameters both generation endpoints take. */
export interface GenerationParams extends VllmSamplingExtras {
  /** The served model id; vLLM accepts it absent (the served model answers). */
  model?: string;
  max_tokens?: number;
  n?: number;
  temperature?: number;
  top_p?: number;
  seed?: number;
  stop?: string | string[];
  presence_penalty?: number;
  frequency_penalty?: number;
  stream_options?: StreamOptions;
  echo?: boolean;
}

/** `POST /v1/completions` body (vllm-openai.md §4.2). `max_tokens` defaults to 16. */
export interface CompletionRequest extends GenerationParams {
  prompt: string | string[] | number[] | number[][];
  /** Number of top logprobs per token. */
  logprobs?: number;
  /** Default true. */
  add_special_tokens?: boolean;
}

/** One chat message. */
export interface ChatMessageParam {
  role: "system" | "user" | "assistant" | "tool" | (string & {});
  content: string | { type: "text"; text: string }[] | null;
  [key: string]: unknown;
}

/** `POST /v1/chat/completions` body (vllm-openai.md §4.1). `max_tokens` defaults to L − prompt. */
export interface ChatCompletionRequest extends GenerationParams, VllmChatExtras {
  messages: ChatMessageParam[];
  max_completion_tokens?: number;
  logprobs?: boolean;
  top_logprobs?: number;
}

/** Token counts. */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens: number } | null;
}

/** Why a choice ended, and what stopped it (a stop string or token id; null for EOS/length). */
export interface FinishFields {
  finish_reason: "stop" | "length" | "tool_calls" | "abort" | null;
  stop_reason?: string | number | null;
}

/** Completions `logprobs` (OpenAI legacy shape). */
export interface CompletionLogprobs {
  text_offset: number[];
  token_logprobs: (number | null)[];
  tokens: string[];
  top_logprobs: (Record<string, number> | null)[];
}

/** `POST /v1/completions` answer. */
export interface Completion {
  id: string;
  object: "text_completion";
  created: number;
  model: string;
  choices: ({ index: number; text: string; logprobs: CompletionLogprobs | null } & FinishFields)[];
  usage: Usage;
}

/** One streamed completions chunk; the usage chunk has `choices: []`. */
export interface CompletionChunk {
  id: string;
  object: "text_completion";
  created: number;
  model: string;
  choices: ({ index: number; text: string; logprobs: CompletionLogprobs | null } & FinishFields)[];
  usage: Usage | null;
}

/** Chat `logprobs`. */
export interface ChatLogprobs {
  content: {
    token: string;
    logprob: number;
    bytes: number[] | null;
    top_logprobs: { token: string; logprob: number; bytes: number[] | null }[];
  }[];
}

/**
 * The reasoning fields of a chat message or stream delta under `--reasoning-parser`, by vLLM
 * release: `reasoning_content` up to 0.11.0; `reasoning` and `reasoning_content` (the same text)
 * from about 0.11.1 (vLLM PR #27752); `reasoning` alone from about 0.16 (vLLM PR #33402). Read them
 * with `reasoningOf`, which takes whichever is there.
 */
export interface ReasoningFields {
  reasoning?: string | null;
  reasoning_content?: string | null;
}

/** `POST /v1/chat/completions` answer. */
export interface ChatCompletion {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: ({
    index: number;
    message: { role: string; content: string | null; tool_calls?: unknown[] } & ReasoningFields;
    logprobs: ChatLogprobs | null;
  } & FinishFields)[];
  usage: Usage;
}

/** One streamed chat chunk; the first carries the role, the usage chunk has `choices: []`. */
export interface ChatCompletionChunk {
  id: string;
  object: "chat.completion.chunk";
  created: number;
  model: string;
  choices: ({
    index: number;
    /** `content` is null in a delta that carries only reasoning (vLLM's DeltaMessage). */
    delta: { role?: string; content?: string | null; tool_calls?: unknown[] } & ReasoningFields;
    logprobs: ChatLogprobs | null;
  } & Partial<FinishFields>)[];
  usage?: Usage | null;
}

/** A `/v1/models` card (vllm-openai.md §7). */
export interface ModelCard {
  id: string;
  object: "model";
  created: number;
  owned_by: string;
  root: string | null;
  parent: string | null;
  max_model_len: number | null;
  permission: Record<string, unknown>[];
}

/** `POST /tokenize` body: the completion form or the chat form. */
export type TokenizeRequest =
  | { model?: string; prompt: string; add_special_tokens?: boolean; return_token_strs?: boolean }
  | {
      model?: string;
      messages: ChatMessageParam[];
      add_generation_prompt?: boolean;
      add_special_tokens?: boolean;
      return_token_strs?: boolean;
    };

/** `POST /tokenize` answer. */
export interface TokenizeResponse {
  count: number;
  max_model_len: number;
  tokens: number[];
  token_strs: string[] | null;
}

/**
 * The pooler switches `/pooling` (and `/classify`) read, by vLLM release: `normalize` from 0.10.1
 * (vLLM PR #20538; an embedding model's L2 normalization, default true), `activation` from 0.10.0
 * (a classifier's softmax / sigmoid, default true), `use_activation` from 0.11.1 (vLLM PR #25524,
 * the name that replaced `activation` and, from 0.17.0, `softmax`). Earlier releases ignore them
 * (unknown fields pass).
 */
export interface PoolerSwitches {
  /** Default true: the embedding is L2-normalized; false answers the pooled hidden state. */
  normalize?: boolean;
  /** Default true: the classifier's activation is applied; false answers the raw logits. */
  use_activation?: boolean;
  /**
   * @deprecated `use_activation`'s older name (read from 0.10.1, wins when both are given). From
   * 0.11.1 to before 0.17.0 vLLM reads any given `activation` as true (get_use_activation's
   * precedence bug): send `use_activation` instead.
   */
  activation?: boolean;
  /**
   * @deprecated Read on `/pooling` from 0.17.0, and on `/score` and the rerank routes from
   * 0.11.1, as an alias of `use_activation` (before `activation`; as true whatever its value
   * before 0.17.0).
   */
  softmax?: boolean;
}

/**
 * `POST /score` and `POST /v1/score` body (vLLM's ScoreRequest; vllm-openai.md §1, §5): `text_2`
 * scored against `text_1`, one-to-many when `text_1` is one text, else pairwise (the lists as
 * long, else 400). Served by a scoring (cross-encoder) model and, from 0.8.0, an embedding model
 * as a bi-encoder (the cosine of the embeddings); a generative model answers 400 (from 0.16.0 the
 * route is absent: 404).
 */
export interface ScoreRequest
  extends Pick<PoolerSwitches, "use_activation" | "activation" | "softmax"> {
  /** The served model id; absent: the served model answers. */
  model?: string;
  text_1: string | string[];
  text_2: string | string[];
}

/** Pooled-route usage: prompt tokens only (`completion_tokens` is 0). */
export interface PoolingUsage {
  prompt_tokens: number;
  total_tokens: number;
  completion_tokens: number;
  prompt_tokens_details?: { cached_tokens: number } | null;
}

/** `POST /score` answer (ScoreResponse): one score per `text_2` entry, in order. */
export interface ScoreResponse {
  /** `score-<hex>`. */
  id: string;
  object: "list";
  /** Unix seconds. */
  created: number;
  model: string;
  /**
   * A cross-encoder's score is in [0, 1] (its logit through the sigmoid; the raw logit under
   * `use_activation: false`); a bi-encoder's is a cosine in [-1, 1].
   */
  data: { index: number; object: "score"; score: number }[];
  usage: PoolingUsage;
}

/**
 * `POST /rerank`, `/v1/rerank` and `/v2/rerank` body (vLLM's RerankRequest, Jina / Cohere style;
 * vllm-openai.md §1, §5): `documents` ranked by relevance to `query`. Served by the models that
 * serve {@link ScoreRequest}.
 */
export interface RerankRequest
  extends Pick<PoolerSwitches, "use_activation" | "activation" | "softmax"> {
  /** The served model id; absent: the served model answers. */
  model?: string;
  query: string;
  documents: string[];
  /** How many results to answer, the most relevant first; 0 (the default) answers all. */
  top_n?: number;
}

/**
 * A reranked document as vLLM answers it (RerankDocument): the text of a text document; a
 * release with multimodal scoring also has `multi_modal` (the content part of a multimodal
 * document, `null` for text), so both are typed optional.
 */
export interface RerankDocument {
  text?: string | null;
  multi_modal?: unknown;
}

/** `POST /rerank` answer (RerankResponse): results sorted by `relevance_score`, highest first. */
export interface RerankResponse {
  /** `rerank-<hex>`. */
  id: string;
  model: string;
  usage: { total_tokens: number };
  /**
   * `index` is the document's position in the request. vLLM has no `return_documents`: every
   * result carries its document (RerankResult `document` is required in vLLM's protocol).
   */
  results: { index: number; document: RerankDocument; relevance_score: number }[];
}

/**
 * The inputs the pooled routes take (`/classify`, `/pooling`): one text, texts, one token-id
 * list, or token-id lists; each item is its own engine request.
 */
export type PoolingInput = string | string[] | number[] | number[][];

/**
 * `POST /classify` body (vLLM's ClassificationRequest; first in 0.9.0, vLLM PR #17032; earlier
 * releases answer 404). Served by a sequence-classification model (and a cross-encoder scoring
 * model); others answer 400 "The model does not support Classification API" (from 0.16.0 the
 * route is absent: 404). An empty string `input` is 400.
 */
export interface ClassifyRequest extends Pick<PoolerSwitches, "use_activation" | "activation"> {
  /** The served model id; absent: the served model answers. */
  model?: string;
  input: PoolingInput;
  /** Keep only the last N prompt tokens (-1: the model's maximum). */
  truncate_prompt_tokens?: number;
}

/** `POST /classify` answer (ClassificationResponse): one item per input, in order. */
export interface ClassifyResponse {
  /** `classify-<hex>`. */
  id: string;
  object: "list";
  /** Unix seconds. */
  created: number;
  model: string;
  /**
   * `label`: config.json `id2label` at the highest probability; `probs`: every class's
   * probability (sum 1; the raw logits under `use_activation: false`).
   */
  data: { index: number; label: string | null; probs: number[]; num_classes: number }[];
  usage: PoolingUsage;
}

/**
 * `POST /pooling` body (vLLM's PoolingRequest; first in 0.6.6, vLLM PR #11457; earlier releases
 * answer 404): the pooler's raw output per input, for any pooling model (a generative model
 * answers 400 "The model does not support Pooling API"; from 0.16.0 the route is absent: 404).
 */
export interface PoolingRequest extends PoolerSwitches {
  /** The served model id; absent: the served model answers. */
  model?: string;
  input: PoolingInput;
  /** Default `"float"`; `"base64"` answers each vector as base64 of little-endian float32. */
  encoding_format?: "float" | "base64";
  /** Keep only the last N prompt tokens (-1: the model's maximum). */
  truncate_prompt_tokens?: number;
}

/**
 * `POST /pooling` answer (PoolingResponse): per input, the embedding (embedding model) or the
 * class probabilities (classifier); `data` is a base64 string under `encoding_format: "base64"`.
 */
export interface PoolingResponse {
  /** `pool-<hex>`. */
  id: string;
  object: "list";
  /** Unix seconds. */
  created: number;
  model: string;
  data: { index: number; object: "pooling"; data: number[] | number[][] | string }[];
  usage: PoolingUsage;
}

/**
 * `POST /v1/chat/completions/batch` body (vLLM's BatchChatCompletionRequest; first in 0.19.0,
 * vLLM PR #38011; earlier releases answer 404): `messages` is a list of conversations (each
 * non-empty), each answered as its own chat request with the other fields shared. `n` must be 1
 * and beam search is refused (400); `tool_choice` may only be `"none"` (the default). Not
 * streamed: vLLM has no batch stream (a `stream: true` answers empty contents, vLLM issue #50026).
 */
export interface ChatBatchRequest
  extends Omit<ChatCompletionRequest, "messages" | "n" | "stream_options"> {
  messages: ChatMessageParam[][];
  /** Only 1 (the default). */
  n?: 1;
  /** Only `"none"` (the default). */
  tool_choice?: "none";
}

/**
 * `POST /v1/chat/completions/batch` answer: ONE `chat.completion` whose choice `i` answers
 * conversation `i`, usage summed over the conversations.
 */
export type ChatBatchResponse = ChatCompletion;
