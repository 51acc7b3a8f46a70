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
  /**
   * Mean prompt length before filtering; default 264, which leaves a mean of ≈231 after vLLM's
   * filter: a measured vLLM ShareGPT V3 run of 1,000 prompts with a Llama 3 tokenizer sent
   * 230,969 input tokens (substratusai/kubeai docs/benchmarks/llama-3.2-11b-vision.md).
   */
  readonly meanPrompt?: number;
  /**
   * Mean output length before filtering; default 198, which leaves ≈195 after the filter (the
   * same run generated 194,523 tokens).
   */
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
    const prompt = Math.round(logNormal(random, options.meanPrompt ?? 264, options.sigma ?? 0.9));
    const output = Math.round(logNormal(random, options.meanOutput ?? 198, options.sigma ?? 0.9));
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

/** Options of {@link randomDataset}: `vllm bench serve --dataset-name random`'s. Lengths in tokens. */
export interface RandomDatasetOptions {
  /** `--num-prompts`. */
  readonly count: number;
  /** `--random-input-len`; default 1024. */
  readonly inputLen?: number;
  /** `--random-output-len`; default 128. */
  readonly outputLen?: number;
  /** `--random-range-ratio`, in [0, 1); default 0 (every request exactly the asked lengths). */
  readonly rangeRatio?: number;
  /** `--random-prefix-len`: tokens of one prefix shared by every prompt (prefix-cache hits); default 0. */
  readonly prefixLen?: number;
  /** `--seed`; default 0. */
  readonly seed?: number;
  /** Id prefix; default "req". */
  readonly idPrefix?: string;
}

/**
 * Requests shaped like vLLM's random dataset (vllm/benchmarks/datasets.py `RandomDataset`): input
 * and output lengths drawn uniformly from the integers in [floor(len × (1 − r)), ceil(len × (1 +
 * r))] (outputs at least 1), the shared prefix added in front of the input. Prompts are lengths
 * (never cache hits) unless there is a prefix; then they are token ids, the prefix the same in
 * all, the rest unique to each request. Throws a RangeError for a ratio outside [0, 1) or bad
 * lengths, as vLLM refuses them.
 */
export function randomDataset(options: RandomDatasetOptions): SimulatedRequest[] {
  const inputLen = options.inputLen ?? 1024;
  const outputLen = options.outputLen ?? 128;
  const ratio = options.rangeRatio ?? 0;
  const prefixLen = options.prefixLen ?? 0;
  if (!(ratio >= 0 && ratio < 1)) throw new RangeError("range ratio must be in [0, 1)");
  for (const [name, n] of [
    ["count", options.count],
    ["input length", inputLen],
    ["output length", outputLen],
    ["prefix length", prefixLen],
  ] as const) {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`${name} must be a whole number ≥ 0`);
  }
  const inputLow = Math.floor(inputLen * (1 - ratio));
  const inputHigh = Math.ceil(inputLen * (1 + ratio));
  const outputLow = Math.max(1, Math.floor(outputLen * (1 - ratio)));
  const outputHigh = Math.max(1, Math.ceil(outputLen * (1 + ratio)));
  if (prefixLen + inputLow < 1) throw new RangeError("the shortest prompt would be empty");
  const random = seededRandom(options.seed ?? 0);
  const between = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
  const prefix = Array.from({ length: prefixLen }, (_, i) => i);
  const idPrefix = options.idPrefix ?? "req";
  const requests: SimulatedRequest[] = [];
  // Unique tokens start past the prefix's and never repeat across requests.
  let nextToken = prefixLen;
  for (let i = 0; i < options.count; i++) {
    const input = between(inputLow, inputHigh);
    const output = between(outputLow, outputHigh);
    let prompt: readonly number[] | number = prefixLen + input;
    if (prefixLen > 0) {
      const own = Array.from({ length: input }, (_, j) => nextToken + j);
      nextToken += input;
      prompt = [...prefix, ...own];
    }
    requests.push({ id: `${idPrefix}-${i}`, prompt, outputTokens: output });
  }
  return requests;
}

/** Options of {@link repeatedPrompts}. Lengths in tokens. */
export interface RepeatedPromptsOptions {
  /** Number of requests. */
  readonly count: number;
  /** Distinct prompts the client cycles through, in order. */
  readonly distinct: number;
  /** Tokens every prompt starts with (a chat template's headers), the same in all. */
  readonly sharedPrefix: number;
  /** Tokens after the shared prefix, different in each distinct prompt. */
  readonly ownTokens: number;
  /** `max_tokens` of every request (all run to it). */
  readonly outputTokens: number;
  /** Id prefix; default "req". */
  readonly idPrefix?: string;
}

/**
 * A client that cycles through a small fixed list of prompts (as a benchmark harness does with its
 * built-in prompts): request i sends prompt i mod `distinct`, as token ids, so repeats are prefix
 * cache hits just as they are on vLLM. Throws a RangeError for counts or lengths that are not
 * whole numbers, or no distinct prompt.
 */
export function repeatedPrompts(options: RepeatedPromptsOptions): SimulatedRequest[] {
  const { count, distinct, sharedPrefix, ownTokens, outputTokens } = options;
  for (const [name, n] of [
    ["count", count],
    ["shared prefix", sharedPrefix],
    ["own tokens", ownTokens],
    ["output tokens", outputTokens],
  ] as const) {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`${name} must be a whole number ≥ 0`);
  }
  if (!Number.isInteger(distinct) || distinct < 1)
    throw new RangeError("distinct must be a whole number ≥ 1");
  const prefix = Array.from({ length: sharedPrefix }, (_, i) => i);
  const prompts = Array.from({ length: distinct }, (_, p) => [
    ...prefix,
    ...Array.from({ length: ownTokens }, (_, j) => sharedPrefix + p * ownTokens + j),
  ]);
  const idPrefix = options.idPrefix ?? "req";
  return Array.from({ length: count }, (_, i) => ({
    id: `${idPrefix}-${i}`,
    prompt: prompts[i % distinct] as number[],
    outputTokens,
  }));
}

/** How {@link assignLoras} picks each request's adapter: `vllm bench serve --lora-assignment`'s choices. */
export type LoraAssignment = "random" | "round-robin";

/** Options of {@link assignLoras}. */
export interface AssignLorasOptions {
  /** `--lora-modules`: adapter names; at least one. */
  readonly modules: readonly string[];
  /** `--lora-assignment`; default "random" (vLLM's). */
  readonly assignment?: LoraAssignment;
  /** Seed of the random choice; default 0. */
  readonly seed?: number;
}

/**
 * Gives each request that names no LoRA adapter one of `modules`, as `vllm bench serve
 * --lora-modules` does (its help: "For each request, the script chooses a LoRA module at random",
 * or cycles through them with `--lora-assignment round-robin`). Requests that name one keep it.
 * Seeded: the same seed gives the same adapters. Throws a RangeError for no module or an empty
 * name.
 */
export function assignLoras(
  requests: readonly SimulatedRequest[],
  options: AssignLorasOptions,
): SimulatedRequest[] {
  const { modules } = options;
  if (modules.length === 0 || modules.some((m) => m === "")) {
    throw new RangeError("LoRA modules must be one or more non-empty names");
  }
  const random = seededRandom(options.seed ?? 0);
  const roundRobin = options.assignment === "round-robin";
  let turn = 0;
  return requests.map((request) => {
    if (request.lora !== undefined) return request;
    const index = roundRobin ? turn++ % modules.length : Math.floor(random() * modules.length);
    return { ...request, lora: modules[index] as string };
  });
}
