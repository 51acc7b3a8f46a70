/**
 * Deterministic text embeddings for the mocks' embedding endpoints (vLLM `/v1/embeddings`,
 * Caikit embedding tasks): hashed word and word-bigram features, L2-normalised, so texts that
 * share words are closer than unrelated ones and the same text always gives the same vector.
 */
import { hashString } from "./random.js";

/**
 * The embedding of `text` with `dim` components (a positive integer; throws {@link RangeError}
 * otherwise). Each lower-cased word and each pair of neighbouring words adds ±1 (sign and slot
 * from a hash) to one component; the result has unit L2 norm. Text without words embeds as a
 * fixed unit vector.
 */
export function embedText(text: string, dim: number): number[] {
  if (!Number.isInteger(dim) || dim < 1) {
    throw new RangeError(`embedding dimension must be a positive integer, got ${dim}`);
  }
  const vector = new Array<number>(dim).fill(0);
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const features = words.length > 0 ? [...words] : ["\u0000empty"];
  for (let i = 0; i + 1 < words.length; i++) features.push(`${words[i]} ${words[i + 1]}`);
  for (const feature of features) {
    const h = hashString(feature);
    const slot = h % dim;
    const sign = hashString(feature, 0x9e3779b9) & 1 ? 1 : -1;
    vector[slot] = (vector[slot] ?? 0) + sign;
  }
  let norm = Math.hypot(...vector);
  if (norm === 0) {
    // Every feature cancelled out: fall back to the first feature's slot.
    vector[hashString(features[0] ?? "") % dim] = 1;
    norm = 1;
  }
  return vector.map((v) => v / norm);
}

/** Cosine similarity of two equal-length vectors (1 for identical directions); 0 if either is zero. */
export function cosineSimilarity(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length)
    throw new RangeError(`vector lengths differ: ${a.length} vs ${b.length}`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
