/**
 * The streamed Responses answer (`stream: true`), as vLLM frames it: every event is
 * `event: <type>\ndata: <compact JSON>\n\n` (responses/api_router.py
 * `_convert_stream_to_sse_events`: `event:` lines, unlike chat; no `data: [DONE]` at the end),
 * each with a `sequence_number` counting from 0. The events of a text answer
 * (serving_responses.py `_process_simple_streaming_events` and `responses_stream_generator`):
 * `response.created`, `response.in_progress`, at the first output `response.output_item.added`
 * and `response.content_part.added`, one `response.output_text.delta` per engine output, then
 * `response.output_text.done`, `response.content_part.done`, `response.output_item.done` and
 * `response.completed` with the full generator's response. Up to 0.17 (profiles.ts
 * `ResponsesEra.streamItems` `text`) `content_index` counts up per event and a called function
 * streams as text (vllm issue #29725); from vllm PR #29947 (`parsed`) as
 * `response.function_call_arguments.delta`/`.done` (responses/simple_streaming_events.py).
 */
import { randomUUID } from "node:crypto";
import { type FinishEvent, readySteps, type TokenEvent } from "@servingkit/mock-core";
import { type StreamPiece, streamPieces } from "./choices.js";
import { clampLogprob } from "./completions.js";
import { badRequest } from "./errors.js";
import {
  type EventLog,
  finishStatus,
  itemId,
  outputItems,
  type PreparedResponse,
  type ResponseStore,
  responseObject,
  responseUsage,
} from "./responses.js";
import type { VllmModel } from "./served-model.js";
import { pyRepr } from "./validation.js";

/** One Responses SSE event's bytes: its type on an `event:` line, then its JSON. */
export function responsesEvent(type: string, payload: object): string {
  return `event: ${type}\ndata: ${JSON.stringify(payload)}\n\n`;
}

/**
 * A delta's logprobs (serving_responses.py `_create_stream_response_logprobs`): token, logprob
 * and top alternatives without bytes; `[]` unless `include` asks for them.
 */
function deltaLogprobs(model: VllmModel, tokens: readonly TokenEvent[], topCount: number) {
  return tokens.map((token) => ({
    token: model.spec.tokenizer.tokenText(token.id),
    logprob: clampLogprob(token.logprob) ?? 0,
    top_logprobs:
      topCount > 0
        ? (token.top ?? [])
            .slice(0, topCount)
            .map((alt) => ({ token: alt.text, logprob: clampLogprob(alt.logprob) ?? 0 }))
        : [],
  }));
}

/**
 * The SSE frames of a streamed response. Checks ran in `prepared`, so errors before the first
 * frame already have their status. One text delta per engine output, as vLLM sends one per
 * RequestOutput: choices.ts {@link streamPieces} groups the engine's token events into outputs
 * (one per token on the simple engine; one per engine step under `--gpu`, k + 1 tokens under
 * speculative decoding) the way chat and completions stream them. The events follow the era
 * (profiles.ts `ResponsesEra.streamItems`, `completedOutput`). The whole response goes to the
 * store when `prepared.store`. Leaving early (the client closes) ends the engine run.
 */
export async function* responseStream(
  model: VllmModel,
  store: ResponseStore,
  prepared: PreparedResponse,
  signal: AbortSignal,
): AsyncGenerator<string> {
  const { request, tool, era } = prepared;
  let sequence = 0;
  const initial = responseObject(prepared, { status: "in_progress", output: [], usage: null });
  yield responsesEvent("response.created", {
    response: initial,
    sequence_number: sequence++,
    type: "response.created",
  });
  yield responsesEvent("response.in_progress", {
    response: initial,
    sequence_number: sequence++,
    type: "response.in_progress",
  });
  // Before vllm PR #29947 (`text`) a called function streams as the text it is; after it
  // (`parsed`) as a function_call item with argument events.
  const call = era.streamItems === "parsed" ? tool : undefined;
  // The pre-#29947 stream counts content_index up by one per event after the content part.
  const counting = era.streamItems === "text";
  // serving_responses.py `_process_simple_streaming_events` (vllm PR #23741's stream, ≈0.10.2 on;
  // still so in vllm PR #36445's output of March 2026): a streamed message's id is a plain uuid4,
  // and `response.completed` is the full generator's response, whose message has its own `msg_` id.
  const id = call ? itemId("fc") : randomUUID();
  const callId = call ? itemId("call") : "";
  const name = call?.tool.name ?? "";
  const keepTokens = request.includeLogprobs;
  const tokens: TokenEvent[] = [];
  let text = "";
  let last: StreamPiece | undefined;
  let contentIndex = 0;
  let started = false;
  const opening = (): string[] => {
    started = true;
    if (call) {
      return [
        responsesEvent("response.output_item.added", {
          item: {
            arguments: "",
            call_id: callId,
            name,
            type: "function_call",
            id,
            status: "in_progress",
          },
          output_index: 0,
          sequence_number: sequence++,
          type: "response.output_item.added",
        }),
      ];
    }
    const frames = [
      responsesEvent("response.output_item.added", {
        item: { id, content: [], role: "assistant", status: "in_progress", type: "message" },
        output_index: 0,
        sequence_number: sequence++,
        type: "response.output_item.added",
      }),
      responsesEvent("response.content_part.added", {
        content_index: contentIndex,
        item_id: id,
        output_index: 0,
        part: { annotations: [], text: "", type: "output_text", logprobs: [] },
        sequence_number: sequence++,
        type: "response.content_part.added",
      }),
    ];
    if (counting) contentIndex += 1;
    return frames;
  };
  const delta = (piece: StreamPiece): string => {
    if (call) {
      return responsesEvent("response.function_call_arguments.delta", {
        delta: piece.text,
        item_id: id,
        output_index: 0,
        sequence_number: sequence++,
        type: "response.function_call_arguments.delta",
      });
    }
    const frame = responsesEvent("response.output_text.delta", {
      content_index: contentIndex,
      delta: piece.text,
      item_id: id,
      logprobs: keepTokens ? deltaLogprobs(model, piece.tokens, request.topLogprobs) : [],
      output_index: 0,
      sequence_number: sequence++,
      type: "response.output_text.delta",
    });
    if (counting) contentIndex += 1;
    return frame;
  };
  /** The frames of one engine output: the opening events first, then its delta. */
  const framesOf = (piece: StreamPiece): string[] => {
    last = piece;
    if (keepTokens) tokens.push(...piece.tokens);
    // Every output is a delta, an empty one (an EOS step) too: DeltaMessage(content="") is sent
    // (simple_streaming_events.py's empty-text filter tests `content and content == ""`, which
    // never holds). Only an empty first output of the newer stream is left out: it opens no item
    // there (a delta with item_id "" would follow; not modelled).
    if (piece.text === "" && !started && !counting) return [];
    text += piece.text;
    const frames = started ? [] : opening();
    frames.push(delta(piece));
    return frames;
  };
  const pieces = streamPieces({
    includeStopStr: request.includeStopStrInOutput,
    keepTokens,
    outputs: model.engine.outputs,
  });
  const run = model.engine.generate(prepared.plan.request, { signal })[Symbol.asyncIterator]();
  const ready = readySteps(run);
  let finish: FinishEvent | undefined;
  try {
    reading: for (;;) {
      let result = await run.next();
      // Events ready at once belong to the same engine output; the held text goes out when none
      // is (as completions and chat stream, sse.ts).
      for (;;) {
        // A cancelled background run stops at once, as vLLM's cancelled task does.
        if (result.done || signal.aborted) break reading;
        const piece = pieces.add(0, result.value);
        if (piece !== undefined) {
          yield* framesOf(piece);
          if (piece.kind === "finish") {
            finish = piece.finish;
            break reading;
          }
        }
        const next = ready?.nextReady();
        if (next === undefined) {
          const flushed: StreamPiece[] = [];
          pieces.flush((held) => flushed.push(held));
          for (const held of flushed) yield* framesOf(held);
          break;
        }
        result = next;
      }
    }
  } finally {
    await run.return?.();
  }
  // Cancelled (or the engine ended without a finish): no done events.
  if (finish === undefined || signal.aborted) return;
  let output: readonly object[];
  if (call) {
    if (!started) yield* opening();
    const item = {
      arguments: text,
      call_id: callId,
      name,
      type: "function_call",
      id,
      status: "completed",
    };
    yield responsesEvent("response.function_call_arguments.done", {
      arguments: text,
      item_id: id,
      name,
      output_index: 0,
      sequence_number: sequence++,
      type: "response.function_call_arguments.done",
    });
    yield responsesEvent("response.output_item.done", {
      item,
      output_index: 0,
      sequence_number: sequence++,
      type: "response.output_item.done",
    });
    output = [item];
  } else {
    if (started) yield* textDone(id, text, () => sequence++, contentIndex, counting ? 1 : 0);
    // The full generator's items: of the whole text, or of the last output alone (see
    // ResponsesEra.completedOutput).
    output =
      era.completedOutput === "whole"
        ? outputItems(model, prepared, text, tokens)
        : outputItems(model, prepared, last?.text ?? "", last?.tokens ?? []);
  }
  const final = responseObject(prepared, {
    status: finishStatus(prepared, finish),
    output,
    usage: responseUsage(era, prepared.promptTokens, finish.completionTokens),
  });
  if (prepared.store) store.put(final, prepared.messages);
  yield responsesEvent("response.completed", {
    response: final,
    sequence_number: sequence++,
    type: "response.completed",
  });
}

/**
 * The events that close the streamed message: `output_text.done` and `content_part.done` (their
 * `content_index`: `contentIndex`, then `contentIndex + step`; step 1 where it counts up), and
 * `output_item.done`, whose item carries the `summary=[]` vLLM passes to ResponseOutputMessage
 * (an extra key the openai model keeps).
 */
function* textDone(
  id: string,
  text: string,
  nextSequence: () => number,
  contentIndex: number,
  step: 0 | 1,
): Generator<string> {
  yield responsesEvent("response.output_text.done", {
    content_index: contentIndex,
    item_id: id,
    logprobs: [],
    output_index: 0,
    sequence_number: nextSequence(),
    text,
    type: "response.output_text.done",
  });
  const part = { annotations: [], text, type: "output_text", logprobs: null };
  yield responsesEvent("response.content_part.done", {
    content_index: contentIndex + step,
    item_id: id,
    output_index: 0,
    part,
    sequence_number: nextSequence(),
    type: "response.content_part.done",
  });
  yield responsesEvent("response.output_item.done", {
    item: {
      id,
      content: [part],
      role: "assistant",
      status: "completed",
      type: "message",
      summary: [],
    },
    output_index: 0,
    sequence_number: nextSequence(),
    type: "response.output_item.done",
  });
}

/**
 * `POST /v1/responses` with `background` and `stream` (store on; serving_responses.py
 * `_run_background_request_stream`): the `queued` response is stored, the stream runs on its
 * own (the client leaving does not stop it; cancel does) into the response's event log, and the
 * answer follows that log from its first event. A run that fails marks the response `failed`.
 */
export function backgroundResponseStream(
  model: VllmModel,
  store: ResponseStore,
  prepared: PreparedResponse,
): AsyncIterable<string> {
  const queued = responseObject(prepared, { status: "queued", output: [], usage: null });
  const id = String(queued.id);
  store.put(queued, prepared.messages);
  const run = new AbortController();
  const untrack = store.track(id, run);
  const log = store.openLog(id);
  void fill(log, responseStream(model, store, prepared, run.signal))
    .catch(() => {
      if (queued.status !== "completed" && queued.status !== "cancelled") queued.status = "failed";
    })
    .finally(() => {
      log.end();
      untrack();
    });
  return log.follow(0);
}

async function fill(log: EventLog, frames: AsyncIterable<string>): Promise<void> {
  for await (const frame of frames) {
    log.push(frame, frame.startsWith("event: response.completed\n"));
  }
}

/** `GET /v1/responses/{id}`'s query: `stream` and `starting_after` (api_router.py). */
export interface RetrieveQuery {
  readonly stream: boolean;
  readonly startingAfter: number | undefined;
}

const trueWords = new Set(["1", "on", "t", "true", "y", "yes"]);
const falseWords = new Set(["0", "off", "f", "false", "n", "no"]);

/**
 * Reads the retrieve route's query as FastAPI does (pydantic's bool and int parsing); a value it
 * cannot read is vLLM's 400 with pydantic's error list (loc `('query', <name>)`).
 */
export function readRetrieveQuery(
  query: Readonly<Record<string, string | readonly string[] | undefined>>,
): RetrieveQuery {
  const last = (name: string) => {
    const value = query[name];
    return typeof value === "string" ? value : value?.at(-1);
  };
  const issue = (type: string, name: string, msg: string, input: string) =>
    badRequest(
      `[{'type': '${type}', 'loc': ('query', '${name}'), 'msg': '${msg}', 'input': ${pyRepr(input)}}]`,
    );
  const streamText = last("stream");
  let stream = false;
  if (streamText !== undefined) {
    const word = streamText.toLowerCase();
    if (trueWords.has(word)) stream = true;
    else if (!falseWords.has(word)) {
      throw issue(
        "bool_parsing",
        "stream",
        "Input should be a valid boolean, unable to interpret input",
        streamText,
      );
    }
  }
  const afterText = last("starting_after");
  let startingAfter: number | undefined;
  if (afterText !== undefined) {
    if (!/^\s*[+-]?\d+\s*$/.test(afterText)) {
      throw issue(
        "int_parsing",
        "starting_after",
        "Input should be a valid integer, unable to parse string as an integer",
        afterText,
      );
    }
    startingAfter = Number(afterText);
  }
  return { stream, startingAfter };
}

/**
 * `GET /v1/responses/{id}?stream=true`: the background stream's events after `starting_after`,
 * following it live (serving_responses.py `responses_background_stream_generator`). A stored
 * response that was no background stream has no events: vLLM's generator raises "Unknown
 * response_id" after the 200 headers, so the connection drops.
 */
export function storedResponseStream(
  store: ResponseStore,
  id: string,
  startingAfter: number | undefined,
): AsyncIterable<string> {
  const log = store.log(id);
  if (log !== undefined) return log.follow(startingAfter === undefined ? 0 : startingAfter + 1);
  return failingStream(`Unknown response_id: ${id}`);
}

/**
 * A stream whose generator raises at its first step: Starlette has sent the 200 headers by then,
 * so the client sees the connection drop with no event (vLLM's streams that raise before their
 * first event: an unknown stored stream, and non-harmony streaming in ≈0.10.1).
 */
export function failingStream(message: string): AsyncIterable<string> {
  return {
    [Symbol.asyncIterator]: () => ({
      next: () => Promise.reject(new Error(message)),
    }),
  };
}
