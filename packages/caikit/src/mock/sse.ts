/**
 * caikit's server-sent events, as sse-starlette frames them (caikit-tgis.md §1.5): CRLF line
 * ends, `event: message` plus one `data:` line per result, no `[DONE]`, an error as one
 * `event: error` frame that ends the stream, and a `: ping - <UTC time>` comment every 15 s.
 */
import type { Clock } from "@servingkit/mock-core/host";
import { asCaikitError, caikitErrorBody } from "./caikit-error.js";
import { type PyJson, pythonJson } from "./python-json.js";

/** sse-starlette's default ping interval, milliseconds. */
export const pingIntervalMs = 15_000;

/** Response headers of a caikit stream (sse-starlette's EventSourceResponse). */
export const sseHeaders = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-store",
  connection: "keep-alive",
  "x-accel-buffering": "no",
} as const;

/** One result frame. */
export function messageFrame(result: PyJson): string {
  return `event: message\r\ndata: ${pythonJson(result)}\r\n\r\n`;
}

/** `str(datetime.utcnow())`: `2026-11-21 07:50:00.123000`. */
function pythonUtcNow(date: Date): string {
  return `${date.toISOString().replace("T", " ").replace("Z", "")}000`;
}

/**
 * The frames of a stream of results: each result as a message frame, a thrown error as caikit's
 * error frame (then the end), pings while the source is silent for `pingIntervalMs`.
 */
export async function* sseFrames(
  source: AsyncIterable<PyJson>,
  clock: Clock,
  wallNow: () => Date = () => new Date(),
): AsyncGenerator<string> {
  const iterator = source[Symbol.asyncIterator]();
  let pending = iterator.next();
  try {
    for (;;) {
      const stop = new AbortController();
      const ping = clock.sleep(pingIntervalMs, stop.signal).then(
        () => "ping" as const,
        () => "ping-cancelled" as const,
      );
      const winner = await Promise.race([pending.then((r) => ({ r }) as const), ping]);
      if (winner === "ping" || winner === "ping-cancelled") {
        yield `: ping - ${pythonUtcNow(wallNow())}\r\n\r\n`;
        continue;
      }
      stop.abort();
      if (winner.r.done) return;
      yield messageFrame(winner.r.value);
      pending = iterator.next();
    }
  } catch (thrown) {
    const error = asCaikitError(thrown);
    yield `event: error\r\ndata: ${caikitErrorBody(error.streamDetails, error.streamStatus)}\r\n\r\n`;
  } finally {
    await iterator.return?.();
  }
}
