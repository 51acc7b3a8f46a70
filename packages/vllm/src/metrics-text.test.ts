import { describe, expect, it } from "vitest";
import { metricValue, parseMetrics } from "./metrics-text.js";

// The exposition format as prometheus_client writes vLLM's metrics (vllm-openai.md §8).
const text = `# HELP vllm:generation_tokens_total Number of generation tokens processed.
# TYPE vllm:generation_tokens_total counter
vllm:generation_tokens_total{engine="0",model_name="granite"} 12.0
# HELP vllm:e2e_request_latency_seconds Histogram of e2e request latency in seconds.
# TYPE vllm:e2e_request_latency_seconds histogram
vllm:e2e_request_latency_seconds_bucket{engine="0",le="0.3",model_name="granite"} 1.0
vllm:e2e_request_latency_seconds_bucket{engine="0",le="+Inf",model_name="granite"} 2.0
vllm:e2e_request_latency_seconds_count{engine="0",model_name="granite"} 2.0
vllm:e2e_request_latency_seconds_sum{engine="0",model_name="granite"} 0.9
odd{path="C:\\\\DIR",msg="a \\"b\\"\\nc"} NaN
`;

describe("parseMetrics", () => {
  it("reads samples with their family, type and labels", () => {
    const samples = parseMetrics(text);
    expect(metricValue(samples, "vllm:generation_tokens_total", { model_name: "granite" })).toBe(
      12,
    );
    expect(metricValue(samples, "vllm:e2e_request_latency_seconds_bucket", { le: "+Inf" })).toBe(2);
    const count = samples.find((s) => s.name === "vllm:e2e_request_latency_seconds_count");
    expect(count).toMatchObject({
      family: "vllm:e2e_request_latency_seconds",
      type: "histogram",
      labels: { engine: "0", model_name: "granite" },
      value: 2,
    });
    const odd = samples.find((s) => s.name === "odd");
    expect(odd?.labels).toEqual({ path: "C:\\DIR", msg: 'a "b"\nc' });
    expect(odd?.type).toBe("untyped");
  });

  it("skips what it cannot read", () => {
    expect(parseMetrics("garbage line here\nx{bad} 1\nok 3")).toEqual([
      { name: "ok", family: "ok", type: "untyped", labels: {}, value: 3 },
    ]);
  });
});
