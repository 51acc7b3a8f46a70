import { describe, expect, test } from "vitest";
import { deviceProfile } from "./device-profiles.js";
import { kvCapacity } from "./kv-capacity.js";
import {
  assumedCudaGraphMemoryBytes,
  cudaGraphMemoryLines,
  cudaGraphMemoryProfilingSince,
  defaultWeightReadBytesPerSecond,
  modelLoadingLine,
  modelLoadingSeconds,
  modelLoadingWordingSince,
  profilesCudaGraphMemory,
  withModelLoadingLine,
} from "./model-loading.js";
import { modelProfiles } from "./model-profiles.js";

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
