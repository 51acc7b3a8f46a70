import { describe, expect, it } from "vitest";
import { checkContextLength, errorEnvelope, modelNotFound, streamErrorPayload } from "./errors.js";
import { profileFor } from "./profiles.js";

const fits = { maxModelLen: 100, endpoint: "completions" } as const;

describe("error envelopes", () => {
  // vllm-openai.md §3: flat ≤ 0.10.0, nested ≥ 0.10.1; code is the integer status.
  it("shapes flat and nested bodies", () => {
    const error = modelNotFound("x");
    expect(errorEnvelope("flat", error)).toEqual({
      object: "error",
      message: "The model `x` does not exist.",
      type: "NotFoundError",
      param: null,
      code: 404,
    });
    expect(errorEnvelope("nested", error)).toEqual({
      error: {
        message: "The model `x` does not exist.",
        type: "NotFoundError",
        param: null,
        code: 404,
      },
    });
  });

  // vllm-openai.md §3: old streams wrap the flat object under "error"; newer send the nested one.
  it("wraps stream errors per era", () => {
    const error = modelNotFound("x");
    expect(streamErrorPayload(profileFor("0.9.0"), error)).toMatchObject({
      error: { object: "error", code: 404 },
    });
    expect(streamErrorPayload(profileFor("0.11.0"), error)).toEqual(errorEnvelope("nested", error));
  });
});

describe("checkContextLength", () => {
  // vllm-openai.md §3.1 rules: prompt at most L−1 tokens; N+M ≤ L.
  it("lets fitting requests through", () => {
    const profile = profileFor("0.12.0");
    expect(checkContextLength(profile, { ...fits, promptTokens: 99, maxTokens: undefined })).toBe(
      undefined,
    );
    expect(checkContextLength(profile, { ...fits, promptTokens: 90, maxTokens: 10 })).toBe(
      undefined,
    );
    expect(
      checkContextLength(profile, { ...fits, promptTokens: 100, maxTokens: undefined }),
    ).toBeDefined();
    expect(checkContextLength(profile, { ...fits, promptTokens: 90, maxTokens: 11 })).toBeDefined();
  });

  // vllm-openai.md §3.1 era A texts; chat appends " None".
  it("words era A", () => {
    const a = profileFor("0.9.2");
    expect(checkContextLength(a, { ...fits, promptTokens: 90, maxTokens: 20 })?.message).toBe(
      "This model's maximum context length is 100 tokens. However, you requested 110 tokens (90 in the messages, 20 in the completion). Please reduce the length of the messages or completion.",
    );
    expect(
      checkContextLength(a, { ...fits, endpoint: "chat", promptTokens: 120, maxTokens: undefined })
        ?.message,
    ).toBe(
      "This model's maximum context length is 100 tokens. However, you requested 120 tokens in the messages, Please reduce the length of the messages. None",
    );
  });

  // vllm-openai.md §3.1 era B texts.
  it("words era B", () => {
    const b = profileFor("0.11.0");
    expect(checkContextLength(b, { ...fits, promptTokens: 90, maxTokens: 20 })?.message).toBe(
      "'max_tokens' or 'max_completion_tokens' is too large: 20. This model's maximum context length is 100 tokens and your request has 90 input tokens (20 > 100 - 90).",
    );
    expect(
      checkContextLength(b, { ...fits, promptTokens: 100, maxTokens: undefined })?.message,
    ).toBe(
      "This model's maximum context length is 100 tokens. However, your request has 100 input tokens. Please reduce the length of the input messages.",
    );
  });

  // vllm-openai.md §3.1 era C text with param "input_tokens".
  it("words era C with its param", () => {
    const error = checkContextLength(profileFor("0.12.0"), {
      ...fits,
      endpoint: "chat",
      promptTokens: 90,
      maxTokens: 20,
    });
    expect(error?.param).toBe("input_tokens");
    expect(error?.message).toBe(
      "This model's maximum context length is 100 tokens. However, you requested 20 output tokens and your prompt contains at least 90 input tokens, for a total of at least 110 tokens. Please reduce the length of the input prompt or the number of requested output tokens. (parameter=input_tokens, value=90)",
    );
  });
});
