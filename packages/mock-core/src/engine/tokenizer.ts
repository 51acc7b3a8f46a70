/**
 * A model's tokenizer: the model's own `tokenizer.json` + `tokenizer_config.json` run by
 * `@huggingface/tokenizers`, so token ids equal what vLLM or TGIS return for that model
 * (vllm-openai.md §7: `/tokenize` answers the model tokenizer's ids).
 */
import { Tokenizer as HfTokenizer } from "@huggingface/tokenizers";
import { BoundedMemo } from "./bounded-memo.js";

/** Encodes text to token ids and back, as the served model's tokenizer does. */
export interface Tokenizer {
  /** Number of ids, added (special) tokens included, like `len(tokenizer)` in transformers. */
  readonly vocabSize: number;
  /** Id of `bos_token` from tokenizer_config.json, when the model has one. */
  readonly bosTokenId?: number;
  /** Id of `eos_token` from tokenizer_config.json: generation ends when it is produced. */
  readonly eosTokenId?: number;
  /**
   * Token ids of `text`. `addSpecialTokens` (default true) applies the tokenizer's post-processor
   * (e.g. a leading BOS), as `tokenizer(text)` does in transformers.
   */
  encode(text: string, options?: { addSpecialTokens?: boolean }): number[];
  /**
   * The text of `ids`. `skipSpecialTokens` (default false, as in transformers' `decode`) drops
   * added special tokens such as BOS/EOS. Unknown ids throw a {@link RangeError}.
   */
  decode(ids: readonly number[], options?: { skipSpecialTokens?: boolean }): string;
  /**
   * One token's text as it would appear in output (logprob entries, TGIS token details): the
   * token decoded alone, special tokens kept. A token holding part of a UTF-8 character reads "�".
   */
  tokenText(id: number): string;
  /**
   * `[start, end)` UTF-16 offsets into `text` of each id of `encode(text, { addSpecialTokens:
   * false })`, found by decoding incrementally. A token that ends inside a multi-byte character
   * gets an empty range and the token completing it gets the whole character. Exact when the
   * tokenizer decodes `text` back unchanged (byte-level BPE does); otherwise clamped to `text`.
   * Leading whitespace is left out of a span unless the token is only whitespace.
   */
  offsets(text: string): Array<[start: number, end: number]>;
  /** True for the ids of added special tokens (BOS, EOS, chat markers). */
  isSpecial(id: number): boolean;
}

/** The raw files a {@link Tokenizer} is made from, as parsed JSON objects. */
export interface TokenizerFiles {
  /** The parsed `tokenizer.json`. */
  readonly tokenizerJson: Readonly<Record<string, unknown>>;
  /** The parsed `tokenizer_config.json` (special tokens, chat template); `{}` when absent. */
  readonly tokenizerConfig: Readonly<Record<string, unknown>>;
}

/** A tokenizer_config.json token entry is a string or an AddedToken object `{ content }`. */
function tokenContent(entry: unknown): string | undefined {
  if (typeof entry === "string") return entry;
  if (entry && typeof entry === "object" && "content" in entry) {
    const content = (entry as { content: unknown }).content;
    return typeof content === "string" ? content : undefined;
  }
  return undefined;
}

/**
 * Decodes ids one at a time into text deltas, holding back a delta while it ends in an incomplete
 * UTF-8 character, the way vLLM's incremental detokenizer does (decode a short window of previous
 * tokens with and without the new one and emit the difference, so tokenizers that drop a leading
 * space at the start of a decode still produce correct spacing).
 *
 * A step's outcome is a pure function of its window (the ids from the prefix offset on, and
 * where the read offset splits them), as decoding is of its ids: for windows of at most
 * {@link memoMaxIds} ids it is memoized per tokenizer, so a step seen before costs one map lookup
 * instead of two window decodes. The same text, the same offsets.
 */
export class IncrementalDecoder {
  readonly #tokenizer: Pick<Tokenizer, "decode">;
  readonly #skipSpecialTokens: boolean;
  readonly #steps: StepMemo;
  /**
   * The window's ids in `[0, #end)`: ids before the prefix offset are never read again, so each
   * step that releases text moves the window to the front in place. The array keeps its length
   * (entries past `#end` are stale), so a run of any length reuses one array of a few ids
   * instead of keeping (and regrowing for) every id it decodes. It starts as eight zeros, room
   * for the usual window (up to 5 context ids, a held-back id or two, the new one): a first write
   * to an empty `[]` makes V8 reserve 17 slots (152 bytes), a literal of eight is 40 bytes.
   */
  readonly #ids: number[] = [0, 0, 0, 0, 0, 0, 0, 0];
  #end = 0;
  #prefixOffset = 0;
  #readOffset: number;

  /**
   * @param context ids that precede the decoded ones (the prompt's last few tokens), used only
   *   as left context for spacing; their text is never emitted.
   */
  constructor(
    tokenizer: Pick<Tokenizer, "decode">,
    options: { skipSpecialTokens?: boolean; context?: readonly number[] } = {},
  ) {
    this.#tokenizer = tokenizer;
    this.#skipSpecialTokens = options.skipSpecialTokens ?? true;
    this.#steps = stepMemoOf(tokenizer);
    // vLLM starts from the prompt's last 5 tokens (INITIAL_INCREMENTAL_DETOKENIZATION_OFFSET).
    const context = options.context;
    let end = 0;
    if (context !== undefined) {
      for (let i = Math.max(0, context.length - 5); i < context.length; i++) {
        this.#ids[end++] = context[i] as number;
      }
    }
    this.#end = end;
    this.#readOffset = end;
  }

  #decode(ids: readonly number[]): string {
    return this.#tokenizer.decode(ids, { skipSpecialTokens: this.#skipSpecialTokens });
  }

  /** Adds one id; returns the text it completes ("" while a character is still incomplete). */
  push(id: number): string {
    const ids = this.#ids;
    // Written at the end of the window: in place over a stale entry, or appended.
    ids[this.#end] = id;
    const end = ++this.#end;
    const from = this.#prefixOffset;
    const read = this.#readOffset;
    const size = end - from;
    let delta: string;
    if (size > memoMaxIds || !Number.isInteger(id) || id < 0) delta = this.#step();
    else if (size === 2 && read - from === 1 && id < pairIdLimit) {
      // The usual step, one released token then the new one: both ids and the flag in a number;
      // below 2^14 each (the mocks' own vocabularies) in V8's small-integer range, so a token's
      // look-up allocates no number (nor a closure: peek, then remember on a miss).
      const first = ids[from] as number;
      const flag = this.#skipSpecialTokens ? 1 : 0;
      const small = id < smallPairIdLimit && first < smallPairIdLimit && first >= 0;
      const memo = small ? this.#steps.smallPairs : this.#steps.pairs;
      const key = small
        ? (first * smallPairIdLimit + id) * 2 + flag
        : (first * pairIdLimit + id) * 2 + flag;
      delta = memo.peek(key) ?? memo.remember(key, this.#step());
    } else {
      const key = windowKey(ids, from, read, end, this.#skipSpecialTokens);
      const windows = this.#steps.windows;
      delta = windows.peek(key) ?? windows.remember(key, this.#step());
    }
    // "" is exactly the held-back case: a step that advances always releases some text.
    if (delta !== "") {
      // The new window starts at the old read offset: moved to the front.
      for (let i = read; i < end; i++) ids[i - read] = ids[i] as number;
      this.#prefixOffset = 0;
      this.#readOffset = end - read;
      this.#end = end - read;
    }
    return delta;
  }

  /** The text the newest id completes, or "" to hold it back (vLLM's detokenizer step). */
  #step(): string {
    const window = this.#ids.slice(this.#prefixOffset, this.#end);
    const prefix = this.#decode(window.slice(0, this.#readOffset - this.#prefixOffset));
    const full = this.#decode(window);
    return full.length > prefix.length && !full.endsWith("\uFFFD") ? full.slice(prefix.length) : "";
  }

  /** Text still held back (an incomplete character at the end), released as is. */
  flush(): string {
    // Nothing held back (the usual case): both decodes below would read the same ids.
    if (this.#readOffset === this.#end) {
      this.#prefixOffset = this.#readOffset;
      return "";
    }
    const prefix = this.#decode(this.#ids.slice(this.#prefixOffset, this.#readOffset));
    const full = this.#decode(this.#ids.slice(this.#prefixOffset, this.#end));
    this.#prefixOffset = this.#readOffset = this.#end;
    return full.length > prefix.length ? full.slice(prefix.length) : "";
  }
}

/** Ids below this pack in pairs into one number key (2^21: larger than any vocabulary's ids). */
const pairIdLimit = 2 ** 21;

/** Ids below this pack in pairs into a key under 2^29, a V8 small integer (no heap number). */
const smallPairIdLimit = 2 ** 14;

/** The memoized {@link IncrementalDecoder} steps of one tokenizer. */
interface StepMemo {
  /** Steps of one released token and one new one, by a number packing both ids and the flag. */
  readonly pairs: BoundedMemo<string, number>;
  /** The same for two ids below {@link smallPairIdLimit}, packed in a small integer. */
  readonly smallPairs: BoundedMemo<string, number>;
  /** Every other step of at most {@link memoMaxIds} ids, by a string of the window. */
  readonly windows: BoundedMemo<string>;
}

/** The step memos per tokenizer (weakly held, as the tokenizer). */
const stepMemos = new WeakMap<object, StepMemo>();

function stepMemoOf(tokenizer: object): StepMemo {
  let memo = stepMemos.get(tokenizer);
  if (memo === undefined) {
    memo = {
      pairs: new BoundedMemo(memoMaxEntries),
      smallPairs: new BoundedMemo(memoMaxEntries),
      windows: new BoundedMemo(memoMaxEntries),
    };
    stepMemos.set(tokenizer, memo);
  }
  return memo;
}

/**
 * Short id sequences (at most this many ids) have their decoded text memoized: the
 * {@link IncrementalDecoder} decodes windows of a few tokens twice per generated token, and
 * logprobs decode single tokens, always from the same small set of sentences and vocabulary.
 */
const memoMaxIds = 12;

/** Ids below this go into a window key one UTF-16 code unit each (see {@link windowKey}). */
const charIdLimit = 0x10000;

/**
 * The code units of a short window's key: a marker (0 or 1, the skip flag), the read offset
 * within the window, the window's size, its ids, then zeros up to {@link memoMaxIds}. A fixed
 * length, so one array is reused for every key and no argument list is made per key.
 */
const keyUnits: number[] = new Array<number>(3 + memoMaxIds).fill(0);

/**
 * The memo key of a decode step over `ids[from, end)` split at `read` (a step's key, never a
 * decode's). Ids below 2^16: one flat string of code units (one string per step; the first step
 * of every run, its 5 context ids and the new one, takes this path). Others: the ids as decimal
 * text, "|" where the read offset splits them, after "s" or "k" (the skip flag), so the two
 * forms never meet (code units 0 and 1 against "s" and "k").
 */
function windowKey(
  ids: readonly number[],
  from: number,
  read: number,
  end: number,
  skipSpecialTokens: boolean,
): string {
  let small = true;
  for (let i = from; i < end; i++) {
    const id = ids[i] as number;
    // Integers only (a context id of 1.5 must not read as 1).
    if (!(id >= 0 && id < charIdLimit && (id | 0) === id)) small = false;
  }
  if (small) {
    keyUnits[0] = skipSpecialTokens ? 1 : 0;
    keyUnits[1] = read - from;
    keyUnits[2] = end - from;
    let at = 3;
    for (let i = from; i < end; i++) keyUnits[at++] = ids[i] as number;
    while (at < keyUnits.length) keyUnits[at++] = 0;
    return String.fromCharCode.apply(null, keyUnits);
  }
  let key = skipSpecialTokens ? "s" : "k";
  for (let i = from; i < end; i++) key += (i === read ? "|" : ",") + ids[i];
  return key;
}

/** At most this many memoized decodes per tokenizer (a few MiB); the oldest half goes when full. */
const memoMaxEntries = 65_536;

/**
 * Prompts of at most this many UTF-16 code units have their encodings memoized: load tests and
 * chat clients send the same prompts (and system prompts) again and again, and encoding is a
 * pure function of the text and the special-tokens flag.
 */
const encodeMemoMaxChars = 16_384;

/**
 * The encode memos' budget per tokenizer, in code units of text plus ids kept: at most about
 * 10 MiB (2 bytes a code unit, up to 8 an id), half for encodings with special tokens and half
 * for those without, the oldest half of one dropped when it is full.
 */
const encodeMemoMaxWeight = 1 << 20;

/**
 * Builds a {@link Tokenizer} from a model's tokenizer files. Throws when `tokenizer.json` is not
 * a tokenizer the library understands.
 */
export function createTokenizer(files: TokenizerFiles): Tokenizer {
  const hf = new HfTokenizer(files.tokenizerJson, files.tokenizerConfig);
  const vocab = hf.get_vocab(true);
  let maxId = -1;
  for (const id of vocab.values()) maxId = Math.max(maxId, id);
  const special = new Set<number>();
  for (const [id, token] of hf.get_added_tokens_decoder()) if (token.special) special.add(id);
  const idOf = (entry: unknown): number | undefined => {
    const content = tokenContent(entry);
    return content === undefined ? undefined : hf.token_to_id(content);
  };
  const bosTokenId = idOf(files.tokenizerConfig.bos_token);
  const eosTokenId = idOf(files.tokenizerConfig.eos_token);
  const vocabSize = Math.max(vocab.size, maxId + 1);
  const memo = new BoundedMemo<string>(memoMaxEntries);
  // One memo per special-tokens flag, keyed by the text itself: no key string made per call.
  const encodingMemo = () =>
    new BoundedMemo<readonly number[]>(
      encodeMemoMaxWeight / 2,
      (key, ids) => key.length + ids.length,
    );
  const withSpecial = encodingMemo();
  const withoutSpecial = encodingMemo();
  const encode = (text: string, addSpecialTokens: boolean): number[] =>
    hf.encode(text, { add_special_tokens: addSpecialTokens }).ids;

  const tokenizer: Tokenizer = {
    vocabSize,
    ...(bosTokenId === undefined ? {} : { bosTokenId }),
    ...(eosTokenId === undefined ? {} : { eosTokenId }),
    encode: (text, options) => {
      const special = options?.addSpecialTokens ?? true;
      if (typeof text !== "string" || text.length > encodeMemoMaxChars) {
        return encode(text, special);
      }
      const encodings = special ? withSpecial : withoutSpecial;
      // A copy: callers own the array they get, the memo keeps its own.
      return (encodings.peek(text) ?? encodings.remember(text, encode(text, special))).slice();
    },
    decode: (ids, options) => {
      for (const id of ids) {
        if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
          throw new RangeError(`token id ${id} is out of vocabulary (size ${vocabSize})`);
        }
      }
      if (ids.length === 0) return "";
      const skip = options?.skipSpecialTokens ?? false;
      if (ids.length > memoMaxIds) return hf.decode([...ids], { skip_special_tokens: skip });
      return memo.get(`${skip ? "s" : "k"}${ids.join(",")}`, () =>
        hf.decode([...ids], { skip_special_tokens: skip }),
      );
    },
    tokenText: (id) => tokenizer.decode([id]),
    offsets: (text) => {
      const ids = tokenizer.encode(text, { addSpecialTokens: false });
      const decoder = new IncrementalDecoder(tokenizer, { skipSpecialTokens: false });
      const spans: Array<[number, number]> = [];
      let at = 0;
      for (const [i, id] of ids.entries()) {
        const delta = i === ids.length - 1 ? decoder.push(id) + decoder.flush() : decoder.push(id);
        let start = Math.min(at, text.length);
        at += delta.length;
        const end = Math.min(at, text.length);
        // Like HF's trim_offsets: a token's leading space is not part of its span.
        while (start < end && /\s/u.test(text[start] ?? "") && /\S/u.test(text.slice(start, end))) {
          start++;
        }
        spans.push([start, end]);
      }
      return spans;
    },
    isSpecial: (id) => special.has(id),
  };
  return tokenizer;
}
