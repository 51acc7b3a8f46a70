/**
 * The protocol cases of the Caikit NLP runtime (Caikit TGIS, Caikit Standalone; issue 5). Each
 * case names the fact it checks and asserts properties that hold on a real cluster too: the
 * info routes (and the documented `/info/runtime` that caikit does not route), `mm-model-id`,
 * text generation over REST (the seed's streaming curl) and gRPC on Caikit TGIS, the seed's
 * embedding calls and unknown models on Caikit Standalone, and caikit's answers to bad requests
 * (Content-Type, missing model_id, unknown keys).
 */
import assert from "node:assert/strict";
import { Code, createClient } from "@connectrpc/connect";
import type { RuntimeName } from "@servingkit/mock-core";
import { FinishReason, InfoService, NlpService } from "@servingkit/proto/caikit";
import { type CaseContext, type ContractCase, defineCase } from "../contract-case.js";
import { grpcOutcome } from "./grpc-outcome.js";

const caikitRuntimes: readonly RuntimeName[] = ["caikit-tgis", "caikit-standalone"];

/** The built-in model id of the Caikit TGIS mock, used when a target names none. */
const mockTextModel = "flan-t5-small-caikit";

/** The built-in model id of the Caikit Standalone mock, used when a target names none. */
const mockEmbeddingModel = "all-MiniLM-L12-v2-caikit";

/** A model id no deployment serves. */
const missingModel = "servingkit-contract-no-such-model";

function parseJson(body: string, what: string): Record<string, unknown> {
  try {
    return JSON.parse(body) as Record<string, unknown>;
  } catch {
    assert.fail(`${what}: body is not JSON: ${body.slice(0, 200)}`);
  }
}

function textModel(context: CaseContext): string {
  return context.target.model ?? mockTextModel;
}

/** Every caikit protocol case. */
export const caikitCases: readonly ContractCase[] = [
  defineCase({
    id: "caikit/rest-info-version",
    title: "GET /info/version: runtime_version and the caikit python packages",
    source: "caikit-tgis.md §1.6 (info_servicer.py, RuntimeInfo)",
    runtimes: caikitRuntimes,
    transport: "rest",
    async run(context) {
      const answer = await context.rest("/info/version");
      assert.equal(answer.status, 200, "status");
      const body = parseJson(answer.body, "/info/version");
      assert.equal(typeof body.runtime_version, "string", "runtime_version");
      const packages = body.python_packages as Record<string, unknown>;
      assert.equal(typeof packages?.caikit, "string", "python_packages.caikit");
    },
  }),
  defineCase({
    id: "caikit/rest-info-models",
    title: "GET /info/models lists models with caikit's fields",
    source: "caikit-tgis.md §1.6; seed 003 (query /info/models to see the served models)",
    runtimes: caikitRuntimes,
    transport: "rest",
    async run(context) {
      const answer = await context.rest("/info/models");
      assert.equal(answer.status, 200, "status");
      const models = parseJson(answer.body, "/info/models").models;
      assert.ok(Array.isArray(models), "models is an array");
      for (const model of models as Record<string, unknown>[]) {
        assert.equal(typeof model.name, "string", "name");
        assert.equal(typeof model.loaded, "boolean", "loaded");
      }
    },
  }),
  defineCase({
    id: "caikit/rest-info-runtime-absent",
    title: "GET /info/runtime (in the RHOAI docs) is FastAPI's 404: caikit defines no such route",
    source: "caikit-tgis.md §0 note (caikit code defines only /info/version and /info/models)",
    runtimes: caikitRuntimes,
    transport: "rest",
    async run(context) {
      const answer = await context.rest("/info/runtime");
      assert.equal(answer.status, 404, "status");
      assert.deepEqual(parseJson(answer.body, "/info/runtime"), { detail: "Not Found" });
    },
  }),
  defineCase({
    id: "caikit/grpc-info-models",
    title: "InfoService/GetModelsInfo lists models; an unknown id is NOT_FOUND",
    source: "caikit-tgis.md §2.5; seed 003 (caikit.runtime.info.InfoService/GetModelsInfo)",
    runtimes: caikitRuntimes,
    transport: "grpc",
    async run(context) {
      const info = createClient(InfoService, context.grpc());
      const all = await info.getModelsInfo({}, { signal: context.signal });
      for (const model of all.models) assert.ok(model.name.length > 0, "name");
      const missing = await grpcOutcome(
        info.getModelsInfo(
          { modelIds: ["servingkit-contract-no-such-model"] },
          { signal: context.signal },
        ),
      );
      assert.ok(!missing.ok, "unknown id refused");
      assert.equal(missing.error.code, Code.NotFound, "NOT_FOUND");
      assert.equal(
        missing.error.rawMessage,
        "Model servingkit-contract-no-such-model is not loaded",
      );
    },
  }),
  defineCase({
    id: "caikit/grpc-missing-model-id",
    title: "an NlpService call without mm-model-id: INVALID_ARGUMENT 'Missing required model ID'",
    source: "caikit-tgis.md §2.6 (MODEL_MESH_MODEL_ID_KEY)",
    runtimes: caikitRuntimes,
    transport: "grpc",
    async run(context) {
      const nlp = createClient(NlpService, context.grpc());
      const outcome = await grpcOutcome<unknown>(
        context.target.runtime === "caikit-standalone"
          ? nlp.embeddingTaskPredict({ text: "Hello" }, { signal: context.signal })
          : nlp.textGenerationTaskPredict({ text: "Hello" }, { signal: context.signal }),
      );
      assert.ok(!outcome.ok, "refused");
      assert.equal(outcome.error.code, Code.InvalidArgument, "INVALID_ARGUMENT");
      assert.equal(outcome.error.rawMessage, "Missing required model ID");
    },
  }),
  defineCase({
    id: "caikit/grpc-text-generation",
    title: "TextGenerationTaskPredict: counts, a finish reason and caikit-nlp's producer id",
    source: "caikit-tgis.md §1.4, §2.4 (GeneratedTextResult), §2.6",
    runtimes: ["caikit-tgis"],
    transport: "grpc",
    async run(context) {
      const nlp = createClient(NlpService, context.grpc());
      const r = await nlp.textGenerationTaskPredict(
        { text: "Hello, how are you?", maxNewTokens: 5n },
        { signal: context.signal, headers: { "mm-model-id": textModel(context) } },
      );
      assert.ok(r.inputTokenCount > 0n, "input_token_count");
      assert.ok(r.generatedTokens <= 5n, "at most max_new_tokens");
      assert.notEqual(r.finishReason, FinishReason.NOT_FINISHED, "a finish reason");
      assert.deepEqual(
        { name: r.producerId?.name, version: r.producerId?.version },
        { name: "Text Generation", version: "0.1.0" },
      );
      assert.equal(r.seed, 0n, "no request seed: 0 on the wire");
    },
  }),
  defineCase({
    id: "caikit/grpc-text-generation-stream",
    title: "ServerStreamingTextGenerationTaskPredict: input count first, a finish reason last",
    source:
      "caikit-tgis.md §1.5, §2.4; tgis_utils.py stream_generate (one result per TGIS message)",
    runtimes: ["caikit-tgis"],
    transport: "grpc",
    async run(context) {
      const nlp = createClient(NlpService, context.grpc());
      const results = [];
      for await (const r of nlp.serverStreamingTextGenerationTaskPredict(
        { text: "Hello", maxNewTokens: 3n },
        { signal: context.signal, headers: { "mm-model-id": textModel(context) } },
      )) {
        results.push(r);
      }
      assert.ok(results.length >= 2, "several results");
      assert.ok((results[0]?.details?.inputTokenCount ?? 0n) > 0n, "first: input_token_count");
      assert.equal(
        results[0]?.details?.finishReason,
        FinishReason.NOT_FINISHED,
        "first: NOT_FINISHED",
      );
      assert.notEqual(
        results.at(-1)?.details?.finishReason,
        FinishReason.NOT_FINISHED,
        "last: finished",
      );
    },
  }),
  defineCase({
    id: "caikit/grpc-embedding",
    title: "the seed's EmbeddingTaskPredict call: a float32 vector, EmbeddingModule, a token count",
    source:
      'seed grpcurl -d \'{"text": "<text>"}\' -H "mm-model-id: <model_id>" caikit.runtime.Nlp.NlpService/EmbeddingTaskPredict; caikit-tgis.md §1.4, §2.4',
    runtimes: ["caikit-standalone"],
    transport: "grpc",
    async run(context) {
      const nlp = createClient(NlpService, context.grpc());
      const model = context.target.model ?? mockEmbeddingModel;
      const outcome = await grpcOutcome(
        nlp.embeddingTaskPredict(
          { text: "The quick brown fox" },
          { signal: context.signal, headers: { "mm-model-id": model } },
        ),
      );
      if (!outcome.ok && outcome.error.code === Code.NotFound && !context.target.model) {
        context.skip(`target names no model and does not serve the mock's '${model}'`);
      }
      assert.ok(outcome.ok, "answered");
      const r = outcome.value;
      assert.equal(r.result?.data.case, "dataNpfloat32sequence", "the float32 branch");
      assert.ok((r.result?.data.value?.values.length ?? 0) > 0, "a vector");
      assert.equal(r.producerId?.name, "EmbeddingModule", "producer");
      assert.ok(r.inputTokenCount > 0n, "input_token_count");
    },
  }),
  defineCase({
    id: "caikit/grpc-unknown-model",
    title: "an embedding call for a model the runtime does not serve: NOT_FOUND",
    source: "caikit-tgis.md §1.8, §2.6 (Model '<id>' not loaded)",
    runtimes: ["caikit-standalone"],
    transport: "grpc",
    async run(context) {
      const nlp = createClient(NlpService, context.grpc());
      const outcome = await grpcOutcome(
        nlp.embeddingTaskPredict(
          { text: "x" },
          { signal: context.signal, headers: { "mm-model-id": missingModel } },
        ),
      );
      assert.ok(!outcome.ok, "refused");
      assert.equal(outcome.error.code, Code.NotFound, "NOT_FOUND");
      assert.equal(outcome.error.rawMessage, `Model '${missingModel}' not loaded`);
    },
  }),
  defineCase({
    id: "caikit/rest-streaming-seed-call",
    title: "the seed's streaming curl: CRLF SSE, event: message, input count first, no [DONE]",
    source:
      'seed curl --json \'{"model_id": ..., "inputs": ...}\' .../server-streaming-text-generation; caikit-tgis.md §1.5',
    runtimes: ["caikit-tgis"],
    transport: "rest",
    async run(context) {
      const answer = await context.rest("/api/v1/task/server-streaming-text-generation", {
        json: { model_id: textModel(context), inputs: "At what temperature does water boil?" },
        headers: { accept: "application/json" },
      });
      assert.equal(answer.status, 200, "status");
      assert.match(answer.headers.get("content-type") ?? "", /^text\/event-stream/, "SSE");
      assert.ok(!answer.body.includes("[DONE]"), "no [DONE] sentinel");
      const frames = answer.body.split("\r\n\r\n").filter((f) => f !== "" && !f.startsWith(":"));
      assert.ok(frames.length >= 2, "several results");
      const results = frames.map((frame) => {
        const [event, data, ...rest] = frame.split("\r\n");
        assert.equal(event, "event: message", "event line");
        assert.equal(rest.length, 0, "one data line per result");
        return parseJson(data?.replace(/^data: /, "") ?? "", "SSE data");
      });
      const first = results[0]?.details as Record<string, unknown>;
      assert.equal(first.finish_reason, "NOT_FINISHED", "first: NOT_FINISHED");
      assert.ok(Number(first.input_token_count) > 0, "first: input_token_count");
      const last = results.at(-1)?.details as Record<string, unknown>;
      assert.notEqual(last.finish_reason, "NOT_FINISHED", "last: a finish reason");
    },
  }),
  defineCase({
    id: "caikit/rest-text-generation",
    title: "text-generation: caikit's eight keys in order, a count of tokens, the producer",
    source: "caikit-tgis.md §1.4 (GeneratedTextResult, json.dumps order)",
    runtimes: ["caikit-tgis"],
    transport: "rest",
    async run(context) {
      const answer = await context.rest("/api/v1/task/text-generation", {
        json: { model_id: textModel(context), inputs: "Hello", parameters: { max_new_tokens: 5 } },
      });
      assert.equal(answer.status, 200, "status");
      const body = parseJson(answer.body, "text-generation");
      assert.deepEqual(
        Object.keys(body),
        [
          "generated_text",
          "generated_tokens",
          "finish_reason",
          "producer_id",
          "input_token_count",
          "seed",
          "tokens",
          "input_tokens",
        ],
        "keys in order",
      );
      assert.ok(Number(body.generated_tokens) <= 5, "generated_tokens is a count");
      assert.deepEqual(body.producer_id, { name: "Text Generation", version: "0.1.0" });
      assert.equal(body.seed, null, "no request seed: null");
    },
  }),
  defineCase({
    id: "caikit/rest-embedding-seed-call",
    title: "the seed's embedding curl: result.data.values, EmbeddingModule, a token count",
    source:
      "seed curl -H 'Content-Type: application/json' -d '{\"inputs\": ..., \"model_id\": ...}' .../embedding; caikit-tgis.md §1.4",
    runtimes: ["caikit-standalone"],
    transport: "rest",
    async run(context) {
      const model = context.target.model ?? mockEmbeddingModel;
      const answer = await context.rest("/api/v1/task/embedding", {
        body: JSON.stringify({ inputs: "The quick brown fox", model_id: model }),
        headers: { "content-type": "application/json" },
      });
      if (answer.status === 404 && !context.target.model) {
        context.skip(`target names no model and does not serve the mock's '${model}'`);
      }
      assert.equal(answer.status, 200, "status");
      const body = parseJson(answer.body, "embedding");
      const values = ((body.result as Record<string, unknown>)?.data as Record<string, unknown>)
        ?.values;
      assert.ok(Array.isArray(values) && values.length > 0, "result.data.values");
      assert.deepEqual(body.producer_id, { name: "EmbeddingModule", version: "0.0.1" });
      assert.ok(Number(body.input_token_count) > 0, "input_token_count");
    },
  }),
  defineCase({
    id: "caikit/rest-unsupported-media-type",
    title: "a body as `curl -d` sends it without -H (form-urlencoded): FastAPI's 415",
    source: "caikit-tgis.md §1.2 (Content-Type must be exactly application/json)",
    runtimes: caikitRuntimes,
    transport: "rest",
    async run(context) {
      const task = context.target.runtime === "caikit-standalone" ? "embedding" : "text-generation";
      const answer = await context.rest(`/api/v1/task/${task}`, {
        body: '{"model_id": "m", "inputs": "x"}',
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
      assert.equal(answer.status, 415, "status");
      assert.deepEqual(parseJson(answer.body, "415"), {
        detail: "Unsupported media type: application/x-www-form-urlencoded.",
      });
    },
  }),
  defineCase({
    id: "caikit/rest-missing-model-id",
    title: "a task without model_id: 400 'Please provide model_id in payload'",
    source: "caikit-tgis.md §1.2, §1.7",
    runtimes: caikitRuntimes,
    transport: "rest",
    async run(context) {
      const task = context.target.runtime === "caikit-standalone" ? "embedding" : "text-generation";
      const answer = await context.rest(`/api/v1/task/${task}`, { json: { inputs: "x" } });
      assert.equal(answer.status, 400, "status");
      const body = parseJson(answer.body, "400");
      assert.equal(body.details, "Please provide model_id in payload");
      assert.equal(body.code, 400);
      assert.match(String(body.id), /^[0-9a-f]{32}$/, "id: 32 hex digits");
    },
  }),
  defineCase({
    id: "caikit/rest-extra-key",
    title: "an unknown key in the envelope: 422 'Extra inputs are not permitted'",
    source: "caikit-tgis.md §1.2 (extra=forbid), §1.7",
    runtimes: caikitRuntimes,
    transport: "rest",
    async run(context) {
      const task = context.target.runtime === "caikit-standalone" ? "embedding" : "text-generation";
      const answer = await context.rest(`/api/v1/task/${task}`, {
        json: { model_id: "m", inputs: "x", servingkit_unknown_key: 1 },
      });
      assert.equal(answer.status, 422, "status");
      assert.equal(parseJson(answer.body, "422").details, "Extra inputs are not permitted");
    },
  }),
  defineCase({
    id: "caikit/grpc-task-not-supported",
    title:
      "a task the model's module lacks: INVALID_ARGUMENT 'Model class <class ...> does not support <Rpc>'",
    source:
      "caikit global_predict_servicer.py Predict (inference signature missing for the RPC's task); caikit-tgis.md §2.6",
    runtimes: caikitRuntimes,
    transport: "grpc",
    async run(context) {
      const nlp = createClient(NlpService, context.grpc());
      const standalone = context.target.runtime === "caikit-standalone";
      const model = context.target.model ?? (standalone ? mockEmbeddingModel : mockTextModel);
      const options = { signal: context.signal, headers: { "mm-model-id": model } };
      // Each runtime's model asked for the other runtime's task.
      const outcome = await grpcOutcome<unknown>(
        standalone
          ? nlp.textGenerationTaskPredict({ text: "x" }, options)
          : nlp.embeddingTaskPredict({ text: "x" }, options),
      );
      assert.ok(!outcome.ok, "refused");
      assert.equal(outcome.error.code, Code.InvalidArgument, "INVALID_ARGUMENT");
      const rpc = standalone ? "TextGenerationTaskPredict" : "EmbeddingTaskPredict";
      assert.match(
        outcome.error.rawMessage,
        new RegExp(`^Model class <class '[\\w.]+'> does not support ${rpc}$`),
      );
    },
  }),
];
