/**
 * Triton's generate extension (server docs/protocol/extension_generate.md): `POST
 * /v2/models/{m}[/versions/{v}]/generate` answers one flat JSON object, `generate_stream` one
 * Server-Sent Event (`data: <object>`) per model response. The body is flat too: each key is a
 * model input when the model has one of that name, else a request parameter, and `parameters`
 * holds more parameters. Errors are Triton's `{"error": "..."}`: as the body of a refused request,
 * as an event on the stream, and under status 200 when `/generate` got more or fewer than one
 * response from a decoupled model (http_server.cc `SendChunkResponse`). REST only: gRPC has no
 * generate RPC.
 */
import {
  Code,
  describeErrorBody,
  type HttpClient,
  parseJsonWithNonFinite,
  readSseEvents,
  ServingkitError,
} from "@servingkit/client-core";
import type { KserveCallOptions } from "./kserve-client.js";

/**
 * A generate request body: input values by input name (`text_input`, `stream`, ...), request
 * parameters by any other name (strings, numbers, booleans), and an optional `parameters` object
 * of more parameters. Loosely typed: which keys mean what depends on the model.
 */
export type GenerateBody = Readonly<Record<string, unknown>>;

/**
 * One generate answer (or one event of a stream): `model_name`, `model_version`, `id` when the
 * request had one, and one key per output, a one-element output as that element, any other as a
 * flat array. Non-finite floats come back as `NaN` / `Infinity` numbers.
 */
export interface GenerateResponse {
  /** Every key of the answer, as sent. */
  readonly [key: string]: unknown;
  /** The model that answered. */
  readonly model_name?: string;
  /** Its version, a string. */
  readonly model_version?: string;
  /** The request's `id`, when it had a non-empty one. */
  readonly id?: string;
  /** A text model's output (the vLLM backend's): one string, or one per element. */
  readonly text_output?: string | readonly string[];
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * The answer a generate body or event holds, or the `ServingkitError` of Triton's `{"error":
 * ...}` in it (code `Unknown`: an in-band error states no status; `httpStatus` is the status the
 * response had, when given). `text` is the JSON as sent (bare `NaN` allowed).
 */
export function readGenerateAnswer(
  text: string,
  headers?: Headers,
  httpStatus?: number,
): GenerateResponse {
  let value: unknown;
  try {
    value = parseJsonWithNonFinite(text);
  } catch (cause) {
    throw new ServingkitError(
      `the generate answer is not JSON: ${text.slice(0, 200)}`,
      Code.Internal,
      { cause, body: text, metadata: headers, retryable: false },
    );
  }
  if (!isRecord(value)) {
    throw new ServingkitError(
      `the generate answer is not a JSON object: ${text.slice(0, 200)}`,
      Code.Internal,
      { body: value, metadata: headers, retryable: false },
    );
  }
  if (Object.hasOwn(value, "error")) {
    const message = describeErrorBody(value).message ?? "the server answered an error";
    throw new ServingkitError(message, Code.Unknown, {
      httpStatus,
      body: value,
      metadata: headers,
      retryable: false,
    });
  }
  return value as GenerateResponse;
}

/**
 * `POST {path}` (`.../generate`) with `body` as JSON; resolves with the answer. A refusal
 * (4xx/5xx) throws `ServingkitError` with Triton's message and the status's code; an error in a
 * 200 answer throws one with code `Unknown` ({@link readGenerateAnswer}). Retried as the client's
 * other calls are.
 */
export async function postGenerate(
  http: HttpClient,
  path: string,
  body: GenerateBody,
  options: KserveCallOptions = {},
): Promise<GenerateResponse> {
  const response = await http.request(path, { json: body, signal: options.signal });
  const text = await response.text();
  return readGenerateAnswer(text, response.headers, response.status);
}

/**
 * The error of a refused stream: Triton writes the first response's error as an event (`data:
 * {"error": ...}`) under the error's status, so the HTTP client's message is the event's text;
 * it is read with the SSE decoder into Triton's message, the status and code kept.
 */
async function refusalFromEvents(error: unknown): Promise<unknown> {
  if (!(error instanceof ServingkitError) || error.httpStatus === undefined) return error;
  if (typeof error.body !== "string" || !error.body.startsWith("data:")) return error;
  try {
    for await (const _ of readSseEvents(new Response(`${error.body}\n\n`).body)) {
      // An ordinary event: the body is not Triton's error event.
    }
  } catch (inner) {
    if (inner instanceof ServingkitError && inner.body !== undefined) {
      return new ServingkitError(inner.rawMessage, error.code, {
        httpStatus: error.httpStatus,
        metadata: error.metadata,
        body: inner.body,
        cause: error,
      });
    }
  }
  return error;
}

/**
 * `POST {path}` (`.../generate_stream`) with `body` as JSON; yields each event's object as it
 * arrives. Sent when iteration starts and retried (as the client's other calls) until the first
 * event. An `{"error": ...}` event throws `ServingkitError` with Triton's message (code `Unknown`
 * mid-stream; the status's code when it is the first response and so the reply's status).
 * Leaving the loop (`break`, a throw) or `signal` aborts the HTTP request, which cancels the
 * request on the server. Single use: a second iteration throws `Code.FailedPrecondition`.
 */
export function postGenerateStream(
  http: HttpClient,
  path: string,
  body: GenerateBody,
  options: KserveCallOptions = {},
): AsyncIterable<GenerateResponse> {
  // The SSE stream refuses a second iteration (Code.FailedPrecondition), as every stream does.
  const events = http.stream(path, { json: body, signal: options.signal });
  return {
    async *[Symbol.asyncIterator]() {
      try {
        for await (const event of events) {
          yield readGenerateAnswer(event.data);
        }
      } catch (error) {
        throw await refusalFromEvents(error);
      }
    },
  };
}

/** What a gRPC client's `generate` and `generateStream` throw: generate is a REST extension. */
export function generateOverGrpc(): ServingkitError {
  return new ServingkitError(
    'generate is Triton\'s REST extension (POST /v2/models/{m}/generate[_stream]) and has no gRPC RPC; create the client with transport: "rest" (over gRPC, use streamInfer)',
    Code.Unimplemented,
    { retryable: false },
  );
}
