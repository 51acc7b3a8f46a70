/**
 * The protocol cases of vLLM's OpenAI-compatible API (issue 3). Each case names the fact it
 * checks and asserts properties that hold on a real cluster too: cheap, read-only requests with
 * small `max_tokens`, the served model id read from `/v1/models` rather than assumed. POST
 * bodies go through `context.rest(path, { json })`, with the target's token and TLS trust.
 */
import assert from "node:assert/strict";
import type { CaseContext, ContractCase, RestAnswer } from "../contract-case.js";
import { defineCase } from "../contract-case.js";

const source = "vllm-openai.md";

/** The body of an answer as a JSON object; fails the case, quoting the body, when it is not JSON. */
export function json(answer: RestAnswer, what: string): Record<string, unknown> {
  try {
    return JSON.parse(answer.body) as Record<string, unknown>;
  } catch {
    assert.fail(`${what}: body is not JSON: ${answer.body.slice(0, 200)}`);
  }
}

/** The served model's id, from the first card of `/v1/models`. */
export async function servedModel(context: CaseContext): Promise<string> {
  const answer = await context.rest("/v1/models");
  assert.equal(answer.status, 200, "GET /v1/models");
  const data = json(answer, "GET /v1/models").data as { id?: unknown }[] | undefined;
  const id = data?.[0]?.id;
  assert.equal(typeof id, "string", "/v1/models data[0].id");
  return id as string;
}

/** The `data:` payloads of an SSE body, checking vLLM's framing on the way. */
function sseData(answer: RestAnswer, what: string): string[] {
  assert.equal(answer.status, 200, what);
  assert.match(
    answer.headers.get("content-type") ?? "",
    /^text\/event-stream/,
    `${what} content type`,
  );
  assert.ok(answer.body.endsWith("\n\n"), `${what}: every event ends with a blank line`);
  const events = answer.body.slice(0, -2).split("\n\n");
  for (const event of events) {
    assert.ok(event.startsWith("data: "), `${what}: only data: lines, got ${event.slice(0, 40)}`);
  }
  const data = events.map((event) => event.slice("data: ".length));
  assert.equal(data.at(-1), "[DONE]", `${what}: ends with data: [DONE]`);
  return data.slice(0, -1);
}

/** The parts of a stream chunk the cases read (vllm-openai.md §6). */
interface StreamChunk {
  readonly id?: string;
  readonly object?: string;
  readonly choices: readonly {
    readonly delta?: { readonly role?: string };
    readonly finish_reason?: string | null;
    readonly [key: string]: unknown;
  }[];
  readonly usage?: unknown;
}

function chunksOf(answer: RestAnswer, what: string): StreamChunk[] {
  return sseData(answer, what).map((d) => JSON.parse(d) as StreamChunk);
}

const base = { runtimes: ["vllm"], transport: "rest" } as const;

const modelsList = defineCase({
  ...base,
  id: "openai/models-list",
  title: "GET /v1/models lists vLLM model cards (owned_by vllm, root, max_model_len, permission)",
  source: `${source} §7 (serving_models.py ModelCard)`,
  async run(context) {
    const answer = await context.rest("/v1/models");
    assert.equal(answer.status, 200);
    const body = json(answer, "GET /v1/models");
    assert.equal(body.object, "list");
    const card = (body.data as Record<string, unknown>[])[0];
    assert.ok(card, "at least one model card");
    assert.equal(card.object, "model");
    assert.equal(card.owned_by, "vllm");
    assert.equal(typeof card.root, "string");
    assert.equal(typeof card.max_model_len, "number");
    assert.ok(Array.isArray(card.permission) && card.permission.length > 0, "permission list");
  },
});

const version = defineCase({
  ...base,
  id: "openai/version",
  title: 'GET /version answers {"version": "<string>"}',
  source: `${source} §1, §7`,
  async run(context) {
    const answer = await context.rest("/version");
    assert.equal(answer.status, 200);
    assert.equal(typeof json(answer, "GET /version").version, "string");
  },
});

const tokenizeAgrees = defineCase({
  ...base,
  id: "openai/tokenize-agrees",
  title:
    "/tokenize counts what /v1/completions bills as prompt_tokens; /detokenize gives the text back",
  source: `${source} §7 (/tokenize, /detokenize), §5 (usage)`,
  async run(context) {
    const model = await servedModel(context);
    const prompt = "The quick brown fox";
    const tokens = json(await context.rest("/tokenize", { json: { model, prompt } }), "/tokenize");
    assert.ok(Array.isArray(tokens.tokens), "tokens list");
    assert.equal(tokens.count, (tokens.tokens as number[]).length);
    assert.equal(typeof tokens.max_model_len, "number");
    const completion = json(
      await context.rest("/v1/completions", { json: { model, prompt, max_tokens: 1 } }),
      "/v1/completions",
    );
    assert.equal((completion.usage as { prompt_tokens: number }).prompt_tokens, tokens.count);
    const back = json(
      await context.rest("/detokenize", { json: { model, tokens: tokens.tokens } }),
      "/detokenize",
    );
    assert.ok(String(back.prompt).includes(prompt), `detokenized ${String(back.prompt)}`);
  },
});

function assertUsage(usage: unknown): void {
  const u = usage as { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  assert.ok(u.prompt_tokens > 0, "prompt_tokens");
  assert.equal(u.total_tokens, u.prompt_tokens + u.completion_tokens, "total_tokens");
}

const completions = defineCase({
  ...base,
  id: "openai/completions",
  title: "POST /v1/completions answers a text_completion with stop_reason and usage",
  source: `${source} §5 (serving_completion.py)`,
  async run(context) {
    const model = await servedModel(context);
    const answer = await context.rest("/v1/completions", {
      json: {
        model,
        prompt: "Hello",
        max_tokens: 4,
      },
    });
    assert.equal(answer.status, 200);
    const body = json(answer, "/v1/completions");
    assert.equal(body.object, "text_completion");
    assert.match(String(body.id), /^cmpl-/);
    assert.equal(body.model, model);
    const choice = (body.choices as Record<string, unknown>[])[0];
    assert.ok(choice, "one choice");
    assert.equal(typeof choice.text, "string");
    assert.ok(["stop", "length"].includes(String(choice.finish_reason)), "finish_reason");
    assert.ok("stop_reason" in choice, "stop_reason present");
    assertUsage(body.usage);
  },
});

const chat = defineCase({
  ...base,
  id: "openai/chat-completions",
  title: "POST /v1/chat/completions answers a chat.completion from the assistant with usage",
  source: `${source} §5 (serving_chat.py)`,
  async run(context) {
    const model = await servedModel(context);
    const answer = await context.rest("/v1/chat/completions", {
      json: {
        model,
        messages: [{ role: "user", content: "Hello" }],
        max_tokens: 4,
      },
    });
    assert.equal(answer.status, 200);
    const body = json(answer, "/v1/chat/completions");
    assert.equal(body.object, "chat.completion");
    assert.match(String(body.id), /^chatcmpl-/);
    const choice = (body.choices as { message: { role: string; content: unknown } }[])[0];
    assert.equal(choice?.message.role, "assistant");
    assert.equal(typeof choice?.message.content, "string");
    assertUsage(body.usage);
  },
});

const chatStream = defineCase({
  ...base,
  id: "openai/chat-stream-framing",
  title:
    "chat streams: role chunk first, one id, finish chunk, usage chunk with choices [], [DONE]",
  source: `${source} §6 (chat_completion_stream_generator)`,
  async run(context) {
    const model = await servedModel(context);
    const answer = await context.rest("/v1/chat/completions", {
      json: {
        model,
        messages: [{ role: "user", content: "Hello" }],
        max_tokens: 4,
        stream: true,
        stream_options: { include_usage: true },
      },
    });
    const chunks = chunksOf(answer, "chat stream");
    assert.ok(chunks.length >= 3, "role, finish and usage chunks at least");
    for (const chunk of chunks) assert.equal(chunk.object, "chat.completion.chunk");
    assert.equal(new Set(chunks.map((c) => c.id)).size, 1, "one id for every chunk");
    assert.equal(chunks[0]?.choices[0]?.delta?.role, "assistant", "role chunk first");
    const usage = chunks.at(-1);
    assert.deepEqual(usage?.choices, [], "usage chunk has choices []");
    assertUsage(usage?.usage);
    const finish = chunks.at(-2)?.choices[0];
    assert.ok(["stop", "length"].includes(String(finish?.finish_reason)), "finish chunk");
  },
});

const completionsStream = defineCase({
  ...base,
  id: "openai/completions-stream-framing",
  title:
    "completions streams: every chunk has every key (usage null), last choice chunk finishes, [DONE]",
  source: `${source} §6 (completion_stream_generator)`,
  async run(context) {
    const model = await servedModel(context);
    const answer = await context.rest("/v1/completions", {
      json: {
        model,
        prompt: "Hello",
        max_tokens: 4,
        stream: true,
      },
    });
    const chunks = chunksOf(answer, "completions stream");
    assert.ok(chunks.length >= 1, "at least one chunk");
    for (const chunk of chunks) {
      assert.equal(chunk.object, "text_completion");
      assert.ok("usage" in chunk && chunk.usage === null, "usage: null on every chunk");
      const choice = chunk.choices[0] ?? {};
      for (const key of ["index", "text", "logprobs", "finish_reason", "stop_reason"]) {
        assert.ok(key in choice, `choice key ${key}`);
      }
    }
    assert.ok(["stop", "length"].includes(String(chunks.at(-1)?.choices[0]?.finish_reason)));
  },
});

const unknownModel = defineCase({
  ...base,
  id: "openai/unknown-model-404",
  title: "an unknown model is 404 NotFoundError ``The model `<name>` does not exist.``",
  source: `${source} §3 (serving_engine.py _check_model)`,
  async run(context) {
    const name = "servingkit-contract-no-such-model";
    const answer = await context.rest("/v1/completions", {
      json: {
        model: name,
        prompt: "x",
        max_tokens: 1,
      },
    });
    assert.equal(answer.status, 404);
    const body = json(answer, "unknown model");
    // ≥ 0.10.1 nests the error; ≤ 0.10.0 sends it flat: both eras hold the same fields.
    const error = (body.error ?? body) as Record<string, unknown>;
    assert.equal(error.type, "NotFoundError");
    assert.equal(error.code, 404);
    assert.equal(error.message, `The model \`${name}\` does not exist.`);
  },
});

const badRequest = defineCase({
  ...base,
  id: "openai/validation-400",
  title: "a body that fails validation is 400 BadRequestError, not FastAPI's 422",
  source: `${source} §3 (validation_exception_handler)`,
  async run(context) {
    const answer = await context.rest("/v1/chat/completions", { json: { messages: "not a list" } });
    assert.equal(answer.status, 400);
    const body = json(answer, "invalid body");
    const error = (body.error ?? body) as Record<string, unknown>;
    assert.equal(error.type, "BadRequestError");
    assert.equal(error.code, 400);
  },
});

const metrics = defineCase({
  ...base,
  id: "openai/metrics-names",
  title: "GET /metrics exposes vLLM's gauges and counters labelled with the served model",
  source: `${source} §8 (vllm/v1/metrics/loggers.py)`,
  async run(context) {
    const model = await servedModel(context);
    const answer = await context.rest("/metrics");
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get("content-type") ?? "", /^text\/plain/);
    assert.match(answer.body, /^# TYPE vllm:num_requests_running gauge$/m);
    assert.match(answer.body, /^# TYPE vllm:generation_tokens_total counter$/m);
    assert.match(answer.body, /^# TYPE vllm:time_to_first_token_seconds histogram$/m);
    const running = answer.body
      .split("\n")
      .find((line) => line.startsWith("vllm:num_requests_running{"));
    assert.ok(running?.includes(`model_name="${model}"`), `model_name label: ${running}`);
  },
});

const requestIdBase = defineCase({
  ...base,
  id: "openai/request-id-base",
  title: "the X-Request-Id header becomes the response id after cmpl- / chatcmpl-",
  source: `${source} §1 (serving_engine.py _base_request_id)`,
  async run(context) {
    const id = `servingkit-contract-${Date.now().toString(16)}`;
    const answer = await context.rest("/v1/completions", {
      json: { prompt: "Hello", max_tokens: 1 },
      headers: { "x-request-id": id },
    });
    assert.equal(answer.status, 200);
    assert.equal(json(answer, "completion").id, `cmpl-${id}`);
  },
});

/** One position of `prompt_logprobs` (vllm-openai.md §5). */
type PromptLogprobs = (Record<string, Record<string, unknown>> | null)[];

const promptLogprobs = defineCase({
  ...base,
  id: "openai/prompt-logprobs",
  title:
    "prompt_logprobs on completions: one entry per prompt token, the first null, then token id → {logprob, rank, decoded_token}",
  source: `${source} §3.2, §5 (protocol.py prompt_logprobs)`,
  async run(context) {
    const prompt = "The quick brown fox";
    const tokenized = await context.rest("/tokenize", { json: { prompt } });
    const tokens = json(tokenized, "POST /tokenize").tokens as number[];
    const answer = await context.rest("/v1/completions", {
      json: { prompt, max_tokens: 1, prompt_logprobs: 1 },
    });
    assert.equal(answer.status, 200);
    const choices = json(answer, "completion").choices as { prompt_logprobs?: PromptLogprobs }[];
    const entries = choices[0]?.prompt_logprobs;
    assert.ok(Array.isArray(entries), "choices[0].prompt_logprobs is a list");
    assert.equal(entries.length, tokens.length, "one entry per prompt token");
    assert.equal(entries[0], null, "the first entry is null");
    entries.slice(1).forEach((entry, i) => {
      const own = entry?.[String(tokens[i + 1])];
      assert.ok(own, `entry ${i + 1} holds the prompt's own token ${tokens[i + 1]}`);
      assert.equal(typeof own.logprob, "number");
      assert.equal(typeof own.rank, "number");
      assert.equal(typeof own.decoded_token, "string");
    });
  },
});

const promptLogprobsOrder = defineCase({
  ...base,
  id: "openai/prompt-logprobs-order",
  title:
    "each prompt_logprobs entry is written with the prompt's own token first, then the alternatives by rank",
  source: `${source} §5; vllm/v1/engine/logprobs.py _make_logprob_dict (a dict built in that order)`,
  async run(context) {
    const prompt = "Zebras quietly juggle seventeen oranges";
    const tokenized = await context.rest("/tokenize", { json: { prompt } });
    const tokens = json(tokenized, "POST /tokenize").tokens as number[];
    const answer = await context.rest("/v1/completions", {
      json: { prompt, max_tokens: 1, prompt_logprobs: 3 },
    });
    assert.equal(answer.status, 200);
    // JSON.parse would put integer-like keys in numeric order: read the keys from the raw text.
    const choices = json(answer, "completion").choices as { prompt_logprobs?: PromptLogprobs }[];
    const entries = choices[0]?.prompt_logprobs ?? [];
    const wire = [...answer.body.matchAll(/"(\d+)":\{"logprob":[^,]+,"rank":(\d+)/g)].map((m) => ({
      id: Number(m[1]),
      rank: Number(m[2]),
    }));
    let at = 0;
    entries.slice(1).forEach((entry, i) => {
      const size = Object.keys(entry ?? {}).length;
      const keys = wire.slice(at, at + size);
      at += size;
      assert.equal(keys[0]?.id, tokens[i + 1], `entry ${i + 1} starts with the prompt's token`);
      const ranks = keys.slice(1).map((k) => k.rank);
      assert.deepEqual(
        ranks,
        [...ranks].sort((x, y) => x - y),
        `entry ${i + 1} ranks ascend`,
      );
    });
    assert.equal(at, wire.length, "every key read");
  },
});

const contextLength = defineCase({
  ...base,
  id: "openai/context-length-400",
  title:
    'a prompt plus max_tokens over max_model_len is 400 "This model\'s maximum context length is L tokens"',
  source: `${source} §3.2 (the three eras' texts share that sentence)`,
  async run(context) {
    const models = json(await context.rest("/v1/models"), "GET /v1/models");
    const card = (models.data as { id: string; max_model_len: number }[])[0];
    assert.ok(card, "a model card");
    const answer = await context.rest("/v1/completions", {
      json: { model: card.id, prompt: "Hello", max_tokens: card.max_model_len },
    });
    assert.equal(answer.status, 400);
    const body = json(answer, "too long");
    const error = (body.error ?? body) as Record<string, unknown>;
    assert.equal(error.type, "BadRequestError");
    assert.ok(
      String(error.message).includes(
        `This model's maximum context length is ${card.max_model_len} tokens`,
      ),
      `message: ${String(error.message)}`,
    );
  },
});

const ignoreEos = defineCase({
  ...base,
  id: "openai/ignore-eos-length",
  title: "ignore_eos with max_tokens N generates exactly N tokens and finishes with length",
  source: `${source} §4.1 (SamplingParams ignore_eos), §5 (finish_reason)`,
  async run(context) {
    const answer = await context.rest("/v1/completions", {
      json: { prompt: "Once upon a time", max_tokens: 3, ignore_eos: true },
    });
    assert.equal(answer.status, 200);
    const body = json(answer, "completion");
    const choice = (body.choices as { finish_reason: string; stop_reason: unknown }[])[0];
    assert.equal(choice?.finish_reason, "length");
    assert.equal(choice?.stop_reason, null);
    assert.equal((body.usage as { completion_tokens: number }).completion_tokens, 3);
  },
});

const completionsLogprobs = defineCase({
  ...base,
  id: "openai/completions-logprobs-shape",
  title:
    "completions logprobs: tokens, token_logprobs, top_logprobs and text_offset, one entry per generated token",
  source: `${source} §5 (serving_completion.py _create_completion_logprobs)`,
  async run(context) {
    const answer = await context.rest("/v1/completions", {
      json: { prompt: "Hello", max_tokens: 3, logprobs: 2, ignore_eos: true },
    });
    assert.equal(answer.status, 200);
    const body = json(answer, "completion");
    const logprobs = (body.choices as { logprobs: Record<string, unknown[]> }[])[0]?.logprobs;
    assert.ok(logprobs, "choices[0].logprobs");
    for (const key of ["tokens", "token_logprobs", "top_logprobs", "text_offset"]) {
      assert.ok(Array.isArray(logprobs[key]), `${key} is a list`);
      assert.equal(logprobs[key]?.length, 3, `${key} has one entry per token`);
    }
    for (const top of logprobs.top_logprobs as Record<string, number>[]) {
      const size = Object.keys(top).length;
      assert.ok(size >= 2 && size <= 3, `top map holds the sampled token and 2 others: ${size}`);
    }
  },
});

/** A vLLM release as `[major, minor, patch]`. */
export type Release = readonly [number, number, number];

/** `major.minor.patch` of a vLLM version string (`0.10.1`, `v0.9.2`, `0.11.0rc1`), else undefined. */
export function releaseOf(version: string): Release | undefined {
  const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(version.trim());
  return match ? [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)] : undefined;
}

/**
 * The target's release from `GET /version` (what cases that differ by release branch on); skips
 * the case when the version string has none.
 */
export async function targetRelease(context: CaseContext): Promise<Release> {
  const answer = await context.rest("/version");
  assert.equal(answer.status, 200, "GET /version");
  const reported = String(json(answer, "GET /version").version);
  const parsed = releaseOf(reported);
  if (parsed === undefined) return context.skip(`vLLM version "${reported}" has no release number`);
  return parsed;
}

/** The target's release; skips the case on releases before `floor`, naming the release and why. */
export async function requireRelease(
  context: CaseContext,
  floor: Release,
  why: string,
): Promise<Release> {
  const have = await targetRelease(context);
  if (!atLeast(have, floor)) context.skip(`vLLM ${have.join(".")} ${why}`);
  return have;
}

/** Whether `release` is `floor` or later, both `[major, minor, patch]`. */
export function atLeast(release: readonly number[], floor: readonly number[]): boolean {
  for (let i = 0; i < 3; i += 1) {
    const d = (release[i] ?? 0) - (floor[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  return true;
}

const guidedRegexPython = defineCase({
  ...base,
  id: "openai/guided-regex-python-syntax",
  title:
    "a guided regex with Python's (?P<name>...) groups is taken: the output fully matches the pattern",
  source:
    "vLLM PR #15724 and vllm/config/structured_outputs.py (backend auto: xgrammar, else guidance, sampling_params.py); llguidance docs/syntax.md (Rust regex syntax takes (?P<name>...))",
  async run(context) {
    // The backend "auto" (xgrammar, falling back to guidance) is V1's default from 0.8.3 (vLLM
    // PR #15724, merged 2025-03-28); from 0.10.2 the field is structured_outputs.regex, before it
    // guided_regex.
    const reported = json(await context.rest("/version"), "GET /version").version;
    const release = releaseOf(String(reported));
    if (release === undefined || !atLeast(release, [0, 8, 3])) {
      return context.skip(`vLLM ${String(reported)} predates the auto structured-output backend`);
    }
    const pattern = "(?P<answer>yes|no)";
    const guided = atLeast(release, [0, 10, 2])
      ? { structured_outputs: { regex: pattern } }
      : { guided_regex: pattern };
    const model = await servedModel(context);
    const answer = await context.rest("/v1/completions", {
      json: {
        model,
        prompt: "Answer yes or no: is water wet?",
        max_tokens: 8,
        temperature: 0,
        ...guided,
      },
    });
    assert.equal(answer.status, 200, `status, body: ${answer.body.slice(0, 300)}`);
    const body = json(answer, "completion");
    const text = (body.choices as { text: string }[])[0]?.text;
    assert.match(String(text), /^(yes|no)$/, "the whole output matches the pattern");
  },
});

/** The `message` of a vLLM error body, in either envelope (flat up to 0.10.0, nested after). */
function errorMessage(answer: RestAnswer, what: string): string {
  const body = json(answer, what);
  const nested = body.error as { message?: unknown } | undefined;
  return String(typeof nested === "object" && nested !== null ? nested.message : body.message);
}

const promptLogprobsNegative = defineCase({
  ...base,
  id: "openai/prompt-logprobs-negative",
  title:
    'prompt_logprobs -2 is a 400 worded by release: "must be a positive value." up to 0.10.2, "... or -1." from 0.11.0',
  source:
    "vllm/entrypoints/openai/protocol.py check_logprobs; vLLM issue #24948 (0.10.2's text) and PR #24956 (merged 2025-09-16: -1 passes, from 0.11.0 by dates)",
  async run(context) {
    const release = await targetRelease(context);
    const answer = await context.rest("/v1/completions", {
      json: { prompt: "Hi", max_tokens: 1, prompt_logprobs: -2 },
    });
    assert.equal(answer.status, 400, `status, body: ${answer.body.slice(0, 200)}`);
    const message = errorMessage(answer, "prompt_logprobs -2");
    if (atLeast(release, [0, 11, 0])) {
      assert.ok(
        message.includes("`prompt_logprobs` must be a positive value or -1."),
        `from 0.11.0 the text allows -1: ${message.slice(0, 300)}`,
      );
    } else {
      assert.ok(
        message.includes("`prompt_logprobs` must be a positive value.") &&
          !message.includes("or -1"),
        `before 0.11.0 the text has no -1: ${message.slice(0, 300)}`,
      );
    }
  },
});

const promptLogprobsZeroStreams = defineCase({
  ...base,
  id: "openai/prompt-logprobs-zero-streams",
  title:
    "a streamed completion takes prompt_logprobs 0 (the stream refusal is for a count above 0)",
  source:
    "vllm/entrypoints/openai/protocol.py check_logprobs: `stream and prompt_logprobs > 0` (up to 0.10.2), `> 0 or == -1` (from 0.11.0)",
  async run(context) {
    const answer = await context.rest("/v1/completions", {
      json: { prompt: "Hi", max_tokens: 1, stream: true, prompt_logprobs: 0 },
    });
    sseData(answer, "streamed completion with prompt_logprobs 0");
  },
});

const completionsLogprobsNegative = defineCase({
  ...base,
  id: "openai/completions-logprobs-negative",
  title:
    "completions logprobs -1 is a 400 up to 0.18 (no -1 exception there), whose error names param logprobs from 0.13.0",
  source:
    "vllm/entrypoints/openai/protocol.py CompletionRequest.check_logprobs (`logprobs < 0`; vLLM PR #46175 of 2026-06 added -1); VLLMValidationError(parameter=logprobs) from vLLM PR #30134 (0.13.0)",
  async run(context) {
    const release = await targetRelease(context);
    if (atLeast(release, [0, 19, 0])) return context.skip(`vLLM ${release.join(".")} may take -1`);
    const answer = await context.rest("/v1/completions", {
      json: { prompt: "Hi", max_tokens: 1, logprobs: -1 },
    });
    assert.equal(answer.status, 400, `status, body: ${answer.body.slice(0, 200)}`);
    const body = json(answer, "logprobs -1");
    const error = (body.error ?? body) as { message?: unknown; param?: unknown };
    assert.ok(
      String(error.message).includes("`logprobs` must be a positive value."),
      `text: ${String(error.message).slice(0, 300)}`,
    );
    const named = atLeast(release, [0, 13, 0]);
    assert.equal(error.param ?? null, named ? "logprobs" : null, `param from 0.13.0 (${named})`);
  },
});

const logitBiasKey = defineCase({
  ...base,
  id: "openai/logit-bias-key",
  title:
    "a logit_bias key that is not an integer is a 400 with Python's int() text (param null) up to 0.18",
  source:
    "vllm/sampling_params.py SamplingParams.from_optional (a bare int() per key); vLLM PR #46612 (2026-06) quotes the answer as its Before",
  async run(context) {
    const release = await targetRelease(context);
    const answer = await context.rest("/v1/completions", {
      json: { prompt: "Hi", max_tokens: 1, logit_bias: { not_a_token_id: 1 } },
    });
    assert.equal(answer.status, 400, `status, body: ${answer.body.slice(0, 200)}`);
    // Newer releases name logit_bias in their own words (PR #46612); V0 releases checked it
    // elsewhere. The text is pinned for the V1 releases up to 0.18.
    if (!atLeast(release, [0, 8, 0]) || atLeast(release, [0, 19, 0])) return;
    assert.equal(
      errorMessage(answer, "logit_bias"),
      "invalid literal for int() with base 10: 'not_a_token_id'",
    );
  },
});

const promptLogprobsAllVocab = defineCase({
  ...base,
  id: "openai/prompt-logprobs-all-vocab",
  title:
    "chat prompt_logprobs -1 without stream is a 400: the validator's refusal up to 0.10.2, from 0.11.0 the input processor's bound with -1 read as the vocabulary size",
  source:
    "vllm/v1/engine/processor.py _validate_logprobs (-1 counts as ModelConfig.get_vocab_size()); vLLM PR #24956 (-1 passes check_logprobs from 0.11.0 by dates), issue #24948 (0.10.2's text)",
  async run(context) {
    const release = await targetRelease(context);
    const model = await servedModel(context);
    const answer = await context.rest("/v1/chat/completions", {
      json: {
        model,
        messages: [{ role: "user", content: "Hi" }],
        max_tokens: 1,
        prompt_logprobs: -1,
      },
    });
    // A server started with --max-logprobs -1 (or at least its vocabulary) serves it: not this
    // case's default deployment.
    assert.equal(answer.status, 400, `status, body: ${answer.body.slice(0, 200)}`);
    const message = errorMessage(answer, "prompt_logprobs -1");
    const bound =
      /^Requested prompt logprobs of (\d+), which is greater than max allowed: (\d+)/.exec(message);
    if (atLeast(release, [0, 11, 0])) {
      assert.ok(bound, `from 0.11.0 the input processor's bound answers: ${message.slice(0, 300)}`);
      assert.ok(
        Number(bound[1]) > Number(bound[2]),
        `the vocabulary size exceeds max_logprobs: ${message.slice(0, 300)}`,
      );
    } else {
      assert.ok(
        bound === null && message.includes("`prompt_logprobs` must be a positive value."),
        `before 0.11.0 the validator refuses -1: ${message.slice(0, 300)}`,
      );
    }
  },
});

const logitBiasOutOfVocab = defineCase({
  ...base,
  id: "openai/logit-bias-out-of-vocab",
  title:
    "chat logit_bias keys outside the vocabulary are a 400 naming them all and the vocabulary size (from 0.9.0)",
  source:
    "vllm/v1/engine/processor.py _validate_logit_bias (vLLM PR #16529, April 2025: in 0.9.0); VLLMValidationError(parameter=logit_bias) from PR #31870 (0.14.0)",
  async run(context) {
    const release = await targetRelease(context);
    // Older releases crashed the V1 engine or answered V0's own text: not pinned.
    if (!atLeast(release, [0, 9, 0])) return;
    const model = await servedModel(context);
    const answer = await context.rest("/v1/chat/completions", {
      json: {
        model,
        messages: [{ role: "user", content: "Hi" }],
        max_tokens: 1,
        // No tokenizer holds a billion ids; -1 is below every vocabulary; 0 is inside any.
        logit_bias: { "1000000000": 1, "0": 1, "-1": 1 },
      },
    });
    assert.equal(answer.status, 400, `status, body: ${answer.body.slice(0, 200)}`);
    const message = errorMessage(answer, "logit_bias out of vocabulary");
    assert.match(
      message,
      /^token_id\(s\) \[1000000000, -1\] in logit_bias contain out-of-vocab token ids\. Vocabulary size: \d+/,
      "the processor's text lists the keys outside the vocabulary in order",
    );
  },
});

const truncatePromptTokens = defineCase({
  ...base,
  id: "openai/truncate-prompt-tokens",
  title:
    "chat truncate_prompt_tokens keeps the prompt's last N tokens (usage counts N); -1 (max_model_len) taken from vLLM PR #22761, a 400 before",
  source:
    "vLLM SamplingParams truncate_prompt_tokens (left truncation); protocol.py Field(ge=1) -> Field(ge=-1), vLLM PR #22761 (Aug 2025, taken as 0.10.2)",
  async run(context) {
    const release = await targetRelease(context);
    const model = await servedModel(context);
    const ask = (extra: Record<string, unknown>, content: string) =>
      context.rest("/v1/chat/completions", {
        json: { model, messages: [{ role: "user", content }], max_tokens: 1, ...extra },
      });
    const truncated = await ask(
      { truncate_prompt_tokens: 3 },
      "one two three four five six ".repeat(8),
    );
    assert.equal(truncated.status, 200, `truncated status, body: ${truncated.body.slice(0, 200)}`);
    const usage = json(truncated, "truncated chat").usage as { prompt_tokens?: unknown };
    assert.equal(usage.prompt_tokens, 3, "usage.prompt_tokens counts the kept tokens");
    const all = await ask({ truncate_prompt_tokens: -1 }, "Hi");
    if (atLeast(release, [0, 10, 2])) {
      assert.equal(all.status, 200, `-1 from 0.10.2, body: ${all.body.slice(0, 200)}`);
    } else {
      assert.equal(all.status, 400, "before 0.10.2 Field(ge=1) refuses -1");
      assert.match(all.body, /greater_than_equal/, "before 0.10.2 pydantic's ge error");
    }
  },
});

/** One `data` item of vLLM's ClassificationResponse (protocol.py ClassificationData). */
interface ClassificationItem {
  readonly index?: unknown;
  readonly label?: unknown;
  readonly probs?: unknown;
  readonly num_classes?: unknown;
}

const classify = defineCase({
  ...base,
  id: "openai/classify",
  title:
    "POST /classify on a classification model answers ClassificationResponse: data[i] index, label, probs (summing to 1 over several classes), num_classes, prompt-only usage",
  source: `${source} §1; vLLM serving_classification.py, protocol.py ClassificationRequest / ClassificationResponse, api_server.py create_classify (PR #17032, 0.9.0)`,
  async run(context) {
    await requireRelease(context, [0, 9, 0], "predates /classify (vLLM PR #17032, 0.9.0)");
    const model = await servedModel(context);
    const answer = await context.rest("/classify", {
      json: { model, input: ["The service was excellent.", "The food was cold and late."] },
    });
    // A generative model has no classification server (api_server.py create_classify answers
    // "does not support"; releases that register routes by task answer FastAPI's 404).
    if (
      answer.status === 404 ||
      (answer.status === 400 && answer.body.includes("does not support Classification API"))
    ) {
      return context.skip(
        `the target serves a generative model: /classify answers ${answer.status} ${answer.body.slice(0, 120)}`,
      );
    }
    assert.equal(answer.status, 200, `/classify status, body: ${answer.body.slice(0, 200)}`);
    const body = json(answer, "/classify");
    assert.match(String(body.id), /^classify-/, "id starts with classify-");
    assert.equal(body.object, "list", "object");
    assert.equal(body.model, model, "model echoes the served name");
    assert.equal(typeof body.created, "number", "created");
    const data = body.data as ClassificationItem[];
    assert.equal(data.length, 2, "one item per input");
    data.forEach((item, i) => {
      assert.equal(item.index, i, `data[${i}].index`);
      const probs = item.probs as number[];
      assert.ok(Array.isArray(probs) && probs.length > 0, `data[${i}].probs is a list`);
      assert.ok(
        probs.every((p) => typeof p === "number" && p >= 0 && p <= 1),
        `data[${i}].probs are probabilities`,
      );
      assert.equal(item.num_classes, probs.length, `data[${i}].num_classes = len(probs)`);
      assert.ok(
        item.label === null || typeof item.label === "string",
        `data[${i}].label is id2label's string or null`,
      );
      if (probs.length > 1) {
        const total = probs.reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(total - 1) < 1e-3, `data[${i}].probs sum to 1 (softmax), got ${total}`);
      }
    });
    const usage = body.usage as Record<string, unknown>;
    assert.ok(Number(usage.prompt_tokens) > 0, "usage.prompt_tokens counts the inputs");
    assert.equal(usage.total_tokens, usage.prompt_tokens, "usage.total_tokens = prompt_tokens");
  },
});

/** Every vllm protocol case. */
export const vllmCases: readonly ContractCase[] = [
  modelsList,
  version,
  tokenizeAgrees,
  completions,
  chat,
  chatStream,
  completionsStream,
  unknownModel,
  badRequest,
  metrics,
  requestIdBase,
  promptLogprobs,
  promptLogprobsOrder,
  contextLength,
  ignoreEos,
  completionsLogprobs,
  guidedRegexPython,
  promptLogprobsNegative,
  promptLogprobsZeroStreams,
  logitBiasKey,
  completionsLogprobsNegative,
  promptLogprobsAllVocab,
  logitBiasOutOfVocab,
  truncatePromptTokens,
  classify,
];
