import { seededRandom } from "@servingkit/mock-core";
import { describe, expect, it } from "vitest";
import {
  type ReasoningDelta,
  ReasoningStream,
  reasoningOutput,
  reasoningParserFor,
  splitReasoning,
  thinkingAnswer,
  thinkingText,
  thinksFor,
} from "./reasoning-parser.js";

const deepseek = reasoningParserFor("deepseek_r1", "0.12.0");
const qwen3 = reasoningParserFor("qwen3", "0.12.0");

/** Every delta of `pieces` pushed in order, then the finish. */
function stream(parser: typeof deepseek, pieces: readonly string[]): ReasoningDelta[] {
  const split = new ReasoningStream(parser);
  const out: ReasoningDelta[] = [];
  for (const piece of pieces) {
    const delta = split.push(piece);
    if (delta) out.push(delta);
  }
  const last = split.finish();
  if (last) out.push(last);
  return out;
}

/** The reasoning and content a client gets by joining the deltas. */
function joined(deltas: readonly ReasoningDelta[]) {
  return {
    reasoning: deltas.map((d) => d.reasoning ?? "").join(""),
    content: deltas.map((d) => d.content ?? "").join(""),
  };
}

describe("reasoningParserFor", () => {
  // vllm api_server.py validate_api_server_args: KeyError "invalid reasoning parser: NAME
  // (chose from { ... })" at start-up.
  it("refuses an unknown name with vLLM's start-up text", () => {
    expect(() => reasoningParserFor("deepseek", "0.12.0")).toThrow(
      "invalid reasoning parser: deepseek (chose from { deepseek_r1,granite,qwen3 })",
    );
  });

  // deepseek_r1 arrived in v0.7.1 (vLLM PR #12473); qwen3 after 0.8.5 (vllm issue #17441:
  // "0.8.5 not support reasoning-parser qwen3"), so in 0.9.0.
  it("knows a parser only from the release that registers it", () => {
    expect(reasoningParserFor("deepseek_r1", "0.7.1").name).toBe("deepseek_r1");
    expect(() => reasoningParserFor("qwen3", "0.8.5")).toThrow(
      "(chose from { deepseek_r1,granite })",
    );
    expect(reasoningParserFor("qwen3", "0.9.0").name).toBe("qwen3");
  });
});

describe("thinksFor", () => {
  // vLLM docs reasoning_outputs.md: Qwen3 thinks by default; enable_thinking=False in
  // chat_template_kwargs turns it off (the template closes an empty think block in the prompt).
  it("lets qwen3's enable_thinking false turn the thinking off", () => {
    expect(thinksFor(qwen3, undefined)).toBe(true);
    expect(thinksFor(qwen3, { enable_thinking: true })).toBe(true);
    expect(thinksFor(qwen3, { enable_thinking: false })).toBe(false);
    expect(thinksFor(deepseek, { enable_thinking: false })).toBe(true);
    // Without thinking the output has no markers: qwen3's parser answers it all as content.
    expect(splitReasoning(qwen3, "Yes.")).toEqual({ reasoning: null, content: "Yes." });
  });
});

describe("splitReasoning", () => {
  // vllm/reasoning/basic_parsers.py extract_reasoning: start dropped when present, text before
  // the end marker is reasoning, content after it (null when empty); no end → all reasoning.
  it("splits deepseek_r1 output with or without the start marker", () => {
    expect(splitReasoning(deepseek, "hmm\n</think>\n\nYes.")).toEqual({
      reasoning: "hmm\n",
      content: "\n\nYes.",
    });
    expect(splitReasoning(deepseek, "<think>hmm</think>Yes.")).toEqual({
      reasoning: "hmm",
      content: "Yes.",
    });
    expect(splitReasoning(deepseek, "hmm</think>")).toEqual({ reasoning: "hmm", content: null });
    expect(splitReasoning(deepseek, "still thinking")).toEqual({
      reasoning: "still thinking",
      content: null,
    });
  });

  // qwen3_reasoning_parser.py (≈0.9-0.16): "Qwen3 has stricter requirements - it needs both start
  // and end tokens to be present"; otherwise (None, model_output).
  it("splits qwen3 output only between both markers", () => {
    expect(splitReasoning(qwen3, "<think>\nhmm\n</think>\n\nYes.")).toEqual({
      reasoning: "\nhmm\n",
      content: "\n\nYes.",
    });
    expect(splitReasoning(qwen3, "<think>\nstill thinking")).toEqual({
      reasoning: null,
      content: "<think>\nstill thinking",
    });
    expect(splitReasoning(qwen3, "hmm</think>Yes.")).toEqual({
      reasoning: null,
      content: "hmm</think>Yes.",
    });
  });
});

describe("ReasoningStream", () => {
  // basic_parsers.py extract_reasoning_streaming / the deepseek_r1 override: reasoning until the
  // end marker, content after; a delta that is only the marker goes out as nothing.
  it("streams deepseek_r1 reasoning, then content, the marker never", () => {
    expect(stream(deepseek, ["Let", " me", "</think>", "\n\n", "Yes", "."])).toEqual([
      { reasoning: "Let" },
      { reasoning: " me" },
      { content: "\n\n" },
      { content: "Yes" },
      { content: "." },
    ]);
  });

  // The parsers' DeltaMessage(reasoning=…, content=content if content else None) for a delta
  // holding the end marker.
  it("splits a delta holding the end marker", () => {
    expect(stream(deepseek, ["a</think>b"])).toEqual([{ reasoning: "a", content: "b" }]);
    expect(stream(deepseek, ["a</think>", "b"])).toEqual([
      { reasoning: "a", content: null },
      { content: "b" },
    ]);
  });

  it("holds back a marker split across deltas", () => {
    expect(stream(deepseek, ["Let me<", "/th", "ink", ">\n", "\nYes"])).toEqual([
      { reasoning: "Let me" },
      { content: "\n" },
      { content: "\nYes" },
    ]);
  });

  it("releases held text that did not become a marker", () => {
    expect(stream(deepseek, ["a <", "b", "</thi"])).toEqual([
      { reasoning: "a " },
      { reasoning: "<b" },
      { reasoning: "</thi" },
    ]);
    expect(stream(qwen3, ["x <thi", "s"])).toEqual([{ content: "x " }, { content: "<this" }]);
  });

  // qwen3's streaming parser: content until <think> ("thinking is disabled, just content"),
  // reasoning after it until </think>.
  it("streams qwen3 from its start marker", () => {
    const deltas = stream(qwen3, ["<think>", "\nhmm", "\n", "</think>", "\n\nYes"]);
    expect(deltas).toEqual([{ reasoning: "\nhmm" }, { reasoning: "\n" }, { content: "\n\nYes" }]);
    expect(stream(qwen3, ["Just ", "content </think>"])).toEqual([
      { content: "Just " },
      { content: "content </think>" },
    ]);
  });

  it("gives the whole split's parts for any cut of the text", () => {
    const text = reasoningOutput(deepseek, "Let me think.", "Yes, it is.");
    for (let size = 1; size <= 9; size++) {
      const pieces: string[] = [];
      for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
      const whole = splitReasoning(deepseek, text);
      expect(joined(stream(deepseek, pieces))).toEqual({
        reasoning: whole.reasoning,
        content: whole.content,
      });
    }
  });
});

describe("reasoningOutput", () => {
  // DeepSeek-R1's template ends the prompt with "<think>\n" (the model starts inside its
  // thinking); Qwen3's lets the model write "<think>\n" itself.
  it("writes each model's layout", () => {
    expect(reasoningOutput(deepseek, "Hmm.", "Yes.")).toBe("Hmm.\n</think>\n\nYes.");
    expect(reasoningOutput(qwen3, "Hmm.", "Yes.")).toBe("<think>\nHmm.\n</think>\n\nYes.");
  });

  it("thinks the same for the same seed", () => {
    expect(thinkingText(seededRandom(7))).toBe(thinkingText(seededRandom(7)));
    expect(thinkingText(seededRandom(7)).length).toBeGreaterThan(0);
  });
});

describe("thinkingAnswer", () => {
  const greedy = { greedy: true, seed: undefined, index: 0 };

  it("writes the thinking, the end marker and the answer, split back by the parser", () => {
    const text = thinkingAnswer(deepseek, [1, 2, 3], greedy, () => "The answer.");
    expect(splitReasoning(deepseek, text).content).toBe("\n\nThe answer.");
    expect(splitReasoning(deepseek, text).reasoning?.length).toBeGreaterThan(0);
  });

  it("repeats for the same prompt when greedy or seeded, and moves with the seed", () => {
    const answer = () => "x";
    expect(thinkingAnswer(qwen3, [7, 8], greedy, answer)).toBe(
      thinkingAnswer(qwen3, [7, 8], greedy, answer),
    );
    const seeded = (seed: number) =>
      thinkingAnswer(qwen3, [7, 8], { greedy: false, seed, index: 0 }, (random) =>
        String(random()),
      );
    expect(seeded(1)).toBe(seeded(1));
    expect(seeded(1)).not.toBe(seeded(2));
  });
});

describe("ReasoningStream.thinking", () => {
  // basic_parsers.py: an output with no text still gets a DeltaMessage on the parser's side.
  it("says which side an empty delta belongs to", () => {
    const stream = new ReasoningStream(deepseek);
    expect(stream.thinking).toBe(true);
    stream.push("thought</think>");
    expect(stream.thinking).toBe(false);
    expect(new ReasoningStream(qwen3).thinking).toBe(false);
  });
});

describe("granite (vllm/reasoning/granite_reasoning_parser.py, vLLM PR #14202)", () => {
  const granite = reasoningParserFor("granite", "0.12.0");

  // vLLM docs reasoning_outputs.md: absent from v0.7.3's list, "IBM Granite 3.2 language models |
  // granite" in v0.8.3's (the merge date of PR #14202 was not found: the mock starts at 0.8.3).
  it("is registered from 0.8.3, between deepseek_r1 and qwen3", () => {
    expect(() => reasoningParserFor("granite", "0.8.2")).toThrow("(chose from { deepseek_r1 })");
    expect(reasoningParserFor("granite", "0.8.3").name).toBe("granite");
    expect(() => reasoningParserFor("x", "0.9.0")).toThrow(
      "(chose from { deepseek_r1,granite,qwen3 })",
    );
  });

  // reasoning_outputs.md (v0.8.3 on): "IBM Granite 3.2 reasoning is disabled by default; to enable
  // it, you must also pass thinking=True in your chat_template_kwargs"; the template's `if` on the
  // value, so any Jinja-truthy value turns it on.
  it("thinks only when chat_template_kwargs has thinking truthy", () => {
    expect(thinksFor(granite, undefined)).toBe(false);
    expect(thinksFor(granite, {})).toBe(false);
    expect(thinksFor(granite, { thinking: false })).toBe(false);
    expect(thinksFor(granite, { thinking: "" })).toBe(false);
    expect(thinksFor(granite, { thinking: 0 })).toBe(false);
    expect(thinksFor(granite, { thinking: [] })).toBe(false);
    expect(thinksFor(granite, { thinking: true })).toBe(true);
    expect(thinksFor(granite, { thinking: "yes" })).toBe(true);
    expect(thinksFor(granite, { thinking: 1 })).toBe(true);
    expect(thinksFor(granite, { enable_thinking: true })).toBe(false);
  });

  // Granite 3.2's chat template (tokenizer_config.json): `elif thinking` adds the thinking
  // instruction to its default system prompt only, after the branches for the request's own
  // system message and for available_tools.
  it("does not think with a system message or tools of the request's own", () => {
    const on = { thinking: true };
    expect(thinksFor(granite, on, { systemFirst: false, tools: false })).toBe(true);
    expect(thinksFor(granite, on, { systemFirst: true, tools: false })).toBe(false);
    expect(thinksFor(granite, on, { systemFirst: false, tools: true })).toBe(false);
    // qwen3's switch stands alone.
    expect(thinksFor(qwen3, undefined, { systemFirst: true, tools: true })).toBe(true);
  });

  // extract_reasoning_content: regex "(?:Here's|Here is) my thought process:(.*?)(?:Here's|Here
  // is) my response:(.*)" (DOTALL); no match → (None, model_output); empty response → None.
  it("splits a whole output by the regex, either spelling, else all content", () => {
    expect(
      splitReasoning(granite, "Here is my thought process:\nhmm\nHere is my response:\n\nYes."),
    ).toEqual({ reasoning: "\nhmm\n", content: "\n\nYes." });
    expect(splitReasoning(granite, "Here's my thought process: a Here's my response: b")).toEqual({
      reasoning: " a ",
      content: " b",
    });
    expect(splitReasoning(granite, "x Here is my thought process:a Here is my response:")).toEqual({
      reasoning: "a ",
      content: null,
    });
    expect(splitReasoning(granite, "Here is my thought process: still thinking")).toEqual({
      reasoning: null,
      content: "Here is my thought process: still thinking",
    });
    // With thinking off the model answers directly: no marker, the whole output is content.
    expect(splitReasoning(granite, "Here is a short answer.")).toEqual({
      reasoning: null,
      content: "Here is a short answer.",
    });
  });

  // extract_reasoning_content_streaming: nothing while the output is a beginning of a start
  // marker; once it begins with one, reasoning until a response marker (held while it could be
  // one), content after; the markers never go out.
  it("streams reasoning then content, markers cut across tokens held back", () => {
    const deltas = stream(granite, [
      "Here",
      " is my",
      " thought process",
      ":",
      "\nhmm",
      ".\nHere",
      " is",
      " my response",
      ":",
      "\n\nYes",
    ]);
    expect(deltas).toEqual([{ reasoning: "\nhmm" }, { reasoning: ".\n" }, { content: "\n\nYes" }]);
    expect(stream(granite, ["Here's my thought process: a", " Here's my response: b"])).toEqual([
      { reasoning: " a" },
      { reasoning: " ", content: " b" },
    ]);
  });

  // _get_delta_message_with_no_reasoning_bounds: once the output stops being a beginning of a
  // start marker, everything held goes out as content, and the rest of the stream is content.
  it("streams an answer without markers as content, releasing what it held", () => {
    expect(stream(granite, ["Here", " is", " a", " short answer."])).toEqual([
      { content: "Here is a" },
      { content: " short answer." },
    ]);
    // A start marker later in the output is not one: _get_content_sections counts it only from
    // the output's first character.
    expect(stream(granite, ["Yes. ", "Here is my thought process: x"])).toEqual([
      { content: "Yes. " },
      { content: "Here is my thought process: x" },
    ]);
  });

  // The parser runs once per delta: what it holds back when the output ends there never goes out.
  it("sends nothing it held back when the output ends inside a marker", () => {
    expect(stream(granite, ["Here is my"])).toEqual([]);
    expect(stream(granite, ["Here is my thought process:", " a\n", "Here is"])).toEqual([
      { reasoning: " a\n" },
    ]);
  });

  it("gives the whole split's parts for any cut of the text", () => {
    const text = reasoningOutput(granite, "Let me think.", "Here is a short answer.");
    expect(text).toBe(
      "Here is my thought process:\nLet me think.\nHere is my response:\n\nHere is a short answer.",
    );
    for (let size = 1; size <= 9; size++) {
      const pieces: string[] = [];
      for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
      const whole = splitReasoning(granite, text);
      expect(joined(stream(granite, pieces))).toEqual({
        reasoning: whole.reasoning,
        content: whole.content,
      });
    }
  });
});
