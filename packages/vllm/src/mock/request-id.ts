/**
 * vLLM's request ids (vllm-openai.md §1): the base of a response's `chatcmpl-`/`cmpl-` id is the
 * `X-Request-Id` header when sent, else the body's `request_id`, else a random 32-hex uuid
 * (serving_engine.py `_base_request_id`); with `--enable-request-id-headers` a middleware
 * (`XRequestIdMiddleware`, server_utils.py) gives every response an `X-Request-Id` header: the
 * request's, else a fresh uuid4 hex.
 */
import { randomUUID } from "node:crypto";
import type {
  RestRequestHead,
  RestRoute,
  RestRouteReply,
  RestRouteTable,
} from "@servingkit/mock-core";

/**
 * A random uuid4 as 32 hex digits (Python's `uuid.uuid4().hex`): the uuid's five groups joined
 * (about half the cost of `replaceAll("-", "")`, and this runs per request).
 */
export function uuidHex(): string {
  const uuid = randomUUID();
  return (
    uuid.slice(0, 8) + uuid.slice(9, 13) + uuid.slice(14, 18) + uuid.slice(19, 23) + uuid.slice(24)
  );
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
