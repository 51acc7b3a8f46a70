/**
 * A {@link TextEngine} whose content comes from one engine and whose timing comes from the
 * simulated GPU (issue 7). The content engine (the simple engine, unpaced) decides the tokens,
 * stops, EOS and logprobs, deterministically as always; the request then goes to the
 * {@link GpuEngine} with the prompt's token ids (so prefix caching sees real shared prefixes) and
 * as many output tokens as the content has, and each token event is released when the GPU engine
 * produces that request's next token. So queueing, batching, chunked prefill, KV pressure and
 * preemption shape when tokens arrive, never what they are. Aborting the signal (a client
 * disconnect) or leaving the loop aborts the request in the GPU engine, which frees its KV blocks.
 */
import { EngineRequestError } from "../gpu/engine-core.js";
import type { GpuEngine } from "../gpu/gpu-engine.js";
import {
  type FinishEvent,
  type GenerationEvent,
  type GenerationRequest,
  GenerationRequestError,
  type TextEngine,
  type TokenEvent,
} from "./generation.js";

/** What {@link createGpuTextEngine} combines. */
export interface GpuTextEngineOptions {
  /** Produces the content; called without a signal and drained at once, so it must not pace. */
  readonly content: TextEngine;
  /** Produces the timing. */
  readonly gpu: GpuEngine;
}

/** Drains the content engine's events: the token events and the finish event. */
async function drain(
  events: AsyncIterable<GenerationEvent>,
): Promise<{ tokens: TokenEvent[]; finish: FinishEvent }> {
  const tokens: TokenEvent[] = [];
  for await (const event of events) {
    if (event.type === "finish") return { tokens, finish: event };
    tokens.push(event);
  }
  throw new Error("the content engine ended without a finish event");
}

/** The finish event of a request aborted after `released` tokens. */
function aborted(finish: FinishEvent, released: number): FinishEvent {
  return {
    type: "finish",
    reason: "abort",
    seed: finish.seed,
    promptTokens: finish.promptTokens,
    completionTokens: released,
  };
}

/** Combines a content engine and a GPU engine; see the module comment. */
export function createGpuTextEngine(options: GpuTextEngineOptions): TextEngine {
  const { content, gpu } = options;
  let serial = 0;
  return {
    generate(request, generateOptions = {}) {
      // The content engine validates at once (throws GenerationRequestError), as the contract says.
      const events = content.generate(request);
      serial += 1;
      return paced(events, request, `text-${serial}`, generateOptions.signal);
    },
  };

  async function* paced(
    events: AsyncIterable<GenerationEvent>,
    request: GenerationRequest,
    id: string,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<GenerationEvent> {
    const { tokens, finish } = await drain(events);
    if (tokens.length === 0) {
      yield finish; // nothing to generate (max_tokens 0): the engine is not involved
      return;
    }
    if (signal?.aborted) {
      yield aborted(finish, 0);
      return;
    }
    let released = 0;
    try {
      const timing = gpu.generate(
        {
          id,
          // An empty prompt still takes one position in the engine.
          prompt: request.promptIds.length > 0 ? request.promptIds : 1,
          outputTokens: tokens.length,
          finishedReason: finish.reason === "length" ? "length" : "stop",
          maxTokens: request.maxTokens,
          ...(request.priority === undefined ? {} : { priority: request.priority }),
        },
        signal,
      );
      for await (const _token of timing) {
        yield tokens[released] as TokenEvent;
        released += 1;
      }
    } catch (error) {
      if (signal?.aborted) {
        yield aborted(finish, released);
        return;
      }
      if (error instanceof EngineRequestError) throw new GenerationRequestError(error.message);
      throw error;
    }
    yield finish;
  }
}
