/**
 * The logprobs checks of requests.ts by release, through raw fetch against the mock: vLLM's
 * request models' `check_logprobs` (protocol.py, a `model_validator(mode="before")`) and what
 * changed in it between 0.10.2 and 0.18.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ByRelease, badRequest, errorReply } from "./errors.js";
import { profileFor } from "./profiles.js";
import { parseChatRequest, parseCompletionRequest } from "./requests.js";
import { startVllm, type TestServer } from "./test-server.js";

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
