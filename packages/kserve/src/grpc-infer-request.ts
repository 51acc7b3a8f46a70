/**
 * The one encoding of a KServe v2 `ModelInferRequest` for gRPC, shared by unary `infer` and
 * `streamInfer` (Triton's ModelStreamInfer carries the same message): inputs as
 * `raw_input_contents` or typed `contents`, parameters as `InferParameter`s.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ModelInferRequestSchema } from "@servingkit/proto/inference";
import { encodeRaw, type TensorValues } from "./datatypes.js";
import { toContents, toInferParameter } from "./grpc-tensors.js";
import { type InferRequest, type Parameter, toTensorValues } from "./kserve-client.js";

/** A request as connect takes it (the message's init shape). */
export type GrpcInferRequest = MessageInitShape<typeof ModelInferRequestSchema>;

type ParameterMap = Record<string, ReturnType<typeof toInferParameter>>;

function parameters(p: Readonly<Record<string, Parameter>> | undefined): ParameterMap {
  const out: ParameterMap = {};
  if (p === undefined) return out;
  for (const key of Object.keys(p)) out[key] = toInferParameter(p[key] as Parameter);
  return out;
}

/**
 * A `ModelInferRequest` (its init shape) for `model`, as `infer` and `streamInfer` send it: inputs as `raw_input_contents` when
 * `raw` (or any input is FP16/BF16, which have no typed field), else typed `contents`; plain
 * values converted by `toTensorValues`. With `enableEmptyFinal`, the request parameter
 * `triton_enable_empty_final_response` is set true.
 */
export function encodeGrpcInferRequest(
  model: string,
  version: string | undefined,
  request: InferRequest,
  raw: boolean,
  enableEmptyFinal = false,
): GrpcInferRequest {
  const values = request.inputs.map((i) => toTensorValues(i.datatype, i.data));
  const sendRaw = raw || request.inputs.some((i) => i.datatype === "FP16" || i.datatype === "BF16");
  const requestParameters = parameters(request.parameters);
  if (enableEmptyFinal) {
    requestParameters.triton_enable_empty_final_response = toInferParameter(true);
  }
  return {
    modelName: model,
    modelVersion: version ?? "",
    id: request.id ?? "",
    parameters: requestParameters,
    inputs: request.inputs.map((input, index) => ({
      name: input.name,
      datatype: input.datatype,
      shape: input.shape.map((d) => BigInt(d)),
      parameters: parameters(input.parameters),
      contents: sendRaw ? undefined : toContents(input.datatype, values[index] as TensorValues),
    })),
    outputs: (request.outputs ?? []).map((o) => ({
      name: o.name,
      parameters: parameters(o.parameters),
    })),
    rawInputContents: sendRaw
      ? request.inputs.map((input, index) =>
          encodeRaw(input.datatype, values[index] as TensorValues),
        )
      : [],
  };
}
