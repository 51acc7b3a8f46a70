/**
 * vLLM's own `--api-key` check (vllm-openai.md §2): only paths starting with `/v1` are guarded,
 * OPTIONS always passes, the `Authorization` header must be `Bearer <key>` (the newest versions
 * read the scheme case-insensitively and compare in constant time), and a refusal is 401 with
 * exactly `{"error": "Unauthorized"}`, not the error envelope. The check is a middleware that runs
 * before routing, so unknown `/v1` paths and wrong methods under `/v1` are refused too
 * ({@link unroutedV1Table}).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import {
  type CannedReply,
  matchRestRoute,
  type RestMethod,
  type RestRoute,
  type RestRouteTable,
  resolveHooks,
  runtimePlugin,
} from "@servingkit/mock-core";

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
 * How many path segments after `/v1` the unrouted table covers (`/v1/a/b/.../h`); deeper unknown
 * paths fall through to the host's 404 without the key check.
 */
export const unroutedV1Depth = 8;

const unroutedMethods: readonly RestMethod[] = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"];

/**
 * Routes for every `/v1` path and method the real `routes` do not answer, so vLLM's key check
 * (`onRequest`) runs before the 404/405 (Starlette routes after the middleware, vllm-openai.md
 * §2). Past the check they answer as the host would: 405 with `allow` for a known path, else 404
 * (FastAPI's bodies, mock-core's vLLM base plugin). Bodies stay unread bytes (`rawBodies`), so a
 * malformed body on a wrong method is still a 405, as in Starlette. Hosts prefer literal routes to
 * these parameter routes, so real routes keep answering. Only worth serving with a key.
 */
export function unroutedV1Table(
  key: string | undefined,
  routes: readonly RestRoute[],
): RestRouteTable {
  const hooks = resolveHooks([runtimePlugin("vllm")]);
  const handle: RestRoute["handle"] = ({ method, path }) => {
    const match = matchRestRoute(routes, method, path);
    return match.kind === "method-not-allowed"
      ? hooks.methodNotAllowed(method, path, match.allowed)
      : hooks.notFound(method, path);
  };
  const paths = Array.from({ length: unroutedV1Depth + 1 }, (_, depth) =>
    ["/v1", ...Array.from({ length: depth }, (_, i) => `:p${i}`)].join("/"),
  );
  return {
    rawBodies: true,
    routes: paths.flatMap((path) => unroutedMethods.map((method) => ({ method, path, handle }))),
    onRequest: (head) =>
      apiKeyAllows(key, head.method, head.path, head.headers.authorization)
        ? undefined
        : unauthorizedReply,
  };
}
