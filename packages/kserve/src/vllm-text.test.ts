/**
 * The vLLM backend's text tensors (vllm_backend samples/model_repository/vllm_model/config.pbtxt:
 * text_input BYTES [1], stream BOOL [1], sampling_parameters BYTES [1]; auto_complete_config adds
 * exclude_input_in_output BOOL [1]; text_output BYTES [-1]).
 */
import { describe, expect, it } from "vitest";
import { textOutput, vllmInferRequest } from "./vllm-text.js";

describe("vllmInferRequest", () => {
  it("prompt and stream always (stream is required by the sample config), the rest when given", () => {
    expect(vllmInferRequest({ prompt: "Hi" })).toEqual({
      inputs: [
        { name: "text_input", datatype: "BYTES", shape: [1], data: ["Hi"] },
        { name: "stream", datatype: "BOOL", shape: [1], data: [false] },
      ],
    });
    const full = vllmInferRequest({
      prompt: "Hi",
      stream: true,
      samplingParameters: { max_tokens: 3 },
      excludeInputInOutput: true,
      id: "r1",
    });
    expect(full.id).toBe("r1");
    expect(full.inputs.map((i) => [i.name, i.data])).toEqual([
      ["text_input", ["Hi"]],
      ["stream", [true]],
      ["sampling_parameters", ['{"max_tokens":3}']],
      ["exclude_input_in_output", [true]],
    ]);
  });
});

describe("textOutput", () => {
  it("reads text_output from a generate answer (one string or a list) and from an InferResponse", () => {
    expect(textOutput({ model_name: "m", text_output: "abc" })).toBe("abc");
    expect(textOutput({ text_output: ["a", "b"] })).toBe("ab");
    expect(textOutput({ model_name: "m" })).toBe("");
    const bytes = [new TextEncoder().encode("héllo")];
    const response = {
      modelName: "vllm_model",
      modelVersion: "1",
      id: undefined,
      outputs: [
        {
          name: "text_output",
          datatype: "BYTES" as const,
          shape: [1],
          data: bytes,
          parameters: {},
        },
      ],
    };
    expect(textOutput(response)).toBe("héllo");
    expect(textOutput({ ...response, outputs: [] })).toBe("");
  });
});
