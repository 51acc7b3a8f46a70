import autocannon from "autocannon";
import type { LatencyRecorder, LoadCounters, LoadDriver } from "./measurement.js";

/** Options of {@link createHttpDriver}. */
export interface HttpLoadOptions {
  /** Full URL of the route (loopback only). */
  readonly url: string;
  /** Request headers, e.g. the bearer token. */
  readonly headers?: Readonly<Record<string, string>>;
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
        connections: options.connections,
        duration: seconds,
        headers: { ...options.headers },
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
