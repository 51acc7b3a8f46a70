/**
 * Reading a reasoning model's thinking from vLLM chat answers and streams, whichever field the
 * release uses (`reasoning_content`, both, or `reasoning`: see `ReasoningFields`). The `openai`
 * SDK types neither field, and its stream helper (`chat.completions.stream()`) keeps only the
 * last delta's value of a field it does not know, so a streamed answer's reasoning has to be
 * gathered from the deltas: `reasoningDeltas` does that over any chunk iterator.
 */
import type { ReasoningFields } from "./types.js";

/**
 * The reasoning text of a chat message or stream delta (`choices[i].message` or
 * `choices[i].delta`, from the `openai` SDK or this package's client): `reasoning` when it holds a
 * string, else `reasoning_content`; null when neither does (no `--reasoning-parser`, or a delta
 * outside the thinking). Where a release sends both they hold the same text, so it is read once.
 */
export function reasoningOf(message: object | null | undefined): string | null {
  if (message === null || message === undefined) return null;
  const fields = message as ReasoningFields;
  if (typeof fields.reasoning === "string") return fields.reasoning;
  return typeof fields.reasoning_content === "string" ? fields.reasoning_content : null;
}

/** One choice's new text in one stream chunk, split by the server's reasoning parser. */
export interface ReasoningDelta {
  /** The choice it belongs to (streams with `n` > 1 interleave their choices). */
  readonly index: number;
  /** Reasoning text; "" when the delta has none. */
  readonly reasoning: string;
  /** Answer text; "" when the delta has none. */
  readonly content: string;
}

/**
 * A chat stream chunk as far as `reasoningDeltas` reads it: the `openai` SDK's
 * `ChatCompletionChunk` and this package's both fit.
 */
export interface ChatChunkLike {
  readonly choices: readonly { readonly index: number; readonly delta?: object | null }[];
}

/**
 * The text deltas of a chat stream, reasoning and content apart, for every release's fields. One
 * `ReasoningDelta` per choice delta that carries text (the role chunk, finish chunk and usage
 * chunk yield nothing); a delta that holds the end of the thinking yields both texts at once.
 * Joining a choice's `reasoning` (or `content`) pieces gives the non-streamed answer's field.
 * Leaving the loop early returns the underlying iterator, which aborts an SDK stream.
 */
export async function* reasoningDeltas(
  chunks: AsyncIterable<ChatChunkLike>,
): AsyncGenerator<ReasoningDelta, void, undefined> {
  for await (const chunk of chunks) {
    for (const choice of chunk.choices) {
      const delta = choice.delta;
      if (delta === null || delta === undefined) continue;
      const reasoning = reasoningOf(delta) ?? "";
      const text = (delta as { content?: unknown }).content;
      const content = typeof text === "string" ? text : "";
      if (reasoning !== "" || content !== "") yield { index: choice.index, reasoning, content };
    }
  }
}
