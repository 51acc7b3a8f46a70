/**
 * TGIS's `fmaas.GenerationService` as plain functions over a {@link TextModel}: Generate,
 * GenerateStream (the message sequence of caikit-tgis.md §3.6), Tokenize and ModelInfo, with the
 * concurrency limit. No I/O of its own: the gRPC plugin (`../mock.ts`) and Caikit TGIS call it.
 *
 * Sources: IBM/text-generation-inference `router/src/grpc_server.rs`, `router/src/batcher.rs`,
 * `router/src/validation.rs`; caikit-tgis.md §3.3-3.6.
 */
import { randomInt } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  GenerationRequestError,
  promptLogprobs,
  type TokenEvent,
} from "@servingkit/mock-core/engine";
import type { Clock } from "@servingkit/mock-core/host";
import {
  type BatchedGenerationRequest,
  type BatchedGenerationResponse,
  BatchedGenerationResponseSchema,
  type BatchedTokenizeRequest,
  type BatchedTokenizeResponse,
  BatchedTokenizeResponseSchema,
  type GenerationResponse,
  GenerationResponseSchema,
  type ModelInfoResponse,
  ModelInfoResponse_ModelKind,
  ModelInfoResponseSchema,
  type SingleGenerationRequest,
  StopReason,
  type TokenInfo,
  TokenInfoSchema,
} from "@servingkit/proto/fmaas";
import {
  convertParameters,
  type GenerateParameters,
  invalidArgument,
  prefixLengthOf,
  type TgisLimits,
  type ValidatedInput,
  validateInputLength,
  validateParameters,
} from "./generation-parameters.js";
import { defaultPrefixStorePath, type PromptPrefixes, prefixStore } from "./prompt-prefixes.js";
import { isEncoderDecoder, type TextModel } from "./text-model.js";
import type { GenerationObserver, RequestKind } from "./tgis-metrics.js";

/** What {@link createGenerationService} needs. */
export interface GenerationServiceOptions {
  /** The served model. */
  readonly model: TextModel;
  /** The server's limits. */
  readonly limits: TgisLimits;
  /** Time for `time_limit_millis`. */
  readonly clock: Clock;
  /** Picks the seed of a SAMPLE request without one; default a random u32 (validation.rs). */
  readonly randomSeed?: () => bigint;
  /** Told of requests, failures and successes (TGIS's metrics); default none. */
  readonly observer?: GenerationObserver;
  /**
   * The prompt prefixes `prefix_id` names; default TGIS's prefix store directory
   * (`$PREFIX_STORE_PATH`, else `prompt_prefixes`), read on first use of each id.
   */
  readonly prefixes?: PromptPrefixes;
}

/** The four RPCs of `fmaas.GenerationService`, transport-free. Errors are `ConnectError`s. */
export interface GenerationService {
  /** `Generate`: one response per request, in order; an empty batch answers `responses: []`. */
  generate(
    request: BatchedGenerationRequest,
    signal?: AbortSignal,
  ): Promise<BatchedGenerationResponse>;
  /**
   * `GenerateStream`: validation and the concurrency permit happen before the first message
   * (errors throw from the call, not the iteration); the permit is released when the stream
   * ends or its consumer leaves.
   */
  generateStream(
    request: SingleGenerationRequest,
    signal?: AbortSignal,
  ): Promise<AsyncIterable<GenerationResponse>>;
  /** `Tokenize`: counts (at most `truncate_input_tokens`), tail tokens and offsets on request. */
  tokenize(request: BatchedTokenizeRequest): BatchedTokenizeResponse;
  /** `ModelInfo`: kind and limits; the request's model_id is ignored. */
  modelInfo(): ModelInfoResponse;
  /** Requests holding a concurrency permit now. */
  readonly inFlight: number;
}

/** A request that passed validation, ready to generate. */
interface PreparedRequest {
  readonly prompt: string;
  readonly promptIds: readonly number[];
  readonly size: ValidatedInput;
  readonly gp: GenerateParameters;
  readonly seed: bigint;
  readonly sampling: boolean;
  readonly deadline: number | undefined;
}

/** What one generation produced, step by step. */
type Step =
  | {
      kind: "token";
      delta: string;
      /** The token's details; undefined unless the request asked for generated tokens. */
      token: TokenInfo | undefined;
      count: number;
    }
  | { kind: "end"; reason: StopReason; stopSequence: string; count: number; text: string };

const engineReasons: Readonly<Record<"eos" | "abort", StopReason>> = {
  eos: StopReason.EOS_TOKEN,
  abort: StopReason.CANCELLED,
};

/** Builds the generation service over a model. */
export function createGenerationService(options: GenerationServiceOptions): GenerationService {
  const { model, limits, clock } = options;
  const randomSeed = options.randomSeed ?? (() => BigInt(randomInt(0, 2 ** 32 - 1)));
  const observer = options.observer;
  const prefixes =
    options.prefixes ??
    prefixStore(defaultPrefixStorePath(), limits.maxSequenceLength, isEncoderDecoder(model.spec));
  let inFlight = 0;

  function acquire(count: number): () => void {
    // grpc_server.rs: try_acquire_many on the max_concurrent_requests semaphore.
    if (inFlight + count > limits.maxConcurrentRequests) {
      observer?.failure("conc_limit");
      throw new ConnectError("Model is overloaded", Code.ResourceExhausted);
    }
    inFlight += count;
    observer?.inFlight(inFlight);
    let released = false;
    return () => {
      if (!released) {
        inFlight -= count;
        observer?.inFlight(inFlight);
      }
      released = true;
    };
  }

  /** `validate` failures count as `validation` (grpc_server.rs GenerationServicer::validate). */
  function validated<T>(run: () => T): T {
    try {
      return run();
    } catch (error) {
      observer?.failure("validation");
      throw error;
    }
  }

  function succeeded(kind: RequestKind, request: PreparedRequest, step: Step, started: number) {
    if (step.kind !== "end" || step.reason === StopReason.CANCELLED) return;
    observer?.success(
      kind,
      StopReason[step.reason],
      request.size.inputLength,
      step.count,
      (clock.now() - started) / 1000,
    );
  }

  function prepare(
    params: BatchedGenerationRequest["params"],
    texts: readonly string[],
    prefixId: string | undefined,
  ): PreparedRequest[] {
    const gp = convertParameters(params, limits.defaultIncludeStopSequences);
    validateParameters(gp, limits);
    // validation.rs: the prefix lookup follows the parameter checks, before tokenizing.
    const prefixLength = prefixLengthOf(prefixId, (id) => prefixes.length(id));
    const deadline = gp.timeLimitMs > 0 ? clock.now() + gp.timeLimitMs : undefined;
    return texts.map((prompt) => {
      // The router counts what the model sees: special tokens included (tokenizers' encode
      // with add_special_tokens, derived from router/src/tokenizer.rs).
      const allIds = model.spec.tokenizer.encode(prompt);
      const size = validateInputLength(gp, allIds.length, limits, prefixLength);
      const promptIds = size.truncated ? allIds.slice(allIds.length - size.inputLength) : allIds;
      const sampling = gp.temperature !== 0;
      // validation.rs: a sampling request without a seed gets a random u32; greedy reports 0.
      const seed = sampling ? (gp.seed ?? randomSeed()) : 0n;
      return { prompt, promptIds, size, gp, seed, sampling, deadline };
    });
  }

  /**
   * The input tokens' details (utils/tokens.py `get_input_tokens_info`): the first token's
   * logprob is NaN and its rank 0 (nothing precedes it); the others get the logprob, rank and
   * top tokens asked for (mock-core's promptLogprobs); unasked details stay zero.
   */
  function inputTokenInfos(request: PreparedRequest): TokenInfo[] {
    const { gp } = request;
    const topN = Math.min(gp.topNTokens, 5);
    const wantDetail = gp.includeLogprobs || gp.includeRanks || topN > 0;
    const details = wantDetail ? promptLogprobs(model.spec, request.promptIds, topN) : [];
    return request.promptIds.map((id, index) => {
      const detail = details[index];
      const text = model.spec.tokenizer.tokenText(id);
      if (!wantDetail) return create(TokenInfoSchema, { text });
      return create(TokenInfoSchema, {
        text,
        logprob: gp.includeLogprobs ? (detail ? detail.logprob : Number.NaN) : 0,
        rank: gp.includeRanks ? (detail?.rank ?? 0) : 0,
        topTokens:
          topN > 0 && detail
            ? detail.top.map((t) => ({
                text: model.spec.tokenizer.tokenText(t.id),
                logprob: gp.includeLogprobs ? t.logprob : 0,
              }))
            : [],
      });
    });
  }

  function tokenInfo(request: PreparedRequest, event: TokenEvent): TokenInfo {
    const { gp } = request;
    const top = event.top ?? [];
    return create(TokenInfoSchema, {
      text: model.spec.tokenizer.tokenText(event.id),
      logprob: gp.includeLogprobs ? (event.logprob ?? 0) : 0,
      rank: gp.includeRanks ? (event.rank ?? 1) : 0,
      topTokens:
        gp.topNTokens > 0
          ? top.slice(0, Math.min(gp.topNTokens, 5)).map((t) => ({
              text: model.spec.tokenizer.tokenText(t.id),
              logprob: t.logprob,
            }))
          : [],
    });
  }

  async function* run(request: PreparedRequest, signal?: AbortSignal): AsyncGenerator<Step> {
    const { gp, size } = request;
    let text = "";
    let count = 0;
    const end = (reason: StopReason, stopSequence = ""): Step => ({
      kind: "end",
      reason,
      stopSequence,
      count,
      text,
    });
    if (request.deadline !== undefined && clock.now() >= request.deadline) {
      yield end(StopReason.TIME_LIMIT);
      return;
    }
    const wantDetail = gp.includeLogprobs || gp.includeRanks || gp.topNTokens > 0;
    const events = model.engine.generate(
      {
        promptIds: request.promptIds,
        maxTokens: size.maxNewTokens,
        minTokens: gp.minNewTokens,
        temperature: gp.temperature,
        topP: gp.topP,
        topK: Math.max(0, gp.topK),
        seed: Number(request.seed & 0xffffffffn),
        stop: gp.stopSequences,
        includeStopInOutput: gp.includeStopSequence,
        ...(wantDetail ? { logprobs: Math.min(gp.topNTokens, 5) } : {}),
      },
      signal ? { signal } : {},
    );
    try {
      for await (const event of events) {
        if (event.type === "finish") {
          if (event.reason === "length") {
            yield end(size.tokenLimited ? StopReason.TOKEN_LIMIT : StopReason.MAX_TOKENS);
          } else if (event.reason === "stop") {
            yield end(StopReason.STOP_SEQUENCE, typeof event.stop === "string" ? event.stop : "");
          } else {
            yield end(engineReasons[event.reason]);
          }
          return;
        }
        count += 1;
        text += event.text;
        // The engine releases text: a token may carry "" (held back) or earlier text.
        // Token details only when the answer carries them (include_generated_tokens).
        const token = gp.includeGeneratedTokens ? tokenInfo(request, event) : undefined;
        yield { kind: "token", delta: event.text, token, count };
        if (request.deadline !== undefined && clock.now() >= request.deadline) {
          yield end(StopReason.TIME_LIMIT);
          return;
        }
      }
    } catch (error) {
      if (error instanceof GenerationRequestError) {
        throw new ConnectError(`Request failed during generation: ${error.message}`, Code.Unknown);
      }
      throw error;
    }
    yield end(StopReason.CANCELLED);
  }

  async function generateOne(
    request: PreparedRequest,
    kind: RequestKind,
    signal?: AbortSignal,
  ): Promise<GenerationResponse> {
    const started = clock.now();
    const tokens: TokenInfo[] = [];
    for await (const step of run(request, signal)) {
      if (step.kind === "token") {
        if (step.token) tokens.push(step.token);
        continue;
      }
      succeeded(kind, request, step, started);
      return create(GenerationResponseSchema, {
        inputTokenCount: request.size.inputLength,
        generatedTokenCount: step.count,
        text: (request.gp.includeInputText ? request.prompt : "") + step.text,
        stopReason: step.reason,
        stopSequence: step.stopSequence,
        seed: request.seed,
        tokens: request.gp.includeGeneratedTokens ? tokens : [],
        inputTokens: request.gp.includeInputTokens ? inputTokenInfos(request) : [],
      });
    }
    throw new ConnectError("Request failed during generation: no result", Code.Unknown);
  }

  async function* streamOf(
    request: PreparedRequest,
    release: () => void,
    signal?: AbortSignal,
  ): AsyncGenerator<GenerationResponse> {
    const started = clock.now();
    try {
      // §3.6 (1): input count and seed first, the prompt only with input_text.
      yield create(GenerationResponseSchema, {
        inputTokenCount: request.size.inputLength,
        seed: request.seed,
        text: request.gp.includeInputText ? request.prompt : "",
      });
      // §3.6 (2): the input tokens in a message of their own.
      if (request.gp.includeInputTokens) {
        yield create(GenerationResponseSchema, { inputTokens: inputTokenInfos(request) });
      }
      let pending: GenerationResponse | undefined;
      for await (const step of run(request, signal)) {
        if (step.kind === "token") {
          if (pending) yield pending;
          pending = create(GenerationResponseSchema, {
            generatedTokenCount: step.count,
            text: step.delta,
            tokens: step.token ? [step.token] : [],
          });
          continue;
        }
        succeeded("stream", request, step, started);
        // §3.6 (4): the last token's message carries the stop reason and the seed; with no
        // token at all, a message of its own does.
        const last = pending ?? create(GenerationResponseSchema, { generatedTokenCount: 0 });
        last.stopReason = step.reason;
        last.stopSequence = step.stopSequence;
        last.seed = request.seed;
        yield last;
        return;
      }
    } finally {
      release();
    }
  }

  /**
   * Offsets for ids that include special tokens: the tokenizer's offsets cover the plain ids;
   * added special tokens get `(0, 0)` as Hugging Face tokenizers report them.
   */
  function offsetsWithSpecials(ids: readonly number[], text: string): [number, number][] {
    const { tokenizer } = model.spec;
    const plain = tokenizer.offsets(text);
    let extra = ids.length - plain.length;
    let next = 0;
    return ids.map((id) => {
      if (extra > 0 && tokenizer.isSpecial(id)) {
        extra -= 1;
        return [0, 0];
      }
      return plain[next++] ?? [0, 0];
    });
  }

  return {
    get inFlight() {
      return inFlight;
    },
    async generate(request, signal) {
      const kind: RequestKind = request.requests.length === 1 ? "single" : "batch";
      observer?.request(kind, request.requests.length);
      if (request.requests.length === 0) return create(BatchedGenerationResponseSchema, {});
      const release = acquire(request.requests.length);
      try {
        const prepared = validated(() =>
          prepare(
            request.params,
            request.requests.map((r) => r.text),
            request.prefixId,
          ),
        );
        const responses = await Promise.all(prepared.map((p) => generateOne(p, kind, signal)));
        return create(BatchedGenerationResponseSchema, { responses });
      } finally {
        release();
      }
    },
    async generateStream(request, signal) {
      observer?.request("stream", 1);
      const release = acquire(1);
      try {
        if (request.request === undefined) throw invalidArgument("missing request");
        const text = request.request.text;
        const [prepared] = validated(() => prepare(request.params, [text], request.prefixId));
        if (prepared === undefined) throw invalidArgument("missing request");
        return streamOf(prepared, release, signal);
      } catch (error) {
        release();
        throw error;
      }
    },
    tokenize(request) {
      // grpc_server.rs `tokenize`: truncate 0 = no limit; the LAST tokens are kept.
      const truncateTo = request.truncateInputTokens === 0 ? Infinity : request.truncateInputTokens;
      const { tokenizer } = model.spec;
      const responses = request.requests.map(({ text }) => {
        const ids = tokenizer.encode(text);
        const from = Math.max(0, ids.length - truncateTo);
        return {
          tokenCount: Math.min(ids.length, truncateTo),
          tokens: request.returnTokens ? ids.slice(from).map((id) => tokenizer.tokenText(id)) : [],
          offsets: request.returnOffsets
            ? offsetsWithSpecials(ids, text)
                .slice(from)
                .map(([start, end]) => ({ start, end }))
            : [],
        };
      });
      observer?.tokenize(responses.reduce((sum, r) => sum + r.tokenCount, 0));
      return create(BatchedTokenizeResponseSchema, { responses });
    },
    modelInfo() {
      return create(ModelInfoResponseSchema, {
        modelKind: isEncoderDecoder(model.spec)
          ? ModelInfoResponse_ModelKind.ENCODER_DECODER
          : ModelInfoResponse_ModelKind.DECODER_ONLY,
        maxSequenceLength: limits.maxSequenceLength,
        maxNewTokens: limits.maxNewTokens,
      });
    },
  };
}
