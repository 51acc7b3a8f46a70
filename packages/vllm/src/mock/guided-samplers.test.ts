/**
 * Guided regex and grammar output over vLLM's HTTP API (vllm-openai.md §4.1: `guided_regex` /
 * `guided_grammar`, newer `structured_outputs.regex` / `.grammar`): the samplers are mock-core's
 * (src/structured), their refusals vLLM's 400 `BadRequestError` with the backend's text.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VllmError } from "./errors.js";
import { checkJson, checkRegex, constrainedText, parseGrammar } from "./guided-samplers.js";
import { openaiClient, startVllm, type TestServer } from "./test-server.js";

/** A recursive grammar: arithmetic with balanced parentheses. */
const arithmetic = `root ::= expr
expr ::= term (("+" | "-") term)*
term ::= factor ("*" factor)*
factor ::= [0-9]+ | "(" expr ")"`;

const greeting = `# a greeting
root ::= greeting " " name
greeting ::= "hello" | "hi"
name ::= [A-Z] [a-z]*`;

function balanced(text: string): boolean {
  let open = 0;
  for (const c of text) {
    if (c === "(") open += 1;
    if (c === ")") open -= 1;
    if (open < 0) return false;
  }
  return open === 0;
}

/** The VllmError `run` throws (fails the test when it throws none or another). */
function refusal(run: () => unknown): VllmError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(VllmError);
    return error as VllmError;
  }
  return expect.unreachable();
}

// backend_guidance.py validate_guidance_grammar and backend_xgrammar.py raise ValueError, which
// vLLM's OpenAI server answers as 400 BadRequestError with the backend's text.
describe("guided samplers: mock-core's refusals as vLLM's 400", () => {
  it("maps each refusal to a 400 with the same text", () => {
    expect(refusal(() => checkRegex("(a)\\1"))).toMatchObject({
      status: 400,
      message: "Grammar error: backreferences are not supported",
    });
    expect(refusal(() => constrainedText({ regex: "([" }, 1))).toMatchObject({
      status: 400,
      message: "Grammar error: unclosed character class",
    });
    expect(refusal(() => parseGrammar("root ::= ("))).toMatchObject({
      status: 400,
      message: "Invalid grammar specification.",
    });
    expect(refusal(() => constrainedText({ grammar: 'root ::= "a" root' }, 1))).toMatchObject({
      status: 400,
      message: "Invalid grammar specification.",
    });
    expect(refusal(() => parseGrammar("start: other"))).toMatchObject({
      status: 400,
      message: "Failed to convert the grammar from Lark to EBNF. ",
    });
  });

  it("passes samples through unchanged", () => {
    expect(constrainedText({ regex: "(yes|no)" }, 3)).toMatch(/^(yes|no)$/);
    expect(constrainedText({ grammar: greeting }, 3)).toMatch(/^(hello|hi) [A-Z][a-z]*$/);
  });
});

describe("guided_regex over HTTP", () => {
  let server: TestServer;
  let client: OpenAI;
  beforeAll(async () => {
    // The last releases that read guided_* beside structured_outputs (profiles.ts guidedFields).
    server = await startVllm({ "served-model-name": "granite", "vllm-version": "0.11.0" });
    client = openaiClient(server, "x");
  });
  afterAll(() => server.close());

  // vllm-openai.md §4.1: guided_regex on chat and completions; structured_outputs.regex too.
  it("constrains chat and completions output to the pattern", async () => {
    const pattern = "[A-Z]{2}-[0-9]{3}";
    const chat = await client.chat.completions.create({
      model: "granite",
      messages: [{ role: "user", content: "A code please" }],
      max_tokens: 50,
      seed: 3,
      n: 3,
      guided_regex: pattern,
    } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    for (const choice of chat.choices) {
      expect(choice.message.content).toMatch(/^[A-Z]{2}-[0-9]{3}$/);
      expect(choice.finish_reason).toBe("stop");
    }
    const completion = await client.completions.create({
      model: "granite",
      prompt: "Code:",
      max_tokens: 50,
      structured_outputs: { regex: "(red|green|blue)" },
    } as OpenAI.CompletionCreateParamsNonStreaming);
    expect(completion.choices[0]?.text).toMatch(/^(red|green|blue)$/);
  });

  // Python `re` syntax as vLLM's default backend reads it (xgrammar, then guidance's Rust syntax).
  it("answers Python named groups and refuses what guidance refuses", async () => {
    const chat = await client.chat.completions.create({
      model: "granite",
      messages: [{ role: "user", content: "A date please" }],
      max_tokens: 50,
      seed: 5,
      structured_outputs: { regex: "(?P<year>20[0-9]{2})-(?P<month>0[1-9]|1[0-2])" },
    } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    expect(chat.choices[0]?.message.content).toMatch(/^20[0-9]{2}-(0[1-9]|1[0-2])$/);
    const refused = client.completions.create({
      model: "granite",
      prompt: "x",
      max_tokens: 5,
      guided_regex: "(?P<q>a)(?P=q)",
    } as OpenAI.CompletionCreateParamsNonStreaming);
    await expect(refused).rejects.toMatchObject({
      status: 400,
      error: { message: "Grammar error: unrecognized flag", type: "BadRequestError", code: 400 },
    });
  });

  // vllm-openai.md §3.2: one kind of guided decoding at a time.
  it("refuses two kinds at once and a broken pattern", async () => {
    const post = (body: object) =>
      fetch(`${server.url}/v1/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ prompt: "x", max_tokens: 5, ...body }),
      });
    const both = await post({ guided_regex: "a+", guided_choice: ["a"] });
    expect(both.status).toBe(400);
    expect(await both.text()).toContain("You can only use one kind of guided decoding");
    const broken = await post({ guided_regex: "([" });
    expect(broken.status).toBe(400);
    expect(await broken.text()).toContain("Grammar error: unclosed character class");
  });
});

describe("guided_grammar over HTTP", () => {
  let server: TestServer;
  let client: OpenAI;
  beforeAll(async () => {
    // The last releases that read guided_* beside structured_outputs (profiles.ts guidedFields).
    server = await startVllm({ "served-model-name": "granite", "vllm-version": "0.11.0" });
    client = openaiClient(server, "x");
  });
  afterAll(() => server.close());

  // vllm-openai.md §4.1: guided_grammar (and structured_outputs.grammar) constrain the output.
  it("constrains output to the grammar on both endpoints", async () => {
    const completion = await client.completions.create({
      model: "granite",
      prompt: "Answer:",
      max_tokens: 64,
      n: 4,
      seed: 5,
      guided_grammar: greeting,
    } as OpenAI.CompletionCreateParamsNonStreaming);
    for (const choice of completion.choices)
      expect(choice.text).toMatch(/^(hello|hi) [A-Z][a-z]*$/);
    const chat = await client.chat.completions.create({
      model: "granite",
      messages: [{ role: "user", content: "Sum?" }],
      max_tokens: 200,
      structured_outputs: { grammar: arithmetic },
    } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    expect(balanced(chat.choices[0]?.message.content ?? "(")).toBe(true);
  });

  it("answers an unreadable grammar with vLLM's 400", async () => {
    const response = await fetch(`${server.url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ prompt: "x", guided_grammar: "root ::= (" }),
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("Invalid grammar specification.");
  });
});

// vllm/sampling_params.py under the default `auto` backend: backend_xgrammar.py's
// validate_xgrammar_grammar refuses a schema string json.loads cannot read ("Invalid JSON
// grammar specification."), the fallback catches it and calls json.loads on the string again,
// and that JSONDecodeError (a ValueError) is the OpenAI server's 400 with its text. A schema
// xgrammar cannot take (has_xgrammar_unsupported_json_features) goes on to guidance: accepted.
describe("guided JSON schemas under the auto backend", () => {
  let server: TestServer;
  let client: OpenAI;
  beforeAll(async () => {
    server = await startVllm({ "served-model-name": "granite" });
    client = openaiClient(server);
  });
  afterAll(() => server.close());

  it("checkJson: JSON text that does not parse is the 400 with Python's text", () => {
    expect(refusal(() => checkJson("{not json"))).toMatchObject({
      status: 400,
      message: "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
    });
    expect(() => checkJson('{"type": "object"}')).not.toThrow();
    expect(() => checkJson({ type: "number", multipleOf: 2 })).not.toThrow();
  });

  it("answers structured_outputs.json text that does not parse with BadRequestError", async () => {
    const bad = client.chat.completions.create({
      model: "granite",
      messages: [{ role: "user", content: "JSON?" }],
      structured_outputs: { json: '{"type": "object",}' },
    } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    await expect(bad).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(bad).rejects.toMatchObject({
      status: 400,
      error: {
        message: "Expecting property name enclosed in double quotes: line 1 column 19 (char 18)",
      },
    });
    const streamed = client.completions.create({
      model: "granite",
      prompt: "JSON?",
      stream: true,
      structured_outputs: { json: "" },
    } as unknown as OpenAI.CompletionCreateParamsStreaming);
    await expect(streamed).rejects.toMatchObject({
      status: 400,
      error: { message: "Expecting value: line 1 column 1 (char 0)" },
    });
  });

  it("takes a schema xgrammar refuses (guidance does) and JSON text that parses", async () => {
    const chat = await client.chat.completions.create({
      model: "granite",
      messages: [{ role: "user", content: "JSON?" }],
      max_tokens: 200,
      structured_outputs: {
        json: '{"type": "object", "properties": {"n": {"type": "integer", "multipleOf": 4}, "tags": {"type": "array", "uniqueItems": true}}, "required": ["n"]}',
      },
    } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    const value = JSON.parse(chat.choices[0]?.message.content ?? "null") as { n: number };
    expect(value.n % 4).toBe(0);
  });
});

describe("guided_json text over HTTP (0.11.0)", () => {
  let server: TestServer;
  beforeAll(async () => {
    // The last releases that read guided_* beside structured_outputs (profiles.ts guidedFields).
    server = await startVllm({ "served-model-name": "granite", "vllm-version": "0.11.0" });
  });
  afterAll(() => server.close());

  it("answers guided_json text that does not parse with the 400", async () => {
    const bad = openaiClient(server).completions.create({
      model: "granite",
      prompt: "x",
      guided_json: "{'type': 'object'}",
    } as OpenAI.CompletionCreateParamsNonStreaming);
    await expect(bad).rejects.toMatchObject({
      status: 400,
      error: {
        message: "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
      },
    });
  });
});
