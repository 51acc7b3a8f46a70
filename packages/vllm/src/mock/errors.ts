/**
 * vLLM's errors: the exception the handlers throw ({@link VllmError}) and the body it becomes
 * under a profile's envelope, plus the exact texts the reference pins (vllm-openai.md §3-§3.2).
 */
import type { CannedReply } from "@servingkit/mock-core";
import type {
  ContextLengthEra,
  ErrorEnvelopeStyle,
  ValidatorErrorEra,
  VllmProfile,
} from "./profiles.js";

/** vLLM's error `type` per HTTP status (vllm-openai.md §3: class-like names, not OpenAI's). */
export function errorTypeFor(status: number): string {
  if (status === 404) return "NotFoundError";
  if (status >= 500) return "InternalServerError";
  return "BadRequestError";
}

/** An error a handler raises; the adapter answers it in the profile's envelope. */
export class VllmError extends Error {
  override readonly name = "VllmError";
  /** The HTTP status, also the envelope's integer `code`. */
  readonly status: number;
  /** The envelope's `type`; defaults from the status. */
  readonly type: string;
  /** The envelope's `param` (newest versions name e.g. `input_tokens`); null by default. */
  readonly param: string | null;
  constructor(status: number, message: string, options: { type?: string; param?: string } = {}) {
    super(message);
    this.status = status;
    this.type = options.type ?? errorTypeFor(status);
    this.param = options.param ?? null;
  }

  /**
   * This error as a release of validator era `era` answers it: itself, but for a validation
   * error list whose validators raise VLLMValidationError from 0.13.0 (pydantic-errors.ts).
   */
  inEra(_era: ValidatorErrorEra): VllmError {
    return this;
  }

  /**
   * This error as release `profile` answers it: by default its validator era's
   * ({@link VllmError.inEra}); {@link ByRelease} picks among texts that changed at other releases.
   */
  inRelease(profile: VllmProfile): VllmError {
    return this.inEra(profile.validatorErrors);
  }
}

/**
 * A refusal whose text changed at a release that no validator era marks (a check's own rewording):
 * `pick` chooses the error a release answers. A caller without a release (the request parsers
 * called alone) reads `fallback`, whose status, type, param and text this error carries.
 */
export class ByRelease extends VllmError {
  readonly #pick: (profile: VllmProfile) => VllmError;
  constructor(fallback: VllmError, pick: (profile: VllmProfile) => VllmError) {
    super(fallback.status, fallback.message, {
      type: fallback.type,
      ...(fallback.param === null ? {} : { param: fallback.param }),
    });
    this.#pick = pick;
  }

  override inRelease(profile: VllmProfile): VllmError {
    return this.#pick(profile).inRelease(profile);
  }
}

/**
 * A check outside pydantic that raises `VLLMValidationError(text, parameter=, value=)` in the
 * releases of {@link ValidatorErrorEra} `sampling-validation-error` (vLLM PR #31870: SamplingParams
 * `_verify_args`, the input processor's logprobs bounds) and a plain ValueError before.
 * `create_error_response` answers `str(e)`: from that era the text gains
 * ` (parameter=<name>, value=<value>)` (vllm/exceptions.py `__str__`) and `param` the name
 * (serving_engine.py); before, the text alone and `param` null.
 */
export class ParameterError extends VllmError {
  /** The parameter the check names, e.g. `temperature`. */
  readonly parameter: string;
  /** The rejected value as Python's `str` prints it (`-1.0` for a float field sent as -1). */
  readonly value: string;
  constructor(message: string, parameter: string, value: string) {
    super(400, message);
    this.parameter = parameter;
    this.value = value;
  }

  /** The text with the parameter and value from PR #31870's release, else this error. */
  override inEra(era: ValidatorErrorEra): VllmError {
    if (era !== "sampling-validation-error") return this;
    const text = `${this.message} (parameter=${this.parameter}, value=${this.value})`;
    return new VllmError(400, text, { param: this.parameter });
  }
}

/** A 400 `BadRequestError`, the answer to nearly every invalid request (vllm-openai.md §3). */
export function badRequest(message: string, param?: string): VllmError {
  return new VllmError(400, message, param === undefined ? {} : { param });
}

/** Unknown model: 404 ``The model `<name>` does not exist.`` (vllm-openai.md §3, backticks). */
export function modelNotFound(name: string): VllmError {
  return new VllmError(404, `The model \`${name}\` does not exist.`);
}

/** The error object as an envelope style shapes it. */
export function errorEnvelope(style: ErrorEnvelopeStyle, error: VllmError): object {
  const fields = {
    message: error.message,
    type: error.type,
    param: error.param,
    code: error.status,
  };
  return style === "flat" ? { object: "error", ...fields } : { error: fields };
}

/** The JSON answer for an error under a profile. */
export function errorReply(profile: VllmProfile, error: VllmError): CannedReply {
  const shown = error.inRelease(profile);
  return {
    status: shown.status,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(errorEnvelope(profile.envelope, shown)),
  };
}

/**
 * The event a stream sends when it fails after its 200 headers (vllm-openai.md §3): old
 * versions wrap the flat object as `{"error":{...,"object":"error"}}`, newer ones send the
 * nested envelope; both arrive as one `data:` event before `data: [DONE]`.
 */
export function streamErrorPayload(profile: VllmProfile, error: VllmError): object {
  return profile.envelope === "flat"
    ? { error: errorEnvelope("flat", error) }
    : errorEnvelope("nested", error);
}

/** What a context-length check knows. */
export interface ContextOverflow {
  /** The model's `max_model_len` (L). */
  readonly maxModelLen: number;
  /** Prompt tokens (N). */
  readonly promptTokens: number;
  /** The requested `max_tokens` / `max_completion_tokens` (M), when the request set one. */
  readonly maxTokens: number | undefined;
  /** Which endpoint asks: chat appends the cause suffix in the eras that do. */
  readonly endpoint: "chat" | "completions";
}

function contextMessage(era: ContextLengthEra, o: ContextOverflow): string {
  const L = o.maxModelLen;
  const N = o.promptTokens;
  const M = o.maxTokens;
  if (era === "a") {
    return M === undefined || N >= L
      ? `This model's maximum context length is ${L} tokens. However, you requested ${N} tokens in the messages, Please reduce the length of the messages.`
      : `This model's maximum context length is ${L} tokens. However, you requested ${N + M} tokens (${N} in the messages, ${M} in the completion). Please reduce the length of the messages or completion.`;
  }
  if (era === "b") {
    return M === undefined || N >= L
      ? `This model's maximum context length is ${L} tokens. However, your request has ${N} input tokens. Please reduce the length of the input messages.`
      : `'max_tokens' or 'max_completion_tokens' is too large: ${M}. This model's maximum context length is ${L} tokens and your request has ${N} input tokens (${M} > ${L} - ${N}).`;
  }
  // Era C has one text; with no max_tokens asked, at least one output token is (derived).
  const out = M ?? 1;
  return `This model's maximum context length is ${L} tokens. However, you requested ${out} output tokens and your prompt contains at least ${N} input tokens, for a total of at least ${out + N} tokens. Please reduce the length of the input prompt or the number of requested output tokens. (parameter=input_tokens, value=${N})`;
}

/**
 * The 400 for a prompt that does not fit: the prompt may hold at most L−1 tokens and prompt plus
 * `max_tokens` at most L (vllm-openai.md §3.1). Returns undefined when the request fits.
 */
export function checkContextLength(
  profile: VllmProfile,
  o: ContextOverflow,
): VllmError | undefined {
  const fits =
    o.promptTokens < o.maxModelLen &&
    (o.maxTokens === undefined || o.promptTokens + o.maxTokens <= o.maxModelLen);
  if (fits) return undefined;
  let message = contextMessage(profile.contextLength, o);
  if (o.endpoint === "chat" && profile.chatCauseSuffix) message += " None";
  return profile.contextLength === "c" ? badRequest(message, "input_tokens") : badRequest(message);
}
