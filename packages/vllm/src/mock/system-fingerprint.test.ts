import { describe, expect, it } from "vitest";
import { systemFingerprint } from "./system-fingerprint.js";
import { openaiClient, startVllm } from "./test-server.js";

const base = {
  version: "0.21.0",
  model: "granite",
  maxModelLen: 4096,
  tensorParallelSize: 1,
  expertParallel: false,
  device: undefined,
  dtype: undefined,
};

// vllm/entrypoints/openai/fingerprint.py (vllm PR #40537), mode `full`:
// vllm-<version>[-tp<n>][-pp<n>][-dp<n>][-ep]-<hash8>, parallelism only when non-trivial.
describe("systemFingerprint", () => {
  it("is vllm-<version>-<8 hex digits> with one GPU", () => {
    expect(systemFingerprint(base)).toMatch(/^vllm-0\.21\.0-[0-9a-f]{8}$/);
  });

  it("names tp<n> above one GPU and ep with expert parallelism", () => {
    expect(systemFingerprint({ ...base, tensorParallelSize: 2 })).toMatch(
      /^vllm-0\.21\.0-tp2-[0-9a-f]{8}$/,
    );
    expect(systemFingerprint({ ...base, tensorParallelSize: 4, expertParallel: true })).toMatch(
      /^vllm-0\.21\.0-tp4-ep-[0-9a-f]{8}$/,
    );
  });

  it("is stable for one configuration and hashes the device and dtype", () => {
    expect(systemFingerprint(base)).toBe(systemFingerprint({ ...base }));
    const h100 = systemFingerprint({ ...base, device: "NVIDIA H100 80GB HBM3", dtype: "bfloat16" });
    const l4 = systemFingerprint({ ...base, device: "NVIDIA L4", dtype: "bfloat16" });
    // The merged fingerprint.py prints no device or dtype: they change only the hash.
    expect(h100).toMatch(/^vllm-0\.21\.0-[0-9a-f]{8}$/);
    expect(h100).not.toBe(l4);
    expect(systemFingerprint({ ...base, model: "other" })).not.toBe(systemFingerprint(base));
  });
});

describe("system_fingerprint on the wire", () => {
  // vllm PR #40537: 0.21.0 stamps the fingerprint on the non-streaming chat answer
  // (chat_completion/serving.py chat_completion_full_generator: system_fingerprint=...).
  it("is a string on 0.21.0 through the openai SDK and the same on every answer", async () => {
    const server = await startVllm({ "vllm-version": "0.21.0", "served-model-name": "granite" });
    try {
      const client = openaiClient(server);
      const ask = () =>
        client.chat.completions.create({
          model: "granite",
          messages: [{ role: "user", content: "Hi" }],
          max_tokens: 2,
        });
      const first = await ask();
      const second = await ask();
      expect(first.system_fingerprint).toMatch(/^vllm-0\.21\.0-[0-9a-f]{8}$/);
      expect(second.system_fingerprint).toBe(first.system_fingerprint);
    } finally {
      await server.close();
    }
  });

  // Before vllm PR #40537 ChatCompletionResponse.system_fingerprint stays at its None default.
  it("is null on 0.20.0 (raw fetch)", async () => {
    const server = await startVllm({ "vllm-version": "0.20.0", "served-model-name": "granite" });
    try {
      const answer = await fetch(`${server.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          model: "granite",
          messages: [{ role: "user", content: "Hi" }],
          max_tokens: 2,
        }),
      });
      expect(answer.status).toBe(200);
      const body = (await answer.json()) as Record<string, unknown>;
      expect(body).toHaveProperty("system_fingerprint", null);
    } finally {
      await server.close();
    }
  });

  // fingerprint.py: `tp<n>` from parallel_config.tensor_parallel_size when above 1 (raw fetch).
  it("names the --gpu run's tensor-parallel size on 0.21.0", async () => {
    const server = await startVllm({
      "vllm-version": "0.21.0",
      "served-model-name": "granite",
      gpu: "h100-80gb",
      "tensor-parallel-size": "2",
    });
    try {
      const answer = await fetch(`${server.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          model: "granite",
          messages: [{ role: "user", content: "Hi" }],
          max_tokens: 1,
        }),
      });
      const body = (await answer.json()) as { system_fingerprint: unknown };
      expect(body.system_fingerprint).toMatch(/^vllm-0\.21\.0-tp2-[0-9a-f]{8}$/);
    } finally {
      await server.close();
    }
  });
});
