import { fileURLToPath } from "node:url";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mswRuntimes, servingkitHandlers } from "./servingkit-handlers.js";

const repository = fileURLToPath(
  new URL("../../kserve/src/mock/testdata/triton-repo", import.meta.url),
);
const handlers = await Promise.all(
  mswRuntimes.map((runtime) => servingkitHandlers(runtime, { baseUrl: `http://${runtime}.test` })),
);
const server = setupServer(
  ...handlers.flat(),
  ...(await servingkitHandlers("triton", {
    baseUrl: "http://repo.test",
    values: { "model-repository": repository, "legacy-status": true },
  })),
);
beforeAll(() => server.listen({ onUnhandledFrame: "error" }));
afterAll(() => server.close());

/** Each runtime's readiness route (mock-core's catalog: vllm-openai.md §1, kserve-v2.md §3, caikit-tgis.md §1.1). */
const readyPath = {
  vllm: "/health",
  triton: "/v2/health/ready",
  mlserver: "/v2/health/ready",
  ovms: "/v2/health/ready",
  "caikit-tgis": "/health",
  "caikit-standalone": "/health",
} as const;

describe("servingkitHandlers", () => {
  it.each(mswRuntimes)("serves %s's readiness route", async (runtime) => {
    const response = await fetch(`http://${runtime}.test${readyPath[runtime]}`);
    expect(response.status).toBe(200);
  });

  it("takes the CLI's module options (--model-repository, --legacy-status)", async () => {
    // kserve-v2.md §3.1: Triton's model index lists the repository's models.
    const index = await fetch("http://repo.test/v2/repository/index", { method: "POST" });
    const names = ((await index.json()) as { name: string }[]).map((m) => m.name);
    expect(names).toContain("densenet_onnx");
    // Triton before 24.01 answers every error 400 (kserve-v2.md §3.1, --legacy-status).
    expect((await fetch("http://repo.test/v2/models/nope")).status).toBe(400);
    expect((await fetch("http://triton.test/v2/models/nope")).status).toBe(404);
  });
});
