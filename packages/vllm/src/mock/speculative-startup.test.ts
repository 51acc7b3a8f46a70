/**
 * `servingkit mock vllm --gpu … --speculative-config …` (issue 7): the speculative drafter at
 * start-up through the vLLM mock, as `vllm serve` starts it: an EAGLE-3 head read from a local
 * directory shrinks the KV cache in vLLM's start-up line and the model still serves, and a
 * separate draft model stops the releases that refuse it with vLLM's own text.
 */
import { fileURLToPath } from "node:url";
import { createRequestLogger, EngineConfigError } from "@servingkit/mock-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { vllmMockModule } from "../mock.js";
import { startVllm, type TestServer } from "./test-server.js";

/** mock-core's EAGLE-3 Llama 3.1 8B head: yuhuili/EAGLE3-LLaMA3.1-Instruct-8B's config.json. */
const eagle3Dir = fileURLToPath(
  new URL("../../../mock-core/src/gpu/testdata/eagle3-llama3.1-8b", import.meta.url),
);

describe("vLLM with an EAGLE-3 drafter from a local directory on a simulated H100", () => {
  const logs: string[] = [];
  let server: TestServer;
  beforeAll(async () => {
    const logger = createRequestLogger("info", { write: (line: string) => logs.push(line) });
    server = await startVllm(
      {
        "served-model-name": "m",
        gpu: "h100-80gb",
        "max-model-len": "8192",
        "speculative-config": JSON.stringify({
          method: "eagle3",
          model: eagle3Dir,
          num_speculative_tokens: 3,
        }),
      },
      [],
      { logger },
    );
  });
  afterAll(() => server.close());

  it("logs vLLM's KV cache size with the drafter's weights and KV layer counted", () => {
    // vllm-openai.md §9: "GPU KV cache size: {N:,} tokens". Llama 3.1 8B at max_model_len 8,192
    // on an H100 holds 446,848 tokens alone; the EAGLE-3 head (its weights loaded inside the same
    // memory measurement, vllm/v1/worker/gpu_model_runner.py load_model, and one more
    // full-attention KV layer, vllm/v1/spec_decode/eagle.py) leaves 427,024
    // (docs/gpu-model-configs.md, mock-core text-engine-factory.test.ts).
    const messages = logs.map((line) => (JSON.parse(line) as { msg?: string }).msg);
    expect(messages).toContain("GPU KV cache size: 427,024 tokens");
    expect(messages).not.toContain("GPU KV cache size: 446,848 tokens");
    // A local directory is read: no "not counted" note.
    expect(messages.some((m) => m?.includes("is not a local directory"))).toBe(false);
  });

  it("serves a completion", async () => {
    const response = await fetch(`${server.url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", prompt: "Hello there", max_tokens: 6, ignore_eos: true }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      choices: { text: string; finish_reason: string }[];
      usage: { completion_tokens: number };
    };
    expect(body.usage.completion_tokens).toBe(6);
    expect(body.choices[0]?.finish_reason).toBe("length");
    expect(body.choices[0]?.text.length).toBeGreaterThan(0);
  });
});

describe("a separate draft model at start-up, by --vllm-version", () => {
  const values = (version: string) => ({
    "vllm-version": version,
    gpu: "h100-80gb",
    "max-model-len": "8192",
    "speculative-config": JSON.stringify({
      method: "draft_model",
      model: "Qwen/Qwen3-0.6B",
      num_speculative_tokens: 5,
    }),
  });

  it("0.13.0 stops with vLLM's NotImplementedError text, as a start-up failure", async () => {
    // vllm issue #31883 (vLLM 0.13.0): vllm/config/speculative.py __post_init__ raises
    // NotImplementedError with this text; the engine never starts (the mock's start-up failure
    // path, as for the KV cache that cannot fit: `servingkit mock` prints it and exits 1).
    const started = vllmMockModule.plugins({
      runtime: "vllm",
      models: [],
      values: values("0.13.0"),
    });
    await expect(started).rejects.toBeInstanceOf(EngineConfigError);
    await expect(started).rejects.toThrow(
      /^Speculative decoding with draft model is not supported yet\. Please consider using other speculative decoding methods such as ngram, medusa, eagle, or mtp\.$/,
    );
  });

  it("the default release (0.12.0, no --vllm-version) refuses it too", async () => {
    // vllm issue #26547 (0.11.0) and #31883 (0.13.0) carry the same refusal; the mock's default
    // release sits between them, so a mock started with no --vllm-version answers it as well.
    const { "vllm-version": _release, ...rest } = values("0.13.0");
    const started = vllmMockModule.plugins({ runtime: "vllm", models: [], values: rest });
    await expect(started).rejects.toThrow(
      /^Speculative decoding with draft model is not supported yet\./,
    );
  });

  it("0.15.0, the first release with draft models (vllm PR #24322), is the mock's own limit", async () => {
    const started = vllmMockModule.plugins({
      runtime: "vllm",
      models: [],
      values: values("0.15.0"),
    });
    await expect(started).rejects.not.toBeInstanceOf(EngineConfigError);
    await expect(started).rejects.toThrow("is not modelled by the mock");
  });
});
