/**
 * `/metrics` (vllm-openai.md §8): vLLM's metric names, types, labels and buckets per era, with
 * counters that agree with the requests served.
 */

import { EngineMetrics } from "@servingkit/mock-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { metricValue, parseMetrics } from "../metrics-text.js";
import { LoraRegistry } from "./lora.js";
import {
  asPrometheusClientText,
  createVllmMetrics,
  oneTwoFiveBuckets,
  prometheusClientFloat,
} from "./metrics.js";
import { vllmProfiles } from "./profiles.js";
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
    // prometheus_client writes labels sorted by name (exposition.py sample_line).
    const l = '{engine="0",model_name="m"';
    expect(sample(text, `vllm:generation_tokens_total${l}}`)).toBe(7);
    expect(sample(text, `vllm:prompt_tokens_total${l}}`)).toBe(
      a.usage.prompt_tokens + b.usage.prompt_tokens,
    );
    expect(
      sample(
        text,
        'vllm:request_success_total{engine="0",finished_reason="length",model_name="m"}',
      ),
    ).toBe(2);
    expect(
      sample(text, 'vllm:request_success_total{engine="0",finished_reason="stop",model_name="m"}'),
    ).toBe(0);
    expect(sample(text, `vllm:num_requests_running${l}}`)).toBe(0);
    expect(text).toContain("# TYPE vllm:time_to_first_token_seconds histogram");
    expect(text).toContain(
      'vllm:time_to_first_token_seconds_bucket{engine="0",le="2560.0",model_name="m"}',
    );
    expect(sample(text, `vllm:e2e_request_latency_seconds_count${l}}`)).toBe(2);
    // vllm/v1/metrics/loggers.py: n (buckets 1,2,5,10,20) and the most generated tokens, once per
    // request with n = 1; help texts as vLLM's.
    expect(text).toContain("# HELP vllm:request_params_n Histogram of the n request parameter.");
    expect(text).toContain(
      "# HELP vllm:request_max_num_generation_tokens Histogram of maximum number of requested generation tokens.",
    );
    expect(sample(text, 'vllm:request_params_n_bucket{engine="0",le="1.0",model_name="m"}')).toBe(
      2,
    );
    expect(text).toContain('vllm:request_params_n_bucket{engine="0",le="20.0",model_name="m"}');
    expect(text).not.toContain('vllm:request_params_n_bucket{engine="0",le="50.0"');
    expect(sample(text, `vllm:request_max_num_generation_tokens_sum${l}}`)).toBe(7);
    expect(sample(text, `vllm:request_max_num_generation_tokens_count${l}}`)).toBe(2);
    expect(text).toContain("vllm:kv_cache_usage_perc");
    expect(text).toContain("vllm:inter_token_latency_seconds_bucket");
    // vllm-openai.md §8: time_per_output_token hidden from 0.12.
    expect(text).not.toContain("vllm:time_per_output_token_seconds");
  });

  // vllm/v1/engine/parallel_sampling.py: n > 1 fans out into n children, and the parent is
  // observed once, when its last child finishes: n in request_params_n, the most tokens any child
  // may generate in request_max_num_generation_tokens.
  it("counts a request with n > 1 once as a parent", async () => {
    const before = await (await fetch(`${server.url}/metrics`)).text();
    const l = '{engine="0",model_name="m"';
    const count = (text: string, name: string) => sample(text, `${name}${l}}`) ?? 0;
    await complete(server.url, { prompt: "five", max_tokens: 2, n: 3, seed: 1, ignore_eos: true });
    const after = await (await fetch(`${server.url}/metrics`)).text();
    const grew = (name: string) => count(after, name) - count(before, name);
    expect(grew("vllm:request_params_n_count")).toBe(1);
    expect(grew("vllm:request_params_n_sum")).toBe(3);
    expect(grew("vllm:request_max_num_generation_tokens_count")).toBe(1);
    expect(grew("vllm:request_max_num_generation_tokens_sum")).toBe(2);
    // Each child is still a request of its own to the engine's other counters.
    expect(
      sample(
        after,
        'vllm:request_success_total{engine="0",finished_reason="length",model_name="m"}',
      ),
    ).toBe(
      (sample(
        before,
        'vllm:request_success_total{engine="0",finished_reason="length",model_name="m"}',
      ) ?? 0) + 3,
    );
    // vllm/v1/metrics/loggers.py record(): request_params_max_tokens is observed per finished
    // engine request (`finished_request.max_tokens_param`), so once per child.
    expect(grew("vllm:request_params_max_tokens_count")).toBe(3);
    expect(grew("vllm:request_params_max_tokens_sum")).toBe(6);
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

describe("prometheus_client's number format", () => {
  // prometheus_client/utils.py floatToGoString: repr(float(d)), with Go's exponent form for
  // positive values with more than six digits before the point; +Inf, -Inf, NaN.
  it("prints values as Python's repr of a float", () => {
    const cases: [number, string][] = [
      [0, "0.0"],
      [-0, "-0.0"],
      [1, "1.0"],
      [2, "2.0"],
      [-5, "-5.0"],
      [0.1, "0.1"],
      [0.005, "0.005"],
      [0.0001, "0.0001"],
      [0.00001, "1e-05"],
      [1.5e-7, "1.5e-07"],
      [2560, "2560.0"],
      [123456, "123456.0"],
      [0.30000000000000004, "0.30000000000000004"],
      [1e16, "1e+16"],
      [1.2345678901234568e17, "1.2345678901234568e+17"],
      [1e22, "1e+22"],
      [-1234567, "-1234567.0"],
      [Number.POSITIVE_INFINITY, "+Inf"],
      [Number.NEGATIVE_INFINITY, "-Inf"],
      [Number.NaN, "NaN"],
    ];
    for (const [value, text] of cases)
      expect([value, prometheusClientFloat(value)]).toEqual([value, text]);
  });

  it("switches positive values of seven or more integer digits to Go's exponent form", () => {
    expect(prometheusClientFloat(1234567)).toBe("1.234567e+06");
    expect(prometheusClientFloat(1234567.5)).toBe("1.2345675e+06");
    expect(prometheusClientFloat(10_000_000)).toBe("1e+07");
    expect(prometheusClientFloat(10_000_001)).toBe("1.0000001e+07");
    // vllm:lora_requests_info holds a wall-clock time (set_to_current_time).
    expect(prometheusClientFloat(1763700000.25)).toBe("1.76370000025e+09");
    // The format writes "e+0" before the exponent, so two-digit exponents read e+0NN.
    expect(prometheusClientFloat(1e14)).toBe("1e+014");
  });

  // prometheus_client exposition.py sample_line: sorted(labels), floatToGoString(value).
  it("rewrites prom-client's samples: labels sorted by name, values and le bounds as floats", () => {
    const text = [
      "# HELP vllm:x_total Counted things.",
      "# TYPE vllm:x_total counter",
      'vllm:x_total{model_name="a b",engine="0"} 2',
      'vllm:h_bucket{le="0.005",model_name="m"} 0',
      'vllm:h_bucket{le="1",model_name="m"} 3',
      'vllm:h_bucket{le="+Inf",model_name="m"} 3',
      'vllm:h_sum{model_name="m"} 1.25',
      'vllm:t{tag="le=\\"3\\""} 1763700000.25',
      "",
    ].join("\n");
    expect(asPrometheusClientText(text)).toBe(
      [
        "# HELP vllm:x_total Counted things.",
        "# TYPE vllm:x_total counter",
        'vllm:x_total{engine="0",model_name="a b"} 2.0',
        'vllm:h_bucket{le="0.005",model_name="m"} 0.0',
        'vllm:h_bucket{le="1.0",model_name="m"} 3.0',
        'vllm:h_bucket{le="+Inf",model_name="m"} 3.0',
        'vllm:h_sum{model_name="m"} 1.25',
        'vllm:t{tag="le=\\"3\\""} 1.76370000025e+09',
        "",
      ].join("\n"),
    );
  });

  it("renders the registry in that format", async () => {
    const state = new EngineMetrics(100);
    state.promptTokens = 12;
    const era = vllmProfiles.at(-1)?.metrics;
    if (era === undefined) throw new Error("no profile");
    const metrics = createVllmMetrics({
      modelName: "m",
      era,
      state,
    });
    const text = await metrics.text();
    expect(text).toContain('vllm:prompt_tokens_total{engine="0",model_name="m"} 12.0');
    expect(text).toContain(
      'vllm:time_to_first_token_seconds_bucket{engine="0",le="2560.0",model_name="m"} 0.0',
    );
    expect(text).toContain('vllm:request_params_n_bucket{engine="0",le="+Inf",model_name="m"} 0.0');
  });
});

describe("vllm:lora_requests_info from the engine", () => {
  it("labels the adapters the engine runs and keeps waiting", async () => {
    // vllm/v1/metrics/loggers.py: running_lora_adapters and waiting_lora_adapters, comma-joined.
    const era = vllmProfiles.at(-1)?.metrics;
    if (era === undefined) throw new Error("no profile");
    const metrics = createVllmMetrics({
      modelName: "m",
      era,
      state: new EngineMetrics(100),
      lora: {
        registry: new LoraRegistry(),
        maxLoras: 1,
        adapters: () => ({ running: ["sql"], waiting: ["chat", "math"] }),
      },
    });
    const text = await metrics.text();
    expect(text).toMatch(
      /^vllm:lora_requests_info\{max_lora="1",running_lora_adapters="sql",waiting_lora_adapters="chat,math"\} \d/m,
    );
  });
});

describe("/metrics with speculative decoding (--gpu h100-80gb --speculative-config)", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({
      "served-model-name": "m",
      "max-model-len": "1000",
      gpu: "h100-80gb",
      "time-scale": "1000",
      "speculative-config": '{"method":"ngram","num_speculative_tokens":3,"prompt_lookup_max":4}',
      "speculative-acceptance-rate": "1",
    });
  });
  afterAll(() => server.close());

  it("exports vLLM's spec-decode counters, consistent with the tokens served", async () => {
    // vllm/v1/spec_decode/metrics.py SpecDecodingProm: counters vllm:spec_decode_num_drafts,
    // _num_draft_tokens, _num_accepted_tokens and _num_accepted_tokens_per_pos{position}, with
    // the engine's labels; written `_total` as prometheus_client writes counters.
    const body = await complete(server.url, { prompt: "one two", max_tokens: 9, ignore_eos: true });
    expect(body.usage.completion_tokens).toBe(9);
    const samples = parseMetrics(await (await fetch(`${server.url}/metrics`)).text());
    const l = { engine: "0", model_name: "m" };
    const drafts = metricValue(samples, "vllm:spec_decode_num_drafts_total", l);
    const draftTokens = metricValue(samples, "vllm:spec_decode_num_draft_tokens_total", l);
    const accepted = metricValue(samples, "vllm:spec_decode_num_accepted_tokens_total", l);
    // Acceptance 1: the prefill's token, then 1 + 3 tokens per draft: 1 + 2 × 4 = 9.
    expect({ drafts, draftTokens, accepted }).toEqual({ drafts: 2, draftTokens: 6, accepted: 6 });
    expect(1 + (drafts ?? 0) + (accepted ?? 0)).toBe(body.usage.completion_tokens);
    expect(samples.find((s) => s.name === "vllm:spec_decode_num_drafts_total")?.type).toBe(
      "counter",
    );
    for (const position of ["0", "1", "2"]) {
      expect(
        metricValue(samples, "vllm:spec_decode_num_accepted_tokens_per_pos_total", {
          ...l,
          position,
        }),
      ).toBe(2);
    }
    expect(
      metricValue(samples, "vllm:spec_decode_num_accepted_tokens_per_pos_total", {
        position: "3",
      }),
    ).toBeUndefined();
  });

  it("registers none of them without a speculative config", async () => {
    const plain = await startVllm({ "served-model-name": "m", gpu: "h100-80gb" });
    try {
      const text = await (await fetch(`${plain.url}/metrics`)).text();
      expect(text).not.toContain("spec_decode");
    } finally {
      await plain.close();
    }
  });
});

describe("/metrics with --data-parallel-size 2 (--gpu h100-80gb)", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startVllm({
      "served-model-name": "m",
      "max-model-len": "1000",
      gpu: "h100-80gb",
      "time-scale": "1000",
      "data-parallel-size": "2",
    });
  });
  afterAll(() => server.close());

  it("exports every per-engine series once per engine core, each from its own scheduler", async () => {
    // vllm/v1/metrics/loggers.py PrometheusStatLogger: every per-engine metric carries
    // engine=<DP rank>; core_client.py DPLBAsyncMPClient sends a dense model's requests round
    // robin from rank 0 (no counts published), so the first goes to engine 0, the second to 1.
    const a = await complete(server.url, { prompt: "one two", max_tokens: 3, ignore_eos: true });
    const b = await complete(server.url, { prompt: "three", max_tokens: 4, ignore_eos: true });
    const samples = parseMetrics(await (await fetch(`${server.url}/metrics`)).text());
    const at = (engine: string) => ({ engine, model_name: "m" });
    const value = (name: string, engine: string, extra: Record<string, string> = {}) =>
      metricValue(samples, name, { ...at(engine), ...extra });
    expect(value("vllm:prompt_tokens_total", "0")).toBe(a.usage.prompt_tokens);
    expect(value("vllm:prompt_tokens_total", "1")).toBe(b.usage.prompt_tokens);
    expect(value("vllm:generation_tokens_total", "0")).toBe(3);
    expect(value("vllm:generation_tokens_total", "1")).toBe(4);
    const length = { finished_reason: "length" };
    expect(value("vllm:request_success_total", "0", length)).toBe(1);
    expect(value("vllm:request_success_total", "1", length)).toBe(1);
    for (const engine of ["0", "1"]) {
      // Gauges, histograms and the cache info: once per engine.
      expect(value("vllm:num_requests_running", engine)).toBe(0);
      expect(value("vllm:kv_cache_usage_perc", engine)).toBe(0);
      expect(value("vllm:e2e_request_latency_seconds_count", engine)).toBe(1);
      expect(value("vllm:iteration_tokens_total_count", engine)).toBeGreaterThan(0);
      expect(metricValue(samples, "vllm:cache_config_info", { engine })).toBe(1);
    }
    expect(value("vllm:num_requests_running", "2")).toBeUndefined();
    const series = samples.filter((s) => s.name === "vllm:time_to_first_token_seconds_count");
    expect(series.map((s) => s.labels.engine)).toEqual(["0", "1"]);
  });
});
