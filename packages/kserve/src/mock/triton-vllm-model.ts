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
 * their `return_*` input is true. `n` > 1 runs n sequences as vLLM V1 runs n child requests:
 * each response carries one sequence's output (see {@link generateResponses}).
 */
import {
  createSimpleEngine,
  defaultModelSpec,
  type FinishEvent,
  type GenerationEvent,
  type GenerationRequest,
  type ModelSpec,
  type ReadySteps,
  readySteps,
  type TextEngine,
  type TokenEvent,
  withStreamInterval,
} from "@servingkit/mock-core/engine";
import { type Clock, realClock } from "@servingkit/mock-core/host";
import { constrainedText } from "@servingkit/mock-core/structured";
import { textToBytes } from "../datatypes.js";
import { InferFault } from "./fault.js";
import type { ParameterValue } from "./infer.js";
import type { MockModel, ModelResponse, Tensor, TensorSpec } from "./models.js";
import { readSamplingParameters, type VllmSampling, verifyLoras } from "./vllm-sampling.js";

/** The sample's model name. */
export const vllmModelName = "vllm_model";

const bool = (name: string): TensorSpec => ({ name, datatype: "BOOL", dims: [1], optional: true });

/** The inputs the backend's `auto_complete_config` adds when a config lacks them, in its order. */
const backendInputs: readonly TensorSpec[] = [
  { name: "text_input", datatype: "BYTES", dims: [1] },
  { name: "image", datatype: "BYTES", dims: [-1], optional: true },
  bool("stream"),
  { name: "sampling_parameters", datatype: "BYTES", dims: [1], optional: true },
  bool("exclude_input_in_output"),
  bool("return_finish_reason"),
  bool("return_cumulative_logprob"),
  bool("return_logprobs"),
  bool("return_num_input_tokens"),
  bool("return_num_output_tokens"),
  { name: "embedding_request", datatype: "BYTES", dims: [1], optional: true },
];

/** The outputs `auto_complete_config` adds when a config lacks them, in its order. */
const backendOutputs: readonly TensorSpec[] = [
  { name: "text_output", datatype: "BYTES", dims: [-1] },
  { name: "finish_reason", datatype: "BYTES", dims: [-1] },
  { name: "cumulative_logprob", datatype: "FP32", dims: [-1] },
  { name: "logprobs", datatype: "BYTES", dims: [-1] },
  { name: "num_input_tokens", datatype: "UINT32", dims: [1] },
  { name: "num_output_tokens", datatype: "UINT32", dims: [-1] },
];

/** The sample config's inputs (`stream` required there) and output. */
const sampleInputs: readonly TensorSpec[] = [
  { name: "text_input", datatype: "BYTES", dims: [1] },
  { name: "stream", datatype: "BOOL", dims: [1] },
  { name: "sampling_parameters", datatype: "BYTES", dims: [1], optional: true },
];
const sampleOutputs: readonly TensorSpec[] = [
  { name: "text_output", datatype: "BYTES", dims: [-1] },
];

/** A config's tensors, then those `auto_complete_config` adds (the ones the config lacks). */
function completed(config: readonly TensorSpec[], backend: readonly TensorSpec[]): TensorSpec[] {
  return [...config, ...backend.filter((b) => !config.some((c) => c.name === b.name))];
}

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
  /** The LoRA adapter that generates (`lora_name`, checked against multi_lora.json). */
  readonly lora?: string | undefined;
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
function readRequest(
  given: ReadonlyMap<string, Tensor>,
  parametersText: string,
  modelName: string,
): VllmRequest {
  if (given.has("embedding_request")) {
    // _validate_request_task_name: the sample's model is a generation model.
    throw new BackendError(`Model ${modelName} does not support 'embed' request`);
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

/**
 * One sequence of a request: vLLM V1 runs `n` > 1 as `n` child requests of one parent
 * (vllm/v1/engine/parallel_sampling.py), each a sequence here with its cumulative output
 * (vLLM's CompletionOutput: the text, the tokens and the sum of their logprobs so far).
 */
interface Sequence {
  readonly steps: AsyncIterator<GenerationEvent>;
  readonly ready: ReadySteps | undefined;
  text: string;
  readonly tokens: TokenEvent[];
  logprob: number;
  /** The finish event once the sequence has finished. */
  finish: FinishEvent | undefined;
  /** A step taken ahead (to see whether the last token was the last), not yet output. */
  ahead: IteratorResult<GenerationEvent> | undefined;
}

/**
 * What the backend keeps between the responses of one request (`create_response`'s
 * `request_output_state`): the lengths the previous response had. vLLM V1 hands the backend one
 * sequence per RequestOutput when `n` > 1 (CUMULATIVE output kind: each child's output alone), and
 * the backend keeps one length per position, so the lengths of one sequence are what the next
 * response, of another sequence, is cut by.
 */
interface PreviousLengths {
  text: number | undefined;
  logprobs: number;
  tokens: number;
}

/**
 * One response's tensors (`GenerateRequest.create_response`) for the output of `sequence`:
 * `text_output` and the optional outputs asked for, each cut where `previous` says (updated).
 */
function responseTensors(
  request: VllmRequest,
  sequence: Sequence,
  previous: PreviousLengths,
  prependInput: boolean,
  promptTokens: number,
  spec: ModelSpec,
): Tensor[] {
  // The prompt goes in front of the first response only, when prepended.
  const prefix = previous.text === undefined && prependInput ? request.prompt : "";
  const text = prefix + sequence.text.slice(previous.text ?? 0);
  previous.text = sequence.text.length;
  const out: Tensor[] = [
    { name: "text_output", datatype: "BYTES", shape: [1], values: [textToBytes(text)] },
  ];
  const r = request.returns;
  if (r.has("finish_reason")) {
    out.push({
      name: "finish_reason",
      datatype: "BYTES",
      shape: [1],
      values: [textToBytes(finishText(sequence.finish))],
    });
  }
  if (r.has("cumulative_logprob")) {
    // vLLM keeps no cumulative logprob unless logprobs were asked (None, which numpy makes NaN).
    const value = request.sampling.logprobs === undefined ? Number.NaN : sequence.logprob;
    out.push({
      name: "cumulative_logprob",
      datatype: "FP32",
      shape: [1],
      values: Float32Array.of(value),
    });
  }
  if (r.has("logprobs")) {
    let json = "null";
    if (request.sampling.logprobs !== undefined) {
      const fresh = sequence.tokens.slice(previous.logprobs);
      previous.logprobs = sequence.tokens.length;
      json = JSON.stringify(fresh.map((t) => logprobEntry(t, spec)));
    }
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
    const count = sequence.tokens.length - previous.tokens;
    previous.tokens = sequence.tokens.length;
    out.push({
      name: "num_output_tokens",
      datatype: "UINT32",
      shape: [1],
      values: Uint32Array.of(count),
    });
  }
  return out;
}

/** vLLM's finish reason text: EOS and stop matches are "stop" (str(None) while unfinished). */
function finishText(event: FinishEvent | undefined): string {
  if (event === undefined) return "None";
  return event.reason === "eos" ? "stop" : event.reason;
}

/**
 * Takes the next output of `sequence`: a token (finished too when its finish is ready at once,
 * as the engine's finish follows the last token), or a finish without a token; with `grouped`
 * (an engine whose outputs are steps: `stream_interval` > 1) every token of the output's group.
 * False when the run was aborted (the client went away): nothing more is sent.
 */
async function advance(sequence: Sequence, grouped: boolean): Promise<boolean> {
  let next = sequence.ahead ?? (await sequence.steps.next());
  sequence.ahead = undefined;
  for (;;) {
    if (next.done) return false;
    const event = next.value;
    if (event.type === "finish") {
      sequence.finish = event;
      return event.reason !== "abort";
    }
    sequence.text += event.text;
    sequence.tokens.push(event);
    sequence.logprob += event.logprob ?? 0;
    const after = sequence.ready?.nextReady();
    if (after === undefined) return true;
    if (!grouped && !after.done && after.value.type !== "finish") {
      // The next token is ready too (an unpaced engine): it is the next output.
      sequence.ahead = after;
      return true;
    }
    next = after;
  }
}

/**
 * The text a structured-output constraint forces on sequence `index`, as the vLLM mock composes
 * it (mock-core `constrainedText`, which its choices.ts `guidedText` calls too): one of the
 * `choice` strings, a JSON value of the `json` schema (`json_object`: any object, `{}`), a string
 * the `regex` fully matches, a sentence of the `grammar`; seed plus index picks, so a seed
 * repeats the text (no choices: no forced text).
 * Undefined for none, and for `structural_tag`, whose text outside its triggers is free (the
 * mock's free text). The engine emits the text token by token, so `max_tokens` cuts it as vLLM's
 * does (finish "length", a JSON text cut short). A pattern or grammar the structured-output
 * backend refuses throws mock-core's StructuredOutputError with vLLM's ValueError text, which
 * vLLM raises from `generate` (the V1 processor validates before the request starts). Off the hot
 * path: one call per sequence.
 */
function forcedText(sampling: VllmSampling, index: number): string | undefined {
  const structured = sampling.structured;
  if (structured === undefined || "structuralTag" in structured) return undefined;
  if ("choice" in structured && structured.choice.length === 0) return undefined;
  const seed = (sampling.seed ?? 0) + index;
  return constrainedText(
    "jsonObject" in structured ? { json: { type: "object" } } : structured,
    seed,
  );
}

/**
 * The responses of one accepted request. The `n` sequences advance in turn, one output each per
 * round (child requests in one engine step, in index order). Streaming: one response per output,
 * flagged final when the last sequence finishes (`RequestOutput.finished`: all children done).
 * Otherwise one response, from the last output: the sequence that finished last alone
 * (CUMULATIVE output kind hands the backend one child's output per RequestOutput).
 */
async function* generateResponses(
  engine: TextEngine,
  spec: ModelSpec,
  request: VllmRequest,
  signal: AbortSignal | undefined,
): AsyncGenerator<ModelResponse> {
  const s = request.sampling;
  const promptIds = spec.tokenizer.encode(request.prompt);
  // Every child's constraint is drawn before any starts: a refused one starts none.
  const forced = Array.from({ length: s.n }, (_, index) => forcedText(s, index));
  const sequences: Sequence[] = [];
  for (let index = 0; index < s.n; index += 1) {
    // Optional keys set one by one, not spread in (a spread followed by keys costs a map each).
    const generation: { -readonly [K in keyof GenerationRequest]: GenerationRequest[K] } = {
      promptIds,
      maxTokens: s.maxTokens,
      minTokens: s.minTokens,
      temperature: s.temperature,
      topP: s.topP,
      topK: s.topK,
      // parallel_sampling.py: child `index` samples with the parent's seed plus its index.
      seed: s.seed === undefined ? undefined : s.seed + index,
      stop: s.stop,
      stopTokenIds: s.stopTokenIds,
      ignoreEos: s.ignoreEos,
      includeStopInOutput: s.includeStopStrInOutput,
      logprobs: s.logprobs,
    };
    const text = forced[index];
    if (text !== undefined) generation.forcedText = text;
    if (request.lora !== undefined) generation.lora = request.lora;
    const run = engine.generate(generation, { signal });
    const steps = run[Symbol.asyncIterator]();
    sequences.push({
      steps,
      ready: readySteps(steps),
      text: "",
      tokens: [],
      logprob: 0,
      finish: undefined,
      ahead: undefined,
    });
  }
  const previous: PreviousLengths = { text: undefined, logprobs: 0, tokens: 0 };
  const grouped = engine.outputs === "steps";
  try {
    let live = sequences;
    let last: Sequence | undefined;
    while (live.length > 0) {
      for (const sequence of live) {
        if (!(await advance(sequence, grouped))) return;
        last = sequence;
        if (request.stream) {
          const final = sequence.finish !== undefined && live.every((q) => q.finish !== undefined);
          const outputs = responseTensors(
            request,
            sequence,
            previous,
            false,
            promptIds.length,
            spec,
          );
          yield final ? { outputs, final } : { outputs };
        }
      }
      live = live.filter((q) => q.finish === undefined);
    }
    if (!request.stream && last !== undefined) {
      const fresh: PreviousLengths = { text: undefined, logprobs: 0, tokens: 0 };
      const outputs = responseTensors(
        request,
        last,
        fresh,
        request.prependInput,
        promptIds.length,
        spec,
      );
      yield { outputs, final: true };
    }
  } finally {
    // A consumer that stops early (the client went away) ends the engines' runs too.
    await Promise.all(sequences.map((q) => q.steps.return?.()));
  }
}

/** Python's `str()` of a list of strings: `['a', 'b']` (double quotes around one with a quote). */
export function pythonList(items: readonly string[]): string {
  const repr = (t: string) => {
    const quote = t.includes("'") && !t.includes('"') ? '"' : "'";
    const escaped = t.replaceAll("\\", "\\\\").replaceAll("\n", "\\n").replaceAll("\t", "\\t");
    return quote + (quote === "'" ? escaped.replaceAll("'", "\\'") : escaped) + quote;
  };
  return `[${items.map(repr).join(", ")}]`;
}

/** Options of {@link createVllmModel}. Durations in milliseconds. */
export interface VllmModelOptions {
  /** The model's name (default the sample's `vllm_model`). */
  readonly name?: string;
  /** Its version, the repository's latest version folder (default "1"). */
  readonly version?: string;
  /**
   * The config's inputs and outputs (default the sample config's); the backend's
   * `auto_complete_config` adds those they lack.
   */
  readonly config?: {
    readonly inputs: readonly TensorSpec[];
    readonly outputs: readonly TensorSpec[];
  };
  /**
   * The adapters of `multi_lora.json` (name → path), read when `model.json` sets `enable_lora`;
   * undefined: LoRA not enabled (the sample's `model.json`), so any `lora_name` is refused.
   */
  readonly loras?: Readonly<Record<string, string>>;
  /** Time source of the pacing (default the real clock; `ManualClock` in tests). */
  readonly clock?: Clock;
  /** Delay before the first token (default 0: none), as the vLLM mock's `--time-to-first-token`. */
  readonly timeToFirstTokenMs?: number;
  /** Delay between tokens (default 0: none), as the vLLM mock's `--inter-token-latency`. */
  readonly interTokenMs?: number;
  /**
   * `model.json`'s `stream_interval` in tokens (default 1: every token): the backend passes
   * `model.json` to vLLM's `AsyncEngineArgs`, and vLLM (0.12.0 and later) then hands out a
   * streamed request's first token alone and later ones once this many have gathered, the last
   * with the finish, so each streamed response carries up to this many tokens.
   */
  readonly streamInterval?: number;
}

/**
 * The `vllm_model` built-in. The engine starts on the first request (mock-core's built-in
 * model spec loads once). Unpaced by default, so responses come as fast as the consumer reads
 * them; with pacing, token k is due `timeToFirstTokenMs + k × interTokenMs` after the request
 * starts (mock-core's fixed schedule, as the vLLM and TGIS mocks pace), so streamed responses
 * come at that rhythm.
 */
export function createVllmModel(options: VllmModelOptions = {}): MockModel {
  const name = options.name ?? vllmModelName;
  // The instance name the Python backend puts in errors raised by `execute`
  // (`<model>_<group>_<n>`: one KIND_MODEL instance).
  const instanceName = `${name}_0_0`;
  const supported = options.loras === undefined ? undefined : Object.keys(options.loras);
  const interval = options.streamInterval ?? 1;
  if (!Number.isInteger(interval) || interval < 1) {
    throw new RangeError(`stream_interval ${interval}: expected a whole number of tokens >= 1`);
  }
  let engine: Promise<{ engine: TextEngine; spec: ModelSpec }> | undefined;
  const start = () => {
    engine ??= defaultModelSpec().then((spec) => {
      const simple = createSimpleEngine({
        clock: options.clock ?? realClock,
        model: spec,
        timeToFirstTokenMs: options.timeToFirstTokenMs ?? 0,
        interTokenMs: options.interTokenMs ?? 0,
        fixedSchedule: true,
      });
      return { spec, engine: interval > 1 ? withStreamInterval(simple, interval) : simple };
    });
    return engine;
  };
  return {
    name,
    versions: [options.version ?? "1"],
    platform: "vllm",
    // auto_complete_config: max_batch_size 0 and the decoupled policy, whatever the config says.
    maxBatchSize: 0,
    inputs: completed(options.config?.inputs ?? sampleInputs, backendInputs),
    outputs: completed(options.config?.outputs ?? sampleOutputs, backendOutputs),
    decoupled: true,
    // Off the hot path (once at start): a model.json's own stream_interval wins over the flag.
    withPacing: (pacing) =>
      createVllmModel({
        ...options,
        ...pacing,
        streamInterval: options.streamInterval ?? pacing.streamInterval ?? 1,
      }),
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
        // _verify_loras answers with respond_error: LoRA off (the sample's model.json), or a name
        // multi_lora.json does not list (Python's repr of the list of names).
        const refusal =
          supported === undefined
            ? "LoRA feature is not enabled."
            : supported.includes(lora.lora)
              ? undefined
              : `LoRA ${lora.lora} is not supported, we currently support ${pythonList(supported)}`;
        if (refusal !== undefined) {
          yield { error: new InferFault("internal", refusal), final: true };
          return;
        }
      }
      let request: VllmRequest;
      try {
        request = { ...readRequest(given, parametersText, name), lora: lora.lora };
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
