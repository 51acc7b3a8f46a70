/**
 * The stream of vLLM's Anthropic Messages API (serving_messages.py `message_stream_converter`,
 * v0.11.1 to ≈0.14): the chat completion stream (asked with `include_usage` and
 * `continuous_usage_stats`) read chunk by chunk and written as Anthropic events, each
 * `event: <type>\ndata: <json>\n\n`, the JSON as pydantic dumps it with `exclude_unset`.
 *
 * The order vLLM writes: `message_start` at the first chunk (the role chunk; its message has no
 * `type`, `role` or `stop_reason` keys, and its usage the prompt's tokens), one text block opened
 * at the first content chunk (`content_block_start` with empty text, then a `text_delta` per
 * chunk), a tool call's chunk with an id closing the open block and opening a `tool_use` block
 * (its own argument text dropped), later argument chunks as `input_json_delta`; the chat chunk
 * that carries `finish_reason` is skipped whole, its text included (the era's converter
 * `continue`s on it: the last token never reaches the client); the usage chunk closes the open
 * block and sends `message_delta` (mapped stop reason, input and output tokens); `[DONE]` sends
 * `message_stop` and then `data: [DONE]` itself. No `ping`. A chunk that is not a chat chunk (an
 * error event) ends the stream with an `error` event (`internal_error`) and `data: [DONE]`.
 */
import { anthropicStopReason } from "./anthropic-messages.js";
import { pyRepr } from "./validation.js";

/** One Anthropic SSE event as vLLM frames it (`wrap_data_with_event`). */
export function anthropicEvent(type: string, payload: object): string {
  return `event: ${type}\ndata: ${JSON.stringify(payload)}\n\n`;
}

/** The terminator vLLM's converter still sends after `message_stop`. */
const done = "data: [DONE]\n\n";

/** The fields of a chat chunk the converter reads. */
interface ChatChunk {
  readonly id: string;
  readonly model: string;
  readonly choices: readonly {
    readonly delta: {
      readonly content?: string | null;
      readonly tool_calls?: readonly {
        readonly id?: string;
        readonly function?: { readonly name?: string; readonly arguments?: string };
      }[];
    };
    readonly finish_reason: string | null;
  }[];
  readonly usage?: { readonly prompt_tokens: number; readonly completion_tokens?: number };
}

/**
 * pydantic's complaint about a chunk that is not a `ChatCompletionStreamResponse` (its required
 * `model` and `choices`), the message of the converter's error event.
 */
function notAChunk(value: unknown): string | undefined {
  const chunk = value as Partial<Record<string, unknown>> | null;
  const missing = ["model", "choices"].filter(
    (key) => typeof chunk !== "object" || chunk === null || !(key in chunk),
  );
  if (missing.length === 0) return undefined;
  const lines = missing.map(
    (key) =>
      `${key}\n  Field required [type=missing, input_value=${pyRepr(value)}, input_type=dict]`,
  );
  const count = missing.length === 1 ? "1 validation error" : `${missing.length} validation errors`;
  return `${count} for ChatCompletionStreamResponse\n${lines.join("\n")}`;
}

/**
 * The converter's state for one stream: feed it each chat SSE frame (`data: …\n\n`) and it
 * answers the Anthropic frames that frame makes, in order. `ended` turns true after an error.
 */
export class AnthropicStreamConverter {
  #first = true;
  #finishReason: string | null = null;
  #index = 0;
  #blockOpen = false;
  /** An error event went out: the stream is over. */
  ended = false;

  /** The Anthropic frames one chat frame makes. */
  frame(chatFrame: string): string[] {
    if (this.ended || !chatFrame.startsWith("data:")) return [];
    const data = chatFrame.slice(5).trim();
    if (data === "[DONE]") return [anthropicEvent("message_stop", { type: "message_stop" }), done];
    const parsed: unknown = JSON.parse(data);
    const problem = notAChunk(parsed);
    if (problem !== undefined) {
      this.ended = true;
      const error = { type: "internal_error", message: problem };
      return [anthropicEvent("error", { type: "error", error }), done];
    }
    return this.#chunk(parsed as ChatChunk);
  }

  #chunk(chunk: ChatChunk): string[] {
    if (this.#first) {
      this.#first = false;
      const usage = { input_tokens: chunk.usage?.prompt_tokens ?? 0, output_tokens: 0 };
      const message = { id: chunk.id, content: [], model: chunk.model, usage };
      return [anthropicEvent("message_start", { type: "message_start", message })];
    }
    const choice = chunk.choices[0];
    if (choice === undefined) {
      const out = this.#blockOpen ? [this.#stop()] : [];
      const usage = {
        input_tokens: chunk.usage?.prompt_tokens ?? 0,
        output_tokens: chunk.usage?.completion_tokens ?? 0,
      };
      const delta = { stop_reason: anthropicStopReason(this.#finishReason ?? "stop") ?? null };
      out.push(anthropicEvent("message_delta", { type: "message_delta", delta, usage }));
      return out;
    }
    if (choice.finish_reason !== null && choice.finish_reason !== undefined) {
      this.#finishReason = choice.finish_reason;
      return [];
    }
    const { content, tool_calls: calls } = choice.delta;
    if (content !== undefined && content !== null) {
      const out: string[] = [];
      if (!this.#blockOpen) {
        this.#blockOpen = true;
        out.push(this.#start({ type: "text", text: "" }));
      }
      if (content !== "") {
        const delta = { type: "text_delta", text: content };
        out.push(
          anthropicEvent("content_block_delta", {
            type: "content_block_delta",
            delta,
            index: this.#index,
          }),
        );
      }
      return out;
    }
    const call = calls?.[0];
    if (call === undefined) return [];
    if (call.id !== undefined && call.id !== null) {
      const out: string[] = [];
      if (this.#blockOpen) {
        out.push(this.#stop());
        this.#index += 1;
      }
      this.#blockOpen = true;
      const name = call.function ? (call.function.name ?? null) : null;
      out.push(this.#start({ type: "tool_use", id: call.id, name, input: {} }));
      return out;
    }
    const delta = { type: "input_json_delta", partial_json: call.function?.arguments ?? null };
    return [
      anthropicEvent("content_block_delta", {
        type: "content_block_delta",
        delta,
        index: this.#index,
      }),
    ];
  }

  #start(block: object): string {
    return anthropicEvent("content_block_start", {
      type: "content_block_start",
      content_block: block,
      index: this.#index,
    });
  }

  #stop(): string {
    return anthropicEvent("content_block_stop", { type: "content_block_stop", index: this.#index });
  }
}

/**
 * The Anthropic frames of a chat completion stream (chat-completions.ts `chatCompletionStream`,
 * asked as anthropic-messages.ts `anthropicChatBody` asks). Closing it early closes the chat stream.
 */
export async function* anthropicStream(chatFrames: AsyncIterable<string>): AsyncGenerator<string> {
  const converter = new AnthropicStreamConverter();
  for await (const frame of chatFrames) {
    for (const out of converter.frame(frame)) yield out;
    if (converter.ended) return;
  }
}
