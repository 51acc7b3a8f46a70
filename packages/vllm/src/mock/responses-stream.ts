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
 * `response.function_call_arguments.delta`/`.done` (responses/simple_streaming_events.py), a call
 * `tool_choice` forces (`required`, a named function) only from 0.21.0 (vllm PRs #40700, #41110;
 * before, its JSON streams as text while `response.completed` holds the call). With
 * `--reasoning-parser` the thinking streams first as a `reasoning` item (`TextEvents` below has
 * each era's events).
 */
import { randomUUID } from "node:crypto";
import {
  type FinishEvent,
  type GenerationEvent,
  type PushStreamBody,
  readySteps,
  type TokenEvent,
} from "@servingkit/mock-core";
import { type StreamPiece, streamPieces } from "./choices.js";
import { clampLogprob } from "./completions.js";
import { badRequest } from "./errors.js";
import { issuesText } from "./pydantic-errors.js";
import { ReasoningStream } from "./reasoning-parser.js";
import { uuidHex } from "./request-id.js";
import {
  type EventLog,
  finishStatus,
  functionCallItem,
  itemId,
  outputItems,
  type PreparedResponse,
  type ResponseStore,
  reasoningItem,
  responseObject,
  responseUsage,
} from "./responses.js";
import type { VllmModel } from "./served-model.js";
import { type EmitFrame, responsesEnding, sseStream } from "./sse.js";

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
 * (one per token on the simple engine, the tokens a late reader has not taken merged into one
 * from 0.8.0 as V1's RequestOutputCollector merges them; one per engine step under `--gpu`, k + 1
 * tokens under speculative decoding) the way chat and completions stream them. The events follow the era
 * (profiles.ts `ResponsesEra.streamItems`, `completedOutput`). The whole response goes to the
 * store when `prepared.store`. Leaving early (the client closes) ends the engine run.
 *
 * Two forms, the same frames in the same order ({@link responseFrames} makes them): iterated (a
 * background stream's log, msw), a generator over the engine run; piped (mock-core's push form,
 * which the fastify host prefers), `response.created` and `response.in_progress` written at once,
 * then sse.ts {@link sseStream} drives the run through its `wait` callbacks, with no promise per
 * event, ending as a Responses stream does (sse.ts {@link responsesEnding}: no `data: [DONE]`).
 *
 * An error after the headers (a VllmError or any other, from the engine run or the framing) ends
 * both forms the same way, as vLLM's `responses_stream_generator` raising does: the frames made
 * so far, then the connection drops (the host's rule for a failing body), with no error event,
 * no `response.failed` and no `response.completed`; nothing is stored. The client leaving ends
 * the engine run (Starlette cancels the generator, whose engine request is aborted).
 */
export function responseStream(
  model: VllmModel,
  store: ResponseStore,
  prepared: PreparedResponse,
  signal: AbortSignal,
): AsyncIterable<string> & PushStreamBody {
  return {
    [Symbol.asyncIterator]: () =>
      pulledFrames(model, prepared, signal, responseFrames(model, store, prepared, signal)),
    pushTo(sink) {
      const frames = responseFrames(model, store, prepared, signal);
      for (const frame of frames.opening()) sink.write(frame);
      const run: AsyncIterable<GenerationEvent> = {
        [Symbol.asyncIterator]: () =>
          model.engine.generate(prepared.plan.request, { signal })[Symbol.asyncIterator](),
      };
      return sseStream(
        model.profile,
        run,
        frames.event,
        frames.closing,
        frames.idle,
        responsesEnding,
      ).pushTo(sink);
    },
  };
}

/** Hands every frame of `frames` to `emit`, in order. */
function emitAll(frames: Iterable<string>, emit: EmitFrame): void {
  for (const frame of frames) emit(frame);
}

/** The iterated form of {@link responseStream}: a generator over the engine run. */
async function* pulledFrames(
  model: VllmModel,
  prepared: PreparedResponse,
  signal: AbortSignal,
  frames: ResponseFrames,
): AsyncGenerator<string> {
  yield* frames.opening();
  const out: string[] = [];
  const emit: EmitFrame = (frame) => out.push(frame);
  const run = model.engine.generate(prepared.plan.request, { signal })[Symbol.asyncIterator]();
  const ready = readySteps(run);
  try {
    reading: for (;;) {
      let result = await run.next();
      // Events ready at once belong to the same engine output; the held text goes out when none
      // is (as completions and chat stream, sse.ts).
      for (;;) {
        // A cancelled background run stops at once, as vLLM's cancelled task does.
        if (result.done || signal.aborted) break reading;
        frames.event(result.value, emit);
        yield* out.splice(0);
        if (frames.finished()) break reading;
        const next = ready?.nextReady();
        if (next === undefined) {
          frames.idle(emit);
          yield* out.splice(0);
          break;
        }
        result = next;
      }
    }
  } finally {
    await run.return?.();
  }
  frames.closing(emit);
  yield* out;
}

/**
 * What both forms of {@link responseStream} share: the stream's state and its frames, event by
 * event (`event` and `idle` as sse.ts {@link sseStream} calls them, `closing` its end).
 */
interface ResponseFrames {
  /** `response.created` and `response.in_progress`, before any engine output. */
  opening(): string[];
  /** The frames of one engine event (none after the finish or once aborted). */
  readonly event: (event: GenerationEvent, emit: EmitFrame) => void;
  /** No event ready at once: the held text goes out. */
  readonly idle: (emit: EmitFrame) => void;
  /** The done events and `response.completed` (none when cancelled or cut before a finish). */
  readonly closing: (emit: EmitFrame) => void;
  /** Whether the finish came. */
  finished(): boolean;
}

/** A streamed response's {@link ResponseFrames}. */
function responseFrames(
  model: VllmModel,
  store: ResponseStore,
  prepared: PreparedResponse,
  signal: AbortSignal,
): ResponseFrames {
  const { request, tool, era } = prepared;
  let sequence = 0;
  // Before vllm PR #29947 (`text`) a called function streams as the text it is; after it
  // (`parsed`) as a function_call item with argument events, a forced one (`required`, a named
  // function) only from vllm PRs #40700 / #41110 (ResponsesEra.forcedCallEvents).
  const forced = request.toolChoice === "required" || typeof request.toolChoice === "object";
  const call =
    era.streamItems === "parsed" && (!forced || era.forcedCallEvents === true) ? tool : undefined;
  const keepTokens = request.includeLogprobs;
  const tokens: TokenEvent[] = [];
  let text = "";
  let last: StreamPiece | undefined;
  const nextSequence = () => sequence++;
  const callEvents = call ? new CallEvents(call.tool.name, nextSequence) : undefined;
  // The parser's split of the output, delta by delta (reasoning-parser.ts), where the model thinks.
  const split = prepared.parser === undefined ? undefined : new ReasoningStream(prepared.parser);
  // Text events carry the answer, or (before a parsed call) the thinking's reasoning item.
  const textEvents =
    callEvents && split === undefined
      ? undefined
      : new TextEvents(era.streamItems, nextSequence, (piece) =>
          keepTokens ? deltaLogprobs(model, piece.tokens, request.topLogprobs) : [],
        );
  let args = "";
  let reasoningOpen = false;
  /**
   * The frames of a parsed call's delta after the parser (simple_streaming_events.py
   * `_parse_delta_message` with both parsers): reasoning deltas in the reasoning item until the
   * thinking ends, then the item closes and the call's content goes to the tool parser, its
   * item at the next output index.
   */
  const callFrames = (calls: CallEvents, parts: DeltaParts | undefined, piece: StreamPiece) => {
    const frames: string[] = [];
    if (parts?.reasoning && textEvents !== undefined) {
      frames.push(...textEvents.delta({ reasoning: parts.reasoning }, piece));
      reasoningOpen = true;
    }
    const content = parts?.content ?? "";
    if (content === "") return frames;
    if (reasoningOpen && textEvents !== undefined) {
      frames.push(...textEvents.done());
      reasoningOpen = false;
      calls.outputIndex = 1;
    }
    args += content;
    frames.push(...calls.delta(content));
    return frames;
  };
  /** The frames of one engine output. */
  const framesOf = (piece: StreamPiece): string[] => {
    last = piece;
    if (keepTokens) tokens.push(...piece.tokens);
    text += piece.text;
    if (callEvents) {
      if (split === undefined) {
        args += piece.text;
        return callEvents.delta(piece.text);
      }
      return callFrames(callEvents, split.push(piece.text), piece);
    }
    if (textEvents === undefined) return [];
    if (split === undefined) return textEvents.delta({ content: piece.text }, piece);
    // vLLM's parsers answer an output with no text (an EOS step) on the side they are on; a
    // marker alone goes out as nothing (the parsers return None for it).
    const parts =
      split.push(piece.text) ??
      (piece.text === "" ? (split.thinking ? { reasoning: "" } : { content: "" }) : undefined);
    return parts === undefined ? [] : textEvents.delta(parts, piece);
  };
  const pieces = streamPieces({
    includeStopStr: request.includeStopStrInOutput,
    keepTokens,
    outputs: model.engine.outputs,
  });
  let finish: FinishEvent | undefined;
  return {
    opening(): string[] {
      const initial = responseObject(prepared, { status: "in_progress", output: [], usage: null });
      return [
        responsesEvent("response.created", {
          response: initial,
          sequence_number: sequence++,
          type: "response.created",
        }),
        responsesEvent("response.in_progress", {
          response: initial,
          sequence_number: sequence++,
          type: "response.in_progress",
        }),
      ];
    },
    event(event, emit) {
      if (finish !== undefined || signal.aborted) return;
      const piece = pieces.add(0, event);
      if (piece === undefined) return;
      emitAll(framesOf(piece), emit);
      if (piece.kind === "finish") finish = piece.finish;
    },
    idle(emit) {
      if (finish !== undefined || signal.aborted) return;
      pieces.flush((held) => emitAll(framesOf(held), emit));
    },
    closing(emit) {
      // Cancelled (or the engine ended without a finish): no done events.
      if (finish === undefined || signal.aborted) return;
      let output: readonly object[];
      if (callEvents) {
        const held = split?.finish();
        if (held !== undefined && last !== undefined) {
          emitAll(callFrames(callEvents, held, { ...last, text: "", tokens: [] }), emit);
        }
        if (reasoningOpen && textEvents !== undefined) emitAll(textEvents.done(), emit);
        // A run cut while thinking has no content for the tool parser: no call (outputItems agrees).
        const called = split === undefined || args !== "";
        if (called) emitAll(callEvents.done(args), emit);
        // responses_stream_generator builds response.completed with responses_full_generator, whose
        // _make_response_output_items makes every item afresh: new `rs_`, `fc_` and `call_` ids,
        // none of the streamed ones.
        output = outputItems(model, prepared, text, tokens);
      } else {
        const held = split?.finish();
        if (held !== undefined && textEvents !== undefined && last !== undefined) {
          emitAll(textEvents.delta(held, { ...last, text: "", tokens: [] }), emit);
        }
        if (textEvents !== undefined) emitAll(textEvents.done(), emit);
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
      emit(
        responsesEvent("response.completed", {
          response: final,
          sequence_number: sequence++,
          type: "response.completed",
        }),
      );
    },
    finished: () => finish !== undefined,
  };
}

/**
 * The events of a called function streamed as one (vllm PR #29947's `parsed` stream,
 * simple_streaming_events.py): the item added at its first output, an argument delta per output,
 * then `function_call_arguments.done` and `output_item.done`.
 */
class CallEvents {
  readonly #name: string;
  readonly #nextSequence: () => number;
  // simple_streaming_events.py: current_item_id = random_uuid() (no `fc_` prefix), call_<hex>.
  readonly #id = uuidHex();
  readonly #callId = itemId("call");
  #started = false;
  /** The item's output_index: this.outputIndex, or 1 after a reasoning item. */
  outputIndex = 0;

  constructor(name: string, nextSequence: () => number) {
    this.#name = name;
    this.#nextSequence = nextSequence;
  }

  /** The function_call item with `args` in `status`. */
  item(args: string, status: string): object {
    return functionCallItem(this.#name, args, this.#id, this.#callId, status);
  }

  #opening(): string {
    this.#started = true;
    return responsesEvent("response.output_item.added", {
      item: this.item("", "in_progress"),
      output_index: this.outputIndex,
      sequence_number: this.#nextSequence(),
      type: "response.output_item.added",
    });
  }

  /** The frames of one output's argument text (none for an empty first output). */
  delta(args: string): string[] {
    if (args === "" && !this.#started) return [];
    const frames = this.#started ? [] : [this.#opening()];
    frames.push(
      responsesEvent("response.function_call_arguments.delta", {
        delta: args,
        item_id: this.#id,
        output_index: this.outputIndex,
        sequence_number: this.#nextSequence(),
        type: "response.function_call_arguments.delta",
      }),
    );
    return frames;
  }

  /** The closing frames (the item opened first when no output had text). */
  *done(args: string): Generator<string> {
    if (!this.#started) yield this.#opening();
    yield responsesEvent("response.function_call_arguments.done", {
      arguments: args,
      item_id: this.#id,
      name: this.#name,
      output_index: this.outputIndex,
      sequence_number: this.#nextSequence(),
      type: "response.function_call_arguments.done",
    });
    yield responsesEvent("response.output_item.done", {
      item: this.item(args, "completed"),
      output_index: this.outputIndex,
      sequence_number: this.#nextSequence(),
      type: "response.output_item.done",
    });
  }
}

/** One delta after the parser: vLLM's DeltaMessage (`content: null` is its None). */
interface DeltaParts {
  readonly reasoning?: string;
  readonly content?: string | null;
}

/**
 * The events of a streamed text answer, reasoning first where a `--reasoning-parser` splits it
 * out, per stream era (profiles.ts `ResponsesEra.streamItems`).
 *
 * `text` (serving_responses.py `_process_simple_streaming_events`, vllm PR #23741 on, as stored at
 * vllm 00b6063): the first delta opens a reasoning item (`{type: "reasoning", summary: []}`,
 * when it has reasoning text) or a message, then an `output_text` content part either way;
 * `content_index` counts up by one per event. The first content after reasoning sends
 * `reasoning_text.done`, the reasoning item done, a message added under the REASONING item's id
 * and output index, then (output_index + 1, a new id, content_index 0) its content part; a delta
 * with reasoning goes out as `reasoning_text.delta` even then, its content only in the done text.
 * A stream that ends in the thinking sends `reasoning_text.done` and the item done, no message.
 *
 * `parsed` (responses/simple_streaming_events.py, vllm PR #29947): a reasoning item opens with a
 * `reasoning_text` content part, closes with `reasoning_text.done`, `content_part.done` and
 * `output_item.done`; the message follows at output_index 1 with a new id; content_index 0
 * throughout. An empty first output opens nothing.
 */
class TextEvents {
  readonly #counting: boolean;
  readonly #nextSequence: () => number;
  readonly #logprobs: (piece: StreamPiece) => object[];
  #id = "";
  #outputIndex = 0;
  #contentIndex = 0;
  #started = false;
  /** The last delta of the current item: whether it had reasoning, whether content. */
  #lastReasoning = false;
  #lastContent = false;
  #reasoning = "";
  #content = "";

  constructor(
    items: "text" | "parsed",
    nextSequence: () => number,
    logprobs: (piece: StreamPiece) => object[],
  ) {
    this.#counting = items === "text";
    this.#nextSequence = nextSequence;
    this.#logprobs = logprobs;
  }

  /** The next sequence_number (the stream's counter). */
  #seq(): number {
    return this.#nextSequence();
  }

  /** A new item id: a uuid4 (`str(uuid.uuid4())`) before #29947, its hex (random_uuid) after. */
  #newId(): string {
    return this.#counting ? randomUUID() : uuidHex();
  }

  #messageAdded(id: string, outputIndex: number): string {
    return responsesEvent("response.output_item.added", {
      item: { id, content: [], role: "assistant", status: "in_progress", type: "message" },
      output_index: outputIndex,
      sequence_number: this.#seq(),
      type: "response.output_item.added",
    });
  }

  #partAdded(part: object): string {
    return responsesEvent("response.content_part.added", {
      content_index: this.#contentIndex,
      item_id: this.#id,
      output_index: this.#outputIndex,
      part,
      sequence_number: this.#seq(),
      type: "response.content_part.added",
    });
  }

  #textPart(): object {
    return { annotations: [], text: "", type: "output_text", logprobs: [] };
  }

  /** The frames of one parsed delta. */
  delta(parts: DeltaParts, piece: StreamPiece): string[] {
    const frames: string[] = [];
    const { reasoning } = parts;
    const content = parts.content ?? undefined;
    if (!this.#started) {
      const thinking = reasoning !== undefined && reasoning !== "";
      if (!this.#counting && !thinking && !content) return frames;
      this.#started = true;
      this.#id = this.#newId();
      if (thinking) {
        frames.push(
          responsesEvent("response.output_item.added", {
            item: reasoningItem(this.#id, undefined, "in_progress"),
            output_index: this.#outputIndex,
            sequence_number: this.#seq(),
            type: "response.output_item.added",
          }),
          this.#partAdded(this.#counting ? this.#textPart() : { text: "", type: "reasoning_text" }),
        );
      } else {
        frames.push(
          this.#messageAdded(this.#id, this.#outputIndex),
          this.#partAdded(this.#textPart()),
        );
      }
      if (this.#counting) this.#contentIndex += 1;
    }
    if (this.#lastReasoning && content !== undefined) {
      if (this.#counting) {
        frames.push(this.#reasoningTextDone());
        this.#contentIndex = 0;
        frames.push(this.#reasoningItemDone(), this.#messageAdded(this.#id, this.#outputIndex));
        this.#outputIndex += 1;
        this.#id = this.#newId();
        frames.push(this.#partAdded(this.#textPart()));
        this.#contentIndex += 1;
      } else {
        if (reasoning !== undefined) frames.push(this.#reasoningDelta(reasoning));
        frames.push(...this.#reasoningDone());
        this.#outputIndex += 1;
        this.#contentIndex = 0;
        this.#id = this.#newId();
        frames.push(
          this.#messageAdded(this.#id, this.#outputIndex),
          this.#partAdded(this.#textPart()),
        );
        this.#reasoning = "";
        this.#lastReasoning = false;
        frames.push(this.#textDelta(content, piece));
        this.#lastContent = true;
        return frames;
      }
      this.#reasoning = "";
    }
    if (reasoning !== undefined) frames.push(this.#reasoningDelta(reasoning));
    else if (content !== undefined) frames.push(this.#textDelta(content, piece));
    if (this.#counting) this.#contentIndex += 1;
    this.#lastReasoning = reasoning !== undefined;
    this.#lastContent = content !== undefined;
    return frames;
  }

  #reasoningDelta(delta: string): string {
    this.#reasoning += delta;
    return responsesEvent("response.reasoning_text.delta", {
      content_index: this.#contentIndex,
      delta,
      item_id: this.#id,
      output_index: this.#outputIndex,
      sequence_number: this.#seq(),
      type: "response.reasoning_text.delta",
    });
  }

  #textDelta(delta: string, piece: StreamPiece): string {
    this.#content += delta;
    return responsesEvent("response.output_text.delta", {
      content_index: this.#contentIndex,
      delta,
      item_id: this.#id,
      logprobs: this.#logprobs(piece),
      output_index: this.#outputIndex,
      sequence_number: this.#seq(),
      type: "response.output_text.delta",
    });
  }

  #reasoningTextDone(): string {
    return responsesEvent("response.reasoning_text.done", {
      content_index: this.#contentIndex,
      item_id: this.#id,
      output_index: this.#outputIndex,
      sequence_number: this.#seq(),
      text: this.#reasoning,
      type: "response.reasoning_text.done",
    });
  }

  #reasoningItemDone(): string {
    return responsesEvent("response.output_item.done", {
      item: reasoningItem(this.#id, this.#reasoning, "completed"),
      output_index: this.#outputIndex,
      sequence_number: this.#seq(),
      type: "response.output_item.done",
    });
  }

  /** The `parsed` stream's three closing events of a reasoning item. */
  #reasoningDone(): string[] {
    return [
      this.#reasoningTextDone(),
      responsesEvent("response.content_part.done", {
        content_index: this.#contentIndex,
        item_id: this.#id,
        output_index: this.#outputIndex,
        part: { text: this.#reasoning, type: "reasoning_text" },
        sequence_number: this.#seq(),
        type: "response.content_part.done",
      }),
      this.#reasoningItemDone(),
    ];
  }

  /**
   * The closing events of the open item. A message: `output_text.done` and `content_part.done`
   * (`content_index` the current one, then one more where it counts up), and `output_item.done`,
   * whose item carries the `summary=[]` vLLM passes to ResponseOutputMessage (an extra key the
   * openai model keeps).
   */
  done(): string[] {
    if (this.#lastReasoning) {
      if (!this.#counting) return this.#reasoningDone();
      const frames = [this.#reasoningTextDone()];
      this.#contentIndex += 1;
      frames.push(this.#reasoningItemDone());
      return frames;
    }
    if (!this.#lastContent) return [];
    const text = this.#content;
    const frames = [
      responsesEvent("response.output_text.done", {
        content_index: this.#contentIndex,
        item_id: this.#id,
        logprobs: [],
        output_index: this.#outputIndex,
        text,
        sequence_number: this.#seq(),
        type: "response.output_text.done",
      }),
    ];
    if (this.#counting) this.#contentIndex += 1;
    const part = { annotations: [], text, type: "output_text", logprobs: null };
    frames.push(
      responsesEvent("response.content_part.done", {
        content_index: this.#contentIndex,
        item_id: this.#id,
        output_index: this.#outputIndex,
        part,
        sequence_number: this.#seq(),
        type: "response.content_part.done",
      }),
      responsesEvent("response.output_item.done", {
        item: {
          id: this.#id,
          content: [part],
          role: "assistant",
          status: "completed",
          type: "message",
          summary: [],
        },
        output_index: this.#outputIndex,
        sequence_number: this.#seq(),
        type: "response.output_item.done",
      }),
    );
    return frames;
  }
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
    badRequest(issuesText([{ type, loc: [name], msg, input }], "query"));
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
