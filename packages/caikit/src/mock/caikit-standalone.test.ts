import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { type RunningMock, startMock } from "@servingkit/mock-core/host";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { caikitMockModule } from "../mock.js";

const run = promisify(execFile);
// buf curl: an independent gRPC client that finds the messages through server reflection alone,
// as the seed's grpcurl call (no -proto) does.
const buf = fileURLToPath(new URL("../../node_modules/.bin/buf", import.meta.url));

async function startStandalone(options: { tls?: boolean; tokens?: string[] } = {}) {
  return startMock({
    runtime: "caikit-standalone",
    host: "127.0.0.1",
    httpPort: 0,
    grpcPort: 0,
    models: ["all-minilm"],
    ...options,
    plugins: await caikitMockModule.plugins({
      runtime: "caikit-standalone",
      models: ["all-minilm"],
      values: {},
    }),
  });
}

describe("Caikit Standalone REST", () => {
  let mock: RunningMock;
  let base: string;
  beforeAll(async () => {
    mock = await startStandalone();
    base = mock.endpoints.http ?? "";
  });
  afterAll(() => mock.close());

  const post = (path: string, body: unknown) =>
    fetch(`${base}/api/v1/task/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  it("answers the seed's embedding curl", async () => {
    // Seed: curl -H 'Content-Type: application/json' -d '{"inputs": "<text>", "model_id": "<model_id>"}' .../api/v1/task/embedding
    const response = await fetch(`${base}/api/v1/task/embedding`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: '{"inputs": "<text>", "model_id": "all-minilm"}',
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    // caikit-tgis.md §1.4: {"result": {"data": {"values": [...]}}, "producer_id", "input_token_count"}.
    expect(text).toMatch(
      /^\{"result": \{"data": \{"values": \[-?\d.*\]\}\}, "producer_id": \{"name": "EmbeddingModule", "version": "0\.0\.1"\}, "input_token_count": \d+\}$/,
    );
  });

  it("refuses an unknown model with 404 'Model '<id>' not loaded'", async () => {
    // caikit-tgis.md §1.7, §1.8: Standalone serves only its model directories.
    const response = await post("embedding", { model_id: "nope", inputs: "x" });
    expect(response.status).toBe(404);
    expect((await response.json()).details).toBe("Model 'nope' not loaded");
  });

  it("serves every embedding task route with caikit's inputs shapes", async () => {
    const tasks = await (
      await post("embedding-tasks", { model_id: "all-minilm", inputs: ["a", "b"] })
    ).json();
    expect(tasks.results.vectors).toHaveLength(2);
    const similarity = await (
      await post("sentence-similarity", {
        model_id: "all-minilm",
        inputs: { source_sentence: "a cat", sentences: ["a cat", "a dog"] },
      })
    ).json();
    expect(similarity.result.scores).toHaveLength(2);
    const similarities = await (
      await post("sentence-similarity-tasks", {
        model_id: "all-minilm",
        inputs: { source_sentences: ["x", "y"], sentences: ["x"] },
      })
    ).json();
    expect(similarities.results).toHaveLength(2);
    const ranked = await (
      await post("rerank", {
        model_id: "all-minilm",
        inputs: { documents: [{ text: "dogs" }, { text: "cats and mats" }], query: "cats" },
        parameters: { top_n: 1 },
      })
    ).json();
    expect(ranked.result.query).toBe("cats");
    expect(ranked.result.scores).toEqual([
      {
        document: { text: "cats and mats" },
        index: 1,
        score: expect.any(Number),
        text: "cats and mats",
      },
    ]);
    const rankedTasks = await (
      await post("rerank-tasks", {
        model_id: "all-minilm",
        inputs: { documents: [{ text: "a" }], queries: ["a", "b"] },
        parameters: { return_queries: false },
      })
    ).json();
    expect(rankedTasks.results.map((r: { query: unknown }) => r.query)).toEqual([null, null]);
  });

  it("tokenizes with spans and the count (EmbeddingModule)", async () => {
    const r = await (
      await post("tokenization", { model_id: "all-minilm", inputs: "Hello world" })
    ).json();
    expect(r.results.map((t: { text: string }) => t.text).join("")).toBe("Helloworld");
    for (const t of r.results) expect("Hello world".slice(t.start, t.end)).toBe(t.text);
    expect(r.token_count).toBe(r.results.length + 2);
  });

  it("answers bad input with caikit's errors", async () => {
    const empty = await post("rerank", {
      model_id: "all-minilm",
      inputs: { documents: [], query: "q" },
    });
    expect(empty.status).toBe(400);
    expect((await empty.json()).details).toBe(
      "value check failed: Cannot rerank without a query and at least one document",
    );
    const missing = await post("sentence-similarity", {
      model_id: "all-minilm",
      inputs: { sentences: [] },
    });
    expect(missing.status).toBe(422);
    expect((await missing.json()).details).toBe("Field required");
    const wrongParam = await post("rerank", {
      model_id: "all-minilm",
      inputs: { documents: [{ text: "a" }], query: "q" },
      parameters: { return_queries: true },
    });
    expect(wrongParam.status).toBe(422);
  });

  it("lists its model with EmbeddingModule's module id and metadata", async () => {
    const models = (await (await fetch(`${base}/info/models`)).json()).models;
    expect(models).toEqual([
      expect.objectContaining({
        name: "all-minilm",
        module_id: "eeb12558-b4fa-4f34-a9fd-3f5890e9cd3f",
        module_metadata: { name: "EmbeddingModule", version: "0.0.1" },
        metadata: { max_seq_length: expect.any(Number), sentence_embedding_dimension: 384 },
      }),
    ]);
  });
});

describe("Caikit Standalone gRPC through reflection (buf curl)", () => {
  it("answers the seed's grpcurl EmbeddingTaskPredict call with TLS and a token", async () => {
    // Seed: grpcurl -insecure -d '{"text": "<text>"}' -H "mm-model-id: <model_id>" ... \
    //   caikit.runtime.Nlp.NlpService/EmbeddingTaskPredict -H 'Authorization: Bearer <token>'
    const mock = await startStandalone({ tls: true, tokens: ["tok"] });
    try {
      const dir = mkdtempSync(join(tmpdir(), "servingkit-caikit-"));
      const ca = join(dir, "ca.pem");
      writeFileSync(ca, mock.certificatePem ?? "");
      const { stdout } = await run(buf, [
        "curl",
        "--protocol",
        "grpc",
        "--cacert",
        ca,
        "-H",
        "mm-model-id: all-minilm",
        "-H",
        "Authorization: Bearer tok",
        // grpcurl sends -H headers on its reflection calls too; buf curl needs them named.
        "--reflect-header",
        "Authorization: Bearer tok",
        "-d",
        '{"text": "<text>"}',
        `https://${mock.endpoints.grpc}/caikit.runtime.Nlp.NlpService/EmbeddingTaskPredict`,
      ]);
      const reply = JSON.parse(stdout);
      // caikit-tgis.md §2.4: the float32 branch of Vector1D.
      expect(reply.result.dataNpfloat32sequence.values).toHaveLength(384);
      expect(reply.producerId).toEqual({ name: "EmbeddingModule", version: "0.0.1" });
      const missing = await run(buf, [
        "curl",
        "--protocol",
        "grpc",
        "--cacert",
        ca,
        "-H",
        "Authorization: Bearer tok",
        "--reflect-header",
        "Authorization: Bearer tok",
        "-d",
        '{"text": "x"}',
        `https://${mock.endpoints.grpc}/caikit.runtime.Nlp.NlpService/EmbeddingTaskPredict`,
      ]).catch((error: { stderr: string }) => error);
      // caikit-tgis.md §2.6: no mm-model-id → INVALID_ARGUMENT "Missing required model ID".
      expect((missing as { stderr: string }).stderr).toMatch(/invalid_argument/i);
      expect((missing as { stderr: string }).stderr).toContain("Missing required model ID");
    } finally {
      await mock.close();
    }
  });
});
