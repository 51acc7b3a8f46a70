import { Agent, request } from "node:http";
import type { LoadDriver } from "./measurement.js";

/** Options of {@link createSseDriver}. */
export interface SseLoadOptions {
  /** Full URL of the streaming route (loopback only). */
  readonly url: string;
  /** Request headers (content type, token). */
  readonly headers?: Readonly<Record<string, string>>;
  /** The request body that starts one stream (POST). */
  readonly body: string;
  /** Streams kept open at once. */
  readonly streams: number;
  /** The first streams start spread over this many milliseconds, as clients arrive (default 1,000). */
  readonly rampMs?: number;
}

/**
 * A load driver for server-sent event streams: keeps `streams` streams open (each slot runs at
 * least one stream, and a finished stream is replaced by a new one until the time is up; streams
 * open at the deadline are read to their end).
 * Counts EVENTS as answers (`data: [DONE]` excluded) and records, per event after a stream's
 * first, the gap since the previous event of the same stream as it arrived at the client: the
 * delivered inter-token latency. Events that arrive in one read count with a gap of about 0.
 */
export function createSseDriver(options: SseLoadOptions): LoadDriver {
  const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  return {
    run: async (seconds, recorder) => {
      const started = performance.now();
      const deadline = started + seconds * 1000;
      let ok = 0;
      let errors = 0;
      const oneStream = () =>
        new Promise<void>((resolve) => {
          let last: number | undefined;
          let pending = "";
          const outgoing = request(
            options.url,
            {
              method: "POST",
              headers: {
                ...options.headers,
                "content-length": Buffer.byteLength(options.body),
              },
              agent,
              timeout: 60_000,
            },
            (response) => {
              if (response.statusCode !== 200) {
                errors += 1;
                response.resume();
                response.on("end", resolve);
                return;
              }
              response.setEncoding("utf8");
              response.on("data", (chunk: string) => {
                const now = performance.now();
                pending += chunk;
                let end = pending.indexOf("\n\n");
                while (end >= 0) {
                  const event = pending.slice(0, end);
                  pending = pending.slice(end + 2);
                  end = pending.indexOf("\n\n");
                  if (event.startsWith("data: [DONE]")) continue;
                  ok += 1;
                  if (last !== undefined) recorder?.record(now - last);
                  last = now;
                }
              });
              response.on("end", resolve);
              response.on("error", () => {
                errors += 1;
                resolve();
              });
            },
          );
          outgoing.on("timeout", () => outgoing.destroy(new Error("stream timed out")));
          outgoing.on("error", () => {
            errors += 1;
            resolve();
          });
          outgoing.end(options.body);
        });
      const ramp = options.rampMs ?? 1000;
      const loop = async (index: number) => {
        await new Promise((wake) => setTimeout(wake, (ramp * index) / options.streams));
        do await oneStream();
        while (performance.now() < deadline);
      };
      await Promise.all(Array.from({ length: options.streams }, (_, index) => loop(index)));
      return { ok, errors, seconds: (performance.now() - started) / 1000 };
    },
    close: async () => agent.destroy(),
  };
}
