/**
 * vLLM's request ids (vllm-openai.md §1): the base of a response's `chatcmpl-`/`cmpl-` id is the
 * `X-Request-Id` header when sent, else the body's `request_id`, else a random 32-hex uuid
 * (serving_engine.py `_base_request_id`); with `--enable-request-id-headers` a middleware
 * (`XRequestIdMiddleware`, server_utils.py) gives every response an `X-Request-Id` header: the
 * request's, else a fresh uuid4 hex.
 */
import { randomFillSync } from "node:crypto";
import type {
  RestRequestHead,
  RestRoute,
  RestRouteReply,
  RestRouteTable,
} from "@servingkit/mock-core";

/** Random bytes for {@link uuidHex}, filled 4 KiB (256 ids) at a time. */
const idPool = Buffer.allocUnsafeSlow(4096);
/** The pool as hex, 32 digits an id, written once per refill. */
let idHex = "";
/** The next unused id of {@link idHex}, in hex digits; at its length the pool is refilled. */
let idHexAt = 0;

/**
 * A random uuid4 as 32 hex digits (Python's `uuid.uuid4().hex`: 122 random bits, the version
 * nibble 4 and the variant bits 10, RFC 9562 §5.4). `randomFillSync` fills a pool of 256 ids at
 * a time, their version and variant bits are set, and the pool is written as hex once; each id
 * is then a slice of that text (about 20 ns a call against 150-300 ns for a `toString("hex")` of
 * 16 bytes per id, 500 ns for `randomUUID` and joining its groups; this runs per request).
 */
export function uuidHex(): string {
  if (idHexAt === idHex.length) {
    randomFillSync(idPool);
    for (let at = 0; at < idPool.length; at += 16) {
      idPool[at + 6] = ((idPool[at + 6] ?? 0) & 0x0f) | 0x40;
      idPool[at + 8] = ((idPool[at + 8] ?? 0) & 0x3f) | 0x80;
    }
    idHex = idPool.toString("hex");
    idHexAt = 0;
  }
  const at = idHexAt;
  idHexAt += 32;
  return idHex.slice(at, at + 32);
}

/**
 * The base of a generation's response id: the `X-Request-Id` header (even empty, as vLLM reads
 * it), else the body's `request_id` (empty counts as none), else a random uuid hex.
 */
export function baseRequestId(header: string | undefined, bodyId: string | undefined): string {
  if (header !== undefined) return header;
  return bodyId || uuidHex();
}

/**
 * The X-Request-Id middleware's one rule: `reply` with an `x-request-id` header, the request's
 * (even empty) else a fresh uuid4 hex. Used for vLLM's routes, its refusals before routing, its
 * 404/405 and the base health routes (`/health`, `/ping`), which the middleware wraps alike.
 */
export function withRequestIdHeader(head: RestRequestHead, reply: RestRouteReply): RestRouteReply {
  const headers: Record<string, string> = { ...reply.headers };
  headers["x-request-id"] = head.headers["x-request-id"] ?? uuidHex();
  return { status: reply.status, headers, body: reply.body };
}

/**
 * `table` with vLLM's X-Request-Id middleware around it: every reply of its routes and of its
 * `onRequest` refusals (the middleware is outside the API-key check) carries `x-request-id`.
 */
export function withRequestIdHeaders(table: RestRouteTable): RestRouteTable {
  const onRequest = table.onRequest;
  const route = (inner: RestRoute): RestRoute => ({
    ...inner,
    handle(request) {
      const answer = inner.handle(request);
      return answer instanceof Promise
        ? answer.then((settled) => withRequestIdHeader(request, settled))
        : withRequestIdHeader(request, answer);
    },
  });
  return {
    ...table,
    routes: table.routes.map(route),
    ...(onRequest && {
      onRequest(head: RestRequestHead) {
        const refused = onRequest(head);
        return refused && withRequestIdHeader(head, refused);
      },
    }),
  };
}
