import { describe, expect, it } from "vitest";
import { modelNotFound } from "./errors.js";
import { profileFor } from "./profiles.js";
import { sseFrames } from "./sse.js";

async function collect(frames: AsyncIterable<string>): Promise<string> {
  let text = "";
  for await (const frame of frames) text += frame;
  return text;
}

async function* failing(): AsyncGenerator<object> {
  yield { a: 1 };
  throw modelNotFound("m");
}

describe("sseFrames", () => {
  // vllm-openai.md §6: data: <compact JSON>\n\n per event, data: [DONE]\n\n at the end.
  it("frames chunks and ends with [DONE]", async () => {
    async function* two() {
      yield { a: 1 };
      yield { b: [2] };
    }
    expect(await collect(sseFrames(profileFor("0.12.0"), two()))).toBe(
      'data: {"a":1}\n\ndata: {"b":[2]}\n\ndata: [DONE]\n\n',
    );
  });

  // vllm-openai.md §3: after the 200 headers an error is one data: event, then [DONE]; old
  // versions wrap the flat object under "error", newer send the nested envelope.
  it("sends a mid-stream error as one event in the era's shape", async () => {
    expect(await collect(sseFrames(profileFor("0.12.0"), failing()))).toBe(
      'data: {"a":1}\n\ndata: {"error":{"message":"The model `m` does not exist.","type":"NotFoundError","param":null,"code":404}}\n\ndata: [DONE]\n\n',
    );
    expect(await collect(sseFrames(profileFor("0.9.0"), failing()))).toBe(
      'data: {"a":1}\n\ndata: {"error":{"object":"error","message":"The model `m` does not exist.","type":"NotFoundError","param":null,"code":404}}\n\ndata: [DONE]\n\n',
    );
  });

  it("lets other failures through (the host cuts the connection)", async () => {
    async function* broken(): AsyncGenerator<object> {
      yield* [];
      throw new Error("boom");
    }
    await expect(collect(sseFrames(profileFor("0.12.0"), broken()))).rejects.toThrow("boom");
  });
});
