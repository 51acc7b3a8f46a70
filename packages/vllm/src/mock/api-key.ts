/**
 * vLLM's own `--api-key` check (vllm-openai.md §2): only paths starting with `/v1` are guarded,
 * OPTIONS always passes, the `Authorization` header must be `Bearer <key>` (the newest versions
 * read the scheme case-insensitively and compare in constant time), and a refusal is 401 with
 * exactly `{"error": "Unauthorized"}`, not the error envelope. The check is a middleware that runs
 * before routing, so unknown `/v1` paths and wrong methods under `/v1` are refused too
 * ({@link apiKeyGuard} in the plugin's 404/405 hooks).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { CannedReply, RestRequestHead } from "@servingkit/mock-core";

/** The 401 vLLM answers, byte for byte (Python's json.dumps spacing). */
export const unauthorizedReply: CannedReply = {
  status: 401,
  headers: { "content-type": "application/json" },
  body: '{"error": "Unauthorized"}',
};

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/**
 * Whether a request passes vLLM's API-key middleware. `path` is the URL path without the query.
 * Without a key everything passes.
 */
export function apiKeyAllows(
  key: string | undefined,
  method: string,
  path: string,
  authorization: string | undefined,
): boolean {
  if (key === undefined || method === "OPTIONS" || !path.startsWith("/v1")) return true;
  const match = /^bearer (.*)$/i.exec(authorization ?? "");
  if (!match) return false;
  return timingSafeEqual(digest(match[1] ?? ""), digest(key));
}

/**
 * vLLM's key middleware as a host hook: the 401 for a request `key` does not allow, else
 * undefined (the request goes on to its route, or to the host's 404/405). A table's `onRequest`
 * for routed requests; the plugin's `notFound`/`methodNotAllowed` for the rest, since the
 * middleware runs before routing (vllm-openai.md §2).
 */
export function apiKeyGuard(
  key: string | undefined,
): (head: RestRequestHead) => CannedReply | undefined {
  return (head) =>
    apiKeyAllows(key, head.method, head.path, head.headers.authorization)
      ? undefined
      : unauthorizedReply;
}
