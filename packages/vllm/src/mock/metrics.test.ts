/**
 * `/metrics` (vllm-openai.md §8): vLLM's metric names, types, labels and buckets per era, with
 * counters that agree with the requests served.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { oneTwoFiveBuckets } from "./metrics.js";
import { startVllm, type TestServer } from "./test-server.js";

function sample(text: string, name: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(name));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

async function complete(url: string, body: object) {
  const response = await fetch(`${url}/v1/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer k" },
    body: JSON.stringify(body),
  });
  return response.json();
}

describe("/metrics, V1 names (0.12)", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({ "served-model-name": "m", "max-model-len": "1000", "api-key": "k" });
  });
  afterAll(() => server.close());

  it("counts what it served, labelled model_name and engine", async () => {
    const a = await complete(server.url, { prompt: "one two", max_tokens: 3, ignore_eos: true });
    const b = await complete(server.url, { prompt: "three", max_tokens: 4, ignore_eos: true });
    // vllm-openai.md §2: /metrics stays open under --api-key.
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const text = await response.text();
    const l = '{model_name="m",engine="0"';
    expect(sample(text, `vllm:generation_tokens_total${l}}`)).toBe(7);
    expect(sample(text, `vllm:prompt_tokens_total${l}}`)).toBe(
      a.usage.prompt_tokens + b.usage.prompt_tokens,
    );
    expect(sample(text, `vllm:request_success_total${l},finished_reason="length"}`)).toBe(2);
    expect(sample(text, `vllm:request_success_total${l},finished_reason="stop"}`)).toBe(0);
    expect(sample(text, `vllm:num_requests_running${l}}`)).toBe(0);
    expect(text).toContain("# TYPE vllm:time_to_first_token_seconds histogram");
    expect(text).toContain(
      `vllm:time_to_first_token_seconds_bucket{le="2560",model_name="m",engine="0"}`,
    );
    expect(sample(text, `vllm:e2e_request_latency_seconds_count${l}}`)).toBe(2);
    expect(text).toContain("vllm:kv_cache_usage_perc");
    expect(text).toContain("vllm:inter_token_latency_seconds_bucket");
    // vllm-openai.md §8: time_per_output_token hidden from 0.12.
    expect(text).not.toContain("vllm:time_per_output_token_seconds");
  });

  // vllm-openai.md §1: /load → {"server_load": N}.
  it("reports the load", async () => {
    const response = await fetch(`${server.url}/load`);
    expect(await response.json()).toEqual({ server_load: 0 });
  });
});

describe("/metrics, V0 names (0.9)", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({ "served-model-name": "m", "vllm-version": "0.9.2" });
  });
  afterAll(() => server.close());

  // vllm-openai.md §8: V0 cache gauge name, no engine label, TPOT without ITL.
  it("exports the older names", async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toContain('vllm:gpu_cache_usage_perc{model_name="m"} 0');
    expect(text).not.toContain("vllm:kv_cache_usage_perc");
    expect(text).toContain("vllm:time_per_output_token_seconds_bucket");
    expect(text).not.toContain("vllm:inter_token_latency_seconds");
    expect(text).not.toContain('engine="0"');
  });
});

describe("oneTwoFiveBuckets", () => {
  // vllm-openai.md §8: 1-2-5 series up to max_model_len.
  it("stops at the limit", () => {
    expect(oneTwoFiveBuckets(100)).toEqual([1, 2, 5, 10, 20, 50, 100]);
    expect(oneTwoFiveBuckets(4096)).toEqual([1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000]);
  });
});
