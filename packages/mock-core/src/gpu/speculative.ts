/**
 * Speculative decoding as vLLM V1 runs it (vllm/v1/spec_decode, vllm/config/speculative.py): each
 * decode step a running sequence proposes k draft tokens, the target model verifies the last
 * sampled token plus the k drafts in one pass (1 + k tokens of the step's budget and compute), and
 * the rejection sampler keeps the longest accepted prefix plus one token of its own, so a step
 * emits 1 + accepted tokens. Here acceptance is drawn from per-position rates with a seeded
 * generator (the simulation stays deterministic); the counters are vLLM's SpecDecodingStats.
 */
import type { DeviceProfile } from "./device-profiles.js";
import {
  attentionLayerCount,
  bytesPerElement,
  decoderLayerParameters,
  kvBytesPerToken,
  type ModelProfile,
  modelProfileFromConfig,
  weightBytesPerGpu,
} from "./model-profiles.js";
import {
  addToLoad,
  attentionFlopsPerPair,
  createStepTimeModel,
  defaultStepTimeParameters,
  type StepLoad,
  type StepTimeModel,
  type StepTimeParameters,
} from "./step-time.js";

/**
 * The `method`s of `--speculative-config` the simulation models: n-gram prompt lookup (drafts on
 * the CPU from the context, no model), the EAGLE family (EAGLE, EAGLE-3, MTP: a one-layer head
 * on the target's hidden states) and a separate draft model (`draft_model`, vLLM 0.15.0 on: a
 * smaller language model of the same vocabulary run k times per step).
 */
export type SpeculativeMethod = "ngram" | "eagle" | "eagle3" | "mtp" | "draft_model";

/** The engine's speculative-decoding setting (EngineCoreConfig.speculative). */
export interface SpeculativeDecoding {
  /** vLLM's `method`. */
  readonly method: SpeculativeMethod;
  /** vLLM's `num_speculative_tokens`: drafts proposed per sequence per decode step (k ≥ 1). */
  readonly numSpeculativeTokens: number;
  /**
   * Per draft position i (0-based), the probability that drafts 0..i are all accepted: the
   * "Per-position acceptance rate" vLLM logs (accepted_per_pos[i] / drafts). Non-increasing, in
   * [0, 1], one per position ({@link acceptanceRates} builds it from one rate).
   */
  readonly acceptanceRates: readonly number[];
  /** Seconds the drafter adds to a step in which any sequence drafts (0 for n-gram); default 0. */
  readonly draftTime?: number;
  /**
   * The drafter's own step-time model ({@link draftModelStepTime} for a separate draft model).
   * When given, a drafting step costs vLLM's proposer passes over that step's load
   * ({@link proposeTime}) and `draftTime` is not read; absent: the fixed `draftTime`.
   */
  readonly drafterStepTime?: StepTimeModel;
  /** Seed of the acceptance draws; default 0. */
  readonly seed?: number;
  /**
   * n-gram only: vLLM's `prompt_lookup_min` / `prompt_lookup_max`, the shortest and longest
   * suffix n-gram looked up in the context (tokens); default {@link defaultPromptLookup} each
   * (vllm/config/speculative.py). Used only for requests that carry their token ids.
   */
  readonly promptLookupMin?: number;
  readonly promptLookupMax?: number;
  /**
   * n-gram only: draft from the token ids of requests that carry them (prompt ids and
   * `outputIds`), as vLLM's proposer does, accepting the drafts that equal the content's next
   * tokens ({@link proposeNgram}); requests without ids keep `acceptanceRates`. Default false:
   * every request draws its acceptance from `acceptanceRates` (a caller that fixed the rate).
   */
  readonly draftFromContent?: boolean;
}

/** vLLM's default `prompt_lookup_min` and `prompt_lookup_max` for n-gram drafting (tokens). */
export const defaultPromptLookup = 5;

/**
 * vLLM's n-gram (prompt lookup) proposal (vllm/v1/spec_decode/ngram_proposer.py
 * `_find_longest_matched_ngram_and_propose_tokens`) over the context `tokens[0, length)` (prompt
 * then output so far): the longest suffix of the context, of `minN` to `maxN` tokens, that also
 * occurs earlier in it (an occurrence may overlap the suffix), at its EARLIEST occurrence when
 * several match at that length; the drafts are the up to `k` tokens that followed it, fewer when
 * the context ends first. Returns the drafts' start index (the drafts are tokens[start, start +
 * count)); count 0 when nothing matches or the context is shorter than `minN`. One pass, about
 * 2.4 µs for a 1,000-token context without repeats (a typed array is fastest).
 */
export function proposeNgram(
  tokens: ArrayLike<number>,
  length: number,
  minN: number,
  maxN: number,
  k: number,
): { readonly start: number; readonly count: number } {
  if (length < minN || k <= 0) return noProposal;
  const last = tokens[length - 1];
  let best = 0;
  let bestEnd = -1;
  // An occurrence ends at `end` (its last token), before the context's last token.
  for (let end = 0; end <= length - 2; end++) {
    if (tokens[end] !== last) continue;
    let n = 1;
    while (n < maxN && n <= end && tokens[end - n] === tokens[length - 1 - n]) n++;
    // Strictly longer only: among equal lengths the earliest occurrence wins.
    if (n > best) {
      best = n;
      bestEnd = end;
      if (best === maxN) break;
    }
  }
  if (best < minN) return noProposal;
  const start = bestEnd + 1;
  return { start, count: Math.min(k, length - start) };
}

const noProposal = Object.freeze({ start: 0, count: 0 });

/**
 * How many of `count` drafts at tokens[start, start + count) the target accepts: the longest
 * prefix equal to the tokens it produces next, tokens[next], tokens[next + 1], … (`next` = the
 * context's length; tokens past the array's end are unknown and reject). Greedy verification keeps
 * exactly that prefix; with sampling the mock treats its content as what the target samples, and
 * an n-gram draft has no draft probabilities, so vLLM's rejection sampler accepts a draft iff the
 * target samples it.
 */
export function acceptedDrafts(
  tokens: ArrayLike<number>,
  start: number,
  count: number,
  next: number,
): number {
  let accepted = 0;
  while (
    accepted < count &&
    next + accepted < tokens.length &&
    tokens[start + accepted] === tokens[next + accepted]
  )
    accepted++;
  return accepted;
}

/**
 * The default per-token acceptance: 0.7, so positions accept at 0.7, 0.49, 0.343, … (i.i.d.
 * tokens, as the EAGLE paper's α). It matches a published vLLM log of an EAGLE-style drafter,
 * "Per-position acceptance rate: 0.691, 0.491, 0.291, 0.182, …" (a `SpecDecoding metrics` line
 * quoted in a public repository), within 0.05 on the first three positions.
 */
export const defaultAcceptanceRate = 0.7;

/**
 * The per-position rates for `k` drafts: a single per-token rate r gives r, r², …, r^k; a list is
 * checked (k entries, each in [0, 1], non-increasing) and copied. Throws a RangeError otherwise.
 */
export function acceptanceRates(rate: number | readonly number[], k: number): number[] {
  if (!Number.isInteger(k) || k < 1)
    throw new RangeError("numSpeculativeTokens must be a positive integer");
  if (typeof rate === "number") {
    if (!(rate >= 0 && rate <= 1)) throw new RangeError("acceptance rate must be in [0, 1]");
    const rates: number[] = [];
    for (let i = 1; i <= k; i++) rates.push(rate ** i);
    return rates;
  }
  if (rate.length !== k)
    throw new RangeError(`acceptance rates: ${rate.length} given for ${k} speculative tokens`);
  let previous = 1;
  for (const r of rate) {
    if (!(r >= 0 && r <= previous))
      throw new RangeError("acceptance rates must be in [0, 1] and non-increasing by position");
    previous = r;
  }
  return [...rate];
}

/**
 * Draws how many of a sequence's drafts are accepted: one uniform draw u per draft, accepted =
 * the number of positions i (among the first `drafts`) with u < rates[i]. Since the rates are
 * non-increasing, position i is accepted with probability rates[i] and only after every position
 * before it. Deterministic per seed (mulberry32).
 */
export class DraftAcceptance {
  readonly #rates: readonly number[];
  #state: number;

  constructor(rates: readonly number[], seed = 0) {
    this.#rates = rates;
    this.#state = seed >>> 0;
  }

  /** Accepted drafts out of `drafts` (≤ the configured k). */
  accepted(drafts: number): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    let accepted = 0;
    while (accepted < drafts && u < (this.#rates[accepted] as number)) accepted++;
    return accepted;
  }
}

/**
 * Speculative-decoding counts of one step or interval: vLLM's SpecDecodingStats
 * (vllm/v1/spec_decode/metrics.py): drafts (sequences that drafted), draft tokens, accepted tokens
 * and accepted tokens per draft position.
 */
export class SpecDecodeCounts {
  drafts = 0;
  draftTokens = 0;
  acceptedTokens = 0;
  /** acceptedPerPosition[i]: drafts whose position i was accepted. */
  readonly acceptedPerPosition: number[];

  /** Counts for `k` draft positions, all 0. */
  constructor(k: number) {
    this.acceptedPerPosition = new Array<number>(k).fill(0);
  }

  /** One sequence drafted `draftTokens` tokens and `accepted` of them were accepted. */
  observe(draftTokens: number, accepted: number): void {
    this.drafts++;
    this.draftTokens += draftTokens;
    this.acceptedTokens += accepted;
    for (let i = 0; i < accepted; i++) (this.acceptedPerPosition[i] as number)++;
  }

  /** Adds `other` (same k) to these counts. */
  add(other: SpecDecodeCounts): void {
    this.drafts += other.drafts;
    this.draftTokens += other.draftTokens;
    this.acceptedTokens += other.acceptedTokens;
    for (let i = 0; i < this.acceptedPerPosition.length; i++)
      (this.acceptedPerPosition[i] as number) += other.acceptedPerPosition[i] ?? 0;
  }
}

/**
 * Seconds an EAGLE-family drafter adds to one decode step on the modelled GPU. Our assumption
 * (vLLM publishes no per-pass cost): the head is one decoder layer (EAGLE, EAGLE-3 and MTP heads
 * are one layer; vllm/config/speculative.py) plus an LM head over the vocabulary, run k times in
 * a chain, and like any small-batch decode each pass is bound by reading those weights at the
 * step model's achieved bandwidth. For Llama 3.1 8B on an H100 that is about 0.56 ms per pass
 * (a layer's share of the weights, 0.5 GB, plus the LM head, 1.05 GB). With the drafter's own
 * numbers (`drafter`, from {@link drafterMemory}) a pass reads its weights instead, plus the
 * target's LM head when it shares it (EAGLE): an EAGLE-3 head with a 32,000-token vocabulary
 * reads 0.85 GB, not 1.55. A separate draft model (`draft_model`) is a whole small model: a pass
 * reads its layers and its own LM head (`passWeightBytes`), at the same achieved bandwidth as
 * the target's decode step (step-time.ts weightRead); Llama 3.2 1B drafting on an H100: 2.47 GB,
 * 0.90 ms per pass. N-gram drafting runs on the CPU and costs 0 here.
 */
export function draftPassTime(options: {
  readonly method: SpeculativeMethod;
  readonly device: DeviceProfile;
  readonly model: ModelProfile;
  readonly tensorParallelSize?: number;
  /** Fraction of peak bandwidth achieved (the step model's `bandwidthEfficiency`). */
  readonly bandwidthEfficiency: number;
  /** The drafter's memory; default: one target layer plus the target's LM head. */
  readonly drafter?: DrafterMemory;
}): number {
  if (options.method === "ngram") return 0;
  const { model, device, drafter } = options;
  const tp = options.tensorParallelSize ?? 1;
  const lmHeadBytes = (model.vocabSize * model.hiddenSize * bytesPerElement(model)) / tp;
  const bytes =
    drafter === undefined
      ? weightBytesPerGpu(model, tp) / model.layers + lmHeadBytes
      : (drafter.passWeightBytes ?? drafter.weightBytes) + (drafter.sharesLmHead ? lmHeadBytes : 0);
  return bytes / (device.memoryBandwidth * options.bandwidthEfficiency);
}

/**
 * The step-time model of a separate draft model (`draft_model`, {@link draftModelProfile}): the
 * target's roofline (step-time.ts) over the draft's layers, KV and LM head, at the draft's
 * tensor-parallel size (vLLM 0.15.0: the target's). The engine's fixed costs per step and per
 * sequence (`stepOverhead`, `perSequenceOverhead`: scheduling, sampling, detokenising) are the
 * target step's and are not paid again by the proposer's passes, so they are 0 here.
 */
export function draftModelStepTime(options: {
  readonly device: DeviceProfile;
  /** The draft model's profile ({@link draftModelProfile}). */
  readonly draft: ModelProfile;
  readonly tensorParallelSize?: number;
  /** The target step model's parameters (efficiencies, all-reduce latency). */
  readonly parameters?: Partial<StepTimeParameters>;
}): StepTimeModel {
  return createStepTimeModel({
    device: options.device,
    model: options.draft,
    tensorParallelSize: options.tensorParallelSize ?? 1,
    parameters: { ...options.parameters, stepOverhead: 0, perSequenceOverhead: 0 },
  });
}

/**
 * The step-time model of an EAGLE, EAGLE-3 or MTP head, priced from the head's own size rather
 * than a fixed time per step: a pass runs the head's decoder layer(s) over the pass's tokens and
 * its LM head over one token per sequence, reading the head's weights (`drafter.passWeightBytes`,
 * else `weightBytes`; plus the target's LM head when it shares it, as {@link draftPassTime}; an
 * EAGLE-3 head's own is in its weights) and
 * the KV of its own attention layers (`drafter.kvLayers`, each the target's per-layer KV; MLA's
 * latent for DeepSeek MTP). vllm/v1/spec_decode/eagle.py `propose` runs the head as a model of
 * its own over `target_token_ids`, then k − 1 times over one token per request with
 * `seq_lens += 1` ({@link proposeTime} applies that to this model). The same roofline as the
 * target's step (step-time.ts): matrix work at `computeEfficiency` of peak, reads at
 * `bandwidthEfficiency`, each phase the slower of the two; two all-reduces per head layer with
 * TP > 1. The engine's fixed per-step and per-sequence costs are the target step's (not paid
 * again, as {@link draftModelStepTime}). A MoE MTP layer reads the experts of one token
 * (`passWeightBytes`) on every pass: a multi-token first pass is compute-bound here anyway. At
 * batch 1 decode a pass costs {@link draftPassTime} plus the head layer's KV read (Llama 3.1 8B
 * EAGLE-3 on an H100: 0.31 ms + 4 KiB per cached token); 256 sequences of 2,000 tokens add
 * about 0.75 ms per pass, which a fixed draft time misses.
 */
export function headStepTime(options: {
  readonly device: DeviceProfile;
  /** The target model (the head's attention shape and dtype are the target's). */
  readonly model: ModelProfile;
  /** The head's memory ({@link drafterMemory}: eagle, eagle3 or mtp). */
  readonly drafter: DrafterMemory;
  /**
   * The method, and the head's config.json as given to {@link drafterMemory}: an EAGLE-3 head's
   * own LM head over `draft_vocab_size` (default `vocab_size`, then the target's) tokens is part
   * of its weights and computes logits once per sequence; default "eagle" (the target's head).
   */
  readonly method?: SpeculativeMethod;
  readonly draftConfig?: Readonly<Record<string, unknown>>;
  readonly tensorParallelSize?: number;
  /** The target step model's parameters (efficiencies, all-reduce latency). */
  readonly parameters?: Partial<StepTimeParameters>;
}): StepTimeModel {
  const { device, model, drafter } = options;
  const tp = options.tensorParallelSize ?? 1;
  const parameters: StepTimeParameters = {
    ...defaultStepTimeParameters,
    ...options.parameters,
    stepOverhead: 0,
    perSequenceOverhead: 0,
  };
  for (const key of ["computeEfficiency", "bandwidthEfficiency"] as const) {
    if (!(parameters[key] > 0 && parameters[key] <= 1))
      throw new RangeError(`${key} must be in (0, 1]`);
  }
  const flops = device.bf16Flops * parameters.computeEfficiency;
  const bandwidth = device.memoryBandwidth * parameters.bandwidthEfficiency;
  const dtype = bytesPerElement(model);
  const sharedHeadBytes = drafter.sharesLmHead
    ? (model.vocabSize * model.hiddenSize * dtype) / tp
    : 0;
  const c = options.draftConfig ?? {};
  const ownHeadBytes =
    options.method === "eagle3"
      ? (draftField(c, "draft_vocab_size", draftField(c, "vocab_size", model.vocabSize)) *
          draftField(c, "hidden_size", model.hiddenSize) *
          dtype) /
        tp
      : 0;
  const passBytes = (drafter.passWeightBytes ?? drafter.weightBytes) + sharedHeadBytes;
  // FLOPs: 2 per parameter per token for the layer(s), per sequence for the LM head's logits.
  const layerParameters =
    (passBytes - sharedHeadBytes - ownHeadBytes) / (model.quantizedWeightBytes ?? dtype);
  const headParameters = (sharedHeadBytes + ownHeadBytes) / dtype;
  const attentionLayers = attentionLayerCount(model);
  const kvPerToken = (kvBytesPerToken(model, tp) / attentionLayers) * drafter.kvLayers;
  const flopsPerPair = (attentionFlopsPerPair(model, tp) / attentionLayers) * drafter.kvLayers;
  const communication = tp > 1 ? 2 * drafter.kvLayers * parameters.allReduceLatency : 0;
  const weightRead = passBytes / bandwidth;
  const linearCompute = (load: StepLoad) =>
    (2 * (load.tokens * layerParameters + load.sequences * headParameters)) / flops;
  const attentionCompute = (load: StepLoad) => (load.attentionPairs * flopsPerPair) / flops;
  const kvRead = (load: StepLoad) => (load.kvTokensRead * kvPerToken) / bandwidth;
  return {
    parameters,
    computeTime: (load) => linearCompute(load) + attentionCompute(load),
    memoryTime: (load) => weightRead + kvRead(load),
    time(load) {
      if (load.sequences === 0) return 0;
      return (
        Math.max(linearCompute(load), weightRead) +
        Math.max(attentionCompute(load), kvRead(load)) +
        communication
      );
    },
  };
}

/**
 * Seconds vLLM's proposer takes for one drafting step (vllm/v1/spec_decode/eagle.py `propose`,
 * which DraftModelProposer inherits): a first pass over every token the target computed in the
 * step (`target_token_ids`, prefill chunks and verified drafts included: the step's `stepLoad`,
 * logits only for each request's last token), then k − 1 passes of one token per request of the
 * batch (`batch_size` = `next_token_ids`), each attending one position further
 * (`seq_lens += 1`). `contexts[i]` is batch member i's tokens in the KV cache after the step
 * (its first `count` entries are read); `scratch` is overwritten (no allocation per step).
 */
export function proposeTime(
  drafter: StepTimeModel,
  stepLoad: StepLoad,
  k: number,
  contexts: Int32Array,
  count: number,
  scratch: StepLoad,
): number {
  let total = drafter.time(stepLoad);
  for (let pass = 1; pass < k; pass++) {
    scratch.tokens = 0;
    scratch.sequences = 0;
    scratch.attentionPairs = 0;
    scratch.kvTokensRead = 0;
    scratch.windowAttentionPairs = 0;
    scratch.windowKvTokensRead = 0;
    for (let i = 0; i < count; i++) addToLoad(scratch, 1, (contexts[i] as number) + pass - 1);
    total += drafter.time(scratch);
  }
  return total;
}

/**
 * vLLM's periodic spec-decode log line (SpecDecodingLogging.log, vllm/v1/spec_decode/metrics.py):
 * "SpecDecoding metrics: Mean acceptance length: 2.89, Accepted throughput: 0.36 tokens/s, Drafted
 * throughput: 1.15 tokens/s, Accepted: 104 tokens, Drafted: 330 tokens, Per-position acceptance
 * rate: 0.691, 0.491, 0.291, Avg Draft acceptance rate: 31.5%". `elapsed` in seconds. The mean
 * acceptance length counts the bonus token (1 + accepted / drafts).
 */
export function formatSpecDecodeLogLine(counts: SpecDecodeCounts, elapsed: number): string {
  const perSecond = (n: number) => (elapsed > 0 ? n / elapsed : 0);
  const drafts = counts.drafts;
  const rates = counts.acceptedPerPosition
    .map((n) => (drafts > 0 ? n / drafts : 0).toFixed(3))
    .join(", ");
  const acceptance =
    counts.draftTokens > 0
      ? ((counts.acceptedTokens / counts.draftTokens) * 100).toFixed(1)
      : "nan";
  return (
    "SpecDecoding metrics: " +
    `Mean acceptance length: ${(1 + (drafts > 0 ? counts.acceptedTokens / drafts : 0)).toFixed(2)}, ` +
    `Accepted throughput: ${perSecond(counts.acceptedTokens).toFixed(2)} tokens/s, ` +
    `Drafted throughput: ${perSecond(counts.draftTokens).toFixed(2)} tokens/s, ` +
    `Accepted: ${counts.acceptedTokens} tokens, ` +
    `Drafted: ${counts.draftTokens} tokens, ` +
    `Per-position acceptance rate: ${rates}, ` +
    `Avg Draft acceptance rate: ${acceptance}%`
  );
}

/**
 * What a drafter adds to vLLM's start-up on each GPU: its weights, loaded with the target's
 * inside the same memory measurement (vllm/v1/worker/gpu_model_runner.py `load_model` calls
 * `drafter.load_model` before `model_memory_usage` is taken), so the KV cache shrinks by them;
 * and its own attention layers, which take KV blocks like the target's (vllm/v1/spec_decode/
 * eagle.py `load_model` registers the draft's attention layers beside the target's, and
 * vllm/v1/core/kv_cache_utils.py groups all layers of one spec together).
 */
export interface DrafterMemory {
  /** Bytes of weights on each GPU the drafter keeps beyond what it shares with the target. */
  readonly weightBytes: number;
  /** The drafter's decoder (attention) layers: each adds one full-attention layer of KV. */
  readonly kvLayers: number;
  /** The drafter uses the target's token embeddings (its own copy is dropped). */
  readonly sharesEmbeddings: boolean;
  /** The drafter uses the target's LM head. */
  readonly sharesLmHead: boolean;
  /**
   * Bytes of the drafter's own weights one drafting pass reads, when a pass runs only part of
   * them (an MTP model of several layers runs one per pass; a draft model looks up rows of its
   * embedding table, not the whole); default {@link weightBytes}.
   */
  readonly passWeightBytes?: number;
  /**
   * KV bytes one token takes in the drafter's own layers on each GPU, when their shape differs
   * from the target's (a separate draft model: its layers, KV heads and head_dim). Then the
   * `kvLayers` are counted at these bytes, not as layers of the target's shape: vLLM keeps one
   * KV cache group whose page holds a block of every layer, target and draft
   * (vllm/v1/core/kv_cache_utils.py `UniformTypeKVCacheSpecs`: full-attention layers of
   * different sizes, one block table, page = the sum of the layers' pages). Absent: the
   * drafter's layers have the target's shape.
   */
  readonly kvBytesPerToken?: number;
}

/** A positive integer field of a draft config, or `fallback` when absent; a TypeError otherwise. */
function draftField(config: Readonly<Record<string, unknown>>, key: string, fallback: number) {
  const value = config[key] ?? fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0)
    throw new TypeError(`draft config.json: "${key}" must be a positive integer`);
  return value;
}

/**
 * The MTP families whose layers the mock counts, by `architectures[0]` of the target's config.json
 * (vllm/config/speculative.py `hf_config_override` turns each into its MTP model, `n_predict` =
 * `num_nextn_predict_layers`), with what one MTP layer holds besides its decoder layer:
 * - MiMo (mimo_mtp.py MiMoMultiTokenPredictorLayer): token and hidden norms, input_proj
 *   (2 × hidden → hidden, a plain nn.Linear: replicated), a Qwen2 decoder layer (q/k/v with
 *   bias) and final_layernorm.
 * - DeepSeek V3 / R1 (deepseek_mtp.py DeepSeekMultiTokenPredictorLayer) and GLM-4.5
 *   (glm4_moe_mtp.py Glm4MoeMultiTokenPredictorLayer): enorm, hnorm, eh_proj (2 × hidden →
 *   hidden, nn.Linear: replicated, model dtype), the shared head's norm, and one decoder layer
 *   of the target's kind past `first_k_dense_replace`: MLA (DeepSeek) or GQA (GLM) with a MoE MLP.
 * - Qwen3-Next (qwen3_next_mtp.py): pre-fc norms for the embedding and the hidden state, fc
 *   (2 × hidden → hidden), a full-attention Qwen3-Next decoder layer with its MoE, and a final
 *   norm; `num_nextn_predict_layers` absent means 1 (`getattr(config, "num_nextn_predict_layers", 1)`).
 */
const mtpFamilies: Readonly<Record<string, { readonly defaultLayers?: number }>> = {
  MiMoForCausalLM: {},
  DeepseekV3ForCausalLM: {},
  Glm4MoeForCausalLM: {},
  Qwen3NextForCausalLM: { defaultLayers: 1 },
};

/**
 * The MTP drafter vLLM builds from the target's own config.json (`method` "mtp") for the families
 * of {@link mtpFamilies}: `num_nextn_predict_layers` MTP layers, each a decoder layer of the
 * target's shape (model-profiles.ts decoderLayerParameters: MLA, MoE and the weight quantization
 * included; a MoE layer loads all its experts) plus the 2 × hidden → hidden projection and three
 * norms; embed_tokens and lm_head are the target's (vllm/v1/spec_decode/eagle.py load_model:
 * "Detected MTP model. Sharing target model embedding weights / lm_head weights with the draft
 * model."). Each layer adds one attention layer of KV (MLA for DeepSeek). Each drafting pass runs
 * one layer (`mtp_layers[start + spec_step_idx]`), reading only the experts one token routes to,
 * and the shared LM head. Undefined for other families (ERNIE, LongCat, …) and for a config
 * without `num_nextn_predict_layers` (Qwen3-Next: 1).
 */
function mtpDrafterMemory(
  target: ModelProfile,
  config: Readonly<Record<string, unknown>>,
  tp: number,
): DrafterMemory | undefined {
  const architectures = config.architectures;
  const architecture = Array.isArray(architectures) ? String(architectures[0]) : "";
  const family = mtpFamilies[architecture];
  if (family === undefined) return undefined;
  const declared = config.num_nextn_predict_layers;
  if ((declared === undefined || declared === null) && family.defaultLayers === undefined)
    return undefined;
  const layers = draftField(config, "num_nextn_predict_layers", family.defaultLayers ?? 1);
  const h = target.hiddenSize;
  const bytes = bytesPerElement(target);
  if (architecture === "MiMoForCausalLM") {
    const qWidth = target.heads * target.headDim;
    const kvWidth = target.kvHeads * target.headDim;
    // Column- and row-parallel matrices (and the q/k/v biases) split over TP; norms and
    // input_proj replicated.
    const sharded =
      h * qWidth +
      qWidth +
      2 * (h * kvWidth + kvWidth) +
      qWidth * h +
      3 * h * target.intermediateSize;
    const replicated = 2 * h * h + 5 * h;
    const perLayer = (sharded / tp + replicated) * bytes;
    return {
      weightBytes: layers * perLayer,
      kvLayers: layers,
      sharesEmbeddings: true,
      sharesLmHead: true,
      passWeightBytes: perLayer,
    };
  }
  const matrix = target.quantizedWeightBytes ?? bytes;
  const layerBytes = (active: boolean) => {
    const p = decoderLayerParameters(target, true, target.moe !== undefined, active);
    // The projection of [embedding; hidden] and three norms, replicated in the model dtype.
    return (p.sharded / tp + p.replicated) * matrix + (p.plain + 2 * h * h + 3 * h) * bytes;
  };
  const perLayer = layerBytes(false);
  return {
    weightBytes: layers * perLayer,
    kvLayers: layers,
    sharesEmbeddings: true,
    sharesLmHead: true,
    passWeightBytes: layerBytes(true),
  };
}

/**
 * The separate draft model vLLM 0.15.0 loads for `method` "draft_model" (PR #24322,
 * vllm/v1/spec_decode/draft_model.py DraftModelProposer), read from its config.json as the
 * target's is (model-profiles.ts modelProfileFromConfig: transformers defaults, RoPE-scaled
 * length), in the target's dtype (the draft's ModelConfig takes `dtype` from the target model's,
 * vllm/config/speculative.py). Throws a TypeError naming a missing field, and a RangeError for a
 * target or draft the mock does not model beside each other: sliding-window, MLA or
 * linear-attention layers (vLLM would then form KV cache groups of different kinds).
 */
export function draftModelProfile(
  target: ModelProfile,
  draftConfig: Readonly<Record<string, unknown>>,
): ModelProfile {
  let draft: ModelProfile;
  try {
    draft = modelProfileFromConfig(draftConfig, "draft model");
  } catch (error) {
    throw new TypeError(`draft ${(error as Error).message}`);
  }
  for (const [which, model] of [
    ["target", target],
    ["draft", draft],
  ] as const) {
    if (
      model.slidingWindow !== undefined ||
      model.mla !== undefined ||
      model.linearAttention !== undefined
    )
      throw new RangeError(
        `draft model: a ${which} model with sliding-window, MLA or linear-attention layers beside a separate draft model is not modelled (KV cache groups of different kinds)`,
      );
  }
  // The drafter runs in the target's dtype and caches KV in the same --kv-cache-dtype.
  if (draft.dtype === target.dtype && draft.kvCacheBytes === target.kvCacheBytes) return draft;
  return target.kvCacheBytes === undefined
    ? { ...draft, dtype: target.dtype }
    : { ...draft, dtype: target.dtype, kvCacheBytes: target.kvCacheBytes };
}

/**
 * What a separate draft model adds on each GPU: all its weights, embeddings and LM head included
 * (DraftModelProposer shares neither with the target: `_maybe_share_embeddings` and
 * `_maybe_share_lm_head` do nothing), split over the draft's tensor-parallel size (vLLM 0.15.0
 * requires the target's); its attention layers in the one KV cache group at their own size
 * ({@link DrafterMemory.kvBytesPerToken}); one drafting pass reads its weights but the embedding
 * table's unread rows (a tied table is read whole as the LM head).
 */
function draftModelMemory(draft: ModelProfile, tp: number): DrafterMemory {
  const weightBytes = weightBytesPerGpu(draft, tp);
  const embeddingBytes = draft.tieWordEmbeddings
    ? 0
    : (draft.vocabSize * draft.hiddenSize * bytesPerElement(draft)) / tp;
  return {
    weightBytes,
    kvLayers: draft.layers,
    sharesEmbeddings: false,
    sharesLmHead: false,
    passWeightBytes: weightBytes - embeddingBytes,
    kvBytesPerToken: kvBytesPerToken(draft, tp),
  };
}

/**
 * The drafter's memory for `--speculative-config` (see {@link DrafterMemory}); undefined for
 * n-gram (no model). Draft model: from its config.json (`draftConfig`), see
 * {@link draftModelMemory}; undefined without it (a hub id). MTP: from the target's config.json (`draftConfig`), see
 * {@link mtpDrafterMemory}; undefined without it or for a family not modelled. Read from the draft
 * checkpoint's config.json when given (`draftConfig`), else for an EAGLE head of the target's own
 * shapes with one layer. Counted as vLLM builds the heads (dtype: the target's):
 * - `eagle` (vllm/model_executor/models/llama_eagle.py): `num_hidden_layers` Llama decoder layers
 *   (the first without its input norm) and `fc` (2 × hidden → hidden, replicated). Embeddings and
 *   LM head are the target's: the loader skips the checkpoint's `embed_tokens` with one pipeline
 *   stage, the head has no `lm_head` of its own, and eagle.py binds the target's.
 * - `eagle3` (llama_eagle3.py): the layers (the first's q/k/v read 2 × hidden; three norms each),
 *   `fc` (3 × `target_hidden_size` or hidden → hidden, replicated; absent when
 *   `eagle_config.use_aux_hidden_state` is false), a final norm, its own `lm_head` over
 *   `draft_vocab_size` (default `vocab_size`) tokens and the int64 `d2t` map of that many entries.
 *   eagle.py shares a head only when the checkpoint has none or it equals the target's; a head
 *   over a smaller draft vocabulary cannot, and one of the full vocabulary is the head's own
 *   training, so it is kept. The embeddings are shared: EAGLE-3 checkpoints carry no
 *   `embed_tokens` (eagle.py: "without its own embed_tokens ... Sharing"); one that did, with
 *   different values, would keep its copy, which a config.json cannot tell.
 * Layer weights are split over `tensorParallelSize`; `fc`, norms and `d2t` are replicated.
 * Throws a RangeError when the draft's KV heads × head_dim differ from the target's (vLLM then
 * needs KV cache groups of different page sizes, which the mock does not model).
 */
export function drafterMemory(options: {
  readonly method: SpeculativeMethod;
  readonly target: ModelProfile;
  /**
   * The draft model's parsed config.json (for MTP: the target's own); default: an EAGLE head of
   * the target's shapes (none for MTP).
   */
  readonly draftConfig?: Readonly<Record<string, unknown>>;
  readonly tensorParallelSize?: number;
}): DrafterMemory | undefined {
  const { method, target } = options;
  const tp = options.tensorParallelSize ?? 1;
  if (method === "draft_model")
    return options.draftConfig === undefined
      ? undefined
      : draftModelMemory(draftModelProfile(target, options.draftConfig), tp);
  if (method === "mtp")
    return options.draftConfig === undefined
      ? undefined
      : mtpDrafterMemory(target, options.draftConfig, tp);
  if (method !== "eagle" && method !== "eagle3") return undefined;
  const c = options.draftConfig ?? {};
  const hidden = draftField(c, "hidden_size", target.hiddenSize);
  const heads = draftField(c, "num_attention_heads", target.heads);
  const kvHeads = draftField(
    c,
    "num_key_value_heads",
    options.draftConfig ? heads : target.kvHeads,
  );
  const headDim = draftField(
    c,
    "head_dim",
    options.draftConfig ? Math.floor(hidden / heads) : target.headDim,
  );
  const intermediate = draftField(c, "intermediate_size", target.intermediateSize);
  const layers = draftField(c, "num_hidden_layers", 1);
  if (kvHeads * headDim !== target.kvHeads * target.headDim)
    throw new RangeError(
      `draft model: ${kvHeads} KV heads × head_dim ${headDim} differ from the target's ${target.kvHeads} × ${target.headDim}; KV cache groups of different page sizes are not modelled`,
    );
  // One decoder layer's sharded matrices with q/k/v reading `qkvIn` features.
  const layerMatrices = (qkvIn: number) =>
    qkvIn * heads * headDim +
    2 * qkvIn * kvHeads * headDim +
    heads * headDim * hidden +
    3 * hidden * intermediate;
  const bytes = bytesPerElement(target);
  let sharded = 0;
  let replicated = 0;
  let extraBytes = 0;
  if (method === "eagle") {
    for (let i = 0; i < layers; i++) {
      sharded += layerMatrices(hidden);
      replicated += (i === 0 ? 1 : 2) * hidden;
    }
    replicated += 2 * hidden * hidden;
  } else {
    for (let i = 0; i < layers; i++) {
      sharded += layerMatrices(i === 0 ? 2 * hidden : hidden);
      replicated += 3 * hidden;
    }
    const aux = c.eagle_config as { use_aux_hidden_state?: unknown } | undefined;
    if (aux?.use_aux_hidden_state !== false)
      replicated += 3 * draftField(c, "target_hidden_size", hidden) * hidden;
    replicated += hidden;
    const vocab = draftField(c, "vocab_size", target.vocabSize);
    const draftVocab = draftField(c, "draft_vocab_size", vocab);
    sharded += draftVocab * hidden;
    extraBytes += draftVocab * 8;
  }
  return {
    weightBytes: (sharded / tp + replicated) * bytes + extraBytes,
    kvLayers: layers,
    sharesEmbeddings: true,
    sharesLmHead: method === "eagle",
  };
}
