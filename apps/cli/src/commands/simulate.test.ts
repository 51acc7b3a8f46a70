/**
 * `servingkit simulate` run in-process through `main(argv, io)` on small workloads.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../main.js";
import { testIo } from "../test-io.js";

/** Runs the command line; returns status, stdout and stderr. */
async function simulate(...argv: string[]) {
  const t = testIo();
  const status = await main(["simulate", ...argv], t.io);
  return { status, stdout: t.stdout(), stderr: t.stderr() };
}

/** The number after a `vllm bench serve` label, e.g. "Mean TTFT (ms):". */
function figure(text: string, label: string): number {
  const line = text.split("\n").find((l) => l.startsWith(label));
  if (line === undefined) throw new Error(`no line "${label}" in:\n${text}`);
  return Number(line.slice(label.length).trim());
}

/** ibm-granite/granite-4.0-h-small's config.json (mock-core moe-hybrid-configs.ts): a Mamba2 hybrid. */
const graniteHSmallConfig = {
  architectures: ["GraniteMoeHybridForCausalLM"],
  attention_bias: false,
  hidden_act: "silu",
  hidden_size: 4096,
  intermediate_size: 768,
  layer_types: Array.from({ length: 40 }, (_, i) => (i % 10 === 5 ? "attention" : "mamba")),
  mamba_chunk_size: 256,
  mamba_conv_bias: true,
  mamba_d_conv: 4,
  mamba_d_head: 64,
  mamba_d_state: 128,
  mamba_expand: 2,
  mamba_n_groups: 1,
  mamba_n_heads: 128,
  mamba_proj_bias: false,
  max_position_embeddings: 131_072,
  model_type: "granitemoehybrid",
  num_attention_heads: 32,
  num_experts_per_tok: 10,
  num_hidden_layers: 40,
  num_key_value_heads: 8,
  num_local_experts: 72,
  position_embedding_type: "nope",
  shared_intermediate_size: 1536,
  tie_word_embeddings: true,
  torch_dtype: "bfloat16",
  vocab_size: 100_352,
};

describe("servingkit simulate", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "servingkit-simulate-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("prints vllm bench serve's result block for a random-dataset run", async () => {
    const run = await simulate(
      ...["--num-prompts", "50", "--random-input-len", "256", "--random-output-len", "32"],
    );
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    // vllm/benchmarks/serve.py: the traffic lines before the run, then the result block with
    // its section rules, labels padded to 40 columns.
    expect(run.stdout).toContain("Traffic request rate: inf\n");
    expect(run.stdout).toContain("Burstiness factor: 1.0 (Poisson process)\n");
    expect(run.stdout).toContain("Maximum request concurrency: None\n");
    expect(run.stdout).toContain("============ Serving Benchmark Result ============");
    expect(run.stdout).toContain("---------------Time to First Token----------------");
    expect(run.stdout).toContain("-----Time per Output Token (excl. 1st token)------");
    expect(run.stdout).toContain("---------------Inter-token Latency----------------");
    // --percentile-metrics defaults to ttft,tpot,itl: no E2EL block unless asked.
    expect(run.stdout).not.toContain("End-to-end Latency");
    expect(figure(run.stdout, "Successful requests:")).toBe(50);
    expect(figure(run.stdout, "Failed requests:")).toBe(0);
    expect(figure(run.stdout, "Total input tokens:")).toBe(50 * 256);
    expect(figure(run.stdout, "Total generated tokens:")).toBe(50 * 32);
    const duration = figure(run.stdout, "Benchmark duration (s):");
    // Output throughput = generated tokens / duration; the duration is printed to 0.01 s, so the
    // throughput lies between what the rounded duration's two ends give.
    const throughput = figure(run.stdout, "Output token throughput (tok/s):");
    expect(throughput).toBeGreaterThanOrEqual(1600 / (duration + 0.005) - 0.01);
    expect(throughput).toBeLessThanOrEqual(1600 / (duration - 0.005) + 0.01);
    // All 50 sent at once: later ones queue behind the prefill of earlier ones, so P99 TTFT
    // exceeds the median (vllm-openai.md §9: TTFT includes queueing + chunked prefill).
    expect(figure(run.stdout, "P99 TTFT (ms):")).toBeGreaterThan(
      figure(run.stdout, "Median TTFT (ms):"),
    );
    expect(figure(run.stdout, "Peak concurrent requests:")).toBe(50);
    // vLLM's start-up lines for the modelled engine (kv_cache_utils.py).
    expect(run.stdout).toMatch(/GPU KV cache size: [\d,]+ tokens/);
    expect(run.stdout).toMatch(/Maximum concurrency for 131,072 tokens per request: [\d.]+x/);
  });

  it("is deterministic for a seed and follows --seed", async () => {
    const argv = ["--dataset-name", "sharegpt", "--num-prompts", "40", "--request-rate", "20"];
    const a = await simulate(...argv);
    const b = await simulate(...argv);
    const c = await simulate(...argv, "--seed", "7");
    expect(a.status).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(c.stdout).not.toBe(a.stdout);
    expect(a.stdout).toContain("Traffic request rate: 20.0\n");
    expect(figure(a.stdout, "Request rate configured (RPS):")).toBe(20);
  });

  it("takes vllm bench serve's burstiness, percentile metrics and metric percentiles", async () => {
    const run = await simulate(
      ...["--num-prompts", "40", "--random-input-len", "64", "--random-output-len", "16"],
      ...["--request-rate", "10", "--burstiness", "0.5"],
      ...["--percentile-metrics", "ttft,e2el", "--metric-percentiles", "50,90,99.9"],
    );
    expect(run.stderr).toBe("");
    // vllm/benchmarks/serve.py: burstiness ≠ 1 is a gamma distribution; the last request goes
    // out at N / rate = 4 s, and the duration runs from before the first send.
    expect(run.stdout).toContain("Burstiness factor: 0.5 (Gamma distribution)\n");
    expect(figure(run.stdout, "Benchmark duration (s):")).toBeGreaterThan(4);
    for (const label of [
      "P50 TTFT (ms):",
      "P90 TTFT (ms):",
      "P99.9 TTFT (ms):",
      "P90 E2EL (ms):",
    ]) {
      expect(figure(run.stdout, label)).toBeGreaterThan(0);
    }
    expect(run.stdout).not.toContain("P99 TTFT");
    expect(run.stdout).not.toContain("Inter-token Latency");
    expect(run.stdout).toContain("----------------End-to-end Latency----------------");
  });

  it("ramps the request rate up as vllm bench serve does", async () => {
    const run = await simulate(
      ...["--num-prompts", "60", "--random-input-len", "64", "--random-output-len", "8"],
      ...["--ramp-up-strategy", "linear", "--ramp-up-start-rps", "2", "--ramp-up-end-rps", "40"],
      "--json",
    );
    expect(run.stderr).toBe("");
    const json = JSON.parse(run.stdout);
    expect(json.traffic.rampUp).toEqual({ strategy: "linear", startRps: 2, endRps: 40 });
    // The rate climbs from 2 to 40 req/s over 60 requests: far less than 60 / 2 = 30 s.
    expect(json.summary.duration).toBeLessThan(12);
    expect(json.summary.duration).toBeGreaterThan(2);
    const text = await simulate(
      ...["--num-prompts", "20", "--random-output-len", "4"],
      ...[
        "--ramp-up-strategy",
        "exponential",
        "--ramp-up-start-rps",
        "1",
        "--ramp-up-end-rps",
        "8",
      ],
    );
    // serve.py: the ramp replaces the "Traffic request rate" line.
    expect(text.stdout).toContain(
      "Traffic ramp-up strategy: exponential.\nWill increase RPS from 1 to 8 RPS over the duration of the benchmark.\n",
    );
    expect(text.stdout).not.toContain("Traffic request rate");
  });

  it("--goodput counts the requests that meet every objective", async () => {
    // vllm/benchmarks/serve.py: "Request goodput (req/s)" follows the request throughput.
    const argv = ["--num-prompts", "30", "--random-input-len", "2048", "--random-output-len", "8"];
    const loose = await simulate(...argv, "--goodput", "ttft:100000");
    const strict = await simulate(...argv, "--goodput", "ttft:1,tpot:1000", "--goodput", "e2el:1");
    expect(figure(loose.stdout, "Request goodput (req/s):")).toBe(
      figure(loose.stdout, "Request throughput (req/s):"),
    );
    expect(figure(strict.stdout, "Request goodput (req/s):")).toBe(0);
    expect((await simulate(...argv)).stdout).not.toContain("Request goodput");
  });

  it("a concurrency limit keeps that many in flight; batching raises throughput", async () => {
    const common = [
      "--num-prompts",
      "32",
      "--random-input-len",
      "128",
      "--random-output-len",
      "64",
    ];
    const one = await simulate(...common, "--max-concurrency", "1");
    const eight = await simulate(...common, "--max-concurrency", "8");
    expect(figure(one.stdout, "Maximum request concurrency:")).toBe(1);
    expect(figure(one.stdout, "Peak concurrent requests:")).toBe(1);
    expect(figure(eight.stdout, "Peak concurrent requests:")).toBe(8);
    // vllm-openai.md §9.1: batching to concurrency 8 multiplies throughput at near-flat latency.
    const gain =
      figure(eight.stdout, "Output token throughput (tok/s):") /
      figure(one.stdout, "Output token throughput (tok/s):");
    expect(gain).toBeGreaterThan(4);
    expect(figure(eight.stdout, "Median ITL (ms):")).toBeLessThan(
      2 * figure(one.stdout, "Median ITL (ms):"),
    );
  });

  it("a shared prompt prefix hits the prefix cache and shortens TTFT", async () => {
    // vllm-openai.md §9: prefix caching on by default in V1; hits skip prefill compute.
    const argv = ["--num-prompts", "40", "--random-prefix-len", "512", "--random-input-len", "128"];
    const cached = JSON.parse((await simulate(...argv, "--max-concurrency", "4", "--json")).stdout);
    const plain = JSON.parse(
      (await simulate(...argv, "--max-concurrency", "4", "--json", "--no-enable-prefix-caching"))
        .stdout,
    );
    // Every request after the first few reuses the 32 full blocks of the shared prefix.
    expect(cached.prefixCache.hits).toBeGreaterThanOrEqual(36 * 512);
    expect(plain.prefixCache.hits).toBe(0);
    expect(cached.summary.ttft.median).toBeLessThan(plain.summary.ttft.median / 2);
  });

  it("--json gives the summary and the engine as data", async () => {
    const run = await simulate(
      ...["--num-prompts", "10", "--random-output-len", "8", "--json"],
      ...["--long-prefill-token-threshold", "512"],
    );
    expect(run.status).toBe(0);
    const json = JSON.parse(run.stdout);
    expect(json.engine).toMatchObject({
      gpu: "NVIDIA H100 80GB HBM3",
      model: "meta-llama/Llama-3.1-8B-Instruct",
      maxNumSeqs: 1024,
      maxNumBatchedTokens: 8192,
      longPrefillTokenThreshold: 512,
    });
    expect(json.traffic.requestRate).toBe("inf");
    expect(json.summary.successfulRequests).toBe(10);
    expect(json.summary.totalGeneratedTokens).toBe(80);
    expect(json.summary.ttft.median).toBeGreaterThan(0);
  });

  it("uses vLLM's smaller defaults on an A100 and a config.json from disk", async () => {
    const config = join(dir, "config.json");
    // The architecture numbers of Llama 3.1 8B's config.json, read from a file.
    await writeFile(
      config,
      JSON.stringify({
        hidden_size: 4096,
        num_attention_heads: 32,
        num_key_value_heads: 8,
        num_hidden_layers: 32,
        intermediate_size: 14336,
        vocab_size: 128256,
        max_position_embeddings: 8192,
        torch_dtype: "bfloat16",
      }),
    );
    const run = await simulate(
      ...["--gpu", "a100-40gb", "--model-config", config, "--num-prompts", "5", "--json"],
    );
    expect(run.stderr).toBe("");
    const json = JSON.parse(run.stdout);
    // vllm-openai.md §9: A100s get 256 seqs / 2048 tokens under vllm serve.
    expect(json.engine).toMatchObject({
      maxNumSeqs: 256,
      maxNumBatchedTokens: 2048,
      maxModelLen: 8192,
    });
    expect(json.engine.gpu).toMatch(/A100/);
  });

  it("--disable-sliding-window serves a sliding-window config with full attention, capped at the window", async () => {
    const config = join(dir, "mistral-7b-v0.1.json");
    // Mistral-7B-v0.1's published config.json: every layer attends to the last 4,096 tokens.
    await writeFile(
      config,
      JSON.stringify({
        hidden_size: 4096,
        num_attention_heads: 32,
        num_key_value_heads: 8,
        num_hidden_layers: 32,
        intermediate_size: 14336,
        vocab_size: 32000,
        max_position_embeddings: 32768,
        sliding_window: 4096,
        torch_dtype: "bfloat16",
      }),
    );
    const args = ["--model-config", config, "--num-prompts", "4", "--json"];
    const windowed = JSON.parse((await simulate(...args)).stdout);
    expect(windowed.engine.maxModelLen).toBe(32768);
    // vllm/config/model.py _get_and_verify_max_len: without the window the derived length is
    // capped at it.
    const full = await simulate(...args, "--disable-sliding-window");
    expect(full.stderr).toBe("");
    expect(JSON.parse(full.stdout).engine.maxModelLen).toBe(4096);
  });

  it("serves an AWQ checkpoint quantized, --kv-cache-dtype fp8 doubling the KV tokens", async () => {
    const awq = fileURLToPath(
      new URL(
        "../../../../packages/mock-core/src/gpu/testdata/llama-3.1-8b-instruct-awq-int4/config.json",
        import.meta.url,
      ),
    );
    const args = ["--model-config", awq, "--num-prompts", "4", "--json"];
    const plain = JSON.parse((await simulate(...args)).stdout);
    // hugging-quants/Meta-Llama-3.1-8B-Instruct-AWQ-INT4: int4 group 128 with zero points; the
    // vLLM 0.5.4 log of the same layout on Llama 3.1 8B: "Loading model weights took 5.3767 GB".
    expect(plain.engine.quantization).toBe("awq");
    expect(plain.engine.weightGiB).toBeCloseTo(5.3345, 3);
    expect(plain.engine.kvCacheBytesPerElement).toBeUndefined();
    const fp8 = await simulate(...args, "--kv-cache-dtype", "fp8");
    expect(fp8.stderr).toBe("");
    const halved = JSON.parse(fp8.stdout);
    expect(halved.engine.kvCacheBytesPerElement).toBe(1);
    // vllm-openai.md §9: 128 KiB per token in 16 bits; fp8 stores 64 KiB, so the same memory
    // holds twice the tokens (to the block).
    expect(halved.engine.kvCacheTokens / plain.engine.kvCacheTokens).toBeCloseTo(2, 3);
    // vllm/config/model.py _verify_quantization refuses a contradicting --quantization.
    const refused = await simulate(...args, "--quantization", "gptq");
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(
      "Quantization method specified in the model config (awq) does not match the quantization method specified in the `quantization` argument (gptq).",
    );
    const bad = await simulate(...args, "--kv-cache-dtype", "int8");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("--kv-cache-dtype 'int8' is not one of");
  });

  it("--quantization fp8 loads the built-in Llama 3.1 8B with one-byte layer weights", async () => {
    const run = JSON.parse(
      (await simulate("--num-prompts", "4", "--json", "--quantization", "fp8")).stdout,
    );
    // vLLM docs (FP8, Meta-Llama-3-8B-Instruct-FP8): "Loading model weights took 8.4596 GB".
    expect(run.engine.quantization).toBe("fp8");
    expect(run.engine.weightGiB).toBeCloseTo(8.4575, 3);
    const plain = JSON.parse((await simulate("--num-prompts", "4", "--json")).stdout);
    expect(plain.engine.quantization).toBeUndefined();
    expect(run.engine.kvCacheTokens).toBeGreaterThan(plain.engine.kvCacheTokens);
  });

  it("--enable-expert-parallel sizes the cache by the GPU with the most whole experts", async () => {
    // vLLM docs "Expert Parallel Deployment" (EP size = TP × DP) and fused_moe/layer.py
    // determine_expert_map: 6 experts over 4 GPUs put 2 on the first; TP holds 6/4 of one each.
    const config = join(dir, "mixtral-6.json");
    // mistralai/Mixtral-8x7B-Instruct-v0.1's config.json with 6 experts instead of 8.
    await writeFile(
      config,
      JSON.stringify({
        model_type: "mixtral",
        hidden_size: 4096,
        intermediate_size: 14_336,
        max_position_embeddings: 32_768,
        num_attention_heads: 32,
        num_experts_per_tok: 2,
        num_hidden_layers: 32,
        num_key_value_heads: 8,
        num_local_experts: 6,
        torch_dtype: "bfloat16",
        vocab_size: 32_000,
      }),
    );
    const args = ["--model-config", config, "--tensor-parallel-size", "4", "--num-prompts", "4"];
    const tp = JSON.parse((await simulate(...args, "--json")).stdout);
    const run = await simulate(...args, "--json", "--enable-expert-parallel");
    expect(run.stderr).toBe("");
    const ep = JSON.parse(run.stdout);
    expect(ep.engine.kvCacheTokens).toBeLessThan(tp.engine.kvCacheTokens);
    expect(ep.engine.kvCacheTokens).toBeGreaterThan(0);
  });

  it("--disable-hybrid-kv-cache-manager keeps full KV on every layer of a Gemma 3 config", async () => {
    const config = join(dir, "gemma-3-1b.json");
    // google/gemma-3-1b-it's config.json: 26 layers, five of every six slide over 512 tokens.
    await writeFile(
      config,
      JSON.stringify({
        model_type: "gemma3_text",
        head_dim: 256,
        hidden_size: 1152,
        intermediate_size: 6912,
        max_position_embeddings: 32768,
        num_attention_heads: 4,
        num_hidden_layers: 26,
        num_key_value_heads: 1,
        sliding_window: 512,
        sliding_window_pattern: 6,
        torch_dtype: "bfloat16",
        vocab_size: 262144,
      }),
    );
    const args = ["--model-config", config, "--num-prompts", "4", "--json"];
    const hybrid = JSON.parse((await simulate(...args)).stdout);
    const run = await simulate(...args, "--disable-hybrid-kv-cache-manager");
    expect(run.stderr).toBe("");
    const unified = JSON.parse(run.stdout);
    // vllm/v1/core/kv_cache_utils.py unify_hybrid_kv_cache_specs: sliding layers become full
    // attention for the cache (one group, no padding layers), with vLLM's warning; the maximum
    // length is not capped (unlike --disable-sliding-window).
    expect(unified.engine.maxModelLen).toBe(32768);
    expect(unified.engine.kvCacheTokens).toBeGreaterThan(0);
    expect(unified.engine.logLines).toContain(
      "Hybrid KV cache manager is disabled for this hybrid model, This means we do not enable any optimizations for saving KV cache memory (e.g., dropping the KV cache outside the sliding window). The compute of layers like sliding window is still saved.",
    );
    expect(hybrid.engine.logLines.some((l: string) => l.startsWith("Hybrid KV cache"))).toBe(false);
    const concurrency = (lines: string[]) =>
      Number(
        /: ([\d.]+)x$/.exec(lines.find((l) => l.startsWith("Maximum concurrency")) ?? "")?.[1],
      );
    expect(concurrency(unified.engine.logLines)).toBeLessThan(concurrency(hybrid.engine.logLines));
  });

  it("reads a JSONL file of requests with arrivals and priorities", async () => {
    const file = join(dir, "requests.jsonl");
    await writeFile(
      file,
      [
        '{"prompt_tokens": 2000, "output_tokens": 20, "arrival": 0}',
        "",
        '{"prompt_tokens": 100, "output_tokens": 10, "arrival": 0.5, "id": "late"}',
        '{"prompt_tokens": 100, "output_tokens": 10, "priority": -1}',
      ].join("\n"),
    );
    const run = await simulate("--requests", file, "--scheduling-policy", "priority");
    expect(run.stderr).toBe("");
    expect(figure(run.stdout, "Successful requests:")).toBe(3);
    expect(figure(run.stdout, "Total input tokens:")).toBe(2200);
    // The late arrival alone sets the duration past half a second.
    expect(figure(run.stdout, "Benchmark duration (s):")).toBeGreaterThan(0.5);
  });

  it("--n runs parallel sampling: n children per request sharing the prompt's cached blocks", async () => {
    // vllm/v1/engine/parallel_sampling.py: n child requests, each its own request; blocks are
    // cached when allocated (kv_cache_manager.py), so siblings prefill the prompt once.
    const run = await simulate(
      ...["--num-prompts", "10", "--random-input-len", "256", "--random-output-len", "8"],
      ...["--n", "3", "--json"],
    );
    expect(run.stderr).toBe("");
    const json = JSON.parse(run.stdout);
    expect(json.summary.successfulRequests).toBe(30);
    expect(json.summary.totalGeneratedTokens).toBe(240);
    // 15 full blocks of each of the two later siblings hit, per prompt.
    expect(json.prefixCache.hits).toBe(10 * 2 * 240);
    const single = JSON.parse((await simulate("--num-prompts", "10", "--json")).stdout);
    expect(single.prefixCache.hits).toBe(0);
  });

  it("--lora-modules gives each request an adapter; --max-loras caps adapters per step", async () => {
    // vllm bench serve --lora-modules: one adapter per request, at random; vllm serve
    // --max-loras (default 1): more distinct adapters in a step wait (scheduler.py).
    const args = ["--num-prompts", "40", "--random-input-len", "64", "--random-output-len", "16"];
    const lora = [...args, "--lora-modules", "a,b,c,d", "--json"];
    const one = JSON.parse((await simulate(...lora)).stdout);
    const four = JSON.parse((await simulate(...lora, "--max-loras", "4")).stdout);
    const base = JSON.parse((await simulate(...args, "--json")).stdout);
    expect(one.engine.maxLoras).toBe(1);
    expect(four.engine.maxLoras).toBe(4);
    expect(one.summary.successfulRequests).toBe(40);
    // One adapter at a time serialises the four groups; four at once runs them as one batch.
    expect(one.summary.duration).toBeGreaterThan(2 * four.summary.duration);
    expect(four.summary.duration).toBeCloseTo(base.summary.duration, 2);
  });

  it("--async-scheduling reaches the engine and adds about one step of TTFT under load", async () => {
    // vllm PR #19970: the async scheduler decides step k+1 when step k starts, so a request
    // arriving mid-step joins one step later; at concurrency 1 nothing is mid-step.
    const args = ["--num-prompts", "40", "--max-concurrency", "4", "--request-rate", "20"];
    const off = JSON.parse((await simulate(...args, "--json")).stdout);
    const on = JSON.parse((await simulate(...args, "--async-scheduling", "--json")).stdout);
    expect(off.engine.asyncScheduling).toBe(false);
    expect(on.engine.asyncScheduling).toBe(true);
    expect(on.summary.ttft.mean).toBeGreaterThan(off.summary.ttft.mean);
    const closed = ["--num-prompts", "10", "--max-concurrency", "1", "--json"];
    const one = JSON.parse((await simulate(...closed)).stdout);
    const oneAsync = JSON.parse((await simulate(...closed, "--async-scheduling")).stdout);
    expect(oneAsync.summary.ttft).toEqual(one.summary.ttft);
  });

  it("--speculative-config reaches the engine and shortens the time per output token at batch 1", async () => {
    // vllm/v1/spec_decode: each decode step verifies 1 + k tokens in one pass (the weights are
    // read once) and emits 1 + accepted tokens, so TPOT falls at low concurrency.
    const args = ["--num-prompts", "4", "--max-concurrency", "1", "--json"];
    const off = JSON.parse((await simulate(...args)).stdout);
    const spec = ["--speculative-config", '{"method":"ngram","num_speculative_tokens":3}'];
    const run = await simulate(...args, ...spec, "--speculative-acceptance-rate", "0.8");
    expect(run.status).toBe(0);
    const on = JSON.parse(run.stdout);
    expect(on.engine.speculative).toMatchObject({ method: "ngram", numSpeculativeTokens: 3 });
    expect(on.summary.tpot.mean).toBeLessThan(off.summary.tpot.mean * 0.75);
    // The run's vLLM spec-decode counters: 0.8 per token over 3 positions, mean length ≈ 3.
    expect(on.specDecode.drafts).toBeGreaterThan(0);
    expect(on.specDecode.acceptedTokens / on.specDecode.drafts).toBeGreaterThan(1.6);
    expect(on.specDecode.acceptedTokens / on.specDecode.drafts).toBeLessThan(2.3);
    expect(off.specDecode).toBeUndefined();
    const text = await simulate(...args.filter((a) => a !== "--json"), ...spec);
    expect(text.stdout).toMatch(/^SpecDecoding metrics: Mean acceptance length: \d\.\d\d, /m);
    // vllm/config/speculative.py: vLLM's refusal text, exit 1 as a start-up failure.
    const refused = await simulate(
      ...args,
      "--speculative-config",
      '{"method":"eagle","num_speculative_tokens":3}',
    );
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(
      "num_speculative_tokens was provided but without speculative model.",
    );
    const bad = await simulate(...args, "--speculative-config", "{");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("--speculative-config: not valid JSON");
  });

  it("--speculative-config with a local EAGLE-3 head counts its memory in the KV cache", async () => {
    // yuhuili/EAGLE3-LLaMA3.1-Instruct-8B's config.json (architecture fields); mock-core
    // speculative.ts drafterMemory: 849,635,328 B of weights and one more full-attention KV layer
    // (gpu_model_runner.py load_model, eagle.py, kv_cache_utils.py). H100, Llama 3.1 8B,
    // max_model_len 8,192: 446,848 tokens without it, 427,024 with it (formula).
    const head = join(dir, "eagle3-head");
    await mkdir(head);
    await writeFile(
      join(head, "config.json"),
      JSON.stringify({
        architectures: ["LlamaForCausalLMEagle3"],
        hidden_size: 4096,
        intermediate_size: 14_336,
        model_type: "llama",
        num_attention_heads: 32,
        num_hidden_layers: 1,
        num_key_value_heads: 8,
        torch_dtype: "float16",
        vocab_size: 128_256,
        draft_vocab_size: 32_000,
      }),
    );
    const args = ["--num-prompts", "4", "--max-concurrency", "1", "--max-model-len", "8192"];
    const spec = (model: string) => [
      "--speculative-config",
      JSON.stringify({ method: "eagle3", model, num_speculative_tokens: 3 }),
    ];
    const plain = JSON.parse((await simulate(...args, "--json")).stdout);
    const local = await simulate(...args, ...spec(head), "--json");
    expect(local.stderr).toBe("");
    const on = JSON.parse(local.stdout);
    expect(plain.engine.kvCacheTokens).toBe(446_848);
    expect(on.engine.kvCacheTokens).toBe(427_024);
    expect(on.engine.logLines).toContain("GPU KV cache size: 427,024 tokens");
    expect(on.engine.speculative).toEqual({
      method: "eagle3",
      numSpeculativeTokens: 3,
      model: head,
      acceptanceRates: [0.7, 0.49, 0.343].map((r) => expect.closeTo(r, 12)),
      drafter: { weightBytes: 849_635_328, kvLayers: 1 },
    });
    // A hub id: not read offline, the cache as before and a start-up note in the banner.
    const hub = await simulate(...args, ...spec("yuhuili/EAGLE3-LLaMA3.1-Instruct-8B"));
    expect(hub.status).toBe(0);
    expect(hub.stdout).toContain("GPU KV cache size: 446,848 tokens");
    expect(hub.stdout).toContain("the drafter's memory is not counted");
    // A path without config.json: vLLM's get_config refusal, a start-up failure (exit 1).
    const missing = await simulate(...args, ...spec(join(dir, "no-such-head")));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain(
      `Invalid repository ID or local directory specified: '${join(dir, "no-such-head")}'.`,
    );
  });

  it("--speculative-config on a Mamba hybrid holds 1 + k state pages a request", async () => {
    // vllm mamba/abstract.py get_kv_cache_spec: num_speculative_blocks = num_speculative_tokens
    // of any method; kv_cache_interface.py MambaSpec.max_memory_usage_bytes ("none"): 1 + k
    // pages. ibm-granite/granite-4.0-h-small's config.json (mock-core moe-hybrid-configs.ts):
    // at max_model_len 8,192 a request takes 16 blocks of 528 tokens in the attention group and
    // one page in each of 9 Mamba groups, 9 × 4 with n-gram k = 3; the pool is the same.
    const config = join(dir, "granite-4.0-h-small.json");
    await writeFile(config, JSON.stringify(graniteHSmallConfig));
    const args = ["--model-config", config, "--max-model-len", "8192", "--num-prompts", "4"];
    const concurrency = async (...more: string[]) => {
      const run = await simulate(...args, ...more, "--json");
      expect(run.stderr).toBe("");
      const { engine } = JSON.parse(run.stdout);
      const line = (engine.logLines as string[]).find((l) => l.startsWith("Maximum concurrency"));
      return { tokens: engine.kvCacheTokens, x: Number(line?.match(/: ([\d.]+)x$/)?.[1]) };
    };
    const plain = await concurrency();
    const ngram = await concurrency(
      "--speculative-config",
      '{"method":"ngram","num_speculative_tokens":3}',
    );
    expect(ngram.tokens).toBe(plain.tokens);
    expect(plain.x / ngram.x).toBeCloseTo((16 + 9 * 4) / (16 + 9), 2);
  });

  it("--enable-prefix-caching and --mamba-cache-mode cache a hybrid's prefixes from 0.15.0", async () => {
    // vLLM PR #30877 (0.15.0): arg_utils leaves prefix caching off by default on a hybrid
    // (default_prefix_caching = not is_hybrid) and --enable-prefix-caching opts in; config.py
    // MambaModelConfig picks mode "all" for Granite 4.0 H (SupportsMambaPrefixCaching), whose
    // attention blocks grow to a multiple of lcm(mamba_chunk_size 256, 16): 768 tokens; "align"
    // keeps the 528-token blocks. Hits are whole blocks of the shared 1,600-token prefix.
    const config = join(dir, "granite-4.0-h-small-prefix.json");
    await writeFile(config, JSON.stringify(graniteHSmallConfig));
    const args = [
      ...["--model-config", config, "--max-model-len", "8192", "--vllm-version", "0.15.0"],
      ...["--num-prompts", "12", "--max-concurrency", "1", "--random-prefix-len", "1600"],
      ...["--random-input-len", "128", "--random-output-len", "8", "--json"],
    ];
    const hits = async (...more: string[]) => {
      const run = await simulate(...args, ...more);
      expect(run.stderr).toBe("");
      expect(run.status).toBe(0);
      const json = JSON.parse(run.stdout);
      return { hits: json.prefixCache.hits as number, logLines: json.engine.logLines as string[] };
    };
    expect((await hits()).hits).toBe(0);
    const all = await hits("--enable-prefix-caching");
    expect(all.logLines).toContain(
      "Mamba cache mode is set to 'all' for GraniteMoeHybridForCausalLM by default when prefix caching is enabled",
    );
    // After the first request, each of 11 hits two 768-token blocks of the 1,600 shared tokens.
    expect(all.hits).toBe(11 * 2 * 768);
    const align = await hits("--enable-prefix-caching", "--mamba-cache-mode", "align");
    expect(align.hits).toBeGreaterThan(0);
    expect(align.hits % 528).toBe(0);
    // --mamba-cache-mode is argparse's unknown flag before 0.15.0, and a choice of three.
    const old = await simulate(...args, "--vllm-version", "0.14.1", "--mamba-cache-mode", "all");
    expect(old.status).toBe(2);
    expect(old.stderr).toContain("unrecognized arguments: --mamba-cache-mode");
    const bad = await simulate(...args, "--enable-prefix-caching", "--mamba-cache-mode", "some");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(
      "argument --mamba-cache-mode: invalid choice: 'some' (choose from 'all', 'align', 'none')",
    );
  });

  it("--async-scheduling with an ngram --speculative-config stops start-up as vLLM does", async () => {
    // vllm/config/vllm.py (PR #24799): an explicit --async-scheduling with a method outside
    // EAGLE/MTP/Draft Model/NGram GPU is a ValueError at start-up; without the flag vLLM only
    // turns async scheduling off (the run goes on).
    const spec = ["--speculative-config", '{"method":"ngram","num_speculative_tokens":3}'];
    const run = await simulate("--num-prompts", "2", ...spec, "--async-scheduling");
    expect(run.status).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      "servingkit simulate: engine start-up failed: Currently, async scheduling is only supported with EAGLE/MTP/Draft Model/NGram GPU kind of speculative decoding\n",
    );
    const old = await simulate(
      ...["--num-prompts", "2", ...spec, "--async-scheduling", "--vllm-version", "0.15.0"],
    );
    expect(old.stderr).toContain("only supported with EAGLE/MTP kind of speculative decoding.");
    expect((await simulate("--num-prompts", "2", ...spec)).status).toBe(0);
  });

  it("--speculative-config mtp counts a MiMo target's MTP layer, and leaves the config out of the JSON", async () => {
    // vllm mimo_mtp.py: one MTP layer of the target's Qwen2 shape, 421,580,800 B in bfloat16
    // (mock-core speculative.test.ts); embeddings and LM head shared (eagle.py).
    const config = join(dir, "mimo-config.json");
    await writeFile(
      config,
      JSON.stringify({
        architectures: ["MiMoForCausalLM"],
        model_type: "mimo",
        hidden_size: 4096,
        intermediate_size: 11_008,
        num_hidden_layers: 36,
        num_attention_heads: 32,
        num_key_value_heads: 8,
        vocab_size: 151_680,
        max_position_embeddings: 32_768,
        num_nextn_predict_layers: 1,
        torch_dtype: "bfloat16",
      }),
    );
    const args = ["--model-config", config, "--num-prompts", "4", "--json"];
    const plain = JSON.parse((await simulate(...args)).stdout);
    const run = await simulate(
      ...args,
      "--speculative-config",
      '{"method":"mtp","num_speculative_tokens":1}',
    );
    expect(run.stderr).toBe("");
    const on = JSON.parse(run.stdout);
    expect(on.engine.speculative.drafter).toEqual({ weightBytes: 421_580_800, kvLayers: 1 });
    expect(on.engine.speculative.draftConfig).toBeUndefined();
    expect(on.engine.kvCacheTokens).toBeLessThan(plain.engine.kvCacheTokens);
  });

  it("--vllm-version: a separate draft model stops 0.11.0 to 0.14.x with vLLM's text (exit 1)", async () => {
    // vllm issue #31883 (0.13.0): vllm/config/speculative.py __post_init__ raises
    // NotImplementedError; vllm PR #24322 brought draft models in 0.15.0.
    const draft = [
      "--num-prompts",
      "2",
      "--speculative-config",
      '{"method":"draft_model","model":"Qwen/Qwen3-0.6B","num_speculative_tokens":5}',
    ];
    const refused = await simulate(...draft, "--vllm-version", "0.13.0");
    expect(refused.status).toBe(1);
    expect(refused.stderr).toBe(
      "servingkit simulate: engine start-up failed: Speculative decoding with draft model is not supported yet. Please consider using other speculative decoding methods such as ngram, medusa, eagle, or mtp.\n",
    );
    // 0.15.0 or no release: the mock's own limit, a usage error (exit 2).
    const later = await simulate(...draft, "--vllm-version", "0.15.0");
    expect(later.status).toBe(2);
    expect(later.stderr).toContain("is not modelled by the mock");
  });

  it("--speculative-config draft_model from 0.15.0: a local draft's weights and KV in the JSON", async () => {
    // vllm PR #24322 (0.15.0): a separate draft model; mock-core speculative.ts draftModelProfile
    // counts all its weights (no shared embeddings or head) and its own-size KV layers in the
    // target's one KV group (vllm PR #25101). Llama 3.2 1B drafting for Llama 3.1 8B on one H100 at
    // 8,192: 342,400 tokens (formula; mock-core speculative.test.ts pins the same numbers).
    const draft = fileURLToPath(
      new URL(
        "../../../../packages/mock-core/src/gpu/testdata/llama-3.2-1b-instruct",
        import.meta.url,
      ),
    );
    const run = await simulate(
      "--num-prompts",
      "2",
      "--max-model-len",
      "8192",
      "--vllm-version",
      "0.15.0",
      "--speculative-config",
      JSON.stringify({ method: "draft_model", model: draft, num_speculative_tokens: 3 }),
      "--json",
    );
    expect(run.stderr).toBe("");
    const on = JSON.parse(run.stdout);
    expect(on.engine.kvCacheTokens).toBe(342_400);
    expect(on.engine.speculative.drafter).toEqual({
      weightBytes: 2_471_628_800,
      kvLayers: 16,
      kvBytesPerToken: expect.any(Number),
    });
  });

  it("MTP tokens against the model's MTP layers: vLLM's divisibility refusal and reuse warning", async () => {
    // vllm/config/speculative.py __post_init__: n_predict = num_nextn_predict_layers; more
    // tokens than layers must be a multiple ("Ensure divisibility for MTP module reuse"); more
    // than one token warns that the same MTP layer runs again.
    const configOf = async (layers: number) => {
      const path = join(dir, `mimo-${layers}-layers.json`);
      await writeFile(
        path,
        JSON.stringify({
          architectures: ["MiMoForCausalLM"],
          model_type: "mimo",
          hidden_size: 4096,
          intermediate_size: 11_008,
          num_hidden_layers: 36,
          num_attention_heads: 32,
          num_key_value_heads: 8,
          vocab_size: 151_680,
          max_position_embeddings: 32_768,
          num_nextn_predict_layers: layers,
          torch_dtype: "bfloat16",
        }),
      );
      return path;
    };
    const mtp = (k: number) => [
      "--speculative-config",
      `{"method":"mtp","num_speculative_tokens":${k}}`,
    ];
    const refused = await simulate(
      "--model-config",
      await configOf(2),
      "--num-prompts",
      "2",
      ...mtp(3),
    );
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("num_speculative_tokens:3 must be divisible by n_predict=2");
    const reused = await simulate(
      "--model-config",
      await configOf(1),
      "--num-prompts",
      "2",
      ...mtp(2),
    );
    expect(reused.status).toBe(0);
    expect(reused.stdout).toContain(
      "Enabling num_speculative_tokens > 1 will run multiple times of forward on same MTP layer,which may result in lower acceptance rate",
    );
  });

  it("reads n and lora from a JSONL file, ahead of --n and --lora-modules", async () => {
    const file = join(dir, "lora.jsonl");
    await writeFile(
      file,
      [
        '{"prompt_tokens": 64, "output_tokens": 4, "n": 2, "lora": "x"}',
        '{"prompt_tokens": 64, "output_tokens": 4}',
      ].join("\n"),
    );
    const run = await simulate("--requests", file, "--n", "3", "--lora-modules", "y", "--json");
    expect(run.stderr).toBe("");
    // 2 children of the first line, 3 of the second.
    expect(JSON.parse(run.stdout).summary.successfulRequests).toBe(5);
  });

  it("sweeps concurrency: a table, a chart, throughput rising with load", async () => {
    const chart = join(dir, "sweep.svg");
    const run = await simulate(
      ...["--sweep-concurrency", "1,4,16", "--num-prompts", "32"],
      ...["--random-input-len", "128", "--random-output-len", "32", "--chart", chart],
    );
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const rows = run.stdout
      .split("\n")
      .filter((l) => /^\s+\d+\s/.test(l))
      .map((l) => l.trim().split(/\s+/).map(Number));
    expect(rows.map((r) => r[0])).toEqual([1, 4, 16]);
    const throughput = rows.map((r) => r[2] as number);
    expect(throughput[1]).toBeGreaterThan(throughput[0] as number);
    expect(throughput[2]).toBeGreaterThan(throughput[1] as number);
    const svg = await readFile(chart, "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.match(/<polyline/g)).toHaveLength(3);
    expect(svg).toContain("concurrency");
  });

  it("writes the sweep chart as PNG when the file name ends in .png", async () => {
    // issue 7: "with a chart (SVG or PNG) of latency against load".
    const chart = join(dir, "sweep.png");
    const run = await simulate(
      ...["--sweep-concurrency", "1,8", "--num-prompts", "16"],
      ...["--random-input-len", "64", "--random-output-len", "8", "--chart", chart],
    );
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`Chart written to ${chart}`);
    const png = await readFile(chart);
    expect([...png.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    expect(png.length).toBeGreaterThan(5000);
  });

  it("sweeps request rate: TTFT climbs once the rate passes what the GPU serves", async () => {
    const run = await simulate(
      ...["--sweep-rate", "1,200", "--num-prompts", "100", "--json"],
      ...["--random-input-len", "1000", "--random-output-len", "200"],
    );
    const json = JSON.parse(run.stdout);
    expect(json.sweep.mode).toBe("rate");
    const [slow, fast] = json.sweep.levels;
    expect(slow.summary.requestRate).toBe(1);
    expect(fast.summary.ttft.p99).toBeGreaterThan(5 * slow.summary.ttft.p99);
  });

  it("fails as vLLM's start-up fails when one max_model_len request cannot fit", async () => {
    const run = await simulate("--gpu", "l4", "--model-config", "llama-3.1-8b");
    expect(run.status).toBe(1);
    // vllm/v1/core/kv_cache_utils.py check_enough_kv_cache_memory's text.
    expect(run.stderr).toMatch(
      /To serve at least one request with the models's max seq len \(131072\)/,
    );
    const tp = await simulate("--tensor-parallel-size", "3");
    expect(tp.status).toBe(1);
    // vllm config: heads must divide evenly over the tensor-parallel GPUs.
    expect(tp.stderr).toContain(
      "Total number of attention heads (32) must be divisible by tensor parallel size (3).",
    );
    // vllm/config/scheduler.py: every running sequence needs a token of the step budget; vLLM
    // refuses the pair at start-up, so this is exit 1 like the others, not a usage error.
    const budget = await simulate("--max-num-seqs", "9000");
    expect(budget.status).toBe(1);
    expect(budget.stderr).toMatch(/max_num_batched_tokens \(8192\) must be greater than or equal/);
  });

  it("refuses a wrong command line with exit 2 and a hint", async () => {
    const file = join(dir, "bad.jsonl");
    await writeFile(file, '{"prompt_tokens": 10, "output_tokens": 5}\n{"prompt_tokens": 0}\n');
    const notJson = join(dir, "not-json.json");
    await writeFile(notJson, "{ hidden_size: 4096 ");
    const partial = join(dir, "partial.json");
    await writeFile(partial, JSON.stringify({ hidden_size: 4096 }));
    const cases: [string[], RegExp][] = [
      // Engine flags are read by mock-core's readGpuEngineSettings, as `mock vllm --gpu` reads them.
      [["--gpu", "tpu-v5"], /--gpu: 'tpu-v5' is not a known device \(h100-80gb/],
      [["--model-config", join(dir, "missing.json")], /neither a built-in model .*\(ENOENT/],
      [
        ["--gpu-memory-utilization", "1.5"],
        /--gpu-memory-utilization: '1.5' is not a number in \(0, 1\]/,
      ],
      [["--random-range-ratio", "1"], /--random-range-ratio '1' is not a number in \[0, 1\)/],
      [["--num-prompts", "many"], /--num-prompts 'many' is not a whole number/],
      [["--request-rate=-3"], /--request-rate .-3. is not a number in \(0, ∞\]/],
      [["--scheduling-policy", "lifo"], /--scheduling-policy: 'lifo' is not fcfs or priority/],
      [["--dataset-name", "sonnet"], /--dataset-name 'sonnet'/],
      [["--sweep-concurrency", "1,,4"], /comma-separated list/],
      [["--sweep-rate", "1", "--request-rate", "2"], /leave out --request-rate/],
      [["--sweep-concurrency", "1", "--sweep-rate", "1"], /not both/],
      [["--chart", "x.svg"], /--chart draws latency against load/],
      [["--requests", file, "--num-prompts", "3"], /leave out --num-prompts/],
      [["--requests", file], /bad\.jsonl:2: "prompt_tokens" must be a whole number/],
      [
        ["--requests", join(dir, "none.jsonl")],
        /--requests '.*none\.jsonl' cannot be read \(ENOENT\)/,
      ],
      [["--model-config", notJson], /--model-config: '.*not-json\.json' .*JSON/],
      [["--model-config", partial], /--model-config: .*num_attention_heads/],
      [["--max-model-len", "0"], /--max-model-len '0'/],
      [["--burstiness", "0"], /--burstiness '0'/],
      [["--goodput", "itl:5"], /--goodput: 'itl' is not one of ttft, tpot, e2el/],
      [["--ramp-up-strategy", "step"], /--ramp-up-strategy 'step' is not linear or exponential/],
      [["--ramp-up-strategy", "linear", "--ramp-up-end-rps", "5"], /needs both/],
      [["--ramp-up-start-rps", "5"], /need --ramp-up-strategy/],
      [
        [
          "--ramp-up-strategy",
          "linear",
          "--ramp-up-start-rps",
          "1",
          "--ramp-up-end-rps",
          "5",
          "--request-rate",
          "3",
        ],
        /leave out --request-rate/,
      ],
      [
        ["--ramp-up-strategy", "linear", "--ramp-up-start-rps", "9", "--ramp-up-end-rps", "5"],
        /must not be above/,
      ],
      [
        ["--ramp-up-strategy", "exponential", "--ramp-up-start-rps", "0", "--ramp-up-end-rps", "5"],
        /cannot start at 0/,
      ],
      [["--goodput", "ttft=5"], /--goodput 'ttft=5' is not KEY:VALUE/],
      [["--goodput", "ttft:-5"], /--goodput '-5'/],
      [["--percentile-metrics", "ttft,goodput"], /'goodput' is not one of ttft, tpot, itl, e2el/],
      [
        ["--metric-percentiles", "50,100"],
        /--metric-percentiles '100' is not a number in \(0, 100\)/,
      ],
      [["--bogus"], /bogus/],
    ];
    for (const [argv, message] of cases) {
      const run = await simulate(...argv);
      expect(run.status, argv.join(" ")).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).toMatch(/servingkit simulate --help/);
    }
  });

  it("--help lists the flags with defaults and units; the overview lists the command", async () => {
    const run = await simulate("--help");
    expect(run.status).toBe(0);
    for (const flag of [
      "--gpu",
      "--model-config",
      "--tensor-parallel-size",
      "--gpu-memory-utilization",
      "--max-num-seqs",
      "--max-num-batched-tokens",
      "--max-model-len",
      "--scheduling-policy",
      "--long-prefill-token-threshold",
      "--enable-prefix-caching",
      "--mamba-cache-mode",
      "--num-prompts",
      "--random-input-len",
      "--random-output-len",
      "--random-range-ratio",
      "--requests",
      "--request-rate",
      "--max-concurrency",
      "--sweep-concurrency",
      "--sweep-rate",
      "--chart",
      "--json",
      "--seed",
      "--burstiness",
      "--percentile-metrics",
      "--metric-percentiles",
      "--goodput",
      "--ramp-up-strategy",
    ]) {
      expect(run.stdout).toContain(flag);
    }
    expect(run.stdout).toMatch(/default 0\.9/);
    const t = testIo();
    await main(["--help"], t.io);
    expect(t.stdout()).toMatch(/simulate\s+benchmark a modelled GPU/);
  });
});

describe("servingkit simulate --data-parallel-size", () => {
  it("runs N replicas: about N times the output throughput at saturation", async () => {
    // vLLM --data-parallel-size: each replica its own scheduler and KV cache on its own GPUs.
    const args = ["--num-prompts", "400", "--random-input-len", "512", "--random-output-len", "64"];
    const one = await simulate(...args);
    const two = await simulate(...args, "--data-parallel-size", "2");
    expect(two.status).toBe(0);
    expect(two.stdout).toContain("on 2 replicas of 1 × NVIDIA H100 80GB HBM3");
    const label = "Output token throughput (tok/s):";
    const ratio = figure(two.stdout, label) / figure(one.stdout, label);
    expect(ratio).toBeGreaterThan(1.7);
    expect(ratio).toBeLessThan(2.3);
    const json = JSON.parse(
      (await simulate(...args, "--data-parallel-size", "2", "--json")).stdout,
    );
    expect(json.engine.dataParallelSize).toBe(2);
    // One replica: the facts as before (no dataParallelSize key).
    expect(JSON.parse((await simulate(...args, "--json")).stdout).engine).not.toHaveProperty(
      "dataParallelSize",
    );
  });

  it("runs with --enable-expert-parallel (vLLM wide EP) and refuses a size below 1", async () => {
    // vLLM docs "Expert Parallel Deployment": EP with DP > 1, EP size = TP × DP.
    const ep = await simulate(
      "--data-parallel-size",
      "2",
      "--enable-expert-parallel",
      "--num-prompts",
      "4",
      "--json",
    );
    expect(ep.stderr).toBe("");
    expect(JSON.parse(ep.stdout).engine.dataParallelSize).toBe(2);
    const zero = await simulate("--data-parallel-size", "0");
    expect(zero.status).toBe(2);
    expect(zero.stderr).toContain("--data-parallel-size: '0' is not a whole number >= 1");
  });
});
