import { ManualClock } from "@servingkit/mock-core/host";
import { describe, expect, it } from "vitest";
import { CaikitError } from "./caikit-error.js";
import type { PyJson } from "./python-json.js";
import { messageFrame, pingIntervalMs, sseFrames } from "./sse.js";

async function collect(frames: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const frame of frames) out.push(frame);
  return out;
}

describe("sseFrames (sse-starlette framing, caikit-tgis.md §1.5)", () => {
  it("frames each result with CRLF and event: message, and ends without a sentinel", async () => {
    async function* source(): AsyncGenerator<PyJson> {
      yield { a: 1 };
      yield { a: 2 };
    }
    const frames = await collect(sseFrames(source(), new ManualClock()));
    expect(frames).toEqual([
      'event: message\r\ndata: {"a": 1}\r\n\r\n',
      'event: message\r\ndata: {"a": 2}\r\n\r\n',
    ]);
    expect(messageFrame(null)).toBe("event: message\r\ndata: null\r\n\r\n");
  });

  it("turns a thrown error into one event: error frame with caikit's body", async () => {
    async function* source(): AsyncGenerator<PyJson> {
      yield 1;
      throw new CaikitError("boom", 400, 3, 400, "ValueError('boom')");
    }
    const frames = await collect(sseFrames(source(), new ManualClock()));
    expect(frames).toHaveLength(2);
    expect(frames[1]).toMatch(
      /^event: error\r\ndata: \{"details": "ValueError\('boom'\)", "code": 400, "id": "[0-9a-f]{32}"\}\r\n\r\n$/,
    );
  });

  it("pings every 15 s while the source is silent", async () => {
    const clock = new ManualClock();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    async function* source(): AsyncGenerator<PyJson> {
      await gate;
      yield "late";
    }
    const wall = () => new Date("2026-11-21T07:50:00.123Z");
    const iterator = sseFrames(source(), clock, wall)[Symbol.asyncIterator]();
    const first = iterator.next();
    while (clock.pendingSleeps === 0) await new Promise((r) => setImmediate(r));
    await clock.advance(pingIntervalMs);
    expect((await first).value).toBe(": ping - 2026-11-21 07:50:00.123000\r\n\r\n");
    const second = iterator.next();
    release();
    expect((await second).value).toBe('event: message\r\ndata: "late"\r\n\r\n');
    expect((await iterator.next()).done).toBe(true);
  });
});
