/**
 * Triton's vLLM backend sample model, `vllm_model` (triton-inference-server/vllm_backend
 * `samples/model_repository/vllm_model/config.pbtxt`, `src/model.py`, `src/utils/request.py`):
 * a decoupled model (`model_transaction_policy { decoupled: true }`, `max_batch_size: 0`, backend
 * `vllm`) whose text comes from mock-core's simple engine with the built-in tokenizer, the
 * generator the vLLM mock uses.
 *
 * Inputs are the sample config's (`text_input` and `stream` required, `sampling_parameters`
 * optional) followed by those `auto_complete_config` adds, all optional; outputs likewise.
 * Per request, as the backend does: `stream` true sends one response per generated token, each
 * with the new text only (the last flagged final); otherwise one response with the whole text,
 * the prompt in front unless `exclude_input_in_output` is true. Optional outputs come when
 * their `return_*` input is true.
 */
import {
  type Clock,
  createSimpleEngine,
  defaultModelSpec,
  type GenerationEvent,
  type ModelSpec,
  readySteps,
  realClock,
  type TextEngine,
  type TokenEvent,
} from "@servingkit/mock-core";
import { textToBytes } from "../datatypes.js";
import { InferFault } from "./fault.js";
import type { ParameterValue } from "./infer.js";
import type { MockModel, ModelResponse, Tensor, TensorSpec } from "./models.js";
import { readSamplingParameters, type VllmSampling, verifyLoras } from "./vllm-sampling.js";

/** The sample's model name. */
export const vllmModelName = "vllm_model";

/**
 * The instance name the Python backend puts in errors raised by `execute` (`<model>_<group>_<n>`:
 * the sample's one KIND_MODEL instance).
 */
const instanceName = `${vllmModelName}_0_0`;

const bool = (name: string): TensorSpec => ({ name, datatype: "BOOL", dims: [1], optional: true });

/** The inputs: the sample config's three, then the ones `auto_complete_config` adds, in its order. */
const inputs: readonly TensorSpec[] = [
  { name: "text_input", datatype: "BYTES", dims: [1] },
  { name: "stream", datatype: "BOOL", dims: [1] },
  { name: "sampling_parameters", datatype: "BYTES", dims: [1], optional: true },
  { name: "image", datatype: "BYTES", dims: [-1], optional: true },
  bool("exclude_input_in_output"),
  bool("return_finish_reason"),
  bool("return_cumulative_logprob"),
  bool("return_logprobs"),
  bool("return_num_input_tokens"),
  bool("return_num_output_tokens"),
  { name: "embedding_request", datatype: "BYTES", dims: [1], optional: true },
];

/** The outputs: the sample's `text_output`, then the ones `auto_complete_config` adds. */
const outputs: readonly TensorSpec[] = [
  { name: "text_output", datatype: "BYTES", dims: [-1] },
  { name: "finish_reason", datatype: "BYTES", dims: [-1] },
  { name: "cumulative_logprob", datatype: "FP32", dims: [-1] },
  { name: "logprobs", datatype: "BYTES", dims: [-1] },
  { name: "num_input_tokens", datatype: "UINT32", dims: [1] },
  { name: "num_output_tokens", datatype: "UINT32", dims: [-1] },
];

const decoder = new TextDecoder();

/** The first element of a BYTES input as text; undefined when the request has no such input. */
function text(given: ReadonlyMap<string, Tensor>, name: string): string | undefined {
  const values = given.get(name)?.values as Uint8Array[] | undefined;
  return values === undefined ? undefined : decoder.decode(values[0] ?? new Uint8Array());
}

/** The first element of a BOOL input; undefined when the request has no such input. */
function flag(given: ReadonlyMap<string, Tensor>, name: string): boolean | undefined {
  const values = given.get(name)?.values as Uint8Array | undefined;
  return values === undefined ? undefined : (values[0] ?? 0) !== 0;
}

/** `request.parameters()`: the request's parameters as a JSON object text. */
function parametersJson(parameters: Readonly<Record<string, ParameterValue>>): string {
  const plain = Object.create(null) as Record<string, string | number | boolean>;
  for (const key of Object.keys(parameters)) {
    const value = parameters[key] as ParameterValue;
    plain[key] = typeof value === "bigint" ? Number(value) : value;
  }
  return JSON.stringify(plain);
}

/** What one request asked of the backend (`GenerateRequest._get_input_tensors`). */
interface VllmRequest {
  readonly prompt: string;
  readonly stream: boolean;
  readonly prependInput: boolean;
  readonly sampling: VllmSampling;
  readonly returns: ReadonlySet<string>;
}

/** Optional outputs by the input that asks for each. */
const optionalOutputs = [
  ["return_finish_reason", "finish_reason"],
  ["return_cumulative_logprob", "cumulative_logprob"],
  ["return_logprobs", "logprobs"],
  ["return_num_input_tokens", "num_input_tokens"],
  ["return_num_output_tokens", "num_output_tokens"],
] as const;

/** A backend error raised inside `_infer`, which answers `Error generating stream: <it>`. */
class BackendError extends Error {}

/**
 * Reads the inputs as `_get_input_tensors` and `from_dict` do, throwing the Python exception
 * text the backend would catch.
 */
function readRequest(given: ReadonlyMap<string, Tensor>, parametersText: string): VllmRequest {
  if (given.has("embedding_request")) {
    // _validate_request_task_name: the sample's model is a generation model.
    throw new BackendError(`Model ${vllmModelName} does not support 'embed' request`);
  }
  const stream = flag(given, "stream") ?? false;
  const exclude = flag(given, "exclude_input_in_output");
  // exclude_input_in_output given: prepend unless true; absent: prepend unless streaming.
  const prependInput = exclude !== undefined ? !exclude : !stream;
  if (prependInput && stream) {
    throw new BackendError("When streaming, `exclude_input_in_output` = False is not allowed.");
  }
  const sampling = readSamplingParameters(parametersText);
  if (sampling === undefined) {
    // from_dict logged its exception and returned None; execute() then reads its lora_name.
    throw new BackendError("'NoneType' object has no attribute 'lora_name'");
  }
  const returns = new Set<string>();
  for (const [input, output] of optionalOutputs) {
    if (flag(given, input) === true) returns.add(output);
  }
  return { prompt: text(given, "text_input") ?? "", stream, prependInput, sampling, returns };
}

/** One token's logprob entry as the backend writes it: `{id: {logprob, rank, decoded_token}}`. */
function logprobEntry(token: TokenEvent, spec: ModelSpec): Record<string, unknown> {
  const entry: Record<string, unknown> = {};
  entry[token.id] = {
    logprob: token.logprob,
    rank: token.rank,
    decoded_token: spec.tokenizer.decode([token.id]),
  };
  for (const [index, alt] of (token.top ?? []).entries()) {
    if (alt.id === token.id) continue;
    entry[alt.id] = { logprob: alt.logprob, rank: index + 1, decoded_token: alt.text };
  }
  return entry;
}

/** The running totals of one request's output (vLLM's cumulative RequestOutput). */
interface OutputState {
  /** The text so far. */
  text: string;
  /** The sum of the logprobs of the tokens sent so far (vLLM's `cumulative_logprob`). */
  logprob: number;
}

/**
 * One response's tensors (`GenerateRequest.create_response`): `text_output` and the optional
 * outputs asked for. `delta` is the new text (with the prompt in front when prepended), `tokens`
 * the new tokens.
 */
function responseTensors(
  request: VllmRequest,
  delta: string,
  tokens: readonly TokenEvent[],
  state: OutputState,
  finish: string,
  promptTokens: number,
  spec: ModelSpec,
): Tensor[] {
  const out: Tensor[] = [
    { name: "text_output", datatype: "BYTES", shape: [1], values: [textToBytes(delta)] },
  ];
  const r = request.returns;
  if (r.has("finish_reason")) {
    out.push({
      name: "finish_reason",
      datatype: "BYTES",
      shape: [1],
      values: [textToBytes(finish)],
    });
  }
  if (r.has("cumulative_logprob")) {
    // vLLM keeps no cumulative logprob unless logprobs were asked (None, which numpy makes NaN).
    const value = request.sampling.logprobs === undefined ? Number.NaN : state.logprob;
    out.push({
      name: "cumulative_logprob",
      datatype: "FP32",
      shape: [1],
      values: Float32Array.of(value),
    });
  }
  if (r.has("logprobs")) {
    const json =
      request.sampling.logprobs === undefined
        ? "null"
        : JSON.stringify(tokens.map((t) => logprobEntry(t, spec)));
    out.push({ name: "logprobs", datatype: "BYTES", shape: [1], values: [textToBytes(json)] });
  }
  if (r.has("num_input_tokens")) {
    // np.asarray(n, dtype=uint32): a 0-d array.
    out.push({
      name: "num_input_tokens",
      datatype: "UINT32",
      shape: [],
      values: Uint32Array.of(promptTokens),
    });
  }
  if (r.has("num_output_tokens")) {
    out.push({
      name: "num_output_tokens",
      datatype: "UINT32",
      shape: [1],
      values: Uint32Array.of(tokens.length),
    });
  }
  return out;
}

/** vLLM's finish reason text: EOS and stop matches are "stop" (str(None) while unfinished). */
function finishText(event: GenerationEvent | undefined): string {
  if (event?.type !== "finish") return "None";
  return event.reason === "eos" ? "stop" : event.reason;
}

/** The responses of one accepted request: per token when streaming, else one. */
async function* generateResponses(
  engine: TextEngine,
  spec: ModelSpec,
  request: VllmRequest,
  signal: AbortSignal | undefined,
): AsyncGenerator<ModelResponse> {
  const s = request.sampling;
  const promptIds = spec.tokenizer.encode(request.prompt);
  const run = engine.generate(
    {
      promptIds,
      maxTokens: s.maxTokens,
      minTokens: s.minTokens,
      temperature: s.temperature,
      topP: s.topP,
      topK: s.topK,
      seed: s.seed,
      stop: s.stop,
      stopTokenIds: s.stopTokenIds,
      ignoreEos: s.ignoreEos,
      includeStopInOutput: s.includeStopStrInOutput,
      logprobs: s.logprobs,
    },
    { signal },
  );
  const state: OutputState = { text: "", logprob: 0 };
  const all: TokenEvent[] = [];
  const emit = (token: TokenEvent | undefined, finish: GenerationEvent | undefined) => {
    state.logprob += token?.logprob ?? 0;
    return responseTensors(
      request,
      token?.text ?? "",
      token ? [token] : [],
      state,
      finishText(finish),
      promptIds.length,
      spec,
    );
  };
  const steps = run[Symbol.asyncIterator]();
  try {
    yield* stepResponses(steps, request, state, all, emit, promptIds.length, spec);
  } finally {
    // A consumer that stops early (the client went away) ends the engine's run too.
    await steps.return?.();
  }
}

/** The loop of {@link generateResponses} over the engine's steps. */
async function* stepResponses(
  steps: AsyncIterator<GenerationEvent>,
  request: VllmRequest,
  state: OutputState,
  all: TokenEvent[],
  emit: (token: TokenEvent | undefined, finish: GenerationEvent | undefined) => Tensor[],
  promptTokens: number,
  spec: ModelSpec,
): AsyncGenerator<ModelResponse> {
  const ready = readySteps(steps);
  let next = await steps.next();
  while (!next.done) {
    const event = next.value;
    if (event.type === "token") {
      state.text += event.text;
      all.push(event);
      if (!request.stream) {
        next = await steps.next();
        continue;
      }
      // One response per engine step, flagged final at the step that finishes: the engine's
      // finish is ready at once after the last token, so this token is the last when it is.
      const after = ready?.nextReady();
      if (after !== undefined && (after.done || after.value.type === "finish")) {
        // The client went away: nothing more is sent.
        if (!after.done && after.value.type === "finish" && after.value.reason === "abort") return;
        yield { outputs: emit(event, after.done ? undefined : after.value), final: true };
        return;
      }
      yield { outputs: emit(event, undefined) };
      next = after ?? (await steps.next());
      continue;
    }
    if (event.reason === "abort") return;
    if (request.stream) {
      // A finish not seen with its token (no token at all, or an engine without ready steps).
      yield { outputs: emit(undefined, event), final: true };
      return;
    }
    const whole = request.prependInput ? request.prompt + state.text : state.text;
    for (const token of all) state.logprob += token.logprob ?? 0;
    const tensors = responseTensors(
      request,
      whole,
      all,
      state,
      finishText(event),
      promptTokens,
      spec,
    );
    yield { outputs: tensors, final: true };
    return;
  }
}

/** Options of {@link createVllmModel}. Durations in milliseconds. */
export interface VllmModelOptions {
  /** Time source of the pacing (default the real clock; `ManualClock` in tests). */
  readonly clock?: Clock;
  /** Delay before the first token (default 0: none), as the vLLM mock's `--time-to-first-token`. */
  readonly timeToFirstTokenMs?: number;
  /** Delay between tokens (default 0: none), as the vLLM mock's `--inter-token-latency`. */
  readonly interTokenMs?: number;
}

/**
 * The `vllm_model` built-in. The engine starts on the first request (mock-core's built-in
 * model spec loads once). Unpaced by default, so responses come as fast as the consumer reads
 * them; with pacing, token k is due `timeToFirstTokenMs + k × interTokenMs` after the request
 * starts (mock-core's fixed schedule, as the vLLM and TGIS mocks pace), so streamed responses
 * come at that rhythm.
 */
export function createVllmModel(options: VllmModelOptions = {}): MockModel {
  let engine: Promise<{ engine: TextEngine; spec: ModelSpec }> | undefined;
  const start = () => {
    engine ??= defaultModelSpec().then((spec) => ({
      spec,
      engine: createSimpleEngine({
        clock: options.clock ?? realClock,
        model: spec,
        timeToFirstTokenMs: options.timeToFirstTokenMs ?? 0,
        interTokenMs: options.interTokenMs ?? 0,
        fixedSchedule: true,
      }),
    }));
    return engine;
  };
  return {
    name: vllmModelName,
    versions: ["1"],
    platform: "vllm",
    maxBatchSize: 0,
    inputs,
    outputs,
    decoupled: true,
    compute() {
      // Never reached: Triton refuses infer and ModelInfer on a decoupled model.
      throw new Error("a decoupled model answers through respond()");
    },
    async *respond(given, parameters, signal) {
      const parametersText = text(given, "sampling_parameters") ?? parametersJson(parameters);
      // execute() runs _verify_loras for the batch before any request starts.
      const lora = verifyLoras(parametersText);
      if ("error" in lora) {
        yield {
          error: new InferFault(
            "internal",
            `Failed to process the request(s) for model instance '${instanceName}', message: ${lora.error}`,
          ),
          final: true,
        };
        return;
      }
      if (lora.lora !== undefined) {
        // The sample's model.json does not enable LoRA (respond_error).
        yield { error: new InferFault("internal", "LoRA feature is not enabled."), final: true };
        return;
      }
      let request: VllmRequest;
      try {
        request = readRequest(given, parametersText);
      } catch (error) {
        if (!(error instanceof BackendError)) throw error;
        yield {
          error: new InferFault("internal", `Error generating stream: ${error.message}`),
          final: true,
        };
        return;
      }
      const { engine: e, spec } = await start();
      try {
        yield* generateResponses(e, spec, request, signal);
      } catch (error) {
        if (error instanceof InferFault) {
          yield { error, final: true };
          return;
        }
        yield {
          error: new InferFault("internal", `Error generating stream: ${(error as Error).message}`),
          final: true,
        };
      }
    },
  };
}
