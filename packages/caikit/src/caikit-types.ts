/**
 * The caikit client's typed parameters and results: one camelCase shape whichever transport
 * carries the call (REST JSON is snake_case, gRPC messages are protobuf-es objects; both map
 * onto these). Counts are numbers; seeds are bigints (u64). Field facts: caikit-tgis.md §1.3-1.6,
 * §2.3-2.5.
 */

/** Text-generation parameters of Caikit TGIS (all optional; the server's defaults apply). */
export interface TextGenerationParameters {
  /** Default 20. */
  readonly maxNewTokens?: number;
  /** Default 0. */
  readonly minNewTokens?: number;
  /** Keep the last N input tokens; 0 = none. */
  readonly truncateInputTokens?: number;
  /** `GREEDY` (default) or `SAMPLING`. */
  readonly decodingMethod?: "GREEDY" | "SAMPLING";
  /** Sampling only. */
  readonly topK?: number;
  /** Sampling only, in (0, 1]. */
  readonly topP?: number;
  /** Sampling only, ≤ 1. */
  readonly typicalP?: number;
  /** Sampling only, ≥ 0.05. */
  readonly temperature?: number;
  /** > 0; 1 = none. */
  readonly repetitionPenalty?: number;
  /** Time limit in seconds. */
  readonly maxTime?: number;
  /** Raises the EOS score from `startIndex` on; `decayFactor` in [1, 10]. */
  readonly exponentialDecayLengthPenalty?: {
    readonly startIndex: number;
    readonly decayFactor: number;
  };
  /** Stop strings. */
  readonly stopSequences?: readonly string[];
  /** Sampling seed (u64). */
  readonly seed?: bigint | number;
  /** Prefix the prompt to the text. */
  readonly preserveInputText?: boolean;
  /** Return input token details. */
  readonly inputTokens?: boolean;
  /** Return generated token details. */
  readonly generatedTokens?: boolean;
  /** Log-probabilities in token details. */
  readonly tokenLogprobs?: boolean;
  /** Ranks in token details. */
  readonly tokenRanks?: boolean;
  /** Keep a matched stop sequence; unset = TGIS's default. */
  readonly includeStopSequence?: boolean;
}

/** Why generation ended (caikit's FinishReason names). */
export type FinishReason =
  | "NOT_FINISHED"
  | "MAX_TOKENS"
  | "EOS_TOKEN"
  | "CANCELLED"
  | "TIME_LIMIT"
  | "STOP_SEQUENCE"
  | "TOKEN_LIMIT"
  | "ERROR";

/** One token's details. */
export interface GeneratedToken {
  readonly text: string;
  readonly logprob: number;
  readonly rank: number;
}

/** Who produced a result. */
export interface ProducerId {
  readonly name: string;
  readonly version: string;
}

/** A unary text generation result. */
export interface GeneratedText {
  readonly generatedText: string;
  /** The number of generated tokens. */
  readonly generatedTokens: number;
  readonly finishReason: FinishReason;
  readonly producerId?: ProducerId;
  readonly inputTokenCount: number;
  /** The request's seed echoed (REST: absent when none was sent; gRPC: 0). */
  readonly seed?: bigint;
  readonly tokens: readonly GeneratedToken[];
  readonly inputTokens: readonly GeneratedToken[];
}

/** One streamed text generation result: a text delta and running details. */
export interface GeneratedTextChunk {
  readonly generatedText: string;
  readonly tokens: readonly GeneratedToken[];
  readonly details?: {
    readonly finishReason: FinishReason;
    /** Tokens generated so far. */
    readonly generatedTokens: number;
    readonly seed: bigint;
    readonly inputTokenCount: number;
  };
  readonly inputTokens: readonly GeneratedToken[];
}

/** A tokenization result (through TGIS only the count is filled). */
export interface Tokenization {
  readonly results: readonly {
    readonly start: number;
    readonly end: number;
    readonly text: string;
  }[];
  readonly tokenCount: number;
}

/** Truncation parameter of the embedding tasks. */
export interface EmbeddingParameters {
  /** < 0: the model truncates; 0 (default) or above the max: too long is an error; N: cut to N. */
  readonly truncateInputTokens?: number;
}

/** An embedding result. */
export interface Embedding {
  readonly vector: readonly number[];
  readonly producerId?: ProducerId;
  readonly inputTokenCount: number;
}

/** Several embeddings. */
export interface Embeddings {
  readonly vectors: readonly (readonly number[])[];
  readonly producerId?: ProducerId;
  readonly inputTokenCount: number;
}

/** Sentence similarity scores (one per sentence). */
export interface SentenceSimilarity {
  readonly scores: readonly number[];
  readonly producerId?: ProducerId;
  readonly inputTokenCount: number;
}

/** Sentence similarity scores per source sentence. */
export interface SentenceSimilarities {
  readonly results: readonly (readonly number[])[];
  readonly producerId?: ProducerId;
  readonly inputTokenCount: number;
}

/** A rerank document: any JSON object; its text is `text` (or `_text`). */
export type RerankDocument = Readonly<Record<string, unknown>>;

/** Rerank parameters. */
export interface RerankParameters extends EmbeddingParameters {
  /** How many to return; unset or < 1: all. */
  readonly topN?: number;
  /** Return each document (default true). */
  readonly returnDocuments?: boolean;
  /** Return the query (default true). */
  readonly returnQuery?: boolean;
  /** Return each document's text (default true). */
  readonly returnText?: boolean;
}

/** One query's ranking, best first. */
export interface RerankScores {
  /** The query (REST: null when `returnQuery` is false; gRPC: ""). */
  readonly query: string | null;
  readonly scores: readonly {
    readonly document: RerankDocument | null;
    readonly index: number;
    readonly score: number;
    readonly text: string | null;
  }[];
}

/** A rerank result. */
export interface Rerank {
  readonly result: RerankScores;
  readonly producerId?: ProducerId;
  readonly inputTokenCount: number;
}

/** Rerank results, one per query. */
export interface Reranks {
  readonly results: readonly RerankScores[];
  readonly producerId?: ProducerId;
  readonly inputTokenCount: number;
}

/** One label's score (`ClassificationResult`). */
export interface TextClassification {
  readonly label: string;
  readonly score: number;
}

/** One classified span (`TokenClassificationResult`); unset fields are absent. */
export interface TokenClassification {
  /** Start offset in the text (Python code points). */
  readonly start: number;
  /** End offset (exclusive). */
  readonly end: number;
  readonly word: string;
  readonly entity: string;
  readonly entityGroup?: string;
  readonly score: number;
  readonly tokenCount?: number;
}

/** Token classification parameters. */
export interface TokenClassificationParameters {
  /** Report labels scoring at least this; default the model's configured threshold. */
  readonly threshold?: number;
}

/** A served model as `/info/models` / GetModelsInfo describe it. */
export interface ModelInfo {
  readonly modelPath: string;
  readonly name: string;
  readonly size: number;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly loaded: boolean;
  readonly moduleId: string;
  readonly moduleMetadata: Readonly<Record<string, string>>;
}

/** The runtime's version info (`/info/version`, GetRuntimeInfo). */
export interface RuntimeInfo {
  readonly runtimeVersion: string;
  readonly pythonPackages: Readonly<Record<string, string>>;
}

/** Per-call options. */
export interface CaikitCallOptions {
  /** Aborts the call. */
  readonly signal?: AbortSignal;
  /** Time limit of each attempt, milliseconds. */
  readonly timeoutMs?: number;
}

/** One API over caikit's REST and gRPC transports. Errors are client-core's ServingkitError. */
export interface CaikitClient {
  /** Which transport carries the calls. */
  readonly transport: "rest" | "grpc";
  /** `text-generation` / TextGenerationTaskPredict. */
  generateText(
    modelId: string,
    text: string,
    parameters?: TextGenerationParameters,
    options?: CaikitCallOptions,
  ): Promise<GeneratedText>;
  /** `server-streaming-text-generation` / ServerStreamingTextGenerationTaskPredict; `break` cancels. */
  generateTextStream(
    modelId: string,
    text: string,
    parameters?: TextGenerationParameters,
    options?: CaikitCallOptions,
  ): AsyncIterable<GeneratedTextChunk>;
  /** `tokenization` / TokenizationTaskPredict. */
  tokenize(modelId: string, text: string, options?: CaikitCallOptions): Promise<Tokenization>;
  /** `embedding` / EmbeddingTaskPredict. */
  embedding(
    modelId: string,
    text: string,
    parameters?: EmbeddingParameters,
    options?: CaikitCallOptions,
  ): Promise<Embedding>;
  /** `embedding-tasks` / EmbeddingTasksPredict. */
  embeddings(
    modelId: string,
    texts: readonly string[],
    parameters?: EmbeddingParameters,
    options?: CaikitCallOptions,
  ): Promise<Embeddings>;
  /** `sentence-similarity` / SentenceSimilarityTaskPredict. */
  sentenceSimilarity(
    modelId: string,
    sourceSentence: string,
    sentences: readonly string[],
    parameters?: EmbeddingParameters,
    options?: CaikitCallOptions,
  ): Promise<SentenceSimilarity>;
  /** `sentence-similarity-tasks` / SentenceSimilarityTasksPredict. */
  sentenceSimilarities(
    modelId: string,
    sourceSentences: readonly string[],
    sentences: readonly string[],
    parameters?: EmbeddingParameters,
    options?: CaikitCallOptions,
  ): Promise<SentenceSimilarities>;
  /** `rerank` / RerankTaskPredict. */
  rerank(
    modelId: string,
    query: string,
    documents: readonly RerankDocument[],
    parameters?: RerankParameters,
    options?: CaikitCallOptions,
  ): Promise<Rerank>;
  /** `rerank-tasks` / RerankTasksPredict (`returnQuery` maps to `return_queries`). */
  rerankMany(
    modelId: string,
    queries: readonly string[],
    documents: readonly RerankDocument[],
    parameters?: RerankParameters,
    options?: CaikitCallOptions,
  ): Promise<Reranks>;
  /** `text-classification` / TextClassificationTaskPredict: one score per label. */
  classifyText(
    modelId: string,
    text: string,
    options?: CaikitCallOptions,
  ): Promise<TextClassification[]>;
  /** `token-classification` / TokenClassificationTaskPredict: spans above the threshold. */
  classifyTokens(
    modelId: string,
    text: string,
    parameters?: TokenClassificationParameters,
    options?: CaikitCallOptions,
  ): Promise<TokenClassification[]>;
  /** `/info/models` / GetModelsInfo; all models when `modelIds` is empty. */
  modelsInfo(modelIds?: readonly string[], options?: CaikitCallOptions): Promise<ModelInfo[]>;
  /** `/info/version` / GetRuntimeInfo. */
  runtimeInfo(options?: CaikitCallOptions): Promise<RuntimeInfo>;
  /** Releases connections the client opened. */
  close(): Promise<void>;
}
