import { describe, expect, test } from "vitest";
import { deviceProfile } from "./device-profiles.js";
import { kvCapacity } from "./kv-capacity.js";
import {
  cudaGraphBytesPerGraphLayer,
  cudaGraphCapture,
  cudaGraphCaptureLines,
  cudaGraphCaptureSizes,
  cudaGraphMemoryLines,
  cudaGraphMemoryProfilingSince,
  cudaGraphProfilingLine,
  defaultWeightReadBytesPerSecond,
  modelLoadingLine,
  modelLoadingSeconds,
  modelLoadingWordingSince,
  profilesCudaGraphMemory,
  withModelLoadingLine,
} from "./model-loading.js";

import { modelProfileFromConfig, modelProfiles } from "./model-profiles.js";
import { granite4HSmallConfig } from "./moe-hybrid-configs.js";

/** A flat estimate, as callers that size no capture list pass it: 0.58 GiB (a published median). */
const assumedCudaGraphMemoryBytes = Math.round(0.58 * 1024 ** 3);

const GiB = 1024 ** 3;

describe("modelLoadingLine", () => {
  test("vLLM 0.21.0 words it with format_gib and 'memory'", () => {
    // vllm-project/vllm issue #44494 (vllm==0.21.0, gpu_model_runner.py): "Model loading took
    // 22.57 GiB memory and 16.195724 seconds"; vllm/utils/mem_utils.py format_gib = round(b / GiB, 2).
    expect(modelLoadingLine(22.57 * GiB, 16.195724, "0.21.0")).toBe(
      "Model loading took 22.57 GiB memory and 16.195724 seconds",
    );
    expect(modelLoadingWordingSince).toBe("0.21.0");
  });

  test("format_gib prints Python's float: two decimals at most, '.0' on a whole number", () => {
    // Python: str(round(15.0, 2)) == "15.0", str(round(2.5, 2)) == "2.5".
    expect(modelLoadingLine(15 * GiB, 1, "0.21.0")).toBe(
      "Model loading took 15.0 GiB memory and 1.000000 seconds",
    );
    expect(modelLoadingLine(2.5 * GiB, 0.5)).toBe(
      "Model loading took 2.5 GiB memory and 0.500000 seconds",
    );
    expect(modelLoadingLine(14.987654 * GiB, 2)).toMatch(/^Model loading took 14\.99 GiB memory/);
  });

  test("earlier releases print '%.4f GiB and %.6f seconds'", () => {
    // vllm PR #25340 log (V1, 2025-09): "Model loading took 2.2845 GiB and 74.270197 seconds";
    // issue #19596 (0.9, 2025-06): "Model loading took 4.1801 GiB and 6.884285 seconds".
    expect(modelLoadingLine(2.2845 * GiB, 74.270197, "0.11.0")).toBe(
      "Model loading took 2.2845 GiB and 74.270197 seconds",
    );
    expect(modelLoadingLine(4.1801 * GiB, 6.884285, "0.9.1")).toBe(
      "Model loading took 4.1801 GiB and 6.884285 seconds",
    );
    expect(modelLoadingLine(4.1801 * GiB, 1, "0.20.2")).toMatch(/GiB and 1\.000000 seconds$/);
  });

  test("no release or an unreadable one: the later wording", () => {
    expect(modelLoadingLine(GiB, 1)).toContain("GiB memory and");
    expect(modelLoadingLine(GiB, 1, "main")).toContain("GiB memory and");
    expect(modelLoadingLine(GiB, 1, "v0.22.1rc1")).toContain("GiB memory and");
  });
});

describe("modelLoadingSeconds", () => {
  test("bytes at the read rate published for vLLM 0.21.0", () => {
    // issue #44494: 22.57 GiB in 16.195724 s is the default rate (1.39 GiB/s), so it gives back
    // that start-up's time.
    expect(defaultWeightReadBytesPerSecond / GiB).toBeCloseTo(1.3936, 4);
    expect(modelLoadingSeconds(22.57 * GiB)).toBeCloseTo(16.195724, 6);
    // Llama 3.1 8B in bf16 (14.96 GiB) on one GPU: about 10.7 s; at TP=2 each rank reads half.
    expect(modelLoadingSeconds(14.96 * GiB)).toBeCloseTo(10.73, 1);
    expect(modelLoadingSeconds(7.48 * GiB)).toBeCloseTo(10.73 / 2, 1);
  });

  test("another rate, and bad input refused", () => {
    expect(modelLoadingSeconds(4 * GiB, 2 * GiB)).toBe(2);
    expect(() => modelLoadingSeconds(-1)).toThrow(RangeError);
    expect(() => modelLoadingSeconds(Number.NaN)).toThrow(RangeError);
    expect(() => modelLoadingSeconds(1, 0)).toThrow(RangeError);
  });
});

describe("withModelLoadingLine", () => {
  test("goes before the memory profile's 'Available KV cache memory'", () => {
    // gpu_worker.py: load_model (the line) runs before determine_available_memory, whose result
    // is "Available KV cache memory"; platforms/cuda.py's FlashMLA line is config time, earlier.
    const lines = [
      "Forcing kv cache block size to 64 for FlashMLA backend.",
      "Available KV cache memory: 52.25 GiB",
      "GPU KV cache size: 1 tokens",
    ];
    expect(withModelLoadingLine(lines, "L")).toEqual([lines[0], "L", lines[1], lines[2]]);
    expect(withModelLoadingLine(["x"], "L")).toEqual(["x", "L"]);
  });
});

describe("CUDA graph memory estimate (vLLM 0.21.0 on)", () => {
  test("from 0.21.0 only; no release keeps the sizing it always had", () => {
    // gpu_worker.py: "CUDA graph memory profiling is enabled (default since v0.21.0)" (PR #30515).
    expect(cudaGraphMemoryProfilingSince).toBe("0.21.0");
    expect(profilesCudaGraphMemory("0.21.0")).toBe(true);
    expect(profilesCudaGraphMemory("v0.22.1rc1")).toBe(true);
    expect(profilesCudaGraphMemory("1.0.0")).toBe(true);
    expect(profilesCudaGraphMemory("0.20.2")).toBe(false);
    expect(profilesCudaGraphMemory("0.9.2")).toBe(false);
    expect(profilesCudaGraphMemory(undefined)).toBe(false);
    expect(profilesCudaGraphMemory("main")).toBe(false);
  });

  test("the two lines as vLLM words them", () => {
    // A published 0.21+ start-up (gpu_model_runner.py / gpu_worker.py): "Estimated CUDA graph
    // memory: 0.61 GiB total", then after "Available KV cache memory: 47.84 GiB": "... The
    // current --gpu-memory-utilization=0.7000 is equivalent to --gpu-memory-utilization=0.6950
    // ... increase --gpu-memory-utilization to 0.7050 ...": a share of 0.0050 of the GPU.
    const lines = cudaGraphMemoryLines(0.61 * GiB, (0.61 * GiB) / 0.005, 0.7);
    expect(lines.estimate).toBe("Estimated CUDA graph memory: 0.61 GiB total");
    expect(lines.profiling).toBe(
      "CUDA graph memory profiling is enabled (default since v0.21.0). The current --gpu-memory-utilization=0.7000 is equivalent to --gpu-memory-utilization=0.6950 without CUDA graph memory profiling. To maintain the same effective KV cache size as before, increase --gpu-memory-utilization to 0.7050. To disable, set VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS=0.",
    );
    // suggested_util = min(round(util + delta, 4), 1.0).
    expect(cudaGraphMemoryLines(GiB, 10 * GiB, 0.95).profiling).toContain(
      "increase --gpu-memory-utilization to 1.0000.",
    );
  });

  test("the estimate comes off the cache, logged around the available memory", () => {
    // gpu_worker.py: available = requested - non_kv_cache_memory - cudagraph_memory_estimate;
    // "Available KV cache memory: %s GiB" with format_gib.
    const options = { device: deviceProfile("h100-80gb"), model: modelProfiles["llama-3.1-8b"] };
    const before = kvCapacity(options);
    const after = kvCapacity({ ...options, cudaGraphMemoryBytes: assumedCudaGraphMemoryBytes });
    expect(before.availableKvBytes - after.availableKvBytes).toBe(assumedCudaGraphMemoryBytes);
    expect(after.tokens).toBeLessThan(before.tokens);
    expect(after.logLines.slice(0, 3)).toEqual([
      "Estimated CUDA graph memory: 0.58 GiB total",
      `Available KV cache memory: ${Math.round((after.availableKvBytes / GiB) * 100) / 100} GiB`,
      expect.stringMatching(
        /^CUDA graph memory profiling is enabled \(default since v0\.21\.0\)\. The current --gpu-memory-utilization=0\.9000 is equivalent to --gpu-memory-utilization=0\.89\d\d /,
      ),
    ]);
    expect(before.logLines.some((l) => l.startsWith("Estimated CUDA graph memory"))).toBe(false);
    // vLLM loads the model before it profiles: the loading line goes ahead of the estimate.
    const withLoading = withModelLoadingLine(after.logLines, "Model loading took 1 GiB");
    expect(withLoading[0]).toBe("Model loading took 1 GiB");
    expect(() => kvCapacity({ ...options, cudaGraphMemoryBytes: -1 })).toThrow(RangeError);
  });
});

describe("cudaGraphCaptureSizes", () => {
  test("max_num_seqs 256: 51 PIECEWISE sizes up to 512, 35 FULL up to 256", () => {
    // vllm/config/vllm.py _set_cudagraph_sizes: min(max_num_seqs * 2, 512), then 1, 2, 4, every
    // 8 below 256, every 16 from 256. vLLM 0.19.1 / Qwen3-0.6B and 0.22.1 / gemma-4-E4B start-up
    // logs: "Profiling CUDA graph memory: PIECEWISE=51 (largest=512), FULL=35 (largest=256)" and
    // the cudagraph_capture_sizes of the printed compilation config.
    const sizes = cudaGraphCaptureSizes({ maxNumSeqs: 256, maxNumBatchedTokens: 8192 });
    expect(sizes.piecewise.slice(0, 6)).toEqual([1, 2, 4, 8, 16, 24]);
    expect(sizes.piecewise.slice(-4)).toEqual([464, 480, 496, 512]);
    expect(sizes.piecewise).toHaveLength(51);
    expect(sizes.piecewise).toContain(248);
    expect(sizes.piecewise).not.toContain(264);
    expect(sizes.full).toHaveLength(35);
    expect(sizes.full.at(-1)).toBe(256);
    expect(cudaGraphProfilingLine(sizes)).toBe(
      "Profiling CUDA graph memory: PIECEWISE=51 (largest=512), FULL=35 (largest=256)",
    );
  });

  test("max_num_seqs 1024 captures 512 at most; every size is a FULL one too", () => {
    const sizes = cudaGraphCaptureSizes({ maxNumSeqs: 1024, maxNumBatchedTokens: 8192 });
    expect(sizes.piecewise.at(-1)).toBe(512);
    expect(sizes.full).toEqual(sizes.piecewise);
  });

  test("few sequences or a small token budget cut the list", () => {
    // max_cudagraph_capture_size = min(max_num_batched_tokens, min(max_num_seqs * 2, 512)).
    expect(cudaGraphCaptureSizes({ maxNumSeqs: 8, maxNumBatchedTokens: 8192 })).toEqual({
      piecewise: [1, 2, 4, 8, 16],
      full: [1, 2, 4, 8],
    });
    expect(cudaGraphCaptureSizes({ maxNumSeqs: 1, maxNumBatchedTokens: 8192 })).toEqual({
      piecewise: [1, 2],
      full: [1],
    });
    const budget = cudaGraphCaptureSizes({ maxNumSeqs: 256, maxNumBatchedTokens: 100 });
    expect(budget.piecewise.at(-1)).toBe(96);
    expect(budget.full.at(-1)).toBe(96);
  });

  test("speculative tokens widen the list and round it to multiples of 1 + k", () => {
    // decode_query_len = 1 + num_speculative_tokens; adjust_cudagraph_sizes_for_spec_decode.
    // Two published MTP start-ups of 2026-05 (Qwen3.6-35B-A3B, max_num_seqs 8):
    // "PIECEWISE=9 (largest=64), FULL=5 (largest=32)" at k = 3 and
    // "PIECEWISE=15 (largest=112), FULL=8 (largest=56)" at k = 6.
    const k3 = cudaGraphCaptureSizes({
      maxNumSeqs: 8,
      maxNumBatchedTokens: 32768,
      numSpeculativeTokens: 3,
    });
    expect(k3.piecewise).toEqual([4, 8, 16, 24, 32, 40, 48, 56, 64]);
    expect(cudaGraphProfilingLine(k3)).toBe(
      "Profiling CUDA graph memory: PIECEWISE=9 (largest=64), FULL=5 (largest=32)",
    );
    const k6 = cudaGraphCaptureSizes({
      maxNumSeqs: 8,
      maxNumBatchedTokens: 32768,
      numSpeculativeTokens: 6,
    });
    expect(cudaGraphProfilingLine(k6)).toBe(
      "Profiling CUDA graph memory: PIECEWISE=15 (largest=112), FULL=8 (largest=56)",
    );
  });

  test("limits that are not positive integers are refused", () => {
    expect(() => cudaGraphCaptureSizes({ maxNumSeqs: 0, maxNumBatchedTokens: 8192 })).toThrow(
      RangeError,
    );
    expect(() => cudaGraphCaptureSizes({ maxNumSeqs: 8, maxNumBatchedTokens: 1.5 })).toThrow(
      RangeError,
    );
    expect(() =>
      cudaGraphCaptureSizes({ maxNumSeqs: 8, maxNumBatchedTokens: 8192, numSpeculativeTokens: -1 }),
    ).toThrow(RangeError);
    expect(() => cudaGraphCapture(0, { maxNumSeqs: 8, maxNumBatchedTokens: 8192 })).toThrow(
      RangeError,
    );
  });
});

describe("cudaGraphCapture", () => {
  test("reproduces the run it is fitted to: Qwen3-0.6B, 86 graphs, 0.27 GiB in 2 s", () => {
    // vLLM 0.19.1 start-up: "Estimated CUDA graph memory: 0.27 GiB total", "Graph capturing
    // finished in 2 secs, took 0.27 GiB", "CUDA graph pool memory: 0.27 GiB (actual)".
    const capture = cudaGraphCapture(28, { maxNumSeqs: 256, maxNumBatchedTokens: 8192 });
    expect(cudaGraphMemoryLines(capture.memoryBytes, 80 * GiB, 0.9).estimate).toBe(
      "Estimated CUDA graph memory: 0.27 GiB total",
    );
    expect(cudaGraphCaptureLines(capture)).toEqual([
      "Graph capturing finished in 2 secs, took 0.27 GiB",
      // gpu_worker.py, as a Mistral-Small-24B run printed it when the two agreed.
      "CUDA graph pool memory: 0.27 GiB (actual), 0.27 GiB (estimated), difference: 0.0 GiB (0.0%).",
    ]);
  });

  test("grows with the graphs and the layers, not with one constant", () => {
    const options = { maxNumSeqs: 256, maxNumBatchedTokens: 8192 };
    const small = cudaGraphCapture(28, options);
    const deep = cudaGraphCapture(56, options);
    expect(Math.abs(deep.memoryBytes - 2 * small.memoryBytes)).toBeLessThanOrEqual(1);
    const few = cudaGraphCapture(28, { maxNumSeqs: 8, maxNumBatchedTokens: 8192 });
    // 5 + 4 graphs instead of 51 + 35.
    expect(few.memoryBytes).toBe(Math.round(9 * 28 * cudaGraphBytesPerGraphLayer));
    // Llama 3.1 8B (32 layers) at the H100 serve default max_num_seqs 1024: 102 graphs,
    // inside the 0.27-0.79 GiB that published dense start-ups print.
    const llama = cudaGraphCapture(32, { maxNumSeqs: 1024, maxNumBatchedTokens: 8192 });
    expect(llama.memoryBytes / GiB).toBeGreaterThan(0.3);
    expect(llama.memoryBytes / GiB).toBeLessThan(0.45);
  });

  test("kvCapacity takes it off the cache with vLLM's lines around the sizing", () => {
    // gpu_model_runner.py profiles before it estimates; the capture runs after the cache is
    // allocated, so its two lines follow the cache size lines.
    const model = modelProfiles["llama-3.1-8b"];
    const options = { device: deviceProfile("h100-80gb"), model };
    const capture = cudaGraphCapture(model.layers, { maxNumSeqs: 1024, maxNumBatchedTokens: 8192 });
    const before = kvCapacity(options);
    const after = kvCapacity({ ...options, cudaGraphCapture: capture });
    expect(before.availableKvBytes - after.availableKvBytes).toBe(capture.memoryBytes);
    expect(after.logLines[0]).toBe(
      "Profiling CUDA graph memory: PIECEWISE=51 (largest=512), FULL=51 (largest=512)",
    );
    expect(after.logLines[1]).toMatch(/^Estimated CUDA graph memory: 0\.\d+ GiB total$/);
    const concurrency = after.logLines.findIndex((l) => l.startsWith("Maximum concurrency"));
    expect(after.logLines.slice(concurrency + 1, concurrency + 3)).toEqual(
      cudaGraphCaptureLines(capture),
    );
    // An explicit byte count wins over the capture's estimate.
    const explicit = kvCapacity({
      ...options,
      cudaGraphCapture: capture,
      cudaGraphMemoryBytes: assumedCudaGraphMemoryBytes,
    });
    expect(before.availableKvBytes - explicit.availableKvBytes).toBe(assumedCudaGraphMemoryBytes);
    // The loading line goes ahead of the profiling line.
    const withLoading = withModelLoadingLine(after.logLines, "Model loading took 1 GiB");
    expect(withLoading.slice(0, 2)).toEqual([
      "Model loading took 1 GiB",
      "Profiling CUDA graph memory: PIECEWISE=51 (largest=512), FULL=51 (largest=512)",
    ]);
  });

  test("a hybrid model logs the capture lines after its cache size too", () => {
    const model = modelProfileFromConfig(granite4HSmallConfig);
    const options = { device: deviceProfile("h100-80gb"), model };
    const capture = cudaGraphCapture(model.layers, { maxNumSeqs: 1024, maxNumBatchedTokens: 8192 });
    const lines = kvCapacity({ ...options, cudaGraphCapture: capture }).logLines;
    const concurrency = lines.findIndex((l) => l.startsWith("Maximum concurrency"));
    expect(lines[concurrency + 1]).toMatch(/^Graph capturing finished in \d+ secs, took /);
    expect(lines.some((l) => l.startsWith("Profiling CUDA graph memory:"))).toBe(true);
  });
});
