import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultModelDir, ManualClock, modelSpecFor } from "@servingkit/mock-core";
import type OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  isPoolingArchitecture,
  loadServedModel,
  platformModelRoot,
  poolingRunnerUnsupported,
  servedTask,
  taskDeprecation,
  vocabularySize,
} from "./served-model.js";
import { readVllmSettings } from "./settings.js";
import { openaiClient, startVllm } from "./test-server.js";
import { vllmRestTables } from "./vllm-plugin.js";

describe("loadServedModel", () => {
  let dir: string;
  beforeAll(async () => {
    // A model directory as vLLM's --model takes it: tokenizer.json, tokenizer_config.json and
    // config.json (issue 3); its config sets the context length.
    dir = await mkdtemp(join(tmpdir(), "vllm-model-"));
    await cp(defaultModelDir, dir, { recursive: true });
    const config = JSON.parse(await readFile(join(dir, "config.json"), "utf8"));
    await writeFile(
      join(dir, "config.json"),
      JSON.stringify({ ...config, max_position_embeddings: 321 }),
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const load = (models: string[], values: Record<string, string> = {}) =>
    loadServedModel(readVllmSettings({ models, values }, {}));

  // vllm-openai.md §0, §7: root = --model path, id = --served-model-name, else the --model value.
  it("loads a model directory as vLLM's --model does", async () => {
    const loaded = await load([dir], { "served-model-name": "granite" });
    expect(loaded.served).toEqual({
      id: "granite",
      names: ["granite"],
      root: dir,
      maxModelLen: 321,
    });
    expect(loaded.spec.tokenizer.encode("hello").length).toBeGreaterThan(0);
  });

  it("serves a non-directory --model as a name with the built-in model", async () => {
    const loaded = await load(["granite-3b"]);
    expect(loaded.served.id).toBe("granite-3b");
    expect(loaded.served.root).toBe("granite-3b");
  });

  // vLLM v0.14.0 release notes: "Async scheduling is now enabled by default" (PR #27614), so
  // --gpu follows --vllm-version unless --[no-]async-scheduling says otherwise.
  it("schedules asynchronously under --gpu as the chosen release does", async () => {
    const gpu = async (values: Record<string, string | boolean>) =>
      (
        await loadServedModel(readVllmSettings({ models: [], values }, {}), {
          gpu: "h100-80gb",
          ...values,
        })
      ).gpu?.asyncScheduling;
    expect(await gpu({})).toBe(false);
    expect(await gpu({ "vllm-version": "0.13.0" })).toBe(false);
    expect(await gpu({ "vllm-version": "0.14.0" })).toBe(true);
    expect(await gpu({ "vllm-version": "0.14.0", "no-async-scheduling": true })).toBe(false);
    expect(await gpu({ "vllm-version": "0.12.0", "async-scheduling": true })).toBe(true);
    // vllm/config/vllm.py (PR #39592, v0.20.0 release notes): with no flag a model on the pooling
    // runner schedules synchronously; an explicit --async-scheduling keeps it on.
    expect(await gpu({ "vllm-version": "0.19.0", runner: "pooling" })).toBe(true);
    expect(await gpu({ "vllm-version": "0.20.0", runner: "pooling" })).toBe(false);
    expect(
      await gpu({ "vllm-version": "0.20.0", runner: "pooling", "async-scheduling": true }),
    ).toBe(true);
    expect(await gpu({ "vllm-version": "0.20.0" })).toBe(true);
  });

  it("defaults to the built-in model under the platform's root", async () => {
    const loaded = await load([], { "max-model-len": "77" });
    expect(loaded.served.root).toBe(platformModelRoot);
    expect(loaded.served.id).toBe(loaded.spec.id);
    expect(loaded.served.maxModelLen).toBe(77);
  });
});

// vLLM's --served-model-name takes several names (EngineArgs.served_model_name, "If multiple names
// are provided, the server will respond to any of the provided names. The model name in the model
// field of a response will be the first name in this list."; serving_models.py lists a card per
// name in base_model_paths, each with its own ModelPermission).
describe("several served names", () => {
  it("answers to every name with the first, and lists a card for each", async () => {
    const server = await startVllm({ "served-model-name": ["granite", "granite-alias"] });
    try {
      const client = openaiClient(server);
      const cards = (await client.models.list()).data as unknown as {
        id: string;
        root: string;
        permission: { id: string }[];
      }[];
      expect(cards.map((c) => c.id)).toEqual(["granite", "granite-alias"]);
      expect(cards[0]?.root).toBe(cards[1]?.root);
      expect(cards[0]?.permission[0]?.id).not.toBe(cards[1]?.permission[0]?.id);
      const answer = await client.completions.create({
        model: "granite-alias",
        prompt: "Hello",
        max_tokens: 2,
      });
      expect(answer.model).toBe("granite");
      await expect(
        client.completions.create({ model: "other", prompt: "Hello", max_tokens: 2 }),
      ).rejects.toMatchObject({ status: 404 });
    } finally {
      await server.close();
    }
  });
});

// vllm/v1/engine/output_processor.py make_request_output (vllm PR #27869, from 0.12.0): with
// --stream-interval N > 1 the output processor sends a request's output when it has finished,
// when none was sent yet, or once N tokens have gathered since the last one. It runs for every
// request of AsyncLLM.generate, so chat, completions and Responses streams group alike; each
// output is one chunk (serving_completion.py / serving_chat.py), continuous usage counting its
// tokens, logprobs listing them.
describe("--stream-interval on the simple engine", () => {
  const usage = { include_usage: true, continuous_usage_stats: true };
  let server: Awaited<ReturnType<typeof startVllm>>;
  beforeAll(async () => {
    server = await startVllm({ "served-model-name": "m", "stream-interval": "4" }, [], {
      clock: new ManualClock(),
    });
  });
  afterAll(() => server.close());

  it("completions: the first token, then chunks of 4, the last with the finish", async () => {
    const stream = await openaiClient(server).completions.create({
      model: "m",
      prompt: "Tell me about rivers",
      max_tokens: 11,
      ignore_eos: true,
      temperature: 0,
      logprobs: 0,
      stream: true,
      stream_options: usage,
    } as OpenAI.CompletionCreateParamsStreaming);
    const chunks: OpenAI.Completion[] = [];
    for await (const chunk of stream) if (chunk.choices.length > 0) chunks.push(chunk);
    expect(chunks.map((c) => c.usage?.completion_tokens)).toEqual([1, 5, 9, 11]);
    expect(chunks.map((c) => c.choices[0]?.logprobs?.tokens?.length)).toEqual([1, 4, 4, 2]);
    expect(chunks.map((c) => c.choices[0]?.finish_reason)).toEqual([null, null, null, "length"]);
    // The same text as an answer made at once.
    const whole = await openaiClient(server).completions.create({
      model: "m",
      prompt: "Tell me about rivers",
      max_tokens: 11,
      ignore_eos: true,
      temperature: 0,
    } as OpenAI.CompletionCreateParamsNonStreaming);
    expect(chunks.map((c) => c.choices[0]?.text).join("")).toBe(whole.choices[0]?.text);
  });

  it("chat: the role chunk, then the same grouping of the content", async () => {
    const stream = await openaiClient(server).chat.completions.create({
      model: "m",
      messages: [{ role: "user", content: "Tell me about rivers" }],
      max_tokens: 9,
      ignore_eos: true,
      stream: true,
      stream_options: usage,
    } as OpenAI.ChatCompletionCreateParamsStreaming);
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) if (chunk.choices.length > 0) chunks.push(chunk);
    // 9 tokens: [1] [2-5] [6-9 + finish]; the first chunk is the role's.
    expect(chunks.map((c) => c.usage?.completion_tokens)).toEqual([0, 1, 5, 9]);
    expect(chunks[0]?.choices[0]?.delta.role).toBe("assistant");
    expect(chunks.map((c) => c.choices[0]?.finish_reason)).toEqual([null, null, null, "length"]);
  });

  it("Responses: one output_text delta per output, logprobs of its tokens", async () => {
    const stream = await openaiClient(server).responses.create({
      model: "m",
      input: "Tell me about rivers",
      max_output_tokens: 11,
      ignore_eos: true,
      include: ["message.output_text.logprobs"],
      stream: true,
    } as OpenAI.Responses.ResponseCreateParamsStreaming);
    const deltas: OpenAI.Responses.ResponseTextDeltaEvent[] = [];
    for await (const event of stream)
      if (event.type === "response.output_text.delta") deltas.push(event);
    expect(deltas.map((d) => d.logprobs.length)).toEqual([1, 4, 4, 2]);
  });

  it("n = 2: each choice grouped on its own", async () => {
    const stream = await openaiClient(server).completions.create({
      model: "m",
      prompt: "Tell me about rivers",
      max_tokens: 6,
      n: 2,
      ignore_eos: true,
      logprobs: 0,
      stream: true,
    } as OpenAI.CompletionCreateParamsStreaming);
    const sizes: Record<number, number[]> = { 0: [], 1: [] };
    for await (const chunk of stream) {
      for (const choice of chunk.choices) {
        sizes[choice.index]?.push(choice.logprobs?.tokens?.length ?? 0);
      }
    }
    // 6 tokens: [1] [2-5] [6 + finish]
    expect(sizes).toEqual({ 0: [1, 4, 1], 1: [1, 4, 1] });
  });

  it("paced: a chunk leaves when its last token is produced", async () => {
    const clock = new ManualClock();
    const paced = await startVllm(
      {
        "served-model-name": "m",
        "stream-interval": "3",
        "time-to-first-token": "100",
        "inter-token-latency": "10",
      },
      [],
      { clock },
    );
    try {
      const seen: [number, number | undefined][] = [];
      const reading = (async () => {
        const stream = await openaiClient(paced).completions.create({
          model: "m",
          prompt: "Tell me about rivers",
          max_tokens: 6,
          ignore_eos: true,
          stream: true,
          stream_options: usage,
        } as OpenAI.CompletionCreateParamsStreaming);
        for await (const chunk of stream) {
          if (chunk.choices.length > 0) seen.push([clock.now(), chunk.usage?.completion_tokens]);
        }
      })();
      // The clock moves a millisecond at a time while the client reads.
      for (let t = 0; t < 200; t++) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        await clock.advance(1);
      }
      await reading;
      // Token k is produced 100 + 10 (k - 1) ms after the request: [1] at 100, [2-4] at 130,
      // [5-6] at 150 (the client sees each a tick or two later: the clock moves while it reads).
      expect(seen.map(([, count]) => count)).toEqual([1, 4, 6]);
      const [first, second, third] = seen.map(([at]) => at) as [number, number, number];
      expect(first).toBeGreaterThanOrEqual(100);
      expect(second - first).toBeGreaterThanOrEqual(28);
      expect(second - first).toBeLessThan(40);
      expect(third - first).toBeGreaterThanOrEqual(48);
      expect(third - first).toBeLessThan(60);
    } finally {
      await paced.close();
    }
  });

  it("is an unknown flag before 0.12.0 and at least 1", async () => {
    await expect(startVllm({ "vllm-version": "0.11.1", "stream-interval": "4" })).rejects.toThrow(
      "unrecognized arguments: --stream-interval",
    );
    await expect(startVllm({ "stream-interval": "0" })).rejects.toThrow(
      "--stream-interval: '0' is not a whole number >= 1",
    );
    await expect(startVllm({ "stream-interval": "2.5" })).rejects.toThrow(
      "--stream-interval: '2.5' is not a whole number >= 1",
    );
  });
});

describe("vocabularySize", () => {
  it("reads the text config's vocab_size, nested for a multimodal model", async () => {
    // vllm/config ModelConfig.get_vocab_size: getattr(hf_text_config, "vocab_size"); a multimodal
    // config's text config is its `text_config`.
    const spec = await modelSpecFor(undefined);
    expect(vocabularySize(spec)).toBe(4096);
    expect(vocabularySize({ ...spec, config: { vocab_size: 151_936 } })).toBe(151_936);
    expect(
      vocabularySize({ ...spec, config: { vocab_size: 5, text_config: { vocab_size: 262_208 } } }),
    ).toBe(262_208);
    // No vocab_size: the tokenizer's ids (the mock's own fallback).
    expect(vocabularySize({ ...spec, config: {} })).toBe(spec.tokenizer.vocabSize);
  });
});

describe("servedTask and the --task deprecation (pure)", () => {
  const causal = { config: { architectures: ["LlamaForCausalLM"] } };
  const classifier = { config: { architectures: ["Qwen2ForSequenceClassification"] } };

  type Flags = Parameters<typeof servedTask>[0];
  const flags = (task: Flags["task"], runner: Flags["runner"], more: Partial<Flags> = {}) => ({
    task,
    runner,
    convert: "auto" as const,
    version: "0.12.0",
    ...more,
  });

  // vllm/config/model.py _get_convert_type: a pooling runner converts a *ForSequenceClassification
  // checkpoint to classify, any other to embed (docs models/pooling_models "Model Conversion").
  it("serves --runner pooling as embed, or classify for a sequence classifier", () => {
    expect(servedTask(flags("generate", "pooling"), causal)).toBe("embed");
    expect(servedTask(flags("generate", "pooling"), classifier)).toBe("classify");
    expect(servedTask(flags("generate", "auto"), classifier)).toBe("classify");
    expect(servedTask(flags("generate", "auto"), causal)).toBe("generate");
    expect(servedTask(flags("classify", "pooling"), causal)).toBe("classify");
    expect(servedTask(flags("embed", "auto"), causal)).toBe("embed");
  });

  // vllm/config/model.py: no converter makes a pooling model generative.
  it("refuses --runner generate on a sequence classifier", () => {
    expect(() => servedTask(flags("generate", "generate"), classifier)).toThrow(
      "This model does not support `--runner generate`.",
    );
  });

  // vllm/config/model.py (0.10.1 on) _task_to_convert: "score" becomes --convert classify where
  // _get_default_pooling_task is classify (a *ForSequenceClassification suffix), else embed;
  // before 0.10.1 --task score is a task of its own (the mock's scoring model).
  it("maps --task score to classify or embed from 0.10.1", () => {
    expect(servedTask(flags("score", "auto"), classifier)).toBe("classify");
    expect(servedTask(flags("score", "auto"), causal)).toBe("embed");
    expect(servedTask(flags("score", "auto", { version: "0.10.1" }), causal)).toBe("embed");
    expect(servedTask(flags("score", "auto", { version: "0.10.0" }), causal)).toBe("score");
    expect(servedTask(flags("score", "auto", { version: "0.9.0" }), classifier)).toBe("score");
  });

  // vllm/config/model.py (0.10.1 on): _get_convert_type returns an explicit convert as given, so
  // --convert none on the pooling runner leaves a generative checkpoint unconverted and
  // __post_init__ raises (_RUNNER_CONVERTS pooling: embed, classify, reward); a pooling
  // architecture (_SUFFIX_TO_DEFAULTS: *ForSequenceClassification, *Model) needs no converter,
  // and without --runner pooling none is what auto resolves to for a generative checkpoint.
  it("refuses --runner pooling --convert none on a generative checkpoint only", () => {
    const none = { convert: "none" as const };
    expect(() => servedTask(flags("generate", "pooling", none), causal)).toThrow(
      poolingRunnerUnsupported,
    );
    expect(() => servedTask(flags("generate", "pooling", none), { config: {} })).toThrow(
      "This model does not support `--runner pooling`. You can pass `--convert <embed|classify|reward> to adapt it into a pooling model.",
    );
    expect(servedTask(flags("generate", "pooling", none), classifier)).toBe("classify");
    const bert = { config: { architectures: ["BertModel"] } };
    expect(servedTask(flags("generate", "pooling", none), bert)).toBe("embed");
    expect(servedTask(flags("generate", "auto", none), causal)).toBe("generate");
    expect(servedTask(flags("generate", "auto", none), classifier)).toBe("classify");
  });

  // vllm/config/model.py _SUFFIX_TO_DEFAULTS: ("EmbeddingModel", ("pooling", "embed")),
  // ("ForTextEncoding", ...), and last ("Model", ("pooling", "embed")): with no flags (--runner
  // auto, the mock's default task) a BertModel-like checkpoint is served as an embedder, in every
  // release (before 0.10.1 --task auto took the registry's one task for it, embed).
  it("serves a bare *Model or *EmbeddingModel architecture as embed by default", () => {
    const bert = { config: { architectures: ["BertModel"] } };
    const qwen = { config: { architectures: ["Qwen3EmbeddingModel"] } };
    expect(servedTask(flags("generate", "auto"), bert)).toBe("embed");
    expect(servedTask(flags("generate", "auto"), qwen)).toBe("embed");
    expect(servedTask(flags("generate", "auto", { version: "0.9.0" }), bert)).toBe("embed");
    expect(servedTask(flags("generate", "auto"), causal)).toBe("generate");
    expect(servedTask(flags("generate", "auto"), { config: {} })).toBe("generate");
  });

  // _SUFFIX_TO_DEFAULTS order: the generative suffixes first, a bare `Model` last.
  it("tells pooling architectures by vLLM's suffix defaults", () => {
    expect(isPoolingArchitecture({ architectures: ["XLMRobertaModel"] })).toBe(true);
    expect(isPoolingArchitecture({ architectures: ["Qwen3EmbeddingModel"] })).toBe(true);
    expect(isPoolingArchitecture({ architectures: ["GPT2LMHeadModel"] })).toBe(false);
    expect(isPoolingArchitecture({ architectures: ["Qwen2ForRewardModeling"] })).toBe(true);
    expect(isPoolingArchitecture({ architectures: ["LlamaForCausalLM"] })).toBe(false);
    expect(isPoolingArchitecture({})).toBe(false);
  });

  // vllm/config/model.py (vLLM PR #21470): --task is deprecated in 0.10.1-0.12.x with a hint
  // naming its --convert (_task_to_convert: score is classify on a classifier, else embed).
  it("words vLLM's deprecation warning for 0.10.1-0.12.x", () => {
    const prefix =
      "The 'task' option has been deprecated and will be removed in v0.13.0 or v1.0, whichever comes first.";
    const warn = (
      version: string,
      task: "generate" | "embed" | "classify" | "score",
      spec = causal,
    ) => taskDeprecation({ version, task, taskFlag: true }, spec);
    expect(warn("0.10.0", "embed")).toBeUndefined();
    expect(taskDeprecation({ version: "0.11.0", task: "embed", taskFlag: false }, causal)).toBe(
      undefined,
    );
    expect(warn("0.10.1", "embed")).toBe(
      `${prefix} Please replace this option with \`--convert embed\` to continue using this model as a pooling model.`,
    );
    expect(warn("0.12.0", "score", classifier)).toContain("`--convert classify`");
    expect(warn("0.12.0", "score")).toContain("`--convert embed`");
    expect(warn("0.11.0", "generate")).toBe(`${prefix} Please remove this option`);
  });
});

describe("the --task deprecation at start-up", () => {
  /** The start-up lines the route table logs for these options. */
  async function startupLines(values: Record<string, string>): Promise<string[]> {
    const settings = readVllmSettings({ models: [], values }, {});
    const loaded = await loadServedModel(settings, values);
    const lines: string[] = [];
    const stop = new AbortController();
    vllmRestTables({
      settings,
      loaded,
      clock: new ManualClock(),
      shutdownSignal: stop.signal,
      logger: { info: (line) => lines.push(line) },
    });
    stop.abort();
    return lines;
  }

  // vllm/config/model.py (vLLM PR #21470): 0.10.1-0.12.x warn once at start-up; 0.10.0 and
  // --runner/--convert say nothing.
  it("logs vLLM's warning for --task in 0.11.0 only", async () => {
    expect(await startupLines({ task: "embed", "vllm-version": "0.11.0" })).toContain(
      "The 'task' option has been deprecated and will be removed in v0.13.0 or v1.0, whichever comes first. Please replace this option with `--convert embed` to continue using this model as a pooling model.",
    );
    const quiet = [
      await startupLines({ task: "embed", "vllm-version": "0.10.0" }),
      await startupLines({ runner: "pooling", convert: "embed", "vllm-version": "0.11.0" }),
    ];
    for (const lines of quiet) {
      expect(lines.filter((l) => l.includes("--task") || l.includes("'task'"))).toEqual([]);
    }
  });
});

describe("--task at start-up by release", () => {
  let classifierDir: string;
  beforeAll(async () => {
    classifierDir = await mkdtemp(join(tmpdir(), "vllm-task-classifier-"));
    await cp(defaultModelDir, classifierDir, { recursive: true });
    const path = join(classifierDir, "config.json");
    const config = JSON.parse(await readFile(path, "utf8"));
    await writeFile(
      path,
      JSON.stringify({ ...config, architectures: ["Qwen2ForSequenceClassification"] }),
    );
  });
  afterAll(() => rm(classifierDir, { recursive: true, force: true }));

  // gpustack issue #3991 and vllm-plugin-FL issue #127 (vLLM 0.13.0: "vllm: error: unrecognized
  // arguments: --task embed"); 0.10.1-0.12.x named v0.13.0 in the deprecation (config/model.py).
  it("is argparse's unknown flag from 0.13.0, accepted in 0.12.0", async () => {
    for (const version of ["0.13.0", "0.17.0"]) {
      await expect(startVllm({ task: "embed", "vllm-version": version })).rejects.toThrow(
        "unrecognized arguments: --task embed",
      );
    }
    await expect(startVllm({ task: "generate", "vllm-version": "0.18.0" })).rejects.toThrow(
      "unrecognized arguments: --task generate",
    );
    const old = await startVllm({ task: "embed", "vllm-version": "0.12.0" });
    try {
      const response = await fetch(`${old.url}/v1/embeddings`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ input: "hello" }),
      });
      expect(response.status).toBe(200);
    } finally {
      await old.close();
    }
  });

  // vllm/config/model.py __post_init__ (0.10.1+): a deprecated generative --task sets runner =
  // "generate"; on a pooling-only architecture that is "This model does not support `--runner
  // generate`." at start-up, as with --runner generate.
  it("refuses --task generate on a sequence classifier in 0.10.1-0.12.x", async () => {
    for (const values of [
      { task: "generate", "vllm-version": "0.11.0" },
      { runner: "generate", "vllm-version": "0.11.0" },
    ]) {
      await expect(startVllm(values, [classifierDir])).rejects.toThrow(
        "This model does not support `--runner generate`.",
      );
    }
    // config/model.py __post_init__: warnings.warn(DeprecationWarning) runs before the runner
    // check raises, so the failed start logs the warning first.
    const values = { task: "generate", "vllm-version": "0.11.0" };
    const settings = readVllmSettings({ models: [classifierDir], values }, {});
    const loaded = await loadServedModel(settings, values);
    const lines: string[] = [];
    expect(() =>
      vllmRestTables({
        settings,
        loaded,
        clock: new ManualClock(),
        logger: { info: (line) => lines.push(line) },
      }),
    ).toThrow("This model does not support `--runner generate`.");
    expect(lines.filter((l) => l.includes("'task' option has been deprecated"))).toHaveLength(1);
    const classifier = await startVllm({ "vllm-version": "0.11.0" }, [classifierDir]);
    try {
      const response = await fetch(`${classifier.url}/classify`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ input: "hello" }),
      });
      expect(response.status).toBe(200);
    } finally {
      await classifier.close();
    }
  });
});
