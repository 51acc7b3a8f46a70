/**
 * The msw host of a runtime's route tables: one msw handler that answers every request under a
 * base URL the way the fastify host does, minus what only a server has (platform token auth, TLS,
 * fault injection): route → the table's handler; a known path with another method → the runtime's
 * 405; anything else → the runtime's 404 (both hooks get the request's headers, for a runtime's
 * middleware that runs before routing); JSON bodies parsed with the runtime's answer to
 * malformed JSON; thrown errors → the runtime's 500 envelope. Streams go out chunk by chunk.
 */
import {
  defaultBodyLimit,
  hostBody,
  type MockPlugin,
  matchRestRoute,
  queryRecord,
  type RestBody,
  type RestRoute,
  type RestRouteReply,
  type RestRouteTable,
  resolveHooks,
} from "@servingkit/mock-core";
import { type HttpHandler, http } from "msw";

/** What {@link routeTableHandler} serves. */
export interface RouteTableHandlerOptions {
  /**
   * Where the runtime answers: an origin (`http://vllm.test`) or an origin and a path prefix
   * (`http://mocks.test/triton`); the tables' paths are under it.
   */
  readonly baseUrl: string;
  /** The route tables, in order (health routes first, then the protocol's). */
  readonly tables: readonly RestRouteTable[];
  /**
   * The plugins whose error hooks answer on the runtime's behalf (the runtime's base plugin, then
   * the protocol plugin); the last that has a hook wins, as in the fastify host.
   */
  readonly plugins: readonly MockPlugin[];
  /** Largest accepted request body in bytes; default mock-core's `defaultBodyLimit` (64 MiB). */
  readonly bodyLimit?: number;
}

const encoder = new TextEncoder();

function headerRecord(headers: Headers): Record<string, string | undefined> {
  const record: Record<string, string | undefined> = {};
  headers.forEach((value, name) => {
    record[name] = value;
  });
  return record;
}

function streamOf(chunks: AsyncIterable<Uint8Array | string>): ReadableStream<Uint8Array> {
  const iterator = chunks[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await iterator.next();
        if (next.done) controller.close();
        else
          controller.enqueue(
            typeof next.value === "string" ? encoder.encode(next.value) : next.value,
          );
      } catch (error) {
        controller.error(error);
      }
    },
    async cancel() {
      await iterator.return?.();
    },
  });
}

function bodyInit(body: RestBody): BodyInit | null {
  if (typeof body === "string") return body === "" ? null : encoder.encode(body);
  if (body instanceof Uint8Array) return body as Uint8Array<ArrayBuffer>;
  return streamOf(body);
}

/** A route reply as a fetch `Response`: headers exactly as given, a string body as UTF-8 bytes. */
export function toResponse(reply: RestRouteReply, method: string): Response {
  const noBody = method === "HEAD" || reply.status === 204 || reply.status === 304;
  return new Response(noBody ? null : bodyInit(reply.body), {
    status: reply.status,
    headers: { ...reply.headers },
  });
}

function basePathOf(baseUrl: string): { origin: string; prefix: string } {
  const url = new URL(baseUrl);
  return { origin: url.origin, prefix: url.pathname.replace(/\/+$/, "") };
}

/**
 * One msw handler serving route tables under a base URL (see the module comment for what it
 * answers). Requests outside the base URL pass to the next handler.
 */
export function routeTableHandler(options: RouteTableHandlerOptions): HttpHandler {
  const { origin, prefix } = basePathOf(options.baseUrl);
  const hooks = resolveHooks(options.plugins);
  const bodyLimit = options.bodyLimit ?? defaultBodyLimit;
  const tableOf = new Map<RestRoute, RestRouteTable>();
  for (const table of options.tables) for (const route of table.routes) tableOf.set(route, table);
  const routes = [...tableOf.keys()];
  const pathIn = (url: URL): string | undefined => {
    if (url.origin !== origin) return undefined;
    if (prefix === "") return url.pathname;
    if (url.pathname === prefix) return "/";
    return url.pathname.startsWith(`${prefix}/`) ? url.pathname.slice(prefix.length) : undefined;
  };

  return http.all(
    ({ request }) => pathIn(new URL(request.url)) !== undefined,
    async ({ request }) => {
      const url = new URL(request.url);
      const path = pathIn(url) ?? "/";
      const method = request.method.toUpperCase();
      const answer = async (): Promise<RestRouteReply> => {
        const headers = headerRecord(request.headers);
        const match = matchRestRoute(routes, method, path);
        if (match.kind === "not-found") {
          return hooks.notFound(method, path, headers, url.search.slice(1));
        }
        if (match.kind === "method-not-allowed") {
          return hooks.methodNotAllowed(method, path, match.allowed, headers);
        }
        const table = tableOf.get(match.route);
        const refused = table?.onRequest?.({ method, path, headers });
        if (refused) return refused;
        const bytes = Buffer.from(await request.arrayBuffer());
        if (bytes.length > bodyLimit) {
          return hooks.bodyError({ kind: "too-large", detail: "Request body is too large" });
        }
        const parsed = hostBody({
          method,
          contentType: headers["content-type"],
          bytes,
          raw: table?.rawBodies === true,
        });
        if ("error" in parsed) return hooks.bodyError(parsed.error);
        try {
          return await match.route.handle({
            method,
            path,
            headers,
            params: match.params,
            query: queryRecord(url.searchParams),
            body: parsed.body,
            signal: request.signal,
          });
        } catch (error) {
          // The fastify host's error handler: a 4xx error keeps its status, anything else is 500.
          const status = (error as { statusCode?: number }).statusCode;
          if (status !== undefined && status >= 400 && status < 500) {
            return hooks.errorBody(status, (error as Error).message);
          }
          return hooks.errorBody(500, "Internal Server Error");
        }
      };
      return toResponse(await answer(), method);
    },
  );
}
