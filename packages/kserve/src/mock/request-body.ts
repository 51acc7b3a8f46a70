/**
 * How the KServe mock reads a request body: into one buffer sized by `Content-Length` as the
 * chunks arrive, placed so that the binary tensors after an `Inference-Header-Content-Length`
 * JSON header start on an 8-byte boundary. Fastify's own buffer parser gathers the chunks and
 * copies them into a fresh buffer at the end (a 16 MiB tensor: one 16 MiB copy after the last
 * byte, on the answer's critical path), and a tensor that then sits at an odd offset is copied
 * again to be viewed as its typed array (datatypes.ts `decodeRaw`); this makes one copy, spread
 * over the upload, and lets every fixed-size datatype be viewed in place.
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

/** A readable body stream as fastify hands it to a content-type parser. */
type Payload = NodeJS.ReadableStream & { readonly receivedEncodedLength?: number };

/**
 * A fastify content-type parser (`addContentTypeParser(type, parser)`, no `parseAs`) that
 * delivers the body as one Buffer as described above, refusing bodies over `limit` bytes (the
 * host's body limit).
 */
export function alignedBodyParser(
  limit: number,
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
    const target = sized ? alignedBuffer(pad, declared) : undefined;
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
