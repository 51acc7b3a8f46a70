import { describe, expect, it } from "vitest";
import { Code } from "./code.js";
import { ServingkitError } from "./servingkit-error.js";
import { decodeSse, readSseEvents, sseEventError } from "./sse-decoder.js";
import type { SseEvent } from "./sse-stream.js";

const encoder = new TextEncoder();

/** A byte stream that delivers `chunks` one by one and records whether it was cancelled. */
function byteStream(chunks: readonly Uint8Array[]): {
  stream: ReadableStream<Uint8Array>;
  cancelled: () => boolean;
  pulled: () => number;
} {
  let index = 0;
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = chunks[index++];
      if (chunk === undefined) {
        controller.close();
      } else {
        controller.enqueue(chunk);
      }
    },
    cancel() {
      cancelled = true;
    },
  });
  return { stream, cancelled: () => cancelled, pulled: () => index };
}

/** Splits `bytes` at the given positions. */
function splitAt(bytes: Uint8Array, positions: readonly number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const position of positions) {
    chunks.push(bytes.slice(start, position));
    start = position;
  }
  chunks.push(bytes.slice(start));
  return chunks;
}

async function decodeChunks(chunks: readonly Uint8Array[]): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  for await (const event of decodeSse(byteStream(chunks).stream)) {
    events.push(event);
  }
  return events;
}

const decodeText = (text: string) => decodeChunks([encoder.encode(text)]);

const event = (data: string, name?: string, id?: string): SseEvent => ({
  event: name,
  data,
  id,
});

describe("decodeSse framing", () => {
  it("decodes LF-framed events (vLLM, vllm-openai.md §6)", async () => {
    expect(await decodeText('data: {"a":1}\n\ndata: {"a":2}\n\n')).toEqual([
      event('{"a":1}'),
      event('{"a":2}'),
    ]);
  });

  it("decodes CRLF-framed events with event names (caikit, caikit-tgis.md §1.5)", async () => {
    expect(
      await decodeText(
        'event: message\r\ndata: {"x":1}\r\n\r\nevent: message\r\ndata: {"x":2}\r\n\r\n',
      ),
    ).toEqual([event('{"x":1}', "message"), event('{"x":2}', "message")]);
  });

  it("skips comments such as sse-starlette's ping (caikit-tgis.md §1.5)", async () => {
    expect(
      await decodeText(": ping - 2026-11-21 07:00:00.000000+00:00\r\n\r\ndata: x\r\n\r\n"),
    ).toEqual([event("x")]);
  });

  it("joins multi-line data with \\n and keeps ids", async () => {
    expect(await decodeText("id: 7\ndata: first\ndata:second\ndata: \n\n")).toEqual([
      event("first\nsecond\n", undefined, "7"),
    ]);
  });

  it("accepts bare CR line ends and a leading BOM", async () => {
    expect(await decodeText("\uFEFFdata: a\r\rdata: b\r\r")).toEqual([event("a"), event("b")]);
  });

  it("drops an unterminated last event, as the SSE specification says", async () => {
    expect(await decodeText("data: complete\n\ndata: cut off")).toEqual([event("complete")]);
  });

  it("ignores blocks without data and unknown fields", async () => {
    expect(await decodeText("event: x\n\nfoo: bar\ndata: y\n\nretry: 10\n\n")).toEqual([
      event("y"),
    ]);
  });

  it("decodes UTF-8 characters split between chunks", async () => {
    const bytes = encoder.encode("data: héllo 🌍\n\n");
    for (let position = 1; position < bytes.length; position++) {
      expect(await decodeChunks(splitAt(bytes, [position]))).toEqual([event("héllo 🌍")]);
    }
  });
});

describe("decodeSse fuzz: the same events whatever the chunking", () => {
  const caikitStream =
    ": ping - 2026-11-21\r\n\r\n" +
    'event: message\r\ndata: {"generated_text":"","details":{"finish_reason":"NOT_FINISHED"}}\r\n\r\n' +
    'event: message\r\ndata: {"generated_text":" hi"}\r\n\r\n' +
    "data: line one\r\ndata: line two\r\n\r\n";
  const vllmStream =
    'data: {"choices":[{"text":"a"}]}\n\ndata: {"choices":[{"text":"b"}]}\n\ndata: [DONE]\n\n';

  it.each([
    ["caikit CRLF", caikitStream],
    ["vLLM LF", vllmStream],
  ])("%s: every single split point, including inside \\r\\n\\r\\n", async (_name, text) => {
    const bytes = encoder.encode(text);
    const expected = await decodeChunks([bytes]);
    expect(expected.length).toBeGreaterThan(1);
    for (let position = 0; position <= bytes.length; position++) {
      expect(await decodeChunks(splitAt(bytes, [position])), `split at ${position}`).toEqual(
        expected,
      );
    }
  });

  it("every pair of split points of a CRLF stream", async () => {
    const bytes = encoder.encode(
      'event: message\r\ndata: {"t":1}\r\n\r\ndata: x\r\ndata: y\r\n\r\n',
    );
    const expected = [event('{"t":1}', "message"), event("x\ny")];
    for (let first = 0; first <= bytes.length; first++) {
      for (let second = first; second <= bytes.length; second++) {
        const chunks = splitAt(bytes, [first, second]);
        expect(await decodeChunks(chunks), `split at ${first},${second}`).toEqual(expected);
      }
    }
  });

  it("one byte per chunk", async () => {
    const bytes = encoder.encode(caikitStream);
    const chunks = Array.from(bytes, (byte) => Uint8Array.of(byte));
    expect(await decodeChunks(chunks)).toEqual(await decodeChunks([bytes]));
  });

  it("a \\r\\n\\r\\n delimiter split between two chunks does not end the event early", async () => {
    const chunks = [
      encoder.encode("data: a\r\n"),
      encoder.encode("data: b\r"),
      encoder.encode("\n\r"),
      encoder.encode("\ndata: c\r\n\r\n"),
    ];
    expect(await decodeChunks(chunks)).toEqual([event("a\nb"), event("c")]);
  });
});

describe("decodeSse stream ends", () => {
  it("ends at data: [DONE] and cancels the rest of the body (vllm-openai.md §6)", async () => {
    const source = byteStream([
      encoder.encode("data: 1\n\ndata: [DONE]\n\n"),
      encoder.encode("data: never\n\n"),
    ]);
    const events: SseEvent[] = [];
    for await (const item of decodeSse(source.stream)) {
      events.push(item);
    }
    expect(events).toEqual([event("1")]);
    expect(source.cancelled()).toBe(true);
  });

  it("a consumer's break cancels the body", async () => {
    const source = byteStream([
      encoder.encode("data: 1\n\n"),
      encoder.encode("data: 2\n\n"),
      encoder.encode("data: 3\n\n"),
    ]);
    for await (const item of decodeSse(source.stream)) {
      expect(item.data).toBe("1");
      break;
    }
    expect(source.cancelled()).toBe(true);
    expect(source.pulled()).toBeLessThan(3);
  });

  it("is single use: a second iteration throws FAILED_PRECONDITION", async () => {
    const stream = decodeSse(byteStream([encoder.encode("data: 1\n\n")]).stream);
    for await (const _ of stream) {
      // drain
    }
    let caught: unknown;
    try {
      for await (const _ of stream) {
        // never reached
      }
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ServingkitError);
    expect((caught as ServingkitError).code).toBe(Code.FailedPrecondition);
  });

  it("decodes a Response and an empty body", async () => {
    const response = new Response("data: r\n\n", {
      headers: { "content-type": "text/event-stream" },
    });
    const events: SseEvent[] = [];
    for await (const item of decodeSse(response)) {
      events.push(item);
    }
    expect(events).toEqual([event("r")]);
    const empty: SseEvent[] = [];
    for await (const item of decodeSse(new Response(null))) {
      empty.push(item);
    }
    expect(empty).toEqual([]);
  });

  it("fails an event bigger than maxEventSize with RESOURCE_EXHAUSTED, not a memory blow-up", async () => {
    // An event that never ends, arriving in pieces: the parser must stop buffering it.
    const pieces = [
      encoder.encode("data: "),
      ...Array.from({ length: 10 }, () => encoder.encode("x".repeat(500))),
    ];
    const iterate = async () => {
      for await (const _ of readSseEvents(byteStream(pieces).stream, {
        maxEventSize: 1000,
      })) {
        // never reached
      }
    };
    await expect(iterate()).rejects.toMatchObject({
      code: Code.ResourceExhausted,
      retryable: false,
    });
  });
});

describe("in-band errors", () => {
  async function failure(text: string): Promise<{ events: SseEvent[]; error: ServingkitError }> {
    const events: SseEvent[] = [];
    try {
      for await (const item of decodeSse(
        new Response(text, { headers: { "x-request-id": "q" } }),
      )) {
        events.push(item);
      }
    } catch (error) {
      if (error instanceof ServingkitError) {
        return { events, error };
      }
      throw error;
    }
    throw new Error("no error was thrown");
  }

  it("throws caikit's event: error after the events before it (caikit-tgis.md §1.5)", async () => {
    const { events, error } = await failure(
      'event: message\r\ndata: {"generated_text":"a"}\r\n\r\n' +
        'event: error\r\ndata: {"details": "ValueError(\'value check failed: temperature must be >= 0.05\')", "code": 400, "id": "0123456789abcdef0123456789abcdef"}\r\n\r\n',
    );
    expect(events).toHaveLength(1);
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.httpStatus).toBe(400);
    expect(error.rawMessage).toBe("ValueError('value check failed: temperature must be >= 0.05')");
    expect(error.metadata.get("x-request-id")).toBe("q");
    expect(error.retryable).toBe(false);
    expect(error.body).toMatchObject({ code: 400 });
  });

  it("throws vLLM's in-band error payload before its [DONE] (vllm-openai.md §3)", async () => {
    const { events, error } = await failure(
      'data: {"choices":[{"text":"a"}]}\n\n' +
        'data: {"error":{"message":"engine died","type":"InternalServerError","param":null,"code":500}}\n\n' +
        "data: [DONE]\n\n",
    );
    expect(events).toHaveLength(1);
    expect(error.code).toBe(Code.Internal);
    expect(error.httpStatus).toBe(500);
    expect(error.rawMessage).toBe("engine died");
    expect(error.message).toBe("[internal] engine died");
  });

  it("throws an error event whose data is not JSON, with the text as message", async () => {
    const { error } = await failure("event: error\ndata: it broke\n\n");
    expect(error.code).toBe(Code.Unknown);
    expect(error.rawMessage).toBe("it broke");
    expect(error.httpStatus).toBeUndefined();
  });

  it("does not mistake a payload that merely mentions error for one", () => {
    const benign = [
      event('{"text":"the word \\"error\\" appears"}'),
      event('["error"]'),
      event('"error"'),
      event('not json "error"'),
      event('{"choices":[{"error":"nested is not top level"}]}'),
    ];
    for (const item of benign) {
      expect(sseEventError(item), item.data).toBeUndefined();
    }
    expect(sseEventError(event('{"error":"x"}'))?.rawMessage).toBe("x");
    expect(sseEventError(event("{}", "error"))?.rawMessage).toBe("the server sent an error event");
  });
});

describe("SseStream.json", () => {
  it("parses each event's data", async () => {
    const values: unknown[] = [];
    for await (const value of decodeSse(new Response('data: {"n":1}\n\ndata: [2]\n\n')).json()) {
      values.push(value);
    }
    expect(values).toEqual([{ n: 1 }, [2]]);
  });

  it("throws INTERNAL for malformed JSON, keeping the raw data, and cancels the body", async () => {
    const source = byteStream([encoder.encode("data: {oops\n\n"), encoder.encode("data: 2\n\n")]);
    const iterate = async () => {
      for await (const _ of decodeSse(source.stream).json()) {
        // never reached
      }
    };
    await expect(iterate()).rejects.toMatchObject({ code: Code.Internal, body: "{oops" });
    expect(source.cancelled()).toBe(true);
  });

  it("a break out of json() cancels the body", async () => {
    const source = byteStream([encoder.encode("data: 1\n\n"), encoder.encode("data: 2\n\n")]);
    for await (const value of decodeSse(source.stream).json()) {
      expect(value).toBe(1);
      break;
    }
    expect(source.cancelled()).toBe(true);
  });
});
