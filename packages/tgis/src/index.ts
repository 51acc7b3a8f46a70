/**
 * `@servingkit/tgis`: the typed client of TGIS (`fmaas.GenerationService`: Generate,
 * GenerateStream, Tokenize, ModelInfo), over client-core's gRPC transport (TLS, bearer token,
 * retries, timeouts). The mock runtime is the `./mock` subpath.
 *
 * @packageDocumentation
 */
import type { CallOptions } from "@connectrpc/connect";
import {
  createGrpcClient,
  createGrpcTransport,
  type GrpcClientOptions,
} from "@servingkit/client-core";
import {
  type BatchedTokenizeResponse,
  type GenerationResponse,
  GenerationService,
  type ModelInfoResponse,
} from "@servingkit/proto/fmaas";
import { type TgisParameters, toProtoParameters } from "./parameters.js";

export {
  type GenerationResponse,
  ModelInfoResponse_ModelKind,
  StopReason,
  type TokenInfo,
  type TokenizeResponse,
} from "@servingkit/proto/fmaas";
export { type TgisParameters, toProtoParameters } from "./parameters.js";

/** Per-call options: abort signal, timeout (ms), extra metadata. */
export type TgisCallOptions = Pick<CallOptions, "signal" | "timeoutMs" | "headers">;

/** Per-call options of Generate and GenerateStream. */
export interface GenerateCallOptions extends TgisCallOptions {
  /**
   * A prompt prefix (tuned soft prompt) the server loads from its prefix store; unknown ids fail
   * with INVALID_ARGUMENT "can't retrieve prompt prefix with id '<id>': ...".
   */
  readonly prefixId?: string;
}

/** What {@link TgisClient.tokenize} may return besides counts. */
export interface TokenizeOptions {
  /** Return the token strings. */
  readonly returnTokens?: boolean;
  /** Return the character offsets of each token. */
  readonly returnOffsets?: boolean;
  /** Count (and return) only the last N tokens; 0 = all. */
  readonly truncateInputTokens?: number;
}

/** The TGIS client. Every method throws `ServingkitError` (client-core) on failure. */
export interface TgisClient {
  /**
   * `Generate`: one response per prompt, in order. TGIS serves one model, so `model_id` is not
   * asked for (the server ignores it).
   */
  generate(
    prompts: string | readonly string[],
    parameters?: TgisParameters,
    options?: GenerateCallOptions,
  ): Promise<GenerationResponse[]>;
  /**
   * `GenerateStream`: the first message carries the input token count and seed, then one per
   * token (delta text, rising `generatedTokenCount`), the last with `stopReason`. Leaving the
   * loop early (`break`) cancels the call.
   */
  generateStream(
    prompt: string,
    parameters?: TgisParameters,
    options?: GenerateCallOptions,
  ): AsyncIterable<GenerationResponse>;
  /** `Tokenize`: one result per text. */
  tokenize(
    texts: string | readonly string[],
    tokenize?: TokenizeOptions,
    options?: TgisCallOptions,
  ): Promise<BatchedTokenizeResponse["responses"]>;
  /** `ModelInfo`: model kind, max_sequence_length, max_new_tokens. */
  modelInfo(options?: TgisCallOptions): Promise<ModelInfoResponse>;
}

/**
 * Creates a TGIS client. `address` is `host:port` (h2c, e.g. `127.0.0.1:8033`) or an
 * `https://host:443` route; `token` and `tls` as client-core's gRPC options.
 *
 * @example
 * const tgis = createTgisClient({ address: "https://tgis-ns.apps.example.com:443", token });
 * const [answer] = await tgis.generate("Hello", { maxNewTokens: 10 });
 */
export function createTgisClient(options: GrpcClientOptions): TgisClient {
  const client = createGrpcClient(GenerationService, createGrpcTransport(options));
  const list = (value: string | readonly string[]) => (typeof value === "string" ? [value] : value);
  return {
    async generate(prompts, parameters, { prefixId, ...callOptions } = {}) {
      const reply = await client.generate(
        {
          requests: list(prompts).map((text) => ({ text })),
          params: toProtoParameters(parameters),
          ...(prefixId === undefined ? {} : { prefixId }),
        },
        callOptions,
      );
      return reply.responses;
    },
    generateStream(prompt, parameters, { prefixId, ...callOptions } = {}) {
      return client.generateStream(
        {
          request: { text: prompt },
          params: toProtoParameters(parameters),
          ...(prefixId === undefined ? {} : { prefixId }),
        },
        callOptions,
      );
    },
    async tokenize(texts, tokenize = {}, callOptions) {
      const reply = await client.tokenize(
        {
          requests: list(texts).map((text) => ({ text })),
          returnTokens: tokenize.returnTokens ?? false,
          returnOffsets: tokenize.returnOffsets ?? false,
          truncateInputTokens: tokenize.truncateInputTokens ?? 0,
        },
        callOptions,
      );
      return reply.responses;
    },
    modelInfo(callOptions) {
      return client.modelInfo({}, callOptions);
    },
  };
}
