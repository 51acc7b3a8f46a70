import { defaultModelSpec } from "@servingkit/mock-core/engine";
import { ManualClock } from "@servingkit/mock-core/host";
import {
  createGenerationService,
  simpleTextModel,
  tgisLimitsFromOptions,
} from "@servingkit/tgis/mock";
import { describe, expect, it } from "vitest";
import { ModelRegistry, textGenerationModule } from "./model-registry.js";
import { caikitRestRoutes } from "./rest-handlers.js";
import { createCaikitTextGeneration } from "./text-generation.js";

// The handlers need no HTTP server: any host (fastify here, msw later) adapts them.
async function routes() {
  const clock = new ManualClock();
  const spec = await defaultModelSpec();
  const textGeneration = createCaikitTextGeneration(
    createGenerationService({
      model: simpleTextModel(spec, clock),
      limits: tgisLimitsFromOptions({}, spec.maxModelLen),
      clock,
    }),
  );
  const registry = new ModelRegistry("caikit-tgis", ["flan"], textGenerationModule);
  return caikitRestRoutes({ registry, clock, textGeneration });
}

describe("caikitRestRoutes (pure handlers)", () => {
  it("lists caikit-nlp's task routes on either runtime and no /info/runtime", async () => {
    // caikit-tgis.md §0 (no /info/runtime), §1.1 (caikit-nlp registers every task's route on
    // both images; the model decides whether it serves it).
    const paths = (await routes()).map((r) => `${r.method} ${r.path}`);
    expect(paths).toEqual([
      "POST /api/v1/task/text-generation",
      "POST /api/v1/task/server-streaming-text-generation",
      "POST /api/v1/task/tokenization",
      "POST /api/v1/task/embedding",
      "POST /api/v1/task/embedding-tasks",
      "POST /api/v1/task/sentence-similarity",
      "POST /api/v1/task/sentence-similarity-tasks",
      "POST /api/v1/task/rerank",
      "POST /api/v1/task/rerank-tasks",
      "POST /api/v1/task/text-classification",
      "POST /api/v1/task/token-classification",
      "GET /info/version",
      "GET /info/models",
    ]);
  });

  it("answers a stream as SSE frames without a server", async () => {
    const route = (await routes()).find((r) => r.path.endsWith("server-streaming-text-generation"));
    const answer = await route?.handle({
      contentType: "application/json",
      body: {
        model_id: "flan",
        inputs: "Hi",
        parameters: { max_new_tokens: 2, min_new_tokens: 2 },
      },
    });
    expect(answer?.kind).toBe("stream");
    if (answer?.kind !== "stream") return;
    const frames: string[] = [];
    for await (const frame of answer.frames) frames.push(frame);
    expect(frames).toHaveLength(3);
    expect(frames.every((f) => f.startsWith("event: message\r\ndata: "))).toBe(true);
  });

  it("answers 415 before reading the body", async () => {
    const route = (await routes()).find((r) => r.path.endsWith("/text-generation"));
    const answer = await route?.handle({ contentType: "text/plain", body: "not json" });
    expect(answer).toEqual({
      kind: "reply",
      reply: {
        status: 415,
        headers: { "content-type": "application/json" },
        body: '{"detail":"Unsupported media type: text/plain."}',
      },
    });
  });
});
