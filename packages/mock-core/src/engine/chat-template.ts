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
  /**
   * End the prompt inside the final message so the model continues it (transformers'
   * `continue_final_message`, vLLM's request field of that name): the rendered text is cut right
   * after the final message's content. Cannot be combined with `addGenerationPrompt: true`;
   * when set, `addGenerationPrompt` defaults to false. Default false.
   */
  readonly continueFinalMessage?: boolean;
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

/** transformers' error when both `continue_final_message` and `add_generation_prompt` are set. */
export const incompatibleContinueMessage =
  "continue_final_message and add_generation_prompt are not compatible. Use continue_final_message when you want the model to continue the final message, and add_generation_prompt when you want to add a header that will prompt it to start a new assistant message instead.";

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
  const continueFinal = options.continueFinalMessage ?? false;
  const addGenerationPrompt = options.addGenerationPrompt ?? !continueFinal;
  if (continueFinal && addGenerationPrompt)
    throw new ChatTemplateError(incompatibleContinueMessage);
  let rendered: string;
  try {
    rendered = template.render({
      ...options.extra,
      messages,
      add_generation_prompt: addGenerationPrompt,
      bos_token: specialToken(model.tokenizerConfig.bos_token),
      eos_token: specialToken(model.tokenizerConfig.eos_token),
      ...(options.tools === undefined ? {} : { tools: options.tools }),
    });
  } catch (error) {
    throw new ChatTemplateError(`chat template failed: ${(error as Error).message}`);
  }
  return continueFinal ? cutAfterFinalMessage(rendered, messages.at(-1)) : rendered;
}

/** The text of a message to continue: its content, or the last text part of a content list. */
function finalText(message: ChatMessage | undefined): string | undefined {
  const content = message?.content;
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return undefined;
  for (const part of [...content].reverse()) {
    if (typeof part.text === "string") return part.text;
  }
  return undefined;
}

/**
 * Cuts `rendered` right after the last occurrence of the final message's content, keeping its
 * leading/trailing spacing when the template kept it, as transformers' apply_chat_template does
 * (transformers/utils/chat_template_utils.py, continue_final_message).
 */
function cutAfterFinalMessage(rendered: string, message: ChatMessage | undefined): string {
  const text = finalText(message);
  if (text === undefined) {
    throw new ChatTemplateError(
      // sic: transformers joins two literals without a space
      "continue_final_message is set but we could not find any text to continuein the final message!",
    );
  }
  const trimmed = text.trim();
  const at = rendered.lastIndexOf(trimmed);
  if (at < 0) {
    throw new ChatTemplateError(
      "continue_final_message is set but the final message does not appear in the chat after applying the chat template! This can happen if the chat template deletes portions of the final message. Please verify the chat template and final message in your chat to ensure they are compatible.",
    );
  }
  const kept = text.trimStart().length;
  return rendered.slice(at, at + kept) === text
    ? rendered.slice(0, at + kept)
    : rendered.slice(0, at + trimmed.length);
}
