/**
 * The logprobs checks of requests.ts by release, through raw fetch against the mock: vLLM's
 * request models' `check_logprobs` (protocol.py, a `model_validator(mode="before")`) and what
 * changed in it between 0.10.2 and 0.18.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ByRelease, badRequest, errorReply } from "./errors.js";
import { profileFor } from "./profiles.js";
import { parseChatRequest, parseCompletionRequest } from "./requests.js";
import { openaiClient, startVllm, type TestServer } from "./test-server.js";

type ErrorBody = { error: { message: string; param: string | null; code: number } };

describe("check_logprobs by release", () => {
  const versions = ["0.10.2", "0.11.0", "0.13.0"] as const;
  const servers = new Map<string, TestServer>();
  beforeAll(async () => {
    for (const version of versions) {
      servers.set(version, await startVllm({ "vllm-version": version }));
    }
  });
  afterAll(async () => {
    await Promise.all([...servers.values()].map((server) => server.close()));
  });
  const post = async (version: string, path: string, body: object) => {
    const response = await fetch(`${servers.get(version)?.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as ErrorBody };
  };
  const streamed = async (version: string, path: string, body: object) => {
    const response = await fetch(`${servers.get(version)?.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: response.status, text: await response.text() };
  };
  const chat = { messages: [{ role: "user", content: "Hi" }], max_tokens: 2 };

  it("streams prompt_logprobs 0 in every release, on both endpoints", async () => {
    // protocol.py check_logprobs: the stream refusal reads `prompt_logprobs > 0` (up to 0.10.2)
    // and `> 0 or == -1` (from 0.11.0, vLLM PR #24956): 0 passes in both.
    for (const version of versions) {
      const completions = await streamed(version, "/v1/completions", {
        prompt: "Hi",
        max_tokens: 2,
        stream: true,
        prompt_logprobs: 0,
      });
      expect(completions.status).toBe(200);
      expect(completions.text).toContain("data: [DONE]");
      expect(completions.text).not.toContain("prompt_logprobs");
      const chatted = await streamed(version, "/v1/chat/completions", {
        ...chat,
        stream: true,
        prompt_logprobs: 0,
      });
      expect(chatted.status).toBe(200);
      expect(chatted.text).toContain("data: [DONE]");
    }
  });

  it("refuses a positive prompt_logprobs with stream in every release", async () => {
    for (const version of versions) {
      const reply = await post(version, "/v1/completions", {
        prompt: "Hi",
        stream: true,
        prompt_logprobs: 1,
      });
      expect(reply.status).toBe(400);
      expect(reply.body.error.message).toContain(
        "`prompt_logprobs` are not available when `stream=True`.",
      );
    }
  });

  it("words a prompt_logprobs below -1 as its release does", async () => {
    const body = { prompt: "Hi", prompt_logprobs: -2 };
    // vLLM issue #24948: 0.10.2 answers "`prompt_logprobs` must be a positive value.".
    const old = await post("0.10.2", "/v1/completions", body);
    expect(old.status).toBe(400);
    expect(old.body.error.message).toContain(
      "Value error, `prompt_logprobs` must be a positive value.'",
    );
    expect(old.body.error.param).toBeNull();
    // vLLM PR #24956 (merged 2025-09-16, so 0.11.0): "... or -1.", still a plain ValueError.
    const newer = await post("0.11.0", "/v1/completions", body);
    expect(newer.body.error.message).toContain(
      "Value error, `prompt_logprobs` must be a positive value or -1.'",
    );
    expect(newer.body.error.param).toBeNull();
    // protocol.py of the VLLMValidationError releases (vLLM PR #30134, 0.13.0): parameter and value.
    const named = await post("0.13.0", "/v1/chat/completions", { ...chat, prompt_logprobs: -2 });
    expect(named.status).toBe(400);
    expect(named.body.error.message).toContain(
      "`prompt_logprobs` must be a positive value or -1. (parameter=prompt_logprobs, value=-2)",
    );
    expect(named.body.error.param).toBe("prompt_logprobs");
  });

  it("meets -1 with stream as its release does", async () => {
    const body = { prompt: "Hi", stream: true, prompt_logprobs: -1 };
    // Up to 0.10.2, -1 is not `> 0`: the negative refusal answers.
    const old = await post("0.10.2", "/v1/completions", body);
    expect(old.status).toBe(400);
    expect(old.body.error.message).toContain("`prompt_logprobs` must be a positive value.");
    // From 0.11.0 the stream refusal reads `> 0 or == -1`.
    for (const version of ["0.11.0", "0.13.0"]) {
      const reply = await post(version, "/v1/completions", body);
      expect(reply.status).toBe(400);
      expect(reply.body.error.message).toContain(
        "`prompt_logprobs` are not available when `stream=True`.",
      );
    }
  });

  it("refuses completions logprobs -1, naming logprobs from 0.13.0", async () => {
    // protocol.py CompletionRequest.check_logprobs: `logprobs < 0` has no -1 exception in these
    // releases (vLLM PR #46175 of 2026-06 added it); VLLMValidationError from 0.13.0.
    const body = { prompt: "Hi", logprobs: -1 };
    const old = await post("0.11.0", "/v1/completions", body);
    expect(old.status).toBe(400);
    expect(old.body.error.message).toContain("Value error, `logprobs` must be a positive value.'");
    expect(old.body.error.param).toBeNull();
    const named = await post("0.13.0", "/v1/completions", body);
    expect(named.status).toBe(400);
    expect(named.body.error.message).toContain(
      "`logprobs` must be a positive value. (parameter=logprobs, value=-1)",
    );
    expect(named.body.error.param).toBe("logprobs");
  });
});

describe("logit_bias keys", () => {
  let server: TestServer;
  let named: TestServer;
  beforeAll(async () => {
    server = await startVllm({ "served-model-name": "m", "vllm-version": "0.13.0" });
    named = await startVllm({ "served-model-name": "m", "vllm-version": "0.18.0" });
  });
  afterAll(async () => {
    await Promise.all([server.close(), named.close()]);
  });
  const post = async (target: TestServer, path: string, body: object) => {
    const response = await fetch(`${target.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as ErrorBody };
  };

  it("answers Python's int() text for the first key that is not an integer", async () => {
    // vllm/sampling_params.py SamplingParams.from_optional converts each key with a bare int();
    // vLLM PR #46612 quotes the answer: {"error":{"message":"invalid literal for int() with
    // base 10: 'not_a_token_id'","type":"BadRequestError","param":null,"code":400}}. A plain
    // ValueError: no "(parameter=...)" in the releases of PR #31870 either.
    for (const target of [server, named]) {
      const chat = await post(target, "/v1/chat/completions", {
        model: "m",
        messages: [{ role: "user", content: "hi" }],
        logit_bias: { "7": 1, not_a_token_id: 50, "x'": 1 },
      });
      expect(chat).toEqual({
        status: 400,
        body: {
          error: {
            message: "invalid literal for int() with base 10: 'not_a_token_id'",
            type: "BadRequestError",
            param: null,
            code: 400,
          },
        },
      });
      const completions = await post(target, "/v1/completions", {
        model: "m",
        prompt: "hi",
        stream: true,
        logit_bias: { "1.0": 1 },
      });
      expect(completions.status).toBe(400);
      expect(completions.body.error.message).toBe("invalid literal for int() with base 10: '1.0'");
    }
  });

  it("takes the keys int() reads, and checks the model first", async () => {
    // int() strips blanks and takes a sign and digit groups joined by single underscores.
    const ok = await post(server, "/v1/completions", {
      model: "m",
      prompt: "hi",
      max_tokens: 2,
      logit_bias: { " 7 ": 1, "+1_0": -100, "-0": 5 },
    });
    expect(ok.status).toBe(200);
    // to_sampling_params runs after the model check (serving_completion.py).
    const unknown = await post(server, "/v1/completions", {
      model: "other",
      prompt: "hi",
      logit_bias: { a: 1 },
    });
    expect(unknown.status).toBe(404);
    // A list is not pydantic's dict: the validation list answers.
    const listed = await post(server, "/v1/completions", { prompt: "hi", logit_bias: [[1, 1]] });
    expect(listed.status).toBe(400);
    expect(listed.body.error.message).toContain(
      "'type': 'dict_type', 'loc': ('body', 'logit_bias')",
    );
  });
});

describe("the input processor's vocabulary checks", () => {
  // The built-in model's config.json: vocab_size 4096 (served-model.ts vocabularySize).
  const versions = ["0.8.0", "0.10.2", "0.11.0", "0.14.0"] as const;
  const servers = new Map<string, TestServer>();
  beforeAll(async () => {
    for (const version of versions) {
      servers.set(version, await startVllm({ "served-model-name": "m", "vllm-version": version }));
    }
  });
  afterAll(async () => {
    await Promise.all([...servers.values()].map((server) => server.close()));
  });
  const post = async (version: string, path: string, body: object) => {
    const response = await fetch(`${servers.get(version)?.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as ErrorBody };
  };
  const chat = { model: "m", messages: [{ role: "user", content: "Hi" }], max_tokens: 2 };

  it("bounds chat prompt_logprobs -1 by the vocabulary from 0.11.0", async () => {
    // vllm/v1/engine/processor.py _validate_logprobs (0.11.0): -1 counts as get_vocab_size(),
    // then "Requested prompt logprobs of {n}, which is greater than max allowed: {max}"; a plain
    // ValueError, so param null.
    const body = { ...chat, prompt_logprobs: -1 };
    const v011 = await post("0.11.0", "/v1/chat/completions", body);
    expect(v011).toEqual({
      status: 400,
      body: {
        error: {
          message: "Requested prompt logprobs of 4096, which is greater than max allowed: 20",
          type: "BadRequestError",
          param: null,
          code: 400,
        },
      },
    });
    // vLLM PR #31870 (profiles.ts sampling-validation-error, from 0.14.0): VLLMValidationError
    // with parameter="prompt_logprobs", value=num_prompt_logprobs (the vocabulary size).
    const v013 = await post("0.14.0", "/v1/chat/completions", body);
    expect(v013.status).toBe(400);
    expect(v013.body.error.message).toBe(
      "Requested prompt logprobs of 4096, which is greater than max allowed: 20 (parameter=prompt_logprobs, value=4096)",
    );
    expect(v013.body.error.param).toBe("prompt_logprobs");
    // vLLM issue #24948: 0.10.2's check_logprobs refuses -1 itself.
    const v0102 = await post("0.10.2", "/v1/chat/completions", body);
    expect(v0102.status).toBe(400);
    expect(v0102.body.error.message).toContain(
      "Value error, `prompt_logprobs` must be a positive value.'",
    );
    // The processor runs after the model check (serving_chat.py: model, render, then generate).
    const unknown = await post("0.14.0", "/v1/chat/completions", { ...body, model: "other" });
    expect(unknown.status).toBe(404);
    // Up to 0.10.2 the refusal is check_logprobs' (protocol.py, a model_validator(mode="before"),
    // vLLM PR #24956 lets -1 through from 0.11.0): it answers while the body is parsed, before the
    // model check, so an unknown model with -1 is still a 400 there.
    const early = await post("0.10.2", "/v1/chat/completions", { ...body, model: "other" });
    expect(early.status).toBe(400);
    expect(early.body.error.message).toContain("`prompt_logprobs` must be a positive value.'");
  });

  it("refuses logit_bias keys outside the vocabulary from 0.9.0, all of them in order", async () => {
    // processor.py _validate_logit_bias (vLLM PR #16529): every key < 0 or >= get_vocab_size(),
    // "token_id(s) {invalid} in logit_bias contain out-of-vocab token ids. Vocabulary size: {n}".
    const body = { ...chat, logit_bias: { "4096": 1, "7": 2, "-1": 3, "4095": 1 } };
    const v011 = await post("0.11.0", "/v1/chat/completions", body);
    expect(v011).toEqual({
      status: 400,
      body: {
        error: {
          message:
            "token_id(s) [4096, -1] in logit_bias contain out-of-vocab token ids. Vocabulary size: 4096",
          type: "BadRequestError",
          param: null,
          code: 400,
        },
      },
    });
    // PR #31870's releases: parameter="logit_bias", value=invalid_token_ids (a Python list).
    const v013 = await post("0.14.0", "/v1/chat/completions", body);
    expect(v013.body.error.message).toBe(
      "token_id(s) [4096, -1] in logit_bias contain out-of-vocab token ids. Vocabulary size: 4096 (parameter=logit_bias, value=[4096, -1])",
    );
    expect(v013.body.error.param).toBe("logit_bias");
    // Keys inside the vocabulary pass.
    const inside = await post("0.14.0", "/v1/chat/completions", {
      ...chat,
      logit_bias: { "0": 1, "4095": -1 },
    });
    expect(inside.status).toBe(200);
    // The 0.8.x profile predates the check (unmodelled: V1's crash there): the request runs.
    const old = await post("0.8.0", "/v1/chat/completions", body);
    expect(old.status).toBe(200);
  });

  it("refuses allowed_token_ids empty or outside the tokenizer, after logit_bias", async () => {
    // processor.py _validate_sampling_params: after _validate_logit_bias, "allowed_token_ids is
    // not None and empty!" and "allowed_token_ids contains out-of-vocab token id!" against
    // len(tokenizer); plain ValueErrors in the 0.14+ input processor too (param null).
    for (const version of ["0.11.0", "0.14.0"]) {
      const empty = await post(version, "/v1/chat/completions", { ...chat, allowed_token_ids: [] });
      expect(empty).toEqual({
        status: 400,
        body: {
          error: {
            message: "allowed_token_ids is not None and empty!",
            type: "BadRequestError",
            param: null,
            code: 400,
          },
        },
      });
      const outside = await post(version, "/v1/chat/completions", {
        ...chat,
        allowed_token_ids: [5, 4096],
      });
      expect(outside.status).toBe(400);
      expect(outside.body.error.message).toBe("allowed_token_ids contains out-of-vocab token id!");
      expect(outside.body.error.param).toBeNull();
    }
    const inside = await post("0.14.0", "/v1/chat/completions", {
      ...chat,
      allowed_token_ids: [0, 4095],
    });
    expect(inside.status).toBe(200);
    const both = await post("0.14.0", "/v1/chat/completions", {
      ...chat,
      allowed_token_ids: [],
      logit_bias: { "5000": 1 },
    });
    expect(both.body.error.message).toContain("in logit_bias contain out-of-vocab token ids");
    // pydantic list[int]: a string is list_type, in the validation list.
    const typed = await post("0.14.0", "/v1/chat/completions", {
      ...chat,
      allowed_token_ids: "5",
    });
    expect(typed.status).toBe(400);
  });

  it("runs the same checks on completions, after every prompt's length check", async () => {
    // serving_completion.py builds each engine request through the same input processor
    // (processor.py _validate_logprobs / _validate_logit_bias, 0.11.0), after _preprocess_completion
    // tokenized and length-checked every prompt.
    const completion = { model: "m", prompt: "Hi", max_tokens: 2 };
    const all = await post("0.11.0", "/v1/completions", { ...completion, prompt_logprobs: -1 });
    expect(all.status).toBe(400);
    expect(all.body.error.message).toBe(
      "Requested prompt logprobs of 4096, which is greater than max allowed: 20",
    );
    // Up to 0.10.2 check_logprobs refuses -1 while the body is read, before the model check.
    const early = await post("0.10.2", "/v1/completions", {
      ...completion,
      model: "other",
      prompt_logprobs: -1,
    });
    expect(early.status).toBe(400);
    expect(early.body.error.message).toContain("`prompt_logprobs` must be a positive value.'");
    const bias = await post("0.14.0", "/v1/completions", {
      ...completion,
      logit_bias: { "4096": 1 },
    });
    expect(bias.body.error.message).toBe(
      "token_id(s) [4096] in logit_bias contain out-of-vocab token ids. Vocabulary size: 4096 (parameter=logit_bias, value=[4096])",
    );
    // The length check comes first: a prompt over max_model_len answers that, not the bias.
    const long = await post("0.14.0", "/v1/completions", {
      ...completion,
      prompt: "word ".repeat(5000),
      logit_bias: { "4096": 1 },
    });
    expect(long.status).toBe(400);
    expect(long.body.error.message).not.toContain("logit_bias");
    const fine = await post("0.11.0", "/v1/completions", { ...completion, logit_bias: { "7": 1 } });
    expect(fine.status).toBe(200);
  });

  it("checks prompt logprobs before logit_bias", async () => {
    // processor.py _validate_params: _validate_logprobs, then _validate_sampling_params.
    const reply = await post("0.11.0", "/v1/chat/completions", {
      ...chat,
      prompt_logprobs: -1,
      logit_bias: { "99999": 1 },
    });
    expect(reply.body.error.message).toContain("Requested prompt logprobs of 4096");
  });
});

describe("the parsers alone", () => {
  it("throw the older text where no release is known", () => {
    // A caller without a profile reads ByRelease's fallback: the text up to 0.10.2.
    expect(() => parseCompletionRequest({ prompt: "Hi", prompt_logprobs: -3 })).toThrow(
      "`prompt_logprobs` must be a positive value.",
    );
    // A streamed 0 asks for nothing a stream carries.
    const parsed = parseChatRequest({
      messages: [{ role: "user", content: "Hi" }],
      stream: true,
      prompt_logprobs: 0,
    });
    expect(parsed.promptLogprobs).toBeUndefined();
  });
});

describe("ByRelease", () => {
  it("answers the error its pick chooses for the profile, in that profile's era", () => {
    const error = new ByRelease(badRequest("old"), (profile) =>
      profile.promptLogprobsAll ? badRequest("new", "p") : badRequest("old"),
    );
    expect(error.message).toBe("old");
    const text = (version: string) =>
      JSON.parse(errorReply(profileFor(version), error).body as string);
    expect(text("0.10.2").error.message).toBe("old");
    expect(text("0.11.0").error).toEqual({
      message: "new",
      type: "BadRequestError",
      param: "p",
      code: 400,
    });
  });
});

/**
 * The sampling checks an earlier mock read and ignored, through raw fetch and the openai
 * SDK. Texts: vllm/sampling_params.py `_verify_args` (the same texts from 0.10 to 0.18; these
 * checks name no `parameter` in any release, so no PR #31870 suffix) and protocol.py
 * `check_generation_prompt`.
 */
describe("sampling checks (sampling_params.py _verify_args)", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({ "served-model-name": "m", "vllm-version": "0.14.0" });
  });
  afterAll(() => server.close());
  const post = async (path: string, body: object) => {
    const response = await fetch(`${server.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as ErrorBody };
  };
  const chat = (extra: object) =>
    post("/v1/chat/completions", {
      model: "m",
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 4,
      ...extra,
    });
  const completion = (extra: object) =>
    post("/v1/completions", { model: "m", prompt: "hi", max_tokens: 4, ...extra });

  it.each([
    [{ presence_penalty: 3 }, "presence_penalty must be in [-2, 2], got 3.0."],
    [{ presence_penalty: -2.5 }, "presence_penalty must be in [-2, 2], got -2.5."],
    [{ frequency_penalty: 2.01 }, "frequency_penalty must be in [-2, 2], got 2.01."],
    [{ repetition_penalty: 0 }, "repetition_penalty must be greater than zero, got 0.0."],
    [{ repetition_penalty: -1 }, "repetition_penalty must be greater than zero, got -1.0."],
    [{ min_p: 1.5 }, "min_p must be in [0, 1], got 1.5."],
    [{ min_p: -0.1 }, "min_p must be in [0, 1], got -0.1."],
    // _verify_args checks n before the penalties.
    [{ presence_penalty: 9, n: 0 }, "n must be at least 1, got 0."],
  ])("refuses %j on chat and completions", async (extra, message) => {
    for (const answer of [await chat(extra), await completion(extra)]) {
      expect(answer.status).toBe(400);
      expect(answer.body.error.message).toBe(message);
      expect(answer.body.error.param).toBeNull();
    }
  });

  it("accepts the bounds themselves", async () => {
    // [-2, 2] and [0, 1] are closed; repetition_penalty only above zero.
    const bounds = {
      presence_penalty: 2,
      frequency_penalty: -2,
      repetition_penalty: 0.01,
      min_p: 1,
      length_penalty: 3,
      user: "u-1",
    };
    expect((await chat(bounds)).status).toBe(200);
    expect((await completion({ ...bounds, min_p: 0 })).status).toBe(200);
  });

  it("answers the openai SDK's presence_penalty with the 400 text", async () => {
    const client = openaiClient(server);
    const refused = client.chat.completions.create({
      model: "m",
      messages: [{ role: "user", content: "hi" }],
      presence_penalty: -3,
    });
    await expect(refused).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining("presence_penalty must be in [-2, 2], got -3.0."),
    });
  });

  it("refuses an empty bad word with the list as Python prints it", async () => {
    // sampling_params.py _verify_args: "bad_words cannot contain an empty string. Got bad_words=[...]".
    for (const answer of [
      await chat({ bad_words: ["a", ""] }),
      await completion({ bad_words: ["a", ""] }),
    ]) {
      expect(answer.status).toBe(400);
      expect(answer.body.error.message).toBe(
        "bad_words cannot contain an empty string. Got bad_words=['a', '']",
      );
    }
  });

  it("reads bad_words as a list of strings (pydantic list[str])", async () => {
    const lone = await chat({ bad_words: "word" });
    expect(lone.status).toBe(400);
    expect(lone.body.error.message).toContain("Input should be a valid list");
    const number = await completion({ bad_words: ["ok", 3] });
    expect(number.status).toBe(400);
    expect(number.body.error.message).toContain("Input should be a valid string");
  });

  it("refuses a bad word of blanks only, naming bad_words from 0.14.0", async () => {
    // sampling_params.py update_from_tokenizer: the bare word tokenizes to nothing; a
    // VLLMValidationError(parameter="bad_words") (PR #31870's form in 0.14.0).
    const answer = await completion({ bad_words: ["  "] });
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toBe(
      "bad_words entries must tokenize to at least one token. (parameter=bad_words, value=['  '])",
    );
    expect(answer.body.error.param).toBe("bad_words");
    expect((await completion({ bad_words: ["river", "river"] })).status).toBe(200);
  });

  it("refuses continue_final_message with add_generation_prompt, both sent", async () => {
    // protocol.py check_generation_prompt (a before-validator reading the raw body).
    const both = await chat({ continue_final_message: true, add_generation_prompt: true });
    expect(both.status).toBe(400);
    expect(both.body.error.message).toContain(
      "Cannot set both `continue_final_message` and `add_generation_prompt` to True.",
    );
    // data.get("add_generation_prompt") is None when absent: the default true does not count.
    const alone = await post("/v1/chat/completions", {
      model: "m",
      messages: [
        { role: "user", content: "hi" },
        { role: "assistant", content: "Hello" },
      ],
      continue_final_message: true,
      max_tokens: 2,
    });
    expect(alone.status).toBe(200);
  });
});

// sampling_params.py _verify_args checks only temperature's lower bound in every profiled
// release ("temperature must be non-negative, got -1.0."); vLLM PR #44965 (merged 2026-06-09,
// after 0.21.0: inferred from dates) adds the upper bound 2.0 later, so 0.21.0 still samples at 3.
describe("temperature above 2", () => {
  it("is accepted on 0.21.0 and 0.12.0, through the openai SDK", async () => {
    for (const version of ["0.12.0", "0.21.0"]) {
      const server = await startVllm({ "vllm-version": version, "served-model-name": "m" });
      try {
        const answer = await openaiClient(server).chat.completions.create({
          model: "m",
          messages: [{ role: "user", content: "Hi" }],
          max_tokens: 2,
          temperature: 3,
        });
        expect(["length", "stop"], version).toContain(answer.choices[0]?.finish_reason);
        await expect(
          openaiClient(server).chat.completions.create({
            model: "m",
            messages: [{ role: "user", content: "Hi" }],
            temperature: -1,
          }),
        ).rejects.toThrow("temperature must be non-negative, got -1.0.");
      } finally {
        await server.close();
      }
    }
  });
});
