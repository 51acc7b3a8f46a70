/**
 * `/classify` through raw fetch (vLLM serving_classification.py, protocol.py ClassificationRequest
 * / ClassificationResponse, api_server.py `create_classify`), for a model directory whose
 * config.json names a sequence-classification architecture with `id2label`.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultModelDir } from "@servingkit/mock-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  activationAliasValueSince,
  classifierHead,
  classLogits,
  classProbabilities,
  isSequenceClassifier,
  requestActivation,
} from "./classification.js";
import { embedUseActivationSince } from "./embeddings.js";
import { postJson, startVllm, type TestServer } from "./test-server.js";

/** The built-in model's files with a classifier's config.json (`extra` keys merged in). */
async function classifierModelDir(extra: Record<string, unknown>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "vllm-classifier-"));
  await cp(defaultModelDir, dir, { recursive: true });
  const path = join(dir, "config.json");
  const config = JSON.parse(await readFile(path, "utf8"));
  await writeFile(
    path,
    JSON.stringify({
      ...config,
      architectures: ["Qwen2ForSequenceClassification"],
      ...extra,
    }),
  );
  return dir;
}

/** POSTs `body` as JSON to `path` on `server` (test-server.ts postJson). */
function post(server: TestServer, path: string, body: unknown) {
  return postJson(`${server.url}${path}`, body);
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

describe("the classifier head (pure)", () => {
  // transformers PretrainedConfig: id2label's string keys give the labels; else num_labels
  // classes named LABEL_<i>; else 2.
  it("reads id2label, num_labels, or two LABEL_<i> classes", () => {
    expect(classifierHead({ id2label: { "1": "toxic", "0": "clean" } }).labels).toEqual([
      "clean",
      "toxic",
    ]);
    expect(classifierHead({ num_labels: 3 }).labels).toEqual(["LABEL_0", "LABEL_1", "LABEL_2"]);
    expect(classifierHead({}).labels).toEqual(["LABEL_0", "LABEL_1"]);
  });

  // docs models/pooling_models: *ForSequenceClassification architectures are classifiers.
  it("recognises sequence-classification architectures", () => {
    expect(isSequenceClassifier({ architectures: ["BertForSequenceClassification"] })).toBe(true);
    expect(isSequenceClassifier({ architectures: ["LlamaForCausalLM"] })).toBe(false);
    expect(isSequenceClassifier({})).toBe(false);
  });

  // vLLM's classifier pooler: softmax over several classes, sigmoid for one.
  it("softmax sums to 1; one class is a sigmoid", () => {
    const probs = classProbabilities([2, -1, 0.5]);
    expect(sum(probs)).toBeCloseTo(1, 12);
    expect(probs[0]).toBeGreaterThan(probs[2] ?? 1);
    expect(classProbabilities([0])).toEqual([0.5]);
  });

  it("leans to the label whose words the text shares", () => {
    const head = { labels: ["sports", "finance"] };
    const [sports, finance] = classProbabilities(classLogits("great sports match", head, 384));
    expect(sports).toBeGreaterThan(finance ?? 1);
    const other = classProbabilities(classLogits("finance news today", head, 384));
    expect(other[1]).toBeGreaterThan(other[0] ?? 1);
  });
});

describe("a classification model", () => {
  let dir: string;
  let server: TestServer;
  beforeAll(async () => {
    dir = await classifierModelDir({ id2label: { "0": "negative", "1": "positive" } });
    server = await startVllm(
      { model: dir, "served-model-name": "classifier", "max-model-len": "64" },
      [dir],
    );
  });
  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  // protocol.py ClassificationResponse / ClassificationData; serving_classification.py
  // `_build_response`: label = id2label[argmax(probs)], num_classes = len(probs), usage counts
  // the prompt tokens only.
  it("answers ClassificationResponse with labels, probs summing to 1 and usage", async () => {
    const { status, body } = await post(server, "/classify", {
      model: "classifier",
      input: ["a positive happy review", "a negative sad review"],
    });
    expect(status).toBe(200);
    expect(body.id).toMatch(/^classify-[0-9a-f]{32}$/);
    expect(body).toMatchObject({ object: "list", model: "classifier" });
    expect(typeof body.created).toBe("number");
    expect(body.data.map((d: { index: number }) => d.index)).toEqual([0, 1]);
    const [first, second] = body.data;
    expect(first).toMatchObject({ label: "positive", num_classes: 2 });
    expect(second).toMatchObject({ label: "negative", num_classes: 2 });
    for (const item of body.data) expect(sum(item.probs)).toBeCloseTo(1, 6);
    expect(Object.keys(first).sort()).toEqual(["index", "label", "num_classes", "probs"]);
    expect(body.usage.prompt_tokens).toBeGreaterThan(0);
    expect(body.usage).toMatchObject({
      total_tokens: body.usage.prompt_tokens,
      completion_tokens: 0,
      prompt_tokens_details: null,
    });
    // Deterministic: the same text, the same probabilities.
    const again = await post(server, "/classify", { input: "a positive happy review" });
    expect(again.body.data[0].probs).toEqual(first.probs);
  });

  // serving_classification.py `_preprocess`: an empty string is refused; an empty list is no
  // input at all.
  it("refuses an empty string, answers an empty list with no data", async () => {
    const empty = await post(server, "/classify", { input: "" });
    expect(empty.status).toBe(400);
    expect(empty.body.error.message).toBe("Input cannot be empty for classification");
    const none = await post(server, "/classify", { input: [] });
    expect(none.status).toBe(200);
    expect(none.body.data).toEqual([]);
    expect(none.body.usage.prompt_tokens).toBe(0);
  });

  // vllm-openai.md §3: validation is vLLM's 400; a missing input is pydantic's `missing`.
  it("refuses a missing input and an unknown model", async () => {
    const missing = await post(server, "/classify", { model: "classifier" });
    expect(missing.status).toBe(400);
    const unknown = await post(server, "/classify", { model: "nope", input: "x" });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toContain("`nope`");
  });

  // utils.py `_validate_truncation_size`: -1 means max_model_len; above it is refused.
  it("truncates with truncate_prompt_tokens and refuses more than max_model_len", async () => {
    const text = "one two three four five six seven eight nine ten";
    const cut = await post(server, "/classify", { input: text, truncate_prompt_tokens: 3 });
    expect(cut.status).toBe(200);
    expect(cut.body.usage.prompt_tokens).toBe(3);
    const over = await post(server, "/classify", { input: text, truncate_prompt_tokens: 65 });
    expect(over.status).toBe(400);
    expect(over.body.error.message).toBe(
      "truncate_prompt_tokens value is greater than max_model_len. Please, select a smaller truncation size.",
    );
  });

  // vLLM PR #25524 (0.11.1 cut): use_activation false answers the raw logits (the default
  // release, 0.12.0, reads it).
  it("answers raw logits with use_activation false", async () => {
    const raw = await post(server, "/classify", { input: "a review", use_activation: false });
    expect(raw.status).toBe(200);
    const logits = raw.body.data[0].probs as number[];
    expect(Math.abs(sum(logits) - 1)).toBeGreaterThan(1e-6);
    const { body: soft } = await post(server, "/classify", { input: "a review" });
    expect(soft.data[0].probs).toEqual(classProbabilities(logits));
  });

  // vllm/config/pooler.py get_use_activation on 0.12.0: `if activation := getattr(o,
  // "activation", None) is not None:` binds the comparison, so a given `activation` is True
  // whatever its value: activation false still answers probabilities (fixed by vLLM PR #32243).
  it("applies the activation for activation false (get_use_activation's precedence bug)", async () => {
    const { body } = await post(server, "/classify", { input: "a review", activation: false });
    expect(sum(body.data[0].probs)).toBeCloseTo(1, 6);
    const both = await post(server, "/classify", {
      input: "a review",
      activation: false,
      use_activation: false,
    });
    expect(both.body.data[0].probs).toEqual(body.data[0].probs);
  });

  // ClassificationCompletionRequest classification-extra-params (0.11.1 on): `softmax`
  // ("softmax will be deprecated, please use use_activation instead"), then `activation`, then
  // `use_activation`, all read by vllm/config/pooler.py get_use_activation, softmax first; on
  // 0.12.0 the unparenthesised walrus makes any given softmax True (fixed by vLLM PR #32243).
  it("reads the deprecated softmax first, caught by the same precedence bug", async () => {
    const { body: soft } = await post(server, "/classify", { input: "a review" });
    for (const softmax of [false, true]) {
      const { status, body } = await post(server, "/classify", {
        input: "a review",
        softmax,
        use_activation: false,
      });
      expect(status).toBe(200);
      expect(body.data[0].probs).toEqual(soft.data[0].probs);
    }
    // A softmax pydantic's lax bool cannot read ("no" it reads as false) is its 400 naming it.
    const wrong = await post(server, "/classify", { input: "a review", softmax: "maybe" });
    expect(wrong.status).toBe(400);
    expect(JSON.stringify(wrong.body)).toContain("softmax");
  });

  // vllm-openai.md §3: a route the model's task lacks answers "The model does not support ...".
  it("refuses chat completions and embeddings", async () => {
    const chat = await post(server, "/v1/chat/completions", {
      messages: [{ role: "user", content: "hi" }],
    });
    expect(chat.status).toBe(400);
    expect(chat.body.error.message).toBe("The model does not support Chat Completions API");
    const embed = await post(server, "/v1/embeddings", { input: "hi" });
    expect(embed.status).toBe(400);
    expect(embed.body.error.message).toBe("The model does not support Embeddings API");
  });

  // v1/engine/output_processor.py: stats are computed for pooling outputs too; a pooled request
  // finishes as stopped. Each input is one request; a refused body counts nothing.
  it("counts each classified input in /metrics", async () => {
    const read = async () => {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      const value = (name: string) =>
        Number(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, "m").exec(text)?.[1] ?? Number.NaN);
      return {
        stop: Number(
          /^vllm:request_success_total\{[^}]*finished_reason="stop"[^}]*\} (\S+)$/m.exec(text)?.[1],
        ),
        prompt: value("vllm:prompt_tokens_total"),
      };
    };
    const before = await read();
    const { body } = await post(server, "/classify", { input: ["one review", "another review"] });
    await post(server, "/classify", { input: "x", truncate_prompt_tokens: 1000 });
    const after = await read();
    expect(after.stop - before.stop).toBe(2);
    expect(after.prompt - before.prompt).toBe(body.usage.prompt_tokens);
  });

  // serving_pooling.py: /pooling answers the pooler's output, for a classifier its probabilities.
  it("pools to the same probabilities as /classify", async () => {
    const pooled = await post(server, "/pooling", { input: "a positive happy review" });
    expect(pooled.status).toBe(200);
    const classified = await post(server, "/classify", { input: "a positive happy review" });
    expect(pooled.body.data[0].data).toEqual(classified.body.data[0].probs);
  });
});

describe("a generative model", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({ "served-model-name": "chat" });
  });
  afterAll(() => server.close());

  // api_server.py `create_classify`: no classification server for a generative model.
  it("answers /classify with the does-not-support 400", async () => {
    const { status, body } = await post(server, "/classify", { input: "hello" });
    expect(status).toBe(400);
    expect(body.error.message).toBe("The model does not support Classification API");
  });
});

describe("a release before /classify", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({ "vllm-version": "0.8.5" });
  });
  afterAll(() => server.close());

  // vLLM PR #17032 added /classify after 0.8.5 (issue #17415 asks for it on 0.8.5): FastAPI 404.
  it("has no /classify route", async () => {
    const { status, body } = await post(server, "/classify", { input: "hello" });
    expect(status).toBe(404);
    expect(body).toEqual({ detail: "Not Found" });
  });
});

describe("--runner pooling --convert classify on a generative checkpoint", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({
      "served-model-name": "seq-cls",
      runner: "pooling",
      convert: "classify",
      "vllm-version": "0.12.0",
    });
  });
  afterAll(() => server.close());

  // docs v0.12.0 models/pooling_models "Model Conversion" (as_seq_cls_model): a causal checkpoint
  // served as a classifier answers /classify; transformers' default head has two LABEL_<i> classes.
  it("answers /classify with the default two-class head", async () => {
    const { status, body } = await post(server, "/classify", { input: "hello there" });
    expect(status).toBe(200);
    expect(body.data[0].num_classes).toBe(2);
    expect(["LABEL_0", "LABEL_1"]).toContain(body.data[0].label);
  });

  // The same model through --task classify in 0.11.0 (deprecated there, vllm/config/model.py).
  it("is what --task classify serves in 0.10.1-0.12.x", async () => {
    const old = await startVllm({ task: "classify", "vllm-version": "0.11.0" });
    try {
      const { status, body } = await post(old, "/classify", { input: "hello there" });
      expect(status).toBe(200);
      expect(body.data[0].num_classes).toBe(2);
    } finally {
      await old.close();
    }
  });
});

describe("use_activation (pure)", () => {
  // vLLM PR #25524 (0.11.1 cut): use_activation; activation kept as the deprecated alias and read
  // first (pooling_params.py get_use_activation); activation came with vLLM PR #20538, beside the
  // embeddings' normalize, 0.10.1 (xorbitsai/inference PR #4000's review); before neither is read.
  it("reads activation from 0.10.1, use_activation from 0.11.1, activation first", () => {
    expect(requestActivation("0.9.0", false, false)).toBeUndefined();
    expect(requestActivation("0.10.0", false, undefined)).toBeUndefined();
    expect(requestActivation("0.10.1", false, undefined)).toBe(false);
    expect(requestActivation("0.11.0", undefined, false)).toBeUndefined();
    expect(requestActivation("0.11.1", undefined, false)).toBe(false);
    expect(requestActivation("0.18.0", true, false)).toBe(true);
    expect(requestActivation("0.18.0", undefined, undefined)).toBeUndefined();
  });

  // vllm/config/pooler.py get_use_activation from vLLM PR #25524: `if activation := getattr(o,
  // "activation", None) is not None: return activation` returns the comparison (True); the
  // parenthesised form of vLLM PR #32243 (with normalize read first) returns the value.
  it("answers true for any given activation from 0.11.1 until the alias's value is read", () => {
    expect(activationAliasValueSince).toBe(embedUseActivationSince);
    expect(requestActivation("0.10.1", false, undefined)).toBe(false);
    expect(requestActivation("0.11.1", false, undefined)).toBe(true);
    expect(requestActivation("0.16.0", false, false)).toBe(true);
    expect(requestActivation("0.16.0", undefined, false)).toBe(false);
    expect(requestActivation("0.17.0", false, true)).toBe(false);
    expect(requestActivation("0.17.0", true, false)).toBe(true);
  });
});
