/**
 * Regex-guided output (vllm-openai.md §4.1: `guided_regex`, newer `structured_outputs.regex`):
 * the whole output matches the pattern, the same for the same seed.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkRegex, regexSampleBudget, sampleRegex } from "./regex-sample.js";
import { startVllm, type TestServer } from "./test-server.js";

describe("sampleRegex", () => {
  const patterns = [
    "[a-z]{3}-\\d{2,4}",
    "(yes|no|maybe)",
    "\\d{3}-\\d{3}-\\d{4}",
    "[A-Z][a-z]+( [A-Z][a-z]+)*",
    '\\{"id": [0-9]+\\}',
  ];
  it("draws text that fully matches, repeatably for a seed", () => {
    for (const pattern of patterns) {
      const whole = new RegExp(`^(?:${pattern})$`);
      for (let seed = 0; seed < 25; seed += 1) {
        const text = sampleRegex(pattern, seed);
        expect(text, pattern).toMatch(whole);
        expect(sampleRegex(pattern, seed)).toBe(text);
      }
    }
  });

  it("refuses a pattern it cannot compile with a 400", () => {
    expect(() => checkRegex("(unclosed")).toThrow(/Failed to transform regex into a grammar/);
  });

  // A grammar-based backend (xgrammar) has no lookarounds or backreferences.
  it("refuses lookarounds and backreferences", () => {
    for (const pattern of ["a(?=b)", "(?<!x)y", "(a)\\1"]) {
      expect(() => checkRegex(pattern), pattern).toThrow(/are not supported/);
    }
    // Inside a class, or escaped, the same characters are plain.
    expect(() => checkRegex("[(?=]x(?=y)")).toThrow(/lookaround/);
    expect(() => checkRegex("[(?=]a\\(?=")).not.toThrow();
  });

  // Bad input never hangs the server: huge or nested counts stop at the sample budget.
  it("stops huge repetition counts at the budget", () => {
    const started = performance.now();
    expect(sampleRegex("\\d{1000000000}", 1).length).toBeLessThanOrEqual(regexSampleBudget);
    expect(sampleRegex("((\\d{100000}){100000}){100000}", 1).length).toBeLessThanOrEqual(
      regexSampleBudget,
    );
    expect(performance.now() - started).toBeLessThan(10_000); // generous sanity bound
  });
});

describe("guided_regex over HTTP", () => {
  let server: TestServer;
  let client: OpenAI;
  beforeAll(async () => {
    server = await startVllm({ "served-model-name": "granite" });
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "x", maxRetries: 0 });
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
    expect(await broken.text()).toContain("Failed to transform regex into a grammar");
  });
});
