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
