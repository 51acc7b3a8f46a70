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
  if (numbers === undefined) return true;
  const since = releaseNumbers(modelLoadingWordingSince) as [number, number, number];
  for (let i = 0; i < 3; i++) {
    const a = numbers[i] as number;
    const b = since[i] as number;
    if (a !== b) return a > b;
  }
  return true;
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
 * "Available KV cache memory"; at the end when no such line is there.
 */
export function withModelLoadingLine(lines: readonly string[], line: string): string[] {
  const at = lines.findIndex((l) => l.startsWith("Available KV cache memory:"));
  if (at < 0) return [...lines, line];
  return [...lines.slice(0, at), line, ...lines.slice(at)];
}
