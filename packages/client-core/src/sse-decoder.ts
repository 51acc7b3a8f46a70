/**
 * Decoding `text/event-stream` bodies into events. The line parsing (LF, CR and CRLF, fields
 * split across chunks, comments, multi-line data) is `eventsource-parser`'s; this module adds
 * what the runtimes' streams mean: `data: [DONE]` ends the stream (vLLM, vllm-openai.md §6), and
 * in-band error events (`event: error` from caikit, caikit-tgis.md §1.5; a payload with an
 * `error` key from vLLM, vllm-openai.md §3) become `ServingkitError`s thrown during iteration.
 */
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { Code } from "./code.js";
import { describeErrorBody } from "./error-envelope.js";
import { ServingkitError } from "./servingkit-error.js";
import { type SseEvent, SseStream } from "./sse-stream.js";
import { codeFromHttpStatus } from "./status-mapping.js";

/** The data of the event that ends an OpenAI-style stream. */
export const DONE_DATA = "[DONE]";

/** Default cap on one buffered event (line plus pending data), in characters: 16 Mi. */
export const DEFAULT_MAX_EVENT_SIZE = 16 * 1024 * 1024;

/** How {@link readSseEvents} and {@link decodeSse} read. */
export interface SseReadOptions {
  /** Response headers, kept as the `metadata` of in-band errors. */
  readonly headers?: Headers | undefined;
  /**
   * Largest event the parser may buffer, in characters; a bigger one fails the stream with
   * `Code.ResourceExhausted` instead of growing memory without bound. Default 16 Mi.
   */
  readonly maxEventSize?: number | undefined;
}

function parseData(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The error an event carries, or `undefined` for an ordinary event. An event is an error when it
 * is named `error` (caikit: `{"details", "code", "id"}`), or when its data is a JSON object with
 * an `error` key (vLLM: `{"error": {"message", "type", "code"}}`). The error's message comes
 * from the envelope; a status it states (`code: 400`) becomes `httpStatus` and sets the code.
 */
export function sseEventError(event: SseEvent, headers?: Headers): ServingkitError | undefined {
  let payload: unknown;
  if (event.event === "error") {
    payload = parseData(event.data);
  } else if (event.data.includes('"error"')) {
    const parsed = parseData(event.data);
    if (!isRecord(parsed) || !Object.hasOwn(parsed, "error")) {
      return undefined;
    }
    payload = parsed;
  } else {
    return undefined;
  }
  const facts = describeErrorBody(payload);
  const code = facts.status === undefined ? Code.Unknown : codeFromHttpStatus(facts.status);
  return new ServingkitError(facts.message ?? "the server sent an error event", code, {
    httpStatus: facts.status,
    metadata: headers,
    body: payload,
  });
}

/**
 * Reads events from a byte stream (none from a `null` body) until it ends or sends `[DONE]`;
 * throws in-band errors.
 * Finishing early (return, throw) cancels the byte stream. An unterminated last event is
 * dropped, as the SSE specification says. The building block of {@link decodeSse} and of the
 * HTTP client's `stream`.
 */
export async function* readSseEvents(
  body: ReadableStream<Uint8Array> | null,
  options: SseReadOptions = {},
): AsyncGenerator<SseEvent, void, undefined> {
  if (body === null) {
    return;
  }
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const pending: EventSourceMessage[] = [];
  let overflow: ServingkitError | undefined;
  const maxEventSize = options.maxEventSize ?? DEFAULT_MAX_EVENT_SIZE;
  const parser = createParser({
    maxBufferSize: maxEventSize,
    onEvent: (message) => pending.push(message),
    onError: (error) => {
      if (error.type === "max-buffer-size-exceeded") {
        overflow = new ServingkitError(
          `a server-sent event exceeded ${maxEventSize} characters`,
          Code.ResourceExhausted,
          { metadata: options.headers, retryable: false, cause: error },
        );
      }
    },
  });
  let finished = false;
  try {
    while (!finished) {
      const chunk = await reader.read();
      if (chunk.done) {
        parser.feed(decoder.decode());
        finished = true;
      } else {
        parser.feed(decoder.decode(chunk.value, { stream: true }));
      }
      if (overflow !== undefined) {
        throw overflow;
      }
      const batch = pending.splice(0);
      for (const message of batch) {
        if (message.data === DONE_DATA) {
          return;
        }
        const event: SseEvent = { event: message.event, data: message.data, id: message.id };
        const error = sseEventError(event, options.headers);
        if (error !== undefined) {
          throw error;
        }
        yield event;
      }
    }
  } finally {
    if (!finished) {
      await reader.cancel().catch(() => undefined);
    }
    reader.releaseLock();
  }
}

/**
 * Decodes a `text/event-stream` response (or its body) into a single-use {@link SseStream}.
 * Leaving the loop early cancels the body, which aborts the HTTP request under fetch. For
 * streams with retries, timeouts and auth, use the HTTP client's `stream` instead.
 */
export function decodeSse(
  source: Response | ReadableStream<Uint8Array>,
  options: SseReadOptions = {},
): SseStream {
  return new SseStream(() => {
    if (!("headers" in source)) {
      return readSseEvents(source, options);
    }
    return readSseEvents(source.body, { ...options, headers: options.headers ?? source.headers });
  });
}
