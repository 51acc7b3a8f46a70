/**
 * Text in and out of Triton's vLLM backend (triton-inference-server/vllm_backend
 * `samples/model_repository/vllm_model/config.pbtxt`, `src/utils/request.py`): the prompt is the
 * BYTES input `text_input`, `stream` (BOOL, required by the sample config) asks for one response
 * per token, `sampling_parameters` is vLLM's SamplingParams as a JSON text, and the text comes
 * back in the BYTES output `text_output`. One request shape for `generate` / `generateStream`
 * (a flat JSON body) and for `streamInfer` (tensors).
 */
import type { GenerateBody, GenerateResponse } from "./generate-client.js";
import type { InferInput, InferRequest, InferResponse } from "./kserve-client.js";

/** A text request to a vLLM backend model. */
export interface VllmTextRequest {
  /** The prompt (`text_input`). */
  readonly prompt: string;
  /** One response per token (`stream`); default false (one response with the whole text). */
  readonly stream?: boolean;
  /**
   * vLLM sampling parameters (`max_tokens`, `temperature`, `seed`, `stop`, `n`, ...), sent as
   * the JSON text `sampling_parameters`; default none (the backend's defaults: 16 tokens).
   */
  readonly samplingParameters?: Readonly<Record<string, unknown>>;
  /**
   * `exclude_input_in_output`; default not sent (the backend then puts the prompt in front of a
   * non-streamed text, never in front of streamed ones).
   */
  readonly excludeInputInOutput?: boolean;
  /** Request id (`streamInfer` only: a generate body's `id` is also a parameter the backend refuses). */
  readonly id?: string;
}

/** The body of `generate` / `generateStream` for a {@link VllmTextRequest} (its `id` is not sent). */
export function vllmGenerateBody(request: VllmTextRequest): GenerateBody {
  const body: Record<string, unknown> = {
    text_input: request.prompt,
    stream: request.stream === true,
  };
  if (request.samplingParameters !== undefined) {
    body.sampling_parameters = JSON.stringify(request.samplingParameters);
  }
  if (request.excludeInputInOutput !== undefined) {
    body.exclude_input_in_output = request.excludeInputInOutput;
  }
  return body;
}

/** The `InferRequest` of `streamInfer` for a {@link VllmTextRequest}: shape-[1] tensors. */
export function vllmInferRequest(request: VllmTextRequest): InferRequest {
  const inputs: InferInput[] = [
    { name: "text_input", datatype: "BYTES", shape: [1], data: [request.prompt] },
    { name: "stream", datatype: "BOOL", shape: [1], data: [request.stream === true] },
  ];
  if (request.samplingParameters !== undefined) {
    inputs.push({
      name: "sampling_parameters",
      datatype: "BYTES",
      shape: [1],
      data: [JSON.stringify(request.samplingParameters)],
    });
  }
  if (request.excludeInputInOutput !== undefined) {
    inputs.push({
      name: "exclude_input_in_output",
      datatype: "BOOL",
      shape: [1],
      data: [request.excludeInputInOutput],
    });
  }
  return request.id === undefined ? { inputs } : { inputs, id: request.id };
}

const decoder = new TextDecoder();

/**
 * The text of a response: `text_output`'s elements joined (the backend sends one element per
 * response), from a generate answer or a decoded `InferResponse`; "" when there is none.
 */
export function textOutput(response: GenerateResponse | InferResponse): string {
  if ("outputs" in response && Array.isArray(response.outputs)) {
    const output = (response as InferResponse).outputs.find((o) => o.name === "text_output");
    if (output === undefined || output.datatype !== "BYTES") return "";
    return (output.data as Uint8Array[]).map((e) => decoder.decode(e)).join("");
  }
  const text = (response as GenerateResponse).text_output;
  if (text === undefined) return "";
  return typeof text === "string" ? text : text.join("");
}
