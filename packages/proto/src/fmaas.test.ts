import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import * as fmaas from "./fmaas.js";
import {
  BatchedGenerationRequestSchema,
  BatchedTokenizeRequestSchema,
  BatchedTokenizeResponseSchema,
  DecodingMethod,
  DecodingParameters_ResponseFormat,
  DecodingParametersSchema,
  file_fmaas_generation,
  GenerationRequestSchema,
  GenerationResponseSchema,
  GenerationService,
  ModelInfoResponseSchema,
  ParametersSchema,
  ResponseOptionsSchema,
  SamplingParametersSchema,
  SingleGenerationRequestSchema,
  StoppingCriteriaSchema,
  StopReason,
  TokenInfoSchema,
} from "./fmaas.js";
import {
  enumValues,
  fieldSignatures,
  generatedExportNames,
  methodSignatures,
} from "./testdata/describe.js";
import { hex } from "./testdata/hex.js";

describe("fmaas.GenerationService (caikit-tgis.md §3.1)", () => {
  it("has Generate, GenerateStream (server streaming), Tokenize and ModelInfo", () => {
    expect(methodSignatures(GenerationService)).toEqual({
      "/fmaas.GenerationService/Generate":
        "unary fmaas.BatchedGenerationRequest -> fmaas.BatchedGenerationResponse",
      "/fmaas.GenerationService/GenerateStream":
        "server_streaming fmaas.SingleGenerationRequest -> fmaas.GenerationResponse",
      "/fmaas.GenerationService/Tokenize":
        "unary fmaas.BatchedTokenizeRequest -> fmaas.BatchedTokenizeResponse",
      "/fmaas.GenerationService/ModelInfo":
        "unary fmaas.ModelInfoRequest -> fmaas.ModelInfoResponse",
    });
  });
});

describe("fmaas messages (caikit-tgis.md §3.2)", () => {
  it("pins the generation requests, including the newer copies' adapter_id = 4", () => {
    expect(fieldSignatures(BatchedGenerationRequestSchema)).toEqual({
      model_id: "1 string",
      prefix_id: "2 optional string",
      requests: "3 repeated fmaas.GenerationRequest",
      adapter_id: "4 optional string",
      params: "10 fmaas.Parameters",
    });
    expect(fieldSignatures(SingleGenerationRequestSchema)).toEqual({
      model_id: "1 string",
      prefix_id: "2 optional string",
      request: "3 fmaas.GenerationRequest",
      adapter_id: "4 optional string",
      params: "10 fmaas.Parameters",
    });
    // §3.2: "GenerationRequest: text=2 string (number 2, not 1)".
    expect(GenerationRequestSchema.field.text.number).toBe(2);
    expect(fieldSignatures(GenerationRequestSchema)).toEqual({ text: "2 string" });
  });

  it("pins GenerationResponse's out-of-order numbering", () => {
    expect(fieldSignatures(GenerationResponseSchema)).toEqual({
      generated_token_count: "2 uint32",
      text: "4 string",
      input_token_count: "6 uint32",
      stop_reason: "7 fmaas.StopReason",
      tokens: "8 repeated fmaas.TokenInfo",
      input_tokens: "9 repeated fmaas.TokenInfo",
      seed: "10 uint64",
      stop_sequence: "11 string",
    });
    expect(fieldSignatures(TokenInfoSchema)).toEqual({
      text: "2 string",
      logprob: "3 float",
      rank: "4 uint32",
      top_tokens: "5 repeated fmaas.TokenInfo.TopToken",
    });
    expect(fieldSignatures(fmaas.TokenInfo_TopTokenSchema)).toEqual({
      text: "2 string",
      logprob: "3 float",
    });
  });

  it("pins the parameter messages", () => {
    expect(fieldSignatures(ParametersSchema)).toEqual({
      method: "1 fmaas.DecodingMethod",
      sampling: "2 fmaas.SamplingParameters",
      stopping: "3 fmaas.StoppingCriteria",
      response: "4 fmaas.ResponseOptions",
      decoding: "5 fmaas.DecodingParameters",
      truncate_input_tokens: "6 uint32",
    });
    expect(fieldSignatures(SamplingParametersSchema)).toEqual({
      temperature: "1 float",
      top_k: "2 uint32",
      top_p: "3 float",
      typical_p: "4 float",
      seed: "5 optional uint64",
    });
    expect(fieldSignatures(StoppingCriteriaSchema)).toEqual({
      max_new_tokens: "1 uint32",
      min_new_tokens: "2 uint32",
      time_limit_millis: "3 uint32",
      stop_sequences: "4 repeated string",
      include_stop_sequence: "5 optional bool",
    });
    expect(fieldSignatures(ResponseOptionsSchema)).toEqual({
      input_text: "1 bool",
      generated_tokens: "2 bool",
      input_tokens: "3 bool",
      token_logprobs: "4 bool",
      token_ranks: "5 bool",
      top_n_tokens: "6 uint32",
    });
    // §3.2: newer copies add the guided-decoding oneof, format=3 .. grammar=7.
    expect(fieldSignatures(DecodingParametersSchema)).toEqual({
      repetition_penalty: "1 float",
      length_penalty: "2 optional fmaas.DecodingParameters.LengthPenalty",
      format: "3 oneof guided fmaas.DecodingParameters.ResponseFormat",
      json_schema: "4 oneof guided string",
      regex: "5 oneof guided string",
      choice: "6 oneof guided fmaas.DecodingParameters.StringChoices",
      grammar: "7 oneof guided string",
    });
    expect(fieldSignatures(fmaas.DecodingParameters_LengthPenaltySchema)).toEqual({
      start_index: "1 uint32",
      decay_factor: "2 float",
    });
    expect(enumValues(fmaas.DecodingParameters_ResponseFormatSchema)).toEqual({ TEXT: 0, JSON: 1 });
  });

  it("pins tokenization and model info", () => {
    expect(fieldSignatures(BatchedTokenizeRequestSchema)).toEqual({
      model_id: "1 string",
      requests: "2 repeated fmaas.TokenizeRequest",
      return_tokens: "3 bool",
      return_offsets: "4 bool",
      truncate_input_tokens: "5 uint32",
    });
    expect(fieldSignatures(BatchedTokenizeResponseSchema)).toEqual({
      responses: "1 repeated fmaas.TokenizeResponse",
    });
    expect(fieldSignatures(fmaas.TokenizeResponseSchema)).toEqual({
      token_count: "1 uint32",
      tokens: "2 repeated string",
      offsets: "3 repeated fmaas.TokenizeResponse.Offset",
    });
    expect(fieldSignatures(fmaas.TokenizeResponse_OffsetSchema)).toEqual({
      start: "1 uint32",
      end: "2 uint32",
    });
    expect(fieldSignatures(ModelInfoResponseSchema)).toEqual({
      model_kind: "1 fmaas.ModelInfoResponse.ModelKind",
      max_sequence_length: "2 uint32",
      max_new_tokens: "3 uint32",
    });
    expect(enumValues(fmaas.ModelInfoResponse_ModelKindSchema)).toEqual({
      DECODER_ONLY: 0,
      ENCODER_DECODER: 1,
    });
  });

  it("pins the enums", () => {
    expect(enumValues(fmaas.DecodingMethodSchema)).toEqual({ GREEDY: 0, SAMPLE: 1 });
    expect(enumValues(fmaas.StopReasonSchema)).toEqual({
      NOT_FINISHED: 0,
      MAX_TOKENS: 1,
      EOS_TOKEN: 2,
      CANCELLED: 3,
      TIME_LIMIT: 4,
      STOP_SEQUENCE: 5,
      TOKEN_LIMIT: 6,
      ERROR: 7,
    });
  });
});

describe("fmaas on the wire", () => {
  // A final GenerateStream message, assembled by hand (tag byte = number << 3 | wire type).
  const handBytes = hex(
    "10 03", // 2 generated_token_count = 3 (varint)
    "22 02 6869", // 4 text = "hi"
    "30 05", // 6 input_token_count = 5
    "38 05", // 7 stop_reason = STOP_SEQUENCE
    "50 2a", // 10 seed = 42
    "5a 01 2e", // 11 stop_sequence = "."
  );
  const expected = create(GenerationResponseSchema, {
    generatedTokenCount: 3,
    text: "hi",
    inputTokenCount: 5,
    stopReason: StopReason.STOP_SEQUENCE,
    seed: 42n,
    stopSequence: ".",
  });

  it("decodes a hand-assembled GenerationResponse, proving the field numbers on the wire", () => {
    expect(fromBinary(GenerationResponseSchema, handBytes)).toEqual(expected);
    expect(toBinary(GenerationResponseSchema, expected)).toEqual(handBytes);
  });

  it("puts GenerationRequest.text on field 2", () => {
    const bytes = toBinary(GenerationRequestSchema, create(GenerationRequestSchema, { text: "a" }));
    expect(bytes).toEqual(hex("12 01 61"));
  });

  it("round-trips a batched request with every parameter group and a guided choice", () => {
    const request = create(BatchedGenerationRequestSchema, {
      modelId: "ignored",
      adapterId: "lora-1",
      requests: [{ text: "Hello" }, { text: "Bye" }],
      params: {
        method: DecodingMethod.SAMPLE,
        sampling: { temperature: 0.5, topK: 10, topP: 0.75, seed: 7n },
        stopping: { maxNewTokens: 20, stopSequences: ["\n"], includeStopSequence: false },
        response: { generatedTokens: true, tokenLogprobs: true, topNTokens: 2 },
        decoding: {
          repetitionPenalty: 1.25,
          lengthPenalty: { startIndex: 4, decayFactor: 1.5 },
          guided: { case: "choice", value: { choices: ["yes", "no"] } },
        },
        truncateInputTokens: 100,
      },
    });
    const decoded = fromBinary(
      BatchedGenerationRequestSchema,
      toBinary(BatchedGenerationRequestSchema, request),
    );
    expect(decoded).toEqual(request);
    // proto3 optional keeps "set to false" apart from "unset".
    expect(decoded.params?.stopping?.includeStopSequence).toBe(false);
    const guided = create(DecodingParametersSchema, {
      guided: { case: "format", value: DecodingParameters_ResponseFormat.JSON },
    });
    expect(toBinary(DecodingParametersSchema, guided)).toEqual(hex("18 01"));
  });
});

describe("the fmaas barrel", () => {
  it("exports every message, enum and service of generation.proto, and nothing else", () => {
    expect(Object.keys(fmaas).sort()).toEqual(generatedExportNames(file_fmaas_generation).sort());
  });
});
