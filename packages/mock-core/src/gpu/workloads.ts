/**
 * Deterministic synthetic workloads for calibration and `simulate` runs: the engine's seeded PRNG and
 * prompt/output length distributions shaped like the benchmark datasets vLLM's serving benchmark
 * uses. Same seed, same requests.
 */
import { seededRandom } from "../engine/random.js";
import type { SimulatedRequest } from "./simulate.js";

/** A log-normal sample with the given mean and shape sigma (Box-Muller). */
function logNormal(random: () => number, mean: number, sigma: number): number {
  const u = Math.max(random(), Number.EPSILON);
  const v = random();
  const normal = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  return Math.exp(Math.log(mean) - (sigma * sigma) / 2 + sigma * normal);
}

/** Options of {@link shareGptLike}. Lengths in tokens. */
export interface ShareGptLikeOptions {
  /** Number of requests. */
  readonly count: number;
  /** PRNG seed; default 0. */
  readonly seed?: number;
  /** Mean prompt length before filtering; default 220. */
  readonly meanPrompt?: number;
  /** Mean output length before filtering; default 200. */
  readonly meanOutput?: number;
  /** Log-normal shape; default 0.9 (ShareGPT's lengths are heavy-tailed). */
  readonly sigma?: number;
  /** Id prefix; default "req". */
  readonly idPrefix?: string;
}

/**
 * Requests shaped like vLLM's ShareGPT sampling: log-normal prompt and output lengths, kept only
 * when both are at least 4 tokens, the prompt at most 1024 and prompt + output at most 2048 (the
 * filter of vLLM's benchmark dataset loader). Prompts are unique (no prefix-cache hits).
 */
export function shareGptLike(options: ShareGptLikeOptions): SimulatedRequest[] {
  const random = seededRandom(options.seed ?? 0);
  const requests: SimulatedRequest[] = [];
  const prefix = options.idPrefix ?? "req";
  while (requests.length < options.count) {
    const prompt = Math.round(logNormal(random, options.meanPrompt ?? 220, options.sigma ?? 0.9));
    const output = Math.round(logNormal(random, options.meanOutput ?? 200, options.sigma ?? 0.9));
    if (prompt < 4 || output < 4 || prompt > 1024 || prompt + output > 2048) continue;
    requests.push({ id: `${prefix}-${requests.length}`, prompt, outputTokens: output });
  }
  return requests;
}

/** `count` requests of exactly `prompt` input and `output` output tokens (vLLM's random dataset with --ignore-eos). */
export function fixedLength(
  count: number,
  prompt: number,
  output: number,
  idPrefix = "req",
): SimulatedRequest[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${idPrefix}-${i}`,
    prompt,
    outputTokens: output,
  }));
}
