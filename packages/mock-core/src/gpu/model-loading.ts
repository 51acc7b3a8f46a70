/**
 * vLLM's "Model loading took X GiB and Y seconds" start-up line (vllm/v1/worker/gpu_model_runner.py
 * `load_model`): the GPU memory the weights took on one GPU, measured around the load, and the
 * wall time of the load. The mock knows the bytes (kv-capacity.ts `weightBytes`); the time is a
 * modelled estimate: the bytes read at a sustained rate (see {@link defaultWeightReadBytesPerSecond}).
 * Pure: no clock, no I/O.
 */

const GiB = 1024 ** 3;

/**
 * The weight read rate the loading time assumes, bytes per second: 1.39 GiB/s, from a published
 * vLLM 0.21.0 start-up (vllm-project/vllm issue #44494: "Model loading took 22.57 GiB memory and
 * 16.195724 seconds", a 12B model loaded from a cloud volume). An assumption, not a law: a warm
 * page cache reads several times faster (issue #12529: 3.3414 GiB in 0.742108 s, 4.5 GiB/s) and
 * a first download from the hub far slower (issue #12917: ~30 MB/s); a KServe storage initializer
 * copies the model to the pod's disk before vLLM starts, so vLLM reads a local copy.
 */
export const defaultWeightReadBytesPerSecond = (22.57 * GiB) / 16.195724;

/**
 * The first release quoted with the later wording, "Model loading took %s GiB memory and %.6f
 * seconds" with the GiB as Python's `round(bytes / GiB, 2)` (vllm/utils/mem_utils.py
 * `format_gib`): vLLM 0.21.0 (issue #44494). Earlier V1 releases print "Model loading took %.4f GiB
 * and %.6f seconds" (quoted from 0.9 and from a September 2025 build, PR #25340); the release
 * between them that changed the wording is not pinned, so the mock switches at the first one
 * quoted.
 */
export const modelLoadingWordingSince = "0.21.0";

/** `[major, minor, patch]` of a release like "0.21.0" or "0.11.1rc2"; undefined when unreadable. */
function releaseNumbers(release: string): [number, number, number] | undefined {
  const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(release);
  if (match === null) return undefined;
  return [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
}

/** Whether `release` prints the later wording: from {@link modelLoadingWordingSince}, or no release. */
function laterWording(release: string | undefined): boolean {
  const numbers = release === undefined ? undefined : releaseNumbers(release);
  return numbers === undefined || atOrAfter(numbers, modelLoadingWordingSince);
}

/** Whether release `numbers` is `since` or later. */
function atOrAfter(numbers: readonly number[], since: string): boolean {
  const floor = releaseNumbers(since) as [number, number, number];
  for (let i = 0; i < 3; i++) {
    const a = numbers[i] as number;
    const b = floor[i] as number;
    if (a !== b) return a > b;
  }
  return true;
}

/**
 * The first release that sizes the KV cache after an estimate of CUDA graph memory
 * (`VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS`, PR #30515, on by default "since v0.21.0" as
 * vllm/v1/worker/gpu_worker.py says in its start-up line). Before it the graphs were captured
 * after the cache was sized, from the memory `--gpu-memory-utilization` leaves over.
 */
export const cudaGraphMemoryProfilingSince = "0.21.0";

/**
 * Whether vLLM `release` takes CUDA graph memory off the KV cache
 * ({@link cudaGraphMemoryProfilingSince} on). Absent or unreadable: false, so a mock or
 * simulation without a release keeps the sizing it always had.
 */
export function profilesCudaGraphMemory(release: string | undefined): boolean {
  const numbers = release === undefined ? undefined : releaseNumbers(release);
  return numbers !== undefined && atOrAfter(numbers, cudaGraphMemoryProfilingSince);
}

/**
 * vLLM's two lines around the cache size when it estimates CUDA graph memory
 * (vllm/v1/worker/gpu_model_runner.py "Estimated CUDA graph memory: %s GiB total", format_gib;
 * gpu_worker.py the line after "Available KV cache memory", utilizations to 4 places): the
 * estimate's share of the GPU's `totalBytes` taken from and added to `utilization`, capped at 1.
 */
export function cudaGraphMemoryLines(
  estimateBytes: number,
  totalBytes: number,
  utilization: number,
): { readonly estimate: string; readonly profiling: string } {
  const delta = estimateBytes / totalBytes;
  const equivalent = Math.round((utilization - delta) * 10_000) / 10_000;
  const suggested = Math.min(Math.round((utilization + delta) * 10_000) / 10_000, 1);
  return {
    estimate: `Estimated CUDA graph memory: ${pythonRound2(estimateBytes / GiB)} GiB total`,
    profiling:
      `CUDA graph memory profiling is enabled (default since v0.21.0). The current --gpu-memory-utilization=${utilization.toFixed(4)} ` +
      `is equivalent to --gpu-memory-utilization=${equivalent.toFixed(4)} without CUDA graph memory profiling. ` +
      `To maintain the same effective KV cache size as before, increase --gpu-memory-utilization to ${suggested.toFixed(4)}. ` +
      "To disable, set VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS=0.",
  };
}

/**
 * The CUDA graphs vLLM captures at start-up, by kind: token counts of the PIECEWISE graphs
 * (mixed prefill-decode: `compilation_config.cudagraph_capture_sizes`) and batch sizes of the
 * FULL decode graphs (uniform decode under the default `FULL_AND_PIECEWISE` mode), ascending.
 */
export interface CudaGraphCaptureSizes {
  readonly piecewise: readonly number[];
  readonly full: readonly number[];
}

/** What sizes the default capture list: the scheduler limits and speculative tokens. */
export interface CudaGraphCaptureOptions {
  /** `--max-num-seqs`. */
  readonly maxNumSeqs: number;
  /** `--max-num-batched-tokens`: no graph is larger. */
  readonly maxNumBatchedTokens: number;
  /** `num_speculative_tokens` of `--speculative-config`; default 0. */
  readonly numSpeculativeTokens?: number;
}

/**
 * vLLM's default capture list (vllm/config/vllm.py `_set_cudagraph_sizes`, the rule of the
 * 0.19 to 0.22 start-up logs): the largest size is min(max_num_seqs × (1 + k) × 2, 512) for
 * k speculative tokens, capped at max_num_batched_tokens; the list is 1, 2, 4 up to it, then
 * every 8 from 8 below 256, then every 16 from 256. The FULL decode graphs are the sizes a
 * uniform decode batch reaches, at most max_num_seqs × (1 + k) (max_num_seqs 256: PIECEWISE=51
 * up to 512, FULL=35 up to 256). With k speculative tokens every size is rounded up to a
 * multiple of 1 + k and duplicates dropped (max_num_seqs 8 with MTP k=3: PIECEWISE=9 up to 64,
 * FULL=5 up to 32). Not modelled: sizes given with `--cudagraph-capture-sizes`, `--enforce-eager`,
 * and sequence parallelism's trimming. A RangeError for limits that are not positive integers.
 */
export function cudaGraphCaptureSizes(options: CudaGraphCaptureOptions): CudaGraphCaptureSizes {
  const { maxNumSeqs, maxNumBatchedTokens } = options;
  const k = options.numSpeculativeTokens ?? 0;
  if (!(Number.isInteger(maxNumSeqs) && maxNumSeqs >= 1))
    throw new RangeError("maxNumSeqs must be a positive integer");
  if (!(Number.isInteger(maxNumBatchedTokens) && maxNumBatchedTokens >= 1))
    throw new RangeError("maxNumBatchedTokens must be a positive integer");
  if (!(Number.isInteger(k) && k >= 0))
    throw new RangeError("numSpeculativeTokens must be a non-negative integer");
  const decodeQueryLen = 1 + k;
  const largest = Math.min(maxNumSeqs * decodeQueryLen * 2, 512, maxNumBatchedTokens);
  const piecewise: number[] = [];
  for (const size of [1, 2, 4]) if (size <= largest) piecewise.push(size);
  for (let size = 8; size <= largest && size < 256; size += 8) piecewise.push(size);
  for (let size = 256; size <= largest; size += 16) piecewise.push(size);
  // compilation.py adjust_cudagraph_sizes_for_spec_decode: a uniform decode batch holds 1 + k
  // tokens a request, so each size is rounded up to a multiple of it.
  const sizes =
    decodeQueryLen === 1
      ? piecewise
      : [...new Set(piecewise.map((size) => Math.ceil(size / decodeQueryLen) * decodeQueryLen))];
  const fullLimit = maxNumSeqs * decodeQueryLen;
  return { piecewise: sizes, full: sizes.filter((size) => size <= fullLimit) };
}

/**
 * CUDA graph memory per captured graph per decoder layer, bytes: about 118 KiB. A labelled
 * estimate fitted to one published dense run, vLLM 0.19.1 with Qwen3-0.6B (28 layers): 51
 * PIECEWISE and 35 FULL graphs, "Estimated CUDA graph memory: 0.27 GiB total" and "CUDA graph
 * pool memory: 0.27 GiB (actual)". Each graph replays every layer's kernels, so the pool grows
 * with graphs × layers rather than with the hidden size (Mistral-Small-24B, 40 layers and
 * five times the hidden size, printed 0.39 GiB). vLLM measures the number by capturing; MoE,
 * hybrid and multimodal models with drafters print more than this gives (0.61 GiB for 14
 * graphs of a 40-layer hybrid MoE with MTP).
 */
export const cudaGraphBytesPerGraphLayer = (0.27 * GiB) / ((51 + 35) * 28);

/**
 * Seconds of capture per graph per layer: the same Qwen3-0.6B run took 2 s for its 86 graphs
 * ("Graph capturing finished in 2 secs"). A labelled estimate, as
 * {@link cudaGraphBytesPerGraphLayer}.
 */
export const cudaGraphSecondsPerGraphLayer = 2 / ((51 + 35) * 28);

/** The graphs vLLM captures for a model and what they cost. */
export interface CudaGraphCapture {
  readonly sizes: CudaGraphCaptureSizes;
  /** Estimated graph pool memory on one GPU, bytes. */
  readonly memoryBytes: number;
  /** Estimated capture time, seconds. */
  readonly seconds: number;
}

/**
 * The capture list for `options` ({@link cudaGraphCaptureSizes}) and its estimated memory and
 * time for a model of `layers` decoder layers: graphs × layers × {@link cudaGraphBytesPerGraphLayer}
 * and × {@link cudaGraphSecondsPerGraphLayer}. With tensor parallelism every rank captures the
 * same graphs, so the figure is per GPU. A RangeError for layers that are not a positive integer.
 */
export function cudaGraphCapture(
  layers: number,
  options: CudaGraphCaptureOptions,
): CudaGraphCapture {
  if (!(Number.isInteger(layers) && layers >= 1))
    throw new RangeError("layers must be a positive integer");
  const sizes = cudaGraphCaptureSizes(options);
  const graphLayers = (sizes.piecewise.length + sizes.full.length) * layers;
  return {
    sizes,
    memoryBytes: Math.round(graphLayers * cudaGraphBytesPerGraphLayer),
    seconds: graphLayers * cudaGraphSecondsPerGraphLayer,
  };
}

/**
 * vLLM's line before its estimate (vllm/v1/worker/gpu_model_runner.py, 0.19 on when the
 * estimate runs): "Profiling CUDA graph memory: PIECEWISE=51 (largest=512), FULL=35
 * (largest=256)"; a kind with no graphs is left out.
 */
export function cudaGraphProfilingLine(sizes: CudaGraphCaptureSizes): string {
  const parts: string[] = [];
  for (const [kind, list] of [
    ["PIECEWISE", sizes.piecewise],
    ["FULL", sizes.full],
  ] as const) {
    if (list.length > 0) parts.push(`${kind}=${list.length} (largest=${list[list.length - 1]})`);
  }
  return `Profiling CUDA graph memory: ${parts.join(", ")}`;
}

/**
 * vLLM's two lines after the capture, once the cache is allocated (gpu_model_runner.py "Graph
 * capturing finished in %.0f secs, took %s GiB"; gpu_worker.py "CUDA graph pool memory: %s GiB
 * (actual), %s GiB (estimated), difference: %s GiB (%.1f%%)."). The mock captures what it
 * estimated, so the difference is 0.0 GiB (0.0%), as a published Mistral-Small-24B run printed.
 */
export function cudaGraphCaptureLines(capture: CudaGraphCapture): readonly string[] {
  const gib = formatGib(capture.memoryBytes);
  return [
    `Graph capturing finished in ${Math.round(capture.seconds)} secs, took ${gib} GiB`,
    `CUDA graph pool memory: ${gib} GiB (actual), ${gib} GiB (estimated), difference: 0.0 GiB (0.0%).`,
  ];
}

/** vLLM's `format_gib` as `%s` prints it: Python's `str(round(bytes / GiB, 2))`. */
export function formatGib(bytes: number): string {
  return pythonRound2(bytes / GiB);
}

/** Python's `str(round(x, 2))`: shortest digits, with ".0" on a whole number. */
function pythonRound2(x: number): string {
  const rounded = Math.round(x * 100) / 100;
  return Number.isInteger(rounded) ? `${rounded}.0` : String(rounded);
}

/**
 * Seconds vLLM takes to load `weightBytes` onto one GPU: bytes ÷ `bytesPerSecond` (default
 * {@link defaultWeightReadBytesPerSecond}). With tensor parallelism each rank reads its own
 * slices at the same time, so pass one GPU's bytes. A RangeError for negative bytes or a rate
 * that is not positive.
 */
export function modelLoadingSeconds(
  weightBytes: number,
  bytesPerSecond = defaultWeightReadBytesPerSecond,
): number {
  if (!(weightBytes >= 0)) throw new RangeError("weightBytes must be a non-negative number");
  if (!(bytesPerSecond > 0)) throw new RangeError("bytesPerSecond must be positive");
  return weightBytes / bytesPerSecond;
}

/**
 * vLLM's line for `weightBytes` on one GPU loaded in `seconds`, worded as `release` prints it
 * ({@link modelLoadingWordingSince}; absent or unreadable: the later wording).
 */
export function modelLoadingLine(weightBytes: number, seconds: number, release?: string): string {
  return laterWording(release)
    ? `Model loading took ${pythonRound2(weightBytes / GiB)} GiB memory and ${seconds.toFixed(6)} seconds`
    : `Model loading took ${(weightBytes / GiB).toFixed(4)} GiB and ${seconds.toFixed(6)} seconds`;
}

/**
 * The start-up lines with `line` where vLLM prints it: after the config-time lines (FlashMLA's
 * block size, a hybrid model's prefix caching and page sizes) and before the memory profile's
 * "Profiling CUDA graph memory" and "Estimated CUDA graph memory" (0.21+) or "Available KV cache
 * memory"; at the end when no such line is there.
 */
export function withModelLoadingLine(lines: readonly string[], line: string): string[] {
  const at = lines.findIndex(
    (l) =>
      l.startsWith("Profiling CUDA graph memory:") ||
      l.startsWith("Estimated CUDA graph memory:") ||
      l.startsWith("Available KV cache memory:"),
  );
  if (at < 0) return [...lines, line];
  return [...lines.slice(0, at), line, ...lines.slice(at)];
}
