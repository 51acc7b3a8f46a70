/**
 * How every mock's fastify host reads a request body: into one buffer sized by `Content-Length`
 * as the chunks arrive (a body sent chunked, with no length, is gathered and copied once at its
 * end), optionally placed a few bytes past an 8-byte boundary so that a part of it a runtime
 * views as typed arrays starts aligned (the KServe binary tensor extension: tensors after an
 * `Inference-Header-Content-Length` JSON header).
 *
 * Fastify's own buffer parser (`parseAs: "buffer"`) gathers the chunks and copies them into a
 * fresh buffer after the last byte (a 16 MiB tensor: one 16 MiB copy on the answer's critical
 * path); this one makes the same single copy, spread over the upload, and frees each chunk of a
 * socket's request as soon as it is copied ({@link releaseChunk}). Limits and refusals are
 * fastify's, word for word, so the hosts answer them as before: `FST_ERR_CTP_BODY_TOO_LARGE`
 * (413) when `Content-Length` or the bytes received pass the body limit,
 * `FST_ERR_CTP_INVALID_CONTENT_LENGTH` (400) when the bytes received differ from
 * `Content-Length`, and a stream error (an aborted upload) with status 400 unless it has one.
 */
import { type IncomingHttpHeaders, IncomingMessage } from "node:http";
import { errorCodes, type FastifyRequest } from "fastify";

/**
 * Bytes (0-7) to leave before a body so that a part of it lands on an 8-byte boundary, chosen
 * from the request's headers before any byte is read.
 */
export type BodyPadding = (headers: IncomingHttpHeaders) => number;

/**
 * What a fastify content-type parser without `parseAs` receives as its payload: the request
 * stream (fastify's `preParsing` hooks may set `receivedEncodedLength` on a decoding stream).
 */
export type BodyStream = NodeJS.ReadableStream & { readonly receivedEncodedLength?: number };

/** The callback of a fastify content-type parser. */
export type BodyDone = (error: Error | null, body?: unknown) => void;

/** A fastify content-type parser for `addContentTypeParser(type, parser)` (no `parseAs`). */
export type RequestBodyParser = (
  request: FastifyRequest,
  payload: BodyStream,
  done: BodyDone,
) => void;

/** Options of {@link requestBodyParser}. */
export interface RequestBodyOptions {
  /** Largest accepted body in bytes (the host's `bodyLimit`). */
  readonly limit: number;
  /** Bytes to leave before the body (default: none; the body starts 8-byte aligned). */
  readonly padding?: BodyPadding | undefined;
  /**
   * Turns the bytes into the body a route sees (default: the bytes); a thrown error is handed to
   * fastify as the parser's error (e.g. malformed JSON for the host's `bodyError` hook).
   */
  readonly parse?: ((bytes: Buffer) => unknown) | undefined;
  /**
   * Memory for large bodies of routes that return it ({@link BodyPool}); default none. Only a
   * request whose `Content-Length` is at least the pool's `minBytes` and whose fastify route
   * config says `pooledBody: true` takes from it.
   */
  readonly pool?: BodyPool | undefined;
}

/**
 * Large request bodies' memory, reused: a 16 MiB tensor body is otherwise a fresh 16 MiB
 * allocation per request (page faults, external memory that drives V8's collections). A body
 * taken from the pool goes back with {@link BodyPool.give} once the answer no longer needs it
 * (the route table gives it back when its response has finished: every byte handed to the
 * kernel). A body that is never given back (a client that left) is simply collected.
 */
export class BodyPool {
  /** Smallest body (bytes) worth pooling; default 1 MiB. */
  readonly minBytes: number;
  /** Most free buffers kept; default 2. */
  readonly keep: number;
  readonly #free: ArrayBuffer[] = [];
  readonly #lent = new WeakSet<ArrayBuffer>();

  constructor(options: { readonly minBytes?: number; readonly keep?: number } = {}) {
    this.minBytes = options.minBytes ?? 1024 * 1024;
    this.keep = options.keep ?? 2;
  }

  /**
   * `length` bytes starting `pad` bytes past an 8-byte boundary, from a free buffer that fits
   * (no more than twice the size needed, so a small body never pins a huge one) or a new one.
   */
  take(pad: number, length: number): Buffer {
    const need = pad + length;
    const at = this.#free.findIndex(
      (free) => free.byteLength >= need && free.byteLength <= 2 * need,
    );
    const memory = at < 0 ? new ArrayBuffer(need) : (this.#free.splice(at, 1)[0] as ArrayBuffer);
    this.#lent.add(memory);
    return Buffer.from(memory, pad, length);
  }

  /** Takes back a body {@link BodyPool.take} lent (anything else is ignored), at most once. */
  give(body: Uint8Array): void {
    const memory = body.buffer as ArrayBuffer;
    if (!this.#lent.has(memory)) return;
    this.#lent.delete(memory);
    if (this.#free.length < this.keep) this.#free.push(memory);
  }
}

/** Whether the request's route asks for pooled body memory (fastify route `config.pooledBody`). */
function routeWantsPool(request: FastifyRequest): boolean {
  return (request.routeOptions.config as { pooledBody?: boolean } | undefined)?.pooledBody === true;
}

/**
 * `length` bytes starting `pad` bytes past an 8-byte boundary: Node's `allocUnsafe` hands out
 * 8-aligned slices of its pool (small sizes) or buffers of their own (large ones).
 */
function alignedBuffer(pad: number, length: number): Buffer {
  return pad === 0 ? Buffer.allocUnsafe(length) : Buffer.allocUnsafe(pad + length).subarray(pad);
}

/** The padding as a whole number of bytes 0-7, whatever the function answered. */
function padOf(padding: BodyPadding | undefined, headers: IncomingHttpHeaders): number {
  if (padding === undefined) return 0;
  const pad = padding(headers);
  return Number.isInteger(pad) && pad > 0 ? pad % 8 : 0;
}

/**
 * A fastify content-type parser that reads the body as described above and hands the route
 * `options.parse(bytes)` (or the bytes). One body read for every mock: the REST host's JSON and
 * catch-all parsers and the raw-body route tables use it.
 */
export function requestBodyParser(options: RequestBodyOptions): RequestBodyParser {
  const { limit, padding, parse, pool } = options;
  return (request, payload, done) => {
    const headers = request.headers;
    const declared = Number(headers["content-length"]);
    if (declared > limit) {
      done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
      return;
    }
    // Node's parser refuses a Content-Length that is not a plain decimal number before any route
    // runs; a request without one (chunked) reads NaN here.
    const sized = declared >= 0;
    const pad = padOf(padding, headers);
    // A body of announced size is copied in as it comes; a chunked one is gathered first.
    const target = !sized
      ? undefined
      : pool !== undefined && declared >= pool.minBytes && routeWantsPool(request)
        ? pool.take(pad, declared)
        : alignedBuffer(pad, declared);
    const chunks: Buffer[] | undefined = sized ? undefined : [];
    // Only a socket's request (not an injected one, nor a preParsing stream) carries the HTTP
    // parser's own copies, which nothing else holds once they are copied here.
    const parserChunks = payload instanceof IncomingMessage;
    let received = 0;
    const stop = () => {
      payload.removeListener("data", onData);
      payload.removeListener("end", onEnd);
      payload.removeListener("error", onEnd);
    };
    function onData(data: Buffer | string) {
      const chunk = typeof data === "string" ? Buffer.from(data) : data;
      const at = received;
      received += chunk.byteLength;
      if (received > limit || (payload.receivedEncodedLength ?? 0) > limit) {
        stop();
        done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
        return;
      }
      if (target === undefined) chunks?.push(chunk);
      else if (received <= target.byteLength) {
        target.set(chunk, at);
        if (parserChunks) releaseChunk(chunk);
      }
    }
    function onEnd(error?: Error & { statusCode?: number }) {
      stop();
      if (error) {
        if (!(typeof error.statusCode === "number" && error.statusCode >= 400)) {
          error.statusCode = 400;
        }
        done(error);
        return;
      }
      if (sized && (payload.receivedEncodedLength || received) !== declared) {
        done(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH());
        return;
      }
      const bytes = target ?? joined(chunks ?? [], pad, received, parserChunks);
      if (parse === undefined) {
        done(null, bytes);
        return;
      }
      let body: unknown;
      try {
        body = parse(bytes);
      } catch (parseError) {
        done(parseError as Error);
        return;
      }
      done(null, body);
    }
    payload.on("data", onData);
    payload.on("end", onEnd);
    payload.on("error", onEnd);
    payload.resume();
  };
}

/**
 * Smallest chunk (bytes) {@link releaseChunk} frees: 4 KiB, where Node's `Buffer` stops slicing
 * its shared small-buffer pool (`Buffer.poolSize / 2`).
 */
const releaseBytes = 4 * 1024;

/** ES2024 `ArrayBuffer.prototype.transfer`, which the workspace's es2023 lib does not declare. */
type TransferableBuffer = ArrayBuffer & { transfer(newLength?: number): ArrayBuffer };

/**
 * Frees a body chunk's memory once its bytes are copied, when the chunk is all of an
 * `ArrayBuffer` of its own: `transfer(0)` (ES2024) detaches it, so the memory and V8's count of
 * external memory drop at once. Node's HTTP parser hands each body chunk over as a fresh copy of
 * up to 64 KiB (node_http_parser.cc `on_body`: `Buffer::Copy`); left to the collector, a 16 MiB
 * body's 256 copies pile up until V8 runs a full mark-compact for them (every 4 bodies or so).
 * A chunk that shares its memory (a slice of Node's small-buffer pool, or a view of the caller's
 * buffer) or is under 4 KiB is left alone. Returns whether it freed the chunk (then empty).
 */
export function releaseChunk(chunk: Uint8Array): boolean {
  const memory = chunk.buffer;
  if (
    chunk.byteLength < releaseBytes ||
    chunk.byteOffset !== 0 ||
    !(memory instanceof ArrayBuffer) ||
    memory.byteLength !== chunk.byteLength
  ) {
    return false;
  }
  (memory as TransferableBuffer).transfer(0);
  return true;
}

/**
 * The gathered chunks of a body sent without a length, copied once into an aligned buffer; with
 * `release`, each chunk is freed once copied ({@link releaseChunk}).
 */
function joined(chunks: readonly Buffer[], pad: number, length: number, release: boolean): Buffer {
  const body = alignedBuffer(pad, length);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
    if (release) releaseChunk(chunk);
  }
  return body;
}
