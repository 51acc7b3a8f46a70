/**
 * Triton's ModelStreamInfer (server src/grpc/stream_infer_handler.cc; kserve-v2.md §4.1): one
 * bidirectional call carries any number of inference requests and the responses to them, which
 * is how a decoupled model (the vLLM backend's `vllm_model`) streams its tokens over gRPC. The
 * requests of one call run concurrently, so responses of different requests may interleave;
 * each response names its request's `id`. A decoupled model's responses carry the response
 * parameter `triton_final_response` (true on the last one); a request that fails is an
 * `error_message` message, which does not end the call. tritonclient's `stream_infer` (aio) and
 * `start_stream` / `async_stream_infer` are the Python counterparts; their
 * `enable_empty_final_response` is {@link StreamInferOptions.enableEmptyFinalResponse}.
 */
import type { Client } from "@connectrpc/connect";
import { Code, ServingkitError } from "@servingkit/client-core";
import type { GRPCInferenceService, ModelStreamInferResponse } from "@servingkit/proto/inference";
import { encodeGrpcInferRequest, type GrpcInferRequest } from "./grpc-infer-request.js";
import {
  decodeGrpcResponse,
  type InferRequest,
  type InferResponse,
  type KserveCallOptions,
} from "./kserve-client.js";

/** Options of `streamInfer`: the per-call options plus the stream's own. */
export interface StreamInferOptions extends KserveCallOptions {
  /**
   * Ask for the flag-only final response (the request parameter
   * `triton_enable_empty_final_response`, as tritonclient's `enable_empty_final_response`): a
   * decoupled model that ends a request without a final response then sends an empty one (no
   * outputs) flagged final, so the end of every request is seen. Default false (the parameter is
   * not sent).
   */
  readonly enableEmptyFinalResponse?: boolean;
}

/** One message of the stream: a response, or a request's error. */
export interface StreamInferResult {
  /** The response, decoded as `infer`'s; absent when {@link error} is set. */
  readonly response?: InferResponse;
  /** Triton's `error_message` for the request {@link id} names; the stream goes on. */
  readonly error?: string;
  /**
   * Whether this is the request's last message: the response parameter `triton_final_response`,
   * true when the message has none (Triton flags every response it writes; an error for a
   * request that could not start is the only message that request gets).
   */
  readonly final: boolean;
  /** The request's `id` (empty ids are `undefined`), to match responses to requests. */
  readonly id: string | undefined;
}

/** The inference service's typed connect client, as the gRPC KServe client holds it. */
export type InferenceServiceClient = Client<typeof GRPCInferenceService>;

/**
 * One `ModelStreamInferResponse` as a {@link StreamInferResult}: `error_message` as `error`
 * (the infer_response then only names the request), else the infer_response decoded by
 * `decodeGrpcResponse`; `triton_final_response` as `final`.
 */
export function decodeStreamResponse(message: ModelStreamInferResponse): StreamInferResult {
  const answer = message.inferResponse;
  const flag = answer?.parameters.triton_final_response?.parameterChoice;
  const final = flag?.case === "boolParam" ? flag.value : true;
  const id = answer === undefined || answer.id === "" ? undefined : answer.id;
  if (message.errorMessage !== "" || answer === undefined) {
    return {
      response: undefined,
      error: message.errorMessage === "" ? "the server sent no response" : message.errorMessage,
      final,
      id,
    };
  }
  return { response: decodeGrpcResponse(answer), error: undefined, final, id };
}

/**
 * Runs ModelStreamInfer: `requests` are encoded as they are read (the call half-closes when
 * they end; the stream ends when the server has answered them all) and the responses come back
 * as they arrive. A failed call (transport, auth, the server's status) throws `ServingkitError`,
 * as does a request that cannot be encoded (its own error, e.g. `InvalidArgument`) or an error
 * thrown by `requests` (wrapped by `ServingkitError.from`), after which the call is cancelled;
 * `break` or `signal` cancels the call on the wire. Single use: a second iteration throws
 * `Code.FailedPrecondition`.
 */
export function runStreamInfer(
  client: InferenceServiceClient,
  raw: boolean,
  model: string,
  requests: AsyncIterable<InferRequest> | Iterable<InferRequest>,
  options: StreamInferOptions = {},
): AsyncIterable<StreamInferResult> {
  const version = options.version;
  const emptyFinal = options.enableEmptyFinalResponse === true;
  // What failed on our side of the call (reading or encoding a request): connect would report it
  // as INTERNAL, so it is kept and thrown as it was.
  let failed: { error: unknown } | undefined;
  async function* encoded(): AsyncGenerator<GrpcInferRequest> {
    try {
      for await (const request of requests) {
        yield encodeGrpcInferRequest(model, version, request, raw, emptyFinal);
      }
    } catch (error) {
      failed = { error };
      throw error;
    }
  }
  const responses = client.modelStreamInfer(encoded(), { signal: options.signal });
  // The call refuses a second iteration (Code.FailedPrecondition), as every stream does.
  return {
    async *[Symbol.asyncIterator]() {
      try {
        for await (const message of responses) yield decodeStreamResponse(message);
      } catch (error) {
        throw failed === undefined ? error : ServingkitError.from(failed.error);
      }
    },
  };
}

/** What a REST client's `streamInfer` throws: ModelStreamInfer has no REST twin. */
export function streamInferOverRest(): ServingkitError {
  return new ServingkitError(
    'streamInfer is Triton\'s gRPC ModelStreamInfer and has no REST equivalent; create the client with transport: "grpc" (over REST, use generateStream)',
    Code.Unimplemented,
    { retryable: false },
  );
}
