/**
 * `/score` and `/rerank` (vllm-openai.md §1, §5) for a `--task score` model (the mock's own
 * cross-encoder up to 0.10.0; from 0.10.1 a converted classifier or embedder), an embedding model
 * and a one-label classifier.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultModelDir, defaultModelSpec, embedText, realClock } from "@servingkit/mock-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pairLogit, rerank, score, supportsScore } from "./scoring.js";
import { loadServedModel, startModel, type VllmModel } from "./served-model.js";
import { readVllmSettings } from "./settings.js";
import { postJson, startVllm, type TestServer } from "./test-server.js";

// vllm/config/model.py (0.10.1 on) _task_to_convert: --task score is a convert from 0.10.1, so the
// mock's own scoring model is the 0.10.0 profile's (and earlier ones').
describe("a scoring model", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({
      "served-model-name": "ranker",
      task: "score",
      "vllm-version": "0.10.0",
    });
  });
  afterAll(() => server.close());

  // vllm-openai.md §5: {"object":"list","data":[{"index","object":"score","score"}],"usage"}.
  it("scores one text against many on /score and /v1/score", async () => {
    for (const path of ["/score", "/v1/score"]) {
      const { status, body } = await postJson(`${server.url}${path}`, {
        text_1: "the cat sat on the mat",
        text_2: ["a cat on a mat", "interest rates rose"],
      });
      expect(status).toBe(200);
      expect(body.object).toBe("list");
      expect(body.data.map((d: { index: number; object: string }) => [d.index, d.object])).toEqual([
        [0, "score"],
        [1, "score"],
      ]);
      expect(body.data[0].score).toBeGreaterThan(body.data[1].score);
      expect(body.usage.prompt_tokens).toBeGreaterThan(0);
    }
  });

  // vllm-openai.md §5: rerank {"id","model","usage":{"total_tokens"},"results":[{"index","document":{"text"},"relevance_score"}]}.
  it("reranks documents, most relevant first, on every rerank path", async () => {
    for (const path of ["/rerank", "/v1/rerank", "/v2/rerank"]) {
      const { body } = await postJson(`${server.url}${path}`, {
        query: "garden tomatoes",
        documents: ["stock market news", "growing tomatoes in the garden", "train times"],
        top_n: 2,
      });
      expect(Object.keys(body)).toEqual(["id", "model", "usage", "results"]);
      expect(body.model).toBe("ranker");
      expect(body.results).toHaveLength(2);
      expect(body.results[0]).toMatchObject({
        index: 1,
        document: { text: "growing tomatoes in the garden" },
      });
      expect(body.results[0].relevance_score).toBeGreaterThanOrEqual(
        body.results[1].relevance_score,
      );
    }
  });

  // vLLM PR #20260 (JinaVL reranker, before the 0.10.0 cut): RerankDocument {text, multi_modal},
  // dumped with its None fields, so a text document answers multi_modal null; before it {text}.
  it("answers each reranked document with multi_modal null from 0.10.0, {text} before", async () => {
    const request = { query: "garden tomatoes", documents: ["tomatoes", "trains"] };
    const { body } = await postJson(`${server.url}/rerank`, request);
    expect(body.results.map((r: { document: unknown }) => r.document)).toEqual(
      expect.arrayContaining([
        { text: "tomatoes", multi_modal: null },
        { text: "trains", multi_modal: null },
      ]),
    );
    const older = await startVllm({ task: "score", "vllm-version": "0.9.0" });
    try {
      const answer = await postJson(`${older.url}/rerank`, request);
      expect(answer.body.results.map((r: { document: unknown }) => r.document)).toEqual(
        expect.arrayContaining([{ text: "tomatoes" }, { text: "trains" }]),
      );
    } finally {
      await older.close();
    }
  });

  it("refuses chat on a scoring model", async () => {
    const { status, body } = await postJson(`${server.url}/v1/chat/completions`, {
      messages: [{ role: "user", content: "hi" }],
    });
    expect(status).toBe(400);
    // vllm-openai.md §3: the flat envelope up to 0.10.0.
    expect(body.message).toBe("The model does not support Chat Completions API");
  });
});

describe("a generative model", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm();
  });
  afterAll(() => server.close());

  it("answers /score and /rerank with does not support", async () => {
    const score = await postJson(`${server.url}/score`, { text_1: "a", text_2: "b" });
    expect(score.status).toBe(400);
    expect(score.body.error.message).toBe("The model does not support Score API");
    const rerank = await postJson(`${server.url}/rerank`, { query: "a", documents: ["b"] });
    expect(rerank.status).toBe(400);
  });
});

/** `vllm:request_success_total{finished_reason="stop"}` and `vllm:prompt_tokens_total` now. */
async function pooledCounters(url: string): Promise<{ stop: number; prompt: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const stop = /^vllm:request_success_total\{[^}]*finished_reason="stop"[^}]*\} (\S+)$/m.exec(text);
  const prompt = /^vllm:prompt_tokens_total\{[^}]*\} (\S+)$/m.exec(text);
  return { stop: Number(stop?.[1]), prompt: Number(prompt?.[1]) };
}

describe("a scoring model's /metrics", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({
      "served-model-name": "ranker",
      task: "score",
      "vllm-version": "0.10.0",
    });
  });
  afterAll(() => server.close());

  // serving_score.py sends each (text_1, text_2) pair, and each rerank (query, document) pair, to
  // the engine as its own request (`request_id-i`); v1/engine/output_processor.py computes stats
  // for pooling outputs: one stop per pair, the pairs' tokens as prompt tokens.
  it("counts each scored and reranked pair as one finished request", async () => {
    const before = await pooledCounters(server.url);
    const scored = await postJson(`${server.url}/v1/score`, {
      text_1: "the cat",
      text_2: ["a cat", "a dog"],
    });
    const reranked = await postJson(`${server.url}/rerank`, {
      query: "the cat",
      documents: ["a cat", "a dog", "a bird"],
    });
    const refused = await postJson(`${server.url}/score`, { text_1: ["a", "b"], text_2: ["c"] });
    expect(refused.status).toBe(400);
    const after = await pooledCounters(server.url);
    expect(after.stop - before.stop).toBe(5);
    expect(after.prompt - before.prompt).toBe(
      scored.body.usage.prompt_tokens + reranked.body.usage.total_tokens,
    );
  });
});

describe("an embedding model's /score and /rerank (bi-encoder)", () => {
  const closers: (() => void)[] = [];
  afterAll(() => {
    for (const close of closers) close();
  });
  async function embedder(version: string): Promise<VllmModel> {
    const values = { task: "embed", "vllm-version": version };
    const settings = readVllmSettings({ models: [], values }, {});
    const started = startModel(await loadServedModel(settings, values), settings, realClock, {});
    closers.push(started.close);
    return started.model;
  }
  const dot = (a: readonly number[], b: readonly number[]) =>
    a.reduce((sum, v, i) => sum + v * (b[i] ?? 0), 0);

  // v0.10.0 docs models/pooling_models: "The score API falls back to embed task if the model does
  // not support score task"; serving_score.py `_embedding_score`: the cosine of the embeddings.
  it("scores by the cosine of the two embeddings, each text embedded once", async () => {
    const model = await embedder("0.12.0");
    expect(supportsScore(model)).toBe(true);
    const heard: number[] = [];
    const answer = score(
      model,
      { text_1: "the cat sat", text_2: ["a cat sat", "stock prices fell"] },
      (tokens) => heard.push(tokens),
    ) as { data: { score: number }[]; usage: { prompt_tokens: number } };
    const dim = model.spec.embeddingDim;
    const query = embedText("the cat sat", dim);
    expect(answer.data[0]?.score).toBeCloseTo(dot(query, embedText("a cat sat", dim)), 10);
    expect(answer.data[1]?.score).toBeCloseTo(dot(query, embedText("stock prices fell", dim)), 10);
    // The query and two documents: three engine requests (serving_engine.py request_id-i).
    expect(heard).toHaveLength(3);
    expect(answer.usage.prompt_tokens).toBe(heard.reduce((a, b) => a + b, 0));
    const ranked = rerank(model, {
      query: "the cat sat",
      documents: ["stock prices fell", "a cat sat"],
    }) as { results: { index: number; relevance_score: number }[] };
    expect(ranked.results.map((r) => r.index)).toEqual([1, 0]);
    expect(ranked.results[0]?.relevance_score).toBeCloseTo(answer.data[0]?.score ?? 0, 10);
  });

  // Pinned to the 0.8.0 profile (scoring.ts embeddingScoreSince); a generative model never scores.
  it("is the scoring routes' refusal before 0.8.0 and for a generative model", async () => {
    expect(supportsScore(await embedder("0.7.3"))).toBe(false);
    const values = {};
    const settings = readVllmSettings({ models: [], values }, {});
    const started = startModel(await loadServedModel(settings, values), settings, realClock, {});
    closers.push(started.close);
    expect(supportsScore(started.model)).toBe(false);
  });
});

describe("an embedding model's scoring routes over HTTP", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({ "served-model-name": "embedder", task: "embed" });
  });
  afterAll(() => server.close());

  // v0.10.0 docs models/pooling_models: "The score API falls back to embed task"; the cosine of
  // two embeddings lies in [-1, 1], and the same text scores 1 against itself.
  it("answers /score, /v1/score and every rerank path", async () => {
    for (const path of ["/score", "/v1/score"]) {
      const { status, body } = await postJson(`${server.url}${path}`, {
        text_1: "the cat sat",
        text_2: ["the cat sat", "stock prices fell"],
      });
      expect(status).toBe(200);
      expect(body.model).toBe("embedder");
      expect(body.data[0].score).toBeCloseTo(1, 6);
      expect(body.data[1].score).toBeLessThan(body.data[0].score);
    }
    for (const path of ["/rerank", "/v1/rerank", "/v2/rerank"]) {
      const { status, body } = await postJson(`${server.url}${path}`, {
        query: "the cat sat",
        documents: ["stock prices fell", "a cat sat"],
      });
      expect(status).toBe(200);
      expect(body.results[0].index).toBe(1);
    }
  });

  // The 0.7.x profile keeps the refusal (scoring.ts embeddingScoreSince).
  it("refuses before 0.8.0", async () => {
    const old = await startVllm({ task: "embed", "vllm-version": "0.7.3" });
    try {
      const { status, body } = await postJson(`${old.url}/score`, { text_1: "a", text_2: "b" });
      expect(status).toBe(400);
      expect(body.message ?? body.error?.message).toBe("The model does not support Score API");
    } finally {
      old.close();
    }
  });
});

/** The built-in model's files with a sequence classifier's config.json (`extra` merged in). */
async function classifierDir(extra: Record<string, unknown>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "vllm-scorer-"));
  await cp(defaultModelDir, dir, { recursive: true });
  const path = join(dir, "config.json");
  const config = JSON.parse(await readFile(path, "utf8"));
  const architectures = ["BertForSequenceClassification"];
  await writeFile(path, JSON.stringify(Object.assign(config, { architectures }, extra)));
  return dir;
}

describe("--task score from 0.10.1 (a convert, vllm/config/model.py _task_to_convert)", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });
  async function scorer(extra: Record<string, unknown>, version: string): Promise<TestServer> {
    const dir = await classifierDir(extra);
    dirs.push(dir);
    return startVllm({ model: dir, task: "score", "vllm-version": version }, [dir]);
  }

  // _task_to_convert: score on a checkpoint whose default pooling task is not classify is
  // `--convert embed`: the model answers /v1/embeddings and scores by the embeddings' cosine
  // (serving_score.py _embedding_score), the same text scoring 1 against itself.
  it("serves a generative checkpoint as an embedder that scores by cosine", async () => {
    const server = await startVllm({ task: "score", "vllm-version": "0.11.0" });
    try {
      const embedded = await postJson(`${server.url}/v1/embeddings`, { input: "the cat sat" });
      expect(embedded.status).toBe(200);
      const { status, body } = await postJson(`${server.url}/score`, {
        text_1: "the cat sat",
        text_2: ["the cat sat", "stock prices fell"],
      });
      expect(status).toBe(200);
      expect(body.data[0].score).toBeCloseTo(1, 6);
      const classified = await postJson(`${server.url}/classify`, { input: "x" });
      expect(classified.status).toBe(400);
    } finally {
      await server.close();
    }
  });

  // _task_to_convert: score on a *ForSequenceClassification checkpoint is `--convert classify`;
  // the runner keeps "score" for it only with num_labels == 1 (gpu_model_runner.py
  // get_supported_pooling_tasks: "Score API is only enabled for num_labels == 1").
  it("serves a one-label classifier as a cross-encoder with /classify too", async () => {
    const server = await scorer({ num_labels: 1, id2label: { "0": "LABEL_0" } }, "0.12.0");
    try {
      const { status, body } = await postJson(`${server.url}/v1/score`, {
        text_1: "garden tomatoes",
        text_2: ["growing tomatoes in the garden", "train times"],
      });
      expect(status).toBe(200);
      for (const d of body.data) expect(d.score).toBeGreaterThanOrEqual(0);
      expect(body.data[0].score).toBeGreaterThan(body.data[1].score);
      const ranked = await postJson(`${server.url}/rerank`, {
        query: "garden tomatoes",
        documents: ["train times", "growing tomatoes in the garden"],
      });
      expect(ranked.body.results[0].index).toBe(1);
      const classified = await postJson(`${server.url}/classify`, { input: "a review" });
      expect(classified.status).toBe(200);
      expect(classified.body.data[0].num_classes).toBe(1);
    } finally {
      await server.close();
    }
  });

  // vLLM's classifier pooler on a cross-encoder: the pair's logit through the sigmoid for
  // num_labels == 1 (vLLM PR #20527 "use correct activation in ClassifierPooler" for the score
  // path); ScoreRequest / RerankRequest use_activation false (protocol.py score-extra-params,
  // get_use_activation) answers the raw logit; activation false on 0.12.0 does not (the
  // alias's precedence bug in vllm/config/pooler.py, fixed by vLLM PR #32243).
  it("scores a one-label cross-encoder as the sigmoid of the pair's logit", async () => {
    const server = await scorer({ num_labels: 1, id2label: { "0": "LABEL_0" } }, "0.12.0");
    const dim = (await defaultModelSpec()).embeddingDim;
    const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
    const docs = ["growing tomatoes in the garden", "train times"];
    try {
      const request = { text_1: "garden tomatoes", text_2: docs };
      const scored = await postJson(`${server.url}/score`, request);
      const logits = docs.map((d) => pairLogit("garden tomatoes", d, dim));
      expect(scored.body.data[0].score).toBeCloseTo(sigmoid(logits[0] ?? 0), 12);
      expect(scored.body.data[1].score).toBeCloseTo(sigmoid(logits[1] ?? 0), 12);
      const raw = await postJson(`${server.url}/score`, { ...request, use_activation: false });
      expect(raw.body.data[0].score).toBeCloseTo(logits[0] ?? 0, 12);
      expect(raw.body.data[1].score).toBeLessThan(0);
      const alias = await postJson(`${server.url}/score`, { ...request, activation: false });
      expect(alias.body.data).toEqual(scored.body.data);
      // softmax, read before activation, is caught by the same bug.
      const softmax = await postJson(`${server.url}/score`, {
        ...request,
        softmax: false,
        use_activation: false,
      });
      expect(softmax.body.data).toEqual(scored.body.data);
      const ranked = await postJson(`${server.url}/rerank`, {
        query: "garden tomatoes",
        documents: docs,
        use_activation: false,
      });
      expect(ranked.body.results[0].relevance_score).toBeCloseTo(logits[0] ?? 0, 12);
    } finally {
      await server.close();
    }
  });

  // vllm/config/pooler.py get_use_activation from vLLM PR #32243 (0.17.0 here): the aliases'
  // values are read, softmax first, then activation, then use_activation.
  it("reads softmax, activation and use_activation by value from 0.17.0", async () => {
    const dir = await classifierDir({ num_labels: 1 });
    dirs.push(dir);
    const server = await startVllm({ model: dir, "vllm-version": "0.17.0" }, [dir]);
    try {
      const request = { text_1: "garden tomatoes", text_2: ["tomatoes in the garden"] };
      const raw = await postJson(`${server.url}/score`, { ...request, use_activation: false });
      const soft = await postJson(`${server.url}/score`, request);
      expect(raw.body.data[0].score).not.toBeCloseTo(soft.body.data[0].score, 3);
      for (const off of [{ softmax: false }, { activation: false }]) {
        const answer = await postJson(`${server.url}/score`, { ...request, ...off });
        expect(answer.body.data).toEqual(raw.body.data);
      }
      const first = { ...request, softmax: true, activation: false, use_activation: false };
      expect((await postJson(`${server.url}/score`, first)).body.data).toEqual(soft.body.data);
    } finally {
      await server.close();
    }
  });

  it("answers 4 for a text against itself and -4 for orthogonal texts (pure)", () => {
    const a = embedText("the cat sat", 64);
    expect(pairLogit("the cat sat", "the cat sat", 64)).toBeCloseTo(4, 10);
    expect(pairLogit("the cat sat", "x", 64)).toBeCloseTo(
      8 * a.reduce((t, v, i) => t + v * (embedText("x", 64)[i] ?? 0), 0) - 4,
      10,
    );
  });

  // The same drop for two labels: up to 0.15.x the handler's "does not support" 400 (pooling.ts
  // routesByTaskSince), while /classify serves.
  it("refuses /score and /rerank on a two-label classifier", async () => {
    const server = await scorer({ id2label: { "0": "negative", "1": "positive" } }, "0.11.0");
    try {
      const scored = await postJson(`${server.url}/score`, { text_1: "a", text_2: "b" });
      expect(scored.status).toBe(400);
      expect(scored.body.error.message).toBe("The model does not support Score API");
      const ranked = await postJson(`${server.url}/rerank`, { query: "a", documents: ["b"] });
      expect(ranked.status).toBe(400);
      const classified = await postJson(`${server.url}/classify`, { input: "a review" });
      expect(classified.status).toBe(200);
      expect(classified.body.data[0].num_classes).toBe(2);
    } finally {
      await server.close();
    }
  });

  // From 0.16.0 the routes follow the supported tasks (pooling.ts routesByTaskSince): vLLM's
  // classification entrypoint test expects FastAPI's "Not Found" on /score and /rerank for a
  // two-label classifier, while a one-label one (no --task: refused from 0.13.0) scores.
  it("is FastAPI's 404 for a two-label classifier from 0.16.0", async () => {
    const two = await classifierDir({ id2label: { "0": "negative", "1": "positive" } });
    const one = await classifierDir({ num_labels: 1, id2label: { "0": "LABEL_0" } });
    dirs.push(two, one);
    const refusing = await startVllm({ model: two, "vllm-version": "0.16.0" }, [two]);
    const scoring = await startVllm({ model: one, "vllm-version": "0.16.0" }, [one]);
    try {
      for (const path of ["/score", "/rerank"]) {
        const body =
          path === "/score" ? { text_1: "a", text_2: "b" } : { query: "a", documents: ["b"] };
        const refused = await postJson(`${refusing.url}${path}`, body);
        expect(refused.status).toBe(404);
        expect(refused.body.detail).toBe("Not Found");
        expect((await postJson(`${scoring.url}${path}`, body)).status).toBe(200);
      }
    } finally {
      await refusing.close();
      await scoring.close();
    }
  });

  // Before 0.10.1 --task score on a classifier is the mock's own scoring model: every pair scores.
  it("keeps the 0.10.0 scoring model for a two-label classifier", async () => {
    const server = await scorer({ id2label: { "0": "negative", "1": "positive" } }, "0.10.0");
    try {
      const scored = await postJson(`${server.url}/score`, { text_1: "a", text_2: "b" });
      expect(scored.status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
