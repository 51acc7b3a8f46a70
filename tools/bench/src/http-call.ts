import { Agent, request } from "node:http";
import { connect, type Socket } from "node:net";

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

/**
 * Bytes one socket read may take: 4 MiB. `node:http` reads 64 KiB at a time and copies each
 * slice into a Buffer of its own; a 16 MiB answer is then 256 event-loop turns and 256
 * allocations on the client before the server's speed shows.
 */
const readSliceBytes = 4 * 1024 * 1024;

const headEnd = Buffer.from("\r\n\r\n");

/** The answer being read on a connection. */
interface PendingAnswer {
  readonly resolve: (answer: HttpAnswer) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
  /** Head bytes so far, until the blank line. */
  head: Buffer | undefined;
  status: number;
  headers: Record<string, string>;
  /** The body, allocated at its `content-length` once the head is in. */
  body: Buffer | undefined;
  received: number;
}

/**
 * One keep-alive HTTP/1.1 connection to a loopback server for large bodies, one request at a
 * time: the request goes out as one corked write of head and body, and the answer is read in
 * slices of up to {@link readSliceBytes} into a single buffer of its `content-length` (one copy,
 * no per-slice Buffers, no concatenation). An answer without `content-length` (chunked) is an
 * error: the bench's servers all send one. A closed or timed-out connection is opened again on
 * the next call. The tensor benchmark gives every server, baseline and mock alike, this client.
 */
export class HttpConnection {
  readonly #url: URL;
  readonly #reuseBody: boolean;
  readonly #slice = Buffer.allocUnsafe(readSliceBytes);
  /** The body memory kept between answers when `reuseBody` is set. */
  #spare: Buffer | undefined;
  #socket: Socket | undefined;
  #pending: PendingAnswer | undefined;

  /**
   * `url`: the server's origin or any URL on it (loopback only); calls name their own path.
   * `reuseBody` (default false): every answer's body is read into the same memory (grown when an
   * answer is larger), so an answer is valid only until the next call. For a load loop that
   * discards bodies: a fresh 16 MiB buffer per answer costs the client page faults and GC.
   */
  constructor(url: string, options: { readonly reuseBody?: boolean } = {}) {
    this.#url = new URL(url);
    this.#reuseBody = options.reuseBody ?? false;
  }

  /** Sends `call` (its URL's path and query are used) and reads the whole answer. */
  call(call: HttpCall): Promise<HttpAnswer> {
    if (this.#pending) return Promise.reject(new Error("one call at a time per HttpConnection"));
    const socket = this.#open();
    const url = new URL(call.url, this.#url);
    const body =
      call.body === undefined
        ? undefined
        : typeof call.body === "string"
          ? Buffer.from(call.body)
          : call.body;
    let head = `${call.method ?? "POST"} ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${this.#url.host}\r\n`;
    for (const [name, value] of Object.entries(call.headers ?? {})) head += `${name}: ${value}\r\n`;
    if (body !== undefined) head += `content-length: ${body.byteLength}\r\n`;
    head += "\r\n";
    return new Promise<HttpAnswer>((resolve, reject) => {
      const timeoutMs = call.timeoutMs ?? 60_000;
      const timer = setTimeout(
        () => this.#fail(new Error(`no answer from ${call.url} in time`)),
        timeoutMs,
      );
      this.#pending = {
        resolve,
        reject,
        timer,
        head: undefined,
        status: 0,
        headers: {},
        body: undefined,
        received: 0,
      };
      socket.cork();
      socket.write(head, "latin1");
      if (body !== undefined) socket.write(body);
      socket.uncork();
    });
  }

  /** Closes the connection; a call in flight fails. */
  close(): void {
    this.#fail(new Error("connection closed"));
  }

  #open(): Socket {
    if (this.#socket && !this.#socket.destroyed) return this.#socket;
    const socket = connect({
      host: this.#url.hostname,
      port: Number(this.#url.port || 80),
      onread: {
        buffer: this.#slice,
        callback: (length: number) => {
          this.#read(this.#slice.subarray(0, length));
          return true;
        },
      },
    });
    socket.setNoDelay(true);
    // Only this connection's current socket fails the call in flight, not one it has replaced.
    socket.on("error", (error) => {
      if (this.#socket === socket) this.#fail(error);
    });
    const closed = () => {
      if (this.#socket === socket) this.#fail(new Error("the server closed the connection"));
    };
    socket.on("end", closed);
    socket.on("close", closed);
    this.#socket = socket;
    return socket;
  }

  /** Takes one read slice (valid only during this call). */
  #read(bytes: Buffer): void {
    const pending = this.#pending;
    if (!pending) return;
    let rest = bytes;
    if (pending.body === undefined) {
      const head = pending.head ? Buffer.concat([pending.head, bytes]) : bytes;
      const end = head.indexOf(headEnd);
      if (end < 0) {
        pending.head = Buffer.from(head);
        return;
      }
      const lines = head.toString("latin1", 0, end).split("\r\n");
      pending.status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "")?.[1] ?? 0);
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(":");
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        pending.headers[name] =
          name in pending.headers ? `${pending.headers[name]}, ${value}` : value;
      }
      const length = Number(pending.headers["content-length"]);
      if (!Number.isSafeInteger(length) || length < 0) {
        this.#fail(new Error(`answer ${pending.status} without a content-length`));
        return;
      }
      pending.body = this.#bodyOf(length);
      rest = head.subarray(end + headEnd.length);
    }
    const body = pending.body;
    const take = Math.min(rest.byteLength, body.byteLength - pending.received);
    rest.copy(body, pending.received, 0, take);
    pending.received += take;
    if (pending.received < body.byteLength) return;
    this.#pending = undefined;
    clearTimeout(pending.timer);
    // The server closes after this answer: the next call opens a new connection.
    if (pending.headers.connection?.toLowerCase() === "close") this.#fail(new Error("closed"));
    pending.resolve({ status: pending.status, headers: pending.headers, body });
  }

  #bodyOf(length: number): Buffer {
    if (!this.#reuseBody) return Buffer.allocUnsafe(length);
    if (this.#spare === undefined || this.#spare.byteLength < length) {
      this.#spare = Buffer.allocUnsafe(length);
    }
    return this.#spare.subarray(0, length);
  }

  #fail(error: Error): void {
    const pending = this.#pending;
    this.#pending = undefined;
    this.#socket?.destroy();
    this.#socket = undefined;
    if (!pending) return;
    clearTimeout(pending.timer);
    pending.reject(error);
  }
}
