import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { defaultModelSpec, loadModelDir } from "./model-spec.js";
import { IncrementalDecoder } from "./tokenizer.js";

const tinyDir = fileURLToPath(new URL("testdata/tiny-wordpiece", import.meta.url));
const metaspaceDir = fileURLToPath(new URL("testdata/tiny-metaspace", import.meta.url));

describe("built-in default tokenizer (byte-level BPE)", () => {
  test("encode/decode round-trips any text, emoji and accents included", async () => {
    const { tokenizer } = await defaultModelSpec();
    for (const text of [
      "The model reads the prompt.",
      "héllo wörld 😀 ✓",
      "  two  spaces\n\ttab",
      "",
    ]) {
      const ids = tokenizer.encode(text, { addSpecialTokens: false });
      expect(tokenizer.decode(ids)).toBe(text);
    }
  });

  test("special tokens: BOS is added by default and skipped on request", async () => {
    const { tokenizer } = await defaultModelSpec();
    expect(tokenizer.bosTokenId).toBe(0);
    expect(tokenizer.eosTokenId).toBe(1);
    const ids = tokenizer.encode("Hello world");
    expect(ids[0]).toBe(tokenizer.bosTokenId);
    expect(tokenizer.encode("Hello world", { addSpecialTokens: false })).toEqual(ids.slice(1));
    expect(tokenizer.decode(ids)).toBe("<|bos|>Hello world");
    expect(tokenizer.decode(ids, { skipSpecialTokens: true })).toBe("Hello world");
    // A special token written in the text is one token (added tokens are matched first).
    expect(tokenizer.encode("a<|eos|>", { addSpecialTokens: false }).at(-1)).toBe(1);
    expect(tokenizer.isSpecial(1)).toBe(true);
    expect(tokenizer.isSpecial(ids[1] ?? 0)).toBe(false);
  });

  test("memoized decodes of short windows keep skipSpecialTokens apart and stay exact", async () => {
    const { tokenizer } = await defaultModelSpec();
    const ids = tokenizer.encode("Memo check", { addSpecialTokens: true });
    // Skipped first, kept second, then both again: each answer is the uncached one.
    expect(tokenizer.decode(ids, { skipSpecialTokens: true })).toBe("Memo check");
    expect(tokenizer.decode(ids)).toBe("<|bos|>Memo check");
    expect(tokenizer.decode(ids, { skipSpecialTokens: true })).toBe("Memo check");
    expect(tokenizer.decode(ids)).toBe("<|bos|>Memo check");
    // Long sequences (past the memo's window) decode the same way.
    const long = tokenizer.encode("one two three four five six seven eight nine ten eleven twelve");
    expect(long.length).toBeGreaterThan(12);
    expect(tokenizer.decode(long, { skipSpecialTokens: true })).toBe(
      "one two three four five six seven eight nine ten eleven twelve",
    );
  });

  test("memoized encodes are exact, per special-tokens flag, and each caller gets its own array", async () => {
    const { tokenizer } = await defaultModelSpec();
    const text = "Say this is a test, again and again 🌍";
    const first = tokenizer.encode(text);
    first.push(-1); // the caller's array: the memo keeps its own
    expect(tokenizer.encode(text)).toEqual(first.slice(0, -1));
    expect(tokenizer.encode(text)).not.toBe(tokenizer.encode(text));
    expect(tokenizer.encode(text, { addSpecialTokens: false })).toEqual(first.slice(1, -1));
    expect(tokenizer.decode(tokenizer.encode(text, { addSpecialTokens: false }))).toBe(text);
    // Past the memo's length limit encoding is the same function.
    const long = `${text} `.repeat(600);
    expect(long.length).toBeGreaterThan(16_384);
    const ids = tokenizer.encode(long, { addSpecialTokens: false });
    expect(tokenizer.decode(ids)).toBe(long);
    expect(tokenizer.encode(long, { addSpecialTokens: false })).toEqual(ids);
  });

  test("words of the training text are single tokens with their leading space", async () => {
    const { tokenizer } = await defaultModelSpec();
    const ids = tokenizer.encode(" the model", { addSpecialTokens: false });
    expect(ids.map((id) => tokenizer.tokenText(id))).toEqual([" the", " model"]);
  });

  test("offsets cover the text, skip leading spaces, and give a multi-byte char to its last token", async () => {
    const { tokenizer } = await defaultModelSpec();
    const text = "The model 😀!";
    const ids = tokenizer.encode(text, { addSpecialTokens: false });
    const spans = tokenizer.offsets(text);
    expect(spans).toHaveLength(ids.length);
    expect(text.slice(...spans[0]!)).toBe("The");
    expect(text.slice(...spans[1]!)).toBe("model");
    // The emoji is 4 UTF-8 bytes: the pieces before the last one have empty spans.
    const emoji = text.indexOf("😀");
    const emojiSpans = spans.filter(([s, e]) => e > s && text.slice(s, e).includes("😀"));
    expect(emojiSpans).toEqual([[emoji, emoji + 2]]);
    expect(spans.at(-1)).toEqual([text.length - 1, text.length]);
    const joined = spans.map(([s, e]) => text.slice(s, e)).join("");
    expect(joined.replaceAll(" ", "")).toBe(text.replaceAll(" ", ""));
  });

  test("decode rejects ids outside the vocabulary with a RangeError", async () => {
    const { tokenizer } = await defaultModelSpec();
    expect(() => tokenizer.decode([tokenizer.vocabSize])).toThrow(RangeError);
    expect(() => tokenizer.decode([-1])).toThrow(/out of vocabulary/);
    expect(tokenizer.decode([])).toBe("");
  });
});

describe("a hand-made tokenizer.json loaded through loadModelDir", () => {
  test("gives exactly the ids its vocabulary says", async () => {
    // issue 3: --model DIR takes a real tokenizer.json; /tokenize ids equal the model tokenizer's
    const { tokenizer } = await loadModelDir(tinyDir);
    // [CLS]=1 hello=3 world=4 ##s=7 !=8 [SEP]=2, lower-cased by the normalizer
    expect(tokenizer.encode("Hello worlds!")).toEqual([1, 3, 4, 7, 8, 2]);
    expect(tokenizer.encode("Hello zebra", { addSpecialTokens: false })).toEqual([3, 0]);
    expect(tokenizer.decode([1, 3, 4, 7, 8, 2], { skipSpecialTokens: true })).toBe("hello worlds!");
    expect(tokenizer.vocabSize).toBe(9);
    // tokenizer_config.json: bos_token a string, eos_token an AddedToken object
    expect(tokenizer.bosTokenId).toBe(1);
    expect(tokenizer.eosTokenId).toBe(2);
    expect(tokenizer.offsets("Hello worlds!")).toEqual([
      [0, 5],
      [6, 11],
      [11, 12],
      [12, 13],
    ]);
  });
});

describe("a hand-made SentencePiece-style (Metaspace + BPE) tokenizer.json", () => {
  test("gives the ids of its merges and decodes without the leading space", async () => {
    const { tokenizer } = await loadModelDir(metaspaceDir);
    // <s>=1 ▁The=15 ▁cat=18 ▁sat=21 ▁on=23 (merges in testdata/tiny-metaspace/tokenizer.json)
    expect(tokenizer.encode("The cat sat on")).toEqual([1, 15, 18, 21, 23]);
    expect(tokenizer.decode([15, 18, 21])).toBe("The cat sat");
    expect(tokenizer.tokenText(18)).toBe("cat");
    expect(tokenizer.offsets("The cat sat")).toEqual([
      [0, 3],
      [4, 7],
      [8, 11],
    ]);
  });

  test("incremental decoding keeps the spaces a whole-text decode strips", async () => {
    const { tokenizer } = await loadModelDir(metaspaceDir);
    // vLLM primes its detokenizer with the prompt's last tokens so " cat" keeps its space.
    const primed = new IncrementalDecoder(tokenizer, { context: tokenizer.encode("The") });
    expect([18, 21].map((id) => primed.push(id))).toEqual([" cat", " sat"]);
    const fresh = new IncrementalDecoder(tokenizer);
    expect([15, 18].map((id) => fresh.push(id))).toEqual(["The", " cat"]);
  });
});

describe("IncrementalDecoder", () => {
  test("releases a multi-byte character only when complete, and deltas join to the full text", async () => {
    const { tokenizer } = await defaultModelSpec();
    const text = "Snow 😀 covered the hills";
    const ids = tokenizer.encode(text, { addSpecialTokens: false });
    const decoder = new IncrementalDecoder(tokenizer);
    const deltas = ids.map((id) => decoder.push(id));
    expect(deltas.join("") + decoder.flush()).toBe(text);
    expect(deltas).toContain("");
    expect(deltas.some((d) => d.includes("\uFFFD"))).toBe(false);
  });

  test("flush releases a held-back partial character as is, and nothing (without decoding) when none is held", async () => {
    const { tokenizer } = await defaultModelSpec();
    let decodes = 0;
    const counting = {
      decode: (ids: readonly number[], options?: { skipSpecialTokens?: boolean }) => {
        decodes += 1;
        return tokenizer.decode(ids, options);
      },
    };
    const ids = tokenizer.encode("Snow 😀", { addSpecialTokens: false });
    const decoder = new IncrementalDecoder(counting);
    // The emoji's first bytes alone: held back, then released by flush as the tokenizer reads them.
    const last = ids.length - 1;
    const deltas = ids.slice(0, last).map((id) => decoder.push(id));
    expect(deltas.join("")).toBe("Snow ");
    expect(decoder.flush()).toBe(tokenizer.decode(ids.slice(0, last)).slice("Snow ".length));
    // Everything released: flush has nothing to give and decodes nothing (vLLM's finish step).
    const whole = new IncrementalDecoder(counting);
    const text = ids.map((id) => whole.push(id)).join("");
    const before = decodes;
    expect(whole.flush()).toBe("");
    expect(decodes).toBe(before);
    expect(text).toBe("Snow 😀");
  });

  test("a step seen before is answered from the memo with the same delta, held-back steps too", async () => {
    const { tokenizer } = await defaultModelSpec();
    let decodes = 0;
    const counting = {
      decode: (ids: readonly number[], options?: { skipSpecialTokens?: boolean }) => {
        decodes += 1;
        return tokenizer.decode(ids, options);
      },
    };
    const ids = tokenizer.encode("Snow 😀 covered the 🌍 hills", { addSpecialTokens: false });
    const context = tokenizer.encode("It said", { addSpecialTokens: false });
    const run = () => {
      const decoder = new IncrementalDecoder(counting, { context });
      return ids.map((id) => decoder.push(id));
    };
    const first = run();
    const firstDecodes = decodes;
    // Two window decodes per new step, as vLLM's detokenizer (the emoji share a byte step).
    expect(firstDecodes).toBeGreaterThan(ids.length);
    expect(firstDecodes).toBeLessThanOrEqual(2 * ids.length);
    expect(run()).toEqual(first);
    expect(decodes).toBe(firstDecodes); // every step of the second run came from the memo
    expect(first).toContain("");
    expect(first.join("")).toBe("Snow 😀 covered the 🌍 hills");
  });

  test("a window that outgrows the eight ids it starts with (context and a long held-back run) stays exact", () => {
    // detokenizer_utils.py detokenize_incrementally: a step whose text ends in U+FFFD is held
    // back and its ids stay in the window; here 5 context ids and 10 held-back ids make 16.
    const tokenizer = {
      decode: (ids: readonly number[]) =>
        ids.map((id) => `<${id}>`).join("") + ((ids.at(-1) ?? 0) >= 1000 ? "\uFFFD" : ""),
    };
    const decoder = new IncrementalDecoder(tokenizer, { context: [1, 2, 3, 4, 5, 6] });
    const held = Array.from({ length: 10 }, (_, i) => 1000 + i);
    expect(held.map((id) => decoder.push(id))).toEqual(held.map(() => ""));
    expect(decoder.push(7)).toBe(`${held.map((id) => `<${id}>`).join("")}<7>`);
    // The window moved to the front of the grown array: the next steps are one id each.
    expect([decoder.push(8), decoder.push(9), decoder.flush()]).toEqual(["<8>", "<9>", ""]);
  });

  test("pair steps of small and large ids never share a memo key, and stay exact", () => {
    // Two ids under 2^14 pack into a small integer, larger ones into a wide number; (1, 5) and
    // (0, 2^14 + 5) pack to the same value in the two schemes, so they are kept apart.
    let decodes = 0;
    const tokenizer = {
      decode: (ids: readonly number[]) => {
        decodes += 1;
        return ids.map((id) => `<${id}>`).join("");
      },
    };
    const pair = (first: number, second: number) => {
      const decoder = new IncrementalDecoder(tokenizer);
      return [decoder.push(first), decoder.push(second)];
    };
    const wide = 2 ** 14 + 5;
    expect(pair(0, wide)).toEqual(["<0>", `<${wide}>`]);
    expect(pair(1, 5)).toEqual(["<1>", "<5>"]);
    expect(pair(wide, 1)).toEqual([`<${wide}>`, "<1>"]);
    const before = decodes;
    // Seen before: answered from the memo, the same deltas.
    expect(pair(0, wide)).toEqual(["<0>", `<${wide}>`]);
    expect(pair(1, 5)).toEqual(["<1>", "<5>"]);
    expect(decodes).toBe(before); // every step, the one-id windows too
  });

  test("a long run gives vLLM's deltas step for step, decoding only short windows", async () => {
    const { tokenizer } = await defaultModelSpec();
    // vllm/transformers_utils/detokenizer_utils.py detokenize_incrementally, restated over every
    // id kept: decode ids[prefix:] and ids[prefix:read], the difference is the delta unless it
    // ends in U+FFFD (then held back); a released delta moves prefix to read and read to the end.
    const context = tokenizer.encode("The story so far", { addSpecialTokens: false });
    const ids = tokenizer.encode("Snow 😀 covered the 🌍 hills, 日本 of old. ".repeat(25), {
      addSpecialTokens: false,
    });
    const all = context.slice(-5);
    let prefix = 0;
    let read = all.length;
    const expected = ids.map((id) => {
      all.push(id);
      const before = tokenizer.decode(all.slice(prefix, read));
      const full = tokenizer.decode(all.slice(prefix));
      if (full.length <= before.length || full.endsWith("\uFFFD")) return "";
      prefix = read;
      read = all.length;
      return full.slice(before.length);
    });
    let longest = 0;
    const watching = {
      decode: (window: readonly number[], options?: { skipSpecialTokens?: boolean }) => {
        longest = Math.max(longest, window.length);
        return tokenizer.decode(window, options);
      },
    };
    // A tokenizer of its own (the memo is per tokenizer), so every step decodes its window.
    const decoder = new IncrementalDecoder(watching, { context });
    expect(ids.map((id) => decoder.push(id))).toEqual(expected);
    expect(decoder.flush()).toBe("");
    expect(ids.length).toBeGreaterThan(300);
    // The window holds the released token and the ids of one unfinished character at most.
    expect(longest).toBeLessThanOrEqual(8);
  });

  test("window steps keep ids apart that a key of code units could confuse (fractions, ids past 2^16)", () => {
    // A decode whose text depends on the window's first id, so a step answered from another
    // window's memo entry would show.
    const tokenizer = {
      decode: (ids: readonly number[]) => `${ids.map((id) => `<${id}>`).join("")}#${ids[0]}`,
    };
    // The first step of a run with context: the window is the context and the new id.
    const first = (context: number[], id: number) =>
      new IncrementalDecoder(tokenizer, { context }).push(id);
    // detokenize_incrementally's step (vllm/transformers_utils/detokenizer_utils.py) restated.
    const expected = (context: number[], id: number) => {
      const prefix = tokenizer.decode(context);
      const full = tokenizer.decode([...context, id]);
      return full.slice(prefix.length);
    };
    const cases: [number[], number][] = [
      [[1, 2], 7],
      [[1.5, 2], 7],
      [[65_537, 2], 7],
      [[65_536 + 65_537, 2], 7],
      [[1, 2, 3], 7],
      [[1, 2], 65_543],
    ];
    for (const [context, id] of cases) expect(first(context, id)).toBe(expected(context, id));
    // Again, now every answer comes from the memo: still each window's own.
    for (const [context, id] of cases) expect(first(context, id)).toBe(expected(context, id));
  });

  test("uses the context only for spacing, never emits it", async () => {
    const { tokenizer } = await defaultModelSpec();
    const context = tokenizer.encode("The answer is", { addSpecialTokens: false });
    const decoder = new IncrementalDecoder(tokenizer, { context });
    const ids = tokenizer.encode(" yes", { addSpecialTokens: false });
    expect(ids.map((id) => decoder.push(id)).join("")).toBe(" yes");
  });
});
