/**
 * `POST /tokenize` and `POST /detokenize` (vllm-openai.md §7): the completion form
 * `{prompt, add_special_tokens: true}` or the chat form `{messages, add_generation_prompt: true,
 * add_special_tokens: false}`, answering `{count, max_model_len, tokens, token_strs}`; and
 * `{tokens}` back to `{prompt}`. The ids equal what generation counts as the prompt.
 */
import { chatPromptIds, checkTokenIds, completionPromptIds } from "./prompts.js";
import { parseChatMessages } from "./requests.js";
import { checkModelName, type VllmModel } from "./served-model.js";
import { FieldReader } from "./validation.js";

/** The body of a `/tokenize` answer. */
export interface TokenizeResponse {
  readonly count: number;
  readonly max_model_len: number;
  readonly tokens: number[];
  readonly token_strs: string[] | null;
}

/** Handles a `/tokenize` body; throws a 400/404 {@link VllmError}. */
export function tokenize(model: VllmModel, body: unknown): TokenizeResponse {
  const fields = new FieldReader(body);
  fields.finish();
  const name = fields.string("model");
  const returnStrs = fields.bool("return_token_strs") ?? false;
  let ids: number[];
  if (fields.raw("messages") !== undefined) {
    const { messages, imageParts } = parseChatMessages(fields);
    const addGenerationPrompt = fields.bool("add_generation_prompt") ?? true;
    const addSpecialTokens = fields.bool("add_special_tokens") ?? false;
    fields.finish();
    checkModelName(model, name);
    ids = chatPromptIds(model, messages, { addGenerationPrompt, addSpecialTokens, imageParts });
  } else {
    const prompt = fields.string("prompt");
    if (prompt === undefined && fields.raw("prompt") === undefined) fields.missing("prompt");
    const addSpecialTokens = fields.bool("add_special_tokens") ?? true;
    fields.finish();
    checkModelName(model, name);
    ids = prompt === "" ? [] : completionPromptIds(model, { text: prompt ?? "" }, addSpecialTokens);
  }
  return {
    count: ids.length,
    max_model_len: model.served.maxModelLen,
    tokens: ids,
    token_strs: returnStrs ? ids.map((id) => model.spec.tokenizer.tokenText(id)) : null,
  };
}

/** Handles a `/detokenize` body: ids outside the vocabulary are a 400. */
export function detokenize(model: VllmModel, body: unknown): { prompt: string } {
  const fields = new FieldReader(body);
  fields.finish();
  const name = fields.string("model");
  const tokens = fields.ints("tokens");
  if (tokens === undefined && fields.raw("tokens") === undefined) fields.missing("tokens");
  fields.finish();
  checkModelName(model, name);
  if (tokens && tokens.length > 0) checkTokenIds(model, tokens);
  return { prompt: model.spec.tokenizer.decode(tokens ?? []) };
}
