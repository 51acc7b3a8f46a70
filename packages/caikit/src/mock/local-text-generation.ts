/**
 * caikit-nlp's local text generation module (`TextGeneration`, text_generation_local.py), which
 * a Caikit runtime can load without TGIS: it runs the model in process through
 * `generate_text_func` (toolkit/text_generation/model_run_utils.py) and has no streaming method.
 * Its quirks are kept: `preserve_input_text` defaults to true (the prompt starts the text),
 * `generated_tokens` counts the whole generated sequence minus one (for a decoder-only model
 * the prompt's tokens too), truncation keeps the FIRST tokens (the tokenizer's default side),
 * the finish reason is EOS_TOKEN, STOP_SEQUENCE or else MAX_TOKENS, the request seed is echoed,
 * and no token details are given. Transport-free; the text comes from the model's engine.
 *
 * Sources: caikit-tgis.md §1.3 (the local module's parameters, `preserve_input_text` default
 * true); caikit-nlp `text_generation_local.py` (`run`), `model_run_utils.py`
 * (`generate_text_func`, `__process_gen_args` checks and texts).
 */
import { isEncoderDecoder, type TextModel } from "@servingkit/tgis/mock";
import { valueCheck } from "./caikit-error.js";
import type { GeneratedToken } from "./text-generation.js";
import { textGenerationProducer } from "./text-generation.js";
import {
  type TextGenerationArgs,
  textGenerationDefaults,
  validDecodingMethods,
} from "./text-generation-args.js";

/** The local module's defaults: the TGIS module's, but `preserve_input_text` true. */
export const localTextGenerationDefaults: Omit<TextGenerationArgs, "text"> = {
  ...textGenerationDefaults,
  preserve_input_text: true,
};

/** GeneratedTextResult as `generate_text_func` fills it (token lists unset: null on REST). */
export interface LocalGeneratedTextResult {
  readonly generated_text: string;
  readonly generated_tokens: number;
  readonly finish_reason: "EOS_TOKEN" | "STOP_SEQUENCE" | "MAX_TOKENS";
  readonly producer_id: { readonly name: string; readonly version: string };
  readonly input_token_count: number;
  readonly seed: bigint | null;
  readonly tokens: readonly GeneratedToken[] | null;
  readonly input_tokens: readonly GeneratedToken[] | null;
}

/** The local module's `run`. */
export interface LocalTextGeneration {
  /** `TextGenerationTaskPredict` for a local model; ValueErrors are CaikitErrors. */
  generate(args: TextGenerationArgs, signal?: AbortSignal): Promise<LocalGeneratedTextResult>;
}

/** The checks of `__process_gen_args`, in order, with caikit's `value check failed:` texts. */
function checkArgs(args: TextGenerationArgs): void {
  if (!(args.max_new_tokens >= args.min_new_tokens)) {
    throw valueCheck("Max new tokens needs to be bigger than min new tokens");
  }
  if (!(validDecodingMethods as readonly string[]).includes(args.decoding_method)) {
    throw valueCheck(
      `Decoding method [${args.decoding_method}] not in valid decoding methods: [['GREEDY', 'SAMPLING']]`,
    );
  }
}

/** The local module over a model (its tokenizer and engine). */
export function createLocalTextGeneration(model: TextModel): LocalTextGeneration {
  const { tokenizer } = model.spec;
  const seq2seq = isEncoderDecoder(model.spec);
  return {
    async generate(args, signal) {
      // generate_text_func tokenizes first (truncation=True, max_length=truncate, right side).
      const all = tokenizer.encode(args.text);
      const promptIds =
        args.truncate_input_tokens > 0 ? all.slice(0, args.truncate_input_tokens) : all;
      checkArgs(args);
      const sampling = args.decoding_method === "SAMPLING";
      const events = model.engine.generate(
        {
          promptIds,
          maxTokens: args.max_new_tokens,
          minTokens: args.min_new_tokens,
          // HF generate: greedy unless do_sample; sampling defaults temperature 1, top_p 1.
          temperature: sampling ? (args.temperature ?? 1) : 0,
          topP: sampling ? (args.top_p ?? 1) : 1,
          topK: sampling ? (args.top_k ?? 0) : 0,
          ...(sampling && args.seed !== null ? { seed: Number(args.seed & 0xffffffffn) } : {}),
          stop: args.stop_sequences ?? [],
          includeStopInOutput: true,
        },
        signal ? { signal } : {},
      );
      let text = "";
      let newIds = 0;
      let finish: LocalGeneratedTextResult["finish_reason"] = "MAX_TOKENS";
      for await (const event of events) {
        if (event.type === "token") {
          text += event.text;
          newIds += 1;
          continue;
        }
        if (event.reason === "eos") {
          // The EOS token ends HF's generated ids.
          newIds += 1;
          finish = "EOS_TOKEN";
        } else if (event.reason === "stop") {
          finish = "STOP_SEQUENCE";
        }
      }
      // generate_ids.size(1) - 1: a decoder-only model's ids start with the prompt, a seq2seq
      // model's with the decoder start token.
      const sequence = (seq2seq ? 1 : promptIds.length) + newIds;
      const prompt = tokenizer.decode(promptIds, { skipSpecialTokens: true });
      return {
        generated_text: !seq2seq && args.preserve_input_text ? prompt + text : text,
        generated_tokens: sequence - 1,
        finish_reason: finish,
        producer_id: { ...textGenerationProducer },
        input_token_count: promptIds.length,
        seed: args.seed,
        tokens: null,
        input_tokens: null,
      };
    },
  };
}
