import { describe, expect, it } from "vitest";
import { parseRequestsJsonl, RequestsFileError } from "./simulate-requests.js";

describe("the --requests JSONL format", () => {
  it("reads one request per line, skipping blank lines, with default ids", () => {
    const text = [
      '{"prompt_tokens": 512, "output_tokens": 128}',
      "",
      '{"prompt_tokens": 64, "output_tokens": 8, "arrival": 0.25, "priority": -1, "id": "b", "note": "ignored"}',
      "",
      '{"prompt_tokens": 32, "output_tokens": 4, "n": 3, "lora": "sql"}',
    ].join("\r\n");
    expect(parseRequestsJsonl(text)).toEqual([
      { id: "line-1", prompt: 512, outputTokens: 128 },
      { id: "b", prompt: 64, outputTokens: 8, arrival: 0.25, priority: -1 },
      { id: "line-5", prompt: 32, outputTokens: 4, n: 3, lora: "sql" },
    ]);
  });

  it("names the file and line of the first bad request", () => {
    const cases: [string, RegExp][] = [
      ["not json", /^trace\.jsonl:1: not JSON/],
      ["[1, 2]", /^trace\.jsonl:1: expected a JSON object$/],
      ['{"prompt_tokens": 0, "output_tokens": 1}', /"prompt_tokens" must be a whole number ≥ 1/],
      ['{"prompt_tokens": 1.5, "output_tokens": 1}', /"prompt_tokens" must be a whole number ≥ 1/],
      ['{"prompt_tokens": 1}', /"output_tokens" must be a whole number ≥ 1/],
      ['{"prompt_tokens": 1, "output_tokens": 1, "arrival": -1}', /"arrival" must be seconds ≥ 0/],
      [
        '{"prompt_tokens": 1, "output_tokens": 1, "priority": 0.5}',
        /"priority" must be an integer/,
      ],
      ['{"prompt_tokens": 1, "output_tokens": 1, "id": 7}', /"id" must be a string/],
      ['{"prompt_tokens": 1, "output_tokens": 1, "n": 0}', /"n" must be a whole number ≥ 1/],
      ['{"prompt_tokens": 1, "output_tokens": 1, "n": "2"}', /"n" must be a whole number ≥ 1/],
      ['{"prompt_tokens": 1, "output_tokens": 1, "lora": ""}', /"lora" must be an adapter's name/],
      [
        '{"prompt_tokens": 1, "output_tokens": 1, "id": "x"}\n{"prompt_tokens": 1, "output_tokens": 1, "id": "x"}',
        /^trace\.jsonl:2: id "x" is used twice$/,
      ],
      ["\n\n", /^trace\.jsonl: no requests in it$/],
    ];
    for (const [text, message] of cases) {
      expect(() => parseRequestsJsonl(text, "trace.jsonl"), text).toThrow(RequestsFileError);
      expect(() => parseRequestsJsonl(text, "trace.jsonl"), text).toThrow(message);
    }
  });
});
