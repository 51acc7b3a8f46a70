/**
 * Chat prompts rendered from the model's Jinja chat template with `@huggingface/jinja`, with the
 * variables transformers' `apply_chat_template` passes (messages, add_generation_prompt,
 * bos_token, eos_token, tools, plus any chat_template_kwargs).
 */
import { Template } from "@huggingface/jinja";
import type { ModelSpec } from "./model-spec.js";

/** One chat message as OpenAI-style clients send it; extra keys reach the template unchanged. */
export interface ChatMessage {
  /** "system", "user", "assistant", "tool", ... */
  readonly role: string;
  /** A string, a list of content parts (`{ type: "text", text }` ...), or null (tool calls). */
  readonly content?: string | null | readonly Readonly<Record<string, unknown>>[];
  /** Any other field (name, tool_calls, tool_call_id, ...). */
  readonly [key: string]: unknown;
}

/** Options of {@link renderChatTemplate}. */
export interface ChatTemplateOptions {
  /** Append the assistant turn's header (default true, as vLLM's `add_generation_prompt`). */
  readonly addGenerationPrompt?: boolean;
  /** Tool definitions (OpenAI `tools`), passed to the template as `tools`; omitted means none. */
  readonly tools?: readonly unknown[];
  /** A template to use instead of the model's (vLLM's request `chat_template` / `--chat-template`). */
  readonly templateOverride?: string;
  /** More template variables (vLLM's `chat_template_kwargs`); they cannot replace the ones above. */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** Raised when there is no template, or the template fails to parse or render. */
export class ChatTemplateError extends Error {
  override readonly name = "ChatTemplateError";
}

/**
 * vLLM's 400 text when neither the model nor the request supplies a template
 * (vllm/entrypoints/chat_utils.py, transformers ≥ 4.44 has no default template).
 */
export const noChatTemplateMessage =
  "As of transformers v4.44, default chat template is no longer allowed, so you must provide a chat template if the tokenizer does not define one.";

function specialToken(value: unknown): string {
  if (typeof value === "string") return value;
  if (value && typeof value === "object" && "content" in value) {
    const content = (value as { content: unknown }).content;
    if (typeof content === "string") return content;
  }
  return "";
}

/**
 * Renders `messages` into the prompt text the model sees. Throws {@link ChatTemplateError} when
 * the model has no template and none is given ({@link noChatTemplateMessage}), or when the
 * template is invalid or calls `raise_exception`.
 */
export function renderChatTemplate(
  model: ModelSpec,
  messages: readonly ChatMessage[],
  options: ChatTemplateOptions = {},
): string {
  const source = options.templateOverride ?? model.chatTemplate;
  if (source === undefined) throw new ChatTemplateError(noChatTemplateMessage);
  let template: Template;
  try {
    template = new Template(source);
  } catch (error) {
    throw new ChatTemplateError(`invalid chat template: ${(error as Error).message}`);
  }
  try {
    return template.render({
      ...options.extra,
      messages,
      add_generation_prompt: options.addGenerationPrompt ?? true,
      bos_token: specialToken(model.tokenizerConfig.bos_token),
      eos_token: specialToken(model.tokenizerConfig.eos_token),
      ...(options.tools === undefined ? {} : { tools: options.tools }),
    });
  } catch (error) {
    throw new ChatTemplateError(`chat template failed: ${(error as Error).message}`);
  }
}
