/**
 * The vLLM backend's reading of sampling parameters, pure (triton-inference-server/vllm_backend
 * `src/utils/vllm_backend_utils.py` `TritonSamplingParams.from_dict`, `src/model.py`
 * `_verify_loras`; vLLM `vllm/sampling_params.py` defaults and `_verify_args`), then a seeded
 * fuzz of `sampling_parameters` strings through the mock's generate route.
 */
import { afterEach, describe, expect, it } from "vitest";
import { closeAll, startVllmTriton } from "./test-mocks.js";
import { pythonJsonLoads, readSamplingParameters, verifyLoras } from "./vllm-sampling.js";

afterEach(closeAll);

describe("readSamplingParameters (from_dict + SamplingParams)", () => {
  it("vLLM's defaults: max_tokens 16, temperature 1, top_p 1, no stop", () => {
    expect(readSamplingParameters("{}")).toEqual({
      n: 1,
      maxTokens: 16,
      minTokens: 0,
      temperature: 1,
      topP: 1,
      topK: 0,
      seed: undefined,
      stop: [],
      stopTokenIds: [],
      ignoreEos: false,
      includeStopStrInOutput: false,
      logprobs: undefined,
      structured: undefined,
    });
  });

  it("converts with the annotation's Python type: int('5'), float('0.5'), bool('false') is True", () => {
    const read = readSamplingParameters(
      JSON.stringify({ max_tokens: "5", temperature: "0.5", ignore_eos: "false", seed: 3.9 }),
    );
    expect(read).toMatchObject({ maxTokens: 5, temperature: 0.5, ignoreEos: true, seed: 3 });
  });

  it("a stop string is one stop; a list is kept; JSON nulls fall back to the defaults", () => {
    expect(readSamplingParameters('{"stop": "\\n"}')?.stop).toEqual(["\n"]);
    expect(readSamplingParameters('{"stop": ["a", "b"]}')?.stop).toEqual(["a", "b"]);
    expect(readSamplingParameters('{"max_tokens": null}')?.maxTokens).toBe(16);
  });

  it("None where from_dict catches: unknown keys, failed conversions, values _verify_args refuses", () => {
    for (const text of [
      "not json",
      "[1]",
      '{"unknown": 1}',
      '{"constructor": 1}',
      '{"__proto__": 1}',
      '{"max_tokens": "5.0"}',
      '{"temperature": "hot"}',
      '{"temperature": -0.1}',
      '{"top_p": 0}',
      '{"top_p": 1.5}',
      '{"max_tokens": 0}',
      '{"min_tokens": 5, "max_tokens": 2}',
      '{"presence_penalty": 3}',
      '{"stop": [""]}',
      '{"stop": 5}',
      '{"n": 0}',
    ]) {
      expect(readSamplingParameters(text), text).toBeUndefined();
    }
  });
});

describe("structured_outputs and guided_decoding (vllm_backend_utils.py from_dict)", () => {
  // from_dict: structured_outputs is json.loads'd into StructuredOutputsParams(**...);
  // guided_decoding (a JSON text or an object) loses its xgrammar-family `backend` and becomes
  // structured_outputs unless that is given; TritonSamplingParams._validate_guided_params checks
  // the kinds; vllm/sampling_params.py StructuredOutputsParams wants exactly one constraint.
  // Every failure is caught by from_dict (None).
  const read = (params: Record<string, unknown>) =>
    readSamplingParameters(JSON.stringify(params))?.structured;
  const ok = (params: Record<string, unknown>) => readSamplingParameters(JSON.stringify(params));

  it("structured_outputs: a JSON text with one constraint", () => {
    expect(read({ structured_outputs: JSON.stringify({ choice: ["a", "b"] }) })).toEqual({
      choice: ["a", "b"],
    });
    expect(read({ structured_outputs: JSON.stringify({ regex: "[0-9]+" }) })).toEqual({
      regex: "[0-9]+",
    });
    expect(
      read({
        structured_outputs: JSON.stringify({ json: { type: "object" }, disable_fallback: true }),
      }),
    ).toEqual({ json: { type: "object" } });
    // An object instead of its text: json.loads raises TypeError.
    expect(ok({ structured_outputs: { choice: ["a"] } })).toBeUndefined();
  });

  it("guided_decoding: a text or an object, backend removed when xgrammar's, mapped onto structured_outputs", () => {
    expect(read({ guided_decoding: { choice: ["x"], backend: "xgrammar" } })).toEqual({
      choice: ["x"],
    });
    expect(read({ guided_decoding: JSON.stringify({ grammar: "root ::= 'a'" }) })).toEqual({
      grammar: "root ::= 'a'",
    });
    // "guided_decoding.backend is no longer supported request-level": a ValueError.
    expect(ok({ guided_decoding: { choice: ["x"], backend: "outlines" } })).toBeUndefined();
    // structured_outputs wins when both are given.
    expect(
      read({
        structured_outputs: JSON.stringify({ choice: ["s"] }),
        guided_decoding: { choice: ["g"] },
      }),
    ).toEqual({ choice: ["s"] });
  });

  it("refused: no constraint, two constraints, unknown fields, wrong kinds", () => {
    for (const bad of [
      {},
      { choice: ["a"], regex: "a" },
      { choice: ["a"], backend: "xgrammar" },
      { choice: "a" },
      { choice: ["a", 1] },
      { json: "{}" },
      { regex: 5 },
      { grammar: ["g"] },
      { regex: "a", whitespace_pattern: 1 },
    ]) {
      expect(ok({ structured_outputs: JSON.stringify(bad) }), JSON.stringify(bad)).toBeUndefined();
    }
    expect(ok({ guided_decoding: 5 })).toBeUndefined();
    expect(ok({ guided_decoding: "not json" })).toBeUndefined();
  });
});

describe("verifyLoras (_verify_loras: json.loads(...).pop('lora_name', None))", () => {
  it("the LoRA name, or none", () => {
    expect(verifyLoras('{"lora_name": "sql"}')).toEqual({ lora: "sql" });
    expect(verifyLoras('{"lora_name": null}')).toEqual({ lora: undefined });
    expect(verifyLoras("{}")).toEqual({ lora: undefined });
  });

  it("Python's exceptions for JSON that is no object", () => {
    expect(verifyLoras("[]")).toEqual({
      error: "TypeError: pop expected at most 1 argument, got 2",
    });
    expect(verifyLoras('"x"')).toEqual({
      error: "AttributeError: 'str' object has no attribute 'pop'",
    });
    expect(verifyLoras("1.5")).toEqual({
      error: "AttributeError: 'float' object has no attribute 'pop'",
    });
    expect(verifyLoras("null")).toEqual({
      error: "AttributeError: 'NoneType' object has no attribute 'pop'",
    });
  });
});

describe("pythonJsonLoads (json.JSONDecodeError texts)", () => {
  it("empty and non-JSON text: Expecting value at the first character", () => {
    expect(pythonJsonLoads("")).toEqual({
      error: "JSONDecodeError: Expecting value: line 1 column 1 (char 0)",
    });
    expect(pythonJsonLoads("  hello")).toEqual({
      error: "JSONDecodeError: Expecting value: line 1 column 3 (char 2)",
    });
  });

  it("trailing data: Extra data; a bad key: Expecting property name enclosed in double quotes", () => {
    expect(pythonJsonLoads("{} x")).toEqual({
      error: "JSONDecodeError: Extra data: line 1 column 4 (char 3)",
    });
    expect(pythonJsonLoads("{'a': 1}")).toEqual({
      error:
        "JSONDecodeError: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
    });
  });
});

describe("fuzz: sampling_parameters strings through generate", () => {
  // The backend's three answers to a request it cannot run (model.py): the instance error from
  // execute, respond_error's LoRA text, and _infer's "Error generating stream: ...".
  const backendError =
    /^(Failed to process the request\(s\) for model instance 'vllm_model_0_0', message: (JSONDecodeError|TypeError|AttributeError): |LoRA feature is not enabled\.$|Error generating stream: )/;

  it("seeded strings: 200 with text, or 500 with one of the backend's texts; never a crash or a hang", async () => {
    const { post } = await startVllmTriton();
    let seed = 5;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    const pick = <T>(xs: readonly T[]): T => xs[next() % xs.length] as T;
    const keys = [
      "max_tokens",
      "temperature",
      "top_p",
      "top_k",
      "seed",
      "stop",
      "ignore_eos",
      "min_tokens",
      "n",
      "lora_name",
      "bogus",
      "logprobs",
    ];
    const values = [0, 1, 3, -1, 0.5, 2.5, "4", "x", "", true, false, null, [], ["a"], [""], {}];
    const statuses = new Set<number>();
    for (let i = 0; i < 120; i++) {
      const object: Record<string, unknown> = {};
      for (let k = next() % 4; k > 0; k--) object[pick(keys)] = pick(values);
      if (object.max_tokens === undefined) object.max_tokens = 3;
      let text = JSON.stringify(object);
      const mutation = next() % 8;
      if (mutation === 0) text = text.slice(0, next() % (text.length + 1));
      if (mutation === 1) text = pick(["[]", "1", '"s"', "null", "{", "", " "]);
      const stream = next() % 2 === 0;
      const res = await post(
        stream ? "/v2/models/vllm_model/generate_stream" : "/v2/models/vllm_model/generate",
        {
          text_input: "fuzz",
          stream,
          sampling_parameters: text,
        },
      );
      statuses.add(res.status);
      expect([200, 500]).toContain(res.status);
      const body = await res.text();
      if (res.status === 500) {
        const json = stream ? body.slice("data: ".length, -2) : body;
        expect((JSON.parse(json) as { error: string }).error).toMatch(backendError);
      } else if (!stream) {
        expect(JSON.parse(body)).toHaveProperty("text_output");
      } else {
        expect(body.startsWith("data: {")).toBe(true);
      }
    }
    expect([...statuses].sort()).toEqual([200, 500]);
  });
});
