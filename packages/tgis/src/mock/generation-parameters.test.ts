import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { DecodingMethod, type Parameters, ParametersSchema } from "@servingkit/proto/fmaas";
import { describe, expect, it } from "vitest";
import {
  convertParameters,
  defaultTgisLimits,
  validateInputLength,
  validateParameters,
} from "./generation-parameters.js";

function params(init: object): Parameters {
  return create(ParametersSchema, init as never);
}

function failure(init: object, limits = defaultTgisLimits): ConnectError {
  try {
    validateParameters(convertParameters(params(init), true), limits);
  } catch (error) {
    if (error instanceof ConnectError) return error;
    throw error;
  }
  throw new Error("expected a validation error");
}

describe("convertParameters (grpc_server.rs convert_params)", () => {
  it("defaults: greedy, max_new_tokens 20, include_stop_sequence from the server flag", () => {
    // caikit-tgis.md §3.3: max_new_tokens 0 → 20; GREEDY; include_stop_sequence unset → flag.
    const gp = convertParameters(undefined, true);
    expect(gp).toMatchObject({ temperature: 0, maxNewTokens: 20, minNewTokens: 0, topP: 1 });
    expect(gp.includeStopSequence).toBe(true);
    expect(convertParameters(params({ stopping: {} }), false).includeStopSequence).toBe(false);
  });

  it("ignores sampling parameters under GREEDY (STRICT_PARAMETER_VALIDATION off)", () => {
    const gp = convertParameters(params({ sampling: { temperature: 0.01, topP: 5 } }), true);
    expect(gp.temperature).toBe(0);
    expect(gp.topP).toBe(1);
  });

  it("SAMPLE with temperature 0 samples at 1.0; top_p 0 means 1.0", () => {
    const gp = convertParameters(params({ method: DecodingMethod.SAMPLE }), true);
    expect(gp.temperature).toBe(1);
    expect(gp.topP).toBe(1);
  });

  it("reads length_penalty only when repetition_penalty is set (convert_params quirk)", () => {
    const penalty = { startIndex: 1, decayFactor: 20 };
    expect(
      convertParameters(params({ decoding: { lengthPenalty: penalty } }), true).lengthPenalty,
    ).toBeUndefined();
    expect(
      convertParameters(
        params({ decoding: { repetitionPenalty: 1.2, lengthPenalty: penalty } }),
        true,
      ).lengthPenalty,
    ).toEqual([1, 20]);
  });
});

describe("validateParameters (validation.rs, texts and order)", () => {
  const sample = (sampling: object) => ({ method: DecodingMethod.SAMPLE, sampling });
  it.each([
    // caikit-tgis.md §3.4 and validation.rs ValidationError texts.
    [sample({ temperature: 0.01 }), "temperature must be >= 0.05"],
    [sample({ topP: 1.5 }), "top_p must be > 0.0 and <= 1.0"],
    [sample({ typicalP: 1.5 }), "typical_p must be <= 1.0"],
    // top_k is a uint32 read `as i32`: above 2^31 it is negative.
    [sample({ topK: 2 ** 31 + 1 }), "top_k must be strictly positive"],
    [{ stopping: { maxNewTokens: 1025 } }, "max_new_tokens must be <= 1024"],
    [
      { stopping: { maxNewTokens: 5, minNewTokens: 6 } },
      "min_new_tokens must be <= max_new_tokens",
    ],
    [{ decoding: { repetitionPenalty: -1 } }, "repetition_penalty must be > 0.0"],
    [
      { decoding: { repetitionPenalty: 1.1, lengthPenalty: { startIndex: 1, decayFactor: 0.5 } } },
      "length_penalty must be >= 1.0 and <= 10.0",
    ],
    [
      { stopping: { stopSequences: ["a", "b", "c", "d", "e", "f", "g"] } },
      "can specify at most 6 non-empty stop sequences, each not more than 240 UTF8 bytes",
    ],
    [
      { stopping: { stopSequences: [""] } },
      "can specify at most 6 non-empty stop sequences, each not more than 240 UTF8 bytes",
    ],
    [
      { stopping: { stopSequences: ["é".repeat(121)] } },
      "can specify at most 6 non-empty stop sequences, each not more than 240 UTF8 bytes",
    ],
    [
      { response: { tokenLogprobs: true } },
      "must request input and/or generated tokens to request extra token detail",
    ],
    [
      { response: { topNTokens: 2 } },
      "must request input and/or generated tokens to request extra token detail",
    ],
  ])("%o → INVALID_ARGUMENT %s", (init, text) => {
    const error = failure(init);
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toBe(text);
  });

  it("checks in TGIS's order: temperature before max_new_tokens before stop sequences", () => {
    const all = {
      method: DecodingMethod.SAMPLE,
      sampling: { temperature: 0.01 },
      stopping: { maxNewTokens: 5000, stopSequences: [""] },
    };
    expect(failure(all).rawMessage).toBe("temperature must be >= 0.05");
    expect(failure({ ...all, sampling: {} }).rawMessage).toBe("max_new_tokens must be <= 1024");
    // validation.rs checks the token-detail rule before empty or long stop sequences.
    expect(
      failure({ stopping: { stopSequences: [""] }, response: { tokenRanks: true } }).rawMessage,
    ).toBe("must request input and/or generated tokens to request extra token detail");
  });

  it("accepts 240-byte stop sequences and logprobs with generated tokens", () => {
    expect(() =>
      validateParameters(
        convertParameters(
          params({
            stopping: { stopSequences: ["x".repeat(240)] },
            response: { generatedTokens: true, tokenLogprobs: true, tokenRanks: true },
          }),
          true,
        ),
        defaultTgisLimits,
      ),
    ).not.toThrow();
  });
});

describe("validateInputLength (validation.rs input checks)", () => {
  const limits = { ...defaultTgisLimits, maxSequenceLength: 200, maxNewTokens: 169 };
  const gp = (init: object) => convertParameters(params(init), true);

  it("input at the sequence length: 'must be <'", () => {
    // integration_tests/test_cases_*.yaml: "input tokens (200) plus prefix length (0) must be < 200".
    expect(() => validateInputLength(gp({}), 200, limits)).toThrow(
      "input tokens (200) plus prefix length (0) must be < 200",
    );
  });

  it("input plus min_new_tokens over the sequence length", () => {
    expect(() =>
      validateInputLength(gp({ stopping: { maxNewTokens: 50, minNewTokens: 50 } }), 160, limits),
    ).toThrow("input tokens (160) plus prefix length (0) plus min_new_tokens (50) must be <= 200");
  });

  it("lowers max_new_tokens to fit and flags TOKEN_LIMIT", () => {
    // caikit-tgis.md §3.3: input + max_new_tokens > max_sequence_length lowers max_new_tokens.
    expect(validateInputLength(gp({ stopping: { maxNewTokens: 100 } }), 150, limits)).toEqual({
      inputLength: 150,
      truncated: false,
      maxNewTokens: 50,
      tokenLimited: true,
    });
  });

  it("truncate_input_tokens counts only when it shortens the input", () => {
    expect(validateInputLength(gp({ truncateInputTokens: 3 }), 10, limits)).toMatchObject({
      inputLength: 3,
      truncated: true,
    });
    expect(validateInputLength(gp({ truncateInputTokens: 30 }), 10, limits)).toMatchObject({
      inputLength: 10,
      truncated: false,
    });
    // Truncation happens before the length check: a long input truncated to fit passes.
    expect(validateInputLength(gp({ truncateInputTokens: 5 }), 500, limits).inputLength).toBe(5);
  });
});
