/**
 * How the KServe mock reads a request body: into one buffer sized by `Content-Length` as the
 * chunks arrive, placed so that the binary tensors after an `Inference-Header-Content-Length`
 * JSON header start on an 8-byte boundary. Fastify's own buffer parser gathers the chunks and
 * copies them into a fresh buffer at the end (a 16 MiB tensor: one 16 MiB copy after the last
 * byte, on the answer's critical path), and a tensor that then sits at an odd offset is copied
 * again to be viewed as its typed array (datatypes.ts `decodeRaw`); this makes one copy, spread
 * over the upload, and lets every fixed-size datatype be viewed in place. Large binary bodies
 * reuse memory from a {@link BodyPool}.
 *
 * The bytes a route sees are the bytes sent; limits and refusals are fastify's
 * (`FST_ERR_CTP_BODY_TOO_LARGE` above the body limit, `FST_ERR_CTP_INVALID_CONTENT_LENGTH` when
 * the bytes received differ from `Content-Length`), so the host answers them as before.
 */
import type { IncomingHttpHeaders } from "node:http";
import { errorCodes, type FastifyRequest } from "fastify";
import { inferenceHeaderLength } from "../binary-body.js";

/** The largest alignment any tensor element needs (INT64, UINT64, FP64: 8 bytes). */
const alignment = 8;

/** Whether a request announces a binary-extension body (an Inference-Header-Content-Length). */
const binaryBody = (headers: IncomingHttpHeaders) => headers[inferenceHeaderLength] !== undefined;

/**
 * Bytes to leave before the body so that its binary part (after the JSON header whose length
 * the `inference-header-content-length` header gives) starts on an 8-byte boundary; 0 when there
 * is no such header or it is not a plain non-negative integer (the route refuses that itself).
 */
export function bodyPadding(headers: IncomingHttpHeaders): number {
  const value = headers[inferenceHeaderLength];
  if (typeof value !== "string") return 0;
  const length = Number(value);
  if (!Number.isSafeInteger(length) || length < 0) return 0;
  return (alignment - (length % alignment)) % alignment;
}

/**
 * `length` bytes starting `pad` bytes past an 8-byte boundary: Node's `allocUnsafe` hands out
 * 8-aligned slices of its pool (small sizes) or buffers of their own (large ones).
 */
function alignedBuffer(pad: number, length: number): Buffer {
  return Buffer.allocUnsafe(pad + length).subarray(pad);
}

/** Bodies from this size on (1 MiB) may be served from, and returned to, a {@link BodyPool}. */
export const pooledBodyBytes = 1024 * 1024;

/**
 * Memory of large binary-extension bodies, lent to one request at a time and taken back once its
 * answer is written: a 16 MiB body then costs no fresh 16 MiB allocation (page faults, and the
 * old-space collections V8 runs as external memory grows: about half the server's CPU for a
 * 16 MiB round trip without it). Only bodies with an `Inference-Header-Content-Length` are
 * lent: the infer route computes them at once, so nothing reads one after its answer is sent.
 */
export class BodyPool {
  readonly #free: ArrayBuffer[] = [];
  readonly #lent = new WeakSet<ArrayBuffer>();

  /** `maxFree`: buffers kept between requests (default 2); more are left to the collector. */
  constructor(readonly maxFree = 2) {}

  /** Memory for `bytes` bytes: a kept buffer big enough (and at most twice as big), else a new one. */
  take(bytes: number): ArrayBuffer {
    let best = -1;
    for (let i = 0; i < this.#free.length; i++) {
      const size = (this.#free[i] as ArrayBuffer).byteLength;
      if (size >= bytes && size <= 2 * bytes) {
        if (best < 0 || size < (this.#free[best] as ArrayBuffer).byteLength) best = i;
      }
    }
    const buffer =
      best < 0 ? new ArrayBuffer(bytes) : (this.#free.splice(best, 1)[0] as ArrayBuffer);
    this.#lent.add(buffer);
    return buffer;
  }

  /** Takes back the memory under `body` if this pool lent it (once); anything else is ignored. */
  give(body: unknown): void {
    // Most bodies are small: they were never lent (the cheap test first).
    if (!Buffer.isBuffer(body) || body.byteLength < pooledBodyBytes) return;
    const buffer = body.buffer;
    if (!(buffer instanceof ArrayBuffer) || !this.#lent.has(buffer)) return;
    this.#lent.delete(buffer);
    if (this.#free.length < this.maxFree) this.#free.push(buffer);
  }

  /** Buffers kept for the next requests. */
  get freeCount(): number {
    return this.#free.length;
  }
}

/** A readable body stream as fastify hands it to a content-type parser. */
type Payload = NodeJS.ReadableStream & { readonly receivedEncodedLength?: number };

/**
 * A fastify content-type parser (`addContentTypeParser(type, parser)`, no `parseAs`) that
 * delivers the body as one Buffer as described above, refusing bodies over `limit` bytes (the
 * host's body limit).
 */
export function alignedBodyParser(
  limit: number,
  pool?: BodyPool,
): (
  request: FastifyRequest,
  payload: Payload,
  done: (error: Error | null, body?: Buffer) => void,
) => void {
  return (request, payload, done) => {
    const declared = Number(request.headers["content-length"]);
    if (declared > limit) {
      done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
      return;
    }
    const pad = bodyPadding(request.headers);
    const sized = Number.isSafeInteger(declared) && declared >= 0;
    // A body of announced size is copied in as it comes; a chunked one is gathered first.
    let target: Buffer | undefined;
    if (sized && pool !== undefined && declared >= pooledBodyBytes && binaryBody(request.headers)) {
      target = Buffer.from(pool.take(pad + declared), pad, declared);
    } else if (sized) {
      target = alignedBuffer(pad, declared);
    }
    const chunks: Buffer[] = [];
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
      if (target === undefined) chunks.push(chunk);
      else if (received <= target.byteLength) target.set(chunk, at);
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
      if (target !== undefined) {
        done(null, target);
        return;
      }
      const body = alignedBuffer(pad, received);
      let offset = 0;
      for (const chunk of chunks) {
        body.set(chunk, offset);
        offset += chunk.byteLength;
      }
      done(null, body);
    }
    payload.on("data", onData);
    payload.on("end", onEnd);
    payload.on("error", onEnd);
    payload.resume();
  };
}
