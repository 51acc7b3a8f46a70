/**
 * vLLM's SSE framing (vllm-openai.md §6): every event is `data: <compact JSON>\n\n`, no `event:`
 * lines or comments, and the stream always ends with `data: [DONE]\n\n`. An error after the 200
 * headers becomes one `data:` event with the error payload of the profile's era, then `[DONE]`
 * (§3).
 */
import { streamErrorPayload, VllmError } from "./errors.js";
import type { VllmProfile } from "./profiles.js";
import { wireJson } from "./wire-json.js";

/** One SSE event's bytes. */
export function sseEvent(payload: object | string): string {
  return `data: ${typeof payload === "string" ? payload : wireJson(payload)}\n\n`;
}

/** The terminator vLLM sends after every stream. */
export const sseDone = "data: [DONE]\n\n";

/** Frames chunk objects as vLLM's SSE text. Errors other than {@link VllmError} propagate. */
export async function* sseFrames(
  profile: VllmProfile,
  chunks: AsyncIterable<object>,
): AsyncGenerator<string> {
  try {
    for await (const chunk of chunks) yield sseEvent(chunk);
  } catch (error) {
    if (!(error instanceof VllmError)) throw error;
    yield sseEvent(streamErrorPayload(profile, error));
  }
  yield sseDone;
}
