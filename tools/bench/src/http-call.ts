import { Agent, request } from "node:http";

/** One HTTP answer, read whole. */
export interface HttpAnswer {
  /** The status code. */
  readonly status: number;
  /** Response headers (lower-case names; repeated headers joined by ", "). */
  readonly headers: Readonly<Record<string, string>>;
  /** The body bytes. */
  readonly body: Buffer;
}

/** What {@link httpCall} sends. */
export interface HttpCall {
  /** Full URL (loopback only). */
  readonly url: string;
  /** Method; default POST. */
  readonly method?: string;
  /** Request headers. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Request body; none when absent. */
  readonly body?: Uint8Array | string;
  /** Gives up after this many milliseconds (default 60,000): a bench never hangs. */
  readonly timeoutMs?: number;
}

/** Keeps one connection per server alive between sequential calls, as a client would. */
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/**
 * Sends one request with bare `node:http` (the cheapest client, so the server's cost shows) and
 * reads the whole answer. Rejects on connection errors and on timeout.
 */
export function httpCall(call: HttpCall): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      call.url,
      {
        method: call.method ?? "POST",
        headers: {
          ...call.headers,
          ...(call.body === undefined ? {} : { "content-length": Buffer.byteLength(call.body) }),
        },
        agent,
        timeout: call.timeoutMs ?? 60_000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", reject);
        response.on("end", () => {
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(response.headers)) {
            if (value !== undefined)
              headers[name] = Array.isArray(value) ? value.join(", ") : value;
          }
          resolve({ status: response.statusCode ?? 0, headers, body: Buffer.concat(chunks) });
        });
      },
    );
    outgoing.on("timeout", () => outgoing.destroy(new Error(`no answer from ${call.url} in time`)));
    outgoing.on("error", reject);
    outgoing.end(call.body);
  });
}
