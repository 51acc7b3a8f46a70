/**
 * `@servingkit/mock-core/chat-template`: chat templates rendered with `@huggingface/jinja`, apart
 * from the engines so that only a runtime that renders chat (the vLLM mock) loads jinja.
 * `@servingkit/mock-core` (".") still exports it.
 *
 * @packageDocumentation
 */

export {
  type ChatMessage,
  ChatTemplateError,
  type ChatTemplateOptions,
  incompatibleContinueMessage,
  noChatTemplateMessage,
  renderChatTemplate,
} from "./engine/chat-template.js";
