import autocannon from "autocannon";
import { type HttpCall, HttpConnection } from "./http-call.js";
import type { LatencyRecorder, LoadCounters, LoadDriver } from "./measurement.js";

/** Options of {@link createHttpDriver}. */
export interface HttpLoadOptions {
  /** Full URL of the route (loopback only). */
  readonly url: string;
  /** Request method; default GET. */
  readonly method?: "GET" | "POST";
  /** Request headers, e.g. the bearer token or the content type. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Request body, sent with every request. */
  readonly body?: string | Buffer;
  /** Concurrent keep-alive connections. */
  readonly connections: number;
}

/**
 * A load driver for one HTTP route, built on autocannon: throughput from autocannon's counters,
 * latency from its per-response timings recorded at microsecond resolution (autocannon's own
 * histogram keeps whole milliseconds, too coarse for loopback answers).
 */
export function createHttpDriver(options: HttpLoadOptions): LoadDriver {
  return {
    run: (seconds, recorder) => runAutocannon(options, seconds, recorder),
    close: async () => undefined,
  };
}

function runAutocannon(
  options: HttpLoadOptions,
  seconds: number,
  recorder: LatencyRecorder | undefined,
): Promise<LoadCounters> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        method: options.method ?? "GET",
        connections: options.connections,
        duration: seconds,
        headers: { ...options.headers },
        ...(options.body === undefined ? {} : { body: options.body }),
        // autocannon notices its deadline only at a sample tick (default every 1,000 ms), so a
        // 2 s round could run 3 s and a 0.3 s smoke run 1 s; ticking every 50 ms keeps runs on time.
        sampleInt: 50,
      },
      (error, result) =>
        error
          ? reject(error)
          : resolve({
              ok: result["2xx"],
              errors: result.non2xx + result.errors,
              seconds: result.duration,
            }),
    );
    if (recorder) {
      instance.on("response", (_client, status, _bytes, responseTime) => {
        if (status >= 200 && status < 300) recorder.record(responseTime);
      });
    }
  });
}

/** Options of {@link createSequentialHttpDriver}. */
export interface SequentialHttpLoadOptions {
  /** The request, sent again and again. */
  readonly call: HttpCall;
  /** Requests in flight at once; default 1 (one connection, one request after another). */
  readonly inFlight?: number;
}

/**
 * A load driver for slow, large requests (a 16 MiB tensor): a closed loop of `inFlight` requests,
 * each on its own keep-alive {@link HttpConnection} (large socket reads into one body buffer
 * reused for every answer: `node:http`'s 64 KiB slices, their copies and a fresh 16 MiB per
 * answer were half the round trip), each read whole. Unlike autocannon it lets the request in flight at the
 * deadline finish and counts it, so a request that takes longer than a round is still measured;
 * each request is bounded by the call's timeout.
 */
export function createSequentialHttpDriver(options: SequentialHttpLoadOptions): LoadDriver {
  return {
    run: async (seconds, recorder) => {
      const started = performance.now();
      const deadline = started + seconds * 1000;
      let ok = 0;
      let errors = 0;
      const loop = async () => {
        // Bodies are checked for status only, so one body buffer serves every answer.
        const connection = new HttpConnection(options.call.url, { reuseBody: true });
        do {
          const begin = performance.now();
          try {
            const answer = await connection.call(options.call);
            if (answer.status >= 200 && answer.status < 300) {
              ok += 1;
              recorder?.record(performance.now() - begin);
            } else errors += 1;
          } catch {
            errors += 1;
          }
        } while (performance.now() < deadline);
        connection.close();
      };
      await Promise.all(Array.from({ length: options.inFlight ?? 1 }, loop));
      return { ok, errors, seconds: (performance.now() - started) / 1000 };
    },
    close: async () => undefined,
  };
}
