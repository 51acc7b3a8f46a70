/**
 * Decoupled models (Triton `model_transaction_policy { decoupled: true }`; server
 * docs/user_guide/decoupled_models.md): a request gets any number of responses, each flagged
 * final or not, and the final flag may come alone, without a response
 * (`TRITONSERVER_RESPONSE_COMPLETE_FINAL` with no response). The frontends differ in what they
 * make of that: HTTP `infer` and gRPC `ModelInfer` refuse such models (server http_server.cc
 * `HandleInfer`, grpc infer_handler.cc), `generate` wants exactly one response,
 * `generate_stream` writes one event per response, and ModelStreamInfer one message per
 * response (triton-generate.ts, grpc.ts). This module runs a request on a model and yields what
 * the frontends see, in order.
 */
import { InferFault } from "./fault.js";
import { checkRequest, type DecodedRequest, type InferResult } from "./infer.js";
import type { MockModel, ModelResponse, Tensor } from "./models.js";
import type { KserveProfile } from "./profiles.js";
import type { ResponseOutcome, StatsStore } from "./triton-extensions.js";

/** One callback of the model to the frontend: a response (or none), and whether it is the last. */
export interface ModelCallback {
  /** The response's outputs as a result, or its error; undefined for a flag-only final callback. */
  readonly response: InferResult | InferFault | undefined;
  /** `TRITONSERVER_RESPONSE_COMPLETE_FINAL`: nothing follows. */
  readonly final: boolean;
}

/** Where HTTP `infer` meets a decoupled model (http_server.cc `HandleInfer`; UNSUPPORTED is 501). */
export const httpDecoupledRefusal = () =>
  new InferFault(
    "unsupported",
    "HTTP end point doesn't support models with decoupled transaction policy",
  );

/** Where gRPC `ModelInfer` meets a decoupled model (grpc infer_handler.cc; UNSUPPORTED is UNIMPLEMENTED). */
export const grpcDecoupledRefusal = () =>
  new InferFault(
    "unsupported",
    "ModelInfer RPC doesn't support models with decoupled transaction policy",
  );

/** The outputs the request asked for (all when it named none), in the model's order. */
function requested(request: DecodedRequest, outputs: readonly Tensor[]): readonly Tensor[] {
  const wanted = request.outputs;
  if (wanted === undefined || wanted.length === 0) return outputs;
  return outputs.filter((o) => wanted.some((w) => w.name === o.name));
}

/**
 * Validates `request` against `model` at once (throwing the runtime's refusal, as `infer` does)
 * and returns the callbacks its run makes. A model with `respond` sends its responses with the
 * flags it gives them (each as soon as it comes; the flag alone when it ends without a final
 * one, unless `signal` aborted it); any other model sends `compute`'s outputs as one response, then the final flag alone. `signal` aborts a running model (the client went away); `checkReserved` as
 * {@link checkRequest} takes it (false for generate).
 */
export function runModel(
  profile: KserveProfile,
  model: MockModel,
  version: string | undefined,
  request: DecodedRequest,
  signal?: AbortSignal,
  checkReserved = true,
): AsyncGenerator<ModelCallback> {
  const inputs = checkRequest(profile, model, request, checkReserved);
  const result = (response: ModelResponse): InferResult | InferFault => {
    if (response.error !== undefined) return response.error;
    return {
      modelName: model.name,
      modelVersion: version,
      id: request.id,
      outputs: requested(request, response.outputs),
    };
  };
  if (model.respond === undefined) {
    return (async function* () {
      let response: InferResult | InferFault;
      try {
        response = result({ outputs: model.compute(inputs) });
      } catch (error) {
        response = profile.messages.computeFailed(model.name, (error as Error).message);
      }
      yield { response, final: false };
      yield { response: undefined, final: true };
    })();
  }
  const responses = model.respond(inputs, request.parameters, signal);
  return (async function* () {
    for await (const response of responses) {
      const final = response.final === true;
      yield { response: result(response), final };
      if (final) return;
    }
    // A model that ends without a final response still ends the request: the flag alone. Not
    // when the client went away (the run was cancelled): nothing goes out then.
    if (signal?.aborted === true) return;
    yield { response: undefined, final: true };
  })();
}

/** How a callback's response ended, for the statistics. */
function outcome(callback: ModelCallback): ResponseOutcome {
  if (callback.response === undefined) return "empty";
  return callback.response instanceof InferFault ? "fail" : "success";
}

/**
 * {@link runModel}, recorded in the statistics store. A refused request is a failure. Each
 * callback is a response at the next index of `response_stats` (success, fail, or empty for the
 * final flag alone), timed since the previous one; the final callback makes the request a
 * success (inference and execution counted once: the mock runs each request alone). A run that
 * ends before its final callback (the client went away) records a cancellation at the next index
 * and a failed request, as Triton counts cancelled requests among failures.
 */
export function recordedRun(
  stats: StatsStore,
  profile: KserveProfile,
  model: MockModel,
  version: string | undefined,
  request: DecodedRequest,
  signal?: AbortSignal,
  checkReserved = true,
): AsyncGenerator<ModelCallback> {
  const clock = stats.clock;
  const name = model.name;
  const v = version ?? "";
  const batch = model.maxBatchSize > 0 ? (request.inputs[0]?.shape[0] ?? 1) : 1;
  const started = clock.now();
  let callbacks: AsyncGenerator<ModelCallback>;
  try {
    callbacks = runModel(profile, model, version, request, signal, checkReserved);
  } catch (error) {
    stats.record(name, v, batch, false, clock.now() - started);
    throw error;
  }
  return (async function* () {
    let index = 0;
    let last = started;
    let finished = false;
    try {
      for await (const callback of callbacks) {
        const now = clock.now();
        stats.recordResponse(name, v, index, outcome(callback), now - last);
        index += 1;
        last = now;
        if (callback.final) {
          finished = true;
          stats.record(name, v, batch, true, now - started);
        }
        yield callback;
        if (finished) return;
      }
    } finally {
      if (!finished) {
        const now = clock.now();
        stats.recordResponse(name, v, index, "cancel", now - last);
        stats.record(name, v, batch, false, now - started);
      }
    }
  })();
}
