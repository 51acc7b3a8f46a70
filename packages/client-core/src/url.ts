/** A query parameter value; arrays repeat the key (`?model_ids=a&model_ids=b`). */
export type QueryValue =
  | string
  | number
  | boolean
  | null
  | undefined
  | readonly (string | number | boolean)[];

/** Query parameters; `null` and `undefined` values are left out. */
export type QueryParams = Readonly<Record<string, QueryValue>>;

const ABSOLUTE_URL = /^[a-z][a-z\d+\-.]*:\/\//i;

/**
 * Joins a client's base URL and a call's path the way openai-node does: the path is appended to
 * the base (so a base of `https://host/prefix` keeps its prefix), one slash between them; a path
 * that is itself an absolute URL is used as it is. Query parameters are appended in order.
 */
export function joinUrl(baseUrl: string, path: string, query?: QueryParams): string {
  let url = ABSOLUTE_URL.test(path)
    ? path
    : `${baseUrl.replace(/\/+$/, "")}${path.startsWith("/") ? path : `/${path}`}`;
  if (query !== undefined) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value === null || value === undefined) {
        continue;
      }
      const values: readonly (string | number | boolean)[] = Array.isArray(value)
        ? value
        : [value as string | number | boolean];
      for (const item of values) {
        params.append(key, String(item));
      }
    }
    const search = params.toString();
    if (search.length > 0) {
      url += `${url.includes("?") ? "&" : "?"}${search}`;
    }
  }
  return url;
}
