/**
 * Turning requests into prompt token ids as vLLM does: completions prompts are tokenized with
 * `add_special_tokens` (default true) or taken as ids; chat messages are rendered through the
 * model's chat template and tokenized without special tokens by default (vllm-openai.md §4).
 */
import { ChatTemplateError, renderChatTemplate } from "@servingkit/mock-core";
import { badRequest, type VllmError } from "./errors.js";
import type { ChatMessage, PromptInput } from "./requests.js";
import type { VllmModel } from "./served-model.js";
import { pyRepr } from "./validation.js";

/**
 * Checks token ids against the vocabulary: vLLM's V1 processor answers 400 `Token id <id> is out
 * of vocabulary` (vllm/v1/engine/processor.py) and refuses an empty prompt.
 */
export function checkTokenIds(model: VllmModel, ids: readonly number[]): void {
  if (ids.length === 0) throw badRequest("The decoder prompt cannot be empty");
  // A loop, not Math.max(...ids): spreading a prompt of a few hundred thousand ids overflows the
  // stack (a 500 where vLLM answers the context-length 400).
  let max = Number.NEGATIVE_INFINITY;
  let min = Number.POSITIVE_INFINITY;
  for (const id of ids) {
    if (id > max) max = id;
    if (id < min) min = id;
  }
  if (max >= model.spec.tokenizer.vocabSize || min < 0) {
    throw badRequest(
      `Token id ${max >= model.spec.tokenizer.vocabSize ? max : min} is out of vocabulary`,
    );
  }
}

/** A completions prompt as token ids. */
export function completionPromptIds(
  model: VllmModel,
  prompt: PromptInput,
  addSpecialTokens: boolean,
): number[] {
  const ids =
    "ids" in prompt
      ? [...prompt.ids]
      : model.spec.tokenizer.encode(prompt.text, { addSpecialTokens });
  checkTokenIds(model, ids);
  return ids;
}

/**
 * The chat prompt text, rendered through the model's template; template errors are 400s.
 * `templateKwargs` (a request's `chat_template_kwargs`) are further template variables; the
 * messages, `add_generation_prompt`, `tools` and the special tokens keep their values.
 */
export function renderChat(
  model: VllmModel,
  messages: readonly ChatMessage[],
  addGenerationPrompt: boolean,
  tools?: readonly unknown[],
  templateKwargs?: Readonly<Record<string, unknown>>,
): string {
  if (templateKwargs !== undefined && model.profile.templateKwargsRefused) {
    checkTemplateKwargs(model, templateKwargs);
  }
  try {
    return renderChatTemplate(model.spec, messages, {
      addGenerationPrompt,
      ...(tools !== undefined && tools.length > 0 && { tools }),
      ...(templateKwargs !== undefined && { extra: templateKwargs }),
    });
  } catch (error) {
    if (error instanceof ChatTemplateError) throw badRequest(error.message);
    throw error;
  }
}

/** The `chat_template_kwargs` keys vLLM refuses (chat_utils.py `unexpected_vars`). */
const refusedTemplateKwargs: ReadonlySet<string> = new Set(["chat_template", "tokenize"]);

/**
 * The refusal of `tokenize` and `chat_template` among a request's `chat_template_kwargs`
 * (profiles.ts `templateKwargsRefused`): chat_utils.py `resolve_chat_template_kwargs` raises
 * ValueError "Found unexpected chat template kwargs from request: " and the Python set of those
 * keys (`{'tokenize'}`; with both, the mock lists them in the request's order, where Python's
 * set order varies by process), a 400; the chat handler adds ` None` (its `e.__cause__`) in the
 * releases whose profile says `chatCauseSuffix`.
 */
function checkTemplateKwargs(model: VllmModel, kwargs: Readonly<Record<string, unknown>>): void {
  const found = Object.keys(kwargs).filter((key) => refusedTemplateKwargs.has(key));
  if (found.length === 0) return;
  const suffix = model.profile.chatCauseSuffix ? " None" : "";
  const keys = found.map((key) => pyRepr(key)).join(", ");
  throw badRequest(`Found unexpected chat template kwargs from request: {${keys}}${suffix}`);
}

/**
 * What vLLM answers for an image on a model without a vision tower: 400 `<--model> is not a
 * multimodal model` (vllm/multimodal/registry.py `create_processor`, reached from the chat
 * renderer's item tracker before any image is fetched, so the URL is never read); the chat
 * handler adds `" " + str(e.__cause__)`, ` None`, in the releases whose profile says
 * `chatCauseSuffix` (seen as "facebook/opt-125m is not a multimodal model None", flat envelope,
 * studio-dots-ai/dots.ocr issue #61 on a v0.9.1 build).
 */
export function notMultimodalError(model: VllmModel): VllmError {
  const suffix = model.profile.chatCauseSuffix ? " None" : "";
  return badRequest(`${model.served.root} is not a multimodal model${suffix}`);
}

/**
 * A chat prompt as token ids. `imageParts` (default 0) counts the messages' image parts, which
 * the mock's text-only models refuse as vLLM's renderer does ({@link notMultimodalError}).
 */
export function chatPromptIds(
  model: VllmModel,
  messages: readonly ChatMessage[],
  options: {
    addGenerationPrompt: boolean;
    addSpecialTokens: boolean;
    tools?: readonly unknown[];
    templateKwargs?: Readonly<Record<string, unknown>> | undefined;
    imageParts?: number;
  },
): number[] {
  if ((options.imageParts ?? 0) > 0) throw notMultimodalError(model);
  const text = renderChat(
    model,
    messages,
    options.addGenerationPrompt,
    options.tools,
    options.templateKwargs,
  );
  const ids = model.spec.tokenizer.encode(text, { addSpecialTokens: options.addSpecialTokens });
  checkTokenIds(model, ids);
  return ids;
}

/**
 * The truncation size `truncate_prompt_tokens` asks, checked against `max_model_len` (tokens):
 * -1 means `max_model_len`; above it, "truncate_prompt_tokens value (<n>) is greater than
 * max_model_len (<len>). Please, select a smaller truncation size." (vllm/entrypoints/utils.py
 * `_validate_truncation_size`, a ValueError the handlers answer as a 400). Undefined when the body
 * sent none. Which release first worded it so, and the renderer's later "cannot be greater than
 * max_length" text, are not pinned.
 */
export function truncationSize(
  requested: number | undefined,
  maxModelLen: number,
): number | undefined {
  if (requested === undefined) return undefined;
  const size = requested <= -1 ? maxModelLen : requested;
  if (size > maxModelLen) {
    throw badRequest(
      `truncate_prompt_tokens value (${size}) is greater than max_model_len (${maxModelLen}). Please, select a smaller truncation size.`,
    );
  }
  return size;
}

/**
 * A prompt's token ids after `truncate_prompt_tokens` (left truncation, vLLM's SamplingParams
 * doc: "use only the last k tokens from the prompt"): the last `size` ids, or all of them when
 * they are no more, or `size` is undefined or 0 (0 is not modelled: vLLM's handling of it
 * changed across releases and is not pinned).
 */
export function truncatePrompt(
  ids: readonly number[],
  size: number | undefined,
): readonly number[] {
  if (size === undefined || size <= 0 || ids.length <= size) return ids;
  return ids.slice(ids.length - size);
}
