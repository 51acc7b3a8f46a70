/**
 * Starlette's `redirect_slashes` (on by default; MLServer's FastAPI app in `mlserver/rest/app.py`
 * keeps it): a request whose path matches no route, by path or by method, is tried again with
 * its trailing slashes stripped (or, without one, a slash added); when some route matches that
 * path, whatever its methods, the answer is `307 Temporary Redirect` with an empty body and a
 * `location` header (starlette `routing.py` `Router.app`, `responses.py` `RedirectResponse`,
 * `datastructures.py` `URL(scope=...)`). Pure: the routes to match and the request's head in,
 * the redirect (or none) out.
 */
import { type CannedReply, matchRestRoute, type RestRoute } from "@servingkit/mock-core/host";

/** Bytes Python's `urllib.parse.quote` never escapes (`always_safe`). */
const alwaysSafe = /[A-Za-z0-9_.~-]/;
/** The extra characters `RedirectResponse` keeps as they are in its `location`. */
const locationSafe = ":/%#?=@[]!$&'()*+,;";

/**
 * Python's `urllib.parse.quote(text, safe=locationSafe)`: UTF-8, every other byte as `%XX`
 * (upper-case hex).
 */
export function quoteLocation(text: string): string {
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) {
    const char = String.fromCharCode(byte);
    out +=
      byte < 0x80 && (alwaysSafe.test(char) || locationSafe.includes(char))
        ? char
        : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/**
 * The path as uvicorn puts it in the ASGI scope: `urllib.parse.unquote` of the raw path (each run
 * of `%XX` escapes decoded as UTF-8, an invalid sequence as U+FFFD).
 */
export function unquotePath(raw: string): string {
  if (!raw.includes("%")) return raw;
  return raw.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) =>
    Buffer.from(run.replaceAll("%", ""), "hex").toString("utf8"),
  );
}

/**
 * Starlette's redirect for a request no route matched, or undefined when the other spelling of
 * its path matches no route either (then the answer is the runtime's 404).
 *
 * - `path` is the raw path without the query; `query` (without its `?`, "" for none) follows
 *   the new path in `location`, as Starlette builds the redirect URL from the request's scope.
 * - `location` is `<scheme>://<host header><path>`, quoted as `RedirectResponse` quotes it; the
 *   scheme is `x-forwarded-proto` when it is `http` or `https` (uvicorn trusts the proxy in
 *   front of it in the pod), else `http`: the runtime serves plain HTTP behind the platform's
 *   TLS (kserve-v2.md §5). Without a `host` header the location is the path alone (Starlette
 *   would use the server's address, which the hook does not know).
 */
export function slashRedirect(
  routes: readonly RestRoute[],
  method: string,
  path: string,
  headers: Readonly<Record<string, string | undefined>>,
  query = "",
): CannedReply | undefined {
  if (path === "/") return undefined;
  const decoded = unquotePath(path);
  const target = decoded.endsWith("/") ? decoded.replace(/\/+$/, "") : `${decoded}/`;
  if (target === "") return undefined;
  if (matchRestRoute(routes, method, quoteLocation(target)).kind === "not-found") return undefined;
  const forwarded = headers["x-forwarded-proto"]?.trim();
  const scheme = forwarded === "https" || forwarded === "http" ? forwarded : "http";
  const { host } = headers;
  const withQuery = query === "" ? target : `${target}?${query}`;
  const url = host === undefined ? withQuery : `${scheme}://${host}${withQuery}`;
  return { status: 307, headers: { location: quoteLocation(url) }, body: "" };
}
