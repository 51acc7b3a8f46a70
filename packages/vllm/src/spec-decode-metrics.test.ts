import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createVllmClient, type VllmClient } from "./client.js";
import { parseMetrics } from "./metrics-text.js";
import { startVllm, type TestServer } from "./mock/test-server.js";
import { specDecodeDelta, specDecodeStats } from "./spec-decode-metrics.js";

// vllm/v1/spec_decode/metrics.py SpecDecodingProm: counters with the engine's labels, the
// per-position one with a `position` label, written `_total` by prometheus_client; one set per
// engine (data parallel), which vLLM's examples/offline_inference/spec_decode.py sums.
const text = `# TYPE vllm:spec_decode_num_drafts_total counter
vllm:spec_decode_num_drafts_total{engine="0",model_name="m"} 10.0
vllm:spec_decode_num_drafts_total{engine="1",model_name="m"} 10.0
# TYPE vllm:spec_decode_num_draft_tokens_total counter
vllm:spec_decode_num_draft_tokens_total{engine="0",model_name="m"} 30.0
vllm:spec_decode_num_draft_tokens_total{engine="1",model_name="m"} 30.0
# TYPE vllm:spec_decode_num_accepted_tokens_total counter
vllm:spec_decode_num_accepted_tokens_total{engine="0",model_name="m"} 18.0
vllm:spec_decode_num_accepted_tokens_total{engine="1",model_name="m"} 12.0
# TYPE vllm:spec_decode_num_accepted_tokens_per_pos_total counter
vllm:spec_decode_num_accepted_tokens_per_pos_total{engine="0",model_name="m",position="0"} 9.0
vllm:spec_decode_num_accepted_tokens_per_pos_total{engine="0",model_name="m",position="1"} 6.0
vllm:spec_decode_num_accepted_tokens_per_pos_total{engine="0",model_name="m",position="2"} 3.0
vllm:spec_decode_num_accepted_tokens_per_pos_total{engine="1",model_name="m",position="2"} 2.0
vllm:spec_decode_num_accepted_tokens_per_pos_total{engine="1",model_name="m",position="0"} 6.0
vllm:spec_decode_num_accepted_tokens_per_pos_total{engine="1",model_name="m",position="1"} 4.0
vllm:spec_decode_num_accepted_tokens_per_pos_total{engine="1",model_name="m",position="x"} 99.0
vllm:spec_decode_num_accepted_tokens_per_pos_total{engine="1",model_name="m",position="5000"} 99.0
`;

describe("specDecodeStats", () => {
  // vLLM SpecDecodingLogging.log and examples/offline_inference/spec_decode.py: draft acceptance
  // rate = accepted / draft tokens, mean acceptance length = 1 + accepted / drafts, per-position
  // acceptance = accepted at position / drafts.
  it("sums the engines and derives vLLM's rates", () => {
    expect(specDecodeStats(parseMetrics(text))).toEqual({
      drafts: 20,
      draftTokens: 60,
      acceptedTokens: 30,
      acceptedPerPosition: [15, 10, 5],
      acceptanceRate: 0.5,
      meanAcceptanceLength: 2.5,
      perPositionAcceptanceRate: [0.75, 0.5, 0.25],
    });
  });

  it("keeps to the samples with the given labels", () => {
    const one = specDecodeStats(parseMetrics(text), { engine: "0" });
    expect(one).toMatchObject({ drafts: 10, acceptedTokens: 18, acceptedPerPosition: [9, 6, 3] });
    expect(one?.acceptanceRate).toBeCloseTo(0.6);
    expect(specDecodeStats(parseMetrics(text), { model_name: "other" })).toBeUndefined();
  });

  it("leaves the rates undefined before anything was drafted", () => {
    const zero = text.replace(/ [0-9.]+$/gm, " 0.0");
    expect(specDecodeStats(parseMetrics(zero))).toEqual({
      drafts: 0,
      draftTokens: 0,
      acceptedTokens: 0,
      acceptedPerPosition: [0, 0, 0],
      acceptanceRate: undefined,
      meanAcceptanceLength: undefined,
      perPositionAcceptanceRate: [],
    });
  });

  it("answers undefined without spec-decode metrics", () => {
    expect(specDecodeStats(parseMetrics("vllm:num_requests_running 0"))).toBeUndefined();
  });
});

describe("spec-decode metrics from the mock (--gpu h100-80gb, ngram k = 3)", () => {
  const speculativeConfig = '{"method":"ngram","num_speculative_tokens":3,"prompt_lookup_max":4}';
  let server: TestServer;
  let client: VllmClient;
  beforeAll(async () => {
    server = await startVllm({
      "served-model-name": "m",
      "max-model-len": "1000",
      gpu: "h100-80gb",
      "time-scale": "1000",
      "speculative-config": speculativeConfig,
      "speculative-acceptance-rate": "0.9,0.6,0.3",
    });
    client = createVllmClient({ baseUrl: server.url, maxRetries: 0 });
  });
  afterAll(async () => {
    await client.close();
    await server.close();
  });

  // mock README "Speculative decoding": each decode step drafts k = 3 tokens and streams
  // 1 + accepted; the prefill step's one token drafts nothing. So for one request served alone,
  // completion tokens = 1 + drafts + accepted, and position i is accepted only after i - 1.
  it("reads the counters and rates over one request", async () => {
    const before = specDecodeStats(await client.metrics(), { model_name: "m" });
    expect(before).toMatchObject({ drafts: 0, acceptanceRate: undefined });
    const answer = await client.completions({
      prompt: "one two",
      max_tokens: 60,
      ignore_eos: true,
    });
    const after = specDecodeStats(await client.metrics(), { model_name: "m" });
    if (!before || !after) throw new Error("no spec-decode metrics");
    const run = specDecodeDelta(after, before);
    expect(run.draftTokens).toBe(3 * run.drafts);
    expect(1 + run.drafts + run.acceptedTokens).toBe(answer.usage.completion_tokens);
    expect(run.acceptedPerPosition).toHaveLength(3);
    expect(run.acceptedPerPosition.reduce((a, b) => a + b, 0)).toBe(run.acceptedTokens);
    const [p0 = 0, p1 = 0, p2 = 0] = run.acceptedPerPosition;
    expect(p0).toBeGreaterThanOrEqual(p1);
    expect(p1).toBeGreaterThanOrEqual(p2);
    expect(run.acceptanceRate).toBeCloseTo(run.acceptedTokens / run.draftTokens);
    expect(run.meanAcceptanceLength).toBeCloseTo((answer.usage.completion_tokens - 1) / run.drafts);
    expect(run.acceptanceRate).toBeGreaterThan(0);
    expect(run.acceptanceRate).toBeLessThan(1);
  });
});

describe("spec-decode metrics from the mock without --speculative-config", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({ gpu: "h100-80gb", "time-scale": "1000", "max-model-len": "1000" });
  });
  afterAll(() => server.close());

  // vllm/v1/spec_decode/metrics.py: the counters are registered only with a speculative config.
  it("answers undefined", async () => {
    const client = createVllmClient({ baseUrl: server.url, maxRetries: 0 });
    try {
      expect(specDecodeStats(await client.metrics())).toBeUndefined();
    } finally {
      await client.close();
    }
  });
});
