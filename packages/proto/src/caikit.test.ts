import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import * as caikit from "./caikit.js";
import {
  EmbeddingResultSchema,
  ExponentialDecayLengthPenaltySchema,
  FinishReason,
  file_caikit_data_model_caikit_nlp_caikit_nlp,
  file_caikit_data_model_common_common,
  file_caikit_data_model_common_runtime_runtime,
  file_caikit_data_model_nlp_nlp,
  file_caikit_runtime_info_info_service,
  file_caikit_runtime_Nlp_nlp_service,
  GeneratedTextResultSchema,
  GeneratedTextStreamResultSchema,
  GeneratedTokenSchema,
  InfoService,
  ModelInfoSchema,
  NlpService,
  RerankResultSchema,
  RerankTaskRequestSchema,
  ServerStreamingTextGenerationTaskRequestSchema,
  TextGenerationTaskRequestSchema,
  TokenizationResultsSchema,
  Vector1DSchema,
} from "./caikit.js";
import {
  enumValues,
  fieldSignatures,
  generatedExportNames,
  methodSignatures,
} from "./testdata/describe.js";
import { hex } from "./testdata/hex.js";

describe("caikit services", () => {
  it("NlpService has every RPC of caikit-tgis.md §2.1 with its kind and types", () => {
    expect(methodSignatures(NlpService)).toEqual({
      "/caikit.runtime.Nlp.NlpService/TextGenerationTaskPredict":
        "unary caikit.runtime.Nlp.TextGenerationTaskRequest -> caikit_data_model.nlp.GeneratedTextResult",
      "/caikit.runtime.Nlp.NlpService/ServerStreamingTextGenerationTaskPredict":
        "server_streaming caikit.runtime.Nlp.ServerStreamingTextGenerationTaskRequest -> caikit_data_model.nlp.GeneratedTextStreamResult",
      "/caikit.runtime.Nlp.NlpService/TokenizationTaskPredict":
        "unary caikit.runtime.Nlp.TokenizationTaskRequest -> caikit_data_model.nlp.TokenizationResults",
      "/caikit.runtime.Nlp.NlpService/EmbeddingTaskPredict":
        "unary caikit.runtime.Nlp.EmbeddingTaskRequest -> caikit_data_model.caikit_nlp.EmbeddingResult",
      "/caikit.runtime.Nlp.NlpService/EmbeddingTasksPredict":
        "unary caikit.runtime.Nlp.EmbeddingTasksRequest -> caikit_data_model.caikit_nlp.EmbeddingResults",
      "/caikit.runtime.Nlp.NlpService/SentenceSimilarityTaskPredict":
        "unary caikit.runtime.Nlp.SentenceSimilarityTaskRequest -> caikit_data_model.caikit_nlp.SentenceSimilarityResult",
      "/caikit.runtime.Nlp.NlpService/SentenceSimilarityTasksPredict":
        "unary caikit.runtime.Nlp.SentenceSimilarityTasksRequest -> caikit_data_model.caikit_nlp.SentenceSimilarityResults",
      "/caikit.runtime.Nlp.NlpService/RerankTaskPredict":
        "unary caikit.runtime.Nlp.RerankTaskRequest -> caikit_data_model.caikit_nlp.RerankResult",
      "/caikit.runtime.Nlp.NlpService/RerankTasksPredict":
        "unary caikit.runtime.Nlp.RerankTasksRequest -> caikit_data_model.caikit_nlp.RerankResults",
      "/caikit.runtime.Nlp.NlpService/TextClassificationTaskPredict":
        "unary caikit.runtime.Nlp.TextClassificationTaskRequest -> caikit_data_model.nlp.ClassificationResults",
      "/caikit.runtime.Nlp.NlpService/TokenClassificationTaskPredict":
        "unary caikit.runtime.Nlp.TokenClassificationTaskRequest -> caikit_data_model.nlp.TokenClassificationResults",
      "/caikit.runtime.Nlp.NlpService/BidiStreamingTokenClassificationTaskPredict":
        "bidi_streaming caikit.runtime.Nlp.BidiStreamingTokenClassificationTaskRequest -> caikit_data_model.nlp.TokenClassificationStreamResult",
    });
  });

  it("InfoService has GetRuntimeInfo and GetModelsInfo with caikit_data_model.common.runtime messages (§2.5)", () => {
    expect(methodSignatures(InfoService)).toEqual({
      "/caikit.runtime.info.InfoService/GetRuntimeInfo":
        "unary caikit_data_model.common.runtime.RuntimeInfoRequest -> caikit_data_model.common.runtime.RuntimeInfoResponse",
      "/caikit.runtime.info.InfoService/GetModelsInfo":
        "unary caikit_data_model.common.runtime.ModelInfoRequest -> caikit_data_model.common.runtime.ModelInfoResponse",
    });
  });
});

describe("caikit.runtime.Nlp requests (caikit-tgis.md §2.3)", () => {
  const textGeneration = {
    text: "1 string",
    max_new_tokens: "2 optional int64",
    min_new_tokens: "3 optional int64",
    truncate_input_tokens: "4 optional int64",
    decoding_method: "5 optional string",
    top_k: "6 optional int64",
    top_p: "7 optional double",
    typical_p: "8 optional double",
    temperature: "9 optional double",
    repetition_penalty: "10 optional double",
    max_time: "11 optional double",
    exponential_decay_length_penalty:
      "12 optional caikit_data_model.caikit_nlp.ExponentialDecayLengthPenalty",
    stop_sequences: "13 repeated string",
    seed: "14 optional uint64",
    preserve_input_text: "15 optional bool",
    // §2.3 (derived): caikit-nlp 0.4.7 added these four to its TGIS modules' run() after
    // preserve_input_text, in this order; include_stop_sequence came later (see UPSTREAM.md).
    input_tokens: "16 optional bool",
    generated_tokens: "17 optional bool",
    token_logprobs: "18 optional bool",
    token_ranks: "19 optional bool",
    include_stop_sequence: "20 optional bool",
  };

  it("pins both text-generation requests, fields 1-20", () => {
    expect(fieldSignatures(TextGenerationTaskRequestSchema)).toEqual(textGeneration);
    expect(fieldSignatures(ServerStreamingTextGenerationTaskRequestSchema)).toEqual(textGeneration);
    expect(fieldSignatures(ExponentialDecayLengthPenaltySchema)).toEqual({
      start_index: "1 int64",
      decay_factor: "2 double",
    });
  });

  it("pins the embedding, similarity, rerank, tokenization and classification requests", () => {
    expect(fieldSignatures(caikit.TokenizationTaskRequestSchema)).toEqual({ text: "1 string" });
    expect(fieldSignatures(caikit.EmbeddingTaskRequestSchema)).toEqual({
      text: "1 string",
      truncate_input_tokens: "2 optional int64",
    });
    expect(fieldSignatures(caikit.EmbeddingTasksRequestSchema)).toEqual({
      texts: "1 repeated string",
      truncate_input_tokens: "2 optional int64",
    });
    expect(fieldSignatures(caikit.SentenceSimilarityTaskRequestSchema)).toEqual({
      source_sentence: "1 string",
      sentences: "2 repeated string",
      truncate_input_tokens: "3 optional int64",
    });
    expect(fieldSignatures(caikit.SentenceSimilarityTasksRequestSchema)).toEqual({
      source_sentences: "1 repeated string",
      sentences: "2 repeated string",
      truncate_input_tokens: "3 optional int64",
    });
    expect(fieldSignatures(RerankTaskRequestSchema)).toEqual({
      query: "1 string",
      documents: "2 repeated google.protobuf.Struct",
      top_n: "3 optional int64",
      truncate_input_tokens: "4 optional int64",
      return_documents: "5 optional bool",
      return_query: "6 optional bool",
      return_text: "7 optional bool",
    });
    expect(fieldSignatures(caikit.RerankTasksRequestSchema)).toEqual({
      queries: "1 repeated string",
      documents: "2 repeated google.protobuf.Struct",
      top_n: "3 optional int64",
      truncate_input_tokens: "4 optional int64",
      return_documents: "5 optional bool",
      return_queries: "6 optional bool",
      return_text: "7 optional bool",
    });
    expect(fieldSignatures(caikit.TextClassificationTaskRequestSchema)).toEqual({
      text: "1 string",
    });
    expect(fieldSignatures(caikit.TokenClassificationTaskRequestSchema)).toEqual({
      text: "1 string",
      threshold: "2 optional double",
    });
    expect(fieldSignatures(caikit.BidiStreamingTokenClassificationTaskRequestSchema)).toEqual({
      text_stream: "1 string",
      threshold: "2 optional double",
    });
  });
});

describe("caikit_data_model results (caikit-tgis.md §2.4, §2.5)", () => {
  it("pins the text generation results, with GeneratedToken.rank = 4", () => {
    expect(enumValues(caikit.FinishReasonSchema)).toEqual({
      NOT_FINISHED: 0,
      MAX_TOKENS: 1,
      EOS_TOKEN: 2,
      CANCELLED: 3,
      TIME_LIMIT: 4,
      STOP_SEQUENCE: 5,
      TOKEN_LIMIT: 6,
      ERROR: 7,
    });
    expect(fieldSignatures(GeneratedTokenSchema)).toEqual({
      text: "1 string",
      logprob: "3 double",
      rank: "4 int64",
    });
    expect(fieldSignatures(GeneratedTextResultSchema)).toEqual({
      generated_text: "1 string",
      generated_tokens: "2 int64",
      finish_reason: "3 caikit_data_model.nlp.FinishReason",
      producer_id: "4 caikit_data_model.common.ProducerId",
      input_token_count: "5 int64",
      seed: "6 uint64",
      tokens: "7 repeated caikit_data_model.nlp.GeneratedToken",
      input_tokens: "8 repeated caikit_data_model.nlp.GeneratedToken",
    });
    expect(fieldSignatures(caikit.TokenStreamDetailsSchema)).toEqual({
      finish_reason: "1 caikit_data_model.nlp.FinishReason",
      generated_tokens: "2 uint32",
      seed: "3 uint64",
      input_token_count: "4 int64",
    });
    expect(fieldSignatures(GeneratedTextStreamResultSchema)).toEqual({
      generated_text: "1 string",
      tokens: "2 repeated caikit_data_model.nlp.GeneratedToken",
      details: "3 caikit_data_model.nlp.TokenStreamDetails",
      producer_id: "4 caikit_data_model.common.ProducerId",
      input_tokens: "5 repeated caikit_data_model.nlp.GeneratedToken",
    });
  });

  it("pins tokenization and classification results", () => {
    expect(fieldSignatures(caikit.TokenSchema)).toEqual({
      start: "1 int64",
      end: "2 int64",
      text: "3 string",
    });
    expect(fieldSignatures(TokenizationResultsSchema)).toEqual({
      results: "1 repeated caikit_data_model.nlp.Token",
      token_count: "4 int64",
    });
    expect(fieldSignatures(caikit.TokenizationStreamResultSchema)).toEqual({
      results: "1 repeated caikit_data_model.nlp.Token",
      processed_index: "2 int64",
      start_index: "3 int64",
      token_count: "4 int64",
    });
    expect(fieldSignatures(caikit.ClassificationResultSchema)).toEqual({
      label: "1 string",
      score: "2 double",
    });
    expect(fieldSignatures(caikit.TokenClassificationResultSchema)).toEqual({
      start: "1 int64",
      end: "2 int64",
      word: "3 string",
      entity: "4 string",
      entity_group: "5 string",
      score: "6 double",
      token_count: "7 int64",
    });
  });

  it("pins the embedding, similarity and rerank results", () => {
    expect(fieldSignatures(EmbeddingResultSchema)).toEqual({
      result: "1 caikit_data_model.common.Vector1D",
      producer_id: "2 caikit_data_model.common.ProducerId",
      input_token_count: "3 int64",
    });
    expect(fieldSignatures(caikit.EmbeddingResultsSchema)).toEqual({
      results: "1 caikit_data_model.common.ListOfVector1D",
      producer_id: "2 caikit_data_model.common.ProducerId",
      input_token_count: "3 int64",
    });
    expect(fieldSignatures(caikit.SentenceSimilarityScoresSchema)).toEqual({
      scores: "1 repeated double",
    });
    expect(fieldSignatures(caikit.SentenceSimilarityResultsSchema)).toEqual({
      results: "1 repeated caikit_data_model.caikit_nlp.SentenceSimilarityScores",
      producer_id: "2 caikit_data_model.common.ProducerId",
      input_token_count: "3 int64",
    });
    expect(fieldSignatures(caikit.RerankScoreSchema)).toEqual({
      document: "1 google.protobuf.Struct",
      index: "2 int64",
      score: "3 double",
      text: "4 string",
    });
    expect(fieldSignatures(caikit.RerankScoresSchema)).toEqual({
      query: "1 string",
      scores: "2 repeated caikit_data_model.caikit_nlp.RerankScore",
    });
    expect(fieldSignatures(RerankResultSchema)).toEqual({
      result: "1 caikit_data_model.caikit_nlp.RerankScores",
      producer_id: "2 caikit_data_model.common.ProducerId",
      input_token_count: "3 int64",
    });
    expect(fieldSignatures(caikit.RerankResultsSchema)).toEqual({
      results: "1 repeated caikit_data_model.caikit_nlp.RerankScores",
      producer_id: "2 caikit_data_model.common.ProducerId",
      input_token_count: "3 int64",
    });
  });

  it("pins the common messages: ProducerId and the Vector1D oneof", () => {
    expect(fieldSignatures(caikit.ProducerIdSchema)).toEqual({
      name: "1 string",
      version: "2 string",
    });
    expect(fieldSignatures(Vector1DSchema)).toEqual({
      data_pyfloatsequence: "1 oneof data caikit_data_model.common.PyFloatSequence",
      data_npfloat32sequence: "2 oneof data caikit_data_model.common.NpFloat32Sequence",
      data_npfloat64sequence: "3 oneof data caikit_data_model.common.NpFloat64Sequence",
    });
    expect(fieldSignatures(caikit.NpFloat32SequenceSchema)).toEqual({ values: "1 repeated float" });
    expect(fieldSignatures(caikit.ListOfVector1DSchema)).toEqual({
      vectors: "1 repeated caikit_data_model.common.Vector1D",
    });
  });

  it("pins the InfoService messages, with ModelInfo.loaded = 7", () => {
    expect(fieldSignatures(caikit.RuntimeInfoResponseSchema)).toEqual({
      runtime_version: "1 string",
      python_packages: "2 map<string, string>",
    });
    expect(fieldSignatures(caikit.ModelInfoRequestSchema)).toEqual({
      model_ids: "1 repeated string",
    });
    expect(fieldSignatures(caikit.ModelInfoResponseSchema)).toEqual({
      models: "1 repeated caikit_data_model.common.runtime.ModelInfo",
    });
    expect(fieldSignatures(ModelInfoSchema)).toEqual({
      model_path: "1 string",
      name: "2 string",
      size: "3 int64",
      metadata: "4 google.protobuf.Struct",
      module_id: "5 string",
      module_metadata: "6 map<string, string>",
      loaded: "7 bool",
    });
  });
});

describe("caikit on the wire", () => {
  it("decodes a hand-assembled TextGenerationTaskRequest, including the two-byte tags of 19 and 20", () => {
    const bytes = hex(
      "0a 02 6869", // 1 text = "hi"
      "10 00", // 2 max_new_tokens = 0, present because the field is proto3 optional
      "2a 08 53414d504c494e47", // 5 decoding_method = "SAMPLING"
      "70 07", // 14 seed = 7
      "98 01 01", // 19 token_ranks = true: tag 19 << 3 = 152, a two-byte varint
      "a0 01 00", // 20 include_stop_sequence = false (present)
    );
    const decoded = fromBinary(TextGenerationTaskRequestSchema, bytes);
    expect(decoded).toEqual(
      create(TextGenerationTaskRequestSchema, {
        text: "hi",
        maxNewTokens: 0n,
        decodingMethod: "SAMPLING",
        seed: 7n,
        tokenRanks: true,
        includeStopSequence: false,
      }),
    );
    expect(decoded.minNewTokens).toBeUndefined();
    expect(toBinary(TextGenerationTaskRequestSchema, decoded)).toEqual(bytes);
  });

  it("puts a float32 embedding in Vector1D's data_npfloat32sequence branch (field 2, packed)", () => {
    const result = create(EmbeddingResultSchema, {
      result: { data: { case: "dataNpfloat32sequence", value: { values: [1, -2] } } },
      producerId: { name: "EmbeddingModule", version: "0.0.1" },
      inputTokenCount: 3n,
    });
    const bytes = toBinary(EmbeddingResultSchema, result);
    // result (1) { data_npfloat32sequence (2) { values (1) packed [1.0f, -2.0f] } }
    expect(bytes.subarray(0, 14)).toEqual(hex("0a 0c", "12 0a", "0a 08 0000803f 000000c0"));
    expect(fromBinary(EmbeddingResultSchema, bytes)).toEqual(result);
  });

  it("round-trips Struct documents in rerank requests and results", () => {
    const request = create(RerankTaskRequestSchema, {
      query: "q",
      documents: [{ fields: { text: { kind: { case: "stringValue", value: "doc" } } } }],
      topN: 1n,
      returnQuery: false,
    });
    expect(fromBinary(RerankTaskRequestSchema, toBinary(RerankTaskRequestSchema, request))).toEqual(
      request,
    );
    const result = create(RerankResultSchema, {
      result: {
        query: "q",
        scores: [{ index: 0n, score: 0.5, text: "doc", document: request.documents[0] }],
      },
      inputTokenCount: 4n,
    });
    expect(fromBinary(RerankResultSchema, toBinary(RerankResultSchema, result))).toEqual(result);
  });

  it("round-trips a GeneratedTextResult as the TGIS-backed module fills it", () => {
    const result = create(GeneratedTextResultSchema, {
      generatedText: "x",
      generatedTokens: 1n,
      finishReason: FinishReason.MAX_TOKENS,
      producerId: { name: "Text Generation", version: "0.1.0" },
      inputTokenCount: 5n,
      tokens: [{ text: "x", logprob: -0.25, rank: 1n }],
    });
    expect(
      fromBinary(GeneratedTextResultSchema, toBinary(GeneratedTextResultSchema, result)),
    ).toEqual(result);
  });
});

describe("the caikit barrel", () => {
  it("exports every message, enum and service of the six caikit files, and nothing else", () => {
    const expected = [
      file_caikit_runtime_Nlp_nlp_service,
      file_caikit_runtime_info_info_service,
      file_caikit_data_model_nlp_nlp,
      file_caikit_data_model_caikit_nlp_caikit_nlp,
      file_caikit_data_model_common_common,
      file_caikit_data_model_common_runtime_runtime,
    ].flatMap(generatedExportNames);
    expect(Object.keys(caikit).sort()).toEqual(expected.sort());
  });
});
