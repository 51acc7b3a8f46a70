/**
 * vLLM's reasoning parsers (`--reasoning-parser NAME`, vllm/reasoning/): the parser splits a
 * reasoning model's output into its thinking (`reasoning_content`, later `reasoning`) and its
 * answer (`content`), for a whole answer and delta by delta for a stream. This module holds the
 * parsers as data, the two splits as pure functions, and what such a model writes, so the mock's
 * engine can produce it: its thinking, the end marker, then the answer.
 *
 * Facts (vllm-project/vllm): `DeepSeekR1ReasoningParser` and `Qwen3ReasoningParser` both mark the
 * thinking with `<think>` … `</think>` (vllm/reasoning/deepseek_r1_reasoning_parser.py,
 * qwen3_reasoning_parser.py). DeepSeek-R1's chat template puts `<think>\n` into the prompt, so the
 * model's output starts inside the thinking and the parser counts everything before `</think>` as
 * reasoning (basic_parsers.py `extract_reasoning`: no end marker → all reasoning, content null).
 * Qwen3's (original) template lets the model write `<think>` itself, and its parser (vLLM 0.9.0 to
 * ≈0.16) "needs both start and end tokens to be present", else the whole output is content.
 * `GraniteReasoningParser` (vllm/reasoning/granite_reasoning_parser.py, vLLM PR #14202) marks
 * IBM Granite 3.2's thinking with plain text, "Here is my thought process:" … "Here is my
 * response:", and accepts "Here's" for "Here is" in both; the model thinks only when the request's
 * `chat_template_kwargs` has `thinking` set.
 */
import { seededRandom } from "@servingkit/mock-core";
import { releasedBy } from "./profiles.js";

/** One reasoning parser vLLM registers, as data. */
export interface ReasoningParserSpec {
  /** Its `--reasoning-parser` name. */
  readonly name: string;
  /** The first vLLM release that registers it (`major.minor.patch`). */
  readonly since: string;
  /** The marker that opens the thinking. */
  readonly start: string;
  /** The marker that ends the thinking; the answer follows it. */
  readonly end: string;
  /**
   * Whether the model writes `start` itself (qwen3) rather than finding it at the end of its
   * prompt, put there by the chat template (deepseek_r1).
   */
  readonly modelOpens: boolean;
  /**
   * Whether the output holds reasoning only between both markers (qwen3: without them the whole
   * output is content); else the text before `end` is reasoning, `start` or not (deepseek_r1).
   */
  readonly startRequired: boolean;
  /**
   * The `chat_template_kwargs` key that switches the thinking (qwen3: `enable_thinking`, granite:
   * `thinking`), or undefined where the model always thinks.
   */
  readonly thinkingSwitch?: string;
  /**
   * Whether the model thinks when the request leaves `thinkingSwitch` unset (qwen3: yes, off only
   * with `false`; granite: no, on only with a truthy value). Default true.
   */
  readonly thinksByDefault?: boolean;
  /**
   * Whether the template asks for the thinking in its own default system prompt only, so a
   * request with its own system message first, or with tools, gets no thinking whatever the
   * switch says (granite: Granite 3.2's template reaches `elif thinking` only after its
   * `messages[0]['role'] == 'system'` and `available_tools` branches).
   */
  readonly thinkingInDefaultSystem?: boolean;
  /** Other spellings of `start` the parser accepts (granite: "Here's my thought process:"). */
  readonly startVariants?: readonly string[];
  /** Other spellings of `end` the parser accepts (granite: "Here's my response:"). */
  readonly endVariants?: readonly string[];
  /**
   * Whether a stream enters the thinking only where the output BEGINS with `start` (granite's
   * `_get_content_sections` counts a start marker from the output's first character only; else
   * all of the stream is content), rather than wherever `start` appears (qwen3).
   */
  readonly leadingStart?: boolean;
}

/**
 * The parsers the mock runs, in the order vLLM registers them (vllm/reasoning/__init__.py imports
 * them alphabetically). deepseek_r1 arrived with reasoning outputs in v0.7.1 (vLLM PR #12473, Jan
 * 2025); granite with vLLM PR #14202 (reviewed 2025-03-05, merge date not found): absent from the
 * v0.7.3 docs' reasoning_outputs.md, listed in v0.8.3's, so the mock registers it from v0.8.3
 * (conservative: 0.8.0-0.8.2 may have it too); qwen3 after v0.8.5 (vllm issue #17441: "0.8.5 not
 * support reasoning-parser qwen3", the parser only on main), so from v0.9.0.
 */
export const reasoningParsers: readonly ReasoningParserSpec[] = [
  {
    name: "deepseek_r1",
    since: "0.7.1",
    start: "<think>",
    end: "</think>",
    modelOpens: false,
    startRequired: false,
  },
  {
    name: "granite",
    since: "0.8.3",
    start: "Here is my thought process:",
    end: "Here is my response:",
    modelOpens: true,
    startRequired: true,
    thinkingSwitch: "thinking",
    thinksByDefault: false,
    thinkingInDefaultSystem: true,
    startVariants: ["Here's my thought process:"],
    endVariants: ["Here's my response:"],
    leadingStart: true,
  },
  {
    name: "qwen3",
    since: "0.9.0",
    start: "<think>",
    end: "</think>",
    modelOpens: true,
    startRequired: true,
    thinkingSwitch: "enable_thinking",
  },
];

/**
 * The parser `name` as vLLM `version` registers it. Throws vLLM's start-up error for a name it
 * does not register (api_server.py `validate_api_server_args`: `KeyError: invalid reasoning
 * parser: NAME (chose from { a,b })`), listing the parsers the mock runs at that version; before
 * v0.7.1, which has no such flag, argparse's "unrecognized arguments: --reasoning-parser".
 */
export function reasoningParserFor(name: string, version: string): ReasoningParserSpec {
  const known = reasoningParsers.filter((parser) => releasedBy(version, parser.since));
  if (known.length === 0) throw new Error("unrecognized arguments: --reasoning-parser");
  const found = known.find((parser) => parser.name === name);
  if (found === undefined) {
    const names = known.map((parser) => parser.name).join(",");
    throw new Error(`invalid reasoning parser: ${name} (chose from { ${names} })`);
  }
  return found;
}

/**
 * Whether the model thinks for a request's `chat_template_kwargs`: Qwen3's template with
 * `enable_thinking: false` puts an empty `<think>\n\n</think>\n\n` into the prompt, so the model
 * answers at once and the parser finds only content (vLLM docs reasoning_outputs.md: "The
 * reasoning feature for the Qwen3 series is enabled by default. To disable it, you must pass
 * enable_thinking=False in your chat_template_kwargs"); Granite 3.2 thinks only when asked (same
 * docs, from v0.8.3: "IBM Granite 3.2 reasoning is disabled by default; to enable it, you must
 * also pass thinking=True in your chat_template_kwargs"), for any value the template's `if`
 * counts as true (Jinja: not false, 0, "", an empty list or object, null), and only where the
 * template writes its own system prompt: Granite 3.2's chat template puts the thinking
 * instruction ("Write your thoughts after 'Here is my thought process:' …") into its default
 * system message under `elif thinking`, after the branches for a request's own system message
 * and for tools, so `chat` with either leaves the model answering directly; deepseek_r1's models
 * always think.
 */
export function thinksFor(
  parser: ReasoningParserSpec,
  chatTemplateKwargs: Readonly<Record<string, unknown>> | undefined,
  chat?: ThinkingChat,
): boolean {
  const key = parser.thinkingSwitch;
  if (key === undefined) return true;
  if (parser.thinkingInDefaultSystem && (chat?.systemFirst || chat?.tools)) return false;
  const value = chatTemplateKwargs?.[key];
  if (parser.thinksByDefault ?? true) return value !== false;
  return jinjaTruthy(value);
}

/** What of a chat request the template looks at before its thinking switch. */
export interface ThinkingChat {
  /** Whether the first message is the request's own system message. */
  readonly systemFirst: boolean;
  /** Whether the request has tools (the template's `available_tools`). */
  readonly tools: boolean;
}

/** Whether Jinja's `{% if value %}` takes the branch (Python truthiness of the JSON value). */
function jinjaTruthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (value !== null && typeof value === "object") return Object.keys(value).length > 0;
  return Boolean(value);
}

/** Where the first of `markers` occurs in `text` from `from`: its index and its end. */
function firstMarker(
  text: string,
  markers: readonly string[],
  from: number,
): { readonly at: number; readonly end: number } | undefined {
  let best: { at: number; end: number } | undefined;
  for (const marker of markers) {
    const at = text.indexOf(marker, from);
    if (at >= 0 && (best === undefined || at < best.at)) best = { at, end: at + marker.length };
  }
  return best;
}

/** `start` and its variants, the spellings the parser accepts. */
function startsOf(parser: ReasoningParserSpec): readonly string[] {
  return parser.startVariants === undefined
    ? [parser.start]
    : [parser.start, ...parser.startVariants];
}

/** `end` and its variants, the spellings the parser accepts. */
function endsOf(parser: ReasoningParserSpec): readonly string[] {
  return parser.endVariants === undefined ? [parser.end] : [parser.end, ...parser.endVariants];
}

/** A whole answer split by a parser: either part null where the parser finds none. */
export interface ReasoningSplit {
  readonly reasoning: string | null;
  readonly content: string | null;
}

/**
 * Splits a whole output as the parser's `extract_reasoning` does. deepseek_r1 (basic_parsers.py):
 * drops everything through `start` if present; without `end` the rest is reasoning and content is
 * null; else reasoning is the text before `end` and content the text after it, null when empty.
 * qwen3 (≈0.9-0.16): without both markers the whole output is content and reasoning null; else as
 * deepseek_r1.
 */
export function splitReasoning(parser: ReasoningParserSpec, text: string): ReasoningSplit {
  if (parser.leadingStart) return splitGranite(parser, text);
  if (parser.startRequired && (!text.includes(parser.start) || !text.includes(parser.end))) {
    return { reasoning: null, content: text };
  }
  const at = text.indexOf(parser.start);
  const rest = at < 0 ? text : text.slice(at + parser.start.length);
  const end = rest.indexOf(parser.end);
  if (end < 0) return { reasoning: rest, content: null };
  const content = rest.slice(end + parser.end.length);
  return { reasoning: rest.slice(0, end), content: content === "" ? null : content };
}

/**
 * granite's `extract_reasoning_content`: a regex search for a start spelling, the shortest text up
 * to an end spelling, the rest (DOTALL); no match → the whole output is content, reasoning null;
 * the text before the start marker is dropped; reasoning kept as found ("" stays ""), content null
 * when empty.
 */
function splitGranite(parser: ReasoningParserSpec, text: string): ReasoningSplit {
  const start = firstMarker(text, startsOf(parser), 0);
  const end = start === undefined ? undefined : firstMarker(text, endsOf(parser), start.end);
  if (start === undefined || end === undefined) return { reasoning: null, content: text };
  const content = text.slice(end.end);
  return { reasoning: text.slice(start.end, end.at), content: content === "" ? null : content };
}

/**
 * What one stream delta carries after the parser (vLLM's `DeltaMessage`): `reasoning` while the
 * model thinks, `content` after; the delta that ends the thinking carries the reasoning before
 * `end` and the content after it, `content: null` when none follows (the parsers'
 * `DeltaMessage(reasoning=…, content=content if content else None)`).
 */
export interface ReasoningDelta {
  readonly reasoning?: string;
  readonly content?: string | null;
}

/** No marker to look for (in the answer, once the thinking is over). */
const noMarkers: readonly string[] = [];

/**
 * The longest end of `text` that is a proper beginning of one of `markers` (a marker still
 * arriving).
 */
function partialMarker(text: string, markers: readonly string[]): number {
  let most = 0;
  for (const marker of markers) {
    for (let n = Math.min(text.length, marker.length - 1); n > most; n--) {
      if (marker.startsWith(text.slice(text.length - n))) {
        most = n;
        break;
      }
    }
  }
  return most;
}

/**
 * Splits a streamed output delta by delta, as the parser's `extract_reasoning_streaming` does.
 * Real models write a marker as one token, so vLLM sees it whole (and skips a delta that is only a
 * marker); the mock's tokenizer may split a marker across tokens, so the end of a delta that could
 * begin one is held back until the next delta shows whether it does. A marker never goes out.
 * deepseek_r1 starts inside the thinking; qwen3 starts in the answer and enters the thinking at
 * `start` (its streaming parser: "thinking is disabled, just content" until it sees `start`);
 * granite enters it only where the output begins with a start spelling, holding the output while
 * it could still become one (`_get_delta_message_with_no_reasoning_bounds`: nothing while the text
 * is a beginning of a start marker, all of it as content once it is not, content from then on).
 */
export class ReasoningStream {
  readonly #parser: ReasoningParserSpec;
  readonly #starts: readonly string[];
  readonly #ends: readonly string[];
  #thinking: boolean;
  /** Whether `start` has been passed (qwen3 thinks once). */
  #opened: boolean;
  #held = "";

  /** @param parser the server's parser. */
  constructor(parser: ReasoningParserSpec) {
    this.#parser = parser;
    this.#starts = startsOf(parser);
    this.#ends = endsOf(parser);
    this.#thinking = !parser.startRequired;
    this.#opened = !parser.startRequired;
  }

  /**
   * Whether the output is inside the thinking now: where the parser puts a delta that has no
   * text (an EOS step), which vLLM's parsers still return (`DeltaMessage(reasoning=delta_text)`
   * while thinking, `DeltaMessage(content=delta_text)` after) and the Responses stream sends.
   */
  get thinking(): boolean {
    return this.#thinking;
  }

  /** The delta for the output text `text`, or undefined where nothing goes out (a marker). */
  push(text: string): ReasoningDelta | undefined {
    let rest = this.#held + text;
    this.#held = "";
    let reasoning = "";
    let content = "";
    let ended = false;
    for (;;) {
      if (!this.#thinking && !this.#opened && this.#parser.leadingStart) {
        // granite: `rest` is the whole output so far; a start counts only at its beginning.
        const start = this.#starts.find((marker) => rest.startsWith(marker));
        if (start !== undefined) {
          this.#thinking = true;
          this.#opened = true;
          rest = rest.slice(start.length);
          continue;
        }
        if (this.#starts.some((marker) => marker.startsWith(rest))) {
          this.#held = rest;
          break;
        }
        this.#opened = true;
      }
      const markers = this.#thinking ? this.#ends : this.#opened ? noMarkers : this.#starts;
      const found = firstMarker(rest, markers, 0);
      if (found !== undefined) {
        if (this.#thinking) {
          reasoning += rest.slice(0, found.at);
          ended = true;
        } else content += rest.slice(0, found.at);
        this.#thinking = !this.#thinking;
        this.#opened = true;
        rest = rest.slice(found.end);
        continue;
      }
      const keep = partialMarker(rest, markers);
      this.#held = rest.slice(rest.length - keep);
      const out = rest.slice(0, rest.length - keep);
      if (this.#thinking) reasoning += out;
      else content += out;
      break;
    }
    if (ended) {
      if (reasoning === "" && content === "") return undefined;
      return reasoning === ""
        ? { content }
        : { reasoning, content: content === "" ? null : content };
    }
    if (reasoning !== "" && content !== "") return { reasoning, content };
    if (reasoning !== "") return { reasoning };
    return content === "" ? undefined : { content };
  }

  /**
   * The text held back at the end of the output (a marker's beginning that stayed text). granite
   * sends none: its markers are several tokens in vLLM too, and its streaming parser, run once per
   * delta, never sends what it held back when the output ends there.
   */
  finish(): ReasoningDelta | undefined {
    const held = this.#held;
    this.#held = "";
    if (held === "" || this.#parser.leadingStart) return undefined;
    return this.#thinking ? { reasoning: held } : { content: held };
  }
}

/**
 * What a reasoning model served with `parser` writes: its thinking, `end` on a line of its own, a
 * blank line, the answer; qwen3 opens with `start` itself (Qwen3's template leaves it to the
 * model), deepseek_r1 does not (DeepSeek-R1's template ends the prompt with `<think>\n`). The
 * whitespace is the models' own layout (`<think>\n…\n</think>\n\n…`).
 */
export function reasoningOutput(parser: ReasoningParserSpec, thinking: string, answer: string) {
  const opening = parser.modelOpens ? `${parser.start}\n` : "";
  return `${opening}${thinking}\n${parser.end}\n\n${answer}`;
}

/**
 * The whole text a reasoning model writes for one answer: its thinking, the end marker, then
 * `answer(random)` (the forced or echoed text, or sentences). `random` is seeded from the prompt
 * ids alone when greedy (the same prompt, the same text), from the ids and `seed` with a seed, at
 * random otherwise; `index` (choice number) moves the seed except when greedy.
 */
export function thinkingAnswer(
  parser: ReasoningParserSpec,
  ids: readonly number[],
  sampling: { readonly greedy: boolean; readonly seed: number | undefined; readonly index: number },
  answer: (random: () => number) => string,
): string {
  let promptMix = 0x811c9dc5;
  for (const id of ids) promptMix = Math.imul(promptMix ^ id, 0x01000193);
  const base = sampling.greedy
    ? promptMix
    : sampling.seed !== undefined
      ? promptMix ^ sampling.seed
      : Math.floor(Math.random() * 2 ** 32);
  const random = seededRandom((base + (sampling.greedy ? 0 : sampling.index)) >>> 0);
  const thinking = thinkingText(random);
  return reasoningOutput(parser, thinking, answer(random));
}

/** Sentences of a model thinking aloud; servingkit's own words. */
const thinkingSentences: readonly string[] = [
  "Okay, let me think about what the user is asking for here.",
  "First I should make sure I understand the question.",
  "The request is short, so a short and direct answer fits best.",
  "Let me go through the important points one at a time.",
  "I should check that nothing in the question is ambiguous.",
  "There may be more than one way to read this, so I will pick the simplest.",
  "A clear example would help make the answer easier to follow.",
  "I think I have enough to write a helpful reply now.",
];

/** Sentences of an answer after thinking; servingkit's own words. */
const answerSentences: readonly string[] = [
  "Here is a short answer to your question.",
  "The simplest approach is usually the best place to start.",
  "In short, it depends on what you need, but the steps above cover the common case.",
  "I hope this helps, and I am happy to go into more detail.",
  "The key idea is to take one step at a time and check each result.",
  "That is the whole answer in a few words.",
];

function pick(sentences: readonly string[], random: () => number, most: number): string {
  const count = 1 + Math.floor(random() * most);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    out.push(sentences[Math.floor(random() * sentences.length)] ?? "");
  }
  return out.join(" ");
}

/** One or two sentences of thinking, chosen by `random` (deterministic for a seeded one). */
export function thinkingText(random: () => number): string {
  return pick(thinkingSentences, random, 2);
}

/** One or two sentences of an answer, chosen by `random` (deterministic for a seeded one). */
export function answerText(random: () => number): string {
  return pick(answerSentences, random, 2);
}
