/**
 * Generates the built-in default model of `@servingkit/mock-core` (assets/default-model): a
 * byte-level BPE tokenizer trained on text written for servingkit (src/engine/sentences.ts), its
 * tokenizer_config.json with our own chat template, and a config.json. Deterministic: running it
 * twice writes identical files. Run from packages/mock-core: `node scripts/build-default-tokenizer.ts`.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sentences, vocabularyText } from "../src/engine/sentences.ts";

const targetVocabSize = 4096;
const outDir = join(import.meta.dirname, "..", "assets", "default-model");

/** Special tokens first: ids 0..3. */
const specials = ["<|bos|>", "<|eos|>", "<|turn|>", "<|pad|>"];

/** GPT-2's reversible byte -> printable character table, as byte-level BPE tokenizers use it. */
function byteToChar(): string[] {
  const table: string[] = [];
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    table[b] = String.fromCodePoint(printable ? b : 256 + extra++);
  }
  return table;
}

/** The split the ByteLevel pre-tokenizer (use_regex: true) applies before BPE. */
const splitPattern = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

const bytes = byteToChar();
const encoder = new TextEncoder();
const capitalised = vocabularyText.replace(/\b\p{Ll}/gu, (c) => c.toUpperCase());
const corpus = [...sentences, ...sentences.map((s) => ` ${s}`), vocabularyText, capitalised].join(
  "\n",
);

const wordCounts = new Map<string, number>();
for (const piece of corpus.match(splitPattern) ?? []) {
  const mapped = [...encoder.encode(piece)].map((b) => bytes[b]).join("");
  wordCounts.set(mapped, (wordCounts.get(mapped) ?? 0) + 1);
}
const words = [...wordCounts.entries()]
  .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  .map(([word, count]) => ({ symbols: [...word], count }));

const vocab = new Map<string, number>();
for (const s of specials) vocab.set(s, vocab.size);
for (const c of bytes) vocab.set(c, vocab.size);
const merges: [string, string][] = [];

while (vocab.size < targetVocabSize) {
  const pairs = new Map<string, number>();
  for (const { symbols, count } of words) {
    for (let i = 0; i + 1 < symbols.length; i++) {
      const key = `${symbols[i]} ${symbols[i + 1]}`;
      pairs.set(key, (pairs.get(key) ?? 0) + count);
    }
  }
  let best: string | undefined;
  let bestCount = 0;
  for (const [key, count] of pairs) {
    if (count > bestCount || (count === bestCount && best !== undefined && key < best)) {
      best = key;
      bestCount = count;
    }
  }
  if (best === undefined) break;
  const [left = "", right = ""] = best.split(" ");
  const joined = left + right;
  merges.push([left, right]);
  if (!vocab.has(joined)) vocab.set(joined, vocab.size);
  for (const word of words) {
    const out: string[] = [];
    for (let i = 0; i < word.symbols.length; i++) {
      if (word.symbols[i] === left && word.symbols[i + 1] === right) {
        out.push(joined);
        i++;
      } else out.push(word.symbols[i] ?? "");
    }
    word.symbols = out;
  }
}

const byteLevel = { add_prefix_space: false, trim_offsets: true, use_regex: true };
const tokenizer = {
  version: "1.0",
  truncation: null,
  padding: null,
  added_tokens: specials.map((content, id) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  })),
  normalizer: null,
  pre_tokenizer: { type: "ByteLevel", ...byteLevel },
  post_processor: {
    type: "TemplateProcessing",
    single: [
      { SpecialToken: { id: "<|bos|>", type_id: 0 } },
      { Sequence: { id: "A", type_id: 0 } },
    ],
    pair: [
      { SpecialToken: { id: "<|bos|>", type_id: 0 } },
      { Sequence: { id: "A", type_id: 0 } },
      { SpecialToken: { id: "<|bos|>", type_id: 1 } },
      { Sequence: { id: "B", type_id: 1 } },
    ],
    special_tokens: { "<|bos|>": { id: "<|bos|>", ids: [0], tokens: ["<|bos|>"] } },
  },
  decoder: { type: "ByteLevel", ...byteLevel },
  model: {
    type: "BPE",
    dropout: null,
    unk_token: null,
    continuing_subword_prefix: null,
    end_of_word_suffix: null,
    fuse_unk: false,
    byte_fallback: false,
    ignore_merges: false,
    vocab: Object.fromEntries(vocab),
    merges,
  },
};

/** Our own chat template: `<|turn|>role\ncontent<|eos|>\n` per message, tools as a JSON turn. */
const chatTemplate = [
  "{{ bos_token }}",
  "{%- if tools %}<|turn|>tools\n{{ tools | tojson }}{{ eos_token }}\n{% endif %}",
  "{%- for message in messages %}<|turn|>{{ message['role'] }}\n",
  "{% if message['content'] is string %}{{ message['content'] }}",
  "{%- elif message['content'] %}{% for part in message['content'] %}",
  "{%- if part['type'] == 'text' %}{{ part['text'] }}{% endif %}{% endfor %}{% endif %}",
  "{%- if message['tool_calls'] %}{{ message['tool_calls'] | tojson }}{% endif %}",
  "{{ eos_token }}\n{% endfor %}",
  "{%- if add_generation_prompt %}<|turn|>assistant\n{% endif %}",
].join("");

const tokenizerConfig = {
  tokenizer_class: "PreTrainedTokenizerFast",
  bos_token: "<|bos|>",
  eos_token: "<|eos|>",
  pad_token: "<|pad|>",
  add_bos_token: true,
  add_eos_token: false,
  clean_up_tokenization_spaces: false,
  model_max_length: 4096,
  chat_template: chatTemplate,
};

/** Shaped like a small decoder-only transformer's config, so engines can size a KV cache from it. */
const config = {
  architectures: ["ServingkitMockForCausalLM"],
  model_type: "servingkit-mock",
  vocab_size: vocab.size,
  hidden_size: 384,
  intermediate_size: 1536,
  num_hidden_layers: 6,
  num_attention_heads: 6,
  num_key_value_heads: 2,
  head_dim: 64,
  max_position_embeddings: 4096,
  bos_token_id: 0,
  eos_token_id: 1,
  pad_token_id: 3,
  torch_dtype: "bfloat16",
};

mkdirSync(outDir, { recursive: true });
const write = (name: string, value: unknown) =>
  writeFileSync(join(outDir, name), `${JSON.stringify(value, null, 2)}\n`);
write("tokenizer.json", tokenizer);
write("tokenizer_config.json", tokenizerConfig);
write("config.json", config);
console.log(`vocab ${vocab.size}, merges ${merges.length} -> ${outDir}`);
