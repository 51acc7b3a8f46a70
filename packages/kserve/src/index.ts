/**
 * `@servingkit/kserve`: the client of KServe v2 / Open Inference Protocol (Triton, MLServer,
 * OpenVINO Model Server) over REST (JSON and the binary tensor extension) and gRPC, with typed
 * tensors. The mock runtime is the `./mock` subpath; this entry never loads it.
 *
 * @packageDocumentation
 */
export {
  inferenceHeaderLength,
  joinBinaryBody,
  type SplitBody,
  splitBinaryBody,
} from "./binary-body.js";
export {
  type Datatype,
  datatypes,
  decodeRaw,
  elementSize,
  encodeRaw,
  fromBfloat16Bits,
  fromFloat16Bits,
  isDatatype,
  type TensorValues,
  toBfloat16Bits,
  toFloat16Bits,
} from "./datatypes.js";
export {
  type GenerateBody,
  type GenerateResponse,
  readGenerateAnswer,
} from "./generate-client.js";
export { encodeGrpcInferRequest, type GrpcInferRequest } from "./grpc-infer-request.js";
export {
  createKserveClient,
  decodeGrpcResponse,
  decodeRestResponse,
  type InferInput,
  type InferOutput,
  type InferRequest,
  type InferResponse,
  type KserveCallOptions,
  type KserveClient,
  type KserveClientOptions,
  type KserveGrpcOptions,
  type KserveRestOptions,
  type ModelMetadata,
  type Parameter,
  type RequestedOutput,
  type ServerMetadata,
  type TensorMetadata,
  toTensorValues,
} from "./kserve-client.js";
export {
  decodeStreamResponse,
  type StreamInferOptions,
  type StreamInferResult,
} from "./stream-infer-client.js";
export {
  textOutput,
  type VllmTextRequest,
  vllmGenerateBody,
  vllmInferRequest,
} from "./vllm-text.js";
