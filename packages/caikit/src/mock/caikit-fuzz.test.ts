import { randomBytes } from "node:crypto";
import { type RunningMock, startMock } from "@servingkit/mock-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { caikitMockModule } from "../mock.js";

// Issue 5 proof: bad input on every route is the runtime's own error, never a crash; fuzzed
// bodies keep the server serving.
const routes = {
  "caikit-tgis": ["text-generation", "server-streaming-text-generation", "tokenization"],
  "caikit-standalone": [
    "embedding",
    "embedding-tasks",
    "sentence-similarity",
    "sentence-similarity-tasks",
    "rerank",
    "rerank-tasks",
  ],
} as const;

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
        plugins: await caikitMockModule.plugins({ runtime, models: [], values: {} }),
      });
    });
    afterAll(() => mock.close());

    it("answers every fuzzed body with a caikit status and keeps serving", async () => {
      const random = prng(runtime.length);
      for (let i = 0; i < 150; i += 1) {
        const route = routes[runtime][i % routes[runtime].length];
        const body =
          i % 7 === 0 ? randomBytes(16).toString("latin1") : JSON.stringify(fuzzValue(random));
        const response = await fetch(`${mock.endpoints.http}/api/v1/task/${route}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
        });
        expect([200, 400, 404, 422], `${route} ${body}`).toContain(response.status);
        await response.arrayBuffer();
      }
      expect((await fetch(`${mock.endpoints.http}/health`)).status).toBe(200);
    });
  },
);
