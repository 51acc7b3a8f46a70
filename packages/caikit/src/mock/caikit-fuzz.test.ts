import { randomBytes } from "node:crypto";
import { type RunningMock, startMock } from "@servingkit/mock-core/host";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { caikitMockModule } from "../mock.js";

// Issue 5 proof: bad input on every route is the runtime's own error, never a crash; fuzzed
// bodies keep the server serving.
const routes = {
  "caikit-tgis": [
    "text-generation",
    "server-streaming-text-generation",
    "tokenization",
    "text-classification",
    "token-classification",
  ],
  "caikit-standalone": [
    "embedding",
    "embedding-tasks",
    "sentence-similarity",
    "sentence-similarity-tasks",
    "rerank",
    "rerank-tasks",
    "text-classification",
    "token-classification",
  ],
} as const;

/** Classification and local generation models, so their routes see fuzzed bodies too. */
const values = {
  "text-classification-model": ["sentiment"],
  "token-classification-model": ["spans"],
  "text-generation-model": ["local-gen"],
};
const modelIds = [
  "sentiment",
  "spans",
  "local-gen",
  "flan-t5-small-caikit",
  "all-MiniLM-L12-v2-caikit",
];

/** A deterministic PRNG so a failure can be replayed. */
function prng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

function fuzzValue(random: () => number, depth = 0): unknown {
  const pick = Math.floor(random() * 9);
  if (depth > 2 && pick > 5) return null;
  switch (pick) {
    case 0:
      return null;
    case 1:
      return random() > 0.5;
    case 2:
      return Math.floor(random() * 4000) - 2000;
    case 3:
      return random() * 3 - 1;
    case 4:
      return randomBytes(Math.floor(random() * 12)).toString("base64");
    case 5:
      return Array.from({ length: Math.floor(random() * 4) }, () => fuzzValue(random, depth + 1));
    default: {
      const keys = [
        "model_id",
        "threshold",
        "inputs",
        "parameters",
        "max_new_tokens",
        "temperature",
        "decoding_method",
        "query",
        "documents",
        "source_sentence",
        "sentences",
        "top_n",
        "text",
        "x",
      ];
      const out: Record<string, unknown> = {};
      for (let i = 0; i < Math.floor(random() * 4); i += 1) {
        out[keys[Math.floor(random() * keys.length)] ?? "x"] = fuzzValue(random, depth + 1);
      }
      return out;
    }
  }
}

describe.each(["caikit-tgis", "caikit-standalone"] as const)(
  "%s under fuzzed bodies",
  (runtime) => {
    let mock: RunningMock;
    beforeAll(async () => {
      mock = await startMock({
        runtime,
        host: "127.0.0.1",
        httpPort: 0,
        grpcPort: 0,
        plugins: await caikitMockModule.plugins({ runtime, models: [], values }),
      });
    });
    afterAll(() => mock.close());

    it("answers every fuzzed body with a caikit status and keeps serving", async () => {
      const random = prng(runtime.length);
      for (let i = 0; i < 150; i += 1) {
        const route = routes[runtime][i % routes[runtime].length];
        // Every third body names a served model, so fuzzed inputs and parameters reach the tasks.
        const value = fuzzValue(random);
        if (i % 3 === 0 && typeof value === "object" && value !== null && !Array.isArray(value)) {
          (value as Record<string, unknown>).model_id = modelIds[i % modelIds.length];
        }
        const body = i % 7 === 0 ? randomBytes(16).toString("latin1") : JSON.stringify(value);
        const response = await fetch(`${mock.endpoints.http}/api/v1/task/${route}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
        });
        expect([200, 400, 404, 422, 500], `${route} ${body}`).toContain(response.status);
        const text = await response.text();
        // The only 500 is a task the model's module lacks (global_predict_servicer.py, derived).
        if (response.status === 500) expect(text).toContain("'NoneType' object has no attribute");
      }
      expect((await fetch(`${mock.endpoints.http}/health`)).status).toBe(200);
    });
  },
);
