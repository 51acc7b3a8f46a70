/**
 * Seeded randomness for the engines: a 32-bit hash of numbers and a small PRNG, so generated text
 * repeats exactly for the same seed, prompt and parameters.
 */

/** Scratch space for {@link hashNumbers} (one per module: hashing is synchronous). */
const scratch = new DataView(new ArrayBuffer(8));

/** FNV-1a over the 32-bit words of `values` (floats hashed by their bits), as an unsigned int. */
export function hashNumbers(values: Iterable<number>): number {
  let h = 0x811c9dc5;
  const view = scratch;
  for (const v of values) {
    view.setFloat64(0, v);
    for (let i = 0; i < 8; i++) {
      h ^= view.getUint8(i);
      h = Math.imul(h, 0x01000193);
    }
  }
  return h >>> 0;
}

/** FNV-1a over a string's UTF-16 code units, as an unsigned int. */
export function hashString(text: string, salt = 0): number {
  let h = (0x811c9dc5 ^ salt) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A mulberry32 generator: returns floats in [0, 1), fully determined by `seed`. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
