/**
 * The load client of the streams scenario: many concurrent server-sent event streams over raw
 * `node:net` sockets. It only counts and timestamps events, so it frames them itself (a small
 * HTTP/1.1 response scanner below) instead of going through `node:http` and an SSE library: on a
 * 2-core machine the client shares the cores with the server it measures, and its cost per event
 * is taken from the server's. The product code (client-core) keeps its SSE libraries; this
 * scanner is for counting only and does not decode event fields.
 */
import { connect, type Socket } from "node:net";
import type { LoadDriver, LoadWindow } from "./measurement.js";

/** Options of {@link createSseDriver}. */
export interface SseLoadOptions {
  /** Full `http:` URL of the streaming route (loopback only). */
  readonly url: string;
  /** Request headers (content type, token); names and values without CR or LF. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The request body that starts one stream (POST). */
  readonly body: string;
  /** Streams kept open at once. */
  readonly streams: number;
  /**
   * The slots' first streams start spread over this many milliseconds, as clients arrive; the
   * measured window starts after it (default 1,000).
   */
  readonly rampMs?: number;
  /** A stream that sends nothing for this long is cut and counted as an error (default 60,000 ms). */
  readonly idleTimeoutMs?: number;
}

const lf = 0x0a;
const cr = 0x0d;
const done = Buffer.from("data: [DONE]", "latin1");
const headEnd = Buffer.from("\r\n\r\n", "latin1");

// Where SseResponseScanner is in the response.
/** Status line and headers, up to the blank line. */
const head = 0;
/** Chunked body: the hex size line of the next chunk. */
const sizeLine = 1;
/** Chunked body: payload bytes of the current chunk. */
const payload = 2;
/** Chunked body: the CRLF after a chunk's payload. */
const payloadEnd = 3;
/** Body without chunked framing (read until the connection closes). */
const rawBody = 4;
/** The zero-size chunk came: the response is over (trailers are ignored). */
const over = 5;
/** The response is not one to read on (non-200 status, or framing it cannot follow). */
const unreadable = 6;

/**
 * Counts the events of one HTTP/1.1 `text/event-stream` response fed in arbitrary pieces: parses
 * the status line, follows chunked transfer coding (or a body read to the close), and finds each
 * event's end (a blank line, LF or CRLF line ends) in the payload. An event whose first line is
 * `data: [DONE]` is counted apart. Every other block with content counts as an event (neither
 * server of the scenario sends comment-only blocks). Pure: no I/O, no clock.
 */
export class SseResponseScanner {
  /** The response's status code, once its status line is in (undefined before). */
  status: number | undefined;
  /** Events seen so far, `[DONE]` excluded. */
  events = 0;
  /** `data: [DONE]` events seen so far. */
  doneEvents = 0;
  /** Why the response cannot be read on (non-200 status, bad framing); undefined while fine. */
  failure: string | undefined;

  #part = head;
  /** Head bytes kept until the blank line ends them. */
  #head: Buffer[] = [];
  #headLength = 0;
  /** Payload bytes left in the current chunk, or the size being read on a size line. */
  #remaining = 0;
  #sizeDigits = 0;
  #inExtension = false;
  /** Bytes of the CRLF after a chunk still to come. */
  #dataEnd = 0;
  /** Bytes in the current line (an empty line ends an event). */
  #lineLength = 0;
  #lastWasCr = false;
  /** Whether the current event has a non-empty line. */
  #eventHasContent = false;
  /** How many bytes of `data: [DONE]` the event's start has matched; -1 once it differs. */
  #doneMatched = 0;

  /** Whether the response is over (its zero-size chunk came); a raw body ends with the connection. */
  get ended(): boolean {
    return this.#part === over;
  }

  /** Whether the connection may carry another request after this response (HTTP/1.1, no `connection: close`). */
  reusable = false;

  /**
   * Whether the response so far is a whole stream: status 200, sane framing, `data: [DONE]` seen
   * once, and for a chunked body its zero-size chunk (a body without chunked framing ends with its
   * connection, so the caller asks once that has closed).
   */
  get whole(): boolean {
    return (
      this.status === 200 &&
      this.failure === undefined &&
      this.doneEvents === 1 &&
      (this.#part === over || this.#part === rawBody)
    );
  }

  /**
   * Feeds the next bytes; returns how many events (not `[DONE]`) ended in them. The scanner keeps
   * no reference to `bytes`, so the caller may reuse the buffer.
   */
  push(bytes: Buffer): number {
    const before = this.events;
    let at = 0;
    const end = bytes.length;
    while (at < end) {
      switch (this.#part) {
        case head:
          at = this.#readHead(bytes, at);
          break;
        case sizeLine:
          at = this.#readSize(bytes, at);
          break;
        case payload: {
          const stop = Math.min(end, at + this.#remaining);
          this.#scan(bytes, at, stop);
          this.#remaining -= stop - at;
          at = stop;
          if (this.#remaining === 0) {
            this.#part = payloadEnd;
            this.#dataEnd = 2;
          }
          break;
        }
        case payloadEnd:
          if (bytes[at] !== (this.#dataEnd === 2 ? cr : lf)) {
            this.#fail("bad chunk end");
            break;
          }
          at += 1;
          this.#dataEnd -= 1;
          if (this.#dataEnd === 0) this.#part = sizeLine;
          break;
        case rawBody:
          this.#scan(bytes, at, end);
          at = end;
          break;
        case over:
        case unreadable:
          return this.events - before;
      }
    }
    return this.events - before;
  }

  #fail(why: string): void {
    this.failure ??= why;
    this.#part = unreadable;
  }

  #readHead(bytes: Buffer, at: number): number {
    // A copy: the caller may reuse its buffer for the next read (the head is read once a stream).
    const piece = Buffer.from(bytes.subarray(at));
    this.#head.push(piece);
    this.#headLength += piece.length;
    const head = this.#head.length === 1 ? piece : Buffer.concat(this.#head, this.#headLength);
    const blank = head.indexOf(headEnd);
    if (blank < 0) {
      if (this.#headLength > 64 * 1024) this.#fail("response head over 64 KiB");
      return bytes.length;
    }
    this.#head = [];
    const text = head.toString("latin1", 0, blank).toLowerCase();
    const status = /^http\/1\.[01] (\d{3})/.exec(text);
    if (status === null) {
      this.#fail("no HTTP/1.x status line");
      return bytes.length;
    }
    this.status = Number(status[1]);
    if (this.status !== 200) {
      this.#fail(`status ${this.status}`);
      return bytes.length;
    }
    this.#part = /\r\ntransfer-encoding:[^\r]*chunked/.test(text) ? sizeLine : rawBody;
    this.reusable =
      this.#part === sizeLine &&
      text.startsWith("http/1.1") &&
      !/\r\nconnection:[^\r]*close/.test(text);
    // The body starts after the blank line: that many bytes into the head, counted back from here.
    return bytes.length - (this.#headLength - (blank + headEnd.length));
  }

  #readSize(bytes: Uint8Array, at: number): number {
    for (; at < bytes.length; at++) {
      const byte = bytes[at] as number;
      if (byte === lf) {
        if (this.#sizeDigits === 0) {
          this.#fail("chunk size line without digits");
          return at;
        }
        this.#sizeDigits = 0;
        this.#inExtension = false;
        this.#part = this.#remaining === 0 ? over : payload;
        return at + 1;
      }
      if (this.#inExtension || byte === cr) continue;
      if (byte === 0x3b) {
        this.#inExtension = true;
        continue;
      }
      const digit = hexValue(byte);
      if (digit < 0 || this.#sizeDigits >= 8) {
        this.#fail("bad chunk size");
        return at;
      }
      this.#remaining = this.#remaining * 16 + digit;
      this.#sizeDigits += 1;
    }
    return at;
  }

  /** Finds event ends in payload bytes [from, to). */
  #scan(bytes: Buffer, from: number, to: number): void {
    let at = from;
    while (at < to) {
      const found = bytes.indexOf(lf, at);
      const lineEnd = found < 0 || found >= to ? to : found;
      if (lineEnd > at) this.#lineBytes(bytes, at, lineEnd);
      if (lineEnd === to) return;
      // A line ends here: empty (nothing, or a lone CR, since the last LF) ends the event.
      if (this.#lineLength === 0 || (this.#lineLength === 1 && this.#lastWasCr)) {
        if (this.#eventHasContent) {
          if (this.#doneMatched === done.length) this.doneEvents += 1;
          else this.events += 1;
        }
        this.#eventHasContent = false;
        this.#doneMatched = 0;
      } else this.#eventHasContent = true;
      this.#lineLength = 0;
      this.#lastWasCr = false;
      at = lineEnd + 1;
    }
  }

  /** Takes the bytes [from, to) of a line (no LF among them). */
  #lineBytes(bytes: Uint8Array, from: number, to: number): void {
    // Only an event's first line can start `data: [DONE]`; compare at most its first 12 bytes.
    if (!this.#eventHasContent && this.#doneMatched >= 0) {
      let matched = this.#doneMatched;
      let i = from;
      for (; i < to && matched < done.length; i++, matched++) {
        if (bytes[i] !== done[matched]) {
          matched = -1;
          break;
        }
      }
      // More than `data: [DONE]` (and a CR) on the line makes it another event.
      if (matched === done.length && i < to && !(i === to - 1 && bytes[i] === cr)) matched = -1;
      this.#doneMatched = matched;
    }
    this.#lineLength += to - from;
    this.#lastWasCr = bytes[to - 1] === cr;
  }
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/** The request bytes of one stream: HTTP/1.1 POST on a keep-alive connection. */
function requestBytes(url: URL, options: SseLoadOptions): Buffer {
  if (url.protocol !== "http:") throw new Error(`createSseDriver: ${url.href} is not http:`);
  const body = Buffer.from(options.body, "utf8");
  const lines = [
    `POST ${url.pathname}${url.search} HTTP/1.1`,
    `host: ${url.host}`,
    `content-length: ${body.length}`,
  ];
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (/[\r\n:]/.test(name) || /[\r\n]/.test(value)) {
      throw new Error(`createSseDriver: header ${JSON.stringify(name)} has CR, LF or a colon`);
    }
    lines.push(`${name}: ${value}`);
  }
  return Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"), body]);
}

const ignore = () => undefined;

/**
 * Where every connection's reads land: Node's `onread` option reads into this buffer and calls
 * back synchronously (no Buffer and no stream 'data' event per read), and the scanner is done
 * with the bytes before the next read, so one buffer serves all connections.
 */
const readBuffer = Buffer.allocUnsafe(64 * 1024);

/** One slot's connection; `onBytes` is the stream being read on it. */
interface Connection {
  readonly socket: Socket;
  onBytes: ((bytes: Buffer) => void) | undefined;
}

/**
 * A load driver for server-sent event streams. `run(seconds)` starts the `streams` slots spread
 * over `rampMs`; each slot runs streams one after another until the measured window is over, and
 * a stream open then is read to its end. The window starts once the last slot has started and
 * lasts `seconds`: only events that arrive in it are counted and only their gaps recorded, so the
 * figures are those of `streams` concurrent streams, not of the ramp or of the tail where streams
 * end and none replace them (`run(0)`: one stream per slot, every event counted, for checks).
 * Each slot has its own connection (raw `node:net`, HTTP/1.1 keep-alive: a slot's next stream goes
 * on the same connection once the last one's zero-size chunk came; a new connection when the
 * server closed it), closed when the slot is done.
 * Counts EVENTS as answers (`data: [DONE]` excluded) and records, per event after a stream's
 * first, the gap since the previous event of the same stream as it arrived at the client: the
 * delivered inter-token latency. Every event is timestamped when the read that completes it
 * arrives, so events that arrive in one read count with a gap of 0.
 * A stream counts one error when its status is not 200, its framing is bad, it ends before its
 * zero-size chunk or without `data: [DONE]`, it goes idle for `idleTimeoutMs`, or its connection
 * fails. Given a {@link LoadWindow}, `run(seconds)` calls its `open` when the window starts and
 * its `close` when it ends (timers), so CPU can be accounted to the counted events alone.
 */
export function createSseDriver(options: SseLoadOptions): LoadDriver {
  const url = new URL(options.url);
  const request = requestBytes(url, options);
  const port = Number(url.port || 80);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const idle = options.idleTimeoutMs ?? 60_000;
  const open = new Set<Socket>();
  const connection = (): Connection => {
    const socket = connect({
      port,
      host,
      noDelay: true,
      onread: {
        buffer: readBuffer,
        callback: (length) => {
          held.onBytes?.(readBuffer.subarray(0, length));
          return true;
        },
      },
    });
    const held: Connection = { socket, onBytes: undefined };
    open.add(socket);
    // Errors end in "close" (with hadError), which each stream watches.
    socket.on("error", ignore);
    socket.setTimeout(idle, () => socket.destroy(new Error(`no bytes for ${idle} ms`)));
    socket.once("close", () => open.delete(socket));
    return held;
  };
  return {
    run: async (seconds, recorder, window) => {
      const ramp = options.rampMs ?? 1000;
      const started = performance.now();
      // The measured window: from the last slot's first stream to `seconds` later, so every
      // counted event and gap comes while all `streams` are open. run(0): everything counts.
      const from = seconds > 0 ? started + ramp : Number.NEGATIVE_INFINITY;
      const deadline = seconds > 0 ? from + seconds * 1000 : started;
      const until = seconds > 0 ? deadline : Number.POSITIVE_INFINITY;
      if (window !== undefined && seconds > 0) {
        setTimeout(() => window.open(), ramp);
        setTimeout(() => window.close(), ramp + seconds * 1000);
      }
      let ok = 0;
      let errors = 0;
      /** Runs one stream, on `reuse` if given; resolves with the connection if it can go on. */
      const oneStream = (reuse: Connection | undefined) =>
        new Promise<Connection | undefined>((resolve) => {
          const scanner = new SseResponseScanner();
          const held = reuse?.socket.writable ? reuse : connection();
          const { socket } = held;
          let last = -1;
          const settle = (failed: boolean, keep: boolean) => {
            held.onBytes = undefined;
            socket.off("close", onClose);
            if (failed) errors += 1;
            if (!keep) socket.destroy();
            resolve(keep ? held : undefined);
          };
          held.onBytes = (bytes) => {
            const now = performance.now();
            const ended = scanner.push(bytes);
            if (ended > 0 && now >= from && now <= until) {
              ok += ended;
              if (recorder !== undefined) {
                // The first event of a read: the gap since the last read; the others: 0.
                if (last >= 0) recorder.record(now - last);
                for (let i = 1; i < ended; i++) recorder.record(0);
              }
            }
            if (ended > 0) last = now;
            if (scanner.failure !== undefined) settle(true, false);
            else if (scanner.ended) settle(!scanner.whole, scanner.reusable);
          };
          const onClose = (hadError: boolean) => settle(hadError || !scanner.whole, false);
          socket.on("close", onClose);
          socket.write(request);
        });
      const loop = async (index: number) => {
        await new Promise((wake) => setTimeout(wake, (ramp * index) / options.streams));
        let held: Connection | undefined;
        do held = await oneStream(held);
        while (performance.now() < deadline);
        held?.socket.destroy();
      };
      await Promise.all(Array.from({ length: options.streams }, (_, index) => loop(index)));
      const measured = seconds > 0 ? seconds : (performance.now() - started) / 1000;
      return { ok, errors, seconds: measured };
    },
    close: async () => {
      for (const socket of open) socket.destroy();
    },
  };
}
