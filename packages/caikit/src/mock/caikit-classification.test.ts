import * as grpc from "@grpc/grpc-js";
import { type RunningMock, startMock } from "@servingkit/mock-core/host";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { caikitMockModule } from "../mock.js";
import { type Json, type NlpClient, nlpClient, nlpUnary } from "./test-nlp-client.js";

async function rejection(promise: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await promise;
  } catch (error) {
    return error as grpc.ServiceError;
  }
  throw new Error("expected an error");
}

const values = {
  "text-classification-model": ["sentiment"],
  "token-classification-model": ["spans"],
};

async function start(runtime: "caikit-tgis" | "caikit-standalone", models: string[]) {
  return startMock({
    runtime,
    host: "127.0.0.1",
    httpPort: 0,
    grpcPort: 0,
    models,
    plugins: await caikitMockModule.plugins({ runtime, models, values }),
  });
}

describe("Caikit Standalone classification tasks", () => {
  let mock: RunningMock;
  let nlp: NlpClient;
  beforeAll(async () => {
    mock = await start("caikit-standalone", ["all-minilm"]);
    nlp = nlpClient(mock);
  });
  afterAll(async () => {
    nlp.close();
    await mock.close();
  });

  const post = (task: string, body: unknown) =>
    fetch(`${mock.endpoints.http}/api/v1/task/${task}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  it("classifies text: one {label, score} per label, softmax scores", async () => {
    // sequence_classification.py: one ClassificationResult per id2label entry, softmax scores;
    // caikit-tgis.md §1.1 (POST /api/v1/task/text-classification, `inputs` is the text).
    const response = await post("text-classification", {
      model_id: "sentiment",
      inputs: "I love this great movie",
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    // caikit-tgis.md §1.4: Python json.dumps separators, keys in declaration order.
    expect(text).toMatch(
      /^\{"results": \[\{"label": "NEGATIVE", "score": [\d.e-]+\}, \{"label": "POSITIVE", "score": [\d.e-]+\}\]\}$/,
    );
    const [negative, positive] = JSON.parse(text).results;
    expect(positive.score).toBeGreaterThan(0.9);
    expect(negative.score + positive.score).toBeCloseTo(1, 6);
    const sad = await (
      await post("text-classification", { model_id: "sentiment", inputs: "a terrible, awful day" })
    ).json();
    expect(sad.results[0].score).toBeGreaterThan(sad.results[1].score);
  });

  it("classifies spans above the threshold, with caikit's token classification fields", async () => {
    // filtered_span_classification.py: spans from the sentence splitter, each classified,
    // results whose score >= threshold (default: the model's default_threshold).
    const text = "I love it. This is terrible!";
    const body = await (
      await post("token-classification", { model_id: "spans", inputs: text })
    ).json();
    expect(body.results).toEqual([
      {
        start: 0,
        end: 10,
        word: "I love it.",
        entity: "POSITIVE",
        entity_group: null,
        score: expect.any(Number),
        token_count: null,
      },
      {
        start: 11,
        end: 28,
        word: "This is terrible!",
        entity: "NEGATIVE",
        entity_group: null,
        score: expect.any(Number),
        token_count: null,
      },
    ]);
    for (const r of body.results) expect(text.slice(r.start, r.end)).toBe(r.word);
    // threshold 0 keeps every label of every span; an empty text gives no results.
    const all = await (
      await post("token-classification", {
        model_id: "spans",
        inputs: text,
        parameters: { threshold: 0 },
      })
    ).json();
    expect(all.results).toHaveLength(4);
    const empty = await (
      await post("token-classification", { model_id: "spans", inputs: "" })
    ).json();
    expect(empty).toEqual({ results: [] });
  });

  it("serves the same results over gRPC (TextClassification/TokenClassificationTaskPredict)", async () => {
    // caikit-tgis.md §2.1, §2.4: ClassificationResults{results{label, score}},
    // TokenClassificationTaskRequest{text, optional threshold}.
    const rest = await (
      await post("text-classification", { model_id: "sentiment", inputs: "nice work" })
    ).json();
    const reply = await nlpUnary(
      nlp,
      "TextClassificationTaskPredict",
      { text: "nice work" },
      "sentiment",
    );
    expect(reply).toEqual(rest);
    const spans = await nlpUnary(
      nlp,
      "TokenClassificationTaskPredict",
      { text: "Great. Bad.", threshold: 0.5 },
      "spans",
    );
    expect((spans.results as Json[]).map((r) => [r.start, r.end, r.word, r.entity])).toEqual([
      [0, 6, "Great.", "POSITIVE"],
      [7, 11, "Bad.", "NEGATIVE"],
    ]);
  });

  it("classifies a text stream over the bidi RPC (grpc-js duplex)", async () => {
    // caikit-tgis.md §2.1 BidiStreamingTokenClassificationTaskPredict{text_stream=1, threshold=2};
    // filtered_span_classification.py run_bidi_stream (processed_index = the span's end).
    const metadata = new grpc.Metadata();
    metadata.set("mm-model-id", "spans");
    const call = (
      nlp.BidiStreamingTokenClassificationTaskPredict as (
        m: grpc.Metadata,
      ) => grpc.ClientDuplexStream<Json, Json>
    )(metadata);
    const received: Json[] = [];
    const done = new Promise<void>((resolve, reject) => {
      call.on("data", (message: Json) => received.push(message));
      call.on("end", resolve);
      call.on("error", reject);
    });
    call.write({ text_stream: "I love it", threshold: 0.5 });
    call.write({ text_stream: ". This is awful." });
    call.end();
    await done;
    expect(received.map((r) => r.processed_index)).toEqual([10, 25]);
    expect(received.map((r) => (r.results as Json[]).map((t) => [t.word, t.entity]))).toEqual([
      [["I love it.", "POSITIVE"]],
      [["This is awful.", "NEGATIVE"]],
    ]);
  });

  it("lists the classification models with their modules on /info/models", async () => {
    // sequence_classification.py / filtered_span_classification.py @module ids; §1.6 shapes.
    const models = (await (await fetch(`${mock.endpoints.http}/info/models`)).json()).models;
    expect(models.map((m: Json) => [m.name, m.module_id, m.module_metadata])).toEqual([
      [
        "all-minilm",
        "eeb12558-b4fa-4f34-a9fd-3f5890e9cd3f",
        { name: "EmbeddingModule", version: "0.0.1" },
      ],
      [
        "sentiment",
        "d21107ca-d579-4321-aedd-3099a526e0dd",
        { name: "Sequence classification", version: "0.1.0" },
      ],
      [
        "spans",
        "42a7d920-8b7e-4e1f-81fb-8ab851a80c99",
        { name: "Filtered span classification", version: "0.1.0" },
      ],
    ]);
  });

  it("answers a task the model's module lacks as caikit does", async () => {
    // global_predict_servicer.py Predict: INVALID_ARGUMENT
    // "Model class <class '...'> does not support <RpcName>".
    const error = await rejection(
      nlpUnary(nlp, "TextGenerationTaskPredict", { text: "hi" }, "all-minilm"),
    );
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error.details).toBe(
      "Model class <class 'caikit_nlp.modules.text_embedding.embedding.EmbeddingModule'> does not support TextGenerationTaskPredict",
    );
    const classifier = await rejection(
      nlpUnary(nlp, "EmbeddingTaskPredict", { text: "hi" }, "sentiment"),
    );
    expect(classifier.details).toBe(
      "Model class <class 'caikit_nlp.modules.text_classification.sequence_classification.SequenceClassification'> does not support EmbeddingTaskPredict",
    );
    // REST calls predict_model directly, which reads .method_name of the missing signature:
    // INTERNAL str(e) → 500 (http_server.py, global_predict_servicer.py; derived).
    const rest = await post("text-generation", { model_id: "all-minilm", inputs: "hi" });
    expect(rest.status).toBe(500);
    expect((await rest.json()).details).toBe("'NoneType' object has no attribute 'method_name'");
    // In a stream the same error is an SSE error event under HTTP 200 (§1.5).
    const stream = await post("server-streaming-text-generation", {
      model_id: "all-minilm",
      inputs: "hi",
    });
    expect(stream.status).toBe(200);
    const frames = await stream.text();
    expect(frames).toMatch(
      /^event: error\r\ndata: \{"details": "'NoneType' object has no attribute 'method_name'", "code": 500, "id": "[0-9a-f]{32}"\}\r\n\r\n$/,
    );
  });
});

describe("Caikit TGIS: other modules' tasks", () => {
  let mock: RunningMock;
  let nlp: NlpClient;
  beforeAll(async () => {
    mock = await start("caikit-tgis", []);
    nlp = nlpClient(mock);
  });
  afterAll(async () => {
    nlp.close();
    await mock.close();
  });

  it("loads an unknown id as a TGIS model that does not support embeddings", async () => {
    // caikit-tgis.md §1.8 (TGIS-AUTO loads any id, derived); global_predict_servicer.py.
    const error = await rejection(nlpUnary(nlp, "EmbeddingTaskPredict", { text: "hi" }, "any-id"));
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error.details).toBe(
      "Model class <class 'caikit_nlp.modules.text_generation.text_generation_tgis.TextGenerationTGIS'> does not support EmbeddingTaskPredict",
    );
  });

  it("serves a configured classification model beside text generation", async () => {
    // caikit-tgis.md §1.1: every caikit-nlp task route exists on both images.
    const response = await fetch(`${mock.endpoints.http}/api/v1/task/text-classification`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model_id: "sentiment", inputs: "good" }),
    });
    expect(response.status).toBe(200);
    const generated = await nlpUnary(nlp, "TextGenerationTaskPredict", { text: "hi" }, "flan");
    expect(generated.generated_text).toEqual(expect.any(String));
  });
});
